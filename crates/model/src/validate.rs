//! Semantic checks of a deserialized scenario: references, AKS rules, value ranges, and
//! warnings for risks a reviewer should see.
//!
//! Every finding carries a stable code (see [`crate::diagnostic::codes`]), the path of the
//! offending field and, where there is something specific to say, a hint. Diagnostics come
//! out unlocated; [`crate::load::parse_scenario`] adds file, line and column.
//!
//! AKS rules apply only to `provider: aks`; their sources are in [`crate::aks`]. The upper
//! limits on replicas, pods, events, horizon and pools exist so that a typo (`replicas:
//! 10000000`) is refused here instead of exhausting memory in the engine.

mod placement;

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{aks, Catalog};
use crate::diagnostic::{codes, Diagnostic, FieldPath};
use crate::scenario::{
    Count, Event, Image, IntOrPercent, Os, Pool, PoolMode, Provider, Resources, Scenario,
    UpgradeEvent, VmSize, Workload, WorkloadKind, UPGRADE_TO_NODE_IMAGE,
};
use crate::units::{Bytes, Cpu, Duration};

use crate::catalog::images::parse_windows_build;
use crate::windows::windows_build_runs;

use self::placement::{constrains_os, selector_matches, untolerated, PoolLabels};

/// Pod slots (maxPods x nodes) a pool whose maxPods is below 30 must still offer.
const MIN_POOL_POD_SLOTS: u64 = 30;
/// Replicas one workload or scale event may ask for.
pub const MAX_REPLICAS: u64 = 100_000;
/// Pods a whole scenario may create.
pub const MAX_TOTAL_PODS: u64 = 1_000_000;
/// The longest horizon: 30 days.
pub const MAX_HORIZON: Duration = Duration(30 * 24 * 3_600_000);
/// Events a scenario may list.
pub const MAX_EVENTS: usize = 100_000;
/// Replications one run may ask for.
pub const MAX_REPLICATIONS: u32 = 1000;
/// Most nodes a non-AKS cluster may grow to: Kubernetes' largest supported cluster
/// ("No more than 5,000 nodes", kubernetes.io/docs/setup/best-practices/cluster-large/).
/// The engine allocates per node and per node x template, so this bounds its memory.
pub const MAX_TOTAL_NODES: u64 = 5_000;
/// Most time-series samples a run may take (`horizon / sampleEvery`): 30 days at one
/// sample a minute is 43,200; a tiny `sampleEvery` would otherwise fill memory.
pub const MAX_SAMPLES: u64 = 100_000;
/// Priority value user-defined PriorityClasses may use (`HighestUserDefinablePriority`).
pub const MAX_USER_PRIORITY: i32 = 1_000_000_000;

/// PriorityClasses every cluster has (`pkg/apis/scheduling/types.go`).
const BUILTIN_PRIORITY_CLASSES: [&str; 2] = ["system-node-critical", "system-cluster-critical"];

/// Checks `scenario` and returns every error and warning, in no particular order.
pub fn validate(scenario: &Scenario) -> Vec<Diagnostic> {
    let mut v = Validator {
        s: scenario,
        out: Vec::new(),
        version: aks::parse_k8s_version(&scenario.cluster.kubernetes_version),
        catalog: Catalog::builtin(),
        aks: scenario.cluster.provider == Provider::Aks,
    };
    v.cluster();
    v.pools();
    v.images();
    v.workloads();
    v.events();
    v.priority_classes();
    v.disruption_budgets();
    v.registry();
    v.sim();
    v.totals();
    v.placement();
    v.out
}

struct Validator<'a> {
    s: &'a Scenario,
    out: Vec<Diagnostic>,
    version: Option<aks::K8sVersion>,
    catalog: &'a Catalog,
    aks: bool,
}

fn root() -> FieldPath {
    FieldPath::root()
}

/// The most nodes a pool can have; `None` for `count: auto` (sized by `plan`).
fn max_nodes(p: &Pool) -> Option<u64> {
    match (p.autoscale, p.count) {
        (Some(a), _) => Some(u64::from(a.max)),
        (None, Some(Count::Fixed(n))) => Some(u64::from(n)),
        (None, Some(Count::Auto)) => None,
        (None, None) => Some(0),
    }
}

/// The fewest nodes a pool can have.
fn min_nodes(p: &Pool) -> u64 {
    match (p.autoscale, p.count) {
        (Some(a), _) => u64::from(a.min),
        (None, Some(Count::Fixed(n))) => u64::from(n),
        (None, Some(Count::Auto)) => 1,
        (None, None) => 0,
    }
}

fn duplicates<'a>(
    names: impl Iterator<Item = &'a str>,
    list: &str,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, name) in names.enumerate() {
        if let Some(first) = seen.get(name) {
            out.push(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    root().key(list).index(i).key("name"),
                    format!("{what} name '{name}' is already used by {list}[{first}]"),
                )
                .with_hint(format!("{what} names must be unique")),
            );
        } else {
            seen.insert(name, i);
        }
    }
}

impl Validator<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    fn cluster(&mut self) {
        let c = &self.s.cluster;
        let at = root().key("cluster");
        if self.version.is_none() {
            let msg = format!(
                "kubernetesVersion '{}' is not MAJOR.MINOR, e.g. \"1.33\"",
                c.kubernetes_version
            );
            self.push(
                Diagnostic::error(codes::KUBERNETES_VERSION, at.key("kubernetesVersion"), msg)
                    .with_hint("write the version in quotes, e.g. kubernetesVersion: \"1.33\""),
            );
        }
        if let (true, Some(v)) = (self.aks, self.version) {
            self.aks_version(&at, v);
        }
        if let Some(k) = &c.kubelet {
            let at = at.key("kubelet");
            let high = k.image_gc_high_threshold_percent.unwrap_or(85);
            let low = k.image_gc_low_threshold_percent.unwrap_or(80);
            if high > 100 {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("imageGcHighThresholdPercent"),
                    format!("imageGcHighThresholdPercent {high} is over 100"),
                ));
            }
            if low >= high {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("imageGcLowThresholdPercent"),
                    format!(
                        "imageGcLowThresholdPercent {low} must be below the high threshold {high}"
                    ),
                ));
            }
            if k.max_parallel_image_pulls == Some(0) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("maxParallelImagePulls"),
                    "maxParallelImagePulls must be at least 1",
                ));
            }
        }
        if let Some(pr) = &c.pricing {
            let at = at.key("pricing");
            let pct = [
                (
                    pr.discount_percent,
                    at.key("discountPercent"),
                    "discountPercent",
                ),
                (
                    pr.commitment.as_ref().map(|c| c.rate_percent),
                    at.key("commitment").key("ratePercent"),
                    "ratePercent",
                ),
            ];
            for (v, field, name) in pct {
                if let Some(v) = v.filter(|v| !v.is_finite() || *v < 0.0 || *v > 100.0) {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        field,
                        format!("{name} {v} is outside 0-100 (percent)"),
                    ));
                }
            }
        }
        if let Some(sch) = &c.scheduler {
            let at = at.key("scheduler");
            if let Some(p) = sch.percentage_of_nodes_to_score.filter(|p| *p > 100) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("percentageOfNodesToScore"),
                    format!("percentageOfNodesToScore {p} is over 100"),
                ));
            }
            for (name, w) in &sch.weights {
                if *w < 0 || *w > 100 {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("weights").key(name),
                        format!("score plugin weight {w} is outside 0-100"),
                    ));
                }
            }
            if let (Some(i), Some(m)) = (sch.pod_initial_backoff, sch.pod_max_backoff) {
                if i > m {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("podInitialBackoff"),
                        format!("podInitialBackoff {i} is longer than podMaxBackoff {m}"),
                    ));
                }
            }
        }
        if let Some(a) = &c.autoscaler {
            let names: BTreeSet<&str> = self.s.pools.iter().map(|p| p.name.as_str()).collect();
            for (i, p) in a.priorities.iter().enumerate() {
                if !names.contains(p.as_str()) {
                    self.push(
                        self.unknown_pool(at.key("autoscaler").key("priorities").index(i), p),
                    );
                }
            }
        }
    }

    /// The cluster's version against AKS's release calendar: past even long-term support is
    /// an error (AKS creates no cluster or node pool on it), newer than the calendar a
    /// warning (the newest known rules apply).
    fn aks_version(&mut self, at: &FieldPath, v: aks::K8sVersion) {
        let show = |(a, b): (u32, u32)| format!("{a}.{b}");
        match aks::aks_version_status(v) {
            aks::AksVersionStatus::Offered(_) => {}
            aks::AksVersionStatus::Retired { oldest } => self.push(
                Diagnostic::error(
                    codes::AKS_KUBERNETES_VERSION,
                    at.key("kubernetesVersion"),
                    format!(
                        "AKS no longer offers Kubernetes {}: the oldest version it supports, with long-term support, is {} (LTS until {})",
                        show(v),
                        show(oldest.version),
                        oldest.lts_end_of_life
                    ),
                )
                .with_hint(format!(
                    "use kubernetesVersion \"{}\" or later (AKS supported-kubernetes-versions)",
                    show(oldest.version)
                )),
            ),
            aks::AksVersionStatus::Unreleased { newest } => self.push(
                Diagnostic::warning(
                    codes::AKS_KUBERNETES_VERSION,
                    at.key("kubernetesVersion"),
                    format!(
                        "Kubernetes {} is newer than any AKS release in the catalog (newest {}); AKS rules of {} apply",
                        show(v),
                        show(newest.version),
                        show(newest.version)
                    ),
                ),
            ),
        }
    }

    fn unknown_pool(&self, at: FieldPath, name: &str) -> Diagnostic {
        let names: Vec<&str> = self.s.pools.iter().map(|p| p.name.as_str()).collect();
        let d = Diagnostic::error(codes::REF_POOL, at, format!("no pool is named '{name}'"));
        with_suggestion(d, name, &names, "pools")
    }

    fn pools(&mut self) {
        let s = self.s;
        duplicates(
            s.pools.iter().map(|p| p.name.as_str()),
            "pools",
            "pool",
            &mut self.out,
        );
        if s.pools.len() > aks::MAX_POOLS_PER_CLUSTER as usize {
            self.push(Diagnostic::error(
                codes::LIMIT_POOLS,
                root().key("pools"),
                format!(
                    "{} pools; AKS allows at most {}",
                    s.pools.len(),
                    aks::MAX_POOLS_PER_CLUSTER
                ),
            ));
        }
        if self.aks && !s.pools.iter().any(|p| p.mode == PoolMode::System) {
            self.push(
                Diagnostic::error(
                    codes::AKS_SYSTEM_POOL_MISSING,
                    root().key("pools"),
                    "an AKS cluster needs at least one System pool (Linux) for its system pods",
                )
                .with_hint("add a Linux pool with mode: System"),
            );
        }
        let mut total: u64 = 0;
        for (i, p) in s.pools.iter().enumerate() {
            self.pool(i, p);
            total = total.saturating_add(max_nodes(p).unwrap_or(0));
        }
        if !self.aks && total > MAX_TOTAL_NODES {
            self.push(Diagnostic::error(
                codes::LIMIT_NODES,
                root().key("pools"),
                format!("the pools can grow to {total} nodes; the limit is {MAX_TOTAL_NODES}"),
            ));
        }
        if self.aks && total > u64::from(aks::MAX_NODES_PER_CLUSTER) {
            self.push(Diagnostic::error(
                codes::AKS_CLUSTER_NODES,
                root().key("pools"),
                format!(
                    "the pools can grow to {total} nodes; an AKS cluster holds at most {}",
                    aks::MAX_NODES_PER_CLUSTER
                ),
            ));
        }
    }

    fn pool(&mut self, i: usize, p: &Pool) {
        let at = root().key("pools").index(i);
        self.pool_count(&at, p);
        self.pool_size(&at, p);
        self.pool_version(&at, p);
        self.pool_node_image(&at, p);
        if let Some(sku) = p.os_sku {
            if sku.os() != p.os {
                self.push(
                    Diagnostic::error(
                        codes::POOL_OS_SKU,
                        at.key("osSku"),
                        format!(
                            "osSku {sku:?} is a {} SKU but the pool's os is {}",
                            sku.os(),
                            p.os
                        ),
                    )
                    .with_hint(match p.os {
                        Os::Linux => "Linux SKUs: Ubuntu, AzureLinux",
                        Os::Windows => "Windows SKUs: Windows2019, Windows2022, Windows2025",
                    }),
                );
            }
        }
        if let Some(d) = p.os_disk {
            if d.size_gib == Some(0) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("osDisk").key("sizeGiB"),
                    "an OS disk of 0 GiB",
                ));
            }
        }
        if p.name.is_empty() {
            self.push(Diagnostic::error(
                codes::AKS_POOL_NAME,
                at.key("name"),
                "empty pool name",
            ));
        }
        if !self.aks {
            if p.max_pods == Some(0) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("maxPods"),
                    "maxPods 0: no pod could run on these nodes",
                ));
            }
            return;
        }
        self.aks_pool(&at, p);
    }

    /// A pool's own `kubernetesVersion`: parseable, not newer than the control plane and
    /// at most three minors behind it (AKS version skew, from Kubernetes 1.28:
    /// MicrosoftDocs/SupportArticles-docs `error-codes/aks-upgrade-blocked.md`,
    /// NodePoolMcVersionIncompatible).
    fn pool_version(&mut self, at: &FieldPath, p: &Pool) {
        let Some(text) = &p.kubernetes_version else {
            return;
        };
        let at = at.key("kubernetesVersion");
        let Some(v) = aks::parse_k8s_version(text) else {
            self.push(
                Diagnostic::error(
                    codes::KUBERNETES_VERSION,
                    at,
                    format!("kubernetesVersion '{text}' is not MAJOR.MINOR, e.g. \"1.32\""),
                )
                .with_hint("write the version in quotes, e.g. kubernetesVersion: \"1.32\""),
            );
            return;
        };
        let Some(cp) = self.version else { return };
        if let Some(msg) = aks::pool_skew_error(v, cp) {
            self.push(
                Diagnostic::error(codes::AKS_VERSION_SKEW, at, msg).with_hint(
                    "a pool runs the control plane's minor or one of the three before it",
                ),
            );
        }
    }

    /// The Kubernetes version a pool runs: its own, else the control plane's.
    fn pool_k8s(&self, p: &Pool) -> Option<aks::K8sVersion> {
        match &p.kubernetes_version {
            Some(t) => aks::parse_k8s_version(t),
            None => self.version,
        }
    }

    fn pool_count(&mut self, at: &FieldPath, p: &Pool) {
        match (p.count, p.autoscale) {
            (None, None) => self.push(
                Diagnostic::error(
                    codes::POOL_COUNT,
                    at.key("count"),
                    format!("pool '{}' has neither count nor autoscale", p.name),
                )
                .with_hint("add count: 3, or autoscale: {min: 1, max: 5}"),
            ),
            (_, Some(a)) if a.min > a.max => self.push(Diagnostic::error(
                codes::POOL_COUNT,
                at.key("autoscale").key("min"),
                format!("autoscale min {} is above max {}", a.min, a.max),
            )),
            (Some(Count::Fixed(n)), Some(a)) if n < a.min || n > a.max => self.push(
                Diagnostic::error(
                    codes::AKS_COUNT_RANGE,
                    at.key("count"),
                    format!(
                        "count {n} is outside autoscale min {} - max {}",
                        a.min, a.max
                    ),
                )
                .with_hint("the initial node count must lie within the autoscaler's bounds"),
            ),
            _ => {}
        }
        if self.aks {
            if let Some(n) = max_nodes(p).filter(|n| *n > u64::from(aks::MAX_NODES_PER_POOL)) {
                let field = if p.autoscale.is_some() {
                    at.key("autoscale").key("max")
                } else {
                    at.key("count")
                };
                self.push(Diagnostic::error(
                    codes::AKS_POOL_NODES,
                    field,
                    format!(
                        "pool '{}' can grow to {n} nodes; AKS allows at most {} per pool",
                        p.name,
                        aks::MAX_NODES_PER_POOL
                    ),
                ));
            }
        }
    }

    fn pool_size(&mut self, at: &FieldPath, p: &Pool) {
        let at = at.key("vmSize");
        match &p.vm_size {
            VmSize::Inline(v) => {
                if v.cpu == Cpu(0) {
                    self.push(Diagnostic::error(
                        codes::VALUE_ZERO_SIZE,
                        at.key("cpu"),
                        "a node with zero CPU",
                    ));
                }
                if v.memory == Bytes(0) {
                    self.push(Diagnostic::error(
                        codes::VALUE_ZERO_SIZE,
                        at.key("memory"),
                        "a node with zero memory",
                    ));
                }
                if let Some(price) = v.price_per_hour.filter(|x| !x.is_finite() || *x < 0.0) {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("pricePerHour"),
                        format!("pricePerHour {price} is not a price"),
                    ));
                }
            }
            VmSize::Candidates(c) if c.is_empty() => self.push(Diagnostic::error(
                codes::VALUE_RANGE,
                at,
                "an empty list of candidate VM sizes",
            )),
            VmSize::Named(n) if n.is_empty() => self.push(Diagnostic::error(
                codes::VALUE_RANGE,
                at,
                "an empty VM size name",
            )),
            VmSize::Auto(r) => self.vm_requirements(&at, p, r),
            _ => {}
        }
    }

    /// `vmSize: auto` / requirements: ranges are ordered and some catalog size of the
    /// region meets them (and AKS's rules for the pool).
    fn vm_requirements(&mut self, at: &FieldPath, p: &Pool, r: &crate::scenario::VmRequirements) {
        let bad = |field: &str, lo: String, hi: String| {
            Diagnostic::error(
                codes::VALUE_RANGE,
                at.key(field),
                format!("min {lo} is above max {hi}"),
            )
        };
        let mut found = Vec::new();
        if let Some((lo, hi)) = r.vcpu.and_then(|b| b.min.zip(b.max)).filter(|(l, h)| l > h) {
            found.push(bad("vcpu", lo.to_string(), hi.to_string()));
        }
        for (field, b) in [("memory", r.memory), ("memoryPerVcpu", r.memory_per_vcpu)] {
            if let Some((lo, hi)) = b.and_then(|b| b.min.zip(b.max)).filter(|(l, h)| l > h) {
                found.push(bad(field, lo.to_string(), hi.to_string()));
            }
        }
        if let Some((lo, hi)) = r.gpus.and_then(|b| b.min.zip(b.max)).filter(|(l, h)| l > h) {
            found.push(bad("gpus", lo.to_string(), hi.to_string()));
        }
        let ranges_ok = found.is_empty();
        for d in found {
            self.push(d);
        }
        if !ranges_ok {
            return;
        }
        let region = self.s.cluster.region.as_deref().unwrap_or("eastus");
        let price_os = if p.azure_hybrid_benefit {
            Os::Linux
        } else {
            p.os
        };
        let n = crate::catalog::select::candidates(
            self.catalog,
            r,
            p.os,
            p.mode,
            region,
            price_os,
            self.aks,
        )
        .len();
        if n == 0 {
            self.push(
                Diagnostic::error(
                    codes::REF_VM_SIZE,
                    at.clone(),
                    format!(
                        "no VM size of the catalog priced in {region} meets these requirements for a {} {:?} pool",
                        p.os.label(),
                        p.mode
                    ),
                )
                .with_hint("widen the families or the vcpu/memory ranges; `poolcast catalog skus --region REGION` lists the sizes"),
            );
        }
    }

    fn aks_pool(&mut self, at: &FieldPath, p: &Pool) {
        let plugin = self.s.cluster.network_plugin;
        let limit = aks::pool_name_max_len(p.os);
        match aks::check_pool_name(&p.name, p.os) {
            Ok(()) | Err(aks::PoolNameError::Empty) => {}
            Err(aks::PoolNameError::TooLong { len, max, .. }) => {
                let (code, os) = match p.os {
                    Os::Windows => (codes::AKS_WINDOWS_POOL_NAME, "Windows"),
                    Os::Linux => (codes::AKS_POOL_NAME, "Linux"),
                };
                self.push(
                    Diagnostic::error(
                        code,
                        at.key("name"),
                        format!(
                            "{os} pool name '{}' is {len} characters; AKS allows 1-{max}",
                            p.name
                        ),
                    )
                    .with_hint(format!(
                        "shorten it, e.g. '{}'",
                        suggest_pool_name(&p.name, limit)
                    )),
                );
            }
            Err(e) => self.push(
                Diagnostic::error(codes::AKS_POOL_NAME, at.key("name"), e.to_string()).with_hint(
                    format!(
                        "lowercase letters and digits, starting with a letter, e.g. '{}'",
                        suggest_pool_name(&p.name, limit)
                    ),
                ),
            ),
        }
        if p.mode == PoolMode::System && p.os == Os::Windows {
            self.push(
                Diagnostic::error(
                    codes::AKS_SYSTEM_POOL_OS,
                    at.key("mode"),
                    format!(
                        "System pool '{}' is Windows; AKS System pools must be Linux",
                        p.name
                    ),
                )
                .with_hint("make this pool mode: User and add a Linux System pool"),
            );
        }
        self.aks_max_pods(at, p);
        if p.mode == PoolMode::System && min_nodes(p) == 0 {
            self.push(Diagnostic::error(
                codes::AKS_SYSTEM_POOL_SIZE,
                at.key(if p.autoscale.is_some() {
                    "autoscale"
                } else {
                    "count"
                }),
                format!(
                    "System pool '{}' can have no nodes; it needs at least one",
                    p.name
                ),
            ));
        }
        let sku = self
            .pool_k8s(p)
            .map(|v| p.os_sku.unwrap_or(aks::default_os_sku(p.os, v)))
            .filter(|s| s.os() == p.os);
        if !aks::plugin_supports_os(plugin, p.os) {
            self.push(
                Diagnostic::error(
                    codes::AKS_WINDOWS_NETWORK,
                    at.key("os"),
                    format!(
                        "Windows pool '{}' on network plugin {plugin:?}; Windows nodes need Azure CNI",
                        p.name
                    ),
                )
                .with_hint("set cluster.networkPlugin: azure-cni-overlay"),
            );
        } else if let Some(sku) = sku.filter(|s| !aks::os_sku_supports_plugin(*s, plugin)) {
            self.push(Diagnostic::error(
                codes::AKS_WINDOWS_NETWORK,
                at.key("osSku"),
                format!("{sku:?} pools are not supported with network plugin {plugin:?}"),
            ));
        }
        if let (Some(sku), Some(v)) = (p.os_sku, self.pool_k8s(p)) {
            let support = aks::os_sku_versions(sku);
            let show = |(a, b): (u32, u32)| format!("{a}.{b}");
            if let Some(u) = support.until.filter(|u| v >= *u) {
                self.push(
                    Diagnostic::error(
                        codes::AKS_WINDOWS_VERSION,
                        at.key("osSku"),
                        format!(
                            "{sku:?} pools are not offered on Kubernetes {} and later (cluster is {})",
                            show(u),
                            show(v)
                        ),
                    )
                    .with_hint(format!(
                        "use kubernetesVersion below {}, or a newer Windows SKU (upgrading Windows means a new pool)",
                        show(u)
                    )),
                );
            }
            if let Some(f) = support.from.filter(|f| v < *f) {
                self.push(
                    Diagnostic::error(
                        codes::AKS_WINDOWS_VERSION,
                        at.key("osSku"),
                        format!(
                            "{sku:?} pools need Kubernetes {} or later (cluster is {})",
                            show(f),
                            show(v)
                        ),
                    )
                    .with_hint(format!("use kubernetesVersion \"{}\" or later", show(f))),
                );
            }
        }
        self.aks_vm_size(at, p);
    }

    /// maxPods within AKS's bounds (10-250, System pools from 30), and room for at least
    /// 30 pods in a pool whose maxPods is below 30 ("10 only if each pool holds >= 30
    /// pods").
    fn aks_max_pods(&mut self, at: &FieldPath, p: &Pool) {
        let plugin = self.s.cluster.network_plugin;
        let bounds = aks::max_pods_bounds(p.mode);
        let max_pods = p.max_pods.unwrap_or_else(|| aks::default_max_pods(plugin));
        if !bounds.contains(&max_pods) {
            let whose = match p.mode {
                PoolMode::System => "for a System pool ",
                PoolMode::User => "",
            };
            let (field, hint) = match p.max_pods {
                Some(_) => (
                    at.key("maxPods"),
                    format!(
                        "leave it out for the {plugin:?} default of {}",
                        aks::default_max_pods(plugin)
                    ),
                ),
                None => (
                    at.key("maxPods"),
                    format!("{plugin:?} defaults to {max_pods}; set maxPods explicitly"),
                ),
            };
            self.push(
                Diagnostic::error(
                    codes::AKS_MAX_PODS,
                    field,
                    format!(
                        "maxPods {max_pods} is outside AKS's {}-{} {whose}",
                        bounds.start(),
                        bounds.end()
                    )
                    .trim_end()
                    .to_owned(),
                )
                .with_hint(hint),
            );
            return;
        }
        let slots = u64::from(max_pods);
        let most = max_nodes(p).unwrap_or(1);
        if slots < MIN_POOL_POD_SLOTS && most > 0 && slots * most < MIN_POOL_POD_SLOTS {
            self.push(Diagnostic::error(
                codes::AKS_MAX_PODS,
                at.key("maxPods"),
                format!(
                    "maxPods {max_pods} with at most {most} node(s) leaves room for fewer than {MIN_POOL_POD_SLOTS} pods, which AKS refuses"
                ),
            ));
        }
    }

    /// The SKU exists in the catalog and is big enough for the pool's mode.
    fn aks_vm_size(&mut self, at: &FieldPath, p: &Pool) {
        let names: Vec<(FieldPath, &str)> = match &p.vm_size {
            VmSize::Named(n) => vec![(at.key("vmSize"), n.as_str())],
            VmSize::Candidates(c) => c
                .iter()
                .enumerate()
                .map(|(i, n)| (at.key("vmSize").index(i), n.as_str()))
                .collect(),
            VmSize::Inline(i) => {
                if i.price_per_hour.is_none() {
                    self.push(
                        Diagnostic::warning(
                            codes::PRICE_UNPRICED,
                            at.key("vmSize"),
                            "the inline VM size has no pricePerHour: its nodes are unpriced and every cost that includes them says so",
                        )
                        .with_hint("add pricePerHour (USD per node-hour) to the inline size"),
                    );
                }
                Vec::new()
            }
            VmSize::Auto(_) => Vec::new(),
        };
        for (field, name) in names {
            match self.catalog.vm_sku(name) {
                None if self.catalog.name_only_vm_size(name).is_some() => {
                    self.push(
                        Diagnostic::error(
                            codes::REF_VM_SIZE,
                            field,
                            format!(
                                "VM size '{name}' is known to Azure but the catalog has no specs for it (vCPUs, memory)"
                            ),
                        )
                        .with_hint("give the size inline as {name, cpu, memory, pricePerHour}"),
                    );
                }
                None => {
                    let all: Vec<&str> = self.catalog.vm_skus().map(|s| s.name.as_str()).collect();
                    let d = Diagnostic::error(
                        codes::REF_VM_SIZE,
                        field,
                        format!("VM size '{name}' is not in the catalog"),
                    );
                    let d = match crate::load::did_you_mean(name, &all) {
                        Some(m) => d.with_hint(format!("did you mean '{m}'? Or give the size inline as {{cpu, memory, pricePerHour}}")),
                        None => d.with_hint("give the size inline as {cpu, memory, pricePerHour}, or pick one from the catalog"),
                    };
                    self.push(d);
                }
                Some(sku) if !aks::vm_size_allowed(sku.vcpu, sku.memory, &sku.family, p.mode) => {
                    let (cpu, mem) = match p.mode {
                        PoolMode::System => aks::MIN_SYSTEM_VM,
                        PoolMode::User => aks::MIN_USER_VM,
                    };
                    self.push(Diagnostic::error(
                        codes::AKS_VM_SIZE,
                        field,
                        format!(
                            "{} ({} vCPU, {}) is below AKS's minimum for a {:?} pool: {cpu} vCPU, {mem}{}",
                            sku.name,
                            sku.vcpu,
                            sku.memory,
                            p.mode,
                            if p.mode == PoolMode::System { ", not B-series" } else { "" }
                        ),
                    ));
                }
                Some(sku) => self.unpriced(field, p, sku),
            }
        }
    }

    /// A catalog size without a price for the pool's OS in the cluster's region: a
    /// warning, and "unpriced" in every cost the run reports (never a silent 0).
    fn unpriced(&mut self, field: FieldPath, p: &Pool, sku: &crate::catalog::VmSku) {
        let region = self.s.cluster.region.as_deref().unwrap_or("eastus");
        // Azure Hybrid Benefit: Windows nodes at the Linux rate.
        let os = if p.azure_hybrid_benefit {
            crate::scenario::Os::Linux
        } else {
            p.os
        };
        if sku.price(region, os).is_some() {
            return;
        }
        let why = if sku.prices.contains_key(region) {
            format!("the price sources give no {os:?} price for it there")
        } else {
            "Azure publishes no price for it there (it may not be offered in the region)".to_owned()
        };
        self.push(
            Diagnostic::warning(
                codes::PRICE_UNPRICED,
                field,
                format!(
                    "{} has no {os:?} pay-as-you-go price in {region}: {why}; its nodes are unpriced and every cost that includes them says so",
                    sku.name
                ),
            )
            .with_hint("pick a size priced in the region (`poolcast catalog skus --region REGION`), or give the size inline with pricePerHour"),
        );
    }

    fn images(&mut self) {
        let s = self.s;
        duplicates(
            s.images.iter().map(|i| i.name.as_str()),
            "images",
            "image",
            &mut self.out,
        );
        for (i, img) in s.images.iter().enumerate() {
            let at = root().key("images").index(i);
            if let Some(key) = &img.catalog {
                // OS and build come from the catalog entry unless given here.
                match self.catalog.image(key) {
                    None => {
                        let keys: Vec<&str> =
                            self.catalog.images().map(|c| c.key.as_str()).collect();
                        let d = Diagnostic::error(
                            codes::REF_CATALOG_IMAGE,
                            at.key("catalog"),
                            format!("'{key}' is not in the image catalog"),
                        );
                        self.push(with_suggestion(d, key, &keys, "catalog images"));
                    }
                    Some(c) if img.os.is_some_and(|os| os != c.os) => self.push(
                        Diagnostic::error(
                            codes::IMAGE_OS,
                            at.key("os"),
                            format!(
                                "os {} contradicts catalog image '{key}', which is {}",
                                img.os.map_or("", Os::label),
                                c.os
                            ),
                        )
                        .with_hint("remove os: the catalog gives it"),
                    ),
                    Some(_) => {}
                }
                if let Some(b) = &img.os_build {
                    self.os_build(&at, img, b);
                }
                self.platforms(&at, img);
                continue;
            }
            self.platforms(&at, img);
            match (img.os, &img.os_build) {
                (None, _) => self.push(
                    Diagnostic::error(
                        codes::IMAGE_OS,
                        at.key("os"),
                        format!("image '{}' has no os", img.name),
                    )
                    .with_hint("add os: linux or os: windows, or catalog: <key>"),
                ),
                (Some(Os::Windows), None) => self.push(
                    Diagnostic::error(
                        codes::IMAGE_OS_BUILD,
                        at.key("osBuild"),
                        format!("Windows image '{}' has no osBuild", img.name),
                    )
                    .with_hint(
                        "Windows hosts run only matching builds: add osBuild: \"10.0.17763\" (ltsc2019), \"10.0.20348\" (ltsc2022) or \"10.0.26100\" (ltsc2025)",
                    ),
                ),
                (Some(_), Some(b)) => self.os_build(&at, img, b),
                (Some(Os::Linux), None) => {}
            }
        }
    }

    /// Each further platform's `osBuild`, checked like the image's own; a Windows platform
    /// may omit it (any build, as HostProcess images are published).
    fn platforms(&mut self, at: &FieldPath, img: &Image) {
        for (j, p) in img.platforms.iter().enumerate() {
            let Some(b) = &p.os_build else { continue };
            let at = at.key("platforms").index(j).key("osBuild");
            if p.os == Os::Linux {
                self.push(Diagnostic::error(
                    codes::IMAGE_OS_BUILD,
                    at,
                    format!(
                        "platform {j} of image '{}' is Linux; osBuild applies to Windows platforms only",
                        img.name
                    ),
                ));
            } else if parse_windows_build(b).is_none() {
                self.push(
                    Diagnostic::error(
                        codes::IMAGE_OS_BUILD,
                        at,
                        format!("osBuild '{b}' is not a Windows version like 10.0.17763"),
                    )
                    .with_hint("write it in quotes: osBuild: \"10.0.20348\""),
                );
            }
        }
    }

    fn os_build(&mut self, at: &FieldPath, img: &Image, b: &str) {
        if img.os == Some(Os::Linux) {
            self.push(Diagnostic::error(
                codes::IMAGE_OS_BUILD,
                at.key("osBuild"),
                format!(
                    "image '{}' is Linux; osBuild applies to Windows images only",
                    img.name
                ),
            ));
        } else if parse_windows_build(b).is_none() {
            self.push(
                Diagnostic::error(
                    codes::IMAGE_OS_BUILD,
                    at.key("osBuild"),
                    format!("osBuild '{b}' is not a Windows version like 10.0.17763"),
                )
                .with_hint("write it in quotes: osBuild: \"10.0.20348\""),
            );
        }
    }

    fn image_names(&self) -> Vec<&str> {
        self.s.images.iter().map(|i| i.name.as_str()).collect()
    }

    /// `nodeImage`: a Windows node-image version must name its patch build
    /// (`<build>.<revision>.<yymmdd>`) of the pool's Windows build; cached images must
    /// resolve like `prePulledImages`.
    fn pool_node_image(&mut self, at: &FieldPath, p: &Pool) {
        let Some(ni) = &p.node_image else { return };
        if let Some(v) = &ni.version {
            let want = p
                .os_sku
                .and_then(|s| s.windows_build())
                .filter(|_| p.os == Os::Windows);
            match (crate::catalog::images::parse_node_image_version(v), want) {
                (Some((b, _)), Some(w)) if b != w => self.push(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        at.key("nodeImage").key("version"),
                        format!("node image {v} is for Windows build {b}, the pool runs {w}"),
                    )
                    .with_hint(
                        "the version's first number is the Windows build: 17763, 20348, 26100",
                    ),
                ),
                (None, _) if p.os == Os::Windows => self.push(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        at.key("nodeImage").key("version"),
                        format!("'{v}' is not a Windows node-image version"),
                    )
                    .with_hint(
                        "write it as the kubernetes.azure.com/node-image-version label does, \
                         e.g. AKSWindows-2022-containerd-20348.5386.260715",
                    ),
                ),
                _ => {}
            }
        }
        for (j, r) in ni.cached_images.iter().flatten().enumerate() {
            self.check_image_ref(at.key("nodeImage").key("cachedImages").index(j), r);
        }
    }

    fn check_image_ref(&mut self, at: FieldPath, name: &str) {
        let names = self.image_names();
        if !names.contains(&name) && self.catalog.image(name).is_none() {
            let d = Diagnostic::error(
                codes::REF_IMAGE,
                at,
                format!("image '{name}' is neither listed under images nor a catalog image"),
            );
            let d = with_suggestion(d, name, &names, "images");
            self.push(d);
        }
    }

    fn workloads(&mut self) {
        let s = self.s;
        duplicates(
            s.workloads.iter().map(|w| w.name.as_str()),
            "workloads",
            "workload",
            &mut self.out,
        );
        let classes: BTreeSet<&str> = s
            .priority_classes
            .iter()
            .map(|c| c.name.as_str())
            .chain(BUILTIN_PRIORITY_CLASSES)
            .collect();
        for (i, w) in s.workloads.iter().enumerate() {
            let at = root().key("workloads").index(i);
            self.check_image_ref(at.key("image"), &w.image);
            for (j, e) in w.extra_images.iter().enumerate() {
                self.check_image_ref(at.key("extraImages").index(j), e);
            }
            if let Some(pc) = &w.priority_class_name {
                if !classes.contains(pc.as_str()) {
                    let names: Vec<&str> = classes.iter().copied().collect();
                    let d = Diagnostic::error(
                        codes::REF_PRIORITY_CLASS,
                        at.key("priorityClassName"),
                        format!("no PriorityClass is named '{pc}'"),
                    );
                    self.push(with_suggestion(d, pc, &names, "priorityClasses"));
                }
            }
            self.workload_spec(&at, w);
        }
    }

    fn workload_spec(&mut self, at: &FieldPath, w: &Workload) {
        match (w.kind, w.replicas) {
            (WorkloadKind::DaemonSet, Some(_)) => self.push(
                Diagnostic::error(
                    codes::WORKLOAD_SPEC,
                    at.key("replicas"),
                    "a DaemonSet has no replicas: it runs one pod per matching node",
                )
                .with_hint("remove replicas, or use kind: Deployment"),
            ),
            (_, Some(r)) if u64::from(r) > MAX_REPLICAS => {
                self.push(replicas_limit(at.key("replicas"), r))
            }
            _ => {}
        }
        if let Some(l) = &w.limits {
            for (field, req, lim) in resource_pairs(&w.requests, l) {
                self.push(
                    Diagnostic::error(
                        codes::WORKLOAD_SPEC,
                        at.key("requests").key(field),
                        format!("request {field} is above its limit ({req} > {lim})"),
                    )
                    .with_hint("Kubernetes refuses a request above its limit"),
                );
            }
        }
        if let Some(a) = &w.arrival {
            let at = at.key("arrival");
            if a.at.is_some() && a.poisson.is_some() {
                self.push(Diagnostic::error(
                    codes::WORKLOAD_SPEC,
                    at.key("poisson"),
                    "arrival has both at and poisson; give one",
                ));
            }
            if let Some(p) = &a.poisson {
                let at = at.key("poisson");
                if !p.rate_per_minute.is_finite() || p.rate_per_minute <= 0.0 {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("ratePerMinute"),
                        format!(
                            "ratePerMinute {} must be a positive number",
                            p.rate_per_minute
                        ),
                    ));
                } else if p.rate_per_minute > MAX_REPLICAS as f64 {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("ratePerMinute"),
                        format!(
                            "ratePerMinute {} is above {MAX_REPLICAS}",
                            p.rate_per_minute
                        ),
                    ));
                }
                if let (Some(f), Some(u)) = (p.from, p.until) {
                    if f > u {
                        self.push(Diagnostic::error(
                            codes::VALUE_RANGE,
                            at.key("from"),
                            format!("poisson from {f} is after until {u}"),
                        ));
                    }
                }
            }
        }
        for (j, t) in w.topology_spread_constraints.iter().enumerate() {
            let at = at.key("topologySpreadConstraints").index(j);
            if t.max_skew < 1 {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("maxSkew"),
                    format!("maxSkew {} must be at least 1", t.max_skew),
                ));
            }
            if t.min_domains.is_some_and(|m| m < 1) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("minDomains"),
                    "minDomains must be at least 1",
                ));
            }
        }
        if let Some(aff) = &w.affinity {
            let at = at.key("affinity");
            if let Some(na) = &aff.node_affinity {
                for (j, t) in na
                    .preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .enumerate()
                {
                    self.weight(
                        at.key("nodeAffinity")
                            .key("preferredDuringSchedulingIgnoredDuringExecution")
                            .index(j)
                            .key("weight"),
                        t.weight,
                    );
                }
            }
            for (key, pa) in [
                ("podAffinity", &aff.pod_affinity),
                ("podAntiAffinity", &aff.pod_anti_affinity),
            ] {
                if let Some(pa) = pa {
                    for (j, t) in pa
                        .preferred_during_scheduling_ignored_during_execution
                        .iter()
                        .enumerate()
                    {
                        self.weight(
                            at.key(key)
                                .key("preferredDuringSchedulingIgnoredDuringExecution")
                                .index(j)
                                .key("weight"),
                            t.weight,
                        );
                    }
                }
            }
        }
    }

    fn weight(&mut self, at: FieldPath, w: i32) {
        if !(1..=100).contains(&w) {
            self.push(Diagnostic::error(
                codes::VALUE_RANGE,
                at,
                format!("weight {w} is outside 1-100"),
            ));
        }
    }

    fn events(&mut self) {
        let s = self.s;
        if s.events.len() > MAX_EVENTS {
            self.push(Diagnostic::error(
                codes::LIMIT_EVENTS,
                root().key("events"),
                format!("{} events; at most {MAX_EVENTS}", s.events.len()),
            ));
            return;
        }
        let workloads: BTreeMap<&str, &Workload> =
            s.workloads.iter().map(|w| (w.name.as_str(), w)).collect();
        let pools: BTreeSet<&str> = s.pools.iter().map(|p| p.name.as_str()).collect();
        for (i, e) in s.events.iter().enumerate() {
            let at = root().key("events").index(i);
            self.event(&at, e, &workloads, &pools);
        }
    }

    fn event(
        &mut self,
        at: &FieldPath,
        e: &Event,
        workloads: &BTreeMap<&str, &Workload>,
        pools: &BTreeSet<&str>,
    ) {
        let selections = [
            ("failNodes", &e.fail_nodes),
            ("cordon", &e.cordon),
            ("drain", &e.drain),
            ("addNodes", &e.add_nodes),
        ];
        let actions = usize::from(e.scale.is_some())
            + usize::from(e.upgrade.is_some())
            + selections.iter().filter(|(_, s)| s.is_some()).count();
        if actions != 1 {
            self.push(
                Diagnostic::error(
                    codes::EVENT_SPEC,
                    at.clone(),
                    format!("an event has exactly one action; this one has {actions}"),
                )
                .with_hint("actions: scale, failNodes, cordon, drain, addNodes, upgrade; split it into several events at the same time"),
            );
        }
        if e.at > self.s.sim.horizon {
            self.push(
                Diagnostic::warning(
                    codes::EVENT_AFTER_HORIZON,
                    at.key("at"),
                    format!(
                        "event at {} is after the horizon {}; it never happens",
                        e.at, self.s.sim.horizon
                    ),
                )
                .with_hint("move it earlier or raise sim.horizon"),
            );
        }
        if let Some(sc) = &e.scale {
            let at = at.key("scale");
            match workloads.get(sc.workload.as_str()) {
                None => {
                    let names: Vec<&str> = workloads.keys().copied().collect();
                    let d = Diagnostic::error(
                        codes::REF_WORKLOAD,
                        at.key("workload"),
                        format!("no workload is named '{}'", sc.workload),
                    );
                    self.push(with_suggestion(d, &sc.workload, &names, "workloads"));
                }
                Some(w) if w.kind == WorkloadKind::DaemonSet => self.push(Diagnostic::error(
                    codes::EVENT_SPEC,
                    at.key("workload"),
                    format!("'{}' is a DaemonSet; it cannot be scaled", sc.workload),
                )),
                Some(_) => {}
            }
            if u64::from(sc.replicas) > MAX_REPLICAS {
                self.push(replicas_limit(at.key("replicas"), sc.replicas));
            }
        }
        if let Some(u) = &e.upgrade {
            self.upgrade_event(&at.key("upgrade"), u, pools);
        }
        for (key, sel) in selections {
            let Some(sel) = sel else { continue };
            let at = at.key(key);
            if !pools.contains(sel.pool.as_str()) {
                self.push(self.unknown_pool(at.key("pool"), &sel.pool));
            }
            if sel.count == Some(0) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("count"),
                    "count 0 selects no node",
                ));
            } else if let Some(c) = sel.count.filter(|c| *c > aks::MAX_NODES_PER_POOL) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("count"),
                    format!("count {c} is more nodes than a pool can have"),
                ));
            }
        }
    }

    /// The `upgrade` event's own fields. Whether AKS accepts the upgrade (OS SKU on the
    /// target version, version skew) is decided when it runs and reported as a blocker, as
    /// AKS refuses the operation rather than the file.
    fn upgrade_event(&mut self, at: &FieldPath, u: &UpgradeEvent, pools: &BTreeSet<&str>) {
        if !pools.contains(u.pool.as_str()) {
            self.push(self.unknown_pool(at.key("pool"), &u.pool));
        }
        if u.to != UPGRADE_TO_NODE_IMAGE && aks::parse_k8s_version(&u.to).is_none() {
            self.push(
                Diagnostic::error(
                    codes::EVENT_SPEC,
                    at.key("to"),
                    format!(
                        "upgrade to '{}' is neither MAJOR.MINOR nor node-image",
                        u.to
                    ),
                )
                .with_hint("write to: \"1.33\" or to: node-image"),
            );
        }
        match &u.max_surge {
            Some(IntOrPercent::Int(0)) => self.push(
                Diagnostic::error(codes::VALUE_RANGE, at.key("maxSurge"), "maxSurge 0")
                    .with_hint("AKS needs maxSurge above 0 when maxUnavailable is 0 (its default)"),
            ),
            Some(IntOrPercent::Percent(p)) => {
                // AKS's API field is a string: a count ("5") or a percentage ("33%").
                let ok = match p.strip_suffix('%') {
                    Some(n) => n.parse::<u32>().is_ok_and(|n| (1..=100).contains(&n)),
                    None => p.parse::<u32>().is_ok_and(|n| n >= 1),
                };
                if !ok {
                    self.push(
                        Diagnostic::error(
                            codes::VALUE_RANGE,
                            at.key("maxSurge"),
                            format!("maxSurge '{p}' is neither a node count of 1 or more nor a percentage from 1% to 100%"),
                        )
                        .with_hint("write maxSurge: 1 or maxSurge: 33%"),
                    );
                }
            }
            _ => {}
        }
        // AKS bounds (MicrosoftDocs/azure-aks-docs `upgrade-aks-node-pools-rolling.md`,
        // 2026-05-29): drain timeout 5 min to 24 h, soak 0 to 30 min.
        if let Some(d) = u.drain_timeout {
            if d < Duration::mins(5) || d > Duration::hours(24) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("drainTimeout"),
                    format!("drainTimeout {d} is outside AKS's 5m to 24h"),
                ));
            }
        }
        if let Some(d) = u.node_soak_duration {
            if d > Duration::mins(30) {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("nodeSoakDuration"),
                    format!("nodeSoakDuration {d} is over AKS's 30m"),
                ));
            }
        }
    }

    fn priority_classes(&mut self) {
        let s = self.s;
        duplicates(
            s.priority_classes.iter().map(|c| c.name.as_str()),
            "priorityClasses",
            "PriorityClass",
            &mut self.out,
        );
        let mut default_seen = false;
        for (i, c) in s.priority_classes.iter().enumerate() {
            let at = root().key("priorityClasses").index(i);
            if c.name.starts_with("system-") {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("name"),
                    format!(
                        "'{}': the system- prefix is reserved for built-in classes",
                        c.name
                    ),
                ));
            }
            if c.value > MAX_USER_PRIORITY {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("value"),
                    format!(
                        "value {} is above {MAX_USER_PRIORITY}, the highest a user class may use",
                        c.value
                    ),
                ));
            }
            if c.global_default {
                if default_seen {
                    self.push(Diagnostic::error(
                        codes::VALUE_RANGE,
                        at.key("globalDefault"),
                        "only one PriorityClass may be the global default",
                    ));
                }
                default_seen = true;
            }
        }
    }

    fn disruption_budgets(&mut self) {
        let s = self.s;
        duplicates(
            s.disruption_budgets.iter().map(|b| b.name.as_str()),
            "disruptionBudgets",
            "PodDisruptionBudget",
            &mut self.out,
        );
        for (i, b) in s.disruption_budgets.iter().enumerate() {
            let at = root().key("disruptionBudgets").index(i);
            if b.min_available.is_some() && b.max_unavailable.is_some() {
                self.push(Diagnostic::error(
                    codes::VALUE_RANGE,
                    at.key("maxUnavailable"),
                    "minAvailable and maxUnavailable cannot both be set",
                ));
            }
            for (key, v) in [
                ("minAvailable", &b.min_available),
                ("maxUnavailable", &b.max_unavailable),
            ] {
                if let Some(IntOrPercent::Percent(p)) = v {
                    let ok = p
                        .strip_suffix('%')
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| n <= 100);
                    if !ok {
                        self.push(Diagnostic::error(
                            codes::VALUE_RANGE,
                            at.key(key),
                            format!("'{p}' is not a percentage from 0% to 100%"),
                        ));
                    }
                }
            }
        }
    }

    fn registry(&mut self) {
        let Some(r) = &self.s.registry else { return };
        let names: Vec<String> = r.per_image.keys().cloned().collect();
        for name in names {
            self.check_image_ref(root().key("registry").key("perImage").key(&name), &name);
        }
    }

    fn sim(&mut self) {
        let sim = &self.s.sim;
        let at = root().key("sim");
        if sim.horizon == Duration::ZERO {
            self.push(Diagnostic::error(
                codes::LIMIT_HORIZON,
                at.key("horizon"),
                "horizon 0: nothing would happen",
            ));
        } else if sim.horizon > MAX_HORIZON {
            self.push(Diagnostic::error(
                codes::LIMIT_HORIZON,
                at.key("horizon"),
                format!("horizon {} is over the 30-day limit", sim.horizon),
            ));
        }
        if sim.replications == 0 || sim.replications > MAX_REPLICATIONS {
            self.push(Diagnostic::error(
                codes::LIMIT_REPLICATIONS,
                at.key("replications"),
                format!(
                    "replications {} is outside 1-{MAX_REPLICATIONS}",
                    sim.replications
                ),
            ));
        }
        if sim.sample_every == Some(Duration::ZERO) {
            self.push(Diagnostic::error(
                codes::VALUE_RANGE,
                at.key("sampleEvery"),
                "sampleEvery 0 would sample without end",
            ));
        } else if let Some(every) = sim.sample_every.filter(|d| *d != Duration::ZERO) {
            let samples = sim.horizon.as_ms() / every.as_ms();
            if samples > MAX_SAMPLES {
                self.push(
                    Diagnostic::error(
                        codes::LIMIT_SAMPLES,
                        at.key("sampleEvery"),
                        format!(
                            "sampleEvery {every} over horizon {} takes {samples} samples; \
                             the limit is {MAX_SAMPLES}",
                            sim.horizon
                        ),
                    )
                    .with_hint("sample less often, e.g. sampleEvery: 1m"),
                );
            }
        }
    }

    /// The most pods the scenario can create: per workload its largest replica count over
    /// the spec and its scale events, Poisson arrivals without replicas estimated from rate
    /// and window, DaemonSets one per node.
    fn totals(&mut self) {
        let s = self.s;
        let mut scale_max: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &s.events {
            if let Some(sc) = &e.scale {
                let m = scale_max.entry(sc.workload.as_str()).or_default();
                *m = (*m).max(u64::from(sc.replicas));
            }
        }
        let nodes: u64 = s.pools.iter().map(|p| max_nodes(p).unwrap_or(0)).sum();
        let mut total: u64 = 0;
        for w in &s.workloads {
            let own = match (w.kind, w.replicas, w.arrival.and_then(|a| a.poisson)) {
                (WorkloadKind::DaemonSet, _, _) => nodes,
                (_, Some(r), _) => u64::from(r),
                (_, None, Some(p)) if p.rate_per_minute.is_finite() && p.rate_per_minute > 0.0 => {
                    let from = p.from.unwrap_or(Duration::ZERO);
                    let until = p.until.unwrap_or(s.sim.horizon);
                    let minutes = until.as_ms().saturating_sub(from.as_ms()) as f64 / 60_000.0;
                    let est = (p.rate_per_minute * minutes).ceil();
                    if est >= u64::MAX as f64 {
                        u64::MAX
                    } else {
                        est as u64
                    }
                }
                _ => 1,
            };
            let peak = own.max(scale_max.get(w.name.as_str()).copied().unwrap_or(0));
            total = total.saturating_add(peak);
        }
        if total > MAX_TOTAL_PODS {
            self.push(
                Diagnostic::error(
                    codes::LIMIT_TOTAL_PODS,
                    root().key("workloads"),
                    format!("the workloads can create about {total} pods; the limit is {MAX_TOTAL_PODS}"),
                )
                .with_hint("check replicas and Poisson rates for a typo"),
            );
        }
    }

    /// Warnings about where pods can and cannot land.
    fn placement(&mut self) {
        let s = self.s;
        let images: BTreeMap<&str, &Image> =
            s.images.iter().map(|i| (i.name.as_str(), i)).collect();
        let labels: Vec<PoolLabels> = s
            .pools
            .iter()
            .map(|p| PoolLabels::of(s, p, self.version))
            .collect();
        for (i, w) in s.workloads.iter().enumerate() {
            let at = root().key("workloads").index(i);
            let image = self.image_info(images.get(w.image.as_str()).copied(), &w.image);
            let mut hosts: Vec<&Pool> = Vec::new();
            let mut no_nodes = 0;
            let mut tainted: BTreeMap<String, usize> = BTreeMap::new();
            let mut unselected = 0;
            let mut small = 0;
            for (p, l) in s.pools.iter().zip(&labels) {
                if max_nodes(p) == Some(0) {
                    no_nodes += 1;
                } else if let Some(t) = untolerated(w, p) {
                    let t = if t.value.is_empty() {
                        format!("{{{}}}", t.key)
                    } else {
                        format!("{{{}: {}}}", t.key, t.value)
                    };
                    *tainted.entry(t).or_default() += 1;
                } else if !selector_matches(w, l) {
                    unselected += 1;
                } else if !self.fits(&w.requests, p) {
                    small += 1;
                } else {
                    hosts.push(p);
                }
            }
            if hosts.is_empty() && !s.pools.is_empty() {
                let mut why: Vec<String> = Vec::new();
                if no_nodes > 0 {
                    why.push(format!("{no_nodes} pool(s) can have no nodes"));
                }
                for (t, n) in &tainted {
                    why.push(format!("{n} pool(s) had untolerated taint {t}"));
                }
                if unselected > 0 {
                    why.push(format!(
                        "{unselected} pool(s) didn't match the node affinity/selector"
                    ));
                }
                if small > 0 {
                    why.push(format!(
                        "{small} pool(s) have nodes smaller than the pod's requests"
                    ));
                }
                self.push(
                    Diagnostic::warning(
                        codes::NO_POOL,
                        at.clone(),
                        format!(
                            "no pool can ever host workload '{}': 0/{} pools are available: {}",
                            w.name,
                            s.pools.len(),
                            why.join(", ")
                        ),
                    )
                    .with_hint("add a toleration or fix the selector, or add a pool that matches"),
                );
            }
            let Some(&(os, _)) = image.first() else {
                continue;
            };
            let serves = |o: Os| image.iter().any(|(p, _)| *p == o);
            let wrong: Vec<&str> = hosts
                .iter()
                .filter(|p| !serves(p.os))
                .map(|p| p.name.as_str())
                .collect();
            if !wrong.is_empty() {
                let other = if os == Os::Windows {
                    Os::Linux
                } else {
                    Os::Windows
                };
                let what = if constrains_os(w) {
                    "its OS selector admits"
                } else {
                    "it has no kubernetes.io/os selector, and the scheduler can place it on"
                };
                self.push(
                    Diagnostic::warning(
                        codes::OS_SELECTOR_MISSING,
                        at.key("nodeSelector"),
                        format!(
                            "workload '{}' runs {os} image '{}' but {what} {other} pool(s) {}; the pull fails there (no match for platform in manifest)",
                            w.name,
                            w.image,
                            wrong.join(", ")
                        ),
                    )
                    .with_hint(format!("add nodeSelector: {{kubernetes.io/os: {os}}}")),
                );
            }
            // A build mismatch matters where the pods can land on Windows: always for a
            // Windows-only image, for a list that also serves Linux only when a Windows pool
            // can host the workload.
            let windows: Vec<Option<u32>> = image
                .iter()
                .filter(|(o, _)| *o == Os::Windows)
                .map(|(_, b)| *b)
                .collect();
            let lands_on_windows = !serves(Os::Linux) || hosts.iter().any(|p| p.os == Os::Windows);
            // A Windows platform without a build matches every host (HostProcess).
            let builds: Option<Vec<u32>> = windows.iter().copied().collect();
            if let Some(builds) = builds.filter(|b| !b.is_empty() && lands_on_windows) {
                self.os_build_match(&at, w, &builds);
            }
        }
    }

    /// The platforms (OS, Windows build) of an image, its own first: from the scenario's
    /// entry, completed by its `catalog:` key, or from the catalog by reference. Empty when
    /// the OS is unknown.
    fn image_info(&self, img: Option<&Image>, reference: &str) -> Vec<(Os, Option<u32>)> {
        match img {
            Some(img) => {
                let cat = img.catalog.as_deref().and_then(|k| self.catalog.image(k));
                let Some(os) = img.os.or(cat.map(|c| c.os)) else {
                    return Vec::new();
                };
                let build = match &img.os_build {
                    Some(b) => parse_windows_build(b),
                    None => cat.and_then(|c| c.windows_build()),
                };
                let mut out = vec![(os, build.filter(|_| os == Os::Windows))];
                out.extend(img.platforms.iter().map(|p| {
                    let b = p.os_build.as_deref().and_then(parse_windows_build);
                    (p.os, b.filter(|_| p.os == Os::Windows))
                }));
                out
            }
            None => self
                .catalog
                .image(reference)
                .map(|c| vec![(c.os, c.windows_build())])
                .unwrap_or_default(),
        }
    }

    /// Whether requests fit one node of the pool, when its size is known (inline or from
    /// the catalog; for candidate lists, any candidate). Raw VM capacity, before
    /// reservations: a pod refused here can never run there.
    fn fits(&self, req: &Resources, p: &Pool) -> bool {
        let fit = |cpu: Cpu, mem: Bytes| {
            req.cpu.is_none_or(|c| c <= cpu) && req.memory.is_none_or(|m| m <= mem)
        };
        let named = |n: &str| {
            self.catalog
                .vm_sku(n)
                .is_none_or(|s| fit(Cpu::cores(u64::from(s.vcpu)), s.memory))
        };
        match &p.vm_size {
            VmSize::Inline(v) => fit(v.cpu, v.memory),
            VmSize::Named(n) => named(n),
            VmSize::Candidates(c) => c.is_empty() || c.iter().any(|n| named(n)),
            VmSize::Auto(_) => true,
        }
    }

    /// Warns when no Windows pool runs any of the image's Windows `builds`.
    fn os_build_match(&mut self, at: &FieldPath, w: &Workload, builds: &[u32]) {
        let Some(version) = self.version else { return };
        let windows: Vec<(&str, u32)> = self
            .s
            .pools
            .iter()
            .filter(|p| p.os == Os::Windows)
            .filter_map(|p| {
                let sku = p.os_sku.unwrap_or(aks::default_os_sku(p.os, version));
                sku.windows_build().map(|b| (p.name.as_str(), b))
            })
            .collect();
        if windows
            .iter()
            .any(|(_, host)| builds.iter().any(|b| windows_build_runs(*host, *b)))
        {
            return;
        }
        let build = builds
            .iter()
            .map(|b| format!("10.0.{b}"))
            .collect::<Vec<_>>()
            .join(" or ");
        let pools = if windows.is_empty() {
            "there is no Windows pool".to_owned()
        } else {
            windows
                .iter()
                .map(|(n, b)| format!("'{n}' is 10.0.{b}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.push(
            Diagnostic::warning(
                codes::OS_BUILD_MISMATCH,
                at.key("image"),
                format!(
                    "workload '{}' runs image '{}' built for Windows {build}, which no Windows pool can run: {pools}",
                    w.name, w.image
                ),
            )
            .with_hint(
                "process isolation needs the host's build (Windows Server 2022 and later also run 20348-based images); add a pool with the matching osSku or rebuild the image",
            ),
        );
    }
}

fn replicas_limit(at: FieldPath, r: u32) -> Diagnostic {
    Diagnostic::error(
        codes::LIMIT_REPLICAS,
        at,
        format!("replicas {r} is above the limit of {MAX_REPLICAS}"),
    )
    .with_hint("check for a typo")
}

/// The resources whose request is above its limit: (field, request, limit).
fn resource_pairs(req: &Resources, lim: &Resources) -> Vec<(&'static str, String, String)> {
    let mut v = Vec::new();
    if let (Some(r), Some(l)) = (req.cpu, lim.cpu) {
        if r > l {
            v.push(("cpu", r.to_string(), l.to_string()));
        }
    }
    if let (Some(r), Some(l)) = (req.memory, lim.memory) {
        if r > l {
            v.push(("memory", r.to_string(), l.to_string()));
        }
    }
    if let (Some(r), Some(l)) = (req.ephemeral_storage, lim.ephemeral_storage) {
        if r > l {
            v.push(("ephemeralStorage", r.to_string(), l.to_string()));
        }
    }
    v
}

/// A pool name AKS would accept, derived from `name`.
fn suggest_pool_name(name: &str, limit: usize) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .skip_while(|c| c.is_ascii_digit())
        .take(limit)
        .collect();
    if s.is_empty() {
        s.push('p');
    }
    s
}

fn with_suggestion(d: Diagnostic, name: &str, names: &[&str], list: &str) -> Diagnostic {
    match crate::load::did_you_mean(name, names) {
        Some(m) => d.with_hint(format!("did you mean '{m}'?")),
        None if names.is_empty() => d.with_hint(format!("{list} is empty")),
        None => d.with_hint(format!("known {list}: {}", names.join(", "))),
    }
}

#[cfg(test)]
mod tests;

//! Scenario -> engine state: the image and layer tables, the pod templates of every
//! workload (scenario and AKS system), the node template of every pool (labels, taints,
//! allocatable, kubelet parameters, node-image cache) and the run settings.
//!
//! Nodes themselves are stamped from their pool's template by the engine (`run`), at time
//! zero and when a scenario event adds nodes, so both paths name, label and size nodes
//! the same way. All Azure/AKS numbers come from `poolcast_model::catalog`.

use std::collections::BTreeMap;

use poolcast_model::catalog::{self, Catalog};
use poolcast_model::scenario::{
    Count, IoProfile, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement,
    NodeSelectorTerm, Os, OsSku, PoolMode, PreemptionPolicy, PreferredSchedulingTerm, Provider,
    Scenario, SystemPods, Taint, TaintEffect, Toleration, TolerationOperator, Workload,
    WorkloadKind,
};

use crate::cluster::{
    Cluster, ImageId, ImageInfo, ImagePlatform, Owner, PodSpec, PoolId, Res, SpecId,
    DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST,
};
use crate::kubelet::{KubeletParams, LayerInfo, LayerTable};
use crate::outcome::Assumption;
use crate::scheduler::SchedulerSettings;
use crate::SimError;

/// `system-node-critical` (`pkg/apis/scheduling/types.go`, `SystemCriticalPriority + 1000`).
pub const SYSTEM_NODE_CRITICAL_PRIORITY: i32 = 2_000_001_000;
/// `system-cluster-critical` (`SystemCriticalPriority`).
pub const SYSTEM_CLUSTER_CRITICAL_PRIORITY: i32 = 2_000_000_000;
/// `DefaultTolerationSeconds` admission plugin: 300 s for not-ready and unreachable.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
/// Default time-series sample interval.
pub const DEFAULT_SAMPLE_EVERY_MS: u64 = 30_000;

/// When a workload's pods are created.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArrivalPlan {
    /// All at once.
    At(u64),
    /// Evenly over `over` ms from `start`.
    Over {
        /// First pod.
        start: u64,
        /// Span.
        over: u64,
    },
    /// One by one with exponential gaps.
    Poisson {
        /// Mean arrivals per ms.
        rate_per_ms: f64,
        /// Start.
        from: u64,
        /// End (exclusive).
        until: u64,
    },
}

/// A workload ready to stamp pods from.
#[derive(Debug, Clone)]
pub struct WorkloadPlan {
    /// Name.
    pub name: String,
    /// Controller.
    pub kind: WorkloadKind,
    /// An AKS system component.
    pub system: bool,
    /// Pod template.
    pub spec: SpecId,
    /// Desired replicas (DaemonSets: 0, one per eligible node instead). `None`: unbounded
    /// Poisson Job arrivals.
    pub replicas: Option<u32>,
    /// Creation plan.
    pub arrival: ArrivalPlan,
    /// App start after the container starts.
    pub startup_ms: u64,
    /// Start-up I/O.
    pub io: Option<IoProfile>,
    /// Run time of a Job pod once ready.
    pub duration_ms: Option<u64>,
    /// Node names of replicas already running (imports).
    pub bound_to: Vec<String>,
}

/// A pool and the template of its nodes.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    /// Pool name.
    pub name: String,
    /// OS.
    pub os: Os,
    /// OS SKU.
    pub os_sku: OsSku,
    /// Mode.
    pub mode: PoolMode,
    /// VM size name.
    pub vm_size: String,
    /// USD per node-hour, if known.
    pub price_per_hour: Option<f64>,
    /// Labels every node carries (hostname and zone are added per node).
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    pub taints: Vec<Taint>,
    /// Zone label values nodes rotate through (`eastus-1`), or `["0"]`.
    pub zones: Vec<String>,
    /// Allocatable of a node.
    pub allocatable: Res,
    /// Kubelet parameters of a node.
    pub kubelet: KubeletParams,
    /// Images on every new node (node-image cache and `prePulledImages`).
    pub preload: Vec<ImageId>,
    /// Time from an add-nodes request to a Ready node.
    pub provision_ms: u64,
    /// DaemonSets (workload indexes) that may run on this pool's nodes.
    pub daemonsets: Vec<u32>,
    /// AKS node-name prefix (`aks-user-12345678-vmss`, `akswin`).
    pub name_prefix: String,
    /// Node count at time zero (generated nodes, after `nodes`).
    pub initial_count: u32,
    /// Imported nodes.
    pub imported: Vec<ImportedNode>,
    /// The pool's Kubernetes minor (its own `kubernetesVersion`, else the cluster's).
    pub k8s_minor: u32,
}

/// A node carried over from a cluster dump.
#[derive(Debug, Clone)]
pub struct ImportedNode {
    /// Name.
    pub name: String,
    /// Allocatable override.
    pub allocatable: Option<Res>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// Images on it.
    pub images: Vec<ImageId>,
    /// Cordoned.
    pub unschedulable: bool,
}

/// Everything the engine starts from.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Scenario name.
    pub name: String,
    /// Cluster with images and specs (no nodes, no pods yet).
    pub cluster: Cluster,
    /// Layers.
    pub layers: LayerTable,
    /// Workloads: scenario ones first (scenario order), then AKS system ones.
    pub workloads: Vec<WorkloadPlan>,
    /// Pools in scenario order.
    pub pools: Vec<PoolPlan>,
    /// Scheduler profile.
    pub scheduler: SchedulerSettings,
    /// Registry bytes/s per image (default applied).
    pub registry_bps: Vec<u64>,
    /// Seed.
    pub seed: u64,
    /// Horizon, ms.
    pub horizon_ms: u64,
    /// Sample interval, ms.
    pub sample_every_ms: u64,
    /// Kubernetes minor version (`1.33` -> 33).
    pub k8s_minor: u32,
    /// Provider.
    pub provider: Provider,
    /// Assumptions to report.
    pub assumptions: Vec<Assumption>,
}

/// Parses `MAJOR.MINOR` into the minor number (`1.33` -> 33); Kubernetes 1.x only.
pub fn k8s_minor(version: &str) -> Option<u32> {
    match catalog::aks::parse_k8s_version(version)? {
        (1, minor) => Some(minor),
        _ => None,
    }
}

/// FNV-1a, used for the stable 8-digit part of AKS node names.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The node name of the `index`-th VMSS instance of a pool: AKS Linux nodes are
/// `aks-<pool>-<8 digits>-vmss<6 base-36 digits>`; Windows nodes use the computer-name
/// form `aks<pool><6 base-36 digits>` (15 characters at most, which is why Windows pool
/// names are limited to 6 characters).
pub fn node_name(prefix: &str, index: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut suffix = [b'0'; 6];
    let mut n = index;
    for slot in suffix.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    let mut name = String::with_capacity(prefix.len() + 6);
    name.push_str(prefix);
    name.extend(suffix.iter().map(|&b| b as char));
    name
}

struct Builder<'a> {
    scn: &'a Scenario,
    cat: &'static Catalog,
    cluster: Cluster,
    layers: LayerTable,
    image_index: BTreeMap<(String, Os), ImageId>,
    registry_bps: Vec<u64>,
    assumptions: Vec<Assumption>,
}

impl<'a> Builder<'a> {
    fn default_registry_bps(&self) -> u64 {
        self.scn
            .registry
            .as_ref()
            .map(|r| r.bandwidth.bytes_per_sec())
            .unwrap_or_else(crate::shape::default_registry_bps)
    }

    fn registry_bps_for(&self, name: &str) -> u64 {
        if let Some(r) = &self.scn.registry {
            for (k, v) in &r.per_image {
                if catalog::normalize_reference(k) == catalog::normalize_reference(name) {
                    return v.bytes_per_sec();
                }
            }
        }
        self.default_registry_bps()
    }

    fn add_image(
        &mut self,
        name: &str,
        os: Os,
        build: Option<u32>,
        platforms: Vec<ImagePlatform>,
        layers: &[poolcast_model::scenario::Layer],
    ) -> ImageId {
        let mut ids = Vec::with_capacity(layers.len());
        let mut size = 0u64;
        for l in layers {
            let unc = l
                .uncompressed_size
                .map(|b| b.get())
                .unwrap_or_else(|| crate::shape::default_uncompressed(os, l.size.get()));
            size += l.size.get();
            ids.push(self.layers.intern(LayerInfo {
                digest: l.digest.clone(),
                size: l.size.get(),
                uncompressed: unc,
            }));
        }
        ids.dedup();
        let id = self.cluster.add_image(ImageInfo {
            name: name.to_owned(),
            size,
            os,
            windows_build: build,
            platforms,
        });
        self.layers.push_image(ids);
        self.registry_bps.push(self.registry_bps_for(name));
        let norm = catalog::normalize_reference(name);
        // A node of any of the list's OSes resolves the reference to this image.
        let oses: Vec<Os> = self.cluster.images[id.idx()]
            .all_platforms()
            .map(|p| p.os)
            .collect();
        for o in oses {
            self.image_index.entry((norm.clone(), o)).or_insert(id);
        }
        id
    }

    fn scenario_images(&mut self) -> Result<(), SimError> {
        for img in &self.scn.images {
            let mut layers = Vec::new();
            let mut os = img.os;
            let mut build = img
                .os_build
                .as_deref()
                .and_then(catalog::images::parse_windows_build);
            if let Some(key) = &img.catalog {
                let c = self.cat.image(key).ok_or_else(|| SimError::UnknownImage {
                    workload: String::new(),
                    image: key.clone(),
                })?;
                layers.extend(c.layers.iter().cloned());
                os = os.or(Some(c.os));
                build = build.or(c.windows_build());
            }
            layers.extend(img.layers.iter().cloned());
            let os = os.ok_or_else(|| {
                SimError::Invalid(format!(
                    "image {} has no os and no catalog entry to take it from",
                    img.name
                ))
            })?;
            let platforms = img
                .platforms
                .iter()
                .map(|p| ImagePlatform {
                    os: p.os,
                    windows_build: p
                        .os_build
                        .as_deref()
                        .and_then(catalog::images::parse_windows_build)
                        .filter(|_| p.os == Os::Windows),
                })
                .collect();
            self.add_image(&img.name, os, build, platforms, &layers);
        }
        Ok(())
    }

    /// Finds or creates the image for a reference, as a node of `os_hint` resolves it:
    /// scenario images first, then the catalog. Without a hint any OS matches (Linux first,
    /// as a multi-platform reference resolves in the catalog).
    fn resolve_image(&mut self, reference: &str, os_hint: Option<Os>) -> Option<ImageId> {
        let norm = catalog::normalize_reference(reference);
        let oses: &[Os] = match os_hint {
            Some(Os::Linux) => &[Os::Linux],
            Some(Os::Windows) => &[Os::Windows],
            None => &[Os::Linux, Os::Windows],
        };
        for &os in oses {
            if let Some(&id) = self.image_index.get(&(norm.clone(), os)) {
                return Some(id);
            }
        }
        let c = match os_hint {
            Some(os) => self.cat.image_for_os(reference, os),
            None => self.cat.image(reference),
        }?;
        let (name, os, build, layers) = (c.name.clone(), c.os, c.windows_build(), c.layers.clone());
        if let Some(&id) = self
            .image_index
            .get(&(catalog::normalize_reference(&name), os))
        {
            self.image_index.insert((norm, os), id);
            return Some(id);
        }
        // A workload's reference (no OS hint) that the catalog publishes for several OSes
        // (the CSI sidecars) is a manifest list: its pods run on every one of them. Its
        // layers are the first (Linux) entry's, the approximation `Image.platforms` makes.
        let platforms = match os_hint {
            Some(_) => Vec::new(),
            None => self
                .cat
                .images()
                .filter(|o| {
                    o.os != os
                        && o.references()
                            .any(|r| catalog::normalize_reference(r) == norm)
                })
                .map(|o| ImagePlatform {
                    os: o.os,
                    windows_build: o.windows_build(),
                })
                .collect(),
        };
        let id = self.add_image(&name, os, build, platforms, &layers);
        self.image_index.insert((norm, os), id);
        Some(id)
    }

    fn priority_of(&self, class: Option<&str>) -> Result<(i32, bool), SimError> {
        let find = |name: &str| self.scn.priority_classes.iter().find(|c| c.name == name);
        match class {
            Some(catalog::system_pods::SYSTEM_NODE_CRITICAL) => {
                Ok((SYSTEM_NODE_CRITICAL_PRIORITY, false))
            }
            Some(catalog::system_pods::SYSTEM_CLUSTER_CRITICAL) => {
                Ok((SYSTEM_CLUSTER_CRITICAL_PRIORITY, false))
            }
            Some(name) => find(name)
                .map(|c| {
                    (
                        c.value,
                        c.preemption_policy == Some(PreemptionPolicy::Never),
                    )
                })
                .ok_or_else(|| {
                    SimError::Invalid(format!("no PriorityClass with name {name} was found"))
                }),
            None => Ok(self
                .scn
                .priority_classes
                .iter()
                .find(|c| c.global_default)
                .map(|c| {
                    (
                        c.value,
                        c.preemption_policy == Some(PreemptionPolicy::Never),
                    )
                })
                .unwrap_or((0, false))),
        }
    }
}

fn exists_toleration(key: &str, effect: TaintEffect, seconds: Option<i64>) -> Toleration {
    Toleration {
        key: key.to_owned(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(effect),
        toleration_seconds: seconds,
    }
}

/// Tolerations every pod gets from admission or its controller: the `DefaultTolerationSeconds`
/// admission plugin adds not-ready/unreachable NoExecute for 300 s to every pod that lacks
/// them; the DaemonSet controller (`pkg/controller/daemon/util.AddOrUpdateDaemonPodTolerations`)
/// adds them without a limit plus the NoSchedule node-condition taints.
pub fn add_default_tolerations(kind: WorkloadKind, tolerations: &mut Vec<Toleration>) {
    let has = |t: &[Toleration], key: &str, effect: TaintEffect| {
        t.iter().any(|x| {
            (x.key == key || (x.key.is_empty() && x.operator == TolerationOperator::Exists))
                && x.effect.is_none_or(|e| e == effect)
        })
    };
    let mut add = |key: &str, effect: TaintEffect, secs: Option<i64>| {
        if !has(tolerations, key, effect) {
            tolerations.push(exists_toleration(key, effect, secs));
        }
    };
    if kind == WorkloadKind::DaemonSet {
        add("node.kubernetes.io/not-ready", TaintEffect::NoExecute, None);
        add(
            "node.kubernetes.io/unreachable",
            TaintEffect::NoExecute,
            None,
        );
        add(
            "node.kubernetes.io/disk-pressure",
            TaintEffect::NoSchedule,
            None,
        );
        add(
            "node.kubernetes.io/memory-pressure",
            TaintEffect::NoSchedule,
            None,
        );
        add(
            "node.kubernetes.io/pid-pressure",
            TaintEffect::NoSchedule,
            None,
        );
        add(
            "node.kubernetes.io/unschedulable",
            TaintEffect::NoSchedule,
            None,
        );
    } else {
        let s = Some(DEFAULT_TOLERATION_SECONDS);
        add("node.kubernetes.io/not-ready", TaintEffect::NoExecute, s);
        add("node.kubernetes.io/unreachable", TaintEffect::NoExecute, s);
    }
}

fn res_of(w: &Workload) -> Res {
    let lim = w.limits.unwrap_or_default();
    let r = &w.requests;
    Res {
        cpu: r.cpu.or(lim.cpu).map(|c| c.millis()).unwrap_or(0),
        memory: r.memory.or(lim.memory).map(|b| b.get()).unwrap_or(0),
        ephemeral: r
            .ephemeral_storage
            .or(lim.ephemeral_storage)
            .map(|b| b.get())
            .unwrap_or(0),
        pods: 1,
    }
}

/// `GetNonzeroRequests`: unset CPU and memory count as 100m / 200 MiB for scoring.
pub fn non_zero(r: &Res) -> Res {
    Res {
        cpu: if r.cpu == 0 {
            DEFAULT_MILLI_CPU_REQUEST
        } else {
            r.cpu
        },
        memory: if r.memory == 0 {
            DEFAULT_MEMORY_REQUEST
        } else {
            r.memory
        },
        ephemeral: r.ephemeral,
        pods: r.pods,
    }
}

fn arrival_of(w: &Workload, horizon: u64) -> ArrivalPlan {
    let a = w.arrival.unwrap_or_default();
    let at = a.at.map(|d| d.as_ms()).unwrap_or(0);
    if let Some(p) = a.poisson {
        return ArrivalPlan::Poisson {
            rate_per_ms: p.rate_per_minute.max(0.0) / 60_000.0,
            from: p.from.map(|d| d.as_ms()).unwrap_or(at),
            until: p.until.map(|d| d.as_ms()).unwrap_or(horizon),
        };
    }
    match a.over {
        Some(o) if o.as_ms() > 0 => ArrivalPlan::Over {
            start: at,
            over: o.as_ms(),
        },
        _ => ArrivalPlan::At(at),
    }
}

/// The OS SKU a pool runs: its own, else AKS's default for the OS and Kubernetes version
/// (`catalog::aks::default_os_sku`).
pub fn os_sku_of(pool: &poolcast_model::scenario::Pool, minor: u32) -> OsSku {
    pool.os_sku
        .unwrap_or_else(|| catalog::aks::default_os_sku(pool.os, (1, minor)))
}

/// The Kubernetes minor a pool runs: its own `kubernetesVersion`, else the cluster's.
pub fn pool_minor(pool: &poolcast_model::scenario::Pool, cluster_minor: u32) -> u32 {
    pool.kubernetes_version
        .as_deref()
        .and_then(k8s_minor)
        .unwrap_or(cluster_minor)
}

/// Builds the run plan of `scn` with `seed`/`horizon` already resolved.
pub fn build(scn: &Scenario, seed: u64, horizon_ms: u64) -> Result<Plan, SimError> {
    let minor = k8s_minor(&scn.cluster.kubernetes_version).ok_or_else(|| {
        SimError::Invalid(format!(
            "kubernetesVersion '{}' is not MAJOR.MINOR such as 1.33",
            scn.cluster.kubernetes_version
        ))
    })?;
    let mut b = Builder {
        scn,
        cat: Catalog::builtin(),
        cluster: Cluster::default(),
        layers: LayerTable::default(),
        image_index: BTreeMap::new(),
        registry_bps: Vec::new(),
        assumptions: Vec::new(),
    };
    b.scenario_images()?;

    let aks = scn.cluster.provider == Provider::Aks;
    let system_pods = aks && scn.cluster.system_pods != Some(SystemPods::None);
    let plugin = scn.cluster.network_plugin;
    let addons = &scn.cluster.addons;
    let region = scn.cluster.region.as_deref().unwrap_or("eastus");

    // Scenario workloads.
    let mut workloads = Vec::new();
    for w in &scn.workloads {
        let mut images = Vec::with_capacity(1 + w.extra_images.len());
        for r in std::iter::once(&w.image).chain(w.extra_images.iter()) {
            let id = b
                .resolve_image(r, None)
                .ok_or_else(|| SimError::UnknownImage {
                    workload: w.name.clone(),
                    image: r.clone(),
                })?;
            images.push(id);
        }
        let (priority, never_preempt) = b.priority_of(w.priority_class_name.as_deref())?;
        let requests = res_of(w);
        let mut labels = w.labels.clone();
        if labels.is_empty() {
            labels.insert("app".into(), w.name.clone());
        }
        let node_aff = w.affinity.as_ref().and_then(|a| a.node_affinity.as_ref());
        let mut tolerations = w.tolerations.clone();
        add_default_tolerations(w.kind, &mut tolerations);
        let topology_spread = w
            .topology_spread_constraints
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if c.label_selector.is_none() {
                    c.label_selector = Some(poolcast_model::scenario::LabelSelector {
                        match_labels: labels.clone(),
                        match_expressions: Vec::new(),
                    });
                }
                c
            })
            .collect::<Vec<_>>();
        let system_default_spread = topology_spread.is_empty()
            && matches!(w.kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet);
        let spec = b.cluster.add_spec(PodSpec {
            workload: w.name.clone(),
            namespace: w.namespace.clone().unwrap_or_else(|| "default".into()),
            owner: Owner::Workload(w.kind),
            labels,
            requests,
            non_zero: non_zero(&requests),
            node_selector: w.node_selector.clone(),
            required_node_affinity: node_aff.and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .clone()
            }),
            preferred_node_affinity: node_aff
                .map(|n| {
                    n.preferred_during_scheduling_ignored_during_execution
                        .clone()
                })
                .unwrap_or_default(),
            affinity: w.affinity.clone(),
            tolerations,
            topology_spread,
            system_default_spread,
            images,
            priority,
            never_preempt,
        });
        let replicas = match w.kind {
            WorkloadKind::DaemonSet => Some(0),
            WorkloadKind::Pod => Some(w.replicas.unwrap_or(1)),
            WorkloadKind::Job if w.arrival.and_then(|a| a.poisson).is_some() => w.replicas,
            _ => Some(w.replicas.unwrap_or(1)),
        };
        workloads.push(WorkloadPlan {
            name: w.name.clone(),
            kind: w.kind,
            system: false,
            spec,
            replicas,
            arrival: arrival_of(w, horizon_ms),
            startup_ms: w.startup.map(|d| d.as_ms()).unwrap_or(0),
            io: w.io,
            duration_ms: w.duration.map(|d| d.as_ms()),
            bound_to: w.bound_to.clone(),
        });
    }

    // AKS system pods.
    if system_pods {
        for sp in b.cat.system_pods() {
            if !sp.enabled_by.applies(plugin, addons) {
                continue;
            }
            let mut images = Vec::new();
            for pi in &sp.images {
                let id = match pi
                    .catalog_key
                    .as_deref()
                    .and_then(|k| b.resolve_image(k, Some(sp.os)))
                {
                    Some(id) => id,
                    None => match b.resolve_image(&pi.reference, Some(sp.os)) {
                        Some(id) => id,
                        None => {
                            let size = pi.size.unwrap_or_default();
                            let layer = poolcast_model::scenario::Layer {
                                digest: format!("system:{}", pi.reference),
                                size,
                                uncompressed_size: None,
                            };
                            b.add_image(&pi.reference, sp.os, None, Vec::new(), &[layer])
                        }
                    },
                };
                images.push(id);
            }
            let (priority, _) = b.priority_of(Some(&sp.priority_class))?;
            let requests = Res {
                cpu: sp.requests.cpu.millis(),
                memory: sp.requests.memory.get(),
                ephemeral: 0,
                pods: 1,
            };
            let kind = if sp.is_daemonset() {
                WorkloadKind::DaemonSet
            } else {
                WorkloadKind::Deployment
            };
            let mut node_selector = BTreeMap::new();
            node_selector.insert("kubernetes.io/os".to_owned(), sp.os.label().to_owned());
            // AKS's own DaemonSets tolerate every taint (`operator: Exists`); its system
            // Deployments tolerate CriticalAddonsOnly and prefer System-mode nodes.
            let (mut tolerations, preferred) = if sp.is_daemonset() {
                (
                    vec![Toleration {
                        key: String::new(),
                        operator: TolerationOperator::Exists,
                        value: String::new(),
                        effect: None,
                        toleration_seconds: None,
                    }],
                    Vec::new(),
                )
            } else {
                (
                    vec![Toleration {
                        key: "CriticalAddonsOnly".into(),
                        operator: TolerationOperator::Exists,
                        value: String::new(),
                        effect: None,
                        toleration_seconds: None,
                    }],
                    vec![PreferredSchedulingTerm {
                        weight: 100,
                        preference: NodeSelectorTerm {
                            match_expressions: vec![NodeSelectorRequirement {
                                key: "kubernetes.azure.com/mode".into(),
                                operator: NodeSelectorOperator::In,
                                values: vec!["system".into()],
                            }],
                            match_fields: Vec::new(),
                        },
                    }],
                )
            };
            add_default_tolerations(kind, &mut tolerations);
            let mut labels = BTreeMap::new();
            labels.insert("k8s-app".to_owned(), sp.name.clone());
            let spec = b.cluster.add_spec(PodSpec {
                workload: sp.name.clone(),
                namespace: sp.namespace.clone(),
                owner: Owner::System(kind),
                labels,
                requests,
                non_zero: non_zero(&requests),
                node_selector,
                required_node_affinity: None::<NodeSelector>,
                preferred_node_affinity: preferred,
                affinity: None,
                tolerations,
                topology_spread: Vec::new(),
                system_default_spread: kind == WorkloadKind::Deployment,
                images,
                priority,
                never_preempt: false,
            });
            workloads.push(WorkloadPlan {
                name: sp.name.clone(),
                kind,
                system: true,
                spec,
                replicas: Some(if sp.is_daemonset() {
                    0
                } else {
                    sp.kind.replicas()
                }),
                arrival: ArrivalPlan::At(0),
                startup_ms: 0,
                io: None,
                duration_ms: None,
                bound_to: Vec::new(),
            });
        }
    }

    // Pools.
    let mut pools = Vec::new();
    for pool in &scn.pools {
        let pool_minor = pool_minor(pool, minor);
        let os_sku = os_sku_of(pool, pool_minor);
        let windows_build = os_sku.windows_build().filter(|_| pool.os == Os::Windows);
        let shape = crate::shape::node_shape(scn, pool, os_sku, pool_minor, region)?;
        let mut preload = Vec::new();
        if aks {
            let cached: Vec<String> = b
                .cat
                .node_image_cache(pool.os, windows_build)
                .iter()
                .map(|c| c.key.clone())
                .collect();
            for key in cached {
                if let Some(id) = b.resolve_image(&key, Some(pool.os)) {
                    preload.push(id);
                }
            }
        }
        for r in &pool.pre_pulled_images {
            let id = b
                .resolve_image(r, Some(pool.os))
                .ok_or_else(|| SimError::UnknownImage {
                    workload: format!("pool {}", pool.name),
                    image: r.clone(),
                })?;
            preload.push(id);
        }
        preload.sort_unstable();
        preload.dedup();

        let mode_label = match pool.mode {
            PoolMode::System => "system",
            PoolMode::User => "user",
        };
        let mut labels = BTreeMap::new();
        labels.insert("kubernetes.io/os".to_owned(), pool.os.label().to_owned());
        labels.insert("kubernetes.io/arch".to_owned(), shape.arch.to_owned());
        labels.insert(
            "node.kubernetes.io/instance-type".to_owned(),
            shape.vm_size.clone(),
        );
        labels.insert(
            "topology.kubernetes.io/region".to_owned(),
            region.to_owned(),
        );
        if aks {
            labels.insert(
                "kubernetes.azure.com/agentpool".to_owned(),
                pool.name.clone(),
            );
            labels.insert(
                "kubernetes.azure.com/mode".to_owned(),
                mode_label.to_owned(),
            );
            labels.insert(
                "kubernetes.azure.com/os-sku".to_owned(),
                format!("{os_sku:?}"),
            );
        }
        if let Some(build) = windows_build {
            labels.insert(
                "node.kubernetes.io/windows-build".to_owned(),
                format!("10.0.{build}"),
            );
        }
        for (k, v) in &pool.labels {
            labels.insert(k.clone(), v.clone());
        }
        let zones = if pool.zones.is_empty() {
            vec!["0".to_owned()]
        } else {
            pool.zones.iter().map(|z| format!("{region}-{z}")).collect()
        };
        let name_prefix = match pool.os {
            Os::Windows => format!("aks{}", pool.name),
            Os::Linux => format!(
                "aks-{}-{:08}-vmss",
                pool.name,
                fnv1a(&format!("{}/{}", scn.metadata.name, pool.name)) % 100_000_000
            ),
        };
        let daemonsets = workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.kind == WorkloadKind::DaemonSet)
            .filter(|(_, w)| {
                !w.system
                    || b.cat
                        .daemonsets_for(pool.os, plugin, addons, pool.mode)
                        .iter()
                        .any(|sp| sp.name == w.name)
            })
            .map(|(i, _)| i as u32)
            .collect();
        let mut imported = Vec::new();
        for n in &pool.nodes {
            let mut images = Vec::new();
            for r in &n.images {
                if let Some(id) = b.resolve_image(r, Some(pool.os)) {
                    images.push(id);
                }
            }
            imported.push(ImportedNode {
                name: n.name.clone(),
                allocatable: n.allocatable.map(|a| Res {
                    cpu: a.cpu.map(|c| c.millis()).unwrap_or(shape.allocatable.cpu),
                    memory: a
                        .memory
                        .map(|m| m.get())
                        .unwrap_or(shape.allocatable.memory),
                    ephemeral: a
                        .ephemeral_storage
                        .map(|m| m.get())
                        .unwrap_or(shape.allocatable.ephemeral),
                    pods: a.pods.map(u64::from).unwrap_or(shape.allocatable.pods),
                }),
                labels: n.labels.clone(),
                images,
                unschedulable: n.unschedulable,
            });
        }
        let initial_count = match (pool.count, pool.autoscale) {
            (Some(Count::Fixed(n)), _) => n.saturating_sub(imported.len() as u32),
            (Some(Count::Auto), _) => {
                return Err(SimError::Invalid(format!(
                    "pool {} has count: auto, which only `poolcast plan` can size",
                    pool.name
                )))
            }
            (None, Some(a)) => a.min.saturating_sub(imported.len() as u32),
            (None, None) => 0,
        };
        pools.push(PoolPlan {
            name: pool.name.clone(),
            os: pool.os,
            os_sku,
            mode: pool.mode,
            vm_size: shape.vm_size.clone(),
            price_per_hour: shape.price_per_hour,
            labels,
            taints: pool.taints.clone(),
            zones,
            allocatable: shape.allocatable,
            kubelet: shape.kubelet,
            preload,
            provision_ms: shape.provision_ms,
            daemonsets,
            name_prefix,
            initial_count,
            imported,
            k8s_minor: pool_minor,
        });
    }
    b.assumptions.extend(crate::shape::assumptions(aks));

    let sample_every_ms = scn
        .sim
        .sample_every
        .map(|d| d.as_ms())
        .filter(|&d| d > 0)
        .unwrap_or(DEFAULT_SAMPLE_EVERY_MS);
    let Builder {
        cluster,
        layers,
        registry_bps,
        assumptions,
        ..
    } = b;
    Ok(Plan {
        name: scn.metadata.name.clone(),
        cluster,
        layers,
        workloads,
        pools,
        scheduler: SchedulerSettings::from_config(scn.cluster.scheduler.as_ref()),
        registry_bps,
        seed,
        horizon_ms,
        sample_every_ms,
        k8s_minor: minor,
        provider: scn.cluster.provider,
        assumptions,
    })
}

/// The pool of a node in a plan.
pub fn pool_of(plan: &Plan, pool: PoolId) -> &PoolPlan {
    &plan.pools[pool.idx()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_follow_aks() {
        assert_eq!(
            node_name("aks-user-12345678-vmss", 0),
            "aks-user-12345678-vmss000000"
        );
        assert_eq!(
            node_name("aks-user-12345678-vmss", 37),
            "aks-user-12345678-vmss000011"
        );
        assert_eq!(node_name("akswin", 10), "akswin00000a");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(k8s_minor("1.33"), Some(33));
        assert_eq!(k8s_minor("v1.29.4"), Some(29));
        assert_eq!(k8s_minor("2.0"), None);
        assert_eq!(k8s_minor("1"), None);
    }

    #[test]
    fn daemonset_and_default_tolerations() {
        let mut t = Vec::new();
        add_default_tolerations(WorkloadKind::Deployment, &mut t);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|x| x.toleration_seconds == Some(300)));
        let mut t = Vec::new();
        add_default_tolerations(WorkloadKind::DaemonSet, &mut t);
        assert_eq!(t.len(), 6);
        assert!(t
            .iter()
            .any(|x| x.key == "node.kubernetes.io/disk-pressure"));
    }
}

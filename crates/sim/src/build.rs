//! Scenario -> engine state: the image and layer tables, the pod templates of every
//! workload (scenario and AKS system), the node template of every pool (labels, taints,
//! allocatable, kubelet parameters, node-image cache) and the run settings.
//!
//! It is built from a [`Resolved`] scenario only (`crate::resolve` looked everything up in
//! the catalog once), in small steps: image tables, scenario workloads, system pods, pools.
//! Nodes themselves are stamped from their pool's template by the engine (`run`), at time
//! zero and when a scenario event adds nodes, so both paths name, label and size nodes
//! the same way.

use std::collections::BTreeMap;

use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::{
    IoProfile, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, Os,
    OsSku, PoolMode, PreferredSchedulingTerm, Provider, Scenario, Taint, TaintEffect, Toleration,
    TolerationOperator, Workload, WorkloadKind,
};

use crate::cluster::{
    Cluster, ImageId, ImageInfo, Owner, PodSpec, PoolId, Res, SpecId, DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
};
use crate::kubelet::{KubeletParams, LayerInfo, LayerTable};
use crate::outcome::Assumption;
use crate::resolve::{Resolved, ResolvedPool};
use crate::scheduler::SchedulerSettings;
use crate::SimError;

pub use crate::resolve::{
    k8s_minor, os_sku_of, SYSTEM_CLUSTER_CRITICAL_PRIORITY, SYSTEM_NODE_CRITICAL_PRIORITY,
};
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
    /// Where that price comes from (`published`, `rule`, ...; `resolve::NodeShape`).
    pub price_basis: Option<String>,
    /// The VM part of `price_per_hour`.
    pub vm_price_per_hour: Option<f64>,
    /// The OS disk part (`None`: the disk tier is unpriced).
    pub disk_price_per_hour: Option<f64>,
    /// The OS disk's SKU, tier and price source.
    pub disk_basis: String,
    /// The disk price is borrowed from East US.
    pub disk_estimated: bool,
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
    /// The part of `preload` only the pool's `prePulledImages` asked for (the pull log
    /// tells them apart from the node image's cache).
    pub pre_pulled: Vec<ImageId>,
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
    /// AKS pricing tier (`free`, `standard`, `premium`; `none` for provider generic).
    pub tier: &'static str,
    /// Cluster-management fee, USD per cluster-hour.
    pub tier_fee_per_hour: f64,
    /// What the prices are (`resolve::pool::pricing_basis`).
    pub pricing_basis: String,
    /// Assumptions to report.
    pub assumptions: Vec<Assumption>,
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

/// Builds the run plan of `scn` with `seed`/`horizon` already resolved: [`resolve`]
/// against the built-in catalog, then [`build_from`].
///
/// [`resolve`]: crate::resolve::resolve
pub fn build(scn: &Scenario, seed: u64, horizon_ms: u64) -> Result<Plan, SimError> {
    let r = crate::resolve::resolve(scn, Catalog::builtin())?;
    Ok(build_from(&r, seed, horizon_ms))
}

/// The run plan of a resolved scenario. It reads no catalog: every Azure/AKS fact is in
/// `r`.
pub fn build_from(r: &Resolved<'_>, seed: u64, horizon_ms: u64) -> Plan {
    let scn = r.scenario;
    let (mut cluster, layers, registry_bps) = image_tables(r);
    let mut workloads = scenario_workloads(r, &mut cluster, horizon_ms);
    workloads.extend(system_workloads(r, &mut cluster));
    let pools = r
        .pools
        .iter()
        .map(|p| pool_plan(r, p, &workloads))
        .collect();
    let sample_every_ms = scn
        .sim
        .sample_every
        .map(|d| d.as_ms())
        .filter(|&d| d > 0)
        .unwrap_or(DEFAULT_SAMPLE_EVERY_MS);
    Plan {
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
        k8s_minor: r.k8s_minor,
        provider: scn.cluster.provider,
        tier: r.tier,
        tier_fee_per_hour: r.tier_fee_per_hour,
        pricing_basis: r.pricing_basis.clone(),
        assumptions: r.assumptions.clone(),
    }
}

/// The cluster's image table (in `ImageId` order), the layer table and the registry rate
/// of each image.
fn image_tables(r: &Resolved<'_>) -> (Cluster, LayerTable, Vec<u64>) {
    let mut cluster = Cluster::default();
    let mut layers = LayerTable::default();
    let mut registry_bps = Vec::with_capacity(r.images.len());
    for img in &r.images {
        let mut ids: Vec<_> = img
            .layers
            .iter()
            .map(|l| {
                layers.intern(LayerInfo {
                    digest: l.digest.clone(),
                    size: l.size,
                    uncompressed: l.uncompressed,
                    files: l.files,
                })
            })
            .collect();
        ids.dedup();
        cluster.add_image(ImageInfo {
            name: img.name.clone(),
            size: img.size,
            os: img.os,
            windows_build: img.windows_build,
            platforms: img.platforms.clone(),
        });
        layers.push_image(ids);
        registry_bps.push(img.registry_bps);
    }
    (cluster, layers, registry_bps)
}

/// The scenario's workloads: a pod template each, in scenario order.
fn scenario_workloads(
    r: &Resolved<'_>,
    cluster: &mut Cluster,
    horizon_ms: u64,
) -> Vec<WorkloadPlan> {
    let mut workloads = Vec::with_capacity(r.workloads.len());
    for rw in &r.workloads {
        let w = rw.workload;
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
        let spec = cluster.add_spec(PodSpec {
            workload: w.name.clone(),
            namespace: w.namespace.clone().unwrap_or_else(|| "default".into()),
            owner: Owner::Workload(w.kind),
            labels: labels.into(),
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
            images: rw.images.clone(),
            priority: rw.priority,
            never_preempt: rw.never_preempt,
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
    workloads
}

/// The AKS system pods the cluster runs, in catalog order.
fn system_workloads(r: &Resolved<'_>, cluster: &mut Cluster) -> Vec<WorkloadPlan> {
    let mut workloads = Vec::with_capacity(r.system_pods.len());
    for rs in &r.system_pods {
        let sp = rs.pod;
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
        let spec = cluster.add_spec(PodSpec {
            workload: sp.name.clone(),
            namespace: sp.namespace.clone(),
            owner: Owner::System(kind),
            labels: labels.into(),
            requests,
            non_zero: non_zero(&requests),
            node_selector,
            required_node_affinity: None::<NodeSelector>,
            preferred_node_affinity: preferred,
            affinity: None,
            tolerations,
            topology_spread: Vec::new(),
            system_default_spread: kind == WorkloadKind::Deployment,
            images: rs.images.clone(),
            priority: rs.priority,
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
    workloads
}

/// A pool's node template; `workloads` are all of the run's (scenario, then system).
fn pool_plan(r: &Resolved<'_>, rp: &ResolvedPool<'_>, workloads: &[WorkloadPlan]) -> PoolPlan {
    let (scn, pool, shape) = (r.scenario, rp.pool, &rp.shape);
    let region = r.region;
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
        .filter(|(_, w)| !w.system || rp.system_daemonsets.contains(&w.name))
        .map(|(i, _)| i as u32)
        .collect();
    let imported = pool
        .nodes
        .iter()
        .zip(&rp.imported_images)
        .map(|(n, images)| ImportedNode {
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
            images: images.clone(),
            unschedulable: n.unschedulable,
        })
        .collect();
    PoolPlan {
        name: pool.name.clone(),
        os: pool.os,
        os_sku: rp.os_sku,
        mode: pool.mode,
        vm_size: shape.vm_size.clone(),
        price_per_hour: shape.price_per_hour,
        price_basis: shape.price_basis.clone(),
        vm_price_per_hour: shape.vm_price_per_hour,
        disk_price_per_hour: shape.disk_price_per_hour,
        disk_basis: shape.disk_basis.clone(),
        disk_estimated: shape.disk_estimated,
        labels: pool_labels(r, rp),
        taints: pool.taints.clone(),
        zones,
        allocatable: shape.allocatable,
        kubelet: shape.kubelet.clone(),
        preload: rp.preload.clone(),
        pre_pulled: rp.pre_pulled.clone(),
        provision_ms: shape.provision_ms,
        daemonsets,
        name_prefix,
        initial_count: rp.initial_count,
        imported,
        k8s_minor: rp.k8s_minor,
    }
}

/// The labels every node of a pool carries: the well-known ones, AKS's, then the pool's
/// own (hostname and zone are added per node).
fn pool_labels(r: &Resolved<'_>, rp: &ResolvedPool<'_>) -> BTreeMap<String, String> {
    let pool = rp.pool;
    let mut labels = BTreeMap::new();
    labels.insert("kubernetes.io/os".to_owned(), pool.os.label().to_owned());
    labels.insert("kubernetes.io/arch".to_owned(), rp.shape.arch.to_owned());
    labels.insert(
        "node.kubernetes.io/instance-type".to_owned(),
        rp.shape.vm_size.clone(),
    );
    labels.insert(
        "topology.kubernetes.io/region".to_owned(),
        r.region.to_owned(),
    );
    if r.aks {
        let mode = match pool.mode {
            PoolMode::System => "system",
            PoolMode::User => "user",
        };
        labels.insert(
            "kubernetes.azure.com/agentpool".to_owned(),
            pool.name.clone(),
        );
        labels.insert("kubernetes.azure.com/mode".to_owned(), mode.to_owned());
        labels.insert(
            "kubernetes.azure.com/os-sku".to_owned(),
            format!("{:?}", rp.os_sku),
        );
    }
    if let Some(build) = rp.windows_build {
        labels.insert(
            "node.kubernetes.io/windows-build".to_owned(),
            format!("10.0.{build}"),
        );
    }
    for (k, v) in &pool.labels {
        labels.insert(k.clone(), v.clone());
    }
    labels
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

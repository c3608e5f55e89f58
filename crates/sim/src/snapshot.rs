//! What-if nodes: a scratch cluster that holds only hypothetical nodes stamped from pool
//! templates, and the pods placed on them, checked with the scheduler's own filters.
//!
//! This is what the cluster-autoscaler calls a template `NodeInfo` in a forked
//! `ClusterSnapshot` (kubernetes/autoscaler `simulator/clustersnapshot`,
//! `core/utils.FreshNodeInfoFromTemplateNodeInfo`): a node of the pool with the pool's
//! labels, taints and allocatable, and the DaemonSet pods that would run on it already
//! bound, so that `NodeResourcesFit` sees what is left for other pods. The autoscaler asks it
//! whether a pending pod would fit a new node of a pool and how many new nodes a set of
//! pods needs; `plan` asks it which pools a workload may run on and whether one pod fits an
//! empty node of a VM size at all.
//!
//! Architecture invariant: a snapshot never touches the run's own cluster. It copies the
//! pod templates and images once and owns its own `Scheduler`, so its filter caches and
//! rotating start index never leak into the real scheduling cycle. Pod-affinity and
//! topology-spread filters therefore count only the snapshot's own pods; pods already
//! running on real nodes are not seen (a documented simplification, docs/plan.md).

use std::collections::BTreeMap;

use crate::build::Plan;
use crate::cluster::{Cluster, NodeId, NodeInfo, PodId, PoolId, Res, SpecId};
use crate::scheduler::framework::Status;
use crate::scheduler::{Scheduler, SchedulerSettings};

/// A scratch cluster of template nodes.
pub struct Snapshot {
    /// The scratch cluster: the run's pod templates and images, no real node or pod.
    pub cluster: Cluster,
    sched: Scheduler,
    /// One unbound exemplar pod per template, created on first use.
    exemplars: BTreeMap<SpecId, PodId>,
    /// The pool of each scratch node.
    node_pool: Vec<PoolId>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("nodes", &self.cluster.nodes.len())
            .field("pods", &self.cluster.pods.len())
            .finish()
    }
}

/// An empty scratch cluster with the templates and images of `base`.
pub fn empty_like(base: &Cluster) -> Cluster {
    let mut c = Cluster::default();
    for spec in &base.specs {
        c.add_spec(spec.clone());
    }
    for image in &base.images {
        c.add_image(image.clone());
    }
    c
}

impl Snapshot {
    /// A snapshot over a copy of `empty` (see [`empty_like`]), filtering with a fresh
    /// scheduler of `settings`.
    pub fn new(empty: &Cluster, settings: &SchedulerSettings) -> Snapshot {
        Snapshot {
            cluster: empty.clone(),
            sched: Scheduler::new(settings.clone()),
            exemplars: BTreeMap::new(),
            node_pool: Vec::new(),
        }
    }

    /// Adds a new node of `pool` as the engine would stamp it (`run::Engine::create_node`):
    /// the pool's labels plus a hostname and the zone of `index`, its taints and
    /// allocatable, and every DaemonSet pod of the pool that passes the filters on it bound
    /// (`NodeShouldRunDaemonPod`).
    pub fn add_node(&mut self, plan: &Plan, pool: PoolId, index: u32) -> NodeId {
        let p = &plan.pools[pool.idx()];
        let name = format!("template-node-for-{}-{index}", p.name);
        let zone = p.zones[index as usize % p.zones.len().max(1)].clone();
        let mut labels = p.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), name.clone());
        labels.insert("topology.kubernetes.io/zone".into(), zone);
        let node = self.cluster.add_node(NodeInfo {
            name,
            pool,
            os: p.os,
            windows_build: p.kubelet.windows_build,
            labels: labels.into(),
            taints: p.taints.clone(),
            unschedulable: false,
            allocatable: p.allocatable,
            requested: Res::default(),
            non_zero_requested: Res::default(),
            pods: Vec::new(),
            images: Vec::new(),
            live: true,
        });
        self.node_pool.push(pool);
        for &w in &p.daemonsets {
            let spec = plan.workloads[w as usize].spec;
            let pod = self.cluster.add_pod(
                format!("{}-{}", plan.workloads[w as usize].name, node.0),
                spec,
                Some(node),
            );
            if self.sched.filter_one(&self.cluster, pod, node).is_success() {
                self.cluster.bind(pod, node);
            } else {
                self.cluster.pods[pod.idx()].active = false;
            }
        }
        node
    }

    fn exemplar(&mut self, spec: SpecId) -> PodId {
        if let Some(&p) = self.exemplars.get(&spec) {
            return p;
        }
        let p = self
            .cluster
            .add_pod(format!("exemplar-{}", spec.0), spec, None);
        self.exemplars.insert(spec, p);
        p
    }

    /// The filters' verdict for a pod of `spec` on scratch node `node` (PreFilter
    /// included).
    pub fn check(&mut self, spec: SpecId, node: NodeId) -> Status {
        let pod = self.exemplar(spec);
        self.sched.filter_one(&self.cluster, pod, node)
    }

    /// Binds a new pod of `spec` to `node` without checking (the caller checked).
    pub fn place(&mut self, spec: SpecId, node: NodeId) {
        let n = self.cluster.pods.len();
        let pod = self.cluster.add_pod(format!("sim-{n}"), spec, None);
        self.cluster.bind(pod, node);
    }

    /// Scratch nodes of `pool`, in creation order.
    pub fn nodes_of(&self, pool: PoolId) -> impl Iterator<Item = NodeId> + '_ {
        self.node_pool
            .iter()
            .enumerate()
            .filter(move |(_, &p)| p == pool)
            .map(|(i, _)| NodeId(i as u32))
    }

    /// The scratch node `node`.
    pub fn node(&self, node: NodeId) -> &NodeInfo {
        &self.cluster.nodes[node.idx()]
    }

    /// Requests of the DaemonSet pods bound to `node` (its only pods right after
    /// `add_node`).
    pub fn daemonset_requests(&self, node: NodeId) -> Res {
        self.cluster.nodes[node.idx()].requested
    }
}

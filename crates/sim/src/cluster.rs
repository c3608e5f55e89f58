//! The cluster state that scheduler plugins read and the engine mutates: nodes with their
//! allocatable, requested resources, taints, labels and images; pods and the workload
//! templates (`PodSpec`) they are stamped from; the images known to the run.
//!
//! Invariants (checked by `Cluster::check_invariants` in tests):
//! - a node's `requested` is the sum of the requests of the pods in `pods`;
//! - a pod with `node == Some(n)` is listed in `nodes[n].pods`, and only there;
//! - `image_node_count[i]` is the number of live nodes holding image `i`;
//! - `placements[s]` counts, per node, the bound pods of template `s` (the index behind
//!   PodTopologySpread and InterPodAffinity, maintained by `bind`/`unbind`);
//! - every change to what the scheduler reads of a node (bound pods, labels, taints,
//!   `unschedulable`, allocatable, liveness) is recorded in the change log (`changes_since`),
//!   which the scheduler's per-template caches replay. Mutate nodes through the `set_node_*`
//!   methods, or call `touch_node` after editing a `NodeInfo` field directly; debug builds of
//!   the scheduler re-check cached verdicts and panic on a missed change.
//!
//! Ids are dense indexes into the vectors; removed nodes stay in `nodes` with
//! `live == false` so ids never move.

use std::collections::BTreeMap;

use poolcast_model::scenario::{
    Affinity, NodeSelector, Os, PreferredSchedulingTerm, Taint, Toleration,
    TopologySpreadConstraint, WorkloadKind,
};

use crate::labels::Labels;

macro_rules! id_type {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The index into the owning vector.
            pub const fn idx(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(NodeId, "A node, index into `Cluster::nodes`.");
id_type!(PodId, "A pod, index into `Cluster::pods`.");
id_type!(SpecId, "A pod template, index into `Cluster::specs`.");
id_type!(ImageId, "An image, index into `Cluster::images`.");
id_type!(PoolId, "A node pool, index into the run's pools.");

/// A resource vector in exact units: millicores, bytes, pod count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Res {
    /// CPU in millicores.
    pub cpu: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// Ephemeral storage in bytes.
    pub ephemeral: u64,
    /// Pod slots.
    pub pods: u64,
}

impl Res {
    /// Component-wise sum.
    pub fn add(&mut self, o: &Res) {
        self.cpu += o.cpu;
        self.memory += o.memory;
        self.ephemeral += o.ephemeral;
        self.pods += o.pods;
    }

    /// Component-wise difference.
    ///
    /// # Panics
    /// On underflow: removing more than was added is an engine bug.
    pub fn sub(&mut self, o: &Res) {
        self.cpu = self
            .cpu
            .checked_sub(o.cpu)
            .expect("cpu accounting underflow");
        self.memory = self
            .memory
            .checked_sub(o.memory)
            .expect("memory accounting underflow");
        self.ephemeral = self
            .ephemeral
            .checked_sub(o.ephemeral)
            .expect("ephemeral accounting underflow");
        self.pods = self
            .pods
            .checked_sub(o.pods)
            .expect("pod accounting underflow");
    }

    /// `a <= b` in every component.
    pub fn fits_within(&self, b: &Res) -> bool {
        self.cpu <= b.cpu
            && self.memory <= b.memory
            && self.ephemeral <= b.ephemeral
            && self.pods <= b.pods
    }
}

/// `GetNonzeroRequests` defaults: a container without requests counts as 100m CPU and
/// 200 MB memory for scoring only (`pkg/scheduler/util/pod_resources.go`,
/// `DefaultMilliCPURequest = 100`, `DefaultMemoryRequest = 200 * 1024 * 1024`).
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
/// See [`DEFAULT_MILLI_CPU_REQUEST`].
pub const DEFAULT_MEMORY_REQUEST: u64 = 200 * 1024 * 1024;

/// Who created a pod, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user workload of this kind.
    Workload(WorkloadKind),
    /// An AKS system DaemonSet or Deployment (from the catalog).
    System(WorkloadKind),
}

impl Owner {
    /// The controller kind.
    pub fn kind(self) -> WorkloadKind {
        match self {
            Owner::Workload(k) | Owner::System(k) => k,
        }
    }
    /// True for AKS's own pods.
    pub fn is_system(self) -> bool {
        matches!(self, Owner::System(_))
    }
}

/// A pod template: everything replicas of one workload share.
#[derive(Debug, Clone)]
pub struct PodSpec {
    /// Workload name.
    pub workload: String,
    /// Namespace.
    pub namespace: String,
    /// Controller.
    pub owner: Owner,
    /// Pod labels (keys and values interned, `crate::labels`).
    pub labels: Labels,
    /// Scheduler-visible requests (`pods` = 1).
    pub requests: Res,
    /// Requests with the scoring defaults for unset cpu/memory.
    pub non_zero: Res,
    /// `nodeSelector`.
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity.
    pub required_node_affinity: Option<NodeSelector>,
    /// Preferred node affinity.
    pub preferred_node_affinity: Vec<PreferredSchedulingTerm>,
    /// Pod affinity / anti-affinity (node affinity lives in the two fields above).
    pub affinity: Option<Affinity>,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
    /// Explicit topology spread constraints with their label selector resolved (a missing
    /// selector becomes the workload's own labels).
    pub topology_spread: Vec<TopologySpreadConstraint>,
    /// True when kube-scheduler's system-default spread constraints apply (no explicit
    /// constraints and owned by a ReplicaSet/StatefulSet/ReplicationController/Service).
    pub system_default_spread: bool,
    /// Images of all containers (main first).
    pub images: Vec<ImageId>,
    /// Pod priority (from its PriorityClass).
    pub priority: i32,
    /// PreemptionPolicy Never.
    pub never_preempt: bool,
}

/// A pod.
#[derive(Debug, Clone)]
pub struct PodInfo {
    /// `<workload>-<n>` (DaemonSets: `<workload>-<node>`).
    pub name: String,
    /// Its template.
    pub spec: SpecId,
    /// The node it is bound to.
    pub node: Option<NodeId>,
    /// DaemonSet pods are pinned to one node through required node affinity on
    /// `metadata.name` (the DaemonSet controller's `matchFields`), checked by NodeAffinity.
    pub pinned_node: Option<NodeId>,
    /// Node nominated by preemption, if any.
    pub nominated_node: Option<NodeId>,
    /// Deleted or finished pods no longer count anywhere.
    pub active: bool,
}

/// A node as the scheduler sees it (`framework.NodeInfo`).
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Node name (`aks-<pool>-<n>-vmss00000x` style).
    pub name: String,
    /// Its pool.
    pub pool: PoolId,
    /// OS.
    pub os: Os,
    /// Windows build (17763, 20348, 26100).
    pub windows_build: Option<u32>,
    /// Labels, well-known ones included (`kubernetes.io/os`, `kubernetes.io/hostname`, ...),
    /// keys and values interned (`crate::labels`).
    pub labels: Labels,
    /// Taints (including `node.kubernetes.io/not-ready` while booting).
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// Allocatable.
    pub allocatable: Res,
    /// Sum of requests of bound pods.
    pub requested: Res,
    /// Sum of non-zero requests of bound pods (scoring).
    pub non_zero_requested: Res,
    /// Bound pods.
    pub pods: Vec<PodId>,
    /// Images fully present on the node, sorted.
    pub images: Vec<ImageId>,
    /// False once the node is deleted or failed.
    pub live: bool,
}

impl NodeInfo {
    /// True when the node holds image `i`.
    pub fn has_image(&self, i: ImageId) -> bool {
        self.images.binary_search(&i).is_ok()
    }
}

fn has_prefer_no_schedule(n: &NodeInfo) -> bool {
    n.taints
        .iter()
        .any(|t| t.effect == poolcast_model::scenario::TaintEffect::PreferNoSchedule)
}

/// An image known to the run.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// Full reference.
    pub name: String,
    /// Size the node reports in `status.images` (compressed content size).
    pub size: u64,
    /// Image OS.
    pub os: Os,
    /// Windows build of the image.
    pub windows_build: Option<u32>,
    /// Further platforms of a manifest list (`csi-node-driver-registrar`: Windows 17763
    /// and 20348 besides Linux); empty for a single-platform image. The layers stand for
    /// every platform.
    pub platforms: Vec<ImagePlatform>,
}

/// One platform of a multi-platform image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImagePlatform {
    /// The platform's OS.
    pub os: Os,
    /// Its Windows build; `None` on Windows matches every host (HostProcess images).
    pub windows_build: Option<u32>,
}

impl ImageInfo {
    /// Every platform, the image's own first.
    pub fn all_platforms(&self) -> impl Iterator<Item = ImagePlatform> + '_ {
        std::iter::once(ImagePlatform {
            os: self.os,
            windows_build: self.windows_build,
        })
        .chain(self.platforms.iter().copied())
    }

    /// Whether the image runs on a node of `node_os` / `node_build`
    /// ([`crate::kubelet::check_platforms`]).
    pub fn check_on(&self, node_os: Os, node_build: Option<u32>) -> crate::kubelet::OsCheck {
        crate::kubelet::check_platforms(node_os, node_build, self.all_platforms())
    }
}

/// Where the bound pods of one template sit: a per-node count plus the list of nodes
/// holding at least one, so that PodTopologySpread and InterPodAffinity count matching pods
/// in O(nodes holding them) instead of walking every pod (kube walks `NodeInfo.Pods` of every
/// node on every attempt; the counts are the same).
///
/// Memory: with thousands of small templates, each on a few dozen of thousands of nodes, the
/// per-node arrays are the largest structure of the cluster, so they hold one byte per
/// node (the count, saturating at 255; larger counts live in `big`), and the position of
/// each host in `hosts` is kept only for the hosts (`pos`): 5,000 nodes x 3,000 templates
/// take 15 MB instead of 120 MB with `(u32, u32)` slots, and `on` stays one array read.
#[derive(Debug, Clone, Default)]
pub struct SpecPlacement {
    /// Bound pods by node index, saturating at `u8::MAX` (see `big`); grown on demand.
    counts: Vec<u8>,
    /// Exact counts of the nodes whose `counts` entry saturated.
    big: BTreeMap<u32, u32>,
    /// Position in `hosts` of each host node.
    pos: BTreeMap<u32, u32>,
    hosts: Vec<NodeId>,
    total: u32,
}

impl SpecPlacement {
    /// Bound pods of the template on `node`.
    #[inline]
    pub fn on(&self, node: NodeId) -> u32 {
        match self.counts.get(node.idx()) {
            None => 0,
            Some(&c) if c < u8::MAX => u32::from(c),
            Some(_) => self.big_count(node),
        }
    }

    #[cold]
    fn big_count(&self, node: NodeId) -> u32 {
        self.big.get(&node.0).copied().unwrap_or(u32::from(u8::MAX))
    }

    /// Nodes holding at least one bound pod of the template (order: binding history).
    pub fn hosts(&self) -> &[NodeId] {
        &self.hosts
    }

    /// Bound pods of the template in the cluster.
    pub fn total(&self) -> u32 {
        self.total
    }

    fn set_count(&mut self, node: NodeId, c: u32) {
        let n = node.idx();
        if self.counts.len() <= n {
            self.counts.resize(n + 1, 0);
        }
        match u8::try_from(c) {
            Ok(b) if b < u8::MAX => {
                if self.counts[n] == u8::MAX {
                    self.big.remove(&node.0);
                }
                self.counts[n] = b;
            }
            _ => {
                self.counts[n] = u8::MAX;
                self.big.insert(node.0, c);
            }
        }
    }

    fn add(&mut self, node: NodeId) {
        let c = self.on(node);
        if c == 0 {
            self.pos.insert(node.0, self.hosts.len() as u32);
            self.hosts.push(node);
        }
        self.set_count(node, c + 1);
        self.total += 1;
    }

    /// # Panics
    /// If no pod of the template is bound to `node` (an accounting bug).
    fn remove(&mut self, node: NodeId) {
        let c = self.on(node);
        assert!(c > 0, "placement accounting underflow");
        self.set_count(node, c - 1);
        self.total -= 1;
        if c == 1 {
            let at = self
                .pos
                .remove(&node.0)
                .expect("placement host position missing") as usize;
            self.hosts.swap_remove(at);
            if let Some(&moved) = self.hosts.get(at) {
                self.pos.insert(moved.0, at as u32);
            }
        }
    }

    /// `(node index, count, position in hosts)` of every node the per-node array covers
    /// (invariant checks).
    fn slots(&self) -> impl Iterator<Item = (usize, u32, Option<u32>)> + '_ {
        (0..self.counts.len()).map(|n| {
            let node = NodeId(n as u32);
            (n, self.on(node), self.pos.get(&node.0).copied())
        })
    }
}

/// One entry of the node change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeChange {
    /// The node that changed.
    pub node: NodeId,
    /// For a bind (+1) or unbind (-1): the pod's template.
    pub pod_delta: Option<(SpecId, i32)>,
}

/// Entries kept before the change log drops its older half (consumers that fell behind
/// rebuild from scratch).
const CHANGE_LOG_MIN: usize = 1 << 16;

/// The whole cluster state.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// All nodes ever created (dead ones have `live == false`).
    pub nodes: Vec<NodeInfo>,
    /// All pods ever created.
    pub pods: Vec<PodInfo>,
    /// Pod templates.
    pub specs: Vec<PodSpec>,
    /// Images.
    pub images: Vec<ImageInfo>,
    /// Live nodes holding each image.
    pub image_node_count: Vec<u32>,
    /// Per image, a bitset over node ids of the nodes whose `images` list it (dead nodes
    /// included, as `NodeInfo::has_image`), kept by the image and node methods so that
    /// ImageLocality tests a bit instead of searching each node's list.
    image_nodes: Vec<Vec<u64>>,
    /// Number of live nodes.
    pub live_nodes: u32,
    /// Bound pods per template (`placements[spec]`), kept by `bind`/`unbind`; may be shorter
    /// than `specs` (templates with no pod bound yet).
    pub placements: Vec<SpecPlacement>,
    /// Bumped by `set_node_labels`: plugins cache per-node label lookups (topology domains,
    /// node-affinity matches) and rebuild them when this changes. Labels must therefore only
    /// change through `set_node_labels`.
    pub label_generation: u64,
    /// Bumped by `set_node_taints` (same contract as `label_generation`).
    pub taint_generation: u64,
    /// Bumped by `remove_node`; with `nodes.len()` it identifies the set of live nodes.
    pub removal_generation: u64,
    /// Live nodes carrying at least one PreferNoSchedule taint (TaintToleration scores
    /// every node alike while this is 0); kept by the node methods and `touch_node`.
    pub prefer_no_schedule_nodes: u32,
    /// Node change log (see `changes_since`); append through the methods only.
    pub changes: Vec<NodeChange>,
    /// Sequence number of `changes[0]`.
    pub changes_base: u64,
}

impl Cluster {
    /// The template of a pod.
    pub fn spec_of(&self, pod: PodId) -> &PodSpec {
        &self.specs[self.pods[pod.idx()].spec.idx()]
    }

    /// Ids of live nodes, in id order.
    pub fn live_node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.live)
            .map(|(i, _)| NodeId(i as u32))
    }

    /// `nodes[node].has_image(image)`, from the per-image bitset.
    #[inline]
    pub fn node_has_image(&self, node: NodeId, image: ImageId) -> bool {
        self.image_nodes
            .get(image.idx())
            .and_then(|b| b.get(node.idx() / 64))
            .is_some_and(|w| w & (1 << (node.idx() % 64)) != 0)
    }

    /// The bitset (by node id, 64 per word) of the nodes holding `image`; words past the
    /// end are zero.
    pub fn image_nodes(&self, image: ImageId) -> &[u64] {
        self.image_nodes.get(image.idx()).map_or(&[], Vec::as_slice)
    }

    fn set_image_bit(&mut self, node: NodeId, image: ImageId, on: bool) {
        let bits = &mut self.image_nodes[image.idx()];
        let w = node.idx() / 64;
        if bits.len() <= w {
            bits.resize(w + 1, 0);
        }
        if on {
            bits[w] |= 1 << (node.idx() % 64);
        } else {
            bits[w] &= !(1 << (node.idx() % 64));
        }
    }

    /// Position after the last logged node change.
    pub fn change_cursor(&self) -> u64 {
        self.changes_base + self.changes.len() as u64
    }

    /// Node changes logged since `cursor` (a value of `change_cursor`), or `None` when the
    /// log no longer reaches back that far and the caller must rebuild.
    pub fn changes_since(&self, cursor: u64) -> Option<&[NodeChange]> {
        let from = cursor.checked_sub(self.changes_base)?;
        self.changes.get(from as usize..)
    }

    fn record(&mut self, node: NodeId, pod_delta: Option<(SpecId, i32)>) {
        self.changes.push(NodeChange { node, pod_delta });
        let len = self.changes.len();
        if len > CHANGE_LOG_MIN && len > 8 * self.nodes.len() {
            let drop = len / 2;
            self.changes.drain(..drop);
            self.changes_base += drop as u64;
        }
    }

    /// Records that a `NodeInfo` field was edited in place.
    pub fn touch_node(&mut self, node: NodeId) {
        self.recount_prefer_no_schedule();
        self.record(node, None);
    }

    fn recount_prefer_no_schedule(&mut self) {
        self.prefer_no_schedule_nodes = self
            .nodes
            .iter()
            .filter(|n| n.live && has_prefer_no_schedule(n))
            .count() as u32;
    }

    /// Sets `spec.unschedulable` (cordon / uncordon).
    pub fn set_node_unschedulable(&mut self, node: NodeId, unschedulable: bool) {
        self.nodes[node.idx()].unschedulable = unschedulable;
        self.record(node, None);
    }

    /// Replaces a node's allocatable.
    pub fn set_node_allocatable(&mut self, node: NodeId, allocatable: Res) {
        self.nodes[node.idx()].allocatable = allocatable;
        self.record(node, None);
    }

    /// Adds a node; its images count towards `image_node_count`.
    pub fn add_node(&mut self, mut node: NodeInfo) -> NodeId {
        node.images.sort_unstable();
        node.images.dedup();
        if node.live {
            self.live_nodes += 1;
            for i in &node.images {
                self.image_node_count[i.idx()] += 1;
            }
            if has_prefer_no_schedule(&node) {
                self.prefer_no_schedule_nodes += 1;
            }
        }
        let id = NodeId(self.nodes.len() as u32);
        for &i in &node.images {
            self.set_image_bit(id, i, true);
        }
        self.nodes.push(node);
        self.record(id, None);
        id
    }

    /// Adds an image and returns its id.
    pub fn add_image(&mut self, image: ImageInfo) -> ImageId {
        let id = ImageId(self.images.len() as u32);
        self.images.push(image);
        self.image_node_count.push(0);
        self.image_nodes.push(Vec::new());
        id
    }

    /// Adds a pod template.
    pub fn add_spec(&mut self, spec: PodSpec) -> SpecId {
        let id = SpecId(self.specs.len() as u32);
        self.specs.push(spec);
        id
    }

    /// Adds an unbound, active pod.
    pub fn add_pod(&mut self, name: String, spec: SpecId, pinned_node: Option<NodeId>) -> PodId {
        let id = PodId(self.pods.len() as u32);
        self.pods.push(PodInfo {
            name,
            spec,
            node: None,
            pinned_node,
            nominated_node: None,
            active: true,
        });
        id
    }

    /// Binds `pod` to `node`, charging its requests.
    ///
    /// # Panics
    /// If the pod is already bound or the node is dead (engine bugs).
    pub fn bind(&mut self, pod: PodId, node: NodeId) {
        let p = &mut self.pods[pod.idx()];
        assert!(p.node.is_none(), "pod {} bound twice", p.name);
        p.node = Some(node);
        p.nominated_node = None;
        let spec = &self.specs[p.spec.idx()];
        let n = &mut self.nodes[node.idx()];
        assert!(n.live, "bind to dead node {}", n.name);
        n.requested.add(&spec.requests);
        n.non_zero_requested.add(&spec.non_zero);
        n.pods.push(pod);
        let s = p.spec.idx();
        if self.placements.len() <= s {
            self.placements.resize_with(s + 1, SpecPlacement::default);
        }
        self.placements[s].add(node);
        self.record(node, Some((SpecId(s as u32), 1)));
    }

    /// Removes `pod` from its node (deleted, evicted, preempted, or its node failed).
    pub fn unbind(&mut self, pod: PodId) {
        let Some(node) = self.pods[pod.idx()].node.take() else {
            return;
        };
        let spec_id = self.pods[pod.idx()].spec;
        let spec = &self.specs[spec_id.idx()];
        let n = &mut self.nodes[node.idx()];
        n.requested.sub(&spec.requests);
        n.non_zero_requested.sub(&spec.non_zero);
        if let Some(i) = n.pods.iter().position(|&p| p == pod) {
            n.pods.swap_remove(i);
        }
        if let Some(pl) = self.placements.get_mut(spec_id.idx()) {
            pl.remove(node);
        }
        self.record(node, Some((spec_id, -1)));
    }

    /// Where the bound pods of `spec` sit (`None` while none was ever bound).
    pub fn placement(&self, spec: SpecId) -> Option<&SpecPlacement> {
        self.placements.get(spec.idx())
    }

    /// Replaces a node's labels and bumps `label_generation`.
    pub fn set_node_labels(&mut self, node: NodeId, labels: BTreeMap<String, String>) {
        self.nodes[node.idx()].labels = Labels::from(labels);
        self.label_generation += 1;
        self.record(node, None);
    }

    /// Replaces a node's taints and bumps `taint_generation`.
    pub fn set_node_taints(&mut self, node: NodeId, taints: Vec<Taint>) {
        self.nodes[node.idx()].taints = taints;
        self.taint_generation += 1;
        self.recount_prefer_no_schedule();
        self.record(node, None);
    }

    /// Records that `node` now holds `image`.
    pub fn add_image_to_node(&mut self, node: NodeId, image: ImageId) {
        let n = &mut self.nodes[node.idx()];
        if let Err(i) = n.images.binary_search(&image) {
            n.images.insert(i, image);
            if n.live {
                self.image_node_count[image.idx()] += 1;
            }
            self.set_image_bit(node, image, true);
        }
    }

    /// Records that `node` no longer holds `image` (garbage-collected).
    pub fn remove_image_from_node(&mut self, node: NodeId, image: ImageId) {
        let n = &mut self.nodes[node.idx()];
        if let Ok(i) = n.images.binary_search(&image) {
            n.images.remove(i);
            if n.live {
                self.image_node_count[image.idx()] -= 1;
            }
            self.set_image_bit(node, image, false);
        }
    }

    /// Marks a node dead; its pods must have been unbound first.
    pub fn remove_node(&mut self, node: NodeId) {
        let n = &mut self.nodes[node.idx()];
        if !n.live {
            return;
        }
        assert!(n.pods.is_empty(), "remove_node with pods still bound");
        n.live = false;
        self.live_nodes -= 1;
        self.removal_generation += 1;
        for i in &n.images {
            self.image_node_count[i.idx()] -= 1;
        }
        if has_prefer_no_schedule(n) {
            self.prefer_no_schedule_nodes -= 1;
        }
        self.record(node, None);
    }

    /// Checks the module invariants; returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut counts = vec![0u32; self.images.len()];
        for (ni, n) in self.nodes.iter().enumerate() {
            let mut req = Res::default();
            for &p in &n.pods {
                let pod = &self.pods[p.idx()];
                if pod.node != Some(NodeId(ni as u32)) {
                    return Err(format!(
                        "pod {} listed on {} but bound elsewhere",
                        pod.name, n.name
                    ));
                }
                req.add(&self.specs[pod.spec.idx()].requests);
            }
            if req != n.requested {
                return Err(format!(
                    "node {} requested {:?} != sum {:?}",
                    n.name, n.requested, req
                ));
            }
            if n.live {
                for i in &n.images {
                    counts[i.idx()] += 1;
                }
            }
        }
        if counts != self.image_node_count {
            return Err("image_node_count out of date".into());
        }
        for (ni, n) in self.nodes.iter().enumerate() {
            for i in 0..self.images.len() {
                let id = ImageId(i as u32);
                if self.node_has_image(NodeId(ni as u32), id) != n.has_image(id) {
                    return Err(format!("image bitset of node {} out of date", n.name));
                }
            }
        }
        let pns = self
            .nodes
            .iter()
            .filter(|n| n.live && has_prefer_no_schedule(n))
            .count() as u32;
        if pns != self.prefer_no_schedule_nodes {
            return Err("prefer_no_schedule_nodes out of date (call touch_node)".into());
        }
        let mut per_spec: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for (ni, n) in self.nodes.iter().enumerate() {
            for &p in &n.pods {
                *per_spec
                    .entry((self.pods[p.idx()].spec.0, ni as u32))
                    .or_default() += 1;
            }
        }
        for (si, pl) in self.placements.iter().enumerate() {
            let mut total = 0;
            let mut held = 0;
            for (ni, c, pos) in pl.slots() {
                let want = per_spec.remove(&(si as u32, ni as u32)).unwrap_or(0);
                if c != want {
                    return Err(format!(
                        "placement of spec {si} on node {ni}: {c} != {want}"
                    ));
                }
                let host_ok = match pos {
                    Some(pos) => c > 0 && pl.hosts.get(pos as usize) == Some(&NodeId(ni as u32)),
                    None => c == 0,
                };
                if !host_ok {
                    return Err(format!("placement hosts of spec {si} out of date"));
                }
                held += usize::from(c > 0);
                total += c;
            }
            if total != pl.total || pl.hosts.len() != held || pl.pos.len() != held {
                return Err(format!("placement totals of spec {si} out of date"));
            }
        }
        if let Some(((s, n), _)) = per_spec.into_iter().next() {
            return Err(format!("spec {s} has pods on node {n} but no placement"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compact placement against a plain model (a count per node, and the hosts list
    /// with the same swap-remove order), through counts past the one-byte range and back.
    #[test]
    fn placement_counts_and_hosts_match_a_plain_model() {
        let mut pl = SpecPlacement::default();
        let mut counts = [0u32; 40];
        let mut hosts: Vec<NodeId> = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for step in 0..20_000 {
            // Node 3 takes thousands of pods, then loses them all; the others a few.
            let n = if step % 3 == 0 || step >= 12_000 {
                3
            } else {
                next(40) as usize
            };
            let node = NodeId(n as u32);
            let grow = if n == 3 { step < 12_000 } else { next(5) < 3 };
            if grow {
                pl.add(node);
                if counts[n] == 0 {
                    hosts.push(node);
                }
                counts[n] += 1;
            } else if counts[n] > 0 {
                pl.remove(node);
                counts[n] -= 1;
                if counts[n] == 0 {
                    let at = hosts.iter().position(|&h| h == node).expect("host listed");
                    hosts.swap_remove(at);
                }
            }
            if step % 97 == 0 || step == 12_000 {
                for (i, &c) in counts.iter().enumerate() {
                    assert_eq!(pl.on(NodeId(i as u32)), c, "node {i} at step {step}");
                }
                assert_eq!(pl.hosts(), hosts.as_slice());
                assert_eq!(pl.total(), counts.iter().sum::<u32>());
            }
        }
        assert!(counts[3] == 0 && pl.big.is_empty(), "node 3 drained");
        assert_eq!(pl.on(NodeId(1_000)), 0, "beyond the array");
    }

    #[test]
    fn placement_saturates_past_one_byte() {
        let mut pl = SpecPlacement::default();
        for _ in 0..300 {
            pl.add(NodeId(7));
        }
        assert_eq!(pl.on(NodeId(7)), 300);
        assert_eq!(pl.big.len(), 1);
        for _ in 0..46 {
            pl.remove(NodeId(7));
        }
        assert_eq!(pl.on(NodeId(7)), 254);
        assert!(pl.big.is_empty());
        assert_eq!(pl.hosts(), &[NodeId(7)]);
    }
}

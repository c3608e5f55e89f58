//! What a run produced, as the serialisable boundary type `Outcome` (`schema:
//! "poolcast.run/v1"`, documented field by field in `docs/output.md`): the summary, one
//! record per pod and per node, the failures, the sampled time series, the targets and the
//! assumptions the run relied on.
//!
//! Every map is a `BTreeMap` and every float is rounded (`round4`) before it is stored, so
//! the same scenario and seed serialise to the same bytes. Engine internals never derive
//! `Serialize`; only these report types do.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The output schema identifier.
pub const SCHEMA: &str = "poolcast.run/v1";

/// Rounds to 4 decimal places, the precision of every float in the output.
pub fn round4(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 10_000.0).round() / 10_000.0
}

/// A shared, immutable name (workload, namespace, node, pool, image) in the per-pod
/// records: the engine makes one per distinct value and every record clones the handle,
/// so 150,000 pods of 3,000 workloads hold 3,000 workload strings, not 150,000. It
/// serialises and deserialises as a plain string, and compares, orders and hashes as its
/// text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0.as_ref().to_owned()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

/// The closed set of failure reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Reason {
    /// No node passed the scheduler's filters (`FailedScheduling`).
    Unschedulable,
    /// The image pull failed and the kubelet is backing off (not an OS problem).
    ImagePullBackOff,
    /// The image's OS is not the node's OS: the pull finds no matching platform.
    OsMismatch,
    /// The Windows image build cannot run on the host build (process isolation).
    OsVersionMismatch,
    /// The kubelet evicted the pod because the node ran short of disk.
    DiskPressureEviction,
    /// Deleted by kube-scheduler's preemption to make room for a higher-priority pod
    /// (after its graceful termination); the controller created a replacement.
    Preempted,
    /// Bound but not ready by the end of the run, without another failure.
    StartTimeout,
    /// A scenario target was missed.
    TargetMissed,
}

impl Reason {
    /// The reason code as written in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unschedulable => "Unschedulable",
            Reason::ImagePullBackOff => "ImagePullBackOff",
            Reason::OsMismatch => "OsMismatch",
            Reason::OsVersionMismatch => "OsVersionMismatch",
            Reason::DiskPressureEviction => "DiskPressureEviction",
            Reason::Preempted => "Preempted",
            Reason::StartTimeout => "StartTimeout",
            Reason::TargetMissed => "TargetMissed",
        }
    }
}

/// A run's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Simulated span in ms.
    pub horizon_ms: u64,
    /// Totals.
    pub summary: Summary,
    /// Every pod created during the run, in creation order.
    pub pods: Vec<PodRecord>,
    /// Every node that existed during the run, in creation order.
    pub nodes: Vec<NodeRecord>,
    /// Failures in time order (the first occurrence of each pod/reason/message).
    pub failures: Vec<FailureRecord>,
    /// Sampled time series.
    pub series: Series,
    /// Each scenario target, met or missed.
    pub targets: Vec<TargetResult>,
    /// Approximations the run relied on, with their sources.
    pub assumptions: Vec<Assumption>,
    /// Cluster-autoscaler events in time order (empty when no pool autoscales).
    pub node_events: Vec<NodeEvent>,
    /// Node-pool upgrades, one per `upgrade` event that ran (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<UpgradeRecord>,
}

/// One pool upgrade: what AKS did, node by node, and what it cost the workloads.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeRecord {
    /// Pool.
    pub pool: String,
    /// The pool's Kubernetes `MAJOR.MINOR` before the upgrade.
    pub from: String,
    /// Target: `MAJOR.MINOR`, or `node-image` (same version, the latest node image).
    pub to: String,
    /// `Succeeded`, `Failed` (UpgradeFailed), `Canceled`, `Refused` (never started) or
    /// `Running` at the horizon.
    pub status: String,
    /// The event's time.
    pub started_ms: u64,
    /// When the last surge node was removed (or the upgrade stopped).
    pub finished_ms: Option<u64>,
    /// `finished - started`.
    pub duration_ms: Option<u64>,
    /// Surge nodes requested.
    pub max_surge: u32,
    /// Batches of nodes cordoned and drained together.
    pub batches: Vec<UpgradeBatch>,
    /// Every node the upgrade touched, in the order it touched them.
    pub nodes: Vec<UpgradeNode>,
    /// Why the upgrade was refused, stopped or slowed, in AKS's and Kubernetes' wording.
    pub blockers: Vec<UpgradeBlocker>,
    /// Per workload with pods on the pool: unavailable replicas over time against what its
    /// PodDisruptionBudget allows.
    pub availability: Vec<WorkloadAvailability>,
    /// Pods that waited for an image pull on a node the upgrade created.
    pub pull_waits: Vec<PullWait>,
    /// Node-hours of surge nodes and their price (None when the VM size has no price).
    pub surge_node_hours: f64,
    /// USD.
    pub surge_cost: Option<f64>,
    /// AKS node events (`Surge`, `Drain`, `Upgrade`) as `kubectl get events` shows them.
    pub events: Vec<UpgradeEventLine>,
}

/// One batch: nodes cordoned and drained at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeBatch {
    /// Nodes in the batch.
    pub nodes: Vec<String>,
    /// Cordon time.
    pub started_ms: u64,
    /// The last node of the batch was Ready again (or gave up).
    pub finished_ms: Option<u64>,
}

/// The upgrade's timeline of one node (times in ms; absent = did not happen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNode {
    /// Node name.
    pub node: String,
    /// `upgraded`, `surge` or `quarantined`.
    pub role: String,
    /// Surge node requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_ms: Option<u64>,
    /// Cordoned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cordoned_ms: Option<u64>,
    /// Every pod but DaemonSet pods evicted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drained_ms: Option<u64>,
    /// Reimage started (after the soak).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reimage_ms: Option<u64>,
    /// Ready on the new version (surge node joined, or reimaged node back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_ms: Option<u64>,
    /// Deleted (surge nodes at the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_ms: Option<u64>,
}

/// Something that refused, stopped or held up the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeBlocker {
    /// AKS's error code (`UpgradeFailed`, `OperationNotAllowed`,
    /// `NodePoolMcVersionIncompatible`, `Windows2019NotSupportedWithOrchestratorVersion`)
    /// or `EvictionBlocked` for a refused eviction the drain retried.
    pub code: String,
    /// When.
    pub at_ms: u64,
    /// Node, when one is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Pod, when one is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// PodDisruptionBudget, when one refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb: Option<String>,
    /// The message.
    pub message: String,
}

/// Replicas of one workload over the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAvailability {
    /// Workload.
    pub workload: String,
    /// Desired replicas.
    pub desired: u32,
    /// The covering budget, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb: Option<String>,
    /// Unavailable replicas the budget tolerates (`expected - desiredHealthy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb_allows_unavailable: Option<u32>,
    /// Most replicas unavailable at once.
    pub max_unavailable: u32,
    /// Sample times.
    pub t_ms: Vec<u64>,
    /// Unavailable (desired minus ready) at each sample.
    pub unavailable: Vec<u32>,
}

/// A pod that waited for its images on a node the upgrade created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullWait {
    /// Pod.
    pub pod: String,
    /// Workload.
    pub workload: String,
    /// Node.
    pub node: String,
    /// From bind to images present.
    pub wait_ms: u64,
}

/// An AKS node event of the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeEventLine {
    /// When.
    pub at_ms: u64,
    /// `Surge`, `Drain` or `Upgrade` (AKS's event reasons).
    pub reason: String,
    /// Node.
    pub node: String,
    /// AKS's message.
    pub message: String,
}

/// Pod counts at the end of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodCounts {
    /// Pods that exist at the horizon (not deleted, not replaced).
    pub total: u32,
    /// Bound to a node.
    pub placed: u32,
    /// Ready.
    pub ready: u32,
    /// Not bound.
    pub pending: u32,
    /// Failed with a reason (including evicted pods).
    pub failed: u32,
    /// Jobs that completed.
    pub succeeded: u32,
}

/// Per-workload summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSummary {
    /// Controller kind.
    pub kind: String,
    /// Counts.
    pub pods: PodCounts,
    /// Failed pods by reason.
    pub by_reason: BTreeMap<Reason, u32>,
}

/// Per-pool summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSummary {
    /// linux / windows.
    pub os: String,
    /// VM size.
    pub vm_size: String,
    /// Nodes alive at the horizon.
    pub nodes: u32,
    /// USD per node-hour the organisation pays: VM after `cluster.pricing` plus the OS
    /// disk (None when the VM has no price).
    pub price_per_node_hour: Option<f64>,
    /// The VM part of `price_per_node_hour`.
    pub vm_per_node_hour: Option<f64>,
    /// The OS disk part (monthly price / 730 h; 0 for ephemeral; None: disk unpriced).
    pub disk_per_node_hour: Option<f64>,
    /// The OS disk's SKU, tier and price source.
    pub disk_basis: String,
    /// The disk price is East US's, borrowed for this region.
    pub disk_estimated: bool,
    /// Pool cost per hour at the horizon.
    pub cost_per_hour: Option<f64>,
    /// Where the price comes from: `published`, `rule` (Windows = Linux + the licence per
    /// vCPU), `linux rate (Azure Hybrid Benefit)` or `inline`; `None`: unpriced.
    pub price_basis: Option<String>,
    /// Node-hours billed over the run (each node from its add request, or time zero, to its
    /// deletion or the horizon).
    pub node_hours: f64,
    /// `node_hours` x price; `None` when unpriced.
    pub run_cost: Option<f64>,
}

/// What the cluster costs the organisation (list prices after `cluster.pricing`, OS
/// disks and the AKS tier fee included): the steady figure (the nodes alive at
/// the horizon, per hour and per 730-hour month) and the cost over the run (node-hours
/// actually used).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    /// Currency of every price.
    pub currency: &'static str,
    /// AKS pricing tier (`free`, `standard`, `premium`; `none` for provider generic).
    pub tier: &'static str,
    /// Its cluster-management fee per hour (included in every sum below).
    pub tier_fee_per_hour: f64,
    /// What the prices are: `list` (pay-as-you-go) or `paid after cluster.pricing: ...`.
    pub basis: String,
    /// Steady: the VMs' part of `per_hour`.
    pub vms_per_hour: f64,
    /// Steady: the OS disks' part of `per_hour` (`per_hour` = VMs + disks + tier fee).
    pub disks_per_hour: f64,
    /// Some OS disk price is East US's, borrowed for the region (`estimatedPools`).
    pub estimated: bool,
    /// Pools whose disk price is estimated or whose disk tier is unpriced.
    pub estimated_pools: Vec<String>,
    /// Steady: USD per hour of the nodes alive at the horizon (priced pools only) plus the
    /// tier fee.
    pub per_hour: f64,
    /// Steady: USD per month (730 hours, Azure's pricing month).
    pub per_month: f64,
    /// False when some pool with nodes had no price: the sums above and below leave it
    /// out, and `unpriced_pools` names it.
    pub complete: bool,
    /// Pools with nodes and no price (never counted as free).
    pub unpriced_pools: Vec<String>,
    /// Simulated hours (the horizon).
    pub run_hours: f64,
    /// Node-hours billed over the run, all pools.
    pub node_hours: f64,
    /// USD over the run: node-hours x price of the priced pools, plus the tier fee for
    /// the run's hours.
    pub run_cost: f64,
    /// Over the run: the VMs' part of `run_cost`.
    pub run_vms: f64,
    /// Over the run: the OS disks' part.
    pub run_disks: f64,
    /// Over the run: the tier fee's part (`run_cost` = VMs + disks + fee).
    pub run_tier_fee: f64,
}

/// Peak requested/allocatable fractions over the samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Utilisation {
    /// CPU requests / allocatable.
    pub cpu: f64,
    /// Memory requests / allocatable.
    pub memory: f64,
    /// Pods / pod slots.
    pub pods: f64,
}

/// Time from pod creation to Ready.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Percentiles {
    /// Pods that became ready.
    pub count: u32,
    /// Median, ms (nearest rank).
    pub p50_ms: u64,
    /// 95th percentile, ms (nearest rank).
    pub p95_ms: u64,
    /// Maximum, ms.
    pub max_ms: u64,
}

/// One failure message and the pods it hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopFailure {
    /// Reason.
    pub reason: Reason,
    /// Message.
    pub message: String,
    /// Number of pods.
    pub count: u32,
    /// Pod names (all of them, in creation order).
    pub pods: Vec<String>,
}

/// The summary block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Workload pods (AKS system pods excluded).
    pub pods: PodCounts,
    /// AKS system pods.
    pub system_pods: PodCounts,
    /// Failed workload pods by reason.
    pub by_reason: BTreeMap<Reason, u32>,
    /// Per workload.
    pub by_workload: BTreeMap<String, WorkloadSummary>,
    /// Per pool.
    pub nodes_by_pool: BTreeMap<String, PoolSummary>,
    /// Cost.
    pub cost: Cost,
    /// Peak utilisation per pool.
    pub peak_utilisation: BTreeMap<String, Utilisation>,
    /// Time to ready of workload pods by node OS.
    pub time_to_ready: BTreeMap<String, Percentiles>,
    /// Most frequent failure messages with the pods they hit (at most 10).
    pub top_failures: Vec<TopFailure>,
}

/// A pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRecord {
    /// Pod name.
    pub name: String,
    /// Namespace.
    pub namespace: Name,
    /// Workload (or AKS system component).
    pub workload: Name,
    /// True for AKS's own pods.
    pub system: bool,
    /// Node it is (or was last) bound to.
    pub node: Option<Name>,
    /// That node's pool.
    pub pool: Option<Name>,
    /// Pending, Running, Succeeded, Failed, Deleted.
    pub phase: &'static str,
    /// Ready at the horizon.
    pub ready: bool,
    /// Failure reason, if any.
    pub reason: Option<Reason>,
    /// The last kube message behind the reason.
    pub message: Option<String>,
    /// Creation time, ms.
    pub created_ms: u64,
    /// Binding time, ms.
    pub scheduled_ms: Option<u64>,
    /// All images present, ms.
    pub pulled_ms: Option<u64>,
    /// Containers started, ms.
    pub started_ms: Option<u64>,
    /// Ready, ms.
    pub ready_ms: Option<u64>,
    /// Completed, deleted, evicted or lost, ms.
    pub ended_ms: Option<u64>,
    /// Scheduling attempts.
    pub attempts: u32,
    /// Priority.
    pub priority: i32,
    /// How each of its images got onto its (last) node, in the order it got them; absent
    /// for a pod never bound.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pulls: Vec<PullRecord>,
}

/// How one image of a pod got onto its node: the pull breakdown. `totalMs` is the kubelet's
/// "including waiting" figure, `pullMs` its "Successfully pulled image ... in" figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRecord {
    /// Image reference.
    pub image: Name,
    /// `present` (already on the node: nothing fetched), `pulled` (the pod's request
    /// started the pull) or `joined` (a pull of the image was already queued or running).
    pub source: &'static str,
    /// Compressed bytes the pull downloaded (layers already on the node excluded).
    pub bytes: u64,
    /// Bytes it unpacked.
    pub unpacked_bytes: u64,
    /// Sum of its layers' download times, ms.
    pub download_ms: u64,
    /// Sum of its layers' extraction times, ms (downloads overlap extraction: the pull
    /// takes less than the two sums).
    pub extraction_ms: u64,
    /// `totalMs` not spent on the pull's own layers: queued behind other pulls, or waiting
    /// for layers another pull was fetching, ms.
    pub waiting_ms: u64,
    /// From the pull's start to the image on the node, ms.
    pub pull_ms: u64,
    /// From the pod's request to the image on the node, ms.
    pub total_ms: u64,
    /// When the pod asked for the image, ms.
    pub requested_ms: u64,
    /// When the image was on the node, ms.
    pub done_ms: u64,
}

/// A resource vector for output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRecord {
    /// Millicores.
    pub cpu_millis: u64,
    /// Bytes.
    pub memory_bytes: u64,
    /// Bytes.
    pub ephemeral_storage_bytes: u64,
    /// Pod slots.
    pub pods: u64,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRecord {
    /// Node name.
    pub name: String,
    /// Pool.
    pub pool: String,
    /// linux / windows.
    pub os: String,
    /// `node.kubernetes.io/windows-build`.
    pub windows_build: Option<String>,
    /// VM size.
    pub vm_size: String,
    /// `topology.kubernetes.io/zone`.
    pub zone: String,
    /// Ready, NotReady, or SchedulingDisabled (cordoned).
    pub state: String,
    /// Joined the cluster, ms.
    pub created_ms: u64,
    /// Failed, ms.
    pub failed_ms: Option<u64>,
    /// Deleted by the cluster-autoscaler, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_ms: Option<u64>,
    /// Allocatable.
    pub allocatable: ResourceRecord,
    /// Requests of bound pods at the horizon.
    pub requested: ResourceRecord,
    /// Pods bound at the horizon.
    pub pods: u32,
    /// Images on the node at the horizon.
    pub images: Vec<String>,
    /// OS disk size.
    pub disk_capacity_bytes: u64,
    /// OS disk used at the horizon.
    pub disk_used_bytes: u64,
    /// DiskPressure at the horizon.
    pub disk_pressure: bool,
    /// Taints at the horizon.
    pub taints: Vec<String>,
}

/// What a cluster-autoscaler event was, named after the Kubernetes event reasons the
/// autoscaler emits (`TriggeredScaleUp`, `NotTriggerScaleUp`, `ScaleDown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum NodeEventKind {
    /// Nodes requested for a pool.
    TriggeredScaleUp,
    /// A requested node joined Ready.
    NodeJoined,
    /// Requested nodes did not join within max-node-provision-time.
    ScaleUpTimedOut,
    /// A node was drained and deleted.
    ScaleDown,
    /// Pending pods that no autoscaled pool could take.
    NotTriggerScaleUp,
}

/// A cluster-autoscaler event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeEvent {
    /// Time, ms.
    pub at_ms: u64,
    /// What happened.
    pub kind: NodeEventKind,
    /// Pool concerned.
    pub pool: Option<String>,
    /// Node concerned.
    pub node: Option<String>,
    /// Nodes (or, for `NotTriggerScaleUp`, pods) involved.
    pub count: u32,
    /// Message, worded after the autoscaler's own.
    pub message: String,
}

/// A failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRecord {
    /// Time, ms.
    pub at_ms: u64,
    /// Pod (None for a missed target).
    pub pod: Option<String>,
    /// Workload.
    pub workload: Option<String>,
    /// Node involved.
    pub node: Option<String>,
    /// Reason.
    pub reason: Reason,
    /// Message, as Kubernetes words it.
    pub message: String,
}

/// Per-pool columns of the series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSeries {
    /// Live nodes.
    pub nodes: Vec<u32>,
    /// CPU requested / allocatable.
    pub cpu: Vec<f64>,
    /// Memory requested / allocatable.
    pub memory: Vec<f64>,
    /// Nodes the cluster-autoscaler requested that have not joined yet (present when a
    /// pool autoscales).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upcoming: Vec<u32>,
}

/// Time series, one column per metric, one entry per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    /// Sample interval, ms.
    pub sample_every_ms: u64,
    /// Sample times, ms.
    pub t_ms: Vec<u64>,
    /// Workload pods not bound.
    pub pending: Vec<u32>,
    /// Workload pods bound, not ready.
    pub starting: Vec<u32>,
    /// Workload pods ready.
    pub ready: Vec<u32>,
    /// Pulls in progress on all nodes.
    pub pulls: Vec<u32>,
    /// Per pool.
    pub pools: BTreeMap<String, PoolSeries>,
}

/// One target's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResult {
    /// `allPlaced`, `maxPending`, `p95TimeToReady`, `headroom`.
    pub name: String,
    /// The target as written.
    pub target: String,
    /// The value reached.
    pub actual: String,
    /// Met or not.
    pub met: bool,
}

/// An approximation the run relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assumption {
    /// What it is about (`pull`, `allocatable`, ...).
    pub topic: String,
    /// What was assumed.
    pub text: String,
    /// Where it comes from.
    pub source: String,
}

impl Outcome {
    /// True when every target is met and no workload pod failed (`--check`).
    pub fn passes_check(&self) -> bool {
        self.targets.iter().all(|t| t.met) && self.summary.pods.failed == 0
    }
}

/// Nearest-rank percentile of sorted values (`p` in 1..=100).
pub fn percentile(sorted: &[u64], p: u32) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    let rank = (u64::from(p) * n as u64).div_ceil(100).max(1) as usize;
    sorted[rank.min(n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), 10);
        assert_eq!(percentile(&v, 95), 19);
        assert_eq!(percentile(&v, 100), 20);
        assert_eq!(percentile(&[7], 95), 7);
        assert_eq!(percentile(&[], 95), 0);
    }

    #[test]
    fn names_serialise_compare_and_order_as_their_text() {
        let a = Name::from("web-api");
        let b = a.clone();
        assert!(
            std::ptr::eq(a.as_str(), b.as_str()),
            "a clone shares the text"
        );
        assert_eq!(serde_json::to_string(&a).expect("json"), "\"web-api\"");
        assert_eq!(
            serde_json::to_string(&Some(Name::from("x\"y"))).expect("json"),
            serde_json::to_string(&Some("x\"y")).expect("json")
        );
        let back: Name = serde_json::from_str("\"node-7\"").expect("parse");
        assert_eq!(back, "node-7");
        assert_eq!(back.to_string(), "node-7");
        assert_eq!(format!("{back:?}"), "\"node-7\"");
        let owned = String::from("web-api");
        assert!(a == *"web-api" && "web-api" == a && owned == a);
        let mut v = [Name::from("b"), Name::from("a10"), Name::from("a9")];
        v.sort();
        let mut w = vec!["b", "a10", "a9"];
        w.sort();
        assert!(v.iter().map(Name::as_str).eq(w));
    }

    #[test]
    fn rounding_is_stable() {
        assert_eq!(round4(0.123_456), 0.1235);
        assert_eq!(round4(f64::NAN), 0.0);
        assert_eq!(Reason::OsMismatch.as_str(), "OsMismatch");
    }
}

//! The event loop: one closed `Event` enum handled by one exhaustive `match`, driving pod
//! creation (fixed, spread or Poisson arrivals), scheduling cycles, kubelet pulls and
//! container starts, readiness, Job completion, scenario events (scale, node failure,
//! cordon, drain, added nodes), disk pressure and the time-series samples.
//!
//! Scheduling is instantaneous per attempt and binds at the attempt time. Pods that fail on
//! their node (OS mismatch, Windows build mismatch, no disk) keep retrying with the
//! kubelet's back-off until the horizon, holding their node's resources, as in a real
//! cluster. Controllers replace pods that are evicted, drained or lost with their node.

use std::collections::BTreeMap;

use poolcast_model::scenario::{Os, Taint, TaintEffect, WorkloadKind};
use rand::Rng;

use crate::build::{ArrivalPlan, Plan};
use crate::cluster::{ImageId, NodeId, NodeInfo, PodId, PoolId, Res};
use crate::engine::{rng_for, EventKey, EventQueue, SimRng, SimTime, Stream};
use crate::kubelet::{
    image_backoff_ms, DiskPerf, IoCostModel, Kubelet, LayerOrigin, OsCheck, PerFileIoCost,
    PipelinedPull, PullRequest, PullStart,
};
use crate::outcome::{FailureRecord, Reason, Series};
use crate::pdb::{self, Budget, BudgetStatus, Eviction, PodView};
use crate::scheduler::preemption::{self, Preemption, PreemptionContext};
use crate::scheduler::queue::{ClusterEvent, QueueSettings, SchedulingQueue};
use crate::scheduler::{FitError, NodeVerdict, ScheduleResult, Scheduler};

mod autoscale;
mod report;
pub(crate) mod upgrade;

#[cfg(test)]
mod batch_tests;

/// Kubelet eviction manager's monitoring interval (`housekeeping-interval` 10 s).
const EVICTION_MONITOR_MS: u64 = 10_000;
/// `evictionPressureTransitionPeriod` (5 min, kubelet defaults.go): a pressure condition
/// stays on this long after the signal clears.
const PRESSURE_TRANSITION_MS: u64 = 300_000;
/// Taints the node lifecycle controller and the kubelet put on nodes.
const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
/// `terminationGracePeriodSeconds` default (30 s, `pkg/apis/core/v1/defaults.go`): a
/// preempted pod holds its node this long before it is gone.
pub const TERMINATION_GRACE_MS: u64 = 30_000;
/// `kubectl drain` retries an eviction the API refused (429) after 5 s
/// (`k8s.io/kubectl/pkg/drain`, `evictPods`).
pub const DRAIN_RETRY_MS: u64 = 5_000;

/// `node-monitor-grace-period`: 40 s up to Kubernetes 1.31, 50 s from 1.32
/// (kube-controller-manager defaults, kubernetes/kubernetes#125900).
fn node_monitor_grace_ms(minor: u32) -> u64 {
    if minor >= 32 {
        50_000
    } else {
        40_000
    }
}

/// Everything that can happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// `count` pods of a workload are created.
    CreatePods { workload: u32, count: u32 },
    /// The next Poisson arrival of a workload.
    PoissonArrival { workload: u32 },
    /// The scheduler pops pods from its active queue.
    ScheduleCycle,
    /// An image pull on a node finished.
    PullDone { node: NodeId, image: ImageId },
    /// A pod's kubelet back-off expired: retry its pulls / container creation.
    KubeletRetry { pod: PodId, node: NodeId },
    /// The pod's containers started.
    ContainerStarted { pod: PodId, node: NodeId },
    /// The pod became Ready.
    PodReady { pod: PodId, node: NodeId },
    /// A Job pod completed.
    JobDone { pod: PodId, node: NodeId },
    /// Scenario event by index.
    Scenario(u32),
    /// A node of a pool joins the cluster Ready.
    NodeJoin { pool: PoolId, requested: SimTime },
    /// The node lifecycle controller marks a failed node unreachable.
    NodeUnreachable { node: NodeId },
    /// Pods on an unreachable node pass their toleration and are evicted.
    NodeTaintEviction { node: NodeId },
    /// The eviction manager checks a node's disk.
    DiskCheck { node: NodeId },
    /// A preempted pod's graceful termination is over: it is gone.
    VictimGone { pod: PodId, node: NodeId },
    /// `kubectl drain` retries the evictions a PodDisruptionBudget refused.
    DrainRetry { node: NodeId },
    /// A time-series sample.
    Sample,
    /// A cluster-autoscaler loop.
    AutoscalerScan,
    /// A node requested by the cluster-autoscaler joins Ready.
    AutoscaledNodeJoin { pool: PoolId, requested: SimTime },
    /// A step of a node-pool upgrade (`run::upgrade`).
    Upgrade(upgrade::Step),
}

/// A pod's lifecycle phase as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Deleted,
}

/// `<workload>-<suffix>` in one allocation of the exact size (`format!` grows its buffer
/// piece by piece: several allocations per pod).
fn pod_name(workload: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(workload.len() + 1 + suffix.len());
    s.push_str(workload);
    s.push('-');
    s.push_str(suffix);
    s
}

/// `i` in decimal, written at the end of `buf`.
fn decimal(mut i: u32, buf: &mut [u8; 10]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

impl Phase {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Deleted => "Deleted",
        }
    }
}

/// Engine-side record of a pod.
#[derive(Debug, Clone)]
pub(crate) struct PodRt {
    pub workload: u32,
    pub created: SimTime,
    pub scheduled: Option<SimTime>,
    pub pulled: Option<SimTime>,
    pub started: Option<SimTime>,
    pub ready: Option<SimTime>,
    pub ended: Option<SimTime>,
    /// Ready now (false again once its node is lost).
    pub is_ready: bool,
    pub phase: Phase,
    pub reason: Option<Reason>,
    pub message: Option<String>,
    pub next_image: usize,
    pub kubelet_failures: u32,
    pub last_node: Option<NodeId>,
    /// Shown in the output (DaemonSet pods for ineligible nodes are never created).
    pub visible: bool,
    /// Deleted by preemption, in its grace period (deletionTimestamp set).
    pub terminating: bool,
    /// Its controller already created a replacement.
    pub replaced: bool,
    /// When it asked for the image it waits for, and whether another pull of that image
    /// was already queued or running (it joined it).
    pub asked: Option<(SimTime, bool)>,
    /// Its images on its current node, in the order it got them.
    pub pulls: Vec<PodPull>,
}

/// How one image of a pod got onto its node (the pull breakdown of `run --format json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PodPull {
    pub image: ImageId,
    /// When the pod asked for it.
    pub asked: SimTime,
    /// When it was on the node.
    pub done: SimTime,
    /// Another pod's pull of the image was already queued or running.
    pub joined: bool,
    /// The pull, `None` when the image was already present.
    pub pull: Option<PullFacts>,
}

/// The figures of one pull, from the kubelet's trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PullFacts {
    pub started: SimTime,
    pub active_ms: u64,
    pub bytes: u64,
    pub unpacked: u64,
    pub download_ms: u64,
    pub extraction_ms: u64,
}

/// Engine-side record of a node.
#[derive(Debug, Clone)]
pub(crate) struct NodeRt {
    pub zone: String,
    pub created: SimTime,
    pub failed: Option<SimTime>,
    /// Deleted by the cluster-autoscaler.
    pub removed: Option<SimTime>,
    pub unreachable: bool,
    /// Pods waiting for an image pull on this node.
    pub waiters: Vec<(ImageId, PodId)>,
    pub pressure_clear_since: Option<SimTime>,
    pub disk_check_pending: bool,
    /// When a scale-up or an add-nodes event asked for it (None for nodes of time zero).
    pub requested: Option<SimTime>,
}

/// Engine-side record of a workload.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkloadRt {
    /// Pods alive (not ended).
    pub live: Vec<PodId>,
    pub next_index: u32,
    pub desired: Option<u32>,
    pub created: u32,
}

/// A captured explanation of one scheduling attempt.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub pod: PodId,
    pub at: SimTime,
    pub verdicts: Vec<NodeVerdict>,
    /// The node it was bound to, or kube-scheduler's FailedScheduling message.
    pub chosen: Option<NodeId>,
    pub message: Option<String>,
    /// Which attempt of the pod it was (1 = first).
    pub attempt: u32,
}

/// A bind that the property tests re-check: the pod, the node, and whether every filter
/// passed and allocatable held at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindCheck {
    /// Pod.
    pub pod: PodId,
    /// Node.
    pub node: NodeId,
    /// All filters passed on the node just before the bind.
    pub filters_passed: bool,
    /// Requests within allocatable just after the bind.
    pub within_allocatable: bool,
}

/// A preemption the property tests re-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreemptionCheck {
    /// The preemptor's priority.
    pub preemptor_priority: i32,
    /// Each victim's priority.
    pub victim_priorities: Vec<i32>,
    /// Victims whose eviction broke a PodDisruptionBudget.
    pub pdb_violations: usize,
    /// A witness that some node could be freed without breaking a budget: removing only
    /// lower-priority pods while every covering budget keeps a disruption in hand.
    pub non_breaking_existed: bool,
}

/// What a sample's pod counts depend on: pod-state generation, cluster version, pods.
type SampleKey = (u64, u64, usize);

/// The engine.
pub(crate) struct Engine<'s> {
    pub plan: Plan,
    pub scenario: &'s poolcast_model::Scenario,
    pub q: EventQueue<Event>,
    pub sched: Scheduler,
    pub queue: SchedulingQueue,
    /// Bumped whenever a pod's visibility, end or readiness changes (`sample`'s cache).
    pod_states_gen: u64,
    /// The last sample's pod counts with what they were computed from: the generation
    /// above, the cluster's version (binds and unbinds) and the number of pods.
    sample_counts: Option<(SampleKey, (u32, u32, u32))>,
    tie: SimRng,
    arrivals: SimRng,
    pub kubelets: Vec<Kubelet>,
    pub nodes: Vec<NodeRt>,
    pub pods: Vec<PodRt>,
    pub workloads: Vec<WorkloadRt>,
    pub failures: Vec<FailureRecord>,
    pub series: Series,
    pub pool_next_index: Vec<u32>,
    /// Peak pods / pod slots per pool over the samples.
    pub peak_pods: Vec<f64>,
    wake: Option<(SimTime, EventKey)>,
    cycle_pending: bool,
    pub horizon: SimTime,
    explain: Option<(String, SimTime)>,
    pub captured: Option<Captured>,
    /// The explained pod, once created.
    pub traced: Option<PodId>,
    /// Its scheduling attempts: time, and the node or kube-scheduler's message.
    pub attempt_log: Vec<(SimTime, Result<NodeId, String>)>,
    /// When set, every bind is re-checked (tests).
    pub audit: Option<Vec<BindCheck>>,
    /// When `audit` is set, every preemption is re-checked too.
    pub audit_preemptions: Vec<PreemptionCheck>,
    /// Reused buffers, so handling an event does not allocate.
    scratch_starts: Vec<PullStart>,
    scratch_pods: Vec<PodId>,
    /// The cluster-autoscaler, when a pool autoscales.
    pub autoscaler: Option<crate::autoscaler::Autoscaler>,
    /// PodDisruptionBudgets of the scenario.
    pub budgets: Vec<Budget>,
    /// DefaultPreemption's random offsets.
    preempt_rng: SimRng,
    /// Every preemption: (time, preemptor, node, victims), for tests and reports.
    pub preemptions: Vec<(SimTime, PodId, NodeId, Vec<PodId>)>,
    /// Spread in provisioning, pulls and container starts (`sim.variability`).
    pub jitter: crate::variability::Jitter,
    /// The scenario's node-pool upgrades, in event order.
    pub(crate) upgrades: Vec<upgrade::UpgradeRun>,
    /// Replays identical retries in batches (`replay_batch`); tests turn it off to
    /// compare with the one-by-one path.
    pub(crate) batch_replays: bool,
    /// Retries replayed inside batches so far (tests).
    pub(crate) batched_replays: u64,
    /// Per pod, the `ReplayBatch::id` whose message a batch last recorded for it (0: none).
    /// A pod's reason and message are only ever set by `push_failure` and reset by
    /// `clear_failure`, which both clear its mark, so a marked pod holds that replay's
    /// reason and message (debug builds compare) and a batch never reads `PodRt`.
    replay_marks: Vec<u64>,
    /// Per pod, its scheduling attempts, kept apart from `PodRt` with the marks: a batch of
    /// thousands of retries then touches two dense arrays, not a wide record per pod.
    pub(crate) attempts: Vec<u32>,
}

impl<'s> Engine<'s> {
    pub fn new(mut plan: Plan, scenario: &'s poolcast_model::Scenario) -> Engine<'s> {
        let upgrades = upgrade::prepare(&mut plan, scenario);
        let sched = Scheduler::new(plan.scheduler.clone());
        let horizon = SimTime(plan.horizon_ms);
        let n_w = plan.workloads.len();
        let n_p = plan.pools.len();
        let autoscaler = crate::autoscaler::Autoscaler::new(&plan, scenario);
        Engine {
            autoscaler,
            tie: rng_for(plan.seed, Stream::TieBreak),
            preempt_rng: rng_for(plan.seed, Stream::Preemption),
            budgets: scenario
                .disruption_budgets
                .iter()
                .map(Budget::from_scenario)
                .collect(),
            preemptions: Vec::new(),
            jitter: crate::variability::Jitter::new(plan.seed, scenario.sim.variability),
            upgrades,
            arrivals: rng_for(plan.seed, Stream::Arrivals),
            q: EventQueue::new(),
            sched,
            queue: SchedulingQueue::new(QueueSettings::from_scheduler(&plan.scheduler)),
            pod_states_gen: 0,
            sample_counts: None,
            kubelets: Vec::new(),
            nodes: Vec::new(),
            pods: Vec::new(),
            workloads: vec![WorkloadRt::default(); n_w],
            failures: Vec::new(),
            series: Series {
                sample_every_ms: plan.sample_every_ms,
                ..Series::default()
            },
            pool_next_index: vec![0; n_p],
            peak_pods: vec![0.0; n_p],
            wake: None,
            cycle_pending: false,
            horizon,
            explain: None,
            captured: None,
            traced: None,
            attempt_log: Vec::new(),
            audit: None,
            audit_preemptions: Vec::new(),
            scratch_starts: Vec::new(),
            scratch_pods: Vec::new(),
            batch_replays: true,
            batched_replays: 0,
            replay_marks: Vec::new(),
            attempts: Vec::new(),
            plan,
            scenario,
        }
    }

    /// Stop at the first scheduling attempt of `pod` at or after `at` and capture it.
    pub fn explain_at(&mut self, pod: String, at: SimTime) {
        self.explain = Some((pod, at));
    }

    fn now(&self) -> SimTime {
        self.q.now()
    }

    /// The time of the last event handled, ms.
    pub(crate) fn now_ms(&self) -> u64 {
        self.q.now().ms()
    }

    /// The explained attempt happened and its pod is now Ready or ended.
    fn explained_pod_settled(&self) -> bool {
        self.captured.as_ref().is_some_and(|c| {
            let p = &self.pods[c.pod.idx()];
            p.ready.is_some() || p.ended.is_some()
        })
    }

    /// Sets up time zero and runs to the horizon (or, explaining, until the explained pod
    /// is Ready or gone).
    pub fn run(&mut self) {
        self.start();
        while let Some(t) = self.q.peek_time() {
            if t > self.horizon || self.explained_pod_settled() {
                break;
            }
            let Some((_, ev)) = self.q.pop() else {
                break;
            };
            self.handle(ev);
        }
    }

    fn start(&mut self) {
        // Nodes first, with their DaemonSet pods bound before any workload pod.
        for p in 0..self.plan.pools.len() {
            let pool = PoolId(p as u32);
            let imported = self.plan.pools[p].imported.clone();
            for n in imported {
                let id = self.create_node(pool, Some(n.name.clone()), n.allocatable, &n.labels);
                for img in n.images {
                    self.preload(id, img, LayerOrigin::Imported);
                }
                self.plan
                    .cluster
                    .set_node_unschedulable(id, n.unschedulable);
            }
            for _ in 0..self.plan.pools[p].initial_count {
                self.create_node(pool, None, None, &BTreeMap::new());
            }
        }
        for w in 0..self.plan.workloads.len() {
            self.workloads[w].desired = self.plan.workloads[w].replicas;
        }
        // Imported running pods.
        for w in 0..self.plan.workloads.len() {
            let names = self.plan.workloads[w].bound_to.clone();
            for name in names {
                let node = self
                    .plan
                    .cluster
                    .nodes
                    .iter()
                    .position(|n| n.name == name)
                    .map(|i| NodeId(i as u32));
                // A DaemonSet's pod is pinned to its node, as the controller pins it.
                let pinned =
                    node.filter(|_| self.plan.workloads[w].kind == WorkloadKind::DaemonSet);
                let pod = self.create_pod(w as u32, pinned, false);
                if let Some(node) = node {
                    let images = self.plan.cluster.spec_of(pod).images.clone();
                    for img in images {
                        self.preload(node, img, LayerOrigin::Imported);
                    }
                    self.bind_running(pod, node);
                } else {
                    self.enqueue(pod);
                }
            }
        }
        // Workload arrivals. The pods created at fixed times are known now: reserve their
        // records once rather than growing (and copying) the arrays while the run goes.
        let upcoming: usize = self
            .plan
            .workloads
            .iter()
            .filter(|wp| {
                wp.kind != WorkloadKind::DaemonSet
                    && matches!(wp.arrival, ArrivalPlan::At(_) | ArrivalPlan::Over { .. })
            })
            .map(|wp| {
                wp.replicas
                    .unwrap_or(0)
                    .saturating_sub(wp.bound_to.len() as u32) as usize
            })
            .sum();
        self.pods.reserve(upcoming);
        self.plan.cluster.pods.reserve(upcoming);
        for w in 0..self.plan.workloads.len() {
            let wp = &self.plan.workloads[w];
            if wp.kind == WorkloadKind::DaemonSet {
                continue;
            }
            let already = wp.bound_to.len() as u32;
            match (wp.arrival, wp.replicas) {
                (ArrivalPlan::At(t), Some(r)) => {
                    if r > already {
                        self.q.schedule(
                            SimTime(t),
                            Event::CreatePods {
                                workload: w as u32,
                                count: r - already,
                            },
                        );
                    }
                }
                (ArrivalPlan::Over { start, over }, Some(r)) => {
                    let n = r.saturating_sub(already);
                    for i in 0..n {
                        let t = start + over * u64::from(i) / u64::from(n.max(1));
                        self.q.schedule(
                            SimTime(t),
                            Event::CreatePods {
                                workload: w as u32,
                                count: 1,
                            },
                        );
                    }
                }
                (ArrivalPlan::Poisson { from, .. }, _) => {
                    self.workloads[w].created = already;
                    self.schedule_poisson(w as u32, SimTime(from));
                }
                (_, None) => {}
            }
        }
        for (i, e) in self.scenario.events.iter().enumerate() {
            self.q
                .schedule(SimTime(e.at.as_ms()), Event::Scenario(i as u32));
        }
        self.q.schedule(SimTime::ZERO, Event::Sample);
        if self.autoscaler.is_some() {
            self.q.schedule(SimTime::ZERO, Event::AutoscalerScan);
        }
    }

    fn schedule_poisson(&mut self, w: u32, after: SimTime) {
        let ArrivalPlan::Poisson {
            rate_per_ms, until, ..
        } = self.plan.workloads[w as usize].arrival
        else {
            return;
        };
        if rate_per_ms <= 0.0 {
            return;
        }
        if let Some(limit) = self.workloads[w as usize].desired {
            if self.workloads[w as usize].created >= limit {
                return;
            }
        }
        // Exponential gap by inversion; 1 - U is in (0, 1] so the log is finite.
        let u: f64 = self.arrivals.random();
        let gap = (-(1.0 - u).ln() / rate_per_ms).ceil();
        let gap = if gap.is_finite() && gap >= 0.0 {
            gap as u64
        } else {
            u64::MAX
        };
        let t = after.plus_ms(gap);
        if t.ms() < until && t <= self.horizon {
            self.q.schedule(t, Event::PoissonArrival { workload: w });
        }
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::CreatePods { workload, count } => {
                for _ in 0..count {
                    self.create_pod(workload, None, true);
                }
                self.kick_scheduler();
            }
            Event::PoissonArrival { workload } => {
                self.workloads[workload as usize].created += 1;
                self.create_pod(workload, None, true);
                self.kick_scheduler();
                let now = self.now();
                self.schedule_poisson(workload, now);
            }
            Event::ScheduleCycle => self.schedule_cycle(),
            Event::PullDone { node, image } => self.pull_done(node, image),
            Event::KubeletRetry { pod, node } => {
                if self.pod_on(pod, node) {
                    self.advance(pod, node);
                }
            }
            Event::ContainerStarted { pod, node } => {
                if self.pod_on(pod, node) {
                    self.container_started(pod, node);
                }
            }
            Event::PodReady { pod, node } => {
                if self.pod_on(pod, node) {
                    let now = self.now();
                    let p = &mut self.pods[pod.idx()];
                    p.ready = Some(now);
                    p.is_ready = true;
                    self.pod_states_gen += 1;
                    let workload = p.workload as usize;
                    self.clear_failure(pod);
                    if let Some(d) = self.plan.workloads[workload].duration_ms {
                        if self.plan.workloads[workload].kind == WorkloadKind::Job {
                            self.q.schedule_in(d, Event::JobDone { pod, node });
                        }
                    }
                }
            }
            Event::JobDone { pod, node } => {
                if self.pod_on(pod, node) {
                    self.end_pod(pod, Phase::Succeeded);
                }
            }
            Event::Scenario(i) => self.scenario_event(i as usize),
            Event::NodeJoin { pool, requested } => {
                let id = self.create_node(pool, None, None, &BTreeMap::new());
                self.nodes[id.idx()].requested = Some(requested);
            }
            Event::NodeUnreachable { node } => self.node_unreachable(node),
            Event::NodeTaintEviction { node } => self.node_taint_eviction(node),
            Event::DiskCheck { node } => self.disk_check(node),
            Event::VictimGone { pod, node } => {
                let cp = &self.plan.cluster.pods[pod.idx()];
                if cp.active && cp.node == Some(node) {
                    self.end_pod(pod, Phase::Failed);
                }
            }
            Event::DrainRetry { node } => self.drain_node(node),
            Event::Sample => {
                self.sample();
                let next = self.now().plus_ms(self.plan.sample_every_ms);
                if next <= self.horizon {
                    self.q.schedule(next, Event::Sample);
                }
            }
            Event::AutoscalerScan => self.autoscaler_scan(),
            Event::AutoscaledNodeJoin { pool, requested } => {
                self.autoscaled_node_join(pool, requested)
            }
            Event::Upgrade(step) => self.upgrade_step(step),
        }
    }

    // ---- nodes ------------------------------------------------------------------------

    fn create_node(
        &mut self,
        pool: PoolId,
        name: Option<String>,
        allocatable: Option<Res>,
        extra_labels: &BTreeMap<String, String>,
    ) -> NodeId {
        let now = self.now();
        let p = &self.plan.pools[pool.idx()];
        let index = self.pool_next_index[pool.idx()];
        self.pool_next_index[pool.idx()] += 1;
        let name = name.unwrap_or_else(|| crate::build::node_name(&p.name_prefix, index));
        let zone = p.zones[index as usize % p.zones.len()].clone();
        let mut labels = p.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), name.clone());
        labels.insert("topology.kubernetes.io/zone".into(), zone.clone());
        for (k, v) in extra_labels {
            labels.insert(k.clone(), v.clone());
        }
        let info = NodeInfo {
            name,
            pool,
            os: p.os,
            windows_build: p.kubelet.windows_build,
            labels: labels.into(),
            taints: p.taints.clone(),
            unschedulable: false,
            allocatable: allocatable.unwrap_or(p.allocatable),
            requested: Res::default(),
            non_zero_requested: Res::default(),
            pods: Vec::new(),
            images: Vec::new(),
            live: true,
        };
        let kubelet = Kubelet::new(
            p.kubelet.clone(),
            self.plan.cluster.images.len(),
            self.plan.layers.layers.len(),
        );
        let preload = p.preload.clone();
        let daemonsets = p.daemonsets.clone();
        let id = self.plan.cluster.add_node(info);
        self.kubelets.push(kubelet);
        self.nodes.push(NodeRt {
            zone,
            created: now,
            failed: None,
            removed: None,
            unreachable: false,
            waiters: Vec::new(),
            pressure_clear_since: None,
            disk_check_pending: false,
            requested: None,
        });
        for img in preload {
            let origin = if self.plan.pools[pool.idx()].pre_pulled.contains(&img) {
                LayerOrigin::PrePulled
            } else {
                LayerOrigin::NodeImage
            };
            self.preload(id, img, origin);
        }
        // The DaemonSet controller creates a pod for every node its selector and taints
        // admit (`NodeShouldRunDaemonPod`); it is bound before any other pod competes.
        for w in daemonsets {
            // An imported DaemonSet pod already running on this node stands for the
            // controller's pod; it is bound from `bound_to` below, not created twice.
            let node_name = &self.plan.cluster.nodes[id.idx()].name;
            if self.plan.workloads[w as usize]
                .bound_to
                .iter()
                .any(|n| n == node_name)
            {
                continue;
            }
            let pod = self.create_pod(w, Some(id), false);
            let st = self.sched.filter_one(&self.plan.cluster, pod, id);
            if st.is_success() {
                self.bind(pod, id);
            } else if st.plugin == "NodeAffinity" || st.plugin == "TaintToleration" {
                self.hide_pod(pod);
            } else {
                self.enqueue(pod);
            }
        }
        self.cluster_event(ClusterEvent::NodeAdd);
        id
    }

    /// Tells the scheduling queue about a cluster change and lets the scheduler run.
    fn cluster_event(&mut self, ev: ClusterEvent) {
        let now = self.now();
        self.queue.on_event(ev, now);
        self.kick_scheduler();
    }

    fn enqueue(&mut self, pod: PodId) {
        let now = self.now();
        let prio = self.plan.cluster.spec_of(pod).priority;
        self.queue.add(pod, prio, now);
        self.kick_scheduler();
    }

    fn preload(&mut self, node: NodeId, image: ImageId, origin: LayerOrigin) {
        let now = self.now();
        self.kubelets[node.idx()].preload_from(image, &self.plan.layers, now, origin);
        self.plan.cluster.add_image_to_node(node, image);
    }

    fn node_alive(&self, node: NodeId) -> bool {
        self.kubelets[node.idx()].alive
    }

    // ---- pods -------------------------------------------------------------------------

    fn create_pod(&mut self, w: u32, pinned: Option<NodeId>, enqueue: bool) -> PodId {
        let now = self.now();
        let wp = &self.plan.workloads[w as usize];
        let name = match pinned {
            Some(n) => pod_name(&wp.name, &self.plan.cluster.nodes[n.idx()].name),
            None => {
                let i = self.workloads[w as usize].next_index;
                self.workloads[w as usize].next_index += 1;
                let mut digits = [0u8; 10];
                pod_name(&wp.name, decimal(i, &mut digits))
            }
        };
        let pod = self.plan.cluster.add_pod(name, wp.spec, pinned);
        self.pods.push(PodRt {
            workload: w,
            created: now,
            scheduled: None,
            pulled: None,
            started: None,
            ready: None,
            ended: None,
            is_ready: false,
            phase: Phase::Pending,
            reason: None,
            message: None,
            next_image: 0,
            kubelet_failures: 0,
            last_node: None,
            visible: true,
            terminating: false,
            replaced: false,
            asked: None,
            pulls: Vec::new(),
        });
        self.attempts.push(0);
        self.workloads[w as usize].live.push(pod);
        if enqueue {
            self.enqueue(pod);
        }
        pod
    }

    fn hide_pod(&mut self, pod: PodId) {
        self.pods[pod.idx()].visible = false;
        self.pod_states_gen += 1;
        self.pods[pod.idx()].phase = Phase::Deleted;
        self.plan.cluster.pods[pod.idx()].active = false;
        let w = self.pods[pod.idx()].workload as usize;
        self.workloads[w].live.retain(|&p| p != pod);
        self.queue.remove(pod);
    }

    fn pod_on(&self, pod: PodId, node: NodeId) -> bool {
        let cp = &self.plan.cluster.pods[pod.idx()];
        cp.active && cp.node == Some(node) && self.node_alive(node)
    }

    fn record_failure(&mut self, pod: PodId, reason: Reason, message: String) {
        let p = &self.pods[pod.idx()];
        if p.reason == Some(reason) && p.message.as_deref() == Some(message.as_str()) {
            return;
        }
        self.push_failure(pod, reason, message);
    }

    /// `record_failure` that copies the message only when it is new (a replayed retry
    /// usually repeats the pod's last message).
    fn record_failure_str(&mut self, pod: PodId, reason: Reason, message: &str) {
        let p = &self.pods[pod.idx()];
        if p.reason == Some(reason) && p.message.as_deref() == Some(message) {
            return;
        }
        self.push_failure(pod, reason, message.to_owned());
    }

    /// Resets a pod's reason and message (it is running, or bound after failing), and
    /// its batch mark with them.
    fn clear_failure(&mut self, pod: PodId) {
        if let Some(m) = self.replay_marks.get_mut(pod.idx()) {
            *m = 0;
        }
        let p = &mut self.pods[pod.idx()];
        p.reason = None;
        p.message = None;
    }

    fn push_failure(&mut self, pod: PodId, reason: Reason, message: String) {
        if let Some(m) = self.replay_marks.get_mut(pod.idx()) {
            *m = 0;
        }
        let now = self.now();
        let p = &mut self.pods[pod.idx()];
        p.reason = Some(reason);
        p.message = Some(message.clone());
        let cp = &self.plan.cluster.pods[pod.idx()];
        let node = cp
            .node
            .or(p.last_node)
            .map(|n| self.plan.cluster.nodes[n.idx()].name.clone());
        self.failures.push(FailureRecord {
            at_ms: now.ms(),
            pod: Some(cp.name.clone()),
            workload: Some(self.plan.workloads[p.workload as usize].name.clone()),
            node,
            reason,
            message,
        });
    }

    /// Ends a pod: frees its node, drops it from its workload and the queue.
    fn end_pod(&mut self, pod: PodId, phase: Phase) {
        let now = self.now();
        self.release(pod);
        let p = &mut self.pods[pod.idx()];
        p.phase = phase;
        p.ended = Some(now);
        p.is_ready = false;
        self.pod_states_gen += 1;
        self.plan.cluster.pods[pod.idx()].active = false;
        let w = p.workload as usize;
        self.workloads[w].live.retain(|&x| x != pod);
        self.queue.remove(pod);
    }

    fn release(&mut self, pod: PodId) {
        let Some(node) = self.plan.cluster.pods[pod.idx()].node else {
            return;
        };
        let now = self.now();
        let spec = self.plan.cluster.pods[pod.idx()].spec.idx();
        for &img in &self.plan.cluster.specs[spec].images {
            self.kubelets[node.idx()].remove_user(img, now);
        }
        self.nodes[node.idx()].waiters.retain(|&(_, p)| p != pod);
        self.plan.cluster.unbind(pod);
        self.cluster_event(ClusterEvent::AssignedPodDelete);
    }

    /// The controller replaces a pod it lost (Deployment, StatefulSet, Job not yet done).
    fn replace(&mut self, pod: PodId) {
        if std::mem::replace(&mut self.pods[pod.idx()].replaced, true) {
            return;
        }
        let w = self.pods[pod.idx()].workload;
        let kind = self.plan.workloads[w as usize].kind;
        if matches!(
            kind,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::Job
        ) {
            self.create_pod(w, None, true);
        }
    }

    // ---- scheduling -------------------------------------------------------------------

    fn kick_scheduler(&mut self) {
        if !self.cycle_pending {
            self.cycle_pending = true;
            let now = self.now();
            self.q.schedule(now, Event::ScheduleCycle);
        }
    }

    fn schedule_cycle(&mut self) {
        self.cycle_pending = false;
        let now = self.now();
        if self.wake.is_some_and(|(t, _)| t <= now) {
            self.wake = None;
        }
        self.queue.flush(now);
        // Only pods whose back-off is over: popping a backing-off pod early
        // (`SchedulerPopFromBackoffQ`) would retry it at the same instant for nothing.
        while self.queue.active_len() > 0 {
            let Some(pod) = self.queue.pop(now) else {
                break;
            };
            if !self.plan.cluster.pods[pod.idx()].active
                || self.plan.cluster.pods[pod.idx()].node.is_some()
            {
                self.queue.done(pod);
                continue;
            }
            // `explain`: the named pod's attempts are recorded, and the first one at or
            // after the time asked is laid bare; the run then goes on as it would.
            let mut verdicts = None;
            if let Some((name, at)) = &self.explain {
                if self.plan.cluster.pods[pod.idx()].name == *name {
                    if now >= *at && self.captured.is_none() {
                        verdicts = Some(self.sched.explain(&self.plan.cluster, pod));
                    }
                    self.traced = Some(pod);
                }
            }
            self.attempts[pod.idx()] += 1;
            // The same failure on an unchanged cluster, reproduced without the cycle.
            if let Some(r) =
                self.sched
                    .replay_failure(&self.plan.cluster, pod, &mut self.preempt_rng)
            {
                if self.traced == Some(pod) {
                    self.note_attempt(pod, now, Err(r.message.clone()), verdicts.take());
                }
                self.record_failure_str(pod, Reason::Unschedulable, &r.message);
                self.queue.add_unschedulable_by(pod, now, &r.rejected);
                if self.batch_replays && self.explain.is_none() {
                    self.replay_batch(pod, now);
                }
                continue;
            }
            match self
                .sched
                .schedule_one(&self.plan.cluster, pod, &mut self.tie)
            {
                ScheduleResult::Scheduled { node, .. } => {
                    self.note_attempt(pod, now, Ok(node), verdicts.take());
                    self.queue.done(pod);
                    self.bind(pod, node);
                }
                ScheduleResult::Unschedulable(mut fe) => {
                    let rejected = fe.unschedulable_plugins();
                    fe.post_filter_msg = self.post_filter(pod, &fe);
                    self.sched.remember_failure(&self.plan.cluster, pod, &fe);
                    let message = fe.message();
                    self.note_attempt(pod, now, Err(message.clone()), verdicts.take());
                    self.record_failure(pod, Reason::Unschedulable, message);
                    self.queue.add_unschedulable_by(pod, now, &rejected);
                }
            }
        }
        self.arm_wake();
    }

    /// The pods queued right behind `pod`, whose failure was just replayed, that repeat it
    /// (same template, on the same cluster: `scheduler/failure_memo.rs`, *Batches*): each
    /// is popped, counts an attempt, draws DefaultPreemption's offset, records the failure
    /// and waits in the unschedulable pool as its own retry would, in queue order; the
    /// batch ends at the first pod that would not repeat it (another template, a bound or
    /// deleted pod, a nominated one), which the cycle's loop then pops as usual. Nothing
    /// between two of those retries could change the cluster (a replay binds nothing and
    /// emits no event), and the cluster stays borrowed while the batch is taken.
    fn replay_batch(&mut self, pod: PodId, now: SimTime) {
        let cluster = &self.plan.cluster;
        let Some(batch) = self.sched.replay_batch(cluster, pod) else {
            return;
        };
        if self.replay_marks.len() < self.pods.len() {
            self.replay_marks.resize(self.pods.len(), 0);
        }
        let (attempts, marks, rng) = (
            &mut self.attempts,
            &self.replay_marks,
            &mut self.preempt_rng,
        );
        #[cfg(debug_assertions)]
        let pods = &self.pods;
        // Pods whose last record is not this replay's (`record_failure_str` then compares
        // the messages and records it if it differs), in queue order.
        let mut to_record = Vec::new();
        let count = self
            .queue
            .fail_active_run(now, &batch.replay.rejected, |q| {
                if !batch.repeats(&cluster.pods[q.idx()]) {
                    return false;
                }
                attempts[q.idx()] += 1;
                // Marked with this replay, the pod still holds its reason and message
                // (`replay_marks`).
                if marks[q.idx()] == batch.id {
                    #[cfg(debug_assertions)]
                    {
                        let p = &pods[q.idx()];
                        debug_assert_eq!(p.reason, Some(Reason::Unschedulable));
                        debug_assert_eq!(p.message.as_deref(), Some(&*batch.replay.message));
                    }
                } else {
                    to_record.push(q);
                }
                true
            });
        // The draws come after the queue's pass: nothing in it reads the generator.
        batch.draw(rng, count);
        self.sched.finish_batch(&batch, count);
        self.batched_replays += count as u64;
        for q in to_record {
            self.record_failure_str(q, Reason::Unschedulable, &batch.replay.message);
            self.replay_marks[q.idx()] = batch.id;
        }
    }

    /// `explain`: records an attempt of the traced pod, and captures it with `verdicts`
    /// when it is the explained one.
    fn note_attempt(
        &mut self,
        pod: PodId,
        now: SimTime,
        outcome: Result<NodeId, String>,
        verdicts: Option<Vec<NodeVerdict>>,
    ) {
        if self.traced != Some(pod) {
            return;
        }
        if let Some(verdicts) = verdicts {
            let (chosen, message) = match &outcome {
                Ok(n) => (Some(*n), None),
                Err(m) => (None, Some(m.clone())),
            };
            self.captured = Some(Captured {
                pod,
                at: now,
                verdicts,
                chosen,
                message,
                attempt: self.attempts[pod.idx()],
            });
        }
        self.attempt_log.push((now, outcome));
    }

    fn arm_wake(&mut self) {
        let t = match (
            self.queue.next_backoff_expiry(),
            self.queue.next_flush_due(),
        ) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return,
            },
        };
        let now = self.now();
        let t = t.max(now);
        if t > self.horizon {
            return;
        }
        match self.wake {
            Some((w, _)) if w <= t => {}
            Some((_, key)) => {
                self.q.cancel(key);
                self.wake = Some((t, self.q.schedule(t, Event::ScheduleCycle)));
            }
            None => {
                self.wake = Some((t, self.q.schedule(t, Event::ScheduleCycle)));
            }
        }
    }

    fn bind(&mut self, pod: PodId, node: NodeId) {
        self.bind_record(pod, node);
        self.advance(pod, node);
    }

    /// A pod that was already running on its node when the scenario was imported.
    fn bind_running(&mut self, pod: PodId, node: NodeId) {
        self.bind_record(pod, node);
        let now = self.now();
        let p = &mut self.pods[pod.idx()];
        p.pulled = Some(now);
        p.started = Some(now);
        p.ready = Some(now);
        p.is_ready = true;
        p.phase = Phase::Running;
        self.pod_states_gen += 1;
    }

    fn bind_record(&mut self, pod: PodId, node: NodeId) {
        let now = self.now();
        if let Some(audit) = self.audit.as_mut() {
            let filters_passed = self
                .sched
                .filter_one(&self.plan.cluster, pod, node)
                .is_success();
            let mut after = self.plan.cluster.nodes[node.idx()].requested;
            after.add(&self.plan.cluster.spec_of(pod).requests);
            audit.push(BindCheck {
                pod,
                node,
                filters_passed,
                within_allocatable: after
                    .fits_within(&self.plan.cluster.nodes[node.idx()].allocatable),
            });
        }
        self.plan.cluster.bind(pod, node);
        self.cluster_event(ClusterEvent::AssignedPodAdd);
        let p = &mut self.pods[pod.idx()];
        p.scheduled = Some(now);
        p.last_node = Some(node);
        p.next_image = 0;
        p.kubelet_failures = 0;
        p.asked = None;
        p.pulls.clear();
        if p.reason == Some(Reason::Unschedulable) {
            self.clear_failure(pod);
        }
        let p = &mut self.pods[pod.idx()];
        let images = &self.plan.cluster.specs[self.plan.cluster.pods[pod.idx()].spec.idx()].images;
        // One entry per image (a push would reserve room for four).
        p.pulls.reserve_exact(images.len());
        for &img in images {
            self.kubelets[node.idx()].add_user(img);
        }
    }

    // ---- kubelet ----------------------------------------------------------------------

    fn image_display(&self, image: ImageId) -> &str {
        &self.plan.cluster.images[image.idx()].name
    }

    /// Moves a bound pod forward: pull its next missing image, or create its containers.
    fn advance(&mut self, pod: PodId, node: NodeId) {
        let now = self.now();
        let spec = self.plan.cluster.pods[pod.idx()].spec;
        let n_images = self.plan.cluster.specs[spec.idx()].images.len();
        let (node_os, node_build) = {
            let n = &self.plan.cluster.nodes[node.idx()];
            (n.os, n.windows_build)
        };
        loop {
            let next = self.pods[pod.idx()].next_image;
            if next >= n_images {
                break;
            }
            let img = self.plan.cluster.specs[spec.idx()].images[next];
            let info = &self.plan.cluster.images[img.idx()];
            let check = info.check_on(node_os, node_build);
            if check == OsCheck::OsVersionMismatch && !info.platforms.is_empty() {
                // A manifest list with no entry for the host's build fails the pull:
                // containerd's Windows matcher finds no manifest (containerd/platforms
                // `windowsVersionMatcher`), so nothing downloads.
                let builds: Vec<String> = info
                    .all_platforms()
                    .filter_map(|p| p.windows_build.map(|b| format!("10.0.{b}")))
                    .collect();
                let msg = format!(
                    "ImagePullBackOff: Back-off pulling image \"{0}\": ErrImagePull: failed to pull and unpack image \"{0}\": no match for platform in manifest: not found (image Windows builds {1}, node is 10.0.{2})",
                    info.name,
                    builds.join(", "),
                    node_build.unwrap_or(0)
                );
                self.kubelet_failure(pod, node, Reason::OsVersionMismatch, msg);
                return;
            }
            if check == OsCheck::OsMismatch {
                // kubelet: ErrImagePull, then ImagePullBackOff while it backs off.
                let msg = format!(
                    "ImagePullBackOff: Back-off pulling image \"{0}\": ErrImagePull: failed to pull and unpack image \"{0}\": no match for platform in manifest: not found (image os {1}, node os {2})",
                    info.name,
                    image_oses(info),
                    node_os
                );
                self.kubelet_failure(pod, node, Reason::OsMismatch, msg);
                return;
            }
            match self.kubelets[node.idx()].request_at(img, now) {
                PullRequest::Present => {
                    self.kubelets[node.idx()].touch(img, now);
                    let p = &mut self.pods[pod.idx()];
                    p.next_image += 1;
                    p.pulls.push(PodPull {
                        image: img,
                        asked: now,
                        done: now,
                        joined: false,
                        pull: None,
                    });
                }
                PullRequest::InProgress | PullRequest::Started(_) => {
                    debug_assert!(
                        !self.nodes[node.idx()].waiters.contains(&(img, pod)),
                        "pod advanced twice while waiting for a pull"
                    );
                    self.nodes[node.idx()].waiters.push((img, pod));
                    self.pods[pod.idx()].asked = Some((now, true));
                    return;
                }
                PullRequest::Queued => {
                    self.nodes[node.idx()].waiters.push((img, pod));
                    self.pods[pod.idx()].asked = Some((now, false));
                    self.kick_puller(node);
                    return;
                }
            }
        }
        // Every image is present: create and start the containers.
        self.pods[pod.idx()].pulled.get_or_insert(now);
        for i in 0..n_images {
            let img = self.plan.cluster.specs[spec.idx()].images[i];
            let info = &self.plan.cluster.images[img.idx()];
            if info.check_on(node_os, node_build) == OsCheck::OsVersionMismatch {
                let msg = format!(
                    "CreateContainerError: failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem {}: The container operating system does not match the host operating system.: unknown (image {} is Windows build 10.0.{}, node {} is 10.0.{})",
                    self.plan.cluster.pods[pod.idx()].name,
                    info.name,
                    info.windows_build.unwrap_or(0),
                    self.plan.cluster.nodes[node.idx()].name,
                    node_build.unwrap_or(0)
                );
                self.kubelet_failure(pod, node, Reason::OsVersionMismatch, msg);
                return;
            }
        }
        let overhead = self
            .jitter
            .container_start_ms(node_os, self.kubelets[node.idx()].params.start_overhead_ms);
        self.q
            .schedule(now.plus_ms(overhead), Event::ContainerStarted { pod, node });
    }

    fn kubelet_failure(&mut self, pod: PodId, node: NodeId, reason: Reason, message: String) {
        self.record_failure(pod, reason, message);
        let p = &mut self.pods[pod.idx()];
        p.kubelet_failures += 1;
        let wait = image_backoff_ms(p.kubelet_failures);
        self.q.schedule_in(wait, Event::KubeletRetry { pod, node });
    }

    fn kick_puller(&mut self, node: NodeId) {
        let now = self.now();
        let registry = &self.plan.registry_bps;
        let age = now.since(self.nodes[node.idx()].created);
        let params = self.kubelets[node.idx()].params.clone();
        let mut starts = std::mem::take(&mut self.scratch_starts);
        starts.clear();
        let jitter = &mut self.jitter;
        self.kubelets[node.idx()].start_next(
            now,
            &self.plan.layers,
            |img| jitter.pull_link(params.pull_link(age, registry[img.idx()])),
            &PipelinedPull,
            &mut starts,
        );
        for &s in &starts {
            match s {
                PullStart::Started(img, done) => {
                    self.q.schedule(done, Event::PullDone { node, image: img });
                }
                PullStart::NoSpace(img) => {
                    self.gc(node);
                    let msg = match self.plan.cluster.nodes[node.idx()].os {
                        Os::Windows => format!(
                            "ImagePullBackOff: Back-off pulling image \"{0}\": ErrImagePull: rpc error: code = Unknown desc = failed to pull and unpack image \"{0}\": failed to extract layer: There is not enough space on the disk.",
                            self.image_display(img)
                        ),
                        Os::Linux => format!(
                            "ImagePullBackOff: Back-off pulling image \"{0}\": ErrImagePull: rpc error: code = Unknown desc = failed to pull and unpack image \"{0}\": failed to extract layer: write /var/lib/containerd: no space left on device",
                            self.image_display(img)
                        ),
                    };
                    let waiting: Vec<PodId> = self.nodes[node.idx()]
                        .waiters
                        .iter()
                        .filter(|&&(i, _)| i == img)
                        .map(|&(_, p)| p)
                        .collect();
                    self.nodes[node.idx()].waiters.retain(|&(i, _)| i != img);
                    for p in waiting {
                        self.kubelet_failure(p, node, Reason::ImagePullBackOff, msg.clone());
                    }
                }
            }
        }
        self.scratch_starts = starts;
    }

    fn pull_done(&mut self, node: NodeId, image: ImageId) {
        if !self.node_alive(node) {
            return;
        }
        let now = self.now();
        self.kubelets[node.idx()].finish_pull(image, &self.plan.layers, now);
        self.plan.cluster.add_image_to_node(node, image);
        self.gc(node);
        self.check_disk_pressure(node);
        let mut waiting = std::mem::take(&mut self.scratch_pods);
        waiting.clear();
        self.nodes[node.idx()].waiters.retain(|&(i, p)| {
            if i == image {
                waiting.push(p);
                false
            } else {
                true
            }
        });
        let facts = self.kubelets[node.idx()]
            .log
            .last_pull(image)
            .map(|t| PullFacts {
                started: t.started,
                active_ms: t.active_ms,
                bytes: t.bytes(&self.plan.layers),
                unpacked: t.unpacked_bytes(&self.plan.layers),
                download_ms: t.download_ms(&self.plan.layers),
                extraction_ms: t.extraction_ms(&self.plan.layers),
            });
        for &p in &waiting {
            if self.pod_on(p, node) {
                self.kubelets[node.idx()].touch(image, now);
                let rt = &mut self.pods[p.idx()];
                rt.next_image += 1;
                let (asked, joined) = rt.asked.take().unwrap_or((now, true));
                rt.pulls.push(PodPull {
                    image,
                    asked,
                    done: now,
                    joined,
                    pull: facts,
                });
                self.advance(p, node);
            }
        }
        self.scratch_pods = waiting;
        self.kick_puller(node);
    }

    fn gc(&mut self, node: NodeId) {
        let now = self.now();
        let removed = self.kubelets[node.idx()].garbage_collect(&self.plan.layers, now);
        for img in removed {
            self.plan.cluster.remove_image_from_node(node, img);
        }
    }

    fn check_disk_pressure(&mut self, node: NodeId) {
        if !self.kubelets[node.idx()].under_disk_pressure() {
            return;
        }
        if !self.kubelets[node.idx()].disk_pressure {
            self.kubelets[node.idx()].disk_pressure = true;
            let mut taints = self.plan.cluster.nodes[node.idx()].taints.clone();
            taints.push(Taint {
                key: TAINT_DISK_PRESSURE.into(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
            self.plan.cluster.set_node_taints(node, taints);
            self.cluster_event(ClusterEvent::NodeUpdate);
            self.evict_for_disk(node);
        }
        self.nodes[node.idx()].pressure_clear_since = None;
        if !self.nodes[node.idx()].disk_check_pending {
            self.nodes[node.idx()].disk_check_pending = true;
            self.q
                .schedule_in(EVICTION_MONITOR_MS, Event::DiskCheck { node });
        }
    }

    /// The eviction manager (`pkg/kubelet/eviction/eviction_manager.go`) first reclaims
    /// node-level resources (unused images), then evicts one pod per pass: the lowest
    /// priority, the most recently started first among equals. Critical pods
    /// (priority >= system-cluster-critical) and DaemonSet pods are not evicted.
    fn evict_for_disk(&mut self, node: NodeId) {
        let cand = self.plan.cluster.nodes[node.idx()]
            .pods
            .iter()
            .copied()
            .filter(|&p| {
                let spec = self.plan.cluster.spec_of(p);
                spec.owner.kind() != WorkloadKind::DaemonSet
                    && spec.priority < crate::build::SYSTEM_CLUSTER_CRITICAL_PRIORITY
            })
            .min_by_key(|&p| {
                (
                    self.plan.cluster.spec_of(p).priority,
                    std::cmp::Reverse(self.pods[p.idx()].scheduled),
                    std::cmp::Reverse(p),
                )
            });
        let Some(victim) = cand else {
            return;
        };
        let k = &self.kubelets[node.idx()];
        let free = k.params.disk_capacity.saturating_sub(k.disk_used);
        let threshold =
            k.params.disk_capacity / 100 * u64::from(k.params.eviction_percent.unwrap_or(0));
        let msg = format!(
            "The node was low on resource: ephemeral-storage. Threshold quantity: {threshold}, available: {}Ki.",
            free / 1024
        );
        self.record_failure(victim, Reason::DiskPressureEviction, msg);
        self.end_pod(victim, Phase::Failed);
        self.replace(victim);
        self.gc(node);
        self.kick_scheduler();
    }

    fn disk_check(&mut self, node: NodeId) {
        self.nodes[node.idx()].disk_check_pending = false;
        if !self.node_alive(node) {
            return;
        }
        let now = self.now();
        self.gc(node);
        if self.kubelets[node.idx()].under_disk_pressure() {
            self.nodes[node.idx()].pressure_clear_since = None;
            self.evict_for_disk(node);
        } else if self.kubelets[node.idx()].disk_pressure {
            let since = *self.nodes[node.idx()]
                .pressure_clear_since
                .get_or_insert(now);
            if now.since(since) >= PRESSURE_TRANSITION_MS {
                self.kubelets[node.idx()].disk_pressure = false;
                let mut taints = self.plan.cluster.nodes[node.idx()].taints.clone();
                taints.retain(|t| t.key != TAINT_DISK_PRESSURE);
                self.plan.cluster.set_node_taints(node, taints);
                self.cluster_event(ClusterEvent::NodeUpdate);
                return;
            }
        } else {
            return;
        }
        self.nodes[node.idx()].disk_check_pending = true;
        self.q
            .schedule_in(EVICTION_MONITOR_MS, Event::DiskCheck { node });
    }

    fn container_started(&mut self, pod: PodId, node: NodeId) {
        let now = self.now();
        let w = self.pods[pod.idx()].workload as usize;
        let wp = &self.plan.workloads[w];
        let k = &self.kubelets[node.idx()];
        let io_ms = wp.io.as_ref().map_or(0, |io| {
            PerFileIoCost.startup_io_ms(
                io,
                &k.params.file_costs,
                DiskPerf {
                    bytes_per_sec: k
                        .params
                        .disk_rate(now.since(self.nodes[node.idx()].created)),
                },
            )
        });
        let ready_in = wp.startup_ms.saturating_add(io_ms);
        let p = &mut self.pods[pod.idx()];
        p.started = Some(now);
        p.phase = Phase::Running;
        self.q.schedule_in(ready_in, Event::PodReady { pod, node });
    }

    // ---- scenario events --------------------------------------------------------------

    fn pool_nodes_newest_first(
        &self,
        pool: &str,
        count: u32,
        pred: impl Fn(NodeId) -> bool,
    ) -> Vec<NodeId> {
        let Some(pi) = self.plan.pools.iter().position(|p| p.name == pool) else {
            return Vec::new();
        };
        let mut v: Vec<NodeId> = self
            .plan
            .cluster
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.live && n.pool.idx() == pi)
            .map(|(i, _)| NodeId(i as u32))
            .filter(|&n| pred(n))
            .collect();
        v.reverse();
        v.truncate(count as usize);
        v
    }

    fn scenario_event(&mut self, i: usize) {
        let now = self.now();
        let e = self.scenario.events[i].clone();
        if let Some(s) = &e.scale {
            if let Some(w) = self
                .plan
                .workloads
                .iter()
                .position(|w| !w.system && w.name == s.workload)
            {
                self.scale(w, s.replicas);
            }
        }
        if let Some(sel) = &e.fail_nodes {
            for n in self.pool_nodes_newest_first(&sel.pool, sel.count.unwrap_or(1), |n| {
                self.kubelets[n.idx()].alive
            }) {
                self.kubelets[n.idx()].fail();
                self.nodes[n.idx()].failed = Some(now);
                self.nodes[n.idx()].waiters.clear();
                let grace = node_monitor_grace_ms(self.plan.k8s_minor);
                self.q
                    .schedule_in(grace, Event::NodeUnreachable { node: n });
            }
        }
        if let Some(sel) = &e.cordon {
            for n in self.pool_nodes_newest_first(&sel.pool, sel.count.unwrap_or(1), |n| {
                !self.plan.cluster.nodes[n.idx()].unschedulable
            }) {
                self.plan.cluster.set_node_unschedulable(n, true);
                self.cluster_event(ClusterEvent::NodeUpdate);
            }
        }
        if let Some(sel) = &e.drain {
            for n in self.pool_nodes_newest_first(&sel.pool, sel.count.unwrap_or(1), |_| true) {
                self.plan.cluster.set_node_unschedulable(n, true);
                self.drain_node(n);
            }
        }
        if e.upgrade.is_some() {
            self.upgrade_start(i);
        }
        if let Some(sel) = &e.add_nodes {
            if let Some(pi) = self.plan.pools.iter().position(|p| p.name == sel.pool) {
                let (os, point) = (self.plan.pools[pi].os, self.plan.pools[pi].provision_ms);
                for _ in 0..sel.count.unwrap_or(1) {
                    let delay = self.jitter.provisioning_ms(os, point);
                    self.q.schedule_in(
                        delay,
                        Event::NodeJoin {
                            pool: PoolId(pi as u32),
                            requested: now,
                        },
                    );
                }
            }
        }
        self.kick_scheduler();
    }

    /// ReplicaSet scale: create the missing pods, or delete the surplus in the
    /// controller's order (`pkg/controller/replicaset` `getPodsToDelete`: unscheduled
    /// before scheduled, not ready before ready, newest first); StatefulSets remove the
    /// highest ordinals.
    fn scale(&mut self, w: usize, replicas: u32) {
        if self.plan.workloads[w].kind == WorkloadKind::DaemonSet {
            return;
        }
        self.workloads[w].desired = Some(replicas);
        let live = self.workloads[w].live.len() as u32;
        if replicas > live {
            for _ in 0..replicas - live {
                self.create_pod(w as u32, None, true);
            }
            return;
        }
        let mut pods = self.workloads[w].live.clone();
        if self.plan.workloads[w].kind == WorkloadKind::StatefulSet {
            pods.sort_by_key(|&p| std::cmp::Reverse(p));
        } else {
            pods.sort_by_key(|&p| {
                (
                    self.plan.cluster.pods[p.idx()].node.is_some(),
                    self.pods[p.idx()].is_ready,
                    std::cmp::Reverse(self.pods[p.idx()].created),
                    std::cmp::Reverse(p),
                )
            });
        }
        for p in pods.into_iter().take((live - replicas) as usize) {
            self.end_pod(p, Phase::Deleted);
        }
    }

    fn node_unreachable(&mut self, node: NodeId) {
        self.nodes[node.idx()].unreachable = true;
        let mut taints = self.plan.cluster.nodes[node.idx()].taints.clone();
        for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
            taints.push(Taint {
                key: TAINT_UNREACHABLE.into(),
                value: String::new(),
                effect,
            });
        }
        self.plan.cluster.set_node_taints(node, taints);
        self.cluster_event(ClusterEvent::NodeUpdate);
        for i in 0..self.plan.cluster.nodes[node.idx()].pods.len() {
            let p = self.plan.cluster.nodes[node.idx()].pods[i];
            self.pods[p.idx()].is_ready = false;
        }
        self.pod_states_gen += 1;
        // Pods tolerate `unreachable:NoExecute` for 300 s (DefaultTolerationSeconds), then
        // the taint manager deletes them.
        self.q.schedule_in(
            crate::build::DEFAULT_TOLERATION_SECONDS as u64 * 1000,
            Event::NodeTaintEviction { node },
        );
    }

    fn node_taint_eviction(&mut self, node: NodeId) {
        let victims: Vec<PodId> = self.plan.cluster.nodes[node.idx()]
            .pods
            .iter()
            .copied()
            .filter(|&p| self.plan.cluster.spec_of(p).owner.kind() != WorkloadKind::DaemonSet)
            .collect();
        for p in victims {
            self.end_pod(p, Phase::Deleted);
            self.replace(p);
        }
    }

    // ---- preemption and disruption budgets -------------------------------------------

    /// How the disruption controller sees a pod: healthy when Ready and not terminating;
    /// its controller's scale from the workload's desired replicas.
    fn pdb_view(&self, p: PodId) -> Option<PodView> {
        let rt = self.pods.get(p.idx())?;
        if !rt.visible || rt.ended.is_some() {
            return None;
        }
        let w = rt.workload as usize;
        let controller = match self.plan.workloads[w].kind {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet => Some((
                w as u32,
                self.workloads[w]
                    .desired
                    .unwrap_or(self.workloads[w].live.len() as u32),
            )),
            // The disruption controller finds no scale for DaemonSets and Jobs: each pod
            // counts as one expected pod.
            _ => None,
        };
        Some(PodView {
            healthy: rt.is_ready && !rt.terminating,
            controller,
        })
    }

    /// The budgets' statuses now (`disruptionsAllowed` and friends).
    pub(crate) fn pdb_statuses(&self) -> Vec<BudgetStatus> {
        pdb::statuses(&self.budgets, &self.plan.cluster, &|p| self.pdb_view(p))
    }

    /// The eviction API's answer for `pod` now (drain; the autoscaler's scale-down).
    pub(crate) fn can_evict(&self, pod: PodId) -> Eviction {
        let statuses = self.pdb_statuses();
        let healthy = self.pdb_view(pod).is_some_and(|v| v.healthy);
        pdb::can_evict(&self.budgets, &statuses, &self.plan.cluster, pod, healthy)
    }

    /// DefaultPreemption after a failed cycle: on success the victims start their graceful
    /// termination and the pod is nominated; otherwise the PostFilter message to append.
    fn post_filter(&mut self, pod: PodId, fe: &FitError) -> Option<String> {
        let statuses = self.pdb_statuses();
        let pods = &self.pods;
        let ctx = PreemptionContext {
            budgets: &self.budgets,
            statuses: &statuses,
            start_time: &|p| pods[p.idx()].scheduled.map_or(0, SimTime::ms),
            terminating: &|p| pods[p.idx()].terminating,
        };
        let result = preemption::preempt(
            &mut self.sched,
            &mut self.plan.cluster,
            pod,
            fe,
            &ctx,
            &mut self.preempt_rng,
        );
        match result {
            Preemption::Nominated(c) => {
                if self.audit.is_some() {
                    let check = PreemptionCheck {
                        preemptor_priority: self.plan.cluster.spec_of(pod).priority,
                        victim_priorities: c
                            .victims
                            .iter()
                            .map(|&v| self.plan.cluster.spec_of(v).priority)
                            .collect(),
                        pdb_violations: c.pdb_violations,
                        non_breaking_existed: self.non_breaking_witness(pod, &statuses),
                    };
                    self.audit_preemptions.push(check);
                }
                self.plan.cluster.pods[pod.idx()].nominated_node = Some(c.node);
                for &v in &c.victims {
                    self.preempt_victim(v, pod, c.node);
                }
                let now = self.now();
                self.preemptions.push((now, pod, c.node, c.victims));
                None
            }
            Preemption::NotEligible(msg) => Some(msg),
            Preemption::NoCandidates(msg) => {
                self.plan.cluster.pods[pod.idx()].nominated_node = None;
                Some(msg)
            }
        }
    }

    /// The audit's oracle, independent of the preemption code: is there a live node where
    /// `pod` passes every filter once lower-priority pods are removed (least important
    /// first) only while each budget covering them keeps `disruptionsAllowed >= 0`?
    fn non_breaking_witness(&mut self, pod: PodId, statuses: &[BudgetStatus]) -> bool {
        let prio = self.plan.cluster.spec_of(pod).priority;
        let nodes: Vec<NodeId> = self.plan.cluster.live_node_ids().collect();
        for node in nodes {
            let mut allowed: Vec<i64> = statuses
                .iter()
                .map(|s| i64::from(s.disruptions_allowed))
                .collect();
            let mut cand: Vec<PodId> = self.plan.cluster.nodes[node.idx()]
                .pods
                .iter()
                .copied()
                .filter(|&p| self.plan.cluster.spec_of(p).priority < prio)
                .collect();
            cand.sort_by_key(|&p| (self.plan.cluster.spec_of(p).priority, p));
            let mut removed = Vec::new();
            for p in cand {
                let spec = self.plan.cluster.spec_of(p);
                let covering: Vec<usize> = (0..self.budgets.len())
                    .filter(|&i| self.budgets[i].covers(spec))
                    .collect();
                if covering.iter().all(|&i| allowed[i] > 0) {
                    for i in covering {
                        allowed[i] -= 1;
                    }
                    self.plan.cluster.unbind(p);
                    removed.push(p);
                }
            }
            let fits = self
                .sched
                .filter_one(&self.plan.cluster, pod, node)
                .is_success();
            for p in removed {
                self.plan.cluster.bind(p, node);
            }
            if fits {
                return true;
            }
        }
        false
    }

    /// Deletes a victim gracefully (`prepareCandidate`): it keeps its node for the grace
    /// period, its controller replaces it at once (the ReplicaSet and StatefulSet
    /// controllers do not count terminating pods), and it ends `Preempted`.
    fn preempt_victim(&mut self, victim: PodId, preemptor: PodId, node: NodeId) {
        if std::mem::replace(&mut self.pods[victim.idx()].terminating, true) {
            return;
        }
        let spec = self.plan.cluster.spec_of(preemptor);
        // kube's event names the preemptor by UID; poolcast pods have none, so by name.
        let msg = format!(
            "Preempted by pod {}/{} on node {}",
            spec.namespace,
            self.plan.cluster.pods[preemptor.idx()].name,
            self.plan.cluster.nodes[node.idx()].name
        );
        self.record_failure(victim, Reason::Preempted, msg);
        let w = self.pods[victim.idx()].workload as usize;
        self.workloads[w].live.retain(|&p| p != victim);
        self.replace(victim);
        self.q.schedule_in(
            TERMINATION_GRACE_MS,
            Event::VictimGone { pod: victim, node },
        );
    }

    /// `kubectl drain`'s eviction pass over a cordoned node: every non-DaemonSet pod is
    /// evicted through the eviction API; one a PodDisruptionBudget refuses stays and is
    /// retried every 5 s until the budget allows it.
    fn drain_node(&mut self, node: NodeId) {
        if !self.plan.cluster.nodes[node.idx()].live {
            return;
        }
        let mut pods: Vec<PodId> = self.plan.cluster.nodes[node.idx()]
            .pods
            .iter()
            .copied()
            .filter(|&p| {
                self.plan.cluster.spec_of(p).owner.kind() != WorkloadKind::DaemonSet
                    && !self.pods[p.idx()].terminating
            })
            .collect();
        pods.sort_unstable();
        let mut refused = false;
        for p in pods {
            match self.can_evict(p) {
                Eviction::Allowed => {
                    self.end_pod(p, Phase::Deleted);
                    self.replace(p);
                }
                Eviction::Refused { .. } => refused = true,
            }
        }
        if refused {
            self.q
                .schedule_in(DRAIN_RETRY_MS, Event::DrainRetry { node });
        }
    }

    // ---- samples ----------------------------------------------------------------------

    /// Pending, starting and ready pods of user workloads.
    fn pod_counts(&self) -> (u32, u32, u32) {
        let (mut pending, mut starting, mut ready) = (0u32, 0u32, 0u32);
        for (i, p) in self.pods.iter().enumerate() {
            if !p.visible || p.ended.is_some() || self.plan.workloads[p.workload as usize].system {
                continue;
            }
            if self.plan.cluster.pods[i].node.is_none() {
                pending += 1;
            } else if p.is_ready {
                ready += 1;
            } else {
                starting += 1;
            }
        }
        (pending, starting, ready)
    }

    fn sample(&mut self) {
        let now = self.now();
        // Unchanged pods (hours of pending pods and nothing else) reuse the last counts.
        let key = (
            self.pod_states_gen,
            self.plan.cluster.change_cursor(),
            self.pods.len(),
        );
        let (pending, starting, ready) = match self.sample_counts {
            Some((k, counts)) if k == key => {
                if cfg!(debug_assertions) {
                    assert_eq!(
                        counts,
                        self.pod_counts(),
                        "sample cache: a pod state changed without pod_states_gen"
                    );
                }
                counts
            }
            _ => {
                let counts = self.pod_counts();
                self.sample_counts = Some((key, counts));
                counts
            }
        };
        let pulls = self.kubelets.iter().map(|k| k.active_pulls()).sum();
        self.series.t_ms.push(now.ms());
        self.series.pending.push(pending);
        self.series.starting.push(starting);
        self.series.ready.push(ready);
        self.series.pulls.push(pulls);
        let n_samples = self.series.t_ms.len();
        let mut per_pool: Vec<(u32, Res, Res)> =
            vec![(0, Res::default(), Res::default()); self.plan.pools.len()];
        for n in self.plan.cluster.nodes.iter().filter(|n| n.live) {
            let e = &mut per_pool[n.pool.idx()];
            e.0 += 1;
            e.1.add(&n.allocatable);
            e.2.add(&n.requested);
        }
        for (pi, (count, alloc, req)) in per_pool.into_iter().enumerate() {
            let name = self.plan.pools[pi].name.clone();
            let s = self.series.pools.entry(name).or_default();
            // Pools first seen late get zeros for the earlier samples.
            while s.nodes.len() + 1 < n_samples {
                s.nodes.push(0);
                s.cpu.push(0.0);
                s.memory.push(0.0);
            }
            self.peak_pods[pi] = self.peak_pods[pi].max(frac(req.pods, alloc.pods));
            if let Some(a) = &self.autoscaler {
                s.upcoming.resize(s.nodes.len(), 0);
                s.upcoming.push(a.upcoming(PoolId(pi as u32)));
            }
            s.nodes.push(count);
            s.cpu.push(crate::outcome::round4(frac(req.cpu, alloc.cpu)));
            s.memory
                .push(crate::outcome::round4(frac(req.memory, alloc.memory)));
        }
    }
}

/// `a / b` as a fraction, 0 when `b` is 0.
pub(crate) fn frac(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The OSes an image serves, `linux` or `linux/windows` for a manifest list.
fn image_oses(info: &crate::cluster::ImageInfo) -> String {
    let mut oses: Vec<Os> = info.all_platforms().map(|p| p.os).collect();
    oses.sort_unstable();
    oses.dedup();
    oses.iter().map(|o| o.label()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod name_tests {
    use super::{decimal, pod_name};

    #[test]
    fn pod_names_match_format_in_one_exact_allocation() {
        for i in [0u32, 7, 10, 99, 100, 4_294_967_295] {
            let mut digits = [0u8; 10];
            let name = pod_name("web", decimal(i, &mut digits));
            assert_eq!(name, format!("web-{i}"));
            assert_eq!(name.capacity(), name.len());
        }
        let pinned = pod_name("kube-proxy", "aks-sys-0-vmss000000");
        assert_eq!(pinned, "kube-proxy-aks-sys-0-vmss000000");
        assert_eq!(pinned.capacity(), pinned.len());
    }
}

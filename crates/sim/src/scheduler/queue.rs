//! kube-scheduler's scheduling queue (`pkg/scheduler/backend/queue/`: `scheduling_queue.go`,
//! `active_queue.go`, `backoff_queue.go`; ordering from the PrioritySort plugin).
//!
//! - **activeQ**: pods ready to be tried, highest priority first, then earliest timestamp
//!   (the time the pod was added, or last failed), then insertion order.
//! - **backoffQ**: pods waiting out their backoff, `podInitialBackoffSeconds` (1 s) doubled
//!   per attempt up to `podMaxBackoffSeconds` (10 s), counted from the last failure. With
//!   `SchedulerPopFromBackoffQ` (on by default since 1.33, KEP-5142) expiries are truncated
//!   to 1 s windows, a pod completes once its window is over, and an empty activeQ pops
//!   from the backoffQ directly.
//! - **unschedulablePods**: pods that failed and wait for a cluster event that may help.
//!   Events move them to the backoffQ (still backing off) or the activeQ; after
//!   `podMaxInUnschedulablePodsDuration` (5 min) they are moved anyway, checked every 30 s
//!   (`flushUnschedulablePodsLeftover`).
//!
//! Which events retry a pod follows the rejecting plugins' `EventsToRegister` without
//! QueueingHint functions (see `ClusterEvent`). An event that arrives while a pod is being
//! scheduled sends it to the backoffQ when it fails (kube's `moveRequestCycle`).
//!
//! The engine drives time: it calls `pop(now)` (which first moves completed backoffs, as
//! the 1 s flush loop would have), `flush(now)` every `UNSCHEDULABLE_FLUSH_INTERVAL_MS`,
//! and can wake up at `next_backoff_expiry()`. All orders are `BTreeSet`s keyed with an
//! insertion sequence: deterministic.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::plugins::{
    node_affinity, node_resources_fit, node_unschedulable, pod_topology_spread, taint_toleration,
};
use super::SchedulerSettings;
use crate::cluster::PodId;
use crate::engine::SimTime;

/// `DefaultPodMaxInUnschedulablePodsDuration`.
pub const POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION_MS: u64 = 5 * 60 * 1000;
/// Period of `flushUnschedulablePodsLeftover`.
pub const UNSCHEDULABLE_FLUSH_INTERVAL_MS: u64 = 30 * 1000;
/// `backoffQOrderingWindowDuration`.
pub const BACKOFF_ORDERING_WINDOW_MS: u64 = 1000;
/// InterPodAffinity's plugin name (the plugin registers pod events).
const INTER_POD_AFFINITY: &str = super::plugins::inter_pod_affinity::NAME;

/// A cluster change that may make unschedulable pods schedulable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterEvent {
    /// A node was added (or became schedulable by joining the cluster).
    NodeAdd,
    /// A node's labels, taints, allocatable or `unschedulable` changed.
    NodeUpdate,
    /// A node was deleted.
    NodeDelete,
    /// A pod was bound to a node.
    AssignedPodAdd,
    /// A bound pod was deleted (finished, evicted, preempted).
    AssignedPodDelete,
    /// Moves every pod (`framework.WildCardEvent`, also `UnschedulableTimeout`).
    Wildcard,
}

impl ClusterEvent {
    /// Whether a pod rejected by `plugin` is retried on this event: the plugin's
    /// `EventsToRegister` (node Add/Update for every filter; pod Delete for
    /// NodeResourcesFit; pod Add/Delete and node Delete for PodTopologySpread; pod Add/Delete
    /// for InterPodAffinity). Unknown plugins are retried on every event.
    pub fn interests(self, plugin: &str) -> bool {
        use ClusterEvent::*;
        let known = [
            node_unschedulable::NAME,
            taint_toleration::NAME,
            node_affinity::NAME,
            node_resources_fit::NAME,
            pod_topology_spread::NAME,
            INTER_POD_AFFINITY,
        ];
        if !known.contains(&plugin) {
            return true;
        }
        match self {
            Wildcard | NodeAdd | NodeUpdate => true,
            NodeDelete => plugin == pod_topology_spread::NAME,
            AssignedPodAdd => plugin == pod_topology_spread::NAME || plugin == INTER_POD_AFFINITY,
            AssignedPodDelete => {
                plugin == node_resources_fit::NAME
                    || plugin == pod_topology_spread::NAME
                    || plugin == INTER_POD_AFFINITY
            }
        }
    }

    fn moves(self, rejectors: &[&'static str]) -> bool {
        // Unknown rejectors: any event may help.
        rejectors.is_empty() || rejectors.iter().any(|p| self.interests(p))
    }
}

/// Queue timing (`KubeSchedulerConfiguration` and feature gates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    /// `podInitialBackoffSeconds` in ms.
    pub initial_backoff_ms: u64,
    /// `podMaxBackoffSeconds` in ms.
    pub max_backoff_ms: u64,
    /// `podMaxInUnschedulablePodsDuration` in ms.
    pub max_in_unschedulable_ms: u64,
    /// `SchedulerPopFromBackoffQ` (beta, on by default since 1.33).
    pub pop_from_backoff: bool,
}

impl QueueSettings {
    /// From the profile settings, with kube's defaults for the rest.
    pub fn from_scheduler(s: &SchedulerSettings) -> QueueSettings {
        QueueSettings {
            initial_backoff_ms: s.pod_initial_backoff_ms,
            max_backoff_ms: s.pod_max_backoff_ms,
            max_in_unschedulable_ms: POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION_MS,
            pop_from_backoff: true,
        }
    }
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings::from_scheduler(&SchedulerSettings::default())
    }
}

/// Where a pod is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueState {
    /// In the activeQ.
    Active,
    /// In the backoffQ.
    Backoff,
    /// In the unschedulable pods pool.
    Unschedulable,
    /// Popped and being scheduled.
    InFlight,
}

#[derive(Debug, Clone)]
struct Entry {
    state: QueueState,
    priority: i32,
    timestamp: u64,
    seq: u64,
    attempts: u32,
    pop_cycle: u64,
    /// Index into `RejectorSets`.
    rejectors: u32,
    backoff_expiry: u64,
}

/// Every `ClusterEvent`, for the per-set event masks.
const ALL_EVENTS: [ClusterEvent; 6] = [
    ClusterEvent::NodeAdd,
    ClusterEvent::NodeUpdate,
    ClusterEvent::NodeDelete,
    ClusterEvent::AssignedPodAdd,
    ClusterEvent::AssignedPodDelete,
    ClusterEvent::Wildcard,
];

impl ClusterEvent {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The distinct sets of rejecting plugins, each with the events that move its pods (one
/// bit per `ClusterEvent`) and how many unschedulable pods hold it. Set 0 is the empty
/// set (unknown rejectors: every event moves).
#[derive(Debug, Clone)]
struct RejectorSets {
    sets: Vec<(Vec<&'static str>, u8)>,
    waiting: Vec<usize>,
}

impl Default for RejectorSets {
    fn default() -> Self {
        let mut s = RejectorSets {
            sets: Vec::new(),
            waiting: Vec::new(),
        };
        s.intern(&[]);
        s
    }
}

impl RejectorSets {
    fn intern(&mut self, rejectors: &[&'static str]) -> u32 {
        if let Some(i) = self
            .sets
            .iter()
            .position(|(s, _)| s.as_slice() == rejectors)
        {
            return i as u32;
        }
        let mask = ALL_EVENTS
            .iter()
            .filter(|e| e.moves(rejectors))
            .fold(0u8, |m, e| m | e.bit());
        self.sets.push((rejectors.to_vec(), mask));
        self.waiting.push(0);
        (self.sets.len() - 1) as u32
    }

    fn moves(&self, set: u32, event: ClusterEvent) -> bool {
        self.sets[set as usize].1 & event.bit() != 0
    }

    /// Whether `event` moves any unschedulable pod.
    fn any_waiting_for(&self, event: ClusterEvent) -> bool {
        self.sets
            .iter()
            .zip(&self.waiting)
            .any(|((_, m), &n)| n > 0 && m & event.bit() != 0)
    }
}

/// Pods sharing an ordering prefix, as (insertion sequence, pod), ascending.
type Run = VecDeque<(u64, PodId)>;

/// Inserts keeping `run` sorted; appending (the usual case) is O(1).
#[inline]
fn insert_sorted(run: &mut Run, seq: u64, pod: PodId) {
    match run.back() {
        Some(&(last, _)) if last > seq => insert_inside(run, seq, pod),
        _ => run.push_back((seq, pod)),
    }
}

/// `insert_sorted` before the run's end.
#[cold]
fn insert_inside(run: &mut Run, seq: u64, pod: PodId) {
    let i = run.partition_point(|&(s, _)| s < seq);
    run.insert(i, (seq, pod));
}

/// Appends `run[range]` to `pool`.
fn extend_from_run(pool: &mut Vec<(u64, PodId)>, run: &Run, range: std::ops::Range<usize>) {
    let (front, back) = run.as_slices();
    let split = front.len();
    if range.start < split {
        pool.extend_from_slice(&front[range.start..range.end.min(split)]);
    }
    if range.end > split {
        pool.extend_from_slice(&back[range.start.max(split) - split..range.end - split]);
    }
}

/// Whether the queue item (`seq`, `pod`) is still `pod`'s place in `state` (removed pods
/// are dropped lazily from the activeQ and the unschedulable pool).
fn current(entries: &[Option<Entry>], pod: PodId, seq: u64, state: QueueState) -> bool {
    entries
        .get(pod.idx())
        .and_then(Option::as_ref)
        .is_some_and(|e| e.seq == seq && e.state == state)
}

type BackoffKey = (u64, Reverse<i32>, u64, u64, PodId);

/// `calculateBackoffDuration`: initial doubled per attempt after the first, capped.
fn backoff_duration_ms(settings: &QueueSettings, attempts: u32) -> u64 {
    if attempts == 0 {
        return 0;
    }
    let max = settings.max_backoff_ms;
    let mut d = settings.initial_backoff_ms;
    for _ in 1..attempts {
        if d > max.saturating_sub(d) {
            return max;
        }
        d += d;
    }
    d
}

/// `backoff_duration_ms` for 0..=64 attempts (`requeue_all` reads it per pod).
fn backoff_table(settings: &QueueSettings) -> Vec<u64> {
    (0..=64).map(|a| backoff_duration_ms(settings, a)).collect()
}

/// A backoff expiry truncated to its ordering window (`SchedulerPopFromBackoffQ`).
fn align(settings: &QueueSettings, t: u64) -> u64 {
    if settings.pop_from_backoff {
        t - t % BACKOFF_ORDERING_WINDOW_MS
    } else {
        t
    }
}

/// `isPodBackingoff` negated.
fn backoff_done(settings: &QueueSettings, expiry: u64, now: SimTime) -> bool {
    if settings.pop_from_backoff {
        expiry < align(settings, now.ms())
    } else {
        expiry <= now.ms()
    }
}

/// The priority queue with its three parts.
///
/// The activeQ is kept as runs of pods per (priority, timestamp), each run by insertion
/// sequence: popping and appending are O(1), and the order is exactly PrioritySort's
/// (priority, timestamp, insertion order). The unschedulable pool is kept per failure
/// timestamp. A retry of thousands of pending pods (all failing at the same instant, then
/// flushed together) thus costs a few array operations per pod, not ordered-set inserts.
#[derive(Debug, Clone, Default)]
pub struct SchedulingQueue {
    settings: QueueSettings,
    entries: Vec<Option<Entry>>,
    active: BTreeMap<(Reverse<i32>, u64), Run>,
    active_len: usize,
    backoff: BTreeSet<BackoffKey>,
    unschedulable: BTreeMap<u64, Vec<(u64, PodId)>>,
    unschedulable_len: usize,
    rejector_sets: RejectorSets,
    seq: u64,
    cycle: u64,
    in_flight: usize,
    /// Events received while pods were in flight, with the cycle they arrived in.
    events: Vec<(u64, ClusterEvent)>,
    /// `backoff_table` of the settings, filled on first use.
    backoff_table: Vec<u64>,
    /// An emptied activeQ run and an emptied pool bucket, kept for their capacity (the
    /// pending shape moves thousands of pods between them every flush).
    spare_run: Run,
    spare_pool: Vec<(u64, PodId)>,
}

impl SchedulingQueue {
    /// An empty queue.
    pub fn new(settings: QueueSettings) -> SchedulingQueue {
        SchedulingQueue {
            settings,
            ..SchedulingQueue::default()
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    fn entry(&self, pod: PodId) -> Option<&Entry> {
        self.entries.get(pod.idx()).and_then(Option::as_ref)
    }

    /// Adds a new pod to the activeQ (`Add`); false if the queue already knows it.
    pub fn add(&mut self, pod: PodId, priority: i32, now: SimTime) -> bool {
        if self.entry(pod).is_some() {
            return false;
        }
        if self.entries.len() <= pod.idx() {
            self.entries.resize_with(pod.idx() + 1, || None);
        }
        self.seq += 1;
        let e = Entry {
            state: QueueState::Active,
            priority,
            timestamp: now.ms(),
            seq: self.seq,
            attempts: 0,
            pop_cycle: 0,
            rejectors: 0,
            backoff_expiry: 0,
        };
        self.insert_active(pod, priority, e.timestamp, e.seq);
        self.entries[pod.idx()] = Some(e);
        true
    }

    /// The next pod to schedule (`Pop`): completed backoffs move to the activeQ first; with
    /// `pop_from_backoff` an empty activeQ yields the backoffQ's head.
    pub fn pop(&mut self, now: SimTime) -> Option<PodId> {
        self.flush_backoff_completed(now);
        let pod = match self.pop_active() {
            Some(pod) => pod,
            None if self.settings.pop_from_backoff => self.backoff.pop_first()?.4,
            None => return None,
        };
        self.cycle += 1;
        self.in_flight += 1;
        let cycle = self.cycle;
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.state = QueueState::InFlight;
            e.attempts += 1;
            e.pop_cycle = cycle;
        }
        Some(pod)
    }

    /// A popped pod was bound (`Done`): the queue forgets it.
    pub fn done(&mut self, pod: PodId) {
        self.remove(pod);
    }

    /// A popped pod failed (`AddUnschedulableIfNotPresent`) and the plugins that rejected it
    /// are not known: any cluster event retries it.
    pub fn add_unschedulable(&mut self, pod: PodId, now: SimTime) {
        self.add_unschedulable_by(pod, now, &[]);
    }

    /// A popped pod failed, rejected by `rejected_by` (`FitError::unschedulable_plugins`;
    /// empty = unknown, any event retries it): its timestamp becomes `now`; it waits in the
    /// unschedulable pool, or goes to the backoffQ if an event that interests one of the
    /// plugins arrived while it was in flight.
    pub fn add_unschedulable_by(&mut self, pod: PodId, now: SimTime, rejected_by: &[&'static str]) {
        let in_flight = self
            .entry(pod)
            .is_some_and(|e| e.state == QueueState::InFlight);
        if !in_flight {
            return;
        }
        let set = self.rejector_sets.intern(rejected_by);
        self.in_flight -= 1;
        let Some(e) = self.entries[pod.idx()].as_mut() else {
            return;
        };
        e.timestamp = now.ms();
        e.rejectors = set;
        let pop_cycle = e.pop_cycle;
        let sets = &self.rejector_sets;
        let moved = self
            .events
            .iter()
            .any(|&(c, ev)| c >= pop_cycle && sets.moves(set, ev));
        if moved {
            self.requeue(pod, now);
        } else {
            self.insert_unschedulable(pod);
        }
        if self.in_flight == 0 {
            self.events.clear();
        }
    }

    /// A batch of identical failures: pops the activeQ's pods in order for as long as
    /// `take` accepts them (it sees each pod before it is popped; the first one it declines
    /// stays at the head) and fails each at `now`, rejected by `rejected_by`, exactly as
    /// `pop(now)` followed by `add_unschedulable_by(pod, now, rejected_by)` one pod at a
    /// time would: each pod's attempt count and pop cycle move as a pop does, its timestamp
    /// becomes `now` and it joins the unschedulable pool in the same order. Returns how
    /// many pods it failed.
    ///
    /// Only activeQ pods are taken (the engine never pops the backoffQ while the activeQ
    /// has pods), and only when no pod is in flight (then no event can be pending for the
    /// batch, `moveRequestCycle`, so every failed pod waits in the unschedulable pool) and
    /// no backoff is complete at `now` (a `pop` would first move it to the activeQ; the
    /// `pop` that precedes a batch at the same instant has done so). Otherwise nothing is
    /// taken and the caller pops one pod at a time.
    pub fn fail_active_run(
        &mut self,
        now: SimTime,
        rejected_by: &[&'static str],
        mut take: impl FnMut(PodId) -> bool,
    ) -> usize {
        let backoff_due = self
            .backoff
            .first()
            .is_some_and(|&(expiry, ..)| self.backoff_done(expiry, now));
        if self.in_flight > 0 || self.active_len == 0 || backoff_due {
            return 0;
        }
        let set = self.rejector_sets.intern(rejected_by);
        let mut failed = 0usize;
        let now_ms = now.ms();
        // The pool's run for `now` (the latest failure time: time only moves forward).
        let spare = &mut self.spare_pool;
        let pool = self
            .unschedulable
            .entry(now_ms)
            .or_insert_with(|| std::mem::take(spare));
        while let Some(mut first) = self.active.first_entry() {
            let run = first.get_mut();
            // The run is read in place: `taken` items leave its front (failed or dropped),
            // and the failed ones join the pool a stretch at a time, in the same order.
            let mut taken = 0usize;
            let mut stretch = 0usize;
            let mut declined = false;
            for &(seq, pod) in run.iter() {
                match self.entries.get_mut(pod.idx()).and_then(Option::as_mut) {
                    Some(e) if e.seq == seq && e.state == QueueState::Active => {
                        if !take(pod) {
                            declined = true;
                            break;
                        }
                        self.cycle += 1;
                        e.attempts += 1;
                        e.pop_cycle = self.cycle;
                        e.timestamp = now_ms;
                        e.rejectors = set;
                        e.state = QueueState::Unschedulable;
                        failed += 1;
                    }
                    _ => {
                        // Removed earlier: dropped, as `pop` drops it.
                        extend_from_run(pool, run, stretch..taken);
                        stretch = taken + 1;
                    }
                }
                taken += 1;
            }
            extend_from_run(pool, run, stretch..taken);
            if declined {
                // The declined pod stays at the head.
                run.drain(..taken);
                break;
            }
            let mut emptied = first.remove();
            if emptied.capacity() > self.spare_run.capacity() {
                emptied.clear();
                self.spare_run = emptied;
            }
        }
        if pool.is_empty() {
            self.unschedulable.remove(&now_ms);
        }
        self.active_len -= failed;
        self.unschedulable_len += failed;
        self.rejector_sets.waiting[set as usize] += failed;
        failed
    }

    /// Moves every unschedulable pod (`MoveAllToActiveOrBackoffQueue` with the wildcard
    /// event).
    pub fn move_all_to_active_or_backoff(&mut self, now: SimTime) {
        self.on_event(ClusterEvent::Wildcard, now);
    }

    /// Moves the unschedulable pods whose rejecting plugins registered `event`.
    pub fn on_event(&mut self, event: ClusterEvent, now: SimTime) {
        if self.in_flight > 0 {
            self.events.push((self.cycle, event));
        }
        if !self.rejector_sets.any_waiting_for(event) {
            return;
        }
        let mut to_move: Vec<(u64, PodId)> = Vec::new();
        let entries = &self.entries;
        let sets = &self.rejector_sets;
        self.unschedulable.retain(|_, pods| {
            pods.retain(|&(seq, pod)| {
                if !current(entries, pod, seq, QueueState::Unschedulable) {
                    return false;
                }
                let set = entries[pod.idx()].as_ref().map_or(0, |e| e.rejectors);
                if sets.moves(set, event) {
                    to_move.push((seq, pod));
                    false
                } else {
                    true
                }
            });
            !pods.is_empty()
        });
        self.requeue_all(to_move, now);
    }

    /// `flushUnschedulablePodsLeftover` (every 30 s in kube) and the backoff flush: pods
    /// unschedulable for longer than `max_in_unschedulable_ms` are moved.
    pub fn flush(&mut self, now: SimTime) {
        let limit = self.settings.max_in_unschedulable_ms;
        while let Some(first) = self.unschedulable.first_entry() {
            if now.ms().saturating_sub(*first.key()) <= limit {
                break;
            }
            let ts = *first.key();
            let pods = first.remove();
            self.requeue_failed_at(ts, pods, now);
        }
        self.flush_backoff_completed(now);
    }

    /// Requeues the pool's pods that failed at `ts` (one of the pool's buckets; removed
    /// pods are skipped). Each pod's place depends only on its own entry, so buckets can
    /// be requeued one after the other. When even the longest backoff from `ts` is over
    /// (a 5-minute flush: always), every pod goes to its activeQ run, whatever its attempt
    /// count, and the run is looked up once per priority.
    fn requeue_failed_at(&mut self, ts: u64, mut pods: Vec<(u64, PodId)>, now: SimTime) {
        let longest = self
            .settings
            .initial_backoff_ms
            .max(self.settings.max_backoff_ms);
        let settings = &self.settings;
        if !backoff_done(settings, align(settings, ts.saturating_add(longest)), now) {
            return self.requeue_all(pods, now);
        }
        // Sequence numbers are unique: ordering by them is ordering the items.
        if !pods.is_sorted_by_key(|&(seq, _)| seq) {
            pods.sort_unstable();
        }
        let mut pods = match self.bucket_to_run(ts, pods) {
            Ok(()) => return,
            Err(pods) => pods,
        };
        let mut run: Option<(i32, &mut Run)> = None;
        let mut moved = 0usize;
        for &(seq, p) in &pods {
            let Some(e) = self.entries.get_mut(p.idx()).and_then(Option::as_mut) else {
                continue;
            };
            if e.seq != seq || e.state != QueueState::Unschedulable {
                continue;
            }
            debug_assert_eq!(e.timestamp, ts, "the pool's buckets are per failure time");
            self.rejector_sets.waiting[e.rejectors as usize] -= 1;
            // Backing off no more (`backoff_expiry` is only read in the backoffQ).
            e.state = QueueState::Active;
            if !matches!(&run, Some((prio, _)) if *prio == e.priority) {
                let spare = &mut self.spare_run;
                let r = self
                    .active
                    .entry((Reverse(e.priority), e.timestamp))
                    .or_insert_with(|| std::mem::take(spare));
                run = Some((e.priority, r));
            }
            if let Some((_, r)) = run.as_mut() {
                insert_sorted(r, seq, p);
            }
            moved += 1;
        }
        self.unschedulable_len -= moved;
        self.active_len += moved;
        pods.clear();
        if pods.capacity() > self.spare_pool.capacity() {
            self.spare_pool = pods;
        }
    }

    /// `requeue_failed_at`'s usual case, in O(1) per pod: when every item of the bucket
    /// (sorted) is still its pod's place in the pool, the pods share one priority and the
    /// activeQ has no run for (that priority, `ts`), the bucket becomes that run as it is
    /// (the same items in the same order that appending them one by one would give) and
    /// only the pods' states change. Otherwise the bucket is handed back untouched.
    fn bucket_to_run(&mut self, ts: u64, pods: Vec<(u64, PodId)>) -> Result<(), Vec<(u64, PodId)>> {
        let Some(&(_, first)) = pods.first() else {
            return Err(pods);
        };
        let Some(priority) = self.entry(first).map(|e| e.priority) else {
            return Err(pods);
        };
        let key = (Reverse(priority), ts);
        if self.active.contains_key(&key) {
            return Err(pods);
        }
        // One pass moves the pods; an item that does not qualify undoes it (rare: a pod
        // removed or of another priority). Pods failing together share their rejectors:
        // the pool's counts are taken down per stretch of one set.
        let mut moved = 0usize;
        let mut stretch = (0u32, 0usize);
        for &(seq, p) in &pods {
            match self.entries.get_mut(p.idx()).and_then(Option::as_mut) {
                Some(e)
                    if e.seq == seq
                        && e.state == QueueState::Unschedulable
                        && e.priority == priority =>
                {
                    debug_assert_eq!(e.timestamp, ts, "the pool's buckets are per failure time");
                    // Backing off no more (`backoff_expiry` is only read in the backoffQ).
                    e.state = QueueState::Active;
                    if e.rejectors != stretch.0 {
                        self.rejector_sets.waiting[stretch.0 as usize] -= stretch.1;
                        stretch = (e.rejectors, 0);
                    }
                    stretch.1 += 1;
                    moved += 1;
                }
                _ => break,
            }
        }
        self.rejector_sets.waiting[stretch.0 as usize] -= stretch.1;
        if moved < pods.len() {
            for &(_, p) in &pods[..moved] {
                if let Some(e) = self.entries[p.idx()].as_mut() {
                    e.state = QueueState::Unschedulable;
                    self.rejector_sets.waiting[e.rejectors as usize] += 1;
                }
            }
            return Err(pods);
        }
        self.unschedulable_len -= moved;
        self.active_len += moved;
        // The bucket's buffer becomes the run; the spare emptied run's buffer becomes the
        // next bucket's (both are empty: no data moves).
        self.active.insert(key, Run::from(pods));
        if self.spare_run.capacity() > self.spare_pool.capacity() {
            self.spare_pool = Vec::from(std::mem::take(&mut self.spare_run));
        }
        Ok(())
    }

    /// When the next backoffQ pod completes its backoff, if any.
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        self.backoff.first().map(|&(expiry, ..)| {
            SimTime(if self.settings.pop_from_backoff {
                // Done once the window holding the expiry is over.
                expiry + BACKOFF_ORDERING_WINDOW_MS
            } else {
                expiry
            })
        })
    }

    /// When the oldest unschedulable pod becomes due for `flush`, if any.
    pub fn next_flush_due(&self) -> Option<SimTime> {
        self.unschedulable
            .iter()
            .find(|(_, pods)| {
                pods.iter()
                    .any(|&(seq, p)| current(&self.entries, p, seq, QueueState::Unschedulable))
            })
            .map(|(&ts, _)| SimTime(ts + self.settings.max_in_unschedulable_ms + 1))
    }

    /// Forgets a pod wherever it is (deleted); false if unknown.
    pub fn remove(&mut self, pod: PodId) -> bool {
        let Some(e) = self.entries.get_mut(pod.idx()).and_then(Option::take) else {
            return false;
        };
        match e.state {
            // Dropped lazily from the run that holds it.
            QueueState::Active => self.active_len -= 1,
            QueueState::Backoff => {
                self.backoff.remove(&(
                    e.backoff_expiry,
                    Reverse(e.priority),
                    e.timestamp,
                    e.seq,
                    pod,
                ));
            }
            QueueState::Unschedulable => {
                self.unschedulable_len -= 1;
                self.rejector_sets.waiting[e.rejectors as usize] -= 1;
            }
            QueueState::InFlight => {
                self.in_flight -= 1;
                if self.in_flight == 0 {
                    self.events.clear();
                }
            }
        }
        true
    }

    /// Pending pods (active + backoff + unschedulable; in-flight pods excluded).
    pub fn len(&self) -> usize {
        self.active_len + self.backoff.len() + self.unschedulable_len
    }

    /// True when no pod is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pods in the activeQ.
    pub fn active_len(&self) -> usize {
        self.active_len
    }

    /// Pods in the backoffQ.
    pub fn backoff_len(&self) -> usize {
        self.backoff.len()
    }

    /// Pods in the unschedulable pool.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable_len
    }

    /// Pods popped and not yet reported back.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Where `pod` is, if queued.
    pub fn state(&self, pod: PodId) -> Option<QueueState> {
        self.entry(pod).map(|e| e.state)
    }

    /// Scheduling attempts of `pod` so far.
    pub fn attempts(&self, pod: PodId) -> u32 {
        self.entry(pod).map_or(0, |e| e.attempts)
    }

    /// `calculateBackoffDuration`: initial doubled per attempt after the first, capped.
    pub fn backoff_duration_ms(&self, attempts: u32) -> u64 {
        backoff_duration_ms(&self.settings, attempts)
    }

    fn align(&self, t: u64) -> u64 {
        align(&self.settings, t)
    }

    /// `isPodBackingoff` negated.
    fn backoff_done(&self, expiry: u64, now: SimTime) -> bool {
        backoff_done(&self.settings, expiry, now)
    }

    fn insert_active(&mut self, pod: PodId, priority: i32, ts: u64, seq: u64) {
        insert_sorted(
            self.active.entry((Reverse(priority), ts)).or_default(),
            seq,
            pod,
        );
        self.active_len += 1;
    }

    /// The activeQ's head, skipping removed pods.
    fn pop_active(&mut self) -> Option<PodId> {
        loop {
            let mut first = self.active.first_entry()?;
            let run = first.get_mut();
            while let Some((seq, pod)) = run.pop_front() {
                if current(&self.entries, pod, seq, QueueState::Active) {
                    if run.is_empty() {
                        first.remove();
                    }
                    self.active_len -= 1;
                    return Some(pod);
                }
            }
            first.remove();
        }
    }

    /// Requeues pods taken out of the unschedulable pool, in insertion order (so that runs
    /// are appended to).
    ///
    /// Items that are no longer their pod's place in the pool (removed pods) are skipped.
    /// Each pod's place depends only on its own entry, so the pods of one activeQ run
    /// (the usual case: thousands that failed together) are appended to it with one map
    /// look-up, not one per pod.
    fn requeue_all(&mut self, mut pods: Vec<(u64, PodId)>, now: SimTime) {
        if !pods.is_sorted() {
            pods.sort_unstable();
        }
        if self.backoff_table.is_empty() {
            self.backoff_table = backoff_table(&self.settings);
        }
        let mut run: Option<((Reverse<i32>, u64), &mut Run)> = None;
        for (seq, p) in pods {
            let Some(e) = self.entries.get_mut(p.idx()).and_then(Option::as_mut) else {
                continue;
            };
            if e.seq != seq || e.state != QueueState::Unschedulable {
                continue;
            }
            self.unschedulable_len -= 1;
            self.rejector_sets.waiting[e.rejectors as usize] -= 1;
            // `requeue`, with the activeQ's run kept across pods.
            let expiry = if e.attempts == 0 {
                0
            } else {
                let d = match self.backoff_table.get(e.attempts as usize) {
                    Some(&d) => d,
                    None => backoff_duration_ms(&self.settings, e.attempts),
                };
                align(&self.settings, e.timestamp + d)
            };
            let done = e.attempts == 0 || backoff_done(&self.settings, expiry, now);
            e.backoff_expiry = expiry;
            if done {
                e.state = QueueState::Active;
                let key = (Reverse(e.priority), e.timestamp);
                if !matches!(&run, Some((k, _)) if *k == key) {
                    run = Some((key, self.active.entry(key).or_default()));
                }
                if let Some((_, r)) = run.as_mut() {
                    insert_sorted(r, e.seq, p);
                }
                self.active_len += 1;
            } else {
                e.state = QueueState::Backoff;
                self.backoff
                    .insert((expiry, Reverse(e.priority), e.timestamp, e.seq, p));
            }
        }
    }

    /// `requeuePodWithQueueingStrategy(queueAfterBackoff)`: backoffQ while backing off,
    /// activeQ after.
    fn requeue(&mut self, pod: PodId, now: SimTime) {
        let Some(e) = self.entries[pod.idx()].as_ref() else {
            return;
        };
        let expiry = if e.attempts == 0 {
            0
        } else {
            self.align(e.timestamp + self.backoff_duration_ms(e.attempts))
        };
        let done = e.attempts == 0 || self.backoff_done(expiry, now);
        let (priority, ts, seq) = (e.priority, e.timestamp, e.seq);
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.backoff_expiry = expiry;
            e.state = if done {
                QueueState::Active
            } else {
                QueueState::Backoff
            };
        }
        if done {
            self.insert_active(pod, priority, ts, seq);
        } else {
            self.backoff
                .insert((expiry, Reverse(priority), ts, seq, pod));
        }
    }

    fn insert_unschedulable(&mut self, pod: PodId) {
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.state = QueueState::Unschedulable;
            let item = (e.seq, pod);
            let (ts, set) = (e.timestamp, e.rejectors);
            match self.unschedulable.last_entry() {
                Some(mut last) if *last.key() == ts => last.get_mut().push(item),
                _ => self.unschedulable.entry(ts).or_default().push(item),
            }
            self.unschedulable_len += 1;
            self.rejector_sets.waiting[set as usize] += 1;
        }
    }

    /// `flushBackoffQCompleted`.
    fn flush_backoff_completed(&mut self, now: SimTime) {
        while let Some(&(expiry, Reverse(prio), ts, seq, pod)) = self.backoff.first() {
            if !self.backoff_done(expiry, now) {
                break;
            }
            self.backoff.pop_first();
            if let Some(e) = self.entries[pod.idx()].as_mut() {
                e.state = QueueState::Active;
            }
            self.insert_active(pod, prio, ts, seq);
        }
    }
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pop_from_backoff: bool) -> SchedulingQueue {
        SchedulingQueue::new(QueueSettings {
            pop_from_backoff,
            ..QueueSettings::default()
        })
    }

    fn t(ms: u64) -> SimTime {
        SimTime(ms)
    }

    #[test]
    fn priority_then_timestamp_then_insertion() {
        let mut q = q(true);
        q.add(PodId(0), 0, t(10));
        q.add(PodId(1), 100, t(20));
        q.add(PodId(2), 0, t(5));
        q.add(PodId(3), 0, t(5));
        assert!(!q.add(PodId(3), 7, t(6)), "duplicates are ignored");
        let order: Vec<u32> = std::iter::from_fn(|| q.pop(t(30)).map(|p| p.0)).collect();
        assert_eq!(order, [1, 2, 3, 0]);
        assert_eq!(q.in_flight(), 4);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let q = q(true);
        let got: Vec<u64> = (0..7).map(|a| q.backoff_duration_ms(a)).collect();
        assert_eq!(got, [0, 1000, 2000, 4000, 8000, 10000, 10000]);
    }

    #[test]
    fn failed_pod_waits_for_an_event_then_backs_off() {
        let mut q = q(false);
        let p = PodId(0);
        q.add(p, 0, t(0));
        assert_eq!(q.pop(t(0)), Some(p));
        q.add_unschedulable_by(p, t(500), &[node_resources_fit::NAME]);
        assert_eq!(q.state(p), Some(QueueState::Unschedulable));
        assert_eq!(q.pop(t(60_000)), None, "no event, no retry");
        // A new node may help a NodeResourcesFit rejection; a pod being bound does not.
        q.on_event(ClusterEvent::AssignedPodAdd, t(1000));
        assert_eq!(q.state(p), Some(QueueState::Unschedulable));
        q.on_event(ClusterEvent::NodeAdd, t(1000));
        // One attempt: 1 s backoff from the failure at 500 ms.
        assert_eq!(q.state(p), Some(QueueState::Backoff));
        assert_eq!(q.next_backoff_expiry(), Some(t(1500)));
        assert_eq!(q.pop(t(1499)), None);
        assert_eq!(q.pop(t(1500)), Some(p));
        assert_eq!(q.attempts(p), 2);
        // Second failure at 2 s: 2 s backoff; an event after it has expired goes to activeQ.
        q.add_unschedulable_by(p, t(2000), &[node_resources_fit::NAME]);
        q.move_all_to_active_or_backoff(t(4000));
        assert_eq!(q.state(p), Some(QueueState::Active));
    }

    #[test]
    fn pop_from_backoff_aligns_windows_and_pops_when_active_is_empty() {
        let mut q = q(true);
        let (a, b) = (PodId(0), PodId(1));
        q.add(a, 0, t(0));
        q.add(b, 0, t(0));
        q.pop(t(0));
        q.pop(t(0));
        q.add_unschedulable_by(a, t(300), &["TaintToleration"]);
        q.add_unschedulable_by(b, t(300), &["TaintToleration"]);
        q.on_event(ClusterEvent::NodeUpdate, t(400));
        // 300 + 1000 = 1300, truncated to the 1000 ms window, done once 2000 is reached.
        assert_eq!(q.next_backoff_expiry(), Some(t(2000)));
        assert_eq!(q.backoff_len(), 2);
        // The activeQ is empty, so the backoffQ head is popped right away.
        assert_eq!(q.pop(t(400)), Some(a));
        q.add(PodId(2), 0, t(500));
        assert_eq!(q.pop(t(500)), Some(PodId(2)));
        assert_eq!(q.pop(t(1999)), Some(b));
    }

    #[test]
    fn event_during_the_attempt_sends_the_pod_to_backoff() {
        let mut q = q(false);
        let p = PodId(0);
        q.add(p, 0, t(0));
        q.pop(t(0));
        q.on_event(ClusterEvent::AssignedPodDelete, t(10));
        q.add_unschedulable_by(p, t(20), &[node_resources_fit::NAME]);
        assert_eq!(q.state(p), Some(QueueState::Backoff));
        // An uninteresting event does not.
        let r = PodId(1);
        q.add(r, 0, t(30));
        q.pop(t(30));
        q.on_event(ClusterEvent::AssignedPodDelete, t(31));
        q.add_unschedulable_by(r, t(32), &[taint_toleration::NAME]);
        assert_eq!(q.state(r), Some(QueueState::Unschedulable));
    }

    #[test]
    fn unschedulable_pods_are_flushed_after_five_minutes() {
        let mut q = q(false);
        let p = PodId(0);
        q.add(p, 0, t(0));
        q.pop(t(0));
        q.add_unschedulable_by(p, t(1000), &[taint_toleration::NAME]);
        assert_eq!(q.next_flush_due(), Some(t(301_001)));
        q.flush(t(301_000));
        assert_eq!(
            q.state(p),
            Some(QueueState::Unschedulable),
            "strictly longer"
        );
        q.flush(t(301_001));
        assert_eq!(q.state(p), Some(QueueState::Active));
        assert_eq!(q.pop(t(301_001)), Some(p));
    }

    #[test]
    fn remove_and_done_forget_pods() {
        let mut q = q(true);
        for i in 0..3 {
            q.add(PodId(i), 0, t(0));
        }
        assert!(q.remove(PodId(1)));
        assert!(!q.remove(PodId(1)));
        let p = q.pop(t(0)).unwrap();
        q.done(p);
        assert_eq!(q.in_flight(), 0);
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(t(0)), Some(PodId(2)));
        assert_eq!(q.pop(t(0)), None);
        assert!(q.is_empty());
    }

    #[test]
    fn unknown_rejectors_are_retried_by_any_event() {
        let mut q = q(false);
        let p = PodId(0);
        q.add(p, 0, t(0));
        q.pop(t(0));
        q.add_unschedulable(p, t(0));
        assert_eq!(q.state(p), Some(QueueState::Unschedulable));
        q.on_event(ClusterEvent::NodeDelete, t(5000));
        assert_eq!(q.state(p), Some(QueueState::Active));
    }

    /// The runs give exactly the order, states and wake-up times of one ordered set per
    /// queue (the implementation before them), over random sequences of every call.
    mod against_reference {
        use super::*;
        use crate::scheduler::queue::reference::ReferenceQueue;
        use proptest::prelude::*;

        const REJECTORS: [&[&str]; 4] = [
            &[],
            &[node_resources_fit::NAME],
            &[node_resources_fit::NAME, taint_toleration::NAME],
            &[pod_topology_spread::NAME],
        ];

        #[derive(Debug, Clone)]
        enum Op {
            Add {
                pod: u32,
                priority: i32,
            },
            Pop,
            Fail {
                which: usize,
                rejectors: usize,
            },
            Bind {
                which: usize,
            },
            Event(usize),
            Flush,
            Remove {
                pod: u32,
            },
            Wait(u64),
            /// `fail_active_run` taking at most `limit` pods and declining pod `skip`.
            FailRun {
                rejectors: usize,
                limit: usize,
                skip: u32,
            },
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                1 => (0u32..24, 0i32..3).prop_map(|(pod, priority)| Op::Add { pod, priority }),
                3 => Just(Op::Pop),
                3 => (0usize..8, 0usize..4).prop_map(|(which, rejectors)| Op::Fail { which, rejectors }),
                1 => (0usize..8).prop_map(|which| Op::Bind { which }),
                1 => (0usize..6).prop_map(Op::Event),
                1 => Just(Op::Flush),
                1 => (0u32..24).prop_map(|pod| Op::Remove { pod }),
                2 => prop_oneof![0u64..1500, 0u64..400_000].prop_map(Op::Wait),
                2 => (0usize..4, 0usize..30, 0u32..30)
                    .prop_map(|(rejectors, limit, skip)| Op::FailRun { rejectors, limit, skip }),
            ]
        }

        fn check(ops: &[Op], pop_from_backoff: bool) {
            let settings = QueueSettings {
                pop_from_backoff,
                ..QueueSettings::default()
            };
            let mut q = SchedulingQueue::new(settings);
            let mut r = ReferenceQueue::new(settings);
            let mut now = 0u64;
            let mut in_flight: Vec<PodId> = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let t = SimTime(now);
                match *op {
                    Op::Add { pod, priority } => {
                        assert_eq!(
                            q.add(PodId(pod), priority, t),
                            r.add(PodId(pod), priority, t)
                        );
                    }
                    Op::Pop => {
                        let p = q.pop(t);
                        assert_eq!(p, r.pop(t), "pop at step {i}");
                        in_flight.extend(p);
                    }
                    Op::Fail { which, rejectors } if !in_flight.is_empty() => {
                        let p = in_flight.remove(which % in_flight.len());
                        q.add_unschedulable_by(p, t, REJECTORS[rejectors]);
                        r.add_unschedulable_by(p, t, REJECTORS[rejectors]);
                    }
                    Op::Bind { which } if !in_flight.is_empty() => {
                        let p = in_flight.remove(which % in_flight.len());
                        q.done(p);
                        r.done(p);
                    }
                    Op::Fail { .. } | Op::Bind { .. } => {}
                    Op::Event(e) => {
                        q.on_event(ALL_EVENTS[e], t);
                        r.on_event(ALL_EVENTS[e], t);
                    }
                    Op::Flush => {
                        q.flush(t);
                        r.flush(t);
                    }
                    Op::Remove { pod } => {
                        in_flight.retain(|&p| p != PodId(pod));
                        assert_eq!(q.remove(PodId(pod)), r.remove(PodId(pod)));
                    }
                    Op::Wait(ms) => now += ms,
                    Op::FailRun {
                        rejectors,
                        limit,
                        skip,
                    } => {
                        // The batch against one pop and one failure per pod.
                        let mut taken = Vec::new();
                        let n = q.fail_active_run(t, REJECTORS[rejectors], |p| {
                            let take = taken.len() < limit && p != PodId(skip);
                            if take {
                                taken.push(p);
                            }
                            take
                        });
                        assert_eq!(n, taken.len());
                        for &p in &taken {
                            assert_eq!(r.pop(t), Some(p), "batch pop at step {i}");
                            r.add_unschedulable_by(p, t, REJECTORS[rejectors]);
                        }
                        if n > 0 && n < limit && r.active_len() > 0 {
                            // The batch stopped at the declined pod, at the head.
                            let head = r.pop(t);
                            assert_eq!(head, q.pop(t), "head after the batch, step {i}");
                            in_flight.extend(head);
                            assert_eq!(head, Some(PodId(skip)));
                        }
                    }
                }
                assert_eq!(
                    (
                        q.len(),
                        q.active_len(),
                        q.backoff_len(),
                        q.unschedulable_len()
                    ),
                    (
                        r.len(),
                        r.active_len(),
                        r.backoff_len(),
                        r.unschedulable_len()
                    ),
                    "sizes after step {i} ({op:?})"
                );
                assert_eq!(q.in_flight(), r.in_flight());
                assert_eq!(q.next_backoff_expiry(), r.next_backoff_expiry());
                assert_eq!(q.next_flush_due(), r.next_flush_due(), "after step {i}");
                for p in 0..24 {
                    let p = PodId(p);
                    assert_eq!((q.state(p), q.attempts(p)), (r.state(p), r.attempts(p)));
                }
            }
            // Drain both: the same order to the end.
            let t = SimTime(now + 3_600_000);
            q.flush(t);
            r.flush(t);
            loop {
                let p = q.pop(t);
                assert_eq!(p, r.pop(t));
                if p.is_none() {
                    break;
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]
            #[test]
            fn same_as_one_ordered_set_per_queue(
                ops in proptest::collection::vec(op(), 1..160),
                pop_from_backoff: bool,
            ) {
                check(&ops, pop_from_backoff);
            }
        }

        #[test]
        fn a_batch_of_failures_equals_one_by_one_around_events_and_flushes() {
            // The pending shape with batches: pods failing as one run, a higher-priority
            // pod and removals between rounds, events landing between batches, a batch
            // stopped at a declined pod, and one refused while a pod is in flight.
            let mut ops = Vec::new();
            for pod in 0..20 {
                ops.push(Op::Add { pod, priority: 0 });
            }
            for round in 0..6u32 {
                ops.push(Op::Pop);
                ops.push(Op::Fail {
                    which: 0,
                    rejectors: 1,
                });
                ops.push(Op::FailRun {
                    rejectors: 1,
                    limit: 30,
                    skip: 7 + round,
                });
                ops.push(Op::Fail {
                    which: 0,
                    rejectors: 2,
                });
                ops.push(Op::Event(round as usize));
                ops.push(Op::FailRun {
                    rejectors: (round % 4) as usize,
                    limit: 5,
                    skip: 99,
                });
                ops.push(Op::Pop);
                ops.push(Op::FailRun {
                    rejectors: 1,
                    limit: 30,
                    skip: 99,
                });
                ops.push(Op::Fail {
                    which: 0,
                    rejectors: 3,
                });
                ops.push(Op::FailRun {
                    rejectors: 1,
                    limit: 30,
                    skip: 99,
                });
                ops.push(Op::Add {
                    pod: 20 + round,
                    priority: 2,
                });
                ops.push(Op::Remove { pod: round * 3 });
                ops.push(Op::Wait(301_000));
                ops.push(Op::Flush);
            }
            check(&ops, true);
            check(&ops, false);
        }

        #[test]
        fn many_pods_failing_together_keep_their_order() {
            // The pending shape in small: one run of pods failing at the same instant,
            // flushed together, interleaved with a higher-priority pod and removals.
            let mut ops = Vec::new();
            for pod in 0..20 {
                ops.push(Op::Add { pod, priority: 0 });
            }
            for round in 0..6 {
                for _ in 0..20 {
                    ops.push(Op::Pop);
                    ops.push(Op::Fail {
                        which: 0,
                        rejectors: 1,
                    });
                }
                ops.push(Op::Add {
                    pod: 20 + round,
                    priority: 2,
                });
                ops.push(Op::Remove { pod: round * 3 });
                ops.push(Op::Wait(301_000));
                ops.push(Op::Flush);
            }
            check(&ops, true);
            check(&ops, false);
        }
    }
}

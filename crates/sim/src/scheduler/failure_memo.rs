//! The failed-attempt short cut: a retry of a pod whose equivalence class already failed on
//! the same cluster version reproduces that failure without running the cycle again.
//!
//! A scheduling attempt is a function of the pod's template (what the plugins read of it),
//! the cluster (every node change is in `Cluster`'s change log, so `change_cursor` is its
//! version), the rotating `nextStartNodeIndex` and, for a pod that fits, the tie-break
//! stream. A failed attempt processes every candidate node, so its `FitError` does not
//! depend on where the window starts, and it draws no tie-break; it advances the start
//! index by the number of candidates. The PostFilter (DefaultPreemption) of a pod that is
//! not nominated is a function of the same inputs plus one draw of its random offset, as
//! long as its dry run found no victim to try (which would touch the cluster, and so its
//! version). kube-scheduler has no such short cut (it re-runs the whole cycle on every
//! retry, `pkg/scheduler/schedule_one.go`); results are identical by construction, and
//! debug builds re-run every other replayed attempt and compare.
//!
//! Pods pinned to a node (DaemonSet pods) or nominated by an earlier preemption are not
//! memoised: their attempts differ per pod.
//!
//! **Batches.** Once a retry was replayed, the pods queued right behind it that share its
//! template repeat the same failure for as long as the cluster does not change, and
//! nothing changes it between them: the engine replays them as one batch
//! (`Scheduler::replay_batch`, `SchedulingQueue::fail_active_run`) while it holds the
//! cluster borrowed. Per pod only what the output shows is kept (its attempt count, its
//! failure record, DefaultPreemption's draw, in queue order); `nextStartNodeIndex` moves
//! by the batch's total at once (modular arithmetic gives the same index).

use std::sync::Arc;

use rand::Rng;

use super::Scheduler;
use crate::cluster::{Cluster, PodId, PodInfo};
use crate::engine::SimRng;

/// What a replayed failure reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReplay {
    /// `FitError::message()` with the PostFilter's message.
    pub message: String,
    /// `FitError::unschedulable_plugins()` (for the scheduling queue).
    pub rejected: Vec<&'static str>,
    /// The PostFilter drew its random offset from `0..n` (n potential nodes).
    pub preemption_draw: Option<usize>,
}

/// One memoised failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Memo {
    /// `Cluster::change_cursor` when the attempt ran.
    pub version: u64,
    /// What the attempt added to `nextStartNodeIndex`, modulo the live node count
    /// (the candidates its filter window processed; 0 when a PreFilter rejected the pod).
    pub advance: usize,
    /// Shared with every replay (a retry copies no string).
    pub replay: Arc<FailureReplay>,
}

/// The last failed attempt's inputs, kept by `schedule_one` until the engine reports the
/// PostFilter's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attempt {
    pub pod: PodId,
    pub class: usize,
    pub version: u64,
    pub advance: usize,
}

/// Memoised failures by equivalence class (one per class: the latest version).
#[derive(Debug, Default)]
pub(super) struct FailureMemo {
    by_class: Vec<Option<Memo>>,
    /// Per class, the id of its memo: a number never given to another memo (`ReplayBatch::id`).
    ids: Vec<u64>,
    /// The last id given.
    last_id: u64,
    /// The attempt `schedule_one` just failed, if it may be memoised.
    pub last: Option<Attempt>,
    /// Debug builds: a replay that was re-run instead, to compare with its fresh result.
    pub expected: Option<(usize, Memo)>,
    /// Debug builds: alternates replaying and re-running hits.
    pub hits: u64,
}

impl FailureMemo {
    /// Whether the pod's attempts are the same as its class's.
    pub fn eligible(cluster: &Cluster, pod: PodId) -> bool {
        let p = &cluster.pods[pod.idx()];
        p.pinned_node.is_none() && p.nominated_node.is_none()
    }

    /// The memo of `class` if it was taken at `version`.
    pub fn get(&self, class: usize, version: u64) -> Option<&Memo> {
        self.by_class
            .get(class)
            .and_then(Option::as_ref)
            .filter(|m| m.version == version)
    }

    /// Stores the memo of `class`.
    pub fn put(&mut self, class: usize, memo: Memo) {
        if self.by_class.len() <= class {
            self.by_class.resize_with(class + 1, || None);
            self.ids.resize(class + 1, 0);
        }
        self.by_class[class] = Some(memo);
        self.last_id += 1;
        self.ids[class] = self.last_id;
    }
}

/// A batch of replays of one memoised failure (see the module's *Batches*): taken right
/// after `Scheduler::replay_failure` replayed a pod, valid while the cluster is unchanged.
#[derive(Debug, Clone)]
pub struct ReplayBatch {
    /// The template whose failure is repeated.
    class: usize,
    /// `Memo::advance`.
    advance: usize,
    /// `FailureReplay::preemption_draw`.
    draw: Option<usize>,
    /// What each replay reports.
    pub replay: Arc<FailureReplay>,
    /// The memo's id: never 0 and never given to another memo, so a caller may mark what
    /// it already recorded from this replay (the engine skips comparing messages again).
    pub id: u64,
}

impl ReplayBatch {
    /// Whether a pod repeats the batch's failure, on the cluster the batch was taken on
    /// (the caller holds it borrowed from `Scheduler::replay_batch` to the batch's end):
    /// it waits (active, unbound), has the batch's template and is neither pinned nor
    /// nominated (`FailureMemo::eligible`).
    pub fn repeats(&self, pod: &PodInfo) -> bool {
        pod.active
            && pod.node.is_none()
            && pod.spec.idx() == self.class
            && pod.pinned_node.is_none()
            && pod.nominated_node.is_none()
    }

    /// One pod's DefaultPreemption draw, as `replay_failure` makes it.
    pub fn draw(&self, preempt_rng: &mut SimRng) {
        if let Some(k) = self.draw {
            let _offset: usize = preempt_rng.random_range(0..k);
        }
    }
}

impl Scheduler {
    /// The batch of `pod`'s failure, right after `replay_failure` replayed it: its class's
    /// memo on the current cluster version. Unlike `replay_failure`, it never declines to
    /// re-run an attempt in debug builds (the pod that opened the batch was checked as
    /// every replay is).
    pub fn replay_batch(&self, cluster: &Cluster, pod: PodId) -> Option<ReplayBatch> {
        if !FailureMemo::eligible(cluster, pod) {
            return None;
        }
        let class = cluster.pods[pod.idx()].spec.idx();
        let memo = self.memo.get(class, cluster.change_cursor())?;
        Some(ReplayBatch {
            id: self.memo.ids[class],
            class,
            advance: memo.advance,
            draw: memo.replay.preemption_draw,
            replay: Arc::clone(&memo.replay),
        })
    }

    /// Moves `nextStartNodeIndex` as `count` replays of `batch` one after the other would
    /// (`(i + count * advance) mod n` is `count` steps of `(i + advance) mod n`). The live
    /// node list is the one the batch's first replay refreshed (the cluster is unchanged).
    pub fn finish_batch(&mut self, batch: &ReplayBatch, count: usize) {
        let n = self.nodes.len();
        if count == 0 || n == 0 {
            return;
        }
        let steps = (count % n) as u128 * (batch.advance % n) as u128;
        let i = self.next_start_node_index as u128 + steps;
        self.next_start_node_index = (i % n as u128) as usize;
    }
}

#[cfg(test)]
impl Scheduler {
    /// `nextStartNodeIndex` (tests compare batched and one-by-one runs).
    pub fn next_start_node_index(&self) -> usize {
        self.next_start_node_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `finish_batch` leaves the start index where the per-replay steps would, for any
    /// start, advance and count, including a start beyond a shrunken node list.
    #[test]
    fn batch_advance_equals_one_step_per_replay() {
        let mut sched = Scheduler::new(super::super::SchedulerSettings::default());
        let replay = Arc::new(FailureReplay {
            message: String::new(),
            rejected: Vec::new(),
            preemption_draw: None,
        });
        for n in 1u32..9 {
            sched.nodes = (0..n).map(crate::cluster::NodeId).collect();
            let n = n as usize;
            for start in 0..(2 * n) {
                for advance in 0..(2 * n) {
                    let batch = ReplayBatch {
                        id: 1,
                        class: 0,
                        advance,
                        draw: None,
                        replay: Arc::clone(&replay),
                    };
                    for count in 0..(3 * n) {
                        let mut one = start;
                        for _ in 0..count {
                            one = (one + advance) % n;
                        }
                        sched.next_start_node_index = start;
                        sched.finish_batch(&batch, count);
                        assert_eq!(
                            sched.next_start_node_index, one,
                            "n {n} start {start} advance {advance} x{count}"
                        );
                    }
                }
            }
        }
    }
}

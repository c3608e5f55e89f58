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

use rand::{Rng, RngCore};

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

    /// `count` pods' DefaultPreemption draws, one after the other, as `replay_failure`
    /// makes each: the generator ends where `count` calls of `random_range(0..k)` leave
    /// it (the offsets themselves are not used: the dry run found no victim).
    pub fn draw(&self, preempt_rng: &mut SimRng, count: usize) {
        if let Some(k) = self.draw {
            skip_range_draws(preempt_rng, k, count);
        }
    }
}

/// Advances `rng` exactly as `count` calls of `rng.random_range(0..k)` would, without
/// forming the values.
///
/// rand 0.9 samples a `usize` range that fits in 32 bits from one `u32` (`UniformUsize`
/// and `UniformInt::<u32>::sample_single_inclusive`, Canon's method: the 64-bit product
/// of the word and `k`, and a second word only when the product's low half exceeds
/// `2^32 - k`), so a draw consumes one or two words and the second is read only to be
/// discarded with the value. Ranges beyond 32 bits (never a node count) and an empty
/// range take rand's own path. `skipping_equals_drawing` pins the equivalence to the
/// rand release in use.
pub fn skip_range_draws(rng: &mut SimRng, k: usize, count: usize) {
    let range = match u32::try_from(k) {
        Ok(range) if range > 0 => range,
        _ => {
            for _ in 0..count {
                let _offset: usize = rng.random_range(0..k);
            }
            return;
        }
    };
    let biased = range.wrapping_neg();
    for _ in 0..count {
        let lo = (u64::from(rng.next_u32()) * u64::from(range)) as u32;
        if lo > biased {
            rng.next_u32();
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
    use proptest::prelude::{any, prop_assert_eq, prop_oneof, proptest, Just};
    use rand::SeedableRng;

    proptest! {
        /// Skipping `count` draws leaves the generator where drawing them does, for node
        /// counts small and large (large ones often need Canon's second word) and a range
        /// beyond 32 bits.
        #[test]
        fn skipping_equals_drawing(
            seed in any::<u64>(),
            k in prop_oneof![1usize..64, 1usize..=u32::MAX as usize, Just(u32::MAX as usize + 7)],
            count in 0usize..300,
        ) {
            let mut drawn = SimRng::seed_from_u64(seed);
            for _ in 0..count {
                let _offset: usize = drawn.random_range(0..k);
            }
            let mut skipped = SimRng::seed_from_u64(seed);
            skip_range_draws(&mut skipped, k, count);
            prop_assert_eq!(drawn.next_u64(), skipped.next_u64());
            prop_assert_eq!(drawn.get_word_pos(), skipped.get_word_pos());
        }
    }

    /// Large ranges do take a second word now and then (so the test above checks Canon's
    /// branch, not only the one-word path).
    #[test]
    fn large_ranges_sometimes_take_two_words() {
        let mut rng = SimRng::seed_from_u64(7);
        let k = (u32::MAX / 3 * 2) as usize;
        let before = rng.get_word_pos();
        skip_range_draws(&mut rng, k, 1000);
        let words = rng.get_word_pos() - before;
        assert!(
            words > 1000 && words < 2000,
            "{words} words for 1,000 draws"
        );
    }

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

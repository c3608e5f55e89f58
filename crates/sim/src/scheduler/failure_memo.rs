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

use std::sync::Arc;

use crate::cluster::{Cluster, PodId};

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
        }
        self.by_class[class] = Some(memo);
    }
}

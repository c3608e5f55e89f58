//! The scheduling framework's vocabulary, after kube-scheduler's
//! `pkg/scheduler/framework/interface.go`: status codes, plugin traits, node scores.
//!
//! Plugins keep per-cycle state in their own fields: `pre_filter` / `pre_score` take
//! `&mut self` and run once per scheduling attempt before `filter` / `score` (which take
//! `&self`), which is what kube's `CycleState` is for. No `dyn Any`.

use crate::cluster::{Cluster, NodeId, PodId};

/// Highest score a plugin may give a node (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// Outcome class of a plugin call (`framework.Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The plugin ran and the pod may go on.
    Success,
    /// The pod does not fit now; a change in the cluster (another node, a deleted pod,
    /// preemption) could make it fit. The cluster autoscaler acts on these.
    Unschedulable,
    /// The pod does not fit and preemption cannot help on this node (a taint or a node
    /// selector that no pod removal changes). The autoscaler still tries new nodes with
    /// other labels/taints, but preemption skips the node.
    UnschedulableAndUnresolvable,
    /// The plugin has nothing to do for this pod; its filter/score is skipped.
    Skip,
}

/// A plugin verdict with the reasons kube-scheduler prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// What follows from the verdict.
    pub code: Code,
    /// Reasons, worded exactly as kube-scheduler words them (`Insufficient cpu`).
    pub reasons: Vec<String>,
    /// The plugin that produced it (empty for Success).
    pub plugin: &'static str,
}

impl Status {
    /// Success.
    pub const fn success() -> Status {
        Status {
            code: Code::Success,
            reasons: Vec::new(),
            plugin: "",
        }
    }

    /// Skip.
    pub const fn skip() -> Status {
        Status {
            code: Code::Skip,
            reasons: Vec::new(),
            plugin: "",
        }
    }

    /// A failure with one reason.
    pub fn new(code: Code, plugin: &'static str, reason: impl Into<String>) -> Status {
        Status {
            code,
            reasons: vec![reason.into()],
            plugin,
        }
    }

    /// A failure with several reasons.
    pub fn with_reasons(code: Code, plugin: &'static str, reasons: Vec<String>) -> Status {
        Status {
            code,
            reasons,
            plugin,
        }
    }

    /// True for `Success`.
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// True for `Skip`.
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }
}

/// A node's score from one plugin, or the weighted total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeScore {
    /// The node.
    pub node: NodeId,
    /// Its score.
    pub score: i64,
}

/// A filter plugin (`framework.PreFilterPlugin` + `framework.FilterPlugin`).
pub trait FilterPlugin {
    /// kube-scheduler's plugin name (`TaintToleration`).
    fn name(&self) -> &'static str;

    /// Once per attempt, before any `filter`. A non-success status fails the pod on every
    /// node (kube: the PreFilter status is copied to all nodes); `Skip` skips `filter`.
    fn pre_filter(&mut self, _cluster: &Cluster, _pod: PodId) -> Status {
        Status::success()
    }

    /// Whether `pod` may run on `node`.
    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status;
}

/// A score plugin (`framework.PreScorePlugin` + `framework.ScorePlugin` + `ScoreExtensions`).
pub trait ScorePlugin {
    /// kube-scheduler's plugin name.
    fn name(&self) -> &'static str;

    /// Once per attempt over the feasible nodes; `Skip` drops the plugin for this pod.
    fn pre_score(&mut self, _cluster: &Cluster, _pod: PodId, _feasible: &[NodeId]) -> Status {
        Status::success()
    }

    /// Raw score of `node` for `pod`.
    fn score(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> i64;

    /// Maps raw scores to 0..=MAX_NODE_SCORE where the plugin needs it.
    fn normalize(&self, _scores: &mut [NodeScore]) {}
}

/// kube's `DefaultNormalizeScore`: scales scores so the highest becomes `max_priority`,
/// optionally reversed (`pkg/scheduler/framework/plugins/helper/normalize_score.go`).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [NodeScore]) {
    let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
    if max == 0 {
        if reverse {
            for s in scores.iter_mut() {
                s.score = max_priority;
            }
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * s.score / max;
        if reverse {
            v = max_priority - v;
        }
        s.score = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(v: &[i64]) -> Vec<NodeScore> {
        v.iter()
            .enumerate()
            .map(|(i, &s)| NodeScore {
                node: NodeId(i as u32),
                score: s,
            })
            .collect()
    }

    #[test]
    fn default_normalize_matches_kube() {
        // Cases from normalize_score_test.go.
        let mut s = scores(&[10, 20, 30, 40]);
        default_normalize_score(100, false, &mut s);
        assert_eq!(
            s.iter().map(|x| x.score).collect::<Vec<_>>(),
            [25, 50, 75, 100]
        );
        let mut s = scores(&[10, 20, 30, 40]);
        default_normalize_score(100, true, &mut s);
        assert_eq!(
            s.iter().map(|x| x.score).collect::<Vec<_>>(),
            [75, 50, 25, 0]
        );
        let mut s = scores(&[0, 0]);
        default_normalize_score(100, true, &mut s);
        assert_eq!(s.iter().map(|x| x.score).collect::<Vec<_>>(), [100, 100]);
    }
}

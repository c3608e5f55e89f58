//! TaintToleration: a node's NoSchedule/NoExecute taints must all be tolerated (Filter), and
//! nodes with fewer untolerated PreferNoSchedule taints score higher (Score, normalized
//! reversed) (`pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`; the
//! toleration rules are `Toleration.ToleratesTaint` in `k8s.io/api/core/v1`).

use poolcast_model::scenario::{Taint, TaintEffect, Toleration, TolerationOperator};

use crate::cluster::{Cluster, NodeId, PodId};
use crate::scheduler::framework::{
    default_normalize_score, Code, FilterPlugin, NodeScore, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// Plugin name.
pub const NAME: &str = "TaintToleration";
/// `ErrReasonNotMatch` (kube keeps the constant; the filter reports the taint itself).
pub const ERR_REASON_NOT_MATCH: &str = "node(s) had taints that the pod didn't tolerate";

/// The filter's reason for `taint`: `node(s) had untolerated taint {key: value}`.
pub fn untolerated_reason(taint: &Taint) -> String {
    format!(
        "node(s) had untolerated taint {{{}: {}}}",
        taint.key, taint.value
    )
}

/// `Toleration.ToleratesTaint`: an empty effect matches all effects, an empty key (with
/// Exists) all keys; Equal compares values.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if t.effect.is_some_and(|e| e != taint.effect) {
        return false;
    }
    if !t.key.is_empty() && t.key != taint.key {
        return false;
    }
    match t.operator {
        TolerationOperator::Equal => t.value == taint.value,
        TolerationOperator::Exists => true,
    }
}

/// `TolerationsTolerateTaint`.
pub fn tolerations_tolerate(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// `FindMatchingUntoleratedTaint` with `DoNotScheduleTaintsFilterFunc`: the first
/// NoSchedule/NoExecute taint, in node order, that no toleration tolerates.
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            && !tolerations_tolerate(tolerations, t)
    })
}

/// The plugin; PreScore keeps the pod's tolerations that can match PreferNoSchedule.
#[derive(Debug, Default)]
pub struct TaintToleration {
    prefer_tolerations: Vec<Toleration>,
}

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn node_local(&self) -> bool {
        true
    }

    fn reads_bound_pods(&self) -> bool {
        false
    }

    fn check(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Code {
        let taints = &cluster.nodes[node.idx()].taints;
        if taints.is_empty()
            || first_untolerated(taints, &cluster.spec_of(pod).tolerations).is_none()
        {
            Code::Success
        } else {
            Code::UnschedulableAndUnresolvable
        }
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match first_untolerated(
            &cluster.nodes[node.idx()].taints,
            &cluster.spec_of(pod).tolerations,
        ) {
            None => Status::success(),
            Some(t) => Status::new(
                Code::UnschedulableAndUnresolvable,
                NAME,
                untolerated_reason(t),
            ),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn node_local(&self) -> bool {
        true
    }

    fn reads_bound_pods(&self) -> bool {
        false
    }

    fn pre_score(&mut self, cluster: &Cluster, pod: PodId, _feasible: &[NodeId]) -> Status {
        // An empty effect means all effects, PreferNoSchedule included.
        self.prefer_tolerations.clear();
        self.prefer_tolerations.extend(
            cluster
                .spec_of(pod)
                .tolerations
                .iter()
                .filter(|t| t.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule))
                .cloned(),
        );
        Status::success()
    }

    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        debug_assert_eq!(
            cluster.prefer_no_schedule_nodes,
            cluster
                .nodes
                .iter()
                .filter(|n| n.live
                    && n.taints
                        .iter()
                        .any(|t| t.effect == TaintEffect::PreferNoSchedule))
                .count() as u32,
            "taints edited without Cluster::set_node_taints or touch_node"
        );
        if cluster.prefer_no_schedule_nodes == 0 {
            out.extend(nodes.iter().map(|&node| NodeScore { node, score: 0 }));
            return;
        }
        out.extend(nodes.iter().map(|&node| NodeScore {
            node,
            score: self.score(cluster, pod, node),
        }));
    }

    fn score(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        cluster.nodes[node.idx()]
            .taints
            .iter()
            .filter(|t| {
                t.effect == TaintEffect::PreferNoSchedule
                    && !tolerations_tolerate(&self.prefer_tolerations, t)
            })
            .count() as i64
    }

    fn normalize(&self, scores: &mut [NodeScore]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }

    fn constant_score(&self, cluster: &Cluster, _pod: PodId) -> Option<i64> {
        // No PreferNoSchedule taint anywhere: every raw score is 0, reversed to 100.
        (cluster.prefer_no_schedule_nodes == 0).then_some(MAX_NODE_SCORE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect,
        }
    }

    fn tol(
        key: &str,
        op: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op,
            value: value.into(),
            effect,
            toleration_seconds: None,
        }
    }

    #[test]
    fn tolerates_follows_toleration_go() {
        use TaintEffect::*;
        use TolerationOperator::*;
        let t = taint("os", "windows", NoSchedule);
        let cases = [
            (tol("os", Equal, "windows", Some(NoSchedule)), true),
            (tol("os", Equal, "windows", None), true),
            (tol("os", Equal, "linux", Some(NoSchedule)), false),
            (tol("os", Exists, "", Some(NoSchedule)), true),
            (tol("os", Exists, "", Some(NoExecute)), false),
            (tol("", Exists, "", None), true),
            (tol("other", Exists, "", None), false),
            // Empty key with Equal matches any key with the same value.
            (tol("", Equal, "windows", None), true),
        ];
        for (i, (tl, want)) in cases.iter().enumerate() {
            assert_eq!(tolerates(tl, &t), *want, "case {i}");
        }
    }

    #[test]
    fn filter_reports_first_untolerated_no_schedule_or_no_execute_taint() {
        use TaintEffect::*;
        let cases: Vec<(Vec<Taint>, Vec<Toleration>, Option<&str>)> = vec![
            (vec![], vec![], None),
            (
                vec![taint("os", "windows", NoSchedule)],
                vec![],
                Some("node(s) had untolerated taint {os: windows}"),
            ),
            (
                vec![taint("os", "windows", NoSchedule)],
                vec![tol(
                    "os",
                    TolerationOperator::Equal,
                    "windows",
                    Some(NoSchedule),
                )],
                None,
            ),
            // PreferNoSchedule never fails the filter.
            (vec![taint("spot", "", PreferNoSchedule)], vec![], None),
            (
                vec![
                    taint("a", "1", PreferNoSchedule),
                    taint("b", "", NoExecute),
                    taint("c", "3", NoSchedule),
                ],
                vec![],
                Some("node(s) had untolerated taint {b: }"),
            ),
            (
                vec![taint("node.kubernetes.io/not-ready", "", NoSchedule)],
                vec![tol(
                    "node.kubernetes.io/not-ready",
                    TolerationOperator::Exists,
                    "",
                    None,
                )],
                None,
            ),
        ];
        for (i, (taints, tolerations, want)) in cases.into_iter().enumerate() {
            let mut c = cluster();
            let n = add_node(&mut c, "n", &[]);
            c.nodes[n.idx()].taints = taints;
            let mut s = spec("web");
            s.tolerations = tolerations;
            let p = add_pod(&mut c, s);
            let st = TaintToleration::default().filter(&c, p, n);
            let check = TaintToleration::default().check(&c, p, n);
            assert_eq!(st.code, check, "case {i}");
            match want {
                None => assert!(st.is_success(), "case {i}: {st:?}"),
                Some(r) => {
                    assert_eq!(st.code, Code::UnschedulableAndUnresolvable);
                    assert_eq!(st.reasons, vec![r.to_string()], "case {i}");
                }
            }
        }
    }

    #[test]
    fn score_counts_untolerated_prefer_no_schedule_reversed() {
        use TaintEffect::*;
        // Three nodes with 0, 1 and 2 intolerable PreferNoSchedule taints; the pod tolerates
        // "tolerated" (PreferNoSchedule) and a NoSchedule-only toleration that must not count.
        let mut c = cluster();
        let n0 = add_node(&mut c, "n0", &[]);
        let n1 = add_node(&mut c, "n1", &[]);
        let n2 = add_node(&mut c, "n2", &[]);
        c.nodes[n0.idx()].taints = vec![taint("tolerated", "", PreferNoSchedule)];
        c.nodes[n1.idx()].taints =
            vec![taint("x", "", PreferNoSchedule), taint("y", "", NoSchedule)];
        c.nodes[n2.idx()].taints = vec![
            taint("x", "", PreferNoSchedule),
            taint("z", "", PreferNoSchedule),
        ];
        let mut s = spec("web");
        s.tolerations = vec![
            tol(
                "tolerated",
                TolerationOperator::Exists,
                "",
                Some(PreferNoSchedule),
            ),
            tol("z", TolerationOperator::Exists, "", Some(NoSchedule)),
        ];
        let p = add_pod(&mut c, s);
        let mut pl = TaintToleration::default();
        let nodes = [n0, n1, n2];
        assert!(pl.pre_score(&c, p, &nodes).is_success());
        let mut scores: Vec<NodeScore> = nodes
            .iter()
            .map(|&node| NodeScore {
                node,
                score: pl.score(&c, p, node),
            })
            .collect();
        assert_eq!(
            scores.iter().map(|s| s.score).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        pl.normalize(&mut scores);
        // 100 - 100*s/2.
        assert_eq!(
            scores.iter().map(|s| s.score).collect::<Vec<_>>(),
            [100, 50, 0]
        );
    }

    #[test]
    fn constant_score_only_without_prefer_no_schedule_taints() {
        let mut c = cluster();
        let a = add_node(&mut c, "a", &[]);
        let b = add_node(&mut c, "b", &[]);
        let p = add_pod(&mut c, spec("web"));
        let mut pl = TaintToleration::default();
        assert!(pl.pre_score(&c, p, &[a, b]).is_success());
        assert_eq!(pl.constant_score(&c, p), Some(100));
        let mut s = vec![
            NodeScore { node: a, score: 0 },
            NodeScore { node: b, score: 0 },
        ];
        pl.normalize(&mut s);
        assert!(s.iter().all(|x| x.score == 100));
        c.set_node_taints(b, vec![taint("spot", "", TaintEffect::PreferNoSchedule)]);
        assert_eq!(pl.constant_score(&c, p), None);
        c.check_invariants().unwrap();
    }
}

//! NodeAffinity: the pod's `nodeSelector` and required node affinity must match the node
//! (Filter); preferred terms add their weights (Score, `DefaultNormalizeScore`)
//! (`pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`, matching rules from
//! `component-helpers/scheduling/corev1/nodeaffinity`).
//!
//! DaemonSet pods are pinned: kube's DaemonSet controller replaces their required node
//! affinity by one `matchFields: metadata.name In [<node>]` term
//! (`ReplaceDaemonSetPodNodeNameNodeAffinity`), so only their `nodeSelector` and the node
//! name remain, and PreFilter narrows the candidates to that one node.

use std::collections::BTreeSet;

use super::helper::{PreferredTerms, RequiredNodeAffinity};
use crate::cluster::{Cluster, NodeId, PodId};
use crate::scheduler::framework::{
    default_normalize_score, Code, FilterPlugin, NodeScore, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// Plugin name.
pub const NAME: &str = "NodeAffinity";
/// `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// `errReasonConflict`: every required term names nodes, and no name is common.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// A node id no live node has, standing for PreFilter names that match no node (kube keeps
/// the names and drops them when it looks the nodes up).
const NO_SUCH_NODE: NodeId = NodeId(u32::MAX);

#[derive(Debug)]
struct Compiled {
    required: RequiredNodeAffinity,
    preferred: PreferredTerms,
}

/// The plugin. Parsed affinity is cached per template (templates do not change).
#[derive(Debug, Default)]
pub struct NodeAffinity {
    compiled: Vec<Option<Compiled>>,
    current: usize,
    pinned: Option<NodeId>,
    narrowed: Option<Vec<NodeId>>,
}

impl NodeAffinity {
    fn compile(&mut self, cluster: &Cluster, pod: PodId) -> usize {
        let s = cluster.pods[pod.idx()].spec.idx();
        if self.compiled.len() <= s {
            self.compiled.resize_with(s + 1, || None);
        }
        if self.compiled[s].is_none() {
            let spec = &cluster.specs[s];
            self.compiled[s] = Some(Compiled {
                required: RequiredNodeAffinity::of_spec(spec),
                preferred: PreferredTerms::new(&spec.preferred_node_affinity),
            });
        }
        s
    }

    fn current(&self) -> Option<&Compiled> {
        self.compiled.get(self.current).and_then(Option::as_ref)
    }

    fn fits(&self, cluster: &Cluster, node: NodeId) -> bool {
        let Some(c) = self.current() else {
            return true;
        };
        let n = &cluster.nodes[node.idx()];
        match self.pinned {
            Some(p) => p == node && c.required.selector_matches(n),
            None => c.required.matches(n),
        }
    }
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pre_filter(&mut self, cluster: &Cluster, pod: PodId) -> Status {
        self.current = self.compile(cluster, pod);
        self.pinned = cluster.pods[pod.idx()].pinned_node;
        self.narrowed = None;
        if let Some(p) = self.pinned {
            self.narrowed = Some(vec![p]);
            return Status::success();
        }
        let Some(c) = self.current() else {
            return Status::skip();
        };
        if c.required.is_empty() {
            return Status::skip();
        }
        let Some(terms) = c.required.terms() else {
            return Status::success();
        };
        if terms.is_empty() {
            return Status::success();
        }
        // Terms are ORed: narrowing needs every term to name its nodes.
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for t in terms {
            match t.pinned_names() {
                None => return Status::success(),
                Some(v) => names.extend(v),
            }
        }
        if names.is_empty() {
            return Status::new(
                Code::UnschedulableAndUnresolvable,
                NAME,
                ERR_REASON_CONFLICT,
            );
        }
        let mut ids: Vec<NodeId> = cluster
            .live_node_ids()
            .filter(|n| names.contains(cluster.nodes[n.idx()].name.as_str()))
            .collect();
        if ids.is_empty() {
            ids.push(NO_SUCH_NODE);
        }
        self.narrowed = Some(ids);
        Status::success()
    }

    fn pre_filter_nodes(&self) -> Option<&[NodeId]> {
        self.narrowed.as_deref()
    }

    fn node_local(&self) -> bool {
        true
    }

    fn reads_bound_pods(&self) -> bool {
        false
    }

    fn check(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> Code {
        if self.fits(cluster, node) {
            Code::Success
        } else {
            Code::UnschedulableAndUnresolvable
        }
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match self.check(cluster, pod, node) {
            Code::Success => Status::success(),
            code => Status::new(code, NAME, ERR_REASON_POD),
        }
    }
}

impl ScorePlugin for NodeAffinity {
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
        self.current = self.compile(cluster, pod);
        match self.current() {
            Some(c) if !c.preferred.is_empty() => Status::success(),
            _ => Status::skip(),
        }
    }

    fn score(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        self.current()
            .map_or(0, |c| c.preferred.score(&cluster.nodes[node.idx()]))
    }

    fn normalize(&self, scores: &mut [NodeScore]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;
    use poolcast_model::scenario::{
        NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
        PreferredSchedulingTerm,
    };

    fn term(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement {
                key: key.into(),
                operator: op,
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
            match_fields: vec![],
        }
    }

    fn name_term(name: &str) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: NodeSelectorOperator::In,
                values: vec![name.into()],
            }],
        }
    }

    /// Two Linux nodes and one Windows node.
    fn three_nodes() -> (crate::cluster::Cluster, [NodeId; 3]) {
        let mut c = cluster();
        let a = add_node(
            &mut c,
            "lin-a",
            &[("kubernetes.io/os", "linux"), ("disk", "ssd")],
        );
        let b = add_node(
            &mut c,
            "lin-b",
            &[("kubernetes.io/os", "linux"), ("disk", "hdd")],
        );
        let w = add_node(&mut c, "win-a", &[("kubernetes.io/os", "windows")]);
        (c, [a, b, w])
    }

    #[test]
    fn filter_selector_and_required_terms() {
        use NodeSelectorOperator::*;
        let sel = |k: &str, v: &str| labels(&[(k, v)]);
        // (nodeSelector, required terms, expected fits for [lin-a, lin-b, win-a]).
        let cases: Vec<(_, Option<Vec<NodeSelectorTerm>>, [bool; 3])> = vec![
            (
                sel("kubernetes.io/os", "windows"),
                None,
                [false, false, true],
            ),
            (
                labels(&[]),
                Some(vec![term("disk", In, &["ssd"])]),
                [true, false, false],
            ),
            (
                labels(&[]),
                Some(vec![
                    term("disk", In, &["ssd"]),
                    term("kubernetes.io/os", In, &["windows"]),
                ]),
                [true, false, true],
            ),
            (
                sel("kubernetes.io/os", "linux"),
                Some(vec![term("disk", NotIn, &["ssd"])]),
                [false, true, false],
            ),
            (
                labels(&[]),
                Some(vec![term("disk", DoesNotExist, &[])]),
                [false, false, true],
            ),
            (
                labels(&[]),
                Some(vec![name_term("lin-b")]),
                [false, true, false],
            ),
        ];
        for (i, (selector, terms, want)) in cases.into_iter().enumerate() {
            let (mut c, nodes) = three_nodes();
            let mut s = spec("web");
            s.node_selector = selector;
            s.required_node_affinity = terms.map(|t| NodeSelector {
                node_selector_terms: t,
            });
            let p = add_pod(&mut c, s);
            let mut pl = NodeAffinity::default();
            let pre = pl.pre_filter(&c, p);
            assert!(pre.is_success(), "case {i}: {pre:?}");
            for (j, &n) in nodes.iter().enumerate() {
                let st = pl.filter(&c, p, n);
                assert_eq!(st.is_success(), want[j], "case {i} node {j}");
                assert_eq!(pl.check(&c, p, n), st.code);
                if !want[j] {
                    assert_eq!(st.code, Code::UnschedulableAndUnresolvable);
                    assert_eq!(st.reasons, vec![ERR_REASON_POD.to_string()]);
                }
            }
        }
    }

    #[test]
    fn pre_filter_skips_narrows_and_reports_conflicts() {
        let (mut c, [a, b, _]) = three_nodes();
        let p = add_pod(&mut c, spec("plain"));
        let mut pl = NodeAffinity::default();
        assert!(pl.pre_filter(&c, p).is_skip());

        let mut s = spec("named");
        s.required_node_affinity = Some(NodeSelector {
            node_selector_terms: vec![name_term("lin-b"), name_term("lin-a")],
        });
        let p = add_pod(&mut c, s);
        assert!(pl.pre_filter(&c, p).is_success());
        assert_eq!(pl.pre_filter_nodes(), Some(&[a, b][..]));

        let mut s = spec("conflict");
        let mut t = name_term("lin-a");
        t.match_fields.extend(name_term("lin-b").match_fields);
        s.required_node_affinity = Some(NodeSelector {
            node_selector_terms: vec![t],
        });
        let p = add_pod(&mut c, s);
        let st = pl.pre_filter(&c, p);
        assert_eq!(st.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(st.reasons, vec![ERR_REASON_CONFLICT.to_string()]);

        let mut s = spec("ghost");
        s.required_node_affinity = Some(NodeSelector {
            node_selector_terms: vec![name_term("gone")],
        });
        let p = add_pod(&mut c, s);
        assert!(pl.pre_filter(&c, p).is_success());
        assert_eq!(pl.pre_filter_nodes(), Some(&[NO_SUCH_NODE][..]));
    }

    #[test]
    fn daemonset_pods_are_pinned_and_keep_their_node_selector() {
        let (mut c, [a, b, w]) = three_nodes();
        let mut s = spec("ds");
        s.node_selector = labels(&[("kubernetes.io/os", "linux")]);
        // The controller replaced these terms by the node name.
        s.required_node_affinity = Some(NodeSelector {
            node_selector_terms: vec![term("disk", NodeSelectorOperator::In, &["nvme"])],
        });
        let sid = c.add_spec(s);
        let on_b = c.add_pod("ds-b".into(), sid, Some(b));
        let on_w = c.add_pod("ds-w".into(), sid, Some(w));
        let mut pl = NodeAffinity::default();
        assert!(pl.pre_filter(&c, on_b).is_success());
        assert_eq!(pl.pre_filter_nodes(), Some(&[b][..]));
        assert!(pl.filter(&c, on_b, b).is_success());
        assert!(!pl.filter(&c, on_b, a).is_success());
        assert!(pl.pre_filter(&c, on_w).is_success());
        assert!(
            !pl.filter(&c, on_w, w).is_success(),
            "nodeSelector still applies"
        );
    }

    #[test]
    fn score_sums_preferred_weights_then_default_normalizes() {
        use NodeSelectorOperator::*;
        let (mut c, nodes) = three_nodes();
        let mut s = spec("web");
        s.preferred_node_affinity = vec![
            PreferredSchedulingTerm {
                weight: 30,
                preference: term("kubernetes.io/os", In, &["linux"]),
            },
            PreferredSchedulingTerm {
                weight: 50,
                preference: term("disk", In, &["ssd"]),
            },
        ];
        let p = add_pod(&mut c, s);
        let mut pl = NodeAffinity::default();
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
            [80, 30, 0]
        );
        pl.normalize(&mut scores);
        // 100*30/80 = 37 (integer division).
        assert_eq!(
            scores.iter().map(|s| s.score).collect::<Vec<_>>(),
            [100, 37, 0]
        );

        let q = add_pod(&mut c, spec("none"));
        assert!(pl.pre_score(&c, q, &nodes).is_skip());
    }
}

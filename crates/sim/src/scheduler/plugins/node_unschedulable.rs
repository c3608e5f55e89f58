//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take no new pods unless the pod
//! tolerates `node.kubernetes.io/unschedulable:NoSchedule`
//! (`pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`).

use poolcast_model::scenario::{Taint, TaintEffect};

use super::taint_toleration::tolerations_tolerate;
use crate::cluster::{Cluster, NodeId, PodId};
use crate::scheduler::framework::{Code, FilterPlugin, Status};

/// Plugin name.
pub const NAME: &str = "NodeUnschedulable";
/// `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// `v1.TaintNodeUnschedulable`.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// The filter.
#[derive(Debug, Default)]
pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
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
        if !cluster.nodes[node.idx()].unschedulable {
            return Code::Success;
        }
        // A pod tolerating the unschedulable taint also tolerates `spec.unschedulable`.
        let taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_owned(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        };
        if tolerations_tolerate(&cluster.spec_of(pod).tolerations, &taint) {
            Code::Success
        } else {
            Code::UnschedulableAndUnresolvable
        }
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match self.check(cluster, pod, node) {
            Code::Success => Status::success(),
            code => Status::new(code, NAME, ERR_REASON_UNSCHEDULABLE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;
    use poolcast_model::scenario::{Toleration, TolerationOperator};

    #[test]
    fn cordoned_nodes_reject_unless_tolerated() {
        let tol = |key: &str, op, effect| Toleration {
            key: key.into(),
            operator: op,
            value: String::new(),
            effect,
            toleration_seconds: None,
        };
        // (cordoned, tolerations, expected code) after node_unschedulable_test.go.
        let cases = vec![
            (false, vec![], Code::Success),
            (true, vec![], Code::UnschedulableAndUnresolvable),
            (
                true,
                vec![tol(
                    TAINT_NODE_UNSCHEDULABLE,
                    TolerationOperator::Exists,
                    Some(TaintEffect::NoSchedule),
                )],
                Code::Success,
            ),
            (
                true,
                vec![tol(
                    TAINT_NODE_UNSCHEDULABLE,
                    TolerationOperator::Exists,
                    Some(TaintEffect::NoExecute),
                )],
                Code::UnschedulableAndUnresolvable,
            ),
            // Empty key with Exists tolerates everything.
            (
                true,
                vec![tol("", TolerationOperator::Exists, None)],
                Code::Success,
            ),
        ];
        for (i, (cordoned, tolerations, want)) in cases.into_iter().enumerate() {
            let mut c = cluster();
            let n = add_node(&mut c, "n", &[]);
            c.nodes[n.idx()].unschedulable = cordoned;
            let mut s = spec("web");
            s.tolerations = tolerations;
            let p = add_pod(&mut c, s);
            let st = NodeUnschedulable.filter(&c, p, n);
            assert_eq!(st.code, want, "case {i}");
            assert_eq!(NodeUnschedulable.check(&c, p, n), want, "case {i}");
            if want != Code::Success {
                assert_eq!(st.reasons, vec![ERR_REASON_UNSCHEDULABLE.to_string()]);
            }
        }
    }
}

//! NodeResourcesFit: the pod's requests must fit the node's allocatable minus what bound
//! pods request, and the pod count must stay within `allocatable.pods` (Filter, every
//! failing resource listed); nodes are scored LeastAllocated or MostAllocated on cpu and
//! memory, weight 1 each, from the non-zero requests of bound pods plus the incoming pod
//! (`pkg/scheduler/framework/plugins/noderesources/fit.go`, `least_allocated.go`,
//! `most_allocated.go`, `resource_allocation.go`).

use poolcast_model::scenario::ScoringStrategy;

use crate::cluster::{Cluster, NodeId, NodeInfo, PodId, Res};
use crate::scheduler::framework::{
    div_floor, Code, FilterPlugin, NodeScore, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// Plugin name.
pub const NAME: &str = "NodeResourcesFit";
/// The pod-count reason.
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";
/// CPU reason.
pub const REASON_INSUFFICIENT_CPU: &str = "Insufficient cpu";
/// Memory reason.
pub const REASON_INSUFFICIENT_MEMORY: &str = "Insufficient memory";
/// Ephemeral storage reason.
pub const REASON_INSUFFICIENT_EPHEMERAL_STORAGE: &str = "Insufficient ephemeral-storage";

/// `fitsRequest`: which of (pods, cpu, memory, ephemeral-storage) do not fit, in kube's order.
pub fn insufficient(req: &Res, node: &NodeInfo) -> [bool; 4] {
    let too_many = node.pods.len() as u64 + 1 > node.allocatable.pods;
    if req.cpu == 0 && req.memory == 0 && req.ephemeral == 0 {
        return [too_many, false, false, false];
    }
    // Allocatable can sit below requested (a node that shrank); kube's signed arithmetic
    // then rejects any non-zero request, as the saturating one does.
    let free = |a: u64, r: u64| a.saturating_sub(r);
    [
        too_many,
        req.cpu > 0 && req.cpu > free(node.allocatable.cpu, node.requested.cpu),
        req.memory > 0 && req.memory > free(node.allocatable.memory, node.requested.memory),
        req.ephemeral > 0
            && req.ephemeral > free(node.allocatable.ephemeral, node.requested.ephemeral),
    ]
}

/// `a * 100 / b` without overflow, in u64 when it cannot overflow (always, for real nodes).
fn scale(a: u64, b: u64) -> i64 {
    if a <= u64::MAX / 100 {
        div_floor(a * MAX_NODE_SCORE as u64, b) as i64
    } else {
        ((u128::from(a) * MAX_NODE_SCORE as u128) / u128::from(b)) as i64
    }
}

/// `leastRequestedScore`.
pub fn least_requested_score(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    scale(capacity - requested, capacity)
}

/// `mostRequestedScore`: requests above capacity (possible with the non-zero defaults)
/// count as full.
pub fn most_requested_score(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    scale(requested.min(capacity), capacity)
}

/// The plugin; PreScore keeps the pod's non-zero cpu and memory requests.
#[derive(Debug)]
pub struct NodeResourcesFit {
    strategy: ScoringStrategy,
    pod_non_zero: Res,
}

impl NodeResourcesFit {
    /// With the profile's scoring strategy.
    pub fn new(strategy: ScoringStrategy) -> Self {
        NodeResourcesFit {
            strategy,
            pod_non_zero: Res::default(),
        }
    }
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }

    fn node_local(&self) -> bool {
        true
    }

    fn check(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Code {
        let bad = insufficient(&cluster.spec_of(pod).requests, &cluster.nodes[node.idx()]);
        if bad.iter().any(|&b| b) {
            Code::Unschedulable
        } else {
            Code::Success
        }
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        let bad = insufficient(&cluster.spec_of(pod).requests, &cluster.nodes[node.idx()]);
        let reasons: Vec<String> = [
            REASON_TOO_MANY_PODS,
            REASON_INSUFFICIENT_CPU,
            REASON_INSUFFICIENT_MEMORY,
            REASON_INSUFFICIENT_EPHEMERAL_STORAGE,
        ]
        .iter()
        .zip(bad)
        .filter(|(_, b)| *b)
        .map(|(r, _)| (*r).to_owned())
        .collect();
        if reasons.is_empty() {
            Status::success()
        } else {
            // Every failing resource is kept; a bigger node could fit, so Unschedulable.
            Status::with_reasons(Code::Unschedulable, NAME, reasons)
        }
    }
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }

    fn normalizes(&self) -> bool {
        false
    }

    fn node_local(&self) -> bool {
        true
    }

    fn pre_score(&mut self, cluster: &Cluster, pod: PodId, _feasible: &[NodeId]) -> Status {
        self.pod_non_zero = cluster.spec_of(pod).non_zero;
        Status::success()
    }

    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        out.extend(nodes.iter().map(|&node| NodeScore {
            node,
            score: self.score(cluster, pod, node),
        }));
    }

    #[inline]
    fn score(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        let n = &cluster.nodes[node.idx()];
        let pairs = [
            (
                n.allocatable.cpu,
                n.non_zero_requested.cpu + self.pod_non_zero.cpu,
            ),
            (
                n.allocatable.memory,
                n.non_zero_requested.memory + self.pod_non_zero.memory,
            ),
        ];
        let (mut sum, mut weights) = (0i64, 0i64);
        for (alloc, req) in pairs {
            // A resource the node does not report is left out of the average.
            if alloc == 0 {
                continue;
            }
            sum += match self.strategy {
                ScoringStrategy::LeastAllocated => least_requested_score(req, alloc),
                ScoringStrategy::MostAllocated => most_requested_score(req, alloc),
            };
            weights += 1;
        }
        if weights == 0 {
            0
        } else {
            sum / weights
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;

    fn res(cpu: u64, memory: u64) -> Res {
        Res {
            cpu,
            memory,
            ephemeral: 0,
            pods: 1,
        }
    }

    #[test]
    fn filter_lists_every_failing_resource() {
        // Node: 4000m, 16 GiB, 100 GiB ephemeral, 110 pods.
        let gi = 1u64 << 30;
        let cases: Vec<(Res, Res, usize, Vec<&str>)> = vec![
            // (requested on node, pod request, pods on node, reasons)
            (res(0, 0), res(4000, 16 * gi), 0, vec![]),
            (res(3500, 0), res(600, 0), 0, vec![REASON_INSUFFICIENT_CPU]),
            (
                res(3500, 15 * gi),
                res(600, 2 * gi),
                0,
                vec![REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY],
            ),
            (res(0, 0), res(0, 0), 110, vec![REASON_TOO_MANY_PODS]),
            (
                res(3900, 0),
                res(200, 0),
                110,
                vec![REASON_TOO_MANY_PODS, REASON_INSUFFICIENT_CPU],
            ),
            (
                res(0, 0),
                Res {
                    cpu: 0,
                    memory: 0,
                    ephemeral: 101 * gi,
                    pods: 1,
                },
                0,
                vec![REASON_INSUFFICIENT_EPHEMERAL_STORAGE],
            ),
            // A best-effort pod only needs a pod slot.
            (res(9000, 99 * gi), res(0, 0), 5, vec![]),
        ];
        for (i, (on_node, req, pods, want)) in cases.into_iter().enumerate() {
            let mut c = cluster();
            let n = add_node(&mut c, "n", &[]);
            c.nodes[n.idx()].requested = on_node;
            c.nodes[n.idx()].pods = (0..pods as u32).map(PodId).collect();
            let mut s = spec("web");
            s.requests = req;
            let p = add_pod(&mut c, s);
            let pl = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
            let st = pl.filter(&c, p, n);
            assert_eq!(st.reasons, want, "case {i}");
            assert_eq!(pl.check(&c, p, n), st.code, "case {i}");
            if !want.is_empty() {
                assert_eq!(st.code, Code::Unschedulable);
            }
        }
    }

    #[test]
    fn least_and_most_allocated_scores() {
        // least_allocated_test.go "differently sized machines": node1 4000m/10000 bytes
        // with 3000m+5000 requested; node2 6000m/10000 with 3000m+5000.
        let cases = [
            (4000, 10000, 3000, 5000, 37, 62),
            (6000, 10000, 3000, 5000, 50, 50),
            // Requests above capacity: least gives 0, most caps at 100.
            (1000, 1000, 2000, 500, 25, 75),
        ];
        for (i, (ac, am, rc, rm, least, most)) in cases.into_iter().enumerate() {
            let mut c = cluster();
            let n = add_node(&mut c, "n", &[]);
            c.nodes[n.idx()].allocatable.cpu = ac;
            c.nodes[n.idx()].allocatable.memory = am;
            c.nodes[n.idx()].non_zero_requested = res(rc - 100, rm - 100);
            let mut s = spec("web");
            s.non_zero = res(100, 100);
            let p = add_pod(&mut c, s);
            let mut l = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
            let mut m = NodeResourcesFit::new(ScoringStrategy::MostAllocated);
            assert!(l.pre_score(&c, p, &[n]).is_success());
            assert!(m.pre_score(&c, p, &[n]).is_success());
            // least: ((4000-3000)*100/4000 + (10000-5000)*100/10000)/2 = (25+50)/2 = 37.
            assert_eq!(l.score(&c, p, n), least, "case {i} least");
            assert_eq!(m.score(&c, p, n), most, "case {i} most");
        }
    }

    #[test]
    fn score_uses_non_zero_requests_of_pod_and_node() {
        // An empty 4000m / 16 GiB node and a pod without requests: it counts as 100m and
        // 200 MiB. cpu (3900*100/4000) = 97, memory ((16384-200)*100/16384) = 98 -> 97.
        let mut c = cluster();
        let n = add_node(&mut c, "n", &[]);
        let mut s = spec("be");
        s.requests = res(0, 0);
        s.non_zero = res(
            crate::cluster::DEFAULT_MILLI_CPU_REQUEST,
            crate::cluster::DEFAULT_MEMORY_REQUEST,
        );
        let p = add_pod(&mut c, s);
        let mut l = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
        assert!(l.pre_score(&c, p, &[n]).is_success());
        assert_eq!(l.score(&c, p, n), 97);
    }
}

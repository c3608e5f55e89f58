//! NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in
//! equal fractions after placing the pod. Current kube formula (`balanced_allocation.go`,
//! `balancedResourceScorer`): per resource `f = requested / allocatable` capped at 1, with
//! `requested` the node's plain requests plus the pod's (no non-zero defaults since
//! `useRequested`); `std = |f_cpu - f_mem| / 2` for two resources (the standard deviation),
//! score `int64((1 - std) * 100)`. Best-effort pods (no cpu or memory request) are skipped
//! (kubernetes/kubernetes#129138).

use crate::cluster::{Cluster, NodeId, PodId};
use crate::scheduler::framework::{NodeScore, ScorePlugin, Status, MAX_NODE_SCORE};

/// Plugin name.
pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// `balancedResourceScorer` over (requested, allocatable) pairs.
pub fn balanced_score(pairs: &[(u64, u64)]) -> i64 {
    let mut fractions = [0f64; 8];
    let mut k = 0;
    let mut total = 0f64;
    for &(req, alloc) in pairs {
        if alloc == 0 || k == fractions.len() {
            continue;
        }
        let f = (req as f64 / alloc as f64).min(1.0);
        total += f;
        fractions[k] = f;
        k += 1;
    }
    let std = match k {
        2 => ((fractions[0] - fractions[1]) / 2.0).abs(),
        k if k > 2 => {
            let mean = total / k as f64;
            let sum: f64 = fractions[..k].iter().map(|f| (f - mean) * (f - mean)).sum();
            (sum / k as f64).sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// The plugin; PreScore keeps the pod's cpu and memory requests.
#[derive(Debug, Default)]
pub struct BalancedAllocation {
    cpu: u64,
    memory: u64,
}

impl ScorePlugin for BalancedAllocation {
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
        let r = cluster.spec_of(pod).requests;
        if r.cpu == 0 && r.memory == 0 {
            return Status::skip();
        }
        self.cpu = r.cpu;
        self.memory = r.memory;
        Status::success()
    }

    fn score(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        let n = &cluster.nodes[node.idx()];
        let (ac, am) = (n.allocatable.cpu, n.allocatable.memory);
        if ac == 0 || am == 0 {
            return balanced_score(&[
                (n.requested.cpu + self.cpu, ac),
                (n.requested.memory + self.memory, am),
            ]);
        }
        // The two-resource case of `balanced_score`, inlined for the scoring loop.
        let fc = ((n.requested.cpu + self.cpu) as f64 / ac as f64).min(1.0);
        let fm = ((n.requested.memory + self.memory) as f64 / am as f64).min(1.0);
        let std = ((fc - fm) / 2.0).abs();
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }

    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        out.extend(nodes.iter().map(|&node| NodeScore {
            node,
            score: self.score(cluster, pod, node),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Res;
    use crate::scheduler::plugins::testutil::*;

    #[test]
    fn std_formula_cases() {
        // (pairs, expected) hand-computed: f = (0.25, 0.5) -> std 0.125 -> 87.5 -> 87.
        let cases: [(&[(u64, u64)], i64); 6] = [
            (&[(1000, 4000), (5000, 10000)], 87),
            (&[(3000, 6000), (5000, 10000)], 100),
            (&[(0, 4000), (10000, 10000)], 50),
            // Fractions above 1 are capped: (1, 0.5) -> 75.
            (&[(8000, 4000), (5000, 10000)], 75),
            // A resource the node lacks is left out: one fraction, std 0.
            (&[(1000, 0), (5000, 10000)], 100),
            // Three resources: f = (0, 0.5, 1), mean 0.5, std sqrt(1/6) = 0.408 -> 59.
            (&[(0, 10), (5, 10), (10, 10)], 59),
        ];
        for (i, (pairs, want)) in cases.into_iter().enumerate() {
            assert_eq!(balanced_score(pairs), want, "case {i}");
        }
    }

    #[test]
    fn uses_plain_requests_and_skips_best_effort() {
        let mut c = cluster();
        let n = add_node(&mut c, "n", &[]);
        // 4000m / 16 GiB node with 1000m / 4 GiB requested (non-zero view differs).
        c.nodes[n.idx()].requested = Res {
            cpu: 1000,
            memory: 4 << 30,
            ephemeral: 0,
            pods: 1,
        };
        c.nodes[n.idx()].non_zero_requested = Res {
            cpu: 3000,
            memory: 4 << 30,
            ephemeral: 0,
            pods: 1,
        };
        let mut s = spec("web");
        s.requests.cpu = 1000;
        s.requests.memory = 0;
        let p = add_pod(&mut c, s);
        let mut pl = BalancedAllocation::default();
        assert!(pl.pre_score(&c, p, &[n]).is_success());
        // f_cpu = 2000/4000 = 0.5, f_mem = 4/16 = 0.25 -> 87.
        assert_eq!(pl.score(&c, p, n), 87);

        let mut be = spec("be");
        be.requests = Res {
            cpu: 0,
            memory: 0,
            ephemeral: 0,
            pods: 1,
        };
        let q = add_pod(&mut c, be);
        assert!(pl.pre_score(&c, q, &[n]).is_skip());
    }
}

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

    /// kube's `PreFilterResult.NodeNames`, read right after a successful `pre_filter`:
    /// `Some(nodes)` means only these nodes can pass (NodeAffinity's `metadata.name` terms,
    /// i.e. DaemonSet pods). The framework intersects the lists of all plugins, runs the
    /// filters on the survivors only and reports every other node as
    /// `node(s) didn't satisfy plugin(s) [<names>]`.
    fn pre_filter_nodes(&self) -> Option<&[NodeId]> {
        None
    }

    /// Whether `pod` may run on `node`.
    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status;

    /// The code `filter` returns for the same arguments, without building reason strings.
    /// The scheduler scans nodes with `check` and calls `filter` only for the nodes it must
    /// report, so failing nodes cost no allocation when another node fits. Plugins override
    /// it when `filter` formats its reasons; both must agree.
    fn check(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Code {
        self.filter(cluster, pod, node).code
    }

    /// True when `check` depends only on the pod's template and on the node's own state
    /// (labels, taints, `unschedulable`, allocatable, bound pods), never on other nodes or
    /// on other pods' placement, and its PreFilter `Skip` is decided by the template alone.
    /// The scheduler then caches verdicts per (template, node) and replays the cluster's
    /// node change log instead of re-running the filter on every node of every attempt.
    fn node_local(&self) -> bool {
        false
    }

    /// For a `node_local` plugin: whether `check` can change when a pod is bound to or
    /// unbound from the node (NodeResourcesFit). A plugin answering `false` reads only the
    /// node's labels, taints or `unschedulable` flag, and the verdict cache skips it when it
    /// replays binds and unbinds (kube's queueing hints make the same distinction between
    /// `Pod/Delete` and `Node/Update*` events).
    fn reads_bound_pods(&self) -> bool {
        true
    }
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

    /// True when `score` depends only on the pod's template and the node's own state, and
    /// `pre_score`'s Skip only on the template: the scheduler then caches raw scores per
    /// (template, node) and replays the cluster's node change log.
    fn node_local(&self) -> bool {
        false
    }

    /// For a `node_local` plugin: whether `score` can change when a pod is bound to or
    /// unbound from the node (see `FilterPlugin::reads_bound_pods`).
    fn reads_bound_pods(&self) -> bool {
        true
    }

    /// Raw scores of all `nodes`, appended to `out` in order; plugins override it with a
    /// tight loop when per-node dispatch matters.
    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        out.extend(nodes.iter().map(|&node| NodeScore {
            node,
            score: self.score(cluster, pod, node),
        }));
    }

    /// Maps raw scores to 0..=MAX_NODE_SCORE where the plugin needs it.
    fn normalize(&self, _scores: &mut [NodeScore]) {}

    /// Adds `weight` times the normalized scores of `nodes` to `totals` (same order), with
    /// `scratch` as working space: `score_all`, `normalize`, then the weighted sum.
    /// Plugins override it to fuse those passes; the result must be the same.
    fn add_weighted(
        &self,
        cluster: &Cluster,
        pod: PodId,
        nodes: &[NodeId],
        weight: i64,
        scratch: &mut Vec<NodeScore>,
        totals: &mut [NodeScore],
    ) {
        scratch.clear();
        self.score_all(cluster, pod, nodes, scratch);
        self.normalize(scratch);
        for (t, s) in totals.iter_mut().zip(scratch.iter()) {
            t.score += s.score * weight;
        }
    }

    /// `add_weighted` in a node-indexed form the scheduler can fuse with the other plugins'
    /// terms into one pass over the window: the weighted, normalized score of the node at
    /// window index `i` is `term.at(nodes[i])` plus the `delta` of any `(i, delta)` this
    /// call appends to `fixups` (in window order). `None` (the default) when the plugin has
    /// no such form for this attempt; it is then asked for `add_weighted`. The result must
    /// equal `add_weighted`'s, node for node (debug builds compare them).
    fn window_term<'a>(
        &'a self,
        _cluster: &'a Cluster,
        _pod: PodId,
        _nodes: &[NodeId],
        _weight: i64,
        _fixups: &mut Vec<(u32, i64)>,
    ) -> Option<WindowTerm<'a>> {
        None
    }

    /// False when `normalize` leaves scores unchanged (the plugin's raw scores are already
    /// in range): the scheduler then adds cached raw scores to the totals directly.
    fn normalizes(&self) -> bool {
        true
    }

    /// `Some(v)` when, after `pre_score`, every node is known to get the normalized score
    /// `v` (TaintToleration with no PreferNoSchedule taint in the cluster, ImageLocality with
    /// none of the pod's images on any node). A constant added to every total cannot change
    /// which node wins, so `schedule_one` skips such a plugin; `explain` still reports `v`.
    fn constant_score(&self, _cluster: &Cluster, _pod: PodId) -> Option<i64> {
        None
    }
}

/// A plugin's weighted, normalized score as a function of the node index alone (see
/// `ScorePlugin::window_term`).
#[derive(Debug, Clone, Copy)]
// One term is built per scheduling cycle, on the stack, and read in the window's fill
// loop; boxing the 64-entry table would allocate once per cycle for nothing.
#[allow(clippy::large_enum_variant)]
pub enum WindowTerm<'a> {
    /// `values[keys[node] % 64]`, a node beyond `keys` reading key 0.
    ByKey { keys: &'a [u32], values: [i64; 64] },
    /// `with` for a node whose bit is set in `bits` (bit `n % 64` of word `n / 64`),
    /// `without` otherwise.
    ByBit {
        bits: &'a [u64],
        with: i64,
        without: i64,
    },
    /// The same value for every node.
    Constant(i64),
}

impl WindowTerm<'_> {
    /// The term for `node`.
    #[inline]
    pub fn at(&self, node: NodeId) -> i64 {
        let n = node.idx();
        match self {
            WindowTerm::ByKey { keys, values } => {
                values[keys.get(n).map_or(0, |&k| k as usize) % 64]
            }
            WindowTerm::ByBit {
                bits,
                with,
                without,
            } => {
                if bits.get(n / 64).is_some_and(|w| w & (1 << (n % 64)) != 0) {
                    *with
                } else {
                    *without
                }
            }
            WindowTerm::Constant(v) => *v,
        }
    }

    /// Adds the term and its fixups (window index, delta) to `totals`, the window's
    /// scores in `totals`' order: what `add_weighted` adds for a plugin with this term.
    pub fn add_to(&self, fixups: &[(u32, i64)], totals: &mut [NodeScore]) {
        for t in totals.iter_mut() {
            t.score += self.at(t.node);
        }
        for &(i, delta) in fixups {
            if let Some(t) = totals.get_mut(i as usize) {
                t.score += delta;
            }
        }
    }
}

/// `a / b` for `0 <= a < 2^52` and `0 < b < 2^52`, exactly as integer division, through a
/// float division and a one-step correction (integer division is the slowest instruction
/// in the scoring loops).
#[inline]
pub fn div_floor(a: u64, b: u64) -> u64 {
    const LIMIT: u64 = 1 << 52;
    if a >= LIMIT || b >= LIMIT || b == 0 {
        return a.checked_div(b).unwrap_or(0);
    }
    let mut q = (a as f64 / b as f64) as u64;
    if q * b > a {
        q -= 1;
    } else if (q + 1) * b <= a {
        q += 1;
    }
    q
}

/// `factor * s / max` (Go integer division) for every `s` in `[min, max]`, tabulated when the
/// range is small, as normalization ranges usually are.
pub struct ScaleTable {
    factor: i64,
    max: i64,
    min: i64,
    table: Vec<i64>,
}

impl ScaleTable {
    /// The table for `s` in `[min, max]`; `max` must not be 0.
    pub fn new(factor: i64, min: i64, max: i64) -> ScaleTable {
        let mut t = ScaleTable {
            factor,
            max,
            min,
            table: Vec::new(),
        };
        if min >= 0 && max > 0 && max - min < 4096 {
            t.table = (min..=max).map(|s| t.compute(s)).collect();
        }
        t
    }

    /// The same scaling without a table, for a handful of values (each `scale` divides).
    pub fn untabulated(factor: i64, min: i64, max: i64) -> ScaleTable {
        ScaleTable {
            factor,
            max,
            min,
            table: Vec::new(),
        }
    }

    fn compute(&self, s: i64) -> i64 {
        let p = self.factor * s;
        if p >= 0 && self.max > 0 {
            div_floor(p as u64, self.max as u64) as i64
        } else {
            p / self.max
        }
    }

    /// `factor * s / max`.
    #[inline]
    pub fn scale(&self, s: i64) -> i64 {
        match s
            .checked_sub(self.min)
            .and_then(|i| self.table.get(i as usize))
        {
            Some(&v) => v,
            None => self.compute(s),
        }
    }
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
    let min = scores.iter().map(|s| s.score).min().unwrap_or(0);
    let table = ScaleTable::new(max_priority, min, max);
    for s in scores.iter_mut() {
        let mut v = table.scale(s.score);
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

    #[test]
    fn div_floor_is_integer_division() {
        let cases = [
            (0, 7),
            (99, 100),
            (100, 100),
            (4_999_999_999_999, 5_000_000_000_000),
            (17_179_869_184 * 100, 17_179_869_184),
            (17_179_869_183 * 100, 17_179_869_184),
            (1 << 51, 3),
            (u64::MAX, 3),
            (5, 0),
        ];
        for (a, b) in cases {
            assert_eq!(div_floor(a, b), a.checked_div(b).unwrap_or(0), "{a}/{b}");
        }
        for a in 0..2000u64 {
            for b in 1..60u64 {
                assert_eq!(div_floor(a * 100, b * 7), a * 100 / (b * 7));
            }
        }
    }
}

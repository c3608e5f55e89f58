//! kube-scheduler's scheduling cycle for one pod (`pkg/scheduler/schedule_one.go`):
//! PreFilter, Filter over a rotating window of nodes sized by `percentageOfNodesToScore`,
//! PreScore/Score/NormalizeScore with plugin weights, and host selection with seeded
//! tie-breaking. The unschedulable message is `FitError.Error()` to the letter.
//!
//! The scheduling queue lives in `queue`, the plugins in `plugins`, one file each.

pub mod framework;
pub mod plugins;

use std::collections::BTreeMap;

use poolcast_model::scenario::{SchedulerConfig, ScoringStrategy};
use rand::Rng;

use crate::cluster::{Cluster, NodeId, PodId};
use crate::engine::SimRng;
use framework::{Code, FilterPlugin, NodeScore, ScorePlugin, Status};

/// `minFeasibleNodesToFind` in schedule_one.go.
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// `schedulerapi.DefaultPercentageOfNodesToScore` base for the adaptive formula.
const BASE_PERCENTAGE_OF_NODES_TO_SCORE: usize = 50;

/// Scheduler profile settings, from `cluster.scheduler` with kube defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// NodeResourcesFit scoring strategy.
    pub scoring: ScoringStrategy,
    /// Score plugin weights by plugin name; defaults from `default_plugins.go`.
    pub weights: BTreeMap<String, i64>,
    /// `percentageOfNodesToScore`; 0 = adaptive.
    pub percentage_of_nodes_to_score: u32,
    /// `podInitialBackoffSeconds` (1 s).
    pub pod_initial_backoff_ms: u64,
    /// `podMaxBackoffSeconds` (10 s).
    pub pod_max_backoff_ms: u64,
}

/// Default score weights of the default profile
/// (`pkg/scheduler/apis/config/v1/default_plugins.go`).
pub const DEFAULT_WEIGHTS: [(&str, i64); 7] = [
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("NodeResourcesFit", 1),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
];

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            scoring: ScoringStrategy::LeastAllocated,
            weights: DEFAULT_WEIGHTS
                .iter()
                .map(|&(n, w)| (n.to_owned(), w))
                .collect(),
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff_ms: 1_000,
            pod_max_backoff_ms: 10_000,
        }
    }
}

impl SchedulerSettings {
    /// Defaults overridden by the scenario's `cluster.scheduler`.
    pub fn from_config(cfg: Option<&SchedulerConfig>) -> Self {
        let mut s = SchedulerSettings::default();
        if let Some(cfg) = cfg {
            s.scoring = cfg.scoring;
            for (k, v) in &cfg.weights {
                s.weights.insert(k.clone(), *v);
            }
            if let Some(p) = cfg.percentage_of_nodes_to_score {
                s.percentage_of_nodes_to_score = p;
            }
            if let Some(d) = cfg.pod_initial_backoff {
                s.pod_initial_backoff_ms = d.as_ms();
            }
            if let Some(d) = cfg.pod_max_backoff {
                s.pod_max_backoff_ms = d.as_ms();
            }
        }
        s
    }

    /// The weight of a score plugin (0 disables it).
    pub fn weight(&self, plugin: &str) -> i64 {
        self.weights.get(plugin).copied().unwrap_or(0)
    }
}

/// Why a pod could not be scheduled (`framework.FitError` with its `Diagnosis`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    /// Nodes in the snapshot.
    pub num_all_nodes: usize,
    /// The PreFilter failure message, when a PreFilter plugin rejected the pod.
    pub pre_filter_msg: Option<String>,
    /// The failing status of every evaluated node.
    pub node_statuses: Vec<(NodeId, Status)>,
    /// The PostFilter (preemption) message, when preemption ran.
    pub post_filter_msg: Option<String>,
}

impl FitError {
    /// `FitError.Error()`: `0/N nodes are available: <count reason, ...>.` with the reasons
    /// histogram sorted as strings, exactly as `sort.Strings` orders them.
    pub fn message(&self) -> String {
        let mut msg = format!("0/{} nodes are available:", self.num_all_nodes);
        if let Some(pre) = &self.pre_filter_msg {
            msg.push_str(&format!(" {pre}."));
        } else {
            let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, st) in &self.node_statuses {
                for r in &st.reasons {
                    *hist.entry(r.as_str()).or_default() += 1;
                }
            }
            let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
            parts.sort();
            if !parts.is_empty() {
                msg.push_str(&format!(" {}.", parts.join(", ")));
            }
        }
        if let Some(post) = &self.post_filter_msg {
            msg.push_str(&format!(" {post}."));
        }
        msg
    }

    /// True when at least one node failed with plain `Unschedulable` (something could
    /// change on it), which is what preemption looks for.
    pub fn any_resolvable(&self) -> bool {
        self.node_statuses
            .iter()
            .any(|(_, s)| s.code == Code::Unschedulable)
    }
}

/// The result of one scheduling attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleResult {
    /// The pod goes to `node`.
    Scheduled {
        /// Chosen node.
        node: NodeId,
        /// Nodes the filters ran on.
        evaluated: usize,
        /// Nodes that passed.
        feasible: usize,
    },
    /// No node fits.
    Unschedulable(FitError),
}

/// One score plugin's contribution for a node: (plugin, raw, normalised, weight).
pub type PluginScore = (&'static str, i64, i64, i64);

/// One node's verdict in an explained attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeVerdict {
    /// The node.
    pub node: NodeId,
    /// Success, or the first failing filter's status.
    pub filter: Status,
    /// Per score plugin: (name, raw, normalised, weight); empty for infeasible nodes.
    pub scores: Vec<PluginScore>,
    /// Weighted total.
    pub total: i64,
}

/// The scheduler: the plugin set of one profile and the rotating start index.
pub struct Scheduler {
    settings: SchedulerSettings,
    filters: Vec<Box<dyn FilterPlugin + Send>>,
    scorers: Vec<(Box<dyn ScorePlugin + Send>, i64)>,
    next_start_node_index: usize,
    nodes: Vec<NodeId>,
    feasible: Vec<NodeId>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("settings", &self.settings)
            .field(
                "filters",
                &self.filters.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .field(
                "scorers",
                &self
                    .scorers
                    .iter()
                    .map(|(p, w)| (p.name(), *w))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// `numFeasibleNodesToFind`: how many feasible nodes to look for before scoring.
pub fn num_feasible_nodes_to_find(percentage: u32, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut pct = percentage as usize;
    if pct == 0 {
        pct = BASE_PERCENTAGE_OF_NODES_TO_SCORE.saturating_sub(num_all_nodes / 125);
        if pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    if pct >= 100 {
        return num_all_nodes;
    }
    let n = num_all_nodes * pct / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

impl Scheduler {
    /// The default profile's plugins with `settings`.
    pub fn new(settings: SchedulerSettings) -> Self {
        let filters = plugins::default_filters(&settings);
        let scorers = plugins::default_scorers(&settings)
            .into_iter()
            .map(|p| {
                let w = settings.weight(p.name());
                (p, w)
            })
            .filter(|(_, w)| *w != 0)
            .collect();
        Scheduler::with_plugins(settings, filters, scorers)
    }

    /// A scheduler with an explicit plugin set (tests, explain).
    pub fn with_plugins(
        settings: SchedulerSettings,
        filters: Vec<Box<dyn FilterPlugin + Send>>,
        scorers: Vec<(Box<dyn ScorePlugin + Send>, i64)>,
    ) -> Self {
        Scheduler {
            settings,
            filters,
            scorers,
            next_start_node_index: 0,
            nodes: Vec::new(),
            feasible: Vec::new(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SchedulerSettings {
        &self.settings
    }

    /// Runs every PreFilter; the first non-success (other than Skip) fails the cycle.
    /// Returns the indices of filters to skip.
    fn run_pre_filters(&mut self, cluster: &Cluster, pod: PodId) -> Result<Vec<bool>, Status> {
        let mut skip = vec![false; self.filters.len()];
        for (i, f) in self.filters.iter_mut().enumerate() {
            let st = f.pre_filter(cluster, pod);
            match st.code {
                Code::Success => {}
                Code::Skip => skip[i] = true,
                _ => {
                    let mut st = st;
                    st.plugin = f.name();
                    return Err(st);
                }
            }
        }
        Ok(skip)
    }

    fn run_filters(&self, skip: &[bool], cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        for (i, f) in self.filters.iter().enumerate() {
            if skip[i] {
                continue;
            }
            let mut st = f.filter(cluster, pod, node);
            if !st.is_success() && !st.is_skip() {
                st.plugin = f.name();
                return st;
            }
        }
        Status::success()
    }

    /// One scheduling cycle for `pod` (`schedulePod`).
    pub fn schedule_one(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        rng: &mut SimRng,
    ) -> ScheduleResult {
        self.nodes.clear();
        self.nodes.extend(cluster.live_node_ids());
        let n = self.nodes.len();
        let skip = match self.run_pre_filters(cluster, pod) {
            Ok(s) => s,
            Err(st) => {
                let msg = st.reasons.join(", ");
                return ScheduleResult::Unschedulable(FitError {
                    num_all_nodes: n,
                    pre_filter_msg: Some(msg),
                    node_statuses: self.nodes.iter().map(|&nd| (nd, st.clone())).collect(),
                    post_filter_msg: None,
                });
            }
        };
        if n == 0 {
            return ScheduleResult::Unschedulable(FitError {
                num_all_nodes: 0,
                pre_filter_msg: None,
                node_statuses: Vec::new(),
                post_filter_msg: None,
            });
        }

        // The nominated node (set by preemption) is tried first (`evaluateNominatedNode`).
        self.feasible.clear();
        let mut statuses = Vec::new();
        let mut evaluated = 0;
        if let Some(nom) = cluster.pods[pod.idx()].nominated_node {
            if cluster.nodes[nom.idx()].live
                && self.run_filters(&skip, cluster, pod, nom).is_success()
            {
                self.feasible.push(nom);
                evaluated = 1;
            }
        }

        if self.feasible.is_empty() {
            let to_find = num_feasible_nodes_to_find(self.settings.percentage_of_nodes_to_score, n);
            let start = self.next_start_node_index % n;
            let mut processed = 0;
            for k in 0..n {
                if self.feasible.len() >= to_find {
                    break;
                }
                let node = self.nodes[(start + k) % n];
                processed += 1;
                let st = self.run_filters(&skip, cluster, pod, node);
                if st.is_success() {
                    self.feasible.push(node);
                } else {
                    statuses.push((node, st));
                }
            }
            evaluated = processed;
            self.next_start_node_index = (start + processed) % n;
        }

        if self.feasible.is_empty() {
            return ScheduleResult::Unschedulable(FitError {
                num_all_nodes: n,
                pre_filter_msg: None,
                node_statuses: statuses,
                post_filter_msg: None,
            });
        }
        let feasible_count = self.feasible.len();
        if feasible_count == 1 {
            return ScheduleResult::Scheduled {
                node: self.feasible[0],
                evaluated,
                feasible: 1,
            };
        }
        let feasible = std::mem::take(&mut self.feasible);
        let totals = self.prioritize(cluster, pod, &feasible, None);
        self.feasible = feasible;
        let node = select_host(&totals, rng);
        ScheduleResult::Scheduled {
            node,
            evaluated,
            feasible: feasible_count,
        }
    }

    /// PreScore, Score, NormalizeScore and weights (`prioritizeNodes`). When `detail` is
    /// given, per-plugin (raw, normalised, weight) scores are appended to it per node.
    fn prioritize(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        feasible: &[NodeId],
        mut detail: Option<&mut Vec<Vec<PluginScore>>>,
    ) -> Vec<NodeScore> {
        let mut totals: Vec<NodeScore> = feasible
            .iter()
            .map(|&node| NodeScore { node, score: 0 })
            .collect();
        if let Some(d) = detail.as_deref_mut() {
            d.clear();
            d.resize(feasible.len(), Vec::new());
        }
        let mut scores: Vec<NodeScore> = Vec::with_capacity(feasible.len());
        for (plugin, weight) in self.scorers.iter_mut() {
            let st = plugin.pre_score(cluster, pod, feasible);
            if st.is_skip() || !st.is_success() {
                continue;
            }
            scores.clear();
            scores.extend(feasible.iter().map(|&node| NodeScore {
                node,
                score: plugin.score(cluster, pod, node),
            }));
            let raw: Vec<i64> = if detail.is_some() {
                scores.iter().map(|s| s.score).collect()
            } else {
                Vec::new()
            };
            plugin.normalize(&mut scores);
            for (i, s) in scores.iter().enumerate() {
                totals[i].score += s.score * *weight;
                if let Some(d) = detail.as_deref_mut() {
                    d[i].push((plugin.name(), raw[i], s.score, *weight));
                }
            }
        }
        totals
    }

    /// Every node's verdict for `pod` as one attempt would see it, without the early stop
    /// of `percentageOfNodesToScore` (for `poolcast explain`).
    pub fn explain(&mut self, cluster: &Cluster, pod: PodId) -> Vec<NodeVerdict> {
        let nodes: Vec<NodeId> = cluster.live_node_ids().collect();
        let skip = match self.run_pre_filters(cluster, pod) {
            Ok(s) => s,
            Err(st) => {
                return nodes
                    .iter()
                    .map(|&node| NodeVerdict {
                        node,
                        filter: st.clone(),
                        scores: Vec::new(),
                        total: 0,
                    })
                    .collect()
            }
        };
        let mut verdicts: Vec<NodeVerdict> = nodes
            .iter()
            .map(|&node| NodeVerdict {
                node,
                filter: self.run_filters(&skip, cluster, pod, node),
                scores: Vec::new(),
                total: 0,
            })
            .collect();
        let feasible: Vec<NodeId> = verdicts
            .iter()
            .filter(|v| v.filter.is_success())
            .map(|v| v.node)
            .collect();
        if !feasible.is_empty() {
            let mut detail = Vec::new();
            let totals = self.prioritize(cluster, pod, &feasible, Some(&mut detail));
            let mut j = 0;
            for v in verdicts.iter_mut() {
                if v.filter.is_success() {
                    v.total = totals[j].score;
                    v.scores = std::mem::take(&mut detail[j]);
                    j += 1;
                }
            }
        }
        verdicts
    }
}

/// `selectHost`: the highest total wins; ties are broken uniformly at random with
/// reservoir sampling, as kube does (`rand.Intn(cntOfMaxScore) == 0`), from the seeded
/// tie-break stream.
///
/// # Panics
/// On an empty list (the caller only scores when there are feasible nodes).
pub fn select_host(totals: &[NodeScore], rng: &mut SimRng) -> NodeId {
    let mut best = totals[0];
    let mut count = 1u32;
    for s in &totals[1..] {
        if s.score > best.score {
            best = *s;
            count = 1;
        } else if s.score == best.score {
            count += 1;
            if rng.random_range(0..count) == 0 {
                best = *s;
            }
        }
    }
    best.node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_percentage_of_nodes_to_score() {
        // schedule_one_test.go TestNumFeasibleNodesToFind.
        assert_eq!(num_feasible_nodes_to_find(0, 10), 10);
        assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
        assert_eq!(num_feasible_nodes_to_find(40, 1000), 400);
        assert_eq!(num_feasible_nodes_to_find(0, 6000), 300);
        assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
        assert_eq!(num_feasible_nodes_to_find(0, 150), 100);
        assert_eq!(num_feasible_nodes_to_find(100, 1000), 1000);
    }

    #[test]
    fn fit_error_message_sorts_reasons_as_strings() {
        let st = |r: &str| Status::new(Code::Unschedulable, "X", r);
        let e = FitError {
            num_all_nodes: 12,
            pre_filter_msg: None,
            node_statuses: (0..12)
                .map(|i| {
                    let s = if i < 3 {
                        st("node(s) had untolerated taint {os: windows}")
                    } else {
                        st("Insufficient cpu")
                    };
                    (NodeId(i), s)
                })
                .collect(),
            post_filter_msg: None,
        };
        assert_eq!(
            e.message(),
            "0/12 nodes are available: 3 node(s) had untolerated taint {os: windows}, 9 Insufficient cpu."
        );
    }

    #[test]
    fn select_host_is_deterministic_and_uniform_over_ties() {
        let totals: Vec<NodeScore> = (0..4)
            .map(|i| NodeScore {
                node: NodeId(i),
                score: if i == 0 { 10 } else { 50 },
            })
            .collect();
        let mut rng = crate::engine::rng_for(7, crate::engine::Stream::TieBreak);
        let mut hits = [0u32; 4];
        for _ in 0..3000 {
            hits[select_host(&totals, &mut rng).idx()] += 1;
        }
        assert_eq!(hits[0], 0);
        for h in &hits[1..] {
            assert!((800..1200).contains(h), "{hits:?}");
        }
    }
}

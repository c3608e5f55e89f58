//! kube-scheduler's scheduling cycle for one pod (`pkg/scheduler/schedule_one.go`):
//! PreFilter, Filter over a rotating window of nodes sized by `percentageOfNodesToScore`,
//! PreScore/Score/NormalizeScore with plugin weights, and host selection with seeded
//! tie-breaking. The unschedulable message is `FitError.Error()` to the letter.
//!
//! The scheduling queue lives in `queue`, the plugins in `plugins`, one file each.
//!
//! Filtering scans nodes with `FilterPlugin::check` (no strings built) and asks the failing
//! plugin for its full `Status` only when no node fits and the `FitError` must be reported.

mod classes;
mod failure_memo;
mod feasibility;
pub mod framework;
pub mod plugins;
pub mod preemption;
pub mod queue;
mod score_cache;

use std::collections::BTreeMap;
use std::sync::Arc;

use poolcast_model::scenario::{SchedulerConfig, ScoringStrategy};
use rand::Rng;

use crate::cluster::{Cluster, NodeId, PodId};
use crate::engine::SimRng;
use classes::NodeLocalClasses;
use failure_memo::{Attempt, FailureMemo, Memo};
pub use failure_memo::{FailureReplay, ReplayBatch};
use feasibility::{FeasibilityCache, LocalFilters, TemplateVerdicts, PASS};
use framework::{Code, FilterPlugin, NodeScore, ScorePlugin, Status, WindowTerm};
use score_cache::ScoreCache;

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
    /// The failing status of every node the filters ran on (kube's explicit
    /// `NodeToStatus` entries).
    pub node_statuses: Vec<(NodeId, Status)>,
    /// The status of every other node (kube's `NodeToStatus.AbsentNodesStatus`): the
    /// PreFilter failure, or `node(s) didn't satisfy plugin(s) [NodeAffinity]` for nodes a
    /// PreFilter result excluded. Counts `num_all_nodes - node_statuses.len()` times.
    pub absent_nodes_status: Option<Status>,
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
            let absent = self.num_all_nodes.saturating_sub(self.node_statuses.len());
            if let (Some(st), true) = (&self.absent_nodes_status, absent > 0) {
                for r in &st.reasons {
                    *hist.entry(r.as_str()).or_default() += absent;
                }
            }
            let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
            parts.sort();
            if !parts.is_empty() {
                msg.push_str(&format!(" {}.", parts.join(", ")));
            }
        }
        // `reasonMsg += fmt.Sprintf(" %v", postFilterMsg)`: no period of its own (the
        // preemption message already ends with one).
        if let Some(post) = &self.post_filter_msg {
            msg.push_str(&format!(" {post}"));
        }
        msg
    }

    /// True when at least one node failed with plain `Unschedulable` (something could
    /// change on it), which is what preemption looks for.
    pub fn any_resolvable(&self) -> bool {
        let absent = self.num_all_nodes > self.node_statuses.len()
            && self
                .absent_nodes_status
                .as_ref()
                .is_some_and(|s| s.code == Code::Unschedulable);
        absent
            || self
                .node_statuses
                .iter()
                .any(|(_, s)| s.code == Code::Unschedulable)
    }

    /// The plugins that rejected the pod (kube's `Diagnosis.UnschedulablePlugins`), sorted;
    /// the scheduling queue uses them to decide which cluster events retry the pod.
    pub fn unschedulable_plugins(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .node_statuses
            .iter()
            .map(|(_, s)| s.plugin)
            .chain(self.absent_nodes_status.iter().map(|s| s.plugin))
            .filter(|p| !p.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
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
///
/// A scheduler serves one `Cluster` for its whole life: its caches (node-local filter
/// verdicts and raw scores per template, spreading counts, affinity relations) follow that
/// cluster's change log and template ids. Use a new scheduler for a new or cloned cluster.
pub struct Scheduler {
    settings: SchedulerSettings,
    filters: Vec<Box<dyn FilterPlugin + Send>>,
    scorers: Vec<(Box<dyn ScorePlugin + Send>, i64)>,
    next_start_node_index: usize,
    /// Live nodes in id order, rebuilt when `nodes_key` no longer matches the cluster.
    nodes: Vec<NodeId>,
    /// The same as a bitset over node ids.
    live_bits: Vec<u64>,
    nodes_key: Option<(usize, u64, u32)>,
    verdicts: FeasibilityCache,
    score_cache: ScoreCache,
    feasible: Vec<NodeId>,
    /// One plugin's scores over the feasible nodes (reused between attempts).
    scores: Vec<NodeScore>,
    /// Which scorers' PreScore succeeded this attempt (reused between attempts).
    ran: Vec<bool>,
    /// The weighted totals of the last attempt, and the scorers read from the class's
    /// cache and summed there (buffers reused between attempts).
    totals: Vec<NodeScore>,
    /// Window-term fixups of the attempt (window index, delta), reused.
    fixups: Vec<(u32, i64)>,
    cached: Vec<usize>,
    summed: Vec<usize>,
    /// Nodes that failed, with the index of the first failing filter.
    failed: Vec<(NodeId, usize)>,
    skip: Vec<bool>,
    /// Failed attempts by class and cluster version (`failure_memo`).
    memo: FailureMemo,
    /// Templates grouped by what the node-local plugins read (`classes`).
    classes: NodeLocalClasses,
}

/// Nodes a PreFilter result left (live, id order) and the plugins that narrowed them.
type Narrowing = Option<(Vec<NodeId>, Vec<&'static str>)>;

/// Index of the first filter that rejects `node`, if any (`RunFilterPlugins` stops there).
fn first_failing(
    filters: &[Box<dyn FilterPlugin + Send>],
    skip: &[bool],
    cluster: &Cluster,
    pod: PodId,
    node: NodeId,
) -> Option<usize> {
    filters.iter().enumerate().position(|(i, f)| {
        !skip[i]
            && matches!(
                f.check(cluster, pod, node),
                Code::Unschedulable | Code::UnschedulableAndUnresolvable
            )
    })
}

/// kube's status for nodes a PreFilter result excluded (`findNodesThatFitPod`).
fn absent_status(plugins: &[&'static str]) -> Status {
    Status::new(
        Code::UnschedulableAndUnresolvable,
        plugins.first().copied().unwrap_or(""),
        format!("node(s) didn't satisfy plugin(s) [{}]", plugins.join(" ")),
    )
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
            live_bits: Vec::new(),
            nodes_key: None,
            verdicts: FeasibilityCache::default(),
            score_cache: ScoreCache::default(),
            feasible: Vec::new(),
            scores: Vec::new(),
            totals: Vec::new(),
            fixups: Vec::new(),
            cached: Vec::new(),
            summed: Vec::new(),
            ran: Vec::new(),
            failed: Vec::new(),
            skip: Vec::new(),
            memo: FailureMemo::default(),
            classes: NodeLocalClasses::default(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SchedulerSettings {
        &self.settings
    }

    /// The node-local equivalence class of `pod`'s template (`classes`).
    fn class_of(&mut self, cluster: &Cluster, pod: PodId) -> usize {
        let spec = cluster.pods[pod.idx()].spec;
        self.classes.of(spec, &cluster.specs[spec.idx()])
    }

    /// Refreshes the cached live-node list when nodes were added or removed.
    fn refresh_nodes(&mut self, cluster: &Cluster) {
        let key = (
            cluster.nodes.len(),
            cluster.removal_generation,
            cluster.live_nodes,
        );
        if self.nodes_key != Some(key) {
            self.nodes.clear();
            self.nodes.extend(cluster.live_node_ids());
            self.live_bits.clear();
            self.live_bits.resize(cluster.nodes.len().div_ceil(64), 0);
            for n in &self.nodes {
                self.live_bits[n.idx() / 64] |= 1 << (n.idx() % 64);
            }
            self.nodes_key = Some(key);
        }
    }

    /// `RunPreFilterPlugins`: `Skip` marks the plugin's filter skipped (in `self.skip`);
    /// `UnschedulableAndUnresolvable` stops at once, `Unschedulable` lets the others run and
    /// is returned at the end; PreFilter results are intersected.
    fn run_pre_filters(&mut self, cluster: &Cluster, pod: PodId) -> Result<Narrowing, Status> {
        self.skip.clear();
        self.skip.resize(self.filters.len(), false);
        let mut result: Option<Vec<NodeId>> = None;
        let mut with_nodes: Vec<&'static str> = Vec::new();
        let mut unschedulable = None;
        for (i, f) in self.filters.iter_mut().enumerate() {
            let mut st = f.pre_filter(cluster, pod);
            match st.code {
                Code::Skip => {
                    self.skip[i] = true;
                    continue;
                }
                Code::Success => {}
                Code::UnschedulableAndUnresolvable => {
                    st.plugin = f.name();
                    return Err(st);
                }
                Code::Unschedulable => {
                    st.plugin = f.name();
                    unschedulable = Some(st);
                    continue;
                }
            }
            if let Some(nodes) = f.pre_filter_nodes() {
                with_nodes.push(f.name());
                let mut named = nodes.to_vec();
                named.sort_unstable();
                named.dedup();
                let merged = match result.take() {
                    None => named,
                    Some(prev) => prev
                        .into_iter()
                        .filter(|n| named.binary_search(n).is_ok())
                        .collect(),
                };
                // Merging is on names; nodes that no longer exist only drop out later.
                if merged.is_empty() {
                    with_nodes.sort_unstable();
                    let msg = if with_nodes.len() == 1 {
                        format!("node(s) didn't satisfy plugin {}", with_nodes[0])
                    } else {
                        format!(
                            "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                            with_nodes.join(" ")
                        )
                    };
                    return Err(Status::new(
                        Code::UnschedulableAndUnresolvable,
                        with_nodes[0],
                        msg,
                    ));
                }
                result = Some(merged);
            }
        }
        if let Some(st) = unschedulable {
            return Err(st);
        }
        with_nodes.sort_unstable();
        Ok(result.map(|mut r| {
            r.retain(|n| cluster.nodes.get(n.idx()).is_some_and(|x| x.live));
            (r, with_nodes)
        }))
    }

    /// Whether this attempt can use the node-local verdict cache: the node-local filters
    /// that run (indices), the other filters that run, and the skip mask. The cache keeps
    /// "first failing filter" exact only while every node-local filter precedes the others.
    fn cache_plan(&self) -> Option<(Vec<usize>, Vec<usize>, u64)> {
        if self.filters.len() > 64 {
            return None;
        }
        let mut local = Vec::new();
        let mut globals = Vec::new();
        let mut mask = 0u64;
        for (i, f) in self.filters.iter().enumerate() {
            if self.skip[i] {
                mask |= 1 << i;
            } else if f.node_local() {
                if !globals.is_empty() {
                    return None;
                }
                local.push(i);
            } else {
                globals.push(i);
            }
        }
        (!local.is_empty()).then_some((local, globals, mask))
    }

    /// One scheduling cycle for `pod` (`schedulePod`). A failure is remembered for
    /// `remember_failure` (see `failure_memo`).
    pub fn schedule_one(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        rng: &mut SimRng,
    ) -> ScheduleResult {
        self.memo.last = None;
        let before = self.next_start_node_index;
        let result = self.schedule_pod(cluster, pod, rng);
        match &result {
            ScheduleResult::Unschedulable(_) if FailureMemo::eligible(cluster, pod) => {
                let n = self.nodes.len();
                self.memo.last = Some(Attempt {
                    pod,
                    class: cluster.pods[pod.idx()].spec.idx(),
                    version: cluster.change_cursor(),
                    advance: if n == 0 {
                        0
                    } else {
                        (self.next_start_node_index + n - before % n) % n
                    },
                });
            }
            ScheduleResult::Scheduled { .. } => {
                if let Some((_, m)) = self.memo.expected.take() {
                    panic!(
                        "failure memo: a replay of {:?} was wrong, the attempt fits",
                        m.replay.message
                    );
                }
            }
            ScheduleResult::Unschedulable(_) => {}
        }
        result
    }

    /// The short cut for a retry (`failure_memo`): when `pod`'s class already failed on
    /// this cluster version, advances the start index and draws the PostFilter's random
    /// offset from `preempt_rng` as the attempt would, and returns what it reported. The
    /// caller counts the attempt and records the failure as for a real one.
    pub fn replay_failure(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        preempt_rng: &mut SimRng,
    ) -> Option<Arc<FailureReplay>> {
        if !FailureMemo::eligible(cluster, pod) {
            return None;
        }
        let class = cluster.pods[pod.idx()].spec.idx();
        // A cheap copy: the replay is shared.
        let memo = self.memo.get(class, cluster.change_cursor())?.clone();
        if cfg!(debug_assertions) {
            // Every other hit runs the real attempt and `remember_failure` compares.
            self.memo.hits += 1;
            if self.memo.hits % 2 == 1 {
                self.memo.expected = Some((class, memo));
                return None;
            }
        }
        let (advance, draw, replay) = (memo.advance, memo.replay.preemption_draw, memo.replay);
        self.refresh_nodes(cluster);
        let n = self.nodes.len();
        if n > 0 {
            self.next_start_node_index = (self.next_start_node_index + advance) % n;
        }
        if let Some(k) = draw {
            let _offset: usize = preempt_rng.random_range(0..k);
        }
        Some(replay)
    }

    /// After the PostFilter of the failed attempt `schedule_one` just made for `pod`
    /// (`fit` carries its message): memoises the failure if it can be replayed, i.e. the
    /// PostFilter nominated no node and left the cluster as it was.
    pub fn remember_failure(&mut self, cluster: &Cluster, pod: PodId, fit: &FitError) {
        let expected = self.memo.expected.take();
        let Some(a) = self.memo.last.take() else {
            return;
        };
        if a.pod != pod
            || a.version != cluster.change_cursor()
            || fit.post_filter_msg.is_none()
            || !FailureMemo::eligible(cluster, pod)
        {
            return;
        }
        let memo = Memo {
            version: a.version,
            advance: a.advance,
            replay: Arc::new(FailureReplay {
                message: fit.message(),
                rejected: fit.unschedulable_plugins(),
                preemption_draw: preemption_draw(cluster, pod, fit),
            }),
        };
        if let Some((class, m)) = expected {
            assert!(
                class == a.class && m == memo,
                "failure memo: replay {m:?} differs from the attempt {memo:?}"
            );
        }
        self.memo.put(a.class, memo);
    }

    /// The cycle proper (`schedulePod`).
    fn schedule_pod(&mut self, cluster: &Cluster, pod: PodId, rng: &mut SimRng) -> ScheduleResult {
        self.refresh_nodes(cluster);
        let n = self.nodes.len();
        let narrowed = match self.run_pre_filters(cluster, pod) {
            Ok(r) => r,
            Err(st) => {
                return ScheduleResult::Unschedulable(FitError {
                    num_all_nodes: n,
                    pre_filter_msg: Some(st.reasons.join(", ")),
                    node_statuses: Vec::new(),
                    absent_nodes_status: Some(st),
                    post_filter_msg: None,
                });
            }
        };
        if n == 0 {
            return ScheduleResult::Unschedulable(FitError {
                num_all_nodes: 0,
                pre_filter_msg: None,
                node_statuses: Vec::new(),
                absent_nodes_status: None,
                post_filter_msg: None,
            });
        }

        // The nominated node (set by preemption) is tried first (`evaluateNominatedNode`).
        self.feasible.clear();
        self.failed.clear();
        let mut evaluated = 0;
        if let Some(nom) = cluster.pods[pod.idx()].nominated_node {
            if cluster.nodes.get(nom.idx()).is_some_and(|x| x.live)
                && first_failing(&self.filters, &self.skip, cluster, pod, nom).is_none()
            {
                self.feasible.push(nom);
                evaluated = 1;
            }
        }

        let mut cached: Option<Vec<usize>> = None;
        if self.feasible.is_empty() {
            let cands: &[NodeId] = match &narrowed {
                Some((list, _)) => list,
                None => &self.nodes,
            };
            let len = cands.len();
            // kube sizes the search on the candidate list, which a PreFilter may have narrowed.
            let to_find =
                num_feasible_nodes_to_find(self.settings.percentage_of_nodes_to_score, len);
            let start = if len == 0 {
                0
            } else {
                self.next_start_node_index % len
            };
            let mut processed = 0;
            let plan = if narrowed.is_none() && len > 0 {
                self.cache_plan()
            } else {
                None
            };
            if let Some((local, globals, mask)) = plan {
                let class = self.class_of(cluster, pod);
                let lf = LocalFilters::new(&self.filters, &local);
                let tv = self.verdicts.sync(cluster, pod, class, &lf, mask);
                processed = scan_cached(
                    tv,
                    &self.live_bits,
                    self.nodes[start].idx(),
                    cluster.nodes.len(),
                    to_find,
                    &ScanFilters {
                        filters: &self.filters,
                        globals: &globals,
                        cluster,
                        pod,
                    },
                    &mut self.feasible,
                );
                if cfg!(debug_assertions) {
                    for &node in &self.feasible {
                        assert!(
                            first_failing(&self.filters, &self.skip, cluster, pod, node).is_none(),
                            "stale filter cache for node {}: a NodeInfo was edited without \
                             Cluster::touch_node",
                            cluster.nodes[node.idx()].name
                        );
                    }
                }
                cached = Some(globals);
            } else {
                for k in 0..len {
                    if self.feasible.len() >= to_find {
                        break;
                    }
                    let node = cands[(start + k) % len];
                    processed += 1;
                    match first_failing(&self.filters, &self.skip, cluster, pod, node) {
                        None => self.feasible.push(node),
                        Some(i) => self.failed.push((node, i)),
                    }
                }
            }
            evaluated = processed;
            self.next_start_node_index = (self.next_start_node_index + processed) % n;
            if self.feasible.is_empty() {
                if let Some(globals) = &cached {
                    // Every candidate was processed: report them in scan order.
                    let class = self.class_of(cluster, pod);
                    let (local, _, mask) = self.cache_plan().unwrap_or_default();
                    let lf = LocalFilters::new(&self.filters, &local);
                    let tv = self.verdicts.sync(cluster, pod, class, &lf, mask);
                    for k in 0..len {
                        let node = self.nodes[(start + k) % len];
                        let v = tv.verdict(node);
                        let failing = if v == PASS {
                            globals.iter().copied().find(|&i| {
                                matches!(
                                    self.filters[i].check(cluster, pod, node),
                                    Code::Unschedulable | Code::UnschedulableAndUnresolvable
                                )
                            })
                        } else {
                            Some(v as usize)
                        };
                        if let Some(i) = failing {
                            self.failed.push((node, i));
                        }
                    }
                }
            }
        }

        if self.feasible.is_empty() {
            let node_statuses: Vec<(NodeId, Status)> = self
                .failed
                .iter()
                .map(|&(node, i)| {
                    let f = &self.filters[i];
                    let mut st = f.filter(cluster, pod, node);
                    st.plugin = f.name();
                    (node, st)
                })
                .collect();
            if cfg!(debug_assertions) {
                for (node, st) in &node_statuses {
                    assert!(
                        !st.is_success() && !st.is_skip(),
                        "stale filter cache for node {}: a NodeInfo was edited without \
                         Cluster::touch_node",
                        cluster.nodes[node.idx()].name
                    );
                }
            }
            return ScheduleResult::Unschedulable(FitError {
                num_all_nodes: n,
                pre_filter_msg: None,
                node_statuses,
                absent_nodes_status: narrowed.as_ref().map(|(_, p)| absent_status(p)),
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
        self.totals = totals;
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
        if let Some(d) = detail.as_deref_mut() {
            d.clear();
            d.resize(feasible.len(), Vec::new());
        }
        // `RunPreScorePlugins` first, then `RunScorePlugins`, as kube does.
        let mut ran = std::mem::take(&mut self.ran);
        ran.clear();
        for (plugin, _) in self.scorers.iter_mut() {
            ran.push(plugin.pre_score(cluster, pod, feasible).is_success());
        }
        // Node-local scorers read cached raw scores; those that do not normalize are also
        // summed per node in the cache (not for explain, which shows each plugin).
        let mut cached = std::mem::take(&mut self.cached);
        let mut summed = std::mem::take(&mut self.summed);
        cached.clear();
        summed.clear();
        for (k, (plugin, _)) in self.scorers.iter().enumerate() {
            if ran[k] && plugin.node_local() && plugin.constant_score(cluster, pod).is_none() {
                cached.push(k);
                if detail.is_none() && !plugin.normalizes() {
                    summed.push(k);
                }
            }
        }
        let templates = if cached.is_empty() {
            None
        } else {
            let class = self.class_of(cluster, pod);
            Some(
                self.score_cache
                    .sync(cluster, pod, class, &self.scorers, &cached, &summed),
            )
        };
        let sums = templates
            .and_then(|t| t.summed())
            .filter(|_| !summed.is_empty());
        let mut totals = std::mem::take(&mut self.totals);
        totals.clear();
        // Plugins whose weighted score is a function of the node index (`window_term`) are
        // added with the summed cached scores in one pass over the window; the others
        // follow with `add_weighted`. Integer sums: the order does not change them.
        let mut fixups = std::mem::take(&mut self.fixups);
        fixups.clear();
        let mut terms = WindowTerms::default();
        let mut termed = 0u64;
        if detail.is_none() {
            for (k, (plugin, weight)) in self.scorers.iter().enumerate() {
                if k >= 64
                    || !ran[k]
                    || (sums.is_some() && summed.contains(&k))
                    || templates.and_then(|t| t.raw(k)).is_some()
                    || plugin.constant_score(cluster, pod).is_some()
                {
                    continue;
                }
                let from = fixups.len();
                if let Some(term) = plugin.window_term(cluster, pod, feasible, *weight, &mut fixups)
                {
                    termed |= 1 << k;
                    terms.push(term);
                    if cfg!(debug_assertions) {
                        terms.check.push((k, term, from, fixups.len()));
                    }
                }
            }
        }
        terms.fill(sums.unwrap_or(&[]), feasible, &mut totals);
        for &(i, delta) in &fixups {
            if let Some(t) = totals.get_mut(i as usize) {
                t.score += delta;
            }
        }
        if cfg!(debug_assertions) {
            // Each fused term against the plugin's own `add_weighted`.
            for &(k, term, from, to) in &terms.check {
                let (plugin, weight) = &self.scorers[k];
                let mut plain: Vec<NodeScore> = feasible
                    .iter()
                    .map(|&node| NodeScore { node, score: 0 })
                    .collect();
                let mut scratch = Vec::new();
                plugin.add_weighted(cluster, pod, feasible, *weight, &mut scratch, &mut plain);
                let mut fused: Vec<NodeScore> = feasible
                    .iter()
                    .map(|&node| NodeScore { node, score: 0 })
                    .collect();
                term.add_to(&fixups[from..to], &mut fused);
                assert_eq!(
                    fused,
                    plain,
                    "{}: window_term differs from add_weighted",
                    plugin.name()
                );
            }
        }
        self.fixups = fixups;
        if cfg!(debug_assertions) && sums.is_some() {
            for &k in &summed {
                let plugin = &self.scorers[k].0;
                let mut v: Vec<NodeScore> = feasible
                    .iter()
                    .map(|&node| NodeScore {
                        node,
                        score: plugin.score(cluster, pod, node),
                    })
                    .collect();
                let before = v.clone();
                plugin.normalize(&mut v);
                assert_eq!(v, before, "{} normalizes", plugin.name());
            }
            let sums = sums.unwrap_or(&[]);
            for t in &totals {
                let want: i64 = summed
                    .iter()
                    .map(|&k| self.scorers[k].0.score(cluster, pod, t.node) * self.scorers[k].1)
                    .sum();
                assert_eq!(
                    sums.get(t.node.idx()).copied().unwrap_or(0),
                    want,
                    "stale summed scores for node {}: a NodeInfo was edited without \
                     Cluster::touch_node",
                    cluster.nodes[t.node.idx()].name
                );
            }
        }
        let mut scores = std::mem::take(&mut self.scores);
        for (k, (plugin, weight)) in self.scorers.iter().enumerate() {
            let weight = *weight;
            if !ran[k] || (sums.is_some() && summed.contains(&k)) || termed & (1 << k) != 0 {
                continue;
            }
            // A constant cannot change the winner; explain still shows it.
            if detail.is_none() && plugin.constant_score(cluster, pod).is_some() {
                continue;
            }
            let raw = templates.and_then(|t| t.raw(k));
            if cfg!(debug_assertions) {
                if let Some(raw) = raw {
                    for &node in feasible {
                        assert_eq!(
                            i64::from(raw[node.idx()]),
                            plugin.score(cluster, pod, node),
                            "stale {} score for node {}: a NodeInfo was edited without \
                             Cluster::touch_node",
                            plugin.name(),
                            cluster.nodes[node.idx()].name
                        );
                    }
                }
            }
            if let (None, None) = (raw, detail.as_deref()) {
                if cfg!(debug_assertions) {
                    // The fused passes against the plain ones, per node.
                    let mut fused: Vec<NodeScore> = feasible
                        .iter()
                        .map(|&node| NodeScore { node, score: 0 })
                        .collect();
                    plugin.add_weighted(cluster, pod, feasible, weight, &mut scores, &mut fused);
                    scores.clear();
                    for &node in feasible {
                        scores.push(NodeScore {
                            node,
                            score: plugin.score(cluster, pod, node),
                        });
                    }
                    plugin.normalize(&mut scores);
                    for (f, s) in fused.iter().zip(&scores) {
                        assert_eq!(
                            f.score,
                            s.score * weight,
                            "{}: add_weighted differs from score and normalize",
                            plugin.name()
                        );
                    }
                }
                plugin.add_weighted(cluster, pod, feasible, weight, &mut scores, &mut totals);
                continue;
            }
            scores.clear();
            match raw {
                Some(raw) => scores.extend(feasible.iter().map(|&node| NodeScore {
                    node,
                    score: i64::from(raw[node.idx()]),
                })),
                None => plugin.score_all(cluster, pod, feasible, &mut scores),
            }
            match detail.as_deref_mut() {
                None => {
                    plugin.normalize(&mut scores);
                    for (t, s) in totals.iter_mut().zip(&scores) {
                        t.score += s.score * weight;
                    }
                }
                Some(d) => {
                    let raw: Vec<i64> = scores.iter().map(|s| s.score).collect();
                    plugin.normalize(&mut scores);
                    for (i, s) in scores.iter().enumerate() {
                        totals[i].score += s.score * weight;
                        d[i].push((plugin.name(), raw[i], s.score, weight));
                    }
                }
            }
        }
        self.scores = scores;
        self.ran = ran;
        self.cached = cached;
        self.summed = summed;
        totals
    }

    /// The filter verdict for `pod` on one node, PreFilter included: what the DaemonSet
    /// controller's `NodeShouldRunDaemonPod` and the engine's direct binds check.
    pub fn filter_one(&mut self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match self.run_pre_filters(cluster, pod) {
            Err(st) => st,
            Ok(Some((list, plugins))) if list.binary_search(&node).is_err() => {
                absent_status(&plugins)
            }
            Ok(_) => match first_failing(&self.filters, &self.skip, cluster, pod, node) {
                None => Status::success(),
                Some(i) => {
                    let mut st = self.filters[i].filter(cluster, pod, node);
                    st.plugin = self.filters[i].name();
                    st
                }
            },
        }
    }

    /// Every node's verdict for `pod` as one attempt would see it, without the early stop
    /// of `percentageOfNodesToScore` (for `poolcast explain`).
    pub fn explain(&mut self, cluster: &Cluster, pod: PodId) -> Vec<NodeVerdict> {
        let nodes: Vec<NodeId> = cluster.live_node_ids().collect();
        let narrowed = match self.run_pre_filters(cluster, pod) {
            Ok(r) => r,
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
            .map(|&node| {
                let filter = match &narrowed {
                    Some((list, plugins)) if list.binary_search(&node).is_err() => {
                        absent_status(plugins)
                    }
                    _ => match first_failing(&self.filters, &self.skip, cluster, pod, node) {
                        None => Status::success(),
                        Some(i) => {
                            let mut st = self.filters[i].filter(cluster, pod, node);
                            st.plugin = self.filters[i].name();
                            st
                        }
                    },
                };
                NodeVerdict {
                    node,
                    filter,
                    scores: Vec::new(),
                    total: 0,
                }
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

/// How many nodes DefaultPreemption's dry run draws its random offset over for a failed,
/// not nominated `pod` (`preemption::preempt`): the live nodes whose status is plain
/// `Unschedulable`, or `None` when it draws nothing (not eligible, or no such node).
fn preemption_draw(cluster: &Cluster, pod: PodId, fit: &FitError) -> Option<usize> {
    if cluster.spec_of(pod).never_preempt {
        return None;
    }
    // Every explicit status is a distinct live node; the rest take the absent status.
    let explicit = fit
        .node_statuses
        .iter()
        .filter(|(_, s)| s.code == Code::Unschedulable)
        .count();
    let live = cluster.live_nodes as usize;
    let absent = match &fit.absent_nodes_status {
        Some(s) if s.code == Code::Unschedulable => live.saturating_sub(fit.node_statuses.len()),
        _ => 0,
    };
    let n = explicit + absent;
    if cfg!(debug_assertions) {
        let direct = cluster
            .live_node_ids()
            .filter(|&node| preemption::status_code(fit, node) == Code::Unschedulable)
            .count();
        assert_eq!(n, direct, "failure memo: preemption's potential nodes");
    }
    (n > 0).then_some(n)
}

/// The window terms of one attempt (`ScorePlugin::window_term`), at most one of each
/// per-node kind fused into the pass that builds the totals, the rest added after it.
#[derive(Default)]
struct WindowTerms<'a> {
    by_key: Option<(&'a [u32], [i64; 64])>,
    by_bit: Option<(&'a [u64], i64, i64)>,
    constant: i64,
    rest: Vec<WindowTerm<'a>>,
    /// Debug builds: (plugin, term, fixups range) to compare with `add_weighted`.
    check: Vec<(usize, WindowTerm<'a>, usize, usize)>,
}

impl<'a> WindowTerms<'a> {
    fn push(&mut self, term: WindowTerm<'a>) {
        match term {
            WindowTerm::Constant(v) => self.constant += v,
            WindowTerm::ByKey { keys, values } if self.by_key.is_none() => {
                self.by_key = Some((keys, values));
            }
            WindowTerm::ByBit {
                bits,
                with,
                without,
            } if self.by_bit.is_none() => self.by_bit = Some((bits, with, without)),
            other => self.rest.push(other),
        }
    }

    /// `totals` for `feasible`: the summed cached scores by node index plus every term,
    /// in one pass (absent parts read as zero).
    fn fill(&self, sums: &[i64], feasible: &[NodeId], totals: &mut Vec<NodeScore>) {
        let (keys, values) = self.by_key.unwrap_or((&[], [0; 64]));
        let (bits, with, without) = self.by_bit.unwrap_or((&[], 0, 0));
        let constant = self.constant;
        totals.extend(feasible.iter().map(|&node| {
            let n = node.idx();
            let key = keys.get(n).map_or(0, |&k| k as usize) % 64;
            let has = bits.get(n / 64).is_some_and(|w| w & (1 << (n % 64)) != 0);
            NodeScore {
                node,
                score: sums.get(n).copied().unwrap_or(0)
                    + constant
                    + values[key]
                    + if has { with } else { without },
            }
        }));
        for term in &self.rest {
            for t in totals.iter_mut() {
                t.score += term.at(t.node);
            }
        }
    }
}

/// The filters a cached scan still runs per node.
struct ScanFilters<'a> {
    filters: &'a [Box<dyn FilterPlugin + Send>],
    globals: &'a [usize],
    cluster: &'a Cluster,
    pod: PodId,
}

impl ScanFilters<'_> {
    fn pass(&self, node: NodeId) -> bool {
        self.globals.iter().all(|&i| {
            !matches!(
                self.filters[i].check(self.cluster, self.pod, node),
                Code::Unschedulable | Code::UnschedulableAndUnresolvable
            )
        })
    }
}

/// The filter window over cached verdicts: live nodes in id order from `start_id`, wrapping,
/// until `to_find` nodes pass; returns how many candidates were processed. Without other
/// filters to run, 64 nodes are taken per step from the bitsets.
fn scan_cached(
    tv: &TemplateVerdicts,
    live_bits: &[u64],
    start_id: usize,
    n_ids: usize,
    to_find: usize,
    rest: &ScanFilters<'_>,
    feasible: &mut Vec<NodeId>,
) -> usize {
    let mut processed = 0;
    for (lo, hi) in [(start_id, n_ids), (0, start_id)] {
        if lo >= hi {
            continue;
        }
        let (w0, w1) = (lo / 64, (hi - 1) / 64);
        for w in w0..=w1 {
            let mut mask = u64::MAX;
            if w == w0 {
                mask &= u64::MAX << (lo % 64);
            }
            if w == w1 && hi % 64 != 0 {
                mask &= (1u64 << (hi % 64)) - 1;
            }
            let live = live_bits.get(w).copied().unwrap_or(0) & mask;
            let base = (w * 64) as u32;
            if rest.globals.is_empty() {
                let mut bits = live & tv.feasible_word(w);
                let need = to_find - feasible.len();
                if (bits.count_ones() as usize) < need {
                    while bits != 0 {
                        feasible.push(NodeId(base + bits.trailing_zeros()));
                        bits &= bits - 1;
                    }
                    processed += live.count_ones() as usize;
                } else {
                    let mut last = 0;
                    for _ in 0..need {
                        last = bits.trailing_zeros();
                        feasible.push(NodeId(base + last));
                        bits &= bits - 1;
                    }
                    let upto = if last == 63 {
                        u64::MAX
                    } else {
                        (1u64 << (last + 1)) - 1
                    };
                    return processed + (live & upto).count_ones() as usize;
                }
            } else {
                let mut bits = live;
                while bits != 0 {
                    let node = NodeId(base + bits.trailing_zeros());
                    bits &= bits - 1;
                    processed += 1;
                    if tv.verdict(node) == PASS && rest.pass(node) {
                        feasible.push(node);
                        if feasible.len() >= to_find {
                            return processed;
                        }
                    }
                }
            }
        }
    }
    processed
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
            absent_nodes_status: None,
            post_filter_msg: None,
        };
        assert_eq!(
            e.message(),
            "0/12 nodes are available: 3 node(s) had untolerated taint {os: windows}, 9 Insufficient cpu."
        );
    }

    #[test]
    fn fit_error_message_with_absent_nodes_and_post_filter() {
        let e = FitError {
            num_all_nodes: 4,
            pre_filter_msg: None,
            node_statuses: vec![(
                NodeId(2),
                Status::new(Code::Unschedulable, "NodeResourcesFit", "Insufficient cpu"),
            )],
            absent_nodes_status: Some(absent_status(&["NodeAffinity"])),
            post_filter_msg: Some(
                "preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod."
                    .into(),
            ),
        };
        assert_eq!(
            e.message(),
            "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) \
             [NodeAffinity]. preemption: 0/4 nodes are available: 4 No preemption victims found \
             for incoming pod."
        );
        assert!(e.any_resolvable());
        assert_eq!(
            e.unschedulable_plugins(),
            ["NodeAffinity", "NodeResourcesFit"]
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

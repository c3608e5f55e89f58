//! PodTopologySpread (`pkg/scheduler/framework/plugins/podtopologyspread/`: `plugin.go`,
//! `common.go`, `filtering.go`, `scoring.go`).
//!
//! Filter (`DoNotSchedule` constraints): a node must carry every constraint's topology key,
//! and placing the pod there must keep `matching pods in the node's domain + self-match -
//! global minimum <= maxSkew`, where domains and counts come from the nodes eligible under
//! `nodeAffinityPolicy` (default Honor: the pod's nodeSelector/required affinity) and
//! `nodeTaintsPolicy` (default Ignore), and the minimum is 0 while fewer than `minDomains`
//! domains exist.
//!
//! Score (`ScheduleAnyway` constraints, or the system defaults `kubernetes.io/hostname`
//! maxSkew 3 and `topology.kubernetes.io/zone` maxSkew 5 when `PodSpec::system_default_spread`):
//! each node gets `sum(count_in_domain * log(domains + 2) + maxSkew - 1)`, rounded, then
//! `100 * (max + min - s) / max`.
//!
//! Counting: kube walks every pod of every node on each attempt. Here each constraint keeps
//! its matching-pod count per domain and replays `Cluster::changes_since` (binds and unbinds
//! of the templates its selector matches), rebuilding from `Cluster::placements` only when
//! node labels or taints change; per-node hostname counts come from `placements` directly.
//! An attempt thus costs O(changes since the template's last attempt + feasible nodes).

use std::collections::BTreeMap;

use poolcast_model::scenario::{NodeInclusionPolicy, UnsatisfiableConstraintAction};

use super::helper::{
    AffinityBits, DomainCache, Domains, LabelIndex, RequiredNodeAffinity, Selector, SpecSet,
    LABEL_HOSTNAME, LABEL_TOPOLOGY_ZONE, MISSING,
};
use super::taint_toleration::first_untolerated;
use crate::cluster::{Cluster, NodeId, PodId, PodSpec, SpecId};
use crate::scheduler::framework::{
    Code, FilterPlugin, NodeScore, ScaleTable, ScorePlugin, Status, WindowTerm, MAX_NODE_SCORE,
};

/// Plugin name.
pub const NAME: &str = "PodTopologySpread";
/// `ErrReasonConstraintsNotMatch`.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
/// `systemDefaultConstraints`: (topology key, maxSkew), both ScheduleAnyway.
pub const SYSTEM_DEFAULT_CONSTRAINTS: [(&str, i64); 2] =
    [(LABEL_HOSTNAME, 3), (LABEL_TOPOLOGY_ZONE, 5)];

/// Go's `math.Round` (half away from zero) for this plugin's non-negative scores, without
/// a libm call.
fn round_half_away(x: f64) -> i64 {
    let t = x as i64;
    if x - t as f64 >= 0.5 {
        t + 1
    } else {
        t
    }
}

/// Which pods a constraint counts.
#[derive(Debug, Clone)]
enum Sel {
    /// A label selector, counted within the pod's namespace.
    Labels(Selector),
    /// The pod's own workload: the system defaults of a workload without labels (a real
    /// ReplicaSet selector is never empty: it carries `pod-template-hash`).
    OwnWorkload,
}

/// A parsed constraint (`topologySpreadConstraint`).
#[derive(Debug, Clone)]
struct Constraint {
    max_skew: i64,
    key: String,
    is_hostname: bool,
    sel: Sel,
    min_domains: i64,
    affinity_honor: bool,
    taints_honor: bool,
    self_match: bool,
    matching: SpecSet,
    /// Domain cache index of `key`.
    key_idx: usize,
}

impl Constraint {
    fn new(key: &str, max_skew: i64, sel: Sel, own: &PodSpec) -> Constraint {
        let self_match = match &sel {
            Sel::Labels(s) => s.matches(&own.labels),
            Sel::OwnWorkload => true,
        };
        Constraint {
            max_skew,
            key: key.to_owned(),
            is_hostname: key == LABEL_HOSTNAME,
            sel,
            min_domains: 1,
            affinity_honor: true,
            taints_honor: false,
            self_match,
            matching: SpecSet::default(),
            key_idx: 0,
        }
    }

    /// Brings the list of counted templates up to date.
    fn sync_matching(&mut self, cluster: &Cluster, own: SpecId, index: &LabelIndex) {
        if self.matching.is_current(cluster) {
            return;
        }
        let ns = &cluster.specs[own.idx()].namespace;
        match &self.sel {
            Sel::OwnWorkload => self.matching.sync(cluster, |id, _| id == own),
            // `countPodsMatchSelector` counts nothing for an empty selector.
            Sel::Labels(sel) if sel.is_empty() => self.matching.sync(cluster, |_, _| false),
            Sel::Labels(sel) => {
                let pred = |_: SpecId, s: &PodSpec| s.namespace == *ns && sel.matches(&s.labels);
                match sel.required_pair() {
                    Some((k, v)) => self.matching.sync_among(cluster, index.get(ns, k, v), pred),
                    None => self.matching.sync(cluster, pred),
                }
            }
        }
    }

    /// Matching pods bound to `node`.
    fn count_on(&self, cluster: &Cluster, node: NodeId) -> i64 {
        self.matching
            .specs()
            .iter()
            .filter_map(|&s| cluster.placement(s))
            .map(|p| i64::from(p.on(node)))
            .sum()
    }

    /// Matching pods per domain over the nodes `counted` accepts, from scratch.
    fn count_all(
        &self,
        cluster: &Cluster,
        domains: &Domains,
        counted: &dyn Fn(NodeId) -> bool,
        out: &mut Vec<i64>,
    ) {
        out.clear();
        out.resize(domains.len(), 0);
        for &s in self.matching.specs() {
            let Some(pl) = cluster.placement(s) else {
                continue;
            };
            for &node in pl.hosts() {
                if counted(node) {
                    out[domains.of_or_empty(node) as usize] += i64::from(pl.on(node));
                }
            }
        }
    }
}

/// Matching pods per domain over the nodes a constraint counts, kept by replaying the
/// change log.
#[derive(Debug, Clone, Default)]
struct DomainCounts {
    built: bool,
    cursor: u64,
    label_generation: u64,
    taint_generation: u64,
    by_domain: Vec<i64>,
}

impl DomainCounts {
    /// Brings the counts up to date. `counted` must not depend on liveness: a node's pods
    /// are unbound, and logged, before it is removed, so binds and unbinds cancel.
    fn sync(
        &mut self,
        c: &Constraint,
        cluster: &Cluster,
        domains: &Domains,
        counted: &dyn Fn(NodeId) -> bool,
    ) {
        let stale = !self.built
            || self.label_generation != cluster.label_generation
            || (c.taints_honor && self.taint_generation != cluster.taint_generation);
        let replay = if stale {
            None
        } else {
            cluster.changes_since(self.cursor)
        };
        match replay {
            Some(changes) => {
                if self.by_domain.len() < domains.len() {
                    self.by_domain.resize(domains.len(), 0);
                }
                for ch in changes {
                    let Some((spec, delta)) = ch.pod_delta else {
                        continue;
                    };
                    if c.matching.specs().binary_search(&spec).is_ok() && counted(ch.node) {
                        self.by_domain[domains.of_or_empty(ch.node) as usize] += i64::from(delta);
                    }
                }
            }
            None => c.count_all(cluster, domains, counted, &mut self.by_domain),
        }
        if cfg!(debug_assertions) {
            let mut fresh = Vec::new();
            c.count_all(cluster, domains, counted, &mut fresh);
            fresh.resize(self.by_domain.len().max(fresh.len()), 0);
            let mut kept = self.by_domain.clone();
            kept.resize(fresh.len(), 0);
            assert_eq!(kept, fresh, "spreading counts drifted from the placements");
        }
        self.built = true;
        self.cursor = cluster.change_cursor();
        self.label_generation = cluster.label_generation;
        self.taint_generation = cluster.taint_generation;
    }
}

/// The soft constraints' shape `add_weighted_fast` handles: at most one hostname
/// constraint, counting a single template, and at most one other; their indices.
fn fast_pair(sp: &SpecSpread) -> Option<(Option<usize>, Option<usize>)> {
    let (mut host, mut dom) = (None, None);
    for (i, c) in sp.soft.iter().enumerate() {
        let slot = if c.is_hostname {
            if c.matching.specs().len() != 1 {
                return None;
            }
            &mut host
        } else {
            &mut dom
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(i);
    }
    Some((host, dom))
}

/// Most memo keys `add_weighted_fast` handles (domain slots x hostname label), so that the
/// keys present in a window fit one `u64` bitmask; more domains take the generic path.
const MEMO_KEYS: usize = 64;

/// Counts below which `fast_term` keeps a node's score by (memo key, count) within an
/// attempt: a template's nodes hold few of its pods each, so the nodes apart share a
/// handful of values.
const COUNT_MEMO: usize = 16;

/// Number of memo keys for the other constraint's domain cache index `dom`.
fn memo_keys(domains: &DomainCache, dom: Option<usize>) -> usize {
    2 * (dom.map_or(0, |i| domains.get(i).len()) + 1)
}

/// A template's constraints, their cached counts and its node-affinity matches.
#[derive(Debug)]
struct SpecSpread {
    hard: Vec<Constraint>,
    soft: Vec<Constraint>,
    hard_counts: Vec<DomainCounts>,
    soft_counts: Vec<DomainCounts>,
    /// Scoring ignores nodes lacking a key unless only system defaults apply.
    require_all_soft: bool,
    affinity: RequiredNodeAffinity,
    /// Index of the template's node-affinity matches in `PodTopologySpread::bits`, shared
    /// by every template with the same `nodeSelector` and required terms.
    bits: usize,
}

impl SpecSpread {
    fn new(spec: &PodSpec, bits: usize) -> SpecSpread {
        let mut hard = Vec::new();
        let mut soft = Vec::new();
        if !spec.topology_spread.is_empty() {
            for c in &spec.topology_spread {
                let sel = Selector::from_label_selector(c.label_selector.as_ref())
                    .with_match_label_keys(&c.match_label_keys, &spec.labels);
                let mut con = Constraint::new(
                    &c.topology_key,
                    i64::from(c.max_skew),
                    Sel::Labels(sel),
                    spec,
                );
                con.min_domains = i64::from(c.min_domains.unwrap_or(1));
                con.affinity_honor = c.node_affinity_policy != Some(NodeInclusionPolicy::Ignore);
                con.taints_honor = c.node_taints_policy == Some(NodeInclusionPolicy::Honor);
                match c.when_unsatisfiable {
                    UnsatisfiableConstraintAction::DoNotSchedule => hard.push(con),
                    UnsatisfiableConstraintAction::ScheduleAnyway => soft.push(con),
                }
            }
        } else if spec.system_default_spread {
            let sel = if spec.labels.is_empty() {
                Sel::OwnWorkload
            } else {
                Sel::Labels(Selector::from_map(&spec.labels))
            };
            for (key, skew) in SYSTEM_DEFAULT_CONSTRAINTS {
                soft.push(Constraint::new(key, skew, sel.clone(), spec));
            }
        }
        SpecSpread {
            hard_counts: vec![DomainCounts::default(); hard.len()],
            soft_counts: vec![DomainCounts::default(); soft.len()],
            hard,
            soft,
            require_all_soft: !spec.topology_spread.is_empty(),
            affinity: RequiredNodeAffinity::of_spec(spec),
            bits,
        }
    }
}

/// Whether a node counts for a constraint: it carries every key of `keys`
/// (`nodeLabelsMatchSpreadConstraints`) and passes `matchNodeInclusionPolicies`.
/// Liveness is the caller's business.
struct Inclusion<'a> {
    cluster: &'a Cluster,
    domains: &'a DomainCache,
    sp: &'a SpecSpread,
    bits: &'a AffinityBits,
    pinned: Option<NodeId>,
    pod: PodId,
    keys: &'a [usize],
}

impl Inclusion<'_> {
    fn has_keys(&self, node: NodeId) -> bool {
        self.keys
            .iter()
            .all(|&k| self.domains.get(k).of(node).is_some())
    }

    fn counts(&self, c: &Constraint, node: NodeId) -> bool {
        if !self.has_keys(node) {
            return false;
        }
        if c.affinity_honor {
            let ok = match self.pinned {
                // The DaemonSet controller's name term replaced the required terms.
                Some(p) => {
                    p == node
                        && self
                            .sp
                            .affinity
                            .selector_matches(&self.cluster.nodes[node.idx()])
                }
                None => self.bits.get(node),
            };
            if !ok {
                return false;
            }
        }
        !c.taints_honor
            || first_untolerated(
                &self.cluster.nodes[node.idx()].taints,
                &self.cluster.spec_of(self.pod).tolerations,
            )
            .is_none()
    }
}

/// Per-attempt view of one constraint.
#[derive(Debug, Default, Clone)]
struct Tally {
    /// Domains with an eligible (filter) or feasible (score) node.
    present: Vec<bool>,
    /// Number of present domains.
    size: usize,
    /// Counts computed for this attempt only (DaemonSet pods, whose inclusion depends on
    /// the pod's node); otherwise the template's cached counts are read.
    direct: Option<Vec<i64>>,
    /// Filter: the global minimum.
    min: i64,
    /// Score: `topologyNormalizingWeight`.
    weight: f64,
}

impl Tally {
    fn reset(&mut self, domains: usize) {
        self.present.clear();
        self.present.resize(domains, false);
        self.size = 0;
        self.direct = None;
        self.min = 0;
        self.weight = 0.0;
    }

    fn mark(&mut self, d: u32) {
        let p = &mut self.present[d as usize];
        if !*p {
            *p = true;
            self.size += 1;
        }
    }
}

/// The plugin. One instance serves as filter, another as scorer; each keeps its caches.
#[derive(Debug, Default)]
pub struct PodTopologySpread {
    specs: Vec<Option<SpecSpread>>,
    /// Node-affinity matches, one per distinct `nodeSelector` + required terms (thousands
    /// of small workloads share a few), so they are evaluated per node once, not per
    /// template and node.
    bits: Vec<AffinityBits>,
    /// Index into `bits` by the rendered `nodeSelector` and required terms.
    bits_by_affinity: BTreeMap<String, usize>,
    /// Templates by namespace and label, for the constraints' selectors.
    labels: LabelIndex,
    domains: DomainCache,
    current: usize,
    pinned: Option<NodeId>,
    tallies: Vec<Tally>,
    /// Domain cache indices of the keys a node must carry this attempt.
    keys: Vec<usize>,
    /// Feasible nodes lacking a key (score), sorted.
    ignored: Vec<NodeId>,
    /// Memo keys of `add_weighted_fast` per node.
    node_keys: NodeKeys,
}

/// Per node, `2 * domain slot + has hostname label` for one (hostname constraint key,
/// other constraint key) pair of domain cache indices, the domain slot 0 for a node
/// without the label and `id + 1` otherwise: the memo index of `add_weighted_fast`, kept
/// until node labels change and extended for new nodes. Kept only while the keys number
/// at most `MEMO_KEYS`.
#[derive(Debug, Default)]
struct NodeKeys {
    pair: (Option<usize>, Option<usize>),
    label_generation: u64,
    keys: Vec<u32>,
}

impl NodeKeys {
    /// Brings the keys up to date.
    fn sync(
        &mut self,
        cluster: &Cluster,
        domains: &DomainCache,
        pair: (Option<usize>, Option<usize>),
    ) {
        if self.pair != pair || self.label_generation != cluster.label_generation {
            self.keys.clear();
            self.pair = pair;
            self.label_generation = cluster.label_generation;
        }
        let host = pair.0.map(|i| domains.get(i).ids_by_node());
        let dom = pair.1.map(|i| domains.get(i).ids_by_node());
        for n in self.keys.len()..cluster.nodes.len() {
            let has_host = host.is_some_and(|h| h.get(n).is_some_and(|&v| v != MISSING));
            let slot = dom.and_then(|d| d.get(n)).map_or(0, |&v| v.wrapping_add(1));
            self.keys.push(2 * slot + u32::from(has_host));
        }
    }
}

impl PodTopologySpread {
    /// Parses the pod's template if needed and syncs its selectors, node-affinity matches and
    /// domain caches; returns the template index.
    fn prepare(&mut self, cluster: &Cluster, pod: PodId) -> usize {
        let spec_id = cluster.pods[pod.idx()].spec;
        let s = spec_id.idx();
        if self.specs.len() <= s {
            self.specs.resize_with(s + 1, || None);
        }
        if self.specs[s].is_none() {
            let spec = &cluster.specs[s];
            // Plain data with derived `Debug` over ordered maps: equal renderings, equal
            // affinity.
            let key = format!("{:?}|{:?}", spec.node_selector, spec.required_node_affinity);
            let next = self.bits.len();
            let b = *self.bits_by_affinity.entry(key).or_insert(next);
            if b == next {
                self.bits.push(AffinityBits::default());
            }
            self.specs[s] = Some(SpecSpread::new(spec, b));
        }
        let Some(sp) = self.specs[s].as_mut() else {
            return s;
        };
        self.labels.sync(cluster);
        for c in sp.hard.iter_mut().chain(sp.soft.iter_mut()) {
            c.sync_matching(cluster, spec_id, &self.labels);
            c.key_idx = self.domains.sync_key(cluster, &c.key);
        }
        if sp
            .hard
            .iter()
            .chain(sp.soft.iter())
            .any(|c| c.affinity_honor)
        {
            self.bits[sp.bits].sync(cluster, &sp.affinity);
        }
        self.current = s;
        self.pinned = cluster.pods[pod.idx()].pinned_node;
        s
    }

    fn spread(&self) -> Option<&SpecSpread> {
        self.specs.get(self.current).and_then(Option::as_ref)
    }

    /// Brings the counts of the hard (or soft, hostname excepted) constraints of template
    /// `s` up to date for `pod`; DaemonSet pods get per-attempt counts in `tallies`.
    fn update_counts(&mut self, cluster: &Cluster, pod: PodId, s: usize, hard: bool) {
        let Some(sp) = self.specs[s].as_mut() else {
            return;
        };
        let mut counts = std::mem::take(if hard {
            &mut sp.hard_counts
        } else {
            &mut sp.soft_counts
        });
        let Some(sp) = self.specs[s].as_ref() else {
            return;
        };
        let inc = Inclusion {
            cluster,
            domains: &self.domains,
            sp,
            bits: &self.bits[sp.bits],
            pinned: self.pinned,
            pod,
            keys: &self.keys,
        };
        let cs = if hard { &sp.hard } else { &sp.soft };
        for (i, c) in cs.iter().enumerate() {
            if c.is_hostname && !hard {
                continue;
            }
            let domains = self.domains.get(c.key_idx);
            let counted = |n: NodeId| inc.counts(c, n);
            if self.pinned.is_some() {
                let mut out = Vec::new();
                c.count_all(cluster, domains, &counted, &mut out);
                self.tallies[i].direct = Some(out);
            } else {
                counts[i].sync(c, cluster, domains, &counted);
            }
        }
        if let Some(sp) = self.specs[s].as_mut() {
            if hard {
                sp.hard_counts = counts;
            } else {
                sp.soft_counts = counts;
            }
        }
    }

    /// Matching pods in domain `d` of constraint `i` this attempt.
    fn count(&self, sp: &SpecSpread, hard: bool, i: usize, d: u32) -> i64 {
        let counts = match &self.tallies[i].direct {
            Some(v) => v,
            None if hard => &sp.hard_counts[i].by_domain,
            None => &sp.soft_counts[i].by_domain,
        };
        counts.get(d as usize).copied().unwrap_or(0)
    }
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pre_filter(&mut self, cluster: &Cluster, pod: PodId) -> Status {
        let s = self.prepare(cluster, pod);
        let Some(sp) = self.specs[s].as_ref() else {
            return Status::skip();
        };
        if sp.hard.is_empty() {
            return Status::skip();
        }
        self.keys.clear();
        self.keys.extend(sp.hard.iter().map(|c| c.key_idx));
        self.tallies.resize_with(sp.hard.len(), Tally::default);
        self.tallies.truncate(sp.hard.len());
        for (c, t) in sp.hard.iter().zip(self.tallies.iter_mut()) {
            t.reset(self.domains.get(c.key_idx).len());
        }
        // Domains: every live eligible node that carries all keys (`calPreFilterState`).
        let inc = Inclusion {
            cluster,
            domains: &self.domains,
            sp,
            bits: &self.bits[sp.bits],
            pinned: self.pinned,
            pod,
            keys: &self.keys,
        };
        for node in cluster.live_node_ids() {
            for (c, t) in sp.hard.iter().zip(self.tallies.iter_mut()) {
                if inc.counts(c, node) {
                    t.mark(self.domains.get(c.key_idx).of_or_empty(node));
                }
            }
        }
        self.update_counts(cluster, pod, s, true);
        let Some(sp) = self.specs[s].as_ref() else {
            return Status::skip();
        };
        for (i, c) in sp.hard.iter().enumerate() {
            let t = &self.tallies[i];
            // Fewer eligible domains than minDomains: the global minimum is 0.
            let min = if (t.size as i64) < c.min_domains {
                0
            } else {
                (0..t.present.len())
                    .filter(|&d| t.present[d])
                    .map(|d| self.count(sp, true, i, d as u32))
                    .min()
                    .unwrap_or(i64::from(i32::MAX))
            };
            self.tallies[i].min = min;
        }
        Status::success()
    }

    fn check(&self, _cluster: &Cluster, _pod: PodId, node: NodeId) -> Code {
        let Some(sp) = self.spread() else {
            return Code::Success;
        };
        for (i, c) in sp.hard.iter().enumerate() {
            let Some(d) = self.domains.get(c.key_idx).of(node) else {
                return Code::UnschedulableAndUnresolvable;
            };
            // A domain without eligible nodes has no entry in kube's map: 0, as here.
            let skew = self.count(sp, true, i, d) + i64::from(c.self_match) - self.tallies[i].min;
            if skew > c.max_skew {
                return Code::Unschedulable;
            }
        }
        Code::Success
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match self.check(cluster, pod, node) {
            Code::Success => Status::success(),
            Code::UnschedulableAndUnresolvable => Status::new(
                Code::UnschedulableAndUnresolvable,
                NAME,
                ERR_REASON_NODE_LABEL_NOT_MATCH,
            ),
            code => Status::new(code, NAME, ERR_REASON_CONSTRAINTS_NOT_MATCH),
        }
    }
}

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pre_score(&mut self, cluster: &Cluster, pod: PodId, feasible: &[NodeId]) -> Status {
        let s = self.prepare(cluster, pod);
        let Some(sp) = self.specs[s].as_ref() else {
            return Status::skip();
        };
        if cluster.live_nodes == 0 || sp.soft.is_empty() {
            return Status::skip();
        }
        // Only explicit constraints require every key (system defaults keep nodes without a
        // zone label for hostname spreading).
        self.keys.clear();
        if sp.require_all_soft {
            self.keys.extend(sp.soft.iter().map(|c| c.key_idx));
        }
        self.tallies.resize_with(sp.soft.len(), Tally::default);
        self.tallies.truncate(sp.soft.len());
        for (c, t) in sp.soft.iter().zip(self.tallies.iter_mut()) {
            t.reset(if c.is_hostname {
                0
            } else {
                self.domains.get(c.key_idx).len()
            });
        }
        // `initPreScoreState`: domains present among the feasible nodes.
        self.ignored.clear();
        if !self.keys.is_empty() {
            for &node in feasible {
                if !self
                    .keys
                    .iter()
                    .all(|&k| self.domains.get(k).of(node).is_some())
                {
                    self.ignored.push(node);
                }
            }
            self.ignored.sort_unstable();
        }
        for (c, t) in sp.soft.iter().zip(self.tallies.iter_mut()) {
            if c.is_hostname {
                continue;
            }
            let domains = self.domains.get(c.key_idx);
            // No window can span more domains than the nodes carry: once all are seen, the
            // rest of the window cannot add one.
            let all = domains.distinct();
            if self.ignored.is_empty() && domains.len() <= 64 {
                // Present domains as one bitmask, branch-free per node.
                let ids = domains.ids_by_node();
                let mut mask = 0u64;
                for &node in feasible {
                    let id = ids.get(node.idx()).copied().unwrap_or(MISSING);
                    mask |= 1u64 << (if id == MISSING { 0 } else { id & 63 });
                }
                while mask != 0 {
                    t.mark(mask.trailing_zeros());
                    mask &= mask - 1;
                }
                continue;
            }
            for &node in feasible {
                if t.size >= all {
                    break;
                }
                if self.ignored.is_empty() || self.ignored.binary_search(&node).is_err() {
                    // A missing label reads as "" here, as `node.Labels[key]` does in Go.
                    t.mark(domains.of_or_empty(node));
                }
            }
        }
        let scored = feasible.len() - self.ignored.len();
        for (c, t) in sp.soft.iter().zip(self.tallies.iter_mut()) {
            let size = if c.is_hostname { scored } else { t.size };
            t.weight = ((size + 2) as f64).ln();
        }
        self.update_counts(cluster, pod, s, false);
        if let Some(sp) = self.specs[s].as_ref() {
            if let Some(pair) = fast_pair(sp) {
                let pair = (
                    pair.0.map(|i| sp.soft[i].key_idx),
                    pair.1.map(|i| sp.soft[i].key_idx),
                );
                if memo_keys(&self.domains, pair.1) <= MEMO_KEYS {
                    self.node_keys.sync(cluster, &self.domains, pair);
                }
            }
        }
        Status::success()
    }

    fn score(&self, cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        let Some(sp) = self.spread() else {
            return 0;
        };
        if !self.ignored.is_empty() && self.ignored.binary_search(&node).is_ok() {
            return 0;
        }
        let mut score = 0.0;
        for (i, c) in sp.soft.iter().enumerate() {
            let Some(d) = self.domains.get(c.key_idx).of(node) else {
                continue;
            };
            let cnt = if c.is_hostname {
                c.count_on(cluster, node)
            } else {
                self.count(sp, false, i, d)
            };
            // `scoreForCount`: maxSkew - 1 waters down differences between domains.
            score += cnt as f64 * self.tallies[i].weight + (c.max_skew - 1) as f64;
        }
        round_half_away(score)
    }

    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        let Some(sp) = self.spread() else {
            out.extend(nodes.iter().map(|&node| NodeScore { node, score: 0 }));
            return;
        };
        // The common shape: system defaults over one template, hoisted out of the node loop.
        let single = |c: &Constraint| match c.matching.specs() {
            [s] => cluster.placement(*s),
            _ => None,
        };
        let fast = self.ignored.is_empty()
            && self.tallies.iter().all(|t| t.direct.is_none())
            && sp
                .soft
                .iter()
                .all(|c| !c.is_hostname || c.matching.specs().len() == 1);
        if !fast {
            out.extend(nodes.iter().map(|&node| NodeScore {
                node,
                score: self.score(cluster, pod, node),
            }));
            return;
        }
        struct Part<'a> {
            domains: &'a super::helper::Domains,
            counts: &'a [i64],
            host: Option<Option<&'a crate::cluster::SpecPlacement>>,
            weight: f64,
            extra: f64,
        }
        let parts: Vec<Part<'_>> = sp
            .soft
            .iter()
            .zip(&sp.soft_counts)
            .zip(&self.tallies)
            .map(|((c, counts), t)| Part {
                domains: self.domains.get(c.key_idx),
                counts: &counts.by_domain,
                host: c.is_hostname.then(|| single(c)),
                weight: t.weight,
                extra: (c.max_skew - 1) as f64,
            })
            .collect();
        let eval = |node: NodeId| {
            let mut score = 0.0;
            for p in &parts {
                let Some(d) = p.domains.of(node) else {
                    continue;
                };
                let cnt = match p.host {
                    Some(pl) => pl.map_or(0, |pl| i64::from(pl.on(node))),
                    None => p.counts.get(d as usize).copied().unwrap_or(0),
                };
                score += cnt as f64 * p.weight + p.extra;
            }
            round_half_away(score)
        };
        // With at most one domain (non-hostname) constraint, a node holding no matching pod
        // and carrying the hostname label scores by its domain alone: memoised per domain
        // (the same computation, so the same float result), which is most nodes of a
        // window when workloads are small.
        let domain_parts: Vec<&Part<'_>> = parts.iter().filter(|p| p.host.is_none()).collect();
        if domain_parts.len() <= 1 {
            let slots = domain_parts.first().map_or(0, |p| p.domains.len()) + 1;
            let mut memo: Vec<Option<i64>> = vec![None; slots];
            out.extend(nodes.iter().map(|&node| {
                let empty_host = parts.iter().all(|p| match p.host {
                    None => true,
                    Some(pl) => {
                        p.domains.of(node).is_some() && pl.is_none_or(|pl| pl.on(node) == 0)
                    }
                });
                let score = if empty_host {
                    let key = domain_parts
                        .first()
                        .map_or(0, |p| p.domains.of(node).map_or(0, |d| d as usize + 1));
                    match memo.get(key).copied().flatten() {
                        Some(v) => v,
                        None => {
                            let v = eval(node);
                            if let Some(m) = memo.get_mut(key) {
                                *m = Some(v);
                            }
                            v
                        }
                    }
                } else {
                    eval(node)
                };
                NodeScore { node, score }
            }));
            return;
        }
        out.extend(nodes.iter().map(|&node| NodeScore {
            node,
            score: eval(node),
        }));
    }

    fn normalize(&self, scores: &mut [NodeScore]) {
        self.normalize_with(scores, |s, v| s.score = v);
    }

    fn window_term<'a>(
        &'a self,
        cluster: &'a Cluster,
        _pod: PodId,
        nodes: &[NodeId],
        weight: i64,
        fixups: &mut Vec<(u32, i64)>,
    ) -> Option<WindowTerm<'a>> {
        self.fast_term(cluster, nodes, weight, fixups)
    }

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
        if self.add_weighted_fast(cluster, nodes, weight, totals) {
            return;
        }
        self.score_all(cluster, pod, nodes, scratch);
        // Normalizing and weighting in one pass.
        let mut i = 0;
        self.normalize_with(scratch, |_, v| {
            totals[i].score += v * weight;
            i += 1;
        });
    }
}

impl PodTopologySpread {
    /// `add_weighted` through `fast_term`; false, touching nothing, when the shape does
    /// not apply.
    fn add_weighted_fast(
        &self,
        cluster: &Cluster,
        nodes: &[NodeId],
        weight: i64,
        totals: &mut [NodeScore],
    ) -> bool {
        let mut fixups = Vec::new();
        let Some(term) = self.fast_term(cluster, nodes, weight, &mut fixups) else {
            return false;
        };
        term.add_to(&fixups, totals);
        true
    }

    /// The window term for the common shape (the system defaults, or explicit soft
    /// constraints alike): at most one hostname constraint, counting a single template, and
    /// at most one other constraint, no node ignored for a missing key and no per-attempt
    /// counts. A node holding no pod of the template scores by its memo key alone (domain
    /// slot and hostname-label presence, scored once per attempt); the few others by the
    /// same sum as `score`, term for term in constraint order, so every float rounds alike,
    /// noted as fixups. One pass over the window finds the keys present (for
    /// NormalizeScore's min and max); the caller adds the per-key values. `None`, touching
    /// nothing, when the shape does not apply.
    fn fast_term<'a>(
        &'a self,
        cluster: &'a Cluster,
        nodes: &[NodeId],
        weight: i64,
        fixups: &mut Vec<(u32, i64)>,
    ) -> Option<WindowTerm<'a>> {
        let sp = self.spread()?;
        if !self.ignored.is_empty() || self.tallies.iter().any(|t| t.direct.is_some()) {
            return None;
        }
        let (host, dom) = fast_pair(sp)?;
        // One term of `scoreForCount`: count * topologyNormalizingWeight + maxSkew - 1.
        let term = |i: usize, cnt: i64| {
            cnt as f64 * self.tallies[i].weight + (sp.soft[i].max_skew - 1) as f64
        };
        let placed = host.and_then(|i| {
            let [spec] = sp.soft[i].matching.specs() else {
                return None;
            };
            cluster.placement(*spec)
        });
        let dom_domains = dom.map(|i| self.domains.get(sp.soft[i].key_idx));
        let dom_counts: &[i64] = dom.map_or(&[], |i| &sp.soft_counts[i].by_domain);
        // The node's score from its hostname count (None: no hostname label) and domain
        // (None: no domain label), terms added in constraint order.
        let eval = |host_cnt: Option<i64>, d: Option<u32>| {
            let mut score = 0.0;
            for (i, c) in sp.soft.iter().enumerate() {
                let cnt = if c.is_hostname {
                    host_cnt
                } else {
                    d.map(|d| dom_counts.get(d as usize).copied().unwrap_or(0))
                };
                if let Some(cnt) = cnt {
                    score += term(i, cnt);
                }
            }
            round_half_away(score)
        };
        // Scores of nodes without a pod of the template, by `2 * domain slot + has
        // hostname label`, the domain slot 0 for no domain label and `d + 1` otherwise.
        let dom_slots = dom_domains.map_or(0, Domains::len) + 1;
        if 2 * dom_slots > MEMO_KEYS {
            return None;
        }
        let mut memo = [0i64; MEMO_KEYS];
        for (key, m) in memo.iter_mut().enumerate().take(2 * dom_slots) {
            let d = (key / 2).checked_sub(1).map(|d| d as u32);
            *m = eval((key % 2 == 1).then_some(0), d);
        }
        let pair = (
            host.map(|i| sp.soft[i].key_idx),
            dom.map(|i| sp.soft[i].key_idx),
        );
        let keys = self.node_keys.keys.as_slice();
        if self.node_keys.pair != pair
            || self.node_keys.label_generation != cluster.label_generation
            || keys.len() != cluster.nodes.len()
        {
            return None;
        }
        // A node holding pods of the template: its domain term (per slot, computed once)
        // plus its hostname term. With at most these two terms, `0.0 + a + b` in
        // constraint order equals `a + b` exactly (IEEE addition commutes, and adding the
        // first term to 0.0 is exact), so the order does not matter.
        let mut dom_terms = [None; MEMO_KEYS / 2];
        for (slot, t) in dom_terms.iter_mut().enumerate().take(dom_slots) {
            *t = dom
                .zip(slot.checked_sub(1))
                .map(|(i, d)| term(i, dom_counts.get(d).copied().unwrap_or(0)));
        }
        let host_term = |on: u32| host.map(|i| term(i, i64::from(on)));
        let slow = |key: usize, on: u32| {
            let th = if key % 2 == 1 { host_term(on) } else { None };
            let td = dom_terms.get(key / 2).copied().flatten();
            let score = match (th, td) {
                (Some(a), Some(b)) => a + b,
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => 0.0,
            };
            if cfg!(debug_assertions) {
                let d = (key / 2).checked_sub(1).map(|d| d as u32);
                let want = eval((key % 2 == 1).then_some(i64::from(on)), d);
                assert_eq!(round_half_away(score), want, "fast spreading score drifted");
            }
            round_half_away(score)
        };
        // Pass 1: the memo keys present in the window, as a bitmask; a node with the
        // hostname label and a pod of the template (rare when workloads are small) is
        // scored on its own and noted (window index, raw score) for now.
        let base = fixups.len();
        let mut present = 0u64;
        let (mut min, mut max) = (i64::MAX, 0);
        let key_of = |node: NodeId| keys.get(node.idx()).map_or(0, |&k| k as usize) % 64;
        match placed.filter(|p| p.total() > 0) {
            None => {
                for &node in nodes {
                    present |= 1 << key_of(node);
                }
            }
            Some(p) => {
                // `slow` by (key, count), filled as met (`i64::MIN`: not yet).
                let mut by_count = [[i64::MIN; COUNT_MEMO]; MEMO_KEYS];
                for (i, &node) in nodes.iter().enumerate() {
                    let key = key_of(node);
                    let on = if key % 2 == 1 { p.on(node) } else { 0 };
                    if on == 0 {
                        present |= 1 << key;
                    } else {
                        let v = match by_count[key].get_mut(on as usize) {
                            Some(m) if *m != i64::MIN => *m,
                            Some(m) => {
                                *m = slow(key, on);
                                *m
                            }
                            None => slow(key, on),
                        };
                        min = min.min(v);
                        max = max.max(v);
                        // The raw score with the key in its low 6 bits until normalized
                        // (an arithmetic shift gives the score back, negative or not).
                        fixups.push((i as u32, v * 64 + key as i64));
                    }
                }
            }
        }
        let mut bits = present;
        while bits != 0 {
            let key = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let v = memo[key];
            min = min.min(v);
            max = max.max(v);
        }
        // NormalizeScore, weighted, per key; a node scored on its own adds the difference
        // between its value and its key's.
        if max == 0 {
            fixups.truncate(base);
            return Some(WindowTerm::Constant(MAX_NODE_SCORE * weight));
        }
        // 100 * (max + min - s) / max, for at most 64 keys and the nodes apart: one
        // division each while they are few, a table of [min, max] once they outnumber it
        // (workloads large enough to hold pods on most nodes of the window).
        let apart = fixups.len() - base;
        let table = if (apart as u64) > (max - min) as u64 + MEMO_KEYS as u64 {
            ScaleTable::new(MAX_NODE_SCORE, min, max)
        } else {
            ScaleTable::untabulated(MAX_NODE_SCORE, min, max)
        };
        let mut values = [0i64; MEMO_KEYS];
        let mut bits = present;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            values[k] = table.scale(max + min - memo[k]) * weight;
        }
        for f in &mut fixups[base..] {
            let (v, key) = (f.1 >> 6, (f.1 & 63) as usize);
            f.1 = table.scale(max + min - v) * weight - values[key];
        }
        Some(WindowTerm::ByKey { keys, values })
    }

    /// NormalizeScore: hands each node's normalized score to `put`, in order.
    fn normalize_with(&self, scores: &mut [NodeScore], mut put: impl FnMut(&mut NodeScore, i64)) {
        let ignored =
            |n: NodeId| !self.ignored.is_empty() && self.ignored.binary_search(&n).is_ok();
        let mut min = i64::MAX;
        let mut max = 0;
        for s in scores.iter() {
            if ignored(s.node) {
                continue;
            }
            min = min.min(s.score);
            max = max.max(s.score);
        }
        if max == 0 {
            for s in scores.iter_mut() {
                let v = if ignored(s.node) { 0 } else { MAX_NODE_SCORE };
                put(s, v);
            }
            return;
        }
        // 100 * (max + min - s) / max over s in [min, max].
        let table = ScaleTable::new(MAX_NODE_SCORE, min, max);
        for s in scores.iter_mut() {
            let v = if ignored(s.node) {
                0
            } else {
                table.scale(max + min - s.score)
            };
            put(s, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;
    use poolcast_model::scenario::{LabelSelector, TopologySpreadConstraint};

    const ZONE: &str = LABEL_TOPOLOGY_ZONE;

    fn constraint(
        key: &str,
        skew: i32,
        action: UnsatisfiableConstraintAction,
    ) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew: skew,
            topology_key: key.into(),
            when_unsatisfiable: action,
            label_selector: Some(LabelSelector {
                match_labels: labels(&[("app", "foo")]),
                match_expressions: vec![],
            }),
            min_domains: None,
            node_affinity_policy: None,
            node_taints_policy: None,
            match_label_keys: vec![],
        }
    }

    /// Nodes a, b in zone1 and x, y in zone2 (pool label "a" except y in "b"), with
    /// `existing[i]` foo pods bound to node i.
    fn cluster4(existing: [usize; 4]) -> (Cluster, [NodeId; 4], SpecId) {
        let mut c = cluster();
        let a = add_node(&mut c, "a", &[(ZONE, "zone1"), ("pool", "a")]);
        let b = add_node(&mut c, "b", &[(ZONE, "zone1"), ("pool", "a")]);
        let x = add_node(&mut c, "x", &[(ZONE, "zone2"), ("pool", "a")]);
        let y = add_node(&mut c, "y", &[(ZONE, "zone2"), ("pool", "b")]);
        let foo = c.add_spec(spec("foo"));
        for (n, k) in [a, b, x, y].into_iter().zip(existing) {
            bind_n(&mut c, foo, n, k);
        }
        (c, [a, b, x, y], foo)
    }

    fn run_filter(c: &Cluster, p: PodId, nodes: &[NodeId]) -> Vec<Code> {
        let mut pl = PodTopologySpread::default();
        let pre = FilterPlugin::pre_filter(&mut pl, c, p);
        if pre.is_skip() {
            return nodes.iter().map(|_| Code::Success).collect();
        }
        nodes
            .iter()
            .map(|&n| {
                let st = pl.filter(c, p, n);
                assert_eq!(pl.check(c, p, n), st.code);
                st.code
            })
            .collect()
    }

    #[test]
    fn filter_skew_min_domains_and_policies() {
        use Code::*;
        use UnsatisfiableConstraintAction::DoNotSchedule;
        struct Case {
            existing: [usize; 4],
            tsc: TopologySpreadConstraint,
            selector: Vec<(&'static str, &'static str)>,
            want: [Code; 4],
        }
        let mut min3 = constraint(ZONE, 1, DoNotSchedule);
        min3.min_domains = Some(3);
        let mut ignore_aff = constraint(ZONE, 1, DoNotSchedule);
        ignore_aff.node_affinity_policy = Some(NodeInclusionPolicy::Ignore);
        let cases = vec![
            // zone1 = 2, zone2 = 1, min 1: zone1 gives 2+1-1 = 2 > 1.
            Case {
                existing: [1, 1, 1, 0],
                tsc: constraint(ZONE, 1, DoNotSchedule),
                selector: vec![],
                want: [Unschedulable, Unschedulable, Success, Success],
            },
            // Balanced zones: everything fits with maxSkew 1.
            Case {
                existing: [1, 0, 1, 0],
                tsc: constraint(ZONE, 1, DoNotSchedule),
                selector: vec![],
                want: [Success, Success, Success, Success],
            },
            // Only two zones exist but minDomains is 3: the minimum is 0, so any domain
            // already holding a pod exceeds maxSkew 1.
            Case {
                existing: [1, 0, 1, 0],
                tsc: min3,
                selector: vec![],
                want: [Unschedulable, Unschedulable, Unschedulable, Unschedulable],
            },
            // hostname maxSkew 1: nodes with a pod fail while an empty node exists.
            Case {
                existing: [1, 0, 1, 1],
                tsc: constraint(LABEL_HOSTNAME, 1, DoNotSchedule),
                selector: vec![],
                want: [Unschedulable, Success, Unschedulable, Unschedulable],
            },
            // nodeAffinityPolicy Honor (default) with nodeSelector pool=a: y is not
            // eligible, so zone2 counts x only (0) and zone1 = 2 is too far ahead
            // (nodeSelector filtering of y is NodeAffinity's business, not this plugin's).
            Case {
                existing: [1, 1, 0, 3],
                tsc: constraint(ZONE, 1, DoNotSchedule),
                selector: vec![("pool", "a")],
                want: [Unschedulable, Unschedulable, Success, Success],
            },
            // Ignore: y's three pods count, zone2 = 3 > zone1 = 2.
            Case {
                existing: [1, 1, 0, 3],
                tsc: ignore_aff,
                selector: vec![("pool", "a")],
                want: [Success, Success, Unschedulable, Unschedulable],
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let (mut c, nodes, _) = cluster4(case.existing);
            let mut s = spec("foo");
            s.topology_spread = vec![case.tsc];
            s.node_selector = labels(&case.selector);
            let p = add_pod(&mut c, s);
            assert_eq!(run_filter(&c, p, &nodes), case.want, "case {i}");
        }
    }

    #[test]
    fn filter_rejects_nodes_without_the_key_and_skips_without_hard_constraints() {
        let (mut c, nodes, _) = cluster4([0; 4]);
        let bare = add_node(&mut c, "bare", &[]);
        let mut s = spec("foo");
        s.topology_spread = vec![constraint(
            ZONE,
            1,
            UnsatisfiableConstraintAction::DoNotSchedule,
        )];
        let p = add_pod(&mut c, s);
        let mut pl = PodTopologySpread::default();
        assert!(FilterPlugin::pre_filter(&mut pl, &c, p).is_success());
        let st = pl.filter(&c, p, bare);
        assert_eq!(st.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(
            st.reasons,
            vec![ERR_REASON_NODE_LABEL_NOT_MATCH.to_string()]
        );
        assert!(pl.filter(&c, p, nodes[0]).is_success());

        let mut s = spec("soft");
        s.system_default_spread = true;
        let q = add_pod(&mut c, s);
        assert!(FilterPlugin::pre_filter(&mut pl, &c, q).is_skip());
    }

    #[test]
    fn filter_counts_only_the_pods_namespace() {
        let (mut c, nodes, foo) = cluster4([0, 0, 0, 0]);
        let mut other = spec("foo");
        other.namespace = "other".into();
        let other = c.add_spec(other);
        bind_n(&mut c, other, nodes[0], 3);
        let _ = foo;
        let mut s = spec("foo");
        s.topology_spread = vec![constraint(
            ZONE,
            1,
            UnsatisfiableConstraintAction::DoNotSchedule,
        )];
        let p = add_pod(&mut c, s);
        assert_eq!(run_filter(&c, p, &nodes), [Code::Success; 4]);
    }

    fn run_score(c: &Cluster, p: PodId, nodes: &[NodeId]) -> (Vec<i64>, Vec<i64>) {
        let mut pl = PodTopologySpread::default();
        assert!(pl.pre_score(c, p, nodes).is_success());
        let mut scores: Vec<NodeScore> = nodes
            .iter()
            .map(|&node| NodeScore {
                node,
                score: pl.score(c, p, node),
            })
            .collect();
        let raw = scores.iter().map(|s| s.score).collect();
        pl.normalize(&mut scores);
        (raw, scores.iter().map(|s| s.score).collect())
    }

    #[test]
    fn system_default_score_hand_computed() {
        // n1, n2 in z1, n3 in z2; the workload has 2 pods on n1 and 1 on n3.
        // hostname: 3 feasible -> w = ln 5; zone: 2 domains -> w = ln 4; z1 = 2, z2 = 1.
        // n1 = 2 ln5 + 2 + 2 ln4 + 4 = 11.99 -> 12; n2 = 2 + 2 ln4 + 4 = 8.77 -> 9;
        // n3 = ln5 + 2 + ln4 + 4 = 9.00 -> 9. Normalized: 100*(12+9-s)/12 = 75, 100, 100.
        let mut c = cluster();
        let n1 = add_node(&mut c, "n1", &[(ZONE, "z1")]);
        let n2 = add_node(&mut c, "n2", &[(ZONE, "z1")]);
        let n3 = add_node(&mut c, "n3", &[(ZONE, "z2")]);
        let mut s = spec("web");
        s.system_default_spread = true;
        let web = c.add_spec(s);
        bind_n(&mut c, web, n1, 2);
        bind_n(&mut c, web, n3, 1);
        // An unrelated workload never counts.
        let other = c.add_spec(spec("other"));
        bind_n(&mut c, other, n2, 5);
        let p = c.add_pod("web-new".into(), web, None);
        let (raw, norm) = run_score(&c, p, &[n1, n2, n3]);
        assert_eq!(raw, [12, 9, 9]);
        assert_eq!(norm, [75, 100, 100]);
    }

    /// The fused pass (`add_weighted`, and its memo-key fast path where the shape allows)
    /// against plain `score` + `normalize` on windows with nodes holding pods, nodes
    /// without a zone label and nodes without a hostname label.
    #[test]
    fn fused_scores_match_score_and_normalize() {
        let mut c = cluster();
        let mut nodes = Vec::new();
        for i in 0..9 {
            let zone = ["z1", "z2", "z3"][i % 3];
            nodes.push(add_node(&mut c, &format!("n{i}"), &[(ZONE, zone)]));
        }
        nodes.push(add_node(&mut c, "nozone", &[]));
        let mut bare = node("nohost", &[(ZONE, "z1")]);
        bare.labels.remove(LABEL_HOSTNAME);
        nodes.push(c.add_node(bare));
        let mut s = spec("web");
        s.system_default_spread = true;
        let web = c.add_spec(s);
        let other = c.add_spec(spec("other"));
        for (k, &n) in nodes.iter().enumerate() {
            bind_n(&mut c, web, n, [0, 2, 0, 1, 0, 0, 3, 0, 0, 1, 2][k]);
            bind_n(&mut c, other, n, k % 2);
        }
        let p = c.add_pod("web-new".into(), web, None);
        // Windows: all nodes, a rotated subset, one node, nodes without pods only.
        let windows: Vec<Vec<NodeId>> = vec![
            nodes.clone(),
            nodes[3..].iter().chain(&nodes[..2]).copied().collect(),
            vec![nodes[1]],
            vec![nodes[0], nodes[2], nodes[4]],
        ];
        for window in windows {
            let (_, norm) = run_score(&c, p, &window);
            let mut pl = PodTopologySpread::default();
            assert!(pl.pre_score(&c, p, &window).is_success());
            let mut totals: Vec<NodeScore> = window
                .iter()
                .map(|&node| NodeScore { node, score: 7 })
                .collect();
            assert!(pl.add_weighted_fast(&c, &window, 2, &mut totals));
            let fused: Vec<i64> = totals.iter().map(|t| t.score).collect();
            let want: Vec<i64> = norm.iter().map(|v| 7 + 2 * v).collect();
            assert_eq!(fused, want, "window {window:?}");
        }
    }

    #[test]
    fn system_defaults_keep_nodes_without_zone_label() {
        // Without a zone label a node still gets hostname spreading (requireAllTopologies is
        // false for system defaults); zone domains: "" and z1 -> w = ln 4.
        let mut c = cluster();
        let n1 = add_node(&mut c, "n1", &[(ZONE, "z1")]);
        let n2 = add_node(&mut c, "n2", &[]);
        let mut s = spec("web");
        s.system_default_spread = true;
        let web = c.add_spec(s);
        bind_n(&mut c, web, n1, 1);
        let p = c.add_pod("web-new".into(), web, None);
        // n1 = ln4 + 2 + ln4 + 4 = 8.77 -> 9; n2 = 0 + 2 (no zone label) = 2.
        let (raw, norm) = run_score(&c, p, &[n1, n2]);
        assert_eq!(raw, [9, 2]);
        // 100*(9+2-9)/9 = 22, 100*(9+2-2)/9 = 100.
        assert_eq!(norm, [22, 100]);
    }

    #[test]
    fn explicit_soft_constraint_ignores_nodes_missing_the_key() {
        let (mut c, nodes, _) = cluster4([2, 0, 1, 0]);
        let bare = add_node(&mut c, "bare", &[]);
        let mut s = spec("foo");
        s.topology_spread = vec![constraint(
            ZONE,
            1,
            UnsatisfiableConstraintAction::ScheduleAnyway,
        )];
        let p = add_pod(&mut c, s);
        let mut all = nodes.to_vec();
        all.push(bare);
        // zone1 = 2, zone2 = 1, w = ln 4: zone1 nodes 2.77 -> 3, zone2 1.39 -> 1.
        let (raw, norm) = run_score(&c, p, &all);
        assert_eq!(raw, [3, 3, 1, 1, 0]);
        // 100*(3+1-s)/3: 33, 33, 100, 100; the ignored node gets 0.
        assert_eq!(norm, [33, 33, 100, 100, 0]);
    }

    #[test]
    fn workload_without_labels_spreads_over_its_own_pods() {
        let mut c = cluster();
        let n1 = add_node(&mut c, "n1", &[(ZONE, "z1")]);
        let n2 = add_node(&mut c, "n2", &[(ZONE, "z1")]);
        let mut s = spec("web");
        s.labels.clear();
        s.system_default_spread = true;
        let web = c.add_spec(s);
        bind_n(&mut c, web, n1, 3);
        let mut o = spec("other");
        o.labels.clear();
        let other = c.add_spec(o);
        bind_n(&mut c, other, n2, 3);
        let p = c.add_pod("web-new".into(), web, None);
        // hostname w = ln 4, zone w = ln 3 (one domain, z1 = 3):
        // n1 = 3 ln4 + 2 + 3 ln3 + 4 = 13.45 -> 13; n2 = 2 + 3 ln3 + 4 = 9.30 -> 9.
        let (raw, _) = run_score(&c, p, &[n1, n2]);
        assert_eq!(raw, [13, 9]);
    }

    #[test]
    fn cached_counts_follow_binds_unbinds_and_new_nodes() {
        // One long-lived scorer against a fresh one after every change.
        let mut c = cluster();
        let mut nodes = vec![
            add_node(&mut c, "n1", &[(ZONE, "z1")]),
            add_node(&mut c, "n2", &[(ZONE, "z2")]),
        ];
        let mut s = spec("web");
        s.system_default_spread = true;
        let web = c.add_spec(s);
        let probe = c.add_pod("probe".into(), web, None);
        let mut kept = PodTopologySpread::default();
        let mut bound = Vec::new();
        for step in 0..12 {
            match step % 4 {
                0 => nodes.push(add_node(&mut c, &format!("x{step}"), &[(ZONE, "z3")])),
                1 | 2 => {
                    let p = c.add_pod(format!("p{step}"), web, None);
                    c.bind(p, nodes[step % nodes.len()]);
                    bound.push(p);
                }
                _ => {
                    let p = bound.remove(0);
                    c.unbind(p);
                }
            }
            let scores = |pl: &mut PodTopologySpread| -> Vec<i64> {
                assert!(pl.pre_score(&c, probe, &nodes).is_success());
                nodes.iter().map(|&n| pl.score(&c, probe, n)).collect()
            };
            assert_eq!(
                scores(&mut kept),
                scores(&mut PodTopologySpread::default()),
                "step {step}"
            );
        }
    }
}

//! InterPodAffinity (`pkg/scheduler/framework/plugins/interpodaffinity/`: `filtering.go`,
//! `scoring.go`, `plugin.go`; term matching from `framework/types.go` `AffinityTerm.Matches`).
//!
//! Filter, in kube's order:
//! 1. the pod's required affinity: every term's topology key must be on the node, and the
//!    node's domain must hold a pod matching *all* terms, unless no such pod exists anywhere
//!    and the pod matches its own terms (the first pod of a self-affine group);
//!    `node(s) didn't match pod affinity rules`, UnschedulableAndUnresolvable;
//! 2. the pod's required anti-affinity: no matching pod in the node's domain of any term;
//!    `node(s) didn't match pod anti-affinity rules`, Unschedulable;
//! 3. existing pods' required anti-affinity (symmetry): no existing pod whose term matches
//!    the incoming pod may sit in the node's domain of that term;
//!    `node(s) didn't satisfy existing pods anti-affinity rules`, Unschedulable.
//!
//! Score: for every topology domain, `+weight` per existing pod matching the pod's
//! preferred affinity terms and `-weight` for preferred anti-affinity; existing pods'
//! required affinity terms matching the pod add `hardPodAffinityWeight` (1), their preferred
//! terms `+/-weight`. A node scores the sum over its domains, normalized
//! `100 * (s - min) / (max - min)`.
//!
//! Namespaces: a term's `namespaces` (default: its pod's own) or its `namespaceSelector`,
//! matched against `kubernetes.io/metadata.name`, the one namespace label poolcast knows.
//! Counting walks `Cluster::placements` of the templates each term matches (cached per
//! template pair), not every pod.

use std::collections::BTreeMap;

use poolcast_model::scenario::PodAffinityTerm;

use super::helper::{namespace_labels, DomainCache, Selector};
use crate::cluster::{Cluster, NodeId, PodId, PodSpec, SpecId};
use crate::scheduler::framework::{Code, FilterPlugin, NodeScore, ScorePlugin, Status};

/// Plugin name.
pub const NAME: &str = "InterPodAffinity";
/// `ErrReasonAffinityRulesNotMatch`.
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch`.
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";
/// `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// `hardPodAffinityWeight` default (`InterPodAffinityArgs`).
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// A parsed affinity term (`framework.AffinityTerm`).
#[derive(Debug, Clone)]
struct Term {
    selector: Selector,
    namespaces: Vec<String>,
    namespace_selector: Option<Selector>,
    key: String,
}

impl Term {
    /// `newAffinityTerm` for a term of a pod with `owner`'s labels and namespace;
    /// `matchLabelKeys`/`mismatchLabelKeys` are merged into the selector as the API server
    /// does at creation.
    fn new(t: &PodAffinityTerm, owner: &PodSpec) -> Term {
        let selector = Selector::from_label_selector(t.label_selector.as_ref())
            .with_match_label_keys(&t.match_label_keys, &owner.labels)
            .with_mismatch_label_keys(&t.mismatch_label_keys, &owner.labels);
        let namespaces = if t.namespaces.is_empty() && t.namespace_selector.is_none() {
            vec![owner.namespace.clone()]
        } else {
            t.namespaces.clone()
        };
        Term {
            selector,
            namespaces,
            namespace_selector: t
                .namespace_selector
                .as_ref()
                .map(|s| Selector::from_label_selector(Some(s))),
            key: t.topology_key.clone(),
        }
    }

    /// `AffinityTerm.Matches` for pods of template `s`.
    fn matches(&self, s: &PodSpec) -> bool {
        let ns_ok = self.namespaces.contains(&s.namespace)
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|sel| sel.matches(&namespace_labels(&s.namespace)));
        ns_ok && self.selector.matches(&s.labels)
    }
}

/// A template's parsed terms.
#[derive(Debug, Clone, Default)]
struct SpecTerms {
    req_affinity: Vec<Term>,
    req_anti: Vec<Term>,
    pref_affinity: Vec<(i64, Term)>,
    pref_anti: Vec<(i64, Term)>,
}

impl SpecTerms {
    fn new(spec: &PodSpec) -> SpecTerms {
        let mut t = SpecTerms::default();
        let Some(a) = &spec.affinity else {
            return t;
        };
        if let Some(pa) = &a.pod_affinity {
            t.req_affinity = pa
                .required_during_scheduling_ignored_during_execution
                .iter()
                .map(|x| Term::new(x, spec))
                .collect();
            t.pref_affinity = pa
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .map(|w| (i64::from(w.weight), Term::new(&w.pod_affinity_term, spec)))
                .collect();
        }
        if let Some(pa) = &a.pod_anti_affinity {
            t.req_anti = pa
                .required_during_scheduling_ignored_during_execution
                .iter()
                .map(|x| Term::new(x, spec))
                .collect();
            t.pref_anti = pa
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .map(|w| (i64::from(w.weight), Term::new(&w.pod_affinity_term, spec)))
                .collect();
        }
        t
    }

    fn is_empty(&self) -> bool {
        self.req_affinity.is_empty()
            && self.req_anti.is_empty()
            && self.pref_affinity.is_empty()
            && self.pref_anti.is_empty()
    }
}

/// What other templates mean to one incoming template, extended as templates are added.
#[derive(Debug, Default)]
struct Relations {
    seen: usize,
    /// Templates whose pods match every required affinity term.
    affinity: Vec<SpecId>,
    /// Per required anti-affinity term, the templates whose pods match it.
    anti: Vec<Vec<SpecId>>,
    /// Existing templates' required anti-affinity terms matching the incoming pod:
    /// (template, topology key).
    existing_anti: Vec<(SpecId, String)>,
    /// Score contributions: (template, [(topology key, weight per pod)]).
    score: Vec<(SpecId, Vec<(String, i64)>)>,
    /// The incoming pod matches all of its own required affinity terms.
    self_affine: bool,
}

/// Counts per (topology key, domain) with kube's map semantics (`topologyToMatchedTermCount`).
#[derive(Debug, Default)]
struct TopoCounts {
    /// (domain cache index, domain id) -> count; entries are created on first touch.
    map: BTreeMap<(usize, u32), i64>,
    keys: Vec<usize>,
}

impl TopoCounts {
    fn clear(&mut self) {
        self.map.clear();
        self.keys.clear();
    }

    fn add(&mut self, key: usize, d: u32, v: i64) {
        *self.map.entry((key, d)).or_insert(0) += v;
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    fn get(&self, key: usize, d: u32) -> i64 {
        self.map.get(&(key, d)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The plugin. One instance serves as filter, another as scorer; each keeps its caches.
#[derive(Debug, Default)]
pub struct InterPodAffinity {
    terms: Vec<Option<SpecTerms>>,
    /// Templates with any pod (anti-)affinity term, in id order: the only ones a template
    /// without terms of its own can relate to.
    with_terms: Vec<SpecId>,
    relations: Vec<Option<Relations>>,
    domains: DomainCache,
    current: usize,
    /// Domain cache index of each required affinity / anti-affinity term of the pod.
    affinity_keys: Vec<usize>,
    anti_keys: Vec<usize>,
    affinity_counts: TopoCounts,
    anti_counts: TopoCounts,
    existing_anti: TopoCounts,
    scores: TopoCounts,
}

impl InterPodAffinity {
    fn compile(&mut self, cluster: &Cluster) {
        let from = self.terms.len();
        for (i, s) in cluster.specs.iter().enumerate().skip(from) {
            let t = SpecTerms::new(s);
            if !t.is_empty() {
                self.with_terms.push(SpecId(i as u32));
            }
            self.terms.push(Some(t));
        }
    }

    fn spec_terms(&self, s: usize) -> &SpecTerms {
        const EMPTY: &SpecTerms = &SpecTerms {
            req_affinity: Vec::new(),
            req_anti: Vec::new(),
            pref_affinity: Vec::new(),
            pref_anti: Vec::new(),
        };
        self.terms.get(s).and_then(Option::as_ref).unwrap_or(EMPTY)
    }

    /// Parses templates and extends the incoming template's relations; returns its index.
    fn prepare(&mut self, cluster: &Cluster, pod: PodId) -> usize {
        self.compile(cluster);
        let me = cluster.pods[pod.idx()].spec.idx();
        if self.relations.len() <= me {
            self.relations.resize_with(me + 1, || None);
        }
        let mut rel = self.relations[me].take().unwrap_or_default();
        if rel.seen == cluster.specs.len() {
            self.relations[me] = Some(rel);
            self.current = me;
            return me;
        }
        let mine = if self.spec_terms(me).is_empty() {
            SpecTerms::default()
        } else {
            self.spec_terms(me).clone()
        };
        let my_spec = &cluster.specs[me];
        if rel.seen == 0 {
            rel.anti = vec![Vec::new(); mine.req_anti.len()];
            rel.self_affine = !mine.req_affinity.is_empty()
                && mine.req_affinity.iter().all(|t| t.matches(my_spec));
        }
        // Without terms of its own, a template relates only to templates with terms.
        let candidates: Vec<usize> = if mine.is_empty() {
            let from = self.with_terms.partition_point(|s| s.idx() < rel.seen);
            self.with_terms[from..].iter().map(|s| s.idx()).collect()
        } else {
            (rel.seen..cluster.specs.len()).collect()
        };
        for i in candidates {
            let other = &cluster.specs[i];
            let id = SpecId(i as u32);
            let theirs = self.spec_terms(i);
            if mine.is_empty() && theirs.is_empty() {
                continue;
            }
            if !mine.req_affinity.is_empty() && mine.req_affinity.iter().all(|t| t.matches(other)) {
                rel.affinity.push(id);
            }
            for (k, t) in mine.req_anti.iter().enumerate() {
                if t.matches(other) {
                    rel.anti[k].push(id);
                }
            }
            for t in &theirs.req_anti {
                if t.matches(my_spec) {
                    rel.existing_anti.push((id, t.key.clone()));
                }
            }
            // processExistingPod: the pod's preferred terms over the existing pod, and the
            // existing pod's required (hardPodAffinityWeight) and preferred terms over the pod.
            let mut contrib: Vec<(String, i64)> = Vec::new();
            for (w, t) in &mine.pref_affinity {
                if t.matches(other) {
                    contrib.push((t.key.clone(), *w));
                }
            }
            for (w, t) in &mine.pref_anti {
                if t.matches(other) {
                    contrib.push((t.key.clone(), -*w));
                }
            }
            for t in &theirs.req_affinity {
                if t.matches(my_spec) {
                    contrib.push((t.key.clone(), HARD_POD_AFFINITY_WEIGHT));
                }
            }
            for (w, t) in &theirs.pref_affinity {
                if t.matches(my_spec) {
                    contrib.push((t.key.clone(), *w));
                }
            }
            for (w, t) in &theirs.pref_anti {
                if t.matches(my_spec) {
                    contrib.push((t.key.clone(), -*w));
                }
            }
            if !contrib.is_empty() {
                rel.score.push((id, contrib));
            }
        }
        rel.seen = cluster.specs.len();
        self.relations[me] = Some(rel);
        self.current = me;
        me
    }

    fn relations(&self) -> Option<&Relations> {
        self.relations.get(self.current).and_then(Option::as_ref)
    }

    /// Adds, for each live node holding pods of `spec` and carrying `key`, `weight` per pod
    /// to the node's domain.
    fn tally(
        cluster: &Cluster,
        domains: &DomainCache,
        out: &mut TopoCounts,
        spec: SpecId,
        key: usize,
        weight: i64,
    ) -> bool {
        let mut touched = false;
        let Some(pl) = cluster.placement(spec) else {
            return false;
        };
        for &n in pl.hosts() {
            if !cluster.nodes[n.idx()].live || cluster.nodes[n.idx()].labels.is_empty() {
                continue;
            }
            if let Some(d) = domains.get(key).of(n) {
                out.add(key, d, weight * i64::from(pl.on(n)));
                touched = true;
            }
        }
        touched
    }

    fn fits(&self, node: NodeId) -> Code {
        let Some(rel) = self.relations() else {
            return Code::Success;
        };
        // satisfyPodAffinity
        let mut pods_exist = true;
        for &k in &self.affinity_keys {
            match self.domains.get(k).of(node) {
                None => return Code::UnschedulableAndUnresolvable,
                Some(d) => {
                    if self.affinity_counts.get(k, d) <= 0 {
                        pods_exist = false;
                    }
                }
            }
        }
        // Without a matching pod in the domain, only the first pod of a self-affine group
        // passes: no pod matches anywhere and the pod matches its own terms.
        let first_of_group = self.affinity_counts.is_empty() && rel.self_affine;
        if !pods_exist && !first_of_group {
            return Code::UnschedulableAndUnresolvable;
        }
        // satisfyPodAntiAffinity
        if !self.anti_counts.is_empty() {
            for &k in &self.anti_keys {
                if let Some(d) = self.domains.get(k).of(node) {
                    if self.anti_counts.get(k, d) > 0 {
                        return Code::Unschedulable;
                    }
                }
            }
        }
        // satisfyExistingPodsAntiAffinity
        for &k in &self.existing_anti.keys {
            if let Some(d) = self.domains.get(k).of(node) {
                if self.existing_anti.get(k, d) > 0 {
                    return Code::Unschedulable;
                }
            }
        }
        Code::Success
    }
}

impl FilterPlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pre_filter(&mut self, cluster: &Cluster, pod: PodId) -> Status {
        let me = self.prepare(cluster, pod);
        let Some(mine) = self.terms.get(me).and_then(Option::as_ref) else {
            return Status::skip();
        };
        let (has_affinity, has_anti) = (!mine.req_affinity.is_empty(), !mine.req_anti.is_empty());
        let keys: Vec<String> = mine.req_affinity.iter().map(|t| t.key.clone()).collect();
        let anti: Vec<String> = mine.req_anti.iter().map(|t| t.key.clone()).collect();
        self.affinity_keys = keys
            .iter()
            .map(|k| self.domains.sync_key(cluster, k))
            .collect();
        self.anti_keys = anti
            .iter()
            .map(|k| self.domains.sync_key(cluster, k))
            .collect();
        let Some(rel) = self.relations[me].take() else {
            return Status::skip();
        };
        self.existing_anti.clear();
        for (spec, key) in &rel.existing_anti {
            let k = self.domains.sync_key(cluster, key);
            Self::tally(cluster, &self.domains, &mut self.existing_anti, *spec, k, 1);
        }
        // An existing pod counts for affinity only if it matches every term; it then adds
        // to each term's domain (`updateWithAffinityTerms`).
        self.affinity_counts.clear();
        for &spec in &rel.affinity {
            for &k in &self.affinity_keys {
                Self::tally(
                    cluster,
                    &self.domains,
                    &mut self.affinity_counts,
                    spec,
                    k,
                    1,
                );
            }
        }
        self.anti_counts.clear();
        for (t, specs) in rel.anti.iter().enumerate() {
            let k = self.anti_keys[t];
            for &spec in specs {
                Self::tally(cluster, &self.domains, &mut self.anti_counts, spec, k, 1);
            }
        }
        self.relations[me] = Some(rel);
        if self.existing_anti.is_empty() && !has_affinity && !has_anti {
            return Status::skip();
        }
        Status::success()
    }

    fn check(&self, _cluster: &Cluster, _pod: PodId, node: NodeId) -> Code {
        self.fits(node)
    }

    fn filter(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> Status {
        match self.check(cluster, pod, node) {
            Code::Success => Status::success(),
            Code::UnschedulableAndUnresolvable => Status::new(
                Code::UnschedulableAndUnresolvable,
                NAME,
                ERR_REASON_AFFINITY_RULES_NOT_MATCH,
            ),
            code => {
                // Which rule failed decides the message; re-derive it in kube's order.
                let anti = !self.anti_counts.is_empty()
                    && self.anti_keys.iter().any(|&k| {
                        self.domains
                            .get(k)
                            .of(node)
                            .is_some_and(|d| self.anti_counts.get(k, d) > 0)
                    });
                let reason = if anti {
                    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH
                } else {
                    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH
                };
                Status::new(code, NAME, reason)
            }
        }
    }
}

impl ScorePlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pre_score(&mut self, cluster: &Cluster, pod: PodId, _feasible: &[NodeId]) -> Status {
        let me = self.prepare(cluster, pod);
        let Some(rel) = self.relations[me].take() else {
            return Status::skip();
        };
        self.scores.clear();
        let mut touched = false;
        for (spec, contrib) in &rel.score {
            for (key, w) in contrib {
                let k = self.domains.sync_key(cluster, key);
                touched |= Self::tally(cluster, &self.domains, &mut self.scores, *spec, k, *w);
            }
        }
        self.relations[me] = Some(rel);
        // No node produced a topology entry: kube skips the plugin.
        if touched {
            Status::success()
        } else {
            Status::skip()
        }
    }

    fn score(&self, _cluster: &Cluster, _pod: PodId, node: NodeId) -> i64 {
        self.scores
            .keys
            .iter()
            .filter_map(|&k| self.domains.get(k).of(node).map(|d| self.scores.get(k, d)))
            .sum()
    }

    fn normalize(&self, scores: &mut [NodeScore]) {
        if self.scores.is_empty() {
            return;
        }
        let min = scores.iter().map(|s| s.score).min().unwrap_or(0);
        let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
        let diff = max - min;
        for s in scores.iter_mut() {
            // float64(MaxNodeScore) * (float64(score - min) / float64(max - min)), truncated.
            s.score = if diff > 0 {
                (100.0 * ((s.score - min) as f64 / diff as f64)) as i64
            } else {
                0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;
    use poolcast_model::scenario::{Affinity, LabelSelector, PodAffinity, WeightedPodAffinityTerm};

    const ZONE: &str = "topology.kubernetes.io/zone";
    const HOST: &str = "kubernetes.io/hostname";

    fn term(app: &str, key: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: labels(&[("app", app)]),
                match_expressions: vec![],
            }),
            namespaces: vec![],
            namespace_selector: None,
            topology_key: key.into(),
            match_label_keys: vec![],
            mismatch_label_keys: vec![],
        }
    }

    fn required(aff: Vec<PodAffinityTerm>, anti: Vec<PodAffinityTerm>) -> Option<Affinity> {
        Some(Affinity {
            node_affinity: None,
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: aff,
                preferred_during_scheduling_ignored_during_execution: vec![],
            }),
            pod_anti_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: anti,
                preferred_during_scheduling_ignored_during_execution: vec![],
            }),
        })
    }

    fn preferred(
        aff: Vec<(i32, PodAffinityTerm)>,
        anti: Vec<(i32, PodAffinityTerm)>,
    ) -> Option<Affinity> {
        let w = |v: Vec<(i32, PodAffinityTerm)>| {
            v.into_iter()
                .map(|(weight, pod_affinity_term)| WeightedPodAffinityTerm {
                    weight,
                    pod_affinity_term,
                })
                .collect()
        };
        Some(Affinity {
            node_affinity: None,
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: vec![],
                preferred_during_scheduling_ignored_during_execution: w(aff),
            }),
            pod_anti_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: vec![],
                preferred_during_scheduling_ignored_during_execution: w(anti),
            }),
        })
    }

    /// a, b in z1; x in z2; bare has no zone label.
    fn nodes(c: &mut Cluster) -> [NodeId; 4] {
        [
            add_node(c, "a", &[(ZONE, "z1")]),
            add_node(c, "b", &[(ZONE, "z1")]),
            add_node(c, "x", &[(ZONE, "z2")]),
            add_node(c, "bare", &[]),
        ]
    }

    fn filter_all(c: &Cluster, p: PodId, ns: &[NodeId]) -> Vec<(Code, String)> {
        let mut pl = InterPodAffinity::default();
        if FilterPlugin::pre_filter(&mut pl, c, p).is_skip() {
            return ns.iter().map(|_| (Code::Success, String::new())).collect();
        }
        ns.iter()
            .map(|&n| {
                let st = pl.filter(c, p, n);
                assert_eq!(pl.check(c, p, n), st.code);
                (st.code, st.reasons.first().cloned().unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn required_affinity_anti_affinity_and_symmetry() {
        use Code::*;
        let ok = (Success, String::new());
        let aff = (
            UnschedulableAndUnresolvable,
            ERR_REASON_AFFINITY_RULES_NOT_MATCH.to_string(),
        );
        let anti = (
            Unschedulable,
            ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH.to_string(),
        );
        let sym = (
            Unschedulable,
            ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH.to_string(),
        );

        // Affinity to db in the same zone; db runs on a (z1).
        let mut c = cluster();
        let ns = nodes(&mut c);
        let db = c.add_spec(spec("db"));
        bind_n(&mut c, db, ns[0], 1);
        let mut s = spec("web");
        s.affinity = required(vec![term("db", ZONE)], vec![]);
        let p = add_pod(&mut c, s);
        assert_eq!(
            filter_all(&c, p, &ns),
            [ok.clone(), ok.clone(), aff.clone(), aff.clone()]
        );

        // Anti-affinity to itself per host: a already runs web.
        let mut c = cluster();
        let ns = nodes(&mut c);
        let mut s = spec("web");
        s.affinity = required(vec![], vec![term("web", HOST)]);
        let web = c.add_spec(s);
        bind_n(&mut c, web, ns[0], 1);
        let p = c.add_pod("web-new".into(), web, None);
        assert_eq!(
            filter_all(&c, p, &ns),
            [anti.clone(), ok.clone(), ok.clone(), ok.clone()]
        );

        // An existing guard pod on x repels web from its zone (z2).
        let mut c = cluster();
        let ns = nodes(&mut c);
        let mut g = spec("guard");
        g.affinity = required(vec![], vec![term("web", ZONE)]);
        let guard = c.add_spec(g);
        bind_n(&mut c, guard, ns[2], 1);
        let p = add_pod(&mut c, spec("web"));
        assert_eq!(
            filter_all(&c, p, &ns),
            [ok.clone(), ok.clone(), sym.clone(), ok.clone()]
        );

        // No guard: nothing to check, the plugin skips.
        let mut c = cluster();
        let ns = nodes(&mut c);
        let p = add_pod(&mut c, spec("web"));
        let mut pl = InterPodAffinity::default();
        assert!(FilterPlugin::pre_filter(&mut pl, &c, p).is_skip());
        let _ = ns;
    }

    #[test]
    fn first_pod_of_a_self_affine_group() {
        // cache pods want to sit with cache pods; none exists yet, so the first may go to any
        // node that carries the key. Once one runs in z1, the next must follow it there.
        let mut c = cluster();
        let ns = nodes(&mut c);
        let mut s = spec("cache");
        s.affinity = required(vec![term("cache", ZONE)], vec![]);
        let cache = c.add_spec(s);
        let p = c.add_pod("cache-0".into(), cache, None);
        let codes: Vec<Code> = filter_all(&c, p, &ns).into_iter().map(|x| x.0).collect();
        assert_eq!(
            codes,
            [
                Code::Success,
                Code::Success,
                Code::Success,
                Code::UnschedulableAndUnresolvable
            ]
        );
        c.bind(p, ns[0]);
        let q = c.add_pod("cache-1".into(), cache, None);
        let codes: Vec<Code> = filter_all(&c, q, &ns).into_iter().map(|x| x.0).collect();
        assert_eq!(
            codes,
            [
                Code::Success,
                Code::Success,
                Code::UnschedulableAndUnresolvable,
                Code::UnschedulableAndUnresolvable
            ]
        );
        // A pod that does not match its own terms gets no such exemption.
        let mut o = spec("other");
        o.affinity = required(vec![term("cache", ZONE)], vec![]);
        o.namespace = "elsewhere".into();
        let r = add_pod(&mut c, o);
        let codes: Vec<Code> = filter_all(&c, r, &ns).into_iter().map(|x| x.0).collect();
        assert!(codes
            .iter()
            .all(|&x| x == Code::UnschedulableAndUnresolvable));
    }

    #[test]
    fn namespaces_and_namespace_selector() {
        let mut c = cluster();
        let ns = nodes(&mut c);
        let mut other = spec("web");
        other.namespace = "team-b".into();
        let other = c.add_spec(other);
        bind_n(&mut c, other, ns[0], 1);
        // Default namespace only: the team-b pod is invisible.
        let mut s = spec("web");
        s.affinity = required(vec![], vec![term("web", HOST)]);
        let p = add_pod(&mut c, s);
        assert_eq!(filter_all(&c, p, &ns)[0].0, Code::Success);
        // An empty namespaceSelector selects every namespace.
        let mut t = term("web", HOST);
        t.namespace_selector = Some(LabelSelector::default());
        let mut s = spec("web2");
        s.affinity = required(vec![], vec![t]);
        let p = add_pod(&mut c, s);
        assert_eq!(filter_all(&c, p, &ns)[0].0, Code::Unschedulable);
        // A selector on kubernetes.io/metadata.name picks team-b explicitly.
        let mut t = term("web", HOST);
        t.namespace_selector = Some(LabelSelector {
            match_labels: labels(&[("kubernetes.io/metadata.name", "team-b")]),
            match_expressions: vec![],
        });
        let mut s = spec("web3");
        s.affinity = required(vec![], vec![t]);
        let p = add_pod(&mut c, s);
        assert_eq!(filter_all(&c, p, &ns)[0].0, Code::Unschedulable);
    }

    fn score_all(c: &Cluster, p: PodId, ns: &[NodeId]) -> Option<(Vec<i64>, Vec<i64>)> {
        let mut pl = InterPodAffinity::default();
        if pl.pre_score(c, p, ns).is_skip() {
            return None;
        }
        let mut s: Vec<NodeScore> = ns
            .iter()
            .map(|&node| NodeScore {
                node,
                score: pl.score(c, p, node),
            })
            .collect();
        let raw = s.iter().map(|x| x.score).collect();
        pl.normalize(&mut s);
        Some((raw, s.iter().map(|x| x.score).collect()))
    }

    #[test]
    fn preferred_terms_of_the_pod() {
        // Affinity weight 10 to db per zone: db has 2 pods on a (z1) and 1 on x (z2):
        // z1 = 20, z2 = 10, bare (no zone) = 0 -> 100*(s-0)/20.
        let mut c = cluster();
        let ns = nodes(&mut c);
        let db = c.add_spec(spec("db"));
        bind_n(&mut c, db, ns[0], 2);
        bind_n(&mut c, db, ns[2], 1);
        let mut s = spec("web");
        s.affinity = preferred(vec![(10, term("db", ZONE))], vec![]);
        let p = add_pod(&mut c, s);
        assert_eq!(
            score_all(&c, p, &ns),
            Some((vec![20, 20, 10, 0], vec![100, 100, 50, 0]))
        );

        // Anti-affinity weight 5 to web per host, one web pod on a: a = -5, others 0.
        let mut c = cluster();
        let ns = nodes(&mut c);
        let web = c.add_spec(spec("web"));
        bind_n(&mut c, web, ns[0], 1);
        let mut s = spec("web-b");
        s.affinity = preferred(vec![], vec![(5, term("web", HOST))]);
        let p = add_pod(&mut c, s);
        assert_eq!(
            score_all(&c, p, &ns),
            Some((vec![-5, 0, 0, 0], vec![0, 100, 100, 100]))
        );
    }

    #[test]
    fn existing_pods_terms_count_toward_the_pod() {
        // An existing pod on a requires (hard weight 1) and prefers (weight 7) web in its zone;
        // another on x prefers web away from its host (weight 3).
        let mut c = cluster();
        let ns = nodes(&mut c);
        let mut fan = spec("fan");
        let mut aff = required(vec![term("web", ZONE)], vec![]);
        if let Some(pa) = aff.as_mut().and_then(|a| a.pod_affinity.as_mut()) {
            pa.preferred_during_scheduling_ignored_during_execution =
                vec![WeightedPodAffinityTerm {
                    weight: 7,
                    pod_affinity_term: term("web", ZONE),
                }];
        }
        fan.affinity = aff;
        let fan = c.add_spec(fan);
        bind_n(&mut c, fan, ns[0], 1);
        let mut shy = spec("shy");
        shy.affinity = preferred(vec![], vec![(3, term("web", HOST))]);
        let shy = c.add_spec(shy);
        bind_n(&mut c, shy, ns[2], 1);
        let p = add_pod(&mut c, spec("web"));
        // z1 = 1 + 7 = 8 on a and b; x = -3; bare 0. min -3, max 8: 100*(s+3)/11.
        assert_eq!(
            score_all(&c, p, &ns),
            Some((vec![8, 8, -3, 0], vec![100, 100, 0, 27]))
        );
        // A pod nobody cares about, with no terms of its own: skipped.
        let q = add_pod(&mut c, spec("db"));
        assert_eq!(score_all(&c, q, &ns), None);
    }
}

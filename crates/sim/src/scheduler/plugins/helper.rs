//! Matching machinery the plugins share, after kube's `labels` package
//! (`LabelSelectorAsSelector`, `Requirement.Matches`), `component-helpers/scheduling/corev1/
//! nodeaffinity` (required and preferred node selector terms, `metadata.name` match fields)
//! and the per-node caches poolcast adds for speed: topology domains by label value, and
//! which templates a selector matches.
//!
//! Caches key on `Cluster::label_generation` and grow with `Cluster::nodes` (ids are never
//! reused), so a node added after the cache was built is picked up without a rebuild.

use std::collections::{BTreeMap, HashMap};

use ustr::Ustr;

use poolcast_model::scenario::{
    LabelSelector, LabelSelectorOperator, NodeSelector, NodeSelectorOperator,
    NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm,
};

use crate::cluster::{Cluster, NodeId, NodeInfo, PodSpec, SpecId};
use crate::labels::{intern, Labels};

/// `metav1.ObjectNameField`, the only field node selectors can match.
pub const OBJECT_NAME_FIELD: &str = "metadata.name";
/// `v1.LabelHostname`.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `v1.LabelTopologyZone`.
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";
/// The label every namespace carries (`kubernetes.io/metadata.name`); poolcast models no
/// other namespace labels, so namespace selectors are matched against this one alone.
pub const LABEL_NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

/// One requirement of a label selector (`labels.Requirement`), its key and values interned
/// (`crate::labels`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Label present with one of the values.
    In(Vec<Ustr>),
    /// Label absent, or present with none of the values.
    NotIn(Vec<Ustr>),
    /// Label present.
    Exists,
    /// Label absent.
    DoesNotExist,
    /// Label present and, parsed as an integer, greater.
    Gt(i64),
    /// Label present and, parsed as an integer, less.
    Lt(i64),
}

/// A parsed requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Label key.
    pub key: Ustr,
    /// Operator and operands.
    pub op: Op,
}

impl Requirement {
    /// `labels.Requirement.Matches`.
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get_interned(self.key);
        match &self.op {
            Op::In(vals) => v.is_some_and(|x| vals.contains(&x)),
            Op::NotIn(vals) => v.is_none_or(|x| !vals.contains(&x)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
            // `strconv.ParseInt(value, 10, 64)`: a label that is not an integer never matches.
            Op::Gt(n) => v
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Op::Lt(n) => v
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        }
    }

    /// `labels.NewRequirement` validation of the operand count: In/NotIn need values,
    /// Exists/DoesNotExist none, Gt/Lt exactly one integer.
    fn new(key: &str, op: &str, values: &[String]) -> Option<Requirement> {
        let op = match op {
            "In" if !values.is_empty() => Op::In(values.iter().map(|v| intern(v)).collect()),
            "NotIn" if !values.is_empty() => Op::NotIn(values.iter().map(|v| intern(v)).collect()),
            "Exists" if values.is_empty() => Op::Exists,
            "DoesNotExist" if values.is_empty() => Op::DoesNotExist,
            "Gt" if values.len() == 1 => Op::Gt(values[0].parse().ok()?),
            "Lt" if values.len() == 1 => Op::Lt(values[0].parse().ok()?),
            _ => return None,
        };
        Some(Requirement {
            key: intern(key),
            op,
        })
    }
}

/// A compiled label selector (`labels.Selector`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    reqs: Vec<Requirement>,
    nothing: bool,
}

impl Selector {
    /// A label every matching object must carry with exactly this value (the first
    /// single-valued `In` requirement, which `matchLabels` entries become), if any: an
    /// index on it narrows the objects to test without changing the result.
    pub fn required_pair(&self) -> Option<(&str, &str)> {
        if self.nothing {
            return None;
        }
        self.reqs.iter().find_map(|r| match &r.op {
            Op::In(vals) if vals.len() == 1 => Some((r.key.as_str(), vals[0].as_str())),
            _ => None,
        })
    }

    /// `labels.Nothing()`: matches no object.
    pub fn nothing() -> Selector {
        Selector {
            reqs: Vec::new(),
            nothing: true,
        }
    }

    /// `metav1.LabelSelectorAsSelector`: `None` selects nothing, `{}` everything. A
    /// malformed requirement (which kube reports as an error and API validation rejects)
    /// selects nothing.
    pub fn from_label_selector(sel: Option<&LabelSelector>) -> Selector {
        let Some(sel) = sel else {
            return Selector::nothing();
        };
        let mut reqs = Vec::with_capacity(sel.match_labels.len() + sel.match_expressions.len());
        for (k, v) in &sel.match_labels {
            reqs.push(Requirement {
                key: intern(k),
                op: Op::In(vec![intern(v)]),
            });
        }
        for e in &sel.match_expressions {
            let op = match e.operator {
                LabelSelectorOperator::In => "In",
                LabelSelectorOperator::NotIn => "NotIn",
                LabelSelectorOperator::Exists => "Exists",
                LabelSelectorOperator::DoesNotExist => "DoesNotExist",
            };
            match Requirement::new(&e.key, op, &e.values) {
                Some(r) => reqs.push(r),
                None => return Selector::nothing(),
            }
        }
        Selector {
            reqs,
            nothing: false,
        }
    }

    /// `labels.SelectorFromSet`: every pair must be present.
    pub fn from_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> Selector {
        Selector {
            reqs: m
                .into_iter()
                .map(|(k, v)| Requirement {
                    key: intern(k),
                    op: Op::In(vec![intern(v)]),
                })
                .collect(),
            nothing: false,
        }
    }

    /// Adds `key In [value]` for each key the pod carries (`matchLabelKeys`).
    pub fn with_match_label_keys(mut self, keys: &[String], pod: &Labels) -> Self {
        for k in keys {
            if let Some(v) = pod.get(k) {
                self.reqs.push(Requirement {
                    key: intern(k),
                    op: Op::In(vec![intern(v)]),
                });
            }
        }
        self
    }

    /// Adds `key NotIn [value]` for each key the pod carries (`mismatchLabelKeys`).
    pub fn with_mismatch_label_keys(mut self, keys: &[String], pod: &Labels) -> Self {
        for k in keys {
            if let Some(v) = pod.get(k) {
                self.reqs.push(Requirement {
                    key: intern(k),
                    op: Op::NotIn(vec![intern(v)]),
                });
            }
        }
        self
    }

    /// `Selector.Matches`.
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.nothing && self.reqs.iter().all(|r| r.matches(labels))
    }

    /// `Selector.Empty()`: true for the select-everything selector (not for `Nothing`).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.reqs.is_empty()
    }
}

/// One node selector term; an empty or malformed term matches no node (kube skips empty
/// terms and drops terms that fail to parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTerm {
    exprs: Vec<Requirement>,
    /// `metadata.name` requirements: (In = true / NotIn = false, name). Other field keys
    /// read as "" like a missing field.
    fields: Vec<(String, bool, String)>,
    valid: bool,
}

impl NodeTerm {
    /// Parses a term (`newNodeSelectorTerm`).
    pub fn new(t: &NodeSelectorTerm) -> NodeTerm {
        let mut valid = !(t.match_expressions.is_empty() && t.match_fields.is_empty());
        let mut exprs = Vec::with_capacity(t.match_expressions.len());
        for e in &t.match_expressions {
            match Requirement::new(&e.key, node_op(e), &e.values) {
                Some(r) => exprs.push(r),
                None => valid = false,
            }
        }
        let mut fields = Vec::with_capacity(t.match_fields.len());
        for f in &t.match_fields {
            // `nodeSelectorRequirementsAsFieldSelector`: In/NotIn with exactly one value.
            match (f.operator, f.values.as_slice()) {
                (NodeSelectorOperator::In, [v]) => fields.push((f.key.clone(), true, v.clone())),
                (NodeSelectorOperator::NotIn, [v]) => {
                    fields.push((f.key.clone(), false, v.clone()))
                }
                _ => valid = false,
            }
        }
        NodeTerm {
            exprs,
            fields,
            valid,
        }
    }

    /// `nodeSelectorTerm.match`.
    pub fn matches(&self, node: &NodeInfo) -> bool {
        self.valid
            && self.exprs.iter().all(|r| r.matches(&node.labels))
            && self.fields.iter().all(|(key, eq, v)| {
                let field = if key == OBJECT_NAME_FIELD {
                    node.name.as_str()
                } else {
                    ""
                };
                (field == v) == *eq
            })
    }

    /// The node names this term pins to: the intersection of its `metadata.name In`
    /// requirements, `None` when it has none (NodeAffinity's PreFilter).
    pub fn pinned_names(&self) -> Option<Vec<&str>> {
        let mut out: Option<Vec<&str>> = None;
        for (key, eq, v) in &self.fields {
            if key == OBJECT_NAME_FIELD && *eq {
                out = Some(match out {
                    None => vec![v.as_str()],
                    Some(prev) => prev.into_iter().filter(|x| *x == v).collect(),
                });
            }
        }
        out
    }
}

fn node_op(e: &NodeSelectorRequirement) -> &'static str {
    match e.operator {
        NodeSelectorOperator::In => "In",
        NodeSelectorOperator::NotIn => "NotIn",
        NodeSelectorOperator::Exists => "Exists",
        NodeSelectorOperator::DoesNotExist => "DoesNotExist",
        NodeSelectorOperator::Gt => "Gt",
        NodeSelectorOperator::Lt => "Lt",
    }
}

/// `nodeaffinity.RequiredNodeAffinity`: the pod's `nodeSelector` ANDed with its required
/// node affinity terms (ORed). DaemonSet pods are pinned separately (see `NodeAffinity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredNodeAffinity {
    selector: Option<Selector>,
    terms: Option<Vec<NodeTerm>>,
}

impl RequiredNodeAffinity {
    /// `GetRequiredNodeAffinity` for a template.
    pub fn of_spec(spec: &PodSpec) -> RequiredNodeAffinity {
        RequiredNodeAffinity::new(&spec.node_selector, spec.required_node_affinity.as_ref())
    }

    /// From a `nodeSelector` map and required terms.
    pub fn new(
        node_selector: &BTreeMap<String, String>,
        required: Option<&NodeSelector>,
    ) -> RequiredNodeAffinity {
        RequiredNodeAffinity {
            selector: (!node_selector.is_empty()).then(|| Selector::from_map(node_selector)),
            terms: required.map(|r| r.node_selector_terms.iter().map(NodeTerm::new).collect()),
        }
    }

    /// True when neither a selector nor required terms constrain the pod.
    pub fn is_empty(&self) -> bool {
        self.selector.is_none() && self.terms.is_none()
    }

    /// The parsed required terms, if the pod has required node affinity.
    pub fn terms(&self) -> Option<&[NodeTerm]> {
        self.terms.as_deref()
    }

    /// True when only the `nodeSelector` part matches (DaemonSet pods, whose terms the
    /// controller replaced by their node's name).
    pub fn selector_matches(&self, node: &NodeInfo) -> bool {
        self.selector
            .as_ref()
            .is_none_or(|s| s.matches(&node.labels))
    }

    /// `RequiredNodeAffinity.Match`.
    pub fn matches(&self, node: &NodeInfo) -> bool {
        self.selector_matches(node)
            && self
                .terms
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|t| t.matches(node)))
    }
}

/// `nodeaffinity.PreferredSchedulingTerms`: weighted terms; zero-weight, empty and
/// malformed terms never count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreferredTerms {
    terms: Vec<(i64, NodeTerm)>,
}

impl PreferredTerms {
    /// Parses the terms.
    pub fn new(terms: &[PreferredSchedulingTerm]) -> PreferredTerms {
        PreferredTerms {
            terms: terms
                .iter()
                .filter(|t| t.weight != 0)
                .map(|t| (i64::from(t.weight), NodeTerm::new(&t.preference)))
                .collect(),
        }
    }

    /// True when there is no term.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// `PreferredSchedulingTerms.Score`: the sum of the weights of matching terms.
    pub fn score(&self, node: &NodeInfo) -> i64 {
        self.terms
            .iter()
            .filter(|(_, t)| t.matches(node))
            .map(|(w, _)| w)
            .sum()
    }
}

/// Topology domains of one label key: the value id of every node, interned so per-attempt
/// counting works on small integers instead of strings.
#[derive(Debug, Clone)]
pub struct Domains {
    key: String,
    /// `key` interned.
    key_interned: Ustr,
    label_generation: u64,
    of: Vec<u32>,
    /// Value ids by interned value (look-ups only: ids follow the nodes' order).
    ids: HashMap<Ustr, u32>,
    /// Which ids occur in `of` (a missing label counted as the empty value, id 0), and
    /// how many: no set of nodes can hold more distinct domains than `distinct`.
    seen: Vec<bool>,
    distinct: usize,
    /// Nodes (dead ones included) lacking the label.
    missing: usize,
}

/// Node lacks the label.
pub const MISSING: u32 = u32::MAX;

impl Domains {
    /// Domains of `key`; the empty value always has id 0.
    pub fn new(key: &str) -> Domains {
        let mut ids = HashMap::new();
        ids.insert(intern(""), 0);
        Domains {
            key: key.to_owned(),
            key_interned: intern(key),
            label_generation: u64::MAX,
            of: Vec::new(),
            ids,
            seen: Vec::new(),
            distinct: 0,
            missing: 0,
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Brings the cache up to date with the cluster's nodes and labels.
    pub fn sync(&mut self, cluster: &Cluster) {
        if self.label_generation != cluster.label_generation {
            self.of.clear();
            self.seen.clear();
            self.distinct = 0;
            self.missing = 0;
            self.label_generation = cluster.label_generation;
        }
        for n in &cluster.nodes[self.of.len()..] {
            let id = match n.labels.get_interned(self.key_interned) {
                None => MISSING,
                Some(v) => {
                    let next = self.ids.len() as u32;
                    *self.ids.entry(v).or_insert(next)
                }
            };
            self.of.push(id);
            self.missing += usize::from(id == MISSING);
            let d = if id == MISSING { 0 } else { id as usize };
            if self.seen.len() <= d {
                self.seen.resize(d + 1, false);
            }
            if !self.seen[d] {
                self.seen[d] = true;
                self.distinct += 1;
            }
        }
    }

    /// Number of distinct domains (`of_or_empty`) over every node synced, dead ones
    /// included: an upper bound on the domains any set of nodes spans.
    pub fn distinct(&self) -> usize {
        self.distinct
    }

    /// Whether every node synced carries the label.
    pub fn none_missing(&self) -> bool {
        self.missing == 0
    }

    /// The raw id of every node by index, `u32::MAX` where the label is missing.
    pub fn ids_by_node(&self) -> &[u32] {
        &self.of
    }

    /// The domain of `node`, `None` when it lacks the label.
    pub fn of(&self, node: NodeId) -> Option<u32> {
        match self.of.get(node.idx()) {
            Some(&MISSING) | None => None,
            Some(&id) => Some(id),
        }
    }

    /// The domain of `node` where a missing label reads as the empty value (Go's
    /// `node.Labels[key]`).
    pub fn of_or_empty(&self, node: NodeId) -> u32 {
        self.of(node).unwrap_or(0)
    }

    /// Number of value ids handed out (an upper bound for per-domain arrays).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Never true: the empty value always has an id.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Domain caches for every topology key a plugin has met.
#[derive(Debug, Clone, Default)]
pub struct DomainCache {
    keys: Vec<Domains>,
}

impl DomainCache {
    /// Index of `key`'s domains, synced with the cluster.
    pub fn sync_key(&mut self, cluster: &Cluster, key: &str) -> usize {
        let i = match self.keys.iter().position(|d| d.key == key) {
            Some(i) => i,
            None => {
                self.keys.push(Domains::new(key));
                self.keys.len() - 1
            }
        };
        self.keys[i].sync(cluster);
        i
    }

    /// Domains by index from `sync_key`.
    pub fn get(&self, i: usize) -> &Domains {
        &self.keys[i]
    }
}

/// Which nodes satisfy a template's required node affinity, cached per template.
#[derive(Debug, Clone)]
pub struct AffinityBits {
    label_generation: u64,
    bits: Vec<bool>,
}

impl Default for AffinityBits {
    fn default() -> Self {
        AffinityBits {
            label_generation: u64::MAX,
            bits: Vec::new(),
        }
    }
}

impl AffinityBits {
    /// Brings the bits up to date.
    pub fn sync(&mut self, cluster: &Cluster, aff: &RequiredNodeAffinity) {
        if self.label_generation != cluster.label_generation {
            self.bits.clear();
            self.label_generation = cluster.label_generation;
        }
        for n in &cluster.nodes[self.bits.len()..] {
            self.bits.push(aff.matches(n));
        }
    }

    /// Whether `node` matched at the last sync.
    pub fn get(&self, node: NodeId) -> bool {
        self.bits.get(node.idx()).copied().unwrap_or(false)
    }
}

/// The templates a predicate selects, extended as templates are added.
#[derive(Debug, Clone, Default)]
pub struct SpecSet {
    seen: usize,
    specs: Vec<SpecId>,
}

impl SpecSet {
    /// Tests the templates added since the last call.
    pub fn sync(&mut self, cluster: &Cluster, mut pred: impl FnMut(SpecId, &PodSpec) -> bool) {
        for (i, s) in cluster.specs.iter().enumerate().skip(self.seen) {
            if pred(SpecId(i as u32), s) {
                self.specs.push(SpecId(i as u32));
            }
        }
        self.seen = cluster.specs.len();
    }

    /// True when no template was added since the last sync.
    pub fn is_current(&self, cluster: &Cluster) -> bool {
        self.seen == cluster.specs.len()
    }

    /// Like `sync`, testing only `candidates` (ids in increasing order, a superset of the
    /// templates `pred` selects): the same result without testing every template.
    pub fn sync_among(
        &mut self,
        cluster: &Cluster,
        candidates: &[SpecId],
        mut pred: impl FnMut(SpecId, &PodSpec) -> bool,
    ) {
        let from = candidates.partition_point(|s| s.idx() < self.seen);
        for &id in &candidates[from..] {
            if id.idx() < cluster.specs.len() && pred(id, &cluster.specs[id.idx()]) {
                self.specs.push(id);
            }
        }
        self.seen = cluster.specs.len();
    }

    /// The selected templates, in id order.
    pub fn specs(&self) -> &[SpecId] {
        &self.specs
    }
}

/// Templates by (namespace, label key, label value), extended as templates are added, so
/// that a selector's matching templates are found among those carrying one of its required
/// labels instead of among all (thousands of small workloads each select their own).
#[derive(Debug, Clone, Default)]
pub struct LabelIndex {
    seen: usize,
    /// By interned (namespace, key, value); look-ups only.
    by_label: HashMap<(Ustr, Ustr, Ustr), Vec<SpecId>>,
}

impl LabelIndex {
    /// Indexes the templates added since the last call.
    pub fn sync(&mut self, cluster: &Cluster) {
        for (i, s) in cluster.specs.iter().enumerate().skip(self.seen) {
            let ns = intern(&s.namespace);
            for (k, v) in &s.labels {
                self.by_label
                    .entry((ns, intern(k), intern(v)))
                    .or_default()
                    .push(SpecId(i as u32));
            }
        }
        self.seen = cluster.specs.len();
    }

    /// Templates in namespace `ns` labelled `key=value`, in id order.
    pub fn get(&self, ns: &str, key: &str, value: &str) -> &[SpecId] {
        let key = (intern(ns), intern(key), intern(value));
        self.by_label.get(&key).map_or(&[], Vec::as_slice)
    }
}

/// Namespace labels poolcast knows for `ns`.
pub fn namespace_labels(ns: &str) -> Labels {
    Labels::from(BTreeMap::from([(
        LABEL_NAMESPACE_NAME.to_owned(),
        ns.to_owned(),
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_model::scenario::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op,
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn node(name: &str, l: &[(&str, &str)]) -> NodeInfo {
        crate::scheduler::plugins::testutil::node(name, l)
    }

    #[test]
    fn node_selector_operators_follow_labels_requirement() {
        use NodeSelectorOperator::*;
        let n = node("n1", &[("zone", "1"), ("gen", "3"), ("name", "x")]);
        // (requirement, expected) from labels/selector_test.go semantics.
        let cases = [
            (req("zone", In, &["1", "2"]), true),
            (req("zone", In, &["2"]), false),
            (req("absent", In, &["2"]), false),
            (req("zone", NotIn, &["2"]), true),
            (req("zone", NotIn, &["1"]), false),
            (req("absent", NotIn, &["1"]), true),
            (req("zone", Exists, &[]), true),
            (req("absent", Exists, &[]), false),
            (req("absent", DoesNotExist, &[]), true),
            (req("zone", DoesNotExist, &[]), false),
            (req("gen", Gt, &["2"]), true),
            (req("gen", Gt, &["3"]), false),
            (req("gen", Lt, &["4"]), true),
            (req("gen", Lt, &["3"]), false),
            (req("name", Gt, &["1"]), false), // label not an integer
            (req("absent", Lt, &["9"]), false),
            // Malformed operands make the whole term unusable.
            (req("gen", Gt, &["x"]), false),
            (req("gen", Gt, &["1", "2"]), false),
            (req("zone", In, &[]), false),
            (req("zone", Exists, &["1"]), false),
        ];
        for (i, (r, want)) in cases.into_iter().enumerate() {
            let t = NodeTerm::new(&NodeSelectorTerm {
                match_expressions: vec![r],
                match_fields: vec![],
            });
            assert_eq!(t.matches(&n), want, "case {i}");
        }
    }

    #[test]
    fn match_fields_only_name_with_one_value() {
        use NodeSelectorOperator::*;
        let n = node("aks-np-1", &[]);
        let term = |f: NodeSelectorRequirement| {
            NodeTerm::new(&NodeSelectorTerm {
                match_expressions: vec![],
                match_fields: vec![f],
            })
        };
        assert!(term(req(OBJECT_NAME_FIELD, In, &["aks-np-1"])).matches(&n));
        assert!(!term(req(OBJECT_NAME_FIELD, In, &["other"])).matches(&n));
        assert!(term(req(OBJECT_NAME_FIELD, NotIn, &["other"])).matches(&n));
        // Two values are a parse error in kube's field selector conversion.
        assert!(!term(req(OBJECT_NAME_FIELD, In, &["aks-np-1", "x"])).matches(&n));
        assert!(!term(req(OBJECT_NAME_FIELD, Exists, &[])).matches(&n));
        assert_eq!(
            term(req(OBJECT_NAME_FIELD, In, &["aks-np-1"])).pinned_names(),
            Some(vec!["aks-np-1"])
        );
        // An empty term matches nothing.
        assert!(!NodeTerm::new(&NodeSelectorTerm::default()).matches(&n));
    }

    #[test]
    fn required_affinity_ands_selector_and_ors_terms() {
        use NodeSelectorOperator::*;
        let win = node("w", &[("kubernetes.io/os", "windows"), ("pool", "a")]);
        let lin = node("l", &[("kubernetes.io/os", "linux"), ("pool", "b")]);
        let aff = RequiredNodeAffinity::new(
            &labels(&[("kubernetes.io/os", "windows")]),
            Some(&NodeSelector {
                node_selector_terms: vec![
                    NodeSelectorTerm {
                        match_expressions: vec![req("pool", In, &["b"])],
                        match_fields: vec![],
                    },
                    NodeSelectorTerm {
                        match_expressions: vec![req("pool", In, &["a"])],
                        match_fields: vec![],
                    },
                ],
            }),
        );
        assert!(aff.matches(&win));
        assert!(!aff.matches(&lin)); // second term matches pool b but the selector fails
        let none = RequiredNodeAffinity::new(&BTreeMap::new(), None);
        assert!(none.is_empty() && none.matches(&lin));
        let zero_terms = RequiredNodeAffinity::new(
            &BTreeMap::new(),
            Some(&NodeSelector {
                node_selector_terms: vec![],
            }),
        );
        assert!(!zero_terms.matches(&lin));
    }

    #[test]
    fn label_selector_nil_empty_and_keys() {
        let pod = Labels::from(labels(&[("app", "web"), ("tier", "fe")]));
        assert!(!Selector::from_label_selector(None).matches(&pod));
        assert!(!Selector::from_label_selector(None).is_empty());
        let all = Selector::from_label_selector(Some(&LabelSelector::default()));
        assert!(all.matches(&pod) && all.is_empty());
        let sel = Selector::from_label_selector(Some(&LabelSelector {
            match_labels: labels(&[("app", "web")]),
            match_expressions: vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: LabelSelectorOperator::NotIn,
                values: vec!["be".into()],
            }],
        }));
        assert!(sel.matches(&pod));
        let keyed = sel.clone().with_match_label_keys(
            &["tier".into(), "missing".into()],
            &labels(&[("tier", "be")]).into(),
        );
        assert!(!keyed.matches(&pod));
        let mismatch =
            sel.with_mismatch_label_keys(&["tier".into()], &labels(&[("tier", "fe")]).into());
        assert!(!mismatch.matches(&pod));
    }

    #[test]
    fn preferred_terms_sum_matching_weights() {
        use NodeSelectorOperator::*;
        let n = node("n", &[("a", "1"), ("b", "2")]);
        let pt = |w: i32, r: NodeSelectorRequirement| PreferredSchedulingTerm {
            weight: w,
            preference: NodeSelectorTerm {
                match_expressions: vec![r],
                match_fields: vec![],
            },
        };
        let p = PreferredTerms::new(&[
            pt(5, req("a", In, &["1"])),
            pt(7, req("b", In, &["2"])),
            pt(11, req("b", In, &["3"])),
            pt(0, req("a", Exists, &[])),
        ]);
        assert_eq!(p.score(&n), 12);
    }

    #[test]
    fn domains_intern_values_and_extend_with_new_nodes() {
        let mut c = crate::scheduler::plugins::testutil::cluster();
        let a = crate::scheduler::plugins::testutil::add_node(&mut c, "a", &[("zone", "z1")]);
        let b = crate::scheduler::plugins::testutil::add_node(&mut c, "b", &[]);
        let mut d = Domains::new("zone");
        d.sync(&c);
        assert_eq!(d.of(a), Some(1));
        assert_eq!(d.of(b), None);
        assert_eq!(d.of_or_empty(b), 0);
        let e = crate::scheduler::plugins::testutil::add_node(&mut c, "c", &[("zone", "z1")]);
        d.sync(&c);
        assert_eq!(d.of(e), Some(1));
        c.set_node_labels(a, labels(&[("zone", "z2")]));
        d.sync(&c);
        assert_eq!(d.of(a), Some(2));
        assert_eq!(d.len(), 3);
    }
}

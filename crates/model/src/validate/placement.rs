//! Could a workload's pods ever land on a pool's nodes? The static part of kube-scheduler's
//! filters, evaluated per pool instead of per node, for validation warnings.
//!
//! Node labels are modelled as the set of values a label can take across the pool's nodes
//! (a pool spread over three zones has three `topology.kubernetes.io/zone` values;
//! `kubernetes.io/hostname` can be anything). A requirement is satisfiable when some value
//! satisfies it, so the answer errs towards "can host": a warning that no pool can host a
//! workload is then certain. Semantics follow `k8s.io/component-helpers/scheduling/corev1`
//! (`MatchNodeSelectorTerms`: terms ORed, requirements ANDed, an empty term matches
//! nothing) and `v1helper.TolerationsTolerateTaint` (taint effects NoSchedule and
//! NoExecute filter; PreferNoSchedule only scores).

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::aks::{self, K8sVersion};
use crate::scenario::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, Pool, PoolMode, Provider,
    Scenario, Taint, TaintEffect, Toleration, TolerationOperator, VmSize, Workload,
};

/// The values a label takes on a pool's nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Values {
    /// Unknown or per-node (hostname): assume any value.
    Any,
    /// One of these.
    Set(BTreeSet<String>),
}

/// The labels of a pool's nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolLabels(BTreeMap<String, Values>);

/// Label keys AKS sets under its own prefix that this model does not enumerate: treated as
/// present with any value so they never cause a false warning.
const AKS_PREFIX: &str = "kubernetes.azure.com/";

impl PoolLabels {
    /// The labels a node of `pool` carries (kubelet's well-known labels, AKS's, the pool's
    /// own and those of imported nodes).
    pub(crate) fn of(scenario: &Scenario, pool: &Pool, version: Option<K8sVersion>) -> PoolLabels {
        let mut l = PoolLabels::default();
        let os = pool.os.label();
        l.one("kubernetes.io/os", os);
        l.one("beta.kubernetes.io/os", os);
        l.any("kubernetes.io/arch");
        l.any("beta.kubernetes.io/arch");
        l.any("kubernetes.io/hostname");
        match &pool.vm_size {
            VmSize::Named(n) => l.one("node.kubernetes.io/instance-type", n),
            VmSize::Candidates(c) => l.set(
                "node.kubernetes.io/instance-type",
                c.iter().cloned().collect(),
            ),
            VmSize::Inline(i) => match &i.name {
                Some(n) => l.one("node.kubernetes.io/instance-type", n),
                None => l.any("node.kubernetes.io/instance-type"),
            },
            VmSize::Auto(_) => l.any("node.kubernetes.io/instance-type"),
        }
        let region = scenario
            .cluster
            .region
            .clone()
            .unwrap_or_else(|| "eastus".to_owned());
        l.one("topology.kubernetes.io/region", &region);
        l.one("failure-domain.beta.kubernetes.io/region", &region);
        // AKS labels zonal nodes `<region>-<zone>` and the others `0` (`use-labels.md`).
        let zones: BTreeSet<String> = if pool.zones.is_empty() {
            ["0".to_owned()].into()
        } else {
            pool.zones.iter().map(|z| format!("{region}-{z}")).collect()
        };
        l.set("topology.kubernetes.io/zone", zones.clone());
        l.set("failure-domain.beta.kubernetes.io/zone", zones);
        if scenario.cluster.provider == Provider::Aks {
            l.one("kubernetes.azure.com/agentpool", &pool.name);
            l.one("agentpool", &pool.name);
            let mode = match pool.mode {
                PoolMode::System => "system",
                PoolMode::User => "user",
            };
            l.one("kubernetes.azure.com/mode", mode);
            if let Some(v) = version {
                let sku = pool
                    .os_sku
                    .unwrap_or_else(|| aks::default_os_sku(pool.os, v));
                if let Some(build) = sku.windows_build() {
                    l.one("node.kubernetes.io/windows-build", &format!("10.0.{build}"));
                }
            } else if pool.os == crate::scenario::Os::Windows {
                l.any("node.kubernetes.io/windows-build");
            }
        }
        for (k, v) in &pool.labels {
            l.one(k, v);
        }
        for node in &pool.nodes {
            for (k, v) in &node.labels {
                l.add(k, v);
            }
        }
        l
    }

    fn one(&mut self, k: &str, v: &str) {
        self.0
            .insert(k.to_owned(), Values::Set([v.to_owned()].into()));
    }
    fn set(&mut self, k: &str, v: BTreeSet<String>) {
        self.0.insert(k.to_owned(), Values::Set(v));
    }
    fn any(&mut self, k: &str) {
        self.0.insert(k.to_owned(), Values::Any);
    }
    fn add(&mut self, k: &str, v: &str) {
        match self
            .0
            .entry(k.to_owned())
            .or_insert_with(|| Values::Set(BTreeSet::new()))
        {
            Values::Any => {}
            Values::Set(s) => {
                s.insert(v.to_owned());
            }
        }
    }

    fn get(&self, k: &str) -> Option<&Values> {
        static ANY: Values = Values::Any;
        self.0
            .get(k)
            .or_else(|| k.starts_with(AKS_PREFIX).then_some(&ANY))
    }

    /// Whether some node of the pool can satisfy `req`.
    fn satisfies(&self, req: &NodeSelectorRequirement) -> bool {
        let vals = self.get(&req.key);
        let in_values = |v: &str| req.values.iter().any(|x| x == v);
        match (req.operator, vals) {
            (_, Some(Values::Any)) => !matches!(req.operator, NodeSelectorOperator::DoesNotExist),
            (NodeSelectorOperator::In, Some(Values::Set(s))) => s.iter().any(|v| in_values(v)),
            (NodeSelectorOperator::In, None) => false,
            (NodeSelectorOperator::NotIn, Some(Values::Set(s))) => {
                s.is_empty() || s.iter().any(|v| !in_values(v))
            }
            (NodeSelectorOperator::NotIn, None) => true,
            (NodeSelectorOperator::Exists, v) => v.is_some(),
            (NodeSelectorOperator::DoesNotExist, v) => v.is_none(),
            (NodeSelectorOperator::Gt | NodeSelectorOperator::Lt, None) => false,
            (op @ (NodeSelectorOperator::Gt | NodeSelectorOperator::Lt), Some(Values::Set(s))) => {
                // k8s: exactly one value, an integer; the label must parse as one too.
                let Some(bound) = req
                    .values
                    .first()
                    .filter(|_| req.values.len() == 1)
                    .and_then(|b| b.parse::<i64>().ok())
                else {
                    return false;
                };
                s.iter().filter_map(|v| v.parse::<i64>().ok()).any(|v| {
                    if op == NodeSelectorOperator::Gt {
                        v > bound
                    } else {
                        v < bound
                    }
                })
            }
        }
    }

    fn satisfies_term(&self, term: &NodeSelectorTerm) -> bool {
        if term.match_expressions.is_empty() && term.match_fields.is_empty() {
            return false;
        }
        // matchFields only knows metadata.name, which is per node: satisfiable.
        term.match_expressions.iter().all(|r| self.satisfies(r))
    }
}

/// Whether `workload`'s nodeSelector and required node affinity can match the pool.
pub(crate) fn selector_matches(w: &Workload, labels: &PoolLabels) -> bool {
    let selector_ok = w.node_selector.iter().all(|(k, v)| {
        labels.satisfies(&NodeSelectorRequirement {
            key: k.clone(),
            operator: NodeSelectorOperator::In,
            values: vec![v.clone()],
        })
    });
    let affinity_ok = match w
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        }) {
        None => true,
        Some(sel) => sel
            .node_selector_terms
            .iter()
            .any(|t| labels.satisfies_term(t)),
    };
    selector_ok && affinity_ok
}

/// Whether the workload constrains `kubernetes.io/os` (selector or required affinity).
pub(crate) fn constrains_os(w: &Workload) -> bool {
    const KEYS: [&str; 2] = ["kubernetes.io/os", "beta.kubernetes.io/os"];
    let in_selector = KEYS.iter().any(|k| w.node_selector.contains_key(*k));
    let in_affinity = w
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .is_some_and(|sel| {
            sel.node_selector_terms.iter().all(|t| {
                t.match_expressions
                    .iter()
                    .any(|r| KEYS.contains(&r.key.as_str()))
            })
        });
    in_selector || in_affinity
}

/// `v1helper.ToleratesTaint`.
pub(crate) fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect {
        if effect != taint.effect {
            return false;
        }
    }
    if !t.key.is_empty() && t.key != taint.key {
        return false;
    }
    match t.operator {
        // An empty key with Exists tolerates every taint.
        TolerationOperator::Exists => true,
        TolerationOperator::Equal => t.value == taint.value,
    }
}

/// The first NoSchedule/NoExecute taint of the pool the workload does not tolerate.
pub(crate) fn untolerated<'a>(w: &Workload, pool: &'a Pool) -> Option<&'a Taint> {
    pool.taints.iter().find(|taint| {
        taint.effect != TaintEffect::PreferNoSchedule
            && !w.tolerations.iter().any(|t| tolerates(t, taint))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.to_owned(),
            operator: op,
            values: values.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn requirements() {
        use NodeSelectorOperator::*;
        let mut l = PoolLabels::default();
        l.one("kubernetes.io/os", "windows");
        l.set("zone", ["a".to_owned(), "b".to_owned()].into());
        l.one("gen", "5");
        l.any("kubernetes.io/hostname");
        let cases = [
            (req("kubernetes.io/os", In, &["windows"]), true),
            (req("kubernetes.io/os", In, &["linux"]), false),
            (req("kubernetes.io/os", NotIn, &["windows"]), false),
            (req("missing", NotIn, &["x"]), true),
            (req("missing", In, &["x"]), false),
            (req("zone", In, &["b"]), true),
            (req("zone", NotIn, &["a"]), true),
            (req("gen", Gt, &["4"]), true),
            (req("gen", Lt, &["4"]), false),
            (req("gen", Gt, &["x"]), false),
            (req("kubernetes.io/hostname", In, &["n1"]), true),
            (req("kubernetes.io/hostname", DoesNotExist, &[]), false),
            (req("missing", DoesNotExist, &[]), true),
            (req("kubernetes.azure.com/sku-cpu", Exists, &[]), true),
        ];
        for (r, want) in cases {
            assert_eq!(l.satisfies(&r), want, "{r:?}");
        }
        assert!(!l.satisfies_term(&NodeSelectorTerm::default()));
    }

    #[test]
    fn tolerations() {
        let taint: Taint = "os=windows:NoSchedule".parse().unwrap();
        let tol = |key: &str, op, value: &str, effect| Toleration {
            key: key.to_owned(),
            operator: op,
            value: value.to_owned(),
            effect,
            toleration_seconds: None,
        };
        use TolerationOperator::*;
        let cases = [
            (
                tol("os", Equal, "windows", Some(TaintEffect::NoSchedule)),
                true,
            ),
            (tol("os", Equal, "windows", None), true),
            (tol("os", Equal, "linux", None), false),
            (tol("os", Exists, "", None), true),
            (tol("", Exists, "", None), true),
            (
                tol("os", Equal, "windows", Some(TaintEffect::NoExecute)),
                false,
            ),
        ];
        for (t, want) in cases {
            assert_eq!(tolerates(&t, &taint), want, "{t:?}");
        }
    }
}

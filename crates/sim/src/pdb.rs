//! PodDisruptionBudgets: which pods a budget covers, the status the disruption controller
//! computes for it (`pkg/controller/disruption/disruption.go`), and whether the eviction API
//! lets a pod go (`pkg/registry/core/pod/storage/eviction.go`).
//!
//! Three consumers: DefaultPreemption counts PDB violations per candidate node (it may break
//! a budget, but minimises how many it breaks); `drain` evicts through the eviction API and
//! retries a refused eviction; the cluster autoscaler's scale-down asks [`can_evict`] before
//! it empties a node.
//!
//! The engine describes each pod through a [`PodView`] closure (health and controller scale
//! live in the engine, not in `Cluster`), so this module reads no engine state.

use poolcast_model::scenario::{DisruptionBudget, IntOrPercent};

use crate::cluster::{Cluster, PodId, PodSpec};
use crate::scheduler::plugins::helper::Selector;

/// The eviction API's refusal (HTTP 429), word for word.
pub const EVICTION_REFUSED: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";
/// The eviction API's error when two budgets cover a pod (HTTP 500).
pub const EVICTION_MULTIPLE_BUDGETS: &str =
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";

/// A PodDisruptionBudget ready to match pods.
#[derive(Debug, Clone)]
pub struct Budget {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (default `default`).
    pub namespace: String,
    selector: Selector,
    /// `spec.minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `spec.maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
}

impl Budget {
    /// From the scenario's `disruptionBudgets` entry.
    pub fn from_scenario(b: &DisruptionBudget) -> Budget {
        Budget {
            name: b.name.clone(),
            namespace: b.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            selector: Selector::from_label_selector(Some(&b.selector)),
            min_available: b.min_available.clone(),
            max_unavailable: b.max_unavailable.clone(),
        }
    }

    /// Whether the budget covers pods of `spec`: same namespace, and a non-empty selector
    /// matching the pod's labels ("A PDB with a nil or empty selector matches nothing",
    /// `filterPodsWithPDBViolation`; a pod without labels matches no budget).
    pub fn covers(&self, spec: &PodSpec) -> bool {
        self.namespace == spec.namespace
            && !spec.labels.is_empty()
            && !self.selector.is_empty()
            && self.selector.matches(&spec.labels)
    }
}

/// What the engine knows of one active pod, as the disruption controller reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodView {
    /// Ready and not being deleted (`countHealthyPods`).
    pub healthy: bool,
    /// Its controller (an opaque id) and the controller's desired scale, or `None` for a
    /// pod without a scalable controller (counted as one expected pod).
    pub controller: Option<(u32, u32)>,
}

/// `PodDisruptionBudgetStatus`, as the disruption controller computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetStatus {
    /// `expectedPods`.
    pub expected: u32,
    /// `desiredHealthy`.
    pub desired_healthy: u32,
    /// `currentHealthy`.
    pub current_healthy: u32,
    /// `disruptionsAllowed`.
    pub disruptions_allowed: u32,
}

/// `intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true)`; a malformed percentage
/// (validation rejects it) counts as 0.
fn scaled(v: &IntOrPercent, total: u32) -> u32 {
    match v {
        IntOrPercent::Int(n) => *n,
        IntOrPercent::Percent(p) => {
            let pct = p
                .strip_suffix('%')
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            (u64::from(total) * pct).div_ceil(100) as u32
        }
    }
}

/// The budget's status over the cluster's active pods (`getExpectedPodCount`,
/// `countHealthyPods`, `updatePdbStatus`): with an integer `minAvailable` the expected count
/// is the number of covered pods; with `maxUnavailable` or a percentage it is the sum of
/// the covered pods' controllers' scales. `disruptionsAllowed = max(0, currentHealthy -
/// desiredHealthy)`, and 0 when nothing is expected.
pub fn status(
    b: &Budget,
    cluster: &Cluster,
    view: &dyn Fn(PodId) -> Option<PodView>,
) -> BudgetStatus {
    let mut covered = 0u32;
    let mut healthy = 0u32;
    let mut controllers: Vec<(u32, u32)> = Vec::new();
    let mut bare = 0u32;
    for (i, p) in cluster.pods.iter().enumerate() {
        if !p.active || !b.covers(&cluster.specs[p.spec.idx()]) {
            continue;
        }
        let Some(v) = view(PodId(i as u32)) else {
            continue;
        };
        covered += 1;
        if v.healthy {
            healthy += 1;
        }
        match v.controller {
            Some(c) => {
                if !controllers.iter().any(|&(id, _)| id == c.0) {
                    controllers.push(c);
                }
            }
            None => bare += 1,
        }
    }
    let scale: u32 = controllers.iter().map(|&(_, s)| s).sum::<u32>() + bare;
    let (expected, desired) = match (&b.min_available, &b.max_unavailable) {
        (_, Some(mu)) => (scale, scale.saturating_sub(scaled(mu, scale))),
        (Some(IntOrPercent::Int(n)), None) => (covered, *n),
        (Some(pct), None) => (scale, scaled(pct, scale)),
        // Neither set: the API defaults minAvailable to 1.
        (None, None) => (covered, 1),
    };
    let allowed = if expected == 0 {
        0
    } else {
        healthy.saturating_sub(desired)
    };
    BudgetStatus {
        expected,
        desired_healthy: desired,
        current_healthy: healthy,
        disruptions_allowed: allowed,
    }
}

/// Every budget's status, in scenario order.
pub fn statuses(
    budgets: &[Budget],
    cluster: &Cluster,
    view: &dyn Fn(PodId) -> Option<PodView>,
) -> Vec<BudgetStatus> {
    budgets.iter().map(|b| status(b, cluster, view)).collect()
}

/// The eviction API's answer for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eviction {
    /// The pod may be evicted now.
    Allowed,
    /// Refused; the caller retries later (`kubectl drain` every 5 s).
    Refused {
        /// The budget that refused, empty when several cover the pod.
        budget: String,
        /// The API's message, with the budget's cause as kube adds it.
        message: String,
    },
}

/// Whether the eviction API would let `pod` go now, given the budgets' current
/// `statuses` (the autoscaler's scale-down and `drain` call this):
/// no covering budget allows it; more than one is an error; an unhealthy pod may go while
/// the budget is satisfied (`unhealthyPodEvictionPolicy: IfHealthyBudget`, the default);
/// otherwise the budget must allow a disruption.
pub fn can_evict(
    budgets: &[Budget],
    statuses: &[BudgetStatus],
    cluster: &Cluster,
    pod: PodId,
    pod_healthy: bool,
) -> Eviction {
    let spec = cluster.spec_of(pod);
    let covering: Vec<usize> = budgets
        .iter()
        .enumerate()
        .filter(|(_, b)| b.covers(spec))
        .map(|(i, _)| i)
        .collect();
    let i = match covering.as_slice() {
        [] => return Eviction::Allowed,
        [i] => *i,
        _ => {
            return Eviction::Refused {
                budget: String::new(),
                message: EVICTION_MULTIPLE_BUDGETS.to_owned(),
            }
        }
    };
    let st = statuses.get(i).copied().unwrap_or_default();
    if !pod_healthy && st.current_healthy >= st.desired_healthy && st.desired_healthy > 0 {
        return Eviction::Allowed;
    }
    if st.disruptions_allowed > 0 {
        return Eviction::Allowed;
    }
    Eviction::Refused {
        budget: budgets[i].name.clone(),
        message: format!(
            "{EVICTION_REFUSED} The disruption budget {} needs {} healthy pods and has {} currently",
            budgets[i].name, st.desired_healthy, st.current_healthy
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_model::scenario::LabelSelector;
    use std::collections::BTreeMap;

    fn budget(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> Budget {
        Budget::from_scenario(&DisruptionBudget {
            name: "web".into(),
            namespace: None,
            selector: LabelSelector {
                match_labels: BTreeMap::from([("app".into(), "web".into())]),
                match_expressions: Vec::new(),
            },
            min_available: min,
            max_unavailable: max,
        })
    }

    fn cluster(pods: u32, labels: &[(&str, &str)], ns: &str) -> Cluster {
        let mut c = Cluster::default();
        let mut s = crate::scheduler::plugins::testutil::spec("web");
        s.labels = crate::scheduler::plugins::testutil::labels(labels).into();
        s.namespace = ns.to_owned();
        let spec = c.add_spec(s);
        for i in 0..pods {
            c.add_pod(format!("web-{i}"), spec, None);
        }
        c
    }

    #[test]
    fn status_follows_the_disruption_controller() {
        // 4 replicas of one Deployment (scale 4), 3 of them Ready.
        let c = cluster(4, &[("app", "web")], "default");
        let view = |p: PodId| {
            Some(PodView {
                healthy: p.0 != 3,
                controller: Some((7, 4)),
            })
        };
        type Case = (Option<IntOrPercent>, Option<IntOrPercent>, u32, u32, u32);
        let cases: [Case; 6] = [
            (Some(IntOrPercent::Int(2)), None, 4, 2, 1),
            (Some(IntOrPercent::Int(3)), None, 4, 3, 0),
            (Some(IntOrPercent::Percent("50%".into())), None, 4, 2, 1),
            // 30% of 4 = 1.2, rounded up to 2 (roundUp = true).
            (None, Some(IntOrPercent::Percent("30%".into())), 4, 2, 1),
            (None, Some(IntOrPercent::Int(1)), 4, 3, 0),
            (None, None, 4, 1, 2),
        ];
        for (min, max, expected, desired, allowed) in cases {
            let b = budget(min.clone(), max.clone());
            let st = status(&b, &c, &view);
            assert_eq!(
                (
                    st.expected,
                    st.desired_healthy,
                    st.current_healthy,
                    st.disruptions_allowed
                ),
                (expected, desired, 3, allowed),
                "{min:?} {max:?}"
            );
        }
    }

    #[test]
    fn covers_needs_namespace_labels_and_a_selector() {
        let b = budget(Some(IntOrPercent::Int(1)), None);
        assert!(b.covers(cluster(1, &[("app", "web")], "default").spec_of(PodId(0))));
        assert!(!b.covers(cluster(1, &[("app", "web")], "other").spec_of(PodId(0))));
        assert!(!b.covers(cluster(1, &[("app", "db")], "default").spec_of(PodId(0))));
        assert!(!b.covers(cluster(1, &[], "default").spec_of(PodId(0))));
        let empty = Budget::from_scenario(&DisruptionBudget {
            name: "all".into(),
            namespace: None,
            selector: LabelSelector::default(),
            min_available: Some(IntOrPercent::Int(0)),
            max_unavailable: None,
        });
        assert!(!empty.covers(cluster(1, &[("app", "web")], "default").spec_of(PodId(0))));
    }

    #[test]
    fn eviction_api_answers() {
        let c = cluster(3, &[("app", "web")], "default");
        let b = vec![budget(Some(IntOrPercent::Int(2)), None)];
        let all_ready = |_| {
            Some(PodView {
                healthy: true,
                controller: Some((1, 3)),
            })
        };
        let st = statuses(&b, &c, &all_ready);
        assert_eq!(st[0].disruptions_allowed, 1);
        assert_eq!(can_evict(&b, &st, &c, PodId(0), true), Eviction::Allowed);
        let two_ready = |p: PodId| {
            Some(PodView {
                healthy: p.0 != 0,
                controller: Some((1, 3)),
            })
        };
        let st = statuses(&b, &c, &two_ready);
        assert_eq!(
            can_evict(&b, &st, &c, PodId(1), true),
            Eviction::Refused {
                budget: "web".into(),
                message: "Cannot evict pod as it would violate the pod's disruption budget. \
                          The disruption budget web needs 2 healthy pods and has 2 currently"
                    .into()
            }
        );
        // The unready pod may go: the budget is still met (IfHealthyBudget).
        assert_eq!(can_evict(&b, &st, &c, PodId(0), false), Eviction::Allowed);
        let two = vec![b[0].clone(), b[0].clone()];
        let st2 = statuses(&two, &c, &all_ready);
        assert!(matches!(
            can_evict(&two, &st2, &c, PodId(0), true),
            Eviction::Refused { ref message, .. } if message == EVICTION_MULTIPLE_BUDGETS
        ));
        // Uncovered pods are always allowed.
        let other = cluster(1, &[("app", "db")], "default");
        assert_eq!(
            can_evict(&b, &st, &other, PodId(0), true),
            Eviction::Allowed
        );
    }
}

//! DefaultPreemption, kube-scheduler's PostFilter plugin
//! (`pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go` and
//! `pkg/scheduler/framework/preemption/preemption.go`).
//!
//! After a failed cycle: check the pod may preempt (`PodEligibleToPreemptOthers`); take the
//! nodes whose filter status was plain `Unschedulable`; dry-run each from a random offset
//! (`SelectVictimsOnNode`: remove every lower-priority pod, check the pod fits, then reprieve
//! victims — PDB-violating ones first, most important first — while it still fits) until
//! `max(10% of them, 100)` candidates are found with at least one that breaks no budget;
//! pick one (`pickOneNodeForPreemption`). The engine deletes the victims and nominates the
//! node.
//!
//! The dry run edits the real `Cluster` (unbind, re-check, bind back) instead of a copy of
//! one `NodeInfo`; every pod is bound back before returning, and each check re-runs the
//! PreFilters, which is what kube's `RunPreFilterExtensionRemovePod/AddPod` keep up to date.
//! Not modelled: nominated pods counted on their nominated node when other pods are
//! filtered (`RunFilterPluginsWithNominatedPods`), extenders, async preemption.

use rand::Rng;

use super::framework::{Code, Status};
use super::{FitError, Scheduler};
use crate::cluster::{Cluster, NodeId, PodId};
use crate::engine::SimRng;
use crate::pdb::{Budget, BudgetStatus};

/// The plugin's name.
pub const NAME: &str = "DefaultPreemption";
/// Status of nodes preemption skips (`UnschedulableAndUnresolvable` filters, or absent).
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// Status of a node without lower-priority pods.
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// A pod with `preemptionPolicy: Never`.
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// A pod whose earlier victims are still terminating on its nominated node.
pub const NOT_ELIGIBLE_TERMINATING: &str =
    "not eligible due to a terminating pod on the nominated node.";
/// Prefix the plugin puts on every message.
pub const PREFIX: &str = "preemption: ";
/// `DefaultPreemptionArgs.MinCandidateNodesPercentage` default.
pub const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
/// `DefaultPreemptionArgs.MinCandidateNodesAbsolute` default.
pub const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// What preemption reads besides the cluster: the budgets with their current status, and
/// per pod its start time and whether it is already terminating because of a preemption.
pub struct PreemptionContext<'a> {
    /// PodDisruptionBudgets.
    pub budgets: &'a [Budget],
    /// Their statuses (`disruptionsAllowed`), same order.
    pub statuses: &'a [BudgetStatus],
    /// `pod.Status.StartTime` in ms (poolcast: the bind time).
    pub start_time: &'a dyn Fn(PodId) -> u64,
    /// Deleted by an earlier preemption and still in its grace period.
    pub terminating: &'a dyn Fn(PodId) -> bool,
}

/// A node where the pod fits once `victims` are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The node.
    pub node: NodeId,
    /// Victims, most important first.
    pub victims: Vec<PodId>,
    /// Victims whose eviction breaks a PodDisruptionBudget.
    pub pdb_violations: usize,
}

/// The PostFilter result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preemption {
    /// Delete `victims` and nominate `node` (status Success: no message).
    Nominated(Candidate),
    /// The pod may not preempt; its nomination stays. The message is the PostFilter's.
    NotEligible(String),
    /// No node can be freed; the nomination is cleared. The message is the PostFilter's.
    NoCandidates(String),
}

/// `calculateNumCandidates`.
pub fn num_candidates(potential: usize) -> usize {
    (potential * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
        .max(MIN_CANDIDATE_NODES_ABSOLUTE)
        .min(potential)
}

/// `util.MoreImportantPod`: higher priority, then the earlier start; pod id last so the
/// order is total.
fn importance_key(cluster: &Cluster, ctx: &PreemptionContext<'_>, p: PodId) -> (i64, u64, PodId) {
    (
        -i64::from(cluster.spec_of(p).priority),
        (ctx.start_time)(p),
        p,
    )
}

/// The filter status `fit` recorded for `node` (explicit, else the absent-nodes status,
/// else kube's default `UnschedulableAndUnresolvable`).
pub(crate) fn status_code(fit: &FitError, node: NodeId) -> Code {
    if let Some((_, st)) = fit.node_statuses.iter().find(|(n, _)| *n == node) {
        return st.code;
    }
    fit.absent_nodes_status
        .as_ref()
        .map_or(Code::UnschedulableAndUnresolvable, |s| s.code)
}

/// `PodEligibleToPreemptOthers`.
pub fn eligible(
    cluster: &Cluster,
    pod: PodId,
    fit: &FitError,
    ctx: &PreemptionContext<'_>,
) -> Result<(), &'static str> {
    let spec = cluster.spec_of(pod);
    if spec.never_preempt {
        return Err(NOT_ELIGIBLE_NEVER);
    }
    if let Some(nom) = cluster.pods[pod.idx()].nominated_node {
        if status_code(fit, nom) == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if let Some(n) = cluster.nodes.get(nom.idx()).filter(|n| n.live) {
            if n.pods
                .iter()
                .any(|&p| cluster.spec_of(p).priority < spec.priority && (ctx.terminating)(p))
            {
                return Err(NOT_ELIGIBLE_TERMINATING);
            }
        }
    }
    Ok(())
}

/// `filterPodsWithPDBViolation`: splits `pods` (order kept) into those whose eviction would
/// take a covering budget below zero allowed disruptions, and the rest.
pub fn split_by_pdb_violation(
    cluster: &Cluster,
    pods: &[PodId],
    ctx: &PreemptionContext<'_>,
) -> (Vec<PodId>, Vec<PodId>) {
    let mut allowed: Vec<i64> = ctx
        .statuses
        .iter()
        .map(|s| i64::from(s.disruptions_allowed))
        .collect();
    allowed.resize(ctx.budgets.len(), 0);
    let (mut violating, mut fine) = (Vec::new(), Vec::new());
    for &p in pods {
        let spec = cluster.spec_of(p);
        let mut violated = false;
        for (i, b) in ctx.budgets.iter().enumerate() {
            if b.covers(spec) {
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(p);
        } else {
            fine.push(p);
        }
    }
    (violating, fine)
}

/// `SelectVictimsOnNode`: the fewest, least important lower-priority pods whose removal
/// lets `pod` pass every filter on `node`, or the status that rules the node out. The
/// cluster is left as it was found.
pub fn select_victims_on_node(
    sched: &mut Scheduler,
    cluster: &mut Cluster,
    pod: PodId,
    node: NodeId,
    ctx: &PreemptionContext<'_>,
) -> Result<Candidate, Status> {
    let prio = cluster.spec_of(pod).priority;
    let mut potential: Vec<PodId> = cluster.nodes[node.idx()]
        .pods
        .iter()
        .copied()
        .filter(|&p| cluster.spec_of(p).priority < prio)
        .collect();
    if potential.is_empty() {
        return Err(Status::new(
            Code::UnschedulableAndUnresolvable,
            NAME,
            NO_VICTIMS,
        ));
    }
    for &p in &potential {
        cluster.unbind(p);
    }
    let st = sched.filter_one(cluster, pod, node);
    if !st.is_success() {
        for &p in &potential {
            cluster.bind(p, node);
        }
        return Err(st);
    }
    potential.sort_by_key(|&p| importance_key(cluster, ctx, p));
    let (violating, fine) = split_by_pdb_violation(cluster, &potential, ctx);
    let mut victims = Vec::new();
    let mut pdb_violations = 0;
    for (list, counts) in [(&violating, true), (&fine, false)] {
        for &p in list {
            cluster.bind(p, node);
            if !sched.filter_one(cluster, pod, node).is_success() {
                cluster.unbind(p);
                victims.push(p);
                if counts {
                    pdb_violations += 1;
                }
            }
        }
    }
    if !violating.is_empty() && !fine.is_empty() {
        victims.sort_by_key(|&p| importance_key(cluster, ctx, p));
    }
    for &p in &victims {
        cluster.bind(p, node);
    }
    if victims.is_empty() {
        // kube: `expected at least one victim pod on node` (an error status).
        return Err(Status::new(
            Code::Unschedulable,
            NAME,
            format!(
                "expected at least one victim pod on node {:?}",
                cluster.nodes[node.idx()].name
            ),
        ));
    }
    Ok(Candidate {
        node,
        victims,
        pdb_violations,
    })
}

/// `pickOneNodeForPreemption`: fewest PDB violations, lowest highest-victim priority,
/// smallest priority sum (each shifted by 2^31), fewest victims, latest earliest start
/// among the highest-priority victims, then the first candidate.
pub fn pick_one_node(
    cluster: &Cluster,
    candidates: &[Candidate],
    ctx: &PreemptionContext<'_>,
) -> Option<usize> {
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    let prio = |p: PodId| i64::from(cluster.spec_of(p).priority);
    let scores: [&dyn Fn(&Candidate) -> i64; 5] = [
        &|c| -(c.pdb_violations as i64),
        &|c| -c.victims.first().map_or(0, |&p| prio(p)),
        &|c| {
            -c.victims
                .iter()
                .map(|&p| prio(p) + i64::from(i32::MAX) + 1)
                .sum::<i64>()
        },
        &|c| -(c.victims.len() as i64),
        &|c| {
            let top = c.victims.iter().map(|&p| prio(p)).max().unwrap_or(0);
            c.victims
                .iter()
                .filter(|&&p| prio(p) == top)
                .map(|&p| (ctx.start_time)(p))
                .min()
                .map_or(i64::MIN, |t| t as i64)
        },
    ];
    for f in scores {
        if idx.len() <= 1 {
            break;
        }
        let best = idx.iter().map(|&i| f(&candidates[i])).max()?;
        idx.retain(|&i| f(&candidates[i]) == best);
    }
    idx.first().copied()
}

/// The PostFilter: eligibility, candidates, the best one (`Evaluator.Preempt`). `rng`
/// draws the dry run's random offset.
pub fn preempt(
    sched: &mut Scheduler,
    cluster: &mut Cluster,
    pod: PodId,
    fit: &FitError,
    ctx: &PreemptionContext<'_>,
    rng: &mut SimRng,
) -> Preemption {
    if let Err(msg) = eligible(cluster, pod, fit, ctx) {
        return Preemption::NotEligible(format!("{PREFIX}{msg}"));
    }
    let all: Vec<NodeId> = cluster.live_node_ids().collect();
    if all.is_empty() {
        return Preemption::NotEligible(format!("{PREFIX}no nodes available"));
    }
    let potential: Vec<NodeId> = all
        .iter()
        .copied()
        .filter(|&n| status_code(fit, n) == Code::Unschedulable)
        .collect();
    let mut statuses: Vec<(NodeId, Status)> = Vec::new();
    let mut found: (Vec<Candidate>, Vec<Candidate>) = (Vec::new(), Vec::new());
    if !potential.is_empty() {
        let n = potential.len();
        let offset = rng.random_range(0..n);
        let want = num_candidates(n);
        for k in 0..n {
            let node = potential[(offset + k) % n];
            match select_victims_on_node(sched, cluster, pod, node, ctx) {
                Ok(c) => {
                    if c.pdb_violations == 0 {
                        found.0.push(c);
                    } else {
                        found.1.push(c);
                    }
                    if !found.0.is_empty() && found.0.len() + found.1.len() >= want {
                        break;
                    }
                }
                Err(st) => statuses.push((node, st)),
            }
        }
    }
    let (mut candidates, violating) = found;
    candidates.truncate(num_candidates(potential.len()));
    candidates.extend(violating);
    if candidates.is_empty() {
        let fe = FitError {
            num_all_nodes: all.len(),
            pre_filter_msg: None,
            node_statuses: statuses,
            absent_nodes_status: Some(Status::new(
                Code::UnschedulableAndUnresolvable,
                NAME,
                NOT_HELPFUL,
            )),
            post_filter_msg: None,
        };
        return Preemption::NoCandidates(format!("{PREFIX}{}", fe.message()));
    }
    match pick_one_node(cluster, &candidates, ctx) {
        Some(i) => Preemption::Nominated(candidates.swap_remove(i)),
        None => Preemption::NotEligible(format!("{PREFIX}no candidate node for preemption")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Res, SpecId};
    use crate::engine::{rng_for, Stream};
    use crate::scheduler::plugins::testutil::{add_node, spec};
    use crate::scheduler::{ScheduleResult, SchedulerSettings};
    use poolcast_model::scenario::{DisruptionBudget, IntOrPercent, LabelSelector};
    use std::collections::BTreeMap;

    struct World {
        c: Cluster,
        s: Scheduler,
        start: BTreeMap<PodId, u64>,
    }

    impl World {
        fn new(nodes: usize) -> World {
            let mut c = Cluster::default();
            for i in 0..nodes {
                add_node(&mut c, &format!("n{i}"), &[]);
            }
            World {
                c,
                s: Scheduler::new(SchedulerSettings::default()),
                start: BTreeMap::new(),
            }
        }
        fn spec(&mut self, name: &str, cpu: u64, prio: i32) -> SpecId {
            let mut s = spec(name);
            s.requests = Res {
                cpu,
                memory: 0,
                ephemeral: 0,
                pods: 1,
            };
            s.non_zero = s.requests;
            s.priority = prio;
            self.c.add_spec(s)
        }
        fn run(&mut self, spec: SpecId, node: usize, started: u64) -> PodId {
            let p = self
                .c
                .add_pod(format!("p{}", self.c.pods.len()), spec, None);
            self.c.bind(p, NodeId(node as u32));
            self.start.insert(p, started);
            p
        }
        fn preempt(&mut self, pod: PodId, budgets: &[Budget], allowed: &[u32]) -> Preemption {
            let mut rng = rng_for(1, Stream::Preemption);
            let ScheduleResult::Unschedulable(fe) = self.s.schedule_one(&self.c, pod, &mut rng)
            else {
                panic!("the pod fits without preemption");
            };
            let statuses: Vec<BudgetStatus> = allowed
                .iter()
                .map(|&a| BudgetStatus {
                    disruptions_allowed: a,
                    ..BudgetStatus::default()
                })
                .collect();
            let start = self.start.clone();
            let ctx = PreemptionContext {
                budgets,
                statuses: &statuses,
                start_time: &|p| start.get(&p).copied().unwrap_or(0),
                terminating: &|_| false,
            };
            let before: Vec<Vec<PodId>> = self
                .c
                .nodes
                .iter()
                .map(|n| {
                    let mut v = n.pods.clone();
                    v.sort();
                    v
                })
                .collect();
            let r = preempt(&mut self.s, &mut self.c, pod, &fe, &ctx, &mut rng);
            for (n, b) in self.c.nodes.iter().zip(before) {
                let mut v = n.pods.clone();
                v.sort();
                assert_eq!(v, b, "the dry run left the cluster changed");
            }
            self.c.check_invariants().unwrap();
            r
        }
    }

    fn budget(app: &str, min: u32) -> Budget {
        Budget::from_scenario(&DisruptionBudget {
            name: format!("{app}-pdb"),
            namespace: None,
            selector: LabelSelector {
                match_labels: BTreeMap::from([("app".into(), app.into())]),
                match_expressions: Vec::new(),
            },
            min_available: Some(IntOrPercent::Int(min)),
            max_unavailable: None,
        })
    }

    #[test]
    fn minimal_victims_reprieve_the_most_important_first() {
        // One 4-core node: 1000m prio 10 (started 5), 1000m prio 10 (started 1), 2000m prio 5.
        // A 2000m pod of prio 100 needs 2000m: removing everything then reprieving in order
        // (prio 10 started 1, prio 10 started 5, prio 5) keeps both prio-10 pods.
        let mut w = World::new(1);
        let (mid, low, hi) = (
            w.spec("mid", 1000, 10),
            w.spec("low", 2000, 5),
            w.spec("hi", 2000, 100),
        );
        let a = w.run(mid, 0, 5);
        let b = w.run(mid, 0, 1);
        let c = w.run(low, 0, 0);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        let Preemption::Nominated(cand) = w.preempt(p, &[], &[]) else {
            panic!("expected a nomination");
        };
        assert_eq!(cand.node, NodeId(0));
        assert_eq!(cand.victims, vec![c]);
        assert_eq!(cand.pdb_violations, 0);
        let _ = (a, b);
    }

    #[test]
    fn pdb_violating_victims_are_reprieved_first_and_counted() {
        // 4 cores, two 2000m prio-1 pods of app "low"; the budget allows 1 disruption.
        // The preemptor needs 2000m: one victim, and the budget-violating one (the second
        // in importance order) is reprieved first, so the victim breaks no budget.
        let mut w = World::new(1);
        let (low, hi) = (w.spec("low", 2000, 1), w.spec("hi", 2000, 100));
        let older = w.run(low, 0, 1);
        let newer = w.run(low, 0, 9);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        let r = w.preempt(p, &[budget("low", 1)], &[1]);
        let Preemption::Nominated(cand) = r else {
            panic!("{r:?}")
        };
        // Importance: older (earlier start) first; allowed 1 -> older fine, newer violating.
        // Violating ones are reprieved first: newer fits back, older is the victim.
        assert_eq!(cand.victims, vec![older]);
        assert_eq!(cand.pdb_violations, 0);
        // With no disruption allowed, both are violating; the most important is reprieved.
        let r = w.preempt(p, &[budget("low", 2)], &[0]);
        let Preemption::Nominated(cand) = r else {
            panic!("{r:?}")
        };
        assert_eq!(cand.victims, vec![newer]);
        assert_eq!(cand.pdb_violations, 1);
    }

    #[test]
    fn candidates_ranked_by_kube_criteria() {
        // n0: a prio-50 pod; n1: two prio-10 pods; n2: one prio-10 pod started late;
        // n3: one prio-10 pod started early. Each node is full (4000m).
        let mut w = World::new(4);
        let (p50, p10a, p10b, hi) = (
            w.spec("a", 4000, 50),
            w.spec("b", 2000, 10),
            w.spec("c", 4000, 10),
            w.spec("hi", 3000, 100),
        );
        w.run(p50, 0, 0);
        w.run(p10a, 1, 0);
        w.run(p10a, 1, 0);
        let late = w.run(p10b, 2, 50);
        w.run(p10b, 3, 10);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        let Preemption::Nominated(cand) = w.preempt(p, &[], &[]) else {
            panic!()
        };
        // Lowest highest priority excludes n0; smallest priority sum excludes n1; n2 and n3
        // tie on count; n2's victim started later.
        assert_eq!(cand.node, NodeId(2));
        assert_eq!(cand.victims, vec![late]);
    }

    #[test]
    fn fewer_pdb_violations_win_over_lower_priority() {
        let mut w = World::new(2);
        let (guarded, other, hi) = (
            w.spec("g", 4000, 1),
            w.spec("o", 4000, 50),
            w.spec("hi", 4000, 100),
        );
        w.run(guarded, 0, 0);
        let o = w.run(other, 1, 0);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        let Preemption::Nominated(cand) = w.preempt(p, &[budget("g", 1)], &[0]) else {
            panic!()
        };
        assert_eq!(cand.victims, vec![o]);
    }

    #[test]
    fn messages_when_preemption_cannot_help() {
        let mut w = World::new(2);
        let (same, hi) = (w.spec("same", 4000, 100), w.spec("hi", 4000, 100));
        w.run(same, 0, 0);
        w.run(same, 1, 0);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        assert_eq!(
            w.preempt(p, &[], &[]),
            Preemption::NoCandidates(
                "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
                    .into()
            )
        );
        // A pod bigger than any node: victims exist but removing them does not help.
        let mut w = World::new(2);
        let (low, huge) = (w.spec("low", 1000, 0), w.spec("huge", 8000, 100));
        w.run(low, 0, 0);
        let p = w.c.add_pod("huge-0".into(), huge, None);
        assert_eq!(
            w.preempt(p, &[], &[]),
            Preemption::NoCandidates(
                "preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod."
                    .into()
            )
        );
        // Untolerated taints are UnschedulableAndUnresolvable: not helpful.
        let mut w = World::new(2);
        for n in 0..2 {
            w.c.set_node_taints(
                NodeId(n),
                vec![poolcast_model::scenario::Taint {
                    key: "os".into(),
                    value: "windows".into(),
                    effect: poolcast_model::scenario::TaintEffect::NoSchedule,
                }],
            );
        }
        let hi = w.spec("hi", 100, 100);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        assert_eq!(
            w.preempt(p, &[], &[]),
            Preemption::NoCandidates(
                "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
                    .into()
            )
        );
    }

    #[test]
    fn preemption_policy_never_is_not_eligible() {
        let mut w = World::new(1);
        let low = w.spec("low", 4000, 0);
        w.run(low, 0, 0);
        let mut s = spec("never");
        s.requests.cpu = 1000;
        s.priority = 100;
        s.never_preempt = true;
        let never = w.c.add_spec(s);
        let p = w.c.add_pod("never-0".into(), never, None);
        assert_eq!(
            w.preempt(p, &[], &[]),
            Preemption::NotEligible(
                "preemption: not eligible due to preemptionPolicy=Never.".into()
            )
        );
    }

    #[test]
    fn terminating_victims_on_the_nominated_node_block_a_second_preemption() {
        let mut w = World::new(1);
        let (low, hi) = (w.spec("low", 4000, 0), w.spec("hi", 4000, 100));
        let victim = w.run(low, 0, 0);
        let p = w.c.add_pod("hi-0".into(), hi, None);
        w.c.pods[p.idx()].nominated_node = Some(NodeId(0));
        let mut rng = rng_for(1, Stream::Preemption);
        let ScheduleResult::Unschedulable(fe) = w.s.schedule_one(&w.c, p, &mut rng) else {
            panic!("fits")
        };
        let ctx = PreemptionContext {
            budgets: &[],
            statuses: &[],
            start_time: &|_| 0,
            terminating: &|q| q == victim,
        };
        assert_eq!(
            preempt(&mut w.s, &mut w.c, p, &fe, &ctx, &mut rng),
            Preemption::NotEligible(
                "preemption: not eligible due to a terminating pod on the nominated node.".into()
            )
        );
        // Once the victim is no longer terminating (say, a new pod took its place), the pod
        // may preempt again.
        let ctx = PreemptionContext {
            terminating: &|_| false,
            ..ctx
        };
        assert!(matches!(
            preempt(&mut w.s, &mut w.c, p, &fe, &ctx, &mut rng),
            Preemption::Nominated(Candidate {
                node: NodeId(0),
                ..
            })
        ));
    }

    #[test]
    fn num_candidates_is_ten_percent_at_least_a_hundred() {
        assert_eq!(num_candidates(5), 5);
        assert_eq!(num_candidates(500), 100);
        assert_eq!(num_candidates(5000), 500);
    }
}

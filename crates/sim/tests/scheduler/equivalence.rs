//! The per-template caches change nothing: the default profile and the same plugins with
//! every cache disabled (no `node_local`, no `constant_score`) must return identical results
//! through a seeded sequence of binds, unbinds, new nodes, cordons, relabels and retaints.

use poolcast_model::scenario::{
    Affinity, LabelSelector, NodeInclusionPolicy, PodAffinity, PodAffinityTerm, Taint, TaintEffect,
    TopologySpreadConstraint, UnsatisfiableConstraintAction,
};
use poolcast_sim::cluster::{Cluster, NodeId, PodId, SpecId};
use poolcast_sim::engine::{rng_for, Stream};
use poolcast_sim::scheduler::framework::{Code, FilterPlugin, NodeScore, ScorePlugin, Status};
use poolcast_sim::scheduler::plugins::{default_filters, default_scorers};
use poolcast_sim::scheduler::{ScheduleResult, Scheduler, SchedulerSettings};
use rand::{Rng, SeedableRng};

use super::{add_node, labels, spec, windows_taint, OS, ZONE};
use poolcast_model::scenario::Os;

struct PlainFilter(Box<dyn FilterPlugin + Send>);

impl FilterPlugin for PlainFilter {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn pre_filter(&mut self, c: &Cluster, p: PodId) -> Status {
        self.0.pre_filter(c, p)
    }
    fn pre_filter_nodes(&self) -> Option<&[NodeId]> {
        self.0.pre_filter_nodes()
    }
    fn filter(&self, c: &Cluster, p: PodId, n: NodeId) -> Status {
        self.0.filter(c, p, n)
    }
    fn check(&self, c: &Cluster, p: PodId, n: NodeId) -> Code {
        self.0.filter(c, p, n).code
    }
}

struct PlainScorer(Box<dyn ScorePlugin + Send>);

impl ScorePlugin for PlainScorer {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn pre_score(&mut self, c: &Cluster, p: PodId, f: &[NodeId]) -> Status {
        self.0.pre_score(c, p, f)
    }
    fn score(&self, c: &Cluster, p: PodId, n: NodeId) -> i64 {
        self.0.score(c, p, n)
    }
    fn normalize(&self, s: &mut [NodeScore]) {
        self.0.normalize(s)
    }
}

fn plain_scheduler() -> Scheduler {
    let settings = SchedulerSettings::default();
    let filters: Vec<Box<dyn FilterPlugin + Send>> = default_filters(&settings)
        .into_iter()
        .map(|f| Box::new(PlainFilter(f)) as Box<dyn FilterPlugin + Send>)
        .collect();
    let scorers = default_scorers(&settings)
        .into_iter()
        .map(|s| {
            let w = settings.weight(s.name());
            (Box::new(PlainScorer(s)) as Box<dyn ScorePlugin + Send>, w)
        })
        .collect();
    Scheduler::with_plugins(settings, filters, scorers)
}

fn templates(c: &mut Cluster) -> Vec<SpecId> {
    let sel = |app: &str| {
        Some(LabelSelector {
            match_labels: labels(&[("app", app)]),
            match_expressions: vec![],
        })
    };
    let mut out = vec![c.add_spec(spec("web", 300)), c.add_spec(spec("api", 900))];
    let mut win = spec("win", 500);
    win.node_selector = labels(&[(OS, "windows")]);
    win.tolerations = vec![poolcast_model::scenario::Toleration {
        key: "os".into(),
        operator: poolcast_model::scenario::TolerationOperator::Exists,
        value: String::new(),
        effect: None,
        toleration_seconds: None,
    }];
    out.push(c.add_spec(win));
    let mut hard = spec("hard", 200);
    hard.topology_spread = vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: ZONE.into(),
        when_unsatisfiable: UnsatisfiableConstraintAction::DoNotSchedule,
        label_selector: sel("hard"),
        min_domains: Some(2),
        node_affinity_policy: None,
        node_taints_policy: Some(NodeInclusionPolicy::Honor),
        match_label_keys: vec![],
    }];
    out.push(c.add_spec(hard));
    let mut anti = spec("anti", 100);
    anti.affinity = Some(Affinity {
        node_affinity: None,
        pod_affinity: None,
        pod_anti_affinity: Some(PodAffinity {
            required_during_scheduling_ignored_during_execution: vec![PodAffinityTerm {
                label_selector: sel("anti"),
                namespaces: vec![],
                namespace_selector: None,
                topology_key: "kubernetes.io/hostname".into(),
                match_label_keys: vec![],
                mismatch_label_keys: vec![],
            }],
            preferred_during_scheduling_ignored_during_execution: vec![],
        }),
    });
    out.push(c.add_spec(anti));
    out.push(c.add_spec(spec("huge", 64_000)));
    out
}

#[test]
fn caches_change_no_decision() {
    for seed in 0..4u64 {
        let mut c = Cluster::default();
        for i in 0..24 {
            let (os, taints) = if i % 4 == 3 {
                (Os::Windows, vec![windows_taint()])
            } else {
                (Os::Linux, vec![])
            };
            let n = add_node(&mut c, &format!("n{i}"), os, 2000 + 500 * (i % 3), taints);
            let mut l = c.nodes[n.idx()].labels.to_map();
            l.insert(ZONE.into(), format!("z{}", i % 3));
            c.set_node_labels(n, l);
        }
        let specs = templates(&mut c);
        let mut cached = Scheduler::new(SchedulerSettings::default());
        let mut plain = plain_scheduler();
        let mut r1 = rng_for(seed, Stream::TieBreak);
        let mut r2 = rng_for(seed, Stream::TieBreak);
        let mut ops = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut bound: Vec<PodId> = Vec::new();
        for step in 0..400 {
            let roll = ops.random_range(0..100);
            if roll < 70 {
                let s = specs[ops.random_range(0..specs.len())];
                let p = c.add_pod(format!("p{step}"), s, None);
                let a = cached.schedule_one(&c, p, &mut r1);
                let b = plain.schedule_one(&c, p, &mut r2);
                assert_eq!(a, b, "seed {seed} step {step}");
                if let ScheduleResult::Scheduled { node, .. } = a {
                    c.bind(p, node);
                    bound.push(p);
                }
            } else if roll < 85 && !bound.is_empty() {
                let p = bound.swap_remove(ops.random_range(0..bound.len()));
                c.unbind(p);
            } else if roll < 90 {
                let i = c.nodes.len();
                let n = add_node(&mut c, &format!("n{i}"), Os::Linux, 3000, vec![]);
                let mut l = c.nodes[n.idx()].labels.to_map();
                l.insert(ZONE.into(), format!("z{}", i % 4));
                c.set_node_labels(n, l);
            } else if roll < 94 {
                let n = NodeId(ops.random_range(0..c.nodes.len() as u32));
                let cordon = !c.nodes[n.idx()].unschedulable;
                c.set_node_unschedulable(n, cordon);
            } else if roll < 97 {
                let n = NodeId(ops.random_range(0..c.nodes.len() as u32));
                let t = if c.nodes[n.idx()].taints.is_empty() {
                    vec![Taint {
                        key: "spot".into(),
                        value: String::new(),
                        effect: if ops.random_range(0..2) == 0 {
                            TaintEffect::PreferNoSchedule
                        } else {
                            TaintEffect::NoSchedule
                        },
                    }]
                } else {
                    vec![]
                };
                c.set_node_taints(n, t);
            } else {
                let n = NodeId(ops.random_range(0..c.nodes.len() as u32));
                if c.nodes[n.idx()].live && c.nodes[n.idx()].pods.is_empty() {
                    c.remove_node(n);
                }
            }
        }
        c.check_invariants().unwrap();
    }
}

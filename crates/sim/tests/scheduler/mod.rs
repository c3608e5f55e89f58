//! End-to-end scheduling cycles on clusters built by hand: kube's messages to the letter,
//! DaemonSet pinning, spreading, the queue loop, determinism.

mod equivalence;

use std::collections::BTreeMap;

use poolcast_model::scenario::{
    Os, Taint, TaintEffect, Toleration, TolerationOperator, WorkloadKind,
};
use poolcast_sim::cluster::{
    Cluster, NodeId, NodeInfo, Owner, PodId, PodSpec, PoolId, Res, SpecId,
};
use poolcast_sim::engine::{rng_for, SimTime, Stream};
use poolcast_sim::scheduler::queue::{ClusterEvent, QueueSettings, SchedulingQueue};
use poolcast_sim::scheduler::{ScheduleResult, Scheduler, SchedulerSettings};

const OS: &str = "kubernetes.io/os";
const ZONE: &str = "topology.kubernetes.io/zone";

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn add_node(c: &mut Cluster, name: &str, os: Os, cpu: u64, taints: Vec<Taint>) -> NodeId {
    let os_label = match os {
        Os::Linux => "linux",
        Os::Windows => "windows",
    };
    c.add_node(NodeInfo {
        name: name.into(),
        pool: PoolId(0),
        os,
        windows_build: (os == Os::Windows).then_some(17763),
        labels: labels(&[
            (OS, os_label),
            ("kubernetes.io/hostname", name),
            (ZONE, "0"),
        ])
        .into(),
        taints,
        unschedulable: false,
        allocatable: Res {
            cpu,
            memory: 16 << 30,
            ephemeral: 100 << 30,
            pods: 110,
        },
        requested: Res::default(),
        non_zero_requested: Res::default(),
        pods: Vec::new(),
        images: Vec::new(),
        live: true,
    })
}

fn windows_taint() -> Taint {
    Taint {
        key: "os".into(),
        value: "windows".into(),
        effect: TaintEffect::NoSchedule,
    }
}

fn spec(name: &str, cpu: u64) -> PodSpec {
    let requests = Res {
        cpu,
        memory: 256 << 20,
        ephemeral: 0,
        pods: 1,
    };
    PodSpec {
        workload: name.into(),
        namespace: "default".into(),
        owner: Owner::Workload(WorkloadKind::Deployment),
        labels: labels(&[("app", name)]).into(),
        requests,
        non_zero: requests,
        node_selector: BTreeMap::new(),
        required_node_affinity: None,
        preferred_node_affinity: Vec::new(),
        affinity: None,
        tolerations: Vec::new(),
        topology_spread: Vec::new(),
        system_default_spread: true,
        images: Vec::new(),
        priority: 0,
        never_preempt: false,
    }
}

fn scheduler() -> Scheduler {
    Scheduler::new(SchedulerSettings::default())
}

fn unschedulable_message(r: ScheduleResult) -> String {
    match r {
        ScheduleResult::Unschedulable(e) => e.message(),
        other => panic!("expected unschedulable, got {other:?}"),
    }
}

#[test]
fn windows_pod_without_selector_lands_on_a_linux_node() {
    // Kubernetes has no OS filter: with the Windows pool tainted, an untolerating Windows
    // pod without a nodeSelector goes to Linux (and fails there at image pull).
    let mut c = Cluster::default();
    let l1 = add_node(&mut c, "aks-linux-0", Os::Linux, 4000, vec![]);
    let l2 = add_node(&mut c, "aks-linux-1", Os::Linux, 4000, vec![]);
    add_node(
        &mut c,
        "akswin000000",
        Os::Windows,
        4000,
        vec![windows_taint()],
    );
    let s = c.add_spec(spec("medchart-web", 1000));
    let mut rng = rng_for(1, Stream::TieBreak);
    let mut sched = scheduler();
    for i in 0..4 {
        let p = c.add_pod(format!("medchart-web-{i}"), s, None);
        match sched.schedule_one(&c, p, &mut rng) {
            ScheduleResult::Scheduled { node, .. } => {
                assert!(node == l1 || node == l2, "{node:?}");
                c.bind(p, node);
            }
            other => panic!("{other:?}"),
        }
    }
    c.check_invariants().unwrap();
}

#[test]
fn tainted_windows_pool_reports_the_taint() {
    let mut c = Cluster::default();
    for i in 0..3 {
        add_node(
            &mut c,
            &format!("akswin00000{i}"),
            Os::Windows,
            4000,
            vec![windows_taint()],
        );
    }
    let mut s = spec("medchart-web", 1000);
    s.node_selector = labels(&[(OS, "windows")]);
    let s = c.add_spec(s);
    let p = c.add_pod("medchart-web-0".into(), s, None);
    let mut rng = rng_for(1, Stream::TieBreak);
    assert_eq!(
        unschedulable_message(scheduler().schedule_one(&c, p, &mut rng)),
        "0/3 nodes are available: 3 node(s) had untolerated taint {os: windows}."
    );
}

#[test]
fn mixed_cluster_message_matches_kube() {
    // The example of DESIGN.md: taint checked before the selector on Windows nodes.
    let mut c = Cluster::default();
    for i in 0..2 {
        add_node(
            &mut c,
            &format!("akswin00000{i}"),
            Os::Windows,
            4000,
            vec![windows_taint()],
        );
    }
    for i in 0..3 {
        add_node(&mut c, &format!("aks-linux-{i}"), Os::Linux, 4000, vec![]);
    }
    let mut s = spec("medchart-web", 1000);
    s.node_selector = labels(&[(OS, "windows")]);
    let s = c.add_spec(s);
    let p = c.add_pod("medchart-web-0".into(), s, None);
    let mut rng = rng_for(1, Stream::TieBreak);
    let mut sched = scheduler();
    let r = sched.schedule_one(&c, p, &mut rng);
    let ScheduleResult::Unschedulable(e) = &r else {
        panic!("{r:?}");
    };
    assert!(!e.any_resolvable(), "no node could be helped by preemption");
    assert_eq!(
        e.unschedulable_plugins(),
        ["NodeAffinity", "TaintToleration"]
    );
    assert_eq!(
        e.message(),
        "0/5 nodes are available: 2 node(s) had untolerated taint {os: windows}, 3 node(s) didn't match Pod's node affinity/selector."
    );

    // Tolerating the taint makes the Windows nodes feasible.
    let mut t = spec("medchart-web-tol", 1000);
    t.node_selector = labels(&[(OS, "windows")]);
    t.tolerations = vec![Toleration {
        key: "os".into(),
        operator: TolerationOperator::Equal,
        value: "windows".into(),
        effect: Some(TaintEffect::NoSchedule),
        toleration_seconds: None,
    }];
    let t = c.add_spec(t);
    let q = c.add_pod("tol-0".into(), t, None);
    match sched.schedule_one(&c, q, &mut rng) {
        ScheduleResult::Scheduled { node, feasible, .. } => {
            assert_eq!(c.nodes[node.idx()].os, Os::Windows);
            assert_eq!(feasible, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn insufficient_resources_are_resolvable_and_listed() {
    let mut c = Cluster::default();
    add_node(&mut c, "a", Os::Linux, 1000, vec![]);
    add_node(&mut c, "b", Os::Linux, 1500, vec![]);
    let s = c.add_spec(spec("big", 2000));
    let p = c.add_pod("big-0".into(), s, None);
    let mut rng = rng_for(1, Stream::TieBreak);
    let r = scheduler().schedule_one(&c, p, &mut rng);
    let ScheduleResult::Unschedulable(e) = &r else {
        panic!("{r:?}");
    };
    assert!(e.any_resolvable());
    assert_eq!(e.message(), "0/2 nodes are available: 2 Insufficient cpu.");
}

#[test]
fn daemonset_pod_is_narrowed_to_its_node() {
    let mut c = Cluster::default();
    let nodes: Vec<NodeId> = (0..4)
        .map(|i| add_node(&mut c, &format!("n{i}"), Os::Linux, 1000, vec![]))
        .collect();
    let mut ds = spec("kube-proxy", 500);
    ds.owner = Owner::System(WorkloadKind::DaemonSet);
    ds.system_default_spread = false;
    let ds = c.add_spec(ds);
    let mut rng = rng_for(1, Stream::TieBreak);
    let mut sched = scheduler();
    for &n in &nodes {
        let p = c.add_pod(format!("kube-proxy-{}", n.0), ds, Some(n));
        match sched.schedule_one(&c, p, &mut rng) {
            ScheduleResult::Scheduled {
                node,
                evaluated,
                feasible,
            } => {
                assert_eq!((node, evaluated, feasible), (n, 1, 1));
                c.bind(p, node);
            }
            other => panic!("{other:?}"),
        }
    }
    // A second copy pinned to n2 no longer fits there; the other nodes are not evaluated.
    let big = c.add_spec(spec("hog", 600));
    let p = c.add_pod("hog-n2".into(), big, Some(nodes[2]));
    assert_eq!(
        unschedulable_message(sched.schedule_one(&c, p, &mut rng)),
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    );
    // Pinned to a node that is gone: every node is absent.
    c.unbind(PodId(0));
    c.remove_node(nodes[0]);
    let p = c.add_pod("ghost".into(), ds, Some(nodes[0]));
    assert_eq!(
        unschedulable_message(sched.schedule_one(&c, p, &mut rng)),
        "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    );
    c.check_invariants().unwrap();
}

/// Places `n` replicas of a template, one cycle each; returns pods per node.
fn place(c: &mut Cluster, s: SpecId, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = rng_for(seed, Stream::TieBreak);
    let mut sched = scheduler();
    for i in 0..n {
        let p = c.add_pod(format!("r{i}"), s, None);
        match sched.schedule_one(c, p, &mut rng) {
            ScheduleResult::Scheduled { node, .. } => c.bind(p, node),
            other => panic!("{other:?}"),
        }
    }
    c.nodes.iter().map(|n| n.pods.len()).collect()
}

fn small_and_two_big() -> Cluster {
    let mut c = Cluster::default();
    add_node(&mut c, "small", Os::Linux, 2000, vec![]);
    add_node(&mut c, "big-0", Os::Linux, 8000, vec![]);
    add_node(&mut c, "big-1", Os::Linux, 8000, vec![]);
    c
}

#[test]
fn system_default_spreading_pulls_replicas_onto_the_small_node() {
    let mut with = small_and_two_big();
    let s = with.add_spec(spec("web", 100));
    let spread = place(&mut with, s, 12, 7);
    let mut without = small_and_two_big();
    let mut bare = spec("web", 100);
    bare.system_default_spread = false;
    let s = without.add_spec(bare);
    let plain = place(&mut without, s, 12, 7);
    assert_eq!(spread.iter().sum::<usize>(), 12);
    assert_eq!(plain.iter().sum::<usize>(), 12);
    assert!(
        spread[0] > plain[0],
        "hostname spreading should favour the small node: {spread:?} vs {plain:?}"
    );
    with.check_invariants().unwrap();
}

#[test]
fn same_seed_same_placements() {
    let run = || {
        let mut c = Cluster::default();
        for i in 0..6 {
            add_node(&mut c, &format!("n{i}"), Os::Linux, 4000, vec![]);
        }
        let s = c.add_spec(spec("web", 250));
        place(&mut c, s, 40, 42);
        c.pods.iter().map(|p| p.node).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn queue_loop_retries_after_a_node_is_added() {
    let mut c = Cluster::default();
    add_node(&mut c, "n0", Os::Linux, 1000, vec![]);
    let s = c.add_spec(spec("web", 600));
    let pods: Vec<PodId> = (0..3)
        .map(|i| c.add_pod(format!("web-{i}"), s, None))
        .collect();
    let mut q = SchedulingQueue::new(QueueSettings::default());
    for &p in &pods {
        q.add(p, 0, SimTime(0));
    }
    let mut sched = scheduler();
    let mut rng = rng_for(3, Stream::TieBreak);
    let mut drain = |c: &mut Cluster, q: &mut SchedulingQueue, now: SimTime| {
        while let Some(p) = q.pop(now) {
            match sched.schedule_one(c, p, &mut rng) {
                ScheduleResult::Scheduled { node, .. } => {
                    c.bind(p, node);
                    q.done(p);
                    q.on_event(ClusterEvent::AssignedPodAdd, now);
                }
                ScheduleResult::Unschedulable(e) => {
                    q.add_unschedulable_by(p, now, &e.unschedulable_plugins())
                }
            }
        }
    };
    drain(&mut c, &mut q, SimTime(0));
    assert_eq!(c.nodes[0].pods.len(), 1);
    assert_eq!(q.unschedulable_len(), 2);
    add_node(&mut c, "n1", Os::Linux, 1000, vec![]);
    q.on_event(ClusterEvent::NodeAdd, SimTime(5000));
    drain(&mut c, &mut q, SimTime(5000));
    assert_eq!(c.nodes[1].pods.len(), 1);
    assert_eq!(q.unschedulable_len(), 1);
    c.check_invariants().unwrap();
}

#[test]
fn explain_lists_every_node() {
    let mut c = Cluster::default();
    add_node(&mut c, "win", Os::Windows, 4000, vec![windows_taint()]);
    let a = add_node(&mut c, "a", Os::Linux, 4000, vec![]);
    let b = add_node(&mut c, "b", Os::Linux, 8000, vec![]);
    let s = c.add_spec(spec("web", 1000));
    let p = c.add_pod("web-0".into(), s, None);
    let v = scheduler().explain(&c, p);
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].filter.plugin, "TaintToleration");
    assert_eq!(
        v[0].filter.reasons,
        ["node(s) had untolerated taint {os: windows}"]
    );
    let fit = |n: NodeId| {
        v.iter()
            .find(|x| x.node == n)
            .unwrap()
            .scores
            .iter()
            .find(|s| s.0 == "NodeResourcesFit")
            .unwrap()
            .1
    };
    // LeastAllocated: a = ((3000*100/4000) + mem)/2, b = ((7000*100/8000) + mem)/2.
    assert!(fit(b) > fit(a));
    assert!(v[1].total > 0 && v[2].total > 0);
}

#[test]
fn required_anti_affinity_puts_one_replica_per_node() {
    use poolcast_model::scenario::{Affinity, LabelSelector, PodAffinity, PodAffinityTerm};
    let mut c = Cluster::default();
    for i in 0..3 {
        add_node(&mut c, &format!("n{i}"), Os::Linux, 4000, vec![]);
    }
    let mut s = spec("zk", 100);
    s.affinity = Some(Affinity {
        node_affinity: None,
        pod_affinity: None,
        pod_anti_affinity: Some(PodAffinity {
            required_during_scheduling_ignored_during_execution: vec![PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: labels(&[("app", "zk")]),
                    match_expressions: vec![],
                }),
                namespaces: vec![],
                namespace_selector: None,
                topology_key: "kubernetes.io/hostname".into(),
                match_label_keys: vec![],
                mismatch_label_keys: vec![],
            }],
            preferred_during_scheduling_ignored_during_execution: vec![],
        }),
    });
    let s = c.add_spec(s);
    let mut rng = rng_for(9, Stream::TieBreak);
    let mut sched = scheduler();
    let mut q = SchedulingQueue::new(QueueSettings::default());
    let pods: Vec<PodId> = (0..4)
        .map(|i| c.add_pod(format!("zk-{i}"), s, None))
        .collect();
    for &p in &pods {
        q.add(p, 0, SimTime(0));
    }
    let mut last = None;
    while let Some(p) = q.pop(SimTime(0)) {
        match sched.schedule_one(&c, p, &mut rng) {
            ScheduleResult::Scheduled { node, .. } => {
                c.bind(p, node);
                q.done(p);
            }
            ScheduleResult::Unschedulable(e) => {
                q.add_unschedulable_by(p, SimTime(0), &e.unschedulable_plugins());
                last = Some(e);
            }
        }
    }
    assert!(c.nodes.iter().all(|n| n.pods.len() == 1));
    let e = last.unwrap();
    assert_eq!(
        e.message(),
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
    assert_eq!(e.unschedulable_plugins(), ["InterPodAffinity"]);
    // Deleting a replica frees its node; the pod event requeues the pending one.
    let victim = c.nodes[1].pods[0];
    c.unbind(victim);
    q.on_event(ClusterEvent::AssignedPodDelete, SimTime(1000));
    let p = q.pop(SimTime(3000)).unwrap();
    match sched.schedule_one(&c, p, &mut rng) {
        ScheduleResult::Scheduled { node, .. } => assert_eq!(node, NodeId(1)),
        other => panic!("{other:?}"),
    }
}

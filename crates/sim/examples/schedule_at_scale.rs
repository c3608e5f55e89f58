//! Scheduler throughput at kube's scalability thresholds: 5,000 nodes (one in five a tainted
//! Windows node, three zones) and 150,000 pods of Deployments with the system default
//! spreading, scheduled one cycle each through the queue with the default profile.
//!
//! `cargo run --release -p poolcast-sim --example schedule_at_scale [nodes] [workloads]
//! [replicas] [interleave]`: replicas are queued per workload unless a fourth argument asks
//! for round-robin interleaving (the worst case for the per-template caches).

use std::collections::BTreeMap;
use std::time::Instant;

use poolcast_model::scenario::{
    Os, Taint, TaintEffect, Toleration, TolerationOperator, WorkloadKind,
};
use poolcast_sim::cluster::{Cluster, NodeInfo, Owner, PodSpec, PoolId, Res};
use poolcast_sim::engine::{rng_for, SimTime, Stream};
use poolcast_sim::scheduler::queue::{QueueSettings, SchedulingQueue};
use poolcast_sim::scheduler::{ScheduleResult, Scheduler, SchedulerSettings};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (nodes, workloads, replicas) = (arg(1, 5000), arg(2, 100), arg(3, 1500));
    let interleave = std::env::args().nth(4).is_some();
    let windows_taint = Taint {
        key: "os".into(),
        value: "windows".into(),
        effect: TaintEffect::NoSchedule,
    };
    let mut c = Cluster::default();
    for i in 0..nodes {
        let win = i % 5 == 4;
        let name = format!("node-{i}");
        let zone = format!("eastus-{}", i % 3 + 1);
        c.add_node(NodeInfo {
            name: name.clone(),
            pool: PoolId(u32::from(win)),
            os: if win { Os::Windows } else { Os::Linux },
            windows_build: win.then_some(20348),
            labels: labels(&[
                ("kubernetes.io/os", if win { "windows" } else { "linux" }),
                ("kubernetes.io/hostname", &name),
                ("topology.kubernetes.io/zone", &zone),
            ])
            .into(),
            taints: if win {
                vec![windows_taint.clone()]
            } else {
                vec![]
            },
            unschedulable: false,
            allocatable: Res {
                cpu: 16000,
                memory: 64 << 30,
                ephemeral: 100 << 30,
                pods: 110,
            },
            requested: Res::default(),
            non_zero_requested: Res::default(),
            pods: vec![],
            images: vec![],
            live: true,
        });
    }
    let specs: Vec<_> = (0..workloads)
        .map(|w| {
            let win = w % 5 == 4;
            let requests = Res {
                cpu: 250,
                memory: 512 << 20,
                ephemeral: 0,
                pods: 1,
            };
            c.add_spec(PodSpec {
                workload: format!("w{w}"),
                namespace: "default".into(),
                owner: Owner::Workload(WorkloadKind::Deployment),
                labels: labels(&[("app", &format!("w{w}"))]).into(),
                requests,
                non_zero: requests,
                node_selector: if win {
                    labels(&[("kubernetes.io/os", "windows")])
                } else {
                    BTreeMap::new()
                },
                required_node_affinity: None,
                preferred_node_affinity: vec![],
                affinity: None,
                tolerations: if win {
                    vec![Toleration {
                        key: "os".into(),
                        operator: TolerationOperator::Equal,
                        value: "windows".into(),
                        effect: Some(TaintEffect::NoSchedule),
                        toleration_seconds: None,
                    }]
                } else {
                    vec![]
                },
                topology_spread: vec![],
                system_default_spread: true,
                images: vec![],
                priority: 0,
                never_preempt: false,
            })
        })
        .collect();
    let mut q = SchedulingQueue::new(QueueSettings::default());
    let order: Vec<(usize, usize)> = if interleave {
        (0..replicas)
            .flat_map(|r| (0..workloads).map(move |w| (w, r)))
            .collect()
    } else {
        (0..workloads)
            .flat_map(|w| (0..replicas).map(move |r| (w, r)))
            .collect()
    };
    for (w, r) in order {
        let p = c.add_pod(format!("w{w}-{r}"), specs[w], None);
        q.add(p, 0, SimTime::ZERO);
    }
    let mut sched = Scheduler::new(SchedulerSettings::default());
    let mut rng = rng_for(1, Stream::TieBreak);
    let started = Instant::now();
    let (mut placed, mut failed) = (0usize, 0usize);
    while let Some(p) = q.pop(SimTime::ZERO) {
        match sched.schedule_one(&c, p, &mut rng) {
            ScheduleResult::Scheduled { node, .. } => {
                c.bind(p, node);
                q.done(p);
                placed += 1;
            }
            ScheduleResult::Unschedulable(e) => {
                q.add_unschedulable_by(p, SimTime::ZERO, &e.unschedulable_plugins());
                failed += 1;
            }
        }
    }
    let took = started.elapsed();
    let per_node =
        |f: fn(usize, usize) -> usize| c.nodes.iter().map(|n| n.pods.len()).reduce(f).unwrap_or(0);
    println!(
        "{placed} placed, {failed} unschedulable in {took:.2?} ({:.1} us/attempt); pods per node {}..{}",
        took.as_secs_f64() * 1e6 / (placed + failed).max(1) as f64,
        per_node(usize::min),
        per_node(usize::max),
    );
}

//! Property tests over generated small scenarios: no bind ever breaks a filter or
//! overcommits allocatable, accounting stays consistent, and every pod's timeline is
//! ordered created <= scheduled <= pulled <= started <= ready.

use proptest::prelude::*;

use crate::common::scenario;

const VM: [&str; 4] = [
    "Standard_D2s_v5",
    "Standard_D4s_v5",
    "Standard_D8s_v5",
    "Standard_E4s_v5",
];
const IMAGES: [(&str, &str); 4] = [
    ("nginx:1.31.3", "nginx-1.31"),
    ("shop:1", "aspnet-4.8-ltsc2022"),
    ("legacy:1", "aspnet-4.8-ltsc2019"),
    ("api:8", "aspnet-8.0"),
];

#[derive(Debug, Clone)]
struct W {
    replicas: u32,
    cpu_m: u32,
    mem_mi: u32,
    image: usize,
    selector: Option<&'static str>,
    tolerate: bool,
    kind: &'static str,
}

fn workload() -> impl Strategy<Value = W> {
    (
        1u32..8,
        prop_oneof![Just(0u32), 100u32..3000],
        prop_oneof![Just(0u32), 128u32..8192],
        0usize..IMAGES.len(),
        prop_oneof![Just(None), Just(Some("linux")), Just(Some("windows"))],
        any::<bool>(),
        prop_oneof![Just("Deployment"), Just("Job"), Just("DaemonSet")],
    )
        .prop_map(
            |(replicas, cpu_m, mem_mi, image, selector, tolerate, kind)| W {
                replicas,
                cpu_m,
                mem_mi,
                image,
                selector,
                tolerate,
                kind,
            },
        )
}

#[derive(Debug, Clone)]
struct Gen {
    lin: (usize, u32),
    win: Option<(usize, u32, bool)>,
    workloads: Vec<W>,
    seed: u64,
    fail_at_min: Option<u32>,
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        (0usize..VM.len(), 1u32..4),
        proptest::option::of((0usize..VM.len(), 1u32..3, any::<bool>())),
        proptest::collection::vec(workload(), 1..5),
        any::<u64>(),
        proptest::option::of(1u32..15),
    )
        .prop_map(|(lin, win, workloads, seed, fail_at_min)| Gen {
            lin,
            win,
            workloads,
            seed,
            fail_at_min,
        })
}

fn yaml(g: &Gen) -> String {
    let mut s = String::from(
        "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {name: gen}\n\
         cluster: {kubernetesVersion: \"1.33\"}\npools:\n",
    );
    s += &format!(
        "  - {{name: system, mode: System, os: linux, vmSize: {}, count: {}}}\n",
        VM[g.lin.0], g.lin.1
    );
    if let Some((vm, n, tainted)) = g.win {
        s += &format!(
            "  - {{name: win, os: windows, vmSize: {}, count: {n}",
            VM[vm]
        );
        if tainted {
            s += ", taints: [\"os=windows:NoSchedule\"]";
        }
        s += "}\n";
    }
    s += "images:\n";
    for (name, key) in IMAGES {
        s += &format!("  - {{name: \"{name}\", catalog: {key}}}\n");
    }
    s += "workloads:\n";
    for (i, w) in g.workloads.iter().enumerate() {
        s += &format!(
            "  - name: w{i}\n    kind: {}\n    image: \"{}\"\n",
            w.kind, IMAGES[w.image].0
        );
        if w.kind != "DaemonSet" {
            s += &format!("    replicas: {}\n", w.replicas);
        }
        if w.kind == "Job" {
            s += "    duration: 3m\n";
        }
        let mut req = Vec::new();
        if w.cpu_m > 0 {
            req.push(format!("cpu: {}m", w.cpu_m));
        }
        if w.mem_mi > 0 {
            req.push(format!("memory: {}Mi", w.mem_mi));
        }
        s += &format!("    requests: {{{}}}\n", req.join(", "));
        if let Some(os) = w.selector {
            s += &format!("    nodeSelector: {{kubernetes.io/os: {os}}}\n");
        }
        if w.tolerate {
            s += "    tolerations: [{key: os, operator: Equal, value: windows, effect: NoSchedule}]\n";
        }
    }
    if let Some(m) = g.fail_at_min {
        s += &format!("events:\n  - {{at: {m}m, failNodes: {{pool: system, count: 1}}}}\n");
    }
    s += &format!("sim: {{seed: {}, horizon: 25m}}\n", g.seed);
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn binds_respect_filters_and_allocatable(g in gen()) {
        let s = scenario(&yaml(&g));
        let (o, audit) = poolcast_sim::simulate_audited(&s, &Default::default()).unwrap();
        prop_assert!(audit.invariants.is_ok(), "{:?}", audit.invariants);
        for b in &audit.binds {
            prop_assert!(b.filters_passed, "bind {:?} failed a filter", b);
            prop_assert!(b.within_allocatable, "bind {:?} overcommits", b);
        }
        for n in &o.nodes {
            prop_assert!(n.requested.cpu_millis <= n.allocatable.cpu_millis, "{}", n.name);
            prop_assert!(n.requested.memory_bytes <= n.allocatable.memory_bytes, "{}", n.name);
            prop_assert!(n.requested.pods <= n.allocatable.pods, "{}", n.name);
        }
        for p in &o.pods {
            let steps = [Some(p.created_ms), p.scheduled_ms, p.pulled_ms, p.started_ms, p.ready_ms];
            let known: Vec<u64> = steps.iter().map_while(|x| *x).collect();
            prop_assert!(known.windows(2).all(|w| w[0] <= w[1]), "{} timeline {:?}", p.name, steps);
            // A later step never exists without the earlier ones.
            prop_assert!(steps.iter().skip(known.len()).all(Option::is_none), "{} {:?}", p.name, steps);
        }
    }
}

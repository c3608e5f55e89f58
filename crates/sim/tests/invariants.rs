//! Property tests over generated small scenarios (Linux system pool, an optional labelled
//! and tainted Linux pool, an optional Windows pool; workloads with OS and pool selectors,
//! tolerations, catalog images of both OSes, fixed and Poisson arrivals): no bind ever
//! breaks a filter or overcommits allocatable, Windows-selecting pods never run on Linux,
//! every pod is counted exactly once, every pod's timeline is ordered created <= scheduled
//! <= pulled <= started <= ready, equal seeds give equal bytes, the JSON parses back, and
//! in static scenarios more nodes never make a ready pod unschedulable.
//!
//! Case counts are per test below; `PROPTEST_CASES` overrides them (README, "Testing").

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
    /// Pin to the labelled Linux pool (`tier: batch`) and tolerate its taint.
    batch: bool,
    /// None: at time 0; Some((at_s, None)): fixed time; Some((from_s, Some(rate))): Poisson
    /// per minute from that time (Deployments without replicas only).
    arrival: Option<(u32, Option<u32>)>,
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
        any::<bool>(),
        proptest::option::of((0u32..600, proptest::option::of(1u32..4))),
    )
        .prop_map(
            |(replicas, cpu_m, mem_mi, image, selector, tolerate, kind, batch, arrival)| W {
                replicas,
                cpu_m,
                mem_mi,
                image,
                selector,
                tolerate,
                kind,
                batch,
                arrival,
            },
        )
}

#[derive(Debug, Clone)]
struct Gen {
    lin: (usize, u32),
    win: Option<(usize, u32, bool)>,
    /// A labelled, tainted Linux pool: (VM, count).
    batch: Option<(usize, u32)>,
    workloads: Vec<W>,
    seed: u64,
    fail_at_min: Option<u32>,
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        (0usize..VM.len(), 1u32..4),
        proptest::option::of((0usize..VM.len(), 1u32..3, any::<bool>())),
        proptest::option::of((0usize..VM.len(), 1u32..3)),
        proptest::collection::vec(workload(), 1..5),
        any::<u64>(),
        proptest::option::of(1u32..15),
    )
        .prop_map(|(lin, win, batch, workloads, seed, fail_at_min)| Gen {
            lin,
            win,
            batch,
            workloads,
            seed,
            fail_at_min,
        })
}

fn yaml(g: &Gen) -> String {
    yaml_scaled(g, 1)
}

/// The scenario with every pool's node count multiplied by `k`.
fn yaml_scaled(g: &Gen, k: u32) -> String {
    let mut s = String::from(
        "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {name: gen}\n\
         cluster: {kubernetesVersion: \"1.33\"}\npools:\n",
    );
    s += &format!(
        "  - {{name: system, mode: System, os: linux, vmSize: {}, count: {}}}\n",
        // AKS System pools need 4 vCPUs (use-system-pools.md): never the 2-vCPU size.
        VM[g.lin.0.max(1)],
        g.lin.1 * k
    );
    if let Some((vm, n)) = g.batch {
        s += &format!(
            "  - {{name: batch, os: linux, vmSize: {}, count: {}, labels: {{tier: batch}}, \
             taints: [\"tier=batch:NoSchedule\"]}}\n",
            VM[vm],
            n * k
        );
    }
    if let Some((vm, n, tainted)) = g.win {
        s += &format!(
            "  - {{name: win, os: windows, vmSize: {}, count: {}",
            VM[vm],
            n * k
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
        let poisson = match w.arrival {
            Some((_, Some(_))) => w.kind == "Deployment",
            _ => false,
        };
        if w.kind != "DaemonSet" && !poisson {
            s += &format!("    replicas: {}\n", w.replicas);
        }
        match w.arrival {
            Some((from, Some(rate))) if poisson => {
                s += &format!(
                    "    arrival: {{poisson: {{ratePerMinute: {rate}, from: {from}s, until: 15m}}}}\n"
                );
            }
            Some((at, _)) if w.kind != "DaemonSet" => {
                s += &format!("    arrival: {{at: {at}s}}\n");
            }
            _ => {}
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
        let mut sel = Vec::new();
        if let Some(os) = w.selector {
            sel.push(format!("kubernetes.io/os: {os}"));
        }
        if w.batch {
            sel.push("tier: batch".to_owned());
        }
        if !sel.is_empty() {
            s += &format!("    nodeSelector: {{{}}}\n", sel.join(", "));
        }
        let mut tol = Vec::new();
        if w.tolerate {
            tol.push("{key: os, operator: Equal, value: windows, effect: NoSchedule}");
        }
        if w.batch {
            tol.push("{key: tier, operator: Equal, value: batch, effect: NoSchedule}");
        }
        if !tol.is_empty() {
            s += &format!("    tolerations: [{}]\n", tol.join(", "));
        }
    }
    if let (Some(m), 1) = (g.fail_at_min, k) {
        s += &format!("events:\n  - {{at: {m}m, failNodes: {{pool: system, count: 1}}}}\n");
    }
    s += &format!("sim: {{seed: {}, horizon: 25m}}\n", g.seed);
    s
}

/// `default` cases, or `PROPTEST_CASES` when set (to run longer: README, "Testing").
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(64))]

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

/// Every pod appears once, on a node that exists, and the summary counts match the
/// records.
fn check_placement_and_accounting(o: &poolcast_sim::Outcome) -> Result<(), TestCaseError> {
    let os_of: std::collections::BTreeMap<&str, &str> = o
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.os.as_str()))
        .collect();
    let mut names = std::collections::BTreeSet::new();
    for p in &o.pods {
        prop_assert!(
            names.insert(p.name.as_str()),
            "pod {} reported twice",
            p.name
        );
        if let Some(node) = &p.node {
            prop_assert!(
                os_of.contains_key(node.as_str()),
                "{} on unknown node {node}",
                p.name
            );
        }
    }
    let live = |system: bool| {
        o.pods
            .iter()
            .filter(move |p| p.system == system && p.phase != "Deleted")
    };
    for (system, c) in [(false, &o.summary.pods), (true, &o.summary.system_pods)] {
        prop_assert_eq!(
            c.total as usize,
            live(system).count(),
            "total, system={}",
            system
        );
        prop_assert_eq!(
            c.ready as usize,
            live(system).filter(|p| p.ready).count(),
            "ready, system={}",
            system
        );
        prop_assert!(c.ready <= c.placed && c.placed <= c.total && c.pending <= c.total);
    }
    let by_workload: u32 = o.summary.by_workload.values().map(|w| w.pods.total).sum();
    prop_assert_eq!(
        by_workload,
        o.summary.pods.total + o.summary.system_pods.total
    );
    Ok(())
}

proptest! {
    #![proptest_config(cases(32))]

    #[test]
    fn windows_pods_stay_off_linux_and_every_pod_counts_once(g in gen()) {
        let s = scenario(&yaml(&g));
        let o = poolcast_sim::simulate(&s, &Default::default()).unwrap();
        check_placement_and_accounting(&o)?;
        for (i, w) in g.workloads.iter().enumerate() {
            if w.selector != Some("windows") {
                continue;
            }
            for p in o.pods.iter().filter(|p| p.workload == format!("w{i}")) {
                if let Some(node) = &p.node {
                    prop_assert_eq!(crate::common::node_os(&o, node), "windows", "{} on {}", p.name, node);
                }
            }
        }
    }

    #[test]
    fn equal_seeds_give_equal_bytes_and_the_json_parses_back(g in gen()) {
        let s = scenario(&yaml(&g));
        let a = serde_json::to_string(&poolcast_sim::simulate(&s, &Default::default()).unwrap()).unwrap();
        let b = serde_json::to_string(&poolcast_sim::simulate(&s, &Default::default()).unwrap()).unwrap();
        prop_assert!(a == b, "two runs with seed {} differ", g.seed);
        let back: serde_json::Value = serde_json::from_str(&a).unwrap();
        prop_assert_eq!(back["schema"].as_str(), Some("poolcast.run/v1"));
        // serde_json keeps member order (preserve_order): the parse is lossless.
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), a);
    }

    #[test]
    fn more_nodes_never_make_a_ready_pod_unschedulable(g in gen()) {
        prop_assume!(g.fail_at_min.is_none());
        let base = poolcast_sim::simulate(&scenario(&yaml(&g)), &Default::default()).unwrap();
        let big = poolcast_sim::simulate(&scenario(&yaml_scaled(&g, 2)), &Default::default()).unwrap();
        let unschedulable: std::collections::BTreeSet<&str> = big
            .pods
            .iter()
            .filter(|p| p.reason == Some(poolcast_sim::outcome::Reason::Unschedulable))
            .map(|p| p.name.as_str())
            .collect();
        for p in base.pods.iter().filter(|p| p.ready && !p.system) {
            prop_assert!(!unschedulable.contains(p.name.as_str()), "{} was ready on {:?}, unschedulable with twice the nodes", p.name, p.node);
        }
    }
}

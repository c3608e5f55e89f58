//! The cluster-autoscaler on whole scenarios: the bundled morning burst, scale-down after
//! load drops, the expanders, pods no pool can take, provisioning time-outs, and the
//! min/max bounds as a property over generated scenarios.

use std::collections::BTreeMap;

use poolcast_model::catalog::provisioning::node_ready_time;
use poolcast_model::scenario::{Os, Variability};
use poolcast_sim::outcome::{NodeEventKind, Outcome};
use proptest::prelude::*;

use crate::common::*;

const MORNING_BURST: &str = include_str!("../../../scenarios/morning-burst.yaml");

/// Live nodes of `pool` at every change (node joins or leaves), as `(ms, count)`.
fn node_counts(o: &Outcome, pool: &str) -> Vec<(u64, i64)> {
    let mut deltas: BTreeMap<u64, i64> = BTreeMap::new();
    for n in o.nodes.iter().filter(|n| n.pool == pool) {
        *deltas.entry(n.created_ms).or_default() += 1;
        if let Some(r) = n.removed_ms {
            *deltas.entry(r).or_default() -= 1;
        }
    }
    let mut count = 0;
    deltas
        .into_iter()
        .map(|(t, d)| {
            count += d;
            (t, count)
        })
        .collect()
}

fn events(o: &Outcome, kind: NodeEventKind, pool: &str) -> Vec<(u64, u32)> {
    o.node_events
        .iter()
        .filter(|e| e.kind == kind && e.pool.as_deref() == Some(pool))
        .map(|e| (e.at_ms, e.count))
        .collect()
}

/// The bundled morning burst: claims-web scales 6 -> 60 at 10m on a Windows pool of
/// D8s_v5 (min 2, max 20). A Windows D8s_v5 node keeps 7 one-CPU pods after AKS's
/// reservations and DaemonSets, so 60 pods need 9 nodes: the autoscaler asks for 7 more on
/// its first scan after the pods fail to schedule, they join 7 minutes later (the
/// catalog's Windows provisioning time), and no second scale-up follows while they pull.
/// Point values (`sim.variability: none`); `variability.rs` covers the drawn times.
#[test]
fn morning_burst_scales_windows_once_within_bounds() {
    let mut s = scenario(MORNING_BURST);
    s.sim.variability = Variability::None;
    let o = run(&s);
    assert!(o.targets.iter().all(|t| t.met), "{:?}", o.targets);
    assert_eq!(o.summary.pods.ready, 90);

    let win_up = events(&o, NodeEventKind::TriggeredScaleUp, "win");
    assert_eq!(win_up.len(), 1, "{win_up:?}");
    let (at, count) = win_up[0];
    assert!((600_000..=620_000).contains(&at), "scale-up at {at}");
    assert_eq!(count, 7);
    let windows_ready = node_ready_time(Os::Windows).default.as_ms();
    for (t, _) in events(&o, NodeEventKind::NodeJoined, "win") {
        assert_eq!(
            t,
            at + windows_ready,
            "Windows nodes join after the catalog's delay"
        );
    }
    let linux_up = events(&o, NodeEventKind::TriggeredScaleUp, "linux");
    assert!(!linux_up.is_empty());
    let linux_ready = node_ready_time(Os::Linux).default.as_ms();
    for (t, _) in events(&o, NodeEventKind::NodeJoined, "linux") {
        assert!(linux_up.iter().any(|(u, _)| t == u + linux_ready));
    }
    assert!(linux_ready < windows_ready);

    let peak = node_counts(&o, "win").iter().map(|c| c.1).max().unwrap();
    assert_eq!(peak, 9);
    for (pool, min, max) in [("win", 2, 20), ("linux", 2, 10)] {
        for (t, c) in node_counts(&o, pool) {
            assert!((min..=max).contains(&c), "{pool} has {c} nodes at {t}");
        }
    }
    let again = run(&s);
    assert_eq!(o, again, "same scenario and seed, same outcome");
    // The autoscaler's what-if moves leave no trace: the audited run is the same run, the
    // accounting invariants hold at the end, and every real bind passed the filters within
    // allocatable.
    let (audited, audit) = poolcast_sim::simulate_audited(&s, &Default::default()).unwrap();
    assert_eq!(audited, o);
    assert_eq!(audit.invariants, Ok(()));
    assert!(audit
        .binds
        .iter()
        .all(|c| c.filters_passed && c.within_allocatable));
    let ttr = &o.summary.time_to_ready;
    assert!(ttr["windows"].p95_ms > 2 * ttr["linux"].p95_ms, "{ttr:?}");
    // Node events and the upcoming series agree: 7 Windows nodes in flight at some sample.
    let win = &o.series.pools["win"];
    assert_eq!(win.upcoming.iter().copied().max(), Some(7));
    assert_eq!(win.upcoming.len(), win.nodes.len());
}

const DROP: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: drop}
cluster:
  kubernetesVersion: "1.33"
  region: eastus
  autoscaler: {expander: least-waste}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}
  - {name: work, os: linux, vmSize: Standard_D4s_v5, autoscale: {min: 1, max: 6}}
images:
  - {name: "api:8", catalog: aspnet-8.0}
workloads:
  - name: api
    kind: Deployment
    replicas: 20
    image: "api:8"
    requests: {cpu: "1", memory: 1Gi}
events:
  - {at: 20m, scale: {workload: api, replicas: 2}}
sim: {seed: 5, horizon: 1h}
"#;

/// Twenty one-CPU pods want 7 D4s_v5 nodes but the pool stops at 6 (the rest get
/// `NotTriggerScaleUp: max node group size reached`); when the Deployment drops to 2 at
/// 20m, nodes go after 10 minutes unneeded, one drain per loop, never below min 1.
#[test]
fn scale_down_after_the_load_drops_respects_min_and_unneeded_time() {
    let o = run(&scenario(DROP));
    let counts = node_counts(&o, "work");
    assert_eq!(counts.iter().map(|c| c.1).max(), Some(6));
    assert!(counts.iter().all(|c| (1..=6).contains(&c.1)), "{counts:?}");
    assert!(o
        .node_events
        .iter()
        .any(|e| e.kind == NodeEventKind::NotTriggerScaleUp
            && e.message.contains("max node group size reached")));
    let downs = events(&o, NodeEventKind::ScaleDown, "work");
    assert!(!downs.is_empty());
    for (t, _) in &downs {
        assert!(
            *t >= 30 * 60_000,
            "scale-down at {t} before 10m unneeded after 20m"
        );
    }
    let last = counts.last().unwrap().1;
    assert!(
        last <= 2,
        "after the drop 2 pods fit on at most 2 nodes, {last} left"
    );
    let api = pods_of(&o, "api");
    assert_eq!(api.len(), 2);
    assert!(api.iter().all(|p| p.ready));
}

fn two_pools(expander: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: expanders}}
cluster:
  kubernetesVersion: "1.33"
  region: eastus
  autoscaler: {{expander: {expander}{extra}}}
pools:
  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}}
  - {{name: small, os: linux, vmSize: Standard_D4s_v5, autoscale: {{min: 0, max: 10}}}}
  - {{name: big, os: linux, vmSize: Standard_D16s_v5, autoscale: {{min: 0, max: 10}}}}
images:
  - {{name: "api:8", catalog: aspnet-8.0}}
workloads:
  - name: api
    kind: Deployment
    replicas: 6
    image: "api:8"
    requests: {{cpu: "1", memory: 1Gi}}
sim: {{seed: 11, horizon: 20m}}
"#
    )
}

fn first_scale_up(o: &Outcome) -> String {
    o.node_events
        .iter()
        .find(|e| e.kind == NodeEventKind::TriggeredScaleUp)
        .and_then(|e| e.pool.clone())
        .unwrap()
}

/// Six one-CPU pods: two D4s_v5 (0.384 USD/h, 1.7 CPU idle) or one D16s_v5 (0.768 USD/h,
/// 9.7 CPU idle). `price` and `least-waste` pick the small pool, `priority` the pool listed
/// first, and `random` is the same choice for the same seed.
#[test]
fn expanders_choose_as_upstream() {
    for (exp, extra, want) in [
        ("price", "", "small"),
        ("least-waste", "", "small"),
        ("priority", ", priorities: [big, small]", "big"),
        ("priority", ", priorities: [small, big]", "small"),
    ] {
        let o = run(&scenario(&two_pools(exp, extra)));
        assert_eq!(first_scale_up(&o), want, "{exp}{extra}");
        assert!(o.targets.is_empty() || o.targets.iter().all(|t| t.met));
        assert_eq!(o.summary.pods.ready, 6, "{exp}");
    }
    let a = run(&scenario(&two_pools("random", "")));
    let b = run(&scenario(&two_pools("random", "")));
    assert_eq!(a.node_events, b.node_events);
    assert_eq!(a.summary.pods.ready, 6);
}

/// A pod larger than any autoscaled pool's node never triggers a scale-up; the event
/// carries the scheduler's reason.
#[test]
fn pod_too_big_for_every_pool_does_not_trigger_scale_up() {
    let yaml = two_pools("random", "").replace("cpu: \"1\"", "cpu: \"32\"");
    let o = run(&scenario(&yaml));
    assert!(!o
        .node_events
        .iter()
        .any(|e| e.kind == NodeEventKind::TriggeredScaleUp));
    let not: Vec<_> = o
        .node_events
        .iter()
        .filter(|e| e.kind == NodeEventKind::NotTriggerScaleUp)
        .collect();
    assert_eq!(not.len(), 1, "reported once per template and message");
    assert!(
        not[0].message.contains("Insufficient cpu"),
        "{}",
        not[0].message
    );
    assert_eq!(o.summary.pods.pending, 6);
}

/// Windows nodes that take 20 minutes to boot exceed max-node-provision-time (15m): the
/// scale-up times out, no node joins, and the pool backs off 5 minutes before the next
/// attempt.
#[test]
fn provisioning_beyond_max_node_provision_time_times_out_and_backs_off() {
    let yaml = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: slow-windows}
cluster:
  kubernetesVersion: "1.33"
  region: eastus
  autoscaler: {windowsProvisionTime: 20m}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - {name: win, os: windows, vmSize: Standard_D4s_v5, autoscale: {min: 0, max: 5}, taints: ["os=windows:NoSchedule"]}
images:
  - {name: "shop:1", catalog: aspnet-4.8-ltsc2022}
workloads:
  - name: shop
    kind: Deployment
    replicas: 3
    image: "shop:1"
    requests: {cpu: "1", memory: 2Gi}
    nodeSelector: {kubernetes.io/os: windows}
    tolerations: [{key: os, operator: Equal, value: windows, effect: NoSchedule}]
sim: {seed: 2, horizon: 50m}
"#;
    let o = run(&scenario(yaml));
    let ups = events(&o, NodeEventKind::TriggeredScaleUp, "win");
    let outs = events(&o, NodeEventKind::ScaleUpTimedOut, "win");
    assert!(events(&o, NodeEventKind::NodeJoined, "win").is_empty());
    assert!(ups.len() >= 2, "{ups:?}");
    assert_eq!(outs[0].0, ups[0].0 + 15 * 60_000);
    assert!(ups[1].0 >= outs[0].0 + 5 * 60_000, "{ups:?} {outs:?}");
    assert_eq!(o.summary.pods.ready, 0);
}

#[derive(Debug, Clone)]
struct Case {
    min: u32,
    span: u32,
    replicas: u32,
    later: u32,
    cpu_m: u32,
    expander: &'static str,
    windows: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0u32..3,
        1u32..5,
        1u32..40,
        0u32..40,
        250u32..2500,
        prop::sample::select(vec![
            "random",
            "least-waste",
            "most-pods",
            "price",
            "priority",
        ]),
        any::<bool>(),
    )
        .prop_map(
            |(min, span, replicas, later, cpu_m, expander, windows)| Case {
                min,
                span,
                replicas,
                later,
                cpu_m,
                expander,
                windows,
            },
        )
}

fn case_yaml(c: &Case) -> String {
    let max = c.min + c.span;
    let (os, image, catalog, selector) = if c.windows {
        ("windows", "shop:1", "aspnet-4.8-ltsc2022", "windows")
    } else {
        ("linux", "api:8", "aspnet-8.0", "linux")
    };
    format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: bounds}}
cluster:
  kubernetesVersion: "1.33"
  region: eastus
  autoscaler: {{expander: {exp}, priorities: [b, a], scaleDownUnneededTime: 2m, scaleDownDelayAfterAdd: 2m}}
pools:
  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}}
  - {{name: a, os: {os}, vmSize: Standard_D4s_v5, autoscale: {{min: {min}, max: {max}}}}}
  - {{name: b, os: {os}, vmSize: Standard_D8s_v5, autoscale: {{min: {min}, max: {max}}}}}
images:
  - {{name: "{image}", catalog: {catalog}}}
workloads:
  - name: w
    kind: Deployment
    replicas: {replicas}
    image: "{image}"
    requests: {{cpu: {cpu}m, memory: 512Mi}}
    nodeSelector: {{kubernetes.io/os: {selector}}}
events:
  - {{at: 15m, scale: {{workload: w, replicas: {later}}}}}
sim: {{seed: 9, horizon: 45m}}
"#,
        exp = c.expander,
        min = c.min,
        replicas = c.replicas,
        later = c.later,
        cpu = c.cpu_m,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the load, expander and OS, an autoscaled pool never holds more than `max`
    /// nodes (joined or requested) nor fewer than `min` live nodes; the autoscaler's what-if
    /// moves leave the accounting intact and every real bind legal.
    #[test]
    fn autoscaling_stays_within_min_and_max(c in case()) {
        let (o, audit) =
            poolcast_sim::simulate_audited(&scenario(&case_yaml(&c)), &Default::default()).unwrap();
        prop_assert_eq!(&audit.invariants, &Ok(()));
        prop_assert!(audit.binds.iter().all(|b| b.filters_passed && b.within_allocatable));
        let max = i64::from(c.min + c.span);
        let min = i64::from(c.min);
        for pool in ["a", "b"] {
            for (t, n) in node_counts(&o, pool) {
                prop_assert!(n >= min && n <= max, "{} has {} nodes at {} ({:?})", pool, n, t, c);
            }
            let s = &o.series.pools[pool];
            for (i, (n, u)) in s.nodes.iter().zip(&s.upcoming).enumerate() {
                prop_assert!(i64::from(n + u) <= max, "{} {}+{} at sample {}", pool, n, u, i);
            }
        }
    }
}

/// DROP plus a small `ledger` Deployment spread over the nodes, optionally protected by a
/// PodDisruptionBudget that allows no disruption.
fn drop_with_ledger(pdb: bool) -> String {
    let mut s = DROP.replace(
        "events:",
        r#"  - name: ledger
    kind: Deployment
    replicas: 6
    image: "api:8"
    requests: {cpu: 100m, memory: 128Mi}
    arrival: {at: 12m}
events:"#,
    );
    if pdb {
        s = s.replace(
            "workloads:",
            "disruptionBudgets:\n  - {name: ledger, selector: {matchLabels: {app: ledger}}, minAvailable: 6}\nworkloads:",
        );
    }
    s
}

/// cluster-autoscaler never drains a node whose pods a PodDisruptionBudget would refuse
/// to evict (`drain.GetPodsToMove` / `checkPdbs`); without the budget the same nodes go.
#[test]
fn scale_down_skips_nodes_whose_pods_a_pdb_protects() {
    let free = run(&scenario(&drop_with_ledger(false)));
    let guarded = run(&scenario(&drop_with_ledger(true)));
    // Without a budget, scale-down evicts ledger pods and the controller replaces them.
    let created = |o: &Outcome| o.pods.iter().filter(|p| p.workload == "ledger").count();
    assert!(created(&free) > 6, "control run moved no ledger pod");
    assert_eq!(created(&guarded), 6);
    // With it, the six ledger pods are never evicted...
    let ledger = pods_of(&guarded, "ledger");
    assert_eq!(ledger.len(), 6);
    assert!(ledger.iter().all(|p| p.ready));
    // ...so every node that holds one stays.
    let kept: std::collections::BTreeSet<&str> =
        ledger.iter().filter_map(|p| p.node.as_deref()).collect();
    for e in &guarded.node_events {
        if e.kind == NodeEventKind::ScaleDown {
            let n = e.node.as_deref().unwrap();
            assert!(!kept.contains(n), "{n} removed with a protected pod");
        }
    }
}

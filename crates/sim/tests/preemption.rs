//! Priorities, preemption and PodDisruptionBudgets through whole runs: the bundled
//! `priority-preemption` and `hybrid-medchart` scenarios, drains that wait for a budget,
//! and property tests over generated scenarios with priority classes, budgets and pod
//! (anti-)affinity.

use proptest::prelude::*;

use poolcast_sim::outcome::{Outcome, PodRecord, Reason};

use crate::common::{run, scenario};

const PRIORITY_PREEMPTION: &str = include_str!("../../../scenarios/priority-preemption.yaml");
const HYBRID_MEDCHART: &str = include_str!("../../../scenarios/hybrid-medchart.yaml");

fn pod<'a>(o: &'a Outcome, name: &str) -> &'a PodRecord {
    o.pods
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no pod {name}"))
}

#[test]
fn high_priority_windows_pods_preempt_unprotected_batch_pods() {
    let o = run(&scenario(PRIORITY_PREEMPTION));
    // checkout arrives at 20 min; each of its pods preempts one reports pod, whose 30 s
    // graceful termination ends at 20m30s, when the nominated pod binds.
    for (victim, preemptor) in [("reports-1", "checkout-1"), ("reports-2", "checkout-0")] {
        let v = pod(&o, victim);
        let c = pod(&o, preemptor);
        assert_eq!(v.phase, "Failed");
        assert_eq!(v.reason, Some(Reason::Preempted));
        assert_eq!(v.ended_ms, Some(1_230_000));
        assert_eq!(v.priority, 1000);
        assert_eq!(
            v.message.as_deref(),
            Some(
                format!(
                    "Preempted by pod default/{preemptor} on node {}",
                    v.node.as_deref().unwrap()
                )
                .as_str()
            )
        );
        assert_eq!(c.phase, "Running");
        assert_eq!(c.node, v.node, "{preemptor} binds on its nominated node");
        assert_eq!(c.scheduled_ms, Some(1_230_000));
        assert_eq!(c.priority, 100_000);
    }
    // The budget (minAvailable 3 of 3) made every render pod a PDB-violating victim, so the
    // reprieve kept them all.
    for i in 0..3 {
        let r = pod(&o, &format!("render-{i}"));
        assert_eq!((r.phase, r.reason), ("Running", None), "render-{i}");
    }
    assert_eq!(pod(&o, "reports-0").phase, "Running");
    // The controller replaced the two victims; the replacements find no lower-priority pod.
    for name in ["reports-3", "reports-4"] {
        let p = pod(&o, name);
        assert_eq!(
            p.created_ms, 1_200_000,
            "replaced when the deletion started"
        );
        assert_eq!(p.reason, Some(Reason::Unschedulable));
        assert_eq!(
            p.message.as_deref(),
            Some(
                "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) had untolerated taint \
                 {CriticalAddonsOnly: true}. preemption: 0/4 nodes are available: 2 No \
                 preemption victims found for incoming pod, 2 Preemption is not helpful for \
                 scheduling."
            )
        );
    }
    assert_eq!(o.summary.by_reason.get(&Reason::Preempted), Some(&2));
}

#[test]
fn hybrid_medchart_spreads_its_priority_web_tier() {
    let o = run(&scenario(HYBRID_MEDCHART));
    let mut web: Vec<&PodRecord> = o
        .pods
        .iter()
        .filter(|p| p.workload == "medchart-web")
        .collect();
    web.sort_by_key(|p| (p.scheduled_ms, p.name.len(), p.name.clone()));
    assert!(web.iter().all(|p| p.priority == 10_000));
    // Preferred anti-affinity on the hostname: each wave of web pods (the six initial
    // replicas, then the six the scale-up adds once the autoscaler's nodes join) spreads
    // over the Windows nodes present at its bind time, at most one pod apart.
    let created: std::collections::BTreeMap<String, u64> = o
        .nodes
        .iter()
        .filter(|n| n.pool == "win19")
        .map(|n| (n.name.clone(), n.created_ms))
        .collect();
    let mut bound = 0;
    let mut waves: std::collections::BTreeMap<u64, Vec<&str>> = Default::default();
    for p in web.iter().filter(|p| p.scheduled_ms.is_some()) {
        waves
            .entry(p.scheduled_ms.unwrap())
            .or_default()
            .push(p.node.as_deref().unwrap());
        bound += 1;
    }
    let mut earlier: std::collections::BTreeSet<&str> = Default::default();
    for (at, nodes) in &waves {
        // The nodes this wave can spread over evenly: present at its bind time and not
        // holding web pods of an earlier wave.
        let mut per_node: std::collections::BTreeMap<&str, i32> = created
            .iter()
            .filter(|(n, c)| **c <= *at && !earlier.contains(n.as_str()))
            .map(|(n, _)| (n.as_str(), 0))
            .collect();
        for n in nodes {
            if let Some(c) = per_node.get_mut(n) {
                *c += 1;
            }
        }
        let lo = per_node.values().min().copied().unwrap_or(0);
        let hi = per_node.values().max().copied().unwrap_or(0);
        assert!(hi - lo <= 1, "wave at {at} ms: {per_node:?}");
        earlier.extend(nodes.iter().copied());
    }
    assert!(bound >= 6, "the six initial replicas run");
    // Pods that find no room cannot preempt: the Windows nodes hold only pods of
    // higher (DaemonSets) or equal (web) priority.
    for p in web
        .iter()
        .filter(|p| p.reason == Some(Reason::Unschedulable))
    {
        let m = p.message.as_deref().unwrap();
        assert!(
            m.contains(". preemption: 0/")
                && m.contains(" No preemption victims found for incoming pod"),
            "{m}"
        );
    }
}

const DRAIN: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: drain-pdb}
cluster: {kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}
  - {name: a, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - {name: b, os: linux, vmSize: Standard_D4s_v5, count: 0}
images:
  - {name: "nginx:1.31.3", catalog: nginx-1.31}
disruptionBudgets:
  - {name: web-pdb, selector: {matchLabels: {app: web}}, maxUnavailable: 1}
workloads:
  - name: web
    kind: Deployment
    replicas: 3
    image: "nginx:1.31.3"
    requests: {cpu: 500m, memory: 256Mi}
    startup: 10s
events:
  - {at: 5m, addNodes: {pool: b, count: 1}}
  - {at: 10m, drain: {pool: a, count: 1}}
sim: {seed: 3, horizon: 20m}
"#;

#[test]
fn drain_waits_for_the_budget_between_evictions() {
    let o = run(&scenario(DRAIN));
    // maxUnavailable 1: the first eviction at 10 min; each next one waits (5 s retries)
    // until the previous replacement is Ready on the new node.
    let mut ended: Vec<u64> = o
        .pods
        .iter()
        .filter(|p| p.workload == "web" && p.phase == "Deleted")
        .map(|p| p.ended_ms.unwrap())
        .collect();
    ended.sort_unstable();
    assert_eq!(ended.len(), 3, "{ended:?}");
    assert_eq!(ended[0], 600_000);
    for w in ended.windows(2) {
        assert!(w[1] > w[0], "one eviction at a time: {ended:?}");
        assert_eq!(
            (w[1] - 600_000) % 5_000,
            0,
            "evictions on the 5 s retry grid"
        );
    }
    // Each later eviction waited for a replacement to become Ready.
    let mut ready: Vec<u64> = o
        .pods
        .iter()
        .filter(|p| p.workload == "web" && p.phase != "Deleted")
        .map(|p| p.ready_ms.unwrap())
        .collect();
    ready.sort_unstable();
    assert_eq!(ready.len(), 3);
    assert!(
        ended[1] >= ready[0] && ended[2] >= ready[1],
        "{ended:?} {ready:?}"
    );
    assert!(o
        .pods
        .iter()
        .filter(|p| p.phase != "Deleted" && p.workload == "web")
        .all(|p| p.pool.as_deref() == Some("b") && p.ready));
}

#[test]
fn drain_without_a_budget_evicts_everything_at_once() {
    let yaml = DRAIN.replace(
        "disruptionBudgets:\n  - {name: web-pdb, selector: {matchLabels: {app: web}}, maxUnavailable: 1}\n",
        "",
    );
    let o = run(&scenario(&yaml));
    let ended: Vec<u64> = o
        .pods
        .iter()
        .filter(|p| p.workload == "web" && p.phase == "Deleted")
        .map(|p| p.ended_ms.unwrap())
        .collect();
    assert_eq!(ended, vec![600_000; 3]);
}

#[test]
fn preemption_policy_never_waits_instead() {
    let yaml = PRIORITY_PREEMPTION.replace(
        "    value: 100000\n",
        "    value: 100000\n    preemptionPolicy: Never\n",
    );
    let o = run(&scenario(&yaml));
    assert!(o.pods.iter().all(|p| p.reason != Some(Reason::Preempted)));
    for name in ["checkout-0", "checkout-1"] {
        let p = pod(&o, name);
        assert_eq!(p.reason, Some(Reason::Unschedulable));
        assert!(
            p.message
                .as_deref()
                .unwrap()
                .ends_with(". preemption: not eligible due to preemptionPolicy=Never."),
            "{:?}",
            p.message
        );
    }
}

// ---- properties ---------------------------------------------------------------------

#[derive(Debug, Clone)]
struct W {
    replicas: u32,
    cpu_m: u32,
    class: usize,
    at_min: u32,
    anti: Option<bool>,
    affine_to: Option<usize>,
    budget: Option<u32>,
}

const CLASSES: [(&str, i32); 3] = [("low", 10), ("mid", 1000), ("high", 100_000)];

fn workload() -> impl Strategy<Value = W> {
    (
        1u32..6,
        300u32..2500,
        0usize..CLASSES.len(),
        0u32..6,
        proptest::option::of(any::<bool>()),
        proptest::option::of(0usize..4),
        proptest::option::of(0u32..4),
    )
        .prop_map(
            |(replicas, cpu_m, class, at_min, anti, affine_to, budget)| W {
                replicas,
                cpu_m,
                class,
                at_min,
                anti,
                affine_to,
                budget,
            },
        )
}

fn yaml(nodes: u32, ws: &[W], seed: u64) -> String {
    let mut s = format!(
        "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {{name: gen}}\n\
         cluster: {{kubernetesVersion: \"1.33\"}}\npools:\n\
         \x20 - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: [\"CriticalAddonsOnly=true:NoSchedule\"]}}\n\
         \x20 - {{name: user, os: linux, vmSize: Standard_D4s_v5, count: {nodes}}}\n\
         images:\n  - {{name: \"nginx:1.31.3\", catalog: nginx-1.31}}\npriorityClasses:\n"
    );
    for (n, v) in CLASSES {
        s += &format!("  - {{name: {n}, value: {v}}}\n");
    }
    let budgets: Vec<String> = ws
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            w.budget.map(|m| {
                format!("  - {{name: pdb{i}, selector: {{matchLabels: {{app: w{i}}}}}, minAvailable: {m}}}\n")
            })
        })
        .collect();
    if !budgets.is_empty() {
        s += "disruptionBudgets:\n";
        s += &budgets.concat();
    }
    s += "workloads:\n";
    for (i, w) in ws.iter().enumerate() {
        s += &format!(
            "  - name: w{i}\n    kind: Deployment\n    replicas: {}\n    image: \"nginx:1.31.3\"\n\
             \x20   requests: {{cpu: {}m, memory: 64Mi}}\n    priorityClassName: {}\n\
             \x20   arrival: {{at: {}m}}\n    startup: 5s\n",
            w.replicas, w.cpu_m, CLASSES[w.class].0, w.at_min
        );
        let mut terms = Vec::new();
        if let Some(required) = w.anti {
            let t = format!(
                "{{labelSelector: {{matchLabels: {{app: w{i}}}}}, topologyKey: kubernetes.io/hostname}}"
            );
            terms.push(if required {
                format!("      podAntiAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{t}]}}\n")
            } else {
                format!("      podAntiAffinity: {{preferredDuringSchedulingIgnoredDuringExecution: [{{weight: 50, podAffinityTerm: {t}}}]}}\n")
            });
        }
        if let Some(j) = w.affine_to.filter(|&j| j < ws.len() && j != i) {
            terms.push(format!(
                "      podAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{labelSelector: {{matchLabels: {{app: w{j}}}}}, topologyKey: kubernetes.io/hostname}}]}}\n"
            ));
        }
        if !terms.is_empty() {
            s += "    affinity:\n";
            s += &terms.concat();
        }
    }
    s += &format!("sim: {{seed: {seed}, horizon: 15m}}\n");
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn preemption_respects_priority_budgets_and_affinity(
        nodes in 1u32..4,
        ws in proptest::collection::vec(workload(), 1..5),
        seed in any::<u64>(),
    ) {
        let s = scenario(&yaml(nodes, &ws, seed));
        let (o, audit) = poolcast_sim::simulate_audited(&s, &Default::default()).unwrap();
        prop_assert!(audit.invariants.is_ok(), "{:?}", audit.invariants);
        for p in &audit.preemptions {
            prop_assert!(!p.victim_priorities.is_empty());
            for &v in &p.victim_priorities {
                prop_assert!(v < p.preemptor_priority, "victim {v} >= preemptor {p:?}");
            }
            if p.non_breaking_existed {
                prop_assert_eq!(p.pdb_violations, 0, "a budget broken needlessly: {:?}", p);
            }
        }
        // Every bind passed every filter, required (anti-)affinity of the pod and of the
        // pods already there included.
        for b in &audit.binds {
            prop_assert!(b.filters_passed, "bind {:?} failed a filter", b);
            prop_assert!(b.within_allocatable, "bind {:?} overcommits", b);
        }
        // Independently of the filters: no two live pods of a workload with required
        // hostname anti-affinity share a node.
        for (i, w) in ws.iter().enumerate() {
            if w.anti != Some(true) {
                continue;
            }
            let mut nodes_used: Vec<&str> = o
                .pods
                .iter()
                .filter(|p| p.workload == format!("w{i}") && p.ended_ms.is_none())
                .filter_map(|p| p.node.as_deref())
                .collect();
            let n = nodes_used.len();
            nodes_used.sort_unstable();
            nodes_used.dedup();
            prop_assert_eq!(nodes_used.len(), n, "w{} pods share a node", i);
        }
        // Preempted pods are exactly the victims the engine recorded.
        let preempted = o.pods.iter().filter(|p| p.reason == Some(Reason::Preempted) && p.phase == "Failed").count();
        let victims: usize = audit.preemptions.iter().map(|p| p.victim_priorities.len()).sum();
        prop_assert!(preempted <= victims);
    }
}

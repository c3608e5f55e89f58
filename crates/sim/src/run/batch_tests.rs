//! Batched replays of identical retries (`Engine::replay_batch`) against the one-by-one
//! path: the same outcome, byte for byte, on the pending shape, on scenarios where events
//! land between batches (scale-outs, node failures and additions, cordons, preemption,
//! DaemonSet pods), on every bundled scenario, and on random small scenarios.

use poolcast_model::{parse_scenario, Format, Scenario};
use proptest::prelude::*;
use rand::Rng;

use super::Engine;
use crate::{build, resolve, RunOptions};

fn scenario(yaml: &str) -> Scenario {
    match parse_scenario(yaml, Format::Yaml, "batch.yaml") {
        Ok((s, _)) => s,
        Err(d) => panic!(
            "scenario rejected:\n{}\n{yaml}",
            d.iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// What a run leaves behind that a later attempt could read.
#[derive(Debug, PartialEq, Eq)]
struct After {
    /// The JSON outcome.
    json: String,
    /// `nextStartNodeIndex`.
    next_start: usize,
    /// The next draws of DefaultPreemption's stream.
    preempt_draws: [u64; 2],
    /// Each queued pod's attempt count in the scheduling queue.
    queue_attempts: Vec<u32>,
}

/// The run's state at the end, and how many retries were batched.
fn run(s: &Scenario, batch: bool) -> (After, u64) {
    let (seed, horizon) = resolve(s, &RunOptions::default()).expect("options");
    let plan = build::build(s, seed, horizon.as_ms()).expect("plan");
    let mut engine = Engine::new(plan, s);
    engine.batch_replays = batch;
    engine.run();
    // The engine's state first: the report consumes the engine.
    let next_start = engine.sched.next_start_node_index();
    let preempt_draws = [engine.preempt_rng.random(), engine.preempt_rng.random()];
    let queue_attempts = (0..engine.pods.len())
        .map(|p| engine.queue.attempts(crate::cluster::PodId(p as u32)))
        .collect();
    let batched = engine.batched_replays;
    let json = serde_json::to_string(&engine.into_outcome()).expect("json");
    let after = After {
        json,
        next_start,
        preempt_draws,
        queue_attempts,
    };
    (after, batched)
}

/// Batched and one-by-one runs agree; returns how many retries were batched.
fn same_both_ways(s: &Scenario) -> u64 {
    let (batched, n) = run(s, true);
    let (single, none) = run(s, false);
    assert_eq!(none, 0, "the switch turns batches off");
    assert!(
        batched.json == single.json,
        "batched and one-by-one outcomes differ for {}",
        s.metadata.name
    );
    assert_eq!(batched.next_start, single.next_start, "nextStartNodeIndex");
    assert_eq!(
        batched.preempt_draws, single.preempt_draws,
        "preemption stream"
    );
    assert!(
        batched.queue_attempts == single.queue_attempts,
        "queue attempts"
    );
    n
}

/// `nodes` user nodes of 4 vCPU, `workloads` as YAML list items, `events` as YAML list
/// items (may be empty).
fn cluster(nodes: u32, workloads: &str, events: &str, horizon_min: u32, seed: u64) -> String {
    let events = if events.is_empty() {
        String::new()
    } else {
        format!("events:\n{events}")
    };
    format!(
        "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {{name: batch}}\n\
         cluster: {{provider: aks, kubernetesVersion: \"1.33\", region: eastus}}\n\
         pools:\n  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, \
         taints: [\"CriticalAddonsOnly=true:NoSchedule\"]}}\n  \
         - {{name: user, os: linux, vmSize: Standard_D4s_v5, count: {nodes}, zones: [\"1\", \"2\"]}}\n\
         priorityClasses:\n  - {{name: low, value: 100}}\n  - {{name: high, value: 10000}}\n\
         images:\n  - {{name: \"nginx:1.31.3\", catalog: nginx-1.31}}\n\
         workloads:\n{workloads}{events}\
         sim: {{seed: {seed}, horizon: {horizon_min}m, sampleEvery: 1m}}\n"
    )
}

fn workload(name: &str, replicas: u32, cpu_m: u32, extra: &str) -> String {
    format!(
        "  - {{name: {name}, kind: Deployment, replicas: {replicas}, image: \"nginx:1.31.3\", \
         requests: {{cpu: {cpu_m}m, memory: 128Mi}}, nodeSelector: {{kubernetes.io/os: linux}}, \
         startup: 5s{extra}}}\n"
    )
}

#[test]
fn the_pending_shape_batches_its_retries_and_matches_one_by_one() {
    // 3 nodes of 4 vCPU hold a few dozen 250m pods; the rest wait and are retried on
    // every 5-minute flush, as one run.
    let s = scenario(&cluster(3, &workload("batch", 120, 250, ""), "", 40, 1));
    let n = same_both_ways(&s);
    assert!(n > 300, "only {n} retries were batched");
}

#[test]
fn events_between_batches_and_mixed_runs_match_one_by_one() {
    // Two templates created at the same instant (their pods alternate in the activeQ's
    // runs, so batches stop at every change of template), a higher-priority workload
    // arriving later (preemption: nominated pods, victims, events), a scale-out, a node
    // added, a node failing and a cordon while pods wait.
    let workloads = [
        workload("a", 60, 500, ""),
        workload("b", 60, 300, ""),
        workload("c", 6, 900, ", priorityClassName: high, arrival: {at: 7m}"),
        workload("d", 20, 200, ", priorityClassName: low"),
    ]
    .concat();
    let events = "  - {at: 12m, scale: {workload: a, replicas: 90}}\n  \
                  - {at: 16m, addNodes: {pool: user, count: 1}}\n  \
                  - {at: 21m, failNodes: {pool: user, count: 1}}\n  \
                  - {at: 27m, cordon: {pool: user, count: 1}}\n  \
                  - {at: 33m, scale: {workload: b, replicas: 10}}\n";
    let s = scenario(&cluster(3, &workloads, events, 50, 5));
    let n = same_both_ways(&s);
    assert!(n > 0, "no retry was batched");
}

#[test]
fn every_bundled_scenario_matches_one_by_one() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("scenarios") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let s = scenario(&text);
        let (seed, horizon) = resolve(&s, &RunOptions::default()).expect("options");
        if path.ends_with("large-estate.yaml") || build::build(&s, seed, horizon.as_ms()).is_err() {
            // Plans (`count: auto`) are not engine runs; the large estate is covered by
            // the golden test.
            continue;
        }
        same_both_ways(&s);
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} scenarios found in {dir}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random small clusters with too many pods for them, two or three templates (some
    /// created together), priorities and random events: batched and one-by-one runs give
    /// the same outcome.
    #[test]
    fn random_small_scenarios_match_one_by_one(
        nodes in 1u32..4,
        a in (5u32..60, 100u32..1200),
        b in (0u32..40, 100u32..1200, 0u32..3, 0u32..20),
        c in (0u32..10, 500u32..2000, 1u32..30),
        events in proptest::collection::vec((1u32..40, 0usize..5, 1u32..80), 0..4),
        seed in 0u64..1000,
    ) {
        let prio = |i: u32| match i % 3 {
            0 => "",
            1 => ", priorityClassName: low",
            _ => ", priorityClassName: high",
        };
        let mut workloads = workload("a", a.0, a.1, "");
        if b.0 > 0 {
            let arrival = if b.3 == 0 { String::new() } else { format!(", arrival: {{at: {}m}}", b.3) };
            workloads += &workload("b", b.0, b.1, &format!("{}{arrival}", prio(b.2)));
        }
        if c.0 > 0 {
            workloads += &workload(
                "c",
                c.0,
                c.1,
                &format!(", priorityClassName: high, arrival: {{at: {}m}}", c.2),
            );
        }
        let mut ev = String::new();
        let mut events = events;
        events.sort_by_key(|e| e.0);
        for (at, kind, n) in events {
            ev += &match kind {
                0 => format!("  - {{at: {at}m, scale: {{workload: a, replicas: {n}}}}}\n"),
                1 => format!("  - {{at: {at}m, addNodes: {{pool: user, count: 1}}}}\n"),
                2 => format!("  - {{at: {at}m, failNodes: {{pool: user, count: 1}}}}\n"),
                3 => format!("  - {{at: {at}m, cordon: {{pool: user, count: 1}}}}\n"),
                _ => format!("  - {{at: {at}m, drain: {{pool: user, count: 1}}}}\n"),
            };
        }
        let s = scenario(&cluster(nodes, &workloads, &ev, 45, seed));
        same_both_ways(&s);
    }
}

//! Same scenario and seed -> byte-identical JSON.

use poolcast_model::Duration;
use poolcast_sim::{RunOptions, SimError};

use crate::common::*;

const SCENARIO: &str = r#"
workloads:
  - name: shop
    kind: Deployment
    replicas: 6
    image: contoso/shop:1.0
    requests: {cpu: 500m, memory: 1Gi}
    nodeSelector: {kubernetes.io/os: windows}
    startup: 15s
    io: {startupRead: 300MiB, smallFiles: 8000, filesWritten: 200}
  - name: web
    kind: Deployment
    replicas: 8
    image: "nginx:1.31.3"
    requests: {cpu: 250m, memory: 256Mi}
    nodeSelector: {kubernetes.io/os: linux}
    arrival: {poisson: {ratePerMinute: 4}}
events:
  - {at: 10m, scale: {workload: shop, replicas: 10}}
  - {at: 15m, failNodes: {pool: lin, count: 1}}
sim: {seed: 7, horizon: 40m}
"#;

fn json(seed: Option<u64>) -> String {
    let s = scenario(&format!("{MIXED}{SCENARIO}"));
    let o = poolcast_sim::simulate(
        &s,
        &poolcast_sim::RunOptions {
            seed,
            horizon: None,
        },
    )
    .unwrap();
    serde_json::to_string(&o).unwrap()
}

#[test]
fn same_seed_gives_identical_json() {
    let a = json(None);
    let b = json(None);
    assert_eq!(a, b);
    assert!(a.contains("\"schema\":\"poolcast.run/v1\""));
}

#[test]
fn poisson_arrivals_follow_the_seed() {
    let created = |seed| {
        let s = scenario(&format!("{MIXED}{SCENARIO}"));
        let o = poolcast_sim::simulate(
            &s,
            &poolcast_sim::RunOptions {
                seed: Some(seed),
                horizon: None,
            },
        )
        .unwrap();
        pods_of(&o, "web")
            .iter()
            .map(|p| p.created_ms)
            .collect::<Vec<_>>()
    };
    let a = created(1);
    assert_eq!(a, created(1));
    assert_ne!(a, created(2));
    assert_eq!(a.len(), 8, "Poisson arrivals stop at the replica count");
    assert!(a.windows(2).all(|w| w[0] <= w[1]));
}

const POISSON: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: poisson}
cluster: {kubernetesVersion: "1.33"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D8s_v5, count: 2}
images:
  - {name: "nginx:1.31.3", catalog: nginx-1.31}
workloads:
  - name: x
    kind: Deployment
    image: "nginx:1.31.3"
    requests: {cpu: 10m, memory: 16Mi}
    arrival: {poisson: {ratePerMinute: 2}}
sim: {seed: 3, horizon: 1h}
"#;

#[test]
fn a_horizon_override_is_held_to_the_scenario_limits() {
    // A Poisson workload runs to the horizon: at 30/min a 2m horizon is fine, but a
    // 30-day override would be about 1.3 million pods, over the 1,000,000 limit.
    let s = scenario(&POISSON.replace("ratePerMinute: 2", "ratePerMinute: 30"));
    let ok = RunOptions {
        horizon: Some(Duration(120_000)),
        ..RunOptions::default()
    };
    assert!(poolcast_sim::simulate(&s, &ok).is_ok());
    let long = RunOptions {
        horizon: Some(Duration(30 * 24 * 3_600_000)),
        ..RunOptions::default()
    };
    match poolcast_sim::simulate(&s, &long) {
        Err(SimError::Invalid(msg)) => assert!(msg.contains("workloads"), "{msg}"),
        other => panic!(
            "expected the pod limit, got {:?}",
            other.map(|o| o.pods.len())
        ),
    }
    let too_long = RunOptions {
        horizon: Some(Duration(31 * 24 * 3_600_000)),
        ..RunOptions::default()
    };
    assert!(matches!(
        poolcast_sim::explain_with(&s, "x-0", None, &too_long),
        Err(SimError::Invalid(_))
    ));
}

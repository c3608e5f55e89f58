//! Same scenario and seed -> byte-identical JSON.

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

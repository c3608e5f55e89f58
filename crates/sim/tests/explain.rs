//! `explain`: filter verdicts and scores of one attempt, and the pod's way to Ready; the
//! pull breakdown of `run`.

use crate::common::*;

#[test]
fn explain_lists_every_node_with_verdict_and_scores() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"workloads:
  - name: web
    kind: Deployment
    replicas: 2
    image: "nginx:1.31.3"
    requests: {cpu: 250m, memory: 256Mi}
    nodeSelector: {kubernetes.io/os: linux}
"#
    ));
    let e = poolcast_sim::explain(&s, "web-1", None).unwrap();
    assert_eq!(e.pod, "web-1");
    assert_eq!(e.nodes.len(), 6);
    let feasible: Vec<_> = e.nodes.iter().filter(|n| n.feasible).collect();
    assert_eq!(feasible.len(), 4, "the two Windows nodes fail NodeAffinity");
    for n in e.nodes.iter().filter(|n| !n.feasible) {
        assert_eq!(n.filter_plugin.as_deref(), Some("NodeAffinity"));
        assert_eq!(
            n.reasons,
            ["node(s) didn't match Pod's node affinity/selector"]
        );
    }
    for n in &feasible {
        assert!(!n.scores.is_empty());
        assert_eq!(
            n.total,
            n.scores.iter().map(|s| s.weighted).sum::<i64>(),
            "{}",
            n.node
        );
    }
    let chosen = e.chosen_node.as_deref().unwrap();
    let best = feasible.iter().map(|n| n.total).max().unwrap();
    assert_eq!(
        feasible.iter().find(|n| n.node == chosen).unwrap().total,
        best
    );
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"schema\":\"poolcast.explain/v1\""));
}

#[test]
fn explain_reports_unknown_pods() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"workloads:
  - {name: web, kind: Deployment, replicas: 1, image: "nginx:1.31.3"}
"#
    ));
    let err = poolcast_sim::explain(&s, "nope-0", None).unwrap_err();
    assert!(matches!(err, poolcast_sim::SimError::PodNotFound(_)));
    let err =
        poolcast_sim::explain(&s, "web-0", Some(poolcast_model::Duration::mins(5))).unwrap_err();
    assert!(err.to_string().contains("bound to"), "{err}");
}

const MORNING_BURST: &str = include_str!("../../../scenarios/morning-burst.yaml");

/// A claims-web pod of the 10m burst: it fails to schedule, waits for the scale-up and its
/// node's boot, pulls onto that node (the servercore base cached by the node image, the app
/// layers fetched or already pulled by a neighbour), starts and becomes Ready; the journey
/// is the run `simulate` makes.
#[test]
fn explain_follows_a_burst_pod_through_scale_up_to_ready() {
    let s = scenario(MORNING_BURST);
    let run = run(&s);
    let rec = run.pods.iter().find(|p| p.name == "claims-web-40").unwrap();
    let e = poolcast_sim::explain(&s, "claims-web-40", None).unwrap();
    let j = &e.journey;
    assert_eq!(j.ready_ms, rec.ready_ms, "explain replays the same run");
    assert_eq!(j.created_ms, rec.created_ms);
    let steps: Vec<&str> = j.steps.iter().map(|s| s.step).collect();
    for want in [
        "Created",
        "FailedScheduling",
        "TriggeredScaleUp",
        "NodeReady",
        "Scheduled",
        "Pulled",
        "ContainerCreated",
        "Started",
        "Ready",
    ] {
        assert!(steps.contains(&want), "{want} missing from {steps:?}");
    }
    let pos = |s: &str| steps.iter().position(|x| *x == s).unwrap();
    assert!(pos("FailedScheduling") < pos("TriggeredScaleUp"));
    assert!(pos("NodeReady") < pos("Scheduled") && pos("Scheduled") < pos("Ready"));
    assert!(j.steps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    let boot = j.node.as_ref().unwrap();
    assert_eq!(Some(boot.node.as_str()), rec.node.as_deref());
    assert_eq!(boot.pool, "win");
    assert!(boot.drawn && boot.provisioning_ms.is_some());
    // The image: the node image's servercore layers are cached, every layer accounted for.
    let im = &j.images[0];
    assert_eq!(im.image, "contoso.azurecr.io/claims-web:7.1.0");
    assert!(im
        .layers
        .iter()
        .any(|l| l.state == "cached" && l.why.contains("node image")));
    assert!(im.layers.iter().all(|l| !l.why.is_empty()));
    for l in im.layers.iter().filter(|l| l.state == "fetched") {
        let (d, x) = (l.download_ms.unwrap(), l.extract_ms.unwrap());
        assert!(
            d.0 <= d.1 && d.1 <= x.0 && x.0 <= x.1 && x.1 <= im.done_ms,
            "{l:?}"
        );
    }
    assert_eq!(Some(im.done_ms), rec.pulled_ms);
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"journey\":{\"createdMs\":"), "{json}");
}

/// Serialized pulls (Kubernetes 1.30): the second pod's image waits for the first pull, and
/// its breakdown says so; a third pod of the first image finds it present.
#[test]
fn run_records_each_pods_pull_breakdown() {
    let s = scenario(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: breakdown}
cluster: {kubernetesVersion: "1.30"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
images:
  - {name: "a:1", os: linux, layers: [{digest: "sha256:a", size: 1GB, uncompressedSize: 1.5GB}]}
  - {name: "b:1", os: linux, layers: [{digest: "sha256:b", size: 500MB, uncompressedSize: 750MB}]}
registry: {bandwidth: 100MB/s}
workloads:
  - {name: first, kind: Deployment, replicas: 1, image: "a:1", requests: {cpu: 100m}}
  - {name: second, kind: Deployment, replicas: 1, image: "b:1", requests: {cpu: 100m}}
  - name: third
    kind: Deployment
    replicas: 1
    image: "a:1"
    requests: {cpu: 100m}
    arrival: {at: 2m}
sim: {horizon: 5m, variability: none}
"#,
    );
    let o = run(&s);
    let pull = |w: &str| pods_of(&o, w)[0].pulls[0].clone();
    // a: 0.35 s setup, 10 s download + 1.5 GB at 150 MB/s = 10 s extraction; it may queue
    // behind an AKS system image the serialized puller fetches first.
    let a = pull("first");
    assert_eq!(
        (a.source, a.bytes, a.unpacked_bytes),
        ("pulled", 1_000_000_000, 1_500_000_000)
    );
    assert_eq!((a.download_ms, a.extraction_ms), (10_000, 10_000));
    assert_eq!(a.pull_ms, 20_350);
    assert_eq!(a.total_ms, a.pull_ms + a.waiting_ms);
    // b waits for a's pull, then 0.35 s + 5 s + 5 s.
    let b = pull("second");
    assert_eq!(
        (b.source, b.download_ms, b.extraction_ms),
        ("pulled", 5_000, 5_000)
    );
    assert_eq!(b.pull_ms, 10_350);
    assert!(
        b.waiting_ms >= a.done_ms - b.requested_ms,
        "{b:?} after {a:?}"
    );
    assert_eq!(b.total_ms, b.pull_ms + b.waiting_ms);
    assert_eq!(b.done_ms, b.requested_ms + b.total_ms);
    let c = pull("third");
    assert_eq!((c.source, c.bytes, c.total_ms), ("present", 0, 0));
    let json = serde_json::to_string(&o).unwrap();
    assert!(
        json.contains("\"pulls\":[{\"image\":\"a:1\",\"source\":\"pulled\""),
        "{json}"
    );
}

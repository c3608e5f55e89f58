//! `explain`: filter verdicts and scores of one attempt.

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

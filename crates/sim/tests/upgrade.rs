//! Node-pool upgrades (`upgrade` events) over the bundled upgrade scenarios: AKS's rolling
//! procedure, PodDisruptionBudgets during drains, and the preflight refusals.

use poolcast_model::catalog::provisioning::node_ready_time;
use poolcast_model::scenario::Os;
use poolcast_sim::outcome::{Outcome, UpgradeRecord};

use crate::common::{run, scenario};

const NODE_IMAGE: &str = include_str!("../../../scenarios/upgrade-windows-node-image.yaml");
const PDB_BLOCKS: &str = include_str!("../../../scenarios/upgrade-pdb-blocks.yaml");
const WS2019: &str = include_str!("../../../scenarios/windows2019-to-1.33.yaml");

fn only_upgrade(o: &Outcome) -> &UpgradeRecord {
    assert_eq!(o.upgrades.len(), 1, "one upgrade event");
    &o.upgrades[0]
}

#[test]
fn windows_node_image_upgrade_completes_within_its_budget_and_modelled_duration() {
    let o = run(&scenario(NODE_IMAGE));
    let u = only_upgrade(&o);
    assert_eq!(u.status, "Succeeded", "{:?}", u.blockers);
    assert!(u.blockers.is_empty());
    assert_eq!(u.max_surge, 1);
    // One old node per batch (maxSurge 1), every node of the pool upgraded, the surge node
    // removed at the end.
    assert_eq!(u.batches.len(), 3);
    assert!(u.batches.iter().all(|b| b.nodes.len() == 1));
    let upgraded: Vec<_> = u.nodes.iter().filter(|n| n.role == "upgraded").collect();
    assert_eq!(upgraded.len(), 3);
    assert!(upgraded
        .iter()
        .all(|n| n.drained_ms.is_some() && n.ready_ms.is_some()));
    let surge: Vec<_> = u.nodes.iter().filter(|n| n.role == "surge").collect();
    assert_eq!(surge.len(), 1);
    assert!(surge[0].removed_ms.is_some());
    // The pool is back to three nodes.
    assert_eq!(o.summary.nodes_by_pool["win"].nodes, 3);

    // Never below the budget: at most one `portal` replica unavailable at any sample.
    let portal = u
        .availability
        .iter()
        .find(|a| a.workload == "portal")
        .unwrap();
    assert_eq!(portal.pdb.as_deref(), Some("portal-pdb"));
    assert_eq!(portal.pdb_allows_unavailable, Some(1));
    assert!(portal.unavailable.iter().all(|&x| x <= 1), "{portal:?}");
    assert_eq!(portal.max_unavailable, 1, "the upgrade did disrupt it");
    assert_eq!(portal.unavailable.last(), Some(&0), "recovered");

    // Duration: what the model implies. The surge node boots; then per batch the drain
    // waits until the replica evicted by the previous batch is Ready again (its pulls,
    // container start and startup on the new node), and the drained node is reimaged
    // (one boot). Here every pull is shorter than a boot, so each batch is one boot.
    let boot = node_ready_time(Os::Windows).default.as_ms();
    let longest_ready = u.pull_waits.iter().map(|p| p.wait_ms).max().unwrap_or(0);
    let drain_wait = longest_ready.saturating_sub(boot);
    let expected = boot + 3 * (boot + drain_wait);
    let actual = u.duration_ms.unwrap();
    assert!(
        actual.abs_diff(expected) <= boot,
        "duration {actual} ms, model {expected} ms, batch {boot} ms"
    );
    // The new node image caches this month's servercore and the previous one moves out:
    // `portal`, built on last month's base, pulls more on the new nodes than `api`.
    let wait_of = |w: &str| {
        u.pull_waits
            .iter()
            .filter(|p| p.workload == w)
            .map(|p| p.wait_ms)
            .max()
            .unwrap()
    };
    assert!(wait_of("portal") > wait_of("api"));
    assert!(u.surge_cost.unwrap() > 0.0);
}

#[test]
fn a_budget_with_min_available_equal_to_replicas_blocks_the_drain() {
    let o = run(&scenario(PDB_BLOCKS));
    let u = only_upgrade(&o);
    assert_eq!(u.status, "Failed");
    let b: Vec<_> = u
        .blockers
        .iter()
        .filter(|b| b.code == "UpgradeFailed")
        .collect();
    assert_eq!(b.len(), 1, "{:?}", u.blockers);
    let node = b[0].node.as_deref().unwrap();
    assert!(node.starts_with("aks-apps-"), "{node}");
    assert_eq!(b[0].pdb.as_deref(), Some("ledger-pdb"));
    assert!(b[0]
        .message
        .contains(&format!("Drain node {node} failed when evicting pod")));
    assert!(b[0].message.contains("blocked by pdb ledger-pdb"));
    // It fired at the drain timeout, 10 min after the batch started.
    assert_eq!(b[0].at_ms, u.batches[0].started_ms + 600_000);
    // No replica was ever evicted, and the blocked node is schedulable again.
    let ledger = &u.availability[0];
    assert_eq!(ledger.max_unavailable, 0);
    assert_eq!(o.summary.nodes_by_pool["apps"].nodes, 3);
    assert_eq!(
        o.summary.by_workload["ledger"].pods.ready, 3,
        "all replicas ready at the end"
    );
}

#[test]
fn windows2019_pool_upgrade_to_1_33_is_refused_before_touching_a_node() {
    let o = run(&scenario(WS2019));
    let u = only_upgrade(&o);
    assert_eq!(u.status, "Refused");
    assert_eq!(u.duration_ms, Some(0));
    assert!(u.nodes.is_empty() && u.batches.is_empty());
    assert_eq!(
        u.blockers[0].code,
        "Windows2019NotSupportedWithOrchestratorVersion"
    );
    assert!(u.blockers[0]
        .message
        .contains("Cannot create Windows2019 node pools"));
    assert_eq!(o.summary.pods.ready, o.summary.pods.total);
}

#[test]
fn upgrades_are_deterministic() {
    let s = scenario(NODE_IMAGE);
    let a = serde_json::to_string(&run(&s)).unwrap();
    let b = serde_json::to_string(&run(&s)).unwrap();
    assert_eq!(a, b);
}

mod props {
    use proptest::prelude::*;

    use crate::common::{run, scenario};

    /// A Linux pool of `nodes` nodes running `replicas` replicas under a budget of
    /// `max_unavailable`, upgraded to the next minor with `surge` surge nodes.
    fn upgrade_scenario(nodes: u32, replicas: u32, max_unavailable: u32, surge: &str) -> String {
        format!(
            r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: upgrade-prop}}
cluster: {{kubernetesVersion: "1.32"}}
pools:
  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}}
  - {{name: apps, os: linux, vmSize: Standard_D4s_v5, count: {nodes}}}
images:
  - {{name: "api:8", catalog: aspnet-8.0}}
disruptionBudgets:
  - {{name: api-pdb, selector: {{matchLabels: {{app: api}}}}, maxUnavailable: {max_unavailable}}}
workloads:
  - name: api
    kind: Deployment
    replicas: {replicas}
    image: "api:8"
    requests: {{cpu: 500m, memory: 512Mi}}
    nodeSelector: {{kubernetes.azure.com/agentpool: apps}}
    startup: 5s
events:
  - {{at: 5m, upgrade: {{pool: apps, to: "1.33", maxSurge: "{surge}", drainTimeout: 30m}}}}
sim: {{horizon: 6h}}
"#
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Whatever the surge and budget, the upgrade completes, every old node is
        /// reimaged once, the pool ends at its size, and evictions never take a workload
        /// below what its budget allows.
        #[test]
        fn upgrades_complete_within_the_budget(
            nodes in 1u32..5,
            replicas in 1u32..7,
            max_unavailable in 1u32..3,
            surge_pct in prop::bool::ANY,
            surge_n in 1u32..4,
        ) {
            let surge = if surge_pct { format!("{}%", 25 * surge_n) } else { surge_n.to_string() };
            let o = run(&scenario(&upgrade_scenario(nodes, replicas, max_unavailable, &surge)));
            let u = &o.upgrades[0];
            prop_assert_eq!(&u.status, "Succeeded", "{:?}", u.blockers);
            let upgraded = u.nodes.iter().filter(|n| n.role == "upgraded" && n.ready_ms.is_some()).count();
            prop_assert_eq!(upgraded as u32, nodes);
            prop_assert!(u.nodes.iter().filter(|n| n.role == "surge").all(|n| n.removed_ms.is_some()));
            prop_assert_eq!(o.summary.nodes_by_pool["apps"].nodes, nodes);
            prop_assert!(u.max_surge >= 1 && u.max_surge <= nodes);
            for w in &u.availability {
                prop_assert!(w.max_unavailable <= max_unavailable, "{:?}", w);
            }
            prop_assert_eq!(o.summary.by_workload["api"].pods.ready, replicas);
        }
    }
}

#[test]
fn a_second_upgrade_of_a_pool_in_progress_is_refused_and_a_lagging_pool_blocks_the_control_plane() {
    // The PDB-blocked upgrade runs from 10m to about 23m; another at 12m is refused.
    let text = PDB_BLOCKS.replace(
        "sim: {seed: 3, horizon: 1h}",
        "  - {at: 12m, upgrade: {pool: apps, to: node-image}}\nsim: {seed: 3, horizon: 1h}",
    );
    let o = run(&scenario(&text));
    assert_eq!(o.upgrades.len(), 2);
    assert_eq!(o.upgrades[0].status, "Failed");
    assert_eq!(o.upgrades[1].status, "Refused");
    assert_eq!(o.upgrades[1].blockers[0].code, "OperationNotAllowed");
    // A pool three minors behind 1.32 would be four behind a 1.33 control plane.
    let text = PDB_BLOCKS.replace(
        "  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 2}",
        "  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 2, kubernetesVersion: \"1.29\"}",
    );
    let o = run(&scenario(&text));
    let u = only_upgrade(&o);
    assert_eq!(u.status, "Refused");
    assert_eq!(u.blockers[0].code, "NodePoolMcVersionIncompatible");
    assert!(u.blockers[0].message.contains("node pool system"));
}

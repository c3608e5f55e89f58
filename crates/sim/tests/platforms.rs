//! Multi-platform images (manifest lists): a node runs the entry for its OS and Windows
//! build, as containerd picks it; a list with no entry for the node fails the pull.

use poolcast_model::Scenario;
use poolcast_sim::outcome::{Outcome, Reason};

use crate::common::*;

/// Linux, Windows Server 2019 (17763) and Windows Server 2022 (20348) pools, one node each
/// besides the system pool, and a DaemonSet on every node running `image`.
fn daemonset_on_mixed_pools(images: &str, image: &str) -> Scenario {
    scenario(&format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: lists}}
cluster: {{kubernetesVersion: "1.32", region: eastus}}
pools:
  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}}
  - {{name: lin, os: linux, vmSize: Standard_D8s_v5, count: 1}}
  - {{name: win19, os: windows, osSku: Windows2019, vmSize: Standard_D8s_v5, count: 1}}
  - {{name: win22, os: windows, osSku: Windows2022, vmSize: Standard_D8s_v5, count: 1}}
images:
{images}
workloads:
  - name: registrar
    kind: DaemonSet
    image: "{image}"
    requests: {{cpu: 10m, memory: 20Mi}}
sim: {{seed: 1, horizon: 30m}}
"#
    ))
}

/// (node OS, ready, reason) of each registrar pod, one per node.
fn per_node(o: &Outcome) -> Vec<(String, bool, Option<Reason>)> {
    let pods = pods_of(o, "registrar");
    assert_eq!(pods.len(), o.nodes.len(), "one pod per node");
    let mut v: Vec<_> = pods
        .iter()
        .map(|p| {
            let node = p.node.as_deref().unwrap();
            (node_os(o, node).to_owned(), p.ready, p.reason)
        })
        .collect();
    v.sort();
    v
}

const REGISTRAR: &str = r#"  - name: contoso/csi-node-driver-registrar:v2
    os: linux
    layers: [{digest: "sha256:registrar", size: 20MB}]
    platforms:
      - {os: windows, osBuild: "10.0.17763"}
      - {os: windows, osBuild: "10.0.20348"}"#;

#[test]
fn registrar_list_runs_on_every_node() {
    let o = run(&daemonset_on_mixed_pools(
        REGISTRAR,
        "contoso/csi-node-driver-registrar:v2",
    ));
    let got = per_node(&o);
    assert_eq!(got.len(), 4);
    assert!(
        got.iter().all(|(_, ready, r)| *ready && r.is_none()),
        "{got:?}"
    );
    assert!(o.failures.is_empty(), "{:?}", o.failures);
}

/// Without its Windows entries the same image fails on both Windows nodes: the guard that
/// the test above depends on `platforms`.
#[test]
fn single_platform_registrar_fails_on_windows() {
    let single = REGISTRAR.split("\n    platforms:").next().unwrap();
    let o = run(&daemonset_on_mixed_pools(
        single,
        "contoso/csi-node-driver-registrar:v2",
    ));
    let got = per_node(&o);
    for (os, ready, reason) in &got {
        match os.as_str() {
            "windows" => assert_eq!((*ready, *reason), (false, Some(Reason::OsMismatch))),
            _ => assert!(*ready),
        }
    }
}

/// A Windows entry without a build (HostProcess images) matches every Windows host.
#[test]
fn windows_entry_without_build_runs_on_any_build() {
    let images = r#"  - name: contoso/cloud-node-manager:v1
    os: linux
    layers: [{digest: "sha256:cnm", size: 30MB}]
    platforms: [{os: windows}]"#;
    let o = run(&daemonset_on_mixed_pools(
        images,
        "contoso/cloud-node-manager:v1",
    ));
    assert!(
        per_node(&o).iter().all(|(_, ready, _)| *ready),
        "{:?}",
        o.failures
    );
}

/// A Windows-only list with no entry the WS2019 host runs: the pull itself finds no
/// manifest (nothing downloads), reported as OsVersionMismatch; WS2022 runs its entry
/// and Linux finds no Windows manifest.
#[test]
fn list_without_the_host_build_fails_the_pull() {
    let images = r#"  - name: contoso/agent:v1
    os: windows
    osBuild: "10.0.20348"
    layers: [{digest: "sha256:agent", size: 30MB}]
    platforms: [{os: windows, osBuild: "10.0.26100"}]"#;
    let o = run(&daemonset_on_mixed_pools(images, "contoso/agent:v1"));
    for p in pods_of(&o, "registrar") {
        let node = p.node.as_deref().unwrap();
        let pool = &o.nodes.iter().find(|n| n.name == *node).unwrap().pool;
        match pool.as_str() {
            "win22" => assert!(p.ready, "{}", p.name),
            "win19" => {
                assert_eq!(p.reason, Some(Reason::OsVersionMismatch));
                assert!(
                    p.pulled_ms.is_none(),
                    "a list without the build never pulls"
                );
                let m = p.message.as_deref().unwrap();
                assert!(m.contains("no match for platform in manifest"), "{m}");
                assert!(m.contains("10.0.20348, 10.0.26100"), "{m}");
            }
            _ => assert_eq!(p.reason, Some(Reason::OsMismatch), "{}", p.name),
        }
    }
}

/// A reference the built-in catalog publishes for Linux and Windows (the AKS CSI
/// registrar), used by a workload without a scenario entry, runs on every node.
#[test]
fn catalog_multi_os_reference_runs_everywhere() {
    let o = run(&daemonset_on_mixed_pools(
        r#"  - {name: "nginx:1.31.3", catalog: nginx-1.31}"#,
        "mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar:v2.17.0",
    ));
    let got = per_node(&o);
    assert!(got.iter().all(|(_, ready, _)| *ready), "{got:?}");
}

//! The bundled scenarios and the outcome each one is there to show, asserted through the
//! binary (`poolcast validate` and `poolcast run --format json`).

use std::collections::BTreeMap;

use crate::common::{code, poolcast, validate_json, workspace};

fn scenario(name: &str) -> String {
    workspace()
        .join("scenarios")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn run_json(name: &str) -> serde_json::Value {
    let out = poolcast(&["run", "--format", "json", &scenario(name)]);
    assert!(
        matches!(code(&out), 0 | 1),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("run --format json prints JSON")
}

fn pods_of<'a>(o: &'a serde_json::Value, workload: &str) -> Vec<&'a serde_json::Value> {
    o["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["workload"] == workload)
        .collect()
}

/// Node name -> OS, from the outcome's node records.
fn node_os(o: &serde_json::Value) -> BTreeMap<String, String> {
    o["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_owned(),
                n["os"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_bundled_scenario_validates_with_exactly_its_intended_warnings() {
    let expected: BTreeMap<&str, &[&str]> = [
        ("hybrid-medchart.yaml", &[][..]),
        ("large-estate.yaml", &[]),
        ("morning-burst.yaml", &[]),
        ("plan-hybrid-estate.yaml", &[]),
        ("priority-preemption.yaml", &[]),
        (
            "windows-missing-selector.yaml",
            &["placement.os-selector-missing"],
        ),
        ("ltsc2019-on-ws2022.yaml", &["placement.os-build-mismatch"]),
        ("upgrade-windows-node-image.yaml", &[]),
        ("upgrade-pdb-blocks.yaml", &[]),
        ("windows2019-to-1.33.yaml", &[]),
    ]
    .into_iter()
    .collect();
    // Every bundled scenario has an entry here, so a new one cannot skip this check.
    let mut on_disk: Vec<String> = std::fs::read_dir(workspace().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = expected.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(on_disk, listed);
    for (name, warnings) in expected {
        let path = workspace().join("scenarios").join(name);
        let (c, report) = validate_json(&path, false);
        assert_eq!(c, 0, "{name}: {report}");
        let codes: Vec<&str> = report["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, warnings, "{name}");
    }
}

#[test]
fn windows_pods_without_os_selector_fail_on_linux_nodes_only() {
    let o = run_json("windows-missing-selector.yaml");
    let os = node_os(&o);
    let claims = pods_of(&o, "claims-api");
    assert_eq!(claims.len(), 6);
    let mut on_linux = 0;
    for p in &claims {
        let node = p["node"].as_str().expect("every claims-api pod is placed");
        if os[node] == "linux" {
            on_linux += 1;
            assert_eq!(p["reason"], "OsMismatch", "{p}");
            assert_eq!(p["ready"], false);
            let msg = p["message"].as_str().unwrap();
            assert!(msg.contains("no match for platform in manifest"), "{msg}");
            assert!(msg.starts_with("ImagePullBackOff"), "{msg}");
        } else {
            assert_eq!(p["ready"], true, "{p}");
        }
    }
    // Nothing pins the pods to an OS, so the scheduler spreads them over both.
    assert!(on_linux > 0 && on_linux < 6, "{on_linux} of 6 on Linux");
    for w in ["portal", "web"] {
        assert!(pods_of(&o, w).iter().all(|p| p["ready"] == true), "{w}");
    }
    assert_eq!(
        o["summary"]["byReason"],
        serde_json::json!({"OsMismatch": on_linux})
    );
}

#[test]
fn ltsc2019_images_fail_on_windows_server_2022_hosts() {
    let o = run_json("ltsc2019-on-ws2022.yaml");
    let ledger = pods_of(&o, "ledger");
    assert_eq!(ledger.len(), 4);
    for p in &ledger {
        assert_eq!(p["reason"], "OsVersionMismatch", "{p}");
        assert!(p["node"].is_string(), "the scheduler places them: {p}");
        let msg = p["message"].as_str().unwrap();
        assert!(
            msg.contains("does not match the host operating system"),
            "{msg}"
        );
    }
    assert!(pods_of(&o, "billing").iter().all(|p| p["ready"] == true));
    // One kubelet error on four pods is one line of the summary.
    let top = o["summary"]["topFailures"].as_array().unwrap();
    assert_eq!(top.len(), 1, "{top:?}");
    assert_eq!(top[0]["count"], 4);
}

/// On a fresh WS2022 node the node image's servercore ltsc2022 (same monthly build as
/// the aspnet:4.8 image's base) is reused by layer digest, so only the framework and app
/// layers are pulled: seconds, not minutes, as measured on AKS (7-72 s for 2.4-8 GB
/// images; docs/calibration.md).
#[test]
fn windows_pull_on_ws2022_reuses_the_cached_servercore() {
    let o = run_json("windows-missing-selector.yaml");
    let os = node_os(&o);
    let portal = pods_of(&o, "portal");
    assert!(!portal.is_empty());
    for p in portal {
        assert_eq!(os[p["node"].as_str().unwrap()], "windows");
        let created = p["createdMs"].as_u64().unwrap();
        let scheduled = p["scheduledMs"].as_u64().unwrap();
        let pulled = p["pulledMs"].as_u64().unwrap();
        let ready = p["readyMs"].as_u64().unwrap();
        assert!(created <= scheduled && scheduled <= pulled && pulled <= ready);
        let pull = pulled - scheduled;
        assert!((5_000..90_000).contains(&pull), "pull {pull} ms");
        // Without the cached base the pull alone would exceed 2 minutes.
        assert!(ready - created < 120_000, "{} ms", ready - created);
    }
}

#[test]
fn the_large_estate_places_every_pod() {
    let o = run_json("large-estate.yaml");
    let s = &o["summary"];
    assert_eq!(o["nodes"].as_array().unwrap().len(), 1025);
    let workload_pods = o["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["system"] == false)
        .count();
    assert_eq!(workload_pods, 30_000);
    assert_eq!(s["byReason"], serde_json::json!({}));
    let all_placed = o["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "allPlaced")
        .expect("allPlaced target reported");
    assert_eq!(all_placed["met"], true, "{all_placed}");
}

#[test]
fn the_morning_burst_scales_the_windows_pool_within_its_bounds() {
    let o = run_json("morning-burst.yaml");
    let win_nodes = o["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["pool"] == "win")
        .count();
    // autoscale {min: 2, max: 20}: the burst to 60 replicas needs more than the minimum.
    assert!((3..=20).contains(&win_nodes), "{win_nodes} Windows nodes");
    let events = o["nodeEvents"]
        .as_array()
        .expect("nodeEvents in the outcome");
    assert!(
        events
            .iter()
            .any(|e| e["pool"] == "win" && e["kind"] == "TriggeredScaleUp"),
        "the autoscaler scaled the Windows pool: {events:?}"
    );
    for w in ["claims-web", "rates-api"] {
        assert!(pods_of(&o, w).iter().all(|p| p["ready"] == true), "{w}");
    }
    // Windows pods created by the burst wait for a node to boot and pull the image.
    let os = node_os(&o);
    let late_windows: Vec<u64> = pods_of(&o, "claims-web")
        .iter()
        .filter(|p| p["createdMs"].as_u64().unwrap() >= 600_000)
        .filter(|p| os[p["node"].as_str().unwrap()] == "windows")
        .map(|p| p["readyMs"].as_u64().unwrap() - p["createdMs"].as_u64().unwrap())
        .collect();
    assert!(
        late_windows.iter().any(|t| *t > 7 * 60_000),
        "{late_windows:?}"
    );
}

#[test]
fn upgrade_scenarios_show_their_outcome() {
    let o = run_json("upgrade-windows-node-image.yaml");
    assert_eq!(o["upgrades"][0]["status"], "Succeeded");
    let o = run_json("upgrade-pdb-blocks.yaml");
    assert_eq!(o["upgrades"][0]["status"], "Failed");
    assert_eq!(o["upgrades"][0]["blockers"][0]["pdb"], "ledger-pdb");
    let o = run_json("windows2019-to-1.33.yaml");
    assert_eq!(o["upgrades"][0]["status"], "Refused");
    assert_eq!(
        o["upgrades"][0]["blockers"][0]["code"],
        "Windows2019NotSupportedWithOrchestratorVersion"
    );
}

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
    let expected: [(&str, &[&str]); 6] = [
        ("hybrid-medchart.yaml", &[]),
        ("plan-hybrid-estate.yaml", &[]),
        ("large-estate.yaml", &[]),
        ("morning-burst.yaml", &[]),
        (
            "windows-missing-selector.yaml",
            &["placement.os-selector-missing"],
        ),
        ("ltsc2019-on-ws2022.yaml", &["placement.os-build-mismatch"]),
    ];
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

#[test]
fn windows_time_to_ready_is_dominated_by_the_image_pull() {
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
        // The aspnet:4.8 image's framework layers and the app layer are not on a fresh
        // WS2022 node: the pull (extraction on NTFS) is most of the wait.
        assert!(
            (pulled - scheduled) * 2 > ready - created,
            "pull {} ms of {} ms",
            pulled - scheduled,
            ready - created
        );
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

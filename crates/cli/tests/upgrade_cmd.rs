//! `poolcast upgrade`: the upgrade what-if and the Windows migration what-if.

use crate::common::{code, poolcast, workspace};

fn scenario(name: &str) -> String {
    workspace()
        .join("scenarios")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn windows2019_upgrade_to_1_33_is_refused_with_the_reason() {
    let out = poolcast(&[
        "upgrade",
        &scenario("windows2019-to-1.33.yaml"),
        "--pool",
        "win19",
        "--to",
        "1.33",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Upgrade of pool win19 from 1.32 to 1.33: Refused"),
        "{text}"
    );
    assert!(
        text.contains(
            "(Windows2019NotSupportedWithOrchestratorVersion) Cannot create Windows2019 node pools"
        ),
        "{text}"
    );
}

#[test]
fn migration_shows_every_ltsc2019_workload_failing_on_2022_hosts() {
    let out = poolcast(&[
        "upgrade",
        &scenario("windows2019-to-1.33.yaml"),
        "--pool",
        "win19",
        "--to",
        "Windows2022",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "poolcast.migration/v1");
    assert_eq!(doc["newPool"], "win22");
    let parity = doc["parity"].as_array().unwrap();
    let replicas = |w: &str| -> u64 {
        match w {
            "ledger" => 3,
            "intake" => 2,
            _ => 2,
        }
    };
    for p in parity {
        let w = p["workload"].as_str().unwrap();
        let ltsc2019_only = p["imageBuilds"] == serde_json::json!(["10.0.17763"]);
        // Every image built only for 17763 breaks, and every one of its pods fails
        // OsVersionMismatch in the run; the multi-platform image moves.
        assert_eq!(p["runs"], !ltsc2019_only, "{p}");
        if ltsc2019_only {
            assert_eq!(p["osVersionMismatchPods"], replicas(w), "{p}");
            assert!(p["message"].as_str().unwrap().contains("rebuilt"));
        } else {
            assert_eq!(p["osVersionMismatchPods"], 0, "{p}");
        }
    }
    let names: Vec<&str> = parity
        .iter()
        .map(|p| p["workload"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ledger", "intake", "billing"]);
    // The old pool was drained: no pod of the run ends on a win19 node.
    let o = &doc["outcome"];
    let on_old = o["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["phase"] != "Deleted" && p["pool"] == "win19" && p["system"] == false)
        .count();
    assert_eq!(on_old, 0);
}

#[test]
fn node_image_what_if_prints_the_timeline_and_bad_surge_is_refused() {
    let out = poolcast(&[
        "upgrade",
        &scenario("upgrade-windows-node-image.yaml"),
        "--pool",
        "win",
        "--to",
        "node-image",
        "--at",
        "20m",
        "--max-surge",
        "2",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Upgrade of pool win from 1.33 to node-image: Succeeded"),
        "{text}"
    );
    assert!(text.contains("maxSurge 2"), "{text}");
    assert!(text.contains("Node timeline:"), "{text}");
    assert!(
        text.contains("Pods that waited for pulls on new nodes:"),
        "{text}"
    );
    let out = poolcast(&[
        "upgrade",
        &scenario("upgrade-windows-node-image.yaml"),
        "--pool",
        "win",
        "--to",
        "node-image",
        "--max-surge",
        "many",
    ]);
    assert_eq!(code(&out), 2);
    let out = poolcast(&[
        "upgrade",
        &scenario("upgrade-windows-node-image.yaml"),
        "--pool",
        "nope",
        "--to",
        "node-image",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pool is named 'nope'"));
}

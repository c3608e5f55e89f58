//! Costs through the binary: `run --format json` and text, and `report`'s Markdown, give the
//! steady and the over-the-run figures, each = VMs + OS disks + the AKS tier fee, on the
//! basis `cluster.pricing` sets, with estimated disk prices marked.

use crate::common::{code, poolcast};

const SCENARIO: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: costs-cli}
cluster:
  kubernetesVersion: "1.33"
  region: westeurope
  tier: standard
  pricing:
    discountPercent: 10
    commitment: {kind: reservation, term: 1y, ratePercent: 70}
pools:
  - name: system
    mode: System
    os: linux
    vmSize: Standard_D4s_v5
    count: 2
  - name: eph
    os: linux
    vmSize: Standard_D8ds_v5
    count: 1
sim: {seed: 1, horizon: 2h}
"#;

fn write_scenario(dir: &std::path::Path) -> String {
    let p = dir.join("costs.yaml");
    std::fs::write(&p, SCENARIO).unwrap();
    p.to_str().unwrap().to_owned()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 2e-3
}

#[test]
fn run_json_totals_are_vms_plus_disks_plus_tier_fee() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_scenario(dir.path());
    let out = poolcast(&["run", &f, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &j["summary"]["cost"];
    let f64_of = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(c["tier"], "standard");
    assert!(close(f64_of(&c["tierFeePerHour"]), 0.09));
    assert_eq!(
        c["basis"],
        "paid after cluster.pricing: reservation 1y at 70% on VMs, 10% discount"
    );
    assert!(close(
        f64_of(&c["perHour"]),
        f64_of(&c["vmsPerHour"]) + f64_of(&c["disksPerHour"]) + f64_of(&c["tierFeePerHour"])
    ));
    assert!(close(
        f64_of(&c["runCost"]),
        f64_of(&c["runVms"]) + f64_of(&c["runDisks"]) + f64_of(&c["runTierFee"])
    ));
    assert!(close(f64_of(&c["runTierFee"]), 0.18));
    // Two D4s_v5 nodes with a P10 each (19.71/month, 10% off); the D8ds_v5 node's
    // ephemeral OS disk costs nothing.
    let disk = 19.71 / 730.0 * 0.9;
    assert!(close(f64_of(&c["disksPerHour"]), 2.0 * disk), "{c}");
    let pools = &j["summary"]["nodesByPool"];
    assert_eq!(f64_of(&pools["eph"]["diskPerNodeHour"]), 0.0);
    assert_eq!(pools["eph"]["diskEstimated"], false);
    assert_eq!(pools["system"]["diskEstimated"], true);
    // Westeurope has no sourced disk price: estimated, and said so.
    assert_eq!(c["estimated"], true);
    assert_eq!(c["estimatedPools"], serde_json::json!(["system"]));
    // The VM part: the reservation at 70% and the discount.
    let vm = f64_of(&pools["system"]["vmPerNodeHour"]);
    let list = poolcast_model::catalog::Catalog::builtin()
        .vm_sku("Standard_D4s_v5")
        .and_then(|s| s.price("westeurope", poolcast_model::scenario::Os::Linux))
        .unwrap();
    assert!(close(vm, list * 0.7 * 0.9), "{vm} vs {list}");

    let text = poolcast(&["run", &f]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.contains("Cost, steady (nodes at the end):"), "{t}");
    assert!(t.contains("AKS standard tier 0.09"), "{t}");
    assert!(t.contains("Cost over the run:"), "{t}");
    assert!(t.contains("ESTIMATED"), "{t}");
    assert!(t.contains("paid after cluster.pricing"), "{t}");
}

#[test]
fn report_markdown_labels_both_figures() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_scenario(dir.path());
    let out = dir.path().join("r");
    let o = poolcast(&["report", &f, "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Cost, steady (nodes alive at the end)"), "{md}");
    assert!(md.contains("+ AKS standard tier"), "{md}");
    assert!(md.contains("Cost over the run:"), "{md}");
    assert!(md.contains("ESTIMATED"), "{md}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Cost over the run:"));
}

//! `poolcast report`: the files it writes, that they are self-contained and deterministic,
//! and that a failed run leaves nothing behind.

use std::path::Path;

use crate::common::{code, poolcast, workspace};

fn scenario(name: &str) -> String {
    workspace()
        .join("scenarios")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn report(scn: &str, out: &Path, extra: &[&str]) {
    let mut args = vec!["report", scn, "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = poolcast(&args);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
}

/// The chart ids every run report draws.
pub const CHARTS: [&str; 7] = [
    "pods-by-phase",
    "nodes-per-pool",
    "cpu-per-pool",
    "memory-per-pool",
    "time-to-ready",
    "image-pulls",
    "failures",
];

/// Asserts the page references nothing outside itself: no scripts, stylesheets, images,
/// frames, fonts or CSS urls, and links only to anchors or its own chart files.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for needle in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(",
        " src=",
        "srcset=",
        "xlink:href",
    ] {
        assert!(!lower.contains(needle), "index.html contains {needle:?}");
    }
    for (i, _) in lower.match_indices("href=\"") {
        let target = &html[i + 6..];
        let target = &target[..target.find('"').unwrap()];
        assert!(
            target.starts_with('#') || target.starts_with("charts/"),
            "index.html links to {target:?}"
        );
    }
}

#[test]
fn writes_every_file_and_a_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hybrid");
    report(&scenario("hybrid-medchart.yaml"), &out, &[]);
    for f in ["index.html", "report.md", "report.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for id in CHARTS {
        let svg = std::fs::read_to_string(out.join(format!("charts/{id}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{id}.svg");
        let png = std::fs::read(out.join(format!("charts/{id}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{id}.png");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_self_contained(&html);
    for id in CHARTS {
        // A chart with nothing to plot carries data-empty and shows its message.
        let inline = format!("data-chart=\"{id}\"><div class=\"chart\"><svg ");
        let empty = format!("data-chart=\"{id}\" data-empty=\"true\"><div class=\"chart\"><svg ");
        assert!(
            html.contains(&inline) || html.contains(&empty),
            "{id} not inline"
        );
    }
    for section in [
        "Summary",
        "Layout and cost",
        "Failures and their causes",
        "Time to ready",
        "Assumptions and sources",
    ] {
        assert!(html.contains(section), "section {section}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "poolcast.report/v1");
    assert_eq!(json["run"]["schema"], "poolcast.run/v1");
    assert_eq!(json["scenario"]["name"], "hybrid-medchart");
    assert!(json["replications"].is_null());
    assert!(!json["run"]["assumptions"].as_array().unwrap().is_empty());
    let charts: Vec<&str> = json["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(charts, CHARTS);
    // Windows pulls of the hybrid scenario are dominated by extraction (NTFS snapshotter
    // ~20 MB/s: microsoft/Windows-Containers#92, containerd/containerd#4989).
    let win = json["imagePulls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["os"] == "windows")
        .expect("a Windows image pull");
    assert!(win["extractMs"].as_u64().unwrap() > win["downloadMs"].as_u64().unwrap());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# hybrid-medchart"));
    assert!(md.contains("![Image pull time: download vs extraction](charts/image-pulls.png)"));
}

#[test]
fn the_same_scenario_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let scn = scenario("windows-missing-selector.yaml");
    report(&scn, &a, &[]);
    report(&scn, &b, &[]);
    for f in [
        "index.html",
        "report.md",
        "report.json",
        "charts/pods-by-phase.svg",
        "charts/failures.png",
    ] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
}

#[test]
fn replications_add_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    report(
        &scenario("windows-missing-selector.yaml"),
        &out,
        &["--replications", "4"],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let r = &json["replications"];
    assert_eq!(r["schema"], "poolcast.replications/v1");
    assert_eq!(r["replications"], 4);
    assert_eq!(r["baseSeed"], json["run"]["seed"]);
    let claims = &r["failures"]["claims-api"]["probability"];
    assert_eq!(claims["trials"], 4);
    let (lo, hi) = (
        claims["low"].as_f64().unwrap(),
        claims["high"].as_f64().unwrap(),
    );
    let p = claims["estimate"].as_f64().unwrap();
    assert!(lo <= p && p <= hi, "{claims}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Failure probability over 4 replications"));
    // Run-to-run bands of each run's own percentiles, with a row over all OSes.
    let bands = &r["timeToReady"]["bands"];
    assert_eq!(bands["runs"], 4);
    let p95 = &bands["p95"];
    assert!(p95["lowMs"].as_u64() <= p95["medianMs"].as_u64());
    assert!(p95["medianMs"].as_u64() <= p95["highMs"].as_u64());
    assert!(html.contains("<h3>Run-to-run bands</h3>"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| node OS | runs | run p50 | run p95 | run p99 |"),
        "{md}"
    );
}

#[test]
fn a_failed_run_leaves_no_report_and_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {name: x}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = poolcast(&["report", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(!out.exists());
    // A previous report survives a failed run untouched.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("index.html"), "previous").unwrap();
    let o = poolcast(&["report", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        "previous"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".poolcast-report-")),
        "temporary directory left behind: {names:?}"
    );
}

#[test]
fn a_scenario_with_pools_to_size_gets_the_plan_and_its_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    report(&scenario("plan-hybrid-estate.yaml"), &out, &[]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let plan = &json["plan"];
    assert_eq!(plan["schema"], "poolcast.plan/v1");
    assert_eq!(plan["feasible"], true);
    assert_eq!(json["runUsesPlan"], true);
    assert_eq!(json["charts"][0]["id"], "plan-cost");
    // The run simulates the recommended layout: each sized pool has the recommended VM
    // size and node count.
    for l in plan["layout"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["sized"] == true)
    {
        let pool = &json["run"]["summary"]["nodesByPool"][l["pool"].as_str().unwrap()];
        assert_eq!(pool["vmSize"], l["vmSize"], "{l}");
        assert_eq!(pool["nodes"], l["nodes"], "{l}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Recommended layout") && html.contains("data-chart=\"plan-cost\""));
    assert!(!json["plan"]["sizing"].as_array().unwrap().is_empty());
}

#[test]
fn an_upgrade_gets_its_section_and_availability_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    report(&scenario("upgrade-pdb-blocks.yaml"), &out, &[]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Upgrades"), "{md}");
    assert!(
        md.contains("### Pool apps from 1.32 to 1.33: Failed"),
        "{md}"
    );
    assert!(md.contains("blocked by pdb ledger-pdb"), "{md}");
    assert!(out.join("charts/upgrade-0.svg").exists());
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<section id=\"upgrades\">"));
    assert!(html.contains("data-chart=\"upgrade-0\""));
    assert_self_contained(&html);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["run"]["upgrades"][0]["status"], "Failed");
}

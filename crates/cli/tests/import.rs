//! `poolcast import` end to end: files in, a scenario file out (or nothing, on bad input).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use poolcast_model::Scenario;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import")
}

fn poolcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolcast"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn imports_dump_and_manifest_folder_into_a_loadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scenario.yaml");
    let dump = fixtures().join("aks-dump.json");
    let manifests = fixtures().join("manifests");
    let o = poolcast(&[
        "import",
        "--nodes",
        s(&dump),
        "--manifests",
        s(&manifests),
        "-o",
        s(&out),
        "--name",
        "medchart-today",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("imported 4 pool(s) with 18 node(s), 34 workload(s)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let sc: Scenario = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(sc.metadata.name, "medchart-today");
    assert_eq!(sc.workloads.len(), 34);
    assert!(text.contains("# FILL IN: "));
    // Only the scenario is left in the folder: the temporary file was renamed.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("scenario.yaml")]);
}

#[test]
fn separate_nodes_and_pods_files_equal_one_combined_list() {
    let dir = tempfile::tempdir().unwrap();
    let dump: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("aks-dump.json")).unwrap())
            .unwrap();
    let items = dump["items"].as_array().unwrap();
    let of_kind = |k: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "List",
            "items": items.iter().filter(|i| i["kind"] == k).cloned().collect::<Vec<_>>()})
    };
    let nodes = dir.path().join("nodes.json");
    let pods = dir.path().join("pods.json");
    std::fs::write(&nodes, serde_json::to_string(&of_kind("Node")).unwrap()).unwrap();
    std::fs::write(&pods, serde_json::to_string(&of_kind("Pod")).unwrap()).unwrap();
    let split = poolcast(&["import", "--nodes", s(&nodes), "--pods", s(&pods)]);
    let whole = poolcast(&["import", "--nodes", s(&fixtures().join("aks-dump.json"))]);
    assert_eq!(
        split.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&split.stderr)
    );
    let a: Scenario = serde_yaml_ng::from_slice(&split.stdout).unwrap();
    let b: Scenario = serde_yaml_ng::from_slice(&whole.stdout).unwrap();
    assert_eq!(a.pools, b.pools);
    assert_eq!(a.workloads, b.workloads);
    assert_eq!(a.images, b.images);
}

#[test]
fn truncated_or_malformed_input_gives_a_located_error_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(fixtures().join("aks-dump.json")).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let bad_yaml = dir.path().join("bad");
    std::fs::create_dir(&bad_yaml).unwrap();
    std::fs::write(
        bad_yaml.join("app.yaml"),
        "kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{image: \"x\n",
    )
    .unwrap();
    let out = dir.path().join("scenario.yaml");
    for (args, want) in [
        (vec!["--nodes", s(&cut)], format!("{}:", cut.display())),
        (
            vec!["--manifests", s(&bad_yaml)],
            format!("{}: document 1: line", bad_yaml.join("app.yaml").display()),
        ),
        (
            vec!["--pods", s(&dir.path().join("missing.json"))],
            "reading".to_owned(),
        ),
    ] {
        let mut all = vec!["import"];
        all.extend(args);
        all.extend(["-o", s(&out)]);
        let o = poolcast(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&want), "{stderr} lacks {want}");
        assert!(!out.exists(), "no output on error");
    }
    // The JSON error names the line and column where the text stops.
    let o = poolcast(&["import", "--nodes", s(&cut)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines = full[..full.len() / 2].lines().count();
    assert!(
        stderr.contains(&format!("{}:{lines}:", cut.display())),
        "{stderr}"
    );
    assert!(stderr.contains("EOF while parsing"), "{stderr}");
    assert!(o.stdout.is_empty());
}

#[test]
fn an_existing_output_survives_a_failed_import() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scenario.yaml");
    std::fs::write(&out, "keep me\n").unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"kind\": \"List\", \"items\": [").unwrap();
    let o = poolcast(&["import", "--nodes", s(&bad), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");
}

#[test]
fn no_input_is_a_usage_error() {
    let o = poolcast(&["import"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to import"));
}

#[test]
fn a_yaml_dump_imports_like_the_json_one() {
    let dir = tempfile::tempdir().unwrap();
    let json = fixtures().join("aks-dump.json");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let yaml = dir.path().join("dump.yaml");
    std::fs::write(&yaml, serde_yaml_ng::to_string(&value).unwrap()).unwrap();
    let a = poolcast(&["import", "--nodes", s(&yaml)]);
    let b = poolcast(&["import", "--nodes", s(&json)]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let a: Scenario = serde_yaml_ng::from_slice(&a.stdout).unwrap();
    let b: Scenario = serde_yaml_ng::from_slice(&b.stdout).unwrap();
    assert_eq!(a.workloads, b.workloads);
    assert_eq!(a.pools, b.pools);
}

/// The imported cluster, run through `poolcast run`, keeps every running pod where it runs
/// now: per node and namespace, the pods bound at time zero without a scheduling attempt
/// are exactly the dump's running pods, and the DaemonSet controller adds no second pod.
#[test]
fn a_run_of_the_imported_dump_puts_running_pods_back_where_they_are() {
    use std::collections::BTreeMap;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.yaml");
    let dump = fixtures().join("aks-dump.json");
    let o = poolcast(&["import", "--nodes", s(&dump), "-o", s(&out)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = poolcast(&["run", "--format", "json", s(&out)]);
    assert!(
        matches!(r.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let outcome: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();

    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&dump).unwrap()).unwrap();
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    for item in d["items"].as_array().unwrap() {
        if item["kind"] == "Pod" && item["status"]["phase"] == "Running" {
            let node = item["spec"]["nodeName"].as_str().unwrap().to_owned();
            let ns = item["metadata"]["namespace"].as_str().unwrap().to_owned();
            *want.entry((node, ns)).or_default() += 1;
        }
    }
    let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in outcome["pods"].as_array().unwrap() {
        if p["attempts"] == 0 && p["createdMs"] == 0 && p["node"].is_string() {
            let node = p["node"].as_str().unwrap().to_owned();
            let ns = p["namespace"].as_str().unwrap().to_owned();
            *got.entry((node, ns)).or_default() += 1;
        }
    }
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // The dump's Pending pods are scheduled by the simulated scheduler instead.
    let scheduled = outcome["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["attempts"].as_u64().unwrap_or(0) > 0)
        .count();
    assert!(
        scheduled >= 1,
        "the dump's pending pods go through the scheduler"
    );
}

/// Every corpus dump and public manifest set, imported by the binary, passes `poolcast
/// validate` as written (exit 0: warnings allowed, no error).
#[test]
fn imported_corpus_files_validate_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs: Vec<Vec<String>> = Vec::new();
    for d in [
        "dumps/kubenet-linux.json",
        "dumps/overlay-win19-noversion.json",
        "dumps/cilium.json",
        "dumps/eks-generic.json",
    ] {
        runs.push(vec!["--nodes".into(), s(&fixtures().join(d)).to_owned()]);
    }
    runs.push(vec![
        "--manifests".into(),
        s(&fixtures().join("public")).to_owned(),
    ]);
    for (i, args) in runs.iter().enumerate() {
        let out = dir.path().join(format!("s{i}.yaml"));
        let mut full: Vec<&str> = vec!["import"];
        full.extend(args.iter().map(String::as_str));
        full.extend(["-o", s(&out)]);
        let o = poolcast(&full);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v = poolcast(&["validate", s(&out)]);
        assert_eq!(
            v.status.code(),
            Some(0),
            "{args:?}:\n{}",
            String::from_utf8_lossy(&v.stdout)
        );
    }
}

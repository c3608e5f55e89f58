//! `poolcast sweep` and `poolcast merge`: results independent of the thread count, shards
//! merging into the unsharded result (using the Indexed Job of docs/distributed.md), values
//! that take effect, and input errors.

use std::path::{Path, PathBuf};

use crate::common::{code, poolcast, workspace};

fn hybrid() -> String {
    workspace()
        .join("scenarios/hybrid-medchart.yaml")
        .to_str()
        .unwrap()
        .to_owned()
}

fn ok(args: &[String]) -> String {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = poolcast(&a);
    assert_eq!(
        code(&o),
        0,
        "poolcast {a:?}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

const OUTPUTS: [&str; 3] = ["sweep.json", "sweep.csv", "sweep.svg"];

fn assert_same_outputs(a: &Path, b: &Path) {
    for f in OUTPUTS {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for threads in ["1", "3"] {
        let out = dir.path().join(format!("t{threads}"));
        ok(&strings(&[
            "sweep",
            &hybrid(),
            "--set",
            "registry.bandwidth=25MiB/s,50MiB/s,200MiB/s",
            "--set",
            "workloads.medchart-api.replicas=2..4",
            "--replications",
            "2",
            "--threads",
            threads,
            "-o",
            out.to_str().unwrap(),
        ]));
        runs.push(out);
    }
    assert_same_outputs(&runs[0], &runs[1]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runs[0].join("sweep.json")).unwrap())
            .unwrap();
    assert_eq!(doc["schema"], "poolcast.sweep/v1");
    assert_eq!(doc["points"], 9);
    assert_eq!(doc["replications"], 2);
    let idx: Vec<u64> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, (0..9).collect::<Vec<_>>());
    let csv = std::fs::read_to_string(runs[0].join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 10);
    assert!(csv.starts_with("index,registry.bandwidth,workloads.medchart-api.replicas,podsReady,"));
}

#[test]
fn swept_values_take_effect() {
    // Slower registry bandwidth makes Linux pulls, hence time to ready, longer; more
    // replicas mean more pods.
    let out = ok(&strings(&[
        "sweep",
        &hybrid(),
        "--set",
        "registry.bandwidth=10MiB/s,400MiB/s",
        "--set",
        "workloads.gateway.replicas=1,3",
        "--format",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = doc["results"].as_array().unwrap();
    let m = |i: usize, k: &str| r[i]["metrics"][k].as_f64().unwrap();
    assert_eq!(r[0]["values"]["registry.bandwidth"], "10MiB/s");
    assert_eq!(r[3]["values"]["workloads.gateway.replicas"], "3");
    assert!(
        m(0, "p95TimeToReadyLinuxS") > m(2, "p95TimeToReadyLinuxS"),
        "{out}"
    );
    let total = |i: usize| m(i, "podsReady") + m(i, "podsPending") + m(i, "podsFailed");
    assert!(total(1) >= total(0) + 2.0, "{out}");
}

#[test]
fn a_point_with_the_files_own_value_equals_poolcast_run() {
    // The scenario goes through JSON and back for every point; a point that sets a field
    // to the value it already has must reproduce `poolcast run` exactly.
    let run: serde_json::Value =
        serde_json::from_str(&ok(&strings(&["run", &hybrid(), "--format", "json"]))).unwrap();
    let seed = run["seed"].as_u64().unwrap().to_string();
    let sweep: serde_json::Value = serde_json::from_str(&ok(&strings(&[
        "sweep",
        &hybrid(),
        "--set",
        &format!("sim.seed={seed}"),
        "--format",
        "json",
    ])))
    .unwrap();
    let m = &sweep["results"][0]["metrics"];
    let s = &run["summary"];
    assert_eq!(
        m["podsFailed"].as_f64().unwrap(),
        s["pods"]["failed"].as_f64().unwrap()
    );
    assert_eq!(
        m["podsReady"].as_f64().unwrap(),
        s["pods"]["ready"].as_f64().unwrap()
    );
    assert_eq!(
        m["costPerMonth"].as_f64().unwrap(),
        s["cost"]["perMonth"].as_f64().unwrap()
    );
    let p95 = s["timeToReady"]["windows"]["p95Ms"].as_f64().unwrap() / 1000.0;
    assert!((m["p95TimeToReadyWindowsS"].as_f64().unwrap() - p95).abs() < 1e-3);
}

/// The Indexed Job and the merge Job of docs/distributed.md, as (completions, sweep args,
/// merge args).
fn documented_jobs() -> (u32, Vec<String>, Vec<String>) {
    let doc = std::fs::read_to_string(workspace().join("docs/distributed.md")).unwrap();
    let mut sweep = None;
    let mut merge = None;
    for block in doc.split("```yaml").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        for d in block.split("\n---\n") {
            let v: serde_json::Value = serde_yaml_ng::from_str(d).unwrap();
            if v["kind"] != "Job" {
                continue;
            }
            let args: Vec<String> = v["spec"]["template"]["spec"]["containers"][0]["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            if v["spec"]["completionMode"] == "Indexed" {
                sweep = Some((v["spec"]["completions"].as_u64().unwrap() as u32, args));
            } else {
                merge = Some(args);
            }
        }
    }
    let (n, s) = sweep.expect("an Indexed Job in docs/distributed.md");
    (n, s, merge.expect("a merge Job in docs/distributed.md"))
}

fn localise(args: &[String], results: &Path) -> Vec<String> {
    let scenarios = workspace().join("scenarios");
    args.iter()
        .map(|a| {
            if let Some(rest) = a.strip_prefix("/scenarios/") {
                scenarios.join(rest).to_str().unwrap().to_owned()
            } else if let Some(rest) = a.strip_prefix("/results/") {
                results.join(rest).to_str().unwrap().to_owned()
            } else {
                a.clone()
            }
        })
        .collect()
}

#[test]
fn the_documented_indexed_job_equals_one_run() {
    let (completions, sweep, merge) = documented_jobs();
    assert!(completions > 1);
    let dir = tempfile::tempdir().unwrap();
    let results: PathBuf = dir.path().join("results");
    let sweep = localise(&sweep, &results);
    for i in 0..completions {
        let args: Vec<String> = sweep
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()))
            .collect();
        ok(&args);
    }
    let merge = localise(&merge, &results);
    ok(&merge);
    let merged = PathBuf::from(merge.last().unwrap());

    // The same sweep in one process: no --shard, its own output directory.
    let mut single = Vec::new();
    let mut it = sweep.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--shard" | "-o" => {
                it.next();
            }
            _ => single.push(a.clone()),
        }
    }
    let one = dir.path().join("one");
    single.extend(["-o".to_owned(), one.to_str().unwrap().to_owned()]);
    ok(&single);
    assert_same_outputs(&merged, &one);

    // Merging an incomplete set is refused.
    let shards = results.join("shards");
    let first = std::fs::read_dir(&shards)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(first).unwrap();
    let o = poolcast(&[
        "merge",
        shards.to_str().unwrap(),
        "-o",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing shard"));
}

#[test]
fn bad_axes_are_input_errors() {
    let cases: &[(&str, &str)] = &[
        ("pools.nosuch.count=1", "no item named 'nosuch'"),
        ("pools.win19.autoscale.max=1..", "not an integer"),
        ("pools.win19.count", "not PATH=VALUES"),
        ("pools.win19.autoscale.max=1000000", "error["),
        ("workloads.gateway.replicas=lots", "workloads[2].replicas"),
    ];
    for (set, want) in cases {
        let o = poolcast(&["sweep", &hybrid(), "--set", set]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{set}: {err}");
        assert!(err.contains(want), "{set}: {err}");
    }
    let o = poolcast(&["sweep", &hybrid(), "--set", "sim.seed=1", "--shard", "3/3"]);
    assert_eq!(code(&o), 2);
}

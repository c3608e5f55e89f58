//! Pins the `poolcast run --format json` output (`serde_json::to_string_pretty` of the
//! `Outcome`, default `RunOptions`) of every bundled scenario and of small instances of the
//! generated scale shapes, as a length and a 64-bit FNV-1a hash of the bytes. Scheduler
//! optimisations (equivalence classes, the failed-class short cut) must leave every byte
//! as it was; a change that is meant to alter results updates the table with the reason in
//! the commit message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use poolcast_benches::scale::{many_small_yaml, pending_yaml, scale_scenario_yaml};
use poolcast_model::load::{parse_scenario, Format};
use poolcast_sim::{simulate, RunOptions};

/// FNV-1a, 64 bit: stable across platforms and releases, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What `poolcast run --format json` prints for `text` (println! adds the newline), or
/// the engine's refusal (`plan-hybrid-estate.yaml` has `count: auto` pools).
fn run_json(text: &str, name: &str) -> String {
    let (scenario, _) = match parse_scenario(text, Format::Yaml, name) {
        Ok(ok) => ok,
        Err(d) => panic!("{name} does not validate: {d:?}"),
    };
    match simulate(&scenario, &RunOptions::default()) {
        Ok(outcome) => {
            let mut s = serde_json::to_string_pretty(&outcome).expect("serialise");
            s.push('\n');
            s
        }
        Err(e) => format!("error: {e}"),
    }
}

fn check(cases: &[(&str, String, usize, u64)]) {
    let mut wrong = Vec::new();
    for (name, text, len, hash) in cases {
        let out = run_json(text, name);
        let got = (out.len(), fnv1a(out.as_bytes()));
        if got != (*len, *hash) {
            wrong.push(format!(
                "(\"{name}\", {}, 0x{:016x}) expected ({len}, 0x{hash:016x})",
                got.0, got.1
            ));
        }
    }
    assert!(wrong.is_empty(), "outputs changed:\n{}", wrong.join("\n"));
}

#[test]
fn bundled_scenarios_run_json_is_pinned() {
    let expected: &[(&str, usize, u64)] = &[
        ("hybrid-medchart.yaml", 171084, 0x51e5a91851773bdb),
        ("large-estate.yaml", 36124143, 0x70b97eb7224a5aff),
        ("ltsc2019-on-ws2022.yaml", 85449, 0x9f58f9623cb5be7d),
        ("morning-burst.yaml", 410119, 0xfee1b7dd271969ee),
        ("plan-hybrid-estate.yaml", 89, 0x35e2d7940f29897a),
        ("priority-preemption.yaml", 77351, 0xe2c623a55b04996d),
        ("upgrade-pdb-blocks.yaml", 98386, 0x35e6c72e28c2d6e0),
        (
            "upgrade-windows-node-image.yaml",
            155589,
            0xa16911f52365ee71,
        ),
        ("windows-missing-selector.yaml", 111532, 0x80f41736bb8a6607),
        ("windows2019-to-1.33.yaml", 83539, 0x980b145772f34fea),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    let listed: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(files, listed, "every bundled scenario is pinned here");
    let cases: Vec<(&str, String, usize, u64)> = expected
        .iter()
        .map(|&(name, len, hash)| {
            let text = std::fs::read_to_string(dir.join(name)).expect("read scenario");
            (name, text, len, hash)
        })
        .collect();
    check(&cases);
}

#[test]
fn generated_scale_shapes_run_json_is_pinned() {
    check(&[
        (
            "scale(200, 3000)",
            scale_scenario_yaml(200, 3_000),
            4211686,
            0x783cbbd0c9d9f468,
        ),
        (
            "many_small(150, 300, 8)",
            many_small_yaml(150, 300, 8),
            3332898,
            0xcf8cc13d725f8144,
        ),
        (
            "pending(10, 1500, 120)",
            pending_yaml(10, 1_500, 120),
            1655121,
            0x81701989c29c025f,
        ),
        (
            "pending(6, 600, 480)",
            pending_yaml(6, 600, 480),
            744199,
            0x4fa7b3b509093c4b,
        ),
    ]);
}

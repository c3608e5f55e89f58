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
        ("hybrid-medchart.yaml", 171084, 0x28c564a6009a46b4),
        ("large-estate.yaml", 36124077, 0xf819b46657834881),
        ("ltsc2019-on-ws2022.yaml", 85510, 0xedc23c7beaeb0b7d),
        ("morning-burst.yaml", 410240, 0xb9d96460e1bdf75d),
        ("plan-hybrid-estate.yaml", 89, 0x35e2d7940f29897a),
        ("priority-preemption.yaml", 77442, 0xf09cac1a9b99488f),
        ("upgrade-pdb-blocks.yaml", 98547, 0x7862705cb7e61afc),
        (
            "upgrade-windows-node-image.yaml",
            155950,
            0x2dcf63b3a8461cfe,
        ),
        ("windows-missing-selector.yaml", 111593, 0x0e7da0073f322f93),
        ("windows2019-to-1.33.yaml", 83660, 0xa5b8f9e2ad1bf745),
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
            4211746,
            0x7789dda69829effc,
        ),
        (
            "many_small(150, 300, 8)",
            many_small_yaml(150, 300, 8),
            3332367,
            0x1d4eecf51c7b204f,
        ),
        (
            "pending(10, 1500, 120)",
            pending_yaml(10, 1_500, 120),
            1655120,
            0xb32f76f990f1a56e,
        ),
        (
            "pending(6, 600, 480)",
            pending_yaml(6, 600, 480),
            744198,
            0x57f87c9decd36900,
        ),
    ]);
}

//! Helpers shared by the test modules: paths and running the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `crates/cli/tests/<rel>`.
pub fn test_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// Runs `poolcast` with `args` and returns its output.
pub fn poolcast(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_poolcast"))
        .args(args)
        .output()
        .expect("the poolcast binary runs")
}

/// The exit code; a signal (a crash) fails the test.
pub fn code(out: &Output) -> i32 {
    match out.status.code() {
        Some(c) => c,
        None => panic!(
            "poolcast was killed by a signal; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Runs `poolcast validate --format json <file>` and returns (exit code, parsed report).
pub fn validate_json(file: &Path, strict: bool) -> (i32, serde_json::Value) {
    let f = file.to_str().unwrap();
    let mut args = vec!["validate", "--format", "json", f];
    if strict {
        args.push("--strict");
    }
    let out = poolcast(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{f}: poolcast panicked:\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{f}: stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (code(&out), report)
}

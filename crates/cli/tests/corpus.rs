//! The malformed-scenario corpus: every file under `tests/malformed/` declares the
//! diagnostics it must produce, as `# expect: <code> <line> <path substring>` lines (a
//! header comment in YAML files, a `<file>.expect` sidecar for JSON, which has no
//! comments; `-` means the document root). The binary must report each, exit 2 when any
//! expected diagnostic is an error (else 1 with `--strict`), report no error that is not
//! expected, and never panic.

use std::fs;
use std::path::Path;

use crate::common::{test_data, validate_json};

#[derive(Debug)]
struct Expect {
    code: String,
    line: u64,
    path: String,
}

fn expectations(file: &Path) -> Vec<Expect> {
    let sidecar = file.with_file_name(format!(
        "{}.expect",
        file.file_name().unwrap().to_str().unwrap()
    ));
    let text = if sidecar.exists() {
        fs::read_to_string(&sidecar).unwrap()
    } else {
        fs::read_to_string(file).unwrap()
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let code = parts.next().unwrap().to_owned();
            let line = parts.next().unwrap().parse().unwrap();
            let path = parts.next().unwrap_or("-");
            Expect {
                code,
                line,
                path: if path == "-" {
                    String::new()
                } else {
                    path.to_owned()
                },
            }
        })
        .collect()
}

#[test]
fn every_malformed_scenario_gives_its_located_diagnostics() {
    let dir = test_data("malformed");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expect"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        let want = expectations(file);
        if want.is_empty() {
            failures.push(format!("{name}: no `# expect:` line"));
            continue;
        }
        let (code, report) = validate_json(file, true);
        let diags = report["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .clone();
        let found = |e: &Expect| {
            diags.iter().position(|d| {
                d["code"] == e.code.as_str()
                    && d["line"].as_u64() == Some(e.line)
                    && d["path"].as_str().unwrap().contains(&e.path)
            })
        };
        let mut matched = Vec::new();
        for e in &want {
            match found(e) {
                Some(i) => matched.push(i),
                None => failures.push(format!("{name}: missing {e:?}; got {diags:#?}")),
            }
        }
        for (i, d) in diags.iter().enumerate() {
            if d["severity"] == "error" && !matched.contains(&i) {
                failures.push(format!("{name}: unexpected error {d}"));
            }
        }
        let any_error = diags
            .iter()
            .enumerate()
            .any(|(i, d)| matched.contains(&i) && d["severity"] == "error");
        let want_code = if any_error { 2 } else { 1 };
        if code != want_code {
            failures.push(format!("{name}: exit {code}, want {want_code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

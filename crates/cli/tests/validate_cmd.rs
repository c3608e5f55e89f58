//! The `validate` command's contract: exit codes, text and JSON output, several files.

use crate::common::{code, poolcast, test_data, validate_json, workspace};

fn example() -> String {
    workspace()
        .join("scenarios/hybrid-medchart.yaml")
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_example_scenario_is_clean() {
    let out = poolcast(&["validate", "--strict", &example()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}");
    assert!(stdout.contains("hybrid-medchart.yaml: ok"), "{stdout}");
}

#[test]
fn exit_codes() {
    let warn = test_data("malformed/36-warn-no-pool.yaml");
    let err = test_data("malformed/19-windows-pool-name.yaml");
    let (w, ws) = (warn.to_str().unwrap(), err.to_str().unwrap());
    let cases: [(&[&str], i32); 7] = [
        (&["validate", w], 0),
        (&["validate", "--strict", w], 1),
        (&["validate", ws], 2),
        (&["validate", "--strict", w, ws], 2),
        (&["validate", "/nonexistent/scenario.yaml"], 2),
        (&["validate"], 2),
        (&["frobnicate"], 2),
    ];
    for (args, want) in cases {
        assert_eq!(code(&poolcast(args)), want, "{args:?}");
    }
    assert_eq!(code(&poolcast(&["--help"])), 0);
}

#[test]
fn text_output_is_compiler_style() {
    let f = test_data("malformed/19-windows-pool-name.yaml");
    let out = poolcast(&["validate", f.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = format!(
        "{}:15:11: error[aks.windows-pool-name]: pools[1].name: Windows pool name 'winpool1' is 8 characters; AKS allows 1-6\n  hint: shorten it, e.g. 'winpoo'\n",
        f.display()
    );
    assert!(stdout.starts_with(&want), "{stdout}");
    assert!(
        stdout.ends_with("1 file(s) checked: 1 error(s), 0 warning(s)\n"),
        "{stdout}"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let f = test_data("malformed/31-many-problems.yaml");
    let (c, report) = validate_json(&f, false);
    assert_eq!(c, 2);
    assert_eq!(report["schema"], "poolcast.validate/v1");
    assert_eq!(report["errors"], 4);
    let file = &report["files"][0];
    assert_eq!(file["valid"], false);
    let d = &file["diagnostics"][0];
    for key in [
        "severity", "code", "file", "line", "column", "path", "message", "hint",
    ] {
        assert!(d.get(key).is_some(), "missing {key} in {d}");
    }
    assert_eq!(d["hint"], "did you mean 'maxPods'?");
}

#[test]
fn unreadable_files_are_reported_not_fatal() {
    let (c, report) = validate_json(std::path::Path::new("/nonexistent/x.yaml"), false);
    assert_eq!(c, 2);
    assert_eq!(report["files"][0]["diagnostics"][0]["code"], "io.read");
}

/// `run`, `plan`, `explain` and `report` print a bad file's diagnostics exactly as
/// `validate` does, and run nothing.
#[test]
fn commands_that_run_print_every_error_as_validate_does() {
    let bad = test_data("malformed/31-many-problems.yaml");
    let file = bad.to_str().unwrap();
    let validated = poolcast(&["validate", file]);
    let want: Vec<String> = String::from_utf8_lossy(&validated.stdout)
        .lines()
        .filter(|l| !l.contains("file(s) checked"))
        .map(str::to_owned)
        .collect();
    assert!(want.iter().any(|l| l.contains(": error[")), "{want:?}");
    let dir = tempfile::tempdir().unwrap();
    let report_dir = dir.path().join("r");
    let cases: [Vec<&str>; 4] = [
        vec!["run", file],
        vec!["plan", file],
        vec!["explain", file, "--pod", "x-0"],
        vec!["report", file, "-o", report_dir.to_str().unwrap()],
    ];
    for args in cases {
        let out = poolcast(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in &want {
            assert!(
                stderr.contains(line.as_str()),
                "{args:?}: missing {line}\n{stderr}"
            );
        }
        assert!(stderr.contains("nothing was run"), "{stderr}");
        assert!(!report_dir.exists());
    }
}

/// Each command's `--format` help names the schema that command prints, and no other.
#[test]
fn format_help_names_each_commands_schema() {
    let cases: [(&[&str], &str); 5] = [
        (&["run", "--help"], "poolcast.run/v1"),
        (&["plan", "--help"], "poolcast.plan/v1"),
        (&["explain", "--help"], "poolcast.explain/v1"),
        (&["validate", "--help"], "poolcast.validate/v1"),
        (&["catalog", "images", "--help"], "JSON array"),
    ];
    for (args, want) in cases {
        let out = poolcast(args);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains(want), "{args:?}: {help}");
        if args[0] != "validate" {
            assert!(!help.contains("poolcast.validate/v1"), "{args:?}: {help}");
        }
    }
}

//! `poolcast validate FILE...`: load each scenario and report every problem found.

use std::process::ExitCode;

use poolcast_model::{parse_scenario, Diagnostic, FieldPath, Format};

use crate::args::{OutputFormat, ValidateArgs};
use crate::render::{diagnostic_text, FileReport, ValidateReport};

/// Code of the diagnostic for a file that cannot be read.
pub const IO_READ: &str = "io.read";

/// Validates every file; returns the exit code (0 clean, 1 warnings with `--strict`,
/// 2 errors).
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let name = path.display().to_string();
        let diagnostics = match std::fs::read(path) {
            Err(e) => {
                let mut d =
                    Diagnostic::error(IO_READ, FieldPath::root(), format!("cannot read: {e}"));
                d.file = name.clone();
                vec![d]
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => {
                    let mut d = Diagnostic::error(
                        IO_READ,
                        FieldPath::root(),
                        format!(
                            "not UTF-8 text (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    );
                    d.file = name.clone();
                    vec![d]
                }
                Ok(text) => match parse_scenario(&text, Format::from_path(&name), &name) {
                    Ok((_, warnings)) => warnings,
                    Err(all) => all,
                },
            },
        };
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        files.push(FileReport {
            file: name,
            valid: errors == 0,
            errors,
            warnings: diagnostics.len() - errors,
            diagnostics,
        });
    }
    let report = ValidateReport {
        schema: "poolcast.validate/v1",
        errors: files.iter().map(|f| f.errors).sum(),
        warnings: files.iter().map(|f| f.warnings).sum(),
        files,
    };
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Text => print_text(&report),
    }
    let code = if report.errors > 0 {
        2
    } else if report.warnings > 0 && args.strict {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

fn print_text(report: &ValidateReport) {
    for f in &report.files {
        for d in &f.diagnostics {
            println!("{}", diagnostic_text(d));
        }
        if f.diagnostics.is_empty() {
            println!("{}: ok", f.file);
        }
    }
    println!(
        "{} file(s) checked: {} error(s), {} warning(s)",
        report.files.len(),
        report.errors,
        report.warnings
    );
}

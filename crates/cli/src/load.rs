//! Reading a scenario file for the commands that run it: parse and validate, print the
//! diagnostics, and refuse to go on when there are errors.

use std::path::Path;

use anyhow::{bail, Context};
use poolcast_model::{parse_scenario, Format, Scenario};

use crate::render::diagnostic_text;

/// Loads and validates `path`; warnings go to stderr, errors end the command (exit 2).
pub fn scenario(path: &Path) -> anyhow::Result<Scenario> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    match parse_scenario(&text, Format::from_path(&name), &name) {
        Ok((s, warnings)) => {
            for w in &warnings {
                eprintln!("{}", diagnostic_text(w));
            }
            Ok(s)
        }
        Err(diags) => {
            for d in &diags {
                eprintln!("{}", diagnostic_text(d));
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            bail!("{name}: {errors} error(s); run `poolcast validate {name}` for details")
        }
    }
}

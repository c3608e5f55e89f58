//! Reading a scenario file for the commands that run it (`run`, `explain`, `plan`,
//! `report`, `sweep`): parse and validate, print every diagnostic exactly as `poolcast
//! validate` prints it (`file:line:col: error[code]: path: message` and its hint), and
//! refuse to go on when there are errors.

use std::path::Path;

use anyhow::{bail, Context};
use poolcast_model::{parse_scenario, Format, Scenario};

use crate::render::diagnostic_text;

/// Loads and validates `path`. Warnings and errors go to stderr, one per line as
/// `validate` writes them; errors end the command (exit 2) with a count.
pub fn scenario(path: &Path) -> anyhow::Result<Scenario> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => bail!(
            "{name}: error[io.read]: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    };
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
            let warnings = diags.len() - errors;
            bail!("{name}: {errors} error(s), {warnings} warning(s) above; nothing was run")
        }
    }
}

//! The `poolcast` binary: CLI definition and glue.
//!
//! `main` maps the outcome of [`run`] to a process exit code; `run` parses the arguments
//! (clap, [`args`]) and hands them to one module per subcommand. This crate is the only
//! one that reads files or prints.
//!
//! Exit codes, for every subcommand: 0 success, 1 a finding the user asked to fail on
//! (warnings with `validate --strict`, missed targets or failed pods with `run --check`),
//! 2 bad input or usage.

mod args;
mod catalog;
mod charts;
mod emit;
mod explain;
mod figures;
mod import;
mod load;
mod plan;
mod render;
mod report;
mod run;
mod sweep;
mod table;
mod upgrade;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// Bad input or usage.
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("poolcast: error: {err:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors; everything else clap refuses is usage.
            let code = if err.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = err.print();
            return Ok(ExitCode::from(code));
        }
    };
    match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Catalog(a) => catalog::run(&a),
        Command::Import(a) => {
            import::run_import(&a).map(|code| ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
        Command::Run(a) => run::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Plan(a) => plan::run(&a),
        Command::Emit(a) => emit::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Sweep(a) => sweep::run(&a),
        Command::Merge(a) => sweep::run_merge(&a),
        Command::Upgrade(a) => upgrade::run(&a),
    }
}

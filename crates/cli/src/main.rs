//! The `poolcast` binary: CLI definition and glue.

mod import;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// poolcast: scheduling simulator and capacity planner for mixed Windows/Linux AKS clusters.
#[derive(Debug, Parser)]
#[command(name = "poolcast", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Turn a cluster dump (kubectl get nodes,pods -A -o json) and/or manifests into a scenario.
    Import(import::ImportArgs),
}

fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Import(args) => import::run_import(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e:#}");
            // Exit code 2: bad input or usage (DESIGN.md output contract).
            ExitCode::from(2)
        }
    }
}

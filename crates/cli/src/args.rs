//! Command-line arguments (clap derive). One variant of [`Command`] per subcommand, each
//! with its own argument struct; later subcommands (`run`, `explain`, `plan`, `sweep`,
//! `report`, `import`, `catalog`) join the enum as they are built.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Scheduling simulator and capacity planner for Kubernetes clusters that mix Windows and
/// Linux node pools (Azure AKS first).
#[derive(Debug, Parser)]
#[command(name = "poolcast", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files: syntax, schema, references, AKS rules, placement risks.
    ///
    /// Reports every problem of every file at once, each with file, line, column and
    /// field path. Exit status: 0 clean, 1 warnings only (with --strict), 2 errors.
    Validate(ValidateArgs),
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Compiler-style lines for people.
    #[default]
    Text,
    /// One JSON document (schema `poolcast.validate/v1`) for scripts.
    Json,
}

/// `poolcast validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (YAML, or JSON when the name ends in .json).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with status 1 when there are warnings but no errors.
    #[arg(long)]
    pub strict: bool,
}

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
    /// Print the embedded catalogs: VM sizes and prices, well-known images, AKS system
    /// pods, and the allocatable AKS leaves on each VM size.
    Catalog(CatalogArgs),
    /// Turn a cluster dump (kubectl get nodes,pods -A -o json) and/or Kubernetes manifests
    /// into a scenario, with comments on what was inferred and what to fill in.
    Import(crate::import::ImportArgs),
    /// Simulate a scenario and summarise what happened.
    ///
    /// Prints pods ready/pending/failed by reason and workload, nodes by pool, time to
    /// ready by OS, cost, targets and the top failure messages; `--format json` prints the
    /// full outcome (schema `poolcast.run/v1`, see docs/output.md). Exit status: 0 done,
    /// 1 targets missed or pods failed (with --check), 2 bad input.
    Run(RunArgs),
    /// Explain one scheduling attempt of one pod: every node's filter verdict and every
    /// score plugin's raw, normalised and weighted score.
    Explain(ExplainArgs),
    /// Size node pools: the cheapest VM size and node count per sized pool that meets the
    /// scenario's targets, verified with full simulation runs.
    ///
    /// Sizes the pools with a vmSize list or count: auto (all fixed-count user pools when
    /// none is marked). Prints the recommended layout, every candidate size with its node
    /// count, utilisation, cost, verdict and binding resource, and the outcome with one
    /// node fewer; `--format json` prints the report (schema `poolcast.plan/v1`),
    /// `--emit az|bicep` the recommendation as commands or a Bicep snippet. Exit status:
    /// 0 done, 1 no layout meets the targets (with --check), 2 bad input.
    Plan(PlanArgs),
    /// Write a scenario's node pools as `az aks nodepool` commands or a Bicep file.
    ///
    /// Every pool as written: new pools as `az aks nodepool add`, existing ones
    /// (`existing: true` or imported) as `scale`/`update`; autoscaled pools with their
    /// min/max; AKS-reserved labels left out. Pools marked for sizing need `plan --emit`.
    /// Exit status: 0 done, 2 bad input.
    Emit(EmitArgs),
    /// Write a self-contained report: index.html, report.md, report.json and charts.
    ///
    /// Simulates the scenario (N replications with --replications or sim.replications)
    /// and writes everything into a temporary directory that replaces DIR only when the
    /// report is complete.
    Report(crate::report::ReportArgs),
    /// Run a grid of what-ifs over scenario fields, in parallel (or one shard of it).
    ///
    /// Each --set PATH=VALUES adds an axis; every combination is simulated with the same
    /// seed. Results as a table, JSON or CSV, or with -o a directory with sweep.json,
    /// sweep.csv and a chart. See docs/sweep.md and docs/distributed.md.
    Sweep(crate::sweep::SweepArgs),
    /// Join `sweep --shard` outputs into the result of one unsharded sweep.
    Merge(crate::sweep::MergeArgs),
    /// What-if of an AKS node-pool upgrade, or of a Windows migration to a new OS SKU.
    ///
    /// `--to 1.33` or `--to node-image` adds an `upgrade` event at --at and prints the
    /// upgrade: status or AKS's refusal, node timeline, batches, blockers, unavailable
    /// replicas against each PodDisruptionBudget, pods that waited for pulls on new nodes
    /// and surge cost (`--format json`: the whole run outcome). `--to Windows2022` adds a
    /// pool of that SKU, widens selectors to it, drains the old pool and reports where
    /// OS-build parity breaks (`--format json`: schema `poolcast.migration/v1`).
    Upgrade(crate::upgrade::UpgradeArgs),
}

/// Parses a duration argument (`90s`, `10m`, `2h`).
pub fn parse_duration(s: &str) -> Result<poolcast_model::Duration, String> {
    s.parse()
        .map_err(|e: poolcast_model::units::UnitError| e.message)
}

/// `poolcast run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time span instead of `sim.horizon` (e.g. 90m, 2h).
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<poolcast_model::Duration>,
    /// Output format: a text summary, or json: the whole outcome, schema `poolcast.run/v1`
    /// (docs/output.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with status 1 when a target is missed or any workload pod failed.
    #[arg(long)]
    pub check: bool,
}

/// `poolcast explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Scenario file.
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// Pod name (`<workload>-<n>`, DaemonSet pods `<workload>-<node>`).
    #[arg(long)]
    pub pod: String,
    /// Explain the first attempt at or after this time (default: the first attempt).
    #[arg(long, value_parser = parse_duration)]
    pub at: Option<poolcast_model::Duration>,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output format: a text table, or json: schema `poolcast.explain/v1` (docs/output.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `poolcast plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time span instead of `sim.horizon`.
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<poolcast_model::Duration>,
    /// Largest node count to try per pool (default 1000, the AKS limit).
    #[arg(long, value_name = "N")]
    pub max_nodes: Option<u32>,
    /// Output format: text tables, or json: the plan report, schema `poolcast.plan/v1`
    /// (docs/plan.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print the recommendation as `az aks nodepool add` commands or a Bicep snippet
    /// instead of the report.
    #[arg(long, value_enum)]
    pub emit: Option<Emit>,
    /// Exit with status 1 when no layout meets the targets.
    #[arg(long)]
    pub check: bool,
}

/// `poolcast emit`.
#[derive(Debug, Args)]
pub struct EmitArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: Emit,
}

/// What `plan --emit` and `emit --format` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// `az aks nodepool add|scale|update ...` commands.
    Az,
    /// A Bicep snippet of `managedClusters/agentPools` resources.
    Bicep,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Text for people.
    #[default]
    Text,
    /// One JSON document for scripts (its schema is named in the command's --format help).
    Json,
}

/// `poolcast validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (YAML, or JSON when the name ends in .json).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format: compiler-style lines (`file:line:col: error[code]: ...`), or json:
    /// schema `poolcast.validate/v1`.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with status 1 when there are warnings but no errors.
    #[arg(long)]
    pub strict: bool,
}

/// `poolcast catalog`.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Which catalog.
    #[command(subcommand)]
    pub what: CatalogWhat,
    /// Output format: tables, or json: the catalog's rows as a JSON array of objects (no
    /// schema envelope; one object per table row).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub format: OutputFormat,
}

/// A network plugin given on the command line (`azure-cni-overlay`, `kubenet`, ...).
#[derive(Debug, Clone, Copy)]
pub struct PluginArg(pub poolcast_model::scenario::NetworkPlugin);

impl std::str::FromStr for PluginArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map(PluginArg)
            .map_err(|_| {
                format!(
                    "unknown network plugin '{s}'; use azure-cni-overlay, azure-cni-pod-subnet, \
                     azure-cni-node-subnet, azure-cni-cilium or kubenet"
                )
            })
    }
}

/// An OS on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OsArg {
    /// Linux.
    Linux,
    /// Windows.
    Windows,
}

/// The catalogs.
#[derive(Debug, Subcommand)]
pub enum CatalogWhat {
    /// Azure VM sizes with specs, AKS default OS disk and prices.
    Skus {
        /// Region of the prices.
        #[arg(long, default_value = "eastus")]
        region: String,
    },
    /// Well-known container images with layers, sizes and OS builds.
    Images,
    /// AKS's own DaemonSets and system Deployments, with requests and sources.
    SystemPods,
    /// Allocatable per VM size and OS from AKS's reservation formulas, minus AKS's system
    /// DaemonSets.
    Reservations {
        /// Kubernetes version (MAJOR.MINOR).
        #[arg(long = "kubernetes-version", default_value = "1.33")]
        kubernetes_version: String,
        /// Network plugin.
        #[arg(long = "network-plugin", default_value = "azure-cni-overlay")]
        network_plugin: PluginArg,
        /// Enabled add-ons (repeatable): monitoring, managed-prometheus, ...
        #[arg(long)]
        addon: Vec<String>,
        /// maxPods per node (default: the network plugin's default).
        #[arg(long = "max-pods")]
        max_pods: Option<u32>,
        /// Only these VM sizes (repeatable).
        #[arg(long = "vm-size")]
        vm_size: Vec<String>,
        /// Only this OS.
        #[arg(long, value_enum)]
        os: Option<OsArg>,
    },
}

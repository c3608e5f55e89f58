//! `poolcast upgrade SCENARIO --pool P --to VERSION|node-image|WindowsSKU`: the what-if of
//! one node-pool upgrade (an `upgrade` event added to the scenario) or of a Windows
//! migration to a new OS SKU (`poolcast_sim::migration`), and the text rendering of an
//! upgrade record that `run` also prints.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use poolcast_model::scenario::{
    Event, IntOrPercent, OsSku, Scenario, UndrainableNodeBehavior, UpgradeEvent,
};
use poolcast_model::Duration;
use poolcast_sim::migration::{migrate, Migration};
use poolcast_sim::outcome::{Outcome, UpgradeRecord};
use poolcast_sim::{simulate, RunOptions};
use serde::Serialize;

use crate::args::{parse_duration, OutputFormat};
use crate::table::{fmt_ms, Table};

/// The migration what-if's JSON schema.
pub const MIGRATION_SCHEMA: &str = "poolcast.migration/v1";

/// `undrainableNodeBehavior` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Undrainable {
    /// Uncordon the blocked node, stop the upgrade (AKS's default).
    Schedule,
    /// Quarantine the blocked node and go on.
    Cordon,
}

/// `poolcast upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// The pool to upgrade.
    #[arg(long)]
    pub pool: String,
    /// A Kubernetes version (1.33), `node-image`, or a Windows OS SKU (Windows2022,
    /// Windows2025) for the migration what-if.
    #[arg(long, value_name = "VERSION|node-image|SKU")]
    pub to: String,
    /// When the upgrade (or the migration) starts.
    #[arg(long, value_parser = parse_duration, default_value = "30m")]
    pub at: Duration,
    /// Surge nodes: a count or a percentage (AKS default 1).
    #[arg(long, value_name = "N|N%")]
    pub max_surge: Option<String>,
    /// Per-node drain timeout (AKS default 30m).
    #[arg(long, value_parser = parse_duration)]
    pub drain_timeout: Option<Duration>,
    /// Wait after each drain before the reimage (AKS default 0).
    #[arg(long, value_parser = parse_duration)]
    pub node_soak_duration: Option<Duration>,
    /// What AKS does with a node whose drain times out.
    #[arg(long, value_enum)]
    pub undrainable_node_behavior: Option<Undrainable>,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time span (default: the scenario's, raised to fit the upgrade).
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<Duration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// A Windows OS SKU named by `--to`, if it names one.
/// One row per node of an upgrade's timeline (name, role, then when it was requested,
/// cordoned, drained, reimaged, Ready and removed; `-` where it never was): the `upgrade`
/// and `run` text and the report's Markdown share it.
pub fn node_timeline_rows(u: &UpgradeRecord) -> Vec<Vec<String>> {
    let f = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), fmt_ms);
    u.nodes
        .iter()
        .map(|n| {
            vec![
                n.node.clone(),
                n.role.clone(),
                f(n.requested_ms),
                f(n.cordoned_ms),
                f(n.drained_ms),
                f(n.reimage_ms),
                f(n.ready_ms),
                f(n.removed_ms),
            ]
        })
        .collect()
}

/// `Started at 5m00.0s, took 31m10.0s; maxSurge 1, 4 batch(es); surge 0.52 node-hours,
/// 0.43 USD.`: the report's one-line summary of an upgrade, in HTML and Markdown alike.
pub fn upgrade_summary(u: &UpgradeRecord) -> String {
    format!(
        "Started at {}, {}; maxSurge {}, {} batch(es); surge {:.2} node-hours{}.",
        fmt_ms(u.started_ms),
        u.duration_ms.map_or_else(
            || "not finished by the horizon".to_owned(),
            |d| format!("took {}", fmt_ms(d))
        ),
        u.max_surge,
        u.batches.len(),
        u.surge_node_hours,
        u.surge_cost.map_or_else(String::new, |c| format!(
            ", {}",
            crate::report::html::usd(c)
        ))
    )
}

fn sku_of(to: &str) -> Option<OsSku> {
    match to {
        "Windows2019" => Some(OsSku::Windows2019),
        "Windows2022" => Some(OsSku::Windows2022),
        "Windows2025" => Some(OsSku::Windows2025),
        _ => None,
    }
}

fn max_surge_of(s: &str) -> anyhow::Result<IntOrPercent> {
    if s.ends_with('%') {
        return Ok(IntOrPercent::Percent(s.to_owned()));
    }
    s.parse::<u32>()
        .map(IntOrPercent::Int)
        .with_context(|| format!("--max-surge '{s}' is neither a count nor a percentage like 33%"))
}

/// The scenario with the upgrade event added, re-validated like a file.
fn with_upgrade(mut s: Scenario, a: &UpgradeArgs) -> anyhow::Result<Scenario> {
    let up = UpgradeEvent {
        pool: a.pool.clone(),
        to: a.to.clone(),
        max_surge: a.max_surge.as_deref().map(max_surge_of).transpose()?,
        drain_timeout: a.drain_timeout,
        node_soak_duration: a.node_soak_duration,
        undrainable_node_behavior: a.undrainable_node_behavior.map(|u| match u {
            Undrainable::Schedule => UndrainableNodeBehavior::Schedule,
            Undrainable::Cordon => UndrainableNodeBehavior::Cordon,
        }),
    };
    s.events.push(Event {
        at: a.at,
        scale: None,
        fail_nodes: None,
        cordon: None,
        drain: None,
        add_nodes: None,
        upgrade: Some(up),
    });
    s.events.sort_by_key(|e| e.at);
    // Room for every node: per node a drain timeout, a soak and a reimage, plus the surge.
    let nodes = s
        .pools
        .iter()
        .find(|p| p.name == a.pool)
        .map_or(1, |p| match p.count {
            Some(poolcast_model::scenario::Count::Fixed(n)) => u64::from(n),
            _ => p.autoscale.map_or(1, |x| u64::from(x.max)),
        });
    let per_node = a.drain_timeout.map_or(30 * 60_000, |d| d.as_ms())
        + a.node_soak_duration.map_or(0, |d| d.as_ms())
        + poolcast_model::catalog::provisioning::WINDOWS_NODE_READY
            .default
            .as_ms();
    let need = Duration::ms(
        (a.at.as_ms() + (nodes + 2) * per_node).min(poolcast_model::validate::MAX_HORIZON.as_ms()),
    );
    if a.horizon.is_none() && s.sim.horizon < need {
        s.sim.horizon = need;
    }
    let diags = poolcast_model::validate::validate(&s);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    if !errors.is_empty() {
        bail!("the upgrade what-if is invalid:\n  {}", errors.join("\n  "));
    }
    Ok(s)
}

/// The migration what-if as JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MigrationDoc<'a> {
    schema: &'static str,
    pool: &'a str,
    to: &'a str,
    new_pool: &'a str,
    add_at_ms: u64,
    drain_at_ms: u64,
    moved: &'a [String],
    parity: Vec<ParityDoc<'a>>,
    outcome: &'a Outcome,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParityDoc<'a> {
    workload: &'a str,
    image: &'a str,
    image_builds: &'a [String],
    host_build: &'a str,
    runs: bool,
    message: &'a str,
    /// Pods of the workload that ended OsVersionMismatch in the run.
    os_version_mismatch_pods: u32,
}

/// Runs the what-if.
pub fn run(a: &UpgradeArgs) -> anyhow::Result<ExitCode> {
    let scenario = crate::load::scenario(&a.file)?;
    let opts = RunOptions {
        seed: a.seed,
        horizon: a.horizon,
    };
    if let Some(sku) = sku_of(&a.to) {
        let m = migrate(&scenario, &a.pool, sku, a.at)?;
        let outcome = simulate(&m.scenario, &opts)?;
        match a.format {
            OutputFormat::Json => {
                let doc = migration_doc(a, &m, &outcome);
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            OutputFormat::Text => print!("{}", migration_text(a, &m, &outcome)),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let s = with_upgrade(scenario, a)?;
    let outcome = simulate(&s, &opts)?;
    match a.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&outcome)?),
        OutputFormat::Text => {
            for u in outcome
                .upgrades
                .iter()
                .filter(|u| u.started_ms == a.at.as_ms() && u.pool == a.pool)
            {
                print!("{}", upgrade_text(u));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn mismatch_pods(o: &Outcome, workload: &str) -> u32 {
    o.pods
        .iter()
        .filter(|p| {
            p.workload == workload
                && p.reason == Some(poolcast_sim::outcome::Reason::OsVersionMismatch)
        })
        .count() as u32
}

fn migration_doc<'a>(a: &'a UpgradeArgs, m: &'a Migration, o: &'a Outcome) -> MigrationDoc<'a> {
    MigrationDoc {
        schema: MIGRATION_SCHEMA,
        pool: &a.pool,
        to: &a.to,
        new_pool: &m.new_pool,
        add_at_ms: m.add_at.as_ms(),
        drain_at_ms: m.drain_at.as_ms(),
        moved: &m.moved,
        parity: m
            .parity
            .iter()
            .map(|p| ParityDoc {
                workload: &p.workload,
                image: &p.image,
                image_builds: &p.image_builds,
                host_build: &p.host_build,
                runs: p.runs,
                message: &p.message,
                os_version_mismatch_pods: mismatch_pods(o, &p.workload),
            })
            .collect(),
        outcome: o,
    }
}

/// The migration what-if as text.
pub fn migration_text(a: &UpgradeArgs, m: &Migration, o: &Outcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Migration of pool {} to {}: new pool {} (nodes requested at {}), old pool cordoned and drained at {}",
        a.pool,
        a.to,
        m.new_pool,
        fmt_ms(m.add_at.as_ms()),
        fmt_ms(m.drain_at.as_ms())
    );
    if !m.moved.is_empty() {
        let _ = writeln!(
            out,
            "Selectors widened to the new pool: {}",
            m.moved.join(", ")
        );
    }
    let mut t = Table::new(&[
        "WORKLOAD",
        "IMAGE",
        "IMAGE BUILDS",
        "HOST",
        "PARITY",
        "MISMATCH PODS",
    ]);
    for p in &m.parity {
        t.row(vec![
            p.workload.clone(),
            p.image.clone(),
            p.image_builds.join(", "),
            p.host_build.clone(),
            if p.runs { "ok" } else { "BREAKS" }.into(),
            mismatch_pods(o, &p.workload).to_string(),
        ]);
    }
    let _ = writeln!(out, "\nOS-build parity on the new hosts:\n{}", t.render(2));
    for p in m.parity.iter().filter(|p| !p.runs) {
        let _ = writeln!(out, "  {}: {}", p.workload, p.message);
    }
    let region = m.scenario.cluster.region.as_deref().unwrap_or("eastus");
    let _ = write!(
        out,
        "\nSimulated migration:\n{}",
        crate::run::summary_text(o, region)
    );
    out
}

/// One upgrade as text: status, duration, batches, the node timeline, blockers, the
/// workloads' availability against their budgets, pull waits on new nodes and surge cost.
pub fn upgrade_text(u: &UpgradeRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Upgrade of pool {} from {} to {}: {}{} (started {}, maxSurge {}, {} batch{})",
        u.pool,
        u.from,
        u.to,
        u.status,
        u.duration_ms
            .map_or_else(String::new, |d| format!(" in {}", fmt_ms(d))),
        fmt_ms(u.started_ms),
        u.max_surge,
        u.batches.len(),
        if u.batches.len() == 1 { "" } else { "es" }
    );
    for b in &u.blockers {
        let _ = writeln!(out, "  ({}) {}", b.code, b.message);
    }
    if !u.nodes.is_empty() {
        let mut t = Table::new(&[
            "NODE",
            "ROLE",
            "REQUESTED",
            "CORDONED",
            "DRAINED",
            "REIMAGE",
            "READY",
            "REMOVED",
        ]);
        for row in node_timeline_rows(u) {
            t.row(row);
        }
        let _ = writeln!(out, "\nNode timeline:\n{}", t.render(2));
    }
    if !u.availability.is_empty() {
        let mut t = Table::new(&[
            "WORKLOAD",
            "DESIRED",
            "PDB",
            "PDB ALLOWS",
            "MAX UNAVAILABLE",
        ]);
        for w in &u.availability {
            t.row(vec![
                w.workload.clone(),
                w.desired.to_string(),
                w.pdb.clone().unwrap_or_else(|| "-".into()),
                w.pdb_allows_unavailable
                    .map_or_else(|| "-".into(), |v| v.to_string()),
                w.max_unavailable.to_string(),
            ]);
        }
        let _ = writeln!(
            out,
            "Unavailable replicas during the upgrade:\n{}",
            t.render(2)
        );
    }
    if !u.pull_waits.is_empty() {
        let mut t = Table::new(&["POD", "NODE", "WAITED FOR PULLS"]);
        for p in &u.pull_waits {
            t.row(vec![p.pod.clone(), p.node.clone(), fmt_ms(p.wait_ms)]);
        }
        let _ = writeln!(
            out,
            "Pods that waited for pulls on new nodes:\n{}",
            t.render(2)
        );
    }
    let _ = writeln!(
        out,
        "Surge: {:.2} node-hours{}",
        u.surge_node_hours,
        u.surge_cost
            .map_or_else(String::new, |c| format!(", {c:.2} USD"))
    );
    out
}

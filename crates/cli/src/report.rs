//! `poolcast report SCENARIO -o DIR`: simulate (once, or N replications), draw every chart,
//! and write a self-contained report: `index.html` (inline SVG and CSS, no external
//! requests), `report.md`, `report.json` and `charts/<id>.{svg,png}`.
//!
//! The report is assembled in a temporary directory beside DIR and renamed into place at
//! the end, so a failed run never leaves a half-written report (and a previous report in
//! DIR stays intact until the new one is complete).

pub(crate) mod html;
mod markdown;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use poolcast_model::scenario::{Count, Pool, VmSize};
use poolcast_model::Scenario;
use poolcast_sim::outcome::{Assumption, Outcome};
use poolcast_sim::plan::{plan, PlanOptions, PlanReport};
use poolcast_sim::pullcost::{image_pull_costs, ImagePullCost};
use poolcast_sim::replicate::{replicate, ReplicationSummary};
use poolcast_sim::{simulate, RunOptions};

use crate::args::parse_duration;
use crate::charts::{render, Chart, ChartSpec};
use crate::figures;

/// The schema identifier of `report.json`.
pub const SCHEMA: &str = "poolcast.report/v1";

/// `poolcast report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// Directory to write the report into (replaced as a whole when it exists).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time span instead of `sim.horizon` (e.g. 90m, 2h).
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<poolcast_model::Duration>,
    /// Replications instead of `sim.replications` (seeds seed, seed+1, ...).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(poolcast_model::validate::MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
}

/// A pool as the scenario declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolInfo {
    /// Name.
    pub name: String,
    /// System or User.
    pub mode: String,
    /// linux / windows.
    pub os: String,
    /// OS SKU when given.
    pub os_sku: Option<String>,
    /// VM size (candidates joined by `, `).
    pub vm_size: String,
    /// `3`, `auto`, or `autoscale 1-10`.
    pub count: String,
}

/// The scenario as summarised at the top of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioInfo {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.description`.
    pub description: Option<String>,
    /// The file as given on the command line.
    pub file: String,
    /// `aks` / `generic`.
    pub provider: String,
    /// `cluster.kubernetesVersion`.
    pub kubernetes_version: String,
    /// `cluster.region` (default eastus).
    pub region: String,
    /// Pools.
    pub pools: Vec<PoolInfo>,
    /// Workload count.
    pub workloads: usize,
    /// Replicas over all workloads that declare them.
    pub replicas: u64,
}

/// A chart's files, relative to the report directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartRef {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What to read from it.
    pub caption: String,
    /// `charts/<id>.svg`.
    pub svg: String,
    /// `charts/<id>.png`.
    pub png: String,
}

/// `report.json`: everything the HTML and Markdown pages show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDoc {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// `poolcast <version>`.
    pub generator: String,
    /// The scenario.
    pub scenario: ScenarioInfo,
    /// The planner's report (`poolcast.plan/v1`) when the scenario marks pools for sizing
    /// (a `vmSize` list or `count: auto`).
    pub plan: Option<PlanReport>,
    /// True when `run` simulates the plan's recommended layout rather than the file's.
    pub run_uses_plan: bool,
    /// The (first) run, `poolcast.run/v1`.
    pub run: Outcome,
    /// Replications, when more than one ran.
    pub replications: Option<ReplicationSummary>,
    /// Image pull costs on a fresh node per pool.
    pub image_pulls: Vec<ImagePullCost>,
    /// How the report derived its figures from the run.
    pub report_assumptions: Vec<Assumption>,
    /// Chart files.
    pub charts: Vec<ChartRef>,
    /// The charts to draw (not serialised: `charts` names their files).
    #[serde(skip)]
    pub specs: Vec<ChartSpec>,
}

fn pool_info(p: &Pool) -> PoolInfo {
    let vm_size = match &p.vm_size {
        VmSize::Named(n) => n.clone(),
        VmSize::Candidates(c) => c.join(", "),
        VmSize::Inline(i) => i
            .name
            .clone()
            .unwrap_or_else(|| format!("inline {} vCPU, {}", i.cpu, i.memory)),
        VmSize::Auto(_) => "auto (catalog search)".to_owned(),
    };
    let count = match (p.autoscale, p.count) {
        (Some(a), _) => format!("autoscale {}-{}", a.min, a.max),
        (None, Some(Count::Fixed(n))) => n.to_string(),
        (None, Some(Count::Auto)) => "auto".to_owned(),
        (None, None) => "-".to_owned(),
    };
    PoolInfo {
        name: p.name.clone(),
        mode: format!("{:?}", p.mode),
        os: p.os.label().to_owned(),
        os_sku: p.os_sku.map(|s| format!("{s:?}")),
        vm_size,
        count,
    }
}

/// The scenario summary of the report.
pub fn scenario_info(s: &Scenario, file: &str) -> ScenarioInfo {
    ScenarioInfo {
        name: s.metadata.name.clone(),
        description: s.metadata.description.clone(),
        file: file.to_owned(),
        provider: format!("{:?}", s.cluster.provider).to_lowercase(),
        kubernetes_version: s.cluster.kubernetes_version.clone(),
        region: s
            .cluster
            .region
            .clone()
            .unwrap_or_else(|| "eastus".to_owned()),
        pools: s.pools.iter().map(pool_info).collect(),
        workloads: s.workloads.len(),
        replicas: s
            .workloads
            .iter()
            .filter_map(|w| w.replicas)
            .map(u64::from)
            .sum(),
    }
}

/// How the figures are derived, for the assumptions section.
pub fn report_assumptions() -> Vec<Assumption> {
    let a = |topic: &str, text: &str, source: &str| Assumption {
        topic: topic.to_owned(),
        text: text.to_owned(),
        source: source.to_owned(),
    };
    vec![
        a(
            "report",
            "Pods by phase are reconstructed at each sample time from each pod's created, scheduled, ready and \
             ended times and its first failure; a pending pod is counted in the pool it was later bound to.",
            "poolcast report (figures.rs), from the run's pods[] and failures[]",
        ),
        a(
            "report",
            "Allocatable per pool over time is the sampled node count times the mean allocatable of the pool's \
             nodes; requested is the sampled requested/allocatable fraction of it.",
            "poolcast report (figures.rs), from series.pools and nodes[]",
        ),
        a(
            "report",
            "Image pull times are for one pull on a fresh node with nothing else pulling: layers missing from the \
             node image cache and prePulledImages, download at min(registry bandwidth, NIC), extraction at the \
             pool's rate; concurrent pulls in the run share bandwidth and take longer.",
            "poolcast_sim::pullcost with the run's kubelet pull model (docs/model.md)",
        ),
        a(
            "report",
            "With replications, percentiles pool every ready pod of every replication; a workload's failure \
             probability counts replications with at least one failed pod, with a 95 % Wilson score interval.",
            "poolcast_sim::replicate; Wilson (1927), Newcombe (1998)",
        ),
    ]
}

/// Runs the scenario and writes the report; returns the report document.
pub fn run(args: &ReportArgs) -> anyhow::Result<std::process::ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let opts = RunOptions {
        seed: args.seed,
        horizon: args.horizon,
    };
    let n = args
        .replications
        .unwrap_or(scenario.sim.replications)
        .max(1);
    let doc = build(&scenario, &args.file.display().to_string(), &opts, n)?;
    write_report(&doc, &args.out)?;
    eprintln!(
        "poolcast: report for {} written to {}",
        doc.scenario.name,
        args.out.join("index.html").display()
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// True when the scenario marks a pool for `plan` (a list of VM sizes or `count: auto`).
pub fn wants_plan(s: &Scenario) -> bool {
    s.pools.iter().any(|p| {
        matches!(p.vm_size, VmSize::Candidates(_) | VmSize::Auto(_))
            || matches!(p.count, Some(Count::Auto))
    })
}

/// Simulates (planning first when the scenario marks pools for sizing) and assembles the
/// report document; charts are drawn by [`write_report`].
pub fn build(
    scenario: &Scenario,
    file: &str,
    opts: &RunOptions,
    n: u32,
) -> anyhow::Result<ReportDoc> {
    let plan = if wants_plan(scenario) {
        let popts = PlanOptions {
            seed: opts.seed,
            horizon: opts.horizon,
            max_nodes_per_pool: None,
        };
        Some(plan(scenario, &popts).context("planning the pools marked for sizing")?)
    } else {
        None
    };
    let (simulated, run_uses_plan) = match &plan {
        Some(p) if p.feasible => (p.apply(scenario), true),
        Some(p) if scenario.pools.iter().any(|x| matches!(x.count, Some(Count::Auto))) => bail!(
            "no layout meets the targets ({}), and pools with count: auto cannot be simulated without one",
            p.infeasible_reason.as_deref().unwrap_or("see `poolcast plan`")
        ),
        _ => (scenario.clone(), false),
    };
    let (run, replications) = if n > 1 {
        let r = replicate(&simulated, opts, n)?;
        (r.first, Some(r.summary))
    } else {
        (simulate(&simulated, opts)?, None)
    };
    let image_pulls = image_pull_costs(&simulated, opts)?;
    let mut specs = Vec::new();
    if let Some(p) = &plan {
        specs.push(figures::plan_cost(p));
    }
    specs.extend(figures::run_figures(&run, &image_pulls));
    let charts = specs
        .iter()
        .map(|c| ChartRef {
            id: c.id.clone(),
            title: c.title.clone(),
            caption: c.caption.clone(),
            svg: format!("charts/{}.svg", c.id),
            png: format!("charts/{}.png", c.id),
        })
        .collect();
    Ok(ReportDoc {
        schema: SCHEMA,
        generator: format!("poolcast {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario_info(scenario, file),
        plan,
        run_uses_plan,
        run,
        replications,
        image_pulls,
        report_assumptions: report_assumptions(),
        charts,
        specs,
    })
}

/// Draws the charts and writes every file into a temporary directory beside `out`, then
/// moves it into place.
pub fn write_report(doc: &ReportDoc, out: &Path) -> anyhow::Result<()> {
    let tmp = stage_dir(out, ".poolcast-report-")?;
    let charts_dir = tmp.path().join("charts");
    std::fs::create_dir(&charts_dir)?;
    let charts: Vec<Chart> = doc
        .specs
        .par_iter()
        .map(|spec| {
            let chart = render(spec, &charts_dir.join(format!("{}.png", spec.id)))?;
            std::fs::write(charts_dir.join(format!("{}.svg", spec.id)), &chart.svg)?;
            Ok(chart)
        })
        .collect::<anyhow::Result<Vec<Chart>>>()?;
    std::fs::write(tmp.path().join("index.html"), html::page(doc, &charts))?;
    std::fs::write(tmp.path().join("report.md"), markdown::page(doc))?;
    let mut json = serde_json::to_string_pretty(doc)?;
    json.push('\n');
    std::fs::write(tmp.path().join("report.json"), json)?;
    commit_dir(tmp, out)
}

/// A temporary directory beside `out` (same file system, so `commit_dir` can rename it into
/// place), after checking that `out` can become a directory.
pub fn stage_dir(out: &Path, prefix: &str) -> anyhow::Result<tempfile::TempDir> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&parent)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            )
        })
}

/// Moves the finished temporary directory to `out`, replacing a previous directory there
/// only once the new one is complete.
pub fn commit_dir(tmp: tempfile::TempDir, out: &Path) -> anyhow::Result<()> {
    let staged = tmp.keep();
    let fail = |e: std::io::Error, what: String| {
        let _ = std::fs::remove_dir_all(&staged);
        anyhow::Error::new(e).context(what)
    };
    if !out.exists() {
        return std::fs::rename(&staged, out)
            .map_err(|e| fail(e, format!("cannot move the report to {}", out.display())));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_owned());
    let old = out.with_file_name(format!(".{name}.old-{}", std::process::id()));
    std::fs::rename(out, &old).map_err(|e| {
        fail(
            e,
            format!("cannot move the previous {} aside", out.display()),
        )
    })?;
    if let Err(e) = std::fs::rename(&staged, out) {
        let _ = std::fs::rename(&old, out);
        return Err(fail(
            e,
            format!("cannot move the report to {}", out.display()),
        ));
    }
    std::fs::remove_dir_all(&old)
        .with_context(|| format!("cannot remove the previous report at {}", old.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_an_existing_report_whole() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("stale.txt"), "old").unwrap();
        let tmp = tempfile::tempdir_in(root.path()).unwrap();
        std::fs::write(tmp.path().join("index.html"), "new").unwrap();
        commit_dir(tmp, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "new"
        );
        assert!(!out.join("stale.txt").exists());
        let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the report remains: {left:?}");
    }

    #[test]
    fn write_refuses_a_file_in_the_way_and_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::write(&out, "a file").unwrap();
        let doc = ReportDoc {
            schema: SCHEMA,
            generator: String::new(),
            scenario: ScenarioInfo {
                name: "x".into(),
                description: None,
                file: "x.yaml".into(),
                provider: "aks".into(),
                kubernetes_version: "1.33".into(),
                region: "eastus".into(),
                pools: Vec::new(),
                workloads: 0,
                replicas: 0,
            },
            plan: None,
            run_uses_plan: false,
            run: empty_outcome(),
            replications: None,
            image_pulls: Vec::new(),
            report_assumptions: Vec::new(),
            charts: Vec::new(),
            specs: Vec::new(),
        };
        let e = write_report(&doc, &out).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "a file");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    fn empty_outcome() -> Outcome {
        let text = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: empty}
cluster: {provider: generic, kubernetesVersion: "1.33"}
pools:
  - {name: a, os: linux, vmSize: {cpu: "2", memory: 4Gi}, count: 1}
sim: {horizon: 1m}
"#;
        let s: Scenario = serde_yaml_ng::from_str(text).unwrap();
        simulate(&s, &RunOptions::default()).unwrap()
    }
}

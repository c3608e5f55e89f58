//! `poolcast sweep SCENARIO --set PATH=VALUES ...` and `poolcast merge`: a grid of
//! what-ifs over any scenario field, run in parallel (rayon, a progress bar on a
//! terminal), with results as JSON (`poolcast.sweep/v1`), CSV and a chart.
//!
//! Determinism: every point is a pure function of the base scenario, its settings and the
//! seed (all points share the seed: common random numbers, so differences between points
//! come from the settings, not from the dice). Results are collected in point order,
//! whatever the thread count. `--shard i/n` runs the points with `index % n == i`, and
//! `merge` joins shard files into exactly the document one unsharded run writes.

pub mod grid;

use std::collections::BTreeSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use poolcast_model::{parse_scenario, Format, Scenario};
use poolcast_sim::outcome::round4;
use poolcast_sim::replicate::{replicate, ReplicationSummary};
use poolcast_sim::RunOptions;

use self::grid::{set_path, Axis, Grid, Shard};
use crate::args::parse_duration;
use crate::charts::{fmt_num, render, Body, ChartSpec, LineChart, Panel, Series};
use crate::render::diagnostic_text;

/// The schema identifier of sweep and shard documents.
pub const SCHEMA: &str = "poolcast.sweep/v1";

/// Every metric of a sweep point, in column order, with what it means.
pub const METRICS: [(&str, &str); 11] = [
    (
        "podsReady",
        "workload pods ready at the end of the run (mean over replications)",
    ),
    ("podsPending", "workload pods not bound at the end (mean)"),
    ("podsFailed", "workload pods failed at the end (mean)"),
    (
        "failureProbability",
        "share of replications in which a workload pod failed",
    ),
    ("checkPassRate", "share of replications that pass --check"),
    (
        "p50TimeToReadyLinuxS",
        "median creation-to-Ready time on Linux nodes, seconds",
    ),
    (
        "p95TimeToReadyLinuxS",
        "95th percentile creation-to-Ready time on Linux nodes, seconds",
    ),
    (
        "p50TimeToReadyWindowsS",
        "median creation-to-Ready time on Windows nodes, seconds",
    ),
    (
        "p95TimeToReadyWindowsS",
        "95th percentile creation-to-Ready time on Windows nodes, seconds",
    ),
    ("nodes", "nodes alive at the end (mean)"),
    (
        "costPerMonth",
        "USD per month of the nodes alive at the end (mean)",
    ),
];

/// Metrics charted when `--metric` is not given.
pub const DEFAULT_CHART_METRICS: [&str; 4] = [
    "podsFailed",
    "p95TimeToReadyLinuxS",
    "p95TimeToReadyWindowsS",
    "costPerMonth",
];

/// How `sweep` prints results when no `-o` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SweepFormat {
    /// An aligned table.
    #[default]
    Text,
    /// The `poolcast.sweep/v1` document.
    Json,
    /// CSV.
    Csv,
}

/// `poolcast sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (YAML, or JSON when the name ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub file: PathBuf,
    /// An axis: a scenario path and its values, e.g. `pools.win22.count=2..12`,
    /// `registry.bandwidth=50MiB/s,100MiB/s`, `workloads.web.replicas=10..100 step 10`.
    /// In lists, items are picked by name or index; `[...]` quotes a key with dots.
    #[arg(long = "set", value_name = "PATH=VALUES", required = true)]
    pub sets: Vec<String>,
    /// Write sweep.json, sweep.csv and sweep.{svg,png} into DIR (replaced as a whole);
    /// with --shard, write DIR/shard-<i>-of-<n>.json.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only the points with index % COUNT == INDEX (0-based), for `poolcast merge`.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<Shard>,
    /// Worker threads (default: one per CPU).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Replications per point instead of `sim.replications`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(poolcast_model::validate::MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    /// Seed instead of the scenario's `sim.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time span instead of `sim.horizon`.
    #[arg(long, value_parser = parse_duration)]
    pub horizon: Option<poolcast_model::Duration>,
    /// Metrics to chart (repeatable; see docs/sweep.md for the list).
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Output on stdout when no -o is given.
    #[arg(long, value_enum, default_value_t = SweepFormat::Text)]
    pub format: SweepFormat,
}

/// `poolcast merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard files, or directories holding `shard-*.json` files.
    #[arg(required = true, value_name = "SHARD")]
    pub inputs: Vec<PathBuf>,
    /// Write sweep.json, sweep.csv and sweep.{svg,png} into DIR (replaced as a whole).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Metrics to chart (repeatable).
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
}

/// An axis in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AxisDoc {
    /// Path as written.
    pub path: String,
    /// Values as written.
    pub values: Vec<String>,
}

/// The shard a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShardDoc {
    /// 0-based index.
    pub index: u32,
    /// Shard count.
    pub count: u32,
}

/// One point's settings and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointDoc {
    /// Point index in the grid.
    pub index: usize,
    /// Path -> value, in axis order.
    pub values: Map<String, Value>,
    /// Metric -> value (null when undefined, e.g. no Windows pod became ready).
    pub metrics: Map<String, Value>,
}

/// `poolcast.sweep/v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepDoc {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Scenario name.
    pub scenario: String,
    /// FNV-1a 64 of the base scenario's canonical JSON: shards of different scenarios
    /// never merge.
    pub scenario_digest: String,
    /// Seed every point runs with (first replication).
    pub seed: u64,
    /// Horizon, ms.
    pub horizon_ms: u64,
    /// Replications per point.
    pub replications: u32,
    /// Axes, first varying slowest.
    pub axes: Vec<AxisDoc>,
    /// Points in the whole grid.
    pub points: usize,
    /// Present in shard files only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardDoc>,
    /// Metric names, in column order.
    pub metrics: Vec<String>,
    /// Results in point order.
    pub results: Vec<PointDoc>,
}

/// FNV-1a, 64 bit: a stable, dependency-free digest (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn secs(ms: u64) -> f64 {
    round4(ms as f64 / 1000.0)
}

/// The metrics of one point from its replications.
pub fn metrics_of(s: &ReplicationSummary) -> Map<String, Value> {
    let num = |v: f64| Value::from(round4(v));
    let ttr = |os: &str, p95: bool| -> Value {
        match s.time_to_ready.by_os.get(os) {
            Some(q) if q.count > 0 => Value::from(secs(if p95 { q.p95_ms } else { q.p50_ms })),
            _ => Value::Null,
        }
    };
    let mut m = Map::new();
    for (name, _) in METRICS {
        let v = match name {
            "podsReady" => num(s.pods.ready),
            "podsPending" => num(s.pods.pending),
            "podsFailed" => num(s.pods.failed),
            "failureProbability" => num(s.any_failure.estimate),
            "checkPassRate" => num(s.check_passed.estimate),
            "p50TimeToReadyLinuxS" => ttr("linux", false),
            "p95TimeToReadyLinuxS" => ttr("linux", true),
            "p50TimeToReadyWindowsS" => ttr("windows", false),
            "p95TimeToReadyWindowsS" => ttr("windows", true),
            "nodes" => num(s.total_nodes.mean),
            "costPerMonth" => num(s.cost_per_month.mean),
            _ => Value::Null,
        };
        m.insert(name.to_owned(), v);
    }
    m
}

/// The base scenario and everything a point needs to run.
struct Plan {
    base: Value,
    grid: Grid,
    opts: RunOptions,
    replications: u32,
    origin: String,
}

impl Plan {
    /// The scenario of point `i`, validated like a file.
    fn scenario(&self, i: usize) -> anyhow::Result<Scenario> {
        let settings = self.grid.settings(i);
        let mut v = self.base.clone();
        for (axis, token) in &settings {
            set_path(&mut v, &axis.segments, token)
                .map_err(|e| anyhow!("--set {}: {e}", axis.path))?;
        }
        let label: Vec<String> = settings
            .iter()
            .map(|(a, t)| format!("{}={t}", a.path))
            .collect();
        let origin = format!("{} [{}]", self.origin, label.join(", "));
        let text = serde_json::to_string(&v)?;
        match parse_scenario(&text, Format::Json, &origin) {
            Ok((s, _)) => Ok(s),
            Err(diags) => {
                let msgs: Vec<String> = diags
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| {
                        let mut d = d.clone();
                        // Line numbers would point into the generated JSON; the path is what helps.
                        d.line = 0;
                        diagnostic_text(&d)
                    })
                    .collect();
                bail!("{}", msgs.join("\n"))
            }
        }
    }

    fn run_point(&self, i: usize) -> anyhow::Result<PointDoc> {
        let scenario = self.scenario(i)?;
        let r = replicate(&scenario, &self.opts, self.replications)
            .with_context(|| format!("point {i}"))?;
        let values = self
            .grid
            .settings(i)
            .into_iter()
            .map(|(a, t)| (a.path.clone(), Value::String(t.to_owned())))
            .collect();
        Ok(PointDoc {
            index: i,
            values,
            metrics: metrics_of(&r.summary),
        })
    }
}

fn progress(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} points ({eta} left)",
    ) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(250));
    pb
}

/// Runs the sweep (or one shard of it) and returns its document.
pub fn sweep(
    scenario: &Scenario,
    origin: &str,
    axes: Vec<Axis>,
    opts: RunOptions,
    replications: u32,
    shard: Option<Shard>,
    threads: Option<u32>,
) -> anyhow::Result<SweepDoc> {
    let grid = Grid::new(axes).map_err(|e| anyhow!(e))?;
    let base = serde_json::to_value(scenario)?;
    let digest = format!(
        "fnv1a64:{:016x}",
        fnv1a64(serde_json::to_string(&base)?.as_bytes())
    );
    let plan = Plan {
        base,
        grid,
        opts,
        replications,
        origin: origin.to_owned(),
    };
    // Every value of every axis is checked alone first, so a typo fails in a second, not
    // after hours of runs.
    for (k, axis) in plan.grid.axes.iter().enumerate() {
        for token in &axis.values {
            let mut v = plan.base.clone();
            set_path(&mut v, &axis.segments, token)
                .map_err(|e| anyhow!("--set {}: {e}", axis.path))?;
            let single = Plan {
                base: v,
                grid: Grid::new(vec![Axis {
                    path: axis.path.clone(),
                    segments: axis.segments.clone(),
                    values: vec![token.clone()],
                }])
                .map_err(|e| anyhow!(e))?,
                opts,
                replications,
                origin: format!("{origin} (axis {})", k + 1),
            };
            single.scenario(0)?;
        }
    }
    let indices: Vec<usize> = (0..plan.grid.len())
        .filter(|&i| shard.is_none_or(|s| s.owns(i)))
        .collect();
    let pb = progress(indices.len());
    let work = || -> Vec<anyhow::Result<PointDoc>> {
        indices
            .par_iter()
            .map(|&i| {
                let r = plan.run_point(i);
                pb.inc(1);
                r
            })
            .collect()
    };
    let results = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build()?
            .install(work),
        None => work(),
    };
    pb.finish_and_clear();
    let results = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let seed = opts.seed.unwrap_or(scenario.sim.seed);
    let horizon = opts.horizon.unwrap_or(scenario.sim.horizon);
    Ok(SweepDoc {
        schema: SCHEMA.to_owned(),
        scenario: scenario.metadata.name.clone(),
        scenario_digest: digest,
        seed,
        horizon_ms: horizon.as_ms(),
        replications,
        axes: plan
            .grid
            .axes
            .iter()
            .map(|a| AxisDoc {
                path: a.path.clone(),
                values: a.values.clone(),
            })
            .collect(),
        points: plan.grid.len(),
        shard: shard.map(|s| ShardDoc {
            index: s.index,
            count: s.count,
        }),
        metrics: METRICS.iter().map(|(n, _)| (*n).to_owned()).collect(),
        results,
    })
}

/// Joins shard documents into the document of the unsharded sweep. Every shard of one
/// sweep must be present exactly once, and all must agree on scenario, seed, horizon,
/// replications, axes and metrics.
pub fn merge(mut shards: Vec<SweepDoc>) -> anyhow::Result<SweepDoc> {
    let first = shards
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("no shard files given"))?;
    let Some(first_shard) = first.shard else {
        bail!("the first input is a complete sweep, not a shard");
    };
    let count = first_shard.count;
    let mut seen = BTreeSet::new();
    for s in &shards {
        if s.schema != SCHEMA {
            bail!("a shard has schema {:?}, expected {SCHEMA}", s.schema);
        }
        let same = s.scenario_digest == first.scenario_digest
            && s.seed == first.seed
            && s.horizon_ms == first.horizon_ms
            && s.replications == first.replications
            && s.axes == first.axes
            && s.points == first.points
            && s.metrics == first.metrics;
        if !same {
            bail!("shards come from different sweeps (scenario, seed, horizon, replications or axes differ)");
        }
        let sh = s
            .shard
            .ok_or_else(|| anyhow!("an input is a complete sweep, not a shard"))?;
        if sh.count != count {
            bail!("shards of {count} and of {} mixed", sh.count);
        }
        if !seen.insert(sh.index) {
            bail!("shard {}/{count} given twice", sh.index);
        }
        for r in &s.results {
            if r.index % count as usize != sh.index as usize {
                bail!(
                    "shard {}/{count} holds point {}, which is not its own",
                    sh.index,
                    r.index
                );
            }
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!("missing shard(s): {}", missing.join(", "));
    }
    let mut results: Vec<PointDoc> = shards
        .iter_mut()
        .flat_map(|s| s.results.drain(..))
        .collect();
    results.sort_by_key(|r| r.index);
    let complete =
        results.len() == first.points && results.iter().enumerate().all(|(i, r)| r.index == i);
    if !complete {
        bail!(
            "the shards hold {} results for {} points",
            results.len(),
            first.points
        );
    }
    Ok(SweepDoc {
        shard: None,
        results,
        ..first
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The results as CSV: `index`, one column per axis, one per metric.
pub fn csv(doc: &SweepDoc) -> String {
    let mut out = String::new();
    let mut header = vec!["index".to_owned()];
    header.extend(doc.axes.iter().map(|a| csv_field(&a.path)));
    header.extend(doc.metrics.iter().map(|m| csv_field(m)));
    out.push_str(&header.join(","));
    out.push('\n');
    for r in &doc.results {
        let mut row = vec![r.index.to_string()];
        for a in &doc.axes {
            row.push(csv_field(
                &r.values.get(&a.path).map(value_text).unwrap_or_default(),
            ));
        }
        for m in &doc.metrics {
            row.push(csv_field(
                &r.metrics.get(m).map(value_text).unwrap_or_default(),
            ));
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn metric_title(name: &str) -> String {
    let unit = if name.ends_with('S') && name.contains("TimeToReady") {
        " (s)"
    } else if name == "costPerMonth" {
        " (USD)"
    } else if name.contains("Probability") || name.contains("Rate") {
        " (share)"
    } else {
        ""
    };
    format!("{name}{unit}")
}

/// The sweep chart: one panel per metric, the first axis on x, one line per combination
/// of the other axes (at most 10).
pub fn chart(doc: &SweepDoc, metrics: &[String]) -> ChartSpec {
    let Some(x_axis) = doc.axes.first() else {
        return ChartSpec {
            id: "sweep".to_owned(),
            title: "Sweep".to_owned(),
            caption: String::new(),
            body: Body::Empty("no axes".to_owned()),
        };
    };
    let numeric: Option<Vec<f64>> = x_axis
        .values
        .iter()
        .map(|v| v.parse::<f64>().ok())
        .collect();
    let x_of = |token: &str| -> Option<f64> {
        match &numeric {
            Some(_) => token.parse().ok(),
            None => x_axis
                .values
                .iter()
                .position(|v| v == token)
                .map(|i| i as f64),
        }
    };
    let others: Vec<&AxisDoc> = doc.axes.iter().skip(1).collect();
    let mut groups: Vec<String> = Vec::new();
    let key_of = |r: &PointDoc| -> String {
        others
            .iter()
            .map(|a| {
                format!(
                    "{}={}",
                    a.path,
                    r.values.get(&a.path).map(value_text).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for r in &doc.results {
        let k = key_of(r);
        if !groups.contains(&k) {
            groups.push(k);
        }
    }
    let dropped = groups.len().saturating_sub(10);
    groups.truncate(10);
    let panels: Vec<Panel> = metrics
        .iter()
        .map(|m| Panel {
            title: Some(metric_title(m)),
            series: groups
                .iter()
                .map(|g| {
                    let mut pts: Vec<(f64, f64)> = doc
                        .results
                        .iter()
                        .filter(|r| &key_of(r) == g)
                        .filter_map(|r| {
                            let x = x_of(&r.values.get(&x_axis.path).map(value_text)?)?;
                            let y = r.metrics.get(m.as_str())?.as_f64()?;
                            Some((x, y))
                        })
                        .collect();
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let name = if g.is_empty() { m.clone() } else { g.clone() };
                    Series::line(name, pts)
                })
                .collect(),
            marks: Vec::new(),
        })
        .collect();
    let more = if dropped > 0 {
        format!(" {dropped} more combinations of the other axes are in sweep.csv.")
    } else {
        String::new()
    };
    ChartSpec {
        id: "sweep".to_owned(),
        title: format!("{}: metrics against {}", doc.scenario, x_axis.path),
        caption: format!(
            "Each panel is one metric at every value of {} ({} points, {} replication(s) each).{more}",
            x_axis.path, doc.points, doc.replications
        ),
        body: Body::Lines(LineChart {
            x_label: x_axis.path.clone(),
            y_label: "value".to_owned(),
            panels,
            y_max: None,
            x_categories: if numeric.is_some() {
                None
            } else {
                Some(x_axis.values.clone())
            },
            ..LineChart::default()
        }),
    }
}

fn chart_metrics(asked: &[String]) -> anyhow::Result<Vec<String>> {
    if asked.is_empty() {
        return Ok(DEFAULT_CHART_METRICS
            .iter()
            .map(|m| (*m).to_owned())
            .collect());
    }
    for m in asked {
        if !METRICS.iter().any(|(n, _)| n == m) {
            let names: Vec<&str> = METRICS.iter().map(|(n, _)| *n).collect();
            bail!("unknown metric '{m}'; choose from {}", names.join(", "));
        }
    }
    Ok(asked.to_vec())
}

fn json_text(doc: &SweepDoc) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(s)
}

/// Writes sweep.json, sweep.csv and the chart into `out` through a temporary directory.
pub fn write_dir(doc: &SweepDoc, out: &Path, metrics: &[String]) -> anyhow::Result<()> {
    let tmp = crate::report::stage_dir(out, ".poolcast-sweep-")?;
    std::fs::write(tmp.path().join("sweep.json"), json_text(doc)?)?;
    std::fs::write(tmp.path().join("sweep.csv"), csv(doc))?;
    let c = render(&chart(doc, metrics), &tmp.path().join("sweep.png"))?;
    std::fs::write(tmp.path().join("sweep.svg"), &c.svg)?;
    crate::report::commit_dir(tmp, out)
}

/// The file name of shard `s`.
pub fn shard_file_name(s: Shard) -> String {
    format!("shard-{:05}-of-{:05}.json", s.index, s.count)
}

fn text_table(doc: &SweepDoc) -> String {
    let mut header: Vec<&str> = vec!["#"];
    header.extend(doc.axes.iter().map(|a| a.path.as_str()));
    let shown = [
        "podsFailed",
        "p95TimeToReadyLinuxS",
        "p95TimeToReadyWindowsS",
        "nodes",
        "costPerMonth",
    ];
    header.extend(shown);
    let mut t = crate::table::Table::new(&header);
    for r in &doc.results {
        let mut row = vec![r.index.to_string()];
        for a in &doc.axes {
            row.push(r.values.get(&a.path).map(value_text).unwrap_or_default());
        }
        for m in shown {
            row.push(match r.metrics.get(m).and_then(Value::as_f64) {
                Some(v) => fmt_num(v),
                None => "-".to_owned(),
            });
        }
        t.row(row);
    }
    t.render(0)
}

/// `poolcast sweep`.
pub fn run(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let metrics = chart_metrics(&args.metrics)?;
    let scenario = crate::load::scenario(&args.file)?;
    let axes = args
        .sets
        .iter()
        .map(|s| Axis::parse(s))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| anyhow!(e))?;
    let opts = RunOptions {
        seed: args.seed,
        horizon: args.horizon,
    };
    let reps = args
        .replications
        .unwrap_or(scenario.sim.replications)
        .max(1);
    let origin = args.file.display().to_string();
    let doc = sweep(
        &scenario,
        &origin,
        axes,
        opts,
        reps,
        args.shard,
        args.threads,
    )?;
    match (&args.out, args.shard) {
        (Some(dir), Some(s)) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut f = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut f, json_text(&doc)?.as_bytes())?;
            let path = dir.join(shard_file_name(s));
            f.persist(&path)
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
            eprintln!(
                "poolcast: shard {s} ({} points) written to {}",
                doc.results.len(),
                path.display()
            );
        }
        (Some(dir), None) => {
            write_dir(&doc, dir, &metrics)?;
            eprintln!(
                "poolcast: {} points written to {}",
                doc.points,
                dir.display()
            );
        }
        (None, _) => match args.format {
            SweepFormat::Json => print!("{}", json_text(&doc)?),
            SweepFormat::Csv => print!("{}", csv(&doc)),
            SweepFormat::Text => print!("{}", text_table(&doc)),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn shard_inputs(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                bail!("{} holds no shard-*.json files", p.display());
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// `poolcast merge`.
pub fn run_merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let metrics = chart_metrics(&args.metrics)?;
    let mut docs = Vec::new();
    for f in shard_inputs(&args.inputs)? {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let doc: SweepDoc = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a {SCHEMA} shard", f.display()))?;
        docs.push(doc);
    }
    let doc = merge(docs)?;
    write_dir(&doc, &args.out, &metrics)?;
    eprintln!(
        "poolcast: {} points merged into {}",
        doc.points,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("a"), "a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(value_text(&Value::from(3.0)), "3");
        assert_eq!(value_text(&Value::from(2.5)), "2.5");
        assert_eq!(value_text(&Value::Null), "");
    }

    fn doc(index: u32, count: u32, points: usize) -> SweepDoc {
        SweepDoc {
            schema: SCHEMA.to_owned(),
            scenario: "s".to_owned(),
            scenario_digest: "fnv1a64:0".to_owned(),
            seed: 1,
            horizon_ms: 1,
            replications: 1,
            axes: vec![AxisDoc {
                path: "a".to_owned(),
                values: (0..points).map(|i| i.to_string()).collect(),
            }],
            points,
            shard: Some(ShardDoc { index, count }),
            metrics: vec!["m".to_owned()],
            results: (0..points)
                .filter(|i| i % count as usize == index as usize)
                .map(|i| PointDoc {
                    index: i,
                    values: Map::from_iter([("a".to_owned(), Value::from(i.to_string()))]),
                    metrics: Map::from_iter([("m".to_owned(), Value::from(i as f64))]),
                })
                .collect(),
        }
    }

    #[test]
    fn merge_checks_completeness_and_order() {
        let merged = merge(vec![doc(2, 3, 7), doc(0, 3, 7), doc(1, 3, 7)]).unwrap();
        assert_eq!(merged.shard, None);
        let idx: Vec<usize> = merged.results.iter().map(|r| r.index).collect();
        assert_eq!(idx, (0..7).collect::<Vec<_>>());
        let e = merge(vec![doc(0, 3, 7), doc(1, 3, 7)]).unwrap_err();
        assert!(e.to_string().contains("missing shard(s): 2/3"), "{e}");
        let e = merge(vec![doc(0, 2, 7), doc(0, 2, 7), doc(1, 2, 7)]).unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        let mut other = doc(1, 2, 7);
        other.seed = 9;
        let e = merge(vec![doc(0, 2, 7), other]).unwrap_err();
        assert!(e.to_string().contains("different sweeps"), "{e}");
        let mut wrong = doc(1, 2, 7);
        wrong.results[0].index = 0;
        let e = merge(vec![doc(0, 2, 7), wrong]).unwrap_err();
        assert!(e.to_string().contains("not its own"), "{e}");
        let mut full = doc(0, 1, 3);
        full.shard = None;
        assert!(merge(vec![full]).is_err());
    }

    #[test]
    fn unknown_chart_metric_is_refused() {
        assert!(chart_metrics(&["nope".to_owned()]).is_err());
        assert_eq!(
            chart_metrics(&[]).unwrap().len(),
            DEFAULT_CHART_METRICS.len()
        );
    }
}

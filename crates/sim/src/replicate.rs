//! Replications: N independent runs of one scenario with seeds `seed, seed+1, ...`, run in
//! parallel (rayon) and merged in seed order into a serialisable [`ReplicationSummary`]:
//! time-to-ready percentiles per workload and per node OS, the probability that a workload
//! sees a failure (with a Wilson score interval), node-count and cost distributions, and
//! how often each target was met.
//!
//! Only the seed differs between replications, so only the seeded inputs vary: Poisson
//! arrivals, scheduler tie-breaks, expander choices and, unless `sim.variability: none`,
//! every node's provisioning time, every pull's rates and every container start
//! (`crate::variability`); the scenario is shared. Besides pooled percentiles, the summary
//! bands each run's own p50/p95/p99 over the replications. Every
//! aggregation here is a pure function of the per-run [`RunSample`]s in seed order, so the
//! summary does not depend on how many threads ran them.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::outcome::{percentile, round4, Outcome, Reason};
use crate::{simulate, RunOptions, SimError};
use poolcast_model::Scenario;

/// The schema identifier of [`ReplicationSummary`].
pub const SCHEMA: &str = "poolcast.replications/v1";

/// The normal quantile for a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// What one run contributes to the summary: a compact extract of its [`Outcome`], small
/// enough to keep for thousands of runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSample {
    /// Seed of the run.
    pub seed: u64,
    /// Time to ready (ms) of workload pods by workload, then by node OS.
    pub time_to_ready: BTreeMap<String, BTreeMap<String, Vec<u64>>>,
    /// Workload pods at the horizon, by workload.
    pub pods: BTreeMap<String, u32>,
    /// Workload pods at the horizon: total, ready, pending, failed.
    pub totals: [u32; 4],
    /// Failed workload pods by workload and reason.
    pub failed: BTreeMap<String, BTreeMap<Reason, u32>>,
    /// Nodes alive at the horizon, by pool.
    pub nodes: BTreeMap<String, u32>,
    /// Most nodes alive at any sample, by pool.
    pub peak_nodes: BTreeMap<String, u32>,
    /// Cost of the nodes alive at the horizon, per month.
    pub cost_per_month: f64,
    /// Each target by name: met or not.
    pub targets: BTreeMap<String, bool>,
    /// `Outcome::passes_check`.
    pub passes_check: bool,
}

impl RunSample {
    /// Extracts what the summary needs from one outcome.
    pub fn from_outcome(o: &Outcome) -> RunSample {
        let node_os: BTreeMap<&str, &str> = o
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.os.as_str()))
            .collect();
        let mut time_to_ready: BTreeMap<String, BTreeMap<String, Vec<u64>>> = BTreeMap::new();
        for p in o.pods.iter().filter(|p| !p.system) {
            let (Some(ready), Some(node)) = (p.ready_ms, p.node.as_deref()) else {
                continue;
            };
            let os = node_os.get(node).copied().unwrap_or("unknown");
            time_to_ready
                .entry(p.workload.as_str().to_owned())
                .or_default()
                .entry(os.to_owned())
                .or_default()
                .push(ready.saturating_sub(p.created_ms));
        }
        // `by_workload` also lists AKS system components; the summary is about workloads.
        let system: std::collections::BTreeSet<&str> = o
            .pods
            .iter()
            .filter(|p| p.system)
            .map(|p| p.workload.as_str())
            .collect();
        let workloads = || {
            o.summary
                .by_workload
                .iter()
                .filter(|(w, _)| !system.contains(w.as_str()))
        };
        let pods = workloads()
            .map(|(w, s)| (w.clone(), s.pods.total))
            .collect();
        let failed = workloads()
            .map(|(w, s)| (w.clone(), s.by_reason.clone()))
            .collect();
        let nodes = o
            .summary
            .nodes_by_pool
            .iter()
            .map(|(p, s)| (p.clone(), s.nodes))
            .collect();
        let peak_nodes = o
            .series
            .pools
            .iter()
            .map(|(p, s)| (p.clone(), s.nodes.iter().copied().max().unwrap_or(0)))
            .collect();
        let targets = o.targets.iter().map(|t| (t.name.clone(), t.met)).collect();
        let c = &o.summary.pods;
        RunSample {
            seed: o.seed,
            time_to_ready,
            pods,
            totals: [c.total, c.ready, c.pending, c.failed],
            failed,
            nodes,
            peak_nodes,
            cost_per_month: o.summary.cost.per_month,
            targets,
            passes_check: o.passes_check(),
        }
    }
}

/// Nearest-rank percentiles of a pooled set of durations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantiles {
    /// Values pooled over all replications.
    pub count: u64,
    /// Median, ms.
    pub p50_ms: u64,
    /// 95th percentile, ms.
    pub p95_ms: u64,
    /// 99th percentile, ms.
    pub p99_ms: u64,
    /// Maximum, ms.
    pub max_ms: u64,
}

impl Quantiles {
    /// Percentiles of `values` (sorted here).
    pub fn of(mut values: Vec<u64>) -> Quantiles {
        values.sort_unstable();
        Quantiles {
            count: values.len() as u64,
            p50_ms: percentile(&values, 50),
            p95_ms: percentile(&values, 95),
            p99_ms: percentile(&values, 99),
            max_ms: values.last().copied().unwrap_or(0),
        }
    }
}

/// A proportion `successes / trials` with its Wilson score interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proportion {
    /// Replications where the event happened.
    pub count: u32,
    /// Replications.
    pub trials: u32,
    /// `count / trials`.
    pub estimate: f64,
    /// Lower bound of the 95 % Wilson interval.
    pub low: f64,
    /// Upper bound of the 95 % Wilson interval.
    pub high: f64,
}

impl Proportion {
    /// `count` of `trials` with the 95 % Wilson score interval.
    pub fn new(count: u32, trials: u32) -> Proportion {
        let (low, high) = wilson(count, trials, Z_95);
        let estimate = if trials == 0 {
            0.0
        } else {
            f64::from(count) / f64::from(trials)
        };
        Proportion {
            count,
            trials,
            estimate: round4(estimate),
            low: round4(low),
            high: round4(high),
        }
    }
}

/// The Wilson score interval for `k` successes in `n` trials at normal quantile `z`
/// (Wilson 1927; Agresti & Coull 1998 recommend it over the Wald interval, which collapses
/// to a point at 0 and n successes, exactly the cases a failure probability lives in).
/// Returns `(0, 1)` for `n == 0`.
pub fn wilson(k: u32, n: u32, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = f64::from(n);
    let p = f64::from(k.min(n as u32)) / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The distribution of an integer per-run value (a node count).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountDistribution {
    /// Smallest.
    pub min: u32,
    /// Median (nearest rank).
    pub p50: u32,
    /// 95th percentile (nearest rank).
    pub p95: u32,
    /// Largest.
    pub max: u32,
    /// Mean.
    pub mean: f64,
    /// Replications per value.
    pub histogram: BTreeMap<u32, u32>,
}

impl CountDistribution {
    /// The distribution of `values`.
    pub fn of(values: &[u32]) -> CountDistribution {
        let mut v: Vec<u64> = values.iter().map(|&x| u64::from(x)).collect();
        v.sort_unstable();
        let mut histogram = BTreeMap::new();
        for &x in values {
            *histogram.entry(x).or_insert(0) += 1;
        }
        let sum: u64 = v.iter().sum();
        let as_u32 = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
        CountDistribution {
            min: as_u32(v.first().copied().unwrap_or(0)),
            p50: as_u32(percentile(&v, 50)),
            p95: as_u32(percentile(&v, 95)),
            max: as_u32(v.last().copied().unwrap_or(0)),
            mean: round4(if v.is_empty() {
                0.0
            } else {
                sum as f64 / v.len() as f64
            }),
            histogram,
        }
    }
}

/// The distribution of a real per-run value (a cost).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueDistribution {
    /// Smallest.
    pub min: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl ValueDistribution {
    /// The distribution of `values` (non-finite values count as 0).
    pub fn of(values: &[f64]) -> ValueDistribution {
        let mut v: Vec<f64> = values
            .iter()
            .map(|&x| if x.is_finite() { x } else { 0.0 })
            .collect();
        v.sort_by(f64::total_cmp);
        let rank = |p: usize| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            let r = (p * v.len()).div_ceil(100).max(1);
            v[r.min(v.len()) - 1]
        };
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        };
        ValueDistribution {
            min: round4(v.first().copied().unwrap_or(0.0)),
            p50: round4(rank(50)),
            p95: round4(rank(95)),
            max: round4(v.last().copied().unwrap_or(0.0)),
            mean: round4(mean),
        }
    }
}

/// Failures of one workload over the replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadFailures {
    /// Replications in which at least one pod of the workload failed, as a probability
    /// with its 95 % Wilson interval. Runs, not pods, are the trials: pods of one run
    /// share nodes and images, so they are not independent.
    pub probability: Proportion,
    /// Mean failed pods per replication.
    pub mean_failed_pods: f64,
    /// Mean pods per replication.
    pub mean_pods: f64,
    /// Failed pods by reason, summed over replications.
    pub by_reason: BTreeMap<Reason, u64>,
}

/// Mean workload pod counts per replication, at the horizon.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeanPods {
    /// Pods that exist at the horizon.
    pub total: f64,
    /// Ready.
    pub ready: f64,
    /// Not bound.
    pub pending: f64,
    /// Failed.
    pub failed: f64,
}

/// Time to ready aggregated over replications.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeToReady {
    /// By workload, then node OS.
    pub by_workload: BTreeMap<String, BTreeMap<String, Quantiles>>,
    /// By node OS over all workloads.
    pub by_os: BTreeMap<String, Quantiles>,
    /// How each run's own p50/p95/p99 spreads over the replications, all workload pods.
    pub bands: PercentileBands,
    /// The same by node OS.
    pub bands_by_os: BTreeMap<String, PercentileBands>,
}

/// The spread of one per-run statistic over the replications: nearest-rank P5, median and
/// P95 of the runs' values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Band {
    /// 5th percentile over the runs, ms.
    pub low_ms: u64,
    /// Median over the runs, ms.
    pub median_ms: u64,
    /// 95th percentile over the runs, ms.
    pub high_ms: u64,
}

impl Band {
    /// The band of `values` (sorted here).
    pub fn of(mut values: Vec<u64>) -> Band {
        values.sort_unstable();
        Band {
            low_ms: percentile(&values, 5),
            median_ms: percentile(&values, 50),
            high_ms: percentile(&values, 95),
        }
    }

    /// `(high - low) / median`, 0 when the median is 0.
    pub fn relative_width(&self) -> f64 {
        if self.median_ms == 0 {
            return 0.0;
        }
        self.high_ms.saturating_sub(self.low_ms) as f64 / self.median_ms as f64
    }
}

/// Each run's time-to-ready percentiles, banded over the replications: with
/// `sim.variability: none` and no Poisson arrivals every band is a point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PercentileBands {
    /// Runs in which at least one pod became ready.
    pub runs: u32,
    /// Band of the runs' medians.
    pub p50: Band,
    /// Band of the runs' 95th percentiles.
    pub p95: Band,
    /// Band of the runs' 99th percentiles.
    pub p99: Band,
}

impl PercentileBands {
    /// Bands over runs, each run's values given (unsorted); runs without values are skipped.
    pub fn of<'a>(runs: impl IntoIterator<Item = &'a mut Vec<u64>>) -> PercentileBands {
        let (mut p50, mut p95, mut p99) = (Vec::new(), Vec::new(), Vec::new());
        for v in runs {
            if v.is_empty() {
                continue;
            }
            v.sort_unstable();
            p50.push(percentile(v, 50));
            p95.push(percentile(v, 95));
            p99.push(percentile(v, 99));
        }
        PercentileBands {
            runs: u32::try_from(p50.len()).unwrap_or(u32::MAX),
            p50: Band::of(p50),
            p95: Band::of(p95),
            p99: Band::of(p99),
        }
    }
}

/// The merged result of N replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationSummary {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Seed of the first replication.
    pub base_seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Workload pods, mean per replication.
    pub pods: MeanPods,
    /// Time to ready percentiles, pooled over all replications.
    pub time_to_ready: TimeToReady,
    /// Per workload.
    pub failures: BTreeMap<String, WorkloadFailures>,
    /// Replications in which any workload pod failed.
    pub any_failure: Proportion,
    /// Replications that passed `--check` (every target met, no pod failed).
    pub check_passed: Proportion,
    /// Per target name: replications in which it was met.
    pub targets_met: BTreeMap<String, Proportion>,
    /// Nodes alive at the horizon, all pools.
    pub total_nodes: CountDistribution,
    /// Nodes alive at the horizon, per pool.
    pub nodes: BTreeMap<String, CountDistribution>,
    /// Most nodes alive at once, per pool.
    pub peak_nodes: BTreeMap<String, CountDistribution>,
    /// Cluster cost per month at the horizon, USD.
    pub cost_per_month: ValueDistribution,
}

impl ReplicationSummary {
    /// Merges per-run samples, which must be in replication (seed) order.
    pub fn merge(scenario: &str, samples: &[RunSample]) -> ReplicationSummary {
        let n = u32::try_from(samples.len()).unwrap_or(u32::MAX);
        let mut ttr_w: BTreeMap<String, BTreeMap<String, Vec<u64>>> = BTreeMap::new();
        let mut ttr_os: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut fail_runs: BTreeMap<String, u32> = BTreeMap::new();
        let mut fail_pods: BTreeMap<String, u64> = BTreeMap::new();
        let mut pods: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_reason: BTreeMap<String, BTreeMap<Reason, u64>> = BTreeMap::new();
        let mut nodes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut peak: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut targets: BTreeMap<String, u32> = BTreeMap::new();
        let (mut any_failure, mut passed) = (0u32, 0u32);
        let mut cost = Vec::with_capacity(samples.len());
        let mut totals = [0u64; 4];
        let mut total_nodes = Vec::with_capacity(samples.len());

        // Per run: all values, and values by OS, for the bands.
        let mut run_all: Vec<Vec<u64>> = Vec::with_capacity(samples.len());
        let mut run_os: BTreeMap<String, Vec<Vec<u64>>> = BTreeMap::new();
        for s in samples {
            let mut all = Vec::new();
            let mut by_os_run: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
            for (w, by_os) in &s.time_to_ready {
                for (os, v) in by_os {
                    let e = ttr_w.entry(w.clone()).or_default().entry(os.clone());
                    e.or_default().extend_from_slice(v);
                    ttr_os.entry(os.clone()).or_default().extend_from_slice(v);
                    all.extend_from_slice(v);
                    by_os_run.entry(os).or_default().extend_from_slice(v);
                }
            }
            run_all.push(all);
            for (os, v) in by_os_run {
                run_os.entry(os.to_owned()).or_default().push(v);
            }
            for (w, &count) in &s.pods {
                *pods.entry(w.clone()).or_default() += u64::from(count);
                fail_runs.entry(w.clone()).or_default();
            }
            let mut any = false;
            for (w, reasons) in &s.failed {
                let total: u32 = reasons.values().sum();
                *fail_pods.entry(w.clone()).or_default() += u64::from(total);
                let r = by_reason.entry(w.clone()).or_default();
                for (&reason, &c) in reasons {
                    *r.entry(reason).or_default() += u64::from(c);
                }
                if total > 0 {
                    *fail_runs.entry(w.clone()).or_default() += 1;
                    any = true;
                }
            }
            any_failure += u32::from(any);
            passed += u32::from(s.passes_check);
            for (p, &c) in &s.nodes {
                nodes.entry(p.clone()).or_default().push(c);
            }
            for (p, &c) in &s.peak_nodes {
                peak.entry(p.clone()).or_default().push(c);
            }
            for (t, &met) in &s.targets {
                *targets.entry(t.clone()).or_default() += u32::from(met);
            }
            cost.push(s.cost_per_month);
            for (t, &v) in totals.iter_mut().zip(&s.totals) {
                *t += u64::from(v);
            }
            total_nodes.push(s.nodes.values().sum());
        }

        let mean = |x: u64| round4(if n == 0 { 0.0 } else { x as f64 / f64::from(n) });
        let failures = fail_runs
            .into_iter()
            .map(|(w, runs)| {
                let f = WorkloadFailures {
                    probability: Proportion::new(runs, n),
                    mean_failed_pods: mean(fail_pods.get(&w).copied().unwrap_or(0)),
                    mean_pods: mean(pods.get(&w).copied().unwrap_or(0)),
                    by_reason: by_reason.remove(&w).unwrap_or_default(),
                };
                (w, f)
            })
            .collect();
        ReplicationSummary {
            schema: SCHEMA,
            scenario: scenario.to_owned(),
            base_seed: samples.first().map(|s| s.seed).unwrap_or(0),
            replications: n,
            pods: MeanPods {
                total: mean(totals[0]),
                ready: mean(totals[1]),
                pending: mean(totals[2]),
                failed: mean(totals[3]),
            },
            time_to_ready: TimeToReady {
                by_workload: ttr_w
                    .into_iter()
                    .map(|(w, m)| {
                        (
                            w,
                            m.into_iter()
                                .map(|(os, v)| (os, Quantiles::of(v)))
                                .collect(),
                        )
                    })
                    .collect(),
                by_os: ttr_os
                    .into_iter()
                    .map(|(os, v)| (os, Quantiles::of(v)))
                    .collect(),
                bands: PercentileBands::of(run_all.iter_mut()),
                bands_by_os: run_os
                    .into_iter()
                    .map(|(os, mut runs)| (os, PercentileBands::of(runs.iter_mut())))
                    .collect(),
            },
            failures,
            any_failure: Proportion::new(any_failure, n),
            check_passed: Proportion::new(passed, n),
            targets_met: targets
                .into_iter()
                .map(|(t, c)| (t, Proportion::new(c, n)))
                .collect(),
            total_nodes: CountDistribution::of(&total_nodes),
            nodes: nodes
                .into_iter()
                .map(|(p, v)| (p, CountDistribution::of(&v)))
                .collect(),
            peak_nodes: peak
                .into_iter()
                .map(|(p, v)| (p, CountDistribution::of(&v)))
                .collect(),
            cost_per_month: ValueDistribution::of(&cost),
        }
    }
}

/// The result of [`replicate`]: the summary and the full outcome of the first replication
/// (seed `seed`), which is what a single run would have produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Replications {
    /// The first replication's outcome.
    pub first: Outcome,
    /// The merged summary.
    pub summary: ReplicationSummary,
}

/// The seed of replication `i` (0-based): `base + i`, wrapping.
pub fn replication_seed(base: u64, i: u32) -> u64 {
    base.wrapping_add(u64::from(i))
}

/// Runs `n` replications (at least one) of `scenario` with seeds `seed, seed+1, ...`
/// (`opts.seed` or `sim.seed` first) on the current rayon pool and merges them in seed
/// order. The result is the same for any number of threads.
pub fn replicate(scenario: &Scenario, opts: &RunOptions, n: u32) -> Result<Replications, SimError> {
    let n = n.max(1);
    let base = opts.seed.unwrap_or(scenario.sim.seed);
    let runs: Vec<Result<(RunSample, Option<Outcome>), SimError>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let o = RunOptions {
                seed: Some(replication_seed(base, i)),
                ..*opts
            };
            let outcome = simulate(scenario, &o)?;
            let sample = RunSample::from_outcome(&outcome);
            Ok((sample, (i == 0).then_some(outcome)))
        })
        .collect();
    let mut samples = Vec::with_capacity(runs.len());
    let mut first = None;
    for r in runs {
        let (s, o) = r?;
        samples.push(s);
        if first.is_none() {
            first = o;
        }
    }
    let first = first.ok_or_else(|| SimError::Invalid("no replication ran".to_owned()))?;
    let summary = ReplicationSummary::merge(&first.scenario, &samples);
    Ok(Replications { first, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Table I: 0/10 -> 0.0000..0.2775; 1/10 -> 0.0179..0.4042
        // (95 %, without continuity correction); 81/263 -> 0.2553..0.3662.
        let cases: &[(u32, u32, f64, f64)] = &[
            (0, 10, 0.0, 0.2775),
            (1, 10, 0.0179, 0.4042),
            (81, 263, 0.2553, 0.3662),
            (10, 10, 0.7225, 1.0),
        ];
        for &(k, n, lo, hi) in cases {
            let (l, h) = wilson(k, n, Z_95);
            assert!((l - lo).abs() < 1e-4, "{k}/{n}: low {l} != {lo}");
            assert!((h - hi).abs() < 1e-4, "{k}/{n}: high {h} != {hi}");
        }
        assert_eq!(wilson(0, 0, Z_95), (0.0, 1.0));
    }

    #[test]
    fn proportion_rounds_and_estimates() {
        let p = Proportion::new(3, 4);
        assert_eq!(p.estimate, 0.75);
        assert!(p.low < 0.75 && p.high > 0.75 && p.high <= 1.0);
        assert_eq!(Proportion::new(0, 0).estimate, 0.0);
    }

    #[test]
    fn distributions() {
        let d = CountDistribution::of(&[3, 5, 4, 5]);
        assert_eq!((d.min, d.p50, d.p95, d.max), (3, 4, 5, 5));
        assert_eq!(d.mean, 4.25);
        assert_eq!(d.histogram, BTreeMap::from([(3, 1), (4, 1), (5, 2)]));
        let v = ValueDistribution::of(&[10.0, 30.0, 20.0, f64::NAN]);
        assert_eq!((v.min, v.p50, v.max, v.mean), (0.0, 10.0, 30.0, 15.0));
        let q = Quantiles::of((1..=100).rev().collect());
        assert_eq!(
            (q.count, q.p50_ms, q.p95_ms, q.p99_ms, q.max_ms),
            (100, 50, 95, 99, 100)
        );
        assert_eq!(Quantiles::of(Vec::new()), Quantiles::default());
    }

    fn sample(seed: u64, failed: u32, nodes: u32, ttr: &[u64]) -> RunSample {
        let mut reasons = BTreeMap::new();
        if failed > 0 {
            reasons.insert(Reason::OsMismatch, failed);
        }
        RunSample {
            seed,
            time_to_ready: BTreeMap::from([(
                "web".to_owned(),
                BTreeMap::from([("windows".to_owned(), ttr.to_vec())]),
            )]),
            pods: BTreeMap::from([("web".to_owned(), 4)]),
            totals: [4, 4 - failed, 0, failed],
            failed: BTreeMap::from([("web".to_owned(), reasons)]),
            nodes: BTreeMap::from([("win".to_owned(), nodes)]),
            peak_nodes: BTreeMap::from([("win".to_owned(), nodes + 1)]),
            cost_per_month: f64::from(nodes) * 100.0,
            targets: BTreeMap::from([("allPlaced".to_owned(), failed == 0)]),
            passes_check: failed == 0,
        }
    }

    #[test]
    fn merge_pools_percentiles_and_counts_failing_runs() {
        let samples = [
            sample(7, 0, 2, &[100, 200]),
            sample(8, 2, 3, &[300]),
            sample(9, 0, 2, &[400, 500, 600]),
        ];
        let s = ReplicationSummary::merge("demo", &samples);
        assert_eq!((s.base_seed, s.replications), (7, 3));
        let q = &s.time_to_ready.by_workload["web"]["windows"];
        assert_eq!((q.count, q.p50_ms, q.max_ms), (6, 300, 600));
        assert_eq!(s.time_to_ready.by_os["windows"], *q);
        let f = &s.failures["web"];
        assert_eq!((f.probability.count, f.probability.trials), (1, 3));
        assert_eq!(f.mean_failed_pods, 0.6667);
        assert_eq!(f.mean_pods, 4.0);
        assert_eq!(f.by_reason[&Reason::OsMismatch], 2);
        assert_eq!(s.any_failure.count, 1);
        assert_eq!(s.check_passed.count, 2);
        assert_eq!(s.targets_met["allPlaced"].count, 2);
        assert_eq!(s.nodes["win"].histogram, BTreeMap::from([(2, 2), (3, 1)]));
        assert_eq!(s.peak_nodes["win"].max, 4);
        assert_eq!(s.cost_per_month.max, 300.0);
        assert_eq!((s.pods.total, s.pods.failed), (4.0, 0.6667));
        assert_eq!(s.total_nodes.histogram, BTreeMap::from([(2, 2), (3, 1)]));
        // Per-run p95s are 200, 300 and 600: the band spans them.
        let b = s.time_to_ready.bands.p95;
        assert_eq!((b.low_ms, b.median_ms, b.high_ms), (200, 300, 600));
        assert_eq!(s.time_to_ready.bands.runs, 3);
        assert_eq!(
            s.time_to_ready.bands_by_os["windows"],
            s.time_to_ready.bands
        );
        assert!((b.relative_width() - 4.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn merge_order_is_the_given_order() {
        let a = [sample(1, 0, 2, &[5]), sample(2, 1, 3, &[9])];
        let b = [a[1].clone(), a[0].clone()];
        let (sa, sb) = (
            ReplicationSummary::merge("x", &a),
            ReplicationSummary::merge("x", &b),
        );
        assert_eq!(sa.base_seed, 1);
        assert_eq!(sb.base_seed, 2);
        assert_eq!(sa.time_to_ready, sb.time_to_ready);
    }

    const POISSON: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: poisson}
cluster: {provider: aks, kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - {name: apps, os: linux, vmSize: Standard_D4s_v5, count: 2}
images:
  - name: docker.io/library/nginx:1.31.3
    catalog: nginx-1.31
workloads:
  - name: web
    kind: Deployment
    replicas: 12
    image: docker.io/library/nginx:1.31.3
    requests: {cpu: 250m, memory: 256Mi}
    nodeSelector: {kubernetes.io/os: linux}
    arrival: {poisson: {ratePerMinute: 2}}
sim: {seed: 11, horizon: 20m}
"#;

    fn poisson() -> Scenario {
        match poolcast_model::parse_scenario(POISSON, poolcast_model::Format::Yaml, "t") {
            Ok((s, _)) => s,
            Err(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn the_summary_does_not_depend_on_the_thread_count() {
        let s = poisson();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| replicate(&s, &RunOptions::default(), 6).unwrap())
        };
        let (one, three) = (run(1), run(3));
        assert_eq!(one, three);
        assert_eq!(one.summary.replications, 6);
        assert_eq!(one.summary.base_seed, 11);
        assert_eq!(one.first.seed, 11);
    }

    #[test]
    fn replications_differ_by_their_random_inputs_only() {
        let s = poisson();
        let r = replicate(&s, &RunOptions::default(), 4).unwrap();
        // Poisson arrivals differ per seed ...
        let outcome = |seed| {
            simulate(
                &s,
                &RunOptions {
                    seed: Some(seed),
                    ..RunOptions::default()
                },
            )
            .unwrap()
        };
        let outcomes: Vec<Outcome> = (11..15).map(outcome).collect();
        let arrivals = |o: &Outcome| -> Vec<u64> {
            o.pods
                .iter()
                .filter(|p| !p.system)
                .map(|p| p.created_ms)
                .collect()
        };
        assert!(outcomes
            .windows(2)
            .all(|w| arrivals(&w[0]) != arrivals(&w[1])));
        let samples: Vec<RunSample> = outcomes.iter().map(RunSample::from_outcome).collect();
        // ... and the summary is exactly the merge of those runs, in seed order.
        assert_eq!(r.summary, ReplicationSummary::merge("poisson", &samples));
        // The layout is shared: every replication has the same pools.
        assert!(samples
            .iter()
            .all(|x| x.nodes.keys().eq(samples[0].nodes.keys())));
    }

    #[test]
    fn seeds_wrap() {
        assert_eq!(replication_seed(u64::MAX, 1), 0);
        assert_eq!(replication_seed(42, 3), 45);
    }
}

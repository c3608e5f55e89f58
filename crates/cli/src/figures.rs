//! The report's figures as data: pure functions from a run's `Outcome` (and the pull-cost
//! table) to [`ChartSpec`]s. Deriving a per-pool view the engine does not sample directly
//! (pods by phase, absolute requested/allocatable) happens here, from the per-pod and
//! per-node records, so the charts need no engine change; each derivation says what it
//! assumes.

use std::collections::{BTreeMap, BTreeSet};

use plotters::style::RGBColor;
use poolcast_sim::outcome::{FailureRecord, Outcome, PodRecord, Reason};
use poolcast_sim::plan::{PlanReport, Verdict};
use poolcast_sim::pullcost::ImagePullCost;

use crate::charts::{fmt_num, BarChart, Body, ChartSpec, LineChart, Mark, Panel, Segment, Series};

/// Pool panel of pods that were never bound.
pub const UNSCHEDULED: &str = "(never scheduled)";
/// At most this many bars in the pull chart (the slowest pulls).
pub const MAX_PULL_BARS: usize = 30;

const BYTES_PER_GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A time axis unit chosen so tick labels stay short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
}

impl TimeUnit {
    /// Seconds up to 10 minutes, minutes up to 6 hours, hours beyond.
    pub fn for_span(max_ms: u64) -> TimeUnit {
        if max_ms <= 600_000 {
            TimeUnit::Seconds
        } else if max_ms <= 6 * 3_600_000 {
            TimeUnit::Minutes
        } else {
            TimeUnit::Hours
        }
    }
    /// Milliseconds per unit.
    pub fn ms(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1_000.0,
            TimeUnit::Minutes => 60_000.0,
            TimeUnit::Hours => 3_600_000.0,
        }
    }
    /// Abbreviation for axis labels.
    pub fn abbrev(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "min",
            TimeUnit::Hours => "h",
        }
    }
    /// `ms` in this unit.
    pub fn of(self, ms: u64) -> f64 {
        ms as f64 / self.ms()
    }
}

/// Where a workload pod stands at one instant, for the phase chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    /// Created, not bound.
    Pending,
    /// Bound, pulling or starting, no failure yet.
    Starting,
    /// Ready.
    Ready,
    /// Bound, not ready, after its first failure (back-off, mismatch).
    Failing,
}

impl PodPhase {
    const ALL: [PodPhase; 4] = [
        PodPhase::Pending,
        PodPhase::Starting,
        PodPhase::Ready,
        PodPhase::Failing,
    ];
    fn name(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending (not bound)",
            PodPhase::Starting => "Bound, starting",
            PodPhase::Ready => "Ready",
            PodPhase::Failing => "Bound, failing",
        }
    }
    fn color(self) -> RGBColor {
        match self {
            PodPhase::Pending => RGBColor(255, 127, 14),
            PodPhase::Starting => RGBColor(31, 119, 180),
            PodPhase::Ready => RGBColor(44, 160, 44),
            PodPhase::Failing => RGBColor(214, 39, 40),
        }
    }
}

/// The phase of `pod` at time `t`, or `None` when it does not exist then. `first_failure`
/// is the time of its first failure once bound (not `Unschedulable`).
pub fn phase_at(pod: &PodRecord, first_failure: Option<u64>, t: u64) -> Option<PodPhase> {
    if t < pod.created_ms || pod.ended_ms.is_some_and(|e| t >= e) {
        return None;
    }
    if pod.ready_ms.is_some_and(|r| t >= r) {
        return Some(PodPhase::Ready);
    }
    match pod.scheduled_ms {
        Some(s) if t >= s => {
            if first_failure.is_some_and(|f| t >= f) {
                Some(PodPhase::Failing)
            } else {
                Some(PodPhase::Starting)
            }
        }
        _ => Some(PodPhase::Pending),
    }
}

fn sample_times(o: &Outcome) -> Vec<u64> {
    if o.series.t_ms.is_empty() {
        vec![0, o.horizon_ms]
    } else {
        o.series.t_ms.clone()
    }
}

/// The first kubelet-side failure of each pod (pull, OS, disk, start): `Unschedulable` is a
/// pending pod's state, not a failure of a bound one, so it does not count.
fn first_failures(o: &Outcome) -> BTreeMap<&str, u64> {
    first_failure_times(&o.failures)
}

fn first_failure_times(failures: &[FailureRecord]) -> BTreeMap<&str, u64> {
    let mut m: BTreeMap<&str, u64> = BTreeMap::new();
    for f in failures
        .iter()
        .filter(|f| f.reason != Reason::Unschedulable)
    {
        if let Some(p) = f.pod.as_deref() {
            let e = m.entry(p).or_insert(f.at_ms);
            *e = (*e).min(f.at_ms);
        }
    }
    m
}

fn time_axis(o: &Outcome) -> (TimeUnit, String) {
    let unit = TimeUnit::for_span(o.horizon_ms);
    (unit, format!("time since start ({})", unit.abbrev()))
}

/// Workload pods by phase over time, one panel per pool the pod ran on (pods never bound
/// get their own panel). A pending pod counts in the pool it was later bound to, so a
/// panel shows what waited for that pool.
pub fn pods_by_phase(o: &Outcome) -> ChartSpec {
    let times = sample_times(o);
    let (unit, x_label) = time_axis(o);
    let fails = first_failures(o);
    let mut per_pool: BTreeMap<&str, Vec<[u32; 4]>> = BTreeMap::new();
    for p in o.pods.iter().filter(|p| !p.system) {
        let pool = p.pool.as_deref().unwrap_or(UNSCHEDULED);
        let counts = per_pool
            .entry(pool)
            .or_insert_with(|| vec![[0; 4]; times.len()]);
        let ff = fails.get(p.name.as_str()).copied();
        for (i, &t) in times.iter().enumerate() {
            if let Some(ph) = phase_at(p, ff, t) {
                counts[i][ph as usize] += 1;
            }
        }
    }
    let panels: Vec<Panel> = per_pool
        .into_iter()
        .map(|(pool, counts)| Panel {
            title: Some(format!("pool {pool}")),
            series: PodPhase::ALL
                .iter()
                .map(|&ph| Series {
                    color: Some(ph.color()),
                    step: true,
                    ..Series::line(
                        ph.name(),
                        times
                            .iter()
                            .zip(&counts)
                            .map(|(&t, c)| (unit.of(t), f64::from(c[ph as usize])))
                            .collect(),
                    )
                })
                .collect(),
            marks: Vec::new(),
        })
        .collect();
    let body = if panels.is_empty() {
        Body::Empty("The scenario has no workload pods".to_owned())
    } else {
        Body::Lines(LineChart {
            x_label,
            y_label: "pods".to_owned(),
            panels,
            ..LineChart::default()
        })
    };
    ChartSpec {
        id: "pods-by-phase".to_owned(),
        title: "Workload pods by phase, per pool".to_owned(),
        caption: "Each workload pod counted at every sample: pending until bound (in the pool it was later bound to), \
                  then starting, ready, or failing after its first failure."
            .to_owned(),
        body,
    }
}

/// Live nodes per pool over time (autoscaling, failures, added nodes).
pub fn nodes_per_pool(o: &Outcome) -> ChartSpec {
    let times = sample_times(o);
    let (unit, x_label) = time_axis(o);
    let series: Vec<Series> = o
        .series
        .pools
        .iter()
        .map(|(pool, s)| Series {
            step: true,
            ..Series::line(
                pool.clone(),
                times
                    .iter()
                    .zip(&s.nodes)
                    .map(|(&t, &n)| (unit.of(t), f64::from(n)))
                    .collect(),
            )
        })
        .collect();
    let body = if series.is_empty() {
        Body::Empty("The run recorded no samples".to_owned())
    } else {
        Body::Lines(LineChart {
            x_label,
            y_label: "nodes".to_owned(),
            panels: vec![Panel {
                series,
                ..Panel::default()
            }],
            ..LineChart::default()
        })
    };
    ChartSpec {
        id: "nodes-per-pool".to_owned(),
        title: "Nodes per pool".to_owned(),
        caption: "Live nodes in each pool at every sample: the autoscaler's scale-ups and scale-downs, failed and added nodes."
            .to_owned(),
        body,
    }
}

/// Which resource [`requested_vs_allocatable`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// CPU in cores.
    Cpu,
    /// Memory in GiB.
    Memory,
}

/// Requested and allocatable CPU or memory per pool over time, in cores or GiB. The engine
/// samples the requested/allocatable fraction and the node count per pool; allocatable is
/// the node count times the pool's mean per-node allocatable (the nodes of a pool share a
/// VM size, so this is exact unless imported nodes report their own), and requested is the
/// sampled fraction of that.
pub fn requested_vs_allocatable(o: &Outcome, resource: Resource) -> ChartSpec {
    let times = sample_times(o);
    let (unit, x_label) = time_axis(o);
    let mut per_node: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
    for n in &o.nodes {
        let v = match resource {
            Resource::Cpu => n.allocatable.cpu_millis as f64 / 1000.0,
            Resource::Memory => n.allocatable.memory_bytes as f64 / BYTES_PER_GIB,
        };
        let e = per_node.entry(n.pool.as_str()).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    let panels: Vec<Panel> = o
        .series
        .pools
        .iter()
        .map(|(pool, s)| {
            let mean = per_node
                .get(pool.as_str())
                .map(|&(sum, n)| if n == 0 { 0.0 } else { sum / f64::from(n) })
                .unwrap_or(0.0);
            let frac = match resource {
                Resource::Cpu => &s.cpu,
                Resource::Memory => &s.memory,
            };
            let alloc: Vec<(f64, f64)> = times
                .iter()
                .zip(&s.nodes)
                .map(|(&t, &n)| (unit.of(t), f64::from(n) * mean))
                .collect();
            let req: Vec<(f64, f64)> = alloc
                .iter()
                .zip(frac)
                .map(|(&(x, a), &f)| (x, a * f))
                .collect();
            Panel {
                title: Some(format!("pool {pool}")),
                series: vec![
                    Series {
                        color: Some(RGBColor(31, 119, 180)),
                        step: true,
                        ..Series::line("requested", req)
                    },
                    Series {
                        color: Some(RGBColor(127, 127, 127)),
                        step: true,
                        dashed: true,
                        ..Series::line("allocatable", alloc)
                    },
                ],
                marks: Vec::new(),
            }
        })
        .collect();
    let (id, title, y_label, what) = match resource {
        Resource::Cpu => (
            "cpu-per-pool",
            "CPU requested vs allocatable, per pool",
            "CPU (cores)",
            "CPU",
        ),
        Resource::Memory => (
            "memory-per-pool",
            "Memory requested vs allocatable, per pool",
            "memory (GiB)",
            "Memory",
        ),
    };
    let body = if panels.is_empty() {
        Body::Empty("The run recorded no samples".to_owned())
    } else {
        Body::Lines(LineChart {
            x_label,
            y_label: y_label.to_owned(),
            panels,
            ..LineChart::default()
        })
    };
    ChartSpec {
        id: id.to_owned(),
        title: title.to_owned(),
        caption: format!(
            "{what} requests of bound pods (system pods included) against the pool's allocatable \
             (capacity minus kube-reserved and eviction thresholds)."
        ),
        body,
    }
}

/// Time from creation to Ready of workload pods, as a cumulative distribution per node OS.
/// The y axis is the share of all workload pods bound to nodes of that OS, so pods that
/// never become ready keep the curve below 100 %.
pub fn time_to_ready_cdf(o: &Outcome) -> ChartSpec {
    let node_os: BTreeMap<&str, &str> = o
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.os.as_str()))
        .collect();
    let mut bound: BTreeMap<&str, u32> = BTreeMap::new();
    let mut ready: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for p in o.pods.iter().filter(|p| !p.system) {
        let Some(os) = p.node.as_deref().and_then(|n| node_os.get(n)).copied() else {
            continue;
        };
        *bound.entry(os).or_default() += 1;
        if let Some(r) = p.ready_ms {
            ready
                .entry(os)
                .or_default()
                .push(r.saturating_sub(p.created_ms));
        }
    }
    let max = ready.values().flatten().copied().max().unwrap_or(0);
    let unit = TimeUnit::for_span(max);
    // Curves continue flat past the last ready pod, so the slowest one is not drawn on
    // the frame.
    let x_end = unit.of(max) * 1.05;
    let series: Vec<Series> = bound
        .iter()
        .map(|(&os, &n)| {
            let mut v = ready.remove(os).unwrap_or_default();
            v.sort_unstable();
            let mut pts = vec![(0.0, 0.0)];
            for (k, &ms) in v.iter().enumerate() {
                pts.push((unit.of(ms), 100.0 * (k + 1) as f64 / f64::from(n.max(1))));
            }
            let last = pts.last().map(|p| p.1).unwrap_or(0.0);
            pts.push((x_end, last));
            let color = if os == "windows" {
                RGBColor(31, 119, 180)
            } else {
                RGBColor(255, 127, 14)
            };
            Series {
                color: Some(color),
                step: true,
                ..Series::line(format!("{os}: {} of {n} bound pods ready", v.len()), pts)
            }
        })
        .collect();
    let body = if series.is_empty() {
        Body::Empty("No workload pod was bound to a node".to_owned())
    } else {
        Body::Lines(LineChart {
            x_label: format!("time from creation to Ready ({})", unit.abbrev()),
            y_label: "pods ready (% of bound)".to_owned(),
            panels: vec![Panel {
                series,
                ..Panel::default()
            }],
            y_max: Some(105.0),
            ..LineChart::default()
        })
    };
    ChartSpec {
        id: "time-to-ready".to_owned(),
        title: "Time to ready, Windows vs Linux (cumulative)".to_owned(),
        caption:
            "Share of bound workload pods ready within a given time of their creation, by node OS; \
                  pods that never became ready keep a curve below 100 %."
                .to_owned(),
        body,
    }
}

/// Pull time split into download and extraction per image, on a fresh node of the pool(s)
/// its pods ran on (all OS-compatible pools when none ran), slowest first.
pub fn pull_split(o: &Outcome, costs: &[ImagePullCost]) -> ChartSpec {
    let mut ran_on: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in o.pods.iter().filter(|p| !p.system) {
        if let Some(pool) = p.pool.as_deref() {
            ran_on.entry(p.workload.as_str()).or_default().insert(pool);
        }
    }
    let mut rows: Vec<&ImagePullCost> = costs
        .iter()
        .filter(|c| {
            let used: Vec<&str> = c
                .workloads
                .iter()
                .flat_map(|w| ran_on.get(w.as_str()).into_iter().flatten().copied())
                .collect();
            used.is_empty() || used.contains(&c.pool.as_str())
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.download_ms + b.extract_ms)
            .cmp(&(a.download_ms + a.extract_ms))
            .then_with(|| a.image.cmp(&b.image))
            .then_with(|| a.pool.cmp(&b.pool))
    });
    let dropped = rows.len().saturating_sub(MAX_PULL_BARS);
    rows.truncate(MAX_PULL_BARS);
    let body = if rows.is_empty() {
        Body::Empty("No workload image to pull".to_owned())
    } else {
        Body::Bars(BarChart {
            value_label: "seconds on a fresh node (download and extraction back to back)"
                .to_owned(),
            categories: rows
                .iter()
                .map(|c| format!("{} @ {}", c.image, c.pool))
                .collect(),
            segments: vec![
                Segment {
                    name: "download".to_owned(),
                    color: Some(RGBColor(31, 119, 180)),
                    values: rows.iter().map(|c| c.download_ms as f64 / 1000.0).collect(),
                },
                Segment {
                    name: "extraction".to_owned(),
                    color: Some(RGBColor(255, 127, 14)),
                    values: rows.iter().map(|c| c.extract_ms as f64 / 1000.0).collect(),
                },
            ],
        })
    };
    let more = if dropped > 0 {
        format!(" The {dropped} fastest pulls are not shown.")
    } else {
        String::new()
    };
    ChartSpec {
        id: "image-pulls".to_owned(),
        title: "Image pull time: download vs extraction".to_owned(),
        caption: format!(
            "Layers a fresh node of the pool does not already cache, downloaded at min(registry, NIC) and unpacked at \
             the pool's extraction rate; the kubelet overlaps a layer's download with the previous layer's \
             extraction, so the wall time lies between the longer part and the sum.{more}"
        ),
        body,
    }
}

fn reason_color(r: Reason) -> RGBColor {
    match r {
        Reason::Unschedulable => RGBColor(255, 127, 14),
        Reason::ImagePullBackOff => RGBColor(148, 103, 189),
        Reason::OsMismatch => RGBColor(214, 39, 40),
        Reason::OsVersionMismatch => RGBColor(140, 86, 75),
        Reason::DiskPressureEviction => RGBColor(127, 127, 127),
        Reason::StartTimeout => RGBColor(188, 189, 34),
        Reason::TargetMissed => RGBColor(23, 190, 207),
        Reason::Preempted => RGBColor(227, 119, 194),
    }
}

/// Failed workload pods at the horizon by workload and reason.
pub fn failures_by_workload(o: &Outcome) -> ChartSpec {
    let system: BTreeSet<&str> = o
        .pods
        .iter()
        .filter(|p| p.system)
        .map(|p| p.workload.as_str())
        .collect();
    let rows: Vec<(&String, &BTreeMap<Reason, u32>)> = o
        .summary
        .by_workload
        .iter()
        .filter(|(n, w)| !system.contains(n.as_str()) && w.by_reason.values().any(|&c| c > 0))
        .map(|(n, w)| (n, &w.by_reason))
        .collect();
    let reasons: BTreeSet<Reason> = rows.iter().flat_map(|(_, r)| r.keys().copied()).collect();
    let body = if rows.is_empty() {
        Body::Empty("No workload pod failed".to_owned())
    } else {
        Body::Bars(BarChart {
            value_label: "failed pods at the end of the run".to_owned(),
            categories: rows.iter().map(|(n, _)| (*n).clone()).collect(),
            segments: reasons
                .iter()
                .map(|&r| Segment {
                    name: r.as_str().to_owned(),
                    color: Some(reason_color(r)),
                    values: rows
                        .iter()
                        .map(|(_, m)| f64::from(m.get(&r).copied().unwrap_or(0)))
                        .collect(),
                })
                .collect(),
        })
    };
    ChartSpec {
        id: "failures".to_owned(),
        title: "Failed pods by workload and reason".to_owned(),
        caption:
            "Workload pods that ended the run failed, by the reason code of their last failure."
                .to_owned(),
        body,
    }
}

/// Hours in Azure's pricing month.
const HOURS_PER_MONTH: f64 = 730.0;

/// Monthly cost against node count for every VM size tried per sized pool, one panel per
/// pool: a size that fits is drawn from its resource lower bound to the count that meets
/// every target; a pruned size at its lower bound only (it could not be cheaper); the
/// recommendation is ringed and labelled.
pub fn plan_cost(plan: &PlanReport) -> ChartSpec {
    let panels: Vec<Panel> = plan
        .sizing
        .iter()
        .map(|pool| {
            let mut series = Vec::new();
            let mut marks = Vec::new();
            for alt in &pool.alternatives {
                let Some(price) = alt.price_per_hour else {
                    continue;
                };
                let cost = |n: u32| f64::from(n) * price * HOURS_PER_MONTH;
                let mut counts: Vec<u32> = Vec::new();
                if let Some(lb) = alt.lower_bound {
                    counts.push(lb);
                }
                if let Some(n) = alt.nodes {
                    if !counts.contains(&n) {
                        counts.push(n);
                    }
                }
                counts.sort_unstable();
                if counts.is_empty() {
                    continue;
                }
                let points: Vec<(f64, f64)> =
                    counts.iter().map(|&n| (f64::from(n), cost(n))).collect();
                let fits = matches!(alt.verdict, Verdict::Recommended | Verdict::Fits);
                if alt.verdict == Verdict::Recommended {
                    if let Some(n) = alt.nodes {
                        marks.push(Mark {
                            x: f64::from(n),
                            y: cost(n),
                            label: format!(
                                "{} x {n}: ${}/month",
                                alt.vm_size,
                                fmt_num(cost(n).round())
                            ),
                        });
                    }
                }
                series.push(Series {
                    dashed: !fits,
                    ..Series::line(
                        format!("{} ({})", alt.vm_size, alt.verdict.as_str()),
                        points,
                    )
                });
            }
            Panel {
                title: Some(format!(
                    "pool {} ({} prices)",
                    pool.pool,
                    pool.pricing.as_str()
                )),
                series,
                marks,
            }
        })
        .collect();
    let body = if panels.iter().all(|p| p.series.is_empty()) {
        Body::Empty("No priced VM size was tried".to_owned())
    } else {
        Body::Lines(LineChart {
            x_label: "nodes".to_owned(),
            y_label: "USD per month".to_owned(),
            panels,
            y_fit: true,
            x_pad: true,
            max_columns: 1,
            ..LineChart::default()
        })
    };
    ChartSpec {
        id: "plan-cost".to_owned(),
        title: "Plan: monthly cost against node count per VM size".to_owned(),
        caption: "For each sized pool, every VM size tried: from its resource lower bound to the node count that \
                  meets every target (dashed: pruned or failing sizes, at the count tried); the ring marks the \
                  recommendation."
            .to_owned(),
        body,
    }
}

/// The chart id of the `i`-th upgrade's availability chart.
pub fn upgrade_chart_id(i: usize) -> String {
    format!("upgrade-{i}")
}

/// Unavailable replicas over an upgrade, one panel per workload that had pods on the
/// pool, with what its PodDisruptionBudget tolerates as a dashed line; the shaded story of
/// a drain: each step up is an eviction, each step down a replacement Ready on a new node.
pub fn upgrade_availability(o: &Outcome, i: usize) -> Option<ChartSpec> {
    let u = o.upgrades.get(i)?;
    if u.availability.is_empty() {
        return None;
    }
    let (unit, x_label) = time_axis(o);
    let end = u.finished_ms.unwrap_or(o.horizon_ms);
    let panels = u
        .availability
        .iter()
        .map(|w| {
            let mut pts: Vec<(f64, f64)> = w
                .t_ms
                .iter()
                .zip(&w.unavailable)
                .map(|(&t, &n)| (unit.of(t), f64::from(n)))
                .collect();
            // A little past the end, so the last recovery shows.
            let last_t = (w.t_ms.last().copied().unwrap_or(u.started_ms).max(end) + 120_000)
                .min(o.horizon_ms.max(end));
            if let Some(&(_, y)) = pts.last() {
                pts.push((unit.of(last_t), y));
            }
            let mut series = vec![Series {
                step: true,
                ..Series::line("unavailable replicas", pts)
            }];
            if let Some(a) = w.pdb_allows_unavailable {
                series.push(Series {
                    dashed: true,
                    ..Series::line(
                        "PDB allows",
                        vec![
                            (unit.of(u.started_ms), f64::from(a)),
                            (unit.of(last_t), f64::from(a)),
                        ],
                    )
                });
            }
            Panel {
                title: Some(w.workload.clone()),
                series,
                marks: Vec::new(),
            }
        })
        .collect();
    Some(ChartSpec {
        id: upgrade_chart_id(i),
        title: format!("Upgrade of pool {} to {}: unavailable replicas", u.pool, u.to),
        caption: format!(
            "Replicas desired but not Ready during the {} upgrade of pool {}, per workload with pods on it, against what its PodDisruptionBudget allows (dashed).",
            u.to, u.pool
        ),
        body: Body::Lines(LineChart {
            x_label,
            y_label: "replicas".to_owned(),
            panels,
            ..LineChart::default()
        }),
    })
}

/// Every run figure of the report, in page order.
pub fn run_figures(o: &Outcome, costs: &[ImagePullCost]) -> Vec<ChartSpec> {
    let mut v = vec![
        pods_by_phase(o),
        nodes_per_pool(o),
        requested_vs_allocatable(o, Resource::Cpu),
        requested_vs_allocatable(o, Resource::Memory),
        time_to_ready_cdf(o),
        pull_split(o, costs),
        failures_by_workload(o),
    ];
    v.extend((0..o.upgrades.len()).filter_map(|i| upgrade_availability(o, i)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(
        created: u64,
        scheduled: Option<u64>,
        ready: Option<u64>,
        ended: Option<u64>,
    ) -> PodRecord {
        PodRecord {
            name: "w-0".into(),
            namespace: "default".into(),
            workload: "w".into(),
            system: false,
            node: scheduled.map(|_| "n1".into()),
            pool: scheduled.map(|_| "p".into()),
            phase: "Running",
            ready: ready.is_some(),
            reason: None,
            message: None,
            created_ms: created,
            scheduled_ms: scheduled,
            pulled_ms: None,
            started_ms: None,
            ready_ms: ready,
            ended_ms: ended,
            attempts: 1,
            priority: 0,
            pulls: Vec::new(),
        }
    }

    #[test]
    fn phases_follow_the_pod_timeline() {
        use PodPhase::*;
        let p = pod(10, Some(20), Some(50), Some(90));
        let cases = [
            (5, None),
            (10, Some(Pending)),
            (19, Some(Pending)),
            (20, Some(Starting)),
            (49, Some(Starting)),
            (50, Some(Ready)),
            (89, Some(Ready)),
            (90, None),
        ];
        for (t, want) in cases {
            assert_eq!(phase_at(&p, None, t), want, "t={t}");
        }
        let failing = pod(0, Some(5), None, None);
        assert_eq!(phase_at(&failing, Some(30), 29), Some(Starting));
        assert_eq!(phase_at(&failing, Some(30), 30), Some(Failing));
        assert_eq!(
            phase_at(&pod(0, None, None, None), Some(1), 100),
            Some(Pending)
        );
    }

    #[test]
    fn a_bound_pod_fails_from_its_first_kubelet_failure_not_from_pending() {
        let rec = |at_ms, pod: &str, reason| FailureRecord {
            at_ms,
            pod: Some(pod.to_owned()),
            workload: None,
            node: None,
            reason,
            message: String::new(),
        };
        let f = [
            rec(10, "a", Reason::Unschedulable),
            rec(50, "a", Reason::ImagePullBackOff),
            rec(40, "a", Reason::OsMismatch),
            rec(5, "b", Reason::Unschedulable),
        ];
        let m = first_failure_times(&f);
        assert_eq!(m.get("a"), Some(&40));
        assert_eq!(m.get("b"), None);
    }

    #[test]
    fn time_units_keep_labels_short() {
        assert_eq!(TimeUnit::for_span(90_000), TimeUnit::Seconds);
        assert_eq!(TimeUnit::for_span(7_200_000), TimeUnit::Minutes);
        assert_eq!(TimeUnit::for_span(48 * 3_600_000), TimeUnit::Hours);
        assert_eq!(TimeUnit::Minutes.of(90_000), 1.5);
    }
}

//! Spread in the durations a run draws: how long a new node takes to join Ready, how fast
//! each image pull downloads and unpacks, and how long a container takes to start.
//!
//! Every such duration is drawn around the point value the run would otherwise use (the
//! catalog's `Estimate::default`, the pool's rates, the scenario's override), so
//! `sim.variability: none` is the median (or most likely) run:
//! - node time to Ready and container start follow the catalog estimate's own `Dist`:
//!   `LogNormal` (fitted to measured percentiles: Linux provisioning, the AKS scale-out
//!   benchmark) with its median at the point value, or `Range` (the sources give a range
//!   only: Windows provisioning, container starts) as a triangular distribution over
//!   `low..=high` with its mode at `default`, scaled when a scenario overrides the value;
//! - each pull's download and extraction are log-normal around their rates with the shape
//!   fitted here to repeated identical cold pulls (`PULL_SIGMA`): positive durations of
//!   multiplicative effects, skewed to the right like every measured spread. Log-normal
//!   draws are clamped to +-3 sigma, beyond what any of the data covers.
//!
//! Draws come from the run's `Jitter` RNG stream only, split by word position into three
//! sub-streams (provisioning, pulls, container starts), so a what-if that changes the
//! number of pulls keeps every node's boot time, and no other stream (tie-breaks,
//! arrivals, expander, failures, preemption) is ever shifted. Each draw consumes exactly
//! one 64-bit word, turned into a standard normal by the inverse CDF (Acklam's rational
//! approximation; absolute error below 2e-5, a test checks it against tables): no rejection
//! loop, so the number of words drawn is the number of draws.

use poolcast_model::catalog::{provisioning, Dist, Estimate};
use poolcast_model::scenario::{Os, Variability};
use poolcast_model::Duration;
use rand::RngCore;

use crate::engine::{rng_for, SimRng, Stream};
use crate::kubelet::PullLink;
use crate::outcome::Assumption;

/// Log-normal shape of one pull's download rate and, independently, of its extraction
/// rate: the pooled within-group standard deviation of `ln(seconds)` over repeated
/// identical cold pulls on fresh AKS Windows nodes (`IDENTICAL_COLD_PULLS`). The data
/// measure whole pulls; each stage gets the whole spread, since in every measured row one
/// stage (extraction on Windows) dominates.
pub const PULL_SIGMA: f64 = 0.158;

/// Draws beyond this many sigmas are clamped.
pub const CLAMP_SIGMAS: f64 = 3.0;

/// The standard normal quantile of 0.95, for reading an `Estimate`'s low/high as P5/P95.
pub const Z_95: f64 = 1.644_853_626_951_472_2;

/// Repeated identical cold pulls, seconds (kubelet "Successfully pulled image ... in X"),
/// each run on a fresh AKS node (westus3, Standard_D8_v5, Kubernetes 1.32.6, containerd
/// 1.7.20+azure). Source: github.com/embergershared/aks-wincont-imgpull-opt,
/// `tests/win2019-tests.md` and `src/acr-runs-tests/*.yaml` (analysis dated 2025-11-06).
pub const IDENTICAL_COLD_PULLS: [(&str, &[f64]); 4] = [
    (
        "runtime:4.8-ltsc2019 (3.07 GB), ACR Standard, Windows Server 2019",
        &[190.96, 194.643],
    ),
    (
        "runtime:4.8-ltsc2019 + Windows 11 ISO (8.73 GB), ACR Standard, Windows Server 2019",
        &[362.724, 396.444, 384.221, 243.756, 398.14],
    ),
    (
        "runtime:4.8-ltsc2019 + Windows 11 ISO (8.73 GB), ACR Premium, Windows Server 2019",
        &[226.793, 224.092],
    ),
    (
        "runtime:4.8-ltsc2022 + Windows 11 ISO (8.03 GB), ACR Premium, Windows Server 2022",
        &[71.203, 68.053],
    ),
];

/// A draw from `e`'s distribution, scaled so that its point value is `point_ms` (the
/// estimate's `default`, or a scenario's override of it), from one 64-bit word.
pub fn draw_estimate(e: &Estimate<Duration>, point_ms: u64, word: u64) -> u64 {
    match e.dist {
        Dist::LogNormal { sigma_milli } => {
            scale(point_ms, factor(word, f64::from(sigma_milli) / 1000.0))
        }
        Dist::Range => {
            let d = e.default.as_ms().max(1) as f64;
            let (lo, hi) = (e.low.as_ms() as f64 / d, e.high.as_ms() as f64 / d);
            scale(point_ms, triangular(unit(word), lo.min(1.0), hi.max(1.0)))
        }
    }
}

/// The inverse CDF at `u` of the triangular distribution on `[lo, hi]` with mode 1.
fn triangular(u: f64, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return 1.0;
    }
    let fc = (1.0 - lo) / (hi - lo);
    if u < fc {
        lo + (u * (hi - lo) * (1.0 - lo)).sqrt()
    } else {
        hi - ((1.0 - u) * (hi - lo) * (hi - 1.0)).sqrt()
    }
}

/// The inverse of the standard normal CDF at `p` in (0, 1) (P. J. Acklam's rational
/// approximation without refinement: absolute error below 2e-5, i.e. a factor error below
/// 1e-5 on any draw; values outside (0, 1) are clamped into it).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_671_010_114_613,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let p = p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

/// The top 53 bits of `word`, centred in their interval: a uniform in (0, 1), never 0 or 1.
fn unit(word: u64) -> f64 {
    ((word >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A log-normal factor with median 1 and shape `sigma` from one 64-bit word.
fn factor(word: u64, sigma: f64) -> f64 {
    let z = normal_quantile(unit(word)).clamp(-CLAMP_SIGMAS, CLAMP_SIGMAS);
    (sigma * z).exp()
}

/// `x * f` rounded, saturating at `u64::MAX`.
fn scale(x: u64, f: f64) -> u64 {
    let y = (x as f64 * f).round();
    if y.is_finite() && y >= 0.0 && y < u64::MAX as f64 {
        y as u64
    } else if y.is_finite() && y >= 0.0 {
        u64::MAX
    } else {
        x
    }
}

/// Sub-stream offsets in the `Jitter` stream, in 32-bit words (a ChaCha stream holds 2^68).
const SUBSTREAM_WORDS: u128 = 1 << 64;

fn substream(seed: u64, index: u128) -> SimRng {
    let mut r = rng_for(seed, Stream::Jitter);
    r.set_word_pos(index * SUBSTREAM_WORDS);
    r
}

/// The draws of one run. With `Variability::None` every method returns its input.
#[derive(Debug, Clone)]
pub struct Jitter {
    on: bool,
    provisioning: SimRng,
    pulls: SimRng,
    starts: SimRng,
}

impl Jitter {
    /// The draws of a run seeded with `seed`.
    pub fn new(seed: u64, variability: Variability) -> Jitter {
        Jitter {
            on: variability == Variability::On,
            provisioning: substream(seed, 0),
            pulls: substream(seed, 1),
            starts: substream(seed, 2),
        }
    }

    /// True when durations are drawn.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// A new node's time to Ready on a pool of `os` whose point value is `point_ms`.
    pub fn provisioning_ms(&mut self, os: Os, point_ms: u64) -> u64 {
        if !self.on {
            return point_ms;
        }
        draw_estimate(
            provisioning::node_ready_time(os),
            point_ms,
            self.provisioning.next_u64(),
        )
    }

    /// One pull's link: its download rate divided by one log-normal factor and its
    /// extraction (rate and per-file cost) by another (a slow draw is a longer stage); the
    /// setup time is kept.
    pub fn pull_link(&mut self, link: PullLink) -> PullLink {
        if !self.on {
            return link;
        }
        let d = factor(self.pulls.next_u64(), PULL_SIGMA);
        let e = factor(self.pulls.next_u64(), PULL_SIGMA);
        PullLink {
            download_bps: scale(link.download_bps, 1.0 / d).max(1),
            extract_bps: scale(link.extract_bps, 1.0 / e).max(1),
            per_file_us: scale(link.per_file_us, e),
            ..link
        }
    }

    /// A container start on a node of `os` whose point value is `point_ms`.
    pub fn container_start_ms(&mut self, os: Os, point_ms: u64) -> u64 {
        if !self.on {
            return point_ms;
        }
        draw_estimate(
            provisioning::container_start(os),
            point_ms,
            self.starts.next_u64(),
        )
    }
}

/// The run's assumptions about spread.
pub fn assumptions(variability: Variability) -> Vec<Assumption> {
    let a = |text: String, source: &str| Assumption {
        topic: "variability".into(),
        text,
        source: source.into(),
    };
    match variability {
        Variability::None => vec![a(
            "sim.variability none: node provisioning, pull rates and container starts take their point values".into(),
            "scenario",
        )],
        Variability::On => vec![
            a(
                "node time to Ready drawn per node from the catalog estimate's distribution: Linux log-normal fitted to a 50-node batch benchmark (applied per node), Windows triangular over the estimate's range".into(),
                provisioning::LINUX_NODE_READY.source,
            ),
            a(
                format!(
                    "download and extraction drawn per pull, each log-normal around its point value, sigma {PULL_SIGMA} (spread of identical cold pulls on fresh AKS Windows nodes)"
                ),
                "github.com/embergershared/aks-wincont-imgpull-opt tests/win2019-tests.md, src/acr-runs-tests (2025-11-06)",
            ),
            a(
                "container start drawn per start, triangular over the catalog's low/high with its default as the mode".into(),
                provisioning::WINDOWS_CONTAINER_START.source,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_tables() {
        for (p, z) in [
            (0.5, 0.0),
            (0.9, 1.281_551_565_545),
            (0.95, 1.644_853_626_951),
            (0.99, 2.326_347_874_041),
            (0.01, -2.326_347_874_041),
            (0.001, -3.090_232_306_168),
        ] {
            let got = normal_quantile(p);
            assert!((got - z).abs() < 2e-5, "{p}: {got}");
        }
    }

    #[test]
    fn pull_sigma_is_the_pooled_spread_of_identical_pulls() {
        let (mut ss, mut df) = (0.0, 0usize);
        for (_, runs) in IDENTICAL_COLD_PULLS {
            let logs: Vec<f64> = runs.iter().map(|s| s.ln()).collect();
            let mean = logs.iter().sum::<f64>() / logs.len() as f64;
            ss += logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>();
            df += logs.len() - 1;
        }
        let fit = (ss / df as f64).sqrt();
        assert!((fit - PULL_SIGMA).abs() < 0.001, "fit {fit}");
        // The widest group spans 1.63x: a sigma of that size puts such a range within
        // reach of five draws (expected range of 5 normals: 2.33 sigma).
        assert!((2.33 * PULL_SIGMA).exp() > 1.4);
    }

    #[test]
    fn none_returns_point_values_and_draws_nothing() {
        let mut j = Jitter::new(7, Variability::None);
        let link = PullLink {
            download_bps: 100,
            extract_bps: 20,
            per_file_us: 1000,
            setup_ms: 350,
        };
        assert_eq!(j.provisioning_ms(Os::Linux, 180_000), 180_000);
        assert_eq!(j.pull_link(link), link);
        assert_eq!(j.container_start_ms(Os::Windows, 5_000), 5_000);
        assert_eq!(
            j.provisioning.next_u64(),
            substream(7, 0).next_u64(),
            "no word was drawn"
        );
    }

    #[test]
    fn draws_have_the_fitted_median_and_spread() {
        let Dist::LogNormal { sigma_milli } = provisioning::LINUX_NODE_READY.dist else {
            panic!("Linux provisioning is fitted");
        };
        let sigma = f64::from(sigma_milli) / 1000.0;
        let mut j = Jitter::new(1, Variability::On);
        let mut v: Vec<u64> = (0..4001)
            .map(|_| j.provisioning_ms(Os::Linux, 100_000))
            .collect();
        v.sort_unstable();
        let median = v[2000] as f64;
        assert!((median / 100_000.0 - 1.0).abs() < 0.03, "median {median}");
        let p99 = v[3960] as f64;
        let want = (sigma * 2.326).exp() * 100_000.0;
        assert!((p99 / want - 1.0).abs() < 0.1, "p99 {p99} want {want}");
        let lo = (-CLAMP_SIGMAS * sigma).exp() * 100_000.0;
        let hi = (CLAMP_SIGMAS * sigma).exp() * 100_000.0;
        assert!(v[0] as f64 >= lo.floor() && v[4000] as f64 <= hi.ceil());
        // Windows: the catalog gives a range only, so no draw leaves it.
        let w = provisioning::node_ready_time(Os::Windows);
        for _ in 0..1000 {
            let x = j.provisioning_ms(Os::Windows, w.default.as_ms());
            assert!(x >= w.low.as_ms() && x <= w.high.as_ms(), "{x}");
        }
    }

    #[test]
    fn substreams_are_independent_and_seeded() {
        let mut a = Jitter::new(3, Variability::On);
        let mut b = Jitter::new(3, Variability::On);
        // Pull draws in `a` do not move its provisioning draws.
        let link = PullLink {
            download_bps: 1_000_000,
            extract_bps: 1_000_000,
            per_file_us: 0,
            setup_ms: 0,
        };
        for _ in 0..10 {
            a.pull_link(link);
        }
        assert_eq!(
            a.provisioning_ms(Os::Linux, 60_000),
            b.provisioning_ms(Os::Linux, 60_000)
        );
        let mut c = Jitter::new(4, Variability::On);
        let xs: Vec<u64> = (0..5)
            .map(|_| b.provisioning_ms(Os::Linux, 60_000))
            .collect();
        let ys: Vec<u64> = (0..5)
            .map(|_| c.provisioning_ms(Os::Linux, 60_000))
            .collect();
        assert_ne!(xs, ys);
    }

    #[test]
    fn range_estimates_draw_triangular_within_their_range() {
        let e = provisioning::container_start(Os::Windows);
        let mut j = Jitter::new(5, Variability::On);
        let point = e.default.as_ms();
        let v: Vec<u64> = (0..2000)
            .map(|_| j.container_start_ms(Os::Windows, point))
            .collect();
        assert!(v.iter().all(|&x| x >= e.low.as_ms() && x <= e.high.as_ms()));
        // Triangular mean (low + mode + high) / 3.
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        let want = (e.low.as_ms() + point + e.high.as_ms()) as f64 / 3.0;
        assert!((mean / want - 1.0).abs() < 0.02, "{mean} vs {want}");
        // An override scales the range: twice the point, twice the bounds.
        let w = j.container_start_ms(Os::Windows, 2 * point);
        assert!(w >= 2 * e.low.as_ms() && w <= 2 * e.high.as_ms());
        assert_eq!(triangular(0.0, 0.5, 2.0), 0.5);
        assert_eq!(triangular(1.0, 0.5, 2.0), 2.0);
        assert!((triangular(1.0 / 3.0, 0.5, 2.0) - 1.0).abs() < 1e-12);
    }
}

//! A modelling constant with its plausible range, the distribution that range describes,
//! and its source, for values the sources give only approximately (`[U]`) or as measured
//! percentiles (fitted; `docs/calibration.md`).

/// How the values of an [`Estimate`] are spread around its default, for runs that draw
/// them (`sim.variability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    /// The sources give a range only: `default` is the most likely value and `low..=high`
    /// bounds it (a triangular distribution is the natural reading).
    Range,
    /// Fitted to measured percentiles: log-normal with median `default` and shape
    /// `sigma_milli / 1000`; `low` and `high` are its 5th and 95th percentiles.
    LogNormal {
        /// Shape parameter sigma, in thousandths.
        sigma_milli: u32,
    },
}

/// A default value, the range the sources support, its distribution, and where it comes
/// from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate<T> {
    /// The value the engine uses unless a scenario overrides it (the median of a fitted
    /// distribution).
    pub default: T,
    /// Low end of the supported range (5th percentile of a fitted distribution).
    pub low: T,
    /// High end of the supported range (95th percentile of a fitted distribution).
    pub high: T,
    /// How values spread between `low` and `high`.
    pub dist: Dist,
    /// Sources and reasoning.
    pub source: &'static str,
}

impl<T: PartialOrd + Copy> Estimate<T> {
    /// Whether `v` lies inside `[low, high]`.
    pub fn contains(&self, v: T) -> bool {
        self.low <= v && v <= self.high
    }
}

/// `median x exp(z x sigma)`: the quantile of a log-normal with the given median and
/// shape at standard-normal quantile `z`.
pub fn lognormal_quantile(median: f64, sigma: f64, z: f64) -> f64 {
    median * (z * sigma).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_quantiles_scale_the_median() {
        assert_eq!(lognormal_quantile(100.0, 0.0, 2.0), 100.0);
        let p95 = lognormal_quantile(100.0, 0.3, 1.6449);
        assert!((p95 - 163.89).abs() < 0.1, "{p95}");
        let p5 = lognormal_quantile(100.0, 0.3, -1.6449);
        assert!((p5 * p95 - 10_000.0).abs() < 1e-6, "symmetric in log space");
    }
}

//! A modelling constant with its plausible range and source, for values the sources give
//! only approximately (`[U]` in `shared/data/io-costs.md` §5 and `facts.md` §7).

/// A default value, the range the sources support, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate<T> {
    /// The value the engine uses unless a scenario overrides it.
    pub default: T,
    /// Low end of the supported range.
    pub low: T,
    /// High end of the supported range.
    pub high: T,
    /// Sources and reasoning.
    pub source: &'static str,
}

impl<T: PartialOrd + Copy> Estimate<T> {
    /// Whether `v` lies inside `[low, high]`.
    pub fn contains(&self, v: T) -> bool {
        self.low <= v && v <= self.high
    }
}

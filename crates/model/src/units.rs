//! Exact units: CPU in millicores, sizes in bytes, bandwidth in bytes per second, durations
//! in milliseconds, percentages in hundredths of a percent.
//!
//! Scenario files carry Kubernetes quantity strings (`500m`, `2`, `4Gi`, `1e3`) and the
//! byte-unit spellings people write for images and bandwidth (`1.5GB`, `100MiB/s`).
//! Everything is parsed with integer arithmetic on the decimal digits, never through a
//! float, so `0.1` CPU is exactly `100m`.
//!
//! Rounding follows `k8s.io/apimachinery/pkg/api/resource`: a quantity that is not a whole
//! number of the target unit rounds **up** (`Quantity.MilliValue` / `Value` use
//! `ScaledValue(..)` which rounds away from zero), so `0.0001` CPU is `1m` and `0.5` bytes is
//! 1 byte.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a quantity or duration string was refused. The message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UnitError {
    /// A sentence saying what is wrong and what is expected.
    pub message: String,
}

impl UnitError {
    fn new(message: impl Into<String>) -> Self {
        UnitError {
            message: message.into(),
        }
    }
}

/// A decimal number split into an integer numerator and a power-of-ten denominator.
#[derive(Debug, Clone, Copy)]
struct Decimal {
    /// digits without the point
    num: u128,
    /// number of digits after the point, minus the decimal exponent (may be negative)
    scale: i32,
}

fn parse_decimal(s: &str) -> Option<(Decimal, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    if i < bytes.len() && bytes[i] == b'+' {
        i += 1;
    }
    let mut num: u128 = 0;
    let mut digits = 0;
    let mut frac = 0i32;
    let mut seen_point = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            num = num.checked_mul(10)?.checked_add(u128::from(c - b'0'))?;
            digits += 1;
            if seen_point {
                frac += 1;
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        i += 1;
        if digits > 30 {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    Some((Decimal { num, scale: frac }, &s[i..]))
}

/// `num / 10^scale * mult`, rounded up, as u64.
fn scale_up(d: Decimal, mult_num: u128, mult_den: u128) -> Option<u64> {
    let mut num = d.num.checked_mul(mult_num)?;
    let mut den = mult_den;
    if d.scale >= 0 {
        den = den.checked_mul(10u128.checked_pow(d.scale as u32)?)?;
    } else {
        num = num.checked_mul(10u128.checked_pow((-d.scale) as u32)?)?;
    }
    let q = num / den;
    let r = num % den;
    let v = if r == 0 { q } else { q + 1 };
    u64::try_from(v).ok()
}

/// Splits an optional decimal exponent (`e3`, `E-2`) off a suffix. Kubernetes allows it in
/// place of an SI suffix.
fn exponent(suffix: &str) -> Option<i32> {
    let rest = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    if rest.is_empty() {
        return None;
    }
    rest.parse::<i32>().ok().filter(|e| e.abs() <= 30)
}

/// Multiplier (numerator, denominator) for a quantity suffix. `bytes_units` also accepts the
/// `B`-suffixed spellings (`KB`, `MiB`, `GB`...) used for image sizes and bandwidth.
fn suffix_multiplier(suffix: &str, bytes_units: bool) -> Option<(u128, u128)> {
    const KI: u128 = 1024;
    let m = match suffix {
        "" => (1, 1),
        "n" => (1, 1_000_000_000),
        "u" => (1, 1_000_000),
        "m" => (1, 1000),
        "k" => (1000, 1),
        "M" => (1_000_000, 1),
        "G" => (1_000_000_000, 1),
        "T" => (1_000_000_000_000, 1),
        "P" => (1_000_000_000_000_000, 1),
        "E" => (1_000_000_000_000_000_000, 1),
        "Ki" => (KI, 1),
        "Mi" => (KI.pow(2), 1),
        "Gi" => (KI.pow(3), 1),
        "Ti" => (KI.pow(4), 1),
        "Pi" => (KI.pow(5), 1),
        "Ei" => (KI.pow(6), 1),
        _ if bytes_units => match suffix {
            "B" => (1, 1),
            "KB" | "kB" => (1000, 1),
            "MB" => (1_000_000, 1),
            "GB" => (1_000_000_000, 1),
            "TB" => (1_000_000_000_000, 1),
            "KiB" => (KI, 1),
            "MiB" => (KI.pow(2), 1),
            "GiB" => (KI.pow(3), 1),
            "TiB" => (KI.pow(4), 1),
            _ => return None,
        },
        _ => return None,
    };
    Some(m)
}

/// Parses a quantity into `base units × unit_scale` (1000 for millicores, 1 for bytes).
fn parse_quantity(
    s: &str,
    unit_scale: u128,
    bytes_units: bool,
    what: &str,
) -> Result<u64, UnitError> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(UnitError::new(format!("{what} '{s}' is negative")));
    }
    let (d, suffix) = parse_decimal(t).ok_or_else(|| {
        UnitError::new(format!(
            "'{s}' is not a {what}: expected a number with an optional suffix, e.g. {}",
            if bytes_units {
                "512Mi, 2Gi, 1.5GB"
            } else {
                "500m, 2, 1.5"
            }
        ))
    })?;
    let mult = if let Some(e) = exponent(suffix) {
        if e >= 0 {
            (10u128.pow(e as u32), 1)
        } else {
            (1, 10u128.pow((-e) as u32))
        }
    } else {
        suffix_multiplier(suffix, bytes_units).ok_or_else(|| {
            UnitError::new(format!(
                "'{s}': unknown suffix '{suffix}' for a {what}; use {}",
                if bytes_units {
                    "Ki, Mi, Gi, Ti (powers of 1024), k, M, G, T (powers of 1000), or KiB/MiB/GiB, KB/MB/GB"
                } else {
                    "m (millicores) or none (cores), e.g. 250m or 1.5"
                }
            ))
        })?
    };
    scale_up(d, mult.0 * unit_scale, mult.1)
        .ok_or_else(|| UnitError::new(format!("{what} '{s}' is too large")))
}

macro_rules! string_serde {
    ($ty:ident, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(|e: UnitError| E::custom(e.message))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        // YAML/JSON give us the float; its shortest decimal form is the
                        // text the user wrote, so parse that exactly.
                        self.visit_str(&format!("{v}"))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// CPU in millicores (`500m` = 500, `2` = 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cpu(pub u64);

impl Cpu {
    /// Whole cores.
    pub const fn cores(n: u64) -> Cpu {
        Cpu(n * 1000)
    }
    /// The value in millicores.
    pub const fn millis(self) -> u64 {
        self.0
    }
}

impl FromStr for Cpu {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_quantity(s, 1000, false, "CPU quantity").map(Cpu)
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}
string_serde!(Cpu, "a CPU quantity such as 500m or 2");

/// A size in bytes (`512Mi`, `2Gi`, `1.5GB`, `1e9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl Bytes {
    /// `n` KiB.
    pub const fn kib(n: u64) -> Bytes {
        Bytes(n << 10)
    }
    /// `n` MiB.
    pub const fn mib(n: u64) -> Bytes {
        Bytes(n << 20)
    }
    /// `n` GiB.
    pub const fn gib(n: u64) -> Bytes {
        Bytes(n << 30)
    }
    /// The value in bytes.
    pub const fn get(self) -> u64 {
        self.0
    }
    /// Whole MiB, rounded down.
    pub const fn as_mib(self) -> u64 {
        self.0 >> 20
    }
}

impl FromStr for Bytes {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_quantity(s, 1, true, "size").map(Bytes)
    }
}

/// Displays with the largest binary suffix that divides the value exactly, so the text
/// parses back to the same number of bytes.
fn fmt_bytes(v: u64, f: &mut fmt::Formatter) -> fmt::Result {
    const UNITS: [(&str, u32); 5] = [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20)];
    if v == 0 {
        return f.write_str("0");
    }
    for (suffix, shift) in UNITS {
        if v % (1u64 << shift) == 0 {
            return write!(f, "{}{}", v >> shift, suffix);
        }
    }
    if v % 1024 == 0 {
        return write!(f, "{}Ki", v >> 10);
    }
    write!(f, "{v}")
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt_bytes(self.0, f)
    }
}
string_serde!(Bytes, "a size such as 512Mi, 2Gi or 1.5GB");

/// Bandwidth in bytes per second (`100MiB/s`, `1Gbps` is not accepted: write `125MB/s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth(pub u64);

impl Bandwidth {
    /// Bytes per second.
    pub const fn bytes_per_sec(self) -> u64 {
        self.0
    }
}

impl FromStr for Bandwidth {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        let t = s.trim();
        let body = t.strip_suffix("/s").ok_or_else(|| {
            UnitError::new(format!(
                "'{s}' is not a bandwidth: write bytes per second with '/s', e.g. 100MiB/s or 60MB/s"
            ))
        })?;
        let v = parse_quantity(body, 1, true, "bandwidth")?;
        if v == 0 {
            return Err(UnitError::new(format!("bandwidth '{s}' is zero")));
        }
        Ok(Bandwidth(v))
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt_bytes(self.0, f)?;
        f.write_str("/s")
    }
}
string_serde!(Bandwidth, "a bandwidth such as 100MiB/s");

/// A duration in milliseconds (`90s`, `10m`, `1h30m`, `250ms`, `1.5h`, `0`).
///
/// Units: `ms`, `s`, `m`, `h`, `d`. A bare number other than `0` is refused, because `10`
/// could mean seconds or minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration(0);
    /// From milliseconds.
    pub const fn ms(v: u64) -> Duration {
        Duration(v)
    }
    /// From seconds.
    pub const fn secs(v: u64) -> Duration {
        Duration(v * 1000)
    }
    /// From minutes.
    pub const fn mins(v: u64) -> Duration {
        Duration(v * 60_000)
    }
    /// From hours.
    pub const fn hours(v: u64) -> Duration {
        Duration(v * 3_600_000)
    }
    /// Milliseconds.
    pub const fn as_ms(self) -> u64 {
        self.0
    }
}

impl FromStr for Duration {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        let t = s.trim();
        if t == "0" {
            return Ok(Duration(0));
        }
        if t.starts_with('-') {
            return Err(UnitError::new(format!("duration '{s}' is negative")));
        }
        let bad = || {
            UnitError::new(format!(
                "'{s}' is not a duration: expected a number and a unit (ms, s, m, h, d), e.g. 90s, 10m, 1h30m"
            ))
        };
        let mut rest = t;
        let mut total: u128 = 0;
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let (d, after) = parse_decimal(rest).ok_or_else(bad)?;
            let unit_len = after
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(after.len());
            let unit = &after[..unit_len];
            let ms: u128 = match unit {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "" => return Err(bad()),
                _ => {
                    return Err(UnitError::new(format!(
                        "'{s}': unknown duration unit '{unit}'; use ms, s, m, h or d"
                    )))
                }
            };
            let v = scale_up(d, ms, 1)
                .ok_or_else(|| UnitError::new(format!("duration '{s}' is too long")))?;
            total += u128::from(v);
            rest = &after[unit_len..];
        }
        u64::try_from(total)
            .map(Duration)
            .map_err(|_| UnitError::new(format!("duration '{s}' is too long")))
    }
}

impl Duration {
    /// The span for people, to 0.1 s (`0.9s`, `12.3s`, `36m18.6s`, `1h02m05.0s`): the one
    /// duration format of every table, summary, report and event message. `Display` keeps
    /// the scenario spelling (`36m18s550ms`) that parses back.
    pub fn readable(self) -> String {
        let tenths = self.0.saturating_add(50) / 100;
        let (h, rest) = (tenths / 36_000, tenths % 36_000);
        let (m, rest) = (rest / 600, rest % 600);
        let (s, d) = (rest / 10, rest % 10);
        if h > 0 {
            format!("{h}h{m:02}m{s:02}.{d}s")
        } else if m > 0 {
            format!("{m}m{s:02}.{d}s")
        } else {
            format!("{s}.{d}s")
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        let h = ms / 3_600_000;
        ms %= 3_600_000;
        let m = ms / 60_000;
        ms %= 60_000;
        let s = ms / 1000;
        ms %= 1000;
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        if ms > 0 {
            write!(f, "{ms}ms")?;
        }
        Ok(())
    }
}
string_serde!(Duration, "a duration such as 90s, 10m or 1h30m");

/// A percentage with two decimals, stored in hundredths of a percent (`20%` = 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub u32);

impl Percent {
    /// As a fraction of one (20% -> 0.2). For reporting only.
    pub fn fraction(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl FromStr for Percent {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        let t = s.trim();
        let body = t.strip_suffix('%').unwrap_or(t);
        let (d, rest) = parse_decimal(body)
            .ok_or_else(|| UnitError::new(format!("'{s}' is not a percentage, e.g. 20%")))?;
        if !rest.is_empty() {
            return Err(UnitError::new(format!(
                "'{s}' is not a percentage, e.g. 20%"
            )));
        }
        let v = scale_up(d, 100, 1).ok_or_else(|| UnitError::new(format!("'{s}' is too large")))?;
        if v > 10_000 {
            return Err(UnitError::new(format!("'{s}' is over 100%")));
        }
        Ok(Percent(v as u32))
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0 % 100 == 0 {
            write!(f, "{}%", self.0 / 100)
        } else {
            write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
        }
    }
}
string_serde!(Percent, "a percentage such as 20%");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cpu_quantities() {
        let cases = [
            ("100m", 100),
            ("1.5", 1500),
            ("2", 2000),
            ("0.1", 100),
            ("1e3", 1_000_000),
            ("0.0001", 1),
            ("250m", 250),
            ("1k", 1_000_000),
            ("500000u", 500),
            ("1E-3", 1),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Cpu>().map(|c| c.0), Ok(want), "{s}");
        }
        for bad in ["", "m", "-1", "1x", "1Mi5", "abc", "1.2.3"] {
            assert!(bad.parse::<Cpu>().is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_quantities() {
        let cases = [
            ("2Gi", 2u64 << 30),
            ("512Mi", 512 << 20),
            ("1G", 1_000_000_000),
            ("1.5GB", 1_500_000_000),
            ("1.5GiB", 3 << 29),
            ("1e3", 1000),
            ("100", 100),
            ("0.5", 1),
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("123Mi", 123 << 20),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Bytes>().map(|c| c.0), Ok(want), "{s}");
        }
        assert!("1Zi".parse::<Bytes>().is_err());
        assert!("99999999999Ei".parse::<Bytes>().is_err());
    }

    #[test]
    fn bandwidths() {
        assert_eq!("100MiB/s".parse::<Bandwidth>(), Ok(Bandwidth(100 << 20)));
        assert_eq!("60MB/s".parse::<Bandwidth>(), Ok(Bandwidth(60_000_000)));
        assert!("100MiB".parse::<Bandwidth>().is_err());
        assert!("0/s".parse::<Bandwidth>().is_err());
    }

    #[test]
    fn durations() {
        let cases = [
            ("90s", 90_000),
            ("10m", 600_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1.5h", 5_400_000),
            ("0", 0),
            ("0s", 0),
            ("2d", 172_800_000),
            ("1m30s500ms", 90_500),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Duration>().map(|d| d.0), Ok(want), "{s}");
        }
        for bad in ["10", "-5s", "5x", "", "s", "1h-3m"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn percents() {
        assert_eq!("20%".parse::<Percent>(), Ok(Percent(2000)));
        assert_eq!("12.5%".parse::<Percent>(), Ok(Percent(1250)));
        assert_eq!("0".parse::<Percent>(), Ok(Percent(0)));
        assert!("101%".parse::<Percent>().is_err());
        assert_eq!(Percent(1250).to_string(), "12.50%");
    }

    #[test]
    fn serde_from_numbers_and_strings() {
        let c: Cpu = serde_json::from_str("2").unwrap();
        assert_eq!(c, Cpu(2000));
        let c: Cpu = serde_json::from_str("0.5").unwrap();
        assert_eq!(c, Cpu(500));
        let b: Bytes = serde_json::from_str("\"4Gi\"").unwrap();
        assert_eq!(b, Bytes::gib(4));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"4Gi\"");
        let d: Duration = serde_json::from_str("\"1h30m\"").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1h30m\"");
        let e = serde_json::from_str::<Duration>("10").unwrap_err();
        assert!(
            e.to_string().contains("expected a number and a unit"),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn cpu_round_trips(v in 0u64..10_000_000_000) {
            let c = Cpu(v);
            prop_assert_eq!(c.to_string().parse::<Cpu>(), Ok(c));
        }

        #[test]
        fn bytes_round_trip(v in any::<u64>()) {
            let b = Bytes(v);
            prop_assert_eq!(b.to_string().parse::<Bytes>(), Ok(b));
        }

        #[test]
        fn durations_round_trip(v in 0u64..(u64::MAX / 2)) {
            let d = Duration(v);
            prop_assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
        }

        #[test]
        fn decimal_cpu_is_exact(whole in 0u64..1000, frac in 0u64..1000) {
            let s = format!("{whole}.{frac:03}");
            prop_assert_eq!(s.parse::<Cpu>(), Ok(Cpu(whole * 1000 + frac)));
        }

        #[test]
        fn mebibytes_scale(n in 0u64..1_000_000) {
            prop_assert_eq!(format!("{n}Mi").parse::<Bytes>(), Ok(Bytes(n << 20)));
            prop_assert_eq!(format!("{n}MiB").parse::<Bytes>(), Ok(Bytes(n << 20)));
            prop_assert_eq!(format!("{n}M").parse::<Bytes>(), Ok(Bytes(n * 1_000_000)));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = s.parse::<Cpu>();
            let _ = s.parse::<Bytes>();
            let _ = s.parse::<Duration>();
            let _ = s.parse::<Bandwidth>();
            let _ = s.parse::<Percent>();
        }
    }
}

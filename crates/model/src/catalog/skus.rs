//! Azure VM sizes: specs and pay-as-you-go prices per region, read from the embedded
//! `data/azure-vm-skus.csv` (77 sizes x 4 regions; columns and caveats in
//! `docs/catalogs.md`).
//!
//! Specs come from Microsoft's size-series pages, prices from Azure Retail Prices API
//! snapshots of August 2026; every row names both sources and the price date, and both are
//! kept on the parsed values. Prices are reference data in USD per hour (f64), not simulated
//! quantities; everything else is exact.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::csv;
use super::CatalogError;
use crate::scenario::Os;
use crate::units::{Bandwidth, Bytes};

/// File name of the embedded SKU table, used in error messages.
pub(crate) const SKU_FILE: &str = "data/azure-vm-skus.csv";

/// CPU architecture of a VM size (`kubernetes.io/arch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// x86-64.
    Amd64,
    /// Arm64 (Ampere / Cobalt sizes such as Dpsv6).
    Arm64,
}

impl Arch {
    /// The `kubernetes.io/arch` label value.
    pub fn label(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// List prices of one size in one region, USD per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct SkuPrice {
    /// Linux on-demand. `None` where no clean source exists (see `docs/catalogs.md`).
    pub linux: Option<f64>,
    /// Windows on-demand (licence included).
    pub windows: Option<f64>,
    /// Linux Spot.
    pub linux_spot: Option<f64>,
    /// Windows Spot (empty for eastus and westus2: the source records none).
    pub windows_spot: Option<f64>,
    /// When the price source was captured (`YYYY-MM-DD`).
    pub date: String,
    /// The price source: repository@commit, file, capture time.
    pub source: String,
}

/// An Azure VM size and its prices by region.
#[derive(Debug, Clone, PartialEq)]
pub struct VmSku {
    /// ARM size name, e.g. `Standard_D4s_v5`.
    pub name: String,
    /// Series as named by the docs page, e.g. `Dsv5`, `Dpsv6 (Arm64)`.
    pub family: String,
    /// vCPUs.
    pub vcpu: u32,
    /// Nominal memory (the `kubernetes.azure.com/sku-memory` value AKS reserves against).
    pub memory: Bytes,
    /// Temp (resource) disk; zero when the series has no local storage.
    pub temp_disk: Bytes,
    /// Max network bandwidth in Mb/s across all NICs.
    pub network_mbps: Option<u32>,
    /// Uncached Premium SSD throughput cap in MB/s, rounded down to a whole MB/s (B2ms
    /// lists 22.5); [`VmSku::max_uncached_disk_bandwidth`] holds the exact value.
    pub max_uncached_disk_mbps: Option<u32>,
    /// Uncached Premium SSD IOPS cap.
    pub max_uncached_disk_iops: Option<u32>,
    /// The exact uncached throughput cap in bytes/s (decimal MB as Azure states it).
    pub max_uncached_disk_bandwidth: Option<Bandwidth>,
    /// Whether the series supports ephemeral OS disks (series-level feature list).
    pub ephemeral_os_disk: bool,
    /// `supported`, `not_supported` or `required`, as the docs page lists it.
    pub accelerated_networking: String,
    /// CPU architecture.
    pub arch: Arch,
    /// Takes Premium SSD data and OS disks (the `s` in the size name: Azure's VM naming
    /// conventions, MicrosoftDocs/azure-compute-docs `vm-naming-conventions.md`).
    pub premium_io: bool,
    /// GPUs per VM (0 for everything but the N-series).
    pub gpus: u32,
    /// Prices by region name (`eastus`, `westeurope`, ...).
    pub prices: BTreeMap<String, SkuPrice>,
    /// The spec source: docs page, commit and page date.
    pub source: String,
}

impl VmSku {
    /// On-demand price in USD/hour for `os` in `region`, if the catalog has one.
    pub fn price(&self, region: &str, os: Os) -> Option<f64> {
        let p = self.prices.get(region)?;
        match os {
            Os::Linux => p.linux,
            Os::Windows => p.windows,
        }
    }

    /// Spot price in USD/hour for `os` in `region`, if the catalog has one.
    pub fn spot_price(&self, region: &str, os: Os) -> Option<f64> {
        let p = self.prices.get(region)?;
        match os {
            Os::Linux => p.linux_spot,
            Os::Windows => p.windows_spot,
        }
    }

    /// Regions with a price row for this size.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.prices.keys().map(String::as_str)
    }
}

const COLUMNS: [&str; 17] = [
    "sku",
    "family",
    "vcpu",
    "memory_gib",
    "temp_disk_gib",
    "network_mbps",
    "max_uncached_disk_mbps",
    "max_uncached_disk_iops",
    "ephemeral_os_disk",
    "accelerated_networking",
    "region",
    "linux_usd_hour",
    "windows_usd_hour",
    "linux_spot_usd_hour",
    "windows_spot_usd_hour",
    "price_date",
    "source",
];

/// Parses the SKU CSV into sizes keyed by lower-case name.
pub(crate) fn parse_skus(text: &str) -> Result<BTreeMap<String, VmSku>, CatalogError> {
    let records = csv::parse(text).map_err(|e| CatalogError::Parse {
        file: SKU_FILE,
        location: format!("line {}", e.line),
        message: e.message,
    })?;
    let mut rows = records.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| invalid("line 1", "the file is empty"))?;
    if header.fields != COLUMNS {
        return Err(invalid(
            "line 1",
            &format!(
                "unexpected header; expected the columns {}",
                COLUMNS.join(",")
            ),
        ));
    }
    let mut skus: BTreeMap<String, VmSku> = BTreeMap::new();
    for rec in rows {
        let loc = format!("line {}", rec.line);
        if rec.fields.len() != COLUMNS.len() {
            return Err(invalid(
                &loc,
                &format!("{} fields, expected {}", rec.fields.len(), COLUMNS.len()),
            ));
        }
        let (sku, region, price) = parse_row(&rec.fields).map_err(|m| invalid(&loc, &m))?;
        let key = sku.name.to_ascii_lowercase();
        match skus.get_mut(&key) {
            Some(existing) => {
                if !same_specs(existing, &sku) {
                    return Err(invalid(
                        &loc,
                        &format!("{}: specs differ from an earlier row", sku.name),
                    ));
                }
                if existing.prices.insert(region.clone(), price).is_some() {
                    return Err(invalid(
                        &loc,
                        &format!("{}: region {region} listed twice", sku.name),
                    ));
                }
            }
            None => {
                let mut sku = sku;
                sku.prices.insert(region, price);
                skus.insert(key, sku);
            }
        }
    }
    Ok(skus)
}

fn invalid(location: &str, message: &str) -> CatalogError {
    CatalogError::Invalid {
        file: SKU_FILE,
        location: location.to_owned(),
        message: message.to_owned(),
    }
}

fn same_specs(a: &VmSku, b: &VmSku) -> bool {
    a.name == b.name
        && a.family == b.family
        && a.vcpu == b.vcpu
        && a.memory == b.memory
        && a.temp_disk == b.temp_disk
        && a.network_mbps == b.network_mbps
        && a.max_uncached_disk_bandwidth == b.max_uncached_disk_bandwidth
        && a.max_uncached_disk_iops == b.max_uncached_disk_iops
        && a.ephemeral_os_disk == b.ephemeral_os_disk
        && a.accelerated_networking == b.accelerated_networking
        && a.source == b.source
}

fn parse_row(f: &[String]) -> Result<(VmSku, String, SkuPrice), String> {
    let name = f[0].trim();
    if !name.starts_with("Standard_") {
        return Err(format!("size name '{name}' does not start with Standard_"));
    }
    let family = f[1].trim().to_owned();
    let vcpu = parse_u32(&f[2], "vcpu")?;
    if vcpu == 0 {
        return Err("vcpu is 0".to_owned());
    }
    let memory = parse_size(&f[3], "Gi", "memory_gib")?;
    let temp_disk = parse_size(&f[4], "Gi", "temp_disk_gib")?;
    let network_mbps = opt(&f[5])
        .map(|v| parse_u32(v, "network_mbps"))
        .transpose()?;
    let max_uncached_disk_bandwidth = opt(&f[6])
        .map(|v| {
            format!("{v}MB/s")
                .parse::<Bandwidth>()
                .map_err(|e| format!("max_uncached_disk_mbps: {e}"))
        })
        .transpose()?;
    let max_uncached_disk_mbps = max_uncached_disk_bandwidth
        .map(|b| u32::try_from(b.bytes_per_sec() / 1_000_000))
        .transpose()
        .map_err(|_| "max_uncached_disk_mbps is too large".to_owned())?;
    let max_uncached_disk_iops = opt(&f[7])
        .map(|v| parse_u32(v, "max_uncached_disk_iops"))
        .transpose()?;
    let ephemeral_os_disk = match f[8].trim() {
        "supported" | "required" => true,
        "not_supported" => false,
        other => {
            return Err(format!(
                "ephemeral_os_disk '{other}' is not supported/not_supported"
            ))
        }
    };
    let accelerated_networking = f[9].trim().to_owned();
    let region = f[10].trim().to_owned();
    if region.is_empty() {
        return Err("region is empty".to_owned());
    }
    // The docs name Arm64 series explicitly ("Dpsv6 (Arm64)"); every other listed series
    // is x86-64.
    let arch = if family.contains("Arm64") {
        Arch::Arm64
    } else {
        Arch::Amd64
    };
    let date = f[15].trim().to_owned();
    if !is_iso_date(&date) {
        return Err(format!("price_date '{date}' is not YYYY-MM-DD"));
    }
    let source = f[16].trim();
    let (price_source, spec_source) = source
        .rsplit_once("; specs: ")
        .ok_or_else(|| "source does not name 'prices: ...; specs: ...'".to_owned())?;
    let price_source = price_source
        .strip_prefix("prices: ")
        .unwrap_or(price_source)
        .to_owned();
    let price = SkuPrice {
        linux: parse_price(&f[11], "linux_usd_hour")?,
        windows: parse_price(&f[12], "windows_usd_hour")?,
        linux_spot: parse_price(&f[13], "linux_spot_usd_hour")?,
        windows_spot: parse_price(&f[14], "windows_spot_usd_hour")?,
        date,
        source: price_source,
    };
    let premium_io = premium_io_from_name(name, &family);
    let sku = VmSku {
        name: name.to_owned(),
        family,
        vcpu,
        memory,
        temp_disk,
        network_mbps,
        max_uncached_disk_mbps,
        max_uncached_disk_iops,
        max_uncached_disk_bandwidth,
        ephemeral_os_disk,
        accelerated_networking,
        arch,
        premium_io,
        gpus: gpus_of(name),
        prices: BTreeMap::new(),
        source: spec_source.to_owned(),
    };
    Ok((sku, region, price))
}

/// Premium storage from the size name: the additive feature letters after the vCPU count
/// contain `s` (`D4s_v5`, `E8ads_v5`), or the series is an `S` one (`DS3_v2`)
/// (MicrosoftDocs/azure-compute-docs `virtual-machines/vm-naming-conventions.md`).
fn premium_io_from_name(name: &str, family: &str) -> bool {
    let body = name.strip_prefix("Standard_").unwrap_or(name);
    let head = body.split('_').next().unwrap_or(body);
    let features: String = head
        .trim_start_matches(|c: char| c.is_ascii_uppercase())
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    features.contains('s') || family.starts_with("DS") || family.starts_with("GS")
}

/// GPUs of the N-series sizes the table holds: one GPU on NCasT4_v3 up to 16 vCPU (four on
/// NC64as_T4_v3) and one per 6 vCPU on NCv3 (MicrosoftDocs/azure-compute-docs
/// `sizes/gpu-accelerated/ncast4v3-series.md`, `ncv3-series.md`). Other sizes: none.
fn gpus_of(name: &str) -> u32 {
    let body = name.strip_prefix("Standard_").unwrap_or(name);
    if !body.starts_with('N') {
        return 0;
    }
    let digits: String = body
        .trim_start_matches(|c: char| c.is_ascii_uppercase())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let vcpu: u32 = digits.parse().unwrap_or(0);
    if body.contains("_T4_") {
        if vcpu >= 64 {
            4
        } else {
            1
        }
    } else {
        (vcpu / 6).max(1)
    }
}

fn opt(v: &str) -> Option<&str> {
    let t = v.trim();
    (!t.is_empty()).then_some(t)
}

fn parse_u32(v: &str, col: &str) -> Result<u32, String> {
    v.trim()
        .parse::<u32>()
        .map_err(|_| format!("{col} '{v}' is not a whole number"))
}

fn parse_size(v: &str, suffix: &str, col: &str) -> Result<Bytes, String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(format!("{col} is empty"));
    }
    format!("{t}{suffix}")
        .parse::<Bytes>()
        .map_err(|e| format!("{col}: {e}"))
}

fn parse_price(v: &str, col: &str) -> Result<Option<f64>, String> {
    let Some(t) = opt(v) else {
        return Ok(None);
    };
    let p: f64 = t
        .parse()
        .map_err(|_| format!("{col} '{t}' is not a number"))?;
    if !p.is_finite() || p <= 0.0 {
        return Err(format!("{col} '{t}' is not a positive price"));
    }
    Ok(Some(p))
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "sku,family,vcpu,memory_gib,temp_disk_gib,network_mbps,max_uncached_disk_mbps,max_uncached_disk_iops,ephemeral_os_disk,accelerated_networking,region,linux_usd_hour,windows_usd_hour,linux_spot_usd_hour,windows_spot_usd_hour,price_date,source\n";

    fn row(region: &str, vcpu: &str, linux: &str) -> String {
        format!(
            "Standard_X4s_v9,Xsv9,{vcpu},16,0,12500,22.5,6400,not_supported,required,{region},{linux},0.376,,,2026-08-01,\"prices: p@1 (fetched 2026-08-01); specs: s@2\"\n"
        )
    }

    #[test]
    fn rows_of_one_size_merge_by_region() {
        let text = format!(
            "{HEADER}{}{}",
            row("eastus", "4", "0.192"),
            row("westus2", "4", "")
        );
        let skus = parse_skus(&text).unwrap();
        let s = &skus["standard_x4s_v9"];
        assert_eq!(s.vcpu, 4);
        assert_eq!(s.memory, Bytes::gib(16));
        assert_eq!(s.max_uncached_disk_mbps, Some(22));
        assert_eq!(s.max_uncached_disk_bandwidth, Some(Bandwidth(22_500_000)));
        assert_eq!(s.source, "s@2");
        assert_eq!(s.prices["eastus"].source, "p@1 (fetched 2026-08-01)");
        assert_eq!(s.price("eastus", Os::Linux), Some(0.192));
        assert_eq!(s.price("westus2", Os::Linux), None);
        assert_eq!(s.price("westus2", Os::Windows), Some(0.376));
        assert_eq!(s.price("mars", Os::Windows), None);
        assert_eq!(s.regions().collect::<Vec<_>>(), ["eastus", "westus2"]);
        assert!(s.premium_io);
        assert_eq!(s.gpus, 0);
    }

    #[test]
    fn premium_storage_and_gpus_from_names() {
        assert!(premium_io_from_name("Standard_D4s_v5", "Dsv5"));
        assert!(premium_io_from_name("Standard_E8ads_v5", "Eadsv5"));
        assert!(premium_io_from_name("Standard_DS3_v2", "DSv2"));
        assert!(premium_io_from_name("Standard_NC6s_v3", "NCv3"));
        assert!(!premium_io_from_name("Standard_D4_v5", "Dv5"));
        assert!(!premium_io_from_name("Standard_D4a_v4", "Dav4"));
        assert_eq!(gpus_of("Standard_NC4as_T4_v3"), 1);
        assert_eq!(gpus_of("Standard_NC64as_T4_v3"), 4);
        assert_eq!(gpus_of("Standard_NC12s_v3"), 2);
        assert_eq!(gpus_of("Standard_D4s_v5"), 0);
    }

    #[test]
    fn inconsistent_or_malformed_rows_are_refused() {
        let cases = [
            (
                format!(
                    "{HEADER}{}{}",
                    row("eastus", "4", "1"),
                    row("westus2", "8", "1")
                ),
                "specs differ",
            ),
            (
                format!(
                    "{HEADER}{}{}",
                    row("eastus", "4", "1"),
                    row("eastus", "4", "1")
                ),
                "twice",
            ),
            (
                format!("{HEADER}{}", row("eastus", "four", "1")),
                "whole number",
            ),
            (
                format!("{HEADER}{}", row("eastus", "4", "-1")),
                "positive price",
            ),
            (format!("{HEADER}{}", row("eastus", "0", "1")), "vcpu is 0"),
            ("sku,family\n".to_owned(), "unexpected header"),
            (format!("{HEADER}a,b\n"), "2 fields"),
        ];
        for (text, want) in cases {
            let e = parse_skus(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
    }
}

//! Azure VM sizes: specs and pay-as-you-go prices per region.
//!
//! Two embedded tables (columns, sources and caveats in `crates/model/data/README.md` and
//! `docs/catalogs.md`):
//! - `data/azure-vm-skus.csv`: 77 hand-checked sizes x 4 regions, specs from Microsoft's
//!   size-series pages and Azure Retail Prices API snapshots of August 2026, every row
//!   naming its sources. Where it and the full table disagree, it wins.
//! - `data/vm-sizes.csv` + `data/vm-prices.csv` ([`parse_full`]): every size the Azure
//!   Resource SKUs API and karpenter-provider-azure know (specs, AKS eligibility) and
//!   Linux, Windows and Spot prices in every region they publish.
//!
//! Prices are reference data in USD per hour (f64), not simulated quantities; everything
//! else is exact.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::index::EmbeddedIndex;
use super::CatalogError;
use super::{csv, split};
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

/// Where a Windows price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceBasis {
    /// A published Azure Retail Prices API meter.
    Published,
    /// Linux + the Windows Server licence rule (k x vCPU; `docs/catalogs.md`).
    Rule,
}

impl PriceBasis {
    /// `published` / `rule`.
    pub fn label(self) -> &'static str {
        match self {
            PriceBasis::Published => "published",
            PriceBasis::Rule => "rule",
        }
    }
}

/// List prices of one size in one region, USD per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct SkuPrice {
    /// Linux on-demand. `None` where no clean source exists (see `docs/catalogs.md`).
    pub linux: Option<f64>,
    /// Windows on-demand (licence included).
    pub windows: Option<f64>,
    /// Whether `windows` is a published meter or the licence rule; `None` without one.
    pub windows_basis: Option<PriceBasis>,
    /// Linux Spot.
    pub linux_spot: Option<f64>,
    /// Windows Spot (empty for eastus and westus2: the source records none).
    pub windows_spot: Option<f64>,
    /// When the price source was captured (`YYYY-MM-DD`).
    pub date: Arc<str>,
    /// The price source: repository@commit, file, capture time.
    pub source: Arc<str>,
}

/// A size's prices by region name, read like a `BTreeMap<String, SkuPrice>` (it
/// dereferences to one). For the embedded full price table the size's rows are parsed on
/// first use, not when the catalog loads (`docs/performance.md`, "Parsing the embedded
/// catalog"); rows given up front (the hand-checked table) win over them.
#[derive(Clone, Default)]
pub struct SkuPrices {
    /// Rows known up front; they win over `lazy` rows of the same region.
    eager: BTreeMap<String, SkuPrice>,
    /// This size's rows of the embedded full price table, unparsed, and the line number
    /// of the first (for errors).
    lazy: Option<(&'static str, usize)>,
    /// `eager` merged over the parsed `lazy` rows, on first use.
    merged: OnceLock<BTreeMap<String, SkuPrice>>,
}

impl SkuPrices {
    /// Adds a region's row known up front; returns the row it replaces.
    pub fn insert(&mut self, region: String, price: SkuPrice) -> Option<SkuPrice> {
        self.merged = OnceLock::new();
        self.eager.insert(region, price)
    }

    /// Adds `other`'s rows for the regions this one lacks (its lazy block included).
    pub(crate) fn fill_from(&mut self, other: SkuPrices) {
        self.merged = OnceLock::new();
        if self.lazy.is_none() {
            self.lazy = other.lazy;
        }
        for (region, price) in other.eager {
            self.eager.entry(region).or_insert(price);
        }
    }

    /// This size's unparsed block of the embedded price table and its first line.
    #[cfg(test)]
    pub(crate) fn lazy_block(&self) -> Option<(&'static str, usize)> {
        self.lazy
    }

    /// Regions of the rows known up front (not those of the lazy block).
    pub(crate) fn eager_regions(&self) -> impl Iterator<Item = &str> {
        self.eager.keys().map(String::as_str)
    }

    /// Parses the lazy rows now; an error names the line of the embedded table.
    pub(crate) fn check(&self) -> Result<(), CatalogError> {
        match self.lazy {
            Some((block, line)) => parse_price_block(block, line).map(|_| ()),
            None => Ok(()),
        }
    }

    fn map(&self) -> &BTreeMap<String, SkuPrice> {
        let Some((block, line)) = self.lazy else {
            return &self.eager;
        };
        self.merged.get_or_init(|| {
            let mut rows = match parse_price_block(block, line) {
                Ok(rows) => rows,
                // The block was split by `parse_full_lazy`; `Catalog::check_prices` (run by
                // the unit tests) parses every block, so this never ships.
                Err(e) => panic!("poolcast's embedded price table is invalid (a bug): {e}"),
            };
            for (region, price) in &self.eager {
                rows.insert(region.clone(), price.clone());
            }
            rows
        })
    }
}

impl Deref for SkuPrices {
    type Target = BTreeMap<String, SkuPrice>;
    fn deref(&self) -> &Self::Target {
        self.map()
    }
}

impl PartialEq for SkuPrices {
    fn eq(&self, other: &Self) -> bool {
        self.map() == other.map()
    }
}

impl fmt::Debug for SkuPrices {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Debug::fmt(self.map(), f)
    }
}

impl FromIterator<(String, SkuPrice)> for SkuPrices {
    fn from_iter<I: IntoIterator<Item = (String, SkuPrice)>>(iter: I) -> Self {
        SkuPrices {
            eager: iter.into_iter().collect(),
            ..SkuPrices::default()
        }
    }
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
    /// Premium SSD support (`PremiumIO`); `None` when the source does not say.
    pub premium_io: Option<bool>,
    /// GPUs; `None` when the source does not say.
    pub gpus: Option<u32>,
    /// AKS accepts the size for a User pool (>= 2 vCPUs, not Basic or restricted).
    pub aks_user: bool,
    /// AKS accepts the size for a System pool (>= 4 vCPUs, >= 4 GiB, not B-series).
    pub aks_system: bool,
    /// Prices by region name (`eastus`, `westeurope`, ...).
    pub prices: SkuPrices,
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

    /// Where the Windows price of `region` comes from.
    pub fn windows_basis(&self, region: &str) -> Option<PriceBasis> {
        self.prices.get(region)?.windows_basis
    }

    /// Whether AKS accepts this size for a pool of `mode`.
    pub fn aks_allowed(&self, mode: crate::scenario::PoolMode) -> bool {
        match mode {
            crate::scenario::PoolMode::User => self.aks_user,
            crate::scenario::PoolMode::System => self.aks_system,
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
    skus_from_records(records.iter().map(|r| {
        (
            r.line,
            r.fields.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }))
}

/// The SKU CSV's records (header first), each with its line, into sizes keyed by
/// lower-case name: the text path splits them with [`csv::parse`], the embedded index
/// holds them split at build time.
pub(crate) fn skus_from_records<'a, F: AsRef<[&'a str]>>(
    records: impl IntoIterator<Item = (usize, F)>,
) -> Result<BTreeMap<String, VmSku>, CatalogError> {
    let mut rows = records.into_iter();
    let (_, header) = rows
        .next()
        .ok_or_else(|| invalid("line 1", "the file is empty"))?;
    if header.as_ref() != COLUMNS {
        return Err(invalid(
            "line 1",
            &format!(
                "unexpected header; expected the columns {}",
                COLUMNS.join(",")
            ),
        ));
    }
    let mut skus: BTreeMap<String, VmSku> = BTreeMap::new();
    for (line, fields) in rows {
        let fields = fields.as_ref();
        let loc = format!("line {line}");
        if fields.len() != COLUMNS.len() {
            return Err(invalid(
                &loc,
                &format!("{} fields, expected {}", fields.len(), COLUMNS.len()),
            ));
        }
        let (sku, region, price) = parse_row(fields).map_err(|m| invalid(&loc, &m))?;
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

fn parse_row(f: &[&str]) -> Result<(VmSku, String, SkuPrice), String> {
    let name = f[0].trim();
    if !name.starts_with("Standard_") {
        return Err(format!("size name '{name}' does not start with Standard_"));
    }
    let family = f[1].trim().to_owned();
    let vcpu = parse_u32(f[2], "vcpu")?;
    if vcpu == 0 {
        return Err("vcpu is 0".to_owned());
    }
    let memory = parse_size(f[3], "Gi", "memory_gib")?;
    let temp_disk = parse_size(f[4], "Gi", "temp_disk_gib")?;
    let network_mbps = opt(f[5])
        .map(|v| parse_u32(v, "network_mbps"))
        .transpose()?;
    let max_uncached_disk_bandwidth = opt(f[6])
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
    let max_uncached_disk_iops = opt(f[7])
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
    let windows = parse_price(f[12], "windows_usd_hour")?;
    let price = SkuPrice {
        linux: parse_price(f[11], "linux_usd_hour")?,
        windows,
        windows_basis: windows.map(|_| PriceBasis::Published),
        linux_spot: parse_price(f[13], "linux_spot_usd_hour")?,
        windows_spot: parse_price(f[14], "windows_spot_usd_hour")?,
        date: date.into(),
        source: price_source.into(),
    };
    let aks_user =
        super::aks::vm_size_allowed(vcpu, memory, &family, crate::scenario::PoolMode::User);
    let aks_system = system_pool_ok(vcpu, memory, &family);
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
        premium_io: None,
        gpus: None,
        aks_user,
        aks_system,
        prices: SkuPrices::default(),
        source: spec_source.to_owned(),
    };
    Ok((sku, region, price))
}

/// The AKS cluster-management fee per cluster-hour, USD: Free 0; Standard 0.10 (the
/// Uptime SLA price since its launch, Microsoft Tech Community "AKS introduces Uptime SLA",
/// 2020-05-13; AKSDOCS `free-standard-pricing-tiers.md`); Premium 0.60 (Standard plus
/// long-term support, azure.microsoft.com/pricing/details/kubernetes-service, read
/// 2026-08; [U] not re-checked against the Retail Prices API).
pub fn aks_tier_fee_per_hour(tier: crate::scenario::AksTier) -> f64 {
    match tier {
        crate::scenario::AksTier::Free => 0.0,
        crate::scenario::AksTier::Standard => 0.10,
        crate::scenario::AksTier::Premium => 0.60,
    }
}

/// AKS's System-pool minimum as of MicrosoftDocs/azure-aks-docs `use-system-pools.md`
/// (ms.date 2026-04-30): at least 4 vCPUs and 4 GB of memory, and no B-series (older
/// revisions said 2 vCPUs; `catalog::aks::MIN_SYSTEM_VM` applies the same minimum).
pub fn system_pool_ok(vcpu: u32, memory: Bytes, family: &str) -> bool {
    vcpu >= 4 && memory >= Bytes::gib(4) && !family.starts_with('B')
}

/// File name of the full size table, used in error messages.
pub(crate) const SIZES_FILE: &str = "data/vm-sizes.csv";
/// File name of the full price table, used in error messages.
pub(crate) const PRICES_FILE: &str = "data/vm-prices.csv";

/// Spec source of `spec = rs` rows.
pub const RESOURCE_SKU_SOURCE: &str = "Azure Resource SKUs API (capabilities vCPUs, vCPUsAvailable, MemoryGB, CpuArchitectureType, PremiumIO, EphemeralOSDiskSupported, AcceleratedNetworkingEnabled) as recorded by DarrenJohns/djtools-azure-vm-sku-locator@f31f81713de7a6c28fd9042ebfbacf1fd71ec5f9 data/<region>.json (lastUpdated 2026-08-01)";
/// Spec source of `spec = fk` rows.
pub const KARPENTER_SKU_SOURCE: &str = "Azure Resource SKUs API records in Azure/karpenter-provider-azure@352646f599290c3a6d2f9710fb535a7b288f88ed pkg/fake/zz_generated.sku.*.go (generated 2023-11-10 to 2025-06-03)";
/// Source of the full price table.
pub const FULL_PRICE_SOURCE: &str = "Linux: Azure/karpenter-provider-azure@352646f599290c3a6d2f9710fb535a7b288f88ed pkg/providers/pricing/zz_generated.pricing.go (Azure Retail Prices API, generated 2026-06-18T03:43:41Z; Windows meters stored as Linux corrected); Windows and Spot: DarrenJohns/djtools-azure-vm-sku-locator@f31f81713de7a6c28fd9042ebfbacf1fd71ec5f9 data/<region>-pricing-USD.json (Azure Retail Prices API, fetched 2026-08-01); Windows by the licence rule where no meter is published";
/// Capture date of the full price table's Linux prices.
pub const FULL_PRICE_DATE: &str = "2026-06-18";

/// The full size and price tables: sizes with specs keyed by lower-case name, the names
/// of sizes known only by name (no specs; not usable without an inline size), and the
/// regions with a price row for a size with specs.
#[derive(Debug, Clone, Default)]
pub(crate) struct FullTables {
    pub skus: BTreeMap<String, VmSku>,
    pub names_only: BTreeMap<String, String>,
    pub regions: std::collections::BTreeSet<String>,
}

fn bad(file: &'static str, line: usize, message: String) -> CatalogError {
    CatalogError::Invalid {
        file,
        location: format!("line {line}"),
        message,
    }
}

/// Parses `data/vm-sizes.csv` and `data/vm-prices.csv` (plain comma-separated, no quoting;
/// columns in `crates/model/data/README.md`), every price row now.
pub(crate) fn parse_full(sizes: &str, prices: &str) -> Result<FullTables, CatalogError> {
    let mut out = parse_sizes(sizes)?;
    for block in price_blocks(prices)? {
        if let Some(sku) = out.skus.get_mut(&block.name.to_ascii_lowercase()) {
            let rows = parse_price_block(&prices[block.start..block.end], block.line)?;
            out.regions.extend(rows.keys().cloned());
            sku.prices = rows.into_iter().collect();
        }
    }
    Ok(out)
}

/// [`parse_full`] for the embedded tables: the price table is only split into one block
/// per size (and its regions noted); a size's rows are parsed when its prices are first
/// read ([`SkuPrices`]). [`SkuPrices::check`] parses a block now.
pub(crate) fn parse_full_lazy(
    sizes: &str,
    prices: &'static str,
) -> Result<FullTables, CatalogError> {
    let mut out = parse_sizes(sizes)?;
    let mut regions: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for block in price_blocks(prices)? {
        if let Some(sku) = out.skus.get_mut(&block.name.to_ascii_lowercase()) {
            let text = &prices[block.start..block.end];
            for region in split::block_regions(text) {
                if !regions.contains(region) {
                    regions.insert(region);
                }
            }
            sku.prices = SkuPrices {
                lazy: Some((text, block.line)),
                ..SkuPrices::default()
            };
        }
    }
    out.regions = regions.into_iter().map(str::to_owned).collect();
    Ok(out)
}

/// [`parse_full_lazy`] from the tables split at build time: the size rows come pre-split
/// and the price blocks as byte ranges of `prices` with their regions, so nothing is
/// tokenised here. `None` when the index does not fit `prices` (it always does when
/// built from the same file; the caller then takes the text path).
pub(crate) fn parse_full_indexed(
    index: &EmbeddedIndex,
    prices: &'static str,
) -> Option<Result<FullTables, CatalogError>> {
    let mut out = match sizes_from_rows(index.size_rows.iter().copied()) {
        Ok(out) => out,
        Err(e) => return Some(Err(e)),
    };
    let mut seen = vec![0u64; index.price_regions.len().div_ceil(64)];
    for block in index.price_blocks {
        if let Some(sku) = out.skus.get_mut(&block.name.to_ascii_lowercase()) {
            let text = prices.get(block.start..block.end)?;
            if seen.len() != block.regions.len() {
                return None;
            }
            for (s, r) in seen.iter_mut().zip(block.regions) {
                *s |= r;
            }
            sku.prices = SkuPrices {
                lazy: Some((text, block.line)),
                ..SkuPrices::default()
            };
        }
    }
    out.regions = index
        .price_regions
        .iter()
        .enumerate()
        .filter(|&(i, _)| seen[i / 64] & (1 << (i % 64)) != 0)
        .map(|(_, r)| (*r).to_owned())
        .collect();
    Some(Ok(out))
}

fn parse_sizes(sizes: &str) -> Result<FullTables, CatalogError> {
    let rows = split::size_rows(sizes).map_err(|e| bad(SIZES_FILE, e.line, e.message))?;
    sizes_from_rows(rows)
}

/// The size table's rows after its header (line, fields) into sizes with specs and sizes
/// known by name only.
fn sizes_from_rows<'a, F: AsRef<[&'a str]>>(
    rows: impl IntoIterator<Item = (usize, F)>,
) -> Result<FullTables, CatalogError> {
    let mut out = FullTables::default();
    for (line, f) in rows {
        let f = f.as_ref();
        if f.len() != 16 {
            return Err(bad(
                SIZES_FILE,
                line,
                format!("{} fields, expected 16", f.len()),
            ));
        }
        let key = f[0].to_ascii_lowercase();
        if f[15].is_empty() {
            out.names_only.insert(key, f[0].to_owned());
            continue;
        }
        let sku = full_size(f).map_err(|m| bad(SIZES_FILE, line, format!("{}: {m}", f[0])))?;
        if out.skus.insert(key, sku).is_some() {
            return Err(bad(SIZES_FILE, line, format!("{} listed twice", f[0])));
        }
    }
    Ok(out)
}

fn price_blocks(prices: &str) -> Result<Vec<split::PriceBlock<'_>>, CatalogError> {
    split::price_blocks(prices).map_err(|e| bad(PRICES_FILE, e.line, e.message))
}

/// Parses one size's block of price rows, `first_line` being the line number of its first.
fn parse_price_block(
    block: &str,
    first_line: usize,
) -> Result<BTreeMap<String, SkuPrice>, CatalogError> {
    let date: Arc<str> = FULL_PRICE_DATE.into();
    let source: Arc<str> = FULL_PRICE_SOURCE.into();
    let mut rows: Vec<(String, SkuPrice)> = Vec::with_capacity(64);
    for (i, line) in block.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let n = first_line + i;
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 6 {
            return Err(bad(
                PRICES_FILE,
                n,
                format!("{} fields, expected 6", f.len()),
            ));
        }
        let row = || -> Result<SkuPrice, String> {
            let windows = parse_price(f[3], "windows")?;
            let windows_basis = match (windows, f[4]) {
                (None, "") => None,
                (Some(_), "p") => Some(PriceBasis::Published),
                (Some(_), "r") => Some(PriceBasis::Rule),
                _ => {
                    return Err(format!(
                        "windows_basis '{}' does not fit the windows price",
                        f[4]
                    ))
                }
            };
            Ok(SkuPrice {
                linux: parse_price(f[2], "linux")?,
                windows,
                windows_basis,
                linux_spot: parse_price(f[5], "spot")?,
                windows_spot: None,
                date: date.clone(),
                source: source.clone(),
            })
        };
        let price = row().map_err(|m| bad(PRICES_FILE, n, format!("{}: {m}", f[0])))?;
        // Regions are sorted within a size; a repeat is adjacent.
        if rows.last().is_some_and(|(r, _)| r.as_str() >= f[1]) {
            return Err(bad(
                PRICES_FILE,
                n,
                format!("{}: region {} repeated or out of order", f[0], f[1]),
            ));
        }
        rows.push((f[1].to_owned(), price));
    }
    Ok(rows.into_iter().collect())
}

fn full_size(f: &[&str]) -> Result<VmSku, String> {
    let flag = |v: &str, col: &str| -> Result<Option<bool>, String> {
        match v {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            "" | "unknown" => Ok(None),
            other => Err(format!("{col} '{other}' is not true/false")),
        }
    };
    let vcpu_parent = parse_u32(f[2], "vcpus")?;
    // The node sees the active vCPUs of a constrained-core size (E32-16s_v3: 16).
    let vcpu = match opt(f[3]) {
        Some(v) => parse_u32(v, "vcpus_available")?,
        None => vcpu_parent,
    };
    if vcpu == 0 {
        return Err("vcpus is 0".to_owned());
    }
    let memory = parse_size(f[4], "Gi", "memory_gib")?;
    let arch = match f[5] {
        "amd64" => Arch::Amd64,
        "arm64" => Arch::Arm64,
        other => return Err(format!("arch '{other}' is not amd64/arm64")),
    };
    let temp_disk = match opt(f[8]) {
        Some(v) => parse_size(v, "Gi", "temp_disk_gib")?,
        None => Bytes(0),
    };
    let max_uncached_disk_bandwidth = opt(f[11])
        .map(|v| {
            format!("{v}MB/s")
                .parse::<Bandwidth>()
                .map_err(|e| format!("uncached_disk_mbps: {e}"))
        })
        .transpose()?;
    let source = match f[15] {
        "rs" => RESOURCE_SKU_SOURCE,
        "fk" => KARPENTER_SKU_SOURCE,
        other => return Err(format!("spec '{other}' is not rs/fk")),
    };
    Ok(VmSku {
        name: f[0].to_owned(),
        family: f[1].to_owned(),
        vcpu,
        memory,
        temp_disk,
        network_mbps: None,
        max_uncached_disk_mbps: max_uncached_disk_bandwidth
            .map(|b| u32::try_from(b.bytes_per_sec() / 1_000_000).unwrap_or(u32::MAX)),
        max_uncached_disk_iops: opt(f[12])
            .map(|v| parse_u32(v, "uncached_disk_iops"))
            .transpose()?,
        max_uncached_disk_bandwidth,
        ephemeral_os_disk: flag(f[7], "ephemeral_os_disk")?.unwrap_or(false),
        accelerated_networking: match flag(f[9], "accelerated_networking")? {
            Some(true) => "supported",
            Some(false) => "not_supported",
            None => "",
        }
        .to_owned(),
        arch,
        premium_io: flag(f[6], "premium_io")?,
        gpus: opt(f[10]).map(|v| parse_u32(v, "gpus")).transpose()?,
        aks_user: flag(f[13], "aks")?.unwrap_or(false),
        aks_system: flag(f[14], "aks_system")?.unwrap_or(false),
        prices: SkuPrices::default(),
        source: source.to_owned(),
    })
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
        assert_eq!(&*s.prices["eastus"].source, "p@1 (fetched 2026-08-01)");
        assert_eq!(s.windows_basis("eastus"), Some(PriceBasis::Published));
        assert_eq!(s.price("eastus", Os::Linux), Some(0.192));
        assert_eq!(s.price("westus2", Os::Linux), None);
        assert_eq!(s.price("westus2", Os::Windows), Some(0.376));
        assert_eq!(s.price("mars", Os::Windows), None);
        assert_eq!(s.regions().collect::<Vec<_>>(), ["eastus", "westus2"]);
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

//! What a node's OS disk costs: the managed-disk SKU AKS gives a VM size (Premium SSD on
//! sizes that support premium storage, else Standard SSD `[U]`), its size tier, and the
//! tier's monthly list price, prorated per node-hour (monthly price / 730 h). An ephemeral
//! OS disk lives on the VM's own temp disk and costs nothing extra.
//!
//! Sources (docs/sources.md, "OS disk prices"):
//! - Disk SKU: AKS has no OS-disk storage-type setting; the type follows the VM size:
//!   Premium SSD v1 for premium-capable sizes (Azure/AKS#580, comment of 2018-08-07:
//!   "If you select e.g. a Standard_D2s_v3 then the OS disk type is Premium managed. If
//!   you select a Standard_D2_v2 then the OS disk type is Standard managed"; Azure/AKS#5324,
//!   2025-10-07: "typically results in Premium SSD v1 for premium-capable VMs"). Whether
//!   "Standard managed" is Standard SSD or Standard HDD is not documented; poolcast prices
//!   it as Standard SSD `[U]` (infracost prices it as Standard HDD, infracost#2547). The
//!   catalog's `premium_io` (Resource SKUs `PremiumIO`) says which sizes are
//!   premium-capable; sizes without it follow the size-name rule (an `s` feature letter,
//!   or the DS/GS/M families; Azure VM naming conventions).
//! - Tiers: the AKS default managed OS disk by vCPU (P10 128 GiB ... P30 1 TiB,
//!   AKSDOCS `concepts-storage.md`), or the smallest tier holding `osDisk.sizeGiB`;
//!   a Standard SSD of the same size is E10/E15/E20/E30.
//! - Prices: Azure Retail Prices API (`serviceName eq 'Storage'`, products "Premium SSD
//!   Managed Disks" and "Standard SSD Managed Disks", meters "<tier> LRS Disk",
//!   `unitOfMeasure` "1/Month", `type` Consumption), East US only; see [`PRICES`]. Other
//!   regions use the East US price, labelled `estimated` in every output.

use super::disks::NodeOsDisk;
use super::skus::VmSku;
use crate::scenario::OsDiskType;

/// Hours in Azure's pricing month (monthly disk prices are prorated over it).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The region whose disk prices are sourced; every other region borrows them.
pub const SOURCED_REGION: &str = "eastus";

/// Managed-disk product of an OS disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiskSku {
    /// Premium SSD (v1), `Premium_LRS`, P tiers.
    PremiumSsd,
    /// Standard SSD, `StandardSSD_LRS`, E tiers.
    StandardSsd,
}

impl DiskSku {
    /// `Premium SSD`, `Standard SSD`.
    pub fn label(self) -> &'static str {
        match self {
            DiskSku::PremiumSsd => "Premium SSD",
            DiskSku::StandardSsd => "Standard SSD",
        }
    }
}

/// One sourced list price: (tier, USD per month, source).
pub type PriceRow = (&'static str, f64, &'static str);

const API_FIXTURES: &str = "Azure Retail Prices API, eastus, meter '<tier> LRS Disk' (1/Month, Consumption), as returned by the API in public pricing-client test fixtures (P10 19.71; P15 38.01, re-queried as 38.012142 on 2026-09-20); not captured by poolcast";
const API_2026_07_23: &str = "Azure Retail Prices API, eastus, productName 'Premium SSD Managed Disks', meter '<tier> LRS Disk', output captured 2026-07-23 in a public cost-validation script (P20 73.22, P30 135.17)";
const E_SOURCE: &str = "Azure Retail Prices API, eastus, 'E10 LRS Disk' 9.60 (public pricing-client fixtures); E30 76.80 (azure.microsoft.com/pricing/details/managed-disks as quoted by lucidity.cloud, 'Standard SSD vs Premium SSD pricing')";
const E_LADDER: &str =
    "[U] E10 9.60 x 2 per size step, the ladder the sourced E10 and E30 (76.80 = 9.60 x 8) follow";

/// Sourced East US LRS list prices, USD per disk-month.
pub const PRICES: [(DiskSku, PriceRow); 8] = [
    (DiskSku::PremiumSsd, ("P10", 19.71, API_FIXTURES)),
    (DiskSku::PremiumSsd, ("P15", 38.01, API_FIXTURES)),
    (DiskSku::PremiumSsd, ("P20", 73.22, API_2026_07_23)),
    (DiskSku::PremiumSsd, ("P30", 135.17, API_2026_07_23)),
    (DiskSku::StandardSsd, ("E10", 9.60, E_SOURCE)),
    (DiskSku::StandardSsd, ("E15", 19.20, E_LADDER)),
    (DiskSku::StandardSsd, ("E20", 38.40, E_LADDER)),
    (DiskSku::StandardSsd, ("E30", 76.80, E_SOURCE)),
];

/// The Standard SSD tiers by provisioned GiB (AZD `disk-storage-standard-ssd-sizes.md`).
const STANDARD_SSD_TIERS: [(&str, u64); 10] = [
    ("E1", 4),
    ("E2", 8),
    ("E3", 16),
    ("E4", 32),
    ("E6", 64),
    ("E10", 128),
    ("E15", 256),
    ("E20", 512),
    ("E30", 1024),
    ("E40", 2048),
];

/// What a node's OS disk costs.
#[derive(Debug, Clone, PartialEq)]
pub struct OsDiskPrice {
    /// `None` for an ephemeral OS disk (no disk charge).
    pub sku: Option<DiskSku>,
    /// `P10`, `E15`; `None` for ephemeral.
    pub tier: Option<&'static str>,
    /// USD per disk-month at list price; `Some(0.0)` for ephemeral, `None` when the tier
    /// has no sourced price (never taken as free).
    pub usd_per_month: Option<f64>,
    /// True when the price is East US's, borrowed for another region.
    pub estimated: bool,
    /// How the price was found, for the outputs.
    pub basis: String,
}

impl OsDiskPrice {
    /// USD per node-hour (monthly price / 730).
    pub fn per_hour(&self) -> Option<f64> {
        self.usd_per_month.map(|m| m / HOURS_PER_MONTH)
    }
}

/// Whether a VM size takes Premium SSD: the catalog's `premium_io`, else the size name.
pub fn premium_capable(sku: &VmSku) -> bool {
    sku.premium_io.unwrap_or_else(|| premium_by_name(&sku.name))
}

/// The size-name rule (Azure VM naming conventions): `Standard_D4s_v5`, `Standard_E8ads_v5`,
/// `Standard_DS2_v2`, `Standard_GS1`, `Standard_M64` take premium storage;
/// `Standard_D2_v2`, `Standard_A2_v2`, `Standard_D4a_v4` do not.
pub fn premium_by_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(series) = lower
        .strip_prefix("standard_")
        .map(|s| s.split('_').next().unwrap_or(""))
    else {
        return false;
    };
    if series.starts_with("ds") || series.starts_with("gs") || series.starts_with('m') {
        return true;
    }
    // The feature letters after the vCPU count (and any constrained-core `-n`).
    let features: String = series
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    features.contains('s')
}

/// The OS disk's price in `region`: the disk SKU AKS gives `sku`, the tier of the disk's
/// size, and the sourced price (East US's, marked estimated, elsewhere).
pub fn os_disk_price(sku: &VmSku, disk: &NodeOsDisk, region: &str) -> OsDiskPrice {
    if disk.disk_type == OsDiskType::Ephemeral {
        return OsDiskPrice {
            sku: None,
            tier: None,
            usd_per_month: Some(0.0),
            estimated: false,
            basis: "ephemeral OS disk on the VM's temp disk: no disk charge".to_owned(),
        };
    }
    let kind = if premium_capable(sku) {
        DiskSku::PremiumSsd
    } else {
        DiskSku::StandardSsd
    };
    let gib = disk.size.get().div_ceil(1 << 30);
    let tier = match kind {
        DiskSku::PremiumSsd => disk.tier.map(|t| t.name),
        DiskSku::StandardSsd => STANDARD_SSD_TIERS
            .iter()
            .find(|(_, g)| *g >= gib)
            .map(|(n, _)| *n),
    };
    let row = tier.and_then(|t| {
        PRICES
            .iter()
            .find(|(k, (n, _, _))| *k == kind && *n == t)
            .map(|(_, r)| *r)
    });
    let estimated = row.is_some() && !region.eq_ignore_ascii_case(SOURCED_REGION);
    let basis = match (tier, row) {
        (Some(t), Some((_, usd, _))) if estimated => format!(
            "{} {t} {usd:.2} USD/month: the {SOURCED_REGION} price, none sourced for {region} (estimated)",
            kind.label()
        ),
        (Some(t), Some((_, usd, _))) => {
            format!("{} {t} {usd:.2} USD/month ({SOURCED_REGION} list)", kind.label())
        }
        (Some(t), None) => format!("{} {t}: no sourced price (unpriced)", kind.label()),
        (None, _) => format!("{} of {gib} GiB: no tier in the catalog (unpriced)", kind.label()),
    };
    OsDiskPrice {
        sku: Some(kind),
        tier,
        usd_per_month: row.map(|(_, usd, _)| usd),
        estimated,
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::disks::{default_os_disk, os_disk_for};
    use crate::catalog::Catalog;
    use crate::scenario::OsDisk;

    fn sku(name: &str) -> &'static VmSku {
        Catalog::builtin().vm_sku(name).unwrap()
    }

    #[test]
    fn premium_capability_by_catalog_and_name() {
        assert!(premium_capable(sku("Standard_D4s_v5")));
        assert!(premium_capable(sku("Standard_DS2_v2")));
        for (n, want) in [
            ("Standard_D4s_v5", true),
            ("Standard_E8ads_v5", true),
            ("Standard_DS2_v2", true),
            ("Standard_GS1", true),
            ("Standard_M64", true),
            ("Standard_E32-16s_v3", true),
            ("Standard_D2_v2", false),
            ("Standard_A2_v2", false),
            ("Standard_D4a_v4", false),
            ("Standard_D16_v3", false),
            ("inline", false),
        ] {
            assert_eq!(premium_by_name(n), want, "{n}");
        }
        // The catalog's PremiumIO flag wins: D16_v3 has none.
        assert!(!premium_capable(sku("Standard_D16_v3")));
    }

    #[test]
    fn tier_follows_the_default_disk_and_prices_are_eastus() {
        // (size, tier, USD/month): P10 for 1-7 vCPUs, P15 8-15, P20 16-63.
        for (n, tier, usd) in [
            ("Standard_D4s_v5", "P10", 19.71),
            ("Standard_D8s_v5", "P15", 38.01),
            ("Standard_D16s_v5", "P20", 73.22),
        ] {
            let p = os_disk_price(sku(n), &default_os_disk(sku(n)), "eastus");
            assert_eq!(p.sku, Some(DiskSku::PremiumSsd), "{n}");
            assert_eq!(p.tier, Some(tier), "{n}");
            assert_eq!(p.usd_per_month, Some(usd), "{n}");
            assert!(!p.estimated, "{n}");
            assert!((p.per_hour().unwrap() - usd / 730.0).abs() < 1e-12);
        }
        // A non-premium size gets the Standard SSD tier of the same size.
        let d16 = sku("Standard_D16_v3");
        let p = os_disk_price(d16, &default_os_disk(d16), "eastus");
        assert_eq!(
            (p.sku, p.tier, p.usd_per_month),
            (Some(DiskSku::StandardSsd), Some("E20"), Some(38.40))
        );
        // A requested 1 TiB managed disk: P30.
        let d4 = sku("Standard_D4s_v5");
        let big = os_disk_for(
            d4,
            Some(&OsDisk {
                size_gib: Some(1024),
                disk_type: Some(OsDiskType::Managed),
            }),
        )
        .unwrap();
        assert_eq!(
            os_disk_price(d4, &big, "eastus").usd_per_month,
            Some(135.17)
        );
    }

    #[test]
    fn ephemeral_is_free_other_regions_are_estimated_small_tiers_unpriced() {
        let d8ds = sku("Standard_D8ds_v5");
        let p = os_disk_price(d8ds, &default_os_disk(d8ds), "westeurope");
        assert_eq!(
            (p.tier, p.usd_per_month, p.estimated),
            (None, Some(0.0), false)
        );
        let d4 = sku("Standard_D4s_v5");
        let p = os_disk_price(d4, &default_os_disk(d4), "southcentralus");
        assert!(p.estimated);
        assert_eq!(p.usd_per_month, Some(19.71));
        assert!(p.basis.contains("estimated") && p.basis.contains("southcentralus"));
        // P6 (64 GiB) has no sourced price: unpriced, never 0.
        let small = os_disk_for(
            d4,
            Some(&OsDisk {
                size_gib: Some(64),
                disk_type: Some(OsDiskType::Managed),
            }),
        )
        .unwrap();
        let p = os_disk_price(d4, &small, "eastus");
        assert_eq!((p.tier, p.usd_per_month), (Some("P6"), None));
        assert!(p.basis.contains("unpriced"));
    }

    #[test]
    fn every_price_is_positive_and_ladders_upwards() {
        for k in [DiskSku::PremiumSsd, DiskSku::StandardSsd] {
            let v: Vec<f64> = PRICES
                .iter()
                .filter(|(kk, _)| *kk == k)
                .map(|(_, (_, p, _))| *p)
                .collect();
            assert!(v.iter().all(|p| *p > 0.0));
            assert!(v.windows(2).all(|w| w[0] < w[1]), "{k:?}");
        }
    }
}

//! OS disks and I/O costs: the OS disk AKS gives a node by default (ephemeral on the temp
//! disk, else a Premium SSD sized by vCPU) with its IOPS and throughput after the VM's
//! caps, image extraction rates by OS, and per-file I/O costs (NTFS, Defender, container
//! layers).
//!
//! Sources: `shared/data/io-costs.md` §1 (Azure disk tables, AKS OS-disk rules from
//! AKSDOCS `concepts-storage.md` 2026-07-30), §5.1-§5.3 (suggested constants). Every value
//! of io-costs §5 is `[U]`: chosen from the sources, not stated by them; each constant
//! carries its range as an [`Estimate`].

use crate::scenario::{Os, OsDisk, OsDiskType};
use crate::units::{Bandwidth, Bytes, Duration};

use super::estimate::Estimate;
use super::skus::VmSku;

/// One MB/s (decimal, as Azure states disk throughput).
const fn mbps(v: u64) -> Bandwidth {
    Bandwidth(v * 1_000_000)
}

/// A Premium SSD (v1) size (io-costs §1.1: AZD `includes/disk-storage-premium-ssd-sizes.md`
/// @1d25717, 2023-03-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedDiskTier {
    /// `P10`.
    pub name: &'static str,
    /// Provisioned size.
    pub size: Bytes,
    /// Provisioned (base) IOPS.
    pub iops: u32,
    /// Provisioned (base) throughput.
    pub throughput: Bandwidth,
    /// IOPS while burst credits last (= `iops` when the tier has no free burst).
    pub burst_iops: u32,
    /// Throughput while burst credits last.
    pub burst_throughput: Bandwidth,
    /// Free credit-based bursting (P20 and smaller; a fresh disk starts with a full bucket
    /// of up to 30 min at the burst rate).
    pub credit_burst: bool,
}

const fn tier(
    name: &'static str,
    gib: u64,
    iops: u32,
    mb_s: u64,
    burst_iops: u32,
    burst_mb_s: u64,
    credit_burst: bool,
) -> ManagedDiskTier {
    ManagedDiskTier {
        name,
        size: Bytes::gib(gib),
        iops,
        throughput: mbps(mb_s),
        burst_iops,
        burst_throughput: mbps(burst_mb_s),
        credit_burst,
    }
}

/// Premium SSD P1-P30, smallest first. P30's 30,000 IOPS / 1,000 MB/s burst is on-demand
/// (paid, opt-in), so it is not modelled: its burst equals its base.
pub const PREMIUM_SSD: [ManagedDiskTier; 9] = [
    tier("P1", 4, 120, 25, 3_500, 170, true),
    tier("P2", 8, 120, 25, 3_500, 170, true),
    tier("P3", 16, 120, 25, 3_500, 170, true),
    tier("P4", 32, 120, 25, 3_500, 170, true),
    tier("P6", 64, 240, 50, 3_500, 170, true),
    tier("P10", 128, 500, 100, 3_500, 170, true),
    tier("P15", 256, 1_100, 125, 3_500, 170, true),
    tier("P20", 512, 2_300, 150, 3_500, 170, true),
    tier("P30", 1_024, 5_000, 200, 5_000, 200, false),
];

/// How long a fresh managed disk can burst (AZD `includes/managed-disks-bursting.md`:
/// credits for 30 min at the burst ceiling, full at attach).
pub const BURST_DURATION: Duration = Duration::mins(30);

/// Smallest temp disk AKS puts a default ephemeral OS disk on (pools created March 2025 or
/// later; AKSDOCS `concepts-storage.md`).
pub const EPHEMERAL_MIN_TEMP_DISK: Bytes = Bytes::gib(128);

/// The Premium SSD tier that holds `size` (the smallest at least as large).
pub fn premium_tier_for_size(size: Bytes) -> Option<&'static ManagedDiskTier> {
    PREMIUM_SSD.iter().find(|t| t.size >= size)
}

/// AKS's default managed OS disk by vCPU count (pools created July 2022 or later;
/// AKSDOCS `concepts-storage.md`): 1-7 -> P10 128 GB, 8-15 -> P15 256 GB, 16-63 -> P20
/// 512 GB, 64+ -> P30 1 TB.
pub fn default_managed_tier(vcpu: u32) -> &'static ManagedDiskTier {
    let name = match vcpu {
        0..=7 => "P10",
        8..=15 => "P15",
        16..=63 => "P20",
        _ => "P30",
    };
    // The names above are all in PREMIUM_SSD; the fallback is the largest tier.
    PREMIUM_SSD
        .iter()
        .find(|t| t.name == name)
        .unwrap_or(&PREMIUM_SSD[PREMIUM_SSD.len() - 1])
}

/// Series whose size pages list no VM-level burst (io-costs §1.5: DS2_v2, D4s_v3), so a
/// managed disk's burst is capped by the VM's base uncached limit.
fn vm_has_burst(family: &str) -> bool {
    !(family.starts_with("DSv2") || family.starts_with("Dsv3"))
}

/// The OS disk a node gets, with the limits that bind its I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOsDisk {
    /// Managed or ephemeral.
    pub disk_type: OsDiskType,
    /// Size (ephemeral-storage capacity).
    pub size: Bytes,
    /// The Premium SSD tier of a managed disk.
    pub tier: Option<&'static ManagedDiskTier>,
    /// Sustained IOPS: min(disk, VM cap).
    pub iops: u32,
    /// Sustained throughput: min(disk, VM cap).
    pub throughput: Bandwidth,
    /// IOPS while burst credits last (= `iops` without burst).
    pub burst_iops: u32,
    /// Throughput while burst credits last (= `throughput` without burst).
    pub burst_throughput: Bandwidth,
    /// How long the burst lasts on a fresh node (zero without burst).
    pub burst_duration: Duration,
    /// How the numbers were obtained; `[U]` marks estimates.
    pub basis: String,
}

/// Why a requested OS disk cannot be given to a VM size. The user's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OsDiskError {
    /// The size does not support ephemeral OS disks.
    #[error("{sku} does not support ephemeral OS disks")]
    EphemeralUnsupported {
        /// VM size.
        sku: String,
    },
    /// The requested ephemeral disk does not fit the temp disk.
    #[error("{sku}: an ephemeral OS disk of {requested} does not fit its {temp} temp disk")]
    EphemeralTooLarge {
        /// VM size.
        sku: String,
        /// Requested size.
        requested: Bytes,
        /// Temp disk.
        temp: Bytes,
    },
    /// Larger than the catalog's Premium SSD table (P30, 1 TiB).
    #[error("managed OS disk of {0} is larger than P30 (1Ti), the largest tier in the catalog")]
    ManagedTooLarge(Bytes),
    /// Zero size.
    #[error("OS disk size must be at least 1 GiB")]
    ZeroSize,
}

/// The OS disk AKS gives a node of `sku` when the pool asks for nothing: ephemeral on the
/// temp disk, sized to it, when the series supports ephemeral OS disks and the temp disk is
/// at least 128 GiB; else the managed default by vCPU (AKSDOCS `concepts-storage.md`).
///
/// Older series with a cache disk (DSv2, Dsv3, Fsv2) place ephemeral disks on the cache,
/// whose size the catalog does not hold; they are judged by their temp disk here `[U]`.
pub fn default_os_disk(sku: &VmSku) -> NodeOsDisk {
    if sku.ephemeral_os_disk && sku.temp_disk >= EPHEMERAL_MIN_TEMP_DISK {
        ephemeral(sku, sku.temp_disk)
    } else {
        managed(
            sku,
            default_managed_tier(sku.vcpu),
            default_managed_tier(sku.vcpu).size,
        )
    }
}

/// The OS disk for a pool's `osDisk` setting (`None` = AKS's default). A managed disk of a
/// given size gets the smallest Premium SSD tier that holds it; an ephemeral disk must fit
/// the temp disk.
pub fn os_disk_for(sku: &VmSku, requested: Option<&OsDisk>) -> Result<NodeOsDisk, OsDiskError> {
    let Some(req) = requested else {
        return Ok(default_os_disk(sku));
    };
    let size = match req.size_gib {
        Some(0) => return Err(OsDiskError::ZeroSize),
        Some(g) => Some(Bytes::gib(u64::from(g))),
        None => None,
    };
    let kind = match req.disk_type {
        Some(k) => k,
        // Type unset, size set: ephemeral if it fits, as AKS decides.
        None => {
            let fits = size.unwrap_or(sku.temp_disk) <= sku.temp_disk;
            if sku.ephemeral_os_disk && fits && sku.temp_disk >= EPHEMERAL_MIN_TEMP_DISK {
                OsDiskType::Ephemeral
            } else {
                OsDiskType::Managed
            }
        }
    };
    match kind {
        OsDiskType::Ephemeral => {
            if !sku.ephemeral_os_disk {
                return Err(OsDiskError::EphemeralUnsupported {
                    sku: sku.name.clone(),
                });
            }
            let size = size.unwrap_or(sku.temp_disk);
            if size > sku.temp_disk || sku.temp_disk == Bytes(0) {
                return Err(OsDiskError::EphemeralTooLarge {
                    sku: sku.name.clone(),
                    requested: size,
                    temp: sku.temp_disk,
                });
            }
            Ok(ephemeral(sku, size))
        }
        OsDiskType::Managed => {
            let tier = match size {
                Some(s) => premium_tier_for_size(s).ok_or(OsDiskError::ManagedTooLarge(s))?,
                None => default_managed_tier(sku.vcpu),
            };
            Ok(managed(sku, tier, size.unwrap_or(tier.size)))
        }
    }
}

fn managed(sku: &VmSku, tier: &'static ManagedDiskTier, size: Bytes) -> NodeOsDisk {
    let cap_iops = sku.max_uncached_disk_iops.unwrap_or(u32::MAX);
    let cap_bw = sku
        .max_uncached_disk_bandwidth
        .unwrap_or(Bandwidth(u64::MAX));
    let iops = tier.iops.min(cap_iops);
    let throughput = tier.throughput.min(cap_bw);
    // v5/v6 sizes burst at the VM level far above a P-disk's burst (D2s_v5: 1,200 MB/s);
    // sizes without VM burst stay at their base cap (io-costs §1.6).
    let (burst_iops, burst_throughput) = if vm_has_burst(&sku.family) {
        (tier.burst_iops, tier.burst_throughput)
    } else {
        (
            tier.burst_iops.min(cap_iops),
            tier.burst_throughput.min(cap_bw),
        )
    };
    let bursts = tier.credit_burst && (burst_iops > iops || burst_throughput > throughput);
    NodeOsDisk {
        disk_type: OsDiskType::Managed,
        size,
        tier: Some(tier),
        iops,
        throughput,
        burst_iops: burst_iops.max(iops),
        burst_throughput: burst_throughput.max(throughput),
        burst_duration: if bursts {
            BURST_DURATION
        } else {
            Duration::ZERO
        },
        basis: format!(
            "managed {} ({} IOPS, {} base; burst {} IOPS, {}) capped by the {} uncached limit \
             ({} IOPS, {}); io-costs.md §1.1, §1.6",
            tier.name,
            tier.iops,
            fmt_mb_s(tier.throughput),
            tier.burst_iops,
            fmt_mb_s(tier.burst_throughput),
            sku.name,
            sku.max_uncached_disk_iops
                .map_or_else(|| "unknown".to_owned(), |v| v.to_string()),
            sku.max_uncached_disk_bandwidth
                .map_or_else(|| "unknown".to_owned(), fmt_mb_s),
        ),
    }
}

/// `145 MB/s`, `22.5 MB/s`: decimal MB/s as Azure writes disk throughput.
pub fn fmt_mb_s(b: Bandwidth) -> String {
    let v = b.bytes_per_sec();
    let frac = format!("{:06}", v % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{} MB/s", v / 1_000_000)
    } else {
        format!("{}.{frac} MB/s", v / 1_000_000)
    }
}

/// Temp-disk limits the size pages state (io-costs §1.5): (size, IOPS, MB/s).
const TEMP_DISK_CAPS: [(&str, u32, u64); 3] = [
    ("Standard_D4ds_v5", 19_000, 250),
    ("Standard_D8ds_v5", 38_000, 500),
    ("Standard_D16ds_v5", 75_000, 1_000),
];

fn ephemeral(sku: &VmSku, size: Bytes) -> NodeOsDisk {
    let known = TEMP_DISK_CAPS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(&sku.name));
    let (iops, throughput, basis) = match known {
        Some(&(_, iops, mb)) => (
            iops,
            mbps(mb),
            format!(
                "ephemeral on the temp disk; {} temp-disk limit (io-costs.md §1.5)",
                sku.name
            ),
        ),
        // The Ddsv5 pages scale the temp-disk limit with vCPUs (4,750 IOPS and 62.5 MB/s
        // per vCPU); other series are assumed alike.
        None => (
            4_750u32.saturating_mul(sku.vcpu),
            Bandwidth(62_500_000 * u64::from(sku.vcpu)),
            format!(
                "ephemeral on the temp disk; [U] limit scaled from Ddsv5 (4,750 IOPS and \
                 62.5 MB/s per vCPU) for {}",
                sku.name
            ),
        ),
    };
    NodeOsDisk {
        disk_type: OsDiskType::Ephemeral,
        size,
        tier: None,
        iops,
        throughput,
        burst_iops: iops,
        burst_throughput: throughput,
        burst_duration: Duration::ZERO,
        basis,
    }
}

/// OS disk space an AKS Linux node image takes before any container image, `[U]`: the
/// Ubuntu/Azure Linux VHDs are built as 30 GB images (AgentBaker packer settings); the
/// container images they pre-cache are accounted separately, by their layers.
pub const LINUX_VHD_FOOTPRINT: Bytes = Bytes(30_000_000_000);

/// Registry bandwidth when a scenario gives none: Azure Container Registry Premium's stated
/// minimum download estimate, 100 MB/s (`container-registry-limits.md`, io-costs.md §1.7);
/// Basic and Standard state 30 and 60 MB/s.
pub const DEFAULT_REGISTRY_BANDWIDTH: Bandwidth = Bandwidth(100_000_000);

/// Disk space the Windows node image itself occupies on the OS disk (AgentBaker
/// `vhdbuilder/packer/windows/windows_settings.json`; facts.md §4): WS2022 35 GB, WS2025
/// 45 GB. Unknown for other builds.
pub fn windows_vhd_footprint(windows_build: u32) -> Option<Bytes> {
    match windows_build {
        20348 => Some(Bytes(35_000_000_000)),
        26100 => Some(Bytes(45_000_000_000)),
        _ => None,
    }
}

/// Layer decompression/unpack rate on Linux with gzip layers (unpigz / Go gzip), io-costs
/// §5.2.
pub const LINUX_GZIP_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(150),
    low: mbps(80),
    high: mbps(250),
    source: "io-costs.md §5.2 [U]: containerd#13560, #13559, #2640; bottlerocket-core-kit#443",
};

/// Layer unpack rate on Linux with zstd layers, io-costs §5.2.
pub const LINUX_ZSTD_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(400),
    low: mbps(250),
    high: mbps(1_000),
    source: "io-costs.md §5.2 [U]: facebook/zstd README (v1.5.7), containerd#6957",
};

/// Layer unpack rate of the Windows NTFS snapshotter, per-file and Defender-excluded costs
/// included (do not add per-file costs to extraction), io-costs §5.2.
pub const WINDOWS_NTFS_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(20),
    low: mbps(6),
    high: mbps(25),
    source: "io-costs.md §5.2 [U]: Windows-Containers#92, containerd#4989, SOCI write-up, \
             Windows-Containers#607",
};

/// Layer unpack rate with CimFS (not configured on AKS; for what-if runs), io-costs §5.2.
pub const WINDOWS_CIMFS_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(40),
    low: mbps(30),
    high: mbps(50),
    source: "io-costs.md §3.2, §5.2 [U]: SOCI write-up (NTFS 250 s -> CimFS 128 s)",
};

/// The default extraction rate (uncompressed bytes written per second) for layers on a
/// node of `os`: the OS's format rate (gzip on Linux, NTFS snapshotter on Windows) capped
/// by the OS disk's throughput, at the burst rate while `bursting`.
pub fn extraction_rate(os: Os, disk: &NodeOsDisk, bursting: bool) -> Bandwidth {
    let format = match os {
        Os::Linux => LINUX_GZIP_EXTRACT.default,
        Os::Windows => WINDOWS_NTFS_EXTRACT.default,
    };
    let disk_bw = if bursting {
        disk.burst_throughput
    } else {
        disk.throughput
    };
    format.min(disk_bw)
}

/// Uncompressed-to-compressed ratio for layers whose unpacked size is unknown:
/// `(numerator, denominator)` = 2.5. `[U]`: the .NET Framework and .NET layer estimates of
/// `data/images.yaml` use the same ratio; servercore ltsc2022 measures ~1.8-2.4 and
/// nanoserver ~2.4 (facts.md §1), gzip on Linux root filesystems typically 2.5-3.
pub const DEFAULT_EXPANSION: (u64, u64) = (5, 2);

/// The on-disk size assumed for a layer of `compressed` bytes with no stated
/// uncompressed size (rounded down; saturates at `u64::MAX`).
pub fn default_uncompressed_size(compressed: Bytes) -> Bytes {
    let v = u128::from(compressed.get()) * u128::from(DEFAULT_EXPANSION.0)
        / u128::from(DEFAULT_EXPANSION.1);
    Bytes(u64::try_from(v).unwrap_or(u64::MAX))
}

/// Per-file metadata costs of one OS's filesystem, in microseconds, and multipliers in
/// thousandths (io-costs §5.1; bytes are charged separately at disk throughput).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerFileCosts {
    /// Create + small write + close.
    pub create_us: Estimate<u64>,
    /// Open + read + close of an existing file (page cache warm on Linux).
    pub open_us: Estimate<u64>,
    /// Multiplier for files in the container's own filesystem (overlayfs on Linux,
    /// the wcifs scratch layer on Windows), in thousandths (1500 = x1.5).
    pub container_layer_permille: Estimate<u64>,
    /// Multiplier for bind mounts / emptyDir, in thousandths.
    pub volume_permille: Estimate<u64>,
    /// Defender real-time scan surcharge per written file (0 on Linux: AKS Linux nodes
    /// run no file-scanning antivirus).
    pub defender_write_us: Estimate<u64>,
    /// Defender surcharge on the first open of a file not yet scanned.
    pub defender_first_open_us: Estimate<u64>,
}

const fn est(default: u64, low: u64, high: u64, source: &'static str) -> Estimate<u64> {
    Estimate {
        default,
        low,
        high,
        source,
    }
}

/// Linux ext4/xfs under overlayfs (io-costs §5.1).
pub const LINUX_FILE_COSTS: PerFileCosts = PerFileCosts {
    create_us: est(
        25,
        5,
        80,
        "io-costs.md §5.1 [U]: ext3 31.7 us (foddex 2009); cp -r ~29 us/file",
    ),
    open_us: est(10, 2, 30, "io-costs.md §5.1 [U]"),
    container_layer_permille: est(
        1050,
        1000,
        1200,
        "io-costs.md §5.1 [U]: overlayfs x1.05 (fuse-overlayfs#92)",
    ),
    volume_permille: est(
        1000,
        1000,
        1000,
        "io-costs.md §2.5: volumes run at native speed",
    ),
    defender_write_us: est(
        0,
        0,
        0,
        "io-costs.md §2.3: no file-scanning antivirus on AKS Linux nodes",
    ),
    defender_first_open_us: est(
        0,
        0,
        0,
        "io-costs.md §2.3: no file-scanning antivirus on AKS Linux nodes",
    ),
};

/// Windows NTFS with Defender real-time protection on and container processes not
/// excluded, as on AKS Windows nodes (io-costs §2.3, §5.1).
pub const WINDOWS_FILE_COSTS: PerFileCosts = PerFileCosts {
    create_us: est(
        300,
        150,
        1_500,
        "io-costs.md §5.1 [U]: WinFsp fsbench 0.2 ms; rustup 1.5 ms/file with exclusion",
    ),
    open_us: est(
        90,
        50,
        150,
        "io-costs.md §5.1 [U]: fsbench 88 us; NTFS 60-125 us",
    ),
    container_layer_permille: est(
        1500,
        1000,
        3000,
        "io-costs.md §5.1 [U]: wcifs + differencing VHDX scratch (aks-engine#2499, DataDog#53758)",
    ),
    volume_permille: est(
        1200,
        1000,
        2000,
        "io-costs.md §5.1 [U]: bind mount / emptyDir after the 2023 fix (Windows-Containers#345)",
    ),
    defender_write_us: est(
        3_000,
        1_000,
        10_000,
        "io-costs.md §5.1 [U]: Szorc 1-10 ms per CloseHandle; rustup 4-10 ms/file",
    ),
    defender_first_open_us: est(
        3_000,
        500,
        8_000,
        "io-costs.md §5.1 [U]: 7.3 ms cold vs 30 us warm (pascal-bergeron); 8.1 ms on WS2022",
    ),
};

/// Per-file costs for a node OS.
pub fn per_file_costs(os: Os) -> &'static PerFileCosts {
    match os {
        Os::Linux => &LINUX_FILE_COSTS,
        Os::Windows => &WINDOWS_FILE_COSTS,
    }
}

/// Slow-down of small-file I/O when N process-isolated Windows containers do it at once on
/// one node: each takes `1 + 0.15 x (N - 1)` times as long (git clone 9 -> 21 min at N = 10,
/// Windows-Containers#459), in thousandths per extra container.
pub const WINDOWS_CONCURRENCY_PERMILLE_PER_CONTAINER: Estimate<u64> = est(
    150,
    100,
    200,
    "io-costs.md §5.1 [U]: Windows-Containers#459",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn sku(name: &str) -> &'static VmSku {
        Catalog::builtin().vm_sku(name).unwrap()
    }

    /// io-costs §1.6 / §5.3: the default OS disk per size and its effective limits.
    #[test]
    fn default_os_disks_match_the_derived_table() {
        let mb = |v| mbps(v);
        // (size, type, tier, GiB, iops, MB/s, burst iops, burst MB/s)
        let cases = [
            (
                "Standard_D2s_v5",
                OsDiskType::Managed,
                Some("P10"),
                128,
                500,
                mb(85),
                3_500,
                mb(170),
            ),
            (
                "Standard_D4s_v5",
                OsDiskType::Managed,
                Some("P10"),
                128,
                500,
                mb(100),
                3_500,
                mb(170),
            ),
            (
                "Standard_D8s_v5",
                OsDiskType::Managed,
                Some("P15"),
                256,
                1_100,
                mb(125),
                3_500,
                mb(170),
            ),
            (
                "Standard_E8s_v5",
                OsDiskType::Managed,
                Some("P15"),
                256,
                1_100,
                mb(125),
                3_500,
                mb(170),
            ),
            (
                "Standard_D16s_v5",
                OsDiskType::Managed,
                Some("P20"),
                512,
                2_300,
                mb(150),
                3_500,
                mb(170),
            ),
            (
                "Standard_D4ds_v5",
                OsDiskType::Ephemeral,
                None,
                150,
                19_000,
                mb(250),
                19_000,
                mb(250),
            ),
            (
                "Standard_D8ds_v5",
                OsDiskType::Ephemeral,
                None,
                300,
                38_000,
                mb(500),
                38_000,
                mb(500),
            ),
            (
                "Standard_D16ds_v5",
                OsDiskType::Ephemeral,
                None,
                600,
                75_000,
                mb(1_000),
                75_000,
                mb(1_000),
            ),
            // DS2_v2: 14 GiB temp; managed P10 capped at the VM's 96 MB/s, no VM burst.
            (
                "Standard_DS2_v2",
                OsDiskType::Managed,
                Some("P10"),
                128,
                500,
                mb(96),
                3_500,
                mb(96),
            ),
            // D2ds_v5: 75 GiB temp < 128 GiB -> managed.
            (
                "Standard_D2ds_v5",
                OsDiskType::Managed,
                Some("P10"),
                128,
                500,
                mb(85),
                3_500,
                mb(170),
            ),
        ];
        for (name, kind, tier, gib, iops, bw, biops, bbw) in cases {
            let d = default_os_disk(sku(name));
            assert_eq!(d.disk_type, kind, "{name}");
            assert_eq!(d.tier.map(|t| t.name), tier, "{name}");
            assert_eq!(d.size, Bytes::gib(gib), "{name}");
            assert_eq!((d.iops, d.throughput), (iops, bw), "{name}");
            assert_eq!((d.burst_iops, d.burst_throughput), (biops, bbw), "{name}");
        }
        assert_eq!(
            default_os_disk(sku("Standard_D4s_v5")).burst_duration,
            BURST_DURATION
        );
        assert_eq!(
            default_os_disk(sku("Standard_D4ds_v5")).burst_duration,
            Duration::ZERO
        );
        assert!(default_os_disk(sku("Standard_E16ds_v5"))
            .basis
            .contains("[U]"));
    }

    #[test]
    fn managed_tiers_by_vcpu() {
        for (vcpu, want) in [
            (1, "P10"),
            (7, "P10"),
            (8, "P15"),
            (15, "P15"),
            (16, "P20"),
            (63, "P20"),
            (64, "P30"),
        ] {
            assert_eq!(default_managed_tier(vcpu).name, want, "{vcpu}");
        }
        assert_eq!(
            premium_tier_for_size(Bytes::gib(100)).map(|t| t.name),
            Some("P10")
        );
        assert_eq!(
            premium_tier_for_size(Bytes::gib(129)).map(|t| t.name),
            Some("P15")
        );
        assert!(premium_tier_for_size(Bytes::gib(2048)).is_none());
    }

    #[test]
    fn requested_os_disks() {
        let d4 = sku("Standard_D4s_v5");
        let d4ds = sku("Standard_D4ds_v5");
        let req = |gib, t| OsDisk {
            size_gib: gib,
            disk_type: t,
        };
        assert_eq!(
            os_disk_for(d4, Some(&req(None, Some(OsDiskType::Ephemeral)))),
            Err(OsDiskError::EphemeralUnsupported {
                sku: "Standard_D4s_v5".into()
            })
        );
        assert!(matches!(
            os_disk_for(d4ds, Some(&req(Some(200), Some(OsDiskType::Ephemeral)))),
            Err(OsDiskError::EphemeralTooLarge { .. })
        ));
        let m = os_disk_for(d4, Some(&req(Some(512), Some(OsDiskType::Managed)))).unwrap();
        assert_eq!(m.tier.map(|t| t.name), Some("P20"));
        assert_eq!(m.throughput, mbps(145), "capped by the D4s_v5 VM limit");
        let e = os_disk_for(d4ds, Some(&req(Some(100), None))).unwrap();
        assert_eq!(
            (e.disk_type, e.size),
            (OsDiskType::Ephemeral, Bytes::gib(100))
        );
        let m = os_disk_for(d4ds, Some(&req(None, Some(OsDiskType::Managed)))).unwrap();
        assert_eq!(m.tier.map(|t| t.name), Some("P10"));
        assert_eq!(
            os_disk_for(d4, Some(&req(Some(0), None))),
            Err(OsDiskError::ZeroSize)
        );
        assert!(matches!(
            os_disk_for(d4, Some(&req(Some(4096), Some(OsDiskType::Managed)))),
            Err(OsDiskError::ManagedTooLarge(_))
        ));
        assert_eq!(os_disk_for(d4, None).unwrap(), default_os_disk(d4));
    }

    #[test]
    fn extraction_is_capped_by_the_disk() {
        let p10 = default_os_disk(sku("Standard_D4s_v5"));
        // io-costs §5.2: Linux gzip 150 while bursting, 100 after; Windows NTFS 20.
        assert_eq!(extraction_rate(Os::Linux, &p10, true), mbps(150));
        assert_eq!(extraction_rate(Os::Linux, &p10, false), mbps(100));
        assert_eq!(extraction_rate(Os::Windows, &p10, false), mbps(20));
        let ds2 = default_os_disk(sku("Standard_DS2_v2"));
        assert_eq!(extraction_rate(Os::Linux, &ds2, true), mbps(96));
        for e in [
            LINUX_GZIP_EXTRACT,
            LINUX_ZSTD_EXTRACT,
            WINDOWS_NTFS_EXTRACT,
            WINDOWS_CIMFS_EXTRACT,
        ] {
            assert!(e.contains(e.default), "{}", e.source);
        }
    }

    #[test]
    fn per_file_costs_follow_io_costs_5_1() {
        let w = per_file_costs(Os::Windows);
        let l = per_file_costs(Os::Linux);
        assert_eq!((l.create_us.default, l.open_us.default), (25, 10));
        assert_eq!((w.create_us.default, w.open_us.default), (300, 90));
        assert_eq!(w.defender_write_us.default, 3_000);
        assert_eq!(w.defender_first_open_us.default, 3_000);
        assert_eq!(w.container_layer_permille.default, 1_500);
        assert_eq!(l.defender_write_us.default, 0);
        for c in [l, w] {
            for e in [
                c.create_us,
                c.open_us,
                c.container_layer_permille,
                c.volume_permille,
                c.defender_write_us,
                c.defender_first_open_us,
            ] {
                assert!(e.contains(e.default), "{}", e.source);
            }
        }
        // "NTFS with Defender on written files ~100x ext4" (io-costs §5.1).
        let ratio = (w.create_us.default + w.defender_write_us.default) / l.create_us.default;
        assert!((100..=200).contains(&ratio), "{ratio}");
    }

    #[test]
    fn defaults_for_unknown_sizes() {
        assert_eq!(fmt_mb_s(mbps(145)), "145 MB/s");
        assert_eq!(fmt_mb_s(Bandwidth(22_500_000)), "22.5 MB/s");
        assert_eq!(default_uncompressed_size(Bytes(100)), Bytes(250));
        assert_eq!(default_uncompressed_size(Bytes(u64::MAX)), Bytes(u64::MAX));
        assert_eq!(windows_vhd_footprint(20348), Some(Bytes(35_000_000_000)));
        assert_eq!(windows_vhd_footprint(17763), None);
    }
}

//! OS disks and I/O costs: the OS disk AKS gives a node by default (ephemeral on the temp
//! disk, else a Premium SSD sized by vCPU) with its IOPS and throughput after the VM's
//! caps, image extraction rates by OS, and per-file I/O costs (NTFS, Defender, container
//! layers).
//!
//! Sources: the Azure disk tables (AZD `includes/disk-storage-premium-ssd-sizes.md`,
//! `includes/managed-disks-bursting.md`), the VM size pages, AKS's OS-disk rules (AKSDOCS
//! `concepts-storage.md`, 2026-07-30) and the measurements named on each constant
//! (docs/sources.md). Values marked `[U]` are chosen from the sources, not stated by them;
//! each carries its range as an [`Estimate`]; pull rates are fitted (docs/calibration.md).

use crate::scenario::{Os, OsDisk, OsDiskType};
use crate::units::{Bandwidth, Bytes, Duration};

use super::estimate::{Dist, Estimate};
use super::skus::VmSku;

/// One MB/s (decimal, as Azure states disk throughput).
const fn mbps(v: u64) -> Bandwidth {
    Bandwidth(v * 1_000_000)
}

/// A Premium SSD (v1) size (AZD `includes/disk-storage-premium-ssd-sizes.md`
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

/// Series whose size pages list no VM-level burst (the DSv2 and Dsv3 size pages: DS2_v2, D4s_v3), so a
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
    // sizes without VM burst stay at their base cap (size pages, "burst" columns).
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
             ({} IOPS, {}); AZD disk and VM size tables",
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

/// Temp-disk limits the Ddsv5 size page states: (size, IOPS, MB/s).
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
                "ephemeral on the temp disk; {} temp-disk limit (Ddsv5 size page)",
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

/// Download bandwidth of a registry the catalog has no measurement for (Docker Hub, other
/// registries) when the scenario gives none: Azure Container Registry Premium's stated
/// minimum download estimate, 100 MB/s (AZD `includes/container-registry-limits.md`
/// @030ef88, 2019-05-14).
pub const DEFAULT_REGISTRY_BANDWIDTH: Bandwidth = Bandwidth(100_000_000);

/// Single-pull download rate from `mcr.microsoft.com` to an AKS node, fitted `[U]`: the
/// MCR pulls of embergershared/aks-wincont-imgpull-opt (westus3, Standard_D8_v5, 2025)
/// are extraction-bound except `runtime:3.5-ltsc2022` and `runtime:4.8-ltsc2022`, which
/// bound it from below; servercore:ltsc2022 downloaded at ~88 MB/s to AWS in the "SOCI on
/// Windows" investigation (2025). See docs/calibration.md.
pub const MCR_BANDWIDTH: Estimate<Bandwidth> = Estimate {
    default: mbps(100),
    low: mbps(60),
    high: mbps(200),
    dist: Dist::Range,
    source: "fitted [U]: embergershared/aks-wincont-imgpull-opt tests/win2022-tests.md (2025); \
             SOCI on Windows investigation (servercore:ltsc2022 24.9 s download)",
};

/// Single-pull download rate from Azure Container Registry by service tier, fitted to the
/// same benchmark `[U]`: an 8.7 GB image took 4.1-6.6 min from Standard and 3.7-3.8 min
/// from Premium on fresh Standard_D8_v5 nodes (embergershared/aks-wincont-imgpull-opt
/// `src/acr-runs-tests`, 2025). Microsoft states 30 / 60 / 100 MB/s as *minimum*
/// estimates (AZD `includes/container-registry-limits.md`); the measured Standard rate is
/// below its statement, Premium above. Basic has no measurement: half of Standard, as the
/// stated figures are.
pub fn acr_bandwidth(tier: crate::scenario::AcrTier) -> &'static Estimate<Bandwidth> {
    use crate::scenario::AcrTier;
    match tier {
        AcrTier::Basic => &ACR_BASIC_BANDWIDTH,
        AcrTier::Standard => &ACR_STANDARD_BANDWIDTH,
        AcrTier::Premium => &ACR_PREMIUM_BANDWIDTH,
    }
}

const ACR_SOURCE: &str = "fitted [U]: embergershared/aks-wincont-imgpull-opt src/acr-runs-tests \
     (2025-11); stated minimums 30/60/100 MB/s: AZD includes/container-registry-limits.md";

/// ACR Basic, see [`acr_bandwidth`].
pub const ACR_BASIC_BANDWIDTH: Estimate<Bandwidth> = Estimate {
    default: mbps(13),
    low: mbps(8),
    high: mbps(30),
    dist: Dist::Range,
    source: ACR_SOURCE,
};
/// ACR Standard, see [`acr_bandwidth`].
pub const ACR_STANDARD_BANDWIDTH: Estimate<Bandwidth> = Estimate {
    default: mbps(26),
    low: mbps(20),
    high: mbps(40),
    dist: Dist::Range,
    source: ACR_SOURCE,
};
/// ACR Premium, see [`acr_bandwidth`].
pub const ACR_PREMIUM_BANDWIDTH: Estimate<Bandwidth> = Estimate {
    default: mbps(150),
    low: mbps(100),
    high: mbps(200),
    dist: Dist::Range,
    source: ACR_SOURCE,
};

/// Fixed time of every pull before any layer moves: manifest resolution and registry
/// round trips. The kubelet reports 0.31-0.44 s for pulls of images already on the node
/// (`imagePullPolicy: Always`), MCR and ACR alike (embergershared/aks-wincont-imgpull-opt
/// tests/win2019-tests.md, win2022-tests.md, 2025).
pub const PULL_SETUP: Estimate<Duration> = Estimate {
    default: Duration::ms(350),
    low: Duration::ms(300),
    high: Duration::ms(450),
    dist: Dist::Range,
    source: "embergershared/aks-wincont-imgpull-opt (2025): warm pulls 308-436 ms",
};

/// Disk space the Windows node image itself occupies on the OS disk (AgentBaker
/// `vhdbuilder/packer/windows/windows_settings.json`): WS2022 35 GB, WS2025
/// 45 GB. Unknown for other builds.
pub fn windows_vhd_footprint(windows_build: u32) -> Option<Bytes> {
    match windows_build {
        20348 => Some(Bytes(35_000_000_000)),
        26100 => Some(Bytes(45_000_000_000)),
        _ => None,
    }
}

/// Layer decompression/unpack rate on Linux with gzip layers (unpigz / Go gzip).
pub const LINUX_GZIP_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(150),
    low: mbps(80),
    high: mbps(250),
    dist: Dist::Range,
    source: "[U]: containerd#13560, #13559, #2640; bottlerocket-core-kit#443",
};

/// Layer unpack rate on Linux with zstd layers.
pub const LINUX_ZSTD_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(400),
    low: mbps(250),
    high: mbps(1_000),
    dist: Dist::Range,
    source: "[U]: facebook/zstd README (v1.5.7), containerd#6957",
};

/// Time the Windows NTFS snapshotter spends per file of a layer, beyond writing its bytes
/// at the OS disk rate, fitted `[U]` (docs/calibration.md): with the file counts of the
/// catalog's layers it reproduces the 2025 AKS pulls (embergershared/aks-wincont-imgpull-opt):
/// servercore-based layers (WinSxS, many small files) unpack at ~30 MB/s effective, an
/// NGEN layer at ~100 MB/s and a single-file ISO layer at the disk rate. Older figures
/// bracket it: servercore:ltsc2019 in 255 s with Defender exclusions (Windows-Containers#92,
/// 2022-04-14), servercore:1809 unpacked in 752 s on containerd 1.4 (containerd#4989, 2021).
/// Each file becomes an NTFS file with its security descriptor (containerd#8346).
pub const WINDOWS_EXTRACT_PER_FILE_US: Estimate<u64> = Estimate {
    default: 1_000,
    low: 600,
    high: 2_000,
    dist: Dist::Range,
    source: "fitted [U]: embergershared/aks-wincont-imgpull-opt (2025); Windows-Containers#92; \
             containerd#4989, #8346",
};

/// Files per MB (uncompressed) of a Windows OS-component layer (servercore and nanoserver
/// base and delta, IIS, the .NET Framework installs that write to WinSxS), used for the
/// catalog's layer file counts `[U]`: fitted with [`WINDOWS_EXTRACT_PER_FILE_US`].
pub const WINDOWS_OS_LAYER_FILES_PER_MB: u64 = 26;

/// Files per MB (uncompressed) assumed for a Windows layer that states no `files` `[U]`:
/// an application layer (assemblies, content), as the NGEN'd `runtime:4.8-ltsc2022`
/// layer that unpacked with servercore cached in 6.8 s (embergershared, 2025).
pub const WINDOWS_APP_LAYER_FILES_PER_MB: u64 = 8;

/// Files assumed in a layer that states none: Windows by [`WINDOWS_APP_LAYER_FILES_PER_MB`];
/// on Linux file count does not enter extraction (gzip rate bound), so it is 0.
pub fn default_layer_files(os: Os, uncompressed: Bytes) -> u64 {
    match os {
        Os::Linux => 0,
        Os::Windows => uncompressed.get() / 1_000_000 * WINDOWS_APP_LAYER_FILES_PER_MB,
    }
}

/// Per-file extraction cost on a node of `os`, in microseconds (0 on Linux: gzip
/// decompression bounds it; overlayfs adds little per file).
pub fn extract_per_file_us(os: Os) -> u64 {
    match os {
        Os::Linux => 0,
        Os::Windows => WINDOWS_EXTRACT_PER_FILE_US.default,
    }
}

/// Layer unpack rate with CimFS (not configured on AKS; for what-if runs): 30-50 MB/s
/// (SOCI on Windows investigation: NTFS 250 s -> CimFS 128 s for servercore:ltsc2022).
pub const WINDOWS_CIMFS_EXTRACT: Estimate<Bandwidth> = Estimate {
    default: mbps(40),
    low: mbps(30),
    high: mbps(50),
    dist: Dist::Range,
    source: "[U]: SOCI on Windows investigation (NTFS 250 s -> CimFS 128 s)",
};

/// The rate (uncompressed bytes written per second) a layer's bytes unpack at on a node
/// of `os`: Linux, the gzip rate capped by the OS disk; Windows, the OS disk itself (the
/// NTFS snapshotter's per-file cost is charged separately, [`extract_per_file_us`]); at
/// the burst rate while `bursting`.
pub fn extraction_rate(os: Os, disk: &NodeOsDisk, bursting: bool) -> Bandwidth {
    let disk_bw = if bursting {
        disk.burst_throughput
    } else {
        disk.throughput
    };
    match os {
        Os::Linux => LINUX_GZIP_EXTRACT.default.min(disk_bw),
        Os::Windows => disk_bw,
    }
}

/// Uncompressed-to-compressed ratio for layers whose unpacked size is unknown:
/// `(numerator, denominator)` = 2.5. `[U]`: the .NET Framework and .NET layer estimates of
/// `data/images.yaml` use the same ratio; servercore ltsc2022 measures ~1.8-2.4 and
/// nanoserver ~2.4 (Windows-Containers#321), gzip on Linux root filesystems typically 2.5-3.
pub const DEFAULT_EXPANSION: (u64, u64) = (5, 2);

/// The on-disk size assumed for a layer of `compressed` bytes with no stated
/// uncompressed size (rounded down; saturates at `u64::MAX`).
pub fn default_uncompressed_size(compressed: Bytes) -> Bytes {
    let v = u128::from(compressed.get()) * u128::from(DEFAULT_EXPANSION.0)
        / u128::from(DEFAULT_EXPANSION.1);
    Bytes(u64::try_from(v).unwrap_or(u64::MAX))
}

/// Per-file metadata costs of one OS's filesystem, in microseconds, and multipliers in
/// thousandths (bytes are charged separately at disk throughput).
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
        dist: Dist::Range,
        source,
    }
}

/// Linux ext4/xfs under overlayfs.
pub const LINUX_FILE_COSTS: PerFileCosts = PerFileCosts {
    create_us: est(
        25,
        5,
        80,
        "[U]: ext3 31.7 us (foddex 2009); cp -r ~29 us/file",
    ),
    open_us: est(10, 2, 30, "[U]: no measurement; ext4 open+close estimate"),
    container_layer_permille: est(1050, 1000, 1200, "[U]: overlayfs x1.05 (fuse-overlayfs#92)"),
    volume_permille: est(
        1000,
        1000,
        1000,
        "volumes bypass the container layer (docs.docker.com storage drivers)",
    ),
    defender_write_us: est(
        0,
        0,
        0,
        "no file-scanning antivirus on AKS Linux nodes (AB Linux VHD)",
    ),
    defender_first_open_us: est(
        0,
        0,
        0,
        "no file-scanning antivirus on AKS Linux nodes (AB Linux VHD)",
    ),
};

/// Windows NTFS with Defender real-time protection on and container processes not
/// excluded, as on AKS Windows nodes (Windows-Containers#92, Azure/AKS#1462).
pub const WINDOWS_FILE_COSTS: PerFileCosts = PerFileCosts {
    create_us: est(
        300,
        150,
        1_500,
        "[U]: WinFsp fsbench 0.2 ms; rustup 1.5 ms/file with exclusion",
    ),
    open_us: est(90, 50, 150, "[U]: WinFsp fsbench 88 us; NTFS 60-125 us"),
    container_layer_permille: est(
        1500,
        1000,
        3000,
        "[U]: wcifs + differencing VHDX scratch (aks-engine#2499, DataDog#53758)",
    ),
    volume_permille: est(
        1200,
        1000,
        2000,
        "[U]: bind mount / emptyDir after the 2023 fix (Windows-Containers#345)",
    ),
    defender_write_us: est(
        3_000,
        1_000,
        10_000,
        "[U]: Szorc 1-10 ms per CloseHandle; rustup 4-10 ms/file",
    ),
    defender_first_open_us: est(
        3_000,
        500,
        8_000,
        "[U]: 7.3 ms cold vs 30 us warm (pascal-bergeron); 8.1 ms on WS2022",
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
pub const WINDOWS_CONCURRENCY_PERMILLE_PER_CONTAINER: Estimate<u64> =
    est(150, 100, 200, "[U]: Windows-Containers#459");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn sku(name: &str) -> &'static VmSku {
        Catalog::builtin().vm_sku(name).unwrap()
    }

    /// The default OS disk per size and its effective limits.
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
        // Linux gzip 150 while bursting, 100 after; Windows bytes at the disk rate.
        assert_eq!(extraction_rate(Os::Linux, &p10, true), mbps(150));
        assert_eq!(extraction_rate(Os::Linux, &p10, false), mbps(100));
        assert_eq!(extraction_rate(Os::Windows, &p10, false), mbps(100));
        assert_eq!(extraction_rate(Os::Windows, &p10, true), mbps(170));
        let ds2 = default_os_disk(sku("Standard_DS2_v2"));
        assert_eq!(extraction_rate(Os::Linux, &ds2, true), mbps(96));
        for e in [
            LINUX_GZIP_EXTRACT,
            LINUX_ZSTD_EXTRACT,
            WINDOWS_CIMFS_EXTRACT,
            MCR_BANDWIDTH,
            ACR_BASIC_BANDWIDTH,
            ACR_STANDARD_BANDWIDTH,
            ACR_PREMIUM_BANDWIDTH,
        ] {
            assert!(e.contains(e.default), "{}", e.source);
        }
        assert!(WINDOWS_EXTRACT_PER_FILE_US.contains(WINDOWS_EXTRACT_PER_FILE_US.default));
        assert!(PULL_SETUP.contains(PULL_SETUP.default));
    }

    #[test]
    fn registry_tiers_order_and_layer_files_default_by_os() {
        use crate::scenario::AcrTier;
        let bw = |t| acr_bandwidth(t).default;
        assert!(bw(AcrTier::Basic) < bw(AcrTier::Standard));
        assert!(bw(AcrTier::Standard) < bw(AcrTier::Premium));
        assert_eq!(default_layer_files(Os::Linux, Bytes(1_000_000_000)), 0);
        assert_eq!(
            default_layer_files(Os::Windows, Bytes(1_000_000_000)),
            1_000 * WINDOWS_APP_LAYER_FILES_PER_MB
        );
        // An OS-component layer unpacks at roughly 30 MB/s effective on a bursting P15:
        // 1 MB = 26 files x 1 ms + 1 MB / 170 MB/s.
        let per_mb_us =
            WINDOWS_OS_LAYER_FILES_PER_MB * WINDOWS_EXTRACT_PER_FILE_US.default + 1_000_000 / 170;
        assert!((25_000..40_000).contains(&per_mb_us), "{per_mb_us}");
        assert_eq!(extract_per_file_us(Os::Linux), 0);
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
        // NTFS with Defender on written files is ~100x ext4.
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

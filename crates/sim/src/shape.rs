//! The shape of a pool's nodes: VM size, price, allocatable, OS disk and the kubelet's pull,
//! extraction, I/O and start-up parameters, all drawn from `poolcast_model::catalog`.
//!
//! INTERIM: until the catalog's reservations/disks/provisioning modules land, the values
//! below are computed here from shared/data (facts.md §4-§7, io-costs.md §5); this module
//! is replaced by catalog calls when they do.

use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::{NetworkPlugin, Os, OsDiskType, OsSku, Pool, Provider, Scenario, VmSize};

use crate::cluster::Res;
use crate::kubelet::{FileCosts, KubeletParams, IMAGE_GC_HIGH_PERCENT, IMAGE_GC_LOW_PERCENT, LINUX_NODEFS_EVICTION_PERCENT};
use crate::outcome::Assumption;
use crate::SimError;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
const MB: u64 = 1_000_000;

/// A node template's sizes.
#[derive(Debug, Clone)]
pub struct NodeShape {
    /// VM size name.
    pub vm_size: String,
    /// `kubernetes.io/arch`.
    pub arch: &'static str,
    /// USD per hour.
    pub price_per_hour: Option<f64>,
    /// Allocatable.
    pub allocatable: Res,
    /// Kubelet parameters.
    pub kubelet: KubeletParams,
    /// Add-nodes to Ready.
    pub provision_ms: u64,
}

/// Registry bandwidth when the scenario gives none: ACR Premium's 100 MB/s minimum
/// estimate (io-costs.md §1.7).
pub fn default_registry_bps() -> u64 {
    100 * MB
}

/// Uncompressed size of a layer that states none (io-costs.md §5.2 worked example ratio
/// ~1.8 for Windows servercore, ~2.5 for Linux gzip layers).
pub fn default_uncompressed(os: Os, compressed: u64) -> u64 {
    match os {
        Os::Windows => compressed.saturating_mul(18) / 10,
        Os::Linux => compressed.saturating_mul(25) / 10,
    }
}

fn cpu_reserved_millis(vcpu: u64) -> u64 {
    let mut m = 0;
    for core in 1..=vcpu {
        m += match core {
            1 => 60,
            2 => 40,
            3 | 4 => 20,
            _ => 10,
        };
    }
    m
}

fn regressive_mib(nominal_mib: u64) -> u64 {
    let tiers = [(4096u64, 25u64), (4096, 20), (8192, 10), (114_688, 6), (u64::MAX, 2)];
    let mut left = nominal_mib;
    let mut r = 0u64;
    for (size, pct) in tiers {
        let take = left.min(size);
        r += take * pct;
        left -= take;
        if left == 0 {
            break;
        }
    }
    r / 100
}

/// Node pools' default maxPods by network plugin (facts.md §4).
pub fn default_max_pods(plugin: NetworkPlugin) -> u32 {
    match plugin {
        NetworkPlugin::AzureCniOverlay | NetworkPlugin::AzureCniCilium => 250,
        NetworkPlugin::AzureCniPodSubnet | NetworkPlugin::Kubenet => 110,
        NetworkPlugin::AzureCniNodeSubnet => 30,
    }
}

/// The shape of `pool`'s nodes.
pub fn node_shape(
    scn: &Scenario,
    pool: &Pool,
    os_sku: OsSku,
    minor: u32,
    region: &str,
) -> Result<NodeShape, SimError> {
    let cat = Catalog::builtin();
    let aks = scn.cluster.provider == Provider::Aks;
    let price_os = if pool.azure_hybrid_benefit {
        Os::Linux
    } else {
        pool.os
    };
    let (vm_size, vcpu, memory, temp, price, arch, nic_mbps, disk_cap_mbps) = match &pool.vm_size {
        VmSize::Inline(i) => (
            i.name.clone().unwrap_or_else(|| "inline".into()),
            i.cpu.millis().div_ceil(1000),
            i.memory.get(),
            i.temp_disk.map(|b| b.get()).unwrap_or(0),
            i.price_per_hour,
            "amd64",
            None,
            None,
        ),
        v => {
            let name = v.primary_name().unwrap_or_default();
            let sku = cat
                .vm_sku(name)
                .ok_or_else(|| SimError::UnknownVmSize(name.to_owned()))?;
            (
                sku.name.clone(),
                u64::from(sku.vcpu),
                sku.memory.get(),
                sku.temp_disk.get(),
                sku.price(region, price_os),
                sku.arch.label(),
                sku.network_mbps,
                sku.max_uncached_disk_mbps,
            )
        }
    };
    let max_pods = pool
        .max_pods
        .unwrap_or_else(|| if aks { default_max_pods(scn.cluster.network_plugin) } else { 110 });
    // OS disk: AKS default ephemeral on a temp disk of >= 128 GiB, else managed by vCPU.
    let (disk_bytes, disk_mbps, ephemeral) = {
        let want = pool.os_disk.and_then(|d| d.disk_type);
        let size = pool.os_disk.and_then(|d| d.size_gib).map(|g| u64::from(g) * GIB);
        let eph_ok = temp >= 128 * GIB;
        if want != Some(OsDiskType::Managed) && eph_ok {
            (size.unwrap_or(temp), 250u64, true)
        } else {
            let (gib, mbps) = match vcpu {
                0..=7 => (128, 100),
                8..=15 => (256, 125),
                16..=63 => (512, 150),
                _ => (1024, 200),
            };
            let mbps = disk_cap_mbps.map_or(mbps, |c| mbps.min(u64::from(c)));
            (size.unwrap_or(gib * GIB), mbps, false)
        }
    };
    let _ = ephemeral;
    let nominal_mib = memory / MIB;
    let allocatable = if aks {
        let cpu = vcpu * 1000 - cpu_reserved_millis(vcpu);
        let (reserved_mib, capacity) = match pool.os {
            Os::Windows => (regressive_mib(nominal_mib) + 2048, memory),
            Os::Linux => {
                let kr = if minor >= 29 {
                    (20 * u64::from(max_pods) + 50).min(nominal_mib / 4) + 100
                } else {
                    regressive_mib(nominal_mib) + 750
                };
                (kr, memory - memory * 3 / 100)
            }
        };
        Res {
            cpu,
            memory: capacity.saturating_sub(reserved_mib * MIB),
            ephemeral: match pool.os {
                Os::Linux => disk_bytes * 9 / 10,
                Os::Windows => disk_bytes,
            },
            pods: u64::from(max_pods),
        }
    } else {
        Res {
            cpu: vcpu * 1000,
            memory,
            ephemeral: disk_bytes,
            pods: u64::from(max_pods),
        }
    };
    let kcfg = scn.cluster.kubelet.clone().unwrap_or_default();
    let serialize = kcfg
        .serialize_image_pulls
        .unwrap_or(kcfg.max_parallel_image_pulls.is_none_or(|m| m < 2) && (!aks || minor < 31));
    let (extract_cpu, start_ms, costs, base, provision) = match pool.os {
        Os::Linux => (
            150 * MB,
            1_000,
            FileCosts {
                open_us: 10,
                create_us: 25,
                layer_multiplier_permille: 1050,
                first_open_scan_us: 0,
                write_scan_us: 0,
            },
            30 * GIB,
            180_000,
        ),
        Os::Windows => (
            20 * MB,
            5_000,
            FileCosts {
                open_us: 90,
                create_us: 300,
                layer_multiplier_permille: 1500,
                first_open_scan_us: 3_000,
                write_scan_us: 3_000,
            },
            if os_sku == OsSku::Windows2025 { 45 } else { 35 } * 1_000_000_000,
            420_000,
        ),
    };
    let nic_bps = nic_mbps.map_or(u64::MAX, |m| u64::from(m) * 1_000_000 / 8);
    Ok(NodeShape {
        vm_size,
        arch,
        price_per_hour: price,
        allocatable,
        kubelet: KubeletParams {
            os: pool.os,
            windows_build: os_sku.windows_build().filter(|_| pool.os == Os::Windows),
            serialize_image_pulls: serialize,
            max_parallel_image_pulls: kcfg.max_parallel_image_pulls,
            nic_bps,
            extract_bps: extract_cpu.min(disk_mbps * MB),
            disk_bps: disk_mbps * MB,
            disk_capacity: disk_bytes,
            disk_base_used: base.min(disk_bytes),
            gc_high_percent: kcfg.image_gc_high_threshold_percent.unwrap_or(IMAGE_GC_HIGH_PERCENT),
            gc_low_percent: kcfg.image_gc_low_threshold_percent.unwrap_or(IMAGE_GC_LOW_PERCENT),
            eviction_percent: match pool.os {
                Os::Linux => Some(LINUX_NODEFS_EVICTION_PERCENT),
                Os::Windows => None,
            },
            start_overhead_ms: start_ms,
            file_costs: costs,
        },
        provision_ms: provision,
    })
}

/// The approximations behind node shapes, for `Outcome::assumptions`.
pub fn assumptions(aks: bool) -> Vec<Assumption> {
    let mut v = vec![Assumption {
        topic: "pull".into(),
        text: "layers download one after another and unpack in order after their download".into(),
        source: "containerd unpacker; io-costs.md §3.3".into(),
    }];
    if aks {
        v.push(Assumption {
            topic: "allocatable".into(),
            text: "AKS kube-reserved brackets, memory on nominal MiB, Linux capacity 3% below nominal".into(),
            source: "facts.md §5".into(),
        });
    }
    v
}

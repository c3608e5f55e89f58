//! AKS node reservations: what a node reports as capacity and what the kubelet leaves
//! allocatable after kube-reserved and the hard eviction thresholds.
//!
//! Rules (AKS docs `node-resource-reservations.md`, 2026-06-11; AgentBaker kubelet flags;
//! Azure/karpenter-provider-azure `instancetype.go`; checked against 14 published
//! `kubectl describe node` outputs of real AKS nodes, C1-C14 in `docs/sources.md`):
//! - kube-reserved CPU is a bracket function of cores: 6% of the first core, 4% of the
//!   second, 2% of the third and fourth, 1% of every further core.
//! - kube-reserved memory is computed on the SKU's **nominal** memory in MiB (the
//!   `kubernetes.azure.com/sku-memory` label), floored to whole MiB:
//!   Linux on AKS >= 1.29: `min(20 MiB x maxPods + 50 MiB, 25% of nominal)`, eviction
//!   `memory.available<100Mi`; Linux before 1.29: the regressive tiers 25/20/10/6/2 %,
//!   eviction `<750Mi`; Windows (every version): regressive tiers + 2048 MiB system
//!   reserve, no eviction threshold.
//! - Capacity is what the guest kernel reports, less than the nominal size: Linux
//!   `MemTotal` lacks the kernel's own reservations (struct pages, about 1.6% of RAM,
//!   plus kernel image and firmware holes), fitted over ten published Linux nodes of 3.5 to
//!   32 GiB as [`LINUX_KERNEL_RESERVED_RATE`] x nominal + [`LINUX_KERNEL_RESERVED_FIXED`]
//!   (within 0.2% of each); Windows reports nominal minus [`WINDOWS_CAPACITY_SHORTFALL`]
//!   (460 KiB on every published Windows node, 7 to 128 GiB, 2018-2024). Reservations are
//!   computed on nominal and subtracted from that capacity, which reproduces every published
//!   node to the KiB (`crates/model/tests/allocatable.rs`).
//! - Ephemeral storage: Linux evicts at `nodefs.available<10%`, so allocatable is 90% of
//!   the OS disk; Windows sets no eviction threshold, so allocatable = capacity.
//!
//! All arithmetic is integer; nothing here panics on any input.

use super::disks::default_os_disk;
use super::skus::VmSku;
use crate::scenario::Os;
use crate::units::{Bytes, Cpu, Percent};

const MIB: u64 = 1 << 20;
const KIB: u64 = 1 << 10;

/// The part of a Linux guest's memory its kernel keeps that grows with RAM: 1.75% of
/// nominal (the `struct page` array alone is 64 B per 4 KiB page, 1.56%). Fitted [U] with
/// [`LINUX_KERNEL_RESERVED_FIXED`] over the capacities of ten published AKS Linux nodes
/// (Ubuntu 16.04-22.04, 3.5-32 GiB, 2019-2026; `crates/model/tests/data/aks-node-descriptions.csv`):
/// each within 0.2%. Larger sizes are an extrapolation.
pub const LINUX_KERNEL_RESERVED_RATE: Percent = Percent(175);
/// The fixed part of a Linux guest's kernel reservation: 99 MiB [U, fitted with
/// [`LINUX_KERNEL_RESERVED_RATE`]].
pub const LINUX_KERNEL_RESERVED_FIXED: Bytes = Bytes::mib(99);
/// How far below nominal a Windows node reports its memory: 460 KiB, on every published AKS
/// Windows node (DS2_v2 7 GiB 2020, NC4as_T4_v3 28 GiB 2023, D32ads_v5 128 GiB 2024) and on
/// a 2 vCPU / 8 GiB Windows node in kubernetes/kubernetes#69960 (2018).
pub const WINDOWS_CAPACITY_SHORTFALL: Bytes = Bytes::kib(460);

/// Linux hard eviction threshold on AKS >= 1.29 (`memory.available<100Mi`).
pub const LINUX_EVICTION_MEMORY: Bytes = Bytes::mib(100);
/// Linux hard eviction threshold before AKS 1.29 (`memory.available<750Mi`).
pub const LINUX_LEGACY_EVICTION_MEMORY: Bytes = Bytes::mib(750);
/// The memory AKS adds to kube-reserved on Windows nodes for system processes (kubelet,
/// containerd, kube-proxy and csi-proxy run as services), AgentBaker
/// `kubeletfunc.ps1` (`--kube-reserved=...,memory=3891Mi` on an 8 GiB node = 1843 + 2048).
pub const WINDOWS_SYSTEM_RESERVE: Bytes = Bytes::mib(2048);
/// Linux `nodefs.available<10%` (kubelet default hard eviction, kept by AKS).
pub const LINUX_NODEFS_EVICTION: Percent = Percent(1000);
/// First Kubernetes version with the per-pod Linux memory rule.
pub const PER_POD_MEMORY_RULE_SINCE: (u32, u32) = (1, 29);

/// Which memory reservation rule applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryRule {
    /// Linux, AKS >= 1.29: `min(20 MiB x maxPods + 50 MiB, 25%)`, eviction 100Mi.
    LinuxPerPod,
    /// Linux, AKS < 1.29: regressive tiers, eviction 750Mi.
    LinuxRegressive,
    /// Windows: regressive tiers + 2048 MiB, no eviction.
    WindowsRegressive,
}

/// A node's resources along one axis (capacity, a reservation, or allocatable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeQuantities {
    /// CPU.
    pub cpu: Cpu,
    /// Memory.
    pub memory: Bytes,
    /// Ephemeral storage (the OS disk, where containerd also keeps images).
    pub ephemeral_storage: Bytes,
    /// Pod slots.
    pub pods: u32,
}

/// Capacity, what is reserved, and what is left allocatable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeResources {
    /// What the node reports as capacity.
    pub capacity: NodeQuantities,
    /// `--kube-reserved` (cpu and memory; on Windows it includes the 2 GiB system reserve).
    pub kube_reserved: NodeQuantities,
    /// `--eviction-hard` thresholds (memory, and ephemeral storage on Linux).
    pub eviction_hard: NodeQuantities,
    /// capacity - kube_reserved - eviction_hard, floored at zero.
    pub allocatable: NodeQuantities,
    /// The memory rule used.
    pub memory_rule: MemoryRule,
}

/// AKS kube-reserved CPU for a node with `vcpu` cores: 60m for the first core, 40m for the
/// second, 20m each for the third and fourth, 10m for each core beyond
/// (`node-resource-reservations.md`; Karpenter `reservedCPUTaxVCPU`).
pub fn kube_reserved_cpu(vcpu: u32) -> Cpu {
    let n = u64::from(vcpu);
    let first = n.min(1) * 60;
    let second = n.saturating_sub(1).min(1) * 40;
    let third_fourth = n.saturating_sub(2).min(2) * 20;
    let rest = n.saturating_sub(4) * 10;
    Cpu(first + second + third_fourth + rest)
}

/// The regressive memory reservation in MiB: 25% of the first 4 GiB, 20% of the next 4,
/// 10% of the next 8, 6% of the next 112, 2% above 128 GiB, of `nominal`, floored to a
/// whole MiB (as the 14 published `kubectl describe node` outputs require; "MB" in
/// `node-resource-reservations.md` means MiB).
pub fn regressive_memory_reserve(nominal: Bytes) -> Bytes {
    const TIERS: [(u64, u64); 4] = [(4096, 25), (4096, 20), (8192, 10), (114_688, 6)];
    let mut left = nominal.as_mib();
    // percent x MiB, exact; divided by 100 once at the end.
    let mut hundredths: u128 = 0;
    for (size, pct) in TIERS {
        let take = left.min(size);
        hundredths += u128::from(take) * u128::from(pct);
        left -= take;
    }
    hundredths += u128::from(left) * 2;
    Bytes(mib_u64(hundredths / 100))
}

/// Linux kube-reserved memory on AKS >= 1.29: `min(20 MiB x maxPods + 50 MiB, 25% of
/// nominal)`, in whole MiB.
pub fn per_pod_memory_reserve(nominal: Bytes, max_pods: u32) -> Bytes {
    let per_pod = 20 * u64::from(max_pods) + 50;
    let quarter = nominal.as_mib() / 4;
    Bytes(mib_u64(u128::from(per_pod.min(quarter))))
}

fn mib_u64(mib: u128) -> u64 {
    u64::try_from(mib.saturating_mul(u128::from(MIB))).unwrap_or(u64::MAX)
}

/// The memory a Linux guest reports as capacity for a size of `nominal` memory: nominal
/// minus [`LINUX_KERNEL_RESERVED_RATE`] of it and [`LINUX_KERNEL_RESERVED_FIXED`], floored
/// to whole KiB as the kubelet reports it (`MemTotal`).
pub fn linux_reported_memory(nominal: Bytes) -> Bytes {
    let kib = u128::from(nominal.get() / KIB);
    let rate = kib * u128::from(LINUX_KERNEL_RESERVED_RATE.0) / 10_000;
    let fixed = u128::from(LINUX_KERNEL_RESERVED_FIXED.get() / KIB);
    let left = kib.saturating_sub(rate).saturating_sub(fixed);
    Bytes(u64::try_from(left * u128::from(KIB)).unwrap_or(u64::MAX))
}

/// The memory a Windows node reports as capacity: nominal minus
/// [`WINDOWS_CAPACITY_SHORTFALL`].
pub fn windows_reported_memory(nominal: Bytes) -> Bytes {
    Bytes(
        nominal
            .get()
            .saturating_sub(WINDOWS_CAPACITY_SHORTFALL.get()),
    )
}

/// The memory capacity a node of `os` reports for a size of `nominal` memory.
pub fn reported_memory(nominal: Bytes, os: Os) -> Bytes {
    match os {
        Os::Linux => linux_reported_memory(nominal),
        Os::Windows => windows_reported_memory(nominal),
    }
}

/// Capacity, reservations and allocatable of an AKS node, its memory capacity from
/// [`reported_memory`].
///
/// `nominal_memory` is the SKU's nominal memory, `k8s_minor` the cluster version as
/// `(major, minor)`, `os_disk` the OS disk size (ephemeral-storage capacity).
pub fn node_allocatable(
    sku_vcpu: u32,
    nominal_memory: Bytes,
    os: Os,
    k8s_minor: (u32, u32),
    max_pods: u32,
    os_disk: Bytes,
) -> NodeResources {
    node_allocatable_with_capacity(
        sku_vcpu,
        nominal_memory,
        reported_memory(nominal_memory, os),
        os,
        k8s_minor,
        max_pods,
        os_disk,
    )
}

/// [`node_allocatable`] for a catalog VM size with AKS's default OS disk for it
/// ([`default_os_disk`]).
pub fn sku_allocatable(sku: &VmSku, os: Os, k8s_minor: (u32, u32), max_pods: u32) -> NodeResources {
    node_allocatable(
        sku.vcpu,
        sku.memory,
        os,
        k8s_minor,
        max_pods,
        default_os_disk(sku).size,
    )
}

/// [`node_allocatable`] with the memory capacity given (e.g. a real node's reported
/// capacity); the reservations are still computed on `nominal_memory`, as AKS does.
pub fn node_allocatable_with_capacity(
    sku_vcpu: u32,
    nominal_memory: Bytes,
    capacity_memory: Bytes,
    os: Os,
    k8s_minor: (u32, u32),
    max_pods: u32,
    os_disk: Bytes,
) -> NodeResources {
    let cpu = Cpu::cores(u64::from(sku_vcpu));
    let reserved_cpu = kube_reserved_cpu(sku_vcpu);
    let (memory_rule, reserved_memory, eviction_memory, eviction_disk) = match os {
        Os::Linux => {
            // nodefs.available<10%: the kubelet takes the percentage of the filesystem
            // capacity (pkg/kubelet/eviction/helpers.go GetThresholdQuantity), floored.
            let disk = Bytes(
                u64::try_from(
                    u128::from(os_disk.get()) * u128::from(LINUX_NODEFS_EVICTION.0) / 10_000,
                )
                .unwrap_or(u64::MAX),
            );
            if k8s_minor >= PER_POD_MEMORY_RULE_SINCE {
                (
                    MemoryRule::LinuxPerPod,
                    per_pod_memory_reserve(nominal_memory, max_pods),
                    LINUX_EVICTION_MEMORY,
                    disk,
                )
            } else {
                (
                    MemoryRule::LinuxRegressive,
                    regressive_memory_reserve(nominal_memory),
                    LINUX_LEGACY_EVICTION_MEMORY,
                    disk,
                )
            }
        }
        Os::Windows => (
            MemoryRule::WindowsRegressive,
            Bytes(
                regressive_memory_reserve(nominal_memory)
                    .get()
                    .saturating_add(WINDOWS_SYSTEM_RESERVE.get()),
            ),
            Bytes(0),
            Bytes(0),
        ),
    };
    let capacity = NodeQuantities {
        cpu,
        memory: capacity_memory,
        ephemeral_storage: os_disk,
        pods: max_pods,
    };
    let kube_reserved = NodeQuantities {
        cpu: reserved_cpu,
        memory: reserved_memory,
        ephemeral_storage: Bytes(0),
        pods: 0,
    };
    let eviction_hard = NodeQuantities {
        cpu: Cpu(0),
        memory: eviction_memory,
        ephemeral_storage: eviction_disk,
        pods: 0,
    };
    let allocatable = NodeQuantities {
        cpu: Cpu(cpu.0.saturating_sub(reserved_cpu.0)),
        memory: Bytes(
            capacity_memory
                .get()
                .saturating_sub(reserved_memory.get())
                .saturating_sub(eviction_memory.get()),
        ),
        ephemeral_storage: Bytes(os_disk.get().saturating_sub(eviction_disk.get())),
        pods: max_pods,
    };
    NodeResources {
        capacity,
        kube_reserved,
        eviction_hard,
        allocatable,
        memory_rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_brackets_match_the_aks_table() {
        let cases = [
            (0, 0),
            (1, 60),
            (2, 100),
            (3, 120),
            (4, 140),
            (6, 160),
            (8, 180),
            (16, 260),
            (24, 340),
            (32, 420),
            (64, 740),
        ];
        for (cores, want) in cases {
            assert_eq!(kube_reserved_cpu(cores), Cpu(want), "{cores} cores");
        }
    }

    #[test]
    fn regressive_tiers() {
        let cases = [
            (4, 1024),
            (7, 1638),    // 1024 + 614.4
            (8, 1843),    // 1024 + 819.2
            (16, 2662),   // + 819.2
            (32, 3645),   // + 983.04
            (56, 5120),   // 1024 + 819.2 + 819.2 + 2457.6: floored once, not per tier
            (128, 9543),  // 2662.4 + 6881.28
            (256, 12165), // + 2% of 128 GiB = 2621.44
        ];
        for (gib, want_mib) in cases {
            assert_eq!(
                regressive_memory_reserve(Bytes::gib(gib)),
                Bytes::mib(want_mib),
                "{gib} GiB"
            );
        }
    }

    fn d4s_v5(os: Os, k8s: (u32, u32), pods: u32) -> NodeResources {
        node_allocatable(4, Bytes::gib(16), os, k8s, pods, Bytes::gib(128))
    }

    /// D4s_v5 (4 vCPU, 16 GiB nominal) under the rules of `node-resource-reservations.md`
    /// (2026-06-11) and the AgentBaker Windows kubelet flags.
    #[test]
    fn d4s_v5_worked_example() {
        // Linux capacity: 16,777,216 KiB - 1.75% (293,601 KiB) - 99 MiB (101,376 KiB).
        let cap = Bytes(16_382_239 * 1024);
        let win_cap = Bytes(Bytes::gib(16).get() - 460 * 1024);
        let cases = [
            (Os::Linux, (1, 33), 30, 650, 100, MemoryRule::LinuxPerPod),
            (Os::Linux, (1, 29), 110, 2250, 100, MemoryRule::LinuxPerPod),
            (Os::Linux, (1, 31), 250, 4096, 100, MemoryRule::LinuxPerPod),
            (
                Os::Linux,
                (1, 28),
                110,
                2662,
                750,
                MemoryRule::LinuxRegressive,
            ),
            (
                Os::Windows,
                (1, 33),
                30,
                4710,
                0,
                MemoryRule::WindowsRegressive,
            ),
        ];
        for (os, k8s, pods, reserved, eviction, rule) in cases {
            let r = d4s_v5(os, k8s, pods);
            let ctx = format!("{os} {k8s:?} {pods} pods");
            assert_eq!(r.memory_rule, rule, "{ctx}");
            assert_eq!(r.capacity.cpu, Cpu(4000), "{ctx}");
            assert_eq!(r.allocatable.cpu, Cpu(3860), "{ctx}");
            assert_eq!(r.kube_reserved.memory, Bytes::mib(reserved), "{ctx}");
            assert_eq!(r.eviction_hard.memory, Bytes::mib(eviction), "{ctx}");
            assert_eq!(r.allocatable.pods, pods, "{ctx}");
            let capacity = if os == Os::Linux { cap } else { win_cap };
            assert_eq!(r.capacity.memory, capacity, "{ctx}");
            assert_eq!(
                r.allocatable.memory,
                Bytes(capacity.get() - Bytes::mib(reserved + eviction).get()),
                "{ctx}"
            );
        }
        // Windows: 16384Mi - 460Ki - 4710Mi = 11674Mi - 460Ki.
        assert_eq!(
            d4s_v5(Os::Windows, (1, 30), 30).allocatable.memory,
            Bytes(Bytes::mib(11_674).get() - 460 * 1024)
        );
    }

    #[test]
    fn catalog_sizes_use_their_default_os_disk() {
        let c = crate::catalog::Catalog::builtin();
        let d4ds = c.vm_sku("Standard_D4ds_v5").unwrap();
        let r = sku_allocatable(d4ds, Os::Windows, (1, 33), 30);
        assert_eq!(r.capacity.ephemeral_storage, Bytes::gib(150));
        assert_eq!(
            r.allocatable.memory,
            Bytes(Bytes::mib(11_674).get() - 460 * 1024)
        );
        let d8 = c.vm_sku("Standard_D8s_v5").unwrap();
        let r = sku_allocatable(d8, Os::Linux, (1, 33), 110);
        assert_eq!(r.capacity.ephemeral_storage, Bytes::gib(256));
        assert_eq!(r.allocatable.cpu, Cpu(8000 - 180));
    }

    #[test]
    fn windows_8_gib_reserves_3891_mib() {
        let r = node_allocatable(2, Bytes::gib(8), Os::Windows, (1, 28), 30, Bytes::gib(128));
        assert_eq!(r.kube_reserved.memory, Bytes::mib(3891));
        assert_eq!(r.kube_reserved.cpu, Cpu(100));
        assert_eq!(r.eviction_hard, NodeQuantities::default());
    }

    #[test]
    fn ephemeral_storage_allocatable() {
        let disk = Bytes::gib(128);
        let linux = d4s_v5(Os::Linux, (1, 33), 30);
        assert_eq!(linux.capacity.ephemeral_storage, disk);
        assert_eq!(
            linux.eviction_hard.ephemeral_storage,
            Bytes(disk.get() / 10)
        );
        assert_eq!(
            linux.allocatable.ephemeral_storage,
            Bytes(disk.get() - disk.get() / 10)
        );
        let win = d4s_v5(Os::Windows, (1, 33), 30);
        assert_eq!(win.allocatable.ephemeral_storage, disk);
    }

    #[test]
    fn reported_capacity_follows_the_kernel_and_windows_models() {
        // 8 GiB: 8,388,608 KiB - 146,800 (1.75%) - 101,376 = 8,140,432 KiB; the published
        // D2s_v4 and D2as_v4 nodes report 8,148,464 and 8,129,936 KiB.
        assert_eq!(
            linux_reported_memory(Bytes::gib(8)),
            Bytes(8_140_432 * 1024)
        );
        assert_eq!(
            reported_memory(Bytes::gib(128), Os::Windows),
            Bytes(134_217_268 * 1024)
        );
        // The capacity given replaces the model; reservations stay on nominal.
        let exact = node_allocatable_with_capacity(
            4,
            Bytes::gib(16),
            Bytes::gib(16),
            Os::Linux,
            (1, 33),
            30,
            Bytes::gib(128),
        );
        assert_eq!(exact.capacity.memory, Bytes::gib(16));
        assert_eq!(exact.allocatable.memory, Bytes::mib(16_384 - 750));
        assert_eq!(linux_reported_memory(Bytes(0)), Bytes(0));
    }

    #[test]
    fn tiny_or_extreme_inputs_never_underflow() {
        let r = node_allocatable(1, Bytes::mib(512), Os::Windows, (1, 20), 10, Bytes(0));
        assert_eq!(r.allocatable.memory, Bytes(0));
        let r = node_allocatable(0, Bytes(0), Os::Linux, (1, 33), 0, Bytes(0));
        assert_eq!(r.allocatable, NodeQuantities::default());
        let r = node_allocatable(
            u32::MAX,
            Bytes(u64::MAX),
            Os::Windows,
            (1, 33),
            u32::MAX,
            Bytes(u64::MAX),
        );
        assert!(r.allocatable.memory.get() > 0);
        let r = node_allocatable(
            2,
            Bytes(u64::MAX),
            Os::Linux,
            (1, 33),
            u32::MAX,
            Bytes(u64::MAX),
        );
        assert!(r.allocatable.memory.get() > 0);
    }

    #[test]
    fn every_catalog_size_has_an_allocatable_from_its_specs() {
        let c = crate::catalog::Catalog::builtin();
        for sku in c.vm_skus().filter(|s| s.aks_user) {
            for os in [Os::Linux, Os::Windows] {
                let r = sku_allocatable(sku, os, (1, 33), 30);
                let a = &r.allocatable;
                assert!(a.cpu.millis() > 0, "{} {os:?}", sku.name);
                assert!(a.cpu < Cpu::cores(u64::from(sku.vcpu)), "{}", sku.name);
                assert!(a.memory < sku.memory, "{}", sku.name);
                // AKS User pools need >= 2 vCPU; the CPU reserve is never above 100m
                // for the first two cores, so >= 1900m stays.
                assert!(a.cpu >= Cpu(1900), "{}", sku.name);
            }
        }
    }
}

//! The per-pool part of [`super::resolve`]: the shape of a pool's nodes (VM size, price,
//! allocatable, OS disk and the kubelet's pull, extraction, I/O and start-up parameters,
//! provisioning time). Every Azure/AKS number comes from the catalog it is given
//! (reservations, disks, provisioning, aks); this module only combines them for one pool
//! and applies the scenario's overrides.

use poolcast_model::catalog::{self, Arch, Catalog, PriceBasis, VmSku};
use poolcast_model::scenario::{Os, OsSku, Pool, Provider, Scenario, VmSize};
use poolcast_model::Bytes;

use crate::cluster::Res;
use crate::kubelet::{FileCosts, KubeletParams, IMAGE_GC_HIGH_PERCENT, IMAGE_GC_LOW_PERCENT};
use crate::outcome::Assumption;
use crate::SimError;

/// A node template's sizes.
#[derive(Debug, Clone)]
pub struct NodeShape {
    /// VM size name.
    pub vm_size: String,
    /// `kubernetes.io/arch`.
    pub arch: &'static str,
    /// USD per node-hour the organisation pays: the VM after `cluster.pricing` plus its
    /// OS disk (monthly price / 730 h, after the discount); `None` when the VM is unpriced.
    pub price_per_hour: Option<f64>,
    /// Where the price comes from: `published`, `rule` (Windows = Linux + licence),
    /// `linux rate (Azure Hybrid Benefit)` or `inline`, then any `cluster.pricing`
    /// adjustment; `None` when unpriced.
    pub price_basis: Option<String>,
    /// The VM part of `price_per_hour`.
    pub vm_price_per_hour: Option<f64>,
    /// The OS disk part of `price_per_hour` (0 for ephemeral; `None`: the disk tier has no
    /// price, left out of `price_per_hour` and named in `disk_basis`).
    pub disk_price_per_hour: Option<f64>,
    /// The OS disk's SKU, tier and price source (`estimated` outside East US).
    pub disk_basis: String,
    /// The disk price is East US's, borrowed for this region.
    pub disk_estimated: bool,
    /// Allocatable.
    pub allocatable: Res,
    /// Kubelet parameters.
    pub kubelet: KubeletParams,
    /// Add-nodes to Ready.
    pub provision_ms: u64,
}

/// Registry bandwidth when the scenario gives none.
pub fn default_registry_bps() -> u64 {
    catalog::disks::DEFAULT_REGISTRY_BANDWIDTH.bytes_per_sec()
}

/// Uncompressed size of a layer that states none (catalog `DEFAULT_EXPANSION`, x2.5).
pub fn default_uncompressed(_os: Os, compressed: u64) -> u64 {
    catalog::disks::default_uncompressed_size(Bytes(compressed)).get()
}

/// An inline VM size as a catalog record, so the same disk and reservation rules apply.
pub fn inline_sku(i: &poolcast_model::scenario::InlineVmSize) -> VmSku {
    let temp = i.temp_disk.unwrap_or_default();
    VmSku {
        name: i.name.clone().unwrap_or_else(|| "inline".to_owned()),
        family: "inline".to_owned(),
        vcpu: u32::try_from(i.cpu.millis().div_ceil(1000)).unwrap_or(u32::MAX),
        memory: i.memory,
        temp_disk: temp,
        network_mbps: None,
        max_uncached_disk_mbps: None,
        max_uncached_disk_iops: None,
        max_uncached_disk_bandwidth: None,
        ephemeral_os_disk: temp.get() > 0,
        accelerated_networking: String::new(),
        arch: Arch::Amd64,
        premium_io: None,
        gpus: None,
        aks_user: true,
        aks_system: true,
        prices: Default::default(),
        source: "inline in the scenario".to_owned(),
    }
}

/// The shape of `pool`'s nodes.
pub fn node_shape(
    cat: &Catalog,
    scn: &Scenario,
    pool: &Pool,
    os_sku: OsSku,
    minor: u32,
    region: &str,
) -> Result<NodeShape, SimError> {
    let aks = scn.cluster.provider == Provider::Aks;
    let k8s = (1, minor);
    // Azure Hybrid Benefit removes the Windows licence: Windows nodes at the Linux rate
    // (per pool, or for every Windows pool with `cluster.pricing.azureHybridBenefit`).
    let pricing = scn.cluster.pricing.clone().unwrap_or_default();
    let hybrid = pool.azure_hybrid_benefit || pricing.azure_hybrid_benefit;
    let price_os = if hybrid { Os::Linux } else { pool.os };
    let owned;
    let sku: &VmSku = match &pool.vm_size {
        VmSize::Inline(i) => {
            owned = inline_sku(i);
            &owned
        }
        VmSize::Auto(req) => {
            catalog::select::cheapest(cat, req, pool.os, pool.mode, region, price_os, aks)
                .ok_or_else(|| {
                    SimError::Invalid(format!(
                "pool {}: no VM size of the catalog meets its vmSize requirements in {region}",
                pool.name
            ))
                })?
        }
        v => {
            let name = v.primary_name().unwrap_or_default();
            cat.vm_sku(name)
                .ok_or_else(|| SimError::UnknownVmSize(name.to_owned()))?
        }
    };
    let disk = catalog::disks::os_disk_for(sku, pool.os_disk.as_ref())
        .map_err(|e| SimError::Invalid(format!("pool {}: {e}", pool.name)))?;
    let paid = paid_price(scn, pool, sku, &disk, region);
    let max_pods = pool.max_pods.unwrap_or_else(|| {
        if aks {
            catalog::aks::default_max_pods(scn.cluster.network_plugin)
        } else {
            // kubelet `maxPods` default (pkg/kubelet/apis/config/v1beta1/defaults.go).
            110
        }
    });
    let allocatable = if aks {
        let r = catalog::reservations::node_allocatable(
            sku.vcpu, sku.memory, pool.os, k8s, max_pods, disk.size,
        );
        Res {
            cpu: r.allocatable.cpu.millis(),
            memory: r.allocatable.memory.get(),
            ephemeral: r.allocatable.ephemeral_storage.get(),
            pods: u64::from(r.allocatable.pods),
        }
    } else {
        // provider generic: no reservations beyond what the scenario states.
        Res {
            cpu: u64::from(sku.vcpu) * 1000,
            memory: sku.memory.get(),
            ephemeral: disk.size.get(),
            pods: u64::from(max_pods),
        }
    };
    let kcfg = scn.cluster.kubelet.clone().unwrap_or_default();
    // kubelet: serializeImagePulls is true unless maxParallelImagePulls >= 2
    // (v1beta1/defaults.go); AKS pulls in parallel from 1.31.
    let serialize = kcfg.serialize_image_pulls.unwrap_or_else(|| {
        if kcfg.max_parallel_image_pulls.is_some_and(|m| m >= 2) {
            false
        } else if aks {
            catalog::aks::default_serialize_image_pulls(k8s)
        } else {
            true
        }
    });
    let windows_build = os_sku.windows_build().filter(|_| pool.os == Os::Windows);
    let base_used = match windows_build {
        Some(b) => catalog::disks::windows_vhd_footprint(b)
            .or_else(|| catalog::disks::windows_vhd_footprint(20348))
            .map(Bytes::get)
            .unwrap_or(0),
        None => catalog::disks::LINUX_VHD_FOOTPRINT.get(),
    };
    let costs = catalog::disks::per_file_costs(pool.os);
    let nic_bps = sku
        .network_mbps
        .map_or(u64::MAX, |m| u64::from(m) * 1_000_000 / 8);
    let provision = match pool.os {
        Os::Linux => scn
            .cluster
            .autoscaler
            .as_ref()
            .and_then(|a| a.linux_provision_time),
        Os::Windows => scn
            .cluster
            .autoscaler
            .as_ref()
            .and_then(|a| a.windows_provision_time),
    }
    .unwrap_or(catalog::provisioning::node_ready_time(pool.os).default);
    Ok(NodeShape {
        vm_size: sku.name.clone(),
        arch: sku.arch.label(),
        price_per_hour: paid.per_hour,
        price_basis: paid.basis,
        vm_price_per_hour: paid.vm,
        disk_price_per_hour: paid.disk,
        disk_basis: paid.disk_basis,
        disk_estimated: paid.disk_estimated,
        allocatable,
        kubelet: KubeletParams {
            os: pool.os,
            windows_build,
            serialize_image_pulls: serialize,
            max_parallel_image_pulls: kcfg.max_parallel_image_pulls,
            nic_bps,
            extract_bps: catalog::disks::extraction_rate(pool.os, &disk, false).bytes_per_sec(),
            extract_burst_bps: catalog::disks::extraction_rate(pool.os, &disk, true)
                .bytes_per_sec(),
            extract_per_file_us: catalog::disks::extract_per_file_us(pool.os),
            pull_setup_ms: catalog::disks::PULL_SETUP.default.as_ms(),
            disk_bps: disk.throughput.bytes_per_sec(),
            disk_burst_bps: disk.burst_throughput.bytes_per_sec(),
            burst_ms: disk.burst_duration.as_ms(),
            disk_capacity: disk.size.get(),
            disk_base_used: base_used.min(disk.size.get()),
            gc_high_percent: kcfg
                .image_gc_high_threshold_percent
                .unwrap_or(IMAGE_GC_HIGH_PERCENT),
            gc_low_percent: kcfg
                .image_gc_low_threshold_percent
                .unwrap_or(IMAGE_GC_LOW_PERCENT),
            // AKS Windows nodes run with an empty --eviction-hard (AB kubeletfunc.ps1).
            eviction_percent: match pool.os {
                Os::Linux => Some(catalog::reservations::LINUX_NODEFS_EVICTION.0 / 100),
                Os::Windows => None,
            },
            start_overhead_ms: catalog::provisioning::container_start(pool.os)
                .default
                .as_ms(),
            file_costs: FileCosts {
                open_us: costs.open_us.default,
                create_us: costs.create_us.default,
                layer_multiplier_permille: costs.container_layer_permille.default,
                first_open_scan_us: costs.defender_first_open_us.default,
                write_scan_us: costs.defender_write_us.default,
            },
        },
        provision_ms: provision.as_ms(),
    })
}

/// What the outputs' prices are: `list` (pay-as-you-go list prices) or `paid after
/// cluster.pricing: <what applies>`.
pub fn pricing_basis(scn: &Scenario) -> String {
    use poolcast_model::scenario::{CommitmentKind, CommitmentTerm};
    let Some(p) = &scn.cluster.pricing else {
        return "list".to_owned();
    };
    let mut v = Vec::new();
    if let Some(c) = &p.commitment {
        v.push(format!(
            "{} {} at {}% on VMs",
            match c.kind {
                CommitmentKind::Reservation => "reservation",
                CommitmentKind::SavingsPlan => "savings plan",
            },
            match c.term {
                CommitmentTerm::OneYear => "1y",
                CommitmentTerm::ThreeYears => "3y",
            },
            c.rate_percent
        ));
    }
    if let Some(d) = p.discount_percent.filter(|d| *d > 0.0) {
        v.push(format!("{d}% discount"));
    }
    if p.azure_hybrid_benefit {
        v.push("Azure Hybrid Benefit on Windows pools".to_owned());
    }
    if v.is_empty() {
        "list".to_owned()
    } else {
        format!("paid after cluster.pricing: {}", v.join(", "))
    }
}

/// What one node of a pool costs the organisation per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidPrice {
    /// VM + OS disk, USD per node-hour; `None` when the VM is unpriced.
    pub per_hour: Option<f64>,
    /// VM, after Azure Hybrid Benefit, the commitment and the discount.
    pub vm: Option<f64>,
    /// OS disk (monthly / 730 h, after the discount; commitments cover compute only).
    pub disk: Option<f64>,
    /// The VM price's basis (`published`, `rule`, AHB, `inline`, then adjustments).
    pub basis: Option<String>,
    /// The disk's SKU, tier and source.
    pub disk_basis: String,
    /// The disk price is borrowed from East US.
    pub disk_estimated: bool,
}

/// What a node of `pool` on `sku` with OS disk `disk` costs in `region` after the
/// scenario's `cluster.pricing`: the one price `run`, `plan` and `report` use.
pub fn paid_price(
    scn: &Scenario,
    pool: &Pool,
    sku: &VmSku,
    disk: &catalog::disks::NodeOsDisk,
    region: &str,
) -> PaidPrice {
    let pricing = scn.cluster.pricing.clone().unwrap_or_default();
    let hybrid = pool.azure_hybrid_benefit || pricing.azure_hybrid_benefit;
    let price_os = if hybrid { Os::Linux } else { pool.os };
    let (vm, basis) = match &pool.vm_size {
        // An inline price is what the user pays, as given.
        VmSize::Inline(i) => (
            i.price_per_hour,
            i.price_per_hour.map(|_| "inline".to_owned()),
        ),
        _ => {
            let list = sku.price(region, price_os);
            let basis = match (pool.os, hybrid) {
                _ if list.is_none() => None,
                (Os::Windows, true) => Some("linux rate (Azure Hybrid Benefit)"),
                (Os::Windows, false) => sku.windows_basis(region).map(PriceBasis::label),
                (Os::Linux, _) => Some(PriceBasis::Published.label()),
            };
            let (price, adjusted) = adjust(list, &pricing);
            let basis = basis.map(|b| match adjusted {
                Some(a) => format!("{b}, {a}"),
                None => b.to_owned(),
            });
            (price, basis)
        }
    };
    let dp = catalog::disk_prices::os_disk_price(sku, disk, region);
    let discount = pricing
        .discount_percent
        .filter(|d| *d > 0.0)
        .map_or(1.0, |d| 1.0 - d / 100.0);
    let disk_hour = dp.per_hour().map(|h| h * discount);
    let mut disk_basis = dp.basis;
    if discount < 1.0 && dp.usd_per_month.is_some_and(|m| m > 0.0) {
        disk_basis.push_str(&format!(
            ", {}% discount",
            pricing.discount_percent.unwrap_or(0.0)
        ));
    }
    PaidPrice {
        per_hour: vm.map(|v| v + disk_hour.unwrap_or(0.0)),
        vm,
        disk: disk_hour,
        basis,
        disk_basis,
        disk_estimated: dp.estimated,
    }
}

/// A catalog list price after `cluster.pricing`: the commitment's rate on compute, then
/// the negotiated discount; with a description of what was applied. Inline sizes keep
/// their `pricePerHour` as given.
fn adjust(
    list: Option<f64>,
    pricing: &poolcast_model::scenario::Pricing,
) -> (Option<f64>, Option<String>) {
    use poolcast_model::scenario::{CommitmentKind, CommitmentTerm};
    let mut notes = Vec::new();
    let mut factor = 1.0;
    if let Some(c) = &pricing.commitment {
        factor *= c.rate_percent / 100.0;
        let kind = match c.kind {
            CommitmentKind::Reservation => "reservation",
            CommitmentKind::SavingsPlan => "savings plan",
        };
        let term = match c.term {
            CommitmentTerm::OneYear => "1y",
            CommitmentTerm::ThreeYears => "3y",
        };
        notes.push(format!("{kind} {term} at {}%", c.rate_percent));
    }
    if let Some(d) = pricing.discount_percent.filter(|d| *d > 0.0) {
        factor *= 1.0 - d / 100.0;
        notes.push(format!("{d}% discount"));
    }
    if notes.is_empty() {
        (list, None)
    } else {
        (list.map(|p| p * factor), Some(notes.join(", ")))
    }
}

/// The approximations behind node shapes, for `Outcome::assumptions`.
pub fn assumptions(aks: bool) -> Vec<Assumption> {
    let a = |topic: &str, text: &str, source: &str| Assumption {
        topic: topic.into(),
        text: text.into(),
        source: source.into(),
    };
    let mut v = vec![
        a(
            "pull",
            "after a 0.35 s setup (manifest resolution), layers download one after another at min(registry, NIC) and unpack in order, each after its download; parallel pulls keep their registry's per-pull rate and share the NIC, disk and snapshotter equally among the pulls running when one starts",
            catalog::disks::PULL_SETUP.source,
        ),
        a(
            "extraction",
            "Linux layers unpack at the gzip rate (150 MB/s) capped by the OS disk; Windows layers at 1 ms per file plus their bytes at the OS disk rate (burst during a managed disk's first 30 min); layers without a file count: 8 files per MB; calibrated on AKS pulls (docs/calibration.md)",
            catalog::disks::WINDOWS_EXTRACT_PER_FILE_US.source,
        ),
        a(
            "registry",
            "registry rate by host unless the scenario sets registry.bandwidth: mcr.microsoft.com 100 MB/s; *.azurecr.io by registry.acrTier (Basic 13, Standard 26 (default), Premium 150 MB/s); others 100 MB/s",
            catalog::disks::ACR_STANDARD_BANDWIDTH.source,
        ),
        a(
            "node-image-cache",
            "a Windows node image caches its OS SKU's base images (servercore, nanoserver, servercore/iis) at its own monthly patch build and the one before, matched by layer digest: an app image built on another month's base pulls that month's delta (and the base layer across a base refresh); WS2019 node images cache no ltsc2019 base",
            "Azure/AgentBaker parts/common/components.json; microsoft/Windows-Containers#226, #526; embergershared/aks-wincont-imgpull-opt (2025)",
        ),
        a(
            "container-start",
            "container start overhead: Linux 1 s, Windows 5 s, plus the workload's startup and I/O cost",
            catalog::provisioning::WINDOWS_CONTAINER_START.source,
        ),
        a(
            "io",
            "start-up I/O: per opened file open cost x container-layer multiplier + Defender first-open scan; per written file create cost x multiplier + Defender write scan; bytes at the OS disk rate",
            "catalog::disks::per_file_costs: WinFsp fsbench; Szorc, Surprisingly Slow (2021); rust-lang/rustup#904",
        ),
        a(
            "disk",
            "Linux node image takes 30 GB of the OS disk, Windows 35 GB (WS2022) / 45 GB (WS2025)",
            "AgentBaker windows_settings.json; Linux [U]",
        ),
        a(
            "cost",
            "pay-as-you-go list prices of the region (Linux 2026-06-18, Windows and Spot 2026-08-01; Windows by Linux + licence per vCPU where no meter is published, as each pool's price basis says); a node is billed from its add request (join minus provisioning time) to its deletion or the horizon; a managed OS disk adds its monthly list price / 730 h per node-hour (Premium SSD on premium-capable sizes, Standard SSD otherwise [U]; East US prices, estimated elsewhere), an ephemeral one nothing; cluster.pricing's discount applies to VMs, disks and the tier fee, its commitment to VMs only; egress and load balancers are not priced",
            "Azure Retail Prices API via karpenter-provider-azure and djtools-azure-vm-sku-locator snapshots (crates/model/data/README.md); OS disk prices: catalog::disk_prices",
        ),
    ];
    if aks {
        v.push(a(
            "allocatable",
            "AKS kube-reserved CPU brackets and memory rules on nominal MiB; Linux capacity 3% below nominal",
            "AKSDOCS node-resource-reservations.md (2026-06-11); published node descriptions Azure/AKS#3525, MicrosoftDocs/azure-docs#56773; the 3% Linux capacity shortfall [U]",
        ));
        v.push(a(
            "provisioning",
            "added nodes are Ready after 108 s (Linux, the median of the AKS scale-out benchmark) / 7 min (Windows) unless the scenario overrides it",
            catalog::provisioning::WINDOWS_NODE_READY.source,
        ));
    }
    v
}

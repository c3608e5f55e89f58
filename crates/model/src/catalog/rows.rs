//! The catalogs flattened into plain rows for the CLI's `catalog` command (tables, JSON,
//! CSV). Rows own their values and serialise with camelCase names; the CLI chooses columns
//! and formatting. Nothing here decides anything the engine uses.

use serde::Serialize;

use super::disks::{default_os_disk, fmt_mb_s};
use super::reservations::{node_allocatable, MemoryRule};
use super::system_pods::SystemPodKind;
use super::{Catalog, CatalogImage, SystemPod, VmSku};
use crate::scenario::{NetworkPlugin, Os, OsDiskType, PoolMode};
use crate::units::{Bytes, Cpu};

/// One VM size with its prices in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuRow {
    /// `Standard_D4s_v5`.
    pub name: String,
    /// Series.
    pub family: String,
    /// `amd64` / `arm64`.
    pub arch: String,
    /// vCPUs.
    pub vcpu: u32,
    /// Nominal memory.
    pub memory: Bytes,
    /// AKS accepts it for User pools.
    pub aks_user: bool,
    /// AKS accepts it for System pools.
    pub aks_system: bool,
    /// Temp disk.
    pub temp_disk: Bytes,
    /// AKS default OS disk, e.g. `Managed P10 128Gi` or `Ephemeral 150Gi`.
    pub default_os_disk: String,
    /// Sustained OS-disk throughput of that default disk, e.g. `100 MB/s`.
    pub os_disk_throughput: String,
    /// Region of the prices.
    pub region: String,
    /// Linux USD/hour.
    pub linux_usd_hour: Option<f64>,
    /// Windows USD/hour.
    pub windows_usd_hour: Option<f64>,
    /// Whether the Windows price is a published meter (`published`) or Linux + the
    /// licence rule (`rule`).
    pub windows_price_basis: Option<String>,
    /// Linux Spot USD/hour.
    pub linux_spot_usd_hour: Option<f64>,
    /// Windows Spot USD/hour.
    pub windows_spot_usd_hour: Option<f64>,
    /// Price snapshot date; empty when the region has no row.
    pub price_date: String,
    /// Spec source.
    pub source: String,
}

/// Rows for every VM size with a price row in `region` (sorted by name): the sizes Azure
/// offers there. A size may still lack one of its prices (a gap in the sources), which the
/// row shows as `None`, never as 0.
pub fn sku_rows(catalog: &Catalog, region: &str) -> Vec<SkuRow> {
    catalog
        .vm_skus()
        .filter(|s| s.prices.contains_key(region))
        .map(|s| sku_row(s, region))
        .collect()
}

/// One size's row.
pub fn sku_row(s: &VmSku, region: &str) -> SkuRow {
    let disk = default_os_disk(s);
    let price = s.prices.get(region);
    SkuRow {
        name: s.name.clone(),
        family: s.family.clone(),
        arch: s.arch.label().to_owned(),
        vcpu: s.vcpu,
        memory: s.memory,
        aks_user: s.aks_user,
        aks_system: s.aks_system,
        temp_disk: s.temp_disk,
        default_os_disk: match (disk.disk_type, disk.tier) {
            (OsDiskType::Managed, Some(t)) => format!("Managed {} {}", t.name, disk.size),
            (OsDiskType::Managed, None) => format!("Managed {}", disk.size),
            (OsDiskType::Ephemeral, _) => format!("Ephemeral {}", disk.size),
        },
        os_disk_throughput: fmt_mb_s(disk.throughput),
        region: region.to_owned(),
        linux_usd_hour: price.and_then(|p| p.linux),
        windows_usd_hour: price.and_then(|p| p.windows),
        windows_price_basis: price
            .and_then(|p| p.windows_basis)
            .map(|b| b.label().to_owned()),
        linux_spot_usd_hour: price.and_then(|p| p.linux_spot),
        windows_spot_usd_hour: price.and_then(|p| p.windows_spot),
        price_date: price.map(|p| p.date.to_string()).unwrap_or_default(),
        source: s.source.clone(),
    }
}

/// What a node of one size leaves for pods: reservations, AKS DaemonSets, the remainder.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocatableRow {
    /// VM size.
    pub name: String,
    /// Node OS.
    pub os: Os,
    /// maxPods used.
    pub max_pods: u32,
    /// Reported capacity CPU.
    pub capacity_cpu: Cpu,
    /// Reported capacity memory (Linux: 3% below nominal, an approximation).
    pub capacity_memory: Bytes,
    /// kube-reserved CPU.
    pub kube_reserved_cpu: Cpu,
    /// kube-reserved memory (Windows: includes the 2 GiB system reserve).
    pub kube_reserved_memory: Bytes,
    /// Hard eviction memory.
    pub eviction_memory: Bytes,
    /// Allocatable CPU.
    pub allocatable_cpu: Cpu,
    /// Allocatable memory.
    pub allocatable_memory: Bytes,
    /// Allocatable ephemeral storage (default OS disk).
    pub allocatable_ephemeral_storage: Bytes,
    /// Requests of the AKS DaemonSets on such a node.
    pub daemonset_cpu: Cpu,
    /// Requests of the AKS DaemonSets on such a node.
    pub daemonset_memory: Bytes,
    /// Allocatable minus DaemonSets: what workloads can request.
    pub free_cpu: Cpu,
    /// Allocatable minus DaemonSets.
    pub free_memory: Bytes,
    /// `linux-per-pod`, `linux-regressive` or `windows-regressive`.
    pub memory_rule: String,
}

/// Allocatable of a `sku` node of `os` on Kubernetes `k8s`, with maxPods (default by
/// plugin when `None`) and the AKS DaemonSets of `plugin` and `addons` subtracted.
pub fn allocatable_row(
    catalog: &Catalog,
    sku: &VmSku,
    os: Os,
    k8s: (u32, u32),
    plugin: NetworkPlugin,
    addons: &[String],
    max_pods: Option<u32>,
) -> AllocatableRow {
    let max_pods = max_pods.unwrap_or_else(|| super::aks::default_max_pods(plugin));
    let disk = default_os_disk(sku);
    let r = node_allocatable(sku.vcpu, sku.memory, os, k8s, max_pods, disk.size);
    let ds = super::system_pods::sum_requests(catalog.daemonsets_for(
        os,
        plugin,
        addons,
        PoolMode::User,
    ));
    AllocatableRow {
        name: sku.name.clone(),
        os,
        max_pods,
        capacity_cpu: r.capacity.cpu,
        capacity_memory: r.capacity.memory,
        kube_reserved_cpu: r.kube_reserved.cpu,
        kube_reserved_memory: r.kube_reserved.memory,
        eviction_memory: r.eviction_hard.memory,
        allocatable_cpu: r.allocatable.cpu,
        allocatable_memory: r.allocatable.memory,
        allocatable_ephemeral_storage: r.allocatable.ephemeral_storage,
        daemonset_cpu: ds.cpu,
        daemonset_memory: ds.memory,
        free_cpu: Cpu(r.allocatable.cpu.0.saturating_sub(ds.cpu.0)),
        free_memory: Bytes(r.allocatable.memory.0.saturating_sub(ds.memory.0)),
        memory_rule: match r.memory_rule {
            MemoryRule::LinuxPerPod => "linux-per-pod",
            MemoryRule::LinuxRegressive => "linux-regressive",
            MemoryRule::WindowsRegressive => "windows-regressive",
        }
        .to_owned(),
    }
}

/// One well-known image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRow {
    /// Catalog key.
    pub key: String,
    /// Full reference.
    pub name: String,
    /// Image OS.
    pub os: Os,
    /// Windows build.
    pub os_build: Option<String>,
    /// Layer count.
    pub layers: usize,
    /// Compressed size.
    pub size: Bytes,
    /// Uncompressed size, when every layer states one.
    pub uncompressed_size: Option<Bytes>,
    /// Node images that pre-cache it, e.g. `windows 20348/26100`, `linux`.
    pub cached_on: String,
    /// Size date.
    pub date: String,
    /// Source.
    pub source: String,
    /// Caveats.
    pub notes: String,
}

/// Rows for every image, in data-file order.
pub fn image_rows(catalog: &Catalog) -> Vec<ImageRow> {
    catalog.images().map(image_row).collect()
}

/// One image's row.
pub fn image_row(i: &CatalogImage) -> ImageRow {
    ImageRow {
        key: i.key.clone(),
        name: i.name.clone(),
        os: i.os,
        os_build: i.os_build.clone(),
        layers: i.layers.len(),
        size: i.size(),
        uncompressed_size: i.uncompressed_size(),
        cached_on: {
            let rules = i.cached_on.iter().map(|r| (r.os, r.builds.clone()));
            let builds = super::images::node_image_builds_caching(&i.key);
            let vhd = (!builds.is_empty()).then_some((Os::Windows, builds));
            rules
                .chain(vhd)
                .map(|(os, builds)| {
                    if builds.is_empty() {
                        os.to_string()
                    } else {
                        let b: Vec<String> = builds.iter().map(u32::to_string).collect();
                        format!("{os} {}", b.join("/"))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        date: i.date.clone(),
        source: i.source.clone(),
        notes: i.notes.clone().unwrap_or_default(),
    }
}

/// One AKS system pod.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemPodRow {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `DaemonSet` or `Deployment`.
    pub kind: String,
    /// 1 for DaemonSets (per node).
    pub replicas: u32,
    /// Node OS.
    pub os: Os,
    /// `default`, `default (kubenet, azure-cni-overlay)`, `addon monitoring`...
    pub enabled_by: String,
    /// Per-pod CPU request.
    pub cpu: Cpu,
    /// Per-pod memory request.
    pub memory: Bytes,
    /// Image size when known.
    pub image_size: Option<Bytes>,
    /// PriorityClass.
    pub priority_class: String,
    /// Evidence date.
    pub date: String,
    /// Evidence.
    pub source: String,
    /// Caveats.
    pub notes: String,
}

/// Rows for every system pod, in data-file order.
pub fn system_pod_rows(catalog: &Catalog) -> Vec<SystemPodRow> {
    catalog.system_pods().iter().map(system_pod_row).collect()
}

/// One system pod's row.
pub fn system_pod_row(p: &SystemPod) -> SystemPodRow {
    let plugins: Vec<&str> = p
        .enabled_by
        .plugins
        .iter()
        .map(|x| plugin_name(*x))
        .collect();
    let mut enabled_by = match &p.enabled_by.addon {
        Some(a) => format!("addon {a}"),
        None => "default".to_owned(),
    };
    if !plugins.is_empty() {
        enabled_by.push_str(&format!(" ({})", plugins.join(", ")));
    }
    SystemPodRow {
        name: p.name.clone(),
        namespace: p.namespace.clone(),
        kind: match p.kind {
            SystemPodKind::DaemonSet => "DaemonSet",
            SystemPodKind::Deployment { .. } => "Deployment",
        }
        .to_owned(),
        replicas: p.kind.replicas(),
        os: p.os,
        enabled_by,
        cpu: p.requests.cpu,
        memory: p.requests.memory,
        image_size: p.image_size,
        priority_class: p.priority_class.clone(),
        date: p.date.clone(),
        source: p.source.clone(),
        notes: p.notes.clone().unwrap_or_default(),
    }
}

/// The scenario spelling of a network plugin (`azure-cni-overlay`).
pub fn plugin_name(p: NetworkPlugin) -> &'static str {
    match p {
        NetworkPlugin::AzureCniOverlay => "azure-cni-overlay",
        NetworkPlugin::AzureCniPodSubnet => "azure-cni-pod-subnet",
        NetworkPlugin::AzureCniNodeSubnet => "azure-cni-node-subnet",
        NetworkPlugin::Kubenet => "kubenet",
        NetworkPlugin::AzureCniCilium => "azure-cni-cilium",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_rows_cover_every_size_with_region_prices() {
        let c = Catalog::builtin();
        let rows = sku_rows(c, "eastus");
        assert_eq!(
            rows.len(),
            c.vm_skus()
                .filter(|s| s.prices.contains_key("eastus"))
                .count()
        );
        assert!(rows.len() > 1000, "{}", rows.len());
        let sc = sku_rows(c, "southcentralus");
        assert!(
            sc.iter().filter(|r| r.linux_usd_hour.is_some()).count() >= 500,
            "southcentralus: every AKS size priced"
        );
        let d4 = rows.iter().find(|r| r.name == "Standard_D4s_v5").unwrap();
        assert_eq!(d4.linux_usd_hour, Some(0.192));
        assert_eq!(d4.default_os_disk, "Managed P10 128Gi");
        assert_eq!(d4.os_disk_throughput, "100 MB/s");
        assert_eq!(d4.price_date, "2026-08-01");
        let d4ds = rows.iter().find(|r| r.name == "Standard_D4ds_v5").unwrap();
        assert_eq!(d4ds.default_os_disk, "Ephemeral 150Gi");
        assert!(sku_rows(c, "mars").is_empty());
        let d2s = sku_row(c.vm_sku("Standard_D2s_v3").unwrap(), "mars");
        assert!(d2s.linux_usd_hour.is_none() && d2s.price_date.is_empty());
        let json = serde_json::to_value(d4).unwrap();
        assert_eq!(json["memory"], "16Gi");
        assert_eq!(json["linuxUsdHour"], 0.192);
    }

    #[test]
    fn allocatable_row_subtracts_daemonsets() {
        let c = Catalog::builtin();
        let d4 = c.vm_sku("Standard_D4s_v5").unwrap();
        let w = allocatable_row(
            c,
            d4,
            Os::Windows,
            (1, 33),
            NetworkPlugin::AzureCniOverlay,
            &[],
            Some(30),
        );
        // 16Gi - 460Ki reported, - (2662Mi + 2048Mi) reserved.
        let alloc = Bytes(Bytes::mib(11_674).get() - 460 * 1024);
        assert_eq!(w.allocatable_memory, alloc);
        assert_eq!(w.free_cpu, Cpu(3860 - 130));
        assert_eq!(w.free_memory, Bytes(alloc.get() - Bytes::mib(130).get()));
        assert_eq!(w.memory_rule, "windows-regressive");
        let l = allocatable_row(
            c,
            d4,
            Os::Linux,
            (1, 33),
            NetworkPlugin::AzureCniOverlay,
            &[],
            None,
        );
        assert_eq!(l.max_pods, 250);
        assert_eq!(l.kube_reserved_memory, Bytes::mib(4096));
        assert_eq!(l.daemonset_cpu, Cpu(350));
        assert_eq!(l.daemonset_memory, Bytes::mib(470));
    }

    #[test]
    fn image_and_system_pod_rows() {
        let c = Catalog::builtin();
        let images = image_rows(c);
        let sc = images
            .iter()
            .find(|r| r.key == "servercore-ltsc2022")
            .unwrap();
        assert_eq!(sc.cached_on, "windows 20348/26100");
        assert_eq!(sc.layers, 2);
        let pods = system_pod_rows(c);
        assert_eq!(pods.len(), c.system_pods().len());
        let kp = pods.iter().find(|r| r.name == "kube-proxy").unwrap();
        assert_eq!(
            kp.enabled_by,
            "default (azure-cni-overlay, azure-cni-pod-subnet, azure-cni-node-subnet, kubenet)"
        );
        let coredns = pods.iter().find(|r| r.name == "coredns").unwrap();
        assert_eq!((coredns.kind.as_str(), coredns.replicas), ("Deployment", 2));
        let logs = pods.iter().find(|r| r.name == "ama-logs").unwrap();
        assert_eq!(logs.enabled_by, "addon monitoring");
    }

    #[test]
    fn plugin_names_match_the_scenario_spelling() {
        for p in [
            NetworkPlugin::AzureCniOverlay,
            NetworkPlugin::AzureCniPodSubnet,
            NetworkPlugin::AzureCniNodeSubnet,
            NetworkPlugin::Kubenet,
            NetworkPlugin::AzureCniCilium,
        ] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", plugin_name(p)));
        }
    }
}

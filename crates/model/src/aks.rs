//! AKS and Windows rules as data: Kubernetes version parsing, which Windows OS SKU runs on
//! which Kubernetes version, pool limits, maxPods defaults, and the Windows
//! process-isolation compatibility rule.
//!
//! Sources (see `docs/` and the shared facts, sections 3 and 4): AKS docs
//! `use-system-pools.md`, `create-node-pools.md`, `windows-best-practices.md`,
//! `concepts-network-ip-address-planning.md`, `includes/windows-server-2019-retirement.md`,
//! `includes/windows-server-2022-retirement.md`, `upgrade-windows-os.md`, the container
//! service limits include; containerd/platforms `checkWindowsHostAndContainerCompat`.

use std::fmt;
use std::str::FromStr;

use crate::scenario::{NetworkPlugin, Os, OsSku};

/// A Kubernetes `MAJOR.MINOR` version (a patch, if given, is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubernetesVersion {
    /// Major (1).
    pub major: u32,
    /// Minor (33).
    pub minor: u32,
}

impl KubernetesVersion {
    /// `1.minor`.
    pub const fn v1(minor: u32) -> KubernetesVersion {
        KubernetesVersion { major: 1, minor }
    }
}

impl FromStr for KubernetesVersion {
    type Err = String;
    /// Accepts `1.33`, `1.33.2` and `v1.33`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let mut parts = t.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6 {
                return None;
            }
            p.parse().ok()
        };
        let bad = || format!("kubernetesVersion '{s}' is not MAJOR.MINOR, e.g. \"1.33\"");
        let major = num(parts.next()).ok_or_else(bad)?;
        let minor = num(parts.next()).ok_or_else(bad)?;
        if let Some(patch) = parts.next() {
            num(Some(patch)).ok_or_else(bad)?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(KubernetesVersion { major, minor })
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Nodes per pool (AKS limit, VM Scale Sets without single placement group).
pub const MAX_NODES_PER_POOL: u64 = 1000;
/// Nodes per cluster (Standard and Premium tiers).
pub const MAX_NODES_PER_CLUSTER: u64 = 5000;
/// Node pools per cluster.
pub const MAX_POOLS: usize = 100;
/// Lowest `maxPods` AKS accepts.
pub const MIN_MAX_PODS: u32 = 10;
/// Highest `maxPods` AKS accepts.
pub const MAX_MAX_PODS: u32 = 250;
/// Pod slots every pool needs room for (maxPods x nodes); AKS refuses a System pool, or a
/// pool whose maxPods is below 30, with less ("each node pool has space for a minimum of
/// 30 pods").
pub const MIN_POOL_POD_SLOTS: u64 = 30;

/// `maxPods` when the pool does not set it: Azure CNI Overlay 250, Pod Subnet 110,
/// Node Subnet 30, kubenet 110 (`concepts-network-ip-address-planning.md`); Cilium runs
/// in overlay mode here, so 250.
pub fn default_max_pods(plugin: NetworkPlugin) -> u32 {
    match plugin {
        NetworkPlugin::AzureCniOverlay | NetworkPlugin::AzureCniCilium => 250,
        NetworkPlugin::AzureCniPodSubnet | NetworkPlugin::Kubenet => 110,
        NetworkPlugin::AzureCniNodeSubnet => 30,
    }
}

/// Whether Windows pools can join a cluster with this plugin: Azure CNI only (Overlay,
/// Pod Subnet, Node Subnet); no kubenet and no Cilium dataplane on Windows.
pub fn plugin_supports_windows(plugin: NetworkPlugin) -> bool {
    matches!(
        plugin,
        NetworkPlugin::AzureCniOverlay
            | NetworkPlugin::AzureCniPodSubnet
            | NetworkPlugin::AzureCniNodeSubnet
    )
}

/// The longest pool name AKS accepts for an OS.
pub fn max_pool_name_len(os: Os) -> usize {
    match os {
        Os::Linux => 12,
        Os::Windows => 6,
    }
}

/// The Kubernetes versions an OS SKU is offered on, as `[from, until)`; `None` means
/// unbounded. Windows Server 2019 is gone from 1.33, 2022 from 1.37, 2025 starts at 1.32.
pub fn os_sku_versions(sku: OsSku) -> (Option<KubernetesVersion>, Option<KubernetesVersion>) {
    match sku {
        OsSku::Windows2019 => (None, Some(KubernetesVersion::v1(33))),
        OsSku::Windows2022 => (None, Some(KubernetesVersion::v1(37))),
        OsSku::Windows2025 => (Some(KubernetesVersion::v1(32)), None),
        OsSku::Ubuntu | OsSku::AzureLinux => (None, None),
    }
}

/// The OS SKU AKS picks when a pool gives none: Ubuntu for Linux; for Windows,
/// Windows Server 2022 up to 1.35 and 2025 from 1.36.
pub fn default_os_sku(os: Os, version: KubernetesVersion) -> OsSku {
    match os {
        Os::Linux => OsSku::Ubuntu,
        Os::Windows if version >= KubernetesVersion::v1(36) => OsSku::Windows2025,
        Os::Windows => OsSku::Windows2022,
    }
}

/// The build number of a Windows version string: `10.0.17763` or `10.0.17763.6054` ->
/// 17763. `None` if the text is not of that shape.
pub fn parse_os_build(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if parts[0] != "10" || parts[1] != "0" {
        return None;
    }
    parts[2].parse().ok()
}

/// Whether a Windows host of build `host` runs a container image of build `image` with
/// process isolation (the only mode AKS supports). Before 20348 (Windows Server 2022)
/// builds must match exactly; from 20348 a host runs images from 20348 up to its own
/// build (containerd/platforms `checkWindowsHostAndContainerCompat`).
pub fn windows_build_runs(host: u32, image: u32) -> bool {
    const LTSC2022: u32 = 20348;
    if host < LTSC2022 {
        host == image
    } else {
        (LTSC2022..=host).contains(&image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let cases = [
            ("1.33", Some((1, 33))),
            ("1.33.2", Some((1, 33))),
            ("v1.29", Some((1, 29))),
            ("1", None),
            ("1.x", None),
            ("1.33.2.1", None),
            ("", None),
            ("1.-3", None),
        ];
        for (s, want) in cases {
            let got = s
                .parse::<KubernetesVersion>()
                .ok()
                .map(|v| (v.major, v.minor));
            assert_eq!(got, want, "{s}");
        }
        assert!(KubernetesVersion::v1(9) < KubernetesVersion::v1(33));
    }

    #[test]
    fn os_builds() {
        assert_eq!(parse_os_build("10.0.17763"), Some(17763));
        assert_eq!(parse_os_build("10.0.20348.2582"), Some(20348));
        assert_eq!(parse_os_build("17763"), None);
        assert_eq!(parse_os_build("10.0.x"), None);
        assert_eq!(parse_os_build("6.3.9600"), None);
    }

    #[test]
    fn process_isolation() {
        let cases = [
            (17763, 17763, true),
            (17763, 20348, false),
            (20348, 17763, false),
            (20348, 20348, true),
            (26100, 20348, true),
            (26100, 26100, true),
            (20348, 26100, false),
        ];
        for (host, image, want) in cases {
            assert_eq!(windows_build_runs(host, image), want, "{host} {image}");
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(
            default_os_sku(Os::Windows, KubernetesVersion::v1(35)),
            OsSku::Windows2022
        );
        assert_eq!(
            default_os_sku(Os::Windows, KubernetesVersion::v1(36)),
            OsSku::Windows2025
        );
        assert_eq!(default_max_pods(NetworkPlugin::AzureCniNodeSubnet), 30);
        assert!(!plugin_supports_windows(NetworkPlugin::Kubenet));
    }
}

//! AKS node-pool rules as plain functions and constants: maxPods defaults and bounds by
//! network plugin, node and pool limits, pool-name rules, Windows OS SKU support and
//! defaults by Kubernetes version, network plugin support by OS, minimum VM sizes.
//!
//! Sources (AKSDOCS = MicrosoftDocs/azure-aks-docs `articles/aks/` @fb060ab, 2026-08-21,
//! unless a row says otherwise; listed in `docs/sources.md`) are cited on each item. `validate` reports each
//! broken rule; `plan` never proposes one.

use std::ops::RangeInclusive;

use crate::scenario::{NetworkPlugin, Os, OsSku, PoolMode};
use crate::units::Bytes;

/// Lowest maxPods AKS accepts (AKSDOCS `concepts-network-ip-address-planning.md`,
/// 2026-04-16; 10 only if each pool holds >= 30 pods in total).
pub const MAX_PODS_MIN: u32 = 10;
/// Highest maxPods AKS accepts (same page).
pub const MAX_PODS_MAX: u32 = 250;
/// System pools need maxPods >= 30 (same page; `use-system-pools.md`).
pub const SYSTEM_POOL_MIN_MAX_PODS: u32 = 30;
/// maxPods AKS recommends for Windows pools (`concepts-network-azure-cni-overlay.md`).
pub const WINDOWS_RECOMMENDED_MAX_PODS: u32 = 110;

/// Fewest nodes `plan` gives a System pool unless the scenario says otherwise: AKSDOCS
/// `use-system-pools.md` (2026): "System pools must contain at least two nodes but the
/// recommendation is three nodes"; "A production AKS cluster with a single system node
/// pool must contain at least two nodes".
pub const SYSTEM_POOL_MIN_NODES_HA: u32 = 2;
/// Nodes AKS recommends for a production System pool (same page).
pub const SYSTEM_POOL_RECOMMENDED_NODES: u32 = 3;

/// Nodes per node pool (AKS quotas include `container-service-limits.md`).
pub const MAX_NODES_PER_POOL: u32 = 1_000;
/// Nodes per cluster on the Standard and Premium tiers (same include).
pub const MAX_NODES_PER_CLUSTER: u32 = 5_000;
/// Nodes per cluster on the Free tier (`free-standard-pricing-tiers.md`).
pub const MAX_NODES_PER_CLUSTER_FREE_TIER: u32 = 1_000;
/// Node pools per cluster (`container-service-limits.md`).
pub const MAX_POOLS_PER_CLUSTER: u32 = 100;

/// Longest Linux pool name (`create-node-pools.md`, `use-system-pools.md`).
pub const LINUX_POOL_NAME_MAX: usize = 12;
/// Longest Windows pool name (same pages: Windows node names are derived from it).
pub const WINDOWS_POOL_NAME_MAX: usize = 6;

/// Smallest VM for a user pool: 2 vCPU / 2 GiB (`quotas-skus-regions.md`).
pub const MIN_USER_VM: (u32, Bytes) = (2, Bytes::gib(2));
/// Smallest VM for a system pool: 4 vCPU / 4 GiB, and no B-series (AKSDOCS
/// `use-system-pools.md`, 2026-04-30: "at least 4 vCPUs and 4 GB of memory"; earlier
/// revisions and `quotas-skus-regions.md` said 2 vCPUs). The same rule as the catalog's
/// per-size `aks_system` flag.
pub const MIN_SYSTEM_VM: (u32, Bytes) = (4, Bytes::gib(4));

/// Default maxPods per node for a network plugin (AKSDOCS
/// `concepts-network-ip-address-planning.md`, 2026-04-16: Overlay 250, Pod Subnet 110,
/// Node Subnet 30, kubenet 110). Azure CNI Powered by Cilium runs in overlay (or pod
/// subnet) mode; its overlay default is 250.
pub fn default_max_pods(plugin: NetworkPlugin) -> u32 {
    match plugin {
        NetworkPlugin::AzureCniOverlay | NetworkPlugin::AzureCniCilium => 250,
        NetworkPlugin::AzureCniPodSubnet | NetworkPlugin::Kubenet => 110,
        NetworkPlugin::AzureCniNodeSubnet => 30,
    }
}

/// The maxPods values AKS accepts for a pool of `mode`: 10-250, system pools 30-250.
pub fn max_pods_bounds(mode: PoolMode) -> RangeInclusive<u32> {
    match mode {
        PoolMode::System => SYSTEM_POOL_MIN_MAX_PODS..=MAX_PODS_MAX,
        PoolMode::User => MAX_PODS_MIN..=MAX_PODS_MAX,
    }
}

/// Longest pool name for `os`: Windows 6, Linux 12.
pub fn pool_name_max_len(os: Os) -> usize {
    match os {
        Os::Linux => LINUX_POOL_NAME_MAX,
        Os::Windows => WINDOWS_POOL_NAME_MAX,
    }
}

/// Why a pool name is refused. All are the user's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolNameError {
    /// The name is empty.
    #[error("pool name is empty")]
    Empty,
    /// Longer than the OS allows.
    #[error("{os} pool name '{name}' has {len} characters; AKS allows at most {max}")]
    TooLong {
        /// The name.
        name: String,
        /// Pool OS.
        os: Os,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Does not start with a lower-case letter.
    #[error("pool name '{0}' must start with a lower-case letter")]
    BadStart(String),
    /// Contains something other than lower-case letters and digits.
    #[error("pool name '{name}' may contain only lower-case letters and digits, not '{ch}'")]
    BadChar {
        /// The name.
        name: String,
        /// The first bad character.
        ch: char,
    },
}

/// Checks an AKS pool name: lower-case alphanumeric, starting with a letter, 1-12
/// characters on Linux and 1-6 on Windows (`create-node-pools.md`, `use-system-pools.md`).
pub fn check_pool_name(name: &str, os: Os) -> Result<(), PoolNameError> {
    let first = name.chars().next().ok_or(PoolNameError::Empty)?;
    if !first.is_ascii_lowercase() {
        return Err(PoolNameError::BadStart(name.to_owned()));
    }
    if let Some(ch) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        return Err(PoolNameError::BadChar {
            name: name.to_owned(),
            ch,
        });
    }
    let len = name.len();
    let max = pool_name_max_len(os);
    if len > max {
        return Err(PoolNameError::TooLong {
            name: name.to_owned(),
            os,
            len,
            max,
        });
    }
    Ok(())
}

/// A Kubernetes version as `(major, minor)`.
pub type K8sVersion = (u32, u32);

/// The Kubernetes versions an OS SKU is offered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionSupport {
    /// First supported version; `None` = no lower bound in the catalog.
    pub from: Option<K8sVersion>,
    /// First version no longer supported; `None` = still supported.
    pub until: Option<K8sVersion>,
}

impl VersionSupport {
    /// Whether `k8s` is inside the window.
    pub fn contains(self, k8s: K8sVersion) -> bool {
        self.from.is_none_or(|f| k8s >= f) && self.until.is_none_or(|u| k8s < u)
    }
}

/// Kubernetes versions an OS SKU is offered on: Windows Server 2019 up to 1.32
/// (AKSDOCS `includes/windows-server-2019-retirement.md`: not on 1.33 and later); 2022 from
/// 1.23 (`learn/quick-windows-container-deploy-cli.md`: "Windows Server 2022 requires
/// Kubernetes version 1.23.0 or higher") up to 1.36
/// (`includes/windows-server-2022-retirement.md`: not on 1.37 and later); 2025 from 1.32
/// (`upgrade-windows-os.md`). Linux SKUs have no bound of their own; the cluster-wide
/// calendar ([`AKS_VERSIONS`]) bounds every pool.
pub fn os_sku_versions(sku: OsSku) -> VersionSupport {
    let (from, until) = match sku {
        OsSku::Ubuntu | OsSku::AzureLinux => (None, None),
        OsSku::Windows2019 => (None, Some((1, 33))),
        OsSku::Windows2022 => (Some((1, 23)), Some((1, 37))),
        OsSku::Windows2025 => (Some((1, 32)), None),
    };
    VersionSupport { from, until }
}

/// The newest Kubernetes version an OS SKU is offered on, if it has an end.
pub fn os_sku_last_version(sku: OsSku) -> Option<K8sVersion> {
    os_sku_versions(sku).until.map(|(a, b)| (a, b - 1))
}

/// One row of AKS's Kubernetes release calendar: when AKS made the minor version generally
/// available, when community support ends and when long-term support (LTS, opt-in on the
/// Premium tier) ends. Months as `YYYY-MM` (AKS: "the last day of the specified month").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AksVersion {
    /// `(major, minor)`.
    pub version: K8sVersion,
    /// AKS GA month.
    pub ga: &'static str,
    /// End of community support.
    pub end_of_life: &'static str,
    /// End of long-term support.
    pub lts_end_of_life: &'static str,
}

/// AKS's Kubernetes release calendar and LTS table (AKSDOCS
/// `supported-kubernetes-versions.md`, "AKS Kubernetes release calendar" and "LTS versions",
/// snapshot with 1.37 GA in Oct 2026). Versions below the first row are past even LTS: AKS
/// no longer creates clusters or node pools on them ("you'll no longer be able to create
/// clusters or node pools once the version is deprecated/removed", same page).
pub const AKS_VERSIONS: &[AksVersion] = &[
    AksVersion {
        version: (1, 29),
        ga: "2024-03",
        end_of_life: "2025-03",
        lts_end_of_life: "2026-04",
    },
    AksVersion {
        version: (1, 30),
        ga: "2024-07",
        end_of_life: "2025-08",
        lts_end_of_life: "2026-07",
    },
    AksVersion {
        version: (1, 31),
        ga: "2024-11",
        end_of_life: "2025-11",
        lts_end_of_life: "2026-11",
    },
    AksVersion {
        version: (1, 32),
        ga: "2025-04",
        end_of_life: "2026-03",
        lts_end_of_life: "2027-03",
    },
    AksVersion {
        version: (1, 33),
        ga: "2025-06",
        end_of_life: "2026-07",
        lts_end_of_life: "2027-07",
    },
    AksVersion {
        version: (1, 34),
        ga: "2025-11",
        end_of_life: "2026-11",
        lts_end_of_life: "2027-11",
    },
    AksVersion {
        version: (1, 35),
        ga: "2026-03",
        end_of_life: "2027-03",
        lts_end_of_life: "2028-03",
    },
    AksVersion {
        version: (1, 36),
        ga: "2026-06",
        end_of_life: "2027-06",
        lts_end_of_life: "2028-06",
    },
    AksVersion {
        version: (1, 37),
        ga: "2026-10",
        end_of_life: "2027-10",
        lts_end_of_life: "2028-10",
    },
];

/// Where a Kubernetes version stands in [`AKS_VERSIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AksVersionStatus {
    /// In the calendar (community or long-term support).
    Offered(AksVersion),
    /// Older than every row: AKS no longer offers it, not even with LTS.
    Retired {
        /// The oldest version AKS still offers.
        oldest: AksVersion,
    },
    /// Newer than every row: not released on AKS as far as the catalog knows.
    Unreleased {
        /// The newest version in the catalog.
        newest: AksVersion,
    },
}

/// Looks `k8s` up in AKS's release calendar.
pub fn aks_version_status(k8s: K8sVersion) -> AksVersionStatus {
    let (first, last) = (AKS_VERSIONS[0], AKS_VERSIONS[AKS_VERSIONS.len() - 1]);
    if k8s < first.version {
        AksVersionStatus::Retired { oldest: first }
    } else if k8s > last.version {
        AksVersionStatus::Unreleased { newest: last }
    } else {
        AKS_VERSIONS
            .iter()
            .find(|v| v.version == k8s)
            .map_or(AksVersionStatus::Unreleased { newest: last }, |v| {
                AksVersionStatus::Offered(*v)
            })
    }
}

/// The Kubernetes versions AKS offers for every SKU in `skus` at once (their
/// [`os_sku_versions`] windows intersected with [`AKS_VERSIONS`]), oldest first. Empty when
/// no one version carries them all (a Windows Server 2019 pool and a 2025 pool meet only at
/// 1.32).
pub fn versions_for_skus(skus: &[OsSku]) -> Vec<K8sVersion> {
    AKS_VERSIONS
        .iter()
        .map(|v| v.version)
        .filter(|v| skus.iter().all(|s| os_sku_supported(*s, *v)))
        .collect()
}

/// Windows Server Annual Channel pools (`--os-sku WindowsAnnual`, preview): 23H2 on
/// Kubernetes 1.28 until 1.33's end of life, 24H2 on 1.34 until 1.35's end of life; the
/// channel was retired on 2026-05-15 (AKSDOCS `windows-annual-channel.md`,
/// `includes/windows-annual-channel-retirement.md`). The scenario schema has no such SKU:
/// AKS no longer creates these pools. Rows: (Windows build, first version, last version).
pub const WINDOWS_ANNUAL_CHANNEL: &[(u32, K8sVersion, K8sVersion)] =
    &[(25398, (1, 28), (1, 33)), (26100, (1, 34), (1, 35))];
/// The day AKS retired the Windows Annual Channel (same source).
pub const WINDOWS_ANNUAL_CHANNEL_RETIRED: &str = "2026-05-15";

/// Whether AKS offers `sku` on Kubernetes `k8s` (`(major, minor)`).
pub fn os_sku_supported(sku: OsSku, k8s: K8sVersion) -> bool {
    os_sku_versions(sku).contains(k8s)
}

/// The OS SKU AKS picks when a pool names none: Ubuntu for Linux; for Windows, Windows2022
/// on 1.25-1.35 and Windows2025 from 1.36 (`windows-best-practices.md`,
/// `create-node-pools.md`, 2026-07-13), Windows2019 before 1.25.
pub fn default_os_sku(os: Os, k8s: (u32, u32)) -> OsSku {
    match os {
        Os::Linux => OsSku::Ubuntu,
        Os::Windows if k8s >= (1, 36) => OsSku::Windows2025,
        Os::Windows if k8s >= (1, 25) => OsSku::Windows2022,
        Os::Windows => OsSku::Windows2019,
    }
}

/// Whether a network plugin can host nodes of `os`: Windows needs Azure CNI (Overlay, Pod
/// Subnet or Node Subnet); no kubenet and no Cilium dataplane on Windows
/// (`windows-best-practices.md`, `concepts-network-cni-overview.md`,
/// `azure-cni-powered-by-cilium.md`).
pub fn plugin_supports_os(plugin: NetworkPlugin, os: Os) -> bool {
    match os {
        Os::Linux => true,
        Os::Windows => matches!(
            plugin,
            NetworkPlugin::AzureCniOverlay
                | NetworkPlugin::AzureCniPodSubnet
                | NetworkPlugin::AzureCniNodeSubnet
        ),
    }
}

/// Whether an OS SKU works with a network plugin: Windows Server 2019 is not supported with
/// Pod Subnet (`concepts-network-cni-overview.md`), besides [`plugin_supports_os`].
pub fn os_sku_supports_plugin(sku: OsSku, plugin: NetworkPlugin) -> bool {
    plugin_supports_os(plugin, sku.os())
        && !(sku == OsSku::Windows2019 && plugin == NetworkPlugin::AzureCniPodSubnet)
}

/// Whether the VM size is large enough for a pool of `mode`: user pools 2 vCPU / 2 GiB
/// (`quotas-skus-regions.md`), system pools 4 vCPU / 4 GiB and not B-series
/// (`use-system-pools.md`).
pub fn vm_size_allowed(vcpu: u32, memory: Bytes, family: &str, mode: PoolMode) -> bool {
    match mode {
        PoolMode::User => vcpu >= MIN_USER_VM.0 && memory >= MIN_USER_VM.1,
        PoolMode::System => {
            vcpu >= MIN_SYSTEM_VM.0 && memory >= MIN_SYSTEM_VM.1 && !family.starts_with('B')
        }
    }
}

/// Label-key domains (and their subdomains) that a node pool's `nodeLabels` / `--labels`
/// must never carry:
/// - `kubernetes.azure.com`: AKS reserved prefix; AKS sets `kubernetes.azure.com/agentpool`,
///   `mode`, `os-sku`, `scalesetpriority`, ... itself and refuses changes to them since the
///   2021-08-19 release (MicrosoftDocs/azure-aks-docs `articles/aks/use-labels.md`,
///   "Reserved system labels" and "Reserved prefixes").
/// - `kubernetes.io`: AKS reserved prefix (same page), whose subdomains hold the labels the
///   kubelet sets (`node.kubernetes.io/instance-type`, `topology.kubernetes.io/zone`,
///   `node.kubernetes.io/windows-build`, listed in the same table); Kubernetes reserves the
///   whole namespace (kubernetes.io/docs/reference/labels-annotations-taints/).
/// - `k8s.io`: reserved by Kubernetes like `kubernetes.io`; the kubelet refuses
///   `--node-labels` in either namespace unless `IsKubeletLabel` allows it
///   (kubernetes/kubernetes `cmd/kubelet/app/options/options.go`,
///   `staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go`), and the NodeRestriction
///   admission plugin forbids kubelets `node-restriction.kubernetes.io/` outright
///   (`staging/src/k8s.io/api/core/v1/well_known_labels.go`).
/// - `csi.azure.com`: the Azure CSI drivers' topology labels
///   (`topology.disk.csi.azure.com/zone`), which the drivers set on every node.
pub const RESERVED_NODE_LABEL_DOMAINS: [&str; 4] = [
    "kubernetes.azure.com",
    "kubernetes.io",
    "k8s.io",
    "csi.azure.com",
];

/// Unprefixed labels AKS sets on every node and reserves (AKSDOCS `use-labels.md`,
/// "Reserved system labels": `agentpool`, `storageprofile`, `storagetier`, `accelerator`;
/// `kubernetes.io/role` is covered by the prefix rule).
pub const AKS_RESERVED_PLAIN_LABELS: [&str; 4] =
    ["agentpool", "storageprofile", "storagetier", "accelerator"];

/// Whether a node label key is one AKS or Kubernetes reserves, so that a pool definition
/// (`az aks nodepool add --labels`, Bicep `nodeLabels`) must not set it: its prefix (the
/// part before `/`) is one of [`RESERVED_NODE_LABEL_DOMAINS`] or a subdomain of one.
/// The unprefixed [`AKS_RESERVED_PLAIN_LABELS`] are AKS's too; other keys without a prefix
/// (`tier`, `team`) and other domains (`contoso.com/team`) are the user's.
///
/// ```
/// use poolcast_model::catalog::aks::is_reserved_node_label;
/// assert!(is_reserved_node_label("kubernetes.azure.com/mode"));
/// assert!(is_reserved_node_label("node.kubernetes.io/instance-type"));
/// assert!(!is_reserved_node_label("tier"));
/// ```
pub fn is_reserved_node_label(key: &str) -> bool {
    let Some((domain, _)) = key.split_once('/') else {
        return AKS_RESERVED_PLAIN_LABELS.contains(&key);
    };
    let domain = domain.trim().to_ascii_lowercase();
    RESERVED_NODE_LABEL_DOMAINS.iter().any(|r| {
        domain == *r
            || domain
                .strip_suffix(r)
                .is_some_and(|head| head.ends_with('.'))
    })
}

/// Parses a Kubernetes version (`1.33`, `1.33.2`, `v1.33`) into `(major, minor)`.
pub fn parse_k8s_version(s: &str) -> Option<(u32, u32)> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let mut parts = t.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(patch) if !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()) => {}
        Some(_) => return None,
    }
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor))
}

/// AKS's version-skew rule for a node pool against the control plane, from Kubernetes
/// 1.28: the pool's minor between the control plane's minus three and the control plane's
/// (MicrosoftDocs/SupportArticles-docs `error-codes/aks-upgrade-blocked.md`, 2025-08-22).
/// `None` when allowed, else AKS's own NodePoolMcVersionIncompatible wording.
pub fn pool_skew_error(pool: K8sVersion, control_plane: K8sVersion) -> Option<String> {
    let behind = control_plane.1.checked_sub(pool.1);
    if pool.0 == control_plane.0 && behind.is_some_and(|b| b <= MAX_POOL_MINORS_BEHIND) {
        return None;
    }
    let show = |(a, b): K8sVersion| format!("{a}.{b}");
    Some(if pool > control_plane {
        format!(
            "Node pool version {} and control plane version {} is incompatible. Node pool version cannot be greater than control plane version.",
            show(pool),
            show(control_plane)
        )
    } else {
        format!(
            "Node pool version {} and control plane version {} is incompatible. Minor version of node pool cannot be more than {MAX_POOL_MINORS_BEHIND} versions less than control plane's version. Minor version of node pool is {} and control plane is {}.",
            show(pool),
            show(control_plane),
            pool.1,
            control_plane.1
        )
    })
}

/// How many minors a node pool may lag the control plane (from Kubernetes 1.28; same
/// source as [`pool_skew_error`]).
pub const MAX_POOL_MINORS_BEHIND: u32 = 3;

/// Whether the kubelet pulls one image at a time by default: yes before AKS 1.31, parallel
/// from 1.31 (MicrosoftDocs/SupportArticles-docs `container-image-pull-performance.md`,
/// 2026-08-19).
pub fn default_serialize_image_pulls(k8s: (u32, u32)) -> bool {
    k8s < (1, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pods_defaults_and_bounds() {
        let cases = [
            (NetworkPlugin::AzureCniOverlay, 250),
            (NetworkPlugin::AzureCniPodSubnet, 110),
            (NetworkPlugin::AzureCniNodeSubnet, 30),
            (NetworkPlugin::Kubenet, 110),
            (NetworkPlugin::AzureCniCilium, 250),
        ];
        for (plugin, want) in cases {
            assert_eq!(default_max_pods(plugin), want, "{plugin:?}");
            assert!(max_pods_bounds(PoolMode::System).contains(&default_max_pods(plugin)));
        }
        assert_eq!(max_pods_bounds(PoolMode::User), 10..=250);
        assert!(!max_pods_bounds(PoolMode::System).contains(&29));
        assert!(max_pods_bounds(PoolMode::System).contains(&30));
    }

    #[test]
    fn pool_names() {
        assert_eq!(check_pool_name("win22", Os::Windows), Ok(()));
        assert_eq!(
            check_pool_name("win2022", Os::Windows).map_err(|e| e.to_string()),
            Err("windows pool name 'win2022' has 7 characters; AKS allows at most 6".to_owned())
        );
        assert_eq!(check_pool_name("userpool0001", Os::Linux), Ok(()));
        assert!(matches!(
            check_pool_name("userpool00001", Os::Linux),
            Err(PoolNameError::TooLong { max: 12, .. })
        ));
        assert_eq!(check_pool_name("", Os::Linux), Err(PoolNameError::Empty));
        assert!(matches!(
            check_pool_name("1pool", Os::Linux),
            Err(PoolNameError::BadStart(_))
        ));
        assert!(matches!(
            check_pool_name("Pool", Os::Linux),
            Err(PoolNameError::BadStart(_))
        ));
        assert!(matches!(
            check_pool_name("my-pool", Os::Linux),
            Err(PoolNameError::BadChar { ch: '-', .. })
        ));
    }

    #[test]
    fn windows_os_sku_support_by_version() {
        let cases = [
            (OsSku::Windows2019, (1, 32), true),
            (OsSku::Windows2019, (1, 33), false),
            (OsSku::Windows2022, (1, 36), true),
            (OsSku::Windows2022, (1, 37), false),
            (OsSku::Windows2025, (1, 31), false),
            (OsSku::Windows2025, (1, 32), true),
            (OsSku::Windows2025, (1, 40), true),
            (OsSku::Ubuntu, (1, 20), true),
            (OsSku::AzureLinux, (1, 40), true),
        ];
        for (sku, k8s, want) in cases {
            assert_eq!(os_sku_supported(sku, k8s), want, "{sku:?} on {k8s:?}");
        }
    }

    #[test]
    fn default_os_skus() {
        let cases = [
            (Os::Linux, (1, 33), OsSku::Ubuntu),
            (Os::Windows, (1, 24), OsSku::Windows2019),
            (Os::Windows, (1, 25), OsSku::Windows2022),
            (Os::Windows, (1, 35), OsSku::Windows2022),
            (Os::Windows, (1, 36), OsSku::Windows2025),
        ];
        for (os, k8s, want) in cases {
            assert_eq!(default_os_sku(os, k8s), want, "{os} {k8s:?}");
            assert!(os_sku_supported(want, k8s) || k8s < (1, 25));
        }
    }

    #[test]
    fn plugins_by_os() {
        assert!(!plugin_supports_os(NetworkPlugin::Kubenet, Os::Windows));
        assert!(!plugin_supports_os(
            NetworkPlugin::AzureCniCilium,
            Os::Windows
        ));
        assert!(plugin_supports_os(
            NetworkPlugin::AzureCniOverlay,
            Os::Windows
        ));
        assert!(plugin_supports_os(NetworkPlugin::Kubenet, Os::Linux));
        assert!(!os_sku_supports_plugin(
            OsSku::Windows2019,
            NetworkPlugin::AzureCniPodSubnet
        ));
        assert!(os_sku_supports_plugin(
            OsSku::Windows2022,
            NetworkPlugin::AzureCniPodSubnet
        ));
        assert!(!os_sku_supports_plugin(
            OsSku::Windows2022,
            NetworkPlugin::Kubenet
        ));
    }

    #[test]
    fn minimum_vm_sizes() {
        assert!(vm_size_allowed(
            2,
            Bytes::gib(4),
            "Bv1 (B-series)",
            PoolMode::User
        ));
        assert!(!vm_size_allowed(
            2,
            Bytes::gib(4),
            "Bv1 (B-series)",
            PoolMode::System
        ));
        assert!(!vm_size_allowed(2, Bytes::gib(2), "Dsv5", PoolMode::System));
        // use-system-pools.md (2026-04-30): 4 vCPUs for System pools.
        assert!(!vm_size_allowed(2, Bytes::gib(8), "Dsv5", PoolMode::System));
        assert!(vm_size_allowed(4, Bytes::gib(16), "Dsv5", PoolMode::System));
        assert!(vm_size_allowed(2, Bytes::gib(8), "Dsv5", PoolMode::User));
        assert!(!vm_size_allowed(1, Bytes::gib(8), "Dsv5", PoolMode::User));
    }

    #[test]
    fn reserved_node_labels_import_cases() {
        for k in [
            "kubernetes.azure.com/mode",
            "kubernetes.azure.com/agentpool",
            "agentpool",
            "kubernetes.io/os",
            "kubernetes.io/role",
            "node.kubernetes.io/instance-type",
            "beta.kubernetes.io/arch",
            "failure-domain.beta.kubernetes.io/zone",
            "topology.kubernetes.io/zone",
            "topology.disk.csi.azure.com/zone",
            "k8s.io/x",
        ] {
            assert!(is_reserved_node_label(k), "{k}");
        }
        for k in [
            "dept",
            "workload",
            "example.com/tier",
            "notkubernetes.io/x",
            "node-role",
            "kubernetes.azure.com.evil/x",
        ] {
            assert!(!is_reserved_node_label(k), "{k}");
        }
    }

    #[test]
    fn aks_calendar_and_sku_windows() {
        assert!(AKS_VERSIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(
            aks_version_status((1, 18)),
            AksVersionStatus::Retired {
                oldest: AKS_VERSIONS[0]
            }
        );
        assert!(matches!(
            aks_version_status((1, 33)),
            AksVersionStatus::Offered(v) if v.version == (1, 33)
        ));
        assert!(matches!(
            aks_version_status((1, 40)),
            AksVersionStatus::Unreleased { .. }
        ));
        assert!(!os_sku_supported(OsSku::Windows2022, (1, 18)));
        assert!(os_sku_supported(OsSku::Windows2022, (1, 23)));
        assert_eq!(os_sku_last_version(OsSku::Windows2019), Some((1, 32)));
        assert_eq!(os_sku_last_version(OsSku::Windows2025), None);
        assert_eq!(
            versions_for_skus(&[OsSku::Windows2019, OsSku::Windows2025]),
            [(1, 32)]
        );
        assert_eq!(
            versions_for_skus(&[OsSku::Windows2019, OsSku::Windows2022]),
            [(1, 29), (1, 30), (1, 31), (1, 32)]
        );
        assert_eq!(versions_for_skus(&[]).len(), AKS_VERSIONS.len());
    }

    #[test]
    fn kubernetes_versions_parse() {
        assert_eq!(parse_k8s_version("1.33"), Some((1, 33)));
        assert_eq!(parse_k8s_version("v1.29.4"), Some((1, 29)));
        for bad in ["1", "1.x", "1.33.", "1.33.2.1", "", "one.two"] {
            assert_eq!(parse_k8s_version(bad), None, "{bad}");
        }
        assert!(default_serialize_image_pulls((1, 30)));
        assert!(!default_serialize_image_pulls((1, 31)));
    }
    #[test]
    fn reserved_node_labels() {
        let reserved = [
            "kubernetes.azure.com/agentpool",
            "kubernetes.azure.com/mode",
            "kubernetes.azure.com/scalesetpriority",
            "kubernetes.io/os",
            "kubernetes.io/arch",
            "kubernetes.io/hostname",
            "node.kubernetes.io/instance-type",
            "node.kubernetes.io/windows-build",
            "topology.kubernetes.io/zone",
            "beta.kubernetes.io/os",
            "failure-domain.beta.kubernetes.io/zone",
            "node-restriction.kubernetes.io/team",
            "k8s.io/anything",
            "node-role.k8s.io/worker",
            "Kubernetes.Azure.com/mode",
        ];
        for k in reserved {
            assert!(is_reserved_node_label(k), "{k}");
        }
        let allowed = [
            "tier",
            "team",
            "contoso.com/team",
            "azure.com/x",
            "notkubernetes.io/x",
            "mykubernetes.azure.com.example/x",
            "kubernetes.io",
        ];
        for k in allowed {
            assert!(!is_reserved_node_label(k), "{k}");
        }
    }
}

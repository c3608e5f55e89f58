//! Which layers a fresh node already holds, and how fast the rest arrive: the Windows base
//! images a pool's node image (VHD) caches, by layer identity (the monthly patch build of
//! the base, not the image name), and the download rate of each registry.
//!
//! Layer identity: a Windows base image is a base (RTM) layer, refreshed now and then, plus
//! one delta layer per monthly patch build (microsoft/Windows-Containers#226, #526). A node
//! image caches its OS SKU's base images at its own patch build and the build before it
//! (Azure/AgentBaker `parts/common/components.json`: "latest version and latest version
//! -1"), so an app image built on another month's base pulls that month's delta, and
//! across a base refresh the base layer too. `pools[].nodeImage` states the node image's
//! version, or the exact list it caches (`import` fills it from a cluster dump).
//!
//! Registry rates: `registry.bandwidth` (or `perImage`) when the scenario sets one; else
//! by host: `mcr.microsoft.com` at the fitted MCR rate, `*.azurecr.io` at the fitted rate
//! of the scenario's `registry.acrTier` (Standard by default), anything else at the
//! catalog's default (docs/calibration.md).

use poolcast_model::catalog::{self, disks, CatalogImage};
use poolcast_model::scenario::{AcrTier, OsSku, Pool, Scenario};

/// Where an image is pulled from, as far as its rate goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    /// `mcr.microsoft.com`.
    Mcr,
    /// An Azure Container Registry (`<name>.azurecr.io`).
    Acr,
    /// Any other registry (Docker Hub, ghcr.io, ...).
    Other,
}

/// The registry of a reference, by host after normalisation.
pub fn registry_kind(reference: &str) -> RegistryKind {
    let norm = catalog::normalize_reference(reference);
    let host = norm.split('/').next().unwrap_or_default();
    if host == "mcr.microsoft.com" {
        RegistryKind::Mcr
    } else if host.ends_with(".azurecr.io") {
        RegistryKind::Acr
    } else {
        RegistryKind::Other
    }
}

/// Download bytes/s of one pull of `name` with nothing else on the link: the scenario's
/// per-image or global `registry.bandwidth`, else the fitted rate of the image's registry.
pub fn registry_bps(scn: &Scenario, name: &str) -> u64 {
    let norm = catalog::normalize_reference(name);
    if let Some(r) = &scn.registry {
        for (k, v) in &r.per_image {
            if catalog::normalize_reference(k) == norm {
                return v.bytes_per_sec();
            }
        }
        if let Some(b) = r.bandwidth {
            return b.bytes_per_sec();
        }
    }
    match registry_kind(name) {
        RegistryKind::Mcr => disks::MCR_BANDWIDTH.default.bytes_per_sec(),
        RegistryKind::Acr => {
            let tier = scn
                .registry
                .as_ref()
                .and_then(|r| r.acr_tier)
                .unwrap_or(AcrTier::Standard);
            disks::acr_bandwidth(tier).default.bytes_per_sec()
        }
        RegistryKind::Other => disks::DEFAULT_REGISTRY_BANDWIDTH.bytes_per_sec(),
    }
}

/// What a pool's node image caches beyond the AKS system images.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseCache {
    /// Catalog base images at the node image's patch builds.
    Catalog(Vec<CatalogImage>),
    /// The references the scenario lists in `nodeImage.cachedImages`.
    Listed(Vec<String>),
}

/// The Windows base images a fresh node of `pool` (OS SKU `os_sku`) holds from its node
/// image: the scenario's `nodeImage.cachedImages` when given, else the catalog's list for
/// the OS SKU at `nodeImage.version` (default: the catalog's current node image).
pub fn base_cache(pool: &Pool, os_sku: OsSku) -> BaseCache {
    let ni = pool.node_image.as_ref();
    if let Some(list) = ni.and_then(|n| n.cached_images.clone()) {
        return BaseCache::Listed(list);
    }
    let version = ni.and_then(|n| n.version.as_deref());
    BaseCache::Catalog(catalog::images::windows_base_cache(os_sku, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_by_host() {
        assert_eq!(
            registry_kind("mcr.microsoft.com/windows/servercore:ltsc2022"),
            RegistryKind::Mcr
        );
        assert_eq!(registry_kind("contoso.azurecr.io/app:1"), RegistryKind::Acr);
        assert_eq!(registry_kind("nginx:1.31"), RegistryKind::Other);
        assert_eq!(registry_kind("azurecr.io.evil.com/x"), RegistryKind::Other);
    }

    fn scenario(registry: &str) -> Scenario {
        let text = format!(
            "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {{name: r}}\n\
             cluster: {{provider: aks, kubernetesVersion: \"1.33\"}}\n\
             pools:\n  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}}\n\
             {registry}workloads: []\n"
        );
        poolcast_model::parse_scenario(&text, poolcast_model::Format::Yaml, "t")
            .map(|(s, _)| s)
            .unwrap()
    }

    #[test]
    fn registry_rates_follow_host_tier_and_overrides() {
        let plain = scenario("");
        let acr = "contoso.azurecr.io/app:1";
        assert_eq!(
            registry_bps(&plain, acr),
            26_000_000,
            "ACR Standard default"
        );
        assert_eq!(registry_bps(&plain, "mcr.microsoft.com/x:1"), 100_000_000);
        let premium = scenario("registry: {acrTier: Premium}\n");
        assert_eq!(registry_bps(&premium, acr), 150_000_000);
        let fixed =
            scenario("registry: {bandwidth: 10MB/s, perImage: {\"nginx:1.31.3\": 5MB/s}}\n");
        assert_eq!(registry_bps(&fixed, acr), 10_000_000);
        assert_eq!(
            registry_bps(&fixed, "docker.io/library/nginx:1.31.3"),
            5_000_000
        );
    }

    fn windows_costs(node_image: &str) -> crate::pullcost::ImagePullCost {
        let text = format!(
            "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {{name: n}}\n\
             cluster: {{provider: aks, kubernetesVersion: \"1.33\"}}\n\
             pools:\n  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}}\n\
             \x20 - {{name: win, os: windows, osSku: Windows2022, vmSize: Standard_D8s_v5, count: 1{node_image}}}\n\
             workloads:\n  - {{name: app, kind: Deployment, replicas: 1, \
             image: \"mcr.microsoft.com/dotnet/framework/runtime:4.8-windowsservercore-ltsc2022\", \
             nodeSelector: {{kubernetes.io/os: windows}}}}\n"
        );
        let (scn, _) =
            poolcast_model::parse_scenario(&text, poolcast_model::Format::Yaml, "t").unwrap();
        let costs = crate::pullcost::image_pull_costs(&scn, &crate::RunOptions::default()).unwrap();
        costs.into_iter().find(|c| c.pool == "win").unwrap()
    }

    /// The same image on the current node image (its base month cached), on last month's
    /// node image (base layer shared, delta not) and on one that caches nothing.
    #[test]
    fn node_image_version_decides_which_layers_are_cached() {
        let current = windows_costs("");
        assert_eq!((current.layers, current.cached_layers), (3, 2));
        let older =
            windows_costs(", nodeImage: {version: AKSWindows-2022-containerd-20348.5386.260715}");
        assert_eq!(older.cached_layers, 1, "the base layer only");
        assert!(
            older.pull_ms > 5 * current.pull_ms,
            "{older:?} vs {current:?}"
        );
        let bare = windows_costs(", nodeImage: {cachedImages: []}");
        assert_eq!(bare.cached_layers, 0);
        assert!(bare.pull_ms > older.pull_ms);
        let listed = windows_costs(
            ", nodeImage: {cachedImages: [\"mcr.microsoft.com/windows/servercore:ltsc2022\"]}",
        );
        assert_eq!(listed.cached_layers, 2);
    }
}

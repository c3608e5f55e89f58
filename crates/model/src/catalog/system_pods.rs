//! AKS's own system pods (`data/aks-system-pods.yaml`): the DaemonSets that take their
//! requests on every node before any workload, by OS, network plugin and add-on, and the
//! system Deployments that land on system-pool nodes.
//!
//! Values are resource **requests** as seen on real AKS nodes (`kubectl describe node`),
//! else from the upstream manifests the add-ons follow; each entry keeps its evidence and
//! date (evidence keys in `docs/sources.md`). Totals this module must reproduce, as the
//! published `kubectl describe node` outputs show them: Linux Overlay 350m / 470Mi (C1, C2,
//! C4), kubenet 310m / 220Mi (C6, C7), Windows 130m / 130Mi (C13), Windows with
//! monitoring and managed Prometheus 930m / 1504Mi (C13).

use serde::Deserialize;

use super::{Catalog, CatalogError};
use crate::scenario::{NetworkPlugin, Os, PoolMode};
use crate::units::{Bytes, Cpu};

/// File name of the embedded system-pod table, used in error messages.
pub(crate) const SYSTEM_PODS_FILE: &str = "data/aks-system-pods.yaml";

/// Add-on names a scenario's `cluster.addons` may list, as `az aks enable-addons` /
/// `az aks create` name the features (the two network-policy entries stand for
/// `--network-policy azure|calico`).
pub const ADDONS: [&str; 8] = [
    "monitoring",
    "managed-prometheus",
    "azure-keyvault-secrets-provider",
    "defender",
    "azure-policy",
    "workload-identity",
    "network-policy-azure",
    "network-policy-calico",
];

/// Whether `name` is an add-on this catalog knows.
pub fn is_known_addon(name: &str) -> bool {
    ADDONS.contains(&name)
}

/// `system-node-critical`: the priority class of AKS DaemonSets.
pub const SYSTEM_NODE_CRITICAL: &str = "system-node-critical";
/// `system-cluster-critical`: the priority class of coredns, metrics-server and the other
/// cluster add-on Deployments.
pub const SYSTEM_CLUSTER_CRITICAL: &str = "system-cluster-critical";

/// Controller of a system pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemPodKind {
    /// One pod on every matching node.
    DaemonSet,
    /// A fixed number of replicas, preferring system-pool nodes.
    Deployment {
        /// Replica count.
        replicas: u32,
    },
}

impl SystemPodKind {
    /// Pods per node (DaemonSet) or per cluster (Deployment).
    pub fn replicas(self) -> u32 {
        match self {
            SystemPodKind::DaemonSet => 1,
            SystemPodKind::Deployment { replicas } => replicas,
        }
    }
}

/// When a system pod exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnabledBy {
    /// The add-on that deploys it; `None` = on by default.
    pub addon: Option<String>,
    /// Network plugins it exists with; empty = every plugin.
    pub plugins: Vec<NetworkPlugin>,
}

impl EnabledBy {
    /// Whether the pod exists in a cluster with `plugin` and `addons` enabled.
    pub fn applies(&self, plugin: NetworkPlugin, addons: &[String]) -> bool {
        let addon_on = self
            .addon
            .as_ref()
            .is_none_or(|a| addons.iter().any(|x| x == a));
        addon_on && (self.plugins.is_empty() || self.plugins.contains(&plugin))
    }
}

/// A scheduling request: the pod's effective request (max of the container sum and the
/// largest init container).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodRequests {
    /// CPU.
    pub cpu: Cpu,
    /// Memory.
    pub memory: Bytes,
}

impl std::ops::Add for PodRequests {
    type Output = PodRequests;
    fn add(self, o: PodRequests) -> PodRequests {
        PodRequests {
            cpu: Cpu(self.cpu.0 + o.cpu.0),
            memory: Bytes(self.memory.0 + o.memory.0),
        }
    }
}

/// One container image of a system pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodImage {
    /// Full reference.
    pub reference: String,
    /// Catalog key when the catalog has the image (and its size).
    pub catalog_key: Option<String>,
    /// Compressed size, when known.
    pub size: Option<Bytes>,
}

/// An AKS system DaemonSet or Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemPod {
    /// Workload name (`kube-proxy`).
    pub name: String,
    /// Namespace (`kube-system` unless stated).
    pub namespace: String,
    /// DaemonSet or Deployment.
    pub kind: SystemPodKind,
    /// Node OS it runs on (its `kubernetes.io/os` selector).
    pub os: Os,
    /// Default or add-on, and network plugins.
    pub enabled_by: EnabledBy,
    /// Per-pod requests.
    pub requests: PodRequests,
    /// Container images.
    pub images: Vec<PodImage>,
    /// Sum of the image sizes, when all are known.
    pub image_size: Option<Bytes>,
    /// PriorityClass name.
    pub priority_class: String,
    /// Pool modes a DaemonSet runs on; Deployments prefer System pools.
    pub pool_modes: Vec<PoolMode>,
    /// Evidence.
    pub source: String,
    /// Date of the evidence.
    pub date: String,
    /// Caveats; `[U]` marks unverified values.
    pub notes: Option<String>,
}

impl SystemPod {
    /// Whether this is a per-node DaemonSet.
    pub fn is_daemonset(&self) -> bool {
        self.kind == SystemPodKind::DaemonSet
    }

    /// Requests times replicas (a DaemonSet counts once, per node).
    pub fn total_requests(&self) -> PodRequests {
        let n = u64::from(self.kind.replicas());
        PodRequests {
            cpu: Cpu(self.requests.cpu.0 * n),
            memory: Bytes(self.requests.memory.0 * n),
        }
    }
}

/// Sum of [`SystemPod::total_requests`] over `pods`.
pub fn sum_requests<'a>(pods: impl IntoIterator<Item = &'a SystemPod>) -> PodRequests {
    pods.into_iter()
        .map(SystemPod::total_requests)
        .fold(PodRequests::default(), |a, b| a + b)
}

/// The AKS DaemonSet pods on every node of `os` in a pool of `pool_mode`, for a cluster
/// with `plugin` and `addons`, from the built-in catalog.
pub fn system_pods_for(
    os: Os,
    plugin: NetworkPlugin,
    addons: &[String],
    pool_mode: PoolMode,
) -> Vec<&'static SystemPod> {
    Catalog::builtin().daemonsets_for(os, plugin, addons, pool_mode)
}

/// The AKS system Deployments of a cluster with `plugin` and `addons` (all Linux; they
/// prefer system-pool nodes), from the built-in catalog.
pub fn system_deployments(plugin: NetworkPlugin, addons: &[String]) -> Vec<&'static SystemPod> {
    Catalog::builtin().system_deployments(plugin, addons)
}

impl Catalog {
    /// The DaemonSet pods on every node of `os` in a pool of `pool_mode`.
    pub fn daemonsets_for(
        &self,
        os: Os,
        plugin: NetworkPlugin,
        addons: &[String],
        pool_mode: PoolMode,
    ) -> Vec<&SystemPod> {
        self.system_pods()
            .iter()
            .filter(|p| {
                p.is_daemonset()
                    && p.os == os
                    && p.pool_modes.contains(&pool_mode)
                    && p.enabled_by.applies(plugin, addons)
            })
            .collect()
    }

    /// The system Deployments of a cluster with `plugin` and `addons`.
    pub fn system_deployments(&self, plugin: NetworkPlugin, addons: &[String]) -> Vec<&SystemPod> {
        self.system_pods()
            .iter()
            .filter(|p| !p.is_daemonset() && p.enabled_by.applies(plugin, addons))
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pods: Vec<RawPod>,
}

#[derive(Deserialize)]
enum RawKind {
    DaemonSet,
    Deployment,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEnabledBy {
    #[serde(default)]
    addon: Option<String>,
    #[serde(default)]
    plugins: Vec<NetworkPlugin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequests {
    cpu: Cpu,
    memory: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPod {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    kind: RawKind,
    #[serde(default)]
    replicas: Option<u32>,
    os: Os,
    #[serde(default)]
    enabled_by: RawEnabledBy,
    requests: RawRequests,
    images: Vec<String>,
    #[serde(default)]
    priority_class: Option<String>,
    #[serde(default)]
    pool_modes: Option<Vec<PoolMode>>,
    source: String,
    date: String,
    #[serde(default)]
    notes: Option<String>,
}

/// Parses the system-pod table and resolves its image keys against `catalog`'s images.
pub(crate) fn parse_system_pods(
    text: &str,
    catalog: &Catalog,
) -> Result<Vec<SystemPod>, CatalogError> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let raw: RawFile = serde_path_to_error::deserialize(de).map_err(|e| CatalogError::Parse {
        file: SYSTEM_PODS_FILE,
        location: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let mut out: Vec<SystemPod> = Vec::with_capacity(raw.pods.len());
    for (i, r) in raw.pods.into_iter().enumerate() {
        let loc = format!("pods[{i}] ({})", r.name);
        let bad = |m: String| CatalogError::Invalid {
            file: SYSTEM_PODS_FILE,
            location: loc.clone(),
            message: m,
        };
        let kind = match (r.kind, r.replicas) {
            (RawKind::DaemonSet, None) => SystemPodKind::DaemonSet,
            (RawKind::DaemonSet, Some(_)) => return Err(bad("a DaemonSet has no replicas".into())),
            (RawKind::Deployment, Some(n)) if n > 0 => SystemPodKind::Deployment { replicas: n },
            (RawKind::Deployment, _) => return Err(bad("a Deployment needs replicas >= 1".into())),
        };
        if let Some(a) = &r.enabled_by.addon {
            if !is_known_addon(a) {
                return Err(bad(format!(
                    "unknown add-on '{a}'; known: {}",
                    ADDONS.join(", ")
                )));
            }
        }
        let priority_class = match (r.priority_class, kind) {
            (Some(p), _) => p,
            (None, SystemPodKind::DaemonSet) => SYSTEM_NODE_CRITICAL.to_owned(),
            (None, SystemPodKind::Deployment { .. }) => {
                return Err(bad("a Deployment must name its priorityClass".into()))
            }
        };
        let pool_modes = r
            .pool_modes
            .unwrap_or_else(|| vec![PoolMode::System, PoolMode::User]);
        if pool_modes.is_empty() {
            return Err(bad("poolModes is empty".into()));
        }
        if r.images.is_empty() {
            return Err(bad("no images".into()));
        }
        let mut images = Vec::with_capacity(r.images.len());
        for key in &r.images {
            // A bare word must be a catalog key; a reference (with '/') may be unknown.
            if let Some(img) = catalog.image(key).filter(|img| img.key == *key) {
                if img.os != r.os {
                    return Err(bad(format!("image {key} is a {} image", img.os)));
                }
                images.push(PodImage {
                    reference: img.name.clone(),
                    catalog_key: Some(img.key.clone()),
                    size: Some(img.size()),
                });
            } else if key.contains('/') {
                let known = catalog.image_for_os(key, r.os);
                images.push(PodImage {
                    reference: key.clone(),
                    catalog_key: known.map(|k| k.key.clone()),
                    size: known.map(|k| k.size()),
                });
            } else {
                return Err(bad(format!(
                    "image key '{key}' is not in the image catalog"
                )));
            }
        }
        let image_size = images
            .iter()
            .map(|i| i.size.map(Bytes::get))
            .sum::<Option<u64>>()
            .map(Bytes);
        if r.source.trim().is_empty() || r.date.trim().is_empty() {
            return Err(bad("source and date are required".into()));
        }
        let pod = SystemPod {
            name: r.name,
            namespace: r.namespace.unwrap_or_else(|| "kube-system".to_owned()),
            kind,
            os: r.os,
            enabled_by: EnabledBy {
                addon: r.enabled_by.addon,
                plugins: r.enabled_by.plugins,
            },
            requests: PodRequests {
                cpu: r.requests.cpu,
                memory: r.requests.memory,
            },
            images,
            image_size,
            priority_class,
            pool_modes,
            source: r.source,
            date: r.date,
            notes: r.notes,
        };
        // Two rows may share a name only as alternatives (disjoint plugin sets).
        if let Some(other) = out.iter().find(|o| {
            o.name == pod.name
                && o.os == pod.os
                && o.enabled_by.addon == pod.enabled_by.addon
                && overlap(&o.enabled_by.plugins, &pod.enabled_by.plugins)
        }) {
            return Err(bad(format!(
                "{} is listed twice for the same plugins (first at {})",
                other.name, other.source
            )));
        }
        out.push(pod);
    }
    Ok(out)
}

fn overlap(a: &[NetworkPlugin], b: &[NetworkPlugin]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|p| b.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addons(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn total(os: Os, plugin: NetworkPlugin, on: &[&str]) -> (u64, u64) {
        let pods = system_pods_for(os, plugin, &addons(on), PoolMode::User);
        let t = sum_requests(pods.iter().copied());
        (t.cpu.millis(), t.memory.as_mib())
    }

    /// OS, plugin, add-ons, expected (millicores, MiB).
    type TotalCase = (Os, NetworkPlugin, &'static [&'static str], (u64, u64));

    #[test]
    fn daemonset_totals_match_observed_nodes() {
        use NetworkPlugin::*;
        let cases: [TotalCase; 10] = [
            (Os::Linux, AzureCniOverlay, &[], (350, 470)),
            (Os::Linux, AzureCniPodSubnet, &[], (350, 470)),
            (Os::Linux, Kubenet, &[], (310, 220)),
            // C3 (node subnet + NPM, Jan 2026) was 310m / 506Mi with ip-masq at 50m/36Mi.
            (Os::Linux, AzureCniNodeSubnet, &[], (310, 220)),
            (
                Os::Linux,
                AzureCniNodeSubnet,
                &["network-policy-azure"],
                (360, 520),
            ),
            // Cilium: kube-proxy out, cilium agent in.
            (Os::Linux, AzureCniCilium, &[], (350, 570)),
            // The usual add-on stack: +150m/550Mi, +70m/180Mi, +120m/240Mi.
            (
                Os::Linux,
                AzureCniOverlay,
                &[
                    "monitoring",
                    "managed-prometheus",
                    "azure-keyvault-secrets-provider",
                ],
                (690, 1440),
            ),
            (Os::Windows, AzureCniOverlay, &[], (130, 130)),
            (Os::Windows, AzureCniNodeSubnet, &[], (130, 130)),
            (
                Os::Windows,
                AzureCniOverlay,
                &["monitoring", "managed-prometheus"],
                (930, 1504),
            ),
        ];
        for (os, plugin, on, want) in cases {
            assert_eq!(total(os, plugin, on), want, "{os} {plugin:?} {on:?}");
        }
    }

    #[test]
    fn daemonset_pod_counts_and_names() {
        let names = |os, plugin| {
            system_pods_for(os, plugin, &[], PoolMode::System)
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(Os::Linux, NetworkPlugin::AzureCniOverlay),
            [
                "kube-proxy",
                "azure-cns",
                "azure-ip-masq-agent",
                "cloud-node-manager",
                "csi-azuredisk-node",
                "csi-azurefile-node"
            ]
        );
        assert!(!names(Os::Linux, NetworkPlugin::AzureCniCilium).contains(&"kube-proxy"));
        assert!(!names(Os::Linux, NetworkPlugin::Kubenet).contains(&"azure-cns"));
        assert_eq!(
            names(Os::Windows, NetworkPlugin::AzureCniNodeSubnet).len(),
            3
        );
        assert_eq!(names(Os::Windows, NetworkPlugin::AzureCniOverlay).len(), 4);
    }

    #[test]
    fn daemonsets_are_node_critical_and_cached_images_have_sizes() {
        let c = Catalog::builtin();
        for p in c.system_pods().iter().filter(|p| p.is_daemonset()) {
            assert_eq!(p.priority_class, SYSTEM_NODE_CRITICAL, "{}", p.name);
        }
        for p in system_pods_for(
            Os::Linux,
            NetworkPlugin::AzureCniOverlay,
            &[],
            PoolMode::User,
        ) {
            assert!(p.image_size.is_some(), "{}", p.name);
        }
        let disk = c
            .system_pods()
            .iter()
            .find(|p| p.name == "csi-azuredisk-node")
            .unwrap();
        // 75 + 17.5 + 17.5 MiB
        assert_eq!(disk.image_size, Some(Bytes(110 << 20)));
        let win_disk = c
            .system_pods()
            .iter()
            .find(|p| p.name == "csi-azuredisk-node-win")
            .unwrap();
        assert_eq!(
            win_disk.images[1].catalog_key.as_deref(),
            Some("aks-csi-node-driver-registrar-windows")
        );
    }

    #[test]
    fn system_deployments_by_addon() {
        let names = |on: &[&str]| {
            system_deployments(NetworkPlugin::AzureCniOverlay, &addons(on))
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
        };
        let base = names(&[]);
        assert_eq!(
            base,
            [
                "coredns",
                "coredns-autoscaler",
                "konnectivity-agent",
                "konnectivity-agent-autoscaler",
                "metrics-server"
            ]
        );
        let t = sum_requests(
            system_deployments(NetworkPlugin::AzureCniOverlay, &[])
                .iter()
                .copied(),
        );
        // Sum of the system Deployments observed on C1-C4: about 0.6 vCPU / 0.47 GiB.
        assert_eq!((t.cpu.millis(), t.memory.as_mib()), (596, 500));
        let with = names(&["monitoring", "workload-identity"]);
        assert!(with.contains(&"ama-logs-rs"));
        assert!(with.contains(&"azure-wi-webhook-controller-manager"));
        let c = Catalog::builtin();
        for name in ["coredns", "metrics-server"] {
            let p = c.system_pods().iter().find(|p| p.name == name).unwrap();
            assert_eq!(p.priority_class, SYSTEM_CLUSTER_CRITICAL);
            assert_eq!(p.os, Os::Linux);
        }
    }

    #[test]
    fn enablement_needs_addon_and_plugin() {
        let e = EnabledBy {
            addon: Some("monitoring".into()),
            plugins: vec![NetworkPlugin::AzureCniOverlay],
        };
        assert!(e.applies(NetworkPlugin::AzureCniOverlay, &addons(&["monitoring"])));
        assert!(!e.applies(NetworkPlugin::Kubenet, &addons(&["monitoring"])));
        assert!(!e.applies(NetworkPlugin::AzureCniOverlay, &[]));
        assert!(is_known_addon("defender"));
        assert!(!is_known_addon("Defender"));
    }

    fn parse(text: &str) -> Result<Vec<SystemPod>, CatalogError> {
        parse_system_pods(text, Catalog::builtin())
    }

    #[test]
    fn malformed_tables_are_refused() {
        let pod = |extra: &str| {
            format!(
                "pods:\n  - name: p\n    os: linux\n    requests: {{cpu: 1m, memory: 1Mi}}\n    source: s\n    date: d\n{extra}"
            )
        };
        let cases = [
            (pod("    kind: DaemonSet\n    replicas: 2\n    images: [aks-kube-proxy]\n"), "no replicas"),
            (pod("    kind: Deployment\n    priorityClass: x\n    images: [aks-kube-proxy]\n"), "replicas >= 1"),
            (pod("    kind: Deployment\n    replicas: 1\n    images: [aks-kube-proxy]\n"), "priorityClass"),
            (pod("    kind: DaemonSet\n    images: [aks-nope]\n"), "not in the image catalog"),
            (pod("    kind: DaemonSet\n    images: [aks-cloud-node-manager-windows]\n"), "windows image"),
            (pod("    kind: DaemonSet\n    images: [aks-kube-proxy]\n    enabledBy: {addon: logs}\n"), "unknown add-on"),
            (pod("    kind: DaemonSet\n    images: []\n"), "no images"),
            (pod("    kind: Job\n    images: [aks-kube-proxy]\n"), "kind"),
            (
                format!(
                    "{}  - name: p\n    os: linux\n    kind: DaemonSet\n    requests: {{cpu: 1m, memory: 1Mi}}\n    images: [aks-kube-proxy]\n    source: s\n    date: d\n",
                    pod("    kind: DaemonSet\n    images: [aks-kube-proxy]\n")
                ),
                "twice",
            ),
        ];
        for (text, want) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
        let ok = parse(&pod(
            "    kind: DaemonSet\n    images: [\"example.com/x:1\"]\n",
        ))
        .unwrap();
        assert_eq!(ok[0].image_size, None);
        assert_eq!(ok[0].namespace, "kube-system");
    }
}

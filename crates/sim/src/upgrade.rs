//! AKS node-pool upgrades, the parts that need no engine: what AKS checks before it starts
//! (OS SKU offered on the target version, version skew), how many surge nodes `maxSurge`
//! means, and what a new node image caches. The engine side (surge, cordon and drain in
//! batches, soak, reimage, surge removal) is `run::upgrade`.
//!
//! Sources (MicrosoftDocs/azure-aks-docs `articles/aks/`, read 2026-12):
//! `upgrade-aks-node-pools-rolling.md` (2026-05-29: surge default 1, percentages round up,
//! capped at the pool's node count; drain timeout default 30 min, 5 min to 24 h; soak
//! 0-30 min; the rolling procedure and its `Surge`/`Drain`/`Upgrade` events),
//! `upgrade-conceptual.md` (2025-09-18: surge nodes cordoned, drained and deleted at the
//! end; `Cordon` undrainable behaviour keeps a surge node per quarantined node). Error
//! wording: MicrosoftDocs/SupportArticles-docs `error-code-poddrainfailure.md` and
//! `error-codes/aks-upgrade-blocked.md`; Windows2019NotSupportedWithOrchestratorVersion as
//! AKS returned it in Azure/azure-container-networking#3870 (2025-07-29).

use poolcast_model::catalog::{self, aks, CatalogImage};
use poolcast_model::scenario::{
    IntOrPercent, OsSku, Pool, Scenario, UpgradeEvent, UPGRADE_TO_NODE_IMAGE,
};

use crate::build::Plan;
use crate::cluster::{ImageId, ImageInfo};
use crate::kubelet::LayerInfo;
use crate::outcome::{Assumption, UpgradeBlocker};

/// AKS's default surge: one extra node.
pub const DEFAULT_MAX_SURGE: u32 = 1;
/// AKS's default node drain timeout (30 min).
pub const DEFAULT_DRAIN_TIMEOUT_MS: u64 = 30 * 60_000;

/// What the upgrade moves the pool to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Kubernetes minor (1.x); the node image moves with it.
    Version(u32),
    /// The latest node image, same Kubernetes version.
    NodeImage,
}

impl Target {
    /// From the event's `to`; `None` when it is neither (validation rejects that).
    pub fn parse(to: &str) -> Option<Target> {
        if to == UPGRADE_TO_NODE_IMAGE {
            return Some(Target::NodeImage);
        }
        crate::build::k8s_minor(to).map(Target::Version)
    }

    /// `1.33` or `node-image`.
    pub fn label(self) -> String {
        match self {
            Target::Version(m) => format!("1.{m}"),
            Target::NodeImage => UPGRADE_TO_NODE_IMAGE.to_owned(),
        }
    }
}

/// Surge nodes for a pool of `nodes` nodes: an integer as is, a percentage of the pool
/// rounded up, never more than the nodes to upgrade, at least one.
pub fn surge_count(max_surge: Option<&IntOrPercent>, nodes: u32) -> u32 {
    let want = match max_surge {
        None => DEFAULT_MAX_SURGE,
        Some(IntOrPercent::Int(n)) => *n,
        Some(IntOrPercent::Percent(p)) => match p.strip_suffix('%') {
            Some(pct) => {
                let pct = pct.parse::<u64>().unwrap_or(0);
                (u64::from(nodes) * pct).div_ceil(100) as u32
            }
            // AKS's maxSurge is a string: "5" is five nodes.
            None => p.parse::<u32>().unwrap_or(DEFAULT_MAX_SURGE),
        },
    };
    want.clamp(1, nodes.max(1))
}

/// AKS's checks before it touches a node. `pools` gives every pool's (name, Kubernetes
/// minor, OS SKU); `control_plane` the cluster's minor. An empty result means AKS starts.
pub fn preflight(
    pool: &str,
    target: Target,
    control_plane: u32,
    pools: &[(String, u32, OsSku)],
    at_ms: u64,
) -> Vec<UpgradeBlocker> {
    let mut out = Vec::new();
    let Target::Version(to) = target else {
        return out;
    };
    let Some(&(_, from, sku)) = pools.iter().find(|(n, _, _)| n == pool) else {
        return out;
    };
    let blocker = |code: &str, message: String| UpgradeBlocker {
        code: code.to_owned(),
        at_ms,
        node: None,
        pod: None,
        pdb: None,
        message,
    };
    if to < from {
        out.push(blocker(
            "OperationNotAllowed",
            format!("Upgrading Kubernetes version 1.{from} to 1.{to} is not allowed. Available upgrades: [1.{control_plane}]."),
        ));
        return out;
    }
    // A target AKS's release calendar does not carry is not offered at all.
    if !matches!(
        aks::aks_version_status((1, to)),
        aks::AksVersionStatus::Offered(_)
    ) {
        out.push(blocker(
            "OperationNotAllowed",
            format!(
                "Upgrading Kubernetes version 1.{from} to 1.{to} is not allowed: AKS does not offer 1.{to} (supported-kubernetes-versions.md)."
            ),
        ));
        return out;
    }
    // The control plane moves first, one minor at a time (non-LTS clusters).
    if to > control_plane + 1 {
        out.push(blocker(
            "OperationNotAllowed",
            format!(
                "Upgrading Kubernetes version 1.{control_plane} to 1.{to} is not allowed. Available upgrades: [1.{}]. Upgrade the control plane one minor version at a time.",
                control_plane + 1
            ),
        ));
    }
    let new_cp = control_plane.max(to);
    for (name, minor, _) in pools.iter().filter(|(n, _, _)| n != pool) {
        if let Some(msg) = aks::pool_skew_error((1, *minor), (1, new_cp)) {
            out.push(blocker(
                "NodePoolMcVersionIncompatible",
                format!("node pool {name}: {msg}"),
            ));
        }
    }
    if !aks::os_sku_supported(sku, (1, to)) {
        let until = aks::os_sku_versions(sku).until.unwrap_or((1, to));
        let replacement = if sku == OsSku::Windows2019 {
            "Windows2022"
        } else {
            "Windows2025"
        };
        out.push(blocker(
            &format!("{sku:?}NotSupportedWithOrchestratorVersion"),
            format!(
                "Cannot create {sku:?} node pools with the current Kubernetes version \"1.{to}\" because {sku:?} was deprecated after Kubernetes version \"{}.{}.0\". Please create {replacement} node pools instead.",
                until.0, until.1
            ),
        ));
    }
    out
}

/// The node-image version a node-image (or Kubernetes) upgrade moves a Windows pool to:
/// the catalog's current node image for its OS SKU when the pool runs an older one (AKS
/// upgrades to the latest node image, `node-image-upgrade.md`); when it already runs that
/// one, the next monthly patch build, which the catalog cannot know yet: numbered here
/// `revision + 1` [U] (only its identity matters: new monthly layers). `None` for OS SKUs
/// without a Windows node-image entry (Linux).
pub fn next_node_image_version(pool: &Pool, os_sku: OsSku) -> Option<String> {
    let spec = catalog::images::node_image_spec(os_sku)?;
    let latest = catalog::images::parse_node_image_version(&spec.version)?;
    let current = pool
        .node_image
        .as_ref()
        .and_then(|n| n.version.as_deref())
        .and_then(catalog::images::parse_node_image_version)
        .unwrap_or(latest);
    if current.0 == latest.0 && current.1 < latest.1 {
        return Some(spec.version.clone());
    }
    Some(format!("{}.{}.0", current.0, current.1 + 1))
}

/// The images a node of plan pool `pi` (scenario pool `pool`) starts with after the node
/// image moves to `version`: AKS's system images and `prePulledImages` as before, and the
/// Windows base images of the new node image by layer identity
/// (`catalog::images::windows_base_cache`: the new patch build and the one before it), so
/// an app image built on the month that dropped out pulls its monthly delta again. The
/// derived images join the plan's tables (call before any node exists).
///
/// This is the one place an upgrade moves a node image's cache.
pub fn bumped_node_image_cache(
    plan: &mut Plan,
    scn: &Scenario,
    pi: usize,
    pool: &Pool,
    version: &str,
) -> Vec<ImageId> {
    let os_sku = plan.pools[pi].os_sku;
    let old_bases: Vec<String> = match crate::nodecache::base_cache(pool, os_sku) {
        crate::nodecache::BaseCache::Catalog(v) => v
            .iter()
            .map(|c| catalog::normalize_reference(&c.name))
            .collect(),
        crate::nodecache::BaseCache::Listed(v) => {
            v.iter().map(|r| catalog::normalize_reference(r)).collect()
        }
    };
    let mut out: Vec<ImageId> = plan.pools[pi]
        .preload
        .iter()
        .copied()
        .filter(|id| {
            let n = catalog::normalize_reference(&plan.cluster.images[id.idx()].name);
            !old_bases.contains(&n)
        })
        .collect();
    for c in catalog::images::windows_base_cache(os_sku, Some(version)) {
        out.push(add_catalog_image(plan, scn, &c));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A catalog image in the plan's tables: the one of the same name, else a new one.
fn add_catalog_image(plan: &mut Plan, scn: &Scenario, c: &CatalogImage) -> ImageId {
    let norm = catalog::normalize_reference(&c.name);
    if let Some(i) = plan
        .cluster
        .images
        .iter()
        .position(|i| i.os == c.os && catalog::normalize_reference(&i.name) == norm)
    {
        return ImageId(i as u32);
    }
    let mut ids = Vec::with_capacity(c.layers.len());
    for l in &c.layers {
        let unc = l.uncompressed_size.map_or_else(
            || crate::resolve::pool::default_uncompressed(c.os, l.size.get()),
            |b| b.get(),
        );
        ids.push(plan.layers.intern(LayerInfo {
            digest: l.digest.clone(),
            size: l.size.get(),
            uncompressed: unc,
            files: l.files.unwrap_or_else(|| {
                catalog::disks::default_layer_files(c.os, poolcast_model::Bytes(unc))
            }),
        }));
    }
    ids.dedup();
    let id = plan.cluster.add_image(ImageInfo {
        name: c.name.clone(),
        size: c.layers.iter().map(|l| l.size.get()).sum(),
        os: c.os,
        windows_build: c.windows_build(),
        platforms: Vec::new(),
    });
    plan.layers.push_image(ids);
    plan.registry_bps
        .push(crate::nodecache::registry_bps(scn, &c.name));
    id
}

/// Settings of one upgrade with AKS's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Target.
    pub target: Target,
    /// Per-node drain timeout.
    pub drain_timeout_ms: u64,
    /// Soak after a drain.
    pub soak_ms: u64,
    /// `Cordon` (true) or `Schedule`.
    pub cordon_undrainable: bool,
}

impl Settings {
    /// From the event (validated); `None` for an unparseable target.
    pub fn of(e: &UpgradeEvent) -> Option<Settings> {
        Some(Settings {
            target: Target::parse(&e.to)?,
            drain_timeout_ms: e
                .drain_timeout
                .map_or(DEFAULT_DRAIN_TIMEOUT_MS, |d| d.as_ms()),
            soak_ms: e.node_soak_duration.map_or(0, |d| d.as_ms()),
            cordon_undrainable: e.undrainable_node_behavior
                == Some(poolcast_model::scenario::UndrainableNodeBehavior::Cordon),
        })
    }
}

/// What a run with an upgrade assumes.
pub fn assumptions() -> Vec<Assumption> {
    let a = |topic: &str, text: &str, source: &str| Assumption {
        topic: topic.into(),
        text: text.into(),
        source: source.into(),
    };
    vec![
        a(
            "upgrade",
            "a reimaged node is back Ready after the pool's provisioning time, as a new node would be; the control plane's own upgrade takes no time",
            "AKS publishes no reimage duration; upgrade-aks-node-pools-rolling.md (MicrosoftDocs/azure-aks-docs, 2026-05-29)",
        ),
        a(
            "upgrade",
            "a drain evicts through the eviction API and retries a refused eviction every 5 s; an evicted pod ends at once (no termination grace period)",
            "kubectl drain retry interval (k8s.io/kubectl/pkg/drain); AKS drain as upgrade-conceptual.md",
        ),
        a(
            "upgrade",
            "a node-image upgrade moves a Windows pool to the catalog's current node image, or, when it runs that one already, to the next monthly patch build, whose layers are sized like this month's",
            "Azure/AgentBaker parts/common/components.json (latestVersion, previousLatestVersion); no source sizes a future delta",
        ),
        a(
            "upgrade",
            "surge nodes are billed from the upgrade's start (when AKS requests them) to their deletion",
            "Azure VM billing per running second; surge in upgrade-aks-node-pools-rolling.md",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_counts_follow_aks() {
        assert_eq!(surge_count(None, 3), 1);
        assert_eq!(surge_count(Some(&IntOrPercent::Int(2)), 3), 2);
        // Capped at the nodes to upgrade.
        assert_eq!(surge_count(Some(&IntOrPercent::Int(5)), 3), 3);
        // 33% of 4 rounds up to 2; 50% of 3 to 2; 100% is every node.
        assert_eq!(
            surge_count(Some(&IntOrPercent::Percent("33%".into())), 4),
            2
        );
        assert_eq!(
            surge_count(Some(&IntOrPercent::Percent("50%".into())), 3),
            2
        );
        assert_eq!(
            surge_count(Some(&IntOrPercent::Percent("100%".into())), 7),
            7
        );
    }

    #[test]
    fn targets_parse() {
        assert_eq!(Target::parse("node-image"), Some(Target::NodeImage));
        assert_eq!(Target::parse("1.33"), Some(Target::Version(33)));
        assert_eq!(Target::parse("latest"), None);
        assert_eq!(Target::Version(33).label(), "1.33");
    }

    fn pool(yaml: &str) -> Pool {
        let text = format!(
            "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {{name: t}}\n\
             cluster: {{kubernetesVersion: \"1.33\"}}\npools:\n  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}}\n  - {yaml}\n"
        );
        let (s, _) = poolcast_model::parse_scenario(&text, poolcast_model::Format::Yaml, "t")
            .expect("valid scenario");
        s.pools[1].clone()
    }

    #[test]
    fn node_image_moves_to_the_latest_then_a_month_on() {
        // An older node image goes to the catalog's current one.
        let old = pool("{name: w, os: windows, vmSize: Standard_D4s_v5, count: 1, nodeImage: {version: AKSWindows-2022-containerd-20348.5386.260715}}");
        let latest = catalog::images::node_image_spec(OsSku::Windows2022)
            .unwrap()
            .version
            .clone();
        assert_eq!(
            next_node_image_version(&old, OsSku::Windows2022),
            Some(latest.clone())
        );
        // The current one goes to the next patch build.
        let cur = pool("{name: w, os: windows, vmSize: Standard_D4s_v5, count: 1}");
        let (b, r) = catalog::images::parse_node_image_version(&latest).unwrap();
        assert_eq!(
            next_node_image_version(&cur, OsSku::Windows2022),
            Some(format!("{b}.{}.0", r + 1))
        );
        // Linux pools have no Windows node-image entry.
        assert_eq!(next_node_image_version(&cur, OsSku::Ubuntu), None);
    }

    fn pools() -> Vec<(String, u32, OsSku)> {
        vec![
            ("system".into(), 32, OsSku::Ubuntu),
            ("win19".into(), 32, OsSku::Windows2019),
            ("old".into(), 30, OsSku::Ubuntu),
        ]
    }

    #[test]
    fn windows2019_is_refused_on_1_33_with_aks_wording() {
        let b = preflight("win19", Target::Version(33), 32, &pools(), 0);
        let sku = b
            .iter()
            .find(|b| b.code == "Windows2019NotSupportedWithOrchestratorVersion")
            .expect("SKU blocker");
        assert!(sku.message.contains(
            "Cannot create Windows2019 node pools with the current Kubernetes version \"1.33\""
        ));
        // The 1.30 pool would be three minors behind a 1.33 control plane: allowed.
        assert!(!b.iter().any(|b| b.code == "NodePoolMcVersionIncompatible"));
    }

    #[test]
    fn skew_and_one_minor_at_a_time() {
        // 1.34 skips a minor of the control plane, and leaves the 1.30 pool four behind.
        let b = preflight("system", Target::Version(34), 32, &pools(), 0);
        let codes: Vec<&str> = b.iter().map(|b| b.code.as_str()).collect();
        assert!(codes.contains(&"OperationNotAllowed"), "{codes:?}");
        let skew = b
            .iter()
            .find(|b| b.code == "NodePoolMcVersionIncompatible")
            .unwrap();
        assert!(skew.message.contains("node pool old"), "{}", skew.message);
        assert!(skew.message.contains("cannot be more than 3 versions less"));
        // A node-image upgrade has no version checks.
        assert!(preflight("win19", Target::NodeImage, 32, &pools(), 0).is_empty());
        // Within the control plane's version: allowed.
        assert!(preflight("old", Target::Version(32), 32, &pools(), 0).is_empty());
        // Not in AKS's release calendar.
        let b = preflight("system", Target::Version(45), 44, &pools(), 0);
        assert!(b[0].message.contains("AKS does not offer 1.45"), "{b:?}");
    }
}

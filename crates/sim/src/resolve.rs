//! Scenario + catalog -> [`Resolved`]: everything a scenario names, looked up in the
//! catalog once and in one place, before the engine is built.
//!
//! [`resolve`] walks the scenario in the order the engine is built from it (scenario
//! images, workloads, AKS system pods, pools) and records, per image, its layers,
//! platforms and registry rate; per workload and system pod, its images and priority; per
//! pool, its node shape (VM size specs, price, allocatable, OS disk, kubelet and extraction
//! parameters, provisioning estimate; [`pool`]), its node-image cache, pre-pulled and
//! imported images and the AKS DaemonSets that run on it. Images get their engine id in
//! the order they are first named, so [`crate::build`] only stamps the tables: it never
//! consults the catalog. Every fallible lookup happens here, so a bad scenario fails
//! before anything is built.

pub mod pool;

use std::collections::{BTreeMap, BTreeSet};

use poolcast_model::catalog::{self, Catalog, SystemPod};
use poolcast_model::scenario::{
    AksTier, Count, Os, OsSku, Pool, PreemptionPolicy, Provider, Scenario, SystemPods, Workload,
};

use crate::cluster::{ImageId, ImagePlatform};
use crate::outcome::Assumption;
use crate::SimError;

pub use pool::NodeShape;

/// One layer of a resolved image: sizes final (the default expansion applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLayer {
    /// Content digest.
    pub digest: String,
    /// Compressed (download) size.
    pub size: u64,
    /// Size on disk after extraction.
    pub uncompressed: u64,
    /// Files in the layer (stated, else the OS default for its size).
    pub files: u64,
}

/// An image as the engine stores it; its index in [`Resolved::images`] is its `ImageId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// Reference.
    pub name: String,
    /// Sum of the compressed layer sizes (`status.images` size).
    pub size: u64,
    /// OS of the first platform.
    pub os: Os,
    /// Windows build of the first platform.
    pub windows_build: Option<u32>,
    /// Further platforms of a manifest list.
    pub platforms: Vec<ImagePlatform>,
    /// Layers in order (duplicates kept; the engine's layer table folds them).
    pub layers: Vec<ResolvedLayer>,
    /// Registry bytes/s for this image.
    pub registry_bps: u64,
}

/// A scenario workload with its references resolved.
#[derive(Debug, Clone)]
pub struct ResolvedWorkload<'a> {
    /// The workload as written.
    pub workload: &'a Workload,
    /// Its images (`image`, then `extraImages`).
    pub images: Vec<ImageId>,
    /// PriorityClass value.
    pub priority: i32,
    /// `preemptionPolicy: Never`.
    pub never_preempt: bool,
}

/// An AKS system pod the cluster runs, with its images resolved.
#[derive(Debug, Clone)]
pub struct ResolvedSystemPod<'a> {
    /// The catalog record.
    pub pod: &'a SystemPod,
    /// Its images.
    pub images: Vec<ImageId>,
    /// PriorityClass value.
    pub priority: i32,
}

/// A pool with its catalog facts.
#[derive(Debug, Clone)]
pub struct ResolvedPool<'a> {
    /// The pool as written.
    pub pool: &'a Pool,
    /// OS SKU (the pool's, else AKS's default).
    pub os_sku: OsSku,
    /// Windows build of a Windows pool's nodes.
    pub windows_build: Option<u32>,
    /// Node shape: VM size, price, allocatable, kubelet parameters, provisioning time.
    pub shape: NodeShape,
    /// Images on every new node (node-image cache and `prePulledImages`), sorted, unique.
    pub preload: Vec<ImageId>,
    /// The part of `preload` only `prePulledImages` asked for (not cached by the node image).
    pub pre_pulled: Vec<ImageId>,
    /// Names of the AKS system DaemonSets that run on this pool's nodes.
    pub system_daemonsets: BTreeSet<String>,
    /// Per imported node (`nodes`, in order), the images the dump lists that resolve.
    pub imported_images: Vec<Vec<ImageId>>,
    /// Generated nodes at time zero (after the imported ones).
    pub initial_count: u32,
    /// The pool's Kubernetes minor (its own `kubernetesVersion`, else the cluster's).
    pub k8s_minor: u32,
}

/// Everything the engine is built from: the scenario and what it names in the catalog.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Kubernetes minor version (`1.33` -> 33).
    pub k8s_minor: u32,
    /// `provider: aks`.
    pub aks: bool,
    /// Region (`eastus` when the scenario names none).
    pub region: &'a str,
    /// Images in `ImageId` order.
    pub images: Vec<ResolvedImage>,
    /// Scenario workloads in scenario order.
    pub workloads: Vec<ResolvedWorkload<'a>>,
    /// AKS system pods the cluster runs, in catalog order.
    pub system_pods: Vec<ResolvedSystemPod<'a>>,
    /// Pools in scenario order.
    pub pools: Vec<ResolvedPool<'a>>,
    /// AKS pricing tier (`free` unless the scenario says; `none` for provider generic).
    pub tier: &'static str,
    /// Its cluster-management fee, USD per cluster-hour, after `cluster.pricing`'s discount.
    pub tier_fee_per_hour: f64,
    /// What the prices are (`pool::pricing_basis`).
    pub pricing_basis: String,
    /// The approximations behind the resolved values.
    pub assumptions: Vec<Assumption>,
}

/// The Kubernetes minor a pool runs: its own `kubernetesVersion`, else the cluster's.
pub fn pool_minor(pool: &Pool, cluster_minor: u32) -> u32 {
    pool.kubernetes_version
        .as_deref()
        .and_then(k8s_minor)
        .unwrap_or(cluster_minor)
}

/// Parses `MAJOR.MINOR` into the minor number (`1.33` -> 33); Kubernetes 1.x only.
pub fn k8s_minor(version: &str) -> Option<u32> {
    match catalog::aks::parse_k8s_version(version)? {
        (1, minor) => Some(minor),
        _ => None,
    }
}

/// The OS SKU a pool runs: its own, else AKS's default for the OS and Kubernetes version
/// (`catalog::aks::default_os_sku`).
pub fn os_sku_of(pool: &Pool, minor: u32) -> OsSku {
    pool.os_sku
        .unwrap_or_else(|| catalog::aks::default_os_sku(pool.os, (1, minor)))
}

/// `system-node-critical` (`pkg/apis/scheduling/types.go`, `SystemCriticalPriority + 1000`).
pub const SYSTEM_NODE_CRITICAL_PRIORITY: i32 = 2_000_001_000;
/// `system-cluster-critical` (`SystemCriticalPriority`).
pub const SYSTEM_CLUSTER_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// Resolves every reference of `scn` against `cat`.
pub fn resolve<'a>(scn: &'a Scenario, cat: &'a Catalog) -> Result<Resolved<'a>, SimError> {
    let minor = k8s_minor(&scn.cluster.kubernetes_version).ok_or_else(|| {
        SimError::Invalid(format!(
            "kubernetesVersion '{}' is not MAJOR.MINOR such as 1.33",
            scn.cluster.kubernetes_version
        ))
    })?;
    let aks = scn.cluster.provider == Provider::Aks;
    let mut images = Images {
        scn,
        cat,
        images: Vec::new(),
        index: BTreeMap::new(),
    };
    images.scenario_images()?;
    let workloads = scn
        .workloads
        .iter()
        .map(|w| resolve_workload(scn, &mut images, w))
        .collect::<Result<Vec<_>, _>>()?;
    let system_pods = if aks && scn.cluster.system_pods != Some(SystemPods::None) {
        resolve_system_pods(scn, &mut images)?
    } else {
        Vec::new()
    };
    let pools = scn
        .pools
        .iter()
        .map(|p| resolve_pool(scn, &mut images, p, minor))
        .collect::<Result<Vec<_>, _>>()?;
    let (tier, tier_fee_per_hour) = if aks {
        let t = scn.cluster.tier.unwrap_or_default();
        let discount = scn
            .cluster
            .pricing
            .as_ref()
            .and_then(|p| p.discount_percent)
            .unwrap_or(0.0);
        let name = match t {
            AksTier::Free => "free",
            AksTier::Standard => "standard",
            AksTier::Premium => "premium",
        };
        (
            name,
            catalog::skus::aks_tier_fee_per_hour(t) * (1.0 - discount / 100.0),
        )
    } else {
        ("none", 0.0)
    };
    Ok(Resolved {
        tier,
        tier_fee_per_hour,
        pricing_basis: pool::pricing_basis(scn),
        scenario: scn,
        k8s_minor: minor,
        aks,
        region: scn.cluster.region.as_deref().unwrap_or("eastus"),
        images: images.images,
        workloads,
        system_pods,
        pools,
        assumptions: pool::assumptions(aks),
    })
}

fn resolve_workload<'a>(
    scn: &'a Scenario,
    images: &mut Images<'a>,
    w: &'a Workload,
) -> Result<ResolvedWorkload<'a>, SimError> {
    let mut ids = Vec::with_capacity(1 + w.extra_images.len());
    for r in std::iter::once(&w.image).chain(w.extra_images.iter()) {
        let id = images
            .resolve(r, None)
            .ok_or_else(|| SimError::UnknownImage {
                workload: w.name.clone(),
                image: r.clone(),
            })?;
        ids.push(id);
    }
    let (priority, never_preempt) = priority_of(scn, w.priority_class_name.as_deref())?;
    Ok(ResolvedWorkload {
        workload: w,
        images: ids,
        priority,
        never_preempt,
    })
}

fn resolve_system_pods<'a>(
    scn: &'a Scenario,
    images: &mut Images<'a>,
) -> Result<Vec<ResolvedSystemPod<'a>>, SimError> {
    let cat = images.cat;
    let mut out = Vec::new();
    for sp in cat.system_pods() {
        if !sp
            .enabled_by
            .applies(scn.cluster.network_plugin, &scn.cluster.addons)
        {
            continue;
        }
        let mut ids = Vec::with_capacity(sp.images.len());
        for pi in &sp.images {
            let id = match pi
                .catalog_key
                .as_deref()
                .and_then(|k| images.resolve(k, Some(sp.os)))
            {
                Some(id) => id,
                None => match images.resolve(&pi.reference, Some(sp.os)) {
                    Some(id) => id,
                    None => {
                        // An image the catalog names but does not size as layers: one
                        // layer of its published size.
                        let layer = poolcast_model::scenario::Layer {
                            digest: format!("system:{}", pi.reference),
                            size: pi.size.unwrap_or_default(),
                            uncompressed_size: None,
                            files: None,
                        };
                        images.add(&pi.reference, sp.os, None, Vec::new(), &[layer])
                    }
                },
            };
            ids.push(id);
        }
        let (priority, _) = priority_of(scn, Some(&sp.priority_class))?;
        out.push(ResolvedSystemPod {
            pod: sp,
            images: ids,
            priority,
        });
    }
    Ok(out)
}

fn resolve_pool<'a>(
    scn: &'a Scenario,
    images: &mut Images<'a>,
    pool: &'a Pool,
    minor: u32,
) -> Result<ResolvedPool<'a>, SimError> {
    let cat = images.cat;
    let aks = scn.cluster.provider == Provider::Aks;
    let region = scn.cluster.region.as_deref().unwrap_or("eastus");
    let minor = pool_minor(pool, minor);
    let os_sku = os_sku_of(pool, minor);
    let windows_build = os_sku.windows_build().filter(|_| pool.os == Os::Windows);
    let shape = pool::node_shape(cat, scn, pool, os_sku, minor, region)?;
    let mut preload = Vec::new();
    if aks {
        for c in cat.node_image_cache(pool.os, windows_build) {
            if let Some(id) = images.resolve(&c.key, Some(pool.os)) {
                preload.push(id);
            }
        }
        // The Windows base images of the node image, by layer identity (`nodecache`).
        match crate::nodecache::base_cache(pool, os_sku) {
            crate::nodecache::BaseCache::Catalog(bases) => {
                for c in &bases {
                    preload.push(images.add_catalog(c));
                }
            }
            crate::nodecache::BaseCache::Listed(refs) => {
                for r in &refs {
                    let id =
                        images
                            .resolve(r, Some(pool.os))
                            .ok_or_else(|| SimError::UnknownImage {
                                workload: format!("pool {} nodeImage.cachedImages", pool.name),
                                image: r.clone(),
                            })?;
                    preload.push(id);
                }
            }
        }
    }
    let mut pre_pulled = Vec::new();
    for r in &pool.pre_pulled_images {
        let id = images
            .resolve(r, Some(pool.os))
            .ok_or_else(|| SimError::UnknownImage {
                workload: format!("pool {}", pool.name),
                image: r.clone(),
            })?;
        if !preload.contains(&id) {
            pre_pulled.push(id);
        }
        preload.push(id);
    }
    preload.sort_unstable();
    preload.dedup();
    let system_daemonsets = cat
        .daemonsets_for(
            pool.os,
            scn.cluster.network_plugin,
            &scn.cluster.addons,
            pool.mode,
        )
        .into_iter()
        .map(|sp| sp.name.clone())
        .collect();
    let imported_images = pool
        .nodes
        .iter()
        .map(|n| {
            n.images
                .iter()
                .filter_map(|r| images.resolve(r, Some(pool.os)))
                .collect()
        })
        .collect();
    let imported = u32::try_from(pool.nodes.len()).unwrap_or(u32::MAX);
    let initial_count = match (pool.count, pool.autoscale) {
        (Some(Count::Fixed(n)), _) => n.saturating_sub(imported),
        (Some(Count::Auto), _) => {
            return Err(SimError::Invalid(format!(
                "pool {} has count: auto, which only `poolcast plan` can size",
                pool.name
            )))
        }
        (None, Some(a)) => a.min.saturating_sub(imported),
        (None, None) => 0,
    };
    Ok(ResolvedPool {
        pool,
        os_sku,
        windows_build,
        shape,
        preload,
        pre_pulled,
        system_daemonsets,
        imported_images,
        initial_count,
        k8s_minor: minor,
    })
}

/// A PriorityClass's value and whether it never preempts; the two built-in classes and the
/// scenario's, or the global default for none.
fn priority_of(scn: &Scenario, class: Option<&str>) -> Result<(i32, bool), SimError> {
    let value = |c: &poolcast_model::scenario::PriorityClass| {
        (
            c.value,
            c.preemption_policy == Some(PreemptionPolicy::Never),
        )
    };
    match class {
        Some(catalog::system_pods::SYSTEM_NODE_CRITICAL) => {
            Ok((SYSTEM_NODE_CRITICAL_PRIORITY, false))
        }
        Some(catalog::system_pods::SYSTEM_CLUSTER_CRITICAL) => {
            Ok((SYSTEM_CLUSTER_CRITICAL_PRIORITY, false))
        }
        Some(name) => scn
            .priority_classes
            .iter()
            .find(|c| c.name == name)
            .map(value)
            .ok_or_else(|| {
                SimError::Invalid(format!("no PriorityClass with name {name} was found"))
            }),
        None => Ok(scn
            .priority_classes
            .iter()
            .find(|c| c.global_default)
            .map(value)
            .unwrap_or((0, false))),
    }
}

/// The image table being resolved: ids in first-named order, and the index by normalised
/// reference and node OS.
struct Images<'a> {
    scn: &'a Scenario,
    cat: &'a Catalog,
    images: Vec<ResolvedImage>,
    index: BTreeMap<(String, Os), ImageId>,
}

impl Images<'_> {
    fn registry_bps_for(&self, name: &str) -> u64 {
        crate::nodecache::registry_bps(self.scn, name)
    }

    /// The image of a catalog entry (a node image's cached base at some patch build):
    /// the one already known by its name for its OS, else a new one.
    fn add_catalog(&mut self, c: &catalog::CatalogImage) -> ImageId {
        let norm = catalog::normalize_reference(&c.name);
        if let Some(&id) = self.index.get(&(norm, c.os)) {
            return id;
        }
        self.add(&c.name, c.os, c.windows_build(), Vec::new(), &c.layers)
    }

    fn add(
        &mut self,
        name: &str,
        os: Os,
        build: Option<u32>,
        platforms: Vec<ImagePlatform>,
        layers: &[poolcast_model::scenario::Layer],
    ) -> ImageId {
        let layers: Vec<ResolvedLayer> = layers
            .iter()
            .map(|l| ResolvedLayer {
                digest: l.digest.clone(),
                size: l.size.get(),
                uncompressed: l
                    .uncompressed_size
                    .map(|b| b.get())
                    .unwrap_or_else(|| pool::default_uncompressed(os, l.size.get())),
                files: l.files.unwrap_or_else(|| {
                    let unc = l
                        .uncompressed_size
                        .map(|b| b.get())
                        .unwrap_or_else(|| pool::default_uncompressed(os, l.size.get()));
                    catalog::disks::default_layer_files(os, poolcast_model::Bytes(unc))
                }),
            })
            .collect();
        let id = ImageId(u32::try_from(self.images.len()).unwrap_or(u32::MAX));
        let norm = catalog::normalize_reference(name);
        // A node of any of the list's OSes resolves the reference to this image.
        for o in std::iter::once(os).chain(platforms.iter().map(|p| p.os)) {
            self.index.entry((norm.clone(), o)).or_insert(id);
        }
        self.images.push(ResolvedImage {
            name: name.to_owned(),
            size: layers.iter().map(|l| l.size).sum(),
            os,
            windows_build: build,
            platforms,
            layers,
            registry_bps: self.registry_bps_for(name),
        });
        id
    }

    fn scenario_images(&mut self) -> Result<(), SimError> {
        let (scn, cat) = (self.scn, self.cat);
        for img in &scn.images {
            let mut layers = Vec::new();
            let mut os = img.os;
            let mut build = img
                .os_build
                .as_deref()
                .and_then(catalog::images::parse_windows_build);
            if let Some(key) = &img.catalog {
                let c = cat.image(key).ok_or_else(|| SimError::UnknownImage {
                    workload: String::new(),
                    image: key.clone(),
                })?;
                layers.extend(c.layers.iter().cloned());
                os = os.or(Some(c.os));
                build = build.or(c.windows_build());
            }
            layers.extend(img.layers.iter().cloned());
            let os = os.ok_or_else(|| {
                SimError::Invalid(format!(
                    "image {} has no os and no catalog entry to take it from",
                    img.name
                ))
            })?;
            let platforms = img
                .platforms
                .iter()
                .map(|p| ImagePlatform {
                    os: p.os,
                    windows_build: p
                        .os_build
                        .as_deref()
                        .and_then(catalog::images::parse_windows_build)
                        .filter(|_| p.os == Os::Windows),
                })
                .collect();
            self.add(&img.name, os, build, platforms, &layers);
        }
        Ok(())
    }

    /// Finds or creates the image for a reference, as a node of `os_hint` resolves it:
    /// scenario images first, then the catalog. Without a hint any OS matches (Linux first,
    /// as a multi-platform reference resolves in the catalog).
    fn resolve(&mut self, reference: &str, os_hint: Option<Os>) -> Option<ImageId> {
        let norm = catalog::normalize_reference(reference);
        let oses: &[Os] = match os_hint {
            Some(Os::Linux) => &[Os::Linux],
            Some(Os::Windows) => &[Os::Windows],
            None => &[Os::Linux, Os::Windows],
        };
        for &os in oses {
            if let Some(&id) = self.index.get(&(norm.clone(), os)) {
                return Some(id);
            }
        }
        let cat = self.cat;
        let c = match os_hint {
            Some(os) => cat.image_for_os(reference, os),
            None => cat.image(reference),
        }?;
        if let Some(&id) = self
            .index
            .get(&(catalog::normalize_reference(&c.name), c.os))
        {
            self.index.insert((norm, c.os), id);
            return Some(id);
        }
        // A workload's reference (no OS hint) that the catalog publishes for several OSes
        // (the CSI sidecars) is a manifest list: its pods run on every one of them. Its
        // layers are the first (Linux) entry's, the approximation `Image.platforms` makes.
        let platforms = match os_hint {
            Some(_) => Vec::new(),
            None => cat
                .images()
                .filter(|o| {
                    o.os != c.os
                        && o.references()
                            .any(|r| catalog::normalize_reference(r) == norm)
                })
                .map(|o| ImagePlatform {
                    os: o.os,
                    windows_build: o.windows_build(),
                })
                .collect(),
        };
        let id = self.add(&c.name, c.os, c.windows_build(), platforms, &c.layers);
        self.index.insert((norm, c.os), id);
        Some(id)
    }
}

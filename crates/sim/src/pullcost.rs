//! What pulling each workload image costs on a fresh node of each pool, split into
//! download and extraction: the layers the node image (VHD cache) and the pool's
//! `prePulledImages` do not already hold (by layer digest, `nodecache`), downloaded at
//! min(registry bandwidth, VM NIC) and unpacked at the pool's extraction rate (per file and
//! per byte), exactly as the kubelet model of the run (`kubelet::PipelinedPull`) prices one
//! pull with nothing else in flight on a fresh node.
//!
//! A pure function of the built run plan; the cli draws it ("where does a Windows pull's
//! time go?"). It does not replay the run: concurrent pulls on one node share bandwidth
//! in the run and are slower than this.

use serde::Serialize;

use crate::build::{build, Plan};
use crate::cluster::ImageId;
use crate::kubelet::{check_os, LayerId, OsCheck, PipelinedPull, PullTimeModel};
use crate::outcome::round4;
use crate::{RunOptions, SimError};
use poolcast_model::Scenario;

/// The cost of pulling one image on a fresh node of one pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagePullCost {
    /// Image reference.
    pub image: String,
    /// Pool.
    pub pool: String,
    /// Pool (and image) OS.
    pub os: String,
    /// Workloads (not AKS system pods) that use the image, in scenario order.
    pub workloads: Vec<String>,
    /// Layers of the image.
    pub layers: u32,
    /// Layers already on a fresh node of the pool (node-image cache, pre-pulled images).
    pub cached_layers: u32,
    /// Compressed bytes to download.
    pub download_bytes: u64,
    /// Bytes to unpack onto the OS disk.
    pub extract_bytes: u64,
    /// Files to create (the Windows snapshotter's per-file cost).
    pub extract_files: u64,
    /// Download rate used, bytes/s: min(registry bandwidth for the image, VM NIC).
    pub download_bps: u64,
    /// Extraction rate used, bytes/s.
    pub extract_bps: u64,
    /// Time spent downloading, ms (all missing layers back to back).
    pub download_ms: u64,
    /// Time spent unpacking, ms (all missing layers back to back).
    pub extract_ms: u64,
    /// Wall time of the pull, ms: the setup, then downloads overlap earlier layers'
    /// extraction, so this is at least setup + the larger of the two and at most setup +
    /// their sum.
    pub pull_ms: u64,
    /// Share of the sum `download_ms + extract_ms` spent extracting, 0..=1.
    pub extract_share: f64,
}

/// Pull costs of every workload image on every pool whose OS matches the image's, in
/// scenario order (images by first use, then pools).
pub fn image_pull_costs(
    scenario: &Scenario,
    opts: &RunOptions,
) -> Result<Vec<ImagePullCost>, SimError> {
    let seed = opts.seed.unwrap_or(scenario.sim.seed);
    let horizon = opts.horizon.unwrap_or(scenario.sim.horizon);
    let plan = build(scenario, seed, horizon.as_ms())?;
    Ok(costs_of(&plan))
}

/// [`image_pull_costs`] on an already built plan.
pub fn costs_of(plan: &Plan) -> Vec<ImagePullCost> {
    let mut images: Vec<(ImageId, Vec<String>)> = Vec::new();
    for w in plan.workloads.iter().filter(|w| !w.system) {
        for &img in &plan.cluster.specs[w.spec.idx()].images {
            match images.iter_mut().find(|(i, _)| *i == img) {
                Some((_, ws)) => {
                    if !ws.contains(&w.name) {
                        ws.push(w.name.clone());
                    }
                }
                None => images.push((img, vec![w.name.clone()])),
            }
        }
    }
    let mut out = Vec::new();
    for (img, workloads) in images {
        let info = &plan.cluster.images[img.idx()];
        let Some(layer_ids) = plan.layers.image_layers.get(img.idx()) else {
            continue;
        };
        for pool in &plan.pools {
            let build_of = pool.os_sku.windows_build().filter(|_| pool.os == info.os);
            if check_os(pool.os, build_of, info.os, info.windows_build) == OsCheck::OsMismatch {
                continue;
            }
            let cached = |l: &LayerId| {
                pool.preload.iter().any(|&p| {
                    plan.layers
                        .image_layers
                        .get(p.idx())
                        .is_some_and(|ls| ls.contains(l))
                })
            };
            let mut seen = Vec::new();
            let mut missing: Vec<LayerId> = Vec::new();
            let mut cached_layers = 0u32;
            for l in layer_ids {
                if seen.contains(l) {
                    continue;
                }
                seen.push(*l);
                if cached(l) {
                    cached_layers += 1;
                } else {
                    missing.push(*l);
                }
            }
            let registry = plan
                .registry_bps
                .get(img.idx())
                .copied()
                .unwrap_or(u64::MAX);
            // A fresh node: the disk still bursts.
            let link = pool.kubelet.pull_link(0, registry);
            let layers = || missing.iter().map(|&l| plan.layers.layer(l));
            let download_bytes: u64 = layers().map(|l| l.size).sum();
            let extract_bytes: u64 = layers().map(|l| l.uncompressed).sum();
            let download_ms: u64 = layers().map(|l| link.download_ms(l)).sum();
            let extract_ms: u64 = layers().map(|l| link.extract_ms(l)).sum();
            let total = download_ms.saturating_add(extract_ms);
            out.push(ImagePullCost {
                image: info.name.clone(),
                pool: pool.name.clone(),
                os: pool.os.label().to_owned(),
                workloads: workloads.clone(),
                layers: seen.len() as u32,
                cached_layers,
                download_bytes,
                extract_bytes,
                extract_files: layers().map(|l| l.files).sum(),
                download_bps: link.download_bps,
                extract_bps: link.extract_bps,
                download_ms,
                extract_ms,
                pull_ms: PipelinedPull.pull_ms(&missing, &plan.layers, link),
                extract_share: round4(if total == 0 {
                    0.0
                } else {
                    extract_ms as f64 / total as f64
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::ms_for;

    const SCENARIO: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: pulls}
cluster: {provider: aks, kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - {name: win22, os: windows, osSku: Windows2022, vmSize: Standard_D8s_v5, count: 1}
images:
  - name: contoso.azurecr.io/app:1
    catalog: aspnet-4.8-ltsc2022
    layers:
      - {digest: "sha256:app-1", size: 100MiB, uncompressedSize: 300MiB}
registry: {bandwidth: 50MiB/s}
workloads:
  - {name: app, kind: Deployment, replicas: 1, image: contoso.azurecr.io/app:1,
     nodeSelector: {kubernetes.io/os: windows}}
"#;

    #[test]
    fn windows_image_costs_only_its_missing_layers_on_matching_pools() {
        let (scn, _) =
            poolcast_model::parse_scenario(SCENARIO, poolcast_model::Format::Yaml, "t").unwrap();
        let costs = image_pull_costs(&scn, &RunOptions::default()).unwrap();
        // The Linux system pool cannot pull a Windows image: no row for it.
        assert_eq!(costs.len(), 1, "{costs:?}");
        let c = &costs[0];
        assert_eq!((c.pool.as_str(), c.os.as_str()), ("win22", "windows"));
        assert_eq!(c.workloads, vec!["app".to_owned()]);
        // The servercore base is in the Windows2022 node image; the app layer never is.
        assert!(c.cached_layers >= 1 && c.cached_layers < c.layers, "{c:?}");
        assert!(c.download_bytes >= 100 << 20);
        assert!(c.extract_bytes >= 300 << 20);
        assert!(c.download_bps <= 50 << 20);
        // Per-layer times round up, so their sum is at least the time of the bytes at once.
        assert!(c.download_ms >= ms_for(c.download_bytes, c.download_bps));
        assert!(c.pull_ms >= c.download_ms.max(c.extract_ms));
        assert!(c.pull_ms <= c.download_ms + c.extract_ms + 350);
        assert!(c.extract_share > 0.0 && c.extract_share < 1.0);
    }
}

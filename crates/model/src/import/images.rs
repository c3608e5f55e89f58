//! The scenario's `images` section and each node's cached-image list.
//!
//! Sizes come, in order of preference, from the built-in catalog (layers by digest, so
//! shared bases show), from the nodes' `status.images` (one layer of the reported size:
//! containerd reports the compressed blob size, kubernetes/kubernetes#120698), or are
//! flagged for the user to fill in. The OS and Windows build come from the nodes an image
//! sits on, the workloads that use it, or its tag (`ltsc2022`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::cluster::ClusterInfo;
use super::{Draft, NoteKind, Notes, Subject};
use crate::catalog::{normalize_reference, Catalog};
use crate::scenario::v1::{Image, Layer, Os, Pool};
use crate::units::Bytes;

/// What is known of one image.
#[derive(Debug, Default)]
struct Entry {
    /// The spelling the scenario uses (a workload's, else the node's tagged name).
    display: String,
    /// Manifest digest from a `repo@sha256:...` name, if the node reported one.
    digest: Option<String>,
    /// Size from `status.images` (compressed).
    size: Option<u64>,
    /// (OS, Windows build) of the nodes it sits on and of the workloads that use it.
    platforms: BTreeMap<(Os, Option<String>), usize>,
}

/// The Windows build an image tag names (`ltsc2019`/`1809`, `ltsc2022`, `ltsc2025`), and
/// whether the name looks like a Windows image at all.
fn build_from_tag(reference: &str) -> (Option<&'static str>, bool) {
    let r = reference.to_ascii_lowercase();
    let build = if r.contains("ltsc2019") || r.contains("1809") {
        Some("10.0.17763")
    } else if r.contains("ltsc2022") {
        Some("10.0.20348")
    } else if r.contains("ltsc2025") {
        Some("10.0.26100")
    } else {
        None
    };
    let windowsish = build.is_some()
        || r.contains("windowsservercore")
        || r.contains("nanoserver")
        || r.contains("/windows/");
    (build, windowsish)
}

/// Builds the `images` section and fills each pool node's `images` list.
pub(crate) fn build(
    cluster: &ClusterInfo,
    drafts: &[Draft],
    pools: &mut [Pool],
    notes: &mut Notes,
) -> Vec<Image> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();

    for d in drafts {
        let w = &d.workload;
        for r in std::iter::once(&w.image).chain(&w.extra_images) {
            let key = normalize_reference(r);
            let i = *by_key.entry(key).or_insert_with(|| {
                entries.push(Entry {
                    display: r.clone(),
                    ..Entry::default()
                });
                entries.len() - 1
            });
            if let Some(os) = d.os {
                let build = if os == Os::Windows {
                    d.windows_build.clone()
                } else {
                    None
                };
                *entries[i].platforms.entry((os, build)).or_default() += 1;
            }
        }
    }

    // Node names -> the display names of their images, in status order.
    let mut node_images: HashMap<&str, Vec<String>> = HashMap::new();
    let mut name_cache: HashMap<&str, usize> = HashMap::new();
    for n in &cluster.nodes {
        let mut list = Vec::with_capacity(n.images.len());
        for im in &n.images {
            let found = im
                .names
                .iter()
                .find_map(|name| name_cache.get(name.as_str()).copied());
            let i = match found {
                Some(i) => i,
                None => {
                    let found = im
                        .names
                        .iter()
                        .find_map(|name| by_key.get(&normalize_reference(name)).copied());
                    let i = match found {
                        Some(i) => i,
                        None => {
                            let tagged = im
                                .names
                                .iter()
                                .find(|x| !x.contains('@'))
                                .unwrap_or(&im.names[0]);
                            entries.push(Entry {
                                display: tagged.clone(),
                                ..Entry::default()
                            });
                            entries.len() - 1
                        }
                    };
                    for name in &im.names {
                        by_key.insert(normalize_reference(name), i);
                        name_cache.insert(name.as_str(), i);
                    }
                    i
                }
            };
            let e = &mut entries[i];
            if e.size.is_none() {
                e.size = im.size;
            }
            if e.digest.is_none() {
                e.digest = im
                    .names
                    .iter()
                    .find_map(|x| x.split_once('@').map(|(_, d)| d.to_owned()));
            }
            *e.platforms.entry((n.os, n.build.clone())).or_default() += 1;
            if !list.contains(&e.display) {
                list.push(e.display.clone());
            }
        }
        node_images.insert(n.name.as_str(), list);
    }
    for pool in pools.iter_mut() {
        for spec in &mut pool.nodes {
            if let Some(list) = node_images.remove(spec.name.as_str()) {
                spec.images = list;
            }
        }
    }

    // Windows builds the cluster runs: its nodes', or the proposed pools' OS SKUs.
    let mut pool_builds: BTreeSet<String> = cluster
        .nodes
        .iter()
        .filter_map(|n| n.build.clone())
        .collect();
    pool_builds.extend(
        pools
            .iter()
            .filter(|p| p.nodes.is_empty())
            .filter_map(|p| p.os_sku.and_then(|s| s.windows_build()))
            .map(|b| format!("10.0.{b}")),
    );
    let catalog = Catalog::builtin();
    let mut out: BTreeMap<String, Image> = BTreeMap::new();
    let mut sized_from_nodes = 0usize;
    for e in entries {
        let subject = || Subject::Image(e.display.clone());
        let (tag_build, windowsish) = build_from_tag(&e.display);
        let mut per_os: BTreeMap<Os, usize> = BTreeMap::new();
        for ((os, _), n) in &e.platforms {
            *per_os.entry(*os).or_default() += n;
        }
        let os = match per_os
            .iter()
            .max_by_key(|(os, n)| (**n, std::cmp::Reverse(**os)))
        {
            Some((os, _)) => *os,
            None if windowsish => Os::Windows,
            None => {
                notes.push(
                    NoteKind::FillIn,
                    subject(),
                    "os: no node has it and no workload pins an OS; linux assumed".to_owned(),
                );
                Os::Linux
            }
        };
        if per_os.len() > 1 {
            notes.push(
                NoteKind::Warning,
                subject(),
                format!(
                    "multi-platform image, seen on linux and windows nodes; a scenario image has one OS, so {os} (most nodes) is used"
                ),
            );
        }

        if let Some(c) = catalog.image_for_os(&e.display, os) {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!(
                    "layers from the built-in catalog ({}; {}, {})",
                    c.key, c.source, c.date
                ),
            );
            out.insert(
                e.display.clone(),
                Image {
                    name: e.display.clone(),
                    os: None,
                    os_build: None,
                    layers: Vec::new(),
                    catalog: Some(c.key.clone()),
                },
            );
            continue;
        }

        let os_build = match os {
            Os::Linux => None,
            Os::Windows => {
                let mut builds: BTreeMap<&str, usize> = BTreeMap::new();
                for ((o, b), n) in &e.platforms {
                    if let (Os::Windows, Some(b)) = (o, b) {
                        *builds.entry(b.as_str()).or_default() += n;
                    }
                }
                let chosen = builds
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map(|(b, _)| (*b).to_owned());
                if builds.len() > 1 {
                    let list: Vec<&str> = builds.keys().copied().collect();
                    notes.push(
                        NoteKind::Warning,
                        subject(),
                        format!(
                            "runs on Windows {} nodes (a multi-build manifest list); a scenario image has one osBuild, so {} (most nodes) is used",
                            list.join(" and "),
                            chosen.as_deref().unwrap_or("?")
                        ),
                    );
                }
                match (chosen, tag_build) {
                    (Some(b), _) => Some(b),
                    (None, Some(b)) => {
                        notes.push(
                            NoteKind::Inferred,
                            subject(),
                            format!("osBuild {b} from the tag"),
                        );
                        Some(b.to_owned())
                    }
                    (None, None) => {
                        let guess = pool_builds
                            .iter()
                            .next_back()
                            .cloned()
                            .unwrap_or_else(|| "10.0.20348".to_owned());
                        notes.push(
                            NoteKind::FillIn,
                            subject(),
                            format!("osBuild: nothing says which Windows build this image is for; {guess} assumed"),
                        );
                        Some(guess)
                    }
                }
            }
        };
        let layers = match e.size {
            Some(size) => {
                sized_from_nodes += 1;
                let digest = e
                    .digest
                    .clone()
                    .unwrap_or_else(|| format!("import:{}", normalize_reference(&e.display)));
                vec![Layer {
                    digest,
                    size: Bytes(size),
                    uncompressed_size: None,
                }]
            }
            None => {
                notes.push(
                    NoteKind::FillIn,
                    subject(),
                    "layers: not on any node and not in the catalog; add {digest, size} per layer (docker manifest inspect)"
                        .to_owned(),
                );
                Vec::new()
            }
        };
        out.insert(
            e.display.clone(),
            Image {
                name: e.display.clone(),
                os: Some(os),
                os_build,
                layers,
                catalog: None,
            },
        );
    }
    if sized_from_nodes > 0 {
        notes.push(
            NoteKind::Inferred,
            Subject::Scenario,
            format!(
                "{sized_from_nodes} image(s) get one layer of the size the nodes report (status.images: containerd's compressed size); \
                 layer sharing between them is unknown, so a shared base is counted once per image"
            ),
        );
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_windows_builds() {
        assert_eq!(
            build_from_tag("mcr.microsoft.com/windows/servercore:ltsc2019"),
            (Some("10.0.17763"), true)
        );
        assert_eq!(
            build_from_tag("contoso.azurecr.io/app:1.0-ltsc2022"),
            (Some("10.0.20348"), true)
        );
        assert_eq!(
            build_from_tag("mcr.microsoft.com/windows/nanoserver:1809"),
            (Some("10.0.17763"), true)
        );
        assert_eq!(
            build_from_tag("mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver"),
            (None, true)
        );
        assert_eq!(build_from_tag("nginx:1.27"), (None, false));
    }
}

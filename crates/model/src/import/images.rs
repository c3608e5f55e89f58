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
use crate::scenario::v1::{Image, Layer, Os, Platform, Pool};
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

/// Repositories on Docker Hub's `microsoft/` organisation that only ever had Windows images
/// (the legacy homes of what now lives under `mcr.microsoft.com/windows/*` and
/// `mcr.microsoft.com/dotnet/framework/*`; Microsoft's Docker Hub repository pages, and
/// microsoft/dotnet-framework-docker `README.md`). `microsoft/dotnet` and
/// `microsoft/aspnetcore` are left out: they carried Linux images too.
const MICROSOFT_WINDOWS_REPOS: &[&str] = &[
    "iis",
    "aspnet",
    "dotnet-framework",
    "dotnet-framework-build",
    "dotnet-framework-samples",
    "wcf",
    "windowsservercore",
    "nanoserver",
    "mssql-server-windows-developer",
    "mssql-server-windows-express",
];

/// What an image reference alone says about its platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefEvidence {
    /// The Windows build its tag names (`ltsc2022` -> `10.0.20348`).
    pub(crate) build: Option<&'static str>,
    /// Why it is a Windows image, if it is one.
    pub(crate) windows_because: Option<String>,
}

/// Whether a reference names a Windows image, and which build: the repository
/// (`mcr.microsoft.com/windows/*`, `mcr.microsoft.com/dotnet/framework/*`, the Windows
/// repositories of Docker Hub's `microsoft/`), a Windows base in the name or tag
/// (`servercore`, `windowsservercore-*`, `nanoserver`), or a Windows release in the tag
/// (`ltsc2016`/`ltsc2019`/`ltsc2022`/`ltsc2025`, `1809`). Builds: 2016 14393, 2019 17763,
/// 2022 20348, 2025 26100 (Microsoft "Windows container version compatibility").
pub(crate) fn reference_evidence(reference: &str) -> RefEvidence {
    let r = reference.to_ascii_lowercase();
    let normalized = normalize_reference(&r);
    let (repo, tag) = split_tag(&normalized);
    let tokens: Vec<&str> = tag.split(['-', '_', '.']).collect();
    let build = if r.contains("ltsc2019") || tokens.contains(&"1809") {
        Some("10.0.17763")
    } else if r.contains("ltsc2022") {
        Some("10.0.20348")
    } else if r.contains("ltsc2025") {
        Some("10.0.26100")
    } else if r.contains("ltsc2016") || tokens.contains(&"1607") {
        Some("10.0.14393")
    } else {
        None
    };
    let docker_hub_microsoft = repo
        .strip_prefix("docker.io/microsoft/")
        .is_some_and(|name| MICROSOFT_WINDOWS_REPOS.contains(&name));
    let because =
        if repo.starts_with("mcr.microsoft.com/windows/") || repo == "mcr.microsoft.com/windows" {
            Some("mcr.microsoft.com/windows/* holds the Windows base images".to_owned())
        } else if repo.starts_with("mcr.microsoft.com/dotnet/framework/") {
            Some(
                ".NET Framework images (mcr.microsoft.com/dotnet/framework/*) run only on Windows"
                    .to_owned(),
            )
        } else if docker_hub_microsoft {
            Some(format!(
                "{repo} is one of Docker Hub's Windows-only microsoft/ repositories"
            ))
        } else if r.contains("servercore") {
            Some("its name or tag names Windows Server Core (servercore)".to_owned())
        } else if r.contains("nanoserver") {
            Some("its name or tag names Nano Server".to_owned())
        } else {
            build.map(|b| format!("its tag names a Windows Server release (build {b})"))
        };
    RefEvidence {
        build,
        windows_because: because,
    }
}

/// (repository, tag) of a normalised reference; the tag is empty when there is none.
fn split_tag(r: &str) -> (&str, &str) {
    let no_digest = r.split('@').next().unwrap_or(r);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].rfind(':') {
        Some(i) => (
            &no_digest[..last_slash + i],
            &no_digest[last_slash + i + 1..],
        ),
        None => (no_digest, ""),
    }
}

/// AKS labels every node with its node-image version
/// (`kubernetes.azure.com/node-image-version`, e.g.
/// `AKSWindows-2022-containerd-20348.5386.260715`).
pub(crate) const LABEL_NODE_IMAGE_VERSION: &str = "kubernetes.azure.com/node-image-version";

/// A Windows pool's `nodeImage` from its nodes: the node-image version they share (the
/// label), and the Windows base images (`mcr.microsoft.com/windows/...`) every node holds
/// in `status.images`, taken as the node image's cache. A base a workload pulled onto every
/// node would be counted as cached too, so the note says so.
fn node_image_of(pool: &mut Pool, notes: &mut Notes) {
    if pool.os != Os::Windows || pool.nodes.is_empty() {
        return;
    }
    let version = pool.labels.get(LABEL_NODE_IMAGE_VERSION).cloned();
    let is_base = |r: &str| normalize_reference(r).starts_with("mcr.microsoft.com/windows/");
    let mut cached: Vec<String> = pool.nodes[0]
        .images
        .iter()
        .filter(|r| is_base(r))
        .filter(|r| pool.nodes.iter().all(|n| n.images.contains(r)))
        .cloned()
        .collect();
    cached.sort();
    let with_images = pool.nodes.iter().any(|n| !n.images.is_empty());
    if version.is_none() && !with_images {
        return;
    }
    notes.push(
        NoteKind::Inferred,
        Subject::Pool(pool.name.clone()),
        format!(
            "nodeImage: version from the {LABEL_NODE_IMAGE_VERSION} label{}; cachedImages = the \
             Windows base images on every node (status.images), which a workload's own pull \
             would also produce",
            if version.is_some() { "" } else { " (absent)" }
        ),
    );
    pool.node_image = Some(crate::scenario::v1::NodeImage {
        version,
        cached_images: with_images.then_some(cached),
    });
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
    for pool in pools.iter_mut() {
        node_image_of(pool, notes);
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
        let evidence = reference_evidence(&e.display);
        let tag_build = evidence.build;
        let mut per_os: BTreeMap<Os, usize> = BTreeMap::new();
        for ((os, _), n) in &e.platforms {
            *per_os.entry(*os).or_default() += n;
        }
        let os = match per_os
            .iter()
            .max_by_key(|(os, n)| (**n, std::cmp::Reverse(**os)))
        {
            Some((os, _)) => *os,
            None => match &evidence.windows_because {
                Some(why) => {
                    notes.push(
                        NoteKind::Inferred,
                        subject(),
                        format!("os: windows, from the reference: {why} (no node has it and no workload pins an OS)"),
                    );
                    Os::Windows
                }
                None => {
                    notes.push(
                        NoteKind::FillIn,
                        subject(),
                        "os: no node has it, no workload pins an OS and the reference names no Windows repository or tag; linux assumed".to_owned(),
                    );
                    Os::Linux
                }
            },
        };
        if let Some(c) = catalog.image_for_os(&e.display, os) {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!(
                    "layers from the built-in catalog ({}; {}, {})",
                    c.key, c.source, c.date
                ),
            );
            let platforms = further_platforms(&e, os, c.os_build.as_deref(), tag_build, notes);
            out.insert(
                e.display.clone(),
                Image {
                    name: e.display.clone(),
                    os: None,
                    os_build: None,
                    layers: Vec::new(),
                    catalog: Some(c.key.clone()),
                    platforms,
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
                    files: None,
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
        let platforms = further_platforms(&e, os, os_build.as_deref(), tag_build, notes);
        if !platforms.is_empty() && layers.len() == 1 {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!(
                    "a manifest list on {} platforms; its one layer (the size a node reports) stands for every platform",
                    platforms.len() + 1
                ),
            );
        }
        out.insert(
            e.display.clone(),
            Image {
                name: e.display.clone(),
                os: Some(os),
                os_build,
                layers,
                catalog: None,
                platforms,
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

/// The platforms besides (`os`, `os_build`) that nodes and workloads show the image on: a
/// reference on nodes of several OSes or Windows builds is a manifest list, and containerd
/// picks each node's entry. `os_build: None` on Windows is any build, which covers every
/// Windows build seen.
fn further_platforms(
    e: &Entry,
    os: Os,
    os_build: Option<&str>,
    tag_build: Option<&str>,
    notes: &mut Notes,
) -> Vec<Platform> {
    let covered = |o: Os, b: Option<&str>| {
        o == os && (o == Os::Linux || os_build.is_none() || b.is_none() || b == os_build)
    };
    let mut out: BTreeSet<Platform> = BTreeSet::new();
    let mut windows_without_build = false;
    for (o, b) in e.platforms.keys() {
        if covered(*o, b.as_deref()) {
            continue;
        }
        match (o, b) {
            (Os::Linux, _) => {
                out.insert(Platform {
                    os: Os::Linux,
                    os_build: None,
                });
            }
            (Os::Windows, Some(b)) => {
                out.insert(Platform {
                    os: Os::Windows,
                    os_build: Some(b.clone()),
                });
            }
            (Os::Windows, None) => windows_without_build = true,
        }
    }
    if windows_without_build && !out.iter().any(|p| p.os == Os::Windows) {
        // Only a workload pins Windows; no node shows the build.
        let os_build = tag_build.map(str::to_owned);
        if os_build.is_none() {
            notes.push(
                NoteKind::FillIn,
                Subject::Image(e.display.clone()),
                "platforms: a Windows workload uses it but no node shows its build; any Windows build assumed (add osBuild to the windows platform unless it is a HostProcess image)"
                    .to_owned(),
            );
        }
        out.insert(Platform {
            os: Os::Windows,
            os_build,
        });
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    fn windows_pool(yaml_nodes: &str, labels: &str) -> Pool {
        let text = format!(
            "name: win\nos: windows\nosSku: Windows2022\nvmSize: Standard_D8s_v5\n\
             count: 2\nlabels: {{{labels}}}\nnodes:\n{yaml_nodes}"
        );
        serde_yaml_ng::from_str(&text).unwrap()
    }

    #[test]
    fn node_image_comes_from_the_label_and_the_bases_on_every_node() {
        let nodes = "  - {name: a, images: [\"mcr.microsoft.com/windows/servercore:ltsc2022\", \
                     \"mcr.microsoft.com/windows/nanoserver:ltsc2022\", \"contoso.azurecr.io/app:1\"]}\n\
                     \x20 - {name: b, images: [\"mcr.microsoft.com/windows/servercore:ltsc2022\"]}\n";
        let mut pool = windows_pool(
            nodes,
            "kubernetes.azure.com/node-image-version: AKSWindows-2022-containerd-20348.5386.260715",
        );
        let mut notes = Notes::default();
        node_image_of(&mut pool, &mut notes);
        let ni = pool.node_image.unwrap();
        assert_eq!(
            ni.version.as_deref(),
            Some("AKSWindows-2022-containerd-20348.5386.260715")
        );
        // nanoserver is on one node only and the app is not a base: neither is cached.
        assert_eq!(
            ni.cached_images,
            Some(vec![
                "mcr.microsoft.com/windows/servercore:ltsc2022".to_owned()
            ])
        );
        // Without the label or any image list there is nothing to say.
        let mut bare = windows_pool("  - {name: a}\n", "");
        node_image_of(&mut bare, &mut notes);
        assert_eq!(bare.node_image, None);
    }

    use super::*;

    #[test]
    fn references_name_windows_repositories_and_builds() {
        let cases: &[(&str, Option<&str>, bool)] = &[
            (
                "mcr.microsoft.com/windows/servercore:ltsc2019",
                Some("10.0.17763"),
                true,
            ),
            ("mcr.microsoft.com/windows/servercore/iis", None, true),
            (
                "contoso.azurecr.io/app:1.0-ltsc2022",
                Some("10.0.20348"),
                true,
            ),
            (
                "mcr.microsoft.com/windows/nanoserver:1809",
                Some("10.0.17763"),
                true,
            ),
            (
                "mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2025",
                Some("10.0.26100"),
                true,
            ),
            (
                "mcr.microsoft.com/dotnet/framework/samples:aspnetapp",
                None,
                true,
            ),
            ("mcr.microsoft.com/dotnet/framework/aspnet:4.8", None, true),
            ("microsoft/iis", None, true),
            (
                "microsoft/iis:windowsservercore-ltsc2016",
                Some("10.0.14393"),
                true,
            ),
            (
                "docker.io/microsoft/windowsservercore:1809",
                Some("10.0.17763"),
                true,
            ),
            (
                "mcr.microsoft.com/powershell:lts-windowsservercore-ltsc2022",
                Some("10.0.20348"),
                true,
            ),
            ("microsoft/aspnetcore:2.0", None, false),
            ("mcr.microsoft.com/dotnet/aspnet:8.0", None, false),
            ("nginx:1.27", None, false),
            ("contoso.azurecr.io/app:v1.18.09", None, false),
            ("mcr.microsoft.com/azurelinux/base/nginx:1.25", None, false),
        ];
        for (r, build, windows) in cases {
            let e = reference_evidence(r);
            assert_eq!(e.build, *build, "{r}");
            assert_eq!(e.windows_because.is_some(), *windows, "{r}: {e:?}");
        }
    }
}

//! Well-known container images (`data/images.yaml`): Windows base images as a base (RTM)
//! layer plus a monthly delta, .NET Framework and .NET images on top of them, common Linux
//! images, and the AKS system images; and which of them each AKS node image (VHD)
//! pre-caches.
//!
//! Layer digests are invented but stable (`sha256:servercore-ltsc2022-base-20348.4294`), so
//! images built on the same base share digests and the engine sees the sharing. Sizes and
//! their sources are in the data file; `[U]` in an image's `notes` marks estimated values.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{Catalog, CatalogError};
use crate::scenario::{Layer, Os};
use crate::units::Bytes;

/// File name of the embedded image table, used in error messages.
pub(crate) const IMAGES_FILE: &str = "data/images.yaml";

/// Which node images pre-cache an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRule {
    /// Node OS.
    pub os: Os,
    /// Windows node OS builds (17763, 20348, 26100); empty = every build of `os`.
    pub builds: Vec<u32>,
}

impl CacheRule {
    /// Whether a node of `os` (and, for Windows, `windows_build`) has the image cached.
    pub fn matches(&self, os: Os, windows_build: Option<u32>) -> bool {
        self.os == os
            && (self.builds.is_empty() || windows_build.is_some_and(|b| self.builds.contains(&b)))
    }
}

/// A well-known image with its layers.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogImage {
    /// Catalog key, e.g. `aspnet-4.8-ltsc2019`.
    pub key: String,
    /// Full reference, e.g.
    /// `mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019`.
    pub name: String,
    /// Other references that resolve to the same content (`servercore:1809`).
    pub aliases: Vec<String>,
    /// Image OS.
    pub os: Os,
    /// Windows build `10.0.<build>`; `None` for Linux and for OS-independent HostProcess
    /// images whose build does not matter.
    pub os_build: Option<String>,
    /// Layers, base first.
    pub layers: Vec<Layer>,
    /// Where the sizes come from.
    pub source: String,
    /// Date of the sizes (`YYYY-MM` or `YYYY`).
    pub date: String,
    /// Caveats; `[U]` marks estimated values.
    pub notes: Option<String>,
    /// Node images that ship it pre-pulled.
    pub cached_on: Vec<CacheRule>,
}

impl CatalogImage {
    /// Sum of the compressed layer sizes (bytes downloaded on a cold node).
    pub fn size(&self) -> Bytes {
        Bytes(self.layers.iter().map(|l| l.size.get()).sum())
    }

    /// Sum of the uncompressed layer sizes, when every layer states one.
    pub fn uncompressed_size(&self) -> Option<Bytes> {
        self.layers
            .iter()
            .map(|l| l.uncompressed_size.map(Bytes::get))
            .sum::<Option<u64>>()
            .map(Bytes)
    }

    /// The Windows build number (`20348` of `10.0.20348`).
    pub fn windows_build(&self) -> Option<u32> {
        self.os_build.as_deref().and_then(parse_windows_build)
    }

    /// Whether a fresh node of `os` / `windows_build` has this image in its node image.
    pub fn is_cached_on(&self, os: Os, windows_build: Option<u32>) -> bool {
        self.cached_on.iter().any(|r| r.matches(os, windows_build))
    }

    /// Every reference this image answers to: its name, then its aliases.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// The Windows build of an `os_build` string: `10.0.20348` or `10.0.20348.5499` -> 20348.
pub fn parse_windows_build(os_build: &str) -> Option<u32> {
    let mut parts = os_build.split('.');
    let (major, minor, build) = (parts.next()?, parts.next()?, parts.next()?);
    if major != "10" || minor != "0" {
        return None;
    }
    if let Some(rev) = parts.next() {
        if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_digit()) || parts.next().is_some() {
            return None;
        }
    }
    if build.is_empty() || !build.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    build.parse().ok()
}

/// Normalises an image reference the way container runtimes do, so `nginx:1.31.3`,
/// `library/nginx:1.31.3` and `docker.io/library/nginx:1.31.3` compare equal
/// (distribution/reference `ParseNormalizedNamed`): a missing registry is `docker.io`, a
/// single-component Docker Hub name gets `library/`, a missing tag is `latest`.
pub fn normalize_reference(reference: &str) -> String {
    let r = reference.trim();
    let (name, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    let (first, rest) = match name.split_once('/') {
        Some((f, rest)) => (f, Some(rest)),
        None => (name, None),
    };
    let (registry, path) = match rest {
        Some(rest) if first.contains('.') || first.contains(':') || first == "localhost" => {
            let registry = match first {
                "index.docker.io" | "registry-1.docker.io" => "docker.io",
                other => other,
            };
            (registry, rest)
        }
        _ => ("docker.io", name),
    };
    let mut out = if registry == "docker.io" && !path.contains('/') {
        format!("docker.io/library/{path}")
    } else {
        format!("{registry}/{path}")
    };
    let last = out.rsplit('/').next().unwrap_or_default();
    if digest.is_none() && !last.contains(':') {
        out.push_str(":latest");
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFile {
    images: Vec<RawImage>,
    #[serde(default)]
    windows_releases: Vec<WindowsReleases>,
    #[serde(default)]
    node_images: Vec<NodeImageSpec>,
}

/// The monthly patch builds (revisions) of one Windows build the catalog knows, oldest
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsReleases {
    /// `17763`, `20348`, `26100`.
    pub build: u32,
    /// Revisions (`5499` of `10.0.20348.5499`), ascending.
    pub revisions: Vec<u32>,
}

/// What the current AKS node image (VHD) of one Windows OS SKU caches.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeImageSpec {
    /// OS SKU.
    pub os_sku: crate::scenario::OsSku,
    /// Node-image version (`20348.5499.260812`).
    pub version: String,
    /// Catalog keys of the Windows base images cached at the node image's patch build and
    /// the one before it (bases of another Windows build: the catalog's own revisions).
    pub windows_bases: Vec<String>,
    /// Where this comes from.
    pub source: String,
}

/// A Windows node-image version: `AKSWindows-2022-containerd-20348.5499.260812` or
/// `20348.5499.260812` -> (20348, 5499).
pub fn parse_node_image_version(version: &str) -> Option<(u32, u32)> {
    let tail = version.rsplit('-').next()?;
    let mut parts = tail.split('.');
    let build = parts.next()?.parse().ok()?;
    let revision = parts.next()?.parse().ok()?;
    Some((build, revision))
}

/// The revision of an `os_build` string: `10.0.20348.5499` -> 5499.
pub fn parse_windows_revision(os_build: &str) -> Option<u32> {
    parse_windows_build(os_build)?;
    os_build.split('.').nth(3)?.parse().ok()
}

impl CatalogImage {
    /// The patch build (revision) of the Windows base the image is built on.
    pub fn windows_revision(&self) -> Option<u32> {
        self.os_build.as_deref().and_then(parse_windows_revision)
    }

    /// The same Windows base image at another monthly patch build of the same Windows
    /// build: layers named after the image's own revision (the monthly delta, Nano Server,
    /// IIS) are that month's instead; the base layer (`-base-<build>.<rev>`) is kept when
    /// `revision` is at or after the build that introduced it, else it is an older base
    /// layer this catalog does not hold (sized like the current one `[U]`). `None` for
    /// images without a revision.
    pub fn at_revision(&self, revision: u32) -> Option<CatalogImage> {
        let build = self.windows_build()?;
        let own = self.windows_revision()?;
        if own == revision {
            return Some(self.clone());
        }
        let own_tag = format!("{build}.{own}");
        let new_tag = format!("{build}.{revision}");
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let mut l = l.clone();
                let base_from = l
                    .digest
                    .rsplit_once(&format!("-base-{build}."))
                    .and_then(|(_, r)| r.parse::<u32>().ok());
                match base_from {
                    Some(from) if revision >= from => {}
                    Some(from) => l.digest = format!("{}-before-{from}", l.digest),
                    None => l.digest = l.digest.replace(&own_tag, &new_tag),
                }
                l
            })
            .collect();
        let repo = self
            .name
            .rsplit_once(':')
            .map_or(self.name.as_str(), |(r, _)| r);
        Some(CatalogImage {
            key: format!("{}@{revision}", self.key),
            name: format!("{repo}:10.0.{new_tag}"),
            aliases: Vec::new(),
            os_build: Some(format!("10.0.{new_tag}")),
            layers,
            notes: Some(format!(
                "[U] derived from {} for patch build 10.0.{new_tag}",
                self.key
            )),
            cached_on: Vec::new(),
            ..self.clone()
        })
    }
}

/// The parsed `windowsReleases` and `nodeImages` of the embedded image table.
fn node_tables() -> &'static (Vec<WindowsReleases>, Vec<NodeImageSpec>) {
    static TABLES: std::sync::OnceLock<(Vec<WindowsReleases>, Vec<NodeImageSpec>)> =
        std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let text = include_str!("../../data/images.yaml");
        match serde_yaml_ng::from_str::<RawFile>(text) {
            Ok(raw) => (raw.windows_releases, raw.node_images),
            // The table is embedded and parsed by `Catalog::builtin` first, whose test
            // proves it well-formed; an empty fallback cannot be reached.
            Err(_) => (Vec::new(), Vec::new()),
        }
    })
}

/// The catalog's current node image of a Windows OS SKU.
pub fn node_image_spec(os_sku: crate::scenario::OsSku) -> Option<&'static NodeImageSpec> {
    node_tables().1.iter().find(|n| n.os_sku == os_sku)
}

/// Windows builds whose current node image caches the base image `key` (`windowsBases`).
pub fn node_image_builds_caching(key: &str) -> Vec<u32> {
    node_tables()
        .1
        .iter()
        .filter(|n| n.windows_bases.iter().any(|k| k == key))
        .filter_map(|n| n.os_sku.windows_build())
        .collect()
}

/// The patch build before `revision` of Windows `build` the catalog knows.
pub fn previous_revision(build: u32, revision: u32) -> Option<u32> {
    node_tables()
        .0
        .iter()
        .find(|r| r.build == build)?
        .revisions
        .iter()
        .copied()
        .filter(|&r| r < revision)
        .max()
}

/// The Windows base images a fresh node of `os_sku` holds from its node image (VHD), with
/// the node-image `version` (`None`: the catalog's current one): each of the OS SKU's
/// `windowsBases` at the version's patch build and the build before it (AgentBaker caches
/// "latest version and latest version -1"); bases of another Windows build (ltsc2022 on
/// WS2025) at the catalog's own revision and the one before it. Empty for Linux SKUs and
/// for node images that cache no base (WS2019).
pub fn windows_base_cache(
    os_sku: crate::scenario::OsSku,
    version: Option<&str>,
) -> Vec<CatalogImage> {
    let Some(spec) = node_image_spec(os_sku) else {
        return Vec::new();
    };
    let node = version
        .or(Some(spec.version.as_str()))
        .and_then(parse_node_image_version);
    let cat = Catalog::builtin();
    let mut out = Vec::new();
    for key in &spec.windows_bases {
        let Some(img) = cat.image(key) else { continue };
        let (Some(build), Some(own)) = (img.windows_build(), img.windows_revision()) else {
            continue;
        };
        let latest = match node {
            Some((b, r)) if b == build => r,
            _ => own,
        };
        let mut revisions = vec![latest];
        revisions.extend(previous_revision(build, latest));
        for r in revisions {
            if let Some(i) = img.at_revision(r) {
                out.push(i);
            }
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawImage {
    key: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    os: Os,
    #[serde(default)]
    os_build: Option<String>,
    layers: Vec<Layer>,
    source: String,
    date: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    cached_on: Vec<RawCacheRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCacheRule {
    os: Os,
    #[serde(default)]
    builds: Vec<u32>,
}

/// Parses and checks the image table.
pub(crate) fn parse_images(text: &str) -> Result<Vec<CatalogImage>, CatalogError> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let raw: RawFile = serde_path_to_error::deserialize(de).map_err(|e| CatalogError::Parse {
        file: IMAGES_FILE,
        location: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    for (i, n) in raw.node_images.iter().enumerate() {
        if n.os_sku.windows_build().is_none() || parse_node_image_version(&n.version).is_none() {
            return Err(CatalogError::Invalid {
                file: IMAGES_FILE,
                location: format!("nodeImages[{i}]"),
                message: "nodeImages are for Windows OS SKUs, with a version \
                          <build>.<revision>.<yymmdd>"
                    .into(),
            });
        }
    }
    let mut out = Vec::with_capacity(raw.images.len());
    let mut keys = BTreeSet::new();
    let mut refs: BTreeSet<(String, Os)> = BTreeSet::new();
    let mut digests: BTreeMap<String, (Bytes, Option<Bytes>, String)> = BTreeMap::new();
    for (i, r) in raw.images.into_iter().enumerate() {
        let loc = format!("images[{i}] ({})", r.key);
        let bad = |m: String| CatalogError::Invalid {
            file: IMAGES_FILE,
            location: loc.clone(),
            message: m,
        };
        if r.key.is_empty()
            || !r
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err(bad(
                "key must be lower-case letters, digits, '.' and '-'".into()
            ));
        }
        if !keys.insert(r.key.clone()) {
            return Err(bad("duplicate key".into()));
        }
        for reference in std::iter::once(&r.name).chain(&r.aliases) {
            if !refs.insert((normalize_reference(reference), r.os)) {
                return Err(bad(format!(
                    "reference {reference} is already used by another {} image",
                    r.os
                )));
            }
        }
        match (r.os, &r.os_build) {
            (Os::Linux, Some(_)) => return Err(bad("osBuild is for Windows images only".into())),
            (Os::Windows, Some(b)) if parse_windows_build(b).is_none() => {
                return Err(bad(format!("osBuild '{b}' is not 10.0.<build>")))
            }
            _ => {}
        }
        if r.layers.is_empty() {
            return Err(bad("no layers".into()));
        }
        for l in &r.layers {
            if !l.digest.starts_with("sha256:") || l.digest.len() <= "sha256:".len() {
                return Err(bad(format!(
                    "digest '{}' does not start with sha256:",
                    l.digest
                )));
            }
            if l.size.get() == 0 {
                return Err(bad(format!("layer {} has size 0", l.digest)));
            }
            if l.uncompressed_size.is_some_and(|u| u < l.size) {
                return Err(bad(format!(
                    "layer {} is smaller unpacked than compressed",
                    l.digest
                )));
            }
            // Shared layers must be described identically everywhere, or the node's layer
            // store would depend on which image was pulled first.
            match digests.get(&l.digest) {
                Some((size, unc, first)) if (*size, *unc) != (l.size, l.uncompressed_size) => {
                    return Err(bad(format!(
                        "layer {} differs from its description in {first}",
                        l.digest
                    )));
                }
                Some(_) => {}
                None => {
                    digests.insert(
                        l.digest.clone(),
                        (l.size, l.uncompressed_size, r.key.clone()),
                    );
                }
            }
        }
        for rule in &r.cached_on {
            if rule.os != r.os {
                return Err(bad("cachedOn names another OS than the image's".into()));
            }
            if rule.os == Os::Linux && !rule.builds.is_empty() {
                return Err(bad("cachedOn builds are for Windows only".into()));
            }
        }
        if r.source.trim().is_empty() || r.date.trim().is_empty() {
            return Err(bad("source and date are required".into()));
        }
        out.push(CatalogImage {
            key: r.key,
            name: r.name,
            aliases: r.aliases,
            os: r.os,
            os_build: r.os_build,
            layers: r.layers,
            source: r.source,
            date: r.date,
            notes: r.notes,
            cached_on: r
                .cached_on
                .into_iter()
                .map(|c| CacheRule {
                    os: c.os,
                    builds: c.builds,
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The catalog images with a `cachedOn` rule for a fresh AKS node of `os` (and Windows
/// build): AKS's system images (AgentBaker `parts/common/components.json` and VHD image
/// lists). The Windows base images come from [`windows_base_cache`].
pub fn node_image_cache(os: Os, windows_build: Option<u32>) -> Vec<&'static CatalogImage> {
    Catalog::builtin().node_image_cache(os, windows_build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_like_the_runtime() {
        let cases = [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.31.3", "docker.io/library/nginx:1.31.3"),
            ("library/nginx:1.31.3", "docker.io/library/nginx:1.31.3"),
            ("docker.io/nginx:1.31.3", "docker.io/library/nginx:1.31.3"),
            (
                "index.docker.io/library/nginx:1",
                "docker.io/library/nginx:1",
            ),
            ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
            (
                "mcr.microsoft.com/windows/servercore:ltsc2022",
                "mcr.microsoft.com/windows/servercore:ltsc2022",
            ),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("localhost/app:v1", "localhost/app:v1"),
            ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_reference(input), want, "{input}");
        }
    }

    #[test]
    fn windows_builds_parse() {
        assert_eq!(parse_windows_build("10.0.17763"), Some(17763));
        assert_eq!(parse_windows_build("10.0.20348.5499"), Some(20348));
        for bad in [
            "10.0",
            "6.3.9600",
            "10.0.x",
            "10.0.20348.",
            "10.0.1.2.3",
            "",
        ] {
            assert_eq!(parse_windows_build(bad), None, "{bad}");
        }
    }

    fn one(extra: &str) -> String {
        format!(
            "images:\n  - key: a\n    name: x/a:1\n    os: linux\n    layers: [{{digest: \"sha256:l\", size: 1Mi}}]\n    source: s\n    date: \"2026\"\n{extra}"
        )
    }

    #[test]
    fn malformed_tables_are_refused() {
        let cases = [
            (one("  - key: a\n    name: x/b:1\n    os: linux\n    layers: [{digest: \"sha256:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n"), "duplicate key"),
            (one("  - key: b\n    name: x/a:1\n    os: linux\n    layers: [{digest: \"sha256:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n"), "already used"),
            (one("  - key: b\n    name: x/b:1\n    os: linux\n    layers: [{digest: \"sha256:l\", size: 2Mi}]\n    source: s\n    date: \"2026\"\n"), "differs"),
            (one("  - key: b\n    name: x/b:1\n    os: windows\n    osBuild: \"10.0.x\"\n    layers: [{digest: \"sha256:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n"), "osBuild"),
            (one("  - key: B\n    name: x/b:1\n    os: linux\n    layers: [{digest: \"sha256:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n"), "lower-case"),
            (one("  - key: b\n    name: x/b:1\n    os: linux\n    layers: [{digest: \"md5:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n"), "sha256"),
            (one("  - key: b\n    name: x/b:1\n    os: linux\n    layers: []\n    source: s\n    date: \"2026\"\n"), "no layers"),
            (one("  - key: b\n    name: x/b:1\n    os: linux\n    layers: [{digest: \"sha256:m\", size: 1Mi}]\n    source: s\n    date: \"2026\"\n    cachedOn: [{os: linux, builds: [1]}]\n"), "Windows only"),
            (one("  - key: b\n    nam: x/b:1\n"), "nam"),
        ];
        for (text, want) in cases {
            let e = parse_images(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
        assert_eq!(parse_images(&one("")).unwrap().len(), 1);
    }

    #[test]
    fn cache_rules_match_os_and_build() {
        let any = CacheRule {
            os: Os::Windows,
            builds: vec![],
        };
        let ws22 = CacheRule {
            os: Os::Windows,
            builds: vec![20348, 26100],
        };
        assert!(any.matches(Os::Windows, None));
        assert!(any.matches(Os::Windows, Some(17763)));
        assert!(!any.matches(Os::Linux, None));
        assert!(ws22.matches(Os::Windows, Some(26100)));
        assert!(!ws22.matches(Os::Windows, Some(17763)));
        assert!(!ws22.matches(Os::Windows, None));
    }
}

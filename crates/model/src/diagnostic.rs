//! Located diagnostics: what `poolcast validate` reports about a scenario file.
//!
//! A [`Diagnostic`] names the file, the line and column, the field path in the scenario
//! (`workloads[2].requests.cpu`), a one-line message, an optional hint and a stable `code`
//! (see [`codes`]) that tests and scripts can match on. The loader fills in file, line and
//! column; [`crate::validate::validate`] run on an in-memory scenario leaves them empty
//! (`line == 0`).

use std::fmt;

use serde::{Serialize, Serializer};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A risk a reviewer should see; the scenario still loads and runs.
    Warning,
    /// The scenario cannot be used as written.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSeg {
    /// A mapping key, as written in the file (`requests`, `kubernetes.io/os`).
    Key(String),
    /// A sequence index, from 0.
    Index(usize),
}

/// Where in the scenario a value sits: `workloads[2].requests.cpu`.
///
/// Keys that are not plain identifiers are shown quoted in brackets so the path stays
/// unambiguous: `workloads[0].nodeSelector["kubernetes.io/os"]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FieldPath(pub Vec<PathSeg>);

impl FieldPath {
    /// The document root (empty path).
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> FieldPath {
        let mut v = self.0.clone();
        v.push(PathSeg::Key(key.to_owned()));
        FieldPath(v)
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, i: usize) -> FieldPath {
        let mut v = self.0.clone();
        v.push(PathSeg::Index(i));
        FieldPath(v)
    }

    /// This path followed by `other`.
    #[must_use]
    pub fn join(&self, other: &FieldPath) -> FieldPath {
        let mut v = self.0.clone();
        v.extend(other.0.iter().cloned());
        FieldPath(v)
    }

    /// The path without its last step (the root stays the root).
    #[must_use]
    pub fn parent(&self) -> FieldPath {
        let mut v = self.0.clone();
        v.pop();
        FieldPath(v)
    }

    /// Whether this is the document root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The steps.
    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathSeg::Key(k) => write!(f, "[{k:?}]")?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One problem or risk found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier of the rule, e.g. `aks.windows-pool-name` (see [`codes`]).
    pub code: &'static str,
    /// The file (the `origin` given to the loader); empty when not loaded from a file.
    pub file: String,
    /// 1-based line; 0 when unknown.
    pub line: usize,
    /// 1-based column (in characters); 0 when unknown.
    pub column: usize,
    /// The field the diagnostic is about.
    pub path: FieldPath,
    /// What is wrong, in one line.
    pub message: String,
    /// How to fix it, when there is something specific to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `path`, not yet located in a file.
    pub fn error(code: &'static str, path: FieldPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, path, message)
    }

    /// A warning at `path`, not yet located in a file.
    pub fn warning(code: &'static str, path: FieldPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, path, message)
    }

    fn new(
        severity: Severity,
        code: &'static str,
        path: FieldPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            file: String::new(),
            line: 0,
            column: 0,
            path,
            message: message.into(),
            hint: None,
        }
    }

    /// The same diagnostic with a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The stable diagnostic codes. Renaming one is a breaking change of the CLI's output.
pub mod codes {
    /// The file is not valid YAML.
    pub const YAML_SYNTAX: &str = "yaml.syntax";
    /// The file is not valid JSON.
    pub const JSON_SYNTAX: &str = "json.syntax";
    /// A key appears twice in one YAML mapping.
    pub const YAML_DUPLICATE_KEY: &str = "yaml.duplicate-key";
    /// A key appears twice in one JSON object.
    pub const JSON_DUPLICATE_KEY: &str = "json.duplicate-key";
    /// More than one YAML document in a scenario file.
    pub const YAML_MULTIPLE_DOCUMENTS: &str = "yaml.multiple-documents";
    /// A YAML merge key (`<<`) that cannot be applied.
    pub const YAML_MERGE: &str = "yaml.merge";
    /// The document is not a mapping.
    pub const NOT_A_MAPPING: &str = "schema.not-a-mapping";
    /// A key the schema does not know.
    pub const UNKNOWN_FIELD: &str = "schema.unknown-field";
    /// A required key is absent.
    pub const MISSING_FIELD: &str = "schema.missing-field";
    /// A value of the wrong type (a string where a number belongs...).
    pub const INVALID_TYPE: &str = "schema.invalid-type";
    /// An enum value the schema does not know (`os: Windows`).
    pub const UNKNOWN_VARIANT: &str = "schema.unknown-variant";
    /// A value of the right type that is refused (bad quantity, negative duration...).
    pub const INVALID_VALUE: &str = "schema.invalid-value";
    /// `apiVersion` is not `poolcast/v1`.
    pub const API_VERSION: &str = "schema.api-version";
    /// `kind` is not `Scenario`.
    pub const KIND: &str = "schema.kind";

    /// Two items of one list share a name.
    pub const DUPLICATE_NAME: &str = "names.duplicate";
    /// A workload, pre-pulled image or registry override names an image not in `images`.
    pub const REF_IMAGE: &str = "ref.image";
    /// An event names a workload that does not exist.
    pub const REF_WORKLOAD: &str = "ref.workload";
    /// An event or autoscaler priority names a pool that does not exist.
    pub const REF_POOL: &str = "ref.pool";
    /// A workload names a PriorityClass that does not exist.
    pub const REF_PRIORITY_CLASS: &str = "ref.priority-class";
    /// A VM size name that is not in the SKU catalog.
    pub const REF_VM_SIZE: &str = "ref.vm-size";
    /// An image `catalog:` key that is not in the image catalog.
    pub const REF_CATALOG_IMAGE: &str = "ref.catalog-image";

    /// `kubernetesVersion` is not `MAJOR.MINOR`.
    pub const KUBERNETES_VERSION: &str = "cluster.kubernetes-version";
    /// Pool `os` and `osSku` disagree.
    pub const POOL_OS_SKU: &str = "pool.os-sku";
    /// A pool with neither `count` nor `autoscale`, or `autoscale.min > max`.
    pub const POOL_COUNT: &str = "pool.count";
    /// An image's OS or OS build is missing or malformed.
    pub const IMAGE_OS: &str = "image.os";
    /// A Windows image without a usable `osBuild`.
    pub const IMAGE_OS_BUILD: &str = "image.os-build";
    /// A workload field that contradicts its kind or other fields.
    pub const WORKLOAD_SPEC: &str = "workload.spec";
    /// An event with zero or several actions, or an action that does not apply.
    pub const EVENT_SPEC: &str = "event.spec";

    /// No System pool in an AKS cluster.
    pub const AKS_SYSTEM_POOL_MISSING: &str = "aks.system-pool-missing";
    /// A System pool that is not Linux.
    pub const AKS_SYSTEM_POOL_OS: &str = "aks.system-pool-os";
    /// A System pool that can have no nodes.
    pub const AKS_SYSTEM_POOL_SIZE: &str = "aks.system-pool-size";
    /// Pool name not lowercase alphanumeric starting with a letter, or a Linux name over 12.
    pub const AKS_POOL_NAME: &str = "aks.pool-name";
    /// Windows pool name longer than 6 characters.
    pub const AKS_WINDOWS_POOL_NAME: &str = "aks.windows-pool-name";
    /// maxPods outside 10-250 (System pools 30-250), or a pool with room for fewer than 30
    /// pods.
    pub const AKS_MAX_PODS: &str = "aks.max-pods";
    /// A Windows pool on a network plugin that does not support Windows.
    pub const AKS_WINDOWS_NETWORK: &str = "aks.windows-network-plugin";
    /// A Kubernetes version AKS no longer offers (error) or has not released (warning).
    pub const AKS_KUBERNETES_VERSION: &str = "aks.kubernetes-version";
    /// A Windows OS SKU not offered on the cluster's Kubernetes version.
    pub const AKS_WINDOWS_VERSION: &str = "aks.windows-version";
    /// A pool's Kubernetes version newer than the control plane's or more than three
    /// minors behind it.
    pub const AKS_VERSION_SKEW: &str = "aks.version-skew";
    /// A fixed count outside the autoscaler's min/max.
    pub const AKS_COUNT_RANGE: &str = "aks.count-range";
    /// A VM size below AKS's minimum for the pool's mode.
    pub const AKS_VM_SIZE: &str = "aks.vm-size";
    /// More than 1,000 nodes in one pool.
    pub const AKS_POOL_NODES: &str = "aks.pool-nodes";
    /// More than 5,000 nodes in the cluster.
    pub const AKS_CLUSTER_NODES: &str = "aks.cluster-nodes";

    /// A VM size with zero CPU or memory.
    pub const VALUE_ZERO_SIZE: &str = "value.zero-size";
    /// A value outside the range Kubernetes or the simulator accepts.
    pub const VALUE_RANGE: &str = "value.range";
    /// Replicas above 100,000 in one workload or event.
    pub const LIMIT_REPLICAS: &str = "limit.replicas";
    /// More than 1,000,000 pods in the whole scenario.
    pub const LIMIT_TOTAL_PODS: &str = "limit.total-pods";
    /// Horizon zero or above 30 days.
    pub const LIMIT_HORIZON: &str = "limit.horizon";
    /// More than 100,000 events.
    pub const LIMIT_EVENTS: &str = "limit.events";
    /// More than 100 pools.
    pub const LIMIT_POOLS: &str = "limit.pools";
    /// Replications zero or above 1,000.
    pub const LIMIT_REPLICATIONS: &str = "limit.replications";
    /// Pools that can grow past 5,000 nodes in a non-AKS cluster (AKS has its own rule).
    pub const LIMIT_NODES: &str = "limit.nodes";
    /// More than 100,000 time-series samples (`horizon / sampleEvery`).
    pub const LIMIT_SAMPLES: &str = "limit.samples";

    /// A workload whose pods may land on nodes of the other OS.
    pub const OS_SELECTOR_MISSING: &str = "placement.os-selector-missing";
    /// A Windows image whose OS build no Windows pool can run.
    pub const OS_BUILD_MISMATCH: &str = "placement.os-build-mismatch";
    /// A workload no pool can ever host.
    pub const NO_POOL: &str = "placement.no-pool";
    /// An event scheduled after the horizon never happens.
    pub const EVENT_AFTER_HORIZON: &str = "event.after-horizon";
    /// A pool's VM size has no price for its OS in the cluster's region (warning): its
    /// costs show as unpriced.
    pub const PRICE_UNPRICED: &str = "price.unpriced";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_the_scenario() {
        let cases = [
            (FieldPath::root(), ""),
            (
                FieldPath::root()
                    .key("workloads")
                    .index(2)
                    .key("requests")
                    .key("cpu"),
                "workloads[2].requests.cpu",
            ),
            (
                FieldPath::root()
                    .key("workloads")
                    .index(0)
                    .key("nodeSelector")
                    .key("kubernetes.io/os"),
                "workloads[0].nodeSelector[\"kubernetes.io/os\"]",
            ),
            (
                FieldPath::root().key("pools").index(1).key("name"),
                "pools[1].name",
            ),
        ];
        for (path, want) in cases {
            assert_eq!(path.to_string(), want);
        }
    }

    #[test]
    fn path_relations() {
        let p = FieldPath::root().key("pools").index(1);
        assert!(p.key("name").starts_with(&p));
        assert!(!p.starts_with(&p.key("name")));
        assert_eq!(p.key("name").parent(), p);
        assert!(FieldPath::root().parent().is_root());
    }
}

//! `import`: turns what a user already has (a live cluster's `kubectl get -o json` dump and
//! a folder of manifests) into a `poolcast/v1` scenario, so a what-if starts from reality.
//!
//! This module owns the translation only: the caller reads the files, parses the dump JSON
//! into `serde_json::Value`s and hands manifests over as text. The result is a [`Scenario`]
//! plus [`Note`]s (what was inferred, what the user must fill in) and the [`IgnoredField`]s
//! that poolcast does not model, so nothing is dropped silently. [`render_yaml`] writes the
//! scenario with those notes as YAML comments.
//!
//! Architecture invariant: no file I/O and no printing here; every problem in the input is an
//! [`ImportError`] that names the source, the document and the field.

mod cluster;
mod ignored;
mod images;
mod manifests;
mod pods;
mod podspec;
mod reference;
mod render;
mod value;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::scenario::v1::{
    Cluster, Metadata, Os, PriorityClass, Scenario, SimSettings, SystemPods, Workload, API_VERSION,
    KIND,
};

pub use ignored::IgnoredField;
pub use render::render_yaml;

/// One parsed `kubectl get ... -o json` document (a `List`, a `NodeList`/`PodList`, or a
/// single `Node` or `Pod`), with the name to use in errors (usually the file path).
#[derive(Debug, Clone)]
pub struct DumpSource {
    /// Where it came from, for messages.
    pub name: String,
    /// The parsed JSON.
    pub value: Value,
}

/// A manifest file's text: multi-document YAML, or JSON (one object or a `List`).
#[derive(Debug, Clone)]
pub struct ManifestSource {
    /// Where it came from, for messages.
    pub name: String,
    /// The file's contents.
    pub text: String,
}

/// Settings of one import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `metadata.name` of the scenario; default `imported`.
    pub scenario_name: Option<String>,
    /// The sources' names, for the scenario description and the header comment.
    pub source_names: Vec<String>,
}

/// What kind of remark a [`Note`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    /// A value poolcast derived from indirect evidence; check it.
    Inferred,
    /// Something the input does not say and the user must supply (or accept the default).
    FillIn,
    /// Input that looks wrong or was left out of the scenario.
    Warning,
}

impl NoteKind {
    /// The word used in comments.
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Inferred => "inferred",
            NoteKind::FillIn => "FILL IN",
            NoteKind::Warning => "warning",
        }
    }
}

/// What a [`Note`] is about; decides where its comment goes in the YAML.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// The scenario as a whole (header comment).
    Scenario,
    /// The `cluster` section.
    Cluster,
    /// A pool, by name.
    Pool(String),
    /// An image, by name.
    Image(String),
    /// A workload, by name.
    Workload(String),
}

/// A remark about the import, shown as a comment in the output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Note {
    /// Inferred, fill-in or warning.
    pub kind: NoteKind,
    /// What it is about.
    pub subject: Subject,
    /// One sentence.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The scenario; it loads back from [`render_yaml`]'s output unchanged.
    pub scenario: Scenario,
    /// Remarks, in the order they were made.
    pub notes: Vec<Note>,
    /// Fields of the input that poolcast does not model, each listed once.
    pub ignored: Vec<IgnoredField>,
}

/// Why an import failed. Every variant is the user's to fix: it names the source and the
/// place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A manifest is not well-formed YAML (or truncated).
    #[error("{source_name}: document {document}: line {line}, column {column}: {message}")]
    Yaml {
        /// Source name.
        source_name: String,
        /// 1-based document number in a multi-document file.
        document: usize,
        /// 1-based line in the file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A JSON manifest is not well-formed (or truncated).
    #[error("{source_name}: line {line}, column {column}: {message}")]
    Json {
        /// Source name.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A field has the wrong type or an impossible value.
    #[error("{source_name}: {object}: {path}: {message}")]
    Invalid {
        /// Source name.
        source_name: String,
        /// Which object, e.g. `items[12] (Pod default/web-1)` or `document 3 (Deployment web)`.
        object: String,
        /// Field path inside the object, e.g. `spec.containers[0].resources.requests.cpu`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The input holds nothing to import.
    #[error("nothing to import: {0}")]
    Empty(String),
    /// The scenario could not be written as YAML (a bug in poolcast, not the user's).
    #[error("internal error writing the scenario: {0}")]
    Render(String),
}

/// Imports a cluster dump and/or manifests into one scenario.
///
/// Nodes become pools (grouped by `kubernetes.azure.com/agentpool`, then `agentpool`, then
/// identical OS, instance type and taints) with their concrete [`NodeSpec`]s; running pods
/// become workloads bound to the nodes they run on; manifest workloads are added unbound.
/// Without nodes, pools are proposed from what the workloads need, with `count: auto`.
///
/// [`NodeSpec`]: crate::scenario::v1::NodeSpec
pub fn import(
    dump: &[DumpSource],
    manifests: &[ManifestSource],
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut notes = Notes::default();
    let mut ignored = ignored::Ignored::default();

    let objects = cluster::collect(dump, &mut notes)?;
    let mut cluster = cluster::build_pools(&objects, &mut notes)?;
    let mut names = Names::default();
    let from_pods =
        pods::build_workloads(&objects, &cluster, &mut names, &mut ignored, &mut notes)?;
    let mut drafts = from_pods.drafts;
    let from_manifests =
        manifests::read_all(manifests, &cluster, &mut names, &mut ignored, &mut notes)?;
    drafts.extend(from_manifests.workloads);

    if objects.nodes.is_empty() && drafts.is_empty() {
        return Err(ImportError::Empty(
            "no Node, Pod or workload object was found in the input".to_owned(),
        ));
    }

    let mut priority_classes: BTreeMap<String, PriorityClass> = BTreeMap::new();
    for pc in cluster::priority_classes_from_pods(&objects, &mut notes) {
        priority_classes.insert(pc.name.clone(), pc);
    }
    for pc in from_manifests.priority_classes {
        priority_classes.insert(pc.name.clone(), pc);
    }
    for d in &drafts {
        if let Some(pc) = &d.workload.priority_class_name {
            if !priority_classes.contains_key(pc)
                && !BUILTIN_PRIORITY_CLASSES.contains(&pc.as_str())
            {
                notes.push(
                    NoteKind::FillIn,
                    Subject::Workload(d.workload.name.clone()),
                    format!("priorityClassName {pc} is not defined in the input; add it to priorityClasses"),
                );
            }
        }
    }

    let mut pools = std::mem::take(&mut cluster.pools);
    if pools.is_empty() {
        pools = cluster::propose_pools(&drafts, &mut notes).pools;
    } else {
        check_manifest_fit(&drafts, &cluster, &mut notes);
    }
    let kubernetes_version = cluster::choose_version(
        cluster.provider,
        &cluster.kubelet_minors,
        &pools,
        &mut notes,
    );

    let images = images::build(&cluster, &drafts, &mut pools, &mut notes);

    let system_pods = if from_pods.imported_system_pods {
        notes.push(
            NoteKind::Inferred,
            Subject::Cluster,
            "systemPods: none, because the dump's kube-system pods are imported as workloads \
             (namespace kube-system); the catalog's AKS system pods would count them twice"
                .to_owned(),
        );
        Some(SystemPods::None)
    } else {
        None
    };

    let name = options
        .scenario_name
        .clone()
        .unwrap_or_else(|| "imported".to_owned());
    let description = if options.source_names.is_empty() {
        None
    } else {
        Some(format!("Imported from {}", options.source_names.join(", ")))
    };
    let scenario = Scenario {
        api_version: API_VERSION.to_owned(),
        kind: KIND.to_owned(),
        metadata: Metadata { name, description },
        cluster: Cluster {
            provider: cluster.provider,
            kubernetes_version,
            region: cluster.region.clone(),
            network_plugin: cluster.network_plugin,
            addons: Vec::new(),
            system_pods,
            scheduler: None,
            kubelet: None,
            autoscaler: None,
            tier: None,
            pricing: None,
        },
        pools,
        images,
        registry: None,
        priority_classes: priority_classes.into_values().collect(),
        disruption_budgets: from_manifests.disruption_budgets,
        workloads: drafts.into_iter().map(|d| d.workload).collect(),
        events: Vec::new(),
        targets: None,
        sim: SimSettings::default(),
    };
    Ok(Imported {
        scenario,
        notes: notes.into_vec(),
        ignored: ignored.into_vec(),
    })
}

/// PriorityClasses every cluster has (kubernetes pkg/apis/scheduling/types.go).
const BUILTIN_PRIORITY_CLASSES: &[&str] = &["system-node-critical", "system-cluster-critical"];

/// Warns about manifest workloads that pin an OS or Windows build no imported pool has.
fn check_manifest_fit(drafts: &[Draft], cluster: &cluster::ClusterInfo, notes: &mut Notes) {
    let platforms: std::collections::BTreeSet<(Os, Option<&str>)> = cluster
        .nodes
        .iter()
        .map(|n| (n.os, n.build.as_deref()))
        .collect();
    for d in drafts.iter().filter(|d| d.origin == Origin::Manifest) {
        let Some(os) = d.os else { continue };
        let fits = match (&d.windows_build, os) {
            (Some(b), Os::Windows) => platforms.contains(&(Os::Windows, Some(b.as_str()))),
            _ => platforms.iter().any(|(o, _)| *o == os),
        };
        if !fits {
            let what = match (&d.windows_build, os) {
                (Some(b), Os::Windows) => format!("Windows build {b}"),
                _ => os.to_string(),
            };
            notes.push(
                NoteKind::Warning,
                Subject::Workload(d.workload.name.clone()),
                format!("needs {what} nodes and the dump has none: add a pool, or its pods stay Pending"),
            );
        }
    }
}

/// Notes collected during an import, without duplicates, in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    list: Vec<Note>,
    seen: std::collections::HashSet<Note>,
}

impl Notes {
    pub(crate) fn push(&mut self, kind: NoteKind, subject: Subject, message: String) {
        let note = Note {
            kind,
            subject,
            message,
        };
        if self.seen.insert(note.clone()) {
            self.list.push(note);
        }
    }
    fn into_vec(self) -> Vec<Note> {
        self.list
    }
}

/// Workload and pool names handed out so far; scenario names must be unique.
#[derive(Debug, Default)]
pub(crate) struct Names {
    workload_names: std::collections::HashSet<String>,
}

impl Names {
    /// `wanted` if free, else `wanted-<namespace>`, else `wanted-2`, `wanted-3`, ...
    pub(crate) fn workload(&mut self, wanted: &str, namespace: &str) -> String {
        if self.workload_names.insert(wanted.to_owned()) {
            return wanted.to_owned();
        }
        let with_ns = format!("{wanted}-{namespace}");
        if self.workload_names.insert(with_ns.clone()) {
            return with_ns;
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{wanted}-{n}");
            if self.workload_names.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Who made a workload: its source kind and where, for notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// From the cluster dump's pods.
    Dump,
    /// From a manifest.
    Manifest,
}

/// A workload plus what the import knows about it beyond the schema.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub(crate) workload: Workload,
    pub(crate) origin: Origin,
    /// OS the pod spec pins (`spec.os.name`, a `kubernetes.io/os` selector or required term).
    pub(crate) os: Option<crate::scenario::v1::Os>,
    /// Windows build the pod spec pins (`node.kubernetes.io/windows-build`), `10.0.NNNNN`.
    pub(crate) windows_build: Option<String>,
}

//! The node side of a cluster dump: sorting the dump's objects by kind, then grouping nodes
//! into pools (AKS agent pool label, else `agentpool`, else identical OS, instance type and
//! taints) with their OS, Windows build, VM size, labels, taints and concrete nodes. Also the
//! cluster-wide facts nodes reveal (provider, Kubernetes version, region, network plugin),
//! and the pools proposed when there are no nodes at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::podspec::{LABEL_OS, LABEL_OS_BETA, LABEL_WINDOWS_BUILD};
use super::value::{self, arr, describe, str_at, Loc, Place};
use super::{Draft, DumpSource, ImportError, NoteKind, Notes, Subject};
use crate::catalog::{aks, Catalog};
use crate::scenario::v1::{
    Count, InlineVmSize, NetworkPlugin, NodeSpec, Os, OsSku, Pool, PoolMode, PriorityClass,
    Provider, Taint, TaintEffect, VmSize,
};

/// The Kubernetes version assumed when nothing in the input says.
pub(crate) const DEFAULT_KUBERNETES_VERSION: &str = "1.33";
/// AKS's pool label (AKS docs `use-labels.md`).
const LABEL_AKS_POOL: &str = "kubernetes.azure.com/agentpool";
/// The older, unprefixed spelling AKS also sets.
const LABEL_POOL: &str = "agentpool";
const LABEL_AKS_MODE: &str = "kubernetes.azure.com/mode";
const LABEL_AKS_OS_SKU: &str = "kubernetes.azure.com/os-sku";
const LABEL_INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
const LABEL_INSTANCE_TYPE_BETA: &str = "beta.kubernetes.io/instance-type";
const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
const LABEL_REGION: &str = "topology.kubernetes.io/region";
/// Set on Azure CNI Overlay nodes (Azure/karpenter-provider-azure#714 mirrors AKS).
const LABEL_CNI_OVERLAY: &str = "kubernetes.azure.com/azure-cni-overlay";
const LABEL_PODNETWORK_TYPE: &str = "kubernetes.azure.com/podnetwork-type";
/// Set to `cilium` with Azure CNI Powered by Cilium.
const LABEL_EBPF_DATAPLANE: &str = "kubernetes.azure.com/ebpf-dataplane";
/// Labels that differ from node to node by nature; they never become pool labels.
const PER_NODE_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    LABEL_ZONE,
    "failure-domain.beta.kubernetes.io/zone",
    "topology.disk.csi.azure.com/zone",
];
/// The taint the node controller mirrors from `spec.unschedulable` (kubectl cordon); the
/// scenario carries it as `unschedulable: true`.
const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// A dump object with where it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Object<'a> {
    pub(crate) v: &'a Value,
    pub(crate) source: &'a str,
    pub(crate) place: Place,
    pub(crate) kind: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
}

impl<'a> Object<'a> {
    pub(crate) fn loc(&self) -> Loc<'a> {
        Loc {
            source: self.source,
            place: self.place,
            kind: self.kind,
            namespace: self.namespace,
            name: self.name,
        }
    }
}

/// The dump's objects by kind.
#[derive(Debug, Default)]
pub(crate) struct Objects<'a> {
    pub(crate) nodes: Vec<Object<'a>>,
    pub(crate) pods: Vec<Object<'a>>,
    /// Controller of each ReplicaSet and Job in the dump: (namespace, name) -> (kind, name).
    pub(crate) owners: HashMap<(&'a str, &'a str), (&'a str, &'a str)>,
}

/// Sorts the dump's objects by kind. Lists (`List`, `NodeList`, `PodList`) are flattened;
/// kinds the import does not read are noted.
pub(crate) fn collect<'a>(
    dump: &'a [DumpSource],
    notes: &mut Notes,
) -> Result<Objects<'a>, ImportError> {
    let mut out = Objects::default();
    let mut other_kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_nodes: HashMap<&str, &str> = HashMap::new();
    let mut seen_pods: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for src in dump {
        let top_kind = str_at(&src.value, "kind").unwrap_or("");
        let items: Vec<(Place, &Value)> = match &src.value {
            Value::Object(m) if m.contains_key("items") => {
                let Some(items) = m.get("items").and_then(Value::as_array) else {
                    return Err(ImportError::Invalid {
                        source_name: src.name.clone(),
                        object: top_kind.to_owned(),
                        path: "items".to_owned(),
                        message: "expected a list of objects".to_owned(),
                    });
                };
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Place::Item(i), v))
                    .collect()
            }
            Value::Object(_) => vec![(Place::Whole, &src.value)],
            other => {
                return Err(ImportError::Invalid {
                    source_name: src.name.clone(),
                    object: "document".to_owned(),
                    path: String::new(),
                    message: format!(
                        "expected a Kubernetes object or List (kubectl get ... -o json), found {}",
                        describe(other)
                    ),
                })
            }
        };
        let list_kind = top_kind.strip_suffix("List").filter(|k| !k.is_empty());
        for (place, item) in items {
            let loc_for = |kind: &'a str| Loc {
                source: &src.name,
                place,
                kind,
                namespace: "",
                name: "?",
            };
            if !item.is_object() {
                return Err(loc_for("object")
                    .invalid("", format!("expected an object, found {}", describe(item))));
            }
            let kind: &str = match str_at(item, "kind") {
                Some(k) => k,
                // `kubectl get` items carry their kind; a hand-made list may not.
                None => match list_kind {
                    Some(k) => k,
                    None if item.get("status").and_then(|s| s.get("nodeInfo")).is_some() => "Node",
                    None if item.get("spec").and_then(|s| s.get("containers")).is_some() => "Pod",
                    None => {
                        return Err(loc_for("object")
                            .invalid("kind", "missing: cannot tell what this object is"))
                    }
                },
            };
            let meta = item.get("metadata");
            let name = meta
                .and_then(|m| str_at(m, "name"))
                .filter(|s| !s.is_empty());
            let Some(name) = name else {
                return Err(loc_for(kind).invalid("metadata.name", "missing"));
            };
            let namespace = meta.and_then(|m| str_at(m, "namespace")).unwrap_or("");
            let o = Object {
                v: item,
                source: &src.name,
                place,
                kind,
                namespace,
                name,
            };
            match kind {
                "Node" => {
                    if let Some(first) = seen_nodes.insert(name, &src.name) {
                        notes.push(
                            NoteKind::Warning,
                            Subject::Scenario,
                            format!("node {name} appears twice (in {first} and {}); the first copy is used", src.name),
                        );
                        continue;
                    }
                    out.nodes.push(o);
                }
                "Pod" => {
                    let ns = if namespace.is_empty() {
                        "default"
                    } else {
                        namespace
                    };
                    if !seen_pods.insert((ns, name)) {
                        notes.push(
                            NoteKind::Warning,
                            Subject::Scenario,
                            format!("pod {ns}/{name} appears twice; the first copy is used"),
                        );
                        continue;
                    }
                    out.pods.push(Object { namespace: ns, ..o });
                }
                "ReplicaSet" | "Job" => {
                    if let Some((k, n)) = controller_of(item) {
                        out.owners.insert((namespace, name), (k, n));
                    }
                }
                other => *other_kinds.entry(other.to_owned()).or_default() += 1,
            }
        }
    }
    if !other_kinds.is_empty() {
        let list: Vec<String> = other_kinds
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        notes.push(
            NoteKind::Warning,
            Subject::Scenario,
            format!(
                "the dump's {} are not imported (workloads come from the running pods)",
                list.join(", ")
            ),
        );
    }
    Ok(out)
}

/// The controlling owner reference (`controller: true`), else the first one.
pub(crate) fn controller_of(v: &Value) -> Option<(&str, &str)> {
    let refs = v
        .get("metadata")
        .map(|m| arr(m, "ownerReferences"))
        .unwrap_or(&[]);
    let pick = refs
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    Some((str_at(pick, "kind")?, str_at(pick, "name")?))
}

/// A node as the import reads it.
#[derive(Debug, Clone)]
pub(crate) struct NodeInfo {
    pub(crate) name: String,
    pub(crate) os: Os,
    /// `10.0.NNNNN` on Windows.
    pub(crate) build: Option<String>,
    /// `status.images`: names and compressed size.
    pub(crate) images: Vec<NodeImage>,
}

/// One `status.images` entry.
#[derive(Debug, Clone)]
pub(crate) struct NodeImage {
    pub(crate) names: Vec<String>,
    pub(crate) size: Option<u64>,
}

/// The node side of the dump.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterInfo {
    pub(crate) pools: Vec<Pool>,
    pub(crate) provider: Provider,
    /// The kubelet minors the nodes report (several while nodes are mid-upgrade).
    pub(crate) kubelet_minors: BTreeSet<(u32, u32)>,
    pub(crate) region: Option<String>,
    pub(crate) network_plugin: NetworkPlugin,
    pub(crate) nodes: Vec<NodeInfo>,
    /// Node name -> index into `nodes`.
    pub(crate) node_index: HashMap<String, usize>,
    /// Pool name of each node in `nodes`.
    pub(crate) node_pool: Vec<String>,
    /// Pools whose nodes say `kubernetes.azure.com/mode=user`.
    pub(crate) labelled_user: BTreeSet<String>,
}

/// How nodes are grouped into pools.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PoolKey {
    /// By pool label.
    Named(String),
    /// By identical OS, build, instance type and taints.
    Derived {
        os: Os,
        build: Option<String>,
        instance_type: Option<String>,
        taints: Vec<String>,
    },
}

struct RawNode {
    name: String,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
    unschedulable: bool,
    os: Os,
    build: Option<String>,
    instance_type: Option<String>,
    capacity: Option<value::ResourceList>,
    allocatable: Option<value::ResourceList>,
    images: Vec<NodeImage>,
    kubelet_minor: Option<(u32, u32)>,
    azure: bool,
    /// `spec.podCIDR`: the node IPAM range kubenet and overlay networks give each node.
    pod_cidr: bool,
}

fn read_node(o: &Object, notes: &mut Notes) -> Result<RawNode, ImportError> {
    let loc = o.loc();
    let v = o.v;
    let meta = v.get("metadata").unwrap_or(&Value::Null);
    let labels = value::string_map(meta, "labels", &loc, || "metadata.labels".into())?;
    let spec = v.get("spec").unwrap_or(&Value::Null);
    let status = v.get("status").unwrap_or(&Value::Null);
    let info = status.get("nodeInfo").unwrap_or(&Value::Null);

    let os_text = labels
        .get(LABEL_OS)
        .or_else(|| labels.get(LABEL_OS_BETA))
        .map(String::as_str)
        .or_else(|| str_at(info, "operatingSystem"));
    let os = match os_text {
        Some("linux") => Os::Linux,
        Some("windows") => Os::Windows,
        Some(other) => {
            return Err(loc.invalid(
                "metadata.labels.kubernetes.io/os",
                format!("unknown OS '{other}'"),
            ))
        }
        None => {
            notes.push(
                NoteKind::Inferred,
                Subject::Scenario,
                format!(
                    "node {}: no kubernetes.io/os label or nodeInfo.operatingSystem; linux assumed",
                    o.name
                ),
            );
            Os::Linux
        }
    };
    let build = match os {
        Os::Linux => None,
        Os::Windows => windows_build(&labels, info),
    };
    if os == Os::Windows && build.is_none() {
        notes.push(
            NoteKind::FillIn,
            Subject::Scenario,
            format!("Windows node {}: no {LABEL_WINDOWS_BUILD} label or kernelVersion; its build is unknown", o.name),
        );
    }

    let mut taints = Vec::new();
    for (i, t) in arr(spec, "taints").iter().enumerate() {
        let key = str_at(t, "key").unwrap_or("");
        let effect = match str_at(t, "effect") {
            Some("NoSchedule") => TaintEffect::NoSchedule,
            Some("PreferNoSchedule") => TaintEffect::PreferNoSchedule,
            Some("NoExecute") => TaintEffect::NoExecute,
            other => {
                return Err(loc.invalid(
                    format!("spec.taints[{i}].effect"),
                    format!("expected NoSchedule, PreferNoSchedule or NoExecute, found {other:?}"),
                ))
            }
        };
        if key.is_empty() {
            return Err(loc.invalid(format!("spec.taints[{i}].key"), "missing"));
        }
        taints.push(Taint {
            key: key.to_owned(),
            value: str_at(t, "value").unwrap_or("").to_owned(),
            effect,
        });
    }
    let unschedulable = spec
        .get("unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let mut images = Vec::new();
    for (i, im) in arr(status, "images").iter().enumerate() {
        let names: Vec<String> = arr(im, "names")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            continue;
        }
        let size = match im.get("sizeBytes") {
            None | Some(Value::Null) => None,
            Some(s) => Some(s.as_u64().ok_or_else(|| {
                loc.invalid(
                    format!("status.images[{i}].sizeBytes"),
                    format!("expected a byte count, found {s}"),
                )
            })?),
        };
        images.push(NodeImage { names, size });
    }

    let kubelet_minor = str_at(info, "kubeletVersion").and_then(parse_minor);
    let azure = labels
        .keys()
        .any(|k| k.starts_with("kubernetes.azure.com/"))
        || str_at(spec, "providerID").is_some_and(|p| p.starts_with("azure://"));
    Ok(RawNode {
        name: o.name.to_owned(),
        instance_type: labels
            .get(LABEL_INSTANCE_TYPE)
            .or_else(|| labels.get(LABEL_INSTANCE_TYPE_BETA))
            .cloned(),
        capacity: value::resource_list(status, "capacity", &loc, || "status.capacity".into())?,
        allocatable: value::resource_list(status, "allocatable", &loc, || {
            "status.allocatable".into()
        })?,
        labels,
        taints,
        unschedulable,
        os,
        build,
        images,
        kubelet_minor,
        azure,
        pod_cidr: str_at(spec, "podCIDR").is_some_and(|c| !c.is_empty())
            || !arr(spec, "podCIDRs").is_empty(),
    })
}

/// `10.0.NNNNN` from the windows-build label, else from `nodeInfo.kernelVersion`
/// (`10.0.17763.5576`), else from `nodeInfo.osImage` (`Windows Server 2019 Datacenter`).
fn windows_build(labels: &BTreeMap<String, String>, info: &Value) -> Option<String> {
    if let Some(b) = labels.get(LABEL_WINDOWS_BUILD) {
        return Some(b.clone());
    }
    if let Some(k) = str_at(info, "kernelVersion") {
        let parts: Vec<&str> = k.split('.').collect();
        if parts.len() >= 3 && parts[..3].iter().all(|p| p.parse::<u32>().is_ok()) {
            return Some(parts[..3].join("."));
        }
    }
    let image = str_at(info, "osImage")?;
    [("2019", 17763), ("2022", 20348), ("2025", 26100)]
        .iter()
        .find(|(year, _)| image.contains(year))
        .map(|(_, b)| format!("10.0.{b}"))
}

/// The build number of `10.0.NNNNN`.
pub(crate) fn build_number(build: &str) -> Option<u32> {
    build.rsplit('.').next()?.parse().ok()
}

/// `v1.33.2` -> (1, 33).
fn parse_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim_start_matches('v').split('.');
    let major = it.next()?.parse().ok()?;
    let minor_text: String = it
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor_text.parse().ok()?))
}

/// The AKS OS SKU for an `os-sku` label value, or for a Windows build.
fn os_sku(label: Option<&str>, os: Os, build: Option<&str>) -> Option<OsSku> {
    let from_build = build.and_then(build_number).and_then(|b| match b {
        17763 => Some(OsSku::Windows2019),
        20348 => Some(OsSku::Windows2022),
        26100 => Some(OsSku::Windows2025),
        _ => None,
    });
    let from_label = label.and_then(|l| match l {
        l if l.starts_with("Ubuntu") => Some(OsSku::Ubuntu),
        "AzureLinux" | "AzureLinux3" | "CBLMariner" | "Mariner" => Some(OsSku::AzureLinux),
        "Windows2019" => Some(OsSku::Windows2019),
        "Windows2022" => Some(OsSku::Windows2022),
        "Windows2025" => Some(OsSku::Windows2025),
        _ => None,
    });
    match os {
        Os::Windows => from_build.or(from_label),
        Os::Linux => from_label,
    }
}

/// Groups the dump's nodes into pools and reads the cluster-wide facts they show.
pub(crate) fn build_pools(
    objects: &Objects,
    notes: &mut Notes,
) -> Result<ClusterInfo, ImportError> {
    let mut raw = Vec::with_capacity(objects.nodes.len());
    for o in &objects.nodes {
        raw.push(read_node(o, notes)?);
    }
    let mut groups: BTreeMap<PoolKey, Vec<usize>> = BTreeMap::new();
    for (i, n) in raw.iter().enumerate() {
        let key = match n
            .labels
            .get(LABEL_AKS_POOL)
            .or_else(|| n.labels.get(LABEL_POOL))
        {
            Some(name) => PoolKey::Named(name.clone()),
            None => {
                let mut taints: Vec<String> = n
                    .taints
                    .iter()
                    .filter(|t| !t.key.starts_with("node.kubernetes.io/"))
                    .map(ToString::to_string)
                    .collect();
                taints.sort();
                PoolKey::Derived {
                    os: n.os,
                    build: n.build.clone(),
                    instance_type: n.instance_type.clone(),
                    taints,
                }
            }
        };
        groups.entry(key).or_default().push(i);
    }

    let mut info = ClusterInfo {
        provider: if raw.iter().any(|n| n.azure) || raw.is_empty() {
            Provider::Aks
        } else {
            Provider::Generic
        },
        ..ClusterInfo::default()
    };
    let mut derived_count: BTreeMap<Os, usize> = BTreeMap::new();
    let mut used_names: BTreeSet<String> = groups
        .keys()
        .filter_map(|k| match k {
            PoolKey::Named(n) => Some(n.clone()),
            PoolKey::Derived { .. } => None,
        })
        .collect();
    for (key, members) in &groups {
        let name = match key {
            PoolKey::Named(n) => n.clone(),
            PoolKey::Derived { os, .. } => {
                // AKS pool names: lowercase alphanumeric, Windows at most 6 characters.
                let prefix = match os {
                    Os::Linux => "linux",
                    Os::Windows => "win",
                };
                loop {
                    let c = derived_count.entry(*os).or_default();
                    *c += 1;
                    let candidate = format!("{prefix}{c}");
                    if used_names.insert(candidate.clone()) {
                        break candidate;
                    }
                }
            }
        };
        let pool = build_pool(&name, key, members, &raw, info.provider, notes);
        if members
            .iter()
            .any(|&m| raw[m].labels.get(LABEL_AKS_MODE).map(String::as_str) == Some("user"))
        {
            info.labelled_user.insert(name.clone());
        }
        for &m in members {
            let n = &raw[m];
            info.node_pool.push(name.clone());
            info.node_index.insert(n.name.clone(), info.nodes.len());
            info.nodes.push(NodeInfo {
                name: n.name.clone(),
                os: n.os,
                build: n.build.clone(),
                images: n.images.clone(),
            });
        }
        info.pools.push(pool);
    }

    info.kubelet_minors = raw.iter().filter_map(|n| n.kubelet_minor).collect();
    info.region = most_common(
        raw.iter()
            .filter_map(|n| n.labels.get(LABEL_REGION).cloned()),
    );
    if !raw.is_empty() {
        info.network_plugin = network_plugin(&raw, objects, info.provider, notes);
    }
    if info.provider == Provider::Aks && !raw.is_empty() {
        infer_system_pool(&mut info, objects, notes);
    }
    Ok(info)
}

/// Makes sure an AKS dump has a System pool, as AKS requires: the pools the nodes'
/// `kubernetes.azure.com/mode=system` label names are System already; without that label,
/// the Linux pool that runs the most `kube-system` pods of priority class
/// `system-cluster-critical` (coredns, metrics-server, konnectivity-agent: AKS schedules
/// them on System pools, AKSDOCS `use-system-pools.md`); else the first Linux pool. When
/// the nodes say every pool is `user`, or there is no Linux pool (a partial dump), a
/// System pool is proposed. Every guess is a FILL IN.
fn infer_system_pool(info: &mut ClusterInfo, objects: &Objects, notes: &mut Notes) {
    if info.pools.iter().any(|p| p.mode == PoolMode::System) {
        return;
    }
    let labelled_user = &info.labelled_user;
    let mut critical: BTreeMap<&str, usize> = BTreeMap::new();
    for p in objects.pods.iter().filter(|p| p.namespace == "kube-system") {
        let spec = p.v.get("spec").unwrap_or(&Value::Null);
        if str_at(spec, "priorityClassName") != Some("system-cluster-critical") {
            continue;
        }
        let Some(node) = str_at(spec, "nodeName") else {
            continue;
        };
        if let Some(&i) = info.node_index.get(node) {
            if let Some(pool) = info.node_pool.get(i) {
                *critical.entry(pool.as_str()).or_default() += 1;
            }
        }
    }
    let linux = |p: &&Pool| p.os == Os::Linux && !labelled_user.contains(&p.name);
    let by_pods = info
        .pools
        .iter()
        .filter(linux)
        .filter_map(|p| critical.get(p.name.as_str()).map(|n| (*n, &p.name)))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
        .map(|(n, name)| (name.clone(), n));
    let chosen = match by_pods {
        Some((name, n)) => Some((
            name,
            format!("mode: System inferred: no node carries {LABEL_AKS_MODE}, and this Linux pool runs {n} system-cluster-critical kube-system pod(s)"),
        )),
        // AKS allows no B-series System pool (AKSDOCS `quotas-skus-regions.md`): the real
        // System pool is among the others.
        None => info
            .pools
            .iter()
            .filter(linux)
            .find(|p| !is_b_series(&p.vm_size))
            .map(|p| {
            (
                p.name.clone(),
                format!("mode: System assumed: no node carries {LABEL_AKS_MODE} and no kube-system critical pod shows where the system pods run; this is the first Linux pool (AKS needs one System pool)"),
            )
        }),
    };
    match chosen {
        Some((name, why)) => {
            if let Some(p) = info.pools.iter_mut().find(|p| p.name == name) {
                p.mode = PoolMode::System;
            }
            notes.push(NoteKind::FillIn, Subject::Pool(name), why);
        }
        None => {
            let mut name = "system".to_owned();
            let mut n = 1;
            while info.pools.iter().any(|p| p.name == name) {
                n += 1;
                name = format!("system{n}");
            }
            let mut pool = proposed_pool(&name, PoolMode::System, Os::Linux, Some(OsSku::Ubuntu));
            pool.count = Some(Count::Fixed(PROPOSED_SYSTEM_NODES));
            notes.push(
                NoteKind::FillIn,
                Subject::Pool(name.clone()),
                format!(
                    "the dump has no Linux pool that can be the System pool AKS requires (none, all say mode=user, or all are B-series; a partial dump?): \
                     {PROPOSED_VM_SIZE} x {PROPOSED_SYSTEM_NODES} proposed; replace it with the cluster's real System pool"
                ),
            );
            info.pools.push(pool);
        }
    }
}

/// Whether a pool's VM size is a B-series (burstable) size.
fn is_b_series(v: &VmSize) -> bool {
    match v {
        VmSize::Named(n) => n.starts_with("Standard_B"),
        VmSize::Inline(i) => i
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("Standard_B")),
        _ => false,
    }
}

/// Nodes of a proposed System pool: `az aks create --node-count` defaults to 3 (Azure CLI
/// reference, `az aks create`).
const PROPOSED_SYSTEM_NODES: u32 = 3;

/// The network plugin, from the strongest evidence the dump holds:
///
/// 1. `kubernetes.azure.com/ebpf-dataplane=cilium` on a node, or a `cilium` DaemonSet in
///    `kube-system` (Azure CNI Powered by Cilium, AKSDOCS `azure-cni-powered-by-cilium.md`);
/// 2. `kubernetes.azure.com/azure-cni-overlay=true` or `podnetwork-type=overlay` (Overlay);
/// 3. another `kubernetes.azure.com/podnetwork-type` (Azure CNI with a pod subnet);
/// 4. nodes with `spec.podCIDR` and none of those labels: the node IPAM range kubenet routes
///    with route tables (AKSDOCS `configure-kubenet.md`: "each node receives a /24 pod
///    CIDR"); Azure CNI node subnet gives pods VNet addresses and no per-node range
///    (`concepts-network-legacy-cni.md`). Windows nodes rule kubenet out (Windows needs
///    Azure CNI, `windows-best-practices.md`), so with them a podCIDR means Overlay;
/// 5. no podCIDR: Azure CNI node subnet.
///
/// Steps 4-5 are flagged as inferred, with the maxPods the nodes report as a cross-check
/// (defaults: kubenet 110, node subnet 30).
fn network_plugin(
    raw: &[RawNode],
    objects: &Objects,
    provider: Provider,
    notes: &mut Notes,
) -> NetworkPlugin {
    if provider != Provider::Aks {
        return NetworkPlugin::default();
    }
    let has = |k: &str, v: Option<&str>| {
        raw.iter().any(|n| {
            n.labels
                .get(k)
                .is_some_and(|x| v.is_none_or(|want| x == want))
        })
    };
    let cilium_ds = objects.pods.iter().any(|p| {
        p.namespace == "kube-system" && controller_of(p.v) == Some(("DaemonSet", "cilium"))
    });
    let (plugin, why) = if has(LABEL_EBPF_DATAPLANE, Some("cilium")) {
        (
            NetworkPlugin::AzureCniCilium,
            format!("the {LABEL_EBPF_DATAPLANE}=cilium node label"),
        )
    } else if cilium_ds {
        (
            NetworkPlugin::AzureCniCilium,
            "the kube-system cilium DaemonSet".to_owned(),
        )
    } else if has(LABEL_CNI_OVERLAY, Some("true")) || has(LABEL_PODNETWORK_TYPE, Some("overlay")) {
        (
            NetworkPlugin::AzureCniOverlay,
            format!("the {LABEL_CNI_OVERLAY}=true node label"),
        )
    } else if has(LABEL_PODNETWORK_TYPE, None) {
        (
            NetworkPlugin::AzureCniPodSubnet,
            format!("the {LABEL_PODNETWORK_TYPE} node label without overlay"),
        )
    } else {
        let with_cidr = raw.iter().filter(|n| n.pod_cidr).count();
        let windows = raw.iter().any(|n| n.os == Os::Windows);
        let max_pods: BTreeSet<u32> = raw
            .iter()
            .filter_map(|n| n.capacity.as_ref().and_then(|c| c.pods))
            .collect();
        let pods_text = if max_pods.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = max_pods.iter().map(u32::to_string).collect();
            format!("; the nodes allow {} pods", list.join("/"))
        };
        let (plugin, why) = if with_cidr > 0 && windows {
            (
                NetworkPlugin::AzureCniOverlay,
                format!("{with_cidr} node(s) have a spec.podCIDR and Windows nodes rule kubenet out, so Azure CNI Overlay (no overlay label to confirm it){pods_text}"),
            )
        } else if with_cidr > 0 {
            (
                NetworkPlugin::Kubenet,
                format!("{with_cidr} node(s) have a spec.podCIDR and no Azure CNI label: kubenet (Overlay and Cilium label their nodes){pods_text}"),
            )
        } else {
            (
                NetworkPlugin::AzureCniNodeSubnet,
                format!("no node has a spec.podCIDR or an Azure CNI label: Azure CNI node subnet{pods_text}"),
            )
        };
        notes.push(
            NoteKind::Inferred,
            Subject::Cluster,
            format!("networkPlugin: {why}"),
        );
        return plugin;
    };
    notes.push(
        NoteKind::Inferred,
        Subject::Cluster,
        format!("networkPlugin from {why}"),
    );
    plugin
}

fn most_common(values: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, c)| *c == best).map(|(v, _)| v)
}

fn build_pool(
    name: &str,
    key: &PoolKey,
    members: &[usize],
    raw: &[RawNode],
    provider: Provider,
    notes: &mut Notes,
) -> Pool {
    let subject = || Subject::Pool(name.to_owned());
    let nodes: Vec<&RawNode> = members.iter().map(|&i| &raw[i]).collect();
    let first = nodes[0];
    if let PoolKey::Derived { .. } = key {
        notes.push(
            NoteKind::Inferred,
            subject(),
            "no agentpool label: nodes grouped by identical OS, instance type and taints"
                .to_owned(),
        );
    }
    let os = first.os;
    if nodes.iter().any(|n| n.os != os) {
        notes.push(
            NoteKind::Warning,
            subject(),
            format!(
                "nodes of this pool report different OSes; {os} (of {}) used",
                first.name
            ),
        );
    }
    let builds: BTreeSet<&str> = nodes.iter().filter_map(|n| n.build.as_deref()).collect();
    if builds.len() > 1 {
        let list: Vec<&str> = builds.iter().copied().collect();
        notes.push(
            NoteKind::Warning,
            subject(),
            format!(
                "nodes of this pool run different Windows builds ({})",
                list.join(", ")
            ),
        );
    }
    let sku_label = most_common(
        nodes
            .iter()
            .filter_map(|n| n.labels.get(LABEL_AKS_OS_SKU).cloned()),
    );
    let os_sku = os_sku(sku_label.as_deref(), os, first.build.as_deref());
    if let (Some(label), Some(sku), Os::Windows) = (sku_label.as_deref(), os_sku, os) {
        if format!("{sku:?}") != label {
            notes.push(
                NoteKind::Warning,
                subject(),
                format!(
                    "{LABEL_AKS_OS_SKU}={label} but the nodes run build {}; {sku:?} used",
                    first.build.as_deref().unwrap_or("?")
                ),
            );
        }
    }
    let annual = aks::WINDOWS_ANNUAL_CHANNEL
        .iter()
        .any(|(b, _, _)| first.build.as_deref().and_then(build_number) == Some(*b) && *b != 26100);
    if os == Os::Windows && (sku_label.as_deref() == Some("WindowsAnnual") || annual) {
        notes.push(
            NoteKind::Warning,
            subject(),
            format!(
                "a Windows Annual Channel pool: AKS retired the channel on {} and the scenario has no such OS SKU, \
                 so the default Windows SKU of the Kubernetes version stands in for it; move these workloads to a Windows2022 or Windows2025 pool",
                aks::WINDOWS_ANNUAL_CHANNEL_RETIRED
            ),
        );
    }
    if os == Os::Windows {
        if let Some(b) = &first.build {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!("Windows build {b} from {LABEL_WINDOWS_BUILD} / nodeInfo"),
            );
        }
    }
    let mode = match most_common(
        nodes
            .iter()
            .filter_map(|n| n.labels.get(LABEL_AKS_MODE).cloned()),
    )
    .as_deref()
    {
        Some("system") => PoolMode::System,
        _ => PoolMode::User,
    };

    let instance_type = most_common(nodes.iter().filter_map(|n| n.instance_type.clone()));
    let vm_size = match instance_type {
        // Another cloud's instance type (m5.large, n2-standard-4) is not in the Azure
        // catalog: the node's capacity says what it is.
        Some(t) if provider != Provider::Aks || Catalog::builtin().vm_sku(&t).is_none() => {
            let cap = first.capacity.clone().unwrap_or_default();
            let why = if provider == Provider::Aks {
                "not in the VM size catalog"
            } else {
                "not an Azure size"
            };
            notes.push(
                NoteKind::FillIn,
                subject(),
                format!(
                    "vmSize inline from {}'s capacity ({t} is {why}); add pricePerHour for costs",
                    first.name
                ),
            );
            VmSize::Inline(InlineVmSize {
                name: Some(t),
                cpu: cap.cpu.unwrap_or_default(),
                memory: cap.memory.unwrap_or_default(),
                price_per_hour: None,
                temp_disk: None,
            })
        }
        Some(t) => {
            if nodes
                .iter()
                .any(|n| n.instance_type.as_deref() != Some(t.as_str()))
            {
                notes.push(
                    NoteKind::Warning,
                    subject(),
                    format!("nodes of this pool have different instance types; the most common, {t}, is used"),
                );
            }
            VmSize::Named(t)
        }
        None => {
            let cap = first.capacity.clone().unwrap_or_default();
            notes.push(
                NoteKind::FillIn,
                subject(),
                format!(
                    "no instance-type label: vmSize given inline from {}'s capacity; add pricePerHour for costs",
                    first.name
                ),
            );
            VmSize::Inline(InlineVmSize {
                name: None,
                cpu: cap.cpu.unwrap_or_default(),
                memory: cap.memory.unwrap_or_default(),
                price_per_hour: None,
                temp_disk: None,
            })
        }
    };
    notes.push(
        NoteKind::FillIn,
        subject(),
        format!(
            "count is today's {} node(s); add autoscale: {{min, max}} if the pool autoscales",
            nodes.len()
        ),
    );

    let max_pods = nodes
        .iter()
        .filter_map(|n| n.capacity.as_ref().and_then(|c| c.pods))
        .max();

    let mut zones: BTreeSet<String> = BTreeSet::new();
    for n in &nodes {
        if let Some(z) = n.labels.get(LABEL_ZONE) {
            // AKS writes `<region>-<n>`, or `0` without availability zones.
            if let Some((_, num)) = z.rsplit_once('-') {
                if num.parse::<u32>().is_ok() {
                    zones.insert(num.to_owned());
                }
            }
        }
    }

    let mut common_labels = first.labels.clone();
    for n in &nodes[1..] {
        common_labels.retain(|k, v| n.labels.get(k) == Some(v));
    }
    for k in PER_NODE_LABELS {
        common_labels.remove(*k);
    }
    // System-managed labels (agent pool, OS, instance type, AKS's own) describe the node,
    // not the pool's configuration: AKS refuses them in `--labels`, and the simulation sets
    // them itself. They stay out of the pool's labels (and, being common, out of each
    // node's).
    let reserved: Vec<String> = common_labels
        .keys()
        .filter(|k| aks::is_reserved_node_label(k))
        .cloned()
        .collect();
    let pool_labels: BTreeMap<String, String> = common_labels
        .iter()
        .filter(|(k, _)| !aks::is_reserved_node_label(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !reserved.is_empty() {
        notes.push(
            NoteKind::Inferred,
            Subject::Scenario,
            "system-managed node labels (kubernetes.io/*, kubernetes.azure.com/*, agentpool, ...) \
             are not copied into pool labels: AKS sets them on every node itself"
                .to_owned(),
        );
    }
    let mut common_taints: Vec<Taint> = first
        .taints
        .iter()
        .filter(|t| t.key != TAINT_UNSCHEDULABLE && !t.key.starts_with("node.kubernetes.io/"))
        .cloned()
        .collect();
    for n in &nodes[1..] {
        common_taints.retain(|t| n.taints.contains(t));
    }

    let mut specs: Vec<NodeSpec> = nodes
        .iter()
        .map(|n| NodeSpec {
            name: n.name.clone(),
            allocatable: n
                .allocatable
                .as_ref()
                .map(value::ResourceList::to_resources),
            capacity: n.capacity.as_ref().map(value::ResourceList::to_resources),
            labels: n
                .labels
                .iter()
                .filter(|(k, _)| !common_labels.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            taints: n
                .taints
                .iter()
                .filter(|t| t.key != TAINT_UNSCHEDULABLE && !common_taints.contains(t))
                .cloned()
                .collect(),
            images: Vec::new(),
            unschedulable: n.unschedulable,
        })
        .collect();
    specs.sort_by(|a, b| a.name.cmp(&b.name));

    Pool {
        name: name.to_owned(),
        mode,
        os,
        os_sku,
        vm_size,
        count: Some(Count::Fixed(u32::try_from(nodes.len()).unwrap_or(u32::MAX))),
        autoscale: None,
        max_pods,
        os_disk: None,
        zones: zones.into_iter().collect(),
        labels: pool_labels,
        taints: common_taints,
        pre_pulled_images: Vec::new(),
        azure_hybrid_benefit: false,
        node_image: None,
        nodes: specs,
        existing: false,
        min_nodes: None,
        kubernetes_version: None,
    }
}

/// PriorityClasses the dump's pods name, with the value the pods carry (`spec.priority`).
/// The two built-in classes are left out: they always exist.
pub(crate) fn priority_classes_from_pods(
    objects: &Objects,
    notes: &mut Notes,
) -> Vec<PriorityClass> {
    let mut found: BTreeMap<String, i32> = BTreeMap::new();
    for p in &objects.pods {
        let Some(spec) = p.v.get("spec") else {
            continue;
        };
        let Some(name) = str_at(spec, "priorityClassName").filter(|s| !s.is_empty()) else {
            continue;
        };
        if name == "system-node-critical" || name == "system-cluster-critical" {
            continue;
        }
        let value = spec
            .get("priority")
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok());
        if let Some(value) = value {
            found.entry(name.to_owned()).or_insert(value);
        }
    }
    if !found.is_empty() {
        notes.push(
            NoteKind::Inferred,
            Subject::Scenario,
            "priorityClasses: values from the pods' spec.priority; globalDefault and preemptionPolicy are not in a pod dump".to_owned(),
        );
    }
    found
        .into_iter()
        .map(|(name, value)| PriorityClass {
            name,
            value,
            global_default: false,
            preemption_policy: None,
            description: None,
        })
        .collect()
}

/// The cluster's Kubernetes version: the newest kubelet minor the nodes report that AKS
/// offers together with every pool's OS SKU (AKS release calendar and per-SKU windows in
/// `catalog::aks`). When no reported minor qualifies (a Windows Server 2019 pool on 1.33, a
/// version past LTS) or the nodes report none, the nearest version that does is used, with
/// a FILL IN note saying why. Outside AKS the newest kubelet minor is taken as it is.
pub(crate) fn choose_version(
    provider: Provider,
    minors: &BTreeSet<(u32, u32)>,
    pools: &[Pool],
    notes: &mut Notes,
) -> String {
    let show = |(a, b): (u32, u32)| format!("{a}.{b}");
    let default = aks::parse_k8s_version(DEFAULT_KUBERNETES_VERSION).unwrap_or((1, 33));
    let newest = minors.iter().next_back().copied();
    if provider != Provider::Aks {
        return match newest {
            Some(v) => {
                notes.push(
                    NoteKind::Inferred,
                    Subject::Cluster,
                    "kubernetesVersion from the nodes' kubeletVersion (the control plane may be newer)".to_owned(),
                );
                show(v)
            }
            None => {
                notes.push(
                    NoteKind::FillIn,
                    Subject::Cluster,
                    format!("kubernetesVersion: the nodes do not report a kubeletVersion; {DEFAULT_KUBERNETES_VERSION} assumed"),
                );
                DEFAULT_KUBERNETES_VERSION.to_owned()
            }
        };
    }
    let skus: BTreeSet<OsSku> = pools.iter().filter_map(|p| p.os_sku).collect();
    let sku_list: Vec<OsSku> = skus.iter().copied().collect();
    let valid = |v: (u32, u32)| {
        !matches!(
            aks::aks_version_status(v),
            aks::AksVersionStatus::Retired { .. }
        ) && sku_list.iter().all(|s| aks::os_sku_supported(*s, v))
    };
    if let Some(v) = minors.iter().rev().copied().find(|v| valid(*v)) {
        let message = if minors.len() > 1 {
            let all: Vec<String> = minors.iter().map(|m| show(*m)).collect();
            format!(
                "kubernetesVersion {}: the newest kubelet minor among {} (nodes mid-upgrade) that AKS offers for every pool's OS SKU",
                show(v),
                all.join(", ")
            )
        } else {
            "kubernetesVersion from the nodes' kubeletVersion (the control plane may be newer)"
                .to_owned()
        };
        notes.push(NoteKind::Inferred, Subject::Cluster, message);
        return show(v);
    }
    let candidates = aks::versions_for_skus(&sku_list);
    let target = newest.unwrap_or(default);
    let Some(chosen) = candidates
        .iter()
        .rev()
        .find(|v| **v <= target)
        .or_else(|| candidates.first())
        .copied()
    else {
        // No AKS version carries every SKU at once: keep what the nodes say and let
        // validate name the pools that cannot coexist.
        let v = newest.unwrap_or(default);
        notes.push(
            NoteKind::Warning,
            Subject::Cluster,
            format!(
                "kubernetesVersion {}: no AKS version offers all of {sku_list:?} at once",
                show(v)
            ),
        );
        return show(v);
    };
    let sku_text = if sku_list.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = sku_list.iter().map(|s| format!("{s:?}")).collect();
        format!(" with {}", names.join(", "))
    };
    let why = match newest {
        Some(v)
            if matches!(
                aks::aks_version_status(v),
                aks::AksVersionStatus::Retired { .. }
            ) =>
        {
            format!(
                "the nodes run {}, which AKS no longer offers (past long-term support)",
                show(v)
            )
        }
        Some(v) => format!(
            "the nodes report {}, which AKS does not offer{sku_text}",
            show(v)
        ),
        None => "nothing in the input reports a kubeletVersion".to_owned(),
    };
    notes.push(
        NoteKind::FillIn,
        Subject::Cluster,
        format!(
            "kubernetesVersion: {why}; {} used, the nearest version AKS offers{sku_text}",
            show(chosen)
        ),
    );
    show(chosen)
}

/// Pools proposed when the input has no nodes: what the workloads need.
pub(crate) struct Proposed {
    pub(crate) pools: Vec<Pool>,
}

/// The VM size proposed for pools the input does not describe: 4 vCPU / 16 GiB, a common
/// AKS starting size that `plan` can replace.
const PROPOSED_VM_SIZE: &str = "Standard_D4s_v5";

/// Proposes pools for workloads without a cluster dump: a Linux system pool (AKS requires
/// one) and one Windows pool per Windows build the workloads need, all `count: auto`.
pub(crate) fn propose_pools(drafts: &[Draft], notes: &mut Notes) -> Proposed {
    let mut builds: BTreeSet<u32> = BTreeSet::new();
    let mut windows_unknown = false;
    // The OS a workload needs: what its spec pins, else what its image reference says.
    let needs = |d: &Draft| -> (Os, Option<String>) {
        let evidence = super::images::reference_evidence(&d.workload.image);
        let build = d
            .windows_build
            .clone()
            .or_else(|| evidence.build.map(str::to_owned));
        match d.os {
            Some(os) => (os, build),
            None if evidence.windows_because.is_some() => (Os::Windows, build),
            None => (Os::Linux, None),
        }
    };
    for d in drafts {
        let (os, build) = needs(d);
        if os == Os::Windows {
            match build.as_deref().and_then(build_number) {
                Some(b) => {
                    builds.insert(b);
                }
                None => windows_unknown = true,
            }
        }
    }
    if windows_unknown && builds.is_empty() {
        builds.insert(20348);
    }
    let mut pools = vec![proposed_pool(
        "system",
        PoolMode::System,
        Os::Linux,
        Some(OsSku::Ubuntu),
    )];
    notes.push(
        NoteKind::FillIn,
        Subject::Pool("system".to_owned()),
        format!("no nodes in the input: Linux system pool proposed with {PROPOSED_VM_SIZE}, count auto (sized by plan)"),
    );
    for b in &builds {
        let (name, sku) = match b {
            17763 => ("win19", OsSku::Windows2019),
            26100 => ("win25", OsSku::Windows2025),
            _ => ("win22", OsSku::Windows2022),
        };
        if pools.iter().any(|p| p.name == name) {
            continue;
        }
        pools.push(proposed_pool(name, PoolMode::User, Os::Windows, Some(sku)));
        notes.push(
            NoteKind::FillIn,
            Subject::Pool(name.to_owned()),
            format!("no nodes in the input: {sku:?} pool proposed for the Windows workloads, {PROPOSED_VM_SIZE}, count auto"),
        );
    }
    if drafts.iter().any(|d| needs(d).0 == Os::Linux) {
        pools.push(proposed_pool(
            "user",
            PoolMode::User,
            Os::Linux,
            Some(OsSku::Ubuntu),
        ));
        notes.push(
            NoteKind::FillIn,
            Subject::Pool("user".to_owned()),
            format!(
                "no nodes in the input: Linux user pool proposed, {PROPOSED_VM_SIZE}, count auto"
            ),
        );
    }
    Proposed { pools }
}

fn proposed_pool(name: &str, mode: PoolMode, os: Os, os_sku: Option<OsSku>) -> Pool {
    Pool {
        name: name.to_owned(),
        mode,
        os,
        os_sku,
        vm_size: VmSize::Named(PROPOSED_VM_SIZE.to_owned()),
        count: Some(Count::Auto),
        autoscale: None,
        max_pods: None,
        os_disk: None,
        zones: Vec::new(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        pre_pulled_images: Vec::new(),
        azure_hybrid_benefit: false,
        node_image: None,
        nodes: Vec::new(),
        existing: false,
        min_nodes: None,
        kubernetes_version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows_builds_from_label_kernel_or_image() {
        let l = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        let none = BTreeMap::new();
        assert_eq!(
            windows_build(&l(LABEL_WINDOWS_BUILD, "10.0.20348"), &json!({})).as_deref(),
            Some("10.0.20348")
        );
        assert_eq!(
            windows_build(&none, &json!({"kernelVersion": "10.0.17763.5576"})).as_deref(),
            Some("10.0.17763")
        );
        assert_eq!(
            windows_build(&none, &json!({"osImage": "Windows Server 2022 Datacenter"})).as_deref(),
            Some("10.0.20348")
        );
        assert_eq!(windows_build(&none, &json!({})), None);
    }

    #[test]
    fn os_skus() {
        assert_eq!(
            os_sku(Some("Ubuntu2204"), Os::Linux, None),
            Some(OsSku::Ubuntu)
        );
        assert_eq!(
            os_sku(Some("CBLMariner"), Os::Linux, None),
            Some(OsSku::AzureLinux)
        );
        assert_eq!(
            os_sku(Some("Windows2022"), Os::Windows, Some("10.0.17763")),
            Some(OsSku::Windows2019)
        );
        assert_eq!(
            os_sku(None, Os::Windows, Some("10.0.26100")),
            Some(OsSku::Windows2025)
        );
        assert_eq!(os_sku(None, Os::Linux, None), None);
    }

    #[test]
    fn kubelet_versions() {
        assert_eq!(parse_minor("v1.33.2"), Some((1, 33)));
        assert_eq!(parse_minor("v1.29.10-aks"), Some((1, 29)));
        assert_eq!(parse_minor("garbage"), None);
    }
}

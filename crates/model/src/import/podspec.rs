//! A Kubernetes pod spec (from a live pod or a controller's template) read into the parts
//! the scenario models: requests as the scheduler counts them, images, node selection,
//! tolerations, affinity, topology spread and priority. Every other field is recorded as
//! ignored.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ignored::Ignored;
use super::value::{self, arr, describe, expect_array, str_at, Loc, ResourceList};
use super::ImportError;
use crate::scenario::v1::{
    Affinity, NodeSelectorOperator, Os, Resources, TaintEffect, Toleration, TolerationOperator,
    TopologySpreadConstraint,
};
use crate::units::{Bytes, Cpu};

/// `kubernetes.io/os`, set by the kubelet on every node.
pub(crate) const LABEL_OS: &str = "kubernetes.io/os";
/// Deprecated spelling still found in old manifests.
pub(crate) const LABEL_OS_BETA: &str = "beta.kubernetes.io/os";
/// `node.kubernetes.io/windows-build`, `10.0.17763` (kubernetes.io labels reference).
pub(crate) const LABEL_WINDOWS_BUILD: &str = "node.kubernetes.io/windows-build";

/// Pod spec fields the scenario carries.
const KNOWN_POD_SPEC: &[&str] = &[
    "containers",
    "initContainers",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "priorityClassName",
    "priority",
    "overhead",
    "nodeName",
    "os",
    "resources",
];
/// Container fields the scenario carries.
const KNOWN_CONTAINER: &[&str] = &["name", "image", "resources", "restartPolicy"];
/// Container `resources` fields the scenario carries.
const KNOWN_RESOURCES: &[&str] = &["requests", "limits"];

/// What the scenario keeps of a pod spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PodTemplate {
    pub(crate) image: String,
    pub(crate) extra_images: Vec<String>,
    pub(crate) requests: Resources,
    pub(crate) limits: Option<Resources>,
    pub(crate) node_selector: BTreeMap<String, String>,
    pub(crate) tolerations: Vec<Toleration>,
    pub(crate) affinity: Option<Affinity>,
    pub(crate) topology_spread_constraints: Vec<TopologySpreadConstraint>,
    pub(crate) priority_class_name: Option<String>,
    pub(crate) priority: Option<i32>,
    pub(crate) node_name: Option<String>,
    /// The OS the spec pins, if any.
    pub(crate) os: Option<Os>,
    /// The Windows build the spec pins, `10.0.NNNNN`.
    pub(crate) windows_build: Option<String>,
}

/// Where a pod spec sits, for errors and the ignored-field record.
pub(crate) struct SpecCtx<'a> {
    pub(crate) loc: Loc<'a>,
    /// Kind of the enclosing object (`Deployment`, `Pod`).
    pub(crate) kind: &'a str,
    /// Path of the pod spec in the object, e.g. `spec.template.spec`.
    pub(crate) prefix: &'a str,
}

impl SpecCtx<'_> {
    fn at(&self) -> String {
        format!("{} {}", self.loc.source, self.loc.object())
    }
}

/// Reads a pod spec. With `ignored`, fields the scenario does not carry are recorded.
pub(crate) fn read_pod_spec(
    spec: &Value,
    cx: &SpecCtx,
    mut ignored: Option<&mut Ignored>,
) -> Result<PodTemplate, ImportError> {
    let p = cx.prefix;
    let Some(spec_map) = spec.as_object() else {
        return Err(cx.loc.invalid(
            p,
            format!("expected a pod spec object, found {}", describe(spec)),
        ));
    };
    if let Some(ig) = ignored.as_deref_mut() {
        record_unknown(spec_map, KNOWN_POD_SPEC, p, cx, ig);
    }

    let containers = arr(spec, "containers");
    expect_array(spec, "containers", &cx.loc, || format!("{p}.containers"))?;
    expect_array(spec, "initContainers", &cx.loc, || {
        format!("{p}.initContainers")
    })?;
    if containers.is_empty() {
        return Err(cx.loc.invalid(
            format!("{p}.containers"),
            "a pod needs at least one container",
        ));
    }
    let mut images: Vec<String> = Vec::new();
    for (field, list) in [
        ("containers", containers),
        ("initContainers", arr(spec, "initContainers")),
    ] {
        for (i, c) in list.iter().enumerate() {
            let image = str_at(c, "image")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    cx.loc.invalid(
                        format!("{p}.{field}[{i}].image"),
                        "a container needs an image",
                    )
                })?;
            super::reference::check(image)
                .map_err(|why| cx.loc.invalid(format!("{p}.{field}[{i}].image"), why))?;
            if !images.iter().any(|x| x == image) {
                images.push(image.to_owned());
            }
            if let (Some(ig), Some(m)) = (ignored.as_deref_mut(), c.as_object()) {
                let cp = format!("{p}.{field}[]");
                record_unknown(m, KNOWN_CONTAINER, &cp, cx, ig);
                if let Some(r) = m.get("resources").and_then(Value::as_object) {
                    record_unknown(r, KNOWN_RESOURCES, &format!("{cp}.resources"), cx, ig);
                }
            }
        }
    }
    let image = images.remove(0);

    let (requests, limits, others) = requests_and_limits(spec, cx)?;
    if let Some(ig) = ignored.as_deref_mut() {
        for name in others {
            ig.record(
                cx.kind,
                &format!("{p}.containers[].resources.requests.{name}"),
                || cx.at(),
            );
        }
    }

    let node_selector = value::string_map(spec, "nodeSelector", &cx.loc, || {
        format!("{p}.nodeSelector")
    })?;
    let tolerations = tolerations(spec, cx)?;
    let affinity: Option<Affinity> = match spec.get("affinity") {
        None | Some(Value::Null) => None,
        Some(a) => {
            let pruned = prune(
                a,
                &AFFINITY,
                &format!("{p}.affinity"),
                cx,
                ignored.as_deref_mut(),
            );
            let parsed: Affinity = typed(pruned, &format!("{p}.affinity"), cx)?;
            (parsed != Affinity::default()).then_some(parsed)
        }
    };
    let mut topology_spread_constraints = Vec::new();
    for (i, t) in arr(spec, "topologySpreadConstraints").iter().enumerate() {
        let path = format!("{p}.topologySpreadConstraints[{i}]");
        let pruned = prune(
            t,
            &TOPOLOGY_SPREAD,
            &format!("{p}.topologySpreadConstraints[]"),
            cx,
            ignored.as_deref_mut(),
        );
        topology_spread_constraints.push(typed(pruned, &path, cx)?);
    }
    let priority_class_name = str_at(spec, "priorityClassName")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let priority = match spec.get("priority") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| {
                    cx.loc
                        .invalid(format!("{p}.priority"), "expected a 32-bit integer")
                })?,
        ),
    };
    let node_name = str_at(spec, "nodeName")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);

    let os_field = match spec
        .get("os")
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
    {
        None => None,
        Some("linux") => Some(Os::Linux),
        Some("windows") => Some(Os::Windows),
        Some(other) => {
            return Err(cx.loc.invalid(
                format!("{p}.os.name"),
                format!("unknown OS '{other}': Kubernetes allows linux or windows"),
            ))
        }
    };
    let os = os_field.or_else(|| pinned_os(&node_selector, affinity.as_ref()));
    let windows_build = pinned_value(&node_selector, affinity.as_ref(), LABEL_WINDOWS_BUILD);

    Ok(PodTemplate {
        image,
        extra_images: images,
        requests,
        limits,
        node_selector,
        tolerations,
        affinity,
        topology_spread_constraints,
        priority_class_name,
        priority,
        node_name,
        os,
        windows_build,
    })
}

/// Only the pod's requests, for pods whose other fields are taken from a sibling.
pub(crate) fn pod_requests(spec: &Value, cx: &SpecCtx) -> Result<Resources, ImportError> {
    requests_and_limits(spec, cx).map(|(r, _, _)| r)
}

fn record_unknown(
    m: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
    cx: &SpecCtx,
    ig: &mut Ignored,
) {
    for (k, v) in m {
        if v.is_null() || known.contains(&k.as_str()) {
            continue;
        }
        ig.record(cx.kind, &format!("{prefix}.{k}"), || cx.at());
    }
}

/// One resource's amount in integer base units (millicores or bytes); `None` = not set.
type Amount = Option<u64>;

fn add(a: Amount, b: Amount) -> Amount {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

fn max(a: Amount, b: Amount) -> Amount {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
    }
}

/// cpu, memory, ephemeral-storage.
type Triple = [Amount; 3];

fn triple(r: &ResourceList) -> Triple {
    [
        r.cpu.map(|c| c.0),
        r.memory.map(|b| b.0),
        r.ephemeral_storage.map(|b| b.0),
    ]
}

fn add3(a: Triple, b: Triple) -> Triple {
    [add(a[0], b[0]), add(a[1], b[1]), add(a[2], b[2])]
}

fn max3(a: Triple, b: Triple) -> Triple {
    [max(a[0], b[0]), max(a[1], b[1]), max(a[2], b[2])]
}

fn to_resources(t: Triple) -> Resources {
    Resources {
        cpu: t[0].map(Cpu),
        memory: t[1].map(Bytes),
        ephemeral_storage: t[2].map(Bytes),
        pods: None,
    }
}

/// A container's requests after API defaulting: a resource with a limit and no request
/// gets request = limit (`SetDefaults_Pod`, kubernetes `pkg/apis/core/v1/defaults.go`).
fn container_requests(
    c: &Value,
    cx: &SpecCtx,
    field: &str,
    index: usize,
) -> Result<(Triple, Triple, Vec<String>), ImportError> {
    let empty = Value::Null;
    let res = c.get("resources").unwrap_or(&empty);
    let p = cx.prefix;
    let req = value::resource_list(res, "requests", &cx.loc, || {
        format!("{p}.{field}[{index}].resources.requests")
    })?
    .unwrap_or_default();
    let lim = value::resource_list(res, "limits", &cx.loc, || {
        format!("{p}.{field}[{index}].resources.limits")
    })?
    .unwrap_or_default();
    let r = triple(&req);
    let l = triple(&lim);
    let effective = [r[0].or(l[0]), r[1].or(l[1]), r[2].or(l[2])];
    let mut others = req.others;
    for o in lim.others {
        if !others.contains(&o) {
            others.push(o);
        }
    }
    Ok((effective, l, others))
}

/// The pod's requests as kube-scheduler counts them, its summed limits, and the names of
/// resources the scenario does not model.
///
/// Follows `PodRequests` in kubernetes `staging/src/k8s.io/component-helpers/resource/helpers.go`:
/// the sum of app containers and of restartable (sidecar) init containers, at least the
/// largest "init container plus the sidecars started before it", then pod-level
/// `spec.resources.requests` for cpu and memory when set, plus `spec.overhead`.
fn requests_and_limits(
    spec: &Value,
    cx: &SpecCtx,
) -> Result<(Resources, Option<Resources>, Vec<String>), ImportError> {
    let p = cx.prefix;
    let mut sum: Triple = [None; 3];
    let mut limit_sum: Triple = [None; 3];
    let mut limit_complete = [true; 3];
    let mut others: Vec<String> = Vec::new();
    for (i, c) in arr(spec, "containers").iter().enumerate() {
        let (r, l, o) = container_requests(c, cx, "containers", i)?;
        sum = add3(sum, r);
        for k in 0..3 {
            if l[k].is_none() {
                limit_complete[k] = false;
            }
        }
        limit_sum = add3(limit_sum, l);
        others.extend(o);
    }
    let mut sidecars: Triple = [None; 3];
    let mut init_max: Triple = [None; 3];
    for (i, c) in arr(spec, "initContainers").iter().enumerate() {
        let (r, _, o) = container_requests(c, cx, "initContainers", i)?;
        others.extend(o);
        let restartable = str_at(c, "restartPolicy") == Some("Always");
        let use_while_running = if restartable {
            sum = add3(sum, r);
            sidecars = add3(sidecars, r);
            sidecars
        } else {
            add3(r, sidecars)
        };
        init_max = max3(init_max, use_while_running);
    }
    let mut total = max3(sum, init_max);
    if let Some(pod_level) = value::resource_list(
        spec.get("resources").unwrap_or(&Value::Null),
        "requests",
        &cx.loc,
        || format!("{p}.resources.requests"),
    )? {
        // Pod-level resources cover cpu and memory only (IsSupportedPodLevelResource).
        if let Some(c) = pod_level.cpu {
            total[0] = Some(c.0);
        }
        if let Some(m) = pod_level.memory {
            total[1] = Some(m.0);
        }
    }
    if let Some(overhead) =
        value::resource_list(spec, "overhead", &cx.loc, || format!("{p}.overhead"))?
    {
        total = add3(total, triple(&overhead));
    }
    let limits = [
        limit_sum[0].filter(|_| limit_complete[0]),
        limit_sum[1].filter(|_| limit_complete[1]),
        limit_sum[2].filter(|_| limit_complete[2]),
    ];
    let limits = (limits != [None; 3]).then(|| to_resources(limits));
    others.sort();
    others.dedup();
    Ok((to_resources(total), limits, others))
}

fn tolerations(spec: &Value, cx: &SpecCtx) -> Result<Vec<Toleration>, ImportError> {
    let p = cx.prefix;
    expect_array(spec, "tolerations", &cx.loc, || format!("{p}.tolerations"))?;
    let mut out = Vec::new();
    for (i, t) in arr(spec, "tolerations").iter().enumerate() {
        let path = || format!("{p}.tolerations[{i}]");
        if !t.is_object() {
            return Err(cx
                .loc
                .invalid(path(), format!("expected an object, found {}", describe(t))));
        }
        let operator = match str_at(t, "operator") {
            None | Some("") | Some("Equal") => TolerationOperator::Equal,
            Some("Exists") => TolerationOperator::Exists,
            Some(other) => {
                return Err(cx.loc.invalid(
                    format!("{}.operator", path()),
                    format!("unknown operator '{other}': use Equal or Exists"),
                ))
            }
        };
        let effect = match str_at(t, "effect") {
            None | Some("") => None,
            Some("NoSchedule") => Some(TaintEffect::NoSchedule),
            Some("PreferNoSchedule") => Some(TaintEffect::PreferNoSchedule),
            Some("NoExecute") => Some(TaintEffect::NoExecute),
            Some(other) => {
                return Err(cx.loc.invalid(
                    format!("{}.effect", path()),
                    format!(
                        "unknown effect '{other}': use NoSchedule, PreferNoSchedule or NoExecute"
                    ),
                ))
            }
        };
        let toleration_seconds = match t.get("tolerationSeconds") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                cx.loc.invalid(
                    format!("{}.tolerationSeconds", path()),
                    "expected an integer",
                )
            })?),
        };
        out.push(Toleration {
            key: str_at(t, "key").unwrap_or("").to_owned(),
            operator,
            value: str_at(t, "value").unwrap_or("").to_owned(),
            effect,
            toleration_seconds,
        });
    }
    Ok(out)
}

/// Field trees the scenario's affinity and spread types carry; anything else in the input
/// is recorded as ignored before the typed read.
#[derive(Debug)]
pub(crate) enum Shape {
    Any,
    Obj(&'static [(&'static str, Shape)]),
    List(&'static Shape),
}

pub(crate) const LABEL_SELECTOR: Shape = Shape::Obj(&[
    ("matchLabels", Shape::Any),
    (
        "matchExpressions",
        Shape::List(&Shape::Obj(&[
            ("key", Shape::Any),
            ("operator", Shape::Any),
            ("values", Shape::Any),
        ])),
    ),
]);
const NODE_SELECTOR_REQUIREMENTS: Shape = Shape::List(&Shape::Obj(&[
    ("key", Shape::Any),
    ("operator", Shape::Any),
    ("values", Shape::Any),
]));
const NODE_SELECTOR_TERM: Shape = Shape::Obj(&[
    ("matchExpressions", NODE_SELECTOR_REQUIREMENTS),
    ("matchFields", NODE_SELECTOR_REQUIREMENTS),
]);
const POD_AFFINITY_TERM: Shape = Shape::Obj(&[
    ("labelSelector", LABEL_SELECTOR),
    ("namespaces", Shape::Any),
    ("namespaceSelector", LABEL_SELECTOR),
    ("topologyKey", Shape::Any),
    ("matchLabelKeys", Shape::Any),
    ("mismatchLabelKeys", Shape::Any),
]);
const POD_AFFINITY: Shape = Shape::Obj(&[
    (
        "requiredDuringSchedulingIgnoredDuringExecution",
        Shape::List(&POD_AFFINITY_TERM),
    ),
    (
        "preferredDuringSchedulingIgnoredDuringExecution",
        Shape::List(&Shape::Obj(&[
            ("weight", Shape::Any),
            ("podAffinityTerm", POD_AFFINITY_TERM),
        ])),
    ),
]);
const AFFINITY: Shape = Shape::Obj(&[
    (
        "nodeAffinity",
        Shape::Obj(&[
            (
                "requiredDuringSchedulingIgnoredDuringExecution",
                Shape::Obj(&[("nodeSelectorTerms", Shape::List(&NODE_SELECTOR_TERM))]),
            ),
            (
                "preferredDuringSchedulingIgnoredDuringExecution",
                Shape::List(&Shape::Obj(&[
                    ("weight", Shape::Any),
                    ("preference", NODE_SELECTOR_TERM),
                ])),
            ),
        ]),
    ),
    ("podAffinity", POD_AFFINITY),
    ("podAntiAffinity", POD_AFFINITY),
]);
const TOPOLOGY_SPREAD: Shape = Shape::Obj(&[
    ("maxSkew", Shape::Any),
    ("topologyKey", Shape::Any),
    ("whenUnsatisfiable", Shape::Any),
    ("labelSelector", LABEL_SELECTOR),
    ("minDomains", Shape::Any),
    ("nodeAffinityPolicy", Shape::Any),
    ("nodeTaintsPolicy", Shape::Any),
    ("matchLabelKeys", Shape::Any),
]);

/// Copies `v` keeping only the fields `shape` knows, dropping nulls, and records the others.
pub(crate) fn prune(
    v: &Value,
    shape: &Shape,
    path: &str,
    cx: &SpecCtx,
    mut ignored: Option<&mut Ignored>,
) -> Value {
    match (shape, v) {
        (Shape::Obj(fields), Value::Object(m)) => {
            let mut out = Map::new();
            for (k, x) in m {
                if x.is_null() {
                    continue;
                }
                match fields.iter().find(|(name, _)| name == k) {
                    Some((_, inner)) => {
                        let child =
                            prune(x, inner, &format!("{path}.{k}"), cx, ignored.as_deref_mut());
                        out.insert(k.clone(), child);
                    }
                    None => {
                        if let Some(ig) = ignored.as_deref_mut() {
                            ig.record(cx.kind, &format!("{path}.{k}"), || cx.at());
                        }
                    }
                }
            }
            Value::Object(out)
        }
        (Shape::List(inner), Value::Array(a)) => Value::Array(
            a.iter()
                .map(|x| prune(x, inner, &format!("{path}[]"), cx, ignored.as_deref_mut()))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// Reads a pruned value into a scenario type, with the failing field's path in the error.
pub(crate) fn typed<T: DeserializeOwned>(
    v: Value,
    path: &str,
    cx: &SpecCtx,
) -> Result<T, ImportError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = e.path().to_string();
        let full = if inner == "." {
            path.to_owned()
        } else {
            format!("{path}.{inner}")
        };
        cx.loc.invalid(full, e.into_inner().to_string())
    })
}

/// The OS a pod is pinned to by its nodeSelector or by every required node-affinity term.
fn pinned_os(selector: &BTreeMap<String, String>, affinity: Option<&Affinity>) -> Option<Os> {
    let v = pinned_value(selector, affinity, LABEL_OS)
        .or_else(|| pinned_value(selector, affinity, LABEL_OS_BETA))?;
    match v.as_str() {
        "linux" => Some(Os::Linux),
        "windows" => Some(Os::Windows),
        _ => None,
    }
}

/// The single value a label `key` must have on the pod's node: from the nodeSelector, or
/// when every required node-affinity term says `key In [v]` with the same single `v`.
pub(crate) fn pinned_value(
    selector: &BTreeMap<String, String>,
    affinity: Option<&Affinity>,
    key: &str,
) -> Option<String> {
    if let Some(v) = selector.get(key) {
        return Some(v.clone());
    }
    let terms = &affinity?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    let mut found: Option<&str> = None;
    for term in terms {
        let v = term.match_expressions.iter().find_map(|r| {
            (r.key == key && r.operator == NodeSelectorOperator::In && r.values.len() == 1)
                .then(|| r.values[0].as_str())
        })?;
        match found {
            None => found = Some(v),
            Some(f) if f == v => {}
            Some(_) => return None,
        }
    }
    found.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx() -> SpecCtx<'static> {
        SpecCtx {
            loc: Loc {
                source: "t.yaml",
                place: super::super::value::Place::Document(1),
                kind: "Pod",
                namespace: "",
                name: "p",
            },
            kind: "Pod",
            prefix: "spec",
        }
    }

    fn req(spec: Value) -> Resources {
        pod_requests(&spec, &cx()).unwrap()
    }

    #[test]
    fn requests_as_the_scheduler_counts_them() {
        struct Case {
            name: &'static str,
            spec: Value,
            cpu: Option<u64>,
            mem: Option<u64>,
        }
        let mi = 1u64 << 20;
        let cases = [
            Case {
                name: "sum of containers",
                spec: json!({"containers": [
                    {"image": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                    {"image": "b", "resources": {"requests": {"cpu": "250m"}}}]}),
                cpu: Some(350),
                mem: Some(64 * mi),
            },
            Case {
                name: "largest init container wins over a smaller sum (Cilium agent)",
                spec: json!({"containers": [{"image": "agent"}],
                    "initContainers": [
                        {"image": "i1", "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}},
                        {"image": "i2", "resources": {"requests": {"cpu": "50m"}}}]}),
                cpu: Some(100),
                mem: Some(100 * mi),
            },
            Case {
                name: "limits only: request = limit",
                spec: json!({"containers": [
                    {"image": "a", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}},
                    {"image": "b", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "250m", "memory": "100Mi"}}}]}),
                cpu: Some(600),
                mem: Some(1024 * mi + 100 * mi),
            },
            Case {
                name: "sidecars add to the sum and to later init containers",
                spec: json!({"containers": [{"image": "a", "resources": {"requests": {"cpu": "100m"}}}],
                    "initContainers": [
                        {"image": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
                        {"image": "i", "resources": {"requests": {"cpu": "200m"}}}]}),
                // sum = 100 + 50 = 150; init use = 200 + 50 = 250
                cpu: Some(250),
                mem: None,
            },
            Case {
                name: "overhead added (RuntimeClass)",
                spec: json!({"containers": [{"image": "a", "resources": {"requests": {"cpu": "1"}}}],
                    "overhead": {"cpu": "250m", "memory": "120Mi"}}),
                cpu: Some(1250),
                mem: Some(120 * mi),
            },
            Case {
                name: "pod-level requests replace cpu and memory",
                spec: json!({"containers": [{"image": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
                    "resources": {"requests": {"cpu": "2"}}}),
                cpu: Some(2000),
                mem: Some(1024 * mi),
            },
            Case {
                name: "nothing requested",
                spec: json!({"containers": [{"image": "a"}]}),
                cpu: None,
                mem: None,
            },
        ];
        for c in cases {
            let r = req(c.spec);
            assert_eq!(r.cpu.map(|x| x.0), c.cpu, "{}", c.name);
            assert_eq!(r.memory.map(|x| x.0), c.mem, "{}", c.name);
        }
    }

    #[test]
    fn reads_selection_and_records_ignored_fields() {
        let spec = json!({
            "containers": [{"name": "web", "image": "web:1", "ports": [{"containerPort": 80}],
                            "livenessProbe": {}, "resources": {"requests": {"cpu": "1", "nvidia.com/gpu": "1"}}}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "nodeSelector": {"kubernetes.io/os": "windows"},
            "tolerations": [{"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"},
                            {"operator": "Exists"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "node.kubernetes.io/windows-build", "operator": "In", "values": ["10.0.20348"]}]}]}}},
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}, "futureField": 1}],
            "priorityClassName": "high",
            "volumes": [],
            "serviceAccountName": "web"
        });
        let mut ig = Ignored::default();
        let t = read_pod_spec(&spec, &cx(), Some(&mut ig)).unwrap();
        assert_eq!(t.image, "web:1");
        assert_eq!(t.extra_images, vec!["busybox".to_owned()]);
        assert_eq!(t.os, Some(Os::Windows));
        assert_eq!(t.windows_build.as_deref(), Some("10.0.20348"));
        assert_eq!(t.tolerations.len(), 2);
        assert_eq!(t.tolerations[1].operator, TolerationOperator::Exists);
        assert_eq!(t.topology_spread_constraints[0].max_skew, 1);
        assert_eq!(t.priority_class_name.as_deref(), Some("high"));
        let paths: Vec<String> = ig.into_vec().into_iter().map(|f| f.path).collect();
        for want in [
            "spec.containers[].ports",
            "spec.containers[].livenessProbe",
            "spec.containers[].resources.requests.nvidia.com/gpu",
            "spec.topologySpreadConstraints[].futureField",
            "spec.volumes",
            "spec.serviceAccountName",
        ] {
            assert!(paths.iter().any(|p| p == want), "{want} not in {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.contains("nodeSelector")));
    }

    #[test]
    fn invalid_fields_are_located() {
        let cases = [
            (json!({"containers": []}), "spec.containers"),
            (json!({"containers": [{"name": "x"}]}), "spec.containers[0].image"),
            (json!({"containers": [{"image": "a", "resources": {"requests": {"memory": "lots"}}}]}),
             "spec.containers[0].resources.requests.memory"),
            (json!({"containers": [{"image": "a"}], "tolerations": [{"operator": "Maybe"}]}),
             "spec.tolerations[0].operator"),
            (json!({"containers": [{"image": "a"}], "affinity": {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "k", "operator": "Near"}]}]}}}}),
             "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"),
            (json!({"containers": [{"image": "a"}], "os": {"name": "plan9"}}), "spec.os.name"),
        ];
        for (spec, path) in cases {
            match read_pod_spec(&spec, &cx(), None) {
                Err(ImportError::Invalid { path: p, .. }) => assert_eq!(p, path),
                other => panic!("{path}: {other:?}"),
            }
        }
    }
}

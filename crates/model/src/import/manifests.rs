//! Kubernetes manifests (multi-document YAML or JSON, Helm-rendered output included) read
//! into workloads, PriorityClasses and PodDisruptionBudgets. Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob (as a Job) and Pod are workloads; other kinds and
//! unmodelled fields are recorded as ignored.

use serde::Deserialize;
use serde_json::Value;

use super::cluster::ClusterInfo;
use super::ignored::Ignored;
use super::podspec::{self, SpecCtx, LABEL_SELECTOR};
use super::value::{self, arr, describe, str_at, Loc, Place};
use super::{Draft, ImportError, ManifestSource, Names, NoteKind, Notes, Origin, Subject};
use crate::scenario::v1::{
    DisruptionBudget, IntOrPercent, LabelSelector, PreemptionPolicy, PriorityClass, Workload,
    WorkloadKind,
};

/// What the manifests held.
#[derive(Debug, Default)]
pub(crate) struct ManifestsOut {
    pub(crate) workloads: Vec<Draft>,
    pub(crate) priority_classes: Vec<PriorityClass>,
    pub(crate) disruption_budgets: Vec<DisruptionBudget>,
}

/// One parsed document with where it came from.
struct Doc<'a> {
    source: &'a str,
    place: Place,
    value: Value,
}

/// Parses every source into documents: JSON when the text starts with `{` or `[`, else
/// multi-document YAML. Empty documents (Helm emits them for disabled templates) are skipped.
fn parse(src: &ManifestSource) -> Result<Vec<Doc<'_>>, ImportError> {
    let text = src.text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    let mut docs = Vec::new();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(text).map_err(|e| ImportError::Json {
            source_name: src.name.clone(),
            line: e.line(),
            column: e.column(),
            message: json_message(&e),
        })?;
        match v {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    docs.push(Doc {
                        source: &src.name,
                        place: Place::Item(i),
                        value: item,
                    });
                }
            }
            other => docs.push(Doc {
                source: &src.name,
                place: Place::Whole,
                value: other,
            }),
        }
        return Ok(docs);
    }
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(de).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            ImportError::Yaml {
                source_name: src.name.clone(),
                document: i + 1,
                line,
                column,
                message: yaml_message(&e),
            }
        })?;
        if v.is_null() {
            continue;
        }
        docs.push(Doc {
            source: &src.name,
            place: Place::Document(i + 1),
            value: v,
        });
    }
    Ok(docs)
}

/// serde_json's message without its trailing " at line L column C" (the error has them).
fn json_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m,
    }
}

/// serde_yaml_ng's message without its " at line L column C" (the error has them).
fn yaml_message(e: &serde_yaml_ng::Error) -> String {
    let m = e.to_string();
    let Some(start) = m.find(" at line ") else {
        return m;
    };
    let rest = &m[start + " at line ".len()..];
    let after_line = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let after = after_line
        .strip_prefix(" column ")
        .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()))
        .unwrap_or(after_line);
    format!("{}{}", &m[..start], after)
}

/// Reads all manifest sources, in order.
pub(crate) fn read_all(
    sources: &[ManifestSource],
    cluster: &ClusterInfo,
    names: &mut Names,
    ignored: &mut Ignored,
    notes: &mut Notes,
) -> Result<ManifestsOut, ImportError> {
    let mut out = ManifestsOut::default();
    for src in sources {
        for doc in parse(src)? {
            read_doc(
                &doc.value, doc.source, doc.place, cluster, names, ignored, notes, &mut out, true,
            )?;
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn read_doc(
    v: &Value,
    source: &str,
    place: Place,
    cluster: &ClusterInfo,
    names: &mut Names,
    ignored: &mut Ignored,
    notes: &mut Notes,
    out: &mut ManifestsOut,
    allow_list: bool,
) -> Result<(), ImportError> {
    let base = Loc {
        source,
        place,
        kind: "object",
        namespace: "",
        name: "?",
    };
    if !v.is_object() {
        return Err(base.invalid(
            "",
            format!("expected a Kubernetes object, found {}", describe(v)),
        ));
    }
    let Some(kind) = str_at(v, "kind") else {
        return Err(base.invalid("kind", "missing: every manifest needs apiVersion and kind"));
    };
    if allow_list && kind.ends_with("List") && v.get("items").is_some() {
        for (i, item) in arr(v, "items").iter().enumerate() {
            let item_place = match place {
                Place::Document(_) | Place::Whole => Place::Item(i),
                Place::Item(_) => Place::Item(i),
            };
            read_doc(
                item, source, item_place, cluster, names, ignored, notes, out, false,
            )?;
        }
        return Ok(());
    }
    let meta = v.get("metadata").unwrap_or(&Value::Null);
    let name = str_at(meta, "name").filter(|s| !s.is_empty());
    let namespace = str_at(meta, "namespace").unwrap_or("");
    let loc = Loc {
        kind,
        namespace,
        name: name.unwrap_or("?"),
        ..base
    };
    let at = || format!("{source} {}", loc.object());
    let Some(name) = name else {
        return Err(loc.invalid("metadata.name", "missing"));
    };

    let (wkind, template_path, known_spec): (WorkloadKind, &[&str], &[&str]) = match kind {
        "Deployment" => (
            WorkloadKind::Deployment,
            &["spec", "template"],
            &["replicas", "selector", "template"],
        ),
        "StatefulSet" => (
            WorkloadKind::StatefulSet,
            &["spec", "template"],
            &["replicas", "selector", "template"],
        ),
        "ReplicaSet" => (
            WorkloadKind::Deployment,
            &["spec", "template"],
            &["replicas", "selector", "template"],
        ),
        "DaemonSet" => (
            WorkloadKind::DaemonSet,
            &["spec", "template"],
            &["selector", "template"],
        ),
        "Job" => (
            WorkloadKind::Job,
            &["spec", "template"],
            &["parallelism", "completions", "selector", "template"],
        ),
        "CronJob" => (
            WorkloadKind::Job,
            &["spec", "jobTemplate", "spec", "template"],
            &["jobTemplate"],
        ),
        "Pod" => (WorkloadKind::Pod, &[], &[]),
        "PriorityClass" => {
            out.priority_classes
                .push(priority_class(v, &loc, name, ignored, &at)?);
            return Ok(());
        }
        "PodDisruptionBudget" => {
            out.disruption_budgets
                .push(disruption_budget(v, &loc, name, namespace, ignored, &at)?);
            return Ok(());
        }
        other => {
            ignored.record(other, "(whole object: kind not modelled)", at);
            return Ok(());
        }
    };

    record_unknown_keys(
        v,
        &["apiVersion", "kind", "metadata", "spec"],
        "",
        kind,
        ignored,
        &at,
    );
    record_unknown_keys(
        meta,
        &["name", "namespace", "labels"],
        "metadata",
        kind,
        ignored,
        &at,
    );

    // The pod template (or the Pod itself) and the path to its spec.
    let (template, spec_prefix) = if wkind == WorkloadKind::Pod {
        (v, "spec".to_owned())
    } else {
        let spec = v.get("spec").unwrap_or(&Value::Null);
        record_unknown_keys(spec, known_spec, "spec", kind, ignored, &at);
        let mut t = v;
        for step in template_path {
            t = t
                .get(*step)
                .ok_or_else(|| loc.invalid(template_path.join("."), "missing pod template"))?;
        }
        if kind == "CronJob" {
            let job_spec = v
                .get("spec")
                .and_then(|s| s.get("jobTemplate"))
                .and_then(|j| j.get("spec"));
            if let Some(js) = job_spec {
                record_unknown_keys(
                    js,
                    &["parallelism", "completions", "selector", "template"],
                    "spec.jobTemplate.spec",
                    kind,
                    ignored,
                    &at,
                );
            }
        }
        let tpath = template_path.join(".");
        let tmeta = t.get("metadata").unwrap_or(&Value::Null);
        record_unknown_keys(t, &["metadata", "spec"], &tpath, kind, ignored, &at);
        record_unknown_keys(
            tmeta,
            &["labels"],
            &format!("{tpath}.metadata"),
            kind,
            ignored,
            &at,
        );
        (t, format!("{tpath}.spec"))
    };
    let labels_path = match spec_prefix.strip_suffix(".spec") {
        Some(t) => format!("{t}.metadata.labels"),
        None => "metadata.labels".to_owned(),
    };
    let labels = value::string_map(
        template.get("metadata").unwrap_or(&Value::Null),
        "labels",
        &loc,
        || labels_path.clone(),
    )?;
    let pod_spec = template
        .get("spec")
        .ok_or_else(|| loc.invalid(spec_prefix.clone(), "missing pod spec"))?;
    let cx = SpecCtx {
        loc,
        kind,
        prefix: &spec_prefix,
    };
    let t = podspec::read_pod_spec(pod_spec, &cx, Some(ignored))?;

    let spec = v.get("spec").unwrap_or(&Value::Null);
    let count = |field: &str, base: &Value, path: &str| -> Result<Option<u32>, ImportError> {
        match base.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    loc.invalid(
                        format!("{path}.{field}"),
                        format!("expected a count, found {x}"),
                    )
                }),
        }
    };
    let wname = names.workload(
        name,
        if namespace.is_empty() {
            "default"
        } else {
            namespace
        },
    );
    let subject = || Subject::Workload(wname.clone());
    if wname != name {
        notes.push(
            NoteKind::Warning,
            subject(),
            format!("{kind} {name} from {source}: the name is already taken (a running workload or another manifest), so it is imported as {wname}"),
        );
    }
    let replicas = match kind {
        // Kubernetes defaults spec.replicas to 1.
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            Some(count("replicas", spec, "spec")?.unwrap_or(1))
        }
        "Job" | "CronJob" => {
            let (job_spec, path) = if kind == "CronJob" {
                (
                    spec.get("jobTemplate")
                        .and_then(|j| j.get("spec"))
                        .unwrap_or(&Value::Null),
                    "spec.jobTemplate.spec",
                )
            } else {
                (spec, "spec")
            };
            let parallelism = count("parallelism", job_spec, path)?.unwrap_or(1);
            let completions = count("completions", job_spec, path)?;
            let running = completions.map_or(parallelism, |c| c.min(parallelism));
            if let Some(c) = completions.filter(|c| *c > parallelism) {
                notes.push(
                    NoteKind::Warning,
                    subject(),
                    format!("completions {c} > parallelism {parallelism}: the scenario runs one wave of {running} pods"),
                );
            }
            notes.push(
                NoteKind::FillIn,
                subject(),
                "duration: how long each Job pod runs is not in the manifest".to_owned(),
            );
            Some(running)
        }
        "Pod" => Some(1),
        _ => None,
    };
    if kind == "CronJob" {
        notes.push(
            NoteKind::Inferred,
            subject(),
            "CronJob imported as one run of its Job; the schedule is not simulated".to_owned(),
        );
    }
    if kind == "ReplicaSet" {
        notes.push(
            NoteKind::Inferred,
            subject(),
            "ReplicaSet imported as a Deployment with the same pods".to_owned(),
        );
    }
    let mut bound_to = Vec::new();
    if let Some(node) = &t.node_name {
        if cluster.node_index.contains_key(node) {
            bound_to.push(node.clone());
        } else {
            notes.push(
                NoteKind::Warning,
                subject(),
                format!(
                    "spec.nodeName {node} is not a node of the dump; the pod is scheduled instead"
                ),
            );
        }
    }
    let workload = Workload {
        name: wname.clone(),
        kind: wkind,
        namespace: (!namespace.is_empty()).then(|| namespace.to_owned()),
        replicas,
        image: t.image,
        extra_images: t.extra_images,
        labels,
        requests: t.requests,
        limits: t.limits,
        node_selector: t.node_selector,
        tolerations: t.tolerations,
        affinity: t.affinity,
        topology_spread_constraints: t.topology_spread_constraints,
        priority_class_name: t.priority_class_name,
        io: None,
        startup: None,
        arrival: None,
        duration: None,
        bound_to,
    };
    out.workloads.push(Draft {
        workload,
        origin: Origin::Manifest,
        os: t.os,
        windows_build: t.windows_build,
    });
    Ok(())
}

fn record_unknown_keys(
    v: &Value,
    known: &[&str],
    prefix: &str,
    kind: &str,
    ignored: &mut Ignored,
    at: &dyn Fn() -> String,
) {
    let Some(m) = v.as_object() else { return };
    for (k, x) in m {
        if x.is_null() || known.contains(&k.as_str()) {
            continue;
        }
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        ignored.record(kind, &path, at);
    }
}

fn priority_class(
    v: &Value,
    loc: &Loc,
    name: &str,
    ignored: &mut Ignored,
    at: &dyn Fn() -> String,
) -> Result<PriorityClass, ImportError> {
    record_unknown_keys(
        v,
        &[
            "apiVersion",
            "kind",
            "metadata",
            "value",
            "globalDefault",
            "preemptionPolicy",
            "description",
        ],
        "",
        "PriorityClass",
        ignored,
        at,
    );
    let value = v
        .get("value")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| loc.invalid("value", "expected a 32-bit integer priority"))?;
    let preemption_policy = match str_at(v, "preemptionPolicy") {
        None => None,
        Some("PreemptLowerPriority") => Some(PreemptionPolicy::PreemptLowerPriority),
        Some("Never") => Some(PreemptionPolicy::Never),
        Some(other) => {
            return Err(loc.invalid(
                "preemptionPolicy",
                format!("unknown policy '{other}': use PreemptLowerPriority or Never"),
            ))
        }
    };
    Ok(PriorityClass {
        name: name.to_owned(),
        value,
        global_default: v
            .get("globalDefault")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        preemption_policy,
        description: str_at(v, "description").map(str::to_owned),
    })
}

fn disruption_budget(
    v: &Value,
    loc: &Loc,
    name: &str,
    namespace: &str,
    ignored: &mut Ignored,
    at: &dyn Fn() -> String,
) -> Result<DisruptionBudget, ImportError> {
    let kind = "PodDisruptionBudget";
    record_unknown_keys(
        v,
        &["apiVersion", "kind", "metadata", "spec"],
        "",
        kind,
        ignored,
        at,
    );
    let spec = v.get("spec").unwrap_or(&Value::Null);
    record_unknown_keys(
        spec,
        &["selector", "minAvailable", "maxUnavailable"],
        "spec",
        kind,
        ignored,
        at,
    );
    let cx = SpecCtx {
        loc: *loc,
        kind,
        prefix: "spec",
    };
    let selector: LabelSelector = match spec.get("selector") {
        None | Some(Value::Null) => LabelSelector::default(),
        Some(s) => {
            let pruned = podspec::prune(s, &LABEL_SELECTOR, "spec.selector", &cx, Some(ignored));
            podspec::typed(pruned, "spec.selector", &cx)?
        }
    };
    let int_or_percent = |field: &str| -> Result<Option<IntOrPercent>, ImportError> {
        match spec.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.ends_with('%') => {
                Ok(Some(IntOrPercent::Percent(s.clone())))
            }
            Some(x) => x
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(|n| Some(IntOrPercent::Int(n)))
                .ok_or_else(|| {
                    loc.invalid(
                        format!("spec.{field}"),
                        format!("expected a count or a percentage, found {x}"),
                    )
                }),
        }
    };
    Ok(DisruptionBudget {
        name: name.to_owned(),
        namespace: (!namespace.is_empty()).then(|| namespace.to_owned()),
        selector,
        min_available: int_or_percent("minAvailable")?,
        max_unavailable: int_or_percent("maxUnavailable")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> ManifestSource {
        ManifestSource {
            name: "m.yaml".to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn yaml_errors_name_document_and_line() {
        let text = "apiVersion: v1\nkind: Pod\n---\nkind: Deployment\nmetadata: {name: [x\n";
        match parse(&src(text)) {
            Err(ImportError::Yaml { document, line, .. }) => {
                assert_eq!(document, 2);
                assert!(line >= 5, "line {line}");
            }
            other => panic!("{other:?}", other = other.map(|d| d.len())),
        }
    }

    #[test]
    fn truncated_json_is_located() {
        let text = "{\n  \"kind\": \"Deployment\",\n  \"metadata\": {\"name\": \"x\"";
        match parse(&src(text)) {
            Err(ImportError::Json { line, message, .. }) => {
                assert_eq!(line, 3);
                assert!(message.contains("EOF"), "{message}");
            }
            other => panic!("{:?}", other.map(|d| d.len())),
        }
    }

    #[test]
    fn empty_documents_are_skipped() {
        let text = "---\n# Source: chart/templates/disabled.yaml\n---\nkind: Pod\n---\n";
        let source = src(text);
        let docs = parse(&source).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].place, Place::Document(2));
    }
}

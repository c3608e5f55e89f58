//! The pod side of a cluster dump: running pods grouped by their controller into workloads,
//! each replica bound to the node it runs on now.
//!
//! Grouping follows the owner references: a ReplicaSet's pods belong to its Deployment (from
//! the ReplicaSet object when the dump has it, else from the `pod-template-hash` suffix the
//! Deployment controller gives ReplicaSet names); a Deployment caught mid-rollout keeps one
//! workload per ReplicaSet, because the two templates differ.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cluster::{controller_of, ClusterInfo, Object, Objects};
use super::ignored::Ignored;
use super::podspec::{self, PodTemplate, SpecCtx};
use super::{Draft, ImportError, Names, NoteKind, Notes, Origin, Subject};
use crate::scenario::v1::{NodeSelector, Resources, Workload, WorkloadKind};

/// Labels that differ per pod or per template revision; they never become workload labels.
const PER_POD_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "batch.kubernetes.io/job-completion-index",
];
/// The field the DaemonSet controller pins each pod to its node with.
const FIELD_NODE_NAME: &str = "metadata.name";

/// Result of the pod pass.
pub(crate) struct PodsOut {
    pub(crate) drafts: Vec<Draft>,
    /// Whether any kube-system pod became a workload.
    pub(crate) imported_system_pods: bool,
}

/// Who controls a group of pods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey<'a> {
    namespace: &'a str,
    kind: WorkloadKind,
    /// Controller name (Deployment, StatefulSet, ...), or the pod's own name.
    name: &'a str,
    /// The ReplicaSet of a Deployment, which fixes one pod template.
    template: Option<&'a str>,
}

/// Builds workloads from the dump's running and pending pods.
pub(crate) fn build_workloads(
    objects: &Objects,
    cluster: &ClusterInfo,
    names: &mut Names,
    ignored: &mut Ignored,
    notes: &mut Notes,
) -> Result<PodsOut, ImportError> {
    let mut groups: BTreeMap<GroupKey, Vec<&Object>> = BTreeMap::new();
    let mut finished = 0usize;
    for p in &objects.pods {
        let phase =
            p.v.get("status")
                .and_then(|s| s.get("phase"))
                .and_then(Value::as_str);
        // Succeeded and Failed pods hold no resources: the scheduler's NodeInfo skips
        // terminated pods.
        if matches!(phase, Some("Succeeded") | Some("Failed")) {
            finished += 1;
            continue;
        }
        let key = group_key(p, objects, notes);
        groups.entry(key).or_default().push(p);
    }
    if finished > 0 {
        notes.push(
            NoteKind::Inferred,
            Subject::Scenario,
            format!(
                "{finished} finished pod(s) (Succeeded or Failed) left out: they hold no resources"
            ),
        );
    }

    let mut templates_per_controller: BTreeMap<(&str, WorkloadKind, &str), usize> = BTreeMap::new();
    for k in groups.keys() {
        *templates_per_controller
            .entry((k.namespace, k.kind, k.name))
            .or_default() += 1;
    }

    let mut out = PodsOut {
        drafts: Vec::with_capacity(groups.len()),
        imported_system_pods: false,
    };
    let mut unknown_nodes = 0usize;
    for (key, mut pods) in groups {
        pods.sort_by(|a, b| a.name.cmp(b.name));
        let rollout = templates_per_controller[&(key.namespace, key.kind, key.name)] > 1;
        let wanted = match (rollout, key.template) {
            (true, Some(rs)) => rs.to_owned(),
            _ => key.name.to_owned(),
        };
        let name = names.workload(&wanted, key.namespace);
        let subject = || Subject::Workload(name.clone());
        if rollout {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!(
                    "{} {} is mid-rollout: one workload per ReplicaSet, this is {}",
                    kind_name(key.kind),
                    key.name,
                    key.template.unwrap_or("?")
                ),
            );
        }

        let rep = pods[0];
        let rep_loc = rep.loc();
        let spec = rep.v.get("spec").unwrap_or(&Value::Null);
        let cx = SpecCtx {
            loc: rep_loc,
            kind: "Pod",
            prefix: "spec",
        };
        let mut t: PodTemplate = podspec::read_pod_spec(spec, &cx, Some(ignored))?;
        if key.kind == WorkloadKind::DaemonSet {
            strip_daemonset_node_pin(&mut t);
        }

        let mut requests = t.requests;
        let mut differ = false;
        let mut bound_to = Vec::new();
        let mut node_os = None;
        for p in &pods {
            if !std::ptr::eq(*p, rep) {
                let pspec = p.v.get("spec").unwrap_or(&Value::Null);
                let pcx = SpecCtx {
                    loc: p.loc(),
                    kind: "Pod",
                    prefix: "spec",
                };
                let r = podspec::pod_requests(pspec, &pcx)?;
                if r != requests {
                    differ = true;
                    requests = max_resources(requests, r);
                }
            }
            let node =
                p.v.get("spec")
                    .and_then(|s| s.get("nodeName"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty());
            if let Some(node) = node {
                match cluster.node_index.get(node) {
                    Some(&i) => {
                        let n = &cluster.nodes[i];
                        node_os.get_or_insert((n.os, n.build.clone()));
                        bound_to.push(node.to_owned());
                    }
                    None => unknown_nodes += 1,
                }
            }
        }
        if differ {
            notes.push(
                NoteKind::Warning,
                subject(),
                "its pods request different amounts (vertical autoscaling?); the largest of each resource is used"
                    .to_owned(),
            );
        }
        let pending = pods.len() - bound_to.len();
        if pending > 0 && !bound_to.is_empty() {
            notes.push(
                NoteKind::Inferred,
                subject(),
                format!("{pending} of {} pods are not bound to a node in the dump; the simulation schedules them", pods.len()),
            );
        }

        let mut labels: BTreeMap<String, String> = podspec_labels(rep);
        for p in &pods[1..] {
            let other = p.v.get("metadata").and_then(|m| m.get("labels"));
            labels.retain(|k, v| {
                other
                    .and_then(|o| o.get(k.as_str()))
                    .and_then(Value::as_str)
                    == Some(v.as_str())
            });
        }
        for k in PER_POD_LABELS {
            labels.remove(*k);
        }

        if key.namespace == "kube-system" {
            out.imported_system_pods = true;
            if key.kind == WorkloadKind::DaemonSet {
                notes.push(
                    NoteKind::Inferred,
                    subject(),
                    "system DaemonSet (kube-system) imported from the dump, so AKS's catalog copy is not added".to_owned(),
                );
            }
        }
        if key.kind == WorkloadKind::Job {
            notes.push(
                NoteKind::FillIn,
                subject(),
                "duration: how long each Job pod runs is not in the dump".to_owned(),
            );
        }

        let (os, windows_build) = match (t.os, node_os) {
            (Some(os), _) => (Some(os), t.windows_build.clone()),
            (None, Some((os, build))) => (Some(os), t.windows_build.clone().or(build)),
            (None, None) => (None, t.windows_build.clone()),
        };
        let workload = Workload {
            name: name.clone(),
            kind: key.kind,
            namespace: Some(key.namespace.to_owned()),
            replicas: (key.kind != WorkloadKind::DaemonSet)
                .then(|| u32::try_from(pods.len()).unwrap_or(u32::MAX)),
            image: t.image,
            extra_images: t.extra_images,
            labels,
            requests,
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
        out.drafts.push(Draft {
            workload,
            origin: Origin::Dump,
            os,
            windows_build,
        });
    }
    if unknown_nodes > 0 {
        notes.push(
            NoteKind::Warning,
            Subject::Scenario,
            format!(
                "{unknown_nodes} pod(s) run on nodes that are not in the dump; they are imported unbound and will be scheduled"
            ),
        );
    }
    let bound: usize = out.drafts.iter().map(|d| d.workload.bound_to.len()).sum();
    if !objects.pods.is_empty() {
        notes.push(
            NoteKind::Inferred,
            Subject::Scenario,
            format!(
                "{} pod(s) from the dump became {} workload(s); {bound} replica(s) keep the node they run on",
                objects.pods.len() - finished,
                out.drafts.len()
            ),
        );
    }
    Ok(out)
}

fn podspec_labels(p: &Object) -> BTreeMap<String, String> {
    p.v.get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The controller a pod belongs to.
fn group_key<'a>(p: &Object<'a>, objects: &Objects<'a>, notes: &mut Notes) -> GroupKey<'a> {
    let ns = p.namespace;
    let own = |kind, name| GroupKey {
        namespace: ns,
        kind,
        name,
        template: None,
    };
    let Some((kind, owner)) = controller_of(p.v) else {
        return own(WorkloadKind::Pod, p.name);
    };
    match kind {
        "ReplicaSet" => {
            if let Some(&(k, d)) = objects.owners.get(&(ns, owner)) {
                if k == "Deployment" {
                    return GroupKey {
                        template: Some(owner),
                        ..own(WorkloadKind::Deployment, d)
                    };
                }
            }
            let hash =
                p.v.get("metadata")
                    .and_then(|m| m.get("labels"))
                    .and_then(|l| l.get("pod-template-hash"))
                    .and_then(Value::as_str);
            // The Deployment controller names its ReplicaSets `<deployment>-<pod-template-hash>`
            // (kubernetes pkg/controller/deployment/sync.go, getNewReplicaSet).
            match hash
                .and_then(|h| owner.strip_suffix(h))
                .and_then(|s| s.strip_suffix('-'))
            {
                Some(deployment) if !deployment.is_empty() => GroupKey {
                    template: Some(owner),
                    ..own(WorkloadKind::Deployment, deployment)
                },
                _ => {
                    notes.push(
                        NoteKind::Inferred,
                        Subject::Scenario,
                        format!(
                            "ReplicaSet {ns}/{owner} has no Deployment; imported as a Deployment"
                        ),
                    );
                    own(WorkloadKind::Deployment, owner)
                }
            }
        }
        "StatefulSet" => own(WorkloadKind::StatefulSet, owner),
        "DaemonSet" => own(WorkloadKind::DaemonSet, owner),
        "Job" => own(WorkloadKind::Job, owner),
        // Static pods' mirrors are owned by their Node.
        "Node" => own(WorkloadKind::Pod, p.name),
        other => {
            notes.push(
                NoteKind::Inferred,
                Subject::Scenario,
                format!("pods owned by {other} {ns}/{owner} imported as a Deployment of that name"),
            );
            own(WorkloadKind::Deployment, owner)
        }
    }
}

/// Removes the `metadata.name In [node]` term the DaemonSet controller puts on each of its
/// pods. It replaces the template's required node affinity entirely
/// (`ReplaceDaemonSetPodNodeNameNodeAffinity`, kubernetes
/// pkg/controller/daemon/util/daemonset_util.go), so nothing else is lost by dropping it.
fn strip_daemonset_node_pin(t: &mut PodTemplate) {
    let Some(aff) = t.affinity.as_mut() else {
        return;
    };
    if let Some(na) = aff.node_affinity.as_mut() {
        if let Some(req) = na
            .required_during_scheduling_ignored_during_execution
            .as_mut()
        {
            for term in &mut req.node_selector_terms {
                term.match_fields.retain(|r| r.key != FIELD_NODE_NAME);
            }
            req.node_selector_terms
                .retain(|term| !term.match_expressions.is_empty() || !term.match_fields.is_empty());
            if req.node_selector_terms.is_empty() {
                na.required_during_scheduling_ignored_during_execution = None::<NodeSelector>;
            }
        }
        if na
            .required_during_scheduling_ignored_during_execution
            .is_none()
            && na
                .preferred_during_scheduling_ignored_during_execution
                .is_empty()
        {
            aff.node_affinity = None;
        }
    }
    if aff.node_affinity.is_none() && aff.pod_affinity.is_none() && aff.pod_anti_affinity.is_none()
    {
        t.affinity = None;
    }
}

fn max_resources(a: Resources, b: Resources) -> Resources {
    Resources {
        cpu: a.cpu.max(b.cpu),
        memory: a.memory.max(b.memory),
        ephemeral_storage: a.ephemeral_storage.max(b.ephemeral_storage),
        pods: a.pods.max(b.pods),
    }
}

fn kind_name(k: WorkloadKind) -> &'static str {
    match k {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
        WorkloadKind::DaemonSet => "DaemonSet",
        WorkloadKind::Job => "Job",
        WorkloadKind::Pod => "Pod",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::v1::{
        Affinity, NodeAffinity, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
        PreferredSchedulingTerm,
    };

    fn req(key: &str) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.to_owned(),
            operator: NodeSelectorOperator::In,
            values: vec!["x".to_owned()],
        }
    }

    #[test]
    fn daemonset_node_pin_is_removed_and_nothing_else() {
        let pin = NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![req(FIELD_NODE_NAME)],
        };
        let preferred = PreferredSchedulingTerm {
            weight: 10,
            preference: NodeSelectorTerm {
                match_expressions: vec![req("disk")],
                match_fields: vec![],
            },
        };
        let with = |preferred: Vec<PreferredSchedulingTerm>| PodTemplate {
            affinity: Some(Affinity {
                node_affinity: Some(NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                        node_selector_terms: vec![pin.clone()],
                    }),
                    preferred_during_scheduling_ignored_during_execution: preferred,
                }),
                pod_affinity: None,
                pod_anti_affinity: None,
            }),
            ..PodTemplate::default()
        };
        let mut only_pin = with(vec![]);
        strip_daemonset_node_pin(&mut only_pin);
        assert_eq!(only_pin.affinity, None);

        let mut keeps_preferred = with(vec![preferred.clone()]);
        strip_daemonset_node_pin(&mut keeps_preferred);
        let na = keeps_preferred.affinity.unwrap().node_affinity.unwrap();
        assert_eq!(na.required_during_scheduling_ignored_during_execution, None);
        assert_eq!(
            na.preferred_during_scheduling_ignored_during_execution,
            [preferred]
        );
    }
}

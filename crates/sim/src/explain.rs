//! `poolcast explain`: one scheduling attempt laid bare — every node's filter verdict (the
//! plugin that rejected it and kube's reason) and, for feasible nodes, every score plugin's
//! raw and normalised score, its weight and the weighted total, plus what the scheduler
//! then chose.

use serde::Serialize;

use crate::engine::SimTime;
use crate::run::Engine;
use crate::scheduler::framework::Code;
use crate::scheduler::ScheduleResult;
use crate::SimError;

/// Output schema of an explanation.
pub const EXPLAIN_SCHEMA: &str = "poolcast.explain/v1";

/// One score plugin's contribution on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreDetail {
    /// kube-scheduler plugin name.
    pub plugin: String,
    /// Score before NormalizeScore.
    pub raw: i64,
    /// Score after NormalizeScore (0-100).
    pub normalized: i64,
    /// Plugin weight in the profile.
    pub weight: i64,
    /// `normalized × weight`.
    pub weighted: i64,
}

/// One node's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeExplanation {
    /// Node name.
    pub node: String,
    /// Pool.
    pub pool: String,
    /// Passed every filter.
    pub feasible: bool,
    /// The filter plugin that rejected the node.
    pub filter_plugin: Option<String>,
    /// `Unschedulable` or `UnschedulableAndUnresolvable`.
    pub code: Option<String>,
    /// kube's reasons.
    pub reasons: Vec<String>,
    /// Score plugins (feasible nodes only).
    pub scores: Vec<ScoreDetail>,
    /// Weighted total.
    pub total: i64,
}

/// An explained scheduling attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Always [`EXPLAIN_SCHEMA`].
    pub schema: &'static str,
    /// Pod.
    pub pod: String,
    /// Its workload.
    pub workload: String,
    /// Time of the attempt, ms.
    pub at_ms: u64,
    /// Which attempt of the pod this is (1 = first).
    pub attempt: u32,
    /// The node the scheduler chose, if any.
    pub chosen_node: Option<String>,
    /// kube-scheduler's FailedScheduling message when no node fits.
    pub message: Option<String>,
    /// Every live node, in node order.
    pub nodes: Vec<NodeExplanation>,
}

pub(crate) fn from_engine(
    engine: &Engine<'_>,
    pod: &str,
    at: poolcast_model::Duration,
) -> Result<Explanation, SimError> {
    let cluster = &engine.plan.cluster;
    let Some(cap) = &engine.captured else {
        let Some(i) = cluster.pods.iter().rposition(|p| p.name == pod) else {
            return Err(SimError::PodNotFound(pod.to_owned()));
        };
        let rt = &engine.pods[i];
        let detail = match (rt.scheduled, rt.last_node) {
            (Some(t), Some(n)) => format!(
                ": it was bound to {} at {}",
                cluster.nodes[n.idx()].name,
                SimTime(t.ms())
            ),
            _ => String::new(),
        };
        return Err(SimError::NoAttempt {
            pod: pod.to_owned(),
            at,
            detail,
        });
    };
    let nodes = cap
        .verdicts
        .iter()
        .map(|v| {
            let n = &cluster.nodes[v.node.idx()];
            let feasible = v.filter.is_success();
            NodeExplanation {
                node: n.name.clone(),
                pool: engine.plan.pools[n.pool.idx()].name.clone(),
                feasible,
                filter_plugin: (!feasible).then(|| v.filter.plugin.to_owned()),
                code: match v.filter.code {
                    Code::Unschedulable => Some("Unschedulable".to_owned()),
                    Code::UnschedulableAndUnresolvable => {
                        Some("UnschedulableAndUnresolvable".to_owned())
                    }
                    Code::Success | Code::Skip => None,
                },
                reasons: v.filter.reasons.clone(),
                scores: v
                    .scores
                    .iter()
                    .map(|&(plugin, raw, normalized, weight)| ScoreDetail {
                        plugin: plugin.to_owned(),
                        raw,
                        normalized,
                        weight,
                        weighted: normalized * weight,
                    })
                    .collect(),
                total: v.total,
            }
        })
        .collect();
    let (chosen_node, message) = match &cap.result {
        ScheduleResult::Scheduled { node, .. } => {
            (Some(cluster.nodes[node.idx()].name.clone()), None)
        }
        ScheduleResult::Unschedulable(fe) => (None, Some(fe.message())),
    };
    let rt = &engine.pods[cap.pod.idx()];
    Ok(Explanation {
        schema: EXPLAIN_SCHEMA,
        pod: cluster.pods[cap.pod.idx()].name.clone(),
        workload: engine.plan.workloads[rt.workload as usize].name.clone(),
        at_ms: cap.at.ms(),
        attempt: rt.attempts + 1,
        chosen_node,
        message,
        nodes,
    })
}

//! `poolcast explain`: one scheduling attempt laid bare — every node's filter verdict (the
//! plugin that rejected it and kube's reason) and, for feasible nodes, every score plugin's
//! raw and normalised score, its weight and the weighted total, plus what the scheduler
//! then chose — and the pod's way on to Ready (`journey`): its scheduling attempts, the
//! scale-up it waited for and the boot of its node, each image's pull layer by layer
//! (cached and why, or downloaded and extracted when), container creation, start and
//! readiness. The run is the same run `simulate` makes: explaining records, it does not
//! steer.

use serde::Serialize;

use crate::cluster::NodeId;
use crate::engine::SimTime;
use crate::kubelet::{LayerOrigin, LayerState};
use crate::outcome::NodeEventKind;
use crate::run::{Engine, PodPull};
use crate::scheduler::framework::Code;
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
    /// The pod's way from creation to Ready (or to the horizon).
    pub journey: Journey,
}

/// A pod's way from creation to Ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Journey {
    /// Created, ms.
    pub created_ms: u64,
    /// Ready, ms (None: not ready by the horizon).
    pub ready_ms: Option<u64>,
    /// `readyMs - createdMs`.
    pub time_to_ready_ms: Option<u64>,
    /// The node it was bound to (last) and how that node came to be.
    pub node: Option<NodeBoot>,
    /// Its images on that node, in the order it got them.
    pub images: Vec<ImageJourney>,
    /// Everything above as one timeline, in time order.
    pub steps: Vec<JourneyStep>,
}

/// The node a pod ran on and its boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeBoot {
    /// Node name.
    pub node: String,
    /// Pool.
    pub pool: String,
    /// When a scale-up or add-nodes event asked for it (None: there from time zero).
    pub requested_ms: Option<u64>,
    /// Joined Ready, ms.
    pub joined_ms: u64,
    /// `joinedMs - requestedMs`.
    pub provisioning_ms: Option<u64>,
    /// The pool's point provisioning time (the centre of the draws: median or mode).
    pub point_provisioning_ms: u64,
    /// True when the provisioning time was drawn (`sim.variability: on`).
    pub drawn: bool,
}

/// One image of the pod: how it got onto the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageJourney {
    /// Image reference.
    pub image: String,
    /// `present`, `pulled` or `joined` (as in the run's pull breakdown).
    pub source: &'static str,
    /// The pod asked for it, ms.
    pub requested_ms: u64,
    /// The pull started, ms (None when present).
    pub started_ms: Option<u64>,
    /// On the node, ms.
    pub done_ms: u64,
    /// Download rate of the pull, bytes/s (its share of the link, after variability).
    pub download_bytes_per_sec: Option<u64>,
    /// Extraction rate of the pull, bytes/s.
    pub extract_bytes_per_sec: Option<u64>,
    /// Every layer, base first.
    pub layers: Vec<LayerJourney>,
}

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerJourney {
    /// Digest.
    pub digest: String,
    /// Compressed size, bytes.
    pub size_bytes: u64,
    /// Size on disk, bytes.
    pub uncompressed_bytes: u64,
    /// `cached` (on the node already), `shared` (fetched by another pull in progress) or
    /// `fetched` (downloaded and extracted by this pull).
    pub state: &'static str,
    /// Why, in the kubelet's terms: where a cached layer came from, or why it was missing.
    pub why: String,
    /// Download start and end, ms (fetched layers).
    pub download_ms: Option<(u64, u64)>,
    /// Extraction start and end, ms (fetched layers).
    pub extract_ms: Option<(u64, u64)>,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JourneyStep {
    /// Time, ms.
    pub at_ms: u64,
    /// `Created`, `FailedScheduling`, `TriggeredScaleUp`, `NodeReady`, `Scheduled`,
    /// `Pulling`, `Pulled`, `ContainerCreated`, `Started`, `Ready`, `NotReady`.
    pub step: &'static str,
    /// What happened, with its figures.
    pub detail: String,
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
    let chosen_node = cap.chosen.map(|n| cluster.nodes[n.idx()].name.clone());
    let message = cap.message.clone();
    let rt = &engine.pods[cap.pod.idx()];
    Ok(Explanation {
        schema: EXPLAIN_SCHEMA,
        pod: cluster.pods[cap.pod.idx()].name.clone(),
        workload: engine.plan.workloads[rt.workload as usize].name.clone(),
        at_ms: cap.at.ms(),
        attempt: cap.attempt,
        chosen_node,
        message,
        nodes,
        journey: journey(engine, cap.pod),
    })
}

fn dur(ms: u64) -> String {
    poolcast_model::Duration(ms).readable()
}

fn why_cached(engine: &Engine<'_>, origin: LayerOrigin) -> String {
    match origin {
        LayerOrigin::NodeImage => "cached by the node image (VHD) the node booted from".into(),
        LayerOrigin::PrePulled => "pulled when the node was created (pool prePulledImages)".into(),
        LayerOrigin::Imported => "on the node in the imported cluster dump (status.images)".into(),
        LayerOrigin::Pulled { image, done } => format!(
            "pulled earlier with {} (on the node at {})",
            engine.plan.cluster.images[image.idx()].name,
            dur(done.ms())
        ),
    }
}

fn image_journey(engine: &Engine<'_>, node: NodeId, x: &PodPull) -> ImageJourney {
    let k = &engine.kubelets[node.idx()];
    let table = &engine.plan.layers;
    let layer = |l: crate::kubelet::LayerId, state: Option<LayerState>| {
        let info = table.layer(l);
        let (state, why, dl, ex) = match state {
            Some(LayerState::Fetched(sp)) => {
                let t0 = k.log.last_pull(x.image).map_or(0, |t| t.started.ms());
                (
                    "fetched",
                    "not on the node: no cached, pre-pulled or earlier-pulled image has this digest"
                        .to_owned(),
                    Some((t0 + sp.download.0, t0 + sp.download.1)),
                    Some((t0 + sp.extract.0, t0 + sp.extract.1)),
                )
            }
            Some(LayerState::Shared(until)) => (
                "shared",
                format!(
                    "being fetched by another pull on the node, on the node at {}",
                    dur(until.ms())
                ),
                None,
                None,
            ),
            Some(LayerState::Cached(o)) => ("cached", why_cached(engine, o), None, None),
            None => (
                "cached",
                k.log
                    .origin(l)
                    .map_or_else(|| "on the node".to_owned(), |o| why_cached(engine, o)),
                None,
                None,
            ),
        };
        LayerJourney {
            digest: info.digest.clone(),
            size_bytes: info.size,
            uncompressed_bytes: info.uncompressed,
            state,
            why,
            download_ms: dl,
            extract_ms: ex,
        }
    };
    let trace = x.pull.and(k.log.last_pull(x.image));
    let layers = match trace {
        Some(t) => t.layers.iter().map(|&(l, st)| layer(l, Some(st))).collect(),
        None => table.image_layers[x.image.idx()]
            .iter()
            .map(|&l| layer(l, None))
            .collect(),
    };
    ImageJourney {
        image: engine.plan.cluster.images[x.image.idx()].name.clone(),
        source: match x.pull {
            None => "present",
            Some(_) if x.joined => "joined",
            Some(_) => "pulled",
        },
        requested_ms: x.asked.ms(),
        started_ms: x.pull.map(|f| f.started.ms()),
        done_ms: x.done.ms(),
        download_bytes_per_sec: trace.map(|t| t.link.download_bps),
        extract_bytes_per_sec: trace.map(|t| t.link.extract_bps),
        layers,
    }
}

/// The pod's way to Ready, from what the run recorded.
fn journey(engine: &Engine<'_>, pod: crate::cluster::PodId) -> Journey {
    let cluster = &engine.plan.cluster;
    let rt = &engine.pods[pod.idx()];
    let wp = &engine.plan.workloads[rt.workload as usize];
    let mut steps = Vec::new();
    let mut step = |at: u64, step: &'static str, detail: String| {
        steps.push(JourneyStep {
            at_ms: at,
            step,
            detail,
        });
    };
    step(
        rt.created.ms(),
        "Created",
        format!("pod of {} created", wp.name),
    );
    let mut first_failed = None;
    for (at, r) in &engine.attempt_log {
        match r {
            Ok(n) => step(
                at.ms(),
                "Scheduled",
                format!("bound to {}", cluster.nodes[n.idx()].name),
            ),
            Err(m) => {
                first_failed.get_or_insert(*at);
                step(at.ms(), "FailedScheduling", m.clone());
            }
        }
    }
    let node = rt.last_node;
    let bound_at = rt.scheduled.unwrap_or(engine.horizon);
    if let (Some(from), Some(a)) = (first_failed, engine.autoscaler.as_ref()) {
        let pool = node.map(|n| {
            engine.plan.pools[cluster.nodes[n.idx()].pool.idx()]
                .name
                .as_str()
        });
        for e in a.events() {
            let relevant = matches!(
                e.kind,
                NodeEventKind::TriggeredScaleUp | NodeEventKind::ScaleUpTimedOut
            ) && e.at_ms >= from.ms()
                && e.at_ms <= bound_at.ms()
                && (pool.is_none() || e.pool.as_deref() == pool);
            if relevant {
                let kind = match e.kind {
                    NodeEventKind::TriggeredScaleUp => "TriggeredScaleUp",
                    _ => "ScaleUpTimedOut",
                };
                step(e.at_ms, kind, e.message.clone());
            }
        }
    }
    let boot = node.map(|n| {
        let nr = &engine.nodes[n.idx()];
        let pool = &engine.plan.pools[cluster.nodes[n.idx()].pool.idx()];
        NodeBoot {
            node: cluster.nodes[n.idx()].name.clone(),
            pool: pool.name.clone(),
            requested_ms: nr.requested.map(SimTime::ms),
            joined_ms: nr.created.ms(),
            provisioning_ms: nr.requested.map(|r| nr.created.since(r)),
            point_provisioning_ms: pool.provision_ms,
            drawn: engine.jitter.is_on(),
        }
    });
    if let Some(b) = &boot {
        if let (Some(req), Some(p)) = (b.requested_ms, b.provisioning_ms) {
            if req >= rt.created.ms() || b.joined_ms >= rt.created.ms() {
                step(
                    b.joined_ms,
                    "NodeReady",
                    format!(
                        "{} (pool {}) joined Ready {} after it was requested at {} ({} {})",
                        b.node,
                        b.pool,
                        dur(p),
                        dur(req),
                        if b.drawn {
                            "drawn around"
                        } else {
                            "the pool's"
                        },
                        dur(b.point_provisioning_ms)
                    ),
                );
            }
        }
    }
    let images: Vec<ImageJourney> = match node {
        Some(n) => rt
            .pulls
            .iter()
            .map(|x| image_journey(engine, n, x))
            .collect(),
        None => Vec::new(),
    };
    for im in &images {
        match im.started_ms {
            None => step(
                im.done_ms,
                "Pulled",
                format!(
                    "{}: already present on the node, nothing to fetch",
                    im.image
                ),
            ),
            Some(started) => {
                let fetched = im.layers.iter().filter(|l| l.state == "fetched").count();
                let bytes: u64 = im
                    .layers
                    .iter()
                    .filter(|l| l.state == "fetched")
                    .map(|l| l.size_bytes)
                    .sum();
                step(
                    started.max(im.requested_ms),
                    "Pulling",
                    format!(
                        "{}: {} of {} layers to fetch ({:.1} MiB){}",
                        im.image,
                        fetched,
                        im.layers.len(),
                        bytes as f64 / (1u64 << 20) as f64,
                        if im.source == "joined" {
                            ", joining a pull already under way"
                        } else {
                            ""
                        }
                    ),
                );
                step(
                    im.done_ms,
                    "Pulled",
                    format!(
                        "{}: pulled in {} ({} including waiting)",
                        im.image,
                        dur(im.done_ms.saturating_sub(started)),
                        dur(im.done_ms.saturating_sub(im.requested_ms))
                    ),
                );
            }
        }
    }
    if let (Some(pulled), Some(n)) = (rt.pulled, node) {
        step(
            pulled.ms(),
            "ContainerCreated",
            format!(
                "containers created on {} (runtime create + start)",
                cluster.nodes[n.idx()].name
            ),
        );
        if let Some(started) = rt.started {
            step(
                started.ms(),
                "Started",
                format!(
                    "containers started {} after creation{}",
                    dur(started.since(pulled)),
                    if engine.jitter.is_on() {
                        " (drawn)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    match (rt.ready, rt.started) {
        (Some(ready), Some(started)) => {
            let total = ready.since(started);
            let io = total.saturating_sub(wp.startup_ms);
            step(
                ready.ms(),
                "Ready",
                format!(
                    "Ready {} after start: app startup {} + start-up I/O {}",
                    dur(total),
                    dur(wp.startup_ms.min(total)),
                    dur(io)
                ),
            );
        }
        _ => step(
            engine.now_ms().min(engine.horizon.ms()),
            "NotReady",
            "not Ready by the end of the run".to_owned(),
        ),
    }
    // Equal times in lifecycle order (a node joins, then the pod binds to it).
    let rank = |s: &str| {
        [
            "Created",
            "FailedScheduling",
            "TriggeredScaleUp",
            "ScaleUpTimedOut",
            "NodeReady",
            "Scheduled",
            "Pulling",
            "Pulled",
            "ContainerCreated",
            "Started",
            "Ready",
            "NotReady",
        ]
        .iter()
        .position(|&x| x == s)
        .unwrap_or(usize::MAX)
    };
    steps.sort_by_key(|s| (s.at_ms, rank(s.step)));
    Journey {
        created_ms: rt.created.ms(),
        ready_ms: rt.ready.map(SimTime::ms),
        time_to_ready_ms: rt.ready.map(|r| r.since(rt.created)),
        node: boot,
        images,
        steps,
    }
}

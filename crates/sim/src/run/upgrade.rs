//! The engine side of an AKS node-pool upgrade (`crate::upgrade` holds the checks and the
//! node-image cache): AKS's rolling procedure as `upgrade-aks-node-pools-rolling.md` and
//! `upgrade-conceptual.md` describe it.
//!
//! 1. Preflight: a refused upgrade (OS SKU not offered on the target, version skew,
//!    skipping a control-plane minor) touches no node and reports AKS's error.
//! 2. Surge: `maxSurge` new nodes of the new version/node image are requested and join
//!    after the pool's provisioning time.
//! 3. Batches: as many old nodes as there are buffer nodes are cordoned and drained through
//!    the eviction API (PodDisruptionBudgets respected; a refused eviction is retried every
//!    5 s, `kubectl drain`'s interval) until `drainTimeout`; then AKS's failure (`Schedule`,
//!    the default: the node is uncordoned, the upgrade stops, `UpgradeFailed`) or
//!    quarantine (`Cordon`: the node stays cordoned and a surge node is kept for it).
//! 4. After the soak (`nodeSoakDuration`) a drained node is reimaged: it leaves and rejoins
//!    under the same name after the pool's provisioning time, with the new node image's
//!    cache, and is the buffer for the next batch.
//! 5. When every old node is done, the surge nodes are cordoned, drained and deleted.
//!
//! Evicted pods end at once, as `drain` and scale-down do in this engine (no termination
//! grace period); a reimage takes the pool's provisioning time. Both are in the run's
//! assumptions.

use std::collections::BTreeMap;

use poolcast_model::scenario::WorkloadKind;

use super::{Engine, Event, Phase, DRAIN_RETRY_MS};
use crate::cluster::{ImageId, NodeId, PodId, PoolId, Res};
use crate::engine::{EventKey, SimTime};
use crate::kubelet::KubeletParams;
use crate::outcome::{
    PullWait, UpgradeBatch, UpgradeBlocker, UpgradeEventLine, UpgradeNode, UpgradeRecord,
    WorkloadAvailability,
};
use crate::pdb::Eviction;
use crate::scheduler::queue::ClusterEvent;
use crate::upgrade::{preflight, surge_count, Settings, Target};

/// Interval of the availability samples while an upgrade runs.
const AVAILABILITY_SAMPLE_MS: u64 = 5_000;
/// The label AKS puts on a node it quarantined (`undrainableNodeBehavior: Cordon`).
pub const QUARANTINE_LABEL: (&str, &str) = ("kubernetes.azure.com/upgrade-status", "Quarantined");

/// A step of an upgrade, dispatched from the engine's one `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A surge node (`reimaged: None`) or a reimaged node joins Ready.
    Joined {
        /// Index into `Engine::upgrades`.
        run: u32,
        /// The node (gone) whose name the reimaged one takes.
        reimaged: Option<NodeId>,
    },
    /// Evict again what a budget refused.
    DrainRetry { run: u32, node: NodeId },
    /// The node's drain timeout elapsed.
    DrainTimeout { run: u32, node: NodeId },
    /// Soak over: reimage the drained node.
    Reimage { run: u32, node: NodeId },
    /// Availability sample.
    Sample { run: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Canceled,
    Refused,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "NotStarted",
            Status::Running => "Running",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
            Status::Refused => "Refused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// An old node, reimaged once drained.
    Reimage,
    /// A surge node, deleted once drained.
    Remove,
}

#[derive(Debug, Clone)]
struct Draining {
    purpose: Purpose,
    timeout: EventKey,
    retry: Option<EventKey>,
    /// The last refused eviction: pod and budget.
    refused: Option<(PodId, String)>,
}

/// A workload whose replicas the upgrade watches.
#[derive(Debug, Clone)]
struct Watched {
    workload: u32,
    budget: Option<usize>,
    allows: Option<u32>,
    max_unavailable: u32,
    t_ms: Vec<u64>,
    unavailable: Vec<u32>,
}

/// One `upgrade` event's state.
#[derive(Debug, Clone)]
pub(crate) struct UpgradeRun {
    event: usize,
    pool: PoolId,
    settings: Settings,
    from: String,
    /// The new node template (images cached; allocatable and kubelet for a new version).
    new_preload: Vec<ImageId>,
    new_shape: Option<(Res, KubeletParams)>,
    status: Status,
    started: Option<SimTime>,
    finished: Option<SimTime>,
    surge: u32,
    queue: Vec<NodeId>,
    buffers: u32,
    joining: u32,
    batch_left: u32,
    stopping: bool,
    removing_left: u32,
    surge_nodes: Vec<NodeId>,
    retained: u32,
    new_nodes: Vec<NodeId>,
    draining: BTreeMap<NodeId, Draining>,
    rows: Vec<UpgradeNode>,
    batches: Vec<UpgradeBatch>,
    blockers: Vec<UpgradeBlocker>,
    lines: Vec<UpgradeEventLine>,
    watched: Vec<Watched>,
    sampling: bool,
}

/// The upgrades of a scenario, in event order, with each new node template computed before
/// any node exists (new images must be in the tables every kubelet is sized to).
pub(crate) fn prepare(
    plan: &mut crate::build::Plan,
    scn: &poolcast_model::Scenario,
) -> Vec<UpgradeRun> {
    let mut out = Vec::new();
    let region = scn.cluster.region.as_deref().unwrap_or("eastus");
    for (i, e) in scn.events.iter().enumerate() {
        let Some(u) = &e.upgrade else { continue };
        let Some(settings) = Settings::of(u) else {
            continue;
        };
        let Some(pi) = plan.pools.iter().position(|p| p.name == u.pool) else {
            continue;
        };
        let Some(spool) = scn.pools.iter().find(|p| p.name == u.pool) else {
            continue;
        };
        // Both targets bring the latest node image (a Kubernetes upgrade too).
        let new_preload =
            match crate::upgrade::next_node_image_version(spool, plan.pools[pi].os_sku) {
                Some(v) => crate::upgrade::bumped_node_image_cache(plan, scn, pi, spool, &v),
                None => plan.pools[pi].preload.clone(),
            };
        let new_shape = match settings.target {
            Target::Version(minor) => crate::resolve::pool::node_shape(
                poolcast_model::catalog::Catalog::builtin(),
                scn,
                spool,
                plan.pools[pi].os_sku,
                minor,
                region,
            )
            .ok()
            .map(|s| (s.allocatable, s.kubelet)),
            Target::NodeImage => None,
        };
        out.push(UpgradeRun {
            event: i,
            pool: PoolId(pi as u32),
            from: format!("1.{}", plan.pools[pi].k8s_minor),
            settings,
            new_preload,
            new_shape,
            status: Status::NotStarted,
            started: None,
            finished: None,
            surge: 0,
            queue: Vec::new(),
            buffers: 0,
            joining: 0,
            batch_left: 0,
            stopping: false,
            removing_left: 0,
            surge_nodes: Vec::new(),
            retained: 0,
            new_nodes: Vec::new(),
            draining: BTreeMap::new(),
            rows: Vec::new(),
            batches: Vec::new(),
            blockers: Vec::new(),
            lines: Vec::new(),
            watched: Vec::new(),
            sampling: false,
        });
    }
    out
}

/// `5m0s`, as Go prints a `time.Duration` in AKS's soak event.
fn go_duration(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

impl UpgradeRun {
    /// Whether its event happened.
    pub(crate) fn started(&self) -> bool {
        self.started.is_some()
    }
}

impl Engine<'_> {
    fn run_of_event(&self, event: usize) -> Option<usize> {
        self.upgrades.iter().position(|u| u.event == event)
    }

    fn node_name(&self, n: NodeId) -> String {
        self.plan.cluster.nodes[n.idx()].name.clone()
    }

    fn row(&mut self, r: usize, name: &str, role: &str) -> &mut UpgradeNode {
        let rows = &mut self.upgrades[r].rows;
        let i = match rows.iter().position(|x| x.node == name) {
            Some(i) => i,
            None => {
                rows.push(UpgradeNode {
                    node: name.to_owned(),
                    role: role.to_owned(),
                    requested_ms: None,
                    cordoned_ms: None,
                    drained_ms: None,
                    reimage_ms: None,
                    ready_ms: None,
                    removed_ms: None,
                });
                rows.len() - 1
            }
        };
        &mut rows[i]
    }

    fn line(&mut self, r: usize, reason: &str, node: &str, message: String) {
        let now = self.now().ms();
        self.upgrades[r].lines.push(UpgradeEventLine {
            at_ms: now,
            reason: reason.to_owned(),
            node: node.to_owned(),
            message,
        });
    }

    /// The scenario's `upgrade` event fires.
    pub(super) fn upgrade_start(&mut self, event: usize) {
        let Some(r) = self.run_of_event(event) else {
            return;
        };
        let now = self.now();
        let pool = self.upgrades[r].pool;
        let target = self.upgrades[r].settings.target;
        self.upgrades[r].started = Some(now);
        let pools: Vec<(String, u32, poolcast_model::scenario::OsSku)> = self
            .plan
            .pools
            .iter()
            .map(|p| (p.name.clone(), p.k8s_minor, p.os_sku))
            .collect();
        let name = self.plan.pools[pool.idx()].name.clone();
        let mut blockers = preflight(&name, target, self.plan.k8s_minor, &pools, now.ms());
        // One operation at a time on a pool (poolcast's wording; AKS refuses a second
        // operation while one is in progress).
        if self
            .upgrades
            .iter()
            .any(|o| o.pool == pool && o.status == Status::Running)
        {
            blockers.push(UpgradeBlocker {
                code: "OperationNotAllowed".to_owned(),
                at_ms: now.ms(),
                node: None,
                pod: None,
                pdb: None,
                message: format!(
                    "Operation is not allowed: another upgrade of node pool {name} is in progress"
                ),
            });
        }
        if !blockers.is_empty() {
            let u = &mut self.upgrades[r];
            u.blockers = blockers;
            u.status = Status::Refused;
            u.finished = Some(now);
            return;
        }
        // The new node template: every node created from now on carries it.
        let u = &self.upgrades[r];
        let preload = u.new_preload.clone();
        let shape = u.new_shape.clone();
        let p = &mut self.plan.pools[pool.idx()];
        p.preload = preload;
        if let Target::Version(minor) = target {
            p.k8s_minor = minor;
            if let Some((alloc, kubelet)) = shape {
                p.allocatable = alloc;
                p.kubelet = kubelet;
            }
            // The control plane goes first.
            self.plan.k8s_minor = self.plan.k8s_minor.max(minor);
        }
        let old: Vec<NodeId> = self
            .plan
            .cluster
            .live_node_ids()
            .filter(|n| self.plan.cluster.nodes[n.idx()].pool == pool)
            .collect();
        let surge = surge_count(
            self.scenario.events[event]
                .upgrade
                .as_ref()
                .and_then(|e| e.max_surge.as_ref()),
            old.len() as u32,
        );
        self.upgrade_watch(r, &old);
        let u = &mut self.upgrades[r];
        u.status = Status::Running;
        u.queue = old;
        u.surge = surge;
        u.sampling = true;
        self.q.schedule_in(
            AVAILABILITY_SAMPLE_MS,
            Event::Upgrade(Step::Sample { run: r as u32 }),
        );
        if self.upgrades[r].queue.is_empty() {
            self.upgrade_finish(r);
            return;
        }
        let (os, point) = (
            self.plan.pools[pool.idx()].os,
            self.plan.pools[pool.idx()].provision_ms,
        );
        self.upgrades[r].joining = surge;
        for _ in 0..surge {
            // Each boot drawn like any new node's (`sim.variability`).
            let delay = self.jitter.provisioning_ms(os, point);
            self.q.schedule_in(
                delay,
                Event::Upgrade(Step::Joined {
                    run: r as u32,
                    reimaged: None,
                }),
            );
        }
    }

    /// Workloads with pods on the pool's nodes, and the budget covering each.
    fn upgrade_watch(&mut self, r: usize, nodes: &[NodeId]) {
        let mut ws: Vec<u32> = nodes
            .iter()
            .flat_map(|n| self.plan.cluster.nodes[n.idx()].pods.iter())
            .map(|&p| self.pods[p.idx()].workload)
            .filter(|&w| {
                let wp = &self.plan.workloads[w as usize];
                !wp.system && wp.kind != WorkloadKind::DaemonSet
            })
            .collect();
        ws.sort_unstable();
        ws.dedup();
        let statuses = self.pdb_statuses();
        let watched = ws
            .into_iter()
            .map(|w| {
                let spec = &self.plan.cluster.specs[self.plan.workloads[w as usize].spec.idx()];
                let budget = self.budgets.iter().position(|b| b.covers(spec));
                let allows = budget.map(|b| {
                    statuses[b]
                        .expected
                        .saturating_sub(statuses[b].desired_healthy)
                });
                Watched {
                    workload: w,
                    budget,
                    allows,
                    max_unavailable: 0,
                    t_ms: Vec::new(),
                    unavailable: Vec::new(),
                }
            })
            .collect();
        self.upgrades[r].watched = watched;
        self.upgrade_sample(r);
    }

    /// Records each watched workload's unavailable replicas when it changed.
    fn upgrade_sample(&mut self, r: usize) {
        let now = self.now().ms();
        for i in 0..self.upgrades[r].watched.len() {
            let w = self.upgrades[r].watched[i].workload as usize;
            let desired = self.workloads[w].desired.unwrap_or(0);
            let ready = self.workloads[w]
                .live
                .iter()
                .filter(|&&p| self.pods[p.idx()].is_ready && !self.pods[p.idx()].terminating)
                .count() as u32;
            let un = desired.saturating_sub(ready);
            let wa = &mut self.upgrades[r].watched[i];
            wa.max_unavailable = wa.max_unavailable.max(un);
            if wa.unavailable.last() != Some(&un) {
                if wa.t_ms.last() == Some(&now) {
                    wa.t_ms.pop();
                    wa.unavailable.pop();
                }
                wa.t_ms.push(now);
                wa.unavailable.push(un);
            }
        }
    }

    pub(super) fn upgrade_step(&mut self, step: Step) {
        match step {
            Step::Joined { run, reimaged } => self.upgrade_joined(run as usize, reimaged),
            Step::DrainRetry { run, node } => {
                if let Some(d) = self.upgrades[run as usize].draining.get_mut(&node) {
                    d.retry = None;
                    self.upgrade_drain_pass(run as usize, node);
                }
            }
            Step::DrainTimeout { run, node } => self.upgrade_drain_timeout(run as usize, node),
            Step::Reimage { run, node } => self.upgrade_reimage(run as usize, node),
            Step::Sample { run } => {
                let r = run as usize;
                self.upgrade_sample(r);
                // Sampled until the upgrade is over and every watched workload recovered.
                let u = &mut self.upgrades[r];
                let recovered = u.watched.iter().all(|w| w.unavailable.last() == Some(&0));
                if u.finished.is_some() && recovered {
                    u.sampling = false;
                }
                if u.sampling {
                    self.q
                        .schedule_in(AVAILABILITY_SAMPLE_MS, Event::Upgrade(Step::Sample { run }));
                }
            }
        }
    }

    fn upgrade_joined(&mut self, r: usize, reimaged: Option<NodeId>) {
        let now = self.now().ms();
        let pool = self.upgrades[r].pool;
        let pool_name = self.plan.pools[pool.idx()].name.clone();
        let name = reimaged.map(|n| self.node_name(n));
        let id = self.create_node(pool, name, None, &BTreeMap::new());
        let name = self.node_name(id);
        self.upgrades[r].new_nodes.push(id);
        match reimaged {
            None => {
                let started = self.upgrades[r].started.map_or(now, SimTime::ms);
                let row = self.row(r, &name, "surge");
                row.requested_ms = Some(started);
                row.ready_ms = Some(now);
                self.line(
                    r,
                    "Surge",
                    &name,
                    format!("Created a surge node [{name} {pool_name}] for agentpool {pool_name}"),
                );
                let u = &mut self.upgrades[r];
                u.surge_nodes.push(id);
                u.buffers += 1;
                u.joining = u.joining.saturating_sub(1);
                if u.joining == 0 {
                    self.upgrade_next_batch(r);
                }
            }
            Some(_) => {
                self.row(r, &name, "upgraded").ready_ms = Some(now);
                let u = &mut self.upgrades[r];
                u.buffers += 1;
                self.upgrade_batch_node_done(r);
            }
        }
    }

    fn upgrade_batch_node_done(&mut self, r: usize) {
        let now = self.now().ms();
        let u = &mut self.upgrades[r];
        u.batch_left = u.batch_left.saturating_sub(1);
        if u.batch_left == 0 {
            if let Some(b) = u.batches.last_mut() {
                b.finished_ms = Some(now);
            }
            self.upgrade_next_batch(r);
        }
    }

    fn upgrade_next_batch(&mut self, r: usize) {
        let now = self.now();
        let u = &mut self.upgrades[r];
        if u.stopping || u.queue.is_empty() {
            self.upgrade_remove_surge(r);
            return;
        }
        if u.buffers == 0 {
            // Quarantined nodes kept every surge node: not enough to go on (AKS: Canceled).
            u.status = Status::Canceled;
            u.stopping = true;
            self.upgrade_remove_surge(r);
            return;
        }
        let k = (u.buffers as usize).min(u.queue.len());
        u.buffers -= k as u32;
        let batch: Vec<NodeId> = u.queue.drain(..k).collect();
        u.batch_left = k as u32;
        let names: Vec<String> = batch.iter().map(|&n| self.node_name(n)).collect();
        self.upgrades[r].batches.push(UpgradeBatch {
            nodes: names,
            started_ms: now.ms(),
            finished_ms: None,
        });
        for &n in &batch {
            self.upgrade_cordon(r, n, Purpose::Reimage);
        }
        for &n in &batch {
            self.upgrade_drain_pass(r, n);
        }
    }

    fn upgrade_cordon(&mut self, r: usize, n: NodeId, purpose: Purpose) {
        let now = self.now();
        let name = self.node_name(n);
        let role = match purpose {
            Purpose::Reimage => "upgraded",
            Purpose::Remove => "surge",
        };
        self.row(r, &name, role).cordoned_ms = Some(now.ms());
        self.line(r, "Drain", &name, format!("Draining node: [{name}]"));
        self.plan.cluster.set_node_unschedulable(n, true);
        self.cluster_event(ClusterEvent::NodeUpdate);
        let timeout = self.q.schedule_in(
            self.upgrades[r].settings.drain_timeout_ms,
            Event::Upgrade(Step::DrainTimeout {
                run: r as u32,
                node: n,
            }),
        );
        self.upgrades[r].draining.insert(
            n,
            Draining {
                purpose,
                timeout,
                retry: None,
                refused: None,
            },
        );
    }

    /// One pass of the drain: evict what the eviction API allows, retry the rest in 5 s.
    fn upgrade_drain_pass(&mut self, r: usize, node: NodeId) {
        if !self.plan.cluster.nodes[node.idx()].live {
            return;
        }
        let mut pods: Vec<PodId> = self.plan.cluster.nodes[node.idx()]
            .pods
            .iter()
            .copied()
            .filter(|&p| self.plan.cluster.spec_of(p).owner.kind() != WorkloadKind::DaemonSet)
            .collect();
        pods.sort_unstable();
        let mut left = 0;
        for p in pods {
            if self.pods[p.idx()].terminating {
                left += 1;
                continue;
            }
            match self.can_evict(p) {
                Eviction::Allowed => {
                    self.end_pod(p, Phase::Deleted);
                    self.replace(p);
                }
                Eviction::Refused { budget, .. } => {
                    left += 1;
                    let first = self.upgrades[r]
                        .draining
                        .get(&node)
                        .is_some_and(|d| d.refused.is_none());
                    if first {
                        let name = self.node_name(node);
                        let pod = self.plan.cluster.pods[p.idx()].name.clone();
                        // AKS's Drain warning event (`error-code-poddrainfailure.md`).
                        self.line(
                            r,
                            "Drain",
                            &name,
                            format!("Eviction blocked by Too Many Requests (usually a pdb): {pod}"),
                        );
                    }
                    if let Some(d) = self.upgrades[r].draining.get_mut(&node) {
                        d.refused = Some((p, budget));
                    }
                }
            }
        }
        self.upgrade_sample(r);
        if left == 0 {
            self.upgrade_drained(r, node);
        } else {
            let key = self.q.schedule_in(
                DRAIN_RETRY_MS,
                Event::Upgrade(Step::DrainRetry {
                    run: r as u32,
                    node,
                }),
            );
            if let Some(d) = self.upgrades[r].draining.get_mut(&node) {
                d.retry = Some(key);
            }
        }
    }

    fn upgrade_drained(&mut self, r: usize, node: NodeId) {
        let Some(d) = self.upgrades[r].draining.remove(&node) else {
            return;
        };
        self.q.cancel(d.timeout);
        let now = self.now().ms();
        let name = self.node_name(node);
        match d.purpose {
            Purpose::Reimage => {
                self.row(r, &name, "upgraded").drained_ms = Some(now);
                let soak = self.upgrades[r].settings.soak_ms;
                if soak > 0 {
                    self.line(
                        r,
                        "Upgrade",
                        &name,
                        format!(
                            "Soak duration {} after draining node: {name}",
                            go_duration(soak)
                        ),
                    );
                    self.q.schedule_in(
                        soak,
                        Event::Upgrade(Step::Reimage {
                            run: r as u32,
                            node,
                        }),
                    );
                } else {
                    self.upgrade_reimage(r, node);
                }
            }
            Purpose::Remove => {
                self.row(r, &name, "surge").drained_ms = Some(now);
                self.delete_node(node);
                self.row(r, &name, "surge").removed_ms = Some(now);
                let u = &mut self.upgrades[r];
                u.removing_left = u.removing_left.saturating_sub(1);
                if u.removing_left == 0 {
                    self.upgrade_finish(r);
                }
            }
        }
    }

    fn upgrade_reimage(&mut self, r: usize, node: NodeId) {
        let now = self.now().ms();
        let name = self.node_name(node);
        self.row(r, &name, "upgraded").reimage_ms = Some(now);
        self.delete_node(node);
        let pool = self.upgrades[r].pool;
        let (os, point) = (
            self.plan.pools[pool.idx()].os,
            self.plan.pools[pool.idx()].provision_ms,
        );
        let delay = self.jitter.provisioning_ms(os, point);
        self.q.schedule_in(
            delay,
            Event::Upgrade(Step::Joined {
                run: r as u32,
                reimaged: Some(node),
            }),
        );
    }

    /// AKS's UpgradeFailed message for a drain a budget held up
    /// (MicrosoftDocs/SupportArticles-docs `error-code-poddrainfailure.md`).
    fn drain_failure_message(&self, node: NodeId, pod: PodId, budget: &str) -> String {
        let spec = self.plan.cluster.spec_of(pod);
        let pod_name = &self.plan.cluster.pods[pod.idx()].name;
        let unready = self
            .budgets
            .iter()
            .find(|b| b.name == budget)
            .map_or(0, |b| {
                (0..self.plan.cluster.pods.len())
                    .map(|i| PodId(i as u32))
                    .filter(|&p| {
                        self.plan.cluster.pods[p.idx()].active
                            && b.covers(self.plan.cluster.spec_of(p))
                            && self.pdb_view(p).is_some_and(|v| !v.healthy)
                    })
                    .count()
            });
        format!(
            "Drain node {} failed when evicting pod {pod_name} failed with Too Many Requests error. This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See https://aka.ms/aks/debugdrainfailures. Original error: {}. PDB debug info: {}/{pod_name} blocked by pdb {budget} with {unready} unready pods.",
            self.node_name(node),
            crate::pdb::EVICTION_REFUSED,
            spec.namespace
        )
    }

    fn upgrade_drain_timeout(&mut self, r: usize, node: NodeId) {
        let Some(d) = self.upgrades[r].draining.remove(&node) else {
            return;
        };
        if let Some(k) = d.retry {
            self.q.cancel(k);
        }
        let now = self.now().ms();
        let name = self.node_name(node);
        let (pod, pdb, message) = match &d.refused {
            Some((p, b)) => (
                Some(self.plan.cluster.pods[p.idx()].name.clone()),
                Some(b.clone()).filter(|b| !b.is_empty()),
                self.drain_failure_message(node, *p, b),
            ),
            None => (
                None,
                None,
                format!("Drain node {name} did not finish within the drain timeout"),
            ),
        };
        self.upgrades[r].blockers.push(UpgradeBlocker {
            code: "UpgradeFailed".to_owned(),
            at_ms: now,
            node: Some(name.clone()),
            pod,
            pdb,
            message,
        });
        let cordon = self.upgrades[r].settings.cordon_undrainable;
        match d.purpose {
            Purpose::Reimage if cordon => {
                let mut labels = self.plan.cluster.nodes[node.idx()].labels.to_map();
                labels.insert(QUARANTINE_LABEL.0.into(), QUARANTINE_LABEL.1.into());
                self.plan.cluster.set_node_labels(node, labels);
                self.row(r, &name, "quarantined").role = "quarantined".to_owned();
                let u = &mut self.upgrades[r];
                u.retained += 1;
                u.status = Status::Failed;
                self.upgrade_batch_node_done(r);
            }
            Purpose::Reimage => {
                // `Schedule`: the node is schedulable again and not upgraded; AKS stops.
                self.plan.cluster.set_node_unschedulable(node, false);
                self.cluster_event(ClusterEvent::NodeUpdate);
                let u = &mut self.upgrades[r];
                u.status = Status::Failed;
                u.stopping = true;
                self.upgrade_batch_node_done(r);
            }
            Purpose::Remove => {
                // The surge node stays; the operation fails.
                self.plan.cluster.set_node_unschedulable(node, false);
                self.cluster_event(ClusterEvent::NodeUpdate);
                let u = &mut self.upgrades[r];
                u.status = Status::Failed;
                u.removing_left = u.removing_left.saturating_sub(1);
                if u.removing_left == 0 {
                    self.upgrade_finish(r);
                }
            }
        }
    }

    /// Cordons, drains and deletes the surge nodes, but one kept per quarantined node.
    fn upgrade_remove_surge(&mut self, r: usize) {
        let keep = self.upgrades[r].retained as usize;
        let live: Vec<NodeId> = self.upgrades[r]
            .surge_nodes
            .iter()
            .copied()
            .filter(|n| self.plan.cluster.nodes[n.idx()].live)
            .collect();
        let remove: Vec<NodeId> = live.into_iter().skip(keep).collect();
        self.upgrades[r].removing_left = remove.len() as u32;
        if remove.is_empty() {
            self.upgrade_finish(r);
            return;
        }
        for &n in &remove {
            self.upgrade_cordon(r, n, Purpose::Remove);
        }
        for &n in &remove {
            self.upgrade_drain_pass(r, n);
        }
    }

    fn upgrade_finish(&mut self, r: usize) {
        let now = self.now();
        self.upgrade_sample(r);
        let u = &mut self.upgrades[r];
        if u.finished.is_some() {
            return;
        }
        u.finished = Some(now);
        if u.status == Status::Running {
            u.status = Status::Succeeded;
        }
    }

    /// The report of every upgrade whose event happened.
    pub(super) fn upgrade_records(&self) -> Vec<UpgradeRecord> {
        let horizon = self.horizon.ms();
        let mut out = Vec::new();
        for u in &self.upgrades {
            let Some(started) = u.started else { continue };
            let pool = &self.plan.pools[u.pool.idx()];
            let end = u.finished.map_or(horizon, SimTime::ms);
            let mut pull_waits = Vec::new();
            for (i, p) in self.pods.iter().enumerate() {
                let wp = &self.plan.workloads[p.workload as usize];
                if wp.system || !p.visible {
                    continue;
                }
                let (Some(node), Some(sched)) = (p.last_node, p.scheduled) else {
                    continue;
                };
                if !u.new_nodes.contains(&node) || sched.ms() < started.ms() || sched.ms() > end {
                    continue;
                }
                let wait = p
                    .pulled
                    .map_or(horizon, SimTime::ms)
                    .saturating_sub(sched.ms());
                if wait > 0 {
                    pull_waits.push(PullWait {
                        pod: self.plan.cluster.pods[i].name.clone(),
                        workload: wp.name.clone(),
                        node: self.plan.cluster.nodes[node.idx()].name.clone(),
                        wait_ms: wait,
                    });
                }
            }
            let surge_ms: u64 = u
                .rows
                .iter()
                .filter(|r| r.role == "surge")
                .map(|r| {
                    r.removed_ms
                        .unwrap_or(horizon)
                        .saturating_sub(r.requested_ms.unwrap_or(started.ms()))
                })
                .sum();
            let surge_hours = crate::outcome::round4(surge_ms as f64 / 3_600_000.0);
            let availability = u
                .watched
                .iter()
                .map(|w| {
                    let wp = &self.plan.workloads[w.workload as usize];
                    WorkloadAvailability {
                        workload: wp.name.clone(),
                        desired: self.workloads[w.workload as usize].desired.unwrap_or(0),
                        pdb: w.budget.map(|b| self.budgets[b].name.clone()),
                        pdb_allows_unavailable: w.allows,
                        max_unavailable: w.max_unavailable,
                        t_ms: w.t_ms.clone(),
                        unavailable: w.unavailable.clone(),
                    }
                })
                .collect();
            out.push(UpgradeRecord {
                pool: pool.name.clone(),
                from: u.from.clone(),
                to: u.settings.target.label(),
                status: u.status.as_str().to_owned(),
                started_ms: started.ms(),
                finished_ms: u.finished.map(SimTime::ms),
                duration_ms: u.finished.map(|f| f.since(started)),
                max_surge: u.surge,
                batches: u.batches.clone(),
                nodes: u.rows.clone(),
                blockers: u.blockers.clone(),
                availability,
                pull_waits,
                surge_node_hours: surge_hours,
                surge_cost: pool
                    .price_per_hour
                    .map(|p| crate::outcome::round4(p * surge_ms as f64 / 3_600_000.0)),
                events: u.lines.clone(),
            });
        }
        out
    }
}

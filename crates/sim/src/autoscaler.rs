//! The cluster-autoscaler (kubernetes/autoscaler `cluster-autoscaler`, AKS profile): every
//! scan interval it looks at the pods the scheduler left unschedulable, asks per
//! autoscaled pool whether a new node of that pool would take them (the scheduler's own
//! filters on a template node, `snapshot`), estimates how many nodes each pool needs
//! (`estimator/binpacking_estimator.go`), lets the expander pick one pool, and grows it;
//! nodes join after the pool OS's provisioning delay. It marks nodes unneeded when their
//! utilisation is under the threshold and their pods fit elsewhere, and removes them after
//! `scale-down-unneeded-time`, never below the pool's `min` and never above its `max`.
//!
//! Defaults are the AKS cluster-autoscaler profile (AKSDOCS `cluster-autoscaler.md`,
//! 2026-07-30): scan 10 s, scale-down-delay-after-add 10 min,
//! -after-delete = scan interval, -after-failure 3 min, unneeded 10 min, unready 20 min,
//! utilisation threshold 0.5, max-node-provision-time 15 min, max-empty-bulk-delete 10,
//! skip-nodes-with-system-pods true, expander `random` (upstream `least-waste`).
//! Node-group back-off after a failed scale-up: 5 min doubling to 30 min (kubernetes/autoscaler
//! `cluster-autoscaler/FAQ.md` @55c37cd).
//!
//! The engine drives it through a narrow interface: [`Autoscaler::scan`] gets a
//! [`ScanView`] of the run and returns [`Action`]s; the engine applies them and reports
//! joined nodes back with [`Autoscaler::node_joined`]. Simplifications (docs/plan.md):
//! pods that would fit an existing node are left to the scheduler, which retries them on
//! every cluster change; graceful termination is not waited for on scale-down; a node whose
//! provisioning exceeds `max-node-provision-time` never joins.

use std::collections::{BTreeMap, BTreeSet};

use poolcast_model::catalog::{aks, Catalog};
use poolcast_model::scenario::{AutoscalerConfig, Expander, Scenario, WorkloadKind};
use rand::Rng;

use crate::build::Plan;
use crate::cluster::{Cluster, NodeId, PodId, PoolId, SpecId};
use crate::engine::{rng_for, SimRng, SimTime, Stream};
use crate::outcome::{Assumption, NodeEvent, NodeEventKind};
use crate::scheduler::{Scheduler, SchedulerSettings};
use crate::snapshot::{self, Snapshot};

/// The expander AKS uses unless the profile says otherwise (`cluster-autoscaler.md`).
pub const AKS_DEFAULT_EXPANDER: Expander = Expander::Random;
/// The upstream default expander (kubernetes/autoscaler FAQ.md).
pub const UPSTREAM_DEFAULT_EXPANDER: Expander = Expander::LeastWaste;

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;

/// The autoscaler profile in force: the scenario's `cluster.autoscaler` over AKS defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoscalerSettings {
    /// Expander.
    pub expander: Expander,
    /// Pool names in priority order (the `priority` expander).
    pub priorities: Vec<String>,
    /// `scan-interval` (10 s).
    pub scan_interval_ms: u64,
    /// `scale-down-unneeded-time` (10 min).
    pub scale_down_unneeded_ms: u64,
    /// `scale-down-unready-time` (20 min).
    pub scale_down_unready_ms: u64,
    /// `scale-down-delay-after-add` (10 min).
    pub scale_down_delay_after_add_ms: u64,
    /// `scale-down-delay-after-delete` (the scan interval).
    pub scale_down_delay_after_delete_ms: u64,
    /// `scale-down-delay-after-failure` (3 min).
    pub scale_down_delay_after_failure_ms: u64,
    /// `scale-down-utilization-threshold` (0.5).
    pub utilization_threshold: f64,
    /// `max-node-provision-time` (15 min).
    pub max_node_provision_ms: u64,
    /// `max-empty-bulk-delete` (10).
    pub max_empty_bulk_delete: usize,
    /// `skip-nodes-with-system-pods` (true): a node running a kube-system pod that is not
    /// a DaemonSet pod is never scaled down.
    pub skip_nodes_with_system_pods: bool,
    /// Cluster node limit (AKS: 5,000 per cluster).
    pub max_nodes_total: u32,
    /// First back-off of a pool after a failed scale-up (5 min).
    pub initial_backoff_ms: u64,
    /// Longest back-off (30 min).
    pub max_backoff_ms: u64,
}

impl AutoscalerSettings {
    /// The AKS profile defaults overridden by `cfg`.
    pub fn from_config(cfg: Option<&AutoscalerConfig>) -> AutoscalerSettings {
        let d = AutoscalerConfig::default();
        let cfg = cfg.unwrap_or(&d);
        let scan = cfg.scan_interval.map_or(10 * SECOND, |d| d.as_ms()).max(1);
        AutoscalerSettings {
            expander: cfg.expander.unwrap_or(AKS_DEFAULT_EXPANDER),
            priorities: cfg.priorities.clone(),
            scan_interval_ms: scan,
            scale_down_unneeded_ms: cfg
                .scale_down_unneeded_time
                .map_or(10 * MINUTE, |d| d.as_ms()),
            scale_down_unready_ms: 20 * MINUTE,
            scale_down_delay_after_add_ms: cfg
                .scale_down_delay_after_add
                .map_or(10 * MINUTE, |d| d.as_ms()),
            scale_down_delay_after_delete_ms: scan,
            scale_down_delay_after_failure_ms: 3 * MINUTE,
            utilization_threshold: cfg
                .scale_down_utilization_threshold
                .map_or(0.5, |p| p.fraction()),
            max_node_provision_ms: cfg
                .max_node_provision_time
                .map_or(15 * MINUTE, |d| d.as_ms()),
            max_empty_bulk_delete: 10,
            skip_nodes_with_system_pods: true,
            max_nodes_total: aks::MAX_NODES_PER_CLUSTER,
            initial_backoff_ms: 5 * MINUTE,
            max_backoff_ms: 30 * MINUTE,
        }
    }
}

/// One autoscaled pool (a node group).
#[derive(Debug, Clone)]
struct Group {
    pool: PoolId,
    name: String,
    min: u32,
    max: u32,
    provision_ms: u64,
    /// Capacity of one node (cpu millicores, memory bytes) for `least-waste`.
    capacity: (u64, u64),
    price_per_hour: Option<f64>,
    backoff_until: SimTime,
    backoff_ms: u64,
}

#[derive(Debug, Clone, Copy)]
struct Upcoming {
    pool: PoolId,
    requested: SimTime,
    /// Provisioning takes longer than `max-node-provision-time`: the node never joins.
    times_out: bool,
}

/// What the engine must do after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add `count` nodes to `pool`; each joins Ready after `ready_in_ms`.
    ScaleUp {
        /// Pool.
        pool: PoolId,
        /// Nodes that will join.
        count: u32,
        /// Provisioning delay.
        ready_in_ms: u64,
    },
    /// Drain `node` (its pods are evicted and recreated by their controllers) and delete it.
    Delete {
        /// Node.
        node: NodeId,
    },
}

/// What the autoscaler sees of the run at a scan.
pub struct ScanView<'a> {
    /// The run plan (pools, workloads); its `cluster` is not read (the engine lends the
    /// live cluster separately).
    pub plan: &'a Plan,
    /// The live cluster. Scale-down simulation moves pods between nodes on it and moves
    /// them back before `scan` returns.
    pub cluster: &'a mut Cluster,
    /// Pods the scheduler last found unschedulable, still pending, in creation order.
    pub pending: &'a [PodId],
    /// When each node failed (not Ready), by node index.
    pub failed_since: &'a [Option<SimTime>],
    /// Pods whose eviction a PodDisruptionBudget refuses now, sorted. A node holding one is
    /// not scaled down: cluster-autoscaler's drain check (`drain.GetPodsToMove`,
    /// `checkPdbs`) skips it with "not enough pod disruption budget to move".
    pub pdb_blocked: &'a [PodId],
    /// The run's draws: each requested node's time to Ready.
    pub jitter: &'a mut crate::variability::Jitter,
}

/// A scale-up option: a pool and the pods a number of its nodes would take.
#[derive(Debug, Clone)]
struct ScaleUpOption {
    group: usize,
    nodes: u32,
    pods: u32,
    cpu: u64,
    memory: u64,
}

/// The cluster-autoscaler of one run.
pub struct Autoscaler {
    settings: AutoscalerSettings,
    groups: Vec<Group>,
    /// Group index per pool, `None` for pools without `autoscale`.
    group_of: Vec<Option<usize>>,
    empty: Cluster,
    sched_settings: SchedulerSettings,
    /// Filters pods against real nodes in scale-down simulation.
    real_sched: Scheduler,
    rng: SimRng,
    /// Whether a pod of a template fits an empty node of a group: `Err` holds the
    /// scheduler's reasons.
    fits: BTreeMap<(usize, SpecId), Result<(), String>>,
    upcoming: Vec<Upcoming>,
    unneeded: BTreeMap<NodeId, SimTime>,
    last_scale_up: Option<SimTime>,
    last_delete: Option<SimTime>,
    last_failure: Option<SimTime>,
    reported_no_scale_up: BTreeSet<(SpecId, String)>,
    events: Vec<NodeEvent>,
}

impl std::fmt::Debug for Autoscaler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autoscaler")
            .field("settings", &self.settings)
            .field("groups", &self.groups)
            .field("upcoming", &self.upcoming.len())
            .finish()
    }
}

fn frac(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Autoscaler {
    /// The autoscaler of a run, or `None` when no pool has `autoscale`.
    pub fn new(plan: &Plan, scenario: &Scenario) -> Option<Autoscaler> {
        let settings = AutoscalerSettings::from_config(scenario.cluster.autoscaler.as_ref());
        let cat = Catalog::builtin();
        let mut groups = Vec::new();
        let mut group_of = vec![None; plan.pools.len()];
        for (i, (pp, sp)) in plan.pools.iter().zip(&scenario.pools).enumerate() {
            let Some(a) = sp.autoscale else {
                continue;
            };
            let capacity = cat
                .vm_sku(&pp.vm_size)
                .map_or((pp.allocatable.cpu, pp.allocatable.memory), |s| {
                    (u64::from(s.vcpu) * 1000, s.memory.get())
                });
            group_of[i] = Some(groups.len());
            groups.push(Group {
                pool: PoolId(i as u32),
                name: pp.name.clone(),
                min: a.min,
                max: a.max.min(aks::MAX_NODES_PER_POOL),
                provision_ms: pp.provision_ms,
                capacity,
                price_per_hour: pp.price_per_hour,
                backoff_until: SimTime::ZERO,
                backoff_ms: 0,
            });
        }
        if groups.is_empty() {
            return None;
        }
        Some(Autoscaler {
            real_sched: Scheduler::new(plan.scheduler.clone()),
            sched_settings: plan.scheduler.clone(),
            empty: snapshot::empty_like(&plan.cluster),
            rng: rng_for(plan.seed, Stream::Expander),
            settings,
            groups,
            group_of,
            fits: BTreeMap::new(),
            upcoming: Vec::new(),
            unneeded: BTreeMap::new(),
            last_scale_up: None,
            last_delete: None,
            last_failure: None,
            reported_no_scale_up: BTreeSet::new(),
            events: Vec::new(),
        })
    }

    /// The profile in force.
    pub fn settings(&self) -> &AutoscalerSettings {
        &self.settings
    }

    /// Nodes requested for `pool` that have not joined yet.
    pub fn upcoming(&self, pool: PoolId) -> u32 {
        self.upcoming.iter().filter(|u| u.pool == pool).count() as u32
    }

    /// Node events recorded so far, in time order.
    pub fn events(&self) -> &[NodeEvent] {
        &self.events
    }

    /// A node requested by a scale-up joined the cluster.
    pub fn node_joined(&mut self, pool: PoolId, node: &str, now: SimTime) {
        if let Some(i) = self
            .upcoming
            .iter()
            .position(|u| u.pool == pool && !u.times_out)
        {
            let u = self.upcoming.remove(i);
            let g = self.group_of[pool.idx()].map(|g| self.groups[g].name.clone());
            self.events.push(NodeEvent {
                at_ms: now.ms(),
                kind: NodeEventKind::NodeJoined,
                pool: g,
                node: Some(node.to_owned()),
                count: 1,
                message: format!(
                    "node {node} joined Ready {} after the scale-up request",
                    poolcast_model::Duration(now.since(u.requested)).readable()
                ),
            });
        }
    }

    fn live_per_group(&self, cluster: &Cluster) -> Vec<u32> {
        let mut v = vec![0u32; self.groups.len()];
        for n in cluster.nodes.iter().filter(|n| n.live) {
            if let Some(g) = self.group_of.get(n.pool.idx()).copied().flatten() {
                v[g] += 1;
            }
        }
        v
    }

    fn upcoming_per_group(&self) -> Vec<u32> {
        let mut v = vec![0u32; self.groups.len()];
        for u in &self.upcoming {
            if let Some(g) = self.group_of[u.pool.idx()] {
                v[g] += 1;
            }
        }
        v
    }

    /// One autoscaler loop (`StaticAutoscaler.RunOnce`): time out stuck provisioning,
    /// scale up for unschedulable pods, then update unneeded nodes and scale down unless a
    /// scale-up happened or a cool-down is running.
    pub fn scan(&mut self, now: SimTime, view: ScanView<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        self.time_out_provisioning(now);
        let ScanView {
            plan,
            cluster,
            pending,
            failed_since,
            pdb_blocked,
            jitter,
        } = view;
        let scaled_up = self.scale_up(
            now,
            plan,
            cluster,
            (pending, failed_since),
            jitter,
            &mut actions,
        );
        self.update_unneeded(now, cluster, failed_since);
        if !scaled_up && !self.scale_down_in_cooldown(now) {
            self.scale_down(now, cluster, failed_since, pdb_blocked, &mut actions);
        }
        actions
    }

    fn time_out_provisioning(&mut self, now: SimTime) {
        let max = self.settings.max_node_provision_ms;
        let mut timed_out: BTreeMap<PoolId, u32> = BTreeMap::new();
        self.upcoming.retain(|u| {
            if u.times_out && now.since(u.requested) >= max {
                *timed_out.entry(u.pool).or_default() += 1;
                false
            } else {
                true
            }
        });
        for (pool, count) in timed_out {
            let Some(gi) = self.group_of[pool.idx()] else {
                continue;
            };
            let g = &mut self.groups[gi];
            // Node-group back-off: 5 min, doubling to 30 min (FAQ.md, AKS
            // cluster-autoscaler-overview.md).
            g.backoff_ms = if g.backoff_ms == 0 {
                self.settings.initial_backoff_ms
            } else {
                (g.backoff_ms * 2).min(self.settings.max_backoff_ms)
            };
            g.backoff_until = now.plus_ms(g.backoff_ms);
            self.last_failure = Some(now);
            self.events.push(NodeEvent {
                at_ms: now.ms(),
                kind: NodeEventKind::ScaleUpTimedOut,
                pool: Some(g.name.clone()),
                node: None,
                count,
                message: format!(
                    "{count} node(s) of pool {} did not become Ready within max-node-provision-time {}; pool backed off for {}",
                    g.name,
                    poolcast_model::Duration(max).readable(),
                    poolcast_model::Duration(g.backoff_ms).readable()
                ),
            });
        }
    }

    /// Whether a pod of `spec` fits an empty node of group `g` (cached: template nodes do
    /// not change during a run).
    fn fits_template(&mut self, plan: &Plan, g: usize, spec: SpecId) -> Result<(), String> {
        if let Some(r) = self.fits.get(&(g, spec)) {
            return r.clone();
        }
        let mut snap = Snapshot::new(&self.empty, &self.sched_settings);
        let node = snap.add_node(plan, self.groups[g].pool, 0);
        let st = snap.check(spec, node);
        let r = if st.is_success() {
            Ok(())
        } else {
            Err(st.reasons.join(", "))
        };
        self.fits.insert((g, spec), r.clone());
        r
    }

    /// The `DecreasingPodOrderer` order: templates by cpu/allocatable + memory/allocatable
    /// of the node template, largest first (`estimator/decreasing_pod_orderer.go`); ties by
    /// template id.
    fn ordered(
        plan: &Plan,
        cluster: &Cluster,
        pool: PoolId,
        groups: &BTreeMap<SpecId, u32>,
    ) -> Vec<(SpecId, u32)> {
        let alloc = plan.pools[pool.idx()].allocatable;
        let mut v: Vec<(f64, SpecId, u32)> = groups
            .iter()
            .map(|(&s, &n)| {
                let r = cluster.specs[s.idx()].requests;
                (frac(r.cpu, alloc.cpu) + frac(r.memory, alloc.memory), s, n)
            })
            .collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v.into_iter().map(|(_, s, n)| (s, n)).collect()
    }

    /// `BinpackingNodeEstimator.Estimate`: first-fit decreasing onto new template nodes of
    /// group `g`, at most `limit` nodes. Returns the nodes that received pods and the pods
    /// placed per template.
    fn estimate(
        &self,
        plan: &Plan,
        cluster: &Cluster,
        g: usize,
        pods: &BTreeMap<SpecId, u32>,
        limit: u32,
    ) -> (u32, BTreeMap<SpecId, u32>) {
        let pool = self.groups[g].pool;
        let mut snap = Snapshot::new(&self.empty, &self.sched_settings);
        let mut new_nodes: Vec<NodeId> = Vec::new();
        let mut with_pods: BTreeSet<NodeId> = BTreeSet::new();
        let mut placed: BTreeMap<SpecId, u32> = BTreeMap::new();
        for (spec, count) in Self::ordered(plan, cluster, pool, pods) {
            let mut left = count;
            // tryToScheduleOnExistingNodes: until the first pod that fits none of them.
            while left > 0 {
                let Some(n) = new_nodes
                    .iter()
                    .copied()
                    .find(|&n| snap.check(spec, n).is_success())
                else {
                    break;
                };
                snap.place(spec, n);
                with_pods.insert(n);
                *placed.entry(spec).or_default() += 1;
                left -= 1;
            }
            // tryToScheduleOnNewNodes: the last node, else a new one.
            while left > 0 {
                if let Some(&last) = new_nodes.last() {
                    if snap.check(spec, last).is_success() {
                        snap.place(spec, last);
                        with_pods.insert(last);
                        *placed.entry(spec).or_default() += 1;
                        left -= 1;
                        continue;
                    }
                    if !with_pods.contains(&last) {
                        break;
                    }
                }
                if new_nodes.len() as u32 >= limit {
                    break;
                }
                let n = snap.add_node(plan, pool, new_nodes.len() as u32);
                new_nodes.push(n);
                if !snap.check(spec, n).is_success() {
                    break;
                }
                snap.place(spec, n);
                with_pods.insert(n);
                *placed.entry(spec).or_default() += 1;
                left -= 1;
            }
        }
        (with_pods.len() as u32, placed)
    }

    /// `filterOutSchedulable` (`core/podlistprocessor/filter_out_schedulable.go`): pods
    /// that fit the live Ready nodes, placed one after another as the scheduler would, are
    /// left to the scheduler. Placements are simulated on the live cluster and undone.
    /// Returns the rest, counted per template.
    fn filter_out_schedulable(
        &mut self,
        cluster: &mut Cluster,
        pending: &[PodId],
        failed_since: &[Option<SimTime>],
    ) -> BTreeMap<SpecId, u32> {
        let mut by_spec: BTreeMap<SpecId, Vec<PodId>> = BTreeMap::new();
        for &p in pending {
            let pod = &cluster.pods[p.idx()];
            if !pod.active || pod.node.is_some() || pod.pinned_node.is_some() {
                continue;
            }
            // DaemonSet pods are created for their node and never trigger a scale-up
            // (core/podlistprocessor filter_out_daemon_sets.go).
            if cluster.specs[pod.spec.idx()].owner.kind() == WorkloadKind::DaemonSet {
                continue;
            }
            by_spec.entry(pod.spec).or_default().push(p);
        }
        let nodes: Vec<NodeId> = cluster
            .live_node_ids()
            .filter(|n| failed_since.get(n.idx()).copied().flatten().is_none())
            .collect();
        // `bind` clears a preemption nomination; the simulation must not.
        let mut placed: Vec<(PodId, Option<NodeId>)> = Vec::new();
        let mut rest: BTreeMap<SpecId, u32> = BTreeMap::new();
        for (spec, pods) in by_spec {
            // Pods of one template are identical: nodes that refused one refuse the next,
            // so the scan resumes where the last pod landed.
            let mut from = 0;
            for (i, &p) in pods.iter().enumerate() {
                let hit = (from..nodes.len()).find(|&j| {
                    self.real_sched
                        .filter_one(cluster, p, nodes[j])
                        .is_success()
                });
                match hit {
                    Some(j) => {
                        placed.push((p, cluster.pods[p.idx()].nominated_node));
                        cluster.bind(p, nodes[j]);
                        from = j;
                    }
                    None => {
                        rest.insert(spec, (pods.len() - i) as u32);
                        break;
                    }
                }
            }
        }
        for (p, nominated) in placed.into_iter().rev() {
            cluster.unbind(p);
            cluster.pods[p.idx()].nominated_node = nominated;
        }
        rest
    }

    fn scale_up(
        &mut self,
        now: SimTime,
        plan: &Plan,
        cluster: &mut Cluster,
        (pending, failed_since): (&[PodId], &[Option<SimTime>]),
        jitter: &mut crate::variability::Jitter,
        actions: &mut Vec<Action>,
    ) -> bool {
        if pending.is_empty() {
            return false;
        }
        let mut pending = self.filter_out_schedulable(cluster, pending, failed_since);
        if pending.is_empty() {
            return false;
        }
        let cluster = &*cluster;

        // Pods that will land on nodes already being provisioned do not count (CA adds
        // upcoming nodes to its snapshot before it filters out schedulable pods).
        if !self.upcoming.is_empty() {
            let mut snap = Snapshot::new(&self.empty, &self.sched_settings);
            let mut nodes = Vec::new();
            // CA cannot know which requests will time out: every one counts until it does.
            for (i, u) in self.upcoming.iter().enumerate() {
                nodes.push(snap.add_node(plan, u.pool, i as u32));
            }
            let mut left = BTreeMap::new();
            for (&spec, &count) in &pending {
                let mut rest = count;
                while rest > 0 {
                    let Some(n) = nodes
                        .iter()
                        .copied()
                        .find(|&n| snap.check(spec, n).is_success())
                    else {
                        break;
                    };
                    snap.place(spec, n);
                    rest -= 1;
                }
                if rest > 0 {
                    left.insert(spec, rest);
                }
            }
            pending = left;
            if pending.is_empty() {
                return false;
            }
        }

        let live = self.live_per_group(cluster);
        let upcoming = self.upcoming_per_group();
        let total: u32 = cluster.live_nodes + self.upcoming.len() as u32;
        let mut options = Vec::new();
        let mut why_not: BTreeMap<SpecId, Vec<String>> = BTreeMap::new();
        for g in 0..self.groups.len() {
            let size = live[g] + upcoming[g];
            let mut fitting = BTreeMap::new();
            for (&spec, &count) in &pending {
                match self.fits_template(plan, g, spec) {
                    Ok(()) => {
                        fitting.insert(spec, count);
                    }
                    Err(r) => why_not.entry(spec).or_default().push(r),
                }
            }
            if fitting.is_empty() {
                continue;
            }
            let group = &self.groups[g];
            let blocked = if now < group.backoff_until {
                Some("in back-off after failed scale-up")
            } else if size >= group.max {
                Some("max node group size reached")
            } else if total >= self.settings.max_nodes_total {
                Some("max cluster size reached")
            } else {
                None
            };
            if let Some(b) = blocked {
                for &spec in fitting.keys() {
                    why_not.entry(spec).or_default().push(b.to_owned());
                }
                continue;
            }
            let limit = (group.max - size).min(self.settings.max_nodes_total - total);
            let (nodes, placed) = self.estimate(plan, cluster, g, &fitting, limit);
            if nodes == 0 {
                continue;
            }
            let (mut cpu, mut memory, mut pods) = (0u64, 0u64, 0u32);
            for (spec, n) in &placed {
                let r = cluster.specs[spec.idx()].requests;
                cpu += r.cpu * u64::from(*n);
                memory += r.memory * u64::from(*n);
                pods += n;
            }
            options.push(ScaleUpOption {
                group: g,
                nodes,
                pods,
                cpu,
                memory,
            });
        }
        if options.is_empty() {
            self.report_no_scale_up(now, cluster, &pending, &why_not);
            return false;
        }
        let best = self.expand(&options);
        let o = &options[best];
        let g = &self.groups[o.group];
        let size = live[o.group] + upcoming[o.group];
        // Each node's time to Ready is its own draw (`crate::variability`); one drawn
        // beyond max-node-provision-time never joins and times the group out.
        for _ in 0..o.nodes {
            let ready_in_ms = jitter.provisioning_ms(plan.pools[g.pool.idx()].os, g.provision_ms);
            let times_out = ready_in_ms > self.settings.max_node_provision_ms;
            self.upcoming.push(Upcoming {
                pool: g.pool,
                requested: now,
                times_out,
            });
            if !times_out {
                actions.push(Action::ScaleUp {
                    pool: g.pool,
                    count: 1,
                    ready_in_ms,
                });
            }
        }
        self.events.push(NodeEvent {
            at_ms: now.ms(),
            kind: NodeEventKind::TriggeredScaleUp,
            pool: Some(g.name.clone()),
            node: None,
            count: o.nodes,
            message: format!(
                "pod triggered scale-up: [{{{} {}->{} (max: {})}}] for {} pending pod(s), expander {}",
                g.name,
                size,
                size + o.nodes,
                g.max,
                o.pods,
                expander_name(self.settings.expander)
            ),
        });
        self.last_scale_up = Some(now);
        true
    }

    /// `NotTriggerScaleUp`, once per template and message: why no pool could take a pod.
    fn report_no_scale_up(
        &mut self,
        now: SimTime,
        cluster: &Cluster,
        pending: &BTreeMap<SpecId, u32>,
        why_not: &BTreeMap<SpecId, Vec<String>>,
    ) {
        for (&spec, &count) in pending {
            let mut hist: BTreeMap<&str, u32> = BTreeMap::new();
            for r in why_not.get(&spec).map(Vec::as_slice).unwrap_or_default() {
                *hist.entry(r.as_str()).or_default() += 1;
            }
            let reasons: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
            let msg = if reasons.is_empty() {
                "pod didn't trigger scale-up: no autoscaled node group".to_owned()
            } else {
                format!("pod didn't trigger scale-up: {}", reasons.join(", "))
            };
            if self.reported_no_scale_up.insert((spec, msg.clone())) {
                self.events.push(NodeEvent {
                    at_ms: now.ms(),
                    kind: NodeEventKind::NotTriggerScaleUp,
                    pool: None,
                    node: None,
                    count,
                    message: format!("{}: {msg}", cluster.specs[spec.idx()].workload),
                });
            }
        }
    }

    /// The expander's choice among `options` (index). `random`: uniform; `most-pods`:
    /// most pods placed; `least-waste`: least idle cpu + memory fraction of the new nodes'
    /// capacity (`expander/waste/waste.go`); `price`: least node cost per pod placed
    /// (`expander/price/price.go` without its preferred-node factor); `priority`: the
    /// first pool in `priorities` (`expander/priority`). Ties fall back to `random`.
    fn expand(&mut self, options: &[ScaleUpOption]) -> usize {
        let score: Vec<Option<f64>> = options
            .iter()
            .map(|o| {
                let g = &self.groups[o.group];
                match self.settings.expander {
                    Expander::Random => Some(0.0),
                    Expander::MostPods => Some(-f64::from(o.pods)),
                    Expander::LeastWaste => {
                        let cpu = g.capacity.0 * u64::from(o.nodes);
                        let mem = g.capacity.1 * u64::from(o.nodes);
                        Some(
                            frac(cpu.saturating_sub(o.cpu), cpu)
                                + frac(mem.saturating_sub(o.memory), mem),
                        )
                    }
                    Expander::Price => g
                        .price_per_hour
                        .map(|p| p * f64::from(o.nodes) / f64::from(o.pods.max(1))),
                    Expander::Priority => Some(
                        self.settings
                            .priorities
                            .iter()
                            .position(|n| *n == g.name)
                            .map_or(f64::MAX, |i| i as f64),
                    ),
                }
            })
            .collect();
        let best = score
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let tied: Vec<usize> = (0..options.len())
            .filter(|&i| score[i].is_some_and(|s| s == best))
            .collect();
        let pool: Vec<usize> = if tied.is_empty() {
            (0..options.len()).collect()
        } else {
            tied
        };
        if pool.len() == 1 {
            return pool[0];
        }
        pool[self.rng.random_range(0..pool.len())]
    }

    fn scale_down_in_cooldown(&self, now: SimTime) -> bool {
        let s = &self.settings;
        let within = |t: Option<SimTime>, d: u64| t.is_some_and(|t| now.since(t) < d);
        within(self.last_scale_up, s.scale_down_delay_after_add_ms)
            || within(self.last_delete, s.scale_down_delay_after_delete_ms)
            || within(self.last_failure, s.scale_down_delay_after_failure_ms)
    }

    /// A node's utilisation: the larger of requested cpu and memory over allocatable, all
    /// pods counted (`simulator/utilization/info.go`; AKS keeps
    /// `ignore-daemonsets-utilization` false).
    fn utilization(cluster: &Cluster, node: NodeId) -> (f64, f64) {
        let n = &cluster.nodes[node.idx()];
        (
            frac(n.requested.cpu, n.allocatable.cpu),
            frac(n.requested.memory, n.allocatable.memory),
        )
    }

    /// The pods that must move off `node`, or `None` when one blocks its removal: a pod
    /// without a controller, or a kube-system pod with skip-nodes-with-system-pods
    /// (`utils/drain/drain.go`). DaemonSet pods stay.
    fn pods_to_move(&self, cluster: &Cluster, node: NodeId) -> Option<Vec<PodId>> {
        let mut v = Vec::new();
        for &p in &cluster.nodes[node.idx()].pods {
            let spec = cluster.spec_of(p);
            match spec.owner.kind() {
                WorkloadKind::DaemonSet => continue,
                WorkloadKind::Pod => return None,
                _ => {}
            }
            if self.settings.skip_nodes_with_system_pods && spec.namespace == "kube-system" {
                return None;
            }
            v.push(p);
        }
        v.sort_unstable();
        Some(v)
    }

    /// Marks nodes unneeded (`scaledown/planner`): autoscaled, Ready, under the
    /// utilisation threshold, and every pod to move passes the filters on another node
    /// that is not itself going away. Moves are simulated on the live cluster and undone.
    fn update_unneeded(
        &mut self,
        now: SimTime,
        cluster: &mut Cluster,
        failed_since: &[Option<SimTime>],
    ) {
        let mut candidates: Vec<(f64, NodeId)> = Vec::new();
        for id in cluster.live_node_ids() {
            let n = &cluster.nodes[id.idx()];
            if self.group_of[n.pool.idx()].is_none()
                || failed_since.get(id.idx()).copied().flatten().is_some()
            {
                continue;
            }
            let (c, m) = Self::utilization(cluster, id);
            let u = c.max(m);
            if u < self.settings.utilization_threshold {
                candidates.push((u, id));
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut removed: BTreeSet<NodeId> = BTreeSet::new();
        let mut moves: Vec<(PodId, NodeId, NodeId)> = Vec::new();
        let dests: Vec<NodeId> = cluster
            .live_node_ids()
            .filter(|d| failed_since.get(d.idx()).copied().flatten().is_none())
            .collect();
        for &(_, node) in &candidates {
            let Some(pods) = self.pods_to_move(cluster, node) else {
                continue;
            };
            let mark = moves.len();
            let mut ok = true;
            for p in pods {
                let dest = dests.iter().copied().find(|&d| {
                    d != node
                        && !removed.contains(&d)
                        && self.real_sched.filter_one(cluster, p, d).is_success()
                });
                match dest {
                    Some(d) => {
                        cluster.unbind(p);
                        cluster.bind(p, d);
                        moves.push((p, node, d));
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                removed.insert(node);
            } else {
                for (p, from, _) in moves.drain(mark..).rev() {
                    cluster.unbind(p);
                    cluster.bind(p, from);
                }
            }
        }
        for (p, from, _) in moves.into_iter().rev() {
            cluster.unbind(p);
            cluster.bind(p, from);
        }
        self.unneeded.retain(|n, _| removed.contains(n));
        for n in removed {
            self.unneeded.entry(n).or_insert(now);
        }
    }

    fn scale_down(
        &mut self,
        now: SimTime,
        cluster: &mut Cluster,
        failed_since: &[Option<SimTime>],
        pdb_blocked: &[PodId],
        actions: &mut Vec<Action>,
    ) {
        let live = self.live_per_group(cluster);
        let upcoming = self.upcoming_per_group();
        let mut room: Vec<u32> = (0..self.groups.len())
            .map(|g| (live[g] + upcoming[g]).saturating_sub(self.groups[g].min))
            .collect();
        let mut deletions: Vec<(NodeId, String)> = Vec::new();
        // Nodes NotReady for scale-down-unready-time go first.
        for id in cluster.live_node_ids() {
            let Some(g) = self.group_of[cluster.nodes[id.idx()].pool.idx()] else {
                continue;
            };
            let Some(since) = failed_since.get(id.idx()).copied().flatten() else {
                continue;
            };
            if now.since(since) >= self.settings.scale_down_unready_ms && room[g] > 0 {
                room[g] -= 1;
                deletions.push((
                    id,
                    format!(
                        "node NotReady for {}",
                        poolcast_model::Duration(now.since(since)).readable()
                    ),
                ));
            }
        }
        let due: Vec<NodeId> = self
            .unneeded
            .iter()
            .filter(|(_, &t)| now.since(t) >= self.settings.scale_down_unneeded_ms)
            .map(|(&n, _)| n)
            .collect();
        let mut empty = 0usize;
        let mut drained = false;
        for node in due {
            let Some(g) = self.group_of[cluster.nodes[node.idx()].pool.idx()] else {
                continue;
            };
            if room[g] == 0 {
                continue;
            }
            let Some(pods) = self.pods_to_move(cluster, node) else {
                continue;
            };
            if pods.iter().any(|p| pdb_blocked.binary_search(p).is_ok()) {
                continue;
            }
            // Empty nodes in bulk (max-empty-bulk-delete), one drained node per loop
            // (max-drain-parallelism 1).
            if pods.is_empty() {
                if empty >= self.settings.max_empty_bulk_delete {
                    continue;
                }
                empty += 1;
            } else {
                if drained {
                    continue;
                }
                drained = true;
            }
            room[g] -= 1;
            let (c, m) = Self::utilization(cluster, node);
            let names: Vec<&str> = pods
                .iter()
                .map(|&p| cluster.pods[p.idx()].name.as_str())
                .collect();
            deletions.push((
                node,
                format!(
                    "utilization cpu {:.2} memory {:.2} under {:.2} for {}; pods to reschedule: {}",
                    c,
                    m,
                    self.settings.utilization_threshold,
                    poolcast_model::Duration(now.since(self.unneeded[&node])).readable(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        for (node, why) in deletions {
            let n = &cluster.nodes[node.idx()];
            let g = self.group_of[n.pool.idx()].map(|g| self.groups[g].name.clone());
            self.events.push(NodeEvent {
                at_ms: now.ms(),
                kind: NodeEventKind::ScaleDown,
                pool: g,
                node: Some(n.name.clone()),
                count: 1,
                message: format!("Scale-down: removing node {}, {why}", n.name),
            });
            self.unneeded.remove(&node);
            self.last_delete = Some(now);
            actions.push(Action::Delete { node });
        }
    }
}

/// The approximations behind the autoscaler model, for `Outcome::assumptions`.
pub fn assumptions() -> Vec<Assumption> {
    vec![
        Assumption {
            topic: "autoscaler".into(),
            text: "template nodes see only their own pods: pod affinity and topology spread on a new node ignore pods on existing nodes".into(),
            source: "poolcast simplification of cluster-autoscaler's ClusterSnapshot (docs/autoscaler.md)".into(),
        },
        Assumption {
            topic: "autoscaler".into(),
            text: "scale-down skips nodes whose pods a PodDisruptionBudget protects but does not wait for graceful termination: a removed node leaves at once".into(),
            source: "poolcast simplification (docs/autoscaler.md)".into(),
        },
        Assumption {
            topic: "autoscaler".into(),
            text: "a node whose provisioning exceeds max-node-provision-time never joins".into(),
            source: "kubernetes/autoscaler cluster-autoscaler/FAQ.md (node group back-off); AKSDOCS cluster-autoscaler.md (max-node-provision-time 15 min)".into(),
        },
    ]
}

/// The expander's name as the profile spells it.
pub fn expander_name(e: Expander) -> &'static str {
    match e {
        Expander::Random => "random",
        Expander::LeastWaste => "least-waste",
        Expander::MostPods => "most-pods",
        Expander::Priority => "priority",
        Expander::Price => "price",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_model::scenario::AutoscalerConfig;
    use poolcast_model::{Duration, Percent};

    #[test]
    fn aks_profile_defaults() {
        let s = AutoscalerSettings::from_config(None);
        assert_eq!(s.expander, Expander::Random);
        assert_eq!(s.scan_interval_ms, 10_000);
        assert_eq!(s.scale_down_unneeded_ms, 600_000);
        assert_eq!(s.scale_down_delay_after_add_ms, 600_000);
        assert_eq!(s.scale_down_delay_after_delete_ms, 10_000);
        assert_eq!(s.scale_down_delay_after_failure_ms, 180_000);
        assert_eq!(s.max_node_provision_ms, 900_000);
        assert_eq!(s.utilization_threshold, 0.5);
        assert_eq!(s.max_nodes_total, 5_000);
        assert_ne!(AKS_DEFAULT_EXPANDER, UPSTREAM_DEFAULT_EXPANDER);
    }

    #[test]
    fn profile_overrides_apply() {
        let cfg = AutoscalerConfig {
            expander: Some(Expander::LeastWaste),
            scan_interval: Some(Duration::secs(30)),
            scale_down_utilization_threshold: Some(Percent(6000)),
            ..AutoscalerConfig::default()
        };
        let s = AutoscalerSettings::from_config(Some(&cfg));
        assert_eq!(s.expander, Expander::LeastWaste);
        assert_eq!(s.scan_interval_ms, 30_000);
        assert_eq!(s.scale_down_delay_after_delete_ms, 30_000);
        assert!((s.utilization_threshold - 0.6).abs() < 1e-9);
        assert_eq!(expander_name(s.expander), "least-waste");
    }
}

//! Turns the engine's final state into the `Outcome` report: per-pod and per-node records,
//! summary counts, cost, percentiles, targets and the failures list.

use std::collections::BTreeMap;

use super::{Engine, Phase, PodPull};
use crate::cluster::Res;
use crate::engine::SimTime;
use crate::outcome::{
    percentile, round4, Assumption, Cost, FailureRecord, Name, NodeRecord, Outcome, Percentiles,
    PodCounts, PodRecord, PoolSummary, PullRecord, Reason, ResourceRecord, Summary, TargetResult,
    TopFailure, Utilisation, WorkloadSummary, SCHEMA,
};

/// A pod bound this long before the horizon without becoming ready is reported as
/// `StartTimeout` (AKS's own drain timeout, Azure/AKS#2114); a pod bound more recently is
/// still starting.
pub const START_TIMEOUT_MS: u64 = 600_000;
/// Hours in Azure's pricing month.
pub const HOURS_PER_MONTH: f64 = 730.0;

fn res_record(r: &Res) -> ResourceRecord {
    ResourceRecord {
        cpu_millis: r.cpu,
        memory_bytes: r.memory,
        ephemeral_storage_bytes: r.ephemeral,
        pods: r.pods,
    }
}

/// Where an alive pod stands at the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Pending,
    Starting,
    Ready,
    Succeeded,
    Failed(Reason),
    Evicted,
    Gone,
}

impl Engine<'_> {
    fn standing(&self, i: usize) -> Standing {
        let p = &self.pods[i];
        match p.phase {
            Phase::Deleted => return Standing::Gone,
            Phase::Succeeded => return Standing::Succeeded,
            Phase::Failed => return Standing::Evicted,
            Phase::Pending | Phase::Running => {}
        }
        if p.is_ready {
            return Standing::Ready;
        }
        if let Some(r) = p.reason {
            return Standing::Failed(r);
        }
        let node = self.plan.cluster.pods[i].node;
        let bound = node.is_some();
        // A pod on a failed node is Unknown/Terminating, not a start-up failure.
        if node.is_some_and(|n| self.nodes[n.idx()].failed.is_some()) {
            return Standing::Starting;
        }
        match p.scheduled {
            Some(t) if bound && self.horizon.since(t) >= START_TIMEOUT_MS => {
                Standing::Failed(Reason::StartTimeout)
            }
            _ if bound => Standing::Starting,
            _ => Standing::Pending,
        }
    }

    fn start_timeout_message(&self, i: usize) -> String {
        let p = &self.pods[i];
        let stage = if p.started.is_some() {
            "containers started, app not ready".to_owned()
        } else if p.pulled.is_some() {
            "creating containers".to_owned()
        } else {
            let spec = &self.plan.cluster.specs[self.plan.cluster.pods[i].spec.idx()];
            let img = spec
                .images
                .get(p.next_image)
                .map(|&im| self.plan.cluster.images[im.idx()].name.as_str())
                .unwrap_or("");
            format!("pulling image \"{img}\"")
        };
        let since = p.scheduled.map(|t| self.horizon.since(t)).unwrap_or(0);
        format!(
            "not ready {} after binding: {stage}",
            poolcast_model::Duration(since)
        )
    }

    fn pull_record(x: &PodPull, images: &[Name]) -> PullRecord {
        let total_ms = x.done.since(x.asked);
        let (source, f) = match x.pull {
            None => ("present", None),
            Some(f) if x.joined => ("joined", Some(f)),
            Some(f) => ("pulled", Some(f)),
        };
        PullRecord {
            image: images[x.image.idx()].clone(),
            source,
            bytes: f.map_or(0, |f| f.bytes),
            unpacked_bytes: f.map_or(0, |f| f.unpacked),
            download_ms: f.map_or(0, |f| f.download_ms),
            extraction_ms: f.map_or(0, |f| f.extraction_ms),
            waiting_ms: total_ms.saturating_sub(f.map_or(0, |f| f.active_ms)),
            pull_ms: f.map_or(0, |f| x.done.since(f.started)),
            total_ms,
            requested_ms: x.asked.ms(),
            done_ms: x.done.ms(),
        }
    }

    /// The report of the run. It consumes the engine: pod names, failure records, samples
    /// and assumptions move into the report instead of being copied (150,000 pods would
    /// otherwise allocate and then free each name twice).
    pub(crate) fn into_outcome(mut self) -> Outcome {
        let horizon = self.horizon;
        // Upgrade records name pods: built before the names move out.
        let upgrades = self.upgrade_records();
        let mut names: Vec<String> = self
            .plan
            .cluster
            .pods
            .iter_mut()
            .map(|p| std::mem::take(&mut p.name))
            .collect();
        let mut failures: Vec<FailureRecord> = std::mem::take(&mut self.failures);
        let cluster = &self.plan.cluster;
        // One shared name per distinct workload, namespace, node, pool and image: the
        // records clone the handle instead of copying the text once per pod.
        let workload_names: Vec<Name> = self
            .plan
            .workloads
            .iter()
            .map(|w| Name::from(w.name.as_str()))
            .collect();
        let mut namespaces: BTreeMap<&str, Name> = BTreeMap::new();
        let spec_namespaces: Vec<Name> = cluster
            .specs
            .iter()
            .map(|s| {
                namespaces
                    .entry(s.namespace.as_str())
                    .or_insert_with(|| Name::from(s.namespace.as_str()))
                    .clone()
            })
            .collect();
        let pool_names: Vec<Name> = self
            .plan
            .pools
            .iter()
            .map(|p| Name::from(p.name.as_str()))
            .collect();
        let node_names: Vec<Name> = cluster
            .nodes
            .iter()
            .map(|n| Name::from(n.name.as_str()))
            .collect();
        let image_names: Vec<Name> = cluster
            .images
            .iter()
            .map(|im| Name::from(im.name.as_str()))
            .collect();
        let mut pods = Vec::with_capacity(self.pods.iter().filter(|p| p.visible).count());
        let mut counts = PodCounts::default();
        let mut sys_counts = PodCounts::default();
        let mut by_reason: BTreeMap<Reason, u32> = BTreeMap::new();
        // Keyed by borrowed names while the pods are walked (one key copy per workload, not
        // per pod); `&str` orders as `String` does.
        let mut by_workload: BTreeMap<&str, WorkloadSummary> = BTreeMap::new();
        let mut ttr: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        // Failures grouped by reason and message with the pod's and its node's names masked,
        // so the same kubelet error on many pods is one line; the first message is shown.
        let mut top: BTreeMap<(Reason, String), (String, Vec<String>)> = BTreeMap::new();
        let mut max_pending = 0u64;
        let mut ttr_all: Vec<u64> = Vec::new();
        let mut all_placed = (0u32, 0u32);

        for (i, p) in self.pods.iter().enumerate() {
            if !p.visible {
                continue;
            }
            let cp = &cluster.pods[i];
            let name = std::mem::take(&mut names[i]);
            let wp = &self.plan.workloads[p.workload as usize];
            let standing = self.standing(i);
            let node = cp.node.or(p.last_node);
            let (mut reason, mut message) = (p.reason, p.message.clone());
            if standing == Standing::Failed(Reason::StartTimeout) && reason.is_none() {
                let msg = self.start_timeout_message(i);
                reason = Some(Reason::StartTimeout);
                message = Some(msg.clone());
                if !wp.system {
                    failures.push(FailureRecord {
                        at_ms: horizon.ms(),
                        pod: Some(name.clone()),
                        workload: Some(wp.name.clone()),
                        node: node.map(|n| cluster.nodes[n.idx()].name.clone()),
                        reason: Reason::StartTimeout,
                        message: msg,
                    });
                }
            }
            if matches!(standing, Standing::Ready | Standing::Succeeded) {
                reason = None;
                message = None;
            }
            let phase = match p.phase {
                Phase::Pending | Phase::Running if p.started.is_some() => Phase::Running,
                ph => ph,
            };
            pods.push(PodRecord {
                name,
                namespace: spec_namespaces[cp.spec.idx()].clone(),
                workload: workload_names[p.workload as usize].clone(),
                system: wp.system,
                node: node.map(|n| node_names[n.idx()].clone()),
                pool: node.map(|n| pool_names[cluster.nodes[n.idx()].pool.idx()].clone()),
                phase: phase.as_str(),
                ready: p.is_ready,
                reason,
                message,
                created_ms: p.created.ms(),
                scheduled_ms: p.scheduled.map(SimTime::ms),
                pulled_ms: p.pulled.map(SimTime::ms),
                started_ms: p.started.map(SimTime::ms),
                ready_ms: p.ready.map(SimTime::ms),
                ended_ms: p.ended.map(SimTime::ms),
                attempts: self.attempts[i],
                priority: cluster.specs[cp.spec.idx()].priority,
                pulls: p
                    .pulls
                    .iter()
                    .map(|x| Self::pull_record(x, &image_names))
                    .collect(),
            });

            let c = if wp.system {
                &mut sys_counts
            } else {
                &mut counts
            };
            let ws = by_workload
                .entry(wp.name.as_str())
                .or_insert_with(|| WorkloadSummary {
                    kind: format!("{:?}", wp.kind),
                    ..WorkloadSummary::default()
                });
            for c in [c, &mut ws.pods] {
                match standing {
                    Standing::Gone => {}
                    Standing::Pending => {
                        c.total += 1;
                        c.pending += 1;
                    }
                    Standing::Starting => {
                        c.total += 1;
                        c.placed += 1;
                    }
                    Standing::Ready => {
                        c.total += 1;
                        c.placed += 1;
                        c.ready += 1;
                    }
                    Standing::Succeeded => {
                        c.total += 1;
                        c.succeeded += 1;
                    }
                    Standing::Failed(r) => {
                        c.total += 1;
                        c.failed += 1;
                        if r == Reason::Unschedulable {
                            c.pending += 1;
                        } else {
                            c.placed += 1;
                        }
                    }
                    Standing::Evicted => {
                        c.total += 1;
                        c.failed += 1;
                    }
                }
            }
            let failed_reason = match standing {
                Standing::Failed(r) => Some(r),
                Standing::Evicted => Some(p.reason.unwrap_or(Reason::DiskPressureEviction)),
                _ => None,
            };
            if let Some(r) = failed_reason {
                *ws.by_reason.entry(r).or_default() += 1;
                if !wp.system {
                    *by_reason.entry(r).or_default() += 1;
                }
                let rec = &pods[pods.len() - 1];
                let (name, msg) = (&rec.name, rec.message.clone().unwrap_or_default());
                let mut key = msg.replace(name.as_str(), "<pod>");
                if let Some(n) = p.last_node {
                    key = key.replace(self.plan.cluster.nodes[n.idx()].name.as_str(), "<node>");
                }
                top.entry((r, key))
                    .or_insert_with(|| (msg, Vec::new()))
                    .1
                    .push(name.clone());
            }
            if wp.system {
                continue;
            }
            // Time to ready, pending time and the allPlaced target (workload pods only).
            if let (Some(r), Some(n)) = (p.ready, p.last_node) {
                let v = r.since(p.created);
                ttr.entry(cluster.nodes[n.idx()].os.label())
                    .or_default()
                    .push(v);
                ttr_all.push(v);
            } else if standing != Standing::Gone && standing != Standing::Succeeded {
                ttr_all.push(u64::MAX);
            }
            let pend_end = p.started.or(p.ended).unwrap_or(horizon);
            max_pending = max_pending.max(pend_end.since(p.created));
            if !matches!(standing, Standing::Gone | Standing::Succeeded) {
                all_placed.1 += 1;
                if standing == Standing::Ready {
                    all_placed.0 += 1;
                }
            }
        }

        let by_workload: BTreeMap<String, WorkloadSummary> = by_workload
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();

        // Nodes.
        let mut nodes = Vec::with_capacity(cluster.nodes.len());
        let mut by_pool: BTreeMap<String, PoolSummary> = BTreeMap::new();
        for p in &self.plan.pools {
            by_pool.insert(
                p.name.clone(),
                PoolSummary {
                    os: p.os.label().to_owned(),
                    vm_size: p.vm_size.clone(),
                    nodes: 0,
                    price_per_node_hour: p.price_per_hour.map(round4),
                    vm_per_node_hour: p.vm_price_per_hour.map(round4),
                    disk_per_node_hour: p.disk_price_per_hour.map(round4),
                    disk_basis: p.disk_basis.clone(),
                    disk_estimated: p.disk_estimated,
                    cost_per_hour: None,
                    price_basis: p.price_basis.clone(),
                    node_hours: 0.0,
                    run_cost: None,
                },
            );
        }
        for (i, n) in cluster.nodes.iter().enumerate() {
            let rt = &self.nodes[i];
            let k = &self.kubelets[i];
            let pool = &self.plan.pools[n.pool.idx()];
            if let Some(ps) = by_pool.get_mut(&pool.name) {
                if n.live {
                    ps.nodes += 1;
                }
                // Billed from the add request (join minus provisioning) or time zero, to
                // deletion or the horizon.
                let start = if rt.created.ms() > 0 {
                    rt.created.ms().saturating_sub(pool.provision_ms)
                } else {
                    0
                };
                let end = rt
                    .removed
                    .map_or(horizon.ms(), SimTime::ms)
                    .min(horizon.ms());
                ps.node_hours += end.saturating_sub(start) as f64 / 3_600_000.0;
            }
            let state = if rt.removed.is_some() {
                "Deleted"
            } else if rt.failed.is_some() {
                "NotReady"
            } else if n.unschedulable {
                "Ready,SchedulingDisabled"
            } else {
                "Ready"
            };
            nodes.push(NodeRecord {
                name: n.name.clone(),
                pool: pool.name.clone(),
                os: n.os.label().to_owned(),
                windows_build: n.windows_build.map(|b| format!("10.0.{b}")),
                vm_size: pool.vm_size.clone(),
                zone: rt.zone.clone(),
                state: state.to_owned(),
                created_ms: rt.created.ms(),
                failed_ms: rt.failed.map(SimTime::ms),
                removed_ms: rt.removed.map(SimTime::ms),
                allocatable: res_record(&n.allocatable),
                requested: res_record(&n.requested),
                pods: n.pods.len() as u32,
                images: n
                    .images
                    .iter()
                    .map(|&im| cluster.images[im.idx()].name.clone())
                    .collect(),
                disk_capacity_bytes: k.params.disk_capacity,
                disk_used_bytes: k.disk_used,
                disk_pressure: k.disk_pressure,
                taints: n.taints.iter().map(|t| t.to_string()).collect(),
            });
        }
        let mut per_hour = 0.0;
        let mut run_cost = 0.0;
        let (mut vms_hour, mut disks_hour, mut run_vms, mut run_disks) = (0.0, 0.0, 0.0, 0.0);
        let mut node_hours = 0.0;
        let mut unpriced_pools = Vec::new();
        let mut estimated_pools = Vec::new();
        for (name, ps) in by_pool.iter_mut() {
            node_hours += ps.node_hours;
            let pp = self.plan.pools.iter().find(|p| &p.name == name);
            let vm = pp.and_then(|p| p.vm_price_per_hour);
            let disk = pp.and_then(|p| p.disk_price_per_hour);
            let used = ps.nodes > 0 || ps.node_hours > 0.0;
            match ps.price_per_node_hour {
                Some(p) => {
                    let c = p * f64::from(ps.nodes);
                    ps.cost_per_hour = Some(round4(c));
                    per_hour += c;
                    ps.run_cost = Some(round4(p * ps.node_hours));
                    run_cost += p * ps.node_hours;
                    let d = disk.unwrap_or(0.0);
                    let v = vm.unwrap_or(p - d);
                    vms_hour += v * f64::from(ps.nodes);
                    disks_hour += d * f64::from(ps.nodes);
                    run_vms += v * ps.node_hours;
                    run_disks += d * ps.node_hours;
                }
                None if used => unpriced_pools.push(name.clone()),
                None => {}
            }
            if used && (ps.disk_estimated || disk.is_none()) {
                estimated_pools.push(name.clone());
            }
            ps.node_hours = round4(ps.node_hours);
        }
        let complete = unpriced_pools.is_empty();
        let run_hours = horizon.ms() as f64 / 3_600_000.0;
        per_hour += self.plan.tier_fee_per_hour;
        run_cost += self.plan.tier_fee_per_hour * run_hours;

        // Peaks.
        let mut peak = BTreeMap::new();
        for (name, s) in &self.series.pools {
            let pi = self.plan.pools.iter().position(|p| &p.name == name);
            peak.insert(
                name.clone(),
                Utilisation {
                    cpu: s.cpu.iter().copied().fold(0.0, f64::max),
                    memory: s.memory.iter().copied().fold(0.0, f64::max),
                    pods: round4(pi.map_or(0.0, |pi| self.peak_pods[pi])),
                },
            );
        }

        let time_to_ready = ttr
            .into_iter()
            .map(|(os, mut v)| {
                v.sort_unstable();
                (
                    os.to_owned(),
                    Percentiles {
                        count: v.len() as u32,
                        p50_ms: percentile(&v, 50),
                        p95_ms: percentile(&v, 95),
                        max_ms: v.last().copied().unwrap_or(0),
                    },
                )
            })
            .collect();

        let mut top_failures: Vec<TopFailure> = top
            .into_iter()
            .map(|((reason, _), (message, pods))| TopFailure {
                reason,
                message,
                count: pods.len() as u32,
                pods,
            })
            .collect();
        top_failures.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.reason.cmp(&b.reason))
                .then(a.message.cmp(&b.message))
        });
        top_failures.truncate(10);

        // Targets.
        let mut targets = Vec::new();
        if let Some(t) = self.scenario.targets {
            if t.all_placed {
                targets.push(TargetResult {
                    name: "allPlaced".into(),
                    target: "every workload pod ready".into(),
                    actual: format!("{}/{} ready", all_placed.0, all_placed.1),
                    met: all_placed.0 == all_placed.1,
                });
            }
            if let Some(d) = t.max_pending {
                targets.push(TargetResult {
                    name: "maxPending".into(),
                    target: d.to_string(),
                    actual: poolcast_model::Duration(max_pending).to_string(),
                    met: max_pending <= d.as_ms(),
                });
            }
            if let Some(d) = t.p95_time_to_ready {
                ttr_all.sort_unstable();
                let p95 = percentile(&ttr_all, 95);
                targets.push(TargetResult {
                    name: "p95TimeToReady".into(),
                    target: d.to_string(),
                    actual: if p95 == u64::MAX {
                        "never (over 5% of pods not ready)".into()
                    } else {
                        poolcast_model::Duration(p95).to_string()
                    },
                    met: !ttr_all.is_empty() && p95 <= d.as_ms(),
                });
            }
            if let Some(h) = t.headroom {
                let want = h.fraction();
                let worst = peak
                    .iter()
                    .map(|(n, u)| (1.0 - u.cpu.max(u.memory), n.clone()))
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let (left, pool) = worst.unwrap_or((1.0, String::new()));
                targets.push(TargetResult {
                    name: "headroom".into(),
                    target: h.to_string(),
                    actual: format!("{:.1}% on pool {pool}", round4(left) * 100.0),
                    met: left + 1e-9 >= want,
                });
            }
        }
        for t in targets.iter().filter(|t| !t.met) {
            failures.push(FailureRecord {
                at_ms: horizon.ms(),
                pod: None,
                workload: None,
                node: None,
                reason: Reason::TargetMissed,
                message: format!("target {} {} missed: {}", t.name, t.target, t.actual),
            });
        }
        failures.sort_by_key(|f| f.at_ms);

        let mut assumptions = std::mem::take(&mut self.plan.assumptions);
        assumptions.extend(engine_assumptions());
        assumptions.extend(crate::variability::assumptions(
            self.scenario.sim.variability,
        ));
        if self.autoscaler.is_some() {
            assumptions.extend(crate::autoscaler::assumptions());
        }
        if self.upgrades.iter().any(|u| u.started()) {
            assumptions.extend(crate::upgrade::assumptions());
        }

        Outcome {
            schema: SCHEMA,
            scenario: self.plan.name.clone(),
            seed: self.plan.seed,
            horizon_ms: horizon.ms(),
            summary: Summary {
                pods: counts,
                system_pods: sys_counts,
                by_reason,
                by_workload,
                nodes_by_pool: by_pool,
                cost: Cost {
                    currency: "USD",
                    tier: self.plan.tier,
                    tier_fee_per_hour: round4(self.plan.tier_fee_per_hour),
                    basis: self.plan.pricing_basis.clone(),
                    vms_per_hour: round4(vms_hour),
                    disks_per_hour: round4(disks_hour),
                    estimated: !estimated_pools.is_empty(),
                    estimated_pools,
                    per_hour: round4(per_hour),
                    per_month: round4(per_hour * HOURS_PER_MONTH),
                    complete,
                    unpriced_pools,
                    run_hours: round4(run_hours),
                    node_hours: round4(node_hours),
                    run_cost: round4(run_cost),
                    run_vms: round4(run_vms),
                    run_disks: round4(run_disks),
                    run_tier_fee: round4(self.plan.tier_fee_per_hour * run_hours),
                },
                peak_utilisation: peak,
                time_to_ready,
                top_failures,
            },
            pods,
            nodes,
            failures,
            series: std::mem::take(&mut self.series),
            targets,
            assumptions,
            node_events: self
                .autoscaler
                .as_ref()
                .map(|a| a.events().to_vec())
                .unwrap_or_default(),
            upgrades,
        }
    }
}

fn engine_assumptions() -> Vec<Assumption> {
    let a = |topic: &str, text: &str, source: &str| Assumption {
        topic: topic.into(),
        text: text.into(),
        source: source.into(),
    };
    vec![
        a(
            "scheduling",
            "each scheduling attempt takes no virtual time and binds at once",
            "poolcast convention; kube-scheduler SLO p99 pod startup <= 5 s (sig-scalability slos.md)",
        ),
        a(
            "node-failure",
            "a failed node is marked unreachable after node-monitor-grace-period (40 s, 50 s from 1.32) and its pods are deleted 300 s later (DefaultTolerationSeconds)",
            "kube-controller-manager node lifecycle controller; DefaultTolerationSeconds admission plugin",
        ),
        a(
            "start-timeout",
            "a pod bound 10 min before the horizon and not ready by then is reported StartTimeout",
            "poolcast convention (AKS drain timeout 10 min, Azure/AKS#2114)",
        ),
        a(
            "os-version",
            "an image of an incompatible Windows build pulls, then fails at container creation (HCS_E_IMAGE_MISMATCH), retried with the kubelet back-off",
            "containerd/platforms checkWindowsHostAndContainerCompat; microsoft/hcsshim",
        ),
        a(
            "disk",
            "image GC runs as soon as a pull completes above the high threshold (the kubelet checks every 5 min)",
            "pkg/kubelet/images/image_gc_manager.go",
        ),
        a(
            "os",
            "Windows nodes run without eviction thresholds (AKS empty --eviction-hard): a full disk fails pulls instead of evicting",
            "AgentBaker staging/cse/windows/kubeletfunc.ps1 and e2e/node_config.go (empty --eviction-hard)",
        ),
    ]
}

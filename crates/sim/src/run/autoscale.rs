//! The engine side of the cluster-autoscaler (`crate::autoscaler`): runs a scan every
//! scan interval, stamps the nodes a scale-up adds when they join, and drains and deletes
//! the nodes a scale-down removes.

use std::collections::BTreeMap;

use poolcast_model::scenario::WorkloadKind;

use super::{Engine, Event, Phase};
use crate::autoscaler::{Action, ScanView};
use crate::cluster::{NodeId, PodId, PoolId};
use crate::engine::SimTime;
use crate::outcome::Reason;
use crate::scheduler::queue::ClusterEvent;

impl Engine<'_> {
    /// One autoscaler loop, then the next one a scan interval later.
    pub(super) fn autoscaler_scan(&mut self) {
        let Some(mut a) = self.autoscaler.take() else {
            return;
        };
        let now = self.now();
        let pending: Vec<PodId> = self
            .pods
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                let cp = &self.plan.cluster.pods[*i];
                p.visible
                    && p.ended.is_none()
                    && p.reason == Some(Reason::Unschedulable)
                    && cp.active
                    && cp.node.is_none()
            })
            .map(|(i, _)| PodId(i as u32))
            .collect();
        let failed: Vec<Option<SimTime>> = self.nodes.iter().map(|n| n.failed).collect();
        let pdb_blocked = self.pdb_blocked_pods();
        // The autoscaler reads pool and workload templates from the plan and the live state
        // from the cluster, lent separately so both borrows hold.
        let mut cluster = std::mem::take(&mut self.plan.cluster);
        let actions = a.scan(
            now,
            ScanView {
                plan: &self.plan,
                cluster: &mut cluster,
                pending: &pending,
                failed_since: &failed,
                pdb_blocked: &pdb_blocked,
                jitter: &mut self.jitter,
            },
        );
        self.plan.cluster = cluster;
        let interval = a.settings().scan_interval_ms;
        self.autoscaler = Some(a);
        for action in actions {
            match action {
                Action::ScaleUp {
                    pool,
                    count,
                    ready_in_ms,
                } => {
                    for _ in 0..count {
                        self.q.schedule_in(
                            ready_in_ms,
                            Event::AutoscaledNodeJoin {
                                pool,
                                requested: now,
                            },
                        );
                    }
                }
                Action::Delete { node } => self.delete_node(node),
            }
        }
        let next = now.plus_ms(interval);
        if next <= self.horizon {
            self.q.schedule(next, Event::AutoscalerScan);
        }
    }

    /// Bound pods a PodDisruptionBudget would not let the eviction API take now, sorted.
    fn pdb_blocked_pods(&self) -> Vec<PodId> {
        if self.budgets.is_empty() {
            return Vec::new();
        }
        let statuses = self.pdb_statuses();
        (0..self.plan.cluster.pods.len())
            .map(|i| PodId(i as u32))
            .filter(|&p| self.plan.cluster.pods[p.idx()].node.is_some())
            .filter(|&p| {
                let healthy = self.pdb_view(p).is_some_and(|v| v.healthy);
                !matches!(
                    crate::pdb::can_evict(&self.budgets, &statuses, &self.plan.cluster, p, healthy),
                    crate::pdb::Eviction::Allowed
                )
            })
            .collect()
    }

    /// A node the autoscaler requested joins Ready; pending pods get another chance.
    pub(super) fn autoscaled_node_join(&mut self, pool: PoolId, requested: SimTime) {
        let now = self.now();
        let id = self.create_node(pool, None, None, &BTreeMap::new());
        self.nodes[id.idx()].requested = Some(requested);
        let name = self.plan.cluster.nodes[id.idx()].name.clone();
        if let Some(a) = self.autoscaler.as_mut() {
            a.node_joined(pool, &name, now);
        }
    }

    /// Scale-down of one node: its pods are evicted (controllers recreate them, the
    /// scheduler places the copies elsewhere), its DaemonSet pods deleted, and the node
    /// removed. The `ToBeDeletedByClusterAutoscaler` taint and the graceful termination
    /// period are not modelled: the node leaves at once.
    pub(super) fn delete_node(&mut self, node: NodeId) {
        let now = self.now();
        if !self.plan.cluster.nodes[node.idx()].live {
            return;
        }
        let bound = self.plan.cluster.nodes[node.idx()].pods.clone();
        for p in bound {
            let daemon = self.plan.cluster.spec_of(p).owner.kind() == WorkloadKind::DaemonSet;
            self.end_pod(p, Phase::Deleted);
            if !daemon {
                self.replace(p);
            }
        }
        // DaemonSet pods still waiting for this node go with it.
        let waiting: Vec<PodId> = self
            .plan
            .cluster
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.active && p.pinned_node == Some(node))
            .map(|(i, _)| PodId(i as u32))
            .collect();
        for p in waiting {
            self.end_pod(p, Phase::Deleted);
        }
        self.nodes[node.idx()].waiters.clear();
        self.nodes[node.idx()].removed = Some(now);
        self.kubelets[node.idx()].fail();
        self.plan.cluster.remove_node(node);
        self.cluster_event(ClusterEvent::NodeDelete);
    }
}

//! Cheap bounds for the planner: which pools each workload may run on (the scheduler's own
//! filters on template nodes), the peak demand that only one pool can serve, and from it a
//! resource bin-packing lower bound on a pool's node count for one VM size.
//!
//! The lower bound is the volume bound of bin packing: with `n` nodes of allocatable `A`,
//! DaemonSet overhead `d` per node and a headroom target `h` (the run reports headroom as
//! `1 - requested/allocatable` of the pool, DaemonSets included), the pods' requests `D`
//! fit only if `n * ((1 - h) * A - d) >= D` for cpu and memory, `n * (maxPods - ds pods) >=
//! pods` and `n * (ephemeral - d) >= D_ephemeral`. Fragmentation, pull times and spreading
//! only ever need more; full simulation runs decide the rest.

use std::collections::BTreeSet;

use poolcast_model::scenario::{Scenario, Targets, WorkloadKind};

use crate::build::Plan;
use crate::cluster::{PoolId, Res};
use crate::scheduler::framework::Status;
use crate::snapshot::{self, Snapshot};

use super::Binding;

/// kube-scheduler's plugin name for resource fit (`noderesources.Name`).
const NODE_RESOURCES_FIT: &str = "NodeResourcesFit";

/// A workload as the bound sees it.
#[derive(Debug, Clone)]
pub struct Demand {
    /// Workload index in the plan.
    pub workload: usize,
    /// Highest replica count it reaches (initial or any `scale` event).
    pub peak: u32,
    /// Requests of one pod.
    pub requests: Res,
    /// Pools whose nodes its pods may run on (taints, selectors, affinity), by index.
    pub pools: BTreeSet<usize>,
}

/// The peak replica count of every scenario workload with a bounded pod count (not
/// DaemonSets, not unbounded Poisson Jobs), with the pools it may run on.
pub fn demands(scenario: &Scenario, plan: &Plan) -> Vec<Demand> {
    let empty = snapshot::empty_like(&plan.cluster);
    let mut snap = Snapshot::new(&empty, &plan.scheduler);
    let templates: Vec<_> = (0..plan.pools.len())
        .map(|p| snap.add_node(plan, PoolId(p as u32), 0))
        .collect();
    let mut out = Vec::new();
    for (wi, w) in plan.workloads.iter().enumerate() {
        if w.system || w.kind == WorkloadKind::DaemonSet {
            continue;
        }
        let Some(replicas) = w.replicas else {
            continue;
        };
        let peak = scenario
            .events
            .iter()
            .filter_map(|e| e.scale.as_ref())
            .filter(|s| s.workload == w.name)
            .map(|s| s.replicas)
            .fold(replicas, u32::max);
        let mut pools = BTreeSet::new();
        for (p, &node) in templates.iter().enumerate() {
            if eligible(&snap.check(w.spec, node)) {
                pools.insert(p);
            }
        }
        out.push(Demand {
            workload: wi,
            peak,
            requests: plan.cluster.specs[w.spec.idx()].requests,
            pools,
        });
    }
    out
}

/// Whether a filter verdict on an empty template node leaves the pod eligible for the
/// pool: it passed, or only resource fit refused it (the VM size, not the pool, is wrong).
pub fn eligible(st: &Status) -> bool {
    st.is_success() || st.plugin == NODE_RESOURCES_FIT
}

/// The binding resource of a `NodeResourcesFit` refusal, from kube's reason strings.
pub fn binding_of_reason(reason: &str) -> Option<Binding> {
    match reason {
        "Insufficient cpu" => Some(Binding::Cpu),
        "Insufficient memory" => Some(Binding::Memory),
        "Too many pods" => Some(Binding::PodsPerNode),
        "Insufficient ephemeral-storage" => Some(Binding::Disk),
        _ => None,
    }
}

/// A pool's lower bound for one VM size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// At least `nodes` nodes; `binding` is the resource that sets the bound (`None` when
    /// no pod needs the pool).
    AtLeast {
        /// Nodes.
        nodes: u32,
        /// Resource behind the bound.
        binding: Option<Binding>,
    },
    /// No node count works: a pod does not fit an empty node, or DaemonSets alone exceed
    /// what the headroom target leaves.
    Infeasible {
        /// Resource at fault.
        binding: Binding,
        /// Why, in words.
        note: String,
    },
}

/// Demand fraction that must be placed: all pods when `allPlaced`, `maxPending` or
/// `headroom` is a target, else the 95 % that `p95TimeToReady` needs.
fn demand_fraction(targets: &Targets) -> (u128, u128) {
    if targets.all_placed || targets.max_pending.is_some() || targets.headroom.is_some() {
        (1, 1)
    } else {
        (95, 100)
    }
}

/// What a node of a pool carries before any workload pod: the DaemonSets bound on its
/// template node (AKS system DaemonSets and the scenario's). They do not depend on the VM
/// size, so one template per pool serves every candidate size.
#[derive(Debug, Clone, Copy, Default)]
pub struct Template {
    /// DaemonSet requests per node.
    pub ds: Res,
    /// DaemonSet pods per node.
    pub ds_pods: u64,
}

/// The template of pool `pool` of `plan`.
pub fn template(plan: &Plan, pool: usize) -> Template {
    let empty = snapshot::empty_like(&plan.cluster);
    let mut snap = Snapshot::new(&empty, &plan.scheduler);
    let node = snap.add_node(plan, PoolId(pool as u32), 0);
    Template {
        ds: snap.daemonset_requests(node),
        ds_pods: snap.node(node).pods.len() as u64,
    }
}

/// The lower bound of pool `pool` with nodes of allocatable `alloc` (VM size `vm`) for the
/// pods of `demands` that only this pool can run (`shared == false`) or that it may run
/// (`shared == true`, a generous figure). Which pools a workload may use was decided by the
/// scheduler's filters (`demands`); here only resources count, so the bound is computed
/// without building a node of every size.
#[allow(clippy::too_many_arguments)]
pub fn lower_bound(
    plan: &Plan,
    pool: usize,
    alloc: Res,
    vm: &str,
    tmpl: &Template,
    demands: &[Demand],
    targets: &Targets,
    shared: bool,
) -> Bound {
    let ds = tmpl.ds;
    let ds_pods = tmpl.ds_pods;
    let mut d = Res::default();
    for dm in demands {
        let mine = dm.pools.contains(&pool) && (shared || dm.pools.len() == 1);
        if !mine || dm.peak == 0 {
            continue;
        }
        let r = dm.requests;
        let short = [
            (r.cpu + ds.cpu > alloc.cpu, "Insufficient cpu"),
            (r.memory + ds.memory > alloc.memory, "Insufficient memory"),
            (
                r.ephemeral + ds.ephemeral > alloc.ephemeral,
                "Insufficient ephemeral-storage",
            ),
            (ds_pods + 1 > alloc.pods, "Too many pods"),
        ];
        if let Some((_, reason)) = short.iter().find(|(s, _)| *s) {
            return Bound::Infeasible {
                binding: binding_of_reason(reason).unwrap_or(Binding::Cpu),
                note: format!(
                    "a pod of {} does not fit an empty {vm} node: {reason}",
                    plan.workloads[dm.workload].name
                ),
            };
        }
        let n = u64::from(dm.peak);
        d.cpu += r.cpu * n;
        d.memory += r.memory * n;
        d.ephemeral += r.ephemeral * n;
        d.pods += n;
    }
    if d.pods == 0 {
        return Bound::AtLeast {
            nodes: 0,
            binding: None,
        };
    }
    let (f_num, f_den) = demand_fraction(targets);
    let keep = 10_000 - u128::from(targets.headroom.map_or(0, |h| h.0.min(10_000)));
    let mut best = (0u128, None);
    let mut check = |need: u64, usable: i128, binding: Binding| -> Result<(), Bound> {
        if need == 0 {
            return Ok(());
        }
        if usable <= 0 {
            return Err(Bound::Infeasible {
                binding,
                note: format!(
                    "DaemonSets leave no {} on a {vm} node within the headroom target",
                    binding.as_str(),
                ),
            });
        }
        let n = (u128::from(need) * f_num).div_ceil(f_den * usable as u128);
        if n > best.0 {
            best = (n, Some(binding));
        }
        Ok(())
    };
    let usable = |a: u64, used: u64, scaled: bool| -> i128 {
        let a = if scaled {
            u128::from(a) * keep / 10_000
        } else {
            u128::from(a)
        };
        a as i128 - i128::from(used)
    };
    let steps = [
        (d.cpu, usable(alloc.cpu, ds.cpu, true), Binding::Cpu),
        (
            d.memory,
            usable(alloc.memory, ds.memory, true),
            Binding::Memory,
        ),
        (
            d.pods,
            usable(alloc.pods, ds_pods, false),
            Binding::PodsPerNode,
        ),
        (
            d.ephemeral,
            usable(alloc.ephemeral, ds.ephemeral, false),
            Binding::Disk,
        ),
    ];
    for (need, u, b) in steps {
        if let Err(e) = check(need, u, b) {
            return e;
        }
    }
    Bound::AtLeast {
        nodes: u32::try_from(best.0).unwrap_or(u32::MAX),
        binding: best.1,
    }
}

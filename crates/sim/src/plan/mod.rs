//! `plan`: the cheapest layout of VM sizes and node counts that meets a scenario's
//! targets, found with full simulation runs.
//!
//! The search, per sized pool (a pool with `vmSize` candidates or `count: auto`; all
//! fixed-count user pools when none is marked):
//! 1. **Bounds.** Which pools each workload may run on comes from the scheduler's own
//!    filters on template nodes; the pods only one pool can take give a resource
//!    bin-packing lower bound per VM size (`bound`), and all pods it may take a generous
//!    count used while other pools are searched.
//! 2. **Baseline.** Every sized pool at a generous count of its largest candidate must
//!    meet the targets, else no layout of these pools can (the report says why).
//! 3. **Per candidate** (rayon, in waves of a fixed size, merged in candidate order so the
//!    answer does not depend on the thread count): with the other sized pools at their
//!    baseline, a galloping search from the lower bound (+1, +2, +4, ...) finds a passing
//!    count, then a binary search the smallest. Candidates whose lower bound already costs
//!    as much as a size that fits are pruned, and a search stops once a count costs that
//!    much.
//! 4. **Together.** The cheapest size of each pool at its count is run as one layout; if
//!    pools interact (shared workloads, headroom), counts go up until it passes, then every
//!    pool is tried with one node fewer until none can lose one. The last round of those
//!    runs is the minimality evidence: with one node fewer in any sized pool, a target is
//!    missed.
//!
//! A layout passes when every target holds in every replication (seeds `seed..seed+n`).
//! A scenario without targets is held to `allPlaced`. AKS rules are never broken: a sized
//! Windows pool is never a System pool nor named over 6 characters, maxPods stays in the
//! plugin's bounds, sizes under AKS minimums or without a price are not proposed, and a
//! Windows pool is priced on the Windows list unless it has Azure Hybrid Benefit.

mod bound;
pub mod report;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use poolcast_model::catalog::{aks, disks as catalog_disks, select, Arch, Catalog};
use poolcast_model::scenario::{
    Count, Os, OsDiskType, PoolMode, Provider, Scenario, Targets, VmSize,
};
use poolcast_model::{Bytes, Duration};
use rayon::prelude::*;

use crate::outcome::{round4, Outcome, Reason, TargetResult, Utilisation};
use crate::{build, simulate, RunOptions, SimError};

pub use bound::Bound;
pub use report::{
    Alternative, AutoscaleRange, Binding, Minimality, PlanCost, PlanReport, PlanTargets,
    PoolLayout, PoolSizing, Pricing, Verdict, PLAN_SCHEMA,
};

/// Hours in Azure's pricing month.
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Candidates of one pool searched side by side per wave. Fixed, so that pruning (and so
/// the report) is the same on any number of threads.
const WAVE: usize = 2;
/// Sizes of an `auto` pool that were not simulated, listed in the report besides the
/// simulated ones (cheapest lower bound first).
const AUTO_ALTERNATIVES_SHOWN: usize = 10;
/// Attempts to grow the baseline (doubling) before calling the scenario infeasible.
const BASELINE_ATTEMPTS: u32 = 3;
/// Rounds of +1 node when the per-pool answers do not pass together.
const BUMP_ROUNDS: u32 = 16;

/// Overrides for a planning session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Seed instead of `sim.seed`.
    pub seed: Option<u64>,
    /// Horizon instead of `sim.horizon`.
    pub horizon: Option<Duration>,
    /// Largest node count to try per pool (default: AKS's 1,000).
    pub max_nodes_per_pool: Option<u32>,
}

/// Why a scenario could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A run failed: the scenario cannot be simulated. The user's to fix.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A sized pool breaks an AKS rule the planner must not propose. The user's to fix.
    #[error("pool {pool}: {rule}")]
    AksRule {
        /// Pool.
        pool: String,
        /// The rule, in words, with its source.
        rule: String,
    },
    /// A pool cannot be sized as written. The user's to fix.
    #[error("pool {pool}: {reason}")]
    Unsizable {
        /// Pool.
        pool: String,
        /// Why.
        reason: String,
    },
    /// No pool to size. The user's to fix.
    #[error("no pool to size: mark pools with a vmSize list or count: auto, or give user pools a fixed count")]
    NothingToSize,
}

/// One VM size considered for a pool.
#[derive(Debug, Clone)]
struct Cand {
    vm: VmSize,
    name: String,
    vcpu: u32,
    memory: Bytes,
    price: Option<f64>,
    allowed: Result<(), String>,
    bound: Bound,
    generous: u32,
}

impl Cand {
    fn lb(&self) -> Option<u32> {
        match self.bound {
            Bound::AtLeast { nodes, .. } => Some(nodes),
            Bound::Infeasible { .. } => None,
        }
    }
}

#[derive(Debug, Clone)]
struct SizedPool {
    index: usize,
    name: String,
    os: Os,
    pricing: Pricing,
    min_nodes: u32,
    /// `vmSize: auto` or requirements: candidates come from the catalog.
    auto: bool,
    /// The pool autoscales: the searched count is its `max` (the burst), and `min` is
    /// sized for the steady load.
    autoscaled: bool,
    cands: Vec<Cand>,
    reference: usize,
}

/// What one layout's runs showed.
#[derive(Debug, Clone)]
struct Eval {
    pass: bool,
    targets: Vec<TargetResult>,
    util: BTreeMap<String, Utilisation>,
    /// Unschedulable verdicts of workload pods by the resource kube named.
    unsched: BTreeMap<Binding, u64>,
    disk: bool,
    headroom_pool: Option<String>,
    nodes_by_pool: BTreeMap<String, u32>,
}

/// The result of searching one candidate.
#[derive(Debug, Clone)]
struct CandResult {
    verdict: Verdict,
    nodes: Option<u32>,
    at: Option<Eval>,
    binding: Option<Binding>,
    note: String,
}

/// What the planner adds to a found layout, per sized pool: the count before rounding to
/// the zones, the autoscaler range of autoscaled pools, and notes.
#[derive(Debug, Clone, Default)]
struct Finish {
    adjust: Vec<Option<u32>>,
    ranges: Vec<Option<AutoscaleRange>>,
    notes: Vec<Vec<String>>,
}

/// `(candidate index, nodes)` per sized pool.
type Layout = Vec<(usize, u32)>;

struct Ctx {
    base: Scenario,
    sized: Vec<SizedPool>,
    workloads: Vec<String>,
    seed: u64,
    replications: u32,
    horizon: Duration,
    cap: u32,
    region: String,
    defaulted: bool,
    runs: AtomicU32,
}

/// Finds the cheapest layout of the sized pools of `scenario` that meets its targets.
///
/// ```no_run
/// # use poolcast_sim::plan::{plan, PlanOptions};
/// # fn demo(s: &poolcast_model::Scenario) -> Result<(), poolcast_sim::plan::PlanError> {
/// let report = plan(s, &PlanOptions::default())?;
/// for pool in &report.sizing {
///     println!("{}: {:?} x {:?}", pool.pool, pool.recommended, pool.nodes);
/// }
/// # Ok(()) }
/// ```
pub fn plan(scenario: &Scenario, opts: &PlanOptions) -> Result<PlanReport, PlanError> {
    let ctx = Ctx::new(scenario, opts)?;
    ctx.run()
}

impl PlanReport {
    /// `scenario` with the recommended layout applied: each sized pool gets its chosen
    /// size and its node count, or its autoscaler range when it autoscales.
    pub fn apply(&self, scenario: &Scenario) -> Scenario {
        let mut s = scenario.clone();
        for l in self.layout.iter().filter(|l| l.sized) {
            if let Some(p) = s.pools.iter_mut().find(|p| p.name == l.pool) {
                if !matches!(p.vm_size, VmSize::Inline(_)) {
                    p.vm_size = VmSize::Named(l.vm_size.clone());
                }
                match l.autoscale {
                    Some(a) => {
                        p.count = None;
                        p.autoscale = Some(poolcast_model::scenario::Autoscale {
                            min: a.min,
                            max: a.max,
                        });
                    }
                    None => {
                        p.count = Some(Count::Fixed(l.nodes));
                        p.autoscale = None;
                    }
                }
            }
        }
        s
    }
}

/// Azure Hybrid Benefit for a pool: its own `azureHybridBenefit` or
/// `cluster.pricing.azureHybridBenefit` (every Windows pool).
fn hybrid_benefit(scn: &Scenario, p: &poolcast_model::scenario::Pool) -> bool {
    p.azure_hybrid_benefit
        || scn
            .cluster
            .pricing
            .as_ref()
            .is_some_and(|x| x.azure_hybrid_benefit)
}

fn pricing_of(os: Os, ahb: bool, inline: bool) -> Pricing {
    match (inline, os, ahb) {
        (true, _, _) => Pricing::Inline,
        (false, Os::Linux, _) => Pricing::Linux,
        (false, Os::Windows, true) => Pricing::WindowsHybridBenefit,
        (false, Os::Windows, false) => Pricing::Windows,
    }
}

/// The price list a Windows or Linux pool is billed on: Azure Hybrid Benefit removes the
/// Windows licence (AKSDOCS `azure-hybrid-benefit.md`).
fn price_os(pricing: Pricing) -> Os {
    match pricing {
        Pricing::Windows => Os::Windows,
        Pricing::Linux | Pricing::WindowsHybridBenefit | Pricing::Inline => Os::Linux,
    }
}

/// Parses kube's FitError message (`0/5 nodes are available: 3 Insufficient cpu, 2
/// node(s) had untolerated taint {os: windows}.`) into counts per resource.
fn fit_error_bindings(message: &str, into: &mut BTreeMap<Binding, u64>) {
    let Some((_, rest)) = message.split_once("are available: ") else {
        return;
    };
    let first = rest
        .split(". ")
        .next()
        .unwrap_or(rest)
        .trim_end_matches('.');
    for part in first.split(", ") {
        let Some((n, text)) = part.split_once(' ') else {
            continue;
        };
        if let (Ok(n), Some(b)) = (n.parse::<u64>(), bound::binding_of_reason(text)) {
            *into.entry(b).or_default() += n;
        }
    }
}

impl Eval {
    fn from_outcome(o: &Outcome, workloads: &[String]) -> Eval {
        let mut unsched = BTreeMap::new();
        let mut disk = false;
        for f in &o.failures {
            let ours = f
                .workload
                .as_ref()
                .is_some_and(|w| workloads.iter().any(|x| x == w));
            if !ours {
                continue;
            }
            match f.reason {
                Reason::Unschedulable => fit_error_bindings(&f.message, &mut unsched),
                Reason::DiskPressureEviction => disk = true,
                Reason::ImagePullBackOff if f.message.contains("space") => disk = true,
                _ => {}
            }
        }
        let util = o.summary.peak_utilisation.clone();
        let headroom_missed = o.targets.iter().any(|t| t.name == "headroom" && !t.met);
        let headroom_pool = if headroom_missed {
            util.iter()
                .map(|(n, u)| (1.0 - u.cpu.max(u.memory), n))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)))
                .map(|(_, n)| n.clone())
        } else {
            None
        };
        Eval {
            pass: o.targets.iter().all(|t| t.met),
            targets: o.targets.clone(),
            util,
            unsched,
            disk,
            headroom_pool,
            nodes_by_pool: o
                .summary
                .nodes_by_pool
                .iter()
                .map(|(k, v)| (k.clone(), v.nodes))
                .collect(),
        }
    }

    /// What ran out, seen from pool `pool`.
    fn binding(&self, pool: &str) -> Option<Binding> {
        if self.pass {
            return None;
        }
        if self.headroom_pool.as_deref() == Some(pool) {
            let u = self.util.get(pool).cloned().unwrap_or_default();
            return Some(if u.memory > u.cpu {
                Binding::Memory
            } else {
                Binding::Cpu
            });
        }
        if let Some((b, _)) = self
            .unsched
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        {
            return Some(*b);
        }
        if self.disk {
            return Some(Binding::Disk);
        }
        Some(Binding::TimeToReady)
    }

    /// Whether more nodes in pool `pool` could change the verdict: pods were refused for
    /// lack of room, the pool missed its headroom, or disks filled.
    fn resolvable(&self, pool: &str) -> bool {
        !self.unsched.is_empty() || self.disk || self.headroom_pool.as_deref() == Some(pool)
    }

    fn missed(&self) -> Vec<TargetResult> {
        self.targets.iter().filter(|t| !t.met).cloned().collect()
    }
}

impl Ctx {
    fn new(scenario: &Scenario, opts: &PlanOptions) -> Result<Ctx, PlanError> {
        let mut base = scenario.clone();
        // The search verifies layouts with point durations: pass/fail must grow with the
        // node count, and a per-node draw re-deals every later draw when a node is added
        // (docs/plan.md, "Variability").
        base.sim.variability = poolcast_model::scenario::Variability::None;
        let defaulted = base.targets.is_none();
        if defaulted {
            base.targets = Some(Targets {
                all_placed: true,
                ..Targets::default()
            });
        }
        let seed = opts.seed.unwrap_or(base.sim.seed);
        let horizon = opts.horizon.unwrap_or(base.sim.horizon);
        let replications = base.sim.replications.max(1);
        let cap = opts
            .max_nodes_per_pool
            .unwrap_or(aks::MAX_NODES_PER_POOL)
            .clamp(1, aks::MAX_NODES_PER_POOL);
        let region = base
            .cluster
            .region
            .clone()
            .unwrap_or_else(|| "eastus".to_owned());
        let aks_rules = base.cluster.provider == Provider::Aks;

        let marked: Vec<usize> = base
            .pools
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                matches!(p.vm_size, VmSize::Candidates(_) | VmSize::Auto(_))
                    || p.count == Some(Count::Auto)
            })
            .map(|(i, _)| i)
            .collect();
        let indexes: Vec<usize> = if marked.is_empty() {
            base.pools
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.mode == PoolMode::User
                        && p.autoscale.is_none()
                        && matches!(p.count, Some(Count::Fixed(_)))
                })
                .map(|(i, _)| i)
                .collect()
        } else {
            marked
        };
        if indexes.is_empty() {
            return Err(PlanError::NothingToSize);
        }

        let cat = Catalog::builtin();
        let mut sized = Vec::new();
        for &i in &indexes {
            let p = &base.pools[i];
            if aks_rules {
                check_aks_rules(&base, i)?;
            }
            let pricing = pricing_of(
                p.os,
                hybrid_benefit(&base, p),
                matches!(p.vm_size, VmSize::Inline(_)),
            );
            let mut cands = Vec::new();
            let names: Vec<VmSize> = match &p.vm_size {
                VmSize::Named(n) => vec![VmSize::Named(n.clone())],
                VmSize::Candidates(v) => {
                    let mut seen = Vec::new();
                    for n in v {
                        if !seen.contains(n) {
                            seen.push(n.clone());
                        }
                    }
                    seen.into_iter().map(VmSize::Named).collect()
                }
                VmSize::Inline(x) => vec![VmSize::Inline(x.clone())],
                // Every catalog size of the region that meets the requirements: the search
                // grows with the catalog.
                VmSize::Auto(req) => select::candidates(
                    cat,
                    req,
                    p.os,
                    p.mode,
                    &region,
                    price_os(pricing),
                    aks_rules,
                )
                .into_iter()
                .map(|s| VmSize::Named(s.name.clone()))
                .collect(),
            };
            for vm in names {
                let c = match vm {
                    VmSize::Inline(x) => Cand {
                        name: x.name.clone().unwrap_or_else(|| "inline".into()),
                        vcpu: u32::try_from(x.cpu.millis().div_ceil(1000)).unwrap_or(u32::MAX),
                        memory: x.memory,
                        price: {
                            let sku = crate::resolve::pool::inline_sku(&x);
                            catalog_disks::os_disk_for(&sku, p.os_disk.as_ref())
                                .ok()
                                .and_then(|d| {
                                    crate::resolve::pool::paid_price(&base, p, &sku, &d, &region)
                                        .per_hour
                                })
                        },
                        allowed: Ok(()),
                        vm: VmSize::Inline(x),
                        bound: Bound::AtLeast {
                            nodes: 0,
                            binding: None,
                        },
                        generous: 1,
                    },
                    VmSize::Named(n) => candidate(cat, &base, p, &n, pricing, &region, aks_rules),
                    // `names` holds single sizes only.
                    VmSize::Candidates(_) | VmSize::Auto(_) => continue,
                };
                cands.push(c);
            }
            let min_nodes = min_nodes_of(p);
            sized.push(SizedPool {
                index: i,
                name: p.name.clone(),
                os: p.os,
                pricing,
                min_nodes,
                auto: matches!(p.vm_size, VmSize::Auto(_)),
                autoscaled: p.autoscale.is_some(),
                cands,
                reference: 0,
            });
        }

        let workloads = base.workloads.iter().map(|w| w.name.clone()).collect();
        let mut ctx = Ctx {
            base,
            sized,
            workloads,
            seed,
            replications,
            horizon,
            cap,
            region,
            defaulted,
            runs: AtomicU32::new(0),
        };
        ctx.bounds()?;
        Ok(ctx)
    }

    /// The scenario with `pick` (candidate per sized pool) at `counts`.
    fn scenario_with(&self, pick: &[usize], counts: &[u32]) -> Scenario {
        let mut s = self.base.clone();
        for (k, sp) in self.sized.iter().enumerate() {
            let p = &mut s.pools[sp.index];
            p.vm_size = sp.cands[pick[k]].vm.clone();
            p.count = Some(Count::Fixed(counts[k]));
            p.autoscale = None;
        }
        s
    }

    fn scenario_for(&self, layout: &Layout) -> Scenario {
        let pick: Vec<usize> = layout.iter().map(|l| l.0).collect();
        let counts: Vec<u32> = layout.iter().map(|l| l.1).collect();
        self.scenario_with(&pick, &counts)
    }

    /// Checks each candidate (a build must succeed) and computes its bounds.
    fn bounds(&mut self) -> Result<(), PlanError> {
        let targets = self.base.targets.unwrap_or_default();
        // Eligibility with every sized pool at its first usable size.
        let mut first = Vec::new();
        for sp in &self.sized {
            let Some(c) = sp.cands.iter().position(|c| c.allowed.is_ok()) else {
                let why = sp
                    .cands
                    .iter()
                    .map(|c| format!("{}: {}", c.name, c.allowed.as_ref().err().map_or("", |s| s)))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(PlanError::Unsizable {
                    pool: sp.name.clone(),
                    reason: format!("no candidate VM size can be used ({why})"),
                });
            };
            first.push(c);
        }
        let zero = vec![0; self.sized.len()];
        let base_plan = build::build(
            &self.scenario_with(&first, &zero),
            self.seed,
            self.horizon.as_ms(),
        )?;
        let demands = bound::demands(&self.base, &base_plan);
        let minor = build::k8s_minor(&self.base.cluster.kubernetes_version).ok_or_else(|| {
            SimError::Invalid(format!(
                "kubernetesVersion {} is not 1.x",
                self.base.cluster.kubernetes_version
            ))
        })?;
        for (k, &first_k) in first.iter().enumerate() {
            let index = self.sized[k].index;
            // DaemonSets do not depend on the size: one template node per pool, and each
            // size's allocatable from its shape, so thousands of sizes cost no build each.
            let tmpl = bound::template(&base_plan, index);
            for c in 0..self.sized[k].cands.len() {
                if self.sized[k].cands[c].allowed.is_err() {
                    continue;
                }
                let mut pool = self.base.pools[index].clone();
                pool.vm_size = self.sized[k].cands[c].vm.clone();
                let os_sku = build::os_sku_of(&pool, minor);
                let shape = match crate::resolve::pool::node_shape(
                    Catalog::builtin(),
                    &self.base,
                    &pool,
                    os_sku,
                    minor,
                    &self.region,
                ) {
                    Ok(sh) => sh,
                    Err(e) => {
                        self.sized[k].cands[c].allowed = Err(e.to_string());
                        continue;
                    }
                };
                let name = self.sized[k].cands[c].name.clone();
                let alloc = shape.allocatable;
                let own = bound::lower_bound(
                    &base_plan, index, alloc, &name, &tmpl, &demands, &targets, false,
                );
                let all = bound::lower_bound(
                    &base_plan, index, alloc, &name, &tmpl, &demands, &targets, true,
                );
                let generous = match all {
                    Bound::AtLeast { nodes, .. } => nodes.saturating_mul(5).div_ceil(4) + 2,
                    Bound::Infeasible { .. } => own_nodes(&own).saturating_mul(5).div_ceil(4) + 2,
                };
                let low = self.sized[k].min_nodes.max(1);
                let cand = &mut self.sized[k].cands[c];
                cand.bound = own;
                cand.generous = generous.clamp(low, self.cap);
            }
            // The reference size for the baseline: the largest usable, feasible one.
            let sp = &mut self.sized[k];
            sp.reference = (0..sp.cands.len())
                .filter(|&c| sp.cands[c].allowed.is_ok())
                .max_by_key(|&c| {
                    (
                        matches!(sp.cands[c].bound, Bound::AtLeast { .. }),
                        sp.cands[c].vcpu,
                        sp.cands[c].memory,
                        std::cmp::Reverse(c),
                    )
                })
                .unwrap_or(first_k);
        }
        Ok(())
    }

    fn evaluate(&self, layout: &Layout) -> Result<Eval, SimError> {
        self.evaluate_scenario(&self.scenario_for(layout))
    }

    fn evaluate_scenario(&self, scn: &Scenario) -> Result<Eval, SimError> {
        let mut first: Option<Eval> = None;
        for r in 0..self.replications {
            let o = simulate(
                scn,
                &RunOptions {
                    seed: Some(self.seed.wrapping_add(u64::from(r))),
                    horizon: Some(self.horizon),
                },
            )?;
            self.runs.fetch_add(1, Ordering::Relaxed);
            let e = Eval::from_outcome(&o, &self.workloads);
            let failed = !e.pass;
            if failed || first.is_none() {
                first = Some(e);
            }
            if failed {
                break;
            }
        }
        first.ok_or_else(|| SimError::Invalid("no replication ran".into()))
    }

    fn cost(&self, k: usize, c: usize, nodes: u32) -> f64 {
        self.sized[k].cands[c].price.unwrap_or(0.0) * f64::from(nodes)
    }

    /// Galloping then binary search for the smallest passing count of candidate `c` of
    /// pool `k`, the other pools as in `base`. Stops once a count costs `budget` or more.
    fn search(
        &self,
        k: usize,
        c: usize,
        base: &Layout,
        budget: Option<f64>,
    ) -> Result<CandResult, SimError> {
        let sp = &self.sized[k];
        let cand = &sp.cands[c];
        let (lb, lb_binding) = match &cand.bound {
            Bound::Infeasible { binding, note } => {
                return Ok(CandResult {
                    verdict: Verdict::Infeasible,
                    nodes: None,
                    at: None,
                    binding: Some(*binding),
                    note: note.clone(),
                })
            }
            Bound::AtLeast { nodes, binding } => ((*nodes).max(sp.min_nodes), *binding),
        };
        let too_costly = |n: u32| budget.is_some_and(|b| self.cost(k, c, n) >= b - 1e-9);
        let mut memo: BTreeMap<u32, Eval> = BTreeMap::new();
        let mut eval = |n: u32| -> Result<Eval, SimError> {
            if let Some(e) = memo.get(&n) {
                return Ok(e.clone());
            }
            let mut l = base.clone();
            l[k] = (c, n);
            let e = self.evaluate(&l)?;
            memo.insert(n, e.clone());
            Ok(e)
        };
        let mut last_fail: Option<(u32, Eval)> = None;
        let mut pass: Option<(u32, Eval)> = None;
        let mut n = lb;
        let mut step = 1u32;
        while n <= self.cap {
            if too_costly(n) {
                return Ok(CandResult {
                    verdict: Verdict::Pruned,
                    nodes: None,
                    at: None,
                    binding: last_fail.as_ref().and_then(|(_, e)| e.binding(&sp.name)),
                    note: format!("{n} or more nodes cost at least as much as a size that fits"),
                });
            }
            let e = eval(n)?;
            if e.pass {
                pass = Some((n, e));
                break;
            }
            let give_up = !e.resolvable(&sp.name) && n >= cand.generous;
            last_fail = Some((n, e));
            if give_up {
                break;
            }
            if n == self.cap {
                break;
            }
            n = n.saturating_add(step).min(self.cap);
            step = step.saturating_mul(2);
        }
        let Some((mut hi, mut hi_eval)) = pass else {
            let (n, e) = match last_fail {
                Some(x) => x,
                None => {
                    return Ok(CandResult {
                        verdict: Verdict::Fails,
                        nodes: None,
                        at: None,
                        binding: lb_binding,
                        note: format!("the lower bound {lb} exceeds the cap of {} nodes", self.cap),
                    })
                }
            };
            let b = e.binding(&sp.name);
            let missed: Vec<String> = e
                .missed()
                .iter()
                .map(|t| format!("{} {}", t.name, t.actual))
                .collect();
            return Ok(CandResult {
                verdict: Verdict::Fails,
                nodes: None,
                at: Some(e),
                binding: b,
                note: format!("still failing at {n} nodes: {}", missed.join("; ")),
            });
        };
        let mut lo = last_fail.as_ref().map_or(hi, |(f, _)| f + 1);
        let mut below: Option<Eval> = last_fail
            .as_ref()
            .filter(|(f, _)| *f + 1 == hi)
            .map(|(_, e)| e.clone());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = eval(mid)?;
            if e.pass {
                hi = mid;
                hi_eval = e;
                below = None;
            } else {
                lo = mid + 1;
                if lo == hi {
                    below = Some(e);
                }
            }
        }
        if below.is_none() && hi > lb {
            below = memo.get(&(hi - 1)).cloned();
        }
        let (binding, note) = match &below {
            Some(e) => (
                e.binding(&sp.name),
                format!(
                    "{} nodes miss {}",
                    hi - 1,
                    e.missed()
                        .iter()
                        .map(|t| format!("{} ({})", t.name, t.actual))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None if hi == 0 => (None, "no pod needs this pool".to_owned()),
            None => (
                lb_binding,
                format!(
                    "{} nodes are under the resource lower bound",
                    hi.saturating_sub(1)
                ),
            ),
        };
        Ok(CandResult {
            verdict: Verdict::Fits,
            nodes: Some(hi),
            at: Some(hi_eval),
            binding,
            note,
        })
    }

    fn run(&self) -> Result<PlanReport, PlanError> {
        // Baseline.
        let mut base: Layout = self
            .sized
            .iter()
            .map(|sp| (sp.reference, sp.cands[sp.reference].generous))
            .collect();
        let mut base_eval = self.evaluate(&base)?;
        let mut attempt = 1;
        while !base_eval.pass && attempt < BASELINE_ATTEMPTS {
            let grow = self.sized.iter().any(|sp| base_eval.resolvable(&sp.name));
            if !grow || base.iter().all(|l| l.1 >= self.cap) {
                break;
            }
            for l in base.iter_mut() {
                l.1 = l.1.saturating_mul(2).min(self.cap);
            }
            base_eval = self.evaluate(&base)?;
            attempt += 1;
        }
        if !base_eval.pass {
            let missed = base_eval
                .missed()
                .iter()
                .map(|t| format!("{} {} (target {})", t.name, t.actual, t.target))
                .collect::<Vec<_>>()
                .join("; ");
            let reason = format!(
                "even with generous sized pools ({}) the targets are missed: {missed}",
                base.iter()
                    .zip(&self.sized)
                    .map(|(l, sp)| format!("{} {} x {}", sp.name, l.1, sp.cands[l.0].name))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let results = vec![BTreeMap::new(); self.sized.len()];
            return self.report(
                None,
                &base_eval,
                &results,
                &[],
                Some(reason),
                &Finish::default(),
            );
        }

        // Candidates, in waves.
        let mut order: Vec<Vec<usize>> = Vec::new();
        for (k, sp) in self.sized.iter().enumerate() {
            let mut v: Vec<usize> = (0..sp.cands.len())
                .filter(|&c| sp.cands[c].allowed.is_ok())
                .collect();
            v.sort_by(|&a, &b| {
                let ca = sp.cands[a]
                    .lb()
                    .map_or(f64::INFINITY, |n| self.cost(k, a, n));
                let cb = sp.cands[b]
                    .lb()
                    .map_or(f64::INFINITY, |n| self.cost(k, b, n));
                ca.total_cmp(&cb).then(a.cmp(&b))
            });
            order.push(v);
        }
        let mut results: Vec<BTreeMap<usize, CandResult>> = vec![BTreeMap::new(); self.sized.len()];
        let mut best: Vec<Option<(usize, u32, f64)>> = vec![None; self.sized.len()];
        let mut next = vec![0usize; self.sized.len()];
        loop {
            let mut tasks: Vec<(usize, usize, Option<f64>)> = Vec::new();
            for k in 0..self.sized.len() {
                let budget = best[k].map(|b| b.2);
                let mut taken = 0;
                while taken < WAVE && next[k] < order[k].len() {
                    let c = order[k][next[k]];
                    next[k] += 1;
                    let lb_cost = self.sized[k].cands[c]
                        .lb()
                        .map(|n| self.cost(k, c, n.max(self.sized[k].min_nodes)));
                    if let (Some(b), Some(l)) = (budget, lb_cost) {
                        if l >= b - 1e-9 {
                            results[k].insert(
                                c,
                                CandResult {
                                    verdict: Verdict::Pruned,
                                    nodes: None,
                                    at: None,
                                    binding: None,
                                    note: format!(
                                        "its lower bound of {} nodes costs ${:.2}/month, not less than ${:.2}/month",
                                        self.sized[k].cands[c].lb().unwrap_or(0),
                                        l * HOURS_PER_MONTH,
                                        b * HOURS_PER_MONTH
                                    ),
                                },
                            );
                            continue;
                        }
                    }
                    tasks.push((k, c, budget));
                    taken += 1;
                }
            }
            if tasks.is_empty() {
                break;
            }
            let outs: Vec<Result<CandResult, SimError>> = tasks
                .par_iter()
                .map(|&(k, c, budget)| self.search(k, c, &base, budget))
                .collect();
            for (&(k, c, _), out) in tasks.iter().zip(outs) {
                let r = out?;
                if let (Verdict::Fits, Some(n)) = (r.verdict, r.nodes) {
                    let cost = self.cost(k, c, n);
                    if best[k].is_none_or(|b| cost < b.2 - 1e-9) {
                        best[k] = Some((c, n, cost));
                    }
                }
                results[k].insert(c, r);
            }
        }
        let mut layout: Layout = Vec::new();
        for (k, b) in best.iter().enumerate() {
            match b {
                Some((c, n, _)) => layout.push((*c, *n)),
                None => {
                    let reason = format!(
                        "no candidate size of pool {} meets the targets (see its alternatives)",
                        self.sized[k].name
                    );
                    return self.report(
                        None,
                        &base_eval,
                        &results,
                        &[],
                        Some(reason),
                        &Finish::default(),
                    );
                }
            }
        }

        // Together: grow until the layout passes.
        let mut eval = self.evaluate(&layout)?;
        let mut rounds = 0;
        while !eval.pass {
            if rounds >= BUMP_ROUNDS {
                let reason = format!(
                    "the per-pool counts do not meet the targets together, even after {BUMP_ROUNDS} rounds of added nodes: {}",
                    eval.missed().iter().map(|t| format!("{} {}", t.name, t.actual)).collect::<Vec<_>>().join("; ")
                );
                return self.report(None, &eval, &results, &[], Some(reason), &Finish::default());
            }
            rounds += 1;
            let tries: Vec<usize> = (0..layout.len())
                .filter(|&k| layout[k].1 < self.cap)
                .collect();
            let outs: Vec<Result<Eval, SimError>> = tries
                .par_iter()
                .map(|&k| {
                    let mut l = layout.clone();
                    l[k].1 += 1;
                    self.evaluate(&l)
                })
                .collect();
            let mut pick: Option<(usize, f64, Eval)> = None;
            for (&k, out) in tries.iter().zip(outs) {
                let e = out?;
                let added = self.sized[k].cands[layout[k].0].price.unwrap_or(0.0);
                if e.pass && pick.as_ref().is_none_or(|p| added < p.1 - 1e-9) {
                    pick = Some((k, added, e));
                }
            }
            match pick {
                Some((k, _, e)) => {
                    layout[k].1 += 1;
                    eval = e;
                }
                None => {
                    for &k in &tries {
                        layout[k].1 += 1;
                    }
                    eval = self.evaluate(&layout)?;
                }
            }
        }

        // Descent: one node fewer wherever that still passes; the last round is the
        // minimality evidence.
        let evidence = loop {
            let tries: Vec<usize> = (0..layout.len())
                .filter(|&k| layout[k].1 > self.sized[k].min_nodes)
                .collect();
            let outs: Vec<Result<Eval, SimError>> = tries
                .par_iter()
                .map(|&k| {
                    let mut l = layout.clone();
                    l[k].1 -= 1;
                    self.evaluate(&l)
                })
                .collect();
            let mut evals = Vec::new();
            for (&k, out) in tries.iter().zip(outs) {
                evals.push((k, out?));
            }
            let saving = evals
                .iter()
                .filter(|(_, e)| e.pass)
                .max_by(|a, b| {
                    let pa = self.sized[a.0].cands[layout[a.0].0].price.unwrap_or(0.0);
                    let pb = self.sized[b.0].cands[layout[b.0].0].price.unwrap_or(0.0);
                    pa.total_cmp(&pb).then(b.0.cmp(&a.0))
                })
                .map(|(k, e)| (*k, e.clone()));
            match saving {
                Some((k, e)) => {
                    layout[k].1 -= 1;
                    eval = e;
                }
                None => break evals,
            }
        };
        // Zonal pools: a multiple of the zones, so that losing a zone loses the same
        // share of every pool and the scheduler's zone spreading stays even. More nodes
        // never miss a target the smaller count met, but the layout is re-run to show it.
        let mut adjust = vec![None; layout.len()];
        for k in 0..layout.len() {
            let z = u32::try_from(self.base.pools[self.sized[k].index].zones.len()).unwrap_or(1);
            let n = layout[k].1;
            if z > 1 && n % z != 0 {
                let up = n.div_ceil(z) * z;
                if up <= self.cap {
                    adjust[k] = Some(n);
                    layout[k].1 = up;
                }
            }
        }
        if adjust.iter().any(Option::is_some) {
            eval = self.evaluate(&layout)?;
        }
        let mut fin = Finish {
            adjust,
            ranges: vec![None; layout.len()],
            notes: vec![Vec::new(); layout.len()],
        };
        self.size_autoscaled(&layout, &mut fin)?;
        self.report(Some(&layout), &eval, &results, &evidence, None, &fin)
    }

    /// Autoscaled pools: the count found is `max` (it meets the targets with the burst,
    /// every `scale` event, at a fixed size); `min` is the smallest count that meets them
    /// under the steady load (the scenario without its `scale` events), by binary search,
    /// the other pools as in `layout`. Then one run with the pool autoscaling between the
    /// two shows whether the cluster-autoscaler reaches the burst in time; its outcome is a
    /// note, not a verdict (a scale-up takes the provisioning time of new nodes).
    fn size_autoscaled(&self, layout: &Layout, fin: &mut Finish) -> Result<(), SimError> {
        let mut steady = self.base.clone();
        steady.events.retain(|e| e.scale.is_none());
        for k in (0..layout.len()).filter(|&k| self.sized[k].autoscaled) {
            let max = layout[k].1;
            let (mut lo, mut hi) = (self.sized[k].min_nodes, max);
            let with = |n: u32| {
                let mut l = layout.clone();
                l[k].1 = n;
                let pick: Vec<usize> = l.iter().map(|x| x.0).collect();
                let counts: Vec<u32> = l.iter().map(|x| x.1).collect();
                let mut scn = self.scenario_with(&pick, &counts);
                scn.events = steady.events.clone();
                scn
            };
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.evaluate_scenario(&with(mid))?.pass {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let z = u32::try_from(self.base.pools[self.sized[k].index].zones.len()).unwrap_or(1);
            let min = if z > 1 && hi % z != 0 {
                (hi.div_ceil(z) * z).min(max)
            } else {
                hi
            };
            fin.ranges[k] = Some(AutoscaleRange { min, max });
            let mut scn = self.scenario_for(layout);
            let p = &mut scn.pools[self.sized[k].index];
            p.count = Some(Count::Fixed(min));
            p.autoscale = Some(poolcast_model::scenario::Autoscale { min, max });
            let e = self.evaluate_scenario(&scn)?;
            fin.notes[k].push(format!(
                "min {min} meets the targets without the scale events; max {max} with them at a fixed size. Autoscaling from {min}: {}",
                if e.pass {
                    "every target met".to_owned()
                } else {
                    format!(
                        "misses {} while nodes are provisioned",
                        e.missed()
                            .iter()
                            .map(|t| format!("{} {}", t.name, t.actual))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ));
        }
        Ok(())
    }

    fn report(
        &self,
        layout: Option<&Layout>,
        eval: &Eval,
        results: &[BTreeMap<usize, CandResult>],
        evidence: &[(usize, Eval)],
        infeasible: Option<String>,
        fin: &Finish,
    ) -> Result<PlanReport, PlanError> {
        let adjust = &fin.adjust;
        let targets = self.base.targets.unwrap_or_default();
        let final_layout: Layout = match layout {
            Some(l) => l.clone(),
            None => self.sized.iter().map(|sp| (sp.reference, 0)).collect(),
        };
        let scn = self.scenario_for(&final_layout);
        let plan = build::build(&scn, self.seed, self.horizon.as_ms())?;

        let mut pools = Vec::new();
        let mut per_hour = 0.0;
        let mut complete = true;
        let mut estimated = false;
        for (i, p) in scn.pools.iter().enumerate() {
            let pp = &plan.pools[i];
            let k = self.sized.iter().position(|sp| sp.index == i);
            let nodes = match (k, layout) {
                (Some(k), Some(l)) => l[k].1,
                (Some(_), None) => 0,
                (None, _) => eval
                    .nodes_by_pool
                    .get(&p.name)
                    .copied()
                    .unwrap_or(match p.count {
                        Some(Count::Fixed(n)) => n,
                        _ => p.autoscale.map_or(0, |a| a.min),
                    }),
            };
            let price = pp.price_per_hour;
            match price {
                Some(pr) => per_hour += pr * f64::from(nodes),
                None if nodes > 0 => complete = false,
                None => {}
            }
            if nodes > 0 && (pp.disk_estimated || pp.disk_price_per_hour.is_none()) {
                estimated = true;
            }
            let range = k.and_then(|k| fin.ranges.get(k).copied().flatten());
            let nodes = range.map_or(nodes, |r| r.min);
            let mut l = pool_layout(&scn, p, pp, nodes, k.is_some());
            if let Some(r) = range {
                l.autoscale = Some(r);
            }
            if let Some(k) = k {
                l.notes
                    .extend(fin.notes.get(k).cloned().unwrap_or_default());
            }
            // Existing-ness and the current size come from the scenario as written, not the
            // candidate applied for the run.
            let written = &self.base.pools[i];
            l.current_vm_size = match &written.vm_size {
                VmSize::Named(n) if l.existing => Some(n.clone()),
                _ => None,
            };
            if let Some(orig) = k.and_then(|k| adjust.get(k).copied().flatten()) {
                l.notes.push(format!(
                    "{orig} node(s) meet the targets; rounded up to {nodes}, a multiple of its {} zones, so that every zone holds the same share",
                    p.zones.len()
                ));
            }
            pools.push(l);
        }

        let mut sizing = Vec::new();
        for (k, sp) in self.sized.iter().enumerate() {
            let chosen = layout.map(|l| l[k]);
            let mut alts = Vec::new();
            for (c, cand) in sp.cands.iter().enumerate() {
                let r = results[k].get(&c);
                let (mut verdict, mut nodes, at, binding, mut note) = match (&cand.allowed, r) {
                    (Err(why), _) => (Verdict::NotAllowed, None, None, None, why.clone()),
                    (Ok(()), Some(r)) => {
                        (r.verdict, r.nodes, r.at.as_ref(), r.binding, r.note.clone())
                    }
                    (Ok(()), None) => match &cand.bound {
                        Bound::Infeasible { binding, note } => (
                            Verdict::Infeasible,
                            None,
                            None,
                            Some(*binding),
                            note.clone(),
                        ),
                        Bound::AtLeast { .. } => {
                            let why = if layout.is_none() {
                                "not searched: the layout misses the targets whatever this pool's size"
                            } else {
                                "not searched"
                            };
                            (Verdict::Pruned, None, None, None, why.to_owned())
                        }
                    },
                };
                let mut binding = binding;
                if chosen.is_some_and(|(cc, _)| cc == c) {
                    verdict = Verdict::Recommended;
                    if let Some((_, e)) = evidence.iter().find(|(kk, _)| *kk == k) {
                        binding = e.binding(&sp.name);
                        note = format!(
                            "{} nodes miss {}",
                            adjust
                                .get(k)
                                .copied()
                                .flatten()
                                .or(chosen.map(|x| x.1))
                                .map_or(0, |n| n.saturating_sub(1)),
                            e.missed()
                                .iter()
                                .map(|t| format!("{} ({})", t.name, t.actual))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                    let n = chosen.map(|x| x.1);
                    if n != nodes {
                        note = format!(
                            "{} alone; {} in the full layout. {note}",
                            nodes.map_or("-".to_owned(), |n| n.to_string()),
                            n.map_or("-".to_owned(), |n| n.to_string())
                        );
                        nodes = n;
                    }
                }
                let util = match (verdict, layout) {
                    (Verdict::Recommended, Some(_)) => eval.util.get(&sp.name),
                    _ => at.and_then(|e| e.util.get(&sp.name)),
                };
                alts.push(Alternative {
                    vm_size: cand.name.clone(),
                    vcpu: cand.vcpu,
                    memory_gib: round4(cand.memory.get() as f64 / (1u64 << 30) as f64),
                    lower_bound: cand.lb().filter(|_| cand.allowed.is_ok()),
                    nodes,
                    cpu_utilisation: util.map(|u| u.cpu),
                    memory_utilisation: util.map(|u| u.memory),
                    pods_utilisation: util.map(|u| u.pods),
                    price_per_hour: cand.price.map(round4),
                    cost_per_month: match (cand.price, nodes) {
                        (Some(p), Some(n)) => Some(round4(p * f64::from(n) * HOURS_PER_MONTH)),
                        _ => None,
                    },
                    verdict,
                    binding,
                    note,
                });
            }
            alts.sort_by(|a, b| {
                a.verdict
                    .cmp(&b.verdict)
                    .then(
                        a.cost_per_month
                            .unwrap_or(f64::INFINITY)
                            .total_cmp(&b.cost_per_month.unwrap_or(f64::INFINITY)),
                    )
                    .then(a.vm_size.cmp(&b.vm_size))
            });
            let considered = u32::try_from(alts.len()).unwrap_or(u32::MAX);
            if sp.auto {
                // Hundreds of catalog sizes: keep every simulated one and the closest of
                // the rest (cheapest lower bound first), and say how many were left out.
                let ran = |a: &Alternative| {
                    matches!(
                        a.verdict,
                        Verdict::Recommended | Verdict::Fits | Verdict::Fails
                    )
                };
                let lb_cost = |a: &Alternative| match (a.lower_bound, a.price_per_hour) {
                    (Some(n), Some(p)) => p * f64::from(n),
                    _ => f64::INFINITY,
                };
                // Stable: the simulated ones keep their verdict-then-cost order.
                alts.sort_by(|a, b| match (ran(a), ran(b)) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (x, y) if x != y => y.cmp(&x),
                    _ => lb_cost(a)
                        .total_cmp(&lb_cost(b))
                        .then(a.vm_size.cmp(&b.vm_size)),
                });
                let mut rest = 0usize;
                alts.retain(|a| {
                    let ran = matches!(
                        a.verdict,
                        Verdict::Recommended | Verdict::Fits | Verdict::Fails
                    );
                    if ran {
                        return true;
                    }
                    rest += 1;
                    rest <= AUTO_ALTERNATIVES_SHOWN
                });
            }
            let omitted = considered - u32::try_from(alts.len()).unwrap_or(u32::MAX);
            let minimality = evidence
                .iter()
                .find(|(kk, _)| *kk == k)
                .map(|(_, e)| Minimality {
                    nodes: adjust
                        .get(k)
                        .copied()
                        .flatten()
                        .or(chosen.map(|c| c.1))
                        .map_or(0, |n| n.saturating_sub(1)),
                    met: e.pass,
                    missed: e.missed(),
                    binding: e.binding(&sp.name),
                });
            sizing.push(PoolSizing {
                pool: sp.name.clone(),
                os: sp.os.label().to_owned(),
                pricing: sp.pricing,
                recommended: chosen.map(|(c, _)| sp.cands[c].name.clone()),
                nodes: chosen.map(|(_, n)| n),
                alternatives: alts,
                candidates: considered,
                omitted,
                minimality,
            });
        }

        Ok(PlanReport {
            schema: PLAN_SCHEMA,
            scenario: self.base.metadata.name.clone(),
            region: self.region.clone(),
            seed: self.seed,
            replications: self.replications,
            targets: PlanTargets {
                all_placed: targets.all_placed,
                max_pending: targets.max_pending.map(|d| d.to_string()),
                p95_time_to_ready: targets.p95_time_to_ready.map(|d| d.to_string()),
                headroom: targets.headroom.map(|h| h.to_string()),
                defaulted: self.defaulted,
            },
            feasible: infeasible.is_none() && layout.is_some(),
            infeasible_reason: infeasible,
            layout: pools,
            sizing,
            cost: PlanCost {
                currency: "USD",
                basis: plan.pricing_basis.clone(),
                tier: plan.tier,
                tier_fee_per_hour: round4(plan.tier_fee_per_hour),
                per_hour: round4(per_hour + plan.tier_fee_per_hour),
                per_month: round4((per_hour + plan.tier_fee_per_hour) * HOURS_PER_MONTH),
                complete,
                estimated,
            },
            verification: eval.targets.clone(),
            runs: self.runs.load(Ordering::Relaxed),
        })
    }
}

/// A pool as `az`/Bicep need it, from the scenario pool `p` and its built plan `pp`, at
/// `nodes` (for an autoscaled pool, its `min`), with the HA notes the emitters print.
fn pool_layout(
    scn: &Scenario,
    p: &poolcast_model::scenario::Pool,
    pp: &build::PoolPlan,
    nodes: u32,
    sized: bool,
) -> PoolLayout {
    let pricing = pricing_of(
        p.os,
        hybrid_benefit(scn, p),
        matches!(p.vm_size, VmSize::Inline(_)),
    );
    let price = pp.price_per_hour;
    let mut notes = Vec::new();
    if pp.disk_estimated || pp.disk_price_per_hour.is_none() {
        notes.push(format!("OS disk: {}", pp.disk_basis));
    }
    let z = u32::try_from(p.zones.len()).unwrap_or(1);
    let counts: Vec<u32> = match p.autoscale {
        Some(a) => vec![a.min, a.max],
        None => vec![nodes],
    };
    if z > 1 && counts.iter().any(|n| n % z != 0) {
        notes.push(format!(
            "{} node(s) over {z} zones: the zones hold unequal shares, so losing one zone loses more than 1/{z} of the pool",
            counts.iter().map(u32::to_string).collect::<Vec<_>>().join("-")
        ));
    }
    if p.mode == PoolMode::System {
        let least = p.autoscale.map_or(nodes, |a| a.min);
        if least < aks::SYSTEM_POOL_MIN_NODES_HA {
            notes.push(format!(
                "a System pool of {least} node(s): AKS requires at least {} and recommends {} (use-system-pools.md); minNodes in the scenario chose this",
                aks::SYSTEM_POOL_MIN_NODES_HA,
                aks::SYSTEM_POOL_RECOMMENDED_NODES
            ));
        } else if least < aks::SYSTEM_POOL_RECOMMENDED_NODES {
            notes.push(format!(
                "AKS recommends {} nodes for a production System pool (use-system-pools.md)",
                aks::SYSTEM_POOL_RECOMMENDED_NODES
            ));
        }
    }
    PoolLayout {
        pool: p.name.clone(),
        mode: format!("{:?}", p.mode),
        os: p.os.label().to_owned(),
        os_sku: format!("{:?}", pp.os_sku),
        vm_size: pp.vm_size.clone(),
        nodes,
        autoscale: p.autoscale.map(|a| AutoscaleRange {
            min: a.min,
            max: a.max,
        }),
        max_pods: u32::try_from(pp.allocatable.pods).unwrap_or(u32::MAX),
        sized,
        existing: p.existing || !p.nodes.is_empty(),
        current_vm_size: match &p.vm_size {
            VmSize::Named(n) if p.existing || !p.nodes.is_empty() => Some(n.clone()),
            _ => None,
        },
        zones: p.zones.clone(),
        labels: p.labels.clone(),
        taints: p.taints.iter().map(|t| t.to_string()).collect(),
        os_disk_type: p.os_disk.and_then(|d| d.disk_type).map(|t| match t {
            OsDiskType::Managed => "Managed".to_owned(),
            OsDiskType::Ephemeral => "Ephemeral".to_owned(),
        }),
        os_disk_size_gib: p.os_disk.and_then(|d| d.size_gib),
        azure_hybrid_benefit: hybrid_benefit(scn, p),
        pricing,
        price_per_hour: price.map(round4),
        cost_per_month: price.map(|pr| round4(pr * f64::from(nodes) * HOURS_PER_MONTH)),
        notes,
    }
}

/// Every pool of `scenario` as it is written, for `poolcast emit`: the VM size and OS SKU
/// it resolves to, its count (or autoscaler range), price and HA notes. Pools marked for
/// sizing (`count: auto`, a `vmSize` list, `vmSize: auto`) are refused: `plan --emit`
/// sizes them first.
pub fn layout(scenario: &Scenario) -> Result<Vec<PoolLayout>, PlanError> {
    for p in &scenario.pools {
        let marked = p.count == Some(Count::Auto)
            || matches!(p.vm_size, VmSize::Candidates(_) | VmSize::Auto(_));
        if marked {
            return Err(PlanError::Unsizable {
                pool: p.name.clone(),
                reason: "it is marked for sizing (count: auto or a vmSize list/auto); run `poolcast plan --emit` to size it first".into(),
            });
        }
    }
    let plan = build::build(scenario, scenario.sim.seed, scenario.sim.horizon.as_ms())?;
    Ok(scenario
        .pools
        .iter()
        .zip(&plan.pools)
        .map(|(p, pp)| {
            let nodes = match (p.count, p.autoscale) {
                (Some(Count::Fixed(n)), _) => n,
                (_, Some(a)) => a.min,
                _ => u32::try_from(p.nodes.len()).unwrap_or(u32::MAX),
            };
            pool_layout(scenario, p, pp, nodes, false)
        })
        .collect())
}

/// A catalog size as a candidate for a pool, with the AKS rules and price it must pass.
fn candidate(
    cat: &Catalog,
    scn: &Scenario,
    pool: &poolcast_model::scenario::Pool,
    name: &str,
    pricing: Pricing,
    region: &str,
    aks_rules: bool,
) -> Cand {
    let (os, mode) = (pool.os, pool.mode);
    let unset = Bound::AtLeast {
        nodes: 0,
        binding: None,
    };
    let Some(sku) = cat.vm_sku(name) else {
        return Cand {
            name: name.to_owned(),
            vcpu: 0,
            memory: Bytes(0),
            price: None,
            allowed: Err(format!("{name} is not in the VM size catalog")),
            vm: VmSize::Named(name.to_owned()),
            bound: unset,
            generous: 1,
        };
    };
    // What the organisation pays per node-hour: the VM after cluster.pricing (Hybrid
    // Benefit, commitment, discount) plus the OS disk this size gets.
    let disk = catalog_disks::os_disk_for(sku, pool.os_disk.as_ref());
    let price = disk
        .as_ref()
        .ok()
        .and_then(|d| crate::resolve::pool::paid_price(scn, pool, sku, d, region).per_hour);
    let pool_ok = match mode {
        PoolMode::User => sku.aks_user,
        PoolMode::System => sku.aks_system,
    };
    let allowed = if aks_rules && !pool_ok {
        Err(match mode {
            PoolMode::System => "AKS does not take it for System pools (4 vCPU, 4 GB, no B-series; use-system-pools.md)".to_owned(),
            PoolMode::User => "AKS does not take it for User pools (2 vCPU; quotas-skus-regions.md)".to_owned(),
        })
    } else if os == Os::Windows && sku.arch == Arch::Arm64 {
        Err("Arm64 sizes do not run Windows nodes".to_owned())
    } else if let Err(e) = &disk {
        Err(format!("its OS disk: {e}"))
    } else if price.is_none() {
        Err(format!(
            "no {} price for {region} in the catalog",
            price_os(pricing)
        ))
    } else {
        Ok(())
    };
    Cand {
        name: sku.name.clone(),
        vcpu: sku.vcpu,
        memory: sku.memory,
        price,
        allowed,
        vm: VmSize::Named(sku.name.clone()),
        bound: unset,
        generous: 1,
    }
}

/// The fewest nodes the planner gives a pool: `minNodes` when the scenario sets it (a
/// System pool never under one node), else 2 for a System pool ("System pools must contain
/// at least two nodes but the recommendation is three nodes", AKSDOCS
/// `use-system-pools.md`; the report notes the recommendation), 0 for a User pool.
fn min_nodes_of(p: &poolcast_model::scenario::Pool) -> u32 {
    match p.mode {
        PoolMode::System => p.min_nodes.unwrap_or(aks::SYSTEM_POOL_MIN_NODES_HA).max(1),
        PoolMode::User => p.min_nodes.unwrap_or(0),
    }
}

fn own_nodes(b: &Bound) -> u32 {
    match b {
        Bound::AtLeast { nodes, .. } => *nodes,
        Bound::Infeasible { .. } => 0,
    }
}

/// The AKS rules a sized pool must keep (AKSDOCS `use-system-pools.md`,
/// `create-node-pools.md`, `concepts-network-ip-address-planning.md`): System pools are
/// Linux; pool names are 1-12 characters on Linux and 1-6 on Windows; maxPods within 10-250
/// (System >= 30).
fn check_aks_rules(s: &Scenario, i: usize) -> Result<(), PlanError> {
    let p = &s.pools[i];
    let err = |rule: String| PlanError::AksRule {
        pool: p.name.clone(),
        rule,
    };
    if p.mode == PoolMode::System && p.os == Os::Windows {
        return Err(err(
            "a System pool must be Linux; AKS has no Windows system pools (use-system-pools.md)"
                .into(),
        ));
    }
    aks::check_pool_name(&p.name, p.os).map_err(|e| err(e.to_string()))?;
    let max_pods = p
        .max_pods
        .unwrap_or_else(|| aks::default_max_pods(s.cluster.network_plugin));
    let bounds = aks::max_pods_bounds(p.mode);
    if !bounds.contains(&max_pods) {
        return Err(err(format!(
            "maxPods {max_pods} is outside {}-{} for a {:?} pool (concepts-network-ip-address-planning.md)",
            bounds.start(),
            bounds.end(),
            p.mode
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_error_messages_parse_into_resources() {
        let mut m = BTreeMap::new();
        fit_error_bindings(
            "0/7 nodes are available: 2 node(s) had untolerated taint {os: windows}, 3 Insufficient cpu, 2 Too many pods. preemption: 0/7 nodes are available: 7 No preemption victims found for incoming pod.",
            &mut m,
        );
        assert_eq!(m.get(&Binding::Cpu), Some(&3));
        assert_eq!(m.get(&Binding::PodsPerNode), Some(&2));
        assert_eq!(m.len(), 2);
        let mut m = BTreeMap::new();
        fit_error_bindings("0/3 nodes are available: 3 Insufficient memory.", &mut m);
        assert_eq!(m.get(&Binding::Memory), Some(&3));
    }

    #[test]
    fn windows_pools_use_windows_prices_unless_hybrid_benefit() {
        assert_eq!(pricing_of(Os::Windows, false, false), Pricing::Windows);
        assert_eq!(price_os(Pricing::Windows), Os::Windows);
        assert_eq!(
            pricing_of(Os::Windows, true, false),
            Pricing::WindowsHybridBenefit
        );
        assert_eq!(price_os(Pricing::WindowsHybridBenefit), Os::Linux);
        assert_eq!(pricing_of(Os::Linux, false, false), Pricing::Linux);
        assert_eq!(pricing_of(Os::Linux, false, true), Pricing::Inline);
    }
}

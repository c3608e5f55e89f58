//! What `plan` produced, as the serialisable boundary type `PlanReport` (`schema:
//! "poolcast.plan/v1"`): the recommended layout of every pool, the alternatives tried per
//! sized pool with their verdicts, the minimality evidence, the verification run's targets
//! and the cost. Floats are rounded with `round4` so the same input serialises to the same
//! bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::outcome::TargetResult;

/// The plan output schema identifier.
pub const PLAN_SCHEMA: &str = "poolcast.plan/v1";

/// The resource or target that decides a count: what runs out first with one node fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    /// CPU requests (or CPU headroom).
    Cpu,
    /// Memory requests (or memory headroom).
    Memory,
    /// maxPods per node.
    PodsPerNode,
    /// OS disk: ephemeral-storage requests, image space, disk pressure.
    Disk,
    /// Pending or start-up time (`maxPending`, `p95TimeToReady`, pods not ready in time).
    TimeToReady,
}

impl Binding {
    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Binding::Cpu => "cpu",
            Binding::Memory => "memory",
            Binding::PodsPerNode => "pods-per-node",
            Binding::Disk => "disk",
            Binding::TimeToReady => "time-to-ready",
        }
    }
}

/// A candidate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The chosen size for the pool.
    Recommended,
    /// Meets every target at `nodes`, at a higher cost than the recommendation.
    Fits,
    /// No node count up to the search cap meets the targets.
    Fails,
    /// Not simulated to the end: its lower bound already costs at least as much as a
    /// size that fits.
    Pruned,
    /// No node count can work (a pod does not fit one node, or DaemonSets exceed the
    /// headroom target).
    Infeasible,
    /// AKS would refuse the size for this pool, or it has no price.
    NotAllowed,
}

impl Verdict {
    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Recommended => "recommended",
            Verdict::Fits => "fits",
            Verdict::Fails => "fails",
            Verdict::Pruned => "pruned",
            Verdict::Infeasible => "infeasible",
            Verdict::NotAllowed => "not-allowed",
        }
    }
}

/// Which price list a pool is costed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pricing {
    /// Linux pay-as-you-go.
    Linux,
    /// Windows pay-as-you-go (licence included).
    Windows,
    /// A Windows pool with Azure Hybrid Benefit: billed at the Linux rate.
    WindowsHybridBenefit,
    /// An inline size with its own price.
    Inline,
}

impl Pricing {
    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Pricing::Linux => "linux",
            Pricing::Windows => "windows",
            Pricing::WindowsHybridBenefit => "windows-ahb",
            Pricing::Inline => "inline",
        }
    }
}

/// One VM size tried for a sized pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alternative {
    /// VM size.
    pub vm_size: String,
    /// vCPUs.
    pub vcpu: u32,
    /// Nominal memory, GiB.
    pub memory_gib: f64,
    /// Resource lower bound on the node count (None when not computed).
    pub lower_bound: Option<u32>,
    /// Smallest node count that met every target (None when none did).
    pub nodes: Option<u32>,
    /// Peak CPU requests / allocatable of the pool at `nodes`.
    pub cpu_utilisation: Option<f64>,
    /// Peak memory requests / allocatable at `nodes`.
    pub memory_utilisation: Option<f64>,
    /// Peak pods / pod slots at `nodes`.
    pub pods_utilisation: Option<f64>,
    /// USD per node-hour on the pool's price list.
    pub price_per_hour: Option<f64>,
    /// USD per month (730 h) at `nodes`.
    pub cost_per_month: Option<f64>,
    /// Verdict.
    pub verdict: Verdict,
    /// What runs out with one node fewer than `nodes`, or why it fails.
    pub binding: Option<Binding>,
    /// Details.
    pub note: String,
}

/// The evidence that a recommended count is tight: the outcome with one node fewer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Minimality {
    /// Nodes tried (the recommendation minus one).
    pub nodes: u32,
    /// Whether that run met every target (never true for a reported recommendation).
    pub met: bool,
    /// The targets it missed.
    pub missed: Vec<TargetResult>,
    /// What ran out.
    pub binding: Option<Binding>,
}

/// A pool the planner sized.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSizing {
    /// Pool name.
    pub pool: String,
    /// linux / windows.
    pub os: String,
    /// Price list.
    pub pricing: Pricing,
    /// The chosen size (None when nothing fits).
    pub recommended: Option<String>,
    /// The chosen count.
    pub nodes: Option<u32>,
    /// Every size considered, cheapest verdicts first as searched (for `vmSize: auto`,
    /// the simulated ones and the ten closest of the rest).
    pub alternatives: Vec<Alternative>,
    /// Sizes considered (the catalog sizes that met the requirements, for `auto`).
    pub candidates: u32,
    /// Sizes considered but not listed in `alternatives`.
    pub omitted: u32,
    /// One node fewer than the recommendation, with the rest of the layout unchanged.
    /// None when the pool is at its smallest allowed count.
    pub minimality: Option<Minimality>,
}

/// A pool of the recommended layout, with what `az`/Bicep need to create it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolLayout {
    /// Pool name.
    pub pool: String,
    /// System / User.
    pub mode: String,
    /// linux / windows.
    pub os: String,
    /// AKS `--os-sku` (`Ubuntu`, `Windows2022`, ...).
    pub os_sku: String,
    /// VM size.
    pub vm_size: String,
    /// Node count (for autoscaled pools: nodes at the end of the verification run).
    pub nodes: u32,
    /// Autoscaler bounds, for pools that autoscale.
    pub autoscale: Option<AutoscaleRange>,
    /// maxPods.
    pub max_pods: u32,
    /// Sized by the planner.
    pub sized: bool,
    /// The pool exists already (`existing: true`, or imported with its nodes): changed
    /// with `az aks nodepool update`/`scale`, not created.
    pub existing: bool,
    /// For an existing pool, the VM size it has now (AKS cannot change it in place).
    pub current_vm_size: Option<String>,
    /// Availability zones.
    pub zones: Vec<String>,
    /// Node labels given in the scenario.
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    pub taints: Vec<String>,
    /// `Managed` or `Ephemeral` when the scenario set it.
    pub os_disk_type: Option<String>,
    /// OS disk size when the scenario set it.
    pub os_disk_size_gib: Option<u32>,
    /// Azure Hybrid Benefit.
    pub azure_hybrid_benefit: bool,
    /// Price list.
    pub pricing: Pricing,
    /// USD per node-hour.
    pub price_per_hour: Option<f64>,
    /// USD per month (730 h).
    pub cost_per_month: Option<f64>,
    /// High-availability and sizing notes (zones, System pool size, rounding).
    pub notes: Vec<String>,
}

/// A pool's cluster-autoscaler bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AutoscaleRange {
    /// Fewest nodes.
    pub min: u32,
    /// Most nodes.
    pub max: u32,
}

/// Cost of the whole recommended cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanCost {
    /// Currency.
    pub currency: &'static str,
    /// What the prices are: `list` or `paid after cluster.pricing: ...` (candidates are
    /// ranked on the same basis, OS disks included).
    pub basis: String,
    /// AKS pricing tier (`free`, `standard`, `premium`; `none` for provider generic).
    pub tier: &'static str,
    /// Its fee per cluster-hour, included in `per_hour` and `per_month`.
    pub tier_fee_per_hour: f64,
    /// USD per hour: the layout's nodes (VM + OS disk) plus the tier fee.
    pub per_hour: f64,
    /// USD per month (730 h).
    pub per_month: f64,
    /// False when a pool has no price.
    pub complete: bool,
    /// Some pool's OS disk price is borrowed from East US or unpriced (the layout's
    /// notes say which).
    pub estimated: bool,
}

/// The targets the plan was held to, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanTargets {
    /// Every pod ready.
    pub all_placed: bool,
    /// Longest pending time.
    pub max_pending: Option<String>,
    /// p95 time to ready.
    pub p95_time_to_ready: Option<String>,
    /// Headroom per resource per pool.
    pub headroom: Option<String>,
    /// True when the scenario gave none and `allPlaced` was assumed.
    pub defaulted: bool,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport {
    /// Always [`PLAN_SCHEMA`].
    pub schema: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Region whose prices apply.
    pub region: String,
    /// First seed; replications use the next ones.
    pub seed: u64,
    /// Runs per layout (each must meet the targets).
    pub replications: u32,
    /// Targets.
    pub targets: PlanTargets,
    /// True when a layout meeting every target was found.
    pub feasible: bool,
    /// Why not, when not.
    pub infeasible_reason: Option<String>,
    /// Every pool of the recommended layout, in scenario order.
    pub layout: Vec<PoolLayout>,
    /// The sized pools with their alternatives and minimality evidence.
    pub sizing: Vec<PoolSizing>,
    /// Cost of the layout.
    pub cost: PlanCost,
    /// Targets of the verification run of the recommended layout.
    pub verification: Vec<TargetResult>,
    /// Simulation runs performed.
    pub runs: u32,
}

//! poolcast-sim: the deterministic discrete-event engine that replays a scenario.
//!
//! Architecture invariant: no I/O, no printing, no clap or anyhow. Input is a validated
//! `poolcast_model::Scenario`; output is an `Outcome` (or an `Explanation` of one
//! scheduling attempt). The same scenario and seed always give the same outcome.

pub mod autoscaler;
pub mod build;
pub mod cluster;
pub mod engine;
pub mod explain;
pub mod kubelet;
pub mod labels;
pub mod migration;
pub mod nodecache;
pub mod outcome;
pub mod pdb;
pub mod plan;
pub mod pullcost;
pub mod replicate;
pub mod resolve;
pub mod run;
pub mod scheduler;
pub mod snapshot;
pub mod upgrade;
pub mod variability;

use poolcast_model::{Duration, Scenario};

pub use explain::Explanation;
pub use outcome::Outcome;

/// Why a scenario could not be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The scenario is inconsistent in a way the engine cannot run (validation normally
    /// reports it first). The user's to fix.
    #[error("invalid scenario: {0}")]
    Invalid(String),
    /// An image is neither declared in `images:` nor in the catalog. The user's to fix.
    #[error("{workload}: image {image} is neither in the scenario's images nor in the catalog; declare it with its os and layers")]
    UnknownImage {
        /// The workload or pool that names it.
        workload: String,
        /// The reference.
        image: String,
    },
    /// A VM size not in the catalog. The user's to fix (or give it inline).
    #[error("VM size {0} is not in the catalog; give {{cpu, memory, pricePerHour}} inline")]
    UnknownVmSize(String),
    /// `explain` was asked about a pod the run never creates. The user's to fix.
    #[error("no pod named {0} exists in this run (pods are named <workload>-<n>)")]
    PodNotFound(String),
    /// `explain` found no scheduling attempt of the pod at or after the time asked.
    #[error("pod {pod} has no scheduling attempt at or after {at}{detail}")]
    NoAttempt {
        /// Pod.
        pod: String,
        /// Time asked.
        at: Duration,
        /// What happened to it instead.
        detail: String,
    },
}

/// Per-run overrides of the scenario's `sim` block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Seed instead of `sim.seed`.
    pub seed: Option<u64>,
    /// Horizon instead of `sim.horizon`.
    pub horizon: Option<Duration>,
}

/// The seed and horizon of a run. A horizon override is checked as if the scenario said
/// it: the limits on horizon, samples and pods (Poisson arrivals run to the horizon by
/// default) bound what the engine allocates, and a `--horizon` must not get round them.
fn resolve(scenario: &Scenario, opts: &RunOptions) -> Result<(u64, Duration), SimError> {
    let seed = opts.seed.unwrap_or(scenario.sim.seed);
    let horizon = match opts.horizon {
        Some(h) if h != scenario.sim.horizon => {
            let mut s = scenario.clone();
            s.sim.horizon = h;
            let errors: Vec<String> = poolcast_model::validate::validate(&s)
                .into_iter()
                .filter(poolcast_model::Diagnostic::is_error)
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect();
            if !errors.is_empty() {
                return Err(SimError::Invalid(format!(
                    "with horizon {h}: {}",
                    errors.join("; ")
                )));
            }
            h
        }
        _ => scenario.sim.horizon,
    };
    Ok((seed, horizon))
}

/// Runs `scenario` once and reports what happened.
///
/// ```
/// # use poolcast_sim::{simulate, RunOptions};
/// # fn demo(s: &poolcast_model::Scenario) -> Result<(), poolcast_sim::SimError> {
/// let outcome = simulate(s, &RunOptions::default())?;
/// assert_eq!(outcome.schema, "poolcast.run/v1");
/// # Ok(()) }
/// ```
pub fn simulate(scenario: &Scenario, opts: &RunOptions) -> Result<Outcome, SimError> {
    let (seed, horizon) = resolve(scenario, opts)?;
    let plan = build::build(scenario, seed, horizon.as_ms())?;
    let mut engine = run::Engine::new(plan, scenario);
    engine.run();
    Ok(engine.into_outcome())
}

/// Runs `scenario` and explains the first scheduling attempt of pod `pod` at or after `at`
/// (time zero when `None`): every node's filter verdict and every score plugin's raw,
/// normalised and weighted scores; then follows the pod on to Ready (`journey`). The run
/// is the one `simulate` makes with the same options.
pub fn explain(
    scenario: &Scenario,
    pod: &str,
    at: Option<Duration>,
) -> Result<Explanation, SimError> {
    explain_with(scenario, pod, at, &RunOptions::default())
}

/// [`explain`] with a seed or horizon override.
pub fn explain_with(
    scenario: &Scenario,
    pod: &str,
    at: Option<Duration>,
    opts: &RunOptions,
) -> Result<Explanation, SimError> {
    let (seed, horizon) = resolve(scenario, opts)?;
    let plan = build::build(scenario, seed, horizon.as_ms())?;
    let at = at.unwrap_or(Duration::ZERO);
    let mut engine = run::Engine::new(plan, scenario);
    engine.explain_at(pod.to_owned(), engine::SimTime(at.as_ms()));
    engine.run();
    explain::from_engine(&engine, pod, at)
}

/// What an audited run checked besides its outcome.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Every bind, re-checked against the filters and allocatable at bind time.
    pub binds: Vec<run::BindCheck>,
    /// `Cluster::check_invariants` at the end of the run.
    pub invariants: Result<(), String>,
    /// Every preemption, with its priorities, PDB violations and the oracle's witness.
    pub preemptions: Vec<run::PreemptionCheck>,
}

/// Runs `scenario` re-checking every bind (filters and allocatable at that moment) and the
/// cluster's accounting invariants at the end: the engine's own test oracle.
pub fn simulate_audited(
    scenario: &Scenario,
    opts: &RunOptions,
) -> Result<(Outcome, Audit), SimError> {
    let (seed, horizon) = resolve(scenario, opts)?;
    let plan = build::build(scenario, seed, horizon.as_ms())?;
    let mut engine = run::Engine::new(plan, scenario);
    engine.audit = Some(Vec::new());
    engine.run();
    let audit = Audit {
        binds: engine.audit.take().unwrap_or_default(),
        invariants: engine.plan.cluster.check_invariants(),
        preemptions: std::mem::take(&mut engine.audit_preemptions),
    };
    Ok((engine.into_outcome(), audit))
}

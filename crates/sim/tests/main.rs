//! poolcast-sim integration tests, one binary with a module per area: whole scenarios
//! through `simulate`, `explain` and the audited run, and the scheduler on hand-built
//! clusters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod autoscaler;
mod calibration;
mod common;
mod costs;
mod determinism;
mod explain;
mod invariants;
mod outcomes;
mod plan;
mod platforms;
mod preemption;
mod scheduler;
mod upgrade;
mod variability;

//! poolcast-sim: the deterministic discrete-event engine that replays a scenario.
//!
//! Architecture invariant: no I/O, no printing, no clap or anyhow. Input is a validated
//! `poolcast_model::Scenario`; output is an `Outcome`.

pub mod cluster;
pub mod engine;
pub mod scheduler;

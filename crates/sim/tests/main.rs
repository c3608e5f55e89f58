//! poolcast-sim integration tests: whole scenarios through `simulate`, `explain` and the
//! audited run, asserting the outcomes the model must show.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod determinism;
mod explain;
mod invariants;
mod outcomes;

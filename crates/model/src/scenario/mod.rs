//! Scenario schema, by version. `v1` is the only version; its types are re-exported here.

pub mod v1;

pub use v1::*;

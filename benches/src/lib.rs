//! Shared helpers for the poolcast benchmarks.

pub mod import_dump;
pub mod scale;

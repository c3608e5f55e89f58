//! Shared helpers for the poolcast benchmarks.

//! Integration tests of the `poolcast` binary and of scenario loading through it.
//!
//! One test binary (`tests/main.rs`) with a module per concern, so cargo links once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catalog_cmd;
mod common;
mod corpus;
mod costs_cmd;
mod emit_cmd;
mod formats;
mod import;
mod plan_cmd;
mod props;
mod report_browser;
mod report_cmd;
mod scenarios;
mod sweep_cmd;
mod upgrade_cmd;
mod validate_cmd;

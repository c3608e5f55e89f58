//! Integration tests of poolcast-sim, one binary with a module per area.
#![allow(clippy::unwrap_used)]

mod scheduler;

//! Integration tests of poolcast-model, one module per area.

mod allocatable;
mod import;

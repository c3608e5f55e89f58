//! poolcast-model: the scenario a user writes, the units it is written in, and the catalogs
//! of Azure and AKS facts the engine draws on.
//!
//! Architecture invariant: this crate holds data and its validation only. It does no file
//! I/O beyond parsing text it is given, knows nothing of the engine, and never panics on
//! input.

pub mod catalog;
pub mod diagnostic;
pub mod import;
pub mod load;
pub mod scenario;
pub mod units;
pub mod validate;
pub mod windows;

pub use catalog::Catalog;
pub use diagnostic::{Diagnostic, FieldPath, Severity};
pub use load::{parse_scenario, Format};
pub use scenario::Scenario;
pub use units::{Bandwidth, Bytes, Cpu, Duration, Percent};

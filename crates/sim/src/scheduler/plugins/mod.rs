//! The default profile's plugins, one file each, registered in kube-scheduler's order
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`).

use super::framework::{FilterPlugin, ScorePlugin};
use super::SchedulerSettings;

/// Filter plugins in the default profile's order.
pub fn default_filters(_settings: &SchedulerSettings) -> Vec<Box<dyn FilterPlugin + Send>> {
    Vec::new()
}

/// Score plugins of the default profile (weights are applied by the caller).
pub fn default_scorers(_settings: &SchedulerSettings) -> Vec<Box<dyn ScorePlugin + Send>> {
    Vec::new()
}

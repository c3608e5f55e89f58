//! The default profile's plugins, one file each, registered in kube-scheduler's order
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`).

pub mod balanced_allocation;
pub mod helper;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

#[cfg(test)]
pub(crate) mod testutil;

use super::framework::{FilterPlugin, ScorePlugin};
use super::SchedulerSettings;

/// Filter plugins in the default profile's order. The order matters for messages: a node
/// reports only the first filter that rejects it (`RunFilterPlugins`), so a tainted Windows
/// node reports its taint before a node-selector mismatch. SchedulingGates, NodeName,
/// NodePorts and the volume plugins have nothing to model and are left out.
pub fn default_filters(settings: &SchedulerSettings) -> Vec<Box<dyn FilterPlugin + Send>> {
    vec![
        Box::new(node_unschedulable::NodeUnschedulable),
        Box::new(taint_toleration::TaintToleration::default()),
        Box::new(node_affinity::NodeAffinity::default()),
        Box::new(node_resources_fit::NodeResourcesFit::new(settings.scoring)),
        Box::new(pod_topology_spread::PodTopologySpread::default()),
        Box::new(inter_pod_affinity::InterPodAffinity::default()),
    ]
}

/// Score plugins of the default profile, in its order (weights are applied by the caller).
pub fn default_scorers(settings: &SchedulerSettings) -> Vec<Box<dyn ScorePlugin + Send>> {
    vec![
        Box::new(taint_toleration::TaintToleration::default()),
        Box::new(node_affinity::NodeAffinity::default()),
        Box::new(node_resources_fit::NodeResourcesFit::new(settings.scoring)),
        Box::new(pod_topology_spread::PodTopologySpread::default()),
        Box::new(inter_pod_affinity::InterPodAffinity::default()),
        Box::new(balanced_allocation::BalancedAllocation::default()),
        Box::new(image_locality::ImageLocality),
    ]
}

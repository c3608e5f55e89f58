//! Equivalence classes of templates for the node-local caches.
//!
//! Two templates whose pods the node-local plugins cannot tell apart share one filter-verdict
//! cache (`feasibility`) and one raw-score cache (`score_cache`): thousands of small
//! Deployments usually come in a handful of shapes (same requests, OS selector and
//! tolerations), and a cache per template would be filled per template x node. The key is
//! every `PodSpec` field a node-local filter or scorer reads: requests (and the non-zero
//! requests scoring uses), `nodeSelector`, required and preferred node affinity, and
//! tolerations (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit,
//! NodeResourcesBalancedAllocation). Labels, namespaces, images, priorities and
//! topology constraints are not read by those plugins and are not part of the key; the
//! plugins that read them (PodTopologySpread, InterPodAffinity, ImageLocality) keep their
//! own per-template state. kube-scheduler has the same idea in its (since removed)
//! equivalence cache and in `Diagnosis`-sharing for identical pods; its results do not
//! depend on it, and neither do poolcast's (debug builds re-check every cached verdict and
//! score against the plugins).

use std::collections::BTreeMap;

use crate::cluster::{PodSpec, SpecId};

/// Template -> class id, assigned in order of first use.
#[derive(Debug, Default)]
pub struct NodeLocalClasses {
    by_spec: Vec<Option<u32>>,
    by_key: BTreeMap<String, u32>,
}

impl NodeLocalClasses {
    /// The class of `spec` (a template's fields never change once pods use it).
    pub fn of(&mut self, spec: SpecId, s: &PodSpec) -> usize {
        let i = spec.idx();
        if self.by_spec.len() <= i {
            self.by_spec.resize(i + 1, None);
        }
        if let Some(c) = self.by_spec[i] {
            return c as usize;
        }
        let next = self.by_key.len() as u32;
        let c = *self.by_key.entry(key(s)).or_insert(next);
        self.by_spec[i] = Some(c);
        c as usize
    }

    /// Classes seen so far.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_key.len()
    }
}

/// The fields the node-local plugins read, rendered canonically: the types are plain data
/// with derived `Debug` over ordered maps and vectors, so equal renderings mean equal
/// fields.
fn key(s: &PodSpec) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        s.requests,
        s.non_zero,
        s.node_selector,
        s.required_node_affinity,
        s.preferred_node_affinity,
        s.tolerations
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil;

    fn spec(workload: &str, cpu: u64) -> PodSpec {
        let mut s = testutil::spec(workload);
        s.requests.cpu = cpu;
        s.non_zero.cpu = cpu;
        s.node_selector
            .insert("kubernetes.io/os".into(), "linux".into());
        s
    }

    #[test]
    fn templates_differing_only_in_what_node_local_plugins_ignore_share_a_class() {
        let mut c = NodeLocalClasses::default();
        let a = c.of(SpecId(0), &spec("a", 100));
        let b = c.of(SpecId(1), &spec("b", 100));
        let other = c.of(SpecId(2), &spec("c", 200));
        assert_eq!(a, b);
        assert_ne!(a, other);
        let mut windows = spec("d", 100);
        windows
            .node_selector
            .insert("kubernetes.io/os".into(), "windows".into());
        assert_ne!(c.of(SpecId(3), &windows), a);
        assert_eq!(c.len(), 3);
        // Stable per template.
        assert_eq!(c.of(SpecId(1), &spec("b", 100)), a);
    }
}

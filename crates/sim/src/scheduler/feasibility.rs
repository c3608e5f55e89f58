//! Per-template cache of node-local filter verdicts, so replicas of one workload share
//! filter work (DESIGN.md: "pods of one workload share filter work where the cluster state
//! allows it").
//!
//! For each template the cache holds, per node id, the index of the first node-local
//! filter that rejects the node (or `PASS`), and a bitset of passing nodes. It is brought up
//! to date by replaying `Cluster::changes_since` (binds, unbinds, label/taint/allocatable
//! edits, added and removed nodes), so an attempt costs O(changes since the template's last
//! attempt) plus a word-level scan of the filter window, instead of O(nodes x filters).
//! Results are exactly those of running the filters: the scan visits the same candidates in
//! the same order and stops at the same count (see `Scheduler::schedule_one`).

use crate::cluster::{Cluster, NodeId, PodId};

use super::framework::{Code, FilterPlugin};

/// Verdict of a node every node-local filter accepts.
pub const PASS: u8 = u8::MAX;
/// Verdict of a removed node (never a candidate).
const DEAD: u8 = u8::MAX - 1;

/// Cached verdicts of one template.
#[derive(Debug, Default)]
pub struct TemplateVerdicts {
    cursor: u64,
    built: bool,
    skip_mask: u64,
    verdict: Vec<u8>,
    feasible: Vec<u64>,
}

impl TemplateVerdicts {
    /// The cached verdict of `node`: `PASS` or the index of the first failing filter.
    pub fn verdict(&self, node: NodeId) -> u8 {
        self.verdict.get(node.idx()).copied().unwrap_or(DEAD)
    }

    /// 64 nodes' worth of "all node-local filters pass" bits.
    pub fn feasible_word(&self, w: usize) -> u64 {
        self.feasible.get(w).copied().unwrap_or(0)
    }

    fn set(&mut self, node: usize, v: u8) {
        if self.verdict.len() <= node {
            self.verdict.resize(node + 1, DEAD);
        }
        self.verdict[node] = v;
        let (w, b) = (node / 64, node % 64);
        if self.feasible.len() <= w {
            self.feasible.resize(w + 1, 0);
        }
        if v == PASS {
            self.feasible[w] |= 1 << b;
        } else {
            self.feasible[w] &= !(1 << b);
        }
    }
}

/// Verdict caches of every template seen.
#[derive(Debug, Default)]
pub struct FeasibilityCache {
    by_class: Vec<Option<TemplateVerdicts>>,
}

/// The node-local filters to evaluate, in order, with their indices.
pub struct LocalFilters<'a> {
    /// The profile's filters.
    filters: &'a [Box<dyn FilterPlugin + Send>],
    /// Indices of node-local filters that did not Skip this attempt.
    active: &'a [usize],
    /// Bit `i` set when filter `i` does not read the node's bound pods.
    pod_blind: u64,
}

impl<'a> LocalFilters<'a> {
    /// The `active` filters of `filters` (at most 64 filters).
    pub fn new(filters: &'a [Box<dyn FilterPlugin + Send>], active: &'a [usize]) -> Self {
        let pod_blind = active
            .iter()
            .filter(|&&i| !filters[i].reads_bound_pods())
            .fold(0u64, |m, &i| m | (1 << i));
        LocalFilters {
            filters,
            active,
            pod_blind,
        }
    }

    fn verdict(&self, cluster: &Cluster, pod: PodId, node: usize) -> u8 {
        if !cluster.nodes[node].live {
            return DEAD;
        }
        for &i in self.active {
            if matches!(
                self.filters[i].check(cluster, pod, NodeId(node as u32)),
                Code::Unschedulable | Code::UnschedulableAndUnresolvable
            ) {
                return i as u8;
            }
        }
        PASS
    }

    /// The verdict of a live node after a bind or unbind on it, given the verdict `old`
    /// before: filters that do not read bound pods keep their results, so those ahead of
    /// the old first failure still pass and the old failure, if one of them, still fails.
    fn verdict_after_bind(&self, cluster: &Cluster, pod: PodId, node: usize, old: u8) -> u8 {
        if old == DEAD || !cluster.nodes[node].live {
            return self.verdict(cluster, pod, node);
        }
        for &i in self.active {
            if self.pod_blind & (1 << i) != 0 {
                if (i as u8) < old {
                    continue;
                }
                if i as u8 == old {
                    return old;
                }
            }
            if matches!(
                self.filters[i].check(cluster, pod, NodeId(node as u32)),
                Code::Unschedulable | Code::UnschedulableAndUnresolvable
            ) {
                return i as u8;
            }
        }
        PASS
    }
}

impl FeasibilityCache {
    /// Brings the template's verdicts up to date and returns them. `skip_mask` identifies
    /// which node-local filters ran; a different mask rebuilds the cache.
    pub fn sync(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        class: usize,
        local: &LocalFilters<'_>,
        skip_mask: u64,
    ) -> &TemplateVerdicts {
        let s = class;
        if self.by_class.len() <= s {
            self.by_class.resize_with(s + 1, || None);
        }
        let tv = self.by_class[s].get_or_insert_with(TemplateVerdicts::default);
        let replay = if tv.built && tv.skip_mask == skip_mask {
            cluster.changes_since(tv.cursor)
        } else {
            None
        };
        match replay {
            Some(changes) => {
                let known = tv.verdict.len();
                for c in changes {
                    let n = c.node.idx();
                    if n < known {
                        let v = match c.pod_delta {
                            Some(_) => local.verdict_after_bind(cluster, pod, n, tv.verdict[n]),
                            None => local.verdict(cluster, pod, n),
                        };
                        tv.set(n, v);
                    }
                }
                for n in known..cluster.nodes.len() {
                    let v = local.verdict(cluster, pod, n);
                    tv.set(n, v);
                }
            }
            None => {
                tv.verdict.clear();
                tv.feasible.clear();
                for n in 0..cluster.nodes.len() {
                    let v = local.verdict(cluster, pod, n);
                    tv.set(n, v);
                }
                tv.built = true;
                tv.skip_mask = skip_mask;
            }
        }
        tv.cursor = cluster.change_cursor();
        tv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::*;
    use crate::scheduler::plugins::{default_filters, node_resources_fit};
    use crate::scheduler::SchedulerSettings;
    use poolcast_model::scenario::{Taint, TaintEffect};

    #[test]
    fn replayed_binds_keep_label_and_taint_verdicts_and_refit_resources() {
        let mut c = cluster();
        let lin = add_node(&mut c, "lin", &[("kubernetes.io/os", "linux")]);
        let win = add_node(&mut c, "win", &[("kubernetes.io/os", "windows")]);
        let tainted = add_node(&mut c, "tainted", &[("kubernetes.io/os", "linux")]);
        c.set_node_taints(
            tainted,
            vec![Taint {
                key: "dedicated".into(),
                value: "x".into(),
                effect: TaintEffect::NoSchedule,
            }],
        );
        let mut s = spec("big");
        s.requests.cpu = 1500;
        s.non_zero.cpu = 1500;
        s.node_selector
            .insert("kubernetes.io/os".into(), "linux".into());
        let pod = add_pod(&mut c, s);
        let mut filters = default_filters(&SchedulerSettings::default());
        for f in filters.iter_mut() {
            f.pre_filter(&c, pod);
        }
        let active: Vec<usize> = (0..filters.len())
            .filter(|&i| filters[i].node_local())
            .collect();
        let lf = LocalFilters::new(&filters, &active);
        let mut cache = FeasibilityCache::default();
        let fresh = |c: &Cluster| -> Vec<u8> {
            (0..c.nodes.len()).map(|n| lf.verdict(c, pod, n)).collect()
        };
        let cached = |cache: &mut FeasibilityCache, c: &Cluster| -> Vec<u8> {
            let tv = cache.sync(c, pod, 0, &lf, 0);
            (0..c.nodes.len())
                .map(|n| tv.verdict(NodeId(n as u32)))
                .collect()
        };
        assert_eq!(cached(&mut cache, &c), fresh(&c));
        let fit = filters
            .iter()
            .position(|f| f.name() == node_resources_fit::NAME)
            .map(|i| i as u8);
        // Fill every node with 3 cores: the Linux node stops fitting, the others keep
        // their label and taint failures.
        let filler = c.add_spec(spec("filler"));
        for n in [lin, win, tainted] {
            bind_n(&mut c, filler, n, 30);
        }
        let after = cached(&mut cache, &c);
        assert_eq!(after, fresh(&c));
        assert_eq!(Some(after[lin.idx()]), fit);
        assert_ne!(after[win.idx()], PASS);
        assert_ne!(Some(after[win.idx()]), fit);
        // Unbinding makes the Linux node fit again.
        let bound: Vec<PodId> = c.nodes[lin.idx()].pods.clone();
        for p in bound {
            c.unbind(p);
        }
        let again = cached(&mut cache, &c);
        assert_eq!(again, fresh(&c));
        assert_eq!(again[lin.idx()], PASS);
    }
}

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

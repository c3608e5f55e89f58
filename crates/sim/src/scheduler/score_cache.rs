//! Per-class cache of raw scores from node-local score plugins (NodeResourcesFit,
//! NodeResourcesBalancedAllocation, TaintToleration, NodeAffinity): a node's raw score only
//! changes when the node does, so it is recomputed for the nodes in `Cluster::changes_since`
//! and read from a dense array otherwise. Normalization still runs over every feasible node
//! of every attempt, exactly as kube's NormalizeScore. For plugins that do not normalize
//! (`ScorePlugin::normalizes`), the weighted sum of their raw scores per node is kept as
//! well, so an attempt adds them to its totals with one read per node.

use crate::cluster::{Cluster, NodeId, PodId};

use super::framework::ScorePlugin;

/// Cached raw scores of one class: `raw[k][node]` for the k-th cached plugin, stored as
/// `i32` to halve the memory traffic of the gather; a plugin whose score does not fit is
/// not cached for the class (`fits[k]` false).
#[derive(Debug, Default)]
pub struct TemplateScores {
    built: bool,
    cursor: u64,
    plugins: Vec<usize>,
    raw: Vec<Vec<i32>>,
    fits: Vec<bool>,
    /// The plugins (scorer indices, a subset of `plugins`) summed in `summed_raw`.
    summed: Vec<usize>,
    /// Per node, the sum of `weight * raw` over `summed`.
    summed_raw: Vec<i64>,
}

impl TemplateScores {
    /// The raw scores from scorer `plugin` by node index, if cached.
    pub fn raw(&self, plugin: usize) -> Option<&[i32]> {
        let k = self.plugins.iter().position(|&p| p == plugin)?;
        self.fits[k].then(|| self.raw[k].as_slice())
    }

    /// The weighted sum of the `summed` plugins' raw scores by node index, when every one
    /// of them is cached.
    pub fn summed(&self) -> Option<&[i64]> {
        self.summed
            .iter()
            .all(|&p| self.raw(p).is_some())
            .then_some(self.summed_raw.as_slice())
    }
}

/// Stores `v` in `slot`, clearing `fits` when it does not fit in an `i32`.
fn put(slot: &mut i32, v: i64, fits: &mut bool) {
    match i32::try_from(v) {
        Ok(x) => *slot = x,
        Err(_) => *fits = false,
    }
}

/// Score caches of every class seen.
#[derive(Debug, Default)]
pub struct ScoreCache {
    by_class: Vec<Option<TemplateScores>>,
}

impl ScoreCache {
    /// Brings the class's raw scores for scorers `plugins` (node-local, not skipped this
    /// attempt, PreScore already run for `pod`) up to date, and the weighted sum of those in
    /// `summed` (a subset of `plugins`).
    pub fn sync(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        class: usize,
        scorers: &[(Box<dyn ScorePlugin + Send>, i64)],
        plugins: &[usize],
        summed: &[usize],
    ) -> &TemplateScores {
        let s = class;
        if self.by_class.len() <= s {
            self.by_class.resize_with(s + 1, || None);
        }
        let ts = self.by_class[s].get_or_insert_with(TemplateScores::default);
        let score = |k: usize, n: usize| scorers[k].0.score(cluster, pod, NodeId(n as u32));
        let replay = if ts.built && ts.plugins == plugins && ts.summed == summed {
            cluster.changes_since(ts.cursor)
        } else {
            None
        };
        if replay.is_none() {
            ts.plugins = plugins.to_vec();
            ts.raw = vec![Vec::new(); plugins.len()];
            ts.fits = vec![true; plugins.len()];
            ts.summed = summed.to_vec();
            ts.summed_raw.clear();
            ts.built = true;
        }
        let known = ts.summed_raw.len();
        for (i, &k) in plugins.iter().enumerate() {
            let (raw, fits) = (&mut ts.raw[i], &mut ts.fits[i]);
            let known = raw.len();
            let blind = !scorers[k].0.reads_bound_pods();
            for c in replay.unwrap_or(&[]) {
                let n = c.node.idx();
                if n < known && !(blind && c.pod_delta.is_some()) {
                    put(&mut raw[n], score(k, n), fits);
                }
            }
            raw.resize(cluster.nodes.len(), 0);
            for (n, slot) in raw.iter_mut().enumerate().skip(known) {
                put(slot, score(k, n), fits);
            }
        }
        if !ts.summed.is_empty() {
            let cols: Vec<(&[i32], i64)> = ts
                .summed
                .iter()
                .filter_map(|&k| {
                    let i = ts.plugins.iter().position(|&p| p == k)?;
                    Some((ts.raw[i].as_slice(), scorers[k].1))
                })
                .collect();
            let sum = |n: usize| -> i64 { cols.iter().map(|(r, w)| i64::from(r[n]) * w).sum() };
            for c in replay.unwrap_or(&[]) {
                let n = c.node.idx();
                if n < known {
                    ts.summed_raw[n] = sum(n);
                }
            }
            let len = cluster.nodes.len();
            ts.summed_raw.extend((known..len).map(sum));
        }
        ts.cursor = cluster.change_cursor();
        ts
    }
}

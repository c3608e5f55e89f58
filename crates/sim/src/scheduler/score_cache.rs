//! Per-template cache of raw scores from node-local score plugins (NodeResourcesFit,
//! NodeResourcesBalancedAllocation, TaintToleration, NodeAffinity): a node's raw score only
//! changes when the node does, so it is recomputed for the nodes in `Cluster::changes_since`
//! and read from a dense array otherwise. Normalization still runs over every feasible node
//! of every attempt, exactly as kube's NormalizeScore.

use crate::cluster::{Cluster, NodeId, PodId};

use super::framework::ScorePlugin;

/// Cached raw scores of one template: `raw[k][node]` for the k-th cached plugin, stored as
/// `i32` to halve the memory traffic of the gather; a plugin whose score does not fit is
/// not cached for the template (`fits[k]` false).
#[derive(Debug, Default)]
pub struct TemplateScores {
    built: bool,
    cursor: u64,
    plugins: Vec<usize>,
    raw: Vec<Vec<i32>>,
    fits: Vec<bool>,
}

impl TemplateScores {
    /// The raw scores from scorer `plugin` by node index, if cached.
    pub fn raw(&self, plugin: usize) -> Option<&[i32]> {
        let k = self.plugins.iter().position(|&p| p == plugin)?;
        self.fits[k].then(|| self.raw[k].as_slice())
    }
}

/// Stores `v` in `slot`, clearing `fits` when it does not fit in an `i32`.
fn put(slot: &mut i32, v: i64, fits: &mut bool) {
    match i32::try_from(v) {
        Ok(x) => *slot = x,
        Err(_) => *fits = false,
    }
}

/// Score caches of every template seen.
#[derive(Debug, Default)]
pub struct ScoreCache {
    by_class: Vec<Option<TemplateScores>>,
}

impl ScoreCache {
    /// Brings the template's raw scores for scorers `plugins` (node-local, not skipped this
    /// attempt, PreScore already run for `pod`) up to date.
    pub fn sync(
        &mut self,
        cluster: &Cluster,
        pod: PodId,
        class: usize,
        scorers: &[(Box<dyn ScorePlugin + Send>, i64)],
        plugins: &[usize],
    ) -> &TemplateScores {
        let s = class;
        if self.by_class.len() <= s {
            self.by_class.resize_with(s + 1, || None);
        }
        let ts = self.by_class[s].get_or_insert_with(TemplateScores::default);
        let score = |k: usize, n: usize| scorers[k].0.score(cluster, pod, NodeId(n as u32));
        let replay = if ts.built && ts.plugins == plugins {
            cluster.changes_since(ts.cursor)
        } else {
            None
        };
        if replay.is_none() {
            ts.plugins = plugins.to_vec();
            ts.raw = vec![Vec::new(); plugins.len()];
            ts.fits = vec![true; plugins.len()];
            ts.built = true;
        }
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
        ts.cursor = cluster.change_cursor();
        ts
    }
}

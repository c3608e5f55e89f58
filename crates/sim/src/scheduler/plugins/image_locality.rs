//! ImageLocality: favours nodes that already hold the pod's images, weighting each image by
//! its size and by how widely it has spread, so one node does not attract every pod
//! (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`): for each container
//! whose image is on the node, `sum += size * nodesWithImage / totalNodes`; the sum is
//! clamped to [23 MiB, 1000 MiB x containers] and scaled to 0-100.

use crate::cluster::{Cluster, ImageId, NodeId, PodId};
use crate::scheduler::framework::{NodeScore, ScorePlugin, WindowTerm, MAX_NODE_SCORE};

/// Plugin name.
pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// `minThreshold`.
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// `maxContainerThreshold`, per container.
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// `scaledImageScore`: the size scaled by the share of nodes holding the image.
pub fn scaled_image_score(size: u64, nodes_with_image: u32, total_nodes: u32) -> i64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = f64::from(nodes_with_image) / f64::from(total_nodes);
    (size as f64 * spread) as i64
}

/// `calculatePriority`.
pub fn calculate_priority(sum: i64, containers: usize) -> i64 {
    if containers == 0 {
        return 0;
    }
    let max = MAX_CONTAINER_THRESHOLD * containers as i64;
    let s = sum.clamp(MIN_THRESHOLD, max);
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

/// Pods with at most this many containers get their possible scores tabulated per attempt.
const MAX_TABULATED_IMAGES: usize = 4;

/// The plugin (stateless).
#[derive(Debug, Default)]
pub struct ImageLocality;

impl ScorePlugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }

    fn normalizes(&self) -> bool {
        false
    }

    fn constant_score(&self, cluster: &Cluster, pod: PodId) -> Option<i64> {
        // None of the pod's images on any node: calculatePriority(0) = 0 everywhere.
        cluster
            .spec_of(pod)
            .images
            .iter()
            .all(|i| cluster.image_node_count[i.idx()] == 0)
            .then_some(0)
    }

    fn score_all(&self, cluster: &Cluster, pod: PodId, nodes: &[NodeId], out: &mut Vec<NodeScore>) {
        out.extend(nodes.iter().map(|&node| NodeScore { node, score: 0 }));
        self.add_weighted(cluster, pod, nodes, 1, &mut Vec::new(), out);
    }

    /// One image (the common pod): its bitset of nodes, and the two possible scores.
    fn window_term<'a>(
        &'a self,
        cluster: &'a Cluster,
        pod: PodId,
        _nodes: &[NodeId],
        weight: i64,
        _fixups: &mut Vec<(u32, i64)>,
    ) -> Option<WindowTerm<'a>> {
        let [image] = cluster.spec_of(pod).images.as_slice() else {
            return None;
        };
        let i = image.idx();
        if cluster.image_node_count[i] == 0 {
            return Some(WindowTerm::Constant(calculate_priority(0, 1) * weight));
        }
        let scaled = scaled_image_score(
            cluster.images[i].size,
            cluster.image_node_count[i],
            cluster.live_nodes,
        );
        Some(WindowTerm::ByBit {
            bits: cluster.image_nodes(*image),
            with: calculate_priority(scaled, 1) * weight,
            without: calculate_priority(0, 1) * weight,
        })
    }

    fn add_weighted(
        &self,
        cluster: &Cluster,
        pod: PodId,
        nodes: &[NodeId],
        weight: i64,
        _scratch: &mut Vec<NodeScore>,
        totals: &mut [NodeScore],
    ) {
        let spec = cluster.spec_of(pod);
        // No image on any node: every node scores calculatePriority(0) = 0.
        if spec
            .images
            .iter()
            .all(|i| cluster.image_node_count[i.idx()] == 0)
        {
            return;
        }
        // An image's scaled score does not depend on the node: computed once per attempt.
        // A node's score then depends only on which of the pod's images it holds (one bit
        // each in the cluster's per-image bitsets), so with few images every possible
        // weighted score is tabulated up front; no normalization follows.
        let scaled: Vec<(ImageId, i64)> = spec
            .images
            .iter()
            .map(|&i| {
                let score = scaled_image_score(
                    cluster.images[i.idx()].size,
                    cluster.image_node_count[i.idx()],
                    cluster.live_nodes,
                );
                (i, score)
            })
            .collect();
        let containers = spec.images.len();
        if let [(image, _)] = scaled.as_slice() {
            let bits = cluster.image_nodes(*image);
            let with = calculate_priority(scaled[0].1, 1) * weight;
            let without = calculate_priority(0, 1) * weight;
            for (t, &node) in totals.iter_mut().zip(nodes) {
                let n = node.idx();
                let has = bits.get(n / 64).is_some_and(|w| w & (1 << (n % 64)) != 0);
                t.score += if has { with } else { without };
            }
            return;
        }
        if containers <= MAX_TABULATED_IMAGES {
            let table: Vec<i64> = (0..1usize << containers)
                .map(|mask| {
                    let sum: i64 = scaled
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| mask & (1 << k) != 0)
                        .map(|(_, &(_, s))| s)
                        .sum();
                    calculate_priority(sum, containers) * weight
                })
                .collect();
            for (t, &node) in totals.iter_mut().zip(nodes) {
                let mask = scaled.iter().enumerate().fold(0usize, |m, (k, &(i, _))| {
                    m | (usize::from(cluster.node_has_image(node, i)) << k)
                });
                t.score += table[mask];
            }
            return;
        }
        for (t, &node) in totals.iter_mut().zip(nodes) {
            let sum: i64 = scaled
                .iter()
                .filter(|(i, _)| cluster.node_has_image(node, *i))
                .map(|&(_, s)| s)
                .sum();
            t.score += calculate_priority(sum, containers) * weight;
        }
    }

    fn score(&self, cluster: &Cluster, pod: PodId, node: NodeId) -> i64 {
        let spec = cluster.spec_of(pod);
        let n = &cluster.nodes[node.idx()];
        let sum: i64 = spec
            .images
            .iter()
            .filter(|&&i| n.has_image(i))
            .map(|&i| {
                scaled_image_score(
                    cluster.images[i.idx()].size,
                    cluster.image_node_count[i.idx()],
                    cluster.live_nodes,
                )
            })
            .sum();
        calculate_priority(sum, spec.images.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ImageInfo;
    use crate::scheduler::plugins::testutil::*;
    use poolcast_model::scenario::Os;

    #[test]
    fn priority_clamps_and_scales() {
        let cases = [
            (0, 1, 0),
            (MIN_THRESHOLD, 1, 0),
            (MAX_CONTAINER_THRESHOLD, 1, 100),
            (5 * MAX_CONTAINER_THRESHOLD, 1, 100),
            // 500 MiB with one container: 100*(500-23)/(1000-23) = 48.
            (500 * MB, 1, 48),
            // Two containers double the ceiling: 100*(500-23)/(2000-23) = 24.
            (500 * MB, 2, 24),
        ];
        for (i, (sum, containers, want)) in cases.into_iter().enumerate() {
            assert_eq!(calculate_priority(sum, containers), want, "case {i}");
        }
    }

    #[test]
    fn score_weights_images_by_spread() {
        // image_locality_test.go style: a 1 GiB servercore image on 2 of 4 nodes and a
        // 250 MiB app image on 1 of 4.
        let mut c = cluster();
        let big = c.add_image(ImageInfo {
            name: "servercore".into(),
            size: 1024 * MB as u64,
            os: Os::Windows,
            windows_build: Some(17763),

            platforms: Vec::new(),
        });
        let app = c.add_image(ImageInfo {
            name: "app".into(),
            size: 250 * MB as u64,
            os: Os::Windows,
            windows_build: Some(17763),

            platforms: Vec::new(),
        });
        let mut nodes = Vec::new();
        for (name, imgs) in [
            ("a", vec![big, app]),
            ("b", vec![big]),
            ("c", vec![]),
            ("d", vec![]),
        ] {
            let mut n = node(name, &[]);
            n.images = imgs;
            nodes.push(c.add_node(n));
        }
        let mut s = spec("web");
        s.images = vec![big, app];
        let p = add_pod(&mut c, s);
        let pl = ImageLocality;
        // a: 1024 MiB * 2/4 + 250 MiB * 1/4 = 574.5 MiB -> 100*(574.5-23)/(2000-23) = 27.
        assert_eq!(pl.score(&c, p, nodes[0]), 27);
        // b: 512 MiB -> 100*(512-23)/1977 = 24.
        assert_eq!(pl.score(&c, p, nodes[1]), 24);
        assert_eq!(pl.score(&c, p, nodes[2]), 0);
    }

    #[test]
    fn fused_scores_follow_the_image_bitsets() {
        // score_all / add_weighted (bitsets, tabulated) must equal score (node lists) for
        // pods of one and of two images while images arrive on and leave nodes.
        let mut c = cluster();
        let img = |c: &mut Cluster, name: &str, mb: u64| {
            c.add_image(ImageInfo {
                name: name.into(),
                size: mb * MB as u64,
                os: Os::Linux,
                windows_build: None,
                platforms: Vec::new(),
            })
        };
        let a = img(&mut c, "a", 600);
        let b = img(&mut c, "b", 300);
        let nodes: Vec<NodeId> = (0..70)
            .map(|i| add_node(&mut c, &format!("n{i}"), &[]))
            .collect();
        for (i, &n) in nodes.iter().enumerate() {
            if i % 2 == 0 {
                c.add_image_to_node(n, a);
            }
            if i % 3 == 0 {
                c.add_image_to_node(n, b);
            }
        }
        c.remove_image_from_node(nodes[66], a);
        c.remove_image_from_node(nodes[3], b);
        assert!(c.check_invariants().is_ok());
        let pl = ImageLocality;
        for images in [vec![a], vec![b, a], vec![a, a, b]] {
            let mut s = spec("web");
            s.images = images;
            let p = add_pod(&mut c, s);
            let mut out = Vec::new();
            pl.score_all(&c, p, &nodes, &mut out);
            let want: Vec<i64> = nodes.iter().map(|&n| pl.score(&c, p, n)).collect();
            assert_eq!(out.iter().map(|s| s.score).collect::<Vec<_>>(), want);
            assert!(want.iter().any(|&v| v > 0) && want.contains(&0));
            let mut totals: Vec<NodeScore> = nodes
                .iter()
                .map(|&node| NodeScore { node, score: 5 })
                .collect();
            pl.add_weighted(&c, p, &nodes, 3, &mut Vec::new(), &mut totals);
            for (t, w) in totals.iter().zip(&want) {
                assert_eq!(t.score, 5 + 3 * w);
            }
        }
    }
}

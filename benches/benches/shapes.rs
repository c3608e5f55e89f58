//! The two shapes of issue 15, the whole `simulate` (parse not timed):
//!
//! - `many_small/5000_nodes_3000x50`: 5,000 nodes and 3,000 Deployments of 50 replicas
//!   (150,000 pods, OS selectors and tolerations, one image per OS), every pod fits
//!   (`poolcast_benches::scale::many_small_yaml`). Target: under 1.5 s, under 512 MB.
//! - `pending/100_nodes_20000_pods_{2h,8h}`: 100 nodes and one 20,000-replica Deployment
//!   of which about 14,000 pods never fit, retried on every flush and cluster event for
//!   the horizon (`poolcast_benches::scale::pending_yaml`). Target: 8 h under 1 s and at
//!   most 1.5x the 2 h run.
//!
//! Figures, and the same shapes through the previous release binary, in
//! docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_benches::scale::{many_small_yaml, pending_yaml};
use poolcast_model::load::{parse_scenario, Format};
use poolcast_model::Scenario;
use poolcast_sim::{simulate, RunOptions};

fn load(text: &str) -> Scenario {
    match parse_scenario(text, Format::Yaml, "shape.yaml") {
        Ok((s, _)) => s,
        Err(d) => panic!("generated scenario does not validate: {d:?}"),
    }
}

fn bench(c: &mut Criterion, group: &str, cases: Vec<(String, Scenario)>) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for (name, scenario) in cases {
        g.bench_function(name, |b| {
            b.iter_with_large_drop(|| match simulate(&scenario, &RunOptions::default()) {
                Ok(o) => o,
                Err(e) => panic!("{e}"),
            })
        });
    }
    g.finish();
}

fn many_small(c: &mut Criterion) {
    let s = load(&many_small_yaml(5_000, 3_000, 50));
    bench(c, "many_small", vec![("5000_nodes_3000x50".into(), s)]);
}

fn pending(c: &mut Criterion) {
    let cases = [120, 480]
        .into_iter()
        .map(|min| {
            (
                format!("100_nodes_20000_pods_{}h", min / 60),
                load(&pending_yaml(100, 20_000, min)),
            )
        })
        .collect();
    bench(c, "pending", cases);
}

criterion_group!(benches, many_small, pending);
criterion_main!(benches);

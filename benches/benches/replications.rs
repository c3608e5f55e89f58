//! 1,000 seeded replications of the hybrid scenario (`scenarios/hybrid-medchart.yaml`),
//! run in parallel on the rayon pool and merged into a `ReplicationSummary`: the work of
//! `poolcast report --replications 1000`. Target: under 20 s on a 2-core machine
//! (docs/performance.md).

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::{parse_scenario, Format};
use poolcast_sim::replicate::replicate;
use poolcast_sim::RunOptions;

const HYBRID: &str = include_str!("../../scenarios/hybrid-medchart.yaml");
const REPLICATIONS: u32 = 1_000;

fn replications(c: &mut Criterion) {
    let (scenario, _) = match parse_scenario(HYBRID, Format::Yaml, "hybrid-medchart.yaml") {
        Ok(s) => s,
        Err(d) => panic!("the bundled scenario does not load: {d:?}"),
    };
    let mut g = c.benchmark_group("replications");
    g.sample_size(10);
    g.bench_function("hybrid-medchart x1000", |b| {
        b.iter(|| {
            let r = replicate(&scenario, &RunOptions::default(), REPLICATIONS);
            match r {
                Ok(r) => assert_eq!(r.summary.replications, REPLICATIONS),
                Err(e) => panic!("replications failed: {e}"),
            }
        })
    });
    g.finish();
}

criterion_group!(benches, replications);
criterion_main!(benches);

//! Planner benchmark: `poolcast plan` on the bundled 2,050-pod hybrid estate
//! (`scenarios/plan-hybrid-estate.yaml`: three sized pools, eleven candidate VM sizes),
//! bounds, searches and verification runs included. Target: under 5 s on a 2-core machine
//! (docs/performance.md).

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::{parse_scenario, Format};
use poolcast_sim::plan::{plan, PlanOptions};

const ESTATE: &str = include_str!("../../scenarios/plan-hybrid-estate.yaml");

fn bench_plan(c: &mut Criterion) {
    let scenario = match parse_scenario(ESTATE, Format::Yaml, "plan-hybrid-estate.yaml") {
        Ok((s, _)) => s,
        Err(d) => panic!("bundled scenario rejected: {d:?}"),
    };
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.bench_function("hybrid_estate_2050_pods_11_skus", |b| {
        b.iter(|| match plan(&scenario, &PlanOptions::default()) {
            Ok(r) => assert!(r.feasible),
            Err(e) => panic!("plan failed: {e}"),
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);

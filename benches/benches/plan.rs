//! Planner benchmarks: `poolcast plan` on the bundled 2,050-pod hybrid estate
//! (`scenarios/plan-hybrid-estate.yaml`: three sized pools, eleven candidate VM sizes),
//! bounds, searches and verification runs included (target: under 5 s on a 2-core
//! machine); and the same estate with its three sized pools on `vmSize: auto` (every
//! eligible catalog size of the region) on one rayon thread (target: under 5 s on one
//! core). Figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::scenario::{Count, VmRequirements, VmSize};
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
    // vmSize: auto on one core.
    let mut auto = scenario.clone();
    for p in auto
        .pools
        .iter_mut()
        .filter(|p| p.count == Some(Count::Auto))
    {
        p.vm_size = VmSize::Auto(VmRequirements::default());
    }
    let one = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(p) => p,
        Err(e) => panic!("rayon pool: {e}"),
    };
    group.bench_function("auto_2050_pods_3_pools_1_thread", |b| {
        b.iter(|| {
            one.install(|| match plan(&auto, &PlanOptions::default()) {
                Ok(r) => assert!(r.feasible),
                Err(e) => panic!("plan failed: {e}"),
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);

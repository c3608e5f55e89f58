//! Scheduling at scale: the whole `simulate` (build, event loop with kube-scheduler's full
//! default plugin set, kubelet pulls, samples, outcome) of generated mixed Linux/Windows
//! estates (`poolcast_benches::scale`) at 500 nodes / 15,000 pods, 1,000 nodes / 10,000
//! pods, 5,000 nodes / 15,000 pods and 5,000 nodes / 150,000 pods, to show how cost grows
//! with nodes and with pods.
//! 500 nodes / 150,000 pods (126,802 pods that never fit, retried for the whole hour)
//! takes over a minute a run and is measured once with `poolcast run` instead
//! (docs/performance.md). Parsing is not timed. Targets (issue 15): 1,000 / 10,000 under 0.1 s,
//! 5,000 / 150,000 under 2 s.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_benches::scale::scale_scenario_yaml;
use poolcast_model::load::{parse_scenario, Format};
use poolcast_sim::{simulate, RunOptions};

fn at_scale(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate_scale");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(30));
    for (nodes, pods) in [
        (500, 15_000),
        (1_000, 10_000),
        (5_000, 15_000),
        (5_000, 150_000),
    ] {
        let text = scale_scenario_yaml(nodes, pods);
        let scenario = match parse_scenario(&text, Format::Yaml, "scale.yaml") {
            Ok((s, _)) => s,
            Err(d) => panic!("generated scenario does not validate: {d:?}"),
        };
        g.bench_function(format!("{nodes}_nodes_{pods}_pods"), |b| {
            b.iter_with_large_drop(|| match simulate(&scenario, &RunOptions::default()) {
                Ok(o) => o,
                Err(e) => panic!("{e}"),
            })
        });
    }
    g.finish();
}

criterion_group!(benches, at_scale);
criterion_main!(benches);

//! What `sim.variability` costs: the bundled morning burst, hybrid and large-estate
//! scenarios simulated with durations drawn (`on`, the default) and with point values
//! (`none`), and the draw itself. Target: drawing costs under 10% of a run (docs/performance.md).

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::scenario::{Os, Variability};
use poolcast_model::{parse_scenario, Format, Scenario};
use poolcast_sim::kubelet::PullLink;
use poolcast_sim::variability::Jitter;
use poolcast_sim::{simulate, RunOptions};

const SCENARIOS: [(&str, &str); 3] = [
    (
        "morning-burst",
        include_str!("../../scenarios/morning-burst.yaml"),
    ),
    (
        "hybrid-medchart",
        include_str!("../../scenarios/hybrid-medchart.yaml"),
    ),
    (
        "large-estate",
        include_str!("../../scenarios/large-estate.yaml"),
    ),
];

fn load(name: &str, text: &str) -> Scenario {
    match parse_scenario(text, Format::Yaml, name) {
        Ok((s, _)) => s,
        Err(d) => panic!("the bundled scenario {name} does not load: {d:?}"),
    }
}

fn runs(c: &mut Criterion) {
    let mut g = c.benchmark_group("variability");
    g.sample_size(10);
    for (name, text) in SCENARIOS {
        let mut s = load(name, text);
        for v in [Variability::None, Variability::On] {
            s.sim.variability = v;
            let label = format!(
                "{name}/{}",
                if v == Variability::On { "on" } else { "none" }
            );
            g.bench_function(label, |b| {
                b.iter(|| match simulate(&s, &RunOptions::default()) {
                    Ok(o) => o.summary.pods.ready,
                    Err(e) => panic!("{e}"),
                })
            });
        }
    }
    g.finish();
}

fn draws(c: &mut Criterion) {
    let mut j = Jitter::new(1, Variability::On);
    let link = PullLink {
        download_bps: 100_000_000,
        extract_bps: 20_000_000,
        per_file_us: 1_000,
        setup_ms: 350,
    };
    c.bench_function("variability/1000 draws of each kind", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..1000 {
                acc = acc
                    .wrapping_add(j.provisioning_ms(Os::Windows, 420_000))
                    .wrapping_add(j.pull_link(link).extract_bps)
                    .wrapping_add(j.container_start_ms(Os::Windows, 5_000));
            }
            acc
        })
    });
}

criterion_group!(benches, runs, draws);
criterion_main!(benches);

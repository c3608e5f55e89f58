//! `poolcast run` of every bundled scenario, parse and validation included (what the CLI
//! does before printing). Figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::load::{parse_scenario, Format};
use poolcast_sim::{simulate, RunOptions};

const SCENARIOS: [(&str, &str); 8] = [
    (
        "hybrid-medchart",
        include_str!("../../scenarios/hybrid-medchart.yaml"),
    ),
    (
        "large-estate",
        include_str!("../../scenarios/large-estate.yaml"),
    ),
    (
        "ltsc2019-on-ws2022",
        include_str!("../../scenarios/ltsc2019-on-ws2022.yaml"),
    ),
    (
        "morning-burst",
        include_str!("../../scenarios/morning-burst.yaml"),
    ),
    (
        "windows-missing-selector",
        include_str!("../../scenarios/windows-missing-selector.yaml"),
    ),
    (
        "upgrade-windows-node-image",
        include_str!("../../scenarios/upgrade-windows-node-image.yaml"),
    ),
    (
        "upgrade-pdb-blocks",
        include_str!("../../scenarios/upgrade-pdb-blocks.yaml"),
    ),
    (
        "windows2019-to-1.33",
        include_str!("../../scenarios/windows2019-to-1.33.yaml"),
    ),
];

fn bundled(c: &mut Criterion) {
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    for (name, text) in SCENARIOS {
        g.bench_function(name, |b| {
            b.iter(|| {
                let (s, _) = match parse_scenario(text, Format::Yaml, name) {
                    Ok(ok) => ok,
                    Err(d) => panic!("{name} does not validate: {d:?}"),
                };
                match simulate(&s, &RunOptions::default()) {
                    Ok(o) => o.schema.len(),
                    Err(e) => panic!("{e}"),
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bundled);
criterion_main!(benches);

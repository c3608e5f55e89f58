//! Fuzz target: any bytes through the scenario loader and validator (`parse_scenario`, as
//! YAML and as JSON). The loader must never panic; a scenario it accepts that is small
//! enough is also simulated, so the engine is held to "validated input never panics".
//! Seed corpus: `fuzz/corpus/parse_scenario/` (the bundled scenarios).

#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcast_model::scenario::Count;
use poolcast_model::{parse_scenario, Format, Scenario};

fn small(s: &Scenario) -> bool {
    let nodes: u64 = s
        .pools
        .iter()
        .map(|p| match (p.autoscale, p.count) {
            (Some(a), _) => u64::from(a.max),
            (None, Some(Count::Fixed(n))) => u64::from(n),
            _ => 0,
        })
        .sum();
    let replicas: u64 = s
        .workloads
        .iter()
        .map(|w| u64::from(w.replicas.unwrap_or(1)))
        .sum();
    nodes <= 50 && replicas <= 500 && s.sim.horizon.as_ms() <= 6 * 3_600_000
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Yaml, Format::Json] {
        if let Ok((s, _)) = parse_scenario(text, format, "fuzz") {
            if small(&s) {
                let _ = poolcast_sim::simulate(&s, &poolcast_sim::RunOptions::default());
            }
        }
    }
});

//! Property tests: no input makes the loader, the validator or the engine panic, whether
//! arbitrary bytes or a valid scenario mutated at the text or the value level. Mutants
//! the loader accepts are simulated when small enough for a debug test build (the
//! loader's limits bound the large ones; `poolcast_sim` is exercised at scale by the
//! benchmarks).

use poolcast_model::{parse_scenario, Format};
use proptest::prelude::*;

fn example() -> &'static str {
    include_str!("../../../scenarios/hybrid-medchart.yaml")
}

/// Every scalar of the example, so mutations can swap values between fields.
fn scalars(v: &serde_yaml_ng::Value, out: &mut Vec<serde_yaml_ng::Value>) {
    match v {
        serde_yaml_ng::Value::Mapping(m) => m.values().for_each(|x| scalars(x, out)),
        serde_yaml_ng::Value::Sequence(s) => s.iter().for_each(|x| scalars(x, out)),
        other => out.push(other.clone()),
    }
}

/// Replaces the `n`-th node (in document order, modulo the node count) with `new`.
fn replace_nth(v: &mut serde_yaml_ng::Value, n: &mut usize, new: &serde_yaml_ng::Value) -> bool {
    if *n == 0 {
        *v = new.clone();
        return true;
    }
    *n -= 1;
    match v {
        serde_yaml_ng::Value::Mapping(m) => {
            for (_, x) in m.iter_mut() {
                if replace_nth(x, n, new) {
                    return true;
                }
            }
            false
        }
        serde_yaml_ng::Value::Sequence(s) => s.iter_mut().any(|x| replace_nth(x, n, new)),
        _ => false,
    }
}

/// Simulates a scenario the loader accepted, when it is small: the engine must not panic
/// on anything validation lets through.
fn run_if_small(s: &poolcast_model::Scenario) {
    use poolcast_model::scenario::Count;
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
        .chain(
            s.events
                .iter()
                .filter_map(|e| e.scale.as_ref().map(|x| u64::from(x.replicas))),
        )
        .sum();
    let poisson = s
        .workloads
        .iter()
        .any(|w| w.arrival.and_then(|a| a.poisson).is_some());
    if nodes <= 40 && replicas <= 400 && !poisson && s.sim.horizon.as_ms() <= 6 * 3_600_000 {
        let _ = poolcast_sim::simulate(s, &poolcast_sim::RunOptions::default());
    }
}

fn weird_value() -> impl Strategy<Value = serde_yaml_ng::Value> {
    prop_oneof![
        Just(serde_yaml_ng::Value::Null),
        any::<i64>().prop_map(|i| serde_yaml_ng::Value::Number(i.into())),
        any::<u64>().prop_map(|i| serde_yaml_ng::Value::Number(i.into())),
        any::<f64>().prop_map(|f| serde_yaml_ng::Value::Number(f.into())),
        any::<bool>().prop_map(serde_yaml_ng::Value::Bool),
        "[a-zA-Z0-9_./:%-]{0,12}".prop_map(serde_yaml_ng::Value::String),
        Just(serde_yaml_ng::Value::Sequence(vec![])),
        Just(serde_yaml_ng::Value::Mapping(Default::default())),
    ]
}

/// `default` cases, or `PROPTEST_CASES` when set (to run longer: README, "Testing").
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_scenario(&text, Format::Yaml, "fuzz.yaml");
        let _ = parse_scenario(&text, Format::Json, "fuzz.json");
    }

    #[test]
    fn text_mutations_never_panic(
        cut in 0usize..4000,
        len in 0usize..40,
        insert in "[ \\n\\t:{}\\[\\],&*!|>'\"#%@`a-z0-9-]{0,8}",
    ) {
        let src = example();
        let mut start = cut.min(src.len());
        while !src.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(src.len());
        while !src.is_char_boundary(end) {
            end -= 1;
        }
        let text = format!("{}{}{}", &src[..start], insert, &src[end..]);
        if let Ok((s, _)) = parse_scenario(&text, Format::Yaml, "mutated.yaml") {
            run_if_small(&s);
        }
    }

    #[test]
    fn value_mutations_never_panic(
        edits in proptest::collection::vec((0usize..400, weird_value(), 0usize..400), 1..6),
    ) {
        let mut v: serde_yaml_ng::Value = serde_yaml_ng::from_str(example()).unwrap();
        let mut pool = Vec::new();
        scalars(&v, &mut pool);
        for (at, new, swap) in edits {
            // Half the edits put a weird value somewhere, half move a real value elsewhere.
            let new = if swap % 2 == 0 { new } else { pool[swap % pool.len()].clone() };
            let mut n = at;
            replace_nth(&mut v, &mut n, &new);
        }
        let yaml = serde_yaml_ng::to_string(&v).unwrap();
        if let Ok((s, _)) = parse_scenario(&yaml, Format::Yaml, "mutated.yaml") {
            run_if_small(&s);
        }
        if let Ok(json) = serde_json::to_string(&v) {
            let _ = parse_scenario(&json, Format::Json, "mutated.json");
        }
    }
}

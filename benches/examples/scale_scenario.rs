//! Writes a generated scenario to stdout (docs/performance.md):
//!
//! - `scale_scenario 5000 150000` (nodes, pods): `scale::scale_scenario_yaml`;
//! - `scale_scenario small 5000 3000 50` (nodes, workloads, replicas):
//!   `scale::many_small_yaml`;
//! - `scale_scenario pending 100 20000 480` (nodes, replicas, horizon in minutes):
//!   `scale::pending_yaml`.

use poolcast_benches::scale;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u32| -> u32 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let text = match args.first().map(String::as_str) {
        Some("small") => scale::many_small_yaml(num(1, 5_000), num(2, 3_000), num(3, 50)),
        Some("pending") => scale::pending_yaml(num(1, 100), num(2, 20_000), num(3, 480)),
        _ => scale::scale_scenario_yaml(num(0, 5_000), num(1, 150_000)),
    };
    print!("{text}");
}

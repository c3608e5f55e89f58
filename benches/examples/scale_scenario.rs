//! Writes a generated scale scenario to stdout: `cargo run --release -p poolcast-benches
//! --example scale_scenario -- 5000 150000 > /tmp/scale.yaml` (nodes, then pods).

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let pods = args.next().and_then(|a| a.parse().ok()).unwrap_or(150_000);
    print!(
        "{}",
        poolcast_benches::scale::scale_scenario_yaml(nodes, pods)
    );
}

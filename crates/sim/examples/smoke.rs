#![allow(clippy::unwrap_used)]
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let s: poolcast_model::Scenario =
        serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let o = poolcast_sim::simulate(&s, &Default::default()).unwrap();
    println!("{}", serde_json::to_string_pretty(&o).unwrap());
}

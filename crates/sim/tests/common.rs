//! Scenario helpers shared by the test modules.

use poolcast_model::{parse_scenario, Format, Scenario};
use poolcast_sim::outcome::{Outcome, PodRecord};

/// Parses and validates a YAML scenario, panicking with the diagnostics.
pub fn scenario(yaml: &str) -> Scenario {
    match parse_scenario(yaml, Format::Yaml, "test.yaml") {
        Ok((s, _)) => s,
        Err(d) => panic!(
            "scenario rejected:\n{}",
            d.iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Runs a scenario with its own settings.
pub fn run(s: &Scenario) -> Outcome {
    poolcast_sim::simulate(s, &Default::default()).unwrap()
}

/// Workload pods of `workload` that exist at the end.
pub fn pods_of<'a>(o: &'a Outcome, workload: &str) -> Vec<&'a PodRecord> {
    o.pods
        .iter()
        .filter(|p| p.workload == workload && p.phase != "Deleted")
        .collect()
}

/// The pool of each node by name.
pub fn node_os<'a>(o: &'a Outcome, node: &str) -> &'a str {
    &o.nodes.iter().find(|n| n.name == node).unwrap().os
}

/// A mixed cluster: a Linux system pool, a Linux user pool and a Windows 2022 pool.
pub const MIXED: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: mixed}
cluster: {kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 2}
  - {name: lin, os: linux, vmSize: Standard_D8s_v5, count: 2}
  - {name: win22, os: windows, vmSize: Standard_D8s_v5, count: 2}
images:
  - {name: "nginx:1.31.3", catalog: nginx-1.31}
  - name: contoso/shop:1.0
    catalog: aspnet-4.8-ltsc2022
    layers: [{digest: "sha256:shop-app-1.0", size: 150MB, uncompressedSize: 400MB}]
"#;

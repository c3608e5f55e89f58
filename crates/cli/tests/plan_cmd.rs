//! The `plan` command on the bundled 2,050-pod estate: the report, the JSON schema, the
//! `az` commands and the Bicep snippet say the same thing, and bad input exits 2.

use crate::common::{code, poolcast, workspace};

fn estate() -> String {
    workspace()
        .join("scenarios/plan-hybrid-estate.yaml")
        .to_str()
        .unwrap()
        .to_owned()
}

fn stdout(args: &[&str]) -> String {
    let out = poolcast(args);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_report_and_emitted_commands_agree() {
    let f = estate();
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&["plan", &f, "--format", "json"])).unwrap();
    assert_eq!(report["schema"], "poolcast.plan/v1");
    assert_eq!(report["feasible"], true);
    let sized: Vec<&serde_json::Value> = report["layout"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["sized"] == true)
        .collect();
    assert_eq!(sized.len(), 3);

    let az = stdout(&["plan", &f, "--emit", "az"]);
    let bicep = stdout(&["plan", &f, "--emit", "bicep"]);
    for l in &sized {
        let pool = l["pool"].as_str().unwrap();
        let line = az
            .lines()
            .find(|x| {
                x.starts_with("az aks nodepool add") && x.contains(&format!("--name {pool} "))
            })
            .unwrap_or_else(|| panic!("no az command for {pool}:\n{az}"));
        assert!(line.contains(&format!(
            "--node-vm-size {} ",
            l["vmSize"].as_str().unwrap()
        )));
        assert!(line.contains(&format!("--node-count {} ", l["nodes"])));
        assert!(line.contains(&format!("--max-pods {}", l["maxPods"])));
        assert!(bicep.contains(&format!("name: '{pool}'")), "{bicep}");
        assert!(bicep.contains(&format!("vmSize: '{}'", l["vmSize"].as_str().unwrap())));
    }
    let win = az.lines().find(|x| x.contains("--name win22 ")).unwrap();
    assert!(
        win.contains("--os-type Windows --os-sku Windows2022"),
        "{win}"
    );
    assert!(win.contains("--node-taints os=windows:NoSchedule"), "{win}");
    assert!(
        !az.contains("--name system "),
        "unsized pools are not re-created:\n{az}"
    );
    assert!(bicep.contains("Microsoft.ContainerService/managedClusters/agentPools@"));
    assert!(bicep.contains("osType: 'Windows'"));
}

#[test]
fn text_report_shows_alternatives_and_minimality() {
    let text = stdout(&["plan", &estate()]);
    assert!(text.contains("Recommended layout:"), "{text}");
    assert!(text.contains("Cluster cost:"));
    for pool in ["lnxweb", "lnxmem", "win22"] {
        assert!(text.contains(&format!("Pool {pool} (")), "{text}");
    }
    assert!(text.contains("Pool win22 (windows, windows prices)"));
    assert_eq!(text.matches("  With ").count(), 3, "{text}");
    assert!(text.contains("recommended"));
    assert!(text.contains("pruned"));
}

#[test]
fn a_scenario_that_cannot_run_is_bad_input() {
    let out = poolcast(&["plan", "no-such-file.yaml"]);
    assert_eq!(code(&out), 2);
}

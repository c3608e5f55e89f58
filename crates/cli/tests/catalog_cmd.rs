//! The `catalog` command: the rows it prints match the AKS facts they come from.

use crate::common::{code, poolcast};

fn json(args: &[&str]) -> serde_json::Value {
    let out = poolcast(args);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("catalog --format json prints JSON")
}

#[test]
fn windows_d4s_v5_allocatable_matches_the_worked_example() {
    // AKSDOCS node-resource-reservations.md with AgentBaker's Windows kubelet flags:
    // Windows D4s_v5, 3860m and 16384Mi - 4710Mi = 11674Mi of nominal; the node reports
    // 460Ki less than nominal (docs/catalogs.md), so 11953716Ki; AKS's Windows DaemonSets
    // take 130m / 130Mi of it (docs/sources.md).
    let v = json(&[
        "catalog",
        "reservations",
        "--vm-size",
        "Standard_D4s_v5",
        "--os",
        "windows",
        "--format",
        "json",
    ]);
    let row = &v[0];
    assert_eq!(row["allocatableCpu"], "3860m");
    assert_eq!(row["capacityMemory"], "16776756Ki");
    assert_eq!(row["kubeReservedMemory"], "4710Mi");
    assert_eq!(row["allocatableMemory"], "11953716Ki");
    assert_eq!(row["daemonsetCpu"], "130m");
    assert_eq!(row["freeMemory"], "11820596Ki");
}

#[test]
fn linux_reservation_follows_max_pods_rule() {
    // AKS >= 1.29 Linux: min(20Mi x maxPods + 50Mi, 25%) -> 110 pods = 2250Mi on 16 GiB.
    let v = json(&[
        "catalog",
        "reservations",
        "--vm-size",
        "Standard_D4s_v5",
        "--os",
        "linux",
        "--max-pods",
        "110",
        "--format",
        "json",
    ]);
    assert_eq!(v[0]["kubeReservedMemory"], "2250Mi");
    assert_eq!(v[0]["evictionMemory"], "100Mi");
    // Before 1.29 the regressive rule and a 750Mi eviction threshold apply.
    let v = json(&[
        "catalog",
        "reservations",
        "--vm-size",
        "Standard_D4s_v5",
        "--os",
        "linux",
        "--kubernetes-version",
        "1.28",
        "--format",
        "json",
    ]);
    assert_eq!(v[0]["evictionMemory"], "750Mi");
}

#[test]
fn skus_carry_region_prices() {
    let v = json(&["catalog", "skus", "--region", "eastus", "--format", "json"]);
    let d4 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Standard_D4s_v5")
        .expect("D4s_v5 in the catalog");
    assert_eq!(d4["linuxUsdHour"], 0.192);
    assert_eq!(d4["windowsUsdHour"], 0.376);
}

/// Issue 13: a cluster in southcentralus must not price at $0; the catalog lists at
/// least 500 sizes with a Linux price there (and every row it lists has a price).
#[test]
fn southcentralus_lists_at_least_500_priced_sizes() {
    let v = json(&[
        "catalog",
        "skus",
        "--region",
        "southcentralus",
        "--format",
        "json",
    ]);
    let rows = v.as_array().unwrap();
    let priced = rows
        .iter()
        .filter(|r| r["linuxUsdHour"].as_f64().is_some_and(|p| p > 0.0))
        .count();
    assert!(priced >= 500, "{priced} priced sizes of {}", rows.len());
    let d2s = rows
        .iter()
        .find(|r| r["name"] == "Standard_D2s_v3")
        .expect("D2s_v3 in southcentralus");
    assert_eq!(d2s["linuxUsdHour"], 0.11);
}

#[test]
fn bad_arguments_are_usage_errors() {
    assert_eq!(code(&poolcast(&["catalog", "skus", "--region", "mars"])), 2);
    assert_eq!(
        code(&poolcast(&[
            "catalog",
            "reservations",
            "--vm-size",
            "Standard_Nope"
        ])),
        2
    );
    assert_eq!(
        code(&poolcast(&[
            "catalog",
            "reservations",
            "--addon",
            "frobnicator"
        ])),
        2
    );
    assert_eq!(
        code(&poolcast(&[
            "catalog",
            "reservations",
            "--network-plugin",
            "weave"
        ])),
        2
    );
}

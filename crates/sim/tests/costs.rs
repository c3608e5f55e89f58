//! Costs an architect signs: list prices with their basis, `cluster.pricing` adjustments,
//! the AKS tier fee, node-hours over the run next to the steady monthly figure, and
//! unpriced pools named, never counted as free.

use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::Os;

use crate::common::*;

fn cluster(extra: &str, win_size: &str) -> String {
    format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: costs}}
cluster:
  kubernetesVersion: "1.33"
  region: southcentralus
{extra}
pools:
  - name: system
    mode: System
    os: linux
    vmSize: Standard_D4s_v5
    count: 2
  - name: win
    os: windows
    vmSize: {win_size}
    count: 3
sim: {{seed: 1, horizon: 2h}}
"#
    )
}

#[test]
fn steady_and_run_costs_use_region_prices_with_their_basis() {
    let o = run(&scenario(&cluster("", "Standard_D4s_v3")));
    let cat = Catalog::builtin();
    let lin = cat
        .vm_sku("Standard_D4s_v5")
        .and_then(|s| s.price("southcentralus", Os::Linux))
        .unwrap();
    let win = cat
        .vm_sku("Standard_D4s_v3")
        .and_then(|s| s.price("southcentralus", Os::Windows))
        .unwrap();
    let c = &o.summary.cost;
    assert!(c.complete && c.unpriced_pools.is_empty());
    assert_eq!(c.tier, "free");
    assert_eq!(c.tier_fee_per_hour, 0.0);
    assert_eq!(c.basis, "list");
    // Both 4-vCPU sizes get AKS's default managed P10 (their temp disks are under 128 GiB):
    // 19.71 USD/month, the East US price, estimated for southcentralus.
    let disk = 19.71 / 730.0;
    assert!(c.estimated);
    assert_eq!(c.estimated_pools, ["system", "win"]);
    let w = &o.summary.nodes_by_pool["win"];
    assert!((w.disk_per_node_hour.unwrap() - disk).abs() < 1e-4, "{w:?}");
    assert!(w.disk_estimated && w.disk_basis.contains("P10"));
    let per_hour = 2.0 * (lin + disk) + 3.0 * (win + disk);
    assert!(
        (c.vms_per_hour - (2.0 * lin + 3.0 * win)).abs() < 1e-3,
        "{c:?}"
    );
    assert!((c.disks_per_hour - 5.0 * disk).abs() < 1e-3, "{c:?}");
    assert!((c.per_hour - (c.vms_per_hour + c.disks_per_hour + c.tier_fee_per_hour)).abs() < 1e-3);
    assert!((c.run_cost - (c.run_vms + c.run_disks + c.run_tier_fee)).abs() < 1e-3);
    assert!((c.per_hour - per_hour).abs() < 1e-3, "{c:?}");
    assert!((c.per_month - per_hour * 730.0).abs() < 1.0, "{c:?}");
    // Five nodes from time zero for two hours.
    assert!((c.node_hours - 10.0).abs() < 1e-9, "{c:?}");
    assert!((c.run_cost - per_hour * 2.0).abs() < 1e-3, "{c:?}");
    let w = &o.summary.nodes_by_pool["win"];
    assert_eq!(w.price_basis.as_deref(), Some("published"));
    assert!((w.node_hours - 6.0).abs() < 1e-9);
}

#[test]
fn pricing_adjustments_and_tier_fee_apply() {
    let extra = "  tier: standard\n  pricing:\n    discountPercent: 10\n    commitment: {kind: savingsPlan, term: 3y, ratePercent: 50}\n    azureHybridBenefit: true";
    let base = run(&scenario(&cluster("", "Standard_D4s_v3")));
    let o = run(&scenario(&cluster(extra, "Standard_D4s_v3")));
    let cat = Catalog::builtin();
    let linux_rate = cat
        .vm_sku("Standard_D4s_v3")
        .and_then(|s| s.price("southcentralus", Os::Linux))
        .unwrap();
    let w = &o.summary.nodes_by_pool["win"];
    // Hybrid Benefit: the Linux rate, then 50% and 10% off; the P10 OS disk gets the 10%
    // discount but no commitment (commitments cover compute).
    let disk = 19.71 / 730.0 * 0.9;
    let want = linux_rate * 0.5 * 0.9;
    assert!((w.vm_per_node_hour.unwrap() - want).abs() < 1e-4, "{w:?}");
    assert!((w.disk_per_node_hour.unwrap() - disk).abs() < 1e-4, "{w:?}");
    assert!(
        (w.price_per_node_hour.unwrap() - (want + disk)).abs() < 1e-4,
        "{w:?}"
    );
    let basis = w.price_basis.as_deref().unwrap();
    assert!(basis.contains("Azure Hybrid Benefit") && basis.contains("savings plan 3y"));
    let c = &o.summary.cost;
    assert_eq!(c.tier, "standard");
    // 0.10 per cluster-hour, 10% off.
    assert!((c.tier_fee_per_hour - 0.09).abs() < 1e-9);
    assert!(c.per_hour < base.summary.cost.per_hour);
    let nodes: f64 = o
        .summary
        .nodes_by_pool
        .values()
        .filter_map(|p| p.cost_per_hour)
        .sum();
    assert!((c.per_hour - (nodes + 0.09)).abs() < 1e-3, "{c:?}");
    // Totals = VMs + OS disks + tier fee, steady and over the run (2 h).
    assert!((c.per_hour - (c.vms_per_hour + c.disks_per_hour + 0.09)).abs() < 1e-3);
    assert!((c.run_tier_fee - 0.18).abs() < 1e-9, "{c:?}");
    assert!((c.run_cost - (c.run_vms + c.run_disks + c.run_tier_fee)).abs() < 1e-3);
    assert_eq!(
        c.basis,
        "paid after cluster.pricing: savings plan 3y at 50% on VMs, 10% discount, Azure Hybrid Benefit on Windows pools"
    );
}

#[test]
fn unpriced_pools_are_named_and_left_out_not_free() {
    // An inline size without pricePerHour (validate warns price.unpriced).
    let text = cluster("", "{cpu: 4, memory: 16Gi}");
    let o = run(&scenario(&text));
    let c = &o.summary.cost;
    assert!(!c.complete);
    assert_eq!(c.unpriced_pools, ["win"]);
    let w = &o.summary.nodes_by_pool["win"];
    assert_eq!(w.price_per_node_hour, None);
    assert_eq!(w.run_cost, None);
    assert_eq!(w.price_basis, None);
    assert!(
        (w.node_hours - 6.0).abs() < 1e-9,
        "node-hours still counted"
    );
    let sys = o.summary.nodes_by_pool["system"].cost_per_hour.unwrap();
    assert!((c.per_hour - sys).abs() < 1e-3);
}

//! `plan` on whole scenarios: the bundled 2,050-pod hybrid estate (the recommendation
//! re-run through `simulate` meets every target, one node fewer in any sized pool misses
//! one, Windows pools on Windows prices), determinism across thread counts, AKS rules it
//! must never break, and scenarios no layout can satisfy.

use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::{
    Bounds, Count, Os, PoolMode, Scenario, Variability, VmRequirements, VmSize,
};
use poolcast_sim::plan::{plan, Binding, PlanError, PlanOptions, PlanReport, Pricing, Verdict};
use poolcast_sim::{simulate, RunOptions};

use crate::common::*;

const ESTATE: &str = include_str!("../../../scenarios/plan-hybrid-estate.yaml");

fn estate() -> Scenario {
    scenario(ESTATE)
}

fn planned(s: &Scenario) -> PlanReport {
    plan(s, &PlanOptions::default()).unwrap()
}

fn with_count(s: &Scenario, pool: &str, nodes: u32) -> Scenario {
    let mut s = s.clone();
    let p = s.pools.iter_mut().find(|p| p.name == pool).unwrap();
    p.count = Some(Count::Fixed(nodes));
    s
}

#[test]
fn hybrid_estate_recommendation_meets_every_target_and_is_tight() {
    let s = estate();
    let pods: u32 = s.workloads.iter().filter_map(|w| w.replicas).sum();
    assert!(pods >= 2000, "{pods} pods");
    let r = planned(&s);
    assert!(r.feasible, "{:?}", r.infeasible_reason);
    let candidates: usize = r.sizing.iter().map(|p| p.alternatives.len()).sum();
    assert!(candidates >= 8, "{candidates} candidate sizes");
    assert_eq!(r.sizing.len(), 3);

    // The recommendation, applied and re-run with the point durations the plan verifies
    // with (docs/plan.md), meets every target.
    let mut applied = r.apply(&s);
    applied.sim.variability = Variability::None;
    let o = simulate(&applied, &RunOptions::default()).unwrap();
    assert!(o.targets.iter().all(|t| t.met), "{:?}", o.targets);
    assert_eq!(o.summary.pods.ready, pods);
    assert_eq!(o.targets, r.verification);

    // One node fewer in any sized pool misses a target, checked here independently.
    for sz in &r.sizing {
        let n = sz.nodes.unwrap();
        assert!(n > 0, "{} needs nodes", sz.pool);
        let fewer = with_count(&applied, &sz.pool, n - 1);
        let o = simulate(&fewer, &RunOptions::default()).unwrap();
        assert!(
            o.targets.iter().any(|t| !t.met),
            "{} with {} nodes still meets every target",
            sz.pool,
            n - 1
        );
        let m = sz.minimality.as_ref().unwrap();
        assert_eq!(m.nodes, n - 1);
        assert!(!m.met && !m.missed.is_empty());
        assert!(m.binding.is_some());
        let rec: Vec<_> = sz
            .alternatives
            .iter()
            .filter(|a| a.verdict == Verdict::Recommended)
            .collect();
        assert_eq!(rec.len(), 1);
        assert_eq!(Some(&rec[0].vm_size), sz.recommended.as_ref());
        // Nothing the search saw fits for less.
        for a in &sz.alternatives {
            if let (Verdict::Fits, Some(c)) = (a.verdict, a.cost_per_month) {
                assert!(c >= rec[0].cost_per_month.unwrap() - 1e-6, "{a:?}");
            }
        }
    }

    // The memory tier lands on memory-optimised sizes.
    let mem = r.sizing.iter().find(|p| p.pool == "lnxmem").unwrap();
    assert!(mem
        .recommended
        .as_deref()
        .unwrap()
        .starts_with("Standard_E"));

    // Cost adds up.
    let total: f64 = r.layout.iter().filter_map(|l| l.cost_per_month).sum();
    assert!(
        (total - r.cost.per_month).abs() < 0.05,
        "{total} vs {}",
        r.cost.per_month
    );
}

/// A Windows pool is costed on the Windows list (licence included), never the Linux one.
#[test]
fn windows_pool_is_never_sized_on_linux_prices() {
    let r = planned(&estate());
    let cat = Catalog::builtin();
    let win = r.sizing.iter().find(|p| p.pool == "win22").unwrap();
    assert_eq!(win.pricing, Pricing::Windows);
    for a in win
        .alternatives
        .iter()
        .filter(|a| a.price_per_hour.is_some())
    {
        let sku = cat.vm_sku(&a.vm_size).unwrap();
        let windows = sku.price("eastus", Os::Windows).unwrap();
        let linux = sku.price("eastus", Os::Linux).unwrap();
        // The node-hour the organisation pays: the Windows VM plus its OS disk.
        let disk = os_disk_hour(sku);
        assert!(
            (a.price_per_hour.unwrap() - (windows + disk)).abs() < 1e-4,
            "{a:?}"
        );
        assert!(windows > linux);
    }
    let l = r.layout.iter().find(|l| l.pool == "win22").unwrap();
    let sku = cat.vm_sku(&l.vm_size).unwrap();
    let windows = sku.price("eastus", Os::Windows).unwrap();
    let want = (windows + os_disk_hour(sku)) * f64::from(l.nodes) * 730.0;
    assert!((l.cost_per_month.unwrap() - want).abs() < 0.01);

    // With Azure Hybrid Benefit the same pool is billed at the Linux rate.
    let mut s = estate();
    s.pools
        .iter_mut()
        .find(|p| p.name == "win22")
        .unwrap()
        .azure_hybrid_benefit = true;
    let r = planned(&s);
    let win = r.sizing.iter().find(|p| p.pool == "win22").unwrap();
    assert_eq!(win.pricing, Pricing::WindowsHybridBenefit);
    for a in win
        .alternatives
        .iter()
        .filter(|a| a.price_per_hour.is_some())
    {
        let sku = cat.vm_sku(&a.vm_size).unwrap();
        let linux = sku.price("eastus", Os::Linux).unwrap();
        assert!(
            (a.price_per_hour.unwrap() - (linux + os_disk_hour(sku))).abs() < 1e-4,
            "{a:?}"
        );
    }
}

/// The answer does not depend on the number of threads evaluating candidates.
#[test]
fn plan_is_deterministic_across_thread_counts() {
    let s = estate();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| planned(&s));
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| planned(&s));
    assert_eq!(one, many);
}

const SMALL: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: small}
cluster: {kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}
  - {name: apps, os: linux, vmSize: [Standard_D2s_v5, Standard_D4s_v5], count: auto}
  - {name: win, os: windows, vmSize: [Standard_D4s_v5, Standard_D4ps_v6], count: auto, taints: ["os=windows:NoSchedule"]}
images:
  - {name: "api:8", catalog: aspnet-8.0}
  - {name: "shop:1", catalog: aspnet-4.8-ltsc2022}
workloads:
  - name: api
    kind: Deployment
    replicas: 12
    image: "api:8"
    requests: {cpu: 500m, memory: 512Mi}
    nodeSelector: {kubernetes.io/os: linux}
  - name: shop
    kind: Deployment
    replicas: 4
    image: "shop:1"
    requests: {cpu: "1", memory: 2Gi}
    nodeSelector: {kubernetes.io/os: windows}
    tolerations: [{key: os, operator: Equal, value: windows, effect: NoSchedule}]
targets: {allPlaced: true}
sim: {seed: 1, horizon: 30m}
"#;

/// AKS rules the planner refuses to size around: a Windows System pool, a Windows pool
/// name over 6 characters, maxPods outside 10-250.
#[test]
fn sized_pools_that_break_aks_rules_are_refused() {
    let base = scenario(SMALL);
    let mut s = base.clone();
    let w = s.pools.iter_mut().find(|p| p.name == "win").unwrap();
    w.mode = PoolMode::System;
    assert!(matches!(
        plan(&s, &PlanOptions::default()),
        Err(PlanError::AksRule { .. })
    ));
    let mut s = base.clone();
    s.pools.iter_mut().find(|p| p.name == "win").unwrap().name = "windows1".into();
    let e = plan(&s, &PlanOptions::default()).unwrap_err();
    assert!(matches!(e, PlanError::AksRule { .. }), "{e}");
    assert!(e.to_string().contains("windows1"));
    let mut s = base;
    s.pools
        .iter_mut()
        .find(|p| p.name == "apps")
        .unwrap()
        .max_pods = Some(300);
    assert!(matches!(
        plan(&s, &PlanOptions::default()),
        Err(PlanError::AksRule { .. })
    ));
}

/// Sizes AKS would refuse are listed but never proposed: an Arm64 size for Windows; a
/// B-series size for a System pool.
#[test]
fn sizes_aks_refuses_are_not_allowed() {
    let mut s = scenario(SMALL);
    let sys = s.pools.iter_mut().find(|p| p.name == "system").unwrap();
    sys.vm_size = VmSize::Candidates(vec!["Standard_B4ms".into(), "Standard_D4s_v5".into()]);
    sys.count = Some(Count::Auto);
    let r = planned(&s);
    assert!(r.feasible);
    let verdict = |pool: &str, size: &str| {
        r.sizing
            .iter()
            .find(|p| p.pool == pool)
            .unwrap()
            .alternatives
            .iter()
            .find(|a| a.vm_size == size)
            .unwrap()
            .verdict
    };
    assert_eq!(verdict("win", "Standard_D4ps_v6"), Verdict::NotAllowed);
    assert_eq!(verdict("system", "Standard_B4ms"), Verdict::NotAllowed);
    let sys = r.layout.iter().find(|l| l.pool == "system").unwrap();
    assert_eq!(sys.vm_size, "Standard_D4s_v5");
    assert!(sys.nodes >= 1, "a System pool keeps a node");
    let o = simulate(&r.apply(&s), &RunOptions::default()).unwrap();
    assert!(o.targets.iter().all(|t| t.met));
}

/// A pod larger than every candidate cannot be placed at any count: each size is
/// infeasible with the resource at fault, and the plan says no layout works.
#[test]
fn pods_larger_than_every_candidate_make_the_plan_infeasible() {
    let yaml = SMALL.replace(
        "requests: {cpu: 500m, memory: 512Mi}",
        "requests: {cpu: \"24\", memory: 512Mi}",
    );
    let r = planned(&scenario(&yaml));
    assert!(!r.feasible);
    assert!(r.infeasible_reason.is_some());
    let apps = r.sizing.iter().find(|p| p.pool == "apps").unwrap();
    assert_eq!(apps.recommended, None);
    for a in &apps.alternatives {
        assert!(
            matches!(a.verdict, Verdict::Infeasible | Verdict::Pruned),
            "{a:?}"
        );
    }
}

/// A start-up target no node count can reach (servercore images pull and extract for
/// minutes on a fresh Windows node) is reported as infeasible, not searched to 1,000 nodes.
#[test]
fn unreachable_time_to_ready_is_infeasible() {
    let yaml = SMALL.replace(
        "targets: {allPlaced: true}",
        "targets: {allPlaced: true, p95TimeToReady: 4s}",
    );
    let r = planned(&scenario(&yaml));
    assert!(!r.feasible);
    let why = r.infeasible_reason.unwrap();
    assert!(why.contains("p95TimeToReady"), "{why}");
    assert!(r.runs < 10, "{} runs", r.runs);
}

fn one_pool(size: &str, extra_pool: &str, workload: &str) -> Scenario {
    scenario(&format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: one-pool}}
cluster: {{kubernetesVersion: "1.33", region: eastus}}
pools:
  - {{name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}}
  - {{name: apps, os: linux, vmSize: [{size}], count: auto{extra_pool}}}
images:
  - {{name: "api:8", catalog: aspnet-8.0}}
workloads:
  - name: api
    kind: Deployment
    image: "api:8"
    nodeSelector: {{kubernetes.io/os: linux}}
{workload}
targets: {{allPlaced: true}}
sim: {{seed: 1, horizon: 20m}}
"#
    ))
}

/// Fragmentation: ten 2.5-CPU pods on D4s_v5 nodes (3.5 CPU left after reservations and
/// DaemonSets) fit one per node. The volume bound says 8 nodes; the runs find 10, and 9
/// leave a pod pending for lack of cpu.
#[test]
fn fragmentation_needs_more_than_the_volume_bound() {
    let s = one_pool(
        "Standard_D4s_v5",
        "",
        "    replicas: 10\n    requests: {cpu: 2500m, memory: 1Gi}",
    );
    let r = planned(&s);
    let apps = &r.sizing[0];
    assert_eq!(apps.nodes, Some(10));
    let a = &apps.alternatives[0];
    assert_eq!(a.lower_bound, Some(8));
    assert_eq!(a.binding, Some(Binding::Cpu));
    let m = apps.minimality.as_ref().unwrap();
    assert_eq!(m.nodes, 9);
    assert!(m.missed.iter().any(|t| t.name == "allPlaced"));
}

/// Pods per node: with maxPods 30, tiny pods run out of pod slots before cpu or memory.
#[test]
fn max_pods_binds_tiny_pods() {
    let s = one_pool(
        "Standard_D8s_v5",
        ", maxPods: 30",
        "    replicas: 100\n    requests: {cpu: 10m, memory: 32Mi}",
    );
    let r = planned(&s);
    let apps = &r.sizing[0];
    let n = apps.nodes.unwrap();
    assert!(n >= 4, "{n} nodes for 100 pods at < 30 per node");
    assert_eq!(apps.alternatives[0].binding, Some(Binding::PodsPerNode));
    assert_eq!(
        apps.minimality.as_ref().unwrap().binding,
        Some(Binding::PodsPerNode)
    );
    let l = r.layout.iter().find(|l| l.pool == "apps").unwrap();
    assert_eq!(l.max_pods, 30);
}

/// The estate with every sized pool on `vmSize: auto` (the whole catalog of the region).
fn estate_auto() -> Scenario {
    let mut s = estate();
    for p in s.pools.iter_mut().filter(|p| p.count == Some(Count::Auto)) {
        p.vm_size = VmSize::Auto(VmRequirements::default());
    }
    s
}

#[test]
fn auto_is_never_dearer_than_the_hand_listed_candidates() {
    let listed = planned(&estate());
    let auto = planned(&estate_auto());
    assert!(
        listed.feasible && auto.feasible,
        "{:?}",
        auto.infeasible_reason
    );
    assert!(
        auto.cost.per_hour <= listed.cost.per_hour + 1e-9,
        "auto {} USD/h, hand-listed {} USD/h",
        auto.cost.per_hour,
        listed.cost.per_hour
    );
    // Per pool too: the catalog search includes every hand-listed size it may use.
    let cat = Catalog::builtin();
    for (a, l) in auto.sizing.iter().zip(&listed.sizing) {
        assert_eq!(a.pool, l.pool);
        let cost = |r: &PlanReport, pool: &str| {
            r.layout
                .iter()
                .find(|x| x.pool == pool)
                .and_then(|x| x.cost_per_month)
                .unwrap()
        };
        assert!(
            cost(&auto, &a.pool) <= cost(&listed, &l.pool) + 1e-6,
            "{}: auto {:?} x {:?} vs listed {:?} x {:?}",
            a.pool,
            a.recommended,
            a.nodes,
            l.recommended,
            l.nodes
        );
        assert!(
            a.candidates > 40,
            "{} searched {} sizes",
            a.pool,
            a.candidates
        );
        let chosen = cat.vm_sku(a.recommended.as_deref().unwrap()).unwrap();
        assert_eq!(poolcast_model::catalog::select::gpus(chosen), 0);
    }
    // The recommendation re-run meets every target.
    let s = estate_auto();
    let o = simulate(&auto.apply(&s), &RunOptions::default()).unwrap();
    assert!(o.targets.iter().all(|t| t.met), "{:?}", o.targets);
}

#[test]
fn requirements_bound_the_search() {
    let mut s = estate();
    let p = s.pools.iter_mut().find(|p| p.name == "lnxmem").unwrap();
    p.vm_size = VmSize::Auto(VmRequirements {
        families: vec!["E".into()],
        vcpu: Some(Bounds {
            min: Some(4),
            max: Some(16),
        }),
        exclude: vec!["Standard_E4as_v5".into()],
        ..VmRequirements::default()
    });
    let r = planned(&s);
    let sz = r.sizing.iter().find(|z| z.pool == "lnxmem").unwrap();
    let rec = sz.recommended.clone().unwrap();
    assert!(
        rec.starts_with("Standard_E") && rec != "Standard_E4as_v5",
        "{rec}"
    );
    for a in &sz.alternatives {
        let sku = Catalog::builtin().vm_sku(&a.vm_size).unwrap();
        assert!((4..=16).contains(&sku.vcpu) && a.vm_size.starts_with("Standard_E"));
    }
}

/// A sized System pool keeps at least two nodes (AKS: "System pools must contain at least
/// two nodes but the recommendation is three"), unless `minNodes` says otherwise; the
/// layout notes the recommendation.
#[test]
fn system_pools_keep_two_nodes_unless_the_scenario_says_otherwise() {
    let mut s = scenario(SMALL);
    let sys = s.pools.iter_mut().find(|p| p.name == "system").unwrap();
    sys.vm_size = VmSize::Candidates(vec!["Standard_D4s_v5".into()]);
    sys.count = Some(Count::Auto);
    let r = planned(&s);
    let l = r.layout.iter().find(|l| l.pool == "system").unwrap();
    assert!(l.nodes >= 2, "{} nodes", l.nodes);
    if l.nodes < 3 {
        assert!(
            l.notes.iter().any(|n| n.contains("recommends 3")),
            "{:?}",
            l.notes
        );
    }
    let m = r.sizing.iter().find(|z| z.pool == "system").unwrap();
    assert!(m.minimality.is_none() || m.nodes > Some(2));

    let sys = s.pools.iter_mut().find(|p| p.name == "system").unwrap();
    sys.min_nodes = Some(1);
    let r = planned(&s);
    let l = r.layout.iter().find(|l| l.pool == "system").unwrap();
    assert_eq!(l.nodes, 1, "one node holds the system pods here");
    assert!(
        l.notes.iter().any(|n| n.contains("requires at least 2")),
        "{:?}",
        l.notes
    );
}

/// A zonal pool's count is a multiple of its zones: ten nodes meet the target, twelve are
/// proposed over three zones, and the evidence is still the run with nine.
#[test]
fn zonal_pools_get_a_multiple_of_their_zones() {
    let s = one_pool(
        "Standard_D4s_v5",
        ", zones: [\"1\", \"2\", \"3\"]",
        "    replicas: 10\n    requests: {cpu: 2500m, memory: 1Gi}",
    );
    let r = planned(&s);
    let apps = &r.sizing[0];
    assert_eq!(apps.nodes, Some(12));
    assert_eq!(apps.minimality.as_ref().unwrap().nodes, 9);
    let l = r.layout.iter().find(|l| l.pool == "apps").unwrap();
    assert_eq!(l.nodes % 3, 0);
    assert!(
        l.notes.iter().any(|n| n.contains("rounded up to 12")),
        "{:?}",
        l.notes
    );
    assert!(r.verification.iter().all(|t| t.met));
}

/// An autoscaled pool is sized twice: `max` for the burst (the scale event), `min` for
/// the steady load, and the layout carries the range.
#[test]
fn autoscaled_pools_get_min_for_the_steady_load_and_max_for_the_burst() {
    let mut s = one_pool(
        "Standard_D4s_v5",
        ", autoscale: {min: 1, max: 40}",
        "    replicas: 6\n    requests: {cpu: 1500m, memory: 1Gi}",
    );
    let apps = s.pools.iter_mut().find(|p| p.name == "apps").unwrap();
    apps.count = None;
    s.events =
        serde_json::from_str(r#"[{"at": "5m", "scale": {"workload": "api", "replicas": 24}}]"#)
            .unwrap();
    let r = planned(&s);
    assert!(r.feasible, "{:?}", r.infeasible_reason);
    let l = r.layout.iter().find(|l| l.pool == "apps").unwrap();
    let a = l.autoscale.expect("an autoscaler range");
    assert!(a.min < a.max, "{a:?}");
    assert_eq!(l.nodes, a.min);
    // Two 1.5-CPU pods per D4s_v5 node: 6 pods need 3 nodes, 24 need 12.
    assert_eq!((a.min, a.max), (3, 12));
    let applied = r.apply(&s);
    let p = applied.pools.iter().find(|p| p.name == "apps").unwrap();
    assert_eq!(p.autoscale.map(|x| (x.min, x.max)), Some((3, 12)));
}

/// The OS disk the win22 pool's nodes get on `sku`, USD per node-hour (East US list).
fn os_disk_hour(sku: &poolcast_model::catalog::VmSku) -> f64 {
    use poolcast_model::catalog::{disk_prices, disks};
    let pool = estate()
        .pools
        .into_iter()
        .find(|p| p.name == "win22")
        .unwrap();
    let d = disks::os_disk_for(sku, pool.os_disk.as_ref()).unwrap();
    disk_prices::os_disk_price(sku, &d, "eastus")
        .per_hour()
        .unwrap()
}

/// A Windows pool choosing between two 4-vCPU / 8-GiB sizes whose order flips with Azure
/// Hybrid Benefit (East US, per node-hour, OS disk included): Standard_D4als_v6 is the
/// cheaper Linux rate (0.161 + a P10 Premium SSD 19.71/730) but the dearer Windows one
/// (0.345 + P10); Standard_A4_v2 takes no premium storage (Standard SSD E10 9.60/730) and
/// carries a smaller Windows licence (Linux 0.191, Windows 0.286).
fn ahb_flip(pricing: &str) -> Scenario {
    scenario(&format!(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {{name: ahb-flip}}
cluster:
  kubernetesVersion: "1.33"
  region: eastus
{pricing}
pools:
  - name: system
    mode: System
    os: linux
    vmSize: Standard_D4s_v5
    count: 2
  - name: win
    os: windows
    osSku: Windows2022
    vmSize: [Standard_D4als_v6, Standard_A4_v2]
    count: auto
    taints: ["os=windows:NoSchedule"]
workloads:
  - name: app
    kind: Deployment
    replicas: 6
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
    requests: {{cpu: 1, memory: 1Gi}}
    nodeSelector: {{kubernetes.io/os: windows}}
    tolerations: [{{key: os, operator: Equal, value: windows, effect: NoSchedule}}]
sim: {{seed: 1, horizon: 1h}}
"#
    ))
}

fn recommended(r: &PlanReport, pool: &str) -> String {
    r.sizing
        .iter()
        .find(|s| s.pool == pool)
        .and_then(|s| s.recommended.clone())
        .unwrap()
}

#[test]
fn azure_hybrid_benefit_flips_the_cheapest_windows_size() {
    let list = planned(&ahb_flip(""));
    assert!(list.feasible, "{:?}", list.infeasible_reason);
    assert_eq!(recommended(&list, "win"), "Standard_A4_v2");
    assert_eq!(list.cost.basis, "list");
    let ahb = planned(&ahb_flip("  pricing: {azureHybridBenefit: true}"));
    assert!(ahb.feasible, "{:?}", ahb.infeasible_reason);
    assert_eq!(recommended(&ahb, "win"), "Standard_D4als_v6");
    let win = ahb.sizing.iter().find(|s| s.pool == "win").unwrap();
    assert_eq!(win.pricing, Pricing::WindowsHybridBenefit);
    assert_eq!(
        ahb.cost.basis,
        "paid after cluster.pricing: Azure Hybrid Benefit on Windows pools"
    );
    // Each alternative is priced at what is paid: the Linux rate plus the OS disk.
    let cat = Catalog::builtin();
    for a in &win.alternatives {
        let sku = cat.vm_sku(&a.vm_size).unwrap();
        let linux = sku.price("eastus", Os::Linux).unwrap();
        let disk = if a.vm_size == "Standard_A4_v2" {
            9.60
        } else {
            19.71
        } / 730.0;
        assert!(
            (a.price_per_hour.unwrap() - (linux + disk)).abs() < 1e-4,
            "{a:?}"
        );
    }
    assert!(ahb.cost.per_month < list.cost.per_month);
}

#[test]
fn plan_cost_includes_the_tier_fee_and_discounts() {
    let r = planned(&ahb_flip(
        "  tier: standard\n  pricing: {discountPercent: 20}",
    ));
    assert_eq!(r.cost.tier, "standard");
    // 0.10 per cluster-hour, 20% off.
    assert!((r.cost.tier_fee_per_hour - 0.08).abs() < 1e-9);
    let nodes: f64 = r.layout.iter().filter_map(|l| l.cost_per_month).sum();
    assert!(
        (r.cost.per_month - (nodes + 0.08 * 730.0)).abs() < 0.05,
        "{} vs {nodes}",
        r.cost.per_month
    );
    // The discount applies to every candidate alike, so the Windows choice stays.
    assert_eq!(recommended(&r, "win"), "Standard_A4_v2");
    assert!(!r.cost.estimated, "East US disk prices are sourced");
}

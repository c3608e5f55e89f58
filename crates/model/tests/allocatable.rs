//! Allocatable of real AKS nodes from their size's catalog specs: every published
//! `kubectl describe node` output in `tests/data/aks-node-descriptions.csv` (Linux and
//! Windows, Kubernetes 1.14-1.32, 3.5-128 GiB) must reproduce with
//! `catalog::reservations`: CPU exact, memory within 2% with the modelled capacity, and
//! memory to the KiB when the node's own reported capacity is used (the reservation rules
//! themselves are exact; only the kernel's share of RAM is a fit). Residuals per row:
//! docs/catalogs.md ("Node reservations").
#![allow(clippy::unwrap_used)]

use poolcast_model::catalog::reservations::{node_allocatable, node_allocatable_with_capacity};
use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::Os;
use poolcast_model::units::{Bytes, Cpu};

const DATA: &str = include_str!("data/aks-node-descriptions.csv");

struct Node {
    source: String,
    size: String,
    os: Os,
    k8s: (u32, u32),
    max_pods: u32,
    capacity: Bytes,
    cpu: Option<Cpu>,
    memory: Bytes,
}

fn nodes() -> Vec<Node> {
    let mut lines = DATA
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let header = lines.next().unwrap();
    assert_eq!(
        header,
        "source,date,node,size,os,k8s,max_pods,capacity_kib,allocatable_cpu_m,allocatable_memory_kib"
    );
    lines
        .map(|l| {
            // No field holds a comma or quotes.
            let f: Vec<&str> = l.rsplitn(10, ',').collect();
            assert_eq!(f.len(), 10, "{l}");
            let k8s = match f[4].trim_start_matches('<') {
                "1.29" if f[4].starts_with('<') => (1, 28),
                v => {
                    let (a, b) = v.split_once('.').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                }
            };
            Node {
                source: format!("{} ({}, {})", f[9], f[8], f[7]),
                size: f[6].to_owned(),
                os: match f[5] {
                    "linux" => Os::Linux,
                    "windows" => Os::Windows,
                    o => panic!("os {o}"),
                },
                k8s,
                max_pods: f[3].parse().unwrap(),
                capacity: Bytes::kib(f[2].parse().unwrap()),
                cpu: (!f[1].is_empty()).then(|| Cpu(f[1].parse().unwrap())),
                memory: Bytes::kib(f[0].parse().unwrap()),
            }
        })
        .collect()
}

fn rel(got: Bytes, want: Bytes) -> f64 {
    (got.get() as f64 - want.get() as f64).abs() / want.get() as f64
}

#[test]
fn published_nodes_reproduce_from_catalog_specs() {
    let catalog = Catalog::builtin();
    let nodes = nodes();
    assert!(nodes.len() >= 12, "{} rows", nodes.len());
    assert!(nodes.iter().any(|n| n.os == Os::Windows));
    assert!(nodes.iter().any(|n| n.os == Os::Linux && n.k8s >= (1, 29)));
    assert!(nodes.iter().any(|n| n.os == Os::Linux && n.k8s < (1, 29)));
    for n in &nodes {
        let ctx = format!("{} {}", n.size, n.source);
        let sku = catalog
            .vm_sku(&n.size)
            .unwrap_or_else(|| panic!("{ctx}: size not in the catalog"));
        let disk = Bytes::gib(128);
        let model = node_allocatable(sku.vcpu, sku.memory, n.os, n.k8s, n.max_pods, disk);
        if let Some(cpu) = n.cpu {
            assert_eq!(model.allocatable.cpu, cpu, "{ctx}: CPU");
        }
        let err = rel(model.allocatable.memory, n.memory);
        assert!(
            err <= 0.02,
            "{ctx}: memory {} vs {} ({:.2}%)",
            model.allocatable.memory.get() / 1024,
            n.memory.get() / 1024,
            err * 100.0
        );
        // Capacity within 0.5% of what the node reported.
        assert!(
            rel(model.capacity.memory, n.capacity) <= 0.005,
            "{ctx}: capacity"
        );
        // With the node's own capacity the rules are exact.
        let exact = node_allocatable_with_capacity(
            sku.vcpu, sku.memory, n.capacity, n.os, n.k8s, n.max_pods, disk,
        );
        assert_eq!(exact.allocatable.memory, n.memory, "{ctx}: exact memory");
    }
}

#[test]
fn the_rule_of_each_era_is_needed() {
    // The E4s_v3 node on 1.30 with 250 pods: the per-pod rule (5050Mi + 100Mi) fits, the
    // regressive one (3645Mi + 750Mi) would be 0.9 GiB off; the D2s_v4 node on 1.23 the
    // other way round.
    let catalog = Catalog::builtin();
    let nodes = nodes();
    for (size, wrong) in [("Standard_E4s_v3", (1, 28)), ("Standard_D2s_v4", (1, 30))] {
        let n = nodes.iter().find(|n| n.size == size).unwrap();
        let sku = catalog.vm_sku(size).unwrap();
        let r = node_allocatable_with_capacity(
            sku.vcpu,
            sku.memory,
            n.capacity,
            n.os,
            wrong,
            n.max_pods,
            Bytes::gib(128),
        );
        assert_ne!(r.allocatable.memory, n.memory, "{size}");
        assert!(rel(r.allocatable.memory, n.memory) > 0.02, "{size}");
    }
}

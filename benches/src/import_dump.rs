//! A synthetic AKS cluster dump (`kubectl get nodes,pods -A -o json`) of any size, shaped
//! like the `tests/fixtures/import` fixture: a Linux system pool, Linux user pools, Windows
//! Server 2019 and 2022 pools (at most 1,000 nodes each, AKS's limit), AKS system DaemonSets
//! on every node, and Deployments whose pods fill the rest. Deterministic: the same sizes
//! give the same text.

use serde_json::{json, Value};

/// A node pool of the synthetic cluster: (name, os, Windows build, VM size, cores, GiB).
type PoolShape = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    u32,
    u32,
);

/// The synthetic cluster's pools.
const POOLS: &[PoolShape] = &[
    ("system", "linux", None, "Standard_D4s_v5", 4, 16),
    ("lnx", "linux", None, "Standard_D16s_v5", 16, 64),
    (
        "win19",
        "windows",
        Some("10.0.17763"),
        "Standard_D16s_v5",
        16,
        64,
    ),
    (
        "win22",
        "windows",
        Some("10.0.20348"),
        "Standard_D16s_v5",
        16,
        64,
    ),
];

/// The JSON text of a dump with `nodes` nodes and about `pods` pods (DaemonSet pods
/// included; Deployments make up the difference).
pub fn aks_dump_json(nodes: usize, pods: usize) -> String {
    let mut items: Vec<Value> = Vec::with_capacity(nodes + pods);
    let mut node_names: Vec<(String, &str)> = Vec::with_capacity(nodes);
    let system = (nodes / 100).max(3).min(nodes);
    let rest = nodes - system;
    let per_pool = [system, rest / 2, rest / 4, rest - rest / 2 - rest / 4];
    for (p, &(pool, os, build, vm, cores, gib)) in POOLS.iter().enumerate() {
        // AKS caps a pool at 1,000 nodes: big pools split into numbered siblings.
        for i in 0..per_pool[p] {
            let pool_name = if per_pool[p] > 1000 {
                format!("{pool}{}", i / 1000)
            } else {
                pool.to_owned()
            };
            let name = format!("aks-{pool_name}-1234-vmss{i:06}");
            items.push(node(&name, &pool_name, os, build, vm, cores, gib, i));
            node_names.push((name, os));
        }
    }
    let mut seq = 0usize;
    for (ds, os) in [
        ("kube-proxy", "linux"),
        ("azure-cns", "linux"),
        ("cloud-node-manager", "linux"),
        ("csi-azuredisk-node", "linux"),
        ("cloud-node-manager-windows", "windows"),
        ("csi-azuredisk-node-win", "windows"),
    ] {
        for (n, nos) in &node_names {
            if *nos == os {
                seq += 1;
                items.push(pod(
                    "kube-system",
                    &format!("{ds}-{seq:05}"),
                    "DaemonSet",
                    ds,
                    None,
                    &format!("mcr.microsoft.com/oss/v2/kubernetes/{ds}:v1.32.7"),
                    "50m",
                    "64Mi",
                    Some(n),
                    os,
                ));
            }
        }
    }
    let linux: Vec<&str> = node_names
        .iter()
        .filter(|(_, o)| *o == "linux")
        .map(|(n, _)| n.as_str())
        .collect();
    let windows: Vec<&str> = node_names
        .iter()
        .filter(|(_, o)| *o == "windows")
        .map(|(n, _)| n.as_str())
        .collect();
    let left = pods.saturating_sub(seq);
    let per_deployment = 500;
    let deployments = left.div_ceil(per_deployment);
    let mut made = 0usize;
    for d in 0..deployments {
        let os = if d % 3 == 0 && !windows.is_empty() {
            "windows"
        } else {
            "linux"
        };
        let hosts = if os == "windows" { &windows } else { &linux };
        let name = format!("app{d:04}");
        let ns = format!("team{:02}", d % 40);
        let hash = format!("{:010x}", d * 7919 + 12345);
        let image = if os == "windows" {
            format!("contoso.azurecr.io/{name}:1.0-ltsc2022")
        } else {
            format!("contoso.azurecr.io/{name}:1.0")
        };
        for r in 0..per_deployment.min(left - made) {
            let host = hosts[(d * 31 + r) % hosts.len()];
            items.push(pod(
                &ns,
                &format!("{name}-{hash}-{r:05}"),
                "ReplicaSet",
                &format!("{name}-{hash}"),
                Some(&hash),
                &image,
                "250m",
                "512Mi",
                Some(host),
                os,
            ));
            made += 1;
        }
    }
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    serde_json::to_string(&list).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn node(
    name: &str,
    pool: &str,
    os: &str,
    build: Option<&str>,
    vm: &str,
    cores: u32,
    gib: u32,
    i: usize,
) -> Value {
    let zone = format!("westeurope-{}", i % 3 + 1);
    let mut labels = json!({
        "agentpool": pool, "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": vm,
        "beta.kubernetes.io/os": os, "failure-domain.beta.kubernetes.io/region": "westeurope",
        "failure-domain.beta.kubernetes.io/zone": zone, "kubernetes.azure.com/agentpool": pool,
        "kubernetes.azure.com/azure-cni-overlay": "true", "kubernetes.azure.com/cluster": "MC_rg_aks_westeurope",
        "kubernetes.azure.com/mode": if pool == "system" { "system" } else { "user" },
        "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202608.20.0",
        "kubernetes.azure.com/os-sku": match build { Some("10.0.17763") => "Windows2019", Some(_) => "Windows2022", None => "Ubuntu" },
        "kubernetes.azure.com/role": "agent", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
        "kubernetes.io/os": os, "node.kubernetes.io/instance-type": vm,
        "topology.kubernetes.io/region": "westeurope", "topology.kubernetes.io/zone": zone,
    });
    if let (Some(b), Some(m)) = (build, labels.as_object_mut()) {
        m.insert("node.kubernetes.io/windows-build".into(), json!(b));
    }
    let images: Vec<Value> = (0..30)
        .map(|k| {
            let img = format!("mcr.microsoft.com/oss/v2/kubernetes/component{k}:v1.{k}.0");
            json!({"names": [format!("mcr.microsoft.com/oss/v2/kubernetes/component{k}@sha256:{:064x}", k + 1), img],
                   "sizeBytes": 10_000_000 + k * 1_000_000})
        })
        .collect();
    let taints = if os == "windows" {
        json!([{"key": "os", "value": "windows", "effect": "NoSchedule"}])
    } else if pool == "system" {
        json!([{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}])
    } else {
        json!([])
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
                     "creationTimestamp": "2026-08-25T10:00:00Z", "uid": format!("uid-{name}")},
        "spec": {"providerID": format!("azure:///subscriptions/0/{name}"), "taints": taints},
        "status": {
            "capacity": {"cpu": cores.to_string(), "memory": format!("{}Ki", gib * 1024 * 1024), "pods": "110",
                         "ephemeral-storage": "263174212Ki"},
            "allocatable": {"cpu": format!("{}m", cores * 1000 - 260), "memory": format!("{}Ki", gib * 1024 * 1024 * 85 / 100),
                            "pods": "110", "ephemeral-storage": "242541353378"},
            "nodeInfo": {"kubeletVersion": "v1.32.7", "operatingSystem": os,
                         "kernelVersion": build.map_or("5.15.0-1089-azure".to_owned(), |b| format!("{b}.7678")),
                         "containerRuntimeVersion": "containerd://1.7.27-1"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "images": images,
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn pod(
    ns: &str,
    name: &str,
    owner_kind: &str,
    owner: &str,
    hash: Option<&str>,
    image: &str,
    cpu: &str,
    mem: &str,
    node: Option<&str>,
    os: &str,
) -> Value {
    let mut labels = json!({"app": owner});
    if let (Some(h), Some(m)) = (hash, labels.as_object_mut()) {
        m.insert("pod-template-hash".into(), json!(h));
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": format!("uid-{name}"),
                     "creationTimestamp": "2026-08-25T10:05:00Z",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner,
                                          "controller": true, "blockOwnerDeletion": true, "uid": format!("uid-{owner}")}]},
        "spec": {
            "containers": [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent",
                            "resources": {"requests": {"cpu": cpu, "memory": mem}, "limits": {"memory": "1Gi"}},
                            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "nodeName": node, "nodeSelector": {"kubernetes.io/os": os},
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                            {"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"}],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "serviceAccountName": "default", "priority": 0, "enableServiceLinks": true,
        },
        "status": {"phase": "Running", "hostIP": "10.224.0.4", "podIP": "10.244.0.5", "qosClass": "Burstable",
                   "startTime": "2026-08-25T10:05:10Z",
                   "containerStatuses": [{"name": "main", "image": image, "ready": true, "restartCount": 0,
                                          "started": true, "state": {"running": {"startedAt": "2026-08-25T10:06:00Z"}}}]}
    })
}

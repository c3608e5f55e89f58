//! The outcomes the model must show on small, readable scenarios.

use poolcast_sim::outcome::Reason;

use crate::common::*;

/// Kubernetes has no OS filter: a Windows pod without an OS selector may land on a Linux
/// node, where the pull finds no matching platform and the kubelet backs off forever.
#[test]
fn windows_pod_without_selector_lands_on_linux_and_fails_os_mismatch() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"
workloads:
  - name: shop
    kind: Deployment
    replicas: 8
    image: contoso/shop:1.0
    requests: {cpu: 500m, memory: 1Gi}
sim: {seed: 3, horizon: 30m}
"#
    ));
    let o = run(&s);
    let pods = pods_of(&o, "shop");
    let on_linux: Vec<_> = pods
        .iter()
        .filter(|p| node_os(&o, p.node.as_deref().unwrap()) == "linux")
        .collect();
    assert!(!on_linux.is_empty(), "some replicas land on Linux nodes");
    for p in &on_linux {
        assert_eq!(p.reason, Some(Reason::OsMismatch), "{}", p.name);
        assert!(!p.ready);
        let m = p.message.as_deref().unwrap();
        assert!(m.starts_with("ImagePullBackOff"), "{m}");
        assert!(m.contains("no match for platform in manifest"), "{m}");
    }
    for p in pods
        .iter()
        .filter(|p| node_os(&o, p.node.as_deref().unwrap()) == "windows")
    {
        assert!(p.ready, "{} on Windows becomes ready", p.name);
    }
    assert_eq!(
        o.summary.by_reason.get(&Reason::OsMismatch).copied(),
        Some(on_linux.len() as u32)
    );
    assert!(!o.passes_check());
}

/// Process isolation: a Windows Server 2022 host runs only 20348 images; an ltsc2019
/// (17763) image pulls, then fails at container creation.
#[test]
fn ltsc2019_image_on_windows2022_pool_fails_os_version_mismatch() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"  - {name: "legacy:1", catalog: aspnet-4.8-ltsc2019}
workloads:
  - name: legacy
    kind: Deployment
    replicas: 2
    image: "legacy:1"
    requests: {cpu: 500m, memory: 1Gi}
    nodeSelector: {kubernetes.io/os: windows}
sim: {seed: 1, horizon: 40m}
"#
    ));
    let o = run(&s);
    for p in pods_of(&o, "legacy") {
        assert_eq!(p.reason, Some(Reason::OsVersionMismatch), "{}", p.name);
        assert!(
            p.pulled_ms.is_some(),
            "the image pulls before the start fails"
        );
        assert!(p.started_ms.is_none());
        let m = p.message.as_deref().unwrap();
        assert!(
            m.contains("The container operating system does not match the host operating system"),
            "{m}"
        );
    }
    // The kubelet retries with back-off, but the failure is recorded once per pod.
    let n = o
        .failures
        .iter()
        .filter(|f| f.reason == Reason::OsVersionMismatch)
        .count();
    assert_eq!(n, 2);
}

/// On a fresh Windows node the servercore monthly delta of another month is not cached:
/// its extraction dominates time to ready, while a Linux pod is ready in seconds.
#[test]
fn servercore_pull_dominates_windows_time_to_ready() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"  - name: contoso/old:1
    os: windows
    osBuild: "10.0.20348"
    layers:
      - {digest: "sha256:servercore-ltsc2022-base-20348.4294", size: 1.489GB, uncompressedSize: 2.625GB}
      - {digest: "sha256:servercore-ltsc2022-delta-20348.5000", size: 0.695GB, uncompressedSize: 1.225GB, files: 31850}
      - {digest: "sha256:old-app", size: 50MB, uncompressedSize: 120MB}
workloads:
  - name: old
    kind: Deployment
    replicas: 2
    image: contoso/old:1
    requests: {cpu: "1", memory: 2Gi}
    nodeSelector: {kubernetes.io/os: windows}
    startup: 10s
  - name: web
    kind: Deployment
    replicas: 2
    image: "nginx:1.31.3"
    requests: {cpu: 250m, memory: 256Mi}
    nodeSelector: {kubernetes.io/os: linux}
    startup: 2s
sim: {seed: 1, horizon: 30m}
"#
    ));
    let o = run(&s);
    for p in pods_of(&o, "old") {
        assert!(p.ready, "{}", p.name);
        let pull = p.pulled_ms.unwrap() - p.scheduled_ms.unwrap();
        let total = p.ready_ms.unwrap() - p.created_ms;
        assert!(
            pull * 10 >= total * 7,
            "pull {pull} ms is at least 70% of {total} ms"
        );
        // The base layer is cached; the other month's delta is not: 31,850 files at 1 ms
        // plus 1.225 GB at the disk rate and the app layer, about 45 s.
        assert!((40_000..80_000).contains(&pull), "pull {pull} ms");
    }
    let win = &o.summary.time_to_ready["windows"];
    let lin = &o.summary.time_to_ready["linux"];
    assert!(win.p50_ms > 5 * lin.p50_ms, "{win:?} vs {lin:?}");
}

/// A tainted Windows pool and a Windows pod without the toleration: unschedulable, with
/// kube-scheduler's message to the letter.
#[test]
fn tainted_windows_pool_without_toleration_is_unschedulable_with_kube_message() {
    let s = scenario(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: tainted}
cluster: {kubernetesVersion: "1.33"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 2}
  - {name: lin, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - name: win
    os: windows
    vmSize: Standard_D4s_v5
    count: 2
    taints: ["os=windows:NoSchedule"]
images:
  - {name: "shop:1", catalog: aspnet-4.8-ltsc2022}
workloads:
  - name: shop
    kind: Deployment
    replicas: 2
    image: "shop:1"
    requests: {cpu: 500m, memory: 1Gi}
    nodeSelector: {kubernetes.io/os: windows}
targets: {allPlaced: true}
sim: {horizon: 10m}
"#,
    );
    let o = run(&s);
    for p in pods_of(&o, "shop") {
        assert_eq!(p.reason, Some(Reason::Unschedulable));
        assert!(p.node.is_none());
        let m = p.message.as_deref().unwrap();
        // Taints and node selectors are UnschedulableAndUnresolvable: preemption skips
        // every node, and says so as kube does.
        assert_eq!(
            m,
            "0/5 nodes are available: 2 node(s) had untolerated taint {os: windows}, \
             3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are \
             available: 5 Preemption is not helpful for scheduling."
        );
    }
    assert_eq!(o.summary.pods.pending, 2);
    assert!(o.targets.iter().any(|t| t.name == "allPlaced" && !t.met));
    assert!(o.failures.iter().any(|f| f.reason == Reason::TargetMissed));
}

/// DaemonSet and AKS system pods take their requests first, so free capacity matches
/// `kubectl describe node`; a Job completes and frees its node.
#[test]
fn system_pods_are_bound_first_and_jobs_complete() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"workloads:
  - name: batch
    kind: Job
    replicas: 3
    image: "nginx:1.31.3"
    requests: {cpu: "1", memory: 1Gi}
    nodeSelector: {kubernetes.io/os: linux}
    duration: 5m
sim: {horizon: 20m}
"#
    ));
    let o = run(&s);
    let sys = &o.summary.system_pods;
    assert!(sys.total > 0 && sys.ready == sys.total, "{sys:?}");
    // Linux default DaemonSets: 350m / 470Mi per node (Overlay nodes C1, C2, C4 in
    // docs/sources.md).
    for n in o.nodes.iter().filter(|n| n.pool == "lin") {
        let ds: Vec<_> = o
            .pods
            .iter()
            .filter(|p| p.system && p.node.as_deref() == Some(&n.name))
            .collect();
        assert!(!ds.is_empty());
        assert!(ds.iter().all(|p| p.scheduled_ms == Some(0)));
    }
    for p in pods_of(&o, "batch") {
        assert_eq!(p.phase, "Succeeded", "{}", p.name);
        assert!(p.ended_ms.unwrap() >= p.ready_ms.unwrap() + 300_000);
    }
    assert_eq!(o.summary.pods.succeeded, 3);
    assert!(o.passes_check());
}

/// A failed node: its pods are deleted after the unreachable toleration and replaced.
#[test]
fn failed_node_pods_are_replaced_after_toleration() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"workloads:
  - name: web
    kind: Deployment
    replicas: 4
    image: "nginx:1.31.3"
    requests: {cpu: "1", memory: 1Gi}
    nodeSelector: {kubernetes.io/os: linux}
    tolerations: [{key: CriticalAddonsOnly, operator: Exists}]
events:
  - {at: 5m, failNodes: {pool: lin, count: 2}}
sim: {horizon: 30m}
"#
    ));
    let o = run(&s);
    let deleted: Vec<_> = o
        .pods
        .iter()
        .filter(|p| p.workload == "web" && p.phase == "Deleted")
        .collect();
    for p in &deleted {
        // 5 min + 50 s grace (1.33) + 300 s toleration.
        assert_eq!(p.ended_ms, Some(300_000 + 50_000 + 300_000));
    }
    let live = pods_of(&o, "web");
    assert_eq!(live.len(), 4, "the ReplicaSet keeps 4 replicas");
    assert!(live.iter().all(|p| p.ready));
    let failed_nodes = o.nodes.iter().filter(|n| n.state == "NotReady").count();
    assert_eq!(failed_nodes, 2);
}

/// Images filling a Linux node's OS disk: image GC cannot free images in use, the node
/// reports DiskPressure (tainted), the kubelet evicts a pod, the controller replaces it and
/// the replacement cannot land on the tainted node.
#[test]
fn filling_a_linux_disk_evicts_with_disk_pressure() {
    let s = scenario(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: disk}
cluster: {kubernetesVersion: "1.33"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1, taints: ["CriticalAddonsOnly=true:NoSchedule"]}
  - {name: lin, os: linux, vmSize: Standard_D4s_v5, count: 1, osDisk: {sizeGiB: 40, type: Managed}}
images:
  - {name: "big-a:1", os: linux, layers: [{digest: "sha256:a", size: 1.5GB, uncompressedSize: 4GB}]}
  - {name: "big-b:1", os: linux, layers: [{digest: "sha256:b", size: 1.5GB, uncompressedSize: 4GB}]}
workloads:
  - {name: a, kind: Deployment, replicas: 1, image: "big-a:1", requests: {cpu: 100m}, priorityClassName: high}
  - {name: b, kind: Deployment, replicas: 1, image: "big-b:1", requests: {cpu: 100m}, arrival: {at: 5m}}
priorityClasses: [{name: high, value: 1000}]
sim: {horizon: 8m}
"#,
    );
    let o = run(&s);
    let first = o
        .failures
        .iter()
        .find(|f| f.reason == Reason::DiskPressureEviction)
        .unwrap();
    // The lowest priority pod goes first, when b's pull tips the disk over 90%.
    assert_eq!(first.pod.as_deref(), Some("b-0"));
    let b0 = o.pods.iter().find(|p| p.name == "b-0").unwrap();
    assert_eq!(b0.phase, "Failed");
    let m = b0.message.as_deref().unwrap();
    assert!(
        m.starts_with("The node was low on resource: ephemeral-storage."),
        "{m}"
    );
    let replacement = o.pods.iter().find(|p| p.name == "b-1").unwrap();
    assert_eq!(replacement.reason, Some(Reason::Unschedulable));
    assert!(replacement
        .message
        .as_deref()
        .unwrap()
        .contains("node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }"));
    let node = o.nodes.iter().find(|n| n.pool == "lin").unwrap();
    assert!(node.disk_pressure);
    assert!(node
        .taints
        .contains(&"node.kubernetes.io/disk-pressure:NoSchedule".to_owned()));
    assert!(o.summary.by_reason[&Reason::DiskPressureEviction] >= 1);
}

/// AKS Windows nodes have no eviction thresholds: an image that does not fit the OS disk
/// fails its pull and the kubelet backs off.
#[test]
fn windows_image_larger_than_the_disk_fails_the_pull() {
    let s = scenario(&format!(
        "{MIXED}{}",
        r#"  - name: huge:1
    os: windows
    osBuild: "10.0.20348"
    layers: [{digest: "sha256:huge", size: 40GB, uncompressedSize: 300GB}]
workloads:
  - name: huge
    kind: Deployment
    replicas: 1
    image: huge:1
    nodeSelector: {kubernetes.io/os: windows}
sim: {horizon: 20m}
"#
    ));
    let o = run(&s);
    let p = &pods_of(&o, "huge")[0];
    assert_eq!(p.reason, Some(Reason::ImagePullBackOff));
    assert!(p.pulled_ms.is_none());
    let m = p.message.as_deref().unwrap();
    assert!(m.contains("There is not enough space on the disk."), "{m}");
    let node = o
        .nodes
        .iter()
        .find(|n| Some(n.name.as_str()) == p.node.as_deref())
        .unwrap();
    assert!(
        !node.disk_pressure,
        "Windows never reports DiskPressure on AKS"
    );
}

/// Imported clusters: named nodes exist at time zero and imported pods are already running
/// on them; the remaining replicas are scheduled as usual.
#[test]
fn imported_nodes_and_bound_pods_start_running() {
    let s = scenario(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: imported}
cluster: {kubernetesVersion: "1.33"}
pools:
  - name: system
    mode: System
    os: linux
    vmSize: Standard_D4s_v5
    count: 2
    nodes:
      - {name: aks-system-11111111-vmss000000, images: ["nginx:1.31.3"]}
images:
  - {name: "nginx:1.31.3", catalog: nginx-1.31}
workloads:
  - name: web
    kind: Deployment
    replicas: 3
    image: "nginx:1.31.3"
    requests: {cpu: 100m}
    boundTo: [aks-system-11111111-vmss000000]
sim: {horizon: 5m}
"#,
    );
    let o = run(&s);
    assert_eq!(o.nodes.len(), 2);
    assert_eq!(o.nodes[0].name, "aks-system-11111111-vmss000000");
    let web = pods_of(&o, "web");
    assert_eq!(web.len(), 3);
    let imported = web.iter().find(|p| p.name == "web-0").unwrap();
    assert_eq!(
        imported.node.as_deref(),
        Some("aks-system-11111111-vmss000000")
    );
    assert_eq!(imported.ready_ms, Some(0));
    assert_eq!(imported.attempts, 0);
    assert!(web.iter().all(|p| p.ready));
}

/// A pod's images are pulled one after another, each exactly once: the pod is "pulled"
/// only when its sidecar image is on the node too (serialized pulls before 1.31).
#[test]
fn every_image_of_a_pod_is_pulled_before_it_starts() {
    let s = scenario(
        r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: sidecar}
cluster: {kubernetesVersion: "1.30"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
images:
  - {name: "app:1", os: linux, layers: [{digest: "sha256:app", size: 1GB, uncompressedSize: 1.5GB}]}
  - {name: "proxy:1", os: linux, layers: [{digest: "sha256:proxy", size: 1GB, uncompressedSize: 1.5GB}]}
registry: {bandwidth: 100MB/s}
workloads:
  - name: web
    kind: Deployment
    replicas: 1
    image: "app:1"
    extraImages: ["proxy:1"]
    requests: {cpu: 100m}
sim: {horizon: 5m, variability: none}
"#,
    );
    let o = run(&s);
    let p = &pods_of(&o, "web")[0];
    // Each image: 0.35 s setup + 10 s download + 1.5 GB at 150 MB/s = 10 s extraction,
    // one after the other.
    let pulled = p.pulled_ms.unwrap();
    assert!((40_700..=42_500).contains(&pulled), "{pulled}");
    assert_eq!(p.started_ms, Some(pulled + 1_000));
    let node = o
        .nodes
        .iter()
        .find(|n| Some(n.name.as_str()) == p.node.as_deref())
        .unwrap();
    for img in ["app:1", "proxy:1"] {
        assert!(node.images.iter().any(|i| i == img), "{img} on the node");
    }
}

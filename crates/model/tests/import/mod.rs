//! `poolcast_model::import` on the realistic fixtures in `tests/fixtures/import`: an AKS dump
//! (Linux system pool, AzureLinux user pool, Windows Server 2019 and 2022 pools, taints,
//! DaemonSets, ~300 pods) and the manifest folder of a hybrid application.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use poolcast_model::import::{
    import, render_yaml, DumpSource, ImportError, ImportOptions, Imported, ManifestSource,
    NoteKind, Subject,
};
use poolcast_model::scenario::{
    Count, NetworkPlugin, Os, OsSku, Platform, PoolMode, Provider, SystemPods, VmSize, Workload,
    WorkloadKind,
};
use poolcast_model::units::{Bytes, Cpu};
use poolcast_model::Scenario;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import")
}

fn dump() -> Vec<DumpSource> {
    let path = fixtures().join("aks-dump.json");
    let text = std::fs::read_to_string(&path).unwrap();
    vec![DumpSource {
        name: "aks-dump.json".to_owned(),
        value: serde_json::from_str(&text).unwrap(),
    }]
}

fn manifests() -> Vec<ManifestSource> {
    let root = fixtures().join("manifests");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| ManifestSource {
            name: p.strip_prefix(&root).unwrap().display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

fn run(dump: &[DumpSource], manifests: &[ManifestSource]) -> Imported {
    import(dump, manifests, &ImportOptions::default()).unwrap()
}

fn workload<'a>(s: &'a Scenario, name: &str) -> &'a Workload {
    s.workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn mi(n: u64) -> Option<Bytes> {
    Some(Bytes::mib(n))
}

fn m(n: u64) -> Option<Cpu> {
    Some(Cpu(n))
}

#[test]
fn dump_pools_nodes_and_cluster() {
    let s = run(&dump(), &[]).scenario;
    type PoolRow<'a> = (&'a str, Os, Option<OsSku>, PoolMode, Option<Count>, usize);
    let pools: Vec<PoolRow> = s
        .pools
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.os,
                p.os_sku,
                p.mode,
                p.count,
                p.nodes.len(),
            )
        })
        .collect();
    assert_eq!(
        pools,
        [
            (
                "lnxapp",
                Os::Linux,
                Some(OsSku::AzureLinux),
                PoolMode::User,
                Some(Count::Fixed(6)),
                6
            ),
            (
                "system",
                Os::Linux,
                Some(OsSku::Ubuntu),
                PoolMode::System,
                Some(Count::Fixed(3)),
                3
            ),
            (
                "win19",
                Os::Windows,
                Some(OsSku::Windows2019),
                PoolMode::User,
                Some(Count::Fixed(4)),
                4
            ),
            (
                "win22",
                Os::Windows,
                Some(OsSku::Windows2022),
                PoolMode::User,
                Some(Count::Fixed(5)),
                5
            ),
        ]
    );
    let by_name: BTreeMap<&str, _> = s.pools.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(
        by_name["system"].vm_size,
        VmSize::Named("Standard_D4s_v5".into())
    );
    assert_eq!(
        by_name["win22"].vm_size,
        VmSize::Named("Standard_D8s_v5".into())
    );
    assert_eq!(
        by_name["system"]
            .taints
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["CriticalAddonsOnly=true:NoSchedule"]
    );
    for w in ["win19", "win22"] {
        assert_eq!(by_name[w].taints.len(), 1, "{w}");
        assert_eq!(by_name[w].taints[0].to_string(), "os=windows:NoSchedule");
        assert_eq!(by_name[w].max_pods, Some(110));
    }
    assert!(by_name["lnxapp"].taints.is_empty());
    assert_eq!(by_name["lnxapp"].max_pods, Some(250));
    // System-managed labels (the Windows build, agent pool, OS SKU, ...) are not pool
    // labels: AKS sets them itself and refuses them in `--labels`.
    for p in &s.pools {
        assert!(
            p.labels
                .keys()
                .all(|k| !poolcast_model::catalog::aks::is_reserved_node_label(k)),
            "{}: {:?}",
            p.name,
            p.labels
        );
    }
    assert!(by_name["win19"].labels.is_empty());
    assert_eq!(by_name["win22"].zones, ["1", "2", "3"]);
    // Per-node labels stay on the node, shared ones move to the pool.
    assert!(!by_name["win22"]
        .labels
        .contains_key("kubernetes.io/hostname"));
    let n0 = &by_name["win22"].nodes[0];
    assert_eq!(n0.labels.get("kubernetes.io/hostname"), Some(&n0.name));
    // The cordoned node: unschedulable, and the controller's taint is not duplicated.
    let cordoned: Vec<_> = by_name["win22"]
        .nodes
        .iter()
        .filter(|n| n.unschedulable)
        .collect();
    assert_eq!(cordoned.len(), 1);
    assert_eq!(cordoned[0].name, "akswin22000004");
    assert!(cordoned[0].taints.is_empty());
    // Windows allocatable: 8 cores - 180m; 32 GiB - (3645Mi regressive + 2048Mi).
    let alloc = n0.allocatable.unwrap();
    assert_eq!(alloc.cpu, m(7820));
    assert_eq!(alloc.memory, mi(32768 - 3645 - 2048));
    assert_eq!(alloc.pods, Some(110));
    assert_eq!(n0.capacity.unwrap().memory, Some(Bytes::gib(32)));

    assert_eq!(s.cluster.provider, Provider::Aks);
    assert_eq!(s.cluster.kubernetes_version, "1.32");
    assert_eq!(s.cluster.region.as_deref(), Some("westeurope"));
    assert_eq!(s.cluster.network_plugin, NetworkPlugin::AzureCniOverlay);
    assert_eq!(s.cluster.system_pods, Some(SystemPods::None));
}

#[test]
fn dump_pods_become_workloads_where_they_run() {
    let imported = run(&dump(), &[]);
    let s = &imported.scenario;
    let node_names: std::collections::BTreeSet<&str> = s
        .pools
        .iter()
        .flat_map(|p| p.nodes.iter().map(|n| n.name.as_str()))
        .collect();
    for w in &s.workloads {
        for n in &w.bound_to {
            assert!(
                node_names.contains(n.as_str()),
                "{} bound to unknown {n}",
                w.name
            );
        }
    }
    // 294 pods: 3 finished are left out, 3 Pending stay unbound.
    let replicas: u32 = s
        .workloads
        .iter()
        .map(|w| w.replicas.unwrap_or(w.bound_to.len() as u32))
        .sum();
    let bound: usize = s.workloads.iter().map(|w| w.bound_to.len()).sum();
    assert_eq!(replicas, 291);
    assert_eq!(bound, 288);

    let storefront = workload(s, "storefront");
    assert_eq!(storefront.kind, WorkloadKind::Deployment);
    assert_eq!(storefront.namespace.as_deref(), Some("shop"));
    assert_eq!(
        (storefront.replicas, storefront.bound_to.len()),
        (Some(30), 30)
    );
    assert_eq!(storefront.requests.cpu, m(250));
    assert_eq!(storefront.requests.memory, mi(256));
    assert_eq!(storefront.priority_class_name.as_deref(), Some("shop-high"));
    assert_eq!(storefront.topology_spread_constraints.len(), 1);
    assert_eq!(
        storefront.labels,
        BTreeMap::from([
            ("app".into(), "storefront".into()),
            ("tier".into(), "web".into())
        ])
    );
    let billing = workload(s, "billing-api");
    assert_eq!((billing.replicas, billing.bound_to.len()), (Some(30), 27));
    assert!(billing.bound_to.iter().all(|n| n.starts_with("akswin22")));
    assert!(billing.affinity.is_some(), "the build pin stays");

    // A Deployment mid-rollout: one workload per ReplicaSet.
    assert_eq!(workload(s, "orders-worker-6b5c4d3e2").replicas, Some(4));
    assert_eq!(workload(s, "orders-worker-9a8b7c6d5").replicas, Some(2));
    assert!(!s.workloads.iter().any(|w| w.name == "orders-worker"));

    let job = workload(s, "nightly-report-29273460");
    assert_eq!((job.kind, job.replicas), (WorkloadKind::Job, Some(2)));
    assert_eq!(job.requests.cpu, m(1000), "init container 50m is smaller");
    assert_eq!(job.extra_images, ["docker.io/library/busybox:1.36"]);
    assert_eq!(workload(s, "debug-shell").kind, WorkloadKind::Pod);

    // DaemonSets: one pod per node, no replicas, and the controller's per-node pin removed.
    for (name, nodes, cpu, mem) in [
        ("kube-proxy", 9, 100, None),
        ("azure-cns", 9, 40, mi(250)),
        ("csi-azuredisk-node", 9, 30, mi(60)),
        ("csi-azurefile-node", 9, 30, mi(60)),
        ("cloud-node-manager-windows", 9, 50, mi(50)),
        ("csi-azuredisk-node-win", 9, 40, mi(40)),
        ("fluent-bit", 9, 50, mi(64)),
    ] {
        let w = workload(s, name);
        assert_eq!(w.kind, WorkloadKind::DaemonSet, "{name}");
        assert_eq!(w.replicas, None, "{name}");
        assert_eq!(w.bound_to.len(), nodes, "{name}");
        assert_eq!(w.affinity, None, "{name}");
        assert_eq!((w.requests.cpu, w.requests.memory), (m(cpu), mem), "{name}");
    }
    assert_eq!(
        workload(s, "kube-proxy").namespace.as_deref(),
        Some("kube-system")
    );
    assert!(imported
        .notes
        .iter()
        .any(|n| n.subject == Subject::Workload("kube-proxy".into())
            && n.message.contains("system DaemonSet")));
    assert_eq!(s.priority_classes.len(), 1);
    assert_eq!(
        (
            s.priority_classes[0].name.as_str(),
            s.priority_classes[0].value
        ),
        ("shop-high", 100_000)
    );
}

#[test]
fn images_from_catalog_nodes_or_flagged() {
    let imported = run(&dump(), &[]);
    let s = &imported.scenario;
    let img = |name: &str| {
        s.images
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let core = img("mcr.microsoft.com/windows/servercore:ltsc2022");
    assert_eq!(core.catalog.as_deref(), Some("servercore-ltsc2022"));
    let billing = img("contoso.azurecr.io/billing-api:3.2.0-ltsc2022");
    assert_eq!(billing.os, Some(Os::Windows));
    assert_eq!(billing.os_build.as_deref(), Some("10.0.20348"));
    assert_eq!(billing.layers.len(), 1);
    assert_eq!(billing.layers[0].size, Bytes(2_415_919_104));
    assert!(billing.layers[0].digest.starts_with("sha256:"));
    let portal = img("contoso.azurecr.io/legacy-portal:4.8.12-ltsc2019");
    assert_eq!(portal.os_build.as_deref(), Some("10.0.17763"));
    // Not on any node and not in the catalog: flagged for the user.
    let coredns = img("mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8");
    assert!(coredns.layers.is_empty());
    assert!(imported
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::FillIn && n.subject == Subject::Image(coredns.name.clone())));
    // Every workload image is listed; every node lists what it has cached.
    for w in &s.workloads {
        for r in std::iter::once(&w.image).chain(&w.extra_images) {
            assert!(s.images.iter().any(|i| &i.name == r), "{r}");
        }
    }
    // Seen on Linux, Windows 17763 and Windows 20348 nodes: one image, a manifest list.
    let registrar =
        img("mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar:v2.17.0");
    assert_eq!(
        registrar.catalog.as_deref(),
        Some("aks-csi-node-driver-registrar")
    );
    let win = |b: &str| Platform {
        os: Os::Windows,
        os_build: Some(b.to_owned()),
    };
    assert_eq!(registrar.platforms, [win("10.0.17763"), win("10.0.20348")]);
    // A Windows HostProcess image on both Windows builds: the most-seen build plus the other.
    let hp = img("mcr.microsoft.com/oss/v2/kubernetes-csi/azurefile-csi:v1.32.6-windows-hp");
    assert_eq!(
        (hp.os, hp.os_build.as_deref(), &hp.platforms[..]),
        (
            Some(Os::Windows),
            Some("10.0.20348"),
            &[win("10.0.17763")][..]
        )
    );
    // A single-platform image gets none.
    assert!(billing.platforms.is_empty());
    assert!(!imported
        .notes
        .iter()
        .any(|n| n.message.contains("multi-platform") || n.message.contains("multi-build")));
    let win22 = s.pools.iter().find(|p| p.name == "win22").unwrap();
    assert!(win22.nodes[0]
        .images
        .iter()
        .any(|i| i == "mcr.microsoft.com/windows/servercore:ltsc2022"));
    assert!(win22.nodes[0]
        .images
        .iter()
        .any(|i| i == "contoso.azurecr.io/billing-api:3.2.0-ltsc2022"));
}

#[test]
fn rendered_yaml_round_trips_and_is_deterministic() {
    for (d, mf) in [
        (dump(), vec![]),
        (vec![], manifests()),
        (dump(), manifests()),
    ] {
        let a = run(&d, &mf);
        let text = render_yaml(&a).unwrap();
        let back: Scenario = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, a.scenario);
        let b = run(&d, &mf);
        assert_eq!(render_yaml(&b).unwrap(), text);
        assert!(text.starts_with("# poolcast scenario written by `poolcast import`."));
    }
}

#[test]
fn manifests_only_propose_pools_and_read_every_kind() {
    let imported = run(&[], &manifests());
    let s = &imported.scenario;
    let pools: Vec<(&str, Os, Option<OsSku>, Option<Count>)> = s
        .pools
        .iter()
        .map(|p| (p.name.as_str(), p.os, p.os_sku, p.count))
        .collect();
    assert_eq!(
        pools,
        [
            ("system", Os::Linux, Some(OsSku::Ubuntu), Some(Count::Auto)),
            (
                "win19",
                Os::Windows,
                Some(OsSku::Windows2019),
                Some(Count::Auto)
            ),
            (
                "win22",
                Os::Windows,
                Some(OsSku::Windows2022),
                Some(Count::Auto)
            ),
            ("user", Os::Linux, Some(OsSku::Ubuntu), Some(Count::Auto)),
        ]
    );
    assert_eq!(
        s.cluster.kubernetes_version, "1.32",
        "Windows Server 2019 ends at 1.32"
    );
    let kinds: Vec<(&str, WorkloadKind, Option<u32>)> = s
        .workloads
        .iter()
        .map(|w| (w.name.as_str(), w.kind, w.replicas))
        .collect();
    assert_eq!(
        kinds,
        [
            ("medchart-api", WorkloadKind::Deployment, Some(8)),
            ("medchart-web", WorkloadKind::Deployment, Some(6)),
            ("medchart-cache", WorkloadKind::StatefulSet, Some(3)),
            ("node-exporter", WorkloadKind::DaemonSet, None),
            ("db-migrate", WorkloadKind::Job, Some(1)),
            ("medchart-nightly", WorkloadKind::Job, Some(4)),
            ("toolbox", WorkloadKind::Pod, Some(1)),
        ]
    );
    let api = workload(s, "medchart-api");
    // Native sidecar (restartPolicy: Always) adds to the app container.
    assert_eq!(
        (api.requests.cpu, api.requests.memory),
        (m(600), mi(768 + 128))
    );
    assert_eq!(
        api.extra_images,
        ["contoso.azurecr.io/otel-agent:0.104-ltsc2022"]
    );
    let web = workload(s, "medchart-web");
    assert_eq!(
        (web.requests.cpu, web.requests.memory),
        (m(1000), Some(Bytes::gib(2)))
    );
    assert_eq!(web.limits.unwrap().memory, Some(Bytes::gib(4)));
    assert_eq!(web.priority_class_name.as_deref(), Some("medchart-high"));
    assert_eq!(web.tolerations.len(), 1);
    // Limits only: requests default to the limits.
    let cache = workload(s, "medchart-cache");
    assert_eq!(
        (cache.requests.cpu, cache.requests.memory),
        (m(500), Some(Bytes::gib(1)))
    );
    assert_eq!(workload(s, "db-migrate").requests.cpu, m(250));
    assert!(s.workloads.iter().all(|w| w.bound_to.is_empty()));

    let img = |name: &str| s.images.iter().find(|i| i.name == name).unwrap();
    assert_eq!(
        img("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019")
            .catalog
            .as_deref(),
        Some("aspnet-4.8-ltsc2019")
    );
    let api_img = img("contoso.azurecr.io/medchart-api:1.4.0-ltsc2022");
    assert_eq!(
        (api_img.os, api_img.os_build.as_deref()),
        (Some(Os::Windows), Some("10.0.20348"))
    );
    assert!(api_img.layers.is_empty());

    assert_eq!(s.priority_classes.len(), 1);
    assert_eq!(s.priority_classes[0].value, 100_000);
    assert_eq!(s.disruption_budgets.len(), 1);
    assert_eq!(
        s.disruption_budgets[0].min_available,
        Some(poolcast_model::scenario::IntOrPercent::Percent(
            "50%".into()
        ))
    );

    // Ignored: listed once each, with counts; whole objects of other kinds too.
    let ig: BTreeMap<(&str, &str), usize> = imported
        .ignored
        .iter()
        .map(|f| ((f.kind.as_str(), f.path.as_str()), f.count))
        .collect();
    assert_eq!(
        ig.get(&("Service", "(whole object: kind not modelled)")),
        Some(&2)
    );
    assert_eq!(
        ig.get(&(
            "HorizontalPodAutoscaler",
            "(whole object: kind not modelled)"
        )),
        Some(&1)
    );
    assert!(ig.contains_key(&("Deployment", "spec.strategy")));
    assert!(ig.contains_key(&(
        "Deployment",
        "spec.template.spec.containers[].readinessProbe"
    )));
    assert!(ig.contains_key(&("StatefulSet", "spec.volumeClaimTemplates")));
    assert!(ig.contains_key(&("CronJob", "spec.schedule")));
    assert!(ig.contains_key(&("DaemonSet", "spec.template.spec.hostNetwork")));
}

#[test]
fn dump_and_manifests_combine() {
    let only_dump = run(&dump(), &[]).scenario;
    let both = run(&dump(), &manifests()).scenario;
    assert_eq!(
        both.pools.iter().map(|p| &p.name).collect::<Vec<_>>(),
        only_dump.pools.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
    assert_eq!(both.workloads.len(), only_dump.workloads.len() + 7);
    for w in &both.workloads[only_dump.workloads.len()..] {
        assert!(w.bound_to.is_empty(), "{} is new and unbound", w.name);
    }
    // redis:7.2.5 is on the dump's nodes, so the manifest's StatefulSet gets its size.
    let redis = both
        .images
        .iter()
        .find(|i| i.name == "docker.io/library/redis:7.2.5")
        .unwrap();
    assert_eq!(redis.layers[0].size, Bytes(41_943_040));
    let names: std::collections::BTreeSet<&str> =
        both.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names.len(), both.workloads.len());
}

#[test]
fn name_collisions_are_renamed_and_noted() {
    let extra = ManifestSource {
        name: "storefront.yaml".into(),
        text: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: storefront, namespace: shop}\n\
               spec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: web, image: contoso.azurecr.io/storefront:2.5.0}]\n"
            .into(),
    };
    let imported = run(&dump(), &[extra]);
    let w = workload(&imported.scenario, "storefront-shop");
    assert_eq!(w.replicas, Some(2));
    assert!(imported
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::Warning
            && n.subject == Subject::Workload("storefront-shop".into())));
}

#[test]
fn bad_input_gets_a_located_error() {
    let yaml = |text: &str| ManifestSource {
        name: "bad.yaml".into(),
        text: text.into(),
    };
    let cases: Vec<(ManifestSource, &str)> = vec![
        (yaml("kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - image: [unclosed\n"),
         "bad.yaml: document 1: line 6, column 1: did not find expected ',' or ']', while parsing a flow sequence"),
        (yaml("---\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: [{image: a}]}\n---\nkind: Deployment\nmetadata:\n  name: \"trunc"),
         "bad.yaml: document 2: line"),
        (yaml("kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n        resources: {requests: {cpu: lots}}\n"),
         "bad.yaml: document 1 (Deployment web): spec.template.spec.containers[0].resources.requests.cpu: 'lots' is not a CPU quantity"),
        (yaml("kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n"),
         "bad.yaml: document 1 (Deployment web): spec.template: missing pod template"),
        (yaml("apiVersion: v1\nmetadata: {name: x}\n"), "bad.yaml: document 1 (object ?): kind: missing"),
        (ManifestSource { name: "bad.json".into(), text: "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"".into() },
         "bad.json: line 1, column 40: EOF while parsing an object"),
    ];
    for (src, want) in cases {
        let err = import(&[], &[src], &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(want),
            "{err}\n  does not start with\n{want}"
        );
    }

    let mut value: serde_json::Value = serde_json::from_str(
        r#"{"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n1"},
            "status": {"allocatable": {"memory": "12GiB!"}}}]}"#,
    )
    .unwrap();
    let dump = [DumpSource {
        name: "nodes.json".into(),
        value: value.take(),
    }];
    let err = import(&dump, &[], &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("nodes.json: items[0] (Node n1): status.allocatable.memory: "),
        "{err}"
    );

    match import(&[], &[yaml("# nothing here\n")], &ImportOptions::default()) {
        Err(ImportError::Empty(_)) => {}
        other => panic!("{:?}", other.map(|i| i.scenario.metadata.name)),
    }
}

#[test]
fn imported_scenarios_pass_validate() {
    use poolcast_model::{parse_scenario, Format, Severity};
    for (what, d, mf) in [
        ("dump", dump(), vec![]),
        ("manifests", vec![], manifests()),
        ("both", dump(), manifests()),
    ] {
        let text = render_yaml(&run(&d, &mf)).unwrap();
        let (_, diags) = match parse_scenario(&text, Format::Yaml, "imported.yaml") {
            Ok(x) => x,
            Err(errors) => panic!("{what}: {errors:#?}"),
        };
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
        // What validate still warns about is what the input says: a manifest Pod without
        // an OS selector. The CSI DaemonSets' multi-platform images (`platforms`) are no
        // warning.
        for w in &diags {
            assert_eq!(w.code, "placement.os-selector-missing", "{what}: {w:?}");
            assert!(w.message.contains("'toolbox'"), "{what}: {}", w.message);
        }
        if what == "dump" {
            assert!(diags.is_empty(), "{diags:#?}");
        }
    }
}

mod corpus;

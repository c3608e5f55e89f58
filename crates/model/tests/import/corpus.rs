//! The import corpus (`tests/fixtures/import`): realistic dumps (AKS kubenet Linux-only, Azure
//! CNI Overlay with Windows pools, Cilium, a non-AKS cluster) and equivalents of five public
//! manifest sets. Every import must validate without edits, say the truth about the network
//! and the Kubernetes version, and give every image the right OS. A property test does the
//! same for generated dumps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use poolcast_model::catalog::Catalog;
use poolcast_model::diagnostic::codes;
use poolcast_model::import::{
    import, render_yaml, DumpSource, ImportError, ImportOptions, Imported, ManifestSource,
};
use poolcast_model::scenario::{Count, NetworkPlugin, Os, OsSku, PoolMode, Provider, VmSize};
use poolcast_model::{parse_scenario, Format, Scenario};
use proptest::prelude::*;
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import")
}

fn dump(file: &str) -> Vec<DumpSource> {
    let path = fixtures().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    vec![DumpSource {
        name: file.to_owned(),
        value: serde_json::from_str(&text).unwrap(),
    }]
}

fn manifest_set(folder: &str) -> Vec<ManifestSource> {
    let dir = fixtures().join("public").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| ManifestSource {
            name: format!("{folder}/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

const DUMPS: &[&str] = &[
    "aks-dump.json",
    "dumps/kubenet-linux.json",
    "dumps/overlay-win19-noversion.json",
    "dumps/cilium.json",
    "dumps/eks-generic.json",
];
const PUBLIC: &[&str] = &[
    "aks-windows-sample",
    "eshop-iis",
    "secrets-store-csi-windows",
    "aks-store-demo",
    "k8s-website-windows",
];

/// Imports, renders, and loads the YAML back through `parse_scenario` (validation
/// included); panics with every error if it does not validate.
fn import_valid(d: &[DumpSource], m: &[ManifestSource], what: &str) -> (Imported, Scenario) {
    let imported = import(d, m, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{what}: import failed: {e}"));
    let text = render_yaml(&imported).unwrap();
    match parse_scenario(&text, Format::Yaml, "imported.yaml") {
        Ok((s, _warnings)) => (imported, s),
        Err(diags) => {
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| format!("{}: {}: {}", d.code, d.path, d.message))
                .collect();
            panic!(
                "{what}: the imported scenario does not validate:\n{}\n{text}",
                errors.join("\n")
            )
        }
    }
}

#[test]
fn every_dump_and_manifest_set_validates_without_edits() {
    for d in DUMPS {
        import_valid(&dump(d), &[], d);
    }
    let mut all = Vec::new();
    for m in PUBLIC {
        let set = manifest_set(m);
        import_valid(&[], &set, m);
        all.extend(set);
    }
    import_valid(&[], &all, "all five manifest sets");
    for d in DUMPS {
        import_valid(&dump(d), &all, &format!("{d} + all manifests"));
    }
}

#[test]
fn kubenet_dump_is_kubenet_and_a_windows_pool_on_it_is_an_error() {
    let (imported, s) = import_valid(&dump("dumps/kubenet-linux.json"), &[], "kubenet");
    assert_eq!(s.cluster.network_plugin, NetworkPlugin::Kubenet);
    assert_eq!(s.cluster.kubernetes_version, "1.31");
    assert_eq!(s.pools.len(), 1);
    let pool = &s.pools[0];
    // No node carries the mode label: the pool that runs coredns is the System pool.
    assert_eq!(
        (pool.name.as_str(), pool.mode),
        ("nodepool1", PoolMode::System)
    );
    assert!(imported
        .notes
        .iter()
        .any(|n| n.message.contains("spec.podCIDR") && n.message.contains("kubenet")));
    assert!(pool.labels.is_empty(), "{:?}", pool.labels);

    let mut with_windows = s.clone();
    let mut win = pool.clone();
    win.name = "win22".to_owned();
    win.mode = PoolMode::User;
    win.os = Os::Windows;
    win.os_sku = Some(OsSku::Windows2022);
    win.nodes.clear();
    win.count = Some(Count::Fixed(1));
    with_windows.pools.push(win);
    let diags = poolcast_model::validate::validate(&with_windows);
    assert!(
        diags
            .iter()
            .any(|d| d.is_error() && d.code == codes::AKS_WINDOWS_NETWORK),
        "{diags:?}"
    );
}

#[test]
fn dumps_say_the_truth_about_network_version_and_provider() {
    let (_, s) = import_valid(&dump("dumps/overlay-win19-noversion.json"), &[], "win19");
    assert_eq!(s.cluster.network_plugin, NetworkPlugin::AzureCniOverlay);
    // No kubeletVersion: the newest version AKS offers Windows Server 2019 on.
    assert_eq!(s.cluster.kubernetes_version, "1.32");
    let skus: BTreeMap<&str, Option<OsSku>> = s
        .pools
        .iter()
        .map(|p| (p.name.as_str(), p.os_sku))
        .collect();
    assert_eq!(skus["win19"], Some(OsSku::Windows2019));

    let (_, s) = import_valid(&dump("dumps/cilium.json"), &[], "cilium");
    assert_eq!(s.cluster.network_plugin, NetworkPlugin::AzureCniCilium);
    assert_eq!(s.cluster.kubernetes_version, "1.33");

    let (_, s) = import_valid(&dump("dumps/eks-generic.json"), &[], "eks");
    assert_eq!(s.cluster.provider, Provider::Generic);
    assert_eq!(s.cluster.kubernetes_version, "1.30");
    assert_eq!(s.pools.len(), 2);
    for p in &s.pools {
        match &p.vm_size {
            VmSize::Inline(v) => assert!(
                matches!(v.name.as_deref(), Some("m5.large" | "c5.2xlarge")),
                "{v:?}"
            ),
            other => panic!("{}: an EC2 type is not an Azure size: {other:?}", p.name),
        }
        assert_eq!(p.labels.get("team").map(String::as_str), Some("platform"));
        assert!(!p.labels.contains_key("eks.amazonaws.com/nodegroup") || p.labels.len() > 1);
    }
}

/// The OS the scenario gives an image: its own `os`, else its catalog entry's.
fn image_os(s: &Scenario, name: &str) -> Os {
    let img = s
        .images
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no image {name}"));
    match (img.os, &img.catalog) {
        (Some(os), _) => os,
        (None, Some(key)) => Catalog::builtin().image(key).unwrap().os,
        (None, None) => panic!("{name} has neither os nor catalog"),
    }
}

#[test]
fn public_manifests_import_with_the_right_os_for_every_image() {
    let want: &[(&str, &[(&str, Os)])] = &[
        (
            "aks-windows-sample",
            &[(
                "mcr.microsoft.com/dotnet/framework/samples:aspnetapp",
                Os::Windows,
            )],
        ),
        (
            "eshop-iis",
            &[
                ("microsoft/iis", Os::Windows),
                (
                    "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019",
                    Os::Windows,
                ),
                ("mcr.microsoft.com/mssql/server:2019-latest", Os::Linux),
            ],
        ),
        (
            "secrets-store-csi-windows",
            &[
                (
                    "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.11.1",
                    Os::Windows,
                ),
                (
                    "registry.k8s.io/csi-secrets-store/driver:v1.4.5",
                    Os::Windows,
                ),
                (
                    "registry.k8s.io/sig-storage/livenessprobe:v2.13.1",
                    Os::Windows,
                ),
            ],
        ),
        (
            "aks-store-demo",
            &[
                (
                    "mcr.microsoft.com/mirror/docker/library/rabbitmq:3.10-management-alpine",
                    Os::Linux,
                ),
                (
                    "ghcr.io/azure-samples/aks-store-demo/order-service:latest",
                    Os::Linux,
                ),
                ("busybox", Os::Linux),
                (
                    "ghcr.io/azure-samples/aks-store-demo/product-service:latest",
                    Os::Linux,
                ),
                (
                    "ghcr.io/azure-samples/aks-store-demo/store-front:latest",
                    Os::Linux,
                ),
            ],
        ),
        (
            "k8s-website-windows",
            &[
                ("mcr.microsoft.com/windows/servercore:ltsc2019", Os::Windows),
                ("mcr.microsoft.com/windows/nanoserver:ltsc2022", Os::Windows),
            ],
        ),
    ];
    for (set, images) in want {
        let (imported, s) = import_valid(&[], &manifest_set(set), set);
        assert_eq!(s.images.len(), images.len(), "{set}: {:?}", s.images);
        for (name, os) in *images {
            assert_eq!(image_os(&s, name), *os, "{set}: {name}");
        }
        // A Windows pool is proposed whenever a Windows image is used, OS selector or not.
        let windows = images.iter().any(|(_, os)| *os == Os::Windows);
        assert_eq!(
            s.pools.iter().any(|p| p.os == Os::Windows),
            windows,
            "{set}"
        );
        if *set == "eshop-iis" {
            // How the OS was decided is said next to the image.
            assert!(imported
                .notes
                .iter()
                .any(|n| n.message.contains("Windows-only microsoft/")));
        }
    }
}

#[test]
fn eshop_without_os_selectors_is_flagged_not_hidden() {
    let m = manifest_set("eshop-iis");
    let imported = import(&[], &m, &ImportOptions::default()).unwrap();
    let text = render_yaml(&imported).unwrap();
    let (_, warnings) = parse_scenario(&text, Format::Yaml, "eshop.yaml").unwrap();
    for w in ["eshop-web", "eshop-wcf"] {
        assert!(
            warnings
                .iter()
                .any(|d| d.code == codes::OS_SELECTOR_MISSING && d.message.contains(w)),
            "{w}: {warnings:?}"
        );
    }
}

#[test]
fn placeholder_images_are_errors_with_file_and_path() {
    let src = ManifestSource {
        name: "deploy/app.yaml".to_owned(),
        text: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: app, image: <image-name>}\n".to_owned(),
    };
    match import(&[], &[src], &ImportOptions::default()) {
        Err(ImportError::Invalid {
            source_name,
            path,
            message,
            ..
        }) => {
            assert_eq!(source_name, "deploy/app.yaml");
            assert_eq!(path, "spec.template.spec.containers[0].image");
            assert!(message.contains("placeholder"), "{message}");
        }
        other => panic!("{:?}", other.map(|i| i.scenario.workloads.len())),
    }
}

/// One generated node pool: (os/build, node count, agentpool label, mode label, instance
/// type label (none, a D-series, a B-series size), maxPods).
type GenPool = (u8, u8, bool, u8, u8, u8);

fn gen_dump(pools: &[GenPool], version: Option<u8>, net: u8, azure_id: bool) -> Value {
    let mut items = Vec::new();
    let windows_pools = pools.iter().any(|p| p.0 > 0);
    for (pi, (os_build, count, named, mode, typed, max_pods)) in pools.iter().enumerate() {
        let (os, build) = match os_build {
            0 => ("linux", None),
            1 => ("windows", Some("10.0.17763")),
            2 => ("windows", Some("10.0.20348")),
            _ => ("windows", Some("10.0.26100")),
        };
        let pool = if os == "windows" {
            format!("win{pi}")
        } else {
            format!("pool{pi}")
        };
        for i in 0..*count {
            let name = format!("aks-{pool}-{i}");
            let mut labels = json!({"kubernetes.io/os": os, "kubernetes.io/hostname": name,
                "topology.kubernetes.io/region": "eastus", "topology.kubernetes.io/zone": "0"});
            if *named {
                labels["kubernetes.azure.com/agentpool"] = json!(pool);
            }
            match mode {
                // AKS allows no Windows and no B-series System pool.
                1 if os == "linux" && *typed != 2 => {
                    labels["kubernetes.azure.com/mode"] = json!("system")
                }
                2 => labels["kubernetes.azure.com/mode"] = json!("user"),
                _ => {}
            }
            match typed {
                1 => labels["node.kubernetes.io/instance-type"] = json!("Standard_D8s_v5"),
                2 => labels["node.kubernetes.io/instance-type"] = json!("Standard_B4ms"),
                _ => {}
            }
            if let Some(b) = build {
                labels["node.kubernetes.io/windows-build"] = json!(b);
            }
            match net {
                1 => labels["kubernetes.azure.com/azure-cni-overlay"] = json!("true"),
                2 if !windows_pools => {
                    labels["kubernetes.azure.com/ebpf-dataplane"] = json!("cilium")
                }
                _ => {}
            }
            let pods = [30, 110, 250][usize::from(*max_pods % 3)];
            let mut spec = json!({});
            if net == 3 {
                spec["podCIDR"] = json!(format!("10.244.{}.0/24", items.len()));
            }
            if azure_id {
                spec["providerID"] = json!(format!("azure:///x/{name}"));
            }
            let mut info = json!({"operatingSystem": os});
            if let Some(v) = version {
                info["kubeletVersion"] = json!(format!("v1.{}.2", 26 + u32::from(v % 12)));
            }
            items.push(json!({"kind": "Node", "metadata": {"name": name, "labels": labels},
                "spec": spec,
                "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": pods.to_string()},
                           "allocatable": {"cpu": "7820m", "memory": "26Gi", "pods": pods.to_string()},
                           "nodeInfo": info}}));
        }
    }
    json!({"kind": "List", "apiVersion": "v1", "items": items})
}

/// 64 cases, or `PROPTEST_CASES` when set (README, "Testing").
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    /// Any dump shaped like a real cluster imports into a scenario that validates.
    #[test]
    fn every_import_of_a_generated_dump_validates(
        pools in prop::collection::vec((0u8..4, 1u8..4, any::<bool>(), 0u8..3, 0u8..3, 0u8..3), 1..5),
        version in prop::option::of(0u8..14),
        net in 0u8..4,
        azure_id in any::<bool>(),
    ) {
        let value = gen_dump(&pools, version, net, azure_id);
        let d = vec![DumpSource { name: "gen.json".to_owned(), value }];
        import_valid(&d, &[], "generated dump");
    }
}

//! `az aks nodepool` commands and Bicep `agentPools` resources for a layout of pools: the
//! code behind `poolcast emit SCENARIO --format az|bicep` (any scenario as written) and
//! `poolcast plan --emit az|bicep` (the planner's recommendation).
//!
//! What AKS accepts, and nothing else:
//! - No reserved label: keys in `kubernetes.azure.com`, `kubernetes.io` or `k8s.io` (and
//!   their subdomains) are left out and listed in a comment
//!   ([`poolcast_model::catalog::aks::is_reserved_node_label`]).
//! - Pools that exist (`existing: true`, or imported with their nodes) are changed in place
//!   with `az aks nodepool scale` / `update`; new pools are created with `add`. AKS cannot
//!   change an existing pool's VM size (AKSDOCS `manage-node-pools.md`: "You can't change
//!   the VM size of a node pool after you create it"), so a new size for an existing pool
//!   is a comment with the steps, not a command.
//! - Autoscaled pools: `--enable-cluster-autoscaler --min-count --max-count`
//!   (`--update-cluster-autoscaler` on an existing pool) and `enableAutoScaling, minCount,
//!   maxCount` (AKSDOCS `cluster-autoscaler.md`).
//! - HA notes from the layout (zones, System pool size) are printed as comments.

use std::fmt::Write as _;

use poolcast_model::catalog::aks::is_reserved_node_label;
use poolcast_sim::plan::PoolLayout;

/// AKS agent pool API version the Bicep targets (REST `Agent Pools - Create Or Update`,
/// learn.microsoft.com/rest/api/aks/agent-pools/create-or-update; schema
/// Azure/azure-rest-api-specs `aks/stable/2025-05-01/managedClusters.json`).
pub const AGENT_POOL_API_VERSION: &str = "2025-05-01";

/// OS SKUs the 2025-05-01 schema lists (`OSSKU` enum, `modelAsString`); others are sent as
/// strings for AKS to judge, with a comment.
const OS_SKUS_2025_05_01: [&str; 6] = [
    "Ubuntu",
    "CBLMariner",
    "AzureLinux",
    "Windows2019",
    "Windows2022",
    "Ubuntu2204",
];

/// What the output is about, for its header comment.
#[derive(Debug, Clone)]
pub struct Header {
    /// `poolcast plan NAME (region)` or `poolcast emit NAME (region)`.
    pub title: String,
    /// Monthly cost line, when known.
    pub cost: Option<String>,
    /// Why nothing is emitted (no layout met the targets).
    pub infeasible: Option<String>,
}

/// Which pools get commands: every pool (`emit`), or only the sized ones (`plan --emit`),
/// the others listed as unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every pool.
    All,
    /// Pools the planner sized.
    Sized,
}

fn os_type(l: &PoolLayout) -> &'static str {
    if l.os == "windows" {
        "Windows"
    } else {
        "Linux"
    }
}

/// The pool's labels AKS accepts, and the reserved ones left out.
fn split_labels(l: &PoolLayout) -> (Vec<(&String, &String)>, Vec<&String>) {
    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for (k, v) in &l.labels {
        if is_reserved_node_label(k) {
            dropped.push(k);
        } else {
            keep.push((k, v));
        }
    }
    (keep, dropped)
}

fn resized(l: &PoolLayout) -> Option<&str> {
    l.current_vm_size
        .as_deref()
        .filter(|c| !c.eq_ignore_ascii_case(&l.vm_size))
}

fn comment_notes(out: &mut String, l: &PoolLayout, prefix: &str) {
    for n in &l.notes {
        let _ = writeln!(out, "{prefix} {}: {n}", l.pool);
    }
    let (_, dropped) = split_labels(l);
    if !dropped.is_empty() {
        let _ = writeln!(
            out,
            "{prefix} {}: labels left out, reserved for AKS/Kubernetes (set by AKS or the kubelet, refused in a pool definition): {}",
            l.pool,
            dropped
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "unpriced".into(), |u| format!("{u:.2} USD/month"))
}

/// `az aks nodepool` commands for `pools`.
pub fn az(h: &Header, pools: &[PoolLayout], scope: Scope) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}{}. Set RESOURCE_GROUP and CLUSTER first.",
        h.title,
        h.cost
            .as_deref()
            .map_or(String::new(), |c| format!(": {c}"))
    );
    if let Some(why) = &h.infeasible {
        let _ = writeln!(out, "# No layout meets the targets: {why}");
        return out;
    }
    if pools.iter().any(|l| l.azure_hybrid_benefit) {
        let _ = writeln!(
            out,
            "# Azure Hybrid Benefit is a cluster setting: az aks update --resource-group \"$RESOURCE_GROUP\" --name \"$CLUSTER\" --enable-ahub"
        );
    }
    let target = "--resource-group \"$RESOURCE_GROUP\" --cluster-name \"$CLUSTER\"";
    for l in pools {
        if scope == Scope::Sized && !l.sized {
            let _ = writeln!(
                out,
                "# {}: unchanged ({} x {}, not sized)",
                l.pool, l.nodes, l.vm_size
            );
            continue;
        }
        let (labels, _) = split_labels(l);
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let size = match l.autoscale {
            Some(a) => format!("{}-{} x {} (autoscaled)", a.min, a.max, l.vm_size),
            None => format!("{} x {}", l.nodes, l.vm_size),
        };
        let _ = writeln!(
            out,
            "# {}: {size}, {} on {} prices{}",
            l.pool,
            money(l.cost_per_month),
            l.pricing.as_str(),
            if l.existing { ", existing pool" } else { "" }
        );
        comment_notes(&mut out, l, "#");
        if l.existing {
            if let Some(old) = resized(l) {
                let _ = writeln!(
                    out,
                    "# {p}: AKS cannot change the VM size of an existing pool ({old} -> {new}). Add a pool of {new} under a new name, then cordon, drain and delete {p}:\n#   az aks nodepool delete {target} --name {p}",
                    p = l.pool,
                    new = l.vm_size
                );
                continue;
            }
            let c = match l.autoscale {
                Some(a) => format!(
                    "az aks nodepool update {target} --name {} --update-cluster-autoscaler --min-count {} --max-count {}",
                    l.pool, a.min, a.max
                ),
                None => format!(
                    "az aks nodepool scale {target} --name {} --node-count {}",
                    l.pool, l.nodes
                ),
            };
            let _ = writeln!(out, "{c}");
            if !labels.is_empty() || !l.taints.is_empty() {
                let mut u = format!("az aks nodepool update {target} --name {}", l.pool);
                if !labels.is_empty() {
                    let _ = write!(u, " --labels {}", labels.join(" "));
                }
                if !l.taints.is_empty() {
                    let _ = write!(u, " --node-taints {}", l.taints.join(","));
                }
                let _ = writeln!(out, "{u}");
            }
            continue;
        }
        if l.nodes == 0 && l.autoscale.is_none() && l.sized {
            let _ = writeln!(out, "# {}: no node needed", l.pool);
            continue;
        }
        let mut c = format!(
            "az aks nodepool add {target} --name {} --mode {} --os-type {} --os-sku {} --node-vm-size {} --node-count {}",
            l.pool,
            l.mode,
            os_type(l),
            l.os_sku,
            l.vm_size,
            l.nodes
        );
        if let Some(a) = l.autoscale {
            let _ = write!(
                c,
                " --enable-cluster-autoscaler --min-count {} --max-count {}",
                a.min, a.max
            );
        }
        let _ = write!(c, " --max-pods {}", l.max_pods);
        if !l.zones.is_empty() {
            let _ = write!(c, " --zones {}", l.zones.join(" "));
        }
        if !labels.is_empty() {
            let _ = write!(c, " --labels {}", labels.join(" "));
        }
        if !l.taints.is_empty() {
            let _ = write!(c, " --node-taints {}", l.taints.join(","));
        }
        if let Some(t) = &l.os_disk_type {
            let _ = write!(c, " --node-osdisk-type {t}");
        }
        if let Some(g) = l.os_disk_size_gib {
            let _ = write!(c, " --node-osdisk-size {g}");
        }
        let _ = writeln!(out, "{c}");
    }
    out
}

fn bicep_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A Bicep file with one `Microsoft.ContainerService/managedClusters/agentPools` resource
/// per pool. An existing pool is the same resource: deploying it updates the pool in place
/// (count, autoscaler, labels, taints); its VM size, OS disk, maxPods and zones must match
/// the live pool.
pub fn bicep(h: &Header, pools: &[PoolLayout], scope: Scope) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// {}{}.",
        h.title,
        h.cost
            .as_deref()
            .map_or(String::new(), |c| format!(": {c}"))
    );
    if let Some(why) = &h.infeasible {
        let _ = writeln!(out, "// No layout meets the targets: {why}");
        return out;
    }
    let _ = writeln!(
        out,
        "param clusterName string\n\nresource aks 'Microsoft.ContainerService/managedClusters@{AGENT_POOL_API_VERSION}' existing = {{\n  name: clusterName\n}}\n"
    );
    for l in pools {
        if scope == Scope::Sized && !l.sized {
            let _ = writeln!(
                out,
                "// {}: unchanged ({} x {}, not sized)",
                l.pool, l.nodes, l.vm_size
            );
            continue;
        }
        comment_notes(&mut out, l, "//");
        if l.existing {
            if let Some(old) = resized(l) {
                let _ = writeln!(
                    out,
                    "// {}: AKS cannot change the VM size of an existing pool ({old} -> {}); add a pool under a new name and delete this one after draining it.\n",
                    l.pool, l.vm_size
                );
                continue;
            }
            let _ = writeln!(
                out,
                "// {}: existing pool, updated in place; vmSize, osDisk, maxPods and zones must match the live pool.",
                l.pool
            );
        }
        if !OS_SKUS_2025_05_01.contains(&l.os_sku.as_str()) {
            let _ = writeln!(
                out,
                "// {}: osSKU {} is newer than the {AGENT_POOL_API_VERSION} schema's list; AKS accepts it on API versions that know it.",
                l.pool, l.os_sku
            );
        }
        let (labels, _) = split_labels(l);
        let _ = writeln!(
            out,
            "resource pool_{} 'Microsoft.ContainerService/managedClusters/agentPools@{AGENT_POOL_API_VERSION}' = {{",
            l.pool
        );
        let _ = writeln!(
            out,
            "  parent: aks\n  name: {}\n  properties: {{",
            bicep_str(&l.pool)
        );
        let _ = writeln!(out, "    mode: {}", bicep_str(&l.mode));
        let _ = writeln!(out, "    osType: {}", bicep_str(os_type(l)));
        let _ = writeln!(out, "    osSKU: {}", bicep_str(&l.os_sku));
        let _ = writeln!(out, "    vmSize: {}", bicep_str(&l.vm_size));
        let _ = writeln!(out, "    type: 'VirtualMachineScaleSets'");
        let _ = writeln!(out, "    count: {}", l.nodes);
        if let Some(a) = l.autoscale {
            let _ = writeln!(out, "    enableAutoScaling: true");
            let _ = writeln!(out, "    minCount: {}", a.min);
            let _ = writeln!(out, "    maxCount: {}", a.max);
        }
        let _ = writeln!(out, "    maxPods: {}", l.max_pods);
        if !l.zones.is_empty() {
            let z: Vec<String> = l.zones.iter().map(|z| bicep_str(z)).collect();
            let _ = writeln!(out, "    availabilityZones: [{}]", z.join(", "));
        }
        if !labels.is_empty() {
            let _ = writeln!(out, "    nodeLabels: {{");
            for (k, v) in labels {
                let _ = writeln!(out, "      {}: {}", bicep_str(k), bicep_str(v));
            }
            let _ = writeln!(out, "    }}");
        }
        if !l.taints.is_empty() {
            let t: Vec<String> = l.taints.iter().map(|t| bicep_str(t)).collect();
            let _ = writeln!(out, "    nodeTaints: [{}]", t.join(", "));
        }
        if let Some(t) = &l.os_disk_type {
            let _ = writeln!(out, "    osDiskType: {}", bicep_str(t));
        }
        if let Some(g) = l.os_disk_size_gib {
            let _ = writeln!(out, "    osDiskSizeGB: {g}");
        }
        let _ = writeln!(out, "  }}\n}}\n");
    }
    out
}

/// `poolcast emit SCENARIO --format az|bicep`: every pool of the scenario as written.
pub fn run(args: &crate::args::EmitArgs) -> anyhow::Result<std::process::ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let pools = poolcast_sim::plan::layout(&scenario)?;
    let per_month: Option<f64> = pools
        .iter()
        .map(|l| l.cost_per_month)
        .try_fold(0.0, |acc, c| c.map(|c| acc + c));
    let region = scenario.cluster.region.as_deref().unwrap_or("eastus");
    let h = Header {
        title: format!("poolcast emit {} ({region})", scenario.metadata.name),
        cost: Some(match per_month {
            Some(c) => format!("{c:.2} USD/month at the written counts (autoscaled pools at min)"),
            None => "cost incomplete: some pools are unpriced".to_owned(),
        }),
        infeasible: None,
    };
    match args.format {
        crate::args::Emit::Az => print!("{}", az(&h, &pools, Scope::All)),
        crate::args::Emit::Bicep => print!("{}", bicep(&h, &pools, Scope::All)),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

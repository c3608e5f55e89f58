//! The Windows migration what-if: a Windows Server version cannot be upgraded in place
//! (AKS: "upgrading Windows means a new pool"; MicrosoftDocs/azure-aks-docs
//! `upgrade-windows-os.md`), so the move from a Windows2019 pool is: add a pool of the new
//! SKU, let the workloads select it, then cordon and drain the old pool.
//!
//! [`migrate`] rewrites a scenario into that what-if and checks OS-build parity statically:
//! under process isolation a host of build >= 20348 runs only image builds from 20348 up
//! to its own, and an older host only its exact build (`poolcast_model::windows`), so an
//! image built on servercore ltsc2019 (10.0.17763) fails on a 2022 host until it is rebuilt
//! (or published as a manifest list with a 20348 entry). Running the rewritten scenario
//! shows the same breaks as `OsVersionMismatch` pods.

use std::collections::BTreeMap;

use poolcast_model::catalog::{aks, Catalog};
use poolcast_model::scenario::{
    Count, Event, NodeAffinity, NodeSelection, NodeSelector, NodeSelectorOperator,
    NodeSelectorRequirement, NodeSelectorTerm, Os, OsSku, Pool, Scenario,
};
use poolcast_model::windows::windows_build_runs;
use poolcast_model::Duration;

use crate::SimError;

/// Labels whose value names the old pool, its SKU or its build; a workload selecting one
/// of them is moved by widening the selector to the new pool's value.
const POOL_LABELS: [&str; 3] = [
    "kubernetes.azure.com/agentpool",
    "kubernetes.azure.com/os-sku",
    "node.kubernetes.io/windows-build",
];

/// Whether a workload's images run on the new pool's hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParityFinding {
    /// Workload.
    pub workload: String,
    /// Its image (the first that does not run, else its main image).
    pub image: String,
    /// Windows builds the image is published for (`10.0.17763`).
    pub image_builds: Vec<String>,
    /// The new hosts' build.
    pub host_build: String,
    /// Runs on the new hosts as built.
    pub runs: bool,
    /// What to do.
    pub message: String,
}

/// The rewritten scenario and what the rewrite found.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The what-if scenario (validated).
    pub scenario: Scenario,
    /// The added pool.
    pub new_pool: String,
    /// Workloads whose selectors were widened to the new pool.
    pub moved: Vec<String>,
    /// One finding per Windows workload.
    pub parity: Vec<ParityFinding>,
    /// When the new pool's nodes are requested.
    pub add_at: Duration,
    /// When the old pool is cordoned and drained.
    pub drain_at: Duration,
}

/// A free AKS Windows pool name (at most 6 characters) for `sku`.
fn new_pool_name(scn: &Scenario, sku: OsSku) -> String {
    let short = match sku {
        OsSku::Windows2019 => "19",
        OsSku::Windows2022 => "22",
        _ => "25",
    };
    let taken = |n: &str| scn.pools.iter().any(|p| p.name == n);
    let first = format!("win{short}");
    if !taken(&first) {
        return first;
    }
    (b'a'..=b'z')
        .map(|c| format!("w{short}{}", c as char))
        .find(|n| !taken(n))
        .unwrap_or_else(|| format!("w{short}zz"))
}

/// Widens `key: old` in a workload's selectors to `key In [old, new]`.
fn widen(w: &mut poolcast_model::scenario::Workload, key: &str, old: &str, new: &str) -> bool {
    let mut changed = false;
    let req = NodeSelectorRequirement {
        key: key.to_owned(),
        operator: NodeSelectorOperator::In,
        values: vec![old.to_owned(), new.to_owned()],
    };
    if w.node_selector.get(key).is_some_and(|v| v == old) {
        w.node_selector.remove(key);
        let aff = w.affinity.get_or_insert_with(Default::default);
        let na = aff.node_affinity.get_or_insert_with(NodeAffinity::default);
        let sel = na
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(|| NodeSelector {
                node_selector_terms: Vec::new(),
            });
        if sel.node_selector_terms.is_empty() {
            sel.node_selector_terms.push(NodeSelectorTerm {
                match_expressions: Vec::new(),
                match_fields: Vec::new(),
            });
        }
        // nodeSelector is ANDed with every term.
        for t in &mut sel.node_selector_terms {
            t.match_expressions.push(req.clone());
        }
        changed = true;
    }
    if let Some(sel) = w
        .affinity
        .as_mut()
        .and_then(|a| a.node_affinity.as_mut())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_mut()
        })
    {
        for t in &mut sel.node_selector_terms {
            for e in &mut t.match_expressions {
                if e.key == key
                    && e.operator == NodeSelectorOperator::In
                    && e.values.iter().any(|v| v == old)
                    && !e.values.iter().any(|v| v == new)
                {
                    e.values.push(new.to_owned());
                    changed = true;
                }
            }
        }
    }
    changed
}

/// Rewrites `scn` into the migration of Windows pool `pool` to `to`: a pool `win22` (or
/// the next free name) with the same VM size, labels and taints, no nodes at first and as
/// many as the old pool added at `at`; selectors naming the old pool, SKU or build widened
/// to the new one; the old pool cordoned and drained once the new nodes are Ready (the
/// provisioning time plus a minute). `upgrade` events of the old pool are dropped.
pub fn migrate(scn: &Scenario, pool: &str, to: OsSku, at: Duration) -> Result<Migration, SimError> {
    let minor = crate::resolve::k8s_minor(&scn.cluster.kubernetes_version).ok_or_else(|| {
        SimError::Invalid(format!(
            "kubernetesVersion '{}' is not MAJOR.MINOR",
            scn.cluster.kubernetes_version
        ))
    })?;
    let old = scn
        .pools
        .iter()
        .find(|p| p.name == pool)
        .ok_or_else(|| SimError::Invalid(format!("no pool is named '{pool}'")))?;
    if old.os != Os::Windows || to.os() != Os::Windows {
        return Err(SimError::Invalid(format!(
            "a migration moves a Windows pool to another Windows SKU; pool {pool} is {} and {to:?} is {}",
            old.os,
            to.os()
        )));
    }
    let old_sku = crate::resolve::os_sku_of(old, crate::resolve::pool_minor(old, minor));
    if old_sku == to {
        return Err(SimError::Invalid(format!(
            "pool {pool} already runs {to:?}"
        )));
    }
    if !aks::os_sku_supported(to, (1, minor)) {
        return Err(SimError::Invalid(format!(
            "AKS does not offer {to:?} pools on Kubernetes 1.{minor}"
        )));
    }
    let new_name = new_pool_name(scn, to);
    let (old_build, new_build) = (
        old_sku.windows_build().unwrap_or(0),
        to.windows_build().unwrap_or(0),
    );
    let count = match (old.count, old.autoscale) {
        (Some(Count::Fixed(n)), _) => n,
        (_, Some(a)) => a.min.max(1),
        _ => 1,
    }
    .max(1);
    let mut out = scn.clone();
    let mut labels = old.labels.clone();
    labels.remove("kubernetes.azure.com/agentpool");
    out.pools.push(Pool {
        name: new_name.clone(),
        os_sku: Some(to),
        count: Some(Count::Fixed(0)),
        autoscale: None,
        nodes: Vec::new(),
        kubernetes_version: None,
        labels,
        ..old.clone()
    });
    let values: BTreeMap<&str, (String, String)> = [
        (POOL_LABELS[0], (pool.to_owned(), new_name.clone())),
        (POOL_LABELS[1], (format!("{old_sku:?}"), format!("{to:?}"))),
        (
            POOL_LABELS[2],
            (format!("10.0.{old_build}"), format!("10.0.{new_build}")),
        ),
    ]
    .into_iter()
    .collect();
    let mut moved = Vec::new();
    for w in &mut out.workloads {
        let mut changed = false;
        for (key, (o, n)) in &values {
            changed |= widen(w, key, o, n);
        }
        if changed {
            moved.push(w.name.clone());
        }
    }
    out.events
        .retain(|e| e.upgrade.as_ref().is_none_or(|u| u.pool != pool));
    let provision = poolcast_model::catalog::provisioning::node_ready_time(Os::Windows)
        .default
        .as_ms();
    let drain_at = Duration::ms(at.as_ms() + provision + 60_000);
    let event = |at: Duration| Event {
        at,
        scale: None,
        fail_nodes: None,
        cordon: None,
        drain: None,
        add_nodes: None,
        upgrade: None,
    };
    out.events.push(Event {
        add_nodes: Some(NodeSelection {
            pool: new_name.clone(),
            count: Some(count),
        }),
        ..event(at)
    });
    out.events.push(Event {
        drain: Some(NodeSelection {
            pool: pool.to_owned(),
            count: Some(count + old.nodes.len() as u32),
        }),
        ..event(drain_at)
    });
    out.events.sort_by_key(|e| e.at);
    // Room for the moved pods to pull and start on the new hosts.
    let need = Duration::ms(drain_at.as_ms() + 30 * 60_000);
    if out.sim.horizon < need {
        out.sim.horizon = need;
    }
    let diags = poolcast_model::validate::validate(&out);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(SimError::Invalid(format!(
            "the migration scenario is invalid: {}: {}",
            d.path, d.message
        )));
    }
    let parity = parity(&out, new_build)?;
    Ok(Migration {
        scenario: out,
        new_pool: new_name,
        moved,
        parity,
        add_at: at,
        drain_at,
    })
}

/// Per Windows workload: do its images run on hosts of `host`?
fn parity(scn: &Scenario, host: u32) -> Result<Vec<ParityFinding>, SimError> {
    let r = crate::resolve::resolve(scn, Catalog::builtin())?;
    let mut out = Vec::new();
    for rw in &r.workloads {
        let imgs: Vec<&crate::resolve::ResolvedImage> =
            rw.images.iter().map(|i| &r.images[i.idx()]).collect();
        let windows: Vec<_> = imgs
            .iter()
            .filter(|i| i.os == Os::Windows || i.platforms.iter().any(|p| p.os == Os::Windows))
            .collect();
        if windows.is_empty() {
            continue;
        }
        let builds_of = |i: &crate::resolve::ResolvedImage| -> Vec<Option<u32>> {
            std::iter::once((i.os, i.windows_build))
                .chain(i.platforms.iter().map(|p| (p.os, p.windows_build)))
                .filter(|(os, _)| *os == Os::Windows)
                .map(|(_, b)| b)
                .collect()
        };
        let fits = |i: &crate::resolve::ResolvedImage| {
            builds_of(i)
                .into_iter()
                .any(|b| b.is_none_or(|b| windows_build_runs(host, b)))
        };
        let bad = windows.iter().find(|i| !fits(i));
        let shown = bad.copied().unwrap_or(windows[0]);
        let image_builds: Vec<String> = builds_of(shown)
            .into_iter()
            .map(|b| b.map_or_else(|| "any".to_owned(), |b| format!("10.0.{b}")))
            .collect();
        let runs = bad.is_none();
        let message = if runs {
            format!("runs on 10.0.{host} hosts")
        } else {
            format!(
                "fails on 10.0.{host} hosts with OsVersionMismatch (HCS_E_IMAGE_MISMATCH) unless {} is rebuilt on a base of build 10.0.{host} or later (or published with such a platform)",
                shown.name
            )
        };
        out.push(ParityFinding {
            workload: rw.workload.name.clone(),
            image: shown.name.clone(),
            image_builds,
            host_build: format!("10.0.{host}"),
            runs,
            message,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: m}
cluster: {kubernetesVersion: "1.32"}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 1}
  - {name: win19, os: windows, osSku: Windows2019, vmSize: Standard_D4s_v5, count: 2}
images:
  - {name: "old:1", catalog: aspnet-4.8-ltsc2019}
  - {name: "new:1", catalog: aspnet-4.8-ltsc2022}
workloads:
  - {name: a, kind: Deployment, replicas: 1, image: "old:1", nodeSelector: {kubernetes.azure.com/agentpool: win19}}
  - {name: b, kind: Deployment, replicas: 1, image: "new:1", nodeSelector: {kubernetes.io/os: windows}}
"#;

    #[test]
    fn rewrites_selectors_adds_the_pool_and_finds_parity_breaks() {
        let (s, _) =
            poolcast_model::parse_scenario(S, poolcast_model::Format::Yaml, "t").expect("valid");
        let m = migrate(&s, "win19", OsSku::Windows2022, Duration::mins(20)).expect("migrates");
        assert_eq!(m.new_pool, "win22");
        assert_eq!(m.moved, vec!["a".to_owned()]);
        let a = &m.scenario.workloads[0];
        assert!(!a
            .node_selector
            .contains_key("kubernetes.azure.com/agentpool"));
        let req = &a
            .affinity
            .as_ref()
            .unwrap()
            .node_affinity
            .as_ref()
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .as_ref()
            .unwrap()
            .node_selector_terms[0]
            .match_expressions[0];
        assert_eq!(req.values, vec!["win19".to_owned(), "win22".to_owned()]);
        let verdict: Vec<(&str, bool)> = m
            .parity
            .iter()
            .map(|p| (p.workload.as_str(), p.runs))
            .collect();
        assert_eq!(verdict, vec![("a", false), ("b", true)]);
        assert_eq!(m.parity[0].image_builds, vec!["10.0.17763".to_owned()]);
        // Add the new nodes, then drain the old pool once they are Ready.
        assert!(m.drain_at > m.add_at);
        assert!(m.scenario.events.iter().any(|e| e.drain.is_some()));
        // A Linux pool or the same SKU is not a migration.
        assert!(migrate(&s, "system", OsSku::Windows2022, Duration::mins(1)).is_err());
        assert!(migrate(&s, "win19", OsSku::Windows2019, Duration::mins(1)).is_err());
    }
}

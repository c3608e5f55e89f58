//! `poolcast catalog`: prints the embedded catalogs (VM sizes with prices, well-known
//! images, AKS system pods) and the allocatable AKS leaves on each size, as tables for
//! people or JSON for scripts. The rows come from `poolcast_model::catalog::rows`; this
//! module only picks columns and formats.

use std::process::ExitCode;

use anyhow::{bail, Context};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use poolcast_model::catalog::{aks, rows, Catalog};
use poolcast_model::scenario::Os;
use serde::Serialize;

use crate::args::{CatalogArgs, CatalogWhat, OsArg, OutputFormat};
use crate::table::SizeUnit;

/// Runs `poolcast catalog`.
pub fn run(a: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let cat = Catalog::builtin();
    match &a.what {
        CatalogWhat::Skus { region } => {
            check_region(cat, region)?;
            let rows = rows::sku_rows(cat, region);
            emit(a.format, &rows, || {
                let mut t = table(&[
                    "VM size",
                    "vCPU",
                    "memory (GiB)",
                    "AKS pools",
                    "temp disk (GiB)",
                    "default OS disk",
                    "OS disk MB/s",
                    "Linux $/h",
                    "Windows $/h",
                    "Spot $/h",
                ]);
                for r in &rows {
                    let pools = match (r.aks_user, r.aks_system) {
                        (_, true) => "user, system",
                        (true, false) => "user",
                        (false, false) => "no",
                    };
                    let windows = match (r.windows_usd_hour, r.windows_price_basis.as_deref()) {
                        (Some(_), Some("rule")) => format!("{} (rule)", price(r.windows_usd_hour)),
                        _ => price(r.windows_usd_hour),
                    };
                    t.add_row(vec![
                        Cell::new(&r.name),
                        right(r.vcpu),
                        right(SizeUnit::GiB.fmt(r.memory.0)),
                        Cell::new(pools),
                        right(SizeUnit::GiB.fmt(r.temp_disk.0)),
                        Cell::new(&r.default_os_disk),
                        right(&r.os_disk_throughput),
                        right(price(r.linux_usd_hour)),
                        right(windows),
                        right(
                            r.linux_spot_usd_hour
                                .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}")),
                        ),
                    ]);
                }
                let priced = rows
                    .iter()
                    .filter(|r| r.linux_usd_hour.is_some() || r.windows_usd_hour.is_some())
                    .count();
                format!(
                    "{t}\n{n} sizes offered in {region}, {priced} priced. Pay-as-you-go USD per node-hour (Azure Retail Prices API snapshots; see docs/catalogs.md); Windows \"(rule)\" = Linux + the Windows Server licence per vCPU where no Windows meter is published; \"unpriced\" = no price in the sources, never 0.\n",
                    n = rows.len()
                )
            })
        }
        CatalogWhat::Images => {
            let rows = rows::image_rows(cat);
            emit(a.format, &rows, || {
                let unit = SizeUnit::for_column(rows.iter().flat_map(|r| {
                    std::iter::once(r.size.0).chain(r.uncompressed_size.map(|b| b.0))
                }));
                let compressed = unit.header("compressed");
                let unpacked = unit.header("unpacked");
                let mut t = table(&[
                    "key",
                    "image",
                    "os",
                    "build",
                    "layers",
                    &compressed,
                    &unpacked,
                    "VHD cache",
                ]);
                for r in &rows {
                    t.add_row(vec![
                        Cell::new(&r.key),
                        Cell::new(&r.name),
                        Cell::new(r.os),
                        Cell::new(r.os_build.as_deref().unwrap_or("")),
                        right(r.layers),
                        right(unit.fmt(r.size.0)),
                        right(
                            r.uncompressed_size
                                .map(|b| unit.fmt(b.0))
                                .unwrap_or_default(),
                        ),
                        Cell::new(&r.cached_on),
                    ]);
                }
                format!(
                    "{t}\ncompressed: the registry (download) size; unpacked: on disk after extraction, where every layer states it. \
                     VHD cache: node images that ship the image pre-pulled.\n"
                )
            })
        }
        CatalogWhat::SystemPods => {
            let rows = rows::system_pod_rows(cat);
            emit(a.format, &rows, || {
                let mut t = table(&[
                    "name",
                    "kind",
                    "os",
                    "enabled by",
                    "cpu",
                    "memory (MiB)",
                    "priority class",
                ]);
                for r in &rows {
                    let kind = if r.kind == "Deployment" {
                        format!("Deployment x{}", r.replicas)
                    } else {
                        r.kind.clone()
                    };
                    t.add_row(vec![
                        Cell::new(&r.name),
                        Cell::new(kind),
                        Cell::new(r.os),
                        Cell::new(&r.enabled_by),
                        right(r.cpu),
                        right(SizeUnit::MiB.fmt(r.memory.0)),
                        Cell::new(&r.priority_class),
                    ]);
                }
                t.to_string() + "\nRequests per pod as the scheduler counts them; sources in docs/catalogs.md.\n"
            })
        }
        CatalogWhat::Reservations {
            kubernetes_version,
            network_plugin,
            addon,
            max_pods,
            vm_size,
            os,
        } => {
            let k8s = aks::parse_k8s_version(kubernetes_version).with_context(|| {
                format!("--kubernetes-version '{kubernetes_version}' is not MAJOR.MINOR, e.g. 1.33")
            })?;
            for a in addon {
                if !poolcast_model::catalog::system_pods::is_known_addon(a) {
                    bail!(
                        "unknown add-on '{a}'; known: {}",
                        poolcast_model::catalog::system_pods::ADDONS.join(", ")
                    );
                }
            }
            let plugin = network_plugin.0;
            let skus: Vec<_> = if vm_size.is_empty() {
                cat.vm_skus().collect()
            } else {
                vm_size
                    .iter()
                    .map(|n| {
                        cat.vm_sku(n).with_context(|| {
                            format!("unknown VM size '{n}'; `poolcast catalog skus` lists them")
                        })
                    })
                    .collect::<anyhow::Result<_>>()?
            };
            let oses: Vec<Os> = match os {
                Some(OsArg::Linux) => vec![Os::Linux],
                Some(OsArg::Windows) => vec![Os::Windows],
                None => vec![Os::Linux, Os::Windows],
            };
            let mut out = Vec::new();
            for sku in &skus {
                for &o in &oses {
                    if o == Os::Windows && sku.arch != poolcast_model::catalog::skus::Arch::Amd64 {
                        continue;
                    }
                    out.push(rows::allocatable_row(
                        cat, sku, o, k8s, plugin, addon, *max_pods,
                    ));
                }
            }
            emit(a.format, &out, || {
                let mut t = table(&[
                    "VM size",
                    "os",
                    "maxPods",
                    "capacity cpu",
                    "capacity mem (MiB)",
                    "kube-reserved cpu",
                    "kube-reserved mem (MiB)",
                    "eviction (MiB)",
                    "allocatable cpu",
                    "allocatable mem (MiB)",
                    "AKS pods cpu",
                    "AKS pods mem (MiB)",
                    "free cpu",
                    "free mem (MiB)",
                ]);
                for r in &out {
                    t.add_row(vec![
                        Cell::new(&r.name),
                        Cell::new(r.os),
                        right(r.max_pods),
                        right(r.capacity_cpu),
                        right(mib(r.capacity_memory)),
                        right(r.kube_reserved_cpu),
                        right(mib(r.kube_reserved_memory)),
                        right(mib(r.eviction_memory)),
                        right(r.allocatable_cpu),
                        right(mib(r.allocatable_memory)),
                        right(r.daemonset_cpu),
                        right(mib(r.daemonset_memory)),
                        right(r.free_cpu),
                        right(mib(r.free_memory)),
                    ]);
                }
                format!(
                    "{t}\nAKS {}.{}, {}: kube-reserved and eviction by the AKS formulas (docs/catalogs.md); \
                     'AKS pods' are AKS's own DaemonSets on every node; 'free' is what user pods can request.\n",
                    k8s.0,
                    k8s.1,
                    rows::plugin_name(plugin)
                )
            })
        }
    }
}

fn check_region(cat: &Catalog, region: &str) -> anyhow::Result<()> {
    let regions: Vec<&str> = cat.regions();
    if !regions.contains(&region) {
        bail!(
            "no prices for region '{region}'; the catalog has {}",
            regions.join(", ")
        );
    }
    Ok(())
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

fn right(v: impl ToString) -> Cell {
    Cell::new(v.to_string()).set_alignment(CellAlignment::Right)
}

/// Memory in MiB for the reservations table, whose column headers name the unit (kubectl
/// shows Ki; MiB reads easier and JSON stays exact).
fn mib(b: poolcast_model::Bytes) -> String {
    SizeUnit::MiB.fmt(b.0)
}

fn price(p: Option<f64>) -> String {
    p.map(|v| format!("{v:.3}"))
        .unwrap_or_else(|| "unpriced".to_owned())
}

fn emit<T: Serialize>(
    format: OutputFormat,
    rows: &[T],
    text: impl FnOnce() -> String,
) -> anyhow::Result<ExitCode> {
    match format {
        OutputFormat::Json => {
            let s = serde_json::to_string_pretty(rows)?;
            println!("{s}");
        }
        OutputFormat::Text => print!("{}", text()),
    }
    Ok(ExitCode::SUCCESS)
}

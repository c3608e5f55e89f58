//! `poolcast plan SCENARIO`: size the marked pools (VM size and node count) for the
//! cheapest layout that meets the scenario's targets, and print the recommendation, the
//! alternatives per pool, the minimality evidence and the cost; or the report as JSON
//! (`poolcast.plan/v1`); or the recommendation as `az aks nodepool add` commands or a
//! Bicep `agentPools` snippet.

use std::fmt::Write as _;
use std::process::ExitCode;

use poolcast_sim::outcome::TargetResult;
use poolcast_sim::plan::{plan, PlanOptions, PlanReport};

use crate::args::{Emit, OutputFormat, PlanArgs};
use crate::emit::{self, Header, Scope};
use crate::table::Table;

/// Plans the scenario; exit 1 with `--check` when no layout meets the targets.
pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let opts = PlanOptions {
        seed: args.seed,
        horizon: args.horizon,
        max_nodes_per_pool: args.max_nodes,
    };
    let report = plan(&scenario, &opts)?;
    match (args.emit, args.format) {
        (Some(Emit::Az), _) => print!("{}", az_commands(&report)),
        (Some(Emit::Bicep), _) => print!("{}", bicep(&report)),
        (None, OutputFormat::Json) => println!("{}", serde_json::to_string_pretty(&report)?),
        (None, OutputFormat::Text) => print!("{}", report_text(&report)),
    }
    Ok(ExitCode::from(u8::from(args.check && !report.feasible)))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |u| format!("{:.0}%", u * 100.0))
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "unpriced".into(), |u| format!("{u:.2}"))
}

fn target_line(t: &TargetResult) -> String {
    format!(
        "{} {} (target {}){}",
        t.name,
        crate::table::readable_duration(&t.actual),
        crate::table::readable_duration(&t.target),
        if t.met { "" } else { " MISSED" }
    )
}

/// The text report.
pub fn report_text(r: &PlanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {} ({}, seed {}, {} run(s) per layout, {} simulation runs)",
        r.scenario, r.region, r.seed, r.replications, r.runs
    );
    let mut targets = Vec::new();
    if r.targets.all_placed {
        targets.push("allPlaced".to_owned());
    }
    if let Some(v) = &r.targets.max_pending {
        targets.push(format!("maxPending {v}"));
    }
    if let Some(v) = &r.targets.p95_time_to_ready {
        targets.push(format!("p95TimeToReady {v}"));
    }
    if let Some(v) = &r.targets.headroom {
        targets.push(format!("headroom {v}"));
    }
    let _ = writeln!(
        out,
        "Targets: {}{}",
        targets.join(", "),
        if r.targets.defaulted {
            " (the scenario has none; allPlaced assumed)"
        } else {
            ""
        }
    );
    if let Some(why) = &r.infeasible_reason {
        let _ = writeln!(out, "\nNo layout meets the targets: {why}");
    }

    if r.feasible {
        let mut t = Table::new(&[
            "POOL",
            "MODE",
            "OS",
            "VM SIZE",
            "NODES",
            "MAX PODS",
            "PRICING",
            "USD/NODE-H",
            "USD/MONTH",
            "",
        ]);
        for l in &r.layout {
            t.row(vec![
                l.pool.clone(),
                l.mode.clone(),
                format!("{}/{}", l.os, l.os_sku),
                l.vm_size.clone(),
                match l.autoscale {
                    Some(a) => format!("{} ({}-{})", l.nodes, a.min, a.max),
                    None => l.nodes.to_string(),
                },
                l.max_pods.to_string(),
                l.pricing.as_str().to_owned(),
                l.price_per_hour
                    .map_or_else(|| "unpriced".into(), |v| format!("{v:.3}")),
                money(l.cost_per_month),
                if l.sized {
                    "sized".into()
                } else {
                    String::new()
                },
            ]);
        }
        let _ = writeln!(out, "\nRecommended layout:\n{}", t.render(2));
        for l in &r.layout {
            for n in &l.notes {
                let _ = writeln!(out, "  note: {}: {n}", l.pool);
            }
        }
        let _ = writeln!(
            out,
            "  Cluster cost: {:.2} {}/hour, {:.2} {}/month (730 h), nodes with their OS disks + AKS {} tier {:.2}/hour; prices: {} (sizes are ranked on the same basis){}{}",
            r.cost.per_hour,
            r.cost.currency,
            r.cost.per_month,
            r.cost.currency,
            r.cost.tier,
            r.cost.tier_fee_per_hour,
            r.cost.basis,
            if r.cost.complete {
                ""
            } else {
                "; some pools are UNPRICED and not included"
            },
            if r.cost.estimated {
                "; some OS disk prices are ESTIMATED (East US price), see the notes"
            } else {
                ""
            }
        );
    }

    for s in &r.sizing {
        let head = match (&s.recommended, s.nodes) {
            (Some(sku), Some(n)) => format!("{sku} x {n}"),
            _ => "nothing fits".to_owned(),
        };
        let _ = writeln!(
            out,
            "\nPool {} ({}, {} prices): {head}",
            s.pool,
            s.os,
            s.pricing.as_str()
        );
        let mut t = Table::new(&[
            "VM SIZE",
            "VCPU",
            "MEM GIB",
            "MIN NODES",
            "NODES",
            "CPU",
            "MEM",
            "PODS",
            "USD/NODE-H",
            "USD/MONTH",
            "VERDICT",
            "BINDING",
            "NOTE",
        ]);
        for a in &s.alternatives {
            t.row(vec![
                a.vm_size.clone(),
                a.vcpu.to_string(),
                format!("{}", a.memory_gib),
                a.lower_bound.map_or_else(|| "-".into(), |n| n.to_string()),
                a.nodes.map_or_else(|| "-".into(), |n| n.to_string()),
                pct(a.cpu_utilisation),
                pct(a.memory_utilisation),
                pct(a.pods_utilisation),
                a.price_per_hour
                    .map_or_else(|| "unpriced".into(), |v| format!("{v:.3}")),
                money(a.cost_per_month),
                a.verdict.as_str().to_owned(),
                a.binding
                    .map_or_else(String::new, |b| b.as_str().to_owned()),
                a.note.clone(),
            ]);
        }
        out.push_str(&t.render(2));
        if s.omitted > 0 {
            let _ = writeln!(
                out,
                "  {} sizes considered; {} more not simulated (pruned by their lower bound's cost, or not allowed) are not listed.",
                s.candidates, s.omitted
            );
        }
        out.push_str(
            "  MIN NODES: the resource lower bound (summed requests, before any run); NODES: \
             the smallest count that passed; CPU/MEM/PODS: peak requests / allocatable in that \
             run; BINDING: what runs out with one node fewer.\n",
        );
        if let Some(m) = &s.minimality {
            let missed: Vec<String> = m.missed.iter().map(target_line).collect();
            let _ = writeln!(
                out,
                "  With {} node(s): {}{}",
                m.nodes,
                if m.met {
                    "every target met".to_owned()
                } else {
                    format!("misses {}", missed.join("; "))
                },
                m.binding
                    .map_or_else(String::new, |b| format!(" (binding: {})", b.as_str()))
            );
        } else if s.nodes.is_some() {
            let _ = writeln!(out, "  At the smallest count AKS allows for this pool.");
        }
    }

    if !r.verification.is_empty() {
        let _ = writeln!(
            out,
            "\n{}:",
            if r.feasible {
                "Verification run of the recommended layout"
            } else {
                "Closest run"
            }
        );
        for t in &r.verification {
            let _ = writeln!(out, "  {}", target_line(t));
        }
    }
    out
}

fn header(r: &PlanReport) -> Header {
    Header {
        title: format!("poolcast plan {} ({})", r.scenario, r.region),
        cost: Some(format!(
            "{:.2} {}/month{}",
            r.cost.per_month,
            r.cost.currency,
            if r.cost.complete {
                ""
            } else {
                " (incomplete: some pools are unpriced)"
            }
        )),
        infeasible: (!r.feasible).then(|| {
            r.infeasible_reason
                .clone()
                .unwrap_or_else(|| "see `poolcast plan`".to_owned())
        }),
    }
}

/// `az aks nodepool` commands for the sized pools of the recommended layout.
pub fn az_commands(r: &PlanReport) -> String {
    emit::az(&header(r), &r.layout, Scope::Sized)
}

/// A Bicep file with one `agentPools` resource per sized pool of the recommendation.
pub fn bicep(r: &PlanReport) -> String {
    emit::bicep(&header(r), &r.layout, Scope::Sized)
}

//! The report's `report.md`: the same sections as the HTML page as GitHub-flavoured
//! Markdown, with the PNG charts linked as images (for pull requests and wikis).

use std::fmt::Write as _;

use super::html::{pct, usd};
use super::ReportDoc;
use crate::table::fmt_ms;
use crate::table::SizeUnit;

/// Makes text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn chart(out: &mut String, doc: &ReportDoc, id: &str) {
    if let Some(c) = doc.charts.iter().find(|c| c.id == id) {
        let _ = writeln!(out, "![{}]({})\n\n_{}_\n", cell(&c.title), c.png, c.caption);
    }
}

/// The whole document.
pub fn page(doc: &ReportDoc) -> String {
    let o = &doc.run;
    let s = &o.summary;
    let sc = &doc.scenario;
    let mut m = String::new();
    let _ = writeln!(m, "# {}\n", sc.name);
    if let Some(d) = &sc.description {
        let _ = writeln!(m, "{d}\n");
    }
    let reps = doc
        .replications
        .as_ref()
        .map(|r| r.replications)
        .unwrap_or(1);
    let _ = writeln!(
        m,
        "Scenario `{}` · provider {} · Kubernetes {} · region {} · seed {} · horizon {} · {reps} replication(s) · {}\n",
        sc.file,
        sc.provider,
        sc.kubernetes_version,
        sc.region,
        o.seed,
        fmt_ms(o.horizon_ms),
        doc.generator
    );

    m.push_str("## Summary\n\n");
    let nodes: u32 = s.nodes_by_pool.values().map(|p| p.nodes).sum();
    let cost = super::html::cost_lines(&s.cost);
    let _ = writeln!(
        m,
        "- Workload pods: {} total, {} ready, {} pending, {} failed\n- Nodes at the end: {nodes}\n- {}\n- {}\n- `--check`: {}\n",
        s.pods.total,
        s.pods.ready,
        s.pods.pending,
        s.pods.failed,
        cost[0],
        cost[1],
        if o.passes_check() { "passes" } else { "fails" }
    );
    if !o.targets.is_empty() {
        let rows: Vec<Vec<String>> = o
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.target.clone(),
                    t.actual.clone(),
                    if t.met { "met" } else { "**missed**" }.to_owned(),
                ]
            })
            .collect();
        table(&mut m, &["target", "required", "reached", "verdict"], &rows);
    }

    m.push_str("## Layout and cost\n\n");
    if let Some(p) = &doc.plan {
        if p.feasible {
            let _ = writeln!(
                m,
                "Recommended by `poolcast plan` ({} runs): {} per month{}.\n",
                p.runs,
                usd(p.cost.per_month),
                if doc.run_uses_plan {
                    "; the run below simulates this layout"
                } else {
                    ""
                }
            );
        } else {
            let _ = writeln!(
                m,
                "**No layout meets the targets**: {}.\n",
                p.infeasible_reason
                    .as_deref()
                    .unwrap_or("see `poolcast plan`")
            );
        }
        let rows: Vec<Vec<String>> = p
            .layout
            .iter()
            .map(|l| {
                vec![
                    l.pool.clone(),
                    l.os_sku.clone(),
                    l.vm_size.clone(),
                    l.nodes.to_string(),
                    if l.sized { "yes" } else { "" }.to_owned(),
                    l.cost_per_month.map(usd).unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        table(
            &mut m,
            &["pool", "OS", "VM size", "nodes", "sized", "USD / month"],
            &rows,
        );
        chart(&mut m, doc, "plan-cost");
        m.push_str("As simulated:\n\n");
    }
    let rows: Vec<Vec<String>> = sc
        .pools
        .iter()
        .map(|p| {
            let sim = s.nodes_by_pool.get(&p.name);
            vec![
                p.name.clone(),
                p.mode.clone(),
                p.os_sku.clone().unwrap_or_else(|| p.os.clone()),
                sim.map(|x| x.vm_size.clone())
                    .unwrap_or_else(|| p.vm_size.clone()),
                p.count.clone(),
                sim.map(|x| x.nodes.to_string()).unwrap_or_default(),
                sim.and_then(|x| x.cost_per_hour)
                    .map(|v| usd(v * 730.0))
                    .unwrap_or_else(|| "unpriced".into()),
            ]
        })
        .collect();
    table(
        &mut m,
        &[
            "pool",
            "mode",
            "OS",
            "VM size",
            "declared",
            "nodes",
            "USD / month",
        ],
        &rows,
    );
    if let Some(r) = &doc.replications {
        let c = &r.cost_per_month;
        let _ = writeln!(
            m,
            "Over {} replications, cost per month: min {}, median {}, p95 {}, max {}.\n",
            r.replications,
            usd(c.min),
            usd(c.p50),
            usd(c.p95),
            usd(c.max)
        );
        let rows: Vec<Vec<String>> = r
            .nodes
            .iter()
            .map(|(p, d)| {
                vec![
                    p.clone(),
                    d.min.to_string(),
                    d.p50.to_string(),
                    d.p95.to_string(),
                    d.max.to_string(),
                ]
            })
            .collect();
        table(&mut m, &["pool", "nodes min", "p50", "p95", "max"], &rows);
    }

    m.push_str("## Failures and their causes\n\n");
    if s.top_failures.is_empty() {
        m.push_str("No workload pod failed.\n\n");
    } else {
        let rows: Vec<Vec<String>> = s
            .top_failures
            .iter()
            .map(|f| {
                let mut pods: Vec<String> = f.pods.iter().take(5).cloned().collect();
                if f.pods.len() > 5 {
                    pods.push(format!("and {} more", f.pods.len() - 5));
                }
                vec![
                    f.reason.as_str().to_owned(),
                    f.count.to_string(),
                    format!("`{}`", f.message.replace('`', "'")),
                    pods.join(", "),
                ]
            })
            .collect();
        table(&mut m, &["reason", "pods", "message", "pods hit"], &rows);
    }
    chart(&mut m, doc, "failures");
    if let Some(r) = &doc.replications {
        let rows: Vec<Vec<String>> = r
            .failures
            .iter()
            .map(|(w, f)| {
                vec![
                    w.clone(),
                    format!("{} / {}", f.probability.count, f.probability.trials),
                    pct(f.probability.estimate),
                    format!("{} – {}", pct(f.probability.low), pct(f.probability.high)),
                ]
            })
            .collect();
        table(
            &mut m,
            &[
                "workload",
                "runs with a failure",
                "probability",
                "95 % Wilson interval",
            ],
            &rows,
        );
    }

    m.push_str("## Time to ready\n\n");
    let rows: Vec<Vec<String>> = s
        .time_to_ready
        .iter()
        .map(|(os, p)| {
            vec![
                os.clone(),
                p.count.to_string(),
                fmt_ms(p.p50_ms),
                fmt_ms(p.p95_ms),
                fmt_ms(p.max_ms),
            ]
        })
        .collect();
    table(
        &mut m,
        &["node OS", "pods ready", "p50", "p95", "max"],
        &rows,
    );
    chart(&mut m, doc, "time-to-ready");
    if let Some(r) = &doc.replications {
        let mut rows = Vec::new();
        for (w, by_os) in &r.time_to_ready.by_workload {
            for (os, q) in by_os {
                rows.push(vec![
                    w.clone(),
                    os.clone(),
                    q.count.to_string(),
                    fmt_ms(q.p50_ms),
                    fmt_ms(q.p95_ms),
                    fmt_ms(q.p99_ms),
                ]);
            }
        }
        table(
            &mut m,
            &["workload", "node OS", "pods ready", "p50", "p95", "p99"],
            &rows,
        );
        let _ = writeln!(
            m,
            "Run-to-run bands: each run's own percentile over the {} replications, median [P5 - P95].\n",
            r.replications
        );
        let band = |b: &poolcast_sim::replicate::Band| {
            format!(
                "{} [{} - {}]",
                fmt_ms(b.median_ms),
                fmt_ms(b.low_ms),
                fmt_ms(b.high_ms)
            )
        };
        let all = std::iter::once(("all", &r.time_to_ready.bands));
        let rows: Vec<Vec<String>> = r
            .time_to_ready
            .bands_by_os
            .iter()
            .map(|(os, b)| (os.as_str(), b))
            .chain(all)
            .map(|(os, b)| {
                vec![
                    os.to_owned(),
                    b.runs.to_string(),
                    band(&b.p50),
                    band(&b.p95),
                    band(&b.p99),
                ]
            })
            .collect();
        table(
            &mut m,
            &["node OS", "runs", "run p50", "run p95", "run p99"],
            &rows,
        );
    }

    m.push_str("## Image pulls\n\n");
    chart(&mut m, doc, "image-pulls");
    let unit = SizeUnit::for_column(
        doc.image_pulls
            .iter()
            .flat_map(|c| [c.download_bytes, c.extract_bytes]),
    );
    let rows: Vec<Vec<String>> = doc
        .image_pulls
        .iter()
        .map(|c| {
            vec![
                c.image.clone(),
                c.pool.clone(),
                unit.fmt(c.download_bytes),
                unit.fmt(c.extract_bytes),
                fmt_ms(c.download_ms),
                fmt_ms(c.extract_ms),
                fmt_ms(c.pull_ms),
            ]
        })
        .collect();
    table(
        &mut m,
        &[
            "image",
            "pool",
            &unit.header("download"),
            &unit.header("to extract"),
            "download time",
            "extraction time",
            "pull (wall)",
        ],
        &rows,
    );

    if !o.upgrades.is_empty() {
        m.push_str("## Upgrades\n\n");
        for (i, u) in o.upgrades.iter().enumerate() {
            let _ = writeln!(
                m,
                "### Pool {} from {} to {}: {}\n",
                cell(&u.pool),
                cell(&u.from),
                cell(&u.to),
                u.status
            );
            let _ = writeln!(m, "{}\n", crate::upgrade::upgrade_summary(u));
            for b in &u.blockers {
                let _ = writeln!(m, "- `{}`: {}", b.code, cell(&b.message));
            }
            if !u.blockers.is_empty() {
                m.push('\n');
            }
            chart(&mut m, doc, &crate::figures::upgrade_chart_id(i));
            let rows = crate::upgrade::node_timeline_rows(u);
            if !rows.is_empty() {
                table(
                    &mut m,
                    &[
                        "node",
                        "role",
                        "requested",
                        "cordoned",
                        "drained",
                        "reimage",
                        "ready",
                        "removed",
                    ],
                    &rows,
                );
            }
            let rows: Vec<Vec<String>> = u
                .availability
                .iter()
                .map(|w| {
                    vec![
                        w.workload.clone(),
                        w.desired.to_string(),
                        w.pdb.clone().unwrap_or_else(|| "-".into()),
                        w.pdb_allows_unavailable
                            .map_or_else(|| "-".into(), |v| v.to_string()),
                        w.max_unavailable.to_string(),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                table(
                    &mut m,
                    &[
                        "workload",
                        "desired",
                        "PDB",
                        "PDB allows unavailable",
                        "max unavailable",
                    ],
                    &rows,
                );
            }
            let rows: Vec<Vec<String>> = u
                .pull_waits
                .iter()
                .map(|p| vec![p.pod.clone(), p.node.clone(), fmt_ms(p.wait_ms)])
                .collect();
            if !rows.is_empty() {
                table(&mut m, &["pod", "new node", "waited for pulls"], &rows);
            }
        }
    }

    m.push_str("## Over time\n\n");
    let placed = ["plan-cost", "failures", "time-to-ready", "image-pulls"];
    for c in doc
        .charts
        .iter()
        .filter(|c| !placed.contains(&c.id.as_str()) && !c.id.starts_with("upgrade-"))
    {
        chart(&mut m, doc, &c.id);
    }

    m.push_str("## Assumptions and sources\n\n");
    let rows: Vec<Vec<String>> = o
        .assumptions
        .iter()
        .chain(&doc.report_assumptions)
        .map(|a| vec![a.topic.clone(), a.text.clone(), a.source.clone()])
        .collect();
    table(&mut m, &["topic", "assumption", "source"], &rows);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        let mut out = String::new();
        table(&mut out, &["x", "y"], &[vec!["1".into(), "p|q".into()]]);
        assert_eq!(out, "| x | y |\n|---|---|\n| 1 | p\\|q |\n\n");
    }
}

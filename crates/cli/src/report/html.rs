//! The report's `index.html`: one self-contained page with inline CSS and inline SVG
//! charts. It references nothing outside itself (no fonts, scripts, stylesheets or
//! images), so it renders the same offline and makes no request when opened; the PNG and
//! SVG files are only linked for download.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use poolcast_sim::outcome::Outcome;
use poolcast_sim::plan::PlanReport;

use super::ReportDoc;
use crate::charts::Chart;
use crate::table::fmt_ms;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// US dollars with thousands separators and cents.
/// The run's cost in two labelled lines, the same in HTML and Markdown: the steady figure
/// (nodes alive at the end, per hour and per 730-hour month) and the cost over the run
/// (node-hours actually used), each split into VMs + OS disks + the AKS tier fee, with the
/// price basis and any estimated or unpriced part.
pub fn cost_lines(c: &poolcast_sim::outcome::Cost) -> [String; 2] {
    let mut steady = format!(
        "Cost, steady (nodes alive at the end): {} per hour, {} per month (730 h) = VMs {} + OS disks {} + AKS {} tier {} per hour; prices: {}",
        usd(c.per_hour),
        usd(c.per_month),
        usd(c.vms_per_hour),
        usd(c.disks_per_hour),
        c.tier,
        usd(c.tier_fee_per_hour),
        c.basis
    );
    if !c.complete {
        steady.push_str(&format!(
            "; UNPRICED, not included: {}",
            c.unpriced_pools.join(", ")
        ));
    }
    if c.estimated {
        steady.push_str(&format!(
            "; OS disk price ESTIMATED (East US) or unpriced: {}",
            c.estimated_pools.join(", ")
        ));
    }
    let run = format!(
        "Cost over the run: {} for {:.1} node-hours in {:.1} h = VMs {} + OS disks {} + AKS tier {}",
        usd(c.run_cost),
        c.node_hours,
        c.run_hours,
        usd(c.run_vms),
        usd(c.run_disks),
        usd(c.run_tier_fee)
    );
    [steady, run]
}

pub fn usd(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let whole = crate::charts::fmt_num((cents / 100) as f64);
    format!("${whole}.{:02}", (cents % 100).abs())
}

/// A fraction as a whole percentage.
pub fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);
max-width:1080px;margin:0 auto;padding:24px 28px 64px;line-height:1.45;background:#fff}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:20px 0 6px}
.meta{color:var(--muted);font-size:14px}
nav{margin:14px 0 4px;font-size:14px}nav a{margin-right:14px;color:#0969da;text-decoration:none}
table{border-collapse:collapse;width:100%;margin:6px 0 16px;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:13px}.card .v{font-size:22px;font-weight:600}
.ok{color:var(--ok)}.bad{color:var(--bad)}
figure{margin:14px 0 30px}
figure .chart svg{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
figcaption{color:var(--muted);font-size:14px;margin-top:6px}
code{font-size:13px;background:var(--soft);padding:0 3px;border-radius:3px}
.msg{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px;word-break:break-word}
"#;

fn figure(out: &mut String, charts: &[Chart], id: &str) {
    let Some(c) = charts.iter().find(|c| c.id == id) else {
        return;
    };
    let svg = c.svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(&c.title)),
        1,
    );
    let _ = writeln!(
        out,
        "<figure id=\"fig-{id}\" data-chart=\"{id}\"{}><div class=\"chart\">{svg}</div>\
         <figcaption>{} <a href=\"charts/{id}.png\">PNG</a> · <a href=\"charts/{id}.svg\">SVG</a></figcaption></figure>",
        if c.empty { " data-empty=\"true\"" } else { "" },
        esc(&c.caption),
    );
}

struct Table {
    html: String,
}

impl Table {
    fn new(header: &[(&str, bool)]) -> Table {
        let mut html = String::from("<table><thead><tr>");
        for (h, num) in header {
            let _ = write!(
                html,
                "<th{}>{}</th>",
                if *num { " class=\"n\"" } else { "" },
                esc(h)
            );
        }
        html.push_str("</tr></thead><tbody>\n");
        Table { html }
    }
    /// Cells are HTML already escaped; `num` right-aligns.
    fn row(&mut self, cells: &[(String, bool)], class: Option<&str>) {
        match class {
            Some(c) => {
                let _ = write!(self.html, "<tr class=\"{c}\">");
            }
            None => self.html.push_str("<tr>"),
        }
        for (c, num) in cells {
            let _ = write!(
                self.html,
                "<td{}>{c}</td>",
                if *num { " class=\"n\"" } else { "" }
            );
        }
        self.html.push_str("</tr>\n");
    }
    fn finish(mut self) -> String {
        self.html.push_str("</tbody></table>\n");
        self.html
    }
}

fn t(s: impl AsRef<str>) -> (String, bool) {
    (esc(s.as_ref()), false)
}
fn n(s: impl AsRef<str>) -> (String, bool) {
    (esc(s.as_ref()), true)
}

fn peak_nodes(o: &Outcome) -> BTreeMap<&str, u32> {
    o.series
        .pools
        .iter()
        .map(|(p, s)| (p.as_str(), s.nodes.iter().copied().max().unwrap_or(0)))
        .collect()
}

fn card(out: &mut String, key: &str, value: &str, class: Option<&str>) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v{}\">{}</div></div>",
        esc(key),
        class.map(|c| format!(" {c}")).unwrap_or_default(),
        esc(value)
    );
}

fn opt_pct(v: Option<f64>) -> String {
    v.map(pct).unwrap_or_else(|| "-".to_owned())
}

/// The planner's recommendation, alternatives and minimality evidence.
fn plan_section(h: &mut String, p: &PlanReport, applied: bool, charts: &[Chart]) {
    h.push_str("<h3>Recommended layout</h3>");
    if p.feasible {
        let _ = write!(
            h,
            "<p>The cheapest layout that meets every target, found by <code>poolcast plan</code> with {} simulation runs{}.</p>",
            p.runs,
            if applied {
                "; every run figure below simulates this layout"
            } else {
                ""
            }
        );
    } else {
        let _ = write!(
            h,
            "<p class=\"bad\">No layout meets the targets: {}. The figures below simulate the scenario as written.</p>",
            esc(p.infeasible_reason.as_deref().unwrap_or("see poolcast plan"))
        );
    }
    let mut tb = Table::new(&[
        ("pool", false),
        ("mode", false),
        ("OS", false),
        ("VM size", false),
        ("nodes", true),
        ("sized", false),
        ("prices", false),
        ("USD / node-hour", true),
        ("USD / month", true),
    ]);
    for l in &p.layout {
        tb.row(
            &[
                t(&l.pool),
                t(&l.mode),
                t(&l.os_sku),
                t(&l.vm_size),
                n(match l.autoscale {
                    Some(a) => format!("{} ({}-{})", l.nodes, a.min, a.max),
                    None => l.nodes.to_string(),
                }),
                t(if l.sized { "yes" } else { "" }),
                t(l.pricing.as_str()),
                n(l.price_per_hour
                    .map(|v| format!("{v:.3}"))
                    .unwrap_or_else(|| "unpriced".into())),
                n(l.cost_per_month
                    .map(usd)
                    .unwrap_or_else(|| "unpriced".into())),
            ],
            None,
        );
    }
    tb.row(
        &[
            t("total"),
            t(""),
            t(""),
            t(""),
            t(""),
            t(""),
            t(""),
            t(""),
            n(usd(p.cost.per_month)),
        ],
        Some("total"),
    );
    h.push_str(&tb.finish());
    for sz in &p.sizing {
        let _ = write!(h, "<h3>Pool {}: sizes tried</h3>", esc(&sz.pool));
        let mut tb = Table::new(&[
            ("VM size", false),
            ("lower bound", true),
            ("nodes", true),
            ("CPU", true),
            ("memory", true),
            ("pods", true),
            ("USD / month", true),
            ("verdict", false),
            ("binding", false),
            ("note", false),
        ]);
        for a in &sz.alternatives {
            tb.row(
                &[
                    t(&a.vm_size),
                    n(a.lower_bound.map(|v| v.to_string()).unwrap_or_default()),
                    n(a.nodes.map(|v| v.to_string()).unwrap_or_default()),
                    n(opt_pct(a.cpu_utilisation)),
                    n(opt_pct(a.memory_utilisation)),
                    n(opt_pct(a.pods_utilisation)),
                    n(a.cost_per_month
                        .map(usd)
                        .unwrap_or_else(|| "unpriced".into())),
                    t(a.verdict.as_str()),
                    t(a.binding.map(|b| b.as_str()).unwrap_or("")),
                    t(&a.note),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
        if let Some(m) = &sz.minimality {
            let missed: Vec<String> = m
                .missed
                .iter()
                .map(|x| format!("{} {} (target {})", x.name, x.actual, x.target))
                .collect();
            let _ = write!(
                h,
                "<p>With {} node{}: {}{}.</p>",
                m.nodes,
                if m.nodes == 1 { "" } else { "s" },
                if m.met {
                    "every target met".to_owned()
                } else {
                    format!("misses {}", esc(&missed.join("; ")))
                },
                m.binding
                    .map(|b| format!(" (binding: {})", b.as_str()))
                    .unwrap_or_default()
            );
        }
    }
    figure(h, charts, "plan-cost");
}

/// The whole page.
pub fn page(doc: &ReportDoc, charts: &[Chart]) -> String {
    let o = &doc.run;
    let s = &o.summary;
    let sc = &doc.scenario;
    let mut h =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"{}\"><title>poolcast report: {}</title><style>{CSS}</style></head><body>\n",
        esc(&doc.generator),
        esc(&sc.name)
    );
    let _ = write!(h, "<header><h1>{}</h1>", esc(&sc.name));
    if let Some(d) = &sc.description {
        let _ = write!(h, "<p>{}</p>", esc(d));
    }
    let reps = doc
        .replications
        .as_ref()
        .map(|r| r.replications)
        .unwrap_or(1);
    let _ = write!(
        h,
        "<p class=\"meta\">Scenario <code>{}</code> · provider {} · Kubernetes {} · region {} · seed {} · horizon {} · {} replication{} · {}</p>",
        esc(&sc.file),
        esc(&sc.provider),
        esc(&sc.kubernetes_version),
        esc(&sc.region),
        o.seed,
        esc(&fmt_ms(o.horizon_ms)),
        reps,
        if reps == 1 { "" } else { "s" },
        esc(&doc.generator)
    );
    let _ = writeln!(
        h,
        "<nav><a href=\"#summary\">Summary</a><a href=\"#layout\">Layout and cost</a><a href=\"#failures\">Failures</a>\
         <a href=\"#ttr\">Time to ready</a><a href=\"#pulls\">Image pulls</a>{}<a href=\"#timeline\">Over time</a>\
         <a href=\"#assumptions\">Assumptions and sources</a></nav></header>",
        if o.upgrades.is_empty() {
            ""
        } else {
            "<a href=\"#upgrades\">Upgrades</a>"
        }
    );

    // Summary.
    h.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
    card(
        &mut h,
        "workload pods ready",
        &format!("{} of {}", s.pods.ready, s.pods.total),
        None,
    );
    card(
        &mut h,
        "workload pods failed",
        &s.pods.failed.to_string(),
        Some(if s.pods.failed == 0 { "ok" } else { "bad" }),
    );
    card(&mut h, "pods pending", &s.pods.pending.to_string(), None);
    let nodes: u32 = s.nodes_by_pool.values().map(|p| p.nodes).sum();
    card(&mut h, "nodes at the end", &nodes.to_string(), None);
    card(
        &mut h,
        "cost per month",
        &format!(
            "{}{}",
            usd(s.cost.per_month),
            if s.cost.complete { "" } else { " +" }
        ),
        None,
    );
    for (os, p) in &s.time_to_ready {
        card(
            &mut h,
            &format!("p95 time to ready, {os}"),
            &fmt_ms(p.p95_ms),
            None,
        );
    }
    let met = o.targets.iter().filter(|t| t.met).count();
    if !o.targets.is_empty() {
        card(
            &mut h,
            "targets met",
            &format!("{met} of {}", o.targets.len()),
            Some(if met == o.targets.len() { "ok" } else { "bad" }),
        );
    }
    h.push_str("</div>\n");
    let _ = write!(
        h,
        "<p>{} workloads, {} pools. The run {} the <code>--check</code> gate (every target met and no workload pod failed).</p>",
        sc.workloads,
        sc.pools.len(),
        if o.passes_check() {
            "<strong class=\"ok\">passes</strong>"
        } else {
            "<strong class=\"bad\">fails</strong>"
        }
    );
    if !o.targets.is_empty() {
        let mut tb = Table::new(&[
            ("target", false),
            ("required", false),
            ("reached", false),
            ("verdict", false),
        ]);
        for tr in &o.targets {
            let verdict = if tr.met {
                "<span class=\"ok\">met</span>".to_owned()
            } else {
                "<span class=\"bad\">missed</span>".to_owned()
            };
            tb.row(
                &[t(&tr.name), t(&tr.target), t(&tr.actual), (verdict, false)],
                None,
            );
        }
        h.push_str(&tb.finish());
    }
    h.push_str("</section>\n");

    // Layout and cost.
    h.push_str("<section id=\"layout\"><h2>Layout and cost</h2>");
    if let Some(p) = &doc.plan {
        plan_section(&mut h, p, doc.run_uses_plan, charts);
        h.push_str("<h3>As simulated</h3>");
    }
    h.push_str("<p>The pools as simulated: VM size, nodes alive at the end of the run and at the peak, and list price in the scenario's region.</p>");
    let peak = peak_nodes(o);
    let mut tb = Table::new(&[
        ("pool", false),
        ("mode", false),
        ("OS", false),
        ("VM size", false),
        ("declared", false),
        ("nodes", true),
        ("peak", true),
        ("USD / node-hour", true),
        ("USD / month", true),
    ]);
    for p in &sc.pools {
        let sim = s.nodes_by_pool.get(&p.name);
        let os = match &p.os_sku {
            Some(k) => format!("{} ({k})", p.os),
            None => p.os.clone(),
        };
        tb.row(
            &[
                t(&p.name),
                t(&p.mode),
                t(os),
                t(sim.map(|x| x.vm_size.as_str()).unwrap_or(&p.vm_size)),
                t(&p.count),
                n(sim.map(|x| x.nodes.to_string()).unwrap_or_default()),
                n(peak
                    .get(p.name.as_str())
                    .map(|x| x.to_string())
                    .unwrap_or_default()),
                n(sim
                    .and_then(|x| x.price_per_node_hour)
                    .map(|v| format!("{v:.3}"))
                    .unwrap_or_else(|| "unpriced".into())),
                n(sim
                    .and_then(|x| x.cost_per_hour)
                    .map(|v| usd(v * 730.0))
                    .unwrap_or_else(|| "unpriced".into())),
            ],
            None,
        );
    }
    tb.row(
        &[
            t("total"),
            t(""),
            t(""),
            t(""),
            t(""),
            n(nodes.to_string()),
            t(""),
            t(""),
            n(usd(s.cost.per_month)),
        ],
        Some("total"),
    );
    h.push_str(&tb.finish());
    for line in cost_lines(&s.cost) {
        let _ = write!(h, "<p class=\"meta\">{}.</p>", esc(&line));
    }
    if let Some(r) = &doc.replications {
        let _ = write!(h, "<h3>Over {} replications</h3>", r.replications);
        let mut tb = Table::new(&[
            ("pool", false),
            ("nodes min", true),
            ("p50", true),
            ("p95", true),
            ("max", true),
            ("peak p95", true),
        ]);
        for (pool, d) in &r.nodes {
            let pk = r
                .peak_nodes
                .get(pool)
                .map(|p| p.p95.to_string())
                .unwrap_or_default();
            tb.row(
                &[
                    t(pool),
                    n(d.min.to_string()),
                    n(d.p50.to_string()),
                    n(d.p95.to_string()),
                    n(d.max.to_string()),
                    n(pk),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
        let c = &r.cost_per_month;
        let _ = write!(
            h,
            "<p>Cost per month: min {}, median {}, p95 {}, max {}, mean {}.</p>",
            usd(c.min),
            usd(c.p50),
            usd(c.p95),
            usd(c.max),
            usd(c.mean)
        );
    }
    h.push_str("</section>\n");

    // Failures.
    h.push_str("<section id=\"failures\"><h2>Failures and their causes</h2>");
    if s.by_reason.is_empty() {
        h.push_str("<p class=\"ok\">No workload pod failed.</p>");
    } else {
        let mut tb = Table::new(&[("reason", false), ("failed pods", true)]);
        for (r, c) in &s.by_reason {
            tb.row(&[t(r.as_str()), n(c.to_string())], None);
        }
        h.push_str(&tb.finish());
    }
    if !s.top_failures.is_empty() {
        h.push_str("<h3>Most frequent failure messages</h3>");
        let mut tb = Table::new(&[
            ("reason", false),
            ("pods", true),
            ("message", false),
            ("pods hit", false),
        ]);
        for f in &s.top_failures {
            let mut pods: Vec<String> = f.pods.iter().take(8).map(|p| esc(p)).collect();
            if f.pods.len() > 8 {
                pods.push(format!("and {} more", f.pods.len() - 8));
            }
            tb.row(
                &[
                    t(f.reason.as_str()),
                    n(f.count.to_string()),
                    (
                        format!("<span class=\"msg\">{}</span>", esc(&f.message)),
                        false,
                    ),
                    (pods.join(", "), false),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
    }
    figure(&mut h, charts, "failures");
    if let Some(r) = &doc.replications {
        let _ = write!(
            h,
            "<h3>Failure probability over {} replications</h3><p>Share of replications in which at least one pod of the workload failed, with a 95 % Wilson score interval. Any workload failed in {} of {} replications.</p>",
            r.replications, r.any_failure.count, r.any_failure.trials
        );
        let mut tb = Table::new(&[
            ("workload", false),
            ("runs with a failure", true),
            ("probability", true),
            ("95 % interval", true),
            ("mean failed pods", true),
            ("reasons", false),
        ]);
        for (w, f) in &r.failures {
            let reasons: Vec<String> = f
                .by_reason
                .iter()
                .map(|(k, v)| format!("{} {v}", k.as_str()))
                .collect();
            tb.row(
                &[
                    t(w),
                    n(format!(
                        "{} / {}",
                        f.probability.count, f.probability.trials
                    )),
                    n(pct(f.probability.estimate)),
                    n(format!(
                        "{} – {}",
                        pct(f.probability.low),
                        pct(f.probability.high)
                    )),
                    n(format!("{:.2}", f.mean_failed_pods)),
                    t(reasons.join(", ")),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
    }
    h.push_str("</section>\n");

    // Time to ready.
    h.push_str("<section id=\"ttr\"><h2>Time to ready</h2><p>From pod creation to Ready, workload pods, by the OS of the node they ran on.</p>");
    if s.time_to_ready.is_empty() {
        h.push_str("<p class=\"bad\">No workload pod became ready.</p>");
    } else {
        let mut tb = Table::new(&[
            ("node OS", false),
            ("pods ready", true),
            ("p50", true),
            ("p95", true),
            ("max", true),
        ]);
        for (os, p) in &s.time_to_ready {
            tb.row(
                &[
                    t(os),
                    n(p.count.to_string()),
                    n(fmt_ms(p.p50_ms)),
                    n(fmt_ms(p.p95_ms)),
                    n(fmt_ms(p.max_ms)),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
    }
    figure(&mut h, charts, "time-to-ready");
    if let Some(r) = &doc.replications {
        let _ = write!(
            h,
            "<h3>Per workload over {} replications</h3>",
            r.replications
        );
        let mut tb = Table::new(&[
            ("workload", false),
            ("node OS", false),
            ("pods ready", true),
            ("p50", true),
            ("p95", true),
            ("p99", true),
            ("max", true),
        ]);
        for (w, by_os) in &r.time_to_ready.by_workload {
            for (os, q) in by_os {
                tb.row(
                    &[
                        t(w),
                        t(os),
                        n(q.count.to_string()),
                        n(fmt_ms(q.p50_ms)),
                        n(fmt_ms(q.p95_ms)),
                        n(fmt_ms(q.p99_ms)),
                        n(fmt_ms(q.max_ms)),
                    ],
                    None,
                );
            }
        }
        for (os, q) in &r.time_to_ready.by_os {
            tb.row(
                &[
                    t("all workloads"),
                    t(os),
                    n(q.count.to_string()),
                    n(fmt_ms(q.p50_ms)),
                    n(fmt_ms(q.p95_ms)),
                    n(fmt_ms(q.p99_ms)),
                    n(fmt_ms(q.max_ms)),
                ],
                Some("total"),
            );
        }
        h.push_str(&tb.finish());
        let _ = write!(
            h,
            "<h3>Run-to-run bands</h3><p>Each run's own percentile of time to ready, over the {} replications: 5th percentile, median and 95th percentile of the runs' values. Durations are drawn per node and per pull unless <code>sim.variability: none</code>.</p>",
            r.replications
        );
        let mut tb = Table::new(&[
            ("node OS", false),
            ("runs", true),
            ("run p50", true),
            ("run p95", true),
            ("run p99", true),
        ]);
        let band = |b: &poolcast_sim::replicate::Band| {
            n(format!(
                "{} [{} - {}]",
                fmt_ms(b.median_ms),
                fmt_ms(b.low_ms),
                fmt_ms(b.high_ms)
            ))
        };
        let all = std::iter::once(("all", &r.time_to_ready.bands));
        for (os, b) in r
            .time_to_ready
            .bands_by_os
            .iter()
            .map(|(os, b)| (os.as_str(), b))
            .chain(all)
        {
            tb.row(
                &[
                    t(os),
                    n(b.runs.to_string()),
                    band(&b.p50),
                    band(&b.p95),
                    band(&b.p99),
                ],
                (os == "all").then_some("total"),
            );
        }
        h.push_str(&tb.finish());
    }
    h.push_str("</section>\n");

    // Pulls.
    h.push_str("<section id=\"pulls\"><h2>Image pulls</h2>");
    figure(&mut h, charts, "image-pulls");
    if !doc.image_pulls.is_empty() {
        let unit = crate::table::SizeUnit::for_column(
            doc.image_pulls
                .iter()
                .flat_map(|c| [c.download_bytes, c.extract_bytes]),
        );
        let (download, extract) = (unit.header("download"), unit.header("to extract"));
        let mut tb = Table::new(&[
            ("image", false),
            ("pool", false),
            ("layers cached", true),
            (download.as_str(), true),
            (extract.as_str(), true),
            ("download time", true),
            ("extraction time", true),
            ("pull (wall)", true),
        ]);
        for c in &doc.image_pulls {
            tb.row(
                &[
                    (
                        format!("<span class=\"msg\">{}</span>", esc(&c.image)),
                        false,
                    ),
                    t(&c.pool),
                    n(format!("{} / {}", c.cached_layers, c.layers)),
                    n(unit.fmt(c.download_bytes)),
                    n(unit.fmt(c.extract_bytes)),
                    n(fmt_ms(c.download_ms)),
                    n(fmt_ms(c.extract_ms)),
                    n(fmt_ms(c.pull_ms)),
                ],
                None,
            );
        }
        h.push_str(&tb.finish());
    }
    h.push_str("</section>\n");

    // Upgrades.
    if !o.upgrades.is_empty() {
        h.push_str("<section id=\"upgrades\"><h2>Upgrades</h2>");
        for (i, u) in o.upgrades.iter().enumerate() {
            let _ = write!(
                h,
                "<h3>Pool {} from {} to {}: <span class=\"{}\">{}</span></h3><p>{}</p>",
                esc(&u.pool),
                esc(&u.from),
                esc(&u.to),
                if u.status == "Succeeded" { "ok" } else { "bad" },
                esc(&u.status),
                esc(&crate::upgrade::upgrade_summary(u))
            );
            if !u.blockers.is_empty() {
                h.push_str("<ul>");
                for b in &u.blockers {
                    let _ = write!(
                        h,
                        "<li><code>{}</code> <span class=\"msg\">{}</span></li>",
                        esc(&b.code),
                        esc(&b.message)
                    );
                }
                h.push_str("</ul>");
            }
            figure(&mut h, charts, &crate::figures::upgrade_chart_id(i));
            if !u.nodes.is_empty() {
                let mut tb = Table::new(&[
                    ("node", false),
                    ("role", false),
                    ("requested", true),
                    ("cordoned", true),
                    ("drained", true),
                    ("reimage", true),
                    ("ready", true),
                    ("removed", true),
                ]);
                let f = |v: Option<u64>| n(v.map_or_else(|| "-".to_owned(), fmt_ms));
                for r in &u.nodes {
                    tb.row(
                        &[
                            t(&r.node),
                            t(&r.role),
                            f(r.requested_ms),
                            f(r.cordoned_ms),
                            f(r.drained_ms),
                            f(r.reimage_ms),
                            f(r.ready_ms),
                            f(r.removed_ms),
                        ],
                        None,
                    );
                }
                h.push_str(&tb.finish());
            }
            if !u.availability.is_empty() {
                let mut tb = Table::new(&[
                    ("workload", false),
                    ("desired", true),
                    ("PDB", false),
                    ("PDB allows unavailable", true),
                    ("max unavailable", true),
                ]);
                for w in &u.availability {
                    tb.row(
                        &[
                            t(&w.workload),
                            n(w.desired.to_string()),
                            t(w.pdb.as_deref().unwrap_or("-")),
                            n(w.pdb_allows_unavailable
                                .map_or_else(|| "-".into(), |v| v.to_string())),
                            n(w.max_unavailable.to_string()),
                        ],
                        None,
                    );
                }
                h.push_str(&tb.finish());
            }
            if !u.pull_waits.is_empty() {
                let mut tb = Table::new(&[
                    ("pod", false),
                    ("new node", false),
                    ("waited for pulls", true),
                ]);
                for p in &u.pull_waits {
                    tb.row(&[t(&p.pod), t(&p.node), n(fmt_ms(p.wait_ms))], None);
                }
                h.push_str(&tb.finish());
            }
        }
        h.push_str("</section>\n");
    }

    // Timeline.
    h.push_str("<section id=\"timeline\"><h2>Over time</h2>");
    for id in [
        "pods-by-phase",
        "nodes-per-pool",
        "cpu-per-pool",
        "memory-per-pool",
    ] {
        figure(&mut h, charts, id);
    }
    // Charts added later that have no fixed place above still appear.
    let placed = [
        "plan-cost",
        "failures",
        "time-to-ready",
        "image-pulls",
        "pods-by-phase",
        "nodes-per-pool",
        "cpu-per-pool",
        "memory-per-pool",
    ];
    for c in charts
        .iter()
        .filter(|c| !placed.contains(&c.id.as_str()) && !c.id.starts_with("upgrade-"))
    {
        figure(&mut h, charts, &c.id);
    }
    h.push_str("</section>\n");

    // Assumptions.
    h.push_str("<section id=\"assumptions\"><h2>Assumptions and sources</h2><p>Every approximation and constant the run relied on, and where it comes from.</p>");
    let mut tb = Table::new(&[("topic", false), ("assumption", false), ("source", false)]);
    for a in o.assumptions.iter().chain(&doc.report_assumptions) {
        tb.row(
            &[
                t(&a.topic),
                t(&a.text),
                (
                    format!("<span class=\"msg\">{}</span>", esc(&a.source)),
                    false,
                ),
            ],
            None,
        );
    }
    h.push_str(&tb.finish());
    h.push_str("</section>\n</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(usd(1234.5), "$1,234.50");
        assert_eq!(usd(0.004), "$0.00");
        assert_eq!(pct(0.256), "26 %");
    }
}

//! `poolcast explain SCENARIO --pod NAME [--at TIME]`: one scheduling attempt as a table
//! (node, pool, filter verdict, each score plugin's normalised x weight and raw score,
//! total), then the pod's way to Ready as a timeline with each image's layers; or all of it
//! as JSON (`poolcast.explain/v1`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use poolcast_sim::{explain_with, Explanation, RunOptions};

use crate::args::{ExplainArgs, OutputFormat};
use crate::table::{fmt_ms, SizeUnit, Table};

/// Explains the attempt.
pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let opts = RunOptions {
        seed: args.seed,
        horizon: None,
    };
    let e = explain_with(&scenario, &args.pod, args.at, &opts)?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&e)?),
        OutputFormat::Text => print!("{}", explanation_text(&e)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The table form of an explanation.
pub fn explanation_text(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pod {} (workload {}), scheduling attempt {} at {}",
        e.pod,
        e.workload,
        e.attempt,
        fmt_ms(e.at_ms)
    );
    match (&e.chosen_node, &e.message) {
        (Some(n), _) => {
            let _ = writeln!(out, "Result: bound to {n}");
        }
        (None, Some(m)) => {
            let _ = writeln!(out, "Result: unschedulable: {m}");
        }
        (None, None) => {}
    }
    let plugins: BTreeSet<&str> = e
        .nodes
        .iter()
        .flat_map(|n| n.scores.iter().map(|s| s.plugin.as_str()))
        .collect();
    let mut header = vec!["NODE", "POOL", "FILTER"];
    header.extend(plugins.iter().copied());
    header.push("TOTAL");
    let mut t = Table::new(&header);
    for n in &e.nodes {
        let mut row = vec![n.node.clone(), n.pool.clone()];
        if n.feasible {
            row.push("passed".into());
            for p in &plugins {
                row.push(match n.scores.iter().find(|s| s.plugin == *p) {
                    Some(s) => format!("{}x{} (raw {})", s.normalized, s.weight, s.raw),
                    None => "-".into(),
                });
            }
            row.push(n.total.to_string());
        } else {
            row.push(format!(
                "{}: {}",
                n.filter_plugin.as_deref().unwrap_or("?"),
                n.reasons.join("; ")
            ));
            row.extend(plugins.iter().map(|_| "-".to_owned()));
            row.push("-".into());
        }
        t.row(row);
    }
    out.push('\n');
    out.push_str(&t.render(0));
    out.push_str(&journey_text(e));
    out
}

/// The way to Ready: one line per step, each pulled image's layers under its `Pulling`
/// step.
pub fn journey_text(e: &Explanation) -> String {
    let j = &e.journey;
    let mut out = String::new();
    let _ = match j.time_to_ready_ms {
        Some(t) => writeln!(out, "\nTo Ready in {}:", fmt_ms(t)),
        None => writeln!(out, "\nNot Ready by the end of the run:"),
    };
    let mut listed = BTreeSet::new();
    for s in &j.steps {
        let _ = writeln!(out, "  {:>8}  {:<17} {}", fmt_ms(s.at_ms), s.step, s.detail);
        if s.step != "Pulling" && s.step != "Pulled" {
            continue;
        }
        let Some(im) = j
            .images
            .iter()
            .find(|im| s.detail.starts_with(&format!("{}:", im.image)))
        else {
            continue;
        };
        if !listed.insert(im.image.as_str()) {
            continue;
        }
        if let (Some(d), Some(x)) = (im.download_bytes_per_sec, im.extract_bytes_per_sec) {
            let _ = writeln!(
                out,
                "            download {} MB/s, extraction {} MB/s",
                d / 1_000_000,
                x / 1_000_000
            );
        }
        for l in &im.layers {
            let times = match (l.download_ms, l.extract_ms) {
                (Some(d), Some(x)) => format!(
                    "download {}-{}, extract {}-{}: ",
                    fmt_ms(d.0),
                    fmt_ms(d.1),
                    fmt_ms(x.0),
                    fmt_ms(x.1)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "            {} {} ({} MiB): {}{}",
                l.state,
                l.digest,
                SizeUnit::MiB.fmt(l.size_bytes),
                times,
                l.why
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_sim::explain::{
        ImageJourney, Journey, JourneyStep, LayerJourney, NodeExplanation, ScoreDetail,
        EXPLAIN_SCHEMA,
    };

    #[test]
    fn table_shows_verdicts_and_weighted_scores() {
        let e = Explanation {
            schema: EXPLAIN_SCHEMA,
            pod: "web-0".into(),
            workload: "web".into(),
            at_ms: 1500,
            attempt: 2,
            chosen_node: Some("n1".into()),
            message: None,
            nodes: vec![
                NodeExplanation {
                    node: "n0".into(),
                    pool: "win".into(),
                    feasible: false,
                    filter_plugin: Some("TaintToleration".into()),
                    code: Some("UnschedulableAndUnresolvable".into()),
                    reasons: vec!["node(s) had untolerated taint {os: windows}".into()],
                    scores: Vec::new(),
                    total: 0,
                },
                NodeExplanation {
                    node: "n1".into(),
                    pool: "lin".into(),
                    feasible: true,
                    filter_plugin: None,
                    code: None,
                    reasons: Vec::new(),
                    scores: vec![ScoreDetail {
                        plugin: "ImageLocality".into(),
                        raw: 40,
                        normalized: 40,
                        weight: 1,
                        weighted: 40,
                    }],
                    total: 40,
                },
            ],
            journey: Journey {
                created_ms: 0,
                ready_ms: Some(61_000),
                time_to_ready_ms: Some(61_000),
                node: None,
                images: vec![ImageJourney {
                    image: "app:1".into(),
                    source: "pulled",
                    requested_ms: 1_500,
                    started_ms: Some(1_500),
                    done_ms: 41_500,
                    download_bytes_per_sec: Some(100_000_000),
                    extract_bytes_per_sec: Some(20_000_000),
                    layers: vec![
                        LayerJourney {
                            digest: "sha256:base".into(),
                            size_bytes: 10,
                            uncompressed_bytes: 20,
                            state: "cached",
                            why: "cached by the node image (VHD) the node booted from".into(),
                            download_ms: None,
                            extract_ms: None,
                        },
                        LayerJourney {
                            digest: "sha256:app".into(),
                            size_bytes: 1_000_000_000,
                            uncompressed_bytes: 800_000_000,
                            state: "fetched",
                            why: "not on the node".into(),
                            download_ms: Some((1_500, 11_500)),
                            extract_ms: Some((11_500, 41_500)),
                        },
                    ],
                }],
                steps: vec![
                    JourneyStep {
                        at_ms: 1_500,
                        step: "Pulling",
                        detail: "app:1: 1 of 2 layers to fetch (953.7 MiB)".into(),
                    },
                    JourneyStep {
                        at_ms: 61_000,
                        step: "Ready",
                        detail: "Ready".into(),
                    },
                ],
            },
        };
        let t = explanation_text(&e);
        assert!(
            t.starts_with(
                "Pod web-0 (workload web), scheduling attempt 2 at 1.5s\nResult: bound to n1\n"
            ),
            "{t}"
        );
        assert!(
            t.contains(
                "n0    win   TaintToleration: node(s) had untolerated taint {os: windows}  -"
            ),
            "{t}"
        );
        assert!(t.contains("40x1 (raw 40)  40"), "{t}");
        assert!(t.contains("\nTo Ready in 1m01.0s:\n"), "{t}");
        assert!(
            t.contains("      1.5s  Pulling           app:1: 1 of 2 layers"),
            "{t}"
        );
        assert!(
            t.contains("cached sha256:base (0.0 MiB): cached by the node image"),
            "{t}"
        );
        assert!(
            t.contains("fetched sha256:app (953.7 MiB): download 1.5s-11.5s, extract 11.5s-41.5s: not on the node"),
            "{t}"
        );
    }
}

//! `poolcast explain SCENARIO --pod NAME [--at TIME]`: one scheduling attempt as a table
//! (node, pool, filter verdict, each score plugin's normalised x weight and raw score,
//! total) or as JSON (`poolcast.explain/v1`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use poolcast_sim::{explain_with, Explanation, RunOptions};

use crate::args::{ExplainArgs, OutputFormat};
use crate::table::{fmt_ms, Table};

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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_sim::explain::{NodeExplanation, ScoreDetail, EXPLAIN_SCHEMA};

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
    }
}

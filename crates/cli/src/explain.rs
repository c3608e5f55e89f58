//! `poolcast explain SCENARIO --pod NAME [--at TIME]`: one scheduling attempt as a table
//! (node, pool, filter verdict, each score plugin's normalised x weight and raw score,
//! total) or as JSON (`poolcast.explain/v1`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use poolcast_sim::{explain, Explanation, RunOptions};

use crate::args::{ExplainArgs, OutputFormat};
use crate::table::{fmt_ms, Table};

/// Explains the attempt.
pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let opts = RunOptions {
        seed: args.seed,
        horizon: None,
    };
    let e = explain(&scenario, &args.pod, args.at, &opts)?;
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

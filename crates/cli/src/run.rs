//! `poolcast run SCENARIO`: simulate once and print a readable summary, or the whole
//! outcome as JSON (`poolcast.run/v1`, docs/output.md).

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

use poolcast_sim::outcome::{NodeEventKind, Outcome, PodCounts};
use poolcast_sim::{simulate, RunOptions};

use crate::args::{OutputFormat, RunArgs};
use crate::table::{fmt_ms, Table};

/// Runs the scenario; exit 1 with `--check` when a target is missed or a pod failed.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = crate::load::scenario(&args.file)?;
    let opts = RunOptions {
        seed: args.seed,
        horizon: args.horizon,
    };
    let outcome = simulate(&scenario, &opts)?;
    let code = ExitCode::from(exit_status(&outcome, args.check));
    let printed = match args.format {
        OutputFormat::Json => write_json(&mut std::io::stdout().lock(), &outcome),
        OutputFormat::Text => {
            let region = scenario.cluster.region.as_deref().unwrap_or("eastus");
            let text = summary_text(&outcome, region);
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("writing the summary to stdout")
        }
    };
    // The process ends as soon as this returns. Freeing a large outcome piece by piece
    // (every pod, node and sample owns its strings and vectors) costs tens of millions of
    // instructions at 1,000 nodes / 10,000 pods (docs/performance.md); the operating system
    // takes the memory back at exit anyway, so the outcome is deliberately not dropped.
    std::mem::forget(outcome);
    printed?;
    Ok(code)
}

/// Bytes buffered between the JSON serialiser and stdout.
const JSON_BUFFER: usize = 64 * 1024;

/// Writes `outcome` as pretty JSON and a line end (what `println!` of
/// `serde_json::to_string_pretty` printed), streamed through a 64 kB buffer rather than
/// built as one string first. A failed write (a closed pipe) is an error, not a panic.
///
/// The text built first guaranteed that a serialisation error wrote nothing. Streaming keeps
/// that because an `Outcome` cannot fail to serialise other than by a failed write: its
/// `Serialize` impls are derived or write a `Display`, none returns a custom error, and its
/// maps are keyed by strings and unit enum variants, which JSON accepts as keys. Should one
/// fail all the same, the bytes still buffered are dropped unwritten.
fn write_json(out: &mut impl Write, outcome: &Outcome) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(JSON_BUFFER, out);
    if let Err(e) = serde_json::to_writer_pretty(&mut w, outcome) {
        // `into_parts` hands the buffer back without writing it (dropping `w` would).
        let _unwritten = w.into_parts();
        return Err(anyhow::Error::from(e).context("writing the outcome as JSON to stdout"));
    }
    w.write_all(b"\n")
        .and_then(|()| w.flush())
        .context("writing the outcome as JSON to stdout")
}

/// 1 when `check` is set and a target was missed or a workload pod failed, else 0.
pub fn exit_status(outcome: &Outcome, check: bool) -> u8 {
    u8::from(check && !outcome.passes_check())
}

fn counts_line(c: &PodCounts) -> String {
    let mut s = format!(
        "{} total: {} ready, {} placed, {} pending, {} failed",
        c.total, c.ready, c.placed, c.pending, c.failed
    );
    if c.succeeded > 0 {
        let _ = write!(s, ", {} succeeded", c.succeeded);
    }
    s
}

/// The text summary of an outcome.
pub fn summary_text(o: &Outcome, region: &str) -> String {
    let s = &o.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenario {} (seed {}, horizon {})",
        o.scenario,
        o.seed,
        fmt_ms(o.horizon_ms)
    );
    let _ = writeln!(out, "\nWorkload pods: {}", counts_line(&s.pods));
    if !s.by_reason.is_empty() {
        let reasons: Vec<String> = s
            .by_reason
            .iter()
            .map(|(r, n)| format!("{} {n}", r.as_str()))
            .collect();
        let _ = writeln!(out, "  failed by reason: {}", reasons.join(", "));
    }
    let _ = writeln!(out, "AKS system pods: {}", counts_line(&s.system_pods));

    let mut t = Table::new(&["WORKLOAD", "KIND", "READY", "PENDING", "FAILED", "REASONS"]);
    let system: std::collections::BTreeSet<&str> = o
        .pods
        .iter()
        .filter(|p| p.system)
        .map(|p| p.workload.as_str())
        .collect();
    for (name, w) in &s.by_workload {
        if system.contains(name.as_str()) {
            continue;
        }
        let reasons: Vec<String> = w
            .by_reason
            .iter()
            .map(|(r, n)| format!("{} {n}", r.as_str()))
            .collect();
        t.row(vec![
            name.clone(),
            w.kind.clone(),
            format!("{}/{}", w.pods.ready, w.pods.total),
            w.pods.pending.to_string(),
            w.pods.failed.to_string(),
            reasons.join(", "),
        ]);
    }
    let _ = writeln!(out, "\nWorkloads:\n{}", t.render(2));

    let mut t = Table::new(&[
        "POOL",
        "OS",
        "VM SIZE",
        "NODES",
        "USD/NODE-H",
        "OF WHICH DISK",
        "PRICE",
        "USD/H",
        "NODE-H",
        "USD RUN",
        "PEAK CPU",
        "PEAK MEM",
    ]);
    for (name, p) in &s.nodes_by_pool {
        let peak = s.peak_utilisation.get(name);
        t.row(vec![
            name.clone(),
            p.os.clone(),
            p.vm_size.clone(),
            p.nodes.to_string(),
            p.price_per_node_hour
                .map_or_else(|| "unpriced".into(), |v| format!("{v:.3}")),
            match p.disk_per_node_hour {
                None => "unpriced".into(),
                Some(d) if p.disk_estimated => format!("{d:.3} estimated"),
                Some(d) => format!("{d:.3}"),
            },
            p.price_basis.clone().unwrap_or_else(|| "-".into()),
            p.cost_per_hour
                .map_or_else(|| "unpriced".into(), |v| format!("{v:.2}")),
            format!("{:.1}", p.node_hours),
            p.run_cost
                .map_or_else(|| "unpriced".into(), |v| format!("{v:.2}")),
            peak.map_or_else(|| "-".into(), |u| format!("{:.0}%", u.cpu * 100.0)),
            peak.map_or_else(|| "-".into(), |u| format!("{:.0}%", u.memory * 100.0)),
        ]);
    }
    let _ = writeln!(out, "Nodes by pool:\n{}", t.render(2));

    if !s.time_to_ready.is_empty() {
        let mut t = Table::new(&["NODE OS", "PODS", "P50", "P95", "MAX"]);
        for (os, p) in &s.time_to_ready {
            t.row(vec![
                os.clone(),
                p.count.to_string(),
                fmt_ms(p.p50_ms),
                fmt_ms(p.p95_ms),
                fmt_ms(p.max_ms),
            ]);
        }
        let _ = writeln!(out, "Time to ready (created -> Ready):\n{}", t.render(2));
    }
    let unpriced = if s.cost.complete {
        String::new()
    } else {
        format!(
            "; UNPRICED, not included: {}",
            s.cost.unpriced_pools.join(", ")
        )
    };
    let estimated = if s.cost.estimated {
        format!(
            "; OS disk prices ESTIMATED (East US price) or unpriced for: {}",
            s.cost.estimated_pools.join(", ")
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Cost, steady (nodes at the end): {:.2} {cur}/hour, {:.2} {cur}/month (730 h) = VMs {:.2} + OS disks {:.2} + AKS {} tier {:.2} per hour\nCost over the run: {:.2} {cur} for {:.1} node-hours in {:.1} h = VMs {:.2} + OS disks {:.2} + AKS tier {:.2}\n(prices in {region}, {}; basis per pool above){unpriced}{estimated}",
        s.cost.per_hour,
        s.cost.per_month,
        s.cost.vms_per_hour,
        s.cost.disks_per_hour,
        s.cost.tier,
        s.cost.tier_fee_per_hour,
        s.cost.run_cost,
        s.cost.node_hours,
        s.cost.run_hours,
        s.cost.run_vms,
        s.cost.run_disks,
        s.cost.run_tier_fee,
        s.cost.basis,
        cur = s.cost.currency,
    );
    if !o.node_events.is_empty() {
        let _ = write!(out, "\nCluster autoscaler:\n{}", node_events_table(o));
    }
    for u in &o.upgrades {
        let _ = write!(out, "\n{}", crate::upgrade::upgrade_text(u));
    }
    if !o.targets.is_empty() {
        let mut t = Table::new(&["TARGET", "WANTED", "ACTUAL", "RESULT"]);
        for tr in &o.targets {
            t.row(vec![
                tr.name.clone(),
                crate::table::readable_duration(&tr.target),
                crate::table::readable_duration(&tr.actual),
                if tr.met { "met" } else { "MISSED" }.into(),
            ]);
        }
        let _ = writeln!(out, "\nTargets:\n{}", t.render(2));
    }
    if !s.top_failures.is_empty() {
        let _ = writeln!(out, "Top failures:");
        for f in &s.top_failures {
            let _ = writeln!(
                out,
                "  {} ({} pod{}): {}",
                f.reason.as_str(),
                f.count,
                if f.count == 1 { "" } else { "s" },
                f.message
            );
            const SHOWN: usize = 8;
            let mut names = f
                .pods
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if f.pods.len() > SHOWN {
                let _ = write!(names, ", ... {} more", f.pods.len() - SHOWN);
            }
            let _ = writeln!(out, "    pods: {names}");
        }
    }
    out
}

/// The autoscaler's events, joins and removals of one pool at one instant on one line.
fn node_events_table(o: &Outcome) -> String {
    let mut t = Table::new(&["TIME", "EVENT", "POOL", "NODES", "DETAIL"]);
    let mut i = 0;
    while i < o.node_events.len() {
        let e = &o.node_events[i];
        let mut j = i + 1;
        let groups = matches!(e.kind, NodeEventKind::NodeJoined | NodeEventKind::ScaleDown);
        while groups
            && j < o.node_events.len()
            && o.node_events[j].kind == e.kind
            && o.node_events[j].at_ms == e.at_ms
            && o.node_events[j].pool == e.pool
        {
            j += 1;
        }
        let count: u32 = o.node_events[i..j].iter().map(|x| x.count).sum();
        let detail = if j - i > 1 {
            let names: Vec<&str> = o.node_events[i..j]
                .iter()
                .filter_map(|x| x.node.as_deref())
                .collect();
            names.join(", ")
        } else {
            e.message.clone()
        };
        t.row(vec![
            fmt_ms(e.at_ms),
            format!("{:?}", e.kind),
            e.pool.clone().unwrap_or_else(|| "-".into()),
            count.to_string(),
            detail,
        ]);
        i = j;
    }
    t.render(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
apiVersion: poolcast/v1
kind: Scenario
metadata: {name: cli-run}
cluster: {kubernetesVersion: "1.33", region: eastus}
pools:
  - {name: system, mode: System, os: linux, vmSize: Standard_D4s_v5, count: 2}
  - {name: win, os: windows, vmSize: Standard_D4s_v5, count: 1}
images:
  - {name: "nginx:1.31.3", catalog: nginx-1.31}
  - {name: "legacy:1", catalog: aspnet-4.8-ltsc2019}
workloads:
  - {name: web, kind: Deployment, replicas: 2, image: "nginx:1.31.3", nodeSelector: {kubernetes.io/os: linux}}
  - {name: legacy, kind: Deployment, replicas: 1, image: "legacy:1", nodeSelector: {kubernetes.io/os: windows}}
targets: {allPlaced: true}
sim: {horizon: 20m}
"#;

    fn outcome() -> Outcome {
        let (s, _) = poolcast_model::parse_scenario(SCENARIO, poolcast_model::Format::Yaml, "t")
            .expect("valid scenario");
        simulate(&s, &RunOptions::default()).expect("runs")
    }

    #[test]
    fn check_fails_on_failed_pods_and_text_names_them() {
        let o = outcome();
        assert_eq!(exit_status(&o, false), 0);
        assert_eq!(exit_status(&o, true), 1);
        let text = summary_text(&o, "eastus");
        assert!(
            text.contains("Scenario cli-run (seed 42, horizon 20m00.0s)"),
            "{text}"
        );
        assert!(text.contains("OsVersionMismatch (1 pod)"), "{text}");
        assert!(text.contains("pods: legacy-0"), "{text}");
        assert!(text.contains("allPlaced"), "{text}");
        assert!(text.contains("MISSED"), "{text}");
    }

    #[test]
    fn json_is_streamed_as_the_pretty_text_and_a_failed_write_is_an_error() {
        let o = outcome();
        let mut streamed = Vec::new();
        write_json(&mut streamed, &o).expect("writes to a vector");
        let text = serde_json::to_string_pretty(&o).expect("serialises");
        assert_eq!(streamed, format!("{text}\n").into_bytes());
        assert!(streamed.len() > JSON_BUFFER / 4, "{}", streamed.len());

        /// Takes `room` bytes, then fails like a closed pipe.
        struct Closed {
            room: usize,
        }
        impl Write for Closed {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.room == 0 {
                    return Err(std::io::ErrorKind::BrokenPipe.into());
                }
                let n = buf.len().min(self.room);
                self.room -= n;
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for room in [0, 100, streamed.len() - 1] {
            let e = write_json(&mut Closed { room }, &o).expect_err("the pipe is closed");
            let msg = format!("{e:#}");
            assert!(msg.contains("writing the outcome"), "{msg}");
            assert!(
                e.chain().any(|c| c
                    .downcast_ref::<serde_json::Error>()
                    .is_some_and(serde_json::Error::is_io)
                    || c.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)),
                "{msg}"
            );
        }
    }

    #[test]
    fn run_reads_a_file_and_refuses_a_bad_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("s.yaml");
        std::fs::write(&good, SCENARIO).expect("write");
        let args = RunArgs {
            file: good,
            seed: Some(3),
            horizon: None,
            format: OutputFormat::Json,
            check: false,
        };
        assert!(run(&args).is_ok());
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "apiVersion: poolcast/v1\nkind: Scenario\n").expect("write");
        let args = RunArgs { file: bad, ..args };
        assert!(run(&args).is_err());
    }
}

//! `sim.variability`: drawn provisioning, pull and container-start times. Replications of
//! the bundled morning burst differ and band their p95 time to ready; `none` keeps point
//! values; the same seed gives the same bytes; the draws shift no other RNG stream.

use poolcast_model::catalog::provisioning::{container_start, node_ready_time};
use poolcast_model::scenario::{Os, Variability};
use poolcast_sim::outcome::{NodeEventKind, Outcome};
use poolcast_sim::replicate::replicate;
use poolcast_sim::RunOptions;

use crate::common::*;

const MORNING_BURST: &str = include_str!("../../../scenarios/morning-burst.yaml");

/// Provisioning times of autoscaled nodes of `pool`: join time minus the scale-up that
/// asked for them (the message states it).
fn joined_after(o: &Outcome, pool: &str) -> Vec<String> {
    o.node_events
        .iter()
        .filter(|e| e.kind == NodeEventKind::NodeJoined && e.pool.as_deref() == Some(pool))
        .map(|e| e.message.clone())
        .collect()
}

#[test]
fn two_hundred_morning_bursts_band_their_p95_time_to_ready() {
    let s = scenario(MORNING_BURST);
    assert_eq!(s.sim.variability, Variability::On, "on by default");
    let r = replicate(&s, &RunOptions::default(), 200).unwrap();
    let bands = &r.summary.time_to_ready.bands;
    assert_eq!(bands.runs, 200);
    let p95 = bands.p95;
    assert!(
        p95.relative_width() > 0.10,
        "p95 time-to-ready band {p95:?} is not wider than 10% of its median"
    );
    let win = r.summary.time_to_ready.bands_by_os["windows"].p95;
    assert!(win.relative_width() > 0.10, "{win:?}");
    // The median run still looks like the point run: the same order of magnitude.
    let mut point = s.clone();
    point.sim.variability = Variability::None;
    let o = run(&point);
    let point_p95 = o.summary.time_to_ready["windows"].p95_ms;
    assert!(
        win.median_ms > point_p95 / 2 && win.median_ms < point_p95 * 2,
        "median p95 {} vs point {point_p95}",
        win.median_ms
    );
}

#[test]
fn none_keeps_point_values_and_on_draws_them() {
    let mut s = scenario(MORNING_BURST);
    s.sim.variability = Variability::None;
    let point = run(&s);
    let windows = node_ready_time(Os::Windows).default;
    for m in joined_after(&point, "win") {
        assert!(
            m.ends_with(&format!(
                "joined Ready {} after the scale-up request",
                windows.readable()
            )),
            "{m}"
        );
    }
    let start = container_start(Os::Windows).default.as_ms();
    let claims = pods_of(&point, "claims-web");
    assert!(claims
        .iter()
        .filter_map(|p| Some(p.started_ms? - p.pulled_ms?))
        .all(|d| d == start));

    s.sim.variability = Variability::On;
    let drawn = run(&s);
    let joins = joined_after(&drawn, "win");
    assert!(joins.len() > 1);
    let distinct: std::collections::BTreeSet<&String> = joins.iter().collect();
    assert!(
        distinct.len() > 1,
        "every node draws its own time: {joins:?}"
    );
    let starts: std::collections::BTreeSet<u64> = pods_of(&drawn, "claims-web")
        .iter()
        .filter_map(|p| Some(p.started_ms? - p.pulled_ms?))
        .collect();
    assert!(starts.len() > 1, "{starts:?}");
    assert!(drawn.assumptions.iter().any(|a| a.topic == "variability"));
}

/// Windows provisioning has no published distribution: the catalog's range bounds every
/// draw (no node reaches max-node-provision-time).
#[test]
fn drawn_windows_provisioning_stays_within_the_catalog_range() {
    let s = scenario(MORNING_BURST);
    let e = node_ready_time(Os::Windows);
    for seed in 0..5 {
        let o = poolcast_sim::simulate(
            &s,
            &RunOptions {
                seed: Some(seed),
                horizon: None,
            },
        )
        .unwrap();
        let requested: Vec<u64> = o
            .node_events
            .iter()
            .filter(|e| {
                e.kind == NodeEventKind::TriggeredScaleUp && e.pool.as_deref() == Some("win")
            })
            .map(|e| e.at_ms)
            .collect();
        assert!(!requested.is_empty());
        for n in o
            .nodes
            .iter()
            .filter(|n| n.pool == "win" && n.created_ms > 0)
        {
            assert!(
                requested.iter().any(|&r| {
                    n.created_ms >= r
                        && (e.low.as_ms()..=e.high.as_ms()).contains(&(n.created_ms - r))
                }),
                "{} joined at {} after requests {requested:?}",
                n.name,
                n.created_ms
            );
        }
        assert!(o
            .node_events
            .iter()
            .all(|e| e.kind != NodeEventKind::ScaleUpTimedOut));
    }
}

#[test]
fn same_seed_same_bytes_and_other_streams_unshifted() {
    let s = scenario(&MORNING_BURST.replace(
        "    startup: 5s\n",
        "    startup: 5s\n    arrival: {poisson: {ratePerMinute: 30}}\n",
    ));
    let a = serde_json::to_string(&run(&s)).unwrap();
    let b = serde_json::to_string(&run(&s)).unwrap();
    assert_eq!(a, b);
    // Arrivals come from their own stream: drawing durations does not move them.
    let mut none = s.clone();
    none.sim.variability = Variability::None;
    // (Before the 10m scale event; no scale-down replaces a pod that early.)
    let created = |o: &Outcome| -> Vec<u64> {
        o.pods
            .iter()
            .filter(|p| p.workload == "rates-api" && p.created_ms < 600_000)
            .map(|p| p.created_ms)
            .collect()
    };
    let (on, off) = (run(&s), run(&none));
    assert!(created(&on).len() >= 2);
    assert_eq!(created(&on), created(&off));
    assert_ne!(on, off, "variability changes the run");
}

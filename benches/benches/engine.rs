//! Engine event throughput: the `EventQueue` the run loop drives, under a steady state of
//! scheduled, cancelled and popped events (a pull completion schedules the next, a
//! back-off timer is cancelled when the pod binds), and a whole small run measured in
//! events handled. Figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use poolcast_sim::engine::{rng_for, EventQueue, SimTime, Stream};
use rand::Rng;

/// Pops `n` events from a queue kept at `live` pending events; every popped event schedules
/// one successor at a random delay, and every fourth also schedules and cancels a timer.
fn steady_state(live: usize, n: usize) -> u64 {
    let mut rng = rng_for(7, Stream::Arrivals);
    let mut q: EventQueue<u64> = EventQueue::new();
    for i in 0..live {
        q.schedule(SimTime(rng.random_range(0..60_000)), i as u64);
    }
    let mut sum = 0u64;
    for i in 0..n {
        let Some((t, e)) = q.pop() else { break };
        sum = sum.wrapping_add(e ^ t.0);
        q.schedule_in(rng.random_range(1..60_000), e);
        if i % 4 == 0 {
            let k = q.schedule_in(30_000, u64::MAX);
            q.cancel(k);
        }
    }
    sum
}

fn event_queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    g.sample_size(20);
    const N: usize = 1_000_000;
    g.throughput(Throughput::Elements(N as u64));
    for live in [1_000, 200_000] {
        g.bench_with_input(BenchmarkId::new("pop_schedule", live), &live, |b, &live| {
            b.iter(|| steady_state(live, N))
        });
    }
    g.finish();
}

criterion_group!(benches, event_queue);
criterion_main!(benches);

//! The scheduling queue as the engine drives it (`pkg/scheduler/backend/queue`
//! `PriorityQueue`): activeQ ordered by priority then queue time, backoffQ keyed by the end
//! of each pod's back-off (initial 1 s doubling to 10 s per failed attempt), and the
//! unschedulable pool, flushed by cluster events (`MoveAllToActiveOrBackoffQueue`) or after
//! `podMaxInUnschedulablePodsDuration` (5 min).
//!
//! INTERIM: replaced by `scheduler::queue` when the scheduler branch lands.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use crate::cluster::{Cluster, PodId};
use crate::engine::SimTime;

/// `podMaxInUnschedulablePodsDuration` (`pkg/scheduler/scheduler.go`, 5 min).
const MAX_IN_UNSCHEDULABLE_MS: u64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Out,
    Active,
    Backoff,
    Unschedulable,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    state: State,
    priority: i32,
    attempts: u32,
    last_attempt: SimTime,
    since: SimTime,
    seq: u64,
}

/// The pending-pod queue.
#[derive(Debug)]
pub(crate) struct PendingQueue {
    initial_ms: u64,
    max_ms: u64,
    entries: Vec<Entry>,
    active: BinaryHeap<(i32, Reverse<u64>, Reverse<u64>, u32)>,
    backoff: BinaryHeap<Reverse<(u64, u64, u32)>>,
    unschedulable: BTreeSet<(u64, u32)>,
    seq: u64,
}

impl PendingQueue {
    pub(crate) fn new(initial_ms: u64, max_ms: u64) -> Self {
        PendingQueue {
            initial_ms,
            max_ms,
            entries: Vec::new(),
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            unschedulable: BTreeSet::new(),
            seq: 0,
        }
    }

    /// Makes room for `pod`'s entry.
    pub(crate) fn ensure(&mut self, pod: PodId) {
        while self.entries.len() <= pod.idx() {
            self.entries.push(Entry {
                state: State::Out,
                priority: 0,
                attempts: 0,
                last_attempt: SimTime::ZERO,
                since: SimTime::ZERO,
                seq: 0,
            });
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn push_active(&mut self, pod: PodId, now: SimTime) {
        let seq = self.next_seq();
        let e = &mut self.entries[pod.idx()];
        e.state = State::Active;
        e.since = now;
        e.seq = seq;
        self.active
            .push((e.priority, Reverse(now.ms()), Reverse(seq), pod.0));
    }

    fn backoff_end(&self, pod: PodId) -> SimTime {
        let e = &self.entries[pod.idx()];
        if e.attempts == 0 {
            return SimTime::ZERO;
        }
        let shift = (e.attempts - 1).min(30);
        let d = self
            .initial_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_ms);
        e.last_attempt.plus_ms(d)
    }

    fn push_backoff_or_active(&mut self, pod: PodId, now: SimTime) {
        let end = self.backoff_end(pod);
        if end <= now {
            self.push_active(pod, now);
        } else {
            let seq = self.next_seq();
            let e = &mut self.entries[pod.idx()];
            e.state = State::Backoff;
            e.seq = seq;
            self.backoff.push(Reverse((end.ms(), seq, pod.0)));
        }
    }

    /// A new pod.
    pub(crate) fn add(&mut self, pod: PodId, now: SimTime, cluster: &Cluster) {
        self.ensure(pod);
        self.entries[pod.idx()].priority = cluster.spec_of(pod).priority;
        self.push_active(pod, now);
    }

    /// Pops the next active pod.
    pub(crate) fn pop(&mut self, _now: SimTime) -> Option<PodId> {
        while let Some((_, _, Reverse(seq), p)) = self.active.pop() {
            let e = &mut self.entries[p as usize];
            if e.state == State::Active && e.seq == seq {
                e.state = State::Out;
                return Some(PodId(p));
            }
        }
        None
    }

    /// The pod was bound.
    pub(crate) fn done(&mut self, pod: PodId) {
        self.entries[pod.idx()].state = State::Out;
    }

    /// A failed attempt: into the unschedulable pool with its back-off counted.
    pub(crate) fn add_unschedulable(&mut self, pod: PodId, now: SimTime) {
        let e = &mut self.entries[pod.idx()];
        e.attempts += 1;
        e.last_attempt = now;
        e.state = State::Unschedulable;
        e.since = now;
        self.unschedulable.insert((now.ms(), pod.0));
    }

    /// A deleted pod leaves the queue.
    pub(crate) fn remove(&mut self, pod: PodId) {
        if let Some(e) = self.entries.get_mut(pod.idx()) {
            if e.state == State::Unschedulable {
                self.unschedulable.remove(&(e.since.ms(), pod.0));
            }
            e.state = State::Out;
        }
    }

    /// A cluster event that may make pods schedulable: every unschedulable pod goes to
    /// activeQ, or to backoffQ while its back-off runs.
    pub(crate) fn move_all(&mut self, now: SimTime) {
        let all: Vec<(u64, u32)> = std::mem::take(&mut self.unschedulable)
            .into_iter()
            .collect();
        for (_, p) in all {
            self.push_backoff_or_active(PodId(p), now);
        }
    }

    /// Moves expired back-offs to activeQ and long-unschedulable pods out of the pool.
    pub(crate) fn flush(&mut self, now: SimTime) {
        while let Some(&Reverse((end, seq, p))) = self.backoff.peek() {
            if end > now.ms() {
                break;
            }
            self.backoff.pop();
            let e = self.entries[p as usize];
            if e.state == State::Backoff && e.seq == seq {
                self.push_active(PodId(p), now);
            }
        }
        while let Some(&(since, p)) = self.unschedulable.first() {
            if now.ms().saturating_sub(since) < MAX_IN_UNSCHEDULABLE_MS {
                break;
            }
            self.unschedulable.pop_first();
            self.push_backoff_or_active(PodId(p), now);
        }
    }

    /// When `flush` next has work.
    pub(crate) fn next_wake(&mut self) -> Option<SimTime> {
        while let Some(&Reverse((_, seq, p))) = self.backoff.peek() {
            let e = self.entries[p as usize];
            if e.state == State::Backoff && e.seq == seq {
                break;
            }
            self.backoff.pop();
        }
        let b = self.backoff.peek().map(|Reverse((end, _, _))| *end);
        let u = self
            .unschedulable
            .first()
            .map(|(since, _)| since + MAX_IN_UNSCHEDULABLE_MS);
        match (b, u) {
            (Some(x), Some(y)) => Some(SimTime(x.min(y))),
            (x, y) => x.or(y).map(SimTime),
        }
    }

    /// Pods waiting in any sub-queue.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.state != State::Out)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Owner, PodSpec, Res};
    use poolcast_model::scenario::WorkloadKind;

    fn cluster_with(prios: &[i32]) -> Cluster {
        let mut c = Cluster::default();
        for (i, &p) in prios.iter().enumerate() {
            let s = c.add_spec(PodSpec {
                workload: format!("w{i}"),
                namespace: "default".into(),
                owner: Owner::Workload(WorkloadKind::Deployment),
                labels: Default::default(),
                requests: Res::default(),
                non_zero: Res::default(),
                node_selector: Default::default(),
                required_node_affinity: None,
                preferred_node_affinity: Vec::new(),
                affinity: None,
                tolerations: Vec::new(),
                topology_spread: Vec::new(),
                system_default_spread: false,
                images: Vec::new(),
                priority: p,
                never_preempt: false,
            });
            c.add_pod(format!("p{i}"), s, None);
        }
        c
    }

    #[test]
    fn priority_then_fifo_and_backoff_doubles() {
        let c = cluster_with(&[0, 10, 0]);
        let mut q = PendingQueue::new(1000, 10_000);
        for i in 0..3 {
            q.add(PodId(i), SimTime(0), &c);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop(SimTime(0)).map(|p| p.0)).collect();
        assert_eq!(order, [1, 0, 2]);
        // Fails at t=0 and t=1s: back-off 1 s then 2 s.
        q.add_unschedulable(PodId(0), SimTime(0));
        q.move_all(SimTime(0));
        assert_eq!(q.next_wake(), Some(SimTime(1000)));
        q.flush(SimTime(1000));
        assert_eq!(q.pop(SimTime(1000)), Some(PodId(0)));
        q.add_unschedulable(PodId(0), SimTime(1000));
        q.move_all(SimTime(1500));
        assert_eq!(q.next_wake(), Some(SimTime(3000)));
        // Without events, an unschedulable pod is retried after 5 min.
        let mut q2 = PendingQueue::new(1000, 10_000);
        q2.add(PodId(2), SimTime(0), &c);
        q2.pop(SimTime(0));
        q2.add_unschedulable(PodId(2), SimTime(0));
        assert_eq!(q2.next_wake(), Some(SimTime(300_000)));
        q2.flush(SimTime(300_000));
        assert_eq!(q2.pop(SimTime(300_000)), Some(PodId(2)));
        q2.remove(PodId(2));
        assert_eq!(q2.len(), 0);
    }
}

//! The scheduling queue as it was before its activeQ and unschedulable pool were kept in
//! runs (ordered sets of every pod): the reference `queue`'s tests compare it with, call
//! for call.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BTreeSet;

use super::{ClusterEvent, QueueSettings, QueueState};
use crate::cluster::PodId;
use crate::engine::SimTime;

const BACKOFF_ORDERING_WINDOW_MS: u64 = super::BACKOFF_ORDERING_WINDOW_MS;

#[derive(Debug, Clone)]
struct Entry {
    state: QueueState,
    priority: i32,
    timestamp: u64,
    seq: u64,
    attempts: u32,
    pop_cycle: u64,
    rejectors: Vec<&'static str>,
    backoff_expiry: u64,
}

type ActiveKey = (Reverse<i32>, u64, u64, PodId);
type BackoffKey = (u64, Reverse<i32>, u64, u64, PodId);
type UnschedKey = (u64, u64, PodId);

/// The priority queue with its three parts.
#[derive(Debug, Clone, Default)]
pub(super) struct ReferenceQueue {
    settings: QueueSettings,
    entries: Vec<Option<Entry>>,
    active: BTreeSet<ActiveKey>,
    backoff: BTreeSet<BackoffKey>,
    unschedulable: BTreeSet<UnschedKey>,
    seq: u64,
    cycle: u64,
    in_flight: usize,
    /// Events received while pods were in flight, with the cycle they arrived in.
    events: Vec<(u64, ClusterEvent)>,
}

impl ReferenceQueue {
    /// An empty queue.
    pub fn new(settings: QueueSettings) -> ReferenceQueue {
        ReferenceQueue {
            settings,
            ..ReferenceQueue::default()
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    fn entry(&self, pod: PodId) -> Option<&Entry> {
        self.entries.get(pod.idx()).and_then(Option::as_ref)
    }

    /// Adds a new pod to the activeQ (`Add`); false if the queue already knows it.
    pub fn add(&mut self, pod: PodId, priority: i32, now: SimTime) -> bool {
        if self.entry(pod).is_some() {
            return false;
        }
        if self.entries.len() <= pod.idx() {
            self.entries.resize_with(pod.idx() + 1, || None);
        }
        self.seq += 1;
        let e = Entry {
            state: QueueState::Active,
            priority,
            timestamp: now.ms(),
            seq: self.seq,
            attempts: 0,
            pop_cycle: 0,
            rejectors: Vec::new(),
            backoff_expiry: 0,
        };
        self.active
            .insert((Reverse(priority), e.timestamp, e.seq, pod));
        self.entries[pod.idx()] = Some(e);
        true
    }

    /// The next pod to schedule (`Pop`): completed backoffs move to the activeQ first; with
    /// `pop_from_backoff` an empty activeQ yields the backoffQ's head.
    pub fn pop(&mut self, now: SimTime) -> Option<PodId> {
        self.flush_backoff_completed(now);
        let pod = match self.active.pop_first() {
            Some((_, _, _, pod)) => pod,
            None if self.settings.pop_from_backoff => self.backoff.pop_first()?.4,
            None => return None,
        };
        self.cycle += 1;
        self.in_flight += 1;
        let cycle = self.cycle;
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.state = QueueState::InFlight;
            e.attempts += 1;
            e.pop_cycle = cycle;
        }
        Some(pod)
    }

    /// A popped pod was bound (`Done`): the queue forgets it.
    pub fn done(&mut self, pod: PodId) {
        self.remove(pod);
    }

    /// A popped pod failed (`AddUnschedulableIfNotPresent`) and the plugins that rejected it
    /// are not known: any cluster event retries it.
    pub fn add_unschedulable(&mut self, pod: PodId, now: SimTime) {
        self.add_unschedulable_by(pod, now, &[]);
    }

    /// A popped pod failed, rejected by `rejected_by` (`FitError::unschedulable_plugins`;
    /// empty = unknown, any event retries it): its timestamp becomes `now`; it waits in the
    /// unschedulable pool, or goes to the backoffQ if an event that interests one of the
    /// plugins arrived while it was in flight.
    pub fn add_unschedulable_by(&mut self, pod: PodId, now: SimTime, rejected_by: &[&'static str]) {
        let Some(e) = self.entries.get_mut(pod.idx()).and_then(Option::as_mut) else {
            return;
        };
        if e.state != QueueState::InFlight {
            return;
        }
        self.in_flight -= 1;
        e.timestamp = now.ms();
        e.rejectors = rejected_by.to_vec();
        let pop_cycle = e.pop_cycle;
        let rejectors = std::mem::take(&mut e.rejectors);
        let moved = self
            .events
            .iter()
            .any(|&(c, ev)| c >= pop_cycle && ev.moves(&rejectors));
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.rejectors = rejectors;
        }
        if moved {
            self.requeue(pod, now);
        } else {
            self.insert_unschedulable(pod);
        }
        if self.in_flight == 0 {
            self.events.clear();
        }
    }

    /// Moves every unschedulable pod (`MoveAllToActiveOrBackoffQueue` with the wildcard
    /// event).
    pub fn move_all_to_active_or_backoff(&mut self, now: SimTime) {
        self.on_event(ClusterEvent::Wildcard, now);
    }

    /// Moves the unschedulable pods whose rejecting plugins registered `event`.
    pub fn on_event(&mut self, event: ClusterEvent, now: SimTime) {
        if self.in_flight > 0 {
            self.events.push((self.cycle, event));
        }
        let to_move: Vec<PodId> = self
            .unschedulable
            .iter()
            .map(|&(_, _, p)| p)
            .filter(|&p| self.entry(p).is_some_and(|e| event.moves(&e.rejectors)))
            .collect();
        for p in to_move {
            self.take_unschedulable(p);
            self.requeue(p, now);
        }
    }

    /// `flushUnschedulablePodsLeftover` (every 30 s in kube) and the backoff flush: pods
    /// unschedulable for longer than `max_in_unschedulable_ms` are moved.
    pub fn flush(&mut self, now: SimTime) {
        let limit = self.settings.max_in_unschedulable_ms;
        let to_move: Vec<PodId> = self
            .unschedulable
            .iter()
            .take_while(|&&(ts, _, _)| now.ms().saturating_sub(ts) > limit)
            .map(|&(_, _, p)| p)
            .collect();
        for p in to_move {
            self.take_unschedulable(p);
            self.requeue(p, now);
        }
        self.flush_backoff_completed(now);
    }

    /// When the next backoffQ pod completes its backoff, if any.
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        self.backoff.first().map(|&(expiry, ..)| {
            SimTime(if self.settings.pop_from_backoff {
                // Done once the window holding the expiry is over.
                expiry + BACKOFF_ORDERING_WINDOW_MS
            } else {
                expiry
            })
        })
    }

    /// When the oldest unschedulable pod becomes due for `flush`, if any.
    pub fn next_flush_due(&self) -> Option<SimTime> {
        self.unschedulable
            .first()
            .map(|&(ts, _, _)| SimTime(ts + self.settings.max_in_unschedulable_ms + 1))
    }

    /// Forgets a pod wherever it is (deleted); false if unknown.
    pub fn remove(&mut self, pod: PodId) -> bool {
        let Some(e) = self.entries.get_mut(pod.idx()).and_then(Option::take) else {
            return false;
        };
        match e.state {
            QueueState::Active => {
                self.active
                    .remove(&(Reverse(e.priority), e.timestamp, e.seq, pod));
            }
            QueueState::Backoff => {
                self.backoff.remove(&(
                    e.backoff_expiry,
                    Reverse(e.priority),
                    e.timestamp,
                    e.seq,
                    pod,
                ));
            }
            QueueState::Unschedulable => {
                self.unschedulable.remove(&(e.timestamp, e.seq, pod));
            }
            QueueState::InFlight => {
                self.in_flight -= 1;
                if self.in_flight == 0 {
                    self.events.clear();
                }
            }
        }
        true
    }

    /// Pending pods (active + backoff + unschedulable; in-flight pods excluded).
    pub fn len(&self) -> usize {
        self.active.len() + self.backoff.len() + self.unschedulable.len()
    }

    /// True when no pod is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pods in the activeQ.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// Pods in the backoffQ.
    pub fn backoff_len(&self) -> usize {
        self.backoff.len()
    }

    /// Pods in the unschedulable pool.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }

    /// Pods popped and not yet reported back.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Where `pod` is, if queued.
    pub fn state(&self, pod: PodId) -> Option<QueueState> {
        self.entry(pod).map(|e| e.state)
    }

    /// Scheduling attempts of `pod` so far.
    pub fn attempts(&self, pod: PodId) -> u32 {
        self.entry(pod).map_or(0, |e| e.attempts)
    }

    /// `calculateBackoffDuration`: initial doubled per attempt after the first, capped.
    pub fn backoff_duration_ms(&self, attempts: u32) -> u64 {
        if attempts == 0 {
            return 0;
        }
        let max = self.settings.max_backoff_ms;
        let mut d = self.settings.initial_backoff_ms;
        for _ in 1..attempts {
            if d > max.saturating_sub(d) {
                return max;
            }
            d += d;
        }
        d
    }

    fn align(&self, t: u64) -> u64 {
        if self.settings.pop_from_backoff {
            t - t % BACKOFF_ORDERING_WINDOW_MS
        } else {
            t
        }
    }

    /// `isPodBackingoff` negated.
    fn backoff_done(&self, expiry: u64, now: SimTime) -> bool {
        if self.settings.pop_from_backoff {
            expiry < self.align(now.ms())
        } else {
            expiry <= now.ms()
        }
    }

    /// `requeuePodWithQueueingStrategy(queueAfterBackoff)`: backoffQ while backing off,
    /// activeQ after.
    fn requeue(&mut self, pod: PodId, now: SimTime) {
        let Some(e) = self.entries[pod.idx()].as_ref() else {
            return;
        };
        let expiry = if e.attempts == 0 {
            0
        } else {
            self.align(e.timestamp + self.backoff_duration_ms(e.attempts))
        };
        let done = e.attempts == 0 || self.backoff_done(expiry, now);
        let (priority, ts, seq) = (e.priority, e.timestamp, e.seq);
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.backoff_expiry = expiry;
            e.state = if done {
                QueueState::Active
            } else {
                QueueState::Backoff
            };
        }
        if done {
            self.active.insert((Reverse(priority), ts, seq, pod));
        } else {
            self.backoff
                .insert((expiry, Reverse(priority), ts, seq, pod));
        }
    }

    fn insert_unschedulable(&mut self, pod: PodId) {
        if let Some(e) = self.entries[pod.idx()].as_mut() {
            e.state = QueueState::Unschedulable;
            self.unschedulable.insert((e.timestamp, e.seq, pod));
        }
    }

    fn take_unschedulable(&mut self, pod: PodId) {
        if let Some(e) = self.entries[pod.idx()].as_ref() {
            self.unschedulable.remove(&(e.timestamp, e.seq, pod));
        }
    }

    /// `flushBackoffQCompleted`.
    fn flush_backoff_completed(&mut self, now: SimTime) {
        while let Some(&(expiry, prio, ts, seq, pod)) = self.backoff.first() {
            if !self.backoff_done(expiry, now) {
                break;
            }
            self.backoff.pop_first();
            if let Some(e) = self.entries[pod.idx()].as_mut() {
                e.state = QueueState::Active;
            }
            self.active.insert((prio, ts, seq, pod));
        }
    }
}

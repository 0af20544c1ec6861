//! The future event list: a binary heap ordered by (time, sequence number), and the clock.
//!
//! Guarantees (tested below):
//! - events pop in time order;
//! - events at the same instant pop in the order they were scheduled (FIFO), because the heap
//!   orders by `(time, sequence number)`;
//! - a cancelled event is never delivered. Cancellation is lazy: the entry stays in the heap and
//!   is dropped when it reaches the top, so cancelling costs O(1) and no heap surgery.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use crate::time::SimTime;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKey(u64);

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The future event list and the clock.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
    now: SimTime,
    /// Sequence numbers of cancelled events still in the heap. Cancellation is rare (a timeout
    /// that did not fire), so a set of the few cancelled keys beats a flag per event.
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: SimTime::ZERO,
            cancelled: HashSet::new(),
        }
    }

    /// The time of the event last popped.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`. An instant in the past is taken as now: time never runs back.
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Entry {
            at: at.max(self.now),
            seq,
            event,
        }));
        EventKey(seq)
    }

    /// Cancels an event that is still pending. The caller must not cancel an event that has
    /// already been delivered: the model only cancels timers whose purpose has passed.
    pub fn cancel(&mut self, key: EventKey) {
        debug_assert!(key.0 < self.next_seq);
        self.cancelled.insert(key.0);
    }

    /// The time of the next live event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_cancelled();
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Removes the next live event and advances the clock to it.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.drop_cancelled();
        let Reverse(entry) = self.heap.pop()?;
        self.now = entry.at;
        Some((entry.at, entry.event))
    }

    /// Advances the clock to `t` without an event: the engine's loop does, for inputs that
    /// never entered the heap. Time never runs back; an input stream that would make it is a
    /// bug in the stream, caught here in debug builds.
    #[inline]
    pub(super) fn advance_to(&mut self, t: SimTime) {
        debug_assert!(
            t >= self.now,
            "an input at {t:?} arrived after the clock reached {:?}: input streams must be in time order",
            self.now
        );
        self.now = self.now.max(t);
    }

    pub fn len(&self) -> usize {
        self.heap.len().saturating_sub(self.cancelled.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn drop_cancelled(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(Reverse(top)) = self.heap.peek() {
            if !self.cancelled.remove(&top.seq) {
                break;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(30), 'c');
        q.schedule(SimTime(10), 'a');
        q.schedule(SimTime(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
    }

    #[test]
    fn same_instant_is_first_in_first_out() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.schedule(SimTime(5), i);
        }
        q.schedule(SimTime(1), -1);
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order[0], -1);
        assert_eq!(&order[1..], &(0..100).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn cancelled_events_are_never_delivered() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), "a");
        q.schedule(SimTime(2), "b");
        let c = q.schedule(SimTime(3), "c");
        q.cancel(a);
        q.cancel(c);
        assert_eq!(q.len(), 1);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
        assert_eq!(q.pop(), Some((SimTime(2), "b")));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn the_clock_follows_popped_events_and_never_runs_back() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        assert_eq!(q.now(), SimTime(10));
        q.schedule(SimTime(3), ());
        assert_eq!(q.pop(), Some((SimTime(10), ())));
    }
}

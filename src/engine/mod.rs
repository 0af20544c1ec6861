//! The generic event core: the only clock, a queue of timed events, and the loop that merges that
//! queue with a model's time-ordered input streams. It knows nothing of caches.
//!
//! A model has three sources of work:
//! - **events** it scheduled itself for later (a generation finishing, a timer), kept in the
//!   `EventQueue` heap;
//! - **changes**, a time-ordered stream of outside changes to the world (an editor's edit);
//! - **arrivals**, a time-ordered stream of outside arrivals (a user's request).
//!
//! Streams that come in time order anyway never pass through the heap, which SimCore's notes
//! measured as the larger part of a simulation's cost; the loop only compares three times.
//!
//! Guarantees (tested below and in `queue`):
//! - the clock never runs back: every handler sees `queue.now()` at the instant of what it
//!   handles, and an input stream out of time order is a bug caught by a debug assertion;
//! - at equal instants, events run first, in the order they were scheduled (FIFO), then changes,
//!   then arrivals: an arrival sees the world as every earlier cause left it;
//! - nothing at or after `until` is handled; the clock ends at `until`.
//!
//! The design follows SimCore's (one queue, one clock, ties broken by insertion order) and
//! nexosim's written ordering guarantees.

mod queue;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

pub use queue::{EventKey, EventQueue};

use crate::time::SimTime;

/// Something that happens at a known instant.
pub trait Timed {
    fn at(&self) -> SimTime;
}

impl<T> Timed for (SimTime, T) {
    fn at(&self) -> SimTime {
        self.0
    }
}

/// A model driven by the engine's loop. Handlers read the time from `queue().now()`.
pub trait Model {
    type Event;
    type Change: Timed;
    type Arrival: Timed;

    /// How many arrivals the loop reads ahead of the one it hands over, for `arrival_ahead`.
    const LOOKAHEAD: usize = 0;

    fn queue(&mut self) -> &mut EventQueue<Self::Event>;
    fn event(&mut self, event: Self::Event);
    fn change(&mut self, change: Self::Change);
    fn arrival(&mut self, arrival: Self::Arrival);

    /// Shown each arrival twice before its turn: when it is read, `LOOKAHEAD` arrivals ahead
    /// (`distance == LOOKAHEAD`), and again `LOOKAHEAD / 2` ahead: arrivals do not depend on the model's state, so a model can prefetch
    /// the memory an arrival will touch while it handles the ones before.
    fn arrival_ahead(&self, _arrival: &Self::Arrival, _distance: usize) {}
}

/// How often the loop adds the simulated time to a progress counter: rarely enough to cost
/// nothing, often enough for a progress bar.
const PROGRESS_EVERY: u32 = 1 << 16;

/// Runs `model` on its events and the two input streams until `until`, then sets the clock to
/// `until`. Adds the simulated time, in microseconds, to `progress` as it goes.
pub fn run<M: Model>(
    model: &mut M,
    changes: impl IntoIterator<Item = M::Change>,
    arrivals: impl IntoIterator<Item = M::Arrival>,
    until: SimTime,
    progress: Option<&AtomicU64>,
) {
    let mut changes = changes.into_iter().peekable();
    let mut arrivals = arrivals.into_iter();
    // At least the next arrival is always read, to know its time.
    let mut ahead: VecDeque<M::Arrival> = VecDeque::with_capacity(M::LOOKAHEAD.max(1));
    for arrival in arrivals.by_ref().take(M::LOOKAHEAD.max(1)) {
        model.arrival_ahead(&arrival, M::LOOKAHEAD);
        ahead.push_back(arrival);
    }
    let mut reported = SimTime::ZERO;
    let mut steps = 0u32;
    loop {
        steps = steps.wrapping_add(1);
        if let (0, Some(progress)) = (steps % PROGRESS_EVERY, progress) {
            let now = model.queue().now();
            progress.fetch_add((now - reported).as_micros(), Ordering::Relaxed);
            reported = now;
        }
        let queue = model.queue();
        let t_event = queue.peek_time().unwrap_or(SimTime::NEVER);
        let t_change = changes.peek().map_or(SimTime::NEVER, Timed::at);
        let t_arrival = ahead.front().map_or(SimTime::NEVER, Timed::at);
        let t = t_event.min(t_change).min(t_arrival);
        if t >= until {
            break;
        }
        if t_event == t {
            if let Some((_, event)) = queue.pop() {
                model.event(event);
            }
        } else if t_change == t {
            if let Some(change) = changes.next() {
                queue.advance_to(t);
                model.change(change);
            }
        } else if let Some(arrival) = ahead.pop_front() {
            if let Some(next) = arrivals.next() {
                model.arrival_ahead(&next, M::LOOKAHEAD);
                ahead.push_back(next);
            }
            if let Some(soon) = ahead.get(M::LOOKAHEAD / 2) {
                model.arrival_ahead(soon, M::LOOKAHEAD / 2);
            }
            model.queue().advance_to(t);
            model.arrival(arrival);
        }
    }
    model.queue().advance_to(until);
    if let Some(progress) = progress {
        progress.fetch_add((until - reported).as_micros(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it was handed, and when; an event at 5 schedules another at 5.
    #[derive(Default)]
    struct Log {
        queue: EventQueue<&'static str>,
        seen: Vec<(u64, String)>,
    }

    impl Model for Log {
        type Event = &'static str;
        type Change = (SimTime, &'static str);
        type Arrival = (SimTime, &'static str);
        const LOOKAHEAD: usize = 2;

        fn queue(&mut self) -> &mut EventQueue<&'static str> {
            &mut self.queue
        }
        fn event(&mut self, event: &'static str) {
            let now = self.queue.now();
            self.seen.push((now.0, format!("event {event}")));
            if event == "e5" {
                self.queue.schedule(now, "e5-again");
            }
        }
        fn change(&mut self, (_, name): Self::Change) {
            self.seen
                .push((self.queue.now().0, format!("change {name}")));
        }
        fn arrival(&mut self, (_, name): Self::Arrival) {
            self.seen
                .push((self.queue.now().0, format!("arrival {name}")));
        }
    }

    fn at(t: u64, name: &'static str) -> (SimTime, &'static str) {
        (SimTime(t), name)
    }

    #[test]
    fn events_then_changes_then_arrivals_at_equal_instants() {
        let mut log = Log::default();
        log.queue.schedule(SimTime(5), "e5");
        log.queue.schedule(SimTime(9), "e9");
        let changes = [at(5, "c5"), at(7, "c7")];
        let arrivals = [
            at(1, "a1"),
            at(5, "a5"),
            at(5, "a5b"),
            at(7, "a7"),
            at(10, "a10"),
        ];
        run(&mut log, changes, arrivals, SimTime(10), None);
        let expected = [
            (1, "arrival a1"),
            (5, "event e5"),
            (5, "event e5-again"),
            (5, "change c5"),
            (5, "arrival a5"),
            (5, "arrival a5b"),
            (7, "change c7"),
            (7, "arrival a7"),
            (9, "event e9"),
        ];
        let expected: Vec<(u64, String)> =
            expected.iter().map(|&(t, s)| (t, s.to_string())).collect();
        assert_eq!(log.seen, expected);
        // Nothing at `until` ran, and the clock ends there.
        assert_eq!(log.queue.now(), SimTime(10));
    }

    #[test]
    fn progress_adds_up_to_the_simulated_time() {
        let mut log = Log::default();
        let progress = AtomicU64::new(0);
        run(
            &mut log,
            [at(3, "c")],
            [at(4, "a")],
            SimTime(1_000),
            Some(&progress),
        );
        assert_eq!(progress.load(Ordering::Relaxed), 1_000);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "input streams must be in time order")]
    fn an_input_stream_out_of_time_order_is_caught() {
        let mut log = Log::default();
        run(&mut log, [], [at(5, "a"), at(3, "late")], SimTime(10), None);
    }
}

//! The revalidation queue (`[origin.queue]`, docs/model.md §6.9): what OpenNext puts between a
//! stale lookup and the regeneration, in place of Next.js's in-process background regeneration.
//!
//! Sources, and what the model takes from each:
//! - `@opennextjs/aws` 4.0.3 (`opennextjs/opennextjs-aws`, `packages/open-next/`):
//!   `build/patch/patches/patchBackgroundRevalidation.ts` rewrites Next.js's
//!   `!cachedResponse.isStale || context.isPrefetch` in `server/response-cache/index.js` to
//!   `true`: Next.js itself never regenerates a stale page in the background (the server is not in
//!   minimal mode: `core/util.ts` builds a plain `NextServer`). Instead `core/routing/util.ts`
//!   `revalidateIfRequired` (the response of a request Next.js answered `x-nextjs-cache: STALE`)
//!   and `core/routing/cacheInterceptor.ts` (a stale entry answered from the cache) send one
//!   message per stale answer: `MessageGroupId = generateMessageGroupId(path)` and
//!   `MessageDeduplicationId = md5(path-lastModified-etag)`. `core/routing/queue.ts`
//!   `generateMessageGroupId`: `cyrb128(path)`, one mulberry32 step, `floor(float ·
//!   MAX_REVALIDATE_CONCURRENCY)` (default 10), group `revalidate-<n>`. `overrides/queue/sqs.ts`
//!   sends it to an SQS FIFO queue: one message of a group in flight at a time, and a message
//!   whose deduplication id was accepted within the last 5 minutes dropped (AWS, "Using the
//!   message deduplication ID in Amazon SQS"). `adapters/revalidate.ts` runs a message as a
//!   `HEAD` request with `x-prerender-revalidate` (Next.js's on-demand revalidation) and reports
//!   it failed unless the answer says `x-nextjs-cache: REVALIDATED`; SQS redelivers a failed one.
//! - `@opennextjs/cloudflare` 1.20.2 (`opennextjs/opennextjs-cloudflare`,
//!   `packages/cloudflare/src/api/`): `overrides/queue/do-queue.ts` sends each message to the
//!   Durable Object named by its group; `durable-objects/queue.ts` runs at most
//!   `NEXT_CACHE_DO_QUEUE_MAX_REVALIDATION` (5) at once per object, aborts one after
//!   `NEXT_CACHE_DO_QUEUE_REVALIDATION_TIMEOUT_MS` (10 s), drops a message whose deduplication id
//!   is in flight or waiting to be retried, and retries a failure up to
//!   `NEXT_CACHE_DO_QUEUE_MAX_RETRIES` (6) times, 2 s after the first and `2^(k+1) ·
//!   NEXT_CACHE_DO_QUEUE_RETRY_INTERVAL_MS` (2 s) after the k-th; `overrides/queue/queue-cache.ts`
//!   drops a message sent within the last `regionalCacheTtlSec` (5 s).
//!
//! The model: a request that finds a stale entry at an instance is served stale and sends one
//! message, for the page and the entry served. Two messages are identical when they name the same
//! page and the same write of it: its version and the instant it went stale (stored +
//! `revalidate`), which stand for OpenNext's `lastModified` and `etag`. A message identical to one
//! accepted within `dedupe_window` is dropped (`regenerations_deduplicated`); the window counts
//! from the accepted one, as SQS's does, and a new write makes a new message. A message goes to group
//! `group_of(page, groups)`: OpenNext's mulberry32 step on the page's index, where OpenNext feeds
//! it a hash of the path. Each group runs at most `concurrency` messages at a time, first in first
//! out. Running a message is a revalidation request to an instance the balancer picks, which runs
//! the on-demand regeneration or joins the one in flight there; the message finishes when that
//! generation does. A failed generation, or a message running longer than `timeout`, is sent again
//! after `backoff · 2^k` (k = 0 for the first retry) while fewer than `retries` retries were made,
//! skipping the deduplication (a redelivery is no new send); then it is dropped. Where this is
//! simpler than a source: SQS keeps a failed message's group waiting through its visibility
//! timeout, here the group goes on; Cloudflare's retry intervals are 2 s, then 8 s, 16 s, … where
//! this doubles from `backoff`; Cloudflare's in-flight deduplication is a window here.
//!
//! The state is flat: one slab of messages, each group a linked list through it (its head, tail
//! and count running), and, with a window, the last accepted message of each page. Nothing is
//! allocated per message once the slab has grown to the run's peak.

use super::{Cause, Event, Simulation};
use crate::engine::EventKey;
use crate::ids::PageId;
use crate::model::slab::Slab;
use crate::model::waiters::Waiter;
use crate::scenario::platform::RevalidationQueue;
use crate::time::SimTime;

const NIL: u32 = u32::MAX;

/// The group of `page` among `groups`: OpenNext's `generateMessageGroupId`
/// (`packages/open-next/src/core/routing/queue.ts`) with the page's index in place of
/// `cyrb128(path)`: one mulberry32 step, then `floor(x / 2^32 · groups)`.
pub fn group_of(page: PageId, groups: u32) -> u32 {
    let mut t = page.0.wrapping_add(0x6D2B_79F5);
    t = (t ^ (t >> 15)).wrapping_mul(t | 1);
    t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
    let x = t ^ (t >> 14);
    ((u64::from(x) * u64::from(groups)) >> 32) as u32
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// In its group's list.
    Waiting,
    /// Sent to an instance; holds one of its group's places.
    Running,
    /// Ran past the queue's `timeout`: its place is given up and any retry sent, but its
    /// generation still answers it, and only then is its slot freed.
    TimedOut,
}

#[derive(Clone, Copy, Debug)]
struct Message {
    page: PageId,
    version: u32,
    /// 0 for the first send, then the retry's number.
    attempt: u8,
    state: State,
    /// The next message of its group's list.
    next: u32,
    /// The generation it waits on, once running.
    generation: u32,
    timeout: Option<EventKey>,
}

#[derive(Clone, Copy, Debug)]
struct Group {
    head: u32,
    tail: u32,
    running: u32,
}

/// The last message accepted for a page: the write it named, and until when a copy of it is
/// dropped.
#[derive(Clone, Copy, Debug)]
struct Sent {
    version: u32,
    stale_from: SimTime,
    until: SimTime,
}

/// The queue's state for one run.
pub(super) struct Queue {
    config: RevalidationQueue,
    messages: Slab<Message>,
    groups: Vec<Group>,
    /// Per page; empty without a deduplication window.
    sent: Vec<Sent>,
}

impl Queue {
    pub(super) fn new(config: RevalidationQueue, pages: usize) -> Queue {
        let group = Group {
            head: NIL,
            tail: NIL,
            running: 0,
        };
        let deduplicates = config.dedupe_window > SimTime::ZERO;
        Queue {
            groups: vec![group; config.groups.max(1) as usize],
            sent: if deduplicates {
                vec![
                    Sent {
                        version: u32::MAX,
                        stale_from: SimTime::ZERO,
                        until: SimTime::ZERO,
                    };
                    pages
                ]
            } else {
                Vec::new()
            },
            messages: Slab::default(),
            config,
        }
    }

    /// Whether a message for the write (`version`, `stale_from`) of `page` sent at `now` is a
    /// copy of one accepted within the window; if not, it is accepted and remembered.
    fn duplicate(&mut self, page: PageId, version: u32, stale_from: SimTime, now: SimTime) -> bool {
        let Some(last) = self.sent.get_mut(page.index()) else {
            return false;
        };
        if last.version == version && last.stale_from == stale_from && now < last.until {
            return true;
        }
        *last = Sent {
            version,
            stale_from,
            until: now.saturating_add(self.config.dedupe_window),
        };
        false
    }

    /// Appends message `m` to its group's list.
    fn push(&mut self, group: usize, m: u32) {
        let g = &mut self.groups[group];
        if g.tail == NIL {
            g.head = m;
        } else {
            self.messages[g.tail].next = m;
        }
        g.tail = m;
    }

    /// Takes the first waiting message of `group` if the group has a free place.
    fn take(&mut self, group: usize) -> Option<u32> {
        let concurrency = self.config.concurrency.max(1);
        let g = &mut self.groups[group];
        if g.head == NIL || g.running >= concurrency {
            return None;
        }
        let m = g.head;
        g.head = self.messages[m].next;
        if g.head == NIL {
            g.tail = NIL;
        }
        g.running += 1;
        self.messages[m].state = State::Running;
        Some(m)
    }

    /// The wait before retry number `attempt` (1 the first): `backoff · 2^(attempt − 1)`.
    fn backoff(&self, attempt: u8) -> SimTime {
        let factor = 1u64 << u32::from(attempt.saturating_sub(1)).min(62);
        SimTime::from_micros(self.config.backoff.as_micros().saturating_mul(factor))
    }
}

impl Simulation<'_> {
    /// A request was served `version` of `page` stale, an entry stale from `stale_from`: it sends
    /// the page to the queue, unless a copy of the message was accepted within the window.
    pub(super) fn send_revalidation(&mut self, page: PageId, version: u32, stale_from: SimTime) {
        let now = self.queue.now();
        let Some(queue) = self.revalidations.as_mut() else {
            return;
        };
        if queue.duplicate(page, version, stale_from, now) {
            let route = self.content.layout().route_of(page);
            self.collector.regeneration_deduplicated(now, route);
            return;
        }
        self.enqueue(page, version, 0);
    }

    /// A retry's back-off is over: the message is sent again, as it was.
    pub(super) fn on_revalidation_retry(&mut self, page: PageId, version: u32, attempt: u8) {
        self.enqueue(page, version, attempt);
    }

    /// Message (page, version, attempt) joins its group's list, and runs if the group has room.
    fn enqueue(&mut self, page: PageId, version: u32, attempt: u8) {
        let Some(queue) = self.revalidations.as_mut() else {
            return;
        };
        let group = group_of(page, queue.config.groups.max(1)) as usize;
        let m = queue.messages.insert(Message {
            page,
            version,
            attempt,
            state: State::Waiting,
            next: NIL,
            generation: NIL,
            timeout: None,
        });
        queue.push(group, m);
        self.run_waiting(group);
    }

    /// Starts the group's waiting messages while it has free places.
    fn run_waiting(&mut self, group: usize) {
        while let Some(m) = self.revalidations.as_mut().and_then(|q| q.take(group)) {
            self.run_message(m);
        }
    }

    /// Message `m` goes to an instance as an on-demand revalidation request
    /// (`x-prerender-revalidate`): it joins the on-demand regeneration in flight there, or starts
    /// one, and waits for it.
    fn run_message(&mut self, m: u32) {
        let Some(queue) = self.revalidations.as_ref() else {
            return;
        };
        let (page, timeout) = (queue.messages[m].page, queue.config.timeout);
        let instance = self.origin.pick_instance(page, &mut self.balancer_rng);
        let g = self.revalidate_on_demand(instance, page, Cause::Background);
        let mut waiting = self.generations[g].waiters;
        self.waiters.push(&mut waiting, Waiter::Message(m));
        self.generations[g].waiters = waiting;
        let key = timeout.map(|t| {
            let at = self.queue.now().saturating_add(t);
            self.queue.schedule(at, Event::RevalidationTimeout(m))
        });
        if let Some(queue) = self.revalidations.as_mut() {
            let message = &mut queue.messages[m];
            message.generation = g;
            message.timeout = key;
        }
    }

    /// The generation message `m` waited on is over (`ok`: it succeeded).
    pub(super) fn revalidation_answered(&mut self, m: u32, ok: bool) {
        let Some(queue) = self.revalidations.as_mut() else {
            return;
        };
        let message = queue.messages[m];
        queue.messages.remove(m);
        if message.state == State::TimedOut {
            return;
        }
        if let Some(key) = message.timeout {
            self.queue.cancel(key);
        }
        self.message_over(message, ok);
    }

    /// Message `m` has run for the queue's `timeout`: it failed, unless its generation finishes
    /// this very instant.
    pub(super) fn on_revalidation_timeout(&mut self, m: u32) {
        let now = self.queue.now();
        let Some(queue) = self.revalidations.as_mut() else {
            return;
        };
        let message = &mut queue.messages[m];
        if message.state != State::Running || self.generations[message.generation].run_ends <= now {
            return;
        }
        message.state = State::TimedOut;
        message.timeout = None;
        let message = *message;
        self.message_over(message, false);
    }

    /// A running message is over: its group's place goes to the next message, and a failure is
    /// retried after its back-off while retries are left.
    fn message_over(&mut self, message: Message, ok: bool) {
        let Some(queue) = self.revalidations.as_mut() else {
            return;
        };
        let group = group_of(message.page, queue.config.groups.max(1)) as usize;
        queue.groups[group].running -= 1;
        if !ok && u32::from(message.attempt) < queue.config.retries {
            let attempt = message.attempt + 1;
            let at = self.queue.now().saturating_add(queue.backoff(attempt));
            let retry = Event::RevalidationRetry {
                page: message.page,
                version: message.version,
                attempt,
            };
            self.queue.schedule(at, retry);
        }
        self.run_waiting(group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenNext's mulberry32 step as the JavaScript reads, in floating point
    /// (`packages/open-next/src/core/routing/queue.ts`), for integer inputs.
    fn mulberry32_group(a: u32, groups: u32) -> u32 {
        let imul = |x: u32, y: u32| x.wrapping_mul(y);
        let mut t = a.wrapping_add(0x6d2b79f5);
        t = imul(t ^ (t >> 15), t | 1);
        t ^= t.wrapping_add(imul(t ^ (t >> 7), t | 61));
        let float = f64::from(t ^ (t >> 14)) / 4_294_967_296.0;
        (float * f64::from(groups)).floor() as u32
    }

    #[test]
    fn groups_follow_opennexts_formula_and_spread() {
        let mut counts = [0u32; 10];
        for page in 0..10_000 {
            let g = group_of(PageId(page), 10);
            assert_eq!(g, mulberry32_group(page, 10), "page {page}");
            counts[g as usize] += 1;
        }
        // 1000 expected per group; a binomial's standard deviation is 30.
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert!((0..100).all(|p| group_of(PageId(p), 1) == 0));
    }

    #[test]
    fn a_window_drops_copies_of_the_accepted_message_only() {
        let config = RevalidationQueue {
            dedupe_window: SimTime::from_secs(300),
            ..RevalidationQueue::default()
        };
        let mut q = Queue::new(config, 2);
        let s = SimTime::from_secs;
        let stale = s(5);
        assert!(!q.duplicate(PageId(0), 3, stale, s(10)));
        assert!(q.duplicate(PageId(0), 3, stale, s(309)));
        // A copy does not extend the window: it counts from the accepted message.
        assert!(!q.duplicate(PageId(0), 3, stale, s(310)));
        assert!(!q.duplicate(PageId(0), 4, stale, s(311)), "another version");
        assert!(!q.duplicate(PageId(0), 4, s(6), s(312)), "another write");
        assert!(!q.duplicate(PageId(1), 4, s(6), s(312)), "another page");
        let mut none = Queue::new(RevalidationQueue::default(), 2);
        assert!(!none.duplicate(PageId(0), 3, stale, s(1)));
        assert!(!none.duplicate(PageId(0), 3, stale, s(1)));
    }

    #[test]
    fn backoff_doubles_from_the_first_retry() {
        let config = RevalidationQueue {
            backoff: SimTime::from_secs(2),
            retries: 20,
            ..RevalidationQueue::default()
        };
        let q = Queue::new(config, 1);
        let waits: Vec<u64> = (1..=4).map(|k| q.backoff(k).whole_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16]);
        assert!(q.backoff(255) >= q.backoff(20), "saturates, never wraps");
    }

    #[test]
    fn a_group_runs_at_most_its_concurrency_first_in_first_out() {
        let config = RevalidationQueue {
            concurrency: 2,
            ..RevalidationQueue::default()
        };
        let mut q = Queue::new(config, 1);
        let message = |version| Message {
            page: PageId(0),
            version,
            attempt: 0,
            state: State::Waiting,
            next: NIL,
            generation: NIL,
            timeout: None,
        };
        let ids: Vec<u32> = (0..4).map(|v| q.messages.insert(message(v))).collect();
        for &m in &ids {
            q.push(0, m);
        }
        assert_eq!((q.take(0), q.take(0), q.take(0)), (Some(0), Some(1), None));
        q.groups[0].running -= 1;
        assert_eq!((q.take(0), q.take(0)), (Some(2), None));
        q.groups[0].running -= 2;
        assert_eq!((q.take(0), q.take(0)), (Some(3), None));
    }
}

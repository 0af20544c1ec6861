//! The origin: Next.js instances, their ISR caches, and the balancer in front of them.
//!
//! Semantics follow the Next.js server (`packages/next/src/server/response-cache/index.ts` and
//! `incremental-cache/index.ts`, releases 12.3 to 16):
//! - an entry is fresh until `stored + revalidate`; after that it is served stale and one
//!   background regeneration starts;
//! - an absent entry (never generated under `fallback: 'blocking'`, or invalidated) blocks the
//!   request on a generation, which concurrent requests share;
//! - the response cache batches concurrent work per cache key, and the key includes whether the
//!   work is an on-demand revalidation, so background and on-demand regenerations are
//!   deduplicated separately and can overlap;
//! - when a revalidation fails the old entry stays, and is treated as fresh for
//!   `min(max(revalidate, 3s), 30s)` before the next attempt (30s without a timer);
//! - an entry stored longer ago than its expire time (`expireTime`, or a route's
//!   `cacheLife({ expire })`) is not served at all: the request waits for a regeneration, which
//!   concurrent requests share. Next.js 16 (`server/lib/incremental-cache/index.ts`: `expireAfter
//!   = expire * 1000 + lastModified`, then `isStale = -1`; `server/response-cache/index.ts`:
//!   `isStale === -1` skips the stale answer and awaits the render). The build writes
//!   `expireTime` as every route's `initialExpireSeconds` (`build/index.ts`).
//!
//! `cache = "local"` gives each instance its own file-system cache (the default); `"shared"` is
//! one cache for all, as a Redis cache handler gives. Deduplication stays per instance unless
//! `lock = true` (a distributed lock in the cache handler).
//!
//! With `[origin] memory`, each instance's cache is Next.js's bounded memory LRU in front of its
//! file system (`memory`, docs/model.md §6.7): `entries` then hold what a lookup finds, in memory
//! or on disk, and `read` says whether a lookup had to read it from disk. Without `memory` nothing
//! is evicted and none of it costs anything.
//!
//! With `store_lag` (a shared cache only, docs/model.md §6.9), a regeneration's write reaches the
//! other instances after a delay drawn per write: the writer reads its own write at once, the
//! others read the entry as it was before until the delay has passed. Cloudflare's Workers KV is
//! such a store: "changes may take up to 60 seconds or more to be visible in other global network
//! locations" (Cloudflare docs, "How KV works", read 2026-12-07), and `@opennextjs/cloudflare`
//! 1.20.2 notes its queue's "incremental cache with only eventual consistency (i.e. KV or R2/D1
//! with the optional cache layer on top)" (`packages/cloudflare/src/api/durable-objects/queue.ts`).
//! `tag_lag` holds a tag revalidation's effect on an entry back from the other instances the same
//! way. One write on its way per page: a write made while an earlier one has not yet reached the
//! others keeps them on the entry from before both until the later one's delay has passed when
//! the same instance made both; when another did, the earlier write is taken to have reached
//! everyone, and the others read it until the later one's delay has passed.

use super::memory::{File, Left, Memory};
use crate::distribution::Distribution;
use crate::ids::{InstanceId, PageId};
use crate::prefetch::prefetch;
use crate::scenario::{Balancer, CacheMode};
use crate::time::SimTime;
use crate::workload::balancer::Picker;
use crate::workload::rng::SimRng;

const ABSENT: u32 = u32::MAX;
/// An empty slot of the in-flight arrays, which `in_flight` reads as `None`.
const NO_GENERATION: u32 = u32::MAX;

/// One page in one ISR cache.
#[derive(Clone, Copy, Debug)]
struct Entry {
    version: u32,
    /// Served as HIT before this instant, STALE from it on.
    fresh_until: SimTime,
}

/// What an ISR cache lookup finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Fresh(u32),
    Stale(u32),
    /// Stored longer ago than its expire time: not to be served.
    Expired,
    Absent,
}

/// Which batch a generation belongs to in Next.js's response cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    /// Blocking and background generations triggered by requests.
    Request,
    /// On-demand revalidation (webhooks and schedules).
    OnDemand,
}

pub struct Origin {
    /// The instances running now: `0..instances`.
    instances: u32,
    /// The most instances that ever run (after `scale` events): the room the arrays keep.
    room: u32,
    shared: bool,
    lock: bool,
    picker: Picker,
    entries: Vec<Entry>,
    /// When each entry expires, beside `entries`; empty when no entry can expire within the run,
    /// so the common case pays nothing for it.
    expires_at: Vec<SimTime>,
    /// In-flight generation per (dedup scope, page), for each batch.
    request_batch: Vec<u32>,
    on_demand_batch: Vec<u32>,
    /// Bumped each time a cache is emptied: a generation started before writes nowhere.
    epochs: Vec<u32>,
    /// Each instance's bounded memory, when `[origin] memory` is set.
    memory: Option<Memory>,
    /// The instance the balancer picked last: the one that answered the last origin request.
    picked: InstanceId,
    /// Writes on their way to the other instances, when `store_lag` or `tag_lag` is set.
    lag: Option<Box<Lag>>,
}

/// What instances other than a write's writer read of a page until the write reaches them.
#[derive(Clone, Copy, Debug)]
struct Held {
    before: Entry,
    before_expires: SimTime,
    /// When the write reaches the others (`SimTime::ZERO`: nothing is on its way).
    until: SimTime,
    writer: InstanceId,
}

/// A shared cache's writes on their way to the other instances, one slot per page, and the
/// delays of regenerations' writes (`store_lag`) and of tag revalidations (`tag_lag`), each drawn
/// from its own stream.
struct Lag {
    held: Vec<Held>,
    store: Option<(Distribution, SimRng)>,
    tags: Option<(Distribution, SimRng)>,
}

/// A delay of `store_lag` or `tag_lag`, and the stream it is drawn from.
pub type LagDraws = Option<(Distribution, SimRng)>;

impl Origin {
    /// `room`: the most instances that will ever run (at least `instances`).
    pub fn new(
        instances: u32,
        room: u32,
        cache: CacheMode,
        lock: bool,
        balancer: Balancer,
        pages: usize,
        expiring: bool,
    ) -> Origin {
        let shared = cache == CacheMode::Shared;
        let lock = shared && lock;
        let room = room.max(instances);
        let caches = if shared { 1 } else { room as usize };
        let scopes = if lock { 1 } else { room as usize };
        Origin {
            instances,
            room,
            shared,
            lock,
            picker: Picker::new(balancer, instances),
            entries: vec![
                Entry {
                    version: ABSENT,
                    fresh_until: SimTime::ZERO
                };
                caches * pages
            ],
            expires_at: if expiring {
                vec![SimTime::NEVER; caches * pages]
            } else {
                Vec::new()
            },
            request_batch: vec![NO_GENERATION; scopes * pages],
            on_demand_batch: vec![NO_GENERATION; scopes * pages],
            epochs: vec![0; caches],
            memory: None,
            picked: InstanceId(0),
            lag: None,
        }
    }

    /// Makes regenerations' writes (`store`) and tag revalidations (`tags`) reach the other
    /// instances late, each after a delay drawn from its own stream. A shared cache only: each
    /// local cache is its own.
    pub fn with_lag(mut self, store: LagDraws, tags: LagDraws) -> Origin {
        if self.shared && (store.is_some() || tags.is_some()) {
            let pages = self.entries.len();
            let held = Held {
                before: Entry {
                    version: ABSENT,
                    fresh_until: SimTime::ZERO,
                },
                before_expires: SimTime::NEVER,
                until: SimTime::ZERO,
                writer: InstanceId(0),
            };
            self.lag = Some(Box::new(Lag {
                held: vec![held; pages],
                store,
                tags,
            }));
        }
        self
    }

    /// `writer` is about to write a regeneration of `page` at `now`: with `store_lag`, the other
    /// instances keep reading the entry they read now until a delay drawn now has passed; without,
    /// the write reaches them at once, ending a tag revalidation's lag (`tag_lag`) on the page.
    pub fn hold_write(&mut self, writer: InstanceId, page: PageId, now: SimTime) {
        let i = self.entry_index(writer, page);
        match self.lag.as_mut() {
            Some(lag) if lag.store.is_some() => self.hold(writer, page, now, false),
            Some(lag) => lag.held[i].until = SimTime::ZERO,
            None => {}
        }
    }

    /// Holds the entry the instances other than `writer` read of `page` at `now` for a delay
    /// drawn now, from `tag_lag` if `tag`, else from `store_lag`.
    fn hold(&mut self, writer: InstanceId, page: PageId, now: SimTime, tag: bool) {
        let i = self.entry_index(writer, page);
        let (entry, expires) = (self.entries[i], self.expires_at.get(i).copied());
        let Some(lag) = self.lag.as_mut() else {
            return;
        };
        let draws = if tag { &mut lag.tags } else { &mut lag.store };
        let Some((delay, rng)) = draws.as_mut() else {
            return;
        };
        let delay = delay.sample(rng);
        let held = &mut lag.held[i];
        if now >= held.until || held.writer != writer {
            held.before = entry;
            held.before_expires = expires.unwrap_or(SimTime::NEVER);
        }
        held.until = now.saturating_add(delay);
        held.writer = writer;
    }

    /// The entry `instance` still reads of `page` at `now` in place of a write on its way.
    #[inline]
    fn held(&self, instance: InstanceId, i: usize, now: SimTime) -> Option<&Held> {
        let held = &self.lag.as_ref()?.held[i];
        (now < held.until && held.writer != instance).then_some(held)
    }

    /// Bounds each instance's memory to `capacity` bytes, `sizes` giving each page's; with
    /// `disk`, what is evicted stays on disk. Local caches only: a shared cache handler replaces
    /// Next.js's memory and file system.
    pub fn with_memory(mut self, capacity: u64, sizes: Vec<u32>, disk: bool) -> Origin {
        if !self.shared {
            self.memory = Some(Memory::new(self.room, capacity, sizes, disk));
        }
        self
    }

    pub fn instances(&self) -> u32 {
        self.instances
    }

    /// Whether the instances share one cache.
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// The number of distinct caches (1 when shared).
    pub fn caches(&self) -> u32 {
        if self.shared { 1 } else { self.instances }
    }

    /// The cache an instance reads and writes.
    #[inline]
    pub fn cache_of(&self, instance: InstanceId) -> u32 {
        if self.shared { 0 } else { instance.0 }
    }

    /// How many caches the arrays hold room for: one when shared, else the most instances.
    #[inline]
    pub fn cache_room(&self) -> usize {
        if self.shared { 1 } else { self.room as usize }
    }

    /// Page-major: a page's entries in every cache sit together, so one prefetch brings in
    /// whichever instance the balancer picks.
    #[inline]
    fn entry_index(&self, instance: InstanceId, page: PageId) -> usize {
        page.index() * self.cache_room() + self.cache_of(instance) as usize
    }

    #[inline]
    fn batch_index(&self, instance: InstanceId, page: PageId) -> usize {
        let scopes = if self.lock { 1 } else { self.room as usize };
        let scope = if self.lock { 0 } else { instance.index() };
        page.index() * scopes + scope
    }

    /// Sets how many instances run: `0..instances` (a `scale` event). The caches of instances
    /// that stop are left to `clear`.
    pub fn set_instances(&mut self, instances: u32) {
        self.instances = instances.clamp(1, self.room);
        self.picker.set_instances(self.instances);
    }

    /// Whether `instance` is running.
    #[inline]
    pub fn running(&self, instance: InstanceId) -> bool {
        instance.0 < self.instances
    }

    /// The cache's epoch: a generation writes its result only if it has not changed since the
    /// generation started.
    #[inline]
    pub fn epoch(&self, instance: InstanceId) -> u32 {
        self.epochs[self.cache_of(instance) as usize]
    }

    /// Hints that a request for `page` will reach the origin soon.
    #[inline]
    pub fn prefetch(&self, page: PageId) {
        prefetch(&self.entries, self.entry_index(InstanceId(0), page));
        prefetch(&self.request_batch, self.batch_index(InstanceId(0), page));
    }

    /// Picks the instance that serves an origin request or receives a webhook.
    pub fn pick_instance(&mut self, page: PageId, rng: &mut SimRng) -> InstanceId {
        self.picked = self.picker.pick(page, rng);
        self.picked
    }

    /// When the entry of `page` that the last picked instance reads at `now` goes stale: for the
    /// header of the answer that instance has just given (`model::headers`, last-modified being
    /// this minus the route's `revalidate`). It is the entry `lookup` read: under `store_lag`,
    /// the one held for the other instances while a write is on its way.
    pub fn answered_fresh_until(&self, page: PageId, now: SimTime) -> SimTime {
        let i = self.entry_index(self.picked, page);
        match self.held(self.picked, i, now) {
            Some(held) => held.before.fresh_until,
            None => self.entries[i].fresh_until,
        }
    }

    /// Next.js's `get` finding the entry: in memory (it becomes the most recently used), or on
    /// disk, read back into memory. True if it was read from disk; false if it was in memory, or
    /// there is nothing to read, or memory is unbounded.
    #[inline]
    pub fn read(&mut self, instance: InstanceId, page: PageId) -> bool {
        let Some(memory) = self.memory.as_ref() else {
            return false;
        };
        let in_memory = memory.holds(instance, page);
        let on_disk =
            !in_memory && self.entries[self.entry_index(instance, page)].version != ABSENT;
        if in_memory || on_disk {
            self.remember(instance, page);
        }
        on_disk
    }

    /// `page` was used on `instance`: the most recently used in its memory. Each page evicted to
    /// make room leaves its entry as the disk has it.
    #[inline]
    fn remember(&mut self, instance: InstanceId, page: PageId) {
        let caches = self.cache_room();
        let Origin {
            memory,
            entries,
            expires_at,
            ..
        } = self;
        let Some(memory) = memory.as_mut() else {
            return;
        };
        memory.touch(instance, page, |evicted, left| {
            let i = evicted.index() * caches + instance.index();
            match left {
                Left::OnDisk => {}
                Left::Build(f) => put(entries, expires_at, i, f),
                Left::Nothing => entries[i].version = ABSENT,
            }
        });
    }

    #[inline]
    pub fn lookup(&self, instance: InstanceId, page: PageId, now: SimTime) -> Lookup {
        let i = self.entry_index(instance, page);
        if self.lag.is_some()
            && let Some(held) = self.held(instance, i, now)
        {
            let expires = (!self.expires_at.is_empty()).then_some(held.before_expires);
            return classify(held.before, expires, now);
        }
        classify(self.entries[i], self.expires_at.get(i).copied(), now)
    }

    /// When the entry `instance` reads of `page` at `now` went stale, or goes stale: with its
    /// version, what tells one write of the page from another.
    pub fn stale_from(&self, instance: InstanceId, page: PageId, now: SimTime) -> SimTime {
        let i = self.entry_index(instance, page);
        match self.held(instance, i, now) {
            Some(held) => held.before.fresh_until,
            None => self.entries[i].fresh_until,
        }
    }

    /// The version in an instance's cache, if the page is there (its last write, whether or not
    /// it has reached every instance).
    pub fn version(&self, instance: InstanceId, page: PageId) -> Option<u32> {
        let v = self.entries[self.entry_index(instance, page)].version;
        (v != ABSENT).then_some(v)
    }

    /// Writes a generated page: the build at t=0, or a regeneration's snapshot.
    pub fn store(
        &mut self,
        instance: InstanceId,
        page: PageId,
        version: u32,
        fresh_until: SimTime,
        expires_at: SimTime,
    ) {
        let i = self.entry_index(instance, page);
        let written = File {
            version,
            fresh_until,
            expires_at,
        };
        put(&mut self.entries, &mut self.expires_at, i, written);
        self.remember(instance, page);
    }

    /// The build's file of `page` (`None`: not prerendered) as an instance finds it when it
    /// starts: on disk, not yet in memory.
    pub fn write_build(&mut self, instance: InstanceId, page: PageId, written: Option<File>) {
        let i = self.entry_index(instance, page);
        match written {
            Some(f) => put(&mut self.entries, &mut self.expires_at, i, f),
            None => self.entries[i].version = ABSENT,
        }
        if let Some(memory) = self.memory.as_mut() {
            memory.write_build(instance, page, written);
        }
    }

    /// Empties the cache `instance` reads, memory and disk (its process stopped, or a deploy
    /// replaced it): every entry absent, nothing in memory; the caller writes the build's files
    /// back with `write_build`. The generations in flight in its deduplication scope are
    /// forgotten: they may finish, but they write nowhere. Whether a shared cache outlives a
    /// restart is the caller's to decide (§6.8).
    pub fn clear(&mut self, instance: InstanceId) {
        let cache = self.cache_of(instance) as usize;
        let room = self.cache_room();
        for i in (cache..self.entries.len()).step_by(room) {
            self.entries[i] = Entry {
                version: ABSENT,
                fresh_until: SimTime::ZERO,
            };
            if let Some(e) = self.expires_at.get_mut(i) {
                *e = SimTime::NEVER;
            }
        }
        if let Some(memory) = self.memory.as_mut() {
            memory.clear(instance);
        }
        if let Some(lag) = self.lag.as_mut() {
            lag.held.iter_mut().for_each(|h| h.until = SimTime::ZERO);
        }
        self.epochs[cache] = self.epochs[cache].wrapping_add(1);
        let (scopes, scope) = if self.lock {
            (1, 0)
        } else {
            (self.room as usize, instance.index())
        };
        for batch in [&mut self.request_batch, &mut self.on_demand_batch] {
            for g in batch.iter_mut().skip(scope).step_by(scopes) {
                *g = NO_GENERATION;
            }
        }
    }

    /// After a failed revalidation the old entry is written back: fresh until `until` (the
    /// back-off), expiring at `expires_at`.
    pub fn back_off(
        &mut self,
        instance: InstanceId,
        page: PageId,
        until: SimTime,
        expires_at: SimTime,
    ) {
        let i = self.entry_index(instance, page);
        if self.entries[i].version != ABSENT {
            self.entries[i].fresh_until = until;
            if let Some(e) = self.expires_at.get_mut(i) {
                *e = expires_at;
            }
            // Next.js writes the old entry back with `set`, into memory.
            self.remember(instance, page);
        }
    }

    /// `revalidatePath`: drops the entry, so the next request blocks. An entry another instance
    /// still reads in place of a write on its way is dropped too.
    pub fn invalidate(&mut self, instance: InstanceId, page: PageId) {
        let i = self.entry_index(instance, page);
        self.entries[i].version = ABSENT;
        if let Some(lag) = self.lag.as_mut() {
            lag.held[i].before.version = ABSENT;
        }
        if let Some(memory) = self.memory.as_mut() {
            memory.drop_file(instance, page);
        }
    }

    /// `revalidateTag(tag, 'max')`: the entry is served stale from now on, and so is one another
    /// instance still reads in place of a write on its way.
    pub fn mark_stale(&mut self, instance: InstanceId, page: PageId) {
        let i = self.entry_index(instance, page);
        self.entries[i].fresh_until = SimTime::ZERO;
        if let Some(lag) = self.lag.as_mut() {
            lag.held[i].before.fresh_until = SimTime::ZERO;
        }
        if let Some(memory) = self.memory.as_mut() {
            memory.mark_file(instance, page);
        }
    }

    /// A tag revalidated at `instance` at `now` reaches `page`'s entry: it is dropped (`expired`)
    /// or served stale from now on. With `tag_lag`, the other instances keep reading the entry as
    /// it was until a delay drawn now has passed; without, everyone reads the change at once.
    pub fn revalidate_tag(
        &mut self,
        instance: InstanceId,
        page: PageId,
        now: SimTime,
        expired: bool,
    ) {
        if self.lag.as_ref().is_some_and(|l| l.tags.is_some()) {
            self.hold(instance, page, now, true);
            let i = self.entry_index(instance, page);
            if expired {
                self.entries[i].version = ABSENT;
            } else {
                self.entries[i].fresh_until = SimTime::ZERO;
            }
        } else if expired {
            self.invalidate(instance, page);
        } else {
            self.mark_stale(instance, page);
        }
    }

    /// The generation in flight for (instance's dedup scope, page) in `batch`, if any.
    #[inline]
    pub fn in_flight(&self, batch: Batch, instance: InstanceId, page: PageId) -> Option<u32> {
        let i = self.batch_index(instance, page);
        let g = match batch {
            Batch::Request => self.request_batch[i],
            Batch::OnDemand => self.on_demand_batch[i],
        };
        (g != NO_GENERATION).then_some(g)
    }

    pub fn set_in_flight(
        &mut self,
        batch: Batch,
        instance: InstanceId,
        page: PageId,
        generation: u32,
    ) {
        let i = self.batch_index(instance, page);
        match batch {
            Batch::Request => self.request_batch[i] = generation,
            Batch::OnDemand => self.on_demand_batch[i] = generation,
        }
    }

    /// Clears the batch slot if it still holds `generation`.
    pub fn clear_in_flight(
        &mut self,
        batch: Batch,
        instance: InstanceId,
        page: PageId,
        generation: u32,
    ) {
        let i = self.batch_index(instance, page);
        let slot = match batch {
            Batch::Request => &mut self.request_batch[i],
            Batch::OnDemand => &mut self.on_demand_batch[i],
        };
        if *slot == generation {
            *slot = NO_GENERATION;
        }
    }
}

/// What a lookup finds in `e`, expiring at `expires` when expiries are kept.
#[inline]
fn classify(e: Entry, expires: Option<SimTime>, now: SimTime) -> Lookup {
    if e.version == ABSENT {
        Lookup::Absent
    } else if expires.is_some_and(|x| now >= x) {
        Lookup::Expired
    } else if now < e.fresh_until {
        Lookup::Fresh(e.version)
    } else {
        Lookup::Stale(e.version)
    }
}

/// Writes entry `i`: its version and freshness, and its expiry when expiries are kept.
#[inline]
fn put(entries: &mut [Entry], expires_at: &mut [SimTime], i: usize, f: File) {
    entries[i] = Entry {
        version: f.version,
        fresh_until: f.fresh_until,
    };
    if let Some(e) = expires_at.get_mut(i) {
        *e = f.expires_at;
    }
}

/// Next.js's back-off after a failed revalidation: `min(max(revalidate, 3s), 30s)`, or 30s when
/// the page has no timer.
pub fn retry_after(revalidate: Option<SimTime>) -> SimTime {
    match revalidate {
        Some(r) => r.max(SimTime::from_secs(3)).min(SimTime::from_secs(30)),
        None => SimTime::from_secs(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn retry_after_is_clamped_between_3_and_30_seconds() {
        assert_eq!(
            retry_after(Some(SimTime::from_secs(1))),
            SimTime::from_secs(3)
        );
        assert_eq!(
            retry_after(Some(SimTime::from_secs(10))),
            SimTime::from_secs(10)
        );
        assert_eq!(
            retry_after(Some(SimTime::from_secs(3_600))),
            SimTime::from_secs(30)
        );
        assert_eq!(retry_after(None), SimTime::from_secs(30));
    }

    #[test]
    fn an_answer_under_store_lag_is_fresh_as_the_entry_the_instance_read() {
        use rand::SeedableRng;
        let lag = Some((
            Distribution::Constant(SimTime::from_secs(10)),
            SimRng::seed_from_u64(1),
        ));
        let mut o = Origin::new(
            2,
            2,
            CacheMode::Shared,
            false,
            Balancer::RoundRobin,
            1,
            false,
        )
        .with_lag(lag, None);
        let (page, s) = (PageId(0), SimTime::from_secs);
        o.store(InstanceId(0), page, 1, s(60), SimTime::NEVER);
        // Instance 0 writes version 2 at 30s: instance 1 reads version 1 until 40s.
        o.hold_write(InstanceId(0), page, s(30));
        o.store(InstanceId(0), page, 2, s(90), SimTime::NEVER);
        let mut rng = SimRng::seed_from_u64(2);
        let mut answered = |o: &mut Origin, now| {
            let i = o.pick_instance(page, &mut rng);
            (i, o.lookup(i, page, now), o.answered_fresh_until(page, now))
        };
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.push(answered(&mut o, s(35)));
        }
        seen.sort_by_key(|(i, _, _)| i.0);
        assert_eq!(seen[0], (InstanceId(0), Lookup::Fresh(2), s(90)));
        assert_eq!(seen[1], (InstanceId(1), Lookup::Fresh(1), s(60)));
        let (_, found, until) = answered(&mut o, s(45));
        assert_eq!(
            (found, until),
            (Lookup::Fresh(2), s(90)),
            "the write has arrived"
        );
    }

    #[test]
    fn shared_cache_is_one_cache_and_lock_makes_one_dedup_scope() {
        let mut o = Origin::new(
            3,
            3,
            CacheMode::Shared,
            true,
            Balancer::RoundRobin,
            10,
            false,
        );
        o.store(
            InstanceId(2),
            PageId(5),
            7,
            SimTime::from_secs(60),
            SimTime::NEVER,
        );
        assert_eq!(
            o.lookup(InstanceId(0), PageId(5), SimTime::from_secs(1)),
            Lookup::Fresh(7)
        );
        o.set_in_flight(Batch::Request, InstanceId(1), PageId(5), 42);
        assert_eq!(
            o.in_flight(Batch::Request, InstanceId(0), PageId(5)),
            Some(42)
        );
        assert_eq!(o.in_flight(Batch::OnDemand, InstanceId(0), PageId(5)), None);
    }

    #[test]
    fn local_caches_are_apart() {
        let mut o = Origin::new(2, 2, CacheMode::Local, true, Balancer::RoundRobin, 4, false);
        o.store(InstanceId(0), PageId(1), 3, SimTime::NEVER, SimTime::NEVER);
        assert_eq!(
            o.lookup(InstanceId(1), PageId(1), SimTime::ZERO),
            Lookup::Absent
        );
        o.set_in_flight(Batch::Request, InstanceId(0), PageId(1), 9);
        assert_eq!(
            o.in_flight(Batch::Request, InstanceId(1), PageId(1)),
            None,
            "lock only applies to a shared cache"
        );
    }

    #[test]
    fn balancers() {
        let mut rng = SimRng::seed_from_u64(1);
        let mut rr = Origin::new(
            3,
            3,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            1,
            false,
        );
        let picks: Vec<u32> = (0..6)
            .map(|_| rr.pick_instance(PageId(0), &mut rng).0)
            .collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        let mut hash = Origin::new(4, 4, CacheMode::Local, false, Balancer::Hash, 100, false);
        let first = hash.pick_instance(PageId(17), &mut rng);
        assert!((0..10).all(|_| hash.pick_instance(PageId(17), &mut rng) == first));
        let spread: std::collections::HashSet<u32> = (0..100)
            .map(|p| hash.pick_instance(PageId(p), &mut rng).0)
            .collect();
        assert_eq!(spread.len(), 4);
    }

    #[test]
    fn mark_stale_and_invalidate() {
        let mut o = Origin::new(
            1,
            1,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            1,
            false,
        );
        o.store(InstanceId(0), PageId(0), 1, SimTime::NEVER, SimTime::NEVER);
        o.mark_stale(InstanceId(0), PageId(0));
        assert_eq!(
            o.lookup(InstanceId(0), PageId(0), SimTime(5)),
            Lookup::Stale(1)
        );
        o.invalidate(InstanceId(0), PageId(0));
        assert_eq!(
            o.lookup(InstanceId(0), PageId(0), SimTime(5)),
            Lookup::Absent
        );
    }

    fn file(version: u32, fresh_until: SimTime) -> Option<File> {
        Some(File {
            version,
            fresh_until,
            expires_at: SimTime::NEVER,
        })
    }

    #[test]
    fn bounded_memory_reads_evicted_entries_back_from_disk() {
        let s = SimTime::from_secs;
        // Two instances, each holding two of three 10-byte pages in memory.
        let mut o = Origin::new(
            2,
            2,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            3,
            false,
        )
        .with_memory(20, vec![10; 3], true);
        for page in 0..3 {
            o.write_build(InstanceId(0), PageId(page), file(0, s(60)));
        }
        // The build's files are on disk: the first read of each goes there.
        assert!(o.read(InstanceId(0), PageId(0)));
        assert!(!o.read(InstanceId(0), PageId(0)));
        assert!(o.read(InstanceId(0), PageId(1)));
        o.store(InstanceId(0), PageId(2), 5, s(100), SimTime::NEVER);
        // Page 0 was evicted to disk as it was, and comes back with its age.
        assert!(o.read(InstanceId(0), PageId(0)));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(70)), Lookup::Stale(0));
        // Reading 0 back evicted 1; 2 (just written) stays, as it was.
        assert!(!o.read(InstanceId(0), PageId(2)));
        assert_eq!(o.lookup(InstanceId(0), PageId(2), s(1)), Lookup::Fresh(5));
        // A page never written has nothing to read.
        assert!(!o.read(InstanceId(1), PageId(0)));
        assert_eq!(o.lookup(InstanceId(1), PageId(0), s(1)), Lookup::Absent);
    }

    #[test]
    fn without_a_disk_an_evicted_entry_is_the_builds_file_or_nothing() {
        let s = SimTime::from_secs;
        let mut o = Origin::new(
            1,
            1,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            3,
            false,
        )
        .with_memory(10, vec![10; 3], false);
        o.write_build(InstanceId(0), PageId(0), file(0, s(60)));
        o.write_build(InstanceId(0), PageId(1), None);
        o.store(InstanceId(0), PageId(0), 3, s(200), SimTime::NEVER);
        o.store(InstanceId(0), PageId(1), 4, s(200), SimTime::NEVER);
        // Page 0's regeneration was never written to disk: the build's file is what is left.
        assert!(o.read(InstanceId(0), PageId(0)));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(70)), Lookup::Stale(0));
        // Page 1 was not prerendered: nothing to read, so a request blocks.
        assert!(!o.read(InstanceId(0), PageId(1)));
        assert_eq!(o.lookup(InstanceId(0), PageId(1), s(70)), Lookup::Absent);
        // After `revalidatePath` the build's file is expired by its tags: absent once evicted.
        o.invalidate(InstanceId(0), PageId(0));
        o.store(InstanceId(0), PageId(0), 5, s(200), SimTime::NEVER);
        o.store(InstanceId(0), PageId(2), 1, s(200), SimTime::NEVER);
        assert!(!o.read(InstanceId(0), PageId(0)));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(70)), Lookup::Absent);
    }

    #[test]
    fn clear_empties_one_instances_memory_and_disk() {
        let s = SimTime::from_secs;
        let mut o = Origin::new(2, 2, CacheMode::Local, false, Balancer::RoundRobin, 2, true)
            .with_memory(20, vec![10; 2], true);
        for instance in 0..2 {
            o.store(InstanceId(instance), PageId(0), 1, s(60), s(90));
            o.store(InstanceId(instance), PageId(1), 1, s(60), s(90));
        }
        o.clear(InstanceId(0));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(1)), Lookup::Absent);
        assert_eq!(o.lookup(InstanceId(0), PageId(1), s(1)), Lookup::Absent);
        assert!(
            !o.read(InstanceId(0), PageId(0)),
            "nothing in memory, nothing on disk"
        );
        assert_eq!(
            o.lookup(InstanceId(1), PageId(0), s(1)),
            Lookup::Fresh(1),
            "the other instance keeps its own"
        );
        // Its memory is empty: the build's files go back on disk and are read from there, and
        // both fit again.
        o.write_build(InstanceId(0), PageId(0), file(0, s(60)));
        o.write_build(InstanceId(0), PageId(1), file(0, s(60)));
        assert!(o.read(InstanceId(0), PageId(0)) && o.read(InstanceId(0), PageId(1)));
        assert!(!o.read(InstanceId(0), PageId(0)) && !o.read(InstanceId(0), PageId(1)));
        // Unbounded memory: clear empties the entries all the same.
        let mut plain = Origin::new(
            1,
            1,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            1,
            false,
        );
        plain.store(InstanceId(0), PageId(0), 2, s(60), SimTime::NEVER);
        plain.clear(InstanceId(0));
        assert_eq!(plain.lookup(InstanceId(0), PageId(0), s(1)), Lookup::Absent);
        // A shared cache is one: clearing it (a deploy replacing it) empties it for everyone,
        // and a generation in flight from before writes nowhere.
        let mut shared = Origin::new(
            2,
            2,
            CacheMode::Shared,
            false,
            Balancer::RoundRobin,
            1,
            false,
        );
        shared.store(InstanceId(0), PageId(0), 2, s(60), SimTime::NEVER);
        let before = shared.epoch(InstanceId(0));
        shared.clear(InstanceId(1));
        assert_eq!(
            shared.lookup(InstanceId(0), PageId(0), s(1)),
            Lookup::Absent
        );
        assert_ne!(shared.epoch(InstanceId(0)), before);
    }

    #[test]
    fn an_entry_past_its_expire_time_is_not_served_and_a_back_off_renews_it() {
        let s = SimTime::from_secs;
        let mut o = Origin::new(1, 1, CacheMode::Local, false, Balancer::RoundRobin, 1, true);
        o.store(InstanceId(0), PageId(0), 4, s(10), s(30));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(9)), Lookup::Fresh(4));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(29)), Lookup::Stale(4));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(30)), Lookup::Expired);
        // A failed revalidation at 35 s writes the old entry back as new.
        o.back_off(InstanceId(0), PageId(0), s(38), s(65));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(36)), Lookup::Fresh(4));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(64)), Lookup::Stale(4));
        assert_eq!(o.lookup(InstanceId(0), PageId(0), s(65)), Lookup::Expired);
        // Without expiry in the run, nothing is kept for it and nothing expires.
        let mut never = Origin::new(
            1,
            1,
            CacheMode::Local,
            false,
            Balancer::RoundRobin,
            1,
            false,
        );
        never.store(InstanceId(0), PageId(0), 4, s(10), s(30));
        assert_eq!(
            never.lookup(InstanceId(0), PageId(0), s(1_000)),
            Lookup::Stale(4)
        );
    }
}

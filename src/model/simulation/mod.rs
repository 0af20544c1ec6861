//! One run: a policy against one replication's users and edits.
//!
//! This is where the components meet. Requests and edits arrive in time order from their own
//! streams and never enter the event heap; only what the model schedules for later (generations
//! finishing, timeouts, webhooks, purges, scheduled regenerations) does. At equal instants, heap
//! events run first (in the order they were scheduled), then edits, then requests.
//!
//! Here: users' requests through the CDN and the origin, generations through the backend, and the
//! monitor. `policy.rs` holds what editors' webhooks, schedules and purges do. Network round
//! trips, and an instance's disk reads (§6.7), add to users' latency but do not delay cache state:
//! a fetch reaches the origin at the instant the request reached the PoP. `shield.rs` holds the
//! origin shield, the optional tier between the PoPs and the origin (docs/model.md §5.6);
//! `events.rs` the deploys, scaling and restarts (§6.8); `tags.rs` what a revalidated cache tag
//! does (§8.7); `copies.rs` what the CDN keeps of an origin answer under the header rules, and
//! the copies a regeneration replaces by itself with `follows_origin` (§5.8).

mod copies;
mod events;
mod footprint;
mod generations;
mod policy;
mod queue;
mod requests;
mod shield;
mod tags;
mod workload;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub use footprint::memory_estimate;
pub use workload::{Workload, simulate_on};

use super::backend::Backend;
use super::build::Build;
use super::cdn::{Cdn, Freshness, Purged};
use super::headers::CdnRules;
use super::memory::File;
use super::origin::{self, Batch, Origin};
use super::slab::Slab;
use super::waiters::{WaitList, Waiters};
use crate::distribution::Distribution;
use crate::engine::{self, EventKey, EventQueue, Model, Timed};
use crate::ids::{InstanceId, PageId, PopId};
use crate::metrics::staleness::{self, Visibility};
use crate::metrics::{Collector, RunId, RunResult};
use crate::scenario::tags::{TagId, Tags};
use crate::scenario::{PurgeBy, PurgeKind, RoutePolicy, Scenario, SiteEvent};
use crate::time::SimTime;
use crate::workload::content::{Content, Edits, PageLayout};
use crate::workload::policy::{Purges, Webhooks, schedule_phases};
use crate::workload::rng::{self, SimRng, Stream};
use crate::workload::traffic::{ReplayError, Request, Requests};

const ABSENT: u32 = u32::MAX;

/// Where a response came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    CdnHit,
    CdnStale,
    /// The PoP missed (or was stale and fetched for this user) and the origin shield answered
    /// from its cache.
    ShieldHit,
    ShieldStale,
    OriginHit,
    OriginStale,
    /// The request waited on a generation.
    Generated,
    /// The generation it waited on failed.
    Error,
}

/// Why a generation ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A request found the page absent and waited.
    Blocking,
    /// A request found the page stale.
    Background,
    /// An edit's webhook (`regenerate`).
    OnDemand,
    Schedule,
    /// A deploy's build rendering a prerendered page (`instance` is `None`).
    Build,
}

/// The `instance` a build's render holds while queued: the build runs on no instance, and a
/// render never reaches `complete`, which is the only reader (its trace says `None`).
const BUILD: InstanceId = InstanceId(u32::MAX);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TracedResponse {
    pub at: SimTime,
    pub arrival: SimTime,
    pub page: PageId,
    /// The PoP the user reached, as its request said (PoP 0 without a CDN).
    pub pop: PopId,
    pub version: Option<u32>,
    pub served: Served,
    pub stale: bool,
    pub latency: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TracedGeneration {
    pub page: PageId,
    /// The instance that ran it; `None` for a deploy's build, which runs on none.
    pub instance: Option<InstanceId>,
    pub cause: Cause,
    pub triggered: SimTime,
    /// When it left the backend queue to run (`None` if it timed out while queued).
    pub started: Option<SimTime>,
    pub finished: SimTime,
    pub snapshot: Option<u32>,
    pub ok: bool,
}

/// Every response, generation and purge of a run, for tests and for debugging a scenario.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub responses: Vec<TracedResponse>,
    pub generations: Vec<TracedGeneration>,
    /// (arrival, where, what, kind) of every purge that arrived: at a PoP or at the origin shield.
    pub purges: Vec<(SimTime, Tier, Purged, PurgeKind)>,
    /// (when, page) of every edit, as the editors made them.
    pub edits: Vec<(SimTime, PageId)>,
    /// (when, instance) each time an instance started from the last build: a deploy switching
    /// it, a scale-up, a restart.
    pub starts: Vec<(SimTime, InstanceId)>,
    /// (when, scenario event) of every `[[events]]` occurrence, including deploys skipped
    /// because another was under way.
    pub site_events: Vec<(SimTime, usize)>,
    /// (when, page, version) each time a regeneration reached the CDN's copies by itself
    /// (`follows_origin`).
    pub propagations: Vec<(SimTime, PageId, u32)>,
}

/// Where a purge arrived, in `Trace::purges`: at a PoP, or at the origin shield.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Pop(PopId),
    Shield,
}

/// What the model schedules for itself, to happen later.
pub enum Event {
    GenerationDone(u32),
    GenerationTimeout(u32),
    /// Attempt `attempt` (0 the first, then retries) of an edit's webhook arrives.
    Webhook {
        page: PageId,
        attempt: u8,
    },
    /// The CMS gives up on attempt `attempt` of a webhook that was lost (`webhook_retries`).
    WebhookLost {
        page: PageId,
        attempt: u8,
    },
    Purge {
        pop: PopId,
        page: Purged,
        kind: PurgeKind,
    },
    /// A purge reaches the origin shield, which sends it on to the PoPs.
    ShieldPurge {
        page: Purged,
        kind: PurgeKind,
    },
    Schedule {
        page: PageId,
        instance: InstanceId,
    },
    /// A revalidated tag's expire time comes at an instance's cache, whose epoch was `epoch`
    /// when the tag was revalidated.
    TagExpiry {
        instance: InstanceId,
        tag: TagId,
        epoch: u32,
    },
    /// A message of the revalidation queue has run for the queue's `timeout`.
    RevalidationTimeout(u32),
    /// A failed message of the revalidation queue is sent again (retry `attempt`).
    RevalidationRetry {
        page: PageId,
        version: u32,
        attempt: u8,
    },
    /// The scenario's event of this index happens.
    Site(u16),
    /// A rolling deploy restarts this instance on the new build.
    Switch(InstanceId),
    /// A regeneration's version of a page reaches the CDN's copies (`follows_origin`).
    Propagated {
        page: PageId,
        version: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Queued,
    Running,
    /// Failed at its timeout while running; the backend slot is held until the run ends.
    TimedOut,
    /// Failed at its timeout while queued; it is skipped when it reaches the front.
    Abandoned,
}

#[derive(Clone, Copy, Debug)]
struct Generation {
    page: PageId,
    instance: InstanceId,
    batch: Batch,
    cause: Cause,
    state: State,
    triggered: SimTime,
    started: Option<SimTime>,
    /// When the backend finishes the run (set when it starts).
    run_ends: SimTime,
    snapshot: u32,
    waiters: WaitList,
    timeout: Option<EventKey>,
    /// `regenerate` with `purge_cdn`: purge once it has succeeded.
    purge_after: bool,
    /// `schedule` with `purge_cdn`: purge if the content changed.
    purge_on_change: bool,
    /// The instance cache's epoch when it was triggered (`Origin::epoch`).
    epoch: u32,
    /// Whether the run fails, drawn with its run time when it starts (`rng::regeneration`).
    fails: bool,
}

impl Generation {
    /// A generation that joins the backend queue at `now`.
    fn queued(
        page: PageId,
        instance: InstanceId,
        batch: Batch,
        cause: Cause,
        now: SimTime,
        epoch: u32,
    ) -> Self {
        Generation {
            page,
            instance,
            batch,
            cause,
            state: State::Queued,
            triggered: now,
            started: None,
            run_ends: SimTime::NEVER,
            snapshot: 0,
            waiters: WaitList::default(),
            timeout: None,
            purge_after: false,
            purge_on_change: false,
            epoch,
            fails: false,
        }
    }
}

/// A route's policy with what follows from it, worked out once.
struct RoutePlan {
    policy: RoutePolicy,
    regen_time: Distribution,
    retry_after: SimTime,
    freshness: Freshness,
    /// How long after it was stored an entry may still be served stale (§6.6).
    expire: SimTime,
    /// Whether a build renders the route's pages.
    prerendered: bool,
}

/// What the origin gives an incoming request, and whether it read the entry from disk first
/// (§6.7: that response pays `disk_read` more).
enum Reply {
    Served(u32, Served, bool),
    Blocked(u32, bool),
}

pub struct Simulation<'p> {
    duration: SimTime,
    warmup: SimTime,
    alert_after: SimTime,
    timeout: Option<SimTime>,
    failure_rate: f64,
    origin_rtt: SimTime,
    /// Reading an entry back from an instance's disk, when its memory is bounded.
    disk_read: SimTime,
    cdn_rtt: SimTime,
    cdn_origin_rtt: SimTime,
    plans: Vec<RoutePlan>,
    content: Content,
    queue: EventQueue<Event>,
    origin: Origin,
    /// The pages an instance starts from.
    last_build: Build,
    /// The scenario's `[[events]]`, and the deploy under way.
    site_events: Vec<SiteEvent>,
    deploy: Option<events::Deploy>,
    cdn: Option<Cdn>,
    /// The origin shield: one more cache (of one PoP) between the PoPs and the origin.
    shield: Option<Cdn>,
    /// The PoP↔shield round trip (zero without a shield).
    shield_rtt: SimTime,
    /// What the CDN keeps of an origin answer: the header rule, then its own rules (§5.8).
    rules: CdnRules,
    /// Whether copies get windows of their own (`CdnRules::per_copy`, with a CDN); otherwise
    /// each copy gets its route's `RoutePlan::freshness`.
    per_copy: bool,
    /// With `follows_origin`: how long a regeneration takes to reach the CDN's copies.
    propagation: Option<copies::Propagation>,
    backend: Backend,
    generations: Slab<Generation>,
    waiters: Waiters,
    /// The replication's seed, which with a page and its count of renders keys each render's
    /// draws (`rng::regeneration`).
    seed: u64,
    /// How many renders the backend has started for each page.
    renders_started: Vec<u32>,
    balancer_rng: SimRng,
    /// What the policy sends: an edit's webhooks, and each hop of a purge (none without a CDN).
    webhooks: Webhooks,
    purges: Option<Purges>,
    /// Whether a `revalidate-tag` webhook's CDN purge names pages or tags (`[cdn] purge_by`).
    purge_by: PurgeBy,
    /// The site's tags, and each cache's tag state (empty unless a policy revalidates tags).
    tags: Arc<Tags>,
    tag_state: tags::TagState,
    /// The revalidation queue stale lookups send their pages to (`[origin.queue]`); `None`: each
    /// instance regenerates a stale page itself, in the background.
    revalidations: Option<queue::Queue>,
    /// Generations in flight for each page, anywhere.
    page_in_flight: Vec<u32>,
    /// Newest version any instance has stored, per page (ABSENT before the first).
    origin_newest: Vec<u32>,
    /// Highest version any user has been served, per page.
    visibility: Visibility,
    last_success: Vec<SimTime>,
    over_alert: Vec<bool>,
    collector: Collector,
    trace: Option<Trace>,
    changed: Vec<PageId>,
    skipped: Vec<u32>,
    /// Where to add the simulated time as the run goes, for a progress bar.
    progress: Option<&'p AtomicU64>,
    id: RunId,
}

/// A CDN tier that tag purges reach through the site's tags, when pages carry any.
fn with_tags(cdn: Cdn, tags: &Arc<Tags>) -> Cdn {
    if tags.is_empty() {
        cdn
    } else {
        cdn.with_tags(Arc::clone(tags))
    }
}

/// A CDN tier whose copies get stale windows of their own, when the header rule or the clock
/// asks for them.
fn with_windows(cdn: Cdn, per_copy: bool) -> Cdn {
    if per_copy { cdn.with_windows() } else { cdn }
}

/// Each page's size in bytes, from its route's `page_size`.
fn page_sizes(scenario: &Scenario) -> Vec<u32> {
    scenario
        .routes
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.page_size, r.pages as usize))
        .collect()
}

/// Runs one (policy, replication) of a scenario on its own random streams.
pub fn run(scenario: &Scenario, policy: usize, replication: u32) -> Result<RunResult, ReplayError> {
    let id = RunId {
        point: 0,
        policy,
        replication,
        seed: rng::replication_seed(scenario.seed, replication),
    };
    Ok(simulate(scenario, id, scenario.collector(), None)?.finish(id))
}

/// Simulates run `id` of `scenario` into `collector`, adding the simulated time to `progress` as
/// it goes (microseconds). The seed comes from the scenario and the replication only. Fails if
/// a trace's requests cannot be read back, which would leave the run short.
pub fn simulate(
    scenario: &Scenario,
    id: RunId,
    collector: Collector,
    progress: Option<&AtomicU64>,
) -> Result<Collector, ReplayError> {
    let mut sim = Simulation::for_run(scenario, id, collector);
    sim.progress = progress;
    Ok(sim.play_drawn(scenario)?.0)
}

impl<'p> Simulation<'p> {
    pub fn new(scenario: &Scenario, policy: usize, replication: u32) -> Simulation<'p> {
        let id = RunId {
            point: 0,
            policy,
            replication,
            seed: rng::replication_seed(scenario.seed, replication),
        };
        Simulation::for_run(scenario, id, scenario.collector())
    }

    /// Run `id` of `scenario` (its policy, and its seed for every random stream), observed by
    /// `collector`.
    fn for_run(scenario: &Scenario, id: RunId, collector: Collector) -> Simulation<'p> {
        let (policy, seed) = (id.policy, id.seed);
        let layout = PageLayout::new(scenario);
        let pages = layout.total();
        let cdn_config = scenario.cdn.as_ref();
        let rules = CdnRules::new(scenario.origin.headers, cdn_config);
        let per_copy = cdn_config.is_some() && rules.per_copy();
        let plans = scenario
            .routes
            .iter()
            .zip(&scenario.policies[policy].routes)
            .map(|(route, p)| {
                let expire = p.expire.unwrap_or(scenario.origin.expire);
                RoutePlan {
                    policy: p.clone(),
                    regen_time: route.regen_time.clone(),
                    retry_after: origin::retry_after(p.revalidate),
                    freshness: rules.route(p.revalidate, expire),
                    expire,
                    prerendered: route.prerendered,
                }
            })
            .collect::<Vec<_>>();
        // Entries expire within the run only if some route's expire is shorter than it.
        let expiring = plans.iter().any(|p| p.expire < scenario.duration);
        let o = &scenario.origin;
        let shield = cdn_config.and_then(|c| c.shield.map(|s| (c.collapse, s)));
        let collector = match shield {
            Some(_) => collector.with_shield(),
            None => collector,
        };
        let mut sim = Simulation {
            duration: scenario.duration,
            warmup: scenario.warmup,
            alert_after: scenario.monitor.alert_after,
            timeout: scenario.backend.timeout,
            failure_rate: scenario.backend.failure_rate,
            origin_rtt: o.rtt,
            disk_read: o.disk_read,
            cdn_rtt: cdn_config.map_or(SimTime::ZERO, |c| c.rtt),
            cdn_origin_rtt: cdn_config.map_or(SimTime::ZERO, |c| c.origin_rtt),
            plans,
            content: Content::new(scenario, layout),
            queue: EventQueue::new(),
            origin: {
                let origin = Origin::new(
                    o.instances,
                    scenario.most_instances(),
                    o.cache,
                    o.lock,
                    o.balancer,
                    pages,
                    expiring,
                );
                let origin = match o.memory {
                    Some(bytes) => origin.with_memory(bytes, page_sizes(scenario), o.disk),
                    None => origin,
                };
                let lag =
                    |d: &Option<Distribution>, s| d.clone().map(|d| (d, rng::stream(seed, s)));
                origin.with_lag(
                    lag(&o.store_lag, Stream::StoreLag),
                    lag(&o.tag_lag, Stream::TagLag),
                )
            },
            last_build: Build::initial(pages, o.build_age, o.build_spread),
            site_events: scenario.events.clone(),
            deploy: None,
            cdn: cdn_config.map(|c| {
                let cdn = Cdn::new(c.pops, pages, c.collapse, c.capacity, || {
                    page_sizes(scenario)
                });
                with_windows(with_tags(cdn, &scenario.tags), per_copy)
            }),
            shield: shield.map(|(collapse, s)| {
                let shield = Cdn::new(1, pages, collapse, s.capacity, || page_sizes(scenario));
                with_windows(with_tags(shield, &scenario.tags), per_copy)
            }),
            shield_rtt: shield.map_or(SimTime::ZERO, |(_, s)| s.rtt),
            rules,
            per_copy,
            propagation: cdn_config
                .filter(|c| c.follows_origin)
                .map(|c| copies::Propagation {
                    delay: c.propagation.clone(),
                    rng: rng::stream(seed, Stream::Propagation),
                }),
            backend: Backend::new(scenario.backend.concurrency),
            generations: Slab::default(),
            waiters: Waiters::default(),
            seed,
            renders_started: vec![0; pages],
            balancer_rng: rng::stream(seed, Stream::Balancer),
            webhooks: Webhooks::new(seed),
            purges: Purges::new(scenario, seed),
            purge_by: cdn_config.map_or(PurgeBy::Path, |c| c.purge_by),
            tags: Arc::clone(&scenario.tags),
            tag_state: tags::TagState::default(),
            revalidations: o.queue.map(|q| queue::Queue::new(q, pages)),
            page_in_flight: vec![0; pages],
            origin_newest: vec![ABSENT; pages],
            visibility: Visibility::new(pages),
            last_success: vec![SimTime::ZERO; pages],
            over_alert: vec![false; pages],
            collector,
            trace: None,
            changed: Vec::new(),
            skipped: Vec::new(),
            progress: None,
            id,
        };
        if !sim.tags.is_empty() && sim.revalidates_tags() {
            sim.tag_state = tags::TagState::new(sim.origin.cache_room(), sim.tags.len());
        }
        sim.build(scenario, seed);
        sim.schedule_site_events();
        sim
    }

    /// Keeps every response, generation and purge in a `Trace` (costs memory: for tests).
    pub fn with_trace(mut self) -> Simulation<'p> {
        self.trace = Some(Trace::default());
        self
    }

    pub fn layout(&self) -> &PageLayout {
        self.content.layout()
    }

    /// The deploy at t=0: prerendered pages in every cache (and every PoP and the shield when
    /// `warm`), and the first tick of each scheduled page.
    fn build(&mut self, scenario: &Scenario, seed: u64) {
        let layout = self.content.layout().clone();
        let warm = scenario.cdn.as_ref().is_some_and(|c| c.warm);
        let prerendered = scenario.routes.iter().filter(|r| r.prerendered);
        let (n, spread) = (
            prerendered.map(|r| u64::from(r.pages)).sum(),
            scenario.origin.build_spread,
        );
        let mut i = 0;
        for (r, route) in scenario.routes.iter().enumerate() {
            if !route.prerendered {
                continue;
            }
            for page in (layout.offsets[r]..layout.offsets[r] + route.pages).map(PageId) {
                self.last_build
                    .record(page, 0, Build::spread_at(spread, i, n));
                i += 1;
                for cache in (0..self.origin.caches()).map(InstanceId) {
                    self.install(cache, page);
                }
                let window = self.warm_window(page);
                if let (true, Some(cdn)) = (warm, self.cdn.as_mut()) {
                    for pop in (0..cdn.pops()).map(PopId) {
                        cdn.store_window(pop, page, 0, window);
                    }
                }
                if let (true, Some(shield)) = (warm, self.shield.as_mut()) {
                    shield.store_window(PopId(0), page, 0, window);
                }
            }
        }
        // With a shared cache the cron job regenerates once, not once per instance; instances
        // that are not running yet (or any more) skip their ticks.
        let caches = self.origin.cache_room() as u32;
        let schedules = self.plans.iter().map(|p| p.policy.schedule);
        for (page, phase) in schedule_phases(&layout, schedules, seed) {
            for instance in (0..caches).map(InstanceId) {
                self.queue
                    .schedule(phase, Event::Schedule { page, instance });
            }
        }
    }

    /// Writes the last build's copy of `page` into an instance's cache, aged from when the build
    /// wrote it; a page the build did not prerender is left absent. With bounded memory the copy
    /// is on disk, not yet in memory (§6.7).
    fn install(&mut self, instance: InstanceId, page: PageId) {
        let file = self.last_build.page(page).map(|copy| {
            let plan = &self.plans[self.content.layout().route_of(page)];
            File {
                version: copy.version,
                fresh_until: plan
                    .policy
                    .revalidate
                    .map_or(SimTime::NEVER, |r| copy.after(r)),
                expires_at: copy.after(plan.expire),
            }
        });
        if let Some(f) = file {
            self.stored(page, f.version);
        }
        self.origin.write_build(instance, page, file);
    }

    /// An instance now holds `version` of `page`: the newest any holds, if none holds a newer.
    fn stored(&mut self, page: PageId, version: u32) {
        let newest = &mut self.origin_newest[page.index()];
        if *newest == ABSENT || *newest < version {
            *newest = version;
        }
    }

    /// Runs until `duration` on the given users and editors.
    pub fn run(
        self,
        requests: impl IntoIterator<Item = Request>,
        edits: impl IntoIterator<Item = (SimTime, PageId)>,
    ) -> (RunResult, Option<Trace>) {
        let id = self.id;
        let (collector, trace) = self.play(requests, edits);
        (collector.finish(id), trace)
    }

    /// Runs on the users and edits this run's seed draws, as `run` and `simulate` draw them.
    pub fn run_drawn(self, scenario: &Scenario) -> Result<(RunResult, Option<Trace>), ReplayError> {
        let id = self.id;
        let (collector, trace) = self.play_drawn(scenario)?;
        Ok((collector.finish(id), trace))
    }

    /// Draws this run's users and edits from its seed and plays them; fails if a trace's
    /// requests cannot be read back, which would leave the run short.
    fn play_drawn(self, scenario: &Scenario) -> Result<(Collector, Option<Trace>), ReplayError> {
        let seed = self.id.seed;
        let mut requests = Requests::new(scenario, seed);
        let edits = Edits::new(scenario, self.content.layout(), seed);
        let played = self.play(&mut requests, edits);
        requests.failure().map_or(Ok(played), Err)
    }

    /// `run`, leaving the collector unfinished.
    fn play(
        mut self,
        requests: impl IntoIterator<Item = Request>,
        edits: impl IntoIterator<Item = (SimTime, PageId)>,
    ) -> (Collector, Option<Trace>) {
        let (duration, progress) = (self.duration, self.progress);
        engine::run(&mut self, edits, requests, duration, progress);
        for page in 0..self.origin_newest.len() {
            self.check_alert(PageId::at(page));
        }
        let (collector, layout) = (&mut self.collector, self.content.layout());
        self.visibility.unseen(&self.content, |page, edited| {
            collector.edit_unseen(layout.route_of(page), edited, duration)
        });
        (self.collector, self.trace)
    }

    /// Prefetches what `on_request` will read first for this request.
    #[inline]
    fn prefetch(&self, r: &Request) {
        match &self.cdn {
            Some(cdn) => cdn.prefetch(r.pop, r.page),
            None => self.origin.prefetch(r.page),
        }
    }

    /// Closer to its turn, and with its CDN entry in cache by now: if the request looks like it
    /// will go to the origin, prefetches the origin's entries too.
    #[inline]
    fn prefetch_origin(&self, r: &Request) {
        if let Some(cdn) = &self.cdn
            && !cdn.would_hit(r.pop, r.page, r.at)
        {
            self.origin.prefetch(r.page);
        }
    }

    #[inline]
    fn on_event(&mut self, event: Event) {
        match event {
            Event::GenerationDone(g) => self.on_generation_done(g),
            Event::GenerationTimeout(g) => self.on_generation_timeout(g),
            Event::Webhook { page, attempt } => self.on_webhook(page, attempt),
            Event::WebhookLost { page, attempt } => self.retry_webhook(page, attempt),
            Event::Purge { pop, page, kind } => {
                if let Some(cdn) = self.cdn.as_mut() {
                    cdn.purge(pop, page, self.queue.now(), kind);
                }
                if let Some(trace) = self.trace.as_mut() {
                    trace
                        .purges
                        .push((self.queue.now(), Tier::Pop(pop), page, kind));
                }
            }
            Event::ShieldPurge { page, kind } => self.on_shield_purge(page, kind),
            Event::Schedule { page, instance } => self.on_schedule(page, instance),
            Event::TagExpiry {
                instance,
                tag,
                epoch,
            } => self.on_tag_expiry(instance, tag, epoch),
            Event::RevalidationTimeout(m) => self.on_revalidation_timeout(m),
            Event::RevalidationRetry {
                page,
                version,
                attempt,
            } => self.on_revalidation_retry(page, version, attempt),
            Event::Site(i) => self.on_site_event(usize::from(i)),
            Event::Switch(instance) => self.switch(instance),
            Event::Propagated { page, version } => self.on_propagated(page, version),
        }
    }

    // ---- monitoring -------------------------------------------------------------------------

    /// Flags the page if, since its last successful regeneration, it went longer than
    /// `alert_after` without one while the origin's newest version was outdated.
    fn check_alert(&mut self, page: PageId) {
        let p = page.index();
        let held = self.origin_newest[p];
        // Most regenerations find the page up to date: settle that from the hot arrays first.
        if self.over_alert[p] || held == ABSENT || self.content.version(page) <= held {
            return;
        }
        let Some(outdated) = self.content.outdated_since(page, held) else {
            return;
        };
        let now = self.queue.now();
        if staleness::over_alert(
            self.last_success[p],
            self.alert_after,
            outdated,
            self.warmup,
            now,
        ) {
            self.over_alert[p] = true;
            self.collector
                .page_over_alert(self.content.layout().route_of(page));
        }
    }
}

impl Timed for Request {
    #[inline]
    fn at(&self) -> SimTime {
        self.at
    }
}

/// Editors' edits are the changes, users' requests the arrivals.
impl Model for Simulation<'_> {
    type Event = Event;
    type Change = (SimTime, PageId);
    type Arrival = Request;
    const LOOKAHEAD: usize = 8;

    #[inline]
    fn queue(&mut self) -> &mut EventQueue<Event> {
        &mut self.queue
    }

    #[inline]
    fn event(&mut self, event: Event) {
        self.on_event(event);
    }

    fn change(&mut self, (_, page): (SimTime, PageId)) {
        self.on_edit(page);
    }

    #[inline]
    fn arrival(&mut self, request: Request) {
        self.on_request(request);
    }

    /// Prefetches, when a request is read, the first entry it will look up; closer to its turn
    /// (with that entry in cache by now), the origin's entries too if it looks like a miss.
    #[inline]
    fn arrival_ahead(&self, request: &Request, distance: usize) {
        if distance == Self::LOOKAHEAD {
            self.prefetch(request);
        } else {
            self.prefetch_origin(request);
        }
    }
}

//! A scenario, checked and resolved: what `isrsim` simulates (docs/scenario.md,
//! docs/model.md).
//!
//! `parse` holds the file's shape as serde reads it; this module holds the meaning, with defaults
//! filled in (an origin shield, `[cdn] shield`, is `Some` only when the file asks for one), names
//! resolved to indices, and every value already known to be valid. The model never sees a
//! scenario that could make it panic.

pub mod cost;
mod describe;
mod parse;
pub mod platform;
mod sweep;
pub mod tags;

pub use describe::{Expected, counted, describe, tally};
pub use sweep::{Job, Point, Study};

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::distribution::Distribution;
use crate::error::InputError;
use crate::logs::EditLog;
use crate::metrics::Collector;
pub use crate::slo::Bound;
use crate::time::SimTime;
/// The scenario's traffic pattern (`[traffic]`), one of `crate::traffic::PATTERNS`.
pub use crate::traffic::Traffic;
pub use platform::{CdnProduct, HeaderRule, Platform, PlatformName, RevalidationQueue};
pub use tags::{TagId, TagTemplate, Tags};

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The file it was read from, and its text (reports quote it).
    pub path: PathBuf,
    pub source: String,
    pub duration: SimTime,
    pub warmup: SimTime,
    pub seed: u64,
    pub replications: u32,
    pub bucket: SimTime,
    pub traffic: Traffic,
    pub routes: Vec<Route>,
    pub cdn: Option<Cdn>,
    pub origin: Origin,
    pub backend: Backend,
    pub policies: Vec<Policy>,
    /// Deploys, scaling, restarts and whole-CDN purges at set times (`[[events]]`), the same for
    /// every policy.
    pub events: Vec<SiteEvent>,
    pub monitor: Monitor,
    /// The scenario-wide `[slo]` bounds, as written (each policy's effective bounds are in
    /// `Policy::slo`).
    pub slo: Vec<Bound>,
    /// Which pages carry which cache tags (`[[routes]] tags`), built once and shared by every
    /// run; empty when no route has tags.
    pub tags: Arc<Tags>,
    /// Where the site runs (`[platform]`), its CDN product, and what their profiles filled in
    /// (docs/platforms.md).
    pub platform: Platform,
    /// What a run costs in money (`[cost]`); `None`: its `cost_usd` columns are not measured.
    pub cost: Option<cost::Cost>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub name: String,
    pub pages: u32,
    pub share: f64,
    pub popularity: f64,
    pub edit_every: Option<SimTime>,
    /// Recorded edits, replayed instead of `edit_every`'s (docs/traces.md).
    pub edit_log: Option<Arc<EditLog>>,
    /// How `edit_every`'s rate varies over the day and week (docs/model.md §4).
    pub edit_profile: Option<crate::traffic::profile::EditProfile>,
    /// With a trace, the `match` that finds the route's pages in request paths.
    pub rule: Option<String>,
    /// A page's size in bytes, for caches whose capacity is in bytes.
    pub page_size: u32,
    pub regen_time: Distribution,
    pub prerendered: bool,
    /// Index into `Scenario::routes` of the route this one aggregates.
    pub depends_on: Option<usize>,
    /// Where the route's pages are on a site under load (`isrsim load`): `{route}` and `{page}`
    /// are replaced by the route's name and the page's index.
    pub path: String,
    /// The cache tags its pages carry (`tags`), besides each page's own path tag.
    pub tags: Vec<TagTemplate>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cdn {
    pub pops: u32,
    /// What a PoP holds at most, least recently used evicted first (`None`: every page).
    pub capacity: Option<Capacity>,
    /// Overrides of the origin's `s-maxage` and `stale-while-revalidate`.
    pub ttl: Option<SimTime>,
    pub stale_while_revalidate: Option<SimTime>,
    pub collapse: bool,
    pub warm: bool,
    pub rtt: SimTime,
    pub origin_rtt: SimTime,
    pub purge_delay: Distribution,
    pub purge_failure: f64,
    /// A second tier between the PoPs and the origin (`shield`); `None`: the PoPs fetch from the
    /// origin.
    pub shield: Option<Shield>,
    /// How a tag revalidation's purge reaches the CDN: one purge per page, or one per tag.
    pub purge_by: PurgeBy,
    /// The CDN product whose profile filled in the keys below (`product`).
    pub product: CdnProduct,
    /// The resolution of the PoPs' clock (`clock`): zero is exact; nginx keeps whole seconds.
    pub clock: SimTime,
    /// Whether a copy past its TTL is served stale while it is fetched again (`honor_swr`);
    /// `false`: it is a MISS, as if `stale-while-revalidate` were 0.
    pub honor_swr: bool,
    /// The bounds of the TTL a copy gets (`min_ttl`, `max_ttl`).
    pub min_ttl: SimTime,
    pub max_ttl: Option<SimTime>,
    /// Whether a successful regeneration replaces the CDN's copy by itself (`follows_origin`),
    /// after a drawn `propagation` delay.
    pub follows_origin: bool,
    pub propagation: Distribution,
}

/// How the site purges the CDN after `revalidate-tag` (`[cdn] purge_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeBy {
    /// One purge per affected page, by its path (CloudFront invalidations, nginx).
    Path,
    /// One purge per tag, reaching every cached page that carries it (Fastly `Surrogate-Key`,
    /// Cloudflare `Cache-Tag`, Vercel's cache tags, Varnish `xkey`).
    Tag,
}

/// An origin shield (`[cdn] shield`): one more cache, which every PoP fetches from and which
/// alone fetches from the origin (docs/model.md §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shield {
    /// The round trip between a PoP and the shield.
    pub rtt: SimTime,
    /// What the shield holds at most, least recently used evicted first (`None`: every page).
    pub capacity: Option<Capacity>,
}

/// How much a cache holds: a number of pages, or bytes (each page weighing its route's
/// `page_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Pages(u32),
    Bytes(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    Local,
    Shared,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balancer {
    RoundRobin,
    Random,
    Hash,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub instances: u32,
    pub cache: CacheMode,
    pub lock: bool,
    pub balancer: Balancer,
    pub expire: SimTime,
    pub rtt: SimTime,
    /// How long before t=0 the running build was made: every instance begins from its pages,
    /// aged from then (those at t=0, and those started later by a scale-up or a restart).
    pub build_age: SimTime,
    /// How long that build took to render its prerendered pages, spread evenly over it in page
    /// order and ending at its instant (zero: every page at that one instant).
    pub build_spread: SimTime,
    /// Each instance's memory cache in bytes, least recently used evicted (`None`: unbounded).
    pub memory: Option<u64>,
    /// Whether an evicted entry stays on disk (`isrFlushToDisk`).
    pub disk: bool,
    /// The latency of reading an entry back from disk.
    pub disk_read: SimTime,
    /// What `Cache-Control` each answer carries (`headers`).
    pub headers: HeaderRule,
    /// The queue between a stale lookup and its regeneration (`[origin.queue]`); `None`: Next.js
    /// regenerates in the background itself.
    pub queue: Option<RevalidationQueue>,
    /// How long a write to a shared cache takes to reach the other instances (`store_lag`), and
    /// a tag revalidation the shared tag state (`tag_lag`); `None`: at once.
    pub store_lag: Option<Distribution>,
    pub tag_lag: Option<Distribution>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    /// `None` is "unlimited".
    pub concurrency: Option<u32>,
    pub failure_rate: f64,
    pub timeout: Option<SimTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnEdit {
    None,
    Regenerate,
    Invalidate,
    MarkStale,
    /// `revalidateTag(tag, profile)` of the policy's `tags`, once per edit.
    RevalidateTag,
}

/// The profile of a tag revalidation (`tag_expire`): how long until entries carrying the tag
/// are expired (not served at all), beside being stale at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagExpire {
    /// `revalidateTag(tag, 'max')`: Next.js's `max` cache-life profile, expiring in a year.
    Max,
    /// `revalidateTag(tag, { expire })`; zero is `updateTag(tag)`, expired at once.
    After(SimTime),
}

impl TagExpire {
    /// The expire time of the `max` profile (`packages/next/src/server/config-shared.ts`,
    /// `cacheLife.max.expire`: 60 * 60 * 24 * 365 seconds).
    pub const MAX: SimTime = SimTime::from_secs(365 * 24 * 3600);

    /// How long after the revalidation entries carrying the tag are expired.
    pub fn duration(self) -> SimTime {
        match self {
            TagExpire::Max => TagExpire::MAX,
            TagExpire::After(d) => d,
        }
    }
}

impl std::fmt::Display for TagExpire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagExpire::Max => f.write_str("max"),
            TagExpire::After(d) => write!(f, "{d}"),
        }
    }
}

/// A change to the site at set times (`[[events]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct SiteEvent {
    /// Its `name`, or its kind.
    pub name: String,
    /// The first time it happens.
    pub at: SimTime,
    /// Then again this often, until the run ends.
    pub every: Option<SimTime>,
    pub action: Action,
}

impl SiteEvent {
    /// Every instant it happens within a run of `duration`, in order.
    pub fn times(&self, duration: SimTime) -> impl Iterator<Item = SimTime> + '_ {
        let mut next = Some(self.at);
        std::iter::from_fn(move || {
            let now = next.filter(|&t| t < duration)?;
            next = self.every.map(|e| now + e);
            Some(now)
        })
    }

    /// How many times it happens within a run of `duration`: `times(duration).count()`,
    /// without walking them.
    pub fn occurrences(&self, duration: SimTime) -> u64 {
        match (self.at < duration, self.every) {
            (false, _) => 0,
            (true, None) => 1,
            (true, Some(every)) => {
                (duration.as_micros() - 1 - self.at.as_micros()) / every.as_micros().max(1) + 1
            }
        }
    }
}

/// What an event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new build reads every prerendered page through the backend, `build_concurrency` at a
    /// time; then the instances restart on it, all at once or one every `rolling`; then the CDN
    /// is purged if `purge_cdn`.
    Deploy {
        build_concurrency: u32,
        rolling: Option<SimTime>,
        purge_cdn: bool,
    },
    /// The number of instances becomes `instances`.
    Scale { instances: u32 },
    /// The first `instances` instances (all when `None`) restart from the last build.
    Restart { instances: Option<u32> },
    /// Every page at every PoP is purged.
    PurgeAll { purge: PurgeKind },
    /// `pages` pages of route `route` (an index into `Scenario::routes`), chosen by `pick`, are
    /// edited, evenly over `within` from the event's instant, in pick order: the same edits in
    /// every policy (`workload::bulk`).
    BulkEdit {
        route: usize,
        pages: u32,
        pick: Pick,
        within: SimTime,
    },
}

/// Which pages of its route a bulk edit edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The most popular: the lowest Zipf ranks, pages 0, 1, 2, ...
    Popular,
    /// A fresh uniform random set each time, from the replication's `BulkEdits` stream.
    Random,
    /// Pages `first..=last` (0-based indices within the route).
    Range { first: u32, last: u32 },
}

impl Action {
    /// The `kind` it is written as.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::Scale { .. } => "scale",
            Action::Restart { .. } => "restart",
            Action::PurgeAll { .. } => "purge_all",
            Action::BulkEdit { .. } => "bulk_edit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeKind {
    Hard,
    Soft,
}

/// A policy as it applies to one route, after `routes.NAME` overrides.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutePolicy {
    pub revalidate: Option<SimTime>,
    pub on_edit: OnEdit,
    pub webhook_delay: Distribution,
    pub webhook_failure: f64,
    /// How many times the CMS sends a webhook again after an attempt failed (lost, or, for
    /// `regenerate`, its regeneration failed or timed out), and the wait before the first
    /// retry, doubled for each one after it.
    pub webhook_retries: u32,
    pub webhook_backoff: SimTime,
    pub broadcast: bool,
    pub purge_cdn: bool,
    pub purge: PurgeKind,
    pub schedule: Option<SimTime>,
    /// The route's own expire time (Next.js 16's `cacheLife({ expire })`), instead of
    /// `[origin] expire`.
    pub expire: Option<SimTime>,
    /// The tag templates an edit of one of the route's pages revalidates, filled from the edited
    /// page (`on_edit = "revalidate-tag"`).
    pub tags: Vec<TagTemplate>,
    pub tag_expire: TagExpire,
}

/// The wait before a webhook's first retry unless `webhook_backoff` says otherwise.
pub const DEFAULT_WEBHOOK_BACKOFF: SimTime = SimTime::from_secs(1);

/// The most retries `webhook_retries` allows: the last waits `webhook_backoff * 2^19`, about
/// six days at the default 1s, past any run's use.
pub const MAX_WEBHOOK_RETRIES: u32 = 20;

impl Default for RoutePolicy {
    fn default() -> Self {
        RoutePolicy {
            revalidate: None,
            on_edit: OnEdit::None,
            webhook_delay: Distribution::Constant(SimTime::ZERO),
            webhook_failure: 0.0,
            webhook_retries: 0,
            webhook_backoff: DEFAULT_WEBHOOK_BACKOFF,
            broadcast: false,
            purge_cdn: false,
            purge: PurgeKind::Hard,
            schedule: None,
            expire: None,
            tags: Vec::new(),
            tag_expire: TagExpire::Max,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    /// One entry per route, in `Scenario::routes` order.
    pub routes: Vec<RoutePolicy>,
    /// The SLO bounds this policy is held to: the scenario's `[slo]`, with the policy's own
    /// `slo = { ... }` replacing the bounds of the metrics it names.
    pub slo: Vec<Bound>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    pub alert_after: SimTime,
}

/// The `[[routes]]` of a file, each as (name, `match` as written, compiled), for `isrsim fit
/// --routes`; other keys are ignored.
pub fn route_rules(
    text: &str,
    path: &Path,
) -> Result<Vec<(String, String, regex::bytes::Regex)>, InputError> {
    parse::route_rules(text, path)
}

/// A size in bytes as a scenario's `size` keys read it (`"512MiB"`, `"4GB"`), for a command
/// line flag that takes one.
pub fn parse_size(text: &str) -> Result<u64, String> {
    parse::parse_size(text)
}

impl Scenario {
    /// An empty collector for one run of this scenario: its routes, warm-up, duration and time
    /// buckets.
    pub fn collector(&self) -> Collector {
        Collector::new(
            self.routes.iter().map(|r| r.name.clone()).collect(),
            self.warmup,
            self.duration,
            self.bucket,
        )
    }

    /// Checks a scenario's text; `path` names it in errors and gives the default `name`. A file
    /// with a `[sweep]` is read with `Study::load` instead.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, InputError> {
        parse::scenario(text, path, false, parse::Logs::Read)
    }

    pub fn total_pages(&self) -> u64 {
        self.routes.iter().map(|r| u64::from(r.pages)).sum()
    }

    /// The most instances running at any time: at the start, or after a `scale` event.
    pub fn most_instances(&self) -> u32 {
        most_instances(self.origin.instances, &self.events)
    }
}

/// The most instances running at any time, from `initial` and the `scale` events.
fn most_instances(initial: u32, events: &[SiteEvent]) -> u32 {
    events
        .iter()
        .filter_map(|e| match e.action {
            Action::Scale { instances } => Some(instances),
            _ => None,
        })
        .fold(initial, u32::max)
}

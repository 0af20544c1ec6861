//! Streams one run's observations into counters, histograms and time buckets.
//!
//! Memory does not grow with simulated time: percentiles come from HdrHistograms (3 significant
//! digits), peaks and per-second figures are folded as they go, and the time series has a fixed
//! number of buckets. Nothing observed before `warmup` is counted, except in the time series,
//! which covers the whole run; a generation's outcome (failed, wasted) is counted with the
//! generation, by its trigger, so `runs.csv` and `routes.csv` never count a failure whose
//! trigger they did not count (docs/model.md §11.2). Edits no response reflected by the run's end
//! are censored at the end (§11.1): counted in `edits_unseen` and in the edit-visible figures at
//! their censoring time, which makes those figures lower bounds. The shield's figures are left unmeasured unless the run has one
//! (`with_shield`).

use hdrhistogram::Histogram;

use super::{
    Bucket, Column, Distributions, QUANTILES, ROUTE_COLUMNS, RUN_COLUMNS, RouteMetrics, RunMetrics,
    RunResult, as_written,
};
use crate::time::SimTime;

/// The largest value a histogram holds: ten years, in microseconds. Larger values are recorded
/// as this (no run is that long).
const HISTOGRAM_MAX: u64 = 10 * 365 * 86_400 * 1_000_000;

/// A histogram sized for its whole range up front, so its memory does not grow as a long run
/// sees longer stale ages.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HISTOGRAM_MAX, 3)
        .expect("valid HdrHistogram bounds and precision")
}

/// A quantile in seconds; `None` (not measured) when the histogram saw nothing.
fn quantile_s(h: &Histogram<u64>, q: f64) -> Option<f64> {
    (!h.is_empty()).then(|| SimTime(h.value_at_quantile(q)).as_secs_f64())
}

/// The largest value in seconds; `None` (not measured) when the histogram saw nothing.
fn max_s(h: &Histogram<u64>) -> Option<f64> {
    (!h.is_empty()).then(|| SimTime(h.max()).as_secs_f64())
}

/// `n / d`; `None` (not measured) when nothing was counted in `d`.
fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn count(n: u64) -> Option<f64> {
    Some(n as f64)
}

/// Each value at the place of the column it names, so that the order a list is written in
/// cannot put a figure under another column of the same unit. Every column is named exactly
/// once: a misspelt or missing name is the program's own mistake, not the user's, so it is
/// checked in every build (once per finished run, no cost that shows), and the tests that
/// finish a collector catch it.
fn by_name<const N: usize>(
    columns: &[Column; N],
    named: [(&str, Option<f64>); N],
) -> [Option<f64>; N] {
    let mut values = [None; N];
    let mut set = [false; N];
    for (name, value) in named {
        let at = columns.iter().position(|c| c.name == name);
        assert!(
            at.is_some_and(|i| !set[i]),
            "column `{name}` is not one, or is named twice"
        );
        if let Some(i) = at {
            (values[i], set[i]) = (value, true);
        }
    }
    assert!(set.iter().all(|&s| s), "every column is named");
    values
}

#[derive(Clone)]
struct RouteStats {
    requests: u64,
    stale: u64,
    cdn_served: u64,
    regenerations: u64,
    failed: u64,
    stale_age: Histogram<u64>,
    edit_visible: Histogram<u64>,
    edits_unseen: u64,
    over_alert: u64,
    tag_invalidations: u64,
    deduplicated: u64,
}

impl RouteStats {
    fn new() -> RouteStats {
        RouteStats {
            requests: 0,
            stale: 0,
            cdn_served: 0,
            regenerations: 0,
            failed: 0,
            stale_age: histogram(),
            edit_visible: histogram(),
            edits_unseen: 0,
            over_alert: 0,
            tag_invalidations: 0,
            deduplicated: 0,
        }
    }
}

/// Counts one seconds-resolution figure: the peak of a per-second count.
#[derive(Default)]
struct PerSecondPeak {
    second: u64,
    count: u64,
    peak: u64,
}

impl PerSecondPeak {
    fn add(&mut self, at: SimTime) {
        let s = at.whole_secs();
        if s != self.second {
            self.second = s;
            self.count = 0;
        }
        self.count += 1;
        self.peak = self.peak.max(self.count);
    }
}

/// What a response was, for the metrics.
#[derive(Clone, Copy, Debug)]
pub struct Response {
    pub at: SimTime,
    pub route: usize,
    pub latency: SimTime,
    /// `None` when the response failed.
    pub stale_age: Option<SimTime>,
    pub stale: bool,
    pub from_cdn: bool,
    pub behind_origin: bool,
}

pub struct Collector {
    warmup: SimTime,
    end: SimTime,
    bucket: SimTime,
    requests: u64,
    errors: u64,
    stale: u64,
    cdn_served: u64,
    behind_origin: u64,
    origin_requests: u64,
    /// PoP fetches that reached the shield, and those it answered from its cache.
    shield_requests: u64,
    shield_hits: u64,
    regenerations: u64,
    failed: u64,
    wasted: u64,
    duplicate: u64,
    build_renders: u64,
    webhook_retries: u64,
    purge_requests: u64,
    regen_per_s: PerSecondPeak,
    inflight_peak: u64,
    storm_seconds: u64,
    /// The last whole second counted as a storm second, plus one (0 = none yet).
    storm_counted_until: u64,
    queue_busy_since: Option<SimTime>,
    /// Counted time during which the backend queue held a generation, in microseconds.
    queued_micros: u64,
    stale_age: Histogram<u64>,
    latency: Histogram<u64>,
    /// A run of equal latencies not yet recorded: (value, count).
    latency_run: (u64, u64),
    backend_wait: Histogram<u64>,
    edit_visible: Histogram<u64>,
    edits_unseen: u64,
    routes: Vec<RouteStats>,
    /// Beside `routes`, not in them: the request path never reads a name.
    route_names: Vec<String>,
    buckets: Vec<Bucket>,
    /// Gauges as last set, and the bucket they were last folded into.
    queued: u64,
    running: u64,
    gauge_bucket: usize,
    simulated_requests: u64,
    /// Whether the driver could tell which responses the CDN served (a load test against a CDN
    /// that names no cache status cannot).
    cdn_observed: bool,
    /// Whether the driver sees which cache entries a revalidated tag reached (a load test does
    /// not: they are inside the site).
    tags_observed: bool,
    /// Whether the driver could see the revalidation queue's deduplication.
    queue_observed: bool,
    /// Whether the run has an origin shield, whose columns are otherwise not measured.
    shield: bool,
}

/// Which run of a study a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunId {
    /// Index into `Study::points` (0 without a sweep).
    pub point: usize,
    /// Index into `Scenario::policies`.
    pub policy: usize,
    pub replication: u32,
    /// The replication's derived seed.
    pub seed: u64,
}

/// How many time-series buckets a run of `duration` has: every bucket is `bucket` long but the
/// last, which ends at `duration`; at least one.
pub fn bucket_count(duration: SimTime, bucket: SimTime) -> usize {
    (duration.as_micros().div_ceil(bucket.as_micros().max(1)) as usize).max(1)
}

impl Collector {
    pub fn new(
        route_names: Vec<String>,
        warmup: SimTime,
        end: SimTime,
        bucket: SimTime,
    ) -> Collector {
        let n_buckets = bucket_count(end, bucket);
        Collector {
            warmup,
            end,
            bucket,
            requests: 0,
            errors: 0,
            stale: 0,
            cdn_served: 0,
            behind_origin: 0,
            origin_requests: 0,
            shield_requests: 0,
            shield_hits: 0,
            regenerations: 0,
            failed: 0,
            wasted: 0,
            duplicate: 0,
            build_renders: 0,
            webhook_retries: 0,
            purge_requests: 0,
            regen_per_s: PerSecondPeak::default(),
            inflight_peak: 0,
            storm_seconds: 0,
            storm_counted_until: 0,
            queue_busy_since: None,
            queued_micros: 0,
            stale_age: histogram(),
            latency: histogram(),
            latency_run: (0, 0),
            backend_wait: histogram(),
            edit_visible: histogram(),
            edits_unseen: 0,
            routes: vec![RouteStats::new(); route_names.len()],
            route_names,
            buckets: vec![Bucket::default(); n_buckets],
            queued: 0,
            running: 0,
            gauge_bucket: 0,
            simulated_requests: 0,
            cdn_observed: true,
            tags_observed: true,
            queue_observed: true,
            shield: false,
        }
    }

    /// The bytes `Collector::new` allocates for a run of `routes` routes over `duration` in
    /// `bucket`s: its histograms, each sized for its whole range, and its time buckets.
    pub fn memory_estimate(routes: usize, duration: SimTime, bucket: SimTime) -> u64 {
        let histogram = 8 * histogram().distinct_values() as u64;
        let per_route = std::mem::size_of::<RouteStats>() as u64 + 2 * histogram;
        let buckets = bucket_count(duration, bucket) as u64;
        4 * histogram
            + (routes as u64).saturating_mul(per_route)
            + buckets.saturating_mul(std::mem::size_of::<Bucket>() as u64)
    }

    /// The run has an origin shield: `shield_requests` and `shield_hit_ratio` are measured.
    pub fn with_shield(mut self) -> Collector {
        self.shield = true;
        self
    }

    /// The driver could not tell which responses the CDN served: `cdn_hit_ratio` and
    /// `cdn_behind_origin_ratio` are then not measured, rather than zero.
    pub fn cdn_not_observed(&mut self) {
        self.cdn_observed = false;
    }

    /// The driver cannot see which cache entries a revalidated tag reached: `tag_invalidations`
    /// is then not measured, rather than zero.
    pub fn tag_invalidations_not_observed(&mut self) {
        self.tags_observed = false;
    }

    /// The driver cannot see a revalidation queue's messages: `regenerations_deduplicated` is then
    /// not measured, rather than zero.
    pub fn deduplication_not_observed(&mut self) {
        self.queue_observed = false;
    }

    #[inline]
    fn bucket_of(&self, at: SimTime) -> usize {
        ((at.as_micros() / self.bucket.as_micros().max(1)) as usize).min(self.buckets.len() - 1)
    }

    #[inline]
    fn counted(&self, at: SimTime) -> bool {
        at >= self.warmup
    }

    pub fn response(&mut self, r: Response) {
        self.simulated_requests += 1;
        let b = self.bucket_of(r.at);
        self.buckets[b].requests += 1;
        if r.stale {
            self.buckets[b].stale_responses += 1;
        }
        if !self.counted(r.at) {
            return;
        }
        self.requests += 1;
        self.record_latency(r.latency.as_micros());
        let route = &mut self.routes[r.route];
        route.requests += 1;
        if r.from_cdn {
            self.cdn_served += 1;
            route.cdn_served += 1;
        }
        match r.stale_age {
            None => self.errors += 1,
            Some(age) if r.stale => {
                self.stale += 1;
                route.stale += 1;
                self.stale_age.saturating_record(age.as_micros());
                route.stale_age.saturating_record(age.as_micros());
                if r.behind_origin {
                    self.behind_origin += 1;
                }
            }
            Some(_) => {}
        }
    }

    /// Most latencies repeat exactly (every CDN HIT takes `cdn.rtt`), so equal values are counted
    /// up and recorded in one call.
    #[inline]
    fn record_latency(&mut self, micros: u64) {
        if micros == self.latency_run.0 {
            self.latency_run.1 += 1;
        } else {
            self.flush_latency();
            self.latency_run = (micros, 1);
        }
    }

    fn flush_latency(&mut self) {
        let (value, count) = self.latency_run;
        if count > 0 {
            self.latency.saturating_record_n(value, count);
        }
        self.latency_run = (0, 0);
    }

    /// An edit made at `edited` became visible to a user at `at`.
    pub fn edit_visible(&mut self, route: usize, edited: SimTime, at: SimTime) {
        if self.counted(edited) {
            let delay = (at - edited).as_micros();
            self.edit_visible.saturating_record(delay);
            self.routes[route].edit_visible.saturating_record(delay);
        }
    }

    /// An edit made at `edited` had not become visible by the run's `end`: it is censored, and
    /// enters the edit-visible figures at `end - edited`, a lower bound of its lag.
    pub fn edit_unseen(&mut self, route: usize, edited: SimTime, end: SimTime) {
        if self.counted(edited) {
            let censored = end.saturating_sub(edited).as_micros();
            self.edit_visible.saturating_record(censored);
            self.edits_unseen += 1;
            let route = &mut self.routes[route];
            route.edit_visible.saturating_record(censored);
            route.edits_unseen += 1;
        }
    }

    pub fn origin_request(&mut self, at: SimTime) {
        let b = self.bucket_of(at);
        self.buckets[b].origin_requests += 1;
        if self.counted(at) {
            self.origin_requests += 1;
        }
    }

    /// A PoP's fetch reached the shield at `at`; `hit`: the shield answered it from its cache.
    #[inline]
    pub fn shield_request(&mut self, at: SimTime, hit: bool) {
        if self.counted(at) {
            self.shield_requests += 1;
            self.shield_hits += u64::from(hit);
        }
    }

    pub fn regeneration_triggered(&mut self, at: SimTime, route: usize, duplicate: bool) {
        let b = self.bucket_of(at);
        self.buckets[b].regenerations += 1;
        if !self.counted(at) {
            return;
        }
        self.regenerations += 1;
        self.routes[route].regenerations += 1;
        self.duplicate += u64::from(duplicate);
        self.regen_per_s.add(at);
    }

    /// A CMS sent a webhook again (`webhook_retries`), at `at`.
    pub fn webhook_retried(&mut self, at: SimTime) {
        if self.counted(at) {
            self.webhook_retries += 1;
        }
    }

    /// A purge call went to the CDN at `at` (one page, one tag, or everything).
    pub fn purge_request(&mut self, at: SimTime) {
        if self.counted(at) {
            self.purge_requests += 1;
        }
    }

    /// A stale lookup of a page of `route` sent a message to the revalidation queue at `at`,
    /// which dropped it as a copy of one sent within its window.
    pub fn regeneration_deduplicated(&mut self, at: SimTime, route: usize) {
        if self.counted(at) {
            self.routes[route].deduplicated += 1;
        }
    }

    /// A revalidated tag made an entry of a page of `route` stale or expired at `at`.
    pub fn tag_invalidation(&mut self, at: SimTime, route: usize) {
        if self.counted(at) {
            self.routes[route].tag_invalidations += 1;
        }
    }

    /// A deploy's build rendered a page.
    pub fn build_render(&mut self, at: SimTime) {
        if self.counted(at) {
            self.build_renders += 1;
        }
    }

    /// A generation left the backend queue (to run, or abandoned at its timeout).
    pub fn backend_wait(&mut self, at: SimTime, waited: SimTime) {
        if self.counted(at) {
            self.backend_wait.saturating_record(waited.as_micros());
        }
    }

    /// A generation triggered at `triggered` finished: it is counted, or not, as its trigger was,
    /// so a generation that spans the warm-up's end counts in no column (docs/model.md §11.2).
    pub fn regeneration_finished(
        &mut self,
        triggered: SimTime,
        route: usize,
        ok: bool,
        wasted: bool,
    ) {
        if !self.counted(triggered) {
            return;
        }
        if !ok {
            self.failed += 1;
            self.routes[route].failed += 1;
        }
        self.wasted += u64::from(wasted);
    }

    pub fn page_over_alert(&mut self, route: usize) {
        self.routes[route].over_alert += 1;
    }

    /// The backend's queue length and running generations changed at `at`.
    pub fn backend_levels(&mut self, at: SimTime, queued: u64, running: u64) {
        self.fold_gauges_until(at);
        if self.counted(at) {
            self.inflight_peak = self.inflight_peak.max(running);
        }
        match (self.queued > 0, queued > 0) {
            (false, true) => self.queue_busy_since = Some(at),
            (true, false) => self.close_storm(at),
            _ => {}
        }
        self.queued = queued;
        self.running = running;
        let b = &mut self.buckets[self.gauge_bucket];
        b.backend_queue = b.backend_queue.max(queued);
        b.regenerations_inflight = b.regenerations_inflight.max(running);
    }

    /// Carries the current gauge levels through every bucket up to the one holding `at`.
    fn fold_gauges_until(&mut self, at: SimTime) {
        let target = self.bucket_of(at);
        while self.gauge_bucket < target {
            self.gauge_bucket += 1;
            let b = &mut self.buckets[self.gauge_bucket];
            b.backend_queue = b.backend_queue.max(self.queued);
            b.regenerations_inflight = b.regenerations_inflight.max(self.running);
        }
    }

    /// Counts the whole seconds that `[busy_since, at)` touches, after warm-up, once each.
    fn close_storm(&mut self, at: SimTime) {
        let Some(since) = self.queue_busy_since.take() else {
            return;
        };
        let start = since.max(self.warmup);
        if at <= start {
            return;
        }
        self.queued_micros += (at - start).as_micros();
        let first = start.whole_secs().max(self.storm_counted_until);
        let last = (at - SimTime(1)).whole_secs();
        if last >= first {
            self.storm_seconds += last - first + 1;
            self.storm_counted_until = last + 1;
        }
    }

    /// Each route's figures, in `ROUTE_COLUMNS` order.
    fn route_metrics(&self) -> Vec<RouteMetrics> {
        let cdn = |n: u64, d: u64| ratio(n, d).filter(|_| self.cdn_observed);
        let tags = |n: u64| count(n).filter(|_| self.tags_observed);
        let queued = |n: u64| count(n).filter(|_| self.queue_observed);
        self.routes
            .iter()
            .zip(&self.route_names)
            .map(|(r, name)| RouteMetrics {
                route: name.clone(),
                values: by_name(
                    &ROUTE_COLUMNS,
                    [
                        ("requests", count(r.requests)),
                        ("stale_responses", count(r.stale)),
                        ("stale_ratio", ratio(r.stale, r.requests)),
                        ("stale_age_p50_s", quantile_s(&r.stale_age, 0.5)),
                        ("stale_age_p99_s", quantile_s(&r.stale_age, 0.99)),
                        ("stale_age_max_s", max_s(&r.stale_age)),
                        ("cdn_hit_ratio", cdn(r.cdn_served, r.requests)),
                        ("regenerations", count(r.regenerations)),
                        ("regenerations_failed", count(r.failed)),
                        ("edit_visible_p50_s", quantile_s(&r.edit_visible, 0.5)),
                        ("edit_visible_p99_s", quantile_s(&r.edit_visible, 0.99)),
                        ("edits_unseen", count(r.edits_unseen)),
                        ("pages_regen_gap_over_alert", count(r.over_alert)),
                        ("tag_invalidations", tags(r.tag_invalidations)),
                        ("regenerations_deduplicated", queued(r.deduplicated)),
                    ],
                )
                .map(|v| v.map(as_written)),
            })
            .collect()
    }

    /// The run's result: every figure, in the types every output reads.
    pub fn finish(mut self, id: RunId) -> RunResult {
        let end = self.end;
        self.flush_latency();
        self.fold_gauges_until(end);
        if self.queued > 0 {
            self.close_storm(end);
        }
        let millis = |s: Option<f64>| s.map(|s| s * 1e3);
        let observed = self.cdn_observed;
        let cdn = |n: u64, d: u64| ratio(n, d).filter(|_| observed);
        let tags = |n: u64| count(n).filter(|_| self.tags_observed);
        let queued = |n: u64| count(n).filter(|_| self.queue_observed);
        let values = by_name(
            &RUN_COLUMNS,
            [
                ("requests", count(self.requests)),
                ("errors", count(self.errors)),
                ("stale_responses", count(self.stale)),
                ("stale_ratio", ratio(self.stale, self.requests)),
                ("stale_age_p50_s", quantile_s(&self.stale_age, 0.5)),
                ("stale_age_p99_s", quantile_s(&self.stale_age, 0.99)),
                ("stale_age_max_s", max_s(&self.stale_age)),
                ("cdn_hit_ratio", cdn(self.cdn_served, self.requests)),
                (
                    "shield_requests",
                    count(self.shield_requests).filter(|_| self.shield),
                ),
                (
                    "shield_hit_ratio",
                    ratio(self.shield_hits, self.shield_requests).filter(|_| self.shield),
                ),
                ("origin_requests", count(self.origin_requests)),
                ("regenerations", count(self.regenerations)),
                ("regenerations_failed", count(self.failed)),
                ("regenerations_wasted", count(self.wasted)),
                ("regenerations_duplicate", count(self.duplicate)),
                ("build_renders", count(self.build_renders)),
                ("webhook_retries", count(self.webhook_retries)),
                ("regen_per_s_peak", count(self.regen_per_s.peak)),
                ("backend_inflight_peak", count(self.inflight_peak)),
                ("backend_wait_p99_s", quantile_s(&self.backend_wait, 0.99)),
                ("storm_seconds", count(self.storm_seconds)),
                (
                    "backend_queued_ratio",
                    ratio(self.queued_micros, (end - self.warmup.min(end)).as_micros()),
                ),
                ("latency_p50_ms", millis(quantile_s(&self.latency, 0.5))),
                ("latency_p99_ms", millis(quantile_s(&self.latency, 0.99))),
                ("latency_max_ms", millis(max_s(&self.latency))),
                ("edit_visible_p50_s", quantile_s(&self.edit_visible, 0.5)),
                ("edit_visible_p99_s", quantile_s(&self.edit_visible, 0.99)),
                ("edits_unseen", count(self.edits_unseen)),
                (
                    "cdn_behind_origin_ratio",
                    cdn(self.behind_origin, self.requests),
                ),
                (
                    "pages_regen_gap_over_alert",
                    count(self.routes.iter().map(|r| r.over_alert).sum()),
                ),
                ("purge_requests", count(self.purge_requests)),
                (
                    "tag_invalidations",
                    tags(self.routes.iter().map(|r| r.tag_invalidations).sum()),
                ),
                (
                    "regenerations_deduplicated",
                    queued(self.routes.iter().map(|r| r.deduplicated).sum()),
                ),
                // Priced from the figures above by the driver's `[cost]` (`crate::cost::fill`).
                ("cost_usd", None),
                ("cost_usd_month", None),
            ],
        );
        let routes = self.route_metrics();
        let at_quantiles = |h: &Histogram<u64>, scale: f64| -> Vec<f64> {
            if h.is_empty() {
                return Vec::new();
            }
            QUANTILES
                .iter()
                .map(|&q| as_written(SimTime(h.value_at_quantile(q)).as_secs_f64() * scale))
                .collect()
        };
        let distributions = Distributions {
            stale_age_s: at_quantiles(&self.stale_age, 1.0),
            latency_ms: at_quantiles(&self.latency, 1e3),
        };
        RunResult {
            point: id.point,
            policy: id.policy,
            replication: id.replication,
            seed: id.seed,
            metrics: RunMetrics::new(values),
            routes,
            timeseries: self.buckets,
            distributions,
            simulated_requests: self.simulated_requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: RunId = RunId {
        point: 0,
        policy: 0,
        replication: 0,
        seed: 0,
    };

    fn collector() -> Collector {
        Collector::new(
            vec!["posts".to_string()],
            SimTime::from_secs(10),
            SimTime::from_secs(100),
            SimTime::from_secs(10),
        )
    }

    #[test]
    fn storm_seconds_count_each_touched_second_once_after_warmup() {
        let mut c = collector();
        // Busy over [5.5s, 12.5s): seconds 10, 11, 12 are after warm-up.
        c.backend_levels(SimTime::from_millis(5_500), 1, 1);
        c.backend_levels(SimTime::from_millis(12_500), 0, 1);
        // Busy again within second 12 and into 13: only 13 is new.
        c.backend_levels(SimTime::from_millis(12_700), 2, 1);
        c.backend_levels(SimTime::from_millis(13_100), 0, 1);
        let m = c.finish(ID).metrics;
        assert_eq!(m.get("storm_seconds"), Some(4.0));
    }

    #[test]
    fn gauges_carry_into_quiet_buckets() {
        let mut c = collector();
        c.backend_levels(SimTime::from_secs(15), 3, 2);
        c.backend_levels(SimTime::from_secs(45), 0, 0);
        let buckets = c.finish(ID).timeseries;
        let queue: Vec<u64> = buckets.iter().map(|b| b.backend_queue).collect();
        assert_eq!(&queue[..6], &[0, 3, 3, 3, 3, 0]);
    }

    #[test]
    fn per_second_peak_of_regenerations() {
        let mut c = collector();
        for ms in [20_000, 20_100, 20_900, 21_000, 22_500, 22_600] {
            c.regeneration_triggered(SimTime::from_millis(ms), 0, false);
        }
        let m = c.finish(ID).metrics;
        assert_eq!(m.get("regen_per_s_peak"), Some(3.0));
        assert_eq!(m.get("regenerations"), Some(6.0));
    }

    #[test]
    fn values_go_to_the_column_they_name_whatever_the_order() {
        // Named last to first, each value its column's index.
        let mut named = ROUTE_COLUMNS.map(|c| (c.name, None));
        for (i, c) in ROUTE_COLUMNS.iter().enumerate() {
            named[ROUTE_COLUMNS.len() - 1 - i] = (c.name, Some(i as f64));
        }
        let values = by_name(&ROUTE_COLUMNS, named);
        for (i, v) in values.iter().enumerate() {
            assert_eq!(*v, Some(i as f64), "{}", ROUTE_COLUMNS[i].name);
        }
    }

    #[test]
    fn counts_of_one_unit_land_in_their_own_columns() {
        // Distinct counts for the columns of one unit, each from its own kind of observation:
        // a column filled from another's figure would show the other's count.
        let mut c = collector();
        let at = SimTime::from_secs(20);
        let response = |stale, from_cdn| Response {
            at,
            route: 0,
            latency: SimTime::from_millis(5),
            stale_age: Some(SimTime::ZERO),
            stale,
            from_cdn,
            behind_origin: false,
        };
        for i in 0..7 {
            c.response(response(i < 2, i < 3));
        }
        for _ in 0..4 {
            c.origin_request(at);
        }
        for i in 0..5 {
            c.regeneration_triggered(at, 0, i == 0);
        }
        for i in 0..5 {
            c.regeneration_finished(at, 0, i > 0, i > 2);
        }
        c.page_over_alert(0);
        for _ in 0..3 {
            c.purge_request(at);
        }
        for _ in 0..6 {
            c.tag_invalidation(at, 0);
        }
        for _ in 0..8 {
            c.regeneration_deduplicated(at, 0);
        }
        // Before the warm-up's end: not counted.
        c.purge_request(SimTime::from_secs(5));
        c.tag_invalidation(SimTime::from_secs(5), 0);
        c.regeneration_deduplicated(SimTime::from_secs(5), 0);
        let result = c.finish(ID);
        let m = &result.metrics;
        let expected = [
            ("requests", 7.0),
            ("stale_responses", 2.0),
            ("origin_requests", 4.0),
            ("regenerations", 5.0),
            ("regenerations_failed", 1.0),
            ("regenerations_wasted", 2.0),
            ("regenerations_duplicate", 1.0),
            ("pages_regen_gap_over_alert", 1.0),
            ("purge_requests", 3.0),
            ("tag_invalidations", 6.0),
            ("regenerations_deduplicated", 8.0),
        ];
        for (name, value) in expected {
            assert_eq!(m.get(name), Some(value), "{name}");
        }
        assert_eq!(m.get("cdn_hit_ratio"), Some(as_written(3.0 / 7.0)));
        let route = &result.routes[0].values;
        let at = |name: &str| route[ROUTE_COLUMNS.iter().position(|c| c.name == name).unwrap()];
        assert_eq!(at("requests"), Some(7.0));
        assert_eq!(at("stale_responses"), Some(2.0));
        assert_eq!(at("regenerations"), Some(5.0));
        assert_eq!(at("regenerations_failed"), Some(1.0));
        assert_eq!(at("pages_regen_gap_over_alert"), Some(1.0));
        assert_eq!(at("tag_invalidations"), Some(6.0));
        assert_eq!(at("regenerations_deduplicated"), Some(8.0));
    }
}

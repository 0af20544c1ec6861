//! What a load test observes, folded into the same [`Collector`] as a simulation (docs/load.md,
//! "What is measured").
//!
//! Users' responses are judged with the one judgement of `metrics::staleness` against the
//! content server's [`Content`](crate::workload::content::Content), at the instant each response
//! was received; the content server's regenerations come in as [`BackendEvent`]s. Everything is
//! folded as it comes (counters, HdrHistograms, fixed time buckets), so memory does not grow
//! with the run's length.

use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use hdrhistogram::Histogram;

use super::client::{Answer, Failure};
use super::cms::{BackendEvent, Cms, Happened, Observer};
use super::response::{self, Layers, Marker, Reader, Status};
use crate::metrics::Collector;
use crate::metrics::collector::Response;
use crate::metrics::staleness::{self, Visibility};
use crate::scenario::{Policy, Scenario};
use crate::time::SimTime;
use crate::workload::PageId;
use crate::workload::content::PageLayout;

/// How many successful responses the marker check looks at, and how many of them may lack the
/// marker (1%).
pub const MARKER_SAMPLE: u64 = 1_000;

/// How much earlier than a response a regeneration must have returned a version for the CDN
/// to count as behind the origin when it serves an older one (docs/load.md, "What is measured":
/// `cdn_behind_origin_ratio`).
const BEHIND_AFTER: SimTime = SimTime::from_secs(1);

/// Counts a progress display reads while the run goes (every response, warm-up included).
#[derive(Default, Debug)]
pub struct Live {
    pub responses: AtomicU64,
    pub stale: AtomicU64,
    pub errors: AtomicU64,
    pub unverified: AtomicU64,
    /// Requests whose time came before the run ended (handed to the workers, or not yet when
    /// the run ended at its duration).
    pub due: AtomicU64,
}

impl Live {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// One user request's fate, as a worker saw it.
pub struct Observation<'a> {
    pub page: PageId,
    pub intended: Instant,
    /// When the request left (`None`: it never did, no connection).
    pub sent: Option<Instant>,
    pub received: Instant,
    pub answer: &'a Result<Answer, Failure>,
}

/// The newest versions regenerations returned for a page.
#[derive(Clone, Copy)]
struct Returned {
    /// The newest, and when it was first returned.
    newest: Option<(u32, SimTime)>,
    /// The newest before that one.
    before: Option<u32>,
}

impl Returned {
    /// The newest version returned more than `BEHIND_AFTER` before `at` (a lower bound when
    /// several were returned within that second).
    fn settled(&self, at: SimTime) -> Option<u32> {
        match self.newest {
            Some((v, when)) if when + BEHIND_AFTER < at => Some(v),
            _ => self.before,
        }
    }
}

/// The marker check of the first `MARKER_SAMPLE` successful responses.
#[derive(Default)]
struct MarkerCheck {
    seen: u64,
    missing: u64,
}

impl MarkerCheck {
    /// Whether more than 1% of the whole sample lacked the marker: the run stops at once.
    fn sample_failed(&self) -> bool {
        self.missing * 100 > MARKER_SAMPLE
    }

    /// Whether more than 1% of the responses seen lacked the marker (for a run that ended
    /// before the sample was complete).
    fn failed(&self) -> bool {
        self.missing * 100 > self.seen
    }
}

struct State {
    collector: Collector,
    visibility: Visibility,
    returned: Vec<Returned>,
    /// The monitor (docs/model.md §10): each page's last successful regeneration, and whether
    /// it was already counted.
    last_success: Vec<SimTime>,
    /// Per page, whether its last successful regeneration changed the version its instance
    /// held (not wasted): a scheduled regeneration purges the CDN only then.
    changed: Vec<bool>,
    over_alert: Vec<bool>,
    marker: MarkerCheck,
    send_lag: Histogram<u64>,
    cdn_seen: bool,
    /// Per route, whether its `Cache-Control` was checked.
    cache_control_checked: Vec<bool>,
    warnings: Vec<String>,
    log: Option<csv::Writer<BufWriter<File>>>,
}

/// The load test's observations, shared by the user workers and the content server.
pub struct Recorder {
    /// `None` once the run is finished: events after that are not counted.
    state: Mutex<Option<State>>,
    pub live: Arc<Live>,
    layout: PageLayout,
    /// Per route, its name and the `s-maxage` the policy implies.
    routes: Vec<(String, u64)>,
    /// Per route, its pages' marker.
    markers: Vec<Marker>,
    alert_after: SimTime,
    warmup: SimTime,
    /// How the layers are read (`--cdn-header`, the platform's own header first).
    reader: Reader,
    /// Whether the scenario has a CDN: without one, responses are the origin's.
    has_cdn: bool,
    /// The scenario has an origin shield, which a load test cannot see into.
    has_shield: bool,
    /// The content server, for the truth the backend's events are judged against.
    cms: std::sync::OnceLock<std::sync::Weak<Cms>>,
    /// When the load test began: a request due earlier (time zero at an `--epoch` in the past)
    /// could not leave before, so its send lag counts from here.
    opened: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` on the state unless the run is finished.
fn with_state<R>(recorder: &Recorder, f: impl FnOnce(&mut State) -> R) -> Option<R> {
    lock(&recorder.state).as_mut().map(f)
}

/// What Next.js sends as `s-maxage` without a timer: a year (docs/load.md, "The reference site").
const YEAR_S: u64 = 31_536_000;

impl Recorder {
    pub fn new(
        scenario: &Scenario,
        policy: &Policy,
        collector: Collector,
        cdn_header: Option<String>,
        log: Option<File>,
        live: Arc<Live>,
    ) -> std::io::Result<Recorder> {
        let layout = PageLayout::new(scenario);
        let pages = layout.total();
        let built = |r: usize| scenario.routes[r].prerendered;
        let returned = (0..pages)
            .map(|p| {
                let prerendered = built(layout.route_of(PageId::at(p)));
                Returned {
                    newest: prerendered.then_some((0, SimTime::ZERO)),
                    before: None,
                }
            })
            .collect();
        let log = match log {
            Some(file) => {
                let mut writer = csv::Writer::from_writer(BufWriter::new(file));
                writer.write_record(LOG_COLUMNS)?;
                Some(writer)
            }
            None => None,
        };
        let routes = (scenario.routes.iter().zip(&policy.routes))
            .map(|(r, p)| {
                let s_maxage = p
                    .revalidate
                    .map_or(YEAR_S, |t| t.as_secs_f64().round() as u64);
                (r.name.clone(), s_maxage)
            })
            .collect();
        Ok(Recorder {
            state: Mutex::new(Some(State {
                collector,
                visibility: Visibility::new(pages),
                returned,
                last_success: vec![SimTime::ZERO; pages],
                changed: vec![false; pages],
                over_alert: vec![false; pages],
                marker: MarkerCheck::default(),
                send_lag: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                    .expect("valid HdrHistogram bounds and precision"),
                cdn_seen: false,
                cache_control_checked: vec![false; scenario.routes.len()],
                warnings: Vec::new(),
                log,
            })),
            live,
            markers: scenario
                .routes
                .iter()
                .map(|r| Marker::new(&r.name))
                .collect(),
            layout,
            routes,
            alert_after: scenario.monitor.alert_after,
            warmup: scenario.warmup,
            reader: Reader::new(
                cdn_header.as_deref(),
                response::own_header(scenario.platform.name, scenario.platform.product),
            ),
            has_cdn: scenario.cdn.is_some(),
            has_shield: scenario.cdn.as_ref().is_some_and(|c| c.shield.is_some()),
            cms: std::sync::OnceLock::new(),
            opened: Instant::now(),
        })
    }

    /// Whether the last successful regeneration of `page` changed the version its instance held;
    /// `true` once the run is finished (nothing is then withheld).
    pub fn changed(&self, page: PageId) -> bool {
        with_state(self, |s| s.changed[page.index()]).unwrap_or(true)
    }

    /// The content server whose content responses are judged against.
    pub fn attach(&self, cms: &std::sync::Arc<Cms>) {
        let _ = self.cms.set(std::sync::Arc::downgrade(cms));
    }

    /// Records one response. Returns `false` when the marker check failed and the run must
    /// stop.
    pub fn response(&self, cms: &Cms, o: &Observation<'_>) -> bool {
        let at = cms.time_of(o.received);
        let intended = cms.time_of(o.intended);
        let route = self.layout.route_of(o.page);
        let index = o.page.0 - self.layout.offsets[route];
        let (status, layers, version) = match o.answer {
            Ok(answer) => {
                let version = (answer.status.is_success())
                    .then(|| self.markers[route].version(&answer.body, index))
                    .flatten();
                let layers = self.reader.layers(&answer.headers);
                (Some(answer), layers, version)
            }
            Err(_) => (None, Layers::default(), None),
        };
        let succeeded = status.is_some_and(|a| a.status.is_success());
        let unverified = succeeded && version.is_none();
        let mut guard = lock(&self.state);
        let Some(state) = guard.as_mut() else {
            return true;
        };
        if let Some(sent) = o.sent {
            let due = o.intended.max(self.opened);
            let lag = sent.saturating_duration_since(due).as_micros() as u64;
            state.send_lag.saturating_record(lag);
        }
        if succeeded && state.marker.seen < MARKER_SAMPLE {
            state.marker.seen += 1;
            state.marker.missing += u64::from(unverified);
        }
        if let Some(answer) = status
            && !state.cache_control_checked[route]
        {
            self.check_cache_control(state, route, answer);
        }
        state.cdn_seen |= layers.cdn_text.is_some();
        let content = cms.content();
        let judgement = staleness::judge(&*content, o.page, version, at);
        self.live.responses.fetch_add(1, Ordering::Relaxed);
        if unverified {
            self.live.unverified.fetch_add(1, Ordering::Relaxed);
        } else {
            let failed = judgement.stale_age.is_none();
            let counter = if failed {
                &self.live.errors
            } else {
                &self.live.stale
            };
            if failed || judgement.stale {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            let settled = state.returned[o.page.index()].settled(at);
            let behind = staleness::behind_origin(judgement, layers.from_cdn(), version, settled);
            let State {
                collector,
                visibility,
                ..
            } = &mut *state;
            if let Some(v) = version {
                visibility.served(&*content, o.page, v, |edited| {
                    collector.edit_visible(route, edited, at)
                });
            }
            if status.is_some() && !layers.from_cdn() {
                collector.origin_request(at);
            }
            collector.response(Response {
                at,
                route,
                latency: at.saturating_sub(intended),
                stale_age: judgement.stale_age,
                stale: judgement.stale,
                from_cdn: layers.from_cdn(),
                behind_origin: behind,
            });
        }
        drop(content);
        if let Some(log) = state.log.as_mut() {
            let record = [
                seconds(intended),
                seconds(at),
                self.routes[route].0.clone(),
                index.to_string(),
                match o.answer {
                    Ok(a) => a.status.as_u16().to_string(),
                    Err(Failure::Connect) => "connect".to_string(),
                    Err(Failure::Broken) => "broken".to_string(),
                    Err(Failure::TimedOut) => "timeout".to_string(),
                },
                version.map_or(String::new(), |v| v.to_string()),
                layers.origin_text.unwrap_or_default().to_string(),
                layers.cdn_text.unwrap_or_default().to_string(),
                format!("{:.3}", at.saturating_sub(intended).as_secs_f64() * 1e3),
                if unverified {
                    String::new()
                } else {
                    u8::from(judgement.stale).to_string()
                },
                judgement.stale_age.map_or(String::new(), seconds),
                layer(layers.origin),
                layer(layers.cdn),
            ];
            // A log that cannot be written must not stop the measurement; it is reported at the
            // end by `finish`.
            if log.write_record(&record).is_err() {
                state.log = None;
                state
                    .warnings
                    .push("--log: the file could not be written to; it stops here".into());
            }
        }
        !state.marker.sample_failed()
    }

    /// Warns once per route when the site's `s-maxage` is not the policy's `revalidate`.
    fn check_cache_control(&self, state: &mut State, route: usize, answer: &Answer) {
        let Some(value) = (answer.headers.get("cache-control")).and_then(|v| v.to_str().ok())
        else {
            return;
        };
        state.cache_control_checked[route] = true;
        let (name, wanted) = &self.routes[route];
        if let Some(got) = response::shared_max_age(value)
            && got != *wanted
        {
            state.warnings.push(format!(
                "route `{name}`: the site sends `Cache-Control: {value}`, but the policy's \
                 revalidate means s-maxage={wanted}; the site's own setting is what is measured"
            ));
        }
    }

    /// The editors decided a purge call at `at` (`purge_requests`).
    pub fn purge_request(&self, at: SimTime) {
        with_state(self, |s| s.collector.purge_request(at));
    }

    /// Warnings not yet taken.
    pub fn take_warnings(&self) -> Vec<String> {
        with_state(self, |s| std::mem::take(&mut s.warnings)).unwrap_or_default()
    }

    /// The metrics the site gave no means to observe: the CDN's, when the scenario has a CDN and
    /// no response named a cache status (nor carried an `Age`); the origin shield's always, since
    /// a user's response does not say which tier behind the PoP answered it.
    pub fn unobserved(&self) -> Vec<&'static str> {
        let cdn_seen = with_state(self, |s| s.cdn_seen).unwrap_or(true);
        let mut unobserved = Vec::new();
        if self.has_cdn && !cdn_seen {
            unobserved.extend(["cdn_hit_ratio", "cdn_behind_origin_ratio"]);
        }
        if self.has_shield {
            unobserved.extend(["shield_requests", "shield_hit_ratio"]);
        }
        // How many cache entries a revalidated tag reached, and which revalidation messages a
        // queue dropped, are the site's inside.
        unobserved.extend(["tag_invalidations", "regenerations_deduplicated"]);
        unobserved
    }

    /// Whether the marker check failed over the responses seen so far (at the end of a run
    /// shorter than the sample).
    pub fn marker_failed(&self) -> bool {
        with_state(self, |s| s.marker.failed()).unwrap_or(false)
    }

    /// Of the successful responses the marker check looked at: how many, and how many had no
    /// marker.
    pub fn marker_counts(&self) -> (u64, u64) {
        with_state(self, |s| (s.marker.seen, s.marker.missing)).unwrap_or_default()
    }

    /// The 99th percentile and the largest of (sent − intended), in milliseconds, if anything
    /// was sent.
    pub fn send_lag_ms(&self) -> Option<(f64, f64)> {
        with_state(self, |s| {
            let h = &s.send_lag;
            (!h.is_empty()).then(|| (h.value_at_quantile(0.99) as f64 / 1e3, h.max() as f64 / 1e3))
        })
        .flatten()
    }

    /// Ends the run at `end`: the monitor's last check, the log flushed; returns the collector.
    /// Called once; later events are not counted.
    pub fn finish(&self, cms: &Cms, end: SimTime) -> std::io::Result<Option<Collector>> {
        let Some(mut state) = lock(&self.state).take() else {
            return Ok(None);
        };
        {
            let content = cms.content();
            for page in 0..self.layout.total() {
                check_alert(&mut state, self, &content, PageId::at(page), end);
            }
            let State {
                collector,
                visibility,
                ..
            } = &mut state;
            visibility.unseen(&*content, |page, edited| {
                collector.edit_unseen(self.layout.route_of(page), edited, end)
            });
        }
        if self.has_cdn && !state.cdn_seen {
            state.collector.cdn_not_observed();
        }
        state.collector.tag_invalidations_not_observed();
        state.collector.deduplication_not_observed();
        if let Some(log) = state.log.as_mut() {
            log.flush()?;
        }
        Ok(Some(state.collector))
    }
}

/// Flags `page` when it went longer than `alert_after` without a successful regeneration while
/// the newest version returned was outdated (docs/model.md §10), as the simulator does.
fn check_alert(
    state: &mut State,
    recorder: &Recorder,
    content: &crate::workload::content::Content,
    page: PageId,
    now: SimTime,
) {
    let p = page.index();
    let Some((held, _)) = state.returned[p].newest else {
        return;
    };
    if state.over_alert[p] || content.version(page) <= held {
        return;
    }
    let Some(outdated) = content.outdated_since(page, held) else {
        return;
    };
    let (last, after, warmup) = (state.last_success[p], recorder.alert_after, recorder.warmup);
    if staleness::over_alert(last, after, outdated, warmup, now) {
        state.over_alert[p] = true;
        let route = recorder.layout.route_of(page);
        state.collector.page_over_alert(route);
    }
}

impl Observer for Recorder {
    fn backend(&self, e: BackendEvent) {
        let mut guard = lock(&self.state);
        let Some(state) = guard.as_mut() else {
            return;
        };
        let collector = &mut state.collector;
        match e.happened {
            Happened::Arrived { duplicate } => {
                collector.regeneration_triggered(e.at, e.route, duplicate);
            }
            Happened::Started { waited } | Happened::Abandoned { waited } => {
                collector.backend_wait(e.at, waited);
            }
            Happened::Answered {
                version,
                wasted,
                triggered,
            } => {
                collector.regeneration_finished(triggered, e.route, version.is_some(), wasted);
                if let Some(v) = version {
                    let returned = &mut state.returned[e.page.index()];
                    match returned.newest {
                        Some((newest, _)) if newest >= v => {}
                        newest => {
                            returned.before = newest.map(|(n, _)| n);
                            returned.newest = Some((v, e.at));
                        }
                    }
                    if let Some(cms) = self.cms.get().and_then(std::sync::Weak::upgrade) {
                        check_alert(state, self, &cms.content(), e.page, e.at);
                    }
                    state.last_success[e.page.index()] = e.at;
                    state.changed[e.page.index()] = !wasted;
                }
            }
            Happened::Queued | Happened::Freed => {}
        }
        state.collector.backend_levels(e.at, e.queued, e.running);
    }
}

/// The columns of `--log`.
pub const LOG_COLUMNS: [&str; 13] = [
    "intended_s",
    "received_s",
    "route",
    "page",
    "status",
    "version",
    "origin_cache",
    "cdn_cache",
    "latency_ms",
    "stale",
    "stale_age_s",
    "origin_layer",
    "cdn_layer",
];

/// A layer as `--log` writes it: `HIT`, `STALE`, `MISS`, or empty when no header named it.
fn layer(status: Option<Status>) -> String {
    status.map_or("", Status::name).to_string()
}

fn seconds(t: SimTime) -> String {
    format!("{:.6}", t.as_secs_f64())
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("live", &self.live)
            .finish()
    }
}

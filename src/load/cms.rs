//! The content server (the CMS): the only source of truth of a load test's content, and a
//! backend that behaves as the simulator's (docs/model.md §7, "The backend").
//!
//! Each `GET /content/{route}/{page}` is one regeneration. It waits in a FIFO queue for one of
//! `[backend] concurrency` slots, reads the page's version when a slot takes it (the simulator's
//! snapshot rule: an edit after that instant is not in it), runs for a draw from the route's
//! `regen_time`, fails with 500 at `failure_rate` (drawn when the run ends), and with 504 at the
//! moment its queue wait plus run passes `timeout`. A request that times out while running keeps
//! its slot until the run ends, because a client giving up does not stop the server. Versions
//! come from the simulator's own [`Content`], so an aggregation route's version goes up with
//! every edit of a page feeding it, exactly as in a simulation.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::RngExt;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, TryAcquireError, oneshot};

use crate::distribution::Distribution;
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::workload::PageId;
use crate::workload::content::{Content, PageLayout};
use crate::workload::rng;

/// The request header that names the Next.js instance regenerating (docs/load.md, "Each request is one
/// regeneration").
pub const INSTANCE_HEADER: &str = "x-isrsim-instance";

/// The longest queue wait the histogram tells apart, a day in microseconds; longer ones are
/// recorded as this.
const LONGEST_WAIT_US: u64 = 86_400 * 1_000_000;

/// What the server counts, for the load driver to read (`Cms::counters`).
#[derive(Clone, Debug)]
pub struct Counters {
    /// Content requests for a page that exists: every one is a regeneration.
    pub requests: u64,
    /// Answered 500 (`failure_rate`).
    pub failed: u64,
    /// Answered 504 (`timeout`).
    pub timed_out: u64,
    /// Requests for a page that the same instance was already fetching (only requests that name
    /// their instance count).
    pub duplicates: u64,
    /// The most regenerations holding a slot at once.
    pub inflight_peak: u64,
    /// The queue wait of every regeneration a slot took, in microseconds.
    pub queue_wait: Histogram<u64>,
    /// Per instance named by `x-isrsim-instance`.
    pub instances: BTreeMap<String, InstanceCounters>,
}

/// One instance's share of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceCounters {
    pub requests: u64,
    pub duplicates: u64,
}

/// What happened to one regeneration, as the load driver hears of it (`Observer`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Happened {
    /// A request arrived; `duplicate` when the page was already being fetched, by any instance.
    Arrived { duplicate: bool },
    /// No slot was free: it joined the queue.
    Queued,
    /// It took a slot after waiting `waited`.
    Started { waited: SimTime },
    /// It gave up in the queue at its timeout after waiting `waited`, and never ran.
    Abandoned { waited: SimTime },
    /// It was answered: with the page (`version`, and `wasted` when that is the version its
    /// instance had last fetched), or with an error (`version` is `None`). `triggered`: when it
    /// arrived, which decides whether the metrics count it (docs/model.md §11.2).
    Answered {
        version: Option<u32>,
        wasted: bool,
        triggered: SimTime,
    },
    /// Its run ended and freed its slot (after its answer when it timed out while running).
    Freed,
}

/// One regeneration's event, with the backend's levels just after it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackendEvent {
    pub at: SimTime,
    pub route: usize,
    /// The global page id.
    pub page: PageId,
    pub happened: Happened,
    /// Regenerations waiting for a slot, and holding one.
    pub queued: u64,
    pub running: u64,
}

/// Hears every regeneration's events, in the order they happen (the load driver's recorder).
pub trait Observer: Send + Sync {
    fn backend(&self, event: BackendEvent);
}

/// The version an instance holds of a page it has not fetched and that was not prerendered.
const NOT_HELD: u32 = u32::MAX;

/// The counters, and what they are computed from.
struct Tally {
    counters: Counters,
    /// Per instance, how many requests of each page (by global page id) are being answered.
    fetching: BTreeMap<String, Vec<u32>>,
    /// Per page, how many requests are being answered, whatever their instance.
    in_flight: Vec<u32>,
    /// Per instance ("" for requests that name none), the version of each page it last fetched
    /// (the build's 0 for prerendered pages; `NOT_HELD` otherwise).
    held: BTreeMap<String, Vec<u32>>,
    /// The version every instance holds before its first fetch.
    built: Vec<u32>,
    queued: u64,
    running: u64,
    /// Per page, how many renders have started: with the page, the key of each render's draws
    /// (`rng::regeneration`), as in the simulator.
    renders_started: Vec<u32>,
}

struct Route {
    name: String,
    offset: u32,
    pages: u32,
    regen_time: Distribution,
}

/// How a regeneration ended.
enum Outcome {
    Served { version: u32, edited_at: SimTime },
    Failed,
    TimedOut,
}

/// The content of every page and the backend in front of it, shared by the server's
/// connections and the load driver, which applies the editors' edits with [`Cms::edit`].
pub struct Cms {
    routes: Vec<Route>,
    content: Mutex<Content>,
    /// Where each route's pages are in the global numbering (a copy of the content's, read
    /// without its lock on every request).
    layout: PageLayout,
    /// `None` is "unlimited": no queue. Tokio's semaphore is fair, so waiters are served first
    /// in, first out, and one that gives up leaves the queue.
    slots: Option<Arc<Semaphore>>,
    failure_rate: f64,
    timeout: Option<Duration>,
    /// The replication's seed: with a page and its count of renders, the key of each render's
    /// run time and failure (`rng::regeneration`).
    seed: u64,
    tally: Mutex<Tally>,
    /// Time zero: `edited_at_ms` and [`Cms::now`] count from here.
    started: Instant,
    observer: Option<Arc<dyn Observer>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cms {
    /// Every page of `scenario` at version 0, the clock at zero now; regeneration times and
    /// failures are drawn per page and render from `replication_seed` (`rng::regeneration`).
    pub fn new(scenario: &Scenario, replication_seed: u64) -> Cms {
        Cms::starting(scenario, replication_seed, Instant::now(), None)
    }

    /// As [`Cms::new`], with time zero at `started` and every regeneration's events told to
    /// `observer`.
    pub fn starting(
        scenario: &Scenario,
        replication_seed: u64,
        started: Instant,
        observer: Option<Arc<dyn Observer>>,
    ) -> Cms {
        let layout = PageLayout::new(scenario);
        let total = layout.total();
        let built = (scenario.routes.iter())
            .flat_map(|r| {
                let held = if r.prerendered { 0 } else { NOT_HELD };
                std::iter::repeat_n(held, r.pages as usize)
            })
            .collect();
        let routes = (scenario.routes.iter().zip(&layout.offsets))
            .map(|(r, &offset)| Route {
                name: r.name.clone(),
                offset,
                pages: r.pages,
                regen_time: r.regen_time.clone(),
            })
            .collect();
        let backend = &scenario.backend;
        Cms {
            routes,
            content: Mutex::new(Content::new(scenario, layout.clone())),
            layout,
            slots: (backend.concurrency)
                .map(|c| Arc::new(Semaphore::new((c as usize).min(Semaphore::MAX_PERMITS)))),
            failure_rate: backend.failure_rate,
            timeout: backend
                .timeout
                .map(|t| Duration::from_micros(t.as_micros())),
            seed: replication_seed,
            tally: Mutex::new(Tally {
                counters: Counters {
                    requests: 0,
                    failed: 0,
                    timed_out: 0,
                    duplicates: 0,
                    inflight_peak: 0,
                    queue_wait: Histogram::new_with_bounds(1, LONGEST_WAIT_US, 3)
                        .expect("valid HdrHistogram bounds and precision"),
                    instances: BTreeMap::new(),
                },
                fetching: BTreeMap::new(),
                in_flight: vec![0; total],
                renders_started: vec![0; total],
                held: BTreeMap::new(),
                built,
                queued: 0,
                running: 0,
            }),
            started,
            observer,
        }
    }

    /// Time zero.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// `instant` on the run's clock (zero before time zero).
    pub fn time_of(&self, instant: Instant) -> SimTime {
        SimTime::from_micros(instant.saturating_duration_since(self.started).as_micros() as u64)
    }

    /// Tells the observer, if any, of an event of `page` (a global page id), with the tally's
    /// levels. Called with the tally held, so events reach the observer in order.
    fn tell(&self, tally: &Tally, page: PageId, happened: Happened) {
        if let Some(observer) = &self.observer {
            let route = self.route_of(page);
            observer.backend(BackendEvent {
                at: self.now(),
                route,
                page,
                happened,
                queued: tally.queued,
                running: tally.running,
            });
        }
    }

    /// The time since time zero.
    pub fn now(&self) -> SimTime {
        self.time_of(Instant::now())
    }

    /// Applies an edit of `page` (a global page id, as the simulator numbers pages) made at `at`,
    /// and returns every page it changed: the page, then the aggregation pages it feeds.
    pub fn edit(&self, page: PageId, at: SimTime) -> Vec<PageId> {
        let mut changed = Vec::new();
        lock(&self.content).edit(page, at, &mut changed);
        changed
    }

    /// The content, the truth responses are judged against (`metrics::staleness::Truth`).
    pub fn content(&self) -> MutexGuard<'_, Content> {
        lock(&self.content)
    }

    /// What was counted so far.
    pub fn counters(&self) -> Counters {
        lock(&self.tally).counters.clone()
    }

    /// Where each route's pages sit in the global page numbering.
    pub fn layout(&self) -> &PageLayout {
        &self.layout
    }

    /// The route of a global page id.
    pub fn route_of(&self, page: PageId) -> usize {
        self.layout.route_of(page)
    }

    /// The global page id of a route's first page.
    pub fn first_page(&self, route: usize) -> PageId {
        PageId(self.layout.offsets[route])
    }

    /// The total number of pages, and of routes.
    pub fn size(&self) -> (u64, usize) {
        let pages = self.routes.iter().map(|r| u64::from(r.pages)).sum();
        (pages, self.routes.len())
    }

    /// Answers one HTTP request.
    async fn handle(
        cms: Arc<Cms>,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let Some(rest) = request.uri().path().strip_prefix("/content/") else {
            return Ok(error(
                StatusCode::NOT_FOUND,
                "not found: content is at /content/{route}/{page}",
            ));
        };
        if request.method() != Method::GET {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "the content server answers GET only",
            );
            (response.headers_mut()).insert(ALLOW, HeaderValue::from_static("GET"));
            return Ok(response);
        }
        let (route, index) = match cms.find(rest) {
            Ok(found) => found,
            Err(message) => return Ok(error(StatusCode::NOT_FOUND, &message)),
        };
        let instance = (request.headers().get(INSTANCE_HEADER))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Cms::regenerate(&cms, route, index, instance).await)
    }

    /// The route and page index of `{route}/{page}`.
    fn find(&self, rest: &str) -> Result<(usize, u32), String> {
        let (name, page) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(route) = self.routes.iter().position(|r| r.name == name) else {
            return Err(format!("no route named \"{name}\""));
        };
        let pages = self.routes[route].pages;
        match page.parse::<u32>() {
            Ok(index) if index < pages => Ok((route, index)),
            _ => Err(format!(
                "no page \"{page}\" in route \"{name}\": pages are 0 to {}",
                pages.saturating_sub(1)
            )),
        }
    }

    async fn regenerate(
        cms: &Arc<Cms>,
        route: usize,
        index: u32,
        instance: Option<String>,
    ) -> Response<Full<Bytes>> {
        let arrived = Instant::now();
        let page = PageId(cms.routes[route].offset + index);
        let fetch = cms.arrive(page, instance);
        let outcome = match cms.timeout {
            Some(timeout) => {
                let deadline = tokio::time::Instant::from_std(arrived) + timeout;
                tokio::time::timeout_at(deadline, Cms::run(cms, route, page, arrived))
                    .await
                    .unwrap_or(Outcome::TimedOut)
            }
            None => Cms::run(cms, route, page, arrived).await,
        };
        cms.answered(&fetch, &outcome);
        let name = &cms.routes[route].name;
        match outcome {
            Outcome::Served { version, edited_at } => json_response(
                StatusCode::OK,
                &json!({
                    "route": name,
                    "page": index,
                    "version": version,
                    "edited_at_ms": edited_at.as_micros() / 1000,
                    "body": format!("Page {index} of {name}, version {version}."),
                }),
            ),
            Outcome::Failed => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the backend failed (its failure_rate)",
            ),
            Outcome::TimedOut => error(
                StatusCode::GATEWAY_TIMEOUT,
                "queue wait plus run exceeded the backend's timeout",
            ),
        }
    }

    /// Waits for a slot, snapshots the page's version, and runs. The run goes on in its own task,
    /// holding the slot, even when the request gives up at its timeout.
    async fn run(cms: &Arc<Cms>, route: usize, page: PageId, arrived: Instant) -> Outcome {
        // A regeneration that finds a free slot never counts as queued; one that waits is in
        // the queue until a slot takes it (FIFO: a free slot goes to the longest waiter first).
        let (permit, was_queued) = match &cms.slots {
            None => (None, false),
            Some(slots) => match Arc::clone(slots).try_acquire_owned() {
                Ok(permit) => (Some(permit), false),
                Err(TryAcquireError::Closed) => return Outcome::Failed,
                Err(TryAcquireError::NoPermits) => {
                    {
                        let mut tally = lock(&cms.tally);
                        tally.queued += 1;
                        cms.tell(&tally, page, Happened::Queued);
                    }
                    let mut queued = Queued {
                        cms,
                        page,
                        arrived,
                        waiting: true,
                    };
                    let Ok(permit) = Arc::clone(slots).acquire_owned().await else {
                        return Outcome::Failed;
                    };
                    queued.waiting = false;
                    (Some(permit), true)
                }
            },
        };
        // A regeneration that found a free slot waited for none (not the microseconds of
        // bookkeeping between its arrival and its start).
        let wait = if was_queued {
            arrived.elapsed()
        } else {
            Duration::ZERO
        };
        let (version, edited_at) = {
            let content = lock(&cms.content);
            let version = content.version(page);
            (version, content.edit_time(page, version))
        };
        let (run, fails) = {
            let mut tally = lock(&cms.tally);
            let count = &mut tally.renders_started[page.index()];
            let mut dice = rng::regeneration(cms.seed, u64::from(page.0), *count);
            *count += 1;
            let run = cms.routes[route].regen_time.sample(&mut dice);
            let fails = cms.failure_rate > 0.0 && dice.random::<f64>() < cms.failure_rate;
            tally.queued -= u64::from(was_queued);
            tally.running += 1;
            tally.counters.inflight_peak = tally.counters.inflight_peak.max(tally.running);
            (tally.counters.queue_wait).saturating_record(wait.as_micros() as u64);
            let waited = SimTime::from_micros(wait.as_micros() as u64);
            cms.tell(&tally, page, Happened::Started { waited });
            (run, fails)
        };
        let (done, result) = oneshot::channel();
        let server = Arc::clone(cms);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_micros(run.as_micros())).await;
            // As in the simulator, a regeneration that timed out fails by its timeout, whatever it drew.
            let failed = !done.is_closed() && fails;
            {
                let mut tally = lock(&server.tally);
                tally.running -= 1;
                server.tell(&tally, page, Happened::Freed);
            }
            drop(permit);
            let _ = done.send(failed);
        });
        match result.await {
            Ok(false) => Outcome::Served { version, edited_at },
            _ => Outcome::Failed,
        }
    }

    /// Counts a request, and whether its instance was already fetching the page.
    fn arrive(&self, page: PageId, instance: Option<String>) -> Fetch<'_> {
        let mut tally = lock(&self.tally);
        tally.counters.requests += 1;
        let duplicate = tally.in_flight[page.index()] > 0;
        tally.in_flight[page.index()] += 1;
        // Read before the arrival is told, so its outcome is never counted when it is not.
        let arrived = self.now();
        self.tell(&tally, page, Happened::Arrived { duplicate });
        if let Some(name) = &instance {
            let total = self.size().0 as usize;
            let fetching = (tally.fetching.entry(name.clone())).or_insert_with(|| vec![0; total]);
            let duplicate = fetching[page.index()] > 0;
            fetching[page.index()] += 1;
            let counters = &mut tally.counters;
            let of_instance = counters.instances.entry(name.clone()).or_default();
            of_instance.requests += 1;
            if duplicate {
                of_instance.duplicates += 1;
                counters.duplicates += 1;
            }
        }
        Fetch {
            cms: self,
            page,
            instance,
            arrived,
        }
    }

    /// Counts how a request was answered, and tells the observer; a page is wasted when it is
    /// the version its instance last fetched (or was built with).
    fn answered(&self, fetch: &Fetch<'_>, outcome: &Outcome) {
        let mut tally = lock(&self.tally);
        let version = match *outcome {
            Outcome::Served { version, .. } => Some(version),
            Outcome::Failed => {
                tally.counters.failed += 1;
                None
            }
            Outcome::TimedOut => {
                tally.counters.timed_out += 1;
                None
            }
        };
        let mut wasted = false;
        if let Some(version) = version {
            let Tally { held, built, .. } = &mut *tally;
            let name = fetch.instance.clone().unwrap_or_default();
            let held = held.entry(name).or_insert_with(|| built.clone());
            let last = std::mem::replace(&mut held[fetch.page.index()], version);
            wasted = last == version;
        }
        let triggered = fetch.arrived;
        let answered = Happened::Answered {
            version,
            wasted,
            triggered,
        };
        self.tell(&tally, fetch.page, answered);
    }
}

/// A regeneration waiting for a slot: if it is dropped still waiting (it timed out in the
/// queue), it leaves the queue's count and says so.
struct Queued<'a> {
    cms: &'a Cms,
    page: PageId,
    arrived: Instant,
    waiting: bool,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.waiting {
            let mut tally = lock(&self.cms.tally);
            tally.queued -= 1;
            let waited = SimTime::from_micros(self.arrived.elapsed().as_micros() as u64);
            self.cms
                .tell(&tally, self.page, Happened::Abandoned { waited });
        }
    }
}

/// A request being answered, for the duplicate count: it ends when the request is answered or
/// dropped.
struct Fetch<'a> {
    cms: &'a Cms,
    page: PageId,
    instance: Option<String>,
    arrived: SimTime,
}

impl Drop for Fetch<'_> {
    fn drop(&mut self) {
        let mut tally = lock(&self.cms.tally);
        tally.in_flight[self.page.index()] -= 1;
        if let Some(name) = &self.instance
            && let Some(fetching) = tally.fetching.get_mut(name)
        {
            fetching[self.page.index()] -= 1;
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": message }))
}

/// The content server, bound to its address.
pub struct Server {
    listener: TcpListener,
    cms: Arc<Cms>,
}

impl Server {
    pub async fn bind(addr: SocketAddr, cms: Arc<Cms>) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr).await?,
            cms,
        })
    }

    /// The address it listens on (the real port when it was bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves HTTP/1 until `stop` completes.
    pub async fn serve(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else {
                        // Out of file descriptors, or a connection reset before it was taken:
                        // wait a moment rather than spin, and go on.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let cms = Arc::clone(&self.cms);
                    tokio::spawn(async move {
                        let service = service_fn(move |request| Cms::handle(Arc::clone(&cms), request));
                        // A connection that breaks concerns only its client.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    }
}

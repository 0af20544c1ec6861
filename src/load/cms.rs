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
use tokio::sync::{Semaphore, oneshot};

use crate::distribution::Distribution;
use crate::model::content::{Content, PageLayout};
use crate::model::rng::{self, SimRng, Stream};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// The request header that names the Next.js instance regenerating (LOAD.md §2).
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

/// The counters, and what they are computed from.
struct Tally {
    counters: Counters,
    /// Per instance, how many requests of each page (by global page id) are being answered.
    fetching: BTreeMap<String, Vec<u32>>,
    running: u64,
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
    /// `None` is "unlimited": no queue. Tokio's semaphore is fair, so waiters are served first
    /// in, first out, and one that gives up leaves the queue.
    slots: Option<Arc<Semaphore>>,
    failure_rate: f64,
    timeout: Option<Duration>,
    rng: Mutex<SimRng>,
    tally: Mutex<Tally>,
    /// Time zero: `edited_at_ms` and [`Cms::now`] count from here.
    started: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cms {
    /// Every page of `scenario` at version 0, the clock at zero now; regeneration times and
    /// failures are drawn from the `Backend` stream of `replication_seed`.
    pub fn new(scenario: &Scenario, replication_seed: u64) -> Cms {
        let layout = PageLayout::new(scenario);
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
            content: Mutex::new(Content::new(scenario, layout)),
            slots: (backend.concurrency)
                .map(|c| Arc::new(Semaphore::new((c as usize).min(Semaphore::MAX_PERMITS)))),
            failure_rate: backend.failure_rate,
            timeout: backend
                .timeout
                .map(|t| Duration::from_micros(t.as_micros())),
            rng: Mutex::new(rng::stream(replication_seed, Stream::Backend)),
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
                running: 0,
            }),
            started: Instant::now(),
        }
    }

    /// The time since time zero.
    pub fn now(&self) -> SimTime {
        SimTime::from_micros(self.started.elapsed().as_micros() as u64)
    }

    /// Applies an edit of `page` (a global page id, as the simulator numbers pages) made at `at`,
    /// and returns every page it changed: the page, then the aggregation pages it feeds.
    pub fn edit(&self, page: u32, at: SimTime) -> Vec<u32> {
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
        let page = cms.routes[route].offset + index;
        let _fetch = cms.arrive(page, instance);
        let outcome = match cms.timeout {
            Some(timeout) => {
                let deadline = tokio::time::Instant::from_std(arrived) + timeout;
                tokio::time::timeout_at(deadline, Cms::run(cms, route, page, arrived))
                    .await
                    .unwrap_or(Outcome::TimedOut)
            }
            None => Cms::run(cms, route, page, arrived).await,
        };
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
            Outcome::Failed => {
                lock(&cms.tally).counters.failed += 1;
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the backend failed (its failure_rate)",
                )
            }
            Outcome::TimedOut => {
                lock(&cms.tally).counters.timed_out += 1;
                error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "queue wait plus run exceeded the backend's timeout",
                )
            }
        }
    }

    /// Waits for a slot, snapshots the page's version, and runs. The run goes on in its own task,
    /// holding the slot, even when the request gives up at its timeout.
    async fn run(cms: &Arc<Cms>, route: usize, page: u32, arrived: Instant) -> Outcome {
        let permit = match &cms.slots {
            Some(slots) => match Arc::clone(slots).acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => return Outcome::Failed,
            },
            None => None,
        };
        let wait = arrived.elapsed();
        let (version, edited_at) = {
            let content = lock(&cms.content);
            let version = content.version(page);
            (version, content.edit_time(page, version))
        };
        let run = cms.routes[route].regen_time.sample(&mut *lock(&cms.rng));
        {
            let mut tally = lock(&cms.tally);
            tally.running += 1;
            tally.counters.inflight_peak = tally.counters.inflight_peak.max(tally.running);
            (tally.counters.queue_wait).saturating_record(wait.as_micros() as u64);
        }
        let (done, result) = oneshot::channel();
        let server = Arc::clone(cms);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_micros(run.as_micros())).await;
            // As in the simulator, a regeneration that timed out draws no failure.
            let failed = !done.is_closed()
                && server.failure_rate > 0.0
                && lock(&server.rng).random::<f64>() < server.failure_rate;
            lock(&server.tally).running -= 1;
            drop(permit);
            let _ = done.send(failed);
        });
        match result.await {
            Ok(false) => Outcome::Served { version, edited_at },
            _ => Outcome::Failed,
        }
    }

    /// Counts a request, and whether its instance was already fetching the page.
    fn arrive(&self, page: u32, instance: Option<String>) -> Fetch<'_> {
        let mut tally = lock(&self.tally);
        tally.counters.requests += 1;
        if let Some(name) = &instance {
            let total = self.size().0 as usize;
            let fetching = (tally.fetching.entry(name.clone())).or_insert_with(|| vec![0; total]);
            let duplicate = fetching[page as usize] > 0;
            fetching[page as usize] += 1;
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
        }
    }
}

/// A request being answered, for the duplicate count: it ends when the request is answered or
/// dropped.
struct Fetch<'a> {
    cms: &'a Cms,
    page: u32,
    instance: Option<String>,
}

impl Drop for Fetch<'_> {
    fn drop(&mut self) {
        if let Some(name) = &self.instance
            && let Some(fetching) = lock(&self.cms.tally).fetching.get_mut(name)
        {
            fetching[self.page as usize] -= 1;
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

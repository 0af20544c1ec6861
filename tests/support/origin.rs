//! A stand-in for one Next.js instance that follows the load tester's protocol (docs/load.md,
//! "What the site must do"), so that `isrsim load` can be tested without Node.
//!
//! It keeps Next.js's response cache as docs/model.md §6 describes it, and no more: every page
//! is prerendered at version 0 when the origin starts (the build); a lookup serves a fresh page
//! (`HIT`), serves a stale one at once and regenerates it in the background (`STALE`), or blocks
//! on a generation when the page was dropped (`MISS`). Request-driven and on-demand work are
//! deduplicated per page, each apart from the other (§6.4), and a failed regeneration keeps the
//! old entry fresh for a back-off (§6.5). Webhooks on `/api/revalidate` are the three on-demand
//! actions of §8.2, or, with `tag=`, a `revalidateTag` of each tag (docs/load.md, "The protocol
//! for tags"): profile `0` expires the pages carrying it, any other marks them stale (the stand-in
//! keeps no later expiry). `PURGE` on any path stands in for a CDN's purge: answered 200, and,
//! like every webhook, recorded (`calls`). Source:
//! `packages/next/src/server/response-cache/index.ts`.
//!
//! The origin runs its own tokio runtime on a thread of its own, so plain `#[test]` functions and
//! tests that run the `isrsim` binary can use it, and stops when its handle is dropped: the runtime
//! is shut down and the thread joined, so no task, socket or port outlives the handle.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use isrsim::load::Options;
use isrsim::load::editors::Hooks;
use isrsim::load::site::Endpoint;

/// The longest any network exchange of the origin (or of [`exchange`]) may take.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(10);

/// Next.js's default `expireTime`, a year in seconds: the `s-maxage` of a page without a timer,
/// and the end of the stale-while-revalidate window of a page with one.
const YEAR_S: u64 = 31_536_000;

/// What one origin is.
#[derive(Clone, Debug)]
pub struct OriginConfig {
    /// Where the content server listens (the origin reads GET http://{cms}/content/{route}/{page}).
    pub cms: SocketAddr,
    /// The page's time-based revalidate interval; None = no timer (pages never go stale by time).
    pub revalidate: Option<Duration>,
    /// The name sent in `x-isrsim-instance` on every content request.
    pub instance: String,
    /// Whether pages carry the marker (false: a site that does not follow the protocol).
    pub marker: bool,
    /// Whether every page request is answered 500 (a broken site).
    pub fail: bool,
    /// The pages each tag is carried by (`tag=` webhooks reach them).
    pub tags: Vec<(String, Vec<(String, u32)>)>,
    /// A platform's headers on every page, standing in for its CDN (`None`: Next.js's only).
    pub dress: Option<Dress>,
}

/// The headers a platform puts on a page's answer, by the page's index, whatever the stand-in's
/// own cache did: a stand-in for the CDN and platform in front of Next.js, whose answers a test
/// then knows page by page.
#[derive(Clone, Copy, Debug)]
pub struct Dress {
    pub headers: fn(u32) -> Vec<(&'static str, &'static str)>,
    /// Whether `x-nextjs-cache` is removed, as Netlify and Vercel's minimal mode do.
    pub drop_nextjs_cache: bool,
}

/// A webhook or purge the origin received: its method, path and query as sent, and its
/// `x-isrsim-*` headers (every header, and the body, of a call under `/purge-api/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Call {
    /// The value of header `name`, if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        (self.headers.iter()).find_map(|(n, v)| (n == name).then_some(v.as_str()))
    }
}

impl OriginConfig {
    /// No timer, instance "origin", pages with the marker, no failure.
    pub fn new(cms: SocketAddr) -> OriginConfig {
        OriginConfig {
            cms,
            revalidate: None,
            instance: "origin".to_owned(),
            marker: true,
            fail: false,
            tags: Vec::new(),
            dress: None,
        }
    }
}

/// A running origin; dropping it stops it.
pub struct Origin {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Origin {
    /// Starts on a free port of 127.0.0.1, every page prerendered at version 0 as of now.
    pub fn start(config: OriginConfig) -> Origin {
        let built = Instant::now();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener, as tokio needs");
        let addr = listener.local_addr().expect("the listener's address");
        let state = Arc::new(State {
            config,
            built,
            pages: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            regenerations: AtomicU64::new(0),
            webhooks: AtomicU64::new(0),
            calls: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = oneshot::channel();
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("origin {addr}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the origin");
                runtime.block_on(serve(listener, served, stopped));
                // Dropping the runtime here drops every connection and regeneration still going.
            })
            .expect("a thread for the origin");
        Origin {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "http://127.0.0.1:PORT".
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Page requests received so far (every path but /api/revalidate).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Regenerations this origin started (content requests it sent).
    pub fn regenerations(&self) -> u64 {
        self.state.regenerations.load(Ordering::SeqCst)
    }

    /// Webhooks received on /api/revalidate.
    pub fn webhooks(&self) -> u64 {
        self.state.webhooks.load(Ordering::SeqCst)
    }

    /// The webhooks and purges received so far, in the order they came.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state.calls).clone()
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The thread ends once its runtime is dropped; a panic in it is not this drop's to repeat.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A free address of 127.0.0.1: bound, read and released, so a test can give a content server's
/// address to an origin before that server starts. Another process could take it in between, as
/// with any such helper.
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the listener's address")
}

/// A page: its route's name and its index.
type Key = (String, u32);

/// The origin's state, shared by its connections and regenerations.
struct State {
    config: OriginConfig,
    /// When the origin started: the build, when every page was stored at version 0.
    built: Instant,
    /// The pages that were looked up or acted on; any other is as the build left it.
    pages: Mutex<HashMap<Key, Entry>>,
    requests: AtomicU64,
    regenerations: AtomicU64,
    webhooks: AtomicU64,
    calls: Mutex<Vec<Call>>,
}

/// One page in the cache, and the generations in flight for it.
struct Entry {
    /// `None`: absent, dropped by an invalidate.
    stored: Option<Stored>,
    /// The request-driven generation in flight (background or blocking): those who wait for it.
    request_driven: Option<Waiters>,
    /// The on-demand regeneration in flight (webhooks): those who wait for it.
    on_demand: Option<Waiters>,
}

/// A version in the cache, and until when it is fresh (`None`: forever, no timer).
struct Stored {
    version: u32,
    fresh_until: Option<Instant>,
}

/// Who waits for the outcome of a generation in flight.
type Waiters = Vec<oneshot::Sender<Outcome>>;

/// The two kinds of work, deduplicated apart (docs/model.md §6.4).
#[derive(Clone, Copy)]
enum Kind {
    RequestDriven,
    OnDemand,
}

/// How a generation ended.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Stored(u32),
    /// The content server has no such page.
    NotFound,
    Failed,
}

impl Entry {
    fn work(&mut self, kind: Kind) -> &mut Option<Waiters> {
        match kind {
            Kind::RequestDriven => &mut self.request_driven,
            Kind::OnDemand => &mut self.on_demand,
        }
    }
}

/// What a lookup found.
enum Lookup {
    Fresh(u32),
    /// Served as is; a background regeneration runs for it, started by this lookup or an earlier
    /// one.
    Stale(u32),
    /// The request waits for this generation.
    Absent(oneshot::Receiver<Outcome>),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    /// The page's entry, made as the build stored it when the page was not touched yet.
    fn entry<'a>(&self, pages: &'a mut HashMap<Key, Entry>, key: &Key) -> &'a mut Entry {
        pages.entry(key.clone()).or_insert_with(|| Entry {
            stored: Some(Stored {
                version: 0,
                fresh_until: self.config.revalidate.map(|r| self.built + r),
            }),
            request_driven: None,
            on_demand: None,
        })
    }

    fn look_up(self: &Arc<Self>, key: &Key) -> Lookup {
        let mut pages = lock(&self.pages);
        let entry = self.entry(&mut pages, key);
        match &entry.stored {
            Some(s) if s.fresh_until.is_none_or(|until| Instant::now() < until) => {
                Lookup::Fresh(s.version)
            }
            Some(s) => {
                let version = s.version;
                self.join(entry, key, Kind::RequestDriven, None);
                Lookup::Stale(version)
            }
            None => {
                let (waiter, outcome) = oneshot::channel();
                self.join(entry, key, Kind::RequestDriven, Some(waiter));
                Lookup::Absent(outcome)
            }
        }
    }

    /// Joins the generation of `kind` in flight for the page, or starts one.
    fn join(
        self: &Arc<Self>,
        entry: &mut Entry,
        key: &Key,
        kind: Kind,
        waiter: Option<oneshot::Sender<Outcome>>,
    ) {
        match entry.work(kind) {
            Some(waiters) => waiters.extend(waiter),
            work @ None => {
                *work = Some(waiter.into_iter().collect());
                // Counted here, not in the task, so that a STALE answer is never ahead of it.
                self.regenerations.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(Arc::clone(self).generate(key.clone(), kind));
            }
        }
    }

    /// One generation: reads the content, stores it (or backs off), and tells those waiting.
    async fn generate(self: Arc<Self>, key: Key, kind: Kind) {
        let outcome = self.fetch(&key).await;
        let finished = Instant::now();
        let waiters = {
            let mut pages = lock(&self.pages);
            let entry = self.entry(&mut pages, &key);
            match (outcome, &mut entry.stored) {
                (Outcome::Stored(version), stored) => {
                    *stored = Some(Stored {
                        version,
                        fresh_until: self.config.revalidate.map(|r| finished + r),
                    });
                }
                // Next.js writes the old entry back with a clamped interval; absent stays absent.
                (_, Some(old)) => old.fresh_until = Some(finished + self.back_off()),
                (_, None) => {}
            }
            entry.work(kind).take().unwrap_or_default()
        };
        for waiter in waiters {
            let _ = waiter.send(outcome);
        }
    }

    /// How long a page stays fresh after a failed regeneration: `min(max(revalidate, 3 s), 30 s)`,
    /// 30 s without a timer.
    fn back_off(&self) -> Duration {
        let (least, most) = (Duration::from_secs(3), Duration::from_secs(30));
        (self.config.revalidate).map_or(most, |r| r.clamp(least, most))
    }

    /// `GET /content/{route}/{page}` from the content server.
    async fn fetch(&self, (route, page): &Key) -> Outcome {
        let instance = [("x-isrsim-instance", self.config.instance.as_str())];
        let path = format!("/content/{route}/{page}");
        match exchange(self.config.cms, Method::GET, &path, &instance).await {
            Ok((StatusCode::OK, _, body)) => serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|json| json["version"].as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .map_or(Outcome::Failed, Outcome::Stored),
            Ok((StatusCode::NOT_FOUND, _, _)) => Outcome::NotFound,
            _ => Outcome::Failed,
        }
    }
}

/// Accepts connections until `stop`, each served with [`handle`].
async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).expect("the listener in the origin's runtime");
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors, or a connection reset before it was taken.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    // A connection that breaks concerns only its client.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Answers one request: a webhook on `/api/revalidate`, a CDN's purge API under `/purge-api/`
/// (any method, answered 200), a page anywhere else.
async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let purge = request.method().as_str() == "PURGE";
    let api = request.uri().path().starts_with("/purge-api/");
    if purge || api || request.uri().path() == "/api/revalidate" {
        let headers = (request.headers().iter())
            .filter(|(name, _)| api || name.as_str().starts_with("x-isrsim-"))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        let mut call = Call {
            method: request.method().to_string(),
            uri: request
                .uri()
                .path_and_query()
                .map_or("", |p| p.as_str())
                .to_owned(),
            headers,
            body: String::new(),
        };
        if api {
            let body = request.into_body().collect().await;
            let body = body.map(|b| b.to_bytes()).unwrap_or_default();
            call.body = String::from_utf8_lossy(&body).into_owned();
            lock(&state.calls).push(call);
            return Ok(text(StatusCode::OK, r#"{"success":true}"#));
        }
        lock(&state.calls).push(call);
    }
    if purge {
        return Ok(text(StatusCode::OK, r#"{"purged":true}"#));
    }
    if request.uri().path() == "/api/revalidate" {
        state.webhooks.fetch_add(1, Ordering::SeqCst);
        return Ok(webhook(&state, &request).await);
    }
    state.requests.fetch_add(1, Ordering::SeqCst);
    if state.config.fail {
        return Ok(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the site is broken",
        ));
    }
    if request.method() != Method::GET {
        return Ok(text(
            StatusCode::METHOD_NOT_ALLOWED,
            "pages answer GET only",
        ));
    }
    let Some(key) = page_key(request.uri().path()) else {
        return Ok(text(StatusCode::NOT_FOUND, "pages are at /{route}/{page}"));
    };
    let (version, cache) = match state.look_up(&key) {
        Lookup::Fresh(version) => (version, "HIT"),
        Lookup::Stale(version) => (version, "STALE"),
        Lookup::Absent(outcome) => match outcome.await {
            Ok(Outcome::Stored(version)) => (version, "MISS"),
            Ok(Outcome::NotFound) => return Ok(text(StatusCode::NOT_FOUND, "no such page")),
            _ => {
                return Ok(text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the generation failed",
                ));
            }
        },
    };
    Ok(page(&state.config, &key, version, cache))
}

/// `POST /api/revalidate?path=/{route}/{page}&mode=regenerate|invalidate|mark-stale`.
async fn webhook(state: &Arc<State>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POST");
    }
    let query = request.uri().query().unwrap_or("");
    if query.split('&').any(|pair| pair.starts_with("tag=")) {
        return revalidate_tags(state, query);
    }
    let Some(key) = query_param(query, "path").and_then(|path| page_key(&path)) else {
        return text(StatusCode::BAD_REQUEST, "path must be /{route}/{page}");
    };
    let header = (request.headers().get("x-isrsim-mode")).and_then(|v| v.to_str().ok());
    let mode = query_param(query, "mode").or(header.map(str::to_owned));
    let done = || text(StatusCode::OK, r#"{"revalidated":true}"#);
    match mode.as_deref().unwrap_or("regenerate") {
        "regenerate" => {
            let (waiter, outcome) = oneshot::channel();
            {
                let mut pages = lock(&state.pages);
                let entry = state.entry(&mut pages, &key);
                state.join(entry, &key, Kind::OnDemand, Some(waiter));
            }
            // As Next.js's `res.revalidate`, the answer waits for the regeneration.
            match outcome.await {
                Ok(Outcome::Stored(_)) => done(),
                Ok(Outcome::NotFound) => text(StatusCode::NOT_FOUND, "no such page"),
                _ => text(StatusCode::INTERNAL_SERVER_ERROR, "the regeneration failed"),
            }
        }
        "invalidate" => {
            state.entry(&mut lock(&state.pages), &key).stored = None;
            done()
        }
        "mark-stale" => {
            let mut pages = lock(&state.pages);
            if let Some(stored) = &mut state.entry(&mut pages, &key).stored {
                stored.fresh_until = Some(Instant::now());
            }
            done()
        }
        _ => text(
            StatusCode::BAD_REQUEST,
            "mode is regenerate, invalidate or mark-stale",
        ),
    }
}

/// `POST /api/revalidate?tag=T1,T2&profile=max|SECONDS`: every page carrying one of the tags is
/// marked stale, or with profile `0` dropped (its next request blocks), as `revalidateTag` leaves
/// Next.js's entries.
fn revalidate_tags(state: &Arc<State>, query: &str) -> Response<Full<Bytes>> {
    let raw = (query.split('&'))
        .find_map(|pair| pair.strip_prefix("tag="))
        .unwrap_or("");
    let expire_now = query_param(query, "profile").as_deref() == Some("0");
    let now = Instant::now();
    let mut pages = lock(&state.pages);
    for tag in raw
        .split(',')
        .filter_map(|t| query_param(&format!("t={t}"), "t"))
    {
        let carried = (state.config.tags.iter()).filter(|(name, _)| *name == tag);
        for key in carried.flat_map(|(_, keys)| keys) {
            let entry = state.entry(&mut pages, key);
            if expire_now {
                entry.stored = None;
            } else if let Some(stored) = &mut entry.stored {
                stored.fresh_until = Some(now);
            }
        }
    }
    text(StatusCode::OK, r#"{"revalidated":true}"#)
}

/// The route and page of `/{route}/{page}`, the page a whole number.
fn page_key(path: &str) -> Option<Key> {
    let (route, page) = path.strip_prefix('/')?.split_once('/')?;
    let whole = !page.is_empty() && page.bytes().all(|b| b.is_ascii_digit());
    (!route.is_empty() && whole).then_some((route.to_owned(), page.parse().ok()?))
}

/// The value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    let value = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)?
        .1;
    let mut bytes = Vec::new();
    let mut rest = value.as_bytes();
    while let Some((&first, after)) = rest.split_first() {
        let escaped = (first == b'%')
            .then(|| after.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        rest = match escaped {
            Some(byte) => {
                bytes.push(byte);
                &after[2..]
            }
            None => {
                bytes.push(if first == b'+' { b' ' } else { first });
                after
            }
        };
    }
    String::from_utf8(bytes).ok()
}

/// A page as Next.js serves it from its cache, with the marker unless the site leaves it out.
fn page(
    config: &OriginConfig,
    (route, page): &Key,
    version: u32,
    cache: &'static str,
) -> Response<Full<Bytes>> {
    let marker = if config.marker {
        format!(r#"<meta name="isrsim" content="isrsim:{route}:{page}:{version}">"#)
    } else {
        String::new()
    };
    let html = format!(
        "<!doctype html><html><head>{marker}<title>{route} {page}</title></head>\
         <body><p>Page {page} of {route}, version {version}.</p></body></html>"
    );
    // Next.js 16: `s-maxage=R, stale-while-revalidate=expireTime - R`, a year without a timer.
    let cache_control = match config.revalidate {
        Some(r) => {
            let seconds = r.as_secs().max(1);
            format!(
                "s-maxage={seconds}, stale-while-revalidate={}",
                YEAR_S - seconds
            )
        }
        None => format!("s-maxage={YEAR_S}"),
    };
    let mut response = Response::new(Full::new(Bytes::from(html)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_str(&cache_control).expect("ASCII"),
    );
    headers.insert("x-nextjs-cache", HeaderValue::from_static(cache));
    if let Some(dress) = config.dress {
        if dress.drop_nextjs_cache {
            headers.remove("x-nextjs-cache");
        }
        for (name, value) in (dress.headers)(*page) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// A short answer; JSON when it starts with `{`, plain text otherwise.
fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    let kind = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    (response.headers_mut()).insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}

/// One HTTP/1 request on a new connection to `addr`, with an empty body and `headers`, within
/// [`NETWORK_TIMEOUT`]: the status, headers and body of the answer. The origin reads the content
/// server with it, and tests may read the origin with it.
pub async fn exchange(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let exchange = async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, addr.to_string());
        for &(name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(http_body_util::Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?;
        Ok((parts.status, parts.headers, body.to_bytes()))
    };
    tokio::time::timeout(NETWORK_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer from {addr} within {NETWORK_TIMEOUT:?}")))
}

/// The options of a load test of `origin`, with the content server at `cms`: the protocol's
/// webhook and purge URLs at the origin (which stands in for the CDN too), 8 connections, 5-s
/// timeouts, no secret, no log, no epoch. A test overrides what it varies.
pub fn load_options(origin: &Origin, cms: SocketAddr) -> Options {
    let target = Endpoint::parse(&origin.url(), false).unwrap();
    Options {
        hooks: Hooks {
            instances: vec![target.clone()],
            cdn: target.clone(),
            revalidate_url: "{instance}/api/revalidate?path={path}".into(),
            revalidate_tag_url: "{instance}/api/revalidate?tag={tags}&profile={profile}".into(),
            purge_url: "{cdn}{path}".into(),
            tag_purge_url: "{cdn}/".into(),
            purge_method: Method::from_bytes(b"PURGE").unwrap(),
            purge_shape: Default::default(),
            secret: None,
            timeout: Duration::from_secs(5),
            allow_remote: false,
        },
        target,
        cms,
        connections: 8,
        timeout: Duration::from_secs(5),
        max_errors: 1.0,
        cdn_header: None,
        log: None,
        signals: false,
        epoch: None,
    }
}

//! The tests' stand-in for a Next.js instance (`support::origin`) against the response cache of
//! docs/model.md §6 and the webhooks of §8.2, reading a real content server started in-process.
//! Every wait is bounded, and every timing is checked with room to spare: a regeneration takes
//! 200 ms (50 ms where only its outcome matters), and a page is looked at well past its interval.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use isrsim::load::{Cms, Server};
use isrsim::workload::PageId;

mod support;

use support::origin::{Origin, OriginConfig, exchange, free_port};

/// Posts 0 to 3 are global pages 0 to 3, lists 0 and 1 are 4 and 5; a regeneration takes 200 ms.
const SITE: &str = r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 4
regen_time = "200ms"
[[routes]]
name = "lists"
pages = 2
regen_time = "200ms"
[[policies]]
name = "p"
"#;

/// The longest a test waits for something to happen.
const PATIENCE: Duration = Duration::from_secs(5);

/// Starts a content server for `SITE` with `backend` appended; it stops with the test.
async fn cms(backend: &str) -> (Arc<Cms>, SocketAddr) {
    let cms = Arc::new(Cms::new(&support::parse(&format!("{SITE}{backend}")), 1));
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), Arc::clone(&cms))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(std::future::pending()));
    (cms, addr)
}

/// An origin on `cms` with the time-based interval `revalidate`.
fn origin(cms: SocketAddr, revalidate: Option<Duration>) -> Origin {
    Origin::start(OriginConfig {
        revalidate,
        ..OriginConfig::new(cms)
    })
}

/// An answer of the origin.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    /// The `x-nextjs-cache` header, or "" without one.
    fn cache(&self) -> &str {
        (self.headers.get("x-nextjs-cache")).map_or("", |v| v.to_str().unwrap())
    }

    /// The version in the marker `isrsim:{route}:{page}:{version}`.
    fn version(&self) -> Option<u32> {
        let marker = self.body.split("isrsim:").nth(1)?;
        let fields: Vec<&str> = marker.split(['"', '<']).next()?.split(':').collect();
        fields.get(2)?.parse().ok()
    }
}

async fn send(origin: &Origin, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let (status, headers, body) = exchange(origin.addr(), method, path, headers)
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn get(origin: &Origin, path: &str) -> Answer {
    send(origin, Method::GET, path, &[]).await
}

/// A webhook: `POST /api/revalidate?{query}` with a secret.
async fn webhook(origin: &Origin, query: &str) -> Answer {
    let path = format!("/api/revalidate?{query}");
    send(origin, Method::POST, &path, &[("x-isrsim-secret", "any")]).await
}

/// Requests `path` every 10 ms until it shows a version other than `old`, checking that until
/// then it is served stale at `old`; that first new answer.
async fn until_new(origin: &Origin, path: &str, old: u32) -> Answer {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = get(origin, path).await;
        if answer.version() != Some(old) {
            return answer;
        }
        assert_eq!(answer.cache(), "STALE", "{path} at version {old}");
        assert!(Instant::now() < deadline, "{path} still at {old}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prerendered_page_is_a_hit_at_version_0_without_a_content_request() {
    let (cms, addr) = cms("").await;
    let cases = [
        (None, "s-maxage=31536000"),
        (
            Some(Duration::from_secs(10)),
            "s-maxage=10, stale-while-revalidate=31535990",
        ),
        // Below a second, a whole second: a CDN's TTL is in seconds.
        (
            Some(Duration::from_millis(300)),
            "s-maxage=1, stale-while-revalidate=31535999",
        ),
    ];
    for (revalidate, cache_control) in cases {
        let origin = origin(addr, revalidate);
        let answer = get(&origin, "/posts/3").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.cache(), "HIT");
        assert_eq!(answer.headers["cache-control"], cache_control);
        assert_eq!(answer.headers["content-type"], "text/html");
        assert!(
            (answer.body).contains(r#"<meta name="isrsim" content="isrsim:posts:3:0">"#),
            "{}",
            answer.body
        );
        assert_eq!(answer.version(), Some(0));
        assert_eq!(get(&origin, "/lists/1").await.version(), Some(0));
        for path in ["/", "/posts", "/posts/x", "/posts/-1", "/posts/1/2"] {
            assert_eq!(
                get(&origin, path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!((origin.requests(), origin.regenerations()), (7, 0));
    }
    assert_eq!(cms.counters().requests, 0, "the build read every page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_interval_a_page_is_served_stale_while_one_regeneration_runs() {
    let (cms, addr) = cms("").await;
    let origin = origin(addr, Some(Duration::from_millis(300)));
    cms.edit(PageId(1), cms.now());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let at_once: Vec<_> = (0..5)
        .map(|_| {
            let addr = origin.addr();
            tokio::spawn(async move { exchange(addr, Method::GET, "/posts/1", &[]).await })
        })
        .collect();
    for request in at_once {
        let (status, headers, body) = request.await.unwrap().unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-nextjs-cache"], "STALE");
        assert!(String::from_utf8_lossy(&body).contains("isrsim:posts:1:0"));
    }
    assert_eq!(origin.regenerations(), 1, "the in-flight guard");
    // The first request after the regeneration stored version 1 finds it fresh.
    let new = until_new(&origin, "/posts/1", 0).await;
    assert_eq!((new.version(), new.cache()), (Some(1), "HIT"));
    assert_eq!(origin.regenerations(), 1);
    let counters = cms.counters();
    assert_eq!(counters.instances["origin"].requests, 1);
    assert_eq!(counters.duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerate_webhook_answers_once_the_regeneration_stored_the_page() {
    let (cms, addr) = cms("").await;
    let origin = origin(addr, None);
    cms.edit(PageId(2), cms.now());
    assert_eq!(get(&origin, "/posts/2").await.version(), Some(0));
    let began = Instant::now();
    // Two webhooks at once join one on-demand regeneration; the path may be percent-encoded.
    let (first, second) = tokio::join!(
        webhook(&origin, "path=/posts/2&mode=regenerate"),
        webhook(&origin, "path=%2Fposts%2F2"),
    );
    let took = began.elapsed();
    for answer in [first, second] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"{"revalidated":true}"#);
    }
    assert!(
        took >= Duration::from_millis(190) && took < PATIENCE,
        "answered after {took:?}, not after the 200 ms regeneration"
    );
    let after = get(&origin, "/posts/2").await;
    assert_eq!((after.version(), after.cache()), (Some(1), "HIT"));
    assert_eq!(
        (origin.webhooks(), origin.regenerations(), origin.requests()),
        (2, 1, 2)
    );
    assert_eq!(cms.counters().requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_invalidate_the_next_requests_wait_for_one_generation() {
    let (cms, addr) = cms("").await;
    let origin = origin(addr, None);
    cms.edit(PageId(4), cms.now());
    let invalidated = webhook(&origin, "path=/lists/0&mode=invalidate").await;
    assert_eq!(invalidated.status, StatusCode::OK);
    assert_eq!(origin.regenerations(), 0, "answered without generating");
    let began = Instant::now();
    let (a, b, c) = tokio::join!(
        get(&origin, "/lists/0"),
        get(&origin, "/lists/0"),
        get(&origin, "/lists/0"),
    );
    let took = began.elapsed();
    for answer in [a, b, c] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!((answer.version(), answer.cache()), (Some(1), "MISS"));
    }
    assert!(
        took >= Duration::from_millis(190),
        "answered after {took:?}"
    );
    assert_eq!(origin.regenerations(), 1);
    assert_eq!(get(&origin, "/lists/0").await.cache(), "HIT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_mark_stale_the_next_request_is_stale_and_regenerates() {
    let (cms, addr) = cms("").await;
    let origin = origin(addr, None);
    cms.edit(PageId(3), cms.now());
    // The mode is read from the header too, but the query parameter wins.
    let path = "/api/revalidate?path=/posts/3&mode=mark-stale";
    let marked = send(
        &origin,
        Method::POST,
        path,
        &[("x-isrsim-mode", "invalidate")],
    )
    .await;
    assert_eq!(marked.status, StatusCode::OK);
    let stale = get(&origin, "/posts/3").await;
    assert_eq!((stale.version(), stale.cache()), (Some(0), "STALE"));
    let new = until_new(&origin, "/posts/3", 0).await;
    assert_eq!((new.version(), new.cache()), (Some(1), "HIT"));
    assert_eq!(origin.regenerations(), 1);

    let header_only = "/api/revalidate?path=/posts/3";
    send(
        &origin,
        Method::POST,
        header_only,
        &[("x-isrsim-mode", "invalidate")],
    )
    .await;
    assert_eq!(get(&origin, "/posts/3").await.cache(), "MISS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_regeneration_keeps_the_old_page_fresh_for_the_back_off() {
    let (_cms, addr) = cms("[backend]\nfailure_rate = 1\n").await;
    let origin = origin(addr, Some(Duration::from_millis(300)));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&origin, "/posts/0").await.cache(), "STALE");
    // The 200 ms regeneration fails; the page is then fresh for max(300 ms, 3 s) more.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = get(&origin, "/posts/0").await;
    assert_eq!((after.version(), after.cache()), (Some(0), "HIT"));
    assert_eq!(origin.regenerations(), 1);

    let regenerate = webhook(&origin, "path=/posts/1").await;
    assert_eq!(regenerate.status, StatusCode::INTERNAL_SERVER_ERROR);
    webhook(&origin, "path=/posts/2&mode=invalidate").await;
    for _ in 0..2 {
        // An absent page stays absent: each request tries again, and fails.
        assert_eq!(
            get(&origin, "/posts/2").await.status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert_eq!(origin.regenerations(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_once_a_generation_asks_and_bad_webhooks_400() {
    let (_cms, addr) = cms("").await;
    let origin = origin(addr, None);
    assert_eq!(
        webhook(&origin, "path=/authors/0").await.status,
        StatusCode::NOT_FOUND
    );
    webhook(&origin, "path=/posts/9&mode=invalidate").await;
    assert_eq!(get(&origin, "/posts/9").await.status, StatusCode::NOT_FOUND);
    for query in [
        "",
        "path=/posts",
        "path=posts/1",
        "path=/posts/1&mode=purge",
    ] {
        let answer = webhook(&origin, query).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let get_webhook = get(&origin, "/api/revalidate?path=/posts/1").await;
    assert_eq!(get_webhook.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!((origin.webhooks(), origin.requests()), (7, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_site_answers_500_and_a_site_without_the_marker_no_marker() {
    let (_cms, addr) = cms("").await;
    let broken = Origin::start(OriginConfig {
        fail: true,
        ..OriginConfig::new(addr)
    });
    let answer = get(&broken, "/posts/0").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!answer.body.is_empty() && !answer.body.contains("isrsim:"));
    let invalidated = webhook(&broken, "path=/posts/0&mode=invalidate").await;
    assert_eq!(invalidated.status, StatusCode::OK, "webhooks still work");

    let unmarked = Origin::start(OriginConfig {
        marker: false,
        ..OriginConfig::new(addr)
    });
    let answer = get(&unmarked, "/posts/0").await;
    assert_eq!((answer.status, answer.cache()), (StatusCode::OK, "HIT"));
    assert!(!answer.body.contains("isrsim:"), "{}", answer.body);
}

/// A plain test, without a runtime of its own but for its client: no content server listens,
/// so a generation fails on the connection.
#[test]
fn a_dropped_origin_frees_its_port() {
    let origin = Origin::start(OriginConfig::new(free_port()));
    let addr = origin.addr();
    assert_eq!(origin.url(), format!("http://{addr}"));
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client.block_on(async {
        assert_eq!(get(&origin, "/posts/0").await.cache(), "HIT");
        webhook(&origin, "path=/posts/0&mode=invalidate").await;
        let miss = get(&origin, "/posts/0").await;
        assert_eq!(miss.status, StatusCode::INTERNAL_SERVER_ERROR);
    });
    drop(origin);
    std::net::TcpListener::bind(addr).expect("the origin's port is free once it is dropped");
}

//! The content server against the protocol of docs/load.md: the server started in-process on an
//! ephemeral loopback port and read with an HTTP client, and `isrsim cms` run as a user would.
//! Every wait is bounded, so a hang fails the test rather than stalling the suite.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use isrsim::load::{Cms, Server};
use isrsim::time::SimTime;
use isrsim::workload::PageId;
use serde_json::Value;

mod support;

use support::{assert_exit, isrsim, scratch, stderr, write};

/// Four posts feeding two list pages (post `i` feeds list `i % 2`).
const SITE: &str = r#"
duration = "1h"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 4
regen_time = "1ms"
[[routes]]
name = "lists"
pages = 2
depends_on = "posts"
regen_time = "1ms"
[[policies]]
name = "p"
"#;

/// `SITE` with every regeneration taking `regen_time` and this `[backend]`.
fn site(regen_time: &str, backend: &str) -> String {
    format!(
        "{}\n[backend]\n{backend}\n",
        SITE.replace("\"1ms\"", &format!("\"{regen_time}\""))
    )
}

/// Starts a content server for `toml` on a free loopback port; it stops with the test.
async fn start(toml: &str) -> (Arc<Cms>, SocketAddr) {
    let cms = Arc::new(Cms::new(&support::parse(toml), 1));
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), Arc::clone(&cms))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(std::future::pending()));
    (cms, addr)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

/// One request on a new connection, within 10 s.
async fn send(addr: SocketAddr, method: Method, path: &str, instance: Option<&str>) -> Answer {
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "cms");
        if let Some(name) = instance {
            request = request.header("x-isrsim-instance", name);
        }
        let response = sender
            .send_request(request.body(Empty::<Bytes>::new()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&body).unwrap(),
        }
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the content server answers within 10 s")
}

async fn get(addr: SocketAddr, path: &str) -> Answer {
    send(addr, Method::GET, path, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_is_served_at_version_0_as_json_never_cached() {
    let (_, addr) = start(SITE).await;
    let answer = get(addr, "/content/posts/3").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["content-type"], "application/json");
    let json = &answer.json;
    assert_eq!(json["route"], "posts");
    assert_eq!(json["page"], 3);
    assert_eq!(json["version"], 0);
    assert_eq!(json["edited_at_ms"], 0);
    assert!(json["body"].as_str().is_some_and(|b| !b.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_makes_version_1_with_its_time_and_changes_the_list_it_feeds() {
    let (cms, addr) = start(SITE).await;
    // Post 3 is global page 3; it feeds list 3 % 2 = 1, global page 4 + 1 = 5.
    assert_eq!(
        cms.edit(PageId(3), SimTime::from_millis(81_234)),
        vec![PageId(3), PageId(5)]
    );
    let post = get(addr, "/content/posts/3").await.json;
    assert_eq!(
        (&post["version"], &post["edited_at_ms"]),
        (&1.into(), &81_234.into())
    );
    let list = get(addr, "/content/lists/1").await.json;
    assert_eq!(
        (&list["version"], &list["edited_at_ms"]),
        (&1.into(), &81_234.into())
    );
    assert_eq!(get(addr, "/content/posts/2").await.json["version"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregation_goes_up_by_one_with_each_edit_of_a_page_feeding_it() {
    let (cms, addr) = start(SITE).await;
    // List 1 is fed by posts 1 and 3, list 0 by posts 0 and 2.
    cms.edit(PageId(1), SimTime::from_secs(10));
    cms.edit(PageId(3), SimTime::from_secs(20));
    cms.edit(PageId(1), SimTime::from_secs(30));
    let list = get(addr, "/content/lists/1").await.json;
    assert_eq!(
        (&list["version"], &list["edited_at_ms"]),
        (&3.into(), &30_000.into())
    );
    assert_eq!(get(addr, "/content/lists/0").await.json["version"], 0);
    assert_eq!(get(addr, "/content/posts/1").await.json["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_slot_the_second_request_waits_for_the_first_run() {
    let (cms, addr) = start(&site("100ms", "concurrency = 1")).await;
    let began = Instant::now();
    let first = tokio::spawn(async move { (get(addr, "/content/posts/0").await, began.elapsed()) });
    let second =
        tokio::spawn(async move { (get(addr, "/content/posts/1").await, began.elapsed()) });
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    assert_eq!(
        (first.0.status, second.0.status),
        (StatusCode::OK, StatusCode::OK)
    );
    let last = first.1.max(second.1);
    assert!(
        last >= Duration::from_millis(190) && last < Duration::from_secs(3),
        "two 100 ms runs one after the other took {last:?}"
    );
    let counters = cms.counters();
    let longest_wait = Duration::from_micros(counters.queue_wait.max());
    assert!(
        longest_wait >= Duration::from_millis(90) && longest_wait < Duration::from_secs(2),
        "the second waited {longest_wait:?}"
    );
    assert_eq!((counters.requests, counters.inflight_peak), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regeneration_reads_the_version_current_when_it_leaves_the_queue() {
    let (cms, addr) = start(&site("200ms", "concurrency = 1")).await;
    let running = tokio::spawn(async move { get(addr, "/content/posts/2").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let queued = tokio::spawn(async move { get(addr, "/content/posts/2").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // At about 100 ms: the first is running on version 0, the second still queued.
    cms.edit(PageId(2), SimTime::from_millis(100));
    assert_eq!(running.await.unwrap().json["version"], 0);
    assert_eq!(queued.await.unwrap().json["version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_the_timeout_is_answered_504_when_the_timeout_passes() {
    let (cms, addr) = start(&site("5s", "timeout = \"100ms\"")).await;
    let began = Instant::now();
    let answer = get(addr, "/content/posts/0").await;
    let took = began.elapsed();
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
    assert!(answer.json["error"].is_string());
    assert!(
        took >= Duration::from_millis(90) && took < Duration::from_secs(2),
        "answered after {took:?}, not at the 100 ms timeout"
    );
    let counters = cms.counters();
    assert_eq!(
        (counters.requests, counters.timed_out, counters.failed),
        (1, 1, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regeneration_that_timed_out_keeps_its_slot_until_its_run_ends() {
    let (cms, addr) = start(&site("300ms", "concurrency = 1\ntimeout = \"200ms\"")).await;
    let began = Instant::now();
    assert_eq!(
        get(addr, "/content/posts/0").await.status,
        StatusCode::GATEWAY_TIMEOUT
    );
    // The first run holds the slot until 300 ms: the second, sent at about 200 ms, waits for it.
    let second = get(addr, "/content/posts/1").await;
    assert_eq!(second.status, StatusCode::GATEWAY_TIMEOUT);
    let waited = Duration::from_micros(cms.counters().queue_wait.max());
    assert!(
        waited >= Duration::from_millis(50) && waited < Duration::from_millis(250),
        "the second waited {waited:?} for the slot (sent at {:?})",
        began.elapsed()
    );
    assert_eq!(cms.counters().timed_out, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_always_fails_answers_500() {
    let (cms, addr) = start(&site("1ms", "failure_rate = 1")).await;
    let answer = get(addr, "/content/lists/0").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.json["error"].is_string());
    assert_eq!((cms.counters().failed, cms.counters().timed_out), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_pages_are_404_and_other_methods_405() {
    let (cms, addr) = start(SITE).await;
    for path in [
        "/content/authors/0",
        "/content/posts/4",
        "/content/posts/x",
        "/content/posts",
        "/",
        "/posts/0",
    ] {
        let answer = get(addr, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.json["error"].is_string(), "{path}");
    }
    let post = send(addr, Method::POST, "/content/posts/0", None).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers["allow"], "GET");
    assert_eq!(
        cms.counters().requests,
        0,
        "none of these is a regeneration"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_fetched_twice_at_once_by_one_instance_is_a_duplicate() {
    let (cms, addr) = start(&site("200ms", "")).await;
    let fetch = |instance: &'static str| {
        tokio::spawn(
            async move { send(addr, Method::GET, "/content/posts/1", Some(instance)).await },
        )
    };
    let first = fetch("a");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (again, other) = (fetch("a"), fetch("b"));
    for answer in [first, again, other] {
        assert_eq!(answer.await.unwrap().status, StatusCode::OK);
    }
    // Once every fetch is over, the same page again is not a duplicate.
    send(addr, Method::GET, "/content/posts/1", Some("a")).await;
    let counters = cms.counters();
    assert_eq!((counters.requests, counters.duplicates), (4, 1));
    assert_eq!(counters.instances["a"].requests, 3);
    assert_eq!(counters.instances["a"].duplicates, 1);
    assert_eq!(counters.instances["b"].duplicates, 0);
}

#[test]
fn the_binary_refuses_an_address_off_this_machine_and_a_bad_scenario() {
    let dir = scratch("refuses");
    let file = write(&dir, "site.toml", SITE);
    let file = file.to_str().unwrap();
    for address in ["0.0.0.0:4010", "10.1.2.3:80", "nowhere"] {
        let output = isrsim(&["cms", file, "--cms", address]);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(address), "{}", stderr(&output));
    }
    let bad = write(&dir, "bad.toml", "duration = \"1h\"\n[[routes]]\n");
    assert_exit(
        &isrsim(&["cms", bad.to_str().unwrap(), "--cms", "127.0.0.1:0"]),
        2,
    );
}

/// The binary's address from its line on stderr: "... on http://ADDR (...".
fn announced(line: &str) -> SocketAddr {
    let after = line
        .split("http://")
        .nth(1)
        .expect("the line names the address");
    after.split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_until_ctrl_c_then_exits_0() {
    serve_then_stop("sigint", libc::SIGINT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_until_sigterm_then_exits_0() {
    serve_then_stop("sigterm", libc::SIGTERM).await;
}

/// Starts `isrsim cms` on a free port, reads its line, gets a page, checks that a second server
/// cannot take the address, and stops it with `signal`: exit 0.
async fn serve_then_stop(test: &str, signal: i32) {
    let dir = scratch(test);
    let file = write(&dir, "site.toml", SITE);
    let mut child = Command::new(env!("CARGO_BIN_EXE_isrsim"))
        .args(["cms", file.to_str().unwrap(), "--cms", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let line = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            reader.read_line(&mut line).map(|_| (line, reader))
        }),
    )
    .await;
    let Ok(Ok(Ok((line, _reader)))) = line else {
        let _ = child.kill();
        panic!("isrsim cms printed no line within 10 s");
    };
    assert!(
        line.starts_with("content server for ") && line.contains("(6 pages in 2 routes)"),
        "{line}"
    );
    let addr = announced(&line);
    assert_eq!(get(addr, "/content/lists/1").await.json["version"], 0);

    // A second server on the same address is refused with exit 1.
    let taken = isrsim(&["cms", file.to_str().unwrap(), "--cms", &addr.to_string()]);
    assert_exit(&taken, 1);
    assert!(stderr(&taken).contains("in use"), "{}", stderr(&taken));

    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with the id of the child this test started and still owns.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("isrsim cms still ran 10 s after signal {signal}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(0));
}

/// Each render's run time is its page's own: the `n`-th render of a page takes the `n`-th draw
/// of that page's generator (`rng::regeneration`), whatever order pages are rendered in. Two
/// servers of the same replication render posts 0 and 1 in opposite orders; each render lasts
/// its own page's draw (at least the draw, and not 150 ms more: the server answers right after
/// its sleep), and the second render of post 0 its second draw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_lasts_its_own_pages_draw_whatever_order_pages_are_rendered_in() {
    use isrsim::distribution::Distribution;
    use isrsim::workload::rng::{self, replication_seed};

    let toml = SITE.replace("\"1ms\"", r#"{ uniform = ["100ms", "700ms"] }"#);
    let regen_time = &support::parse(&toml).routes[0].regen_time;
    let seed = replication_seed(13, 0);
    let draw = |page: u64, count: u32| -> Duration {
        let time = Distribution::sample(regen_time, &mut rng::regeneration(seed, page, count));
        Duration::from_micros(time.as_micros())
    };
    async fn timed(addr: SocketAddr, path: &str) -> Duration {
        let began = Instant::now();
        assert_eq!(get(addr, path).await.status, StatusCode::OK);
        began.elapsed()
    }
    let within = |took: Duration, drawn: Duration, what: &str| {
        assert!(
            took >= drawn && took < drawn + Duration::from_millis(150),
            "{what}: took {took:?}, its draw is {drawn:?}"
        );
    };
    for order in [[0, 1], [1, 0]] {
        let cms = Arc::new(Cms::new(&support::parse(&toml), seed));
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), Arc::clone(&cms))
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.serve(std::future::pending()));
        for page in order {
            let took = timed(addr, &format!("/content/posts/{page}")).await;
            within(
                took,
                draw(page, 0),
                &format!("post {page}, order {order:?}"),
            );
        }
        let again = timed(addr, "/content/posts/0").await;
        within(again, draw(0, 1), "post 0's second render");
    }
    assert_ne!(draw(0, 0), draw(1, 0), "the two pages draw apart");
}

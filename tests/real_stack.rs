//! `isrsim load` against the real thing: the reference Next.js site behind Varnish, brought up
//! by `examples/stack.sh` (npm, Debian's varnish), for a minute of the validation scenario
//! `isr-10s-varnish`; the measured stale ratio must lie within the spread of 200 simulated
//! replications of the same minute, widened by `TOLERANCE`.
//!
//! And the site's cache tags, request by request (examples/README.md, "The reference site"): a
//! page's entry carries its route's tags, so that `revalidateTag(tag, 'max')` makes its next visit
//! `STALE` (one background render, then `HIT`) and `{ expire: 0 }` makes it block (`MISS`), as
//! Next.js 16's tags manifest says (`server/lib/incremental-cache/tags-manifest.external.ts`);
//! the site sends them in `xkey`, and a tag `PURGE` through Varnish (vmod_xkey) drops, or with
//! `soft` marks stale, exactly the cached pages that carry the tag.
//!
//! It needs Node and the registries, so it runs only with `ISRSIM_REAL_STACK=1`, as `.ci/run`
//! sets it; elsewhere it says so on stderr and passes. The stack is stopped by `stack.sh down`
//! (by recorded process ids) whether the test passes or fails. The tests take turns: both build
//! the one site folder and listen on the stack's ports.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod support;

use support::{assert_exit, isrsim, isrsim_within, scratch, stderr, write};

/// Held by each test while its stack is up.
static STACK: Mutex<()> = Mutex::new(());

/// The stack's turn, whether the other test passed or panicked.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    STACK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the real stack is wanted; says so on stderr when not.
fn wanted() -> bool {
    if std::env::var_os("ISRSIM_REAL_STACK").is_none() {
        eprintln!(
            "skipped: set ISRSIM_REAL_STACK=1 to bring up Next.js behind Varnish (.ci/run does)"
        );
        return false;
    }
    true
}

/// How much wider than the simulated replications' spread the measured stale ratio may fall,
/// relative to the spread's ends: a minute of one replication on a shared 2-core machine is
/// noisy, and the deploy's instant (the build's files touched just before the instances start)
/// is a second or two from the load test's time zero.
const TOLERANCE: f64 = 0.5;

/// `examples/stack.sh` with `args`, from the repository's root.
fn stack(args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg("examples/stack.sh")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("bash runs examples/stack.sh")
}

/// Stops the stack when dropped, pass or fail.
struct Up(PathBuf);

impl Drop for Up {
    fn drop(&mut self) {
        let down = stack(&["down", "--state", self.0.to_str().unwrap()]);
        if !down.status.success() {
            eprintln!("stack.sh down: {}", String::from_utf8_lossy(&down.stderr));
        }
    }
}

fn cell(file: &Path, column: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let i = (reader.headers().unwrap().iter())
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no {column} in {}", file.display()));
    reader
        .records()
        .map(|r| r.unwrap()[i].to_string())
        .collect()
}

#[test]
fn a_minute_of_nextjs_behind_varnish_measures_what_the_simulator_predicts() {
    if !wanted() {
        return;
    }
    let _turn = turn();
    let dir = scratch("varnish");
    let state = dir.join("stack");
    let scenario = "scenarios/validation/isr-10s-varnish.toml";
    let up = stack(&[
        "up",
        scenario,
        "--policy",
        "time-10s",
        "--cdn",
        "varnish",
        "--state",
        state.to_str().unwrap(),
    ]);
    let _stack = Up(state.clone());
    assert!(
        up.status.success(),
        "stack.sh up: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let command = std::fs::read_to_string(state.join("load-command")).unwrap();
    let mut words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    assert_eq!(words[1], "load", "{command}");
    words.drain(..1);
    let (measured, log) = (dir.join("measured"), dir.join("responses.csv"));
    for extra in [
        "--duration",
        "75s",
        "--warmup",
        "15s",
        "--out",
        measured.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--quiet",
    ] {
        words.push(extra.to_string());
    }
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let output = isrsim_within(Duration::from_secs(180), &args).expect("the load test ends");
    assert_exit(&output, 0);

    let runs = measured.join("runs.csv");
    let stale: f64 = cell(&runs, "stale_ratio")[0].parse().unwrap();
    let stale_responses: f64 = cell(&runs, "stale_responses")[0].parse().unwrap();
    let regenerations: f64 = cell(&runs, "regenerations")[0].parse().unwrap();
    assert_eq!(
        cell(&measured.join("meta.csv"), "unverified")[0],
        "0",
        "every page has the marker"
    );
    assert!(
        stale_responses > 0.0 && regenerations > 0.0,
        "{}",
        stderr(&output)
    );
    assert!(
        !cell(&runs, "cdn_hit_ratio")[0].is_empty(),
        "Varnish's x-cache is read"
    );

    // The prediction of the same minute: the measured folder's scenario.toml is the one tested.
    let predicted = dir.join("predicted");
    let run = isrsim(&[
        "run",
        measured.join("scenario.toml").to_str().unwrap(),
        "--replications",
        "200",
        "--out",
        predicted.to_str().unwrap(),
        "--quiet",
        "--no-slo",
    ]);
    assert_exit(&run, 0);
    let simulated: Vec<f64> = cell(&predicted.join("runs.csv"), "stale_ratio")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let low = simulated.iter().copied().fold(f64::MAX, f64::min);
    let high = simulated.iter().copied().fold(f64::MIN, f64::max);
    eprintln!("stale ratio: measured {stale}, simulated {low}..{high} over 200 replications");
    assert!(
        stale >= low * (1.0 - TOLERANCE) && stale <= high * (1.0 + TOLERANCE),
        "measured stale ratio {stale} outside the simulated {low}..{high} widened by {TOLERANCE}"
    );
}

/// Products in two categories, a list page per category, tagged as `tags` scenarios tag them.
const TAGGED: &str = r#"
name = "tags-real-stack"
description = "Tagged products and category lists, one Next.js instance behind Varnish"
duration = "1m"

[traffic]
pattern = "steady"
rate = 5

[[routes]]
name = "products"
pages = 6
edit_every = "1m"
regen_time = "100ms"
tags = ["product:{page}", "category:{page % 2}"]

[[routes]]
name = "categories"
pages = 2
depends_on = "products"
regen_time = "100ms"
tags = ["category:{page}"]

[cdn]
pops = 1
purge_by = "tag"

[[policies]]
name = "tags"
on_edit = "revalidate-tag"
tags = ["product:{page}", "category:{page % 2}"]
purge_cdn = true
"#;

/// The stack's addresses (examples/stack.sh's defaults).
const INSTANCE: &str = "127.0.0.1:3001";
const CDN: &str = "127.0.0.1:8000";
const CMS: &str = "127.0.0.1:4010";

/// One HTTP/1.1 exchange on its own connection: the status, the headers (names in lower case)
/// and the body.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("content-length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("0");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status: status.parse().unwrap_or(0),
        headers,
        body: body.to_string(),
    }
}

fn get(addr: &str, path: &str) -> Answer {
    let answer = http(addr, "GET", path, &[]);
    assert_eq!(answer.status, 200, "GET {addr}{path}");
    answer
}

/// Where the page came from: Next.js's `x-nextjs-cache` at the instance, `x-cache` at Varnish.
fn layer(addr: &str, path: &str) -> String {
    let header = if addr == CDN {
        "x-cache"
    } else {
        "x-nextjs-cache"
    };
    get(addr, path).header(header).to_string()
}

/// The site's webhook for `tags` (URL-encoded, comma-separated) with `profile`.
fn revalidate_tags(tags: &str, profile: &str) {
    let path = format!("/api/revalidate?tag={tags}&profile={profile}");
    let answer = http(
        INSTANCE,
        "POST",
        &path,
        &[("x-isrsim-mode", "revalidate-tag")],
    );
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
}

/// A tag purge at Varnish: its answer's text, `Purged N` or `Soft-purged N`.
fn purge_tag(tag: &str, purge: &str) -> String {
    let headers = [("x-isrsim-tag", tag), ("x-isrsim-purge", purge)];
    let answer = http(CDN, "PURGE", "/", &headers);
    assert_eq!(answer.status, 200, "PURGE {tag}: {}", answer.body);
    answer.body.trim().to_string()
}

/// `isrsim cms` for the scenario, stopped (by its own handle) when dropped: the content server
/// the instance's renders read once the stack is up.
struct Cms(Child);

impl Cms {
    fn start(scenario: &Path) -> Cms {
        let child = Command::new(env!("CARGO_BIN_EXE_isrsim"))
            .args(["cms", scenario.to_str().unwrap(), "--cms", CMS])
            .spawn()
            .expect("isrsim cms starts");
        let cms = Cms(child);
        let started = Instant::now();
        while TcpStream::connect(CMS).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "isrsim cms answers"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cms
    }
}

impl Drop for Cms {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tags_reach_the_pages_that_carry_them_in_nextjs_and_in_varnish() {
    if !wanted() {
        return;
    }
    let _turn = turn();
    let dir = scratch("tags");
    let scenario = write(&dir, "tags.toml", TAGGED);
    let state = dir.join("stack");
    let up = stack(&[
        "up",
        scenario.to_str().unwrap(),
        "--cdn",
        "varnish",
        "--state",
        state.to_str().unwrap(),
    ]);
    let _stack = Up(state.clone());
    assert!(up.status.success(), "stack.sh up: {}", stderr(&up));
    let _cms = Cms::start(&scenario);

    // Each page sends its route's tags, filled; Varnish keeps them to itself.
    let product = get(INSTANCE, "/products/3");
    assert_eq!(product.header("xkey"), "product:3 category:1");
    assert!(product.body.contains("isrsim:products:3:0"));
    assert_eq!(get(INSTANCE, "/categories/1").header("xkey"), "category:1");
    assert_eq!(layer(CDN, "/products/3"), "MISS");
    assert_eq!(
        get(CDN, "/products/3").header("xkey"),
        "",
        "xkey stays at the CDN"
    );
    for path in ["/categories/1", "/products/2"] {
        assert_eq!(layer(CDN, path), "MISS", "{path} cached at Varnish");
    }

    // 'max': the pages that carry category:1 are stale, once; the others are untouched.
    revalidate_tags("category%3A1", "max");
    assert_eq!(layer(INSTANCE, "/categories/1"), "STALE");
    assert_eq!(layer(INSTANCE, "/products/3"), "STALE");
    assert_eq!(layer(INSTANCE, "/products/2"), "HIT");
    let started = Instant::now();
    while layer(INSTANCE, "/categories/1") != "HIT" {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the background render of /categories/1 stores a fresh page"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // { expire: 0 }: the next visit blocks on a render.
    revalidate_tags("product%3A2", "0");
    assert_eq!(layer(INSTANCE, "/products/2"), "MISS");
    assert_eq!(layer(INSTANCE, "/products/2"), "HIT");

    // Tag purges at Varnish: exactly the cached pages that carry the tag.
    assert_eq!(purge_tag("category:1", "hard"), "Purged 2");
    assert_eq!(layer(CDN, "/categories/1"), "MISS");
    assert_eq!(layer(CDN, "/products/2"), "HIT");
    assert_eq!(purge_tag("product:2", "soft"), "Soft-purged 1");
    assert_eq!(layer(CDN, "/products/2"), "STALE");
    assert_eq!(purge_tag("category:7", "hard"), "Purged 0");
    // A path purge as before.
    let purged = http(CDN, "PURGE", "/products/3", &[("x-isrsim-purge", "hard")]);
    assert_eq!(purged.status, 200);
    assert_eq!(layer(CDN, "/products/3"), "MISS");
}

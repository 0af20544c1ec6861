//! `isrsim load --epoch` against the in-process ISR origin of `support::origin`: time zero at the
//! site's deploy (here, the origin's start, from which its pages' ages count), so the origin's
//! timer and the load test's clock coincide; the arrivals already due are sent at once; edits,
//! webhooks and measured times count from the epoch; `meta.csv` records it; an epoch ahead is
//! waited for, nothing sent before it; one more than 120 s ahead or older than the warm-up is
//! refused. Hand-worked timelines, every run bounded.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use isrsim::driver::Driver;
use isrsim::load::{Load, Options, Plan};
use isrsim::metrics::RunId;
use isrsim::time::SimTime;

mod support;

use support::metric;
use support::origin::{Origin, OriginConfig, free_port, load_options};
use support::{assert_exit, isrsim_within, scratch, stderr, write};

const RUN: RunId = RunId {
    point: 0,
    policy: 0,
    replication: 0,
    seed: 1,
};

/// Two posts, regenerated in 100 ms, a 2-second timer, no warm-up.
const SITE: &str = r#"
name = "site"
duration = "3s"
warmup = "0s"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 2
regen_time = "100ms"
[[policies]]
name = "time-2s"
revalidate = "2s"
"#;

fn options(origin: &Origin, cms: std::net::SocketAddr, epoch: SystemTime) -> Options {
    Options {
        connections: 4,
        epoch: Some(epoch),
        ..load_options(origin, cms)
    }
}

/// The rows of a `--log` file, in the order of their intended times: (intended_s, received_s,
/// page, origin_cache, stale, stale_age_s).
fn log_rows(log: &Path) -> Vec<(f64, f64, u32, String, String, String)> {
    let mut rows: Vec<_> = csv::Reader::from_path(log)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].parse::<f64>().unwrap(),
                r[1].parse::<f64>().unwrap(),
                r[3].parse::<u32>().unwrap(),
                r[6].to_string(),
                r[9].to_string(),
                r[10].to_string(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows
}

fn close(got: f64, want: f64, within: f64, what: &str) {
    assert!(
        (got - want).abs() <= within,
        "{what}: {got} is not within {within} of {want}"
    );
}

#[test]
fn the_origins_timer_and_the_load_tests_clock_start_together_at_the_epoch() {
    // The origin's pages are built at its start: the epoch. The load test starts 1 s later, so
    // the requests due at 0.3 and 0.6 s go out at once, at ~1.0 s. The pages go stale at 2.0 s
    // on the load test's clock (without the epoch, time zero would be ~1 s later and they would
    // go stale at ~0.8 s on it):
    //   0.3  page 0  HIT v0, fresh (sent at ~1.0)
    //   0.6  page 1  HIT v0, fresh (sent at ~1.0)
    //   1.5  edit of page 1 -> v1
    //   1.7  page 1  HIT v0, stale by 0.2 s
    //   1.85 page 0  HIT v0, fresh: 1.85 s old, under the 2 s timer
    //   2.15 page 0  STALE v0, fresh (never edited); its regeneration returns v0: wasted
    //   2.2  page 1  STALE v0, stale by 0.7 s; a 100 ms regeneration -> v1 at ~2.3
    //   2.6  page 1  HIT v1, fresh: the edit became visible 1.1 s after it was made
    let scenario = support::parse(SITE);
    let cms = free_port();
    let origin = Origin::start(OriginConfig {
        revalidate: Some(Duration::from_secs(2)),
        ..OriginConfig::new(cms)
    });
    let epoch = SystemTime::now();
    std::thread::sleep(Duration::from_secs(1));
    let dir = scratch("epoch_timeline");
    let log = dir.join("log.csv");
    let mut options = options(&origin, cms, epoch);
    options.log = Some(log.clone());
    let at = |s: f64| SimTime::from_secs_f64(s);
    let requests = [
        (0.3, 0),
        (0.6, 1),
        (1.7, 1),
        (1.85, 0),
        (2.15, 0),
        (2.2, 1),
        (2.6, 1),
    ];
    let plan = Plan::scripted(
        requests.iter().map(|&(s, p)| (at(s), p)).collect(),
        vec![(at(1.5), 1)],
    );
    let load = Load::scripted(options, plan);
    let r = load
        .run(&scenario, RUN, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));

    let rows = log_rows(&log);
    assert_eq!(rows.len(), requests.len(), "{rows:?}");
    for row in &rows[..2] {
        assert!(
            (1.0..1.5).contains(&row.1),
            "a request due at {} s before the load test started is answered at once, at ~1 s \
             on the epoch's clock: {row:?}",
            row.0
        );
    }
    for row in &rows[2..] {
        close(row.1 - row.0, 0.0, 0.15, "a later request leaves on time");
    }
    let caches: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(
        caches,
        ["HIT", "HIT", "HIT", "HIT", "STALE", "STALE", "HIT"],
        "the origin's pages go stale 2 s after the epoch: {rows:?}"
    );
    close(rows[2].5.parse().unwrap(), 0.2, 0.05, "the first stale age");
    close(
        rows[5].5.parse().unwrap(),
        0.7,
        0.05,
        "the second stale age",
    );
    assert_eq!(metric(&r, "requests"), 7.0);
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    assert_eq!(metric(&r, "regenerations"), 2.0);
    assert_eq!(metric(&r, "regenerations_wasted"), 1.0);
    close(
        metric(&r, "edit_visible_p50_s"),
        1.1,
        0.05,
        "the edit's lag",
    );
    let (_, max_lag) = load.ending().send_lag_ms.expect("send lags");
    assert!(
        max_lag < 300.0,
        "a request due before the load test began counts its send lag from then: {max_lag} ms"
    );
}

#[test]
fn a_webhook_leaves_its_delay_after_an_edit_on_the_epochs_clock() {
    // The load test starts 0.5 s after the epoch. The edit at 0.8 s sends its webhook 300 ms
    // later, at 1.1 s: the origin regenerates page 0 (v1 at ~1.2 s).
    //   0.9  page 0  HIT v0, stale by 0.1 s
    //   1.05 page 0  HIT v0, stale by 0.25 s (the webhook has not arrived)
    //   1.4  page 0  HIT v1, fresh
    let scenario = support::parse(&SITE.replace(
        "revalidate = \"2s\"",
        "on_edit = \"regenerate\"\nwebhook_delay = \"300ms\"",
    ));
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    let epoch = SystemTime::now();
    std::thread::sleep(Duration::from_millis(500));
    let at = |s: f64| SimTime::from_secs_f64(s);
    let plan = Plan::scripted(
        vec![(at(0.9), 0), (at(1.05), 0), (at(1.4), 0)],
        vec![(at(0.8), 0)],
    );
    let load = Load::scripted(options(&origin, cms, epoch), plan);
    let r = load
        .run(&scenario, RUN, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));
    assert_eq!(origin.webhooks(), 1);
    assert_eq!(metric(&r, "stale_responses"), 2.0);
    close(
        metric(&r, "stale_age_max_s"),
        0.25,
        0.05,
        "the last stale age",
    );
    close(
        metric(&r, "edit_visible_p50_s"),
        0.6,
        0.05,
        "the edit's lag",
    );
}

/// Unix seconds of `at`, as `date +%s.%N` prints them.
fn unix(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", since.as_secs(), since.subsec_nanos())
}

/// `isrsim load` of `toml` against `origin` with `--epoch EPOCH`; bounded by a minute.
fn load_cli(
    dir: &Path,
    toml: &str,
    origin: &Origin,
    cms: std::net::SocketAddr,
    epoch: &str,
) -> std::process::Output {
    let file = write(dir, "site.toml", toml);
    let (out, log) = (dir.join("out"), dir.join("log.csv"));
    let (cms, target) = (cms.to_string(), origin.url());
    let args = [
        "load",
        file.to_str().unwrap(),
        "--target",
        &target,
        "--cms",
        &cms,
        "--out",
        out.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--quiet",
        "--epoch",
        epoch,
    ];
    isrsim_within(Duration::from_secs(60), &args).expect("isrsim load ends within a minute")
}

#[test]
fn meta_csv_records_the_epoch_and_the_log_counts_from_it() {
    let dir = scratch("epoch_meta");
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    // Half a second ago, with a 1-second warm-up: accepted.
    let given = unix(SystemTime::now() - Duration::from_millis(500));
    let toml = SITE
        .replace("duration = \"3s\"", "duration = \"2s\"")
        .replace("warmup = \"0s\"", "warmup = \"1s\"");
    let output = load_cli(&dir, &toml, &origin, cms, &given);
    assert_exit(&output, 0);
    let meta = std::fs::read_to_string(dir.join("out/meta.csv")).unwrap();
    let mut lines = meta.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let epoch = header
        .iter()
        .position(|h| *h == "epoch")
        .expect("an epoch column");
    // Six decimals: the microsecond, the load test's resolution.
    assert_eq!(row[epoch], &given[..given.len() - 3]);
    // The scenario's users at 1 request/s: the first is due within the first second, before
    // the load test began half a second after the epoch, or soon after; every answer comes after
    // 0.5 s on the epoch's clock.
    let rows = log_rows(&dir.join("log.csv"));
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.1 >= 0.5), "{rows:?}");
}

#[test]
fn an_epoch_ahead_is_waited_for_and_time_zero_is_that_instant() {
    // `stack.sh up` dates the build a lead ahead and prints the load command at once: the load
    // test waits for the epoch, 2 s after the command starts, with its content server listening,
    // sends nothing before, and then each request at its time from the epoch (none already due,
    // so none late), until the epoch plus the duration.
    let dir = scratch("epoch_ahead");
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    let toml = SITE
        .replace("duration = \"3s\"", "duration = \"2s\"")
        .replace("rate = 1", "rate = 4");
    let started = SystemTime::now();
    let epoch = started + Duration::from_secs(2);
    let given = unix(epoch);
    let output = std::thread::scope(|scope| {
        let run = scope.spawn(|| load_cli(&dir, &toml, &origin, cms, &given));
        std::thread::sleep(Duration::from_millis(1_700));
        let (requests, listening) = (
            origin.requests(),
            std::net::TcpStream::connect_timeout(&cms, Duration::from_secs(1)).is_ok(),
        );
        let output = run.join().unwrap();
        assert_eq!(requests, 0, "nothing is sent before the epoch");
        assert!(
            listening,
            "the content server listens while the load test waits"
        );
        output
    });
    let took = started.elapsed().unwrap();
    assert_exit(&output, 0);
    assert!(
        took >= Duration::from_secs(4),
        "the run ends its duration (2 s) after the epoch (2 s ahead): {took:?}"
    );
    let meta = std::fs::read_to_string(dir.join("out/meta.csv")).unwrap();
    assert!(meta.contains(&given[..given.len() - 3]), "{meta}");
    let rows = log_rows(&dir.join("log.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        assert!((0.0..2.0).contains(&row.0), "due within the run: {row:?}");
        close(row.1 - row.0, 0.0, 0.15, "each request leaves on time");
    }
    assert!(origin.requests() >= rows.len() as u64);
}

#[test]
fn an_epoch_too_far_ahead_older_than_the_warmup_or_unreadable_is_refused() {
    let dir = scratch("epoch_refused");
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    let toml = SITE.replace("warmup = \"0s\"", "warmup = \"1s\"");
    let ahead = unix(SystemTime::now() + Duration::from_secs(200));
    let output = load_cli(&dir, &toml, &origin, cms, &ahead);
    assert_exit(&output, 2);
    let said = stderr(&output);
    assert!(
        said.contains("--epoch") && said.contains("at most 120 s"),
        "{said}"
    );
    let old = unix(SystemTime::now() - Duration::from_secs(5));
    let output = load_cli(&dir, &toml, &origin, cms, &old);
    assert_exit(&output, 2);
    let said = stderr(&output);
    assert!(
        said.contains("--epoch") && said.contains("warm-up (1s)"),
        "{said}"
    );
    let output = load_cli(&dir, &toml, &origin, cms, "yesterday");
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--epoch yesterday"),
        "{}",
        stderr(&output)
    );
    assert_eq!(origin.requests(), 0, "nothing was sent");
    assert!(!dir.join("out").exists(), "no results folder");
}

//! Helpers for the hand-worked timelines in `tests/timelines.rs`: a scenario from a few lines of
//! TOML, exact requests and edits fed to one run, and the trace read back by arrival time.
//!
//! Every scenario here uses constant regeneration times and delays, so each instant in a trace is
//! exact and can be worked out by hand.

use std::path::Path;

use isrsim::metrics::RunResult;
use isrsim::model::{Served, Simulation, Trace, TracedResponse};
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;
use isrsim::workload::traffic::Request;
use isrsim::workload::{PageId, PopId};

/// A scenario lasting `duration`, with `body` holding its routes, policies and other tables. The
/// `[traffic]` table is a placeholder: the timelines pass their own requests.
pub fn scenario(duration: &str, body: &str) -> Scenario {
    let text =
        format!("duration = \"{duration}\"\n\n[traffic]\npattern = \"steady\"\nrate = 1\n\n{body}");
    match Scenario::parse(&text, Path::new("tests/timeline.toml")) {
        Ok(s) => s,
        Err(e) => panic!("timeline scenario does not parse: {e}\n{text}"),
    }
}

/// A scenario of one prerendered page, route `posts`, regenerating in `regen_time`; `tables`
/// holds its policies and other tables.
pub fn one_page(duration: &str, regen_time: &str, tables: &str) -> Scenario {
    let body =
        format!("[[routes]]\nname = \"posts\"\npages = 1\nregen_time = \"{regen_time}\"\n{tables}");
    scenario(duration, &body)
}

/// Seconds, with decimals, as an exact `SimTime` (rounded to the microsecond).
pub fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

/// A request for `page` through PoP 0 (or straight to the origin without a CDN).
pub fn get(at: f64, page: u32) -> Request {
    get_via(at, page, 0)
}

/// A request for `page` through `pop`.
pub fn get_via(at: f64, page: u32, pop: u16) -> Request {
    Request {
        at: secs(at),
        page: PageId(page),
        pop: PopId(u32::from(pop)),
    }
}

/// Requests for `page` through PoP 0 at each of `times` seconds.
pub fn gets(times: &[f64], page: u32) -> Vec<Request> {
    times.iter().map(|&at| get(at, page)).collect()
}

/// An edit of `page` at `at` seconds.
pub fn edit(at: f64, page: u32) -> (SimTime, PageId) {
    (secs(at), PageId(page))
}

/// What a user got: (how it was served, version, stale, when it was answered, latency).
pub type Got = (Served, Option<u32>, bool, SimTime, SimTime);

/// What a user should get, as a row of a timeline: (arrival, how it was served, version, stale,
/// when it was answered, latency), times in seconds.
pub type Answer = (f64, Served, Option<u32>, bool, f64, f64);

/// One traced run.
pub struct Timeline {
    pub result: RunResult,
    pub trace: Trace,
}

/// Runs policy `policy` of `scenario` (replication 0) on these requests and edits.
pub fn run(
    scenario: &Scenario,
    policy: usize,
    requests: Vec<Request>,
    edits: Vec<(SimTime, PageId)>,
) -> Timeline {
    run_replication(scenario, policy, 0, requests, edits)
}

/// As `run`, for one replication: it decides the webhook, purge and backend random draws.
pub fn run_replication(
    scenario: &Scenario,
    policy: usize,
    replication: u32,
    mut requests: Vec<Request>,
    mut edits: Vec<(SimTime, PageId)>,
) -> Timeline {
    // The simulation takes both streams in time order; a stable sort keeps same-instant order.
    requests.sort_by_key(|r| r.at);
    edits.sort_by_key(|e| e.0);
    let (result, trace) = Simulation::new(scenario, policy, replication)
        .with_trace()
        .run(requests, edits);
    Timeline {
        result,
        trace: trace.expect("with_trace keeps a trace"),
    }
}

impl Timeline {
    /// The response to the request for `page` that arrived at `arrival` seconds.
    pub fn response(&self, page: u32, arrival: f64) -> &TracedResponse {
        let arrival = secs(arrival);
        let mut found = self
            .trace
            .responses
            .iter()
            .filter(|r| r.page == PageId(page) && r.arrival == arrival);
        let r = found.next().unwrap_or_else(|| {
            panic!(
                "no response for page {page} arriving at {arrival}: {:#?}",
                self.trace.responses
            )
        });
        assert!(
            found.next().is_none(),
            "two responses for page {page} arriving at {arrival}"
        );
        r
    }

    /// What the user of page `page` arriving at `arrival` seconds got.
    pub fn got(&self, page: u32, arrival: f64) -> Got {
        let r = self.response(page, arrival);
        (r.served, r.version, r.stale, r.at, r.latency)
    }

    /// What the user of `page` at `arrival` seconds through `pop` got.
    pub fn got_via(&self, page: u32, arrival: f64, pop: u32) -> Got {
        let arrival = secs(arrival);
        let r = self
            .trace
            .responses
            .iter()
            .find(|r| r.page == PageId(page) && r.arrival == arrival && r.pop == PopId(pop))
            .unwrap_or_else(|| panic!("no response for page {page} at {arrival} via PoP {pop}"));
        (r.served, r.version, r.stale, r.at, r.latency)
    }

    /// Asserts that each user of `page` got the answer in its row.
    #[track_caller]
    pub fn assert_answers(&self, page: u32, expected: &[Answer]) {
        for &(arrival, served, version, stale, at, latency) in expected {
            assert_eq!(
                self.got(page, arrival),
                (served, version, stale, secs(at), secs(latency)),
                "page {page} arriving at {arrival}"
            );
        }
    }

    pub fn metric(&self, name: &str) -> f64 {
        self.result
            .metrics
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` is not a metric column"))
    }
}

/// Asserts `actual` is within a relative `1e-3` of `expected`: HdrHistogram percentiles keep
/// three significant digits.
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-3 * expected.abs().max(1e-3);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected}"
    );
}

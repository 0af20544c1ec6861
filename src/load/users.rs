//! The users of a load test, played open-loop (docs/load.md, "How users are played"): every
//! request leaves at its intended time, whatever the site's answers to earlier ones, and its
//! latency counts from that intended time, so a slow site cannot hide its queueing (no coordinated omission, as wrk2 and
//! HdrHistogram's author describe it).
//!
//! A dispatcher thread sleeps until each request's time and hands it to a bounded queue; a
//! fixed pool of workers, one kept-alive connection each, takes requests from it. When every
//! connection is busy a request waits in the queue, and that wait is part of its latency and of
//! its send lag (sent − intended), which the run reports.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};

use super::client::Connection;
use super::cms::Cms;
use super::recorder::{Live, Observation, Recorder};
use super::site::{Endpoint, Paths};
use super::stop::{Reason, Stop};
use crate::workload::PageId;
use crate::workload::traffic::Request;

/// Requests drawn ahead of the workers at most; beyond it the dispatcher waits (and the
/// requests it holds are late, which their latency shows). Bounds memory whatever the site does.
pub const QUEUE: usize = 65_536;

/// A sleep shorter than this is not worth taking: the request leaves at once.
const SHORTEST_SLEEP: Duration = Duration::from_micros(50);

/// The longest the dispatcher sleeps before looking at the stop switch again.
const LONGEST_SLEEP: Duration = Duration::from_millis(20);

/// One request to make.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    pub page: PageId,
    pub intended: Instant,
}

/// Hands each of `requests` to the workers at its time after `start`, until they run out or
/// the run stops; then closes the queue. Runs on a thread of its own: a timer of the async
/// runtime would round every send to the next millisecond.
pub fn dispatch(
    mut requests: impl Iterator<Item = Request>,
    start: Instant,
    jobs: Sender<Job>,
    stop: &Stop,
    live: &Live,
) {
    while let Some(request) = requests.next() {
        let intended = start + Duration::from_micros(request.at.as_micros());
        loop {
            if stop.is_stopped() {
                jobs.close();
                if stop.reason() == Some(Reason::EndOfRun) {
                    // Due before the end, never sent: the site fell that far behind.
                    let rest = 1 + requests.count() as u64;
                    live.due.fetch_add(rest, Ordering::Relaxed);
                }
                return;
            }
            let left = intended.saturating_duration_since(Instant::now());
            if left < SHORTEST_SLEEP {
                break;
            }
            std::thread::sleep(left.min(LONGEST_SLEEP));
        }
        let job = Job {
            page: request.page,
            intended,
        };
        live.due.fetch_add(1, Ordering::Relaxed);
        if jobs.send_blocking(job).is_err() {
            return;
        }
    }
    jobs.close();
}

/// What every worker shares.
pub struct Shared {
    pub target: Endpoint,
    pub paths: Paths,
    pub cms: Arc<Cms>,
    pub recorder: Arc<Recorder>,
    pub stop: Arc<Stop>,
    pub timeout: Duration,
}

/// One worker: takes requests from the queue and makes them on its own connection until the
/// queue is closed and empty, or the run stops (a request in flight then is abandoned,
/// uncounted).
pub async fn work(shared: Arc<Shared>, jobs: Receiver<Job>) {
    let mut connection = Connection::new(shared.target.clone());
    // One wait on the stop switch for the worker's life, not one per request.
    let stopped = shared.stop.stopped();
    tokio::pin!(stopped);
    while let Ok(job) = jobs.recv().await {
        if shared.stop.is_stopped() {
            return;
        }
        let route = shared.cms.route_of(job.page);
        let path = shared
            .paths
            .path(route, job.page.0 - shared.cms.first_page(route).0);
        let mut sent = None;
        let answer = tokio::select! {
            answer = connection.get(&path, shared.timeout, &mut sent) => answer,
            () = &mut stopped => return,
        };
        let observation = Observation {
            page: job.page,
            intended: job.intended,
            sent,
            received: Instant::now(),
            answer: &answer,
        };
        if !shared.recorder.response(&shared.cms, &observation) {
            shared.stop.stop(Reason::NoMarker);
            jobs.close();
            return;
        }
    }
}

//! The load tester as a [`Driver`]: one run of a scenario played against a real site, observed
//! into the same collector as a simulation (docs/load.md: "The parts", "How users are
//! played", "How editors are played", "What is measured").
//!
//! The run's parts start together, time zero shortly after (or, with `--epoch`, at the site's
//! deploy: the users and editors wait for it when it is ahead, and send what is due at once when
//! it has passed): the content server (with the scenario's
//! backend), the users (open-loop, `users`), the editors (`editors`) and a monitor that stops
//! the run on Ctrl-C, on too many errors, or at a site without the marker. The users and edits
//! come from the same random streams as replication `R` of `isrsim run` ([`Plan::of`]), so the
//! two see the same users at the same times.

use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::cms::{Cms, Observer, Server};
use super::editors::{self, Hooks, Sent};
use super::epoch;
use super::recorder::{Live, Recorder};
use super::site::{Endpoint, Paths};
use super::stop::{Reason, Stop};
use super::users::{self, QUEUE, Shared};
use crate::driver::Driver;
use crate::metrics::{Collector, RunId};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::workload::content::{Edits, PageLayout};
use crate::workload::traffic::{ReplayError, Request, Requests};
use crate::workload::{PageId, PopId};

/// How long after the parts start time zero is: the content server is listening and the
/// workers are waiting before the first request is due.
const LEAD: Duration = Duration::from_millis(200);

/// The least number of responses before `--max-errors` may stop a run, so that one early
/// failure does not.
const ERRORS_AFTER: u64 = 100;

/// The users and the edits of a run.
pub struct Plan {
    pub requests: Box<dyn Iterator<Item = Request> + Send>,
    pub edits: Box<dyn Iterator<Item = (SimTime, PageId)> + Send>,
    /// Why the requests ended early, once they have ended, if they did: a trace whose
    /// recording could not be read back. Such a run is short, so it fails rather than reports.
    pub failure: Arc<Mutex<Option<ReplayError>>>,
}

impl Plan {
    /// The users and edits of the replication whose seed is `seed`: the simulator's own.
    pub fn of(scenario: &Scenario, seed: u64) -> Plan {
        let layout = PageLayout::new(scenario);
        let failure = Arc::default();
        Plan {
            requests: Box::new(Checked {
                requests: Requests::new(scenario, seed),
                failure: Arc::clone(&failure),
            }),
            edits: Box::new(Edits::new(scenario, &layout, seed)),
            failure,
        }
    }

    /// Given users and edits, each (time, global page id) in time order: for tests and
    /// hand-worked timelines.
    pub fn scripted(requests: Vec<(SimTime, u32)>, edits: Vec<(SimTime, u32)>) -> Plan {
        Plan {
            requests: Box::new((requests.into_iter()).map(|(at, page)| Request {
                at,
                page: PageId(page),
                pop: PopId(0),
            })),
            edits: Box::new(edits.into_iter().map(|(at, page)| (at, PageId(page)))),
            failure: Arc::default(),
        }
    }
}

/// The replication's requests, which say why when they end early.
struct Checked {
    requests: Requests,
    failure: Arc<Mutex<Option<ReplayError>>>,
}

impl Iterator for Checked {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        let next = self.requests.next();
        if next.is_none()
            && let Some(e) = self.requests.failure()
        {
            *lock(&self.failure) = Some(e);
        }
        next
    }
}

/// How a load test reaches the site, and its limits.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where users' requests go.
    pub target: Endpoint,
    /// Where webhooks and purges go.
    pub hooks: Hooks,
    /// Where the content server listens.
    pub cms: SocketAddr,
    /// User connections (workers).
    pub connections: usize,
    /// Per request.
    pub timeout: Duration,
    /// The share of failed requests that stops the run.
    pub max_errors: f64,
    /// `--cdn-header`.
    pub cdn_header: Option<String>,
    /// `--log`: created by the run, and refused if it exists.
    pub log: Option<std::path::PathBuf>,
    /// Whether Ctrl-C and SIGTERM stop the run (the binary), or not (tests).
    pub signals: bool,
    /// `--epoch`: time zero at this instant, the site's deploy, ahead or past (checked by
    /// `epoch::check`);
    /// `None`: shortly after the parts start.
    pub epoch: Option<SystemTime>,
}

/// How a run ended, beside its metrics.
#[derive(Clone, Debug, Default)]
pub struct Ending {
    /// Why it stopped before its duration, if it did.
    pub stopped: Option<Reason>,
    /// Successful responses without the marker (not judged).
    pub unverified: u64,
    /// Responses of every kind, warm-up included.
    pub responses: u64,
    /// The 99th percentile and largest (sent − intended), in milliseconds.
    pub send_lag_ms: Option<(f64, f64)>,
    /// Wall time from time zero to the end.
    pub elapsed_s: f64,
    pub edits: u64,
    pub webhooks: (u64, u64),
    pub purges: (u64, u64),
    /// The metrics the site gave no means to observe.
    pub unobserved: Vec<&'static str>,
    /// Requests due before the end that got no answer.
    pub unfinished: u64,
    /// Things the user should know (a `Cache-Control` that disagrees with the policy).
    pub warnings: Vec<String>,
}

/// Why a load test could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot listen on {addr} for the content server: {source}{hint}",
            hint = if source.kind() == io::ErrorKind::AddrInUse {
                " (another content server, `isrsim cms`, or the site itself?); stop it or choose another address with --cms"
            } else { "" })]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("cannot start the load test: {0}")]
    Runtime(io::Error),
    #[error("cannot write the --log file: {0}")]
    Log(io::Error),
    #[error(
        "{missing} of the first {seen} successful responses carry no marker `isrsim:{{route}}:{{page}}:{{version}}`, \
         so their staleness cannot be judged: the site must put the marker of the content it \
         was rendered from in every page (docs/load.md, \"What the site must do\")"
    )]
    NoMarker { seen: u64, missing: u64 },
    #[error("{0}")]
    Replay(ReplayError),
}

/// The load tester.
pub struct Load {
    options: Options,
    plan: Mutex<Option<Plan>>,
    live: Arc<Live>,
    sent: Arc<Sent>,
    ending: Mutex<Ending>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Load {
    /// A load test of the scenario's own users and edits.
    pub fn new(options: Options) -> Load {
        Load {
            options,
            plan: Mutex::new(None),
            live: Arc::new(Live::default()),
            sent: Arc::new(Sent::default()),
            ending: Mutex::new(Ending::default()),
        }
    }

    /// A load test of given users and edits (`Plan::scripted`), for one run.
    pub fn scripted(options: Options, plan: Plan) -> Load {
        let load = Load::new(options);
        *lock(&load.plan) = Some(plan);
        load
    }

    /// The counts a progress display reads.
    pub fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live)
    }

    /// How the last run ended.
    pub fn ending(&self) -> Ending {
        lock(&self.ending).clone()
    }

    async fn measure(
        &self,
        scenario: &Scenario,
        run: RunId,
        collector: Collector,
        plan: Plan,
        progress: &AtomicU64,
    ) -> Result<Collector, LoadError> {
        let options = &self.options;
        let policy = &scenario.policies[run.policy];
        let log = match &options.log {
            Some(path) => Some(File::create_new(path).map_err(LoadError::Log)?),
            None => None,
        };
        let recorder = Arc::new(
            Recorder::new(
                scenario,
                policy,
                collector,
                options.cdn_header.clone(),
                log,
                Arc::clone(&self.live),
            )
            .map_err(LoadError::Log)?,
        );
        // With an epoch ahead, everything waits for it (the content server listens meanwhile);
        // with one in the past, what was due before now is sent at once.
        let start = match options.epoch {
            Some(at) => epoch::instant(at).ok_or_else(|| {
                LoadError::Runtime(io::Error::other(format!(
                    "--epoch {}: this machine's monotonic clock does not reach back that far",
                    epoch::seconds(at)
                )))
            })?,
            None => Instant::now() + LEAD,
        };
        let observer: Arc<dyn Observer> = recorder.clone();
        let cms = Arc::new(Cms::starting(scenario, run.seed, start, Some(observer)));
        recorder.attach(&cms);
        let server = Server::bind(options.cms, Arc::clone(&cms))
            .await
            .map_err(|source| LoadError::Listen {
                addr: options.cms,
                source,
            })?;
        let stop = Arc::new(Stop::default());
        let (server_done, server_stop) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(async {
            let _ = server_stop.await;
        }));
        if options.signals {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                if wait_for_signal().await {
                    stop.stop(Reason::Interrupted);
                }
            });
        }
        let (jobs, queue) = async_channel::bounded(QUEUE);
        let shared = Arc::new(Shared {
            target: options.target.clone(),
            paths: Paths::new(scenario),
            cms: Arc::clone(&cms),
            recorder: Arc::clone(&recorder),
            stop: Arc::clone(&stop),
            timeout: options.timeout,
        });
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..options.connections.max(1) {
            workers.spawn(users::work(Arc::clone(&shared), queue.clone()));
        }
        drop(queue);
        let failure = Arc::clone(&plan.failure);
        let dispatcher = {
            let (requests, stop, live) = (plan.requests, Arc::clone(&stop), Arc::clone(&self.live));
            tokio::task::spawn_blocking(move || {
                users::dispatch(requests, start, jobs, &stop, &live)
            })
        };
        let editors = tokio::spawn(editors::play(
            scenario.clone(),
            policy.clone(),
            plan.edits,
            Arc::clone(&cms),
            options.hooks.clone(),
            run.seed,
            Arc::clone(&self.sent),
            Arc::clone(&recorder),
            Arc::clone(&stop),
        ));
        self.monitor(scenario, &cms, start, &stop, workers, progress)
            .await;
        let _ = dispatcher.await;
        editors.abort();
        let _ = editors.await;
        let _ = server_done.send(());
        let _ = served.await;
        let end = cms.now().min(scenario.duration);
        progress.store(end.as_micros(), Ordering::Relaxed);
        if recorder.marker_failed() {
            stop.stop(Reason::NoMarker);
        }
        let stopped = self.end(&stop, &recorder, end);
        let (seen, missing) = recorder.marker_counts();
        let collector = recorder.finish(&cms, end).map_err(LoadError::Log)?;
        if stopped == Some(Reason::NoMarker) {
            return Err(LoadError::NoMarker { seen, missing });
        }
        if let Some(e) = lock(&failure).take() {
            return Err(LoadError::Replay(e));
        }
        collector.ok_or_else(|| LoadError::Runtime(io::Error::other("the run was finished twice")))
    }

    /// Watches the run: progress and the error budget, every 100 ms, until every worker is done
    /// and the run's end is reached (the site's regenerations and the editors go on after the
    /// last user request), or the run is stopped.
    async fn monitor(
        &self,
        scenario: &Scenario,
        cms: &Cms,
        start: Instant,
        stop: &Stop,
        mut workers: tokio::task::JoinSet<()>,
        progress: &AtomicU64,
    ) {
        let end_at = start + Duration::from_micros(scenario.duration.as_micros());
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut workers_done = false;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                done = workers.join_next(), if !workers_done => {
                    workers_done = done.is_none();
                }
            }
            let elapsed = cms.now().min(scenario.duration);
            progress.store(elapsed.as_micros(), Ordering::Relaxed);
            let responses = Live::get(&self.live.responses);
            let errors = Live::get(&self.live.errors);
            if responses >= ERRORS_AFTER
                && errors as f64 > self.options.max_errors * responses as f64
            {
                stop.stop(Reason::TooManyErrors);
            }
            let ended = Instant::now() >= end_at;
            if workers_done && (stop.is_stopped() || ended) {
                break;
            }
            if ended {
                // The run ends at its duration: what is still unanswered is abandoned.
                stop.stop(Reason::EndOfRun);
            }
        }
    }

    /// Writes how the run ended, at `end`, into `self.ending`; returns why it stopped early, if
    /// it did.
    fn end(&self, stop: &Stop, recorder: &Recorder, end: SimTime) -> Option<Reason> {
        let mut ending = lock(&self.ending);
        ending.stopped = stop.reason().filter(|r| *r != Reason::EndOfRun);
        ending.unobserved = recorder.unobserved();
        let answered = Live::get(&self.live.responses);
        ending.unfinished = Live::get(&self.live.due).saturating_sub(answered);
        ending.unverified = Live::get(&self.live.unverified);
        ending.responses = answered;
        ending.send_lag_ms = recorder.send_lag_ms();
        ending.elapsed_s = end.as_secs_f64();
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ending.edits = count(&self.sent.edits);
        ending.webhooks = (
            count(&self.sent.webhooks),
            count(&self.sent.webhooks_failed),
        );
        ending.purges = (count(&self.sent.purges), count(&self.sent.purges_failed));
        ending.warnings = recorder.take_warnings();
        ending.stopped
    }
}

impl Driver for Load {
    type Error = LoadError;

    fn drive(
        &self,
        scenario: &Scenario,
        run: RunId,
        collector: Collector,
        progress: &AtomicU64,
    ) -> Result<Collector, LoadError> {
        let plan = lock(&self.plan)
            .take()
            .unwrap_or_else(|| Plan::of(scenario, run.seed));
        // One worker thread per core (tokio's default): the users' connections are spread over
        // them, and the dispatcher has a thread of its own.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(LoadError::Runtime)?;
        let result = runtime.block_on(self.measure(scenario, run, collector, plan, progress));
        // Webhooks or content requests still in flight are abandoned, not waited for.
        runtime.shutdown_timeout(Duration::from_millis(100));
        result
    }
}

/// Completes at Ctrl-C (SIGINT), SIGTERM or SIGHUP with `true`; `false` if they cannot be listened for.
#[cfg(unix)]
async fn wait_for_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return false;
    };
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        return false;
    };
    tokio::select! {
        _ = interrupt.recv() => true,
        _ = terminate.recv() => true,
        _ = hangup.recv() => true,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_that_end_because_a_trace_cannot_be_read_back_leave_the_failure_for_the_run() {
        let failure = Arc::default();
        let mut requests = Checked {
            requests: crate::workload::traffic::tests::unreadable(),
            failure: Arc::clone(&failure),
        };
        assert!(requests.next().is_none());
        let told = lock(&failure)
            .take()
            .expect("the run is told why its requests ended");
        assert!(told.to_string().contains("temporary file"), "{told}");
    }
}

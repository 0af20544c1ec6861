//! The progress bars of long commands, on stderr: a run's runs done, simulated time, rate and
//! ETA; a load test's elapsed time, request rate, stale share and errors.
//!
//! Drawn only on a terminal and never with `--quiet`, so CI logs and pipes stay clean. A ticker
//! thread reads the command's counters ten times a second, so the work itself only bumps atomics.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::experiment::Progress;
use crate::load::recorder::Live;
use crate::time::SimTime;

/// A bar over `total` whole seconds, redrawn by a ticker thread until finished.
pub struct Bar {
    ticker: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Bar {
    /// Starts a bar over `runs` runs totalling `simulated` time, unless `quiet` or stderr is not
    /// a terminal.
    pub fn start(progress: Arc<Progress>, runs: usize, simulated: SimTime, quiet: bool) -> Bar {
        let total = simulated.as_secs_f64();
        let started = Instant::now();
        Bar::ticking(
            simulated,
            "{wide_bar} {msg} | ETA {eta}",
            quiet,
            move || {
                let done = SimTime(progress.simulated.load(Ordering::Relaxed)).as_secs_f64();
                let rate = done / started.elapsed().as_secs_f64().max(1e-3);
                let message = format!(
                    "{}/{runs} runs | {done:.0}/{total:.0} simulated s | {rate:.0} simulated s/s",
                    progress.runs_done.load(Ordering::Relaxed)
                );
                (done as u64, message)
            },
        )
    }

    /// Starts the bar of a load test of `duration`: `elapsed` is the run's clock in
    /// microseconds, `live` its counts.
    pub fn load(live: Arc<Live>, elapsed: Arc<AtomicU64>, duration: SimTime, quiet: bool) -> Bar {
        let total = duration.as_secs_f64();
        // The rate over the last second, from the counts of the last ten ticks.
        let mut window = VecDeque::from([0u64; 10]);
        Bar::ticking(duration, "{wide_bar} {msg}", quiet, move || {
            let at = SimTime(elapsed.load(Ordering::Relaxed)).as_secs_f64();
            let responses = Live::get(&live.responses);
            let rate = responses - window.pop_front().unwrap_or(0);
            window.push_back(responses);
            let stale = Live::get(&live.stale) as f64 / responses.max(1) as f64;
            let message = format!(
                "{at:.0}/{total:.0} s | {rate} req/s | stale {:.1}% | {} errors",
                stale * 100.0,
                Live::get(&live.errors)
            );
            (at as u64, message)
        })
    }

    /// A bar over `total`, whose position (whole seconds) and message `tick` gives every tenth
    /// of a second; none unless stderr is a terminal and not `quiet`.
    fn ticking(
        total: SimTime,
        template: &str,
        quiet: bool,
        mut tick: impl FnMut() -> (u64, String) + Send + 'static,
    ) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar { ticker: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(total.as_micros() / 1_000_000),
            ProgressDrawTarget::stderr(),
        );
        let style =
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let handle = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (position, message) = tick();
                bar.set_position(position);
                bar.set_message(message);
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Bar {
            ticker: Some((done, handle)),
        }
    }

    /// Stops and clears the bar.
    pub fn finish(self) {
        if let Some((done, handle)) = self.ticker {
            done.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

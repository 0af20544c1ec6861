//! The progress bar of long runs: runs done, simulated time, rate and ETA, on stderr.
//!
//! Drawn only on a terminal and never with `--quiet`, so CI logs and pipes stay clean. A ticker
//! thread reads the experiment's counters, so the simulation itself only bumps an atomic.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::experiment::Progress;
use crate::time::SimTime;

pub struct Bar {
    ticker: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Bar {
    /// Starts a bar over `runs` runs totalling `simulated` time, unless `quiet` or stderr is not
    /// a terminal.
    pub fn start(progress: Arc<Progress>, runs: usize, simulated: SimTime, quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar { ticker: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(simulated.as_micros() / 1_000_000),
            ProgressDrawTarget::stderr(),
        );
        let style = ProgressStyle::with_template("{wide_bar} {msg} | ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let total = simulated.as_secs_f64();
        let handle = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let done = SimTime(progress.simulated.load(Ordering::Relaxed)).as_secs_f64();
                let rate = done / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_position(done as u64);
                bar.set_message(format!(
                    "{}/{runs} runs | {done:.0}/{total:.0} simulated s | {rate:.0} simulated s/s",
                    progress.runs_done.load(Ordering::Relaxed)
                ));
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

/// The progress bar of a load test: elapsed and total time, the current rate, the stale ratio
/// and the errors so far. Drawn as `Bar` is: on a terminal, never with `--quiet`.
pub struct LoadBar {
    ticker: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl LoadBar {
    pub fn start(
        live: Arc<crate::load::recorder::Live>,
        elapsed: Arc<std::sync::atomic::AtomicU64>,
        duration: SimTime,
        quiet: bool,
    ) -> LoadBar {
        if quiet || !std::io::stderr().is_terminal() {
            return LoadBar { ticker: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(duration.as_micros() / 1_000_000),
            ProgressDrawTarget::stderr(),
        );
        let style = ProgressStyle::with_template("{wide_bar} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let total = duration.as_secs_f64();
        let handle = std::thread::spawn(move || {
            use crate::load::recorder::Live;
            // The rate over the last second, from a ring of tenth-second samples.
            let mut window = std::collections::VecDeque::from([0u64; 10]);
            while !stop.load(Ordering::Relaxed) {
                let at = SimTime(elapsed.load(Ordering::Relaxed)).as_secs_f64();
                let responses = Live::get(&live.responses);
                let rate = responses - window.pop_front().unwrap_or(0);
                window.push_back(responses);
                let stale = Live::get(&live.stale) as f64 / responses.max(1) as f64;
                bar.set_position(at as u64);
                bar.set_message(format!(
                    "{at:.0}/{total:.0} s | {rate} req/s | stale {:.1}% | {} errors",
                    stale * 100.0,
                    Live::get(&live.errors)
                ));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        LoadBar {
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

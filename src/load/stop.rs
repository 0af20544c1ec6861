//! Why and when a load test stops early: Ctrl-C, too many errors, a site without the marker.
//! The dispatcher thread polls it; async tasks wait on it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

/// Why a run stopped before its duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// More than `--max-errors` of the requests failed.
    TooManyErrors,
    /// More than 1% of the first successful responses had no marker.
    NoMarker,
    /// The run reached its end with requests still unanswered: they are abandoned, so that the
    /// run ends at its duration. Not an early stop.
    EndOfRun,
}

impl Reason {
    /// As `meta.csv` and `summary.json` write it.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Interrupted => "interrupted",
            Reason::TooManyErrors => "too-many-errors",
            Reason::NoMarker => "no-marker",
            Reason::EndOfRun => "end-of-run",
        }
    }
}

/// A one-way switch: the first reason given is kept.
#[derive(Debug, Default)]
pub struct Stop {
    stopped: AtomicBool,
    reason: Mutex<Option<Reason>>,
    notify: Notify,
}

impl Stop {
    pub fn stop(&self, reason: Reason) {
        let mut kept = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            *kept = Some(reason);
        }
        self.stopped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> Option<Reason> {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes once the run is stopped.
    pub async fn stopped(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

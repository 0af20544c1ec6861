//! The one pass over an access log that makes it a run's traffic (docs/traces.md).
//!
//! Each line is read, filtered (method, status), placed in the window (`start`, `end`, from the
//! first kept line's second), matched to a route and page, put in time order (`replay::Arrange`)
//! and recorded in simulated time: the log's time since the window's start, divided by `speed`.
//! The trace is the traffic, so every replication replays the same requests; only the CDN PoP
//! each request reaches, which a log does not record, is drawn per replication.

use std::sync::{Arc, Mutex};

use regex::bytes::Regex;

use super::clock::Micros;
use super::matcher::{Matcher, Outcome, PageKeys};
use super::replay::{Arrange, Recorder, Recording, Stamped};
use super::{Tally, TraceSpec};
use crate::error::InputError;
use crate::time::SimTime;

/// An access log, read and ready to replay.
#[derive(Clone, Debug)]
pub struct Replay {
    pub spec: TraceSpec,
    pub tally: Tally,
    /// Requests replayed per route.
    pub per_route: Vec<u64>,
    /// The log's instant of simulated time 0.
    pub origin: Micros,
    /// Just past the last request, in simulated time.
    pub span: SimTime,
    /// Requests in the busiest second of simulated time.
    pub peak_rate: f64,
    /// `minutes[i]`: requests before the end of simulated minute `i`.
    minutes: Vec<u64>,
    pub recording: Recording,
}

/// Two replays are the same if they read the same log the same way and found the same.
impl PartialEq for Replay {
    fn eq(&self, other: &Replay) -> bool {
        self.spec == other.spec && self.tally == other.tally && self.per_route == other.per_route
    }
}

/// The last readings of a log, with the pages found: every variant of a sweep parses the
/// scenario again, and shares one reading of its trace.
type Reading = (String, Arc<Replay>, Vec<PageKeys>);
static READINGS: Mutex<Vec<Reading>> = Mutex::new(Vec::new());
const REMEMBERED: usize = 2;

impl Replay {
    /// `read`, with a `Matcher` of `rules` (each route's `match` and `pages` bound); the same
    /// log, unchanged since (by its length and time), read the same way, is read once per
    /// process. Returns the pages found, for the edit logs.
    pub fn read_once(
        spec: &TraceSpec,
        rules: Vec<(Option<Regex>, Option<u32>)>,
    ) -> Result<(Arc<Replay>, Vec<PageKeys>), InputError> {
        let stamp = std::fs::metadata(&spec.log.file)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        let written: Vec<_> = rules
            .iter()
            .map(|(rule, bound)| (rule.as_ref().map(Regex::as_str), *bound))
            .collect();
        let key = format!("{spec:?}|{written:?}|{stamp:?}");
        let remembered = READINGS.lock().ok().and_then(|readings| {
            let (_, replay, pages) = readings.iter().find(|(k, ..)| *k == key)?;
            Some((Arc::clone(replay), pages.clone()))
        });
        if let Some(reading) = remembered {
            return Ok(reading);
        }
        let mut matcher = Matcher::new(rules);
        let replay = Arc::new(Replay::read(spec, &mut matcher)?);
        if let Ok(mut readings) = READINGS.lock() {
            if readings.len() >= REMEMBERED {
                readings.remove(0);
            }
            readings.push((key, Arc::clone(&replay), matcher.pages.clone()));
        }
        Ok((replay, matcher.pages))
    }

    /// Reads the log of `spec`, finding pages with `matcher`.
    pub fn read(spec: &TraceSpec, matcher: &mut Matcher) -> Result<Replay, InputError> {
        let log = &spec.log;
        let io = |e: std::io::Error| {
            InputError::new(&log.file, format!("cannot keep the trace's requests: {e}"))
        };
        let mut recorder = Recorder::new().map_err(io)?;
        let mut arrange = Arrange::new(log.format.whole_seconds());
        let mut tally = Tally::default();
        let mut per_route = vec![0u64; matcher.pages.len()];
        let start = spec.start.as_micros() as i64;
        let end = spec.end.map(|e| e.as_micros() as i64);
        let mut first_second: Option<Micros> = None;
        let (mut outside, mut unmatched, mut beyond_bound) = (0, 0, 0);
        let mut origin = 0;

        let mut kept = Kept::default();
        let mut failed: Option<std::io::Error> = None;
        let mut emit = |s: Stamped, origin: Micros| {
            let since = (s.at - origin).max(0) as u64;
            let at = if spec.speed == 1.0 {
                SimTime(since)
            } else {
                SimTime::from_secs_f64(since as f64 / 1e6 / spec.speed)
            };
            kept.count(at);
            per_route[s.route as usize] += 1;
            if let Err(e) = recorder.record(at, s.route, s.page) {
                failed.get_or_insert(e);
            }
        };
        super::reader::each_kept(log, &mut tally, |record| {
            let first = *first_second.get_or_insert_with(|| {
                let second = record.at.div_euclid(1_000_000) * 1_000_000;
                origin = second + start;
                second
            });
            let offset = record.at - first;
            if offset < start || end.is_some_and(|e| offset >= e) {
                outside += 1;
                return;
            }
            match matcher.classify(record.path) {
                Outcome::Page { route, page } => {
                    let stamped = Stamped {
                        at: record.at,
                        route,
                        page,
                    };
                    arrange.push(stamped, &mut |s| emit(s, origin));
                }
                Outcome::Unmatched => unmatched += 1,
                Outcome::BeyondBound { .. } => beyond_bound += 1,
            }
        })?;
        arrange.finish(&mut |s| emit(s, origin));
        if let Some(e) = failed {
            return Err(io(e));
        }
        (tally.outside, tally.unmatched, tally.beyond_bound) = (outside, unmatched, beyond_bound);
        tally.late = arrange.late;
        let recording = recorder.finish().map_err(io)?;
        tally.kept = recording.requests;
        let Kept {
            last,
            peak,
            mut minutes,
            ..
        } = kept;
        minutes.push(tally.kept);
        Ok(Replay {
            spec: spec.clone(),
            tally,
            per_route,
            origin,
            span: SimTime(last.0 + 1),
            peak_rate: peak as f64,
            minutes,
            recording,
        })
    }

    /// A trace named but not read: a results folder's copy of the scenario, read back for its
    /// routes and policies. It replays nothing.
    pub fn named(spec: &TraceSpec, routes: usize) -> Replay {
        Replay {
            spec: spec.clone(),
            tally: Tally::default(),
            per_route: vec![0; routes],
            origin: 0,
            span: SimTime::ZERO,
            peak_rate: 0.0,
            minutes: vec![0],
            recording: Recording::none(),
        }
    }

    /// Requests before simulated time `t`, interpolated within the minute.
    pub fn requests_before(&self, t: SimTime) -> f64 {
        let minute = SimTime::from_secs(60).as_micros();
        let m = (t.as_micros() / minute) as usize;
        let at = |i: usize| self.minutes[i.min(self.minutes.len() - 1)] as f64;
        let before = if m == 0 { 0.0 } else { at(m - 1) };
        let fraction = (t.as_micros() % minute) as f64 / minute as f64;
        before + (at(m) - before) * fraction
    }

    /// The mean rate over `[0, duration)`, in requests per second.
    pub fn mean_rate(&self, duration: SimTime) -> f64 {
        self.requests_before(duration) / duration.as_secs_f64()
    }
}

/// Counts of the requests kept, as they are recorded in time order.
#[derive(Default)]
struct Kept {
    total: u64,
    last: SimTime,
    second: u64,
    in_second: u64,
    peak: u64,
    minutes: Vec<u64>,
}

impl Kept {
    fn count(&mut self, at: SimTime) {
        let second = at.whole_secs();
        if second != self.second {
            (self.second, self.in_second) = (second, 0);
        }
        self.in_second += 1;
        self.peak = self.peak.max(self.in_second);
        let minute = (second / 60) as usize;
        while self.minutes.len() < minute {
            self.minutes.push(self.total);
        }
        self.total += 1;
        self.last = at;
    }
}

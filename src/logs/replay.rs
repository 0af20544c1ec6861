//! A trace's requests, read once and kept in a compact form that every run replays.
//!
//! Parsing a log line costs far more than simulating the request it records, and a study replays
//! the trace once per (policy, replication). So the first reading writes each kept request as
//! three LEB128 varints (the gap since the previous request in microseconds, the route, the page:
//! about 4 bytes) to an anonymous temporary file, which the system deletes when the last run
//! closes it. Runs read it with positioned reads, each from its own offset, so any number of
//! threads replay it at once; memory stays one buffer per run, whatever the trace's length.
//!
//! Before that, `Arrange` puts the requests in time order. A server logs a request when it
//! ends but stamps it with its start, so lines are out of order by up to a response's duration;
//! a window of `WINDOW_S` seconds reorders them. A format of whole seconds (`combined`) says
//! only which second a request came in, so the n requests of one second are spread evenly over
//! it, in the log's order: at (k + 1/2)/n of the second for the k-th.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::clock::Micros;
use crate::time::SimTime;

/// Seconds by which a line may come later than a line stamped after it and still be put in
/// order. A line later than that is counted, and replayed at the window's start.
pub const WINDOW_S: i64 = 60;

/// A kept request, at its instant in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamped {
    pub at: Micros,
    pub route: u32,
    pub page: u32,
}

/// The reorder window: the requests of the last `WINDOW_S` seconds, one bucket per second.
pub struct Arrange {
    spread: bool,
    /// The second of `buckets[0]`.
    base: i64,
    buckets: VecDeque<Vec<Stamped>>,
    spare: Vec<Vec<Stamped>>,
    /// Lines more than the window late.
    pub late: u64,
}

impl Arrange {
    /// `spread`: the log's times are whole seconds.
    pub fn new(spread: bool) -> Arrange {
        Arrange {
            spread,
            base: i64::MIN,
            buckets: VecDeque::new(),
            spare: Vec::new(),
            late: 0,
        }
    }

    pub fn push(&mut self, mut request: Stamped, out: &mut impl FnMut(Stamped)) {
        let mut second = request.at.div_euclid(1_000_000);
        if self.buckets.is_empty() {
            self.base = self.base.max(second - WINDOW_S);
        }
        if second < self.base {
            self.late += 1;
            second = self.base;
            request.at = second * 1_000_000;
        }
        while second - self.base > WINDOW_S {
            match self.buckets.pop_front() {
                Some(bucket) => self.emit(bucket, out),
                None => self.base = second - WINDOW_S - 1,
            }
            self.base += 1;
        }
        let index = (second - self.base) as usize;
        while self.buckets.len() <= index {
            let bucket = self.spare.pop().unwrap_or_default();
            self.buckets.push_back(bucket);
        }
        self.buckets[index].push(request);
    }

    /// Emits every request still held.
    pub fn finish(&mut self, out: &mut impl FnMut(Stamped)) {
        while let Some(bucket) = self.buckets.pop_front() {
            self.emit(bucket, out);
            self.base += 1;
        }
    }

    fn emit(&mut self, mut bucket: Vec<Stamped>, out: &mut impl FnMut(Stamped)) {
        let start = self.base * 1_000_000;
        if self.spread {
            let n = bucket.len() as i64;
            for (k, request) in bucket.iter_mut().enumerate() {
                request.at = start + (2 * k as i64 + 1) * 1_000_000 / (2 * n);
            }
        } else if !bucket.is_sorted_by_key(|r| r.at) {
            bucket.sort_by_key(|r| r.at);
        }
        bucket.iter().copied().for_each(&mut *out);
        bucket.clear();
        self.spare.push(bucket);
    }
}

fn put_varint(out: &mut impl Write, mut v: u64) -> std::io::Result<()> {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            bytes[n] = low;
            n += 1;
            break;
        }
        bytes[n] = low | 0x80;
        n += 1;
    }
    out.write_all(&bytes[..n])
}

/// The kept requests being written, in simulated time.
pub struct Recorder {
    out: BufWriter<File>,
    last: SimTime,
    count: u64,
}

impl Recorder {
    pub fn new() -> std::io::Result<Recorder> {
        Ok(Recorder {
            out: BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            last: SimTime::ZERO,
            count: 0,
        })
    }

    /// One request; `at` never goes back (`Arrange` saw to that).
    pub fn record(&mut self, at: SimTime, route: u32, page: u32) -> std::io::Result<()> {
        let at = at.max(self.last);
        put_varint(&mut self.out, at.0 - self.last.0)?;
        put_varint(&mut self.out, u64::from(route))?;
        put_varint(&mut self.out, u64::from(page))?;
        self.last = at;
        self.count += 1;
        Ok(())
    }

    pub fn finish(self) -> std::io::Result<Recording> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(Recording {
            file: Some(Arc::new(file)),
            requests: self.count,
        })
    }
}

/// The kept requests of a trace, written once.
#[derive(Clone, Debug)]
pub struct Recording {
    /// `None` for a trace named but not read (`Replay::named`): it replays nothing.
    file: Option<Arc<File>>,
    pub requests: u64,
}

impl Recording {
    pub fn none() -> Recording {
        Recording {
            file: None,
            requests: 0,
        }
    }

    /// The `requests` recorded in `file`, as a test makes them (a file it cannot read back).
    #[cfg(test)]
    pub(crate) fn of(file: File, requests: u64) -> Recording {
        Recording {
            file: Some(Arc::new(file)),
            requests,
        }
    }

    pub fn play(&self) -> Playback {
        Playback {
            file: self.file.clone(),
            offset: 0,
            buffer: vec![0; 64 * 1024].into_boxed_slice(),
            at: 0,
            end: 0,
            clock: SimTime::ZERO,
            left: self.requests,
            failed: None,
        }
    }
}

/// One run's reading of a `Recording`.
pub struct Playback {
    file: Option<Arc<File>>,
    offset: u64,
    buffer: Box<[u8]>,
    at: usize,
    end: usize,
    clock: SimTime,
    left: u64,
    /// A read of the temporary file failed (a disk error): the replay ends there, and says so.
    pub failed: Option<std::io::Error>,
}

impl Playback {
    fn refill(&mut self) -> bool {
        self.buffer.copy_within(self.at..self.end, 0);
        self.end -= self.at;
        self.at = 0;
        let Some(file) = &self.file else {
            return false;
        };
        match file.read_at(&mut self.buffer[self.end..], self.offset) {
            Ok(0) => false,
            Ok(n) => {
                self.offset += n as u64;
                self.end += n;
                true
            }
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    #[inline]
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            if self.at == self.end && !self.refill() {
                return None;
            }
            let b = self.buffer[self.at];
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    /// The next request: (when, route, page within the route).
    #[inline]
    pub fn next_request(&mut self) -> Option<(SimTime, u32, u32)> {
        if self.left == 0 {
            return None;
        }
        let gap = self.varint()?;
        let route = self.varint()? as u32;
        let page = self.varint()? as u32;
        self.left -= 1;
        self.clock = SimTime(self.clock.0 + gap);
        Some((self.clock, route, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arranged(spread: bool, at: &[Micros]) -> (Vec<Micros>, u64) {
        let mut arrange = Arrange::new(spread);
        let mut out = Vec::new();
        for (i, &t) in at.iter().enumerate() {
            let r = Stamped {
                at: t,
                route: 0,
                page: i as u32,
            };
            arrange.push(r, &mut |r| out.push(r.at));
        }
        arrange.finish(&mut |r| out.push(r.at));
        (out, arrange.late)
    }

    #[test]
    fn whole_seconds_are_spread_evenly_in_the_logs_order() {
        let s = 1_000_000;
        let (out, late) = arranged(true, &[10 * s, 10 * s, 12 * s, 10 * s, 11 * s]);
        // Second 10 holds three requests: at 1/6, 3/6 and 5/6 of it.
        assert_eq!(
            out,
            vec![
                10 * s + 166_666,
                10 * s + 500_000,
                10 * s + 833_333,
                11 * s + 500_000,
                12 * s + 500_000
            ]
        );
        assert_eq!(late, 0);
    }

    #[test]
    fn lines_late_within_the_window_are_reordered_and_later_ones_clamped() {
        let s = 1_000_000;
        let times = [
            100 * s + 5,
            100 * s + 1,
            130 * s,
            200 * s,
            150 * s,
            300 * s,
            10 * s,
        ];
        let (out, late) = arranged(false, &times);
        assert!(out.is_sorted(), "{out:?}");
        assert_eq!(out.len(), times.len());
        // 150 s is within 60 s of 200 s; 10 s is far behind 300 s and joins the window's start.
        assert_eq!(late, 1);
        assert_eq!(&out[..3], &[100 * s + 1, 100 * s + 5, 130 * s]);
        assert_eq!(out[5], (300 - WINDOW_S) * s);
    }

    #[test]
    fn a_recording_plays_back_what_was_recorded() {
        let mut recorder = Recorder::new().unwrap();
        let requests: Vec<(SimTime, u32, u32)> = (0..100_000u64)
            .map(|i| (SimTime(i * i), (i % 3) as u32, (i * 7919 % 100_003) as u32))
            .collect();
        for &(at, route, page) in &requests {
            recorder.record(at, route, page).unwrap();
        }
        let recording = recorder.finish().unwrap();
        // Two readers at once, each from its own offset.
        let (mut a, mut b) = (recording.play(), recording.play());
        let mut got = Vec::new();
        while let Some(r) = a.next_request() {
            got.push(r);
            assert_eq!(b.next_request(), Some(r));
        }
        assert_eq!(got, requests);
        assert!(a.failed.is_none());
    }
}

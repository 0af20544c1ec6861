//! A route's recorded edits: the times its pages were published, replayed instead of the
//! Poisson edits of `edit_every` (`[[routes]] edits = { file = … }`, docs/traces.md).
//!
//! Each kept line's `match` capture names the page edited. With a trace, keys are the trace's
//! own: a page the trace requested keeps its id, and a page edited but never requested becomes a
//! page of its own (it still changes the list pages that aggregate it). With generated traffic,
//! the key is the page's index. Times line up with the trace (the same origin and `speed`), or
//! without one, start at the log's first edit.

use std::sync::Arc;

use regex::bytes::Regex;

use super::clock::Micros;
use super::matcher::PageKeys;
use super::{LogSource, Tally};
use crate::error::InputError;
use crate::time::SimTime;

/// `edits = { … }` of one route.
#[derive(Clone, Debug)]
pub struct EditSpec {
    pub log: LogSource,
    /// The `match`, as written, and compiled.
    pub rule_text: String,
    pub rule: Regex,
}

impl PartialEq for EditSpec {
    fn eq(&self, other: &EditSpec) -> bool {
        self.log == other.log && self.rule_text == other.rule_text
    }
}

/// How a key names a page of the route.
pub enum Keys<'a> {
    /// The trace's keys of the route, which edit-only pages join.
    Trace(&'a mut PageKeys),
    /// The page's index, below the route's `pages`.
    Index(u32),
}

/// Where simulated time 0 is in the log's time, and how fast the log plays.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// `None`: at the edit log's first kept line.
    pub origin: Option<Micros>,
    pub speed: f64,
}

/// A route's edits, read and sorted: (when, page within the route).
#[derive(Clone, Debug, PartialEq)]
pub struct EditLog {
    pub spec: EditSpec,
    pub tally: Tally,
    pub edits: Arc<[(SimTime, u32)]>,
}

impl EditLog {
    /// An edit log named but not read (see `Replay::named`): no edits.
    pub fn named(spec: &EditSpec) -> EditLog {
        EditLog {
            spec: spec.clone(),
            tally: Tally::default(),
            edits: Arc::new([]),
        }
    }

    pub fn read(spec: &EditSpec, mut keys: Keys, timing: Timing) -> Result<EditLog, InputError> {
        let log = &spec.log;
        let mut tally = Tally::default();
        let mut edits: Vec<(Micros, u32)> = Vec::new();
        let mut locations = spec.rule.capture_locations();
        let (mut unmatched, mut beyond_bound) = (0, 0);
        super::reader::each_kept(log, &mut tally, |record| {
            if spec
                .rule
                .captures_read(&mut locations, record.path)
                .is_none()
            {
                unmatched += 1;
                return;
            }
            let path = record.path;
            let key = locations.get(1).map_or(&b""[..], |(s, e)| &path[s..e]);
            let page = match &mut keys {
                Keys::Trace(pages) => pages.id(key),
                Keys::Index(pages) => std::str::from_utf8(key)
                    .ok()
                    .and_then(|k| k.parse::<u32>().ok())
                    .filter(|i| i < pages),
            };
            match page {
                Some(page) => edits.push((record.at, page)),
                None => beyond_bound += 1,
            }
        })?;
        (tally.unmatched, tally.beyond_bound) = (unmatched, beyond_bound);
        // An edit log need not be in order; edits of the same instant keep the log's order.
        edits.sort_by_key(|&(at, _)| at);
        let origin = timing
            .origin
            .or_else(|| edits.first().map(|&(at, _)| at))
            .unwrap_or(0);
        let before = edits.partition_point(|&(at, _)| at < origin);
        tally.outside = before as u64;
        let edits: Arc<[(SimTime, u32)]> = edits[before..]
            .iter()
            .map(|&(at, page)| {
                let since = (at - origin) as f64 / 1e6 / timing.speed;
                (SimTime::from_secs_f64(since), page)
            })
            .collect();
        tally.kept = edits.len() as u64;
        Ok(EditLog {
            spec: spec.clone(),
            tally,
            edits,
        })
    }
}

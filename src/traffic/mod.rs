//! Traffic patterns: how the users' requests arrive in time (docs/model.md §4, docs/scenario.md
//! `[traffic]`).
//!
//! Each pattern is one file: the keys it takes and the checks between them, its arrival process,
//! its peak and mean rate, which key bears the blame for too many requests, and how `isrsim
//! validate` describes it. [`PATTERNS`] registers them by name, and everything else (the scenario
//! reader, `validate`, the simulator, the load tester) goes through [`Pattern`]. Adding a pattern
//! is one file, its line in `PATTERNS`, its docs and its tests.
//!
//! The scenario reader (`scenario::parse`) reads every value of `[traffic]` by its key's
//! [`Kind`], so a bad value is named with its line as the file is read; then it checks that the
//! chosen pattern's keys, and only those, are given, and hands them to the pattern as [`Keys`].

pub mod bursty;
pub mod diurnal;
pub mod idle;
pub mod modifiers;
pub mod profile;
pub mod spike;
pub mod steady;
pub mod trace;

use std::any::Any;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use rand_distr::{Distribution, Exp1};

use crate::error::InputError;
use crate::logs::{LogSource, Replay, TraceSpec};
use crate::time::SimTime;

/// The generator arrivals are drawn from: the workload's traffic stream (`workload::rng`), which
/// is of this type (the compiler checks it where `workload::traffic` passes its stream here).
pub type Rng = rand_xoshiro::Xoshiro256PlusPlus;

/// Every pattern, by the name `[traffic] pattern` gives it, in the order messages list them.
pub const PATTERNS: &[Entry] = &[
    steady::PATTERN,
    bursty::PATTERN,
    idle::PATTERN,
    diurnal::PATTERN,
    spike::PATTERN,
    trace::PATTERN,
];

/// The pattern called `name`.
pub fn named(name: &str) -> Option<&'static Entry> {
    PATTERNS.iter().find(|p| p.name == name)
}

/// The names of every pattern, in `PATTERNS` order.
pub fn names() -> Vec<&'static str> {
    PATTERNS.iter().map(|p| p.name).collect()
}

/// A pattern as the registry knows it: its name, its keys, and how to read them.
pub struct Entry {
    pub name: &'static str,
    /// The keys it takes besides `pattern`, in the order messages list them.
    pub keys: &'static [Key],
    /// Builds the pattern from its keys, all of them checked by their `Kind` and the required
    /// ones present.
    pub read: fn(&Keys) -> Result<Read, InputError>,
}

impl Entry {
    /// The names of its keys.
    pub fn key_names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|k| k.name).collect()
    }
}

/// A key of `[traffic]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Key {
    pub const fn required(name: &'static str, kind: Kind) -> Key {
        Key {
            name,
            kind,
            required: true,
        }
    }

    pub const fn optional(name: &'static str, kind: Kind) -> Key {
        Key {
            name,
            kind,
            required: false,
        }
    }
}

/// What a key holds, which the scenario reader checks as it reads the file. A key of several
/// patterns has one kind (a test checks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A finite number of at least 0, as a rate in requests per second.
    Rate,
    /// A finite number above 0.
    Factor,
    /// A duration longer than 0.
    Length,
    /// A duration that may be 0: a time from the start.
    Offset,
    /// A key of the log a trace replays, read as a route's `edits` are.
    Log(LogKey),
    /// A list of this many weights, each a finite number of at least 0 (`Keys::weights` checks
    /// the count and that one at least is above 0).
    Weights(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKey {
    File,
    Format,
    Fields,
    Methods,
    Statuses,
}

/// A value of `[traffic]`, checked by its key's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Time(SimTime),
    /// A list of weights, each at least 0, as written (of any length).
    Weights(Vec<f64>),
    /// A log's key, which `Keys::log` reads.
    Log,
}

/// The chosen pattern's keys as the file gives them, where each stands, and the means to name
/// one in an error.
pub struct Keys<'a> {
    given: &'a [(&'static str, Value, Range<usize>)],
    /// Where `[traffic]` stands, for an error about a key it lacks.
    table: Range<usize>,
    /// An error about the key (`traffic.KEY`) at a place in the file.
    error: &'a dyn Fn(String, Range<usize>, String) -> InputError,
    /// The log the keys name, read as a route's `edits` are.
    log: &'a dyn Fn() -> Result<LogSource, InputError>,
}

impl<'a> Keys<'a> {
    pub fn new(
        given: &'a [(&'static str, Value, Range<usize>)],
        table: Range<usize>,
        error: &'a dyn Fn(String, Range<usize>, String) -> InputError,
        log: &'a dyn Fn() -> Result<LogSource, InputError>,
    ) -> Keys<'a> {
        Keys {
            given,
            table,
            error,
            log,
        }
    }

    fn value(&self, key: &str) -> Option<(&Value, Range<usize>)> {
        self.given
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, span)| (v, span.clone()))
    }

    /// Whether the file gives `key`.
    pub fn has(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// A number's value (`Rate`, `Factor`), or `default` if the file does not give it.
    pub fn number(&self, key: &str, default: f64) -> f64 {
        match self.value(key) {
            Some((Value::Number(x), _)) => *x,
            _ => default,
        }
    }

    /// A duration's value (`Length`, `Offset`), or `default` if the file does not give it.
    pub fn time(&self, key: &str, default: SimTime) -> SimTime {
        self.optional_time(key).unwrap_or(default)
    }

    /// A duration's value, if the file gives it.
    pub fn optional_time(&self, key: &str) -> Option<SimTime> {
        match self.value(key) {
            Some((Value::Time(t), _)) => Some(*t),
            _ => None,
        }
    }

    /// The `N` weights of `key`, if the file gives it: exactly `N`, one at least above 0.
    pub fn weights<const N: usize>(&self, key: &str) -> Result<Option<[f64; N]>, InputError> {
        let Some((Value::Weights(w), _)) = self.value(key) else {
            return Ok(None);
        };
        let weights: [f64; N] = w.as_slice().try_into().map_err(|_| {
            self.error(
                key,
                format!(
                    "has {} weights: exactly {N} are allowed, one a {}",
                    w.len(),
                    UNITS[N]
                ),
            )
        })?;
        if weights.iter().all(|&x| x == 0.0) {
            return Err(self.error(
                key,
                "weights are all 0: one at least must be above 0 (they are relative, as 1 and 2 \
                 make the second twice the first)",
            ));
        }
        Ok(Some(weights))
    }

    /// An error about `key`, at its line, or at `[traffic]` if the file does not give it.
    pub fn error(&self, key: &str, message: impl Into<String>) -> InputError {
        let span = self.value(key).map_or(self.table.clone(), |(_, span)| span);
        (self.error)(format!("traffic.{key}"), span, message.into())
    }

    /// The log the keys name.
    pub fn log(&self) -> Result<LogSource, InputError> {
        (self.log)()
    }

    /// A rate that must be above 0, or no request is ever sent.
    pub fn positive_rate(&self, key: &str) -> Result<f64, InputError> {
        let rate = self.number(key, 0.0);
        if self.has(key) && rate <= 0.0 {
            return Err(self.error(key, "must be above 0, or no request is ever sent"));
        }
        Ok(rate)
    }
}

/// What one weight of a list of `N` weights stands for.
const UNITS: [&str; 25] = {
    let mut units = [""; 25];
    units[7] = "day, from the day the run starts on";
    units[24] = "hour of the day, from 0h";
    units
};

/// A pattern's keys, read: a pattern to draw from, or a trace to read once the routes are known.
pub enum Read {
    Drawn(Traffic),
    Trace(TraceSpec),
}

/// One setting of a pattern as `validate` shows it, in the file's words.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// `key = 2.5`
    Number(&'static str, f64),
    /// `key = "3m"`
    Time(&'static str, SimTime),
    /// `key = "text"`
    Text(&'static str, String),
    /// A phrase of its own, as `end of the log`.
    Phrase(String),
}

/// A traffic pattern, its keys read and checked.
pub trait Pattern: fmt::Debug + Send + Sync + Any {
    /// Its entry in `PATTERNS`.
    fn entry(&self) -> &'static Entry;

    /// The highest rate it ever reaches, in requests per second: what `isrsim load` holds to
    /// `--max-rate` before it sends anything.
    fn peak_rate(&self) -> f64;

    /// The mean rate over `[0, duration)`, in requests per second: what `validate` shows, and
    /// what bounds the requests a run is expected to simulate.
    fn mean_rate(&self, duration: SimTime) -> f64;

    /// The key that contributes most requests to a run of `duration`, to blame when a run would
    /// simulate too many.
    fn busiest_key(&self, duration: SimTime) -> &'static str;

    /// Its settings as `validate` shows them, after `pattern = "NAME"`.
    fn settings(&self) -> Vec<Setting>;

    /// Its arrival process, which draws from `rng` (and may draw from it now). Past `until`, the
    /// search for the next arrival may stop, and any time after it be returned.
    fn arrivals(&self, rng: &mut Rng, until: SimTime) -> Box<dyn Arrivals>;

    /// A recorded log replayed, whose requests are not drawn (`arrivals` then has none).
    fn replay(&self) -> Option<&Arc<Replay>> {
        None
    }

    /// The requests it is expected to send in `[from, to)`, in seconds since t=0: its expected
    /// rate's integral. By default its mean rate times the length, exact for a pattern whose
    /// expected rate does not change (steady, idle, bursty in the long run).
    fn expected_between(&self, from: f64, to: f64) -> f64 {
        self.mean_rate(SimTime::from_secs(1)) * (to - from)
    }

    /// The highest rate it may reach in `[from, to)`: by default its peak.
    fn peak_between(&self, _from: f64, _to: f64) -> f64 {
        self.peak_rate()
    }

    /// The same pattern with every rate multiplied by `factor`, for the modifiers' thinning
    /// (`modifiers`); `None` for a trace, whose rates are the log's.
    fn scaled(&self, factor: f64) -> Option<Traffic>;

    /// Its daily shape (and weekly weights), each normalized to a mean of 1: what a route's
    /// `edit_profile = "traffic"` follows. Flat by default.
    fn shape(&self) -> profile::Shape {
        profile::Shape::default()
    }
}

/// An arrival process.
pub trait Arrivals: Send {
    /// The time of the next arrival, in seconds since t=0.
    fn next(&mut self, rng: &mut Rng) -> f64;
}

/// The scenario's pattern: shared by every run and thread, as a scenario is.
#[derive(Clone)]
pub struct Traffic(Arc<dyn Pattern>);

impl Traffic {
    pub fn new(pattern: impl Pattern) -> Traffic {
        Traffic(Arc::new(pattern))
    }

    /// Its `pattern` word.
    pub fn name(&self) -> &'static str {
        self.0.entry().name
    }

    /// The pattern, if it is a `P`.
    pub fn get<P: Pattern>(&self) -> Option<&P> {
        let any: &dyn Any = &*self.0;
        any.downcast_ref()
    }
}

impl Deref for Traffic {
    type Target = dyn Pattern;

    fn deref(&self) -> &(dyn Pattern + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The gap to the next arrival of a Poisson process of `rate` per second: never, at rate 0.
pub(crate) fn exp_gap(rate: f64, rng: &mut Rng) -> f64 {
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    let e: f64 = Exp1.sample(rng);
    e / rate
}

/// An exponential draw of mean `mean` seconds.
pub(crate) fn exp_mean(mean: f64, rng: &mut Rng) -> f64 {
    let e: f64 = Exp1.sample(rng);
    e * mean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use rand::SeedableRng;

    /// A scenario of one route and one policy whose `[traffic]` table is `keys`, read.
    pub(crate) fn read(keys: &str) -> Result<Scenario, InputError> {
        let text = format!(
            "duration = \"1h\"\n[traffic]\n{keys}\n[[routes]]\nname = \"posts\"\npages = 10\n\
             regen_time = \"1s\"\n[[policies]]\nname = \"p\"\nrevalidate = \"60s\"\n"
        );
        Scenario::parse(&text, std::path::Path::new("t.toml"))
    }

    /// The key and line of the error reading `keys`, and its message.
    pub(crate) fn refused(keys: &str) -> (String, usize, String) {
        let e = read(keys).expect_err(keys);
        (e.key.unwrap_or_default(), e.line.unwrap_or(0), e.message)
    }

    /// The arrivals of `pattern` before `until_s` seconds, from `seed`.
    pub(crate) fn count(pattern: &dyn Pattern, until_s: f64, seed: u64) -> usize {
        let mut rng = Rng::seed_from_u64(seed);
        let mut a = pattern.arrivals(&mut rng, SimTime(u64::MAX));
        std::iter::from_fn(|| Some(a.next(&mut rng)))
            .take_while(|&t| t < until_s)
            .count()
    }

    /// The arrival times of `pattern` before `until_s` seconds, from `seed`.
    pub(crate) fn times(pattern: &dyn Pattern, until_s: f64, seed: u64) -> Vec<f64> {
        let mut rng = Rng::seed_from_u64(seed);
        let mut a = pattern.arrivals(&mut rng, SimTime::from_secs_f64(until_s));
        std::iter::from_fn(|| Some(a.next(&mut rng)))
            .take_while(|&t| t < until_s)
            .collect()
    }

    #[test]
    fn the_registry_lists_every_pattern_once() {
        let names = names();
        assert_eq!(
            names,
            ["steady", "bursty", "idle", "diurnal", "spike", "trace"]
        );
        for name in &names {
            assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name}");
            assert_eq!(named(name).map(|p| p.name), Some(*name));
        }
        assert!(named("steddy").is_none());
    }

    #[test]
    fn an_unknown_pattern_is_refused_with_the_names_allowed() {
        let (key, line, message) = refused("pattern = \"steddy\"\nrate = 1");
        assert_eq!((key.as_str(), line), ("traffic.pattern", 3));
        for name in names() {
            assert!(message.contains(&format!("`{name}`")), "{message}");
        }
    }

    #[test]
    fn a_key_of_another_pattern_is_refused_naming_the_keys_allowed() {
        let (key, line, message) = refused("pattern = \"steady\"\nrate = 1\nburst_rate = 3");
        assert_eq!((key.as_str(), line), ("traffic.burst_rate", 5));
        assert!(
            message.contains("pattern `steady`, which takes `rate`"),
            "{message}"
        );
        let (key, line, message) = refused("pattern = \"steady\"");
        assert_eq!((key.as_str(), line), ("traffic.rate", 2));
        assert!(message.contains("needs `rate`"), "{message}");
    }

    #[test]
    fn a_key_of_several_patterns_has_one_kind_and_none_is_called_pattern() {
        let keys: Vec<&Key> = PATTERNS.iter().flat_map(|p| p.keys).collect();
        for a in &keys {
            assert_ne!(a.name, "pattern");
            for b in keys.iter().filter(|b| b.name == a.name) {
                assert_eq!(a.kind, b.kind, "`{}`", a.name);
            }
        }
        for p in PATTERNS {
            let names = p.key_names();
            for (i, k) in names.iter().enumerate() {
                assert!(!names[..i].contains(k), "{} lists `{k}` twice", p.name);
            }
        }
    }
}

//! The scenario file as written (docs/scenario.md), and its resolution into a [`Scenario`].
//!
//! serde reads the file into the `Raw*` structs below. Every single-value check (a duration, a
//! probability, a count of at least one, an enum keyword) lives in the `Deserialize` impl of a
//! small newtype, so toml and `serde_path_to_error` attach the line and the dotted key to the
//! error for free. Checks that involve several keys (a `depends_on` cycle, shares summing to 0,
//! `burst_every` against `burst_length`) run afterwards on values that kept their
//! [`Spanned`] position, so they too can name the key and the line.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_path_to_error::Segment;
use toml::Spanned;

use super::{
    Backend, Balancer, Bound, CacheMode, Cdn, Distribution, Monitor, OnEdit, Origin, Policy,
    PurgeKind, Route, RoutePolicy, Scenario, Traffic,
};
use crate::error::InputError;
use crate::metrics::{Column, RUN_COLUMNS, Unit};
use crate::slo::Side;
use crate::time::{SimTime, parse_duration};

/// Reads a scenario's text; `path` names the file in errors and gives the default `name`.
/// A `[sweep]` table is an error unless `sweep_allowed` (the caller expands it).
pub(super) fn parse(text: &str, path: &Path, sweep_allowed: bool) -> Result<Scenario, InputError> {
    let source = Source { text, path };
    let document = toml::Deserializer::parse(text).map_err(|e| source.syntax_error(&e))?;
    let raw: RawScenario =
        serde_path_to_error::deserialize(document).map_err(|e| source.shape_error(&e))?;
    if let (Some(sweep), false) = (&raw.sweep, sweep_allowed) {
        return Err(source.at(
            "sweep",
            sweep,
            "a sweep describes several scenarios: read the file as a `Study`",
        ));
    }
    raw.resolve(&source)
}

// ---------------------------------------------------------------------------------------------
// Errors: a byte span becomes a line and a column.

struct Source<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Source<'_> {
    fn error(
        &self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> InputError {
        let mut error = InputError::new(self.path, message);
        error.key = Some(key.into()).filter(|k: &String| !k.is_empty());
        if let Some(span) = span {
            let (line, column) = line_and_column(self.text, span.start);
            error.line = Some(line);
            error.column = Some(column);
        }
        error
    }

    /// An error about a value that kept its position.
    fn at<T>(
        &self,
        key: impl Into<String>,
        value: &Spanned<T>,
        message: impl Into<String>,
    ) -> InputError {
        self.error(key, Some(value.span()), message)
    }

    fn syntax_error(&self, e: &toml::de::Error) -> InputError {
        self.error(
            String::new(),
            e.span(),
            format!("not valid TOML: {}", e.message().trim()),
        )
    }

    /// A wrong type, a bad value or an unknown key found while serde read the file.
    fn shape_error(&self, e: &serde_path_to_error::Error<toml::de::Error>) -> InputError {
        let mut key = dotted_key(e.path());
        let inner = e.inner();
        let mut message = inner.message().trim().to_string();
        if let Some(field) = quoted_after(&message, "missing field ") {
            key = join_key(&key, field);
            message = format!("`{field}` is required here");
        } else if let Some(rest) = message.strip_prefix("unknown field ") {
            message = match quoted_after(&message, "unknown field ") {
                // `[traffic]`'s keys depend on the pattern, so list them per pattern.
                Some(field) if key.starts_with("traffic.") => {
                    format!("unknown key `{field}`: {}", Pattern::keys_by_pattern())
                }
                _ => format!("unknown key {rest}"),
            };
        }
        self.error(key, inner.span(), message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, column)
}

/// `routes[0].pages`, from serde_path_to_error's segments (minus `Spanned`'s private fields).
fn dotted_key(path: &serde_path_to_error::Path) -> String {
    let mut key = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: name } if name.starts_with("$__serde_spanned_private") => {}
            Segment::Map { key: name } => key = join_key(&key, name),
            Segment::Enum { variant } => key = join_key(&key, variant),
            Segment::Unknown => key = join_key(&key, "?"),
        }
    }
    key
}

fn join_key(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// The text between the backquotes right after `prefix`, as in "missing field `pages`".
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// "`a`, `b` or `c`"
fn one_of(words: &[&str]) -> String {
    listed(words, "or")
}

/// "`a`, `b` and `c`"
fn all_of(words: &[&str]) -> String {
    listed(words, "and")
}

fn listed(words: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {conjunction} {last}", rest.join(", "))
        }
        _ => quoted.join(""),
    }
}

// ---------------------------------------------------------------------------------------------
// Values that check themselves while serde reads them.

const DURATION_EXAMPLE: &str = "a duration string such as \"250ms\", \"1.5s\", \"15m\" or \"6h\"";

/// A duration that may be zero: a delay, an rtt, a warm-up.
#[derive(Clone, Copy, Debug)]
struct Delay(SimTime);

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Delay;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_EXAMPLE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Delay, E> {
                parse_duration(v).map(Delay).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A duration that must be longer than zero: an interval, a length, a period.
#[derive(Clone, Copy, Debug)]
struct Interval(SimTime);

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Delay(t) = Delay::deserialize(d)?;
        if t == SimTime::ZERO {
            return Err(de::Error::custom("must be longer than 0s"));
        }
        Ok(Interval(t))
    }
}

/// A positive interval, or `false` for none (`revalidate`, `schedule`).
#[derive(Clone, Copy, Debug)]
struct IntervalOrNone(Option<SimTime>);

impl<'de> Deserialize<'de> for IntervalOrNone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntervalOrNone;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{DURATION_EXAMPLE}, or `false` for none")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<IntervalOrNone, E> {
                if v {
                    Err(E::custom(
                        "`true` is not an interval: give a duration such as \"60s\", or `false` for none",
                    ))
                } else {
                    Ok(IntervalOrNone(None))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntervalOrNone, E> {
                match parse_duration(v).map_err(E::custom)? {
                    SimTime::ZERO => Err(E::custom(
                        "must be longer than 0s (use `false` for no interval)",
                    )),
                    t => Ok(IntervalOrNone(Some(t))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The error for a value outside what a key allows: "0 is not allowed: expected {what}".
fn not_allowed<E: de::Error>(v: impl fmt::Display, what: impl fmt::Display) -> E {
    E::custom(format!("{v} is not allowed: expected {what}"))
}

/// A TOML integer or float, as f64, kept if `allowed`; `what` says which numbers are allowed.
fn number<'de, D: Deserializer<'de>>(
    d: D,
    what: &'static str,
    allowed: fn(f64) -> bool,
) -> Result<f64, D::Error> {
    struct V(&'static str);
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
    }
    let v = d.deserialize_any(V(what))?;
    if allowed(v) {
        // `+ 0.0` turns -0.0 into 0.0.
        Ok(v + 0.0)
    } else {
        Err(not_allowed(v, what))
    }
}

/// A finite number >= 0: a rate, a share, a Zipf exponent.
#[derive(Clone, Copy, Debug)]
struct NonNegative(f64);

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a finite number of at least 0", |v| {
            v.is_finite() && v >= 0.0
        })
        .map(NonNegative)
    }
}

/// A finite number > 0 (`spike_factor`).
#[derive(Clone, Copy, Debug)]
struct Positive(f64);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a finite number above 0", |v| v.is_finite() && v > 0.0).map(Positive)
    }
}

/// A probability in [0, 1].
#[derive(Clone, Copy, Debug)]
struct Probability(f64);

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a probability from 0 to 1", |v| (0.0..=1.0).contains(&v)).map(Probability)
    }
}

/// A TOML integer in `min..=max`; `what` says which integers are allowed.
fn integer<'de, D: Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
    what: &'static str,
) -> Result<u64, D::Error> {
    struct V(&'static str);
    impl Visitor<'_> for V {
        type Value = i128;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
    }
    let v = d.deserialize_any(V(what))?;
    u64::try_from(v)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| not_allowed(v, what))
}

/// A whole number from 1 to u32::MAX: pages, pops, instances, replications, concurrency.
#[derive(Clone, Copy, Debug)]
struct Count(u32);

const COUNT: &str = "a whole number of at least 1";

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = integer(d, 1, u64::from(u32::MAX), COUNT)?;
        u32::try_from(v)
            .map(Count)
            .map_err(|_| de::Error::custom(format!("{v} is too large")))
    }
}

/// The run's seed: any integer >= 0.
#[derive(Clone, Copy, Debug)]
struct Seed(u64);

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        integer(d, 0, u64::MAX, "a whole number of at least 0").map(Seed)
    }
}

/// `[backend] concurrency`: a count, or "unlimited" (`None`).
#[derive(Clone, Copy, Debug)]
struct Concurrency(Option<u32>);

impl<'de> Deserialize<'de> for Concurrency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a whole number of at least 1, or \"unlimited\"";
        struct V;
        impl V {
            fn count<E: de::Error>(v: i128) -> Result<Concurrency, E> {
                match u32::try_from(v) {
                    Ok(n) if n >= 1 => Ok(Concurrency(Some(n))),
                    _ => Err(not_allowed(v, WHAT)),
                }
            }
        }
        impl Visitor<'_> for V {
            type Value = Concurrency;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Concurrency, E> {
                V::count(i128::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Concurrency, E> {
                V::count(i128::from(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Concurrency, E> {
                if v == "unlimited" {
                    Ok(Concurrency(None))
                } else {
                    Err(not_allowed(format_args!("`{v}`"), WHAT))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An enum written as one of a fixed set of strings.
trait Keyword: Copy + 'static {
    const WORDS: &'static [(&'static str, Self)];

    fn names() -> Vec<&'static str> {
        Self::WORDS.iter().map(|(name, _)| *name).collect()
    }
}

#[derive(Clone, Copy, Debug)]
struct Word<T>(T);

impl<'de, T: Keyword> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Keyword> Visitor<'_> for V<T> {
            type Value = Word<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", one_of(&T::names()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Word<T>, E> {
                T::WORDS
                    .iter()
                    .find(|(name, _)| *name == v)
                    .map(|&(_, value)| Word(value))
                    .ok_or_else(|| {
                        not_allowed(
                            format_args!("`{v}`"),
                            format_args!("one of {}", one_of(&T::names())),
                        )
                    })
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

impl Keyword for CacheMode {
    const WORDS: &'static [(&'static str, Self)] =
        &[("local", CacheMode::Local), ("shared", CacheMode::Shared)];
}

impl Keyword for Balancer {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("round-robin", Balancer::RoundRobin),
        ("random", Balancer::Random),
        ("hash", Balancer::Hash),
    ];
}

impl Keyword for OnEdit {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("none", OnEdit::None),
        ("regenerate", OnEdit::Regenerate),
        ("invalidate", OnEdit::Invalidate),
        ("mark-stale", OnEdit::MarkStale),
    ];
}

impl Keyword for PurgeKind {
    const WORDS: &'static [(&'static str, Self)] =
        &[("hard", PurgeKind::Hard), ("soft", PurgeKind::Soft)];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    Steady,
    Bursty,
    Idle,
    Diurnal,
    Spike,
}

impl Keyword for Pattern {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("steady", Pattern::Steady),
        ("bursty", Pattern::Bursty),
        ("idle", Pattern::Idle),
        ("diurnal", Pattern::Diurnal),
        ("spike", Pattern::Spike),
    ];
}

impl Pattern {
    fn name(self) -> &'static str {
        Self::WORDS
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(name, _)| name)
    }

    /// The `[traffic]` keys this pattern takes, besides `pattern`.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Pattern::Steady | Pattern::Idle => &["rate"],
            Pattern::Bursty => &["base_rate", "burst_rate", "burst_length", "burst_every"],
            Pattern::Diurnal => &["min_rate", "max_rate", "period", "peak_at"],
            Pattern::Spike => &["rate", "spike_factor", "spike_at", "spike_length"],
        }
    }

    fn keys_by_pattern() -> String {
        let parts: Vec<String> = Self::WORDS
            .iter()
            .map(|(name, p)| format!("pattern `{name}` takes {}", all_of(p.keys())))
            .collect();
        format!("besides `pattern`, {}", parts.join("; "))
    }
}

#[derive(Clone, Copy, Debug)]
enum DistributionKind {
    Exponential,
    Uniform,
    LogNormal,
}

impl Keyword for DistributionKind {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("exponential", DistributionKind::Exponential),
        ("uniform", DistributionKind::Uniform),
        ("lognormal", DistributionKind::LogNormal),
    ];
}

const DISTRIBUTION_EXAMPLE: &str = "a duration such as \"300ms\", { exponential = \"2s\" }, \
    { uniform = [\"100ms\", \"2s\"] } or { lognormal = { median = \"300ms\", p99 = \"3s\" } }";

/// A distribution of durations (docs/scenario.md, "Values"): a constant duration or a one-key
/// table.
#[derive(Clone, Debug)]
struct Dist(Distribution);

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DISTRIBUTION_EXAMPLE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
                parse_duration(v)
                    .map(|t| Dist(Distribution::Constant(t)))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
                let Some(Word(kind)) = map.next_key::<Word<DistributionKind>>()? else {
                    return Err(de::Error::custom(format!(
                        "an empty table is not a distribution: expected {DISTRIBUTION_EXAMPLE}"
                    )));
                };
                let distribution = match kind {
                    DistributionKind::Exponential => Distribution::Exponential {
                        mean: map.next_value::<Delay>()?.0,
                    },
                    DistributionKind::Uniform => {
                        let UniformBounds(low, high) = map.next_value()?;
                        Distribution::Uniform { low, high }
                    }
                    DistributionKind::LogNormal => {
                        let LogNormal { median, p99 } = map.next_value()?;
                        Distribution::LogNormal { median, p99 }
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a distribution has exactly one of `exponential`, `uniform` or `lognormal`, \
                         but `{extra}` is also given"
                    )));
                }
                Ok(Dist(distribution))
            }
        }
        d.deserialize_any(V)
    }
}

/// `uniform = ["100ms", "2s"]`: low <= high.
struct UniformBounds(SimTime, SimTime);

impl<'de> Deserialize<'de> for UniformBounds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "two durations [low, high], such as [\"100ms\", \"2s\"]";
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniformBounds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniformBounds, A::Error> {
                let low = seq
                    .next_element::<Delay>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let high = seq
                    .next_element::<Delay>()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format!(
                        "too many values: expected {WHAT}"
                    )));
                }
                if low.0 > high.0 {
                    return Err(de::Error::custom(format!(
                        "the low bound {} is above the high bound {}",
                        low.0, high.0
                    )));
                }
                Ok(UniformBounds(low.0, high.0))
            }
        }
        d.deserialize_seq(V)
    }
}

/// `lognormal = { median = "300ms", p99 = "3s" }`: 0 < median < p99.
struct LogNormal {
    median: SimTime,
    p99: SimTime,
}

impl<'de> Deserialize<'de> for LogNormal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            median: Delay,
            p99: Delay,
        }
        let Raw {
            median: Delay(median),
            p99: Delay(p99),
        } = Raw::deserialize(d)?;
        if median == SimTime::ZERO {
            return Err(de::Error::custom("the `median` must be longer than 0s"));
        }
        if p99 <= median {
            return Err(de::Error::custom(format!(
                "the `p99` ({p99}) must be above the `median` ({median})"
            )));
        }
        Ok(LogNormal { median, p99 })
    }
}

// ---------------------------------------------------------------------------------------------
// `[slo]`: bounds on the means of `summary.csv`, checked after the run by `crate::slo`.

impl Keyword for Side {
    const WORDS: &'static [(&'static str, Self)] = &[("min", Side::Min), ("max", Side::Max)];
}

/// `[slo]`, or a policy's `slo = { ... }`: one bound per metric, in file order.
struct Slo(Vec<Bound>);

impl<'de> Deserialize<'de> for Slo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Slo;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of `summary.csv` columns, each with a bound")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slo, A::Error> {
                let mut bounds = Vec::new();
                while let Some(metric) = map.next_key::<String>()? {
                    bounds.push(map.next_value_seed(BoundOn(metric))?);
                }
                Ok(Slo(bounds))
            }
        }
        d.deserialize_map(V)
    }
}

/// The bound on the metric its key names. The metric's unit decides which values are allowed, so
/// the name travels into the value as a seed, and an error still lands on the key and its line.
struct BoundOn(String);

impl<'de> DeserializeSeed<'de> for BoundOn {
    type Value = Bound;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Bound, D::Error> {
        let metric = self.0;
        let Some(column) = RUN_COLUMNS.iter().find(|c| c.name == metric) else {
            let names: Vec<&str> = RUN_COLUMNS.iter().map(|c| c.name).collect();
            let hint = if metric.ends_with("_ci95") {
                " (a bound applies to a metric's mean, not to its `_ci95` half-width)"
            } else {
                ""
            };
            return Err(de::Error::custom(format!(
                "`{metric}` is not a metric column of `summary.csv`{hint}: expected one of {}",
                one_of(&names)
            )));
        };
        d.deserialize_any(BoundVisitor(column))
    }
}

/// A bare value (an upper bound), or `{ min = ..., max = ... }` with at least one of the two.
struct BoundVisitor(&'static Column);

impl BoundVisitor {
    fn upper(&self, max: f64) -> Bound {
        Bound {
            metric: self.0.name.to_string(),
            min: None,
            max: Some(max),
        }
    }
}

impl<'de> Visitor<'de> for BoundVisitor {
    type Value = Bound;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{} as an upper bound, or a table such as {{ min = ... }} or {{ min = ..., max = ... }}",
            Limit(self.0).what()
        )
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bound, E> {
        Limit(self.0).visit_i64(v).map(|max| self.upper(max))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bound, E> {
        Limit(self.0).visit_u64(v).map(|max| self.upper(max))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bound, E> {
        Limit(self.0).visit_f64(v).map(|max| self.upper(max))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bound, E> {
        Limit(self.0).visit_str(v).map(|max| self.upper(max))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bound, A::Error> {
        let (mut min, mut max) = (None, None);
        while let Some(Word(side)) = map.next_key::<Word<Side>>()? {
            let limit = map.next_value_seed(Limit(self.0))?;
            match side {
                Side::Min => min = Some(limit),
                Side::Max => max = Some(limit),
            }
        }
        match (min, max) {
            (None, None) => Err(de::Error::custom(
                "an empty table sets no bound: give `min`, `max` or both",
            )),
            (Some(min), Some(max)) if min > max => Err(de::Error::custom(format!(
                "`min` ({min}) is above `max` ({max}), so no value could meet the bound"
            ))),
            _ => Ok(Bound {
                metric: self.0.name.to_string(),
                min,
                max,
            }),
        }
    }
}

/// One limit of a bound, in its column's unit: a number, or for `_s` and `_ms` columns a duration.
/// Every column counts or measures something, so a negative limit is never meaningful.
#[derive(Clone, Copy)]
struct Limit(&'static Column);

impl Limit {
    fn what(self) -> &'static str {
        match self.0.unit {
            Unit::Ratio => "a ratio from 0 to 1",
            Unit::Seconds => "a number of seconds of at least 0, or a duration such as \"10m\"",
            Unit::Millis => {
                "a number of milliseconds of at least 0, or a duration such as \"250ms\""
            }
            Unit::Count | Unit::PerSecond => "a finite number of at least 0",
        }
    }

    fn check<E: de::Error>(self, v: f64) -> Result<f64, E> {
        let in_range = v.is_finite() && v >= 0.0 && (self.0.unit != Unit::Ratio || v <= 1.0);
        if in_range {
            // `+ 0.0` turns -0.0 into 0.0.
            Ok(v + 0.0)
        } else {
            Err(not_allowed(v, self.what()))
        }
    }
}

impl<'de> DeserializeSeed<'de> for Limit {
    type Value = f64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Limit {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.check(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.check(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        self.check(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match self.0.unit {
            Unit::Seconds => parse_duration(v)
                .map(SimTime::as_secs_f64)
                .map_err(E::custom),
            Unit::Millis => parse_duration(v)
                .map(SimTime::as_millis_f64)
                .map_err(E::custom),
            _ => Err(E::custom(format!(
                "`{}` takes {}, not a duration: only `_s` and `_ms` columns take durations",
                self.0.name,
                self.what()
            ))),
        }
    }
}

/// The bounds a policy is held to: `global`, with the policy's `own` bound replacing the global
/// one of the same metric, then the metrics only the policy bounds, each list in file order.
fn policy_slo(global: &[Bound], own: &[Bound]) -> Vec<Bound> {
    let own_bound = |metric: &str| own.iter().find(|b| b.metric == metric);
    let mut bounds: Vec<Bound> = global
        .iter()
        .map(|g| own_bound(&g.metric).unwrap_or(g).clone())
        .collect();
    bounds.extend(
        own.iter()
            .filter(|b| !global.iter().any(|g| g.metric == b.metric))
            .cloned(),
    );
    bounds
}

// ---------------------------------------------------------------------------------------------
// The file's shape.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    description: Option<String>,
    duration: Spanned<Interval>,
    warmup: Option<Spanned<Delay>>,
    seed: Option<Seed>,
    replications: Option<Count>,
    bucket: Option<Spanned<Interval>>,
    traffic: Spanned<RawTraffic>,
    routes: Spanned<Vec<RawRoute>>,
    cdn: Option<RawCdn>,
    origin: Option<RawOrigin>,
    backend: Option<RawBackend>,
    policies: Spanned<Vec<RawPolicy>>,
    monitor: Option<RawMonitor>,
    slo: Option<Slo>,
    /// Expanded by `sweep.rs`; only its presence matters here.
    sweep: Option<Spanned<IgnoredAny>>,
}

/// Every key of every pattern; `resolve` checks that only the chosen pattern's keys are given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraffic {
    pattern: Word<Pattern>,
    rate: Option<Spanned<NonNegative>>,
    base_rate: Option<Spanned<NonNegative>>,
    burst_rate: Option<Spanned<NonNegative>>,
    burst_length: Option<Spanned<Interval>>,
    burst_every: Option<Spanned<Interval>>,
    min_rate: Option<Spanned<NonNegative>>,
    max_rate: Option<Spanned<NonNegative>>,
    period: Option<Spanned<Interval>>,
    peak_at: Option<Spanned<Delay>>,
    spike_factor: Option<Spanned<Positive>>,
    spike_at: Option<Spanned<Delay>>,
    spike_length: Option<Spanned<Interval>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: Spanned<String>,
    pages: Count,
    share: Option<Spanned<NonNegative>>,
    popularity: Option<NonNegative>,
    edit_every: Option<Interval>,
    regen_time: Dist,
    prerendered: Option<bool>,
    depends_on: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCdn {
    pops: Option<Spanned<Count>>,
    ttl: Option<Interval>,
    stale_while_revalidate: Option<Delay>,
    collapse: Option<bool>,
    warm: Option<bool>,
    rtt: Option<Delay>,
    origin_rtt: Option<Delay>,
    purge_delay: Option<Dist>,
    purge_failure: Option<Probability>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrigin {
    instances: Option<Count>,
    cache: Option<Word<CacheMode>>,
    lock: Option<bool>,
    balancer: Option<Word<Balancer>>,
    expire: Option<Interval>,
    rtt: Option<Delay>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackend {
    concurrency: Option<Concurrency>,
    failure_rate: Option<Probability>,
    timeout: Option<Interval>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitor {
    alert_after: Option<Interval>,
}

/// Declares the policy keys once for both tables that take them, `[[policies]]` and a
/// `routes.NAME = { ... }` override, so that an override can set exactly what a policy can.
/// (`#[serde(flatten)]` would share them too, but serde does not support it together with
/// `deny_unknown_fields`.) A policy's `slo` is judged on the whole run, not per route, so only
/// `[[policies]]` takes it.
macro_rules! policy_tables {
    ($($key:ident: $value:ty,)*) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawPolicy {
            name: Spanned<String>,
            $($key: Option<$value>,)*
            routes: Option<Overrides>,
            slo: Option<Slo>,
        }

        /// The policy keys a `routes.NAME = { ... }` override may set.
        #[derive(Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PolicyFields {
            $($key: Option<$value>,)*
        }

        impl RawPolicy {
            /// The name, the keys set for every route, the overrides, and the policy's own
            /// bounds.
            fn into_parts(
                self,
            ) -> (Spanned<String>, PolicyFields, Option<Overrides>, Option<Slo>) {
                let RawPolicy { name, $($key,)* routes, slo } = self;
                (name, PolicyFields { $($key,)* }, routes, slo)
            }
        }
    };
}

policy_tables! {
    revalidate: IntervalOrNone,
    on_edit: Word<OnEdit>,
    webhook_delay: Dist,
    webhook_failure: Probability,
    broadcast: bool,
    purge_cdn: bool,
    purge: Word<PurgeKind>,
    schedule: IntervalOrNone,
}

impl PolicyFields {
    /// Sets the keys given here, and leaves the others as they are.
    fn apply(&self, to: &mut RoutePolicy) {
        if let Some(IntervalOrNone(v)) = self.revalidate {
            to.revalidate = v;
        }
        if let Some(Word(v)) = self.on_edit {
            to.on_edit = v;
        }
        if let Some(Dist(v)) = &self.webhook_delay {
            to.webhook_delay = v.clone();
        }
        if let Some(Probability(v)) = self.webhook_failure {
            to.webhook_failure = v;
        }
        if let Some(v) = self.broadcast {
            to.broadcast = v;
        }
        if let Some(v) = self.purge_cdn {
            to.purge_cdn = v;
        }
        if let Some(Word(v)) = self.purge {
            to.purge = v;
        }
        if let Some(IntervalOrNone(v)) = self.schedule {
            to.schedule = v;
        }
    }
}

/// `routes.NAME = { ... }` in file order, so the first bad name is the one reported.
struct Overrides(Vec<(String, Spanned<PolicyFields>)>);

impl<'de> Deserialize<'de> for Overrides {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Overrides;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of route names, each with a table of policy keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Overrides, A::Error> {
                let mut entries = Vec::new();
                while let Some(route) = map.next_key::<String>()? {
                    entries.push((route, map.next_value()?));
                }
                Ok(Overrides(entries))
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution: defaults, names to indices, checks across keys.

impl RawScenario {
    fn resolve(self, source: &Source) -> Result<Scenario, InputError> {
        let name = match &self.name {
            Some(name) => check_scenario_name(source, name)?,
            None => default_name(source.path),
        };
        let duration = self.duration.get_ref().0;
        let warmup = match &self.warmup {
            Some(w) if w.get_ref().0 >= duration => {
                return Err(source.at(
                    "warmup",
                    w,
                    format!("must be shorter than the `duration` ({duration}), or the run measures nothing"),
                ));
            }
            Some(w) => w.get_ref().0,
            None => SimTime::ZERO,
        };
        let traffic = resolve_traffic(source, &self.traffic)?;
        if let Some(pops) = self.cdn.as_ref().and_then(|c| c.pops.as_ref())
            && pops.get_ref().0 > u32::from(u16::MAX)
        {
            return Err(source.at(
                "cdn.pops",
                pops,
                format!(
                    "{} is not allowed: at most {} PoPs",
                    pops.get_ref().0,
                    u16::MAX
                ),
            ));
        }
        let routes_span = self.routes.span();
        let routes = resolve_routes(source, self.routes)?;
        let slo = self.slo.map_or_else(Vec::new, |s| s.0);
        let policies = resolve_policies(source, self.policies, &routes, &slo)?;
        let cdn = self.cdn.map(|c| Cdn {
            pops: c.pops.as_ref().map_or(1, |n| n.get_ref().0),
            ttl: c.ttl.map(|t| t.0),
            stale_while_revalidate: c.stale_while_revalidate.map(|t| t.0),
            collapse: c.collapse.unwrap_or(true),
            warm: c.warm.unwrap_or(false),
            rtt: c.rtt.map_or(SimTime::ZERO, |t| t.0),
            origin_rtt: c.origin_rtt.map_or(SimTime::ZERO, |t| t.0),
            purge_delay: c
                .purge_delay
                .map_or(Distribution::Constant(SimTime::ZERO), |d| d.0),
            purge_failure: c.purge_failure.map_or(0.0, |p| p.0),
        });
        // A table left out takes the same defaults as one with every key left out.
        let o = self.origin.unwrap_or_default();
        let origin = Origin {
            instances: o.instances.map_or(1, |n| n.0),
            cache: o.cache.map_or(CacheMode::Local, |w| w.0),
            lock: o.lock.unwrap_or(false),
            balancer: o.balancer.map_or(Balancer::RoundRobin, |w| w.0),
            expire: o.expire.map_or(NEXT_EXPIRE_TIME, |t| t.0),
            rtt: o.rtt.map_or(SimTime::ZERO, |t| t.0),
        };
        let b = self.backend.unwrap_or_default();
        let backend = Backend {
            concurrency: b.concurrency.and_then(|c| c.0),
            failure_rate: b.failure_rate.map_or(0.0, |p| p.0),
            timeout: b.timeout.map(|t| t.0),
        };
        let monitor = Monitor {
            alert_after: self
                .monitor
                .and_then(|m| m.alert_after)
                .map_or(DEFAULT_ALERT_AFTER, |t| t.0),
        };
        let bucket = self
            .bucket
            .as_ref()
            .map_or_else(|| default_bucket(duration), |b| b.get_ref().0);
        // Sizes the model allocates up front: refuse what no machine could hold, rather than abort.
        let buckets = duration.as_micros() / bucket.as_micros().max(1);
        if buckets > MAX_BUCKETS {
            let message = format!(
                "{buckets} time buckets over `duration`: at most {MAX_BUCKETS} are allowed, so `bucket` must be at least {}",
                SimTime(duration.as_micros().div_ceil(MAX_BUCKETS))
            );
            return Err(match &self.bucket {
                Some(b) => source.at("bucket", b, message),
                None => source.error("bucket", None, message),
            });
        }
        let pages: u64 = routes.iter().map(|r| u64::from(r.pages)).sum();
        let caches = u64::from(cdn.as_ref().map_or(0, |c| c.pops)) + u64::from(origin.instances);
        if pages > MAX_PAGES || pages.saturating_mul(caches) > MAX_CACHE_ENTRIES {
            return Err(source.error(
                "routes",
                Some(routes_span),
                format!(
                    "{pages} pages in {caches} caches (PoPs and instances) is too large to simulate: at most {MAX_PAGES} pages and {MAX_CACHE_ENTRIES} page-cache entries are allowed"
                ),
            ));
        }
        Ok(Scenario {
            name,
            description: self.description.unwrap_or_default(),
            path: source.path.to_path_buf(),
            source: source.text.to_string(),
            duration,
            warmup,
            seed: self.seed.map_or(0, |s| s.0),
            replications: self.replications.map_or(1, |n| n.0),
            bucket,
            traffic,
            routes,
            cdn,
            origin,
            backend,
            policies,
            monitor,
            slo,
        })
    }
}

/// Next.js `expireTime` default: one year.
const NEXT_EXPIRE_TIME: SimTime = SimTime::from_secs(365 * 86_400);
const DEFAULT_ALERT_AFTER: SimTime = SimTime::from_secs(24 * 3_600);
/// The most time buckets one run keeps (per policy and replication).
const MAX_BUCKETS: u64 = 10_000_000;
/// The most pages, and (page, cache) entries, a run allocates: far beyond any real site, and
/// short of what would exhaust a machine's memory before the first event.
const MAX_PAGES: u64 = 100_000_000;
const MAX_CACHE_ENTRIES: u64 = 500_000_000;

/// About 500 buckets: `duration / 500` rounded up to whole seconds, or to whole milliseconds
/// for runs shorter than 500s, and never below 1ms.
fn default_bucket(duration: SimTime) -> SimTime {
    let us = duration.as_micros();
    let second = SimTime::MICROS_PER_SEC;
    if us >= 500 * second {
        SimTime::from_secs(us.div_ceil(500 * second))
    } else {
        SimTime::from_millis(us.div_ceil(500 * 1_000).max(1))
    }
}

fn default_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "scenario".to_string())
}

/// The name becomes the folder `results/<name>/`, so it must be one plain path component.
fn check_scenario_name(source: &Source, name: &Spanned<String>) -> Result<String, InputError> {
    let text = name.get_ref();
    let bad = text.trim().is_empty()
        || text == "."
        || text == ".."
        || text
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(source.at(
            "name",
            name,
            "must be a non-empty name without `/`, `\\` or control characters (it names the results folder)",
        ));
    }
    Ok(text.clone())
}

/// Where an optional key stands in the file, if it is given.
fn span_of<T>(value: &Option<Spanned<T>>) -> Option<Range<usize>> {
    value.as_ref().map(Spanned::span)
}

fn resolve_traffic(source: &Source, raw: &Spanned<RawTraffic>) -> Result<Traffic, InputError> {
    let t = raw.get_ref();
    let pattern = t.pattern.0;
    let given: [(&str, Option<Range<usize>>); 12] = [
        ("rate", span_of(&t.rate)),
        ("base_rate", span_of(&t.base_rate)),
        ("burst_rate", span_of(&t.burst_rate)),
        ("burst_length", span_of(&t.burst_length)),
        ("burst_every", span_of(&t.burst_every)),
        ("min_rate", span_of(&t.min_rate)),
        ("max_rate", span_of(&t.max_rate)),
        ("period", span_of(&t.period)),
        ("peak_at", span_of(&t.peak_at)),
        ("spike_factor", span_of(&t.spike_factor)),
        ("spike_at", span_of(&t.spike_at)),
        ("spike_length", span_of(&t.spike_length)),
    ];
    // Report the first stray key in the file.
    let stray = given
        .iter()
        .filter(|(key, span)| span.is_some() && !pattern.keys().contains(key))
        .min_by_key(|(_, span)| span.as_ref().map_or(usize::MAX, |s| s.start));
    if let Some((key, span)) = stray {
        return Err(source.error(
            format!("traffic.{key}"),
            span.clone(),
            format!(
                "`{key}` does not belong to pattern `{}`, which takes {}",
                pattern.name(),
                all_of(pattern.keys())
            ),
        ));
    }
    if let Some(missing) = pattern
        .keys()
        .iter()
        .find(|key| given.iter().any(|(k, s)| k == *key && s.is_none()))
    {
        return Err(source.at(
            format!("traffic.{missing}"),
            raw,
            format!(
                "pattern `{}` needs `{missing}` (it takes {})",
                pattern.name(),
                all_of(pattern.keys())
            ),
        ));
    }
    // Every key of the pattern is present (checked just above), so these never fall back.
    let rate = |v: &Option<Spanned<NonNegative>>| v.as_ref().map_or(0.0, |s| s.get_ref().0);
    let interval =
        |v: &Option<Spanned<Interval>>| v.as_ref().map_or(SimTime::ZERO, |s| s.get_ref().0);
    let delay = |v: &Option<Spanned<Delay>>| v.as_ref().map_or(SimTime::ZERO, |s| s.get_ref().0);
    let positive_rate = |key: &str, v: &Option<Spanned<NonNegative>>| match v {
        Some(s) if s.get_ref().0 <= 0.0 => Err(source.at(
            format!("traffic.{key}"),
            s,
            "must be above 0, or no request is ever sent",
        )),
        _ => Ok(rate(v)),
    };
    Ok(match pattern {
        Pattern::Steady => Traffic::Steady {
            rate: positive_rate("rate", &t.rate)?,
        },
        Pattern::Idle => Traffic::Idle {
            rate: positive_rate("rate", &t.rate)?,
        },
        Pattern::Bursty => {
            let (base_rate, burst_rate) = (rate(&t.base_rate), rate(&t.burst_rate));
            if let Some(s) = &t.burst_rate
                && base_rate <= 0.0
                && burst_rate <= 0.0
            {
                return Err(source.at(
                    "traffic.burst_rate",
                    s,
                    "`base_rate` and `burst_rate` are both 0, so no request is ever sent",
                ));
            }
            let (burst_length, burst_every) = (interval(&t.burst_length), interval(&t.burst_every));
            if let Some(s) = &t.burst_every
                && burst_every <= burst_length
            {
                return Err(source.at(
                    "traffic.burst_every",
                    s,
                    format!(
                        "must be longer than `burst_length` ({burst_length}): bursts start `burst_every` apart on average"
                    ),
                ));
            }
            Traffic::Bursty {
                base_rate,
                burst_rate,
                burst_length,
                burst_every,
            }
        }
        Pattern::Diurnal => {
            let (min_rate, max_rate) = (rate(&t.min_rate), rate(&t.max_rate));
            if let Some(s) = &t.min_rate
                && min_rate > max_rate
            {
                return Err(source.at(
                    "traffic.min_rate",
                    s,
                    format!("must not be above `max_rate` ({max_rate})"),
                ));
            }
            let max_rate = positive_rate("max_rate", &t.max_rate)?;
            Traffic::Diurnal {
                min_rate,
                max_rate,
                period: interval(&t.period),
                peak_at: delay(&t.peak_at),
            }
        }
        Pattern::Spike => Traffic::Spike {
            rate: positive_rate("rate", &t.rate)?,
            spike_factor: t.spike_factor.as_ref().map_or(1.0, |s| s.get_ref().0),
            spike_at: delay(&t.spike_at),
            spike_length: interval(&t.spike_length),
        },
    })
}

/// The tables of the array `key` (`routes`, `policies`), of which a scenario needs one at least.
fn tables<T>(source: &Source, key: &str, raw: Spanned<Vec<T>>) -> Result<Vec<T>, InputError> {
    if raw.get_ref().is_empty() {
        return Err(source.at(
            key,
            &raw,
            format!("at least one `[[{key}]]` table is needed"),
        ));
    }
    Ok(raw.into_inner())
}

/// Checks the `name` of table `i` of the array `key`, which defines a `kind` (a route, a
/// policy): not blank, and not the name of an `earlier` table.
fn check_table_name<'a>(
    source: &Source,
    key: &str,
    kind: &str,
    i: usize,
    name: &Spanned<String>,
    earlier: impl IntoIterator<Item = &'a str>,
) -> Result<(), InputError> {
    let text = name.get_ref();
    let name_key = format!("{key}[{i}].name");
    if text.trim().is_empty() {
        return Err(source.at(name_key, name, "must not be empty"));
    }
    if let Some(first) = earlier.into_iter().position(|e| e == text) {
        return Err(source.at(
            name_key,
            name,
            format!("{kind} `{text}` is already defined by `{key}[{first}]`; {kind} names must be unique"),
        ));
    }
    Ok(())
}

fn resolve_routes(source: &Source, raw: Spanned<Vec<RawRoute>>) -> Result<Vec<Route>, InputError> {
    let raw = tables(source, "routes", raw)?;
    for (i, route) in raw.iter().enumerate() {
        let earlier = raw[..i].iter().map(|r| r.name.get_ref().as_str());
        check_table_name(source, "routes", "route", i, &route.name, earlier)?;
    }
    let mut parents = Vec::with_capacity(raw.len());
    for (i, route) in raw.iter().enumerate() {
        let parent = match &route.depends_on {
            None => None,
            Some(target) => {
                let key = format!("routes[{i}].depends_on");
                let wanted = target.get_ref();
                if wanted == route.name.get_ref() {
                    return Err(source.at(
                        key,
                        target,
                        format!("route `{wanted}` cannot depend on itself"),
                    ));
                }
                let Some(j) = raw.iter().position(|r| r.name.get_ref() == wanted) else {
                    let names: Vec<&str> = raw.iter().map(|r| r.name.get_ref().as_str()).collect();
                    return Err(source.at(
                        key,
                        target,
                        format!(
                            "there is no route `{wanted}`: expected one of {}",
                            one_of(&names)
                        ),
                    ));
                };
                Some(j)
            }
        };
        parents.push(parent);
    }
    if let Some(i) = (0..raw.len()).find(|&i| in_cycle(&parents, i)) {
        let mut chain = vec![raw[i].name.get_ref().as_str()];
        let mut at = parents[i];
        while let Some(j) = at {
            chain.push(raw[j].name.get_ref().as_str());
            if j == i {
                break;
            }
            at = parents[j];
        }
        let target = raw[i].depends_on.as_ref().unwrap_or(&raw[i].name);
        return Err(source.at(
            format!("routes[{i}].depends_on"),
            target,
            format!(
                "routes depend on each other in a cycle: {}",
                chain.join(" -> ")
            ),
        ));
    }
    // A share defaults to 1, so a zero sum means every route gave `share = 0` explicitly.
    if let Some(first) = &raw[0].share
        && raw
            .iter()
            .all(|r| r.share.as_ref().is_some_and(|s| s.get_ref().0 == 0.0))
    {
        return Err(source.at(
            "routes[0].share",
            first,
            "the shares of all routes sum to 0, so no request picks a route: give at least one route a share above 0",
        ));
    }
    Ok(raw
        .into_iter()
        .zip(parents)
        .map(|(r, depends_on)| Route {
            name: r.name.into_inner(),
            pages: r.pages.0,
            share: r.share.map_or(1.0, |s| s.get_ref().0),
            popularity: r.popularity.map_or(0.0, |p| p.0),
            edit_every: r.edit_every.map(|t| t.0),
            regen_time: r.regen_time.0,
            prerendered: r.prerendered.unwrap_or(true),
            depends_on,
        })
        .collect())
}

/// Whether following `depends_on` from route `start` comes back to it.
fn in_cycle(parents: &[Option<usize>], start: usize) -> bool {
    let mut at = parents[start];
    // A chain that has not returned within `len` steps never will.
    for _ in 0..parents.len() {
        match at {
            Some(j) if j == start => return true,
            Some(j) => at = parents[j],
            None => return false,
        }
    }
    false
}

fn resolve_policies(
    source: &Source,
    raw: Spanned<Vec<RawPolicy>>,
    routes: &[Route],
    slo: &[Bound],
) -> Result<Vec<Policy>, InputError> {
    let raw = tables(source, "policies", raw)?;
    let mut policies: Vec<Policy> = Vec::with_capacity(raw.len());
    for (i, p) in raw.into_iter().enumerate() {
        let (name, fields, overridden, own_slo) = p.into_parts();
        let earlier = policies.iter().map(|q| q.name.as_str());
        check_table_name(source, "policies", "policy", i, &name, earlier)?;
        let mut base = RoutePolicy::default();
        fields.apply(&mut base);
        let mut per_route = vec![base; routes.len()];
        for (route, overrides) in overridden.map(|o| o.0).unwrap_or_default() {
            let Some(r) = routes.iter().position(|x| x.name == route) else {
                let names: Vec<&str> = routes.iter().map(|x| x.name.as_str()).collect();
                return Err(source.at(
                    format!("policies[{i}].routes.{route}"),
                    &overrides,
                    format!(
                        "there is no route `{route}` to override: expected one of {}",
                        one_of(&names)
                    ),
                ));
            };
            overrides.get_ref().apply(&mut per_route[r]);
        }
        policies.push(Policy {
            name: name.into_inner(),
            routes: per_route,
            slo: policy_slo(slo, &own_slo.map_or_else(Vec::new, |s| s.0)),
        });
    }
    Ok(policies)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete scenario with every table, `[slo]` included: the settings of
    /// `scenarios/bursty.toml`, without its `on-demand-broadcast` policy.
    const SPEC_EXAMPLE: &str = r#"name = "bursty"                # default: the file's stem
description = "Bursty blog traffic: time-based vs on-demand vs hybrid"
duration = "6h"
warmup = "10m"
seed = 42
replications = 3
bucket = "10s"                 # time-series resolution

[traffic]
pattern = "bursty"             # steady | bursty | idle | diurnal | spike
base_rate = 5                  # requests/s
burst_rate = 800
burst_length = "3m"
burst_every = "45m"

[[routes]]
name = "posts"
pages = 5000
share = 0.8
popularity = 1.0
edit_every = "2d"
regen_time = { lognormal = { median = "400ms", p99 = "4s" } }
prerendered = true

[[routes]]
name = "categories"
pages = 40
share = 0.2
depends_on = "posts"
regen_time = "800ms"

[cdn]
pops = 8
collapse = true
rtt = "15ms"
origin_rtt = "60ms"
purge_delay = { lognormal = { median = "150ms", p99 = "2s" } }
purge_failure = 0.0

[origin]
instances = 3
cache = "local"                # local | shared
lock = false                   # with shared: one regeneration per page across the cluster
balancer = "round-robin"       # round-robin | random | hash
expire = "1y"                  # Next.js expireTime
rtt = "60ms"                   # used when there is no CDN

[backend]
concurrency = 8                # or "unlimited"
failure_rate = 0.001
timeout = "30s"

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = { exponential = "1s" }
purge_cdn = true
purge = "hard"

[[policies]]
name = "hybrid"
revalidate = "1h"
on_edit = "regenerate"
purge_cdn = true
routes.categories = { revalidate = "5m", on_edit = "none" }

[monitor]
alert_after = "24h"

[slo]                          # checked after the run, on the means in summary.csv
stale_ratio = 0.02             # a bare value is an upper bound
stale_age_p99_s = "10m"        # a duration is accepted for _s and _ms columns
cdn_hit_ratio = { min = 0.9 }  # a lower bound
"#;

    /// A small valid scenario; tests append to it or replace one line of it.
    const MINIMAL: &str = r#"duration = "6h"

[traffic]
pattern = "steady"
rate = 10

[[routes]]
name = "posts"
pages = 100
regen_time = "1s"

[[routes]]
name = "list"
pages = 5
regen_time = "1s"

[[policies]]
name = "time"
revalidate = "60s"
"#;

    fn parse_text(text: &str) -> Result<Scenario, InputError> {
        parse(text, Path::new("scenarios/blog.toml"), false)
    }

    /// Parses `text`, expects an error, and checks its key, its line, and that it names the file.
    fn error(text: &str, key: &str, line: usize) -> InputError {
        let err = match parse_text(text) {
            Ok(_) => panic!("expected an error at `{key}`, but the scenario parsed"),
            Err(e) => e,
        };
        assert_eq!(err.key.as_deref(), Some(key), "wrong key in: {err}");
        assert_eq!(err.line, Some(line), "wrong line in: {err}");
        assert!(
            err.to_string().contains("scenarios/blog.toml"),
            "no file in: {err}"
        );
        err
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines()
            .position(|l| l.contains(needle))
            .expect("needle in text")
            + 1
    }

    fn replace(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "`{from}` is not in the text");
        text.replacen(from, to, 1)
    }

    #[test]
    fn sizes_no_machine_could_hold_are_refused_not_aborted() {
        let text = replace(
            MINIMAL,
            "duration = \"6h\"",
            "duration = \"6h\"\nbucket = \"1us\"",
        );
        let err = error(&text, "bucket", line_of(&text, "bucket"));
        assert!(err.message.contains("at most 10000000"), "{err}");
        let text = replace(MINIMAL, "pages = 100\n", "pages = 4000000000\n");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routes"), "{err}");
        assert!(
            err.line.is_some() && err.message.contains("too large"),
            "{err}"
        );
        let text = format!("{MINIMAL}\n[cdn]\npops = 70000\n");
        error(&text, "cdn.pops", line_of(&text, "pops"));
    }

    #[test]
    fn spec_example_resolves_with_defaults_filled_in() {
        let s = parse_text(SPEC_EXAMPLE).unwrap();
        assert_eq!(s.name, "bursty");
        assert_eq!(s.duration, SimTime::from_secs(6 * 3600));
        assert_eq!(s.warmup, SimTime::from_secs(600));
        assert_eq!(
            (s.seed, s.replications, s.bucket),
            (42, 3, SimTime::from_secs(10))
        );
        assert_eq!(
            s.traffic,
            Traffic::Bursty {
                base_rate: 5.0,
                burst_rate: 800.0,
                burst_length: SimTime::from_secs(180),
                burst_every: SimTime::from_secs(45 * 60),
            }
        );

        let posts = &s.routes[0];
        assert_eq!(
            (posts.pages, posts.share, posts.popularity),
            (5000, 0.8, 1.0)
        );
        assert_eq!(posts.edit_every, Some(SimTime::from_secs(2 * 86_400)));
        assert_eq!(
            posts.regen_time,
            Distribution::LogNormal {
                median: SimTime::from_millis(400),
                p99: SimTime::from_secs(4)
            }
        );
        let categories = &s.routes[1];
        assert_eq!(categories.depends_on, Some(0));
        assert_eq!(categories.popularity, 0.0, "default popularity");
        assert!(categories.prerendered, "default prerendered");
        assert_eq!(categories.edit_every, None);
        assert_eq!(
            categories.regen_time,
            Distribution::Constant(SimTime::from_millis(800))
        );

        let cdn = s.cdn.as_ref().unwrap();
        assert_eq!(
            (cdn.pops, cdn.ttl, cdn.stale_while_revalidate),
            (8, None, None)
        );
        assert!(cdn.collapse && !cdn.warm);
        assert_eq!(
            (cdn.rtt, cdn.origin_rtt),
            (SimTime::from_millis(15), SimTime::from_millis(60))
        );
        assert_eq!(cdn.purge_failure, 0.0);

        assert_eq!(s.origin.instances, 3);
        assert_eq!(s.origin.expire, SimTime::from_secs(365 * 86_400));
        assert_eq!(s.backend.concurrency, Some(8));
        assert_eq!(s.backend.timeout, Some(SimTime::from_secs(30)));
        assert_eq!(s.monitor.alert_after, SimTime::from_secs(86_400));

        let names: Vec<&str> = s.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["time-60s", "on-demand", "hybrid"]);
        let time = &s.policies[0];
        assert_eq!(time.routes.len(), 2);
        assert!(
            time.routes
                .iter()
                .all(|r| r.revalidate == Some(SimTime::from_secs(60)))
        );
        assert!(
            time.routes
                .iter()
                .all(|r| r.on_edit == OnEdit::None && !r.purge_cdn)
        );
        let on_demand = &s.policies[1].routes[0];
        assert_eq!(on_demand.revalidate, None);
        assert_eq!(
            on_demand.webhook_delay,
            Distribution::Exponential {
                mean: SimTime::from_secs(1)
            }
        );
        assert_eq!(on_demand.purge, PurgeKind::Hard);
        let hybrid = &s.policies[2];
        assert_eq!(hybrid.routes[0].revalidate, Some(SimTime::from_secs(3600)));
        assert_eq!(hybrid.routes[0].on_edit, OnEdit::Regenerate);
        // The override replaces only the keys it names.
        assert_eq!(hybrid.routes[1].revalidate, Some(SimTime::from_secs(300)));
        assert_eq!(hybrid.routes[1].on_edit, OnEdit::None);
        assert!(hybrid.routes[1].purge_cdn);
    }

    #[test]
    fn omitted_tables_take_the_spec_defaults() {
        let s = parse_text(MINIMAL).unwrap();
        assert_eq!(s.name, "blog", "the file's stem");
        assert_eq!(s.description, "");
        assert_eq!((s.warmup, s.seed, s.replications), (SimTime::ZERO, 0, 1));
        assert!(s.cdn.is_none());
        assert_eq!(s.origin.cache, CacheMode::Local);
        assert_eq!(s.origin.balancer, Balancer::RoundRobin);
        assert_eq!(
            s.backend,
            Backend {
                concurrency: None,
                failure_rate: 0.0,
                timeout: None
            }
        );
        assert_eq!(s.routes[0].share, 1.0);
        assert_eq!(
            s.policies[0].routes[1].webhook_delay,
            Distribution::Constant(SimTime::ZERO)
        );
    }

    #[test]
    fn default_bucket_gives_about_500_buckets() {
        let (s, ms) = (SimTime::from_secs, SimTime::from_millis);
        let duration_and_bucket = [
            // 6h / 500 = 43.2s, rounded up to whole seconds.
            (s(6 * 3600), s(44)),
            (s(500), s(1)),
            // 60s / 500 = 120ms; 1s / 500 = 2ms; 100ms / 500 = 0.2ms, raised to the 1ms floor.
            (s(60), ms(120)),
            (ms(1001), ms(3)),
            (ms(100), ms(1)),
        ];
        for (duration, bucket) in duration_and_bucket {
            assert_eq!(default_bucket(duration), bucket, "duration {duration}");
        }
        assert_eq!(parse_text(MINIMAL).unwrap().bucket, SimTime::from_secs(44));
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let text = replace(MINIMAL, "pages = 100", "pages = 100\npagez = 3");
        let err = error(&text, "routes[0].pagez", line_of(&text, "pagez"));
        assert!(
            err.message.contains("`pages`"),
            "lists the allowed keys: {err}"
        );
        let text = format!("colour = \"red\"\n{MINIMAL}");
        error(&text, "colour", 1);
        let text = replace(MINIMAL, "rate = 10", "rate = 10\nrte = 3");
        let err = error(&text, "traffic.rte", line_of(&text, "rte"));
        assert!(
            err.message.contains("pattern `steady` takes `rate`"),
            "{err}"
        );
    }

    #[test]
    fn bad_duration_is_named_with_its_line() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"5 minutes\"",
        );
        let err = error(&text, "policies[0].revalidate", line_of(&text, "5 minutes"));
        assert!(err.message.contains("15m"), "says what is allowed: {err}");
        let text = replace(MINIMAL, "duration = \"6h\"", "duration = 60");
        error(&text, "duration", 1);
        let text = replace(MINIMAL, "duration = \"6h\"", "duration = \"0s\"");
        error(&text, "duration", 1);
    }

    #[test]
    fn zero_pages_is_an_error() {
        let text = replace(MINIMAL, "pages = 100", "pages = 0");
        let err = error(&text, "routes[0].pages", line_of(&text, "pages = 0"));
        assert!(err.message.contains("at least 1"), "{err}");
        let text = replace(MINIMAL, "pages = 100", "pages = 5000000000");
        error(
            &text,
            "routes[0].pages",
            line_of(&text, "pages = 5000000000"),
        );
    }

    #[test]
    fn missing_required_key_is_named() {
        let text = replace(MINIMAL, "pages = 100\n", "");
        let err = error(&text, "routes[0].pages", line_of(&text, "[[routes]]"));
        assert!(err.message.contains("required"), "{err}");
    }

    #[test]
    fn depends_on_a_missing_route_is_an_error() {
        let text = replace(MINIMAL, "pages = 5\n", "pages = 5\ndepends_on = \"post\"\n");
        let err = error(&text, "routes[1].depends_on", line_of(&text, "depends_on"));
        assert!(err.message.contains("`posts`"), "lists the routes: {err}");
    }

    #[test]
    fn depends_on_itself_or_in_a_cycle_is_an_error() {
        let text = replace(MINIMAL, "pages = 5\n", "pages = 5\ndepends_on = \"list\"\n");
        error(&text, "routes[1].depends_on", line_of(&text, "depends_on"));
        let text = replace(
            MINIMAL,
            "pages = 5\n",
            "pages = 5\ndepends_on = \"posts\"\n",
        );
        let text = replace(
            &text,
            "pages = 100\n",
            "pages = 100\ndepends_on = \"list\"\n",
        );
        let err = error(
            &text,
            "routes[0].depends_on",
            line_of(&text, "depends_on = \"list\""),
        );
        assert!(err.message.contains("posts -> list -> posts"), "{err}");
    }

    #[test]
    fn shares_summing_to_zero_is_an_error() {
        let text = replace(MINIMAL, "pages = 100\n", "pages = 100\nshare = 0\n");
        let text = replace(&text, "pages = 5\n", "pages = 5\nshare = 0.0\n");
        error(&text, "routes[0].share", line_of(&text, "share = 0"));
        // One share above zero is enough.
        let text = replace(MINIMAL, "pages = 100\n", "pages = 100\nshare = 0\n");
        assert!(parse_text(&text).is_ok());
    }

    #[test]
    fn unknown_pattern_lists_the_patterns() {
        let text = replace(MINIMAL, "\"steady\"", "\"steddy\"");
        let err = error(&text, "traffic.pattern", line_of(&text, "steddy"));
        assert!(
            err.message.contains("`bursty`") && err.message.contains("`spike`"),
            "{err}"
        );
    }

    #[test]
    fn key_of_another_pattern_is_an_error() {
        let text = replace(MINIMAL, "rate = 10", "rate = 10\nburst_rate = 100");
        let err = error(&text, "traffic.burst_rate", line_of(&text, "burst_rate"));
        assert!(
            err.message.contains("`steady`") && err.message.contains("`rate`"),
            "{err}"
        );
        let text = replace(MINIMAL, "\"steady\"", "\"bursty\"");
        error(&text, "traffic.rate", line_of(&text, "rate = 10"));
    }

    #[test]
    fn traffic_cross_checks() {
        let bursty = "pattern = \"bursty\"\nbase_rate = 1\nburst_rate = 50\nburst_length = \"10m\"\nburst_every = \"10m\"";
        let text = replace(MINIMAL, "pattern = \"steady\"\nrate = 10", bursty);
        error(&text, "traffic.burst_every", line_of(&text, "burst_every"));
        let diurnal =
            "pattern = \"diurnal\"\nmin_rate = 5\nmax_rate = 2\nperiod = \"1d\"\npeak_at = \"0s\"";
        let text = replace(MINIMAL, "pattern = \"steady\"\nrate = 10", diurnal);
        error(&text, "traffic.min_rate", line_of(&text, "min_rate"));
        let text = replace(MINIMAL, "rate = 10", "rate = 0");
        error(&text, "traffic.rate", line_of(&text, "rate = 0"));
    }

    #[test]
    fn revalidate_true_is_an_error() {
        let text = replace(MINIMAL, "revalidate = \"60s\"", "revalidate = true");
        let err = error(
            &text,
            "policies[0].revalidate",
            line_of(&text, "revalidate = true"),
        );
        assert!(err.message.contains("`false`"), "{err}");
        let text = replace(MINIMAL, "revalidate = \"60s\"", "revalidate = false");
        assert_eq!(
            parse_text(&text).unwrap().policies[0].routes[0].revalidate,
            None
        );
    }

    #[test]
    fn unknown_on_edit_lists_the_values() {
        let text = replace(MINIMAL, "revalidate = \"60s\"", "on_edit = \"refresh\"");
        let err = error(&text, "policies[0].on_edit", line_of(&text, "refresh"));
        for value in ["`none`", "`regenerate`", "`invalidate`", "`mark-stale`"] {
            assert!(err.message.contains(value), "{err}");
        }
    }

    #[test]
    fn override_for_an_unknown_route_is_an_error() {
        let text = format!("{MINIMAL}routes.lists = {{ revalidate = \"5m\" }}\n");
        let err = error(
            &text,
            "policies[0].routes.lists",
            line_of(&text, "routes.lists"),
        );
        assert!(err.message.contains("`list`"), "{err}");
        let text = format!("{MINIMAL}routes.list = {{ revalidate = \"5s min\" }}\n");
        error(
            &text,
            "policies[0].routes.list.revalidate",
            line_of(&text, "routes.list"),
        );
    }

    #[test]
    fn a_sweep_needs_a_study() {
        let text = format!("{MINIMAL}\n[sweep]\nx = 1\n");
        error(&text, "sweep", line_of(&text, "[sweep]"));
    }

    fn bound(metric: &str, min: Option<f64>, max: Option<f64>) -> Bound {
        Bound {
            metric: metric.to_string(),
            min,
            max,
        }
    }

    /// The first three bounds of docs/scenario.md's `[slo]` example, appended to `MINIMAL` (whose
    /// one policy is `time`).
    const SLO: &str =
        "\n[slo]\nstale_ratio = 0.02\nstale_age_p99_s = \"10m\"\ncdn_hit_ratio = { min = 0.9 }\n";

    #[test]
    fn spec_example_slo_resolves_in_column_units() {
        let s = parse_text(SPEC_EXAMPLE).unwrap();
        let expected = [
            bound("stale_ratio", None, Some(0.02)),
            // "10m" in a seconds column.
            bound("stale_age_p99_s", None, Some(600.0)),
            bound("cdn_hit_ratio", Some(0.9), None),
        ];
        assert_eq!(s.slo, expected);
        // Without a table of their own, every policy is held to the scenario's bounds.
        assert!(s.policies.iter().all(|p| p.slo == expected));
        // A duration in a milliseconds column is in milliseconds; a number is taken as written.
        let text = format!("{MINIMAL}\n[slo]\nlatency_p99_ms = \"10m\"\nlatency_p50_ms = 250\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [
                bound("latency_p99_ms", None, Some(600_000.0)),
                bound("latency_p50_ms", None, Some(250.0)),
            ]
        );
        assert!(parse_text(MINIMAL).unwrap().slo.is_empty());
    }

    #[test]
    fn a_policy_slo_replaces_only_the_metrics_it_names() {
        let text = replace(
            &format!("{MINIMAL}{SLO}"),
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { stale_ratio = { max = 0.1 }, latency_p99_ms = \"2s\" }\n\
             \n[[policies]]\nname = \"other\"\n",
        );
        let s = parse_text(&text).unwrap();
        assert_eq!(
            s.policies[0].slo,
            [
                bound("stale_ratio", None, Some(0.1)),
                bound("stale_age_p99_s", None, Some(600.0)),
                bound("cdn_hit_ratio", Some(0.9), None),
                bound("latency_p99_ms", None, Some(2_000.0)),
            ]
        );
        // The scenario's table, and the other policy, are untouched.
        assert_eq!(s.slo[0], bound("stale_ratio", None, Some(0.02)));
        assert_eq!(s.policies[1].slo, s.slo);
        // A policy may have bounds when the scenario has none.
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { cdn_hit_ratio = { min = 0.5, max = 0.99 } }\n",
        );
        assert_eq!(
            parse_text(&text).unwrap().policies[0].slo,
            [bound("cdn_hit_ratio", Some(0.5), Some(0.99))]
        );
    }

    #[test]
    fn an_unknown_slo_metric_is_an_error_listing_the_columns() {
        let text = format!("{MINIMAL}{SLO}stale_ratoi = 0.1\n");
        let err = error(&text, "slo.stale_ratoi", line_of(&text, "stale_ratoi"));
        assert!(
            err.message.contains("`stale_ratio`") && err.message.contains("`latency_p99_ms`"),
            "{err}"
        );
        let text = format!("{MINIMAL}{SLO}stale_ratio_ci95 = 0.1\n");
        let err = error(&text, "slo.stale_ratio_ci95", line_of(&text, "_ci95"));
        assert!(err.message.contains("mean"), "{err}");
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { cdn_hit = { min = 0.9 } }\n",
        );
        error(&text, "policies[0].slo.cdn_hit", line_of(&text, "cdn_hit"));
    }

    #[test]
    fn a_duration_bounds_only_time_columns() {
        let text = format!("{MINIMAL}\n[slo]\nstale_ratio = \"10m\"\n");
        let err = error(&text, "slo.stale_ratio", line_of(&text, "\"10m\""));
        assert!(
            err.message
                .contains("only `_s` and `_ms` columns take durations"),
            "{err}"
        );
        let text = format!("{MINIMAL}\n[slo]\nstale_age_p99_s = \"10 minutes\"\n");
        error(&text, "slo.stale_age_p99_s", line_of(&text, "minutes"));
    }

    #[test]
    fn slo_values_must_be_in_the_column_range() {
        for (value, what) in [
            ("1.5", "from 0 to 1"),
            ("-0.1", "from 0 to 1"),
            ("nan", "from 0 to 1"),
            ("true", "ratio"),
        ] {
            let text = format!("{MINIMAL}\n[slo]\ncdn_hit_ratio = {value}\n");
            let err = error(&text, "slo.cdn_hit_ratio", text.lines().count());
            assert!(err.message.contains(what), "{value}: {err}");
        }
        let text = format!("{MINIMAL}\n[slo]\nerrors = -1\n");
        error(&text, "slo.errors", text.lines().count());
        let text = format!("{MINIMAL}\n[slo]\nerrors = inf\n");
        error(&text, "slo.errors", text.lines().count());
        // Counts are not capped at 1.
        let text = format!("{MINIMAL}\n[slo]\nerrors = 10\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [bound("errors", None, Some(10.0))]
        );
    }

    #[test]
    fn min_above_max_is_an_error() {
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ min = 2, max = 1 }}\n");
        let err = error(&text, "slo.errors", text.lines().count());
        assert!(
            err.message.contains("`min` (2) is above `max` (1)"),
            "{err}"
        );
        // Equal limits pin the value.
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ min = 1, max = 1 }}\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [bound("errors", Some(1.0), Some(1.0))]
        );
    }

    #[test]
    fn a_bound_table_takes_only_min_and_max() {
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ foo = 1 }}\n");
        let err = error(&text, "slo.errors.foo", text.lines().count());
        assert!(
            err.message.contains("`min`") && err.message.contains("`max`"),
            "{err}"
        );
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{}}\n");
        error(&text, "slo.errors", text.lines().count());
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ max = \"1s\" }}\n");
        error(&text, "slo.errors.max", text.lines().count());
    }

    #[test]
    fn slo_is_not_a_per_route_key() {
        let text = format!("{MINIMAL}routes.list = {{ slo = {{ stale_ratio = 0.1 }} }}\n");
        error(
            &text,
            "policies[0].routes.list.slo",
            line_of(&text, "routes.list"),
        );
    }

    #[test]
    fn distributions_check_their_parameters() {
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { lognormal = { median = \"3s\", p99 = \"1s\" } }",
        );
        error(
            &text,
            "routes[0].regen_time.lognormal",
            line_of(&text, "lognormal"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { uniform = [\"2s\", \"1s\"] }",
        );
        error(
            &text,
            "routes[0].regen_time.uniform",
            line_of(&text, "uniform"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { normal = \"1s\" }",
        );
        error(
            &text,
            "routes[0].regen_time.normal",
            line_of(&text, "normal"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { uniform = [\"0s\", \"2s\"] }",
        );
        assert_eq!(
            parse_text(&text).unwrap().routes[0].regen_time,
            Distribution::Uniform {
                low: SimTime::ZERO,
                high: SimTime::from_secs(2)
            }
        );
    }

    #[test]
    fn other_cross_key_errors() {
        let text = replace(
            MINIMAL,
            "duration = \"6h\"",
            "duration = \"6h\"\nwarmup = \"6h\"",
        );
        error(&text, "warmup", 2);
        let text = replace(MINIMAL, "name = \"list\"", "name = \"posts\"");
        error(&text, "routes[1].name", line_of(&text, "pages = 5") - 1);
        let text = format!("{MINIMAL}\n[[policies]]\nname = \"time\"\n");
        error(&text, "policies[1].name", text.lines().count());
        let text = format!("name = \"../x\"\n{MINIMAL}");
        error(&text, "name", 1);
    }

    #[test]
    fn an_override_can_turn_a_timer_off_for_one_route() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"60s\"\nschedule = \"15m\"\nroutes.list = { revalidate = false, schedule = false }",
        );
        let s = parse_text(&text).unwrap();
        let (posts, list) = (&s.policies[0].routes[0], &s.policies[0].routes[1]);
        assert_eq!(posts.revalidate, Some(SimTime::from_secs(60)));
        assert_eq!(posts.schedule, Some(SimTime::from_secs(900)));
        assert_eq!((list.revalidate, list.schedule), (None, None));
    }

    #[test]
    fn empty_routes_or_policies_are_errors() {
        let no_routes = "duration = \"1h\"\nroutes = []\n[traffic]\npattern = \"idle\"\nrate = 0.01\n\
                         [[policies]]\nname = \"p\"\n";
        error(no_routes, "routes", 2);
        let no_policies = replace(
            MINIMAL,
            "[[policies]]\nname = \"time\"\nrevalidate = \"60s\"\n",
            "",
        );
        let text = format!("policies = []\n{no_policies}");
        error(&text, "policies", 1);
    }

    #[test]
    fn backend_concurrency_takes_a_count_or_unlimited() {
        let with = |v: &str| format!("{MINIMAL}\n[backend]\nconcurrency = {v}\n");
        assert_eq!(
            parse_text(&with("\"unlimited\""))
                .unwrap()
                .backend
                .concurrency,
            None
        );
        assert_eq!(parse_text(&with("4")).unwrap().backend.concurrency, Some(4));
        let text = with("0");
        error(&text, "backend.concurrency", text.lines().count());
        let text = with("\"lots\"");
        error(&text, "backend.concurrency", text.lines().count());
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let text = replace(MINIMAL, "pages = 100", "pages = ");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(err.line, Some(line_of(&text, "pages = ")));
        assert!(err.to_string().contains("scenarios/blog.toml"));
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column("ab\ncdé f", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncdé f", 3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_and_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }
}

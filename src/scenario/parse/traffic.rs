//! `[traffic]`: how requests arrive. The `pattern` decides which other keys the table takes;
//! each pattern is a file of `crate::traffic`, which lists its keys and their kinds and reads
//! them. This module reads every value by its key's kind as serde reads the file (so a bad value
//! is named with its line), then checks that the chosen pattern's keys, and only those, are
//! given, and hands them to the pattern.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::logs::{RawFields, RawLogKeys, StatusRule, log_source};
use super::source::{Source, all_of, one_of};
use super::values::{Delay, Interval, NonNegative, Positive, Word, not_allowed};
use crate::error::InputError;
use crate::logs::{Filter, Format};
use crate::time::SimTime;
use crate::traffic::modifiers::{self, Modified, Spike};
use crate::traffic::{self, Entry, Keys, Kind, LogKey, Read, Traffic, Value};

/// Every key of every pattern, per pattern: what an unknown key's error lists.
pub(super) fn keys_by_pattern() -> String {
    let parts: Vec<String> = traffic::PATTERNS
        .iter()
        .map(|p| format!("pattern `{}` takes {}", p.name, all_of(&p.key_names())))
        .collect();
    format!(
        "besides `pattern`, {}; and any pattern but `trace` takes `weekly` and \
         `[[traffic.spikes]]`",
        parts.join("; ")
    )
}

/// `[traffic]` as written: the pattern, each other key's value as its kind reads it, and the
/// log's keys of a trace.
pub(super) struct RawTraffic {
    pattern: &'static Entry,
    given: Vec<(&'static str, Value, Range<usize>)>,
    log: RawLog,
    spikes: Option<Spanned<Vec<Spanned<RawSpike>>>>,
}

/// One `[[traffic.spikes]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpike {
    at: Delay,
    length: Interval,
    factor: Spanned<Positive>,
}

/// The keys of a log a trace replays, as written.
#[derive(Default)]
struct RawLog {
    file: Option<Spanned<String>>,
    format: Option<Spanned<Word<Format>>>,
    fields: Option<Spanned<RawFields>>,
    methods: Option<Spanned<Vec<String>>>,
    statuses: Option<Spanned<Vec<StatusRule>>>,
}

/// A key of `[traffic]`: `pattern`, a key of some pattern or modifier, or `spikes`.
enum TrafficKey {
    Pattern,
    Key(&'static str, Kind),
    Spikes,
}

impl<'de> Deserialize<'de> for TrafficKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TrafficKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key of `[traffic]`")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<TrafficKey, E> {
                match v {
                    "pattern" => return Ok(TrafficKey::Pattern),
                    "spikes" => return Ok(TrafficKey::Spikes),
                    _ => {}
                }
                traffic::PATTERNS
                    .iter()
                    .flat_map(|p| p.keys)
                    .chain(modifiers::KEYS)
                    .find(|k| k.name == v)
                    .map(|k| TrafficKey::Key(k.name, k.kind))
                    .ok_or_else(|| E::unknown_field(v, &[]))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// `pattern = "NAME"`, one of the registered patterns.
struct PatternWord(&'static Entry);

impl<'de> Deserialize<'de> for PatternWord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PatternWord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", one_of(&traffic::names()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<PatternWord, E> {
                traffic::named(v).map(PatternWord).ok_or_else(|| {
                    not_allowed(
                        format_args!("`{v}`"),
                        format_args!("one of {}", one_of(&traffic::names())),
                    )
                })
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for RawTraffic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTraffic;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                // As serde names a struct, which the shape error turns into "a table".
                f.write_str("struct RawTraffic")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTraffic, A::Error> {
                let (mut pattern, mut given, mut log) = (None, Vec::new(), RawLog::default());
                let mut spikes = None;
                while let Some(key) = map.next_key()? {
                    let (key, kind) = match key {
                        TrafficKey::Pattern => {
                            pattern = Some(map.next_value::<PatternWord>()?.0);
                            continue;
                        }
                        TrafficKey::Spikes => {
                            spikes = Some(map.next_value()?);
                            continue;
                        }
                        TrafficKey::Key(key, kind) => (key, kind),
                    };
                    let (value, span) = match kind {
                        Kind::Rate => number(map.next_value::<Spanned<NonNegative>>()?, |v| v.0),
                        Kind::Factor => number(map.next_value::<Spanned<Positive>>()?, |v| v.0),
                        Kind::Length => time(map.next_value::<Spanned<Interval>>()?, |v| v.0),
                        Kind::Offset => time(map.next_value::<Spanned<Delay>>()?, |v| v.0),
                        Kind::Log(which) => (Value::Log, log.read(which, &mut map)?),
                        Kind::Weights(_) => {
                            let w = map.next_value::<Spanned<Vec<NonNegative>>>()?;
                            let span = w.span();
                            (
                                Value::Weights(w.into_inner().iter().map(|x| x.0).collect()),
                                span,
                            )
                        }
                    };
                    given.push((key, value, span));
                }
                let pattern = pattern.ok_or_else(|| de::Error::missing_field("pattern"))?;
                Ok(RawTraffic {
                    pattern,
                    given,
                    log,
                    spikes,
                })
            }
        }
        d.deserialize_struct("RawTraffic", &[], V)
    }
}

fn number<T>(v: Spanned<T>, get: fn(&T) -> f64) -> (Value, Range<usize>) {
    (Value::Number(get(v.get_ref())), v.span())
}

fn time<T>(v: Spanned<T>, get: fn(&T) -> SimTime) -> (Value, Range<usize>) {
    (Value::Time(get(v.get_ref())), v.span())
}

impl RawLog {
    /// Reads the value of the log's key `which`; returns where it stands.
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        which: LogKey,
        map: &mut A,
    ) -> Result<Range<usize>, A::Error> {
        fn keep<T>(slot: &mut Option<Spanned<T>>, value: Spanned<T>) -> Range<usize> {
            let span = value.span();
            *slot = Some(value);
            span
        }
        Ok(match which {
            LogKey::File => keep(&mut self.file, map.next_value()?),
            LogKey::Format => keep(&mut self.format, map.next_value()?),
            LogKey::Fields => keep(&mut self.fields, map.next_value()?),
            LogKey::Methods => keep(&mut self.methods, map.next_value()?),
            LogKey::Statuses => keep(&mut self.statuses, map.next_value()?),
        })
    }
}

/// `[traffic]`, read by its pattern: the chosen pattern's keys only, and its required ones all;
/// then its modifiers, if any, wrapped around it.
pub(super) fn resolve_traffic(
    source: &Source,
    raw: &Spanned<RawTraffic>,
) -> Result<Read, InputError> {
    let t = raw.get_ref();
    let pattern = t.pattern;
    let names = pattern.key_names();
    let modifier_keys: Vec<&str> = modifiers::KEYS.iter().map(|k| k.name).collect();
    // Report the first stray key in the file.
    let stray = t
        .given
        .iter()
        .filter(|(key, _, _)| !names.contains(key) && !modifier_keys.contains(key))
        .min_by_key(|(_, _, span)| span.start);
    if let Some((key, _, span)) = stray {
        return Err(source.error(
            format!("traffic.{key}"),
            Some(span.clone()),
            format!(
                "`{key}` does not belong to pattern `{}`, which takes {}",
                pattern.name,
                all_of(&names)
            ),
        ));
    }
    if let Some(missing) = pattern
        .keys
        .iter()
        .find(|k| k.required && !t.given.iter().any(|(g, _, _)| *g == k.name))
    {
        return Err(source.at(
            format!("traffic.{}", missing.name),
            raw,
            format!(
                "pattern `{}` needs `{}` (it takes {})",
                pattern.name,
                missing.name,
                all_of(&names)
            ),
        ));
    }
    let error =
        |key: String, span: Range<usize>, message: String| source.error(key, Some(span), message);
    let log = || t.log.source(source);
    let keys = Keys::new(&t.given, raw.span(), &error, &log);
    let read = (pattern.read)(&keys)?;
    let weekly = keys.weights::<7>("weekly")?;
    let spikes: Vec<(Spike, Range<usize>)> = t.spikes.as_ref().map_or_else(Vec::new, |s| {
        s.get_ref()
            .iter()
            .map(|spike| {
                let r = spike.get_ref();
                let s = Spike {
                    at: r.at.0,
                    length: r.length.0,
                    factor: r.factor.get_ref().0,
                };
                (s, r.factor.span())
            })
            .collect()
    });
    let modifier = keys
        .has("weekly")
        .then_some("weekly")
        .or(t.spikes.as_ref().map(|_| "spikes"));
    let Some(modifier) = modifier else {
        return Ok(read);
    };
    let span = |key: &str| match key {
        "spikes" => t.spikes.as_ref().map(Spanned::span),
        _ => t
            .given
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|g| g.2.clone()),
    };
    let base = match read {
        Read::Drawn(base) => base,
        Read::Trace(_) => {
            return Err(source.error(
                format!("traffic.{modifier}"),
                span(modifier),
                format!(
                    "`{modifier}` multiplies a drawn pattern's rate: a trace replays the log's \
                     requests at the times recorded, so it takes no modifier (replay a log of \
                     the week, or draw the traffic with another pattern)"
                ),
            ));
        }
    };
    let Some(modified) = Modified::new(base, weekly, spikes.iter().map(|(s, _)| *s).collect())
    else {
        return Err(source.error(
            format!("traffic.{modifier}"),
            span(modifier),
            "a modifier applies to a drawn pattern only",
        ));
    };
    // The thinning draws candidates at the base's peak times the modifiers' highest product.
    if !modified.candidate_rate().is_finite() {
        let (key, at) = match spikes
            .iter()
            .max_by(|a, b| a.0.factor.total_cmp(&b.0.factor))
        {
            Some((_, at)) => ("spikes.factor".to_string(), Some(at.clone())),
            None => ("weekly".to_string(), span("weekly")),
        };
        return Err(source.error(
            format!("traffic.{key}"),
            at,
            "the modifiers multiply the pattern's peak rate past what a number holds: the \
             traffic's peak, its pattern's times every modifier's factor, must stay below \
             1e308/s",
        ));
    }
    Ok(Read::Drawn(Traffic::new(modified)))
}

impl RawLog {
    /// The log a trace names: `file` is present, as the pattern requires it.
    fn source(&self, source: &Source) -> Result<crate::logs::LogSource, InputError> {
        let Some(file) = &self.file else {
            return Err(source.error("traffic.file", None, "`file` is required here"));
        };
        let keys = RawLogKeys {
            file,
            format: self.format.as_ref().map(|f| *f.get_ref()),
            fields: self.fields.as_ref().map(Spanned::get_ref),
            methods: self.methods.as_ref().map(Spanned::get_ref),
            statuses: self.statuses.as_ref().map(Spanned::get_ref),
        };
        log_source(source, "traffic", keys, Filter::default())
    }
}

/// The `[traffic]` key that contributes most requests to a run of `duration`, and where it
/// stands, to blame when a run would simulate too many.
pub(super) fn rate_key(
    raw: &Spanned<RawTraffic>,
    traffic: &Traffic,
    duration: SimTime,
) -> (String, Option<Range<usize>>) {
    let key = traffic.busiest_key(duration);
    let t = raw.get_ref();
    let span = match (key, &t.spikes) {
        ("spikes", Some(spikes)) => spikes.get_ref().first().map(Spanned::span),
        _ => t
            .given
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, span)| span.clone()),
    };
    (format!("traffic.{key}"), span.or(Some(raw.span())))
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, replace};

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
    fn a_value_is_checked_by_its_kind_before_the_pattern_reads_it() {
        let text = replace(MINIMAL, "rate = 10", "rate = -1");
        let err = error(&text, "traffic.rate", line_of(&text, "rate = -1"));
        assert!(err.message.contains("at least 0"), "{err}");
        let text = replace(MINIMAL, "rate = 10", "rate = 10\nspike_at = 4");
        error(&text, "traffic.spike_at", line_of(&text, "spike_at"));
        let text = replace(MINIMAL, "pattern = \"steady\"\n", "");
        let err = error(&text, "traffic.pattern", line_of(&text, "[traffic]"));
        assert!(err.message.contains("required"), "{err}");
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
}

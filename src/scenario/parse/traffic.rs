//! `[traffic]`: how requests arrive. The `pattern` decides which other keys the table takes, so a
//! new pattern is read here alone: its word and keys in `Pattern`, each new key in `RawTraffic`
//! and in the keys `resolve_traffic` looks for, and its arm there (the model's `Traffic` variant
//! aside).

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::logs::{RawFields, RawLogKeys, StatusRule, log_source};
use super::source::{Source, all_of, span_of};
use super::values::{Delay, Interval, Keyword, NonNegative, Positive, Word};
use crate::error::InputError;
use crate::logs::{Filter, Format, TraceSpec};
use crate::scenario::Traffic;
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pattern {
    Steady,
    Bursty,
    Idle,
    Diurnal,
    Spike,
    Trace,
}

impl Keyword for Pattern {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("steady", Pattern::Steady),
        ("bursty", Pattern::Bursty),
        ("idle", Pattern::Idle),
        ("diurnal", Pattern::Diurnal),
        ("spike", Pattern::Spike),
        ("trace", Pattern::Trace),
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
            Pattern::Trace => &[
                "file", "format", "fields", "speed", "start", "end", "methods", "statuses",
            ],
        }
    }

    /// The keys this pattern cannot do without.
    fn required(self) -> &'static [&'static str] {
        match self {
            Pattern::Trace => &["file"],
            _ => self.keys(),
        }
    }

    pub(super) fn keys_by_pattern() -> String {
        let parts: Vec<String> = Self::WORDS
            .iter()
            .map(|(name, p)| format!("pattern `{name}` takes {}", all_of(p.keys())))
            .collect();
        format!("besides `pattern`, {}", parts.join("; "))
    }
}

/// Every key of every pattern; `resolve_traffic` checks that only the chosen pattern's keys are given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTraffic {
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
    file: Option<Spanned<String>>,
    format: Option<Spanned<Word<Format>>>,
    fields: Option<Spanned<RawFields>>,
    speed: Option<Spanned<Positive>>,
    start: Option<Spanned<Delay>>,
    end: Option<Spanned<Interval>>,
    methods: Option<Spanned<Vec<String>>>,
    statuses: Option<Spanned<Vec<StatusRule>>>,
}

/// `[traffic]`, resolved: a generated pattern, or a trace to read once the routes are known.
pub(super) enum Resolved {
    Generated(Traffic),
    Trace(TraceSpec),
}

pub(super) fn resolve_traffic(
    source: &Source,
    raw: &Spanned<RawTraffic>,
) -> Result<Resolved, InputError> {
    let t = raw.get_ref();
    let pattern = t.pattern.0;
    let given: [(&str, Option<Range<usize>>); 20] = [
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
        ("file", span_of(&t.file)),
        ("format", span_of(&t.format)),
        ("fields", span_of(&t.fields)),
        ("speed", span_of(&t.speed)),
        ("start", span_of(&t.start)),
        ("end", span_of(&t.end)),
        ("methods", span_of(&t.methods)),
        ("statuses", span_of(&t.statuses)),
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
        .required()
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
    Ok(Resolved::Generated(match pattern {
        Pattern::Trace => return trace(source, t).map(Resolved::Trace),
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
    }))
}

/// `pattern = "trace"`: the log, its filter, and the window replayed.
fn trace(source: &Source, t: &RawTraffic) -> Result<TraceSpec, InputError> {
    // `file` is present: `required` was checked.
    let Some(file) = &t.file else {
        return Err(source.error("traffic.file", None, "`file` is required here"));
    };
    let keys = RawLogKeys {
        file,
        format: t.format.as_ref().map(|f| *f.get_ref()),
        fields: t.fields.as_ref().map(Spanned::get_ref),
        methods: t.methods.as_ref().map(Spanned::get_ref),
        statuses: t.statuses.as_ref().map(Spanned::get_ref),
    };
    let log = log_source(source, "traffic", keys, Filter::default())?;
    let start = t.start.as_ref().map_or(SimTime::ZERO, |s| s.get_ref().0);
    let end = t.end.as_ref().map(|e| e.get_ref().0);
    if let (Some(e), Some(end)) = (&t.end, end)
        && end <= start
    {
        return Err(source.at(
            "traffic.end",
            e,
            format!("must be after `start` ({start}): the window replayed is [start, end) from the log's first request"),
        ));
    }
    Ok(TraceSpec {
        log,
        speed: t.speed.as_ref().map_or(1.0, |s| s.get_ref().0),
        start,
        end,
    })
}

/// The `[traffic]` key that contributes most requests to a run of `duration`, and where it
/// stands, to blame when a run would simulate too many.
pub(super) fn rate_key(
    raw: &Spanned<RawTraffic>,
    duration: SimTime,
) -> (String, Option<Range<usize>>) {
    let t = raw.get_ref();
    let value = |v: &Option<Spanned<NonNegative>>| v.as_ref().map_or(0.0, |s| s.get_ref().0);
    let length =
        |v: &Option<Spanned<Interval>>| v.as_ref().map_or(0.0, |s| s.get_ref().0.as_secs_f64());
    let key = match t.pattern.0 {
        Pattern::Steady | Pattern::Idle => ("rate", span_of(&t.rate)),
        Pattern::Diurnal => ("max_rate", span_of(&t.max_rate)),
        Pattern::Bursty => {
            let burst = length(&t.burst_length) / length(&t.burst_every);
            if value(&t.burst_rate) * burst >= value(&t.base_rate) * (1.0 - burst) {
                ("burst_rate", span_of(&t.burst_rate))
            } else {
                ("base_rate", span_of(&t.base_rate))
            }
        }
        Pattern::Trace => ("file", span_of(&t.file)),
        Pattern::Spike => {
            let factor = t.spike_factor.as_ref().map_or(1.0, |s| s.get_ref().0);
            let spike = length(&t.spike_length).min(duration.as_secs_f64());
            if (factor - 1.0) * spike > duration.as_secs_f64() {
                ("spike_factor", span_of(&t.spike_factor))
            } else {
                ("rate", span_of(&t.rate))
            }
        }
    };
    (format!("traffic.{}", key.0), key.1.or(Some(raw.span())))
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

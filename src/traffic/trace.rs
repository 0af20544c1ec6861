//! `pattern = "trace"`: a recorded access log, replayed (docs/traces.md). Its requests are not
//! drawn: `logs::trace` reads the log once the routes are known (their `match` places each
//! request), and `workload::traffic` replays the recording; only the PoP each request reaches is
//! drawn. Its rates are the log's own.

use std::sync::Arc;

use super::{Arrivals, Entry, Key, Keys, Kind, LogKey, Pattern, Read, Rng, Setting};
use crate::error::InputError;
use crate::logs::{Replay, TraceSpec};
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "trace",
    keys: &[
        Key::required("file", Kind::Log(LogKey::File)),
        Key::optional("format", Kind::Log(LogKey::Format)),
        Key::optional("fields", Kind::Log(LogKey::Fields)),
        Key::optional("speed", Kind::Factor),
        Key::optional("start", Kind::Offset),
        Key::optional("end", Kind::Length),
        Key::optional("methods", Kind::Log(LogKey::Methods)),
        Key::optional("statuses", Kind::Log(LogKey::Statuses)),
    ],
    read,
};

/// The log replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace(pub Arc<Replay>);

/// The log, its filter, and the window replayed; the log is read once the routes are known.
fn read(keys: &Keys) -> Result<Read, InputError> {
    let log = keys.log()?;
    let start = keys.time("start", SimTime::ZERO);
    let end = keys.optional_time("end");
    if let Some(end) = end
        && end <= start
    {
        return Err(keys.error(
            "end",
            format!("must be after `start` ({start}): the window replayed is [start, end) from the log's first request"),
        ));
    }
    Ok(Read::Trace(TraceSpec {
        log,
        speed: keys.number("speed", 1.0),
        start,
        end,
    }))
}

impl Pattern for Trace {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.0.peak_rate
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        self.0.mean_rate(duration)
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        "file"
    }

    fn settings(&self) -> Vec<Setting> {
        let spec = &self.0.spec;
        vec![
            Setting::Text("file", spec.log.file.display().to_string()),
            Setting::Text("format", spec.log.format.name().to_string()),
            Setting::Number("speed", spec.speed),
            Setting::Time("start", spec.start),
            spec.end
                .map_or(Setting::Phrase("end of the log".into()), |e| {
                    Setting::Time("end", e)
                }),
            Setting::Phrase(format!("replays {}", spec.log.filter.describe())),
            Setting::Phrase(format!("busiest second: {} requests", self.0.peak_rate)),
        ]
    }

    /// A trace's requests are replayed, not drawn: it has no next arrival.
    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        Box::new(Never)
    }

    fn replay(&self) -> Option<&Arc<Replay>> {
        Some(&self.0)
    }

    /// A trace's rates are the log's: the modifiers refuse it.
    fn scaled(&self, _: f64) -> Option<super::Traffic> {
        None
    }
}

struct Never;

impl Arrivals for Never {
    fn next(&mut self, _: &mut Rng) -> f64 {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use crate::traffic::tests::refused;

    #[test]
    fn a_trace_needs_its_file_and_an_end_after_its_start() {
        let (key, line, message) = refused("pattern = \"trace\"");
        assert_eq!((key.as_str(), line), ("traffic.file", 2));
        assert!(
            message.contains("pattern `trace` needs `file`"),
            "{message}"
        );
        let (key, line, message) =
            refused("pattern = \"trace\"\nfile = \"Cargo.toml\"\nstart = \"10m\"\nend = \"5m\"");
        assert_eq!((key.as_str(), line), ("traffic.end", 6));
        assert!(message.contains("after `start` (10m)"), "{message}");
    }
}

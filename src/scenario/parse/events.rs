//! `[[events]]`: deploys, scaling, restarts and whole-CDN purges at set times
//! (docs/model.md §6.8).
//!
//! Each event has a `kind` and happens `at` a time, `every` period, or both (first at `at`, then
//! every period). The other keys belong to one kind each, and a key given to a kind that does not
//! take it is named with its line rather than ignored.

use serde::Deserialize;
use toml::Spanned;

use super::source::{Source, one_of};
use super::values::{Count, Delay, Interval, Keyword, Word};
use crate::error::InputError;
use crate::scenario::{Action, PurgeKind, SiteEvent};
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Deploy,
    Scale,
    Restart,
    PurgeAll,
}

impl Keyword for Kind {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("deploy", Kind::Deploy),
        ("scale", Kind::Scale),
        ("restart", Kind::Restart),
        ("purge_all", Kind::PurgeAll),
    ];
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    name: Option<Spanned<String>>,
    kind: Spanned<Word<Kind>>,
    at: Option<Spanned<Delay>>,
    every: Option<Spanned<Interval>>,
    build_concurrency: Option<Spanned<Count>>,
    rolling: Option<Spanned<Interval>>,
    purge_cdn: Option<Spanned<bool>>,
    instances: Option<Spanned<Count>>,
    purge: Option<Spanned<Word<PurgeKind>>>,
}

/// Next.js renders at most this many pages at once per build worker
/// (`experimental.staticGenerationMaxConcurrency`, 8 by default: Next.js docs,
/// "next.config.js: staticGeneration*"); the default stands for one worker.
pub const DEFAULT_BUILD_CONCURRENCY: u32 = 8;

/// The most instances a `scale` event may ask for.
const MAX_INSTANCES: u32 = 1_024;

/// Which kinds take each kind-specific key.
const KEYS: [(&str, &[Kind]); 5] = [
    ("build_concurrency", &[Kind::Deploy]),
    ("rolling", &[Kind::Deploy]),
    ("purge_cdn", &[Kind::Deploy]),
    ("instances", &[Kind::Scale, Kind::Restart]),
    ("purge", &[Kind::PurgeAll]),
];

impl RawEvent {
    /// The span of each kind-specific key given, by name.
    fn given(&self) -> [Option<std::ops::Range<usize>>; 5] {
        [
            self.build_concurrency.as_ref().map(Spanned::span),
            self.rolling.as_ref().map(Spanned::span),
            self.purge_cdn.as_ref().map(Spanned::span),
            self.instances.as_ref().map(Spanned::span),
            self.purge.as_ref().map(Spanned::span),
        ]
    }
}

pub(super) fn resolve_events(
    source: &Source,
    raw: Option<Spanned<Vec<Spanned<RawEvent>>>>,
    duration: SimTime,
) -> Result<Vec<SiteEvent>, InputError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let mut events: Vec<SiteEvent> = Vec::new();
    for (i, spanned) in raw.into_inner().into_iter().enumerate() {
        let span = spanned.span();
        let e = spanned.into_inner();
        let key = |k: &str| format!("events[{i}].{k}");
        let kind = e.kind.get_ref().0;
        let kind_word = Kind::WORDS
            .iter()
            .find(|(_, k)| *k == kind)
            .map_or("", |(w, _)| w);
        for ((name, kinds), given) in KEYS.iter().zip(e.given()) {
            if let (Some(at), false) = (given, kinds.contains(&kind)) {
                let takers: Vec<&str> = Kind::WORDS
                    .iter()
                    .filter(|(_, k)| kinds.contains(k))
                    .map(|(w, _)| *w)
                    .collect();
                return Err(source.error(
                    key(name),
                    Some(at),
                    format!(
                        "a `{kind_word}` event does not take `{name}`; it belongs to {}",
                        one_of(&takers)
                    ),
                ));
            }
        }
        let name = match &e.name {
            Some(n) => {
                super::check_table_name(
                    source,
                    "events",
                    "event",
                    i,
                    n,
                    events.iter().map(|e| e.name.as_str()),
                )?;
                n.get_ref().clone()
            }
            None => kind_word.to_string(),
        };
        let every = e.every.as_ref().map(|t| t.get_ref().0);
        let at = match (&e.at, every) {
            (Some(at), _) => {
                let t = at.get_ref().0;
                if t >= duration {
                    return Err(source.at(
                        key("at"),
                        at,
                        format!("{t} is not allowed: it must fall within the run, before `duration` ({duration})"),
                    ));
                }
                t
            }
            (None, Some(every)) => every,
            (None, None) => {
                return Err(source.error(
                    format!("events[{i}]"),
                    Some(span),
                    "an event needs `at` (a time, such as \"6h\"), `every` (a period), or both",
                ));
            }
        };
        let action = match kind {
            Kind::Deploy => Action::Deploy {
                build_concurrency: e
                    .build_concurrency
                    .as_ref()
                    .map_or(DEFAULT_BUILD_CONCURRENCY, |n| n.get_ref().0),
                rolling: e.rolling.as_ref().map(|t| t.get_ref().0),
                purge_cdn: e.purge_cdn.as_ref().is_some_and(|p| *p.get_ref()),
            },
            Kind::Scale => match &e.instances {
                Some(n) if n.get_ref().0 > MAX_INSTANCES => {
                    return Err(source.at(
                        key("instances"),
                        n,
                        format!(
                            "{} is not allowed: at most {MAX_INSTANCES} instances",
                            n.get_ref().0
                        ),
                    ));
                }
                Some(n) => Action::Scale {
                    instances: n.get_ref().0,
                },
                None => {
                    return Err(source.error(
                        key("instances"),
                        Some(span),
                        "a `scale` event needs `instances`: how many instances run from then on",
                    ));
                }
            },
            Kind::Restart => Action::Restart {
                instances: e.instances.as_ref().map(|n| n.get_ref().0),
            },
            Kind::PurgeAll => Action::PurgeAll {
                purge: e.purge.as_ref().map_or(PurgeKind::Hard, |p| p.get_ref().0),
            },
        };
        events.push(SiteEvent {
            name,
            at,
            every,
            action,
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text};
    use crate::scenario::{Action, PurgeKind};
    use crate::time::SimTime;

    fn with(events: &str) -> String {
        format!("{MINIMAL}\n{events}")
    }

    #[test]
    fn each_kind_reads_with_its_defaults() {
        let s = parse_text(&with(
            r#"
[[events]]
kind = "deploy"
every = "6h"

[[events]]
name = "peak"
kind = "scale"
at = "2h"
instances = 8

[[events]]
kind = "restart"
at = "3h"
every = "1h"

[[events]]
kind = "purge_all"
at = "1h"
purge = "soft"
"#,
        ))
        .unwrap();
        let h = |n: u64| SimTime::from_secs(3_600 * n);
        assert_eq!(s.events.len(), 4);
        assert_eq!(s.events[0].name, "deploy");
        assert_eq!((s.events[0].at, s.events[0].every), (h(6), Some(h(6))));
        assert_eq!(
            s.events[0].action,
            Action::Deploy {
                build_concurrency: 8,
                rolling: None,
                purge_cdn: false
            }
        );
        assert_eq!(s.events[1].name, "peak");
        assert_eq!(s.events[1].action, Action::Scale { instances: 8 });
        assert_eq!(s.most_instances(), 8);
        assert_eq!(s.events[2].action, Action::Restart { instances: None });
        let times: Vec<_> = s.events[2].times(s.duration).collect();
        assert_eq!(times, vec![h(3), h(4), h(5)], "until the run ends at 6h");
        assert_eq!(
            s.events[3].action,
            Action::PurgeAll {
                purge: PurgeKind::Soft
            }
        );
    }

    #[test]
    fn a_key_of_another_kind_is_named() {
        let text =
            with("[[events]]\nkind = \"scale\"\nat = \"1h\"\ninstances = 2\nrolling = \"30s\"\n");
        let err = error(&text, "events[0].rolling", line_of(&text, "rolling"));
        assert!(err.message.contains("`deploy`"), "{err}");
        let text = with("[[events]]\nkind = \"deploy\"\nat = \"1h\"\ninstances = 2\n");
        let err = error(&text, "events[0].instances", line_of(&text, "instances"));
        assert!(
            err.message.contains("`scale` or `restart`"),
            "names the kinds that take it: {err}"
        );
    }

    #[test]
    fn an_event_needs_a_time_within_the_run() {
        let text = with("[[events]]\nkind = \"restart\"\n");
        let err = error(&text, "events[0]", line_of(&text, "[[events]]"));
        assert!(err.message.contains("`at`"), "{err}");
        let text = with("[[events]]\nkind = \"restart\"\nat = \"7h\"\n");
        let err = error(&text, "events[0].at", line_of(&text, "at = "));
        assert!(err.message.contains("duration"), "{err}");
        let text = with("[[events]]\nkind = \"scale\"\nat = \"1h\"\n");
        error(&text, "events[0].instances", line_of(&text, "[[events]]"));
        let text = with("[[events]]\nkind = \"scale\"\nat = \"1h\"\ninstances = 0\n");
        error(&text, "events[0].instances", line_of(&text, "instances"));
        let text = with("[[events]]\nkind = \"upgrade\"\nat = \"1h\"\n");
        let err = error(&text, "events[0].kind", line_of(&text, "upgrade"));
        assert!(err.message.contains("`purge_all`"), "{err}");
        let text = with("[[events]]\nkind = \"deploy\"\nevery = \"0s\"\n");
        error(&text, "events[0].every", line_of(&text, "every"));
    }

    #[test]
    fn names_are_unique() {
        let text = with(
            "[[events]]\nname = \"a\"\nkind = \"restart\"\nat = \"1h\"\n\n[[events]]\nname = \"a\"\nkind = \"restart\"\nat = \"2h\"\n",
        );
        let second = text.rfind("name = \"a\"").unwrap();
        error(&text, "events[1].name", text[..second].lines().count() + 1);
    }
}

//! `[[events]]`: deploys, scaling, restarts, whole-CDN purges and bulk edits at set times
//! (docs/model.md §6.8, §3).
//!
//! Each event has a `kind` and happens `at` a time, `every` period, or both (first at `at`, then
//! every period). The other keys belong to one kind each, and a key given to a kind that does not
//! take it is named with its line rather than ignored.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::limits::check_events;
use super::source::{Source, one_of};
use super::values::{Count, Delay, Interval, Keyword, Word, not_allowed};
use crate::error::InputError;
use crate::scenario::{Action, Pick, PurgeKind, Route, SiteEvent};
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Deploy,
    Scale,
    Restart,
    PurgeAll,
    BulkEdit,
}

impl Keyword for Kind {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("deploy", Kind::Deploy),
        ("scale", Kind::Scale),
        ("restart", Kind::Restart),
        ("purge_all", Kind::PurgeAll),
        ("bulk_edit", Kind::BulkEdit),
    ];
}

/// `pick`: `"popular"`, `"random"`, or `[first, last]`, an inclusive range of page indices.
#[derive(Clone, Copy, Debug)]
struct RawPick(Pick);

impl<'de> Deserialize<'de> for RawPick {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str =
            "\"popular\", \"random\", or a range of page indices `[first, last]` such as [0, 99]";
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPick;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPick, E> {
                match v {
                    "popular" => Ok(RawPick(Pick::Popular)),
                    "random" => Ok(RawPick(Pick::Random)),
                    _ => Err(not_allowed(format_args!("`{v}`"), WHAT)),
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPick, A::Error> {
                let index = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
                let first = index(seq.next_element::<i64>()?);
                let last = index(seq.next_element::<i64>()?);
                let more = seq.next_element::<de::IgnoredAny>()?.is_some();
                match (first, last, more) {
                    (Some(first), Some(last), false) if first <= last => {
                        Ok(RawPick(Pick::Range { first, last }))
                    }
                    _ => Err(de::Error::custom(format!(
                        "a range is two page indices `[first, last]`, each a whole number of at \
                         least 0, with first <= last: expected {WHAT}"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
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
    route: Option<Spanned<String>>,
    pages: Option<Spanned<Count>>,
    pick: Option<Spanned<RawPick>>,
    within: Option<Spanned<Delay>>,
}

/// Next.js renders at most this many pages at once per build worker
/// (`experimental.staticGenerationMaxConcurrency`, 8 by default: Next.js docs,
/// "next.config.js: staticGeneration*"); the default stands for one worker.
pub const DEFAULT_BUILD_CONCURRENCY: u32 = 8;

/// The most instances a `scale` event may ask for.
const MAX_INSTANCES: u32 = 1_024;

/// Which kinds take each kind-specific key.
const KEYS: [(&str, &[Kind]); 9] = [
    ("build_concurrency", &[Kind::Deploy]),
    ("rolling", &[Kind::Deploy]),
    ("purge_cdn", &[Kind::Deploy]),
    ("instances", &[Kind::Scale, Kind::Restart]),
    ("purge", &[Kind::PurgeAll]),
    ("route", &[Kind::BulkEdit]),
    ("pages", &[Kind::BulkEdit]),
    ("pick", &[Kind::BulkEdit]),
    ("within", &[Kind::BulkEdit]),
];

impl RawEvent {
    /// The span of each kind-specific key given, by name.
    fn given(&self) -> [Option<std::ops::Range<usize>>; 9] {
        [
            self.build_concurrency.as_ref().map(Spanned::span),
            self.rolling.as_ref().map(Spanned::span),
            self.purge_cdn.as_ref().map(Spanned::span),
            self.instances.as_ref().map(Spanned::span),
            self.purge.as_ref().map(Spanned::span),
            self.route.as_ref().map(Spanned::span),
            self.pages.as_ref().map(Spanned::span),
            self.pick.as_ref().map(Spanned::span),
            self.within.as_ref().map(Spanned::span),
        ]
    }
}

/// The events of a run of `duration` over `routes`.
pub(super) fn resolve_events(
    source: &Source,
    raw: Option<Spanned<Vec<Spanned<RawEvent>>>>,
    duration: SimTime,
    routes: &[Route],
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
        let kind_word = kind.word();
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
        let action = action(source, i, &e, span, routes)?;
        events.push(SiteEvent {
            name,
            at,
            every,
            action,
        });
    }
    check_bulk_edits(source, &events, routes, duration)?;
    Ok(events)
}

/// What event `i` of kind `e.kind` does, from its kind's keys.
fn action(
    source: &Source,
    i: usize,
    e: &RawEvent,
    span: std::ops::Range<usize>,
    routes: &[Route],
) -> Result<Action, InputError> {
    let key = |k: &str| format!("events[{i}].{k}");
    Ok(match e.kind.get_ref().0 {
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
        Kind::BulkEdit => bulk_edit(source, i, e, span, routes)?,
    })
}

/// A `bulk_edit` event: its route by name, and `pages` and `pick` within the route's pages.
fn bulk_edit(
    source: &Source,
    i: usize,
    e: &RawEvent,
    span: std::ops::Range<usize>,
    routes: &[Route],
) -> Result<Action, InputError> {
    let key = |k: &str| format!("events[{i}].{k}");
    let Some(name) = &e.route else {
        return Err(source.error(
            key("route"),
            Some(span),
            "a `bulk_edit` event needs `route`: the name of the route whose pages it edits",
        ));
    };
    let Some(route) = routes.iter().position(|r| &r.name == name.get_ref()) else {
        let names: Vec<&str> = routes.iter().map(|r| r.name.as_str()).collect();
        return Err(source.at(
            key("route"),
            name,
            format!(
                "there is no route `{}`: expected one of {}",
                name.get_ref(),
                one_of(&names)
            ),
        ));
    };
    let available = routes[route].pages;
    let pick = e.pick.as_ref().map_or(Pick::Popular, |p| p.get_ref().0);
    let pages = match (pick, &e.pages) {
        (Pick::Range { last, .. }, _) if last >= available => {
            return Err(source.error(
                key("pick"),
                e.pick.as_ref().map(Spanned::span),
                format!(
                    "page {last} is not allowed: route `{}` has pages 0 to {}",
                    name.get_ref(),
                    available - 1
                ),
            ));
        }
        (Pick::Range { first, last }, Some(n)) if n.get_ref().0 != last - first + 1 => {
            return Err(source.at(
                key("pages"),
                n,
                format!(
                    "{} is not allowed: the range [{first}, {last}] holds {} pages (or leave `pages` out)",
                    n.get_ref().0,
                    last - first + 1
                ),
            ));
        }
        (Pick::Range { first, last }, _) => last - first + 1,
        (_, Some(n)) if n.get_ref().0 > available => {
            return Err(source.at(
                key("pages"),
                n,
                format!(
                    "{} is not allowed: route `{}` has {available} pages",
                    n.get_ref().0,
                    name.get_ref()
                ),
            ));
        }
        (_, Some(n)) => n.get_ref().0,
        (_, None) => {
            return Err(source.error(
                key("pages"),
                Some(span),
                "a `bulk_edit` event needs `pages` (how many pages it edits), unless `pick` is a range [first, last]",
            ));
        }
    };
    let within = e.within.as_ref().map_or(SimTime::ZERO, |w| w.get_ref().0);
    if let (Some(w), Some(every)) = (&e.within, &e.every)
        && within > every.get_ref().0
    {
        return Err(source.at(
            key("within"),
            w,
            format!(
                "{within} is not allowed: a bulk edit ends before it fires again, so `within` is at most `every` ({})",
                every.get_ref().0
            ),
        ));
    }
    Ok(Action::BulkEdit {
        route,
        pages,
        pick,
        within,
    })
}

/// Bulk edits are edits: with the routes' `edit_every` edits they count towards the edits a run
/// may expect, and the bulk edit with most is named.
fn check_bulk_edits(
    source: &Source,
    events: &[SiteEvent],
    routes: &[Route],
    duration: SimTime,
) -> Result<(), InputError> {
    let bulk = |e: &SiteEvent| match e.action {
        Action::BulkEdit { pages, .. } => f64::from(pages) * e.occurrences(duration) as f64,
        _ => 0.0,
    };
    let Some((most, event)) = (events.iter().enumerate())
        .filter(|(_, e)| bulk(e) > 0.0)
        .max_by(|a, b| bulk(a.1).total_cmp(&bulk(b.1)))
    else {
        return Ok(());
    };
    let drawn: f64 = routes
        .iter()
        .filter_map(|r| {
            let every = r.edit_every?;
            Some(f64::from(r.pages) * duration.as_secs_f64() / every.as_secs_f64())
        })
        .sum();
    let total = drawn + events.iter().map(bulk).sum::<f64>();
    check_events(
        source,
        &format!("events[{most}]"),
        None,
        total,
        (
            "edits",
            format!(
                "{} of them from `{}`, {} pages each of {} times",
                bulk(event) as u64,
                event.name,
                match event.action {
                    Action::BulkEdit { pages, .. } => pages,
                    _ => 0,
                },
                event.occurrences(duration)
            ),
            "edit fewer pages, lengthen `every` or shorten `duration`",
        ),
    )
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
        for e in &s.events {
            let walked = e.times(s.duration).count() as u64;
            assert_eq!(e.occurrences(s.duration), walked, "{}", e.name);
        }
        let late = h(5) + SimTime::from_micros(1);
        assert_eq!(
            s.events[2].occurrences(late),
            3,
            "5h itself is before the end"
        );
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

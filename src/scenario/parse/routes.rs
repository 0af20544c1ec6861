//! `[[routes]]`: the groups of pages, how often each is requested and edited, how long it takes
//! to regenerate, and which route aggregates another (`depends_on`).

use serde::Deserialize;
use toml::Spanned;

use std::sync::Arc;

use super::check_table_name;
use super::distribution::Dist;
use super::limits::{check_events, check_shares};
use super::logs::{self, RawEdits};
use super::source::Logs;
use super::source::{Source, one_of};
use super::tags::{TagList, check_route_tags, span_of};
use super::values::{Count, Interval, NonNegative, Size, not_allowed};
use crate::error::InputError;
use crate::logs::edits::{EditSpec, Keys, Timing};
use crate::logs::matcher::PageKeys;
use crate::logs::{EditLog, Filter, Replay};
use crate::scenario::Route;
use crate::time::SimTime;
use crate::traffic::profile::EditProfile;
use crate::traffic::trace::Trace;
use crate::traffic::{Read, Traffic};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    name: Spanned<String>,
    pages: Option<Spanned<Count>>,
    share: Option<Spanned<NonNegative>>,
    popularity: Option<Spanned<NonNegative>>,
    edit_every: Option<Spanned<Interval>>,
    edits: Option<Spanned<RawEdits>>,
    edit_profile: Option<Spanned<RawEditProfile>>,
    #[serde(rename = "match")]
    rule: Option<Spanned<String>>,
    regen_time: Dist,
    prerendered: Option<bool>,
    depends_on: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    page_size: Option<Spanned<Size>>,
    tags: Option<Spanned<TagList>>,
}

/// What the logs said of the routes: each one's pages, and its recorded edits.
pub(super) struct Found {
    pub(super) pages: Vec<u32>,
    pub(super) edit_logs: Vec<Option<Arc<EditLog>>>,
}

/// Reads the routes' logs: the trace, if the traffic is one, then each route's `edits`.
pub(super) fn read_logs(
    source: &Source,
    raw: &[RawRoute],
    traffic: Read,
) -> Result<(Traffic, Found), InputError> {
    let is_trace = matches!(traffic, Read::Trace(_));
    let rules = route_rules(source, raw, is_trace)?;
    let mut pages: Vec<PageKeys> = rules
        .iter()
        .map(|(_, bound)| PageKeys::new(*bound))
        .collect();
    let traffic = match traffic {
        Read::Drawn(traffic) => traffic,
        Read::Trace(spec) => {
            if raw.iter().all(|r| r.rule.is_none()) {
                return Err(source.error(
                    "routes[0].match",
                    Some(raw[0].name.span()),
                    "no route has a `match`, so the trace would replay no request: give each \
                     route a `match`, as '^/blog/([^/?#]+)'",
                ));
            }
            if source.logs == Logs::Named {
                Traffic::new(Trace(Arc::new(Replay::named(&spec, raw.len()))))
            } else {
                let (replay, found) = Replay::read_once(&spec, rules)?;
                pages = found;
                Traffic::new(Trace(replay))
            }
        }
    };
    let edit_logs = edit_logs(source, raw, traffic.replay(), &mut pages)?;
    let counts = page_counts(source, raw, &pages)?;
    Ok((
        traffic,
        Found {
            pages: counts,
            edit_logs,
        },
    ))
}

/// A route's `match`, compiled, and its `pages`, which bound the pages a trace may find.
type Rule = (Option<regex::bytes::Regex>, Option<u32>);

/// Each route's `match` compiled (a trace's only) and its `pages` bound, once the keys that do
/// not go together are refused.
fn route_rules(source: &Source, raw: &[RawRoute], is_trace: bool) -> Result<Vec<Rule>, InputError> {
    let mut rules = Vec::with_capacity(raw.len());
    for (i, route) in raw.iter().enumerate() {
        let key = |k: &str| format!("routes[{i}].{k}");
        let rule = match (&route.rule, is_trace) {
            (Some(r), true) => Some(logs::rule(source, &key("match"), r)?),
            (Some(r), false) => {
                return Err(source.at(
                    key("match"),
                    r,
                    "`match` places the requests of a trace: it needs `[traffic] pattern = \"trace\"`",
                ));
            }
            (None, _) => None,
        };
        if is_trace {
            let why = "a trace decides which pages are requested and how often";
            if let Some(share) = &route.share {
                return Err(source.at(
                    key("share"),
                    share,
                    format!("`share` does not apply: {why}"),
                ));
            }
            if let Some(p) = &route.popularity {
                return Err(source.at(
                    key("popularity"),
                    p,
                    format!("`popularity` does not apply: {why}"),
                ));
            }
        }
        if route.pages.is_none() && rule.is_none() {
            let why = if is_trace {
                "`pages` is required here (or a `match`, whose pages the trace tells)"
            } else {
                "`pages` is required here"
            };
            // The route's `[[routes]]` header, where a missing key would go.
            let name = route.name.span();
            let header = source.text[..name.start]
                .rfind("[[routes]]")
                .map(|at| at..at);
            return Err(source.error(key("pages"), header.or(Some(name)), why));
        }
        check_edit_profile(source, i, route)?;
        if let (Some(_), Some(edits)) = (&route.edit_every, &route.edits) {
            return Err(source.at(
                key("edits"),
                edits,
                "a route's edits come from `edit_every` or from `edits`, not both",
            ));
        }
        rules.push((rule, route.pages.as_ref().map(|p| p.get_ref().0)));
    }
    Ok(rules)
}

/// Each route's recorded edits (`edits`), read with the trace's clock if there is one; a
/// route's pages found only in its edit log are added to `pages`.
fn edit_logs(
    source: &Source,
    raw: &[RawRoute],
    replay: Option<&Arc<Replay>>,
    pages: &mut [PageKeys],
) -> Result<Vec<Option<Arc<EditLog>>>, InputError> {
    let mut edit_logs = Vec::with_capacity(raw.len());
    for (i, route) in raw.iter().enumerate() {
        let Some(edits) = &route.edits else {
            edit_logs.push(None);
            continue;
        };
        let key = format!("routes[{i}].edits");
        let edits = edits.get_ref();
        let log = logs::log_source(source, &key, edits.keys(), Filter::everything())?;
        let rule_text = match (&edits.rule, &route.rule) {
            (Some(r), _) | (None, Some(r)) => r,
            (None, None) => {
                return Err(source.at(
                    format!("{key}.file"),
                    &edits.file,
                    "an edit log needs a `match` that finds the page in each line's path",
                ));
            }
        };
        let spec = EditSpec {
            log,
            rule: logs::rule(source, &format!("{key}.match"), rule_text)?,
            rule_text: rule_text.get_ref().clone(),
        };
        let keys = match (&replay, &route.rule, &route.pages) {
            (Some(_), Some(_), _) => Keys::Trace(&mut pages[i]),
            (_, _, Some(pages)) => Keys::Index(pages.get_ref().0),
            // A route without `match` or `pages` was refused above.
            _ => Keys::Index(1),
        };
        let timing = Timing {
            origin: replay.as_ref().map(|r| r.origin),
            speed: replay.map_or(1.0, |r| r.spec.speed),
        };
        let log = match source.logs {
            Logs::Read => EditLog::read(&spec, keys, timing)?,
            Logs::Named => EditLog::named(&spec),
        };
        edit_logs.push(Some(Arc::new(log)));
    }
    Ok(edit_logs)
}

/// Each route's pages: its `pages`, or as many as its logs found.
fn page_counts(
    source: &Source,
    raw: &[RawRoute],
    pages: &[PageKeys],
) -> Result<Vec<u32>, InputError> {
    let mut counts = Vec::with_capacity(raw.len());
    for (i, route) in raw.iter().enumerate() {
        let found = pages[i].len();
        counts.push(match &route.pages {
            Some(p) => p.get_ref().0,
            None if found > 0 => found,
            // Its logs not read, a route's pages are not known; nothing reads them then.
            None if source.logs == Logs::Named => 1,
            None => {
                return Err(source.error(
                    format!("routes[{i}].match"),
                    route.rule.as_ref().map(Spanned::span),
                    format!(
                        "takes no request of the trace, so route `{}` has no page: give it \
                         `pages`, or a `match` that takes its paths",
                        route.name.get_ref()
                    ),
                ));
            }
        });
    }
    Ok(counts)
}

/// The routes of a run of `duration`, with what their logs said.
pub(super) fn resolve_routes(
    source: &Source,
    raw: Vec<RawRoute>,
    duration: SimTime,
    found: Found,
) -> Result<Vec<Route>, InputError> {
    let Found { pages, edit_logs } = found;
    for (i, route) in raw.iter().enumerate() {
        let earlier = raw[..i].iter().map(|r| r.name.get_ref().as_str());
        check_table_name(source, "routes", "route", i, &route.name, earlier)?;
    }
    let parents = parents(source, &raw)?;
    for (i, route) in raw.iter().enumerate() {
        if let Some(path) = &route.path {
            check_path(source, i, path, pages[i])?;
        }
        if let Some(size) = &route.page_size
            && size.get_ref().0 > u64::from(u32::MAX)
        {
            return Err(source.at(
                format!("routes[{i}].page_size"),
                size,
                "must be under 4GiB: it is one page's size",
            ));
        }
    }
    let shares: Vec<_> = raw.iter().map(|r| r.share.as_ref()).collect();
    check_shares(source, &shares)?;
    check_edits(source, &raw, &pages, duration)?;
    let tag_spans: Vec<_> = raw.iter().map(|r| span_of(&r.tags)).collect();
    let routes: Vec<Route> = raw
        .into_iter()
        .zip(parents)
        .zip(pages.into_iter().zip(edit_logs))
        .map(|((r, depends_on), (pages, edit_log))| Route {
            name: r.name.into_inner(),
            pages,
            share: r.share.map_or(1.0, |s| s.get_ref().0),
            popularity: r.popularity.map_or(0.0, |p| p.get_ref().0),
            edit_every: r.edit_every.map(|t| t.into_inner().0),
            edit_log,
            edit_profile: r.edit_profile.map(|p| p.into_inner().0),
            rule: r.rule.map(Spanned::into_inner),
            // Checked above to fit in 32 bits.
            page_size: r
                .page_size
                .map_or(DEFAULT_PAGE_SIZE, |s| s.get_ref().0 as u32),
            regen_time: r.regen_time.0,
            prerendered: r.prerendered.unwrap_or(true),
            depends_on,
            path: r
                .path
                .map_or_else(|| DEFAULT_PATH.to_string(), Spanned::into_inner),
            tags: r.tags.map_or_else(Vec::new, |t| t.into_inner().0),
        })
        .collect();
    check_route_tags(source, &routes, &tag_spans)?;
    Ok(routes)
}

/// Each route's `depends_on`, as the index of the route it names; a name that is no route's,
/// and a cycle, are refused.
fn parents(source: &Source, raw: &[RawRoute]) -> Result<Vec<Option<usize>>, InputError> {
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
    Ok(parents)
}

/// `edit_profile = "traffic"`, or 24 hourly weights as written.
pub(super) struct RawEditProfile(EditProfile);

impl<'de> Deserialize<'de> for RawEditProfile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEditProfile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EDIT_PROFILE)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawEditProfile, E> {
                match v {
                    "traffic" => Ok(RawEditProfile(EditProfile::Traffic)),
                    _ => Err(not_allowed(format_args!("`{v}`"), EDIT_PROFILE)),
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawEditProfile, A::Error> {
                let mut weights = Vec::with_capacity(24);
                while let Some(w) = seq.next_element::<NonNegative>()? {
                    weights.push(w.0);
                }
                let weights: [f64; 24] = weights.as_slice().try_into().map_err(|_| {
                    de::Error::custom(format!(
                        "{} weights are not allowed: expected exactly 24, one an hour of the day \
                         from 0h",
                        weights.len()
                    ))
                })?;
                if weights.iter().all(|&w| w == 0.0) {
                    return Err(de::Error::custom(
                        "weights are all 0: one at least must be above 0, or the route is \
                         never edited",
                    ));
                }
                Ok(RawEditProfile(EditProfile::Hourly(weights)))
            }
        }
        d.deserialize_any(V)
    }
}

const EDIT_PROFILE: &str =
    "`\"traffic\"` (the traffic's daily and weekly shape) or 24 hourly weights, each at least 0";

/// `edit_profile` shapes `edit_every`'s rate: it needs `edit_every`.
fn check_edit_profile(source: &Source, i: usize, route: &RawRoute) -> Result<(), InputError> {
    let Some(profile) = &route.edit_profile else {
        return Ok(());
    };
    let why = if route.edits.is_some() {
        "the recorded `edits` are replayed at the times logged"
    } else if route.edit_every.is_none() {
        "the route has no `edit_every`, so no edit to shape"
    } else {
        return Ok(());
    };
    Err(source.at(
        format!("routes[{i}].edit_profile"),
        profile,
        format!("`edit_profile` shapes the rate of `edit_every` over the day: {why}"),
    ))
}

/// Edits are events of their own, bounded as requests are; the route with most is named.
fn check_edits(
    source: &Source,
    raw: &[RawRoute],
    pages: &[u32],
    duration: SimTime,
) -> Result<(), InputError> {
    let edits = |(i, r): (usize, &RawRoute)| {
        r.edit_every.as_ref().map_or(0.0, |every| {
            f64::from(pages[i]) * duration.as_secs_f64() / every.get_ref().0.as_secs_f64()
        })
    };
    let most = (raw.iter().enumerate()).max_by(|a, b| edits(*a).total_cmp(&edits(*b)));
    if let Some((i, route)) = most
        && let Some(every) = &route.edit_every
    {
        let because = format!(
            "most of them from {} pages of `{}` edited every {} over `duration` {duration}",
            pages[i],
            route.name.get_ref(),
            every.get_ref().0
        );
        check_events(
            source,
            &format!("routes[{i}].edit_every"),
            Some(every.span()),
            raw.iter().enumerate().map(edits).sum(),
            (
                "edits",
                because,
                "lengthen `edit_every` or shorten `duration`",
            ),
        )?;
    }
    Ok(())
}

/// A page's size, unless its route's `page_size` says otherwise: 50 KB, about what a Next.js
/// App Router page's HTML and RSC payload weigh together.
pub const DEFAULT_PAGE_SIZE: u32 = 50_000;

/// Where a route's pages are on the site under test, unless its `path` says otherwise.
pub const DEFAULT_PATH: &str = "/{route}/{page}";

/// A `path` starts with `/`, names each page with `{page}` once (a single page may go without),
/// and holds no placeholder but `{route}` and `{page}`.
fn check_path(
    source: &Source,
    i: usize,
    path: &Spanned<String>,
    pages: u32,
) -> Result<(), InputError> {
    let text = path.get_ref();
    let key = format!("routes[{i}].path");
    let bad = |why: &str| {
        source.at(
            key.clone(),
            path,
            format!(
                "`{text}` {why}: a path starts with `/` and places the page's index with \
                 `{{page}}`, for example \"/blog/{{page}}\" (and may name the route with `{{route}}`)"
            ),
        )
    };
    if !text.starts_with('/') {
        return Err(bad("does not start with `/`"));
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || c == '?' || c == '#')
    {
        return Err(bad("holds a space, `?` or `#`"));
    }
    let rest = text.replace("{route}", "").replace("{page}", "");
    if rest.contains('{') || rest.contains('}') {
        return Err(bad("holds a placeholder other than `{route}` and `{page}`"));
    }
    match text.matches("{page}").count() {
        0 if pages > 1 => Err(bad("does not say where the page's index goes")),
        0 | 1 => Ok(()),
        _ => Err(bad("names `{page}` more than once")),
    }
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

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};

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
    fn a_path_places_the_page_once_under_the_root() {
        let ok = replace(
            MINIMAL,
            "pages = 100\n",
            "pages = 100\npath = \"/blog/{page}\"\n",
        );
        let routes = parse_text(&ok).unwrap().routes;
        assert_eq!(routes[0].path, "/blog/{page}");
        assert_eq!(routes[1].path, super::DEFAULT_PATH);
        for bad in [
            "blog/{page}",
            "/blog",
            "/{page}/{page}",
            "/b/{id}",
            "/b/{page}?x=1",
        ] {
            let text = replace(
                MINIMAL,
                "pages = 100\n",
                &format!("pages = 100\npath = \"{bad}\"\n"),
            );
            error(&text, "routes[0].path", line_of(&text, "path ="));
        }
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
}

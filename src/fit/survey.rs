//! What an access log holds, counted for `isrsim fit`: the routes (given, or proposed from the
//! paths' first segments), each route's requests per page, and the requests per second.
//!
//! Two streaming passes when the routes are proposed (one to see the paths, one to count), one
//! when they are given; memory grows with the pages and the log's length in seconds, never with
//! its lines.

use std::collections::HashMap;

use regex::bytes::Regex;

use crate::error::InputError;
use crate::logs::clock::Micros;
use crate::logs::reader::each_kept;
use crate::logs::{LogSource, Matcher, Outcome, Tally};

/// A route to count: its name and its `match`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    pub name: String,
    pub rule: String,
}

/// First segments that are a framework's or a server's, not pages: Next.js's assets and API
/// routes, and the usual static folders.
const NOT_PAGES: &[&str] = &["_next", "api", "static", "assets", "public", "favicon.ico"];

/// A proposed route takes at least this share of the requests; the rest are reported unmatched.
const LEAST_SHARE: f64 = 0.01;

/// At most this many routes are proposed, the busiest first.
const MOST_ROUTES: usize = 20;

/// At most this many distinct first segments are told apart while proposing.
const MOST_SEGMENTS: usize = 10_000;

#[derive(Default)]
struct Segment {
    requests: u64,
    /// Paths below it (`/blog/a`), and the segment itself (`/blog`, `/blog/`).
    deeper: u64,
    itself: u64,
    /// Paths whose last segment has a file extension (`/img/a.png`).
    files: u64,
}

/// The path without its query and fragment.
fn bare(path: &[u8]) -> &[u8] {
    let end = memchr::memchr2(b'?', b'#', path).unwrap_or(path.len());
    &path[..end]
}

/// Proposes routes from the first segments of the log's paths: a segment with pages below it
/// (`/blog/a`) becomes a route whose key is the rest of the path; one requested itself (`/blog`)
/// a route of one page; `/` the route `home`. Assets (`/_next/…`, paths of files) and segments
/// with under 1% of the requests are left out.
pub fn propose(log: &LogSource) -> Result<(Vec<RouteRule>, Tally), InputError> {
    let mut segments: HashMap<Vec<u8>, Segment> = HashMap::new();
    let (mut root, mut total) = (0u64, 0u64);
    let mut tally = Tally::default();
    each_kept(log, &mut tally, |record| {
        let path = bare(record.path);
        if !path.starts_with(b"/") {
            return;
        }
        total += 1;
        let rest = &path[1..];
        if rest.is_empty() {
            root += 1;
            return;
        }
        let (first, below) = match memchr::memchr(b'/', rest) {
            Some(slash) => (&rest[..slash], &rest[slash + 1..]),
            None => (rest, &b""[..]),
        };
        if !segments.contains_key(first) && segments.len() >= MOST_SEGMENTS {
            return;
        }
        let s = segments.entry(first.to_vec()).or_default();
        s.requests += 1;
        if below.is_empty() {
            s.itself += 1;
        } else {
            s.deeper += 1;
        }
        let last = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
        if memchr::memchr(b'.', last).is_some() {
            s.files += 1;
        }
    })?;
    let least = (LEAST_SHARE * total as f64).max(1.0) as u64;
    let mut kept: Vec<(String, &Segment)> = segments
        .iter()
        .filter_map(|(name, s)| {
            let name = String::from_utf8(name.clone()).ok()?;
            let pages = !NOT_PAGES.contains(&name.as_str()) && s.files * 2 < s.requests;
            (pages && s.requests >= least).then_some((name, s))
        })
        .collect();
    // The busiest first, then by name, so the same log always proposes the same routes.
    kept.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(&b.0)));
    kept.truncate(MOST_ROUTES);
    let mut rules = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut name = |wanted: &str| {
        let mut clean: String = wanted
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if clean.is_empty() {
            clean = "route".into();
        }
        let mut unique = clean.clone();
        let mut n = 2;
        while names.contains(&unique) {
            unique = format!("{clean}-{n}");
            n += 1;
        }
        names.push(unique.clone());
        unique
    };
    if root >= least {
        rules.push(RouteRule {
            name: name("home"),
            rule: "^/(?:[?#]|$)".into(),
        });
    }
    for (segment, s) in kept {
        let escaped = regex::escape(&segment);
        if s.deeper > 0 {
            rules.push(RouteRule {
                name: name(&segment),
                rule: format!("^/{escaped}/([^?#]+)"),
            });
        }
        if s.itself >= least {
            let wanted = if s.deeper > 0 {
                format!("{segment}-index")
            } else {
                segment.clone()
            };
            rules.push(RouteRule {
                name: name(&wanted),
                rule: format!("^/{escaped}/?(?:[?#]|$)"),
            });
        }
    }
    Ok((rules, tally))
}

/// A route's counts.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteCounts {
    pub route: RouteRule,
    /// Requests per page, by page id (order of first appearance).
    pub per_page: Vec<u64>,
}

impl RouteCounts {
    pub fn requests(&self) -> u64 {
        self.per_page.iter().sum()
    }
}

/// What `survey` counted.
#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    pub tally: Tally,
    pub routes: Vec<RouteCounts>,
    /// Requests of every route, per second from the first one's second.
    pub per_second: Vec<u32>,
    /// The instants of the first and last requests counted.
    pub first: Micros,
    pub last: Micros,
}

/// Counts the requests of each route (compiled `rules`, in order: the first match wins) in `log`.
pub fn survey(
    log: &LogSource,
    routes: &[RouteRule],
    rules: Vec<Regex>,
) -> Result<Survey, InputError> {
    let mut matcher = Matcher::new(rules.into_iter().map(|r| (Some(r), None)).collect());
    let mut per_page: Vec<Vec<u64>> = vec![Vec::new(); routes.len()];
    let mut per_second: Vec<u32> = Vec::new();
    let mut span: Option<(Micros, Micros)> = None;
    let mut tally = Tally::default();
    let mut unmatched = 0;
    each_kept(log, &mut tally, |record| {
        let Outcome::Page { route, page } = matcher.classify(record.path) else {
            unmatched += 1;
            return;
        };
        let counts = &mut per_page[route as usize];
        if counts.len() <= page as usize {
            counts.resize(page as usize + 1, 0);
        }
        counts[page as usize] += 1;
        let (first, last) = span.get_or_insert((record.at, record.at));
        *last = (*last).max(record.at);
        // Lines a little out of order before the first count in its second.
        let second =
            (record.at.div_euclid(1_000_000) - first.div_euclid(1_000_000)).max(0) as usize;
        if per_second.len() <= second {
            per_second.resize(second + 1, 0);
        }
        per_second[second] += 1;
    })?;
    tally.unmatched = unmatched;
    tally.kept = per_page.iter().flatten().sum();
    let (first, last) = span.unwrap_or((0, 0));
    Ok(Survey {
        tally,
        routes: routes
            .iter()
            .cloned()
            .zip(per_page)
            .map(|(route, per_page)| RouteCounts { route, per_page })
            .collect(),
        per_second,
        first,
        last,
    })
}

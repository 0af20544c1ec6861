//! `isrsim validate`'s account of a study: every setting the run will use, defaults filled in,
//! in the words and units of the scenario file (docs/scenario.md): `pattern = "bursty"`,
//! `on_edit = "mark-stale"`, `burst_length = "3m"`. A reader can check it against the file key by
//! key, and two scenarios that simulate differently never read the same.
//!
//! Lines are kept under 100 columns: long lists of settings wrap, indented under their heading.

use std::fmt::Write as _;

mod platform;

use super::parse::Keyword;
use super::{
    Action, Bound, Capacity, Distribution, OnEdit, Policy, PurgeBy, RoutePolicy, Scenario,
    SiteEvent, Study, TagExpire, Traffic,
};
use crate::logs::Tally;
use crate::logs::replay::WINDOW_S;
use crate::time::SimTime;
use crate::traffic::Setting;
use crate::traffic::profile::EditProfile;
use platform::{cdn_parts, origin_parts, platform};

/// The widest line, in characters, that `describe` writes when it can break it.
const WIDTH: usize = 96;

/// The most edited pages whose tags' reach `validate` works out, evenly spaced over the route.
const FAN_OUT_SAMPLE: u32 = 10_000;
/// The most pages `validate` merges to work out the reach of several tags: past it, it says how
/// many edited pages it covered.
const FAN_OUT_WORK: usize = 20_000_000;

/// What the traffic and the editors amount to, per second on average over a replication; the
/// model computes it (`workload::traffic`, `workload::content`), which this module does not depend on.
#[derive(Clone, Copy, Debug)]
pub struct Expected {
    pub requests_per_s: f64,
    pub edits_per_s: f64,
}

/// The account `isrsim validate` prints of `study`, whose base scenario is expected to give
/// `expected`.
pub fn describe(study: &Study, expected: &Expected) -> String {
    let s = &study.base;
    let mut o = String::new();
    let _ = writeln!(o, "scenario \"{}\"", s.name);
    if !s.description.trim().is_empty() {
        o += &wrapped(2, 2, &[s.description.trim().to_string()], " ");
    }
    o.push('\n');
    o += &wrapped(
        0,
        2,
        &[
            format!("duration = {}", duration(s.duration)),
            format!("warmup = {}", duration(s.warmup)),
            format!("seed = {}", s.seed),
            format!("replications = {}", s.replications),
            format!("bucket = {}", duration(s.bucket)),
        ],
        ", ",
    );
    let secs = s.duration.as_secs_f64();
    let (requests, edits) = (
        whole(expected.requests_per_s * secs),
        whole(expected.edits_per_s * secs),
    );
    let _ = writeln!(
        o,
        "expected per replication: {} ({:.2} per second) and {}",
        counted(requests, "request", "requests"),
        expected.requests_per_s.max(0.0),
        counted(edits, "edit", "edits"),
    );
    o.push('\n');
    o += &section("[traffic]", traffic(&s.traffic, s.duration));
    routes(&mut o, s);
    if platform(&mut o, s, None) {
        o.push('\n');
    }
    o += &section("[cdn]", cdn(s));
    let og = &s.origin;
    let mut origin = vec![
        format!("instances = {}", og.instances),
        format!("cache = {}", quoted(og.cache.word())),
        format!("lock = {}", og.lock),
        format!("balancer = {}", quoted(og.balancer.word())),
        format!("expire = {}", duration(og.expire)),
        format!("rtt = {}", duration(og.rtt)),
    ];
    if let Some(bytes) = og.memory {
        origin.push(format!(
            "memory = {bytes} bytes per instance (pages weigh their page_size), least recently used evicted"
        ));
        origin.push(if og.disk {
            format!(
                "disk = true: evicted entries read back in disk_read = {}",
                duration(og.disk_read)
            )
        } else {
            format!(
                "disk = false: evicted entries fall back to the build's files, read in disk_read = {}",
                duration(og.disk_read)
            )
        });
    }
    if og.build_age > SimTime::ZERO {
        origin.push(format!("build_age = {}", duration(og.build_age)));
    }
    if og.build_spread > SimTime::ZERO {
        origin.push(format!("build_spread = {}", duration(og.build_spread)));
    }
    origin_parts(&mut origin, og);
    o += &section("[origin]", origin);
    let b = &s.backend;
    o += &section(
        "[backend]",
        vec![
            match b.concurrency {
                Some(c) => format!("concurrency = {c}"),
                None => "concurrency = \"unlimited\"".to_string(),
            },
            format!("failure_rate = {}", number(b.failure_rate)),
            match b.timeout {
                Some(t) => format!("timeout = {}", duration(t)),
                None => "no timeout".to_string(),
            },
        ],
    );
    o += &section(
        "[monitor]",
        vec![format!("alert_after = {}", duration(s.monitor.alert_after))],
    );
    if !s.slo.is_empty() {
        o += &section("[slo]", bounds(&s.slo));
    }
    policies(&mut o, s);
    events(&mut o, s);
    sweep(&mut o, study);
    o
}

/// `[[events]]`, one line each: its name, when, and its kind's keys.
fn events(o: &mut String, s: &Scenario) {
    if s.events.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "[[events]] {}",
        counted(s.events.len() as u64, "event", "events")
    );
    for e in &s.events {
        o.push_str(&wrapped(2, 4, &event(e, &s.routes), ", "));
    }
    o.push('\n');
}

fn event(e: &SiteEvent, routes: &[super::Route]) -> Vec<String> {
    let mut items = vec![format!("{}: kind = {}", e.name, quoted(e.action.kind()))];
    let first = format!("at = {}", duration(e.at));
    match e.every {
        Some(every) if every == e.at => items.push(format!("every = {}", duration(every))),
        Some(every) => items.extend([first, format!("every = {}", duration(every))]),
        None => items.push(first),
    }
    match e.action {
        Action::Deploy {
            build_concurrency,
            rolling,
            purge_cdn,
        } => items.extend([
            format!("build_concurrency = {build_concurrency}"),
            rolling.map_or("all instances at once".to_string(), |r| {
                format!("rolling = {}", duration(r))
            }),
            format!("purge_cdn = {purge_cdn}"),
        ]),
        Action::Scale { instances } => items.push(format!("instances = {instances}")),
        Action::Restart { instances } => items
            .push(instances.map_or("every instance".to_string(), |n| format!("instances = {n}"))),
        Action::PurgeAll { purge } => items.push(format!("purge = {}", quoted(purge.word()))),
        Action::BulkEdit {
            route,
            pages,
            pick,
            within,
        } => items.extend([
            format!("route = {}", quoted(&routes[route].name)),
            format!("pages = {pages}"),
            match pick {
                super::Pick::Popular => "pick = \"popular\"".to_string(),
                super::Pick::Random => "pick = \"random\"".to_string(),
                super::Pick::Range { first, last } => format!("pick = [{first}, {last}]"),
            },
            format!("within = {}", duration(within)),
        ]),
    }
    items
}

/// `[traffic]`'s keys for its pattern and modifiers, what a trace's log gave, and the mean and
/// peak rate the whole table implies over the run.
fn traffic(t: &Traffic, run: SimTime) -> Vec<String> {
    let mut items = vec![format!("pattern = {}", quoted(t.name()))];
    items.extend(t.settings().into_iter().map(|setting| match setting {
        Setting::Number(key, x) => format!("{key} = {}", number(x)),
        Setting::Time(key, t) => format!("{key} = {}", duration(t)),
        Setting::Text(key, text) => format!("{key} = {}", quoted(&text)),
        Setting::Phrase(phrase) => phrase,
    }));
    if let Some(replay) = t.replay() {
        items.extend(tally(&replay.tally, "requests replayed", "not replayed"));
    } else {
        items.push(format!(
            "over the run a mean of {:.2}/s and a peak of {:.2}/s",
            t.mean_rate(run),
            t.peak_between(0.0, run.as_secs_f64())
        ));
    }
    items
}

/// `[[routes]]`: a line per route, after a count of routes and pages.
fn routes(o: &mut String, s: &Scenario) {
    let _ = writeln!(
        o,
        "[[routes]] {}, {}",
        counted(s.routes.len() as u64, "route", "routes"),
        counted(s.total_pages(), "page", "pages")
    );
    let replay = s.traffic.replay();
    for (i, r) in s.routes.iter().enumerate() {
        let mut items = vec![format!("pages = {}", r.pages)];
        match (replay, &r.rule) {
            (Some(replay), Some(rule)) => items.extend([
                format!("match = '{rule}'"),
                counted(replay.per_route[i], "request replayed", "requests replayed"),
            ]),
            (Some(_), None) => items.push("no `match`: no request".to_string()),
            (None, _) => items.extend([
                format!("share = {}", number(r.share)),
                format!("popularity = {}", number(r.popularity)),
            ]),
        }
        items.push(match (&r.edit_log, r.edit_every) {
            (Some(log), _) => format!(
                "{} from {}",
                counted(log.tally.kept, "edit", "edits"),
                quoted(&log.spec.log.file.display().to_string())
            ),
            (None, Some(e)) => match r.edit_profile {
                None => format!("edit_every = {}", duration(e)),
                Some(EditProfile::Traffic) => format!(
                    "edit_every = {} on average, following the traffic's day and week",
                    duration(e)
                ),
                Some(EditProfile::Hourly(w)) => {
                    let w: Vec<String> = w.iter().map(|&x| number(x)).collect();
                    format!(
                        "edit_every = {} on average, edit_profile = [{}]",
                        duration(e),
                        w.join(", ")
                    )
                }
            },
            (None, None) => "no edits".to_string(),
        });
        items.extend([
            format!("regen_time = {}", distribution(&r.regen_time)),
            format!("prerendered = {}", r.prerendered),
        ]);
        // A page's size matters only to a cache that counts bytes.
        let in_bytes = |c: Option<Capacity>| matches!(c, Some(Capacity::Bytes(_)));
        let cdn_bytes = s.cdn.as_ref().is_some_and(|c| {
            in_bytes(c.capacity) || in_bytes(c.shield.and_then(|shield| shield.capacity))
        });
        if cdn_bytes || s.origin.memory.is_some() {
            items.push(format!("page_size = {} bytes", r.page_size));
        }
        if let Some(d) = r.depends_on {
            items.push(format!("depends_on = {}", quoted(&s.routes[d].name)));
        }
        *o += &wrapped(2, 4, &labelled(&r.name, items), ", ");
        for line in route_tags(s, i) {
            *o += &wrapped(4, 6, &[line], ", ");
        }
    }
    o.push('\n');
}

/// A route's tag templates, a line each: how many tags it makes, and how many pages of the
/// whole site carry each (a tag is its text, so other routes' pages may carry it too).
fn route_tags(s: &Scenario, route: usize) -> Vec<String> {
    let r = &s.routes[route];
    let mut lines = Vec::new();
    for template in &r.tags {
        let mut ids: Vec<_> = (0..r.pages)
            .filter_map(|i| s.tags.id(&template.fill(i)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let (low, high) = ids
            .iter()
            .map(|&id| s.tags.pages_with(id).len() as u64)
            .fold((u64::MAX, 0), |(low, high), n| (low.min(n), high.max(n)));
        let each = if ids.len() == 1 { "" } else { "each " };
        lines.push(format!(
            "tag {}: {}, {each}carried by {}",
            quoted(template.text()),
            counted(ids.len() as u64, "tag", "tags"),
            between(low, high, "page", "pages")
        ));
    }
    lines
}

/// `3 pages`, or `33 to 34 pages`.
fn between(low: u64, high: u64, one: &str, many: &str) -> String {
    if low >= high {
        counted(high, one, many)
    } else {
        format!(
            "{} to {}",
            counted(low, "", "").trim_end(),
            counted(high, one, many)
        )
    }
}

/// Whether the pages of `route` are edited directly: by their editors, a log, or a bulk edit.
fn edited(s: &Scenario, route: usize) -> bool {
    let r = &s.routes[route];
    r.edit_every.is_some()
        || r.edit_log.is_some()
        || s.events
            .iter()
            .any(|e| matches!(e.action, Action::BulkEdit { route: b, .. } if b == route))
}

/// What one edit of a page of `route` revalidates under `rp` (`on_edit = "revalidate-tag"`):
/// how many tags, and how many pages they reach, over the route's pages (evenly spaced ones
/// when there are many); then each template that names no tag any page carries.
fn fan_out(s: &Scenario, route: usize, rp: &RoutePolicy) -> Vec<String> {
    let r = &s.routes[route];
    let sample = r.pages.min(FAN_OUT_SAMPLE);
    let (mut tags, mut reach) = ((u64::MAX, 0u64), (u64::MAX, 0u64));
    let mut reaches_some = vec![false; rp.tags.len()];
    let (mut work, mut covered) = (0usize, 0u32);
    let mut lists = Vec::new();
    for k in 0..sample {
        if work > FAN_OUT_WORK {
            break;
        }
        let index = (u64::from(k) * u64::from(r.pages) / u64::from(sample)) as u32;
        let named = s.tags.revalidated(&rp.tags, index);
        lists.clear();
        lists.extend(
            named
                .iter()
                .filter_map(|(_, id)| id.map(|id| s.tags.pages_with(id))),
        );
        if lists.len() > 1 {
            work += lists.iter().map(|l| l.len()).sum::<usize>();
        }
        let n = union_len(&lists) as u64;
        let t = named.len() as u64;
        (tags, reach) = (
            (tags.0.min(t), tags.1.max(t)),
            (reach.0.min(n), reach.1.max(n)),
        );
        for (seen, template) in reaches_some.iter_mut().zip(&rp.tags) {
            *seen |= s.tags.id(&template.fill(index)).is_some();
        }
        covered += 1;
    }
    let mut line = format!(
        "an edit of a {} page revalidates {}, reaching {}",
        r.name,
        between(tags.0, tags.1, "tag", "tags"),
        between(reach.0, reach.1, "page", "pages")
    );
    if covered < r.pages {
        line += &format!(
            " (over {} of its {})",
            counted(u64::from(covered), "", "").trim_end(),
            counted(u64::from(r.pages), "page", "pages")
        );
    }
    let mut lines = vec![line];
    for (seen, template) in reaches_some.iter().zip(&rp.tags) {
        if !seen {
            lines.push(format!(
                "tag {} names no tag a page carries: it reaches nothing",
                quoted(template.text())
            ));
        }
    }
    lines
}

/// How many distinct pages the ascending `lists` hold together, by merging them.
fn union_len<T: Ord + Copy>(lists: &[&[T]]) -> usize {
    match lists {
        [] => 0,
        [one] => one.len(),
        _ => {
            let mut heads = vec![0usize; lists.len()];
            let mut n = 0;
            loop {
                let least = lists
                    .iter()
                    .zip(&heads)
                    .filter_map(|(list, &h)| list.get(h).copied())
                    .min();
                let Some(least) = least else {
                    return n;
                };
                n += 1;
                for (list, h) in lists.iter().zip(heads.iter_mut()) {
                    if list.get(*h) == Some(&least) {
                        *h += 1;
                    }
                }
            }
        }
    }
}

/// `[cdn]`'s keys, or that there is none.
fn cdn(s: &Scenario) -> Vec<String> {
    let Some(c) = &s.cdn else {
        return vec!["none: users reach the origin directly".to_string()];
    };
    let mut items = vec![
        format!("pops = {}", c.pops),
        capacity(c.capacity),
        c.ttl
            .map_or("ttl from the origin's s-maxage".to_string(), |t| {
                format!("ttl = {}", duration(t))
            }),
        c.stale_while_revalidate.map_or(
            "stale_while_revalidate from the origin's header".to_string(),
            |t| format!("stale_while_revalidate = {}", duration(t)),
        ),
        format!("collapse = {}", c.collapse),
        format!("warm = {}", c.warm),
        format!("rtt = {}", duration(c.rtt)),
        format!("origin_rtt = {}", duration(c.origin_rtt)),
        format!("purge_delay = {}", distribution(&c.purge_delay)),
        format!("purge_failure = {}", number(c.purge_failure)),
    ];
    // `purge_by` acts only on the purges of tag revalidations.
    let revalidates = s.policies.iter().any(|p| {
        p.routes
            .iter()
            .any(|rp| rp.on_edit == OnEdit::RevalidateTag)
    });
    if revalidates || c.purge_by == PurgeBy::Tag {
        items.push(format!("purge_by = {}", quoted(c.purge_by.word())));
    }
    match c.shield {
        None => {
            items.push("shield = false: the points of presence fetch from the origin".to_string())
        }
        Some(shield) => items.extend([
            "shield: the points of presence fetch from it, and it from the origin".to_string(),
            format!("shield.rtt = {}", duration(shield.rtt)),
            match shield.capacity {
                None => "every page fits at the shield".to_string(),
                Some(_) => format!("shield.{}", capacity(shield.capacity)),
            },
        ]),
    }
    cdn_parts(&mut items, c);
    items
}

/// A cache's `capacity`, or that every page fits.
fn capacity(capacity: Option<Capacity>) -> String {
    match capacity {
        None => "every page fits".to_string(),
        Some(Capacity::Pages(n)) => format!("capacity = {n} (pages), least recently used evicted"),
        Some(Capacity::Bytes(b)) => format!(
            "capacity = {b} bytes (pages weigh their page_size), least recently used evicted"
        ),
    }
}

/// `[[policies]]`: each policy, with its routes grouped by identical settings.
fn policies(o: &mut String, s: &Scenario) {
    let runs = s.policies.len() as u64 * u64::from(s.replications);
    let _ = writeln!(
        o,
        "[[policies]] {}, {}",
        counted(s.policies.len() as u64, "policy", "policies"),
        counted(runs, "run", "runs")
    );
    for p in &s.policies {
        let _ = writeln!(o, "  {}", p.name);
        for (names, settings) in groups(s, p) {
            let label = if names.len() == s.routes.len() && names.len() > 1 {
                "every route".to_string()
            } else {
                names.join(", ")
            };
            *o += &wrapped(4, 6, &labelled(&label, route_policy(settings)), ", ");
            if settings.on_edit == OnEdit::RevalidateTag {
                for name in &names {
                    let Some(route) = s.routes.iter().position(|r| r.name == *name) else {
                        continue;
                    };
                    if edited(s, route) {
                        for line in fan_out(s, route, settings) {
                            *o += &wrapped(6, 8, &[line], ", ");
                        }
                    }
                }
            }
        }
        if p.slo != s.slo {
            *o += &wrapped(4, 6, &labelled("slo", bounds(&p.slo)), ", ");
        }
    }
    o.push('\n');
}

/// The routes of policy `p` that share settings, in route order of each group's first route.
fn groups<'a>(s: &'a Scenario, p: &'a Policy) -> Vec<(Vec<&'a str>, &'a RoutePolicy)> {
    let mut groups: Vec<(Vec<&str>, &RoutePolicy)> = Vec::new();
    for (route, settings) in s.routes.iter().zip(&p.routes) {
        match groups.iter_mut().find(|(_, other)| *other == settings) {
            Some((names, _)) => names.push(&route.name),
            None => groups.push((vec![&route.name], settings)),
        }
    }
    groups
}

/// Every key of a policy as it applies to one route.
fn route_policy(rp: &RoutePolicy) -> Vec<String> {
    let optional = |t: Option<SimTime>| t.map_or("false".to_string(), duration);
    let mut items = vec![
        format!("revalidate = {}", optional(rp.revalidate)),
        format!("on_edit = {}", quoted(rp.on_edit.word())),
        format!("webhook_delay = {}", distribution(&rp.webhook_delay)),
        format!("webhook_failure = {}", number(rp.webhook_failure)),
        format!("webhook_retries = {}", rp.webhook_retries),
        format!("webhook_backoff = {}", duration(rp.webhook_backoff)),
        format!("broadcast = {}", rp.broadcast),
        format!("purge_cdn = {}", rp.purge_cdn),
        format!("purge = {}", quoted(rp.purge.word())),
        format!("schedule = {}", optional(rp.schedule)),
        rp.expire.map_or("expire from [origin]".to_string(), |e| {
            format!("expire = {}", duration(e))
        }),
    ];
    if rp.on_edit == OnEdit::RevalidateTag {
        let tags: Vec<String> = rp.tags.iter().map(|t| quoted(t.text())).collect();
        items.push(format!("tags = [{}]", tags.join(", ")));
        items.push(match rp.tag_expire {
            TagExpire::Max => "tag_expire = \"max\"".to_string(),
            TagExpire::After(d) => format!("tag_expire = {}", duration(d)),
        });
    }
    items
}

/// SLO bounds in the column's own unit: `stale_ratio max = 0.02`.
fn bounds(bounds: &[Bound]) -> Vec<String> {
    if bounds.is_empty() {
        return vec!["none".to_string()];
    }
    let mut items = Vec::new();
    for b in bounds {
        if let Some(min) = b.min {
            items.push(format!("{} min = {}", b.metric, number(min)));
        }
        if let Some(max) = b.max {
            items.push(format!("{} max = {}", b.metric, number(max)));
        }
    }
    items
}

/// `[sweep]`: the number of points and runs, and each key's values as `runs.csv` labels them.
fn sweep(o: &mut String, study: &Study) {
    if study.axes.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "[sweep] {}, {} in all",
        counted(study.points.len() as u64, "point", "points"),
        counted(study.jobs().len() as u64, "run", "runs")
    );
    for (a, axis) in study.axes.iter().enumerate() {
        let mut values: Vec<String> = Vec::new();
        for point in &study.points {
            // An inline table's label reads as its keys in parentheses: `(cache = "shared")`.
            let label = point.labels.get(a).map_or(String::new(), |l| {
                l.replace("{ ", "(")
                    .replace(" }", ")")
                    .replace(['{', '}'], "")
            });
            if !values.contains(&label) {
                values.push(label);
            }
        }
        *o += &wrapped(2, 4, &labelled(&format!("{axis} ="), values), ", ");
    }
    // What the profiles fill in at each point whose platform or product differs, once each.
    let mut described = vec![&study.base.platform];
    for point in &study.points {
        let scenario = &point.scenario;
        if described.contains(&&scenario.platform) {
            continue;
        }
        described.push(&scenario.platform);
        let at: Vec<String> = study
            .axes
            .iter()
            .zip(&point.labels)
            .map(|(axis, label)| format!("{axis} = {label}"))
            .collect();
        let mut block = String::new();
        if platform(&mut block, scenario, Some(&at.join(", "))) {
            o.push('\n');
            *o += &block;
        }
    }
}

/// A heading, then its items wrapped under it, and a blank line.
fn section(heading: &str, items: Vec<String>) -> String {
    let mut text = wrapped(0, 2, &labelled(heading, items), ", ");
    text.push('\n');
    text
}

/// `label` prefixed to the first item: `posts: pages = 10`, or `[cdn] pops = 8`.
fn labelled(label: &str, mut items: Vec<String>) -> Vec<String> {
    let sep = if label.ends_with(']') || label.ends_with('=') {
        " "
    } else {
        ": "
    };
    match items.first_mut() {
        Some(first) => *first = format!("{label}{sep}{first}"),
        None => items.push(label.to_string()),
    }
    items
}

/// `items` joined by `sep` into lines of at most `WIDTH` characters, the first indented by
/// `first` spaces and the others by `rest`. An item moves whole to the next line when it does not
/// fit on this one; one too long for any line is broken at spaces.
fn wrapped(first: usize, rest: usize, items: &[String], sep: &str) -> String {
    let width = |s: &str| s.chars().count();
    let mut out = String::new();
    let mut line = " ".repeat(first);
    let mut empty = true;
    let mut new_line = |line: &mut String, empty: &mut bool| {
        out += line.trim_end();
        out.push('\n');
        *line = " ".repeat(rest);
        *empty = true;
    };
    for (n, item) in items.iter().enumerate() {
        let item = if n + 1 < items.len() {
            format!("{item}{}", sep.trim_end())
        } else {
            item.clone()
        };
        if !empty && width(&line) + 1 + width(&item) > WIDTH && rest + width(&item) <= WIDTH {
            new_line(&mut line, &mut empty);
        }
        for word in item.split(' ') {
            if !empty && width(&line) + 1 + width(word) > WIDTH {
                new_line(&mut line, &mut empty);
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
    }
    new_line(&mut line, &mut empty);
    out
}

/// A duration as the file writes one: `"3m"`.
fn duration(t: SimTime) -> String {
    format!("\"{t}\"")
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// A distribution of durations in the file's words, without its braces: `"800ms"`,
/// `exponential "1s"`, `uniform "100ms" to "2s"`, `lognormal median "400ms" p99 "4s"`.
fn distribution(d: &Distribution) -> String {
    match *d {
        Distribution::Constant(t) => duration(t),
        Distribution::Exponential { mean } => format!("exponential {}", duration(mean)),
        Distribution::Uniform { low, high } => {
            format!("uniform {} to {}", duration(low), duration(high))
        }
        Distribution::LogNormal { median, p99 } => format!(
            "lognormal median {} p99 {}",
            duration(median),
            duration(p99)
        ),
    }
}

/// A number as the file writes it: `5`, `0.8`, `0.001`, never `-0`.
fn number(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        x.to_string()
    }
}

/// A non-negative whole number of an expected count, never `-0`.
fn whole(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

/// `1 route`, `5,040 pages`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    format!("{grouped} {}", if n == 1 { one } else { many })
}

/// What became of a log's lines, a sentence each: how many were `kept` (as "requests
/// replayed"), then those `left` ("not replayed") and why, the first unreadable ones, and the
/// lines too far out of order.
pub fn tally(t: &Tally, kept: &str, left: &str) -> Vec<String> {
    let mut lines = vec![format!(
        "{} read: {} {kept}",
        counted(t.lines, "line", "lines"),
        counted(t.kept, "", "").trim_end()
    )];
    let mut skipped = Vec::new();
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            skipped.push(format!("{} {what}", counted(n, "", "").trim_end()));
        }
    };
    add(t.filtered, "of another method or status");
    add(t.outside, "outside the window replayed");
    add(t.unmatched, "matched by no route");
    add(t.beyond_bound, "beyond a route's `pages`");
    add(t.unreadable, "unreadable");
    if !skipped.is_empty() {
        lines.push(format!("{left}: {}", skipped.join(", ")));
    }
    for (line, why) in &t.first_unreadable {
        lines.push(format!("line {line} unreadable: {why}"));
    }
    if t.late > 0 {
        lines.push(format!(
            "{} more than {}s out of order, taken at the earliest time still open",
            counted(t.late, "line", "lines"),
            WINDOW_S
        ));
    }
    lines
}

//! The scenario file as written (docs/scenario.md), and its resolution into a [`Scenario`].
//!
//! serde reads the file into `RawScenario` and the `Raw*` structs of each section's module.
//! Every single-value check (a duration, a probability, a count of at least one, an enum keyword)
//! lives in the `Deserialize` impl of a small newtype (`values`), so toml and
//! `serde_path_to_error` attach the line and the dotted key to the error for free. Checks that
//! involve several keys (a `depends_on` cycle, shares summing to 0, `burst_every` against
//! `burst_length`) run afterwards on values that kept their [`Spanned`] position, so they too can
//! name the key and the line. This module reads the top-level keys and puts the sections
//! together, counting the caches a run allocates (PoPs, the shield, instances) against the size
//! limits; each other module reads one section of the file.

mod backend;
mod cdn;
mod cost;
mod distribution;
mod events;
mod limits;
mod logs;
mod monitor;
mod origin;
mod platform;
mod policies;
mod routes;
mod slo;
mod source;
mod tags;
#[cfg(test)]
mod tests;
mod traffic;
mod values;

pub(super) use logs::route_rules;
pub(super) use values::{Keyword, parse_size};

use std::path::Path;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use toml::{Spanned, Table};

use super::Scenario;
use super::platform::{Platform, Profiles};
use crate::error::InputError;
use crate::time::SimTime;

use backend::{RawBackend, resolve_backend};
use cdn::{RawCdn, resolve_cdn};
use cost::{RawCost, resolve_cost};
use events::{RawEvent, resolve_events};
pub(super) use limits::{MAX_POINTS, check_runs};
use monitor::{RawMonitor, resolve_monitor};
use origin::{RawOrigin, resolve_origin};
use platform::RawPlatform;
use policies::{RawPolicy, resolve_policies};
use routes::{RawRoute, read_logs, resolve_routes};
use slo::Slo;
pub(super) use source::Logs;
use source::Source;
pub(super) use source::{line_and_column, quoted};
use traffic::{RawTraffic, resolve_traffic};
use values::{Count, Delay, Interval, Seed};

/// The file's bytes as text; invalid UTF-8 is named by the line and column of its first bad byte.
pub(super) fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        // The bytes before `at` are valid, so they count lines and columns.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let mut error = InputError::new(
            path,
            format!(
                "byte 0x{:02X} is not UTF-8: a scenario is UTF-8 text, so save the file as UTF-8",
                bytes[at]
            ),
        );
        let (line, column) = line_and_column(before, at);
        (error.line, error.column) = (Some(line), Some(column));
        error
    })
}

/// The whole file as a TOML table (the sweep edits it); a value TOML cannot hold, as an integer
/// beyond 64 bits, is named with its key and line.
pub(super) fn table(text: &str, path: &Path) -> Result<Table, InputError> {
    let source = Source {
        text,
        path,
        logs: Logs::Named,
    };
    let document = toml::Deserializer::parse(text).map_err(|e| source.syntax_error(&e))?;
    serde_path_to_error::deserialize(document).map_err(|e| source.shape_error(&e, |_| None))
}

/// Reads a scenario's text; `path` names the file in errors and gives the default `name`.
/// A `[sweep]` table is an error unless `sweep_allowed` (the caller expands it).
pub(super) fn scenario(
    text: &str,
    path: &Path,
    sweep_allowed: bool,
    logs: Logs,
) -> Result<Scenario, InputError> {
    let source = Source { text, path, logs };
    let document = toml::Deserializer::parse(text).map_err(|e| source.syntax_error(&e))?;
    let raw: RawScenario = serde_path_to_error::deserialize(document).map_err(|e| {
        // `[traffic]`'s keys depend on the pattern, so they are listed per pattern.
        source.shape_error(&e, |key| {
            key.starts_with("traffic.").then(traffic::keys_by_pattern)
        })
    })?;
    if let (Some(sweep), false) = (&raw.sweep, sweep_allowed) {
        return Err(source.at(
            "sweep",
            sweep,
            "a sweep describes several scenarios: read the file as a `Study`",
        ));
    }
    raw.resolve(&source)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    description: Option<String>,
    duration: Option<Spanned<Interval>>,
    warmup: Option<Spanned<Delay>>,
    seed: Option<Seed>,
    replications: Option<Spanned<Count>>,
    bucket: Option<Spanned<Interval>>,
    traffic: Spanned<RawTraffic>,
    routes: Spanned<Vec<RawRoute>>,
    cdn: Option<RawCdn>,
    origin: Option<RawOrigin>,
    backend: Option<RawBackend>,
    policies: Spanned<Vec<RawPolicy>>,
    events: Option<Spanned<Vec<Spanned<RawEvent>>>>,
    monitor: Option<RawMonitor>,
    platform: Option<RawPlatform>,
    slo: Option<Slo>,
    cost: Option<Spanned<RawCost>>,
    /// Expanded by `sweep.rs`; only its presence and its shape matter here.
    sweep: Option<Spanned<SweepTable>>,
}

/// `[sweep]`, whose keys `sweep.rs` reads. Here it need only be a table, so that `[[sweep]]` (an
/// array of tables) or `sweep = 4` is named with its line.
struct SweepTable;

impl<'de> Deserialize<'de> for SweepTable {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SweepTable;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a table: `[sweep]` once, of dotted keys to lists of values such as `\"cdn.pops\" = [1, 4]` (`[[sweep]]` would be an array of tables)",
                )
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SweepTable, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(SweepTable)
            }
        }
        d.deserialize_any(V)
    }
}

impl RawScenario {
    fn resolve(self, source: &Source) -> Result<Scenario, InputError> {
        let name = match &self.name {
            Some(name) => check_scenario_name(source, name)?,
            None => default_name(source.path),
        };
        let resolved = resolve_traffic(source, &self.traffic)?;
        let routes_span = self.routes.span();
        limits::check_routes(self.routes.get_ref().len())
            .map_err(|message| source.error("routes", Some(routes_span.clone()), message))?;
        let raw_routes = tables(source, "routes", self.routes)?;
        let (traffic, found) = read_logs(source, &raw_routes, resolved)?;
        let mut text = source.text.to_string();
        let duration = match (&self.duration, traffic.replay()) {
            (Some(d), _) => d.get_ref().0,
            // A trace is as long as its requests, to the whole second. The scenario's copy in a
            // results folder says so, since its trace is not read again (`Logs::Named`).
            (None, Some(replay)) if source.logs == Logs::Read => {
                let length = SimTime::from_secs(
                    replay
                        .span
                        .as_micros()
                        .div_ceil(SimTime::MICROS_PER_SEC)
                        .max(1),
                );
                text = format!(
                    "duration = \"{length}\"   # the trace's length (added by isrsim)\n{text}"
                );
                length
            }
            // A top-level key belongs before the first table: the file's first line.
            (None, _) => {
                return Err(source.error(
                    "duration",
                    Some(0..0),
                    "`duration` is required here (only a trace's run may leave it out)",
                ));
            }
        };
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
        let (cdn, origin, platform) = resolve_site(source, self.platform, self.cdn, self.origin)?;
        let routes = resolve_routes(source, raw_routes, duration, found)?;
        let slo = self.slo.map_or_else(Vec::new, |s| s.0);
        let policies_span = self.policies.span();
        let policies = resolve_policies(source, self.policies, &routes, &slo, duration)?;
        let events = resolve_events(source, self.events, duration, &routes)?;
        let bucket = self
            .bucket
            .as_ref()
            .map_or_else(|| default_bucket(duration), |b| b.get_ref().0);
        // Sizes the model allocates up front: refuse what no machine could hold, rather than abort.
        limits::check_buckets(duration, bucket).map_err(|message| match &self.bucket {
            Some(b) => source.at("bucket", b, message),
            None => source.error("bucket", None, message),
        })?;
        let pages: u64 = routes.iter().map(|r| u64::from(r.pages)).sum();
        let most_instances = super::most_instances(origin.instances, &events);
        let caches = cdn
            .as_ref()
            .map_or(0, |c| u64::from(c.pops) + u64::from(c.shield.is_some()))
            + u64::from(most_instances);
        limits::check_pages(pages, caches)
            .map_err(|message| source.error("routes", Some(routes_span), message))?;
        let (key, span) = traffic::rate_key(&self.traffic, &traffic, duration);
        limits::check_events(
            source,
            &key,
            span,
            traffic.mean_rate(duration) * duration.as_secs_f64(),
            (
                "requests",
                format!(
                    "a mean of {}/s over `duration` {duration}",
                    limits::rate(traffic.mean_rate(duration))
                ),
                "lower the rate or shorten `duration`",
            ),
        )?;
        let replications = self.replications.as_ref().map_or(1, |n| n.get_ref().0);
        let fix = "lower `replications`";
        limits::check_runs(1, policies.len() as u64, replications, fix).map_err(|message| {
            match &self.replications {
                Some(n) => source.at("replications", n, message),
                None => source.error("policies", Some(policies_span.clone()), message),
            }
        })?;
        Ok(Scenario {
            tags: std::sync::Arc::new(super::Tags::new(&routes)),
            platform,
            name,
            description: self.description.unwrap_or_default(),
            path: source.path.to_path_buf(),
            source: text,
            duration,
            warmup,
            seed: self.seed.map_or(0, |s| s.0),
            replications,
            bucket,
            traffic,
            routes,
            cdn,
            origin,
            backend: resolve_backend(self.backend),
            policies,
            events,
            monitor: resolve_monitor(self.monitor),
            slo,
            cost: resolve_cost(source, self.cost)?,
        })
    }
}

/// `[platform]`, `[cdn]` and `[origin]`: the platform's and the CDN product's profiles fill in
/// the keys the file leaves out, and the platform records what they filled in.
fn resolve_site(
    source: &Source,
    platform: Option<RawPlatform>,
    cdn: Option<RawCdn>,
    origin: Option<RawOrigin>,
) -> Result<(Option<super::Cdn>, super::Origin, Platform), InputError> {
    let name = platform
        .and_then(|p| p.name)
        .map_or_else(Default::default, |w| w.0);
    let mut profiles = Profiles::new(name, cdn.as_ref().and_then(|c| c.product()), cdn.is_some());
    let cdn = resolve_cdn(source, cdn, &mut profiles)?;
    let origin = resolve_origin(source, origin, &mut profiles)?;
    let platform = Platform {
        name,
        product: cdn.as_ref().map_or_else(Default::default, |c| c.product),
        settings: profiles.settings,
    };
    Ok((cdn, origin, platform))
}

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

//! The scenario `isrsim fit` writes: the fitted traffic and routes as keys a user can read,
//! change and sweep, each with a comment giving the evidence (how many requests, the estimate's
//! standard error, each candidate pattern's fit), and the keys an access log cannot tell
//! (`regen_time`, edits, policies) set to plain defaults that say so.

use std::fmt::Write as _;
use std::path::Path;

use super::arrivals::{ArrivalFit, Pattern};
use super::survey::Survey;
use super::zipf::ZipfFit;
use crate::logs::clock::format_utc;
use crate::logs::{Format, Tally};
use crate::scenario::counted;
use crate::time::SimTime;
use crate::traffic::{bursty, diurnal, steady, trace};

/// What `fit` found, for the scenario's text.
pub struct Fitted<'a> {
    /// The log as the user named it, and as the scenario's folder reaches it.
    pub log: &'a Path,
    pub log_from_scenario: &'a Path,
    pub format: Format,
    pub name: &'a str,
    pub survey: &'a Survey,
    pub popularity: &'a [Option<ZipfFit>],
    pub arrivals: &'a ArrivalFit,
}

/// A number with four significant digits, as TOML reads it.
fn figure(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A duration in whole seconds (at least one), or whole minutes past an hour, as the scenario
/// writes durations.
fn seconds(s: f64) -> String {
    let whole = s.round().max(1.0) as u64;
    let whole = if whole > 3_600 {
        (whole + 30) / 60 * 60
    } else {
        whole
    };
    format!("\"{}\"", SimTime::from_secs(whole))
}

/// A TOML string, escaped as the `toml` crate writes one.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A pattern's keys, in the order `[traffic]` takes them (`crate::traffic`'s pattern files).
pub fn pattern_keys(pattern: &Pattern) -> Vec<(&'static str, String)> {
    let name = ("pattern", quoted(pattern_name(pattern)));
    match *pattern {
        Pattern::Steady { rate } => vec![name, ("rate", figure(rate))],
        Pattern::Bursty {
            base_rate,
            burst_rate,
            burst_length_s,
            burst_every_s,
        } => vec![
            name,
            ("base_rate", figure(base_rate)),
            ("burst_rate", figure(burst_rate)),
            ("burst_length", seconds(burst_length_s)),
            // At least a second more than a burst, as the scenario requires.
            (
                "burst_every",
                seconds(burst_every_s.max(burst_length_s.round().max(1.0) + 1.0)),
            ),
        ],
        Pattern::Diurnal {
            min_rate,
            max_rate,
            period_s,
            peak_at_s,
        } => vec![
            name,
            ("min_rate", figure(min_rate)),
            ("max_rate", figure(max_rate.max(min_rate))),
            ("period", seconds(period_s)),
            ("peak_at", seconds(peak_at_s)),
        ],
    }
}

/// The pattern's name in `[traffic]`.
fn pattern_name(pattern: &Pattern) -> &'static str {
    match pattern {
        Pattern::Steady { .. } => steady::PATTERN.name,
        Pattern::Bursty { .. } => bursty::PATTERN.name,
        Pattern::Diurnal { .. } => diurnal::PATTERN.name,
    }
}

fn tally_comment(o: &mut String, tally: &Tally) {
    for line in crate::scenario::tally(tally, "requests of the routes below", "not counted") {
        let _ = writeln!(o, "# {line}");
    }
}

/// The scenario's text.
pub fn text(f: &Fitted) -> String {
    let mut o = String::new();
    header(&mut o, f);
    traffic(&mut o, f);
    routes(&mut o, f);
    let _ = writeln!(
        o,
        "\n# A policy to start from: Next.js's `revalidate = 60` on every route.\n\
         [[policies]]\nname = \"time-60s\"\nrevalidate = \"60s\""
    );
    o
}

/// Where the scenario comes from, what a log cannot tell, and the top-level keys.
fn header(o: &mut String, f: &Fitted) {
    let s = f.survey;
    // Every second that holds a request of the log.
    let span_s = (s.last.div_euclid(1_000_000) - s.first.div_euclid(1_000_000) + 1) as f64;
    let _ = writeln!(
        o,
        "# Fitted by `isrsim fit` from {} ({} format).",
        f.log.display(),
        f.format.name()
    );
    let _ = writeln!(
        o,
        "# The log runs from {} to {}.",
        format_utc(s.first),
        format_utc(s.last)
    );
    tally_comment(o, &s.tally);
    let _ = writeln!(
        o,
        "# An access log does not tell `regen_time`, edits or policies: those below are defaults to\n\
         # replace with the site's own (docs/traces.md)."
    );
    let chosen = &f.arrivals.candidates[f.arrivals.chosen].pattern;
    let _ = writeln!(o, "name = {}", quoted(f.name));
    let _ = writeln!(
        o,
        "description = {}",
        quoted(&format!(
            "Fitted from {}: {} traffic over {}",
            f.log.file_name().map_or_else(
                || f.log.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            pattern_name(chosen),
            counted(s.routes.len() as u64, "route", "routes")
        ))
    );
    let _ = writeln!(o, "duration = {}", seconds(span_s));
    let _ = writeln!(o, "seed = 1\nreplications = 5\n");
}

/// `[traffic]`: the chosen pattern, every candidate's fit, and how to replay the log instead.
fn traffic(o: &mut String, f: &Fitted) {
    let a = f.arrivals;
    let _ = writeln!(o, "[traffic]");
    let _ = writeln!(
        o,
        "# Requests counted per {} s ({}): {} per second on average; index of dispersion {}",
        a.interval_s,
        counted(a.intervals as u64, "interval", "intervals"),
        figure(a.mean_rate),
        figure(a.dispersion)
    );
    let _ = writeln!(
        o,
        "# ({}: a Poisson process gives about 1).",
        if a.poisson_like {
            "Poisson-like, so steady"
        } else {
            "not Poisson-like"
        }
    );
    let _ = writeln!(
        o,
        "# Each candidate pattern, by BIC (lower fits better for its parameters):"
    );
    for (i, c) in a.candidates.iter().enumerate() {
        let keys: Vec<String> = pattern_keys(&c.pattern)
            .into_iter()
            .skip(1)
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        let _ = writeln!(
            o,
            "#   {:<8} BIC {:>12.1}, log-likelihood {:.1}{}: {}",
            pattern_name(&c.pattern),
            c.bic,
            c.log_likelihood,
            if i == a.chosen { " (chosen)" } else { "" },
            keys.join(", ")
        );
    }
    let profile = |h: &[f64; 24]| -> String {
        let w: Vec<String> = h.iter().map(|&x| figure(x)).collect();
        format!("[{}]", w.join(", "))
    };
    match (a.proposed_hourly(), a.hourly) {
        (Some(h), _) => {
            let _ = writeln!(
                o,
                "# The diurnal cycle as measured: the requests of each hour of the day (from the\n\
                 # log's first hour), averaged over the days it covers; `rate` is their mean."
            );
            let _ = writeln!(o, "pattern = {}", quoted(diurnal::PATTERN.name));
            let _ = writeln!(o, "rate = {}", figure(a.mean_rate));
            let _ = writeln!(o, "hourly = {}", profile(&h));
        }
        (None, measured) => {
            for (key, value) in pattern_keys(&a.candidates[a.chosen].pattern) {
                let _ = writeln!(o, "{key} = {value}");
            }
            if let Some(h) = measured {
                let _ = writeln!(
                    o,
                    "# The requests of each hour of the day, averaged over the days the log covers\n\
                     # (not clearly a daily cycle; with `pattern = \"diurnal\"` and `rate`):\n\
                     # hourly = {}",
                    profile(&h)
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "# To replay the log itself instead, with each route's `match`:"
    );
    let _ = writeln!(o, "# pattern = {}", quoted(trace::PATTERN.name));
    let _ = writeln!(
        o,
        "# file = {}",
        quoted(&f.log_from_scenario.display().to_string())
    );
    let _ = writeln!(o, "# format = \"{}\"", f.format.name());
}

/// A `[[routes]]` table per route: its share of the requests and its fitted popularity.
fn routes(o: &mut String, f: &Fitted) {
    let s = f.survey;
    let kept = s.tally.kept.max(1) as f64;
    for (route, fitted) in s.routes.iter().zip(f.popularity) {
        let requests = route.requests();
        let pages = route.per_page.len();
        let _ = writeln!(o, "\n[[routes]]");
        let _ = writeln!(o, "name = {}", quoted(&route.route.name));
        let _ = writeln!(
            o,
            "# {} ({:.1}% of the requests counted) of {}; with a trace, `match = '{}'`.",
            counted(requests, "request", "requests"),
            100.0 * requests as f64 / kept,
            counted(pages as u64, "page", "pages"),
            route.route.rule
        );
        let _ = writeln!(o, "pages = {}", pages.max(1));
        let _ = writeln!(o, "share = {}", figure(requests as f64 / kept));
        popularity(o, fitted.as_ref());
        let _ = writeln!(
            o,
            "regen_time = \"500ms\"   # not in an access log: measure it"
        );
        let _ = writeln!(
            o,
            "# edit_every = \"1d\"   # not in an access log: the pages' mean time between edits,\n\
             # or `edits = {{ file = … }}` with the CMS's publish log"
        );
    }
}

/// A route's `popularity`, with the evidence.
fn popularity(o: &mut String, fitted: Option<&ZipfFit>) {
    match fitted {
        Some(z) => {
            let _ = writeln!(
                o,
                "# Zipf exponent by maximum likelihood: {} ± {} (standard error), over ranks {}–{}\n\
                 # ({:.1}% of the route's requests); Kolmogorov–Smirnov distance {}.",
                figure(z.exponent),
                figure(z.std_error),
                z.ranks.0,
                z.ranks.1,
                100.0 * z.requests_covered,
                figure(z.ks_distance)
            );
            let _ = writeln!(o, "popularity = {}", figure(z.exponent));
        }
        None => {
            let _ = writeln!(
                o,
                "# Too few pages or requests to fit a popularity: every page alike."
            );
            let _ = writeln!(o, "popularity = 0");
        }
    }
}

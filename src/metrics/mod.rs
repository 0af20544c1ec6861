//! What a run measures (docs/model.md §11): the columns of `runs.csv`, `routes.csv` and
//! `timeseries.csv`. The origin shield's columns (`shield_requests`, `shield_hit_ratio`) are
//! measured only in runs that have one.
//!
//! Every report reads these types. A column's unit and which direction is better are declared
//! once, here, next to its meaning, so the CSV writers, the table and future comparisons agree.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Ratio,
    Seconds,
    Millis,
    PerSecond,
    /// US dollars.
    Usd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither direction is a regression (for example the number of requests).
    Neutral,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub meaning: &'static str,
}

const fn col(name: &'static str, unit: Unit, better: Better, meaning: &'static str) -> Column {
    Column {
        name,
        unit,
        better,
        meaning,
    }
}

pub mod collector;
pub mod staleness;

use serde::{Deserialize, Serialize};

pub use collector::{Collector, RunId};

use Better::{Higher, Lower, Neutral};
use Unit::{Count, Millis, PerSecond, Ratio, Seconds, Usd};

/// The metric columns of `runs.csv`, in order, after `scenario,policy,replication,seed`.
pub const RUN_COLUMNS: [Column; 35] = [
    col(
        "requests",
        Count,
        Neutral,
        "user responses counted (after warm-up)",
    ),
    col(
        "errors",
        Count,
        Lower,
        "responses that failed (a blocking generation failed)",
    ),
    col(
        "stale_responses",
        Count,
        Lower,
        "responses carrying an older version than the page's current one",
    ),
    col("stale_ratio", Ratio, Lower, "stale responses over requests"),
    col(
        "stale_age_p50_s",
        Seconds,
        Lower,
        "median stale age, over stale responses",
    ),
    col(
        "stale_age_p99_s",
        Seconds,
        Lower,
        "99th percentile stale age, over stale responses",
    ),
    col("stale_age_max_s", Seconds, Lower, "largest stale age"),
    col(
        "cdn_hit_ratio",
        Ratio,
        Higher,
        "responses served from a CDN cache, a PoP's or the shield's (HIT or STALE), over requests",
    ),
    col(
        "shield_requests",
        Count,
        Neutral,
        "PoP fetches that reached the origin shield (not measured without one)",
    ),
    col(
        "shield_hit_ratio",
        Ratio,
        Higher,
        "of the requests that reached the shield, those answered from its cache (HIT or STALE)",
    ),
    col(
        "origin_requests",
        Count,
        Lower,
        "requests that reached an instance",
    ),
    col(
        "regenerations",
        Count,
        Lower,
        "generations triggered, for any cause, counted when they join the backend queue",
    ),
    col(
        "regenerations_failed",
        Count,
        Lower,
        "generations that failed, including timeouts",
    ),
    col(
        "regenerations_wasted",
        Count,
        Lower,
        "successful generations whose snapshot equals the version the cache already had",
    ),
    col(
        "regenerations_duplicate",
        Count,
        Lower,
        "generations started while another one for the same page was in flight anywhere",
    ),
    col(
        "build_renders",
        Count,
        Neutral,
        "pages rendered by deploys' builds ([[events]]), through the backend",
    ),
    col(
        "webhook_retries",
        Count,
        Neutral,
        "webhooks a CMS sent again after an attempt failed (webhook_retries)",
    ),
    col(
        "regen_per_s_peak",
        PerSecond,
        Lower,
        "the most generations triggered in any one second",
    ),
    col(
        "backend_inflight_peak",
        Count,
        Lower,
        "the most generations running at once",
    ),
    col(
        "backend_wait_p99_s",
        Seconds,
        Lower,
        "backend queue wait, 99th percentile",
    ),
    col(
        "storm_seconds",
        Count,
        Lower,
        "seconds in which at least one generation waited in the backend queue",
    ),
    col(
        "backend_queued_ratio",
        Ratio,
        Lower,
        "share of the counted time during which at least one generation waited for a backend slot",
    ),
    col("latency_p50_ms", Millis, Lower, "median user latency"),
    col(
        "latency_p99_ms",
        Millis,
        Lower,
        "99th percentile user latency",
    ),
    col("latency_max_ms", Millis, Lower, "largest user latency"),
    col(
        "edit_visible_p50_s",
        Seconds,
        Lower,
        "median time from an edit to the first response for that page that reflects it",
    ),
    col(
        "edit_visible_p99_s",
        Seconds,
        Lower,
        "99th percentile time from an edit to the first response that reflects it",
    ),
    col(
        "edits_unseen",
        Count,
        Lower,
        "edits made after warm-up that no response reflected by the run's end (censored: the edit_visible figures count each at the run's end, so they are lower bounds when this is above 0)",
    ),
    col(
        "cdn_behind_origin_ratio",
        Ratio,
        Lower,
        "responses served stale by the CDN while an instance already held a newer version",
    ),
    col(
        "pages_regen_gap_over_alert",
        Count,
        Lower,
        "pages whose gap without a successful regeneration exceeded alert_after while their content was outdated",
    ),
    col(
        "purge_requests",
        Count,
        Lower,
        "purge calls sent to the CDN's API: one per page purge, per tag purge and per purge of everything (the unit CDNs bill and rate-limit)",
    ),
    col(
        "tag_invalidations",
        Count,
        Neutral,
        "ISR cache entries made stale or expired by revalidated tags, per cache a webhook reached, and entries dropped when a tag's expire time came",
    ),
    col(
        "regenerations_deduplicated",
        Count,
        Neutral,
        "stale lookups whose message the revalidation queue dropped as a copy of one sent within its dedupe_window (0 without [origin.queue])",
    ),
    col(
        "cost_usd",
        Usd,
        Lower,
        "what the counted period cost, in US dollars, priced by [cost] (docs/cost.md)",
    ),
    col(
        "cost_usd_month",
        Usd,
        Lower,
        "what 30 days at the counted period's rate cost, in US dollars, allowances per month (docs/cost.md)",
    ),
];

/// A figure as the result files hold it: rounded to 6 decimals (counts are whole already).
///
/// Results are kept at this precision from the moment a run ends, so the figures, summaries and
/// charts of a results folder read back from its files are exactly those of the run that wrote
/// it, and anyone recomputing a mean from `runs.csv` gets `summary.csv`'s figure to the digit.
pub fn as_written(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let rounded: f64 = format!("{x:.6}").parse().unwrap_or(x);
    // A tiny negative rounds to -0, which is zero.
    rounded + 0.0
}

/// One run's figures, in `RUN_COLUMNS` order. `None` is a metric the run did not measure: a
/// percentile of stale ages when no response was stale, a ratio of nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMetrics(pub [Option<f64>; RUN_COLUMNS.len()]);

/// A sequence of the figures (serde derives arrays of at most 32 elements only).
impl Serialize for RunMetrics {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

/// A sequence of exactly `RUN_COLUMNS.len()` figures.
impl<'de> Deserialize<'de> for RunMetrics {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<Option<f64>>::deserialize(deserializer)?;
        let n = values.len();
        values
            .try_into()
            .map(RunMetrics)
            .map_err(|_| serde::de::Error::invalid_length(n, &"one figure per column of runs.csv"))
    }
}

impl RunMetrics {
    /// Figures rounded as written (`as_written`).
    pub fn new(values: [Option<f64>; RUN_COLUMNS.len()]) -> RunMetrics {
        RunMetrics(values.map(|v| v.map(as_written)))
    }

    /// The value of a column by name; `None` for a metric not measured, or a name that is not
    /// a column (`column` tells which).
    pub fn get(&self, name: &str) -> Option<f64> {
        column(name).and_then(|i| self.0[i])
    }
}

/// The index of a run column by name.
pub fn column(name: &str) -> Option<usize> {
    RUN_COLUMNS.iter().position(|c| c.name == name)
}

/// What a run must observe for a run column to be measured (docs/model.md §11.3), as "a stale
/// response"; `None` for counts and peaks, which are always measured (but for the shield's, which
/// a run without one does not count).
pub fn measured_by(name: &str) -> Option<&'static str> {
    match name {
        "shield_requests" => Some("an origin shield"),
        "shield_hit_ratio" => Some("a request reaching the origin shield"),
        n if n.starts_with("stale_age_") => Some("a stale response"),
        "backend_queued_ratio" => Some("counted time (a duration longer than the warm-up)"),
        n if n.starts_with("latency_") || n.ends_with("_ratio") => Some("a response"),
        n if n.starts_with("edit_visible_") => Some("an edit becoming visible"),
        "backend_wait_p99_s" => Some("a generation leaving the backend queue"),
        "cost_usd" | "cost_usd_month" => Some("a [cost] table"),
        _ => None,
    }
}

/// The count of censored samples a column's figures include (docs/model.md §11.1): the
/// edit-visible figures count each edit unseen by the run's end at its censoring time, so they
/// are lower bounds whenever `edits_unseen` is above 0. `None` for a column that censors nothing.
pub fn censored_by(name: &str) -> Option<&'static str> {
    name.starts_with("edit_visible_").then_some("edits_unseen")
}

/// The metric columns of `routes.csv`, after `scenario,policy,route`.
pub const ROUTE_COLUMNS: [Column; 15] = [
    col(
        "requests",
        Count,
        Neutral,
        "user responses for the route's pages",
    ),
    col("stale_responses", Count, Lower, "stale responses"),
    col("stale_ratio", Ratio, Lower, "stale responses over requests"),
    col("stale_age_p50_s", Seconds, Lower, "median stale age"),
    col(
        "stale_age_p99_s",
        Seconds,
        Lower,
        "99th percentile stale age",
    ),
    col("stale_age_max_s", Seconds, Lower, "largest stale age"),
    col(
        "cdn_hit_ratio",
        Ratio,
        Higher,
        "responses served from a CDN cache",
    ),
    col(
        "regenerations",
        Count,
        Lower,
        "generations triggered for the route's pages",
    ),
    col(
        "regenerations_failed",
        Count,
        Lower,
        "generations that failed",
    ),
    col(
        "edit_visible_p50_s",
        Seconds,
        Lower,
        "median time from an edit to the first response that reflects it",
    ),
    col(
        "edit_visible_p99_s",
        Seconds,
        Lower,
        "99th percentile time from an edit to the first response that reflects it",
    ),
    col(
        "edits_unseen",
        Count,
        Lower,
        "the route's edits that no response reflected by the run's end",
    ),
    col(
        "pages_regen_gap_over_alert",
        Count,
        Lower,
        "pages over the monitor's alert threshold",
    ),
    col(
        "tag_invalidations",
        Count,
        Neutral,
        "the route's ISR cache entries made stale or expired by revalidated tags",
    ),
    col(
        "regenerations_deduplicated",
        Count,
        Neutral,
        "the route's stale lookups whose message the revalidation queue dropped as a copy",
    ),
];

/// One route's figures in one run, in `ROUTE_COLUMNS` order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteMetrics {
    pub route: String,
    /// `None` for a metric not measured (see `RunMetrics`).
    pub values: [Option<f64>; ROUTE_COLUMNS.len()],
}

impl RouteMetrics {
    /// The value of a route column by name; `None` for a metric not measured, or a name that
    /// is not a column (`route_column` tells which).
    pub fn get(&self, name: &str) -> Option<f64> {
        route_column(name).and_then(|i| self.values[i])
    }
}

/// The index of a route column by name.
pub fn route_column(name: &str) -> Option<usize> {
    ROUTE_COLUMNS.iter().position(|c| c.name == name)
}

/// The columns of `timeseries.csv` after `policy,replication,t_s`.
pub const TIMESERIES_COLUMNS: [&str; 6] = [
    "requests",
    "stale_responses",
    "regenerations",
    "regenerations_inflight",
    "origin_requests",
    "backend_queue",
];

/// One bucket of the time series: counts of what happened in `[start, start + bucket)`, and for
/// the two gauges (`regenerations_inflight`, `backend_queue`) the peak within the bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub requests: u64,
    pub stale_responses: u64,
    pub regenerations: u64,
    pub regenerations_inflight: u64,
    pub origin_requests: u64,
    pub backend_queue: u64,
}

impl Bucket {
    pub fn values(&self) -> [u64; TIMESERIES_COLUMNS.len()] {
        [
            self.requests,
            self.stale_responses,
            self.regenerations,
            self.regenerations_inflight,
            self.origin_requests,
            self.backend_queue,
        ]
    }

    /// A bucket from its `values`, in `TIMESERIES_COLUMNS` order.
    pub fn from_values(values: [u64; TIMESERIES_COLUMNS.len()]) -> Bucket {
        let [
            requests,
            stale_responses,
            regenerations,
            regenerations_inflight,
            origin_requests,
            backend_queue,
        ] = values;
        Bucket {
            requests,
            stale_responses,
            regenerations,
            regenerations_inflight,
            origin_requests,
            backend_queue,
        }
    }
}

/// The quantiles at which `distributions.csv` describes stale age and latency: fine in the body,
/// finer in the tail, where percentile plots and CDFs on a log axis look.
pub const QUANTILES: [f64; 29] = [
    0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8,
    0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 1.0,
];

/// Stale age (seconds, over stale responses) and user latency (milliseconds) at `QUANTILES`;
/// empty when the run had no such sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distributions {
    pub stale_age_s: Vec<f64>,
    pub latency_ms: Vec<f64>,
}

/// Everything one (point, policy, replication) run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    /// Index into `Study::points` (0 without a sweep).
    pub point: usize,
    /// Index into `Scenario::policies`.
    pub policy: usize,
    pub replication: u32,
    /// The replication's derived seed (docs/model.md §11.4 `seed`).
    pub seed: u64,
    pub metrics: RunMetrics,
    pub routes: Vec<RouteMetrics>,
    /// Bucket `i` covers `[i * bucket, (i + 1) * bucket)`.
    pub timeseries: Vec<Bucket>,
    pub distributions: Distributions,
    /// User requests simulated, warm-up included (for the speed report).
    pub simulated_requests: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ratios_percentiles_and_maxima_can_go_unmeasured() {
        // docs/model.md §11.3: counts and peaks are always measured; a ratio needs a response,
        // a percentile or maximum a sample. Every duration column is a percentile or a maximum.
        // The one count that can be empty is the shield's, in a run without a shield.
        for c in &RUN_COLUMNS {
            let can_be_empty =
                matches!(c.unit, Ratio | Seconds | Millis | Usd) || c.name == "shield_requests";
            assert_eq!(measured_by(c.name).is_some(), can_be_empty, "{}", c.name);
        }
    }
}

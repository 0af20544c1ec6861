//! How a results folder lays out a run's results (docs/model.md §11): the name of each file, and
//! what the CSV files say in words or numbers where a run holds them by place. `report` writes
//! by these and `read` reads by them, so the two cannot drift apart.

use crate::time::SimTime;

pub const SCENARIO_FILE: &str = "scenario.toml";
pub const RUNS_FILE: &str = "runs.csv";
pub const SUMMARY_FILE: &str = "summary.csv";
pub const ROUTES_FILE: &str = "routes.csv";
pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const DISTRIBUTIONS_FILE: &str = "distributions.csv";
pub const JSON_FILE: &str = "summary.json";
pub const META_FILE: &str = "meta.csv";

/// The `metric` of `distributions.csv`'s stale-age rows, and of its latency rows.
pub const STALE_AGE: &str = "stale_age_s";
pub const LATENCY: &str = "latency_ms";

/// The start of bucket `i`, in seconds, from integer microseconds so that bucket starts carry no
/// accumulated rounding.
pub fn bucket_start(length: SimTime, i: usize) -> f64 {
    SimTime::from_micros(length.as_micros().saturating_mul(i as u64)).as_secs_f64()
}

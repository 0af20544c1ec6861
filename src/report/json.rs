//! `summary.json`: the run's results for machines (CI gates, dashboards, notebooks).
//!
//! The schema is documented in `docs/ci.md`. Every figure is the mean over replications with the
//! half-width of its 95% t-interval, as in `summary.csv`; `slo` holds each bound's verdict. Only
//! `meta` varies between two runs of the same scenario and seed.

use serde_json::{Map, Value, json};

use super::{RunInfo, Summary};
use crate::metrics::RUN_COLUMNS;
use crate::scenario::Study;
use crate::slo::{Outcome, Verdict};

pub const FILE: &str = "summary.json";

/// The version of this document's layout; it changes when a field changes meaning.
pub const SCHEMA: u32 = 1;

pub fn document(
    study: &Study,
    summaries: &[Summary],
    slo_checked: bool,
    info: Option<&RunInfo>,
) -> Value {
    let results: Vec<Value> = summaries
        .iter()
        .map(|s| {
            let point: Map<String, Value> = study
                .axes
                .iter()
                .zip(&s.labels)
                .map(|(a, l)| (a.clone(), Value::from(l.as_str())))
                .collect();
            let metrics: Map<String, Value> = RUN_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.name.to_string(),
                        json!({ "mean": finite(s.means[i]), "ci95": finite(s.ci95[i]) }),
                    )
                })
                .collect();
            json!({
                "point": point,
                "policy": s.policy,
                "replications": s.replications,
                "metrics": metrics,
                "slo": s.slo.iter().map(verdict).collect::<Vec<_>>(),
                "slo_ok": s.slo.iter().all(Verdict::met),
            })
        })
        .collect();
    let mut doc = json!({
        "schema": SCHEMA,
        "isrsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": study.base.name,
        "description": study.base.description,
        "seed": study.base.seed,
        "replications": study.base.replications,
        "axes": study.axes,
        "slo_checked": slo_checked,
        "slo_ok": summaries.iter().all(|s| s.slo.iter().all(Verdict::met)),
        "results": results,
    });
    if let (Some(info), Value::Object(map)) = (info, &mut doc) {
        let requests: u64 = summaries.iter().map(|s| s.simulated_requests).sum();
        let rate = if info.wall_s > 0.0 {
            requests as f64 / info.wall_s
        } else {
            0.0
        };
        map.insert(
            "meta".into(),
            json!({
                "runs": summaries.iter().map(|s| s.replications).sum::<usize>(),
                "simulated_requests": requests,
                "wall_s": info.wall_s,
                "requests_per_s": rate.round(),
                "threads": info.threads,
                "shards": info.shards,
            }),
        );
    }
    doc
}

/// A verdict; one on a metric not measured has a `null` value and says `"not_measured": true`.
fn verdict(v: &Verdict) -> Value {
    let mut doc = json!({
        "metric": v.metric,
        "bound": v.side.name(),
        "limit": v.limit,
        "value": finite(v.value),
        "ok": v.met(),
    });
    if let (Outcome::NotMeasured, Value::Object(map)) = (v.outcome, &mut doc) {
        map.insert("not_measured".into(), Value::Bool(true));
    }
    doc
}

/// JSON has no NaN: a missing figure is `null`.
/// A figure, or `null` when it was not measured (or is not a finite number).
fn finite(x: Option<f64>) -> Value {
    match x {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

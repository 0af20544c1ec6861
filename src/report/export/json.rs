//! `summary.json`: the run's results for machines (CI gates, dashboards, notebooks).
//!
//! The schema is documented in `docs/ci.md`. Every figure is the mean over replications with the
//! half-width of its 95% t-interval, as in `summary.csv`; `slo` holds each bound's verdict. Only
//! `meta` varies between two runs of the same scenario and seed. `warnings` lists the run's
//! steady-state warnings (`results::steady`): each one's kind, point, policy and message.

use std::io;

use serde_json::{Map, Value, json};

use super::{Export, RunInfo};
use crate::metrics::RUN_COLUMNS;
use crate::results::StudyResults;
use crate::slo::{Outcome, Verdict};

/// The version of this document's layout; it changes when a field changes meaning.
pub const SCHEMA: u32 = 1;

/// `summary.json`, with the run's speed as `meta` when `info` is given.
pub struct Json<'i> {
    pub info: Option<&'i RunInfo>,
}

impl Export for Json<'_> {
    /// Pretty-printed, with a final newline: the file, and what `--json` prints.
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        let text = serde_json::to_string_pretty(&document(results, self.info))?;
        Ok((text + "\n").into_bytes())
    }
}

/// The steady-state warnings, as `{kind, point, policy, message}`.
fn warnings(results: &StudyResults) -> Vec<Value> {
    let axes = &results.study.axes;
    (results.warnings.iter())
        .map(|w| {
            let point: Map<String, Value> = (axes.iter().zip(&w.labels))
                .map(|(a, l)| (a.clone(), Value::from(l.as_str())))
                .collect();
            json!({
                "kind": w.kind(),
                "point": point,
                "policy": w.policy,
                "message": w.message(axes),
            })
        })
        .collect()
}

fn document(results: &StudyResults, info: Option<&RunInfo>) -> Value {
    let study = results.study;
    let summaries = &results.summaries;
    let results_json: Vec<Value> = summaries
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
                        json!({
                            "mean": finite(s.means[i]),
                            "ci95": finite(s.ci95[i]),
                            "lower_bound": s.lower_bound(i),
                        }),
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
                "cost": crate::report::cost::json(results, s),
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
        "slo_checked": results.slo_checked,
        "slo_ok": results.slo_met(),
        "results": results_json,
        "warnings": warnings(results),
    });
    if let (Some(info), Value::Object(map)) = (info, &mut doc) {
        let requests: u64 = summaries.iter().map(|s| s.simulated_requests).sum();
        let rate = if info.wall_s > 0.0 {
            requests as f64 / info.wall_s
        } else {
            0.0
        };
        let mut meta = json!({
            "runs": summaries.iter().map(|s| s.replications).sum::<usize>(),
            "simulated_requests": requests,
            "wall_s": info.wall_s,
            "requests_per_s": rate.round(),
            "threads": info.threads,
            "shards": info.shards,
            "mode": info.mode(),
        });
        if let (Some(load), Value::Object(meta)) = (&info.load, &mut meta) {
            let mut run = json!({
                "target": load.target,
                "interrupted": load.stopped == Some("interrupted"),
                "stopped": load.stopped,
                "unverified": load.unverified,
                "send_lag_p99_ms": load.send_lag_p99_ms,
                "connections": load.connections,
                "unfinished": load.unfinished,
                "unobserved": load.unobserved,
            });
            if let (Some(epoch), Value::Object(run)) = (&load.epoch, &mut run) {
                run.insert(
                    "epoch".into(),
                    epoch.parse::<f64>().map_or(Value::Null, Value::from),
                );
            }
            meta.insert("load".into(), run);
        }
        map.insert("meta".into(), meta);
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

/// A figure, or `null` when it was not measured (JSON has no NaN either).
fn finite(x: Option<f64>) -> Value {
    match x {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixture::{run, study};
    use crate::scenario::Bound;

    fn bound(metric: &str, max: f64) -> Bound {
        Bound {
            metric: metric.to_string(),
            min: None,
            max: Some(max),
        }
    }

    #[test]
    fn a_verdict_on_a_metric_not_measured_is_null_not_ok_and_says_so() {
        let mut study = study();
        study.points[0].scenario.policies[0].slo =
            vec![bound("stale_age_p99_s", 60.0), bound("stale_ratio", 0.5)];
        let mut runs = [run(0, 0, 0.25, &[])];
        let i = crate::metrics::column("stale_age_p99_s").unwrap();
        runs[0].metrics.0[i] = None;
        let results = StudyResults::new(&study, &runs, true);
        let bytes = Json { info: None }.render(&results).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let fast = &doc["results"][0];
        assert_eq!(fast["metrics"]["stale_age_p99_s"]["mean"], Value::Null);
        assert_eq!(
            fast["slo"][0],
            json!({ "metric": "stale_age_p99_s", "bound": "max", "limit": 60.0,
                    "value": null, "ok": false, "not_measured": true })
        );
        assert_eq!(
            fast["slo"][1],
            json!({ "metric": "stale_ratio", "bound": "max", "limit": 0.5, "value": 0.25,
                    "ok": true })
        );
        assert_eq!(fast["slo_ok"], false);
        assert_eq!(doc["slo_ok"], false);
        assert!(doc.get("meta").is_none());
        assert!(bytes.ends_with(b"}\n"));
    }
}

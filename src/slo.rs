//! Service-level objectives (docs/model.md §11.10, exit code 3): after a run, each bound a policy
//! is held to is compared with its metric's mean over replications, the figure `summary.csv`
//! shows.
//!
//! A bound is a promise about what users get ("at most 2% stale responses"), so a figure that
//! cannot be compared, because it is missing or NaN, fails: a check that could not be made must
//! not read as a check that passed.

/// An `[slo]` bound on one `summary.csv` metric (its mean over replications).
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    /// A column of `runs.csv` (`crate::metrics::RUN_COLUMNS`).
    pub metric: String,
    /// In the column's own unit (seconds for `_s`, milliseconds for `_ms`).
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Which end of a bound a limit sits at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The value must be at least the limit.
    Min,
    /// The value must be at most the limit.
    Max,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Min => "min",
            Side::Max => "max",
        }
    }
}

/// What checking one limit found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Missed,
    /// The metric was not measured, so the limit could not be checked; this fails the gate.
    NotMeasured,
}

/// One limit of one bound, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub metric: String,
    pub side: Side,
    /// In the metric's own unit (seconds for `_s`, milliseconds for `_ms`).
    pub limit: f64,
    /// The metric's mean; `None` when it was not measured.
    pub value: Option<f64>,
    pub outcome: Outcome,
}

/// Every bound of `bounds` checked against `value_of(metric)`, a metric's mean over replications,
/// `None` when it was not measured. A bound with both `min` and `max` gives two verdicts, `min`
/// first; the order of `bounds` is kept.
pub fn check(bounds: &[Bound], value_of: impl Fn(&str) -> Option<f64>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for bound in bounds {
        // A NaN mean cannot be compared either: it is no measurement.
        let value = value_of(&bound.metric).filter(|v| !v.is_nan());
        for (side, limit) in [(Side::Min, bound.min), (Side::Max, bound.max)] {
            let Some(limit) = limit else { continue };
            let outcome = match (value, side) {
                (None, _) => Outcome::NotMeasured,
                (Some(v), Side::Min) if v >= limit => Outcome::Met,
                (Some(v), Side::Max) if v <= limit => Outcome::Met,
                (Some(_), _) => Outcome::Missed,
            };
            verdicts.push(Verdict {
                metric: bound.metric.clone(),
                side,
                limit,
                value,
                outcome,
            });
        }
    }
    verdicts
}

impl Verdict {
    /// Whether the limit was checked and holds: a missed limit and one not measured both fail.
    pub fn met(&self) -> bool {
        self.outcome == Outcome::Met
    }

    /// One line for a person, such as "stale_ratio = 0.0312 > max 0.02".
    pub fn describe(&self) -> String {
        let (metric, side, limit) = (&self.metric, self.side.name(), self.limit);
        let Some(value) = self.value else {
            let why = crate::metrics::measured_by(metric).map_or(String::new(), |what| {
                format!(" (no replication observed {what})")
            });
            return format!("{metric} was not measured{why}, so {side} {limit} cannot be checked");
        };
        let relation = match (self.side, self.met()) {
            (Side::Min, true) => ">=",
            (Side::Min, false) => "<",
            (Side::Max, true) => "<=",
            (Side::Max, false) => ">",
        };
        let value = shown(value, limit);
        format!("{metric} = {value} {relation} {side} {limit}")
    }
}

/// `value` to 4 significant digits, or to more when fewer would make it look equal to `limit`
/// (or on the other side of it): the figure printed must agree with the verdict.
fn shown(value: f64, limit: f64) -> String {
    let mut text = String::new();
    for digits in 4..=17 {
        text = significant(value, digits);
        let printed: f64 = text.parse().unwrap_or(value);
        if printed.partial_cmp(&limit) == value.partial_cmp(&limit) {
            break;
        }
    }
    text
}

/// `value` rounded to `digits` significant digits, without trailing zeros.
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let fixed = format!("{value:.decimals$}");
    if fixed.contains('.') {
        fixed
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        fixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max(metric: &str, limit: f64) -> Bound {
        Bound {
            metric: metric.to_string(),
            min: None,
            max: Some(limit),
        }
    }

    fn min(metric: &str, limit: f64) -> Bound {
        Bound {
            metric: metric.to_string(),
            min: Some(limit),
            max: None,
        }
    }

    /// The single verdict of `bound` against `value`.
    fn verdict(bound: Bound, value: Option<f64>) -> Verdict {
        let verdicts = check(&[bound], |_| value);
        assert_eq!(verdicts.len(), 1);
        verdicts.into_iter().next().unwrap()
    }

    #[test]
    fn max_is_violated_only_above_the_limit() {
        let above = verdict(max("stale_ratio", 0.02), Some(0.0312));
        assert_eq!(above.outcome, Outcome::Missed);
        assert_eq!(above.describe(), "stale_ratio = 0.0312 > max 0.02");
        let at = verdict(max("stale_ratio", 0.02), Some(0.02));
        assert!(at.met(), "equal to the limit passes");
        assert_eq!(at.describe(), "stale_ratio = 0.02 <= max 0.02");
        assert!(verdict(max("stale_ratio", 0.02), Some(0.0)).met());
    }

    #[test]
    fn min_is_violated_only_below_the_limit() {
        let below = verdict(min("cdn_hit_ratio", 0.9), Some(0.85));
        assert_eq!(below.outcome, Outcome::Missed);
        assert_eq!(below.describe(), "cdn_hit_ratio = 0.85 < min 0.9");
        let at = verdict(min("cdn_hit_ratio", 0.9), Some(0.9));
        assert!(at.met(), "equal to the limit passes");
        assert_eq!(at.describe(), "cdn_hit_ratio = 0.9 >= min 0.9");
        assert!(verdict(min("cdn_hit_ratio", 0.9), Some(1.0)).met());
    }

    #[test]
    fn a_metric_not_measured_is_neither_met_nor_missed_and_fails() {
        for bound in [max("latency_p99_ms", 600.0), min("cdn_hit_ratio", 0.9)] {
            for value in [None, Some(f64::NAN)] {
                let v = verdict(bound.clone(), value);
                assert_eq!(v.outcome, Outcome::NotMeasured, "{}", v.describe());
                assert!(!v.met());
                assert_eq!(v.value, None);
            }
        }
    }

    #[test]
    fn a_metric_not_measured_says_what_no_replication_observed() {
        let v = verdict(max("stale_age_p99_s", 60.0), None);
        assert_eq!(
            v.describe(),
            "stale_age_p99_s was not measured (no replication observed a stale response), so \
             max 60 cannot be checked"
        );
        let v = verdict(min("cdn_hit_ratio", 0.9), None);
        assert_eq!(
            v.describe(),
            "cdn_hit_ratio was not measured (no replication observed a response), so min 0.9 \
             cannot be checked"
        );
    }

    #[test]
    fn a_two_sided_bound_gives_min_then_max_and_each_metric_its_own_value() {
        let bounds = [
            Bound {
                metric: "latency_p99_ms".to_string(),
                min: Some(10.0),
                max: Some(600.0),
            },
            max("stale_ratio", 0.02),
        ];
        let values = |m: &str| match m {
            "latency_p99_ms" => Some(700.0),
            "stale_ratio" => Some(0.01),
            _ => None,
        };
        let verdicts = check(&bounds, values);
        let summary: Vec<(&str, Side, bool)> = verdicts
            .iter()
            .map(|v| (v.metric.as_str(), v.side, v.met()))
            .collect();
        assert_eq!(
            summary,
            [
                ("latency_p99_ms", Side::Min, true),
                ("latency_p99_ms", Side::Max, false),
                ("stale_ratio", Side::Max, true),
            ]
        );
        assert_eq!(verdicts[1].describe(), "latency_p99_ms = 700 > max 600");
        assert!(check(&[], values).is_empty());
    }

    #[test]
    fn a_value_just_past_the_limit_is_printed_with_enough_digits_to_show_it() {
        let v = verdict(max("stale_ratio", 0.02), Some(0.020001));
        assert!(!v.met());
        assert_eq!(v.describe(), "stale_ratio = 0.020001 > max 0.02");
        let v = verdict(max("stale_age_p99_s", 600.0), Some(912.345678));
        assert_eq!(v.describe(), "stale_age_p99_s = 912.3 > max 600");
    }
}

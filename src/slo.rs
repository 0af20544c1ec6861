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

/// One limit of one bound, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub metric: String,
    pub side: Side,
    /// In the metric's own unit (seconds for `_s`, milliseconds for `_ms`).
    pub limit: f64,
    /// The metric's mean; NaN when it had no value.
    pub value: f64,
    pub ok: bool,
}

/// Every bound of `bounds` checked against `value_of(metric)` (a metric mean from summary.csv).
/// A bound with both `min` and `max` gives two verdicts, `min` first; the order of `bounds` is kept.
pub fn check(bounds: &[Bound], value_of: impl Fn(&str) -> Option<f64>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for bound in bounds {
        let value = value_of(&bound.metric).unwrap_or(f64::NAN);
        for (side, limit) in [(Side::Min, bound.min), (Side::Max, bound.max)] {
            let Some(limit) = limit else { continue };
            // Written so that NaN compares false and therefore fails.
            let ok = match side {
                Side::Min => value >= limit,
                Side::Max => value <= limit,
            };
            verdicts.push(Verdict {
                metric: bound.metric.clone(),
                side,
                limit,
                value,
                ok,
            });
        }
    }
    verdicts
}

impl Verdict {
    /// One line for a person, such as "stale_ratio = 0.0312 > max 0.02".
    pub fn describe(&self) -> String {
        let (metric, side, limit) = (&self.metric, self.side.name(), self.limit);
        if self.value.is_nan() {
            return format!(
                "{metric} has no value (missing from summary.csv, or NaN), so {side} {limit} is not met"
            );
        }
        let relation = match (self.side, self.ok) {
            (Side::Min, true) => ">=",
            (Side::Min, false) => "<",
            (Side::Max, true) => "<=",
            (Side::Max, false) => ">",
        };
        let value = shown(self.value, limit);
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
        assert!(!above.ok);
        assert_eq!(above.describe(), "stale_ratio = 0.0312 > max 0.02");
        let at = verdict(max("stale_ratio", 0.02), Some(0.02));
        assert!(at.ok, "equal to the limit passes");
        assert_eq!(at.describe(), "stale_ratio = 0.02 <= max 0.02");
        assert!(verdict(max("stale_ratio", 0.02), Some(0.0)).ok);
    }

    #[test]
    fn min_is_violated_only_below_the_limit() {
        let below = verdict(min("cdn_hit_ratio", 0.9), Some(0.85));
        assert!(!below.ok);
        assert_eq!(below.describe(), "cdn_hit_ratio = 0.85 < min 0.9");
        let at = verdict(min("cdn_hit_ratio", 0.9), Some(0.9));
        assert!(at.ok, "equal to the limit passes");
        assert_eq!(at.describe(), "cdn_hit_ratio = 0.9 >= min 0.9");
        assert!(verdict(min("cdn_hit_ratio", 0.9), Some(1.0)).ok);
    }

    #[test]
    fn nan_fails_either_side() {
        for bound in [max("latency_p99_ms", 600.0), min("cdn_hit_ratio", 0.9)] {
            let v = verdict(bound, Some(f64::NAN));
            assert!(!v.ok, "{}", v.describe());
            assert!(v.describe().contains("has no value"), "{}", v.describe());
        }
    }

    #[test]
    fn a_missing_metric_fails_and_says_so() {
        let v = verdict(max("stale_age_p99_s", 600.0), None);
        assert!(!v.ok);
        assert!(v.value.is_nan());
        assert_eq!(
            v.describe(),
            "stale_age_p99_s has no value (missing from summary.csv, or NaN), so max 600 is not met"
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
            .map(|v| (v.metric.as_str(), v.side, v.ok))
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
        assert!(!v.ok);
        assert_eq!(v.describe(), "stale_ratio = 0.020001 > max 0.02");
        let v = verdict(max("stale_age_p99_s", 600.0), Some(912.345678));
        assert_eq!(v.describe(), "stale_age_p99_s = 912.3 > max 600");
    }
}

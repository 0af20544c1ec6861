//! `[slo]`, and a policy's `slo = { ... }`: bounds on the means of `summary.csv`, checked after
//! the run by `crate::slo`. Each metric's unit decides which limits its bound takes.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::source::one_of;
use super::values::{Keyword, Word, not_allowed};
use crate::metrics::{Column, RUN_COLUMNS, Unit};
use crate::slo::{Bound, Side};
use crate::time::{SimTime, parse_duration};

impl Keyword for Side {
    const WORDS: &'static [(&'static str, Self)] = &[("min", Side::Min), ("max", Side::Max)];
}

/// `[slo]`, or a policy's `slo = { ... }`: one bound per metric, in file order.
pub(super) struct Slo(pub(super) Vec<Bound>);

impl<'de> Deserialize<'de> for Slo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Slo;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of `summary.csv` columns, each with a bound")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slo, A::Error> {
                let mut bounds = Vec::new();
                while let Some(metric) = map.next_key::<String>()? {
                    bounds.push(map.next_value_seed(BoundOn(metric))?);
                }
                Ok(Slo(bounds))
            }
        }
        d.deserialize_map(V)
    }
}

/// The bound on the metric its key names. The metric's unit decides which values are allowed, so
/// the name travels into the value as a seed, and an error still lands on the key and its line.
struct BoundOn(String);

impl<'de> DeserializeSeed<'de> for BoundOn {
    type Value = Bound;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Bound, D::Error> {
        let metric = self.0;
        let Some(column) = RUN_COLUMNS.iter().find(|c| c.name == metric) else {
            let names: Vec<&str> = RUN_COLUMNS.iter().map(|c| c.name).collect();
            let hint = if metric.ends_with("_ci95") {
                " (a bound applies to a metric's mean, not to its `_ci95` half-width)"
            } else {
                ""
            };
            return Err(de::Error::custom(format!(
                "`{metric}` is not a metric column of `summary.csv`{hint}: expected one of {}",
                one_of(&names)
            )));
        };
        d.deserialize_any(BoundVisitor(column))
    }
}

/// A bare value (an upper bound), or `{ min = ..., max = ... }` with at least one of the two.
struct BoundVisitor(&'static Column);

impl BoundVisitor {
    fn upper(&self, max: f64) -> Bound {
        Bound {
            metric: self.0.name.to_string(),
            min: None,
            max: Some(max),
        }
    }
}

impl<'de> Visitor<'de> for BoundVisitor {
    type Value = Bound;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{} as an upper bound, or a table such as {{ min = ... }} or {{ min = ..., max = ... }}",
            Limit(self.0).what()
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bound, E> {
        Limit(self.0).visit_i64(v).map(|max| self.upper(max))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bound, E> {
        Limit(self.0).visit_u64(v).map(|max| self.upper(max))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bound, E> {
        Limit(self.0).visit_f64(v).map(|max| self.upper(max))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bound, E> {
        Limit(self.0).visit_str(v).map(|max| self.upper(max))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bound, A::Error> {
        let (mut min, mut max) = (None, None);
        while let Some(Word(side)) = map.next_key::<Word<Side>>()? {
            let limit = map.next_value_seed(Limit(self.0))?;
            match side {
                Side::Min => min = Some(limit),
                Side::Max => max = Some(limit),
            }
        }
        match (min, max) {
            (None, None) => Err(de::Error::custom(
                "an empty table sets no bound: give `min`, `max` or both",
            )),
            (Some(min), Some(max)) if min > max => Err(de::Error::custom(format!(
                "`min` ({min}) is above `max` ({max}), so no value could meet the bound"
            ))),
            _ => Ok(Bound {
                metric: self.0.name.to_string(),
                min,
                max,
            }),
        }
    }
}

/// One limit of a bound, in its column's unit: a number, or for `_s` and `_ms` columns a duration.
/// Every column counts or measures something, so a negative limit is never meaningful.
#[derive(Clone, Copy)]
struct Limit(&'static Column);

impl Limit {
    fn what(self) -> &'static str {
        match self.0.unit {
            Unit::Ratio => "a ratio from 0 to 1",
            Unit::Seconds => "a number of seconds of at least 0, or a duration such as \"10m\"",
            Unit::Millis => {
                "a number of milliseconds of at least 0, or a duration such as \"250ms\""
            }
            Unit::Count | Unit::PerSecond => "a finite number of at least 0",
            Unit::Usd => "a finite number of US dollars of at least 0",
        }
    }

    fn check<E: de::Error>(self, v: f64) -> Result<f64, E> {
        let in_range = v.is_finite() && v >= 0.0 && (self.0.unit != Unit::Ratio || v <= 1.0);
        if in_range {
            // `+ 0.0` turns -0.0 into 0.0.
            Ok(v + 0.0)
        } else {
            Err(not_allowed(v, self.what()))
        }
    }
}

impl<'de> DeserializeSeed<'de> for Limit {
    type Value = f64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Limit {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.check(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.check(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        self.check(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match self.0.unit {
            Unit::Seconds => parse_duration(v)
                .map(SimTime::as_secs_f64)
                .map_err(E::custom),
            Unit::Millis => parse_duration(v)
                .map(SimTime::as_millis_f64)
                .map_err(E::custom),
            _ => Err(E::custom(format!(
                "`{}` takes {}, not a duration: only `_s` and `_ms` columns take durations",
                self.0.name,
                self.what()
            ))),
        }
    }
}

/// The bounds a policy is held to: `global`, with the policy's `own` bound replacing the global
/// one of the same metric, then the metrics only the policy bounds, each list in file order.
pub(super) fn policy_slo(global: &[Bound], own: &[Bound]) -> Vec<Bound> {
    let own_bound = |metric: &str| own.iter().find(|b| b.metric == metric);
    let mut bounds: Vec<Bound> = global
        .iter()
        .map(|g| own_bound(&g.metric).unwrap_or(g).clone())
        .collect();
    bounds.extend(
        own.iter()
            .filter(|b| !global.iter().any(|g| g.metric == b.metric))
            .cloned(),
    );
    bounds
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{
        FULL_EXAMPLE, MINIMAL, error, line_of, parse_text, replace,
    };
    use crate::slo::Bound;

    fn bound(metric: &str, min: Option<f64>, max: Option<f64>) -> Bound {
        Bound {
            metric: metric.to_string(),
            min,
            max,
        }
    }

    /// The first three bounds of docs/scenario.md's `[slo]` example, appended to `MINIMAL` (whose
    /// one policy is `time`).
    const SLO: &str =
        "\n[slo]\nstale_ratio = 0.02\nstale_age_p99_s = \"10m\"\ncdn_hit_ratio = { min = 0.9 }\n";
    #[test]
    fn spec_example_slo_resolves_in_column_units() {
        let s = parse_text(FULL_EXAMPLE).unwrap();
        let expected = [
            bound("stale_ratio", None, Some(0.02)),
            // "10m" in a seconds column.
            bound("stale_age_p99_s", None, Some(600.0)),
            bound("cdn_hit_ratio", Some(0.9), None),
        ];
        assert_eq!(s.slo, expected);
        // Without a table of their own, every policy is held to the scenario's bounds.
        assert!(s.policies.iter().all(|p| p.slo == expected));
        // A duration in a milliseconds column is in milliseconds; a number is taken as written.
        let text = format!("{MINIMAL}\n[slo]\nlatency_p99_ms = \"10m\"\nlatency_p50_ms = 250\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [
                bound("latency_p99_ms", None, Some(600_000.0)),
                bound("latency_p50_ms", None, Some(250.0)),
            ]
        );
        assert!(parse_text(MINIMAL).unwrap().slo.is_empty());
    }

    #[test]
    fn a_policy_slo_replaces_only_the_metrics_it_names() {
        let text = replace(
            &format!("{MINIMAL}{SLO}"),
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { stale_ratio = { max = 0.1 }, latency_p99_ms = \"2s\" }\n\
             \n[[policies]]\nname = \"other\"\n",
        );
        let s = parse_text(&text).unwrap();
        assert_eq!(
            s.policies[0].slo,
            [
                bound("stale_ratio", None, Some(0.1)),
                bound("stale_age_p99_s", None, Some(600.0)),
                bound("cdn_hit_ratio", Some(0.9), None),
                bound("latency_p99_ms", None, Some(2_000.0)),
            ]
        );
        // The scenario's table, and the other policy, are untouched.
        assert_eq!(s.slo[0], bound("stale_ratio", None, Some(0.02)));
        assert_eq!(s.policies[1].slo, s.slo);
        // A policy may have bounds when the scenario has none.
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { cdn_hit_ratio = { min = 0.5, max = 0.99 } }\n",
        );
        assert_eq!(
            parse_text(&text).unwrap().policies[0].slo,
            [bound("cdn_hit_ratio", Some(0.5), Some(0.99))]
        );
    }

    #[test]
    fn an_unknown_slo_metric_is_an_error_listing_the_columns() {
        let text = format!("{MINIMAL}{SLO}stale_ratoi = 0.1\n");
        let err = error(&text, "slo.stale_ratoi", line_of(&text, "stale_ratoi"));
        assert!(
            err.message.contains("`stale_ratio`") && err.message.contains("`latency_p99_ms`"),
            "{err}"
        );
        let text = format!("{MINIMAL}{SLO}stale_ratio_ci95 = 0.1\n");
        let err = error(&text, "slo.stale_ratio_ci95", line_of(&text, "_ci95"));
        assert!(err.message.contains("mean"), "{err}");
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"\n",
            "revalidate = \"60s\"\nslo = { cdn_hit = { min = 0.9 } }\n",
        );
        error(&text, "policies[0].slo.cdn_hit", line_of(&text, "cdn_hit"));
    }

    #[test]
    fn a_duration_bounds_only_time_columns() {
        let text = format!("{MINIMAL}\n[slo]\nstale_ratio = \"10m\"\n");
        let err = error(&text, "slo.stale_ratio", line_of(&text, "\"10m\""));
        assert!(
            err.message
                .contains("only `_s` and `_ms` columns take durations"),
            "{err}"
        );
        let text = format!("{MINIMAL}\n[slo]\nstale_age_p99_s = \"10 minutes\"\n");
        error(&text, "slo.stale_age_p99_s", line_of(&text, "minutes"));
    }

    #[test]
    fn slo_values_must_be_in_the_column_range() {
        for (value, what) in [
            ("1.5", "from 0 to 1"),
            ("-0.1", "from 0 to 1"),
            ("nan", "from 0 to 1"),
            ("true", "ratio"),
        ] {
            let text = format!("{MINIMAL}\n[slo]\ncdn_hit_ratio = {value}\n");
            let err = error(&text, "slo.cdn_hit_ratio", text.lines().count());
            assert!(err.message.contains(what), "{value}: {err}");
        }
        let text = format!("{MINIMAL}\n[slo]\nerrors = -1\n");
        error(&text, "slo.errors", text.lines().count());
        let text = format!("{MINIMAL}\n[slo]\nerrors = inf\n");
        error(&text, "slo.errors", text.lines().count());
        // Counts are not capped at 1.
        let text = format!("{MINIMAL}\n[slo]\nerrors = 10\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [bound("errors", None, Some(10.0))]
        );
    }

    #[test]
    fn min_above_max_is_an_error() {
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ min = 2, max = 1 }}\n");
        let err = error(&text, "slo.errors", text.lines().count());
        assert!(
            err.message.contains("`min` (2) is above `max` (1)"),
            "{err}"
        );
        // Equal limits pin the value.
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ min = 1, max = 1 }}\n");
        assert_eq!(
            parse_text(&text).unwrap().slo,
            [bound("errors", Some(1.0), Some(1.0))]
        );
    }

    #[test]
    fn a_bound_table_takes_only_min_and_max() {
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ foo = 1 }}\n");
        let err = error(&text, "slo.errors.foo", text.lines().count());
        assert!(
            err.message.contains("`min`") && err.message.contains("`max`"),
            "{err}"
        );
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{}}\n");
        error(&text, "slo.errors", text.lines().count());
        let text = format!("{MINIMAL}\n[slo]\nerrors = {{ max = \"1s\" }}\n");
        error(&text, "slo.errors.max", text.lines().count());
    }

    #[test]
    fn slo_is_not_a_per_route_key() {
        let text = format!("{MINIMAL}routes.list = {{ slo = {{ stale_ratio = 0.1 }} }}\n");
        error(
            &text,
            "policies[0].routes.list.slo",
            line_of(&text, "routes.list"),
        );
    }
}

//! Distributions of durations (`regen_time`, `purge_delay`, `webhook_delay`): a constant
//! duration, or a one-key table naming the distribution and its parameters.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::values::{Delay, Keyword, Word};
use crate::scenario::Distribution;
use crate::time::{SimTime, parse_duration};

#[derive(Clone, Copy, Debug)]
enum DistributionKind {
    Exponential,
    Uniform,
    LogNormal,
}

impl Keyword for DistributionKind {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("exponential", DistributionKind::Exponential),
        ("uniform", DistributionKind::Uniform),
        ("lognormal", DistributionKind::LogNormal),
    ];
}

const DISTRIBUTION_EXAMPLE: &str = "a duration such as \"300ms\", { exponential = \"2s\" }, \
    { uniform = [\"100ms\", \"2s\"] } or { lognormal = { median = \"300ms\", p99 = \"3s\" } }";

/// A distribution of durations (docs/scenario.md, "Values"): a constant duration or a one-key
/// table.
#[derive(Clone, Debug)]
pub(super) struct Dist(pub(super) Distribution);

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DISTRIBUTION_EXAMPLE)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
                parse_duration(v)
                    .map(|t| Dist(Distribution::Constant(t)))
                    .map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
                let Some(Word(kind)) = map.next_key::<Word<DistributionKind>>()? else {
                    return Err(de::Error::custom(format!(
                        "an empty table is not a distribution: expected {DISTRIBUTION_EXAMPLE}"
                    )));
                };
                let distribution = match kind {
                    DistributionKind::Exponential => Distribution::Exponential {
                        mean: map.next_value::<Delay>()?.0,
                    },
                    DistributionKind::Uniform => {
                        let UniformBounds(low, high) = map.next_value()?;
                        Distribution::Uniform { low, high }
                    }
                    DistributionKind::LogNormal => {
                        let LogNormal { median, p99 } = map.next_value()?;
                        Distribution::LogNormal { median, p99 }
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a distribution has exactly one of `exponential`, `uniform` or `lognormal`, \
                         but `{extra}` is also given"
                    )));
                }
                Ok(Dist(distribution))
            }
        }
        d.deserialize_any(V)
    }
}

/// `uniform = ["100ms", "2s"]`: low <= high.
struct UniformBounds(SimTime, SimTime);

impl<'de> Deserialize<'de> for UniformBounds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "two durations [low, high], such as [\"100ms\", \"2s\"]";
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniformBounds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniformBounds, A::Error> {
                let low = seq
                    .next_element::<Delay>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let high = seq
                    .next_element::<Delay>()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format!(
                        "too many values: expected {WHAT}"
                    )));
                }
                if low.0 > high.0 {
                    return Err(de::Error::custom(format!(
                        "the low bound {} is above the high bound {}",
                        low.0, high.0
                    )));
                }
                Ok(UniformBounds(low.0, high.0))
            }
        }
        d.deserialize_seq(V)
    }
}

/// `lognormal = { median = "300ms", p99 = "3s" }`: 0 < median < p99.
struct LogNormal {
    median: SimTime,
    p99: SimTime,
}

impl<'de> Deserialize<'de> for LogNormal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            median: Delay,
            p99: Delay,
        }
        let Raw {
            median: Delay(median),
            p99: Delay(p99),
        } = Raw::deserialize(d)?;
        if median == SimTime::ZERO {
            return Err(de::Error::custom("the `median` must be longer than 0s"));
        }
        if p99 <= median {
            return Err(de::Error::custom(format!(
                "the `p99` ({p99}) must be above the `median` ({median})"
            )));
        }
        Ok(LogNormal { median, p99 })
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Distribution;
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};
    use crate::time::SimTime;

    #[test]
    fn distributions_check_their_parameters() {
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { lognormal = { median = \"3s\", p99 = \"1s\" } }",
        );
        error(
            &text,
            "routes[0].regen_time.lognormal",
            line_of(&text, "lognormal"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { uniform = [\"2s\", \"1s\"] }",
        );
        error(
            &text,
            "routes[0].regen_time.uniform",
            line_of(&text, "uniform"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { normal = \"1s\" }",
        );
        error(
            &text,
            "routes[0].regen_time.normal",
            line_of(&text, "normal"),
        );
        let text = replace(
            MINIMAL,
            "regen_time = \"1s\"",
            "regen_time = { uniform = [\"0s\", \"2s\"] }",
        );
        assert_eq!(
            parse_text(&text).unwrap().routes[0].regen_time,
            Distribution::Uniform {
                low: SimTime::ZERO,
                high: SimTime::from_secs(2)
            }
        );
    }
}

//! `[cdn]`: the points of presence in front of the origin, their cache lifetimes, how purges
//! reach them, and the origin shield between them and the origin (`shield = true`, or
//! `shield = { rtt = "20ms", capacity = 1000 }`).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};
use toml::Spanned;

use super::distribution::Dist;
use super::source::Source;
use super::values::{CapacityValue, Count, Delay, DelaySecs, IntervalSecs, Probability, Word};
use crate::error::InputError;
use crate::scenario::platform::{CdnProduct, Profiles};
use crate::scenario::{Cdn, Distribution, PurgeBy, Shield};
use crate::time::SimTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCdn {
    pops: Option<Spanned<Count>>,
    capacity: Option<CapacityValue>,
    ttl: Option<IntervalSecs>,
    stale_while_revalidate: Option<DelaySecs>,
    collapse: Option<bool>,
    warm: Option<bool>,
    rtt: Option<Delay>,
    origin_rtt: Option<Delay>,
    purge_delay: Option<Dist>,
    purge_failure: Option<Probability>,
    shield: Option<ShieldValue>,
    purge_by: Option<Word<PurgeBy>>,
    product: Option<Word<CdnProduct>>,
    clock: Option<Delay>,
    honor_swr: Option<bool>,
    min_ttl: Option<DelaySecs>,
    max_ttl: Option<Spanned<IntervalSecs>>,
    follows_origin: Option<bool>,
    propagation: Option<Spanned<Dist>>,
}

impl RawCdn {
    /// The `product` the file names.
    pub(super) fn product(&self) -> Option<CdnProduct> {
        self.product.map(|w| w.0)
    }
}

/// `shield`'s own keys, when it is a table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShield {
    rtt: Option<Delay>,
    capacity: Option<CapacityValue>,
}

/// `shield = true` (the defaults), `false` (none), or a table of its keys.
struct ShieldValue(Option<Shield>);

impl ShieldValue {
    fn from_raw(raw: RawShield) -> ShieldValue {
        ShieldValue(Some(Shield {
            // Like `rtt` and `origin_rtt`: a round trip adds latency only when the scenario
            // says how long it is.
            rtt: raw.rtt.map_or(SimTime::ZERO, |t| t.0),
            capacity: raw.capacity.map(|c| c.0),
        }))
    }
}

impl<'de> Deserialize<'de> for ShieldValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ShieldValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "`true`, `false`, or a table of `rtt` and `capacity` such as { rtt = \"20ms\", capacity = 1000 }",
                )
            }

            fn visit_bool<E: de::Error>(self, on: bool) -> Result<ShieldValue, E> {
                Ok(match on {
                    true => ShieldValue::from_raw(RawShield {
                        rtt: None,
                        capacity: None,
                    }),
                    false => ShieldValue(None),
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ShieldValue, A::Error> {
                RawShield::deserialize(MapAccessDeserializer::new(map)).map(ShieldValue::from_raw)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[cdn]` with its defaults, `profiles` filling in the keys the file leaves out; without the
/// table there is no CDN at all.
pub(super) fn resolve_cdn(
    source: &Source,
    raw: Option<RawCdn>,
    profiles: &mut Profiles,
) -> Result<Option<Cdn>, InputError> {
    let Some(c) = raw else {
        return Ok(None);
    };
    if let Some(pops) = &c.pops
        && pops.get_ref().0 > u32::from(u16::MAX)
    {
        return Err(source.at(
            "cdn.pops",
            pops,
            format!(
                "{} is not allowed: at most {} PoPs",
                pops.get_ref().0,
                u16::MAX
            ),
        ));
    }
    let min_ttl = profiles
        .fill("cdn.min_ttl", c.min_ttl.map(|t| t.0), |p| p.min_ttl)
        .unwrap_or(SimTime::ZERO);
    let max_ttl = profiles.fill(
        "cdn.max_ttl",
        c.max_ttl.as_ref().map(|t| t.get_ref().0),
        |p| p.max_ttl,
    );
    if let (Some(max), Some(written)) = (max_ttl, &c.max_ttl)
        && max < min_ttl
    {
        return Err(source.at(
            "cdn.max_ttl",
            written,
            format!("{max} is not allowed: at least `min_ttl` ({min_ttl})"),
        ));
    }
    let follows_origin = profiles
        .fill("cdn.follows_origin", c.follows_origin, |p| p.follows_origin)
        .unwrap_or(false);
    let propagation = match (&c.propagation, follows_origin) {
        (Some(d), false) => {
            return Err(source.at(
                "cdn.propagation",
                d,
                "is how long a regeneration takes to reach the CDN by itself: set `follows_origin = true`, or remove `propagation`",
            ));
        }
        (written, true) => profiles.fill(
            "cdn.propagation",
            written.as_ref().map(|d| d.get_ref().0.clone()),
            |p| p.propagation.clone(),
        ),
        (None, false) => None,
    };
    Ok(Some(Cdn {
        product: profiles.product(),
        clock: profiles
            .fill("cdn.clock", c.clock.map(|t| t.0), |p| p.clock)
            .unwrap_or(SimTime::ZERO),
        honor_swr: profiles
            .fill("cdn.honor_swr", c.honor_swr, |p| p.honor_swr)
            .unwrap_or(true),
        min_ttl,
        max_ttl,
        follows_origin,
        propagation: propagation.unwrap_or(Distribution::Constant(SimTime::ZERO)),
        pops: c.pops.as_ref().map_or(1, |n| n.get_ref().0),
        capacity: c.capacity.map(|n| n.0),
        ttl: c.ttl.map(|t| t.0),
        stale_while_revalidate: c.stale_while_revalidate.map(|t| t.0),
        collapse: profiles
            .fill("cdn.collapse", c.collapse, |p| p.collapse)
            .unwrap_or(true),
        warm: c.warm.unwrap_or(false),
        rtt: c.rtt.map_or(SimTime::ZERO, |t| t.0),
        origin_rtt: c.origin_rtt.map_or(SimTime::ZERO, |t| t.0),
        purge_delay: c
            .purge_delay
            .map_or(Distribution::Constant(SimTime::ZERO), |d| d.0),
        purge_failure: c.purge_failure.map_or(0.0, |p| p.0),
        shield: c.shield.and_then(|s| s.0),
        purge_by: c.purge_by.map_or(PurgeBy::Path, |w| w.0),
    }))
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text};
    use crate::scenario::{Capacity, Shield};
    use crate::time::SimTime;

    fn with(shield: &str) -> String {
        format!("{MINIMAL}\n[cdn]\npops = 8\n{shield}\n")
    }

    fn shield(text: &str) -> Option<Shield> {
        parse_text(text).unwrap().cdn.unwrap().shield
    }

    #[test]
    fn a_shield_is_true_false_or_a_table_of_its_keys() {
        let defaults = Shield {
            rtt: SimTime::ZERO,
            capacity: None,
        };
        assert_eq!(shield(&with("")), None, "absent: no shield");
        assert_eq!(shield(&with("shield = false")), None);
        assert_eq!(shield(&with("shield = true")), Some(defaults));
        assert_eq!(shield(&with("shield = {}")), Some(defaults));
        assert_eq!(
            shield(&with("shield = { rtt = \"20ms\", capacity = 500 }")),
            Some(Shield {
                rtt: SimTime::from_millis(20),
                capacity: Some(Capacity::Pages(500)),
            })
        );
        assert_eq!(
            shield(&with("[cdn.shield]\ncapacity = \"2MB\"")),
            Some(Shield {
                rtt: SimTime::ZERO,
                capacity: Some(Capacity::Bytes(2_000_000)),
            })
        );
    }

    #[test]
    fn a_bad_shield_is_named_with_its_key_line_and_what_is_allowed() {
        let text = with("shield = \"yes\"");
        let err = error(&text, "cdn.shield", line_of(&text, "shield ="));
        assert!(err.message.contains("`true`, `false`, or a table"), "{err}");
        let text = with("shield = { rtt = \"20ms\", ttl = \"1m\" }");
        let err = error(&text, "cdn.shield.ttl", line_of(&text, "shield ="));
        assert!(
            err.message.contains("`rtt`") && err.message.contains("`capacity`"),
            "{err}"
        );
        let text = with("shield = { rtt = \"fast\" }");
        error(&text, "cdn.shield.rtt", line_of(&text, "shield ="));
        for (bad, allowed) in [
            ("0", "a whole number of pages"),
            ("\"4 bananas\"", "a size such as"),
            ("1.5", "a whole number of pages"),
        ] {
            let text = with(&format!("shield = {{ capacity = {bad} }}"));
            let err = error(&text, "cdn.shield.capacity", line_of(&text, "shield ="));
            assert!(err.message.contains(allowed), "{err}");
        }
    }
}

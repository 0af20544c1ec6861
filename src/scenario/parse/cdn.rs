//! `[cdn]`: the points of presence in front of the origin, their cache lifetimes, and how purges
//! reach them.

use serde::Deserialize;
use toml::Spanned;

use super::distribution::Dist;
use super::source::Source;
use super::values::{CapacityValue, Count, Delay, Interval, Probability};
use crate::error::InputError;
use crate::scenario::{Cdn, Distribution};
use crate::time::SimTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCdn {
    pops: Option<Spanned<Count>>,
    capacity: Option<CapacityValue>,
    ttl: Option<Interval>,
    stale_while_revalidate: Option<Delay>,
    collapse: Option<bool>,
    warm: Option<bool>,
    rtt: Option<Delay>,
    origin_rtt: Option<Delay>,
    purge_delay: Option<Dist>,
    purge_failure: Option<Probability>,
}

/// `[cdn]` with its defaults; without the table there is no CDN at all.
pub(super) fn resolve_cdn(source: &Source, raw: Option<RawCdn>) -> Result<Option<Cdn>, InputError> {
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
    Ok(Some(Cdn {
        pops: c.pops.as_ref().map_or(1, |n| n.get_ref().0),
        capacity: c.capacity.map(|n| n.0),
        ttl: c.ttl.map(|t| t.0),
        stale_while_revalidate: c.stale_while_revalidate.map(|t| t.0),
        collapse: c.collapse.unwrap_or(true),
        warm: c.warm.unwrap_or(false),
        rtt: c.rtt.map_or(SimTime::ZERO, |t| t.0),
        origin_rtt: c.origin_rtt.map_or(SimTime::ZERO, |t| t.0),
        purge_delay: c
            .purge_delay
            .map_or(Distribution::Constant(SimTime::ZERO), |d| d.0),
        purge_failure: c.purge_failure.map_or(0.0, |p| p.0),
    }))
}

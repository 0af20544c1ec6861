//! `[origin]`: the Next.js instances, their ISR cache (one each, or shared), and how requests are
//! balanced over them.

use serde::Deserialize;

use super::values::{Count, Delay, Interval, Keyword, Word};
use crate::scenario::{Balancer, CacheMode, Origin};
use crate::time::SimTime;

impl Keyword for CacheMode {
    const WORDS: &'static [(&'static str, Self)] =
        &[("local", CacheMode::Local), ("shared", CacheMode::Shared)];
}

impl Keyword for Balancer {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("round-robin", Balancer::RoundRobin),
        ("random", Balancer::Random),
        ("hash", Balancer::Hash),
    ];
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrigin {
    instances: Option<Count>,
    cache: Option<Word<CacheMode>>,
    lock: Option<bool>,
    balancer: Option<Word<Balancer>>,
    expire: Option<Interval>,
    rtt: Option<Delay>,
    build_age: Option<Delay>,
}

/// Next.js `expireTime` default: one year.
const NEXT_EXPIRE_TIME: SimTime = SimTime::from_secs(365 * 86_400);

/// A table left out takes the same defaults as one with every key left out.
pub(super) fn resolve_origin(raw: Option<RawOrigin>) -> Origin {
    let o = raw.unwrap_or_default();
    Origin {
        instances: o.instances.map_or(1, |n| n.0),
        cache: o.cache.map_or(CacheMode::Local, |w| w.0),
        lock: o.lock.unwrap_or(false),
        balancer: o.balancer.map_or(Balancer::RoundRobin, |w| w.0),
        expire: o.expire.map_or(NEXT_EXPIRE_TIME, |t| t.0),
        rtt: o.rtt.map_or(SimTime::ZERO, |t| t.0),
        build_age: o.build_age.map_or(SimTime::ZERO, |t| t.0),
    }
}

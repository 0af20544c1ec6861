//! The platform's part of `isrsim validate`'s account (docs/platforms.md): the `[origin]` and
//! `[cdn]` keys a platform or CDN product can fill in, when they differ from the defaults, and
//! the `[platform]` block: every value a profile filled in, with the profile that set it and its
//! source.

use std::fmt::Write as _;

use super::{distribution, duration, quoted, wrapped};
use crate::scenario::parse::Keyword;
use crate::scenario::platform::{CdnProduct, HeaderRule, PlatformName, RevalidationQueue};
use crate::scenario::{Cdn, Origin, Scenario};
use crate::time::SimTime;

/// The `[cdn]` keys of a CDN product (docs/platforms.md) that differ from the defaults: none for
/// a scenario written before them, whose account reads as it did.
pub(super) fn cdn_parts(items: &mut Vec<String>, c: &Cdn) {
    if c.product != CdnProduct::Generic {
        items.push(format!("product = {}", quoted(&c.product.to_string())));
    }
    if c.clock > SimTime::ZERO {
        items.push(format!("clock = {}", duration(c.clock)));
    }
    if !c.honor_swr {
        items.push("honor_swr = false: a copy past its TTL is a MISS".to_string());
    }
    if c.min_ttl > SimTime::ZERO {
        items.push(format!("min_ttl = {}", duration(c.min_ttl)));
    }
    if let Some(max) = c.max_ttl {
        items.push(format!("max_ttl = {}", duration(max)));
    }
    if c.follows_origin {
        items.push(format!(
            "follows_origin = true: a regeneration replaces the copies after propagation = {}",
            distribution(&c.propagation)
        ));
    }
}

/// The `[origin]` keys of a platform (docs/platforms.md) that differ from the defaults.
pub(super) fn origin_parts(items: &mut Vec<String>, og: &Origin) {
    if og.headers != HeaderRule::Next {
        items.push(format!("headers = {}", quoted(&og.headers.to_string())));
    }
    if let Some(lag) = &og.store_lag {
        items.push(format!("store_lag = {}", distribution(lag)));
    }
    if let Some(lag) = &og.tag_lag {
        items.push(format!("tag_lag = {}", distribution(lag)));
    }
    if let Some(q) = &og.queue {
        items.push(format!("queue: {}", queue(q)));
    }
}

/// `[origin.queue]`'s keys, in the file's words.
fn queue(q: &RevalidationQueue) -> String {
    let timeout = q.timeout.map_or("no timeout".to_string(), |t| {
        format!("timeout = {}", duration(t))
    });
    format!(
        "groups = {}, concurrency = {}, dedupe_window = {}, {timeout}, retries = {}, backoff = {}",
        q.groups,
        q.concurrency,
        duration(q.dedupe_window),
        q.retries,
        duration(q.backoff)
    )
}

/// `[platform]`: the platform and the CDN product, then every value their profiles filled in, a
/// line each, with the profile that set it and its source (docs/platforms.md); `point` names the
/// sweep point it is of. Nothing (and `false`) for `next start` behind a generic CDN, which fill
/// in nothing.
pub(super) fn platform(o: &mut String, s: &Scenario, point: Option<&str>) -> bool {
    let p = &s.platform;
    if p.name == PlatformName::NextStart && p.product == CdnProduct::Generic {
        return false;
    }
    let mut heading = format!("[platform] name = {}", quoted(&p.name.to_string()));
    if s.cdn.is_some() {
        heading += &format!(", cdn product {}", quoted(&p.product.to_string()));
    }
    if let Some(point) = point {
        heading += &format!(" (sweep point {point})");
    }
    *o += &wrapped(0, 2, &[heading], " ");
    if p.settings.is_empty() {
        let _ = writeln!(o, "  no profile fills in a key the file left out");
    }
    for setting in &p.settings {
        let value = shown(s, &setting.key).unwrap_or_else(|| {
            setting
                .value
                .replace("{ ", "(")
                .replace(" }", ")")
                .replace(['{', '}'], "")
        });
        let line = format!(
            "{} = {value}, by {}: {}",
            setting.key, setting.by, setting.source
        );
        *o += &wrapped(2, 6, &[line], " ");
    }
    true
}

/// The scenario's value of the dotted `key` a profile can fill in, in this account's words.
fn shown(s: &Scenario, key: &str) -> Option<String> {
    let og = &s.origin;
    let c = s.cdn.as_ref();
    Some(match key {
        "cdn.product" => quoted(&c?.product.to_string()),
        "cdn.collapse" => c?.collapse.to_string(),
        "cdn.clock" => duration(c?.clock),
        "cdn.honor_swr" => c?.honor_swr.to_string(),
        "cdn.min_ttl" => duration(c?.min_ttl),
        "cdn.max_ttl" => duration(c?.max_ttl?),
        "cdn.follows_origin" => c?.follows_origin.to_string(),
        "cdn.propagation" => distribution(&c?.propagation),
        "origin.cache" => quoted(og.cache.word()),
        "origin.headers" => quoted(&og.headers.to_string()),
        "origin.store_lag" => distribution(og.store_lag.as_ref()?),
        "origin.tag_lag" => distribution(og.tag_lag.as_ref()?),
        "origin.queue" => format!("({})", queue(og.queue.as_ref()?)),
        _ => return None,
    })
}

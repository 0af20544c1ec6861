//! `[[policies]]`: the ISR strategies compared in one run, each with the keys it sets for every
//! route, its `routes.NAME = { ... }` overrides, and its own SLO bounds.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::distribution::Dist;
use super::limits::check_events;
use super::slo::{Slo, policy_slo};
use super::source::{Source, one_of};
use super::tags::{TagExpireValue, TagKeys, TagList, check_policy_tags, span_of};
use super::values::{
    Interval, IntervalOrNone, IntervalSecs, Keyword, Probability, Retries, Revalidate, Word,
};
use super::{check_table_name, tables};
use crate::error::InputError;
use crate::scenario::{Bound, OnEdit, Policy, PurgeKind, Route, RoutePolicy};
use crate::time::SimTime;

impl Keyword for OnEdit {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("none", OnEdit::None),
        ("regenerate", OnEdit::Regenerate),
        ("invalidate", OnEdit::Invalidate),
        ("mark-stale", OnEdit::MarkStale),
        ("revalidate-tag", OnEdit::RevalidateTag),
    ];
}

impl Keyword for PurgeKind {
    const WORDS: &'static [(&'static str, Self)] =
        &[("hard", PurgeKind::Hard), ("soft", PurgeKind::Soft)];
}

/// Declares the policy keys once for both tables that take them, `[[policies]]` and a
/// `routes.NAME = { ... }` override, so that an override can set exactly what a policy can.
/// (`#[serde(flatten)]` would share them too, but serde does not support it together with
/// `deny_unknown_fields`.) A policy's `slo` is judged on the whole run, not per route, so only
/// `[[policies]]` takes it.
macro_rules! policy_tables {
    ($($key:ident: $value:ty,)*) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct RawPolicy {
            name: Spanned<String>,
            $($key: Option<$value>,)*
            routes: Option<Overrides>,
            slo: Option<Slo>,
        }

        /// The policy keys a `routes.NAME = { ... }` override may set.
        #[derive(Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PolicyFields {
            $($key: Option<$value>,)*
        }

        impl RawPolicy {
            /// The name, the keys set for every route, the overrides, and the policy's own
            /// bounds.
            fn into_parts(
                self,
            ) -> (Spanned<String>, PolicyFields, Option<Overrides>, Option<Slo>) {
                let RawPolicy { name, $($key,)* routes, slo } = self;
                (name, PolicyFields { $($key,)* }, routes, slo)
            }
        }
    };
}

policy_tables! {
    revalidate: Revalidate,
    on_edit: Word<OnEdit>,
    webhook_delay: Dist,
    webhook_failure: Probability,
    webhook_retries: Retries,
    webhook_backoff: Interval,
    broadcast: bool,
    purge_cdn: bool,
    purge: Word<PurgeKind>,
    schedule: Spanned<IntervalOrNone>,
    expire: Spanned<IntervalSecs>,
    tags: Spanned<TagList>,
    tag_expire: Spanned<TagExpireValue>,
}

impl PolicyFields {
    /// Sets the keys given here, and leaves the others as they are.
    fn apply(&self, to: &mut RoutePolicy) {
        if let Some(Revalidate(v)) = self.revalidate {
            to.revalidate = v;
        }
        if let Some(Word(v)) = self.on_edit {
            to.on_edit = v;
        }
        if let Some(Dist(v)) = &self.webhook_delay {
            to.webhook_delay = v.clone();
        }
        if let Some(Probability(v)) = self.webhook_failure {
            to.webhook_failure = v;
        }
        if let Some(Retries(v)) = self.webhook_retries {
            to.webhook_retries = v;
        }
        if let Some(Interval(v)) = self.webhook_backoff {
            to.webhook_backoff = v;
        }
        if let Some(v) = self.broadcast {
            to.broadcast = v;
        }
        if let Some(v) = self.purge_cdn {
            to.purge_cdn = v;
        }
        if let Some(Word(v)) = self.purge {
            to.purge = v;
        }
        if let Some(v) = &self.schedule {
            to.schedule = v.get_ref().0;
        }
        if let Some(v) = &self.expire {
            to.expire = Some(v.get_ref().0);
        }
        if let Some(v) = &self.tags {
            to.tags = v.get_ref().0.clone();
        }
        if let Some(v) = &self.tag_expire {
            to.tag_expire = v.get_ref().0;
        }
    }
}

/// `routes.NAME = { ... }` in file order, so the first bad name is the one reported.
struct Overrides(Vec<(String, Spanned<PolicyFields>)>);

impl<'de> Deserialize<'de> for Overrides {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Overrides;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of route names, each with a table of policy keys")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Overrides, A::Error> {
                let mut entries = Vec::new();
                while let Some(route) = map.next_key::<String>()? {
                    entries.push((route, map.next_value()?));
                }
                Ok(Overrides(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// The policies of a run of `duration` over `routes`.
pub(super) fn resolve_policies(
    source: &Source,
    raw: Spanned<Vec<RawPolicy>>,
    routes: &[Route],
    slo: &[Bound],
    duration: SimTime,
) -> Result<Vec<Policy>, InputError> {
    let raw = tables(source, "policies", raw)?;
    let mut policies: Vec<Policy> = Vec::with_capacity(raw.len());
    for (i, p) in raw.into_iter().enumerate() {
        let (name, fields, overridden, own_slo) = p.into_parts();
        let earlier = policies.iter().map(|q| q.name.as_str());
        check_table_name(source, "policies", "policy", i, &name, earlier)?;
        let mut base = RoutePolicy::default();
        fields.apply(&mut base);
        let mut per_route = vec![base; routes.len()];
        // Where each route's schedule is set, to name it if the schedule is too frequent.
        let mut schedules = vec![
            (
                format!("policies[{i}].schedule"),
                fields.schedule.as_ref().map(Spanned::span)
            );
            routes.len()
        ];
        let mut overridden_expires: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        let mut tag_keys = TagKeys {
            policy: format!("policies[{i}]"),
            name_span: name.span(),
            tags: vec![(format!("policies[{i}].tags"), span_of(&fields.tags)); routes.len()],
        };
        let mut expire_span = span_of(&fields.tag_expire);
        for (route, overrides) in overridden.map(|o| o.0).unwrap_or_default() {
            let Some(r) = routes.iter().position(|x| x.name == route) else {
                let names: Vec<&str> = routes.iter().map(|x| x.name.as_str()).collect();
                return Err(source.at(
                    format!("policies[{i}].routes.{route}"),
                    &overrides,
                    format!(
                        "there is no route `{route}` to override: expected one of {}",
                        one_of(&names)
                    ),
                ));
            };
            overrides.get_ref().apply(&mut per_route[r]);
            if let Some(schedule) = &overrides.get_ref().schedule {
                let key = format!("policies[{i}].routes.{route}.schedule");
                schedules[r] = (key, Some(schedule.span()));
            }
            if let Some(expire) = &overrides.get_ref().expire {
                overridden_expires.push((route.clone(), expire.span()));
            }
            if let Some(tags) = &overrides.get_ref().tags {
                tag_keys.tags[r] = (
                    format!("policies[{i}].routes.{route}.tags"),
                    Some(tags.span()),
                );
            }
            if let Some(e) = &overrides.get_ref().tag_expire {
                expire_span = expire_span.or(Some(e.span()));
            }
        }
        check_policy_tags(source, routes, &per_route, &tag_keys, expire_span)?;
        check_schedules(source, routes, &per_route, &schedules, duration)?;
        // Where each route's expire is set, to name it if it does not outlast `revalidate`.
        let mut expires = vec![
            (
                format!("policies[{i}].expire"),
                fields.expire.as_ref().map(Spanned::span)
            );
            routes.len()
        ];
        for (route, overrides) in &overridden_expires {
            if let Some(r) = routes.iter().position(|x| &x.name == route) {
                expires[r] = (
                    format!("policies[{i}].routes.{route}.expire"),
                    Some(overrides.clone()),
                );
            }
        }
        check_expires(source, routes, &per_route, &expires)?;
        policies.push(Policy {
            name: name.into_inner(),
            routes: per_route,
            slo: policy_slo(slo, &own_slo.map_or_else(Vec::new, |s| s.0)),
        });
    }
    Ok(policies)
}

/// A route's own `expire` must outlast its `revalidate`, as Next.js requires of a `cacheLife`
/// profile (`packages/next/src/server/use-cache/cache-life-profile.ts`: "the expire option must be
/// greater than the revalidate option").
fn check_expires(
    source: &Source,
    routes: &[Route],
    per_route: &[RoutePolicy],
    at: &[(String, Option<std::ops::Range<usize>>)],
) -> Result<(), InputError> {
    for (r, p) in per_route.iter().enumerate() {
        if let (Some(expire), Some(revalidate)) = (p.expire, p.revalidate)
            && expire <= revalidate
        {
            let (key, span) = &at[r];
            return Err(source.error(
                key.clone(),
                span.clone(),
                format!(
                    "{expire} for route `{}` does not outlast its `revalidate` ({revalidate}): \
                     a page must go stale before it expires, as Next.js's cacheLife requires",
                    routes[r].name
                ),
            ));
        }
    }
    Ok(())
}

/// A schedule regenerates every page of its route, visited or not: those regenerations are
/// events of a run, bounded as requests are. The route with most is named.
fn check_schedules(
    source: &Source,
    routes: &[Route],
    per_route: &[RoutePolicy],
    at: &[(String, Option<std::ops::Range<usize>>)],
    duration: SimTime,
) -> Result<(), InputError> {
    let regenerations = |r: usize| {
        per_route[r].schedule.map_or(0.0, |every| {
            f64::from(routes[r].pages) * duration.as_secs_f64() / every.as_secs_f64()
        })
    };
    let Some(most) =
        (0..routes.len()).max_by(|&a, &b| regenerations(a).total_cmp(&regenerations(b)))
    else {
        return Ok(());
    };
    let because = format!(
        "most of them from {} pages of `{}` regenerated every {} over `duration` {duration}",
        routes[most].pages,
        routes[most].name,
        per_route[most].schedule.unwrap_or(SimTime::ZERO)
    );
    check_events(
        source,
        &at[most].0,
        at[most].1.clone(),
        (0..routes.len()).map(regenerations).sum(),
        (
            "scheduled regenerations",
            because,
            "lengthen `schedule` or shorten `duration`",
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};
    use crate::time::SimTime;

    #[test]
    fn unknown_on_edit_lists_the_values() {
        let text = replace(MINIMAL, "revalidate = \"60s\"", "on_edit = \"refresh\"");
        let err = error(&text, "policies[0].on_edit", line_of(&text, "refresh"));
        for value in ["`none`", "`regenerate`", "`invalidate`", "`mark-stale`"] {
            assert!(err.message.contains(value), "{err}");
        }
    }

    #[test]
    fn override_for_an_unknown_route_is_an_error() {
        let text = format!("{MINIMAL}routes.lists = {{ revalidate = \"5m\" }}\n");
        let err = error(
            &text,
            "policies[0].routes.lists",
            line_of(&text, "routes.lists"),
        );
        assert!(err.message.contains("`list`"), "{err}");
        let text = format!("{MINIMAL}routes.list = {{ revalidate = \"5s min\" }}\n");
        error(
            &text,
            "policies[0].routes.list.revalidate",
            line_of(&text, "routes.list"),
        );
    }

    #[test]
    fn an_override_can_turn_a_timer_off_for_one_route() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"60s\"\nschedule = \"15m\"\nroutes.list = { revalidate = false, schedule = false }",
        );
        let s = parse_text(&text).unwrap();
        let (posts, list) = (&s.policies[0].routes[0], &s.policies[0].routes[1]);
        assert_eq!(posts.revalidate, Some(SimTime::from_secs(60)));
        assert_eq!(posts.schedule, Some(SimTime::from_secs(900)));
        assert_eq!((list.revalidate, list.schedule), (None, None));
    }

    #[test]
    fn retries_default_to_none_after_one_second_and_override_per_route() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = 60.5\nwebhook_retries = 3\nroutes.list = { webhook_retries = 0, webhook_backoff = \"250ms\" }",
        );
        let s = parse_text(&text).unwrap();
        let (posts, list) = (&s.policies[0].routes[0], &s.policies[0].routes[1]);
        assert_eq!(posts.revalidate, Some(SimTime::from_millis(60_500)));
        assert_eq!(
            (posts.webhook_retries, posts.webhook_backoff),
            (3, SimTime::from_secs(1))
        );
        assert_eq!(
            (list.webhook_retries, list.webhook_backoff),
            (0, SimTime::from_millis(250))
        );
        let plain = parse_text(MINIMAL).unwrap();
        assert_eq!(
            plain.policies[0].routes[0].webhook_retries, 0,
            "none unless asked"
        );
    }

    #[test]
    fn a_routes_expire_must_outlast_its_revalidate() {
        let text = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"60s\"\nexpire = \"1m\"",
        );
        let err = error(&text, "policies[0].expire", line_of(&text, "expire = "));
        assert!(err.message.contains("revalidate"), "{err}");
        let text = format!("{MINIMAL}routes.list = {{ expire = \"30s\" }}\n");
        error(
            &text,
            "policies[0].routes.list.expire",
            line_of(&text, "routes.list"),
        );
        let ok = replace(
            MINIMAL,
            "revalidate = \"60s\"",
            "revalidate = \"60s\"\nexpire = \"2m\"",
        );
        let posts = &parse_text(&ok).unwrap().policies[0].routes[0];
        assert_eq!(posts.expire, Some(SimTime::from_secs(120)));
    }
}

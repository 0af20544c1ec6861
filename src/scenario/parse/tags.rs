//! Cache tags as written: a route's `tags`, a policy's `tags` and `tag_expire`, and the checks
//! that need the routes (a filled tag's length, the catalogue's size, a policy that revalidates
//! tags without naming any). The templates themselves are read by `scenario::tags`.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::source::Source;
use super::values::{DURATION_EXAMPLE, Keyword, seconds};
use crate::error::InputError;
use crate::scenario::tags::{MAX_TAG_LENGTH, MAX_TEMPLATES};
use crate::scenario::{OnEdit, PurgeBy, Route, RoutePolicy, TagExpire, TagTemplate};
use crate::time::parse_duration;

/// The most (page, tag) pairs a site may have: the catalogue holds each once, and its names.
pub(super) const MAX_CARRIED: u64 = 8_000_000;

impl Keyword for PurgeBy {
    const WORDS: &'static [(&'static str, Self)] =
        &[("path", PurgeBy::Path), ("tag", PurgeBy::Tag)];
}

/// A list of tag templates (`tags`), each checked as it is read.
#[derive(Clone, Debug)]
pub(super) struct TagList(pub(super) Vec<TagTemplate>);

impl<'de> Deserialize<'de> for TagList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of tag templates such as [\"product:{page}\", \"category:{page % 300}\", \"catalog\"]",
                )
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TagList, A::Error> {
                let mut tags = Vec::new();
                while let Some(text) = seq.next_element::<String>()? {
                    let template = TagTemplate::parse(&text)
                        .map_err(|e| de::Error::custom(format!("tag `{text}`: {e}")))?;
                    tags.push(template);
                    if tags.len() > MAX_TEMPLATES {
                        return Err(de::Error::custom(format!(
                            "at most {MAX_TEMPLATES} tags: Next.js keeps no more per page"
                        )));
                    }
                }
                Ok(TagList(tags))
            }
        }
        d.deserialize_seq(V)
    }
}

/// `tag_expire`: `"max"`, or how long until entries carrying the tag are expired, a duration
/// or a number of seconds, zero allowed (`updateTag`).
#[derive(Clone, Copy, Debug)]
pub(super) struct TagExpireValue(pub(super) TagExpire);

impl<'de> Deserialize<'de> for TagExpireValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TagExpireValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "\"max\", or {DURATION_EXAMPLE} (\"0s\": expired at once), or a number of seconds"
                )
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TagExpireValue, E> {
                self.visit_f64(v as f64)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TagExpireValue, E> {
                self.visit_f64(v as f64)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TagExpireValue, E> {
                seconds(v).map(|t| TagExpireValue(TagExpire::After(t)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<TagExpireValue, E> {
                if v == "max" {
                    return Ok(TagExpireValue(TagExpire::Max));
                }
                parse_duration(v)
                    .map(|t| TagExpireValue(TagExpire::After(t)))
                    .map_err(|e| E::custom(format!("{e}, or \"max\"")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A route's tags: each filled tag at most `MAX_TAG_LENGTH` characters, and the whole site's
/// (page, tag) pairs within `MAX_CARRIED`.
pub(super) fn check_route_tags(
    source: &Source,
    routes: &[Route],
    spans: &[Option<std::ops::Range<usize>>],
) -> Result<(), InputError> {
    let mut carried = 0u64;
    for (i, route) in routes.iter().enumerate() {
        let key = format!("routes[{i}].tags");
        check_lengths(source, &key, spans[i].clone(), &route.tags, route.pages)?;
        carried += u64::from(route.pages) * route.tags.len() as u64;
        if carried > MAX_CARRIED {
            return Err(source.error(
                key,
                spans[i].clone(),
                format!(
                    "the routes' pages carry more than {MAX_CARRIED} tags in all (pages × tags \
                     per page, summed over routes up to `{}`): fewer templates, or fewer pages",
                    route.name
                ),
            ));
        }
    }
    Ok(())
}

fn check_lengths(
    source: &Source,
    key: &str,
    span: Option<std::ops::Range<usize>>,
    tags: &[TagTemplate],
    pages: u32,
) -> Result<(), InputError> {
    match tags.iter().find(|t| t.longest(pages) > MAX_TAG_LENGTH) {
        Some(long) => Err(source.error(
            key,
            span,
            format!(
                "`{long}` makes tags of {} characters: Next.js ignores tags longer than \
                 {MAX_TAG_LENGTH}",
                long.longest(pages)
            ),
        )),
        None => Ok(()),
    }
}

/// Where a policy's `tags` and `tag_expire` were written, for the checks below: the key and span
/// of each, for the policy and for each route that overrides it.
pub(super) struct TagKeys {
    pub(super) policy: String,
    pub(super) name_span: std::ops::Range<usize>,
    /// Per route: the key and span of the `tags` that apply to it, if written.
    pub(super) tags: Vec<(String, Option<std::ops::Range<usize>>)>,
}

/// A policy's routes that revalidate tags must name some (`tags`), every tag a route's edit
/// fills fits Next.js's length, and `tags` or `tag_expire` written where no route revalidates
/// tags is refused rather than ignored.
pub(super) fn check_policy_tags(
    source: &Source,
    routes: &[Route],
    per_route: &[RoutePolicy],
    keys: &TagKeys,
    expire_span: Option<std::ops::Range<usize>>,
) -> Result<(), InputError> {
    for (r, p) in per_route.iter().enumerate() {
        let (key, span) = &keys.tags[r];
        if p.on_edit == OnEdit::RevalidateTag && p.tags.is_empty() {
            return Err(source.error(
                format!("{}.tags", keys.policy),
                Some(keys.name_span.clone()),
                format!(
                    "route `{}` revalidates tags (on_edit = \"revalidate-tag\") but the policy \
                     names none: give `tags`, such as [\"product:{{page}}\"], filled from the \
                     edited page",
                    routes[r].name
                ),
            ));
        }
        if p.on_edit == OnEdit::RevalidateTag {
            check_lengths(source, key, span.clone(), &p.tags, routes[r].pages)?;
        }
    }
    let revalidates = per_route.iter().any(|p| p.on_edit == OnEdit::RevalidateTag);
    if !revalidates {
        if let Some((key, span)) = keys.tags.iter().find(|(_, span)| span.is_some()) {
            return Err(source.error(
                key.clone(),
                span.clone(),
                "`tags` only acts with on_edit = \"revalidate-tag\", which no route of the \
                 policy has",
            ));
        }
        if let Some(span) = expire_span {
            return Err(source.error(
                format!("{}.tag_expire", keys.policy),
                Some(span),
                "`tag_expire` only acts with on_edit = \"revalidate-tag\", which no route of the \
                 policy has",
            ));
        }
    }
    Ok(())
}

/// Wraps a value read with its span.
pub(super) fn span_of<T>(v: &Option<Spanned<T>>) -> Option<std::ops::Range<usize>> {
    v.as_ref().map(Spanned::span)
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};
    use crate::scenario::{OnEdit, PurgeBy, TagExpire};
    use crate::time::SimTime;

    /// MINIMAL with tags on both routes and a policy revalidating them.
    fn tagged(policy: &str) -> String {
        let text = replace(
            MINIMAL,
            "pages = 100\n",
            "pages = 100\ntags = [\"post:{page}\", \"list:{page % 5}\"]\n",
        );
        let text = replace(
            &text,
            "pages = 5\n",
            "pages = 5\ntags = [\"list:{page}\"]\n",
        );
        replace(&text, "revalidate = \"60s\"\n", policy)
    }

    #[test]
    fn routes_carry_tags_and_policies_revalidate_them() {
        let text = tagged(
            "on_edit = \"revalidate-tag\"\ntags = [\"post:{page}\", \"list:{page % 5}\"]\n\
             tag_expire = \"5m\"\nroutes.list = { tags = [\"list:{page}\"], tag_expire = 0 }\n",
        );
        let s = parse_text(&text).unwrap();
        assert_eq!(s.routes[0].tags.len(), 2);
        let (posts, list) = (&s.policies[0].routes[0], &s.policies[0].routes[1]);
        assert_eq!(posts.on_edit, OnEdit::RevalidateTag);
        assert_eq!(posts.tag_expire, TagExpire::After(SimTime::from_secs(300)));
        assert_eq!(list.tag_expire, TagExpire::After(SimTime::ZERO));
        assert_eq!(list.tags[0].text(), "list:{page}");
        // 100 post tags, and 5 list tags shared by posts and list pages.
        assert_eq!(s.tags.len(), 105);
        let list3 = s.tags.id("list:3").unwrap();
        assert_eq!(s.tags.pages_with(list3).len(), 20 + 1);
        let plain = parse_text(MINIMAL).unwrap();
        assert!(plain.tags.is_empty());
        assert_eq!(plain.policies[0].routes[0].tag_expire, TagExpire::Max);
    }

    #[test]
    fn purge_by_is_path_or_tag() {
        let text = format!("{MINIMAL}\n[cdn]\npurge_by = \"tag\"\n");
        assert_eq!(
            parse_text(&text).unwrap().cdn.unwrap().purge_by,
            PurgeBy::Tag
        );
        let text = format!("{MINIMAL}\n[cdn]\n");
        assert_eq!(
            parse_text(&text).unwrap().cdn.unwrap().purge_by,
            PurgeBy::Path
        );
        let text = format!("{MINIMAL}\n[cdn]\npurge_by = \"url\"\n");
        let err = error(&text, "cdn.purge_by", line_of(&text, "purge_by"));
        assert!(err.message.contains("`tag`"), "{err}");
    }

    #[test]
    fn bad_tags_are_named_with_their_key_and_line() {
        let text = replace(
            MINIMAL,
            "pages = 5\n",
            "pages = 5\ntags = [\"list:{page * 2}\"]\n",
        );
        let err = error(&text, "routes[1].tags", line_of(&text, "tags = "));
        assert!(err.message.contains("{page % N}"), "{err}");
        let long = format!("pages = 5\ntags = [\"{}{{page}}\"]\n", "x".repeat(256));
        let text = replace(MINIMAL, "pages = 5\n", &long);
        let err = error(&text, "routes[1].tags", line_of(&text, "tags = "));
        assert!(err.message.contains("256"), "{err}");
        let text = tagged("on_edit = \"revalidate-tag\"\n");
        let err = error(&text, "policies[0].tags", line_of(&text, "name = \"time\""));
        assert!(err.message.contains("names none"), "{err}");
        let text = tagged("on_edit = \"invalidate\"\ntags = [\"post:{page}\"]\n");
        let err = error(&text, "policies[0].tags", line_of(&text, "on_edit") + 1);
        assert!(err.message.contains("revalidate-tag"), "{err}");
        let text = tagged("on_edit = \"mark-stale\"\ntag_expire = \"max\"\n");
        error(
            &text,
            "policies[0].tag_expire",
            line_of(&text, "tag_expire"),
        );
        let text = tagged(
            "on_edit = \"revalidate-tag\"\ntags = [\"post:{page}\"]\ntag_expire = \"soon\"\n",
        );
        let err = error(
            &text,
            "policies[0].tag_expire",
            line_of(&text, "tag_expire"),
        );
        assert!(err.message.contains("max"), "{err}");
    }
}

//! Cache tags: the templates a route's pages carry (`[[routes]] tags`) and a policy revalidates
//! (`tags` with `on_edit = "revalidate-tag"`), and the site's tag catalogue, which says which
//! pages carry which tag (docs/model.md §8.7).
//!
//! A page's entry in Next.js's ISR cache carries the tags of the data its render read
//! (`fetch(url, { next: { tags } })`, `cacheTag()`), stored with it in the `x-next-cache-tags`
//! header, comma-separated; `revalidateTag(tag, profile)` reaches every entry that carries the
//! tag (Next.js 16.4.6, `packages/next/src/server/lib/incremental-cache/tags-manifest.external.ts`
//! and `file-system-cache.ts`). A tag is a string: two templates that fill to the same text name
//! the same tag, whichever routes they belong to. Next.js keeps at most 128 tags per call and
//! ignores a tag longer than 256 characters (`NEXT_CACHE_TAG_MAX_ITEMS`,
//! `NEXT_CACHE_TAG_MAX_LENGTH` in `packages/next/src/lib/constants.ts`, checked in
//! `server/lib/patch-fetch.ts` `validateTags`); tags starting with `_N_T_` are its implicit ones
//! (a page's path, `NEXT_CACHE_IMPLICIT_TAG_ID`), which a template may not write.
//!
//! The catalogue is built once per scenario and shared read-only by every run: for each page the
//! ids of its tags, and for each tag the pages that carry it (two flat arrays with offsets), so a
//! revalidation walks exactly the pages it reaches. A scenario without tags has an empty one.

use std::collections::HashMap;
use std::fmt;

use crate::ids::PageId;
use crate::scenario::Route;

/// The most tag templates a route or a policy may list: Next.js keeps at most 128 tags.
pub const MAX_TEMPLATES: usize = 128;
/// The longest tag Next.js keeps, in characters.
pub const MAX_TAG_LENGTH: usize = 256;
/// The prefix of Next.js's implicit tags (a page's path), which templates may not use.
pub const IMPLICIT_PREFIX: &str = "_N_T_";

/// One tag template: literal text with at most one hole, `{page}`, `{page % N}` or `{page / N}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagTemplate {
    text: String,
    prefix: String,
    hole: Hole,
    suffix: String,
}

/// What fills a template's hole, from the page's index within its route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hole {
    /// No hole: every page carries the same tag.
    None,
    Page,
    /// `{page % N}`.
    Rem(u32),
    /// `{page / N}`, integer division.
    Quot(u32),
}

impl TagTemplate {
    /// Reads a template; the error says what is allowed.
    pub fn parse(text: &str) -> Result<TagTemplate, String> {
        if text.is_empty() {
            return Err("a tag is not empty".into());
        }
        if text.starts_with(IMPLICIT_PREFIX) {
            return Err(format!(
                "tags starting with `{IMPLICIT_PREFIX}` are Next.js's implicit path tags; every \
                 page carries its own already"
            ));
        }
        let (prefix, hole, suffix) = match text.find('{') {
            None => (text, Hole::None, ""),
            Some(open) => {
                let Some(len) = text[open..].find('}') else {
                    return Err("a `{` without its `}`".into());
                };
                let inside = &text[open + 1..open + len];
                (&text[..open], hole(inside)?, &text[open + len + 1..])
            }
        };
        if let Some(c) = prefix
            .chars()
            .chain(suffix.chars())
            .find(|c| !c.is_ascii_graphic() || *c == ',')
        {
            return Err(format!(
                "{c:?} is not allowed in a tag: printable ASCII without spaces or commas (Next.js \
                 stores an entry's tags comma-separated in a header)"
            ));
        }
        if prefix.contains('}') || suffix.contains(['{', '}']) {
            return Err(
                "at most one hole, `{page}`, `{page % N}` or `{page / N}`, and no other braces"
                    .into(),
            );
        }
        Ok(TagTemplate {
            text: text.to_string(),
            prefix: prefix.to_string(),
            hole,
            suffix: suffix.to_string(),
        })
    }

    /// The template as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the template has a hole (its tag depends on the page).
    pub fn varies(&self) -> bool {
        self.hole != Hole::None
    }

    /// The number in the hole for the page at `index` of its route; `None` without a hole.
    fn value(&self, index: u32) -> Option<u32> {
        match self.hole {
            Hole::None => None,
            Hole::Page => Some(index),
            Hole::Rem(n) => Some(index % n),
            Hole::Quot(n) => Some(index / n),
        }
    }

    /// The tag of the page at `index` of its route.
    pub fn fill(&self, index: u32) -> String {
        match self.value(index) {
            None => self.text.clone(),
            Some(v) => format!("{}{v}{}", self.prefix, self.suffix),
        }
    }

    /// The longest tag the template makes for a route of `pages` pages, in characters.
    pub fn longest(&self, pages: u32) -> usize {
        match self.value(pages.saturating_sub(1)) {
            None => self.text.len(),
            Some(v) => self.prefix.len() + v.to_string().len() + self.suffix.len(),
        }
    }

    /// How many distinct tags it makes over a route of `pages` pages.
    pub fn distinct(&self, pages: u32) -> u32 {
        match self.hole {
            Hole::None => u32::from(pages > 0),
            Hole::Page => pages,
            Hole::Rem(n) => pages.min(n),
            Hole::Quot(n) => pages.div_ceil(n),
        }
    }
}

impl fmt::Display for TagTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `page`, `page % N` or `page / N` (spaces allowed around the operator), N a whole number from
/// 1.
fn hole(inside: &str) -> Result<Hole, String> {
    let allowed = "a hole is `{page}`, `{page % N}` or `{page / N}`, N a whole number from 1";
    let inside = inside.trim();
    if inside == "page" {
        return Ok(Hole::Page);
    }
    let Some(rest) = inside.strip_prefix("page") else {
        return Err(format!("`{{{inside}}}`: {allowed}"));
    };
    let rest = rest.trim_start();
    let (op, number) = match rest.chars().next() {
        Some(op @ ('%' | '/')) => (op, rest[1..].trim()),
        _ => return Err(format!("`{{{inside}}}`: {allowed}")),
    };
    let n = match number.parse::<u32>() {
        Ok(n) if n >= 1 && number.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(format!("`{{{inside}}}`: {allowed}")),
    };
    Ok(if op == '%' {
        Hole::Rem(n)
    } else {
        Hole::Quot(n)
    })
}

/// One tag of the site's catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagId(pub u32);

impl TagId {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Which pages carry which tags, page ids numbered as `PageLayout` numbers them (routes in
/// order, each route's pages in index order).
#[derive(Clone, Debug, Default)]
pub struct Tags {
    names: Vec<String>,
    ids: HashMap<String, TagId>,
    /// Page `p`'s tags are `carried[carried_from[p]..carried_from[p + 1]]`, ascending.
    carried_from: Vec<u32>,
    carried: Vec<TagId>,
    /// Tag `t`'s pages are `pages[pages_from[t]..pages_from[t + 1]]`, ascending.
    pages_from: Vec<u32>,
    pages: Vec<PageId>,
}

impl Tags {
    /// The catalogue of `routes`' `tags`; empty (and free) when no route has any.
    pub fn new(routes: &[Route]) -> Tags {
        if routes.iter().all(|r| r.tags.is_empty()) {
            return Tags::default();
        }
        let mut tags = Tags::default();
        let total: usize = routes.iter().map(|r| r.pages as usize).sum();
        tags.carried_from.reserve(total + 1);
        tags.carried_from.push(0);
        let mut own: Vec<TagId> = Vec::new();
        for route in routes {
            for index in 0..route.pages {
                own.clear();
                for template in &route.tags {
                    let name = template.fill(index);
                    let next = TagId(tags.names.len() as u32);
                    let id = *tags.ids.entry(name).or_insert_with_key(|name| {
                        tags.names.push(name.clone());
                        next
                    });
                    own.push(id);
                }
                own.sort_unstable();
                own.dedup();
                tags.carried.extend_from_slice(&own);
                tags.carried_from.push(tags.carried.len() as u32);
            }
        }
        // The inverse index, by counting: pages are visited in ascending order, so each tag's
        // list comes out ascending.
        let mut counts = vec![0u32; tags.names.len() + 1];
        for t in &tags.carried {
            counts[t.index() + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        tags.pages = vec![PageId(0); tags.carried.len()];
        let mut next = counts.clone();
        for page in 0..total {
            let (from, to) = (
                tags.carried_from[page] as usize,
                tags.carried_from[page + 1] as usize,
            );
            for t in &tags.carried[from..to] {
                let slot = &mut next[t.index()];
                tags.pages[*slot as usize] = PageId(page as u32);
                *slot += 1;
            }
        }
        tags.pages_from = counts;
        tags
    }

    /// Whether no page carries a tag.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many distinct tags the pages carry.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, tag: TagId) -> &str {
        &self.names[tag.index()]
    }

    /// The tag of that name, if a page carries it.
    pub fn id(&self, name: &str) -> Option<TagId> {
        self.ids.get(name).copied()
    }

    /// The tags `page` carries, ascending; none in a catalogue without tags.
    #[inline]
    pub fn carried_by(&self, page: PageId) -> &[TagId] {
        match (
            self.carried_from.get(page.index()),
            self.carried_from.get(page.index() + 1),
        ) {
            (Some(&from), Some(&to)) => &self.carried[from as usize..to as usize],
            _ => &[],
        }
    }

    /// The pages that carry `tag`, ascending.
    #[inline]
    pub fn pages_with(&self, tag: TagId) -> &[PageId] {
        let (from, to) = (
            self.pages_from[tag.index()],
            self.pages_from[tag.index() + 1],
        );
        &self.pages[from as usize..to as usize]
    }

    /// The distinct tags `templates` name for an edit of the page at `index` of its route, in
    /// template order: each with its id if some page carries it (a tag no page carries reaches
    /// nothing, but it is still revalidated, and purged).
    pub fn revalidated(
        &self,
        templates: &[TagTemplate],
        index: u32,
    ) -> Vec<(String, Option<TagId>)> {
        let mut out: Vec<(String, Option<TagId>)> = Vec::with_capacity(templates.len());
        for template in templates {
            let name = template.fill(index);
            if out.iter().all(|(n, _)| *n != name) {
                let id = self.id(&name);
                out.push((name, id));
            }
        }
        out
    }

    /// Into `out` (cleared first): the ids of the tags `templates` name for an edit of the page
    /// at `index` of its route that some page carries, each once, in template order. Returns how
    /// many distinct tags they name, those no page carries included (each is still revalidated,
    /// and purged by tag).
    pub fn revalidated_ids(
        &self,
        templates: &[TagTemplate],
        index: u32,
        out: &mut Vec<TagId>,
    ) -> usize {
        out.clear();
        let mut name = String::new();
        // Names no page carries: rare (a misspelt template), so kept apart.
        let mut missing: Vec<String> = Vec::new();
        for template in templates {
            name.clear();
            match template.value(index) {
                None => name.push_str(&template.text),
                Some(v) => {
                    use std::fmt::Write;
                    let _ = write!(name, "{}{v}{}", template.prefix, template.suffix);
                }
            }
            match self.id(&name) {
                Some(id) if !out.contains(&id) => out.push(id),
                Some(_) => {}
                None if !missing.contains(&name) => missing.push(name.clone()),
                None => {}
            }
        }
        out.len() + missing.len()
    }

    /// How many (page, tag) pairs the catalogue holds.
    pub fn carried_total(&self) -> usize {
        self.carried.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Distribution;
    use crate::time::SimTime;

    fn t(text: &str) -> TagTemplate {
        TagTemplate::parse(text).unwrap()
    }

    fn route(name: &str, pages: u32, tags: &[&str]) -> Route {
        Route {
            name: name.into(),
            pages,
            share: 1.0,
            popularity: 0.0,
            edit_every: None,
            edit_log: None,
            edit_profile: None,
            rule: None,
            page_size: 1,
            regen_time: Distribution::Constant(SimTime::ZERO),
            prerendered: true,
            depends_on: None,
            path: "/{route}/{page}".into(),
            tags: tags.iter().map(|s| t(s)).collect(),
        }
    }

    #[test]
    fn templates_fill_their_one_hole() {
        assert_eq!(t("product:{page}").fill(42), "product:42");
        assert_eq!(t("category:{page % 300}").fill(642), "category:42");
        assert_eq!(t("shard:{ page/100 }:x").fill(642), "shard:6:x");
        assert_eq!(t("catalog").fill(7), "catalog");
        assert_eq!(t("category:{page % 300}").distinct(1000), 300);
        assert_eq!(t("category:{page % 300}").distinct(10), 10);
        assert_eq!(t("shard:{page / 100}").distinct(1001), 11);
        assert_eq!(t("catalog").distinct(5), 1);
        assert_eq!(t("p:{page}").longest(1000), "p:999".len());
    }

    #[test]
    fn bad_templates_say_what_is_allowed() {
        for bad in [
            "",
            "a b",
            "a,b",
            "x:{page",
            "x:{pages}",
            "x:{page % 0}",
            "x:{page * 2}",
            "x:{page % -3}",
            "x:{page}{page}",
            "x:}",
            "_N_T_/posts/1",
        ] {
            assert!(TagTemplate::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_catalogue_indexes_tags_both_ways_and_shares_equal_names() {
        // Products 0..6 carry their own tag, their category (page % 3) and `all`; categories
        // 0..3 carry `category:{page}`, the same tags as their products' category tags.
        let routes = [
            route(
                "products",
                6,
                &["product:{page}", "category:{page % 3}", "all"],
            ),
            route("categories", 3, &["category:{page}"]),
            route("about", 1, &[]),
        ];
        let tags = Tags::new(&routes);
        assert_eq!(tags.len(), 6 + 3 + 1);
        let category1 = tags.id("category:1").unwrap();
        let pages: Vec<u32> = tags.pages_with(category1).iter().map(|p| p.0).collect();
        assert_eq!(
            pages,
            [1, 4, 7],
            "products 1 and 4, and category page 1 (page 7)"
        );
        let all = tags.id("all").unwrap();
        assert_eq!(tags.pages_with(all).len(), 6);
        assert_eq!(tags.carried_by(PageId(4)).len(), 3);
        assert!(tags.carried_by(PageId(4)).contains(&category1));
        assert!(tags.carried_by(PageId(9)).is_empty(), "about carries none");
        for page in 0..10 {
            for &tag in tags.carried_by(PageId(page)) {
                assert!(tags.pages_with(tag).contains(&PageId(page)));
            }
        }
        // An edit of product 4 under ["product:{page}", "category:{page % 3}", "nobody"].
        let policy = [t("product:{page}"), t("category:{page % 3}"), t("nobody")];
        let names: Vec<(String, Option<TagId>)> = tags.revalidated(&policy, 4);
        assert_eq!(names[1], ("category:1".to_string(), Some(category1)));
        assert_eq!(names[2], ("nobody".to_string(), None));
        let mut ids = Vec::new();
        let named = tags.revalidated_ids(&policy, 4, &mut ids);
        assert_eq!(ids, [tags.id("product:4").unwrap(), category1]);
        assert_eq!(named, 3, "`nobody` is named, though no page carries it");
    }

    #[test]
    fn no_tags_no_catalogue() {
        let tags = Tags::new(&[route("posts", 1000, &[])]);
        assert!(tags.is_empty());
        assert!(tags.carried_by(PageId(3)).is_empty());
    }
}

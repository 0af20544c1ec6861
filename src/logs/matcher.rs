//! Which route and page a request path is: each route's `match` regular expression, tried in the
//! routes' order, the first match winning (as a router's first matching rule does); its capture
//! group is the page's key. Keys become page ids in order of first appearance.
//!
//! Paths repeat (a site has far fewer pages than a log has lines), so each path's answer is kept
//! up to `CACHE` distinct paths: a line then costs one hash lookup, not a regular expression.

use std::collections::HashMap;

use regex::bytes::{CaptureLocations, Regex};

/// How many distinct paths keep their answer. Past it (query strings that never repeat), each
/// new path is matched again.
const CACHE: usize = 1 << 18;

/// What a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Page `page` (in order of first appearance) of route `route`.
    Page { route: u32, page: u32 },
    /// No route's `match` takes it (an asset, an API call).
    Unmatched,
    /// Route `route` matched, but it already has its `pages` bound of distinct pages.
    BeyondBound { route: u32 },
}

/// The page keys of one route, with their ids.
#[derive(Clone, Debug, Default)]
pub struct PageKeys {
    ids: HashMap<Box<[u8]>, u32>,
    bound: Option<u32>,
}

impl PageKeys {
    pub fn new(bound: Option<u32>) -> PageKeys {
        PageKeys {
            ids: HashMap::new(),
            bound,
        }
    }

    /// The id of `key`, given a new one if the bound allows.
    pub fn id(&mut self, key: &[u8]) -> Option<u32> {
        if let Some(&id) = self.ids.get(key) {
            return Some(id);
        }
        let next = self.ids.len() as u32;
        if self.bound.is_some_and(|b| next >= b) || next == u32::MAX {
            return None;
        }
        self.ids.insert(key.into(), next);
        Some(next)
    }

    pub fn len(&self) -> u32 {
        self.ids.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The keys in id order.
    #[cfg(test)]
    fn keys(&self) -> Vec<&[u8]> {
        let mut keys = vec![&b""[..]; self.ids.len()];
        for (key, &id) in &self.ids {
            keys[id as usize] = key;
        }
        keys
    }
}

/// The routes' rules and the pages found so far.
pub struct Matcher {
    /// (route, its `match`), in the routes' order; routes without one take no request.
    rules: Vec<(u32, Regex)>,
    locations: Vec<CaptureLocations>,
    pub pages: Vec<PageKeys>,
    seen: HashMap<Box<[u8]>, Outcome>,
}

impl Matcher {
    /// `routes` holds, for each route, its `match` (if any) and its `pages` bound (if any).
    pub fn new(routes: Vec<(Option<Regex>, Option<u32>)>) -> Matcher {
        let mut rules = Vec::new();
        let mut pages = Vec::new();
        for (i, (rule, bound)) in routes.into_iter().enumerate() {
            if let Some(rule) = rule {
                rules.push((i as u32, rule));
            }
            pages.push(PageKeys::new(bound));
        }
        let locations = rules.iter().map(|(_, r)| r.capture_locations()).collect();
        Matcher {
            rules,
            locations,
            pages,
            seen: HashMap::new(),
        }
    }

    /// The route and page of `path`.
    pub fn classify(&mut self, path: &[u8]) -> Outcome {
        if let Some(&known) = self.seen.get(path) {
            return known;
        }
        let outcome = self.find(path);
        // A bound reached later does not change an answer already given: the page has its id.
        if self.seen.len() < CACHE {
            self.seen.insert(path.into(), outcome);
        }
        outcome
    }

    fn find(&mut self, path: &[u8]) -> Outcome {
        for ((route, rule), locations) in self.rules.iter().zip(&mut self.locations) {
            if rule.captures_read(locations, path).is_none() {
                continue;
            }
            // Group 1 is the page's key; a rule without a group is a route of one page.
            let key = locations.get(1).map_or(&b""[..], |(s, e)| &path[s..e]);
            return match self.pages[*route as usize].id(key) {
                Some(page) => Outcome::Page {
                    route: *route,
                    page,
                },
                None => Outcome::BeyondBound { route: *route },
            };
        }
        Outcome::Unmatched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(bound: Option<u32>) -> Matcher {
        Matcher::new(vec![
            (Some(Regex::new(r"^/blog/([^/?#]+)").unwrap()), bound),
            (Some(Regex::new(r"^/blog/?(?:\?.*)?$").unwrap()), None),
            (None, Some(3)),
        ])
    }

    #[test]
    fn the_first_matching_route_wins_and_keys_number_in_order() {
        let mut m = matcher(None);
        let page = |route, page| Outcome::Page { route, page };
        assert_eq!(m.classify(b"/blog/b?utm=x"), page(0, 0));
        assert_eq!(m.classify(b"/blog/a"), page(0, 1));
        assert_eq!(m.classify(b"/blog/b"), page(0, 0));
        assert_eq!(m.classify(b"/blog"), page(1, 0));
        assert_eq!(m.classify(b"/blog/?x"), page(1, 0));
        assert_eq!(m.classify(b"/_next/static/a.js"), Outcome::Unmatched);
        assert_eq!(m.pages[0].keys(), vec![&b"b"[..], b"a"]);
        assert!(m.pages[2].is_empty());
    }

    #[test]
    fn pages_past_the_bound_are_not_simulated() {
        let mut m = matcher(Some(2));
        m.classify(b"/blog/a");
        m.classify(b"/blog/b");
        assert_eq!(m.classify(b"/blog/c"), Outcome::BeyondBound { route: 0 });
        assert_eq!(m.classify(b"/blog/a"), Outcome::Page { route: 0, page: 0 });
        assert_eq!(m.pages[0].len(), 2);
    }
}

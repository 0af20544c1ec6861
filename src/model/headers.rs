//! What the CDN keeps of an origin answer: the header rule at the origin (`[origin] headers`),
//! then the CDN's own rules (`[cdn] ttl`, `stale_while_revalidate`, `min_ttl`, `max_ttl`,
//! `honor_swr`, `clock`), giving each stored copy the instant it stops being fresh and the
//! instant it stops being servable stale (docs/model.md §5.8).
//!
//! The header rules, for an answer at `now` of a page whose route has `revalidate` R and expire
//! E, from an entry last modified at `lm` (the origin's entry is fresh until `lm + R`):
//! - `next`: Next.js 15/16 on every answer, `s-maxage=R, stale-while-revalidate=E−R`
//!   (`s-maxage=31536000` without a timer): `getCacheControlHeader`,
//!   `packages/next/src/server/lib/cache-control.ts`.
//! - `opennext-aws`: `fixISRHeaders` in `packages/open-next/src/core/routing/util.ts` of
//!   opennextjs/opennextjs-aws (read at `@opennextjs/aws` 4.0.3, commit d35f7cc1 of 2026-05-27,
//!   the newest release stored; the function is unchanged since 3.x). A HIT whose `s-maxage` is
//!   not 31536000 gets `s-maxage=max(R − round(age), 1)` with `age = (Date.now() − lm)/1000`
//!   rounded to the nearest second by `Math.round` (halves up), and
//!   `stale-while-revalidate=2592000`; a STALE gets `s-maxage=2, stale-while-revalidate=2592000`
//!   whatever its timer; a MISS keeps Next.js's header; a REVALIDATED (the revalidation
//!   request's own answer, which no user fetch gets) `no-store`.
//! - `netlify`: `setCacheControlHeaders` and `adjustDateHeader` in `src/run/headers.ts` of
//!   opennextjs/opennextjs-netlify (`@netlify/plugin-nextjs` 5.15.12, tag v5.15.12 of
//!   2026-06-18). A STALE gets `netlify-cdn-cache-control: public, max-age=0, must-revalidate,
//!   durable`: never fresh, never served stale. A HIT (and a STALE) has its `Date` header set to
//!   the entry's `lastModified` (`new Date(lm).toUTCString()`, whole seconds), so the CDN counts
//!   the copy's age from the last modification: fresh until `⌊lm⌋ + R`, stale until `⌊lm⌋ + E`.
//!   Next.js's `s-maxage` and `stale-while-revalidate` pass through (a bare
//!   `stale-while-revalidate` becomes 31536000; Next.js 15/16 always give a value). A MISS keeps
//!   Next.js's header and its own `Date`. `durable` asks Netlify to keep the answer in its
//!   durable cache, one shared tier behind the edge: that tier is the `[cdn.shield]`, to which
//!   the same rule applies.
//!
//! Then the CDN, in this order: `[cdn] ttl` and `stale_while_revalidate` replace the header's
//! values; `min_ttl` and `max_ttl` bound the TTL (CloudFront, "Manage how long content stays in
//! the cache (expiration)": a `s-maxage` above the maximum TTL is cached for the maximum, one
//! below the minimum for the minimum); `honor_swr = false` makes the window zero; a `clock` of
//! r > 0 keeps both ends in whole ticks as nginx does (`ngx_http_file_cache.c`: the copy is
//! stored with `valid_sec = ngx_time() + valid`, is expired once `valid_sec < ngx_time()`, and
//! is served stale while `valid_sec + updating_sec >= ngx_time()`), so a copy stored at t with
//! TTL T is fresh until `⌊⌊t⌋_r + T⌋_r + r`. A zero TTL is never rounded up: a copy with none is
//! not fresh at all (nginx does not cache `max-age=0`).

use super::cdn::{Freshness, Window};
use crate::scenario::{self, HeaderRule};
use crate::time::SimTime;

/// Next.js's `s-maxage` without a timer: one year.
const NO_TIMER: SimTime = SimTime::from_secs(31_536_000);
/// OpenNext's `stale-while-revalidate` on a HIT and a STALE: 30 days.
const OPENNEXT_SWR: SimTime = SimTime::from_secs(2_592_000);
/// OpenNext's `s-maxage` on a STALE, and the least it gives a HIT.
const OPENNEXT_STALE_TTL: SimTime = SimTime::from_secs(2);
const ONE_SECOND: SimTime = SimTime::from_secs(1);

/// What the origin answered a CDN fetch, as `x-nextjs-cache` tells the header rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Served fresh from the cache; the entry is fresh at the origin until `fresh_until`.
    Hit { fresh_until: SimTime },
    /// Served stale while it regenerates.
    Stale,
    /// The fetch waited on a generation.
    Miss,
}

/// Next.js's own header for a route: `s-maxage=R, stale-while-revalidate=E−R`, or
/// `s-maxage=31536000` without a timer.
pub fn next(revalidate: Option<SimTime>, expire: SimTime) -> Freshness {
    match revalidate {
        Some(r) => Freshness {
            ttl: r,
            swr: expire - r,
        },
        None => Freshness {
            ttl: NO_TIMER,
            swr: SimTime::ZERO,
        },
    }
}

/// Rounds a span to the nearest whole second, halves up (JavaScript's `Math.round`).
fn round_secs(span: SimTime) -> SimTime {
    let half = SimTime::MICROS_PER_SEC / 2;
    SimTime::from_secs((span.as_micros() + half) / SimTime::MICROS_PER_SEC)
}

/// Truncates an instant to its whole second (an HTTP date).
fn whole_second(t: SimTime) -> SimTime {
    SimTime::from_secs(t.whole_secs())
}

/// The freshness an answer's header gives, counted from `now`.
pub fn header(
    rule: HeaderRule,
    answer: Answer,
    now: SimTime,
    revalidate: Option<SimTime>,
    expire: SimTime,
) -> Freshness {
    let own = next(revalidate, expire);
    match (rule, answer, revalidate) {
        (HeaderRule::Next, _, _) | (_, Answer::Miss, _) | (_, Answer::Hit { .. }, None) => own,
        (HeaderRule::OpenNextAws, Answer::Stale, _) => Freshness {
            ttl: OPENNEXT_STALE_TTL,
            swr: OPENNEXT_SWR,
        },
        (HeaderRule::OpenNextAws, Answer::Hit { fresh_until }, Some(r)) => {
            let age = now - (fresh_until - r);
            Freshness {
                ttl: (r - round_secs(age)).max(ONE_SECOND),
                swr: OPENNEXT_SWR,
            }
        }
        (HeaderRule::Netlify, Answer::Stale, _) => Freshness {
            ttl: SimTime::ZERO,
            swr: SimTime::ZERO,
        },
        (HeaderRule::Netlify, Answer::Hit { fresh_until }, Some(r)) => {
            let date = whole_second(fresh_until - r);
            let fresh = date + r;
            Freshness {
                ttl: fresh - now,
                swr: (date + r.max(expire)) - fresh.max(now),
            }
        }
    }
}

/// What a CDN does with the header: its overrides, its TTL bounds, whether it serves stale, and
/// its clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdnRules {
    pub rule: HeaderRule,
    pub ttl: Option<SimTime>,
    pub swr: Option<SimTime>,
    pub min_ttl: SimTime,
    pub max_ttl: Option<SimTime>,
    pub honor_swr: bool,
    pub clock: SimTime,
}

impl CdnRules {
    /// The origin's header rule and the scenario's `[cdn]` (none: Next.js's header as sent).
    pub fn new(rule: HeaderRule, cdn: Option<&scenario::Cdn>) -> CdnRules {
        CdnRules {
            rule,
            ttl: cdn.and_then(|c| c.ttl),
            swr: cdn.and_then(|c| c.stale_while_revalidate),
            min_ttl: cdn.map_or(SimTime::ZERO, |c| c.min_ttl),
            max_ttl: cdn.and_then(|c| c.max_ttl),
            honor_swr: cdn.is_none_or(|c| c.honor_swr),
            clock: cdn.map_or(SimTime::ZERO, |c| c.clock),
        }
    }

    /// Whether each copy needs a stale window of its own: not under Next.js's header with an
    /// exact clock, where every copy of a route gets the route's (`route`).
    pub fn per_copy(&self) -> bool {
        self.rule != HeaderRule::Next || self.clock > SimTime::ZERO
    }

    /// What the CDN makes of a header: the overrides, then the TTL bounds, then the window.
    pub fn apply(&self, header: Freshness) -> Freshness {
        let ttl = self.ttl.unwrap_or(header.ttl).max(self.min_ttl);
        Freshness {
            ttl: self.max_ttl.map_or(ttl, |most| ttl.min(most)),
            swr: match self.honor_swr {
                true => self.swr.unwrap_or(header.swr),
                false => SimTime::ZERO,
            },
        }
    }

    /// The freshness every copy of a route gets under Next.js's header.
    pub fn route(&self, revalidate: Option<SimTime>, expire: SimTime) -> Freshness {
        self.apply(next(revalidate, expire))
    }

    /// When a copy stored at `now` for `answer` stops being fresh, and stops being served stale.
    pub fn window(
        &self,
        answer: Answer,
        now: SimTime,
        revalidate: Option<SimTime>,
        expire: SimTime,
    ) -> Window {
        let f = self.apply(header(self.rule, answer, now, revalidate, expire));
        Window {
            fresh_until: self.end(now, f.ttl),
            stale_until: self.end(now, f.ttl + f.swr),
        }
    }

    /// `now + span` on the CDN's clock: with a resolution r, the whole tick after
    /// `⌊⌊now⌋_r + span⌋_r` (nginx's `valid_sec` is still valid during its own second).
    fn end(&self, now: SimTime, span: SimTime) -> SimTime {
        let r = self.clock.as_micros();
        if r == 0 || span == SimTime::ZERO {
            return now + span;
        }
        let tick = |t: SimTime| SimTime(t.as_micros() - t.as_micros() % r);
        tick(tick(now) + span) + self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    const YEAR: SimTime = NO_TIMER;

    fn rules(rule: HeaderRule) -> CdnRules {
        CdnRules::new(rule, None)
    }

    #[test]
    fn next_js_sends_the_interval_and_the_rest_of_expire() {
        let r = Some(s(60.0));
        assert_eq!(
            next(r, YEAR),
            Freshness {
                ttl: s(60.0),
                swr: YEAR - s(60.0)
            }
        );
        assert_eq!(
            next(None, YEAR),
            Freshness {
                ttl: YEAR,
                swr: SimTime::ZERO
            }
        );
        // Every answer alike, whatever its age.
        for answer in [
            Answer::Hit {
                fresh_until: s(70.0),
            },
            Answer::Stale,
            Answer::Miss,
        ] {
            assert_eq!(
                header(HeaderRule::Next, answer, s(50.0), r, YEAR),
                next(r, YEAR)
            );
        }
        assert!(!rules(HeaderRule::Next).per_copy());
    }

    /// An entry stored at 100 (fresh until 160, R = 60): a HIT at 130.4 is 30 s old (rounded
    /// down), at 130.5 31 s (a half rounds up); at 159.8 it rounds to 60 and gets the floor of
    /// one second. A STALE gets 2 s, a MISS Next.js's header.
    #[test]
    fn opennext_gives_a_hit_the_time_left_and_a_stale_two_seconds() {
        let (r, e) = (Some(s(60.0)), YEAR);
        let hit = |now: f64| {
            header(
                HeaderRule::OpenNextAws,
                Answer::Hit {
                    fresh_until: s(160.0),
                },
                s(now),
                r,
                e,
            )
        };
        let thirty_days = SimTime::from_secs(30 * 86_400);
        assert_eq!(
            hit(130.4),
            Freshness {
                ttl: s(30.0),
                swr: thirty_days
            }
        );
        assert_eq!(hit(130.5).ttl, s(29.0));
        assert_eq!(hit(100.0).ttl, s(60.0));
        assert_eq!(hit(159.8).ttl, s(1.0));
        assert_eq!(
            header(HeaderRule::OpenNextAws, Answer::Stale, s(170.0), r, e),
            Freshness {
                ttl: s(2.0),
                swr: thirty_days
            }
        );
        assert_eq!(
            header(HeaderRule::OpenNextAws, Answer::Miss, s(170.0), r, e),
            next(r, e)
        );
        // Without a timer (s-maxage=31536000) a HIT keeps Next.js's header; a STALE (after
        // `revalidateTag`) still gets 2 s.
        let never = Answer::Hit {
            fresh_until: SimTime::NEVER,
        };
        assert_eq!(
            header(HeaderRule::OpenNextAws, never, s(5.0), None, e),
            next(None, e)
        );
        assert_eq!(
            header(HeaderRule::OpenNextAws, Answer::Stale, s(5.0), None, e).ttl,
            s(2.0)
        );
        assert!(rules(HeaderRule::OpenNextAws).per_copy());
    }

    /// Netlify: an entry last modified at 100.7 (fresh until 160.7, R = 60, E = 300) carries
    /// `Date` 100: a HIT at 130 is fresh until 160 and stale until 400. A STALE is never kept.
    #[test]
    fn netlify_counts_a_hit_from_its_last_modification_and_keeps_no_stale() {
        let (r, e) = (Some(s(60.0)), s(300.0));
        let c = rules(HeaderRule::Netlify);
        let hit = Answer::Hit {
            fresh_until: s(160.7),
        };
        assert_eq!(
            header(HeaderRule::Netlify, hit, s(130.0), r, e),
            Freshness {
                ttl: s(30.0),
                swr: s(240.0)
            }
        );
        assert_eq!(
            c.window(hit, s(130.0), r, e),
            Window {
                fresh_until: s(160.0),
                stale_until: s(400.0)
            }
        );
        // Within the last fraction of a second the copy is already stale at the CDN.
        assert_eq!(
            c.window(hit, s(160.3), r, e),
            Window {
                fresh_until: s(160.3),
                stale_until: s(400.0)
            }
        );
        assert_eq!(
            c.window(Answer::Stale, s(170.0), r, e),
            Window {
                fresh_until: s(170.0),
                stale_until: s(170.0)
            }
        );
        assert_eq!(
            c.window(Answer::Miss, s(170.0), r, e),
            Window {
                fresh_until: s(230.0),
                stale_until: s(470.0)
            }
        );
    }

    /// The order: the override, then the bounds, then the window, then the clock.
    #[test]
    fn overrides_then_bounds_then_the_window_then_the_clock() {
        let mut c = rules(HeaderRule::Next);
        let header = Freshness {
            ttl: s(60.0),
            swr: s(100.0),
        };
        assert_eq!(c.apply(header), header, "nothing set: the header as sent");
        c.min_ttl = s(90.0);
        assert_eq!(c.apply(header).ttl, s(90.0));
        c.ttl = Some(s(10.0));
        assert_eq!(
            c.apply(header).ttl,
            s(90.0),
            "the bound applies to the override"
        );
        c.min_ttl = SimTime::ZERO;
        c.max_ttl = Some(s(5.0));
        assert_eq!(c.apply(header).ttl, s(5.0));
        c.swr = Some(s(7.0));
        assert_eq!(c.apply(header).swr, s(7.0));
        c.honor_swr = false;
        assert_eq!(c.apply(header).swr, SimTime::ZERO, "no window at all");
        assert!(!c.per_copy());
        c.clock = s(1.0);
        assert!(c.per_copy());
        assert_eq!(
            c.window(Answer::Miss, s(12.3), Some(s(60.0)), YEAR),
            Window {
                fresh_until: s(18.0),
                stale_until: s(18.0)
            }
        );
    }

    /// nginx: stored at 10.3 with TTL 2, `valid_sec` = 12, valid through the second 12: fresh
    /// until 13; with a 5 s window, stale until 18. At a whole second the copy gets a whole extra
    /// second too. A zero TTL is not rounded up.
    #[test]
    fn a_whole_second_clock_keeps_a_copy_until_the_second_after_its_ttl() {
        let mut c = rules(HeaderRule::Next);
        c.clock = s(1.0);
        c.ttl = Some(s(2.0));
        c.swr = Some(s(5.0));
        let w = |now: f64| c.window(Answer::Miss, s(now), Some(s(60.0)), YEAR);
        assert_eq!(
            w(10.3),
            Window {
                fresh_until: s(13.0),
                stale_until: s(18.0)
            }
        );
        assert_eq!(w(10.0).fresh_until, s(13.0));
        assert_eq!(w(10.999_999).fresh_until, s(13.0));
        c.ttl = Some(SimTime::ZERO);
        c.swr = Some(SimTime::ZERO);
        assert_eq!(
            c.window(Answer::Miss, s(10.3), Some(s(60.0)), YEAR),
            Window {
                fresh_until: s(10.3),
                stale_until: s(10.3)
            }
        );
        // A coarser clock: ticks of 5 s, TTL 7: stored at 12, ⌊⌊12⌋ + 7⌋ = ⌊17⌋ = 15, fresh
        // until 20.
        c.clock = s(5.0);
        c.ttl = Some(s(7.0));
        assert_eq!(
            c.window(Answer::Miss, s(12.0), Some(s(60.0)), YEAR)
                .fresh_until,
            s(20.0)
        );
    }
}

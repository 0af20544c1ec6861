//! What the CDN keeps of an origin answer (docs/model.md §5.8), against independent truth:
//! hand-worked timelines of one page under each header rule (`[origin] headers`), the CDN's
//! clock, `honor_swr`, the TTL bounds and `follows_origin`; and two closed forms, OpenNext's
//! renewal cycle and the TTL hit ratio on a whole-second clock.
//!
//! Run with `cargo test --release --test platforms_cdn -- --nocapture` to see the figures.

mod support;
#[allow(dead_code)]
mod timeline_support;

use isrsim::metrics::RunResult;
use isrsim::model::{self, Cause, Served, TracedGeneration};
use isrsim::workload::PageId;
use support::{metric, parse};
use timeline_support::{Timeline, edit, get_via, gets, one_page, run, secs};

/// A generation that succeeded, as the trace records it.
fn generation(cause: Cause, triggered: f64, finished: f64, snapshot: u32) -> TracedGeneration {
    TracedGeneration {
        page: PageId(0),
        instance: Some(isrsim::workload::InstanceId(0)),
        cause,
        triggered: secs(triggered),
        started: Some(secs(triggered)),
        finished: secs(finished),
        snapshot: Some(snapshot),
        ok: true,
    }
}

/// One page, `revalidate = 10s`, regenerating in 1 s, behind one PoP, the origin sending
/// `headers = rule`; edited at 5.
fn one_timed_page(rule: &str) -> isrsim::scenario::Scenario {
    one_page(
        "60s",
        "1s",
        &format!(
            r#"
[origin]
headers = "{rule}"

[cdn]
pops = 1

[[policies]]
name = "timed"
revalidate = "10s"
"#
        ),
    )
}

/// OpenNext (`fixISRHeaders`): the build's entry is fresh until 10 at the origin; edit at 5.
/// - 3.4: MISS; the origin's HIT is 3.4 s old, rounded to 3: `s-maxage=7`, fresh at the PoP
///   until 10.4 (0.4 s past the origin's entry, from the rounding).
/// - 8, 10.2: HITs of v0 (stale content since 5).
/// - 10.6: STALE v0; the background fetch finds the origin stale: `s-maxage=2` (fresh until
///   12.6) and a regeneration 10.6 → 11.6 of v1.
/// - 11, 12: HITs of v0, though the origin holds v1 from 11.6.
/// - 12.8: STALE v0; the fetch gets the origin's HIT of v1, 1.2 s old (rounded to 1):
///   `s-maxage=9`, fresh until 21.8.
/// - 13, 21.7: HITs of v1.
///
/// Under Next.js's own header the STALE at 10.6 never happens: the copy of 3.4 is fresh until
/// 13.4, and 12.8 and 13 are HITs of v0.
#[test]
fn opennext_gives_the_time_left_to_a_hit_and_two_seconds_to_a_stale() {
    let requests = [3.4, 8.0, 10.2, 10.6, 11.0, 12.0, 12.8, 13.0, 21.7];
    let t = run(
        &one_timed_page("opennext-aws"),
        0,
        gets(&requests, 0),
        vec![edit(5.0, 0)],
    );
    let row = |at: f64, served, version, stale| (at, served, Some(version), stale, at, 0.0);
    t.assert_answers(
        0,
        &[
            row(3.4, Served::OriginHit, 0, false),
            row(8.0, Served::CdnHit, 0, true),
            row(10.2, Served::CdnHit, 0, true),
            row(10.6, Served::CdnStale, 0, true),
            row(11.0, Served::CdnHit, 0, true),
            row(12.0, Served::CdnHit, 0, true),
            row(12.8, Served::CdnStale, 0, true),
            row(13.0, Served::CdnHit, 1, false),
            row(21.7, Served::CdnHit, 1, false),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Background, 10.6, 11.6, 1)]
    );
    assert_eq!(t.metric("origin_requests"), 3.0);

    let next = run(
        &one_timed_page("next"),
        0,
        gets(&requests, 0),
        vec![edit(5.0, 0)],
    );
    next.assert_answers(
        0,
        &[
            row(10.6, Served::CdnHit, 0, true),
            row(12.8, Served::CdnHit, 0, true),
            row(13.0, Served::CdnHit, 0, true),
        ],
    );
}

/// Netlify (`setCacheControlHeaders`, `adjustDateHeader`): the build's entry (last modified at
/// 0) is fresh until 10; edit at 5.
/// - 3.4: MISS; the origin's HIT carries `Date` 0: fresh at the PoP until 10.
/// - 9.9: HIT v0.
/// - 10.2: STALE v0; the background fetch finds the origin stale (regeneration 10.2 → 11.2 of
///   v1) and its answer, `max-age=0, must-revalidate`, leaves nothing the PoP may serve.
/// - 10.5, 11: each goes to the origin and gets its STALE v0 (no second regeneration: one is in
///   flight).
/// - 11.5: to the origin again, which now has v1 (last modified 11.2, `Date` 11): fresh at the
///   PoP until 21, not 21.5.
/// - 20.9: HIT v1; 21.1: STALE v1 (the fetch's HIT, `Date` 11, is stale on arrival).
///
/// Under Next.js's header the STALE answer at 10.2 is kept for 10 s: 10.5 and 11.5 are HITs of
/// v0.
#[test]
fn netlify_keeps_no_stale_answer_and_counts_a_hit_from_its_last_modification() {
    let requests = [3.4, 9.9, 10.2, 10.5, 11.0, 11.5, 20.9, 21.1];
    let t = run(
        &one_timed_page("netlify"),
        0,
        gets(&requests, 0),
        vec![edit(5.0, 0)],
    );
    let row = |at: f64, served, version, stale| (at, served, Some(version), stale, at, 0.0);
    t.assert_answers(
        0,
        &[
            row(3.4, Served::OriginHit, 0, false),
            row(9.9, Served::CdnHit, 0, true),
            row(10.2, Served::CdnStale, 0, true),
            row(10.5, Served::OriginStale, 0, true),
            row(11.0, Served::OriginStale, 0, true),
            row(11.5, Served::OriginHit, 1, false),
            row(20.9, Served::CdnHit, 1, false),
            row(21.1, Served::CdnStale, 1, false),
        ],
    );
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::Background, 10.2, 11.2, 1)]
    );
    assert_eq!(t.metric("origin_requests"), 6.0);

    let next = run(
        &one_timed_page("next"),
        0,
        gets(&requests, 0),
        vec![edit(5.0, 0)],
    );
    next.assert_answers(
        0,
        &[
            row(10.5, Served::CdnHit, 0, true),
            row(11.5, Served::CdnHit, 0, true),
        ],
    );
}

/// One page without a timer behind one PoP that keeps a copy 2 s (`ttl`) with no stale window,
/// its clock `clock`.
fn ttl_page(clock: &str) -> isrsim::scenario::Scenario {
    one_page(
        "60s",
        "1s",
        &format!(
            r#"
[cdn]
pops = 1
ttl = "2s"
stale_while_revalidate = "0s"
clock = "{clock}"

[[policies]]
name = "no-timer"
"#
        ),
    )
}

/// nginx's whole-second clock (`valid_sec = ngx_time() + 2`, expired once `valid_sec <
/// ngx_time()`): stored at 10.3, the copy is valid through the second 12, fresh until 13;
/// stored at 13.0 exactly, until 16. An exact clock keeps the first until 12.3.
#[test]
fn a_whole_second_clock_keeps_a_copy_until_the_second_after_its_ttl() {
    let requests = [10.3, 12.9, 12.999_999, 13.0, 15.5, 16.0];
    let t = run(&ttl_page("1s"), 0, gets(&requests, 0), vec![]);
    let row = |at: f64, served| (at, served, Some(0), false, at, 0.0);
    t.assert_answers(
        0,
        &[
            row(10.3, Served::OriginHit),
            row(12.9, Served::CdnHit),
            row(12.999_999, Served::CdnHit),
            row(13.0, Served::OriginHit),
            row(15.5, Served::CdnHit),
            row(16.0, Served::OriginHit),
        ],
    );
    assert_eq!(t.metric("origin_requests"), 3.0);
    let exact = run(&ttl_page("0s"), 0, gets(&requests, 0), vec![]);
    assert_eq!(exact.got(0, 12.9).0, Served::OriginHit);
    assert_eq!(exact.got(0, 12.999_999).0, Served::CdnHit, "stored at 12.9");
}

/// Next.js's header (`s-maxage=10`, a year's window) bent by the CDN's rules. Stored at 1:
/// - `honor_swr = false`: at 11.5 the copy is a MISS, the user waits on the origin's STALE;
///   with it (the default) a STALE from the PoP;
/// - `max_ttl = "3s"`: fresh until 4 (a HIT at 3.9, a STALE at 4.1);
/// - `min_ttl = "20s"`: fresh until 21 (a HIT at 15, the origin stale since 10).
#[test]
fn honor_swr_and_the_ttl_bounds_bend_the_header() {
    let page = |cdn: &str| {
        one_page(
            "60s",
            "1s",
            &format!(
                "[cdn]\npops = 1\n{cdn}\n\n[[policies]]\nname = \"timed\"\nrevalidate = \"10s\"\n"
            ),
        )
    };
    let served = |cdn: &str, at: f64| run(&page(cdn), 0, gets(&[1.0, at], 0), vec![]).got(0, at).0;
    assert_eq!(served("honor_swr = false", 11.5), Served::OriginStale);
    assert_eq!(served("honor_swr = true", 11.5), Served::CdnStale);
    assert_eq!(served("", 11.5), Served::CdnStale);
    assert_eq!(served("max_ttl = \"3s\"", 3.9), Served::CdnHit);
    assert_eq!(served("max_ttl = \"3s\"", 4.1), Served::CdnStale);
    assert_eq!(served("", 4.1), Served::CdnHit);
    assert_eq!(served("min_ttl = \"20s\"", 15.0), Served::CdnHit);
    assert_eq!(served("", 15.0), Served::CdnStale);
}

/// Two PoPs and a shield; no timer, `on_edit = "regenerate"` (regen 1 s), `follows_origin` with
/// a 300 ms propagation. 1: PoP 0 misses, the shield misses, the origin answers v0 (kept a year).
/// The edit at 5 regenerates 5 → 6: v1 reaches the shield and PoP 0 at 6.3, not PoP 1, which
/// never held the page.
/// - 6.2 at PoP 0: HIT v0 (stale); 6.4: HIT v1.
/// - 6.5 at PoP 1: a MISS that the shield answers with v1.
///
/// Without `follows_origin` both are v0 for the year.
#[test]
fn a_regeneration_replaces_the_cdns_copies_after_the_propagation() {
    let page = |follows: bool| {
        one_page(
            "60s",
            "1s",
            &format!(
                r#"
[cdn]
pops = 2
shield = true
follows_origin = {follows}
{}

[[policies]]
name = "on-demand"
on_edit = "regenerate"
"#,
                if follows {
                    "propagation = \"300ms\""
                } else {
                    ""
                }
            ),
        )
    };
    let requests = vec![
        get_via(1.0, 0, 0),
        get_via(6.2, 0, 0),
        get_via(6.4, 0, 0),
        get_via(6.5, 0, 1),
    ];
    let t = run(&page(true), 0, requests.clone(), vec![edit(5.0, 0)]);
    let got = |t: &Timeline, at, pop| {
        let g = t.got_via(0, at, pop);
        (g.0, g.1, g.2)
    };
    assert_eq!(got(&t, 1.0, 0), (Served::OriginHit, Some(0), false));
    assert_eq!(got(&t, 6.2, 0), (Served::CdnHit, Some(0), true));
    assert_eq!(got(&t, 6.4, 0), (Served::CdnHit, Some(1), false));
    assert_eq!(got(&t, 6.5, 1), (Served::ShieldHit, Some(1), false));
    assert_eq!(t.trace.propagations, vec![(secs(6.3), PageId(0), 1)]);
    assert_eq!(
        t.trace.generations,
        vec![generation(Cause::OnDemand, 5.0, 6.0, 1)]
    );
    let without = run(&page(false), 0, requests, vec![edit(5.0, 0)]);
    assert_eq!(got(&without, 6.4, 0), (Served::CdnHit, Some(0), true));
    assert_eq!(got(&without, 6.5, 1), (Served::ShieldHit, Some(0), true));
    assert!(without.trace.propagations.is_empty());
}

// ---- closed forms ----------------------------------------------------------------------------

const SIGMAS: f64 = 6.0;

/// Policy 0 of a run of `d` seconds of steady traffic at `rate`/s on one page regenerating at
/// once; `tables` holds the rest.
fn run_one_page(d: f64, seed: u64, rate: f64, tables: &str) -> RunResult {
    let scenario = parse(&format!(
        r#"
duration = "{d}s"
seed = {seed}

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "page"
pages = 1
regen_time = "0s"
{tables}"#
    ));
    model::run(&scenario, 0, 0).unwrap()
}

/// Asserts `|measured - expected| <= tolerance`, printing the figures either way.
fn check(what: &str, measured: f64, expected: f64, tolerance: f64) {
    println!(
        "{what}: measured {measured:.6}, expected {expected:.6}, diff {:+.6}, tolerance {tolerance:.6}",
        measured - expected
    );
    assert!(
        (measured - expected).abs() <= tolerance,
        "{what}: measured {measured}, expected {expected}, tolerance {tolerance}"
    );
}

/// `∫_a^b u·λe^{-λu} du`.
fn first_moment(lambda: f64, a: f64, b: f64) -> f64 {
    let f = |u: f64| -(u + 1.0 / lambda) * (-lambda * u).exp();
    f(b) - f(a)
}

/// The renewal cycle of one page under OpenNext's header rule at one PoP: Poisson(λ) requests,
/// `revalidate` R (whole seconds), regeneration instantaneous.
///
/// A cycle opens when a PoP fetch finds the origin's entry stale (at t₁): the answer is STALE,
/// kept 2 s, and the regeneration stores the page at once (last modified t₁, fresh at the
/// origin until t₁+R). The PoP's copy is a HIT until t₁+2; the first request after, at
/// t₂ = t₁+2+X₁ (X ~ Exp(λ), memoryless), is served STALE and fetches the origin's HIT, whose
/// age a = 2+X₁ OpenNext rounds (halves up): `s-maxage = R − round(a)`, so the PoP's copy is
/// fresh until t₁+R+e with e = X₁ − round(X₁) ∈ [−½, ½). (This needs a < R − ½: the chance it
/// fails, e^{−λ(R−2.5)}, is negligible at the points below.)
/// - e ≥ 0: the copy outlives the origin's entry; the first request after it, X₂ later, finds
///   the origin stale and opens the next cycle. Length R + e + X₂; 2 PoP fetches.
/// - e < 0 and X₂ ≥ −e: the same.
/// - e < 0 and X₂ < −e: the request falls in the last |e| of the origin's freshness and fetches
///   a HIT aged within ½ s of R, rounded to R: `s-maxage = max(0, 1) = 1`. The copy is fresh 1 s
///   more, past the origin's entry; the first request after it, X₃ later, opens the next cycle.
///   Length R + e + X₂ + 1 + X₃; 3 PoP fetches.
///
/// With p = P(e < 0, X₂ < −e): E[cycle] = R + E[e] + 1/λ + p(1 + 1/λ); regenerations per second
/// 1/E[cycle], PoP fetches (origin requests) per second (2 + p)/E[cycle]. Over X₁'s unit
/// intervals [k−½, k+½) (k = 0: [0, ½)), with q = e^{−λ}:
/// E[e] = ∫₀^½ uλe^{−λu}du + q/(1−q)·∫_{−½}^{½} uλe^{−λu}du and
/// p = q/(1−q)·(e^{λ/2} − 1 − λ/2). For λR large, E[cycle] ≈ R + 1/λ and the PoP fetches
/// about twice per cycle, the issue's approximation.
struct OpenNextCycle {
    mean: f64,
    /// A bound on the cycle length's variance: (sd e + sd X₂ + √E[(I·(1+X₃))²])², I the
    /// indicator of the third fetch.
    var_bound: f64,
    fetches: f64,
}

impl OpenNextCycle {
    fn new(lambda: f64, r: f64) -> OpenNextCycle {
        let q = (-lambda).exp();
        let ratio = q / (1.0 - q);
        let mean_e = first_moment(lambda, 0.0, 0.5) + ratio * first_moment(lambda, -0.5, 0.5);
        let p = ratio * ((lambda / 2.0).exp() - 1.0 - lambda / 2.0);
        let third = (p * (1.0 + 2.0 / lambda + 2.0 / (lambda * lambda))).sqrt();
        OpenNextCycle {
            mean: r + mean_e + 1.0 / lambda + p * (1.0 + 1.0 / lambda),
            var_bound: (0.5 + 1.0 / lambda + third).powi(2),
            fetches: 2.0 + p,
        }
    }
}

/// OpenNext's header rule, one page at one PoP: the origin's regeneration rate and the PoP's
/// fetch rate against the renewal cycle above, at two points (a slow one, where the rounding's
/// third fetch matters, and a fast one, where X₁'s mean shifts the cycle).
#[test]
fn opennext_renewal_cycle_gives_the_regeneration_and_fetch_rates() {
    for (lambda, r, d, seed) in [(1.0, 10.0, 1.0e6, 21), (4.0, 20.0, 2.5e5, 22)] {
        let cycle = OpenNextCycle::new(lambda, r);
        let tables = format!(
            "[origin]\nheaders = \"opennext-aws\"\n\n[cdn]\npops = 1\n\n\
             [[policies]]\nname = \"timed\"\nrevalidate = \"{r}s\"\n"
        );
        let result = run_one_page(d, seed, lambda, &tables);
        let n = d / cycle.mean;
        // A renewal count over d has variance d·σ²/m³; the fetch count's per-cycle
        // Z = F − (2+p)/m·C has sd at most ½ + (2+p)/m·σ.
        let regen_rate = 1.0 / cycle.mean;
        let regen_tol = SIGMAS * (d * cycle.var_bound / cycle.mean.powi(3)).sqrt() / d;
        let fetch_rate = cycle.fetches / cycle.mean;
        let z_sd = 0.5 + fetch_rate * cycle.var_bound.sqrt();
        let fetch_tol = SIGMAS * z_sd * n.sqrt() / d;
        let label = format!("λ={lambda}, R={r}");
        let regens = metric(&result, "regenerations") / d;
        let fetches = metric(&result, "origin_requests") / d;
        check(
            &format!("{label}: regenerations/s"),
            regens,
            regen_rate,
            regen_tol,
        );
        check(
            &format!("{label}: PoP fetches/s"),
            fetches,
            fetch_rate,
            fetch_tol,
        );
        // The issue's approximation is close, and the two rates are about one to two.
        let approx = 1.0 / (r + 1.0 / lambda);
        assert!((regen_rate - approx).abs() / approx < 0.03);
        assert!((fetch_rate / regen_rate - 2.0).abs() < 0.1);
        if lambda == 1.0 {
            // The power to fail: at the slow point the approximations are outside.
            assert!((approx - regen_rate).abs() > regen_tol);
            assert!((2.0 * approx - fetch_rate).abs() > fetch_tol);
        }
    }
}

/// The TTL hit ratio of one page at one PoP with a whole-tick clock r, TTL T (a multiple of r)
/// and no stale window, under Poisson(λ) requests to an origin that is always fresh.
///
/// Renewal-reward: a cycle opens with a MISS at s, which stores the page fresh until
/// ⌊s⌋_r + T + r (nginx); the requests in that span, λ·D of them on average with
/// D = T + r − (s mod r), are HITs; the first request after it, an Exp(λ) wait X later, opens
/// the next cycle. That instant is X past a tick, so s mod r is distributed as X mod r in every
/// cycle (the first one's too: the run starts on a tick). The hit ratio is λT'/(1+λT') with
/// T' = E[D] = T + r − E[X mod r] = T + r − 1/λ + r/(e^{λr} − 1). Were the store instants spread
/// uniformly within their tick, E[s mod r] = r/2 and T' = T + r/2; the exact T' exceeds that by
/// about λr²/12 when λr is small.
fn clock_hit_ratio(lambda: f64, t: f64, r: f64) -> (f64, f64) {
    let t_eff = t + r - 1.0 / lambda + r / ((lambda * r).exp() - 1.0);
    (lambda * t_eff / (1.0 + lambda * t_eff), t_eff)
}

#[test]
fn a_whole_second_clock_lengthens_the_ttl_by_about_half_a_tick() {
    for (lambda, t, d, seed) in [(0.5, 10.0, 1.0e6, 31), (2.0, 2.0, 2.0e5, 32)] {
        let r = 1.0;
        let (hit, t_eff) = clock_hit_ratio(lambda, t, r);
        let tables = format!(
            "[cdn]\npops = 1\nttl = \"{t}s\"\nstale_while_revalidate = \"0s\"\nclock = \"1s\"\n\n\
             [[policies]]\nname = \"no-timer\"\n"
        );
        let result = run_one_page(d, seed, lambda, &tables);
        // Per cycle S ~ Poisson(λD) HITs among 1 + S requests: Z = (1−h)S − h, with
        // Var S = λT' + λ²·Var D ≤ λT' + λ²r²/4; n = d/(T' + 1/λ) cycles.
        let n = d / (t_eff + 1.0 / lambda);
        let var_z = (1.0 - hit).powi(2) * (lambda * t_eff + lambda * lambda * r * r / 4.0);
        let tolerance = SIGMAS * (var_z / n).sqrt() / (1.0 + lambda * t_eff);
        let measured = metric(&result, "cdn_hit_ratio");
        check(
            &format!("λ={lambda}, T={t}: hit ratio"),
            measured,
            hit,
            tolerance,
        );
        let ratio = |te: f64| lambda * te / (1.0 + lambda * te);
        // Power to fail: an exact clock (T' = T) and a whole extra tick (T' = T + r) are
        // outside the tolerance; the uniform spread (T + r/2) is close when λr is small.
        assert!((ratio(t) - hit).abs() > tolerance);
        assert!((ratio(t + r) - hit).abs() > tolerance);
        if lambda * r < 1.0 {
            assert!((ratio(t + r / 2.0) - hit).abs() < tolerance);
        } else {
            assert!((ratio(t + r / 2.0) - hit).abs() > tolerance);
        }
    }
}

//! Closed-form checks: the simulator against results worked out by hand (STYLE.md, "Tests assert
//! behaviour against something independent").
//!
//! Every check is a renewal-reward argument. The run is long enough that the estimate has a
//! standard error well below the gap to a plausible wrong formula; the tolerance is 6 standard
//! errors, worked out from the same renewal model (never from the simulator's output). Each test
//! also asserts that a plausible wrong formula falls outside the tolerance at one point at least,
//! so a test that passes has the power to fail.
//!
//! Run with `cargo test --release --test closed_form -- --nocapture` to see the figures.

mod support;

use isrsim::metrics::RunResult;
use isrsim::model::{self, Simulation};
use isrsim::time::SimTime;
use isrsim::workload::traffic::Request;
use isrsim::workload::{PageId, PopId};
use support::{metric, parse};

const SIGMAS: f64 = 6.0;

/// Policy 0 of a run of `d` seconds under steady traffic of `rate` requests/s; `tables` holds
/// the routes, the policy and the rest.
fn run_steady(d: f64, seed: u64, rate: f64, tables: &str) -> RunResult {
    let scenario = parse(&format!(
        r#"
duration = "{d}s"
seed = {seed}

[traffic]
pattern = "steady"
rate = {rate}
{tables}"#
    ));
    model::run(&scenario, 0, 0).unwrap()
}

/// As `run_steady`, with one page edited every `edit_every` seconds on average (a Poisson
/// process) and regenerated instantly; `tables` holds the policy and the rest.
fn run_one_edited_page(d: f64, seed: u64, rate: f64, edit_every: f64, tables: &str) -> RunResult {
    let route = format!(
        r#"
[[routes]]
name = "page"
pages = 1
edit_every = "{edit_every}s"
regen_time = "0s"
"#
    );
    run_steady(d, seed, rate, &format!("{route}{tables}"))
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

/// Checks metric `name` of `result` against `expected`, within `tolerance`.
fn check_metric(label: &str, result: &RunResult, name: &str, expected: f64, tolerance: f64) {
    check(
        &format!("{label}: {name}"),
        metric(result, name),
        expected,
        tolerance,
    );
}

/// Composite Simpson's rule on `[a, b]` with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| if i % 2 == 1 { 4.0 } else { 2.0 } * f(a + i as f64 * h))
        .sum();
    (f(a) + f(b) + inner) * h / 3.0
}

/// `∫_0^T (1 - e^{-μt}) dt`: the expected time, within a window of length T that starts fresh,
/// that the content has already changed (the first edit is Exp(μ) into the window).
fn outdated_time(t: f64, mu: f64) -> f64 {
    t - (1.0 - (-mu * t).exp()) / mu
}

/// Per-cycle variance of `Z = S - r·C`, for the delta-method standard error of a ratio estimate
/// `ΣS / ΣC` over n independent renewal cycles: `sd(ratio) = sqrt(Var Z / n) / E[C]`.
///
/// A cycle opens at a fresh store, followed by a window of length T with Poisson(λ) requests,
/// counted in C. The first edit after the store comes E ~ Exp(μ) later: the window's requests
/// after E are stale (counted in S). Given E, the requests before and after it are independent
/// Poisson counts, with means φ = λ·min(E, T) and α = λ·(T - E)⁺. With `closing_request`, the
/// cycle also holds the request that ends it (at T + X, X ~ Exp(λ)), which is stale when
/// E < T + X; given E ≥ T that has probability p = e^{-λ(E-T)}. So
/// `E[Z | E] = (1-r)α - rφ + p - r`, `Var[Z | E] = (1-r)²α + r²φ + p(1-p)`, and with E[Z] = 0
/// (r is the true ratio) `Var Z = E[ E[Z² | E] ]`, integrated numerically over E.
fn cycle_variance(lambda: f64, t: f64, mu: f64, r: f64, closing_request: bool) -> f64 {
    let conditional = |e: f64| {
        let (alpha, phi) = (lambda * (t - e).max(0.0), lambda * e.min(t));
        let p = match (closing_request, e < t) {
            (false, _) => 0.0,
            (true, true) => 1.0,
            (true, false) => (-lambda * (e - t)).exp(),
        };
        let mean = (1.0 - r) * alpha - r * phi + p - r;
        let var = (1.0 - r).powi(2) * alpha + r * r * phi + p * (1.0 - p);
        mu * (-mu * e).exp() * (var + mean * mean)
    };
    simpson(conditional, 0.0, t, 4_000) + simpson(conditional, t, t + 40.0 / mu, 20_000)
}

/// Standard deviation of a renewal process's count over `[0, d)`, divided by d: the count is
/// asymptotically normal with variance `d·σ²/m³` (m, σ² the cycle length's mean and variance).
fn renewal_rate_sd(d: f64, mean: f64, var: f64) -> f64 {
    (d * var / mean.powi(3)).sqrt() / d
}

/// The renewal cycle of tests 1 and 2, in a run of d seconds: a window of T seconds that opens
/// with a store, then an Exp(λ) wait for the request that closes it.
struct Cycles {
    /// Cycles in the run: d / E[cycle], with E[cycle] = T + 1/λ.
    count: f64,
    /// Requests per cycle: λT in the window, and the closing one.
    requests: f64,
    /// Cycles per second, 1/E[cycle] = λ/(1+λT).
    rate: f64,
    /// The tolerance on `rate`: the cycle length varies as the wait does, with variance 1/λ².
    rate_tolerance: f64,
}

impl Cycles {
    fn new(lambda: f64, t: f64, d: f64) -> Cycles {
        let mean = t + 1.0 / lambda;
        let requests = 1.0 + lambda * t;
        Cycles {
            count: d / mean,
            requests,
            rate: lambda / requests,
            rate_tolerance: SIGMAS * renewal_rate_sd(d, mean, 1.0 / (lambda * lambda)),
        }
    }
}

// ---- 1. Origin, time-based ISR ---------------------------------------------------------------

/// One point of the origin check: rate λ (1/s), `revalidate` T (s), mean edit gap 1/μ (s), run
/// length (s).
struct OriginPoint {
    lambda: f64,
    revalidate: f64,
    edit_every: f64,
    duration: f64,
}

struct OriginOutcome {
    stale_ratio: f64,
    stale_tolerance: f64,
    /// The stale ratio without the closing request's term, and with it but ignoring the wait X.
    wrong_no_closing: f64,
    wrong_no_wait: f64,
    regen_tolerance: f64,
    regen_rate: f64,
}

/// Time-based ISR at the origin, regeneration instantaneous, no CDN.
///
/// Renewal-reward: a cycle starts when a regeneration stores the page (version = content at that
/// instant; the build at t=0 is such a store, so the process is a renewal process from t=0 and
/// needs no warm-up). The page is fresh for T; the first request after that, an Exp(λ) wait X
/// later, is served STALE and triggers the one background regeneration of the cycle, which
/// finishes at once and opens the next cycle. So E[cycle] = T + 1/λ and
/// - regenerations per second = 1/(T + 1/λ) = λ/(1+λT);
/// - requests per cycle = λT + 1;
/// - stale requests per cycle: a window request at s+t is stale iff an edit fell in (s, s+t],
///   which gives λ∫_0^T (1-e^{-μt})dt = λ(T - (1-e^{-μT})/μ); the closing request at s+T+X is
///   stale unless no edit fell in (s, s+T+X], i.e. with probability 1 - e^{-μT}·λ/(λ+μ);
/// - stale ratio = [λ(T - (1-e^{-μT})/μ) + 1 - e^{-μT}·λ/(λ+μ)] / (1+λT);
/// - a regeneration is wasted (its snapshot equals the cached version) iff no edit fell in its
///   whole cycle: probability e^{-μT}·λ/(λ+μ), independently from cycle to cycle.
fn origin_point(p: &OriginPoint, seed: u64) -> OriginOutcome {
    let OriginPoint {
        lambda,
        revalidate: t,
        edit_every,
        duration: d,
    } = *p;
    let mu = 1.0 / edit_every;
    let policy = format!(
        r#"
[[policies]]
name = "time-based"
revalidate = "{t}s"
"#
    );
    let result = run_one_edited_page(d, seed, lambda, edit_every, &policy);

    let label = format!("origin λ={lambda}/s T={t}s 1/μ={edit_every}s");
    let cycles = Cycles::new(lambda, t, d);
    let e_mu_t = (-mu * t).exp();
    let no_edit_in_cycle = e_mu_t * lambda / (lambda + mu);

    // One regeneration per cycle.
    let regenerations = metric(&result, "regenerations");
    check(
        &format!("{label}: regenerations/s"),
        regenerations / d,
        cycles.rate,
        cycles.rate_tolerance,
    );

    let stale_ratio = (lambda * outdated_time(t, mu) + 1.0 - no_edit_in_cycle) / cycles.requests;
    let sd =
        (cycle_variance(lambda, t, mu, stale_ratio, true) / cycles.count).sqrt() / cycles.requests;
    let stale_tolerance = SIGMAS * sd;
    check_metric(&label, &result, "stale_ratio", stale_ratio, stale_tolerance);

    // A Bernoulli outcome per cycle; binomial standard error over the measured cycles.
    let wasted_sd = (no_edit_in_cycle * (1.0 - no_edit_in_cycle) / cycles.count).sqrt();
    check(
        &format!("{label}: wasted share of regenerations"),
        metric(&result, "regenerations_wasted") / regenerations,
        no_edit_in_cycle,
        SIGMAS * wasted_sd,
    );

    OriginOutcome {
        stale_ratio,
        stale_tolerance,
        wrong_no_closing: lambda * outdated_time(t, mu) / cycles.requests,
        wrong_no_wait: (lambda * outdated_time(t, mu) + 1.0 - e_mu_t) / cycles.requests,
        regen_tolerance: cycles.rate_tolerance,
        regen_rate: cycles.rate,
    }
}

#[test]
fn origin_time_based_isr_matches_renewal_reward() {
    let points = [
        OriginPoint {
            lambda: 1.0,
            revalidate: 10.0,
            edit_every: 20.0,
            duration: 2_200_000.0,
        },
        OriginPoint {
            lambda: 0.2,
            revalidate: 5.0,
            edit_every: 2.0,
            duration: 2_000_000.0,
        },
        OriginPoint {
            lambda: 5.0,
            revalidate: 1.0,
            edit_every: 10.0,
            duration: 240_000.0,
        },
        OriginPoint {
            lambda: 0.05,
            revalidate: 60.0,
            edit_every: 30.0,
            duration: 8_000_000.0,
        },
    ];
    let outcomes: Vec<OriginOutcome> = points
        .iter()
        .enumerate()
        .map(|(i, p)| origin_point(p, 100 + i as u64))
        .collect();

    // Power: each plausible wrong formula is rejected at some point.
    let rejects = |wrong: &dyn Fn(&OriginOutcome) -> f64| {
        outcomes
            .iter()
            .any(|o| (wrong(o) - o.stale_ratio).abs() > 2.0 * o.stale_tolerance)
    };
    assert!(
        rejects(&|o| o.wrong_no_closing),
        "no power against dropping the closing request"
    );
    assert!(
        rejects(&|o| o.wrong_no_wait),
        "no power against ignoring the wait for the closing request"
    );
    // regenerations/s = 1/T (forgetting the wait for the next request).
    assert!(
        points
            .iter()
            .zip(&outcomes)
            .all(|(p, o)| (1.0 / p.revalidate - o.regen_rate).abs() > o.regen_tolerance)
    );
}

// ---- 2. CDN in front of an always-fresh origin ----------------------------------------------

struct CdnPoint {
    lambda: f64,
    ttl: f64,
    edit_every: f64,
    duration: f64,
}

/// One PoP with `ttl` T and no stale-while-revalidate, in front of an origin that regenerates on
/// every edit at once (zero webhook delay, zero regeneration time), so the origin always holds
/// the current version.
///
/// Renewal-reward: a cycle opens with a MISS, which stores the then-current version at the PoP;
/// the next T are HITs; the first request after that (Exp(λ) later) is the next MISS. Requests
/// per cycle: 1 + λT, of which λT are CDN hits, so the hit ratio H = λT/(1+λT). The MISS is
/// fresh; a hit at age t is stale iff an edit fell in (s, s+t], so the stale requests per cycle
/// are λ(T - (1-e^{-μT})/μ) and the stale ratio is H·[1 - (1-e^{-μT})/(μT)]. Origin fetches per
/// second are the cycle rate, λ/(1+λT).
fn cdn_point(p: &CdnPoint, seed: u64) -> (f64, f64, f64) {
    let CdnPoint {
        lambda,
        ttl: t,
        edit_every,
        duration: d,
    } = *p;
    let mu = 1.0 / edit_every;
    let cdn_and_policy = format!(
        r#"
[cdn]
pops = 1
ttl = "{t}s"
stale_while_revalidate = "0s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
webhook_delay = "0s"
"#
    );
    let result = run_one_edited_page(d, seed, lambda, edit_every, &cdn_and_policy);

    let label = format!("cdn λ={lambda}/s ttl={t}s 1/μ={edit_every}s");
    let cycles = Cycles::new(lambda, t, d);

    // Hits per cycle are Poisson(λT): Z = N - H(N+1) has variance (1-H)²λT.
    let hit = lambda * t / cycles.requests;
    let hit_sd = ((1.0 - hit).powi(2) * lambda * t / cycles.count).sqrt() / cycles.requests;
    check_metric(&label, &result, "cdn_hit_ratio", hit, SIGMAS * hit_sd);

    let stale = hit * (1.0 - (1.0 - (-mu * t).exp()) / (mu * t));
    let stale_sd =
        (cycle_variance(lambda, t, mu, stale, false) / cycles.count).sqrt() / cycles.requests;
    check_metric(&label, &result, "stale_ratio", stale, SIGMAS * stale_sd);

    // One origin fetch per cycle.
    check(
        &format!("{label}: origin_requests/s"),
        metric(&result, "origin_requests") / d,
        cycles.rate,
        cycles.rate_tolerance,
    );

    // Wrong: stale ratio H·(1-e^{-μT}) (a hit is stale iff the content changed within the ttl).
    let wrong = hit * (1.0 - (-mu * t).exp());
    (stale, wrong, SIGMAS * stale_sd)
}

#[test]
fn cdn_ttl_in_front_of_a_fresh_origin_matches_renewal_reward() {
    let points = [
        CdnPoint {
            lambda: 2.0,
            ttl: 5.0,
            edit_every: 10.0,
            duration: 1_000_000.0,
        },
        CdnPoint {
            lambda: 0.5,
            ttl: 2.0,
            edit_every: 1.0,
            duration: 1_000_000.0,
        },
        CdnPoint {
            lambda: 10.0,
            ttl: 1.0,
            edit_every: 3.0,
            duration: 200_000.0,
        },
        CdnPoint {
            lambda: 0.1,
            ttl: 30.0,
            edit_every: 60.0,
            duration: 6_000_000.0,
        },
    ];
    let outcomes: Vec<(f64, f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| cdn_point(p, 200 + i as u64))
        .collect();
    assert!(
        outcomes
            .iter()
            .all(|&(right, wrong, tolerance)| (right - wrong).abs() > tolerance),
        "no power against H·(1-e^(-μT))"
    );
}

// ---- 3. A TTL cache over many pages -----------------------------------------------------------

/// The hit ratio of a TTL cache: each (PoP, page) pair sees an independent Poisson stream of rate
/// λ_i = λ·w_i/pops, and is a renewal process as in test 2 with hit ratio h_i = λ_iT/(1+λ_iT).
/// The overall ratio weights them by traffic: Σ (λ_i/λ)·h_i.
///
/// Its standard error: `Σ hits - h·Σ requests = Σ_i (hits_i - h_i·C_i) + Σ_i (h_i - h)·C_i`. The
/// first sum has variance Σ_i n_i·(1-h_i)²λ_iT (n_i = D/(T+1/λ_i) cycles), the second, with C_i
/// Poisson(λ_iD), Σ_i (h_i-h)²λ_iD; their standard deviations are added (a bound).
fn ttl_cache_point(
    pages: u32,
    popularity: f64,
    pops: u32,
    rate: f64,
    t: f64,
    d: f64,
    seed: u64,
) -> (f64, f64) {
    let tables = format!(
        r#"
[[routes]]
name = "posts"
pages = {pages}
popularity = {popularity}
regen_time = "0s"

[cdn]
pops = {pops}
ttl = "{t}s"
stale_while_revalidate = "0s"

[[policies]]
name = "static"
"#
    );
    let result = run_steady(d, seed, rate, &tables);

    let streams: Vec<f64> = zipf(pages, popularity)
        .iter()
        .map(|p| rate * p / f64::from(pops))
        .collect();
    let h = |l: f64| l * t / (1.0 + l * t);
    let pop_count = f64::from(pops);
    let expected: f64 = streams.iter().map(|&l| l * pop_count / rate * h(l)).sum();
    let v1: f64 = streams
        .iter()
        .map(|&l| d / (t + 1.0 / l) * (1.0 - h(l)).powi(2) * l * t)
        .sum::<f64>()
        * pop_count;
    let v2: f64 = streams
        .iter()
        .map(|&l| (h(l) - expected).powi(2) * l * d)
        .sum::<f64>()
        * pop_count;
    let sd = (v1.sqrt() + v2.sqrt()) / (rate * d);
    let label = format!(
        "ttl cache {pages} pages popularity {popularity}, {pops} PoPs, λ={rate}/s, ttl={t}s"
    );
    check_metric(&label, &result, "cdn_hit_ratio", expected, SIGMAS * sd);

    // Wrong: the hit ratio of the mean per-stream rate, as if popularity did not matter.
    let mean_stream = rate / f64::from(pages) / pop_count;
    (expected - h(mean_stream), SIGMAS * sd)
}

#[test]
fn ttl_cache_hit_ratio_over_many_pages() {
    // Uniform: every (PoP, page) stream has λ_i = 100/200/2 = 0.25/s, so h = 0.5 everywhere.
    let (gap, _) = ttl_cache_point(200, 0.0, 2, 100.0, 4.0, 20_000.0, 300);
    assert!(gap.abs() < 1e-12);
    // Zipf: popular pages hit far more often than the mean rate suggests.
    let (gap, tolerance) = ttl_cache_point(50, 1.0, 3, 30.0, 2.0, 20_000.0, 301);
    assert!(
        gap.abs() > tolerance,
        "no power against ignoring popularity"
    );
}

/// Each rank's share of the requests under Zipf popularity: 1/k^`exponent`, normalised over
/// `pages` ranks, as the simulator draws them.
fn zipf(pages: u32, exponent: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=pages).map(|k| f64::from(k).powf(-exponent)).collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// The hit ratio of a least-recently-used cache under the independent reference model, by the
/// Che approximation (Che, Tung and Wang, "Hierarchical Web caching systems: modeling, design and
/// experimental results", IEEE JSAC 20(7), 2002; shown exact in the limit by Fricker, Robert and
/// Roberts, 2012): a page of popularity p and size s is in a cache of capacity C if it was
/// requested within the characteristic time T, which solves Σ s (1 − e^(−λ p T)) = C, and the hit
/// ratio is Σ p (1 − e^(−λ p T)). `pages` holds each page's (p, s); a size of 1 counts pages.
fn che_hit_ratio(pages: &[(f64, f64)], rate: f64, capacity: f64) -> f64 {
    let in_cache = |t: f64| -> f64 {
        pages
            .iter()
            .map(|(p, s)| s * (1.0 - (-rate * p * t).exp()))
            .sum()
    };
    let (mut low, mut high) = (0.0, 1.0);
    while in_cache(high) < capacity {
        high *= 2.0;
    }
    for _ in 0..100 {
        let t = (low + high) / 2.0;
        if in_cache(t) < capacity {
            low = t;
        } else {
            high = t;
        }
    }
    let t = (low + high) / 2.0;
    pages
        .iter()
        .map(|(p, _)| p * (1.0 - (-rate * p * t).exp()))
        .sum()
}

/// One PoP holding 200 of 2,000 pages (Zipf 0.8), least recently used evicted; pages never expire
/// at the CDN (no timer: `s-maxage` of a year) and are never edited, so every miss is a page the
/// cache had evicted or never held. 100 requests/s for 2,000 s after a 200 s warm-up: about
/// 200,000 requests, a standard error of the hit ratio near 0.0011 (0.004 allowing for the
/// correlation of successive requests through the cache's state). Tolerance 0.015: Che's
/// approximation is within a few thousandths for Zipf popularity at this size, and a cache that
/// kept the 200 most popular pages (0.542) or every page (near 1) is far outside it.
#[test]
fn an_lru_cdn_hits_as_the_che_approximation_says() {
    let (pages, exponent, capacity, rate) = (2_000, 0.8, 200, 100.0);
    let scenario = parse(&format!(
        r#"
duration = "2200s"
warmup = "200s"
seed = 9

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "posts"
pages = {pages}
popularity = {exponent}
regen_time = "0s"

[cdn]
capacity = {capacity}

[[policies]]
name = "never"
revalidate = false
"#
    ));
    let run = model::run(&scenario, 0, 0).unwrap();
    let popularity = zipf(pages, exponent);
    let counted: Vec<(f64, f64)> = popularity.iter().map(|&p| (p, 1.0)).collect();
    let expected = che_hit_ratio(&counted, rate, f64::from(capacity));
    check(
        "LRU CDN hit ratio",
        metric(&run, "cdn_hit_ratio"),
        expected,
        0.015,
    );
    let top: f64 = popularity[..capacity as usize].iter().sum();
    assert!(
        (top - expected).abs() > 0.1,
        "the test can tell LRU from a static cache"
    );
}

/// The same cache counting bytes: two routes of 1,000 pages each (Zipf 0.8), the 30 KB pages
/// taking 80% of the requests and the 10 KB pages 20%, and PoPs of 4 MB. A page of size s and
/// popularity p is in the cache if requested within T, which now solves Σ s (1 − e^(−λ p T)) = C
/// (Che's approximation with sizes); the hit ratio is Σ p (1 − e^(−λ p T)). Counting pages
/// instead, at the mean size a page has (4 MB / 20 KB = 200 pages), is outside the tolerance.
#[test]
fn an_lru_cdn_counting_bytes_hits_as_the_che_approximation_says() {
    let (pages, exponent, rate) = (1_000, 0.8, 100.0);
    let scenario = parse(&format!(
        r#"
duration = "2200s"
warmup = "200s"
seed = 10

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "small"
pages = {pages}
share = 0.2
popularity = {exponent}
page_size = "10KB"
regen_time = "0s"

[[routes]]
name = "large"
pages = {pages}
share = 0.8
popularity = {exponent}
page_size = "30KB"
regen_time = "0s"

[cdn]
capacity = "4MB"

[[policies]]
name = "never"
revalidate = false
"#
    ));
    let run = model::run(&scenario, 0, 0).unwrap();
    let popularity = zipf(pages, exponent);
    // Each route's pages, with their share of the requests and their sizes.
    let pages: Vec<(f64, f64)> = [(0.2, 10_000.0), (0.8, 30_000.0)]
        .iter()
        .flat_map(|&(share, size)| popularity.iter().map(move |p| (p * share, size)))
        .collect();
    let expected = che_hit_ratio(&pages, rate, 4e6);
    check(
        "LRU CDN hit ratio, counting bytes",
        metric(&run, "cdn_hit_ratio"),
        expected,
        0.015,
    );
    let counted: Vec<(f64, f64)> = pages.iter().map(|&(p, _)| (p, 1.0)).collect();
    let by_count = che_hit_ratio(&counted, rate, 200.0);
    assert!(
        (by_count - expected).abs() > 0.03,
        "counting pages would give {by_count}, against {expected}"
    );
}

/// A Next.js instance whose memory holds 200 of 2,000 pages of 10 KB (`memory = "2MB"`), Zipf
/// 0.8, without a disk and with no page prerendered: a page evicted from memory is gone, so every
/// request that misses memory blocks on a regeneration, and every regeneration is such a miss
/// (no timer, no edits; regenerations take no time, so no request joins one). The share of
/// requests that regenerate is the memory's miss ratio, which the Che approximation gives as for
/// a CDN PoP: 100 requests/s for 2,000 s after a 200 s warm-up, tolerance 0.015 as above. An
/// instance that kept its 200 most requested pages (0.542), or kept every page (a hit ratio near
/// 1, as with a disk), is far outside it.
#[test]
fn next_js_memory_hits_as_the_che_approximation_says() {
    let (pages, exponent, capacity, rate) = (2_000, 0.8, 200, 100.0);
    let scenario = parse(&format!(
        r#"
duration = "2200s"
warmup = "200s"
seed = 11

[traffic]
pattern = "steady"
rate = {rate}

[[routes]]
name = "posts"
pages = {pages}
popularity = {exponent}
page_size = "10KB"
prerendered = false
regen_time = "0s"

[origin]
memory = "2MB"
disk = false

[[policies]]
name = "never"
revalidate = false
"#
    ));
    let run = model::run(&scenario, 0, 0).unwrap();
    let popularity = zipf(pages, exponent);
    let counted: Vec<(f64, f64)> = popularity.iter().map(|&p| (p, 1.0)).collect();
    let expected = che_hit_ratio(&counted, rate, f64::from(capacity));
    let hit = 1.0 - metric(&run, "regenerations") / metric(&run, "requests");
    check("Next.js memory hit ratio", hit, expected, 0.015);
    let top: f64 = popularity[..capacity as usize].iter().sum();
    assert!(
        (top - expected).abs() > 0.1,
        "the test can tell LRU from a static cache"
    );
}

// ---- 5. An origin shield in front of TTL caches -------------------------------------------------

/// A small deterministic generator (SplitMix64), so the test draws its own Poisson streams with
/// rates the simulator's traffic (PoPs picked uniformly) cannot give.
struct SplitMix(u64);

impl SplitMix {
    /// Uniform on (0, 1].
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
}

/// Poisson requests for page 0 at each PoP, PoP `i` at `rates[i]` per second, over `[0, d)`, in
/// time order.
fn poisson_at_pops(rates: &[f64], d: f64, seed: u64) -> Vec<Request> {
    let mut rng = SplitMix(seed);
    let mut requests = Vec::new();
    for (pop, &rate) in rates.iter().enumerate() {
        let mut t = -rng.uniform().ln() / rate;
        while t < d {
            requests.push(Request {
                at: SimTime::from_secs_f64(t),
                page: PageId(0),
                pop: PopId(pop as u32),
            });
            t += -rng.uniform().ln() / rate;
        }
    }
    requests.sort_by_key(|r| r.at);
    requests
}

/// One page, never edited, regenerated instantly, so the origin always answers at once; 8 PoPs
/// with `ttl` T and no stale-while-revalidate, PoP i receiving Poisson requests at rate λ_i.
///
/// Without a shield each PoP is the TTL cache of test 2, on its own: a cycle of T + Exp(λ_i)
/// and one origin fetch per cycle, so the origin sees Σ λ_i/(1+λ_iT) fetches a second.
///
/// With a shield, a PoP stores what the shield answers from its cache with the shield's
/// remaining freshness, so every PoP's copy expires at the instant the shield's does. A cycle
/// opens when the first request anywhere after that instant (an Exp(Λ) wait, Λ = Σ λ_i) misses
/// at its PoP and at the shield, and fetches from the origin; the shield's copy is fresh for T.
/// So the origin sees Λ/(1+ΛT) fetches a second: the TTL formula applied once, at the shield, to
/// the total rate. The cycle opens at PoP j with probability λ_j/Λ; every other PoP i reaches the
/// shield once within the cycle if a request comes to it within T, with probability
/// p_i = 1 − e^(−λ_iT), and is answered from the shield's cache. So the shield's hits per cycle
/// are H with E[H | j] = Σ_{i≠j} p_i, its requests 1 + H, and its hit ratio E[H]/(1 + E[H]).
///
/// Tolerances: the fetch counts are renewal processes (cycle variance 1/Λ², or 1/λ_i² per PoP,
/// added over PoPs); the hit ratio's delta-method error is sqrt(Var Z / n)/E[1+H] with
/// Z = (1−r)H − r, Var H = E[Σ_{i≠j} p_i(1−p_i)] + Var(E[H | j]), n cycles. The wrong formulas
/// (the other setup's fetch rate; the total rate's TTL hit ratio at the shield, as if it saw
/// every request) are checked to be far outside them.
#[test]
fn a_shield_fetches_from_the_origin_as_one_ttl_cache_of_the_total_rate() {
    let rates = [0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0];
    let (t, d) = (10.0, 200_000.0);
    let total: f64 = rates.iter().sum();
    let requests = poisson_at_pops(&rates, d, 77);
    let run_with = |shield: bool| {
        let scenario = parse(&format!(
            r#"
duration = "{d}s"

[traffic]
pattern = "steady"
rate = 1

[[routes]]
name = "page"
pages = 1
regen_time = "0s"

[cdn]
pops = {pops}
ttl = "{t}s"
stale_while_revalidate = "0s"
shield = {shield}

[[policies]]
name = "static"
"#,
            pops = rates.len()
        ));
        let run = Simulation::new(&scenario, 0, 0).run(requests.iter().copied(), Vec::new());
        run.0
    };

    let shielded = run_with(true);
    let once = total / (1.0 + total * t);
    let once_sd = renewal_rate_sd(d, t + 1.0 / total, 1.0 / (total * total));
    check(
        "shield: origin_requests/s",
        metric(&shielded, "origin_requests") / d,
        once,
        SIGMAS * once_sd,
    );

    let apart = run_with(false);
    let per_pop: f64 = rates.iter().map(|&l| l / (1.0 + l * t)).sum();
    let per_pop_sd = rates
        .iter()
        .map(|&l| renewal_rate_sd(d, t + 1.0 / l, 1.0 / (l * l)).powi(2))
        .sum::<f64>()
        .sqrt();
    check(
        "no shield: origin_requests/s",
        metric(&apart, "origin_requests") / d,
        per_pop,
        SIGMAS * per_pop_sd,
    );
    assert_eq!(apart.metrics.get("shield_requests"), None);
    assert_eq!(apart.metrics.get("shield_hit_ratio"), None);
    // Each formula is far outside the other's tolerance.
    assert!((per_pop - once).abs() > 100.0 * SIGMAS * (once_sd + per_pop_sd));

    let p: Vec<f64> = rates.iter().map(|&l| 1.0 - (-l * t).exp()).collect();
    let sum_p: f64 = p.iter().sum();
    let given_j: Vec<f64> = p.iter().map(|pj| sum_p - pj).collect();
    let weight = |j: usize| rates[j] / total;
    let hits: f64 = (0..rates.len()).map(|j| weight(j) * given_j[j]).sum();
    let ratio = hits / (1.0 + hits);
    let var_given_j: f64 = (0..rates.len())
        .map(|j| {
            let own = p.iter().map(|q| q * (1.0 - q)).sum::<f64>() - p[j] * (1.0 - p[j]);
            weight(j) * (own + (given_j[j] - hits).powi(2))
        })
        .sum();
    let cycles = d / (t + 1.0 / total);
    let ratio_sd = ((1.0 - ratio).powi(2) * var_given_j / cycles).sqrt() / (1.0 + hits);
    check_metric(
        "shield",
        &shielded,
        "shield_hit_ratio",
        ratio,
        SIGMAS * ratio_sd,
    );
    // Shield requests are 1 + H per cycle: the variance of the H's, and that of the number of
    // cycles (independent of them: H depends on the window, the count on the waits).
    let requests_sd = (cycles * var_given_j + ((1.0 + hits) * once_sd * d).powi(2)).sqrt() / d;
    check(
        "shield: shield_requests/s",
        metric(&shielded, "shield_requests") / d,
        (1.0 + hits) * once,
        SIGMAS * requests_sd,
    );
    // Wrong: the TTL cache's hit ratio for the total rate, as if the shield saw every request.
    let wrong = total * t / (1.0 + total * t);
    assert!((wrong - ratio).abs() > 10.0 * SIGMAS * ratio_sd);
}

//! Popularity: the Zipf exponent of a route's pages, fitted to the request counts of an access log.
//!
//! The simulator requests rank k of a route's N pages with probability k^-s / H(N, s), where
//! H(N, s) = Σ_{k=1..N} k^-s (`workload::traffic`). [`fit`] estimates s by maximum likelihood of the
//! discrete power law truncated to ranks 1..kmax, the method of Clauset, Shalizi & Newman 2009,
//! "Power-law distributions in empirical data" (SIAM Review 51(4), §3 and appendix B): setting the
//! derivative of the log-likelihood -s Σ c_k ln k - n ln H(kmax, s) to zero gives
//! E_s[ln k] = (1/n) Σ c_k ln k, and E_s[ln k] falls as s grows, so the root is unique.
//!
//! A log gives each page's count but not its rank: the rank comes from sorting the same counts,
//! and sorting puts every page that was lucky ahead of its peers. That can only lower Σ c_k ln k
//! (the rearrangement inequality), so it can only raise the likelihood estimate. Where pages
//! differ by more than their Poisson noise the effect is negligible; where popularity is nearly
//! flat it is not (1,000 equally popular pages seen 200 times each fit s ≈ 0.06). Simpson's index
//! Σ c(c-1) / (n(n-1)) estimates the collision probability Σ p_k² without bias whatever the
//! pages' order (Simpson 1949, "Measurement of diversity", Nature 163), so solving
//! Σ p_k(s)² = that index gives a second estimate that ranking noise cannot inflate, and the fit
//! keeps the smaller of the two.

use std::cmp::Reverse;

/// The fewest requests a page needs to be ranked reliably. Pages seen once or twice are tied with
/// thousands of others, and their order is arbitrary; counts that low also scatter by ±√c, which
/// is as wide as the gaps between neighbouring ranks in a tail. Fitting only the ranks above this
/// keeps the tail's noise out of the exponent.
const MIN_RANKED_COUNT: u64 = 5;

/// The steepest exponent considered: at s = 10 the top page already takes 99.9% of a route's
/// requests, so a steeper fit says nothing more.
const MAX_EXPONENT: f64 = 10.0;

/// A route's popularity, fitted.
#[derive(Clone, Debug, PartialEq)]
pub struct ZipfFit {
    /// The Zipf exponent s (0 is uniform), at most 10: the smaller of the maximum-likelihood and
    /// the Simpson-index estimates (see the module header).
    pub exponent: f64,
    /// The exponent's standard error from the Fisher information over the fitted ranks:
    /// 1 / sqrt(n · Var_s[ln k]).
    pub std_error: f64,
    /// The ranks the fit uses, 1-based and inclusive: (1, kmax).
    pub ranks: (u32, u32),
    /// The share of the route's requests within those ranks.
    pub requests_covered: f64,
    /// The Kolmogorov–Smirnov distance between the empirical and the fitted rank CDF over the
    /// fitted ranks.
    pub ks_distance: f64,
}

/// Fits the Zipf exponent to `counts`, the requests of each distinct page of a route, in any
/// order.
///
/// The fit covers ranks 1..kmax, kmax being the last rank with at least five requests; when fewer
/// than two pages have that many, it covers every page that was requested. `None` when fewer than
/// two pages were requested: an exponent describes how requests spread over pages, and one page
/// (or none) shows no spread.
pub fn fit(counts: &[u64]) -> Option<ZipfFit> {
    let mut ranked: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
    if ranked.len() < 2 {
        return None;
    }
    ranked.sort_unstable_by_key(|&c| Reverse(c));
    let total: f64 = ranked.iter().map(|&c| c as f64).sum();
    let reliable = ranked.partition_point(|&c| c >= MIN_RANKED_COUNT);
    let kmax = if reliable >= 2 {
        reliable
    } else {
        ranked.len()
    };
    let fitted = &ranked[..kmax];
    let ln_rank: Vec<f64> = (1..=kmax).map(|k| (k as f64).ln()).collect();
    let n: f64 = fitted.iter().map(|&c| c as f64).sum();

    let likelihood = likelihood_exponent(fitted, &ln_rank, n);
    let exponent = likelihood.min(simpson_exponent(fitted, &ln_rank, n, likelihood));
    let at = Moments::at(&ln_rank, exponent);
    Some(ZipfFit {
        exponent,
        std_error: 1.0 / (n * at.variance_ln_rank()).sqrt(),
        ranks: (1, u32::try_from(kmax).unwrap_or(u32::MAX)),
        requests_covered: n / total,
        ks_distance: ks_distance(fitted, n, &ln_rank, exponent),
    })
}

/// The maximum-likelihood exponent over the fitted ranks: the root of
/// E_s[ln k] = mean observed ln k.
fn likelihood_exponent(fitted: &[u64], ln_rank: &[f64], n: f64) -> f64 {
    let observed: f64 = fitted
        .iter()
        .zip(ln_rank)
        .map(|(&c, &l)| c as f64 * l)
        .sum::<f64>()
        / n;
    // E_s[ln k] falls with s at the rate Var_s[ln k], so observed - E_s[ln k] rises with it.
    solve_rising(
        |s| {
            let m = Moments::at(ln_rank, s);
            (observed - m.mean_ln_rank(), m.variance_ln_rank())
        },
        1.0,
    )
}

/// The exponent whose collision probability Σ p_k(s)² equals Simpson's unbiased estimate of it,
/// Σ c(c-1) / (n(n-1)), over the fitted ranks. `start` is where the search begins.
fn simpson_exponent(fitted: &[u64], ln_rank: &[f64], n: f64, start: f64) -> f64 {
    let collisions: f64 = fitted.iter().map(|&c| c as f64 * (c as f64 - 1.0)).sum();
    if collisions <= 0.0 || n < 2.0 {
        // No page was seen twice: nothing sets pages apart, as with a uniform route.
        return 0.0;
    }
    let target = (collisions / (n * (n - 1.0))).ln();
    // ln Σp² = ln Σw² - 2 ln Σw with w = k^-s; its derivative 2(E_s[ln k] - E_2s[ln k]) is
    // never negative, since E_s[ln k] falls with s.
    solve_rising(
        |s| {
            let m = Moments::at(ln_rank, s);
            let ln_collision = m.sum_sq_weight.ln() - 2.0 * m.sum_weight.ln();
            (
                ln_collision - target,
                2.0 * (m.mean_ln_rank() - m.sum_sq_weight_ln_rank / m.sum_sq_weight),
            )
        },
        start,
    )
}

/// Sums over ranks 1..kmax of the weights w_k = k^-s, which all the fits need, in one pass.
struct Moments {
    sum_weight: f64,
    sum_weight_ln_rank: f64,
    sum_weight_ln_rank_sq: f64,
    sum_sq_weight: f64,
    sum_sq_weight_ln_rank: f64,
}

impl Moments {
    fn at(ln_rank: &[f64], s: f64) -> Moments {
        let mut m = Moments {
            sum_weight: 0.0,
            sum_weight_ln_rank: 0.0,
            sum_weight_ln_rank_sq: 0.0,
            sum_sq_weight: 0.0,
            sum_sq_weight_ln_rank: 0.0,
        };
        for &l in ln_rank {
            let w = (-s * l).exp();
            m.sum_weight += w;
            m.sum_weight_ln_rank += w * l;
            m.sum_weight_ln_rank_sq += w * l * l;
            m.sum_sq_weight += w * w;
            m.sum_sq_weight_ln_rank += w * w * l;
        }
        m
    }

    fn mean_ln_rank(&self) -> f64 {
        self.sum_weight_ln_rank / self.sum_weight
    }

    fn variance_ln_rank(&self) -> f64 {
        let mean = self.mean_ln_rank();
        (self.sum_weight_ln_rank_sq / self.sum_weight - mean * mean).max(0.0)
    }
}

/// The root in [0, MAX_EXPONENT] of `g`, a function that never falls, given as (g(s), g'(s)):
/// 0 when g(0) >= 0 and MAX_EXPONENT when g(MAX_EXPONENT) <= 0. Newton's method from `start`,
/// falling back to bisection whenever a step would leave the bracket, which keeps it safe where
/// g is flat (the Simpson condition at s = 0).
fn solve_rising(g: impl Fn(f64) -> (f64, f64), start: f64) -> f64 {
    let (mut low, mut high) = (0.0, MAX_EXPONENT);
    if g(low).0 >= 0.0 {
        return low;
    }
    if g(high).0 <= 0.0 {
        return high;
    }
    let mut s = start.clamp(low, high);
    for _ in 0..200 {
        let (value, slope) = g(s);
        if value == 0.0 {
            return s;
        }
        if value < 0.0 {
            low = s;
        } else {
            high = s;
        }
        let newton = s - value / slope;
        let next = if slope > 0.0 && newton > low && newton < high {
            newton
        } else {
            0.5 * (low + high)
        };
        if (next - s).abs() < 1e-12 || high - low < 1e-12 {
            return next;
        }
        s = next;
    }
    s
}

/// The largest gap between the empirical rank CDF and the fitted one over ranks 1..kmax.
fn ks_distance(fitted: &[u64], n: f64, ln_rank: &[f64], s: f64) -> f64 {
    let norm: f64 = ln_rank.iter().map(|&l| (-s * l).exp()).sum();
    let (mut empirical, mut model, mut distance) = (0.0, 0.0, 0.0_f64);
    for (&c, &l) in fitted.iter().zip(ln_rank) {
        empirical += c as f64 / n;
        model += (-s * l).exp() / norm;
        distance = distance.max((empirical - model).abs());
    }
    distance
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Requests per page of `requests` draws from Zipf(s) over `pages` pages, by inverse CDF.
    fn zipf_sample(s: f64, pages: usize, requests: usize, seed: u64) -> Vec<u64> {
        let mut cumulative = Vec::with_capacity(pages);
        let mut sum = 0.0;
        for k in 1..=pages {
            sum += (k as f64).powf(-s);
            cumulative.push(sum);
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut counts = vec![0; pages];
        for _ in 0..requests {
            let u = rng.random::<f64>() * sum;
            let page = cumulative.partition_point(|&c| c <= u).min(pages - 1);
            counts[page] += 1;
        }
        counts
    }

    #[test]
    fn recovers_the_exponent_of_a_zipf_sample() {
        for (seed, (s, pages)) in [(0.6, 2000), (1.0, 5000), (1.2, 1000)]
            .into_iter()
            .enumerate()
        {
            let counts = zipf_sample(s, pages, 200_000, seed as u64 + 1);
            let fit = fit(&counts).unwrap();
            println!("s {s} N {pages}: {fit:?}");
            assert!((fit.exponent - s).abs() < 0.05, "s {s}: {fit:?}");
            // 200,000 requests pin s to about ±0.001.
            assert!(
                fit.std_error > 0.0 && fit.std_error < 0.02,
                "s {s}: {fit:?}"
            );
            assert!(fit.ks_distance < 0.02, "s {s}: {fit:?}");
            assert_eq!(fit.ranks.0, 1);
            assert!(fit.ranks.1 >= 2 && fit.ranks.1 as usize <= pages);
            assert!(fit.requests_covered > 0.9 && fit.requests_covered <= 1.0);
        }
    }

    #[test]
    fn a_uniform_route_fits_near_zero_though_its_sorted_ranks_lean() {
        let counts = zipf_sample(0.0, 1000, 200_000, 11);
        let fit = fit(&counts).unwrap();
        println!("uniform: {fit:?}");
        assert!(fit.exponent < 0.05, "{fit:?}");
        // Why the Simpson estimate is there: ranking the pages by their own counts makes the
        // likelihood alone see a slope that is not in the traffic.
        let mut ranked = counts.clone();
        ranked.sort_unstable_by_key(|&c| Reverse(c));
        let ln_rank: Vec<f64> = (1..=ranked.len()).map(|k| (k as f64).ln()).collect();
        let n = ranked.iter().sum::<u64>() as f64;
        let likelihood = likelihood_exponent(&ranked, &ln_rank, n);
        println!("uniform, likelihood alone: {likelihood}");
        assert!(likelihood > 0.05, "{likelihood}");
    }

    #[test]
    fn the_order_of_the_counts_does_not_matter() {
        let counts = zipf_sample(0.8, 3000, 50_000, 5);
        let mut reversed = counts.clone();
        reversed.reverse();
        assert_eq!(fit(&counts), fit(&reversed));
    }

    #[test]
    fn likelihood_of_two_pages_is_the_log_ratio_of_their_counts() {
        // With two ranks, p1/p2 = 2^s, so the likelihood equation gives s = log2(c1/c2).
        let ln_rank = [0.0, 2.0_f64.ln()];
        let s = likelihood_exponent(&[80, 20], &ln_rank, 100.0);
        assert!((s - 2.0).abs() < 1e-9, "{s}");
        // Simpson: (80·79 + 20·19) / (100·99) against (1 + 4^-s) / (1 + 2^-s)².
        let simpson = simpson_exponent(&[80, 20], &ln_rank, 100.0, s);
        let collision = |s: f64| (1.0 + 4.0_f64.powf(-s)) / (1.0 + 2.0_f64.powf(-s)).powi(2);
        assert!(
            (collision(simpson) - 6700.0 / 9900.0).abs() < 1e-9,
            "{simpson}"
        );
        let fit = fit(&[20, 80]).unwrap();
        assert_eq!(fit.exponent, simpson.min(s));
        assert_eq!(fit.ranks, (1, 2));
    }

    #[test]
    fn the_fit_stops_at_the_last_page_seen_five_times() {
        let fit = fit(&[100, 50, 30, 9, 5, 4, 1, 1, 0]).unwrap();
        assert_eq!(fit.ranks, (1, 5));
        assert!((fit.requests_covered - 194.0 / 200.0).abs() < 1e-12);
        // Fewer than two pages with five requests: every requested page counts.
        let fit = super::fit(&[9, 3, 1, 0]).unwrap();
        assert_eq!(fit.ranks, (1, 3));
        assert_eq!(fit.requests_covered, 1.0);
    }

    #[test]
    fn too_little_to_fit_gives_none_and_small_samples_stay_finite() {
        assert_eq!(fit(&[]), None);
        assert_eq!(fit(&[7]), None);
        assert_eq!(fit(&[0, 0]), None);
        assert_eq!(fit(&[7, 0]), None);
        for counts in [
            &[1, 1][..],
            &[1, 1, 1, 1],
            &[3, 1],
            &[1_000_000, 1],
            &[u64::from(u32::MAX), 2, 1],
        ] {
            let fit = fit(counts).unwrap();
            for x in [
                fit.exponent,
                fit.std_error,
                fit.requests_covered,
                fit.ks_distance,
            ] {
                assert!(x.is_finite() && x >= 0.0, "{counts:?}: {fit:?}");
            }
            assert!(fit.exponent <= MAX_EXPONENT);
        }
        // Every page seen once: nothing sets them apart.
        assert_eq!(fit(&[1, 1, 1, 1]).unwrap().exponent, 0.0);
    }
}

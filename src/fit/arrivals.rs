//! Arrivals: which of the simulator's traffic patterns explains an access log's request times, and
//! with what parameters.
//!
//! The requests of each second are summed into intervals, and three candidates are fitted to the
//! interval counts, each as an inhomogeneous Poisson process, so that their log-likelihoods compare:
//!
//! - `steady`, a homogeneous Poisson process: its rate is the mean count.
//! - `bursty`, the simulator's two-state Markov-modulated Poisson process (MMPP), discretised into
//!   a two-state hidden Markov model with Poisson emissions, as is usual for MMPP traffic on
//!   counts, and fitted by Baum–Welch with the scaled forward–backward recursions of Rabiner 1989,
//!   "A tutorial on hidden Markov models and selected applications in speech recognition"
//!   (Proc. IEEE 77(2), §V.A).
//! - `diurnal`, a rate a + b·cos ωt + c·sin ωt with a one-day period, fitted by least squares
//!   (harmonic regression).
//!
//! Counts that scatter no more than a Poisson process's pass for `steady`: the index of dispersion
//! (variance / mean), whose (n-1)-fold is χ²(n-1) for Poisson counts (Cox & Lewis 1966, "The
//! statistical analysis of series of events"), tests that. Otherwise the candidate with the
//! lowest BIC (Schwarz 1978, "Estimating the dimension of a model") is chosen, which charges each
//! parameter ln(intervals) of log-likelihood.

use std::f64::consts::TAU;

/// The interval widths tried, in seconds: round figures a reader can check against a log.
const WIDTHS_S: [u32; 13] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/// The most intervals the counts are cut into. Bursts shorter than a few intervals are smeared
/// across them, and the hidden Markov model then reads a half-filled interval as a weak burst:
/// cut into 2,000 intervals, a two-day log has 120 s intervals and its 60/s bursts of two minutes
/// fit as about 43/s. At 100,000 intervals (1 s over a day, 2 s over two, 10 s over a week) they
/// fit within 1%. Baum–Welch costs about 30 ns per interval and iteration, so a log converges in
/// tens of milliseconds, and even the 200-iteration cap costs about half a second.
const MAX_INTERVALS: usize = 100_000;

/// The period of the diurnal candidate: a daily cycle.
const DAY_S: f64 = 86_400.0;

/// Baum–Welch stops when an iteration improves the log-likelihood by less than this share of it.
const TOLERANCE: f64 = 1e-6;
const MAX_ITERATIONS: usize = 200;

/// The least expected count of an interval: a fitted rate at or below zero would make a request
/// there impossible and the log-likelihood infinite.
const MIN_EXPECTED: f64 = 1e-9;

/// The least transition probability the hidden Markov model keeps, so that no state sequence
/// becomes impossible and the forward recursion never divides by zero.
const MIN_PROBABILITY: f64 = 1e-12;

/// A traffic pattern of the simulator (`scenario::Traffic`), with its parameters in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Steady {
        rate: f64,
    },
    /// A two-state MMPP starting quiet: bursts last `burst_length_s` on average and start
    /// `burst_every_s` apart on average, so quiet spells average `burst_every_s - burst_length_s`.
    Bursty {
        base_rate: f64,
        burst_rate: f64,
        burst_length_s: f64,
        burst_every_s: f64,
    },
    /// rate = mid + amp · cos(2π (t - peak_at_s) / period_s), with mid ± amp = max/min, and t the
    /// seconds since the log's first request.
    Diurnal {
        min_rate: f64,
        max_rate: f64,
        period_s: f64,
        peak_at_s: f64,
    },
}

/// One fitted pattern and how well it explains the interval counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub pattern: Pattern,
    /// The log-likelihood of the interval counts under the pattern.
    pub log_likelihood: f64,
    /// The pattern's free parameters.
    pub parameters: u32,
    /// -2 · log_likelihood + parameters · ln(intervals): lower is better.
    pub bic: f64,
}

/// The arrivals of a log, fitted.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalFit {
    /// The width of the counting interval, in seconds.
    pub interval_s: u32,
    pub intervals: usize,
    /// Requests per second over the whole log.
    pub mean_rate: f64,
    /// The index of dispersion (variance / mean) of the interval counts; 1 for a Poisson process.
    pub dispersion: f64,
    /// Whether the dispersion is within three standard deviations of a Poisson process's.
    pub poisson_like: bool,
    /// Steady, bursty and diurnal, in that order, leaving out those that could not be fitted.
    pub candidates: Vec<Candidate>,
    /// The index in `candidates` of the pattern chosen.
    pub chosen: usize,
    /// The chosen pattern's expected rate (requests/s) in each interval, for a chart: the
    /// constant for steady, the sinusoid for diurnal, and for bursty the rates of the two states
    /// weighted by the posterior probability of each.
    pub fitted_rate: Vec<f64>,
    /// The requests of each hour of the day (hour 0 from the log's first second), averaged over
    /// the whole hours the log covers of it: `None` for a log shorter than a day.
    pub hourly: Option<[f64; 24]>,
}

impl ArrivalFit {
    /// The hourly profile to propose as `[traffic] hourly`: the measured one, when the log
    /// covers a day and its counts are clearly not flat, which is when the daily sinusoid
    /// explains them best of the candidates.
    pub fn proposed_hourly(&self) -> Option<[f64; 24]> {
        let diurnal = matches!(
            self.candidates.get(self.chosen).map(|c| &c.pattern),
            Some(Pattern::Diurnal { .. })
        );
        self.hourly.filter(|_| diurnal)
    }
}

/// The requests of each hour of the day in `per_second`, averaged over the whole hours covered;
/// `None` before a whole day.
fn hourly(per_second: &[u32]) -> Option<[f64; 24]> {
    if per_second.len() < DAY_S as usize {
        return None;
    }
    let (mut sums, mut hours) = ([0.0; 24], [0.0; 24]);
    for (k, hour) in per_second.chunks_exact(3_600).enumerate() {
        sums[k % 24] += hour.iter().map(|&c| f64::from(c)).sum::<f64>();
        hours[k % 24] += 1.0;
    }
    let mut mean = [0.0; 24];
    for ((m, s), n) in mean.iter_mut().zip(sums).zip(hours) {
        *m = s / n;
    }
    Some(mean)
}

/// Fits the traffic patterns to `per_second`, the requests in each second since the log's first
/// request.
///
/// `None` when no counting interval holds a request. The last interval is dropped when the log's
/// length is not a whole number of intervals, as it would read as a lull.
pub fn fit(per_second: &[u32]) -> Option<ArrivalFit> {
    let requests: u64 = per_second.iter().map(|&c| u64::from(c)).sum();
    if requests == 0 {
        return None;
    }
    let width = interval_width(per_second.len());
    let counts: Vec<u64> = per_second
        .chunks_exact(width as usize)
        .map(|chunk| chunk.iter().map(|&c| u64::from(c)).sum())
        .collect();
    if counts.iter().all(|&c| c == 0) {
        return None;
    }
    let delta = f64::from(width);
    let ln_factorials = sum_ln_factorials(&counts);
    let ln_intervals = (counts.len() as f64).ln();
    let (dispersion, poisson_like) = dispersion(&counts);

    let fits = [
        Some(steady(&counts, delta)),
        bursty(&counts, delta),
        diurnal(&counts, delta),
    ];
    let mut candidates = Vec::with_capacity(fits.len());
    let mut rates = Vec::with_capacity(fits.len());
    for (pattern, ln_likelihood, parameters, rate) in fits.into_iter().flatten() {
        // The ln(c!) terms are the same under every candidate; they make the figure a true
        // log-likelihood, comparable with other tools'.
        let log_likelihood = ln_likelihood - ln_factorials;
        candidates.push(Candidate {
            pattern,
            log_likelihood,
            parameters,
            bic: -2.0 * log_likelihood + f64::from(parameters) * ln_intervals,
        });
        rates.push(rate);
    }
    let chosen = if poisson_like {
        0
    } else {
        (0..candidates.len())
            .min_by(|&a, &b| candidates[a].bic.total_cmp(&candidates[b].bic))
            .unwrap_or(0)
    };
    Some(ArrivalFit {
        interval_s: width,
        intervals: counts.len(),
        mean_rate: requests as f64 / per_second.len() as f64,
        dispersion,
        poisson_like,
        fitted_rate: rates.swap_remove(chosen),
        candidates,
        chosen,
        hourly: hourly(per_second),
    })
}

/// The smallest width in `WIDTHS_S` that cuts `seconds` into at most `MAX_INTERVALS` whole
/// intervals; beyond an hour's width, the whole hours that do.
fn interval_width(seconds: usize) -> u32 {
    WIDTHS_S
        .iter()
        .copied()
        .find(|&w| seconds / w as usize <= MAX_INTERVALS)
        .unwrap_or_else(|| {
            let hours = seconds.div_ceil(MAX_INTERVALS).div_ceil(3600);
            u32::try_from(hours * 3600).unwrap_or(u32::MAX)
        })
}

/// The index of dispersion of the counts, and whether it is within three standard deviations
/// (sqrt(2/(n-1)) each) of a Poisson process's 1. One interval shows no spread, so it passes.
fn dispersion(counts: &[u64]) -> (f64, bool) {
    let n = counts.len();
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n as f64;
    if n < 2 || mean <= 0.0 {
        return (1.0, true);
    }
    let variance = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    let d = variance / mean;
    (d, d < 1.0 + 3.0 * (2.0 / (n - 1) as f64).sqrt())
}

/// A fitted pattern: the pattern, its log-likelihood without the ln(c!) terms, its free
/// parameters, and its expected rate in each interval.
type Fitted = (Pattern, f64, u32, Vec<f64>);

/// Σ (c ln μ - μ) over the intervals, μ being each interval's expected count: the Poisson
/// log-likelihood without its ln(c!) terms.
fn poisson_ln_likelihood(counts: &[u64], expected: impl Iterator<Item = f64>) -> f64 {
    counts
        .iter()
        .zip(expected)
        .map(|(&c, mu)| {
            let mu = mu.max(MIN_EXPECTED);
            if c == 0 { -mu } else { c as f64 * mu.ln() - mu }
        })
        .sum()
}

fn steady(counts: &[u64], delta: f64) -> Fitted {
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / counts.len() as f64;
    let ln_likelihood = poisson_ln_likelihood(counts, std::iter::repeat(mean));
    let rate = mean / delta;
    (
        Pattern::Steady { rate },
        ln_likelihood,
        1,
        vec![rate; counts.len()],
    )
}

/// The daily sinusoid by least squares on the counts, solving the 3×3 normal equations. `None`
/// when the log is too short for the cosine and sine to be told apart from a constant.
fn diurnal(counts: &[u64], delta: f64) -> Option<Fitted> {
    if counts.len() < 3 {
        return None;
    }
    let w = TAU / DAY_S;
    let regressors = |i: usize| {
        let t = (i as f64 + 0.5) * delta;
        [1.0, (w * t).cos(), (w * t).sin()]
    };
    let mut normal = [[0.0; 3]; 3];
    let mut right = [0.0; 3];
    for (i, &c) in counts.iter().enumerate() {
        let x = regressors(i);
        for (row, &xr) in normal.iter_mut().zip(&x) {
            for (cell, &xq) in row.iter_mut().zip(&x) {
                *cell += xr * xq;
            }
        }
        for (r, &xr) in right.iter_mut().zip(&x) {
            *r += xr * c as f64;
        }
    }
    let [a, b, c] = solve_3x3(&normal, &right)?;
    let expected = |i: usize| {
        let x = regressors(i);
        a + b * x[1] + c * x[2]
    };
    let ln_likelihood = poisson_ln_likelihood(counts, (0..counts.len()).map(expected));
    let mid = a / delta;
    let amp = b.hypot(c) / delta;
    let mut peak_at_s = (c.atan2(b) / w).rem_euclid(DAY_S);
    if peak_at_s >= DAY_S {
        // rem_euclid of a tiny negative number rounds up to the period itself.
        peak_at_s = 0.0;
    }
    let min_rate = (mid - amp).max(0.0);
    let pattern = Pattern::Diurnal {
        min_rate,
        max_rate: (mid + amp).max(min_rate),
        period_s: DAY_S,
        peak_at_s,
    };
    let rate = (0..counts.len())
        .map(|i| expected(i).max(0.0) / delta)
        .collect();
    Some((pattern, ln_likelihood, 3, rate))
}

/// Solves m·x = v by Cramer's rule. `None` when m is singular or nearly so: its determinant is
/// below 1e-12 of the product of its diagonal, which bounds it for a matrix of sums of squares.
fn solve_3x3(m: &[[f64; 3]; 3], v: &[f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    let scale = m[0][0] * m[1][1] * m[2][2];
    if !d.is_finite() || d.abs() <= 1e-12 * scale.abs() {
        return None;
    }
    let mut x = [0.0; 3];
    for (column, xc) in x.iter_mut().enumerate() {
        let mut replaced = *m;
        for (row, &vr) in replaced.iter_mut().zip(v) {
            row[column] = vr;
        }
        *xc = det(&replaced) / d;
    }
    x.iter().all(|xc| xc.is_finite()).then_some(x)
}

/// The two-state hidden Markov model of the bursty candidate, per interval: state 0 and 1 have
/// expected counts `rate`, `switch[i][j]` is the chance of moving from state i to j between two
/// intervals, and `start` the chance of each state in the first.
#[derive(Clone, Debug)]
struct Hmm {
    rate: [f64; 2],
    switch: [[f64; 2]; 2],
    start: [f64; 2],
}

/// The buffers of the forward–backward recursions, reused across Baum–Welch iterations.
struct ForwardBackward {
    /// Each interval's emission probabilities, divided by the larger of the two so that neither
    /// underflows for large counts; the divisor goes back into the log-likelihood.
    emission: Vec<[f64; 2]>,
    /// The scaled forward variables, then the posterior state probabilities.
    posterior: Vec<[f64; 2]>,
    scale: Vec<f64>,
    /// Σ_t of the posterior probability of each transition.
    transitions: [[f64; 2]; 2],
}

impl ForwardBackward {
    fn new(intervals: usize) -> ForwardBackward {
        ForwardBackward {
            emission: vec![[0.0; 2]; intervals],
            posterior: vec![[0.0; 2]; intervals],
            scale: vec![0.0; intervals],
            transitions: [[0.0; 2]; 2],
        }
    }

    /// The E step: fills the posteriors and transition counts under `hmm` and returns the
    /// log-likelihood of the counts without the ln(c!) terms.
    fn run(&mut self, counts: &[u64], hmm: &Hmm) -> f64 {
        let ln_rate = hmm.rate.map(f64::ln);
        let a = &hmm.switch;
        let mut ln_likelihood = 0.0;
        let mut previous = [0.0; 2];
        for (t, &c) in counts.iter().enumerate() {
            let c = c as f64;
            let e = [c * ln_rate[0] - hmm.rate[0], c * ln_rate[1] - hmm.rate[1]];
            let top = e[0].max(e[1]);
            let b = [(e[0] - top).exp(), (e[1] - top).exp()];
            let prior = if t == 0 {
                hmm.start
            } else {
                [
                    previous[0] * a[0][0] + previous[1] * a[1][0],
                    previous[0] * a[0][1] + previous[1] * a[1][1],
                ]
            };
            let alpha = [prior[0] * b[0], prior[1] * b[1]];
            let s = alpha[0] + alpha[1];
            previous = [alpha[0] / s, alpha[1] / s];
            self.emission[t] = b;
            self.posterior[t] = previous;
            self.scale[t] = s;
            ln_likelihood += s.ln() + top;
        }
        // Backward: beta is scaled by the same factors, so alpha·beta is the posterior itself.
        self.transitions = [[0.0; 2]; 2];
        let mut beta = [1.0, 1.0];
        for t in (0..counts.len().saturating_sub(1)).rev() {
            let next = self.emission[t + 1];
            let s = self.scale[t + 1];
            let weighted = [next[0] * beta[0] / s, next[1] * beta[1] / s];
            let alpha = self.posterior[t];
            for (i, row) in self.transitions.iter_mut().enumerate() {
                for (j, cell) in row.iter_mut().enumerate() {
                    *cell += alpha[i] * a[i][j] * weighted[j];
                }
            }
            beta = [
                a[0][0] * weighted[0] + a[0][1] * weighted[1],
                a[1][0] * weighted[0] + a[1][1] * weighted[1],
            ];
            let g = [alpha[0] * beta[0], alpha[1] * beta[1]];
            let sum = g[0] + g[1];
            self.posterior[t] = [g[0] / sum, g[1] / sum];
        }
        ln_likelihood
    }

    /// The M step: the model that maximises the expected log-likelihood under the posteriors.
    fn reestimate(&self, counts: &[u64], hmm: &Hmm) -> Hmm {
        let mut weight = [0.0; 2];
        let mut weighted_count = [0.0; 2];
        for (g, &c) in self.posterior.iter().zip(counts) {
            for ((w, wc), &p) in weight.iter_mut().zip(&mut weighted_count).zip(g) {
                *w += p;
                *wc += p * c as f64;
            }
        }
        let rate = [0, 1].map(|j| {
            if weight[j] > 0.0 {
                (weighted_count[j] / weight[j]).max(MIN_EXPECTED)
            } else {
                hmm.rate[j]
            }
        });
        let mut switch = hmm.switch;
        for (row, counted) in switch.iter_mut().zip(&self.transitions) {
            let out = counted[0] + counted[1];
            if out > 0.0 {
                *row = probabilities([counted[0] / out, counted[1] / out]);
            }
        }
        Hmm {
            rate,
            switch,
            start: probabilities(self.posterior[0]),
        }
    }
}

/// `p` floored at `MIN_PROBABILITY` and scaled back to a sum of 1.
fn probabilities(p: [f64; 2]) -> [f64; 2] {
    let p = p.map(|x| {
        if x.is_finite() {
            x.max(MIN_PROBABILITY)
        } else {
            0.5
        }
    });
    let sum = p[0] + p[1];
    [p[0] / sum, p[1] / sum]
}

/// The bursty candidate: a two-state Poisson hidden Markov model by Baum–Welch. `None` when the
/// counts take a single value, which leaves nothing to tell two states apart by.
fn bursty(counts: &[u64], delta: f64) -> Option<Fitted> {
    let mut hmm = two_means(counts)?;
    let mut fb = ForwardBackward::new(counts.len());
    let mut ln_likelihood = fb.run(counts, &hmm);
    for _ in 0..MAX_ITERATIONS {
        let next = fb.reestimate(counts, &hmm);
        let next_ln_likelihood = fb.run(counts, &next);
        let gain = next_ln_likelihood - ln_likelihood;
        hmm = next;
        ln_likelihood = next_ln_likelihood;
        if gain < TOLERANCE * ln_likelihood.abs() {
            break;
        }
    }
    let (quiet, burst) = if hmm.rate[0] <= hmm.rate[1] {
        (0, 1)
    } else {
        (1, 0)
    };
    // A run of a state lasts 1/P(leave) intervals on average (geometric); a spell longer than
    // the log cannot be measured from it, so none is reported longer.
    let duration = counts.len() as f64 * delta;
    let sojourn = |from: usize, to: usize| (delta / hmm.switch[from][to]).min(duration);
    let burst_length_s = sojourn(burst, quiet);
    let pattern = Pattern::Bursty {
        base_rate: hmm.rate[quiet] / delta,
        burst_rate: hmm.rate[burst] / delta,
        burst_length_s,
        burst_every_s: burst_length_s + sojourn(quiet, burst),
    };
    let rate = fb
        .posterior
        .iter()
        .map(|g| (g[0] * hmm.rate[0] + g[1] * hmm.rate[1]) / delta)
        .collect();
    Some((pattern, ln_likelihood, 4, rate))
}

/// The starting model for Baum–Welch: the two means of 1-D k-means on the counts (Lloyd's
/// iterations from the smallest and largest count), and the transitions between the two
/// clusters along the log, each with one extra transition counted so that none is impossible.
fn two_means(counts: &[u64]) -> Option<Hmm> {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let (&low, &high) = (sorted.first()?, sorted.last()?);
    if low == high {
        return None;
    }
    let mut prefix = Vec::with_capacity(sorted.len() + 1);
    prefix.push(0.0);
    let mut sum = 0.0;
    for &c in &sorted {
        sum += c as f64;
        prefix.push(sum);
    }
    let (mut means, mut split) = ([low as f64, high as f64], 0);
    for _ in 0..100 {
        let threshold = 0.5 * (means[0] + means[1]);
        let next = sorted.partition_point(|&c| c as f64 <= threshold);
        if next == split || next == 0 || next == sorted.len() {
            break;
        }
        split = next;
        means = [
            prefix[split] / split as f64,
            (sum - prefix[split]) / (sorted.len() - split) as f64,
        ];
    }
    let threshold = 0.5 * (means[0] + means[1]);
    let state = |c: u64| usize::from(c as f64 > threshold);
    let mut moves = [[1.0; 2]; 2];
    for pair in counts.windows(2) {
        moves[state(pair[0])][state(pair[1])] += 1.0;
    }
    let switch = moves.map(probabilities);
    Some(Hmm {
        rate: means.map(|m| m.max(MIN_EXPECTED)),
        switch,
        start: [0.5, 0.5],
    })
}

/// Σ ln(c!) over the counts: exact sums of logarithms up to 256, Stirling's series beyond, where
/// its first omitted term is below 1e-20.
fn sum_ln_factorials(counts: &[u64]) -> f64 {
    const EXACT: usize = 256;
    let mut table = [0.0; EXACT + 1];
    let mut running = 0.0;
    for (k, cell) in table.iter_mut().enumerate().skip(2) {
        running += (k as f64).ln();
        *cell = running;
    }
    counts
        .iter()
        .map(|&c| match usize::try_from(c) {
            Ok(c) if c <= EXACT => table[c],
            _ => {
                let n = c as f64;
                n * n.ln() - n + 0.5 * (TAU * n).ln() + 1.0 / (12.0 * n) - 1.0 / (360.0 * n.powi(3))
                    + 1.0 / (1260.0 * n.powi(5))
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Exp1};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn exp(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
        let e: f64 = Exp1.sample(rng);
        e * mean
    }

    fn steady_log(rate: f64, seconds: usize, seed: u64) -> Vec<u32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut per_second = vec![0; seconds];
        let mut t = exp(&mut rng, 1.0 / rate);
        while t < seconds as f64 {
            per_second[t as usize] += 1;
            t += exp(&mut rng, 1.0 / rate);
        }
        per_second
    }

    /// The simulator's bursty process, exactly: exponential sojourns starting quiet, and a fresh
    /// exponential gap at each switch (the gap is memoryless). Also returns the bursts that
    /// began and their mean length, to compare the fit with what the log actually holds.
    fn bursty_log(
        base: f64,
        burst: f64,
        length: f64,
        every: f64,
        seconds: usize,
        seed: u64,
    ) -> (Vec<u32>, usize, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let end = seconds as f64;
        let mut per_second = vec![0; seconds];
        let (mut t, mut in_burst) = (0.0, false);
        let mut switch_at = exp(&mut rng, every - length);
        let (mut bursts, mut burst_time) = (0, 0.0);
        while t < end {
            let rate = if in_burst { burst } else { base };
            let next = t + exp(&mut rng, 1.0 / rate);
            if next < switch_at {
                t = next;
                if t < end {
                    per_second[t as usize] += 1;
                }
                continue;
            }
            t = switch_at;
            in_burst = !in_burst;
            let spell = exp(&mut rng, if in_burst { length } else { every - length });
            if in_burst && t < end {
                bursts += 1;
                burst_time += spell.min(end - t);
            }
            switch_at = t + spell;
        }
        (per_second, bursts, burst_time / bursts as f64)
    }

    /// The simulator's diurnal process, by Lewis–Shedler thinning.
    fn diurnal_log(min: f64, max: f64, peak_at: f64, seconds: usize, seed: u64) -> Vec<u32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mid, amp) = ((min + max) / 2.0, (max - min) / 2.0);
        let mut per_second = vec![0; seconds];
        let mut t = exp(&mut rng, 1.0 / max);
        while t < seconds as f64 {
            let rate = mid + amp * (TAU * (t - peak_at) / DAY_S).cos();
            if rng.random::<f64>() * max < rate {
                per_second[t as usize] += 1;
            }
            t += exp(&mut rng, 1.0 / max);
        }
        per_second
    }

    fn assert_finite(fit: &ArrivalFit) {
        let mut figures = vec![fit.mean_rate, fit.dispersion];
        figures.extend(&fit.fitted_rate);
        for c in &fit.candidates {
            figures.extend([c.log_likelihood, c.bic]);
            match c.pattern {
                Pattern::Steady { rate } => figures.push(rate),
                Pattern::Bursty {
                    base_rate,
                    burst_rate,
                    burst_length_s,
                    burst_every_s,
                } => figures.extend([base_rate, burst_rate, burst_length_s, burst_every_s]),
                Pattern::Diurnal {
                    min_rate,
                    max_rate,
                    period_s,
                    peak_at_s,
                } => figures.extend([min_rate, max_rate, period_s, peak_at_s]),
            }
        }
        assert!(figures.iter().all(|x| x.is_finite()), "{fit:?}");
        assert!(fit.chosen < fit.candidates.len());
        assert_eq!(fit.fitted_rate.len(), fit.intervals);
    }

    fn close(estimate: f64, truth: f64, tolerance: f64) -> bool {
        (estimate / truth - 1.0).abs() < tolerance
    }

    #[test]
    fn steady_traffic_is_poisson_like_and_steady() {
        let fit = fit(&steady_log(20.0, 6 * 3600, 1)).unwrap();
        assert_finite(&fit);
        println!(
            "steady: {:?} dispersion {} interval {} s",
            fit.candidates, fit.dispersion, fit.interval_s
        );
        assert!(fit.poisson_like, "dispersion {}", fit.dispersion);
        let Pattern::Steady { rate } = fit.candidates[fit.chosen].pattern else {
            panic!("chose {:?}", fit.candidates[fit.chosen]);
        };
        // 432,000 requests: the rate is known to ±0.15%.
        assert!(close(rate, 20.0, 0.02), "{rate}");
        assert!(close(fit.mean_rate, 20.0, 0.02), "{}", fit.mean_rate);
    }

    #[test]
    fn bursty_traffic_is_bursty_with_its_rates_and_spells() {
        let (log, bursts, mean_length) = bursty_log(5.0, 60.0, 120.0, 1200.0, 2 * 86_400, 2);
        let fit = fit(&log).unwrap();
        assert_finite(&fit);
        println!(
            "bursty ({bursts} bursts, mean {mean_length:.1} s): {:?} dispersion {} interval {} s",
            fit.candidates, fit.dispersion, fit.interval_s
        );
        assert!(!fit.poisson_like);
        let Pattern::Bursty {
            base_rate,
            burst_rate,
            burst_length_s,
            burst_every_s,
        } = fit.candidates[fit.chosen].pattern
        else {
            panic!("chose {:?}", fit.candidates[fit.chosen]);
        };
        assert!(close(base_rate, 5.0, 0.05), "{base_rate}");
        assert!(close(burst_rate, 60.0, 0.05), "{burst_rate}");
        // Two days hold about 144 bursts, so a log's own mean burst length strays from the
        // process's by 8% (one standard deviation) and its burst spacing by 7.5%: this log's
        // bursts average 97 s. Against the process, 20%; against what the log holds, which is
        // what a fit can see, 10%.
        assert!(close(burst_length_s, 120.0, 0.2), "{burst_length_s}");
        assert!(close(burst_every_s, 1200.0, 0.2), "{burst_every_s}");
        assert!(close(burst_length_s, mean_length, 0.1), "{burst_length_s}");
        let every = 2.0 * 86_400.0 / bursts as f64;
        assert!(close(burst_every_s, every, 0.1), "{burst_every_s}");
    }

    #[test]
    fn diurnal_traffic_is_diurnal_with_its_range_and_peak() {
        let peak = 14.0 * 3600.0;
        let fit = fit(&diurnal_log(2.0, 30.0, peak, 3 * 86_400, 3)).unwrap();
        assert_finite(&fit);
        println!(
            "diurnal: {:?} dispersion {} interval {} s",
            fit.candidates, fit.dispersion, fit.interval_s
        );
        let Pattern::Diurnal {
            min_rate,
            max_rate,
            period_s,
            peak_at_s,
        } = fit.candidates[fit.chosen].pattern
        else {
            panic!("chose {:?}", fit.candidates[fit.chosen]);
        };
        assert!(close(min_rate, 2.0, 0.05), "{min_rate}");
        assert!(close(max_rate, 30.0, 0.05), "{max_rate}");
        assert_eq!(period_s, DAY_S);
        assert!((peak_at_s - peak).abs() < 20.0 * 60.0, "{peak_at_s}");
        // The chart follows the sinusoid: at the peak the fitted rate is near the maximum.
        let at_peak = fit.fitted_rate[(peak / f64::from(fit.interval_s)) as usize];
        assert!(close(at_peak, 30.0, 0.05), "{at_peak}");
    }

    #[test]
    fn the_hourly_profile_is_the_requests_of_each_hour_averaged_over_the_days() {
        // Three days and a half: hour h holds 100 + 40 h requests on day 0, 60 more on day 1 and
        // 60 fewer on day 2, so its mean over the days covered is 100 + 40 h; the half day
        // adds hours 0 to 11 once more, with 100 + 40 h again.
        let mut per_second = vec![0u32; 3 * 86_400 + 43_200];
        for (k, hour) in per_second.chunks_mut(3_600).enumerate() {
            let h = k % 24;
            let day_shift = [0i64, 60, -60, 0][k / 24];
            let n = (100 + 40 * h as i64 + day_shift) as usize;
            hour[..n].fill(1);
        }
        let fit = fit(&per_second).unwrap();
        let hourly = fit.hourly.unwrap();
        for (h, &x) in hourly.iter().enumerate() {
            assert!(
                (x - (100.0 + 40.0 * h as f64)).abs() < 1e-9,
                "hour {h}: {x}"
            );
        }
        // Less than a day tells no hourly profile.
        assert_eq!(super::fit(&per_second[..86_399]).unwrap().hourly, None);
    }

    #[test]
    fn the_hourly_profile_is_proposed_for_a_daily_cycle_only() {
        let daily = fit(&diurnal_log(2.0, 20.0, 50_000.0, 2 * 86_400, 5)).unwrap();
        let hourly = daily.proposed_hourly().expect("a daily cycle");
        // The busiest hour holds the peak (50,000 s is in hour 13), the quietest the trough.
        let busiest = (0..24)
            .max_by(|&a, &b| hourly[a].total_cmp(&hourly[b]))
            .unwrap();
        assert!((12..=14).contains(&busiest), "{busiest}");
        let flat = fit(&steady_log(5.0, 2 * 86_400, 6)).unwrap();
        assert!(flat.hourly.is_some());
        assert_eq!(flat.proposed_hourly(), None);
    }

    #[test]
    fn no_requests_give_none() {
        assert_eq!(fit(&[]), None);
        assert_eq!(fit(&[0, 0, 0]), None);
    }

    #[test]
    fn a_single_second_gives_a_steady_fit() {
        let fit = fit(&[7]).unwrap();
        assert_finite(&fit);
        assert_eq!((fit.interval_s, fit.intervals), (1, 1));
        assert_eq!(fit.candidates.len(), 1);
        assert_eq!(fit.candidates[0].pattern, Pattern::Steady { rate: 7.0 });
        assert_eq!(fit.fitted_rate, vec![7.0]);
        // ln P(7 | mean 7) = 7 ln 7 - 7 - ln 7!
        let expected = 7.0 * 7.0_f64.ln() - 7.0 - 5040.0_f64.ln();
        assert!((fit.candidates[0].log_likelihood - expected).abs() < 1e-9);
    }

    #[test]
    fn small_and_odd_logs_stay_finite() {
        for log in [
            &[1, 0][..],
            &[0, 0, 5],
            &[3, 3, 3, 3],
            &[0, 1000, 0, 0, 0, 1000, 0],
            &[u32::MAX, 0, u32::MAX, 1],
        ] {
            let fit = fit(log).unwrap();
            assert_finite(&fit);
        }
    }

    #[test]
    fn intervals_are_the_finest_that_keep_the_count_bounded() {
        assert_eq!(interval_width(1), 1);
        assert_eq!(interval_width(MAX_INTERVALS), 1);
        assert_eq!(interval_width(MAX_INTERVALS + 1), 2);
        assert_eq!(interval_width(2 * 86_400), 2);
        assert_eq!(interval_width(3600 * MAX_INTERVALS), 3600);
        assert_eq!(interval_width(3600 * MAX_INTERVALS + 3600), 7200);
        // One second more than fits at width 1: width 2, and the odd last second is dropped.
        let log = vec![1; MAX_INTERVALS + 1];
        let fit = fit(&log).unwrap();
        assert_eq!((fit.interval_s, fit.intervals), (2, MAX_INTERVALS / 2));
    }

    #[test]
    fn ln_factorials_match_the_gamma_function_both_sides_of_the_table() {
        let exact = |n: u64| (2..=n).map(|k| (k as f64).ln()).sum::<f64>();
        for n in [0, 1, 2, 10, 256, 257, 1000, 100_000] {
            let ours = sum_ln_factorials(&[n]);
            assert!((ours - exact(n)).abs() < 1e-9 * exact(n).max(1.0), "{n}");
        }
    }
}

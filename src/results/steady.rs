//! Whether a run reached a steady state, or what it says depends on how long it ran
//! (docs/model.md §11.9): the warnings every output shows after a run.
//!
//! A mean over the counted time describes the system only if the system settled: a backend
//! whose queue never drains, or staleness that climbs all day, gives a figure that grows with
//! `duration`. Three checks, each with a stated bound so that noise does not warn:
//! - **backend queued**: the mean over replications of `backend_queued_ratio` (the share of the
//!   counted time with a generation waiting for a backend slot) is above `QUEUED_SHARE`; a
//!   queue that holds work most of the time is one whose arrival rate is at or past its service
//!   rate (Kleinrock, *Queueing Systems* vol. 1, §2: an M/G/c queue is stable only when ρ < 1);
//! - **drift**: `stale_ratio` over the counted time's second half differs from its first half beyond
//!   the 95% interval of the difference, and by more than `DRIFT_FLOOR` of the first half's value.
//!   With two replications or more the interval is paired over replications (each replication's
//!   second half minus its first); with one, each half is cut into `BATCHES` batches, whose
//!   means are nearly independent (the batch means method, Law, *Simulation Modeling and
//!   Analysis*, 5th ed., §9.5.3), and Welch's interval compares the two halves' batch means;
//! - **synchronized expiry**: every prerendered page is built at one instant (`[origin]
//!   build_age` before t=0), so under a timer of `revalidate = R` every page expires at once at
//!   R − build_age; when that instant falls within one `bucket` of the end of `warmup`, the
//!   counted time begins with every page's regeneration at once.

use super::Estimate;
use crate::metrics::{Bucket, RunResult, as_written};
use crate::scenario::{Scenario, Study};
use crate::stats;
use crate::time::SimTime;

/// The share of the counted time above which a queued backend warns.
pub const QUEUED_SHARE: f64 = 0.5;
/// The relative change between the halves below which a drift does not warn, however sure.
pub const DRIFT_FLOOR: f64 = 0.25;
/// Batches per half of the counted time, with one replication.
pub const BATCHES: usize = 10;

/// A reason to doubt that a (sweep point, policy)'s figures describe a steady state.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// Index into `Study::points`, and its labels.
    pub point: usize,
    pub labels: Vec<String>,
    pub policy: String,
    pub concern: Concern,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Concern {
    /// The backend queue held a generation for this share of the counted time.
    BackendQueued { share: f64 },
    /// A metric's second half differs from its first.
    Drift { metric: &'static str, drift: Drift },
    /// Every prerendered page of these routes expires at `at`, within a bucket of `warmup`.
    SynchronizedExpiry {
        routes: Vec<String>,
        at: SimTime,
        warmup: SimTime,
    },
}

/// What the checks read of one (sweep point, policy): where it is, the mean of its
/// `backend_queued_ratio`, and its runs.
pub struct Group<'r> {
    pub point: usize,
    pub labels: &'r [String],
    pub policy: &'r str,
    pub queued: Option<f64>,
    pub runs: &'r [&'r RunResult],
}

/// How a metric's second half of the counted time compares with its first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    /// The metric over each half (the mean over replications, or over the batches).
    pub first: f64,
    pub second: f64,
    /// Second minus first: its mean and the half-width of its 95% interval.
    pub change: Estimate,
    /// Paired over replications (true), or the batch means of one replication (false).
    pub paired: bool,
}

impl Drift {
    /// The change is beyond its interval and larger than `DRIFT_FLOOR` of the first half.
    pub fn warns(&self) -> bool {
        let beyond = self.change.mean.abs() > self.change.ci95;
        let relative = if self.first == 0.0 {
            f64::INFINITY
        } else {
            (self.second - self.first).abs() / self.first.abs()
        };
        beyond && relative > DRIFT_FLOOR
    }
}

impl Warning {
    /// One line for a person: which policy, what was seen, and what to do.
    pub fn message(&self, axes: &[String]) -> String {
        let mut at = String::new();
        if !axes.is_empty() {
            let pairs: Vec<String> = (axes.iter().zip(&self.labels))
                .map(|(a, l)| format!("{a}={l}"))
                .collect();
            at = format!(" at {}", pairs.join(", "));
        }
        let what = match &self.concern {
            Concern::BackendQueued { share } => format!(
                "the backend queue held a generation for {:.0}% of the counted time (over {:.0}%): \
                 the backend did not keep up, so the figures grow with the run's duration",
                share * 100.0,
                QUEUED_SHARE * 100.0
            ),
            Concern::Drift { metric, drift } => format!(
                "{metric} was {} in the counted time's second half against {} in its first \
                 ({} ± {}, {}): no steady state; a longer warmup or duration may settle it",
                short(drift.second),
                short(drift.first),
                signed(drift.change.mean),
                short(drift.change.ci95),
                if drift.paired {
                    "paired over replications"
                } else {
                    "batch means of one replication"
                }
            ),
            Concern::SynchronizedExpiry { routes, at, warmup } => format!(
                "every prerendered page of {} expires at once at {} s, within a bucket of the \
                 warm-up's end ({} s): the counted time begins with all of them regenerating; \
                 lengthen warmup or spread the build ([origin] build_spread)",
                routes.join(", "),
                at.as_secs_f64(),
                warmup.as_secs_f64()
            ),
        };
        format!("policy {}{at}: {what}", self.policy)
    }

    /// `backend_queued`, `drift` or `synchronized_expiry`, as files name the kind.
    pub fn kind(&self) -> &'static str {
        match self.concern {
            Concern::BackendQueued { .. } => "backend_queued",
            Concern::Drift { .. } => "drift",
            Concern::SynchronizedExpiry { .. } => "synchronized_expiry",
        }
    }
}

fn short(x: f64) -> String {
    format!("{}", as_written(x)).chars().take(10).collect()
}

fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", short(x))
    } else {
        short(x)
    }
}

/// Every warning of a study's (point, policy) `groups`, in their order.
pub fn warnings<'r>(study: &Study, groups: impl Iterator<Item = Group<'r>>) -> Vec<Warning> {
    let mut found = Vec::new();
    for summary in groups {
        let scenario = &study.points[summary.point].scenario;
        let runs = summary.runs;
        let mut warn = |concern| {
            found.push(Warning {
                point: summary.point,
                labels: summary.labels.to_vec(),
                policy: summary.policy.to_string(),
                concern,
            });
        };
        if let Some(share) = summary.queued
            && share > QUEUED_SHARE
        {
            warn(Concern::BackendQueued { share });
        }
        // Staleness alone: origin requests per second move with the traffic pattern and the
        // caches' filling, which a run's design may intend.
        let series: Vec<Vec<(f64, f64)>> = (runs.iter())
            .map(|r| {
                counted(scenario, &r.timeseries)
                    .map(|b| (b.stale_responses as f64, b.requests as f64))
                    .collect()
            })
            .collect();
        if let Some(drift) = drift(&series).filter(Drift::warns) {
            warn(Concern::Drift {
                metric: "stale_ratio",
                drift,
            });
        }
        if let Some(p) = scenario.policies.iter().find(|p| p.name == summary.policy)
            && let Some(concern) = synchronized(scenario, p)
        {
            warn(concern);
        }
    }
    found
}

/// The buckets wholly in the counted time: from the first that starts at or after `warmup`,
/// through the last that is a whole `bucket` long.
fn counted<'b>(scenario: &Scenario, buckets: &'b [Bucket]) -> impl Iterator<Item = &'b Bucket> {
    let bucket = scenario.bucket.as_micros().max(1);
    let first = scenario.warmup.as_micros().div_ceil(bucket) as usize;
    let whole = (scenario.duration.as_micros() / bucket) as usize;
    buckets.iter().take(whole).skip(first)
}

/// A policy's synchronized first expiry: the routes whose prerendered pages all expire at
/// once within a bucket of the warm-up's end.
fn synchronized(scenario: &Scenario, policy: &crate::scenario::Policy) -> Option<Concern> {
    let mut routes = Vec::new();
    let mut when = None;
    for (route, rp) in scenario.routes.iter().zip(&policy.routes) {
        let Some(revalidate) = rp.revalidate else {
            continue;
        };
        if !route.prerendered {
            continue;
        }
        let expiry = first_expiry_at_warmup(
            revalidate,
            scenario.origin.build_age,
            scenario.origin.build_spread,
            scenario.warmup,
            scenario.bucket,
        );
        if let Some(at) = expiry {
            routes.push(route.name.clone());
            when.get_or_insert(at);
        }
    }
    when.map(|at| Concern::SynchronizedExpiry {
        routes,
        at,
        warmup: scenario.warmup,
    })
}

/// The instant every page built at once (`build_age` before t=0) first expires under a timer of
/// `revalidate`, when it falls within one `bucket` of the end of a `warmup` (which is not zero)
/// and the build did not spread its pages' instants (`build_spread` is zero); else `None`.
pub fn first_expiry_at_warmup(
    revalidate: SimTime,
    build_age: SimTime,
    build_spread: SimTime,
    warmup: SimTime,
    bucket: SimTime,
) -> Option<SimTime> {
    if build_spread > SimTime::ZERO || warmup == SimTime::ZERO || revalidate <= build_age {
        return None;
    }
    let expiry = revalidate - build_age;
    let apart = expiry.as_micros().abs_diff(warmup.as_micros());
    (apart < bucket.as_micros().max(1)).then_some(expiry)
}

/// How `series` (per replication, each counted bucket's (numerator, denominator), the metric
/// being their ratio of sums) changes from the first half of the counted time to the second:
/// paired over replications when there are two or more, else by batch means. `None` when there
/// is too little to judge (fewer than two batches per half, or a half with nothing counted).
pub fn drift(series: &[Vec<(f64, f64)>]) -> Option<Drift> {
    if series.len() >= 2 {
        let mut halves = Vec::new();
        for s in series {
            let half = s.len() / 2;
            if half == 0 {
                return None;
            }
            let first = ratio_of_sums(&s[..half])?;
            let second = ratio_of_sums(&s[s.len() - half..])?;
            halves.push((first, second));
        }
        let differences: Vec<f64> = halves.iter().map(|(f, s)| s - f).collect();
        let first: Vec<f64> = halves.iter().map(|h| h.0).collect();
        let second: Vec<f64> = halves.iter().map(|h| h.1).collect();
        return Some(Drift {
            first: stats::mean(&first),
            second: stats::mean(&second),
            change: Estimate {
                mean: stats::mean(&differences),
                ci95: stats::ci95_half_width(&differences),
            },
            paired: true,
        });
    }
    let s = series.first()?;
    let half = s.len() / 2;
    let batches = BATCHES.min(half);
    if batches < 2 {
        return None;
    }
    let first = batch_means(&s[..half], batches)?;
    let second = batch_means(&s[s.len() - half..], batches)?;
    let (m1, m2) = (stats::mean(&first), stats::mean(&second));
    Some(Drift {
        first: m1,
        second: m2,
        change: Estimate {
            mean: m2 - m1,
            ci95: welch_half_width(&first, &second),
        },
        paired: false,
    })
}

/// Σ numerators / Σ denominators; `None` when nothing was counted.
fn ratio_of_sums(buckets: &[(f64, f64)]) -> Option<f64> {
    let (n, d) = buckets
        .iter()
        .fold((0.0, 0.0), |(n, d), b| (n + b.0, d + b.1));
    (d > 0.0).then(|| n / d)
}

/// The metric over each of `count` consecutive batches of `buckets` (the last takes what is
/// left over); `None` when a batch counted nothing.
fn batch_means(buckets: &[(f64, f64)], count: usize) -> Option<Vec<f64>> {
    let size = buckets.len() / count;
    (0..count)
        .map(|i| {
            let end = if i + 1 == count {
                buckets.len()
            } else {
                (i + 1) * size
            };
            ratio_of_sums(&buckets[i * size..end])
        })
        .collect()
}

/// The half-width of Welch's 95% interval for mean(b) − mean(a): `t(0.975, ν) * se`, with
/// `se² = s_a²/n_a + s_b²/n_b` and ν the Welch–Satterthwaite degrees of freedom, rounded down
/// (a wider interval, so the check errs towards silence).
pub fn welch_half_width(a: &[f64], b: &[f64]) -> f64 {
    let variance = |xs: &[f64]| {
        let m = stats::mean(xs);
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() as f64 - 1.0)
    };
    if a.len() < 2 || b.len() < 2 {
        return 0.0;
    }
    let (va, vb) = (variance(a) / a.len() as f64, variance(b) / b.len() as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        return 0.0;
    }
    let df = se2 * se2 / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
    stats::t_975(df.floor().max(1.0) as u64) * se2.sqrt()
}

#[cfg(test)]
mod tests;

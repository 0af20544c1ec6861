//! Random durations: regeneration times, webhook delays, purge delays (docs/scenario.md, "Values").
//!
//! The lognormal form is given by its median and 99th percentile, the two figures that latency
//! dashboards and CDN vendors publish, rather than by μ and σ.

use rand::RngExt;
use rand_distr::{Distribution as _, Exp1, StandardNormal};

use crate::time::SimTime;

/// z such that Φ(z) = 0.99.
const Z_99: f64 = 2.326_347_874_040_840_8;

#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Constant(SimTime),
    Exponential { mean: SimTime },
    Uniform { low: SimTime, high: SimTime },
    LogNormal { median: SimTime, p99: SimTime },
}

impl Distribution {
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match *self {
            Distribution::Constant(t) => t,
            Distribution::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                SimTime::from_secs_f64(e * mean.as_secs_f64())
            }
            Distribution::Uniform { low, high } => {
                if high <= low {
                    low
                } else {
                    SimTime(rng.random_range(low.0..=high.0))
                }
            }
            Distribution::LogNormal { median, p99 } => {
                let z: f64 = StandardNormal.sample(rng);
                let sigma = Self::lognormal_sigma(median, p99);
                SimTime::from_secs_f64(median.as_secs_f64() * (sigma * z).exp())
            }
        }
    }

    /// The mean, in seconds: used by `validate` and by the closed-form checks.
    pub fn mean_secs(&self) -> f64 {
        match *self {
            Distribution::Constant(t) => t.as_secs_f64(),
            Distribution::Exponential { mean } => mean.as_secs_f64(),
            Distribution::Uniform { low, high } => (low.as_secs_f64() + high.as_secs_f64()) / 2.0,
            Distribution::LogNormal { median, p99 } => {
                let sigma = Self::lognormal_sigma(median, p99);
                median.as_secs_f64() * (sigma * sigma / 2.0).exp()
            }
        }
    }

    fn lognormal_sigma(median: SimTime, p99: SimTime) -> f64 {
        (p99.as_secs_f64() / median.as_secs_f64()).ln() / Z_99
    }
}

impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Distribution::Constant(t) => write!(f, "{t}"),
            Distribution::Exponential { mean } => write!(f, "exponential(mean {mean})"),
            Distribution::Uniform { low, high } => write!(f, "uniform({low}, {high})"),
            Distribution::LogNormal { median, p99 } => {
                write!(f, "lognormal(median {median}, p99 {p99})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn quantile(dist: &Distribution, q: f64) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut xs: Vec<f64> = (0..200_000)
            .map(|_| dist.sample(&mut rng).as_secs_f64())
            .collect();
        xs.sort_by(f64::total_cmp);
        xs[(q * xs.len() as f64) as usize]
    }

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let d = Distribution::LogNormal {
            median: SimTime::from_millis(300),
            p99: SimTime::from_secs(3),
        };
        assert!((quantile(&d, 0.5) - 0.3).abs() < 0.01);
        assert!((quantile(&d, 0.99) - 3.0).abs() < 0.15);
    }

    #[test]
    fn exponential_and_uniform_have_their_means() {
        let e = Distribution::Exponential {
            mean: SimTime::from_secs(2),
        };
        let u = Distribution::Uniform {
            low: SimTime::from_millis(100),
            high: SimTime::from_secs(2),
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for d in [e, u] {
            let n = 100_000;
            let mean = (0..n)
                .map(|_| d.sample(&mut rng).as_secs_f64())
                .sum::<f64>()
                / n as f64;
            assert!(
                (mean - d.mean_secs()).abs() < 0.02 * d.mean_secs(),
                "{d}: {mean}"
            );
        }
    }
}

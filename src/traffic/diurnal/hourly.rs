//! `pattern = "diurnal"` with `hourly`: a daily cycle of 24 hourly weights, a non-homogeneous
//! Poisson process whose rate in hour h of each day (h = 0 from t=0) is `rate · w[h] / mean(w)`,
//! so that `rate` is the mean (docs/model.md §4). Sampled exactly by Lewis–Shedler thinning, as
//! the sinusoid is: candidates at the busiest hour's rate, each kept with probability
//! rate(t) / that rate.

use rand::RngExt;

use super::PATTERN;
use crate::time::SimTime;
use crate::traffic::profile::{DAY, Daily, HOUR, Shape, hour_of_day, normalized};
use crate::traffic::{Arrivals, Entry, Pattern, Rng, Setting, Traffic, exp_gap};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hourly {
    /// The mean rate, in requests per second.
    pub rate: f64,
    /// The weights as written.
    pub weights: [f64; 24],
    /// Each hour's rate: `rate · w[h] / mean(w)`.
    rates: [f64; 24],
}

impl Hourly {
    pub fn new(rate: f64, weights: [f64; 24]) -> Hourly {
        Hourly {
            rate,
            weights,
            rates: normalized(weights).map(|w| rate * w),
        }
    }

    /// The rate at `t` seconds since t=0.
    #[inline]
    pub fn rate_at(&self, t: f64) -> f64 {
        self.rates[hour_of_day(t)]
    }

    /// The requests expected from t=0 to `t`.
    fn integral_to(&self, t: f64) -> f64 {
        let days = (t / DAY).floor();
        let mut sum = days * DAY * self.rate;
        let mut at = days * DAY;
        for rate in self.rates {
            let end = (at + HOUR).min(t);
            if end <= at {
                break;
            }
            sum += rate * (end - at);
            at += HOUR;
        }
        sum
    }
}

impl Pattern for Hourly {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        let d = duration.as_secs_f64();
        self.integral_to(d) / d
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        "rate"
    }

    fn settings(&self) -> Vec<Setting> {
        let weights: Vec<String> = self.weights.iter().map(|w| format!("{w}")).collect();
        vec![
            Setting::Number("rate", self.rate),
            Setting::Phrase(format!("hourly = [{}]", weights.join(", "))),
        ]
    }

    fn expected_between(&self, from: f64, to: f64) -> f64 {
        self.integral_to(to) - self.integral_to(from)
    }

    fn peak_between(&self, from: f64, to: f64) -> f64 {
        if to - from >= DAY {
            return self.peak_rate();
        }
        let mut peak: f64 = 0.0;
        let mut at = (from / HOUR).floor() * HOUR;
        while at < to {
            peak = peak.max(self.rate_at(at));
            at += HOUR;
        }
        peak
    }

    fn scaled(&self, factor: f64) -> Option<Traffic> {
        Some(Traffic::new(Hourly::new(self.rate * factor, self.weights)))
    }

    fn shape(&self) -> Shape {
        Shape {
            daily: Daily::Hourly(normalized(self.weights)),
            weekly: None,
        }
    }

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        Box::new(Thinning {
            pattern: *self,
            peak: self.peak_rate(),
            clock: 0.0,
        })
    }
}

/// Lewis–Shedler thinning of the hourly rates.
struct Thinning {
    pattern: Hourly,
    peak: f64,
    /// Seconds since t=0 of the last candidate.
    clock: f64,
}

impl Arrivals for Thinning {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        loop {
            self.clock += exp_gap(self.peak, rng);
            if !self.clock.is_finite() {
                break;
            }
            let u: f64 = rng.random();
            if u * self.peak < self.pattern.rate_at(self.clock) {
                break;
            }
        }
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{read, refused, times};

    /// Weights rising through the morning, highest at 20h, never 0 but at 4h.
    const WEIGHTS: [f64; 24] = [
        2.0, 1.0, 1.0, 0.5, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 6.0, 6.0, 5.0, 5.0, 5.0, 6.0,
        7.0, 8.0, 9.0, 7.0, 5.0, 3.0,
    ];

    #[test]
    fn hourly_counts_follow_the_weights() {
        let p = Hourly::new(2.0, WEIGHTS);
        let days = 30.0;
        let mut per_hour = [0u64; 24];
        for t in times(&p, days * DAY, 7) {
            per_hour[hour_of_day(t)] += 1;
        }
        let mean: f64 = WEIGHTS.iter().sum::<f64>() / 24.0;
        for (h, &n) in per_hour.iter().enumerate() {
            let expected = 2.0 * WEIGHTS[h] / mean * HOUR * days;
            // Poisson: 5 standard deviations, and nothing at a weight of 0.
            assert!(
                (n as f64 - expected).abs() <= 5.0 * expected.sqrt(),
                "hour {h}: {n} vs {expected}"
            );
        }
        assert_eq!(per_hour[4], 0);
        // `rate` is the mean: a whole day brings rate × 1 day, and the peak is 20h's.
        assert!((p.mean_rate(SimTime::from_secs(86_400)) - 2.0).abs() < 1e-9);
        assert!((p.peak_rate() - 2.0 * 9.0 / mean).abs() < 1e-9);
        assert!((p.expected_between(HOUR, 2.0 * HOUR) - 2.0 / mean * HOUR).abs() < 1e-6);
    }

    #[test]
    fn hourly_is_read_and_its_bad_forms_refused() {
        let keys = format!("pattern = \"diurnal\"\nrate = 2\nhourly = {WEIGHTS:?}");
        let s = read(&keys).unwrap();
        assert_eq!(s.traffic.get::<Hourly>(), Some(&Hourly::new(2.0, WEIGHTS)));
        let hourly = |w: &str| format!("pattern = \"diurnal\"\nrate = 2\nhourly = {w}");
        let list = |w: &[f64]| format!("{w:?}");
        let (key, line, message) = refused(&hourly(&list(&[1.0; 25])));
        assert_eq!((key.as_str(), line), ("traffic.hourly", 5));
        assert!(message.contains("exactly 24"), "{message}");
        let (key, line, message) = refused(&hourly(&list(&[0.0; 24])));
        assert_eq!((key.as_str(), line), ("traffic.hourly", 5));
        assert!(message.contains("all 0"), "{message}");
        let mut negative = [1.0; 24];
        negative[3] = -1.0;
        let (key, line, message) = refused(&hourly(&list(&negative)));
        assert_eq!((key.as_str(), line), ("traffic.hourly[3]", 5));
        assert!(message.contains("at least 0"), "{message}");
        let (key, line, message) = refused(&format!("{}\nmin_rate = 1", hourly(&list(&[1.0; 24]))));
        assert_eq!((key.as_str(), line), ("traffic.min_rate", 6));
        assert!(
            message.contains("does not go with `hourly`") && message.contains("`trough_at`"),
            "{message}"
        );
        let (key, line, message) = refused(&format!(
            "pattern = \"diurnal\"\nhourly = {}",
            list(&[1.0; 24])
        ));
        assert_eq!((key.as_str(), line), ("traffic.rate", 2));
        assert!(message.contains("needs `rate`"), "{message}");
    }
}

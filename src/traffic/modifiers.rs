//! Modifiers that multiply any drawn pattern's rate (docs/model.md §4): `weekly`, seven weights
//! (day d, counted from t=0, is multiplied by `w[d] / mean(w)`), and `[[traffic.spikes]]`, each
//! multiplying the rate by `factor` over `[at, at + length)`; overlapping spikes multiply.
//!
//! The modified process is sampled by Lewis–Shedler thinning (Lewis & Shedler 1979): candidates
//! are drawn from the base pattern with every rate multiplied by the modifiers' highest product
//! M, and each kept with probability m(t) / M. Every drawn pattern is a Poisson process given its
//! rate path (bursty's is its modulating chain, which the scaling leaves alone), so the kept
//! arrivals are exactly the base process with its rate multiplied by m(t).

use rand::RngExt;

use super::profile::{DAY, Shape, day_of_week, normalized};
use super::{Arrivals, Entry, Key, Kind, Pattern, Rng, Setting, Traffic};
use crate::time::SimTime;

/// The keys any drawn pattern takes besides its own (`[[traffic.spikes]]` is a table of its own).
pub const KEYS: &[Key] = &[Key::optional("weekly", Kind::Weights(7))];

/// One `[[traffic.spikes]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub at: SimTime,
    pub length: SimTime,
    pub factor: f64,
}

/// The modifiers' multiplier m(t).
#[derive(Clone, Debug, PartialEq)]
struct Multiplier {
    /// The weekly weights divided by their mean.
    weekly: Option<[f64; 7]>,
    /// Each spike's start, end and factor, in seconds.
    spikes: Vec<(f64, f64, f64)>,
}

impl Multiplier {
    /// m(t).
    #[inline]
    fn at(&self, t: f64) -> f64 {
        let mut m = self.weekly.map_or(1.0, |w| w[day_of_week(t)]);
        for &(start, end, factor) in &self.spikes {
            if start <= t && t < end {
                m *= factor;
            }
        }
        m
    }

    /// The spikes' product over `[from, to)`, cut where a spike starts or ends: `f(a, b, s)` for
    /// each piece.
    fn spike_pieces(&self, from: f64, to: f64, mut f: impl FnMut(f64, f64, f64)) {
        let mut cuts = vec![from, to];
        for &(start, end, _) in &self.spikes {
            cuts.extend([start, end].into_iter().filter(|&c| from < c && c < to));
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let s = self
                .spikes
                .iter()
                .filter(|&&(start, end, _)| start <= a && a < end)
                .map(|&(_, _, factor)| factor)
                .product();
            f(a, b, s);
        }
    }

    /// m(t)'s constant pieces over `[from, to)`: `f(a, b, m)` for each; past `MAX_DAYS` days in
    /// one piece, the rest of it is given once at the weekly mean, 1.
    fn pieces(&self, from: f64, to: f64, mut f: impl FnMut(f64, f64, f64)) {
        const MAX_DAYS: f64 = 1e6;
        self.spike_pieces(from, to, |a, b, s| {
            let Some(w) = self.weekly else {
                return f(a, b, s);
            };
            let mut at = a;
            let last = (a + MAX_DAYS * DAY).min(b);
            while at < last {
                let end = (((at / DAY).floor() + 1.0) * DAY).min(b);
                f(at, end, s * w[day_of_week(at)]);
                at = end;
            }
            if at < b {
                f(at, b, s);
            }
        });
    }

    /// The highest m(t) at any t ≥ 0.
    fn most(&self) -> f64 {
        let week_most = self
            .weekly
            .map_or(1.0, |w| w.iter().copied().fold(0.0, f64::max));
        let end = self
            .spikes
            .iter()
            .map(|&(_, end, _)| end)
            .fold(0.0, f64::max);
        let mut most = week_most;
        self.spike_pieces(0.0, end, |a, b, s| {
            most = most.max(s * self.week_most_between(a, b));
        });
        most
    }

    /// The highest weekly factor over `[from, to)`.
    fn week_most_between(&self, from: f64, to: f64) -> f64 {
        let Some(w) = self.weekly else { return 1.0 };
        let first = (from / DAY).floor();
        let days = (((to / DAY).ceil() - first) as usize).clamp(1, 7);
        (0..days)
            .map(|k| w[day_of_week((first + k as f64) * DAY)])
            .fold(0.0, f64::max)
    }
}

/// A drawn pattern under its modifiers.
#[derive(Debug)]
pub struct Modified {
    base: Traffic,
    /// The weekly weights as written, and the spikes.
    weekly: Option<[f64; 7]>,
    spikes: Vec<Spike>,
    multiplier: Multiplier,
    /// The highest m(t), M.
    most: f64,
}

impl Modified {
    /// `base` under `weekly` and `spikes`; `None` for a trace, which takes no modifier.
    pub fn new(base: Traffic, weekly: Option<[f64; 7]>, spikes: Vec<Spike>) -> Option<Modified> {
        base.scaled(1.0)?;
        let multiplier = Multiplier {
            weekly: weekly.map(normalized),
            spikes: spikes
                .iter()
                .map(|s| {
                    (
                        s.at.as_secs_f64(),
                        s.at.saturating_add(s.length).as_secs_f64(),
                        s.factor,
                    )
                })
                .collect(),
        };
        let most = multiplier.most();
        Some(Modified {
            base,
            weekly,
            spikes,
            multiplier,
            most,
        })
    }

    /// The highest rate candidates are drawn at: the base's peak times M, at least the
    /// traffic's peak.
    pub fn candidate_rate(&self) -> f64 {
        self.base.peak_rate() * self.most
    }

    /// The pattern the modifiers multiply.
    pub fn base(&self) -> &Traffic {
        &self.base
    }
}

impl Pattern for Modified {
    fn entry(&self) -> &'static Entry {
        self.base.entry()
    }

    /// The highest rate at any t ≥ 0: exact over the spikes, and past the last one the base's
    /// peak on the busiest weekday.
    fn peak_rate(&self) -> f64 {
        let end = self
            .multiplier
            .spikes
            .iter()
            .map(|s| s.1)
            .fold(0.0, f64::max);
        let after = self.base.peak_rate() * self.multiplier.week_most_between(0.0, 7.0 * DAY);
        after.max(self.peak_between(0.0, end + 7.0 * DAY))
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        let d = duration.as_secs_f64();
        self.expected_between(0.0, d) / d
    }

    /// The spikes, when they bring more requests than the base pattern alone would; else the
    /// base's key.
    fn busiest_key(&self, duration: SimTime) -> &'static str {
        let d = duration.as_secs_f64();
        let (base, all) = (
            self.base.expected_between(0.0, d),
            self.expected_between(0.0, d),
        );
        if !self.spikes.is_empty() && all - base > base {
            "spikes"
        } else {
            self.base.busiest_key(duration)
        }
    }

    fn settings(&self) -> Vec<Setting> {
        let mut settings = self.base.settings();
        if let Some(w) = self.weekly {
            let w: Vec<String> = w.iter().map(|x| format!("{x}")).collect();
            settings.push(Setting::Phrase(format!("weekly = [{}]", w.join(", "))));
        }
        for s in &self.spikes {
            settings.push(Setting::Phrase(format!(
                "a spike of factor {} from {} for {}",
                s.factor, s.at, s.length
            )));
        }
        settings
    }

    fn expected_between(&self, from: f64, to: f64) -> f64 {
        let mut sum = 0.0;
        self.multiplier.pieces(from, to, |a, b, m| {
            sum += m * self.base.expected_between(a, b);
        });
        sum
    }

    fn peak_between(&self, from: f64, to: f64) -> f64 {
        let mut peak: f64 = 0.0;
        self.multiplier.pieces(from, to, |a, b, m| {
            peak = peak.max(m * self.base.peak_between(a, b));
        });
        peak
    }

    fn scaled(&self, factor: f64) -> Option<Traffic> {
        let base = self.base.scaled(factor)?;
        Modified::new(base, self.weekly, self.spikes.clone()).map(Traffic::new)
    }

    /// The base's daily shape times the weekly weights; spikes are left out.
    fn shape(&self) -> Shape {
        Shape {
            weekly: self.multiplier.weekly,
            ..self.base.shape()
        }
    }

    fn arrivals(&self, rng: &mut Rng, until: SimTime) -> Box<dyn Arrivals> {
        // `new` refused a trace, the only pattern that cannot be scaled.
        let scaled = self
            .base
            .scaled(self.most)
            .unwrap_or_else(|| self.base.clone());
        Box::new(Thinned {
            candidates: scaled.arrivals(rng, until),
            multiplier: self.multiplier.clone(),
            most: self.most,
            horizon: until.as_secs_f64(),
        })
    }
}

/// The base's candidates at M times its rates, each kept with probability m(t) / M.
struct Thinned {
    candidates: Box<dyn Arrivals>,
    multiplier: Multiplier,
    most: f64,
    /// Past the run's end, a candidate is given as it is: no arrival there matters.
    horizon: f64,
}

impl Arrivals for Thinned {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        loop {
            let t = self.candidates.next(rng);
            if t >= self.horizon || t.is_nan() {
                return t;
            }
            let u: f64 = rng.random();
            if u * self.most < self.multiplier.at(t) {
                return t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::bursty::Bursty;
    use crate::traffic::steady::Steady;
    use crate::traffic::tests::{read, refused, times};

    fn steady(rate: f64, weekly: Option<[f64; 7]>, spikes: &[Spike]) -> Modified {
        Modified::new(Traffic::new(Steady { rate }), weekly, spikes.to_vec()).unwrap()
    }

    fn spike(at: u64, length: u64, factor: f64) -> Spike {
        Spike {
            at: SimTime::from_secs(at),
            length: SimTime::from_secs(length),
            factor,
        }
    }

    fn within(n: usize, expected: f64, what: &str) {
        assert!(
            (n as f64 - expected).abs() <= 5.0 * expected.sqrt(),
            "{what}: {n} vs {expected}"
        );
    }

    #[test]
    fn a_spike_multiplies_the_counts_in_its_window_and_overlaps_multiply() {
        let p = steady(
            10.0,
            None,
            &[spike(1_000, 1_000, 3.0), spike(1_500, 1_000, 2.0)],
        );
        let t = times(&p, 4_000.0, 3);
        let count = |a: f64, b: f64| t.iter().filter(|&&x| a <= x && x < b).count();
        within(count(0.0, 1_000.0), 10_000.0, "before");
        within(count(1_000.0, 1_500.0), 15_000.0, "the first spike alone");
        within(count(1_500.0, 2_000.0), 30_000.0, "both");
        within(count(2_000.0, 2_500.0), 10_000.0, "the second alone");
        within(count(2_500.0, 4_000.0), 15_000.0, "after");
        // The composite's integral and peak.
        let expected = 10.0 * (1_000.0 + 1_500.0 + 3_000.0 + 1_000.0 + 1_500.0);
        assert!((p.mean_rate(SimTime::from_secs(4_000)) * 4_000.0 - expected).abs() < 1e-6);
        assert_eq!(p.peak_rate(), 60.0);
        assert_eq!(p.peak_between(0.0, 1_400.0), 30.0);
    }

    #[test]
    fn weekly_weights_shift_counts_between_days() {
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0];
        let p = steady(0.1, Some(w), &[]);
        let weeks = 6.0;
        let mut per_day = [0usize; 7];
        for t in times(&p, weeks * 7.0 * DAY, 5) {
            per_day[day_of_week(t)] += 1;
        }
        for (d, &n) in per_day.iter().enumerate() {
            within(n, 0.1 * DAY * weeks * w[d] / 3.0, &format!("day {d}"));
        }
        assert_eq!(per_day[6], 0);
        // Whole weeks average `rate`; the peak is the busiest day's.
        assert!((p.mean_rate(SimTime::from_secs(7 * 86_400)) - 0.1).abs() < 1e-12);
        assert!((p.peak_rate() - 0.1 * 6.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bursty_under_a_spike_keeps_its_bursts_scaled() {
        // Only bursts send: 20/s for 10 s every 1,000 s on average, tripled throughout.
        let base = Bursty {
            base_rate: 0.0,
            burst_rate: 20.0,
            burst_length: SimTime::from_secs(10),
            burst_every: SimTime::from_secs(1_000),
        };
        let horizon = 2_000_000.0;
        let p = Modified::new(Traffic::new(base), None, vec![spike(0, 2_000_000, 3.0)]).unwrap();
        let t = times(&p, horizon, 9);
        // 3 × 20/s × 1% of the time; about 2,000 bursts, so the relative sd is about 3%.
        let expected = 3.0 * 20.0 * 0.01 * horizon;
        assert!(
            (t.len() as f64 / expected - 1.0).abs() < 0.15,
            "{}",
            t.len()
        );
        // Within a burst the gaps are those of 60/s: the median gap is ln 2 / 60 s.
        let mut gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_by(f64::total_cmp);
        let median = gaps[gaps.len() / 2];
        assert!(
            (median / (std::f64::consts::LN_2 / 60.0) - 1.0).abs() < 0.05,
            "{median}"
        );
        // And bursts stay apart: about one gap in 200 is a quiet spell (mean 990 s).
        let quiet = gaps.iter().filter(|&&g| g > 10.0).count();
        assert!((1_600..2_400).contains(&quiet), "{quiet}");
    }

    #[test]
    fn modifiers_are_read_refused_with_a_trace_and_their_bad_values_named() {
        let s = read(
            "pattern = \"steady\"\nrate = 2\nweekly = [1, 1, 1, 1, 1, 2, 2]\n\
             [[traffic.spikes]]\nat = \"1h\"\nlength = \"10m\"\nfactor = 4",
        )
        .unwrap();
        assert_eq!(s.traffic.name(), "steady");
        let m = s.traffic.get::<Modified>().unwrap();
        assert_eq!(m.spikes, vec![spike(3_600, 600, 4.0)]);
        let (key, line, message) = refused(
            "pattern = \"steady\"\nrate = 2\n[[traffic.spikes]]\nat = \"1h\"\nlength = \"10m\"\nfactor = 0",
        );
        assert!(key.contains("factor"), "{key}");
        assert_eq!(line, 8);
        assert!(message.contains("above 0"), "{message}");
        let (key, line, message) = refused(
            "pattern = \"steady\"\nrate = 2\n[[traffic.spikes]]\nat = \"1h\"\nlength = \"10m\"\nfactor = 2\nfactr = 3",
        );
        assert!(
            key.contains("factr") || message.contains("factr"),
            "{key} {message}"
        );
        assert_eq!(line, 9);
        let (key, line, message) = refused("pattern = \"steady\"\nrate = 2\nweekly = [1, 2]");
        assert_eq!((key.as_str(), line), ("traffic.weekly", 5));
        assert!(message.contains("exactly 7"), "{message}");
        let (key, line, message) =
            refused("pattern = \"trace\"\nfile = \"Cargo.toml\"\nweekly = [1, 1, 1, 1, 1, 2, 2]");
        assert_eq!((key.as_str(), line), ("traffic.weekly", 5));
        assert!(message.contains("a trace replays"), "{message}");
        let (key, line, message) = refused(
            "pattern = \"steady\"\nrate = 1e300\n[[traffic.spikes]]\nat = \"1h\"\nlength = \"10m\"\nfactor = 1e10",
        );
        assert_eq!((key.as_str(), line), ("traffic.spikes.factor", 8));
        assert!(message.contains("1e308"), "{message}");
    }
}

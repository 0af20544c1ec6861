//! `pattern = "diurnal"`: a daily cycle, a non-homogeneous Poisson process (docs/model.md §4).
//! Its rate is a sinusoid from `min_rate` to `max_rate` over `period`, highest at `peak_at`; with
//! `trough_at` it is asymmetric, falling from `max_rate` at `peak_at` to `min_rate` at `trough_at`
//! along one half cosine and rising back to `max_rate` at the next `peak_at` along another, of a
//! different length; or it follows 24 `hourly` weights (`hourly`). Sampled exactly by
//! Lewis–Shedler thinning: candidates at `max_rate`, each kept with probability
//! rate(t) / `max_rate` (Lewis & Shedler 1979, "Simulation of nonhomogeneous Poisson processes by
//! thinning").

pub mod hourly;

use std::f64::consts::TAU;

use rand::RngExt;

use super::profile::{Curve, Daily, Shape};
use super::{Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic, exp_gap};
use crate::error::InputError;
use crate::time::SimTime;
use hourly::Hourly;

pub const PATTERN: Entry = Entry {
    name: "diurnal",
    // Two alternative sets, which `read` checks: the curve's keys, or `rate` and `hourly`.
    keys: &[
        Key::optional("min_rate", Kind::Rate),
        Key::optional("max_rate", Kind::Rate),
        Key::optional("period", Kind::Length),
        Key::optional("peak_at", Kind::Offset),
        Key::optional("trough_at", Kind::Offset),
        Key::optional("rate", Kind::Rate),
        Key::optional("hourly", Kind::Weights(24)),
    ],
    read,
};

/// The curve's keys, in the order messages list them.
const CURVE: [&str; 5] = ["min_rate", "max_rate", "period", "peak_at", "trough_at"];

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diurnal {
    pub min_rate: f64,
    pub max_rate: f64,
    pub period: SimTime,
    pub peak_at: SimTime,
    /// Where the rate is lowest, if not half a period after `peak_at` (the sinusoid).
    pub trough_at: Option<SimTime>,
}

/// What pattern `diurnal` takes, for its errors.
const TAKES: &str = "pattern `diurnal` takes either `min_rate`, `max_rate`, `period`, `peak_at` \
                     and optionally `trough_at`, or `rate` and `hourly` (24 weights)";

fn read(keys: &Keys) -> Result<Read, InputError> {
    if keys.has("hourly") {
        if let Some(key) = CURVE.iter().find(|k| keys.has(k)) {
            return Err(keys.error(key, format!("does not go with `hourly`: {TAKES}")));
        }
        if !keys.has("rate") {
            return Err(keys.error(
                "rate",
                format!("pattern `diurnal` with `hourly` needs `rate`, the mean rate ({TAKES})"),
            ));
        }
        let rate = keys.positive_rate("rate")?;
        let weights = keys.weights::<24>("hourly")?.unwrap_or([1.0; 24]);
        return Ok(Read::Drawn(Traffic::new(Hourly::new(rate, weights))));
    }
    if keys.has("rate") {
        return Err(keys.error(
            "rate",
            format!("goes with `hourly`, the rate's hourly weights: {TAKES}"),
        ));
    }
    if let Some(key) = CURVE[..4].iter().find(|k| !keys.has(k)) {
        return Err(keys.error(key, format!("pattern `diurnal` needs `{key}` ({TAKES})")));
    }
    let (min_rate, max_rate) = (keys.number("min_rate", 0.0), keys.number("max_rate", 0.0));
    if min_rate > max_rate {
        return Err(keys.error(
            "min_rate",
            format!("must not be above `max_rate` ({max_rate})"),
        ));
    }
    let (period, peak_at) = (
        keys.time("period", SimTime::ZERO),
        keys.time("peak_at", SimTime::ZERO),
    );
    let trough_at = keys.optional_time("trough_at");
    if let Some(trough) = trough_at
        && trough.as_micros() % period.as_micros() == peak_at.as_micros() % period.as_micros()
    {
        return Err(keys.error(
            "trough_at",
            format!(
                "falls on `peak_at` ({peak_at}) modulo `period` ({period}): the rate cannot be \
                 highest and lowest at once; leave `trough_at` out for a trough half a period \
                 after the peak"
            ),
        ));
    }
    Ok(Read::Drawn(Traffic::new(Diurnal {
        min_rate,
        max_rate: keys.positive_rate("max_rate")?,
        period,
        peak_at,
        trough_at,
    })))
}

impl Diurnal {
    /// The sinusoid's midpoint and amplitude.
    fn mid_and_amplitude(&self) -> (f64, f64) {
        (
            (self.min_rate + self.max_rate) / 2.0,
            (self.max_rate - self.min_rate) / 2.0,
        )
    }

    /// The curve its rate follows: the sinusoid's trough is half a period after its peak.
    pub fn curve(&self) -> Curve {
        let period = self.period.as_micros();
        let fall = match self.trough_at {
            Some(trough) => {
                let (peak, trough) = (
                    self.peak_at.as_micros() % period,
                    trough.as_micros() % period,
                );
                SimTime((trough + period - peak) % period).as_secs_f64()
            }
            None => self.period.as_secs_f64() / 2.0,
        };
        Curve {
            min_rate: self.min_rate,
            max_rate: self.max_rate,
            period: self.period.as_secs_f64(),
            peak_at: self.peak_at.as_secs_f64(),
            fall,
        }
    }

    /// The rate at `t` seconds since t=0.
    pub fn rate_at(&self, t: f64) -> f64 {
        if self.trough_at.is_none() {
            let (mid, amp) = self.mid_and_amplitude();
            let w = TAU / self.period.as_secs_f64();
            return mid + amp * (w * (t - self.peak_at.as_secs_f64())).cos();
        }
        self.curve().rate_at(t)
    }

    /// The requests expected from a fixed origin to `t`: the rate's antiderivative.
    fn integral_to(&self, t: f64) -> f64 {
        if self.trough_at.is_none() {
            let (mid, amp) = self.mid_and_amplitude();
            let w = TAU / self.period.as_secs_f64();
            let x = t - self.peak_at.as_secs_f64();
            return mid * x + amp * (w * x).sin() / w;
        }
        self.curve().integral_to(t)
    }
}

impl Pattern for Diurnal {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.max_rate
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        let d = duration.as_secs_f64();
        if self.trough_at.is_some() {
            return self.expected_between(0.0, d) / d;
        }
        // The exact integral of the sinusoid over the run, divided by its length.
        let (mid, amp) = self.mid_and_amplitude();
        let p = self.period.as_secs_f64();
        let w = TAU / p;
        let phase = self.peak_at.as_secs_f64();
        mid + amp * ((w * (d - phase)).sin() - (w * -phase).sin()) / (w * d)
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        "max_rate"
    }

    fn settings(&self) -> Vec<Setting> {
        let mut settings = vec![
            Setting::Number("min_rate", self.min_rate),
            Setting::Number("max_rate", self.max_rate),
            Setting::Time("period", self.period),
            Setting::Time("peak_at", self.peak_at),
        ];
        settings.extend(self.trough_at.map(|t| Setting::Time("trough_at", t)));
        settings
    }

    fn expected_between(&self, from: f64, to: f64) -> f64 {
        self.integral_to(to) - self.integral_to(from)
    }

    /// Between two peaks the rate falls to the trough and rises again, so in a window without a
    /// peak it is highest at one of its ends.
    fn peak_between(&self, from: f64, to: f64) -> f64 {
        let period = self.period.as_secs_f64();
        let peak = self.peak_at.as_secs_f64();
        let next_peak = peak + ((from - peak) / period).ceil() * period;
        if next_peak < to {
            return self.max_rate;
        }
        self.rate_at(from).max(self.rate_at(to)).min(self.max_rate)
    }

    fn scaled(&self, factor: f64) -> Option<Traffic> {
        Some(Traffic::new(Diurnal {
            min_rate: self.min_rate * factor,
            max_rate: self.max_rate * factor,
            ..*self
        }))
    }

    fn shape(&self) -> Shape {
        Shape {
            daily: Daily::Curve(self.curve()),
            weekly: None,
        }
    }

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
        if self.trough_at.is_some() {
            return Box::new(Asymmetric {
                curve: self.curve(),
                clock: 0.0,
            });
        }
        let (mid, amp) = self.mid_and_amplitude();
        Box::new(Thinning {
            max_rate: self.max_rate,
            mid,
            amp,
            w: TAU / self.period.as_secs_f64(),
            peak: self.peak_at.as_secs_f64(),
            clock: 0.0,
        })
    }
}

/// Lewis–Shedler thinning of the sinusoid `mid + amp · cos(w (t - peak))`.
struct Thinning {
    max_rate: f64,
    mid: f64,
    amp: f64,
    w: f64,
    peak: f64,
    /// Seconds since t=0 of the last candidate.
    clock: f64,
}

impl Arrivals for Thinning {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        loop {
            self.clock += exp_gap(self.max_rate, rng);
            if !self.clock.is_finite() {
                break;
            }
            let rate = self.mid + self.amp * (self.w * (self.clock - self.peak)).cos();
            let u: f64 = rng.random();
            if u * self.max_rate < rate {
                break;
            }
        }
        self.clock
    }
}

/// Lewis–Shedler thinning of the asymmetric curve, drawn as the sinusoid is.
struct Asymmetric {
    curve: Curve,
    /// Seconds since t=0 of the last candidate.
    clock: f64,
}

impl Arrivals for Asymmetric {
    fn next(&mut self, rng: &mut Rng) -> f64 {
        let max_rate = self.curve.max_rate;
        loop {
            self.clock += exp_gap(max_rate, rng);
            if !self.clock.is_finite() {
                break;
            }
            let rate = self.curve.rate_at(self.clock);
            let u: f64 = rng.random();
            if u * max_rate < rate {
                break;
            }
        }
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused, times};

    #[test]
    fn diurnal_matches_its_integral() {
        let p = Diurnal {
            min_rate: 1.0,
            max_rate: 9.0,
            period: SimTime::from_secs(1_000),
            peak_at: SimTime::from_secs(250),
            trough_at: None,
        };
        // Ten whole periods at a mean of 5/s.
        let n = count(&p, 10_000.0, 4);
        assert!((n as f64 - 50_000.0).abs() < 1_500.0, "{n}");
        // Over half a period starting at the peak's quarter, the integral is not the midpoint.
        let half = p.mean_rate(SimTime::from_secs(500));
        assert!(
            (half - (5.0 + 4.0 * 2.0 / std::f64::consts::PI)).abs() < 1e-9,
            "{half}"
        );
    }

    #[test]
    fn keys_are_read_and_a_minimum_above_the_maximum_refused() {
        let keys =
            "pattern = \"diurnal\"\nmin_rate = 1\nmax_rate = 9\nperiod = \"1d\"\npeak_at = \"14h\"";
        let s = read(keys).unwrap();
        assert_eq!(
            s.traffic.get::<Diurnal>(),
            Some(&Diurnal {
                min_rate: 1.0,
                max_rate: 9.0,
                period: SimTime::from_secs(86_400),
                peak_at: SimTime::from_secs(14 * 3_600),
                trough_at: None,
            })
        );
        let (key, line, message) = refused(&keys.replace("min_rate = 1", "min_rate = 10"));
        assert_eq!((key.as_str(), line), ("traffic.min_rate", 4));
        assert!(message.contains("`max_rate` (9)"), "{message}");
        let (key, line, _) = refused(
            &keys
                .replace("min_rate = 1", "min_rate = 0")
                .replace("max_rate = 9", "max_rate = 0"),
        );
        assert_eq!((key.as_str(), line), ("traffic.max_rate", 5));
    }

    /// Peak at 20h, trough at 4h: a fall of 8 h and a rise of 16 h.
    const EVENING: Diurnal = Diurnal {
        min_rate: 1.0,
        max_rate: 9.0,
        period: SimTime::from_secs(86_400),
        peak_at: SimTime::from_secs(20 * 3_600),
        trough_at: Some(SimTime::from_secs(4 * 3_600)),
    };

    #[test]
    fn the_asymmetric_curve_meets_its_peak_trough_and_midpoints() {
        let p = EVENING;
        let h = 3_600.0;
        let close = |t: f64, want: f64| {
            let got = p.rate_at(t);
            assert!((got - want).abs() < 1e-9, "at {}h: {got} vs {want}", t / h);
        };
        close(20.0 * h, 9.0);
        close(4.0 * h, 1.0);
        close(44.0 * h, 9.0);
        // Halfway down (midnight) and halfway up (noon): the midpoint, 5.
        close(0.0, 5.0);
        close(12.0 * h, 5.0);
        // A quarter of the way down (22h): 5 + 4 cos(π/4).
        close(22.0 * h, 5.0 + 4.0 * std::f64::consts::FRAC_1_SQRT_2);
        // Each half cosine averages the midpoint, so a day averages 5 and each segment brings
        // 5/s times its length.
        assert!((p.mean_rate(SimTime::from_secs(86_400)) - 5.0).abs() < 1e-9);
        assert!((p.expected_between(20.0 * h, 28.0 * h) - 5.0 * 8.0 * h).abs() < 1e-6);
        assert!((p.peak_between(5.0 * h, 19.0 * h) - p.rate_at(19.0 * h)).abs() < 1e-9);
        assert_eq!(p.peak_between(5.0 * h, 21.0 * h), 9.0);
    }

    #[test]
    fn the_asymmetric_curve_is_drawn_as_it_is_written() {
        let p = EVENING;
        let h = 3_600.0;
        let days = 20.0;
        // Counts in the falling segment (20h to 4h), the rising one (4h to 20h), and in the
        // hour around the peak and around the trough, against the curve's integrals.
        let (mut fall, mut rise, mut near_peak, mut near_trough) = (0.0, 0.0, 0.0, 0.0);
        for t in times(&p, days * 86_400.0, 11) {
            let u = (t / h).rem_euclid(24.0);
            if !(4.0..20.0).contains(&u) {
                fall += 1.0;
            } else {
                rise += 1.0;
            }
            if (19.5..20.5).contains(&u) {
                near_peak += 1.0;
            }
            if (3.5..4.5).contains(&u) {
                near_trough += 1.0;
            }
        }
        let check = |n: f64, expected: f64, what: &str| {
            assert!(
                (n - expected).abs() <= 5.0 * expected.sqrt(),
                "{what}: {n} vs {expected}"
            );
        };
        check(fall, days * 5.0 * 8.0 * h, "falling segment");
        check(rise, days * 5.0 * 16.0 * h, "rising segment");
        check(
            near_peak,
            days * p.expected_between(19.5 * h, 20.5 * h),
            "peak hour",
        );
        check(
            near_trough,
            days * p.expected_between(3.5 * h, 4.5 * h),
            "trough hour",
        );
        // The hour around the peak is near 9/s, around the trough near 1/s.
        assert!(near_peak > 8.5 * h * days && near_trough < 1.5 * h * days);
    }

    #[test]
    fn trough_at_is_read_and_refused_on_the_peak() {
        let keys = "pattern = \"diurnal\"\nmin_rate = 1\nmax_rate = 9\nperiod = \"1d\"\npeak_at = \"20h\"\ntrough_at = \"4h\"";
        let s = read(keys).unwrap();
        assert_eq!(s.traffic.get::<Diurnal>(), Some(&EVENING));
        let (key, line, message) = refused(&keys.replace("\"4h\"", "\"44h\""));
        assert_eq!((key.as_str(), line), ("traffic.trough_at", 8));
        assert!(message.contains("falls on `peak_at`"), "{message}");
        let (key, line, message) = refused(&keys.replace("period = \"1d\"\n", ""));
        assert_eq!((key.as_str(), line), ("traffic.period", 2));
        assert!(message.contains("needs `period`"), "{message}");
        let (key, line, message) = refused(&format!("{keys}\nrate = 3"));
        assert_eq!((key.as_str(), line), ("traffic.rate", 9));
        assert!(message.contains("goes with `hourly`"), "{message}");
    }
}

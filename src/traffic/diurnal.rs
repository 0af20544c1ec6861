//! `pattern = "diurnal"`: a daily cycle, a non-homogeneous Poisson process whose rate is a
//! sinusoid from `min_rate` to `max_rate` over `period`, highest at `peak_at` (docs/model.md §4).
//! Sampled exactly by Lewis–Shedler thinning: candidates at `max_rate`, each kept with
//! probability rate(t) / `max_rate` (Lewis & Shedler 1979, "Simulation of nonhomogeneous Poisson
//! processes by thinning").

use std::f64::consts::TAU;

use rand::RngExt;

use super::{Arrivals, Entry, Key, Keys, Kind, Pattern, Read, Rng, Setting, Traffic, exp_gap};
use crate::error::InputError;
use crate::time::SimTime;

pub const PATTERN: Entry = Entry {
    name: "diurnal",
    keys: &[
        Key::required("min_rate", Kind::Rate),
        Key::required("max_rate", Kind::Rate),
        Key::required("period", Kind::Length),
        Key::required("peak_at", Kind::Offset),
    ],
    read,
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diurnal {
    pub min_rate: f64,
    pub max_rate: f64,
    pub period: SimTime,
    pub peak_at: SimTime,
}

fn read(keys: &Keys) -> Result<Read, InputError> {
    let (min_rate, max_rate) = (keys.number("min_rate", 0.0), keys.number("max_rate", 0.0));
    if min_rate > max_rate {
        return Err(keys.error(
            "min_rate",
            format!("must not be above `max_rate` ({max_rate})"),
        ));
    }
    Ok(Read::Drawn(Traffic::new(Diurnal {
        min_rate,
        max_rate: keys.positive_rate("max_rate")?,
        period: keys.time("period", SimTime::ZERO),
        peak_at: keys.time("peak_at", SimTime::ZERO),
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
}

impl Pattern for Diurnal {
    fn entry(&self) -> &'static Entry {
        &PATTERN
    }

    fn peak_rate(&self) -> f64 {
        self.max_rate
    }

    fn mean_rate(&self, duration: SimTime) -> f64 {
        // The exact integral of the sinusoid over the run, divided by its length.
        let (mid, amp) = self.mid_and_amplitude();
        let (d, p) = (duration.as_secs_f64(), self.period.as_secs_f64());
        let w = TAU / p;
        let phase = self.peak_at.as_secs_f64();
        mid + amp * ((w * (d - phase)).sin() - (w * -phase).sin()) / (w * d)
    }

    fn busiest_key(&self, _: SimTime) -> &'static str {
        "max_rate"
    }

    fn settings(&self) -> Vec<Setting> {
        vec![
            Setting::Number("min_rate", self.min_rate),
            Setting::Number("max_rate", self.max_rate),
            Setting::Time("period", self.period),
            Setting::Time("peak_at", self.peak_at),
        ]
    }

    fn arrivals(&self, _: &mut Rng, _: SimTime) -> Box<dyn Arrivals> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::tests::{count, read, refused};

    #[test]
    fn diurnal_matches_its_integral() {
        let p = Diurnal {
            min_rate: 1.0,
            max_rate: 9.0,
            period: SimTime::from_secs(1_000),
            peak_at: SimTime::from_secs(250),
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
}

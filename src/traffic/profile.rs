//! Daily and weekly shapes: how a rate varies over the day and the week, each normalized to a
//! mean of 1 (docs/model.md §4). The traffic's shape (`Pattern::shape`) is what a route's
//! `edit_profile = "traffic"` follows; `edit_profile` as 24 weights is a daily shape of its own.

use std::f64::consts::PI;

use super::Traffic;

/// An hour and a day, in seconds.
pub const HOUR: f64 = 3_600.0;
pub const DAY: f64 = 86_400.0;

/// `weights` divided by their mean; weights whose sum is 0 are refused as they are read.
pub fn normalized<const N: usize>(weights: [f64; N]) -> [f64; N] {
    let mean = weights.iter().sum::<f64>() / N as f64;
    weights.map(|w| w / mean)
}

/// The hour of the day, 0 to 23, of `t` seconds since t=0.
#[inline]
pub fn hour_of_day(t: f64) -> usize {
    ((t / HOUR).floor() as u64 % 24) as usize
}

/// The day of the week, 0 to 6, of `t` seconds since t=0: day 0 starts at t=0.
#[inline]
pub fn day_of_week(t: f64) -> usize {
    ((t / DAY).floor() as u64 % 7) as usize
}

/// A daily shape and weekly weights, each of mean 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shape {
    pub daily: Daily,
    /// The weekly weights divided by their mean.
    pub weekly: Option<[f64; 7]>,
}

/// The shape of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Daily {
    /// The same all day.
    #[default]
    Flat,
    /// A diurnal curve, divided by its mean over its period ((min + max) / 2 for either form).
    Curve(Curve),
    /// 24 hourly weights, divided by their mean.
    Hourly([f64; 24]),
}

impl Shape {
    /// The shape's value at `t` seconds since t=0.
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        let daily = match &self.daily {
            Daily::Flat => 1.0,
            Daily::Curve(c) => c.rate_at(t) / ((c.min_rate + c.max_rate) / 2.0),
            Daily::Hourly(w) => w[hour_of_day(t)],
        };
        match &self.weekly {
            Some(w) => daily * w[day_of_week(t)],
            None => daily,
        }
    }

    /// The highest value it reaches.
    pub fn peak(&self) -> f64 {
        let daily = match &self.daily {
            Daily::Flat => 1.0,
            Daily::Curve(d) => d.max_rate / ((d.min_rate + d.max_rate) / 2.0),
            Daily::Hourly(w) => w.iter().copied().fold(0.0, f64::max),
        };
        daily
            * self
                .weekly
                .map_or(1.0, |w| w.iter().copied().fold(0.0, f64::max))
    }

    /// Whether it is the same at every instant.
    pub fn is_flat(&self) -> bool {
        self.daily == Daily::Flat && self.weekly.is_none()
    }
}

/// A daily curve from `max_rate` at `peak_at` down to `min_rate` at `peak_at + fall` along a
/// half cosine, and back up to `max_rate` at the next peak along another (`pattern =
/// "diurnal"`; with `fall` half the period, the sinusoid). Times in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curve {
    pub min_rate: f64,
    pub max_rate: f64,
    pub period: f64,
    pub peak_at: f64,
    /// From a peak to the next trough.
    pub fall: f64,
}

impl Curve {
    fn mid_and_amplitude(&self) -> (f64, f64) {
        (
            (self.min_rate + self.max_rate) / 2.0,
            (self.max_rate - self.min_rate) / 2.0,
        )
    }

    /// The rate at `t`.
    #[inline]
    pub fn rate_at(&self, t: f64) -> f64 {
        let (mid, amp) = self.mid_and_amplitude();
        let (fall, rise) = (self.fall, self.period - self.fall);
        let u = (t - self.peak_at).rem_euclid(self.period);
        if u < fall {
            mid + amp * (PI * u / fall).cos()
        } else {
            mid - amp * (PI * (u - fall) / rise).cos()
        }
    }

    /// The rate's antiderivative at `t`. Each half cosine averages `mid` over its length, so a
    /// whole period brings mid × period.
    pub fn integral_to(&self, t: f64) -> f64 {
        let (mid, amp) = self.mid_and_amplitude();
        let (fall, rise) = (self.fall, self.period - self.fall);
        let x = t - self.peak_at;
        let whole = (x / self.period).floor();
        let u = x - whole * self.period;
        let within = if u < fall {
            mid * u + amp * fall / PI * (PI * u / fall).sin()
        } else {
            mid * u - amp * rise / PI * (PI * (u - fall) / rise).sin()
        };
        whole * self.period * mid + within
    }
}

/// A route's `edit_profile`: the traffic's daily and weekly shape, or 24 hourly weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EditProfile {
    /// `"traffic"`: the traffic's daily shape times its weekly weights, without spikes or bursts.
    Traffic,
    /// 24 hourly weights, as written.
    Hourly([f64; 24]),
}

impl EditProfile {
    /// The shape the route's edit rate follows under `traffic`.
    pub fn shape(&self, traffic: &Traffic) -> Shape {
        match self {
            EditProfile::Traffic => traffic.shape(),
            EditProfile::Hourly(w) => Shape {
                daily: Daily::Hourly(normalized(*w)),
                weekly: None,
            },
        }
    }
}

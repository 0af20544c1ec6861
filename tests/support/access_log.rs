//! Access logs of known shape, written in the combined format: the ground truth that trace
//! replay and `isrsim fit` are tested against (`tests/traces.rs`, `tests/fit.rs`), that
//! `examples/make_trace.rs` writes `scenarios/traces/blog.log.gz` with, and that
//! `benches/traces.rs` reads.
//!
//! It draws arrivals on its own, independently of `isrsim::workload::traffic` (the patterns' parameters
//! are `isrsim::fit::arrivals::Pattern`, what `fit` must give back): exponential gaps
//! (steady), exponential sojourns in two states starting quiet (bursty) and Lewis–Shedler
//! thinning (diurnal); and pages by inverse transform over each route's Zipf weights.

// Each crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::io::Write;

use rand::RngExt;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

/// How requests arrive, in requests per second: the patterns `isrsim fit` tells apart, with
/// their parameters.
pub use isrsim::fit::arrivals::Pattern as Arrivals;

/// A route of the logged site: its paths are `{prefix}{key}`, page k of it (1-based rank) is
/// requested with weight 1/k^zipf.
#[derive(Clone, Debug)]
pub struct Route {
    pub prefix: &'static str,
    pub pages: u32,
    pub share: f64,
    pub zipf: f64,
}

#[derive(Clone, Debug)]
pub struct Shape {
    /// The instant of the first possible request, in seconds since the epoch.
    pub start: i64,
    pub duration_s: f64,
    pub arrivals: Arrivals,
    pub routes: Vec<Route>,
    /// The share of lines for assets (`/_next/static/…`), matched by no route.
    pub assets: f64,
    /// The share of lines answered 404 or sent with POST, which the default filter drops.
    pub noise: f64,
    pub seed: u64,
}

/// What was written: requests per route and per page (by rank), the lines written, and the
/// requests per second of log time.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub lines: u64,
    pub per_route: Vec<u64>,
    pub per_page: Vec<Vec<u64>>,
    pub per_second: Vec<u32>,
}

/// The page key of rank `k` of a route: not the rank itself, so a replay's ids (first
/// appearance) are not the ranks either.
pub fn key(k: u32) -> String {
    format!(
        "post-{:x}",
        u64::from(k).wrapping_mul(0x9E37_79B9) % 0xFFFF_FFFF
    )
}

struct Clock {
    t: f64,
    in_burst: bool,
    switch_at: f64,
}

fn exp(rng: &mut Xoshiro256PlusPlus) -> f64 {
    Exp1.sample(rng)
}

impl Clock {
    /// The next arrival after `self.t`, in seconds from the start.
    fn next(&mut self, a: &Arrivals, rng: &mut Xoshiro256PlusPlus) -> f64 {
        match *a {
            Arrivals::Steady { rate } => self.t += exp(rng) / rate,
            Arrivals::Bursty {
                base_rate,
                burst_rate,
                burst_length_s,
                burst_every_s,
            } => loop {
                let rate = if self.in_burst { burst_rate } else { base_rate };
                let t = self.t + exp(rng) / rate;
                if t < self.switch_at {
                    self.t = t;
                    break;
                }
                self.t = self.switch_at;
                self.in_burst = !self.in_burst;
                let mean = if self.in_burst {
                    burst_length_s
                } else {
                    burst_every_s - burst_length_s
                };
                self.switch_at = self.t + exp(rng) * mean;
            },
            Arrivals::Diurnal {
                min_rate,
                max_rate,
                period_s,
                peak_at_s,
            } => loop {
                self.t += exp(rng) / max_rate;
                let (mid, amp) = ((min_rate + max_rate) / 2.0, (max_rate - min_rate) / 2.0);
                let rate =
                    mid + amp * (std::f64::consts::TAU * (self.t - peak_at_s) / period_s).cos();
                if rng.random::<f64>() * max_rate < rate {
                    break;
                }
            },
        }
        self.t
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `30/Nov/2026:10:00:00 +0000` for seconds since the epoch.
fn clf(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = isrsim::logs::clock::civil_from_days(days);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[month as usize - 1],
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Writes the log of `shape` to `out`, one combined-format line a request, in time order.
pub fn write(shape: &Shape, out: &mut impl Write) -> std::io::Result<Written> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(shape.seed);
    let cumulative: Vec<Vec<f64>> = shape
        .routes
        .iter()
        .map(|r| {
            let mut total = 0.0;
            (1..=r.pages)
                .map(|k| {
                    total += f64::from(k).powf(-r.zipf);
                    total
                })
                .collect()
        })
        .collect();
    let shares: f64 = shape.routes.iter().map(|r| r.share).sum();
    let mut written = Written {
        per_route: vec![0; shape.routes.len()],
        per_page: shape
            .routes
            .iter()
            .map(|r| vec![0; r.pages as usize])
            .collect(),
        per_second: vec![0; shape.duration_s.ceil() as usize],
        ..Written::default()
    };
    let mut clock = Clock {
        t: 0.0,
        in_burst: false,
        switch_at: 0.0,
    };
    if let Arrivals::Bursty {
        burst_length_s,
        burst_every_s,
        ..
    } = shape.arrivals
    {
        clock.switch_at = exp(&mut rng) * (burst_every_s - burst_length_s);
    }
    let mut stamp = (i64::MIN, String::new());
    loop {
        let t = clock.next(&shape.arrivals, &mut rng);
        if t >= shape.duration_s {
            break;
        }
        let second = shape.start + t as i64;
        if stamp.0 != second {
            stamp = (second, clf(second));
        }
        let u: f64 = rng.random();
        written.lines += 1;
        if u < shape.assets {
            let asset = rng.random_range(0..40u32);
            writeln!(
                out,
                "198.51.100.{} - - [{}] \"GET /_next/static/chunks/{asset}.js HTTP/1.1\" 200 4120 \"-\" \"Mozilla/5.0\"",
                asset % 250,
                stamp.1
            )?;
            continue;
        }
        // A route by share, then a page by inverse transform over its Zipf weights.
        let mut pick = rng.random::<f64>() * shares;
        let route = shape
            .routes
            .iter()
            .position(|r| {
                pick -= r.share;
                pick < 0.0
            })
            .unwrap_or(shape.routes.len() - 1);
        let weights = &cumulative[route];
        let target = rng.random::<f64>() * weights[weights.len() - 1];
        let rank = weights
            .partition_point(|&c| c <= target)
            .min(weights.len() - 1) as u32
            + 1;
        let path = format!("{}{}", shape.routes[route].prefix, key(rank));
        let noisy = u < shape.assets + shape.noise;
        let (method, status) = match (noisy, rng.random_range(0..2u32)) {
            (true, 0) => ("POST", 200),
            (true, _) => ("GET", 404),
            (false, 0) => ("GET", 304),
            (false, _) => ("GET", 200),
        };
        writeln!(
            out,
            "203.0.113.{} - - [{}] \"{method} {path} HTTP/1.1\" {status} 5120 \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
            rank % 250,
            stamp.1
        )?;
        if !noisy {
            written.per_route[route] += 1;
            written.per_page[route][rank as usize - 1] += 1;
            written.per_second[t as usize] += 1;
        }
    }
    Ok(written)
}

/// `write`, gzip-compressed (fast: a test's log is read once), into the file `path`.
pub fn write_gzip(shape: &Shape, path: &std::path::Path) -> std::io::Result<Written> {
    write_gzip_at(shape, path, flate2::Compression::fast())
}

/// `write_gzip` at a chosen compression level.
pub fn write_gzip_at(
    shape: &Shape,
    path: &std::path::Path,
    level: flate2::Compression,
) -> std::io::Result<Written> {
    let file = std::fs::File::create(path)?;
    let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), level);
    let written = write(shape, &mut gz)?;
    gz.finish()?.flush()?;
    Ok(written)
}

//! `isrsim fit` against logs of known shape (`support::access_log`, combined format, gzipped):
//! the scenario it writes gives back the parameters the log was drawn with, within stated
//! tolerances: Zipf exponents within ±0.05, rates within 5%, burst parameters within 20%.
//! Tolerances are several standard errors of the estimates for these log sizes, and far from
//! what a wrong formula gives (a rate counted per minute instead of per second is off 60 times;
//! a Zipf fitted to unsorted counts is near 0).

mod support;

use std::path::Path;

use isrsim::scenario::Scenario;
use isrsim::traffic::bursty::Bursty;
use isrsim::traffic::diurnal::hourly::Hourly;
use isrsim::traffic::steady::Steady;
use support::access_log::{self, Arrivals, Route, Shape};
use support::{assert_exit, isrsim, scratch, stderr, write};

/// The share of lines the routes keep: the generator's assets and noise are left out.
const KEPT: f64 = 1.0 - 0.1 - 0.04;

fn shape(arrivals: Arrivals, duration_s: f64, seed: u64) -> Shape {
    Shape {
        start: 1_796_000_000,
        duration_s,
        arrivals,
        routes: vec![
            Route {
                prefix: "/blog/",
                pages: 2_000,
                share: 0.75,
                zipf: 1.0,
            },
            Route {
                prefix: "/docs/",
                pages: 300,
                share: 0.25,
                zipf: 0.6,
            },
        ],
        assets: 0.1,
        noise: 0.04,
        seed,
    }
}

fn fit(dir: &Path, shape: &Shape, extra: &[&str]) -> Scenario {
    let log = dir.join("access.log.gz");
    access_log::write_gzip(shape, &log).unwrap();
    let out = dir.join("fitted.toml");
    let mut args = vec!["fit", log.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = isrsim(&args);
    assert_exit(&o, 0);
    assert!(dir.join("fit.svg").is_file() && dir.join("fit.png").is_file());
    let text = std::fs::read_to_string(&out).unwrap();
    Scenario::parse(&text, &out).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[track_caller]
fn near(got: f64, want: f64, relative: f64) {
    assert!(
        (got / want - 1.0).abs() <= relative,
        "{got} is not within {}% of {want}",
        relative * 100.0
    );
}

fn popularity_and_shares(s: &Scenario) {
    let names: Vec<&str> = s.routes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["blog", "docs"]);
    assert!(
        (s.routes[0].popularity - 1.0).abs() <= 0.05,
        "{}",
        s.routes[0].popularity
    );
    assert!(
        (s.routes[1].popularity - 0.6).abs() <= 0.05,
        "{}",
        s.routes[1].popularity
    );
    near(s.routes[0].share, 0.75, 0.05);
    near(s.routes[1].share, 0.25, 0.05);
    assert_eq!(s.routes[1].pages, 300);
}

#[test]
fn a_steady_log_fits_back_its_rate_and_popularity() {
    let dir = scratch("steady");
    let s = fit(
        &dir,
        &shape(Arrivals::Steady { rate: 30.0 }, 4.0 * 3_600.0, 1),
        &[],
    );
    let Some(&Steady { rate }) = s.traffic.get() else {
        panic!("{:?}", s.traffic)
    };
    near(rate, 30.0 * KEPT, 0.05);
    popularity_and_shares(&s);
    near(s.duration.as_secs_f64(), 4.0 * 3_600.0, 0.01);
}

#[test]
fn a_diurnal_log_fits_back_its_sinusoid_as_hourly_weights() {
    let dir = scratch("diurnal");
    let arrivals = Arrivals::Diurnal {
        min_rate: 2.0,
        max_rate: 12.0,
        period_s: 86_400.0,
        peak_at_s: 14.0 * 3_600.0,
    };
    let s = fit(&dir, &shape(arrivals, 2.0 * 86_400.0, 2), &[]);
    let Some(hourly) = s.traffic.get::<Hourly>() else {
        panic!("{:?}", s.traffic)
    };
    near(hourly.rate, 7.0 * KEPT, 0.05);
    // Each hour's share is the sinusoid's mean over that hour, relative to its mean of 7/s:
    // (7 + 5 (sin ω(b - peak) - sin ω(a - peak)) / (ω · 1 h)) / 7.
    let mean = hourly.weights.iter().sum::<f64>() / 24.0;
    let w = std::f64::consts::TAU / 86_400.0;
    for (h, &weight) in hourly.weights.iter().enumerate() {
        let (a, b) = (
            h as f64 * 3_600.0 - 14.0 * 3_600.0,
            (h + 1) as f64 * 3_600.0 - 14.0 * 3_600.0,
        );
        let expected = (7.0 + 5.0 * ((w * b).sin() - (w * a).sin()) / (w * 3_600.0)) / 7.0;
        near(weight / mean, expected, 0.05);
    }
    popularity_and_shares(&s);
}

#[test]
fn a_bursty_log_fits_back_its_two_states() {
    let dir = scratch("bursty");
    let arrivals = Arrivals::Bursty {
        base_rate: 2.0,
        burst_rate: 30.0,
        burst_length_s: 120.0,
        burst_every_s: 1_200.0,
    };
    let s = fit(&dir, &shape(arrivals, 4.0 * 86_400.0, 3), &[]);
    let Some(&Bursty {
        base_rate,
        burst_rate,
        burst_length,
        burst_every,
    }) = s.traffic.get()
    else {
        panic!("{:?}", s.traffic)
    };
    near(base_rate, 2.0 * KEPT, 0.05);
    near(burst_rate, 30.0 * KEPT, 0.05);
    near(burst_length.as_secs_f64(), 120.0, 0.2);
    near(burst_every.as_secs_f64(), 1_200.0, 0.2);
    popularity_and_shares(&s);
}

#[test]
fn given_routes_are_fitted_and_files_are_never_replaced_unasked() {
    let dir = scratch("routes");
    let routes = write(
        &dir,
        "routes.toml",
        "[[routes]]\nname = \"posts\"\nmatch = '^/blog/([^/?#]+)'\n",
    );
    let s = fit(
        &dir,
        &shape(Arrivals::Steady { rate: 20.0 }, 3_600.0, 4),
        &["--routes", routes.to_str().unwrap()],
    );
    assert_eq!(s.routes.len(), 1);
    assert_eq!(s.routes[0].name, "posts");
    assert_eq!(s.routes[0].share, 1.0);
    // Again: the scenario and the charts are there, so nothing is written without --force.
    let log = dir.join("access.log.gz");
    let out = dir.join("fitted.toml");
    let before = std::fs::read(&out).unwrap();
    let args = ["fit", log.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let o = isrsim(&args);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let o = isrsim(&[&args[..], &["--force"]].concat());
    assert_exit(&o, 0);
    assert_ne!(
        std::fs::read(&out).unwrap(),
        before,
        "the proposed routes are two"
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".isrsim")), "{names:?}");
}

#[test]
fn a_missing_log_bad_routes_and_a_log_of_another_format_are_bad_input() {
    let dir = scratch("bad");
    let out = dir.join("f.toml");
    let o = isrsim(&[
        "fit",
        dir.join("none.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("none.log"), "{}", stderr(&o));
    let log = write(
        &dir,
        "a.log",
        "{\"time\": 1, \"path\": \"/a/b\"}\n".repeat(2_000).as_str(),
    );
    let o = isrsim(&["fit", log.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("a.log:1:"), "{}", stderr(&o));
    let routes = write(
        &dir,
        "r.toml",
        "[[routes]]\nname = \"x\"\nmatch = '(unclosed'\n",
    );
    let o = isrsim(&[
        "fit",
        log.to_str().unwrap(),
        "--out",
        dir.join("g.toml").to_str().unwrap(),
        "--format",
        "jsonl",
        "--routes",
        routes.to_str().unwrap(),
    ]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("r.toml:3") && err.contains("routes[0].match"),
        "{err}"
    );
    // The same lines read as JSON lines.
    let o = isrsim(&[
        "fit",
        log.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_exit(&o, 0);
}

//! Every chart is drawn, on both backends, at 1200×700, the same bytes each time, whatever the
//! results (a real run, a sweep, no runs, a single bucket, NaN). Charts are drawn in memory; the
//! files of a results folder are checked to hold exactly those bytes.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Chart, draw_all};
use crate::experiment::{self, Progress, Shard};
use crate::metrics::{Bucket, QUANTILES, RUN_COLUMNS, RunResult, column};
use crate::report::write_results;
use crate::results::fixture::{run_at, scratch, sweep};
use crate::results::{StudyResults, Summary};
use crate::scenario::Study;

const TINY: &str = r#"
name = "tiny"
duration = "20m"
warmup = "2m"
seed = 3
replications = 2
bucket = "30s"

[traffic]
pattern = "steady"
rate = 4

[[routes]]
name = "posts"
pages = 40
popularity = 1.0
edit_every = "5m"
regen_time = "300ms"

[backend]
concurrency = 1

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
"#;

const SINGLE: [&str; 5] = [
    "staleness",
    "regenerations",
    "stale_age_cdf",
    "comparison",
    "latency",
];
const SWEEP: [&str; 6] = [
    "sweep_stale_ratio",
    "sweep_stale_age_p99_s",
    "sweep_regenerations",
    "sweep_regen_per_s_peak",
    "sweep_backend_wait_p99_s",
    "sweep_edit_visible_p99_s",
];

/// Runs `text`: its study and runs.
fn simulate(text: &str) -> (Study, Vec<RunResult>) {
    let study = Study::parse(text, Path::new("t.toml")).unwrap();
    let jobs = experiment::jobs(&study, Shard::WHOLE);
    let runs = experiment::run(
        &crate::driver::Simulator,
        &study,
        &jobs,
        0,
        &Progress::default(),
    )
    .unwrap();
    (study, runs)
}

fn names(charts: &[Chart]) -> Vec<&str> {
    charts.iter().map(|c| c.name.as_str()).collect()
}

/// The PNG's width and height, from its IHDR chunk (big-endian, bytes 16 to 24).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// Each chart of the scenario named `scenario` is a whole 1200×700 image of each kind, whose SVG
/// is its root element around `svg_elements`.
fn assert_images(charts: &[Chart], scenario: &str) {
    for chart in charts {
        let name = &chart.name;
        assert_eq!((chart.width, chart.height), (1200, 700), "{name}");
        assert_eq!(png_size(&chart.png), (1200, 700), "{name}.png");
        let svg = &chart.svg;
        assert!(svg.starts_with("<svg"), "{name}.svg");
        assert!(svg.contains(r#"width="1200" height="700""#), "{name}.svg");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg");
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("</text>").count(),
            "{name}.svg"
        );
        let elements = chart.svg_elements();
        assert!(
            elements.starts_with("<rect") && elements.ends_with(">\n"),
            "{name}.svg"
        );
        assert_eq!(svg.matches('<').count(), elements.matches('<').count() + 2);
        // Every chart draws its title; its alt text, which a screen reader announces instead
        // of the image, is text the image shows too, and names the scenario.
        for text in [&chart.title, &chart.alt] {
            assert!(
                svg.contains(&format!(">\n{text}\n</text>")),
                "{name}: {text}"
            );
        }
        let named = chart.alt.starts_with(&format!("{scenario}: "));
        assert!(named, "{name}: {}", chart.alt);
    }
    // Read out one after another, no two charts sound alike.
    let alts: BTreeSet<&str> = charts.iter().map(|c| c.alt.as_str()).collect();
    assert_eq!(alts.len(), charts.len(), "two charts share an alt text");
}

#[test]
fn a_run_draws_every_chart_as_svg_and_png_and_no_sweep_charts() {
    let (study, runs) = simulate(TINY);
    let charts = draw_all(&StudyResults::new(&study, &runs, false)).unwrap();
    assert_eq!(names(&charts), SINGLE);
    assert_images(&charts, "tiny");
    // The legend names every policy.
    for policy in ["time-60s", "on-demand"] {
        assert!(
            charts[0].svg.contains(&format!(">\n{policy}\n</text>")),
            "{policy}"
        );
    }
}

#[test]
fn each_event_is_marked_and_named_in_the_staleness_and_regeneration_charts() {
    let text = format!(
        "{TINY}\n[[events]]\nname = \"release\"\nkind = \"deploy\"\nevery = \"8m\"\n\n[[events]]\nkind = \"restart\"\nat = \"5m\"\n"
    );
    let (study, runs) = simulate(&text);
    let results = StudyResults::new(&study, &runs, false);
    let timeline = super::Timeline::of(&results);
    let seconds: Vec<(f64, &str)> = (timeline.events.iter())
        .map(|(t, name)| (*t, name.as_str()))
        .collect();
    assert_eq!(
        seconds,
        [(300.0, "restart"), (480.0, "release"), (960.0, "release")],
        "every occurrence within the run, in time order"
    );
    let charts = draw_all(&results).unwrap();
    assert_images(&charts, "tiny");
    for chart in &charts[..2] {
        for name in ["release", "restart"] {
            assert!(
                chart.svg.contains(&format!(">\n{name}\n</text>")),
                "{}: {name}",
                chart.name
            );
        }
    }
}

#[test]
fn drawing_the_same_results_twice_gives_the_same_bytes_as_the_files() {
    let (study, runs) = simulate(TINY);
    let results = StudyResults::new(&study, &runs, false);
    let first = draw_all(&results).unwrap();
    assert!(first == draw_all(&results).unwrap(), "two drawings differ");
    let dir = scratch("charts-files");
    write_results(&study, &runs, &dir).unwrap();
    for chart in &first {
        let file = |extension| dir.join(format!("charts/{}.{extension}", chart.name));
        assert!(
            std::fs::read(file("png")).unwrap() == chart.png,
            "{}",
            chart.name
        );
        assert_eq!(std::fs::read_to_string(file("svg")).unwrap(), chart.svg);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_adds_a_chart_per_key_metric() {
    let text = format!("{TINY}\n[sweep]\n\"backend.concurrency\" = [1, 4]\n");
    let (study, runs) = simulate(&text);
    let charts = draw_all(&StudyResults::new(&study, &runs, false)).unwrap();
    let all: Vec<&str> = SINGLE.iter().chain(&SWEEP).copied().collect();
    assert_eq!(names(&charts), all);
    assert_images(&charts, "tiny");
}

#[test]
fn no_runs_still_give_every_chart() {
    let study = Study::parse(TINY, Path::new("t.toml")).unwrap();
    let charts = draw_all(&StudyResults::new(&study, &[], false)).unwrap();
    assert_eq!(names(&charts), SINGLE);
    assert_images(&charts, "tiny");
    let bare = StudyResults {
        study: &study,
        runs: Vec::new(),
        summaries: Vec::new(),
        slo_checked: false,
        warnings: Vec::new(),
    };
    assert_eq!(names(&draw_all(&bare).unwrap()), SINGLE);
    let swept = sweep();
    let charts = draw_all(&StudyResults::new(&swept, &[], false)).unwrap();
    assert_eq!(charts.len(), SINGLE.len() + SWEEP.len());
    assert_images(&charts, "swept");
}

/// A summary of the sweep fixture's `point` with every mean `mean` and half-width `ci`.
fn summary(point: usize, policy: &str, mean: Option<f64>, ci: Option<f64>) -> Summary {
    Summary {
        point,
        labels: sweep().points[point].labels.clone(),
        policy: policy.to_string(),
        replications: 2,
        means: [mean; RUN_COLUMNS.len()],
        ci95: [ci; RUN_COLUMNS.len()],
        routes: Vec::new(),
        simulated_requests: 0,
        slo: Vec::new(),
        runs: 0..0,
    }
}

#[test]
fn odd_values_neither_panic_nor_fail() {
    // One bucket, NaN, infinite, negative and unmeasured means, zero and negative stale ages on
    // the log axis, a category axis, and more series than colours.
    let study = sweep();
    let mut summaries = vec![
        summary(0, "p", Some(f64::NAN), Some(f64::INFINITY)),
        summary(1, "p", Some(-3.0), Some(1.0)),
        summary(2, "p", None, None),
    ];
    for k in 0..18 {
        let mut s = summary(3, &format!("q{k}"), Some(k as f64 / 10.0), Some(0.01));
        s.means[column("regenerations").unwrap()] = Some(1e9);
        summaries.push(s);
    }
    let mut odd = run_at(0, 0, 0, 0.0, &[]);
    odd.timeseries = vec![Bucket {
        backend_queue: 3,
        ..Bucket::default()
    }];
    odd.distributions.stale_age_s = QUANTILES.iter().map(|q| -2.0 * q).collect();
    odd.distributions.latency_ms = vec![f64::NAN; QUANTILES.len()];
    let mut zero = run_at(1, 0, 0, 0.0, &[]);
    zero.timeseries.truncate(1);
    zero.distributions.stale_age_s.clear();
    let runs = [odd, zero];
    let results = StudyResults {
        study: &study,
        runs: runs.iter().collect(),
        summaries,
        slo_checked: false,
        warnings: Vec::new(),
    };
    let charts = draw_all(&results).unwrap();
    assert_eq!(charts.len(), SINGLE.len() + SWEEP.len());
    assert_images(&charts, "swept");
}

/// A time series of (requests, stale responses) per bucket.
pub(super) fn timeseries(buckets: &[(u64, u64)]) -> Vec<Bucket> {
    (buckets.iter())
        .map(|&(requests, stale_responses)| Bucket {
            requests,
            stale_responses,
            ..Bucket::default()
        })
        .collect()
}

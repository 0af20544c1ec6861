//! Every chart is written, on both backends, at 1200×700, the same bytes each time, whatever the
//! data (a real run, a sweep, empty files, a single bucket, NaN).

use std::path::{Path, PathBuf};

use super::draw_all;
use crate::experiment::{self, Progress, Shard};
use crate::report::results::{Results, Table};
use crate::report::write_results;
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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isrsim-charts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `text` and writes its results folder (charts included) to `out`.
fn simulate(text: &str, out: &Path) {
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
    write_results(&study, &runs, out).unwrap();
}

fn charts_of(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn expected_files(names: &[&str]) -> Vec<String> {
    let mut files: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    files.sort();
    files
}

/// The PNG's width and height, from its IHDR chunk (big-endian, bytes 16 to 24).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// Each file is a whole 1200×700 image of its kind.
fn assert_images(dir: &Path, names: &[&str]) {
    for name in names {
        let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert_eq!(png_size(&png), (1200, 700), "{name}.png");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{name}.svg");
        assert!(svg.contains(r#"width="1200" height="700""#), "{name}.svg");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg");
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("</text>").count(),
            "{name}.svg"
        );
    }
}

#[test]
fn a_run_draws_every_chart_as_svg_and_png_and_no_sweep_charts() {
    let dir = scratch("single");
    let out = dir.join("tiny");
    simulate(TINY, &out);
    let charts = out.join("charts");
    assert_eq!(charts_of(&charts), expected_files(&SINGLE));
    assert_images(&charts, &SINGLE);
    // The legend names every policy.
    let svg = std::fs::read_to_string(charts.join("staleness.svg")).unwrap();
    for policy in ["time-60s", "on-demand"] {
        assert!(svg.contains(&format!(">\n{policy}\n</text>")), "{policy}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn drawing_the_same_files_twice_gives_the_same_bytes() {
    let dir = scratch("twice");
    let out = dir.join("tiny");
    simulate(TINY, &out);
    let results = Results::load(&out).unwrap();
    let (first, second) = (dir.join("first"), dir.join("second"));
    for target in [&first, &second] {
        std::fs::create_dir_all(target).unwrap();
        draw_all(&results, target).unwrap();
    }
    let files = charts_of(&first);
    assert_eq!(files, charts_of(&second));
    assert_eq!(files, charts_of(&out.join("charts")));
    for file in files {
        let read = |d: &Path| std::fs::read(d.join(&file)).unwrap();
        assert!(
            read(&first) == read(&second),
            "{file} differs between two drawings"
        );
        assert!(
            read(&first) == read(&out.join("charts")),
            "{file} differs from the run's"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_adds_a_chart_per_key_metric() {
    let dir = scratch("sweep");
    let out = dir.join("swept");
    let text = format!("{TINY}\n[sweep]\n\"backend.concurrency\" = [1, 4]\n");
    simulate(&text, &out);
    let charts = out.join("charts");
    let all: Vec<&str> = SINGLE.iter().chain(&SWEEP).copied().collect();
    assert_eq!(charts_of(&charts), expected_files(&all));
    assert_images(&charts, &all);
    std::fs::remove_dir_all(dir).unwrap();
}

pub(super) fn table(header: &str, rows: &[&str]) -> Table {
    let split = |line: &str| line.split(',').map(String::from).collect::<Vec<_>>();
    Table {
        header: split(header),
        rows: rows.iter().map(|r| split(r)).collect(),
    }
}

pub(super) fn results(
    axes: &[&str],
    summary: Table,
    timeseries: Table,
    distributions: Table,
) -> Results {
    Results {
        dir: PathBuf::new(),
        scenario: "not a scenario".to_string(),
        name: String::new(),
        axes: axes.iter().map(|a| a.to_string()).collect(),
        runs: Table::default(),
        summary,
        timeseries,
        routes: Table::default(),
        distributions,
    }
}

#[test]
fn empty_files_still_give_every_chart() {
    let dir = scratch("empty");
    let empty = results(&[], Table::default(), Table::default(), Table::default());
    let charts = draw_all(&empty, &dir).unwrap();
    let names: Vec<&str> = charts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, SINGLE);
    assert_images(&dir, &SINGLE);
    let swept = results(&["x"], Table::default(), Table::default(), Table::default());
    let charts = draw_all(&swept, &dir).unwrap();
    assert_eq!(charts.len(), SINGLE.len() + SWEEP.len());
    assert_images(&dir, &SWEEP);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn odd_values_neither_panic_nor_fail() {
    let dir = scratch("odd");
    // One bucket, NaN and infinite metrics, zero and negative stale ages on the log axis, a
    // category axis, and more series than colours.
    let summary_header = "scenario,mode,policy,replications,stale_ratio,stale_ratio_ci95,\
        stale_age_p99_s,stale_age_p99_s_ci95,regenerations,regenerations_ci95,regen_per_s_peak";
    let mut summary_rows = vec![
        "odd,a,p,1,NaN,inf,0,0,0,0,0".to_string(),
        "odd,b,p,1,0.5,0.1,-3,1,1e9,0,2".to_string(),
    ];
    for k in 0..18 {
        summary_rows.push(format!("odd,c,q{k},2,0.{k},0.01,{k}00,5,{k},1,{k}"));
    }
    let rows: Vec<&str> = summary_rows.iter().map(String::as_str).collect();
    let summary = table(summary_header, &rows);
    let timeseries = table(
        "mode,policy,replication,t_s,requests,stale_responses,regenerations,\
         regenerations_inflight,origin_requests,backend_queue",
        &["a,p,0,0,0,0,0,0,0,3", "b,p,0,0,NaN,1,inf,0,0,0"],
    );
    let distributions = table(
        "scenario,mode,policy,replication,metric,quantile,value",
        &[
            "odd,a,p,0,stale_age_s,0,0",
            "odd,a,p,0,stale_age_s,1,-2",
            "odd,a,p,0,latency_ms,1,NaN",
            "odd,b,p,0,latency_ms,0,0",
            "odd,b,p,0,latency_ms,0.5,0",
        ],
    );
    let odd = results(&["mode"], summary, timeseries, distributions);
    let charts = draw_all(&odd, &dir).unwrap();
    assert_eq!(charts.len(), SINGLE.len() + SWEEP.len());
    let all: Vec<&str> = SINGLE.iter().chain(&SWEEP).copied().collect();
    assert_images(&dir, &all);
    std::fs::remove_dir_all(dir).unwrap();
}

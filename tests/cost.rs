//! `[cost]` through the built binary and the load tester (docs/cost.md): a run's `cost_usd`
//! columns are its own counts priced by the documented formulas, recomputed here from
//! `runs.csv` and `routes.csv`; without `[cost]` they are not measured (empty, `n/a`, `null`);
//! bad input exits 2 naming the file, the line and the key; and `isrsim load`'s run is priced by
//! the same bill, checked against what the stand-in origin itself served.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use isrsim::driver::Driver;
use isrsim::load::{Load, Plan};
use isrsim::metrics::RunId;
use isrsim::time::SimTime;

mod support;

use support::origin::{Origin, OriginConfig, free_port, load_options};
use support::{assert_exit, isrsim, isrsim_run, scratch, stderr, write};

/// A small site with a CDN, one instance, and a price for the items a run of it counts; the
/// warm-up makes the counted period 1,800 s (P/30d = 1/1,440). One replication, so that
/// `routes.csv`'s means are the run's own route figures.
const PRICED: &str = r#"
duration = "40m"
warmup = "10m"
seed = 5

[traffic]
pattern = "steady"
rate = 5

[[routes]]
name = "posts"
pages = 50
page_size = "20000B"
edit_every = "5m"
regen_time = "200ms"

[[routes]]
name = "home"
pages = 1
share = 0.2
page_size = "9000B"
regen_time = "1s"

[cdn]
pops = 2

[[policies]]
name = "time"
revalidate = "30s"

[[policies]]
name = "purge"
on_edit = "regenerate"
purge_cdn = true

[cost]
request_time = "40ms"
memory_gb = 0.5
cdn_requests = 0.000001
cdn_gb = 0.085
invocations = 0.0000002
gb_seconds = 0.0000166667
isr_writes = 0.000004
invalidation_paths = { usd = 0.005, free_per_month = 1000 }
monthly = 20
"#;

/// A CSV file's rows as maps from column name to cell (no cell of these files is quoted).
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            (header.iter().zip(l.split(',')))
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

fn number(row: &HashMap<String, String>, name: &str) -> f64 {
    row[name]
        .parse()
        .unwrap_or_else(|_| panic!("`{name}` = {:?}", row[name]))
}

/// A run's bill by docs/cost.md, from its `runs.csv` row and its routes' rows: (period, month).
fn by_hand(run: &HashMap<String, String>, routes: &[&HashMap<String, String>]) -> (f64, f64) {
    let (p, month) = (1_800.0, 2_592_000.0);
    let size = |r: &HashMap<String, String>| {
        if r["route"] == "posts" {
            20_000.0
        } else {
            9_000.0
        }
    };
    let render = |r: &HashMap<String, String>| if r["route"] == "posts" { 0.2 } else { 1.0 };
    let units = |r: &HashMap<String, String>| if r["route"] == "posts" { 3.0 } else { 2.0 };
    let origin = number(run, "origin_requests");
    let regenerations = number(run, "regenerations");
    let sum =
        |f: &dyn Fn(&HashMap<String, String>) -> f64| routes.iter().map(|r| f(r)).sum::<f64>();
    let items = [
        (number(run, "requests"), 0.000001, 0.0),
        (sum(&|r| number(r, "requests") * size(r)) / 1e9, 0.085, 0.0),
        (origin + regenerations, 0.0000002, 0.0),
        (
            (origin * 0.040 + sum(&|r| number(r, "regenerations") * render(r))) * 0.5,
            0.0000166667,
            0.0,
        ),
        (
            sum(&|r| (number(r, "regenerations") - number(r, "regenerations_failed")) * units(r)),
            0.000004,
            0.0,
        ),
        (number(run, "purge_requests"), 0.005, 1_000.0),
        (p / month, 20.0, 0.0),
    ];
    let period = items
        .iter()
        .map(|&(q, usd, free)| usd * f64::max(0.0, q - free * p / month));
    let monthly = items
        .iter()
        .map(|&(q, usd, free)| usd * f64::max(0.0, q * month / p - free));
    (period.sum(), monthly.sum())
}

#[test]
fn each_runs_cost_is_its_counts_priced_by_the_documented_formulas() {
    let dir = scratch("priced");
    let scenario = write(&dir, "priced.toml", PRICED);
    let out = dir.join("out");
    let output = isrsim_run(&scenario, &out, &["--quiet"]);
    assert_exit(&output, 0);
    let runs = rows(&out.join("runs.csv"));
    let routes = rows(&out.join("routes.csv"));
    assert_eq!(runs.len(), 2);
    let mut purged = 0.0;
    for run in &runs {
        let mine: Vec<&HashMap<String, String>> = (routes.iter())
            .filter(|r| r["policy"] == run["policy"])
            .collect();
        assert_eq!(mine.len(), 2, "routes.csv has both routes of each run");
        let (usd, usd_month) = by_hand(run, &mine);
        let (got, got_month) = (number(run, "cost_usd"), number(run, "cost_usd_month"));
        assert!((got - usd).abs() <= 2e-6, "{got} vs {usd} by hand");
        assert!(
            (got_month - usd_month).abs() <= 2e-6 * usd_month,
            "{got_month} vs {usd_month}"
        );
        // The plan alone is $20 a month.
        assert!(got_month > 20.0);
        if run["policy"] == "purge" {
            purged += number(run, "purge_requests");
        }
    }
    assert!(
        purged > 0.0,
        "the purge policy purged, so its paths were billed"
    );
    // summary.json: each policy's breakdown, its lines summing to its totals.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for result in json["results"].as_array().unwrap() {
        let cost = &result["cost"];
        let items = cost["items"].as_array().unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["item"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "cdn_requests",
                "cdn_gb",
                "invocations",
                "gb_seconds",
                "isr_writes",
                "invalidation_paths",
                "monthly"
            ]
        );
        let total: f64 = items.iter().map(|i| i["usd_month"].as_f64().unwrap()).sum();
        assert!((total - cost["usd_month"].as_f64().unwrap()).abs() < 1e-9);
        let mean = result["metrics"]["cost_usd_month"]["mean"]
            .as_f64()
            .unwrap();
        assert!((mean - total).abs() <= 1e-5 * total, "{mean} vs {total}");
        assert_eq!(items[0]["source"], "the scenario");
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"cost\">") && html.contains("invalidation_paths"));
    // The comparison shows the monthly cost among its columns when the runs are priced.
    assert!(html.contains("cost/month"));
}

#[test]
fn without_cost_the_columns_are_not_measured_not_zero() {
    let dir = scratch("unpriced");
    let text = PRICED.split("[cost]").next().unwrap();
    let scenario = write(&dir, "unpriced.toml", text);
    let out = dir.join("out");
    let output = isrsim_run(
        &scenario,
        &out,
        &["--columns", "regenerations,cost_usd_month"],
    );
    assert_exit(&output, 0);
    for run in rows(&out.join("runs.csv")) {
        assert_eq!(
            (run["cost_usd"].as_str(), run["cost_usd_month"].as_str()),
            ("", "")
        );
    }
    let table = String::from_utf8(output.stdout).unwrap();
    for policy in ["time", "purge"] {
        let row = table.lines().find(|l| l.starts_with(policy));
        assert!(
            row.is_some_and(|l| l.trim_end().ends_with("n/a")),
            "{table}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for result in json["results"].as_array().unwrap() {
        assert!(result["cost"].is_null());
        assert!(result["metrics"]["cost_usd"]["mean"].is_null());
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("id=\"cost\""));
}

#[test]
fn bad_cost_input_exits_2_naming_the_file_the_line_and_the_key() {
    let dir = scratch("bad");
    let cases = [
        (
            "cdn_requests = 0.000001",
            "cdn_request = 0.000001",
            "cost.cdn_request",
        ),
        ("cdn_gb = 0.085", "cdn_gb = -0.085", "cost.cdn_gb"),
        (
            "request_time = \"40ms\"",
            "prices = \"amazon\"",
            "cost.prices",
        ),
    ];
    for (from, to, key) in cases {
        let text = PRICED.replace(from, to);
        let line = text.lines().position(|l| l == to).unwrap() + 1;
        let scenario = write(&dir, "bad.toml", &text);
        let output = isrsim(&["validate", scenario.to_str().unwrap()]);
        assert_exit(&output, 2);
        let err = stderr(&output);
        assert!(err.contains(&format!("bad.toml:{line}:")), "{err}");
        assert!(err.contains(&format!("key `{key}`")), "{err}");
    }
}

#[test]
fn a_load_test_fills_the_same_columns_from_what_it_measured() {
    let scenario = support::parse(
        r#"
duration = "3s"
warmup = "0s"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 2
page_size = "10000B"
regen_time = "100ms"
[[policies]]
name = "p"
revalidate = false
[cost]
invocations = 1
isr_reads = 0.01
"#,
    );
    let cms = free_port();
    let origin = Origin::start(OriginConfig {
        revalidate: None,
        ..OriginConfig::new(cms)
    });
    let at = |s: f64| SimTime::from_secs_f64(s);
    let plan = Plan::scripted(vec![(at(0.2), 0), (at(0.6), 1), (at(1.0), 0)], Vec::new());
    let load = Load::scripted(load_options(&origin, cms), plan);
    let run = RunId {
        point: 0,
        policy: 0,
        replication: 0,
        seed: 1,
    };
    let result = load
        .run(&scenario, run, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));
    std::thread::sleep(Duration::from_millis(50));
    // No CDN: every request reached the origin, which counts them itself.
    let served = origin.requests() as f64;
    assert_eq!(served, 3.0);
    let regenerations = result.metrics.get("regenerations").unwrap();
    // $1 an invocation (origin requests + regenerations), 1 cent per 8 KB unit read: a
    // 10,000-byte page is 2 units.
    let want = (served + regenerations) + 0.01 * served * 2.0;
    let got = result.metrics.get("cost_usd").unwrap();
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    let month = result.metrics.get("cost_usd_month").unwrap();
    assert!((month - want * 2_592_000.0 / 3.0).abs() < 1e-3, "{month}");
}

//! `report.html` as a reader gets it from `isrsim run`: one file that stands alone, with every
//! chart inline, the comparison of every policy and the metric definitions, and that a browser
//! (headless Chromium) renders without errors, every chart with a size.

use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{assert_exit, isrsim, isrsim_run, scratch, write};

/// Two policies at two sweep points, two replications each; the description holds characters
/// HTML must escape.
const SCENARIO: &str = r#"
name = "report-check"
description = "Time-based <revalidate> & on-demand, at two backend sizes"
duration = "20m"
warmup = "1m"
seed = 11
replications = 2

[traffic]
pattern = "steady"
rate = 30

[[routes]]
name = "posts"
pages = 200
popularity = 1.0
edit_every = "1h"
regen_time = { uniform = ["100ms", "900ms"] }

[[routes]]
name = "categories"
pages = 5
share = 0.2
depends_on = "posts"
regen_time = "500ms"

[cdn]
pops = 2
rtt = "10ms"
origin_rtt = "50ms"
purge_delay = { exponential = "200ms" }

[origin]
instances = 2

[backend]
concurrency = 2

[[policies]]
name = "time-60s"
revalidate = "60s"

[[policies]]
name = "on-demand"
on_edit = "regenerate"
broadcast = true
purge_cdn = true

[sweep]
"backend.concurrency" = [1, 4]
"#;

const POLICIES: [&str; 2] = ["time-60s", "on-demand"];

/// Runs the scenario into `dir/results` and returns that folder.
fn run(dir: &Path) -> PathBuf {
    let scenario = write(dir, "report-check.toml", SCENARIO);
    let out = dir.join("results");
    assert_exit(&isrsim_run(&scenario, &out, &["--quiet"]), 0);
    out
}

/// The names (without `.svg`) of the SVG files in `results/charts/`, sorted.
fn chart_files(results: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(results.join("charts")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The text between `start` (inclusive) and the next `end` after it (exclusive).
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} is in the report"));
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} follows {start}"));
    &text[from..from + len]
}

/// Every value of an attribute (`href`, `src`) in the markup, quoted or not.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}=");
    let mut values = Vec::new();
    for (i, _) in html.match_indices(&needle) {
        let preceded = html[..i].ends_with(|c: char| c.is_ascii_whitespace() || c == ':');
        if !preceded {
            continue;
        }
        let rest = &html[i + needle.len()..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => &rest[1..1 + rest[1..].find(q).unwrap_or(0)],
            _ => {
                &rest[..rest
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(rest.len())]
            }
        };
        values.push(value);
    }
    values
}

#[test]
fn the_report_stands_alone_with_every_chart_the_comparison_and_the_metrics() {
    let dir = scratch("content");
    let results = run(&dir);
    let html = fs::read_to_string(results.join("report.html")).expect("report.html is written");

    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    assert!(html.contains("<h1>report-check</h1>"));
    assert!(html.contains("Time-based &lt;revalidate&gt; &amp; on-demand, at two backend sizes"));
    let toml = between(&html, "<section id=\"scenario\">", "</section>");
    assert!(
        toml.contains("<pre><code>name = &quot;report-check&quot;"),
        "{toml}"
    );
    assert!(
        toml.contains("[sweep]\n&quot;backend.concurrency&quot; = [1, 4]"),
        "{toml}"
    );

    // Every chart file is inlined once, in a figure with a title, and whole: as many tags as
    // the file has after its root element starts.
    let charts = chart_files(&results);
    assert_eq!(
        html.matches("<svg").count(),
        charts.len(),
        "one inline <svg> per chart file"
    );
    for chart in &charts {
        let figure = between(
            &html,
            &format!("<figure class=\"chart\" id=\"chart-{chart}\">"),
            "</figure>",
        );
        let heading = between(figure, "<h3", "</h3>");
        let title = &heading[heading.find('>').unwrap() + 1..];
        assert!(!title.trim().is_empty(), "{chart} has a title: {figure}");
        let file = fs::read_to_string(results.join("charts").join(format!("{chart}.svg"))).unwrap();
        let root = &file[file.find("<svg").unwrap()..];
        let inlined = between(figure, "<svg", "<figcaption>");
        assert_eq!(
            inlined.matches('<').count(),
            root.trim_end().matches('<').count(),
            "{chart}"
        );
        assert!(inlined.contains("viewBox=\""), "{chart} can scale");
    }
    if charts.is_empty() {
        assert!(html.contains("No charts were drawn"));
    }

    // One row per (sweep point, policy): the axis first, the policy, then mean ± ci95.
    let table = between(&html, "<table class=\"comparison\">", "</table>");
    assert!(
        // The heading may offer a line break after the dot.
        table
            .replace("<wbr>", "")
            .contains("<th scope=\"col\"><code>backend.concurrency</code></th>"),
        "{table}"
    );
    assert_eq!(
        table.matches("<tr").count(),
        1 + 2 * POLICIES.len(),
        "{table}"
    );
    for policy in POLICIES {
        let rows = format!("<th scope=\"row\">{policy}</th>");
        assert_eq!(
            table.matches(&rows).count(),
            2,
            "{policy} at both points: {table}"
        );
    }
    assert!(
        table.contains("<span class=\"ci\">± "),
        "two replications give intervals"
    );

    // Every run column of runs.csv (after scenario, the axis, policy, replication and seed) is
    // defined, with its meaning.
    let runs = fs::read_to_string(results.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let metrics = between(&html, "<section id=\"metrics\">", "</section>");
    assert!(header.len() > 5);
    for name in &header[5..] {
        let row = between(metrics, &format!("<tr id=\"metric-{name}\">"), "</tr>");
        assert!(
            row.matches("<td>").count() == 4 && !row.ends_with("<td>"),
            "{row}"
        );
    }

    // Nothing outside the file: links only to its own anchors, no sources but inline data.
    for href in attribute_values(&html, "href") {
        assert!(href.starts_with('#'), "a link that leaves the page: {href}");
    }
    for src in attribute_values(&html, "src") {
        assert!(src.starts_with("data:"), "an external source: {src}");
    }
    for outside in [
        "<link", "<script", "<img", "<iframe", "<object", "<embed", "@import", "url(", "file:",
    ] {
        assert!(!html.contains(outside), "the report holds {outside}");
    }

    // `isrsim plot` redraws the same bytes: nothing in the page depends on when it was written.
    assert_exit(&isrsim(&["plot", results.to_str().unwrap()]), 0);
    assert_eq!(
        fs::read_to_string(results.join("report.html")).unwrap(),
        html
    );
    fs::remove_dir_all(dir).unwrap();
}

/// Loads the report in an iframe and writes what it finds into `<pre id="result">`, one fact a
/// line: each `svg` with its rendered size, its viewBox and its figure; the scripts and sources
/// the page holds; and every error raised in the report's window once it exists. The report has
/// no scripts (checked above and here), so nothing can fail before the listener is attached.
const WRAPPER: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>wrapper</title></head>
<body>
<pre id="result"></pre>
<script>
"use strict";
const errors = [];
window.addEventListener("error", (e) => errors.push("wrapper: " + e.message));
const frame = document.createElement("iframe");
frame.style.width = "1280px";
frame.style.height = "900px";
// The iframe gets a new window when the report's document replaces the first empty one: mark
// each window once and listen on it as soon as it exists.
function watch() {
  const w = frame.contentWindow;
  if (w && frame.contentDocument && !w.__watched) {
    w.__watched = true;
    w.addEventListener("error", (e) => {
      const what = e.target && (e.target.src || e.target.href);
      errors.push(e.message || ("failed to load " + what));
    }, true);
    w.addEventListener("unhandledrejection", () => errors.push("unhandled rejection"));
  }
}
const poll = setInterval(watch, 1);
frame.addEventListener("load", () => {
  watch();
  clearInterval(poll);
  const lines = [];
  const doc = frame.contentDocument;
  if (!doc) {
    lines.push("error the report's document cannot be read");
  } else {
    lines.push("title " + doc.title);
    lines.push("scripts " + doc.scripts.length);
    lines.push("sources " + doc.querySelectorAll("[src]").length);
    lines.push("viewport " + doc.documentElement.clientWidth);
    for (const svg of doc.querySelectorAll("svg")) {
      const r = svg.getBoundingClientRect();
      const box = svg.viewBox.baseVal;
      const figure = svg.closest("figure");
      lines.push(["svg", r.width, r.height, r.right, box ? box.width : 0, box ? box.height : 0,
        figure ? figure.id : "-"].join(" "));
    }
  }
  setTimeout(() => {
    for (const e of errors) lines.push("error " + e);
    lines.push("done");
    document.getElementById("result").textContent = lines.join("\n");
  }, 50);
});
frame.src = "results/report.html";
document.body.appendChild(frame);
</script>
</body></html>
"#;

/// Chromium's launcher, if installed.
fn chromium() -> Option<PathBuf> {
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.is_file() {
        return Some(debian);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
}

/// Runs `browser` with `args` and returns its stdout, killing it (and every process it started)
/// when it takes longer than `limit`.
fn run_bounded(
    browser: &Path,
    args: &[String],
    limit: Duration,
) -> Result<(String, String), String> {
    let mut child = Command::new(browser)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout can end the renderers and helpers too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", browser.display()))?;
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            return Err(format!(
                "Chromium did not finish within {} s; killed",
                limit.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    if !status.success() {
        return Err(format!("Chromium exited with {status}:\n{stderr}"));
    }
    Ok((stdout, stderr))
}

#[test]
fn the_report_renders_in_chromium_without_errors_and_every_chart_has_a_size() {
    let Some(browser) = chromium() else {
        // `.ci/run` installs Chromium and sets ISRSIM_REQUIRE_CHROMIUM, so there a missing
        // browser fails; elsewhere the skip is said on the real stderr, which the test harness
        // does not capture, so it shows in the test log.
        let why = "Chromium is not installed; `apt-get install chromium` to run it";
        assert!(
            std::env::var_os("ISRSIM_REQUIRE_CHROMIUM").is_none(),
            "ISRSIM_REQUIRE_CHROMIUM is set, but {why}"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED (not run): report in Chromium: {why}"
        );
        return;
    };
    let dir = scratch("chromium");
    let results = run(&dir);
    let charts = chart_files(&results);
    let wrapper = write(&dir, "wrapper.html", WRAPPER);
    let profile = dir.join("profile");
    fs::create_dir_all(&profile).unwrap();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        "--window-size=1400,1000",
        "--virtual-time-budget=5000",
        // Console messages of every frame (uncaught errors, refused loads) go to stderr.
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([
        format!("--user-data-dir={}", profile.display()),
        format!("file://{}", wrapper.display()),
    ])
    .collect::<Vec<_>>();
    let (dom, stderr) = match run_bounded(&browser, &args, Duration::from_secs(60)) {
        Ok(output) => output,
        Err(e) => panic!("{e}"),
    };

    let Some(start) = dom.find("<pre id=\"result\">") else {
        panic!("no result in the dumped page:\n{dom}\n{stderr}");
    };
    let result = &dom[start + "<pre id=\"result\">".len()..];
    let result = &result[..result.find("</pre>").unwrap_or(result.len())];
    let result = result
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let lines: Vec<&str> = result.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"done"),
        "the page finished loading:\n{result}\n{stderr}"
    );
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error")).collect();
    assert!(errors.is_empty(), "errors in the page: {errors:?}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(
        lines.contains(&"title report-check — isrsim report"),
        "{result}"
    );
    assert!(
        lines.contains(&"scripts 0") && lines.contains(&"sources 0"),
        "{result}"
    );
    let viewport: f64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("viewport "))
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no viewport width: {result}"));

    // Every chart renders with a size, within the page's width, at its own aspect ratio.
    let svgs: Vec<Vec<&str>> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("svg "))
        .map(|l| l.split(' ').collect())
        .collect();
    let mut figures: Vec<&str> = svgs
        .iter()
        .map(|s| s[5].trim_start_matches("chart-"))
        .collect();
    figures.sort_unstable();
    assert_eq!(
        figures, charts,
        "one rendered svg per chart file:\n{result}"
    );
    for svg in &svgs {
        let number = |i: usize| svg[i].parse::<f64>().unwrap();
        let (width, height, right) = (number(0), number(1), number(2));
        let (box_width, box_height) = (number(3), number(4));
        let chart = svg[5];
        assert!(width > 0.0 && height > 0.0, "{chart} has no size: {svg:?}");
        assert!(
            right <= viewport + 0.5,
            "{chart} is wider than the page: {svg:?}"
        );
        let expected = width * box_height / box_width;
        assert!(
            (height - expected).abs() < 1.0,
            "{chart} keeps its aspect ratio: {svg:?}"
        );
    }
    fs::remove_dir_all(dir).unwrap();
}

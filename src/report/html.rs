//! `report.html`: a results folder as one page a person can open from disk, mail, or keep as a
//! CI artifact.
//!
//! The page stands alone by design: its CSS is inline, every chart's SVG markup is inlined (no
//! `<img src>`), and it has no scripts, fonts or links beyond its own anchors, so it reads the same
//! from `file://`, an artifact viewer or an attachment with nothing beside it. Like the charts, it
//! is drawn from the folder's files alone (`Results`) and holds no timestamp, so the same folder
//! always gives the same bytes and `isrsim plot` redraws exactly what `isrsim run` wrote.

use std::io;
use std::path::Path;

use super::charts::Chart;
use super::figures::CHARTS_DIR;
use super::format::human;
use super::results::Results;
use super::table::{KEY_COLUMNS, describe_replications, key_columns};
use crate::metrics::{Better, RUN_COLUMNS, Unit};

/// Writes the report of `results`, with `charts` (already drawn into `charts/`) in their order.
pub fn write_report(results: &Results, charts: &[Chart], path: &Path) -> io::Result<()> {
    std::fs::write(path, render(results, charts))
}

/// The whole page.
fn render(results: &Results, charts: &[Chart]) -> String {
    let scenario: Option<toml::Table> = toml::from_str(&results.scenario).ok();
    let text_key = |key: &str| {
        let value = scenario.as_ref()?.get(key)?.as_str()?.trim();
        (!value.is_empty()).then(|| value.to_string())
    };
    let name = match results.name.as_str() {
        "" => text_key("name").unwrap_or_else(|| "scenario".to_string()),
        name => name.to_string(),
    };
    let comparison = Comparison::read(results);

    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(&format!(
        "<title>{} — isrsim report</title>\n",
        escape(&name)
    ));
    page.push_str(&format!(
        "<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n"
    ));

    page.push_str("<header>\n<p class=\"kicker\">isrsim report</p>\n");
    page.push_str(&format!("<h1>{}</h1>\n", escape(&name)));
    if let Some(description) = text_key("description") {
        page.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(&description)));
    }
    page.push_str(&format!(
        "<p class=\"facts\">{}</p>\n",
        escape(&comparison.facts())
    ));
    page.push_str(concat!(
        "<nav><a href=\"#comparison\">Comparison</a> · <a href=\"#charts\">Charts</a> · ",
        "<a href=\"#metrics\">Metrics</a> · <a href=\"#scenario\">Scenario file</a></nav>\n",
        "</header>\n",
    ));

    page.push_str(&comparison.section());
    page.push_str(&charts_section(results, charts));
    page.push_str(&metrics_section());

    page.push_str("<section id=\"scenario\">\n<h2>Scenario file</h2>\n");
    page.push_str(concat!(
        "<p class=\"note\"><code>scenario.toml</code> as written. <code>--seed</code> and ",
        "<code>--replications</code> on the command line override its values; ",
        "<code>runs.csv</code> has the seed of every run.</p>\n",
    ));
    page.push_str(&format!(
        "<pre><code>{}</code></pre>\n</section>\n",
        escape(results.scenario.trim_start_matches(['\n', '\r']).trim_end())
    ));

    page.push_str(&format!(
        concat!(
            "<footer>Written by isrsim {}. Figures are rounded for reading; ",
            "<code>summary.csv</code> and <code>runs.csv</code> keep them precise.</footer>\n",
        ),
        env!("CARGO_PKG_VERSION")
    ));
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The comparison table read back from `summary.csv`: one row per (sweep point, policy).
struct Comparison {
    axes: Vec<String>,
    /// Index into `RUN_COLUMNS`, and heading.
    columns: Vec<(usize, &'static str)>,
    rows: Vec<ComparisonRow>,
}

struct ComparisonRow {
    labels: Vec<String>,
    policy: String,
    replications: usize,
    /// Per column: the mean, and the half-width of its 95% interval when there are two
    /// replications or more; `-` alone when the policy had no runs.
    cells: Vec<(String, Option<String>)>,
}

impl Comparison {
    fn read(results: &Results) -> Comparison {
        let summary = &results.summary;
        let columns = key_columns();
        let rows = summary
            .rows
            .iter()
            .map(|row| {
                let replications = summary.number(row, "replications") as usize;
                let cells = columns
                    .iter()
                    .map(|&(i, _)| {
                        let column = &RUN_COLUMNS[i];
                        let mean = summary.number(row, column.name);
                        let ci = summary.number(row, &format!("{}_ci95", column.name));
                        match replications {
                            0 => ("-".to_string(), None),
                            1 => (human(mean, column.unit), None),
                            _ => (human(mean, column.unit), Some(human(ci, column.unit))),
                        }
                    })
                    .collect();
                ComparisonRow {
                    labels: results
                        .axes
                        .iter()
                        .map(|a| summary.text(row, a).to_string())
                        .collect(),
                    policy: summary.text(row, "policy").to_string(),
                    replications,
                    cells,
                }
            })
            .collect();
        Comparison {
            axes: results.axes.clone(),
            columns,
            rows,
        }
    }

    /// "3 replications per policy (mean ± 95% CI) · 2 policies · 4 sweep points", the
    /// replications counted as the terminal table's first line counts them.
    fn facts(&self) -> String {
        let replications: Vec<usize> = self.rows.iter().map(|r| r.replications).collect();
        let mut facts = describe_replications(&replications);
        let mut policies: Vec<&str> = self.rows.iter().map(|r| r.policy.as_str()).collect();
        policies.sort_unstable();
        policies.dedup();
        facts.push_str(&format!(
            " · {} {}",
            policies.len(),
            plural(policies.len(), "policy")
        ));
        if !self.axes.is_empty() {
            let mut points: Vec<&[String]> = self.rows.iter().map(|r| &r.labels[..]).collect();
            points.dedup();
            facts.push_str(&format!(
                " · {} {}",
                points.len(),
                plural(points.len(), "sweep point")
            ));
        }
        facts
    }

    fn section(&self) -> String {
        let sweep = if self.axes.is_empty() {
            ""
        } else {
            " at each sweep point, under the point's value of each swept key"
        };
        let figures = if self.rows.iter().any(|r| r.replications > 1) {
            "the mean over replications and, under it, the half-width of its 95% confidence interval"
        } else {
            "the figures of its one run"
        };
        let mut html = String::from("<section id=\"comparison\">\n<h2>Comparison</h2>\n");
        html.push_str(&format!(
            concat!(
                "<p class=\"note\">One row per policy{}: {}. Every policy saw the same users ",
                "and the same edits. Headings link to the metric's definition.</p>\n",
            ),
            sweep, figures
        ));
        html.push_str("<div class=\"scroll\">\n<table class=\"comparison\">\n<thead>\n<tr>");
        for axis in &self.axes {
            html.push_str(&format!(
                "<th scope=\"col\"><code>{}</code></th>",
                // A long dotted key may break after a dot rather than widen the table.
                escape(axis).replace('.', ".<wbr>")
            ));
        }
        html.push_str("<th scope=\"col\">policy</th>");
        for &(i, heading) in &self.columns {
            let column = &RUN_COLUMNS[i];
            html.push_str(&format!(
                "<th scope=\"col\" class=\"num\"><a href=\"#metric-{}\" title=\"{}\">{}</a></th>",
                column.name,
                escape(column.meaning),
                escape(heading)
            ));
        }
        html.push_str("</tr>\n</thead>\n<tbody>\n");
        let mut previous: Option<&[String]> = None;
        for row in &self.rows {
            // A sweep's rows come point by point; a rule between points groups their policies.
            let new_point = !self.axes.is_empty() && previous.is_some_and(|p| p != row.labels);
            previous = Some(&row.labels);
            html.push_str(if new_point {
                "<tr class=\"point\">"
            } else {
                "<tr>"
            });
            for label in &row.labels {
                // An inline table wraps between its pairs, never inside `key = value`.
                let label = escape(label)
                    .replace(" = ", "&nbsp;=&nbsp;")
                    .replace("{ ", "{&nbsp;")
                    .replace(" }", "&nbsp;}");
                html.push_str(&format!("<td><code>{label}</code></td>"));
            }
            html.push_str(&format!("<th scope=\"row\">{}</th>", escape(&row.policy)));
            for (mean, ci) in &row.cells {
                html.push_str(&format!("<td class=\"num\">{}", escape(mean)));
                if let Some(ci) = ci {
                    html.push_str(&format!("<span class=\"ci\">± {}</span>", escape(ci)));
                }
                html.push_str("</td>");
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
        html
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => word.to_string(),
        (_, "policy") => "policies".to_string(),
        _ => format!("{word}s"),
    }
}

/// Every chart inline, with its title above and its caption below.
fn charts_section(results: &Results, charts: &[Chart]) -> String {
    let mut html = String::from("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if charts.is_empty() {
        html.push_str("<p class=\"note\">No charts were drawn for this run.</p>\n");
    }
    for chart in charts {
        let file = format!("{CHARTS_DIR}/{}.svg", chart.name);
        let svg = std::fs::read_to_string(results.dir.join(&file))
            .map_err(|e| e.to_string())
            .and_then(|markup| inline_svg(&markup, &chart.title));
        // A chart that draws its own title keeps the heading for screen readers and the
        // outline only, so a sighted reader does not read it twice.
        let class = match &svg {
            Ok(svg) if draws_title(svg, &chart.title) => " class=\"in-chart\"",
            _ => "",
        };
        html.push_str(&format!(
            "<figure class=\"chart\" id=\"chart-{}\">\n<h3{class}>{}</h3>\n",
            escape(&chart.name),
            escape(&chart.title)
        ));
        match svg {
            Ok(svg) => html.push_str(&svg),
            // The numbers are still worth reading; say what is missing rather than lose them.
            Err(e) => html.push_str(&format!(
                "<p class=\"missing\">{} could not be inlined: {}.</p>",
                escape(&file),
                escape(&e)
            )),
        }
        html.push_str(&format!(
            "\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&chart.caption)
        ));
    }
    html.push_str("</section>\n");
    html
}

/// Every run column: its name, unit, which direction is better, and what it means.
fn metrics_section() -> String {
    let mut html = String::from("<section id=\"metrics\">\n<h2>Metrics</h2>\n");
    html.push_str(concat!(
        "<p class=\"note\">The columns of <code>runs.csv</code>, one value per run. ",
        "<code>summary.csv</code> gives each one's mean over replications and, as ",
        "<code><var>metric</var>_ci95</code>, the half-width of its 95% Student-t interval.</p>\n",
    ));
    html.push_str("<div class=\"scroll\">\n<table class=\"metrics\">\n<thead>\n<tr>");
    html.push_str(concat!(
        "<th scope=\"col\">metric</th><th scope=\"col\">in the comparison</th>",
        "<th scope=\"col\">unit</th><th scope=\"col\">better</th>",
        "<th scope=\"col\">meaning</th></tr>\n</thead>\n<tbody>\n",
    ));
    for column in &RUN_COLUMNS {
        let heading = KEY_COLUMNS
            .iter()
            .find(|(name, _)| *name == column.name)
            .map_or("", |(_, heading)| heading);
        let unit = match column.unit {
            Unit::Count => "count",
            Unit::Ratio => "ratio (shown as %)",
            Unit::Seconds => "seconds",
            Unit::Millis => "milliseconds",
            Unit::PerSecond => "per second",
        };
        let better = match column.better {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::Neutral => "neither",
        };
        html.push_str(&format!(
            "<tr id=\"metric-{}\"><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            column.name,
            escape(column.name),
            escape(heading),
            unit,
            better,
            escape(column.meaning)
        ));
    }
    html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    html
}

/// An SVG file's markup, ready to sit inside the page: without the XML prolog, doctype and
/// comments before the root (HTML has no place for them), with a `viewBox` so CSS can scale it,
/// and labelled for screen readers with the chart's title.
fn inline_svg(markup: &str, title: &str) -> Result<String, String> {
    let root = skip_prolog(markup);
    let is_root = root.strip_prefix("<svg").is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
    });
    if !is_root {
        return Err("it does not start with an <svg> element".to_string());
    }
    let tag_end = tag_end(root).ok_or("its <svg> tag is not closed")?;
    let attributes = attributes(&root[4..tag_end]);
    let has = |name: &str| attributes.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut added = String::new();
    if !has("viewBox") {
        let length = |name: &str| {
            let (_, value) = attributes.iter().find(|(n, _)| *n == name)?;
            let value = value.trim().trim_end_matches("px");
            value.parse::<f64>().ok().filter(|v| *v > 0.0)
        };
        if let (Some(width), Some(height)) = (length("width"), length("height")) {
            added.push_str(&format!(" viewBox=\"0 0 {width} {height}\""));
        }
    }
    if !has("role") {
        added.push_str(" role=\"img\"");
    }
    if !has("aria-label") {
        added.push_str(&format!(" aria-label=\"{}\"", escape(title)));
    }
    let svg = format!("<svg{added}{}", &root[4..]);
    Ok(svg.trim_end().to_string())
}

/// Whether an SVG has a `<text>` element whose whole text is `title`.
fn draws_title(svg: &str, title: &str) -> bool {
    svg.split("<text").skip(1).any(|element| {
        let Some(start) = element.find('>') else {
            return false;
        };
        let body = &element[start + 1..];
        let text = &body[..body.find("</text>").unwrap_or(body.len())];
        let text = text
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        text == title.trim()
    })
}

/// The markup from its root element on: past whitespace, `<?xml …?>`, comments and a doctype
/// (with its internal subset, if any).
fn skip_prolog(markup: &str) -> &str {
    let mut rest = markup.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        let skipped = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest
            .get(..9)
            .is_some_and(|s| s.eq_ignore_ascii_case("<!DOCTYPE"))
        {
            let subset_end = match (rest.find('['), rest.find('>')) {
                (Some(open), Some(close)) if open < close => rest.find(']').unwrap_or(open),
                _ => 0,
            };
            rest[subset_end..].find('>').map(|i| subset_end + i + 1)
        } else {
            None
        };
        match skipped {
            Some(n) => rest = &rest[n..],
            None => return rest,
        }
    }
}

/// The index of the `>` that closes the tag `markup` starts with, outside quoted values.
fn tag_end(markup: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in markup.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The `name="value"` pairs of a start tag's text (after the tag name, before `>`).
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut rest = tag;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if name_end == 0 {
            return found;
        }
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let Some(after) = rest.strip_prefix('=') else {
            found.push((name, ""));
            continue;
        };
        let after = after.trim_start();
        let value_end = match after.chars().next() {
            Some(q @ ('"' | '\'')) => after[1..].find(q).map(|i| (1, i + 1, i + 2)),
            _ => {
                let end = after
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(after.len());
                Some((0, end, end))
            }
        };
        let Some((start, end, next)) = value_end else {
            return found;
        };
        found.push((name, &after[start..end]));
        rest = &after[next..];
    }
}

/// Text made safe for HTML content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Readable on screen and on paper: a system font, dark text on white, numbers in aligned
/// columns, charts as wide as the page and no wider.
const CSS: &str = include_str!("report.css");

#[cfg(test)]
mod tests {
    use super::super::comparison_table;
    use super::super::fixture::{run, run_at, scratch, study, sweep};
    use super::super::write_results;
    use super::*;

    /// A results folder written by the real writers from hand-made runs, with its report.
    fn folder(
        test: &str,
        study: &crate::scenario::Study,
        runs: &[crate::metrics::RunResult],
    ) -> Results {
        let out = scratch(test).join("results");
        write_results(study, runs, &out).unwrap();
        Results::load(&out).unwrap()
    }

    /// The cells of the terminal table's rows, split where its columns are (two spaces or more).
    fn terminal_rows(table: &str) -> Vec<Vec<String>> {
        table
            .lines()
            .skip(2)
            .filter(|l| !l.starts_with('-'))
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_comparison_has_the_terminal_tables_headings_and_figures() {
        let runs = [
            run(
                0,
                0,
                0.0,
                &[
                    ("stale_ratio", 0.1),
                    ("regenerations", 12_000.0),
                    ("latency_p99_ms", 250.5),
                ],
            ),
            run(
                0,
                1,
                0.0,
                &[
                    ("stale_ratio", 0.3),
                    ("regenerations", 12_001.0),
                    ("latency_p99_ms", 250.5),
                ],
            ),
            run(
                1,
                0,
                1.5,
                &[("stale_age_p99_s", 4.25), ("cdn_hit_ratio", 0.987654)],
            ),
        ];
        let study = study();
        let results = folder("html-agree", &study, &runs);
        let terminal = terminal_rows(&comparison_table(&study, &runs));
        let comparison = Comparison::read(&results);
        let headings: Vec<&str> = comparison.columns.iter().map(|c| c.1).collect();
        assert_eq!(terminal[0][1..], headings[..]);
        assert_eq!(comparison.rows.len(), 2);
        for (row, expected) in comparison.rows.iter().zip(&terminal[1..]) {
            let mut cells = vec![row.policy.clone()];
            cells.extend(row.cells.iter().map(|(mean, ci)| match ci {
                Some(ci) => format!("{mean} ± {ci}"),
                None => mean.clone(),
            }));
            assert_eq!(&cells, expected);
        }
        // 0.1 and 0.3: mean 20%, half-width 12.706205 * 0.1 = 127.06%.
        assert_eq!(
            comparison.rows[0].cells[0],
            ("20.00%".to_string(), Some("127.06%".to_string()))
        );
        assert_eq!(
            comparison.facts(),
            "1 to 2 replications per policy (mean ± 95% CI) · 2 policies"
        );
    }

    #[test]
    fn a_sweep_puts_each_points_labels_before_the_policy() {
        let runs: Vec<_> = (0..4)
            .flat_map(|p| (0..2).map(move |q| run_at(p, q, 0, 1.0, &[])))
            .collect();
        let results = folder("html-sweep", &sweep(), &runs);
        let comparison = Comparison::read(&results);
        assert_eq!(comparison.axes, ["bucket", "origin"]);
        assert_eq!(
            comparison.rows[3].labels,
            ["2.5s", r#"{ cache = "shared", lock = true }"#]
        );
        assert_eq!(comparison.rows[3].policy, "slow");
        assert!(
            comparison
                .facts()
                .ends_with("· 2 policies · 4 sweep points"),
            "{}",
            comparison.facts()
        );
        let html = comparison.section();
        assert!(html.contains("<th scope=\"col\"><code>bucket</code></th><th scope=\"col\"><code>origin</code></th><th scope=\"col\">policy</th>"));
        assert!(html.contains(
            "<td><code>{&nbsp;cache&nbsp;=&nbsp;&quot;shared&quot;, lock&nbsp;=&nbsp;true&nbsp;}</code></td>"
        ));
        // A rule between the 4 points: 3 rows start a new point.
        assert_eq!(html.matches("<tr class=\"point\">").count(), 3);
    }

    #[test]
    fn a_chart_file_is_inlined_without_its_prolog_and_scales() {
        let results = folder(
            "html-chart",
            &study(),
            &[run(0, 0, 1.0, &[]), run(1, 0, 1.0, &[])],
        );
        let charts = results.dir.join(CHARTS_DIR);
        std::fs::create_dir_all(&charts).unwrap();
        let svg = concat!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- drawn by hand -->\n",
            "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320px\" height='200'>",
            "<rect width=\"320\" height=\"200\" fill=\"#eee\"/>",
            "<text x=\"10\" y=\"20\">a &lt; b</text>",
            "<text x=\"160\">\nStale &lt;share&gt; &amp; &quot;age&quot;\n</text></svg>\n",
        );
        std::fs::write(charts.join("fake.svg"), svg).unwrap();
        let fake = Chart {
            name: "fake".to_string(),
            title: "Stale <share> & \"age\"".to_string(),
            caption: "What <b>it</b> shows.".to_string(),
        };
        let missing = Chart {
            name: "gone".to_string(),
            title: "Gone".to_string(),
            caption: String::new(),
        };
        let path = results.dir.join("report.html");
        write_report(&results, &[fake.clone(), missing.clone()], &path).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(
            !html.contains("<?xml")
                && !html.contains("DOCTYPE svg")
                && !html.contains("drawn by hand")
        );
        assert!(
            html.contains(concat!(
                "<svg viewBox=\"0 0 320 200\" role=\"img\" ",
                "aria-label=\"Stale &lt;share&gt; &amp; &quot;age&quot;\" ",
                "xmlns=\"http://www.w3.org/2000/svg\" width=\"320px\" height='200'>",
            )),
            "{html}"
        );
        // The markup after the root's start tag is kept as it was, entities and all.
        assert!(html.contains(concat!(
            "height='200'><rect width=\"320\" height=\"200\" fill=\"#eee\"/>",
            "<text x=\"10\" y=\"20\">a &lt; b</text><text x=\"160\">\n",
            "Stale &lt;share&gt; &amp; &quot;age&quot;\n</text></svg>\n<figcaption>",
        )));
        // The chart draws its own title, so the heading is there for screen readers only; the
        // missing chart's heading shows.
        assert!(
            html.contains("<h3 class=\"in-chart\">Stale &lt;share&gt; &amp; &quot;age&quot;</h3>")
        );
        assert!(html.contains("<h3>Gone</h3>"));
        assert!(html.contains("<figcaption>What &lt;b&gt;it&lt;/b&gt; shows.</figcaption>"));
        assert!(html.contains("<p class=\"missing\">charts/gone.svg could not be inlined: "));
        assert_eq!(html.matches("<svg").count(), 1);
        // Same inputs, same bytes.
        write_report(&results, &[fake, missing], &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), html);
    }

    #[test]
    fn a_view_box_is_kept_and_a_root_that_is_not_svg_is_refused() {
        let kept = inline_svg(
            "<svg viewBox=\"0 0 4 3\" width=\"8\" height=\"6\"></svg>",
            "t",
        )
        .unwrap();
        assert_eq!(
            kept,
            "<svg role=\"img\" aria-label=\"t\" viewBox=\"0 0 4 3\" width=\"8\" height=\"6\"></svg>"
        );
        let no_size = inline_svg("<svg width=\"100%\"><g/></svg>", "t").unwrap();
        assert!(!no_size.contains("viewBox"), "{no_size}");
        assert!(inline_svg("<svgx/>", "t").is_err());
        assert!(inline_svg("<html><svg></svg></html>", "t").is_err());
        assert!(inline_svg("<svg width=\"1\"", "t").is_err());
        assert!(
            inline_svg("<!doctypé svg>", "t").is_err(),
            "no panic inside a character"
        );
        let subset = "<!DOCTYPE svg [ <!ENTITY a \"<b>\"> ]>\n<svg/>";
        assert_eq!(skip_prolog(subset), "<svg/>");
    }

    #[test]
    fn text_from_files_is_escaped_and_the_description_read_from_the_toml() {
        let mut results = folder("html-escape", &study(), &[run(0, 0, 1.0, &[])]);
        results.scenario = "name = \"x\"\ndescription = \"Fresh <em>pages</em> & 'stale' ones\"\n# </pre><script>\n".to_string();
        let html = render(&results, &[]);
        assert!(html.contains(
            "<p class=\"lead\">Fresh &lt;em&gt;pages&lt;/em&gt; &amp; &#39;stale&#39; ones</p>"
        ));
        assert!(html.contains("# &lt;/pre&gt;&lt;script&gt;</code></pre>"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<h1>tiny</h1>"));
        // A scenario the TOML parser refuses still gives a page, without a description.
        results.scenario = "description = ".to_string();
        let html = render(&results, &[]);
        assert!(
            !html.contains("class=\"lead\"")
                && html.contains("<pre><code>description =</code></pre>")
        );
        assert!(html.contains("No charts were drawn"));
    }

    #[test]
    fn every_run_column_is_defined() {
        let html = metrics_section();
        for column in &RUN_COLUMNS {
            assert!(
                html.contains(&format!("<tr id=\"metric-{}\">", column.name)),
                "{}",
                column.name
            );
        }
    }
}

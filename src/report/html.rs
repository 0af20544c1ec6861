//! `report.html`: a study's results as one page a person can open from disk, mail, or keep as a
//! CI artifact.
//!
//! The page stands alone by design: its CSS is inline, every chart's SVG markup is inlined (no
//! `<img src>`), and it has no scripts, fonts or links beyond its own anchors, so it reads the same
//! from `file://`, an artifact viewer or an attachment with nothing beside it. It is drawn from
//! the typed results and the charts already drawn, and holds no timestamp, so the same results
//! always give the same bytes and `isrsim plot` redraws exactly what `isrsim run` wrote.
//!
//! The markup is a `maud` template, which escapes every text it is given; a chart's SVG, drawn
//! by `charts`, is the one piece of markup spliced in as it is.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::charts::Chart;
use super::format::human;
use super::route_table::ROUTE_TABLE_COLUMNS;
use super::table::{KEY_COLUMNS, describe_replications, key_columns_of};
use crate::metrics::{Better, ROUTE_COLUMNS, RUN_COLUMNS, Unit};
use crate::results::{RouteSummary, StudyResults};

/// Readable on screen and on paper: a system font, dark text on white, numbers in aligned
/// columns, charts as wide as the page and no wider.
const CSS: &str = include_str!("report.css");

/// A section of the page beyond a run's own: a chart, a sentence, and a table of text cells.
pub struct Section<'a> {
    pub id: &'a str,
    pub heading: &'a str,
    pub intro: String,
    pub chart: &'a Chart,
    pub columns: &'a [&'a str],
    pub rows: Vec<Vec<String>>,
}

/// The whole page, with `charts` in their order, and `extra` after the comparison table when
/// given.
pub fn render(results: &StudyResults, charts: &[Chart], extra: Option<&Section>) -> String {
    let base = &results.study.base;
    let name = match base.name.as_str() {
        "" => "scenario",
        name => name,
    };
    let description = base.description.trim();
    let comparison = Comparison::of(results);
    let scenario = base.source.trim_start_matches(['\n', '\r']).trim_end();
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n" meta charset="utf-8";
                "\n" meta name="viewport" content="width=device-width, initial-scale=1";
                "\n" title { (name) " — isrsim report" }
                "\n" style { "\n" (PreEscaped(CSS)) }
                "\n"
            }
            "\n"
            body {
                "\n"
                main {
                    "\n"
                    header {
                        "\n" p.kicker { "isrsim report" }
                        "\n" h1 { (name) }
                        @if !description.is_empty() {
                            "\n" p.lead { (description) }
                        }
                        "\n" p.facts { (comparison.facts()) }
                        "\n"
                        nav {
                            a href="#comparison" { "Comparison" } " · "
                            a href="#routes" { "Per route" } " · "
                            @if base.cost.is_some() { a href="#cost" { "Cost" } " · " }
                            @if let Some(extra) = extra {
                                a href={ "#" (extra.id) } { (extra.heading) } " · "
                            }
                            a href="#charts" { "Charts" } " · "
                            a href="#metrics" { "Metrics" } " · "
                            a href="#scenario" { "Scenario file" }
                        }
                        "\n"
                    }
                    "\n"
                    @if !results.warnings.is_empty() {
                        section #warnings style="border: 2px solid #c77c02; border-radius: 6px; padding: 0 1em; background: #fff8e6" {
                            "\n" h2 { "Warnings" }
                            "\n"
                            ul {
                                @for w in &results.warnings {
                                    "\n" li { (w.message(&results.study.axes)) }
                                }
                                "\n"
                            }
                            "\n"
                        }
                        "\n"
                    }
                    (comparison.section())
                    (routes_section(results))
                    (super::cost::section(results))
                    @if let Some(extra) = extra {
                        (extra_section(extra))
                    }
                    (charts_section(charts))
                    (metrics_section())
                    section id="scenario" {
                        "\n" h2 { "Scenario file" }
                        "\n"
                        p.note {
                            code { "scenario.toml" } " as written. " code { "--seed" } " and "
                            code { "--replications" } " on the command line override its values; "
                            code { "runs.csv" } " has the seed of every run."
                        }
                        "\n" pre { code { (scenario) } }
                        "\n"
                    }
                    "\n"
                    footer {
                        "Written by isrsim " (env!("CARGO_PKG_VERSION"))
                        ". Figures are rounded for reading; " code { "summary.csv" } " and "
                        code { "runs.csv" } " keep them precise."
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
        "\n"
    };
    page.into_string()
}

/// The comparison table: one row per (sweep point, policy), as the terminal table has them.
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
    /// replications or more; `-` alone when the policy had no runs, `n/a` when none measured it.
    cells: Vec<(String, Option<String>)>,
}

impl Comparison {
    fn of(results: &StudyResults) -> Comparison {
        let axes = results.study.axes.clone();
        let columns = key_columns_of(results);
        let rows = (results.summaries.iter())
            .map(|s| {
                let cells = (columns.iter())
                    .map(|&(i, _)| {
                        let unit = RUN_COLUMNS[i].unit;
                        // The figures as `summary.csv` holds them, rounded as written.
                        let (reps, lower) = (s.replications, s.lower_bound(i));
                        cell(reps, s.means[i], s.ci95[i], unit, lower)
                    })
                    .collect();
                // A point short of labels would shift every cell after it; one per axis.
                let mut labels = s.labels.clone();
                labels.resize(axes.len(), String::new());
                ComparisonRow {
                    labels,
                    policy: s.policy.clone(),
                    replications: s.replications,
                    cells,
                }
            })
            .collect();
        Comparison {
            axes,
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

    fn section(&self) -> Markup {
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
        // A sweep's rows come point by point; a rule between points groups their policies.
        let new_point = |i: usize| {
            !self.axes.is_empty() && i > 0 && self.rows[i - 1].labels != self.rows[i].labels
        };
        html! {
            section id="comparison" {
                "\n" h2 { "Comparison" }
                "\n"
                p.note {
                    "One row per policy" (sweep) ": " (figures) ". Every policy saw the same users "
                    "and the same edits. Headings link to the metric's definition."
                }
                "\n"
                div.scroll {
                    "\n"
                    table.comparison {
                        "\n"
                        thead {
                            "\n"
                            tr {
                                @for axis in &self.axes {
                                    th scope="col" { code { (dotted(axis)) } }
                                }
                                th scope="col" { "policy" }
                                @for &(i, heading) in &self.columns {
                                    th scope="col" class="num" {
                                        a href={ "#metric-" (RUN_COLUMNS[i].name) }
                                            title=(RUN_COLUMNS[i].meaning) { (heading) }
                                    }
                                }
                            }
                            "\n"
                        }
                        "\n"
                        tbody {
                            "\n"
                            @for (i, row) in self.rows.iter().enumerate() {
                                tr class=[new_point(i).then_some("point")] {
                                    @for label in &row.labels {
                                        td { code { (unbroken(label)) } }
                                    }
                                    th scope="row" { (row.policy) }
                                    @for (mean, ci) in &row.cells {
                                        td.num {
                                            (mean)
                                            @if let Some(ci) = ci {
                                                span.ci { "± " (ci) }
                                            }
                                        }
                                    }
                                }
                                "\n"
                            }
                        }
                        "\n"
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
    }
}

/// A table cell: the mean, `≥` before it when it is a lower bound (§11.1), and the half-width of
/// its 95% interval when there are two replications or more; `-` alone when there were no runs,
/// `n/a` when none measured it.
fn cell(
    replications: usize,
    mean: Option<f64>,
    ci: Option<f64>,
    unit: Unit,
    lower_bound: bool,
) -> (String, Option<String>) {
    let mark = if lower_bound { "≥ " } else { "" };
    match (replications, mean) {
        (0, _) => ("-".to_string(), None),
        (_, None) => ("n/a".to_string(), None),
        (1, Some(mean)) => (format!("{mark}{}", human(mean, unit)), None),
        (_, Some(mean)) => {
            let ci = human(ci.unwrap_or(0.0), unit);
            (format!("{mark}{}", human(mean, unit)), Some(ci))
        }
    }
}

/// A long dotted key that may break after each dot rather than widen the table.
fn dotted(key: &str) -> Markup {
    html! {
        @for (i, segment) in key.split('.').enumerate() {
            @if i > 0 { "." wbr; }
            (segment)
        }
    }
}

/// A sweep label that wraps between the pairs of an inline table, never inside `key = value`:
/// the escaped label, with its spaces around `=` and inside braces made non-breaking.
fn unbroken(label: &str) -> Markup {
    let escaped = html! { (label) }.into_string();
    PreEscaped(
        escaped
            .replace(" = ", "&nbsp;=&nbsp;")
            .replace("{ ", "{&nbsp;")
            .replace(" }", "&nbsp;}"),
    )
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => word.to_string(),
        (_, "policy") => "policies".to_string(),
        _ => format!("{word}s"),
    }
}

/// Every chart inline, with its title above and its caption below.
fn extra_section(extra: &Section) -> Markup {
    let chart = extra.chart;
    html! {
        section id=(extra.id) {
            "\n" h2 { (extra.heading) }
            "\n" p.note { (extra.intro) }
            "\n"
            (chart_figure(chart))
            "\n"
            table {
                thead { tr { @for c in extra.columns { th { (c) } } } }
                "\n"
                tbody {
                    @for row in &extra.rows {
                        tr { @for cell in row { td { (cell) } } } "\n"
                    }
                }
            }
            "\n"
        }
        "\n"
    }
}

fn charts_section(charts: &[Chart]) -> Markup {
    html! {
        section id="charts" {
            "\n" h2 { "Charts" }
            "\n"
            @if charts.is_empty() {
                p.note { "No charts were drawn for this run." } "\n"
            }
            @for chart in charts {
                (chart_figure(chart))
                "\n"
            }
        }
        "\n"
    }
}

/// A chart with its heading and caption.
fn chart_figure(chart: &Chart) -> Markup {
    html! {
        figure class="chart" id={ "chart-" (chart.name) } {
            "\n"
            // Every chart draws its own title, so the heading is for screen readers and the
            // outline only, and a sighted reader does not read it twice.
            h3 class="in-chart" { (chart.title) }
            "\n" (inline_svg(chart))
            "\n" figcaption { (chart.caption) }
            "\n"
        }
    }
}

/// A chart's SVG inside the page: its root element written anew, with a `viewBox` so CSS can
/// scale it and labelled for screen readers, around the markup the chart drew.
fn inline_svg(chart: &Chart) -> Markup {
    let (width, height) = (chart.width, chart.height);
    html! {
        svg role="img" aria-label=(chart.alt) width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } xmlns="http://www.w3.org/2000/svg" {
            "\n" (PreEscaped(chart.svg_elements()))
        }
    }
}

/// Every run column: its name, unit, which direction is better, and what it means.
fn metrics_section() -> Markup {
    html! {
        section id="metrics" {
            "\n" h2 { "Metrics" }
            "\n"
            p.note {
                "The columns of " code { "runs.csv" } ", one value per run. " code { "summary.csv" }
                " gives each one's mean over replications and, as "
                code { var { "metric" } "_ci95" } ", the half-width of its 95% Student-t interval."
            }
            "\n"
            div.scroll {
                "\n"
                table.metrics {
                    "\n"
                    thead {
                        "\n"
                        tr {
                            th scope="col" { "metric" } th scope="col" { "in the comparison" }
                            th scope="col" { "unit" } th scope="col" { "better" }
                            th scope="col" { "meaning" }
                        }
                        "\n"
                    }
                    "\n"
                    tbody {
                        "\n"
                        @for column in &RUN_COLUMNS {
                            tr id={ "metric-" (column.name) } {
                                th scope="row" { code { (column.name) } }
                                td { (heading(column.name)) }
                                td { (unit(column.unit)) }
                                td { (better(column.better)) }
                                td { (column.meaning) }
                            }
                            "\n"
                        }
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
        "\n"
    }
}

/// A run column's heading in the comparison, or "" when the comparison leaves it out.
fn heading(name: &str) -> &'static str {
    KEY_COLUMNS
        .iter()
        .find(|(key, _)| *key == name)
        .map_or("", |(_, heading)| heading)
}

fn unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "count",
        Unit::Ratio => "ratio (shown as %)",
        Unit::Seconds => "seconds",
        Unit::Millis => "milliseconds",
        Unit::PerSecond => "per second",
        Unit::Usd => "US dollars",
    }
}

fn better(better: Better) -> &'static str {
    match better {
        Better::Lower => "lower",
        Better::Higher => "higher",
        Better::Neutral => "neither",
    }
}

// ---- Per route: each route's policies side by side, from `routes.csv` ---------------------

/// One table of the per-route section: a route (at a sweep point), and each policy's figures.
struct RouteGroup<'r> {
    /// The route, and at a sweep point the point's value of each swept key.
    title: String,
    rows: Vec<(&'r str, &'r RouteSummary)>,
}

/// The route summaries grouped by (point, route), in study order, each group's policies in the
/// point's order.
fn route_groups<'r>(results: &'r StudyResults) -> Vec<RouteGroup<'r>> {
    let axes = &results.study.axes;
    let mut groups: Vec<RouteGroup> = Vec::new();
    for s in &results.summaries {
        let at: Vec<String> = (axes.iter().zip(&s.labels))
            .map(|(a, l)| format!("{a} = {l}"))
            .collect();
        for route in &s.routes {
            let title = match at.is_empty() {
                true => route.route.clone(),
                false => format!("{} at {}", route.route, at.join(", ")),
            };
            match groups.iter_mut().find(|g| g.title == title) {
                Some(group) => group.rows.push((&s.policy, route)),
                None => groups.push(RouteGroup {
                    title,
                    rows: vec![(&s.policy, route)],
                }),
            }
        }
    }
    groups
}

/// Each route's policies side by side: its key figures from `routes.csv` (the columns `isrsim
/// show --routes` prints), a table per route and sweep point.
fn routes_section(results: &StudyResults) -> Markup {
    let columns: Vec<(usize, &str)> = (ROUTE_TABLE_COLUMNS.iter())
        .filter_map(|&(name, heading)| {
            Some((ROUTE_COLUMNS.iter().position(|c| c.name == name)?, heading))
        })
        .collect();
    let groups = route_groups(results);
    let censored = (groups.iter().flat_map(|g| &g.rows))
        .any(|(_, r)| columns.iter().any(|&(i, _)| r.lower_bound(i)));
    html! {
        section id="routes" {
            "\n" h2 { "Per route" }
            "\n"
            p.note {
                "Each route's policies side by side, from " code { "routes.csv" } ": the figures "
                "of the route's pages alone, the mean over replications and, under it, the "
                "half-width of its 95% confidence interval when there are several."
            }
            @if censored {
                "\n"
                p.note {
                    "≥ marks a lower bound: some edits were never seen by the run's end (edits "
                    "unseen), and each counts in the edit-visible figures at its censoring time, "
                    "the run's end minus the edit's time, so the true figure is at least this."
                }
            }
            @if groups.is_empty() {
                "\n" p.note { "No route was measured." }
            }
            @for group in &groups {
                "\n" h3 { (group.title) }
                "\n"
                div.scroll {
                    table.comparison {
                        thead {
                            tr {
                                th scope="col" { "policy" }
                                @for &(i, heading) in &columns {
                                    th scope="col" class="num" title=(ROUTE_COLUMNS[i].meaning) {
                                        (heading)
                                    }
                                }
                            }
                        }
                        "\n"
                        tbody {
                            @for &(policy, r) in &group.rows {
                                tr {
                                    th scope="row" { (policy) }
                                    @for &(i, _) in &columns {
                                        @let unit = ROUTE_COLUMNS[i].unit;
                                        @let (mean, ci) = cell(r.replications, r.means[i],
                                            r.ci95[i], unit, r.lower_bound(i));
                                        td.num {
                                            (mean)
                                            @if let Some(ci) = ci { span.ci { "± " (ci) } }
                                        }
                                    }
                                }
                                "\n"
                            }
                        }
                    }
                }
            }
            "\n"
        }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::super::charts::draw_all;
    use super::super::comparison_table;
    use super::*;
    use crate::metrics::column;
    use crate::results::fixture::{run, run_at, study, sweep};

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
    fn the_comparison_has_the_tables_columns_and_rows() {
        let mut runs = [
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
        // Policy `fast` measured no edit-visible lag: not measured, never 0.
        for r in &mut runs[..2] {
            r.metrics.0[column("edit_visible_p99_s").unwrap()] = None;
        }
        let study = study();
        let results = StudyResults::new(&study, &runs, false);
        let terminal = terminal_rows(&comparison_table(&study, &runs));
        let comparison = Comparison::of(&results);
        let headings: Vec<&str> = comparison.columns.iter().map(|c| c.1).collect();
        // The table names each column's fixed unit after its heading: `stale (%)`.
        let terminal_headings: Vec<&str> = (terminal[0][1..].iter())
            .map(|h| h.split(" (").next().unwrap_or(h))
            .collect();
        assert_eq!(terminal_headings, headings);
        assert_eq!(comparison.rows.len(), 2);
        for (row, expected) in comparison.rows.iter().zip(&terminal[1..]) {
            assert_eq!(row.policy, expected[0]);
            assert_eq!(row.cells.len(), expected.len() - 1);
        }
        // 0.1 and 0.3: mean 20%, half-width 12.706205 * 0.1 = 127.06%.
        assert_eq!(
            comparison.rows[0].cells[0],
            ("20.00%".to_string(), Some("127.06%".to_string()))
        );
        assert_eq!(comparison.rows[0].cells[2], ("n/a".to_string(), None));
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
        let study = sweep();
        let comparison = Comparison::of(&StudyResults::new(&study, &runs, false));
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
        let html = comparison.section().into_string();
        assert!(html.contains("<th scope=\"col\"><code>bucket</code></th><th scope=\"col\"><code>origin</code></th><th scope=\"col\">policy</th>"));
        assert!(html.contains(
            "<td><code>{&nbsp;cache&nbsp;=&nbsp;&quot;shared&quot;, lock&nbsp;=&nbsp;true&nbsp;}</code></td>"
        ));
        // A rule between the 4 points: 3 rows start a new point.
        assert_eq!(html.matches("<tr class=\"point\">").count(), 3);
        assert_eq!(
            dotted("backend.concurrency").into_string(),
            "backend.<wbr>concurrency"
        );
    }

    #[test]
    fn a_chart_is_inlined_in_a_root_of_its_own_that_scales_and_is_labelled() {
        let study = study();
        let runs = [run(0, 0, 1.0, &[]), run(1, 0, 1.0, &[])];
        let results = StudyResults::new(&study, &runs, false);
        let mut charts = draw_all(&results).unwrap();
        charts.truncate(2);
        charts[0].title = "Stale <share> & \"age\"".to_string();
        charts[0].alt = "Stale, as <share>".to_string();
        charts[0].caption = "What <b>it</b> shows.".to_string();
        let html = render(&results, &charts, None);
        let root = concat!(
            "<svg role=\"img\" aria-label=\"Stale, as &lt;share&gt;\" width=\"1200\" ",
            "height=\"700\" viewBox=\"0 0 1200 700\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        );
        // The markup inside the chart's own root element follows, as the chart drew it.
        let inlined = format!("{root}{}</svg>\n<figcaption>", charts[0].svg_elements());
        assert!(html.contains(&inlined), "{html}");
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("xmlns=").count(), 2);
        // Each chart draws its own title, so its heading is there for screen readers only.
        assert!(
            html.contains("<h3 class=\"in-chart\">Stale &lt;share&gt; &amp; &quot;age&quot;</h3>")
        );
        assert!(html.contains(&format!("<h3 class=\"in-chart\">{}</h3>", charts[1].title)));
        assert!(html.contains("<figcaption>What &lt;b&gt;it&lt;/b&gt; shows.</figcaption>"));
        // Same inputs, same bytes.
        assert_eq!(render(&results, &charts, None), html);
    }

    #[test]
    fn text_is_escaped_and_the_description_shown_when_there_is_one() {
        let mut study = study();
        study.base.description = " Fresh <em>pages</em> & 'stale' ones ".to_string();
        study.base.source =
            "\nname = \"x\"\ndescription = \"Fresh\"\n# </pre><script>\n\n".to_string();
        let runs = [run(0, 0, 1.0, &[])];
        let html = render(&StudyResults::new(&study, &runs, false), &[], None);
        assert!(
            html.contains(
                "<p class=\"lead\">Fresh &lt;em&gt;pages&lt;/em&gt; &amp; 'stale' ones</p>"
            )
        );
        assert!(html.contains(
            "<pre><code>name = &quot;x&quot;\ndescription = &quot;Fresh&quot;\n# &lt;/pre&gt;&lt;script&gt;</code></pre>"
        ));
        assert!(!html.contains("<script"));
        assert!(html.contains("<h1>tiny</h1>"));
        assert!(html.contains("No charts were drawn"));
        // Without a description, no lead paragraph.
        study.base.description = "  ".to_string();
        let html = render(&StudyResults::new(&study, &runs, false), &[], None);
        assert!(!html.contains("class=\"lead\""));
    }

    #[test]
    fn every_run_column_is_defined() {
        let html = metrics_section().into_string();
        for column in &RUN_COLUMNS {
            assert!(
                html.contains(&format!("<tr id=\"metric-{}\">", column.name)),
                "{}",
                column.name
            );
        }
    }
}

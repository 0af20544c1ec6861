//! `isrsim compare`'s paired figures (`results::prediction::Paired`): each measured run beside
//! the prediction of its own replication, the largest paired difference and the paired means.
//! As text, two tables per policy within 100 columns (the runs, as many to a table as fit, then
//! the largest difference and the means); as Markdown, one table of every policy, the one
//! docs/validation.md shows.

use super::super::format::{
    align_columns, human_significant, markdown_table, percent_change, wrap,
};
use crate::metrics::Unit;
use crate::results::prediction::{Comparison, MeasuredRun, Pair, Paired};

/// What the paired columns mean.
pub(super) const LEGEND: &str = "Each measured run beside the prediction of the replication it \
played (the same users and edits at the same instants): measured / predicted, and their \
difference (measured - predicted) / predicted. largest: the paired difference largest in size, \
with its sign and its run. paired means: the mean of the runs against the mean of their own \
replications' predictions, and their difference. The predicted mean and spread over every \
simulated replication are context: a few runs cannot test them. regen_per_request: regenerations \
/ requests of each run. n/a: not measured, or a prediction of 0.";

/// The width the text tables keep within.
const WIDTH: usize = 100;

/// A figure, or `n/a` when not measured.
fn figure(x: Option<f64>, unit: Unit) -> String {
    x.map_or_else(|| "n/a".to_string(), |x| human_significant(x, unit))
}

/// `(measured - predicted) / predicted` as a signed percentage, or `n/a`.
fn difference(measured: Option<f64>, predicted: Option<f64>) -> String {
    match (measured, predicted) {
        (Some(m), Some(p)) if p != 0.0 => percent_change(p, m),
        _ => "n/a".to_string(),
    }
}

/// `measured / predicted (difference)` of one pair.
fn pair_cell(pair: &Pair, unit: Unit) -> String {
    format!(
        "{} / {} ({})",
        figure(pair.measured, unit),
        figure(pair.predicted, unit),
        difference(pair.measured, pair.predicted)
    )
}

/// The largest paired difference and its run's label, or `n/a`.
fn largest_cell(row: &Paired, runs: &[MeasuredRun]) -> String {
    row.largest_difference().map_or_else(
        || "n/a".to_string(),
        |(_, i)| {
            let pair = &row.pairs[i];
            let shown = difference(pair.measured, pair.predicted);
            format!("{shown} ({})", runs[pair.run].label)
        },
    )
}

/// The paired means' cells: measured, predicted, difference.
fn means_cells(row: &Paired) -> [String; 3] {
    let (measured, predicted) = row.means().unzip();
    [
        figure(measured, row.unit),
        figure(predicted, row.unit),
        difference(measured, predicted),
    ]
}

/// Which folder each run of `policy` came from: `r0 = DIR, r1 = DIR`.
fn run_names(c: &Comparison, policy: &str, quote: &str) -> String {
    let named: Vec<String> = (c.runs.iter())
        .filter(|r| r.policy == policy)
        .map(|r| format!("{} = {quote}{}{quote}", r.label, r.folder))
        .collect();
    named.join(", ")
}

/// The paired tables of `policy` as text: a heading, the runs' table (split so that each fits
/// 100 columns), then the largest difference and the paired means.
pub(super) fn text(c: &Comparison, policy: &str) -> String {
    let rows: Vec<&Paired> = c.paired.iter().filter(|p| p.policy == policy).collect();
    let runs = rows.first().map_or(0, |r| r.pairs.len());
    if runs == 0 {
        return format!("policy {policy}: no measured run to pair with its replication\n\n");
    }
    let heading = format!(
        "policy {policy}, each run beside its own replication's prediction, measured / \
         predicted (difference): {}",
        run_names(c, policy, "")
    );
    let mut out = wrap(&heading, WIDTH) + "\n";
    let table = |from: usize, to: usize| {
        let mut heading = vec!["metric".to_string()];
        heading.extend((from..to).map(|k| c.runs[rows[0].pairs[k].run].label.clone()));
        let cells: Vec<Vec<String>> = (rows.iter())
            .map(|row| {
                let mut cells = vec![row.metric.to_string()];
                cells.extend(row.pairs[from..to].iter().map(|p| pair_cell(p, row.unit)));
                cells
            })
            .collect();
        align_columns(&[heading], &cells, |c| c == 0)
    };
    let mut from = 0;
    while from < runs {
        let mut to = from + 1;
        while to < runs && widest(&table(from, to + 1)) <= WIDTH {
            to += 1;
        }
        out += &table(from, to);
        out += "\n";
        from = to;
    }
    let heading = format!(
        "policy {policy}, paired: the largest difference of a run from its replication's \
         prediction, and the mean of the runs against the mean of their replications' predictions"
    );
    out += &(wrap(&heading, WIDTH) + "\n");
    let heading = [
        "metric",
        "largest",
        "runs' mean",
        "their predictions' mean",
        "difference",
    ];
    let cells: Vec<Vec<String>> = (rows.iter())
        .map(|row| {
            let mut cells = vec![row.metric.to_string(), largest_cell(row, &c.runs)];
            cells.extend(means_cells(row));
            cells
        })
        .collect();
    out += &align_columns(&[heading.map(String::from).to_vec()], &cells, |c| c == 0);
    out + "\n"
}

/// The widest line of `text`, in characters.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The heading of the Markdown table, which docs/validation.md's table follows.
pub const MARKDOWN_HEADING: [&str; 9] = [
    "scenario",
    "policy",
    "metric",
    "predicted mean (context)",
    "predicted spread (context)",
    "each run: measured / predicted for its replication (difference)",
    "largest paired difference",
    "paired means: measured / predicted",
    "difference of paired means",
];

/// Every policy's paired rows as one Markdown table, after a heading, the legend and which
/// folder each run came from.
pub(super) fn markdown(c: &Comparison) -> String {
    let mut out = format!("#### Each run beside its own replication's prediction\n\n{LEGEND}\n\n");
    for (policy, ..) in &c.policies {
        out += &format!("- runs of {policy}: {}\n", run_names(c, policy, "`"));
    }
    out += "\n";
    let rows: Vec<Vec<String>> = (c.paired.iter())
        .map(|row| {
            let each: Vec<String> = (row.pairs.iter())
                .map(|p| format!("{}: {}", c.runs[p.run].label, pair_cell(p, row.unit)))
                .collect();
            let [measured, predicted, shown] = means_cells(row);
            vec![
                c.scenario.clone(),
                row.policy.clone(),
                row.metric.to_string(),
                figure(row.predicted, row.unit),
                row.spread.map_or_else(
                    || "n/a".to_string(),
                    |(low, high)| {
                        format!(
                            "{} – {}",
                            human_significant(low, row.unit),
                            human_significant(high, row.unit)
                        )
                    },
                ),
                if each.is_empty() {
                    "n/a".to_string()
                } else {
                    each.join("; ")
                },
                largest_cell(row, &c.runs),
                format!("{measured} / {predicted}"),
                shown,
            ]
        })
        .collect();
    let heading = MARKDOWN_HEADING.map(String::from);
    out += &markdown_table(&heading, &rows, |c| c < 3 || c == 5);
    out
}

//! The per-route table `isrsim show --routes` prints (docs/model.md §11.6): one row per (point,
//! policy, route), the route's key figures from `routes.csv` side by side, laid out as the
//! comparison table is (`table`): scaled units for a person at a terminal, fixed units named in
//! the headings elsewhere. An edit-visible mean that includes edits never seen by the run's end
//! is a lower bound, written `≥` (§11.1).

use std::io;

use super::Export;
use super::table::{Style, describe_replications};
use crate::metrics::{ROUTE_COLUMNS, Unit};
use crate::report::format::{Rounding, align_columns, estimate};
use crate::results::StudyResults;

/// The route columns shown, and their headings: how many requests a route had, how stale they
/// were, what regenerating its pages cost and how often it failed, and how long its edits took.
pub(crate) const ROUTE_TABLE_COLUMNS: [(&str, &str); 7] = [
    ("requests", "requests"),
    ("stale_ratio", "stale"),
    ("regenerations", "regenerations"),
    ("regenerations_failed", "failed"),
    ("edit_visible_p50_s", "edit visible p50"),
    ("edit_visible_p99_s", "edit visible p99"),
    ("edits_unseen", "edits unseen"),
];

/// The per-route table: one row per (point, policy, route), in study order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTable {
    pub style: Style,
}

impl Export for RouteTable {
    fn render(&self, results: &StudyResults) -> io::Result<Vec<u8>> {
        Ok(self.text(results).into_bytes())
    }
}

impl RouteTable {
    fn text(&self, results: &StudyResults) -> String {
        let study = results.study;
        let replications: Vec<usize> = results.summaries.iter().map(|s| s.replications).collect();
        let terminal = matches!(self.style, Style::Terminal { .. });
        let rounding = if terminal {
            Rounding::Scaled
        } else {
            Rounding::Fixed
        };
        let columns: Vec<(usize, &str)> = ROUTE_TABLE_COLUMNS
            .iter()
            .filter_map(|&(name, heading)| {
                let i = ROUTE_COLUMNS.iter().position(|c| c.name == name)?;
                Some((i, heading))
            })
            .collect();
        let mut rows = Vec::new();
        for summary in &results.summaries {
            for route in &summary.routes {
                let mut row = summary.labels.clone();
                row.resize(study.axes.len(), String::new());
                row.extend([summary.policy.clone(), route.route.clone()]);
                for &(i, _) in &columns {
                    let unit = ROUTE_COLUMNS[i].unit;
                    let ci = (route.replications > 1).then(|| route.ci95[i].unwrap_or(0.0));
                    row.push(match (route.replications, route.means[i]) {
                        (0, _) => "-".to_string(),
                        (_, None) => "n/a".to_string(),
                        (_, Some(mean)) if route.lower_bound(i) => {
                            format!("≥ {}", estimate(mean, ci, unit, rounding))
                        }
                        (_, Some(mean)) => estimate(mean, ci, unit, rounding),
                    });
                }
                rows.push(row);
            }
        }
        let mut headings = study.axes.clone();
        headings.extend(["policy".to_string(), "route".to_string()]);
        let left = headings.len();
        for &(i, heading) in &columns {
            headings.push(match (terminal, ROUTE_COLUMNS[i].unit) {
                (true, _) | (false, Unit::Count | Unit::PerSecond) => heading.to_string(),
                (false, Unit::Ratio) => format!("{heading} (%)"),
                (false, Unit::Seconds) => format!("{heading} (s)"),
                (false, Unit::Millis) => format!("{heading} (ms)"),
                (false, Unit::Usd) => format!("{heading} (USD)"),
            });
        }
        let title = format!(
            "Scenario \"{}\", per route: {}\n",
            study.base.name,
            describe_replications(&replications)
        );
        title + "\n" + &align_columns(&[headings], &rows, |c| c < left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RunResult;
    use crate::results::fixture::{run, study};

    fn render(runs: &[RunResult], style: Style) -> String {
        let study = study();
        let results = StudyResults::new(&study, runs, false);
        String::from_utf8(RouteTable { style }.render(&results).unwrap()).unwrap()
    }

    fn at(name: &str) -> usize {
        ROUTE_COLUMNS.iter().position(|c| c.name == name).unwrap()
    }

    #[test]
    fn each_policy_and_route_has_a_row_and_censored_lags_are_lower_bounds() {
        let mut runs = vec![run(0, 0, 0.0, &[]), run(1, 0, 0.0, &[])];
        for r in &mut runs {
            for route in &mut r.routes {
                route.values = [Some(0.0); ROUTE_COLUMNS.len()];
                route.values[at("requests")] = Some(1200.0);
                route.values[at("edit_visible_p99_s")] = Some(90.0);
            }
        }
        // The first policy left an edit unseen: its lags are lower bounds; the second's are not.
        let posts = runs[0]
            .routes
            .iter_mut()
            .find(|r| r.route == "posts")
            .unwrap();
        posts.values[at("edits_unseen")] = Some(1.0);
        let table = render(&runs, Style::Fixed);
        let rows: Vec<&str> = table.lines().skip(4).collect();
        let routes = runs[0].routes.len();
        assert_eq!(rows.len(), 2 * routes, "{table}");
        assert!(rows[0].contains("≥ 90.0"), "{table}");
        let first: Vec<&str> = rows[0].split_whitespace().take(2).collect();
        assert_eq!(first, ["fast", "posts"], "{table}");
        assert!(rows.iter().skip(1).all(|r| !r.contains('≥')), "{table}");
        assert!(
            table.contains("edit visible p99 (s)") && table.contains("failed"),
            "{table}"
        );
    }
}

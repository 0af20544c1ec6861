//! A policy's bill, item by item (docs/cost.md): `summary.json`'s `cost` of each result and
//! `report.html`'s "Cost" section, both the mean over the policy's runs of the one bill every
//! run was priced with (`crate::cost::bill`).

use maud::{Markup, html};
use serde_json::{Value, json};

use super::format::{human, significant};
use crate::cost::{Bill, mean_bill};
use crate::metrics::Unit;
use crate::results::{StudyResults, Summary};
use crate::scenario::Scenario;
use crate::scenario::cost::Cost;

/// The scenario of a summary's sweep point.
fn scenario<'r>(results: &'r StudyResults, summary: &Summary) -> &'r Scenario {
    &results.study.points[summary.point].scenario
}

/// The mean bill of a summary's runs; `None` without `[cost]`, without runs, or when a results
/// folder's copy of the scenario could not read its sheet back (`Cost::sheet_unread`).
pub(crate) fn policy_bill(results: &StudyResults, summary: &Summary) -> Option<Bill> {
    let scenario = scenario(results, summary);
    scenario.cost.as_ref().filter(|c| !c.sheet_unread)?;
    mean_bill(scenario, results.runs_of(summary).iter().copied())
}

/// `summary.json`'s `cost` of one result: the sheet, the totals and every priced item; `null`
/// without `[cost]`.
pub(crate) fn json(results: &StudyResults, summary: &Summary) -> Value {
    let Some(cost) = scenario(results, summary).cost.as_ref() else {
        return Value::Null;
    };
    let Some(bill) = policy_bill(results, summary) else {
        return json!({ "sheet": cost.sheet, "items": Value::Null });
    };
    let items: Vec<Value> = (bill.lines.iter())
        .map(|line| {
            let price = cost.price(line.item);
            json!({
                "item": line.item.name(),
                "unit": line.item.unit(),
                "quantity": line.quantity,
                "usd_per_unit": line.usd_per_unit,
                "free_per_month": line.free_per_month,
                "usd": line.usd,
                "usd_month": line.usd_month,
                "source": price.map(|p| p.source.as_str()),
                "read": price.and_then(|p| p.read.as_deref()),
            })
        })
        .collect();
    json!({
        "sheet": cost.sheet,
        "usd": bill.usd,
        "usd_month": bill.usd_month,
        "items": items,
    })
}

/// Where the prices come from, in a sentence.
fn origin(cost: &Cost) -> String {
    match (&cost.sheet, &cost.description) {
        (Some(sheet), Some(description)) => {
            format!("the price sheet `{sheet}` ({description}), and the scenario's own prices")
        }
        (Some(sheet), None) => format!("the price sheet `{sheet}`"),
        (None, _) => "the scenario's own prices only".to_string(),
    }
}

/// The "Cost" section: one table per (sweep point, policy); nothing without `[cost]`.
pub(crate) fn section(results: &StudyResults) -> Markup {
    let Some(cost) = results.study.base.cost.as_ref() else {
        return html! {};
    };
    let multi = !results.study.axes.is_empty();
    html! {
        section id="cost" {
            "\n" h2 { "Cost" }
            "\n"
            p.note {
                "What each policy's counts cost, priced by " (origin(cost)) ": the mean over its "
                "runs of each item's quantity in the counted period (duration minus warm-up), "
                "its price, and what the period and a 30-day month at the same rate cost, each "
                "allowance prorated to the period or taken once a month. docs/cost.md gives "
                "each item's quantity."
            }
            @if cost.sheet_unread {
                "\n"
                p.note {
                    "The price sheet this scenario names was not found beside this results "
                    "folder's " code { "scenario.toml" } ", so the breakdown cannot be shown; "
                    code { "runs.csv" } "'s " code { "cost_usd" } " and " code { "cost_usd_month" }
                    " hold each run's bill as it was priced."
                }
            }
            @for summary in &results.summaries {
                @if let Some(bill) = policy_bill(results, summary) {
                    "\n"
                    h3 {
                        (summary.policy)
                        @if multi { " at " (summary.labels.join(", ")) }
                    }
                    "\n"
                    (bill_table(cost, &bill))
                }
            }
            "\n"
        }
        "\n"
    }
}

fn bill_table(cost: &Cost, bill: &Bill) -> Markup {
    let usd = |x: f64| human(x, Unit::Usd);
    html! {
        div.scroll {
            table.comparison {
                thead {
                    tr {
                        th scope="col" { "item" }
                        th scope="col" class="num" { "quantity" }
                        th scope="col" { "unit" }
                        th scope="col" class="num" { "USD per unit" }
                        th scope="col" class="num" { "free a month" }
                        th scope="col" class="num" { "USD, period" }
                        th scope="col" class="num" { "USD a month" }
                        th scope="col" { "source" }
                    }
                }
                "\n"
                tbody {
                    @for line in &bill.lines {
                        tr {
                            th scope="row" { code { (line.item.name()) } }
                            td.num { (significant(line.quantity)) }
                            td { (line.item.unit()) }
                            td.num { (format!("{}", line.usd_per_unit)) }
                            td.num { (significant(line.free_per_month)) }
                            td.num { (usd(line.usd)) }
                            td.num { (usd(line.usd_month)) }
                            td {
                                @if let Some(price) = cost.price(line.item) {
                                    (price.source)
                                    @if let Some(read) = &price.read { " (read " (read) ")" }
                                }
                            }
                        }
                        "\n"
                    }
                    tr {
                        th scope="row" { "total" }
                        td {} td {} td {} td {}
                        td.num { (usd(bill.usd)) }
                        td.num { (usd(bill.usd_month)) }
                        td {}
                    }
                }
            }
        }
    }
}

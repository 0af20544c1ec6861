//! What a run costs in money: its counts, priced by the scenario's `[cost]` (docs/cost.md).
//!
//! One function, [`bill`], turns a run's figures (`RunMetrics` and each route's `RouteMetrics`)
//! and the scenario into a bill, for the simulator and the load tester alike: both end a run in
//! `Driver::run`, which calls [`fill`]. Each item's quantity is counted over the counted period
//! `P = duration − warmup`, as the metrics are; a month is 30 days. An allowance of
//! `free_per_month` units is prorated to the period: `usd × max(0, q − free × P/30d)`, and the
//! month's figure scales the quantity instead: `usd × max(0, q × 30d/P − free)`. The units are
//! those vendors bill: Vercel's ISR reads and writes in 8 KB units
//! (<https://vercel.com/docs/pricing/incremental-static-regeneration>), CloudFront's
//! invalidations per path with 1,000 paths a month free (<https://aws.amazon.com/cloudfront/pricing/>).

use crate::metrics::{RouteMetrics, RunMetrics, RunResult, as_written, column};
use crate::scenario::Scenario;
use crate::scenario::cost::{Cost, Item};

/// A month, in seconds: 30 days, as `cost_usd_month` scales to.
pub const MONTH_SECS: f64 = 30.0 * 86_400.0;

/// The size of an ISR cache read or write unit, in bytes (Vercel bills in 8 KB units).
pub const ISR_UNIT_BYTES: u64 = 8_192;

/// One priced item of a bill.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub item: Item,
    /// Units counted in the run's counted period.
    pub quantity: f64,
    pub usd_per_unit: f64,
    pub free_per_month: f64,
    /// What the counted period costs, its allowance prorated.
    pub usd: f64,
    /// What a month at the same rate costs.
    pub usd_month: f64,
}

/// A run's bill: one line per item the scenario prices, in `Item::ALL` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Bill {
    pub lines: Vec<Line>,
    pub usd: f64,
    pub usd_month: f64,
}

/// What one route of the scenario counted in a run, and what its pages weigh and take.
struct RouteFigures {
    requests: f64,
    regenerations: f64,
    failed: f64,
    page_size: f64,
    /// The mean of its `regen_time`, in seconds.
    regen_secs: f64,
}

/// The run's quantity of every item, indexed by `Item::index`, over the counted period.
pub fn quantities(
    scenario: &Scenario,
    cost: &Cost,
    metrics: &RunMetrics,
    routes: &[RouteMetrics],
) -> [f64; Item::COUNT] {
    let get = |name: &str| metrics.get(name).unwrap_or(0.0);
    let per_route: Vec<RouteFigures> = (scenario.routes.iter())
        .map(|route| {
            let measured = routes.iter().find(|m| m.route == route.name);
            let value = |name| measured.and_then(|m| m.get(name)).unwrap_or(0.0);
            RouteFigures {
                requests: value("requests"),
                regenerations: value("regenerations"),
                failed: value("regenerations_failed"),
                page_size: f64::from(route.page_size),
                regen_secs: route.regen_time.mean_secs(),
            }
        })
        .collect();
    let units = |size: f64| (size / ISR_UNIT_BYTES as f64).ceil();
    let requests: f64 = per_route.iter().map(|r| r.requests).sum();
    // The request-weighted mean of a per-route figure: the mix origin requests are drawn from.
    let weighted = |f: &dyn Fn(&RouteFigures) -> f64| {
        if requests > 0.0 {
            per_route.iter().map(|r| r.requests * f(r)).sum::<f64>() / requests
        } else {
            0.0
        }
    };
    let cdn = if scenario.cdn.is_some() { 1.0 } else { 0.0 };
    let origin_requests = get("origin_requests");
    let regenerations = get("regenerations");
    let period = counted_secs(scenario);
    let mut q = [0.0; Item::COUNT];
    q[Item::CdnRequests.index()] = cdn * get("requests");
    q[Item::CdnGb.index()] = cdn
        * per_route
            .iter()
            .map(|r| r.requests * r.page_size)
            .sum::<f64>()
        / 1e9;
    q[Item::OriginGb.index()] = origin_requests * weighted(&|r| r.page_size) / 1e9;
    q[Item::Invocations.index()] = origin_requests + regenerations;
    let render_secs: f64 = per_route
        .iter()
        .map(|r| r.regenerations * r.regen_secs)
        .sum();
    q[Item::GbSeconds.index()] =
        (origin_requests * cost.request_time.as_secs_f64() + render_secs) * cost.memory_gb;
    q[Item::BackendCalls.index()] = regenerations + get("build_renders");
    if scenario.origin.queue.is_some() {
        q[Item::QueueMessages.index()] = regenerations + get("regenerations_deduplicated");
    }
    q[Item::IsrReads.index()] = origin_requests * weighted(&|r| units(r.page_size));
    q[Item::IsrWrites.index()] = (per_route.iter())
        .map(|r| (r.regenerations - r.failed) * units(r.page_size))
        .sum();
    q[Item::PurgeRequests.index()] = get("purge_requests");
    q[Item::InvalidationPaths.index()] = get("purge_requests");
    q[Item::InstanceHours.index()] = f64::from(scenario.origin.instances) * period / 3_600.0;
    q[Item::Monthly.index()] = period / MONTH_SECS;
    q
}

/// The counted period, `duration − warmup`, in seconds.
pub fn counted_secs(scenario: &Scenario) -> f64 {
    (scenario.duration.saturating_sub(scenario.warmup)).as_secs_f64()
}

/// The run's bill, `None` without `[cost]`.
pub fn bill(scenario: &Scenario, metrics: &RunMetrics, routes: &[RouteMetrics]) -> Option<Bill> {
    let cost = scenario.cost.as_ref()?;
    let q = quantities(scenario, cost, metrics, routes);
    let period = counted_secs(scenario);
    let months = period / MONTH_SECS;
    let mut lines = Vec::new();
    for item in Item::ALL {
        let Some(price) = cost.price(item) else {
            continue;
        };
        let quantity = q[item.index()];
        let free = price.free_per_month;
        let per_month = if months > 0.0 { quantity / months } else { 0.0 };
        lines.push(Line {
            item,
            quantity,
            usd_per_unit: price.usd,
            free_per_month: free,
            usd: price.usd * (quantity - free * months).max(0.0),
            usd_month: price.usd * (per_month - free).max(0.0),
        });
    }
    Some(Bill {
        usd: lines.iter().map(|l| l.usd).sum(),
        usd_month: lines.iter().map(|l| l.usd_month).sum(),
        lines,
    })
}

/// Fills a finished run's `cost_usd` and `cost_usd_month` from its own figures; without `[cost]`
/// they stay not measured.
pub fn fill(scenario: &Scenario, result: &mut RunResult) {
    let Some(bill) = bill(scenario, &result.metrics, &result.routes) else {
        return;
    };
    for (name, usd) in [("cost_usd", bill.usd), ("cost_usd_month", bill.usd_month)] {
        if let Some(i) = column(name) {
            result.metrics.0[i] = Some(as_written(usd));
        }
    }
}

/// A policy's bill over its runs: each line's figures averaged over `runs`, in `Item::ALL`
/// order; `None` without `[cost]` or without runs.
pub fn mean_bill<'r>(
    scenario: &Scenario,
    runs: impl IntoIterator<Item = &'r RunResult>,
) -> Option<Bill> {
    let bills: Vec<Bill> = runs
        .into_iter()
        .map(|r| bill(scenario, &r.metrics, &r.routes))
        .collect::<Option<_>>()?;
    let first = bills.first()?;
    let n = bills.len() as f64;
    let mean = |f: &dyn Fn(&Bill) -> f64| bills.iter().map(f).sum::<f64>() / n;
    let lines = (first.lines.iter().enumerate())
        .map(|(i, line)| Line {
            quantity: mean(&|b| b.lines[i].quantity),
            usd: mean(&|b| b.lines[i].usd),
            usd_month: mean(&|b| b.lines[i].usd_month),
            ..line.clone()
        })
        .collect();
    Some(Bill {
        lines,
        usd: mean(&|b| b.usd),
        usd_month: mean(&|b| b.usd_month),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{ROUTE_COLUMNS, RUN_COLUMNS};
    use std::path::Path;

    /// One hour after a 10-minute warm-up (P = 3,000 s), two routes of known page sizes and
    /// render times, a CDN, two instances, and a price for most items, two with allowances.
    const PRICED: &str = r#"duration = "1h"
warmup = "10m"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 10
page_size = "20000B"
regen_time = "2s"
[[routes]]
name = "list"
pages = 2
page_size = "4096B"
regen_time = { uniform = ["250ms", "750ms"] }
[cdn]
pops = 1
[origin]
instances = 2
[[policies]]
name = "time"
revalidate = "60s"
[cost]
memory_gb = 2
request_time = "50ms"
cdn_requests = 0.000001
cdn_gb = 0.085
origin_gb = 0.09
invocations = 0.0000002
gb_seconds = 0.0000166667
isr_reads = 0.0000004
isr_writes = { usd = 0.000004, free_per_month = 100000 }
invalidation_paths = { usd = 0.005, free_per_month = 1000 }
instance_hours = 0.05
monthly = 20
"#;

    fn scenario(text: &str) -> Scenario {
        Scenario::parse(text, Path::new("cost.toml")).unwrap()
    }

    /// A run's figures: these counts, every other column 0.
    fn run(counts: &[(&str, f64)], routes: &[(&str, [f64; 3])]) -> RunResult {
        let mut metrics = [Some(0.0); RUN_COLUMNS.len()];
        for &(name, v) in counts {
            metrics[column(name).unwrap()] = Some(v);
        }
        let at = |name: &str| ROUTE_COLUMNS.iter().position(|c| c.name == name).unwrap();
        let routes = (routes.iter())
            .map(|&(route, [requests, regenerations, failed])| {
                let mut values = [Some(0.0); ROUTE_COLUMNS.len()];
                values[at("requests")] = Some(requests);
                values[at("regenerations")] = Some(regenerations);
                values[at("regenerations_failed")] = Some(failed);
                RouteMetrics {
                    route: route.to_string(),
                    values,
                }
            })
            .collect();
        RunResult {
            point: 0,
            policy: 0,
            replication: 0,
            seed: 0,
            metrics: RunMetrics(metrics),
            routes,
            timeseries: Vec::new(),
            distributions: Default::default(),
            simulated_requests: 0,
        }
    }

    fn known_run() -> RunResult {
        run(
            &[
                ("requests", 1_000.0),
                ("origin_requests", 100.0),
                ("regenerations", 20.0),
                ("build_renders", 5.0),
                ("purge_requests", 2.0),
            ],
            &[("posts", [800.0, 15.0, 1.0]), ("list", [200.0, 5.0, 0.0])],
        )
    }

    fn close(got: f64, want: f64, what: &str) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-9),
            "{what}: {got}, by hand {want}"
        );
    }

    #[test]
    fn a_hand_worked_bill() {
        let s = scenario(PRICED);
        let r = known_run();
        let bill = bill(&s, &r.metrics, &r.routes).unwrap();
        // Worked by hand from docs/cost.md. P = 3,000 s; a month is 2,592,000 s.
        let p = 3_000.0;
        let month = 2_592_000.0;
        // Bytes served: 800 x 20,000 + 200 x 4,096 = 16,819,200; per request 16,819.2.
        // ISR units: posts ceil(20,000/8,192) = 3, list 1; per request (800x3 + 200x1)/1000.
        let want = [
            (Item::CdnRequests, 1_000.0, 0.000001, 0.0),
            (Item::CdnGb, 0.0168192, 0.085, 0.0),
            (Item::OriginGb, 0.00168192, 0.09, 0.0),
            // 100 origin requests + 20 regenerations.
            (Item::Invocations, 120.0, 0.0000002, 0.0),
            // (100 x 0.05 s + 15 x 2 s + 5 x 0.5 s) x 2 GB.
            (Item::GbSeconds, 75.0, 0.0000166667, 0.0),
            (Item::IsrReads, 260.0, 0.0000004, 0.0),
            // (15 - 1) x 3 + (5 - 0) x 1, within the allowance in the period and the month.
            (Item::IsrWrites, 47.0, 0.000004, 100_000.0),
            // 2 paths: over the period's share of 1,000 (1.157), and 1,728 a month, over 1,000.
            (Item::InvalidationPaths, 2.0, 0.005, 1_000.0),
            // 2 instances x 3,000 s.
            (Item::InstanceHours, 2.0 * 3_000.0 / 3_600.0, 0.05, 0.0),
            (Item::Monthly, 3_000.0 / 2_592_000.0, 20.0, 0.0),
        ];
        assert_eq!(bill.lines.len(), want.len(), "one line per priced item");
        let (mut usd, mut usd_month) = (0.0, 0.0);
        for (line, &(item, q, price, free)) in bill.lines.iter().zip(&want) {
            assert_eq!(line.item, item);
            close(line.quantity, q, item.name());
            let period = price * f64::max(0.0, q - free * p / month);
            let monthly = price * f64::max(0.0, q * month / p - free);
            close(line.usd, period, item.name());
            close(line.usd_month, monthly, item.name());
            (usd, usd_month) = (usd + period, usd_month + monthly);
        }
        // The allowance crossing, written out: 0.005 x (2 - 1000 x 3000/2592000) in the period,
        // 0.005 x (2 x 864 - 1000) = $3.64 a month; the writes cost nothing.
        close(bill.lines[7].usd, 0.005 * (2.0 - 1_000.0 / 864.0), "paths");
        close(bill.lines[7].usd_month, 3.64, "paths a month");
        assert_eq!((bill.lines[6].usd, bill.lines[6].usd_month), (0.0, 0.0));
        // The plan is one month's fee a month, whatever the period.
        close(bill.lines[9].usd_month, 20.0, "monthly");
        close(bill.usd, usd, "cost_usd");
        close(bill.usd_month, usd_month, "cost_usd_month");
        // Unpriced items are counted all the same: 20 regenerations + 5 build renders.
        let q = quantities(&s, s.cost.as_ref().unwrap(), &r.metrics, &r.routes);
        assert_eq!(q[Item::BackendCalls.index()], 25.0);
        assert_eq!(q[Item::QueueMessages.index()], 0.0, "no [origin.queue]");
        assert_eq!(q[Item::PurgeRequests.index()], 2.0);
    }

    #[test]
    fn fill_writes_both_columns_and_leaves_them_unmeasured_without_cost() {
        let s = scenario(PRICED);
        let mut r = known_run();
        fill(&s, &mut r);
        let b = bill(&s, &r.metrics, &r.routes).unwrap();
        assert_eq!(r.metrics.get("cost_usd"), Some(as_written(b.usd)));
        assert_eq!(
            r.metrics.get("cost_usd_month"),
            Some(as_written(b.usd_month))
        );
        let plain = scenario(PRICED.split("[cost]").next().unwrap());
        let mut r = known_run();
        r.metrics.0[column("cost_usd").unwrap()] = None;
        r.metrics.0[column("cost_usd_month").unwrap()] = None;
        fill(&plain, &mut r);
        assert!(bill(&plain, &r.metrics, &r.routes).is_none());
        assert_eq!(r.metrics.get("cost_usd"), None, "not measured, not 0");
        assert_eq!(r.metrics.get("cost_usd_month"), None);
    }

    #[test]
    fn cdn_items_are_zero_without_a_cdn_and_queue_messages_count_with_a_queue() {
        let text = PRICED.replace("[cdn]\npops = 1\n", "").replace(
            "instances = 2\n",
            "instances = 2\n[origin.queue]\ndedupe_window = \"1s\"\n",
        );
        let s = scenario(&text);
        let r = run(
            &[
                ("requests", 10.0),
                ("origin_requests", 10.0),
                ("regenerations", 4.0),
                ("regenerations_deduplicated", 3.0),
            ],
            &[("posts", [10.0, 4.0, 0.0])],
        );
        let q = quantities(&s, s.cost.as_ref().unwrap(), &r.metrics, &r.routes);
        assert_eq!(q[Item::CdnRequests.index()], 0.0);
        assert_eq!(q[Item::CdnGb.index()], 0.0);
        assert_eq!(q[Item::QueueMessages.index()], 7.0);
        // Every request was a posts one: 10 x 20,000 bytes left the origin.
        close(q[Item::OriginGb.index()], 0.0002, "origin_gb");
    }

    #[test]
    fn a_policys_bill_is_the_mean_of_its_runs() {
        let s = scenario(PRICED);
        let a = known_run();
        let mut b = known_run();
        b.metrics.0[column("origin_requests").unwrap()] = Some(300.0);
        let one = |r: &RunResult| bill(&s, &r.metrics, &r.routes).unwrap();
        let mean = mean_bill(&s, [&a, &b]).unwrap();
        close(mean.usd, (one(&a).usd + one(&b).usd) / 2.0, "usd");
        close(mean.lines[3].quantity, (120.0 + 320.0) / 2.0, "invocations");
    }
}

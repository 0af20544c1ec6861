//! How large a scenario may be (docs/scenario.md, "Sizes"). What a run allocates before its first
//! event (pages, caches, time buckets), the work it is expected to do (requests, edits), and the
//! number of runs a study makes are bounded, so that `isrsim` refuses what no machine could hold
//! or finish with an error that names the key and the way past, rather than aborting on an
//! allocation or running for days.

use std::ops::Range;

use toml::Spanned;

use super::source::Source;
use super::values::NonNegative;
use crate::error::InputError;
use crate::time::SimTime;

/// The most time buckets one run keeps (per policy and replication).
const MAX_BUCKETS: u64 = 10_000_000;
/// The most pages, and (page, cache) entries, a run allocates: far beyond any real site, and
/// short of what would exhaust a machine's memory before the first event.
const MAX_PAGES: u64 = 100_000_000;
const MAX_CACHE_ENTRIES: u64 = 500_000_000;
/// The most requests, and the most edits, one run is expected to simulate: at about 13 million
/// requests a second (docs/performance.md), a quarter of an hour of one core. Beyond it a typo
/// (`rate = 1e308`) would make a run that never ends.
pub(super) const MAX_EVENTS: f64 = 1e10;
/// The most runs (sweep points × policies × replications) one study makes. Every run is listed
/// and its results held until the report is written.
const MAX_RUNS: u64 = 1_000_000;
/// The most sweep points: each is a whole scenario, checked and held before the first run.
pub(in crate::scenario) const MAX_POINTS: u64 = 10_000;

/// `duration` cut into `bucket`s must give at most `MAX_BUCKETS`; the message says the smallest
/// `bucket` that does.
pub(super) fn check_buckets(duration: SimTime, bucket: SimTime) -> Result<(), String> {
    let buckets = duration.as_micros() / bucket.as_micros().max(1);
    if buckets > MAX_BUCKETS {
        return Err(format!(
            "{buckets} time buckets over `duration`: at most {MAX_BUCKETS} are allowed, so `bucket` must be at least {}",
            SimTime(duration.as_micros().div_ceil(MAX_BUCKETS))
        ));
    }
    Ok(())
}

/// The most routes: the model stores each page's route in 16 bits.
const MAX_ROUTES: usize = u16::MAX as usize;

/// At most `MAX_ROUTES` `[[routes]]`.
pub(super) fn check_routes(routes: usize) -> Result<(), String> {
    if routes > MAX_ROUTES {
        return Err(format!(
            "{routes} routes: at most {MAX_ROUTES} are allowed; a route is a group of pages, so give one route more `pages`"
        ));
    }
    Ok(())
}

/// `pages` over every route, each stored in `caches` caches (PoPs, the shield and instances).
pub(super) fn check_pages(pages: u64, caches: u64) -> Result<(), String> {
    if pages > MAX_PAGES || pages.saturating_mul(caches) > MAX_CACHE_ENTRIES {
        return Err(format!(
            "{pages} pages in {caches} caches (PoPs, shield and instances) is too large to simulate: at most {MAX_PAGES} pages and {MAX_CACHE_ENTRIES} page-cache entries are allowed"
        ));
    }
    Ok(())
}

/// A run expected to simulate `expected` `events` (requests, edits) at most `MAX_EVENTS`;
/// `because` says where the figure comes from and `fix` how to lower it.
pub(super) fn check_events(
    source: &Source,
    key: &str,
    span: Option<Range<usize>>,
    expected: f64,
    (events, because, fix): (&str, String, &str),
) -> Result<(), InputError> {
    // Written so that NaN fails too.
    if expected <= MAX_EVENTS {
        return Ok(());
    }
    Err(source.error(
        key,
        span,
        format!(
            "{} {events} expected per run ({because}): at most {} are allowed; {fix}",
            amount(expected),
            MAX_EVENTS as u64
        ),
    ))
}

/// The smallest and largest share above 0. A share is a relative weight, and the page sampler
/// multiplies it by each page's Zipf weight (at least 1e-8 of the route's, as a route has at most
/// `MAX_PAGES` pages) and divides it by the shares' sum: within these bounds every product stays
/// a normal float and the sum of even `MAX_PAGES` routes' shares is finite.
const MIN_SHARE: f64 = 1e-300;
const MAX_SHARE: f64 = 1e300;

/// Each route's `share` as written (`None`: the default, 1): every share is 0 or within
/// `MIN_SHARE..=MAX_SHARE`, and one at least is above 0.
pub(super) fn check_shares(
    source: &Source,
    shares: &[Option<&Spanned<NonNegative>>],
) -> Result<(), InputError> {
    for (i, share) in shares.iter().enumerate() {
        if let Some(s) = share
            && let v = s.get_ref().0
            && v != 0.0
            && !(MIN_SHARE..=MAX_SHARE).contains(&v)
        {
            return Err(source.at(
                format!("routes[{i}].share"),
                *s,
                format!(
                    "{v:e} is not allowed: a share is a relative weight, 0 or from {MIN_SHARE:e} to {MAX_SHARE:e} (shares of 85 and 15 split the requests as 0.85 and 0.15 do)"
                ),
            ));
        }
    }
    // A share defaults to 1, so a zero sum means every route gave `share = 0` explicitly.
    if let Some(Some(first)) = shares.first()
        && shares
            .iter()
            .all(|s| s.is_some_and(|s| s.get_ref().0 == 0.0))
    {
        return Err(source.at(
            "routes[0].share",
            *first,
            "the shares of all routes sum to 0, so no request picks a route: give at least one route a share above 0",
        ));
    }
    Ok(())
}

/// `points` sweep points of `policies` policies and `replications` replications each (the
/// policies may differ between points, so their sum over points is given) must make at most
/// `MAX_RUNS` runs; the message names the factors and `fix` says how to make fewer.
pub(in crate::scenario) fn check_runs(
    points: u64,
    policies: u64,
    replications: u32,
    fix: &str,
) -> Result<(), String> {
    let runs = policies.saturating_mul(u64::from(replications));
    if runs <= MAX_RUNS {
        return Ok(());
    }
    let policies = match (points, policies) {
        (0 | 1, 1) => "1 policy".to_string(),
        (0 | 1, _) => format!("{policies} policies"),
        _ => format!("{points} sweep points with {policies} policies in all"),
    };
    Err(format!(
        "{runs} runs ({policies} × {replications} replications): at most {MAX_RUNS} runs are allowed; {fix}"
    ))
}

/// A count as messages show it: whole below a million billion, else in scientific notation.
fn amount(x: f64) -> String {
    match x {
        x if x < 1e15 => format!("about {x:.0}"),
        x if x.is_finite() => format!("about {x:.1e}"),
        _ => format!("more than {:.1e}", f64::MAX),
    }
}

/// A rate as messages show it: as written below a million billion, else in scientific notation.
pub(super) fn rate(x: f64) -> String {
    if x < 1e15 {
        format!("{x}")
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text, replace};

    #[test]
    fn a_run_expected_to_simulate_too_many_requests_is_refused() {
        // 10/s over 6h is 216,000 requests; 1e308/s would never end.
        for rate in ["1e308", "1e6"] {
            let text = replace(MINIMAL, "rate = 10", &format!("rate = {rate}"));
            let err = error(&text, "traffic.rate", line_of(&text, "rate ="));
            assert!(err.message.contains("at most"), "{err}");
        }
        // 400,000/s over 6h is 8.6e9 requests: allowed.
        let text = replace(MINIMAL, "rate = 10", "rate = 400000");
        assert!(parse_text(&text).is_ok());
        let text = replace(MINIMAL, "rate = 10", "rate = 1e6");
        let err = parse_text(&text).unwrap_err();
        assert!(
            err.message.contains("about 21600000000 requests")
                && err.message.contains("shorten `duration`"),
            "names the figure and the way out: {err}"
        );
    }

    #[test]
    fn the_traffic_key_blamed_is_the_one_that_brings_most_requests() {
        let bursty = "pattern = \"bursty\"\nbase_rate = 1\nburst_rate = 1e12\nburst_length = \"1m\"\nburst_every = \"1h\"";
        let text = replace(MINIMAL, "pattern = \"steady\"\nrate = 10", bursty);
        error(&text, "traffic.burst_rate", line_of(&text, "burst_rate"));
        let spike = "pattern = \"spike\"\nrate = 10\nspike_factor = 1e300\nspike_at = \"1h\"\nspike_length = \"1s\"";
        let text = replace(MINIMAL, "pattern = \"steady\"\nrate = 10", spike);
        error(
            &text,
            "traffic.spike_factor",
            line_of(&text, "spike_factor"),
        );
        let diurnal = "pattern = \"diurnal\"\nmin_rate = 0\nmax_rate = 1e9\nperiod = \"1d\"\npeak_at = \"0s\"";
        let text = replace(MINIMAL, "pattern = \"steady\"\nrate = 10", diurnal);
        error(&text, "traffic.max_rate", line_of(&text, "max_rate"));
    }

    #[test]
    fn the_limit_reads_the_modified_traffic_s_mean() {
        // 100,000/s over 6h is 2.16e9 requests, allowed; a spike of 100 over its first hour
        // adds 3.6e10 and is blamed, at its line; half the week's weight on a day that the run
        // does not reach lowers the mean below the base's.
        let spiked =
            "rate = 100000\n[[traffic.spikes]]\nat = \"0s\"\nlength = \"1h\"\nfactor = 100";
        let text = replace(MINIMAL, "rate = 10", spiked);
        let err = error(
            &text,
            "traffic.spikes",
            line_of(&text, "[[traffic.spikes]]"),
        );
        assert!(err.message.contains("about 37800000000 requests"), "{err}");
        let weekly = "rate = 400000\nweekly = [1, 0, 0, 0, 0, 0, 6]";
        let text = replace(MINIMAL, "rate = 10", weekly);
        assert!(parse_text(&text).is_ok(), "4e5/s × 6h / 1 × 7 / 7 = 8.6e9");
        let weekly = "rate = 400000\nweekly = [7, 0, 0, 0, 0, 0, 0]";
        let text = replace(MINIMAL, "rate = 10", weekly);
        error(&text, "traffic.rate", line_of(&text, "rate ="));
    }

    #[test]
    fn a_run_expected_to_simulate_too_many_edits_is_refused() {
        let text = replace(MINIMAL, "pages = 5\n", "pages = 5\nedit_every = \"1us\"\n");
        let err = error(&text, "routes[1].edit_every", line_of(&text, "edit_every"));
        assert!(
            err.message.contains("edits") && err.message.contains("`list`"),
            "{err}"
        );
        let text = replace(MINIMAL, "pages = 5\n", "pages = 5\nedit_every = \"1s\"\n");
        assert!(parse_text(&text).is_ok());
    }

    #[test]
    fn a_run_expected_to_simulate_too_many_scheduled_regenerations_is_refused() {
        let text = replace(MINIMAL, "revalidate = \"60s\"", "schedule = \"1us\"");
        let err = error(&text, "policies[0].schedule", line_of(&text, "schedule"));
        assert!(err.message.contains("`posts`"), "{err}");
        let text = format!("{MINIMAL}routes.list = {{ schedule = \"1us\" }}\n");
        error(
            &text,
            "policies[0].routes.list.schedule",
            line_of(&text, "routes.list"),
        );
        let text = replace(MINIMAL, "revalidate = \"60s\"", "schedule = \"1ms\"");
        assert!(parse_text(&text).is_ok(), "100 pages every 1ms for 6h");
    }

    #[test]
    fn shares_whose_sum_would_overflow_or_underflow_are_refused() {
        // Two shares of 1e308 sum to more than f64::MAX; one of 1e-308 is below a normal float
        // once the sampler weighs it by a page's Zipf weight.
        for share in ["1e308", "1e-308"] {
            let text = replace(
                MINIMAL,
                "pages = 100\n",
                &format!("pages = 100\nshare = {share}\n"),
            );
            let text = replace(
                &text,
                "pages = 5\n",
                &format!("pages = 5\nshare = {share}\n"),
            );
            let err = error(&text, "routes[0].share", line_of(&text, "share ="));
            assert!(err.message.contains("relative weight"), "{err}");
        }
        // The bounds themselves are allowed, and 0 next to them.
        let text = replace(MINIMAL, "pages = 100\n", "pages = 100\nshare = 1e300\n");
        let text = replace(&text, "pages = 5\n", "pages = 5\nshare = 1e-300\n");
        assert!(parse_text(&text).is_ok());
        let text = replace(MINIMAL, "pages = 100\n", "pages = 100\nshare = 0\n");
        assert!(parse_text(&text).is_ok());
    }

    #[test]
    fn more_routes_than_a_page_can_name_are_refused() {
        let routes = |n: usize| {
            (0..n)
                .map(|i| format!("[[routes]]\nname = \"r{i}\"\npages = 1\nregen_time = \"1s\"\n"))
                .collect::<String>()
        };
        let head = "duration = \"1m\"\n[traffic]\npattern = \"steady\"\nrate = 1\n";
        let policy = "[[policies]]\nname = \"p\"\n";
        let text = format!("{head}{}{policy}", routes(65_536));
        let err = error(&text, "routes", line_of(&text, "[[routes]]"));
        assert!(err.message.contains("at most 65535"), "{err}");
        let text = format!("{head}{}{policy}", routes(3));
        assert!(parse_text(&text).is_ok());
    }

    #[test]
    fn too_many_runs_are_refused_before_any_is_listed() {
        let text = format!("replications = 1000000000\n{MINIMAL}");
        let err = error(&text, "replications", 1);
        assert!(
            err.message.contains("1000000000 runs") && err.message.contains("at most 1000000"),
            "{err}"
        );
        // Two policies of 500,000 replications are exactly the limit.
        let text = format!("replications = 500000\n{MINIMAL}\n[[policies]]\nname = \"b\"\n");
        assert!(parse_text(&text).is_ok());
        let text = format!("replications = 500001\n{MINIMAL}\n[[policies]]\nname = \"b\"\n");
        error(&text, "replications", 1);
    }
}

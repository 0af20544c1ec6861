//! `isrsim load`'s editors against the in-process ISR origin of `support::origin`: a webhook
//! whose request fails is retried with the policy's back-off (docs/model.md §8.6), and a bulk
//! edit is played as the simulator plays it (§3).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use isrsim::driver::Driver;
use isrsim::load::{Ending, Load, Options, Plan};
use isrsim::metrics::RunId;
use isrsim::scenario::Scenario;
use isrsim::time::SimTime;

mod support;

use support::origin::{Origin, OriginConfig, free_port, load_options};

const RUN: RunId = RunId {
    point: 0,
    policy: 0,
    replication: 0,
    seed: 1,
};

/// Two posts regenerated in 50 ms, no warm-up, with `tables` (a policy and more) after them.
fn site(duration: &str, tables: &str) -> Scenario {
    support::parse(&format!(
        r#"
duration = "{duration}"
warmup = "0s"
[traffic]
pattern = "steady"
rate = 1
[[routes]]
name = "posts"
pages = 2
regen_time = "50ms"
{tables}
"#
    ))
}

/// Plays `plan` against a fresh origin; the webhooks go to `revalidate_url`.
fn play(scenario: &Scenario, plan: Plan, revalidate_url: &str) -> (Ending, Origin) {
    let cms = free_port();
    let origin = Origin::start(OriginConfig::new(cms));
    let mut options = Options {
        connections: 4,
        timeout: Duration::from_secs(2),
        ..load_options(&origin, cms)
    };
    options.hooks.revalidate_url = revalidate_url.into();
    options.hooks.timeout = Duration::from_secs(2);
    let load = Load::scripted(options, plan);
    load.run(scenario, RUN, &AtomicU64::new(0))
        .unwrap_or_else(|e| panic!("the load test failed: {e}"));
    (load.ending(), origin)
}

const REVALIDATE: &str = "{instance}/api/revalidate?path={path}";

/// Every regeneration fails at the content server (`failure_rate = 1`), so the origin answers
/// the `regenerate` webhook 500, as `res.revalidate` does:
///   0.1   edit, webhook, answered 500 after the ~50 ms regeneration (~0.15)
///   ~0.25 retry 1 (100 ms after the failure), answered 500 (~0.3)
///   ~0.5  retry 2 (200 ms after), answered 500; no third retry.
#[test]
fn a_webhook_answered_500_is_retried_with_back_off_then_given_up() {
    let scenario = site(
        "1.5s",
        "[backend]\nfailure_rate = 1.0\n[[policies]]\nname = \"p\"\non_edit = \"regenerate\"\nwebhook_retries = 2\nwebhook_backoff = \"100ms\"\n",
    );
    let plan = Plan::scripted(Vec::new(), vec![(SimTime::from_millis(100), 0)]);
    let (ending, origin) = play(&scenario, plan, REVALIDATE);
    assert_eq!(ending.webhooks, (3, 3), "the first attempt and two retries");
    assert_eq!(origin.webhooks(), 3);
}

/// A webhook sent to a URL the site does not serve (404) fails each time; without retries it is
/// sent once.
#[test]
fn a_failed_request_is_retried_only_when_the_policy_says() {
    for (retries, sent) in [(0, 1), (3, 4)] {
        let scenario = site(
            "1.5s",
            &format!(
                "[[policies]]\nname = \"p\"\non_edit = \"invalidate\"\nwebhook_retries = {retries}\nwebhook_backoff = \"50ms\"\n"
            ),
        );
        let plan = Plan::scripted(Vec::new(), vec![(SimTime::from_millis(100), 1)]);
        let (ending, _) = play(&scenario, plan, "{instance}/no-such-hook?path={path}");
        assert_eq!(ending.webhooks, (sent, sent), "webhook_retries = {retries}");
    }
}

/// A bulk edit of both posts at 0.2 s is two edits of the run's own edit stream, each with its
/// webhook, as in the simulator.
#[test]
fn a_bulk_edit_is_played_by_the_editors() {
    let scenario = site(
        "1s",
        "[[policies]]\nname = \"p\"\non_edit = \"regenerate\"\n\n[[events]]\nkind = \"bulk_edit\"\nroute = \"posts\"\npages = 2\nat = \"200ms\"\nwithin = \"100ms\"\n",
    );
    let (ending, origin) = play(&scenario, Plan::of(&scenario, RUN.seed), REVALIDATE);
    assert_eq!(ending.edits, 2);
    assert_eq!(ending.webhooks, (2, 0));
    assert_eq!(origin.webhooks(), 2);
}

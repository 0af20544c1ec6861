//! What `tests/closed_form.rs` and `tests/properties.rs` share: a scenario from TOML text, and a
//! metric of a run by its column name.

use std::path::Path;

use isrsim::metrics::RunResult;
use isrsim::scenario::Scenario;

/// Parses a test scenario, named in errors after the test file that includes this module.
pub fn parse(text: &str) -> Scenario {
    let path = Path::new(concat!(env!("CARGO_CRATE_NAME"), ".toml"));
    Scenario::parse(text, path)
        .unwrap_or_else(|e| panic!("the test scenario does not parse: {e}\n{text}"))
}

pub fn metric(result: &RunResult, name: &str) -> f64 {
    result
        .metrics
        .get(name)
        .unwrap_or_else(|| panic!("no column `{name}`"))
}

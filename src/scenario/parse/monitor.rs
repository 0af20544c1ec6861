//! `[monitor]`: how long a page may go without a successful regeneration, while its content is
//! outdated, before it counts as an alert.

use serde::Deserialize;

use super::values::Interval;
use crate::scenario::Monitor;
use crate::time::SimTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonitor {
    alert_after: Option<Interval>,
}

const DEFAULT_ALERT_AFTER: SimTime = SimTime::from_secs(24 * 3_600);

pub(super) fn resolve_monitor(raw: Option<RawMonitor>) -> Monitor {
    Monitor {
        alert_after: raw
            .and_then(|m| m.alert_after)
            .map_or(DEFAULT_ALERT_AFTER, |t| t.0),
    }
}

//! The seam between an experiment and what produces a run's observations.
//!
//! A **driver** plays one (policy, replication) of a scenario and reports what it observes to a
//! [`Collector`]: every response (through the one staleness judgement, `metrics::staleness`),
//! every regeneration, the backend's queue. The experiment owns the rest, the same for every
//! driver: which runs to make and on how many threads, the seeds, and turning the collector into
//! the [`RunResult`] that every output reads.
//!
//! Today the driver is the simulator ([`Simulator`]); the load tester, which plays the same
//! scenario against a real site, is the second. A driver reports only what it can observe; what
//! it cannot is "not measured" in every output, never a made-up zero.

use std::fmt;
use std::sync::atomic::AtomicU64;

use crate::cost;
use crate::metrics::{Collector, RunId, RunResult};
use crate::model;
use crate::scenario::Scenario;
use crate::workload::traffic::ReplayError;

/// Something that produces a run's observations.
pub trait Driver: Sync {
    /// Why a run could not be made (the simulator's only failure is a trace it cannot read back).
    type Error: fmt::Display + Send;

    /// Plays run `run` of `scenario` (its policy and replication, whose seed is `run.seed`),
    /// recording what it observes in `collector`, and returns the collector to be finished into
    /// the run's result. Adds the scenario time covered, in microseconds, to `progress` as it goes.
    fn drive(
        &self,
        scenario: &Scenario,
        run: RunId,
        collector: Collector,
        progress: &AtomicU64,
    ) -> Result<Collector, Self::Error>;

    /// One whole run: a fresh collector for `scenario`, driven, and finished, its counts priced
    /// by the scenario's `[cost]` (the same bill for every driver).
    fn run(
        &self,
        scenario: &Scenario,
        run: RunId,
        progress: &AtomicU64,
    ) -> Result<RunResult, Self::Error> {
        let collector = self.drive(scenario, run, scenario.collector(), progress)?;
        let mut result = collector.finish(run);
        cost::fill(scenario, &mut result);
        Ok(result)
    }
}

/// The discrete-event model of `crate::model`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simulator;

impl Driver for Simulator {
    type Error = ReplayError;

    fn drive(
        &self,
        scenario: &Scenario,
        run: RunId,
        collector: Collector,
        progress: &AtomicU64,
    ) -> Result<Collector, ReplayError> {
        model::simulate(scenario, run, collector, Some(progress))
    }
}

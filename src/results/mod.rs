//! The results of a study, as figures rather than files: what `metrics` measured in each run,
//! summarised, read back from a results folder, and compared (docs/model.md §11, docs/ci.md).
//!
//! `summary` holds the typed results every output reads (`StudyResults`: the runs in one order,
//! and each (sweep point, policy)'s means and 95% intervals, computed there and nowhere else).
//! `read` turns a results folder back into them, for `isrsim plot`, `isrsim diff` and
//! `isrsim compare`, by the folder's `layout`, which `report` writes by. `diff` judges two sets
//! of results metric by metric (a regression, an improvement, or neither), and `prediction` sets
//! a simulation's prediction beside a measurement. Nothing here writes or prints: `report`
//! renders all of it.

pub mod diff;
#[cfg(test)]
pub(crate) mod fixture;
pub mod layout;
pub mod prediction;
mod read;
pub mod steady;
mod summary;

pub use read::{Folder, Problem, ReadError};
pub use summary::{Estimate, RouteSummary, StudyResults, Summary};

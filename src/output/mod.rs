//! The folders isrsim writes its results into (docs/model.md §11.9): whole or not at all, and
//! only where isrsim may.
//!
//! `replace` checks a results folder before any work (`Target::prepare`), puts it in place by
//! renaming a finished staging folder, and replaces the charts and report of a folder being
//! redrawn the same way (`replace_entries`); only a folder that is empty or carries isrsim's
//! marker file is ever replaced. `staging` keeps the staging folders from outliving a failure, an
//! interruption (`remove_staging`, which `main` calls on a signal before it exits) or, by the next
//! run beside them, a kill. What goes into the folders is `report`'s affair, not this module's.

mod replace;
mod staging;

pub use replace::{MARKER_FILE, Refusal, Target, check_marked, replace_entries};
pub use staging::{Held, remove_staging};

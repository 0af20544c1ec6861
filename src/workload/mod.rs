//! The workload: what the simulator and the load tester share. Users (arrivals, the page each
//! asks for, the PoP it reaches), the site's pages and routes, editors and the content versions
//! they make, the seeded random streams every draw comes from, and what the policy sends on an
//! edit. The caches are the simulator's alone (`model`); the load tester plays the same
//! workload against a real site (`load`).

pub mod alias;
pub mod balancer;
pub mod bulk;
pub mod content;
pub mod policy;
pub mod rng;
pub mod traffic;

/// The page, PoP and instance ids the workload's users and edits carry (defined with `SimTime`'s
/// kind, below every layer, so the metrics that judge a page can name it too).
pub use crate::ids::{InstanceId, PageId, PopId};

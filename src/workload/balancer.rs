//! The balancer's choice of instance (docs/model.md §6.1): which Next.js instance an origin
//! request or a non-broadcast webhook goes to. The simulator's origin and the load tester's
//! editors both pick by this one rule, so a webhook reaches the same instance in both.

use rand::RngExt;

use super::rng::SimRng;
use crate::ids::{InstanceId, PageId};
use crate::scenario::Balancer;

/// The balancer: which instance an origin request or a non-broadcast webhook goes to. The load
/// tester sends webhooks to its `--instance` list by the same rule.
#[derive(Clone, Debug)]
pub struct Picker {
    balancer: Balancer,
    instances: u32,
    round_robin: u32,
}

impl Picker {
    pub fn new(balancer: Balancer, instances: u32) -> Picker {
        Picker {
            balancer,
            instances: instances.max(1),
            round_robin: 0,
        }
    }

    /// The balancer's pool changes size; round robin carries on from where it was.
    pub fn set_instances(&mut self, instances: u32) {
        self.instances = instances.max(1);
        self.round_robin %= self.instances;
    }

    /// The instance for `page`: `round-robin` in turn, `random` from `rng`, `hash` by page.
    pub fn pick(&mut self, page: PageId, rng: &mut SimRng) -> InstanceId {
        if self.instances == 1 {
            return InstanceId(0);
        }
        InstanceId(match self.balancer {
            Balancer::RoundRobin => {
                let i = self.round_robin;
                self.round_robin = (i + 1) % self.instances;
                i
            }
            Balancer::Random => rng.random_range(0..self.instances),
            // Sticky by page: a multiplicative hash spreads neighbouring (equally popular) ranks.
            Balancer::Hash => {
                ((u64::from(page.0).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32)
                    % u64::from(self.instances)) as u32
            }
        })
    }
}

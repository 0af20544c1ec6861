//! Random streams and common random numbers (docs/model.md §2.3, §2.4).
//!
//! Every source of randomness gets its own stream, seeded from (scenario seed, replication,
//! stream) only, never from the policy. So every policy of a replication sees the same users, the
//! same edits, and the same webhook and purge delays; differences between policies are then the
//! policies' doing, not the dice's. The generator is Xoshiro256++ from `rand_xoshiro`, pinned by
//! name so results reproduce across releases of `rand`.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub type SimRng = Xoshiro256PlusPlus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Traffic = 1,
    Edits = 2,
    Webhooks = 3,
    Purges = 4,
    Backend = 5,
    Balancer = 6,
    Schedule = 7,
    /// A webhook's retries (`webhook_retries`): drawn only when a policy retries.
    WebhookRetries = 8,
    /// The pages a `bulk_edit` event with `pick = "random"` edits.
    BulkEdits = 9,
    /// How long a regeneration takes to reach the CDN's copies (`[cdn] propagation`): drawn
    /// only with `follows_origin`.
    Propagation = 10,
    /// How long a write to a shared cache takes to reach the other instances: drawn only with
    /// `[origin] store_lag`.
    StoreLag = 11,
    /// How long a tag revalidation takes to reach the other instances' view of a shared cache:
    /// drawn only with `[origin] tag_lag`.
    TagLag = 12,
}

/// SplitMix64's finaliser: a bijective mix, so distinct inputs never collide.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of one replication, as written in `runs.csv`.
pub fn replication_seed(seed: u64, replication: u32) -> u64 {
    mix(mix(seed) ^ u64::from(replication))
}

/// The generator of one stream of one replication.
pub fn stream(replication_seed: u64, stream: Stream) -> SimRng {
    SimRng::seed_from_u64(mix(replication_seed ^ mix(stream as u64)))
}

/// The generator of the `count`-th render (from 0) the backend starts for global page `page`:
/// its run time, then, only with `[backend] failure_rate`, whether it fails (docs/model.md §2.3,
/// §7). Keyed by page and count, not drawn in the order renders start: a render that starts a
/// little earlier or later (in a load test against a real site, or under another policy) leaves
/// every other page's renders alone. The simulator and `isrsim cms` both draw from it.
pub fn regeneration(replication_seed: u64, page: u64, count: u32) -> SimRng {
    let base = mix(replication_seed ^ mix(Stream::Backend as u64));
    SimRng::seed_from_u64(mix(base ^ mix(mix(page) ^ u64::from(count))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn replications_and_streams_differ() {
        let a = replication_seed(42, 0);
        let b = replication_seed(42, 1);
        assert_ne!(a, b);
        let x: u64 = stream(a, Stream::Traffic).random();
        let y: u64 = stream(a, Stream::Edits).random();
        let z: u64 = stream(b, Stream::Traffic).random();
        assert!(x != y && x != z);
    }

    #[test]
    fn regenerations_differ_by_page_and_count_and_repeat() {
        let s = replication_seed(13, 0);
        let draw = |page, count| -> u64 { regeneration(s, page, count).random() };
        let all = [draw(0, 0), draw(0, 1), draw(1, 0), draw(1, 1)];
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| a != b), "{all:?}");
        }
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(
            draw(7, 3),
            regeneration(replication_seed(13, 1), 7, 3).random::<u64>()
        );
    }

    #[test]
    fn a_stream_depends_only_on_its_seed() {
        let s = replication_seed(7, 3);
        let x: [u64; 4] = stream(s, Stream::Webhooks).random();
        let y: [u64; 4] = stream(s, Stream::Webhooks).random();
        assert_eq!(x, y);
    }
}

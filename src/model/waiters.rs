//! Who is waiting on an in-flight generation or CDN fetch.
//!
//! Many requests can block on one generation (Next.js shares one promise among concurrent
//! requests for a page), many users on one collapsed CDN fetch, and many PoPs' fetches on one
//! collapsed fetch of the origin shield. A waiting user carries whether the instance read the page
//! from disk for it (docs/model.md §6.7). The lists are intrusive singly-linked lists in one slab
//! with a free list, so waiting allocates nothing once the slab has grown to the run's peak.

use super::slab::Slab;
use crate::ids::PopId;
use crate::time::SimTime;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiter {
    /// A user request, the PoP it came through (PoP 0 without a CDN), and whether the
    /// instance read the page from disk for it (its latency pays `disk_read`).
    User {
        arrival: SimTime,
        pop: PopId,
        disk: bool,
    },
    /// A CDN fetch (an index into the CDN's fetches).
    Fetch(u32),
    /// The origin shield's fetch (an index into the shield's fetches), which PoPs' fetches wait
    /// on in turn.
    ShieldFetch(u32),
    /// A CMS's webhook (`regenerate` with `webhook_retries`), whose answer waits for the
    /// regeneration: attempt `attempt` is retried if it fails.
    Webhook { attempt: u8 },
    /// A message of the revalidation queue (an index into its messages), which finishes when
    /// the generation does.
    Message(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct WaitList {
    head: u32,
    tail: u32,
}

impl Default for WaitList {
    fn default() -> Self {
        WaitList {
            head: NIL,
            tail: NIL,
        }
    }
}

impl WaitList {
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

struct Node {
    waiter: Waiter,
    next: u32,
}

#[derive(Default)]
pub struct Waiters {
    nodes: Slab<Node>,
}

impl Waiters {
    /// Appends `waiter` to `list`: waiters are answered in arrival order.
    pub fn push(&mut self, list: &mut WaitList, waiter: Waiter) {
        let id = self.nodes.insert(Node { waiter, next: NIL });
        if list.tail == NIL {
            list.head = id;
        } else {
            self.nodes[list.tail].next = id;
        }
        list.tail = id;
    }

    /// Removes and returns the first waiter of `list`.
    pub fn pop(&mut self, list: &mut WaitList) -> Option<Waiter> {
        if list.head == NIL {
            return None;
        }
        let id = list.head;
        let node = &self.nodes[id];
        let waiter = node.waiter;
        list.head = node.next;
        if list.head == NIL {
            list.tail = NIL;
        }
        self.nodes.remove(id);
        Some(waiter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_stays_16_bytes() {
        // The disk flag sits in the padding beside `pop`; a larger node would cost cache lines.
        assert_eq!(std::mem::size_of::<Waiter>(), 16);
    }

    #[test]
    fn lists_are_fifo_and_reuse_nodes() {
        let mut w = Waiters::default();
        let (mut a, mut b) = (WaitList::default(), WaitList::default());
        for i in 0..3 {
            w.push(&mut a, Waiter::Fetch(i));
            w.push(&mut b, Waiter::Fetch(10 + i));
        }
        let drained: Vec<_> = std::iter::from_fn(|| w.pop(&mut a)).collect();
        assert_eq!(
            drained,
            vec![Waiter::Fetch(0), Waiter::Fetch(1), Waiter::Fetch(2)]
        );
        assert!(a.is_empty());
        w.push(&mut a, Waiter::Fetch(99));
        assert_eq!(w.nodes.capacity(), 6, "a freed node is reused");
        assert_eq!(w.pop(&mut b), Some(Waiter::Fetch(10)));
        assert_eq!(w.pop(&mut a), Some(Waiter::Fetch(99)));
    }
}

//! Least-recently-used order for caches that hold fewer pages than the site has: each cache
//! (a CDN PoP) keeps its pages in a doubly linked list, most recently used first, threaded through
//! flat arrays indexed like the cache's entries. Using a page moves it to the front; storing a page
//! into a full cache evicts the one at the back. Every operation is O(1) and allocates nothing.
//!
//! This is the replacement policy CDNs describe for their edge caches: Cloudflare ("assets that
//! are not accessed frequently are evicted", least recently used first), Fastly ("least recently
//! used content is evicted"), and Varnish's `malloc` storage (an LRU list per storage).

/// No slot: the end of a list.
const NONE: u32 = u32::MAX;
/// A slot not in its list.
const OUT: u32 = u32::MAX - 1;

#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
    len: u32,
}

/// The LRU order of `lists` caches of `slots` slots each, each holding at most `capacity`.
pub struct Lru {
    capacity: u32,
    slots: usize,
    links: Vec<Link>,
    lists: Vec<List>,
}

impl Lru {
    pub fn new(lists: u32, slots: usize, capacity: u32) -> Lru {
        Lru {
            capacity: capacity.max(1),
            slots,
            links: vec![
                Link {
                    prev: OUT,
                    next: NONE
                };
                lists as usize * slots
            ],
            lists: vec![
                List {
                    head: NONE,
                    tail: NONE,
                    len: 0
                };
                lists as usize
            ],
        }
    }

    #[inline]
    fn at(&self, list: u32, slot: u32) -> usize {
        list as usize * self.slots + slot as usize
    }

    #[cfg(test)]
    fn contains(&self, list: u32, slot: u32) -> bool {
        self.links[self.at(list, slot)].prev != OUT
    }

    #[cfg(test)]
    fn len(&self, list: u32) -> u32 {
        self.lists[list as usize].len
    }

    fn unlink(&mut self, list: u32, slot: u32) {
        let i = self.at(list, slot);
        let Link { prev, next } = self.links[i];
        if prev == OUT {
            return;
        }
        let l = list as usize;
        match prev {
            NONE => self.lists[l].head = next,
            p => {
                let p = self.at(list, p);
                self.links[p].next = next;
            }
        }
        match next {
            NONE => self.lists[l].tail = prev,
            n => {
                let n = self.at(list, n);
                self.links[n].prev = prev;
            }
        }
        self.links[i] = Link {
            prev: OUT,
            next: NONE,
        };
        self.lists[l].len -= 1;
    }

    fn push_front(&mut self, list: u32, slot: u32) {
        let l = list as usize;
        let head = self.lists[l].head;
        let i = self.at(list, slot);
        self.links[i] = Link {
            prev: NONE,
            next: head,
        };
        match head {
            NONE => self.lists[l].tail = slot,
            h => {
                let h = self.at(list, h);
                self.links[h].prev = slot;
            }
        }
        self.lists[l].head = slot;
        self.lists[l].len += 1;
    }

    /// `slot` was used now: it moves to the front of its list, joining it if it was out. When
    /// that makes the list longer than the capacity, the least recently used slot leaves it and
    /// is returned, for the cache to drop.
    #[inline]
    pub fn touch(&mut self, list: u32, slot: u32) -> Option<u32> {
        if self.lists[list as usize].head == slot {
            return None;
        }
        self.unlink(list, slot);
        self.push_front(list, slot);
        if self.lists[list as usize].len <= self.capacity {
            return None;
        }
        let last = self.lists[list as usize].tail;
        self.unlink(list, last);
        Some(last)
    }

    /// `slot` left its cache (a purge): it leaves the list.
    pub fn remove(&mut self, list: u32, slot: u32) {
        self.unlink(list, slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slots of a list, most recently used first.
    fn order(lru: &Lru, list: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = lru.lists[list as usize].head;
        while at != NONE {
            out.push(at);
            at = lru.links[lru.at(list, at)].next;
        }
        out
    }

    #[test]
    fn the_least_recently_used_slot_is_evicted() {
        let mut lru = Lru::new(2, 10, 3);
        assert_eq!(lru.touch(0, 1), None);
        assert_eq!(lru.touch(0, 2), None);
        assert_eq!(lru.touch(0, 3), None);
        assert_eq!(order(&lru, 0), vec![3, 2, 1]);
        // Using 1 again saves it; 2 is now the oldest.
        assert_eq!(lru.touch(0, 1), None);
        assert_eq!(lru.touch(0, 4), Some(2));
        assert_eq!(order(&lru, 0), vec![4, 1, 3]);
        assert!(!lru.contains(0, 2));
        // The other list is its own.
        assert_eq!(lru.touch(1, 2), None);
        assert_eq!(order(&lru, 1), vec![2]);
        assert_eq!(lru.len(0), 3);
    }

    #[test]
    fn a_removed_slot_leaves_room() {
        let mut lru = Lru::new(1, 10, 2);
        lru.touch(0, 5);
        lru.touch(0, 6);
        lru.remove(0, 5);
        lru.remove(0, 5);
        assert_eq!(order(&lru, 0), vec![6]);
        assert_eq!(lru.touch(0, 7), None);
        assert_eq!(lru.touch(0, 8), Some(6));
        assert_eq!(order(&lru, 0), vec![8, 7]);
        lru.remove(0, 8);
        lru.remove(0, 7);
        assert_eq!(order(&lru, 0), Vec::<u32>::new());
        assert_eq!(lru.touch(0, 9), None);
        assert_eq!(order(&lru, 0), vec![9]);
    }
}

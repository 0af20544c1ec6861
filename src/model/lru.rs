//! Least-recently-used order for caches that hold fewer pages than the site has: each cache
//! (a CDN PoP, or a Next.js instance's memory) keeps its pages in a doubly linked list, most recently used first, threaded through
//! flat arrays indexed like the cache's entries. Using a page moves it to the front; storing a page
//! into a full cache evicts from the back until the pages fit. A cache counts pages, or bytes
//! (each page weighing its size). Every operation is O(1) per page moved or evicted and allocates
//! nothing.
//!
//! This is the replacement policy CDNs describe for their edge caches: Cloudflare ("assets that
//! are not accessed frequently are evicted", least recently used first), Fastly ("least recently
//! used content is evicted"), and Varnish's `malloc` storage (an LRU list per storage); and
//! Next.js's in-memory cache (`server/lib/lru-cache.ts`, bounded by `cacheMaxMemorySize`).

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
    /// The weight of the slots in the list.
    used: u64,
}

/// The LRU order of `lists` caches of `slots` slots each, each holding at most `capacity` of
/// weight: a count of pages when every weight is 1, or bytes.
pub struct Lru {
    capacity: u64,
    slots: usize,
    /// Each slot's weight, the same in every list.
    weights: Vec<u32>,
    links: Vec<Link>,
    lists: Vec<List>,
}

impl Lru {
    /// `weights`: one a slot (a page's size), or empty for a weight of 1 each.
    pub fn new(lists: u32, slots: usize, capacity: u64, weights: Vec<u32>) -> Lru {
        Lru {
            capacity: capacity.max(1),
            weights,
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
                    used: 0
                };
                lists as usize
            ],
        }
    }

    #[inline]
    fn at(&self, list: u32, slot: u32) -> usize {
        list as usize * self.slots + slot as usize
    }

    /// Whether `slot` is in its list (held by that cache).
    #[inline]
    pub fn contains(&self, list: u32, slot: u32) -> bool {
        self.links[self.at(list, slot)].prev != OUT
    }

    #[inline]
    fn weight(&self, slot: u32) -> u64 {
        self.weights.get(slot as usize).map_or(1, |&w| u64::from(w))
    }

    #[cfg(test)]
    fn used(&self, list: u32) -> u64 {
        self.lists[list as usize].used
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
        self.lists[l].used -= self.weight(slot);
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
        self.lists[l].used += self.weight(slot);
    }

    /// `slot` was used now: it moves to the front of its list, joining it if it was out. While
    /// that makes the list weigh more than the capacity, the least recently used slot leaves it
    /// and is handed to `evict`, for the cache to drop (a slot heavier than the whole capacity
    /// does not stay either).
    #[inline]
    pub fn touch(&mut self, list: u32, slot: u32, mut evict: impl FnMut(u32)) {
        if self.lists[list as usize].head == slot {
            return;
        }
        self.unlink(list, slot);
        self.push_front(list, slot);
        while self.lists[list as usize].used > self.capacity {
            let last = self.lists[list as usize].tail;
            self.unlink(list, last);
            evict(last);
        }
    }

    /// `slot` left its cache (a purge): it leaves the list.
    pub fn remove(&mut self, list: u32, slot: u32) {
        self.unlink(list, slot);
    }

    /// Every slot leaves `list` (a restart empties the cache): O(slots in it).
    pub fn clear(&mut self, list: u32) {
        loop {
            let head = self.lists[list as usize].head;
            if head == NONE {
                break;
            }
            self.unlink(list, head);
        }
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

    /// `touch`, returning what it evicted.
    fn touch(lru: &mut Lru, list: u32, slot: u32) -> Vec<u32> {
        let mut evicted = Vec::new();
        lru.touch(list, slot, |s| evicted.push(s));
        evicted
    }

    #[test]
    fn the_least_recently_used_slot_is_evicted() {
        let mut lru = Lru::new(2, 10, 3, Vec::new());
        assert!(touch(&mut lru, 0, 1).is_empty());
        assert!(touch(&mut lru, 0, 2).is_empty());
        assert!(touch(&mut lru, 0, 3).is_empty());
        assert_eq!(order(&lru, 0), vec![3, 2, 1]);
        // Using 1 again saves it; 2 is now the oldest.
        assert!(touch(&mut lru, 0, 1).is_empty());
        assert_eq!(touch(&mut lru, 0, 4), vec![2]);
        assert_eq!(order(&lru, 0), vec![4, 1, 3]);
        assert!(!lru.contains(0, 2));
        // The other list is its own.
        assert!(touch(&mut lru, 1, 2).is_empty());
        assert_eq!(order(&lru, 1), vec![2]);
        assert_eq!(lru.used(0), 3);
    }

    #[test]
    fn a_removed_slot_leaves_room() {
        let mut lru = Lru::new(1, 10, 2, Vec::new());
        touch(&mut lru, 0, 5);
        touch(&mut lru, 0, 6);
        lru.remove(0, 5);
        lru.remove(0, 5);
        assert_eq!(order(&lru, 0), vec![6]);
        assert!(touch(&mut lru, 0, 7).is_empty());
        assert_eq!(touch(&mut lru, 0, 8), vec![6]);
        assert_eq!(order(&lru, 0), vec![8, 7]);
        lru.remove(0, 8);
        lru.remove(0, 7);
        assert_eq!(order(&lru, 0), Vec::<u32>::new());
        touch(&mut lru, 0, 1);
        touch(&mut lru, 0, 2);
        lru.clear(0);
        assert_eq!(order(&lru, 0), Vec::<u32>::new());
        assert!(!lru.contains(0, 1) && !lru.contains(0, 2));
        assert_eq!(lru.used(0), 0);
        assert!(touch(&mut lru, 0, 9).is_empty());
        assert_eq!(order(&lru, 0), vec![9]);
    }

    #[test]
    fn weighed_slots_evict_until_the_newest_fits() {
        // Slots 0..4 weigh 10, 20, 30, 40 and 200 bytes; the cache holds 60.
        let mut lru = Lru::new(1, 5, 60, vec![10, 20, 30, 40, 200]);
        touch(&mut lru, 0, 0);
        touch(&mut lru, 0, 1);
        touch(&mut lru, 0, 2);
        assert_eq!(lru.used(0), 60);
        // 40 more: the two oldest (10 and 20) are not enough, so 30 goes too.
        assert_eq!(touch(&mut lru, 0, 3), vec![0, 1, 2]);
        assert_eq!(order(&lru, 0), vec![3]);
        // A slot heavier than the whole cache does not stay, and takes the others with it.
        assert_eq!(touch(&mut lru, 0, 4), vec![3, 4]);
        assert_eq!(lru.used(0), 0);
    }
}

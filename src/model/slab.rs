//! A pool of records addressed by `u32` ids, reusing freed slots.
//!
//! Generations in flight, CDN fetches and waiting-list nodes come and go millions of times in a
//! run; the pool grows to the run's peak once and then allocates nothing.

use std::ops::{Index, IndexMut};

pub struct Slab<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `item` in a free slot, or a new one, and returns its id.
    pub fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.items[id as usize] = item;
                id
            }
            None => {
                self.items.push(item);
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Frees the slot of `id`; its record stays readable until the slot is reused.
    pub fn remove(&mut self, id: u32) {
        self.free.push(id);
    }

    /// Slots ever allocated (the pool's high-water mark).
    pub fn capacity(&self) -> usize {
        self.items.len()
    }
}

impl<T> Index<u32> for Slab<T> {
    type Output = T;
    fn index(&self, id: u32) -> &T {
        &self.items[id as usize]
    }
}

impl<T> IndexMut<u32> for Slab<T> {
    fn index_mut(&mut self, id: u32) -> &mut T {
        &mut self.items[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused() {
        let mut s = Slab::default();
        let a = s.insert('a');
        let b = s.insert('b');
        s.remove(a);
        let c = s.insert('c');
        assert_eq!(c, a);
        assert_eq!((s[b], s[c]), ('b', 'c'));
        assert_eq!(s.capacity(), 2);
    }
}

//! The backend (CMS or database) that every generation calls: a FIFO queue in front of
//! `concurrency` slots.
//!
//! This is the classic M/G/c station. Regeneration storms show up here as queue wait: Next.js
//! does no admission control of its own, so every triggered generation goes to the backend, and
//! what exceeds its capacity waits. A generation abandoned at its timeout while still queued
//! leaves the queue without ever running; one that times out while running keeps its slot until
//! the backend finishes the work, because a client giving up does not stop the server.

use std::collections::VecDeque;

pub struct Backend {
    concurrency: Option<u32>,
    running: u32,
    /// Generation ids in arrival order; abandoned ones are skipped when they reach the front.
    queue: VecDeque<u32>,
    /// Queued generations not abandoned.
    waiting: u32,
}

impl Backend {
    pub fn new(concurrency: Option<u32>) -> Backend {
        Backend {
            concurrency,
            running: 0,
            queue: VecDeque::new(),
            waiting: 0,
        }
    }

    /// Admits a generation; returns true when a slot was free and it starts now.
    pub fn admit(&mut self, generation: u32) -> bool {
        if self.concurrency.is_none_or(|c| self.running < c) {
            self.running += 1;
            true
        } else {
            self.queue.push_back(generation);
            self.waiting += 1;
            false
        }
    }

    /// A queued generation gave up; it will be skipped.
    pub fn abandon(&mut self) {
        self.waiting -= 1;
    }

    /// A slot is released. Returns the next live generation to start in it, if any; the ids of
    /// abandoned generations it passes over go to `skipped`.
    pub fn release(
        &mut self,
        is_live: impl Fn(u32) -> bool,
        skipped: &mut Vec<u32>,
    ) -> Option<u32> {
        self.running -= 1;
        while let Some(g) = self.queue.pop_front() {
            if is_live(g) {
                self.waiting -= 1;
                self.running += 1;
                return Some(g);
            }
            skipped.push(g);
        }
        None
    }

    pub fn waiting(&self) -> u64 {
        u64::from(self.waiting)
    }

    pub fn running(&self) -> u64 {
        u64::from(self.running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_fifo_behind_the_slots() {
        let mut b = Backend::new(Some(2));
        assert!(b.admit(0));
        assert!(b.admit(1));
        assert!(!b.admit(2));
        assert!(!b.admit(3));
        assert_eq!((b.running(), b.waiting()), (2, 2));
        let mut skipped = Vec::new();
        assert_eq!(b.release(|_| true, &mut skipped), Some(2));
        assert_eq!(b.release(|_| true, &mut skipped), Some(3));
        assert_eq!(b.release(|_| true, &mut skipped), None);
        assert_eq!((b.running(), b.waiting()), (1, 0));
    }

    #[test]
    fn abandoned_generations_are_skipped() {
        let mut b = Backend::new(Some(1));
        b.admit(0);
        b.admit(1);
        b.admit(2);
        b.abandon(); // generation 1 timed out in the queue
        let mut skipped = Vec::new();
        assert_eq!(b.release(|g| g != 1, &mut skipped), Some(2));
        assert_eq!(skipped, vec![1]);
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn unlimited_never_queues() {
        let mut b = Backend::new(None);
        assert!((0..1000).all(|g| b.admit(g)));
        assert_eq!(b.waiting(), 0);
    }
}

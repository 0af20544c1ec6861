//! The last build's pages: what an instance holds when it starts.
//!
//! `next build` renders every prerendered page and writes it to `.next/server`; an instance
//! starting from that output serves those files, aged from when they were written (the file
//! system cache takes an entry's `lastModified` from the file's `mtime`:
//! `packages/next/src/server/lib/incremental-cache/file-system-cache.ts`). A page that is not
//! prerendered (`fallback: 'blocking'`) has no file: the first request for it blocks.

use crate::ids::PageId;
use crate::time::SimTime;

const ABSENT: u32 = u32::MAX;

/// Each page's version in the build and when it was written.
#[derive(Clone, Debug)]
pub struct Build {
    versions: Vec<u32>,
    written: Vec<SimTime>,
    /// How much older than its recorded times the build is: the running build's age at t=0
    /// (`[origin] build_age`), zero for a build made during the run.
    age: SimTime,
}

impl Build {
    /// A build of `pages` pages, none of them prerendered yet, `age` older than the times it
    /// records.
    pub fn new(pages: usize, age: SimTime) -> Build {
        Build {
            versions: vec![ABSENT; pages],
            written: vec![SimTime::ZERO; pages],
            age,
        }
    }

    /// The build the instances start from at t=0, made `age` before it (`[origin] build_age`)
    /// and taking `spread` to render its pages (`build_spread`): its recorded times count from
    /// the build's start, so it is `age + spread` older than them.
    pub fn initial(pages: usize, age: SimTime, spread: SimTime) -> Build {
        Build::new(pages, age.saturating_add(spread))
    }

    /// When a build of length `spread` wrote the `i`-th of its `n` prerendered pages, counted
    /// from its start: evenly in page order, the last at its end (`spread * (i + 1) / n`). Page
    /// `i` is then `spread * (n - 1 - i) / n` older than the build's end (docs/model.md §6.8).
    pub fn spread_at(spread: SimTime, i: u64, n: u64) -> SimTime {
        if n == 0 {
            return spread;
        }
        let us = u128::from(spread.as_micros()) * u128::from(i + 1) / u128::from(n);
        SimTime::from_micros(us as u64)
    }

    /// Records that the build rendered `page` at `version`, written at `at`.
    pub fn record(&mut self, page: PageId, version: u32, at: SimTime) {
        self.versions[page.index()] = version;
        self.written[page.index()] = at;
    }

    /// The build's copy of `page`, if it was prerendered.
    #[inline]
    pub fn page(&self, page: PageId) -> Option<Prerendered> {
        let version = self.versions[page.index()];
        (version != ABSENT).then(|| Prerendered {
            version,
            written: self.written[page.index()],
            age: self.age,
        })
    }
}

/// One page as a build wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prerendered {
    pub version: u32,
    written: SimTime,
    age: SimTime,
}

impl Prerendered {
    /// The instant `d` after the build wrote it; the start of the run if that was before.
    pub fn after(&self, d: SimTime) -> SimTime {
        self.written.saturating_add(d).saturating_sub(self.age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_build_writes_its_pages_evenly_and_the_last_at_its_end() {
        let s = SimTime::from_secs;
        // Four pages over 40s, ending 100s before t=0: written at -130, -120, -110, -100.
        let mut b = Build::initial(4, s(100), s(40));
        for i in 0..4 {
            b.record(PageId(i), 0, Build::spread_at(s(40), u64::from(i), 4));
        }
        let after = |i: u32| b.page(PageId(i)).unwrap().after(s(300));
        assert_eq!(
            [after(0), after(1), after(2), after(3)],
            [170, 180, 190, 200].map(s)
        );
        // No spread: every page at the build's instant, as before.
        assert_eq!(Build::spread_at(SimTime::ZERO, 3, 4), SimTime::ZERO);
    }

    #[test]
    fn a_page_is_in_the_build_once_recorded() {
        let s = SimTime::from_secs;
        let mut b = Build::new(3, SimTime::ZERO);
        assert_eq!(b.page(PageId(1)), None);
        b.record(PageId(1), 4, s(7));
        let p = b.page(PageId(1)).unwrap();
        assert_eq!((p.version, p.after(s(10))), (4, s(17)));
        assert_eq!(b.page(PageId(2)), None);
    }

    #[test]
    fn an_old_build_is_older_than_its_recorded_times() {
        let s = SimTime::from_secs;
        let mut b = Build::new(1, s(600));
        b.record(PageId(0), 0, SimTime::ZERO);
        let p = b.page(PageId(0)).unwrap();
        assert_eq!(p.after(s(60)), SimTime::ZERO, "stale since before t=0");
        assert_eq!(p.after(s(900)), s(300));
        assert_eq!(
            p.after(SimTime::NEVER),
            SimTime::NEVER.saturating_sub(s(600))
        );
    }
}

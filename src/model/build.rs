//! The last build's pages: what an instance holds when it starts.
//!
//! `next build` renders every prerendered page and writes it to `.next/server`; an instance
//! starting from that output serves those files, aged from when they were written (the file
//! system cache takes an entry's `lastModified` from the file's `mtime`:
//! `packages/next/src/server/lib/incremental-cache/file-system-cache.ts`). A page that is not
//! prerendered (`fallback: 'blocking'`) has no file: the first request for it blocks.

use crate::time::SimTime;

const ABSENT: u32 = u32::MAX;

/// Each page's version in the build and when it was written.
#[derive(Clone, Debug)]
pub struct Build {
    versions: Vec<u32>,
    written: Vec<SimTime>,
}

impl Build {
    /// A build of `pages` pages, none of them prerendered yet.
    pub fn new(pages: usize) -> Build {
        Build {
            versions: vec![ABSENT; pages],
            written: vec![SimTime::ZERO; pages],
        }
    }

    /// Records that the build rendered `page` at `version`, written at `at`.
    pub fn record(&mut self, page: u32, version: u32, at: SimTime) {
        self.versions[page as usize] = version;
        self.written[page as usize] = at;
    }

    /// The build's copy of `page` (version, written at), if it was prerendered.
    #[inline]
    pub fn page(&self, page: u32) -> Option<(u32, SimTime)> {
        let v = self.versions[page as usize];
        (v != ABSENT).then(|| (v, self.written[page as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_in_the_build_once_recorded() {
        let mut b = Build::new(3);
        assert_eq!(b.page(1), None);
        b.record(1, 4, SimTime::from_secs(7));
        assert_eq!(b.page(1), Some((4, SimTime::from_secs(7))));
        assert_eq!(b.page(2), None);
    }
}

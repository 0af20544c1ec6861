//! A Next.js instance's bounded memory cache in front of its file-system cache (`[origin]
//! memory`, `disk`; docs/model.md §6.7).
//!
//! Next.js's default cache handler keeps an LRU in memory, `cacheMaxMemorySize` bytes (50 MB by
//! default, `packages/next/src/server/config-shared.ts`), each entry weighing its HTML and RSC or
//! JSON payload (`memory-cache.external.ts`, `getMemoryCache`). Release 16's
//! `packages/next/src/server/lib/incremental-cache/file-system-cache.ts` (15 is the same in these
//! respects):
//! - `get` (about lines 106-110) looks the key up in memory first, which makes it the most
//!   recently used;
//! - on a miss (about lines 120-154, "let's check the disk for seed data") it reads
//!   `<serverDistDir>/pages/<key>.html` or `app/<key>.html`, whatever `flushToDisk` says (only
//!   the fetch cache checks it), takes `lastModified` from the file's `mtime` (so the entry keeps
//!   its age), and puts it back in memory (about lines 288-290); a missing file returns `null`
//!   (lines 291-293), and the request renders, blocking;
//! - `set` (about lines 347-361) puts the entry in memory, then returns before writing any file
//!   unless `flushToDisk` (`experimental.isrFlushToDisk`, true by default).
//!
//! So with `disk = true` an evicted entry is still on disk, as last written; with `disk = false`
//! regenerations are never written, and what a miss reads is the build's file of a prerendered
//! page (as the build wrote it, aged from the build), or nothing for a page the build did not
//! prerender. The tags manifest (`tags-manifest.external.ts`, in memory per process) still holds
//! the on-demand actions since then: after a `revalidatePath` the build's file is older than the
//! tag's expiry and reads as absent; after `revalidateTag(tag, 'max')` it reads as stale.
//!
//! The build's files are on disk, not in memory, when an instance starts: Next.js creates the
//! memory cache empty, so each page's first lookup reads its file.
//!
//! The order is one `lru::Lru` list per instance, the pages' sizes as weights: O(1) per lookup,
//! no allocation.

use super::lru::Lru;
use crate::ids::{InstanceId, PageId};
use crate::time::SimTime;

const ABSENT: u32 = u32::MAX;

/// What a cache holds for a page: its version, until when it is fresh, and when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct File {
    pub version: u32,
    pub fresh_until: SimTime,
    pub expires_at: SimTime,
}

/// What a lookup finds of a page evicted from memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Left {
    /// The entry as last written, on disk.
    OnDisk,
    /// The build's file.
    Build(File),
    /// Nothing: no file, or one the tags manifest says is expired.
    Nothing,
}

/// What the on-demand actions since the build make of its file, on one instance.
const KEPT: u8 = 0;
/// `mark-stale`: the file reads as stale.
const MARKED: u8 = 1;
/// `invalidate`: the file reads as absent.
const DROPPED: u8 = 2;

pub struct Memory {
    lru: Lru,
    instances: u32,
    disk: bool,
    /// Without a disk: each page's file from the build (`ABSENT` if it was not prerendered).
    files: Vec<File>,
    /// Without a disk: `KEPT`, `MARKED` or `DROPPED` per (page, instance), page-major as the
    /// origin's entries.
    marks: Vec<u8>,
}

impl Memory {
    /// `capacity` bytes per instance; `sizes`: each page's size.
    pub fn new(instances: u32, capacity: u64, sizes: Vec<u32>, disk: bool) -> Memory {
        let pages = sizes.len();
        let (files, marks) = if disk {
            (Vec::new(), Vec::new())
        } else {
            let none = File {
                version: ABSENT,
                fresh_until: SimTime::ZERO,
                expires_at: SimTime::NEVER,
            };
            (vec![none; pages], vec![KEPT; pages * instances as usize])
        };
        Memory {
            lru: Lru::new(instances, pages, capacity, sizes),
            instances,
            disk,
            files,
            marks,
        }
    }

    #[inline]
    pub fn holds(&self, instance: InstanceId, page: PageId) -> bool {
        self.lru.contains(instance.0, page.0)
    }

    /// `page` is used on `instance` (read or written): it becomes the most recently used. Each
    /// page evicted to make room is handed to `forget` with what a lookup finds of it from then on.
    #[inline]
    pub fn touch(
        &mut self,
        instance: InstanceId,
        page: PageId,
        mut forget: impl FnMut(PageId, Left),
    ) {
        let Memory {
            lru,
            instances,
            disk,
            files,
            marks,
        } = self;
        lru.touch(instance.0, page.0, |evicted| {
            let evicted = PageId(evicted);
            if *disk {
                forget(evicted, Left::OnDisk);
            } else {
                let i = evicted.index() * *instances as usize + instance.index();
                forget(evicted, file(files[evicted.index()], marks[i]));
            }
        });
    }

    /// Records the build's file of `page` (what a miss falls back to without a disk); the page
    /// is not in memory on `instance`.
    pub fn write_build(&mut self, instance: InstanceId, page: PageId, written: Option<File>) {
        self.lru.remove(instance.0, page.0);
        if let Some(f) = self.files.get_mut(page.index()) {
            *f = written.unwrap_or(File {
                version: ABSENT,
                fresh_until: SimTime::ZERO,
                expires_at: SimTime::NEVER,
            });
        }
    }

    /// `revalidatePath` on `instance`: the build's file reads as absent from now on.
    pub fn drop_file(&mut self, instance: InstanceId, page: PageId) {
        self.mark(instance, page, DROPPED);
    }

    /// `revalidateTag(tag, 'max')` on `instance`: the build's file reads as stale from now on.
    pub fn mark_file(&mut self, instance: InstanceId, page: PageId) {
        self.mark(instance, page, MARKED);
    }

    fn mark(&mut self, instance: InstanceId, page: PageId, mark: u8) {
        let i = page.index() * self.instances as usize + instance.index();
        if let Some(m) = self.marks.get_mut(i) {
            *m = (*m).max(mark);
        }
    }

    /// A restart: `instance`'s memory is empty and its tags manifest forgotten.
    pub fn clear(&mut self, instance: InstanceId) {
        self.lru.clear(instance.0);
        let n = self.instances as usize;
        for m in self.marks.iter_mut().skip(instance.index()).step_by(n) {
            *m = KEPT;
        }
    }
}

/// The build's file as the tags manifest makes it read.
fn file(f: File, mark: u8) -> Left {
    match (f.version, mark) {
        (ABSENT, _) | (_, DROPPED) => Left::Nothing,
        (_, MARKED) => Left::Build(File {
            fresh_until: SimTime::ZERO,
            ..f
        }),
        _ => Left::Build(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(version: u32, fresh_until: u64) -> File {
        File {
            version,
            fresh_until: SimTime::from_secs(fresh_until),
            expires_at: SimTime::NEVER,
        }
    }

    /// `touch`, returning what it evicted and what each eviction leaves.
    fn touch(m: &mut Memory, instance: u32, page: u32) -> Vec<(u32, Left)> {
        let mut out = Vec::new();
        m.touch(InstanceId(instance), PageId(page), |p, left| {
            out.push((p.0, left))
        });
        out
    }

    #[test]
    fn with_a_disk_an_evicted_entry_stays_as_it_is() {
        let mut m = Memory::new(1, 20, vec![10, 10, 10], true);
        assert!(touch(&mut m, 0, 0).is_empty());
        assert!(touch(&mut m, 0, 1).is_empty());
        assert!(m.holds(InstanceId(0), PageId(0)) && m.holds(InstanceId(0), PageId(1)));
        assert_eq!(touch(&mut m, 0, 2), vec![(0, Left::OnDisk)]);
        assert!(!m.holds(InstanceId(0), PageId(0)));
    }

    #[test]
    fn without_a_disk_an_evicted_entry_falls_back_to_the_build_as_on_demand_actions_left_it() {
        let mut m = Memory::new(2, 10, vec![10, 10, 10], false);
        m.write_build(InstanceId(0), PageId(0), Some(at(0, 60)));
        m.write_build(InstanceId(0), PageId(1), Some(at(0, 60)));
        m.write_build(InstanceId(0), PageId(2), None);
        touch(&mut m, 0, 0);
        assert_eq!(touch(&mut m, 0, 1), vec![(0, Left::Build(at(0, 60)))]);
        assert_eq!(touch(&mut m, 0, 2), vec![(1, Left::Build(at(0, 60)))]);
        assert_eq!(touch(&mut m, 0, 0), vec![(2, Left::Nothing)]);
        m.mark_file(InstanceId(0), PageId(1));
        assert_eq!(touch(&mut m, 0, 1), vec![(0, Left::Build(at(0, 60)))]);
        assert_eq!(touch(&mut m, 0, 0), vec![(1, Left::Build(at(0, 0)))]);
        m.drop_file(InstanceId(0), PageId(0));
        m.mark_file(InstanceId(0), PageId(0));
        assert_eq!(touch(&mut m, 0, 1), vec![(0, Left::Nothing)]);
        // Marks are per instance, and a restart forgets them.
        touch(&mut m, 1, 0);
        assert_eq!(touch(&mut m, 1, 1), vec![(0, Left::Build(at(0, 60)))]);
        m.clear(InstanceId(0));
        assert!(!m.holds(InstanceId(0), PageId(1)));
        touch(&mut m, 0, 0);
        assert_eq!(touch(&mut m, 0, 1), vec![(0, Left::Build(at(0, 60)))]);
    }
}

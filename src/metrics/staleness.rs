//! Whether a response was stale, and by how much: the one judgement every driver makes.
//!
//! The simulator and the load tester both own the content: the simulator because it draws the
//! editors' edits, the load tester because it plays the CMS. So both know, for every page, which
//! version is current and when each version was replaced, and both judge a response the same way
//! (docs/model.md, "Metrics"):
//!
//! - a response is **stale** when the version it carries is older than the page's current
//!   version; its **stale age** is the time since the first edit it does not reflect;
//! - a fresh response has a stale age of zero, and a failed response (no version) has none;
//! - an edit becomes **visible** at the first response for its page that reflects it; the lag
//!   from the edit to that response is the edit-visible lag; an edit still unseen when the run
//!   ends is censored there (its lag is at least the end minus the edit);
//! - a response served stale by the CDN while an instance already held a newer version is the
//!   CDN being **behind the origin**.

use crate::ids::PageId;
use crate::time::SimTime;

/// The content's truth, as the judgement needs it. Versions count edits: version 0 is the build,
/// version `n` the page after its `n`-th edit.
pub trait Truth {
    /// The page's current version.
    fn current(&self, page: PageId) -> u32;
    /// When the first edit that `version` does not reflect was made, if `version` is behind.
    fn outdated_since(&self, page: PageId, version: u32) -> Option<SimTime>;
    /// Calls `f` with the time of each edit that made versions `after + 1 ..= upto`.
    fn for_each_edit(&self, page: PageId, after: u32, upto: u32, f: impl FnMut(SimTime));
}

/// The judgement of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub stale: bool,
    /// Zero when fresh; `None` when the response carried no page (it failed).
    pub stale_age: Option<SimTime>,
}

/// Judges a response for `page` that carried `version` (`None`: it failed) at `now`.
#[inline]
pub fn judge(truth: &impl Truth, page: PageId, version: Option<u32>, now: SimTime) -> Judgement {
    let Some(v) = version else {
        return Judgement {
            stale: false,
            stale_age: None,
        };
    };
    match truth.outdated_since(page, v) {
        Some(since) if v < truth.current(page) => Judgement {
            stale: true,
            stale_age: Some(now - since),
        },
        _ => Judgement {
            stale: false,
            stale_age: Some(SimTime::ZERO),
        },
    }
}

/// A stale response from the CDN while an instance held a newer version than it carried
/// (`origin_newest`: the newest version any instance has stored, if any has).
#[inline]
pub fn behind_origin(
    judgement: Judgement,
    from_cdn: bool,
    version: Option<u32>,
    origin_newest: Option<u32>,
) -> bool {
    from_cdn
        && judgement.stale
        && matches!((version, origin_newest), (Some(v), Some(newest)) if newest > v)
}

/// The monitor's rule (docs/model.md §10): a page whose newest stored version has been outdated
/// since `outdated` is past its alert at `now` when more than `alert_after` has gone by since its
/// last successful regeneration, counting only from the warm-up's end.
#[inline]
pub fn over_alert(
    last_success: SimTime,
    alert_after: SimTime,
    outdated: SimTime,
    warmup: SimTime,
    now: SimTime,
) -> bool {
    now > (last_success + alert_after).max(outdated).max(warmup)
}

/// The highest version users have been served, per page: what makes an edit visible.
#[derive(Clone, Debug)]
pub struct Visibility {
    seen: Vec<u32>,
}

impl Visibility {
    pub fn new(pages: usize) -> Visibility {
        Visibility {
            seen: vec![0; pages],
        }
    }

    /// A response for `page` carried `version`: calls `visible` with the time of each edit that
    /// this response makes visible for the first time.
    #[inline]
    pub fn served(
        &mut self,
        truth: &impl Truth,
        page: PageId,
        version: u32,
        mut visible: impl FnMut(SimTime),
    ) {
        let seen = &mut self.seen[page.index()];
        if *seen < version {
            truth.for_each_edit(page, *seen, version, &mut visible);
            *seen = version;
        }
    }

    /// At the run's end: calls `unseen` with the page and time of each edit that no response
    /// reflected, the censored ones.
    pub fn unseen(&self, truth: &impl Truth, mut unseen: impl FnMut(PageId, SimTime)) {
        for (p, &seen) in self.seen.iter().enumerate() {
            let page = PageId::at(p);
            let current = truth.current(page);
            if seen < current {
                truth.for_each_edit(page, seen, current, |t| unseen(page, t));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One page edited at 10 s and 30 s: version 0 until 10 s, 1 until 30 s, then 2.
    struct TwoEdits;

    impl Truth for TwoEdits {
        fn current(&self, _page: PageId) -> u32 {
            2
        }
        fn outdated_since(&self, _page: PageId, version: u32) -> Option<SimTime> {
            [
                Some(SimTime::from_secs(10)),
                Some(SimTime::from_secs(30)),
                None,
            ][version as usize]
        }
        fn for_each_edit(&self, _page: PageId, after: u32, upto: u32, mut f: impl FnMut(SimTime)) {
            for v in after + 1..=upto {
                f(SimTime::from_secs([0, 10, 30][v as usize]));
            }
        }
    }

    #[test]
    fn a_version_is_stale_from_the_first_edit_it_misses() {
        let now = SimTime::from_secs(45);
        let judge = |v| judge(&TwoEdits, PageId(0), v, now);
        assert_eq!(judge(Some(0)).stale_age, Some(SimTime::from_secs(35)));
        assert_eq!(judge(Some(1)).stale_age, Some(SimTime::from_secs(15)));
        assert!(judge(Some(1)).stale);
        assert_eq!(
            judge(Some(2)),
            Judgement {
                stale: false,
                stale_age: Some(SimTime::ZERO)
            }
        );
        assert_eq!(judge(None).stale_age, None);
    }

    #[test]
    fn behind_the_origin_only_when_the_cdn_served_stale_and_an_instance_had_newer() {
        let stale = judge(&TwoEdits, PageId(0), Some(0), SimTime::from_secs(45));
        assert!(behind_origin(stale, true, Some(0), Some(1)));
        assert!(!behind_origin(stale, false, Some(0), Some(1)));
        assert!(!behind_origin(stale, true, Some(0), Some(0)));
        assert!(!behind_origin(stale, true, Some(0), None));
    }

    #[test]
    fn each_edit_becomes_visible_once_at_the_first_response_reflecting_it() {
        let mut visibility = Visibility::new(1);
        let mut edits = Vec::new();
        visibility.served(&TwoEdits, PageId(0), 1, |t| edits.push(t.as_secs_f64()));
        visibility.served(&TwoEdits, PageId(0), 1, |t| edits.push(t.as_secs_f64()));
        visibility.served(&TwoEdits, PageId(0), 0, |t| edits.push(t.as_secs_f64()));
        assert_eq!(edits, [10.0]);
        visibility.served(&TwoEdits, PageId(0), 2, |t| edits.push(t.as_secs_f64()));
        assert_eq!(edits, [10.0, 30.0]);
    }

    #[test]
    fn the_edits_no_response_reflected_are_the_unseen_ones() {
        let mut visibility = Visibility::new(1);
        let mut unseen = Vec::new();
        visibility.unseen(&TwoEdits, |_, t| unseen.push(t.as_secs_f64()));
        assert_eq!(unseen, [10.0, 30.0]);
        visibility.served(&TwoEdits, PageId(0), 1, |_| {});
        unseen.clear();
        visibility.unseen(&TwoEdits, |_, t| unseen.push(t.as_secs_f64()));
        assert_eq!(unseen, [30.0]);
        visibility.served(&TwoEdits, PageId(0), 2, |_| {});
        unseen.clear();
        visibility.unseen(&TwoEdits, |_, t| unseen.push(t.as_secs_f64()));
        assert!(unseen.is_empty());
    }
}

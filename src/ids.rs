//! The identities that cross module boundaries: a page, a CDN PoP, an origin instance. Each is
//! its index in the flat arrays that hold per-page, per-PoP and per-instance state, so
//! `id.index()` is how a module reaches its own entry; the types only keep one kind of index
//! from being passed where another is meant. Where "none" is meant the API says `Option`.
//!
//! They sit below every layer, like `time::SimTime`: the workload hands them out (and re-exports
//! them), the simulator, the load tester and the metrics all speak of pages by them.

/// A page, by its global id: routes' pages are laid out one after another (`PageLayout`).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageId(pub u32);

/// A CDN PoP (point of presence), from 0; a site without a CDN has one, PoP 0.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PopId(pub u32);

/// A Next.js instance of the origin, from 0.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u32);

macro_rules! index {
    ($id:ident) => {
        impl $id {
            /// Its entry in a flat array of its kind.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of entry `i` of a flat array of its kind (a count checked when the scenario
            /// was resolved keeps every entry within `u32`).
            #[inline]
            pub fn at(i: usize) -> $id {
                $id(i as u32)
            }
        }

        impl std::fmt::Display for $id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index!(PageId);
index!(PopId);
index!(InstanceId);

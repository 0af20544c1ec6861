//! Asking the CPU to fetch memory we will need shortly.
//!
//! A large site's per-page state does not fit in cache, and each request touches a random page,
//! so the request path waits on memory. Requests are known in advance (they do not depend on the
//! model's state), so the simulation looks a few requests ahead and prefetches their entries while
//! it works on the current one.

/// Hints that `slice[index]` will be read soon. Out-of-range indices are ignored.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], index: usize) {
    if let Some(item) = slice.get(index) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: SSE is part of every x86_64 target, and a prefetch is only a hint: it
            // never faults and changes no program state; the address is a live element anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = item;
    }
}

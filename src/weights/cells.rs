//! The weight bytes inside one published table, read by many CPUs at once.
//!
//! The bytes sit in the crate's [`UnsafeCell`](crate::sync::UnsafeCell) so that, under loom,
//! every read is tracked: the model checker then reports a reader that touches a table before
//! its publication is visible, or after it has been freed (the `Drop` below writes to the bytes
//! under loom for that reason).
// Unsafe is allowed here only: reading the cell's bytes through its raw pointer. The bytes are
// written only while the cell is exclusively owned (construction, drop), so shared reads never
// race with a write.
#![allow(unsafe_code)]

use core::num::NonZeroU64;

use crate::interleave::small_eight;
#[cfg(doc)]
use crate::interleave::WeightSource;
use crate::sync::UnsafeCell;
use crate::MAX_NUMNODES;

// The index mask below relies on it.
const _: () = assert!(MAX_NUMNODES.is_power_of_two());

/// Keeps any index inside the array without a bounds check or a panic.
const INDEX_MASK: usize = MAX_NUMNODES - 1;

/// One weight per node, immutable once constructed.
///
/// Invariant: the bytes are written only by `new` and by `drop`, both of which own the cell
/// exclusively; every other access is a read.
pub(crate) struct Cells {
    bytes: UnsafeCell<[u8; MAX_NUMNODES]>,
    /// [`WeightSource::small_first_eight`] of the bytes, computed once by `new`.
    small_eight: Option<NonZeroU64>,
}

// SAFETY: shared access only ever reads the bytes (field invariant), and the bytes are plain
// `u8`s; the writes in `new` and `drop` happen while the cell is not shared.
unsafe impl Sync for Cells {}

impl Cells {
    /// Returns cells holding a copy of `weights`.
    pub(crate) fn new(weights: &[u8; MAX_NUMNODES]) -> Self {
        let cells = Self {
            bytes: UnsafeCell::new([0; MAX_NUMNODES]),
            small_eight: weights
                .first_chunk::<8>()
                .and_then(|eight| small_eight(u64::from_le_bytes(*eight))),
        };
        // Written through `with_mut` (not in `UnsafeCell::new`) so that loom records the
        // initialising write and checks that readers are ordered after it.
        // SAFETY: `cells` is a local value: nothing else can access the bytes yet.
        cells.bytes.with_mut(|bytes| unsafe { *bytes = *weights });
        cells
    }

    /// Returns the weight at `index` (taken modulo `MAX_NUMNODES`, which never changes a
    /// `NodeId` index).
    #[inline]
    #[allow(
        clippy::indexing_slicing,
        reason = "`index & INDEX_MASK < MAX_NUMNODES` because MAX_NUMNODES is a power of two \
                  (asserted above); the mask lets the compiler drop the bounds check on the \
                  hottest read"
    )]
    pub(crate) fn get(&self, index: usize) -> u8 {
        // SAFETY: (1) the pointer comes from a live cell borrowed for this call; (2) no write
        // can happen while `&self` is shared (field invariant); (3) the index is masked into
        // the array.
        self.bytes
            .with(|bytes| unsafe { (*bytes)[index & INDEX_MASK] })
    }

    /// Returns the weights of nodes `8 * chunk` to `8 * chunk + 7`, node `8 * chunk + i`'s in
    /// byte `i` (1 at or above `MAX_NUMNODES`).
    #[inline]
    pub(crate) fn eight_at(&self, chunk: usize) -> u64 {
        // SAFETY: as in `get`: a live, shared, never-written-while-shared array.
        self.bytes.with(|bytes| unsafe {
            match chunk.checked_mul(8).and_then(|start| (*bytes).get(start..)) {
                Some(rest) => match rest.first_chunk::<8>() {
                    Some(eight) => u64::from_le_bytes(*eight),
                    None => crate::interleave::eight_at_of(rest, 0),
                },
                None => 0x0101_0101_0101_0101,
            }
        })
    }

    /// Returns [`WeightSource::small_first_eight`] of the weights.
    #[inline]
    pub(crate) fn small_first_eight(&self) -> Option<NonZeroU64> {
        // Read as a use of the cell, so that loom checks its order against the table's
        // publication and reclamation like every byte read.
        self.bytes.with(|_| self.small_eight)
    }

    /// Copies every weight into `out`.
    #[inline]
    pub(crate) fn copy_to(&self, out: &mut [u8; MAX_NUMNODES]) {
        // SAFETY: as in `get`: a live, shared, never-written-while-shared array.
        self.bytes.with(|bytes| unsafe { *out = *bytes });
    }
}

#[cfg(loom)]
impl Drop for Cells {
    fn drop(&mut self) {
        // Under loom, a write at free time makes any read that is not ordered before the free
        // (a use after free) a reported data race.
        // Skipped while a loom failure unwinds (the bytes may be mid-read), which would
        // abort the test process instead of reporting the failure.
        if !std::thread::panicking() {
            // SAFETY: `&mut self`: the cell is exclusively owned.
            self.bytes
                .with_mut(|bytes| unsafe { *bytes = [0; MAX_NUMNODES] });
        }
    }
}

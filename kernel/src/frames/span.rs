//! [`Span`]: one contiguous range of free-able frames and its allocation bitmap.
//!
//! One bit per 4 KiB frame, set while the frame is in use. A block of order `k` is `2^k`
//! frames whose first frame number is a multiple of `2^k`, as Linux's buddy allocator hands
//! them out; the search is first fit from the lowest frame that may be free.

use crate::phys::PhysRange;
use alloc::vec;
use alloc::vec::Vec;

/// Bytes per frame.
pub const FRAME_SIZE: u64 = 4096;

/// A contiguous run of frames with a bitmap of the ones in use.
#[derive(Debug)]
pub struct Span {
    /// Frame number of the first frame.
    base: u64,
    /// Number of frames.
    frames: u64,
    /// Bit `i` set: frame `base + i` is in use. Bits at and past `frames` are always set, so
    /// no search can return them.
    used: Vec<u64>,
    /// Frames whose bit is clear.
    free: u64,
    /// Every frame below this index is in use.
    hint: u64,
}

impl Span {
    /// A span of all-free frames over `range`, whose ends must be frame-aligned.
    pub fn new(range: PhysRange) -> Self {
        let frames = range.len() / FRAME_SIZE;
        let words = frames.div_ceil(64) as usize;
        let mut used = vec![0u64; words];
        if !frames.is_multiple_of(64) {
            used[words - 1] = !0u64 << (frames % 64);
        }
        Span {
            base: range.start / FRAME_SIZE,
            frames,
            used,
            free: frames,
            hint: 0,
        }
    }

    /// The addresses the span covers.
    pub fn range(&self) -> PhysRange {
        PhysRange::sized(self.base * FRAME_SIZE, self.frames * FRAME_SIZE)
    }

    /// Frames not in use.
    pub fn free_frames(&self) -> u64 {
        self.free
    }

    /// All frames.
    pub fn total_frames(&self) -> u64 {
        self.frames
    }

    /// Takes a free, naturally aligned block of `2^order` frames; returns its address.
    pub fn alloc(&mut self, order: u32) -> Option<u64> {
        let n = 1u64 << order;
        if self.free < n {
            return None;
        }
        let mut from = self.hint;
        let mut first_try = true;
        loop {
            let free = self.next_free(from)?;
            let start = (self.base + free).next_multiple_of(n) - self.base;
            if start + n > self.frames {
                return None;
            }
            match self.last_used(start, n) {
                Some(busy) => from = busy + 1,
                None => {
                    self.set(start, n, true);
                    self.free -= n;
                    if first_try && start == free {
                        self.hint = start + n;
                    }
                    return Some((self.base + start) * FRAME_SIZE);
                }
            }
            first_try = false;
        }
    }

    /// Returns the block of `2^order` frames at `addr`. Refuses (returns `false`) a block that
    /// is not in this span, not aligned, or not entirely in use.
    pub fn free(&mut self, addr: u64, order: u32) -> bool {
        let n = 1u64 << order;
        let frame = addr / FRAME_SIZE;
        if !addr.is_multiple_of(FRAME_SIZE)
            || !frame.is_multiple_of(n)
            || frame < self.base
            || frame - self.base + n > self.frames
        {
            return false;
        }
        let start = frame - self.base;
        if (start..start + n).any(|i| !self.is_used(i)) {
            return false;
        }
        self.set(start, n, false);
        self.free += n;
        self.hint = self.hint.min(start);
        true
    }

    fn is_used(&self, i: u64) -> bool {
        self.used[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    /// The first free frame index at or after `from`.
    fn next_free(&self, from: u64) -> Option<u64> {
        let mut word = (from / 64) as usize;
        let mut bits = *self.used.get(word)? | ((1u64 << (from % 64)) - 1);
        while bits == !0 {
            word += 1;
            bits = *self.used.get(word)?;
        }
        Some(word as u64 * 64 + u64::from(bits.trailing_ones()))
    }

    /// The last frame in use among `[start, start + n)`.
    fn last_used(&self, start: u64, n: u64) -> Option<u64> {
        let mut i = start + n;
        while i > start {
            let word = (i - 1) / 64;
            let low = start.max(word * 64);
            let mask = range_mask(low - word * 64, i - low);
            let hits = self.used[word as usize] & mask;
            if hits != 0 {
                return Some(word * 64 + 63 - u64::from(hits.leading_zeros()));
            }
            i = low;
        }
        None
    }

    fn set(&mut self, start: u64, n: u64, used: bool) {
        let mut i = start;
        while i < start + n {
            let word = i / 64;
            let count = (start + n - i).min(64 - i % 64);
            let mask = range_mask(i % 64, count);
            let slot = &mut self.used[word as usize];
            *slot = if used { *slot | mask } else { *slot & !mask };
            i += count;
        }
    }
}

/// `count` set bits starting at bit `shift` (`shift + count <= 64`).
fn range_mask(shift: u64, count: u64) -> u64 {
    let ones = if count >= 64 { !0 } else { (1u64 << count) - 1 };
    ones << shift
}

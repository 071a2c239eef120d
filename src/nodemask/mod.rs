//! Node numbers and fixed-width node sets (Linux: `nodemask_t`, `include/linux/nodemask.h`).
//!
//! [`NodeMask`] is a plain array of 64-bit words sized at build time by [`MAX_NUMNODES`]
//! (64 by default, 1024 with the `nodes-1024` feature). It never allocates, every operation
//! works a word at a time, and all constructors are `const fn`, so a mask can live in a
//! `static`. Bits at or above [`MAX_NUMNODES`] are always zero.
//!
//! Besides the set algebra, the module has the kernel's remapping trio ([`NodeMask::fold`],
//! [`NodeMask::onto`], [`NodeMask::remap`], from `lib/bitmap.c`), the nodelist text format
//! (`bitmap_parselist` and `%*pbl`, in `text.rs`) and the user ABI of the memory-policy
//! syscalls (`get_nodes` and `copy_nodes_to_user`, in `user.rs`).

mod bits;
mod remap;
mod text;
mod user;

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub};

use crate::error::{Error, Result};

/// The number of nodes a [`NodeMask`] can hold (Linux: `MAX_NUMNODES`).
///
/// 64 by default; 1024 (what distribution kernels build with) with the `nodes-1024` feature.
#[cfg(not(feature = "nodes-1024"))]
pub const MAX_NUMNODES: usize = 64;
/// The number of nodes a [`NodeMask`] can hold (Linux: `MAX_NUMNODES`).
///
/// 64 by default; 1024 (what distribution kernels build with) with the `nodes-1024` feature.
#[cfg(feature = "nodes-1024")]
pub const MAX_NUMNODES: usize = 1024;

/// Bits per mask word.
const WORD_BITS: usize = u64::BITS as usize;
/// Words in a mask.
pub(crate) const WORDS: usize = MAX_NUMNODES.div_ceil(WORD_BITS);
// `Cycle` wraps word indices with a mask.
const _: () = assert!(WORDS.is_power_of_two());

/// A NUMA node number, always below [`MAX_NUMNODES`] (Linux: `int nid`).
///
/// Linux uses `NUMA_NO_NODE` (-1) and `MAX_NUMNODES` as "no node"; this crate uses
/// `Option<NodeId>` instead.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeId(u16);

impl NodeId {
    /// The highest node number, `MAX_NUMNODES - 1` (where Linux starts the interleave cursor).
    pub const MAX: NodeId = NodeId((MAX_NUMNODES - 1) as u16);

    /// Returns the id for `raw`.
    ///
    /// # Panics
    /// If `raw >= MAX_NUMNODES`; use [`NodeId::try_new`] for untrusted input. The library
    /// itself calls it only with constants.
    #[allow(
        clippy::panic,
        reason = "the documented panic of the const constructor (for constants and statics); \
                  library code never passes it a run-time value"
    )]
    #[inline]
    pub const fn new(raw: usize) -> Self {
        match Self::try_new(raw as u64) {
            Ok(id) => id,
            Err(_) => panic!("node number out of range"),
        }
    }

    /// Returns the id for `raw`, or [`Error::InvalidNode`] if no mask can hold it.
    ///
    /// # Errors
    /// [`Error::InvalidNode`] when `raw >= MAX_NUMNODES`.
    #[inline]
    pub const fn try_new(raw: u64) -> Result<Self> {
        if raw < MAX_NUMNODES as u64 {
            Ok(Self(raw as u16))
        } else {
            Err(Error::InvalidNode(raw))
        }
    }

    /// Returns the id of bit `bit` (below 64) of the first mask word.
    #[inline]
    pub(crate) const fn of_first_word(bit: u32) -> Self {
        Self((bit & 63) as u16)
    }

    /// Returns the node's index into per-node arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Returns the node number as `u32`.
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0 as u32
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N{}", self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u32> for NodeId {
    type Error = Error;

    #[inline]
    fn try_from(raw: u32) -> Result<Self> {
        Self::try_new(u64::from(raw))
    }
}

impl TryFrom<usize> for NodeId {
    type Error = Error;

    #[inline]
    fn try_from(raw: usize) -> Result<Self> {
        Self::try_new(raw as u64)
    }
}

impl From<NodeId> for usize {
    #[inline]
    fn from(node: NodeId) -> usize {
        node.index()
    }
}

/// A fixed-width set of nodes (Linux: `nodemask_t`).
///
/// Bits at or above [`MAX_NUMNODES`] are always zero; every method keeps them so.
///
/// # Examples
/// ```
/// use mempolicy::{NodeId, NodeMask};
/// let mask: NodeMask = "0-2,5".parse()?;
/// assert_eq!(mask.weight(), 4);
/// assert_eq!(mask.next_in(NodeId::new(5)), Some(NodeId::new(0)));
/// assert_eq!(mask.to_string(), "0-2,5");
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NodeMask {
    /// Invariant: bits at or above `MAX_NUMNODES` are zero.
    words: [u64; WORDS],
}

impl NodeMask {
    /// A mask with no nodes (Linux: `NODE_MASK_NONE`).
    pub const EMPTY: NodeMask = NodeMask::new();

    /// Returns a mask with no nodes (Linux: `NODE_MASK_NONE`).
    #[inline]
    pub const fn new() -> Self {
        Self { words: [0; WORDS] }
    }

    /// Returns a mask holding only `node` (Linux: `nodemask_of_node`).
    #[inline]
    pub const fn from_node(node: NodeId) -> Self {
        let mut mask = Self::new();
        mask.insert(node);
        mask
    }

    /// Returns the mask of nodes `0..count` (Linux: `NODE_MASK_ALL` when
    /// `count == MAX_NUMNODES`); `count` is clamped to [`MAX_NUMNODES`].
    #[inline]
    pub const fn first_n(count: usize) -> Self {
        let count = if count > MAX_NUMNODES {
            MAX_NUMNODES
        } else {
            count
        };
        let mut mask = Self::new();
        let mut i = 0;
        while i < WORDS {
            let lo = i * WORD_BITS;
            if count >= lo + WORD_BITS {
                mask.set_word(i, u64::MAX);
            } else if count > lo {
                mask.set_word(i, (1u64 << (count - lo)) - 1);
            }
            i += 1;
        }
        mask
    }

    /// Returns the mask of every node below [`MAX_NUMNODES`] (Linux: `NODE_MASK_ALL`).
    #[inline]
    pub const fn full() -> Self {
        Self::first_n(MAX_NUMNODES)
    }

    /// Returns the mask whose lowest 64 nodes are the bits of `bits`.
    #[inline]
    pub const fn from_u64(bits: u64) -> Self {
        let mut mask = Self::new();
        mask.words[0] = bits & Self::word_limit(0);
        mask
    }

    /// Returns the mask whose words are `words` (word 0 holds nodes 0-63); bits beyond
    /// [`MAX_NUMNODES`] are dropped.
    #[inline]
    pub const fn from_words(words: [u64; WORDS]) -> Self {
        let mut mask = Self { words };
        mask.clear_tail();
        mask
    }

    /// Returns the underlying words (word 0 holds nodes 0-63).
    #[inline]
    pub const fn as_words(&self) -> &[u64; WORDS] {
        &self.words
    }

    /// Returns word `i`, or 0 past the last word (every caller keeps `i < WORDS`).
    #[inline]
    const fn word(&self, i: usize) -> u64 {
        match self.words.split_at_checked(i) {
            Some((_, [word, ..])) => *word,
            _ => 0,
        }
    }

    /// Stores word `i`; does nothing past the last word (every caller keeps `i < WORDS`).
    /// Callers keep the tail invariant themselves.
    #[inline]
    const fn set_word(&mut self, i: usize, value: u64) {
        if let Some((_, [word, ..])) = self.words.split_at_mut_checked(i) {
            *word = value;
        }
    }

    /// The valid bits of word `i`.
    #[inline]
    const fn word_limit(i: usize) -> u64 {
        let lo = i * WORD_BITS;
        if MAX_NUMNODES >= lo + WORD_BITS {
            u64::MAX
        } else if MAX_NUMNODES > lo {
            (1u64 << (MAX_NUMNODES - lo)) - 1
        } else {
            0
        }
    }

    /// Clears every bit at or above `MAX_NUMNODES` (restores the invariant).
    #[inline]
    const fn clear_tail(&mut self) {
        let mut i = 0;
        while i < WORDS {
            self.set_word(i, self.word(i) & Self::word_limit(i));
            i += 1;
        }
    }

    /// Adds `node` (Linux: `node_set`).
    #[inline]
    pub const fn insert(&mut self, node: NodeId) {
        let i = node.index() / WORD_BITS;
        self.set_word(i, self.word(i) | 1 << (node.index() % WORD_BITS));
    }

    /// Removes `node` (Linux: `node_clear`).
    #[inline]
    pub const fn remove(&mut self, node: NodeId) {
        let i = node.index() / WORD_BITS;
        self.set_word(i, self.word(i) & !(1 << (node.index() % WORD_BITS)));
    }

    /// Returns the mask with `node` added.
    #[must_use]
    #[inline]
    pub const fn with(mut self, node: NodeId) -> Self {
        self.insert(node);
        self
    }

    /// Returns whether `node` is in the mask (Linux: `node_isset`).
    #[inline]
    pub const fn contains(&self, node: NodeId) -> bool {
        self.word(node.index() / WORD_BITS) & (1 << (node.index() % WORD_BITS)) != 0
    }

    /// Returns whether the raw node number `raw` is in the mask; numbers at or beyond
    /// [`MAX_NUMNODES`] are never in it.
    #[inline]
    pub const fn contains_raw(&self, raw: u64) -> bool {
        match NodeId::try_new(raw) {
            Ok(node) => self.contains(node),
            Err(_) => false,
        }
    }

    /// Returns whether the mask has no nodes (Linux: `nodes_empty`).
    #[inline]
    pub const fn is_empty(&self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.word(i) != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Returns the number of nodes in the mask (Linux: `nodes_weight`).
    #[inline]
    pub const fn weight(&self) -> usize {
        let mut total = 0;
        let mut i = 0;
        while i < WORDS {
            total += count_word(self.word(i));
            i += 1;
        }
        total
    }

    /// Returns the lowest node (Linux: `first_node`, which returns `MAX_NUMNODES` for none).
    #[inline]
    pub const fn first(&self) -> Option<NodeId> {
        self.next_from(0)
    }

    /// Returns the highest node (Linux: `last_node`).
    #[inline]
    pub const fn last(&self) -> Option<NodeId> {
        let mut i = WORDS;
        while i > 0 {
            i -= 1;
            let w = self.word(i);
            if w != 0 {
                return Some(NodeId(
                    (i * WORD_BITS + 63 - w.leading_zeros() as usize) as u16,
                ));
            }
        }
        None
    }

    /// Returns the lowest node numbered `start` or above.
    #[inline]
    pub const fn next_from(&self, start: usize) -> Option<NodeId> {
        if start >= MAX_NUMNODES {
            return None;
        }
        let mut i = start / WORD_BITS;
        let mut w = self.word(i) & (u64::MAX << (start % WORD_BITS));
        loop {
            if w != 0 {
                return Some(Self::node_of(i, w));
            }
            i += 1;
            if i >= WORDS {
                return None;
            }
            w = self.word(i);
        }
    }

    /// Returns the lowest node above `node` (Linux: `next_node`).
    #[inline]
    pub const fn next(&self, node: NodeId) -> Option<NodeId> {
        self.next_from(node.index() + 1)
    }

    /// Returns the next node after `node`, wrapping around to the first node (Linux:
    /// `next_node_in`); `None` only when the mask is empty.
    ///
    /// `node` itself is returned when it is the only node of the mask.
    ///
    /// The word of `node`, then the next word, answer most calls; a mask whose nodes are all
    /// below 64 (a small machine in a large build) wraps around after one branch-free check of
    /// the other words, without walking them.
    #[inline]
    pub const fn next_in(&self, node: NodeId) -> Option<NodeId> {
        let start = node.index() + 1;
        // (Below `MAX_NUMNODES`, the word of `start`; with one word, the first.)
        let i = if WORDS == 1 { 0 } else { start / WORD_BITS };
        if start < MAX_NUMNODES {
            let w = self.word(i) & (u64::MAX << (start % WORD_BITS));
            if w != 0 {
                return Some(Self::node_of(i, w));
            }
            if i + 1 < WORDS {
                let w = self.word(i + 1);
                if w != 0 {
                    return Some(Self::node_of(i + 1, w));
                }
            }
        }
        if WORDS == 1 {
            // Around, within the one word.
            return self.first();
        }
        self.next_in_beyond(start)
    }

    /// [`NodeMask::next_in`] from node `start` on (`MAX_NUMNODES` or above: around) when
    /// neither the word of `start` nor the next one answers.
    #[inline(never)]
    const fn next_in_beyond(&self, start: usize) -> Option<NodeId> {
        if WORDS > 1 {
            if let Some(first) = self.only_first_word() {
                // Nothing beyond the first word: around to its lowest node.
                return if first == 0 {
                    None
                } else {
                    Some(Self::node_of(0, first))
                };
            }
        }
        self.next_in_far(start)
    }

    /// [`NodeMask::next_in_beyond`] for a mask with nodes beyond the first word. Out of line:
    /// the check above then needs no register for any word it reads (each is one `or` from
    /// memory), where sharing the loads with this walk kept all of them live and spilled them.
    #[inline(never)]
    const fn next_in_far(&self, start: usize) -> Option<NodeId> {
        match self.next_from(start) {
            Some(next) => Some(next),
            None => self.first(),
        }
    }

    /// The node of the lowest set bit of word `i`, whose value is `w` (not 0).
    #[inline(always)]
    const fn node_of(i: usize, w: u64) -> NodeId {
        // `i < WORDS` and the bit is below 64, so the number is below `MAX_NUMNODES`.
        NodeId((i * WORD_BITS + w.trailing_zeros() as usize) as u16)
    }

    /// Returns the `n`-th node of the mask, counting from 0 (Linux: `find_nth_bit`).
    ///
    /// Word at a time: one pass counts the nodes of every word (a loop without branches, which
    /// the compiler runs on vector registers where the target has them), a walk over those
    /// counts finds the word, and the node is found inside its word without walking its bits
    /// one by one.
    #[inline]
    pub const fn nth(&self, n: usize) -> Option<NodeId> {
        let counts = self.word_counts();
        let mut n = n;
        let mut i = 0;
        while i < WORDS {
            let ones = match counts.split_at_checked(i) {
                Some((_, [count, ..])) => *count as usize,
                _ => 0,
            };
            if n < ones {
                return Some(Self::node_in_word(i, self.word(i), n as u32));
            }
            n -= ones;
            i += 1;
        }
        None
    }

    /// The number of nodes in each word (at most 64 each).
    #[inline]
    const fn word_counts(&self) -> [u8; WORDS] {
        let mut counts = [0u8; WORDS];
        let mut i = 0;
        while i < WORDS {
            if let Some((_, [count, ..])) = counts.split_at_mut_checked(i) {
                *count = self.word(i).count_ones() as u8;
            }
            i += 1;
        }
        counts
    }

    /// Returns node number `ilx % weight` of the mask, counting from 0, or `None` for an empty
    /// mask (Linux: `interleave_nid`'s `nodes_weight`, modulo and `find_nth_bit`).
    ///
    /// When every node is below 64 (every mask of a machine with at most 64 nodes, whatever
    /// `MAX_NUMNODES`), one branch-free check of the other words leads to a pick inside the
    /// first word; below 8, one table load gives both the count and the select. Otherwise one
    /// pass counts the nodes of each word and a walk over those counts finds the word. The
    /// remainder avoids a division where it can (see [`remainder`]).
    #[inline]
    pub(crate) fn nth_wrapping(&self, ilx: u64) -> Option<NodeId> {
        if let Some(first) = self.only_first_word() {
            if first <= 0xff {
                return Self::nth_wrapping_in_byte(first, ilx);
            }
            // Without `popcnt`, the byte counts of the software count serve the search too.
            let running = bits::running_counts(first);
            let n = remainder(ilx, (running >> 56) as u32);
            let bit = if n < 2 {
                bits::select_low(first, n)
            } else {
                bits::select_with_running(first, running, n)
            };
            return Some(NodeId(bit as u16));
        }
        self.nth_wrapping_wide(ilx)
    }

    /// Returns the mask as a byte when it is not empty and every node is below 8 (the masks of
    /// most machines).
    #[inline(always)]
    pub(crate) const fn low_byte(&self) -> Option<u64> {
        match self.only_first_word() {
            // One comparison for both: 1..=0xff.
            Some(first) if first.wrapping_sub(1) < 0xff => Some(first),
            _ => None,
        }
    }

    /// [`NodeMask::nth_wrapping`] of the mask whose nodes are the bits of `byte` (below 256):
    /// one table load gives both the count and the select.
    #[inline(always)]
    pub(crate) const fn nth_wrapping_in_byte(byte: u64, ilx: u64) -> Option<NodeId> {
        let entry = match bits::BYTE_NODES.split_at_checked((byte & 0xff) as usize) {
            Some((_, [entry, ..])) => *entry,
            _ => 0,
        };
        let count = bits::byte_count(entry);
        if count == 0 {
            return None;
        }
        let n = remainder(ilx, count);
        Some(NodeId(bits::byte_select(entry, n) as u16))
    }

    /// [`NodeMask::nth_wrapping`] of the non-empty mask whose nodes are the bits of `byte`, as
    /// [`NodeMask::low_byte`] gives it: the count cannot be 0, so there is no check for it
    /// (a `byte` of 0 would give node 0).
    #[inline(always)]
    pub(crate) const fn nth_wrapping_in_low_byte(byte: u64, ilx: u64) -> NodeId {
        let entry = match bits::BYTE_NODES.split_at_checked((byte & 0xff) as usize) {
            Some((_, [entry, ..])) => *entry,
            _ => 0,
        };
        let n = remainder(ilx, bits::byte_count(entry));
        NodeId(bits::byte_select(entry, n) as u16)
    }

    /// Returns the first word when no node is at or above 64 (every mask of a machine with at
    /// most 64 nodes, whatever `MAX_NUMNODES`): one branch-free pass over the other words.
    #[inline]
    pub(crate) const fn only_first_word(&self) -> Option<u64> {
        let mut others = 0;
        let mut i = 1;
        while i < WORDS {
            others |= self.word(i);
            i += 1;
        }
        if others == 0 {
            Some(self.word(0))
        } else {
            None
        }
    }

    /// [`NodeMask::nth_wrapping`] for masks with nodes beyond the first word.
    #[inline(never)]
    fn nth_wrapping_wide(&self, ilx: u64) -> Option<NodeId> {
        let counts = self.word_counts();
        let mut total = 0u32;
        for &count in &counts {
            total += u32::from(count);
        }
        if total == 0 {
            return None;
        }
        let mut n = remainder(ilx, total);
        for (i, (&count, &w)) in counts.iter().zip(&self.words).enumerate() {
            let count = u32::from(count);
            if n < count {
                return Some(Self::node_in_word(i, w, n));
            }
            n -= count;
        }
        None
    }

    /// The node of the `n`-th set bit of word `i`, whose value is `w` (`n` below its bit count).
    #[inline]
    const fn node_in_word(i: usize, w: u64, n: u32) -> NodeId {
        // `i < WORDS` and the bit is below 64, so the number is below `MAX_NUMNODES`.
        NodeId((i * WORD_BITS + bits::select_in_word(w, n) as usize) as u16)
    }

    /// Returns the position of `node` among the nodes of the mask, counting from 0, or
    /// `None` if it is not in the mask (Linux: `bitmap_pos_to_ord`).
    #[inline]
    pub const fn position(&self, node: NodeId) -> Option<usize> {
        if !self.contains(node) {
            return None;
        }
        let word = node.index() / WORD_BITS;
        let mut count = 0;
        let mut i = 0;
        while i < word {
            count += self.word(i).count_ones() as usize;
            i += 1;
        }
        let below = self.word(word) & ((1u64 << (node.index() % WORD_BITS)) - 1);
        Some(count + below.count_ones() as usize)
    }

    /// Returns an iterator over the nodes in ascending order (Linux: `for_each_node_mask`).
    #[inline]
    pub const fn iter(&self) -> Iter {
        Iter {
            words: self.words,
            word: 0,
        }
    }

    /// Returns an iterator over the nodes in ascending order that reads the mask in place
    /// (unlike [`NodeMask::iter`], which copies it: a whole kilobyte at 1024 nodes).
    #[inline]
    pub(crate) const fn nodes(&self) -> Nodes<'_> {
        Nodes {
            words: &self.words,
            word: 0,
            bits: self.word(0),
        }
    }

    /// Returns the nodes in both masks (Linux: `nodes_and`).
    #[must_use]
    #[inline]
    pub const fn and(&self, other: &Self) -> Self {
        let mut out = *self;
        let mut i = 0;
        while i < WORDS {
            out.set_word(i, out.word(i) & other.word(i));
            i += 1;
        }
        out
    }

    /// Returns the nodes in either mask (Linux: `nodes_or`).
    #[must_use]
    #[inline]
    pub const fn or(&self, other: &Self) -> Self {
        let mut out = *self;
        let mut i = 0;
        while i < WORDS {
            out.set_word(i, out.word(i) | other.word(i));
            i += 1;
        }
        out
    }

    /// Returns the nodes in `self` but not in `other` (Linux: `nodes_andnot`).
    #[must_use]
    #[inline]
    pub const fn and_not(&self, other: &Self) -> Self {
        let mut out = *self;
        let mut i = 0;
        while i < WORDS {
            out.set_word(i, out.word(i) & !other.word(i));
            i += 1;
        }
        out
    }

    /// Returns the nodes in exactly one of the masks (Linux: `nodes_xor`).
    #[must_use]
    #[inline]
    pub const fn xor(&self, other: &Self) -> Self {
        let mut out = *self;
        let mut i = 0;
        while i < WORDS {
            out.set_word(i, out.word(i) ^ other.word(i));
            i += 1;
        }
        out
    }

    /// Returns the nodes below `bound` that are not in the mask (Linux: `nodes_complement`
    /// with `bound == MAX_NUMNODES`, or `bitmap_complement` over `nr_node_ids` bits).
    #[must_use]
    #[inline]
    pub const fn complement(&self, bound: usize) -> Self {
        Self::first_n(bound).and_not(self)
    }

    /// Returns whether every node of `self` is in `other` (Linux: `nodes_subset`).
    #[inline]
    pub const fn is_subset(&self, other: &Self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.word(i) & !other.word(i) != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Returns whether the masks share a node (Linux: `nodes_intersects`).
    #[inline]
    pub const fn intersects(&self, other: &Self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.word(i) & other.word(i) != 0 {
                return true;
            }
            i += 1;
        }
        false
    }
}

/// The nodes in one word: `popcnt` where the target has it; otherwise the software count,
/// skipped for empty words (most words of a large mask on a small machine).
#[inline]
const fn count_word(w: u64) -> usize {
    if cfg!(target_feature = "popcnt") || w != 0 {
        w.count_ones() as usize
    } else {
        0
    }
}

/// Divisors below this have a precomputed reciprocal in [`RECIPROCAL`].
const RECIPROCALS: usize = 256;

/// `RECIPROCAL[d]` is `2^64 / d` rounded up, modulo `2^64` (so 0 for `d = 1`); entry 0 is
/// unused. With it, `a % d` of a 32-bit `a` is two multiplications (Lemire, Kaser and Kurz,
/// "Faster remainder by direct computation", 2019): exact for every 32-bit `a` and every `d`
/// below 2^32.
const RECIPROCAL: [u64; RECIPROCALS] = {
    let mut table = [0u64; RECIPROCALS];
    let mut d = 1;
    while d < RECIPROCALS {
        if let Some((_, [slot, ..])) = table.split_at_mut_checked(d) {
            *slot = (u64::MAX / d as u64).wrapping_add(1);
        }
        d += 1;
    }
    table
};

/// `ilx % count` for `count > 0`, without a division when `ilx` fits 32 bits and `count` is
/// below 256 (node counts and the weight totals of small masks: a division costs tens of
/// cycles on many x86-64 cores, the two multiplications a few); a 32-bit division for larger
/// counts, a 64-bit one only for indices beyond 32 bits.
#[inline(always)]
pub(crate) const fn remainder(ilx: u64, count: u32) -> u32 {
    if ilx <= u32::MAX as u64 {
        match RECIPROCAL.split_at_checked(count as usize) {
            // (For a `count` of 0 the unused entry 0 gives 0.)
            Some((_, [reciprocal, ..])) => {
                let low = reciprocal.wrapping_mul(ilx);
                // Below `count`, so it fits.
                ((low as u128 * count as u128) >> 64) as u32
            }
            _ => ilx as u32 % count,
        }
    } else {
        // Below `count`, so it fits.
        (ilx % count as u64) as u32
    }
}

impl fmt::Debug for NodeMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeMask({self})")
    }
}

impl BitAnd for NodeMask {
    type Output = NodeMask;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        self.and(&rhs)
    }
}

impl BitAndAssign for NodeMask {
    #[inline]
    fn bitand_assign(&mut self, rhs: Self) {
        *self = self.and(&rhs);
    }
}

impl BitOr for NodeMask {
    type Output = NodeMask;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        self.or(&rhs)
    }
}

impl BitOrAssign for NodeMask {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.or(&rhs);
    }
}

impl Sub for NodeMask {
    type Output = NodeMask;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        self.and_not(&rhs)
    }
}

impl Not for NodeMask {
    type Output = NodeMask;
    /// The complement within [`MAX_NUMNODES`] (Linux: `nodes_complement`).
    #[inline]
    fn not(self) -> Self {
        self.complement(MAX_NUMNODES)
    }
}

impl FromIterator<NodeId> for NodeMask {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> Self {
        let mut mask = Self::new();
        for node in iter {
            mask.insert(node);
        }
        mask
    }
}

impl Extend<NodeId> for NodeMask {
    fn extend<I: IntoIterator<Item = NodeId>>(&mut self, iter: I) {
        for node in iter {
            self.insert(node);
        }
    }
}

impl From<NodeId> for NodeMask {
    #[inline]
    fn from(node: NodeId) -> Self {
        Self::from_node(node)
    }
}

impl IntoIterator for &NodeMask {
    type Item = NodeId;
    type IntoIter = Iter;
    #[inline]
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl IntoIterator for NodeMask {
    type Item = NodeId;
    type IntoIter = Iter;
    #[inline]
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// An iterator over the nodes of a [`NodeMask`], in ascending order, word at a time.
#[derive(Clone, Debug)]
pub struct Iter {
    /// A copy of the mask; bits already returned are cleared.
    words: [u64; WORDS],
    /// The lowest word that may still hold bits.
    word: usize,
}

impl Iterator for Iter {
    type Item = NodeId;

    #[inline]
    fn next(&mut self) -> Option<NodeId> {
        while let Some(slot) = self.words.get_mut(self.word) {
            let w = *slot;
            if w != 0 {
                *slot = w & (w - 1);
                return Some(NodeId(
                    (self.word * WORD_BITS + w.trailing_zeros() as usize) as u16,
                ));
            }
            self.word += 1;
        }
        None
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest: usize = self
            .words
            .get(self.word..)
            .unwrap_or_default()
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum();
        (rest, Some(rest))
    }
}

/// A borrowing iterator over the nodes of a [`NodeMask`], in ascending order, word at a time.
#[derive(Clone, Debug)]
pub(crate) struct Nodes<'a> {
    words: &'a [u64; WORDS],
    /// The word `bits` came from.
    word: usize,
    /// The bits of that word not returned yet.
    bits: u64,
}

impl Iterator for Nodes<'_> {
    type Item = NodeId;

    #[inline]
    fn next(&mut self) -> Option<NodeId> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.words.get(self.word)?;
        }
        let bit = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        // `word < WORDS` and `bit < 64`: below `MAX_NUMNODES`.
        Some(NodeId((self.word * WORD_BITS + bit) as u16))
    }
}

/// Visits every node of a mask once, in `next_node_in` order, starting after a given node
/// (`WORDS` is a power of two, so the word index wraps with a mask; Linux: repeated `next_node_in` from `il_prev`), reading the mask in place.
///
/// The walk starts in the word of the node after `after`, goes up to the last word, wraps to
/// word 0 and ends with the bits of the first word at or below `after`: each word is read
/// once, so a whole cycle costs O(words + nodes).
#[derive(Clone, Debug)]
pub(crate) struct Cycle<'a> {
    words: &'a [u64; WORDS],
    /// The first word visited.
    start: usize,
    /// Words visited so far after the first (0..=WORDS; WORDS is the first word again).
    step: usize,
    /// The bits of the current word not returned yet.
    bits: u64,
    /// The bits of the first word that belong to the first visit; the rest come last.
    above: u64,
}

impl<'a> Cycle<'a> {
    /// Starts the walk at `nodes.next_in(after)`; it yields `nodes.weight()` nodes.
    #[inline]
    pub(crate) const fn after(nodes: &'a NodeMask, after: NodeId) -> Self {
        let from = (after.index() + 1) % MAX_NUMNODES;
        let start = from / WORD_BITS;
        let above = u64::MAX << (from % WORD_BITS);
        Cycle {
            words: &nodes.words,
            start,
            step: 0,
            bits: nodes.word(start) & above,
            above,
        }
    }
}

impl Iterator for Cycle<'_> {
    type Item = NodeId;

    #[inline]
    fn next(&mut self) -> Option<NodeId> {
        while self.bits == 0 {
            if self.step >= WORDS {
                return None;
            }
            self.step += 1;
            let i = (self.start + self.step) & (WORDS - 1);
            let w = *self.words.get(i)?;
            self.bits = if self.step == WORDS {
                w & !self.above
            } else {
                w
            };
        }
        let bit = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        let word = (self.start + self.step) & (WORDS - 1);
        // `word < WORDS` and `bit < 64`: below `MAX_NUMNODES`.
        Some(NodeId((word * WORD_BITS + bit) as u16))
    }
}

impl ExactSizeIterator for Iter {}
impl core::iter::FusedIterator for Iter {}

#[cfg(test)]
mod tests;

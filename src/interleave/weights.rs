//! Where the pickers read per-node weights from (Linux: `get_il_weight` and the RCU copy of
//! `wi_state->iw_table` in the bulk path).
//!
//! The weight table itself (lock-free reads, whole-table replacement) lives in
//! [`crate::weights`]; the pickers only need a lookup, so they take any [`WeightSource`]: a
//! plain array or slice, a closure over the embedder's table, or [`Uniform`] (every weight 1,
//! what Linux uses while no table is published).

use core::num::NonZeroU64;

use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// A per-node weight lookup for weighted interleave (Linux: `get_il_weight`).
///
/// A weight of 0 never reaches the pickers: they read it as 1. Linux stores no zero weight
/// since 6.16 (a zero write is refused, and the auto mode never computes one), and reading 0
/// as 1 keeps every picker free of divisions by zero and endless walks.
///
/// # Examples
/// ```
/// use mempolicy::interleave::{Uniform, WeightSource};
/// use mempolicy::NodeId;
/// assert_eq!([3u8, 1].weight(NodeId::new(0)), 3);
/// assert_eq!([3u8, 1].weight(NodeId::new(5)), 1); // beyond the array: the default 1
/// assert_eq!(Uniform.weight(NodeId::new(7)), 1);
/// assert_eq!((|n: NodeId| n.as_u32() as u8 + 1).weight(NodeId::new(2)), 3);
/// ```
pub trait WeightSource {
    /// Returns the weight of `node` (Linux: `get_il_weight`).
    fn weight(&self, node: NodeId) -> u8;

    /// Copies the weights of the nodes in `nodes` into `out`, indexed by node number, as one
    /// snapshot (Linux: the `memcpy` of `iw_table` under `rcu_read_lock`). Entries of nodes
    /// outside `nodes` may be left as they are.
    ///
    /// The default calls [`WeightSource::weight`] once per node of `nodes`; a source backed
    /// by a concurrently replaced table should override it to read one consistent table.
    fn copy_weights(&self, nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) {
        for node in nodes {
            if let Some(slot) = out.get_mut(node.index()) {
                *slot = self.weight(node);
            }
        }
    }

    /// Returns the weights of nodes 0-7, node `i`'s in byte `i` (the lowest byte for node 0),
    /// as one snapshot: [`WeightSource::eight_at`] of chunk 0.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::interleave::{Uniform, WeightSource};
    /// assert_eq!([3u8, 1, 2].first_eight(), 0x0101_0101_0102_0103);
    /// assert_eq!(Uniform.first_eight(), 0x0101_0101_0101_0101);
    /// ```
    #[inline]
    fn first_eight(&self) -> u64 {
        self.eight_at(0)
    }

    /// Returns the weights of nodes `8 * chunk` to `8 * chunk + 7`, node `8 * chunk + i`'s in
    /// byte `i`, as one snapshot: what the static weighted pick reads for masks of nodes below
    /// 64, eight nodes at a time. Nodes at or above `MAX_NUMNODES` weigh 1.
    ///
    /// The default calls [`WeightSource::weight`] for each of the eight nodes; tables
    /// override it with one load.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::interleave::{Uniform, WeightSource};
    /// let weights: Vec<u8> = (1..=12).collect();
    /// assert_eq!(weights[..].eight_at(1), 0x0101_0101_0c0b_0a09);
    /// assert_eq!(Uniform.eight_at(3), 0x0101_0101_0101_0101);
    /// ```
    fn eight_at(&self, chunk: usize) -> u64 {
        let mut word = 0;
        for i in 0..8 {
            let weight = chunk
                .checked_mul(8)
                .and_then(|first| first.checked_add(i))
                .filter(|&index| index < MAX_NUMNODES)
                .map_or(1, |index| self.weight(NodeId::new(index)));
            word |= u64::from(weight) << (8 * i);
        }
        word
    }

    /// Returns the weights of nodes 0-7 as the pickers read them (0 read as 1), node `i`'s in
    /// byte `i`, when none is above 31 and they add up to at most 127; `None` otherwise.
    ///
    /// Then the static weighted pick from any mask of nodes below 8 is a few word operations
    /// (running totals by one multiplication, all compared with the target at once), with no
    /// check left on the pick's path. The default derives it from
    /// [`WeightSource::first_eight`]; a table computes it once, when it is built.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::interleave::{Uniform, WeightSource};
    /// let small = [3u8, 0, 2].small_first_eight().map(|w| w.get());
    /// assert_eq!(small, Some(0x0101_0101_0102_0103)); // the 0 reads as 1
    /// assert_eq!([30u8, 30, 30, 30, 9].small_first_eight(), None); // 129 in all
    /// assert_eq!([32u8].small_first_eight(), None); // above 31
    /// assert_eq!(Uniform.small_first_eight().map(|w| w.get()), Some(0x0101_0101_0101_0101));
    /// ```
    #[inline]
    fn small_first_eight(&self) -> Option<NonZeroU64> {
        small_eight(self.first_eight())
    }
}

/// Every byte 0x01.
pub(super) const ONES: u64 = 0x0101_0101_0101_0101;
/// Every byte 0x7f.
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// Every byte 0x80.
pub(super) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The weights of eight nodes, a byte each (`raw`, as [`WeightSource::first_eight`] gives
/// them), with 0 read as 1, if none is above 31 and they add up to at most 127 (see
/// [`WeightSource::small_first_eight`]).
#[inline]
pub(crate) const fn small_eight(raw: u64) -> Option<NonZeroU64> {
    // Above 31 a byte alone could carry into the next one below; such weights are never small.
    if raw & (ONES * 0xe0) != 0 {
        return None;
    }
    // 1 in the bytes that are not 0 (no byte is above 0x7f, so the addition carries nowhere).
    let nonzero = ((raw + LOWS) & HIGHS) >> 7;
    let weights = raw + (nonzero ^ ONES);
    // Every byte is at most 31, so no running total (at most 8 x 31) carries into the next
    // byte, and the top byte is the total.
    let total = weights.wrapping_mul(ONES) >> 56;
    if total > 0x7f {
        return None;
    }
    NonZeroU64::new(weights)
}

/// Every node weighs 1 (Linux: `wi_state == NULL`, the state before any weight is set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uniform;

impl WeightSource for Uniform {
    #[inline]
    fn weight(&self, _node: NodeId) -> u8 {
        1
    }

    fn copy_weights(&self, _nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) {
        out.fill(1);
    }

    #[inline]
    fn small_first_eight(&self) -> Option<NonZeroU64> {
        NonZeroU64::new(ONES)
    }

    #[inline]
    fn eight_at(&self, _chunk: usize) -> u64 {
        ONES
    }
}

/// Weights indexed by node number; nodes beyond the array weigh 1.
impl<const N: usize> WeightSource for [u8; N] {
    #[inline]
    fn weight(&self, node: NodeId) -> u8 {
        self.get(node.index()).copied().unwrap_or(1)
    }

    fn copy_weights(&self, _nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) {
        copy_prefix(self, out);
    }

    #[inline]
    fn eight_at(&self, chunk: usize) -> u64 {
        eight_at_of(self, chunk)
    }
}

/// Weights indexed by node number; nodes beyond the slice weigh 1.
impl WeightSource for [u8] {
    #[inline]
    fn weight(&self, node: NodeId) -> u8 {
        self.get(node.index()).copied().unwrap_or(1)
    }

    fn copy_weights(&self, _nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) {
        copy_prefix(self, out);
    }

    #[inline]
    fn eight_at(&self, chunk: usize) -> u64 {
        eight_at_of(self, chunk)
    }
}

/// A closure from node to weight, e.g. one reading the embedder's published table.
impl<F: Fn(NodeId) -> u8> WeightSource for F {
    #[inline]
    fn weight(&self, node: NodeId) -> u8 {
        self(node)
    }
}

/// The weights of nodes `8 * chunk` to `8 * chunk + 7` of `table`, node `8 * chunk + i`'s in
/// byte `i`; nodes beyond it, or at or above `MAX_NUMNODES`, weigh 1.
#[inline]
pub(crate) fn eight_at_of(table: &[u8], chunk: usize) -> u64 {
    // `MAX_NUMNODES` is a multiple of 8: a chunk is wholly below it or wholly above.
    let Some(rest) = chunk
        .checked_mul(8)
        .filter(|&start| start < MAX_NUMNODES)
        .and_then(|start| table.get(start..))
    else {
        return ONES;
    };
    if let Some(eight) = rest.first_chunk::<8>() {
        return u64::from_le_bytes(*eight);
    }
    // The end of a short table: the nodes beyond it weigh 1.
    let mut bytes = [1u8; 8];
    for (byte, &weight) in bytes.iter_mut().zip(rest) {
        *byte = weight;
    }
    u64::from_le_bytes(bytes)
}

/// Copies `table` into the front of `out` and fills the rest with the default weight 1.
fn copy_prefix(table: &[u8], out: &mut [u8; MAX_NUMNODES]) {
    for (slot, weight) in out.iter_mut().zip(table) {
        *slot = *weight;
    }
    for slot in out.iter_mut().skip(table.len()) {
        *slot = 1;
    }
}

/// Returns `weight`, reading 0 as 1 (see [`WeightSource`]).
#[inline]
pub(crate) const fn effective(weight: u8) -> u8 {
    if weight == 0 {
        1
    } else {
        weight
    }
}

//! The per-task interleave cursor and the dynamic pickers (Linux: `task_struct::il_prev` and
//! `il_weight`, `interleave_nodes`, `weighted_interleave_nodes`, and the `MPOL_F_NODE` answer
//! of `do_get_mempolicy`).

use super::weights::{effective, WeightSource};
use crate::{NodeId, NodeMask};

/// Which interleave flavour a policy uses; it decides what [`InterleaveCursor::peek_node`]
/// reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterleaveMode {
    /// Round robin, one page per node (Linux: `MPOL_INTERLEAVE`).
    Plain,
    /// Round robin, `weight` pages per node (Linux: `MPOL_WEIGHTED_INTERLEAVE`).
    Weighted,
}

/// The dynamic-interleave state of one task (Linux: `task_struct::il_prev` and `il_weight`).
///
/// `il_prev` is the node of the last dynamic pick; `il_weight` is how many more pages the
/// weighted flavour takes from it before moving on. A fresh cursor ([`InterleaveCursor::new`],
/// what `do_set_mempolicy` installs with an interleave policy) starts before the lowest node.
///
/// Any pair of values is a valid state: the pickers cope with `il_prev` outside the mask
/// (after a rebind) and with a remaining weight larger than the node's current weight.
///
/// # Examples
/// ```
/// use mempolicy::interleave::InterleaveCursor;
/// use mempolicy::{NodeId, NodeMask};
/// let nodes: NodeMask = "0-1".parse()?;
/// let mut cursor = InterleaveCursor::new();
/// let weights = [3u8, 1];
/// let picks: Vec<u32> = (0..8)
///     .filter_map(|_| cursor.next_weighted(&nodes, &weights))
///     .map(NodeId::as_u32)
///     .collect();
/// assert_eq!(picks, [0, 0, 0, 1, 0, 0, 0, 1]);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InterleaveCursor {
    /// The node of the last dynamic pick (Linux: `il_prev`).
    il_prev: NodeId,
    /// Pages still to take from `il_prev` in weighted mode (Linux: `il_weight`).
    il_weight: u8,
}

impl Default for InterleaveCursor {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl InterleaveCursor {
    /// Returns a fresh cursor: `il_prev = MAX_NUMNODES - 1`, `il_weight = 0`, so that the
    /// first pick is the lowest node of the mask (Linux: the reset in `do_set_mempolicy`).
    #[inline]
    pub const fn new() -> Self {
        Self::from_parts(NodeId::MAX, 0)
    }

    /// Returns the cursor with the given raw state (Linux: `il_prev`, `il_weight`).
    #[inline]
    pub const fn from_parts(il_prev: NodeId, il_weight: u8) -> Self {
        Self { il_prev, il_weight }
    }

    /// Returns the node of the last dynamic pick (Linux: `il_prev`).
    #[inline]
    pub const fn il_prev(&self) -> NodeId {
        self.il_prev
    }

    /// Returns the pages still to take from [`il_prev`](Self::il_prev) in weighted mode
    /// (Linux: `il_weight`).
    #[inline]
    pub const fn il_weight(&self) -> u8 {
        self.il_weight
    }

    /// Resets the cursor to the fresh state of [`InterleaveCursor::new`] (Linux: what
    /// `do_set_mempolicy` does when it installs an interleave policy).
    #[inline]
    pub const fn reset(&mut self) {
        *self = Self::new();
    }

    /// Picks the node for the next page of a plain interleave policy and advances the cursor
    /// (Linux: `interleave_nodes`).
    ///
    /// Returns the node after `il_prev` in `nodes`, wrapping around; `None` (and no change)
    /// when `nodes` is empty. `il_weight` is not touched.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::interleave::InterleaveCursor;
    /// use mempolicy::{NodeId, NodeMask};
    /// let nodes: NodeMask = "1-3".parse()?;
    /// let mut cursor = InterleaveCursor::new();
    /// assert_eq!(cursor.next_interleave(&nodes), Some(NodeId::new(1)));
    /// assert_eq!(cursor.next_interleave(&nodes), Some(NodeId::new(2)));
    /// assert_eq!(cursor.next_interleave(&nodes), Some(NodeId::new(3)));
    /// assert_eq!(cursor.next_interleave(&nodes), Some(NodeId::new(1)));
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[must_use = "the pick advances the cursor; use the node it returns"]
    #[inline]
    pub fn next_interleave(&mut self, nodes: &NodeMask) -> Option<NodeId> {
        let node = nodes.next_in(self.il_prev)?;
        self.il_prev = node;
        Some(node)
    }

    /// Picks the node for the next page of a weighted interleave policy and advances the
    /// cursor (Linux: `weighted_interleave_nodes`).
    ///
    /// While weight remains on `il_prev` and `il_prev` is still in `nodes`, the page goes
    /// there. Otherwise the cursor moves to the next node of `nodes` (wrapping) and loads
    /// that node's weight from `weights` (0 is read as 1). `None` (and no change) when
    /// `nodes` is empty.
    #[must_use = "the pick advances the cursor; use the node it returns"]
    #[inline]
    pub fn next_weighted<W>(&mut self, nodes: &NodeMask, weights: &W) -> Option<NodeId>
    where
        W: WeightSource + ?Sized,
    {
        self.weighted_step(
            |prev| nodes.contains(prev),
            |prev| nodes.next_in(prev),
            weights,
        )
    }

    /// One weighted pick: stay on `il_prev` while weight remains on it and it is in the mask
    /// (`in_mask`, asked only then), else move to `next(il_prev)` and load its weight.
    #[inline(always)]
    fn weighted_step<W>(
        &mut self,
        in_mask: impl FnOnce(NodeId) -> bool,
        next: impl FnOnce(NodeId) -> Option<NodeId>,
        weights: &W,
    ) -> Option<NodeId>
    where
        W: WeightSource + ?Sized,
    {
        if self.il_weight == 0 || !in_mask(self.il_prev) {
            let node = next(self.il_prev)?;
            self.il_prev = node;
            self.il_weight = effective(weights.weight(node));
        }
        // At least 1: either it was non-zero, or it was just loaded from an effective weight.
        self.il_weight = self.il_weight.saturating_sub(1);
        Some(self.il_prev)
    }

    /// [`InterleaveCursor::next_interleave`] for the non-empty mask whose nodes are the bits of
    /// `byte` (all below 8, as a policy keeps them): the next node is found inside the byte.
    #[inline]
    pub(crate) fn next_interleave_in_byte(&mut self, byte: u64) -> NodeId {
        let node = next_in_byte(byte, self.il_prev);
        self.il_prev = node;
        node
    }

    /// [`InterleaveCursor::next_weighted`] for the non-empty mask whose nodes are the bits of
    /// `byte` (all below 8, as a policy keeps them).
    #[inline]
    pub(crate) fn next_weighted_in_byte<W>(&mut self, byte: u64, weights: &W) -> NodeId
    where
        W: WeightSource + ?Sized,
    {
        let in_byte = |prev: NodeId| prev.index() < 8 && byte & (1 << prev.index()) != 0;
        let pick = self.weighted_step(in_byte, |prev| Some(next_in_byte(byte, prev)), weights);
        // Always a node: `next_in_byte` always gives one.
        pick.unwrap_or(self.il_prev)
    }

    /// Returns the node the next dynamic pick will use, without moving the cursor (Linux:
    /// `get_mempolicy(MPOL_F_NODE)` under a task interleave policy).
    ///
    /// Plain: the node after `il_prev`. Weighted: `il_prev` while weight remains on it (even
    /// if a rebind has since removed it from `nodes`, as Linux reports it), else the node
    /// after it. `None` when that node does not exist because `nodes` is empty.
    #[inline]
    pub fn peek_node(&self, mode: InterleaveMode, nodes: &NodeMask) -> Option<NodeId> {
        match mode {
            InterleaveMode::Weighted if self.il_weight > 0 => Some(self.il_prev),
            InterleaveMode::Plain | InterleaveMode::Weighted => nodes.next_in(self.il_prev),
        }
    }
}

/// The node after `prev` among the bits of the non-empty `byte`, around to the lowest (what
/// [`NodeMask::next_in`] gives for a mask of nodes below 8).
#[inline(always)]
fn next_in_byte(byte: u64, prev: NodeId) -> NodeId {
    let start = prev.index() + 1;
    let above = if start < 8 {
        byte & (u64::MAX << start)
    } else {
        0
    };
    let bits = if above != 0 { above } else { byte };
    NodeId::of_first_word(bits.trailing_zeros())
}

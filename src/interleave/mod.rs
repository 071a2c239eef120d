//! Interleave node pickers: which node the next page of an (weighted) interleave policy goes
//! to, one page at a time or in bulk (Linux: `interleave_nodes`, `weighted_interleave_nodes`,
//! `interleave_nid`, `weighted_interleave_nid`, `alloc_pages_bulk_interleave`,
//! `alloc_pages_bulk_weighted_interleave` in `mm/mempolicy.c`).
//!
//! Everything here is a pure function of a [`NodeMask`](crate::NodeMask), a weight lookup
//! ([`WeightSource`]) and, for the dynamic picks, the task's [`InterleaveCursor`]. Nothing
//! allocates, nothing locks, and no cost grows with the interleave index or the page count.
//!
//! | Linux | here |
//! |---|---|
//! | `current->il_prev`, `il_weight` | [`InterleaveCursor`] |
//! | `interleave_nodes` (dynamic, `NO_INTERLEAVE_INDEX`) | [`InterleaveCursor::next_interleave`] |
//! | `weighted_interleave_nodes` | [`InterleaveCursor::next_weighted`] |
//! | `get_mempolicy(MPOL_F_NODE)` on a task interleave policy | [`InterleaveCursor::peek_node`] |
//! | `interleave_nid(pol, ilx)` | [`interleave_nid`] |
//! | `weighted_interleave_nid(pol, ilx)` | [`weighted_interleave_nid`] |
//! | `ilx` of `get_vma_policy` / shmem `get_policy` | [`vma_interleave_index`] / [`shared_interleave_index`] |
//! | `alloc_pages_bulk_interleave` | [`bulk_interleave_plan`] |
//! | `alloc_pages_bulk_weighted_interleave` | [`bulk_weighted_plan`] |
//! | `get_il_weight`, `wi_state == NULL` | [`WeightSource`], [`Uniform`] |
//!
//! Where Linux returns `MAX_NUMNODES` or falls back to the local node because the mask is
//! empty, these functions return `None` (or plan nothing) and leave the cursor alone; the
//! caller picks the local node. Linux's `mems_allowed` retry loops have no counterpart: the
//! caller passes one consistent mask.
//!
//! # Bulk plans and single picks
//! - Plain: the per-node totals equal those of `N` calls of
//!   [`InterleaveCursor::next_interleave`], but the cursor always advances by exactly the
//!   number of nodes (Linux calls `interleave_nodes` once per node, whatever `N`, even for
//!   `N == 0`).
//! - Weighted: the per-node totals equal those of `N` calls of
//!   [`InterleaveCursor::next_weighted`], and so does the cursor, with one exception: when the
//!   pages after the carried-over remainder are a whole number of weight rounds, Linux leaves
//!   the cursor on the *next* node with its full weight where single picks leave it on the
//!   last node with weight 0. Both states make every later pick, bulk plan and
//!   `get_mempolicy(MPOL_F_NODE)` answer the same (as long as the weights do not change).
//!
//! This is mainline Linux from 6.9 (when weighted interleave arrived) to the newest copy
//! checked (about 7.0), and the 6.12 of the conformance recordings. The linux-next snapshot
//! of mid-2025 instead carries a series ("Skip extra call to `__alloc_pages_bulk` in weighted
//! interleave") that folds the carried-over remainder into the first round: it hands the
//! partial round out from `il_prev` rather than from the node after it, and forgets the
//! resume point when the partial round ends exactly on a node boundary, so its totals and
//! cursor differ from single picks. That series is not in the later mainline copy, so it is
//! not modelled here.
//!
//! Neighbours: [`crate::weights`] holds the weight table these pickers read through
//! [`WeightSource`]; [`crate::policy`] decides when a policy interleaves and which index it
//! uses.

mod bulk;
mod cursor;
mod index;
mod weights;

pub use bulk::{bulk_interleave_plan, bulk_weighted_plan, BulkPlan, PLAN_CAPACITY};
pub use cursor::{InterleaveCursor, InterleaveMode};
pub(crate) use index::weighted_in_low_byte;
pub use index::{
    interleave_nid, shared_interleave_index, vma_interleave_index, weighted_interleave_nid,
    NO_INTERLEAVE_INDEX,
};
pub(crate) use weights::{eight_at_of, small_eight};
pub use weights::{Uniform, WeightSource};

#[cfg(test)]
mod tests;

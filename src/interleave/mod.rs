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
//! Neighbours: [`crate::weights`] holds the weight table these pickers read through
//! [`WeightSource`]; [`crate::policy`] decides when a policy interleaves and which index it
//! uses.

mod bulk;
mod cursor;
mod index;
mod weights;

pub use bulk::{bulk_interleave_plan, bulk_weighted_plan, BulkPlan, PLAN_CAPACITY};
pub use cursor::{InterleaveCursor, InterleaveMode};
pub use index::{
    interleave_nid, shared_interleave_index, vma_interleave_index, weighted_interleave_nid,
    NO_INTERLEAVE_INDEX,
};
pub use weights::{Uniform, WeightSource};

#[cfg(test)]
mod tests;

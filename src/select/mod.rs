//! From a policy to a placement: which node and zones one allocation tries, the allocation
//! walk over a frame source the embedder implements, and where NUMA balancing should move a
//! page (Linux: `get_task_policy`, `get_vma_policy`, `policy_nodemask`, `alloc_pages_mpol`,
//! `alloc_pages_preferred_many`, `alloc_pages`/`alloc_frozen_pages_noprof`,
//! `vma_alloc_folio`, `alloc_pages_bulk_mempolicy_noprof`, `mempolicy_slab_node`,
//! `mpol_misplaced` in `mm/mempolicy.c`, and `prepare_alloc_pages` plus the zonelist walk of
//! `get_page_from_freelist` in `mm/page_alloc.c`).
//!
//! This is the layer below [`crate::machine`]: pure functions of borrowed inputs. A kernel
//! normally calls the [`Cpu`](crate::machine::Cpu) entry points, which read the live machine
//! state and call these; the functions here are for embedders that keep that state their own
//! way, and for tests.
//!
//! | Linux | here |
//! |---|---|
//! | `get_task_policy` | [`task_policy`] |
//! | policy choice of `alloc_frozen_pages_noprof` | [`alloc_policy`] |
//! | `get_vma_policy` | [`VmaPolicy`], [`vma_policy`] |
//! | `policy_nodemask` | [`policy_nodemask`] → [`Placement`] |
//! | `alloc_pages` / `vma_alloc_folio` (pick only) | [`pick_alloc`] / [`pick_vma`] |
//! | `alloc_pages_mpol`, `alloc_pages_preferred_many` | [`alloc_pages_mpol`] |
//! | `__alloc_frozen_pages_noprof` (zonelist walk) | [`alloc_on_node`] over a [`FrameSource`] |
//! | `alloc_pages` / `vma_alloc_folio` (whole) | [`alloc_pages`] / [`alloc_vma`] → [`Page`] |
//! | `alloc_pages_bulk_mempolicy_noprof` | [`alloc_bulk`] |
//! | `mempolicy_slab_node` | [`slab_node`] |
//! | `mpol_misplaced` | [`mpol_misplaced`] |
//!
//! Inputs are borrowed bundles: [`Globals`] (topology, zonelists, built-in policies,
//! weights), [`TaskContext`] (task policy, interleave cursor, cpuset), [`CpuContext`] (this
//! CPU's node, interrupt context) and [`VmaPolicy`] (a mapping's policy for one page). No
//! function here allocates, locks or panics; bad GFP flags are an [`Error`](crate::Error).
//!
//! # Differences from Linux
//!
//! * `Bind` with `__GFP_THISNODE` prefers the local (or home) node if it is in the policy's
//!   nodes, else the lowest of them, as Linux did before 4.7 (`policy_zonelist`). Modern
//!   Linux only warns (`WARN_ON_ONCE`) and keeps the local node, so a local node outside the
//!   nodes makes the allocation fail.
//! * The walk is one pass over the zonelist: watermarks, reclaim, compaction and the OOM
//!   killer are the [`FrameSource`]'s business, and `__GFP_NOFAIL` does not loop. The slow
//!   path's retries with a different nodemask are not modelled.
//! * Cpusets: the cpuset is a plain node filter in task context (Linux: `__GFP_HARDWALL`
//!   semantics); the non-hardwall walk up to the nearest hardwalled ancestor cpuset is not
//!   modelled. `cpuset_nodemask_valid_mems_allowed` is the intersection test of
//!   [`policy_nodemask`].
//! * Linux's `mems_allowed_seq` retry loops have no counterpart: the caller passes one
//!   consistent policy.
//! * Bulk allocations take each page along its node's zonelist; Linux's bulk fast path takes
//!   them from the first zone that passes the watermark and falls back to one single-page
//!   allocation, which the frame source sees as the same sequence of requests.
//! * Transparent huge pages are assumed configured; the huge-page order is
//!   [`HPAGE_PMD_ORDER`](crate::page::HPAGE_PMD_ORDER).

mod cache;
mod context;
mod driver;
mod misplaced;
mod pick;

pub(crate) use cache::ZoneCache;
pub use context::{
    alloc_policy, task_policy, vma_policy, CpuContext, Globals, TaskContext, VmaPolicy,
};
pub use driver::{
    alloc_bulk, alloc_on_node, alloc_pages, alloc_pages_mpol, alloc_vma, FrameSource, Page,
};
pub(crate) use driver::{alloc_bulk_walk, alloc_pages_walk, alloc_vma_walk, CacheRef, Walk};
pub use misplaced::mpol_misplaced;
pub use pick::{pick_alloc, pick_vma, policy_nodemask, slab_node, Placement};

#[cfg(test)]
mod tests;

//! From a policy to a placement: which node and zones one allocation tries, the allocation
//! walk over a frame source the embedder implements, and where NUMA balancing should move a
//! page (Linux: `get_vma_policy`, `get_task_policy`, `policy_nodemask`, `alloc_pages_mpol`,
//! `alloc_pages_preferred_many`, `alloc_pages`/`alloc_frozen_pages_noprof`,
//! `vma_alloc_folio`, `mempolicy_slab_node`, `mpol_misplaced` in `mm/mempolicy.c`, and
//! `prepare_alloc_pages` plus the zonelist walk of `get_page_from_freelist` in
//! `mm/page_alloc.c`).
//!
//! | Linux | here |
//! |---|---|
//! | `get_task_policy` | [`task_policy`] |
//! | policy choice of `alloc_frozen_pages_noprof` | [`alloc_policy`] |
//! | `get_vma_policy`, `vm_ops->get_policy` | [`vma_policy`], [`SharedPolicy`] |
//! | `policy_nodemask` | [`policy_nodemask`] → [`Placement`] |
//! | `alloc_pages` / `vma_alloc_folio` (pick only) | [`pick_alloc`] / [`pick_vma`] |
//! | `alloc_pages_mpol`, `alloc_pages_preferred_many` | [`alloc_pages_mpol`] |
//! | `__alloc_frozen_pages_noprof` (zonelist walk) | [`alloc_on_node`] over a [`FrameSource`] |
//! | `alloc_pages` / `vma_alloc_folio` (whole) | [`alloc_pages`] / [`alloc_vma`] |
//! | `mempolicy_slab_node` | [`slab_node`] |
//! | `mpol_misplaced` | [`mpol_misplaced`] |
//! | `first_zones_zonelist` (cached per CPU) | [`ZoneCache`] |
//!
//! Inputs are borrowed bundles: [`Machine`] (topology, zonelists, built-in policies,
//! weights), [`TaskContext`] (task policy, interleave cursor, cpuset), [`CpuContext`] (this
//! CPU's node, interrupt context) and [`Vma`]. No function here allocates, locks or panics;
//! bad GFP flags are an [`Error`](crate::Error).
//!
//! # Example
//! ```
//! use mempolicy::gfp::{GfpFlags, ZoneType};
//! use mempolicy::interleave::{InterleaveCursor, Uniform};
//! use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
//! use mempolicy::select::{self, CpuContext, Machine, TaskContext};
//! use mempolicy::topology::Topology;
//! use mempolicy::zonelist::Zonelists;
//! use mempolicy::NodeId;
//! let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
//! let lists = Zonelists::build(&topo);
//! let defaults = PolicyDefaults::new();
//! let machine = Machine::new(&topo, &lists, &defaults, &Uniform);
//! let ctx = NodeContext::unrestricted(*topo.memory_nodes());
//! let bind = Mempolicy::create(Mode::Bind, ModeFlags::empty(), &"1-3".parse()?, &ctx)?;
//! let mut cursor = InterleaveCursor::new();
//! let mut task = TaskContext::new(bind.as_ref(), &mut cursor);
//! // Node 2 is full: the walk of node 0's list (0 2 1 3) within 1-3 goes on to node 1.
//! let mut frames = |node: NodeId, _zone: ZoneType, _order: u32, _gfp: GfpFlags| node.as_u32() != 2;
//! let cpu = CpuContext::task(NodeId::new(0));
//! let served = select::alloc_pages(&machine, &mut task, cpu, GfpFlags::GFP_KERNEL, 0, &mut frames)?;
//! assert_eq!(served.map(|s| s.node().as_u32()), Some(1));
//! # Ok::<(), mempolicy::Error>(())
//! ```
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
//! * THP support is assumed configured; `HPAGE_PMD_ORDER` is x86-64's 9.

mod cache;
mod context;
mod driver;
mod misplaced;
mod pick;

pub use cache::ZoneCache;
pub use context::{
    alloc_policy, task_policy, vma_policy, CpuContext, Machine, PolicyHandle, SharedPolicy,
    TaskContext, Vma, PAGE_SHIFT,
};
pub use driver::{
    alloc_on_node, alloc_pages, alloc_pages_mpol, alloc_vma, FrameSource, Served, HPAGE_PMD_ORDER,
};
pub use misplaced::mpol_misplaced;
pub use pick::{pick_alloc, pick_vma, policy_nodemask, slab_node, Placement};

#[cfg(test)]
mod tests;

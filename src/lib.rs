//! NUMA memory policies for hobby kernels and unikernels: Linux's `mm/mempolicy.c` and the
//! page allocator's node and zone choice, as a `no_std` library.
//!
//! A kernel embeds the crate and gets Linux's behaviour, errno for errno: the seven policy
//! modes with their mode flags and validation ladder ([`policy`]), fixed-width node masks with
//! the kernel's algebra and user ABI ([`NodeMask`]), the weighted-interleave weight table read
//! lock-free on every allocation ([`weights`]), the interleave cursor and bulk plans
//! ([`interleave`]), GFP zone choice and distance-ordered zonelists ([`gfp`], [`zonelist`],
//! [`topology`]). Behaviour is checked against recordings of real Linux 6.12 and 7.3 kernels;
//! where the two differ, the embedder picks one with [`Linux`] (default: 7.3).
//! [`guarantees`] states what the crate promises: no panics, which reads are lock-free, which
//! paths never allocate, what may run in interrupt context, the reader contract, each error's
//! errno, and which Linux version each behaviour follows.
//!
//! # Example
//! ```
//! use mempolicy::policy::{Mempolicy, NodeContext};
//! use mempolicy::NodeMask;
//!
//! // set_mempolicy(MPOL_INTERLEAVE, {0-3}) on a machine whose nodes 0-3 have memory, with
//! // the task's cpuset allowing only 0-1: Linux silently keeps 0-1.
//! let ctx = NodeContext::new("0-1".parse()?, "0-3".parse()?);
//! let policy = Mempolicy::from_raw(3, &"0-3".parse()?, &ctx)?.expect("not MPOL_DEFAULT");
//! assert_eq!(policy.to_string(), "interleave:0-1");
//!
//! // MPOL_BIND with no nodes is EINVAL, as in Linux.
//! let err = Mempolicy::from_raw(2, &NodeMask::new(), &ctx).unwrap_err();
//! assert_eq!(err.errno(), mempolicy::errno::EINVAL);
//! # Ok::<(), mempolicy::Error>(())
//! ```
//!
//! # Map of Linux to this crate
//! | Linux | This crate |
//! |---|---|
//! | `nodemask_t`, `next_node_in`, `bitmap_remap`, `nodelist_parse`, `%*pbl`, `get_nodes` | [`NodeMask`], [`NodeId`] |
//! | `struct mempolicy`, `sanitize_mpol_flags`, `mpol_new`, `mpol_set_nodemask`, `mpol_rebind_policy`, `__mpol_equal`, `mpol_parse_str`, `mpol_to_str` | [`policy`] |
//! | `default_policy`, `preferred_node_policy[]`, `get_task_policy` | [`policy::PolicyDefaults`] |
//! | `struct weighted_interleave_state`, `reduce_interleave_weights`, `mempolicy_set_node_perf`, sysfs `weighted_interleave/` | [`weights`] |
//! | `interleave_nodes`, `weighted_interleave_nodes`, `interleave_nid`, `weighted_interleave_nid`, `alloc_pages_bulk_*interleave` | [`interleave`] |
//! | `gfp_t`, `gfp_zone`, `gfp_zonelist` | [`gfp`] |
//! | `node_states`, SLIT distances, zones, access coordinates, HMAT `accessK` | [`topology`] |
//! | the kernel release where behaviour differs (6.12 / 7.3) | [`Linux`] |
//! | `build_zonelists`, `find_next_best_node`, `for_each_zone_zonelist_nodemask`, `policy_zone` | [`zonelist`] |
//! | RCU: `rcu_assign_pointer`, `synchronize_rcu`, `kfree_rcu` | [`rcu`] (crossbeam-epoch) |
//!
//! # Features
//! * *(none)*: `no_std` with `alloc`, [`MAX_NUMNODES`] = 64.
//! * `nodes-1024`: [`MAX_NUMNODES`] = 1024, what distribution kernels build with.
//! * `std`: the host shim for benches and examples (thread-local readers, a host "current
//!   node").
//!
//! # Heap, locks and reclamation
//! `alloc` is always required: crossbeam-epoch needs it, weight tables and zonelists are
//! published as whole heap objects, and topologies keep their distance table on the heap.
//! Node masks, policies and every pick live on the stack. Readers of shared tables never
//! lock, allocate or free: retired tables are freed on writer paths or by an explicit
//! reclaim, after every registered [`rcu::Reader`] has passed a quiescent state. The crate
//! holds no global state; the embedder owns every instance.
//!
//! Minimum supported Rust: 1.83. The crate follows Linux 7.3 or Linux 6.12, both recorded on
//! real kernels, as the [`Linux`] profile says; [`guarantees`] lists the differences.
#![no_std]
#![cfg_attr(
    not(test),
    warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)
)]
// No panic reachable from the public API (see `guarantees`): library code only, since tests
// may unwrap. Arithmetic overflow is left to the edge-value and property tests, which run
// with overflow checks (`clippy::arithmetic_side_effects` flags every bounded loop counter).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::panic_in_result_fn,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::missing_panics_doc
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(test, loom, feature = "std"))]
extern crate std;

pub mod abi;
mod error;
pub mod gfp;
pub mod guarantees;
pub mod interleave;
mod linux;
pub mod machine;
pub mod nodemask;
pub mod page;
pub mod policy;
pub mod rcu;
pub mod select;
#[cfg(feature = "std")]
pub mod shim;
mod sync;
pub mod topology;
pub mod weights;
pub mod zonelist;

pub use error::{errno, Error, Result};
pub use linux::Linux;
pub use nodemask::{NodeId, NodeMask, MAX_NUMNODES};
pub use page::PAGE_SIZE;

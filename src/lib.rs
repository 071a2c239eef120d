//! NUMA memory policies for hobby kernels and unikernels: Linux's `mm/mempolicy.c` and the
//! page allocator's node and zone choice, as a `no_std` library.
//!
//! A kernel embeds the crate and gets Linux's behaviour, errno for errno: the seven policy
//! modes with their mode flags and validation ladder, fixed-width node masks with the
//! kernel's algebra, a weighted-interleave weight table read lock-free on every allocation,
//! GFP zone choice and distance-ordered zonelists, and the memory-policy system calls, all
//! behind one object for the machine and one handle per CPU. Behaviour is checked against
//! recordings of real Linux 6.12 and 7.3 kernels; where the two differ, the embedder picks
//! one with [`Linux`] (default: 7.3). [`guarantees`] states what the crate promises: no
//! panics, which reads are lock-free, which paths never allocate, what may run in interrupt
//! context, each error's errno, and which Linux version each behaviour follows.
//!
//! # Where to start
//!
//! A kernel starts at [`machine`] and the [`guide`]: build a [`Machine`](machine::Machine)
//! at boot, give every CPU a [`Cpu`](machine::Cpu) handle, and call one entry point per
//! Linux entry point from the fault, allocation and interrupt paths. The guide's skeleton is
//! a complete embedding to copy.
//!
//! # Layers, top down
//!
//! | layer | modules | what it is |
//! |---|---|---|
//! | kernel-facing | [`machine`], [`guide`] | the machine object, per-CPU handles, the entry points from a fault to a frame, the system calls against the live machine |
//! | system calls | [`abi`] | `set_mempolicy`, `get_mempolicy`, `mbind`, `set_mempolicy_home_node`, `migrate_pages` with Linux's checks and errnos, over tasks, address spaces and shared objects |
//! | placement | [`select`] | which policy governs an allocation, the node and nodemask it picks, the zonelist walk over the embedder's frames |
//! | machine-wide state | [`weights`], [`zonelist`], [`topology`] | interleave weights, distance-ordered zonelists, the machine description |
//! | building blocks | [`interleave`], [`gfp`], [`policy`] | interleave pickers and bulk plans, GFP zone choice, policy objects |
//! | foundations | [`NodeMask`], [`rcu`], [`page`], [`Error`], [`Linux`] | node masks, epoch reclamation, the page geometry, errors with Linux's errnos, the kernel release followed |
//!
//! Each layer uses only the ones below it; a kernel that keeps its state its own way can call
//! [`select`] and [`abi`] directly.
//!
//! # Example
//! ```
//! use mempolicy::abi::{AddressSpace, Task};
//! use mempolicy::gfp::{GfpFlags, ZoneType};
//! use mempolicy::machine::Machine;
//! use mempolicy::policy::{parse_mpol, Mempolicy};
//! use mempolicy::topology::Topology;
//! use mempolicy::NodeId;
//!
//! // Boot: the machine (four nodes, CPUs on 0 and 1), and CPU 0's handle.
//! let machine = Machine::new(Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?);
//! let mut cpu = machine.cpu(0)?;
//! // A task whose mapping interleaves over nodes 1-3.
//! let mut task = Task::new("0-3".parse()?);
//! let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
//! mm.mmap(1 << 32, 6 * 4096, 1 << 20, ())?;
//! mm.set_policy(1 << 32, (1 << 32) + 6 * 4096, parse_mpol("interleave:1-3", &"0-3".parse()?)?.as_ref());
//! // Page faults: the frame source hands back frames (here: the node's number).
//! let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node.as_u32());
//! let nodes: Vec<u32> = (0..6)
//!     .map(|page| cpu.alloc_fault(&mut task.lend(), &mm, (1 << 32) + page * 4096,
//!                                 GfpFlags::GFP_HIGHUSER_MOVABLE, 0, &mut frames))
//!     .map(|page| page.map(|p| p.into_frame()))
//!     .collect::<Result<_, _>>()?;
//! // Interleave follows the page's virtual page number: 2^20 is 1 modulo 3.
//! assert_eq!(nodes, [2, 3, 1, 2, 3, 1]);
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
//! | the memory-policy globals, `vma_alloc_folio`, `alloc_pages`, `mempolicy_slab_node`, `alloc_pages_bulk_mempolicy_noprof`, `alloc_migration_target_by_mpol` | [`machine`] |
//! | `policy_nodemask`, `alloc_pages_mpol`, `get_vma_policy`, `mpol_misplaced` | [`select`] |
//! | the memory-policy system calls, `mbind_range`, `shared_policy_replace` | [`abi`] |
//! | `PAGE_SHIFT`, `PAGE_SIZE`, `HPAGE_PMD_ORDER` | [`page`] |
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
//! holds no global state; the embedder owns every instance, in `static`s if it likes
//! ([`machine::MachineCell`], [`machine::CpuSlots`]).
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
pub mod guide;
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

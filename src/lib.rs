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
//! | machine-wide state | [`weights`], [`zonelist`], [`topology`], [`firmware`] | interleave weights, distance-ordered zonelists, the machine description, and that description from ACPI tables |
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
//! mm.mmap_anonymous(1 << 32, 6 * 4096, ())?;
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
//! | ACPI SRAT/SLIT/HMAT/MADT: `acpi_numa_init`, `acpi_map_pxm_to_node`, `numa_cleanup_meminfo`, `slit_valid`, `hmat_init`, `topology_register_apic` | [`firmware`] |
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
//!
//! # From firmware tables
//!
//! A kernel maps its ACPI SRAT, SLIT, HMAT and MADT and hands their bytes over; [`firmware`]
//! derives the machine exactly as Linux 7.3 does at boot, and its topology carries each
//! node's HMAT performance, from which the [`Machine`](machine::Machine) boots the automatic
//! interleave weights ([`firmware::NumaLayout::feed_weights`] does the same for a
//! [`WeightTable`](weights::WeightTable) of the kernel's own):
//!
//! ```
//! use mempolicy::firmware::{AcpiTables, MovableZone, NumaLayout};
//! use mempolicy::machine::Machine;
//! use mempolicy::NodeId;
//! # fn hex(s: &str) -> Vec<u8> {
//! #     (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
//! # }
//! # // The tables QEMU built for the recorded 4-node machine (conformance/firmware/f01).
//! # let srat = hex(concat!(
//! #     "5352415440010000014a424f434853204258504320202020010000004258504301000000010000000000",
//! #     "000000000000001000000100000000000000000000000010010101000000000000000000000001280000",
//! #     "00000000000000000000000000000a000000000000000000010000000000000000000000012800000000",
//! #     "000000001000000000000000f00f00000000000000000100000000000000000000000128010000000000",
//! #     "000000100000000000000010000000000000000001000000000000000000000001280200000000000000",
//! #     "002000000000000000100000000000000000010000000000000000000000012803000000000000000030",
//! #     "000000000000001000000000000000000100000000000000000000000128000000000000000000000000",
//! #     "0000000000000000000000000000000000000000000000000000",
//! # ));
//! # let slit = hex(concat!(
//! #     "534c49543c0000000188424f434853204258504320202020010000004258504301000000040000000000",
//! #     "00000a1e14281e0a281414280a1e28141e0a",
//! # ));
//! # let hmat = hex(concat!(
//! #     "484d41545801000002de424f434853204258504320202020010000004258504301000000000000000000",
//! #     "000028000000010000000000000000000000000000000000000000000000000000000000000000000000",
//! #     "280000000100000001000000010000000000000000000000000000000000000000000000000000002800",
//! #     "000001000000000000000200000000000000000000000000000000000000000000000000000028000000",
//! #     "010000000100000003000000000000000000000000000000000000000000000001000000480000000000",
//! #     "000002000000040000000000000010270000000000000000000001000000000000000100000002000000",
//! #     "030000000800080019001900080008001900190001000000480000000003000002000000040000000000",
//! #     "00000800000000000000000000000100000000000000010000000200000003000000d430d430350c350c",
//! #     "d430d430350c350c",
//! # ));
//! # let madt = hex(concat!(
//! #     "41504943800000000177424f4348532042585043202020200100000042585043010000000000e0fe0100",
//! #     "000000080000010000000008010101000000010c00000000c0fe00000000020a0000020000000000020a",
//! #     "0005050000000d00020a0009090000000d00020a000a0a0000000d00020a000b0b0000000d000406ff00",
//! #     "0001",
//! # ));
//! let tables = AcpiTables::new().srat(&srat).slit(&slit).hmat(&hmat).madt(&madt);
//! let layout = NumaLayout::from_acpi(&tables.boot_apic_id(0))?;
//! let machine = Machine::new(layout.topology(MovableZone::None)?);
//!
//! // Linux: "# online=0-3", "# has_cpu=0-1", "# node0 fallback=0 2 1 3",
//! // "# wi_auto=true weights: node0=4 node1=4 node2=1 node3=1".
//! machine.with_topology(|t| {
//!     assert_eq!(t.online_nodes().to_string(), "0-3");
//!     assert_eq!(t.cpu_nodes().to_string(), "0-1");
//! });
//! machine.with_zonelists(|z| {
//!     assert_eq!(z.fallback_order(NodeId::new(0)).unwrap(), [0, 2, 1, 3].map(NodeId::new));
//! });
//! let w = machine.weights().snapshot();
//! assert_eq!([0, 1, 2, 3].map(|n| w.get(NodeId::new(n))), [4, 4, 1, 1]);
//! assert_eq!(machine.cpu(1)?.node(), NodeId::new(1));
//! # Ok::<(), mempolicy::Error>(())
//! ```
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
pub mod firmware;
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

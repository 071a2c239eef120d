//! What the crate promises: panics, locks, allocation, calling contexts, the reader
//! contract, errors and the Linux versions followed. Documentation only; every claim names
//! the test that checks it.
//!
//! # No panics
//!
//! No input reaches a panic through the public API. Library code is built with
//! `deny(clippy::unwrap_used, expect_used, panic, panic_in_result_fn, indexing_slicing,
//! string_slice, unreachable, todo, unimplemented, missing_panics_doc)` (see `lib.rs`), and
//! two exceptions remain, each with its reason:
//!
//! * [`NodeId::new`](crate::NodeId::new) panics for a number at or above
//!   [`MAX_NUMNODES`](crate::MAX_NUMNODES), as documented: it is the `const` constructor for
//!   constants and `static`s. The library calls it with constants only; untrusted numbers go
//!   through [`NodeId::try_new`](crate::NodeId::try_new).
//! * The weight cells index their array with `index & (MAX_NUMNODES - 1)`, which is in
//!   bounds because `MAX_NUMNODES` is a power of two (a `const` assertion).
//!
//! Arithmetic on user-controlled values is checked or wrapping exactly where Linux wraps
//! (`maxnode - 1`, `start + len`). `tests/edge_values.rs` drives every public entry point
//! with edge values (0, 1, `MAX_NUMNODES - 1`, `MAX_NUMNODES`, `u64::MAX`, `i32::MIN`, empty
//! and full masks, garbage text) and random integers, at both node counts and with overflow
//! checks on. A bad argument is an [`Error`](crate::Error) and changes nothing, except
//! where Linux keeps partial work (documented on the function, e.g.
//! [`set_mempolicy_home_node`](crate::abi::set_mempolicy_home_node)).
//!
//! The fuzz targets in `fuzz/` (node lists, `mpol=` strings, the system calls, the range map,
//! bulk plans, the firmware tables, the kernel-facing layer and the simulator) check the same
//! with overflow checks on; each has run 10 million executions without a finding (the
//! campaign in `fuzz/README.md`).
//!
//! # Lock-free reads
//!
//! Shared state that every CPU reads is replaced whole by writers and read without locks,
//! read-modify-write instructions or retries:
//!
//! | read | how | replaced by |
//! |---|---|---|
//! | interleave weights | [`WeightReader`](crate::weights::WeightReader) (one per CPU) | [`WeightTable`](crate::weights::WeightTable) writers |
//! | zonelists | [`SharedZonelists::load`](crate::zonelist::SharedZonelists::load), then plain walks | [`SharedZonelists::publish`](crate::zonelist::SharedZonelists::publish), [`rebuild`](crate::zonelist::SharedZonelists::rebuild) |
//! | a task or range policy | [`PolicySlot::load`](crate::policy::PolicySlot::load) | [`PolicySlot::replace`](crate::policy::PolicySlot::replace) |
//!
//! [`PolicySlot::get`](crate::policy::PolicySlot::get) is lock-free too, but takes a counted
//! reference (one atomic increment), which may be dropped in the same context: the last
//! drop of a policy installed in a slot hands it to the slot's domain (one
//! compare-and-swap) and it is freed after a grace period on a writer path, as Linux's
//! `__mpol_put` does with `kfree_rcu`. Each read sees the old or the new object, whole, and
//! the old one stays allocated until the reader's next quiescent state (below). Destructors
//! of retired objects run on writer paths after the writer lock is released, so a
//! destructor may publish or reclaim in its own domain. This is
//! model-checked with loom (`loom-tests/tests/{weights,zonelist,policy,rcu}.rs`) and
//! stress-tested in `tests/cve_regressions.rs`.
//!
//! Writers allocate the new object, publish it with one atomic swap, and free expired
//! objects on their own path. Weight and zonelist writers serialize on a spin lock, since
//! they copy, modify and publish; [`PolicySlot::replace`](crate::policy::PolicySlot::replace)
//! swaps in a finished policy and needs none.
//!
//! # What never allocates
//!
//! | path | checked by |
//! |---|---|
//! | node masks: every constructor, query and set operation, `fold`/`onto`/`remap`, [`parse_list`](crate::NodeMask::parse_list), `Display` into a caller's writer, [`from_user`](crate::NodeMask::from_user)/[`to_user`](crate::NodeMask::to_user) | `tests/guarantees_alloc.rs` |
//! | policy construction and checks: [`Mempolicy::sanitize_mode`](crate::policy::Mempolicy::sanitize_mode), [`create`](crate::policy::Mempolicy::create), [`from_raw`](crate::policy::Mempolicy::from_raw), [`rebind`](crate::policy::Mempolicy::rebind), [`parse_mpol`](crate::policy::parse_mpol) (a [`Mempolicy`](crate::policy::Mempolicy) lives on the stack) | `tests/guarantees_alloc.rs` |
//! | GFP zone choice ([`gfp::zone_for`](crate::gfp::zone_for)) | `tests/guarantees_alloc.rs` |
//! | interleave picks, the cursor and bulk plans ([`BulkPlan`](crate::interleave::BulkPlan) has a fixed capacity) | `tests/interleave_alloc.rs` |
//! | zonelist walks ([`Zonelist::iter`](crate::zonelist::Zonelist::iter), `first_zone`, `iter_from`) | `tests/zones_alloc.rs` |
//! | the kernel-facing layer's entry points on a [`Cpu`](crate::machine::Cpu) handle: [`alloc_fault`](crate::machine::Cpu::alloc_fault) (private and shared mappings), [`alloc_pages`](crate::machine::Cpu::alloc_pages), [`alloc_interrupt`](crate::machine::Cpu::alloc_interrupt), [`alloc_on_node`](crate::machine::Cpu::alloc_on_node), [`alloc_bulk`](crate::machine::Cpu::alloc_bulk), [`slab_node`](crate::machine::Cpu::slab_node), [`alloc_migration_target`](crate::machine::Cpu::alloc_migration_target), [`misplaced`](crate::machine::Cpu::misplaced), [`quiescent`](crate::machine::Cpu::quiescent), and lending a handle through [`CpuSlots`](crate::machine::CpuSlots); none of them takes a lock either | `tests/fault_path.rs` (allocations always; locks in the `--cfg mempolicy_audit` build) |
//! | selection and the allocation driver: [`policy_nodemask`](crate::select::policy_nodemask), `pick_*`, `alloc_*`, [`slab_node`](crate::select::slab_node), [`mpol_misplaced`](crate::select::mpol_misplaced) | `tests/select_noalloc.rs` |
//! | weight reads ([`WeightReader`](crate::weights::WeightReader)'s methods, picks through [`with_view`](crate::weights::WeightReader::with_view)) and the quiescent states they report | `tests/weights_alloc.rs` |
//! | [`PolicySlot::load`](crate::policy::PolicySlot::load)/[`get`](crate::policy::PolicySlot::get), dropping what `get` returned (the last reference included), [`SharedZonelists::load`](crate::zonelist::SharedZonelists::load), [`Reader::quiescent`](crate::rcu::Reader::quiescent) | `tests/guarantees_alloc.rs` |
//! | ACPI table parsers: [`Srat`](crate::firmware::Srat), [`Slit`](crate::firmware::Slit), [`Hmat`](crate::firmware::Hmat), [`Madt`](crate::firmware::Madt) `parse`, their entry iterators and decoded values, and their errors | `tests/firmware_alloc.rs` |
//! | syscall validation and queries: every `get_mempolicy`, every failing `set_mempolicy` and `mbind` check (holes and `MPOL_MF_STRICT` included), `set_mempolicy_home_node` with nothing to act on, [`migrate_pairs`](crate::abi::migrate_pairs) | `tests/abi_alloc.rs` |
//!
//! What does allocate: building things ([`Topology`](crate::topology::Topology),
//! [`NumaLayout`](crate::firmware::NumaLayout),
//! [`Zonelists`](crate::zonelist::Zonelists),
//! [`PolicyDefaults::new`](crate::policy::PolicyDefaults::new), [`PolicyRef::new`](crate::policy::PolicyRef::new)),
//! every writer (weights, zonelists, [`PolicySlot::replace`](crate::policy::PolicySlot::replace) and
//! [`get_slow`](crate::policy::PolicySlot::get_slow)), [`Domain::register`](crate::rcu::Domain::register),
//! [`Domain::reclaim`](crate::rcu::Domain::reclaim), [`WeightTable::reader`](crate::weights::WeightTable::reader),
//! dropping a [`Reader`](crate::rcu::Reader), dropping the last reference of a policy that
//! was never installed in a [`PolicySlot`](crate::policy::PolicySlot) (or whose domain is
//! gone), which frees it, and the successful syscalls, which install
//! policies and split ranges ([`AddressSpace`](crate::abi::AddressSpace),
//! [`SharedPolicy`](crate::abi::SharedPolicy)). `ToString` on a mask or policy allocates the
//! `String`; formatting into a caller's buffer does not.
//!
//! # Lock audit
//!
//! Built with `--cfg mempolicy_audit`, the crate counts every acquisition of any of its locks;
//! `locks_taken()` reads the count. `tests/fault_path.rs` uses it to show that a fault, from
//! the CPU handle through the address space and the task to the frame, takes no lock of the
//! crate. Other builds have neither the counter nor the function.
//!
//! # Calling contexts
//!
//! **Interrupt handlers and code with preemption disabled** may call what neither locks nor
//! allocates: mask and policy operations, GFP zone choice, interleave picks and bulk plans,
//! zonelist walks, the selection and allocation driver (the [`FrameSource`](crate::select::FrameSource)
//! is the embedder's), and the lock-free reads above through the CPU's own readers,
//! including [`Reader::quiescent`](crate::rcu::Reader::quiescent), the quiescent states a
//! [`WeightReader`](crate::weights::WeightReader) reports itself, and dropping a
//! [`PolicyRef`](crate::policy::PolicyRef) taken there with
//! [`PolicySlot::get`](crate::policy::PolicySlot::get) (a last drop defers the free to the
//! domain without locking; only a policy never installed in a slot, or whose domain is
//! gone, is freed by its last drop, so drop those where freeing is allowed). A reader serves one context
//! at a time (`&mut`): give interrupt handlers their own reader, registered at boot, or keep
//! interrupts off while the task's reader is borrowed. In interrupt context pass
//! [`CpuContext::interrupt`](crate::select::CpuContext::interrupt), so that the task's policy
//! and cpuset are ignored, as in Linux.
//!
//! **Not there**, only where the kernel may sleep or at least allocate and free: every
//! writer ([`WeightTable`](crate::weights::WeightTable)'s `set_*`, `store_*`, `snapshot`,
//! `is_auto`, `bandwidth`, `memory_nodes`; [`SharedZonelists::publish`](crate::zonelist::SharedZonelists::publish)
//! and `rebuild`; [`PolicySlot::replace`](crate::policy::PolicySlot::replace) and `get_slow`),
//! [`Domain::register`](crate::rcu::Domain::register),
//! [`Domain::reclaim`](crate::rcu::Domain::reclaim), `WeightTable::reclaim`, dropping a
//! reader, building topologies and zonelists, and the syscall layer. They allocate or free,
//! and the writers take a spin lock that an interrupted writer on the same CPU may hold.
//!
//! # The reader contract
//!
//! A [`Reader`](crate::rcu::Reader) is a CPU's handle on a [`Domain`](crate::rcu::Domain):
//! registered once (allocates), pinned from then on, and `!Send`.
//! [`Reader::quiescent`](crate::rcu::Reader::quiescent) reports a quiescent state:
//!
//! 1. **The caller keeps nothing it read through the reader.** Borrowed results
//!    ([`PolicySlot::load`](crate::policy::PolicySlot::load),
//!    [`SharedZonelists::load`](crate::zonelist::SharedZonelists::load)) borrow the reader,
//!    and `quiescent` takes `&mut self`, so the borrow checker enforces this. Counted
//!    references ([`PolicySlot::get`](crate::policy::PolicySlot::get)) stay valid.
//! 2. **It costs one epoch store and one full fence.** It never allocates, frees, blocks,
//!    spins or locks (crossbeam-epoch's `repin`); it is safe in interrupt context on the
//!    reader's CPU.
//! 3. **Objects retired before the call may be freed afterwards**, once every registered
//!    reader of the domain has passed such a state, by a later writer or
//!    [`Domain::reclaim`](crate::rcu::Domain::reclaim), never inside `quiescent` itself.
//!    The epoch needs one or two rounds of such states after the object was handed over
//!    ([`Domain::reclaim`](crate::rcu::Domain::reclaim) says when which); one `reclaim`
//!    then frees everything that can be freed, however much it is.
//! 4. **Loads after the call see every publish the new epoch accounts for** (a sequentially
//!    consistent fence follows the store).
//! 5. **Liveness is the embedder's.** Call it from the idle loop or the scheduler tick on
//!    every CPU. A reader that never reports one delays reclamation forever (memory grows,
//!    nothing becomes unsafe); [`Domain::retired`](crate::rcu::Domain::retired) counts what
//!    waits. Dropping a reader is a quiescent state too.
//! 6. **A reader of another domain protects nothing**, so the lock-free reads answer `None`
//!    for it instead of a reference they could not keep alive.
//!
//! ```
//! use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
//! use mempolicy::rcu::Domain;
//!
//! let domain = Domain::new();
//! let mut reader = domain.register();
//! let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
//! let seen = slot.load(&reader).map(|p| p.to_string());
//! slot.replace(None); // the old policy is retired, not freed: `reader` may still use it
//! domain.reclaim(); // hands it over to the epoch; the reader holds it back
//! assert_eq!(domain.retired(), 1);
//! // The writers' first use of the domain moved the epoch past the reader, so this takes
//! // the longer bound: two rounds of a quiescent state and a reclaim.
//! reader.quiescent(); // nothing from before is used after this
//! domain.reclaim();
//! reader.quiescent();
//! domain.reclaim();
//! assert_eq!(domain.retired(), 0);
//! drop(reader);
//! for _ in 0..100 {
//!     slot.replace(Some(PolicyRef::new(Mempolicy::default_policy())));
//! }
//! domain.reclaim(); // no reader left: one call frees all of them
//! assert_eq!(domain.retired(), 0);
//! assert_eq!(seen.as_deref(), Some("default"));
//! assert!(slot.load(&Domain::new().register()).is_none()); // a stranger sees nothing
//! ```
//!
//! ```compile_fail
//! # use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
//! # use mempolicy::rcu::Domain;
//! # let domain = Domain::new();
//! # let mut reader = domain.register();
//! # let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
//! let policy = slot.load(&reader);
//! reader.quiescent(); // error: `reader` is still borrowed by `policy`
//! drop(policy);
//! ```
//!
//! # Errors and errno
//!
//! Every fallible call returns [`Error`](crate::Error); [`Error::errno`](crate::Error::errno)
//! is the errno Linux gives for the same input. The payload is the offending value.
//!
//! | variant | errno | meaning | raised by |
//! |---|---|---|---|
//! | `UnknownMode(mode)` | `EINVAL` | not an `MPOL_*` mode, or unknown flag bits | `sanitize_mode`, the syscalls |
//! | `ConflictingModeFlags(flags)` | `EINVAL` | static and relative nodes together | `sanitize_mode` |
//! | `BalancingNotSupported(mode)` | `EINVAL` | `NUMA_BALANCING` with a mode other than bind and prefer (many) | `sanitize_mode` |
//! | `FlagsNotAllowed(flags)` | `EINVAL` | static/relative on a mode without nodes | `create`, `parse_mpol` |
//! | `EmptyNodemask` | `EINVAL` | no node left after fitting to the cpuset | `create`, `parse_mpol`, `migrate_pages` |
//! | `UnexpectedNodes(node)` | `EINVAL` | nodes for `default` or `local` | `create` |
//! | `InvalidNode(node)` | `EINVAL` | node out of range, offline, or without memory where memory is needed | `NodeId::try_new`, `parse_mpol`, `alloc_on_node`, `set_mempolicy_home_node` |
//! | `NodeBitsBeyondMax(word)` | `EINVAL` | a user nodemask sets bits at or above `MAX_NUMNODES` | `from_user` |
//! | `MaxnodeTooLarge(maxnode)` | `EINVAL` | more than a page of nodemask | `from_user`, `to_user` |
//! | `MaxnodeTooSmall(maxnode)` | `EINVAL` | `maxnode < nr_node_ids` | `get_mempolicy` |
//! | `InvalidFlags(flags)` | `EINVAL` | unknown or contradictory flag word | `get_mempolicy`, `mbind`, `set_mempolicy_home_node` |
//! | `Unaligned(addr)` | `EINVAL` | address not page aligned | `mbind`, `set_mempolicy_home_node`, `mmap`, `munmap` |
//! | `InvalidRange(start)` | `EINVAL` | range wraps, is empty, or overlaps; `addr` without `MPOL_F_ADDR` | the syscalls, `mmap`, `munmap` |
//! | `Fault(addr)` | `EFAULT` | user memory not readable/writable, or no mapping | the syscalls, `from_user`, `to_user` |
//! | `Parse(offset)` | `EINVAL` | malformed text | `parse_list`, `parse_mpol`, sysfs parsers, `from_nodes_spec`, `ZonelistOrder::from_sysctl` |
//! | `NodeOutOfRange(node)` | `ERANGE` | a nodelist names a node beyond the mask | `parse_list` |
//! | `NumberOverflow(offset)` | `EOVERFLOW` | a number does not fit 32 bits | `parse_list`, `parse_mpol`, `from_nodes_spec` |
//! | `OffsetOverflow(pgoff)` | `EOVERFLOW` | a mapping's page range wraps past the largest page offset | `mmap`, `mmap_shared` |
//! | `InvalidWeight(weight)` | `EINVAL` | interleave weight outside `1..=255` (6.12 takes 0 as 1) | `set_weight`, `parse_weight` |
//! | `NoBandwidth` | `ENODEV` | automatic weights without any bandwidth | `set_auto`, `store_auto` |
//! | `ConflictingZoneFlags(gfp)` | `EINVAL` | two zone modifiers at once (`GFP_ZONE_BAD`) | `zone_for`, selection |
//! | `InvalidTopology(why)` | `EINVAL` | inconsistent machine description | `TopologyBuilder::build`, `from_nodes_spec` |
//! | `FirmwareTable { table, offset, what }` | `EINVAL` | a malformed ACPI table (see "Firmware tables" below) | the [`firmware`](crate::firmware) parsers, [`NumaLayout::from_acpi`](crate::firmware::NumaLayout::from_acpi) |
//! | `PermissionDenied` | `EPERM` | missing `CAP_SYS_NICE` or ptrace access | `mbind`, `migrate_pages`, [`MigrateHooks`](crate::abi::MigrateHooks) |
//! | `NotFound` | `ENOENT` | nothing to act on; a weight file that does not exist (7.3: a node without memory), the `auto` file on 6.12 | `set_mempolicy_home_node`, `store_node`, `show_node`, `store_auto`, `show_auto`, `set_auto` |
//! | `NotSupported` | `EOPNOTSUPP` | a range's policy is not bind or prefer (many) | `set_mempolicy_home_node` |
//! | `Misplaced` | `EIO` | `MPOL_MF_STRICT` found pages it could not leave or move | `mbind` |
//! | `NoSuchProcess` | `ESRCH` | no such process | [`MigrateHooks`](crate::abi::MigrateHooks) |
//! | `NoMemory` | `ENOMEM` | out of memory | embedder hooks only |
//! | `AccessDenied` | `EACCES` | access to the target denied | embedder hooks only |
//! | `NoDevice(node)` | `ENODEV` | the node cannot take the request | embedder hooks only |
//! | `CapacityExceeded(capacity)` | `ENOSPC` | a bounded container is full | embedder hooks only |
//! | `Busy` | `EBUSY` | the target is busy | embedder hooks only |
//!
//! ```
//! use mempolicy::{errno, Error};
//! let table = [
//!     (Error::UnknownMode(7), errno::EINVAL),
//!     (Error::EmptyNodemask, errno::EINVAL),
//!     (Error::Fault(0), errno::EFAULT),
//!     (Error::NodeOutOfRange(64), errno::ERANGE),
//!     (Error::NumberOverflow(0), errno::EOVERFLOW),
//!     (Error::OffsetOverflow(u64::MAX), errno::EOVERFLOW),
//!     (Error::NoBandwidth, errno::ENODEV),
//!     (Error::NoDevice(1), errno::ENODEV),
//!     (Error::NoMemory, errno::ENOMEM),
//!     (Error::PermissionDenied, errno::EPERM),
//!     (Error::AccessDenied, errno::EACCES),
//!     (Error::NotFound, errno::ENOENT),
//!     (Error::NotSupported, errno::EOPNOTSUPP),
//!     (Error::Misplaced, errno::EIO),
//!     (Error::NoSuchProcess, errno::ESRCH),
//!     (Error::CapacityExceeded(8), errno::ENOSPC),
//!     (Error::Busy, errno::EBUSY),
//! ];
//! for (error, expected) in table {
//!     assert_eq!(error.errno(), expected, "{error:?}");
//! }
//! ```
//!
//! # Firmware tables
//!
//! The ACPI parsers ([`firmware`](crate::firmware)) take the tables as untrusted bytes and
//! promise, for any bytes at all:
//!
//! * **No panic and no read outside the slice.** Every field is read through bounds-checked
//!   accessors; lengths and counts from the table are checked with overflow-free arithmetic
//!   (a SLIT's `count²`, an HMAT locality entry's `4·(initiators + targets) + 2·initiators ·
//!   targets`) before anything is read. Only the first `length` bytes are used, so passing a
//!   whole mapped page is fine. Checked by the `acpi` fuzz target (`fuzz/`), which also
//!   requires every layout that builds to give a topology, zonelists and weights, and by
//!   `tests/firmware_tables.rs`.
//! * **An error names the table and the byte offset.** A malformed table gives
//!   [`Error::FirmwareTable`](crate::Error::FirmwareTable) `{ table, offset, what }`: the
//!   header field (signature 0, length 4, checksum 9; the slice length when the table is cut
//!   short) or the entry at fault. The offset is never beyond the slice.
//! * **Linux's fallbacks where Linux has them.** A SLIT Linux finds invalid is ignored and
//!   distances stay 10/20; an HMAT Linux rejects (unknown revision, a bad entry, a memory
//!   domain missing from the SRAT, a processor domain without a node) is ignored whole, so no
//!   access classes and weights stay 1; disabled and empty SRAT memory entries are skipped; a
//!   machine without SRAT, without enabled SRAT memory, or with RAM its nodes do not cover
//!   gets Linux's one node. [`TableUse`](crate::firmware::TableUse) and
//!   [`NumaSource`](crate::firmware::NumaSource) say which happened.
//! * **Errors where Linux gives up or has no defined behaviour**: header, length or checksum
//!   faults (Linux only warns about a checksum), entries of length 0, shorter than their
//!   header or running past the table, SRAT entries of the wrong size, more proximity
//!   domains than nodes (or a domain at or above
//!   [`MAX_PXM_DOMAINS`](crate::firmware::MAX_PXM_DOMAINS)), more memory ranges than
//!   [`NR_NODE_MEMBLKS`](crate::firmware::NR_NODE_MEMBLKS), two nodes' memory overlapping, a
//!   SLIT matrix larger than the table, a short MADT processor entry. Linux turns NUMA (or
//!   ACPI) off for these; [`NumaLayout::single_node`](crate::firmware::NumaLayout::single_node)
//!   builds the one-node machine it would boot with.
//! * **Deterministic.** The same bytes give the same layout; parsing allocates nothing (see
//!   above) and the layout allocates only at build time.
//!
//! Every fixture in `conformance/firmware/` (fourteen machines recorded on Linux 7.3, two also on
//! 6.12) must give Linux's node states, CPU numbers, distances, zonelist orders, HMAT access
//! classes and automatic weights line for line (`mpolsim/tests/firmware_fixtures.rs`).
//!
//! # Which Linux
//!
//! The crate follows two releases, each recorded on a real 4-node machine (the project's
//! conformance recordings): Linux 7.3 (7.3.4) and Linux 6.12 (6.12.117). Where they differ the
//! embedder picks one with [`Linux`](crate::Linux) (default 7.3); everything else is the same
//! in both recordings. Older and newer behaviour is followed only where neither release has
//! the feature.
//!
//! | behaviour | follows |
//! |---|---|
//! | syscalls, validation order, errno, `get_mempolicy` output, `numa_maps` text, zonelists built at boot | Linux 6.12 and 7.3 as recorded (identical) |
//! | which policies keep the caller's nodemask (`NUMA_BALANCING` on 6.12 too) | the [`Linux`](crate::Linux) profile ([`Linux::stores_user_nodemask`](crate::Linux::stores_user_nodemask), [`policy`](crate::policy#which-policies-keep-the-callers-nodemask)) |
//! | automatic weights from bandwidth, the `auto` sysfs file, a weight write switching the table to manual, weight 0 refused, `nodeN` files for memory nodes only and memory hotplug | 7.3 (6.16+); 6.12 has none of them and a file per possible node ([`weights`](crate::weights)) |
//! | an empty `cpuset.mems` after non-empty mems | accepted on 7.3, `ENOSPC` on 6.12 ([`Linux::allows_empty_cpuset_mems`](crate::Linux::allows_empty_cpuset_mems); for embedders with cpuset code) |
//! | cpuset rebinding with the effective mems (nodes with memory) | 6.12.117 and 7.3 ([`abi`](crate::abi#differences-from-linux)) |
//! | bandwidth as `min(read, write)` of HMAT access class 1, as QEMU's HMAT encodes it | 6.16+ (`mempolicy_set_node_perf`, [`topology`](crate::topology::Topology::from_nodes_spec)) |
//! | weighted interleave | 6.9+; single picks and bulk plans as mainline 6.9 to about 7.0, not the mid-2025 linux-next bulk series ([`interleave`](crate::interleave#bulk-plans-and-single-picks)) |
//! | a weight of 0 read as 1 by the pickers | no zero weight is ever stored (6.12's written 0 is stored as 1) ([`WeightSource`](crate::interleave::WeightSource)) |
//! | `Bind` with `__GFP_THISNODE` seeds the walk from the local or home node if it is in the policy's nodes, else their lowest | Linux before 4.7 (`policy_zonelist`); modern Linux only warns ([`select`](crate::select#differences-from-linux)) |
//! | per-VMA policy copies, never shared between ranges | 3.8+ (`mpol_dup` per VMA) |
//! | policies freed after a grace period | the CVE-2026-23415 fix (`kfree_rcu` in `__mpol_put`) |
//! | node-order zonelists; zone order on request | node order only since 4.14; zone order as before 4.14 ([`zonelist`](crate::zonelist)) |
//! | NUMA layout from ACPI SRAT/SLIT/HMAT/MADT (node numbering, CPU numbers, access classes) | Linux 7.3 on x86-64 as recorded ([`firmware`](crate::firmware)); 6.12 gives the same |
//! | GFP bit values, `GFP_NOWAIT` with `__GFP_NOWARN` | 6.10+ bit layout, 6.7+ `GFP_NOWAIT` ([`gfp`](crate::gfp)) |

/// How many times any lock of the crate was taken in this process (`--cfg mempolicy_audit`
/// builds only; see [the lock audit](self#lock-audit)).
#[cfg(mempolicy_audit)]
pub fn locks_taken() -> usize {
    crate::sync::audit::LOCKS_TAKEN.load(crate::sync::Ordering::Relaxed)
}

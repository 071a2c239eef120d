//! Embedding in a kernel: what a kernel provides, what it calls from which context, and a
//! complete skeleton to copy.
//!
//! This module holds no code; it is the chapter of the documentation that ties the layers
//! together from a kernel author's side.
//!
//! # What the kernel provides
//!
//! | what | how | Linux |
//! |---|---|---|
//! | a heap for `alloc` | a `#[global_allocator]` (any allocator works: the crate allocates only at boot, on writer paths and in system calls, never on an allocation path) | `kmalloc` |
//! | physical frames | a [`FrameSource`](crate::select::FrameSource): asked zone by zone in Linux's order, it hands back frames or `None` | the buddy allocator behind `get_page_from_freelist` |
//! | the machine | a [`Topology`](crate::topology::Topology) from firmware (SRAT, SLIT, HMAT), or built by hand | `numa_init` |
//! | CPU identity | the CPU's number on every call ([`CpuSlots`](crate::machine::CpuSlots) hands out that CPU's handle) | `smp_processor_id()` |
//! | tasks and mappings | a [`Task`](crate::abi::Task) per task and an [`AddressSpace`](crate::abi::AddressSpace) (or its own VMA tree behind [`Mappings`](crate::machine::Mappings)) per process, under the kernel's own locks | `task_struct`, `mm_struct` |
//! | user memory, page walks, migration | [`UserMemory`](crate::abi::UserMemory), [`PageNode`](crate::abi::PageNode), [`PageMover`](crate::abi::PageMover), [`MigrateHooks`](crate::abi::MigrateHooks), [`Privileges`](crate::abi::Privileges) | `copy_from_user`, `get_user_pages`, `migrate_pages` |
//!
//! # What it calls, and from where
//!
//! | context | calls | allocates? locks? |
//! |---|---|---|
//! | boot | [`Machine::new`](crate::machine::Machine::new) into a [`MachineCell`](crate::machine::MachineCell); [`CpuSlots::bring_up`](crate::machine::CpuSlots::bring_up) per CPU; firmware bandwidths into [`WeightTable::set_node_bandwidth`](crate::weights::WeightTable::set_node_bandwidth) | allocates |
//! | page fault | [`Cpu::alloc_fault`](crate::machine::Cpu::alloc_fault) (or [`alloc_vma`](crate::machine::Cpu::alloc_vma) with a mapping in hand), inside [`CpuSlots::with`](crate::machine::CpuSlots::with) | neither |
//! | kernel allocations of a task | [`Cpu::alloc_pages`](crate::machine::Cpu::alloc_pages), [`alloc_bulk`](crate::machine::Cpu::alloc_bulk), [`slab_node`](crate::machine::Cpu::slab_node) | neither |
//! | interrupt handlers | [`Cpu::alloc_interrupt`](crate::machine::Cpu::alloc_interrupt) inside [`CpuSlots::with_interrupt`](crate::machine::CpuSlots::with_interrupt): a second handle per CPU, free while the interrupted code holds the first | neither |
//! | idle loop, task code between pieces of work | [`CpuSlots::quiescent`](crate::machine::CpuSlots::quiescent) (the task handle) | neither |
//! | timer interrupt (or interrupts masked) | [`CpuSlots::quiescent_interrupt`](crate::machine::CpuSlots::quiescent_interrupt) (the interrupt handle, and the task handle unless it is lent) | neither |
//! | system calls | [`Machine::set_mempolicy`](crate::machine::Machine::set_mempolicy), [`get_mempolicy`](crate::machine::Machine::get_mempolicy), [`mbind`](crate::machine::Machine::mbind), [`set_mempolicy_home_node`](crate::machine::Machine::set_mempolicy_home_node), [`migrate_pages`](crate::machine::Machine::migrate_pages); page moves through [`Cpu::alloc_migration_target`](crate::machine::Cpu::alloc_migration_target) | may allocate (new policies, split ranges) |
//! | sysfs weight files | the setters of [`Machine::weights`](crate::machine::Machine::weights) | allocate a new table, take the weight lock |
//! | cpuset change | [`Machine::cpuset_rebind`](crate::machine::Machine::cpuset_rebind), then [`Machine::migrate_pages`](crate::machine::Machine::migrate_pages) with the pairs of [`migrate_pairs`](crate::abi::migrate_pairs) if the cpuset moves memory | may allocate |
//! | memory or node hotplug | [`Machine::update_topology`](crate::machine::Machine::update_topology) | allocates |
//! | a context that may free | [`Machine::reclaim`](crate::machine::Machine::reclaim) | frees |
//!
//! The allocation entry points take the CPU handle, the task (lent with
//! [`Task::lend`](crate::abi::Task::lend): borrowed, no reference count, no copy of its
//! cpuset), for a fault the address space, then the GFP flags and the order, and return the
//! frames the frame source handed back in a [`Page`](crate::select::Page) that says which
//! node and zone they came from, or [`Error::NoMemory`](crate::Error::NoMemory). The full
//! list of what never allocates, and how each claim is tested, is in
//! [`guarantees`](crate::guarantees).
//!
//! # How weights reach the allocation path
//!
//! The weighted-interleave weights live in the machine's
//! [`WeightTable`](crate::weights::WeightTable). A writer (a sysfs write, a firmware
//! bandwidth report) builds a new table and publishes it with one atomic swap; each CPU's
//! handle reads the current table with one acquire load on every allocation, and when it
//! sees a new one it reports a quiescent state on its way out. A retired table is freed by a
//! writer or by [`Machine::reclaim`](crate::machine::Machine::reclaim) once every CPU has
//! reported a quiescent state after the swap: CPUs that allocate do that by themselves, idle
//! CPUs through [`CpuSlots::quiescent`](crate::machine::CpuSlots::quiescent), interrupt
//! handles through [`CpuSlots::quiescent_interrupt`](crate::machine::CpuSlots::quiescent_interrupt)
//! from the timer, and an offline CPU holds nothing back once
//! [`CpuSlots::take_down`](crate::machine::CpuSlots::take_down) dropped its handles. The
//! machine state (topology and zonelists) is published the same way on hotplug, and so are
//! the policy trees of shared objects.
//!
//! A handle reports by itself only when it sees a new state or weight table. Policies
//! replaced by system calls and shared policy trees are retired without either changing,
//! so a CPU that allocates all the time and never idles would hold them back forever: every
//! CPU must pass the idle loop, the timer tick or an explicit
//! [`CpuSlots::quiescent`](crate::machine::CpuSlots::quiescent) now and then, as Linux's
//! RCU needs every CPU to pass a context switch, the idle loop or user mode.
//!
//! # How a cpuset change rebinds
//!
//! Give [`Machine::cpuset_rebind`](crate::machine::Machine::cpuset_rebind) the task, its
//! address space and the cpuset's *effective* memory nodes (the nodes it names that have
//! memory, or the parent's when none does). It changes the task's allowed nodes and rebinds
//! its policy and every range policy the way Linux's `mpol_rebind_task` and `mpol_rebind_mm`
//! do (static, relative and plain policies each their own way); a policy still held
//! elsewhere is copied, so holders keep the old one. Shared objects keep their policies, as
//! in Linux. If the cpuset migrates memory, move each pair of
//! [`migrate_pairs`](crate::abi::migrate_pairs) with the page mover.
//!
//! # A skeleton to copy
//!
//! The CPUs are threads and memory is a counter per node, so that the skeleton runs as a
//! test; every line the kernel writes around the crate is the same in a real kernel, and none
//! of it is `unsafe`. The kernel under `kernel/` in the repository does all of this on a real
//! machine booted under QEMU.
//!
//! ```
#![doc = include_str!("../examples/skeleton.rs")]
//! ```

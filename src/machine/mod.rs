//! The kernel-facing layer: one object for the machine, one handle per CPU, and one call per
//! Linux entry point, from a page fault to a frame (Linux: the memory-policy globals and the
//! allocation entry points of `mm/mempolicy.c`: `vma_alloc_folio`, `alloc_pages`,
//! `alloc_pages_bulk_mempolicy_noprof`, `mempolicy_slab_node`,
//! `alloc_migration_target_by_mpol`, `mpol_misplaced`).
//!
//! | Linux | here |
//! |---|---|
//! | `node_states[]`, `node_zonelists`, `policy_zone`, `wi_state`, `default_policy`, `preferred_node_policy[]` | [`Machine`] (in a `static`: [`MachineCell`]) |
//! | a CPU's RCU read side and `numa_node_id()` | [`Cpu`] (per-CPU `static`: [`CpuSlots`]) |
//! | `current->mempolicy`, `il_prev`, `il_weight`, `cpuset_current_mems_allowed` | [`TaskContext`](crate::select::TaskContext), lent by [`Task::lend`](crate::abi::Task::lend) |
//! | `__get_vma_policy` over the VMA tree and shared policies | [`Mappings`], implemented by [`AddressSpace`](crate::abi::AddressSpace) |
//! | `vma_alloc_folio` | [`Cpu::alloc_fault`] (from an address), [`Cpu::alloc_vma`] (from a found mapping) |
//! | `alloc_pages` (task context / interrupt) | [`Cpu::alloc_pages`] / [`Cpu::alloc_interrupt`] |
//! | `__alloc_pages_node` | [`Cpu::alloc_on_node`] |
//! | `alloc_pages_bulk_mempolicy_noprof` | [`Cpu::alloc_bulk`] |
//! | `mempolicy_slab_node` | [`Cpu::slab_node`] |
//! | `alloc_migration_target_by_mpol`, `alloc_migration_target` | [`Cpu::alloc_migration_target`] |
//! | `mpol_misplaced` | [`Cpu::misplaced`] |
//! | the memory-policy system calls, `cpuset_change_task_nodemask` | [`Machine::set_mempolicy`], [`Machine::get_mempolicy`], [`Machine::mbind`], [`Machine::set_mempolicy_home_node`], [`Machine::migrate_pages`], [`Machine::cpuset_rebind`] |
//! | node hotplug, `build_all_zonelists` | [`Machine::update_topology`] |
//!
//! Every allocation entry point takes the CPU handle (`&mut self`), the task (and for a
//! fault the address space), the GFP flags and the order, and returns the frames the
//! embedder's [`FrameSource`](crate::select::FrameSource) handed back, in a
//! [`Page`](crate::select::Page) that says where they came from. None of them allocates,
//! takes a lock or counts a reference: the machine state, the weights and shared policy
//! trees are read through the CPU's epoch reader, and the task and the mappings are
//! borrowed. How a kernel wires this up is the [guide](crate::guide).

#[cfg(not(loom))]
mod cell;
mod cpu;
mod mappings;
mod slots;
mod system;

#[cfg(not(loom))]
pub use cell::MachineCell;
pub use cpu::Cpu;
pub use mappings::Mappings;
pub use slots::CpuSlots;
pub use system::Machine;

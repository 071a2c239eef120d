//! The memory-policy system calls and the state they act on: per-task policy, per-range
//! policies of an address space, shared (shmem) policies (Linux: `set_mempolicy`,
//! `get_mempolicy`, `mbind`, `set_mempolicy_home_node`, `migrate_pages` and the VMA side of
//! `mm/mempolicy.c`).
//!
//! The syscalls take Linux's arguments as Linux does (`mode | flags` as an `i32`, user
//! nodemask pointers with `maxnode`, byte addresses and lengths, flag words), check them in
//! Linux's order, and return Linux's result or an [`Error`](crate::Error) whose `errno()` is
//! Linux's. A failing call changes nothing (except where Linux keeps partial work, as noted).
//! What only the embedding kernel can do goes through traits it implements: [`UserMemory`],
//! [`Privileges`], [`PageNode`], [`PageMover`], [`MigrateHooks`].
//!
//! | Linux | here |
//! |---|---|
//! | `current->mempolicy`, `il_prev`/`il_weight`, `mems_allowed` | [`Task`] |
//! | the VMAs of an `mm_struct` with `vm_policy`, `mbind_range` | [`AddressSpace`], [`Mapping`] |
//! | `mpol_rebind_task`, `mpol_rebind_mm` | [`Task::set_mems_allowed`], [`AddressSpace::rebind`], [`cpuset_rebind`] |
//! | `struct shared_policy`, `shared_policy_replace` | [`SharedPolicy`], [`SharedObject`] |
//! | `__get_vma_policy` (with shmem `get_policy`) | [`AddressSpace::policy_at`] |
//! | `set_mempolicy(2)` | [`set_mempolicy`] |
//! | `get_mempolicy(2)`, `do_get_mempolicy` | [`get_mempolicy`], [`query_policy`] |
//! | `mbind(2)` | [`mbind`] |
//! | `set_mempolicy_home_node(2)` | [`set_mempolicy_home_node`] |
//! | `migrate_pages(2)`, the pairs of `do_migrate_pages` | [`migrate_pages`], [`migrate_pairs`] |
//!
//! Neighbours: [`crate::policy`] builds and rebinds the policy objects,
//! [`crate::interleave`] holds the cursor and the interleave pickers.
//!
//! # Example
//! ```
//! use mempolicy::abi::{self, SystemNodes, Task, UserMemory};
//! use mempolicy::{Error, Result};
//!
//! /// User memory with one nodemask word at 0x1000.
//! struct User(u64);
//! impl UserMemory for User {
//!     fn read_u64(&mut self, addr: u64) -> Result<u64> {
//!         if addr == 0x1000 { Ok(self.0) } else { Err(Error::Fault(addr)) }
//!     }
//!     fn write_u64(&mut self, addr: u64, _: u64) -> Result<()> { Err(Error::Fault(addr)) }
//!     fn write_i32(&mut self, addr: u64, _: i32) -> Result<()> { Err(Error::Fault(addr)) }
//! }
//!
//! let nodes = SystemNodes::new("0-3".parse()?, "0-3".parse()?, "0-3".parse()?);
//! let mut task = Task::new("0-3".parse()?);
//! // set_mempolicy(MPOL_BIND | MPOL_F_STATIC_NODES, {1, 5}, 64)
//! abi::set_mempolicy(&mut task, &nodes, &mut User(0b10_0010), 2 | 0x8000, 0x1000, 64)?;
//! assert_eq!(task.policy().map(|p| p.to_string()).as_deref(), Some("bind=static:1"));
//! // A bad pointer: EFAULT, and the policy stays.
//! let err = abi::set_mempolicy(&mut task, &nodes, &mut User(0), 3, 0x2000, 64);
//! assert_eq!(err.map_err(Error::errno_name), Err("EFAULT"));
//! assert_eq!(task.policy().map(|p| p.to_string()).as_deref(), Some("bind=static:1"));
//! # Ok::<(), mempolicy::Error>(())
//! ```
//!
//! # Differences from Linux
//! * **Shared (shmem) objects** are a [`SharedObject`] the embedder creates per object and
//!   maps with [`AddressSpace::mmap_shared`]; that stands in for Linux's `vm_ops` hooks.
//!   Objects are not rebound on cpuset changes (Linux neither).
//! * **Every range is migratable**: no `VM_IO`/`VM_PFNMAP`/DAX/hugetlb exceptions; large
//!   folios are whatever pages the embedder reports.
//! * **`mmap` over a mapped range** fails with [`Error::InvalidRange`](crate::Error::InvalidRange) (`EINVAL`; Linux's
//!   `MAP_FIXED_NOREPLACE` gives `EEXIST`).
//! * **Migration targets** use the range's interleave index (`vm_pgoff` plus page offset),
//!   which is the folio index for anonymous memory; Linux rebases on the first queued folio,
//!   which differs only for file and shmem pages.
//! * **`migrate_pages`** has no "target has no mm" case; [`MigrateHooks`] can refuse instead.
//! * **Rebinding** uses the mask the embedder passes; pass the effective mems (nodes with
//!   memory), as Linux 6.12.117 and later do.
//! * With the default `MAX_NUMNODES` of 64, user nodemask bits 64 and up must be zero, so a
//!   mask naming node 1023 is `EINVAL` (Linux with 1024 nodes accepts and drops it).

mod env;
mod mbind;
mod migrate;
mod range;
mod shared;
mod space;
mod syscalls;
mod task;

pub use env::{
    MigrateHooks, MigrationTarget, PageAction, PageMover, PageNode, Privileges, SystemNodes,
    UserMemory,
};
pub use mbind::{mbind, MbindArgs};
pub use migrate::{migrate_pages, migrate_pairs, MigratePairs};
pub use range::{policies_equal, MergeKey, RangePolicy};
pub use shared::{SharedObject, SharedPolicy, MAX_PGOFF};
pub use space::{AddressSpace, Mapping};
pub use syscalls::{
    get_mempolicy, query_policy, set_mempolicy, set_mempolicy_home_node, GetMempolicyArgs,
    PolicyInfo,
};
pub use task::{cpuset_rebind, Task};

/// `get_mempolicy` flag: report a node instead of the mode (Linux: `MPOL_F_NODE`).
pub const F_NODE: u64 = 1 << 0;
/// `get_mempolicy` flag: report the policy of the range at `addr` (Linux: `MPOL_F_ADDR`).
pub const F_ADDR: u64 = 1 << 1;
/// `get_mempolicy` flag: report the cpuset nodes (Linux: `MPOL_F_MEMS_ALLOWED`).
pub const F_MEMS_ALLOWED: u64 = 1 << 2;

/// `mbind` flag: fail if pages do not follow the policy (Linux: `MPOL_MF_STRICT`).
pub const MF_STRICT: u64 = 1 << 0;
/// `mbind` flag: move pages that do not follow the policy (Linux: `MPOL_MF_MOVE`).
pub const MF_MOVE: u64 = 1 << 1;
/// `mbind` flag: move shared pages too; privileged (Linux: `MPOL_MF_MOVE_ALL`).
pub const MF_MOVE_ALL: u64 = 1 << 2;
/// The `mbind` flags user space may pass (Linux: `MPOL_MF_VALID`).
pub const MF_VALID: u64 = MF_STRICT | MF_MOVE | MF_MOVE_ALL;

#[cfg(test)]
mod tests;

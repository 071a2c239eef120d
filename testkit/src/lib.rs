//! The test kit of `mempolicy`: one fake kernel that embeds the crate the way a real kernel
//! does, shared by the crate's integration tests, its fuzz targets and `mpolsim`.
//!
//! | piece | what it stands in for |
//! |---|---|
//! | [`Kernel`] | the embedding kernel: a [`Machine`](mempolicy::machine::Machine), one [`Cpu`](mempolicy::machine::Cpu) handle per CPU, and everything the system calls ask of the embedder ([`UserMemory`](mempolicy::abi::UserMemory), [`Privileges`](mempolicy::abi::Privileges), [`PageNode`](mempolicy::abi::PageNode), [`PageMover`](mempolicy::abi::PageMover), [`MigrateHooks`](mempolicy::abi::MigrateHooks)) |
//! | [`User`] | a process's user memory: nodemask buffers and the policy word |
//! | [`Frames`] | the page allocator's free lists: a [`FrameSource`](mempolicy::select::FrameSource) with per-zone limits, full nodes and a log |
//! | [`Pages`] | the page tables' view of present pages and their nodes |
//! | [`Hostile`] | an embedder that answers every hook with extreme values, for edge-value tests |
//! | [`script`] | the conformance oracle's script language |
//! | [`recorded`] | the recordings of real Linux kernels in `conformance/` |
//!
//! Every placement the kit makes goes through the crate's kernel-facing layer, as a real
//! kernel's would: faults through [`Cpu::alloc_fault`](mempolicy::machine::Cpu::alloc_fault),
//! kernel pages through [`Cpu::alloc_pages`](mempolicy::machine::Cpu::alloc_pages), migration
//! targets through [`Cpu::alloc_migration_target`](mempolicy::machine::Cpu::alloc_migration_target).

mod frames;
mod hostile;
mod kernel;
mod pages;
pub mod recorded;
pub mod script;
mod user;

pub use frames::{Frame, Frames};
pub use hostile::{Hostile, HOSTILE_POLICY, HOSTILE_USER, HOSTILE_USER_WORDS};
pub use kernel::{Failures, Kernel, Process};
pub use pages::{PageKind, Pages, Resident};
pub use user::{User, MASK_A, MASK_B, MASK_WORDS, POLICY_WORD};

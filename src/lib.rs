//! NUMA memory policies for hobby kernels and unikernels: Linux's `mm/mempolicy.c` and the
//! page allocator's node and zone choice, as a `no_std` library.
//!
//! Placeholder crate docs; replaced when the README lands.
#![no_std]
#![cfg_attr(
    not(test),
    warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(test, loom, feature = "std"))]
extern crate std;

mod error;
pub mod gfp;
pub mod interleave;
pub mod nodemask;
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
pub use nodemask::{NodeId, NodeMask, MAX_NUMNODES};

/// The page size the Linux ABI assumes (x86-64: 4 KiB); it bounds user nodemasks to
/// `PAGE_SIZE * 8` bits.
pub const PAGE_SIZE: u64 = 4096;

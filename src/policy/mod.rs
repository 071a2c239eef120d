//! Memory policies (Linux: `struct mempolicy` and its life cycle in `mm/mempolicy.c`).
//!
//! A [`Mempolicy`] is a [`Mode`] with [`ModeFlags`], the effective nodes, an optional home
//! node and a second mask ([`StoredMask`], Linux's `w` union). This module covers:
//!
//! | Linux | here |
//! |---|---|
//! | `sanitize_mpol_flags` | [`Mempolicy::sanitize_mode`] |
//! | `mpol_new` + `mpol_set_nodemask` | [`Mempolicy::create`], [`Mempolicy::from_raw`] |
//! | `mpol_rebind_policy` | [`Mempolicy::rebind`] |
//! | `__mpol_equal` | [`Mempolicy::is_equal`] (and `==`) |
//! | `mpol_to_str` / `mpol_parse_str` | `Display` / [`parse_mpol`] |
//! | `default_policy`, `preferred_node_policy[]`, `get_task_policy` | [`PolicyDefaults`] |
//! | `numa_policy_init` (boot interleave) | [`boot_interleave_nodes`] |
//! | `mpol_shared_policy_init` (template to policy) | [`Mempolicy::contextualize`] |
//! | `mpol_get` / `mpol_put`, `vma->vm_policy` | [`PolicyRef`], [`PolicySlot`] |
//!
//! Which policy applies to an allocation, and which node it picks, is for the selection
//! code built on top of this module.
//!
//! # Which policies keep the caller's nodemask
//!
//! Linux stores either the caller's nodemask or the cpuset nodes in one union, chosen by
//! `mpol_store_user_nodemask`, and the answer depends on the kernel release, which a policy
//! takes from its [`NodeContext`] and keeps ([`Linux::stores_user_nodemask`]):
//!
//! * Linux 6.12 tests *any* mode flag, so a `Bind | NUMA_BALANCING` policy keeps the
//!   caller's nodemask, reports it through `get_mempolicy`, compares it in `__mpol_equal`,
//!   and on rebind reads it back as if it were the old cpuset. With node 1 memoryless,
//!   `set_mempolicy(MPOL_BIND | MPOL_F_NUMA_BALANCING, {0,1})` then `get_mempolicy` reports
//!   `nodes=0-1` on the recorded 6.12 kernel.
//! * Linux 7.3 tests static and relative only (`MPOL_USER_NODEMASK_FLAGS`, since 7.0), so a
//!   `NUMA_BALANCING` policy behaves like one without flags: `get_mempolicy` reports the
//!   nodes in effect (`nodes=0` in the example), two VMAs whose policies differ only in the
//!   caller's mask merge, and a cpuset change remaps from the remembered cpuset.
//!
//! ```
//! use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
//! use mempolicy::Linux;
//! let memory = "0,2-3".parse()?; // node 1 has no memory
//! for (linux, reported) in [(Linux::V6_12, "0-1"), (Linux::V7_3, "0")] {
//!     let ctx = NodeContext::unrestricted(memory).with_linux(linux);
//!     let pol = Mempolicy::create(Mode::Bind, ModeFlags::NUMA_BALANCING, &"0-1".parse()?, &ctx)?
//!         .expect("a policy");
//!     assert_eq!(pol.nodes().to_string(), "0");
//!     assert_eq!(pol.user_visible_nodes().to_string(), reported);
//! }
//! # Ok::<(), mempolicy::Error>(())
//! ```
//!
//! # Differences from Linux
//!
//! * Linux recognises its built-in policies by address (`pol == &default_policy`); here a
//!   policy remembers whether it was built by [`Mempolicy::default_policy`] or
//!   [`Mempolicy::preferred_node_policy`], and clones keep that mark.
//! * Linux's union is untyped; [`StoredMask`] labels it, but rebinding treats it as the
//!   raw bits exactly as Linux does.

mod defaults;
mod mempolicy;
mod mode;
mod rebind;
mod refs;
mod text;

pub use defaults::{boot_interleave_nodes, PolicyDefaults};
pub use mempolicy::{Mempolicy, NodeContext, StoredMask};
pub use mode::{Mode, ModeFlags, PolicyFlags};
pub use refs::{PolicyRef, PolicySlot};
pub use text::parse_mpol;

#[cfg(doc)]
use crate::Linux;

#[cfg(test)]
mod tests;

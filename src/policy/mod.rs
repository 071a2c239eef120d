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
//! `mpol_store_user_nodemask`. The kernel snapshot L-next (and 6.12) tests *any* mode flag,
//! so a `Bind | NUMA_BALANCING` policy keeps the caller's nodemask, reports it through
//! `get_mempolicy`, and on rebind reads it back as if it were the old cpuset (a bug).
//! Newer kernels test `MPOL_USER_NODEMASK_FLAGS` (static or relative) only. Both rules give
//! the recorded 6.12 answers (smoke L40 `mode=BIND|NUMA_BALANCING nodes=0-1` asks for nodes
//! that are all allowed, so user and effective nodes agree; no recording rebinds or
//! restricts a balancing policy), so this crate follows the newer rule
//! ([`ModeFlags::USER_NODEMASK`]).
//!
//! # Differences from Linux
//!
//! * Linux recognises its built-in policies by address (`pol == &default_policy`); here a
//!   policy remembers whether it was built by [`Mempolicy::default_policy`] or
//!   [`Mempolicy::preferred_node_policy`], and clones keep that mark.
//! * Linux's union is untyped; [`StoredMask`] labels it, but rebinding treats it as the
//!   raw bits exactly as Linux does.

mod create;
mod defaults;
mod mode;
mod rebind;
mod refs;
mod text;

pub use create::{Mempolicy, NodeContext, StoredMask};
pub use defaults::{boot_interleave_nodes, PolicyDefaults};
pub use mode::{Mode, ModeFlags, PolicyFlags};
pub use refs::{PolicyRef, PolicySlot};
pub use text::parse_mpol;

#[cfg(test)]
mod tests;

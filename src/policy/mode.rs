//! Policy modes and flags: the `MPOL_*` numbers of the user ABI (Linux:
//! `include/uapi/linux/mempolicy.h`) and the internal flags Linux keeps beside them.

use core::fmt;

use crate::error::{Error, Result};

/// A memory-policy mode (Linux: `enum { MPOL_DEFAULT, ... }`), numbered as in the user ABI.
///
/// # Examples
/// ```
/// use mempolicy::policy::Mode;
/// assert_eq!(Mode::from_raw(2)?, Mode::Bind);
/// assert_eq!(Mode::WeightedInterleave.as_raw(), 6);
/// assert!(Mode::from_raw(7).is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Mode {
    /// No policy of its own: fall back to the next level (Linux: `MPOL_DEFAULT`).
    Default = 0,
    /// Try one node first, then fall back (Linux: `MPOL_PREFERRED`).
    Preferred = 1,
    /// Allocate only from the nodes of the mask (Linux: `MPOL_BIND`).
    Bind = 2,
    /// Spread pages over the nodes of the mask, one each in turn (Linux: `MPOL_INTERLEAVE`).
    Interleave = 3,
    /// Allocate on the node of the current CPU (Linux: `MPOL_LOCAL`).
    Local = 4,
    /// Try the nodes of the mask first, then fall back (Linux: `MPOL_PREFERRED_MANY`).
    PreferredMany = 5,
    /// Interleave in proportion to per-node weights (Linux: `MPOL_WEIGHTED_INTERLEAVE`).
    WeightedInterleave = 6,
}

impl Mode {
    /// Every mode, in ABI order.
    pub const ALL: [Mode; 7] = [
        Mode::Default,
        Mode::Preferred,
        Mode::Bind,
        Mode::Interleave,
        Mode::Local,
        Mode::PreferredMany,
        Mode::WeightedInterleave,
    ];

    /// Returns the mode with ABI number `raw` (Linux: the `mode < MPOL_MAX` check).
    ///
    /// # Errors
    /// [`Error::UnknownMode`] for anything but `0..=6`.
    pub const fn from_raw(raw: i32) -> Result<Mode> {
        Ok(match raw {
            0 => Mode::Default,
            1 => Mode::Preferred,
            2 => Mode::Bind,
            3 => Mode::Interleave,
            4 => Mode::Local,
            5 => Mode::PreferredMany,
            6 => Mode::WeightedInterleave,
            _ => return Err(Error::UnknownMode(raw)),
        })
    }

    /// Returns the ABI number of the mode (Linux: `MPOL_*`).
    pub const fn as_raw(self) -> i32 {
        self as i32
    }

    /// Returns the name `mpol_to_str` and `mpol_parse_str` use (Linux: `policy_modes[]`):
    /// `default`, `prefer`, `bind`, `interleave`, `local`, `prefer (many)`,
    /// `weighted interleave`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Default => "default",
            Mode::Preferred => "prefer",
            Mode::Bind => "bind",
            Mode::Interleave => "interleave",
            Mode::Local => "local",
            Mode::PreferredMany => "prefer (many)",
            Mode::WeightedInterleave => "weighted interleave",
        }
    }

    /// Returns the ABI constant name without its `MPOL_` prefix (`BIND`), as the conformance
    /// oracle prints it.
    pub const fn uapi_name(self) -> &'static str {
        match self {
            Mode::Default => "DEFAULT",
            Mode::Preferred => "PREFERRED",
            Mode::Bind => "BIND",
            Mode::Interleave => "INTERLEAVE",
            Mode::Local => "LOCAL",
            Mode::PreferredMany => "PREFERRED_MANY",
            Mode::WeightedInterleave => "WEIGHTED_INTERLEAVE",
        }
    }

    /// Returns whether the mode is one of the two interleaving modes.
    #[inline]
    pub const fn is_interleave(self) -> bool {
        // One shift of a bit set of the two modes, with no branch: the fault path asks twice.
        const INTERLEAVING: u16 =
            (1 << Mode::Interleave as u16) | (1 << Mode::WeightedInterleave as u16);
        (INTERLEAVING >> self as u16) & 1 != 0
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags::bitflags! {
    /// Mode flags a caller ORs into the `mode` argument (Linux: `MPOL_F_*` of
    /// `MPOL_MODE_FLAGS`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ModeFlags: u16 {
        /// The nodemask is absolute and survives cpuset changes as given
        /// (Linux: `MPOL_F_STATIC_NODES`).
        const STATIC_NODES = 1 << 15;
        /// The nodemask is relative to the cpuset's nodes (Linux: `MPOL_F_RELATIVE_NODES`).
        const RELATIVE_NODES = 1 << 14;
        /// Let NUMA balancing move pages within the mask (Linux: `MPOL_F_NUMA_BALANCING`);
        /// only with [`Mode::Bind`] and [`Mode::PreferredMany`].
        const NUMA_BALANCING = 1 << 13;
    }
}

impl ModeFlags {
    /// Static and relative: the pair `sanitize_mpol_flags` refuses together, and the flags
    /// that keep the caller's nodemask since Linux 7.0 (Linux: `MPOL_USER_NODEMASK_FLAGS`;
    /// see [`Linux::stores_user_nodemask`](crate::Linux::stores_user_nodemask)).
    pub const USER_NODEMASK: ModeFlags = ModeFlags::STATIC_NODES.union(ModeFlags::RELATIVE_NODES);
}

impl fmt::Display for ModeFlags {
    /// Prints the flags as the conformance oracle does after the mode: `|STATIC_NODES`,
    /// `|RELATIVE_NODES`, `|NUMA_BALANCING`, in that order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (flag, name) in [
            (ModeFlags::STATIC_NODES, "|STATIC_NODES"),
            (ModeFlags::RELATIVE_NODES, "|RELATIVE_NODES"),
            (ModeFlags::NUMA_BALANCING, "|NUMA_BALANCING"),
        ] {
            if self.contains(flag) {
                f.write_str(name)?;
            }
        }
        Ok(())
    }
}

bitflags::bitflags! {
    /// Flags Linux keeps in the same `u16` as the mode flags but never shows to user space
    /// (Linux: `MPOL_F_SHARED`, `MPOL_F_MOF`, `MPOL_F_MORON`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PolicyFlags: u16 {
        /// The policy belongs to a shared (shmem) policy tree and lookups return an extra
        /// reference (Linux: `MPOL_F_SHARED`).
        const SHARED = 1 << 0;
        /// Migrate misplaced pages on fault (Linux: `MPOL_F_MOF`).
        const MOF = 1 << 3;
        /// Migrate on protnone reference to the referencing node (Linux: `MPOL_F_MORON`).
        const MORON = 1 << 4;
    }
}

//! The kernel profile: which Linux release the crate reproduces where releases differ.
//!
//! The crate follows two releases, each recorded on a real kernel: Linux 6.12 (6.12.117) and
//! Linux 7.3 (7.3.4). Almost everything this crate models is the same in both; the few
//! behaviours that changed are listed on [`Linux`], each with the title of the Linux commit
//! that changed it. The embedder picks one [`Linux`] value, at boot:
//! [`Machine::for_linux`](crate::machine::Machine::for_linux) takes it and passes it on.
//! Without the machine layer, pass it to the pieces whose behaviour depends on it:
//! [`NodeContext`](crate::policy::NodeContext) (policy creation, and
//! through the policy its equality and rebinding), [`WeightTable`](crate::weights::WeightTable)
//! (the weighted-interleave sysfs files and automatic weights) and
//! [`SystemNodes`](crate::abi::SystemNodes) (the syscall layer, which builds the context).
//!
//! ```
//! use mempolicy::abi::SystemNodes;
//! use mempolicy::policy::NodeContext;
//! use mempolicy::rcu::Domain;
//! use mempolicy::topology::Topology;
//! use mempolicy::weights::WeightTable;
//! use mempolicy::Linux;
//!
//! let linux = Linux::V6_12; // or Linux::default(), 7.3
//! let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 bw=100000,100000,25000,25000")?;
//! let weights = WeightTable::boot(linux, &topo, Domain::new()); // sysfs files, automatic weights
//! let syscalls = SystemNodes::from(&topo).with_linux(linux); // set_mempolicy, mbind
//! let ctx = NodeContext::unrestricted(*topo.memory_nodes()).with_linux(linux); // Mempolicy::create
//! assert!(!weights.is_auto() && syscalls.linux == ctx.linux);
//! # Ok::<(), mempolicy::Error>(())
//! ```

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, Result};
use crate::policy::ModeFlags;

/// A Linux release whose behaviour the crate reproduces (the kernel profile).
///
/// The default is the newest, [`Linux::V7_3`]. Each method below is one behaviour that
/// differs between the releases, named after what it decides; its documentation gives the
/// Linux commit that changed it.
///
/// # Examples
/// ```
/// use mempolicy::policy::ModeFlags;
/// use mempolicy::Linux;
///
/// assert_eq!(Linux::default(), Linux::V7_3);
/// assert_eq!("6.12".parse::<Linux>()?, Linux::V6_12);
/// assert!(Linux::V6_12.stores_user_nodemask(ModeFlags::NUMA_BALANCING));
/// assert!(!Linux::V7_3.stores_user_nodemask(ModeFlags::NUMA_BALANCING));
/// assert!(Linux::V7_3.has_auto_weights() && !Linux::V6_12.has_auto_weights());
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Linux {
    /// Linux 6.12 (recorded on Debian's 6.12.117): a `NUMA_BALANCING` policy keeps the
    /// caller's nodemask, a weight file exists for every possible node and takes 0 (read
    /// back as 1), there is no `auto` file and no automatic weights, and a populated
    /// cgroup-v2 cpuset refuses an empty `cpuset.mems`.
    V6_12,
    /// Linux 7.3 (recorded on Debian's 7.3.4): every change since 6.12 that this crate can
    /// observe, listed on the methods of [`Linux`].
    #[default]
    V7_3,
}

impl Linux {
    /// Every supported release, oldest first.
    pub const ALL: [Linux; 2] = [Linux::V6_12, Linux::V7_3];

    /// Returns the release number as the crate names it: `"6.12"` or `"7.3"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Linux::V6_12 => "6.12",
            Linux::V7_3 => "7.3",
        }
    }

    /// Returns whether a policy with mode flags `flags` keeps the caller's nodemask instead
    /// of the cpuset's nodes (Linux: `mpol_store_user_nodemask`).
    ///
    /// Static and relative policies keep it in both releases. Linux 6.12 tests every mode
    /// flag (`MPOL_MODE_FLAGS`), so a `NUMA_BALANCING` policy keeps it too: `get_mempolicy`
    /// reports the caller's mask, VMAs whose policies differ only in that mask do not merge,
    /// and a cpuset change remaps the effective nodes from the caller's mask as if it were
    /// the old cpuset. Linux 7.0 tests `MPOL_USER_NODEMASK_FLAGS` (static or relative) only,
    /// so such a policy behaves like one without flags ("mm/mempolicy: fix
    /// mpol_rebind_nodemask() for MPOL_F_NUMA_BALANCING").
    pub const fn stores_user_nodemask(self, flags: ModeFlags) -> bool {
        let kept = match self {
            Linux::V6_12 => ModeFlags::all(),
            Linux::V7_3 => ModeFlags::USER_NODEMASK,
        };
        flags.intersects(kept)
    }

    /// Returns whether the kernel computes weighted-interleave weights from node bandwidths
    /// and has the `weighted_interleave/auto` file (Linux 6.16, "mm/mempolicy: Weighted
    /// Interleave Auto-tuning").
    ///
    /// With it: the table starts in automatic mode; a bandwidth report
    /// (`mempolicy_set_node_perf`, from ACPI HMAT or CXL) recomputes every weight while the
    /// mode is automatic; `auto` reads `true`/`false`, takes `kstrtobool` text, refuses
    /// `true` with `ENODEV` while no bandwidth was ever reported, and writing the mode it
    /// already has changes nothing; any weight written to a `nodeN` file switches the table
    /// to manual. Without it (6.12) there is no `auto` file (`ENOENT`) and bandwidths never
    /// reach the weights.
    pub const fn has_auto_weights(self) -> bool {
        matches!(self, Linux::V7_3)
    }

    /// Returns whether a `nodeN` weight file takes `0` and an empty write, meaning "the
    /// default weight", read back as 1 (Linux 6.12). Linux 6.16 answers `EINVAL` to both
    /// (also "mm/mempolicy: Weighted Interleave Auto-tuning").
    pub const fn accepts_zero_weight(self) -> bool {
        matches!(self, Linux::V6_12)
    }

    /// Returns whether the `nodeN` weight files exist only for nodes with memory, created
    /// when a node gets its first memory and removed when it loses its last (Linux 6.16,
    /// "mm/mempolicy: support memory hotplug in weighted interleave"; driven by
    /// `NODE_ADDED_FIRST_MEMORY` / `NODE_REMOVED_LAST_MEMORY` since 6.17, "mm,mempolicy: use
    /// node-notifier instead of memory-notifier"). Linux 6.12 has a file for every possible
    /// node, whatever its memory.
    pub const fn weight_files_follow_memory(self) -> bool {
        matches!(self, Linux::V7_3)
    }

    /// Returns whether a cgroup-v2 cpuset that holds tasks accepts an empty `cpuset.mems`
    /// after non-empty mems (it then inherits its parent's nodes). Linux 6.12 answers
    /// `ENOSPC`; Linux 7.0 keeps that rule for cgroup v1 only ("cgroup/cpuset: Move the v1
    /// empty cpus/mems check to cpuset1_validate_change()"). This crate has no cpuset code;
    /// the answer is for embedders that implement the cgroup file.
    pub const fn allows_empty_cpuset_mems(self) -> bool {
        matches!(self, Linux::V7_3)
    }
}

impl fmt::Display for Linux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Linux {
    type Err = Error;

    /// Parses a release as [`Linux::as_str`] prints it: `"6.12"` or `"7.3"`.
    ///
    /// # Errors
    /// [`Error::Parse`] (offset 0) for anything else.
    fn from_str(text: &str) -> Result<Linux> {
        Linux::ALL
            .into_iter()
            .find(|linux| linux.as_str() == text)
            .ok_or(Error::Parse(0))
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for linux in Linux::ALL {
            assert_eq!(linux.to_string().parse::<Linux>(), Ok(linux));
        }
        for text in [
            "", "6", "6.12.117", "7.3.4", "7.3 ", " 6.12", "v7.3", "7_3", "latest",
        ] {
            assert_eq!(text.parse::<Linux>(), Err(Error::Parse(0)), "{text:?}");
        }
        assert!(Linux::V6_12 < Linux::V7_3);
        assert_eq!(
            Linux::default(),
            *Linux::ALL.last().unwrap_or(&Linux::V6_12)
        );
    }

    #[test]
    fn only_static_and_relative_keep_the_mask_on_7_3() {
        let balancing = ModeFlags::NUMA_BALANCING;
        for flags in [ModeFlags::STATIC_NODES, ModeFlags::RELATIVE_NODES] {
            for linux in Linux::ALL {
                assert!(linux.stores_user_nodemask(flags));
                assert!(linux.stores_user_nodemask(flags | balancing));
            }
        }
        assert!(Linux::V6_12.stores_user_nodemask(balancing));
        assert!(!Linux::V7_3.stores_user_nodemask(balancing));
        for linux in Linux::ALL {
            assert!(!linux.stores_user_nodemask(ModeFlags::empty()));
        }
    }

    #[test]
    fn the_sysfs_and_cpuset_rules_change_together() {
        assert_eq!(
            (
                Linux::V6_12.has_auto_weights(),
                Linux::V6_12.accepts_zero_weight(),
                Linux::V6_12.weight_files_follow_memory(),
                Linux::V6_12.allows_empty_cpuset_mems(),
            ),
            (false, true, false, false)
        );
        assert_eq!(
            (
                Linux::V7_3.has_auto_weights(),
                Linux::V7_3.accepts_zero_weight(),
                Linux::V7_3.weight_files_follow_memory(),
                Linux::V7_3.allows_empty_cpuset_mems(),
            ),
            (true, false, true, true)
        );
    }
}

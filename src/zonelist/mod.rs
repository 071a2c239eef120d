//! Zonelists: the ordered zones an allocation tries (Linux: `struct zonelist`,
//! `build_all_zonelists()` and the zonelist iterators of `include/linux/mmzone.h`).
//!
//! Each possible node has two lists ([`ZonelistKind`]): `Fallback`, every memory node's
//! populated zones with the nearest nodes first (Linux's `find_next_best_node()` order, with
//! `node_load` spreading equidistant nodes), and `NoFallback`, the node's own zones for
//! `__GFP_THISNODE`. [`Zonelists`] holds the lists of all nodes, [`Zonelist`] one list, and
//! [`Zonelist::iter`] / [`Zonelist::first_zone`] walk it bounded by the highest zone and an
//! optional nodemask without allocating. [`ZonelistOrder::Zone`] rebuilds the zone-major
//! order Linux dropped in 4.14.
//!
//! [`SharedZonelists`] is the concurrent form: lock-free readers, whole-set replacement on
//! hotplug through [`crate::rcu`] (where Linux uses the `zonelist_update_seq` seqlock).
//! [`apply_policy_zone`] is `mm/mempolicy.c`'s rule for which zones a policy restricts.
//!
//! Neighbours: [`crate::topology`] describes the machine, [`crate::gfp`] turns GFP flags into
//! the highest zone and the list kind.

mod build;
mod list;
mod policy;
mod set;
mod shared;
#[cfg(test)]
mod tests;

pub use crate::gfp::ZonelistKind;
pub use build::{ZonelistConfig, ZonelistOrder};
pub use list::{ZoneIter, ZoneRef, Zonelist};
pub use policy::apply_policy_zone;
pub use set::Zonelists;
pub use shared::SharedZonelists;

//! Weighted-interleave weights (Linux: `struct weighted_interleave_state`, `wi_state`,
//! `get_il_weight`, `reduce_interleave_weights`, `mempolicy_set_node_perf` and the
//! `/sys/kernel/mm/mempolicy/weighted_interleave/` files).
//!
//! [`WeightTable`] holds one `u8` weight per node plus the auto flag. Linux reads it on every
//! weighted-interleave allocation under RCU and replaces it whole under `wi_state_lock`; here
//! each CPU reads it through its own [`WeightReader`] (lock-free, allocation-free, no locked
//! instruction), and writers serialize on a spin lock, publish a new table with one atomic
//! swap and retire the old one into an epoch [`Domain`](crate::rcu::Domain), where it is freed
//! on a writer path once every reader has passed a quiescent state.
//!
//! A table follows one kernel release ([`Linux`](crate::Linux)). On Linux 7.3 (6.16+): a node
//! never set weighs 1; setting a weight (1..=255) makes the whole table manual; automatic
//! mode derives every weight from bandwidths with [`reduce_interleave_weights`]; bandwidth
//! updates only change weights in automatic mode; the `nodeN` files exist for the nodes with
//! memory and follow memory hotplug ([`WeightTable::memory_online`],
//! [`WeightTable::memory_offline`]). On Linux 6.12 there is no automatic mode and no `auto`
//! file, every possible node has a `nodeN` file, and a written 0 means weight 1.
//! [`WeightTable::boot`] gives the state after boot on a [`Topology`](crate::topology::Topology)
//! (automatic weights from its HMAT bandwidths on 7.3). The `sysfs` text forms (`kstrtou8` /
//! `kstrtobool` parsing) are in [`parse_weight`] and [`parse_bool`] and the
//! `store_*`/`show_*` methods.

mod cells;
mod nodes;
mod reader;
mod reduce;
mod sysfs;
mod table;
#[cfg(all(test, not(loom)))]
mod tests;

pub use reader::{WeightReader, WeightView};
pub use reduce::{reduce_interleave_weights, WEIGHTINESS};
pub use sysfs::{parse_bool, parse_weight};
pub(crate) use table::Table;
pub use table::{WeightTable, Weights};

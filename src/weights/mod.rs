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
//! Semantics follow Linux 6.16+: a node never set weighs 1; setting a weight (1..=255) makes
//! the whole table manual; automatic mode derives every weight from bandwidths with
//! [`reduce_interleave_weights`]; bandwidth updates only change weights in automatic mode.
//! The `sysfs` text forms (`kstrtou8` / `kstrtobool` parsing) are in [`parse_weight`] and
//! [`parse_bool`] and the `store_*`/`show_*` methods; [`parse_weight_before_6_16`] gives the
//! older kernels' answer to a written 0.

mod cells;
mod reader;
mod reduce;
mod sysfs;
mod table;
#[cfg(all(test, not(loom)))]
mod tests;

pub use reader::{WeightReader, WeightView};
pub use reduce::{reduce_interleave_weights, WEIGHTINESS};
pub use sysfs::{parse_bool, parse_weight, parse_weight_before_6_16};
pub(crate) use table::Table;
pub use table::{WeightTable, Weights};

//! [`MachineCell`]: a [`Machine`] in a `static`, initialised once at boot (Linux: the
//! memory-policy globals, set up by `numa_policy_init`).

use core::fmt;

use super::system::Machine;
use crate::error::Result;
use crate::sync::Once;

/// A [`Machine`] for a `static`: empty at compile time, built once at boot, then read by
/// every CPU without a lock.
///
/// # Examples
/// ```
/// use mempolicy::machine::{Machine, MachineCell};
/// use mempolicy::topology::Topology;
///
/// static MACHINE: MachineCell = MachineCell::new();
///
/// assert!(MACHINE.get().is_none());
/// MACHINE.try_init(|| Ok(Machine::new(Topology::from_nodes_spec("nodes=2")?)))?;
/// let machine = MACHINE.get().expect("initialised");
/// assert_eq!(machine.with_topology(|t| t.nr_node_ids()), 2);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct MachineCell {
    once: Once<Machine>,
}

impl MachineCell {
    /// Returns an empty cell (a `const fn`, for a `static`).
    pub const fn new() -> Self {
        Self { once: Once::new() }
    }

    /// Builds the machine with `make` unless it was built already, and returns it. Other
    /// CPUs calling at the same time wait for the first one's `make`.
    pub fn init(&self, make: impl FnOnce() -> Machine) -> &Machine {
        self.once.call_once(make)
    }

    /// Builds the machine with `make` unless it was built already, and returns it.
    ///
    /// # Errors
    /// Whatever `make` returns; the cell stays empty then, and a later call may try again.
    pub fn try_init(&self, make: impl FnOnce() -> Result<Machine>) -> Result<&Machine> {
        self.once.try_call_once(make)
    }

    /// Returns the machine, if it was built.
    pub fn get(&self) -> Option<&Machine> {
        self.once.get()
    }
}

impl Default for MachineCell {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MachineCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineCell")
            .field("machine", &self.get())
            .finish()
    }
}

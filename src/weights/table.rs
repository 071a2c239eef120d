//! The shared weight table and its writers (Linux: `wi_state`, `wi_state_lock`,
//! `node_store`, `weighted_interleave_auto_store`, `mempolicy_set_node_perf`,
//! `wi_node_notifier`).

use core::fmt;

use super::cells::Cells;
use super::reduce::reduce_interleave_weights;
use crate::error::{Error, Result};
use crate::linux::Linux;
use crate::rcu::{Domain, RcuCell};
use crate::sync::Mutex;
use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// A copy of the weighted-interleave state: one weight per node and the auto flag (Linux:
/// `struct weighted_interleave_state`).
///
/// A plain value: reading it needs no reader and never changes under you.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weights {
    auto: bool,
    weights: [u8; MAX_NUMNODES],
}

impl Weights {
    /// The state before any configuration: automatic mode, every weight 1 (Linux: a `NULL`
    /// `wi_state`).
    pub const INITIAL: Weights = Weights {
        auto: true,
        weights: [1; MAX_NUMNODES],
    };

    /// The state at boot on kernel release `linux`: [`Weights::INITIAL`] where the kernel
    /// has automatic weights, else (Linux 6.12, which has no automatic mode) every weight 1
    /// in manual mode.
    pub const fn initial(linux: Linux) -> Weights {
        Weights {
            auto: linux.has_auto_weights(),
            weights: [1; MAX_NUMNODES],
        }
    }

    /// Returns the weight of `node`, always in `1..=255` (Linux: `get_il_weight`).
    pub const fn get(&self, node: NodeId) -> u8 {
        // The fallback is never taken: a `NodeId` is below `MAX_NUMNODES`.
        match self.weights.split_at_checked(node.index()) {
            Some((_, [weight, ..])) => *weight,
            _ => 1,
        }
    }

    /// Returns whether the weights were computed from bandwidths (Linux: `mode_auto`).
    pub const fn is_auto(&self) -> bool {
        self.auto
    }

    /// Returns every node's weight, indexed by node number.
    pub const fn as_array(&self) -> &[u8; MAX_NUMNODES] {
        &self.weights
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self::INITIAL
    }
}

impl fmt::Debug for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Trailing nodes at the default weight are left out to keep the output short.
        let used = self
            .weights
            .iter()
            .rposition(|&w| w != 1)
            .map_or(0, |i| i + 1);
        f.debug_struct("Weights")
            .field("auto", &self.auto)
            .field("weights", &self.weights.get(..used).unwrap_or_default())
            .finish_non_exhaustive()
    }
}

/// One published, immutable state.
pub(crate) struct Table {
    pub(crate) auto: bool,
    pub(crate) weights: Cells,
}

/// What only writers see, under the writer lock (Linux: `node_bw_table` and the copy a
/// writer makes of `wi_state`).
pub(super) struct WriterState {
    /// Mirror of the published table.
    pub(super) current: Weights,
    /// Per-node bandwidth, `min(read, write)`.
    pub(super) bandwidth: [u64; MAX_NUMNODES],
    /// Whether any bandwidth was ever reported (Linux: `node_bw_table != NULL`).
    pub(super) bandwidth_known: bool,
    /// The nodes with memory (Linux: `N_MEMORY`).
    pub(super) memory_nodes: NodeMask,
    /// The nodes that may ever exist (Linux: `N_POSSIBLE`): Linux 6.12 has a weight file for
    /// each.
    pub(super) possible_nodes: NodeMask,
}

/// The weighted-interleave state shared by every CPU (Linux: `wi_state`).
///
/// Reads go through a per-CPU [`WeightReader`](super::WeightReader) and never block, lock, allocate or free.
/// Writers serialize on an internal spin lock, build a new table, publish it with one atomic
/// swap and retire the old one into the table's [`Domain`]; retired tables are freed on writer
/// paths and by [`WeightTable::reclaim`], once every reader has passed a quiescent state
/// (which a reader does by itself on its first read after a publish).
///
/// The embedder owns the table; there is no global instance. The table follows one kernel
/// release ([`Linux`], fixed at creation), which decides which `nodeN` files exist, what they
/// accept, and whether weights can be automatic (see [`WeightTable::for_linux`]).
///
/// # Examples
/// ```
/// use mempolicy::weights::WeightTable;
/// use mempolicy::{NodeId, NodeMask};
///
/// let table = WeightTable::new(NodeMask::first_n(2));
/// let mut reader = table.reader(); // once per CPU
/// assert_eq!(reader.weight(NodeId::new(1)), 1);
/// table.set_weight(NodeId::new(1), 4)?;
/// assert_eq!(reader.weight(NodeId::new(1)), 4);
/// assert!(!table.is_auto());
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct WeightTable {
    current: RcuCell<Table>,
    pub(super) writer: Mutex<WriterState>,
    linux: Linux,
}

impl WeightTable {
    /// Creates a table for the default [`Linux`] release in its initial state (automatic,
    /// every weight 1) with its own reclamation domain. `memory_nodes` are the nodes with
    /// memory, over which automatic weights are computed and which have a `nodeN` file
    /// (Linux: `N_MEMORY`).
    pub fn new(memory_nodes: NodeMask) -> Self {
        Self::with_domain(memory_nodes, Domain::new())
    }

    /// Creates a table like [`WeightTable::new`] that retires into `domain`, shared with other
    /// objects read by the same CPUs.
    pub fn with_domain(memory_nodes: NodeMask, domain: Domain) -> Self {
        Self::for_linux(Linux::default(), memory_nodes, memory_nodes, domain)
    }

    /// Creates a table for kernel release `linux` in its boot state ([`Weights::initial`]),
    /// before any bandwidth report. `possible_nodes` are the nodes that may ever exist
    /// (Linux: `N_POSSIBLE`; Linux 6.12 has a `nodeN` file for each), `memory_nodes` those
    /// with memory (Linux: `N_MEMORY`; the nodes automatic weights cover and, on 7.3, the
    /// nodes with a `nodeN` file).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::rcu::Domain;
    /// use mempolicy::weights::WeightTable;
    /// use mempolicy::{Linux, NodeId, NodeMask};
    /// let (possible, memory) = (NodeMask::first_n(4), NodeMask::first_n(3)); // node 3: no memory
    /// let old = WeightTable::for_linux(Linux::V6_12, possible, memory, Domain::new());
    /// let new = WeightTable::for_linux(Linux::V7_3, possible, memory, Domain::new());
    /// assert!(old.has_node_file(NodeId::new(3)) && !new.has_node_file(NodeId::new(3)));
    /// assert!(!old.is_auto() && new.is_auto());
    /// ```
    pub fn for_linux(
        linux: Linux,
        possible_nodes: NodeMask,
        memory_nodes: NodeMask,
        domain: Domain,
    ) -> Self {
        let initial = Weights::initial(linux);
        Self {
            current: RcuCell::new(Table::from(&initial), &domain),
            writer: Mutex::new(WriterState {
                current: initial,
                bandwidth: [0; MAX_NUMNODES],
                bandwidth_known: false,
                memory_nodes,
                possible_nodes,
            }),
            linux,
        }
    }

    /// Returns the kernel release the table follows.
    pub const fn linux(&self) -> Linux {
        self.linux
    }

    /// Returns the table's reclamation domain.
    pub fn domain(&self) -> &Domain {
        self.current.domain()
    }

    /// Sets `node`'s weight and switches the whole table to manual mode (Linux: writing
    /// `/sys/kernel/mm/mempolicy/weighted_interleave/nodeN`).
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] for a weight of 0; the table is left unchanged.
    pub fn set_weight(&self, node: NodeId, weight: u8) -> Result<()> {
        if weight == 0 {
            return Err(Error::InvalidWeight(0));
        }
        let mut writer = self.writer.lock();
        // Changed in place: only writers, under this lock, see the writer's copy.
        let current = &mut writer.current;
        if let Some(slot) = current.weights.get_mut(node.index()) {
            *slot = weight;
        }
        current.auto = false;
        self.current.publish(Table::from(&*current));
        Ok(())
    }

    /// Turns automatic weights on or off (Linux: writing
    /// `/sys/kernel/mm/mempolicy/weighted_interleave/auto`).
    ///
    /// Asking for the mode the table already has changes nothing (in particular, "on" while
    /// automatic does not recompute). On: recomputes every weight from the known bandwidths.
    /// Off: keeps the weights as they are and stops bandwidth updates from changing them.
    ///
    /// # Errors
    /// [`Error::NotFound`] on a release without automatic weights (Linux 6.12: no `auto`
    /// file); [`Error::NoBandwidth`] when turning on and no bandwidth was ever reported. The
    /// table is left unchanged.
    pub fn set_auto(&self, auto: bool) -> Result<()> {
        if !self.linux.has_auto_weights() {
            return Err(Error::NotFound);
        }
        let mut writer = self.writer.lock();
        let next = if auto {
            // Linux keeps a state that is already automatic; such a state exists only once a
            // bandwidth was reported (the never-configured state reads as automatic but has
            // no bandwidth, and answers ENODEV below).
            if writer.current.auto && writer.bandwidth_known {
                return Ok(());
            }
            if !writer.bandwidth_known {
                return Err(Error::NoBandwidth);
            }
            Weights {
                auto: true,
                weights: reduce_interleave_weights(&writer.bandwidth, &writer.memory_nodes),
            }
        } else {
            if !writer.current.auto {
                return Ok(());
            }
            Weights {
                auto: false,
                ..writer.current
            }
        };
        self.publish(&mut writer.current, next);
        Ok(())
    }

    /// Records `node`'s bandwidth as `min(read, write)` and, in automatic mode, recomputes and
    /// publishes every weight (Linux: `mempolicy_set_node_perf`). In manual mode the weights
    /// stay as they are; the bandwidth is used when automatic mode is turned back on. On a
    /// release without automatic weights (Linux 6.12) the table is always manual, so only
    /// the bandwidth is recorded.
    ///
    /// # Errors
    /// None today (Linux can fail with `ENOMEM`; this crate's allocations abort instead). The
    /// `Result` keeps the Linux signature for a future fallible allocation path.
    pub fn set_node_bandwidth(&self, node: NodeId, read: u64, write: u64) -> Result<()> {
        let mut writer = self.writer.lock();
        if let Some(slot) = writer.bandwidth.get_mut(node.index()) {
            *slot = read.min(write);
        }
        writer.bandwidth_known = true;
        if writer.current.auto {
            let next = Weights {
                auto: true,
                weights: reduce_interleave_weights(&writer.bandwidth, &writer.memory_nodes),
            };
            self.publish(&mut writer.current, next);
        }
        Ok(())
    }

    /// Returns whether the weights are automatic (Linux: `mode_auto`; reading the `auto`
    /// sysfs file). Always false on a release without automatic weights. Writer-side: takes
    /// the writer lock.
    pub fn is_auto(&self) -> bool {
        self.writer.lock().current.auto
    }

    /// Returns a copy of the current state. Writer-side: takes the writer lock; CPUs on the
    /// allocation path use a [`WeightReader`](super::WeightReader) instead.
    pub fn snapshot(&self) -> Weights {
        self.writer.lock().current
    }

    /// Returns the bandwidth recorded for `node` (0 if none).
    pub fn bandwidth(&self, node: NodeId) -> u64 {
        self.writer
            .lock()
            .bandwidth
            .get(node.index())
            .copied()
            .unwrap_or(0)
    }

    /// Frees every retired table whose grace period has ended (allocator-safe contexts only).
    pub fn reclaim(&self) {
        self.current.domain().reclaim();
    }

    /// Returns how many retired tables (and other objects of the domain) are not freed yet.
    ///
    /// Bound: a table retired by a publish is freed by a later writer call or
    /// [`WeightTable::reclaim`] once every registered reader has passed quiescent states after
    /// the publish (the epoch must advance twice, and it advances only when every reader has
    /// caught up). A reader passes one on each read that sees a new table; an idle CPU calls
    /// [`WeightReader::quiescent`](super::WeightReader::quiescent) or drops its reader. Writers hand retired tables to the
    /// collector in batches of 16 (a publish stays near the cost of a bare epoch swap), so
    /// with every reader reading between publishes at most two batches wait (the one being
    /// filled and the one whose grace period is running; observed: at most 31); a reader that never
    /// reads nor reports holds back every table retired since its last report, and once it
    /// has reported (twice at most, see [`Domain::reclaim`]), one [`WeightTable::reclaim`]
    /// frees them all. Takes the domain's writer lock briefly.
    pub fn retired(&self) -> usize {
        self.current.domain().retired()
    }

    /// Returns the published table (reader side; see [`WeightReader`](super::WeightReader)).
    pub(crate) fn cell(&self) -> &RcuCell<Table> {
        &self.current
    }

    /// Publishes `next` and records it as the writer's current state. The caller holds the
    /// writer lock (it passes the guarded `current`).
    fn publish(&self, current: &mut Weights, next: Weights) {
        self.current.publish(Table::from(&next));
        *current = next;
    }
}

impl From<&Weights> for Table {
    fn from(weights: &Weights) -> Self {
        Self {
            auto: weights.auto,
            weights: Cells::new(&weights.weights),
        }
    }
}

impl fmt::Debug for WeightTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightTable")
            .field("current", &self.snapshot())
            .field("domain", self.current.domain())
            .field("linux", &self.linux)
            .finish_non_exhaustive()
    }
}

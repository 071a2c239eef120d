//! The shared weight table and its writers (Linux: `wi_state`, `wi_state_lock`,
//! `node_store`, `weighted_interleave_auto_store`, `mempolicy_set_node_perf`).

use core::fmt;

use super::cells::Cells;
use super::reader::WeightReader;
use super::reduce::reduce_interleave_weights;
use crate::error::{Error, Result};
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
struct WriterState {
    /// Mirror of the published table.
    current: Weights,
    /// Per-node bandwidth, `min(read, write)`.
    bandwidth: [u64; MAX_NUMNODES],
    /// Whether any bandwidth was ever reported (Linux: `node_bw_table != NULL`).
    bandwidth_known: bool,
    /// The nodes with memory (Linux: `N_MEMORY`).
    memory_nodes: NodeMask,
}

/// The weighted-interleave state shared by every CPU (Linux: `wi_state`).
///
/// Reads go through a per-CPU [`WeightReader`] and never block, lock, allocate or free.
/// Writers serialize on an internal spin lock, build a new table, publish it with one atomic
/// swap and retire the old one into the table's [`Domain`]; retired tables are freed on writer
/// paths and by [`WeightTable::reclaim`], once every reader has passed a quiescent state
/// (which a reader does by itself on its first read after a publish).
///
/// The embedder owns the table; there is no global instance.
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
    writer: Mutex<WriterState>,
}

impl WeightTable {
    /// Creates a table in its initial state (automatic, every weight 1) with its own
    /// reclamation domain. `memory_nodes` are the nodes with memory, over which automatic
    /// weights are computed (Linux: `N_MEMORY`).
    pub fn new(memory_nodes: NodeMask) -> Self {
        Self::with_domain(memory_nodes, Domain::new())
    }

    /// Creates a table like [`WeightTable::new`] that retires into `domain`, shared with other
    /// objects read by the same CPUs.
    pub fn with_domain(memory_nodes: NodeMask, domain: Domain) -> Self {
        let initial = Weights::INITIAL;
        Self {
            current: RcuCell::new(Table::from(&initial), &domain),
            writer: Mutex::new(WriterState {
                current: initial,
                bandwidth: [0; MAX_NUMNODES],
                bandwidth_known: false,
                memory_nodes,
            }),
        }
    }

    /// Registers a reader for the calling CPU (allocates: do it once per CPU, at boot).
    pub fn reader(&self) -> WeightReader<'_> {
        WeightReader::new(self, self.current.reader())
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
        let mut next = writer.current;
        if let Some(slot) = next.weights.get_mut(node.index()) {
            *slot = weight;
        }
        next.auto = false;
        self.publish(&mut writer.current, next);
        Ok(())
    }

    /// Turns automatic weights on or off (Linux: writing
    /// `/sys/kernel/mm/mempolicy/weighted_interleave/auto`).
    ///
    /// On: recomputes every weight from the known bandwidths. Off: keeps the weights as they
    /// are and stops bandwidth updates from changing them (nothing is published if the table
    /// is already manual).
    ///
    /// # Errors
    /// [`Error::NoBandwidth`] when turning on and no bandwidth was ever reported; the table is
    /// left unchanged.
    pub fn set_auto(&self, auto: bool) -> Result<()> {
        let mut writer = self.writer.lock();
        let next = if auto {
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
    /// stay as they are; the bandwidth is used when automatic mode is turned back on.
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

    /// Replaces the set of nodes with memory (Linux: `N_MEMORY` changing on memory hotplug).
    /// Nothing is recomputed until the next bandwidth update or [`WeightTable::set_auto`].
    pub fn set_memory_nodes(&self, memory_nodes: NodeMask) {
        self.writer.lock().memory_nodes = memory_nodes;
    }

    /// Returns the nodes with memory the table was given.
    pub fn memory_nodes(&self) -> NodeMask {
        self.writer.lock().memory_nodes
    }

    /// Returns whether the weights are automatic (Linux: `mode_auto`; reading the `auto`
    /// sysfs file). Writer-side: takes the writer lock.
    pub fn is_auto(&self) -> bool {
        self.writer.lock().current.auto
    }

    /// Returns a copy of the current state. Writer-side: takes the writer lock; CPUs on the
    /// allocation path use a [`WeightReader`] instead.
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
    /// [`WeightReader::quiescent`] or drops its reader. Writers hand retired tables to the
    /// collector in batches of 8 (a publish stays near the cost of a bare epoch swap), so with
    /// every reader reading between publishes at most two batches wait (the one being filled
    /// and the one whose grace period is running; observed: at most 16); a reader that never
    /// reads nor reports holds back every table retired since its last report, and once it
    /// has reported (twice at most, see [`Domain::reclaim`]), one [`WeightTable::reclaim`]
    /// frees them all. Takes the domain's writer lock briefly.
    pub fn retired(&self) -> usize {
        self.current.domain().retired()
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
            .finish_non_exhaustive()
    }
}

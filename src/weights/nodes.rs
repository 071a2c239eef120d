//! Which nodes a weight table knows: the table after boot on a topology, memory hotplug, and
//! which `nodeN` files exist (Linux: `node_set_perf_attrs` at boot, `wi_node_notifier`,
//! `sysfs_wi_node_add` / `sysfs_wi_node_delete`).

use super::table::WeightTable;
use crate::linux::Linux;
use crate::rcu::Domain;
use crate::topology::Topology;
use crate::{NodeId, NodeMask};

#[cfg(doc)]
use crate::Error;

impl WeightTable {
    /// Creates the table Linux `linux` has once it has booted on `topology`: the node sets
    /// of [`WeightTable::for_linux`] from the topology and, where the release has automatic
    /// weights, one bandwidth report per node with access coordinates
    /// ([`Topology::access`], Linux: `node_set_perf_attrs` for access class 1, called for
    /// each HMAT memory target at boot), which leaves the weights automatic and reduced from
    /// `min(read, write)` of every node with memory.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::rcu::Domain;
    /// use mempolicy::topology::Topology;
    /// use mempolicy::weights::WeightTable;
    /// use mempolicy::Linux;
    /// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 bw=100000,100000,25000,25000")?;
    /// let table = WeightTable::boot(Linux::V7_3, &topo, Domain::new());
    /// assert_eq!(table.snapshot().as_array()[..4], [4, 4, 1, 1]);
    /// let old = WeightTable::boot(Linux::V6_12, &topo, Domain::new());
    /// assert_eq!(old.snapshot().as_array()[..4], [1, 1, 1, 1]);
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn boot(linux: Linux, topology: &Topology, domain: Domain) -> Self {
        let table = Self::for_linux(
            linux,
            *topology.possible_nodes(),
            *topology.memory_nodes(),
            domain,
        );
        if linux.has_auto_weights() {
            for node in topology.online_nodes() {
                if let Some(access) = topology.access(node) {
                    // Never fails (see `set_node_bandwidth`).
                    let _ = table.set_node_bandwidth(
                        node,
                        u64::from(access.read_bandwidth),
                        u64::from(access.write_bandwidth),
                    );
                }
            }
        }
        table
    }

    /// Replaces the set of nodes with memory (Linux: `N_MEMORY` changing on memory hotplug),
    /// as [`WeightTable::memory_online`] and [`WeightTable::memory_offline`] do one node at
    /// a time. Nothing is recomputed until the next bandwidth update or
    /// [`WeightTable::set_auto`].
    pub fn set_memory_nodes(&self, memory_nodes: NodeMask) {
        self.writer.lock().memory_nodes = memory_nodes;
    }

    /// Records that `node` got its first memory (Linux: the `NODE_ADDED_FIRST_MEMORY`
    /// notification, `wi_node_notifier` → `sysfs_wi_node_add`).
    ///
    /// The node joins the nodes with memory, so on Linux 7.3 its `nodeN` file appears
    /// ([`WeightTable::has_node_file`]) showing the weight the table already holds for it (1,
    /// or what it had before its memory went away). No weight is recomputed, also in
    /// automatic mode: Linux recomputes only when a bandwidth is reported
    /// ([`WeightTable::set_node_bandwidth`], which firmware-described memory gets next),
    /// and then over the new set of memory nodes. A node that already has memory is left
    /// as it is.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::weights::WeightTable;
    /// use mempolicy::{Error, NodeId, NodeMask};
    /// let table = WeightTable::new(NodeMask::first_n(2));
    /// let two = NodeId::new(2);
    /// assert_eq!(table.show_node(two), Err(Error::NotFound));
    /// table.memory_online(two);
    /// assert_eq!(table.show_node(two), Ok(1));
    /// table.store_node(two, "5")?;
    /// table.memory_offline(two);
    /// assert_eq!(table.store_node(two, "6"), Err(Error::NotFound));
    /// table.memory_online(two);
    /// assert_eq!(table.show_node(two), Ok(5)); // the weight outlives the file
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn memory_online(&self, node: NodeId) {
        self.writer.lock().memory_nodes.insert(node);
    }

    /// Records that `node` lost its last memory (Linux: the `NODE_REMOVED_LAST_MEMORY`
    /// notification, `wi_node_notifier` → `sysfs_wi_node_delete`).
    ///
    /// The node leaves the nodes with memory, so on Linux 7.3 its `nodeN` file goes away
    /// (reads and writes give [`Error::NotFound`]). No weight is recomputed: the node's
    /// weight stays in the table until the next automatic computation, which leaves the
    /// node out and gives it 1, as every node without memory. A node without memory is left
    /// as it is.
    pub fn memory_offline(&self, node: NodeId) {
        self.writer.lock().memory_nodes.remove(node);
    }

    /// Returns the nodes with memory the table was given.
    pub fn memory_nodes(&self) -> NodeMask {
        self.writer.lock().memory_nodes
    }

    /// Returns whether `node` has a weight file
    /// `/sys/kernel/mm/mempolicy/weighted_interleave/nodeN`: on Linux 7.3 the nodes with
    /// memory ([`Linux::weight_files_follow_memory`]), on 6.12 every possible node.
    pub fn has_node_file(&self, node: NodeId) -> bool {
        let writer = self.writer.lock();
        if self.linux().weight_files_follow_memory() {
            writer.memory_nodes.contains(node)
        } else {
            writer.possible_nodes.contains(node)
        }
    }
}

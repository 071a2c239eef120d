//! [`SharedZonelists`]: the zonelists read lock-free by every CPU and replaced whole when the
//! topology changes (Linux: the zonelists under `zonelist_update_seq`).
//!
//! Linux rebuilds the zonelists in place under a seqlock (`zonelist_update_seq`), and
//! allocation paths that fail retry when the sequence changed. Here a rebuild constructs a
//! complete new [`Zonelists`] off to the side and publishes it with one atomic pointer swap
//! through `RcuCell` (`crate::rcu`); the old set is freed once every [`Reader`] has passed a quiescent
//! state. A reader therefore walks either the old or the new set from start to end, never a
//! mix, and never retries.

use super::build::ZonelistConfig;
use super::set::Zonelists;
use crate::rcu::{Domain, RcuCell, Reader};
use crate::sync::Mutex;
use crate::topology::Topology;

/// The current [`Zonelists`], shared by all CPUs (Linux: every node's `node_zonelists` plus
/// `zonelist_update_seq`).
///
/// # Examples
/// ```
/// use mempolicy::rcu::Domain;
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::{SharedZonelists, Zonelists, ZonelistConfig};
/// use mempolicy::NodeId;
/// let domain = Domain::new();
/// let reader = domain.register();
/// let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256")?;
/// let shared = SharedZonelists::new(Zonelists::build(&topo), &domain);
/// let lists = shared.load(&reader).unwrap();
/// assert_eq!(lists.fallback_order(NodeId::new(1)).unwrap().len(), 2);
/// // Node 1 loses its memory: rebuild; readers see the old or the new set, whole.
/// let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256,0")?;
/// shared.rebuild(&topo, ZonelistConfig::LINUX);
/// # drop(reader);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct SharedZonelists {
    cell: RcuCell<Zonelists>,
    /// Serializes rebuilds, so that the last rebuild started is the one that stays.
    writer: Mutex<()>,
}

impl SharedZonelists {
    /// Shares `zonelists`; old sets are retired into `domain` (allocates).
    pub fn new(zonelists: Zonelists, domain: &Domain) -> Self {
        Self {
            cell: RcuCell::new(zonelists, domain),
            writer: Mutex::new(()),
        }
    }

    /// Returns the current set, lock-free and without allocating; `None` if `reader` belongs
    /// to another [`Domain`] (a programming error: such a reader would not keep the set
    /// alive).
    ///
    /// The borrow ends before the reader's next [`Reader::quiescent`].
    pub fn load<'a>(&'a self, reader: &'a Reader) -> Option<&'a Zonelists> {
        self.cell.load(reader)
    }

    /// Replaces the set with `zonelists` (Linux: the end of `__build_all_zonelists()`). The
    /// old set is freed after a grace period; this call allocates and may free.
    pub fn publish(&self, zonelists: Zonelists) {
        let _writer = self.writer.lock();
        self.cell.publish(zonelists);
    }

    /// Builds the zonelists of `topo` with `config` and publishes them (Linux:
    /// `build_all_zonelists()` after a node or memory hotplug). Always rebuilds every node;
    /// Linux builds only the new node when it is not yet online.
    pub fn rebuild(&self, topo: &Topology, config: ZonelistConfig) {
        let _writer = self.writer.lock();
        self.cell.publish(Zonelists::build_with(topo, config));
    }

    /// Returns the domain old sets are retired into.
    pub fn domain(&self) -> &Domain {
        self.cell.domain()
    }
}

impl core::fmt::Debug for SharedZonelists {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedZonelists")
            .field("domain", self.cell.domain())
            .finish_non_exhaustive()
    }
}

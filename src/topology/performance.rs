//! What Linux reports about a memory node's performance, per access class (Linux:
//! `enum access_coordinate_class`, `/sys/devices/system/node/nodeN/accessK/`).

use super::machine::AccessCoordinates;
use crate::nodemask::NodeMask;

/// Which initiators a node's performance is measured from (Linux: `enum
/// access_coordinate_class`, the `K` of `nodeN/accessK/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessClass {
    /// The best initiator of any kind, e.g. a device (Linux: `ACCESS_COORDINATE_LOCAL`,
    /// `access0`).
    Local = 0,
    /// The best initiator that has CPUs (Linux: `ACCESS_COORDINATE_CPU`, `access1`): the class
    /// automatic weighted-interleave weights are computed from.
    Cpu = 1,
}

impl AccessClass {
    /// Both classes, in Linux's order (`access0`, `access1`).
    pub const ALL: [AccessClass; 2] = [AccessClass::Local, AccessClass::Cpu];

    /// Returns the class number `K` of `accessK`.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One memory node's performance in one access class, as Linux registers it (Linux: the
/// `accessK` device of a node: its `initiators/nodeM` links and its four attributes).
///
/// # Examples
/// ```
/// use mempolicy::topology::{AccessClass, Topology};
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 bw=100000,100000,25000,25000")?;
/// let far = topo.performance(NodeId::new(3), AccessClass::Cpu).expect("HMAT target");
/// assert_eq!(far.initiators.to_string(), "1"); // node 3 is nearest to node 1
/// assert_eq!(far.coordinates.read_bandwidth, 25000);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodePerformance {
    /// The initiator nodes Linux linked as the best ones (Linux:
    /// `register_memory_node_under_compute_node`); may be empty.
    pub initiators: NodeMask,
    /// The bandwidths and latencies from those initiators; 0 where unknown.
    pub coordinates: AccessCoordinates,
}

//! [`Topology`] and its queries.

use alloc::vec::Vec;

use super::performance::{AccessClass, NodePerformance};
use crate::gfp::{ZoneType, NR_ZONE_TYPES};
use crate::nodemask::{NodeId, NodeMask};

/// The distance from a node to itself (Linux: `LOCAL_DISTANCE`).
pub const LOCAL_DISTANCE: u8 = 10;
/// The distance between two nodes when no table is given (Linux: `REMOTE_DISTANCE`).
pub const REMOTE_DISTANCE: u8 = 20;
/// The highest number of CPUs a topology may describe (Linux: the largest `NR_CPUS`).
pub const MAX_CPUS: usize = 8192;

/// The pages of one zone of one node (Linux: `zone->present_pages`, `zone_managed_pages()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ZoneSpan {
    /// Physical pages in the zone, holes excluded (Linux: `present_pages`).
    pub present_pages: u64,
    /// Pages the buddy allocator manages (Linux: `managed_pages`); at most `present_pages`.
    pub managed_pages: u64,
}

impl ZoneSpan {
    /// Returns whether the zone has pages (Linux: `populated_zone()`).
    pub const fn is_populated(&self) -> bool {
        self.present_pages != 0
    }
}

/// A node's memory performance as seen from its nearest initiator (Linux: `struct
/// access_coordinate`, from ACPI HMAT or CXL CDAT), used for automatic weighted-interleave
/// weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccessCoordinates {
    /// Read bandwidth in MB/s (Linux: `read_bandwidth`).
    pub read_bandwidth: u32,
    /// Write bandwidth in MB/s (Linux: `write_bandwidth`).
    pub write_bandwidth: u32,
    /// Read latency in nanoseconds (Linux: `read_latency`).
    pub read_latency: u32,
    /// Write latency in nanoseconds (Linux: `write_latency`).
    pub write_latency: u32,
}

impl AccessCoordinates {
    /// Returns the bandwidth automatic interleave weights use: the smaller of read and write
    /// bandwidth (Linux: `mempolicy_set_node_perf()`, 6.16+).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::topology::AccessCoordinates;
    /// let c = AccessCoordinates { read_bandwidth: 300, write_bandwidth: 200, ..Default::default() };
    /// assert_eq!(c.bandwidth(), 200);
    /// ```
    pub const fn bandwidth(&self) -> u32 {
        if self.read_bandwidth < self.write_bandwidth {
            self.read_bandwidth
        } else {
            self.write_bandwidth
        }
    }
}

/// A validated NUMA machine description (Linux: `node_states[]`, `node_distance()`,
/// `cpu_to_node()`, the populated zones of each node).
///
/// Built by [`TopologyBuilder`](super::TopologyBuilder) or [`Topology::from_nodes_spec`].
///
/// # Examples
/// ```
/// use mempolicy::topology::Topology;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// assert_eq!(topo.nr_node_ids(), 4);
/// assert_eq!(topo.distance(NodeId::new(0), NodeId::new(2)), 20);
/// assert_eq!(topo.node_of_cpu(1), Some(NodeId::new(1)));
/// assert_eq!(topo.memory_nodes().to_string(), "0-3");
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub(super) possible: NodeMask,
    pub(super) online: NodeMask,
    pub(super) has_cpu: NodeMask,
    pub(super) memory: NodeMask,
    pub(super) high_memory: NodeMask,
    pub(super) normal_memory: NodeMask,
    /// Highest possible node + 1.
    pub(super) nr_node_ids: usize,
    /// Node of each CPU, by CPU number; `None` for CPUs not described.
    pub(super) cpu_node: Vec<Option<NodeId>>,
    /// Row-major `nr_node_ids × nr_node_ids` table, or empty for the default distances.
    pub(super) distances: Vec<u8>,
    /// Zones of each node, indexed by node then `ZoneType::index()`; `nr_node_ids` entries.
    pub(super) zones: Vec<[ZoneSpan; NR_ZONE_TYPES]>,
    /// Access coordinates of each node; `nr_node_ids` entries.
    pub(super) access: Vec<Option<AccessCoordinates>>,
    /// Performance of each node per access class; `nr_node_ids` entries.
    pub(super) performance: Vec<[Option<NodePerformance>; 2]>,
    /// Highest populated zone type other than `Movable`, `Dma` if none.
    pub(super) policy_zone: ZoneType,
}

impl Topology {
    /// Returns the nodes that may ever exist (Linux: `node_possible_map`, `N_POSSIBLE`).
    pub const fn possible_nodes(&self) -> &NodeMask {
        &self.possible
    }

    /// Returns the online nodes (Linux: `node_online_map`, `N_ONLINE`).
    pub const fn online_nodes(&self) -> &NodeMask {
        &self.online
    }

    /// Returns the nodes with CPUs (Linux: `N_CPU`).
    pub const fn cpu_nodes(&self) -> &NodeMask {
        &self.has_cpu
    }

    /// Returns the nodes with memory in any zone (Linux: `N_MEMORY`).
    #[inline]
    pub const fn memory_nodes(&self) -> &NodeMask {
        &self.memory
    }

    /// Returns the nodes with memory in a zone up to `HighMem` (Linux: `N_HIGH_MEMORY`):
    /// the memory nodes minus those with only movable memory.
    #[inline]
    pub const fn high_memory_nodes(&self) -> &NodeMask {
        &self.high_memory
    }

    /// Returns the nodes with memory in a zone up to `Normal` (Linux: `N_NORMAL_MEMORY`).
    pub const fn normal_memory_nodes(&self) -> &NodeMask {
        &self.normal_memory
    }

    /// Returns the highest possible node number plus one (Linux: `nr_node_ids`).
    pub const fn nr_node_ids(&self) -> usize {
        self.nr_node_ids
    }

    /// Returns the number of CPU numbers described (highest CPU + 1; Linux: `nr_cpu_ids`).
    pub fn nr_cpu_ids(&self) -> usize {
        self.cpu_node.len()
    }

    /// Returns the SLIT distance from `from` to `to` (Linux: `node_distance()`).
    ///
    /// Nodes outside the table get 10 to themselves and 20 to others, as Linux's
    /// `__node_distance()` does.
    pub fn distance(&self, from: NodeId, to: NodeId) -> u8 {
        let (a, b) = (from.index(), to.index());
        if a < self.nr_node_ids && b < self.nr_node_ids {
            if let Some(&d) = self.distances.get(a * self.nr_node_ids + b) {
                return d;
            }
        }
        if a == b {
            LOCAL_DISTANCE
        } else {
            REMOTE_DISTANCE
        }
    }

    /// Returns the node of `cpu`, or `None` if the topology does not describe it (Linux:
    /// `cpu_to_node()`).
    pub fn node_of_cpu(&self, cpu: u32) -> Option<NodeId> {
        let index = usize::try_from(cpu).ok()?;
        self.cpu_node.get(index).copied().flatten()
    }

    /// Returns the CPUs of `node`, lowest first (Linux: `cpumask_of_node()`).
    pub fn cpus_of_node(&self, node: NodeId) -> impl Iterator<Item = u32> + '_ {
        self.cpu_node
            .iter()
            .enumerate()
            .filter(move |(_, n)| **n == Some(node))
            // The map has at most `MAX_CPUS` entries, so every index fits `u32`.
            .filter_map(|(cpu, _)| u32::try_from(cpu).ok())
    }

    /// Returns the pages of `zone` on `node` (all zero for an unknown node or empty zone).
    pub fn zone(&self, node: NodeId, zone: ZoneType) -> ZoneSpan {
        self.zones
            .get(node.index())
            .and_then(|spans| spans.get(zone.index()).copied())
            .unwrap_or_default()
    }

    /// Returns whether `node` has pages in `zone` (Linux: `populated_zone()`).
    pub fn is_populated(&self, node: NodeId, zone: ZoneType) -> bool {
        self.zone(node, zone).is_populated()
    }

    /// Returns the populated zones of `node`, highest first (the order of Linux's
    /// `build_zonerefs_node()`).
    pub fn populated_zones(&self, node: NodeId) -> impl Iterator<Item = ZoneType> + '_ {
        ZoneType::ALL
            .into_iter()
            .rev()
            .filter(move |z| self.is_populated(node, *z))
    }

    /// Returns the present pages of `node` over all zones (Linux: `node_present_pages()`).
    pub fn present_pages(&self, node: NodeId) -> u64 {
        self.zones.get(node.index()).map_or(0, |z| {
            z.iter()
                .map(|s| s.present_pages)
                .fold(0, u64::saturating_add)
        })
    }

    /// Returns the access coordinates of `node`, if known (Linux: `node_access`/HMAT).
    pub fn access(&self, node: NodeId) -> Option<AccessCoordinates> {
        self.access.get(node.index()).copied().flatten()
    }

    /// Returns what Linux registered for `node` in access class `class`, if anything (Linux:
    /// `/sys/devices/system/node/nodeN/accessK/`, from `node_set_perf_attrs`). With ACPI HMAT
    /// every memory node has both classes; the `Cpu` class's coordinates are also
    /// [`Topology::access`].
    pub fn performance(&self, node: NodeId, class: AccessClass) -> Option<NodePerformance> {
        self.performance
            .get(node.index())
            .and_then(|classes| classes.get(class.index()))
            .copied()
            .flatten()
    }

    /// Returns the highest populated zone type other than `Movable`, or `Dma` if there is none
    /// (Linux: `policy_zone` as raised by `check_highest_zone()` while zonelists are built).
    #[inline]
    pub const fn policy_zone(&self) -> ZoneType {
        self.policy_zone
    }
}

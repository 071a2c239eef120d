//! Building zonelists from a topology (Linux: `build_all_zonelists()`, `build_zonelists()`,
//! `find_next_best_node()`, `build_zonelists_in_node_order()`, `build_thisnode_zonelists()`;
//! and, from before Linux 4.14, `build_zonelists_in_zone_order()` and
//! `default_zonelist_order()`).

use alloc::vec::Vec;

use super::list::{ZoneRef, Zonelist};
use crate::error::{Error, Result};
use crate::gfp::ZoneType;
use crate::nodemask::{NodeId, MAX_NUMNODES};
use crate::topology::Topology;

/// How fallback zonelists are ordered (Linux: `numa_zonelist_order`, "Default", "Node" or
/// "Zone" before 4.14; only node order since).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZonelistOrder {
    /// Pick [`ZonelistOrder::Node`] or [`ZonelistOrder::Zone`] from the zone sizes, as Linux
    /// 2.6.23–4.13 did on 32-bit kernels (`default_zonelist_order()`, see
    /// [`ZonelistOrder::resolve`]).
    Default,
    /// Node by node, nearest first; within a node, highest zone first (Linux:
    /// `ZONELIST_ORDER_NODE`, the only order since 4.14).
    Node,
    /// Zone type by zone type, highest first; within a type, nodes nearest first (Linux:
    /// `ZONELIST_ORDER_ZONE`, removed in 4.14). Keeps low memory (DMA, DMA32) for last.
    Zone,
}

impl ZonelistOrder {
    /// Parses a `numa_zonelist_order` value as Linux before 4.14 did: the first character
    /// decides (`d`/`D` default, `n`/`N` node, `z`/`Z` zone).
    ///
    /// # Errors
    /// [`Error::Parse`]`(0)` for any other text ("Ignoring invalid numa_zonelist_order
    /// value").
    pub fn from_sysctl(text: &str) -> Result<Self> {
        match text.as_bytes().first() {
            Some(b'd' | b'D') => Ok(Self::Default),
            Some(b'n' | b'N') => Ok(Self::Node),
            Some(b'z' | b'Z') => Ok(Self::Zone),
            _ => Err(Error::Parse(0)),
        }
    }

    /// Returns the order actually used on `topo`: `self`, or for
    /// [`ZonelistOrder::Default`] the choice of Linux's old `default_zonelist_order()`.
    ///
    /// That rule picks node order if an online node has no populated `Normal` zone
    /// (memoryless and movable-only nodes included), if there is no low memory (`Dma` and
    /// `Dma32` present pages), if low memory is more than half of all present pages, or if a
    /// node larger than `total / (memory nodes + 1)` has more than 70% low memory; zone order
    /// otherwise. (64-bit kernels from 3.16 to 4.13 skipped the rule and always used node
    /// order.)
    pub fn resolve(self, topo: &Topology) -> ZonelistOrder {
        match self {
            Self::Default => default_order(topo),
            other => other,
        }
    }
}

/// Zonelist build settings (Linux: `numa_zonelist_order` and `PENALTY_FOR_NODE_WITH_CPUS`).
///
/// The default, [`ZonelistConfig::LINUX`], reproduces the recorded kernel's lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ZonelistConfig {
    order: ZonelistOrder,
    cpu_penalty: u32,
}

impl ZonelistConfig {
    /// Node order and no CPU penalty: what the recorded Linux 6.12 kernel builds at boot.
    pub const LINUX: ZonelistConfig = ZonelistConfig {
        order: ZonelistOrder::Node,
        cpu_penalty: 0,
    };

    /// Returns this configuration with fallback lists in `order`.
    pub const fn with_order(mut self, order: ZonelistOrder) -> Self {
        self.order = order;
        self
    }

    /// Returns this configuration with `penalty` added to the distance of nodes that have CPUs
    /// (Linux: `PENALTY_FOR_NODE_WITH_CPUS`, 1 on most architectures).
    ///
    /// The default is 0: Linux builds the zonelists at boot before any CPU is assigned to a
    /// node (the CPU masks are empty), so the penalty never applies to the boot lists.
    pub const fn with_cpu_penalty(mut self, penalty: u32) -> Self {
        self.cpu_penalty = penalty;
        self
    }

    /// Returns the configured order (possibly [`ZonelistOrder::Default`]).
    pub const fn order(&self) -> ZonelistOrder {
        self.order
    }

    /// Returns the penalty for nodes with CPUs.
    pub const fn cpu_penalty(&self) -> u32 {
        self.cpu_penalty
    }
}

impl Default for ZonelistConfig {
    fn default() -> Self {
        Self::LINUX
    }
}

/// The two zonelists and the fallback node order of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NodeLists {
    pub(super) fallback: Zonelist,
    pub(super) nofallback: Zonelist,
    pub(super) order: Vec<NodeId>,
}

/// Builds the lists of every possible node, in node number order, sharing one `node_load`
/// (Linux: `__build_all_zonelists()` for a full rebuild). Returns them (indexed by node
/// number, `None` for nodes that are not possible) and the order used.
pub(super) fn build_all(
    topo: &Topology,
    config: ZonelistConfig,
) -> (Vec<Option<NodeLists>>, ZonelistOrder) {
    let order = config.order.resolve(topo);
    let mut node_load = alloc::vec![0u32; topo.nr_node_ids()];
    let mut lists = Vec::with_capacity(topo.nr_node_ids());
    for index in 0..topo.nr_node_ids() {
        let local = match NodeId::try_new(index as u64) {
            Ok(node) if topo.possible_nodes().contains(node) => node,
            _ => {
                lists.push(None);
                continue;
            }
        };
        let nodes = node_order(topo, local, &mut node_load, config.cpu_penalty);
        let fallback = match order {
            ZonelistOrder::Zone => zone_ordered(topo, &nodes),
            _ => node_ordered(topo, &nodes),
        };
        let nofallback = node_ordered(topo, &[local]);
        lists.push(Some(NodeLists {
            fallback,
            nofallback,
            order: nodes,
        }));
    }
    (lists, order)
}

/// Returns `local`'s fallback node order, updating `node_load` (Linux: the node loop of
/// `build_zonelists()` around `find_next_best_node()`).
///
/// `find_next_best_node()` takes `local` itself first if it has memory, then repeatedly the
/// unused memory node with the smallest `(distance + [n < local] + [n has CPUs]·penalty) ·
/// MAX_NUMNODES + node_load[n]`, the lowest number on ties. Within one node's build only the
/// node just taken has its load raised, and it is no longer a candidate, so the candidates'
/// values never change while the list grows: taking successive minima is sorting by
/// `(value, node)`. That gives Linux's order in O(n log n) instead of O(n²).
///
/// Afterwards the first node of each new distance group gets one more load, so equidistant
/// nodes take turns across the lists of different nodes.
fn node_order(topo: &Topology, local: NodeId, node_load: &mut [u32], penalty: u32) -> Vec<NodeId> {
    let load = |n: NodeId| u64::from(node_load.get(n.index()).copied().unwrap_or(0));
    let mut ranked: Vec<(u64, NodeId)> = topo
        .memory_nodes()
        .iter()
        .filter(|&n| n != local)
        .map(|n| {
            let mut val = u64::from(topo.distance(local, n)) + u64::from(n < local);
            if topo.cpu_nodes().contains(n) {
                val += u64::from(penalty);
            }
            (val * MAX_NUMNODES as u64 + load(n), n)
        })
        .collect();
    ranked.sort_unstable();
    let mut order = Vec::with_capacity(ranked.len() + 1);
    if topo.memory_nodes().contains(local) {
        order.push(local);
    }
    order.extend(ranked.into_iter().map(|(_, n)| n));

    let mut prev = local;
    for &node in &order {
        if topo.distance(local, node) != topo.distance(local, prev) {
            if let Some(slot) = node_load.get_mut(node.index()) {
                *slot = slot.saturating_add(1);
            }
        }
        prev = node;
    }
    order
}

/// Node-major list: each node's populated zones, highest first (Linux:
/// `build_zonelists_in_node_order()`, `build_zonerefs_node()`).
fn node_ordered(topo: &Topology, nodes: &[NodeId]) -> Zonelist {
    let refs = nodes
        .iter()
        .flat_map(|&n| topo.populated_zones(n).map(move |z| ZoneRef::new(n, z)))
        .collect();
    Zonelist::from_refs(refs)
}

/// Zone-major list: for each zone type, highest first, that zone of each node in order
/// (Linux before 4.14: `build_zonelists_in_zone_order()`).
fn zone_ordered(topo: &Topology, nodes: &[NodeId]) -> Zonelist {
    let refs = ZoneType::ALL
        .into_iter()
        .rev()
        .flat_map(|z| {
            nodes
                .iter()
                .filter(move |&&n| topo.is_populated(n, z))
                .map(move |&n| ZoneRef::new(n, z))
        })
        .collect();
    Zonelist::from_refs(refs)
}

/// Linux's old `default_zonelist_order()` (documented on [`ZonelistOrder::resolve`]).
fn default_order(topo: &Topology) -> ZonelistOrder {
    let sizes = |node: NodeId| {
        let (mut low, mut total) = (0u64, 0u64);
        for zone in ZoneType::ALL {
            let pages = topo.zone(node, zone).present_pages;
            if zone < ZoneType::Normal {
                low = low.saturating_add(pages);
            }
            total = total.saturating_add(pages);
        }
        (low, total)
    };
    let online = topo.online_nodes();
    if online
        .iter()
        .any(|n| !topo.is_populated(n, ZoneType::Normal))
    {
        return ZonelistOrder::Node;
    }
    let (low, total) = online
        .iter()
        .map(sizes)
        .fold((0u64, 0u64), |(l, t), (a, b)| {
            (l.saturating_add(a), t.saturating_add(b))
        });
    if low == 0 || low > total / 2 {
        return ZonelistOrder::Node;
    }
    let average = total / (topo.memory_nodes().weight() as u64 + 1);
    let lopsided = online.iter().map(sizes).any(|(low, total)| {
        low != 0 && total > average && u128::from(low) * 100 > u128::from(total) * 70
    });
    if lopsided {
        ZonelistOrder::Node
    } else {
        ZonelistOrder::Zone
    }
}

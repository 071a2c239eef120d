//! [`Zonelists`]: the zonelists of every node (Linux: `pgdat->node_zonelists[]` of all nodes,
//! `node_zonelist()`, `local_memory_node()`, `policy_zone`).

use alloc::vec::Vec;

use super::build::{self, NodeLists, ZonelistConfig, ZonelistOrder};
use super::list::Zonelist;
use crate::gfp::ZonelistKind;
use crate::gfp::{self, GfpFlags, ZoneType};
use crate::nodemask::NodeId;
use crate::topology::Topology;

/// The `Fallback` and `NoFallback` zonelists of every possible node, built together (Linux:
/// `build_all_zonelists()`).
///
/// Immutable once built. To share it between CPUs and rebuild it on hotplug, put it in a
/// [`SharedZonelists`](super::SharedZonelists).
///
/// # Examples
/// ```
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// // The recorded 4-node machine: "Fallback order for Node 0: 0 2 1 3".
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// let lists = Zonelists::build(&topo);
/// let order: Vec<u32> = lists.fallback_order(NodeId::new(0)).unwrap().iter().map(|n| n.as_u32()).collect();
/// assert_eq!(order, [0, 2, 1, 3]);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zonelists {
    /// By node number; `None` for nodes that are not possible.
    nodes: Vec<Option<NodeLists>>,
    order: ZonelistOrder,
    policy_zone: ZoneType,
}

impl Zonelists {
    /// Builds the zonelists of every possible node the way Linux 6.12 does at boot
    /// ([`ZonelistConfig::LINUX`]).
    pub fn build(topo: &Topology) -> Self {
        Self::build_with(topo, ZonelistConfig::LINUX)
    }

    /// Builds the zonelists of every possible node with `config` (Linux:
    /// `__build_all_zonelists()`: `node_load` is zeroed once, then the nodes are built in
    /// number order).
    pub fn build_with(topo: &Topology, config: ZonelistConfig) -> Self {
        let (nodes, order) = build::build_all(topo, config);
        Self {
            nodes,
            order,
            policy_zone: topo.policy_zone(),
        }
    }

    /// Returns `node`'s zonelist of `kind`, or `None` if `node` is not possible.
    pub fn zonelist(&self, node: NodeId, kind: ZonelistKind) -> Option<&Zonelist> {
        let lists = self.nodes.get(node.index())?.as_ref()?;
        Some(match kind {
            ZonelistKind::Fallback => &lists.fallback,
            ZonelistKind::NoFallback => &lists.nofallback,
        })
    }

    /// Returns the zonelist an allocation with `gfp` on `node` walks (Linux:
    /// `node_zonelist(nid, flags)`), or `None` if `node` is not possible.
    pub fn node_zonelist(&self, node: NodeId, gfp: GfpFlags) -> Option<&Zonelist> {
        self.zonelist(node, gfp::zonelist_for(gfp))
    }

    /// Returns `node`'s fallback node order (what Linux prints as "Fallback order for Node
    /// N"), or `None` if `node` is not possible.
    pub fn fallback_order(&self, node: NodeId) -> Option<&[NodeId]> {
        Some(&self.nodes.get(node.index())?.as_ref()?.order)
    }

    /// Returns the node "local" allocations from `node` use: the node of the first
    /// `GFP_KERNEL`-eligible zone of its fallback list (Linux: `local_memory_node()`); the
    /// node itself when it has normal memory.
    pub fn local_memory_node(&self, node: NodeId) -> Option<NodeId> {
        let highest = gfp::zone_for(GfpFlags::GFP_KERNEL).unwrap_or(ZoneType::Normal);
        let list = self.zonelist(node, ZonelistKind::Fallback)?;
        list.first_zone(highest, None).map(|z| z.node())
    }

    /// Returns the order the fallback lists were built in (never
    /// [`ZonelistOrder::Default`]).
    pub const fn order(&self) -> ZonelistOrder {
        self.order
    }

    /// Returns the highest zone type policies apply to (Linux: `policy_zone`).
    pub const fn policy_zone(&self) -> ZoneType {
        self.policy_zone
    }
}

//! Whether a policy's nodemask applies to an allocation's zone (Linux: `apply_policy_zone()`
//! in `mm/mempolicy.c`).

use crate::gfp::ZoneType;
use crate::nodemask::NodeMask;
use crate::topology::Topology;

/// Returns whether a policy over `policy_nodes` restricts an allocation whose highest zone is
/// `zone` (Linux: `apply_policy_zone()`).
///
/// Only the highest zones are policied: the threshold is the topology's
/// [`policy_zone`](Topology::policy_zone), the highest populated zone below `Movable`; if
/// `policy_nodes` holds only nodes with movable memory alone (none in `N_HIGH_MEMORY`), the
/// threshold is `Movable`. So `MPOL_BIND` does not restrict `GFP_DMA32` requests on x86-64.
///
/// # Examples
/// ```
/// use mempolicy::gfp::ZoneType;
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist;
/// use mempolicy::NodeMask;
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// let nodes: NodeMask = "1-3".parse()?;
/// assert!(zonelist::apply_policy_zone(&nodes, ZoneType::Movable, &topo));
/// assert!(zonelist::apply_policy_zone(&nodes, ZoneType::Normal, &topo));
/// assert!(!zonelist::apply_policy_zone(&nodes, ZoneType::Dma32, &topo));
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn apply_policy_zone(policy_nodes: &NodeMask, zone: ZoneType, topo: &Topology) -> bool {
    // The threshold is the policy zone or `Movable`, and the policy zone is below `Movable`:
    // the nodes decide only for a zone from the policy zone up to below `Movable`, so the
    // common requests (movable ones, and those below the policy zone) skip the mask scan.
    if zone >= ZoneType::Movable {
        return true;
    }
    if zone < topo.policy_zone() {
        return false;
    }
    policy_nodes.intersects(topo.high_memory_nodes())
}

//! Whether a page sits where its policy wants it, for NUMA balancing (Linux:
//! `mpol_misplaced`).

use crate::gfp;
use crate::gfp::ZonelistKind;
use crate::gfp::{GfpFlags, ZoneType};
use crate::interleave::{self, WeightSource};
use crate::nodemask::NodeId;
use crate::policy::{Mempolicy, Mode, PolicyFlags};
use crate::zonelist::Zonelists;

/// Returns the node a page on `page_node` should move to under `policy`, or `None` if it is
/// fine where it is (Linux: `mpol_misplaced`, `NUMA_NO_NODE` is `None`).
///
/// `policy` and `ilx` are what [`vma_policy`](super::vma_policy) returns for the page's
/// address and order; `this_node` is the node of the CPU that took the hinting fault
/// (`numa_node_id()`). `should_migrate` is the scheduler's filter for moving a page towards
/// the faulting CPU (Linux: `should_numa_migrate_memory`); it is asked only for policies with
/// `MPOL_F_MORON`, with the target node.
///
/// Policies without `MPOL_F_MOF` never move pages. Otherwise the target is:
///
/// | mode | target |
/// |---|---|
/// | `Interleave`, `WeightedInterleave` | the static pick for `ilx` |
/// | `Preferred` | none if `page_node` is its node, else its node |
/// | `Local`, `Default` | `this_node` |
/// | `Bind`, `PreferredMany` with `MORON` | `this_node` if it is in the policy's nodes, else none |
/// | `Bind`, `PreferredMany` without `MORON` | none if `page_node` is in the nodes, else the node of the first `GFP_HIGHUSER` zone of `this_node`'s fallback list within the nodes (none if there is none) |
///
/// Then, with `MPOL_F_MORON` (NUMA-balancing policies and the per-node boot policies), the
/// target becomes `this_node`, if `should_migrate` agrees. A target equal to `page_node` is
/// `None`.
///
/// # Examples
/// ```
/// use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
/// use mempolicy::select;
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// let lists = Zonelists::build(&topo);
/// let ctx = NodeContext::unrestricted(*topo.memory_nodes());
/// let raw = Mode::Bind.as_raw() | i32::from(ModeFlags::NUMA_BALANCING.bits());
/// let bind = Mempolicy::from_raw(raw, &"0-1".parse()?, &ctx)?.expect("a policy");
/// let (n0, n1) = (NodeId::new(0), NodeId::new(1));
/// // A page on node 0 touched from node 1: move it to node 1.
/// let uniform = mempolicy::interleave::Uniform;
/// assert_eq!(select::mpol_misplaced(&bind, 0, n0, n1, &lists, &uniform, |_| true), Some(n1));
/// assert_eq!(select::mpol_misplaced(&bind, 0, n1, n1, &lists, &uniform, |_| true), None);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn mpol_misplaced<W, S>(
    policy: &Mempolicy,
    ilx: u64,
    page_node: NodeId,
    this_node: NodeId,
    zonelists: &Zonelists,
    weights: &W,
    should_migrate: S,
) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
    S: FnOnce(NodeId) -> bool,
{
    let flags = policy.internal_flags();
    if !flags.contains(PolicyFlags::MOF) {
        return None;
    }
    let moron = flags.contains(PolicyFlags::MORON);
    let nodes = policy.nodes();
    let target = match policy.mode() {
        // An empty mask falls back to the local node, as Linux's pickers do.
        Mode::Interleave => interleave::interleave_nid(nodes, ilx).unwrap_or(this_node),
        Mode::WeightedInterleave => {
            interleave::weighted_interleave_nid(nodes, ilx, weights).unwrap_or(this_node)
        }
        Mode::Preferred => {
            if nodes.contains(page_node) {
                return None;
            }
            nodes.first()?
        }
        Mode::Local | Mode::Default => this_node,
        Mode::Bind | Mode::PreferredMany => {
            if moron {
                if !nodes.contains(this_node) {
                    return None;
                }
                this_node
            } else {
                if nodes.contains(page_node) {
                    return None;
                }
                let highest = gfp::highest_zone(GfpFlags::GFP_HIGHUSER).unwrap_or(ZoneType::Normal);
                zonelists
                    .zonelist(this_node, ZonelistKind::Fallback)?
                    .first_zone(highest, Some(nodes))?
                    .node()
            }
        }
    };
    let target = if moron {
        if !should_migrate(this_node) {
            return None;
        }
        this_node
    } else {
        target
    };
    (target != page_node).then_some(target)
}

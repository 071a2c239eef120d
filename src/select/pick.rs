//! The pick for one allocation: preferred node, optional nodemask, zonelist kind (Linux:
//! `policy_nodemask`, the mode tests of `alloc_pages_mpol`, and `mempolicy_slab_node`).

use super::context::{alloc_policy, vma_policy, CpuContext, Globals, TaskContext, VmaPolicy};
use crate::error::{Error, Result};
use crate::gfp::{self, GfpFlags, ZoneType, ZonelistKind};
use crate::interleave::{self, InterleaveCursor, WeightSource, NO_INTERLEAVE_INDEX};
use crate::nodemask::{NodeId, NodeMask};
use crate::policy::{Mempolicy, Mode};
use crate::zonelist;

/// Where one allocation should go (Linux: the `nid` and the nodemask `policy_nodemask`
/// returns, with the zone bound and zonelist `prepare_alloc_pages` derives from the GFP
/// flags, and the mode facts `alloc_pages_mpol` tests).
///
/// The nodemask is borrowed from the policy (`'a`), so that a placement is a few words
/// whatever `MAX_NUMNODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement<'a> {
    node: NodeId,
    nodemask: Option<&'a NodeMask>,
    kind: ZonelistKind,
    highest: ZoneType,
    mode: Mode,
}

impl<'a> Placement<'a> {
    /// Returns the preferred node: the zonelist of this node is walked (Linux: `nid`).
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns the nodes the walk is restricted to, if any (Linux: the returned
    /// `nodemask_t *`).
    pub const fn nodemask(&self) -> Option<&'a NodeMask> {
        self.nodemask
    }

    /// Returns which of the node's zonelists is walked (Linux: `gfp_zonelist()`).
    pub const fn kind(&self) -> ZonelistKind {
        self.kind
    }

    /// Returns the highest zone the allocation may use (Linux: `gfp_zone()`).
    pub const fn highest_zone(&self) -> ZoneType {
        self.highest
    }

    /// Returns the mode of the policy that made the pick.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Returns whether the allocation is two-pass: the nodemask first without direct
    /// reclaim, then every node (Linux: `pol->mode == MPOL_PREFERRED_MANY` in
    /// `alloc_pages_mpol`).
    pub const fn is_preferred_many(&self) -> bool {
        matches!(self.mode, Mode::PreferredMany)
    }

    /// Returns whether the node came from an interleave pick (Linux: the modes for which
    /// `NUMA_INTERLEAVE_HIT` is counted and the THP rule does not apply).
    pub const fn is_interleave(&self) -> bool {
        self.mode.is_interleave()
    }
}

/// Returns the placement `policy` gives an allocation with `gfp` (Linux: `policy_nodemask`
/// plus `gfp_zone`/`gfp_zonelist`).
///
/// `node` is the node Linux passes in as `nid` (normally this CPU's, `numa_node_id()`);
/// `ilx` the interleave index, or [`NO_INTERLEAVE_INDEX`] for a dynamic pick that reads and
/// advances `cursor`. `mems_allowed` is the task's cpuset (`None`: unrestricted).
///
/// | mode | node | nodemask |
/// |---|---|---|
/// | `Preferred` | its node | none |
/// | `PreferredMany` | home node, else `node` | the policy's nodes |
/// | `Bind` | home node, else `node` | the policy's nodes, if [`zonelist::apply_policy_zone`] says the zone is policied and they meet `mems_allowed` |
/// | `Interleave`, `WeightedInterleave` | static pick by `ilx`, or dynamic pick | none |
/// | `Local`, `Default` | `node` | none |
///
/// `Bind` with `__GFP_THISNODE`: `node` if it is in the policy's nodes, else the lowest of
/// them (what Linux did before 4.7; modern Linux only warns and keeps `node`, whose
/// no-fallback list the nodemask then empties when `node` is outside it).
///
/// # Errors
/// [`Error::ConflictingZoneFlags`](crate::Error::ConflictingZoneFlags) if `gfp` names two
/// zones; the cursor is then not touched.
// Always inlined: returned through memory, the placement costs a store-forwarding stall
// that is larger than a local pick itself; the interleave work stays out of line.
#[inline(always)]
pub fn policy_nodemask<'p, W>(
    policy: &'p Mempolicy,
    gfp: GfpFlags,
    ilx: u64,
    node: NodeId,
    cursor: &mut InterleaveCursor,
    mems_allowed: Option<&NodeMask>,
    globals: &Globals<'_, W>,
) -> Result<Placement<'p>>
where
    W: WeightSource + ?Sized,
{
    let highest = highest_zone(gfp)?;
    let mut placement = Placement {
        node,
        nodemask: None,
        kind: gfp::zonelist_for(gfp),
        highest,
        mode: policy.mode(),
    };
    let nodes = policy.nodes();
    match policy.mode() {
        Mode::Preferred => {
            if let Some(first) = nodes.first() {
                placement.node = first;
            }
        }
        Mode::PreferredMany => {
            placement.nodemask = Some(nodes);
            if let Some(home) = policy.home_node() {
                placement.node = home;
            }
        }
        Mode::Bind => {
            let cpuset_ok = mems_allowed.is_none_or(|allowed| nodes.intersects(allowed));
            if cpuset_ok && zonelist::apply_policy_zone(nodes, highest, globals.topology()) {
                placement.nodemask = Some(nodes);
            }
            if let Some(home) = policy.home_node() {
                placement.node = home;
            }
            if gfp.contains(GfpFlags::THISNODE) && !nodes.contains(placement.node) {
                if let Some(first) = nodes.first() {
                    placement.node = first;
                }
            }
        }
        Mode::Interleave => {
            placement.node =
                interleave_pick::<false, W>(policy, ilx, node, cursor, globals.weights());
        }
        Mode::WeightedInterleave => {
            placement.node =
                interleave_pick::<true, W>(policy, ilx, node, cursor, globals.weights());
        }
        Mode::Local | Mode::Default => {}
    }
    Ok(placement)
}

/// The node of an interleave policy's pick (`WEIGHTED`: a weighted interleave policy's):
/// static by `ilx`, or dynamic (advancing `cursor`) for [`NO_INTERLEAVE_INDEX`]; `node` if the
/// policy has no nodes (Linux: `interleave_nodes`, `interleave_nid`,
/// `weighted_interleave_nodes`, `weighted_interleave_nid`).
///
/// A static pick from a mask of nodes below 8 (for weighted interleave with small weights, see
/// [`WeightSource::small_first_eight`]) is a few word operations and stays inline; everything
/// else is out of line, so that the other modes' picks stay small.
#[inline(always)]
fn interleave_pick<const WEIGHTED: bool, W>(
    policy: &Mempolicy,
    ilx: u64,
    node: NodeId,
    cursor: &mut InterleaveCursor,
    weights: &W,
) -> NodeId
where
    W: WeightSource + ?Sized,
{
    let nodes = policy.nodes();
    // The policy keeps its nodes as a byte when they are all below 8: no scan of the mask's
    // other words, for dynamic and static picks alike.
    debug_assert_eq!(policy.low_nodes(), nodes.low_byte());
    let low = policy.low_nodes();
    if ilx == NO_INTERLEAVE_INDEX {
        // (With one word, the mask pickers are as short: the byte pays only for wider masks.)
        if let Some(byte) = low.filter(|_| crate::MAX_NUMNODES > 64) {
            return if WEIGHTED {
                cursor.next_weighted_in_byte(byte, weights)
            } else {
                cursor.next_interleave_in_byte(byte)
            };
        }
        let pick = if WEIGHTED {
            cursor.next_weighted(nodes, weights)
        } else {
            cursor.next_interleave(nodes)
        };
        return pick.unwrap_or(node);
    }
    if let Some(byte) = low {
        if !WEIGHTED {
            return NodeMask::nth_wrapping_in_low_byte(byte, ilx);
        }
        if let Some(eight) = weights.small_first_eight() {
            return interleave::weighted_in_low_byte(byte, ilx, eight);
        }
    }
    static_pick(nodes, WEIGHTED, ilx, weights).unwrap_or(node)
}

/// The static pick of [`interleave_pick`] for every mask.
#[inline(never)]
fn static_pick<W>(nodes: &NodeMask, weighted: bool, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    if weighted {
        interleave::weighted_interleave_nid(nodes, ilx, weights)
    } else {
        interleave::interleave_nid(nodes, ilx)
    }
}

/// Returns the highest zone `gfp` allows (Linux: `gfp_zone()`), or the error of
/// [`gfp::zone_for`].
#[inline]
pub(super) fn highest_zone(gfp: GfpFlags) -> Result<ZoneType> {
    match gfp::highest_zone(gfp) {
        Some(zone) => Ok(zone),
        None => Err(Error::ConflictingZoneFlags(gfp.bits())),
    }
}

/// Returns the placement of a plain page allocation by the current task (Linux:
/// `alloc_pages(gfp, order)` → `alloc_frozen_pages_noprof` → `policy_nodemask` with
/// `NO_INTERLEAVE_INDEX` and `numa_node_id()`).
///
/// In interrupt context or with `__GFP_THISNODE` the default (local) policy applies;
/// otherwise the task's policy (see [`alloc_policy`](super::alloc_policy)). Interleave
/// policies advance the task's cursor.
///
/// # Errors
/// As [`policy_nodemask`].
///
/// # Examples
/// ```
/// use mempolicy::gfp::GfpFlags;
/// use mempolicy::interleave::{InterleaveCursor, Uniform};
/// use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
/// use mempolicy::select::{self, CpuContext, Globals, TaskContext};
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// let lists = Zonelists::build(&topo);
/// let defaults = PolicyDefaults::new();
/// let globals = Globals::new(&topo, &lists, &defaults, &Uniform);
/// let ctx = NodeContext::unrestricted(*topo.memory_nodes());
/// let pol = Mempolicy::create(Mode::Interleave, ModeFlags::empty(), &"1-2".parse()?, &ctx)?;
/// let mut cursor = InterleaveCursor::new();
/// let mut task = TaskContext::new(pol.as_ref(), &mut cursor);
/// let cpu = CpuContext::task(NodeId::new(0));
/// let nodes: Vec<u32> = (0..3)
///     .map(|_| select::pick_alloc(&globals, &mut task, cpu, GfpFlags::GFP_KERNEL))
///     .map(|p| p.map(|p| p.node().as_u32()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(nodes, [1, 2, 1]);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn pick_alloc<'a, 't: 'a, W>(
    globals: &Globals<'a, W>,
    task: &mut TaskContext<'t>,
    cpu: CpuContext,
    gfp: GfpFlags,
) -> Result<Placement<'a>>
where
    W: WeightSource + ?Sized,
{
    let policy = alloc_policy(globals, task.policy(), cpu, gfp);
    let mems_allowed = cpuset_of(task, cpu);
    policy_nodemask(
        policy,
        gfp,
        NO_INTERLEAVE_INDEX,
        cpu.node(),
        task.cursor(),
        mems_allowed,
        globals,
    )
}

/// Returns the placement of a page of a mapping (Linux: `vma_alloc_folio` →
/// `get_vma_policy` → `policy_nodemask` with `numa_node_id()`), and the interleave index
/// used.
///
/// The mapping's (or shared object's) policy comes first, then the task's ([`vma_policy`](
/// super::vma_policy)); interleave picks are static, by index, and never move the task's
/// cursor.
///
/// # Errors
/// As [`policy_nodemask`].
#[inline(always)]
pub fn pick_vma<'a, 't: 'a, W>(
    globals: &Globals<'a, W>,
    task: &mut TaskContext<'t>,
    cpu: CpuContext,
    vma: &VmaPolicy<'a>,
    gfp: GfpFlags,
) -> Result<(Placement<'a>, u64)>
where
    W: WeightSource + ?Sized,
{
    let (policy, ilx) = vma_policy(globals, vma, task.policy(), cpu);
    let mems_allowed = cpuset_of(task, cpu);
    let placement = policy_nodemask(
        policy,
        gfp,
        ilx,
        cpu.node(),
        task.cursor(),
        mems_allowed,
        globals,
    )?;
    Ok((placement, ilx))
}

/// The cpuset restriction in effect: none in interrupt context (Linux:
/// `__cpuset_zone_allowed` allows every node `in_interrupt()`).
pub(super) fn cpuset_of<'a>(task: &TaskContext<'a>, cpu: CpuContext) -> Option<&'a NodeMask> {
    if cpu.in_interrupt() {
        None
    } else {
        task.mems_allowed()
    }
}

/// Returns the node the next slab object of the current task should come from (Linux:
/// `mempolicy_slab_node`).
///
/// Outside task context, or without a task policy of its own: the CPU's local memory node
/// (Linux: `numa_mem_id()`, the node itself or, for a memoryless node, the first node of
/// its fallback list). `Preferred`: its node. Interleave modes: a dynamic pick (advances the
/// cursor). `Bind`, `PreferredMany`: the node of the first `GFP_KERNEL` zone of the local
/// memory node's fallback list within the policy's nodes, else the local memory node.
/// `Local`: the local memory node.
pub fn slab_node<W>(globals: &Globals<'_, W>, task: &mut TaskContext<'_>, cpu: CpuContext) -> NodeId
where
    W: WeightSource + ?Sized,
{
    let lists = globals.zonelists();
    let local = lists.local_memory_node(cpu.node()).unwrap_or(cpu.node());
    let Some(policy) = task.policy() else {
        return local;
    };
    if cpu.in_interrupt() {
        return local;
    }
    let nodes = policy.nodes();
    match policy.mode() {
        Mode::Preferred => nodes.first().unwrap_or(local),
        Mode::Interleave => task.cursor().next_interleave(nodes).unwrap_or(local),
        Mode::WeightedInterleave => task
            .cursor()
            .next_weighted(nodes, globals.weights())
            .unwrap_or(local),
        Mode::Bind | Mode::PreferredMany => lists
            .zonelist(local, ZonelistKind::Fallback)
            .and_then(|list| list.first_zone(ZoneType::Normal, Some(nodes)))
            .map_or(local, |zone| zone.node()),
        Mode::Local | Mode::Default => local,
    }
}

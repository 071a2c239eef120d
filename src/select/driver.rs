//! The allocation driver: turns a [`Placement`] into frames of a frame source the embedder
//! implements (Linux: `alloc_pages_mpol`, `alloc_pages_preferred_many`, and the zonelist walk
//! of `__alloc_frozen_pages_noprof` → `prepare_alloc_pages` → `get_page_from_freelist`).
//!
//! The driver decides *where* to try, in Linux's order; the [`FrameSource`] decides whether a
//! zone can give the frames (free lists, watermarks, reclaim). Nothing here allocates, locks
//! or panics.

use super::cache::ZoneCache;
use super::context::{CpuContext, Machine, TaskContext, Vma};
use super::pick::{cpuset_of, highest_zone, pick_alloc, pick_vma, Placement};
use crate::error::{Error, Result};
use crate::gfp::{self, GfpFlags, ZoneType};
use crate::interleave::{WeightSource, NO_INTERLEAVE_INDEX};
use crate::nodemask::{NodeId, NodeMask};
use crate::zonelist::Zonelists;

/// The order of a PMD-sized transparent huge page with 4 KiB pages (Linux:
/// `HPAGE_PMD_ORDER` on x86-64): allocations of this order with an interleave index get the
/// THP rule of [`alloc_pages_mpol`].
pub const HPAGE_PMD_ORDER: u32 = 9;

/// The embedder's physical memory: free lists per node and zone (Linux: the buddy allocator
/// behind `rmqueue`, with the watermark check and reclaim of `get_page_from_freelist` and the
/// slow path).
///
/// The driver calls [`FrameSource::try_take`] for each eligible zone in zonelist order and
/// stops at the first `true`. The embedder may reclaim or compact inside the call when `gfp`
/// allows it (`DIRECT_RECLAIM`), and should not when it carries `NORETRY` or lacks
/// `DIRECT_RECLAIM`.
pub trait FrameSource {
    /// Takes `2^order` contiguous frames from `zone` of `node` for an allocation with
    /// `gfp`, and returns whether it did.
    fn try_take(&mut self, node: NodeId, zone: ZoneType, order: u32, gfp: GfpFlags) -> bool;
}

impl<F: FnMut(NodeId, ZoneType, u32, GfpFlags) -> bool> FrameSource for F {
    fn try_take(&mut self, node: NodeId, zone: ZoneType, order: u32, gfp: GfpFlags) -> bool {
        self(node, zone, order, gfp)
    }
}

/// Where an allocation was served (Linux: `page_to_nid(page)`, `page_zone(page)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Served {
    node: NodeId,
    zone: ZoneType,
    gfp: GfpFlags,
    interleave_hit: bool,
}

impl Served {
    /// Returns the node the frames came from.
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns the zone the frames came from.
    pub const fn zone(&self) -> ZoneType {
        self.zone
    }

    /// Returns the flags of the attempt that succeeded (for `PreferredMany`'s first pass:
    /// without direct reclaim; for the THP rule: with `THISNODE | NORETRY`).
    pub const fn gfp(&self) -> GfpFlags {
        self.gfp
    }

    /// Returns whether an interleave policy's page landed on the node it picked (Linux:
    /// counts `NUMA_INTERLEAVE_HIT`).
    pub const fn is_interleave_hit(&self) -> bool {
        self.interleave_hit
    }
}

/// Walks `node`'s zonelist for `gfp` and takes frames from the first zone that gives them
/// (Linux: `__alloc_frozen_pages_noprof(gfp, order, nid, nodemask)`: `prepare_alloc_pages`
/// then `get_page_from_freelist`).
///
/// The list is `node`'s no-fallback list with `__GFP_THISNODE`, its fallback list otherwise;
/// zones above `gfp`'s highest zone are skipped, and so are nodes outside `nodemask` and
/// outside `mems_allowed` (the cpuset, `None` in interrupt context). Returns `Ok(None)` when
/// no eligible zone gives the frames.
///
/// # Errors
/// [`Error::ConflictingZoneFlags`] if `gfp` names two zones; [`Error::InvalidNode`] if
/// `node` has no zonelists (not a possible node). Nothing is taken then.
pub fn alloc_on_node<F>(
    zonelists: &Zonelists,
    gfp: GfpFlags,
    order: u32,
    node: NodeId,
    nodemask: Option<&NodeMask>,
    mems_allowed: Option<&NodeMask>,
    frames: &mut F,
) -> Result<Option<Served>>
where
    F: FrameSource + ?Sized,
{
    let mut walk = Walk {
        zonelists,
        order,
        mems_allowed,
        cache: None,
    };
    walk.on_node(gfp, node, nodemask, frames)
}

/// The parts of a zonelist walk that stay the same across the attempts of one allocation.
struct Walk<'a, 'c> {
    zonelists: &'a Zonelists,
    order: u32,
    mems_allowed: Option<&'a NodeMask>,
    cache: Option<&'c mut ZoneCache>,
}

impl Walk<'_, '_> {
    /// One attempt: `__alloc_frozen_pages_noprof(gfp, order, node, nodemask)`.
    fn on_node<F>(
        &mut self,
        gfp: GfpFlags,
        node: NodeId,
        nodemask: Option<&NodeMask>,
        frames: &mut F,
    ) -> Result<Option<Served>>
    where
        F: FrameSource + ?Sized,
    {
        let highest = highest_zone(gfp)?;
        let list = self
            .zonelists
            .zonelist(node, gfp::zonelist_for(gfp))
            .ok_or(Error::InvalidNode(u64::from(node.as_u32())))?;
        let combined;
        let filter = match (nodemask, self.mems_allowed) {
            (Some(mask), Some(allowed)) => {
                combined = mask.and(allowed);
                Some(&combined)
            }
            (Some(mask), None) | (None, Some(mask)) => Some(mask),
            (None, None) => None,
        };
        let start = match self.cache.as_deref_mut() {
            None => 0,
            Some(cache) => match cache.first_zone(list, highest, filter) {
                Some((_, index)) => index,
                None => return Ok(None),
            },
        };
        for zone in list.iter_from(start, highest, filter) {
            if frames.try_take(zone.node(), zone.zone(), self.order, gfp) {
                return Ok(Some(Served {
                    node: zone.node(),
                    zone: zone.zone(),
                    gfp,
                    interleave_hit: false,
                }));
            }
        }
        Ok(None)
    }
}

/// Allocates `2^order` frames as `placement` says (Linux: `alloc_pages_mpol` after
/// `policy_nodemask`).
///
/// * `PreferredMany`: first the placement's nodemask with `gfp | NOWARN` minus
///   `DIRECT_RECLAIM` and `NOFAIL`, then every node with `gfp` (Linux:
///   `alloc_pages_preferred_many`).
/// * THP rule: `order == HPAGE_PMD_ORDER`, an interleave index (`ilx !=
///   NO_INTERLEAVE_INDEX`), a non-interleave mode, and no nodemask or the node in it → first
///   the node alone with `gfp | THISNODE | NORETRY`; if that fails and `gfp` lacks
///   `DIRECT_RECLAIM`, nothing (`Ok(None)`); else the normal walk.
/// * Otherwise one walk of the preferred node's zonelist within the nodemask.
///
/// `mems_allowed` is the task's cpuset (`None` in interrupt context or without cpusets).
///
/// # Errors
/// As [`alloc_on_node`].
pub fn alloc_pages_mpol<F>(
    zonelists: &Zonelists,
    placement: &Placement,
    gfp: GfpFlags,
    order: u32,
    ilx: u64,
    mems_allowed: Option<&NodeMask>,
    frames: &mut F,
) -> Result<Option<Served>>
where
    F: FrameSource + ?Sized,
{
    let mut walk = Walk {
        zonelists,
        order,
        mems_allowed,
        cache: None,
    };
    walk.mpol(placement, gfp, ilx, frames)
}

impl Walk<'_, '_> {
    /// The body of [`alloc_pages_mpol`].
    fn mpol<F>(
        &mut self,
        placement: &Placement,
        gfp: GfpFlags,
        ilx: u64,
        frames: &mut F,
    ) -> Result<Option<Served>>
    where
        F: FrameSource + ?Sized,
    {
        let node = placement.node();
        let nodemask = placement.nodemask();
        if placement.is_preferred_many() {
            let first_gfp =
                (gfp | GfpFlags::NOWARN) - (GfpFlags::DIRECT_RECLAIM | GfpFlags::NOFAIL);
            let first = self.on_node(first_gfp, node, nodemask, frames)?;
            if first.is_some() {
                return Ok(first);
            }
            return self.on_node(gfp, node, None, frames);
        }
        let thp_first = self.order == HPAGE_PMD_ORDER
            && ilx != NO_INTERLEAVE_INDEX
            && !placement.is_interleave()
            && nodemask.is_none_or(|mask| mask.contains(node));
        if thp_first {
            let local_gfp = gfp | GfpFlags::THISNODE | GfpFlags::NORETRY;
            let local = self.on_node(local_gfp, node, None, frames)?;
            if local.is_some() || !gfp.contains(GfpFlags::DIRECT_RECLAIM) {
                return Ok(local);
            }
        }
        let served = self.on_node(gfp, node, nodemask, frames)?;
        Ok(served.map(|mut served| {
            served.interleave_hit = placement.is_interleave() && served.node == node;
            served
        }))
    }
}

/// Allocates `2^order` frames for the current task (Linux: `alloc_pages(gfp, order)`):
/// [`pick_alloc`] then [`alloc_pages_mpol`] with no interleave index, using the task's
/// [`ZoneCache`] if it has one.
///
/// # Errors
/// As [`alloc_on_node`]; a bad `gfp` is reported before the cursor moves.
pub fn alloc_pages<W, F>(
    machine: &Machine<'_, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    gfp: GfpFlags,
    order: u32,
    frames: &mut F,
) -> Result<Option<Served>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    let placement = pick_alloc(machine, task, cpu, gfp)?;
    let mems_allowed = cpuset_of(task, cpu);
    let mut walk = Walk {
        zonelists: machine.zonelists(),
        order,
        mems_allowed,
        cache: task.zone_cache(),
    };
    walk.mpol(&placement, gfp, NO_INTERLEAVE_INDEX, frames)
}

/// Allocates the `2^order` frames backing the page at `addr` of `vma` (Linux:
/// `vma_alloc_folio(gfp, order, vma, addr)`): [`pick_vma`] then [`alloc_pages_mpol`] with the
/// page's interleave index, using the task's [`ZoneCache`] if it has one.
///
/// # Errors
/// As [`alloc_on_node`].
#[allow(
    clippy::too_many_arguments,
    reason = "the inputs of vma_alloc_folio plus the machine, task, CPU and frame source"
)]
pub fn alloc_vma<'a, W, F>(
    machine: &Machine<'a, W>,
    task: &mut TaskContext<'a>,
    cpu: CpuContext,
    vma: &Vma<'a>,
    addr: u64,
    order: u32,
    gfp: GfpFlags,
    frames: &mut F,
) -> Result<Option<Served>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    let (placement, ilx) = pick_vma(machine, task, cpu, vma, addr, order, gfp)?;
    let mems_allowed = cpuset_of(task, cpu);
    let mut walk = Walk {
        zonelists: machine.zonelists(),
        order,
        mems_allowed,
        cache: task.zone_cache(),
    };
    walk.mpol(&placement, gfp, ilx, frames)
}

//! The allocation driver: turns a [`Placement`] into frames of a frame source the embedder
//! implements (Linux: `alloc_pages_mpol`, `alloc_pages_preferred_many`, the bulk paths of
//! `alloc_pages_bulk_mempolicy_noprof`, and the zonelist walk of
//! `__alloc_frozen_pages_noprof` → `prepare_alloc_pages` → `get_page_from_freelist`).
//!
//! The driver decides *where* to try, in Linux's order; the [`FrameSource`] decides whether a
//! zone can give the frames (free lists, watermarks, reclaim) and hands them back. Nothing
//! here allocates, locks or panics.

use super::cache::{ListKey, ZoneCache};
use super::context::{CpuContext, Globals, TaskContext, VmaPolicy};
use super::pick::{cpuset_of, highest_zone, pick_alloc, pick_vma, policy_nodemask, Placement};
use crate::error::{Error, Result};
use crate::gfp::{self, GfpFlags, ZoneType};
use crate::interleave::{self, BulkPlan, WeightSource, NO_INTERLEAVE_INDEX};
use crate::nodemask::{NodeId, NodeMask};
use crate::page::HPAGE_PMD_ORDER;
use crate::policy::Mode;
use crate::zonelist::{ZoneRef, Zonelist, Zonelists};

/// The embedder's physical memory: free lists per node and zone (Linux: the buddy allocator
/// behind `rmqueue`, with the watermark check and reclaim of `get_page_from_freelist` and the
/// slow path).
///
/// The driver calls [`FrameSource::take`] for each eligible zone in zonelist order and stops
/// at the first frame it gets back. The embedder may reclaim or compact inside the call when
/// `gfp` allows it (`DIRECT_RECLAIM`), and should not when it carries `NORETRY` or lacks
/// `DIRECT_RECLAIM`.
///
/// A closure `FnMut(NodeId, ZoneType, u32, GfpFlags) -> Option<T>` is a frame source of
/// frames `T`.
pub trait FrameSource {
    /// What the embedder hands back for `2^order` contiguous frames: a physical address, a
    /// `struct page` pointer, a frame number.
    type Frame;

    /// Takes `2^order` contiguous frames from `zone` of `node` for an allocation with `gfp`,
    /// or returns `None` if that zone cannot give them now.
    fn take(
        &mut self,
        node: NodeId,
        zone: ZoneType,
        order: u32,
        gfp: GfpFlags,
    ) -> Option<Self::Frame>;
}

impl<T, F> FrameSource for F
where
    F: FnMut(NodeId, ZoneType, u32, GfpFlags) -> Option<T>,
{
    type Frame = T;

    #[inline]
    fn take(&mut self, node: NodeId, zone: ZoneType, order: u32, gfp: GfpFlags) -> Option<T> {
        self(node, zone, order, gfp)
    }
}

/// Frames the allocation got and where they came from (Linux: the `struct page *` returned,
/// with `page_to_nid(page)` and `page_zone(page)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "dropping a page leaks its frames"]
pub struct Page<T> {
    frame: T,
    node: NodeId,
    zone: ZoneType,
    gfp: GfpFlags,
    interleave_hit: bool,
}

impl<T> Page<T> {
    /// The frames `frame` taken from `zone` with `gfp` (not an interleave hit).
    #[inline(always)]
    const fn new(frame: T, zone: ZoneRef, gfp: GfpFlags) -> Self {
        Self {
            frame,
            node: zone.node(),
            zone: zone.zone(),
            gfp,
            interleave_hit: false,
        }
    }

    /// Returns the frames, as the frame source handed them back.
    #[inline]
    pub const fn frame(&self) -> &T {
        &self.frame
    }

    /// Returns the frames, consuming the page.
    #[inline]
    pub fn into_frame(self) -> T {
        self.frame
    }

    /// Returns the node the frames came from.
    #[inline]
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns the zone the frames came from.
    #[inline]
    pub const fn zone(&self) -> ZoneType {
        self.zone
    }

    /// Returns the flags of the attempt that succeeded (for `PreferredMany`'s first pass:
    /// without direct reclaim; for the huge-page rule: with `THISNODE | NORETRY`).
    #[inline]
    pub const fn gfp(&self) -> GfpFlags {
        self.gfp
    }

    /// Returns whether an interleave policy's page landed on the node it picked (Linux:
    /// counts `NUMA_INTERLEAVE_HIT`).
    #[inline]
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
) -> Result<Option<Page<F::Frame>>>
where
    F: FrameSource + ?Sized,
{
    Walk::new(zonelists, order, mems_allowed).on_node(gfp, node, nodemask, frames)
}

/// The parts of a zonelist walk that stay the same across the attempts of one allocation.
pub(crate) struct Walk<'a, 'c> {
    zonelists: &'a Zonelists,
    order: u32,
    mems_allowed: Option<&'a NodeMask>,
    /// The CPU's cache and the generation that names `zonelists` in it.
    cache: Option<(&'c mut ZoneCache, u64)>,
}

impl<'a, 'c> Walk<'a, 'c> {
    /// A walk of `zonelists` for `2^order` frames within the cpuset `mems_allowed`.
    #[inline]
    pub(crate) const fn new(
        zonelists: &'a Zonelists,
        order: u32,
        mems_allowed: Option<&'a NodeMask>,
    ) -> Self {
        Self {
            zonelists,
            order,
            mems_allowed,
            cache: None,
        }
    }

    /// Lets the walk remember first zones in `cache`, where `zonelists` is the set of
    /// `generation` (generations name sets uniquely for the owner of the cache).
    #[inline]
    pub(crate) fn with_cache(mut self, cache: Option<(&'c mut ZoneCache, u64)>) -> Self {
        self.cache = cache;
        self
    }

    /// One attempt: `__alloc_frozen_pages_noprof(gfp, order, node, nodemask)`.
    ///
    /// The first entry at or below the highest zone is usually eligible (no nodemask, or its
    /// node in it): then finding the first zone is one table lookup. Otherwise the CPU's
    /// cache remembers where the first eligible entry is, so that a narrow mask far down a
    /// long list costs one lookup too. The first eligible zone usually gives the frames: that
    /// case is one call of the frame source, inline; the search and the rest of the walk are
    /// out of line, and take what they need by value (so that the walk's state stays in
    /// registers on the inline path).
    #[inline(always)]
    fn on_node<F>(
        &mut self,
        gfp: GfpFlags,
        node: NodeId,
        nodemask: Option<&NodeMask>,
        frames: &mut F,
    ) -> Result<Option<Page<F::Frame>>>
    where
        F: FrameSource + ?Sized,
    {
        let Some(highest) = gfp::highest_zone(gfp) else {
            return Err(Error::ConflictingZoneFlags(gfp.bits()));
        };
        let kind = gfp::zonelist_for(gfp);
        let Some(list) = self.zonelists.zonelist(node, kind) else {
            return Err(Error::InvalidNode(u64::from(node.as_u32())));
        };
        let mems_allowed = self.mems_allowed;
        let first = list.first_at_or_below(highest);
        let start = match list.as_slice().get(first) {
            Some(zone) if allows(nodemask, zone.node()) && allows(mems_allowed, zone.node()) => {
                first
            }
            _ => match self.cache.as_mut() {
                Some((cache, generation)) => {
                    match near_eligible(list, first, highest, nodemask, mems_allowed) {
                        Some(index) => index,
                        None => {
                            let key = ListKey {
                                generation: *generation,
                                node,
                                kind,
                            };
                            cached_first_eligible(list, highest, nodemask, mems_allowed, cache, key)
                        }
                    }
                }
                None => {
                    // No cache (the selection layer called directly): the whole walk, inline,
                    // from the entry after the first (which the filter leaves out).
                    let rest = Rest {
                        list,
                        from: first + 1,
                        order: self.order,
                        gfp,
                        highest,
                    };
                    return Ok(walk_from(rest, nodemask, mems_allowed, frames));
                }
            },
        };
        let Some(&zone) = list.as_slice().get(start) else {
            return Ok(None);
        };
        if let Some(frame) = frames.take(zone.node(), zone.zone(), self.order, gfp) {
            return Ok(Some(Page::new(frame, zone, gfp)));
        }
        let rest = Rest {
            list,
            from: start + 1,
            order: self.order,
            gfp,
            highest,
        };
        Ok(walk_rest(rest, nodemask, mems_allowed, frames))
    }

    /// The body of [`alloc_pages_mpol`].
    #[inline(always)]
    pub(crate) fn mpol<F>(
        &mut self,
        placement: &Placement,
        gfp: GfpFlags,
        ilx: u64,
        frames: &mut F,
    ) -> Result<Option<Page<F::Frame>>>
    where
        F: FrameSource + ?Sized,
    {
        let node = placement.node();
        let nodemask = placement.nodemask();
        if placement.is_preferred_many() {
            let first = self.on_node(preferred_many_gfp(gfp), node, nodemask, frames)?;
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
        Ok(served.map(|mut page| {
            page.interleave_hit = placement.is_interleave() && page.node == node;
            page
        }))
    }

    /// Up to `out.len()` order-0 pages from `node`'s zonelist within `nodemask`, stopping at
    /// the first failure (Linux: `alloc_pages_bulk_noprof(gfp, nid, nodemask, nr, array)`).
    fn bulk_on_node<F>(
        &mut self,
        gfp: GfpFlags,
        node: NodeId,
        nodemask: Option<&NodeMask>,
        out: &mut [Option<Page<F::Frame>>],
        frames: &mut F,
    ) -> Result<usize>
    where
        F: FrameSource + ?Sized,
    {
        let mut filled = 0;
        for slot in out.iter_mut() {
            match self.on_node(gfp, node, nodemask, frames)? {
                Some(page) => {
                    *slot = Some(page);
                    filled += 1;
                }
                None => break,
            }
        }
        Ok(filled)
    }
}

/// The nodemask a walk filters by: the allocation's and the cpuset's together.
#[inline]
fn filter<'m>(
    nodemask: Option<&'m NodeMask>,
    mems_allowed: Option<&'m NodeMask>,
    combined: &'m mut NodeMask,
) -> Option<&'m NodeMask> {
    match (nodemask, mems_allowed) {
        (Some(mask), Some(allowed)) => {
            *combined = mask.and(allowed);
            Some(combined)
        }
        (Some(mask), None) | (None, Some(mask)) => Some(mask),
        (None, None) => None,
    }
}

/// Whether `mask` (none: no restriction) lets a walk take memory of `node`.
#[inline(always)]
fn allows(mask: Option<&NodeMask>, node: NodeId) -> bool {
    mask.is_none_or(|m| m.contains(node))
}

/// How many entries after a filtered-out first one are tried before the cache: a mask of a
/// near node (a bind to the next node over) finds its zone among them without building the
/// cache's combined mask and comparing it with every cached one.
const NEAR_ENTRIES: usize = 4;

/// The index of the first eligible entry among the [`NEAR_ENTRIES`] entries of `list` after
/// `first`, if one of them is.
#[inline(always)]
fn near_eligible(
    list: &Zonelist,
    first: usize,
    highest: ZoneType,
    nodemask: Option<&NodeMask>,
    mems_allowed: Option<&NodeMask>,
) -> Option<usize> {
    let entries = list.as_slice();
    let end = entries.len().min(first + 1 + NEAR_ENTRIES);
    let mut index = first + 1;
    while index < end {
        let zone = entries.get(index)?;
        if zone.zone() <= highest
            && allows(nodemask, zone.node())
            && allows(mems_allowed, zone.node())
        {
            return Some(index);
        }
        index += 1;
    }
    None
}

/// The index of the first eligible entry of `list` from the CPU's cache (where `key` names
/// `list`), for a walk whose first entry at or below the highest zone is filtered out and
/// whose near entries are too.
#[inline(never)]
fn cached_first_eligible(
    list: &Zonelist,
    highest: ZoneType,
    nodemask: Option<&NodeMask>,
    mems_allowed: Option<&NodeMask>,
    cache: &mut ZoneCache,
    key: ListKey,
) -> usize {
    let mut combined = NodeMask::new();
    let filter = filter(nodemask, mems_allowed, &mut combined);
    cache.first_zone(key, list, highest, filter)
}

/// Where the rest of an attempt goes on: the entries of `list` from `from` on, for
/// `2^order` frames with `gfp` at or below `highest`.
struct Rest<'l> {
    list: &'l Zonelist,
    from: usize,
    order: u32,
    gfp: GfpFlags,
    highest: ZoneType,
}

/// The rest of an attempt whose first eligible zone gave nothing: [`walk_from`], out of
/// line.
#[inline(never)]
fn walk_rest<F>(
    rest: Rest<'_>,
    nodemask: Option<&NodeMask>,
    mems_allowed: Option<&NodeMask>,
    frames: &mut F,
) -> Option<Page<F::Frame>>
where
    F: FrameSource + ?Sized,
{
    walk_from(rest, nodemask, mems_allowed, frames)
}

/// The first page the entries of `rest` give, filtered by `nodemask` and `mems_allowed`.
#[inline(always)]
fn walk_from<F>(
    rest: Rest<'_>,
    nodemask: Option<&NodeMask>,
    mems_allowed: Option<&NodeMask>,
    frames: &mut F,
) -> Option<Page<F::Frame>>
where
    F: FrameSource + ?Sized,
{
    let mut combined = NodeMask::new();
    let filter = filter(nodemask, mems_allowed, &mut combined);
    for zone in rest.list.iter_from(rest.from, rest.highest, filter) {
        if let Some(frame) = frames.take(zone.node(), zone.zone(), rest.order, rest.gfp) {
            return Some(Page::new(frame, zone, rest.gfp));
        }
    }
    None
}

/// The flags of `PreferredMany`'s first pass: no direct reclaim, no `NOFAIL`, no warning
/// (Linux: `alloc_pages_preferred_many`).
const fn preferred_many_gfp(gfp: GfpFlags) -> GfpFlags {
    GfpFlags::from_bits_retain(
        (gfp.bits() | GfpFlags::NOWARN.bits())
            & !(GfpFlags::DIRECT_RECLAIM.bits() | GfpFlags::NOFAIL.bits()),
    )
}

/// Allocates `2^order` frames as `placement` says (Linux: `alloc_pages_mpol` after
/// `policy_nodemask`).
///
/// * `PreferredMany`: first the placement's nodemask with `gfp | NOWARN` minus
///   `DIRECT_RECLAIM` and `NOFAIL`, then every node with `gfp` (Linux:
///   `alloc_pages_preferred_many`).
/// * Huge-page rule: `order == HPAGE_PMD_ORDER`, an interleave index (`ilx !=
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
) -> Result<Option<Page<F::Frame>>>
where
    F: FrameSource + ?Sized,
{
    Walk::new(zonelists, order, mems_allowed).mpol(placement, gfp, ilx, frames)
}

/// Allocates `2^order` frames for the current task (Linux: `alloc_pages(gfp, order)`):
/// [`pick_alloc`] then [`alloc_pages_mpol`] with no interleave index.
///
/// # Errors
/// As [`alloc_on_node`]; a bad `gfp` is reported before the cursor moves.
///
/// # Examples
/// ```
/// use mempolicy::gfp::{GfpFlags, ZoneType};
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
/// let bind = Mempolicy::create(Mode::Bind, ModeFlags::empty(), &"1-3".parse()?, &ctx)?;
/// let mut cursor = InterleaveCursor::new();
/// let mut task = TaskContext::new(bind.as_ref(), &mut cursor);
/// // Node 2 is full: the walk of node 0's list (0 2 1 3) within 1-3 goes on to node 1.
/// let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| (node.as_u32() != 2).then_some(node);
/// let cpu = CpuContext::task(NodeId::new(0));
/// let page = select::alloc_pages(&globals, &mut task, cpu, GfpFlags::GFP_KERNEL, 0, &mut frames)?;
/// assert_eq!(page.map(|p| p.node().as_u32()), Some(1));
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn alloc_pages<W, F>(
    globals: &Globals<'_, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    gfp: GfpFlags,
    order: u32,
    frames: &mut F,
) -> Result<Option<Page<F::Frame>>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    alloc_pages_walk(globals, task, cpu, gfp, order, frames, None)
}

/// A CPU's zone cache and the generation of the zonelists it is used with.
pub(crate) type CacheRef<'c> = Option<(&'c mut ZoneCache, u64)>;

/// [`alloc_pages`] with the CPU's zone cache.
#[inline(always)]
pub(crate) fn alloc_pages_walk<W, F>(
    globals: &Globals<'_, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    gfp: GfpFlags,
    order: u32,
    frames: &mut F,
    cache: CacheRef<'_>,
) -> Result<Option<Page<F::Frame>>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    let placement = pick_alloc(globals, task, cpu, gfp)?;
    Walk::new(globals.zonelists(), order, cpuset_of(task, cpu))
        .with_cache(cache)
        .mpol(&placement, gfp, NO_INTERLEAVE_INDEX, frames)
}

/// Allocates the `2^order` frames backing a page of a mapping (Linux: `vma_alloc_folio(gfp,
/// order, vma, addr)`): [`pick_vma`] then [`alloc_pages_mpol`] with the page's interleave
/// index. `vma` must describe the page for this `order`.
///
/// # Errors
/// As [`alloc_on_node`].
pub fn alloc_vma<'a, W, F>(
    globals: &Globals<'a, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    vma: &VmaPolicy<'a>,
    gfp: GfpFlags,
    order: u32,
    frames: &mut F,
) -> Result<Option<Page<F::Frame>>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    alloc_vma_walk(globals, task, cpu, vma, gfp, order, frames, None)
}

/// [`alloc_vma`] with the CPU's zone cache.
#[allow(
    clippy::too_many_arguments,
    reason = "the inputs of vma_alloc_folio plus the machine, task, CPU, frames and cache"
)]
#[inline(always)]
pub(crate) fn alloc_vma_walk<'a, W, F>(
    globals: &Globals<'a, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    vma: &VmaPolicy<'a>,
    gfp: GfpFlags,
    order: u32,
    frames: &mut F,
    cache: CacheRef<'_>,
) -> Result<Option<Page<F::Frame>>>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    let (placement, ilx) = pick_vma(globals, task, cpu, vma, gfp)?;
    Walk::new(globals.zonelists(), order, cpuset_of(task, cpu))
        .with_cache(cache)
        .mpol(&placement, gfp, ilx, frames)
}

/// Allocates order-0 pages for every empty slot of `out` under the task's policy, in
/// Linux's order, and returns how many slots hold a page now (Linux:
/// `alloc_pages_bulk_mempolicy_noprof`). Each page says which node and zone its frame came
/// from, so the caller can account it.
///
/// * Interleave: the pages are split over the policy's nodes as
///   [`bulk_interleave_plan`](interleave::bulk_interleave_plan) says (the cursor moves once
///   per node); weighted interleave as
///   [`bulk_weighted_plan`](interleave::bulk_weighted_plan) says.
/// * `PreferredMany`: first within the policy's nodes without direct reclaim, the rest from
///   any node (Linux: `alloc_pages_bulk_preferred_many`).
/// * Otherwise one bulk allocation at the placement's node within its nodemask.
///
/// Each node's share is allocated page by page along that node's zonelist and stops at the
/// first failure (the bulk allocator then hands back fewer pages, as Linux's does).
/// In interrupt context or with `__GFP_THISNODE` the default (local) policy applies.
///
/// # Errors
/// As [`alloc_on_node`]; a bad `gfp` is reported before anything moves.
pub fn alloc_bulk<W, F>(
    globals: &Globals<'_, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    gfp: GfpFlags,
    out: &mut [Option<Page<F::Frame>>],
    frames: &mut F,
) -> Result<usize>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    alloc_bulk_walk(globals, task, cpu, gfp, out, frames, None)
}

/// [`alloc_bulk`] with the CPU's zone cache.
pub(crate) fn alloc_bulk_walk<W, F>(
    globals: &Globals<'_, W>,
    task: &mut TaskContext<'_>,
    cpu: CpuContext,
    gfp: GfpFlags,
    out: &mut [Option<Page<F::Frame>>],
    frames: &mut F,
    cache: CacheRef<'_>,
) -> Result<usize>
where
    W: WeightSource + ?Sized,
    F: FrameSource + ?Sized,
{
    highest_zone(gfp)?;
    let mems_allowed = cpuset_of(task, cpu);
    let mut walk = Walk::new(globals.zonelists(), 0, mems_allowed).with_cache(cache);
    let policy = super::context::alloc_policy(globals, task.policy(), cpu, gfp);
    // The empty slots, in order; filled ones are kept (Linux skips non-NULL entries).
    let mut empty = Empty::new(out);
    match policy.mode() {
        Mode::Interleave | Mode::WeightedInterleave => {
            let mut plan = BulkPlan::new();
            let wanted = empty.remaining() as u64;
            if policy.mode() == Mode::Interleave {
                interleave::bulk_interleave_plan(task.cursor(), policy.nodes(), wanted, &mut plan);
            } else {
                let weights = globals.weights();
                interleave::bulk_weighted_plan(
                    task.cursor(),
                    policy.nodes(),
                    weights,
                    wanted,
                    &mut plan,
                );
            }
            for &(node, pages) in &plan {
                empty.fill(pages, |slots| {
                    walk.bulk_on_node(gfp, node, None, slots, frames)
                })?;
            }
        }
        Mode::PreferredMany => {
            let first_gfp = preferred_many_gfp(gfp);
            let nodes = *policy.nodes();
            let all = empty.remaining() as u64;
            empty.fill(all, |slots| {
                walk.bulk_on_node(first_gfp, cpu.node(), Some(&nodes), slots, frames)
            })?;
            let rest = empty.remaining() as u64;
            empty.fill(rest, |slots| {
                walk.bulk_on_node(gfp, cpu.node(), None, slots, frames)
            })?;
        }
        _ => {
            let placement = policy_nodemask(
                policy,
                gfp,
                NO_INTERLEAVE_INDEX,
                cpu.node(),
                task.cursor(),
                mems_allowed,
                globals,
            )?;
            let all = empty.remaining() as u64;
            let node = placement.node();
            let mask = placement.nodemask().copied();
            empty.fill(all, |slots| {
                walk.bulk_on_node(gfp, node, mask.as_ref(), slots, frames)
            })?;
        }
    }
    Ok(empty.filled())
}

/// The empty slots of a bulk request's output, handed out in order.
struct Empty<'o, T> {
    out: &'o mut [Option<T>],
    /// Slots before this index are done (filled before the call or by it).
    next: usize,
}

impl<'o, T> Empty<'o, T> {
    fn new(out: &'o mut [Option<T>]) -> Self {
        let mut empty = Self { out, next: 0 };
        empty.skip_filled();
        empty
    }

    /// Moves past slots that already hold a frame.
    fn skip_filled(&mut self) {
        while self.out.get(self.next).is_some_and(Option::is_some) {
            self.next += 1;
        }
    }

    /// Empty slots left.
    fn remaining(&self) -> usize {
        self.out
            .get(self.next..)
            .map_or(0, |rest| rest.iter().filter(|s| s.is_none()).count())
    }

    /// Slots that hold a frame now (Linux: the bulk allocator's return value).
    fn filled(&self) -> usize {
        self.out.iter().filter(|s| s.is_some()).count()
    }

    /// Lets `alloc` fill up to `pages` empty slots, one run of consecutive empty slots at a
    /// time; stops when it fills fewer than it was given.
    fn fill(
        &mut self,
        mut pages: u64,
        mut alloc: impl FnMut(&mut [Option<T>]) -> Result<usize>,
    ) -> Result<()> {
        while pages > 0 {
            self.skip_filled();
            let Some(rest) = self.out.get_mut(self.next..) else {
                return Ok(());
            };
            let run = rest.iter().take_while(|s| s.is_none()).count();
            let take = usize::try_from(pages).map_or(run, |p| p.min(run));
            let Some(slots) = rest.get_mut(..take) else {
                return Ok(());
            };
            if slots.is_empty() {
                return Ok(());
            }
            let got = alloc(slots)?;
            self.next += got;
            pages -= got as u64;
            if got < take {
                return Ok(());
            }
        }
        Ok(())
    }
}

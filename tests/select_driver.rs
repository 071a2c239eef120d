//! The allocation driver through the public API: fallback order, the two passes of
//! `PreferredMany`, `Bind` and lower zones, `__GFP_THISNODE`, interrupts, the THP rule,
//! cpusets and bad flags.

use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{InterleaveCursor, Uniform, NO_INTERLEAVE_INDEX};
use mempolicy::page::HPAGE_PMD_ORDER;
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::{Topology, TopologyBuilder};
use mempolicy::zonelist::Zonelists;
use mempolicy::{Error, NodeId, NodeMask};
use mempolicy_testkit::Frames;

const SPEC: &str = "nodes=4 cpus=0,1 mem=256";

fn n(node: u32) -> NodeId {
    NodeId::new(node as usize)
}

/// The requests a frame source saw: node, zone, flags.
fn log(frames: &Frames) -> Vec<(u32, ZoneType, GfpFlags)> {
    frames
        .log()
        .iter()
        .map(|&(node, zone, gfp)| (node.as_u32(), zone, gfp))
        .collect()
}

/// A logged frame source whose nodes in `full` refuse every request.
fn full(nodes: &str) -> Frames {
    Frames::full(nodes).logged()
}

/// A logged frame source that gives frames everywhere.
fn any() -> Frames {
    Frames::unlimited().logged()
}

struct World {
    topo: Topology,
    lists: Zonelists,
    defaults: PolicyDefaults,
}

impl World {
    fn new(topo: Topology) -> Self {
        let lists = Zonelists::build(&topo);
        Self {
            topo,
            lists,
            defaults: PolicyDefaults::new(),
        }
    }

    fn recorded() -> Self {
        Self::new(Topology::from_nodes_spec(SPEC).unwrap())
    }

    fn globals(&self) -> Globals<'_> {
        Globals::new(&self.topo, &self.lists, &self.defaults, &Uniform)
    }

    fn policy(&self, mode: Mode, nodes: &str) -> Mempolicy {
        let ctx = NodeContext::unrestricted(*self.topo.memory_nodes());
        let nodes: NodeMask = nodes.parse().unwrap();
        Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx)
            .unwrap()
            .unwrap()
    }

    /// `alloc_pages(gfp, order)` by a task with `policy` on a CPU of `cpu`.
    fn alloc(
        &self,
        policy: Option<&Mempolicy>,
        cpu: CpuContext,
        gfp: GfpFlags,
        order: u32,
        frames: &mut Frames,
    ) -> Option<(u32, ZoneType)> {
        let mut cursor = InterleaveCursor::new();
        let mut task = TaskContext::new(policy, &mut cursor);
        select::alloc_pages(&self.globals(), &mut task, cpu, gfp, order, frames)
            .unwrap()
            .map(|s| (s.node().as_u32(), s.zone()))
    }

    /// `vma_alloc_folio` for page 0 of an anonymous VMA at 4 GiB with `policy`, a folio of
    /// `order`.
    fn fault(
        &self,
        policy: &Mempolicy,
        cpu: CpuContext,
        gfp: GfpFlags,
        order: u32,
        frames: &mut Frames,
    ) -> Option<u32> {
        let mut cursor = InterleaveCursor::new();
        let mut task = TaskContext::new(None, &mut cursor);
        let start = 1u64 << 32;
        let vma = VmaPolicy::new(Some(policy), 0, start, start >> 12, start, order);
        let globals = self.globals();
        select::alloc_vma(&globals, &mut task, cpu, &vma, gfp, order, frames)
            .unwrap()
            .map(|s| s.node().as_u32())
    }
}

/// Node 0: DMA32 and Normal; node 1: Normal only; node0 - node1 distance 20.
fn two_zone_world() -> World {
    let topo = TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .cpu(0, n(0))
        .cpu(1, n(1))
        .zone(n(0), ZoneType::Dma32, 1 << 16)
        .zone(n(0), ZoneType::Normal, 1 << 16)
        .zone(n(1), ZoneType::Normal, 1 << 16)
        .distances(&[10, 20, 20, 10])
        .build()
        .unwrap();
    World::new(topo)
}

#[test]
fn a_full_preferred_node_falls_back_in_distance_order() {
    let w = World::recorded();
    let pol = w.policy(Mode::Preferred, "0");
    let mut frames = full("0,2");
    let got = w.alloc(
        Some(&pol),
        CpuContext::task(n(1)),
        GfpFlags::GFP_KERNEL,
        0,
        &mut frames,
    );
    // Node 0's list is 0 2 1 3.
    assert_eq!(got, Some((1, ZoneType::Normal)));
    assert_eq!(frames.nodes_tried(), [0, 2, 1]);
}

#[test]
fn nothing_left_anywhere_is_none() {
    let w = World::recorded();
    let mut frames = full("0-3");
    let got = w.alloc(
        None,
        CpuContext::task(n(0)),
        GfpFlags::GFP_KERNEL,
        0,
        &mut frames,
    );
    assert_eq!(got, None);
    assert_eq!(frames.nodes_tried(), [0, 2, 1, 3]);
}

#[test]
fn preferred_many_first_pass_skips_direct_reclaim_then_tries_everything() {
    let w = World::recorded();
    let pol = w.policy(Mode::PreferredMany, "1,3");
    let mut frames = full("1,3");
    let gfp = GfpFlags::GFP_KERNEL | GfpFlags::NOFAIL;
    let got = w.alloc(Some(&pol), CpuContext::task(n(0)), gfp, 0, &mut frames);
    assert_eq!(got, Some((0, ZoneType::Normal)));
    let first_gfp = (gfp | GfpFlags::NOWARN) - GfpFlags::DIRECT_RECLAIM - GfpFlags::NOFAIL;
    assert_eq!(
        log(&frames),
        [
            (1, ZoneType::Normal, first_gfp),
            (3, ZoneType::Normal, first_gfp),
            (0, ZoneType::Normal, gfp),
        ]
    );
}

#[test]
fn preferred_many_first_pass_wins_when_a_preferred_node_has_room() {
    let w = World::recorded();
    let pol = w.policy(Mode::PreferredMany, "1,3");
    let mut frames = full("1");
    let got = w.alloc(
        Some(&pol),
        CpuContext::task(n(0)),
        GfpFlags::GFP_KERNEL,
        0,
        &mut frames,
    );
    assert_eq!(got, Some((3, ZoneType::Normal)));
    assert!(log(&frames)
        .iter()
        .all(|(_, _, g)| !g.contains(GfpFlags::DIRECT_RECLAIM)));
}

#[test]
fn preferred_many_with_home_node_walks_from_home() {
    let w = World::recorded();
    let mut pol = w.policy(Mode::PreferredMany, "0-3");
    pol.set_home_node(Some(n(3)));
    let mut frames = any();
    let got = w.alloc(
        Some(&pol),
        CpuContext::task(n(0)),
        GfpFlags::GFP_KERNEL,
        0,
        &mut frames,
    );
    assert_eq!(got, Some((3, ZoneType::Normal)));
}

#[test]
fn bind_never_leaves_its_nodes_for_normal_or_movable() {
    let w = two_zone_world();
    let pol = w.policy(Mode::Bind, "1");
    for gfp in [GfpFlags::GFP_KERNEL, GfpFlags::GFP_HIGHUSER_MOVABLE] {
        let mut frames = full("1");
        assert_eq!(
            w.alloc(Some(&pol), CpuContext::task(n(0)), gfp, 0, &mut frames),
            None
        );
        assert_eq!(frames.nodes_tried(), [1], "{gfp:?}");
    }
}

#[test]
fn bind_does_not_restrict_dma32_requests() {
    let w = two_zone_world();
    let pol = w.policy(Mode::Bind, "1");
    let mut frames = any();
    let got = w.alloc(
        Some(&pol),
        CpuContext::task(n(1)),
        GfpFlags::GFP_DMA32,
        0,
        &mut frames,
    );
    // Node 1 has no DMA32 zone; the unpolicied walk of node 1's list finds node 0's.
    assert_eq!(got, Some((0, ZoneType::Dma32)));
}

#[test]
fn thisnode_ignores_the_task_policy_and_never_falls_back() {
    let w = World::recorded();
    let pol = w.policy(Mode::Bind, "3");
    let gfp = GfpFlags::GFP_KERNEL | GfpFlags::THISNODE;
    let mut frames = any();
    assert_eq!(
        w.alloc(Some(&pol), CpuContext::task(n(1)), gfp, 0, &mut frames),
        Some((1, ZoneType::Normal))
    );
    let mut frames = full("1");
    assert_eq!(
        w.alloc(Some(&pol), CpuContext::task(n(1)), gfp, 0, &mut frames),
        None
    );
    assert_eq!(frames.nodes_tried(), [1]);
}

#[test]
fn bind_with_thisnode_prefers_local_if_bound_else_lowest_bound_node() {
    let w = World::recorded();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE | GfpFlags::THISNODE;
    let bound = w.policy(Mode::Bind, "0-1");
    let mut frames = any();
    assert_eq!(
        w.fault(&bound, CpuContext::task(n(1)), gfp, 0, &mut frames),
        Some(1)
    );
    let elsewhere = w.policy(Mode::Bind, "2-3");
    let mut frames = any();
    assert_eq!(
        w.fault(&elsewhere, CpuContext::task(n(1)), gfp, 0, &mut frames),
        Some(2)
    );
    let mut frames = full("2");
    assert_eq!(
        w.fault(&elsewhere, CpuContext::task(n(1)), gfp, 0, &mut frames),
        None
    );
    assert_eq!(frames.nodes_tried(), [2]);
}

#[test]
fn interrupts_allocate_locally_whatever_the_task_policy() {
    let w = World::recorded();
    let pol = w.policy(Mode::Bind, "3");
    let mut frames = any();
    let got = w.alloc(
        Some(&pol),
        CpuContext::interrupt(n(1)),
        GfpFlags::GFP_ATOMIC,
        0,
        &mut frames,
    );
    assert_eq!(got, Some((1, ZoneType::Normal)));
}

#[test]
fn the_cursor_moves_only_without_an_interleave_index() {
    let w = World::recorded();
    let pol = w.policy(Mode::Interleave, "0-3");
    let machine = w.globals();
    let mut cursor = InterleaveCursor::new();
    let gfp = GfpFlags::GFP_KERNEL;
    for ilx in [5, 6, 7] {
        let p = select::policy_nodemask(&pol, gfp, ilx, n(0), &mut cursor, None, &machine).unwrap();
        assert_eq!(p.node(), n((ilx % 4) as u32));
    }
    assert_eq!(cursor, InterleaveCursor::new());
    let p = select::policy_nodemask(
        &pol,
        gfp,
        NO_INTERLEAVE_INDEX,
        n(0),
        &mut cursor,
        None,
        &machine,
    )
    .unwrap();
    assert_eq!(p.node(), n(0));
    assert_eq!(cursor.il_prev(), n(0));
}

#[test]
fn thp_tries_the_node_alone_first() {
    let w = World::recorded();
    let pol = w.policy(Mode::Bind, "0-1");
    let cpu = CpuContext::task(n(0));
    // Without direct reclaim a failed local attempt is the end.
    let light = GfpFlags::GFP_TRANSHUGE_LIGHT;
    let mut frames = full("0");
    assert_eq!(
        w.fault(&pol, cpu, light, HPAGE_PMD_ORDER, &mut frames),
        None
    );
    assert_eq!(frames.log().len(), 1);
    assert!(log(&frames)[0]
        .2
        .contains(GfpFlags::THISNODE | GfpFlags::NORETRY));
    // With direct reclaim the normal walk follows, within the nodes.
    let mut frames = full("0");
    assert_eq!(
        w.fault(
            &pol,
            cpu,
            GfpFlags::GFP_TRANSHUGE,
            HPAGE_PMD_ORDER,
            &mut frames
        ),
        Some(1)
    );
    assert_eq!(frames.nodes_tried(), [0, 0, 1]);
    // A smaller order has no local-only attempt.
    let mut frames = full("0");
    assert_eq!(w.fault(&pol, cpu, light, 0, &mut frames), Some(1));
    assert_eq!(frames.nodes_tried(), [0, 1]);
}

#[test]
fn thp_rule_skips_interleave_and_nodes_outside_the_mask() {
    let w = World::recorded();
    let cpu = CpuContext::task(n(0));
    let light = GfpFlags::GFP_TRANSHUGE_LIGHT;
    let il = w.policy(Mode::Interleave, "0-1");
    let mut frames = any();
    // ilx = (2^32 >> 12) >> 9 = 2048, even: node 0, no THISNODE attempt.
    assert_eq!(
        w.fault(&il, cpu, light, HPAGE_PMD_ORDER, &mut frames),
        Some(0)
    );
    assert!(!log(&frames)[0].2.contains(GfpFlags::THISNODE));
    let bind = w.policy(Mode::Bind, "2-3");
    let mut frames = any();
    assert_eq!(
        w.fault(&bind, cpu, light, HPAGE_PMD_ORDER, &mut frames),
        Some(2)
    );
    assert!(!log(&frames)[0].2.contains(GfpFlags::THISNODE));
}

#[test]
fn the_cpuset_filters_the_walk_except_in_interrupts() {
    let w = World::recorded();
    let allowed: NodeMask = "1,3".parse().unwrap();
    let machine = w.globals();
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(&allowed);
    let mut frames = any();
    let cpu = CpuContext::task(n(0));
    let got = select::alloc_pages(
        &machine,
        &mut task,
        cpu,
        GfpFlags::GFP_KERNEL,
        0,
        &mut frames,
    );
    assert_eq!(got.unwrap().map(|s| s.node()), Some(n(1)));
    let irq = CpuContext::interrupt(n(0));
    let got = select::alloc_pages(
        &machine,
        &mut task,
        irq,
        GfpFlags::GFP_ATOMIC,
        0,
        &mut frames,
    );
    assert_eq!(got.unwrap().map(|s| s.node()), Some(n(0)));
}

#[test]
fn bind_outside_the_cpuset_is_not_applied() {
    let w = World::recorded();
    let pol = w.policy(Mode::Bind, "2");
    let allowed: NodeMask = "0-1".parse().unwrap();
    let mut cursor = InterleaveCursor::new();
    let p = select::policy_nodemask(
        &pol,
        GfpFlags::GFP_KERNEL,
        NO_INTERLEAVE_INDEX,
        n(0),
        &mut cursor,
        Some(&allowed),
        &w.globals(),
    )
    .unwrap();
    assert_eq!(p.nodemask(), None);
}

#[test]
fn bad_gfp_is_an_error_and_moves_nothing() {
    let w = World::recorded();
    let pol = w.policy(Mode::Interleave, "0-3");
    let machine = w.globals();
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(Some(&pol), &mut cursor);
    let mut frames = any();
    let bad = GfpFlags::DMA | GfpFlags::DMA32;
    let got = select::alloc_pages(
        &machine,
        &mut task,
        CpuContext::task(n(0)),
        bad,
        0,
        &mut frames,
    );
    assert_eq!(got, Err(Error::ConflictingZoneFlags(bad.bits())));
    assert!(frames.log().is_empty());
    assert_eq!(cursor, InterleaveCursor::new());
}

#[test]
fn an_impossible_node_is_an_error() {
    let w = World::recorded();
    let mut frames = any();
    let got = select::alloc_on_node(
        &w.lists,
        GfpFlags::GFP_KERNEL,
        0,
        n(9),
        None,
        None,
        &mut frames,
    );
    assert_eq!(got, Err(Error::InvalidNode(9)));
}

#[test]
fn interleave_hits_are_reported() {
    let w = World::recorded();
    let pol = w.policy(Mode::Interleave, "0-1");
    let machine = w.globals();
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(Some(&pol), &mut cursor);
    let mut frames = full("1");
    let cpu = CpuContext::task(n(0));
    let gfp = GfpFlags::GFP_KERNEL;
    let first = select::alloc_pages(&machine, &mut task, cpu, gfp, 0, &mut frames)
        .unwrap()
        .unwrap();
    assert!(first.is_interleave_hit());
    let second = select::alloc_pages(&machine, &mut task, cpu, gfp, 0, &mut frames)
        .unwrap()
        .unwrap();
    // Node 1 is full: its fallback list 1 3 0 2 continues on node 3.
    assert_eq!(second.node(), n(3));
    assert!(!second.is_interleave_hit());
}

#[test]
fn a_shared_object_policy_biases_interleave_and_beats_the_task_policy() {
    let w = World::recorded();
    let globals = w.globals();
    let shared = w.policy(Mode::Interleave, "0-3");
    let task_pol = w.policy(Mode::Preferred, "1");
    // A tmpfs-like object with inode 2, mapped from offset 0 at 1 GiB: page k has index
    // 2 + k.
    let start = 1u64 << 30;
    let vma = VmaPolicy::new(Some(&shared), 2, start, 0, start + 4096, 0);
    let cpu = CpuContext::task(n(0));
    let (pol, ilx) = select::vma_policy(&globals, &vma, Some(&task_pol), cpu);
    assert_eq!((pol.mode(), ilx), (Mode::Interleave, 3));
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(Some(&task_pol), &mut cursor);
    let mut frames = any();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let page0 = VmaPolicy::new(Some(&shared), 2, start, 0, start, 0);
    let got = select::alloc_vma(&globals, &mut task, cpu, &page0, gfp, 0, &mut frames);
    assert_eq!(got.unwrap().map(|s| s.node()), Some(n(2)));
    // Without a policy of the mapping, the task's; without that, a built-in one. A
    // non-interleave policy keeps the bias alone as its index.
    let bare = VmaPolicy::new(None, 2, start, 0, start, 0);
    let (pol, ilx) = select::vma_policy(&globals, &bare, Some(&task_pol), cpu);
    assert_eq!((pol.mode(), ilx), (Mode::Preferred, 2));
    let (pol, _) = select::vma_policy(&globals, &bare, None, cpu);
    assert!(pol.is_builtin());
}

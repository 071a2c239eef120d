//! The page placements of the Linux 6.12 conformance recording
//! (`conformance/results/smoke.out`), replayed through the pick and the driver with a frame
//! source that never runs out.

use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{InterleaveCursor, Uniform, WeightSource};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask};

const SPEC: &str = "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";
const PAGE: u64 = 4096;

struct Recording {
    topo: Topology,
    lists: Zonelists,
    defaults: PolicyDefaults,
}

impl Recording {
    fn new() -> Self {
        let topo = Topology::from_nodes_spec(SPEC).unwrap();
        let lists = Zonelists::build(&topo);
        Self {
            topo,
            lists,
            defaults: PolicyDefaults::new(),
        }
    }

    fn policy(&self, mode: Mode, nodes: &str) -> Mempolicy {
        let ctx = NodeContext::unrestricted(*self.topo.memory_nodes());
        let nodes: NodeMask = nodes.parse().unwrap();
        Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx)
            .unwrap()
            .unwrap()
    }

    /// `mmap` in `slot` (at `(slot + 1) << 32`), `touch` `pages` pages from a CPU of
    /// `cpu_node` under the task policy `task_policy` and the VMA policy `vma_policy`, and
    /// return the nodes (`where`).
    fn touch<W: WeightSource + ?Sized>(
        &self,
        weights: &W,
        slot: u64,
        pages: u64,
        cpu_node: u32,
        task_policy: Option<&Mempolicy>,
        vma_policy: Option<&Mempolicy>,
    ) -> Vec<u32> {
        let globals = Globals::new(&self.topo, &self.lists, &self.defaults, weights);
        let mut cursor = InterleaveCursor::new();
        let mut task = TaskContext::new(task_policy, &mut cursor);
        let cpu = CpuContext::task(NodeId::new(cpu_node as usize));
        let start = (slot + 1) << 32;
        let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node);
        let nodes = (0..pages)
            .map(|page| {
                let addr = start + page * PAGE;
                let vma = VmaPolicy::anonymous(vma_policy, start, addr);
                let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
                let served = select::alloc_vma(&globals, &mut task, cpu, &vma, gfp, 0, &mut frames)
                    .unwrap()
                    .expect("the frame source never runs out");
                served.node().as_u32()
            })
            .collect();
        // Faults with an address never move the task's cursor.
        assert_eq!(cursor, InterleaveCursor::new());
        nodes
    }
}

#[test]
fn l95_interleave_0_3_follows_the_virtual_page_number() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Interleave, "0-3");
    let nodes = rec.touch(&Uniform, 0, 8, 0, Some(&pol), None);
    assert_eq!(nodes, [0, 1, 2, 3, 0, 1, 2, 3]);
}

#[test]
fn l99_interleave_0_2_in_slot_1_starts_on_the_third_node() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Interleave, "0-2");
    let nodes = rec.touch(&Uniform, 1, 6, 0, Some(&pol), None);
    assert_eq!(nodes, [2, 0, 1, 2, 0, 1]);
}

#[test]
fn l103_weighted_interleave_3_1_2_1_in_slot_2() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::WeightedInterleave, "0-3");
    let weights = [3u8, 1, 2, 1];
    let nodes = rec.touch(&weights, 2, 14, 0, Some(&pol), None);
    assert_eq!(nodes, [2, 3, 0, 0, 0, 1, 2, 2, 3, 0, 0, 0, 1, 2]);
}

#[test]
fn l107_bind_1_3_from_node_0_takes_the_nearest_node() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Bind, "1-3");
    let nodes = rec.touch(&Uniform, 3, 4, 0, Some(&pol), None);
    assert_eq!(nodes, [2, 2, 2, 2]);
}

#[test]
fn l111_preferred_3() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Preferred, "3");
    assert_eq!(rec.touch(&Uniform, 4, 2, 0, Some(&pol), None), [3, 3]);
}

#[test]
fn l115_preferred_many_1_3_from_node_0() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::PreferredMany, "1,3");
    assert_eq!(rec.touch(&Uniform, 5, 2, 0, Some(&pol), None), [1, 1]);
}

#[test]
fn l185_bind_1_3_with_home_node_3_on_the_vma() {
    let rec = Recording::new();
    let mut pol = rec.policy(Mode::Bind, "1-3");
    pol.set_home_node(Some(NodeId::new(3)));
    // mbind on the VMA; the task has no policy of its own.
    assert_eq!(rec.touch(&Uniform, 0, 4, 0, None, Some(&pol)), [3, 3, 3, 3]);
}

#[test]
fn l203_bind_0_2_3_from_node_1() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Bind, "0,2-3");
    assert_eq!(rec.touch(&Uniform, 0, 2, 1, Some(&pol), None), [3, 3]);
}

#[test]
fn l207_local_from_node_1() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Local, "");
    assert_eq!(rec.touch(&Uniform, 1, 2, 1, Some(&pol), None), [1, 1]);
}

#[test]
fn no_policy_at_all_prefers_the_cpu_node() {
    let rec = Recording::new();
    assert_eq!(rec.touch(&Uniform, 0, 3, 1, None, None), [1, 1, 1]);
    assert_eq!(rec.touch(&Uniform, 0, 3, 0, None, None), [0, 0, 0]);
}

/// smoke L81-L88: `pipe_pages` does one `alloc_page()` per page under the task's
/// interleave policy, with no interleave index: the dynamic cursor moves 0, 1, ...
#[test]
fn pipe_pages_use_the_dynamic_cursor() {
    let rec = Recording::new();
    let pol = rec.policy(Mode::Interleave, "0-3");
    let machine = Globals::new(&rec.topo, &rec.lists, &rec.defaults, &Uniform);
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(Some(&pol), &mut cursor);
    let cpu = CpuContext::task(NodeId::new(0));
    let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node);
    let nodes: Vec<u32> = (0..6)
        .map(|_| {
            select::alloc_pages(
                &machine,
                &mut task,
                cpu,
                GfpFlags::GFP_KERNEL,
                0,
                &mut frames,
            )
            .unwrap()
            .unwrap()
            .node()
            .as_u32()
        })
        .collect();
    assert_eq!(nodes, [0, 1, 2, 3, 0, 1]);
    assert_eq!(cursor.il_prev(), NodeId::new(1));
}

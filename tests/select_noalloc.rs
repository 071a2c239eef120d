//! The pick, the driver, `slab_node` and `mpol_misplaced` allocate nothing: a counting
//! global allocator sees no allocation from this thread while they run, in every mode.

use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{InterleaveCursor, NO_INTERLEAVE_INDEX};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask};

mod counting_alloc;

use counting_alloc::allocations_during;

#[test]
fn placement_allocates_nothing() {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build(&topo);
    let defaults = PolicyDefaults::new();
    let weights = [3u8, 1, 2, 1];
    let machine = Globals::new(&topo, &lists, &defaults, &weights);
    let ctx = NodeContext::unrestricted(*topo.memory_nodes());
    let nodes: NodeMask = "1-3".parse().unwrap();
    let mut policies: Vec<Option<Mempolicy>> = Mode::ALL
        .iter()
        .map(|&mode| {
            let nodes = if matches!(mode, Mode::Default | Mode::Local) {
                NodeMask::new()
            } else {
                nodes
            };
            Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx).unwrap()
        })
        .collect();
    policies.push(Some(
        Mempolicy::create(Mode::Bind, ModeFlags::NUMA_BALANCING, &nodes, &ctx)
            .unwrap()
            .unwrap(),
    ));
    let shmem = policies[3].clone().unwrap();
    let allowed: NodeMask = "0-3".parse().unwrap();
    let mut full = 0u32;

    for policy in &policies {
        let policy = policy.as_ref();
        let count = allocations_during(|| {
            let mut cursor = InterleaveCursor::new();
            let mut task = TaskContext::new(policy, &mut cursor).with_mems_allowed(&allowed);
            let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| {
                full += 1;
                (node.as_u32() != 2).then_some(node)
            };
            for cpu in [
                CpuContext::task(NodeId::new(0)),
                CpuContext::interrupt(NodeId::new(1)),
            ] {
                for gfp in [
                    GfpFlags::GFP_KERNEL,
                    GfpFlags::GFP_HIGHUSER_MOVABLE,
                    GfpFlags::GFP_DMA32,
                    GfpFlags::GFP_KERNEL | GfpFlags::THISNODE,
                    GfpFlags::GFP_TRANSHUGE,
                    GfpFlags::DMA | GfpFlags::DMA32,
                ] {
                    let _ = select::pick_alloc(&machine, &mut task, cpu, gfp);
                    let _ = select::alloc_pages(&machine, &mut task, cpu, gfp, 0, &mut frames);
                    for order in [0, 9] {
                        let start = 1u64 << 32;
                        let addr = start + 4096 * 5;
                        let vma = VmaPolicy::new(policy, 0, start, start >> 12, addr, order);
                        let _ = select::alloc_vma(
                            &machine,
                            &mut task,
                            cpu,
                            &vma,
                            gfp,
                            order,
                            &mut frames,
                        );
                        let shared = VmaPolicy::new(Some(&shmem), 7, start, 0, addr, order);
                        let _ = select::alloc_vma(
                            &machine,
                            &mut task,
                            cpu,
                            &shared,
                            gfp,
                            order,
                            &mut frames,
                        );
                    }
                    let mut out = [None, None, None];
                    let _ =
                        select::alloc_bulk(&machine, &mut task, cpu, gfp, &mut out, &mut frames);
                }
                let _ = select::slab_node(&machine, &mut task, cpu);
            }
            if let Some(policy) = policy {
                for page in 0..4 {
                    let _ = select::mpol_misplaced(
                        policy,
                        NO_INTERLEAVE_INDEX - 1,
                        NodeId::new(page),
                        NodeId::new(1),
                        &lists,
                        &weights,
                        |_| true,
                    );
                }
            }
        });
        assert_eq!(count, 0, "{policy:?}");
    }
    assert!(full > 0);
}

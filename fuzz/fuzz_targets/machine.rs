//! The kernel-facing layer (`mempolicy::machine`) on an arbitrary sequence of operations: two
//! CPUs, two tasks, an address space with private and shared mappings, a frame source with
//! limits, weight writes, hotplug of memory, and every allocation entry point. No panic;
//! every frame comes from a node with memory and a zone at or below the request's highest
//! zone; a bind policy never leaves its nodes; an interrupt allocation starts on the CPU's
//! node; a failed allocation is `ENOMEM`, `EFAULT` or `EINVAL` only; and once every CPU has
//! passed quiescent states, reclaiming frees every retired object.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mempolicy::abi::{AddressSpace, MigrationTarget, SharedObject, SharedPolicy, Task};
use mempolicy::gfp::{self, GfpFlags, ZoneType};
use mempolicy::machine::Machine;
use mempolicy::policy::{parse_mpol, Mempolicy, Mode};
use mempolicy::select::FrameSource;
use mempolicy::topology::Topology;
use mempolicy::zonelist;
use mempolicy::{Error, NodeId, NodeMask};

const PAGE: u64 = 4096;
const PRIVATE: u64 = 1 << 32;
const SHARED: u64 = 2 << 32;
const PAGES: u64 = 64;
const MAX_OPS: usize = 128;
/// The machine: four nodes, CPUs on 0 and 1, node 3 memory-only and far.
const SPEC: &str = "nodes=4 cpus=0,1 mem=64 dist=10,20,20,30/20,10,20,30/20,20,10,30/30,30,30,10";
/// The same machine after node 2 lost its memory.
const SPEC_NO2: &str =
    "nodes=4 cpus=0,1,2 mem=64,64,0,64 dist=10,20,20,30/20,10,20,30/20,20,10,30/30,30,30,10";

/// Policies tasks and mappings may carry.
const POLICIES: [&str; 10] = [
    "default",
    "local",
    "prefer:3",
    "bind:1,3",
    "bind=static:2",
    "interleave:0-3",
    "interleave=relative:0-1",
    "weighted interleave:0-3",
    "prefer (many):2-3",
    "bind:0",
];

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Gfp {
    Kernel,
    HighuserMovable,
    Dma32,
    Dma,
    ThisNode,
    Atomic,
    Transhuge,
    Raw(u32),
}

impl Gfp {
    fn get(self) -> GfpFlags {
        match self {
            Gfp::Kernel => GfpFlags::GFP_KERNEL,
            Gfp::HighuserMovable => GfpFlags::GFP_HIGHUSER_MOVABLE,
            Gfp::Dma32 => GfpFlags::GFP_DMA32,
            Gfp::Dma => GfpFlags::GFP_DMA | GfpFlags::GFP_KERNEL,
            Gfp::ThisNode => GfpFlags::GFP_KERNEL | GfpFlags::THISNODE,
            Gfp::Atomic => GfpFlags::GFP_ATOMIC,
            Gfp::Transhuge => GfpFlags::GFP_TRANSHUGE,
            Gfp::Raw(bits) => GfpFlags::from_bits_retain(bits),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    TaskPolicy {
        task: bool,
        policy: u8,
    },
    RangePolicy {
        first: u8,
        pages: u8,
        policy: u8,
    },
    ObjectPolicy {
        first: u8,
        pages: u8,
        policy: u8,
    },
    Fault {
        cpu: bool,
        task: bool,
        page: u8,
        shared: bool,
        gfp: Gfp,
        order: u8,
    },
    Pages {
        cpu: bool,
        task: bool,
        gfp: Gfp,
        order: u8,
    },
    Interrupt {
        cpu: bool,
        gfp: Gfp,
    },
    OnNode {
        cpu: bool,
        node: u8,
        gfp: Gfp,
    },
    Bulk {
        cpu: bool,
        task: bool,
        gfp: Gfp,
        count: u8,
    },
    Slab {
        cpu: bool,
        task: bool,
    },
    Migrate {
        cpu: bool,
        policy: u8,
        ilx: u64,
        node: Option<u8>,
    },
    Misplaced {
        cpu: bool,
        page: u8,
        on: u8,
    },
    Weight {
        node: u8,
        weight: u8,
    },
    Auto(bool),
    Bandwidth {
        node: u8,
        read: u32,
        write: u32,
    },
    Hotplug(bool),
    Cpuset {
        task: bool,
        mems: u8,
    },
    Quiescent(bool),
    Reclaim,
    Limit {
        node: u8,
        pages: u8,
    },
}

fn policy(index: u8) -> Option<Mempolicy> {
    let text = POLICIES[usize::from(index) % POLICIES.len()];
    parse_mpol(text, &NodeMask::first_n(4)).expect("a policy")
}

/// The frame source: every populated zone gives frames, some up to a limit; frames carry
/// where they came from.
struct Frames {
    topology: Topology,
    left: [u64; 4],
}

impl FrameSource for Frames {
    type Frame = (NodeId, ZoneType);

    fn take(
        &mut self,
        node: NodeId,
        zone: ZoneType,
        order: u32,
        _: GfpFlags,
    ) -> Option<Self::Frame> {
        assert!(node.index() < 4, "a frame asked of node {node}");
        if !self.topology.is_populated(node, zone) {
            return None;
        }
        let pages = 1u64.checked_shl(order.min(63))?;
        let left = &mut self.left[node.index()];
        *left = left.checked_sub(pages)?;
        Some((node, zone))
    }
}

fn check_served(result: Result<(NodeId, ZoneType), Error>, gfp: GfpFlags, memory: &NodeMask) {
    match result {
        Ok((node, zone)) => {
            assert!(
                memory.contains(node),
                "a frame from node {node} without memory"
            );
            let highest = gfp::highest_zone(gfp).expect("served with valid flags");
            assert!(zone <= highest, "{zone:?} above {highest:?}");
        }
        Err(e) => assert!(
            matches!(
                e,
                Error::NoMemory
                    | Error::Fault(_)
                    | Error::ConflictingZoneFlags(_)
                    | Error::InvalidNode(_)
            ),
            "unexpected {e:?}"
        ),
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let machine = Machine::new(Topology::from_nodes_spec(SPEC).expect("a topology"));
    let mut cpus = [
        machine.cpu(0).expect("cpu 0"),
        machine.cpu(1).expect("cpu 1"),
    ];
    let mut frames = Frames {
        topology: Topology::from_nodes_spec(SPEC).expect("a topology"),
        left: [u64::MAX; 4],
    };
    let mut memory = NodeMask::first_n(4);
    let mut tasks = [Task::new(memory), Task::new(memory)];
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(PRIVATE, PAGES * PAGE, PRIVATE / PAGE, ())
        .expect("mmap");
    let object = Arc::new(SharedObject::new(machine.domain(), SharedPolicy::new(5)));
    mm.mmap_shared(SHARED, PAGES * PAGE, 0, (), Arc::clone(&object))
        .expect("mmap_shared");
    for op in ops.iter().take(MAX_OPS) {
        match *op {
            Op::TaskPolicy { task, policy: p } => {
                tasks[usize::from(task)].install_policy(policy(p));
            }
            Op::RangePolicy {
                first,
                pages,
                policy: p,
            } => {
                let start = PRIVATE + u64::from(first % 64) * PAGE;
                let end = start + u64::from(pages % 64) * PAGE;
                mm.set_policy(start, end, policy(p).as_ref());
            }
            Op::ObjectPolicy {
                first,
                pages,
                policy: p,
            } => {
                object.set_for_mapping(
                    u64::from(first % 64),
                    u64::from(pages % 64),
                    policy(p).as_ref(),
                );
            }
            Op::Fault {
                cpu,
                task,
                page,
                shared,
                gfp,
                order,
            } => {
                let base = if shared { SHARED } else { PRIVATE };
                let addr = base + u64::from(page) * PAGE;
                let (gfp, order) = (gfp.get(), u32::from(order % 10));
                let own = mm
                    .find(addr)
                    .and_then(|m| m.policy())
                    .map(|p| Mempolicy::clone(p));
                let lend = &mut tasks[usize::from(task)];
                let task_policy = lend.policy().map(|p| Mempolicy::clone(p));
                let mems = *lend.mems_allowed();
                let result = cpus[usize::from(cpu)]
                    .alloc_fault(&mut lend.lend(), &mm, addr, gfp, order, &mut frames)
                    .map(|p| p.into_frame());
                check_served(result, gfp, &memory);
                // A private range's bind (or, without one, the task's) never leaves its
                // nodes for the zones policies apply to, within the cpuset. Whether the
                // request's zones are policied depends on the bind's nodes as Linux's
                // `apply_policy_zone` says: nodes that lost all their memory to hotplug
                // restrict only movable requests.
                if let Ok((node, _)) = result {
                    let governing = if shared { None } else { own.or(task_policy) };
                    if let Some(p) = governing {
                        let highest = gfp::highest_zone(gfp).expect("served with valid flags");
                        let policied =
                            zonelist::apply_policy_zone(p.nodes(), highest, &frames.topology)
                                && !gfp.contains(GfpFlags::THISNODE);
                        if p.mode() == Mode::Bind
                            && policied
                            && p.nodes().intersects(&mems)
                            && order != 9
                        {
                            assert!(p.nodes().contains(node), "bind {p} served from {node}");
                        }
                    }
                }
            }
            Op::Pages {
                cpu,
                task,
                gfp,
                order,
            } => {
                let gfp = gfp.get();
                let result = cpus[usize::from(cpu)]
                    .alloc_pages(
                        &mut tasks[usize::from(task)].lend(),
                        gfp,
                        u32::from(order % 10),
                        &mut frames,
                    )
                    .map(|p| p.into_frame());
                check_served(result, gfp, &memory);
            }
            Op::Interrupt { cpu, gfp } => {
                let gfp = gfp.get();
                let cpu = &mut cpus[usize::from(cpu)];
                let node = cpu.node();
                let result = cpu
                    .alloc_interrupt(gfp, 0, &mut frames)
                    .map(|p| p.into_frame());
                check_served(result, gfp, &memory);
                // With frames everywhere, the local node serves a normal request.
                if let Ok((served, _)) = result {
                    if frames.left[node.index()] > 1 << 20
                        && memory.contains(node)
                        && gfp::highest_zone(gfp) == Some(ZoneType::Normal)
                    {
                        assert_eq!(served, node, "an interrupt allocation off its node");
                    }
                }
            }
            Op::OnNode { cpu, node, gfp } => {
                let gfp = gfp.get();
                let node = NodeId::new(usize::from(node % 6));
                let result = cpus[usize::from(cpu)]
                    .alloc_on_node(node, gfp, 0, &mut frames)
                    .map(|p| p.into_frame());
                check_served(result, gfp, &memory);
            }
            Op::Bulk {
                cpu,
                task,
                gfp,
                count,
            } => {
                let gfp = gfp.get();
                let mut out = vec![None; usize::from(count % 40)];
                if let Some(first) = out.first_mut() {
                    // A slot filled before the call is kept as it is.
                    *first = cpus[usize::from(cpu)]
                        .alloc_on_node(NodeId::new(0), GfpFlags::GFP_KERNEL, 0, &mut frames)
                        .ok();
                }
                let before = out.first().copied().flatten();
                let result = cpus[usize::from(cpu)].alloc_bulk(
                    &mut tasks[usize::from(task)].lend(),
                    gfp,
                    &mut out,
                    &mut frames,
                );
                if let Ok(filled) = result {
                    assert_eq!(filled, out.iter().filter(|f| f.is_some()).count());
                    if before.is_some() {
                        assert_eq!(
                            out.first().copied().flatten(),
                            before,
                            "a filled slot changed"
                        );
                    }
                    for page in out.iter().skip(usize::from(before.is_some())).flatten() {
                        assert_eq!(
                            *page.frame(),
                            (page.node(), page.zone()),
                            "a page mislabelled"
                        );
                        check_served(Ok(page.into_frame()), gfp, &memory);
                    }
                }
            }
            Op::Slab { cpu, task } => {
                let node = cpus[usize::from(cpu)].slab_node(&mut tasks[usize::from(task)].lend());
                assert!(node.index() < 4);
            }
            Op::Migrate {
                cpu,
                policy: p,
                ilx,
                node,
            } => {
                let pol = policy(p);
                let default = Mempolicy::default_policy();
                let mems = *tasks[0].mems_allowed();
                let target = match node {
                    Some(n) => MigrationTarget::Node(NodeId::new(usize::from(n % 6))),
                    None => MigrationTarget::Policy {
                        policy: pol.as_ref().unwrap_or(&default),
                        ilx,
                        mems_allowed: &mems,
                    },
                };
                let result = cpus[usize::from(cpu)]
                    .alloc_migration_target(&target, 0, &mut frames)
                    .map(|p| p.into_frame());
                check_served(result, GfpFlags::GFP_HIGHUSER_MOVABLE, &memory);
                if let (Ok((served, _)), MigrationTarget::Node(to)) = (result, target) {
                    assert_eq!(served, to, "a node migration target elsewhere");
                }
            }
            Op::Misplaced { cpu, page, on } => {
                let addr = PRIVATE + u64::from(page % 64) * PAGE;
                let on = NodeId::new(usize::from(on % 4));
                let target =
                    cpus[usize::from(cpu)].misplaced(&tasks[0].lend(), &mm, addr, 0, on, |_| true);
                assert!(target.is_none_or(|t| t != on && t.index() < 4));
            }
            Op::Weight { node, weight } => {
                let _ = machine
                    .weights()
                    .set_weight(NodeId::new(usize::from(node % 6)), weight);
            }
            Op::Auto(on) => {
                let _ = machine.weights().set_auto(on);
            }
            Op::Bandwidth { node, read, write } => {
                let node = NodeId::new(usize::from(node % 4));
                let _ =
                    machine
                        .weights()
                        .set_node_bandwidth(node, u64::from(read), u64::from(write));
            }
            Op::Hotplug(remove) => {
                let spec = if remove { SPEC_NO2 } else { SPEC };
                let topology = Topology::from_nodes_spec(spec).expect("a topology");
                memory = *topology.memory_nodes();
                frames.topology = topology.clone();
                machine.update_topology(topology);
            }
            Op::Cpuset { task, mems } => {
                let mems = NodeMask::from_u64(u64::from(mems) & 0xf).and(&memory);
                if !mems.is_empty() {
                    machine.cpuset_rebind(&mut tasks[usize::from(task)], &mut mm, mems);
                }
            }
            Op::Quiescent(which) => cpus[usize::from(which)].quiescent(),
            Op::Reclaim => machine.reclaim(),
            Op::Limit { node, pages } => {
                frames.left[usize::from(node % 4)] = u64::from(pages);
            }
        }
    }
    // Every CPU passes quiescent states: every retired object can be freed.
    for _ in 0..3 {
        for cpu in &mut cpus {
            cpu.quiescent();
        }
        machine.reclaim();
    }
    assert_eq!(
        machine.retired(),
        0,
        "retired objects left after every CPU reported"
    );
});

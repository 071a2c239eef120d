//! The kernel-facing layer through its public API: a machine, its CPU handles and the entry
//! points, against what the layers below answer for the same inputs.

use std::sync::Arc;

use mempolicy::abi::{AddressSpace, MigrationTarget, SharedObject, SharedPolicy, Task};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{self, BulkPlan, InterleaveCursor};
use mempolicy::machine::{CpuSlots, Machine, MachineCell};
use mempolicy::policy::{parse_mpol, Mempolicy};
use mempolicy::select::{self, CpuContext, Globals, TaskContext};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{Error, NodeId, NodeMask};

const N4: &str = "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";
const PAGE: u64 = 4096;
const BASE: u64 = 1 << 32;

fn n(node: u32) -> NodeId {
    NodeId::new(node as usize)
}

fn machine(spec: &str) -> Machine {
    Machine::new(Topology::from_nodes_spec(spec).unwrap())
}

fn policy(text: &str) -> Option<Mempolicy> {
    parse_mpol(text, &NodeMask::full()).unwrap()
}

/// A frame source that hands out the node, and refuses the nodes in `full`.
fn frames(full: &str) -> impl FnMut(NodeId, ZoneType, u32, GfpFlags) -> Option<NodeId> {
    let full: NodeMask = full.parse().unwrap();
    move |node, _, _, _| (!full.contains(node)).then_some(node)
}

/// The distances of nodes placed on a line at `positions` (10 per step), as a `dist=` word.
fn line(positions: &[u32]) -> String {
    let row = |i: u32| {
        let cells: Vec<String> = positions
            .iter()
            .map(|&j| (10 + 10 * i.abs_diff(j)).to_string())
            .collect();
        cells.join(",")
    };
    let rows: Vec<String> = positions.iter().map(|&i| row(i)).collect();
    format!("dist={}", rows.join("/"))
}

/// The regression of a zone cache keyed by the zonelist's address: after a rebuild, a new
/// set of lists often lands where the old one was, and an answer cached for the old lists
/// came back for the new ones (a bind to `{1}` went elsewhere, outside its nodes). Keyed by
/// the machine's generation, the cache never answers for lists it did not see. Node 1 is
/// far down node 0's lists in both layouts (the last of eight, then the sixth), beyond the
/// few entries a walk tries before it asks the cache.
#[test]
fn a_rebuilt_state_is_never_answered_from_the_old_zone_cache() {
    let a = format!("nodes=8 cpus=0 mem=256 {}", line(&[0, 7, 1, 2, 3, 4, 5, 6]));
    let b = format!("nodes=8 cpus=0 mem=256 {}", line(&[0, 5, 1, 2, 3, 4, 6, 7]));
    let machine = machine(&a);
    let mut cpu = machine.cpu(0).unwrap();
    let bind = policy("bind:1");
    let mut cursor = InterleaveCursor::new();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    for round in 0..100 {
        let mut task = TaskContext::new(bind.as_ref(), &mut cursor);
        let page = cpu.alloc_pages(&mut task, gfp, 0, &mut frames("")).unwrap();
        assert_eq!(page.node(), n(1), "round {round}");
        let spec = if round % 2 == 0 { &b } else { &a };
        machine.update_topology(Topology::from_nodes_spec(spec).unwrap());
    }
}

/// After a hotplug that gives node 7 memory, a bind to node 7 finds it (a stale cache would
/// have answered from the lists built when node 7 had none: "no eligible zone", or the
/// position past their end, which is another node's in the new lists). Node 7 is sixth in
/// node 0's lists, beyond the entries a walk tries before it asks the cache.
#[test]
fn a_node_that_gains_memory_is_found_after_the_rebuild() {
    let dist = line(&[0, 1, 2, 3, 4, 6, 7, 5]);
    let machine = machine(&format!(
        "nodes=8 cpus=0,7 mem=256,256,256,256,256,256,256,0 {dist}"
    ));
    let mut cpu = machine.cpu(0).unwrap();
    let bind = policy("bind:7");
    let mut cursor = InterleaveCursor::new();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut task = TaskContext::new(bind.as_ref(), &mut cursor);
    assert_eq!(
        cpu.alloc_pages(&mut task, gfp, 0, &mut frames("")).err(),
        Some(Error::NoMemory)
    );
    let grown = format!("nodes=8 cpus=0,7 mem=256 {dist}");
    machine.update_topology(Topology::from_nodes_spec(&grown).unwrap());
    let mut task = TaskContext::new(bind.as_ref(), &mut cursor);
    let page = cpu.alloc_pages(&mut task, gfp, 0, &mut frames("")).unwrap();
    assert_eq!(page.node(), n(7));
    assert_eq!(machine.weights().memory_nodes(), NodeMask::first_n(8));
}

/// Every entry point answers what the layer below answers for the same inputs, in every
/// mode, with and without a full node; the CPU's zone cache changes no answer.
#[test]
fn the_entry_points_agree_with_the_selection_layer() {
    let machine = machine("nodes=8 cpus=0,1,2,3 mem=64");
    machine.weights().set_weight(n(0), 3).unwrap();
    let topology = machine.with_topology(Topology::clone);
    let lists = Zonelists::build(&topology);
    let weights = machine.weights().snapshot();
    let weights = *weights.as_array();
    let globals = Globals::new(&topology, &lists, machine.defaults(), &weights);
    let mut cpu = machine.cpu(1).unwrap();
    let mems: NodeMask = "0-6".parse().unwrap();
    for text in [
        "default",
        "local",
        "prefer:5",
        "bind:7",
        "bind:3,6",
        "interleave:0-7",
        "weighted interleave:0-3",
        "prefer (many):2,6",
    ] {
        let pol = policy(text);
        for full in ["", "7", "1,2,6"] {
            for gfp in [GfpFlags::GFP_KERNEL, GfpFlags::GFP_HIGHUSER_MOVABLE] {
                let (mut c1, mut c2) = (InterleaveCursor::new(), InterleaveCursor::new());
                for _ in 0..3 {
                    let mut t1 = TaskContext::new(pol.as_ref(), &mut c1).with_mems_allowed(&mems);
                    let mut t2 = TaskContext::new(pol.as_ref(), &mut c2).with_mems_allowed(&mems);
                    let layer = cpu.alloc_pages(&mut t1, gfp, 0, &mut frames(full));
                    let below = select::alloc_pages(
                        &globals,
                        &mut t2,
                        CpuContext::task(n(1)),
                        gfp,
                        0,
                        &mut frames(full),
                    );
                    assert_eq!(
                        layer.ok().map(|p| p.node()),
                        below.unwrap().map(|p| p.node()),
                        "{text} full={full} {gfp:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn faults_follow_the_mapping_then_the_task_with_the_page_index() {
    let machine = machine(N4);
    let mut cpu = machine.cpu(0).unwrap();
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(BASE, 8 * PAGE, BASE / PAGE, ()).unwrap();
    let il = policy("interleave:0-3");
    mm.set_policy(BASE, BASE + 4 * PAGE, il.as_ref());
    let mut task = Task::new(NodeMask::first_n(4));
    task.install_policy(policy("prefer:2"));
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let nodes: Vec<u32> = (0..8)
        .map(|p| {
            let page = cpu.alloc_fault(
                &mut task.lend(),
                &mm,
                BASE + p * PAGE,
                gfp,
                0,
                &mut frames(""),
            );
            page.unwrap().node().as_u32()
        })
        .collect();
    // vpn(BASE) = 2^20 = 0 mod 4: the interleave layout starts on node 0.
    assert_eq!(nodes, [0, 1, 2, 3, 2, 2, 2, 2]);
    // The task's cursor never moved: faults with an address use the index.
    assert_eq!(*task.cursor(), InterleaveCursor::new());
    let hole = cpu.alloc_fault(&mut task.lend(), &mm, 0, gfp, 0, &mut frames(""));
    assert_eq!(hole.err(), Some(Error::Fault(0)));
    let none = cpu.alloc_fault(&mut task.lend(), &mm, BASE, gfp, 0, &mut frames("0-3"));
    assert_eq!(none.err(), Some(Error::NoMemory));
}

/// A policy set through one mapping of a shared object governs faults through another, with
/// the interleave index biased by the inode number, read lock-free through the CPU.
#[test]
fn shared_objects_answer_faults_through_every_mapping() {
    let machine = machine(N4);
    let mut cpu = machine.cpu(0).unwrap();
    let object = Arc::new(SharedObject::new(machine.domain(), SharedPolicy::new(1)));
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    let other = BASE + (1 << 30);
    mm.mmap_shared(BASE, 8 * PAGE, 0, (), Arc::clone(&object))
        .unwrap();
    mm.mmap_shared(other, 8 * PAGE, 0, (), Arc::clone(&object))
        .unwrap();
    mm.set_policy(BASE, BASE + 4 * PAGE, policy("interleave:0-3").as_ref());
    let mut task = Task::new(NodeMask::first_n(4));
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let nodes: Vec<u32> = (0..6)
        .map(|p| {
            let page = cpu.alloc_fault(
                &mut task.lend(),
                &mm,
                other + p * PAGE,
                gfp,
                0,
                &mut frames(""),
            );
            page.unwrap().node().as_u32()
        })
        .collect();
    // Pages 0-3 of the object: index 1 + page; pages 4-5 have no object policy: local.
    assert_eq!(nodes, [1, 2, 3, 0, 0, 0]);
}

#[test]
fn interrupts_allocate_locally_whatever_the_task() {
    let machine = machine(N4);
    let mut cpu = machine.cpu(1).unwrap();
    let page = cpu
        .alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames(""))
        .unwrap();
    assert_eq!(page.node(), n(1));
    // Node 1's fallback list is 1 3 0 2.
    let page = cpu
        .alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames("1"))
        .unwrap();
    assert_eq!(page.node(), n(3));
}

#[test]
fn bulk_allocations_spread_as_the_bulk_plans_say() {
    let machine = machine("nodes=4 cpus=0,1 mem=256");
    machine.weights().set_weight(n(2), 3).unwrap();
    let mut cpu = machine.cpu(0).unwrap();
    for text in ["interleave:0-3", "weighted interleave:1-3"] {
        let pol = policy(text);
        let mut cursor = InterleaveCursor::new();
        let mut out = [None; 11];
        // An entry already filled is kept.
        let kept = cpu.alloc_on_node(n(0), GfpFlags::GFP_KERNEL, 0, &mut frames(""));
        out[3] = Some(kept.unwrap());
        let mut task = TaskContext::new(pol.as_ref(), &mut cursor);
        let filled = cpu
            .alloc_bulk(&mut task, GfpFlags::GFP_KERNEL, &mut out, &mut frames(""))
            .unwrap();
        assert_eq!(filled, 11, "{text}");
        let mut plan = BulkPlan::new();
        let mut expected = InterleaveCursor::new();
        let nodes = *pol.as_ref().unwrap().nodes();
        if text.starts_with("weighted") {
            let weights = *machine.weights().snapshot().as_array();
            interleave::bulk_weighted_plan(&mut expected, &nodes, &weights, 10, &mut plan);
        } else {
            interleave::bulk_interleave_plan(&mut expected, &nodes, 10, &mut plan);
        }
        assert_eq!(out[3], Some(kept.unwrap()), "{text}");
        for page in out.iter().flatten() {
            // Each page says where its frame came from.
            assert_eq!(*page.frame(), page.node(), "{text}");
        }
        for node in nodes.iter() {
            let got = out
                .iter()
                .enumerate()
                .filter(|&(i, p)| i != 3 && p.is_some_and(|p| p.node() == node))
                .count();
            assert_eq!(got as u64, plan.pages_on(node), "{text} node {node}");
        }
        assert_eq!(cursor, expected, "{text}");
    }
}

#[test]
fn migration_targets_follow_the_policy_or_stay_on_their_node() {
    let machine = machine(N4);
    let mut cpu = machine.cpu(0).unwrap();
    let mems: NodeMask = "0-3".parse().unwrap();
    let il = policy("interleave:1-3").unwrap();
    for ilx in 0..6u64 {
        let target = MigrationTarget::Policy {
            policy: &il,
            ilx,
            mems_allowed: &mems,
        };
        let page = cpu
            .alloc_migration_target(&target, 0, &mut frames(""))
            .unwrap();
        assert_eq!(page.node(), n(1 + (ilx % 3) as u32));
    }
    // The mover's cpuset bounds the walk: the node the index picks is outside it, so the
    // page lands on the one node the cpuset holds.
    let only_one: NodeMask = "1".parse().unwrap();
    let fenced = MigrationTarget::Policy {
        policy: &il,
        ilx: 1,
        mems_allowed: &only_one,
    };
    let page = cpu
        .alloc_migration_target(&fenced, 0, &mut frames(""))
        .unwrap();
    assert_eq!(page.node(), n(1));
    let to_two = MigrationTarget::Node(n(2));
    let page = cpu
        .alloc_migration_target(&to_two, 0, &mut frames(""))
        .unwrap();
    assert_eq!(
        (page.node(), page.gfp().contains(GfpFlags::THISNODE)),
        (n(2), true)
    );
    let none = cpu.alloc_migration_target(&to_two, 0, &mut frames("2"));
    assert_eq!(none.err(), Some(Error::NoMemory));
}

/// Weights set by a writer reach the allocation path at the next allocation, and every
/// retired table is freed once each CPU has passed a quiescent state.
#[test]
fn weights_reach_the_allocation_path_and_old_tables_are_freed() {
    let machine = machine("nodes=2 cpus=0,1 mem=256");
    let mut cpus = [machine.cpu(0).unwrap(), machine.cpu(1).unwrap()];
    let pol = policy("weighted interleave:0-1");
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(BASE, 64 * PAGE, 0, ()).unwrap();
    mm.set_policy(BASE, BASE + 64 * PAGE, pol.as_ref());
    let mut task = Task::new(NodeMask::first_n(2));
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    for weight in 1..=20u8 {
        machine.weights().set_weight(n(0), weight).unwrap();
        let on_zero = (0..u64::from(weight) + 1)
            .filter(|&p| {
                let page = cpus[usize::from(weight % 2)]
                    .alloc_fault(
                        &mut task.lend(),
                        &mm,
                        BASE + p * PAGE,
                        gfp,
                        0,
                        &mut frames(""),
                    )
                    .unwrap();
                page.node() == n(0)
            })
            .count();
        assert_eq!(on_zero, usize::from(weight), "weight {weight}");
    }
    assert!(machine.retired() > 0);
    // Each grace period ends when every CPU has passed a quiescent state; an object needs
    // two of them.
    for _ in 0..3 {
        for cpu in &mut cpus {
            cpu.quiescent();
        }
        machine.reclaim();
    }
    assert_eq!(machine.retired(), 0);
}

#[test]
fn per_cpu_slots_lend_each_handle_once_at_a_time() {
    static MACHINE: MachineCell = MachineCell::new();
    static CPUS: CpuSlots<3> = CpuSlots::new();
    let machine = MACHINE.init(|| machine(N4));
    assert_eq!(
        CPUS.with(0, |_| ()),
        Err(Error::InvalidCpu(0)),
        "not up yet"
    );
    assert!(!CPUS.is_up(0));
    CPUS.bring_up(machine, 0).unwrap();
    assert!(CPUS.is_up(0));
    assert_eq!(CPUS.bring_up(machine, 0), Err(Error::Busy));
    assert_eq!(
        CPUS.bring_up(machine, 2),
        Err(Error::InvalidCpu(2)),
        "not in the machine"
    );
    assert_eq!(
        CPUS.with(3, |_| ()),
        Err(Error::InvalidCpu(3)),
        "beyond the slots"
    );
    let nested = CPUS.with(0, |cpu| {
        assert_eq!(cpu.id(), 0);
        // An interrupt on the same CPU has a handle of its own.
        let irq = CPUS.with_interrupt(0, |irq| irq.node());
        (CPUS.with(0, |_| ()), irq)
    });
    assert_eq!(nested, Ok((Err(Error::Busy), Ok(n(0)))));
    // A quiescent state from task context leaves the interrupt handle free; the tick's
    // leaves the task handle to the code it interrupted.
    let during_quiescent = CPUS.with(0, |_| CPUS.quiescent_interrupt(0));
    assert_eq!(during_quiescent, Ok(Ok(())));
    CPUS.quiescent(0).unwrap();
    CPUS.take_down(0).unwrap();
    assert!(!CPUS.is_up(0));
    assert_eq!(CPUS.with(0, |_| ()), Err(Error::InvalidCpu(0)));
    assert_eq!(CPUS.with_interrupt(0, |_| ()), Err(Error::InvalidCpu(0)));
    assert_eq!(CPUS.take_down(0), Err(Error::InvalidCpu(0)));
    assert_eq!(CPUS.quiescent(0), Ok(()), "a CPU that is down is skipped");
    assert!(!CPUS.is_up(7));
    CPUS.bring_up(machine, 0).unwrap();
    assert_eq!(CPUS.with(0, |cpu| cpu.node()), Ok(n(0)));
}

/// Handles of one slot array used from several threads in turn: each claim sees the
/// previous claim's effects.
#[test]
fn per_cpu_slots_are_shared_between_threads() {
    static MACHINE: MachineCell = MachineCell::new();
    static CPUS: CpuSlots<2> = CpuSlots::new();
    let machine = MACHINE.init(|| machine("nodes=2 cpus=0,1 mem=256"));
    CPUS.bring_up(machine, 0).unwrap();
    CPUS.bring_up(machine, 1).unwrap();
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            std::thread::spawn(move || {
                let mut served = 0;
                for _ in 0..200 {
                    match CPUS.with(t % 2, |cpu| {
                        cpu.alloc_interrupt(GfpFlags::GFP_KERNEL, 0, &mut frames(""))
                            .map(|p| p.node())
                    }) {
                        Ok(Ok(node)) => {
                            assert_eq!(node, n(t % 2));
                            served += 1;
                        }
                        Ok(Err(e)) => panic!("{e}"),
                        Err(Error::Busy) => {}
                        Err(e) => panic!("{e}"),
                    }
                    machine.weights().set_weight(n(0), 1 + (t as u8)).unwrap();
                }
                served
            })
        })
        .collect();
    let served: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(served > 0);
    // The task handles' quiescent states alone leave the idle interrupt handles holding
    // back what was retired; the tick's report frees it.
    for _ in 0..3 {
        CPUS.quiescent(0).unwrap();
        CPUS.quiescent(1).unwrap();
        machine.reclaim();
    }
    assert!(machine.retired() > 0);
    for _ in 0..3 {
        CPUS.quiescent_interrupt(0).unwrap();
        CPUS.quiescent_interrupt(1).unwrap();
        machine.reclaim();
    }
    assert_eq!(machine.retired(), 0);
}

#[test]
fn system_calls_run_against_the_machine() {
    let machine = machine("nodes=4 cpus=0,1,3 mem=256,256,256,0");
    let mut task = Task::new(NodeMask::first_n(3));
    let mut user = mempolicy_testkit::User::new();
    user.set_mask(mempolicy_testkit::MASK_A, &[0b1000]);
    // Node 3 has no memory: a bind to it alone is empty.
    let r = machine.set_mempolicy(&mut task, &mut user, 2, mempolicy_testkit::MASK_A, 64);
    assert_eq!(r, Err(Error::EmptyNodemask));
    user.set_mask(mempolicy_testkit::MASK_A, &[0b1010]);
    let r = machine.set_mempolicy(&mut task, &mut user, 2, mempolicy_testkit::MASK_A, 64);
    assert_eq!(r, Ok(0));
    assert_eq!(task.policy().unwrap().to_string(), "bind:1");
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(BASE, 4 * PAGE, BASE / PAGE, ()).unwrap();
    // Node 1 was the second of the cpuset 0-2; the second of 0,2 is node 2.
    machine.cpuset_rebind(&mut task, &mut mm, "0,2".parse().unwrap());
    assert_eq!(task.policy().unwrap().to_string(), "bind:2");
}

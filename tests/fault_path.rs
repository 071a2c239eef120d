//! The fault path of the kernel-facing layer (per-CPU handle + address space + task → frame)
//! allocates nothing and takes no lock of the crate, in every policy mode, for private and
//! shared mappings, and so do the other allocation entry points of a CPU handle.
//!
//! Allocations are counted by a per-thread counting allocator in every build. Locks are
//! counted by the crate itself in the `--cfg mempolicy_audit` build, which CI runs:
//! `RUSTFLAGS="--cfg mempolicy_audit" cargo test --test fault_path`.

use std::sync::Arc;

use mempolicy::abi::{AddressSpace, MigrationTarget, SharedObject, SharedPolicy, Task};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::machine::{CpuSlots, Machine};
use mempolicy::policy::{parse_mpol, Mempolicy};
use mempolicy::topology::Topology;
use mempolicy::{NodeId, NodeMask};

mod counting_alloc;

use counting_alloc::allocations_during;

const SPEC: &str = "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";
const PAGE: u64 = 4096;
const PRIVATE: u64 = 1 << 32;
const SHARED: u64 = 2 << 32;

/// Locks of the crate taken while `f` runs (0 where the audit is not built in).
fn locks_during(f: impl FnOnce()) -> usize {
    #[cfg(mempolicy_audit)]
    let before = mempolicy::guarantees::locks_taken();
    f();
    #[cfg(mempolicy_audit)]
    return mempolicy::guarantees::locks_taken() - before;
    #[cfg(not(mempolicy_audit))]
    0
}

fn policy(text: &str) -> Option<Mempolicy> {
    parse_mpol(text, &"0-3".parse().unwrap()).unwrap()
}

/// Every mode, with and without flags: what a task or a mapping may carry.
const POLICIES: [&str; 10] = [
    "default",
    "local",
    "prefer:2",
    "bind:1-3",
    "bind=static:3",
    "interleave:0-3",
    "interleave=relative:0-1",
    "weighted interleave:0-3",
    "prefer (many):1,3",
    "bind:0,2",
];

static MACHINE: mempolicy::machine::MachineCell = mempolicy::machine::MachineCell::new();
static CPUS: CpuSlots<2> = CpuSlots::new();

#[test]
fn the_fault_path_allocates_nothing_and_takes_no_lock() {
    let machine: &'static Machine =
        MACHINE.init(|| Machine::new(Topology::from_nodes_spec(SPEC).unwrap()));
    machine
        .weights()
        .set_weight(NodeId::new(0), 3)
        .expect("a weight");
    CPUS.bring_up(machine, 0).unwrap();
    CPUS.bring_up(machine, 1).unwrap();

    // A private mapping with a policy of its own on its second half, and a mapping of a
    // shared object whose tree has an interleave policy on part of it.
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(PRIVATE, 64 * PAGE, PRIVATE / PAGE, ()).unwrap();
    let bind = policy("bind:2-3");
    mm.set_policy(PRIVATE + 32 * PAGE, PRIVATE + 64 * PAGE, bind.as_ref());
    let object = Arc::new(SharedObject::new(machine.domain(), SharedPolicy::new(7)));
    let il = policy("interleave:1-3");
    object.set_for_mapping(0, 16, il.as_ref());
    mm.mmap_shared(SHARED, 64 * PAGE, 0, (), object).unwrap();

    let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node);
    let gfps = [
        GfpFlags::GFP_HIGHUSER_MOVABLE,
        GfpFlags::GFP_KERNEL,
        GfpFlags::GFP_DMA32,
        GfpFlags::GFP_TRANSHUGE,
        GfpFlags::GFP_KERNEL | GfpFlags::THISNODE,
    ];
    let mut served = 0u32;
    for text in POLICIES {
        let mut task = Task::new("0-3".parse().unwrap());
        task.install_policy(policy(text));
        let own = policy(text);
        let mems = *task.mems_allowed();
        let target = MigrationTarget::Policy {
            policy: own.as_ref().unwrap_or(machine.defaults().default_policy()),
            ilx: 5,
            mems_allowed: &mems,
        };
        let mut out = [None; 8];
        let mut run = |cpu: u32| {
            CPUS.with(cpu, |cpu| {
                let mut task = task.lend();
                for &gfp in &gfps {
                    for order in [0, 9] {
                        for page in [0, 40] {
                            for base in [PRIVATE, SHARED] {
                                let addr = base + page * PAGE;
                                if cpu
                                    .alloc_fault(&mut task, &mm, addr, gfp, order, &mut frames)
                                    .is_ok()
                                {
                                    served += 1;
                                }
                                let _ =
                                    cpu.misplaced(&task, &mm, addr, 0, NodeId::new(3), |_| true);
                            }
                        }
                    }
                    let _ = cpu.alloc_pages(&mut task, gfp, 0, &mut frames);
                    let _ = cpu.alloc_on_node(NodeId::new(1), gfp, 0, &mut frames);
                    out = [None; 8];
                    let _ = cpu.alloc_bulk(&mut task, gfp, &mut out, &mut frames);
                }
                let _ = cpu.alloc_migration_target(&target, 0, &mut frames);
                let node = MigrationTarget::Node(NodeId::new(2));
                let _ = cpu.alloc_migration_target(&node, 0, &mut frames);
                let _ = cpu.slab_node(&mut task);
                cpu.quiescent();
            })
            .unwrap();
            CPUS.with_interrupt(cpu, |cpu| {
                let _ = cpu.alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames);
            })
            .unwrap();
            CPUS.quiescent(cpu).unwrap();
            CPUS.quiescent_interrupt(cpu).unwrap();
        };
        // The first round lets each handle see the current state; then nothing changes.
        run(0);
        let mut allocations = 0;
        let locks = locks_during(|| {
            allocations = allocations_during(|| {
                run(0);
                run(1);
            });
        });
        assert_eq!(allocations, 0, "{text}: allocations on the fault path");
        assert_eq!(locks, 0, "{text}: locks on the fault path");
    }
    assert!(served > 0);
    // The audit counts: building the machine took locks (when the audit is built in).
    #[cfg(mempolicy_audit)]
    assert!(mempolicy::guarantees::locks_taken() > 0);
    let _ = NodeMask::new();
}

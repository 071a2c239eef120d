//! A kernel's embedding of `mempolicy`, as a skeleton to copy: the statics a kernel keeps,
//! its frame source, the boot sequence, the fault and interrupt handlers, the idle loop, a
//! system call, a sysfs weight write and a cpuset change. No `unsafe` anywhere.
//!
//! Here the CPUs are threads and physical memory is a counter per node, so that the skeleton
//! runs as a test; in a kernel each `cpu_main` runs on its own CPU and the frame source is
//! the page allocator.

use core::sync::atomic::{AtomicU64, Ordering};

use mempolicy::abi::{AddressSpace, Task, UserMemory};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::machine::{CpuSlots, Machine, MachineCell};
use mempolicy::policy::Mempolicy;
use mempolicy::select::FrameSource;
use mempolicy::topology::Topology;
use mempolicy::{Error, NodeId, NodeMask, Result};

/// The most CPUs this kernel supports.
const MAX_CPUS: usize = 8;
/// Frames per node in this toy machine.
const FRAMES_PER_NODE: u64 = 1 << 16;

// ---- The kernel's statics: built at boot, shared by every CPU, no `unsafe` -------------

/// Topology, zonelists, weights and built-in policies (Linux's memory-policy globals).
static MACHINE: MachineCell = MachineCell::new();
/// One handle per CPU for task context and one for interrupts.
static CPUS: CpuSlots<MAX_CPUS> = CpuSlots::new();
/// The page allocator of this toy kernel: frames left per node.
static FREE: [AtomicU64; 4] = [const { AtomicU64::new(FRAMES_PER_NODE) }; 4];

// ---- What the kernel provides: frames ------------------------------------------------

/// A physical frame number (with its node, so this toy kernel can count where pages went).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pfn {
    node: NodeId,
    pfn: u64,
}

/// The kernel's page allocator as the crate's allocation walk sees it: asked zone by zone in
/// Linux's order, it hands back frames or `None` (a real kernel checks watermarks here, and
/// may reclaim if `gfp` allows).
struct PageAllocator;

impl FrameSource for PageAllocator {
    type Frame = Pfn;

    fn take(&mut self, node: NodeId, _zone: ZoneType, order: u32, _gfp: GfpFlags) -> Option<Pfn> {
        let free = FREE.get(node.index())?;
        let pages = 1u64 << order;
        let left = free
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                f.checked_sub(pages)
            })
            .ok()?;
        Some(Pfn {
            node,
            pfn: node.as_u32() as u64 * FRAMES_PER_NODE + (FRAMES_PER_NODE - left),
        })
    }
}

// ---- What the kernel provides: processes and user memory -----------------------------

/// A process as this kernel keeps it: its memory-policy state and its mappings (a real
/// kernel keeps these in its task and `mm` structures, under its own locks).
struct Process {
    task: Task,
    mm: AddressSpace<Mempolicy>,
}

/// The user memory of a system call (a real kernel copies from the caller's address
/// space): one nodemask word at address 0x1000.
struct UserCopy {
    mask: u64,
}

impl UserMemory for UserCopy {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        if addr == 0x1000 {
            Ok(self.mask)
        } else {
            Err(Error::Fault(addr))
        }
    }
    fn write_u64(&mut self, addr: u64, _: u64) -> Result<()> {
        Err(Error::Fault(addr))
    }
    fn write_i32(&mut self, addr: u64, _: i32) -> Result<()> {
        Err(Error::Fault(addr))
    }
}

// ---- Boot ---------------------------------------------------------------------------------

/// Builds the machine once, from the firmware's description (here: four nodes, CPUs on
/// nodes 0 and 1, two memory-only nodes, bandwidths as an HMAT would report them).
fn boot() -> Result<&'static Machine> {
    let machine = MACHINE.try_init(|| {
        let topology = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
        let machine = Machine::new(topology);
        for (node, bandwidth) in [(0, 100_000), (1, 100_000), (2, 25_000), (3, 25_000)] {
            machine
                .weights()
                .set_node_bandwidth(NodeId::new(node), bandwidth, bandwidth)?;
        }
        Ok(machine)
    })?;
    Ok(machine)
}

// ---- The handlers ------------------------------------------------------------------------

/// The page-fault handler of CPU `cpu`: the mapping's or the task's policy picks the node.
fn page_fault(cpu: u32, process: &mut Process, addr: u64) -> Result<Pfn> {
    CPUS.with(cpu, |handle| {
        let mut task = process.task.lend();
        let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
        handle
            .alloc_fault(&mut task, &process.mm, addr, gfp, 0, &mut PageAllocator)
            .map(|page| page.into_frame())
    })?
}

/// A timer interrupt that needs a page: local node first, no task involved; then the tick.
fn timer_interrupt(cpu: u32) -> Result<Pfn> {
    let frame = CPUS.with_interrupt(cpu, |handle| {
        handle
            .alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut PageAllocator)
            .map(|page| page.into_frame())
    })??;
    tick(cpu)?;
    Ok(frame)
}

/// The end of the timer interrupt: a quiescent state for the interrupt handle, and for the
/// task handle unless the interrupted code holds it.
fn tick(cpu: u32) -> Result<()> {
    CPUS.quiescent_interrupt(cpu)
}

/// The idle loop's body: report a quiescent state from task context, so retired weight
/// tables can be freed; the interrupt handle is left free for interrupts meanwhile.
fn idle(cpu: u32) -> Result<()> {
    CPUS.quiescent(cpu)
}

/// What one CPU does: fault in `pages` pages of its process, take interrupts, go idle.
fn cpu_main(cpu: u32, process: &mut Process, base: u64, pages: u64) -> Result<[u64; 4]> {
    let mut per_node = [0u64; 4];
    for page in 0..pages {
        let frame = page_fault(cpu, process, base + page * 4096)?;
        per_node[frame.node.index()] += 1;
        if page % 64 == 0 {
            let frame = timer_interrupt(cpu)?;
            assert_eq!(
                frame.node.as_u32(),
                cpu,
                "interrupts allocate on their own node"
            );
            idle(cpu)?;
        }
    }
    Ok(per_node)
}

fn main() -> Result<()> {
    let machine = boot()?;
    for cpu in 0..2 {
        CPUS.bring_up(machine, cpu)?;
    }
    // Automatic weights from the bandwidths: 100000 : 25000 per node reduce to 4 : 1.
    let weights = machine.weights().snapshot();
    assert_eq!(weights.get(NodeId::new(0)), 4);
    assert_eq!(weights.get(NodeId::new(2)), 1);

    // Two processes: one weighted-interleaves over every node (set_mempolicy), one binds a
    // mapping to the memory-only nodes (mbind's effect, installed directly here).
    let memory = machine.with_topology(|t| *t.memory_nodes());
    let mut first = Process {
        task: Task::new(memory),
        mm: AddressSpace::new(),
    };
    let mut user = UserCopy { mask: 0b1111 };
    machine.set_mempolicy(&mut first.task, &mut user, 6, 0x1000, 64)?;
    first.mm.mmap_anonymous(1 << 32, 1000 * 4096, ())?;
    let mut second = Process {
        task: Task::new(memory),
        mm: AddressSpace::new(),
    };
    second.mm.mmap_anonymous(2 << 32, 1000 * 4096, ())?;
    let bind = mempolicy::policy::parse_mpol("bind:2-3", &memory)?;
    second
        .mm
        .set_policy(2 << 32, (2 << 32) + 1000 * 4096, bind.as_ref());

    // The CPUs run while an administrator writes a manual weight (sysfs) on another CPU.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| cpu_main(0, &mut first, 1 << 32, 1000));
        let b = s.spawn(|| cpu_main(1, &mut second, 2 << 32, 1000));
        s.spawn(|| {
            for weight in [3, 5, 4] {
                let _ = machine.weights().set_weight(NodeId::new(1), weight);
            }
            // Writers free retired tables on their path, once every CPU has reported.
            machine.reclaim();
        });
        (a.join(), b.join())
    });
    let (a, b) = (a.expect("cpu 0")?, b.expect("cpu 1")?);
    println!("weighted interleave from cpu 0: pages per node {a:?}");
    println!("bind 2-3 from cpu 1:            pages per node {b:?}");
    assert_eq!(a.iter().sum::<u64>(), 1000);
    assert_eq!((b[0], b[1]), (0, 0), "a bind never leaves its nodes");

    // A cpuset change: the task and its mappings are rebound to nodes 0-1.
    let mems: NodeMask = "0-1".parse()?;
    machine.cpuset_rebind(&mut second.task, &mut second.mm, mems);
    let frame = page_fault(1, &mut second, (2 << 32) + 4096 * 1001).err();
    assert_eq!(
        frame,
        Some(Error::Fault((2 << 32) + 4096 * 1001)),
        "beyond the mapping"
    );
    let frame = page_fault(1, &mut second, 2 << 32)?;
    assert!(frame.node.as_u32() < 2, "rebound to the new cpuset");

    // Every CPU idles and takes a tick once more: the old weight tables' grace periods end.
    for _ in 0..2 {
        for cpu in 0..2 {
            idle(cpu)?;
            tick(cpu)?;
        }
        machine.reclaim();
    }
    println!("retired tables left: {}", machine.retired());
    assert_eq!(machine.retired(), 0);
    Ok(())
}

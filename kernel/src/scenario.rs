//! The scenario: what every CPU does once the machine is up, checking itself as it goes.
//!
//! Its shape is the one the full scenario keeps; `INTEGRATION(machine)` marks each place where
//! the crate's kernel-facing layer plugs in:
//!
//! * **Per-CPU handle.** Each CPU's [`CpuState`] (inside its [`percpu::Cpu`]) is where the
//!   CPU keeps its handle from the kernel-facing layer: set once by that CPU in [`attach`],
//!   used by its task, fault and interrupt paths, never shared.
//! * **A self-checking run on every CPU** ([`allocate_and_check`]): today, blocks of frames
//!   from every node's pool, each checked against the SRAT range of the node it came from and
//!   filled with a pattern that a CPU sharing a frame by mistake would break. With the crate:
//!   tasks under every policy mode and flag, faults in VMAs with their own and shared
//!   policies, a cpuset rebind, `__GFP_THISNODE`/DMA32/movable requests and `mbind` moves,
//!   each frame checked against the node the policy must pick and the counts per node
//!   against the policy's arithmetic.
//! * **One CPU publishing** ([`publish_loop`]): the last CPU publishes new versions in a loop
//!   while the others allocate; today a generation counter that readers must see grow, with
//!   the crate new interleave weight tables.
//! * **Allocation from an interrupt handler** ([`on_timer`]): every local APIC timer tick
//!   takes a frame from the CPU's node and gives it back.
//! * **The end** ([`run_on_boot_cpu`]): the boot CPU waits for every CPU, stops the interrupt
//!   allocations and checks what was counted; with the crate, also that every retired weight
//!   table has been freed once every CPU reported a quiescent state.

use crate::arch::pit;
use crate::frames::{FrameBlock, Zone};
use crate::percpu::{self, Cpu};
use crate::{check, Kernel};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// What the scenario keeps per CPU.
#[derive(Debug)]
pub struct CpuState {
    // INTEGRATION(machine): the CPU's handle from the kernel-facing layer goes here, e.g.
    // `pub handle: spin::Once<mempolicy::machine::CpuHandle>`, set in `attach`.
    /// Frames the timer interrupt took (and gave back) on this CPU.
    pub irq_allocs: AtomicU64,
    /// Interrupt-time frames that were not where they should be.
    pub irq_errors: AtomicU64,
    /// Set when this CPU has finished its part.
    pub done: AtomicBool,
}

impl CpuState {
    /// The state before the CPU starts.
    pub const fn new() -> Self {
        CpuState {
            irq_allocs: AtomicU64::new(0),
            irq_errors: AtomicU64::new(0),
            done: AtomicBool::new(false),
        }
    }
}

impl Default for CpuState {
    fn default() -> Self {
        Self::new()
    }
}

/// Released by the boot CPU once every CPU is online: the APs wait for it.
static GO: AtomicBool = AtomicBool::new(false);
/// Whether the timer interrupt allocates.
static IRQ_ALLOCS: AtomicBool = AtomicBool::new(false);
/// Timer handlers between their check of [`IRQ_ALLOCS`] and their last frame access.
static IRQ_IN_FLIGHT: AtomicU32 = AtomicU32::new(0);
/// Set by the publisher once it has published its first version: the others start
/// allocating only then, so that publishing overlaps their work.
static PUBLISHING: AtomicBool = AtomicBool::new(false);
/// The version the publisher last published.
// INTEGRATION(machine): stands in for the published weight table.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Rounds of allocation per CPU.
const ROUNDS: u32 = 8;
/// Block orders each round takes from each node.
const ORDERS: [u32; 3] = [0, 1, 3];

/// The boot CPU's part: start the others, do its own share, wait, and check the totals.
pub fn run_on_boot_cpu(kernel: &'static Kernel) {
    IRQ_ALLOCS.store(true, Ordering::SeqCst);
    GO.store(true, Ordering::Release);
    run(kernel, percpu::current());

    // Wait for every CPU (bounded: a CPU that hangs must not hang the run).
    let cpus = percpu::all();
    let online = || cpus.iter().filter(|c| c.online.load(Ordering::Acquire));
    for _ in 0..20_000 {
        if online().all(|c| c.scenario.done.load(Ordering::Acquire)) {
            break;
        }
        pit::wait_us(1_000);
    }
    for c in online() {
        check!(
            c.scenario.done.load(Ordering::Acquire),
            "scenario: cpu {} finished",
            c.index()
        );
    }

    // Stop interrupt-time allocations and wait for handlers already past the flag.
    IRQ_ALLOCS.store(false, Ordering::SeqCst);
    while IRQ_IN_FLIGHT.load(Ordering::SeqCst) != 0 {
        core::hint::spin_loop();
    }
    for c in online() {
        let (allocs, errors) = (
            c.scenario.irq_allocs.load(Ordering::Relaxed),
            c.scenario.irq_errors.load(Ordering::Relaxed),
        );
        check!(
            allocs > 0 && errors == 0,
            "scenario: cpu {} allocated {allocs} frames in its timer interrupt, {errors} misplaced",
            c.index()
        );
    }
    // INTEGRATION(machine): check here that every retired weight table was freed once all
    // CPUs reported a quiescent state.
}

/// An AP's part: wait for the go, then run.
pub fn run_on_ap(kernel: &'static Kernel, cpu: &'static Cpu) {
    while !GO.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    run(kernel, cpu);
}

fn run(kernel: &'static Kernel, cpu: &'static Cpu) {
    attach(kernel, cpu);
    let count = percpu::all().len();
    if count > 1 && cpu.index() == count - 1 {
        publish_loop(cpu);
    } else {
        if count > 1 {
            wait_for_publisher();
        }
        allocate_and_check(kernel, cpu, count == 1);
    }
    cpu.scenario.done.store(true, Ordering::Release);
}

/// Sets up this CPU's per-CPU state for the scenario.
fn attach(_kernel: &Kernel, _cpu: &Cpu) {
    // INTEGRATION(machine): `cpu.scenario.handle.call_once(|| kernel.machine.cpu_handle(..))`:
    // the handle is created on, and only ever used by, this CPU.
}

/// Waits (at most about 5 s) for the publisher's first version.
fn wait_for_publisher() {
    for _ in 0..50_000 {
        if PUBLISHING.load(Ordering::Acquire) {
            return;
        }
        pit::wait_us(100);
    }
}

/// The publisher: new versions in a loop until every other CPU is done.
fn publish_loop(cpu: &Cpu) {
    let others = || {
        percpu::all()
            .iter()
            .filter(|c| c.index() != cpu.index() && c.online.load(Ordering::Acquire))
    };
    GENERATION.fetch_add(1, Ordering::Release);
    PUBLISHING.store(true, Ordering::Release);
    let mut published = 1u64;
    let mut others_done = false;
    // Bounded like every wait in the kernel: a few seconds of TCG time at most.
    for _ in 0..50_000_000u64 {
        others_done = others().all(|c| c.scenario.done.load(Ordering::Acquire));
        if others_done {
            break;
        }
        // INTEGRATION(machine): publish a new weight table instead.
        GENERATION.fetch_add(1, Ordering::Release);
        published += 1;
        for _ in 0..200 {
            core::hint::spin_loop();
        }
    }
    check!(
        others_done,
        "scenario: cpu {} published {published} versions until every other CPU was done",
        cpu.index()
    );
}

/// Blocks from every node's pool, checked and filled; `publish` makes this CPU publish too
/// (when it is the only one).
fn allocate_and_check(kernel: &Kernel, cpu: &Cpu, publish: bool) {
    let mut blocks = 0u32;
    let mut misplaced = 0u32;
    let mut corrupted = 0u32;
    let mut unavailable = 0u32;
    let mut last_seen = GENERATION.load(Ordering::Acquire);
    let mut went_back = 0u32;
    let mut seen = 0u32;
    for round in 0..ROUNDS {
        let mut held: Vec<(FrameBlock, u64)> = Vec::new();
        for node in 0..kernel.pools.nodes() {
            if kernel.pools.stats(node, Zone::Normal).total
                + kernel.pools.stats(node, Zone::Dma32).total
                == 0
            {
                continue; // a node without memory (or with only DMA frames)
            }
            for order in ORDERS {
                let Some(mut block) = [Zone::Normal, Zone::Dma32]
                    .into_iter()
                    .find_map(|z| kernel.pools.alloc(node, z, order))
                else {
                    unavailable += 1;
                    continue;
                };
                if !kernel.in_node(node, block.range()) {
                    misplaced += 1;
                }
                let tag = (cpu.index() as u64) << 48 | u64::from(round) << 32 | block.addr();
                fill(&mut block, tag);
                held.push((block, tag));
                blocks += 1;
            }
            if publish {
                GENERATION.fetch_add(1, Ordering::Release);
            }
            let now = GENERATION.load(Ordering::Acquire);
            went_back += u32::from(now < last_seen);
            seen += u32::from(now != last_seen);
            last_seen = now;
        }
        for (mut block, tag) in held {
            corrupted += u32::from(!holds(&mut block, tag));
            kernel.pools.free(block);
        }
    }
    check!(
        blocks > 0 && misplaced == 0 && corrupted == 0 && unavailable == 0,
        "scenario: cpu {} took {blocks} blocks from every node with memory: {misplaced} outside their node's SRAT ranges, {corrupted} overwritten, {unavailable} unavailable",
        cpu.index()
    );
    check!(
        went_back == 0,
        "scenario: cpu {} saw {seen} new published versions, never an older one after a newer",
        cpu.index()
    );
}

/// Writes `tag` into every 8-byte word of `block`.
fn fill(block: &mut FrameBlock, tag: u64) {
    for word in block.bytes_mut().chunks_exact_mut(8) {
        word.copy_from_slice(&tag.to_le_bytes());
    }
}

/// Whether every 8-byte word of `block` still holds `tag`.
fn holds(block: &mut FrameBlock, tag: u64) -> bool {
    block
        .bytes_mut()
        .chunks_exact(8)
        .all(|w| w == tag.to_le_bytes())
}

/// The timer interrupt's part: take one frame on this CPU's node, write it, give it back.
pub fn on_timer(cpu: &Cpu) {
    IRQ_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    if IRQ_ALLOCS.load(Ordering::SeqCst) {
        if let Some(kernel) = crate::try_kernel() {
            irq_alloc(kernel, cpu);
        }
    }
    IRQ_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
}

fn irq_alloc(kernel: &Kernel, cpu: &Cpu) {
    // INTEGRATION(machine): ask the kernel-facing layer for an interrupt-context allocation
    // (no sleeping, local node first) through this CPU's handle instead.
    let local = cpu.node.load(Ordering::Relaxed);
    let nodes = core::iter::once(local).chain((0..kernel.pools.nodes()).filter(|&n| n != local));
    let found = nodes
        .flat_map(|n| Zone::ALL.into_iter().rev().map(move |z| (n, z)))
        .find_map(|(n, z)| kernel.pools.alloc(n, z, 0).map(|b| (n, b)));
    let Some((node, mut block)) = found else {
        cpu.scenario.irq_errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let tag = 0x1_0000_0000 | cpu.index() as u64;
    fill(&mut block, tag);
    let ok = holds(&mut block, tag) && kernel.in_node(node, block.range());
    kernel.pools.free(block);
    let counter = if ok {
        &cpu.scenario.irq_allocs
    } else {
        &cpu.scenario.irq_errors
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

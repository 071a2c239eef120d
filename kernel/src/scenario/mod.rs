//! The scenario: what every CPU does once the machine is up, checking itself as it goes.
//! Each check prints one line (`pass: …` or `FAIL: …`).
//!
//! 1. **Bring-up.** Each CPU makes its handles on the machine ([`embed::bring_up`]); from
//!    then on its timer interrupt allocates a frame through the interrupt handle on every
//!    tick ([`on_timer`]) and reports a quiescent state.
//! 2. **Policies** ([`policies`]), on every CPU at once, with the weights fixed: every
//!    policy mode and flag placing real frames, checked against [`expect`]'s independent
//!    arithmetic.
//! 3. **Weights changing** ([`race`]): the last CPU publishes new weights in a loop while
//!    the others allocate under weighted interleave (a single CPU does both).
//! 4. **The end** ([`run_on_boot_cpu`]): the boot CPU waits for every CPU, stops the
//!    interrupt-time allocations and checks what they did, then writes one more weight and
//!    checks that every retired weight table (and shared policy tree) is freed once every
//!    CPU has reported a quiescent state, which the others do from their idle loops.
//!
//! The processes the checks drive are in [`process`].

#![forbid(unsafe_code)]

mod expect;
mod policies;
mod process;
mod race;

use crate::embed;
use crate::frames::FramePools;
use crate::percpu::{self, Cpu};
use crate::{check, Kernel};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use expect::Expect;
use mempolicy::machine::Machine;
use mempolicy::weights::Weights;
use mempolicy::{Error, NodeId, NodeMask};

/// What the scenario keeps per CPU.
#[derive(Debug)]
pub struct CpuState {
    /// Set once the CPU's handles on the machine exist.
    pub up: AtomicBool,
    /// Where this CPU's interrupt-time frames may come from: its node if it has memory,
    /// else the nearest nodes with memory.
    pub irq_nodes: spin::Once<NodeMask>,
    /// Frames the timer interrupt took (and gave back) where they belonged.
    pub irq_allocs: AtomicU64,
    /// Interrupt-time frames that were not where they should be, or none at all.
    pub irq_errors: AtomicU64,
    /// Interrupt-time allocations refused because the interrupt handle was in use.
    pub irq_busy: AtomicU64,
    /// Set when this CPU has finished its part.
    pub done: AtomicBool,
}

impl CpuState {
    /// The state before the CPU starts.
    pub const fn new() -> Self {
        CpuState {
            up: AtomicBool::new(false),
            irq_nodes: spin::Once::new(),
            irq_allocs: AtomicU64::new(0),
            irq_errors: AtomicU64::new(0),
            irq_busy: AtomicU64::new(0),
            done: AtomicBool::new(false),
        }
    }
}

impl Default for CpuState {
    fn default() -> Self {
        Self::new()
    }
}

/// What one CPU's checks work with.
#[derive(Debug)]
pub struct Ctx<'k> {
    /// The kernel's shared state.
    pub kernel: &'k Kernel,
    /// The machine.
    pub machine: &'static Machine,
    /// The logical CPU running the checks.
    pub index: usize,
    /// Its node.
    pub node: NodeId,
    /// The expectations.
    pub expect: Expect<'k>,
    /// The weights as the machine booted (taken before any CPU changes them).
    pub boot_weights: Weights,
}

impl<'k> Ctx<'k> {
    /// The frame pools.
    pub fn pools(&self) -> &'k FramePools {
        &self.kernel.pools
    }
}

/// Released by the boot CPU once every CPU is online: the APs wait for it.
static GO: AtomicBool = AtomicBool::new(false);
/// Whether the timer interrupt allocates.
static IRQ_ALLOCS: AtomicBool = AtomicBool::new(false);
/// Timer handlers between their check of [`IRQ_ALLOCS`] and their last frame access.
static IRQ_IN_FLIGHT: AtomicU32 = AtomicU32::new(0);
/// CPUs that finished the policy phase.
static POLICIES_DONE: AtomicUsize = AtomicUsize::new(0);

/// Idle-loop passes (about 1.6 ms each) any wait lasts at most.
const WAIT_LIMIT: u32 = 20_000;

/// The boot CPU's part: start the others, do its own share, wait, and check the end.
pub fn run_on_boot_cpu(kernel: &'static Kernel) {
    IRQ_ALLOCS.store(true, Ordering::SeqCst);
    GO.store(true, Ordering::Release);
    let me = percpu::current();
    run(kernel, me);

    let cpus = percpu::all();
    let online = || cpus.iter().filter(|c| c.online.load(Ordering::Acquire));
    wait(me.index(), || {
        online().all(|c| c.scenario.done.load(Ordering::Acquire))
    });
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
        let s = &c.scenario;
        let (allocs, errors, busy) = (
            s.irq_allocs.load(Ordering::Relaxed),
            s.irq_errors.load(Ordering::Relaxed),
            s.irq_busy.load(Ordering::Relaxed),
        );
        let nodes = s.irq_nodes.get().copied().unwrap_or_default();
        check!(
            allocs > 0 && errors == 0 && busy == 0,
            "scenario: cpu {} allocated {allocs} frames in its timer interrupt (GFP_ATOMIC, on {nodes} by SRAT range), {errors} misplaced or missing, {busy} refused",
            c.index()
        );
    }
    reclaim(me.index(), kernel);
}

/// The end: one more weight write retires the current table; then every CPU's quiescent
/// states (the others report them from their idle loops and timer ticks) let `reclaim` free
/// every retired object.
fn reclaim(index: usize, kernel: &Kernel) {
    let machine = embed::machine();
    let node = kernel
        .layout
        .nodes_with_memory()
        .first()
        .unwrap_or_default();
    let written = machine.weights().set_weight(node, 1);
    let before = machine.retired();
    wait(index, || {
        machine.reclaim();
        machine.retired() == 0
    });
    let after = machine.retired();
    check!(
        written.is_ok() && before > 0 && after == 0,
        "scenario: {before} retired weight tables and policy trees after the last write, {after} once every CPU reported quiescent states and reclaim ran"
    );
}

/// An AP's part: wait for the go, then run, then idle.
pub fn run_on_ap(kernel: &'static Kernel, cpu: &'static Cpu) -> ! {
    while !GO.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    run(kernel, cpu);
    // Done: keep reporting quiescent states (and taking timer interrupts) until the boot CPU
    // ends the run.
    loop {
        embed::idle(cpu.index());
    }
}

/// Waits, in the idle loop, until `done` (bounded: a CPU that hangs must not hang the run).
fn wait(index: usize, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..WAIT_LIMIT {
        if done() {
            return true;
        }
        embed::idle(index);
    }
    done()
}

fn run(kernel: &'static Kernel, cpu: &'static Cpu) {
    let index = cpu.index();
    let node = kernel
        .layout
        .cpus
        .get(index)
        .and_then(|c| NodeId::try_new(u64::from(c.node)).ok())
        .unwrap_or_default();
    let machine = embed::machine();
    let expect = Expect::new(&kernel.layout, &kernel.pools);
    let brought = embed::bring_up(index);
    let mem = expect.memory();
    cpu.scenario
        .irq_nodes
        .call_once(|| expect.nearest(node, &mem));
    cpu.scenario.up.store(brought.is_ok(), Ordering::Release);
    let handle_node = embed::with_cpu(index, |c| c.node());
    check!(
        brought.is_ok() && handle_node == Ok(node),
        "cpu {index}: handles on the machine brought up ({}), on node {node}",
        match brought {
            Ok(()) => "ok",
            Err(Error::Busy) => "already up",
            Err(_) => "refused",
        }
    );
    let ctx = Ctx {
        kernel,
        machine,
        index,
        node,
        expect,
        boot_weights: machine.weights().snapshot(),
    };

    policies::run(&ctx);

    // Everyone finishes the policies (which need fixed weights) before weights change.
    let online = percpu::all()
        .iter()
        .filter(|c| c.online.load(Ordering::Acquire))
        .count();
    POLICIES_DONE.fetch_add(1, Ordering::AcqRel);
    let together = wait(index, || POLICIES_DONE.load(Ordering::Acquire) >= online);
    check!(
        together,
        "cpu {index}: every CPU finished the policy checks before the weights change"
    );
    let publisher = online - 1;
    if online == 1 {
        race::allocate(&ctx, true);
    } else if index == publisher {
        race::publish(&ctx, online - 1);
    } else {
        race::allocate(&ctx, false);
    }
    cpu.scenario.done.store(true, Ordering::Release);
}

/// The timer interrupt's part: allocate one frame through the CPU's interrupt handle, check
/// it and give it back; then report a quiescent state.
pub fn on_timer(cpu: &Cpu) {
    let state = &cpu.scenario;
    if !state.up.load(Ordering::Acquire) {
        return;
    }
    IRQ_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    if IRQ_ALLOCS.load(Ordering::SeqCst) {
        if let Some(kernel) = crate::try_kernel() {
            irq_alloc(kernel, cpu);
        }
    }
    IRQ_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    embed::tick(cpu.index());
}

fn irq_alloc(kernel: &Kernel, cpu: &Cpu) {
    let state = &cpu.scenario;
    let counter = match embed::alloc_in_interrupt(cpu.index(), &kernel.pools) {
        Ok(page) => {
            let node = page.node();
            let mut block = page.into_frame();
            let tag = 0x1_0000_0000 | cpu.index() as u64;
            process::fill(&mut block, tag);
            let expected = state.irq_nodes.get().is_some_and(|n| n.contains(node));
            let ok = process::holds(&mut block, tag)
                && expected
                && kernel.layout.in_node(node, block.range());
            kernel.pools.free(block);
            if ok {
                &state.irq_allocs
            } else {
                &state.irq_errors
            }
        }
        Err(Error::Busy) => &state.irq_busy,
        Err(_) => &state.irq_errors,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

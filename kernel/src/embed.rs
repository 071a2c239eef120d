//! Embedding `mempolicy`: everything this kernel writes around the crate, in one place.
//!
//! | what | here | crate |
//! |---|---|---|
//! | the machine (topology, zonelists, weights, built-in policies) | [`MACHINE`], built once by [`build_machine`] | [`MachineCell`], [`Machine::for_linux`] |
//! | the topology | from the firmware layout ([`crate::layout`]) | [`NumaLayout::topology`](mempolicy::firmware::NumaLayout::topology) |
//! | one handle per CPU (task context and interrupts) | [`CPUS`], filled by [`bring_up`] on each CPU | [`CpuSlots`], [`Cpu`] |
//! | physical frames | [`Frames`] over the kernel's pools | [`FrameSource`] |
//! | interrupt-time allocation | [`alloc_in_interrupt`], from the timer handler | [`Cpu::alloc_interrupt`] |
//! | quiescent states | [`idle`] (idle and wait loops), [`quiescent`] (long loops) and [`tick`] (timer interrupt) | [`CpuSlots::quiescent`], [`CpuSlots::quiescent_interrupt`] |
//! | tasks, address spaces, system calls | [`crate::scenario`] | [`mempolicy::abi`], [`Machine`]'s system calls |
//!
//! # No `unsafe`
//! The crate's handles are `!Send` (each belongs to one CPU), yet a kernel needs them in a
//! `static` so that every path of that CPU (faults, interrupts, the idle loop) finds them.
//! [`CpuSlots`] is that static: it lends CPU `n`'s handle for the length of a closure, and
//! refuses a second, nested claim ([`mempolicy::Error::Busy`]) instead of aliasing it. So the
//! kernel keeps per-CPU handles without a line of `unsafe`; the CPU number comes from the
//! kernel's own per-CPU area ([`crate::percpu`]).
//!
//! # Which Linux
//! The machine follows Linux 7.3 ([`LINUX`]): automatic weighted-interleave weights from the
//! HMAT bandwidths, and the 7.3 rules of the system calls.
//!
//! # What may run where
//! Building the machine and bringing up a CPU allocate (the heap is up by then). The
//! allocation entry points ([`Cpu::alloc_fault`], [`Cpu::alloc_pages`],
//! [`Cpu::alloc_interrupt`], …) never allocate and never take a lock of the crate's; the only
//! lock on their path is the frame pool's, which masks interrupts, so the timer interrupt may
//! allocate frames at any time. Quiescent states neither allocate nor lock, so the timer
//! handler reports one on every tick. Weight writers and [`Machine::reclaim`] allocate and
//! free: task context only.

#![forbid(unsafe_code)]

use crate::arch::cpu;
use crate::frames::{FrameBlock, FramePools, Zone};
use crate::layout::Layout;
use crate::percpu::MAX_CPUS;
use mempolicy::firmware::MovableZone;
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::machine::{Cpu, CpuSlots, Machine, MachineCell};
use mempolicy::select::{FrameSource, Page};
use mempolicy::{Linux, NodeId, Result};

/// The machine: topology, zonelists, weighted-interleave weights, built-in policies (Linux:
/// the memory-policy globals). Built once by the boot CPU, then read by every CPU.
pub static MACHINE: MachineCell = MachineCell::new();

/// Every CPU's two handles on [`MACHINE`], by logical CPU number (Linux: per-CPU state).
pub static CPUS: CpuSlots<MAX_CPUS> = CpuSlots::new();

/// The kernel release the machine behaves like.
pub const LINUX: Linux = Linux::V7_3;

/// Builds [`MACHINE`] from the firmware layout: the crate's topology (zones from each node's
/// usable RAM, no movable zone, as Linux by default), then the machine for [`LINUX`], whose
/// weight table starts with the automatic weights of the HMAT bandwidths.
///
/// # Errors
/// The topology's, which a layout read by the crate does not produce.
pub fn build_machine(layout: &Layout) -> Result<&'static Machine> {
    MACHINE.try_init(|| {
        let topology = layout.numa.topology(MovableZone::None)?;
        Ok(Machine::for_linux(LINUX, topology))
    })
}

/// The machine.
///
/// # Panics
/// Before [`build_machine`] (the boot CPU builds it before any other CPU starts).
pub fn machine() -> &'static Machine {
    MACHINE
        .get()
        .expect("the machine is used before the boot CPU built it")
}

/// The frame source the crate allocates from: the kernel's pools, zone by zone as the crate's
/// zonelist walk asks (Linux: `get_page_from_freelist` over the buddy allocator). No
/// watermarks and no reclaim: a pool either has the block or answers `None`, and the walk
/// goes on to the next zone.
#[derive(Clone, Copy, Debug)]
pub struct Frames<'p>(pub &'p FramePools);

impl FrameSource for Frames<'_> {
    type Frame = FrameBlock;

    fn take(
        &mut self,
        node: NodeId,
        zone: ZoneType,
        order: u32,
        _gfp: GfpFlags,
    ) -> Option<FrameBlock> {
        self.0.alloc(node.as_u32(), kernel_zone(zone)?, order)
    }
}

/// The kernel's pool zone for one of the crate's zone types (there is no highmem on x86-64,
/// and no movable zone in this kernel).
pub fn kernel_zone(zone: ZoneType) -> Option<Zone> {
    match zone {
        ZoneType::Dma => Some(Zone::Dma),
        ZoneType::Dma32 => Some(Zone::Dma32),
        ZoneType::Normal => Some(Zone::Normal),
        ZoneType::HighMem | ZoneType::Movable => None,
    }
}

/// Makes CPU `index`'s two handles (allocates; run on that CPU as it comes up).
///
/// # Errors
/// [`mempolicy::Error::InvalidCpu`] for a CPU the machine does not describe,
/// [`mempolicy::Error::Busy`] if it is up already.
pub fn bring_up(index: usize) -> Result<()> {
    CPUS.bring_up(machine(), cpu_number(index))
}

/// Runs `f` with this CPU's task-context handle (fault, kernel-allocation and system-call
/// paths).
///
/// # Errors
/// [`mempolicy::Error::InvalidCpu`] if the CPU is not up, [`mempolicy::Error::Busy`] if its
/// handle is lent already.
pub fn with_cpu<R>(index: usize, f: impl FnOnce(&mut Cpu<'static>) -> R) -> Result<R> {
    CPUS.with(cpu_number(index), f)
}

/// Allocates one frame from interrupt context on CPU `index` (Linux: `alloc_pages(GFP_ATOMIC,
/// 0)` in a handler): the CPU's node first, then its fallback list; no task, no policy.
///
/// # Errors
/// [`mempolicy::Error::Busy`] if the interrupted code was itself in the interrupt handle
/// (this kernel's timer does not nest), [`mempolicy::Error::NoMemory`] if no pool has a frame.
pub fn alloc_in_interrupt(index: usize, pools: &FramePools) -> Result<Page<FrameBlock>> {
    CPUS.with_interrupt(cpu_number(index), |cpu| {
        cpu.alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut Frames(pools))
    })?
}

/// The timer tick's report: a quiescent state for whichever of CPU `index`'s handles the
/// interrupted code is not using (Linux: the scheduler tick noting a quiescent state). Safe
/// from an interrupt: a handle in use is skipped, and a handle not in use holds no borrowed
/// machine state.
pub fn tick(index: usize) {
    let _ = CPUS.quiescent_interrupt(cpu_number(index));
}

/// A quiescent state reported from task context, between two pieces of work that hold no
/// machine state (Linux: `cond_resched()` in a long loop), so that grace periods end without
/// waiting for the next tick. Only the task handle is claimed, so interrupts stay enabled:
/// the timer handler still finds its own handle free.
pub fn quiescent(index: usize) {
    let _ = CPUS.quiescent(cpu_number(index));
}

/// One pass of an idle or wait loop: report a quiescent state for both handles (with
/// interrupts masked, so no interrupt finds its handle claimed), then sleep until the next
/// interrupt.
pub fn idle(index: usize) {
    cpu::disable_interrupts();
    let _ = CPUS.quiescent_interrupt(cpu_number(index));
    cpu::enable_interrupts_and_halt();
}

/// The crate's CPU number of logical CPU `index` (they are the same numbers).
fn cpu_number(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

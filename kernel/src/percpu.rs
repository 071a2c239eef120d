//! The per-CPU area: one [`Cpu`] per logical CPU in a static array, and the GS base pointing
//! at the running CPU's entry.
//!
//! Logical CPU numbers are given in [`crate::layout::Layout::cpus`] order (boot CPU first,
//! then the MADT's order). Each CPU writes the address of its own [`Cpu`] into its GS base
//! (`IA32_GS_BASE`) once, at startup; [`current`] then reads the index stored first in that
//! entry with one `gs:`-relative load and indexes the array. Everything else about per-CPU
//! state is ordinary safe code: the entries are `Sync` (atomics, `spin::Once`), so the
//! per-CPU static needs no `unsafe` beyond that one load. The crate's per-CPU handles, which
//! are not `Sync`, live in the crate's own per-CPU static ([`crate::embed::CPUS`]), indexed
//! by the number read here.

use crate::scenario;
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// The most CPUs the kernel starts.
pub const MAX_CPUS: usize = 64;

const IA32_GS_BASE: u32 = 0xC000_0101;

/// One CPU's state.
#[repr(C)]
#[derive(Debug)]
pub struct Cpu {
    /// The logical CPU number. Must stay the first field: [`current`] reads it at `gs:0`.
    index: usize,
    /// The local APIC id this CPU reported once it ran.
    pub apic_id: AtomicU32,
    /// The node the SRAT puts this CPU on.
    pub node: AtomicU32,
    /// Set once the CPU has its GDT, IDT, APIC and timer.
    pub online: AtomicBool,
    /// Timer interrupts taken.
    pub ticks: AtomicU64,
    /// What the scenario keeps per CPU. (The CPU's handles on the machine are in
    /// [`crate::embed::CPUS`], by the same index.)
    pub scenario: scenario::CpuState,
}

impl Cpu {
    const fn new(index: usize) -> Self {
        Cpu {
            index,
            apic_id: AtomicU32::new(u32::MAX),
            node: AtomicU32::new(0),
            online: AtomicBool::new(false),
            ticks: AtomicU64::new(0),
            scenario: scenario::CpuState::new(),
        }
    }

    /// The logical CPU number.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Every CPU's entry, indexed by logical CPU number.
static CPUS: [Cpu; MAX_CPUS] = {
    let mut cpus = [const { Cpu::new(0) }; MAX_CPUS];
    let mut i = 0;
    while i < MAX_CPUS {
        cpus[i].index = i;
        i += 1;
    }
    cpus
};

/// How many entries of [`CPUS`] are in use (the CPUs of the layout).
static CPU_COUNT: AtomicUsize = AtomicUsize::new(1);

/// Records how many CPUs the machine has (at most [`MAX_CPUS`]).
pub fn set_count(count: usize) {
    CPU_COUNT.store(count.clamp(1, MAX_CPUS), Ordering::Release);
}

/// The CPUs of the machine, by logical number.
pub fn all() -> &'static [Cpu] {
    &CPUS[..CPU_COUNT.load(Ordering::Acquire)]
}

/// The entry of logical CPU `index`.
pub fn get(index: usize) -> Option<&'static Cpu> {
    CPUS.get(index)
}

/// Makes `index` this CPU's number: points the GS base at its entry. Call once per CPU,
/// first thing after entering Rust.
///
/// # Panics
/// If `index` is not below [`MAX_CPUS`].
pub fn install(index: usize) {
    let cpu = &CPUS[index];
    // SAFETY: IA32_GS_BASE exists on x86-64; the value is the address of a static entry that
    // lives forever and starts with its index, which is all `current` assumes.
    unsafe { crate::arch::cpu::wrmsr(IA32_GS_BASE, cpu as *const Cpu as u64) };
}

/// The running CPU's number, or `None` before [`install`] ran on it.
pub fn current_index() -> Option<usize> {
    let index: usize;
    // SAFETY: a load through GS touches no Rust-visible memory but the `index` field of this
    // CPU's entry, which never changes after initialisation. Before `install`, GS base is 0
    // and the load reads the (identity-mapped) real-mode IVT; the bound check below rejects
    // such a value.
    unsafe { asm!("mov {}, gs:[0]", out(reg) index, options(nostack, readonly, preserves_flags)) };
    (index < MAX_CPUS && CPUS[index].index == index).then_some(index)
}

/// The running CPU's entry.
///
/// # Panics
/// If this CPU has not run [`install`].
pub fn current() -> &'static Cpu {
    match current_index() {
        Some(index) => &CPUS[index],
        None => panic!("per-CPU area used before percpu::install"),
    }
}

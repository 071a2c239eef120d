//! What the kernel does on an interrupt or exception, once the stubs of
//! [`crate::arch::idt`] have saved the interrupted state.

use crate::arch::{apic, idt::ExceptionFrame};
use crate::{percpu, qemu, scenario, serial};
use core::sync::atomic::Ordering;

const EXCEPTION_NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved",
    "x87 error",
    "alignment check",
    "machine check",
    "SIMD error",
    "virtualization",
    "control protection",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "hypervisor injection",
    "VMM communication",
    "security",
    "reserved",
];

/// An exception: report it and end the run as failed. Called by the exception stubs.
pub extern "C" fn exception(frame: &ExceptionFrame) -> ! {
    let name = EXCEPTION_NAMES
        .get(frame.vector as usize)
        .unwrap_or(&"unknown");
    let cr2: u64;
    // SAFETY: reading CR2 (the faulting address of a page fault) has no side effect.
    unsafe {
        core::arch::asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags))
    };
    serial::emergency_line(format_args!(
        "exception {} ({name}) on cpu {:?}: error={:#x} rip={:#x} rsp={:#x} cr2={cr2:#x}",
        frame.vector,
        percpu::current_index(),
        frame.error,
        frame.rip,
        frame.rsp,
    ));
    qemu::exit(false)
}

/// The local APIC timer: count the tick, run the scenario's interrupt-time work (a frame
/// allocated through the CPU's interrupt handle, then a quiescent state: see
/// [`crate::embed::alloc_in_interrupt`] and [`crate::embed::tick`]), end the interrupt.
/// Called by the timer stub, with interrupts masked.
pub extern "C" fn timer() {
    let cpu = percpu::current();
    cpu.ticks.fetch_add(1, Ordering::Relaxed);
    scenario::on_timer(cpu);
    apic::end_of_interrupt();
}

//! Single privileged instructions, each behind a small function: port I/O, model-specific
//! registers, the interrupt flag, `hlt`, the time-stamp counter.
//!
//! Port and MSR writes can reconfigure the machine under the kernel's feet, so they are
//! `unsafe fn`s whose callers argue, at each use, why the write is the one the device or the
//! CPU expects. Reading the flags or halting cannot break memory safety and stays safe.

use core::arch::asm;

/// Writes a byte to an I/O port.
///
/// # Safety
/// `port` must belong to a device that expects this write; nothing else may rely on the state
/// the write changes.
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: `out` touches only the named port (the caller's contract) and no memory.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags))
    }
}

/// Writes a 32-bit value to an I/O port.
///
/// # Safety
/// As for [`outb`].
pub unsafe fn outl(port: u16, value: u32) {
    // SAFETY: as in `outb`.
    unsafe {
        asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags))
    }
}

/// Reads a byte from an I/O port.
///
/// # Safety
/// `port` must belong to a device for which a read has no side effect the rest of the kernel
/// relies on (a UART's receive register, for one, drops the byte it returns).
pub unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: `in` touches only the named port (the caller's contract) and no memory.
    unsafe {
        asm!("in al, dx", in("dx") port, out("al") value, options(nomem, nostack, preserves_flags))
    }
    value
}

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this CPU (reading an unknown one raises #GP).
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: `rdmsr` reads the register named in ecx into edx:eax and touches no memory.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") low, out("edx") high, options(nomem, nostack, preserves_flags))
    }
    (u64::from(high) << 32) | u64::from(low)
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist, and the new value must keep every invariant the kernel relies on (for
/// the GS base: it points at this CPU's per-CPU area).
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: `wrmsr` writes edx:eax to the register named in ecx (the caller's contract).
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
            options(nostack, preserves_flags))
    }
}

/// Whether maskable interrupts are enabled on this CPU (`RFLAGS.IF`).
pub fn interrupts_enabled() -> bool {
    let flags: u64;
    // SAFETY: pushing and popping the flags only reads them; the push stays within the stack.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(nomem, preserves_flags)) }
    flags & (1 << 9) != 0
}

/// Masks interrupts on this CPU (`cli`).
pub fn disable_interrupts() {
    // SAFETY: masking interrupts cannot break memory safety; it only delays handlers.
    unsafe { asm!("cli", options(nomem, nostack)) }
}

/// Unmasks interrupts on this CPU (`sti`). Call it only once this CPU has loaded the IDT.
pub fn enable_interrupts() {
    // SAFETY: every CPU loads the IDT (with handlers for every vector the kernel programs)
    // before it calls this, so an interrupt lands in a handler.
    unsafe { asm!("sti", options(nomem, nostack)) }
}

/// Waits for the next interrupt (`hlt`).
pub fn halt() {
    // SAFETY: `hlt` only stops the CPU until the next interrupt.
    unsafe { asm!("hlt", options(nomem, nostack, preserves_flags)) }
}

/// Unmasks interrupts and waits for the next one (`sti; hlt`): `sti` takes effect after the
/// next instruction, so an interrupt pending now wakes the `hlt` instead of being handled in
/// between and leaving the CPU asleep. Call it only once this CPU has loaded the IDT.
pub fn enable_interrupts_and_halt() {
    // SAFETY: as for `enable_interrupts` (the IDT is loaded) and `halt`.
    unsafe { asm!("sti", "hlt", options(nomem, nostack)) }
}

/// Stops this CPU for good: interrupts masked, halted.
pub fn halt_forever() -> ! {
    loop {
        disable_interrupts();
        halt();
    }
}

//! The legacy 8259 interrupt controllers, switched off.
//!
//! The BIOS leaves them delivering the PIT's IRQ 0 on vector 8, which is also the double
//! fault's vector: the first `sti` would look like a double fault. The kernel moves the two
//! PICs to vectors 0x20-0x2F (where a spurious IRQ 7 or 15 lands on a harmless gate, see
//! [`crate::arch::idt`]) and masks every line; the local APIC delivers all it uses.

use crate::arch::cpu;

/// The first vector of the (masked) legacy IRQs.
pub const LEGACY_BASE: u8 = 0x20;

/// Remaps both PICs above the exceptions and masks all their lines.
pub fn disable() {
    // (port, value): ICW1 (init, ICW4 follows), ICW2 (vector base), ICW3 (cascade on IRQ 2),
    // ICW4 (8086 mode), then OCW1 masking all eight lines, for the master (0x20/0x21) and the
    // slave (0xA0/0xA1).
    let sequence: [(u16, u8); 10] = [
        (0x20, 0x11),
        (0xA0, 0x11),
        (0x21, LEGACY_BASE),
        (0xA1, LEGACY_BASE + 8),
        (0x21, 0b100),
        (0xA1, 2),
        (0x21, 0x01),
        (0xA1, 0x01),
        (0x21, 0xFF),
        (0xA1, 0xFF),
    ];
    for (port, value) in sequence {
        // SAFETY: these are the 8259s' command and data ports, programmed in the documented
        // initialisation order, by the boot CPU before it enables interrupts.
        unsafe { cpu::outb(port, value) };
    }
}

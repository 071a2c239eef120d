//! The local APIC, in xAPIC mode: its registers are 32-bit MMIO at the physical address in
//! `IA32_APIC_BASE` (0xFEE00000 on QEMU), inside the boot identity map.
//!
//! Every CPU has its own local APIC at the same address; each CPU reaches its own. The kernel
//! uses it to know which CPU it runs on (the APIC id), to start the other CPUs (INIT and
//! startup IPIs), and for a periodic timer interrupt on every CPU.

use crate::arch::cpu;

const IA32_APIC_BASE: u32 = 0x1B;
const ID: u32 = 0x20;
const TASK_PRIORITY: u32 = 0x80;
const EOI: u32 = 0xB0;
const SPURIOUS: u32 = 0xF0;
const ERROR_STATUS: u32 = 0x280;
const ICR_LOW: u32 = 0x300;
const ICR_HIGH: u32 = 0x310;
const LVT_TIMER: u32 = 0x320;
const TIMER_INITIAL: u32 = 0x380;
const TIMER_DIVIDE: u32 = 0x3E0;

const SOFTWARE_ENABLE: u32 = 1 << 8;
const DELIVERY_PENDING: u32 = 1 << 12;
const TIMER_PERIODIC: u32 = 1 << 17;
/// Divide configuration 0b0011: the timer counts at bus clock / 16.
const DIVIDE_BY_16: u32 = 0b0011;

fn base() -> u64 {
    // SAFETY: IA32_APIC_BASE exists on every x86-64 CPU; reading it has no side effect.
    unsafe { cpu::rdmsr(IA32_APIC_BASE) & 0x000F_FFFF_FFFF_F000 }
}

fn read(register: u32) -> u32 {
    // SAFETY: the local APIC page is identity-mapped (below 4 GiB), the register offsets are
    // the architectural ones and 16-byte aligned, and registers are read as whole 32-bit
    // volatile loads, as xAPIC requires.
    unsafe { core::ptr::read_volatile((base() + u64::from(register)) as *const u32) }
}

fn write(register: u32, value: u32) {
    // SAFETY: as in `read`, for a 32-bit volatile store; each register written here is one
    // this module owns the meaning of.
    unsafe { core::ptr::write_volatile((base() + u64::from(register)) as *mut u32, value) }
}

/// This CPU's local APIC id.
pub fn id() -> u32 {
    read(ID) >> 24
}

/// Turns this CPU's local APIC on, with `spurious_vector` for spurious interrupts, accepting
/// every priority.
pub fn enable(spurious_vector: u8) {
    write(SPURIOUS, SOFTWARE_ENABLE | u32::from(spurious_vector));
    write(TASK_PRIORITY, 0);
    write(ERROR_STATUS, 0);
}

/// Signals the end of the current interrupt.
pub fn end_of_interrupt() {
    write(EOI, 0);
}

/// Starts the periodic timer: `vector` every `count` ticks of the bus clock divided by 16
/// (QEMU's bus clock is 1 GHz, so 62,500 is a millisecond).
pub fn start_timer(vector: u8, count: u32) {
    write(TIMER_DIVIDE, DIVIDE_BY_16);
    write(LVT_TIMER, TIMER_PERIODIC | u32::from(vector));
    write(TIMER_INITIAL, count);
}

fn send_ipi(apic_id: u32, command: u32) {
    write(ICR_HIGH, apic_id << 24);
    write(ICR_LOW, command);
    while read(ICR_LOW) & DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// Sends INIT to the CPU with `apic_id`: it resets and waits for a startup IPI.
pub fn send_init(apic_id: u32) {
    // Delivery mode INIT (0b101), level assert.
    send_ipi(apic_id, 0x0000_4500);
}

/// Sends a startup IPI: the CPU with `apic_id` starts in real mode at `page * 4096`.
pub fn send_startup(apic_id: u32, page: u8) {
    // Delivery mode start-up (0b110), level assert, the vector is the page number.
    send_ipi(apic_id, 0x0000_4600 | u32::from(page));
}

//! Each CPU's GDT and task state segment.
//!
//! Long mode barely uses segments, but it needs a TSS for one thing this kernel relies on:
//! the interrupt stack table. The host target's code uses the red zone (up to 128 bytes below
//! `rsp` that leaf functions use without moving `rsp`), and an interrupt taken on the current
//! stack would overwrite it. With an IST entry in every IDT gate, the CPU switches to a
//! separate stack on every interrupt and exception, and the interrupted stack is not touched.
//!
//! Each CPU gets its own GDT (same code and data selectors as the boot GDT, plus its TSS
//! descriptor), leaked from the heap, and its own IST stacks, from its node's frames
//! ([`crate::smp::stack`]): they live as long as the CPU.

use alloc::boxed::Box;
use core::arch::asm;

/// IST slot (1-based, as the IDT gate encodes it) for interrupts.
pub const IST_INTERRUPTS: u8 = 1;
/// IST slot for exceptions, so that a fault inside an interrupt handler still gets a clean
/// stack to report from.
pub const IST_EXCEPTIONS: u8 = 2;

/// Bytes of each IST stack.
pub const IST_STACK_SIZE: usize = 32 * 1024;
const KERNEL_CODE: u64 = 0x00af_9a00_0000_ffff;
const KERNEL_DATA: u64 = 0x00cf_9200_0000_ffff;
const TSS_SELECTOR: u16 = 3 << 3;

/// The 64-bit task state segment (Intel SDM vol. 3, §8.7).
#[repr(C, packed)]
struct TaskStateSegment {
    reserved0: u32,
    privilege_stacks: [u64; 3],
    reserved1: u64,
    interrupt_stacks: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    io_map_base: u16,
}

/// The operand of `lgdt`.
#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Loads a GDT with this CPU's own TSS, and the TSS, whose IST entries point at the two stack
/// tops given (owned by this CPU for good, 16-byte aligned). Call once per CPU, before
/// interrupts.
pub fn install(interrupt_stack_top: u64, exception_stack_top: u64) {
    let mut interrupt_stacks = [0u64; 7];
    interrupt_stacks[usize::from(IST_INTERRUPTS - 1)] = interrupt_stack_top;
    interrupt_stacks[usize::from(IST_EXCEPTIONS - 1)] = exception_stack_top;
    let tss: &'static TaskStateSegment = Box::leak(Box::new(TaskStateSegment {
        reserved0: 0,
        privilege_stacks: [0; 3],
        reserved1: 0,
        interrupt_stacks,
        reserved2: 0,
        reserved3: 0,
        io_map_base: size_of::<TaskStateSegment>() as u16, // no I/O permission bitmap
    }));
    let base = tss as *const TaskStateSegment as u64;
    let limit = size_of::<TaskStateSegment>() as u64 - 1;
    // A 16-byte system descriptor: type 9 (available 64-bit TSS), present.
    let tss_low = (limit & 0xFFFF)
        | (base & 0xFF_FFFF) << 16
        | 0x89 << 40
        | (limit >> 16 & 0xF) << 48
        | (base >> 24 & 0xFF) << 56;
    let tss_high = base >> 32;
    let gdt: &'static mut [u64; 5] =
        Box::leak(Box::new([0, KERNEL_CODE, KERNEL_DATA, tss_low, tss_high]));
    let pointer = DescriptorPointer {
        limit: (size_of::<[u64; 5]>() - 1) as u16,
        base: gdt.as_ptr() as u64,
    };
    // SAFETY:
    // 1. The GDT and TSS are leaked, so they outlive every use by this CPU.
    // 2. Selectors 0x08 and 0x10 describe the same segments as the boot GDT, so the loaded
    //    CS, SS and data segments stay valid without reloading them.
    // 3. `ltr` marks this CPU's own TSS descriptor busy; no other CPU uses this GDT.
    unsafe {
        asm!("lgdt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags));
        asm!("ltr {0:x}", in(reg) TSS_SELECTOR, options(nostack, preserves_flags));
    }
}

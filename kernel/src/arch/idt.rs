//! The interrupt descriptor table and the assembly entry stubs.
//!
//! Stable Rust has no `extern "x86-interrupt"`, so each vector enters a small stub written
//! here in assembly:
//!
//! * The 32 exception stubs push the vector (and a zero where the CPU pushes no error code),
//!   then call [`crate::interrupts::exception`] with a pointer to the frame. Exceptions are
//!   fatal in this kernel: the handler reports and ends the run.
//! * The timer stub saves every register the System V ABI lets a callee clobber, including
//!   the SSE state (`fxsave`: the compiler may use xmm registers anywhere), calls
//!   [`crate::interrupts::timer`], restores them and returns with `iretq`.
//!
//! Every gate is an interrupt gate (interrupts stay masked in the handler) with an IST stack
//! (see [`crate::arch::gdt`] for why).

use super::gdt::{IST_EXCEPTIONS, IST_INTERRUPTS};
use super::pic::LEGACY_BASE;
use alloc::boxed::Box;
use core::arch::{asm, global_asm};

/// The vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 0x40;
/// The vector of spurious local APIC interrupts.
pub const SPURIOUS_VECTOR: u8 = 0xFF;

/// What an exception stub leaves on the stack, lowest address first.
#[repr(C)]
#[derive(Debug)]
pub struct ExceptionFrame {
    /// The exception's vector.
    pub vector: u64,
    /// The CPU's error code, or 0.
    pub error: u64,
    /// Where the exception happened.
    pub rip: u64,
    /// The code segment there.
    pub cs: u64,
    /// The flags there.
    pub rflags: u64,
    /// The stack pointer there.
    pub rsp: u64,
    /// The stack segment there.
    pub ss: u64,
}

global_asm!(
    r#"
    .section .text
    .macro EXCEPTION_STUB vector, has_error
exception_stub_\vector:
    .if \has_error == 0
    push $0
    .endif
    push $\vector
    jmp exception_common
    .endm

    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    EXCEPTION_STUB \v, 0
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    EXCEPTION_STUB \v, 1
    .endr

exception_common:
    mov %rsp, %rdi
    and $-16, %rsp
    cld
    call {exception}
    ud2

    .global timer_stub
timer_stub:
    push %rbp
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    mov %rsp, %rbp
    and $-16, %rsp
    sub $512, %rsp
    fxsave (%rsp)
    cld
    call {timer}
    fxrstor (%rsp)
    mov %rbp, %rsp
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    pop %rbp
    iretq

    # A spurious interrupt needs no end-of-interrupt and no work.
    .global spurious_stub
spurious_stub:
    iretq

    .section .rodata
    .balign 8
    .global exception_stubs
exception_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exception_stub_\v
    .endr
"#,
    exception = sym crate::interrupts::exception,
    timer = sym crate::interrupts::timer,
    options(att_syntax)
);

extern "C" {
    /// The addresses of the 32 exception stubs, by vector.
    static exception_stubs: [u64; 32];
    fn timer_stub();
    fn spurious_stub();
}

/// One 16-byte gate: an interrupt gate to `handler` in the kernel code segment, on IST `ist`.
fn gate(handler: u64, ist: u8) -> [u64; 2] {
    let low = (handler & 0xFFFF)
        | 0x08 << 16 // kernel code selector
        | u64::from(ist) << 32
        | 0x8E << 40 // present, DPL 0, 64-bit interrupt gate
        | (handler >> 16 & 0xFFFF) << 48;
    [low, handler >> 32]
}

/// The table, built once by the boot CPU and loaded by every CPU.
static IDT: spin::Once<&'static [[u64; 2]; 256]> = spin::Once::new();

/// Loads the IDT on this CPU, building it on first use.
pub fn load() {
    let idt = IDT.call_once(|| {
        let mut idt = Box::new([[0u64; 2]; 256]);
        // SAFETY: `exception_stubs` is an initialised table of 32 addresses in .rodata,
        // written by the assembler and never modified.
        let exceptions = unsafe { exception_stubs };
        for (entry, handler) in idt.iter_mut().zip(exceptions) {
            *entry = gate(handler, IST_EXCEPTIONS);
        }
        idt[usize::from(TIMER_VECTOR)] = gate(timer_stub as *const () as u64, IST_INTERRUPTS);
        idt[usize::from(SPURIOUS_VECTOR)] = gate(spurious_stub as *const () as u64, IST_INTERRUPTS);
        // The masked legacy PICs can still raise a spurious IRQ 7 or 15.
        for vector in LEGACY_BASE..LEGACY_BASE + 16 {
            idt[usize::from(vector)] = gate(spurious_stub as *const () as u64, IST_INTERRUPTS);
        }
        Box::leak(idt)
    });
    #[repr(C, packed)]
    struct Pointer {
        limit: u16,
        base: u64,
    }
    let pointer = Pointer {
        limit: (size_of::<[[u64; 2]; 256]>() - 1) as u16,
        base: idt.as_ptr() as u64,
    };
    // SAFETY: the table is leaked and never changes after `call_once`; every present gate
    // points at a stub above, in the kernel code segment.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) };
}

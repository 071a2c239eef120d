//! The first instructions: the two boot headers, the 32-bit entry points, the page tables and
//! the switch to long mode, for the boot CPU and (through [`crate::smp`]'s trampoline) for
//! every other CPU.
//!
//! QEMU's `-kernel` loads this image in one of two ways, and both end in the same place:
//!
//! * **Multiboot v1.** QEMU's loader refuses 64-bit ELF files unless the Multiboot header
//!   carries the "a.out kludge" (flag 16): the load addresses are then taken from the header
//!   and the ELF headers are ignored. The loader enters `multiboot_entry` in 32-bit protected
//!   mode with `eax = 0x2BADB002` and `ebx` = the Multiboot information structure.
//! * **PVH.** An ELF note of type `XEN_ELFNOTE_PHYS32_ENTRY` names `pvh_entry`; QEMU loads the
//!   ELF segments and enters there, also in 32-bit protected mode, with `ebx` = the
//!   `hvm_start_info` structure. QEMU tries Multiboot first, so an image with both headers
//!   boots as Multiboot; `run.sh` blanks the Multiboot magic in a copy to boot it as PVH.
//!
//! The 32-bit code then:
//! 1. loads a GDT of its own and zeroes the bss (the page tables and the boot stack live there);
//! 2. identity-maps the first [`IDENTITY_MAP_GIB`] GiB with 2 MiB pages (RAM, the ACPI tables
//!    and the local APIC all sit in there on the machines `run.sh` boots);
//! 3. enables PAE, long mode and paging, and SSE: the host target's precompiled `core` uses
//!    SSE registers, and without `CR4.OSFXSR` the first such instruction faults (with
//!    `-no-reboot`, a triple fault makes QEMU exit silently with status 0);
//! 4. jumps to 64-bit code, which sets the stack and calls [`crate::boot_cpu_main`] with the
//!    protocol and the address of the loader's information structure.
//!
//! A real machine would map MMIO uncached; QEMU's TCG ignores memory types, so the identity
//! map uses one kind of page for everything.

use core::arch::global_asm;

/// Gibibytes of physical address space identity-mapped at boot. Frames above this limit are
/// left out of the frame pools.
pub const IDENTITY_MAP_GIB: u64 = 16;

/// Bytes of the boot CPU's stack (the other CPUs get theirs from their node's frames).
const BOOT_STACK_SIZE: usize = 64 * 1024;

/// [`crate::boot_cpu_main`]'s first argument when the kernel came in through Multiboot.
pub const ENTERED_BY_MULTIBOOT: u32 = 1;
/// [`crate::boot_cpu_main`]'s first argument when the kernel came in through PVH.
pub const ENTERED_BY_PVH: u32 = 2;

global_asm!(
    r#"
    .set MB_MAGIC, 0x1BADB002
    # bit 1: please pass a memory map; bit 16: the load addresses follow (the a.out kludge)
    .set MB_FLAGS, 0x00010002

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long (0 - MB_MAGIC - MB_FLAGS) & 0xffffffff
    .long multiboot_header        # header_addr: where this header is loaded
    .long __image_start           # load_addr: the file is copied from here...
    .long __load_end              # load_end_addr: ...to here
    .long __bss_end               # bss_end_addr: and zeroed up to here
    .long multiboot_entry         # entry_addr

    # The PVH entry point: a Xen ELF note, name "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
    # QEMU reads the descriptor as a 64-bit value, as for Linux's own 64-bit images.
    .section .note.pvh, "a"
    .balign 4
    .long 4                       # name size
    .long 8                       # descriptor size
    .long 18                      # type
    .asciz "Xen"
    .balign 4
    .quad pvh_entry

    # Flat segments: 0x08 is 64-bit code, 0x10 is data. The runtime GDT of each CPU
    # (arch::gdt) keeps the same two selectors and adds its task state segment.
    .section .rodata
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdtr:
    .word boot_gdtr - boot_gdt - 1
    .quad boot_gdt

    # Page tables and the boot stack. All zeroed by start32 before use.
    .section .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * {idmap_gib}
    .balign 16
boot_stack:
    .skip {boot_stack_size}
boot_stack_top:

    # Long mode, for the boot CPU and every application processor alike: the page tables are
    # already built. Uses eax, ecx and edx only.
    .macro ENTER_LONG_MODE
    mov %cr4, %eax
    or $0x620, %eax               # PAE (bit 5), OSFXSR (9), OSXMMEXCPT (10)
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx         # IA32_EFER
    rdmsr
    or $0x100, %eax               # LME (bit 8)
    wrmsr
    mov %cr0, %eax
    and $0xFFFFFFFB, %eax         # clear EM (bit 2): SSE instructions execute
    or $0x80000003, %eax          # PG (31), MP (1), PE (0)
    mov %eax, %cr0
    lgdt boot_gdtr
    .endm

    .section .boot.text, "ax"
    .code32
    .global multiboot_entry
multiboot_entry:
    mov ${multiboot}, %esi
    mov %ebx, %ebp
    jmp start32

    .global pvh_entry
pvh_entry:
    mov ${pvh}, %esi
    mov %ebx, %ebp
    jmp start32

# esi = how we were entered, ebp = the loader's information structure; both survive to Rust.
start32:
    cli
    cld
    lgdt boot_gdtr
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss

    # Zero the bss: page tables, boot stack, and every zero-initialised Rust static.
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    # PML4[0] -> PDPT; PDPT[i] -> PD i; PD entries map 2 MiB each (present, writable, huge).
    mov $boot_pdpt, %eax
    or $3, %eax
    mov %eax, boot_pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $boot_pd, %eax
    or $3, %eax
    mov %eax, boot_pdpt(,%ecx,8)
    inc %ecx
    cmp ${idmap_gib}, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, boot_pd(,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax                 # bits 32 and up of the physical address
    mov %eax, boot_pd+4(,%ecx,8)
    inc %ecx
    cmp ${idmap_gib} * 512, %ecx
    jb 2b

    ENTER_LONG_MODE
    ljmp $0x08, $start64

# An application processor, coming from the trampoline in 32-bit protected mode.
    .global ap_entry32
ap_entry32:
    ENTER_LONG_MODE
    ljmp $0x08, $ap_start64

    .code64
start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $boot_stack_top, %rsp
    mov %esi, %edi                # first argument: ENTERED_BY_*
    mov %ebp, %esi                # second argument: the information structure
    xor %ebp, %ebp
    call {boot_cpu_main}
3:  cli
    hlt
    jmp 3b

ap_start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov {ap_stack}(%rip), %rsp    # set by the boot CPU before it sent the startup IPI
    mov {ap_cpu}(%rip), %rdi      # first argument: this CPU's logical number
    xor %ebp, %ebp
    call {ap_main}
4:  cli
    hlt
    jmp 4b
"#,
    idmap_gib = const IDENTITY_MAP_GIB,
    boot_stack_size = const BOOT_STACK_SIZE,
    multiboot = const ENTERED_BY_MULTIBOOT,
    pvh = const ENTERED_BY_PVH,
    boot_cpu_main = sym crate::boot_cpu_main,
    ap_main = sym crate::smp::ap_main,
    ap_stack = sym crate::smp::AP_STACK_TOP,
    ap_cpu = sym crate::smp::AP_CPU,
    options(att_syntax)
);

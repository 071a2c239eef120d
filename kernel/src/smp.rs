//! Starting the other CPUs ("application processors", APs).
//!
//! An AP wakes up in 16-bit real mode at a page below 1 MiB that the boot CPU names in the
//! startup IPI. The trampoline below is assembled into the kernel image, copied to
//! [`TRAMPOLINE_ADDR`] (startup vector 0x08), and brings the AP to 32-bit protected mode;
//! from there the AP joins the boot CPU's path (`ap_entry32` in [`crate::arch::boot`]):
//! the same page tables, long mode, SSE. Its 64-bit code loads the stack and the logical CPU
//! number that the boot CPU left in [`AP_STACK_TOP`] and [`AP_CPU`] and calls [`ap_main`].
//!
//! The boot CPU starts the APs one at a time (INIT, 10 ms, startup IPI, 200 µs, a second
//! startup IPI if needed) and waits for each to come online, so the two hand-over variables
//! serve every AP in turn.

use crate::arch::{apic, cpu, gdt, idt, pit};
use crate::frames::Zone;
use crate::layout::Layout;
use crate::phys::PhysRange;
use crate::{percpu, println, scenario};
use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, Ordering};

/// Where the trampoline runs: the startup IPI's vector is this page number.
pub const TRAMPOLINE_ADDR: u64 = 0x8000;
const TRAMPOLINE_PAGE: u8 = (TRAMPOLINE_ADDR >> 12) as u8;

/// Bytes of each AP's stack.
const AP_STACK_SIZE: usize = 64 * 1024;

/// The stack top of the AP being started (read by `ap_start64`).
pub static AP_STACK_TOP: AtomicU64 = AtomicU64::new(0);
/// The logical number of the AP being started (read by `ap_start64`).
pub static AP_CPU: AtomicU64 = AtomicU64::new(0);

global_asm!(
    r#"
    # Copied to TRAMPOLINE before use: every address in it is computed relative to its start.
    .section .rodata
    .set TRAMPOLINE, {trampoline}
    .global ap_trampoline_start
    .global ap_trampoline_end
    .code16
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMPOLINE + (trampoline_gdtr - ap_trampoline_start)
    mov %cr0, %eax
    or $1, %eax                   # protected mode, paging still off
    mov %eax, %cr0
    ljmpl $0x08, $(TRAMPOLINE + (trampoline_32 - ap_trampoline_start))
    .code32
trampoline_32:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov $ap_entry32, %eax         # in the kernel image, at its linked address
    jmp *%eax
    .balign 8
trampoline_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff      # 0x08: 32-bit flat code
    .quad 0x00cf92000000ffff      # 0x10: flat data
trampoline_gdtr:
    .word trampoline_gdtr - trampoline_gdt - 1
    .long TRAMPOLINE + (trampoline_gdt - ap_trampoline_start)
ap_trampoline_end:
    .code64
"#,
    trampoline = const TRAMPOLINE_ADDR,
    options(att_syntax)
);

extern "C" {
    static ap_trampoline_start: [u8; 0];
    static ap_trampoline_end: [u8; 0];
}

/// The page the trampoline occupies: kept out of the frame pools.
pub fn trampoline_range() -> PhysRange {
    PhysRange::sized(TRAMPOLINE_ADDR, 4096)
}

fn install_trampoline() {
    let start = (&raw const ap_trampoline_start) as *const u8;
    let end = (&raw const ap_trampoline_end) as *const u8;
    let len = end as usize - start as usize;
    assert!(len <= 4096, "the trampoline must fit its page");
    // SAFETY:
    // 1. The source is the trampoline's bytes in the kernel's .rodata, `len` long.
    // 2. The destination page is below 1 MiB: usable RAM on every PC, never in the heap or the
    //    frame pools, and the loader's structures there were copied out before (boot_info).
    // 3. No AP runs yet, so nothing executes the page while it is written.
    unsafe { core::ptr::copy_nonoverlapping(start, TRAMPOLINE_ADDR as *mut u8, len) };
}

/// Starts every AP of `layout`; returns how many came online.
pub fn start_aps(layout: &Layout) -> usize {
    install_trampoline();
    let mut started = 0;
    for (index, slot) in layout.cpus.iter().enumerate().skip(1) {
        let Some(cpu) = percpu::get(index) else { break };
        AP_STACK_TOP.store(stack(slot.node, AP_STACK_SIZE), Ordering::Release);
        AP_CPU.store(index as u64, Ordering::Release);
        apic::send_init(slot.apic_id);
        pit::wait_us(10_000);
        apic::send_startup(slot.apic_id, TRAMPOLINE_PAGE);
        pit::wait_us(200);
        if !wait_online(cpu, 10) {
            apic::send_startup(slot.apic_id, TRAMPOLINE_PAGE);
        }
        // TCG runs each virtual CPU on a host thread that may wait for a host core.
        if wait_online(cpu, 5_000) {
            started += 1;
        } else {
            println!(
                "smp: cpu {index} (APIC id {}) did not come online",
                slot.apic_id
            );
        }
    }
    started
}

/// Waits up to `millis` ms for `cpu` to come online.
fn wait_online(cpu: &percpu::Cpu, millis: u32) -> bool {
    for _ in 0..millis {
        if cpu.online.load(Ordering::Acquire) {
            return true;
        }
        pit::wait_us(1_000);
    }
    cpu.online.load(Ordering::Acquire)
}

/// Returns the top of a new stack of `size` bytes (a power of two, at least a frame) for a
/// CPU on `node`: frames from that node's pool if it has memory, else from any node's, kept
/// in use for good. Linux also puts each CPU's stacks on its own node.
pub fn stack(node: u32, size: usize) -> u64 {
    let pools = &crate::kernel().pools;
    let order = (size / 4096).max(1).ilog2();
    let nodes = core::iter::once(node).chain(0..pools.nodes());
    let block = nodes
        .flat_map(|n| [Zone::Normal, Zone::Dma32].map(|z| (n, z)))
        .find_map(|(n, z)| pools.alloc(n, z, order));
    match block {
        Some(block) => block.leak().end,
        None => panic!("no memory left for a {size}-byte stack"),
    }
}

/// Brings this CPU into the kernel: per-CPU area, GDT and TSS, IDT, local APIC and timer.
/// The boot CPU and every AP run it, once the kernel state (and its frame pools) exists.
pub fn cpu_init(index: usize, node: u32) {
    percpu::install(index);
    gdt::install(
        stack(node, gdt::IST_STACK_SIZE),
        stack(node, gdt::IST_STACK_SIZE),
    );
    idt::load();
    apic::enable(idt::SPURIOUS_VECTOR);
    let cpu = percpu::current();
    cpu.apic_id.store(apic::id(), Ordering::Relaxed);
    cpu.node.store(node, Ordering::Relaxed);
    apic::start_timer(idt::TIMER_VECTOR, crate::TIMER_COUNT);
}

/// Where an AP enters Rust (from `ap_start64`), on its own stack, in long mode with SSE.
pub extern "C" fn ap_main(index: usize) -> ! {
    let node = crate::kernel().layout.cpus.get(index).map_or(0, |c| c.node);
    cpu_init(index, node);
    let cpu = percpu::current();
    cpu.online.store(true, Ordering::Release);
    cpu::enable_interrupts();
    scenario::run_on_ap(crate::kernel(), cpu)
}

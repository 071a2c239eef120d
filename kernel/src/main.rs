//! A small x86-64 kernel that boots under QEMU on NUMA machines and runs `mempolicy` on every
//! CPU: the crate's flagship example and its hardest test.
//!
//! # Reading order
//! The files follow the boot, and each starts with what it does and why:
//!
//! 1. [`arch::boot`]: the Multiboot and PVH headers, the 32-bit entry, page tables, long
//!    mode and SSE, then [`boot_cpu_main`] below.
//! 2. [`serial`] (the console), [`qemu`] (leaving QEMU with a status), [`boot_info`] (the
//!    memory map from either boot protocol), [`phys`] (reading physical memory safely).
//! 3. [`heap`]: `alloc`, on a range of RAM the memory map says is free.
//! 4. [`acpi`]: the RSDP and every table as a checksummed byte slice; [`layout`]: which CPUs
//!    to start and which node owns which memory.
//! 5. [`frames`]: per-node, per-zone pools of physical page frames.
//! 6. [`percpu`], [`arch::gdt`], [`arch::idt`], [`interrupts`], [`arch::apic`]: per-CPU state,
//!    interrupt stacks, the local APIC timer.
//! 7. [`smp`]: waking the other CPUs through a real-mode trampoline.
//! 8. [`selftest`] and [`scenario`]: what the kernel checks, on every CPU.
//!
//! # Where the crate plugs in
//! Grep for `INTEGRATION(`: `INTEGRATION(firmware)` marks where the crate's ACPI parser
//! replaces the kernel's stand-in ([`acpi::interim`], [`layout::from_interim`]), and
//! `INTEGRATION(machine)` where the kernel-facing layer goes: the machine object in
//! [`Kernel`], the per-CPU handle in [`scenario::CpuState`], and the scenario's allocations,
//! publishing and interrupt-time allocation.
//!
//! # Output
//! One line per fact or check on COM1, then `N passed, M failed` alone on a line; QEMU's exit
//! status says pass (33) or fail (35) through `isa-debug-exit`. `run.sh` boots it.
//!
//! # Unsafe
//! Confined to what cannot be done otherwise, each block with its argument: the boot
//! assembly, port I/O and MSRs ([`arch::cpu`]), MMIO ([`arch::apic`]), descriptor tables,
//! the GS-relative load of [`percpu`], reading firmware memory ([`phys::bytes`]), the heap
//! range, writing the trampoline, and the bytes of a frame its owner holds
//! ([`frames::FrameBlock::bytes_mut`]).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    missing_debug_implementations,
    missing_docs
)]

extern crate alloc;

mod acpi;
mod arch;
mod boot_info;
mod checks;
mod frames;
mod heap;
mod interrupts;
mod layout;
mod mem;
mod percpu;
mod phys;
mod qemu;
mod scenario;
mod selftest;
mod serial;
mod smp;
mod sync;

use acpi::AcpiTables;
use alloc::vec::Vec;
use arch::{apic, cpu};
use boot_info::BootInfo;
use core::panic::PanicInfo;
use core::sync::atomic::Ordering;
use frames::{FramePools, Zone};
use layout::Layout;
use phys::PhysRange;

/// The local APIC timer's period, in bus-clock ticks divided by 16 (1.6 ms on QEMU).
pub const TIMER_COUNT: u32 = 100_000;

/// Everything the boot CPU found, shared read-only by every CPU once built.
// INTEGRATION(machine): the crate's `Machine` (topology from the firmware tables, the
// weight table, the frame source over `pools`) lives here too.
#[derive(Debug)]
pub struct Kernel {
    /// What the loader passed.
    pub boot: BootInfo,
    /// The firmware's ACPI tables, if found.
    pub acpi: Option<AcpiTables>,
    /// CPUs and node memory.
    pub layout: Layout,
    /// The physical frame pools.
    pub pools: FramePools,
}

impl Kernel {
    /// Whether `range` lies inside one memory range the firmware gives to `node`.
    pub fn in_node(&self, node: u32, range: PhysRange) -> bool {
        self.layout
            .memory
            .iter()
            .any(|&(n, r)| n == node && r.covers(&range))
    }
}

static KERNEL: spin::Once<Kernel> = spin::Once::new();

/// The kernel's shared state.
///
/// # Panics
/// Before the boot CPU has built it (the other CPUs start after that).
pub fn kernel() -> &'static Kernel {
    KERNEL
        .get()
        .expect("kernel state used before the boot CPU built it")
}

/// The kernel's shared state, if built yet (for interrupt handlers).
pub fn try_kernel() -> Option<&'static Kernel> {
    KERNEL.get()
}

extern "C" {
    static __image_start: u8;
    static __image_end: u8;
}

/// Where the boot CPU enters Rust (from `start64`), in long mode with SSE, on the boot stack.
pub extern "C" fn boot_cpu_main(entered_by: u32, info_addr: u32) -> ! {
    serial::init();
    println!("mempolicy kernel");
    let boot = match boot_info::parse(entered_by, info_addr) {
        Ok(boot) => boot,
        Err(err) => {
            println!("boot: cannot read the loader's information: {err:?}");
            qemu::exit(false)
        }
    };
    println!("boot: protocol={}", boot.protocol);
    for region in &boot.memory {
        println!("boot: memory {} {:?}", region.range, region.kind);
    }

    // The heap, on RAM past the kernel image.
    let image = PhysRange::new(
        &raw const __image_start as u64,
        &raw const __image_end as u64,
    );
    let Some(heap_range) = heap::choose(boot.usable(), image.end) else {
        println!("boot: no room for a {} MiB heap", heap::HEAP_SIZE >> 20);
        qemu::exit(false)
    };
    // SAFETY: `choose` returned usable RAM past the kernel image, below 4 GiB (so identity-
    // mapped); it goes into `reserved` below, so the frame pools never hand it out.
    unsafe { heap::init(heap_range) };
    println!("boot: kernel image {image}, heap {heap_range}");
    selftest::heap();

    // The firmware tables and the machine's shape.
    let acpi = acpi::find_rsdp(&boot).and_then(|rsdp| match acpi::load(rsdp) {
        Ok(tables) => Some(tables),
        Err(err) => {
            println!("acpi: {err:?}");
            None
        }
    });
    for table in acpi.iter().flat_map(|t| &t.tables) {
        println!("table={} len={}", table.name(), table.bytes.len());
    }
    let layout = layout::from_interim(acpi.as_ref(), apic::id());
    percpu::set_count(layout.cpus.len());
    println!("layout: {} nodes, {} cpus", layout.nodes, layout.cpus.len());
    for (index, slot) in layout.cpus.iter().enumerate() {
        println!(
            "layout: cpu {index} apic_id={} node={}",
            slot.apic_id, slot.node
        );
    }
    for (node, range) in &layout.memory {
        println!("layout: node {node} memory {range}");
    }
    println!(
        "layout: nodes with memory {}, with cpus {}",
        layout.nodes_with_memory(),
        layout.nodes_with_cpus()
    );
    // INTEGRATION(firmware): parse the SRAT, SLIT, HMAT and MADT slices with the crate, build
    // the layout from the result, and print the machine view in the conformance oracle's
    // header formats (`# nodeN cpus=… distance=…`, `# nodeN fallback=…`, `# wi_auto=…`,
    // `# nodeN accessK …`) here, before any check.

    // Frame pools: usable RAM minus what the kernel already uses, split by node and zone.
    let mut reserved: Vec<PhysRange> = Vec::from([image, smp::trampoline_range(), heap_range]);
    reserved.extend(acpi.iter().flat_map(AcpiTables::ranges));
    let usable: Vec<PhysRange> = boot.usable().collect();
    let pools = FramePools::build(&usable, &reserved, &layout.memory, layout.nodes);
    for node in 0..pools.nodes() {
        for zone in Zone::ALL {
            let stats = pools.stats(node, zone);
            if stats.total > 0 {
                println!(
                    "frames: node {node} {zone}: {} frames ({} MiB)",
                    stats.total,
                    stats.total >> 8
                );
            }
        }
    }

    let kernel = KERNEL.call_once(|| Kernel {
        boot,
        acpi,
        layout,
        pools,
    });
    selftest::acpi(kernel);
    selftest::frame_pools(kernel);

    // This CPU, then the others.
    arch::pic::disable();
    smp::cpu_init(0, kernel.layout.cpus[0].node);
    percpu::current().online.store(true, Ordering::Release);
    cpu::enable_interrupts();
    let started = smp::start_aps(&kernel.layout);
    println!("smp: {} cpus online", 1 + started);
    selftest::cpus(kernel);
    selftest::timers();

    scenario::run_on_boot_cpu(kernel);

    let (passed, failed) = checks::totals();
    println!("{passed} passed, {failed} failed");
    qemu::exit(failed == 0 && passed > 0)
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    serial::emergency_line(format_args!(
        "panic on cpu {:?}: {info}",
        percpu::current_index()
    ));
    qemu::exit(false)
}

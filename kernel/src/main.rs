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
//! 4. [`acpi`]: the RSDP and every table as a checksummed byte slice; [`layout`]: the crate's
//!    firmware parser turns the SRAT, SLIT, HMAT and MADT into Linux's view of the machine.
//! 5. [`embed`]: **how the crate is embedded**: the machine in a `static`, the per-CPU
//!    handles, the frame source, the interrupt-time allocation and the quiescent states;
//!    [`view`]: the machine as derived, printed in the formats Linux's recordings use.
//! 6. [`frames`]: per-node, per-zone pools of physical page frames.
//! 7. [`percpu`], [`arch::gdt`], [`arch::idt`], [`interrupts`], [`arch::apic`]: per-CPU state,
//!    interrupt stacks, the local APIC timer.
//! 8. [`smp`]: waking the other CPUs through a real-mode trampoline.
//! 9. [`selftest`] and [`scenario`]: what the kernel checks, on every CPU.

//! # Where the crate plugs in
//! Four places, in boot order: [`layout::from_firmware`] (the firmware parser),
//! [`embed::build_machine`] (the machine, from the parsed layout), [`embed::bring_up`] on
//! each CPU (its handles), and the allocation paths of [`scenario`] and [`interrupts`]
//! (through [`embed::with_cpu`] and [`embed::alloc_in_interrupt`]). The system calls
//! (`set_mempolicy`, `mbind`, a cpuset change) are in [`scenario`]'s processes.
//!
//! # Output
//! The boot facts, the machine view (`# …` lines, as Linux's recordings print them), then one
//! line per check on COM1, then `N passed, M failed` alone on a line; QEMU's exit status says
//! pass (33) or fail (35) through `isa-debug-exit`. `run.sh` boots it.
//!
//! # Unsafe
//! Confined to what cannot be done otherwise, each block with its argument: the boot
//! assembly, port I/O and MSRs ([`arch::cpu`]), MMIO ([`arch::apic`]), descriptor tables,
//! the GS-relative load of [`percpu`], reading firmware memory ([`phys::bytes`]), the heap
//! range, writing the trampoline, and the bytes of a frame its owner holds
//! ([`frames::FrameBlock::bytes_mut`]). Everything around the crate ([`embed`], [`layout`],
//! [`view`], [`scenario`]) is `#![forbid(unsafe_code)]`.
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
mod embed;
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
mod view;

use acpi::AcpiTables;
use alloc::vec::Vec;
use arch::{apic, cpu};
use boot_info::BootInfo;
use core::panic::PanicInfo;
use core::sync::atomic::Ordering;
use frames::{FramePools, Zone};
use layout::Layout;
use mempolicy::NodeId;
use phys::PhysRange;

/// The local APIC timer's period, in bus-clock ticks divided by 16 (1.6 ms on QEMU).
pub const TIMER_COUNT: u32 = 100_000;

/// Everything the boot CPU found, shared read-only by every CPU once built. (The crate's
/// machine, built from the same layout, is in [`embed::MACHINE`].)
#[derive(Debug)]
pub struct Kernel {
    /// What the loader passed.
    pub boot: BootInfo,
    /// The firmware's ACPI tables, if found.
    pub acpi: Option<AcpiTables>,
    /// The machine's NUMA shape, read from the firmware tables by the crate.
    pub layout: Layout,
    /// The physical frame pools.
    pub pools: FramePools,
}

impl Kernel {
    /// Whether `range` lies inside one memory range the firmware gives to `node`.
    pub fn in_node(&self, node: u32, range: PhysRange) -> bool {
        NodeId::try_new(u64::from(node)).is_ok_and(|node| self.layout.in_node(node, range))
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
    let usable: Vec<PhysRange> = boot.usable().collect();
    let layout = layout::from_firmware(acpi.as_ref(), apic::id(), &usable);
    percpu::set_count(layout.cpus.len());
    println!(
        "layout: {} nodes, {} cpus, from {:?}",
        layout.nodes,
        layout.cpus.len(),
        layout.numa.source()
    );
    for (index, slot) in layout.cpus.iter().enumerate() {
        println!(
            "layout: cpu {index} apic_id={} node={}",
            slot.apic_id, slot.node
        );
    }
    for (node, range) in &layout.firmware_ranges {
        println!("layout: node {node} firmware range {range}");
    }
    for (node, range) in &layout.memory {
        println!("layout: node {node} memory {range}");
    }
    println!(
        "layout: SLIT {:?}, HMAT {:?}",
        layout.numa.slit_use(),
        layout.numa.hmat_use()
    );

    // The crate's machine, and the machine view in the formats of Linux's recordings.
    let machine = match embed::build_machine(&layout) {
        Ok(machine) => machine,
        Err(err) => {
            println!("machine: {err}");
            qemu::exit(false)
        }
    };
    view::print(&layout, machine);

    // Frame pools: usable RAM minus what the kernel already uses, split by node and zone.
    let mut reserved: Vec<PhysRange> = Vec::from([image, smp::trampoline_range(), heap_range]);
    reserved.extend(acpi.iter().flat_map(AcpiTables::ranges));
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

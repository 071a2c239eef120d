//! The kernel's checks of itself, before the scenario: the heap, the ACPI tables, the frame
//! pools, and every CPU (online, its APIC id, its timer).

use crate::arch::pit;
use crate::frames::{FrameBlock, Zone};
use crate::{check, heap, percpu, Kernel};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// The heap serves, grows and frees allocations.
pub fn heap() {
    let before = heap::used();
    let mut numbers: Vec<u64> = (0..10_000).collect();
    numbers.retain(|n| n % 3 == 0);
    let boxed = Box::new([7u8; 3000]);
    let sum: u64 = numbers.iter().sum();
    let ok =
        sum == (0..10_000u64).filter(|n| n % 3 == 0).sum::<u64>() && boxed.iter().all(|&b| b == 7);
    drop((numbers, boxed));
    check!(
        ok && heap::used() == before,
        "heap: vectors and boxes allocate, hold their values and are freed"
    );
}

/// The firmware published readable tables, with the ones NUMA needs.
pub fn acpi(kernel: &Kernel) {
    let Some(tables) = &kernel.acpi else {
        check!(false, "acpi: RSDP found");
        return;
    };
    check!(
        true,
        "acpi: RSDP found at {:#x} (revision {})",
        tables.rsdp_addr,
        tables.revision
    );
    check!(
        tables.root.checksum_ok,
        "acpi: {} checksum",
        tables.root.name()
    );
    for table in &tables.tables {
        check!(
            table.checksum_ok,
            "acpi: {} checksum ({} bytes)",
            table.name(),
            table.bytes.len()
        );
    }
    check!(tables.find(b"APIC").is_some(), "acpi: MADT present");
}

/// Every non-empty pool hands out aligned blocks inside its node's ranges and its zone,
/// whose memory can be written and read back, and takes them back.
pub fn frame_pools(kernel: &Kernel) {
    let pools = &kernel.pools;
    for node in 0..pools.nodes() {
        for zone in Zone::ALL {
            let before = pools.stats(node, zone);
            if before.total == 0 {
                continue;
            }
            let ranges = pools.ranges(node, zone);
            let mut held: Vec<FrameBlock> = Vec::new();
            let mut ok = true;
            for order in [0, 2, 9] {
                let Some(mut block) = pools.alloc(node, zone, order) else {
                    ok &= order == 9; // a small pool may have no 2 MiB block
                    continue;
                };
                let range = block.range();
                ok &= range.start % range.len() == 0
                    && ranges.iter().any(|r| r.covers(&range))
                    && zone.range().covers(&range)
                    && kernel.in_node(node, range);
                let len = block.bytes_mut().len();
                for (i, byte) in block.bytes_mut().iter_mut().enumerate() {
                    *byte = (i % 251) as u8;
                }
                ok &= block
                    .bytes_mut()
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == (i % 251) as u8)
                    && len == range.len() as usize;
                held.push(block);
            }
            let taken = held.len();
            for block in held {
                pools.free(block);
            }
            ok &= pools.stats(node, zone) == before;
            check!(ok, "frames: node {node} {zone}: {} of {} frames free; {taken} blocks of order 0/2/9 aligned, in range, written, read back and returned", before.free, before.total);
        }
    }
    // Drain one small pool completely: every frame comes out once, and all go back.
    if let Some(node) = (0..pools.nodes()).find(|&n| pools.stats(n, Zone::Dma).free > 0) {
        let before = pools.stats(node, Zone::Dma);
        let mut all: Vec<FrameBlock> = Vec::new();
        while let Some(mut block) = pools.alloc(node, Zone::Dma, 0) {
            let addr = block.addr();
            block.bytes_mut()[..8].copy_from_slice(&addr.to_le_bytes());
            all.push(block);
        }
        let count = all.len() as u64;
        let intact = all.iter_mut().all(|b| {
            let addr = b.addr();
            b.bytes_mut()[..8] == addr.to_le_bytes()
        });
        for block in all {
            pools.free(block);
        }
        check!(
            count == before.free && intact && pools.stats(node, Zone::Dma) == before,
            "frames: node {node} DMA drained: {count} of {} frames, each distinct, all returned",
            before.free
        );
    }
}

/// Every CPU of the layout is online and reports the APIC id the MADT gave it.
pub fn cpus(kernel: &Kernel) {
    for (index, slot) in kernel.layout.cpus.iter().enumerate() {
        let Some(cpu) = percpu::get(index) else {
            continue;
        };
        let online = cpu.online.load(Ordering::Acquire);
        let apic_id = cpu.apic_id.load(Ordering::Relaxed);
        check!(
            online && apic_id == slot.apic_id,
            "cpu {index}: online, APIC id {apic_id} (MADT: {}), node {}",
            slot.apic_id,
            slot.node
        );
    }
}

/// Every online CPU takes timer interrupts.
pub fn timers() {
    const WANTED: u64 = 3;
    let cpus = percpu::all();
    for _ in 0..2_000 {
        if cpus
            .iter()
            .filter(|c| c.online.load(Ordering::Acquire))
            .all(|c| c.ticks.load(Ordering::Relaxed) >= WANTED)
        {
            break;
        }
        pit::wait_us(1_000);
    }
    for cpu in cpus.iter().filter(|c| c.online.load(Ordering::Acquire)) {
        let ticks = cpu.ticks.load(Ordering::Relaxed);
        check!(
            ticks >= WANTED,
            "cpu {}: {ticks} timer interrupts",
            cpu.index()
        );
    }
}

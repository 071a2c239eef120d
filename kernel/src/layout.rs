//! The machine's shape, read from firmware by the crate: which CPUs to start and in which
//! order, which node each CPU and each range of memory belongs to, the distances and the
//! HMAT performance.
//!
//! # How
//! The kernel found the ACPI tables ([`crate::acpi`]) and hands their bytes, with the boot
//! CPU's APIC id and the usable RAM of the boot memory map, to
//! [`mempolicy::firmware::NumaLayout::from_acpi`]. That runs Linux's boot-time logic over
//! them (Linux: `acpi_numa_init`, `numa_init`, `topology_register_apic`, `hmat_init`):
//!
//! * proximity domains become node numbers in the order Linux meets them;
//! * the MADT's enabled processors become logical CPUs, the boot CPU first;
//! * each node's memory is the usable RAM inside its SRAT ranges;
//! * the SLIT gives the distances, if Linux would accept it;
//! * the HMAT gives each memory node's best initiators and performance.
//!
//! The kernel keeps the result ([`Layout::numa`]) and derives the few things booting needs
//! from it: the CPUs to start ([`Layout::cpus`]) and each node's memory for the frame pools
//! ([`Layout::memory`]). The crate's [`Topology`](mempolicy::topology::Topology), built from
//! the same layout in [`crate::embed`], takes over everything else NUMA.
//!
//! # When the tables are bad
//! Firmware tables are input: a malformed SRAT or MADT is an error from the parser, never a
//! panic. Linux then boots with one node (`dummy_numa_init`), and so does this kernel
//! ([`NumaLayout::single_node`]); without any usable table, with the boot CPU alone.

#![forbid(unsafe_code)]

use crate::acpi::AcpiTables;
use crate::percpu::MAX_CPUS;
use crate::phys::PhysRange;
use crate::println;
use alloc::vec::Vec;
use mempolicy::firmware::{self, NumaLayout, NumaSource};
use mempolicy::{NodeId, NodeMask};

/// A CPU the kernel will run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuSlot {
    /// Its local APIC id.
    pub apic_id: u32,
    /// Its node.
    pub node: u32,
}

/// What the kernel knows about the machine's NUMA shape.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The crate's reading of the firmware tables: Linux's view of the machine.
    pub numa: NumaLayout,
    /// The CPUs to run, indexed by logical CPU number (the present CPUs of [`Layout::numa`]:
    /// the boot CPU first, then the MADT's enabled processors in table order).
    pub cpus: Vec<CpuSlot>,
    /// `(node, range)` of the RAM each node owns (usable RAM inside its SRAT ranges).
    pub memory: Vec<(u32, PhysRange)>,
    /// `(node, range)` of each enabled SRAT memory entry (all of memory on node 0 when the
    /// layout is not from the SRAT): what the checks compare frame addresses with.
    pub firmware_ranges: Vec<(u32, PhysRange)>,
    /// One more than the highest possible node (Linux: `nr_node_ids`).
    pub nodes: u32,
}

impl Layout {
    /// The nodes that own memory (Linux: `N_MEMORY`).
    pub fn nodes_with_memory(&self) -> NodeMask {
        *self.numa.memory_nodes()
    }

    /// The nodes that have a CPU the kernel runs (Linux: `N_CPU`).
    pub fn nodes_with_cpus(&self) -> NodeMask {
        *self.numa.cpu_nodes()
    }

    /// Whether every address of `range` lies in one firmware memory range of `node`.
    pub fn in_node(&self, node: NodeId, range: PhysRange) -> bool {
        self.firmware_ranges
            .iter()
            .any(|&(n, r)| n == node.as_u32() && r.covers(&range))
    }

    /// The distance from `from` to `to` (Linux: `node_distance`).
    pub fn distance(&self, from: NodeId, to: NodeId) -> u8 {
        self.numa.distance(from, to)
    }
}

/// Reads the machine from the firmware tables; `boot_apic_id` is the boot CPU's and `usable`
/// the usable RAM of the boot memory map.
pub fn from_firmware(
    tables: Option<&AcpiTables>,
    boot_apic_id: u32,
    usable: &[PhysRange],
) -> Layout {
    let ram: Vec<firmware::PhysRange> = usable
        .iter()
        .map(|r| firmware::PhysRange {
            start: r.start,
            end: r.end,
        })
        .collect();
    let find = |signature: &[u8; 4]| tables.and_then(|t| t.find(signature));
    let mut inputs = firmware::AcpiTables::new()
        .boot_apic_id(boot_apic_id)
        .usable_ram(&ram);
    if let Some(bytes) = find(b"SRAT") {
        inputs = inputs.srat(bytes);
    }
    if let Some(bytes) = find(b"SLIT") {
        inputs = inputs.slit(bytes);
    }
    if let Some(bytes) = find(b"HMAT") {
        inputs = inputs.hmat(bytes);
    }
    if let Some(bytes) = find(b"APIC") {
        inputs = inputs.madt(bytes);
    }
    let numa = NumaLayout::from_acpi(&inputs)
        .or_else(|err| {
            println!("firmware: {err}: one node, as Linux");
            NumaLayout::single_node(&inputs)
        })
        .unwrap_or_else(|err| {
            println!("firmware: {err}: one node, the boot CPU alone");
            let alone = firmware::AcpiTables::new()
                .boot_apic_id(boot_apic_id)
                .usable_ram(&ram);
            NumaLayout::from_acpi(&alone).expect("a layout without tables is always one node")
        });
    from_numa(numa)
}

/// Derives what booting needs from the crate's layout.
fn from_numa(numa: NumaLayout) -> Layout {
    let mut cpus = Vec::new();
    for cpu in numa.cpus().iter().filter(|c| c.present) {
        if cpus.len() == MAX_CPUS {
            println!(
                "layout: more than {MAX_CPUS} CPUs, ignoring APIC id {}",
                cpu.apic_id
            );
            continue;
        }
        cpus.push(CpuSlot {
            apic_id: cpu.apic_id,
            node: cpu.node.as_u32(),
        });
    }
    let range = |start: u64, end: u64| PhysRange::new(start, end);
    let memory = numa
        .memory()
        .iter()
        .map(|m| (m.node.as_u32(), range(m.range.start, m.range.end)))
        .collect();
    let firmware_ranges = if numa.source() == NumaSource::Srat {
        numa.srat_memory()
            .iter()
            .map(|m| (m.node.as_u32(), range(m.start, m.last.saturating_add(1))))
            .collect()
    } else {
        Vec::from([(0, range(0, u64::MAX))])
    };
    let nodes = numa.nr_node_ids() as u32;
    Layout {
        numa,
        cpus,
        memory,
        firmware_ranges,
        nodes,
    }
}

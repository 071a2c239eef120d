//! The machine's shape as booting needs it: which CPUs to start, in logical-CPU order, and
//! which node each CPU and each range of memory belongs to.
//!
//! INTEGRATION(firmware): built today by [`from_interim`] from the kernel's own minimal MADT
//! and SRAT walk; with `mempolicy::firmware` it is built from the crate's parsed tables
//! instead (same fields), and the crate's topology takes over everything NUMA beyond this.

use crate::acpi::{interim, AcpiTables};
use crate::percpu::MAX_CPUS;
use crate::phys::PhysRange;
use crate::println;
use alloc::vec;
use alloc::vec::Vec;
use mempolicy::{NodeId, NodeMask};

/// A CPU the kernel will run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuSlot {
    /// Its local APIC id.
    pub apic_id: u32,
    /// Its node (0 without a SRAT).
    pub node: u32,
}

/// CPUs and node memory ranges.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The CPUs, indexed by logical CPU number: the boot CPU first, then the MADT's enabled
    /// processors in table order (Linux numbers them the same way).
    pub cpus: Vec<CpuSlot>,
    /// `(node, range)` of each memory range the SRAT assigns to a node; without a SRAT, all of
    /// memory on node 0.
    pub memory: Vec<(u32, PhysRange)>,
    /// Number of nodes.
    pub nodes: u32,
}

impl Layout {
    /// The nodes that own memory (Linux: `N_MEMORY`).
    pub fn nodes_with_memory(&self) -> NodeMask {
        mask(self.memory.iter().map(|&(node, _)| node))
    }

    /// The nodes that have a CPU the kernel runs (Linux: `N_CPU`).
    pub fn nodes_with_cpus(&self) -> NodeMask {
        mask(self.cpus.iter().map(|cpu| cpu.node))
    }
}

/// The mask of `nodes`, leaving out numbers a mask cannot hold.
fn mask(nodes: impl Iterator<Item = u32>) -> NodeMask {
    let mut mask = NodeMask::new();
    for node in nodes.filter_map(|n| NodeId::try_new(u64::from(n)).ok()) {
        mask.insert(node);
    }
    mask
}

/// Builds the layout from the MADT and SRAT, with the kernel's stand-in parser.
pub fn from_interim(tables: Option<&AcpiTables>, boot_apic_id: u32) -> Layout {
    let madt = tables
        .and_then(|t| t.find(b"APIC"))
        .map(interim::madt_cpus)
        .unwrap_or_default();
    let srat = tables
        .and_then(|t| t.find(b"SRAT"))
        .map(interim::srat_nodes)
        .unwrap_or_default();
    let node_of = |apic_id: u32| srat.cpus.iter().find(|c| c.0 == apic_id).map_or(0, |c| c.1);

    let mut cpus = vec![CpuSlot {
        apic_id: boot_apic_id,
        node: node_of(boot_apic_id),
    }];
    for cpu in madt
        .iter()
        .filter(|c| c.enabled && c.apic_id != boot_apic_id)
    {
        if cpus.len() == MAX_CPUS {
            println!(
                "layout: more than {MAX_CPUS} CPUs, ignoring APIC id {}",
                cpu.apic_id
            );
            continue;
        }
        cpus.push(CpuSlot {
            apic_id: cpu.apic_id,
            node: node_of(cpu.apic_id),
        });
    }
    let (memory, nodes) = if srat.memory.is_empty() {
        (vec![(0, PhysRange::new(0, u64::MAX))], 1)
    } else {
        (srat.memory, srat.count.max(1))
    };
    Layout {
        cpus,
        memory,
        nodes,
    }
}

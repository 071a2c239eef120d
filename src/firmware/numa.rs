//! SRAT and SLIT to nodes, memory blocks and distances, as Linux's x86 ACPI NUMA setup does
//! it (Linux: `acpi_numa_init()`, `acpi_map_pxm_to_node()`, the SRAT handlers of
//! `drivers/acpi/numa/srat.c` and `arch/x86/mm/srat.c`, `numa_add_memblk()`,
//! `numa_cleanup_meminfo()` and `numa_set_distance()` in `mm/numa_memblks.c`).

use alloc::vec;
use alloc::vec::Vec;

use super::layout::{PhysRange, SratMemory};
use super::sdt::Table;
use super::slit::Slit;
use super::srat::{Srat, SratEntry, SRAT_GENERIC_INITIATOR, SRAT_GENERIC_PORT, SRAT_MEMORY};
use crate::error::Result;
use crate::nodemask::{NodeId, NodeMask, MAX_NUMNODES};
use crate::topology::{LOCAL_DISTANCE, REMOTE_DISTANCE};

/// The number of proximity domains Linux maps to nodes (Linux: `MAX_PXM_DOMAINS`, 256 or
/// `MAX_NUMNODES` if that is larger). Domains at or above it get no node.
pub const MAX_PXM_DOMAINS: usize = if MAX_NUMNODES > 256 {
    MAX_NUMNODES
} else {
    256
};

/// The most APIC ids Linux tracks (Linux: `MAX_LOCAL_APIC` on 64-bit).
pub const MAX_LOCAL_APIC: u32 = 32768;

/// The most memory blocks Linux keeps from the SRAT (Linux: `NR_NODE_MEMBLKS`).
pub const NR_NODE_MEMBLKS: usize = 2 * MAX_NUMNODES;

/// The proximity domain → node map (Linux: `pxm_to_node_map[]`, `nodes_found_map`).
#[derive(Clone, Debug)]
pub(crate) struct PxmMap {
    nodes: Vec<Option<NodeId>>,
    found: NodeMask,
}

impl PxmMap {
    pub(crate) fn new() -> Self {
        Self {
            nodes: vec![None; MAX_PXM_DOMAINS],
            found: NodeMask::new(),
        }
    }

    /// Returns the node of `pxm`, if it has one (Linux: `pxm_to_node()`).
    pub(crate) fn get(&self, pxm: u32) -> Option<NodeId> {
        self.nodes.get(pxm as usize).copied().flatten()
    }

    /// Returns the node of `pxm`, giving it the lowest unused node first if it has none;
    /// `None` for a domain at or above [`MAX_PXM_DOMAINS`] or when every node is used
    /// (Linux: `acpi_map_pxm_to_node()`).
    pub(crate) fn map(&mut self, pxm: u32) -> Option<NodeId> {
        let slot = self.nodes.get_mut(pxm as usize)?;
        if let Some(node) = *slot {
            return Some(node);
        }
        let node = self.found.complement(MAX_NUMNODES).first()?;
        *slot = Some(node);
        self.found.insert(node);
        Some(node)
    }

    /// Returns every mapped domain and its node, by domain.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (u32, NodeId)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(pxm, node)| node.map(|n| (pxm as u32, n)))
    }
}

/// A memory block of a node (Linux: `struct numa_memblk`), with the SRAT entry it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) node: NodeId,
    pub(crate) offset: usize,
}

/// What the SRAT gave, before memory is matched with RAM.
#[derive(Clone, Debug)]
pub(crate) struct SratResult {
    pub(crate) pxm: PxmMap,
    /// Node of each APIC id with an enabled processor affinity entry (Linux:
    /// `__apicid_to_node[]`), last entry wins.
    pub(crate) apic_nodes: Vec<(u32, NodeId)>,
    /// Linux: `numa_nodes_parsed`.
    pub(crate) parsed: NodeMask,
    /// Linux: `N_GENERIC_INITIATOR`.
    pub(crate) generic_initiators: NodeMask,
    /// Enabled memory entries as Linux logs them.
    pub(crate) logged: Vec<SratMemory>,
    /// Linux: `numa_meminfo` before the cleanup.
    pub(crate) blocks: Vec<Block>,
    /// Ranges of hot-pluggable memory (Linux: `memblock_mark_hotplug()`).
    pub(crate) hotplug: Vec<PhysRange>,
}

/// Runs the two SRAT passes of `acpi_numa_init()`: processors and generic initiators in table
/// order, then memory.
///
/// Every reason Linux has to call `bad_srat()` (and so to give up on the SRAT) is an error
/// here, at the entry that causes it.
pub(crate) fn read_srat(srat: &Srat<'_>) -> Result<SratResult> {
    let fault = |offset, what| Table::Srat.fault(offset, what);
    let mut out = SratResult {
        pxm: PxmMap::new(),
        apic_nodes: Vec::new(),
        parsed: NodeMask::new(),
        generic_initiators: NodeMask::new(),
        logged: Vec::new(),
        blocks: Vec::new(),
        hotplug: Vec::new(),
    };
    // Linux reads generic initiator and port entries without checking their length.
    for entry in srat.entries() {
        if let SratEntry::Short { kind, offset, .. } = entry {
            if kind == SRAT_GENERIC_INITIATOR || kind == SRAT_GENERIC_PORT {
                return Err(fault(
                    offset,
                    "generic affinity entry shorter than 32 bytes",
                ));
            }
        }
    }

    for entry in srat.entries() {
        match entry {
            SratEntry::LocalApic(a) | SratEntry::X2Apic(a) => {
                let local = matches!(entry, SratEntry::LocalApic(_));
                if local && a.len != super::srat::LOCAL_APIC_AFFINITY_LEN {
                    return Err(fault(a.offset, "local APIC affinity entry is not 16 bytes"));
                }
                if !a.enabled {
                    continue;
                }
                let Some(node) = out.pxm.map(a.domain) else {
                    return Err(fault(a.offset, "too many proximity domains"));
                };
                // The node stays mapped even when the APIC id is too large to record.
                if a.apic_id >= MAX_LOCAL_APIC {
                    continue;
                }
                set_apic_node(&mut out.apic_nodes, a.apic_id, node);
                out.parsed.insert(node);
            }
            SratEntry::Short { kind, offset, .. } if kind != SRAT_MEMORY => {
                return Err(fault(offset, "processor affinity entry too short"));
            }
            SratEntry::GenericInitiator(g) => {
                // A refused generic initiator stops the whole first pass (the handler's
                // error ends acpi_parse_entries_array()), silently.
                if !g.enabled {
                    break;
                }
                let Some(node) = out.pxm.map(g.domain) else {
                    break;
                };
                out.parsed.insert(node);
                out.generic_initiators.insert(node);
            }
            _ => {}
        }
    }

    for entry in srat.entries() {
        let m = match entry {
            SratEntry::Memory(m) => m,
            SratEntry::Short {
                kind: SRAT_MEMORY,
                offset,
                ..
            } => return Err(fault(offset, "memory affinity entry shorter than 40 bytes")),
            _ => continue,
        };
        if !m.enabled() {
            continue;
        }
        let Some(node) = out.pxm.map(m.domain) else {
            return Err(fault(m.offset, "too many proximity domains"));
        };
        let (start, end) = (m.base, m.end());
        // numa_add_memblk(): empty and wrapping ranges are dropped, but the entry counts.
        if start < end {
            if out.blocks.len() >= NR_NODE_MEMBLKS {
                return Err(fault(m.offset, "more memory ranges than Linux keeps"));
            }
            out.blocks.push(Block {
                start,
                end,
                node,
                offset: m.offset,
            });
            if m.hotpluggable() {
                out.hotplug.push(PhysRange { start, end });
            }
        }
        out.parsed.insert(node);
        out.logged.push(SratMemory {
            node,
            domain: m.domain,
            start,
            last: end.wrapping_sub(1),
            hotplug: m.hotpluggable(),
            non_volatile: m.non_volatile(),
            offset: m.offset,
        });
    }
    Ok(out)
}

/// Records `node` for `apic`, replacing an earlier entry (Linux: `set_apicid_to_node()`).
fn set_apic_node(map: &mut Vec<(u32, NodeId)>, apic: u32, node: NodeId) {
    match map.iter_mut().find(|(a, _)| *a == apic) {
        Some(slot) => slot.1 = node,
        None => map.push((apic, node)),
    }
}

/// The RAM the kernel has, sorted and merged, or `None` to take the SRAT's word for it.
#[derive(Clone, Debug)]
pub(crate) struct Ram(pub(crate) Option<Vec<PhysRange>>);

impl Ram {
    pub(crate) fn new(ranges: Option<&[PhysRange]>) -> Self {
        Self(ranges.map(|ranges| {
            let mut sorted: Vec<PhysRange> =
                ranges.iter().copied().filter(|r| r.start < r.end).collect();
            sorted.sort_unstable_by_key(|r| r.start);
            let mut merged: Vec<PhysRange> = Vec::with_capacity(sorted.len());
            for r in sorted {
                match merged.last_mut() {
                    Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                    _ => merged.push(r),
                }
            }
            merged
        }))
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        match &self.0 {
            None => true,
            Some(ram) => ram.iter().any(|r| r.start < end && start < r.end),
        }
    }
}

/// Trims the blocks to RAM, then merges each node's blocks where no other node's memory lies
/// between them (Linux: `numa_cleanup_meminfo()`).
///
/// # Errors
/// Two nodes' blocks overlap: Linux gives up on the SRAT ("node N [mem …] overlaps with node
/// M [mem …]"). The error names the SRAT entry of the later block.
pub(crate) fn cleanup(blocks: &[Block], ram: &Ram) -> Result<Vec<Block>> {
    let mut mi: Vec<Block> = Vec::with_capacity(blocks.len());
    let limits = ram
        .0
        .as_ref()
        .and_then(|r| Some((r.first()?.start, r.last()?.end)));
    for &b in blocks {
        if !ram.overlaps(b.start, b.end) {
            continue;
        }
        let mut b = b;
        if let Some((low, high)) = limits {
            b.start = b.start.max(low);
            b.end = b.end.min(high);
        }
        if b.start < b.end {
            mi.push(b);
        }
    }
    let mut i = 0;
    while let Some(mut bi) = mi.get(i).copied() {
        let mut j = i + 1;
        while let Some(bj) = mi.get(j).copied() {
            if bi.end > bj.start && bi.start < bj.end && bi.node != bj.node {
                return Err(Table::Srat.fault(bj.offset, "memory range overlaps another node's"));
            }
            let (start, end) = (bi.start.min(bj.start), bi.end.max(bj.end));
            let blocked = mi
                .iter()
                .any(|bk| bk.node != bi.node && start < bk.end && end > bk.start);
            if bi.node != bj.node || blocked {
                j += 1;
                continue;
            }
            bi.start = start;
            bi.end = end;
            if let Some(slot) = mi.get_mut(i) {
                *slot = bi;
            }
            mi.remove(j);
        }
        i += 1;
    }
    Ok(mi)
}

/// The distance table Linux builds from a valid SLIT: `count × count` for the nodes up to the
/// highest parsed one, 10/20 where the SLIT says nothing (Linux: `numa_alloc_distance()`,
/// `numa_set_distance()` from `acpi_parse_slit()`).
pub(crate) fn slit_distances(slit: &Slit<'_>, pxm: &PxmMap, parsed: &NodeMask) -> Vec<u8> {
    let count = parsed.last().map_or(0, |n| n.index() + 1);
    let mut table = default_distances(count);
    let mapped: Vec<(u32, NodeId)> = pxm
        .pairs()
        .filter(|(p, n)| (*p as usize) < slit.localities() && n.index() < count)
        .collect();
    for &(from_pxm, from) in &mapped {
        for &(to_pxm, to) in &mapped {
            let Some(d) = slit.distance(from_pxm as usize, to_pxm as usize) else {
                continue;
            };
            if from == to && d != LOCAL_DISTANCE {
                continue;
            }
            if let Some(cell) = table.get_mut(from.index() * count + to.index()) {
                *cell = d;
            }
        }
    }
    table
}

/// Returns the `count × count` table of 10 on the diagonal and 20 elsewhere.
pub(crate) fn default_distances(count: usize) -> Vec<u8> {
    (0..count * count)
        .map(|cell| {
            if cell / count == cell % count {
                LOCAL_DISTANCE
            } else {
                REMOTE_DISTANCE
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(start: u64, end: u64, node: usize, offset: usize) -> Block {
        Block {
            start,
            end,
            node: NodeId::new(node),
            offset,
        }
    }

    #[test]
    fn pxm_map_hands_out_the_lowest_free_node() {
        let mut map = PxmMap::new();
        assert_eq!(map.map(7), Some(NodeId::new(0)));
        assert_eq!(map.map(3), Some(NodeId::new(1)));
        assert_eq!(map.map(7), Some(NodeId::new(0)));
        assert_eq!(map.get(3), Some(NodeId::new(1)));
        assert_eq!(map.get(4), None);
        assert_eq!(map.map(MAX_PXM_DOMAINS as u32), None);
    }

    #[test]
    fn cleanup_merges_across_holes_unless_another_node_is_inside() {
        let blocks = [
            block(0, 0xa0000, 0, 80),
            block(0x100000, 0x1000_0000, 0, 120),
            block(0x1000_0000, 0x2000_0000, 1, 160),
        ];
        let merged = cleanup(&blocks, &Ram(None)).unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!((merged[0].start, merged[0].end), (0, 0x1000_0000));
        let blocks = [
            block(0, 0x1000, 0, 80),
            block(0x1000, 0x2000, 1, 120),
            block(0x2000, 0x3000, 0, 160),
        ];
        assert_eq!(cleanup(&blocks, &Ram(None)).unwrap().len(), 3);
        let blocks = [block(0, 0x2000, 0, 80), block(0x1000, 0x3000, 1, 120)];
        assert_eq!(
            cleanup(&blocks, &Ram(None)),
            Err(Table::Srat.fault(120, "memory range overlaps another node's"))
        );
        // Overlaps within one node merge.
        let blocks = [block(0, 0x2000, 0, 80), block(0x1000, 0x3000, 0, 120)];
        assert_eq!(cleanup(&blocks, &Ram(None)).unwrap().len(), 1);
    }

    #[test]
    fn cleanup_trims_to_ram() {
        let ram = Ram::new(Some(&[
            PhysRange {
                start: 0x1000,
                end: 0x9f000,
            },
            PhysRange {
                start: 0x100000,
                end: 0x3ffe0000,
            },
        ]));
        let blocks = [
            block(0, 0xa0000, 0, 80),
            block(0x3000_0000, 0x4000_0000, 1, 120),
            block(0x8000_0000, 0x9000_0000, 2, 160),
        ];
        let out = cleanup(&blocks, &ram).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].start, out[0].end), (0x1000, 0xa0000));
        assert_eq!((out[1].start, out[1].end), (0x3000_0000, 0x3ffe0000));
    }
}

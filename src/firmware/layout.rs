//! [`NumaLayout`]: Linux's view of a machine, derived from its ACPI tables.

use alloc::vec::Vec;

use super::cpus::number_cpus;
use super::hmat::Hmat;
use super::madt::Madt;
use super::numa::{cleanup, default_distances, read_srat, slit_distances, Block, Ram};
use super::perf::{read_hmat, Nodes};
use super::sdt::{Sdt, Table};
use super::slit::Slit;
use super::srat::Srat;
use crate::error::{Error, Result};
use crate::nodemask::{NodeId, NodeMask};
pub use crate::topology::AccessClass;
use crate::topology::{AccessCoordinates, LOCAL_DISTANCE, REMOTE_DISTANCE};

/// A physical address range, `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PhysRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// The inputs of [`NumaLayout::from_acpi`]: the raw bytes of each table the kernel found
/// (every one optional), the boot CPU's APIC id and, optionally, the usable RAM.
///
/// # Examples
/// ```
/// use mempolicy::firmware::{AcpiTables, NumaLayout, NumaSource};
/// // No SRAT: Linux's "No NUMA configuration found", one node with every CPU.
/// let layout = NumaLayout::from_acpi(&AcpiTables::new().boot_apic_id(3))?;
/// assert_eq!(layout.source(), NumaSource::NoSrat);
/// assert_eq!(layout.online_nodes().to_string(), "0");
/// assert_eq!(layout.cpus()[0].apic_id, 3);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcpiTables<'a> {
    srat: Option<&'a [u8]>,
    slit: Option<&'a [u8]>,
    hmat: Option<&'a [u8]>,
    madt: Option<&'a [u8]>,
    boot_apic_id: Option<u32>,
    ram: Option<&'a [PhysRange]>,
}

impl<'a> AcpiTables<'a> {
    /// Returns inputs with no table at all.
    pub const fn new() -> Self {
        Self {
            srat: None,
            slit: None,
            hmat: None,
            madt: None,
            boot_apic_id: None,
            ram: None,
        }
    }

    /// Gives the SRAT's bytes (bytes past its length field are ignored).
    pub const fn srat(mut self, bytes: &'a [u8]) -> Self {
        self.srat = Some(bytes);
        self
    }

    /// Gives the SLIT's bytes.
    pub const fn slit(mut self, bytes: &'a [u8]) -> Self {
        self.slit = Some(bytes);
        self
    }

    /// Gives the HMAT's bytes.
    pub const fn hmat(mut self, bytes: &'a [u8]) -> Self {
        self.hmat = Some(bytes);
        self
    }

    /// Gives the MADT's bytes (signature `APIC`).
    pub const fn madt(mut self, bytes: &'a [u8]) -> Self {
        self.madt = Some(bytes);
        self
    }

    /// Gives the APIC id of the CPU that runs the boot code, logical CPU 0 (Linux: the id it
    /// reads from its own local APIC). Default: the first enabled processor of the MADT.
    pub const fn boot_apic_id(mut self, apic_id: u32) -> Self {
        self.boot_apic_id = Some(apic_id);
        self
    }

    /// Gives the usable RAM (Linux: the e820 RAM ranges in `memblock.memory`). Memory ranges
    /// are trimmed to it and nodes get only the RAM inside their ranges, as in Linux. Without
    /// it the SRAT ranges are taken as RAM, holes and hot-plug areas included.
    pub const fn usable_ram(mut self, ranges: &'a [PhysRange]) -> Self {
        self.ram = Some(ranges);
        self
    }
}

/// Where the node layout came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumaSource {
    /// The SRAT, as usual.
    Srat,
    /// No SRAT was given: one node, Linux's "No NUMA configuration found".
    NoSrat,
    /// The SRAT has no enabled memory entry (Linux: `acpi_numa_init()` returns `-ENOENT`):
    /// one node.
    NoSratMemory,
    /// The SRAT's nodes leave 1 MiB or more of the usable RAM without a node (Linux:
    /// `memblock_validate_numa_coverage()`), or, without the RAM map, have no memory at all:
    /// one node.
    RamNotCovered,
}

/// What became of an optional table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableUse {
    /// The table was not given.
    Absent,
    /// Linux uses the table.
    Used,
    /// Linux looks at the table and ignores all of it, for this reason.
    Ignored(Error),
    /// Not read, because the layout fell back to one node (see [`NumaSource`]).
    Unused,
}

/// An enabled SRAT memory affinity entry as Linux logs it ("SRAT: Node N PXM P [mem
/// S-E]", `hotplug`, `non-volatile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SratMemory {
    /// The node of the entry's domain.
    pub node: NodeId,
    /// The proximity domain (the low byte before SRAT revision 2).
    pub domain: u32,
    /// First byte.
    pub start: u64,
    /// Last byte, `start + length - 1` wrapping as Linux prints it (an empty entry shows
    /// `start - 1`).
    pub last: u64,
    /// Hot-pluggable.
    pub hotplug: bool,
    /// Non-volatile.
    pub non_volatile: bool,
    /// Byte offset of the entry in the SRAT.
    pub offset: usize,
}

/// A logical CPU (Linux: a possible CPU number with its `x86_cpu_to_apicid` and
/// `cpu_to_node()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogicalCpu {
    /// The logical CPU number.
    pub cpu: u32,
    /// The APIC id.
    pub apic_id: u32,
    /// The node.
    pub node: NodeId,
    /// Whether the CPU is present (enabled in the MADT) rather than a hot-plug slot.
    pub present: bool,
}

/// A memory range and its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeRange {
    /// The node.
    pub node: NodeId,
    /// The range.
    pub range: PhysRange,
}

/// One node's view in one access class (Linux: `/sys/devices/system/node/nodeN/accessK/`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeAccess {
    /// As a memory target: its best initiators (the `initiators/nodeM` links).
    pub initiators: NodeMask,
    /// As an initiator: the targets it is best for (the `targets/nodeM` links).
    pub targets: NodeMask,
    /// As a memory target: the performance from those initiators (MB/s and ns; 0 where
    /// unknown). `None` if the node is not a memory target.
    pub perf: Option<AccessCoordinates>,
}

impl NodeAccess {
    /// Returns whether Linux shows this class for the node (creates `accessK/`).
    pub fn is_shown(&self) -> bool {
        self.perf.is_some() || !self.initiators.is_empty() || !self.targets.is_empty()
    }
}

/// Linux's view of a NUMA machine, derived from its ACPI SRAT, SLIT, HMAT and MADT exactly as
/// Linux 7.3 on x86-64 derives it at boot.
///
/// Built by [`NumaLayout::from_acpi`]; turned into a [`Topology`](crate::topology::Topology)
/// by [`NumaLayout::topology`] and into weighted-interleave weights by
/// [`NumaLayout::feed_weights`]. See the [module docs](super) for the rules.
///
/// Heap: a few small `Vec`s (per node, per CPU, per SRAT entry), built once at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumaLayout {
    pub(crate) source: NumaSource,
    pub(crate) slit: TableUse,
    pub(crate) hmat: TableUse,
    pub(crate) pxm: Vec<(u32, NodeId)>,
    pub(crate) srat_memory: Vec<SratMemory>,
    pub(crate) node_ranges: Vec<NodeRange>,
    pub(crate) memory: Vec<NodeRange>,
    pub(crate) hotplug: Vec<PhysRange>,
    pub(crate) cpus: Vec<LogicalCpu>,
    pub(crate) possible: NodeMask,
    pub(crate) online: NodeMask,
    pub(crate) has_cpu: NodeMask,
    pub(crate) has_memory: NodeMask,
    pub(crate) generic_initiators: NodeMask,
    pub(crate) nr_node_ids: usize,
    /// `distance_count²` bytes; nodes beyond use 10/20.
    pub(crate) distances: Vec<u8>,
    pub(crate) distance_count: usize,
    pub(crate) access: Vec<[NodeAccess; 2]>,
    pub(crate) registered: Vec<NodeId>,
}

impl NumaLayout {
    /// Derives the layout from `tables` as Linux does at boot.
    ///
    /// # Errors
    /// [`Error::FirmwareTable`] naming the table and the offset of the fault when a given
    /// table is malformed: a header, length or checksum fault in any table, a malformed entry
    /// in the SRAT or MADT, a SLIT matrix that does not fit, and every SRAT problem for which
    /// Linux gives up on the SRAT (`bad_srat()`: a processor or memory entry of the wrong
    /// size, more proximity domains than nodes, too many memory ranges; overlapping memory
    /// of two nodes). Linux then boots with one node; build that with
    /// [`NumaLayout::single_node`] if you want it. A bad SLIT or HMAT *content* is not an
    /// error: Linux ignores the table, and so does the layout ([`NumaLayout::slit_use`],
    /// [`NumaLayout::hmat_use`]).
    pub fn from_acpi(tables: &AcpiTables<'_>) -> Result<Self> {
        let madt = tables.madt.map(Madt::parse).transpose()?;
        let slit = tables.slit.map(Slit::parse).transpose()?;
        // An HMAT with a bad entry is ignored (as Linux does), but its header must be sound.
        let hmat = match tables.hmat {
            None => None,
            Some(bytes) => {
                Sdt::parse(Table::Hmat, bytes)?;
                Some(Hmat::parse(bytes))
            }
        };
        let ram = Ram::new(tables.ram);
        let cpu_ids = number_cpus(madt.as_ref(), tables.boot_apic_id);
        let Some(srat_bytes) = tables.srat else {
            return Ok(Self::fallback(
                NumaSource::NoSrat,
                &[],
                &ram,
                &cpu_ids,
                tables,
            ));
        };
        let srat = Srat::parse(srat_bytes)?;
        let sr = read_srat(&srat)?;
        if sr.logged.is_empty() {
            return Ok(Self::fallback(
                NumaSource::NoSratMemory,
                &sr.logged,
                &ram,
                &cpu_ids,
                tables,
            ));
        }
        let mut slit_use = TableUse::Absent;
        let distance_count = sr.parsed.last().map_or(0, |n| n.index() + 1);
        let mut distances = default_distances(distance_count);
        if let Some(slit) = &slit {
            match slit.first_invalid() {
                Some(offset) => {
                    slit_use = TableUse::Ignored(Table::Slit.fault(
                        offset,
                        "distance is not 10 on the diagonal or not above 10 elsewhere",
                    ));
                }
                None => {
                    slit_use = TableUse::Used;
                    distances = slit_distances(slit, &sr.pxm, &sr.parsed);
                }
            }
        }
        let blocks = cleanup(&sr.blocks, &ram)?;
        let memory = present_memory(&blocks, &sr.blocks, &ram);
        // Linux checks that its RAM is covered; without the RAM map, no memory at all fails.
        let uncovered = match &ram.0 {
            Some(r) => uncovered_pages(r, &memory) >= 256,
            None => memory.is_empty(),
        };
        if uncovered {
            return Ok(Self::fallback(
                NumaSource::RamNotCovered,
                &sr.logged,
                &ram,
                &cpu_ids,
                tables,
            ));
        }

        let mut possible = sr.parsed;
        blocks.iter().for_each(|b| possible.insert(b.node));
        let mut has_memory = NodeMask::new();
        memory.iter().for_each(|m| has_memory.insert(m.node));
        let mut layout = Self {
            source: NumaSource::Srat,
            slit: slit_use,
            hmat: TableUse::Absent,
            pxm: sr.pxm.pairs().collect(),
            srat_memory: sr.logged.clone(),
            node_ranges: blocks
                .iter()
                .map(|b| NodeRange {
                    node: b.node,
                    range: PhysRange {
                        start: b.start,
                        end: b.end,
                    },
                })
                .collect(),
            memory,
            hotplug: sr.hotplug.clone(),
            cpus: Vec::new(),
            possible,
            online: has_memory,
            has_cpu: NodeMask::new(),
            has_memory,
            generic_initiators: sr.generic_initiators,
            nr_node_ids: possible.last().map_or(1, |n| n.index() + 1),
            distances,
            distance_count,
            access: Vec::new(),
            registered: Vec::new(),
        };
        layout.place_cpus(&cpu_ids, |apic| {
            sr.apic_nodes
                .iter()
                .find(|(a, _)| *a == apic)
                .map(|(_, n)| *n)
        });
        layout.online = layout.online.or(&sr.generic_initiators);
        layout.access = alloc::vec![[NodeAccess::default(); 2]; layout.nr_node_ids];
        match hmat {
            None => {}
            Some(Err(e)) => layout.hmat = TableUse::Ignored(e),
            Some(Ok(hmat)) => {
                let nodes = Nodes {
                    pxm: &sr.pxm,
                    online: layout.online,
                    has_cpu: layout.has_cpu,
                };
                match read_hmat(&srat, &hmat, &nodes, layout.nr_node_ids) {
                    Ok(perf) => {
                        layout.hmat = TableUse::Used;
                        layout.access = perf.access;
                        layout.registered = perf.registered;
                    }
                    Err(e) => layout.hmat = TableUse::Ignored(e),
                }
            }
        }
        Ok(layout)
    }

    /// Returns Linux's one-node machine for `tables` (Linux: `dummy_numa_init()`, "No NUMA
    /// configuration found"): node 0 holds every CPU of the MADT and all the usable RAM given;
    /// SLIT and HMAT are not used. This is what Linux boots with when
    /// [`NumaLayout::from_acpi`] returns an SRAT error.
    ///
    /// # Errors
    /// [`Error::FirmwareTable`] for a malformed MADT.
    pub fn single_node(tables: &AcpiTables<'_>) -> Result<Self> {
        let madt = tables.madt.map(Madt::parse).transpose()?;
        let ram = Ram::new(tables.ram);
        let cpu_ids = number_cpus(madt.as_ref(), tables.boot_apic_id);
        Ok(Self::fallback(
            NumaSource::NoSrat,
            &[],
            &ram,
            &cpu_ids,
            tables,
        ))
    }

    /// The one-node layout, keeping the SRAT memory lines Linux logged before it gave up.
    fn fallback(
        source: NumaSource,
        logged: &[SratMemory],
        ram: &Ram,
        cpu_ids: &super::cpus::CpuIds,
        tables: &AcpiTables<'_>,
    ) -> Self {
        let node0 = NodeId::new(0);
        let memory: Vec<NodeRange> = ram
            .0
            .iter()
            .flatten()
            .map(|&range| NodeRange { node: node0, range })
            .collect();
        let mut has_memory = NodeMask::new();
        if memory.iter().any(|m| pages(m.range) > 0) {
            has_memory.insert(node0);
        }
        let unused = |t: Option<&[u8]>| {
            if t.is_some() {
                TableUse::Unused
            } else {
                TableUse::Absent
            }
        };
        let mut layout = Self {
            source,
            slit: unused(tables.slit),
            hmat: unused(tables.hmat),
            pxm: Vec::new(),
            srat_memory: logged.to_vec(),
            node_ranges: memory.clone(),
            memory,
            hotplug: Vec::new(),
            cpus: Vec::new(),
            possible: NodeMask::from_node(node0),
            online: NodeMask::from_node(node0),
            has_cpu: NodeMask::new(),
            has_memory,
            generic_initiators: NodeMask::new(),
            nr_node_ids: 1,
            distances: Vec::from([LOCAL_DISTANCE]),
            distance_count: 1,
            access: alloc::vec![[NodeAccess::default(); 2]],
            registered: Vec::new(),
        };
        layout.place_cpus(cpu_ids, |_| Some(node0));
        layout
    }

    /// Gives every CPU its node: for a present CPU the SRAT's node of its APIC id, else round
    /// robin over the nodes with memory by CPU number (Linux: `numa_init_array()`, then
    /// `init_cpu_to_node()`, which also brings the CPUs' nodes online).
    fn place_cpus(&mut self, ids: &super::cpus::CpuIds, srat_node: impl Fn(u32) -> Option<NodeId>) {
        let rr: Vec<NodeId> = self.has_memory.iter().collect();
        let numbered = ids
            .present
            .iter()
            .map(|&a| (a, true))
            .chain(ids.absent.iter().map(|&a| (a, false)));
        for (cpu, (apic_id, present)) in numbered.enumerate() {
            // An absent CPU has no APIC id yet when Linux looks (x86_cpu_to_apicid is set for
            // present CPUs only), so it keeps its round-robin node.
            let node = present
                .then(|| srat_node(apic_id))
                .flatten()
                .or_else(|| rr.get(cpu % rr.len().max(1)).copied())
                .unwrap_or(NodeId::new(0));
            self.online.insert(node);
            self.possible.insert(node);
            if present {
                self.has_cpu.insert(node);
            }
            self.cpus.push(LogicalCpu {
                cpu: cpu as u32,
                apic_id,
                node,
                present,
            });
        }
        self.nr_node_ids = self.possible.last().map_or(1, |n| n.index() + 1);
    }

    /// Returns where the layout came from.
    pub const fn source(&self) -> NumaSource {
        self.source
    }

    /// Returns what became of the SLIT.
    pub const fn slit_use(&self) -> TableUse {
        self.slit
    }

    /// Returns what became of the HMAT.
    pub const fn hmat_use(&self) -> TableUse {
        self.hmat
    }

    /// Returns the node of proximity domain `pxm` (Linux: `pxm_to_node()`).
    pub fn pxm_to_node(&self, pxm: u32) -> Option<NodeId> {
        self.pxm.iter().find(|(p, _)| *p == pxm).map(|(_, n)| *n)
    }

    /// Returns every proximity domain with a node, by domain.
    pub fn pxm_map(&self) -> &[(u32, NodeId)] {
        &self.pxm
    }

    /// Returns the enabled SRAT memory entries as Linux logged them, in table order.
    pub fn srat_memory(&self) -> &[SratMemory] {
        &self.srat_memory
    }

    /// Returns each node's memory ranges after Linux merged them (Linux: `numa_meminfo`),
    /// holes between a node's ranges included.
    pub fn node_ranges(&self) -> &[NodeRange] {
        &self.node_ranges
    }

    /// Returns the memory each node has, in address order: the usable RAM inside its ranges,
    /// or without RAM the SRAT ranges themselves (Linux: `memblock.memory` with node ids).
    pub fn memory(&self) -> &[NodeRange] {
        &self.memory
    }

    /// Returns the hot-pluggable SRAT ranges.
    pub fn hotplug_ranges(&self) -> &[PhysRange] {
        &self.hotplug
    }

    /// Returns the logical CPUs by number: present ones (boot CPU first, then MADT order),
    /// then hot-plug slots (by APIC id).
    pub fn cpus(&self) -> &[LogicalCpu] {
        &self.cpus
    }

    /// Returns the possible nodes (Linux: `node_possible_map`).
    pub const fn possible_nodes(&self) -> &NodeMask {
        &self.possible
    }

    /// Returns the online nodes (Linux: `N_ONLINE`): nodes with memory, with a possible CPU
    /// or with a generic initiator.
    pub const fn online_nodes(&self) -> &NodeMask {
        &self.online
    }

    /// Returns the nodes with present CPUs (Linux: `N_CPU`).
    pub const fn cpu_nodes(&self) -> &NodeMask {
        &self.has_cpu
    }

    /// Returns the nodes with memory (Linux: `N_MEMORY`).
    pub const fn memory_nodes(&self) -> &NodeMask {
        &self.has_memory
    }

    /// Returns the nodes with a generic initiator (Linux: `N_GENERIC_INITIATOR`).
    pub const fn generic_initiator_nodes(&self) -> &NodeMask {
        &self.generic_initiators
    }

    /// Returns the highest possible node plus one (Linux: `nr_node_ids`).
    pub const fn nr_node_ids(&self) -> usize {
        self.nr_node_ids
    }

    /// Returns the distance from `from` to `to` (Linux: `node_distance()`): the SLIT's if
    /// Linux uses it, else 10 to itself and 20 to others.
    pub fn distance(&self, from: NodeId, to: NodeId) -> u8 {
        let n = self.distance_count;
        if from.index() < n && to.index() < n {
            if let Some(&d) = self.distances.get(from.index() * n + to.index()) {
                return d;
            }
        }
        if from == to {
            LOCAL_DISTANCE
        } else {
            REMOTE_DISTANCE
        }
    }

    /// Returns `node`'s HMAT view in `class`, if Linux shows one.
    pub fn access(&self, node: NodeId, class: AccessClass) -> Option<&NodeAccess> {
        let [local, cpu] = self.access.get(node.index())?;
        let access = match class {
            AccessClass::Local => local,
            AccessClass::Cpu => cpu,
        };
        access.is_shown().then_some(access)
    }

    /// Returns the memory targets Linux registered, in the order it reported their
    /// performance (and so called `mempolicy_set_node_perf()`).
    pub fn perf_targets(&self) -> &[NodeId] {
        &self.registered
    }
}

/// Returns the whole pages of `range` (Linux: `PFN_UP(start)` to `PFN_DOWN(end)`).
pub(crate) fn pages(range: PhysRange) -> u64 {
    let first = range.start.div_ceil(crate::PAGE_SIZE);
    let end = range.end / crate::PAGE_SIZE;
    end.saturating_sub(first)
}

/// Returns each node's memory: RAM inside its merged blocks, or without RAM its SRAT ranges,
/// merged where one node's pieces overlap or touch, in address order.
fn present_memory(merged: &[Block], added: &[Block], ram: &Ram) -> Vec<NodeRange> {
    let mut pieces: Vec<NodeRange> = Vec::new();
    let piece = |node, start, end| NodeRange {
        node,
        range: PhysRange { start, end },
    };
    match &ram.0 {
        Some(ram) => {
            for r in ram {
                for b in merged {
                    let (start, end) = (r.start.max(b.start), r.end.min(b.end));
                    if start < end {
                        pieces.push(piece(b.node, start, end));
                    }
                }
            }
        }
        None => pieces.extend(added.iter().map(|b| piece(b.node, b.start, b.end))),
    }
    pieces.sort_by_key(|m| (m.node, m.range.start));
    let mut out: Vec<NodeRange> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match out.last_mut() {
            Some(last) if last.node == p.node && p.range.start <= last.range.end => {
                last.range.end = last.range.end.max(p.range.end);
            }
            _ => out.push(p),
        }
    }
    out.retain(|m| pages(m.range) > 0);
    out.sort_by_key(|m| m.range.start);
    out
}

/// Returns the pages of `ram` that no node's memory covers.
fn uncovered_pages(ram: &[PhysRange], memory: &[NodeRange]) -> u64 {
    let total: u64 = ram.iter().map(|r| pages(*r)).sum();
    let covered: u64 = memory.iter().map(|m| pages(m.range)).sum();
    total.saturating_sub(covered)
}

//! The NUMA machine from ACPI firmware tables: SRAT, SLIT, HMAT and MADT read as Linux 7.3
//! reads them on x86-64 (Linux: `drivers/acpi/numa/srat.c`, `drivers/acpi/numa/hmat.c`,
//! `arch/x86/mm/srat.c`, `arch/x86/mm/numa.c`, `mm/numa_memblks.c`, `lib/fw_table.c`,
//! `arch/x86/kernel/acpi/boot.c`, `arch/x86/kernel/cpu/topology.c`).
//!
//! The kernel maps each table and passes its bytes; the crate never touches physical memory.
//! Two layers:
//!
//! * Per-table parsers, [`Srat`], [`Slit`], [`Hmat`] and [`Madt`], check the header (signature,
//!   length, checksum) and the entries, then decode them without allocating.
//! * [`NumaLayout::from_acpi`] runs Linux's boot-time logic over them: proximity domains to
//!   node numbers ([`NumaLayout::pxm_map`]), each node's memory ranges and CPUs (logical CPU
//!   numbers with APIC ids), the distances, and each memory node's HMAT access classes
//!   ([`NumaLayout::access`]). [`NumaLayout::topology`] turns it into the crate's
//!   [`Topology`](crate::topology::Topology) (so [`Zonelists`](crate::zonelist::Zonelists)),
//!   and [`NumaLayout::feed_weights`] fills a [`WeightTable`](crate::weights::WeightTable) with
//!   the bandwidths, as `mempolicy_set_node_perf()` does.
//!
//! Heap: the parsers and their iterators allocate nothing; [`NumaLayout`] holds a few small
//! `Vec`s, built once at boot.
//!
//! # What Linux does, step by step
//!
//! | step | rule |
//! |---|---|
//! | nodes | proximity domains get the lowest unused node number in the order Linux meets them: first every enabled local APIC, x2APIC and generic initiator entry in SRAT order, then every enabled memory entry (`acpi_map_pxm_to_node()`); domains 256 and up (or `MAX_NUMNODES` and up if larger) get none. Before SRAT revision 2 a memory entry's domain is its low byte, a local APIC entry's one byte |
//! | memory | enabled memory entries, empty or wrapping ones dropped (but still mapping their domain); trimmed to the usable RAM if given; a node's ranges merged when no other node's memory lies between them (`numa_cleanup_meminfo()`) |
//! | CPUs | the boot CPU is CPU 0, the other enabled MADT local APIC and x2APIC entries follow in table order (`topology_register_apic()`); x2APIC entries below 0xff are skipped when local APIC entries exist; disabled entries are not CPUs before MADT revision 5 (QEMU's absent slots), and hot-plug slots numbered after the present CPUs from revision 5 with the online-capable flag |
//! | CPU nodes | a present CPU gets the SRAT node of its APIC id; a CPU without one, and every hot-plug slot, gets the nodes with memory in turn by CPU number (`numa_init_array()`, `init_cpu_to_node()`) |
//! | node states | online: nodes with memory, with a possible CPU, or with a generic initiator; `N_CPU`: nodes of present CPUs |
//! | distances | the SLIT by proximity domain if every diagonal entry is 10 and every other above 10 (`slit_valid()`); otherwise, and without a SLIT, 10 and 20 |
//! | HMAT | memory targets are the enabled SRAT memory domains; proximity entries attach an initiator domain; for `access0` the attached domain, else the best initiators of all; for `access1` the attached domain if its node has CPUs, else the best initiators with CPUs. "Best" narrows the initiators kind by kind (write latency, read latency, write bandwidth, read bandwidth, the last table of each kind), keeping ties (`hmat_update_target_attrs()`). Values are normalized as `hmat_normalize()` does |
//! | weights | each registered memory node's `access1` `min(read, write)` bandwidth goes to [`WeightTable::set_node_bandwidth`](crate::weights::WeightTable::set_node_bandwidth) |
//!
//! # What is an error and what is ignored
//!
//! Bad input never panics and never reads outside the slices given. Where Linux has a rule
//! for bad input the layout follows it; where Linux gives up on NUMA, or has no defined
//! behaviour (it would read past a table), the layout returns
//! [`Error::FirmwareTable`](crate::Error::FirmwareTable) with the table and the byte offset:
//!
//! | input | Linux | here |
//! |---|---|---|
//! | any table: short header, wrong signature, length field below the fixed part or past the bytes, bad checksum | uses what it maps; only warns about a checksum | error (offsets: the slice length, 0, 4, the slice length, 9) |
//! | SRAT, MADT or HMAT entry of length 0, shorter than its header, or running past the table | error for length 0 (NUMA off / ACPI off / HMAT ignored), reads past the table otherwise | error, except HMAT: ignored |
//! | SRAT processor or memory entry of the wrong size, too many proximity domains, too many memory ranges, two nodes' memory overlapping | `bad_srat()` or the overlap check: NUMA off, one node | error ([`NumaLayout::single_node`] gives Linux's one node) |
//! | disabled or empty SRAT memory entry | skipped (an enabled empty one still maps its domain) | the same |
//! | disabled generic initiator | ends the first SRAT pass | the same |
//! | no SRAT, or no enabled memory entry, or 1 MiB of RAM without a node | one node | one node, [`NumaLayout::source`] says why |
//! | SLIT matrix larger than the table | reads past the table | error at offset 36 |
//! | SLIT with a diagonal entry other than 10 or another entry of 10 or less | "SLIT table looks invalid. Not used." | ignored, [`TableUse::Ignored`] with the offset |
//! | HMAT revision other than 1 or 2; entry of a wrong size; memory domain not in the SRAT; processor domain without a node | "Ignoring: …": no HMAT at all | ignored, [`TableUse::Ignored`] |
//! | MADT processor entry too short | "Invalid BIOS MADT, disabling ACPI" | error |
//!
//! # Example
//!
//! See the crate docs ([`crate#from-firmware-tables`]).

mod cpus;
mod hmat;
mod layout;
mod madt;
mod numa;
mod perf;
mod sdt;
mod slit;
mod srat;
mod zones;

pub use hmat::{
    normalize, DataType, Hmat, HmatEntry, Locality, Proximity, CACHE_LEN, HMAT_CACHE,
    HMAT_LOCALITY, HMAT_PROXIMITY, LOCALITY_LEN, MEMORY_HIERARCHY_MASK, MEMORY_PD_VALID,
    PROCESSOR_PD_VALID, PROXIMITY_LEN,
};
pub use layout::{
    AccessClass, AcpiTables, LogicalCpu, NodeAccess, NodeRange, NumaLayout, NumaSource, PhysRange,
    SratMemory, TableUse,
};
pub use madt::{
    Madt, MadtProcessor, LOCAL_APIC_LEN, MADT_LOCAL_APIC, MADT_X2APIC, PROCESSOR_ENABLED,
    PROCESSOR_ONLINE_CAPABLE, X2APIC_LEN,
};
pub use numa::{MAX_LOCAL_APIC, MAX_PXM_DOMAINS, NR_NODE_MEMBLKS};
pub use sdt::{Sdt, Table, HEADER_LEN};
pub use slit::Slit;
pub use srat::{
    ApicAffinity, GenericAffinity, MemoryAffinity, Srat, SratEntry, GENERIC_AFFINITY_LEN,
    LOCAL_APIC_AFFINITY_LEN, MEMORY_AFFINITY_LEN, MEMORY_ENABLED, MEMORY_HOT_PLUGGABLE,
    MEMORY_NON_VOLATILE, SRAT_GENERIC_INITIATOR, SRAT_GENERIC_PORT, SRAT_LOCAL_APIC, SRAT_MEMORY,
    SRAT_X2APIC, X2APIC_AFFINITY_LEN,
};
pub use zones::{MovableZone, MAX_DMA32_PFN, MAX_DMA_PFN, MOVABLE_ALIGN_PAGES};

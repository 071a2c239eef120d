//! The ACPI SRAT, decoded (Linux: `struct acpi_table_srat` and its subtables in
//! `include/acpi/actbl3.h`; the entry handlers of `drivers/acpi/numa/srat.c` and
//! `arch/x86/mm/srat.c` use them).
//!
//! [`Srat::parse`] checks the header and that every entry is well formed, then
//! [`Srat::entries`] decodes them in table order without allocating. What the entries mean
//! for nodes (and when Linux refuses them) is [`NumaLayout`](super::NumaLayout)'s business.

use super::sdt::{field, u32_at, u64_at, u8_at, Sdt, Table};
use crate::error::Result;

/// SRAT entry type: processor local APIC/SAPIC affinity (Linux:
/// `ACPI_SRAT_TYPE_CPU_AFFINITY`).
pub const SRAT_LOCAL_APIC: u8 = 0;
/// SRAT entry type: memory affinity (Linux: `ACPI_SRAT_TYPE_MEMORY_AFFINITY`).
pub const SRAT_MEMORY: u8 = 1;
/// SRAT entry type: processor local x2APIC affinity (Linux:
/// `ACPI_SRAT_TYPE_X2APIC_CPU_AFFINITY`).
pub const SRAT_X2APIC: u8 = 2;
/// SRAT entry type: generic initiator affinity (Linux: `ACPI_SRAT_TYPE_GENERIC_AFFINITY`).
pub const SRAT_GENERIC_INITIATOR: u8 = 5;
/// SRAT entry type: generic port affinity (Linux: `ACPI_SRAT_TYPE_GENERIC_PORT_AFFINITY`).
pub const SRAT_GENERIC_PORT: u8 = 6;

/// The size of a local APIC affinity entry, which Linux requires exactly.
pub const LOCAL_APIC_AFFINITY_LEN: usize = 16;
/// The size of an x2APIC affinity entry, which Linux requires at least.
pub const X2APIC_AFFINITY_LEN: usize = 24;
/// The size of a memory affinity entry, which Linux requires at least.
pub const MEMORY_AFFINITY_LEN: usize = 40;
/// The size of a generic initiator or generic port affinity entry.
pub const GENERIC_AFFINITY_LEN: usize = 32;

/// Memory affinity flag: the entry is in use (Linux: `ACPI_SRAT_MEM_ENABLED`).
pub const MEMORY_ENABLED: u32 = 1;
/// Memory affinity flag: the range may be hot-removed (Linux: `ACPI_SRAT_MEM_HOT_PLUGGABLE`).
pub const MEMORY_HOT_PLUGGABLE: u32 = 1 << 1;
/// Memory affinity flag: the range is non-volatile (Linux: `ACPI_SRAT_MEM_NON_VOLATILE`).
pub const MEMORY_NON_VOLATILE: u32 = 1 << 2;

/// A checked SRAT.
///
/// # Examples
/// ```
/// use mempolicy::firmware::{Srat, SratEntry, Table};
/// use mempolicy::Error;
/// // A table too short for its header is refused with the table and the offset.
/// let err = Srat::parse(b"SRAT").unwrap_err();
/// assert!(matches!(err, Error::FirmwareTable { table: Table::Srat, offset: 4, .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Srat<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Srat<'a> {
    /// Checks `bytes` as an SRAT: the header (see [`Sdt::parse`]) and the entry walk (no entry
    /// of length 0, shorter than 2 bytes or running past the table).
    ///
    /// # Errors
    /// [`Error::FirmwareTable`](crate::Error::FirmwareTable) naming [`Table::Srat`] and the
    /// offset of the header field or entry at fault.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let sdt = Sdt::parse(Table::Srat, bytes)?;
        sdt.check_entries()?;
        Ok(Self { sdt })
    }

    /// Returns the checked header.
    pub const fn sdt(&self) -> &Sdt<'a> {
        &self.sdt
    }

    /// Returns the table revision, which decides how wide proximity domains are (Linux:
    /// `acpi_srat_revision`).
    pub fn revision(&self) -> u8 {
        self.sdt.revision()
    }

    /// Returns the entries in table order.
    pub fn entries(&self) -> impl Iterator<Item = SratEntry> + 'a {
        let revision = self.revision();
        self.sdt
            .entries()
            .filter_map(|entry| entry.ok())
            .map(move |entry| {
                SratEntry::decode(entry.kind as u8, entry.offset, entry.bytes, revision)
            })
    }
}

/// One SRAT entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SratEntry {
    /// Processor local APIC affinity (type 0).
    LocalApic(ApicAffinity),
    /// Processor local x2APIC affinity (type 2).
    X2Apic(ApicAffinity),
    /// Memory affinity (type 1).
    Memory(MemoryAffinity),
    /// Generic initiator affinity (type 5).
    GenericInitiator(GenericAffinity),
    /// Generic port affinity (type 6).
    GenericPort(GenericAffinity),
    /// An entry of a known type too short to hold its fields.
    Short {
        /// The entry type.
        kind: u8,
        /// Byte offset of the entry in the table.
        offset: usize,
        /// The entry's length field.
        len: usize,
    },
    /// An entry of a type this module does not read (GICC, GIC ITS, RINTC, reserved).
    Other {
        /// The entry type.
        kind: u8,
        /// Byte offset of the entry in the table.
        offset: usize,
    },
}

impl SratEntry {
    /// Decodes one entry of an SRAT of `revision`.
    fn decode(kind: u8, offset: usize, bytes: &[u8], revision: u8) -> Self {
        let len = bytes.len();
        let short = SratEntry::Short { kind, offset, len };
        match kind {
            SRAT_LOCAL_APIC if len >= LOCAL_APIC_AFFINITY_LEN => {
                // Revision 2 added the high three bytes of the domain (Linux reads them as a
                // u32 shifted left by 8, which drops the fourth byte).
                let mut domain = u32::from(u8_at(bytes, 2));
                if revision >= 2 {
                    let hi: [u8; 3] = field(bytes, 9);
                    domain |= u32::from_le_bytes([0, hi[0], hi[1], hi[2]]);
                }
                SratEntry::LocalApic(ApicAffinity {
                    offset,
                    len,
                    domain,
                    apic_id: u32::from(u8_at(bytes, 3)),
                    enabled: u32_at(bytes, 4) & 1 != 0,
                })
            }
            SRAT_X2APIC if len >= X2APIC_AFFINITY_LEN => SratEntry::X2Apic(ApicAffinity {
                offset,
                len,
                domain: u32_at(bytes, 4),
                apic_id: u32_at(bytes, 8),
                enabled: u32_at(bytes, 12) & 1 != 0,
            }),
            SRAT_MEMORY if len >= MEMORY_AFFINITY_LEN => {
                let raw_domain = u32_at(bytes, 2);
                SratEntry::Memory(MemoryAffinity {
                    offset,
                    raw_domain,
                    // Before revision 2 only the low byte was the domain.
                    domain: if revision <= 1 {
                        raw_domain & 0xff
                    } else {
                        raw_domain
                    },
                    base: u64_at(bytes, 8),
                    length: u64_at(bytes, 16),
                    flags: u32_at(bytes, 28),
                })
            }
            SRAT_GENERIC_INITIATOR | SRAT_GENERIC_PORT if len >= GENERIC_AFFINITY_LEN => {
                let entry = GenericAffinity {
                    offset,
                    handle_type: u8_at(bytes, 3),
                    domain: u32_at(bytes, 4),
                    handle: field(bytes, 8),
                    enabled: u32_at(bytes, 24) & 1 != 0,
                };
                if kind == SRAT_GENERIC_INITIATOR {
                    SratEntry::GenericInitiator(entry)
                } else {
                    SratEntry::GenericPort(entry)
                }
            }
            SRAT_LOCAL_APIC
            | SRAT_X2APIC
            | SRAT_MEMORY
            | SRAT_GENERIC_INITIATOR
            | SRAT_GENERIC_PORT => short,
            _ => SratEntry::Other { kind, offset },
        }
    }

    /// Returns the entry's byte offset in the table.
    pub const fn offset(&self) -> usize {
        match self {
            Self::LocalApic(e) | Self::X2Apic(e) => e.offset,
            Self::Memory(e) => e.offset,
            Self::GenericInitiator(e) | Self::GenericPort(e) => e.offset,
            Self::Short { offset, .. } | Self::Other { offset, .. } => *offset,
        }
    }
}

/// A processor affinity entry: the proximity domain of one APIC id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ApicAffinity {
    /// Byte offset of the entry in the table.
    pub offset: usize,
    /// The entry's length field (Linux wants exactly 16 for local APIC entries).
    pub len: usize,
    /// The proximity domain as Linux reads it for this table revision.
    pub domain: u32,
    /// The (x2)APIC id.
    pub apic_id: u32,
    /// Whether the entry is enabled (flags bit 0).
    pub enabled: bool,
}

/// A memory affinity entry: the proximity domain of one physical address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryAffinity {
    /// Byte offset of the entry in the table.
    pub offset: usize,
    /// The proximity domain field, all 32 bits (what HMAT matches against).
    pub raw_domain: u32,
    /// The proximity domain as the node mapping reads it: the low byte before SRAT revision 2.
    pub domain: u32,
    /// First byte of the range.
    pub base: u64,
    /// Length of the range in bytes.
    pub length: u64,
    /// `MEMORY_*` flags.
    pub flags: u32,
}

impl MemoryAffinity {
    /// Returns whether the entry is in use.
    pub const fn enabled(&self) -> bool {
        self.flags & MEMORY_ENABLED != 0
    }

    /// Returns whether the range is hot-pluggable.
    pub const fn hotpluggable(&self) -> bool {
        self.flags & MEMORY_HOT_PLUGGABLE != 0
    }

    /// Returns whether the range is non-volatile.
    pub const fn non_volatile(&self) -> bool {
        self.flags & MEMORY_NON_VOLATILE != 0
    }

    /// Returns the end of the range as Linux computes it (`base + length`, wrapping).
    pub const fn end(&self) -> u64 {
        self.base.wrapping_add(self.length)
    }
}

/// A generic initiator or generic port affinity entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GenericAffinity {
    /// Byte offset of the entry in the table.
    pub offset: usize,
    /// Device handle type: 0 ACPI, 1 PCI.
    pub handle_type: u8,
    /// The proximity domain.
    pub domain: u32,
    /// The device handle.
    pub handle: [u8; 16],
    /// Whether the entry is enabled (flags bit 0).
    pub enabled: bool,
}

//! The ACPI HMAT, decoded (Linux: `struct acpi_table_hmat` and its subtables in
//! `include/acpi/actbl1.h`; the subtable checks of `hmat_parse_proximity_domain()`,
//! `hmat_parse_locality()` and `hmat_parse_cache()`, and `hmat_normalize()`, in
//! `drivers/acpi/numa/hmat.c`).
//!
//! [`Hmat::parse`] checks everything Linux checks before it would say "Ignoring: Invalid
//! table" about the structure (plus what Linux leaves unchecked, such as entries running past
//! the table), so that [`Hmat::entries`] decodes without failing and without allocating.
//! Which initiator is best for each memory target is
//! [`NumaLayout`](super::NumaLayout)'s business.

use super::sdt::{u16_at, u32_at, u64_at, u8_at, Sdt, Table};
use crate::error::Result;

/// HMAT entry type: memory proximity domain attributes (Linux:
/// `ACPI_HMAT_TYPE_PROXIMITY`).
pub const HMAT_PROXIMITY: u16 = 0;
/// HMAT entry type: system locality latency and bandwidth information (Linux:
/// `ACPI_HMAT_TYPE_LOCALITY`).
pub const HMAT_LOCALITY: u16 = 1;
/// HMAT entry type: memory side cache information (Linux: `ACPI_HMAT_TYPE_CACHE`).
pub const HMAT_CACHE: u16 = 2;

/// The size of a proximity domain attributes entry, which Linux requires exactly.
pub const PROXIMITY_LEN: usize = 40;
/// The size of a locality entry before its lists, which Linux requires at least.
pub const LOCALITY_LEN: usize = 32;
/// The size of a memory side cache entry before its SMBIOS handles, which Linux requires at
/// least.
pub const CACHE_LEN: usize = 32;

/// Proximity entry flag: the processor (initiator) domain is valid (Linux:
/// `ACPI_HMAT_PROCESSOR_PD_VALID`).
pub const PROCESSOR_PD_VALID: u16 = 1;
/// Proximity entry flag, revision 1 only: the memory domain is valid (Linux:
/// `ACPI_HMAT_MEMORY_PD_VALID`).
pub const MEMORY_PD_VALID: u16 = 1 << 1;

/// Locality flags: the memory hierarchy the entry describes (Linux:
/// `ACPI_HMAT_MEMORY_HIERARCHY`); 0 is memory itself, 1–3 the cache levels.
pub const MEMORY_HIERARCHY_MASK: u8 = 0x0f;

/// What a locality entry measures (Linux: `ACPI_HMAT_ACCESS_LATENCY` and the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Access latency (read and write alike).
    AccessLatency,
    /// Read latency.
    ReadLatency,
    /// Write latency.
    WriteLatency,
    /// Access bandwidth (read and write alike).
    AccessBandwidth,
    /// Read bandwidth.
    ReadBandwidth,
    /// Write bandwidth.
    WriteBandwidth,
}

impl DataType {
    /// Returns the type of data type byte `raw`, or `None` for the reserved values.
    pub const fn from_raw(raw: u8) -> Option<Self> {
        Some(match raw {
            0 => Self::AccessLatency,
            1 => Self::ReadLatency,
            2 => Self::WriteLatency,
            3 => Self::AccessBandwidth,
            4 => Self::ReadBandwidth,
            5 => Self::WriteBandwidth,
            _ => return None,
        })
    }

    /// Returns whether this is a latency (smaller is better) rather than a bandwidth.
    pub const fn is_latency(self) -> bool {
        matches!(
            self,
            Self::AccessLatency | Self::ReadLatency | Self::WriteLatency
        )
    }
}

/// A checked HMAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hmat<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Hmat<'a> {
    /// Checks `bytes` as an HMAT: the header (see [`Sdt::parse`]), the entry walk, and the
    /// length of every proximity (exactly 40 bytes), locality (32 bytes and its lists, counted
    /// without overflow) and cache (at least 32 bytes) entry.
    ///
    /// The revision is not checked here: Linux ignores an HMAT of a revision other than 1 or
    /// 2, which [`Hmat::known_revision`] tells.
    ///
    /// # Errors
    /// [`Error::FirmwareTable`](crate::Error::FirmwareTable) naming [`Table::Hmat`] and the
    /// offset of the header field or entry at fault. In every case of an entry, Linux ignores
    /// the whole table ("acpi/hmat: Ignoring: Invalid table").
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let sdt = Sdt::parse(Table::Hmat, bytes)?;
        for entry in sdt.entries() {
            let entry = entry?;
            let len = entry.bytes.len();
            let fault = |what| Err(Table::Hmat.fault(entry.offset, what));
            match entry.kind {
                HMAT_PROXIMITY if len != PROXIMITY_LEN => {
                    return fault("proximity domain entry is not 40 bytes");
                }
                HMAT_LOCALITY if len < LOCALITY_LEN => {
                    return fault("locality entry shorter than 32 bytes");
                }
                HMAT_LOCALITY if locality_size(entry.bytes).is_none_or(|need| need > len) => {
                    return fault("locality entry too short for its domain counts");
                }
                HMAT_CACHE if len < CACHE_LEN => {
                    return fault("memory side cache entry shorter than 32 bytes");
                }
                _ => {}
            }
        }
        Ok(Self { sdt })
    }

    /// Returns the checked header.
    pub const fn sdt(&self) -> &Sdt<'a> {
        &self.sdt
    }

    /// Returns the table revision: 1 (ACPI 6.2, values in tenths) or 2 (ACPI 6.3, latencies in
    /// picoseconds).
    pub fn revision(&self) -> u8 {
        self.sdt.revision()
    }

    /// Returns whether Linux reads this revision (1 or 2; otherwise "Ignoring: Unknown
    /// revision").
    pub fn known_revision(&self) -> bool {
        matches!(self.revision(), 1 | 2)
    }

    /// Returns the entries in table order.
    pub fn entries(&self) -> impl Iterator<Item = HmatEntry<'a>> + 'a {
        self.sdt
            .entries()
            .filter_map(|entry| entry.ok())
            .map(|entry| match entry.kind {
                HMAT_PROXIMITY => HmatEntry::Proximity(Proximity {
                    offset: entry.offset,
                    flags: u16_at(entry.bytes, 8),
                    processor_domain: u32_at(entry.bytes, 12),
                    memory_domain: u32_at(entry.bytes, 16),
                }),
                HMAT_LOCALITY => HmatEntry::Locality(Locality {
                    offset: entry.offset,
                    bytes: entry.bytes,
                }),
                HMAT_CACHE => HmatEntry::Cache {
                    offset: entry.offset,
                    memory_domain: u32_at(entry.bytes, 8),
                },
                kind => HmatEntry::Other {
                    kind,
                    offset: entry.offset,
                },
            })
    }
}

/// Returns the size a locality entry needs for its counts, or `None` if it overflows.
fn locality_size(bytes: &[u8]) -> Option<usize> {
    let initiators = u64::from(u32_at(bytes, 12));
    let targets = u64::from(u32_at(bytes, 16));
    let lists = initiators.checked_add(targets)?.checked_mul(4)?;
    let cells = initiators.checked_mul(targets)?.checked_mul(2)?;
    let total = (LOCALITY_LEN as u64)
        .checked_add(lists)?
        .checked_add(cells)?;
    usize::try_from(total).ok()
}

/// One HMAT entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HmatEntry<'a> {
    /// Memory proximity domain attributes (type 0).
    Proximity(Proximity),
    /// System locality latency and bandwidth information (type 1).
    Locality(Locality<'a>),
    /// Memory side cache information (type 2); only its domain is decoded.
    Cache {
        /// Byte offset of the entry in the table.
        offset: usize,
        /// The memory proximity domain the cache is in front of.
        memory_domain: u32,
    },
    /// A reserved entry type, which Linux skips.
    Other {
        /// The entry type.
        kind: u16,
        /// Byte offset of the entry in the table.
        offset: usize,
    },
}

/// A memory proximity domain attributes entry: which initiator domain is attached to a
/// memory domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proximity {
    /// Byte offset of the entry in the table.
    pub offset: usize,
    /// [`PROCESSOR_PD_VALID`], [`MEMORY_PD_VALID`] (revision 1) and reserved bits.
    pub flags: u16,
    /// The attached initiator domain, if [`PROCESSOR_PD_VALID`].
    pub processor_domain: u32,
    /// The memory domain.
    pub memory_domain: u32,
}

/// A system locality latency and bandwidth entry: an initiators × targets matrix of values in
/// units of [`Locality::base_unit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locality<'a> {
    offset: usize,
    /// The whole entry; [`Hmat::parse`] checked that the lists and matrix fit.
    bytes: &'a [u8],
}

impl<'a> Locality<'a> {
    /// Returns the entry's byte offset in the table.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Returns the flags byte: the memory hierarchy in the low four bits.
    pub fn flags(&self) -> u8 {
        u8_at(self.bytes, 8)
    }

    /// Returns the memory hierarchy: 0 for memory, 1–3 for the cache levels.
    pub fn hierarchy(&self) -> u8 {
        self.flags() & MEMORY_HIERARCHY_MASK
    }

    /// Returns the raw data type byte (see [`DataType::from_raw`]).
    pub fn data_type_raw(&self) -> u8 {
        u8_at(self.bytes, 9)
    }

    /// Returns the data type, or `None` for a reserved value.
    pub fn data_type(&self) -> Option<DataType> {
        DataType::from_raw(self.data_type_raw())
    }

    /// Returns the number of initiator domains.
    pub fn initiator_count(&self) -> usize {
        u32_at(self.bytes, 12) as usize
    }

    /// Returns the number of target domains.
    pub fn target_count(&self) -> usize {
        u32_at(self.bytes, 16) as usize
    }

    /// Returns the entry base unit the matrix values are multiplied by.
    pub fn base_unit(&self) -> u64 {
        u64_at(self.bytes, 24)
    }

    /// Returns the initiator domains, in list order.
    pub fn initiators(&self) -> impl Iterator<Item = u32> + 'a {
        let bytes = self.bytes;
        (0..self.initiator_count()).map(move |i| u32_at(bytes, LOCALITY_LEN + 4 * i))
    }

    /// Returns the target domains, in list order.
    pub fn targets(&self) -> impl Iterator<Item = u32> + 'a {
        let bytes = self.bytes;
        let start = LOCALITY_LEN + 4 * self.initiator_count();
        (0..self.target_count()).map(move |t| u32_at(bytes, start + 4 * t))
    }

    /// Returns the raw matrix value for the `initiator`-th and `target`-th list positions, or
    /// 0 outside the matrix.
    pub fn raw(&self, initiator: usize, target: usize) -> u16 {
        let (ni, nt) = (self.initiator_count(), self.target_count());
        if initiator >= ni || target >= nt {
            return 0;
        }
        let start = LOCALITY_LEN + 4 * (ni + nt);
        u16_at(self.bytes, start + 2 * (initiator * nt + target))
    }

    /// Returns the value for the `initiator`-th and `target`-th positions in MB/s or ns, as
    /// Linux normalizes it for an HMAT of `revision` (see [`normalize`]).
    pub fn value(&self, initiator: usize, target: usize, revision: u8) -> u32 {
        normalize(
            self.raw(initiator, target),
            self.base_unit(),
            self.data_type_raw(),
            revision,
        )
    }
}

/// Turns a raw matrix value into MB/s or nanoseconds (Linux: `hmat_normalize()`): 0 and
/// 0xffff mean "no value" (0), as does a product with the base unit that overflows 32 bits;
/// revision 1 values are in tenths (rounded up, below 10 is 0); revision 2 latencies are in
/// picoseconds (rounded up to nanoseconds). The roundings wrap near `u32::MAX` as Linux's
/// `DIV_ROUND_UP` does.
pub fn normalize(entry: u16, base: u64, data_type: u8, revision: u8) -> u32 {
    if entry == 0 || entry == 0xffff || base > u64::from(u32::MAX / u32::from(entry)) {
        return 0;
    }
    // At most u32::MAX by the check above.
    let value = (u64::from(entry) * base) as u32;
    match revision {
        1 if value < 10 => 0,
        1 => value.wrapping_add(9) / 10,
        2 if DataType::from_raw(data_type).is_some_and(DataType::is_latency) => {
            value.wrapping_add(999) / 1000
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_follows_linux() {
        // QEMU's f01 tables: latency 8 × 10000 ps = 80 ns; bandwidth 12500 × 8 MB/s.
        assert_eq!(normalize(8, 10_000, 0, 2), 80);
        assert_eq!(normalize(12_500, 8, 3, 2), 100_000);
        assert_eq!(normalize(0, 8, 3, 2), 0);
        assert_eq!(normalize(0xffff, 8, 3, 2), 0);
        assert_eq!(normalize(2, u64::from(u32::MAX), 3, 2), 0);
        assert_eq!(normalize(1, u64::from(u32::MAX), 3, 2), u32::MAX);
        // Revision 1: tenths, below 10 is nothing.
        assert_eq!(normalize(9, 1, 3, 1), 0);
        assert_eq!(normalize(11, 1, 3, 1), 2);
        // DIV_ROUND_UP wraps near the top, as in Linux.
        assert_eq!(normalize(1, u64::from(u32::MAX), 0, 2), 998 / 1000);
        assert_eq!(normalize(1, u64::from(u32::MAX), 0, 1), 8 / 10);
    }
}

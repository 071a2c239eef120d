//! The ACPI table header every table starts with, its checks, and the walk over a table's
//! entries (Linux: `struct acpi_table_header`, ACPICA's `acpi_tb_checksum()`,
//! `acpi_parse_entries_array()` in `lib/fw_table.c`).
//!
//! Everything here reads a borrowed byte slice with bounds-checked accessors; nothing
//! allocates.

use crate::error::{Error, Result};

/// The size of the header every ACPI system description table starts with (Linux:
/// `sizeof(struct acpi_table_header)`).
pub const HEADER_LEN: usize = 36;

/// The firmware tables this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// System Resource Affinity Table: which CPUs and memory belong to which proximity domain.
    Srat,
    /// System Locality Information Table: the distances between proximity domains.
    Slit,
    /// Heterogeneous Memory Attribute Table: latency and bandwidth between domains.
    Hmat,
    /// Multiple APIC Description Table, signature `APIC`: the CPUs and their APIC ids.
    Madt,
}

impl Table {
    /// Returns the four-byte signature the table starts with (`APIC` for the MADT).
    pub const fn signature(self) -> [u8; 4] {
        match self {
            Self::Srat => *b"SRAT",
            Self::Slit => *b"SLIT",
            Self::Hmat => *b"HMAT",
            Self::Madt => *b"APIC",
        }
    }

    /// Returns the table's usual name (`"SRAT"`, `"SLIT"`, `"HMAT"`, `"MADT"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Srat => "SRAT",
            Self::Slit => "SLIT",
            Self::Hmat => "HMAT",
            Self::Madt => "MADT",
        }
    }

    /// Returns the size of the table's fixed part, header included, where its entries (or the
    /// SLIT matrix) start (Linux: `sizeof(struct acpi_table_srat)` and so on).
    pub const fn fixed_len(self) -> usize {
        match self {
            // Header, a reserved u32 (1 for backward compatibility) and a reserved u64.
            Self::Srat => HEADER_LEN + 12,
            // Header and the u64 locality count.
            Self::Slit => HEADER_LEN + 8,
            // Header and a reserved u32.
            Self::Hmat => HEADER_LEN + 4,
            // Header, the local APIC address and the flags.
            Self::Madt => HEADER_LEN + 8,
        }
    }

    /// Returns the size of an entry header: 2 (`type`, `length` bytes) for SRAT and MADT, 8
    /// (`u16` type, reserved, `u32` length) for HMAT, 0 for the SLIT, which has no entries.
    pub(crate) const fn entry_header_len(self) -> usize {
        match self {
            Self::Srat | Self::Madt => 2,
            Self::Hmat => 8,
            Self::Slit => 0,
        }
    }

    /// Returns the error for a fault at `offset` of this table.
    pub(crate) const fn fault(self, offset: usize, what: &'static str) -> Error {
        Error::FirmwareTable {
            table: self,
            offset,
            what,
        }
    }
}

/// Returns the `N` bytes at `offset`, or zeros where `bytes` ends first. Callers read fields
/// they have checked to be present; the zeros only keep the accessors total.
pub(crate) fn field<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(src) = offset.checked_add(N).and_then(|end| bytes.get(offset..end)) {
        out.copy_from_slice(src);
    }
    out
}

/// Reads the byte at `offset` (0 past the end).
pub(crate) fn u8_at(bytes: &[u8], offset: usize) -> u8 {
    bytes.get(offset).copied().unwrap_or(0)
}

/// Reads the little-endian `u16` at `offset`.
pub(crate) fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes(field(bytes, offset))
}

/// Reads the little-endian `u32` at `offset`.
pub(crate) fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(field(bytes, offset))
}

/// Reads the little-endian `u64` at `offset`.
pub(crate) fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(field(bytes, offset))
}

/// A table whose header passed the checks: right signature, a length field that covers the
/// fixed part and fits in the bytes given, and a checksum that sums to zero.
///
/// Only the first `length` bytes are kept: a kernel may pass a whole mapped page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sdt<'a> {
    table: Table,
    bytes: &'a [u8],
}

impl<'a> Sdt<'a> {
    /// Checks the header of `bytes` as a `table` (Linux: what ACPICA checks when it installs
    /// a table, with a bad checksum an error here where ACPICA only warns).
    ///
    /// # Errors
    /// [`Error::FirmwareTable`] with the offset of the first problem: the slice's length if it
    /// is shorter than the 36-byte header, 0 for a wrong signature, 4 for a length field below
    /// the table's fixed part, the slice's length if the length field runs past it, 9 for a
    /// checksum that does not sum to zero.
    pub fn parse(table: Table, bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < HEADER_LEN {
            return Err(table.fault(bytes.len(), "shorter than the 36-byte table header"));
        }
        if field::<4>(bytes, 0) != table.signature() {
            return Err(table.fault(0, "wrong signature"));
        }
        let length = u32_at(bytes, 4) as usize;
        if length < table.fixed_len() {
            return Err(table.fault(4, "length field shorter than the table's fixed part"));
        }
        let Some(bytes) = bytes.get(..length) else {
            return Err(table.fault(bytes.len(), "cut short of its length field"));
        };
        if bytes.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) != 0 {
            return Err(table.fault(9, "checksum does not sum to zero"));
        }
        Ok(Self { table, bytes })
    }

    /// Returns which table this is.
    pub const fn table(&self) -> Table {
        self.table
    }

    /// Returns the table's bytes, exactly its length field long.
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Returns the table's revision (header byte 8).
    pub fn revision(&self) -> u8 {
        u8_at(self.bytes, 8)
    }

    /// Returns the OEM id (header bytes 10–15).
    pub fn oem_id(&self) -> [u8; 6] {
        field(self.bytes, 10)
    }

    /// Returns the OEM table id (header bytes 16–23).
    pub fn oem_table_id(&self) -> [u8; 8] {
        field(self.bytes, 16)
    }

    /// Walks the entries after the fixed part (SRAT, MADT, HMAT).
    pub(crate) fn entries(&self) -> Entries<'a> {
        Entries {
            table: self.table,
            bytes: self.bytes,
            offset: self.table.fixed_len(),
        }
    }

    /// Checks that every entry is well formed (see [`Entries`]).
    pub(crate) fn check_entries(&self) -> Result<()> {
        self.entries().try_for_each(|entry| entry.map(drop))
    }
}

/// One entry of a table: where it starts, its type and its bytes (exactly its length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry<'a> {
    /// Byte offset of the entry in the table.
    pub(crate) offset: usize,
    /// The entry type.
    pub(crate) kind: u16,
    /// The entry, its header included.
    pub(crate) bytes: &'a [u8],
}

/// The walk over a table's entries (Linux: the loop of `acpi_parse_entries_array()`).
///
/// As in Linux the walk goes on while an entry header starts and ends before the end of the
/// table, so up to a header's worth of trailing bytes is ignored. An entry of length 0 is an
/// error, as in Linux ("Invalid zero length"). Stricter than Linux, which leaves such entries
/// to the code that reads them: an entry shorter than its own header, or running past the end
/// of the table, is an error. After the first error the walk stops.
#[derive(Clone, Debug)]
pub(crate) struct Entries<'a> {
    table: Table,
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RawEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let header = self.table.entry_header_len();
        let offset = self.offset;
        if header == 0 || offset.saturating_add(header) >= self.bytes.len() {
            return None;
        }
        let (kind, length) = match self.table {
            Table::Hmat => (
                u16_at(self.bytes, offset),
                u32_at(self.bytes, offset + 4) as usize,
            ),
            _ => (
                u16::from(u8_at(self.bytes, offset)),
                usize::from(u8_at(self.bytes, offset + 1)),
            ),
        };
        // Any error ends the walk.
        self.offset = self.bytes.len();
        if length == 0 {
            return Some(Err(self.table.fault(offset, "entry of length 0")));
        }
        if length < header {
            return Some(Err(self
                .table
                .fault(offset, "entry shorter than its header")));
        }
        let Some(bytes) = offset
            .checked_add(length)
            .and_then(|end| self.bytes.get(offset..end))
        else {
            return Some(Err(self
                .table
                .fault(offset, "entry runs past the end of the table")));
        };
        self.offset = offset + length;
        Some(Ok(RawEntry {
            offset,
            kind,
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A table of `table` with `body` after the fixed part, length and checksum fixed up.
    fn table(table: Table, body: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&table.signature());
        t.resize(table.fixed_len(), 0);
        t.extend_from_slice(body);
        let len = t.len() as u32;
        t[4..8].copy_from_slice(&len.to_le_bytes());
        t[8] = 1;
        let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
        t[9] = 0u8.wrapping_sub(sum);
        t
    }

    #[test]
    fn header_checks_name_the_offset() {
        let good = table(Table::Madt, &[0, 8, 0, 0, 1, 0, 0, 0]);
        assert!(Sdt::parse(Table::Madt, &good).is_ok());
        let fault = |b: &[u8]| match Sdt::parse(Table::Madt, b) {
            Err(Error::FirmwareTable { table, offset, .. }) => (table, offset),
            other => panic!("{other:?}"),
        };
        assert_eq!(fault(&good[..20]), (Table::Madt, 20));
        assert_eq!(
            fault(&good[..good.len() - 1]),
            (Table::Madt, good.len() - 1)
        );
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(fault(&bad), (Table::Madt, 0));
        let mut bad = good.clone();
        bad[20] ^= 1;
        assert_eq!(fault(&bad), (Table::Madt, 9));
        let mut bad = good.clone();
        bad[4] = 40;
        assert_eq!(fault(&bad), (Table::Madt, 4));
        // Bytes past the length field are ignored.
        let mut long = good.clone();
        long.extend_from_slice(&[0xff; 7]);
        assert_eq!(Sdt::parse(Table::Madt, &long).unwrap().bytes(), &good[..]);
    }

    #[test]
    fn the_walk_ignores_a_header_of_trailing_bytes_and_stops_at_bad_entries() {
        let t = table(Table::Madt, &[0, 8, 0, 0, 1, 0, 0, 0, 0xaa, 0xbb]);
        let sdt = Sdt::parse(Table::Madt, &t).unwrap();
        let entries: Vec<_> = sdt.entries().collect::<Result<_>>().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].offset, 44);
        let t = table(Table::Madt, &[0, 8, 0, 0, 1, 0, 0, 0, 9, 0, 7]);
        let sdt = Sdt::parse(Table::Madt, &t).unwrap();
        assert_eq!(
            sdt.check_entries(),
            Err(Table::Madt.fault(52, "entry of length 0"))
        );
        let t = table(Table::Madt, &[0, 9, 0, 0, 1, 0, 0, 0]);
        let sdt = Sdt::parse(Table::Madt, &t).unwrap();
        assert_eq!(
            sdt.check_entries(),
            Err(Table::Madt.fault(44, "entry runs past the end of the table"))
        );
    }
}

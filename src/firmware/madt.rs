//! The ACPI MADT (signature `APIC`), decoded for its processors (Linux: `struct
//! acpi_table_madt`, `struct acpi_madt_local_apic`, `struct acpi_madt_local_x2apic`; the checks
//! of `BAD_MADT_ENTRY` in `arch/x86/kernel/acpi/boot.c`).
//!
//! Only the processor entries are decoded; the I/O APIC, interrupt override and NMI entries
//! are walked over. How the processors become logical CPU numbers is
//! [`NumaLayout`](super::NumaLayout)'s business (Linux: `acpi_parse_madt_lapic_entries()`,
//! `topology_register_apic()`).

use super::sdt::{u32_at, u8_at, Sdt, Table};
use crate::error::Result;

/// MADT entry type: processor local APIC (Linux: `ACPI_MADT_TYPE_LOCAL_APIC`).
pub const MADT_LOCAL_APIC: u8 = 0;
/// MADT entry type: processor local x2APIC (Linux: `ACPI_MADT_TYPE_LOCAL_X2APIC`).
pub const MADT_X2APIC: u8 = 9;
/// The size of a local APIC entry.
pub const LOCAL_APIC_LEN: usize = 8;
/// The size of a local x2APIC entry.
pub const X2APIC_LEN: usize = 16;

/// Processor flag: the processor is usable now (Linux: `ACPI_MADT_ENABLED`).
pub const PROCESSOR_ENABLED: u32 = 1;
/// Processor flag, MADT revision 5 and later: a disabled processor can be brought online
/// (Linux: `ACPI_MADT_ONLINE_CAPABLE`).
pub const PROCESSOR_ONLINE_CAPABLE: u32 = 1 << 1;

/// A checked MADT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Madt<'a> {
    sdt: Sdt<'a>,
}

impl<'a> Madt<'a> {
    /// Checks `bytes` as a MADT: the header (see [`Sdt::parse`]), the entry walk, and that
    /// every local APIC entry has 8 bytes and every x2APIC entry 16.
    ///
    /// # Errors
    /// [`Error::FirmwareTable`](crate::Error::FirmwareTable) naming [`Table::Madt`] and the
    /// offset of the header field or entry at fault. Linux answers a short processor entry
    /// with "Invalid BIOS MADT, disabling ACPI".
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let sdt = Sdt::parse(Table::Madt, bytes)?;
        for entry in sdt.entries() {
            let entry = entry?;
            let short = match entry.kind as u8 {
                MADT_LOCAL_APIC => entry.bytes.len() < LOCAL_APIC_LEN,
                MADT_X2APIC => entry.bytes.len() < X2APIC_LEN,
                _ => false,
            };
            if short {
                return Err(Table::Madt.fault(entry.offset, "processor entry too short"));
            }
        }
        Ok(Self { sdt })
    }

    /// Returns the checked header.
    pub const fn sdt(&self) -> &Sdt<'a> {
        &self.sdt
    }

    /// Returns the table revision (5 and later know the online-capable flag).
    pub fn revision(&self) -> u8 {
        self.sdt.revision()
    }

    /// Returns the physical address of the local APIC (bytes 36–39).
    pub fn local_apic_address(&self) -> u32 {
        u32_at(self.sdt.bytes(), 36)
    }

    /// Returns the processor entries (local APIC and x2APIC) in table order.
    pub fn processors(&self) -> impl Iterator<Item = MadtProcessor> + 'a {
        self.sdt
            .entries()
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| match entry.kind as u8 {
                MADT_LOCAL_APIC => Some(MadtProcessor {
                    offset: entry.offset,
                    x2apic: false,
                    uid: u32::from(u8_at(entry.bytes, 2)),
                    apic_id: u32::from(u8_at(entry.bytes, 3)),
                    flags: u32_at(entry.bytes, 4),
                }),
                MADT_X2APIC => Some(MadtProcessor {
                    offset: entry.offset,
                    x2apic: true,
                    apic_id: u32_at(entry.bytes, 4),
                    flags: u32_at(entry.bytes, 8),
                    uid: u32_at(entry.bytes, 12),
                }),
                _ => None,
            })
    }
}

/// A processor entry of the MADT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MadtProcessor {
    /// Byte offset of the entry in the table.
    pub offset: usize,
    /// Whether this is an x2APIC entry (type 9) rather than a local APIC entry (type 0).
    pub x2apic: bool,
    /// The ACPI processor UID (one byte for local APIC entries).
    pub uid: u32,
    /// The (x2)APIC id (one byte for local APIC entries; 0xff / 0xffffffff mean "none").
    pub apic_id: u32,
    /// [`PROCESSOR_ENABLED`], [`PROCESSOR_ONLINE_CAPABLE`] and reserved bits.
    pub flags: u32,
}

impl MadtProcessor {
    /// Returns whether the processor is usable now.
    pub const fn enabled(&self) -> bool {
        self.flags & PROCESSOR_ENABLED != 0
    }

    /// Returns whether the entry names no processor (APIC id 0xff, x2APIC id 0xffffffff).
    pub const fn is_invalid_id(&self) -> bool {
        if self.x2apic {
            self.apic_id == u32::MAX
        } else {
            self.apic_id == 0xff
        }
    }
}

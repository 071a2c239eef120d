//! Finding the ACPI tables: the RSDP, then the RSDT or XSDT, then every table it lists, each
//! handed out as a checksummed `&'static [u8]`.
//!
//! The byte slices are what a parser wants (the crate's, in [`crate::layout`]); the kernel
//! keeps their memory out of the heap and the frame pools ([`AcpiTables::ranges`]), so the
//! slices stay valid for good.
//!
//! * The RSDP ("RSD PTR ", ACPI 6.5 §5.2.5): PVH passes its address; under Multiboot it is
//!   found by scanning the first KiB of the EBDA and the BIOS area 0xE0000-0xFFFFF on 16-byte
//!   boundaries.
//! * Revision 2 and later point to the XSDT (64-bit entries), older ones to the RSDT (32-bit).
//! * Every table starts with the 36-byte header: signature, length, revision, checksum; all
//!   its bytes add up to 0 modulo 256.

use crate::boot_info::BootInfo;
use crate::phys::{self, u16_at, u32_at, u64_at, u8_at, PhysRange};
use alloc::vec::Vec;

const RSDP_SIGNATURE: &[u8; 8] = b"RSD PTR ";
const RSDP_V1_LEN: usize = 20;
const RSDP_V2_LEN: usize = 36;
const HEADER_LEN: usize = 36;
/// Tables larger than this are taken as corrupt.
const MAX_TABLE_LEN: usize = 1 << 20;

/// One table from the RSDT/XSDT.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// The four-byte signature, e.g. `*b"SRAT"`.
    pub signature: [u8; 4],
    /// Where the table is.
    pub addr: u64,
    /// The whole table, header included.
    pub bytes: &'static [u8],
    /// Whether its bytes sum to zero.
    pub checksum_ok: bool,
}

impl Table {
    /// The signature as text (`"????"` if it is not ASCII).
    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or("????")
    }
}

/// The tables the firmware published.
#[derive(Debug)]
pub struct AcpiTables {
    /// Where the RSDP was found.
    pub rsdp_addr: u64,
    /// The RSDP's revision (0 for ACPI 1.0, 2 for later).
    pub revision: u8,
    /// The RSDT or XSDT itself.
    pub root: Table,
    /// Every table the root lists, in its order, including those with a bad checksum.
    pub tables: Vec<Table>,
}

/// Why the tables could not be found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcpiError {
    /// No RSDP with a valid checksum.
    NoRsdp,
    /// The RSDT/XSDT is unreadable or fails its checksum.
    BadRoot,
}

/// The first table with `signature` and a valid checksum.
impl AcpiTables {
    /// The bytes of the first table with `signature` whose checksum holds.
    pub fn find(&self, signature: &[u8; 4]) -> Option<&'static [u8]> {
        self.tables
            .iter()
            .find(|t| &t.signature == signature && t.checksum_ok)
            .map(|t| t.bytes)
    }

    /// The physical ranges of the RSDP, the root table and every table: memory the kernel must
    /// never hand out.
    pub fn ranges(&self) -> impl Iterator<Item = PhysRange> + '_ {
        let rsdp = PhysRange::sized(self.rsdp_addr, RSDP_V2_LEN as u64);
        core::iter::once(rsdp).chain(
            core::iter::once(&self.root)
                .chain(&self.tables)
                .map(|t| PhysRange::sized(t.addr, t.bytes.len() as u64)),
        )
    }
}

/// Whether `bytes` sum to zero modulo 256 (the ACPI checksum rule).
pub fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |sum, &b| sum.wrapping_add(b)) == 0
}

/// Finds the RSDP: from the loader if it passed one, else by scanning the BIOS areas.
pub fn find_rsdp(boot: &BootInfo) -> Option<u64> {
    if let Some(addr) = boot.rsdp.filter(|&a| rsdp_at(a).is_some()) {
        return Some(addr);
    }
    // SAFETY: the BIOS data area word at 0x40E (the EBDA segment) is firmware data nobody
    // writes while the kernel runs.
    let ebda = unsafe { phys::bytes(0x40E, 2) }
        .and_then(|b| u16_at(b, 0))
        .map(|seg| u64::from(seg) << 4);
    let areas = ebda
        .map(|base| PhysRange::sized(base, 1024))
        .into_iter()
        .chain([PhysRange::new(0xE0000, 0x10_0000)]);
    for area in areas {
        let mut addr = (area.start + 15) & !15;
        while addr + RSDP_V1_LEN as u64 <= area.end {
            if rsdp_at(addr).is_some() {
                return Some(addr);
            }
            addr += 16;
        }
    }
    None
}

/// The RSDP at `addr`, if there is a valid one.
fn rsdp_at(addr: u64) -> Option<&'static [u8]> {
    // SAFETY: the RSDP candidates are firmware memory (BIOS area or the loader's pointer into
    // it), which nothing writes; the kernel keeps that memory out of its pools.
    let head = unsafe { phys::bytes(addr, RSDP_V1_LEN) }?;
    if head.get(..8)? != RSDP_SIGNATURE || !checksum_ok(head) {
        return None;
    }
    if u8_at(head, 15)? < 2 {
        return Some(head);
    }
    // SAFETY: as above, now for the 36 bytes of a version-2 RSDP.
    let full = unsafe { phys::bytes(addr, RSDP_V2_LEN) }?;
    checksum_ok(full).then_some(full)
}

/// Reads the table at `addr`: its header for the length, then the whole table.
fn table_at(addr: u64) -> Option<Table> {
    // SAFETY: ACPI tables live in memory the firmware marks reserved or ACPI; the kernel
    // keeps every table's range out of its heap and pools, and nothing writes them.
    let header = unsafe { phys::bytes(addr, HEADER_LEN) }?;
    let len = u32_at(header, 4)? as usize;
    if !(HEADER_LEN..=MAX_TABLE_LEN).contains(&len) {
        return None;
    }
    // SAFETY: as above, for the length the header gives.
    let bytes = unsafe { phys::bytes(addr, len) }?;
    let signature = bytes.get(..4)?.try_into().ok()?;
    Some(Table {
        signature,
        addr,
        bytes,
        checksum_ok: checksum_ok(bytes),
    })
}

/// Walks the RSDT/XSDT that the RSDP at `rsdp_addr` points to.
///
/// # Errors
/// [`AcpiError`] if there is no valid RSDP there or its root table is unreadable.
pub fn load(rsdp_addr: u64) -> Result<AcpiTables, AcpiError> {
    let rsdp = rsdp_at(rsdp_addr).ok_or(AcpiError::NoRsdp)?;
    let revision = u8_at(rsdp, 15).ok_or(AcpiError::NoRsdp)?;
    let xsdt = if revision >= 2 {
        u64_at(rsdp, 24).filter(|&a| a != 0)
    } else {
        None
    };
    let (root_addr, entry_len) = match xsdt {
        Some(addr) => (addr, 8),
        None => (u64::from(u32_at(rsdp, 16).ok_or(AcpiError::NoRsdp)?), 4),
    };
    let root = table_at(root_addr)
        .filter(|t| t.checksum_ok)
        .ok_or(AcpiError::BadRoot)?;
    let entries = root.bytes.get(HEADER_LEN..).unwrap_or(&[]);
    let tables = entries
        .chunks_exact(entry_len)
        .filter_map(|e| {
            if entry_len == 8 {
                u64_at(e, 0)
            } else {
                u32_at(e, 0).map(u64::from)
            }
        })
        .filter_map(table_at)
        .collect();
    Ok(AcpiTables {
        rsdp_addr,
        revision,
        root,
        tables,
    })
}

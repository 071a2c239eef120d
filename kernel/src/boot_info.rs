//! What the loader tells the kernel: the physical memory map and, with PVH, where the ACPI
//! RSDP is. Both protocols are reduced to one [`BootInfo`], copied out of the loader's
//! structures so that their memory can be reused.
//!
//! * Multiboot v1: the information structure's `mmap_addr`/`mmap_length` (flag bit 6) point
//!   to entries of `size, base_addr, length, type`, where `size` excludes itself.
//! * PVH: `hvm_start_info` (magic `0x336ec578`) gives `rsdp_paddr` and, from version 1 on,
//!   `memmap_paddr`/`memmap_entries`, an array of E820-style entries of 24 bytes.
//!
//! Both carry E820 types: 1 usable RAM, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS,
//! 5 unusable.

use crate::arch::boot::{ENTERED_BY_MULTIBOOT, ENTERED_BY_PVH};
use crate::phys::{self, u32_at, u64_at, PhysRange};
use core::fmt;

/// The boot protocol the kernel was entered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Multiboot v1 (QEMU's built-in loader).
    Multiboot,
    /// The PVH direct boot ABI (QEMU's `pvh.bin` option ROM).
    Pvh,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Multiboot => "multiboot",
            Protocol::Pvh => "pvh",
        })
    }
}

/// What a range of the memory map holds (the E820 type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// RAM the kernel may use (type 1).
    Usable,
    /// ACPI tables the OS may reclaim once it has read them (type 3).
    AcpiReclaimable,
    /// Anything else: reserved, ACPI NVS, unusable, unknown.
    Reserved(u32),
}

/// One range of the boot memory map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// The addresses.
    pub range: PhysRange,
    /// What they hold.
    pub kind: MemoryKind,
}

/// The most memory-map entries kept; QEMU's maps have fewer than ten.
pub const MAX_REGIONS: usize = 64;

/// Everything the kernel keeps from the loader.
#[derive(Debug)]
pub struct BootInfo {
    /// How the kernel was entered.
    pub protocol: Protocol,
    /// The memory map, sorted by address.
    pub memory: heapless::Vec<MemoryRegion, MAX_REGIONS>,
    /// The RSDP's physical address, if the loader passed it (PVH does).
    pub rsdp: Option<u64>,
}

/// Why the loader's information could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The entry code passed an unknown protocol number.
    UnknownProtocol(u32),
    /// The structure is not where the loader said, or has the wrong magic.
    BadStructure(&'static str),
    /// The loader passed no memory map.
    NoMemoryMap,
}

const PVH_MAGIC: u32 = 0x336e_c578;
const MULTIBOOT_INFO_SIZE: usize = 52;
const MULTIBOOT_FLAG_MMAP: u32 = 1 << 6;
const PVH_START_INFO_SIZE: usize = 56;
const PVH_MEMMAP_ENTRY_SIZE: usize = 24;

/// Reads the loader's information structure at `info_addr`.
///
/// # Errors
/// [`BootInfoError`] if the structure or its memory map cannot be read.
pub fn parse(entered_by: u32, info_addr: u32) -> Result<BootInfo, BootInfoError> {
    match entered_by {
        ENTERED_BY_MULTIBOOT => parse_multiboot(u64::from(info_addr)),
        ENTERED_BY_PVH => parse_pvh(u64::from(info_addr)),
        other => Err(BootInfoError::UnknownProtocol(other)),
    }
}

fn parse_multiboot(addr: u64) -> Result<BootInfo, BootInfoError> {
    let bad = BootInfoError::BadStructure("multiboot information");
    // SAFETY: the loader's structures lie outside the kernel image, heap and frame pools
    // until `parse` returns, and are only read here.
    let info = unsafe { phys::bytes(addr, MULTIBOOT_INFO_SIZE) }.ok_or(bad)?;
    let flags = u32_at(info, 0).ok_or(bad)?;
    if flags & MULTIBOOT_FLAG_MMAP == 0 {
        return Err(BootInfoError::NoMemoryMap);
    }
    let length = u32_at(info, 44).ok_or(bad)? as usize;
    let map_addr = u64::from(u32_at(info, 48).ok_or(bad)?);
    // SAFETY: as above; the map is copied into `BootInfo` before anything reuses its memory.
    let map = unsafe { phys::bytes(map_addr, length) }.ok_or(bad)?;
    let mut memory = heapless::Vec::new();
    let mut at = 0;
    while let (Some(size), Some(base), Some(len), Some(kind)) = (
        u32_at(map, at),
        u64_at(map, at + 4),
        u64_at(map, at + 12),
        u32_at(map, at + 20),
    ) {
        push_region(&mut memory, base, len, kind);
        at += size as usize + 4;
    }
    Ok(finish(Protocol::Multiboot, memory, None))
}

fn parse_pvh(addr: u64) -> Result<BootInfo, BootInfoError> {
    let bad = BootInfoError::BadStructure("hvm_start_info");
    // SAFETY: as in `parse_multiboot`.
    let info = unsafe { phys::bytes(addr, PVH_START_INFO_SIZE) }.ok_or(bad)?;
    if u32_at(info, 0) != Some(PVH_MAGIC) {
        return Err(bad);
    }
    let version = u32_at(info, 4).ok_or(bad)?;
    let rsdp = u64_at(info, 32).filter(|&a| a != 0);
    if version < 1 {
        return Err(BootInfoError::NoMemoryMap);
    }
    let map_addr = u64_at(info, 40).ok_or(bad)?;
    let entries = u32_at(info, 48).ok_or(bad)? as usize;
    // SAFETY: as in `parse_multiboot`.
    let map = unsafe { phys::bytes(map_addr, entries * PVH_MEMMAP_ENTRY_SIZE) }.ok_or(bad)?;
    let mut memory = heapless::Vec::new();
    for entry in map.chunks_exact(PVH_MEMMAP_ENTRY_SIZE) {
        if let (Some(base), Some(len), Some(kind)) =
            (u64_at(entry, 0), u64_at(entry, 8), u32_at(entry, 16))
        {
            push_region(&mut memory, base, len, kind);
        }
    }
    Ok(finish(Protocol::Pvh, memory, rsdp))
}

fn push_region(
    memory: &mut heapless::Vec<MemoryRegion, MAX_REGIONS>,
    base: u64,
    len: u64,
    kind: u32,
) {
    let kind = match kind {
        1 => MemoryKind::Usable,
        3 => MemoryKind::AcpiReclaimable,
        other => MemoryKind::Reserved(other),
    };
    let range = PhysRange::sized(base, len);
    if !range.is_empty() {
        // A map longer than MAX_REGIONS loses its tail: the kernel then uses less RAM.
        let _ = memory.push(MemoryRegion { range, kind });
    }
}

fn finish(
    protocol: Protocol,
    mut memory: heapless::Vec<MemoryRegion, MAX_REGIONS>,
    rsdp: Option<u64>,
) -> BootInfo {
    memory.sort_unstable_by_key(|r| r.range.start);
    BootInfo {
        protocol,
        memory,
        rsdp,
    }
}

impl BootInfo {
    /// The usable RAM ranges, in address order.
    pub fn usable(&self) -> impl Iterator<Item = PhysRange> + Clone + '_ {
        self.memory
            .iter()
            .filter(|r| r.kind == MemoryKind::Usable)
            .map(|r| r.range)
    }
}

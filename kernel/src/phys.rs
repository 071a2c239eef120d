//! Physical memory as the kernel sees it: ranges of addresses, and byte slices of firmware
//! and loader structures read through the boot identity map.
//!
//! Everything the firmware or the loader hands over (the memory map, the ACPI tables) is
//! turned into a `&'static [u8]` here, once, and parsed with bounds-checked reads afterwards:
//! a malformed table then yields `None`, never a wild read.

use crate::arch::boot::IDENTITY_MAP_GIB;
use core::fmt;

/// The end of the identity map: physical address `a` below it is readable at virtual `a`.
pub const IDENTITY_MAP_END: u64 = IDENTITY_MAP_GIB << 30;

/// A half-open range of physical addresses `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhysRange {
    /// First address in the range.
    pub start: u64,
    /// First address past the range.
    pub end: u64,
}

impl PhysRange {
    /// The range `[start, end)`; empty if `end <= start`.
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// The range of `len` bytes from `start`, saturating at the top of the address space.
    pub const fn sized(start: u64, len: u64) -> Self {
        Self {
            start,
            end: start.saturating_add(len),
        }
    }

    /// Bytes in the range.
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no address.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `addr` is in the range.
    pub const fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// Whether every address of `other` is in the range.
    pub const fn covers(&self, other: &PhysRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The addresses in both ranges (possibly empty).
    pub fn intersect(&self, other: &PhysRange) -> PhysRange {
        PhysRange::new(self.start.max(other.start), self.end.min(other.end))
    }

    /// Whether the ranges share an address.
    pub fn overlaps(&self, other: &PhysRange) -> bool {
        !self.intersect(other).is_empty()
    }
}

impl fmt::Display for PhysRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}-{:#x}", self.start, self.end)
    }
}

/// Borrows `len` bytes of physical memory at `addr` for the rest of the kernel's life.
///
/// Returns `None` for address 0 (a null pointer in Rust's eyes) and for ranges that run past
/// the identity map.
///
/// # Safety
/// Nothing may write the range while the kernel uses the slice: it must be firmware or loader
/// data that the kernel keeps out of its heap and frame pools (ACPI tables, the BIOS area),
/// or data the kernel copies out before it reuses the memory (the boot memory map).
pub unsafe fn bytes(addr: u64, len: usize) -> Option<&'static [u8]> {
    let end = addr.checked_add(len as u64)?;
    if addr == 0 || end > IDENTITY_MAP_END {
        return None;
    }
    // SAFETY:
    // 1. Every address below IDENTITY_MAP_END is mapped at the same virtual address (boot page
    //    tables), and `addr` is not null.
    // 2. `u8` has no alignment or validity requirement.
    // 3. Nothing writes the range while the slice lives (the caller's contract).
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}

/// The little-endian `u8` at `at`, if in bounds.
pub fn u8_at(bytes: &[u8], at: usize) -> Option<u8> {
    bytes.get(at).copied()
}

/// The little-endian `u16` at `at`, if in bounds.
pub fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// The little-endian `u32` at `at`, if in bounds.
pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The little-endian `u64` at `at`, if in bounds.
pub fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

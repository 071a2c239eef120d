//! The page geometry of the Linux ABI this crate models: x86-64's 4 KiB base pages and 2 MiB
//! PMD-sized transparent huge pages (Linux: `PAGE_SHIFT`, `PAGE_SIZE`, `HPAGE_PMD_ORDER`).
//!
//! They fix how many bits a user nodemask may carry (`PAGE_SIZE * 8`), how an address turns
//! into an interleave index, and which order gets the transparent-huge-page rule of the
//! allocation path. Every module takes them from here.

/// Bits of a byte address below the page number (Linux: `PAGE_SHIFT`, 12 on x86-64).
pub const PAGE_SHIFT: u32 = 12;

/// Bytes in a base page (Linux: `PAGE_SIZE`, 4 KiB on x86-64); also bounds user nodemasks to
/// `PAGE_SIZE * 8` bits.
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// The order of a PMD-sized transparent huge page with 4 KiB pages (Linux: `HPAGE_PMD_ORDER`
/// on x86-64): allocations of this order with an interleave index get the huge-page rule of
/// the allocation path.
pub const HPAGE_PMD_ORDER: u32 = 9;

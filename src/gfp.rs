//! GFP flags and zone choice (Linux: `gfp_t`, `include/linux/gfp_types.h`, `gfp_zone()` and
//! `gfp_zonelist()` in `include/linux/gfp.h`).
//!
//! [`GfpFlags`] carries Linux's bit values. Only the four zone modifiers (`DMA`, `HIGHMEM`,
//! `DMA32`, `MOVABLE`) and `THISNODE` change what this crate computes; the other flags are named
//! so that embedders can pass real kernel masks through unchanged, and unknown bits are kept.
//!
//! [`zone_for`] is Linux's `GFP_ZONE_TABLE` lookup: the four modifier bits pick the highest
//! [`ZoneType`] an allocation may use, and the eight contradictory combinations are
//! [`Error::ConflictingZoneFlags`] (Linux: `GFP_ZONE_BAD`, a `VM_BUG_ON`); [`highest_zone`]
//! is the same lookup as one table read returning an `Option`, for allocation paths.
//! [`zonelist_for`] picks the zonelist ([`ZonelistKind`]).
//!
//! # Zone configuration
//!
//! Linux collapses an optional zone that is not configured (`OPT_ZONE_DMA`, `OPT_ZONE_DMA32`,
//! `OPT_ZONE_HIGHMEM`) to `ZONE_NORMAL`. [`zone_for`] assumes the x86-64 configuration
//! ([`ZoneConfig::X86_64`]: `ZONE_DMA`, `ZONE_DMA32`, `ZONE_NORMAL` and `ZONE_MOVABLE`, no
//! `CONFIG_HIGHMEM`), the machine the conformance recordings come from, so `__GFP_HIGHMEM`
//! alone (and `GFP_HIGHUSER`) selects [`ZoneType::Normal`]. [`zone_for_config`] takes any
//! other configuration, for example [`ZoneConfig::ALL`] to model `ZONE_HIGHMEM`.
//!
//! Bit values are those of `include/linux/gfp_types.h` in Linux 6.10 and later (the enum of
//! `___GFP_*_BIT` positions; unchanged in linux-next), which equal the older fixed
//! `0x..u` constants for every flag named here. `GFP_NOWAIT` includes `__GFP_NOWARN` (6.7+);
//! `__GFP_SKIP_KASAN` is 0 without `CONFIG_KASAN_HW_TAGS` (x86-64), so it is absent from
//! `GFP_HIGHUSER_MOVABLE`.

use crate::error::{Error, Result};

bitflags::bitflags! {
    /// Allocation-context flags (Linux: `gfp_t`), with Linux's bit values.
    ///
    /// Bits this type does not name are kept unchanged (the embedder may use them).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct GfpFlags: u32 {
        /// Allocate from `ZONE_DMA` (Linux: `__GFP_DMA`, zone modifier).
        const DMA = 0x01;
        /// `ZONE_HIGHMEM` may be used (Linux: `__GFP_HIGHMEM`, zone modifier).
        const HIGHMEM = 0x02;
        /// Allocate from `ZONE_DMA32` (Linux: `__GFP_DMA32`, zone modifier).
        const DMA32 = 0x04;
        /// The page is movable; `ZONE_MOVABLE` may be used with `HIGHMEM` (Linux:
        /// `__GFP_MOVABLE`, zone modifier and mobility hint).
        const MOVABLE = 0x08;
        /// The page can be reclaimed by a shrinker (Linux: `__GFP_RECLAIMABLE`).
        const RECLAIMABLE = 0x10;
        /// High priority: may use part of the reserves (Linux: `__GFP_HIGH`).
        const HIGH = 0x20;
        /// May start physical I/O (Linux: `__GFP_IO`).
        const IO = 0x40;
        /// May call into the file system (Linux: `__GFP_FS`).
        const FS = 0x80;
        /// Return a zeroed page (Linux: `__GFP_ZERO`).
        const ZERO = 0x100;
        /// May enter direct reclaim (Linux: `__GFP_DIRECT_RECLAIM`).
        const DIRECT_RECLAIM = 0x400;
        /// May wake kswapd (Linux: `__GFP_KSWAPD_RECLAIM`).
        const KSWAPD_RECLAIM = 0x800;
        /// The caller will dirty the page (Linux: `__GFP_WRITE`).
        const WRITE = 0x1000;
        /// Do not report failures (Linux: `__GFP_NOWARN`).
        const NOWARN = 0x2000;
        /// Retry reclaim, but may fail (Linux: `__GFP_RETRY_MAYFAIL`).
        const RETRY_MAYFAIL = 0x4000;
        /// Never fail (Linux: `__GFP_NOFAIL`).
        const NOFAIL = 0x8000;
        /// Try only light reclaim (Linux: `__GFP_NORETRY`).
        const NORETRY = 0x1_0000;
        /// May use all reserves (Linux: `__GFP_MEMALLOC`).
        const MEMALLOC = 0x2_0000;
        /// Compound page metadata (Linux: `__GFP_COMP`).
        const COMP = 0x4_0000;
        /// Never use the emergency reserves (Linux: `__GFP_NOMEMALLOC`).
        const NOMEMALLOC = 0x8_0000;
        /// Enforce the cpuset's memory nodes (Linux: `__GFP_HARDWALL`).
        const HARDWALL = 0x10_0000;
        /// Only the requested node, no fallback and no policy (Linux: `__GFP_THISNODE`).
        const THISNODE = 0x20_0000;
        /// Account to the memory cgroup (Linux: `__GFP_ACCOUNT`).
        const ACCOUNT = 0x40_0000;

        /// Both reclaim modes (Linux: `__GFP_RECLAIM`).
        const RECLAIM = Self::DIRECT_RECLAIM.bits() | Self::KSWAPD_RECLAIM.bits();
        /// The zone modifiers (Linux: `GFP_ZONEMASK`).
        const ZONEMASK = Self::DMA.bits() | Self::HIGHMEM.bits() | Self::DMA32.bits()
            | Self::MOVABLE.bits();

        /// Cannot sleep, may use atomic reserves (Linux: `GFP_ATOMIC`).
        const GFP_ATOMIC = Self::HIGH.bits() | Self::KSWAPD_RECLAIM.bits();
        /// Typical kernel allocation (Linux: `GFP_KERNEL`).
        const GFP_KERNEL = Self::RECLAIM.bits() | Self::IO.bits() | Self::FS.bits();
        /// No direct reclaim, no warning (Linux: `GFP_NOWAIT`, 6.7+).
        const GFP_NOWAIT = Self::KSWAPD_RECLAIM.bits() | Self::NOWARN.bits();
        /// Reclaim without I/O (Linux: `GFP_NOIO`).
        const GFP_NOIO = Self::RECLAIM.bits();
        /// Reclaim without file-system calls (Linux: `GFP_NOFS`).
        const GFP_NOFS = Self::RECLAIM.bits() | Self::IO.bits();
        /// User allocation the kernel must access directly (Linux: `GFP_USER`).
        const GFP_USER = Self::GFP_KERNEL.bits() | Self::HARDWALL.bits();
        /// Lowest zone (Linux: `GFP_DMA`).
        const GFP_DMA = Self::DMA.bits();
        /// 32-bit addressable (Linux: `GFP_DMA32`).
        const GFP_DMA32 = Self::DMA32.bits();
        /// User page that may be in high memory (Linux: `GFP_HIGHUSER`).
        const GFP_HIGHUSER = Self::GFP_USER.bits() | Self::HIGHMEM.bits();
        /// Movable user page (Linux: `GFP_HIGHUSER_MOVABLE`; `__GFP_SKIP_KASAN` is 0 here).
        const GFP_HIGHUSER_MOVABLE = Self::GFP_HIGHUSER.bits() | Self::MOVABLE.bits();
        /// Transparent huge page, no reclaim (Linux: `GFP_TRANSHUGE_LIGHT`).
        const GFP_TRANSHUGE_LIGHT = (Self::GFP_HIGHUSER_MOVABLE.bits() | Self::COMP.bits()
            | Self::NOMEMALLOC.bits() | Self::NOWARN.bits()) & !Self::RECLAIM.bits();
        /// Transparent huge page with direct reclaim (Linux: `GFP_TRANSHUGE`).
        const GFP_TRANSHUGE = Self::GFP_TRANSHUGE_LIGHT.bits() | Self::DIRECT_RECLAIM.bits();

        // The embedding kernel owns every other bit: keep it, never interpret it.
        const _ = !0;
    }
}

/// A memory zone type, ordered from the lowest addresses to the highest (Linux:
/// `enum zone_type`, without `ZONE_DEVICE`).
///
/// The discriminants are fixed (0..=4) whatever the configuration; Linux numbers only the
/// configured zones, which keeps the same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ZoneType {
    /// ISA DMA memory, below 16 MiB on x86 (Linux: `ZONE_DMA`).
    Dma = 0,
    /// Memory below 4 GiB (Linux: `ZONE_DMA32`).
    Dma32 = 1,
    /// Directly mapped memory (Linux: `ZONE_NORMAL`).
    Normal = 2,
    /// Memory not permanently mapped, 32-bit kernels (Linux: `ZONE_HIGHMEM`).
    HighMem = 3,
    /// Memory for movable pages only (Linux: `ZONE_MOVABLE`).
    Movable = 4,
}

/// The number of zone types (Linux: `MAX_NR_ZONES`, without `ZONE_DEVICE`).
pub const NR_ZONE_TYPES: usize = 5;

impl ZoneType {
    /// Every zone type, lowest first.
    pub const ALL: [ZoneType; NR_ZONE_TYPES] = [
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
    ];

    /// Returns the zone's index into per-zone arrays (0 for `Dma` .. 4 for `Movable`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Returns the zone type with `index`, or `None` if `index >= NR_ZONE_TYPES`.
    pub const fn from_index(index: usize) -> Option<ZoneType> {
        match Self::ALL.split_at_checked(index) {
            Some((_, [zone, ..])) => Some(*zone),
            _ => None,
        }
    }

    /// Returns Linux's name for the zone (Linux: `zone_names[]`).
    pub const fn name(self) -> &'static str {
        match self {
            ZoneType::Dma => "DMA",
            ZoneType::Dma32 => "DMA32",
            ZoneType::Normal => "Normal",
            ZoneType::HighMem => "HighMem",
            ZoneType::Movable => "Movable",
        }
    }
}

impl core::fmt::Display for ZoneType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which optional zones the modelled kernel has (Linux: `CONFIG_ZONE_DMA`,
/// `CONFIG_ZONE_DMA32`, `CONFIG_HIGHMEM`); `Normal` and `Movable` always exist.
///
/// An unconfigured optional zone collapses to `ZONE_NORMAL` in [`zone_for_config`] (Linux:
/// `OPT_ZONE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ZoneConfig {
    /// Bit `i` set: `ZoneType::ALL[i]` is configured.
    bits: u8,
}

impl ZoneConfig {
    /// x86-64: `DMA`, `DMA32`, `NORMAL`, `MOVABLE`; no `HIGHMEM` (the recorded kernel).
    pub const X86_64: ZoneConfig = ZoneConfig::NORMAL_ONLY
        .with(ZoneType::Dma)
        .with(ZoneType::Dma32);
    /// 32-bit x86 with `CONFIG_HIGHMEM`: `DMA`, `NORMAL`, `HIGHMEM`, `MOVABLE`.
    pub const X86_32: ZoneConfig = ZoneConfig::NORMAL_ONLY
        .with(ZoneType::Dma)
        .with(ZoneType::HighMem);
    /// Every zone configured.
    pub const ALL: ZoneConfig = ZoneConfig::X86_64.with(ZoneType::HighMem);
    /// Only `NORMAL` and `MOVABLE` (no optional zone).
    pub const NORMAL_ONLY: ZoneConfig = ZoneConfig {
        bits: (1 << ZoneType::Normal as u8) | (1 << ZoneType::Movable as u8),
    };

    /// Returns this configuration with `zone` configured too.
    pub const fn with(self, zone: ZoneType) -> Self {
        ZoneConfig {
            bits: self.bits | (1 << zone as u8),
        }
    }

    /// Returns whether `zone` is configured.
    pub const fn has(self, zone: ZoneType) -> bool {
        self.bits & (1 << zone as u8) != 0
    }

    /// Returns `zone` if configured, `Normal` otherwise (Linux: `OPT_ZONE_*`).
    const fn opt(self, zone: ZoneType) -> ZoneType {
        if self.has(zone) {
            zone
        } else {
            ZoneType::Normal
        }
    }
}

impl Default for ZoneConfig {
    fn default() -> Self {
        Self::X86_64
    }
}

/// Which of a node's two zonelists an allocation walks (Linux: `ZONELIST_FALLBACK`,
/// `ZONELIST_NOFALLBACK`, chosen by `gfp_zonelist()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZonelistKind {
    /// Every memory node's zones, nearest node first (Linux: `ZONELIST_FALLBACK`).
    Fallback,
    /// Only the node's own zones, for `__GFP_THISNODE` (Linux: `ZONELIST_NOFALLBACK`).
    NoFallback,
}

/// [`zone_for_config`] as a table: the highest zone for each value of the four zone modifier
/// bits, `None` for the contradictory ones (Linux: `GFP_ZONE_TABLE` and `GFP_ZONE_BAD`).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range would fail the build, not panic"
)]
const fn zone_table(config: ZoneConfig) -> [Option<ZoneType>; 16] {
    let mut table = [None; 16];
    let mut bits = 0;
    while bits < 16 {
        table[bits] = match zone_for_bits(bits as u32, config) {
            Ok(zone) => Some(zone),
            Err(()) => None,
        };
        bits += 1;
    }
    table
}

/// The x86-64 zone table, built at compile time.
const X86_64_ZONES: [Option<ZoneType>; 16] = zone_table(ZoneConfig::X86_64);

/// Returns the highest zone an allocation with `gfp` may use on x86-64, or `None` if the
/// zone modifiers contradict each other (Linux: `gfp_zone()`; `GFP_ZONE_BAD`).
///
/// One indexed load: the allocation paths use it, since [`zone_for`]'s `Result` travels
/// through memory. The two agree on every input.
///
/// # Examples
/// ```
/// use mempolicy::gfp::{self, GfpFlags, ZoneType};
/// assert_eq!(gfp::highest_zone(GfpFlags::GFP_HIGHUSER_MOVABLE), Some(ZoneType::Movable));
/// assert_eq!(gfp::highest_zone(GfpFlags::DMA | GfpFlags::DMA32), None);
/// ```
#[inline]
pub const fn highest_zone(gfp: GfpFlags) -> Option<ZoneType> {
    let bits = (gfp.bits() & GfpFlags::ZONEMASK.bits()) as usize;
    match X86_64_ZONES.split_at_checked(bits) {
        Some((_, [zone, ..])) => *zone,
        _ => None,
    }
}

/// Returns the highest zone an allocation with `gfp` may use on x86-64 (Linux: `gfp_zone()`).
///
/// Same as [`zone_for_config`] with [`ZoneConfig::X86_64`]: `__GFP_HIGHMEM` without
/// `__GFP_MOVABLE` gives `Normal`, since x86-64 has no `ZONE_HIGHMEM`.
///
/// # Errors
/// [`Error::ConflictingZoneFlags`] (carrying all of `gfp`'s bits) if the zone modifiers
/// contradict each other (Linux: `GFP_ZONE_BAD`).
///
/// # Examples
/// ```
/// use mempolicy::gfp::{self, GfpFlags, ZoneType};
/// assert_eq!(gfp::zone_for(GfpFlags::GFP_HIGHUSER_MOVABLE)?, ZoneType::Movable);
/// assert_eq!(gfp::zone_for(GfpFlags::GFP_KERNEL)?, ZoneType::Normal);
/// assert_eq!(gfp::zone_for(GfpFlags::GFP_DMA32)?, ZoneType::Dma32);
/// assert!(gfp::zone_for(GfpFlags::DMA | GfpFlags::DMA32).is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn zone_for(gfp: GfpFlags) -> Result<ZoneType> {
    highest_zone(gfp).ok_or(Error::ConflictingZoneFlags(gfp.bits()))
}

/// Returns the highest zone an allocation with `gfp` may use under `config` (Linux:
/// `gfp_zone()` with `GFP_ZONE_TABLE`).
///
/// | modifiers | zone |
/// |---|---|
/// | none, `MOVABLE` | `Normal` |
/// | `DMA`, `MOVABLE\|DMA` | `Dma` (or `Normal` if not configured) |
/// | `HIGHMEM` | `HighMem` (or `Normal`) |
/// | `DMA32`, `MOVABLE\|DMA32` | `Dma32` (or `Normal`) |
/// | `MOVABLE\|HIGHMEM` | `Movable` |
/// | any two of `DMA`, `DMA32`, `HIGHMEM` | error |
///
/// # Errors
/// [`Error::ConflictingZoneFlags`] (carrying all of `gfp`'s bits) for the eight contradictory
/// combinations (Linux: `GFP_ZONE_BAD`).
///
/// # Examples
/// ```
/// use mempolicy::gfp::{self, GfpFlags, ZoneConfig, ZoneType};
/// assert_eq!(gfp::zone_for_config(GfpFlags::HIGHMEM, ZoneConfig::ALL)?, ZoneType::HighMem);
/// assert_eq!(gfp::zone_for_config(GfpFlags::HIGHMEM, ZoneConfig::X86_64)?, ZoneType::Normal);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn zone_for_config(gfp: GfpFlags, config: ZoneConfig) -> Result<ZoneType> {
    zone_for_bits(gfp.bits(), config).map_err(|()| Error::ConflictingZoneFlags(gfp.bits()))
}

/// The rule behind [`zone_for_config`] and the table of [`highest_zone`].
const fn zone_for_bits(bits: u32, config: ZoneConfig) -> core::result::Result<ZoneType, ()> {
    use ZoneType::{Dma, Dma32, HighMem, Movable, Normal};
    Ok(match bits & GfpFlags::ZONEMASK.bits() {
        0x0 | 0x8 => Normal,
        0x1 | 0x9 => config.opt(Dma),
        0x2 => config.opt(HighMem),
        0x4 | 0xc => config.opt(Dma32),
        0xa => Movable,
        _ => return Err(()),
    })
}

/// Returns which of a node's zonelists an allocation with `gfp` walks (Linux:
/// `gfp_zonelist()`): [`ZonelistKind::NoFallback`] with `__GFP_THISNODE`, otherwise
/// [`ZonelistKind::Fallback`].
///
/// # Examples
/// ```
/// use mempolicy::gfp::{self, GfpFlags, ZonelistKind};
/// assert_eq!(gfp::zonelist_for(GfpFlags::GFP_KERNEL), ZonelistKind::Fallback);
/// assert_eq!(gfp::zonelist_for(GfpFlags::GFP_KERNEL | GfpFlags::THISNODE), ZonelistKind::NoFallback);
/// ```
#[inline]
pub const fn zonelist_for(gfp: GfpFlags) -> ZonelistKind {
    if gfp.bits() & GfpFlags::THISNODE.bits() != 0 {
        ZonelistKind::NoFallback
    } else {
        ZonelistKind::Fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composites_have_linux_values() {
        assert_eq!(GfpFlags::GFP_KERNEL.bits(), 0xcc0);
        assert_eq!(GfpFlags::GFP_ATOMIC.bits(), 0x820);
        assert_eq!(GfpFlags::GFP_NOWAIT.bits(), 0x2800);
        assert_eq!(GfpFlags::GFP_NOIO.bits(), 0xc00);
        assert_eq!(GfpFlags::GFP_NOFS.bits(), 0xc40);
        assert_eq!(GfpFlags::GFP_USER.bits(), 0x100cc0);
        assert_eq!(GfpFlags::GFP_HIGHUSER.bits(), 0x100cc2);
        assert_eq!(GfpFlags::GFP_HIGHUSER_MOVABLE.bits(), 0x100cca);
        assert_eq!(GfpFlags::GFP_TRANSHUGE_LIGHT.bits(), 0x1c20ca);
        assert_eq!(GfpFlags::GFP_TRANSHUGE.bits(), 0x1c24ca);
    }

    #[test]
    fn unknown_bits_are_kept() {
        let gfp = GfpFlags::from_bits_retain(0x8000_0000) | GfpFlags::DMA32;
        assert_eq!(gfp.bits(), 0x8000_0004);
        assert_eq!(zone_for(gfp), Ok(ZoneType::Dma32));
        assert_eq!(
            zone_for(gfp | GfpFlags::DMA),
            Err(Error::ConflictingZoneFlags(0x8000_0005))
        );
    }

    #[test]
    fn unconfigured_zones_collapse_to_normal() {
        let none = ZoneConfig::NORMAL_ONLY;
        assert_eq!(zone_for_config(GfpFlags::DMA, none), Ok(ZoneType::Normal));
        assert_eq!(zone_for_config(GfpFlags::DMA32, none), Ok(ZoneType::Normal));
        assert_eq!(
            zone_for_config(GfpFlags::HIGHMEM, ZoneConfig::X86_32),
            Ok(ZoneType::HighMem)
        );
        assert_eq!(
            zone_for_config(GfpFlags::DMA32, ZoneConfig::X86_32),
            Ok(ZoneType::Normal)
        );
        assert_eq!(
            zone_for_config(GfpFlags::MOVABLE | GfpFlags::HIGHMEM, none),
            Ok(ZoneType::Movable)
        );
        assert!(ZoneConfig::default().has(ZoneType::Dma32));
        assert!(!ZoneConfig::X86_64.has(ZoneType::HighMem));
    }

    #[test]
    fn the_table_agrees_with_the_rule() {
        for bits in 0..64u32 {
            let gfp = GfpFlags::from_bits_retain(bits | 0x400);
            assert_eq!(zone_for(gfp).ok(), highest_zone(gfp), "{bits:#x}");
            assert_eq!(zone_for(gfp), zone_for_config(gfp, ZoneConfig::X86_64));
        }
    }

    #[test]
    fn zone_types_are_ordered_and_named() {
        assert!(ZoneType::ALL.windows(2).all(|w| w[0] < w[1]));
        for (i, z) in ZoneType::ALL.iter().enumerate() {
            assert_eq!(z.index(), i);
            assert_eq!(ZoneType::from_index(i), Some(*z));
        }
        assert_eq!(ZoneType::from_index(5), None);
        assert_eq!(alloc::format!("{}", ZoneType::Dma32), "DMA32");
    }
}

//! `gfp_zone()` over all 16 zone-modifier combinations (Linux: `GFP_ZONE_TABLE`,
//! `GFP_ZONE_BAD`), and `gfp_zonelist()`.

use mempolicy::gfp::{self, GfpFlags, ZoneConfig, ZoneType};
use mempolicy::zonelist::ZonelistKind;
use mempolicy::Error;

/// The table for a kernel with every zone configured; `None` = `GFP_ZONE_BAD`.
const FULL_TABLE: [Option<ZoneType>; 16] = {
    use ZoneType::*;
    [
        Some(Normal),  // 0x0
        Some(Dma),     // 0x1 DMA
        Some(HighMem), // 0x2 HIGHMEM
        None,          // 0x3 DMA|HIGHMEM
        Some(Dma32),   // 0x4 DMA32
        None,          // 0x5 DMA|DMA32
        None,          // 0x6 HIGHMEM|DMA32
        None,          // 0x7
        Some(Normal),  // 0x8 MOVABLE
        Some(Dma),     // 0x9 MOVABLE|DMA
        Some(Movable), // 0xa MOVABLE|HIGHMEM
        None,          // 0xb
        Some(Dma32),   // 0xc MOVABLE|DMA32
        None,          // 0xd
        None,          // 0xe
        None,          // 0xf
    ]
};

#[test]
fn zone_table_with_every_zone_configured() {
    for bits in 0u32..16 {
        let gfp = GfpFlags::from_bits_retain(bits);
        let got = gfp::zone_for_config(gfp, ZoneConfig::ALL);
        match FULL_TABLE[bits as usize] {
            Some(zone) => assert_eq!(got, Ok(zone), "bits {bits:#x}"),
            None => assert_eq!(
                got,
                Err(Error::ConflictingZoneFlags(bits)),
                "bits {bits:#x}"
            ),
        }
    }
}

#[test]
fn zone_table_on_x86_64_collapses_highmem_to_normal() {
    for bits in 0u32..16 {
        let gfp = GfpFlags::from_bits_retain(bits | 0x100);
        let expected = FULL_TABLE[bits as usize].map(|z| {
            if z == ZoneType::HighMem {
                ZoneType::Normal
            } else {
                z
            }
        });
        match expected {
            Some(zone) => assert_eq!(gfp::zone_for(gfp), Ok(zone), "bits {bits:#x}"),
            None => {
                assert_eq!(
                    gfp::zone_for(gfp),
                    Err(Error::ConflictingZoneFlags(bits | 0x100))
                );
                assert_eq!(
                    gfp::zone_for(gfp).unwrap_err().errno(),
                    mempolicy::errno::EINVAL
                );
            }
        }
    }
}

#[test]
fn common_masks_pick_the_expected_zone() {
    let cases = [
        (GfpFlags::GFP_KERNEL, ZoneType::Normal),
        (GfpFlags::GFP_ATOMIC, ZoneType::Normal),
        (GfpFlags::GFP_USER, ZoneType::Normal),
        (GfpFlags::GFP_HIGHUSER, ZoneType::Normal),
        (GfpFlags::GFP_HIGHUSER_MOVABLE, ZoneType::Movable),
        (GfpFlags::GFP_TRANSHUGE, ZoneType::Movable),
        (GfpFlags::GFP_TRANSHUGE_LIGHT, ZoneType::Movable),
        (GfpFlags::GFP_DMA, ZoneType::Dma),
        (GfpFlags::GFP_DMA32, ZoneType::Dma32),
        (GfpFlags::GFP_KERNEL | GfpFlags::MOVABLE, ZoneType::Normal),
    ];
    for (gfp, zone) in cases {
        assert_eq!(gfp::zone_for(gfp), Ok(zone), "{gfp:?}");
    }
}

#[test]
fn thisnode_selects_the_nofallback_list() {
    assert_eq!(
        gfp::zonelist_for(GfpFlags::GFP_HIGHUSER_MOVABLE),
        ZonelistKind::Fallback
    );
    assert_eq!(
        gfp::zonelist_for(GfpFlags::GFP_TRANSHUGE | GfpFlags::THISNODE),
        ZonelistKind::NoFallback
    );
}

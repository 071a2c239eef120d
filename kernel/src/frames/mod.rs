//! Physical frame pools: the page frames of usable RAM, split by NUMA node and zone, handed
//! out in naturally aligned blocks of `2^order` frames.
//!
//! The pools are built from three inputs:
//! 1. the usable RAM of the boot memory map ([`crate::boot_info`]);
//! 2. the ranges the kernel already uses: its image, the AP trampoline, the heap, the ACPI
//!    tables (and the first MiB as a whole: BIOS data, loader structures);
//! 3. each node's memory: the usable RAM inside its SRAT ranges, as the crate's firmware
//!    parser derived it ([`crate::layout`]).
//!
//! The crate never touches frames: its allocation walk asks for frames node by node and zone
//! by zone, and [`crate::embed::Frames`] answers from these pools.
//!
//! Each usable range is intersected with each node's ranges, cut at the zone boundaries of
//! x86-64 Linux (DMA below 16 MiB, DMA32 below 4 GiB, Normal above) and stripped of the
//! reserved ranges; every piece becomes a [`span::Span`] of its (node, zone) pool. A frame
//! can then be taken by (node, zone, order) and given back.
//!
//! A [`FrameBlock`] is the ownership of its frames: only [`FramePools::alloc`] makes one,
//! it is neither `Clone` nor `Copy`, and [`FramePools::free`] consumes it. That is what
//! makes [`FrameBlock::bytes_mut`] sound.

pub mod span;

use crate::phys::{PhysRange, IDENTITY_MAP_END};
use crate::sync::IrqLock;
use alloc::vec::Vec;
use core::fmt;
use span::{Span, FRAME_SIZE};

/// A zone: which part of the physical address space a frame is in (Linux: `enum zone_type`
/// on x86-64, without `ZONE_MOVABLE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Zone {
    /// Below 16 MiB, for ISA DMA.
    Dma,
    /// Below 4 GiB, for 32-bit DMA.
    Dma32,
    /// Everything else.
    Normal,
}

impl Zone {
    /// Every zone, lowest first.
    pub const ALL: [Zone; 3] = [Zone::Dma, Zone::Dma32, Zone::Normal];

    /// The addresses the zone covers.
    pub const fn range(self) -> PhysRange {
        match self {
            Zone::Dma => PhysRange::new(0, 16 << 20),
            Zone::Dma32 => PhysRange::new(16 << 20, 1 << 32),
            Zone::Normal => PhysRange::new(1 << 32, u64::MAX),
        }
    }

    /// Linux's name for the zone.
    pub const fn name(self) -> &'static str {
        match self {
            Zone::Dma => "DMA",
            Zone::Dma32 => "DMA32",
            Zone::Normal => "Normal",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `2^order` contiguous frames, owned by whoever holds this value.
#[derive(Debug)]
#[must_use = "frames leak unless given back with FramePools::free"]
pub struct FrameBlock {
    addr: u64,
    order: u32,
}

impl FrameBlock {
    /// The physical address of the first frame.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// The block's order: it holds `2^order` frames.
    pub fn order(&self) -> u32 {
        self.order
    }

    /// The addresses of the block.
    pub fn range(&self) -> PhysRange {
        PhysRange::sized(self.addr, FRAME_SIZE << self.order)
    }

    /// Keeps the frames in use for good (a CPU's stack, say) and returns their range.
    pub fn leak(self) -> PhysRange {
        self.range()
    }

    /// The block's memory, through the identity map.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = (FRAME_SIZE << self.order) as usize;
        // SAFETY:
        // 1. Pools hold only RAM at or above 1 MiB and below IDENTITY_MAP_END, so the address
        //    is non-null and mapped at itself.
        // 2. The pools exclude the kernel image, heap, trampoline and ACPI tables, so no other
        //    Rust object lives in these bytes.
        // 3. Only `FramePools::alloc` creates a block, after marking its frames in use; the
        //    block is neither Clone nor Copy and `free` consumes it, so `&mut self` is the only
        //    access to these bytes while the borrow lasts.
        unsafe { core::slice::from_raw_parts_mut(self.addr as *mut u8, len) }
    }
}

/// One (node, zone) pool: its spans.
#[derive(Debug, Default)]
struct ZonePool {
    spans: Vec<Span>,
}

/// The pools of one node.
#[derive(Debug, Default)]
struct NodePool {
    zones: [ZonePool; 3],
}

/// Free and total frames of one (node, zone) pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Frames not in use.
    pub free: u64,
    /// All frames.
    pub total: u64,
}

/// Every node's frame pools, each node behind its own [`IrqLock`].
#[derive(Debug)]
pub struct FramePools {
    nodes: Vec<IrqLock<NodePool>>,
}

/// Frames below this address are never pooled: real-mode IVT, BIOS data, EBDA, option ROMs,
/// the loader's structures.
const LOW_MEMORY_END: u64 = 1 << 20;

impl FramePools {
    /// Builds pools for `nodes` nodes from `usable` RAM, minus `reserved`, with each range of
    /// `node_memory` going to its node. Memory that no node claims is left out.
    pub fn build(
        usable: &[PhysRange],
        reserved: &[PhysRange],
        node_memory: &[(u32, PhysRange)],
        nodes: u32,
    ) -> Self {
        let mut pools: Vec<NodePool> = (0..nodes).map(|_| NodePool::default()).collect();
        let mut reserved = reserved.to_vec();
        reserved.sort_unstable();
        let limit = PhysRange::new(LOW_MEMORY_END, IDENTITY_MAP_END);
        for &(node, node_range) in node_memory {
            let Some(pool) = pools.get_mut(node as usize) else {
                continue;
            };
            for ram in usable {
                for zone in Zone::ALL {
                    let piece = ram
                        .intersect(&node_range)
                        .intersect(&zone.range())
                        .intersect(&limit);
                    for part in subtract(piece, &reserved) {
                        let part = PhysRange::new(
                            part.start.next_multiple_of(FRAME_SIZE),
                            part.end & !(FRAME_SIZE - 1),
                        );
                        if !part.is_empty() {
                            pool.zones[zone.index()].spans.push(Span::new(part));
                        }
                    }
                }
            }
        }
        FramePools {
            nodes: pools.into_iter().map(IrqLock::new).collect(),
        }
    }

    /// Number of nodes.
    pub fn nodes(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// Takes `2^order` naturally aligned frames from `node`'s `zone`, or `None` if that pool
    /// has no such block. No fallback: choosing another node or zone is the caller's policy.
    pub fn alloc(&self, node: u32, zone: Zone, order: u32) -> Option<FrameBlock> {
        let mut pool = self.nodes.get(node as usize)?.lock();
        pool.zones[zone.index()]
            .spans
            .iter_mut()
            .find_map(|span| span.alloc(order))
            .map(|addr| FrameBlock { addr, order })
    }

    /// Gives `block` back to the pool it came from.
    ///
    /// # Panics
    /// If no pool has the block in use: a block only comes from [`FramePools::alloc`], so this
    /// means the pools' bookkeeping is broken.
    pub fn free(&self, block: FrameBlock) {
        let (addr, order) = (block.addr, block.order);
        for node in &self.nodes {
            let mut pool = node.lock();
            for zone in &mut pool.zones {
                if let Some(span) = zone.spans.iter_mut().find(|s| s.range().contains(addr)) {
                    assert!(
                        span.free(addr, order),
                        "freeing frames {addr:#x} (order {order}) that are not in use"
                    );
                    return;
                }
            }
        }
        panic!("freeing frames {addr:#x} that belong to no pool");
    }

    /// Free and total frames of `node`'s `zone`.
    pub fn stats(&self, node: u32, zone: Zone) -> PoolStats {
        let Some(pool) = self.nodes.get(node as usize) else {
            return PoolStats::default();
        };
        let pool = pool.lock();
        let spans = &pool.zones[zone.index()].spans;
        PoolStats {
            free: spans.iter().map(Span::free_frames).sum(),
            total: spans.iter().map(Span::total_frames).sum(),
        }
    }

    /// The ranges of `node`'s `zone`.
    pub fn ranges(&self, node: u32, zone: Zone) -> Vec<PhysRange> {
        self.nodes.get(node as usize).map_or_else(Vec::new, |pool| {
            pool.lock().zones[zone.index()]
                .spans
                .iter()
                .map(Span::range)
                .collect()
        })
    }

    /// The node whose pools hold `addr`.
    pub fn node_of(&self, addr: u64) -> Option<u32> {
        self.nodes
            .iter()
            .position(|pool| {
                pool.lock()
                    .zones
                    .iter()
                    .any(|z| z.spans.iter().any(|s| s.range().contains(addr)))
            })
            .map(|node| node as u32)
    }
}

/// The parts of `range` outside every range of `sorted` (sorted by start).
fn subtract(range: PhysRange, sorted: &[PhysRange]) -> Vec<PhysRange> {
    let mut parts = Vec::new();
    let mut cursor = range.start;
    for hole in sorted.iter().filter(|h| h.overlaps(&range)) {
        if hole.start > cursor {
            parts.push(PhysRange::new(cursor, hole.start));
        }
        cursor = cursor.max(hole.end);
    }
    if cursor < range.end {
        parts.push(PhysRange::new(cursor, range.end));
    }
    parts
}

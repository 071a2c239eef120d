//! From a [`NumaLayout`] to the crate's [`Topology`] (zones from each node's memory, Linux:
//! `free_area_init()`, `zone_spanned_pages_in_node()`, `find_zone_movable_pfns_for_nodes()`
//! with `movable_node`) and to the weight table (Linux: `node_set_perf_attrs()` →
//! `mempolicy_set_node_perf()` for access class 1).

use alloc::vec::Vec;

use super::layout::{AccessClass, NumaLayout};
use crate::error::Result;
use crate::gfp::{ZoneType, NR_ZONE_TYPES};
use crate::nodemask::{NodeId, NodeMask};
use crate::topology::NodePerformance;
use crate::topology::{Topology, TopologyBuilder};
use crate::weights::WeightTable;
use crate::PAGE_SIZE;

/// The first page frame above `ZONE_DMA` on x86-64 (16 MiB; Linux: `MAX_DMA_PFN`).
pub const MAX_DMA_PFN: u64 = (16 << 20) / PAGE_SIZE;
/// The first page frame above `ZONE_DMA32` (4 GiB; Linux: `MAX_DMA32_PFN`).
pub const MAX_DMA32_PFN: u64 = (4 << 30) / PAGE_SIZE;
/// `ZONE_MOVABLE` starts on a multiple of this many pages (Linux: `MAX_ORDER_NR_PAGES`, 4
/// MiB on x86-64).
pub const MOVABLE_ALIGN_PAGES: u64 = 1 << 10;

/// Which memory goes to `ZONE_MOVABLE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MovableZone {
    /// None: every page is in `Dma`, `Dma32` or `Normal` by its address (Linux's default).
    #[default]
    None,
    /// Linux's `movable_node`: on each node, everything from its lowest hot-pluggable page
    /// (rounded up to 4 MiB) to its end. Linux also keeps the node that holds the kernel image
    /// non-movable; leave that node's memory out of the hot-pluggable ranges if it has any.
    Hotpluggable,
    /// As [`MovableZone::Hotpluggable`], with every page of these nodes counted hot-pluggable
    /// (what onlining a whole memory expander as movable gives).
    Nodes(NodeMask),
}

impl NumaLayout {
    /// Builds the crate's [`Topology`]: the possible and online nodes, each present CPU on its
    /// node, each node's pages per zone (`Dma` below 16 MiB, `Dma32` below 4 GiB, `Normal`
    /// above, `Movable` as `movable` says; whole pages of [`NumaLayout::memory`], so holes and
    /// RAM outside the SRAT are not counted, every page managed), the distances, and each
    /// memory node's access class 1 performance.
    ///
    /// # Errors
    /// [`Error::InvalidTopology`](crate::Error::InvalidTopology) only if the layout is
    /// inconsistent, which a layout from [`NumaLayout::from_acpi`] is not.
    pub fn topology(&self, movable: MovableZone) -> Result<Topology> {
        let mut builder = TopologyBuilder::new().possible(self.possible);
        for node in self.online.iter() {
            builder = builder.online(node);
        }
        for cpu in self.cpus.iter().filter(|c| c.present) {
            builder = builder.cpu(cpu.cpu, cpu.node);
        }
        for node in self.has_memory.iter() {
            let pages = self.zone_pages(node, movable);
            for zone in ZoneType::ALL {
                let count = pages.get(zone.index()).copied().unwrap_or(0);
                if count > 0 {
                    builder = builder.zone(node, zone, count);
                }
            }
        }
        let n = self.nr_node_ids;
        let mut table = Vec::with_capacity(n * n);
        for from in 0..n {
            for to in 0..n {
                let (from, to) = (NodeId::try_new(from as u64)?, NodeId::try_new(to as u64)?);
                table.push(self.distance(from, to));
            }
        }
        builder = builder.distances(&table);
        for &node in &self.registered {
            for class in AccessClass::ALL {
                let Some(access) = self.access(node, class) else {
                    continue;
                };
                if let Some(coordinates) = access.perf {
                    let performance = NodePerformance {
                        initiators: access.initiators,
                        coordinates,
                    };
                    builder = builder.performance(node, class, performance);
                }
            }
        }
        builder.build()
    }

    /// Returns `node`'s present pages in each zone, by [`ZoneType::index`].
    pub fn zone_pages(&self, node: NodeId, movable: MovableZone) -> [u64; NR_ZONE_TYPES] {
        let frames: Vec<(u64, u64)> = self
            .memory
            .iter()
            .filter(|m| m.node == node)
            .map(|m| (m.range.start.div_ceil(PAGE_SIZE), m.range.end / PAGE_SIZE))
            .filter(|(first, end)| first < end)
            .collect();
        let node_end = frames.iter().map(|f| f.1).max().unwrap_or(0);
        let lowest_hotplug = match movable {
            MovableZone::None => None,
            MovableZone::Nodes(nodes) if nodes.contains(node) => frames.iter().map(|f| f.0).min(),
            MovableZone::Hotpluggable | MovableZone::Nodes(_) => frames
                .iter()
                .flat_map(|&(first, end)| {
                    self.hotplug.iter().filter_map(move |h| {
                        let start = h.start.div_ceil(PAGE_SIZE).max(first);
                        (start < end.min(h.end / PAGE_SIZE)).then_some(start)
                    })
                })
                .min(),
        };
        let movable_start = lowest_hotplug
            .map(|pfn| {
                pfn.div_ceil(MOVABLE_ALIGN_PAGES)
                    .saturating_mul(MOVABLE_ALIGN_PAGES)
            })
            .filter(|&pfn| pfn < node_end);

        let mut pages = [0u64; NR_ZONE_TYPES];
        let mut add = |zone: ZoneType, from: u64, to: u64| {
            if let Some(slot) = pages.get_mut(zone.index()) {
                *slot += to.saturating_sub(from);
            }
        };
        for (first, end) in frames {
            let fixed_end = movable_start.map_or(end, |m| end.min(m));
            let clip = |lo: u64, hi: u64| (first.max(lo), fixed_end.min(hi));
            let (a, b) = clip(0, MAX_DMA_PFN);
            add(ZoneType::Dma, a, b);
            let (a, b) = clip(MAX_DMA_PFN, MAX_DMA32_PFN);
            add(ZoneType::Dma32, a, b);
            let (a, b) = clip(MAX_DMA32_PFN, u64::MAX);
            add(ZoneType::Normal, a, b);
            if let Some(m) = movable_start {
                add(ZoneType::Movable, first.max(m), end);
            }
        }
        pages
    }

    /// Reports each registered memory target's access class 1 bandwidth to `table`, in the
    /// order Linux does (Linux: `node_set_perf_attrs(nid, coord, ACCESS_COORDINATE_CPU)` →
    /// `mempolicy_set_node_perf()`, which takes `min(read, write)`). Without a used HMAT
    /// nothing is reported and the weights stay 1.
    ///
    /// `table` should have been made with this layout's (or its topology's) memory nodes.
    ///
    /// # Errors
    /// Those of [`WeightTable::set_node_bandwidth`].
    pub fn feed_weights(&self, table: &WeightTable) -> Result<()> {
        for &node in &self.registered {
            if let Some(perf) = self.access(node, AccessClass::Cpu).and_then(|a| a.perf) {
                table.set_node_bandwidth(
                    node,
                    u64::from(perf.read_bandwidth),
                    u64::from(perf.write_bandwidth),
                )?;
            }
        }
        Ok(())
    }
}

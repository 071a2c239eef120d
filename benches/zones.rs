//! Zonelist lookups against plain array reads: the first eligible zone (Linux:
//! `first_zones_zonelist()`) and a full walk (`for_each_zone_zonelist_nodemask()`).
//!
//! The first-zone lookups and their floor take about a nanosecond, less than criterion's own
//! per-iteration overhead: each iteration makes [`BATCH`] of them (`benches/support/ratios.py`
//! divides the times back to one lookup). A full walk takes tens of nanoseconds: one per
//! iteration.
// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mempolicy::gfp::ZoneType;
use mempolicy::topology::{Topology, TopologyBuilder};
use mempolicy::zonelist::{ZoneRef, ZonelistKind, Zonelists};
use mempolicy::{NodeId, NodeMask};

/// Eight nodes with DMA32 (node 0 only), Normal and Movable zones, default distances.
fn machine() -> Topology {
    let mut b = TopologyBuilder::new().zone(NodeId::new(0), ZoneType::Dma32, 1 << 20);
    for i in 0..8 {
        let node = NodeId::new(i);
        b = b
            .online(node)
            .cpu(i as u32, node)
            .zone(node, ZoneType::Normal, 1 << 20)
            .zone(node, ZoneType::Movable, 1 << 19);
    }
    b.build().unwrap()
}

/// Lookups per criterion iteration in the `first_zone` group.
const BATCH: usize = 1000;

fn benches(c: &mut Criterion) {
    let lists = Zonelists::build(&machine());
    let list = lists
        .zonelist(NodeId::new(3), ZonelistKind::Fallback)
        .unwrap();
    let plain: Vec<ZoneRef> = list.as_slice().to_vec();
    let far: NodeMask = "6-7".parse().unwrap();

    // Each lookup goes through `black_box`ed inputs, so none is hoisted out of the batch.
    let mut g = c.benchmark_group("first_zone");
    g.bench_function("plain_array_read", |b| {
        b.iter(|| {
            (0..BATCH)
                .map(|i| black_box(&plain)[i & 1].node().index())
                .sum::<usize>()
        })
    });
    g.bench_function("no_mask_normal", |b| {
        b.iter(|| {
            (0..BATCH)
                .filter_map(|_| black_box(list).first_zone(black_box(ZoneType::Normal), None))
                .map(|z| z.node().index())
                .sum::<usize>()
        })
    });
    g.bench_function("mask_far_nodes_normal", |b| {
        b.iter(|| {
            (0..BATCH)
                .filter_map(|_| {
                    black_box(list).first_zone(black_box(ZoneType::Normal), Some(black_box(&far)))
                })
                .map(|z| z.node().index())
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("full_walk");
    g.bench_function("plain_array_sum", |b| {
        b.iter(|| {
            black_box(&plain)
                .iter()
                .map(|z| z.node().index())
                .sum::<usize>()
        })
    });
    g.bench_function("zonelist_movable_no_mask", |b| {
        b.iter(|| {
            black_box(list)
                .iter(black_box(ZoneType::Movable), None)
                .map(|z| z.node().index())
                .sum::<usize>()
        })
    });
    g.bench_function("zonelist_normal_no_mask", |b| {
        b.iter(|| {
            black_box(list)
                .iter(black_box(ZoneType::Normal), None)
                .map(|z| z.node().index())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(zones, benches);
criterion_main!(zones);

#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Interleave pickers against a plain array read (1000 per iteration: `benches/support/ratios.py`
//! reports them per operation), `NodeMask` scans over every word of the mask, and bulk plans at
//! N = 1, 1000 and 10^6 (a plan must cost the same whatever N).

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mempolicy::interleave::{self, BulkPlan, InterleaveCursor};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

/// The 4-node machine of the conformance recordings, weights 3 1 2 1.
fn setup() -> (NodeMask, [u8; MAX_NUMNODES]) {
    let nodes: NodeMask = "0-3".parse().unwrap();
    let mut weights = [1u8; MAX_NUMNODES];
    weights[..4].copy_from_slice(&[3, 1, 2, 1]);
    (nodes, weights)
}

/// Operations per criterion iteration: one pick takes a few nanoseconds, about criterion's own
/// per-iteration overhead, so each iteration makes this many (times are per batch).
const BATCH: u64 = 1000;

fn picks(c: &mut Criterion) {
    let (nodes, weights) = setup();
    let table: [u16; 64] = core::array::from_fn(|i| (i % 4) as u16);
    let mut group = c.benchmark_group("interleave");

    group.bench_function("array_read", |b| {
        b.iter(|| {
            let table = black_box(&table);
            (0..BATCH)
                .map(|i| u64::from(table[(i % 64) as usize]))
                .sum::<u64>()
        })
    });
    let mut cursor = InterleaveCursor::new();
    group.bench_function("dynamic", |b| {
        b.iter(|| {
            let nodes = black_box(&nodes);
            (0..BATCH)
                .filter_map(|_| cursor.next_interleave(nodes))
                .map(|n| n.index())
                .sum::<usize>()
        })
    });
    let mut cursor = InterleaveCursor::new();
    group.bench_function("dynamic_weighted", |b| {
        b.iter(|| {
            let (nodes, weights) = black_box((&nodes, &weights));
            (0..BATCH)
                .filter_map(|_| cursor.next_weighted(nodes, weights))
                .map(|n| n.index())
                .sum::<usize>()
        })
    });
    let mut ilx = 0u64;
    group.bench_function("static", |b| {
        b.iter(|| {
            let nodes = black_box(&nodes);
            (0..BATCH)
                .filter_map(|_| {
                    ilx = ilx.wrapping_add(7919);
                    interleave::interleave_nid(nodes, ilx)
                })
                .map(|n| n.index())
                .sum::<usize>()
        })
    });
    let mut ilx = 0u64;
    group.bench_function("static_weighted", |b| {
        b.iter(|| {
            let (nodes, weights) = black_box((&nodes, &weights));
            (0..BATCH)
                .filter_map(|_| {
                    ilx = ilx.wrapping_add(7919);
                    interleave::weighted_interleave_nid(nodes, ilx, weights)
                })
                .map(|n| n.index())
                .sum::<usize>()
        })
    });
    group.finish();
}

/// `NodeMask` scans on a mask with nodes in every word (16 nodes spread over the whole range,
/// plus the last node), [`BATCH`] per iteration.
fn nodemask(c: &mut Criterion) {
    let step = MAX_NUMNODES / 16;
    let mut mask: NodeMask = (0..16).map(|i| NodeId::new(i * step + i % step)).collect();
    mask.insert(NodeId::MAX);
    let count = mask.weight();
    let mut group = c.benchmark_group("nodemask");
    group.bench_function("nth", |b| {
        b.iter(|| {
            let mask = black_box(&mask);
            (0..BATCH as usize)
                .filter_map(|i| mask.nth(i % count))
                .map(|n| n.index())
                .sum::<usize>()
        })
    });
    group.bench_function("weight", |b| {
        b.iter(|| (0..BATCH).map(|_| black_box(&mask).weight()).sum::<usize>())
    });
    group.bench_function("next_in", |b| {
        b.iter(|| {
            let mask = black_box(&mask);
            let mut node = NodeId::MAX;
            (0..BATCH)
                .map(|_| {
                    node = mask.next_in(node).unwrap_or(node);
                    node.index()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

fn plans(c: &mut Criterion) {
    let (nodes, weights) = setup();
    let mut group = c.benchmark_group("bulk");
    let mut plan = BulkPlan::new();
    for count in [1u64, 1000, 1_000_000] {
        let mut cursor = InterleaveCursor::new();
        group.bench_with_input(BenchmarkId::new("plain", count), &count, |b, &count| {
            b.iter(|| {
                interleave::bulk_interleave_plan(&mut cursor, black_box(&nodes), count, &mut plan)
            })
        });
        let mut cursor = InterleaveCursor::new();
        group.bench_with_input(BenchmarkId::new("weighted", count), &count, |b, &count| {
            b.iter(|| {
                // + il_weight keeps the carry-over path in play from call to call.
                let pages = count + u64::from(cursor.il_weight());
                interleave::bulk_weighted_plan(
                    &mut cursor,
                    black_box(&nodes),
                    black_box(&weights),
                    pages,
                    &mut plan,
                )
            })
        });
    }
    group.finish();
    black_box(NodeId::MAX);
}

criterion_group!(benches, picks, nodemask, plans);
criterion_main!(benches);

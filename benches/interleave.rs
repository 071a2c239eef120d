#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Interleave pickers against a plain array read, and bulk plans at N = 1, 1000 and 10^6
//! (a plan must cost the same whatever N).

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

fn picks(c: &mut Criterion) {
    let (nodes, weights) = setup();
    let table: [u16; 64] = core::array::from_fn(|i| (i % 4) as u16);
    let mut group = c.benchmark_group("pick");

    let mut i = 0usize;
    group.bench_function("array_read", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(black_box(&table)[i % 64])
        })
    });
    let mut cursor = InterleaveCursor::new();
    group.bench_function("dynamic", |b| {
        b.iter(|| cursor.next_interleave(black_box(&nodes)))
    });
    let mut cursor = InterleaveCursor::new();
    group.bench_function("dynamic_weighted", |b| {
        b.iter(|| cursor.next_weighted(black_box(&nodes), black_box(&weights)))
    });
    let mut ilx = 0u64;
    group.bench_function("static", |b| {
        b.iter(|| {
            ilx = ilx.wrapping_add(7919);
            interleave::interleave_nid(black_box(&nodes), ilx)
        })
    });
    let mut ilx = 0u64;
    group.bench_function("static_weighted", |b| {
        b.iter(|| {
            ilx = ilx.wrapping_add(7919);
            interleave::weighted_interleave_nid(black_box(&nodes), ilx, black_box(&weights))
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

criterion_group!(benches, picks, plans);
criterion_main!(benches);

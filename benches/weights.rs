//! Weighted-interleave weight reads and publishes against the alternatives.
//!
//! `read-<writer>/<impl>`: 1000 reads of `weights[node]` (or one bulk read) with no writer, a
//! writer publishing at about 1 kHz, and a writer publishing back to back. Each implementation
//! gets a writer publishing into its own structure. `publish/<impl>`: one publish of a whole
//! table. Run: `cargo bench --bench weights -- --warm-up-time 1 --measurement-time 3`.
// Unsafe is needed for the bare crossbeam-epoch baseline (`defer_destroy`, `deref`).
#![allow(unsafe_code)]
#![allow(missing_docs)]

mod support;

use core::hint::black_box;
use core::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use arc_swap::{ArcSwap, Cache};
use criterion::{criterion_group, criterion_main, Criterion};
use crossbeam_epoch::{Atomic, Collector, Owned};
use mempolicy::weights::WeightTable;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};
use support::{Background, SpinRwLock, Writer};

type Array = [u8; MAX_NUMNODES];

const NODES: [NodeId; 4] = [
    NodeId::new(0),
    NodeId::new(1),
    NodeId::new(2),
    NodeId::new(3),
];

/// A table with weights 3 1 2 1 whose `step`th variant changes node `step % 4`.
fn array(step: u64) -> Array {
    let mut a = [1; MAX_NUMNODES];
    a[..4].copy_from_slice(&[3, 1, 2, 1]);
    a[(step % 4) as usize] = (step % 200) as u8 + 1;
    a
}

/// Reads per criterion iteration: a read takes about a nanosecond, less than criterion's own
/// per-iteration overhead, so each iteration makes this many and the times are per batch
/// (`benches/support/ratios.py` divides them back to one read).
const BATCH: usize = 1000;

/// Benchmarks `read(node)` over nodes 0..4 in turn, [`BATCH`] reads per iteration.
fn bench_read(c: &mut Criterion, group: &str, name: &str, mut read: impl FnMut(NodeId) -> u8) {
    c.bench_function(&format!("{group}/{name}"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for i in 0..BATCH {
                sum += u32::from(read(NODES[i & 3]));
            }
            sum
        })
    });
}

fn reads(c: &mut Criterion) {
    for mode in Writer::ALL {
        let group = format!("read-{}", mode.name());
        let group = group.as_str();

        // Plain array (the writer publishes into an unrelated table, for the same load).
        {
            let table = Arc::new(WeightTable::new(NodeMask::first_n(4)));
            let mut step = 0;
            let _writer = Background::start(mode, {
                let table = Arc::clone(&table);
                move || {
                    step += 1;
                    let _ = table.set_weight(NodeId::new((step % 4) as usize), 2);
                }
            });
            let plain = array(0);
            // A volatile load: exactly one load per read, which the compiler cannot hoist out
            // of the batch loop or fold into a sum.
            bench_read(c, group, "plain-array", |n| {
                // SAFETY: a reference to an element of a live array is valid for a read.
                unsafe { core::ptr::read_volatile(&plain[n.index()]) }
            });
        }

        // Ours: single read, bulk read of 4 nodes, copy of the whole table.
        {
            let table = Arc::new(WeightTable::new(NodeMask::first_n(4)));
            let mut step = 0u64;
            let _writer = Background::start(mode, {
                let table = Arc::clone(&table);
                move || {
                    step += 1;
                    let _ =
                        table.set_weight(NodeId::new((step % 4) as usize), (step % 200) as u8 + 1);
                }
            });
            let mut reader = table.reader();
            bench_read(c, group, "ours", |n| reader.weight(n));
            let mask = NodeMask::first_n(4);
            let mut out = [0; MAX_NUMNODES];
            c.bench_function(&format!("{group}/ours-bulk-4-nodes"), |b| {
                b.iter(|| {
                    (0..BATCH)
                        .map(|_| reader.weights_of(black_box(&mask), &mut out))
                        .sum::<u32>()
                })
            });
            c.bench_function(&format!("{group}/ours-copy-all"), |b| {
                b.iter(|| {
                    for _ in 0..BATCH {
                        reader.copy_weights(&mut out);
                        black_box(&out);
                    }
                })
            });
        }

        // crossbeam-epoch, one pin per read.
        {
            let collector = Collector::new();
            let cell = Arc::new(Atomic::new(array(0)));
            let mut step = 0;
            let _writer = Background::start(mode, {
                let (collector, cell) = (collector.clone(), Arc::clone(&cell));
                move || {
                    step += 1;
                    let handle = collector.register();
                    let guard = handle.pin();
                    let old = cell.swap(Owned::new(array(step)), Ordering::AcqRel, &guard);
                    // SAFETY: unlinked by the swap and retired once.
                    unsafe { guard.defer_destroy(old) };
                }
            });
            let handle = collector.register();
            bench_read(c, group, "epoch-pin-per-read", |n| {
                let guard = handle.pin();
                // SAFETY: never null; the guard protects it.
                let table = unsafe { cell.load(Ordering::Acquire, &guard).deref() };
                table[n.index()]
            });
        }

        // arc-swap: load, and Cache.
        {
            let swap = Arc::new(ArcSwap::from_pointee(array(0)));
            let mut step = 0;
            let _writer = Background::start(mode, {
                let swap = Arc::clone(&swap);
                move || {
                    step += 1;
                    swap.store(Arc::new(array(step)));
                }
            });
            bench_read(c, group, "arcswap-load", |n| swap.load()[n.index()]);
            let mut cache = Cache::new(Arc::clone(&swap));
            bench_read(c, group, "arcswap-cache", |n| cache.load()[n.index()]);
        }

        // Reader-writer locks.
        {
            let lock = Arc::new(SpinRwLock::new(array(0)));
            let mut step = 0;
            let _writer = Background::start(mode, {
                let lock = Arc::clone(&lock);
                move || {
                    step += 1;
                    lock.write(|a| *a = array(step));
                }
            });
            bench_read(c, group, "spin-rwlock", |n| lock.read(|a| a[n.index()]));
        }
        {
            let lock = Arc::new(RwLock::new(array(0)));
            let mut step = 0;
            let _writer = Background::start(mode, {
                let lock = Arc::clone(&lock);
                move || {
                    step += 1;
                    if let Ok(mut a) = lock.write() {
                        *a = array(step);
                    }
                }
            });
            bench_read(c, group, "std-rwlock", |n| {
                lock.read().map_or(0, |a| a[n.index()])
            });
        }
    }
}

fn publishes(c: &mut Criterion) {
    let table = WeightTable::new(NodeMask::first_n(4));
    let mut step = 0u64;
    c.bench_function("publish/ours-set-weight", |b| {
        b.iter(|| {
            step += 1;
            table.set_weight(NodeId::new((step % 4) as usize), (step % 200) as u8 + 1)
        })
    });

    let collector = Collector::new();
    let handle = collector.register();
    let cell = Atomic::new(array(0));
    c.bench_function("publish/epoch-bare", |b| {
        b.iter(|| {
            step += 1;
            let guard = handle.pin();
            let old = cell.swap(Owned::new(array(step)), Ordering::AcqRel, &guard);
            // SAFETY: unlinked by the swap and retired once.
            unsafe { guard.defer_destroy(old) };
        })
    });
    // SAFETY: the benchmark is over; nothing else holds the cell.
    unsafe { drop(cell.into_owned()) };

    let swap = ArcSwap::from_pointee(array(0));
    c.bench_function("publish/arcswap-store", |b| {
        b.iter(|| {
            step += 1;
            swap.store(Arc::new(array(step)));
        })
    });
}

criterion_group!(benches, reads, publishes);
criterion_main!(benches);

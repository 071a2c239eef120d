//! Multi-threaded stress of the weight table's read-copy-update: two readers copy and read
//! the table while two writers publish new ones (manual `set_weight`; `set_node_bandwidth`
//! with `set_auto`). No call fails, no reader ever sees a table that no writer published
//! (a mix of two tables, a half-built or a freed one), and every retired table is freed in
//! the end. Run it under AddressSanitizer for use-after-free and leak checks
//! (`fuzz/asan.sh`).
//!
//! `STRESS_OPS` sets the number of operations (default 100 000, a few seconds;
//! `STRESS_OPS=1000000` for the long run): each of the four threads does at least a quarter
//! of it, the writers until both readers have done theirs and the readers until the writers
//! are done, so that they overlap however the threads are scheduled.
//!
//! # The pattern readers check
//! Weights are written one node at a time, so two successive tables differ in one node and
//! any mix of them is itself a published table; a torn read shows only across tables that
//! differ in many nodes. The writers therefore keep every published table recognisable:
//! * the manual writer sweeps nodes 0, 1, …, N-1, setting each to the sweep's value
//!   `v = generation % 255 + 1`, so nodes 1..N hold `v` on a prefix and the value they had
//!   before the sweep (`v - 1`, wrapping 1 to 255, or 1 after an automatic table) on the
//!   rest;
//! * the automatic writer publishes (between sweeps) tables derived from bandwidths that are
//!   equal on nodes 1..N and vary on node 0 only: weight 1 on nodes 1..N, anything on node 0.
//!
//! So a reader's bulk copy of nodes 1..N must be one "step": a run of `a` then a run of `b`,
//! with `b == a`, `b` the value before `a`, or `b == 1`; and no weight is ever 0. A copy that
//! mixes two sweeps, or a sweep and an automatic table, shows three runs or a wrong step.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

use mempolicy::weights::WeightTable;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

/// Bandwidth of nodes 1..N (and node 0's default).
const BANDWIDTH: u64 = 100;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn total_ops() -> u64 {
    std::env::var("STRESS_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The value a sweep writes.
fn sweep_value(generation: u64) -> u8 {
    (generation % 255) as u8 + 1
}

/// The value the sweep before a sweep writing `v` wrote.
fn before(v: u8) -> u8 {
    if v == 1 {
        255
    } else {
        v - 1
    }
}

/// Checks that `weights` (in node order) is one step: `a…a b…b` with a valid `(a, b)`.
fn check_step(weights: impl IntoIterator<Item = u8>) -> Result<(), String> {
    let mut runs: Vec<u8> = Vec::new();
    for w in weights {
        if w == 0 {
            return Err("a zero weight".into());
        }
        if runs.last() != Some(&w) {
            runs.push(w);
        }
    }
    match runs[..] {
        [] | [_] => Ok(()),
        [a, b] if b == before(a) || b == 1 => Ok(()),
        _ => Err(format!("a mix of tables: runs {runs:?}")),
    }
}

/// What the readers found, for the report.
#[derive(Debug, Default)]
struct ReaderStats {
    ops: u64,
    copies: u64,
    distinct_steps: u64,
}

/// How the threads overlap: writers write until every reader has done its share, readers
/// read until the writers are done.
struct Progress {
    start: Barrier,
    readers_busy: AtomicUsize,
    writers_done: AtomicBool,
}

/// Reads for at least `ops` operations and until the writers are done.
fn reader(table: &WeightTable, ops: u64, seed: u64, progress: &Progress) -> ReaderStats {
    let mut rng = Rng(seed);
    let mut reader = table.reader();
    let mut out = [0u8; MAX_NUMNODES];
    let mut stats = ReaderStats::default();
    let mut last = [0u8; MAX_NUMNODES];
    progress.start.wait();
    let mut i = 0u64;
    while i < ops || !progress.writers_done.load(Ordering::Acquire) {
        i += 1;
        if i == ops {
            progress.readers_busy.fetch_sub(1, Ordering::AcqRel);
        }
        match rng.below(8) {
            // Bulk copy of the whole table.
            0..=3 => {
                reader.copy_weights(&mut out);
                if let Err(e) = check_step(out[1..].iter().copied()) {
                    panic!("copy_weights: {e}: {:?}", &out[..]);
                }
                stats.copies += 1;
                if out[1..] != last[1..] {
                    stats.distinct_steps += 1;
                    last = out;
                }
            }
            // Bulk copy of a random mask: a sub-sequence of a step is a step.
            4 | 5 => {
                let mut nodes = NodeMask::new();
                for _ in 0..1 + rng.below(16) {
                    nodes.insert(NodeId::new(1 + rng.below(MAX_NUMNODES as u64 - 1) as usize));
                }
                out = [0; MAX_NUMNODES];
                let total = reader.weights_of(&nodes, &mut out);
                let picked: Vec<u8> = nodes.iter().map(|n| out[n.index()]).collect();
                assert_eq!(total, picked.iter().map(|&w| u32::from(w)).sum::<u32>());
                if let Err(e) = check_step(picked.iter().copied()) {
                    panic!("weights_of({nodes}): {e}: {picked:?}");
                }
            }
            // Every node, one read each (tables may change in between: no step check).
            6 => {
                for node in 0..MAX_NUMNODES {
                    assert_ne!(reader.weight(NodeId::new(node)), 0, "weight({node})");
                }
            }
            _ => {
                let _ = reader.is_auto();
                if i % 64 == 0 {
                    reader.quiescent();
                }
                // Lets writers run on a busy machine, so that reads and writes interleave.
                if i % 512 == 0 {
                    thread::yield_now();
                }
            }
        }
    }
    stats.ops = i;
    stats
}

#[test]
fn readers_never_see_mixed_or_freed_tables_and_every_table_is_freed() {
    let ops = total_ops();
    let per_thread = ops / 4;
    let table = WeightTable::new(NodeMask::first_n(MAX_NUMNODES));
    for node in 0..MAX_NUMNODES {
        table
            .set_node_bandwidth(NodeId::new(node), BANDWIDTH, BANDWIDTH)
            .unwrap();
    }
    let domain = table.domain().clone();
    // Writers alternate whole sweeps and automatic bursts.
    let sweep = Mutex::new(());
    let progress = Progress {
        start: Barrier::new(4),
        readers_busy: AtomicUsize::new(2),
        writers_done: AtomicBool::new(false),
    };
    let readers_busy = || progress.readers_busy.load(Ordering::Acquire) > 0;

    let (reader_stats, published) = thread::scope(|s| {
        let readers: Vec<_> = (0..2u64)
            .map(|r| {
                let (table, progress) = (&table, &progress);
                s.spawn(move || reader(table, per_thread, 0x9E37_79B9 + r, progress))
            })
            .collect();

        let manual = s.spawn(|| {
            progress.start.wait();
            let mut done = 0u64;
            let mut generation = 1u64;
            while done < per_thread || readers_busy() {
                let sweep = sweep.lock().unwrap();
                let v = sweep_value(generation);
                for node in 0..MAX_NUMNODES {
                    table.set_weight(NodeId::new(node), v).unwrap();
                }
                done += MAX_NUMNODES as u64;
                generation += 1;
                drop(sweep);
                thread::yield_now();
            }
            done
        });

        let auto = s.spawn(|| {
            progress.start.wait();
            let mut rng = Rng(0xD1B5_4A32_D192_ED03);
            let mut done = 0u64;
            while done < per_thread || readers_busy() {
                {
                    // A burst: automatic mode, node 0's bandwidth changes (each change
                    // publishes while automatic), then back to manual.
                    let _sweep = sweep.lock().unwrap();
                    table.set_auto(true).unwrap();
                    for _ in 0..4 {
                        let bw = BANDWIDTH << rng.below(12);
                        table.set_node_bandwidth(NodeId::new(0), bw, bw).unwrap();
                    }
                    table.set_auto(false).unwrap();
                    done += 6;
                }
                // Outside a burst the table is manual: bandwidth updates only take the
                // writer lock (contending with the manual writer) and publish nothing.
                for _ in 0..8 {
                    let node = 1 + rng.below(MAX_NUMNODES as u64 - 1) as usize;
                    table
                        .set_node_bandwidth(NodeId::new(node), BANDWIDTH, BANDWIDTH)
                        .unwrap();
                    assert!(!table.is_auto());
                }
                done += 16;
                thread::yield_now();
            }
            done
        });

        let published = manual.join().unwrap() + auto.join().unwrap();
        progress.writers_done.store(true, Ordering::Release);
        let stats: Vec<ReaderStats> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        (stats, published)
    });
    assert!(published >= ops / 2);
    for stats in &reader_stats {
        assert!(stats.copies > 0);
    }
    eprintln!(
        "stress_weights: {ops} ops, writers {published}, readers {reader_stats:?}, \
         retired before drop {}",
        domain.retired()
    );

    // Every retired table is freed once the readers are gone.
    drop(table);
    for _ in 0..1000 {
        if domain.retired() == 0 {
            break;
        }
        domain.reclaim();
    }
    assert_eq!(domain.retired(), 0, "retired tables never freed");
}

#[test]
fn the_step_check_catches_mixed_tables() {
    // Two sweeps; a sweep over an automatic table; wrapping; one table.
    for good in [
        &[7u8, 7, 6, 6][..],
        &[7, 7, 1, 1],
        &[1, 1, 255],
        &[3, 3, 3],
        &[],
    ] {
        assert_eq!(check_step(good.iter().copied()), Ok(()), "{good:?}");
    }
    for bad in [&[7u8, 6, 7][..], &[7, 5], &[5, 7], &[7, 0], &[7, 6, 1]] {
        assert!(check_step(bad.iter().copied()).is_err(), "{bad:?} passed");
    }
}

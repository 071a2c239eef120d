//! The weight read path never allocates or frees, and every published table is freed in the
//! end. A counting global allocator keeps per-thread counters (to see the
//! reader thread alone) and counts live allocations shaped like a published table (to see
//! leaks).
//!
//! A published table is `{ auto: bool, weights: [u8; MAX_NUMNODES], small_eight: u64 }`,
//! allocated alone in an epoch node behind a two-word header (the link the domain frees it
//! through): `MAX_NUMNODES + 9` bytes after two words, rounded up to a word, word-aligned.
//! Only the test's own threads are counted: the test harness allocates blocks of any shape on
//! its threads while the test runs (a whole-process count raced with them under load).

// Unsafe is needed for the counting `GlobalAlloc` (test only).
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::alloc::System;
use std::sync::Barrier;
use std::thread;

use mempolicy::interleave::WeightSource;
use mempolicy::weights::WeightTable;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static FREES: Cell<u64> = const { Cell::new(0) };
}

/// Live allocations shaped like a published table.
static LIVE_TABLES: AtomicIsize = AtomicIsize::new(0);
/// The most live table-shaped allocations seen at once.
static PEAK_TABLES: AtomicIsize = AtomicIsize::new(0);

fn is_table(layout: Layout) -> bool {
    let word = core::mem::size_of::<usize>();
    let size = (2 * word + MAX_NUMNODES + 1 + 8).next_multiple_of(word);
    layout.size() == size && layout.align() == core::mem::align_of::<usize>()
}

thread_local! {
    /// Whether this thread is one of the test's, whose table-shaped blocks are counted.
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread's table-shaped blocks from now on.
fn track_this_thread() {
    TRACKED.with(|t| t.set(true));
}

fn tracked(layout: Layout) -> bool {
    is_table(layout) && TRACKED.try_with(Cell::get).unwrap_or(false)
}

fn table_allocated(layout: Layout) {
    if tracked(layout) {
        let live = LIVE_TABLES.fetch_add(1, Ordering::Relaxed) + 1;
        PEAK_TABLES.fetch_max(live, Ordering::Relaxed);
    }
}

fn table_freed(layout: Layout) {
    if tracked(layout) {
        LIVE_TABLES.fetch_sub(1, Ordering::Relaxed);
    }
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    // `try_with`: the counters may be gone while a thread's locals are being destroyed.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are thread-local `Cell`s and one atomic, none of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        table_allocated(layout);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        table_allocated(layout);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&FREES);
        table_freed(layout);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCS);
        bump(&FREES);
        table_freed(layout);
        table_allocated(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counters() -> (u64, u64) {
    (ALLOCS.with(Cell::get), FREES.with(Cell::get))
}

const READS: usize = 1_000_000;

#[test]
fn reads_never_allocate_and_every_table_is_freed() {
    // Counted relative to what was live before the first table (nothing, with only this
    // test's threads counted).
    track_this_thread();
    let before_tables = LIVE_TABLES.load(Ordering::SeqCst);
    let nodes = NodeMask::first_n(4);
    let table = WeightTable::new(nodes);
    let done = AtomicBool::new(false);
    let start = Barrier::new(2);
    let mut publishes = 0u64;
    let (reader_counts, distinct) = thread::scope(|s| {
        let reader_thread = s.spawn(|| {
            track_this_thread();
            let mut reader = table.reader(); // registration allocates: before counting
            let mut bulk = [0u8; MAX_NUMNODES];
            let mut seen = [false; 256];
            start.wait();
            let before = counters();
            for i in 0..READS {
                let node = NodeId::new(i % 4);
                let w = match i % 4 {
                    0 => reader.weight(node),
                    1 => {
                        let total = reader.weights_of(&nodes, &mut bulk);
                        assert!((4..=4 * 255).contains(&total));
                        bulk[node.index()]
                    }
                    2 => {
                        reader.copy_weights(&mut bulk);
                        bulk[node.index()]
                    }
                    _ => reader.with_view(|view| view.weight(node)),
                };
                assert_ne!(w, 0);
                seen[usize::from(w)] = true;
            }
            let after = counters();
            done.store(true, Ordering::SeqCst);
            (
                (after.0 - before.0, after.1 - before.1),
                seen.iter().filter(|&&s| s).count(),
            )
        });
        start.wait();
        let mut w = 1u8;
        while !done.load(Ordering::SeqCst) {
            w = w % 200 + 1;
            match publishes % 4 {
                0 | 1 => table.set_weight(NodeId::new(w as usize % 4), w).unwrap(),
                2 => table
                    .set_node_bandwidth(NodeId::new(1), u64::from(w) * 10, 1000)
                    .unwrap(),
                _ => table.set_auto(publishes % 8 == 3).unwrap(),
            }
            publishes += 1;
        }
        reader_thread.join().unwrap()
    });
    assert_eq!(
        reader_counts,
        (0, 0),
        "the reader thread allocated or freed"
    );
    assert!(
        publishes > 10 && distinct > 1,
        "{publishes} publishes, {distinct} weights seen"
    );

    // Every reader is gone: one reclaim frees every retired table, however large the
    // backlog a writer storm left.
    let backlog = table.retired();
    table.reclaim();
    assert_eq!(table.retired(), 0, "backlog was {backlog}");
    assert_eq!(
        LIVE_TABLES.load(Ordering::SeqCst) - before_tables,
        1,
        "only the current table is left"
    );
    drop(table);
    assert_eq!(
        LIVE_TABLES.load(Ordering::SeqCst),
        before_tables,
        "tables leaked"
    );
    assert!(
        PEAK_TABLES.load(Ordering::SeqCst) > before_tables + 1,
        "the table counter saw no tables"
    );
}

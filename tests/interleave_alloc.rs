//! The pickers and plans never touch the heap: a counting global allocator sees no
//! allocation while they run.
// A `GlobalAlloc` impl is unsafe by definition; this test binary needs one to count.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use std::alloc::System;

use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, InterleaveMode, Uniform};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

/// Forwards to the system allocator, counting calls made while this thread is measuring.
struct Counting;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    // Per thread: tests run in parallel, and another test's allocations must not count.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations this thread made meanwhile.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    MEASURING.with(|m| m.set(true));
    f();
    MEASURING.with(|m| m.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn counter_sees_allocations() {
    let count = allocations_in(|| drop(core::hint::black_box(vec![1u8; 64])));
    assert_eq!(count, 1);
}

#[test]
fn picks_and_plans_do_not_allocate() {
    let nodes: NodeMask = (0..MAX_NUMNODES.min(48))
        .step_by(3)
        .map(NodeId::new)
        .collect();
    let weights = [7u8; MAX_NUMNODES];
    let closure = |node: NodeId| (node.index() % 5 + 1) as u8;
    let mut plan = BulkPlan::new();
    let mut cursor = InterleaveCursor::new();
    let mut sink = 0u64;
    let count = allocations_in(|| {
        for round in 0..200u64 {
            let picks = [
                cursor.next_interleave(&nodes),
                cursor.next_weighted(&nodes, &weights),
                cursor.next_weighted(&nodes, &Uniform),
                cursor.next_weighted(&nodes, &closure),
                cursor.peek_node(InterleaveMode::Plain, &nodes),
                cursor.peek_node(InterleaveMode::Weighted, &nodes),
                interleave::interleave_nid(&nodes, round * 7919),
                interleave::weighted_interleave_nid(&nodes, round * 7919, &weights),
                interleave::weighted_interleave_nid(&nodes, round, &weights[..]),
                interleave::weighted_interleave_nid(&nodes, round, &closure),
            ];
            sink += picks
                .iter()
                .flatten()
                .map(|n| n.index() as u64)
                .sum::<u64>();
            sink +=
                interleave::vma_interleave_index(round, 1 << 32, (1 << 32) + round * 4096, 0, 12);
            sink += interleave::bulk_interleave_plan(&mut cursor, &nodes, round * 1000, &mut plan);
            sink += plan.total();
            sink += interleave::bulk_weighted_plan(
                &mut cursor,
                &nodes,
                &weights,
                round * 1000 + 3,
                &mut plan,
            );
            sink += plan.pages_on(NodeId::new(0));
        }
    });
    core::hint::black_box(sink);
    assert_eq!(count, 0, "the pickers allocated {count} times");
}

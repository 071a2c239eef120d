//! A counting global allocator for the tests that show a path never touches the heap. It
//! forwards every call to the system allocator and counts, per thread (tests run in
//! parallel), the allocations (`alloc`, `alloc_zeroed`, `realloc`) and the frees.
// A `GlobalAlloc` is an unsafe trait; these test binaries need one to count.
#![allow(unsafe_code, dead_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use std::alloc::System;
use std::thread::LocalKey;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static FREES: Cell<usize> = const { Cell::new(0) };
}

fn bump(counter: &'static LocalKey<Cell<usize>>) {
    // `try_with`: the counters may be gone while a thread's locals are being destroyed.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counters are thread-local
// `Cell`s, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&FREES);
        // SAFETY: forwarded unchanged; `ptr` came from `System` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The allocations this thread has made so far.
pub(crate) fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `f` and returns how many allocations this thread made meanwhile.
pub(crate) fn allocations_during(f: impl FnOnce()) -> usize {
    let before = allocations();
    f();
    allocations() - before
}

/// Runs `f` and returns how many allocations and frees this thread made meanwhile.
pub(crate) fn heap_calls_during(f: impl FnOnce()) -> usize {
    let calls = || allocations() + FREES.with(Cell::get);
    let before = calls();
    f();
    calls() - before
}

#[test]
fn the_counter_sees_an_allocation_and_its_free() {
    assert_eq!(
        allocations_during(|| drop(core::hint::black_box(vec![1u8; 64]))),
        1
    );
    assert_eq!(
        heap_calls_during(|| drop(core::hint::black_box(Box::new(1u64)))),
        2
    );
}

//! The kernel heap behind `alloc`: `linked_list_allocator` over a range of RAM taken from the
//! boot memory map, behind an [`IrqLock`].
//!
//! The crate needs `alloc` (its epoch-based reclamation and its published tables live on the
//! heap); the kernel uses it for its own tables, descriptor tables and the frame pools' bitmaps
//! (CPU stacks come from the frame pools, on each CPU's node). The heap's range is reserved: the frame pools never hand it out.

use crate::phys::PhysRange;
use crate::sync::IrqLock;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;

/// Bytes of heap.
pub const HEAP_SIZE: u64 = 4 << 20;

struct KernelHeap(IrqLock<Heap>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(IrqLock::new(Heap::empty()));

// SAFETY: `Heap` hands out disjoint blocks of the range given to `init`, each fitting the
// requested layout, and the lock serialises every call on every CPU (interrupts included).
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0
            .lock()
            .allocate_first_fit(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(ptr) = NonNull::new(ptr) {
            // SAFETY: `GlobalAlloc`'s contract: `ptr` came from `alloc` with this `layout`.
            unsafe { self.0.lock().deallocate(ptr, layout) }
        }
    }
}

/// Hands `range` to the heap. Call once, on the boot CPU, before anything allocates.
///
/// # Safety
/// `range` must be usable RAM below the end of the identity map that nothing else uses, now
/// or later: the caller keeps it out of the frame pools.
pub unsafe fn init(range: PhysRange) {
    let mut heap = HEAP.0.lock();
    assert!(heap.size() == 0, "heap initialised twice");
    // SAFETY: the range is identity-mapped, unused RAM owned by the heap from now on (the
    // caller's contract), and this is the only `init`.
    unsafe { heap.init(range.start as *mut u8, range.len() as usize) };
}

/// Bytes of the heap in use.
pub fn used() -> usize {
    HEAP.0.lock().used()
}

/// Picks the heap's range: the first [`HEAP_SIZE`] bytes of usable RAM at or above 16 MiB
/// (leaving the DMA zone to the frame pools) and above `kernel_end`, below 4 GiB; if none
/// fits, the first fit above `kernel_end`.
pub fn choose(
    usable: impl Iterator<Item = PhysRange> + Clone,
    kernel_end: u64,
) -> Option<PhysRange> {
    let fit = |floor: u64| {
        usable.clone().find_map(|r| {
            let start = (r.start.max(floor) + 0xFFF) & !0xFFF;
            let range = PhysRange::sized(start, HEAP_SIZE);
            (r.covers(&range) && range.end <= 1 << 32).then_some(range)
        })
    };
    fit(kernel_end.max(16 << 20)).or_else(|| fit(kernel_end))
}

//! Epoch-based read-copy-update for the crate's shared objects (Linux: RCU, as used for
//! `wi_state` and, since CVE-2026-23415, for freeing `struct mempolicy`).
//!
//! A [`Domain`] is one reclamation domain (a crossbeam-epoch `Collector`) owned by the
//! embedder. Each CPU registers one [`Reader`] with it, once; the reader stays pinned for its
//! whole life and only moves its epoch forward with [`Reader::quiescent`]. That call never
//! allocates, never frees and takes no lock: it is crossbeam's `repin`, which (unlike `pin`)
//! never runs deferred destructors. Objects retired by writers are freed on writer paths and by
//! [`Domain::reclaim`], never on a reader's path.
//!
//! This is the classic RCU contract: a retired object is freed once every registered reader has
//! passed a quiescent state. Readers report one whenever they notice a publish (the readers of
//! this crate do that on their own), and the embedder reports one for an idle CPU by calling
//! [`Reader::quiescent`] from its idle loop or scheduler tick, or by dropping the reader. Until
//! then, the objects retired since that reader's last quiescent state stay allocated;
//! [`Domain::retired`] tells how many.
//!
//! `RcuCell` is the building block the rest of the crate uses: one pointer, read lock-free
//! through a reader, replaced whole by writers.
// Unsafe is allowed here: this module dereferences epoch pointers and retires them.
#![allow(unsafe_code)]

use alloc::sync::Arc;
use core::fmt;

use crate::sync::epoch::{self, Atomic, Collector, Guard, LocalHandle, Owned};
use crate::sync::{fence, AtomicUsize, Mutex, Ordering};

/// How many objects a writer retires before it hands them to the collector (a crossbeam
/// `flush`, which seals and copies a whole bag). Batching keeps a publish close to the cost of
/// a bare epoch swap; it bounds how many retired objects wait for [`Domain::reclaim`].
const RETIRE_BATCH: usize = 8;

/// One reclamation domain: the epoch shared by a set of readers and the objects they read.
///
/// Cloning a domain is cheap and gives another handle to the same domain.
#[derive(Clone, Default)]
pub struct Domain {
    collector: Collector,
    /// Objects retired and not yet freed. Shared with the deferred destructors, which must not
    /// hold the collector (that would be a reference cycle).
    retired: Arc<AtomicUsize>,
    /// The writers' handle, registered once and used only under this lock.
    writer: Arc<Mutex<Option<WriterHandle>>>,
}

/// The epoch handle writers pin to swap and retire objects, with the number of objects
/// retired into its bag since the last flush.
struct WriterHandle {
    handle: LocalHandle,
    unflushed: usize,
}

// SAFETY: crossbeam's `LocalHandle` is `!Send` because its `Local` keeps counters in `Cell`s
// and its bag of deferred functions in an `UnsafeCell`, touched through the handle and its
// guards without synchronization. A `WriterHandle` lives only inside `Domain::writer`, and the
// handle and every guard pinned from it are used only while that lock is held (no guard
// escapes `Domain::with_writer`). Uses from different threads are therefore ordered by the
// lock's acquire and release, exactly as sequential uses by one thread; `Local` keeps no
// thread identity (no thread-local storage) that a move could invalidate.
unsafe impl Send for WriterHandle {}

impl Domain {
    /// Creates a new, empty domain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a reader (one per CPU). This allocates; do it once, outside the allocator.
    pub fn register(&self) -> Reader {
        let handle = self.collector.register();
        let guard = handle.pin();
        Reader { guard, handle }
    }

    /// Frees every retired object whose grace period has ended. Call it from a context that
    /// may free memory (never from inside the allocator); writers call it every few publishes.
    pub fn reclaim(&self) {
        // Each flush collects a bounded number of bags; repeat while it makes progress.
        for _ in 0..64 {
            let before = self.retired();
            self.with_writer(|unflushed, guard| {
                guard.flush();
                *unflushed = 0;
            });
            let after = self.retired();
            if after == 0 || after >= before {
                break;
            }
        }
    }

    /// Runs `f` with the writers' handle pinned, under the writer lock; `f` also gets the
    /// count of objects retired since the last flush.
    fn with_writer<R>(&self, f: impl FnOnce(&mut usize, &Guard) -> R) -> R {
        let mut slot = self.writer.lock();
        let writer = slot.get_or_insert_with(|| WriterHandle {
            handle: self.collector.register(),
            unflushed: 0,
        });
        let guard = writer.handle.pin();
        f(&mut writer.unflushed, &guard)
    }

    /// Returns how many retired objects have not been freed yet.
    pub fn retired(&self) -> usize {
        self.retired.load(Ordering::Acquire)
    }

    /// Returns whether `reader` belongs to this domain.
    pub fn owns(&self, reader: &Reader) -> bool {
        *reader.handle.collector() == self.collector
    }

    /// Retires `old` (already unlinked): it is dropped once no reader can still see it.
    ///
    /// # Safety
    /// `old` must have come from `Owned::into_shared` / an `Atomic` of this domain, must be
    /// unreachable for readers that pin after this call, and must not be retired twice.
    unsafe fn retire<T: Send + 'static>(&self, old: epoch::Shared<'_, T>, guard: &Guard) {
        self.retired.fetch_add(1, Ordering::AcqRel);
        let counter = Arc::clone(&self.retired);
        let raw = old.as_raw() as usize;
        // SAFETY: (1) by this function's contract, `old` is unlinked, so only readers pinned
        // before now can hold it, and the collector runs the closure only after they have all
        // moved on; (2) `raw` is the address of a live `T` allocated by `Owned`, dropped once
        // here; (3) the closure owns everything it touches (`counter`), nothing on the stack.
        unsafe {
            guard.defer_unchecked(move || {
                drop(Owned::<T>::from_raw(raw as *mut T));
                counter.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Domain")
            .field("retired", &self.retired())
            .finish_non_exhaustive()
    }
}

/// A per-CPU read handle: pinned to the domain's epoch from registration until it is dropped.
///
/// Not `Send`: it belongs to one CPU (one thread in the `std` shim).
pub struct Reader {
    // Field order matters: the guard unpins before the handle unregisters.
    guard: Guard,
    handle: LocalHandle,
}

impl Reader {
    /// Reports a quiescent state: the reader holds no reference obtained before this call, so
    /// objects retired before it may be freed. Never allocates, frees, blocks or locks.
    pub fn quiescent(&mut self) {
        self.guard.repin();
        // Pairs with the release store of the global epoch by whoever advanced it, so that
        // loads after this call see every publish that the new epoch accounts for.
        fence(Ordering::Acquire);
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

/// One pointer to a `T`, read lock-free through a [`Reader`] and replaced whole by writers.
///
/// Invariant: the pointer is never null; it is set in `new` and only ever swapped for another
/// `Owned`.
pub(crate) struct RcuCell<T: Send + Sync + 'static> {
    current: Atomic<T>,
}

impl<T: Send + Sync + 'static> RcuCell<T> {
    /// Creates a cell holding `value` (allocates).
    pub(crate) fn new(value: T) -> Self {
        Self {
            current: Atomic::new(value),
        }
    }

    /// Returns the current value. The reference lives as long as both the cell and the borrow
    /// of the reader, so it cannot survive a [`Reader::quiescent`].
    ///
    /// The reader must belong to the domain the cell's writers retire into; callers guarantee
    /// this by construction (checked in debug builds).
    pub(crate) fn load<'a>(&'a self, reader: &'a Reader) -> &'a T {
        let shared = self.current.load(Ordering::Acquire, &reader.guard);
        // SAFETY: (1) `current` is never null (field invariant); (2) the reader is pinned and
        // stays pinned while the returned borrow lives (`quiescent` needs `&mut Reader`), and a
        // value unlinked by a writer is only freed through `Domain::retire` after every reader
        // pinned before the unlink has repinned; (3) the cell cannot be dropped while borrowed.
        unsafe { shared.deref() }
    }

    /// Returns the address of the current value, for change detection only (never
    /// dereferenced).
    #[allow(dead_code)] // used by readers that detect publishes by address
    pub(crate) fn current_ptr(&self, reader: &Reader) -> *const T {
        self.current.load(Ordering::Acquire, &reader.guard).as_raw()
    }

    /// Calls `f` with the current value, pinning a temporary handle (writer paths only: this
    /// allocates and may free).
    pub(crate) fn with_current<R>(&self, domain: &Domain, f: impl FnOnce(&T) -> R) -> R {
        domain.with_writer(|_, guard| {
            let shared = self.current.load(Ordering::Acquire, guard);
            // SAFETY: as in `load`: never null, and `guard` keeps it alive for the call.
            f(unsafe { shared.deref() })
        })
    }

    /// Publishes `value` with one atomic swap, retires the old value into `domain` and frees
    /// whatever has expired. Writers that copy-modify-publish must serialize among themselves.
    pub(crate) fn publish(&self, value: T, domain: &Domain) {
        let value = Owned::new(value);
        domain.with_writer(|unflushed, guard| {
            let old = self.current.swap(value, Ordering::AcqRel, guard);
            // SAFETY: the swap unlinked `old`, which came from `Owned`, and only this call
            // holds it.
            unsafe { domain.retire(old, guard) };
            *unflushed += 1;
            if *unflushed >= RETIRE_BATCH {
                guard.flush();
                *unflushed = 0;
            }
        });
    }
}

impl<T: Send + Sync + 'static> Drop for RcuCell<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no reader borrows the current value (`load` ties its result
        // to the cell's borrow), and values retired earlier are owned by the domain.
        unsafe {
            let current = self.current.load(Ordering::Relaxed, epoch::unprotected());
            drop(current.into_owned());
        }
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for RcuCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RcuCell").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn publish_retires_and_reclaims() {
        let domain = Domain::new();
        let cell = RcuCell::new(1u32);
        let mut reader = domain.register();
        assert_eq!(*cell.load(&reader), 1);
        cell.publish(2, &domain);
        // The reader is still pinned at the old epoch: the old value must stay allocated.
        assert_eq!(domain.retired(), 1);
        assert_eq!(*cell.load(&reader), 2);
        for _ in 0..4 {
            reader.quiescent();
            domain.reclaim();
        }
        assert_eq!(domain.retired(), 0);
        assert!(domain.owns(&reader));
        assert!(!Domain::new().owns(&reader));
    }

    #[test]
    fn dropping_everything_frees_everything() {
        let domain = Domain::new();
        let reader = domain.register();
        let cell = RcuCell::new(alloc::vec![1u8; 16]);
        for i in 0..10 {
            cell.publish(alloc::vec![i; 16], &domain);
        }
        assert!(domain.retired() > 0);
        drop(reader);
        drop(cell);
        let counter = Arc::clone(&domain.retired);
        drop(domain);
        assert_eq!(counter.load(Ordering::Acquire), 0);
    }
}

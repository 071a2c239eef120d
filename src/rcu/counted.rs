//! [`Counted`]: a reference-counted object whose last release is deferred by a grace period
//! of the domain it was published in (Linux: `struct mempolicy`'s `refcnt`, `mpol_get`, and
//! `__mpol_put` freeing with `kfree_rcu`).
//!
//! Dropping the last reference never frees, locks or allocates when the object was ever
//! installed in a cell of a live domain: the object is pushed onto that domain's orphan
//! stack (one compare-and-swap), a writer retires it, and it is destroyed after a grace
//! period, on a writer path, like any retired object. So the last drop is as cheap and as
//! safe as `kfree_rcu`: allowed wherever a lock-free read is (an interrupt handler that took
//! a reference with `PolicySlot::get` may drop it there). An object that was never installed
//! (no lock-free reader can have seen it), or whose domain is gone, is freed at once.
// Unsafe is allowed here: this module is a reference-counted pointer.
#![allow(unsafe_code)]

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::ptr::{self, NonNull};

use super::domain::{Domain, Shared};
use super::link::Link;
use crate::sync::{fence, AtomicPtr, AtomicUsize, Ordering};

/// Past this count the object is never freed (Linux: `refcount_t` saturation): a leak
/// instead of a use after free, and no panic, if references ever overflow.
const SATURATED: usize = usize::MAX / 2;

/// The shared allocation.
#[repr(C)]
struct CountedNode<T> {
    link: Link,
    refs: AtomicUsize,
    /// The domain the last release defers into: null until the object is first installed in
    /// a cell, then an `Arc<Shared>` turned into a raw pointer, released when the node is
    /// destroyed.
    home: AtomicPtr<Shared>,
    /// Under loom: written at construction and destruction, read on every dereference (see
    /// `cell.rs`).
    #[cfg(loom)]
    canary: crate::sync::UnsafeCell<u8>,
    value: T,
}

/// A counted reference to a `T` (Linux: a `struct mempolicy *` holding a reference).
///
/// Invariant: `node` came from `Box` in [`Counted::new`] and stays allocated while any
/// `Counted` to it exists (each holds one of its `refs`).
pub(crate) struct Counted<T: Send + Sync + 'static> {
    node: NonNull<CountedNode<T>>,
}

// SAFETY: a `Counted` hands out `&T` to any thread holding a clone, and the last one drops the
// `T` on whichever thread releases it (or a writer's): `T: Send + Sync`, as for `Arc<T>`.
unsafe impl<T: Send + Sync + 'static> Send for Counted<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync + 'static> Sync for Counted<T> {}

impl<T: Send + Sync + 'static> Counted<T> {
    /// Wraps `value` with a count of one (allocates).
    pub(crate) fn new(value: T) -> Self {
        let node = Box::new(CountedNode {
            link: Link::new(
                destroy_counted::<T>,
                #[cfg(loom)]
                poison_counted::<T>,
            ),
            refs: AtomicUsize::new(1),
            home: AtomicPtr::new(ptr::null_mut()),
            #[cfg(loom)]
            canary: crate::sync::UnsafeCell::new(0),
            value,
        });
        #[cfg(loom)]
        // SAFETY: not shared yet.
        node.canary.with_mut(|c| unsafe { *c = 1 });
        Self {
            node: NonNull::from(Box::leak(node)),
        }
    }

    fn node(&self) -> &CountedNode<T> {
        // SAFETY: allocated while `self` exists (type invariant).
        unsafe { self.node.as_ref() }
    }

    /// Returns whether both refer to the same object.
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.node == b.node
    }

    /// Returns the current number of references (a hint while other threads hold some).
    pub(crate) fn count(this: &Self) -> usize {
        this.node().refs.load(Ordering::Relaxed)
    }

    /// Makes `domain` the one the last release defers into, unless the object already has
    /// one (the first domain it is installed in keeps it). Writer paths only: the first
    /// time, this clones a handle.
    pub(crate) fn adopt(this: &Self, domain: &Domain) {
        let home = &this.node().home;
        if !home.load(Ordering::Acquire).is_null() {
            return;
        }
        let raw = Arc::into_raw(Arc::clone(domain.shared_arc())).cast_mut();
        if home
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `raw` came from `Arc::into_raw` just above and was not stored.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }

    /// Releases `this` from a path that may free, after it has been out of every reader's
    /// reach for a grace period (the destructor of a retired slot value): if it is the last
    /// reference, the object is freed at once rather than waiting for a second grace
    /// period. Linux frees such a policy one grace period after the pointer to it was
    /// replaced, and so does this.
    pub(crate) fn release_after_grace_period(this: Self) {
        let this = core::mem::ManuallyDrop::new(this);
        let refs = &this.node().refs;
        match refs.fetch_sub(1, Ordering::Release) {
            1 => {
                fence(Ordering::Acquire);
                // SAFETY: the last reference is gone, so no one else can reach the node; no
                // lock-free reader can either, since each of them found it through a slot
                // value holding a reference. Ours to destroy, once (`this` is not dropped).
                unsafe { destroy_counted::<T>(this.node.as_ptr().cast::<Link>()) };
            }
            n if n >= SATURATED => refs.store(SATURATED, Ordering::Relaxed),
            _ => {}
        }
    }

    /// Disposes of the node after its last reference was released: deferred into its home
    /// domain, or destroyed at once when it has none or the domain has closed.
    #[cold]
    fn release(&mut self) {
        let link = self.node.as_ptr().cast::<Link>();
        let home = self.node().home.load(Ordering::Acquire);
        if !home.is_null() {
            // SAFETY: (1) `home` holds a reference to the domain's `Shared` (released only
            // by `destroy_counted`), so it is live; (2) no other reference to the node exists
            // (the count reached zero), so the node is ours to hand over.
            let shared = unsafe { &*home };
            #[cfg(loom)]
            if shared.frees_at_once() {
                // SAFETY: the planted bug marks the node freed now; it stays allocated.
                unsafe { super::link::poison(link) };
            }
            // SAFETY: as above.
            if unsafe { shared.push_orphan(link) }.is_ok() {
                return;
            }
        }
        // SAFETY: the last reference is gone and the node was never published, or its
        // domain is closed (no cell left, so no reader can reach it): ours to destroy, once.
        unsafe { destroy_counted::<T>(link) };
    }
}

/// The destructor of a `CountedNode<T>` (the `destroy` of its [`Link`]).
///
/// # Safety
/// `link` heads a `CountedNode<T>` from [`Counted::new`] with no reference left, owned by the
/// caller and destroyed once.
unsafe fn destroy_counted<T>(link: *mut Link) {
    // SAFETY: `Link` is the first field of the `repr(C)` node, which came from `Box`
    // (contract).
    let node = unsafe { Box::from_raw(link.cast::<CountedNode<T>>()) };
    // A loom failure unwinds through here with the canary possibly mid-read: skip it then.
    #[cfg(loom)]
    if !std::thread::panicking() {
        // SAFETY: owned here.
        node.canary.with_mut(|c| unsafe { *c = 0 });
    }
    let home = node.home.load(Ordering::Relaxed);
    // The payload's destructor first: it may use the domain, which `home` keeps alive.
    drop(node);
    if !home.is_null() {
        // SAFETY: stored by `adopt` from `Arc::into_raw`, released once, here.
        drop(unsafe { Arc::from_raw(home) });
    }
}

/// Writes the canary of a `CountedNode<T>` as its destruction would (loom's `FreeAtOnce`).
///
/// # Safety
/// `link` heads a live `CountedNode<T>`.
#[cfg(loom)]
unsafe fn poison_counted<T>(link: *mut Link) {
    // SAFETY: live (contract); only the canary is touched, through its tracked cell.
    unsafe {
        (*link.cast::<CountedNode<T>>()).canary.with_mut(|c| *c = 0);
    }
}

impl<T: Send + Sync + 'static> Clone for Counted<T> {
    fn clone(&self) -> Self {
        let refs = &self.node().refs;
        // Relaxed, as for `Arc`: a new reference is made from an existing one, which keeps
        // the object alive and already carries the needed ordering.
        if refs.fetch_add(1, Ordering::Relaxed) >= SATURATED {
            refs.store(SATURATED, Ordering::Relaxed);
        }
        Self { node: self.node }
    }
}

impl<T: Send + Sync + 'static> Drop for Counted<T> {
    fn drop(&mut self) {
        let refs = &self.node().refs;
        // Release, then an acquire fence on the last one, as for `Arc`: every use through
        // other references happens before the release of the node.
        match refs.fetch_sub(1, Ordering::Release) {
            1 => {
                fence(Ordering::Acquire);
                self.release();
            }
            n if n >= SATURATED => refs.store(SATURATED, Ordering::Relaxed),
            _ => {}
        }
    }
}

impl<T: Send + Sync + 'static> core::ops::Deref for Counted<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        let node = self.node();
        #[cfg(loom)]
        // SAFETY: a read, checked by loom against construction and destruction.
        node.canary.with(|_| ());
        &node.value
    }
}

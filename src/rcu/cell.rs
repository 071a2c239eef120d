//! [`RcuCell`]: one pointer to a `T`, read lock-free through a [`Reader`] of the cell's own
//! [`Domain`] and replaced whole by writers (Linux: an `__rcu` pointer with
//! `rcu_dereference` and `rcu_replace_pointer` + `call_rcu`).
// Unsafe is allowed here: readers dereference the current pointer, and nodes are built and
// destroyed by hand.
#![allow(unsafe_code)]

use alloc::boxed::Box;
use core::{fmt, ptr};

use super::domain::{Domain, Reader};
use super::link::Link;
use crate::sync::{AtomicPtr, Ordering};

/// One published value, with the header the domain frees it through.
///
/// Under loom a tracked cell rides along: written when the node is built and when it is
/// destroyed, read on every load, so that loom reports a reader that loads a node it cannot
/// see yet, or one that is freed under it, whatever the payload's type.
#[repr(C)]
struct Node<T> {
    link: Link,
    #[cfg(loom)]
    canary: crate::sync::UnsafeCell<u8>,
    value: T,
}

impl<T> Node<T> {
    /// Builds a node holding `value` (allocates) and returns it, owned by the caller.
    fn boxed(value: T) -> *mut Node<T> {
        let node = Box::into_raw(Box::new(Node {
            link: Link::new(
                destroy_node::<T>,
                #[cfg(loom)]
                poison_node::<T>,
            ),
            #[cfg(loom)]
            canary: crate::sync::UnsafeCell::new(0),
            value,
        }));
        #[cfg(loom)]
        // SAFETY: just allocated: only this thread can reach it.
        unsafe {
            (*node).canary.with_mut(|c| *c = 1);
        }
        node
    }
}

/// The destructor of a `Node<T>` (the `destroy` of its [`Link`]).
///
/// # Safety
/// `link` heads a `Node<T>` built by [`Node::boxed`], owned by the caller, destroyed once.
unsafe fn destroy_node<T>(link: *mut Link) {
    // SAFETY: `Link` is the first field of the `repr(C)` node, which came from `Box`
    // (contract).
    let node = unsafe { Box::from_raw(link.cast::<Node<T>>()) };
    // A loom failure unwinds through here with the canary possibly mid-read: skip it then.
    #[cfg(loom)]
    if !std::thread::panicking() {
        // SAFETY: owned here.
        node.canary.with_mut(|c| unsafe { *c = 0 });
    }
    drop(node);
}

/// Writes the canary of a `Node<T>` as its destruction would (loom's `FreeAtOnce` bug).
///
/// # Safety
/// `link` heads a live `Node<T>`.
#[cfg(loom)]
unsafe fn poison_node<T>(link: *mut Link) {
    // SAFETY: live (contract); only the canary is touched, through its tracked cell.
    unsafe {
        (*link.cast::<Node<T>>()).canary.with_mut(|c| *c = 0);
    }
}

/// One pointer to a `T`, read lock-free through a [`Reader`] of the cell's [`Domain`] and
/// replaced whole by writers.
///
/// Invariant: `current` is never null; it points to a node built by `Node::boxed` that the
/// cell owns until a publish swaps it out and retires it into `domain`.
pub(crate) struct RcuCell<T: Send + Sync + 'static> {
    current: AtomicPtr<Node<T>>,
    domain: Domain,
}

// SAFETY: the cell owns its current node like a `Box<T>` and lends `&T` to any thread, so it
// is `Send` and `Sync` when `T` is both (and retired nodes are dropped on other threads,
// which `T: Send` allows).
unsafe impl<T: Send + Sync + 'static> Send for RcuCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync + 'static> Sync for RcuCell<T> {}

impl<T: Send + Sync + 'static> RcuCell<T> {
    /// Creates a cell holding `value` that retires into `domain` (allocates).
    pub(crate) fn new(value: T, domain: &Domain) -> Self {
        Self {
            current: AtomicPtr::new(Node::boxed(value)),
            domain: domain.clone(),
        }
    }

    /// Returns the domain the cell retires into.
    pub(crate) fn domain(&self) -> &Domain {
        &self.domain
    }

    /// Returns the current value, or `None` when `reader` belongs to another domain (it
    /// would not keep the value alive). The reference lives as long as both the cell and the
    /// borrow of the reader, so it cannot survive a [`Reader::quiescent`].
    pub(crate) fn load<'a>(&'a self, reader: &'a Reader) -> Option<&'a T> {
        if !self.domain.owns(reader) {
            return None;
        }
        // SAFETY: `reader` belongs to this cell's domain (checked just above).
        Some(unsafe { self.load_owned(reader) })
    }

    /// Returns the current value.
    ///
    /// # Safety
    /// `reader` belongs to this cell's domain.
    #[inline(always)]
    unsafe fn load_owned<'a>(&'a self, reader: &'a Reader) -> &'a T {
        let node = self.current.load(reader.shared().load_order());
        // SAFETY: (1) `node` is never null and was built by `Node::boxed` (field invariant),
        // and the acquire load orders its construction before this read; (2) `reader` is
        // pinned in this cell's domain (contract) and stays pinned while the returned borrow
        // lives (`quiescent` needs `&mut Reader`), and a node swapped out by `publish` is
        // destroyed only after its grace period, once every reader pinned before the swap
        // has moved on; (3) the cell destroys its current node only when dropped, which the
        // borrow of `self` prevents. Only the `value` field is borrowed (no reference to the
        // header that writers link through).
        unsafe {
            #[cfg(loom)]
            (*node).canary.with(|_| ());
            &*ptr::addr_of!((*node).value)
        }
    }

    /// Registers a reader with the cell's domain, bound to this cell (allocates).
    pub(crate) fn reader(&self) -> CellReader<'_, T> {
        CellReader {
            cell: self,
            reader: self.domain.register(),
        }
    }

    /// Calls `f` with the current value from a writer path (pins the writers' handle under
    /// the writer lock; may free).
    pub(crate) fn with_current<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.domain.pinned(|_guard| {
            let node = self.current.load(Ordering::Acquire);
            // SAFETY: as in `load_owned`: never null, and the writers' handle is pinned for
            // the call, so a concurrent publish cannot have the node destroyed under `f`.
            unsafe {
                #[cfg(loom)]
                (*node).canary.with(|_| ());
                f(&*ptr::addr_of!((*node).value))
            }
        })
    }

    /// Publishes `value` with one atomic swap and retires the old value into the domain;
    /// then runs the destructors of whatever has expired, outside the writer lock.
    /// Writers that copy-modify-publish must serialize among themselves.
    pub(crate) fn publish(&self, value: T) {
        let node = Node::boxed(value);
        // Release: readers that load the new node see it built. Acquire: the old node's
        // destruction, wherever it runs, is ordered after readers' uses of it by the epoch.
        let old = self.current.swap(node, Ordering::AcqRel);
        // SAFETY: the swap unlinked `old`, which the cell owned (field invariant); only this
        // call holds it now.
        unsafe { self.domain.retire(old.cast::<Link>()) };
    }
}

impl<T: Send + Sync + 'static> Drop for RcuCell<T> {
    fn drop(&mut self) {
        let node = self.current.load(Ordering::Relaxed);
        // SAFETY: `&mut self` means no reader borrows the current value (`load` ties its
        // result to the cell's borrow); the cell owns the node (field invariant); nodes
        // retired earlier belong to the domain.
        unsafe { destroy_node::<T>(node.cast::<Link>()) };
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for RcuCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RcuCell")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// A [`Reader`] bound to one [`RcuCell`]: registered with the cell's own domain, so its loads
/// need no ownership check (the per-CPU weight reader's hot path).
pub(crate) struct CellReader<'c, T: Send + Sync + 'static> {
    cell: &'c RcuCell<T>,
    /// Invariant: registered with `cell.domain`.
    reader: Reader,
}

impl<'c, T: Send + Sync + 'static> CellReader<'c, T> {
    /// Returns the current value (one acquire load).
    #[inline(always)]
    pub(crate) fn load(&self) -> &T {
        // SAFETY: `reader` was registered with the cell's domain (field invariant).
        unsafe { self.cell.load_owned(&self.reader) }
    }

    /// Returns the address of the current value, for change detection only (never
    /// dereferenced).
    pub(crate) fn current_ptr(&self) -> *const T {
        self.load()
    }

    /// Reports a quiescent state (see [`Reader::quiescent`]).
    #[inline]
    pub(crate) fn quiescent(&mut self) {
        self.reader.quiescent();
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for CellReader<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellReader").finish_non_exhaustive()
    }
}

/// A [`Reader`] for two cells of one domain (the per-CPU handle of a machine reads its state
/// and its weights through one epoch participant): registered with the domain both cells
/// retire into, so its loads need no ownership check.
pub(crate) struct PairReader<'c, A: Send + Sync + 'static, B: Send + Sync + 'static> {
    a: &'c RcuCell<A>,
    b: &'c RcuCell<B>,
    /// Invariant: registered with the domain of `a`, which is also the domain of `b`.
    reader: Reader,
}

impl<'c, A: Send + Sync + 'static, B: Send + Sync + 'static> PairReader<'c, A, B> {
    /// Registers a reader for `a` and `b` (allocates), or returns `None` if they retire into
    /// different domains.
    pub(crate) fn new(a: &'c RcuCell<A>, b: &'c RcuCell<B>) -> Option<Self> {
        let reader = a.domain.register();
        b.domain.owns(&reader).then_some(Self { a, b, reader })
    }

    /// Returns the current value of the first cell (one acquire load).
    #[inline(always)]
    pub(crate) fn load_a(&self) -> &A {
        // SAFETY: `reader` was registered with the first cell's domain (field invariant).
        unsafe { self.a.load_owned(&self.reader) }
    }

    /// Returns the current value of the second cell (one acquire load).
    #[inline(always)]
    pub(crate) fn load_b(&self) -> &B {
        // SAFETY: `reader` was registered with the domain of the first cell, which is the
        // second cell's too (field invariant, checked in `new`).
        unsafe { self.b.load_owned(&self.reader) }
    }

    /// Returns the reader, for checked loads of other objects of the domain.
    #[inline]
    pub(crate) fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Reports a quiescent state (see [`Reader::quiescent`]).
    #[inline]
    pub(crate) fn quiescent(&mut self) {
        self.reader.quiescent();
    }
}

impl<A: Send + Sync + 'static, B: Send + Sync + 'static> fmt::Debug for PairReader<'_, A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairReader").finish_non_exhaustive()
    }
}

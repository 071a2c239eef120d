//! The header every object of a domain starts with, and the lock-free lists that carry such
//! objects between the CPU that gives them up and the writer that frees them (Linux: the
//! `rcu_head` embedded in each object that `call_rcu` and `kfree_rcu` queue).
//!
//! A [`Link`] is the first field of a `#[repr(C)]` node, so a `*mut Link` is also a pointer
//! to the node; the node's `destroy` function, chosen when the node is built, knows its type.
//! Objects move as [`Chain`]s (a writer's batch of retired objects) and through [`Stack`]s
//! (a Treiber stack that any CPU may push to and that a writer empties whole).
// Unsafe is allowed here: the links are raw pointers to nodes whose type only their own
// `destroy` function knows.
#![allow(unsafe_code)]

use core::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering, UnsafeCell};

/// The intrusive header of a node that a domain may free (Linux: `struct rcu_head`).
///
/// Invariant: `destroy` is the destructor of the node this header starts, and `next` is
/// written only by the node's current owner (the writer holding its batch, or the CPU
/// pushing it onto a stack before the push is published).
#[repr(C)]
pub(super) struct Link {
    next: UnsafeCell<*mut Link>,
    destroy: unsafe fn(*mut Link),
    /// Under loom: marks the node's tracked canary as freed without freeing it, which is
    /// what the `FreeAtOnce` planted bug does where a free would be (so that the failing
    /// execution is reported by loom instead of being a real use after free).
    #[cfg(loom)]
    poison: unsafe fn(*mut Link),
}

impl Link {
    /// A header for a node that `destroy` frees.
    pub(super) fn new(
        destroy: unsafe fn(*mut Link),
        #[cfg(loom)] poison: unsafe fn(*mut Link),
    ) -> Self {
        Self {
            next: UnsafeCell::new(ptr::null_mut()),
            destroy,
            #[cfg(loom)]
            poison,
        }
    }
}

/// Marks `link`'s node as freed for loom (the `FreeAtOnce` planted bug).
///
/// # Safety
/// `link` heads a live node.
#[cfg(loom)]
pub(super) unsafe fn poison(link: *mut Link) {
    // SAFETY: live (contract); `poison` matches the node's type (set with `destroy`).
    unsafe { ((*link).poison)(link) }
}

/// Reads `link`'s successor.
///
/// # Safety
/// `link` points to a live node that the caller owns or that no one writes concurrently.
unsafe fn next_of(link: *mut Link) -> *mut Link {
    // SAFETY: `link` is live (contract), and its `next` is not written concurrently.
    unsafe { (*link).next.with(|next| *next) }
}

/// Sets `link`'s successor.
///
/// # Safety
/// `link` points to a live node that the caller owns exclusively.
unsafe fn set_next(link: *mut Link, next: *mut Link) {
    // SAFETY: `link` is live and owned by the caller (contract).
    unsafe { (*link).next.with_mut(|slot| *slot = next) };
}

/// Destroys every node of the list that starts at `first` and returns how many there were.
///
/// # Safety
/// The caller owns every node of the list (no one else can reach them), and each node's
/// `destroy` is its destructor (the [`Link`] invariant).
pub(super) unsafe fn destroy_list(first: *mut Link) -> usize {
    let mut count = 0usize;
    let mut link = first;
    while !link.is_null() {
        // SAFETY: (1) `link` is a live node the caller owns (contract), so its successor can
        // be read before it is destroyed; (2) `destroy` matches the node's type (the `Link`
        // invariant) and runs once, since the node is unlinked from the list right here.
        unsafe {
            let next = next_of(link);
            ((*link).destroy)(link);
            link = next;
        }
        count = count.wrapping_add(1);
    }
    count
}

/// A writer's batch of retired nodes, first to last, owned by whoever holds the chain.
#[derive(Debug)]
pub(super) struct Chain {
    first: *mut Link,
    last: *mut Link,
    len: usize,
}

impl Chain {
    /// The empty chain.
    pub(super) const fn new() -> Self {
        Self {
            first: ptr::null_mut(),
            last: ptr::null_mut(),
            len: 0,
        }
    }

    /// The number of nodes in the chain.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends the list that starts at `first` (each node owned by the caller, as the chain
    /// becomes their owner).
    ///
    /// # Safety
    /// The caller owns every node of the list and hands them over.
    pub(super) unsafe fn append_list(&mut self, first: *mut Link) {
        let mut link = first;
        while !link.is_null() {
            // SAFETY: the caller hands over `link` (contract); its successor is read before
            // `push` rewrites its `next`.
            unsafe {
                let next = next_of(link);
                self.push(link);
                link = next;
            }
        }
    }

    /// Appends `link`.
    ///
    /// # Safety
    /// `link` is a live node the caller owns and hands over; it is in no other list.
    pub(super) unsafe fn push(&mut self, link: *mut Link) {
        // SAFETY: `link` is owned by the caller (contract), and `self.last`, when not null,
        // is owned by the chain.
        unsafe {
            set_next(link, ptr::null_mut());
            if self.last.is_null() {
                self.first = link;
            } else {
                set_next(self.last, link);
            }
        }
        self.last = link;
        self.len = self.len.wrapping_add(1);
    }

    /// Takes the chain's nodes out as `(first, last)`, leaving it empty; `None` if it was.
    pub(super) fn take(&mut self) -> Option<(*mut Link, *mut Link)> {
        if self.first.is_null() {
            return None;
        }
        let taken = (self.first, self.last);
        *self = Self::new();
        Some(taken)
    }
}

/// Where a push to a closed [`Stack`] leaves its nodes: with the caller, to destroy at once.
pub(super) struct Closed;

/// A lock-free stack of nodes: any CPU pushes (one compare-and-swap, no allocation, no
/// lock), a writer takes the whole stack with one swap. Once closed, pushes fail and the
/// caller keeps its nodes.
///
/// Invariant: `head` is null, [`Stack::CLOSED`], or the first node of a list that the stack
/// owns.
pub(super) struct Stack {
    head: AtomicPtr<Link>,
}

impl Stack {
    /// The empty, open stack.
    pub(super) fn new() -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The head of a closed stack: a dangling, aligned address that no node can have.
    fn closed() -> *mut Link {
        NonNull::<Link>::dangling().as_ptr()
    }

    /// Returns whether the stack may hold nodes (a hint: one relaxed load, no locked
    /// instruction).
    pub(super) fn may_have_nodes(&self) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        !head.is_null() && head != Self::closed()
    }

    /// Pushes the list `first..=last` (linked through `next`).
    ///
    /// # Errors
    /// [`Closed`] when the stack is closed; the nodes stay with the caller.
    ///
    /// # Safety
    /// The caller owns the list and hands it over on success; `last` is its last node.
    pub(super) unsafe fn push_list(&self, first: *mut Link, last: *mut Link) -> Result<(), Closed> {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            if head == Self::closed() {
                // SAFETY: `last` is still the caller's; unlink it from the stale head that
                // an earlier round of this loop may have set.
                unsafe { set_next(last, ptr::null_mut()) };
                return Err(Closed);
            }
            // SAFETY: `last` is owned by the caller until the exchange below publishes it.
            unsafe { set_next(last, head) };
            // Release: whoever takes the stack sees the nodes' contents and links.
            match self
                .head
                .compare_exchange(head, first, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(current) => head = current,
            }
        }
    }

    /// Takes every node, leaving the stack empty; returns the first node (null if none).
    /// The caller owns the returned list.
    ///
    /// Must not be called on a closed stack (it would reopen it); the domain calls it only
    /// while a handle keeps it open.
    pub(super) fn take_all(&self) -> *mut Link {
        if !self.may_have_nodes() {
            return ptr::null_mut();
        }
        // Acquire: pairs with the release of the pushes, so the nodes are fully visible.
        self.head.swap(ptr::null_mut(), Ordering::Acquire)
    }

    /// Closes the stack and returns what it held (null if nothing), owned by the caller.
    pub(super) fn close(&self) -> *mut Link {
        let head = self.head.swap(Self::closed(), Ordering::Acquire);
        if head == Self::closed() {
            ptr::null_mut()
        } else {
            head
        }
    }
}

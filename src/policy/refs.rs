//! Shared, reference-counted policies and the lock-free policy pointer of a task or VMA
//! (Linux: `mpol_get`, `mpol_put`, `__mpol_put` with `kfree_rcu`, `vma->vm_policy` read
//! with `READ_ONCE`).
//!
//! See [`PolicySlot`] for the design.

use core::fmt;
use core::ops::Deref;

use super::mempolicy::Mempolicy;
use crate::rcu::{Counted, Domain, RcuCell, Reader};

/// A counted reference to a shared policy (Linux: a `struct mempolicy *` holding a
/// reference; `clone` is `mpol_get`, `drop` is `mpol_put`).
///
/// Dropping the last reference of a policy that was ever installed in a [`PolicySlot`]
/// frees nothing on the spot: the policy goes to the slot's [`Domain`] (one atomic
/// compare-and-swap, no lock, no allocation) and is freed after a grace period on a writer
/// path, as Linux's `__mpol_put` does with `kfree_rcu`. So a reference taken with
/// [`PolicySlot::get`] may be dropped wherever it was taken, interrupt handlers included. A
/// policy never installed in a slot (no lock-free reader can have seen it), or whose
/// domain is gone, is freed at once.
///
/// # Examples
/// ```
/// use mempolicy::policy::{Mempolicy, PolicyRef};
/// let a = PolicyRef::new(Mempolicy::default_policy());
/// let b = a.clone();
/// assert!(PolicyRef::ptr_eq(&a, &b));
/// assert_eq!(PolicyRef::ref_count(&a), 2);
/// ```
pub struct PolicyRef<T: Send + Sync + 'static = Mempolicy> {
    inner: Counted<T>,
}

impl<T: Send + Sync + 'static> PolicyRef<T> {
    /// Wraps `policy` with a count of one (allocates; Linux: `mpol_new` sets `refcnt = 1`).
    pub fn new(policy: T) -> Self {
        Self {
            inner: Counted::new(policy),
        }
    }

    /// Returns whether both refer to the same object (the fast path of Linux's
    /// `mpol_equal`).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Counted::ptr_eq(&a.inner, &b.inner)
    }

    /// Returns the current number of references (Linux: `atomic_read(&pol->refcnt)`);
    /// only a hint while other threads hold references.
    pub fn ref_count(this: &Self) -> usize {
        Counted::count(&this.inner)
    }

    /// Returns a new, unshared copy of the policy with a count of one (Linux: `mpol_dup`).
    pub fn dup(&self) -> Self
    where
        T: Clone,
    {
        Self::new(T::clone(&self.inner))
    }
}

impl<T: Send + Sync + 'static> Clone for PolicyRef<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Deref for PolicyRef<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: PartialEq + Send + Sync + 'static> PartialEq for PolicyRef<T> {
    /// Compares the policies (Linux: `mpol_equal`: same object, or `__mpol_equal`).
    fn eq(&self, other: &Self) -> bool {
        Self::ptr_eq(self, other) || *self.inner == *other.inner
    }
}

impl<T: Eq + Send + Sync + 'static> Eq for PolicyRef<T> {}

impl<T: fmt::Debug + Send + Sync + 'static> fmt::Debug for PolicyRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

impl<T: fmt::Display + Send + Sync + 'static> fmt::Display for PolicyRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.inner, f)
    }
}

/// A policy pointer read lock-free and replaced whole (Linux: `vma->vm_policy` or
/// `task->mempolicy`, with RCU-deferred freeing since CVE-2026-23415). `None` means "no
/// policy of its own".
///
/// Readers use [`PolicySlot::load`] through the [`Reader`] of their CPU; writers (holding
/// whatever lock serialises changes to the owning VMA or task, which the slot does not need)
/// use [`PolicySlot::replace`].
///
/// # Design
///
/// Linux counts references to a `struct mempolicy` and frees it on the last `mpol_put`.
/// Until 2026 that free was immediate, which broke a lock-free reader: the futex code reads
/// `vma->vm_policy` under a speculative mmap lock, so `mbind` on another CPU could replace
/// and free the policy while the futex code was still reading it (CVE-2026-23415). The fix
/// defers the free by an RCU grace period (`kfree_rcu`).
///
/// Here [`PolicyRef`] is the counted reference (cloning is `mpol_get`, dropping is
/// `mpol_put`) and [`PolicySlot`] is the pointer field (`vm_policy`, `task->mempolicy`): an
/// epoch cell of [`crate::rcu`] holding an `Option<PolicyRef>`. A reader loads the slot
/// through its pinned [`Reader`] without locks or reference counting and gets a plain
/// borrow, which the compiler ends before the reader's next [`Reader::quiescent`] (see the
/// `compile_fail` example below). A writer replaces the slot's value; the old
/// `Option<PolicyRef>` is *retired* into the epoch domain, so the slot's own reference is
/// released only after every reader that could have loaded it has passed a quiescent
/// state. On top of that, as in Linux since the fix, every last release is deferred: a
/// policy installed in a slot remembers the slot's domain, and its last `drop`, wherever it
/// happens, hands it to that domain instead of freeing it (see [`PolicyRef`]). No `unsafe`
/// is needed here; [`crate::rcu`] holds it all.
///
/// Both types are generic (defaulting to [`Mempolicy`]) so that the loom model in
/// `loom-tests/tests/policy.rs` can check this exact code with a payload whose accesses
/// loom tracks.
///
/// # Examples
/// ```
/// use mempolicy::policy::{parse_mpol, PolicyRef, PolicySlot};
/// use mempolicy::rcu::Domain;
/// let domain = Domain::new();
/// let reader = domain.register();
/// let slot = PolicySlot::new(&domain, None);
/// assert!(slot.load(&reader).is_none());
/// let pol = parse_mpol("bind:1", &"0-3".parse()?)?.map(PolicyRef::new);
/// slot.replace(pol);
/// assert_eq!(slot.load(&reader).map(|p| p.to_string()), Some("bind:1".into()));
/// # Ok::<(), mempolicy::Error>(())
/// ```
///
/// A borrowed policy cannot be kept across a quiescent state; take a [`PolicyRef`] with
/// [`PolicySlot::get`] for that:
/// ```compile_fail
/// use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
/// use mempolicy::rcu::Domain;
/// let domain = Domain::new();
/// let mut reader = domain.register();
/// let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
/// let pol = slot.load(&reader);
/// reader.quiescent(); // error: `reader` is still borrowed by `pol`
/// drop(pol);
/// ```
/// ```
/// # use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
/// # use mempolicy::rcu::Domain;
/// # let domain = Domain::new();
/// # let mut reader = domain.register();
/// # let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
/// let pol = slot.get(&reader);
/// reader.quiescent();
/// assert_eq!(pol.map(|p| p.to_string()), Some("default".into()));
/// ```
pub struct PolicySlot<T: Send + Sync + 'static = Mempolicy> {
    cell: RcuCell<Installed<T>>,
}

/// The value a slot publishes: its own reference to the policy.
struct Installed<T: Send + Sync + 'static>(Option<PolicyRef<T>>);

impl<T: Send + Sync + 'static> Drop for Installed<T> {
    /// Runs when a replaced value's grace period has ended (or the slot is dropped, when no
    /// reader can see it): the slot's reference is released, and if it was the last one the
    /// policy is freed now; it already waited for its grace period (Linux: `mpol_put` after
    /// `vma_replace_policy`, whose `kfree_rcu` waits one grace period in all).
    fn drop(&mut self) {
        if let Some(policy) = self.0.take() {
            Counted::release_after_grace_period(policy.inner);
        }
    }
}

impl<T: Send + Sync + 'static> PolicySlot<T> {
    /// Creates a slot holding `initial`, retiring into `domain` (allocates). The policy's
    /// last release will be deferred into `domain` (see [`PolicyRef`]).
    pub fn new(domain: &Domain, initial: Option<PolicyRef<T>>) -> Self {
        if let Some(policy) = &initial {
            Counted::adopt(&policy.inner, domain);
        }
        Self {
            cell: RcuCell::new(Installed(initial), domain),
        }
    }

    /// Returns the current policy without taking a reference (Linux: `READ_ONCE(vma->
    /// vm_policy)` under RCU). The borrow ends before the reader's next quiescent state.
    ///
    /// `None` also when `reader` belongs to another [`Domain`] (a programming error: such a
    /// reader would not keep the policy alive), as for
    /// [`SharedZonelists::load`](crate::zonelist::SharedZonelists::load).
    pub fn load<'a>(&'a self, reader: &'a Reader) -> Option<&'a T> {
        self.cell.load(reader)?.0.as_deref()
    }

    /// Returns a counted reference to the current policy (Linux: `mpol_get` under RCU), to
    /// keep it beyond the reader's next quiescent state.
    ///
    /// `None` also when `reader` belongs to another [`Domain`], as for [`PolicySlot::load`].
    pub fn get(&self, reader: &Reader) -> Option<PolicyRef<T>> {
        self.cell.load(reader)?.0.clone()
    }

    /// Returns a counted reference to the current policy from a writer path (takes the
    /// domain's writer lock; may free what has expired).
    pub fn get_slow(&self) -> Option<PolicyRef<T>> {
        self.cell.with_current(|installed| installed.0.clone())
    }

    /// Installs `policy` (Linux: `vma_replace_policy` / `do_set_mempolicy` swapping the
    /// pointer, then `mpol_put(old)`). The slot's reference to the old policy is released
    /// after a grace period, never while a reader may still use it. Allocates, and frees
    /// whatever has expired.
    pub fn replace(&self, policy: Option<PolicyRef<T>>) {
        if let Some(policy) = &policy {
            Counted::adopt(&policy.inner, self.cell.domain());
        }
        self.cell.publish(Installed(policy));
    }

    /// Returns the domain the slot retires into.
    pub fn domain(&self) -> &Domain {
        self.cell.domain()
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for PolicySlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicySlot")
            .field("domain", self.cell.domain())
            .finish_non_exhaustive()
    }
}

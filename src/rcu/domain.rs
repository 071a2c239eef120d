//! [`Domain`] (one reclamation domain: the epoch, the writers' handle, the lists of objects
//! waiting to be freed) and [`Reader`] (a CPU's pinned handle on it).
// Unsafe is allowed here: the deferred functions handed to crossbeam-epoch hold a raw pointer
// to the domain's shared state, and the domain destroys nodes whose type it does not know.
#![allow(unsafe_code)]

use alloc::sync::Arc;
use core::fmt;

use super::link::{destroy_list, Chain, Closed, Link, Stack};
use crate::sync::epoch::{Collector, Guard, LocalHandle};
use crate::sync::{fence, AtomicUsize, Mutex, Ordering};

/// How many objects a writer retires before it hands them to the epoch (a crossbeam `flush`,
/// which seals and copies a whole bag). Batching keeps a publish close to the cost of a bare
/// epoch swap (with 16, a weight publish takes about 1.15 times the instructions of one; with
/// 8, about 1.35 times); it bounds how many retired objects wait for [`Domain::reclaim`].
/// Loom models use 2, so that a model with two publishes goes through the batched flush.
#[cfg(not(loom))]
const RETIRE_BATCH: usize = 16;
#[cfg(loom)]
const RETIRE_BATCH: usize = 2;

/// A bug planted in a domain for the loom models, which must catch it (`cfg(loom)` only).
#[cfg(loom)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlantedBug {
    /// No bug: the shipped protocol.
    None,
    /// Readers load the current pointer with `Relaxed` instead of `Acquire`.
    RelaxedLoad,
    /// Retired objects, and counted objects whose last reference is dropped, are freed at
    /// once instead of after a grace period (their tracked canary is written as a free
    /// would; the memory itself is released later, so the failing execution is reported by
    /// loom rather than being a real use after free).
    FreeAtOnce,
}

/// One reclamation domain: the epoch shared by a set of readers and the objects they read.
///
/// Cloning a domain is cheap and gives another handle to the same domain. Every object that
/// retires into the domain (weight tables, zonelists, policy slots) holds a handle, so the
/// domain lives as long as they do; when the last handle goes, whatever is still retired is
/// freed (no reader can reach it any more).
#[derive(Clone)]
pub struct Domain {
    inner: Arc<Inner>,
}

/// What the handles share. Dropping it (the last handle) closes the domain.
struct Inner {
    // Field order matters: `collector` is dropped before `shared`, which deferred functions
    // that run when the collector's last reference goes may still use.
    collector: Collector,
    shared: Arc<Shared>,
}

/// The state that readers, deferred functions and counted objects reach.
///
/// Lifetime: every owner of the collector or of one of its epoch handles (the domain, each
/// [`Reader`], the writers' handle inside `writer`) also owns an `Arc<Shared>` and drops its
/// epoch part first, so `Shared` outlives every point where crossbeam runs a deferred
/// function. That is what lets those functions hold a plain pointer to it.
pub(super) struct Shared {
    writer: Mutex<Writer>,
    /// Counted objects whose last reference was dropped, waiting for a writer to retire
    /// them (see `counted.rs`).
    orphans: Stack,
    /// Objects whose grace period has ended, waiting for a writer to run their destructors
    /// outside the writer lock.
    expired: Stack,
    /// Counted objects pushed onto `orphans` so far.
    orphaned: AtomicUsize,
    /// Objects destroyed so far.
    freed: AtomicUsize,
    #[cfg(loom)]
    bug: PlantedBug,
}

/// What only the writer holding `Shared::writer` touches.
struct Writer {
    /// The writers' epoch handle, registered on first use, taken out when the domain closes.
    handle: Option<LocalHandle>,
    /// Objects retired since the last hand-over to the epoch.
    pending: Chain,
    /// Objects retired so far (by publishes; orphans are counted in `Shared::orphaned`).
    retired: usize,
}

// SAFETY: crossbeam's `LocalHandle` is `!Send` because its `Local` keeps counters in `Cell`s
// and its bag of deferred functions in an `UnsafeCell`, touched through the handle and its
// guards without synchronization; `Chain` holds raw pointers to nodes the writer owns. A
// `Writer` lives only inside `Shared::writer`, and the handle, every guard pinned from it and
// the chain are used only while that lock is held (no guard escapes `Domain::with_writer`).
// Uses from different threads are therefore ordered by the lock's acquire and release,
// exactly as sequential uses by one thread; `Local` keeps no thread identity (no thread-local
// storage) that a move could invalidate. The nodes are `Send` payloads (`RcuCell` and
// `Counted` require `T: Send`).
unsafe impl Send for Writer {}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

impl Domain {
    /// Creates a new, empty domain.
    pub fn new() -> Self {
        Self::build(
            #[cfg(loom)]
            PlantedBug::None,
        )
    }

    /// Creates a domain with `bug` planted in it, for the loom models that must catch it.
    #[cfg(loom)]
    pub fn with_planted_bug(bug: PlantedBug) -> Self {
        Self::build(bug)
    }

    fn build(#[cfg(loom)] bug: PlantedBug) -> Self {
        let shared = Shared {
            writer: Mutex::new(Writer {
                handle: None,
                pending: Chain::new(),
                retired: 0,
            }),
            orphans: Stack::new(),
            expired: Stack::new(),
            orphaned: AtomicUsize::new(0),
            freed: AtomicUsize::new(0),
            #[cfg(loom)]
            bug,
        };
        Self {
            inner: Arc::new(Inner {
                collector: Collector::new(),
                shared: Arc::new(shared),
            }),
        }
    }

    /// Registers a reader (one per CPU). This allocates and may free; do it once, outside
    /// the allocator.
    pub fn register(&self) -> Reader {
        let handle = self.inner.collector.register();
        let mut guard = handle.pin();
        // A handle's first pin collects garbage, which may advance the epoch past the epoch
        // the reader just pinned: catch up, so that the new reader holds nothing back.
        guard.repin();
        // Then a full fence, as after every quiescent state (see `Reader::quiescent`); it also
        // stands in for the fence of crossbeam's `pin`, which on x86 is a locked
        // compare-and-swap that the C++ memory model (and loom) does not count as one.
        fence(Ordering::SeqCst);
        // Run the destructors of what that collection found, outside any lock.
        self.shared().drain_expired();
        Reader {
            guard,
            handle,
            shared: Arc::clone(&self.inner.shared),
        }
    }

    /// Frees every retired object whose grace period can end now. Call it from a context
    /// that may free memory (never from inside the allocator); writers also free on their
    /// own path, every few publishes.
    ///
    /// A grace period ends once the epoch has advanced twice past the object's hand-over
    /// to the epoch, and the epoch advances only when every registered reader has reported
    /// a quiescent state since the last advance. One call hands over what writers retired,
    /// advances the epoch as far as the readers allow and frees everything that has
    /// expired, whatever the number of objects. So:
    /// * with no reader registered, one call frees every object retired before it;
    /// * with readers, after one call has handed an object over, the first call after
    ///   every reader has reported a quiescent state frees it (as in the example), or, when
    ///   the hand-over found the epoch just advanced, the first call after two such rounds
    ///   of "every reader reports, then a call".
    ///
    /// Destructors run after the writer lock is released, so they may use the domain.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
    /// use mempolicy::rcu::Domain;
    ///
    /// let domain = Domain::new();
    /// let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
    /// for _ in 0..5 {
    ///     slot.replace(Some(PolicyRef::new(Mempolicy::default_policy())));
    /// }
    /// assert_eq!(domain.retired(), 5);
    /// domain.reclaim(); // no reader: one call frees them all
    /// assert_eq!(domain.retired(), 0);
    ///
    /// let mut reader = domain.register();
    /// slot.replace(None);
    /// domain.reclaim(); // the reader may still use the old policy
    /// assert_eq!(domain.retired(), 1);
    /// reader.quiescent();
    /// domain.reclaim();
    /// assert_eq!(domain.retired(), 0);
    /// ```
    pub fn reclaim(&self) {
        // Each round frees at least one object or is idle. The epoch advances at most once
        // a round (the writers' handle is pinned in the current epoch during the round, and
        // an advance needs every pinned handle in the current epoch). The first round hands
        // the pending batch over; its seal is the epoch at that moment, which the round may
        // already have advanced (crossbeam collects when a handle pins, every 128 pins), so
        // that batch expires two advances later, in the third round at the latest. Hence
        // three idle rounds in a row mean that the epoch cannot advance any further without
        // the readers, or that nothing would expire if it did. The bound only stops a call
        // racing with endless publishes; it leaves room for every object retired before it.
        let rounds = self.retired().saturating_add(6);
        let mut idle = 0;
        for _ in 0..rounds {
            let freed = self.with_writer(|writer, shared, guard| {
                writer.hand_over(shared, guard);
                guard.flush();
            });
            if freed == 0 {
                idle += 1;
                if idle == 3 {
                    break;
                }
            } else {
                idle = 0;
            }
        }
    }

    /// Runs `f` with the writer state and the writers' handle pinned, under the writer lock,
    /// after adopting the counted objects whose last reference was dropped; then, with the
    /// lock released, runs the destructors of the objects whose grace period ended. Returns
    /// how many objects were destroyed (and `f`'s result).
    fn with_writer_result<R>(
        &self,
        f: impl FnOnce(&mut Writer, &Shared, &Guard) -> R,
    ) -> (R, usize) {
        let shared = self.shared();
        let result = {
            let mut lock = shared.writer.lock();
            let writer = &mut *lock;
            let handle = writer
                .handle
                .get_or_insert_with(|| self.inner.collector.register());
            let guard = handle.pin();
            if shared.orphans.may_have_nodes() {
                let orphans = shared.orphans.take_all();
                // SAFETY: `take_all` handed the whole list over to this writer.
                unsafe { writer.pending.append_list(orphans) };
            }
            let result = f(writer, shared, &guard);
            // The guard goes before the lock (see the `Send` argument of `Writer`).
            drop(guard);
            result
        };
        let freed = shared.drain_expired();
        (result, freed)
    }

    /// [`Domain::with_writer_result`], returning the number of objects destroyed.
    fn with_writer(&self, f: impl FnOnce(&mut Writer, &Shared, &Guard)) -> usize {
        self.with_writer_result(f).1
    }

    /// Runs `f` with the writers' handle pinned (writer paths only), then frees what has
    /// expired.
    pub(super) fn pinned<R>(&self, f: impl FnOnce(&Guard) -> R) -> R {
        self.with_writer_result(|_, _, guard| f(guard)).0
    }

    /// Retires `link` (already unlinked from where readers find it) as a writer publishing
    /// a replacement would: it is destroyed once no reader can still see it.
    ///
    /// # Safety
    /// `link` heads a live node that the caller owns and hands over, unreachable for readers
    /// that look after this call; it is retired once.
    pub(super) unsafe fn retire(&self, link: *mut Link) {
        self.with_writer(|writer, shared, guard| {
            // SAFETY: handed over by the caller (contract).
            unsafe { writer.retire(link, shared, guard) };
        });
    }

    /// Returns how many retired objects have not been freed yet (counted objects whose last
    /// reference was dropped included). Writer-side: takes the writer lock briefly.
    pub fn retired(&self) -> usize {
        let shared = self.shared();
        // `freed` first: every object it counts was counted as retired or orphaned before.
        let freed = shared.freed.load(Ordering::Acquire);
        let retired = shared.writer.lock().retired;
        let orphaned = shared.orphaned.load(Ordering::Acquire);
        retired.wrapping_add(orphaned).saturating_sub(freed)
    }

    /// Returns whether `reader` belongs to this domain.
    pub fn owns(&self, reader: &Reader) -> bool {
        Arc::ptr_eq(&reader.shared, &self.inner.shared)
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub(super) fn shared_arc(&self) -> &Arc<Shared> {
        &self.inner.shared
    }
}

impl Writer {
    /// Takes `link` into the current batch and hands the batch to the epoch when it is
    /// full.
    ///
    /// # Safety
    /// As [`Domain::retire`].
    unsafe fn retire(&mut self, link: *mut Link, shared: &Shared, guard: &Guard) {
        self.retired = self.retired.wrapping_add(1);
        #[cfg(loom)]
        if shared.frees_at_once() {
            // The planted bug: the node counts as freed right now, under readers that may
            // still hold it (its memory stays until the real, deferred free).
            // SAFETY: handed over by the caller, so live.
            unsafe { super::link::poison(link) };
        }
        // SAFETY: handed over by the caller (contract).
        unsafe { self.pending.push(link) };
        if self.pending.len() >= RETIRE_BATCH {
            self.hand_over(shared, guard);
            guard.flush();
        }
    }

    /// Hands the current batch to the epoch: one deferred function that, once no reader can
    /// see the batch, moves it to the `expired` stack.
    fn hand_over(&mut self, shared: &Shared, guard: &Guard) {
        let Some((first, last)) = self.pending.take() else {
            return;
        };
        let shared: *const Shared = shared;
        // SAFETY: (1) every node of the batch was unlinked before it joined the batch, so
        // only readers pinned before now can hold one, and the collector runs the function
        // only after all of them have moved on; (2) the function owns the batch (it was
        // taken out of the chain above) and captures only plain pointers, so it borrows
        // nothing from this stack frame; (3) `shared` is valid whenever the function runs:
        // crossbeam runs deferred functions inside a `collect` on a handle of this domain's
        // collector or when the collector's last reference goes, and each owner of those
        // keeps an `Arc<Shared>` until after (see `Shared`).
        unsafe {
            guard.defer_unchecked(move || (*shared).expire(first, last));
        }
    }
}

impl Shared {
    /// Moves an expired batch to the `expired` stack, or destroys it at once if the domain
    /// has closed (no reader can reach it then).
    ///
    /// # Safety
    /// `first..=last` is a list of nodes whose grace period has ended, owned by the caller.
    unsafe fn expire(&self, first: *mut Link, last: *mut Link) {
        // SAFETY: owned by the caller (contract).
        if let Err(Closed) = unsafe { self.expired.push_list(first, last) } {
            // SAFETY: refused, so still owned by the caller, and expired.
            let freed = unsafe { destroy_list(first) };
            self.count_freed(freed);
        }
    }

    /// Queues a counted object whose last reference was just dropped, for a writer to
    /// retire (no lock, no allocation, no free).
    ///
    /// # Errors
    /// [`Closed`] when the domain has closed; the caller keeps the node.
    ///
    /// # Safety
    /// `link` heads a live node whose last reference is gone, owned by the caller.
    pub(super) unsafe fn push_orphan(&self, link: *mut Link) -> Result<(), Closed> {
        // Counted before the push, so that `retired` never sees it freed but not counted.
        self.orphaned.fetch_add(1, Ordering::AcqRel);
        // SAFETY: owned by the caller (contract).
        let pushed = unsafe { self.orphans.push_list(link, link) };
        if pushed.is_err() {
            self.orphaned.fetch_sub(1, Ordering::AcqRel);
        }
        pushed
    }

    /// Runs the destructors of every expired object (with no lock held) and returns how
    /// many there were.
    fn drain_expired(&self) -> usize {
        let list = self.expired.take_all();
        if list.is_null() {
            return 0;
        }
        // SAFETY: `take_all` handed the whole list over, and every node on `expired` has
        // passed its grace period.
        let freed = unsafe { destroy_list(list) };
        self.count_freed(freed);
        freed
    }

    fn count_freed(&self, freed: usize) {
        if freed != 0 {
            self.freed.fetch_add(freed, Ordering::AcqRel);
        }
    }

    /// The ordering of readers' loads of a current pointer.
    #[inline(always)]
    pub(super) fn load_order(&self) -> Ordering {
        #[cfg(loom)]
        if self.bug == PlantedBug::RelaxedLoad {
            return Ordering::Relaxed;
        }
        Ordering::Acquire
    }

    /// Whether the planted bug frees objects without a grace period.
    #[cfg(loom)]
    pub(super) fn frees_at_once(&self) -> bool {
        self.bug == PlantedBug::FreeAtOnce
    }
}

impl Drop for Inner {
    /// Closes the domain (its last handle is gone, and with it every cell that retires into
    /// it, so no reader can reach a retired object any more): frees the pending batch, the
    /// orphans and the expired objects, and makes later arrivals free themselves at once.
    fn drop(&mut self) {
        let shared = &*self.shared;
        let (handle, pending) = {
            let mut writer = shared.writer.lock();
            (writer.handle.take(), writer.pending.take())
        };
        let mut freed = 0usize;
        if let Some((first, _)) = pending {
            // SAFETY: taken out of the writer's chain, which owned it; unreachable (above).
            freed = freed.wrapping_add(unsafe { destroy_list(first) });
        }
        // SAFETY: `close` hands each stack's list over; unreachable (above).
        freed = freed.wrapping_add(unsafe { destroy_list(shared.orphans.close()) });
        // SAFETY: as above.
        freed = freed.wrapping_add(unsafe { destroy_list(shared.expired.close()) });
        shared.count_freed(freed);
        // The writers' epoch handle goes while `shared` is still owned here; batches still in
        // the epoch are destroyed when the collector goes (after this function), by the
        // closed `expired` stack.
        drop(handle);
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
    // Field order matters: the guard unpins before the handle unregisters, and both go
    // before `shared` (see `Shared`).
    pub(super) guard: Guard,
    #[allow(
        dead_code,
        reason = "held for its registration, which ends when it drops"
    )]
    handle: LocalHandle,
    shared: Arc<Shared>,
}

impl Reader {
    /// Reports a quiescent state: the reader holds no reference obtained before this call, so
    /// objects retired before it may be freed. Never allocates, frees, blocks or locks: one
    /// epoch store and one full fence.
    pub fn quiescent(&mut self) {
        self.guard.repin();
        // A full fence, not only an acquire one. The new epoch lets writers free what was
        // retired up to the epoch before it, so every load after this call must see the
        // unlinks those retirements made. The writer that sealed a batch did so after a
        // sequentially consistent fence and read an epoch older than the one read here, so
        // by the fence rules of C++20 (coherence-ordered reads and the single total order of
        // such fences) its fence precedes this one and its unlinks are visible after it. An
        // acquire fence only orders after the store of the epoch read here, which a third
        // CPU may have made.
        fence(Ordering::SeqCst);
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

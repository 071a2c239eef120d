//! Epoch-based read-copy-update for the crate's shared objects (Linux: RCU, as used for
//! `wi_state` and, since CVE-2026-23415, for freeing `struct mempolicy`).
//!
//! A [`Domain`] is one reclamation domain (a crossbeam-epoch `Collector`) owned by the
//! embedder. Each CPU registers one [`Reader`] with it, once; the reader stays pinned for its
//! whole life and only moves its epoch forward with [`Reader::quiescent`]. That call never
//! allocates, never frees and takes no lock: it is crossbeam's `repin`, which (unlike `pin`)
//! never runs deferred destructors, followed by a full fence. Objects retired by writers are
//! freed on writer paths and by [`Domain::reclaim`], never on a reader's path.
//!
//! This is the RCU contract with crossbeam's epochs: a retired object is freed once every
//! registered reader has passed quiescent states while the epoch advanced twice past it
//! ([`Domain::reclaim`] says exactly when). Readers report one whenever they notice a publish
//! (the readers of this crate do that on their own), and the embedder reports one for an idle
//! CPU by calling [`Reader::quiescent`] from its idle loop or scheduler tick, or by dropping
//! the reader. Until then, the objects retired since that reader's last quiescent state stay
//! allocated; [`Domain::retired`] tells how many.
//!
//! Freeing never happens under the writer lock: a writer hands retired objects to the epoch
//! in batches, and once a batch's grace period has ended it waits on a lock-free list until a
//! writer (or [`Domain::reclaim`]) runs the destructors after releasing the lock. So a
//! destructor may itself publish or reclaim in the same domain.
//!
//! The building blocks the rest of the crate uses (crate-private):
//! * `RcuCell`: one pointer, read lock-free through a reader of the cell's own domain (the
//!   cell holds a handle on it, so a reader of another domain gets nothing), replaced whole
//!   by writers; `CellReader` is a reader bound to one cell, for the weight reads;
//! * `Counted`: a reference count whose last release is deferred into the domain the object
//!   was published in, like Linux's `kfree_rcu` in `__mpol_put`; it never frees, locks or
//!   allocates on the dropping CPU (see [`PolicyRef`](crate::policy::PolicyRef)).
//!
//! Unsafe code lives in this module only: `link.rs` (the intrusive lists), `domain.rs`
//! (deferred functions), `cell.rs` (the current pointer) and `counted.rs` (the count), each
//! block with its `SAFETY` argument.

mod cell;
mod counted;
mod domain;
mod link;
#[cfg(all(test, not(loom)))]
mod tests;

pub(crate) use cell::{CellReader, PairReader, RcuCell};
pub(crate) use counted::Counted;
#[cfg(loom)]
pub use domain::PlantedBug;
pub use domain::{Domain, Reader};

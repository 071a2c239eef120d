//! Loom models of the protocol `mempolicy::rcu` and `mempolicy::weights` use, written against
//! raw crossbeam-epoch so that bugs can be planted in it: a writer publishes a new table with
//! one swap, retires the old one and reclaims; a permanently pinned reader reads, reports a
//! quiescent state (`repin` + a full fence, as `Reader::quiescent` does) and reads again.
//!
//! The correct protocol passes; each planted bug (a `Relaxed` publish, a reader that skips the
//! epoch, a reader that keeps using a pointer across its quiescent state) must make loom fail,
//! which shows that these models, and the ones in `weights.rs` built the same way, would catch
//! it. Run with `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release`.
#![cfg(loom)]
// Unsafe is needed to dereference and retire epoch pointers by hand (test only).
#![allow(unsafe_code)]

use crossbeam_epoch::{self as epoch, Atomic, Collector, Owned};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, Ordering};
use loom::sync::Arc;
use loom::thread;

/// A two-entry weight table whose bytes loom tracks; dropping it writes to them, so a read
/// that is not ordered before the free is a reported race.
struct Table(UnsafeCell<[u8; 2]>);

impl Table {
    fn new(value: u8) -> Self {
        let table = Table(UnsafeCell::new([0; 2]));
        // SAFETY: not shared yet.
        table.0.with_mut(|t| unsafe { *t = [value; 2] });
        table
    }

    fn read(&self) -> [u8; 2] {
        // SAFETY: the test's claim under check: no write races with this read.
        self.0.with(|t| unsafe { *t })
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `&mut self`.
        self.0.with_mut(|t| unsafe { *t = [0xff; 2] });
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    None,
    RelaxedPublish,
    ReaderSkipsEpoch,
    ReaderKeepsPointerAcrossQuiescent,
}

fn model(bug: Bug) {
    mempolicy_loom_tests::model(&format!("rcu::protocol ({bug:?})"), move || {
        let collector = Collector::new();
        let cell = Arc::new(Atomic::new(Table::new(1)));

        let writer = thread::spawn({
            let collector = collector.clone();
            let cell = Arc::clone(&cell);
            move || {
                let handle = collector.register();
                let guard = handle.pin();
                let order = if bug == Bug::RelaxedPublish {
                    Ordering::Relaxed
                } else {
                    Ordering::AcqRel
                };
                let old = cell.swap(Owned::new(Table::new(2)), order, &guard);
                // SAFETY: unlinked by the swap, retired once.
                unsafe { guard.defer_destroy(old) };
                guard.flush();
                drop(guard);
                // More collections: enough epoch advances to free `old` when no reader
                // holds it back.
                let collections = if bug == Bug::ReaderKeepsPointerAcrossQuiescent {
                    4
                } else {
                    2
                };
                for _ in 0..collections {
                    handle.pin().flush();
                }
            }
        });

        let handle = collector.register();
        let first = if bug == Bug::ReaderSkipsEpoch {
            // SAFETY: the bug under test: the reader is not pinned at all.
            let unprotected = unsafe { epoch::unprotected() };
            let shared = cell.load(Ordering::Acquire, unprotected);
            // SAFETY: the bug under test.
            unsafe { shared.deref() }.read()
        } else {
            let mut guard = handle.pin();
            let shared = cell.load(Ordering::Acquire, &guard);
            // SAFETY: pinned, never null.
            let table = unsafe { shared.deref() };
            let value = table.read();
            if bug == Bug::ReaderKeepsPointerAcrossQuiescent {
                let raw = shared.as_raw();
                // Two quiescent states, with room for the writer to advance the epoch twice
                // and free the table the stale pointer names.
                for _ in 0..2 {
                    guard.repin();
                    fence(Ordering::SeqCst);
                    thread::yield_now();
                }
                // SAFETY: the bug under test: the pointer predates the quiescent states.
                let _ = unsafe { &*raw }.read();
            }
            value
        };
        let mut guard = handle.pin();
        assert!(
            first == [1, 1] || first == [2, 2],
            "torn or freed table {first:?}"
        );
        guard.repin();
        fence(Ordering::SeqCst);
        let shared = cell.load(Ordering::Acquire, &guard);
        // SAFETY: pinned after the repin, never null.
        let second = unsafe { shared.deref() }.read();
        assert!(
            second >= first,
            "went back in time: {first:?} then {second:?}"
        );
        drop(guard);
        writer.join().unwrap();

        // SAFETY: all threads are done; the current table is owned by the cell.
        unsafe {
            drop(
                cell.load(Ordering::Relaxed, epoch::unprotected())
                    .into_owned(),
            )
        };
    });
}

#[test]
fn correct_protocol_passes() {
    model(Bug::None);
}

#[test]
#[should_panic]
fn relaxed_publish_is_caught() {
    model(Bug::RelaxedPublish);
}

#[test]
#[should_panic]
fn reader_without_epoch_is_caught() {
    model(Bug::ReaderSkipsEpoch);
}

#[test]
#[should_panic]
fn pointer_kept_across_quiescent_state_is_caught() {
    model(Bug::ReaderKeepsPointerAcrossQuiescent);
}

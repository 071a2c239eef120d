//! Loom models of a policy pointer replaced while a lock-free reader uses it (Linux:
//! CVE-2026-23415, the futex code reading `vma->vm_policy` while `mbind` frees it).
//!
//! The payload is a cell whose accesses loom tracks; its destructor writes to it, as a
//! freeing allocator writes its free-list pointer into the object. If the destructor of the
//! last reference ran while a reader might still read the cell, with no happens-before
//! between the two, loom reports a causality violation.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicPtr, Ordering};
use loom::sync::Arc;
use loom::thread;
use mempolicy::policy::{PolicyRef, PolicySlot};
use mempolicy::rcu::Domain;

/// A stand-in for a `Mempolicy` whose reads and "free" loom checks.
struct Tracked {
    value: UnsafeCell<u32>,
}

// SAFETY: every access goes through loom's cell, which checks that accesses from different
// threads are ordered; a violation fails the model instead of racing.
unsafe impl Sync for Tracked {}

impl Tracked {
    fn new(value: u32) -> Self {
        Self { value: UnsafeCell::new(value) }
    }

    fn read(&self) -> u32 {
        // SAFETY: loom checks this read against the write in `poison`.
        self.value.with(|p| unsafe { *p })
    }

    /// What freeing does to the memory: overwrite it.
    fn poison(&self) {
        // SAFETY: loom checks this write against every read.
        self.value.with_mut(|p| unsafe { *p = 0xdead })
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.poison();
    }
}

/// The library's slot: the writer replaces the only reference while a reader on another
/// CPU reads the policy it loaded. The release goes through the epoch, so the reader always
/// sees the live value.
#[test]
fn last_drop_waits_for_a_reader_that_loaded_the_policy() {
    loom::model(|| {
        let domain = Domain::new();
        let slot = Arc::new(PolicySlot::new(&domain, Some(PolicyRef::new(Tracked::new(7)))));
        let reader = thread::spawn({
            let slot = Arc::clone(&slot);
            let domain = domain.clone();
            move || {
                let reader = domain.register();
                let seen = slot.load(&reader).map(Tracked::read);
                assert!(seen.is_none() || seen == Some(7), "read {seen:?}");
            }
        });
        slot.replace(None); // drops the last reference, deferred
        domain.reclaim();
        reader.join().unwrap();
        domain.reclaim();
    });
}

/// A reader that took a counted reference keeps the policy after the slot moved on, and
/// the writer's replacement is visible to later loads.
#[test]
fn counted_reference_outlives_the_slot_value() {
    loom::model(|| {
        let domain = Domain::new();
        let slot = Arc::new(PolicySlot::new(&domain, Some(PolicyRef::new(Tracked::new(1)))));
        let reader = thread::spawn({
            let slot = Arc::clone(&slot);
            let domain = domain.clone();
            move || {
                let held = {
                    let reader = domain.register();
                    slot.get(&reader)
                };
                // The reader is gone; only the counted reference protects the value now.
                if let Some(held) = held {
                    let v = held.read();
                    assert!(v == 1 || v == 2, "read {v}");
                }
            }
        });
        slot.replace(Some(PolicyRef::new(Tracked::new(2))));
        reader.join().unwrap();
        let reader = domain.register();
        assert_eq!(slot.load(&reader).map(Tracked::read), Some(2));
    });
}

/// The bug the epoch prevents: the same race with the policy freed at once, as Linux did
/// before `kfree_rcu` (`__mpol_put` → `kmem_cache_free`). Loom finds the interleaving where
/// the free overwrites the object that the reader is reading. (The model only poisons the
/// object at "free" time and deallocates it after the join, so the failing execution is not
/// itself a use after free.)
#[test]
#[should_panic(expected = "Causality violation")]
fn an_immediate_free_races_with_the_reader() {
    loom::model(|| {
        let slot = Arc::new(AtomicPtr::new(Box::into_raw(Box::new(Tracked::new(7)))));
        let reader = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                let p = slot.load(Ordering::Acquire);
                if !p.is_null() {
                    // SAFETY: the object is deallocated only after this thread is joined.
                    let v = unsafe { (*p).read() };
                    assert_eq!(v, 7);
                }
            }
        });
        let old = slot.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `old` came from `Box::into_raw` and is still allocated.
        unsafe { (*old).poison() };
        reader.join().unwrap();
        // SAFETY: unlinked above and no thread can reach it any more.
        drop(unsafe { Box::from_raw(old) });
    });
}

//! Unit tests of the epoch machinery; the public behaviour is tested through the cells'
//! users (policy slots, shared zonelists, weight tables) in `tests/`.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::sync::{AtomicUsize, Ordering};

/// A payload that counts its drops.
struct Counter(Arc<AtomicUsize>);

impl Drop for Counter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn publish_retires_and_one_round_of_quiescent_states_reclaims() {
    let domain = Domain::new();
    let cell = RcuCell::new(1u32, &domain);
    cell.publish(2);
    domain.reclaim();
    assert_eq!(domain.retired(), 0, "no reader: one reclaim frees it");
    let mut reader = domain.register();
    assert_eq!(cell.load(&reader), Some(&2));
    cell.publish(3);
    // The reader is still pinned at the old epoch: the old value must stay allocated.
    domain.reclaim();
    assert_eq!(domain.retired(), 1);
    assert_eq!(cell.load(&reader), Some(&3));
    reader.quiescent();
    domain.reclaim();
    assert_eq!(domain.retired(), 0);
    assert!(domain.owns(&reader));
    let stranger = Domain::new().register();
    assert!(!domain.owns(&stranger));
    assert_eq!(cell.load(&stranger), None);
}

#[test]
fn dropping_everything_frees_everything() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let reader = domain.register();
    let cell = RcuCell::new(Counter(Arc::clone(&drops)), &domain);
    for _ in 0..10 {
        cell.publish(Counter(Arc::clone(&drops)));
    }
    assert!(domain.retired() > 0);
    drop(cell);
    drop(domain);
    // The reader still holds the epoch: the batches handed to it wait for it.
    drop(reader);
    assert_eq!(drops.load(Ordering::SeqCst), 11);
}

#[test]
fn counted_last_drop_waits_for_a_grace_period() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let counted = Counted::new(Counter(Arc::clone(&drops)));
    let clone = counted.clone();
    assert_eq!(Counted::count(&counted), 2);
    assert!(Counted::ptr_eq(&counted, &clone));
    Counted::adopt(&counted, &domain);
    drop(counted);
    drop(clone);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert_eq!(domain.retired(), 1);
    domain.reclaim();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(domain.retired(), 0);
    // Never published: freed at once.
    drop(Counted::new(Counter(Arc::clone(&drops))));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn counted_objects_outliving_their_domain_are_freed_at_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let counted = Counted::new(Counter(Arc::clone(&drops)));
    Counted::adopt(&counted, &domain);
    let orphan = Counted::new(Counter(Arc::clone(&drops)));
    Counted::adopt(&orphan, &domain);
    drop(orphan); // waits in the domain
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(domain); // closing frees the waiting one
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(counted); // the domain is gone: at once
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn many_batches_go_in_one_reclaim() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let cell = RcuCell::new(Counter(Arc::clone(&drops)), &domain);
    // Far more than one collection frees (8 bags of crossbeam's per call).
    for _ in 0..1000 {
        cell.publish(Counter(Arc::clone(&drops)));
    }
    domain.reclaim();
    assert_eq!(domain.retired(), 0);
    assert_eq!(drops.load(Ordering::SeqCst), 1000);
    let values: Vec<u8> = vec![1, 2];
    let cell = RcuCell::new(values, &domain);
    assert_eq!(cell.with_current(|v| v.len()), 2);
}

#[test]
fn two_rounds_of_quiescent_states_always_reclaim() {
    let domain = Domain::new();
    let mut readers: Vec<Reader> = (0..3).map(|_| domain.register()).collect();
    let cell = RcuCell::new(0u32, &domain);
    for round in 0..300u32 {
        // Publishes and reclaims in every phase of the writers' handle (it collects on
        // every 128th pin, which moves the epoch just before a hand-over).
        cell.publish(round);
        domain.reclaim();
        for _ in 0..2 {
            for reader in &mut readers {
                reader.quiescent();
            }
            domain.reclaim();
        }
        assert_eq!(domain.retired(), 0, "round {round}");
    }
}

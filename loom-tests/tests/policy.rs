//! Loom models of policy slots (Linux: `vma->vm_policy` replaced by `mbind` while a
//! lock-free reader uses it, CVE-2023-4611 and CVE-2026-23415): the shipped `PolicySlot`
//! and `PolicyRef` with a payload whose reads and frees loom tracks, fresh payloads
//! published from the writer thread, and for each model two planted-bug twins that must
//! fail (readers' loads relaxed, objects freed at once), which shows the model can see what
//! it guards.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use mempolicy::policy::{PolicyRef, PolicySlot};
use mempolicy::rcu::{Domain, PlantedBug};
use mempolicy_loom_tests::{model, Tracked};

/// A reader loads the slot while the writer replaces it with a policy built in the writer
/// thread: it sees the old or the new policy, whole, before and after a quiescent state,
/// never a freed one and never going back.
fn reader_sees_old_or_fresh(bug: PlantedBug) {
    model("policy::reader_sees_old_or_fresh", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(
            &domain,
            Some(PolicyRef::new(Tracked::new(1))),
        ));
        let mut reader = domain.register();
        let writer = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                slot.replace(Some(PolicyRef::new(Tracked::new(2))));
                slot.domain().reclaim();
            }
        });
        let first = slot.load(&reader).map(Tracked::read);
        assert!(first == Some(1) || first == Some(2), "read {first:?}");
        reader.quiescent();
        let second = slot.load(&reader).map(Tracked::read);
        assert!(
            second >= first && second <= Some(2),
            "{first:?} then {second:?}"
        );
        drop(reader);
        writer.join().unwrap();
    });
}

#[test]
fn reader_sees_old_or_fresh_policy() {
    reader_sees_old_or_fresh(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_sees_old_or_fresh_policy_catches_a_relaxed_load() {
    reader_sees_old_or_fresh(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_sees_old_or_fresh_policy_catches_a_free_at_once() {
    reader_sees_old_or_fresh(PlantedBug::FreeAtOnce);
}

/// A reader takes a counted reference (`get`) while the writer replaces the policy, uses
/// it across its quiescent state and drops it, possibly as the last reference: that last
/// drop is deferred into the domain, so it never frees under another reader.
fn counted_reference_outlives_the_slot(bug: PlantedBug) {
    model("policy::counted_reference_outlives_the_slot", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(
            &domain,
            Some(PolicyRef::new(Tracked::new(1))),
        ));
        let mut reader = domain.register();
        let writer = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                slot.replace(Some(PolicyRef::new(Tracked::new(2))));
                slot.domain().reclaim();
            }
        });
        let held = slot.get(&reader).expect("the slot always holds a policy");
        reader.quiescent();
        let v = held.read();
        assert!(v == 1 || v == 2, "read {v}");
        drop(held);
        drop(reader);
        writer.join().unwrap();
        domain.reclaim();
        let reader = domain.register();
        assert_eq!(slot.load(&reader).map(Tracked::read), Some(2));
    });
}

#[test]
fn counted_reference_outlives_the_slot_value() {
    counted_reference_outlives_the_slot(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn counted_reference_outlives_the_slot_value_catches_a_relaxed_load() {
    counted_reference_outlives_the_slot(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn counted_reference_outlives_the_slot_value_catches_a_free_at_once() {
    counted_reference_outlives_the_slot(PlantedBug::FreeAtOnce);
}

/// `get_slow` (a writer-side counted read) races with `replace` while a lock-free reader
/// reads: everyone sees the old or the new policy, whole.
fn get_slow_racing_replace(bug: PlantedBug) {
    model("policy::get_slow_racing_replace", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(
            &domain,
            Some(PolicyRef::new(Tracked::new(1))),
        ));
        let reader = domain.register();
        let slow = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                let held = slot.get_slow().expect("a policy");
                let v = held.read();
                assert!(v == 1 || v == 2, "get_slow read {v}");
            }
        });
        let writer = thread::spawn({
            let slot = Arc::clone(&slot);
            move || slot.replace(Some(PolicyRef::new(Tracked::new(2))))
        });
        let seen = slot.load(&reader).map(Tracked::read);
        assert!(seen == Some(1) || seen == Some(2), "read {seen:?}");
        drop(reader);
        slow.join().unwrap();
        writer.join().unwrap();
    });
}

#[test]
fn get_slow_racing_replace_sees_old_or_new() {
    get_slow_racing_replace(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn get_slow_racing_replace_catches_a_relaxed_load() {
    get_slow_racing_replace(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn get_slow_racing_replace_catches_a_free_at_once() {
    get_slow_racing_replace(PlantedBug::FreeAtOnce);
}

/// Two readers on two CPUs read at once while the writer replaces the policy with one
/// built in its thread. (The writers' handle is set up, and the second reader registers,
/// before the writer starts, which keeps the model small; the other models cover a
/// registration and a first use racing with the rest.)
fn two_readers(bug: PlantedBug) {
    model("policy::two_readers_at_once", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(&domain, None));
        slot.replace(Some(PolicyRef::new(Tracked::new(1))));
        let reader = domain.register();
        let other = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                let reader = slot.domain().register();
                let writer = thread::spawn({
                    let slot = Arc::clone(&slot);
                    move || slot.replace(Some(PolicyRef::new(Tracked::new(2))))
                });
                let seen = slot.load(&reader).map(Tracked::read);
                assert!(seen == Some(1) || seen == Some(2), "other read {seen:?}");
                drop(reader);
                writer.join().unwrap();
            }
        });
        let seen = slot.load(&reader).map(Tracked::read);
        assert!(seen == Some(1) || seen == Some(2), "read {seen:?}");
        drop(reader);
        other.join().unwrap();
    });
}

#[test]
fn two_readers_at_once() {
    two_readers(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn two_readers_at_once_catch_a_relaxed_load() {
    two_readers(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn two_readers_at_once_catch_a_free_at_once() {
    two_readers(PlantedBug::FreeAtOnce);
}

/// The writer replaces the policy twice; the second `replace` completes a batch (two under
/// loom), so it hands the batch to the epoch and collects inside the publish, while a reader
/// reads across a quiescent state.
fn batched_flush(bug: PlantedBug) {
    model("policy::batched_flush_inside_publish", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(
            &domain,
            Some(PolicyRef::new(Tracked::new(1))),
        ));
        let mut reader = domain.register();
        let writer = thread::spawn({
            let slot = Arc::clone(&slot);
            move || {
                slot.replace(Some(PolicyRef::new(Tracked::new(2))));
                slot.replace(Some(PolicyRef::new(Tracked::new(3))));
            }
        });
        let a = slot.load(&reader).map(Tracked::read);
        reader.quiescent();
        let b = slot.load(&reader).map(Tracked::read);
        assert!(
            matches!(a, Some(1..=3)) && a <= b && b <= Some(3),
            "{a:?} then {b:?}"
        );
        drop(reader);
        writer.join().unwrap();
        domain.reclaim();
        assert_eq!(domain.retired(), 0);
    });
}

#[test]
fn batched_flush_inside_publish() {
    batched_flush(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn batched_flush_inside_publish_catches_a_relaxed_load() {
    batched_flush(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn batched_flush_inside_publish_catches_a_free_at_once() {
    batched_flush(PlantedBug::FreeAtOnce);
}

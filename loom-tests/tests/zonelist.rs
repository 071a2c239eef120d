//! Loom models of zonelist rebuilds racing with readers (`SharedZonelists`, the crate's
//! replacement for Linux's `zonelist_update_seq` seqlock). The published sets are plain
//! memory, so loom sees them through the tracked canary every published node carries
//! (`mempolicy::rcu`); fresh sets are built in the writer thread. Each model has two
//! planted-bug twins that must fail.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use mempolicy::gfp::ZoneType;
use mempolicy::policy::{PolicyRef, PolicySlot};
use mempolicy::rcu::{Domain, PlantedBug};
use mempolicy::topology::Topology;
use mempolicy::weights::WeightTable;
use mempolicy::zonelist::{SharedZonelists, ZoneRef, ZonelistConfig, ZonelistKind, Zonelists};
use mempolicy::{NodeId, NodeMask};
use mempolicy_loom_tests::{model, Tracked};

/// Node 1's fallback walk in `lists`.
fn walk(lists: &Zonelists) -> Vec<ZoneRef> {
    let list = lists
        .zonelist(NodeId::new(1), ZonelistKind::Fallback)
        .unwrap();
    list.iter(ZoneType::Movable, None).collect()
}

struct Fixture {
    new_topo: Topology,
    old: Zonelists,
    new: Zonelists,
}

fn fixture() -> Fixture {
    // Before: both nodes have memory. After: node 1 lost its memory (hot-remove).
    let old_topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256").unwrap();
    let new_topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256,0").unwrap();
    let old = Zonelists::build(&old_topo);
    let new = Zonelists::build(&new_topo);
    assert_ne!(walk(&old), walk(&new));
    Fixture { new_topo, old, new }
}

/// A reader walking while a writer rebuilds sees the old or the new set, complete.
fn reader_walks(bug: PlantedBug) {
    // Plain data shared by every execution; each execution publishes its own copies.
    let f = std::sync::Arc::new(fixture());
    model("zonelist::reader_walks_old_or_new", move || {
        let domain = Domain::with_planted_bug(bug);
        let shared = Arc::new(SharedZonelists::new(f.old.clone(), &domain));
        let reader = domain.register();
        let writer = thread::spawn({
            let shared = Arc::clone(&shared);
            let f = std::sync::Arc::clone(&f);
            move || shared.rebuild(&f.new_topo, ZonelistConfig::LINUX)
        });
        let lists = shared.load(&reader).unwrap();
        let seen = walk(lists);
        assert!(lists == &f.old || lists == &f.new);
        assert!(
            seen == walk(&f.old) || seen == walk(&f.new),
            "mixed walk {seen:?}"
        );
        drop(reader);
        writer.join().unwrap();
    });
}

#[test]
fn reader_walks_old_or_new_complete_list() {
    reader_walks(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_walks_old_or_new_complete_list_catches_a_relaxed_load() {
    reader_walks(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_walks_old_or_new_complete_list_catches_a_free_at_once() {
    reader_walks(PlantedBug::FreeAtOnce);
}

/// After a quiescent state a reader still finds a complete set, and once the writer is done
/// it finds the new one; the old set is not freed under a reader still using it, though the
/// writer reclaims.
fn across_quiescent_state(bug: PlantedBug) {
    let f = std::sync::Arc::new(fixture());
    model("zonelist::reader_across_quiescent_state", move || {
        let domain = Domain::with_planted_bug(bug);
        let shared = Arc::new(SharedZonelists::new(f.old.clone(), &domain));
        let mut reader = domain.register();
        let writer = thread::spawn({
            let shared = Arc::clone(&shared);
            let f = std::sync::Arc::clone(&f);
            move || {
                shared.publish(f.new.clone());
                shared.domain().reclaim();
            }
        });
        let first = walk(shared.load(&reader).unwrap());
        reader.quiescent();
        let second = walk(shared.load(&reader).unwrap());
        let (old, new) = (walk(&f.old), walk(&f.new));
        assert!(first == old || first == new);
        assert!(second == old || second == new);
        assert!(!(first == new && second == old), "went back");
        writer.join().unwrap();
        reader.quiescent();
        assert_eq!(walk(shared.load(&reader).unwrap()), new);
    });
}

#[test]
fn reader_across_quiescent_state() {
    across_quiescent_state(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_across_quiescent_state_catches_a_relaxed_load() {
    across_quiescent_state(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_across_quiescent_state_catches_a_free_at_once() {
    across_quiescent_state(PlantedBug::FreeAtOnce);
}

/// Several objects share one domain (a policy slot, the zonelists and a weight table): a
/// writer replaces two of them while a reader reads all three through one reader.
fn shared_domain(bug: PlantedBug) {
    let f = std::sync::Arc::new(fixture());
    model("zonelist::several_objects_share_one_domain", move || {
        let domain = Domain::with_planted_bug(bug);
        let slot = Arc::new(PolicySlot::new(
            &domain,
            Some(PolicyRef::new(Tracked::new(1))),
        ));
        let shared = Arc::new(SharedZonelists::new(f.old.clone(), &domain));
        let table = WeightTable::with_domain(NodeMask::first_n(2), domain.clone());
        let reader = domain.register();
        let writer = thread::spawn({
            let (slot, shared) = (Arc::clone(&slot), Arc::clone(&shared));
            let f = std::sync::Arc::clone(&f);
            move || {
                slot.replace(Some(PolicyRef::new(Tracked::new(2))));
                shared.publish(f.new.clone());
            }
        });
        let policy = slot.load(&reader).map(Tracked::read);
        let seen = walk(shared.load(&reader).unwrap());
        assert!(policy == Some(1) || policy == Some(2), "read {policy:?}");
        assert!(seen == walk(&f.old) || seen == walk(&f.new));
        drop(reader);
        let mut weights = table.reader();
        assert_eq!(weights.weight(NodeId::new(1)), 1);
        drop(weights);
        writer.join().unwrap();
        domain.reclaim();
        assert_eq!(domain.retired(), 0);
    });
}

#[test]
fn several_objects_share_one_domain() {
    shared_domain(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn several_objects_share_one_domain_catch_a_relaxed_load() {
    shared_domain(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn several_objects_share_one_domain_catch_a_free_at_once() {
    shared_domain(PlantedBug::FreeAtOnce);
}

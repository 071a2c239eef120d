//! Loom models of zonelist rebuilds racing with readers (`SharedZonelists`, the crate's
//! replacement for Linux's `zonelist_update_seq` seqlock).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use mempolicy::gfp::ZoneType;
use mempolicy::rcu::Domain;
use mempolicy::topology::Topology;
use mempolicy::zonelist::{SharedZonelists, ZoneRef, ZonelistConfig, ZonelistKind, Zonelists};
use mempolicy::NodeId;

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
#[test]
fn reader_walks_old_or_new_complete_list() {
    // Built outside the model: plain data, shared by every execution.
    let f = std::sync::Arc::new(fixture());
    loom::model(move || {
        let domain = Domain::new();
        let shared = Arc::new(SharedZonelists::new(f.old.clone(), &domain));
        let writer = thread::spawn({
            let shared = Arc::clone(&shared);
            let f = std::sync::Arc::clone(&f);
            move || shared.rebuild(&f.new_topo, ZonelistConfig::LINUX)
        });
        let reader = domain.register();
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

/// After a quiescent state a reader still finds a complete set, and once the writer is done
/// it finds the new one; the old set is not freed under a reader still using it.
#[test]
fn reader_across_quiescent_state() {
    // Built outside the model: plain data, shared by every execution.
    let f = std::sync::Arc::new(fixture());
    loom::model(move || {
        let domain = Domain::new();
        let shared = Arc::new(SharedZonelists::new(f.old.clone(), &domain));
        let mut reader = domain.register();
        let writer = thread::spawn({
            let shared = Arc::clone(&shared);
            let f = std::sync::Arc::clone(&f);
            move || shared.publish(f.new.clone())
        });
        let first = walk(shared.load(&reader).unwrap());
        reader.quiescent();
        let second = walk(shared.load(&reader).unwrap());
        assert!(first == walk(&f.old) || first == walk(&f.new));
        assert!(second == walk(&f.old) || second == walk(&f.new));
        writer.join().unwrap();
        reader.quiescent();
        assert_eq!(walk(shared.load(&reader).unwrap()), walk(&f.new));
    });
}

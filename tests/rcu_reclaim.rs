//! Reclamation through the public API: what one `Domain::reclaim` frees, when the last
//! reference of a policy is freed, destructors that use their own domain, and readers of
//! another domain. Each test is named after the guarantee it guards.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use mempolicy::policy::{Mempolicy, PolicyRef, PolicySlot};
use mempolicy::rcu::Domain;
use mempolicy::topology::Topology;
use mempolicy::weights::WeightTable;
use mempolicy::zonelist::{SharedZonelists, ZonelistConfig, Zonelists};
use mempolicy::{NodeId, NodeMask};

/// A policy stand-in that counts its drops.
struct Counted {
    drops: Arc<AtomicUsize>,
}

impl Counted {
    fn new(drops: &Arc<AtomicUsize>) -> PolicyRef<Counted> {
        PolicyRef::new(Self {
            drops: Arc::clone(drops),
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn one_reclaim_frees_every_retired_object_when_no_reader_holds_them() {
    for publishes in [1usize, 3, 7, 8, 9, 100, 1000] {
        let drops = Arc::new(AtomicUsize::new(0));
        let domain = Domain::new();
        let slot = PolicySlot::new(&domain, Some(Counted::new(&drops)));
        let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256").unwrap();
        let lists = SharedZonelists::new(Zonelists::build(&topo), &domain);
        let table = WeightTable::with_domain(NodeMask::first_n(2), domain.clone());
        for i in 0..publishes {
            slot.replace(Some(Counted::new(&drops)));
            lists.rebuild(&topo, ZonelistConfig::LINUX);
            table
                .set_weight(NodeId::new(i % 2), (i % 200) as u8 + 1)
                .unwrap();
        }
        // A reader that came and went holds nothing back.
        drop(domain.register());
        domain.reclaim();
        assert_eq!(domain.retired(), 0, "{publishes} publishes");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            publishes,
            "{publishes} publishes"
        );
    }
}

#[test]
fn two_rounds_of_quiescent_states_let_one_reclaim_free_everything() {
    let domain = Domain::new();
    let slot = PolicySlot::new(&domain, None);
    slot.replace(None); // the writers' first use
    domain.reclaim();
    let mut readers: Vec<_> = (0..4).map(|_| domain.register()).collect();
    for _ in 0..50 {
        slot.replace(Some(PolicyRef::new(Mempolicy::default_policy())));
    }
    domain.reclaim();
    assert_eq!(domain.retired(), 50, "the readers may hold every one");
    for _ in 0..2 {
        for reader in &mut readers {
            reader.quiescent();
        }
        domain.reclaim();
    }
    assert_eq!(domain.retired(), 0);
}

#[test]
fn last_drop_of_a_counted_policy_waits_for_a_grace_period() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let mut reader = domain.register();
    let slot = PolicySlot::new(&domain, Some(Counted::new(&drops)));
    let held = slot.get(&reader).expect("a policy");
    slot.replace(None);
    for _ in 0..2 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(PolicyRef::ref_count(&held), 1, "the slot let go of it");
    drop(held); // Linux: the last mpol_put
    assert_eq!(drops.load(Ordering::SeqCst), 0, "freed by the last drop");
    assert_eq!(domain.retired(), 1);
    // Like any retired object, it waits for the readers.
    assert!(slot.get(&reader).is_none());
    domain.reclaim(); // hands it over to the epoch
    for _ in 0..2 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(domain.retired(), 0);

    // A policy that was never installed in a slot has no lock-free reader: freed at once.
    drop(Counted::new(&drops));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    // One whose domain is gone (no slot, no reader path left): freed at once too.
    let kept = {
        let domain = Domain::new();
        let slot = PolicySlot::new(&domain, Some(Counted::new(&drops)));
        slot.get_slow().expect("a policy")
    };
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(kept);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// A policy whose destructor uses the domain it was retired into: it publishes a policy
/// of its own kind into a slot of that domain and reclaims.
struct Reentrant {
    slot: Arc<PolicySlot<Reentrant>>,
    depth: u32,
    created: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Reentrant {
    fn new(
        slot: &Arc<PolicySlot<Reentrant>>,
        depth: u32,
        counters: [&Arc<AtomicUsize>; 2],
    ) -> PolicyRef<Self> {
        counters[0].fetch_add(1, Ordering::SeqCst);
        PolicyRef::new(Self {
            slot: Arc::clone(slot),
            depth,
            created: Arc::clone(counters[0]),
            drops: Arc::clone(counters[1]),
        })
    }
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.depth > 0 {
            let next = Reentrant::new(&self.slot, self.depth - 1, [&self.created, &self.drops]);
            self.slot.replace(Some(next));
            self.slot.domain().reclaim();
            let _ = self.slot.domain().retired();
        }
    }
}

#[test]
fn destructors_may_publish_and_reclaim_in_their_own_domain() {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let (created, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let domain = Domain::new();
        let other = Arc::new(PolicySlot::new(&domain, None));
        let slot = PolicySlot::new(&domain, None);
        for _ in 0..20 {
            slot.replace(Some(Reentrant::new(&other, 2, [&created, &drops])));
        }
        domain.reclaim();
        // Each of the 19 replaced policies was dropped and published a chain of two more.
        assert!(drops.load(Ordering::SeqCst) >= 19);
        // Empty both slots (the policies in `other` refer to it), then free everything.
        slot.replace(None);
        domain.reclaim();
        other.replace(None);
        domain.reclaim();
        assert_eq!(domain.retired(), 0);
        assert_eq!(drops.load(Ordering::SeqCst), created.load(Ordering::SeqCst));
        done.send(drops.load(Ordering::SeqCst)).unwrap();
    });
    let dropped = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("a destructor deadlocked on the domain's writer lock (or the test failed)");
    assert_eq!(
        dropped,
        20 * 3,
        "each policy of depth 2 made one of depth 1 and one of 0"
    );
}

#[test]
fn readers_of_another_domain_read_nothing() {
    let domain = Domain::new();
    let stranger = Domain::new().register();
    let slot = PolicySlot::new(&domain, Some(PolicyRef::new(Mempolicy::default_policy())));
    let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256").unwrap();
    let lists = SharedZonelists::new(Zonelists::build(&topo), &domain);
    assert!(slot.load(&stranger).is_none());
    assert!(slot.get(&stranger).is_none());
    assert!(lists.load(&stranger).is_none());
    let own = domain.register();
    assert!(slot.load(&own).is_some());
    assert!(lists.load(&own).is_some());
    // A weight table's readers come from the table itself, so they always belong.
    let table = WeightTable::with_domain(NodeMask::first_n(2), domain.clone());
    assert_eq!(table.reader().weight(NodeId::new(1)), 1);
}

//! One regression test per Linux memory-policy CVE. Each test replays the shape of the Linux bug against this crate and
//! asserts the behaviour that makes it impossible here; its doc comment says what went wrong
//! in Linux and which part of the design prevents it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread;

use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, PageNode, RangePolicy, SharedObject, SharedPolicy,
    SystemNodes, Task, UserMemory, MAX_PGOFF,
};
use mempolicy::policy::{
    parse_mpol, Mempolicy, Mode, ModeFlags, NodeContext, PolicyRef, PolicySlot,
};
use mempolicy::rcu::Domain;
use mempolicy::{Error, NodeId, NodeMask, Result};

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

fn bind(nodes: &str) -> Mempolicy {
    let ctx = NodeContext::unrestricted(mask("0-3"));
    Mempolicy::create(Mode::Bind, ModeFlags::empty(), &mask(nodes), &ctx)
        .unwrap()
        .unwrap()
}

/// CVE-2020-11565 (fixed by aa9f7d5172fa, 2020): `mpol_parse_str` accepted the tmpfs mount
/// option `mpol=prefer:,`. The nodelist `,` parses to an empty mask, and Linux then took
/// `first_node()` of it as the preferred node: `MAX_NUMNODES`, one past every per-node
/// array, read out of bounds on the stack (syzbot). The fix rejects an empty or non-numeric
/// `prefer` list.
///
/// Here the same check rejects the text, and the types leave no sentinel to misuse:
/// [`NodeMask::first`] returns `Option<NodeId>`, a `NodeId` is below `MAX_NUMNODES` by
/// construction, and a `Preferred` policy built from an empty mask is `Local` instead.
#[test]
fn cve_2020_11565_prefer_with_empty_nodelist_is_rejected() {
    let memory = mask("0-3");
    for text in [
        "prefer:,",
        "prefer:",
        "prefer:,,",
        "prefer: ",
        "prefer:0,",
        "prefer=static:,",
    ] {
        assert!(parse_mpol(text, &memory).is_err(), "{text:?} was accepted");
    }
    assert!(matches!(
        parse_mpol("prefer:,", &memory),
        Err(Error::Parse(7))
    ));
    assert_eq!(
        parse_mpol("prefer:", &memory).err(),
        Some(Error::EmptyNodemask)
    );
    // The accepted forms keep a real node, or none at all.
    let one = parse_mpol("prefer:2", &memory).unwrap().unwrap();
    assert_eq!(one.nodes().first(), Some(NodeId::new(2)));
    let local = parse_mpol("prefer", &memory).unwrap().unwrap();
    assert_eq!(local.nodes().first(), None);
    // No sentinel: the first node of an empty mask is `None`, not MAX_NUMNODES.
    assert_eq!(NodeMask::new().first(), None);
    let ctx = NodeContext::unrestricted(memory);
    let empty = Mempolicy::create(Mode::Preferred, ModeFlags::empty(), &NodeMask::new(), &ctx);
    assert_eq!(empty.unwrap().map(|p| p.mode()), Some(Mode::Local));
}

/// User memory for `get_mempolicy`: the policy word and a one-word nodemask.
struct Env<F> {
    words: BTreeMap<u64, u64>,
    policy_word: Option<i32>,
    /// The `lookup_node` hook, run while the policy is being reported.
    on_lookup: F,
}

const NMASK: u64 = 0x1000;
const POLICY: u64 = 0x2000;

impl<F> UserMemory for Env<F> {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.words.get(&addr).copied().ok_or(Error::Fault(addr))
    }
    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        *self.words.get_mut(&addr).ok_or(Error::Fault(addr))? = value;
        Ok(())
    }
    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        if addr != POLICY {
            return Err(Error::Fault(addr));
        }
        self.policy_word = Some(value);
        Ok(())
    }
}

impl<F: FnMut(u64) -> NodeId> PageNode for Env<F> {
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId> {
        Ok((self.on_lookup)(addr))
    }
}

/// CVE-2018-10675 ("fix use after free when calling get_mempolicy"): for
/// `get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)`, `do_get_mempolicy` looked up the VMA's policy,
/// then dropped `mmap_sem` to fault the page in (`lookup_node`) and afterwards still used
/// the policy pointer, which a concurrent `mbind` could have freed meanwhile. The fix takes
/// a reference (`mpol_get`) across the lookup.
///
/// Here the policy of a range is an `Arc`, and [`abi::query_policy`] holds its own clone
/// while [`PageNode::node_of_page`] runs. For an anonymous range, the `&AddressSpace` borrow
/// is the `mmap_lock` and is held across the lookup, so `mbind` (which needs `&mut`) cannot
/// run at all. A shared (shmem) range can change under the lookup, since its tree has its
/// own lock: the hook below replaces the policy exactly then and sees that the old policy is
/// still alive, kept only by the query's reference, and that the query reports it whole.
#[test]
fn cve_2018_10675_get_mempolicy_node_addr_holds_the_policy_across_lookup() {
    let nodes = SystemNodes::new(mask("0-3"), mask("0-3"), mask("0-3"));
    let task = Task::new(mask("0-3"));
    let domain = mempolicy::rcu::Domain::new();
    let object = Arc::new(SharedObject::new(
        &domain,
        SharedPolicy::with_policy(9, &bind("1-2")),
    ));
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap_shared(0x10_0000, 4 * 4096, 0, (), Arc::clone(&object))
        .unwrap();

    let old: Weak<Mempolicy> = Arc::downgrade(&object.lookup(1).unwrap());
    let checked = AtomicUsize::new(0);
    let hook = |_addr: u64| {
        // A concurrent mbind over the whole object (through another mapping): the tree
        // drops its only reference to the old policy.
        object.update(|tree| tree.replace(0, MAX_PGOFF, Some(&bind("3"))));
        // The old tree is retired; with no reader left it is freed by reclaiming.
        for _ in 0..8 {
            domain.reclaim();
        }
        assert_eq!(domain.retired(), 0);
        let alive = old
            .upgrade()
            .expect("the policy was freed during the lookup");
        assert_eq!(alive.to_string(), "bind:1-2");
        // The tree no longer refers to it: only the query's reference (and `alive`).
        assert_eq!(Arc::strong_count(&alive), 2);
        checked.fetch_add(1, Ordering::SeqCst);
        NodeId::new(2)
    };
    let mut env = Env {
        words: BTreeMap::from([(NMASK, u64::MAX)]),
        policy_word: None,
        on_lookup: hook,
    };
    let args = GetMempolicyArgs {
        policy: POLICY,
        nmask: NMASK,
        maxnode: 65,
        addr: 0x10_0000 + 4096,
        flags: abi::F_NODE | abi::F_ADDR,
    };
    assert_eq!(
        abi::get_mempolicy(&task, &mm, &nodes, &mut env, args),
        Ok(0)
    );
    assert_eq!(checked.load(Ordering::SeqCst), 1);
    // The node of the page, and the nodemask of the policy that was looked up.
    assert_eq!(env.policy_word, Some(2));
    assert_eq!(env.words[&NMASK], 0b110);
    // The query's reference is gone, and with it the old policy.
    assert!(old.upgrade().is_none());
    assert_eq!(
        object.lookup(1).map(|p| p.to_string()).as_deref(),
        Some("bind:3")
    );
}

/// A policy that counts its live copies, for leak and double-free checks.
#[derive(Debug)]
struct Counted {
    id: u32,
    live: Arc<AtomicIsize>,
}

impl Counted {
    fn new(id: u32, live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            live: Arc::clone(live),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(self.id, &self.live)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl RangePolicy for Counted {
    fn is_equal(&self, other: &Self) -> bool {
        self.id == other.id
    }
    fn rebind(&mut self, _: &NodeMask) {}
}

/// Every range holds the only reference to its own policy object, and nothing else is
/// alive but the `extra` copies the test holds.
fn assert_balanced(tree: &SharedPolicy<Counted>, live: &AtomicIsize, extra: isize) {
    for (start, end, policy) in tree.iter() {
        assert_eq!(
            Arc::strong_count(policy),
            1,
            "[{start}, {end}) is shared or leaked"
        );
    }
    let ranges = isize::try_from(tree.len()).unwrap();
    assert_eq!(live.load(Ordering::SeqCst), ranges + extra);
}

/// CVE-2022-49080 (fixed by 4ad099559b00): `shared_policy_replace` splits a range that spans
/// the replaced one; to do so it drops its lock, preallocates a node and a copy of the old
/// policy, and retries. That preallocated copy was made without setting its reference count
/// to 1, so the split's upper half was freed too early or leaked, depending on the path.
///
/// Here a copy is an `Arc::new` of a clone, whose count starts at one by construction, and
/// the split happens under `&mut SharedPolicy` in one step, with no unlocked window or
/// preallocation to get wrong. The test splits, trims and deletes ranges many times and
/// checks after each step that every range owns exactly one reference and that the live
/// copies are exactly the ranges (no leak, no early free).
#[test]
fn cve_2022_49080_shared_policy_split_keeps_refcounts_balanced() {
    let live = Arc::new(AtomicIsize::new(0));
    let old = Counted::new(1, &live);
    let new = Counted::new(2, &live);
    let mut tree = SharedPolicy::with_policy(3, &old);
    assert_balanced(&tree, &live, 2);

    // The split of the CVE: [10, 20) inside [0, MAX_PGOFF).
    tree.replace(10, 20, Some(&new));
    assert_eq!(tree.len(), 3);
    assert_balanced(&tree, &live, 2);
    let (low, high) = (tree.lookup(5).unwrap(), tree.lookup(25).unwrap());
    assert!(
        !Arc::ptr_eq(&low, &high),
        "the upper half must be its own copy"
    );
    assert_eq!((low.id, tree.lookup(15).unwrap().id, high.id), (1, 2, 1));
    drop((low, high));

    // A held lookup (Linux: `mpol_shared_policy_lookup` + `mpol_cond_put`) survives removal.
    let held = tree.lookup(15).unwrap();
    tree.replace(0, MAX_PGOFF, None);
    assert!(tree.is_empty());
    assert_eq!((held.id, Arc::strong_count(&held)), (2, 1));
    drop(held);
    assert_balanced(&tree, &live, 2);

    // Many splits, trims and deletions at pseudo-random offsets.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for step in 0..2000 {
        let start = next(64);
        let end = start + next(16);
        let policy = match next(3) {
            0 => None,
            1 => Some(&old),
            _ => Some(&new),
        };
        tree.replace(start, end, policy);
        assert_balanced(&tree, &live, 2);
        if step % 7 == 0 {
            tree.set_for_mapping(next(64), next(64), Some(&old));
            assert_balanced(&tree, &live, 2);
        }
    }
    drop(tree);
    drop((old, new));
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

/// A policy version whose destructor poisons it, as a freeing allocator overwrites freed
/// memory; a reader that saw a freed version would fail the `check` test.
struct Version {
    value: u64,
    check: u64,
    drops: Arc<AtomicUsize>,
}

impl Version {
    fn new(value: u64, drops: &Arc<AtomicUsize>) -> PolicyRef<Version> {
        PolicyRef::new(Self {
            value,
            check: !value,
            drops: Arc::clone(drops),
        })
    }

    fn read(&self) -> u64 {
        assert_eq!(self.check, !self.value, "read a freed or torn policy");
        self.value
    }
}

impl Drop for Version {
    fn drop(&mut self) {
        self.value = 0xdead_dead;
        self.check = 0xdead_dead;
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// CVE-2023-4611 (fixed by 6c21e066f925): with per-VMA locks, a page fault read
/// `vma->vm_policy` under the VMA read lock only, while `mbind` replaced the policy
/// (`vma_replace_policy`) holding just `mmap_lock`, freeing the old one: a use after free.
/// The fix write-locks the VMA before replacing its policy.
///
/// Here a policy read without locks goes through a [`PolicySlot`]: the reader loads it under
/// an epoch [`mempolicy::rcu::Reader`], and `replace` retires the old policy into the
/// domain, which frees it only after every reader has passed a quiescent state. A reader
/// therefore sees the old or the new policy, whole, and never goes back to an older one. A
/// short stress run (fixed iteration counts, no timing) checks this with two readers and a
/// writer; the exhaustive check is the loom model
/// `loom-tests/tests/policy.rs::last_drop_waits_for_a_reader_that_loaded_the_policy`, whose
/// control model `an_immediate_free_races_with_the_reader` shows loom catching the Linux
/// bug. The locked path (`AddressSpace`, where `mbind` needs `&mut`) is checked below too.
#[test]
fn cve_2023_4611_mbind_racing_a_lockless_reader_never_frees_under_it() {
    const VERSIONS: u64 = 3000;
    const LOADS: u64 = 20_000;
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let slot = Arc::new(PolicySlot::new(&domain, Some(Version::new(0, &drops))));

    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (slot, domain) = (Arc::clone(&slot), domain.clone());
            thread::spawn(move || {
                let mut reader = domain.register();
                let mut last = 0;
                for i in 0..LOADS {
                    let value = slot.load(&reader).map(Version::read);
                    let value = value.expect("the slot always holds a policy");
                    assert!(value >= last, "went back from version {last} to {value}");
                    last = value;
                    if i % 16 == 0 {
                        reader.quiescent();
                    }
                }
                last
            })
        })
        .collect();
    for value in 1..=VERSIONS {
        slot.replace(Some(Version::new(value, &drops))); // mbind: vma_replace_policy
    }
    for reader in readers {
        assert!(reader.join().unwrap() <= VERSIONS);
    }
    let reader = domain.register();
    assert_eq!(slot.load(&reader).map(Version::read), Some(VERSIONS));
    drop(reader);
    // Every replaced version is freed exactly once, and none is leaked.
    drop(slot);
    drop(domain);
    assert_eq!(drops.load(Ordering::SeqCst), VERSIONS as usize + 1);

    // The locked path: a policy handed out by `policy_at` is an `Arc` the reader owns, so
    // mbind replacing the range's policy (with `&mut`) leaves it intact.
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap(0x10_0000, 4 * 4096, 0, ()).unwrap();
    mm.set_policy(0x10_0000, 0x10_4000, Some(&bind("0-1")));
    let (held, _) = mm.policy_at(0x10_1000).unwrap();
    mm.set_policy(0x10_0000, 0x10_4000, Some(&bind("2")));
    mm.munmap(0x10_0000, 4 * 4096).unwrap();
    assert_eq!(held.map(|p| p.to_string()).as_deref(), Some("bind:0-1"));
}

/// CVE-2026-23415 (fixed by 190a8c48ff62): the futex `FUTEX2_MPOL` path read
/// `vma->vm_policy` speculatively, without `mmap_lock`, while `mbind` dropped the last
/// reference and freed the policy at once (`__mpol_put` → `kmem_cache_free`). The fix frees
/// policies with `kfree_rcu` and reads the pointer with `READ_ONCE`.
///
/// Here dropping the last reference of a policy in a [`PolicySlot`] is always deferred by
/// the epoch. The test keeps a lock-free borrow of the policy across `replace` and
/// `Domain::reclaim` and sees it intact and not dropped; only after the reader's quiescent
/// state does reclamation drop it, exactly once. (`Reader::quiescent` needs `&mut`, so the
/// borrow checker already forbids keeping the borrow past it.)
#[test]
fn cve_2026_23415_last_drop_waits_for_the_readers_quiescent_state() {
    let drops = Arc::new(AtomicUsize::new(0));
    let domain = Domain::new();
    let mut reader = domain.register();
    let slot = PolicySlot::new(&domain, Some(Version::new(7, &drops)));

    let seen = slot.load(&reader).expect("a policy");
    slot.replace(None); // the futex path's mbind: the slot held the only reference
    for _ in 0..8 {
        domain.reclaim();
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "freed under a pinned reader"
    );
    assert_eq!(seen.read(), 7);
    assert_eq!(domain.retired(), 1);

    // The borrow `seen` has ended; the reader moves on and the next reclaims free the
    // policy, once (two rounds bound it: see `Domain::reclaim`).
    for _ in 0..2 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(domain.retired(), 0);
    assert!(slot.load(&reader).is_none());

    // A reader of another domain does not protect the slot's policies, so it reads nothing.
    let stranger = Domain::new().register();
    slot.replace(Some(Version::new(8, &drops)));
    assert!(slot.load(&stranger).is_none());
    assert!(slot.get(&stranger).is_none());
}

//! Shared policies of shmem-like objects, keyed by page offset (Linux: `struct
//! shared_policy`, `sp_lookup`, `shared_policy_replace`, `mpol_set_shared_policy`).
//!
//! A [`SharedPolicy`] belongs to one object (Linux: a tmpfs inode) and maps half-open page
//! ranges `[start, end)` to policies. Every mapping of the object sees the same policies, so
//! an `mbind` through one mapping changes what the others allocate. Replacing a range trims
//! or deletes the old ranges it covers and splits one that spans it. Interleave through a
//! shared policy is biased by the object's inode number, so that files do not all start on
//! the same node (Linux: `shmem_get_policy`).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::fmt;

use super::range::RangePolicy;
use crate::rcu::{Domain, RcuCell, Reader};
use crate::sync::Mutex;

/// The largest page offset Linux gives a whole-file policy (Linux:
/// `MAX_LFS_FILESIZE >> PAGE_SHIFT` on 64-bit).
pub const MAX_PGOFF: u64 = (i64::MAX as u64) >> 12;

#[derive(Clone, Debug)]
struct SpNode<P> {
    end: u64,
    policy: Arc<P>,
}

/// The policy tree of one shared object (Linux: `struct shared_policy`).
///
/// # Examples
/// ```
/// use mempolicy::abi::{RangePolicy, SharedPolicy};
/// use mempolicy::NodeMask;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Bind(u32);
/// impl RangePolicy for Bind {
///     fn is_equal(&self, other: &Self) -> bool { self == other }
///     fn rebind(&mut self, _: &NodeMask) {}
/// }
///
/// let mut sp = SharedPolicy::new(7);
/// sp.replace(0, 100, Some(&Bind(1)));
/// sp.replace(10, 20, Some(&Bind(2))); // splits [0, 100)
/// assert_eq!(sp.lookup(5).as_deref(), Some(&Bind(1)));
/// assert_eq!(sp.lookup(15).as_deref(), Some(&Bind(2)));
/// assert_eq!(sp.lookup(50).as_deref(), Some(&Bind(1)));
/// assert_eq!(sp.len(), 3);
/// assert_eq!(sp.interleave_index(15), 7 + 15);
/// ```
#[derive(Clone, Debug)]
pub struct SharedPolicy<P> {
    ino: u64,
    nodes: BTreeMap<u64, SpNode<P>>,
}

impl<P: RangePolicy> SharedPolicy<P> {
    /// Creates an empty tree (every offset uses the default policy) for the object with inode
    /// number `ino`.
    pub const fn new(ino: u64) -> Self {
        Self {
            ino,
            nodes: BTreeMap::new(),
        }
    }

    /// Creates a tree whose one range, `[0, MAX_PGOFF)`, has a copy of `policy` (Linux:
    /// `mpol_shared_policy_init` after the mount policy was fitted to the task).
    pub fn with_policy(ino: u64, policy: &P) -> Self {
        let mut sp = Self::new(ino);
        sp.replace(0, MAX_PGOFF, Some(policy));
        sp
    }

    /// The inode number the interleave index is biased by.
    pub const fn ino(&self) -> u64 {
        self.ino
    }

    /// The number of ranges.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns whether no range has a policy.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The ranges in offset order, as `(start, end, policy)`.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &Arc<P>)> + '_ {
        self.nodes.iter().map(|(&s, n)| (s, n.end, &n.policy))
    }

    /// The policy for page offset `index`, if any (Linux: `mpol_shared_policy_lookup`), in
    /// O(log n). The `Arc` is the extra reference Linux takes with `mpol_get`.
    pub fn lookup(&self, index: u64) -> Option<Arc<P>> {
        self.node_at(index).map(|n| Arc::clone(&n.policy))
    }

    /// The policy for page offset `index`, borrowed (no reference taken), in O(log n).
    pub fn policy_of(&self, index: u64) -> Option<&P> {
        self.node_at(index).map(|n| &*n.policy)
    }

    /// The range that holds `index`.
    fn node_at(&self, index: u64) -> Option<&SpNode<P>> {
        self.nodes
            .range(..=index)
            .next_back()
            .filter(|(_, n)| index < n.end)
            .map(|(_, n)| n)
    }

    /// The interleave index of page offset `index` (Linux: `shmem_get_policy` seeds it with
    /// `i_ino`, and `get_vma_policy` adds the page offset).
    pub const fn interleave_index(&self, index: u64) -> u64 {
        self.ino.wrapping_add(index)
    }

    /// Applies `policy` to the pages `[pgoff, pgoff + pages)` of a mapping (Linux:
    /// `mpol_set_shared_policy`, called through `vm_ops->set_policy` by `mbind`).
    pub fn set_for_mapping(&mut self, pgoff: u64, pages: u64, policy: Option<&P>) {
        self.replace(pgoff, pgoff.saturating_add(pages), policy);
    }

    /// Replaces the policies of `[start, end)` with a copy of `new` (`None`: the default)
    /// (Linux: `shared_policy_replace`). Ranges inside are deleted, ranges sticking out are
    /// trimmed, and a range spanning the whole of `[start, end)` is split in two, the upper
    /// part getting its own copy of the old policy. An empty range changes nothing.
    pub fn replace(&mut self, start: u64, end: u64, new: Option<&P>) {
        if start >= end {
            return;
        }
        // A range that starts before `start` and reaches into it: trim or split it.
        let before = self
            .nodes
            .range_mut(..start)
            .next_back()
            .filter(|(_, n)| n.end > start);
        if let Some((_, n)) = before {
            if n.end > end {
                let upper = SpNode {
                    end: n.end,
                    policy: Arc::new((*n.policy).clone()),
                };
                n.end = start;
                self.nodes.insert(end, upper);
            } else {
                n.end = start;
            }
        }
        // Ranges that start inside: delete those inside, move the start of one that sticks out.
        while let Some((&s, n)) = self.nodes.range(start..end).next() {
            let tail_end = n.end;
            if let Some(n) = self.nodes.remove(&s) {
                if tail_end > end {
                    self.nodes.insert(end, n);
                }
            }
        }
        if let Some(policy) = new {
            let mut copy = policy.clone();
            copy.mark_shared();
            self.nodes.insert(
                start,
                SpNode {
                    end,
                    policy: Arc::new(copy),
                },
            );
        }
    }
}

/// A shared object's policy tree as every mapping of the object reads it (Linux: the
/// `shared_policy` of a shmem inode, reached through `vm_ops->set_policy` and
/// `vm_ops->get_policy`).
///
/// Faults read the tree lock-free through their CPU's [`Reader`]
/// ([`SharedObject::load`]): the tree is published whole, and a writer (`mbind` through any
/// mapping, [`SharedObject::set_for_mapping`] or [`SharedObject::update`]) copies it,
/// changes the copy and swaps it in under a writer lock; the old tree is retired into the
/// object's [`Domain`] and freed once every reader has passed a quiescent state. Linux takes
/// the tree's read lock on every fault (`sp->lock`); here a fault takes no lock and counts
/// no reference, and pays for it with a copy on every policy change, which is rare.
///
/// Map it with [`AddressSpace::mmap_shared`](super::AddressSpace::mmap_shared): `mbind` on
/// such a range updates the tree, and
/// [`AddressSpace::vma_policy`](super::AddressSpace::vma_policy) and
/// [`AddressSpace::policy_at`](super::AddressSpace::policy_at) read the tree instead of the
/// range's own policy.
///
/// # Examples
/// ```
/// use mempolicy::abi::{RangePolicy, SharedObject, SharedPolicy};
/// use mempolicy::rcu::Domain;
/// use mempolicy::NodeMask;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Bind(u32);
/// impl RangePolicy for Bind {
///     fn is_equal(&self, other: &Self) -> bool { self == other }
///     fn rebind(&mut self, _: &NodeMask) {}
/// }
///
/// let domain = Domain::new();
/// let reader = domain.register(); // one per CPU
/// let object = SharedObject::new(&domain, SharedPolicy::new(7));
/// object.set_for_mapping(10, 5, Some(&Bind(2)));
/// let tree = object.load(&reader).expect("a reader of the object's domain");
/// assert_eq!(tree.policy_of(12), Some(&Bind(2)));
/// assert_eq!(tree.policy_of(15), None);
/// ```
pub struct SharedObject<P: RangePolicy> {
    ino: u64,
    tree: RcuCell<SharedPolicy<P>>,
    /// Serializes copy-change-publish writers, so that no update is lost.
    writer: Mutex<()>,
}

impl<P: RangePolicy> SharedObject<P> {
    /// Shares `tree`; old trees are retired into `domain`, which must be the domain of the
    /// readers that fault on the object's mappings (a machine's
    /// [`domain`](crate::machine::Machine::domain)). Allocates.
    pub fn new(domain: &Domain, tree: SharedPolicy<P>) -> Self {
        Self {
            ino: tree.ino(),
            tree: RcuCell::new(tree, domain),
            writer: Mutex::new(()),
        }
    }

    /// The inode number the interleave index is biased by.
    pub const fn ino(&self) -> u64 {
        self.ino
    }

    /// Returns the current tree, lock-free and without allocating; `None` if `reader`
    /// belongs to another [`Domain`] (a programming error: such a reader would not keep the
    /// tree alive). The borrow ends before the reader's next quiescent state.
    pub fn load<'a>(&'a self, reader: &'a Reader) -> Option<&'a SharedPolicy<P>> {
        self.tree.load(reader)
    }

    /// The policy for page offset `index` (Linux: `mpol_shared_policy_lookup`, taking a
    /// reference), from a writer path: pins a temporary handle, so it may allocate.
    pub fn lookup(&self, index: u64) -> Option<Arc<P>> {
        self.tree.with_current(|tree| tree.lookup(index))
    }

    /// Applies `policy` to `pages` pages from page offset `pgoff` (Linux:
    /// `mpol_set_shared_policy`). Allocates a new tree.
    pub fn set_for_mapping(&self, pgoff: u64, pages: u64, policy: Option<&P>) {
        self.update(|tree| tree.set_for_mapping(pgoff, pages, policy));
    }

    /// Runs `f` on a copy of the tree and publishes the copy (Linux: any change under
    /// `sp->lock`); readers see the old tree or the new one, whole. Allocates.
    pub fn update<R>(&self, f: impl FnOnce(&mut SharedPolicy<P>) -> R) -> R {
        let _writer = self.writer.lock();
        let mut copy = self.tree.with_current(SharedPolicy::clone);
        let result = f(&mut copy);
        self.tree.publish(copy);
        result
    }

    /// Calls `f` with the current tree, from a writer path (pins a temporary handle).
    pub fn with<R>(&self, f: impl FnOnce(&SharedPolicy<P>) -> R) -> R {
        self.tree.with_current(f)
    }

    /// Returns the domain old trees are retired into.
    pub fn domain(&self) -> &Domain {
        self.tree.domain()
    }
}

impl<P: RangePolicy> fmt::Debug for SharedObject<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedObject")
            .field("ino", &self.ino)
            .finish_non_exhaustive()
    }
}

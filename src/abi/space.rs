//! The policy ranges of one address space (Linux: the VMA tree of an `mm_struct` as
//! `mbind_range`, `vma_replace_policy` and `mpol_rebind_mm` see it).
//!
//! An [`AddressSpace`] holds the mapped ranges ([`Mapping`]: start, end, `vm_pgoff`, an
//! optional policy and an embedder merge key) in one vector sorted by start address, so a
//! lookup by address is a binary search over contiguous memory (O(log n), a few dozen
//! instructions for hundreds of ranges: the fault path does one per fault) and iteration is
//! in address order (as `numa_maps` prints). Mapping, unmapping and splitting shift the
//! ranges after the change (O(n)); they are rare next to faults.
//! Applying a policy to part of a mapping splits it; a changed piece merges with a neighbour
//! only when the policies are equal (Linux: `mpol_equal`), the page offsets are contiguous and
//! the embedder's [`MergeKey`] allows it. Every range owns its own policy object: splitting
//! or applying a policy duplicates it (Linux: `mpol_dup`; no sharing between VMAs since 3.8).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::range::{policies_equal, MergeKey, RangePolicy};
use super::shared::SharedObject;
use crate::error::{Error, Result};
use crate::nodemask::NodeMask;
use crate::page::PAGE_SIZE;
use crate::rcu::Reader;
use crate::select::VmaPolicy;

/// One mapped range of an address space (Linux: the policy-related part of a
/// `vm_area_struct`).
#[derive(Clone, Debug)]
pub struct Mapping<P: RangePolicy, K = ()> {
    start: u64,
    end: u64,
    pgoff: u64,
    policy: Option<Arc<P>>,
    key: K,
    shared: Option<Arc<SharedObject<P>>>,
}

impl<P: RangePolicy, K> Mapping<P, K> {
    /// The first byte address of the range (Linux: `vm_start`).
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// The address just past the range (Linux: `vm_end`).
    pub const fn end(&self) -> u64 {
        self.end
    }

    /// The page offset of `start` in the mapped object (Linux: `vm_pgoff`).
    pub const fn pgoff(&self) -> u64 {
        self.pgoff
    }

    /// The number of pages in the range (Linux: `vma_pages`).
    pub const fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE_SIZE
    }

    /// The range's own policy, `None` for the default (Linux: `vma->vm_policy`).
    pub fn policy(&self) -> Option<&Arc<P>> {
        self.policy.as_ref()
    }

    /// The embedder's merge key.
    pub const fn key(&self) -> &K {
        &self.key
    }

    /// The shared object mapped here, for ranges made with
    /// [`AddressSpace::mmap_shared`] (Linux: a shmem `vm_file`).
    pub fn shared(&self) -> Option<&Arc<SharedObject<P>>> {
        self.shared.as_ref()
    }

    /// Returns whether `addr` lies in the range.
    pub const fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The interleave index of the page at `addr` (Linux: the `vm_pgoff` plus page-offset
    /// part of `get_vma_policy`, for order-0 pages).
    pub const fn interleave_index(&self, addr: u64) -> u64 {
        self.pgoff
            .wrapping_add(addr.wrapping_sub(self.start) / PAGE_SIZE)
    }
}

/// The mapped ranges of one address space and their policies (Linux: an `mm_struct`'s VMAs).
///
/// The embedder keeps one per address space, behind its own lock (Linux: `mmap_lock`):
/// readers take `&self`, writers `&mut self`. Policies are handed out as `Arc`s, so a reader
/// can keep one after dropping the lock (Linux: `mpol_get`).
///
/// # Examples
/// ```
/// use mempolicy::abi::{AddressSpace, RangePolicy};
/// use mempolicy::NodeMask;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Bind(NodeMask);
/// impl RangePolicy for Bind {
///     fn is_equal(&self, other: &Self) -> bool { self == other }
///     fn rebind(&mut self, mems: &NodeMask) { self.0 = *mems; }
/// }
///
/// let mut mm: AddressSpace<Bind> = AddressSpace::new();
/// mm.mmap(0x10000, 8 * 4096, 0x10, ())?;
/// mm.set_policy(0x12000, 0x15000, Some(&Bind("1".parse()?)));
/// assert_eq!(mm.len(), 3); // split in three
/// mm.set_policy(0x12000, 0x15000, None);
/// assert_eq!(mm.len(), 1); // merged back
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AddressSpace<P: RangePolicy, K = ()> {
    /// Invariant: sorted by start address, every range non-empty, no two ranges overlap (so
    /// the ends are sorted too).
    ranges: Vec<Mapping<P, K>>,
}

impl<P: RangePolicy, K> Default for AddressSpace<P, K> {
    fn default() -> Self {
        Self { ranges: Vec::new() }
    }
}

/// Checks a byte range the way `mmap`/`munmap` do: page aligned, not empty, no wrap.
fn check_range(start: u64, len: u64) -> Result<u64> {
    if start % PAGE_SIZE != 0 {
        return Err(Error::Unaligned(start));
    }
    let len = len
        .checked_add(PAGE_SIZE - 1)
        .map(|l| l & !(PAGE_SIZE - 1))
        .ok_or(Error::InvalidRange(start))?;
    match start.checked_add(len) {
        Some(end) if len != 0 => Ok(end),
        _ => Err(Error::InvalidRange(start)),
    }
}

/// Rejects a page offset whose pages wrap past the last page offset (Linux: `do_mmap` answers
/// `EOVERFLOW` when the offset plus the length in whole pages wraps, after rounding the
/// length up and before looking at the address). A length that is empty or wraps when
/// rounded up is left to [`check_range`], as Linux answers it first.
fn check_pgoff(start: u64, len: u64, pgoff: u64) -> Result<()> {
    let pages = len
        .checked_add(PAGE_SIZE - 1)
        .map_or(0, |rounded| rounded / PAGE_SIZE);
    if pages == 0 {
        return check_range(start, len).map(drop);
    }
    match pgoff.checked_add(pages) {
        Some(_) => Ok(()),
        None => Err(Error::OffsetOverflow(pgoff)),
    }
}

impl<P: RangePolicy, K: MergeKey> AddressSpace<P, K> {
    /// Creates an empty address space.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of ranges (Linux: `mm->map_count`).
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Returns whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Mapping<P, K>> + '_ {
        self.ranges.iter()
    }

    /// The ranges that overlap `[start, end)`, in address order (Linux:
    /// `for_each_vma_range`).
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Mapping<P, K>> + '_ {
        // The first range that ends after `start` (ends are sorted): it contains `start` or
        // lies wholly above it.
        let first = self.ranges.partition_point(|m| m.end <= start);
        self.ranges
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(move |m| m.start < end)
    }

    /// The index of the range that contains `addr`.
    #[inline]
    fn index_containing(&self, addr: u64) -> Option<usize> {
        let i = self.candidate(addr)?;
        self.ranges.get(i)?.contains(addr).then_some(i)
    }

    /// The index of the only range that can contain `addr`: the last one starting at or below
    /// it (or the first range, when none does), `None` for no ranges.
    ///
    /// The search narrows `[base, base + size)` to that range without a branch on the
    /// comparisons, and costs a handful of instructions for the few ranges of a small address
    /// space (it runs on every fault).
    #[inline]
    fn candidate(&self, addr: u64) -> Option<usize> {
        let ranges = self.ranges.as_slice();
        let mut base = 0;
        let mut size = ranges.len();
        if size == 0 {
            return None;
        }
        // Invariant: `base + size <= len` and, if any range starts at or below `addr`, the
        // last such range is in `[base, base + size)`.
        while size > 1 {
            let half = size / 2;
            let mid = base + half;
            if ranges.get(mid).is_some_and(|m| m.start <= addr) {
                base = mid;
            }
            size -= half;
        }
        Some(base)
    }

    /// The index of the range that starts exactly at `start`.
    fn index_starting(&self, start: u64) -> Option<usize> {
        self.ranges.binary_search_by_key(&start, |m| m.start).ok()
    }

    /// The range that contains `addr` (Linux: `vma_lookup`), in O(log n).
    #[inline]
    pub fn find(&self, addr: u64) -> Option<&Mapping<P, K>> {
        let m = self.ranges.get(self.candidate(addr)?)?;
        m.contains(addr).then_some(m)
    }

    /// The merge key of the range that contains `addr`, for the embedder to update (for
    /// example when the range gets its own anonymous-memory identity at its first fault).
    pub fn key_mut(&mut self, addr: u64) -> Option<&mut K> {
        let i = self.index_containing(addr)?;
        self.ranges.get_mut(i).map(|m| &mut m.key)
    }

    /// Returns whether `[start, end)` is mapped without holes (what `mbind` requires; Linux:
    /// `queue_pages_test_walk`).
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut next = start;
        for m in self.overlapping(start, end) {
            if m.start > next {
                return false;
            }
            next = m.end;
            if next >= end {
                return true;
            }
        }
        next >= end
    }

    /// Maps `[start, start + len)` with no policy and page offset `pgoff` (Linux: `mmap`
    /// with `MAP_FIXED_NOREPLACE`). The new range merges with equal neighbours.
    ///
    /// # Errors
    /// [`Error::InvalidRange`] when the length is 0 or wraps when rounded up to a page,
    /// [`Error::OffsetOverflow`] when the pages `pgoff..pgoff + pages` wrap past `u64::MAX`
    /// (Linux: `do_mmap` checks this before the address), [`Error::Unaligned`] when `start`
    /// is not page aligned, [`Error::InvalidRange`] when the range wraps or overlaps a mapped
    /// range. Nothing changes on error.
    pub fn mmap(&mut self, start: u64, len: u64, pgoff: u64, key: K) -> Result<()> {
        self.map(start, len, pgoff, key, None)
    }

    /// Maps private anonymous memory at `[start, start + len)` with no policy (Linux: `mmap`
    /// with `MAP_PRIVATE | MAP_ANONYMOUS`, which sets the page offset to `start >>
    /// PAGE_SHIFT`). Since every anonymous range's offset is its address in pages, adjacent
    /// anonymous ranges with equal keys merge, and interleave indices are page numbers.
    ///
    /// # Errors
    /// As [`AddressSpace::mmap`].
    ///
    /// # Examples
    /// ```
    /// use mempolicy::abi::AddressSpace;
    /// use mempolicy::policy::Mempolicy;
    ///
    /// let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    /// mm.mmap_anonymous(0x10000, 0x4000, ())?;
    /// mm.mmap_anonymous(0x14000, 0x2000, ())?;
    /// assert_eq!(mm.len(), 1, "adjacent anonymous ranges merge");
    /// assert!(mm.mmap_anonymous(0x15000, 0x1000, ()).is_err(), "overlap");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn mmap_anonymous(&mut self, start: u64, len: u64, key: K) -> Result<()> {
        self.map(start, len, start / PAGE_SIZE, key, None)
    }

    fn map(
        &mut self,
        start: u64,
        len: u64,
        pgoff: u64,
        key: K,
        shared: Option<Arc<SharedObject<P>>>,
    ) -> Result<()> {
        check_pgoff(start, len, pgoff)?;
        let end = check_range(start, len)?;
        if self.overlapping(start, end).next().is_some() {
            return Err(Error::InvalidRange(start));
        }
        let mapping = Mapping {
            start,
            end,
            pgoff,
            policy: None,
            key,
            shared,
        };
        // Nothing overlaps: every range before the slot ends at or below `start`.
        let at = self.ranges.partition_point(|m| m.start < start);
        self.ranges.insert(at, mapping);
        self.merge_around(start);
        Ok(())
    }

    /// Maps pages `[pgoff, ...)` of a shared object at `[start, start + len)` (Linux: `mmap`
    /// of a shmem file). Policies applied to the range also go to the object's tree, and
    /// [`AddressSpace::policy_at`] reads the tree.
    ///
    /// # Errors
    /// As [`AddressSpace::mmap`].
    pub fn mmap_shared(
        &mut self,
        start: u64,
        len: u64,
        pgoff: u64,
        key: K,
        object: Arc<SharedObject<P>>,
    ) -> Result<()> {
        self.map(start, len, pgoff, key, Some(object))
    }

    /// The policy that governs the page at `addr`, and its interleave index, or `None` when
    /// nothing is mapped there (Linux: `__get_vma_policy` plus the index of
    /// `get_vma_policy`). A shared range answers from its object, biasing the index by the
    /// inode number; others answer with their own policy. `Some((None, _))` means the
    /// default: the caller falls back to the task policy.
    pub fn policy_at(&self, addr: u64) -> Option<(Option<Arc<P>>, u64)> {
        let m = self.find(addr)?;
        let index = m.interleave_index(addr);
        Some(match m.shared.as_ref() {
            Some(object) => (object.lookup(index), object.ino().wrapping_add(index)),
            None => (m.policy.clone(), index),
        })
    }

    /// The policy a fault at `addr` allocates under, before the task's policy fills in a
    /// missing one, with the parts of its interleave index, for a folio of `order`, or `None`
    /// when nothing is mapped there (Linux: `__get_vma_policy` and the index of
    /// `get_vma_policy`). Lock-free and allocation-free: a shared range reads its object's
    /// tree through `reader` (a reader of the object's domain; with any other reader the
    /// object's policy reads as absent), and the policy is borrowed, not counted.
    #[inline]
    pub fn vma_policy<'a>(
        &'a self,
        addr: u64,
        order: u32,
        reader: &'a Reader,
    ) -> Option<VmaPolicy<'a, P>> {
        let m = self.find(addr)?;
        Some(match m.shared.as_deref() {
            Some(object) => {
                let index = m.interleave_index(addr);
                let policy = object.load(reader).and_then(|tree| tree.policy_of(index));
                VmaPolicy::new(policy, object.ino(), m.start, m.pgoff, addr, order)
            }
            None => VmaPolicy::new(m.policy.as_deref(), 0, m.start, m.pgoff, addr, order),
        })
    }

    /// Unmaps `[start, start + len)`; ranges that stick out are split and keep the parts
    /// outside, holes in the range are fine (Linux: `munmap`).
    ///
    /// # Errors
    /// [`Error::Unaligned`] or [`Error::InvalidRange`] as for [`AddressSpace::mmap`]. Nothing
    /// changes on error.
    pub fn munmap(&mut self, start: u64, len: u64) -> Result<()> {
        let end = check_range(start, len)?;
        self.split_at(start);
        self.split_at(end);
        // After the splits, the ranges inside `[start, end)` are exactly those starting in it.
        let first = self.ranges.partition_point(|m| m.start < start);
        let past = self.ranges.partition_point(|m| m.start < end);
        if first < past {
            self.ranges.drain(first..past);
        }
        Ok(())
    }

    /// Applies `policy` (`None`: the default) to every mapped part of `[start, end)`,
    /// splitting and merging ranges (Linux: `mbind_range` for each VMA, then
    /// `vma_replace_policy`). Holes are skipped; ranges whose policy is already equal are left
    /// alone. Each changed range gets its own copy of the policy.
    pub fn set_policy(&mut self, start: u64, end: u64, policy: Option<&P>) {
        let _ = self.update_policies(start, end, |_| Ok(Some(policy.cloned())));
    }

    /// Walks the ranges overlapping `[start, end)` in order; `update(old)` returns the new
    /// policy for the overlapping part, or `None` to leave it. Parts whose new policy equals
    /// the old are left alone; others are split off, replaced and merged with neighbours. An
    /// error from `update` stops the walk; the parts already updated stay updated.
    pub(crate) fn update_policies<F>(&mut self, start: u64, end: u64, mut update: F) -> Result<()>
    where
        F: FnMut(Option<&P>) -> Result<Option<Option<P>>>,
    {
        let mut cursor = start;
        while cursor < end {
            let Some(m) = self.overlapping(cursor, end).next() else {
                break;
            };
            let (vm_start, vm_end) = (m.start.max(cursor), m.end.min(end));
            let old = m.policy.as_deref();
            let new = match update(old)? {
                Some(new) if !policies_equal(old, new.as_ref()) => new,
                _ => {
                    cursor = vm_end;
                    continue;
                }
            };
            self.split_at(vm_start);
            self.split_at(vm_end);
            let piece = self
                .index_starting(vm_start)
                .and_then(|i| self.ranges.get_mut(i));
            if let Some(piece) = piece {
                // A shared object learns the policy first (Linux: `vm_ops->set_policy`).
                if let Some(object) = piece.shared.as_ref() {
                    object.set_for_mapping(piece.pgoff, piece.pages(), new.as_ref());
                }
                piece.policy = new.map(Arc::new);
            }
            self.merge_around(vm_start);
            cursor = vm_end;
        }
        Ok(())
    }

    /// Rebinds every range's policy to `mems_allowed` (Linux: `mpol_rebind_mm`). A policy
    /// still held by a reader is copied, so the reader keeps seeing the old one.
    pub fn rebind(&mut self, mems_allowed: &NodeMask) {
        for m in &mut self.ranges {
            if let Some(policy) = m.policy.as_mut() {
                Arc::make_mut(policy).rebind(mems_allowed);
            }
        }
    }

    /// Splits the range containing `addr` (strictly inside) in two; the upper part gets its
    /// own copy of the policy (Linux: `__split_vma`, `vma_dup_policy`).
    fn split_at(&mut self, addr: u64) {
        let Some(i) = self.index_containing(addr) else {
            return;
        };
        let Some(m) = self.ranges.get_mut(i).filter(|m| m.start < addr) else {
            return;
        };
        let upper = Mapping {
            start: addr,
            end: m.end,
            pgoff: m.pgoff.wrapping_add((addr - m.start) / PAGE_SIZE),
            policy: m.policy.as_deref().map(|p| Arc::new(p.clone())),
            key: m.key.clone(),
            shared: m.shared.clone(),
        };
        m.end = addr;
        self.ranges.insert(i + 1, upper);
    }

    /// Merges the range starting at `start` with its neighbours where allowed.
    fn merge_around(&mut self, start: u64) {
        let Some(i) = self.index_starting(start) else {
            return;
        };
        let mut at = i;
        if let Some(prev) = i.checked_sub(1) {
            if self.try_merge(prev) {
                at = prev;
            }
        }
        self.try_merge(at);
    }

    /// Merges range `left` with the range right after it, if that one starts where `left`
    /// ends and the merge is allowed.
    fn try_merge(&mut self, left: usize) -> bool {
        let (Some(l), Some(r)) = (self.ranges.get(left), self.ranges.get(left + 1)) else {
            return false;
        };
        let same_object = match (&l.shared, &r.shared) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        let ok = l.end == r.start
            && same_object
            && policies_equal(l.policy.as_deref(), r.policy.as_deref())
            && l.key.can_merge(&r.key)
            && l.pgoff.wrapping_add(l.pages()) == r.pgoff;
        if !ok {
            return false;
        }
        let (r_end, key) = (r.end, l.key.merged(&r.key));
        self.ranges.remove(left + 1);
        if let Some(l) = self.ranges.get_mut(left) {
            l.end = r_end;
            l.key = key;
        }
        true
    }
}

//! [`Mappings`]: what the fault path asks an address space (Linux: `__get_vma_policy` over
//! the VMA tree, with `vm_ops->get_policy` for shared objects).

use crate::abi::{AddressSpace, MergeKey};
use crate::policy::Mempolicy;
use crate::rcu::Reader;
use crate::select::VmaPolicy;

/// An address space as the fault path sees it: which policy the mapping at an address gives
/// its pages, and the parts of their interleave index (Linux: `__get_vma_policy` and the
/// index of `get_vma_policy`).
///
/// [`AddressSpace`] implements it. A kernel that keeps its own VMA tree implements it there:
/// find the VMA at `addr`, and answer with [`VmaPolicy::new`] from its start, page offset
/// and policy (borrowed; a shared object's policy read through `reader`, a reader of the
/// machine's domain).
pub trait Mappings {
    /// Returns the policy the mapping at `addr` gives a folio of `order` there, or `None`
    /// when nothing is mapped at `addr`. Must not allocate, lock or block.
    fn vma_policy<'a>(&'a self, addr: u64, order: u32, reader: &'a Reader)
        -> Option<VmaPolicy<'a>>;
}

impl<K: MergeKey> Mappings for AddressSpace<Mempolicy, K> {
    #[inline]
    fn vma_policy<'a>(
        &'a self,
        addr: u64,
        order: u32,
        reader: &'a Reader,
    ) -> Option<VmaPolicy<'a>> {
        AddressSpace::vma_policy(self, addr, order, reader)
    }
}

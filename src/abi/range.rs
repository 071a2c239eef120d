//! What the range maps of this module need from a policy and from the embedder: equality and
//! rebinding of policies (Linux: `__mpol_equal`, `mpol_rebind_policy`) and the embedder's
//! veto on merging neighbouring ranges (Linux: the non-policy conditions of `vma_merge`).
//!
//! Both [`AddressSpace`](super::AddressSpace) and [`SharedPolicy`](super::SharedPolicy) are
//! generic over [`RangePolicy`], so tests and embedders may use simpler policy types than
//! [`Mempolicy`](crate::policy::Mempolicy).

use crate::nodemask::NodeMask;

/// What a range map needs from a policy (Linux: `__mpol_equal`, `mpol_rebind_policy`).
///
/// [`Mempolicy`](crate::policy::Mempolicy) implements it; tests and embedders may use simpler
/// types. Policies are shared with lock-free readers on other CPUs (shared objects publish
/// their trees through [`crate::rcu`]), hence `Send + Sync + 'static`.
pub trait RangePolicy: Clone + Send + Sync + 'static {
    /// Returns whether two policies are interchangeable for merging (Linux: `__mpol_equal`).
    fn is_equal(&self, other: &Self) -> bool;

    /// Rebinds the policy to a new set of allowed nodes (Linux: `mpol_rebind_policy`).
    fn rebind(&mut self, mems_allowed: &NodeMask);

    /// Marks a copy as belonging to a shared (shmem) policy tree (Linux: `MPOL_F_SHARED`,
    /// set by `sp_alloc`). The default does nothing.
    fn mark_shared(&mut self) {}
}

/// Returns whether two optional policies are equal the way Linux's `mpol_equal` compares
/// them: two defaults (`None`) are equal; a default never equals a policy.
pub fn policies_equal<P: RangePolicy>(a: Option<&P>, b: Option<&P>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.is_equal(b),
        _ => false,
    }
}

/// The embedder's veto on merging two adjacent ranges (Linux: the non-policy conditions of
/// `vma_merge`, such as `is_mergeable_anon_vma`).
///
/// `()` always allows merges.
pub trait MergeKey: Clone {
    /// Returns whether a range with key `self` may absorb the range right after it, which
    /// has key `next`.
    fn can_merge(&self, next: &Self) -> bool;

    /// The key of the merged range. The default keeps `self`'s key.
    #[must_use]
    fn merged(&self, next: &Self) -> Self {
        let _ = next;
        self.clone()
    }
}

impl MergeKey for () {
    fn can_merge(&self, _next: &Self) -> bool {
        true
    }
}

/// An anonymous-memory style key: `None` until the range gets its own identity (Linux: an
/// `anon_vma`, created at the first fault), and ranges with two different identities never
/// merge.
impl MergeKey for Option<u64> {
    fn can_merge(&self, next: &Self) -> bool {
        match (self, next) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    fn merged(&self, next: &Self) -> Self {
        self.or(*next)
    }
}

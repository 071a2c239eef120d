//! Bulk interleave plans: how many pages of an `N`-page bulk allocation go to each node, and
//! where the task's cursor ends up (Linux: `alloc_pages_bulk_interleave` and
//! `alloc_pages_bulk_weighted_interleave`, the interleave arms of
//! `alloc_pages_bulk_mempolicy_noprof`).
//!
//! A plan costs O(words + nodes) whatever `N` and never allocates. It assumes every bulk
//! request succeeds in full, as the kernel's arithmetic does; the embedder allocates each
//! step from its node.
//!
//! How plans compare with single picks, and which Linux they follow: see the
//! [`interleave`](crate::interleave#bulk-plans-and-single-picks) module docs.

use super::cursor::{Cycle, InterleaveCursor};
use super::weights::{effective, WeightSource};
use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// The most steps a plan can have: one per node, plus the carried-over remainder.
pub const PLAN_CAPACITY: usize = MAX_NUMNODES + 1;

/// A bulk interleave plan: `(node, pages)` steps in the order Linux allocates them.
///
/// Steps with 0 pages are left out (Linux calls the bulk allocator with 0 pages for them,
/// which allocates nothing). A node can appear twice in a weighted plan: first for the weight
/// carried over from the previous call, then for its share of the rounds.
///
/// The plan lives on the stack (16 bytes per step, [`PLAN_CAPACITY`] steps); reuse one value
/// across calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkPlan {
    /// Invariant: no step has 0 pages.
    steps: heapless::Vec<(NodeId, u64), PLAN_CAPACITY>,
}

impl BulkPlan {
    /// Returns an empty plan.
    pub const fn new() -> Self {
        Self {
            steps: heapless::Vec::new(),
        }
    }

    /// Returns the steps, in allocation order.
    pub fn as_slice(&self) -> &[(NodeId, u64)] {
        &self.steps
    }

    /// Returns the number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Returns whether the plan has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Returns the pages planned in total.
    pub fn total(&self) -> u64 {
        self.steps.iter().map(|&(_, pages)| pages).sum()
    }

    /// Returns the pages planned on `node`, over all its steps.
    pub fn pages_on(&self, node: NodeId) -> u64 {
        self.steps
            .iter()
            .filter(|&&(n, _)| n == node)
            .map(|&(_, pages)| pages)
            .sum()
    }

    /// Returns an iterator over the steps, in allocation order.
    pub fn iter(&self) -> core::slice::Iter<'_, (NodeId, u64)> {
        self.steps.iter()
    }

    /// Removes every step.
    pub fn clear(&mut self) {
        self.steps.clear();
    }

    /// Appends a step unless it has no pages.
    fn push(&mut self, node: NodeId, pages: u64) {
        if pages > 0 {
            // Cannot fail: a plan visits each node at most once plus one carry-over step.
            let _ = self.steps.push((node, pages));
        }
    }
}

impl<'a> IntoIterator for &'a BulkPlan {
    type Item = &'a (NodeId, u64);
    type IntoIter = core::slice::Iter<'a, (NodeId, u64)>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Plans an `nr_pages` bulk allocation under a plain interleave policy and advances `cursor`
/// (Linux: `alloc_pages_bulk_interleave`).
///
/// Each of the `n` nodes gets `nr_pages / n` pages and the first `nr_pages % n` nodes visited
/// one more; the visit starts after `il_prev` and the cursor moves once per node, so it ends
/// on the last node visited. Returns the pages planned: `nr_pages`, or 0 (empty plan, cursor
/// untouched) when `nodes` is empty (Linux would divide by zero; its policies never have an
/// empty mask).
///
/// # Examples
/// ```
/// use mempolicy::interleave::{self, BulkPlan, InterleaveCursor};
/// use mempolicy::{NodeId, NodeMask};
/// let nodes: NodeMask = "0-2".parse()?;
/// let mut cursor = InterleaveCursor::new();
/// let mut plan = BulkPlan::new();
/// assert_eq!(interleave::bulk_interleave_plan(&mut cursor, &nodes, 8, &mut plan), 8);
/// let n = NodeId::new;
/// assert_eq!(plan.as_slice(), &[(n(0), 3), (n(1), 3), (n(2), 2)]);
/// assert_eq!(cursor.il_prev(), n(2)); // moved once per node
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn bulk_interleave_plan(
    cursor: &mut InterleaveCursor,
    nodes: &NodeMask,
    nr_pages: u64,
    plan: &mut BulkPlan,
) -> u64 {
    plan.clear();
    let count = nodes.weight() as u64;
    if count == 0 {
        return 0;
    }
    let per_node = nr_pages / count;
    let mut extra = nr_pages % count;
    let mut last = cursor.il_prev();
    for node in Cycle::after(nodes, cursor.il_prev()) {
        let bonus = u64::from(extra > 0);
        extra -= bonus;
        plan.push(node, per_node + bonus);
        last = node;
    }
    *cursor = InterleaveCursor::from_parts(last, cursor.il_weight());
    nr_pages
}

/// Plans an `nr_pages` bulk allocation under a weighted interleave policy and moves `cursor`
/// to where the next pick resumes (Linux: `alloc_pages_bulk_weighted_interleave`).
///
/// 1. Carry-over: if `il_weight > 0` and `il_prev` is in `nodes`, the first
///    `min(nr_pages, il_weight)` pages go to `il_prev`; if that is all of them, only
///    `il_weight` drops and the plan ends there.
/// 2. The rest is split into whole rounds (each node its weight) and a partial round, which
///    is handed out node by node starting after `il_prev`.
/// 3. The cursor resumes inside the node where the partial round ran out (with its unused
///    weight), or, when there is no partial round, on the node after `il_prev` with its full
///    weight.
///
/// Weights are read once ([`WeightSource::copy_weights`]); 0 is read as 1. Returns the pages
/// planned: `nr_pages`, or 0 with everything untouched when `nr_pages == 0` or `nodes` is
/// empty. See the [module docs](crate::interleave#bulk-plans-and-single-picks) for how this
/// compares with single picks.
///
/// # Examples
/// ```
/// use mempolicy::interleave::{self, BulkPlan, InterleaveCursor};
/// use mempolicy::{NodeId, NodeMask};
/// let nodes: NodeMask = "0-1".parse()?;
/// let mut cursor = InterleaveCursor::new();
/// let mut plan = BulkPlan::new();
/// interleave::bulk_weighted_plan(&mut cursor, &nodes, &[3u8, 1], 10, &mut plan);
/// let n = NodeId::new;
/// // Two rounds of 0,0,0,1, then 0,0 of the third: node 0 keeps 1 page of weight.
/// assert_eq!(plan.as_slice(), &[(n(0), 8), (n(1), 2)]);
/// assert_eq!((cursor.il_prev(), cursor.il_weight()), (n(0), 1));
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn bulk_weighted_plan<W>(
    cursor: &mut InterleaveCursor,
    nodes: &NodeMask,
    weights: &W,
    nr_pages: u64,
    plan: &mut BulkPlan,
) -> u64
where
    W: WeightSource + ?Sized,
{
    plan.clear();
    let count = nodes.weight();
    if nr_pages == 0 || count == 0 {
        return 0;
    }

    let prev = cursor.il_prev();
    let carried = cursor.il_weight();
    let mut rest = nr_pages;
    if carried > 0 && nodes.contains(prev) {
        let carried = u64::from(carried);
        plan.push(prev, rest.min(carried));
        if rest <= carried {
            // `rest <= carried <= u8::MAX`.
            *cursor = InterleaveCursor::from_parts(prev, (carried - rest) as u8);
            return nr_pages;
        }
        rest -= carried;
    }

    let mut table = [1u8; MAX_NUMNODES];
    weights.copy_weights(nodes, &mut table);
    let weight_of = |node: NodeId| effective(table.get(node.index()).copied().unwrap_or(1));
    let total: u64 = nodes.iter().map(|node| u64::from(weight_of(node))).sum();
    if total == 0 {
        return 0; // unreachable: `nodes` is not empty and every weight is at least 1
    }

    let rounds = rest / total;
    let mut partial = rest % total;
    let mut resume = match nodes.next_in(prev) {
        Some(node) => InterleaveCursor::from_parts(node, weight_of(node)),
        None => return 0, // unreachable: `nodes` is not empty
    };
    for node in Cycle::after(nodes, prev) {
        let weight = weight_of(node);
        let wide = u64::from(weight);
        // `weight * rounds <= rest`, so it cannot overflow.
        let mut pages = wide * rounds;
        if partial > wide {
            pages += wide;
            partial -= wide;
        } else if partial > 0 {
            pages += partial;
            // `partial <= weight`, so this fits `u8`.
            resume = InterleaveCursor::from_parts(node, weight - partial as u8);
            partial = 0;
        }
        if pages == 0 {
            break;
        }
        plan.push(node, pages);
    }
    *cursor = resume;
    nr_pages
}

//! Bulk interleave plans: how many pages of an `N`-page bulk allocation go to each node, and
//! where the task's cursor ends up (Linux: `alloc_pages_bulk_interleave` and
//! `alloc_pages_bulk_weighted_interleave`, the interleave arms of
//! `alloc_pages_bulk_mempolicy_noprof`).
//!
//! A plan costs O(words + nodes in the mask) whatever `N` and never allocates: the nodes are
//! walked once, straight into the plan's steps, which are then given their pages in place. It assumes every bulk
//! request succeeds in full, as the kernel's arithmetic does; the embedder allocates each
//! step from its node.
//!
//! How plans compare with single picks, and which Linux they follow: see the
//! [`interleave`](crate::interleave#bulk-plans-and-single-picks) module docs.

use super::cursor::InterleaveCursor;
use super::weights::{effective, WeightSource};
use crate::nodemask::Cycle;
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
    #[inline]
    fn push(&mut self, node: NodeId, pages: u64) {
        if pages > 0 {
            self.push_any(node, pages);
        }
    }

    /// Appends a step, even one with 0 pages (the planners fill the steps in, then drop the
    /// empty ones at the tail before returning).
    #[inline]
    fn push_any(&mut self, node: NodeId, pages: u64) {
        // Cannot fail: a plan visits each node at most once plus one carry-over step.
        let _ = self.steps.push((node, pages));
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
    // One walk of the nodes, in visiting order, straight into the plan.
    for node in Cycle::after(nodes, cursor.il_prev()) {
        plan.push_any(node, 0);
    }
    let Some(&(last, _)) = plan.steps.last() else {
        return 0;
    };
    // At most `MAX_NUMNODES` steps.
    let count = plan.steps.len() as u64;
    let per_node = nr_pages / count;
    // Below `count`, so it fits `usize`.
    let extra = (nr_pages % count) as usize;
    for (k, step) in plan.steps.iter_mut().enumerate() {
        step.1 = per_node + u64::from(k < extra);
    }
    if per_node == 0 {
        // Only the first `extra` nodes got a page.
        plan.steps.truncate(extra);
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
/// Each node's weight is read once ([`WeightSource::weight`]; a source whose table can be
/// replaced concurrently is best read through one view, as
/// [`WeightReader::with_view`](crate::weights::WeightReader::with_view) does); 0 is read as
/// one. Returns the pages planned: `nr_pages`, or 0 with everything untouched when
/// `nr_pages == 0` or `nodes` is empty. See the [module docs](crate::interleave#bulk-plans-and-single-picks) for how this
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
    if nr_pages == 0 || nodes.is_empty() {
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

    // One walk of the nodes, each weight read once, into the plan (the pages column holds
    // the weight until the pages are known).
    let first = plan.steps.len();
    let mut total = 0u64;
    for node in Cycle::after(nodes, prev) {
        let weight = u64::from(effective(weights.weight(node)));
        total += weight;
        plan.push_any(node, weight);
    }
    if total == 0 {
        return 0; // unreachable: `nodes` is not empty and every weight is at least 1
    }

    let rounds = rest / total;
    let mut partial = rest % total;
    // Without a partial round, the next pick resumes on the node after `il_prev` with its
    // full weight.
    let mut resume = match plan.steps.get(first) {
        // Weights are at most `u8::MAX`.
        Some(&(node, weight)) => InterleaveCursor::from_parts(node, weight as u8),
        None => return 0, // unreachable: `nodes` is not empty
    };
    let mut end = plan.steps.len();
    for (k, step) in plan.steps.iter_mut().enumerate().skip(first) {
        let (node, wide) = *step;
        // `weight * rounds <= rest`, so it cannot overflow.
        let mut pages = wide * rounds;
        if partial > wide {
            pages += wide;
            partial -= wide;
        } else if partial > 0 {
            pages += partial;
            // `partial <= weight <= u8::MAX`, so this fits `u8`.
            resume = InterleaveCursor::from_parts(node, (wide - partial) as u8);
            partial = 0;
        }
        if pages == 0 {
            // No rounds and the partial round is used up: no later node gets a page.
            end = k;
            break;
        }
        step.1 = pages;
    }
    plan.steps.truncate(end);
    *cursor = resume;
    nr_pages
}

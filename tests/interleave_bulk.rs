//! Bulk plans against single picks: the same per-node totals, and the cursor exactly where
//! Linux's bulk code leaves it (see the `interleave` module docs for the one place that
//! differs from single picks, and why it does not change any later pick).

use std::collections::BTreeSet;

use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, InterleaveMode, WeightSource};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};
use proptest::prelude::*;

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

fn to_mask(set: &BTreeSet<u16>) -> NodeMask {
    set.iter().map(|&raw| NodeId::new(raw.into())).collect()
}

/// Per-node page counts, indexed by node number.
type Counts = Vec<u64>;

fn plan_counts(plan: &BulkPlan) -> Counts {
    let mut counts = vec![0; MAX_NUMNODES];
    for &(node, pages) in plan {
        assert!(pages > 0, "plans hold no empty steps");
        counts[node.index()] += pages;
    }
    counts
}

fn singles_plain(
    mut cursor: InterleaveCursor,
    nodes: &NodeMask,
    count: u64,
) -> (Counts, InterleaveCursor) {
    let mut counts = vec![0; MAX_NUMNODES];
    for _ in 0..count {
        counts[cursor.next_interleave(nodes).unwrap().index()] += 1;
    }
    (counts, cursor)
}

fn singles_weighted(
    mut cursor: InterleaveCursor,
    nodes: &NodeMask,
    weights: &[u8],
    count: u64,
) -> (Counts, InterleaveCursor) {
    let mut counts = vec![0; MAX_NUMNODES];
    for _ in 0..count {
        counts[cursor.next_weighted(nodes, weights).unwrap().index()] += 1;
    }
    (counts, cursor)
}

/// Single picks for `count` pages, shortened by whole periods (`period` picks give every node
/// `per_period[node]` pages and return the cursor to the same state once it has settled on
/// the mask), so that `count` can be 10^6.
fn singles_reduced(
    count: u64,
    period: u64,
    settle: u64,
    per_period: impl Fn(usize) -> u64,
    run: impl FnOnce(u64) -> (Counts, InterleaveCursor),
) -> (Counts, InterleaveCursor) {
    let skipped = count.saturating_sub(settle + period) / period;
    let (mut counts, cursor) = run(count - skipped * period);
    for (node, pages) in counts.iter_mut().enumerate() {
        if *pages > 0 || per_period(node) > 0 {
            *pages += skipped * per_period(node);
        }
    }
    (counts, cursor)
}

/// Checks a weighted plan against single picks: same totals; cursor equal, or in Linux's
/// whole-rounds state (the node after the singles' last node, with its full weight), and
/// then every later pick equal.
fn check_weighted(
    nodes: &NodeMask,
    weights: &[u8],
    start: InterleaveCursor,
    count: u64,
    plan: &BulkPlan,
    bulk: InterleaveCursor,
    (counts, single): (Counts, InterleaveCursor),
) -> Result<(), TestCaseError> {
    prop_assert_eq!(plan.total(), count);
    prop_assert_eq!(plan_counts(plan), counts);
    let carried = if start.il_weight() > 0 && nodes.contains(start.il_prev()) {
        u64::from(start.il_weight())
    } else {
        0
    };
    let total: u64 = nodes
        .iter()
        .map(|node| u64::from(weights.weight(node)))
        .sum();
    let whole_rounds = count > carried && (count - carried) % total == 0;
    if whole_rounds {
        prop_assert_eq!(single.il_weight(), 0);
        let next = nodes.next_in(single.il_prev()).unwrap();
        prop_assert_eq!(
            bulk,
            InterleaveCursor::from_parts(next, weights.weight(next))
        );
    } else {
        prop_assert_eq!(bulk, single);
    }
    let (mut a, mut b) = (bulk, single);
    for _ in 0..(2 * total).min(2000) {
        prop_assert_eq!(
            a.peek_node(InterleaveMode::Weighted, nodes),
            b.peek_node(InterleaveMode::Weighted, nodes)
        );
        prop_assert_eq!(
            a.next_weighted(nodes, weights),
            b.next_weighted(nodes, weights)
        );
    }
    Ok(())
}

#[test]
fn plain_plan_spreads_remainder_over_first_nodes() {
    let nodes = mask("0,2,5");
    let mut cursor = InterleaveCursor::from_parts(n(2), 0);
    let mut plan = BulkPlan::new();
    assert_eq!(
        interleave::bulk_interleave_plan(&mut cursor, &nodes, 11, &mut plan),
        11
    );
    assert_eq!(plan.as_slice(), &[(n(5), 4), (n(0), 4), (n(2), 3)]);
    assert_eq!(
        cursor.il_prev(),
        n(2),
        "three picks over three nodes end where they began"
    );
    // Single picks would end on node 0 (11 % 3 == 2 picks past node 2); Linux does not.
    let (_, single) = singles_plain(InterleaveCursor::from_parts(n(2), 0), &nodes, 11);
    assert_eq!(single.il_prev(), n(0));
}

#[test]
fn weighted_plan_whole_rounds_resume_on_next_node() {
    let nodes = mask("0-1");
    let weights = [3u8, 1];
    let mut cursor = InterleaveCursor::new();
    let mut plan = BulkPlan::new();
    interleave::bulk_weighted_plan(&mut cursor, &nodes, &weights, 8, &mut plan);
    assert_eq!(plan.as_slice(), &[(n(0), 6), (n(1), 2)]);
    // Linux: il_prev = next_node_in(prev) = 0 with its full weight 3; singles would be (1, 0).
    assert_eq!(cursor, InterleaveCursor::from_parts(n(0), 3));
    assert_eq!(
        cursor.peek_node(InterleaveMode::Weighted, &nodes),
        Some(n(0))
    );
}

#[test]
fn weighted_plan_carries_over_then_resumes_mid_node() {
    let nodes = mask("0-1");
    let weights = [3u8, 1];
    let mut plan = BulkPlan::new();
    // One page taken from node 0 (weight 3) leaves 2; 4 pages: 0,0 (carry), 1, then 0.
    let mut cursor = InterleaveCursor::from_parts(n(0), 2);
    interleave::bulk_weighted_plan(&mut cursor, &nodes, &weights, 4, &mut plan);
    assert_eq!(plan.as_slice(), &[(n(0), 2), (n(1), 1), (n(0), 1)]);
    assert_eq!(cursor, InterleaveCursor::from_parts(n(0), 2));
    // Fewer pages than the carried weight: only il_weight drops.
    let mut cursor = InterleaveCursor::from_parts(n(0), 2);
    interleave::bulk_weighted_plan(&mut cursor, &nodes, &weights, 2, &mut plan);
    assert_eq!(plan.as_slice(), &[(n(0), 2)]);
    assert_eq!(cursor, InterleaveCursor::from_parts(n(0), 0));
}

#[test]
fn weighted_plan_partial_round_ending_on_boundary_keeps_position() {
    // Uniform weights, 2 pages over 3 nodes: nodes 0 and 1, and the cursor stays after 1
    // (Linux 6.9-7.0 mainline; the unmerged linux-next rewrite would restart at node 0).
    let nodes = mask("0-2");
    let mut cursor = InterleaveCursor::new();
    let mut plan = BulkPlan::new();
    interleave::bulk_weighted_plan(&mut cursor, &nodes, &interleave::Uniform, 2, &mut plan);
    assert_eq!(plan.as_slice(), &[(n(0), 1), (n(1), 1)]);
    assert_eq!(cursor, InterleaveCursor::from_parts(n(1), 0));
    assert_eq!(
        cursor.peek_node(InterleaveMode::Weighted, &nodes),
        Some(n(2))
    );
}

#[test]
fn weighted_plan_of_nothing_changes_nothing() {
    let mut cursor = InterleaveCursor::from_parts(n(1), 1);
    let mut plan = BulkPlan::new();
    let done = interleave::bulk_weighted_plan(&mut cursor, &mask("0-3"), &[2u8; 4], 0, &mut plan);
    assert_eq!(done, 0);
    assert!(plan.is_empty());
    assert_eq!(cursor, InterleaveCursor::from_parts(n(1), 1));
}

#[test]
fn plans_are_flat_in_page_count() {
    let nodes = mask("0-3");
    let weights = [3u8, 1, 2, 1];
    let mut plan = BulkPlan::new();
    let mut cursor = InterleaveCursor::new();
    interleave::bulk_weighted_plan(&mut cursor, &nodes, &weights, u64::MAX, &mut plan);
    assert_eq!(plan.len(), 4);
    assert_eq!(plan.total(), u64::MAX);
    interleave::bulk_interleave_plan(&mut cursor, &nodes, u64::MAX, &mut plan);
    assert_eq!(plan.total(), u64::MAX);
}

fn node_set() -> impl Strategy<Value = BTreeSet<u16>> {
    let low = prop::collection::btree_set(0u16..64.min(MAX_NUMNODES as u16), 1..10);
    let any = prop::collection::btree_set(0u16..MAX_NUMNODES as u16, 1..6);
    prop_oneof![low, any]
}

fn weights() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, MAX_NUMNODES)
}

fn cursor() -> impl Strategy<Value = InterleaveCursor> {
    (0..MAX_NUMNODES, any::<u8>())
        .prop_map(|(prev, left)| InterleaveCursor::from_parts(n(prev), left))
}

proptest! {
    #[test]
    fn plain_plan_equals_single_picks(
        set in node_set(),
        start in cursor(),
        count in prop_oneof![0u64..40, 0u64..3000],
    ) {
        let nodes = to_mask(&set);
        let mut bulk = start;
        let mut plan = BulkPlan::new();
        prop_assert_eq!(interleave::bulk_interleave_plan(&mut bulk, &nodes, count, &mut plan), count);
        let (counts, _) = singles_plain(start, &nodes, count);
        prop_assert_eq!(plan_counts(&plan), counts);
        // Linux moves the cursor once per node, whatever the count.
        let (_, after_one_each) = singles_plain(start, &nodes, set.len() as u64);
        prop_assert_eq!(bulk, after_one_each);
    }

    #[test]
    fn plain_plan_equals_single_picks_large(set in node_set(), start in cursor(), count in 0u64..=1_000_000) {
        let nodes = to_mask(&set);
        let mut bulk = start;
        let mut plan = BulkPlan::new();
        interleave::bulk_interleave_plan(&mut bulk, &nodes, count, &mut plan);
        let period = set.len() as u64;
        let (counts, _) = singles_reduced(count, period, 1, |node| u64::from(nodes.contains_raw(node as u64)),
            |c| singles_plain(start, &nodes, c));
        prop_assert_eq!(plan_counts(&plan), counts);
        prop_assert_eq!(plan.total(), count);
    }

    #[test]
    fn weighted_plan_equals_single_picks(
        set in node_set(),
        weights in weights(),
        start in cursor(),
        count in prop_oneof![1u64..40, 1u64..3000],
    ) {
        let nodes = to_mask(&set);
        let mut bulk = start;
        let mut plan = BulkPlan::new();
        prop_assert_eq!(interleave::bulk_weighted_plan(&mut bulk, &nodes, &weights[..], count, &mut plan), count);
        let singles = singles_weighted(start, &nodes, &weights, count);
        check_weighted(&nodes, &weights, start, count, &plan, bulk, singles)?;
    }

    #[test]
    fn weighted_plan_equals_single_picks_large(
        set in node_set(),
        weights in weights(),
        start in cursor(),
        count in 1u64..=1_000_000,
    ) {
        let nodes = to_mask(&set);
        let mut bulk = start;
        let mut plan = BulkPlan::new();
        interleave::bulk_weighted_plan(&mut bulk, &nodes, &weights[..], count, &mut plan);
        let total: u64 = set.iter().map(|&node| u64::from(weights[node as usize])).sum();
        let per_period = |node: usize| if nodes.contains_raw(node as u64) { u64::from(weights[node]) } else { 0 };
        let singles = singles_reduced(count, total, 256, per_period,
            |c| singles_weighted(start, &nodes, &weights, c));
        check_weighted(&nodes, &weights, start, count, &plan, bulk, singles)?;
    }

    /// Two bulk calls in a row plan what one call of the summed size plans.
    #[test]
    fn weighted_plans_chain(
        set in node_set(),
        weights in weights(),
        start in cursor(),
        first in 1u64..5000,
        second in 1u64..5000,
    ) {
        let nodes = to_mask(&set);
        let mut plan = BulkPlan::new();
        let mut chained = start;
        interleave::bulk_weighted_plan(&mut chained, &nodes, &weights[..], first, &mut plan);
        let mut counts = plan_counts(&plan);
        interleave::bulk_weighted_plan(&mut chained, &nodes, &weights[..], second, &mut plan);
        for (sum, more) in counts.iter_mut().zip(plan_counts(&plan)) {
            *sum += more;
        }
        let (expected, _) = singles_weighted(start, &nodes, &weights, first + second);
        prop_assert_eq!(counts, expected);
    }
}

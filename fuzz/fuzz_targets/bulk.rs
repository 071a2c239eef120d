//! Bulk interleave plans against repeated single picks, for up to 5000 pages with
//! arbitrary masks, weights and cursor states: the same pages per node, and the cursor where
//! the relation of `tests/interleave_bulk.rs` (the module docs' "bulk plans and single
//! picks") puts it; every later pick then agrees.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, InterleaveMode};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

#[derive(Arbitrary, Debug)]
struct Input {
    /// The low 64 nodes of the mask.
    nodes: u64,
    /// Extra nodes anywhere below `MAX_NUMNODES`.
    extra: [u16; 2],
    weights: [u8; 64],
    il_prev: u16,
    il_weight: u8,
    count: u16,
    second: u16,
    weighted: bool,
}

const MAX_COUNT: u64 = 5000;

/// Linux reads a zero weight as 1.
fn weight_of(weights: &[u8; 64], node: NodeId) -> u8 {
    weights.get(node.index()).copied().unwrap_or(1).max(1)
}

/// Per-node page counts of a plan.
fn plan_counts(plan: &BulkPlan, counts: &mut [u64; MAX_NUMNODES]) {
    for &(node, pages) in plan {
        assert!(pages > 0, "plans hold no empty steps");
        counts[node.index()] += pages;
    }
}

fn singles(
    cursor: &mut InterleaveCursor,
    nodes: &NodeMask,
    weights: Option<&[u8; 64]>,
    count: u64,
    counts: &mut [u64; MAX_NUMNODES],
) {
    for _ in 0..count {
        let node = match weights {
            Some(w) => cursor.next_weighted(nodes, &w[..]),
            None => cursor.next_interleave(nodes),
        };
        counts[node.expect("mask not empty").index()] += 1;
    }
}

fuzz_target!(|input: Input| {
    let mut nodes = NodeMask::new();
    for bit in 0..64.min(MAX_NUMNODES) {
        if input.nodes & (1 << bit) != 0 {
            nodes.insert(NodeId::new(bit));
        }
    }
    for raw in input.extra {
        nodes.insert(NodeId::new(usize::from(raw) % MAX_NUMNODES));
    }
    if nodes.is_empty() {
        return;
    }
    let weights = &input.weights;
    let count = u64::from(input.count) % (MAX_COUNT + 1);
    let second = u64::from(input.second) % (MAX_COUNT + 1);
    let start = InterleaveCursor::from_parts(
        NodeId::new(usize::from(input.il_prev) % MAX_NUMNODES),
        input.il_weight,
    );
    let mut plan = BulkPlan::new();
    let mut bulk = start;
    let mut got = [0u64; MAX_NUMNODES];
    let mut want = [0u64; MAX_NUMNODES];

    if !input.weighted {
        assert_eq!(
            interleave::bulk_interleave_plan(&mut bulk, &nodes, count, &mut plan),
            count
        );
        assert_eq!(plan.total(), count);
        plan_counts(&plan, &mut got);
        let mut single = start;
        singles(&mut single, &nodes, None, count, &mut want);
        assert_eq!(got, want);
        // Linux moves the cursor once per node, whatever the count.
        let mut once_each = start;
        singles(
            &mut once_each,
            &nodes,
            None,
            nodes.weight() as u64,
            &mut [0; MAX_NUMNODES],
        );
        assert_eq!(bulk, once_each);
        return;
    }

    assert_eq!(
        interleave::bulk_weighted_plan(&mut bulk, &nodes, &weights[..], count, &mut plan),
        count
    );
    assert_eq!(plan.total(), count);
    plan_counts(&plan, &mut got);
    let mut single = start;
    singles(&mut single, &nodes, Some(weights), count, &mut want);
    assert_eq!(got, want, "per-node pages");

    // The cursor: equal to the singles', or Linux's whole-rounds state (the node after the
    // singles' last node, with its full weight); every later pick agrees either way.
    let carried = if start.il_weight() > 0 && nodes.contains(start.il_prev()) {
        u64::from(start.il_weight())
    } else {
        0
    };
    let total: u64 = nodes
        .iter()
        .map(|node| u64::from(weight_of(weights, node)))
        .sum();
    if count > carried && (count - carried) % total == 0 {
        assert_eq!(single.il_weight(), 0);
        let next = nodes.next_in(single.il_prev()).expect("mask not empty");
        assert_eq!(
            bulk,
            InterleaveCursor::from_parts(next, weight_of(weights, next))
        );
    } else if count == 0 {
        assert_eq!(bulk, start, "a plan of nothing changes nothing");
    } else {
        assert_eq!(bulk, single);
    }
    let (mut a, mut b) = (bulk, single);
    for _ in 0..(2 * total).min(2000) {
        assert_eq!(
            a.peek_node(InterleaveMode::Weighted, &nodes),
            b.peek_node(InterleaveMode::Weighted, &nodes)
        );
        assert_eq!(
            a.next_weighted(&nodes, &weights[..]),
            b.next_weighted(&nodes, &weights[..])
        );
    }

    // Two plans in a row hand out what single picks of the summed size do.
    let mut chained = start;
    let mut sum = [0u64; MAX_NUMNODES];
    interleave::bulk_weighted_plan(&mut chained, &nodes, &weights[..], count, &mut plan);
    plan_counts(&plan, &mut sum);
    interleave::bulk_weighted_plan(&mut chained, &nodes, &weights[..], second, &mut plan);
    plan_counts(&plan, &mut sum);
    let mut expected = [0u64; MAX_NUMNODES];
    let mut from_start = start;
    singles(
        &mut from_start,
        &nodes,
        Some(weights),
        count + second,
        &mut expected,
    );
    assert_eq!(sum, expected, "chained plans");
});

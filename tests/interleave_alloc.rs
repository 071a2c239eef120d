//! The pickers and plans never touch the heap: a counting global allocator sees no
//! allocation while they run.

use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, InterleaveMode, Uniform};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

mod counting_alloc;

use counting_alloc::allocations_during;

#[test]
fn picks_and_plans_do_not_allocate() {
    let nodes: NodeMask = (0..MAX_NUMNODES.min(48))
        .step_by(3)
        .map(NodeId::new)
        .collect();
    let weights = [7u8; MAX_NUMNODES];
    let closure = |node: NodeId| (node.index() % 5 + 1) as u8;
    let mut plan = BulkPlan::new();
    let mut cursor = InterleaveCursor::new();
    let mut sink = 0u64;
    let count = allocations_during(|| {
        for round in 0..200u64 {
            let picks = [
                cursor.next_interleave(&nodes),
                cursor.next_weighted(&nodes, &weights),
                cursor.next_weighted(&nodes, &Uniform),
                cursor.next_weighted(&nodes, &closure),
                cursor.peek_node(InterleaveMode::Plain, &nodes),
                cursor.peek_node(InterleaveMode::Weighted, &nodes),
                interleave::interleave_nid(&nodes, round * 7919),
                interleave::weighted_interleave_nid(&nodes, round * 7919, &weights),
                interleave::weighted_interleave_nid(&nodes, round, &weights[..]),
                interleave::weighted_interleave_nid(&nodes, round, &closure),
            ];
            sink += picks
                .iter()
                .flatten()
                .map(|n| n.index() as u64)
                .sum::<u64>();
            sink +=
                interleave::vma_interleave_index(round, 1 << 32, (1 << 32) + round * 4096, 0, 12);
            sink += interleave::bulk_interleave_plan(&mut cursor, &nodes, round * 1000, &mut plan);
            sink += plan.total();
            sink += interleave::bulk_weighted_plan(
                &mut cursor,
                &nodes,
                &weights,
                round * 1000 + 3,
                &mut plan,
            );
            sink += plan.pages_on(NodeId::new(0));
        }
    });
    core::hint::black_box(sink);
    assert_eq!(count, 0, "the pickers allocated {count} times");
}

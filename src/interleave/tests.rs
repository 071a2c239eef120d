use super::*;
use crate::nodemask::Cycle;
use crate::{NodeId, NodeMask};
use std::vec::Vec;

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

#[test]
fn cycle_visits_every_node_once_starting_after() {
    let nodes = mask("1,4,9");
    let seen: Vec<_> = Cycle::after(&nodes, n(4)).collect();
    assert_eq!(seen, [n(9), n(1), n(4)]);
    let seen: Vec<_> = Cycle::after(&nodes, NodeId::MAX).collect();
    assert_eq!(seen, [n(1), n(4), n(9)]);
    assert_eq!(Cycle::after(&NodeMask::new(), n(0)).count(), 0);
}

#[test]
fn fresh_cursor_starts_on_lowest_node() {
    let cursor = InterleaveCursor::new();
    assert_eq!(cursor, InterleaveCursor::default());
    assert_eq!(cursor.il_prev(), NodeId::MAX);
    assert_eq!(cursor.il_weight(), 0);
    assert_eq!(
        cursor.peek_node(InterleaveMode::Plain, &mask("2-3")),
        Some(n(2))
    );
    assert_eq!(
        cursor.peek_node(InterleaveMode::Weighted, &mask("2-3")),
        Some(n(2))
    );
}

#[test]
fn empty_mask_picks_nothing_and_keeps_cursor() {
    let mut cursor = InterleaveCursor::from_parts(n(3), 2);
    let empty = NodeMask::new();
    assert_eq!(cursor.next_interleave(&empty), None);
    assert_eq!(cursor.next_weighted(&empty, &Uniform), None);
    assert_eq!(cursor, InterleaveCursor::from_parts(n(3), 2));
    assert_eq!(interleave_nid(&empty, 7), None);
    assert_eq!(weighted_interleave_nid(&empty, 7, &Uniform), None);
    let mut plan = BulkPlan::new();
    assert_eq!(bulk_interleave_plan(&mut cursor, &empty, 10, &mut plan), 0);
    assert_eq!(
        bulk_weighted_plan(&mut cursor, &empty, &Uniform, 10, &mut plan),
        0
    );
    assert!(plan.is_empty());
    assert_eq!(cursor, InterleaveCursor::from_parts(n(3), 2));
}

#[test]
fn zero_weight_reads_as_one() {
    let nodes = mask("0-1");
    let weights = [0u8, 0];
    let mut cursor = InterleaveCursor::new();
    let picks: Vec<_> = (0..4)
        .map(|_| cursor.next_weighted(&nodes, &weights).unwrap())
        .collect();
    assert_eq!(picks, [n(0), n(1), n(0), n(1)]);
    assert_eq!(weighted_interleave_nid(&nodes, 3, &weights), Some(n(1)));
    let mut plan = BulkPlan::new();
    bulk_weighted_plan(&mut cursor, &nodes, &weights, 5, &mut plan);
    assert_eq!(plan.total(), 5);
}

#[test]
fn weighted_cursor_leaves_removed_node() {
    // il_prev = 1 with weight left, but a rebind removed node 1: move on to node 2.
    let mut cursor = InterleaveCursor::from_parts(n(1), 5);
    assert_eq!(
        cursor.peek_node(InterleaveMode::Weighted, &mask("0,2")),
        Some(n(1))
    );
    assert_eq!(cursor.next_weighted(&mask("0,2"), &[1u8, 1, 4]), Some(n(2)));
    assert_eq!(cursor, InterleaveCursor::from_parts(n(2), 3));
}

#[test]
fn weight_sources_agree() {
    let nodes = mask("0-3");
    let array = [3u8, 1, 2];
    let slice: &[u8] = &array;
    let closure = |node: NodeId| array.get(node.index()).copied().unwrap_or(1);
    let mut a = [0u8; crate::MAX_NUMNODES];
    let mut b = [0u8; crate::MAX_NUMNODES];
    let mut c = [0u8; crate::MAX_NUMNODES];
    array.copy_weights(&nodes, &mut a);
    slice.copy_weights(&nodes, &mut b);
    closure.copy_weights(&nodes, &mut c);
    assert_eq!(a[..4], [3, 1, 2, 1]);
    assert_eq!(a[..4], b[..4]);
    assert_eq!(a[..4], c[..4]);
    Uniform.copy_weights(&nodes, &mut a);
    assert!(a.iter().all(|&w| w == 1));
    let eight = 0x0101_0101_0102_0103;
    assert_eq!(array.first_eight(), eight);
    assert_eq!(slice.first_eight(), eight);
    assert_eq!(closure.first_eight(), eight);
    let long = [4u8, 3, 2, 1, 9, 8, 7, 6, 5];
    assert_eq!(long.first_eight(), 0x0607_0809_0102_0304);
    assert_eq!(long[..].first_eight(), 0x0607_0809_0102_0304);
}

#[test]
fn interleave_index_shifts_by_order() {
    let start = 0x7f00_0000_0000u64;
    // A 2 MiB page (order 9) at the third 2 MiB step of a mapping at file page 1024.
    assert_eq!(
        vma_interleave_index(1024, start, start + (2 << 21), 9, 12),
        2 + 2
    );
    assert_eq!(vma_interleave_index(5, start, start, 64, 12), 0);
    assert_eq!(
        shared_interleave_index(77, 0, start, start + 4096, 0, 12),
        78
    );
}

#[test]
fn bulk_plans_skip_empty_steps() {
    let nodes = mask("0-3");
    let mut cursor = InterleaveCursor::new();
    let mut plan = BulkPlan::new();
    assert_eq!(bulk_interleave_plan(&mut cursor, &nodes, 2, &mut plan), 2);
    assert_eq!(plan.as_slice(), &[(n(0), 1), (n(1), 1)]);
    assert_eq!(cursor.il_prev(), n(3));
    assert_eq!(bulk_interleave_plan(&mut cursor, &nodes, 0, &mut plan), 0);
    assert!(plan.is_empty());
    assert_eq!(
        cursor.il_prev(),
        n(3),
        "N = 0 still moves the cursor once per node"
    );
}

#[test]
fn weighted_plan_fills_capacity_without_dropping_steps() {
    // Every node of a full mask gets a share, and il_prev also gets its carried weight first.
    let nodes = NodeMask::full();
    let mut cursor = InterleaveCursor::from_parts(n(0), 2);
    let mut plan = BulkPlan::new();
    let pages = 10 * crate::MAX_NUMNODES as u64 + 2;
    assert_eq!(
        bulk_weighted_plan(&mut cursor, &nodes, &Uniform, pages, &mut plan),
        pages
    );
    assert_eq!(plan.len(), PLAN_CAPACITY);
    assert_eq!(plan.total(), pages);
    assert_eq!(plan.as_slice()[0], (n(0), 2));
    assert_eq!(plan.pages_on(n(0)), 12);
    assert_eq!(
        cursor,
        InterleaveCursor::from_parts(n(1), 1),
        "whole rounds: next node, full weight"
    );
}

/// What [`WeightSource::small_first_eight`] means, one byte at a time.
fn small_model(raw: u64) -> Option<u64> {
    let bytes = raw.to_le_bytes();
    if bytes.iter().any(|&b| b > 31) {
        return None;
    }
    let effective = bytes.map(|b| b.max(1));
    let total: u32 = effective.iter().map(|&b| u32::from(b)).sum();
    (total <= 127).then(|| u64::from_le_bytes(effective))
}

#[test]
fn small_first_eight_matches_the_bytewise_model() {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut cases = alloc::vec![0, u64::MAX, 0x1f1f_1f1f_1f1f_1f1f, 0x0f0f_0f0f_0f0f_0f10];
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Bytes of 0-31 mostly (small totals), some of 0-63, some raw.
        cases.extend([
            x & 0x0707_0707_0707_0707,
            x & 0x1f1f_1f1f_1f1f_1f1f,
            x & 0x3f3f_3f3f_3f3f_3f3f,
            x,
        ]);
        // One byte at a time moved across the limits.
        cases.push((x & 0x0f0f_0f0f_0f0f_0f0f) | (u64::from(x as u8 >> 3) << (8 * (x >> 61))));
    }
    for raw in cases {
        let source = raw.to_le_bytes();
        assert_eq!(
            source.small_first_eight().map(|w| w.get()),
            small_model(raw),
            "{raw:#018x}"
        );
    }
}

#[test]
fn eight_at_reads_eight_weights_from_every_source() {
    let weights: alloc::vec::Vec<u8> = (1..=20).collect();
    let array: [u8; 20] = core::array::from_fn(|i| weights[i]);
    let closure = |node: NodeId| weights.get(node.index()).copied().unwrap_or(1);
    for chunk in [
        0,
        1,
        2,
        3,
        crate::MAX_NUMNODES / 8 - 1,
        crate::MAX_NUMNODES / 8,
        usize::MAX / 4,
    ] {
        let mut bytes = [1u8; 8];
        for (i, byte) in bytes.iter_mut().enumerate() {
            if let Some(&w) = chunk.checked_mul(8).and_then(|s| weights.get(s + i)) {
                *byte = w;
            }
        }
        let expected = u64::from_le_bytes(bytes);
        assert_eq!(weights[..].eight_at(chunk), expected, "{chunk}");
        assert_eq!(array.eight_at(chunk), expected, "{chunk}");
        assert_eq!(closure.eight_at(chunk), expected, "{chunk}");
        assert_eq!(Uniform.eight_at(chunk), 0x0101_0101_0101_0101);
    }
}

/// The dynamic picks for a mask kept as a byte agree with the mask pickers, step by step, from
/// every cursor state (il_prev inside, outside and above the byte; weight left or not).
#[test]
fn dynamic_picks_from_a_byte_follow_the_mask_pickers() {
    let weights = [3u8, 0, 2, 1, 5, 1, 0, 4];
    let prevs = [0, 1, 2, 5, 7, 8, 9, 63, crate::MAX_NUMNODES - 1];
    for byte in 1u64..=255 {
        let mut mask = NodeMask::new();
        for bit in (0..8).filter(|b| byte & (1 << b) != 0) {
            mask.insert(NodeId::new(bit));
        }
        for &prev in &prevs {
            for weight in 0..4u8 {
                let start = InterleaveCursor::from_parts(NodeId::new(prev), weight);
                let (mut plain, mut plain_byte) = (start, start);
                let (mut weighted, mut weighted_byte) = (start, start);
                for step in 0..12 {
                    assert_eq!(
                        Some(plain_byte.next_interleave_in_byte(byte)),
                        plain.next_interleave(&mask),
                        "{byte:#x} {prev} {weight} {step}"
                    );
                    assert_eq!(plain_byte, plain);
                    assert_eq!(
                        Some(weighted_byte.next_weighted_in_byte(byte, &weights)),
                        weighted.next_weighted(&mask, &weights),
                        "{byte:#x} {prev} {weight} {step}"
                    );
                    assert_eq!(weighted_byte, weighted);
                }
            }
        }
    }
}

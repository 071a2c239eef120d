//! Single picks: golden sequences from the Linux reference and property tests against
//! naive models (a sorted node list, a page-by-page expansion of the weights).

use std::collections::BTreeSet;

use mempolicy::gfp::GfpFlags;
use mempolicy::interleave::{self, InterleaveCursor, InterleaveMode, Uniform};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, Globals};
use mempolicy::topology::Topology;
use mempolicy::weights::WeightTable;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};
use proptest::prelude::*;

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

fn to_mask(set: &BTreeSet<u16>) -> NodeMask {
    set.iter().map(|&raw| NodeId::new(raw.into())).collect()
}

fn raw(nodes: impl IntoIterator<Item = NodeId>) -> Vec<u32> {
    nodes.into_iter().map(NodeId::as_u32).collect()
}

#[test]
fn weighted_3_1_dynamic_sequence() {
    let nodes = mask("0-1");
    let mut cursor = InterleaveCursor::new();
    let picks = raw((0..12).map(|_| cursor.next_weighted(&nodes, &[3u8, 1]).unwrap()));
    assert_eq!(picks, [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
}

#[test]
fn weighted_3_1_static_picks() {
    let nodes = mask("0-1");
    for ilx in 0..40u64 {
        let expected = if ilx % 4 == 3 { 1 } else { 0 };
        let got = interleave::weighted_interleave_nid(&nodes, ilx, &[3u8, 1]).unwrap();
        assert_eq!(got.as_u32(), expected, "ilx {ilx}");
    }
}

#[test]
fn static_pick_walks_to_the_index() {
    let nodes = mask("0,2,5");
    assert_eq!(interleave::interleave_nid(&nodes, 4), Some(NodeId::new(2)));
    let picks = raw((0..6).map(|ilx| interleave::interleave_nid(&nodes, ilx).unwrap()));
    assert_eq!(picks, [0, 2, 5, 0, 2, 5]);
    // Huge indices cost the same and still wrap: u64::MAX % 3 == 0.
    assert_eq!(
        interleave::interleave_nid(&nodes, u64::MAX),
        Some(NodeId::new(0))
    );
}

#[test]
fn plain_dynamic_wraps_and_skips_gaps() {
    let nodes = mask("1,4,9");
    let mut cursor = InterleaveCursor::from_parts(NodeId::new(4), 0);
    let picks = raw((0..4).map(|_| cursor.next_interleave(&nodes).unwrap()));
    assert_eq!(picks, [9, 1, 4, 9]);
    // il_prev outside the mask: the next node above it.
    let mut cursor = InterleaveCursor::from_parts(NodeId::new(5), 0);
    assert_eq!(cursor.next_interleave(&nodes), Some(NodeId::new(9)));
}

#[test]
fn weighted_peek_reports_node_with_weight_left() {
    let nodes = mask("0-3");
    let weights = [3u8, 1, 2, 1];
    let mut cursor = InterleaveCursor::new();
    let mut peeks = Vec::new();
    for _ in 0..8 {
        peeks.push(
            cursor
                .peek_node(InterleaveMode::Weighted, &nodes)
                .unwrap()
                .as_u32(),
        );
        let picked = cursor.next_weighted(&nodes, &weights).unwrap();
        assert_eq!(
            peeks.last().copied(),
            Some(picked.as_u32()),
            "peek = the next pick"
        );
    }
    assert_eq!(peeks, [0, 0, 0, 1, 2, 2, 3, 0]);
}

fn node_set() -> impl Strategy<Value = BTreeSet<u16>> {
    let lowest = prop::collection::btree_set(0u16..8, 0..9);
    let low = prop::collection::btree_set(0u16..64.min(MAX_NUMNODES as u16), 0..10);
    let any = prop::collection::btree_set(0u16..MAX_NUMNODES as u16, 0..6);
    prop_oneof![lowest, low, any]
}

fn weights() -> impl Strategy<Value = Vec<u8>> {
    let small = prop::collection::vec(1u8..=16, MAX_NUMNODES);
    let any = prop::collection::vec(1u8..=255, MAX_NUMNODES);
    prop_oneof![small, any]
}

/// Weights as a source may hand them out: zeros (read as 1), values on both sides of 31 and
/// totals on both sides of 127.
fn raw_weights() -> impl Strategy<Value = Vec<u8>> {
    let small = prop::collection::vec(0u8..=33, 0..12);
    let any = prop::collection::vec(any::<u8>(), 0..12);
    prop_oneof![small, any]
}

/// The model of a static weighted pick: every node of `set` repeated `weight(node)` times, in
/// order, and the entry at `ilx` modulo the length.
fn expanded_pick(set: &BTreeSet<u16>, weight: impl Fn(u16) -> u8, ilx: u64) -> Option<NodeId> {
    let expanded: Vec<u16> = set
        .iter()
        .flat_map(|&node| core::iter::repeat_n(node, weight(node).into()))
        .collect();
    let len = u64::try_from(expanded.len()).ok().filter(|&n| n > 0)?;
    Some(NodeId::new(expanded[(ilx % len) as usize].into()))
}

proptest! {
    #[test]
    fn interleave_nid_is_index_into_sorted_nodes(set in node_set(), ilx in any::<u64>()) {
        let nodes = to_mask(&set);
        let sorted: Vec<u16> = set.iter().copied().collect();
        let expected = if sorted.is_empty() {
            None
        } else {
            Some(NodeId::new(sorted[(ilx % sorted.len() as u64) as usize].into()))
        };
        prop_assert_eq!(interleave::interleave_nid(&nodes, ilx), expected);
    }

    #[test]
    fn weighted_nid_is_index_into_expanded_weights(
        set in node_set(),
        weights in weights(),
        ilx in any::<u64>(),
    ) {
        let nodes = to_mask(&set);
        let expected = expanded_pick(&set, |node| weights[usize::from(node)], ilx);
        prop_assert_eq!(interleave::weighted_interleave_nid(&nodes, ilx, &weights[..]), expected);
    }

    /// Masks of the eight lowest nodes take a word-at-a-time path: the same answers, for
    /// tables shorter than eight nodes, zero weights and large weights too.
    #[test]
    fn weighted_nid_of_the_lowest_nodes_is_index_into_expanded_weights(
        set in prop::collection::btree_set(0u16..8, 0..9),
        weights in raw_weights(),
        ilx in prop_oneof![0u64..1000, any::<u32>().prop_map(u64::from), any::<u64>()],
    ) {
        let nodes = to_mask(&set);
        let weight = |node: u16| weights.get(usize::from(node)).map_or(1, |&w| w.max(1));
        let expected = expanded_pick(&set, weight, ilx);
        prop_assert_eq!(interleave::weighted_interleave_nid(&nodes, ilx, &weights[..]), expected);
        let closure = |node: NodeId| weights.get(node.index()).copied().unwrap_or(1);
        prop_assert_eq!(interleave::weighted_interleave_nid(&nodes, ilx, &closure), expected);
    }

    /// Masks of nodes below 64 go eight nodes at a time when each byte's weights are small:
    /// the same answers, for zero weights, weights on both sides of 31, byte totals on both
    /// sides of 127 and tables shorter than the mask, from an array, a closure and a table.
    #[test]
    fn weighted_nid_below_64_is_index_into_expanded_weights(
        set in prop::collection::btree_set(0u16..64.min(MAX_NUMNODES as u16), 1..24),
        weights in prop_oneof![
            prop::collection::vec(0u8..=20, 0..70),
            prop::collection::vec(0u8..=40, 0..70),
            prop::collection::vec(any::<u8>(), 0..70),
        ],
        ilx in prop_oneof![0u64..1000, any::<u32>().prop_map(u64::from), any::<u64>()],
    ) {
        let nodes = to_mask(&set);
        let weight = |node: u16| weights.get(usize::from(node)).map_or(1, |&w| w.max(1));
        let expected = expanded_pick(&set, weight, ilx);
        prop_assert_eq!(interleave::weighted_interleave_nid(&nodes, ilx, &weights[..]), expected);
        let closure = |node: NodeId| weights.get(node.index()).copied().unwrap_or(1);
        prop_assert_eq!(interleave::weighted_interleave_nid(&nodes, ilx, &closure), expected);
        let table = WeightTable::new(NodeMask::first_n(64.min(MAX_NUMNODES)));
        for (i, &w) in weights.iter().enumerate().filter(|&(i, &w)| i < 64 && w != 0) {
            table.set_weight(NodeId::new(i), w).unwrap();
        }
        let mut reader = table.reader();
        let from_table = reader.with_view(|view| interleave::weighted_interleave_nid(&nodes, ilx, view));
        prop_assert_eq!(from_table, expected);
    }

    /// The same picks with the weights in a published table, which keeps the eight lowest
    /// weights ready for the word-at-a-time path, straight and through the allocation pick
    /// (`policy_nodemask`) of a weighted interleave policy.
    #[test]
    fn weighted_static_picks_from_a_table_are_index_into_expanded_weights(
        set in prop::collection::btree_set(0u16..8, 1..9),
        weights in prop_oneof![
            prop::collection::vec(1u8..=16, 8),
            prop::collection::vec(1u8..=40, 8),
        ],
        ilx in prop_oneof![0u64..1000, any::<u32>().prop_map(u64::from), any::<u64>()],
    ) {
        let topology = Topology::from_nodes_spec("nodes=8 cpus=0,1 mem=64").unwrap();
        let lists = Zonelists::build(&topology);
        let defaults = PolicyDefaults::new();
        let table = WeightTable::new(*topology.memory_nodes());
        for (i, &w) in weights.iter().enumerate() {
            table.set_weight(NodeId::new(i), w).unwrap();
        }
        let mut reader = table.reader();
        reader.quiescent();
        let nodes = to_mask(&set);
        let ctx = NodeContext::unrestricted(*topology.memory_nodes());
        let policy = Mempolicy::create(Mode::WeightedInterleave, ModeFlags::empty(), &nodes, &ctx)
            .unwrap()
            .unwrap();
        let expected = expanded_pick(&set, |node| weights[usize::from(node)], ilx);
        let (direct, placed) = reader.with_view(|view| {
            let globals = Globals::new(&topology, &lists, &defaults, view);
            let placed = select::policy_nodemask(
                &policy,
                GfpFlags::GFP_HIGHUSER_MOVABLE,
                ilx,
                NodeId::new(0),
                &mut InterleaveCursor::new(),
                None,
                &globals,
            )
            .map(|placement| placement.node());
            (interleave::weighted_interleave_nid(&nodes, ilx, view), placed)
        });
        prop_assert_eq!(direct, expected);
        prop_assert_eq!(placed.ok(), expected);
    }

    /// From a fresh cursor, the k-th dynamic pick is the static pick for index k.
    #[test]
    fn fresh_dynamic_picks_follow_static_order(set in node_set(), weights in weights()) {
        let nodes = to_mask(&set);
        let mut plain = InterleaveCursor::new();
        let mut weighted = InterleaveCursor::new();
        for ilx in 0..600u64 {
            prop_assert_eq!(plain.next_interleave(&nodes), interleave::interleave_nid(&nodes, ilx));
            prop_assert_eq!(
                weighted.next_weighted(&nodes, &weights[..]),
                interleave::weighted_interleave_nid(&nodes, ilx, &weights[..])
            );
        }
    }

    /// Weighted picks with uniform weights are plain picks; peek always equals the next pick.
    #[test]
    fn uniform_weighted_is_plain(set in node_set(), prev in 0..MAX_NUMNODES, steps in 0usize..50) {
        let nodes = to_mask(&set);
        let mut plain = InterleaveCursor::from_parts(NodeId::new(prev), 0);
        let mut weighted = plain;
        for _ in 0..steps {
            let peek = weighted.peek_node(InterleaveMode::Weighted, &nodes);
            prop_assert_eq!(plain.peek_node(InterleaveMode::Plain, &nodes), peek);
            let a = plain.next_interleave(&nodes);
            prop_assert_eq!(a, peek);
            prop_assert_eq!(weighted.next_weighted(&nodes, &Uniform), a);
        }
    }

    /// Every pick is in the mask, and each node gets its weight's share over a full cycle.
    #[test]
    fn weighted_cycle_gives_each_node_its_weight(
        set in node_set(),
        weights in weights(),
        prev in 0..MAX_NUMNODES,
        left in any::<u8>(),
    ) {
        let nodes = to_mask(&set);
        let mut cursor = InterleaveCursor::from_parts(NodeId::new(prev), left);
        // Settle onto the mask first (drains the carried weight), then count one full cycle.
        let mut settle = 0;
        while cursor.il_weight() != 0 && settle < 300 {
            let _ = cursor.next_weighted(&nodes, &weights[..]);
            settle += 1;
        }
        let total: u64 = set.iter().map(|&n| u64::from(weights[n as usize])).sum();
        let mut counts = vec![0u64; MAX_NUMNODES];
        for _ in 0..total {
            let node = cursor.next_weighted(&nodes, &weights[..]).unwrap();
            prop_assert!(nodes.contains(node));
            counts[node.index()] += 1;
        }
        for &node in &set {
            prop_assert_eq!(counts[node as usize], u64::from(weights[node as usize]));
        }
    }
}

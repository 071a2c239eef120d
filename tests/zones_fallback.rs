//! Fallback orders and zonelists against the recorded Linux 6.12 machine, the reference's
//! test vectors, and properties over random topologies.

use std::collections::BTreeSet;

use mempolicy::gfp::{self, GfpFlags, ZoneType};
use mempolicy::topology::{Topology, TopologyBuilder};
use mempolicy::zonelist::{ZoneRef, ZonelistConfig, ZonelistKind, ZonelistOrder, Zonelists};
use mempolicy::{NodeId, NodeMask};
use proptest::prelude::*;

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn orders(lists: &Zonelists, nodes: usize) -> Vec<Vec<u32>> {
    (0..nodes)
        .map(|i| {
            lists
                .fallback_order(n(i))
                .unwrap()
                .iter()
                .map(|n| n.as_u32())
                .collect()
        })
        .collect()
}

#[test]
fn recorded_four_node_machine() {
    // results/smoke.out: "# node0 fallback=0 2 1 3" and so on.
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build(&topo);
    assert_eq!(
        orders(&lists, 4),
        [[0, 2, 1, 3], [1, 3, 0, 2], [2, 0, 3, 1], [3, 1, 2, 0]]
    );
    // One Normal zone per node: the zonelist is the node order.
    let list = lists.zonelist(n(1), ZonelistKind::Fallback).unwrap();
    let nodes: Vec<u32> = list
        .iter(ZoneType::Movable, None)
        .map(|z| z.node().as_u32())
        .collect();
    assert_eq!(nodes, [1, 3, 0, 2]);
}

#[test]
fn cpu_penalty_does_not_change_the_recorded_lists() {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build_with(&topo, ZonelistConfig::LINUX.with_cpu_penalty(1));
    assert_eq!(
        orders(&lists, 4),
        [[0, 2, 1, 3], [1, 3, 0, 2], [2, 0, 3, 1], [3, 1, 2, 0]]
    );
}

#[test]
fn equidistant_pairs_take_turns() {
    // The test vector of Linux's "accumulate node_load" fix to `build_zonelists`.
    let spec = "nodes=4 cpus=0 dist=10,12,32,32/12,10,32,32/32,32,10,12/32,32,12,10";
    let lists = Zonelists::build(&Topology::from_nodes_spec(spec).unwrap());
    assert_eq!(
        orders(&lists, 4),
        [[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]]
    );
}

#[test]
fn memoryless_node_one() {
    // Recorded: node 1 memoryless → "# node1 fallback=3 0 2", in no other list.
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256,0,256,256").unwrap();
    let lists = Zonelists::build(&topo);
    let all = orders(&lists, 4);
    assert_eq!(all[1], [3, 0, 2]);
    for (node, order) in all.iter().enumerate() {
        assert!(!order.contains(&1), "node {node}: {order:?}");
    }
    assert!(lists
        .zonelist(n(1), ZonelistKind::NoFallback)
        .unwrap()
        .is_empty());
    assert_eq!(lists.local_memory_node(n(1)), Some(n(3)));
}

#[test]
fn memoryless_node_zero() {
    // Recorded: node 0 memoryless → "# node0 fallback=2 1 3".
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=0,256,256,256").unwrap();
    let lists = Zonelists::build(&topo);
    assert_eq!(orders(&lists, 4)[0], [2, 1, 3]);
    assert_eq!(lists.local_memory_node(n(0)), Some(n(2)));
}

/// Node 0: 16 MiB DMA, ~4 GiB DMA32, ~4 GiB Normal; node 1: ~8 GiB Normal.
fn pc_with_low_memory() -> Topology {
    TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .cpu(0, n(0))
        .cpu(1, n(1))
        .zone(n(0), ZoneType::Dma, 4_096)
        .zone(n(0), ZoneType::Dma32, 1_000_000)
        .zone(n(0), ZoneType::Normal, 1_000_000)
        .zone(n(1), ZoneType::Normal, 2_000_000)
        .distances(&[10, 21, 21, 10])
        .build()
        .unwrap()
}

fn entries(lists: &Zonelists, node: usize, highest: ZoneType) -> Vec<(u32, ZoneType)> {
    let list = lists.zonelist(n(node), ZonelistKind::Fallback).unwrap();
    list.iter(highest, None)
        .map(|z| (z.node().as_u32(), z.zone()))
        .collect()
}

#[test]
fn node_order_lists_with_low_zones() {
    use ZoneType::*;
    let lists = Zonelists::build(&pc_with_low_memory());
    assert_eq!(lists.order(), ZonelistOrder::Node);
    assert_eq!(
        entries(&lists, 0, Movable),
        [(0, Normal), (0, Dma32), (0, Dma), (1, Normal)]
    );
    assert_eq!(
        entries(&lists, 1, Movable),
        [(1, Normal), (0, Normal), (0, Dma32), (0, Dma)]
    );
    assert_eq!(entries(&lists, 1, Dma32), [(0, Dma32), (0, Dma)]);
    let own = lists
        .node_zonelist(n(0), GfpFlags::GFP_DMA | GfpFlags::THISNODE)
        .unwrap();
    let highest = gfp::zone_for(GfpFlags::GFP_DMA).unwrap();
    assert_eq!(own.first_zone(highest, None), Some(ZoneRef::new(n(0), Dma)));
    assert_eq!(own.len(), 3);
}

#[test]
fn zone_order_lists_keep_low_memory_for_last() {
    use ZoneType::*;
    let topo = pc_with_low_memory();
    assert_eq!(ZonelistOrder::Default.resolve(&topo), ZonelistOrder::Zone);
    for order in [ZonelistOrder::Zone, ZonelistOrder::Default] {
        let lists = Zonelists::build_with(&topo, ZonelistConfig::LINUX.with_order(order));
        assert_eq!(lists.order(), ZonelistOrder::Zone);
        assert_eq!(
            entries(&lists, 0, Movable),
            [(0, Normal), (1, Normal), (0, Dma32), (0, Dma)]
        );
        assert_eq!(
            entries(&lists, 1, Movable),
            [(1, Normal), (0, Normal), (0, Dma32), (0, Dma)]
        );
        assert_eq!(entries(&lists, 0, Dma32), [(0, Dma32), (0, Dma)]);
        let mask = NodeMask::from_node(n(1));
        let list = lists.zonelist(n(0), ZonelistKind::Fallback).unwrap();
        assert_eq!(
            list.first_zone(Normal, Some(&mask)),
            Some(ZoneRef::new(n(1), Normal))
        );
        assert_eq!(list.first_zone(Dma32, Some(&mask)), None);
    }
}

/// A random machine: per node, an optional CPU and a subset of {DMA32, Normal, Movable}
/// (a node with neither gets a CPU), and a random SLIT.
fn arb_topology() -> impl Strategy<Value = Topology> {
    (1usize..=8).prop_flat_map(|nodes| {
        let node = (any::<bool>(), 0u8..8);
        let dist = proptest::collection::vec(11u8..=255, nodes * nodes);
        (proptest::collection::vec(node, nodes), dist).prop_map(move |(desc, mut dist)| {
            for i in 0..nodes {
                dist[i * nodes + i] = 10;
            }
            let mut b = TopologyBuilder::new().distances(&dist);
            let mut cpu = 0;
            for (i, &(has_cpu, zones)) in desc.iter().enumerate() {
                b = b.online(n(i));
                if has_cpu || zones == 0 {
                    b = b.cpu(cpu, n(i));
                    cpu += 1;
                }
                for (bit, zone) in [
                    (1, ZoneType::Dma32),
                    (2, ZoneType::Normal),
                    (4, ZoneType::Movable),
                ] {
                    if zones & bit != 0 {
                        b = b.zone(n(i), zone, 1000 * u64::from(bit));
                    }
                }
            }
            b.build().unwrap()
        })
    })
}

fn arb_order() -> impl Strategy<Value = ZonelistOrder> {
    prop_oneof![
        Just(ZonelistOrder::Node),
        Just(ZonelistOrder::Zone),
        Just(ZonelistOrder::Default)
    ]
}

proptest! {
    #[test]
    fn fallback_lists_are_permutations_of_memory_nodes(
        topo in arb_topology(),
        order in arb_order(),
        penalty in 0u32..3,
    ) {
        let config = ZonelistConfig::LINUX.with_order(order).with_cpu_penalty(penalty);
        let lists = Zonelists::build_with(&topo, config);
        let memory: BTreeSet<NodeId> = topo.memory_nodes().iter().collect();
        let populated: BTreeSet<(NodeId, ZoneType)> = memory
            .iter()
            .flat_map(|&node| topo.populated_zones(node).map(move |z| (node, z)))
            .collect();
        for local in topo.possible_nodes() {
            let fallback = lists.fallback_order(local).unwrap();
            let as_set: BTreeSet<NodeId> = fallback.iter().copied().collect();
            prop_assert_eq!(as_set.len(), fallback.len());
            prop_assert_eq!(&as_set, &memory);
            if memory.contains(&local) {
                prop_assert_eq!(fallback.first(), Some(&local));
            }
            let list = lists.zonelist(local, ZonelistKind::Fallback).unwrap();
            let refs: BTreeSet<(NodeId, ZoneType)> =
                list.as_slice().iter().map(|z| (z.node(), z.zone())).collect();
            prop_assert_eq!(refs.len(), list.len());
            prop_assert_eq!(&refs, &populated);
            let rank = |node: NodeId| fallback.iter().position(|&m| m == node);
            for pair in list.as_slice().windows(2) {
                let (a, b) = (pair[0], pair[1]);
                match lists.order() {
                    ZonelistOrder::Zone => prop_assert!(a.zone() > b.zone() || (a.zone() == b.zone() && rank(a.node()) < rank(b.node()))),
                    _ => prop_assert!(rank(a.node()) < rank(b.node()) || (a.node() == b.node() && a.zone() > b.zone())),
                }
            }
            let own = lists.zonelist(local, ZonelistKind::NoFallback).unwrap();
            prop_assert!(own.as_slice().iter().all(|z| z.node() == local));
            prop_assert_eq!(own.len(), topo.populated_zones(local).count());
        }
    }

    #[test]
    fn walks_match_a_filter_over_the_list(
        topo in arb_topology(),
        order in arb_order(),
        mask_bits in any::<u8>(),
        masked in any::<bool>(),
        highest in 0usize..5,
    ) {
        let lists = Zonelists::build_with(&topo, ZonelistConfig::LINUX.with_order(order));
        let mask = NodeMask::from_u64(u64::from(mask_bits));
        let mask = masked.then_some(&mask);
        let highest = ZoneType::from_index(highest).unwrap();
        for local in topo.possible_nodes() {
            for kind in [ZonelistKind::Fallback, ZonelistKind::NoFallback] {
                let list = lists.zonelist(local, kind).unwrap();
                let model: Vec<ZoneRef> = list
                    .as_slice()
                    .iter()
                    .copied()
                    .filter(|z| z.zone() <= highest && mask.is_none_or(|m| m.contains(z.node())))
                    .collect();
                let walked: Vec<ZoneRef> = list.iter(highest, mask).collect();
                prop_assert_eq!(&walked, &model);
                prop_assert_eq!(list.first_zone(highest, mask), model.first().copied());
                for start in 0..=list.len() {
                    let from: Vec<ZoneRef> = list.iter_from(start, highest, mask).collect();
                    let expected: Vec<ZoneRef> = list.as_slice()[start..]
                        .iter()
                        .copied()
                        .filter(|z| model.contains(z))
                        .collect();
                    prop_assert_eq!(from, expected);
                }
            }
        }
    }
}

/// Linux's `build_zonelists()` node loop, transcribed literally (one `find_next_best_node()`
/// scan per step), for every possible node in order with one shared `node_load`.
fn linux_orders(topo: &Topology, penalty: u64) -> Vec<Vec<NodeId>> {
    let mut node_load = vec![0u64; topo.nr_node_ids()];
    let mut all = Vec::new();
    for local in topo.possible_nodes() {
        let mut used = NodeMask::new();
        let mut order = Vec::new();
        let mut prev = local;
        loop {
            let next = if !used.contains(local) && topo.memory_nodes().contains(local) {
                Some(local)
            } else {
                let mut best: Option<(u64, NodeId)> = None;
                for n in topo.memory_nodes() {
                    if used.contains(n) {
                        continue;
                    }
                    let mut val = u64::from(topo.distance(local, n)) + u64::from(n < local);
                    if topo.cpu_nodes().contains(n) {
                        val += penalty;
                    }
                    val = val * mempolicy::MAX_NUMNODES as u64 + node_load[n.index()];
                    if best.is_none_or(|(min, _)| val < min) {
                        best = Some((val, n));
                    }
                }
                best.map(|(_, n)| n)
            };
            let Some(node) = next else { break };
            used.insert(node);
            if topo.distance(local, node) != topo.distance(local, prev) {
                node_load[node.index()] += 1;
            }
            order.push(node);
            prev = node;
        }
        all.push(order);
    }
    all
}

/// Random SLITs drawn from few values, so that ties (and `node_load`) matter.
fn arb_tied_topology() -> impl Strategy<Value = Topology> {
    (1usize..=10).prop_flat_map(|nodes| {
        let dist = proptest::collection::vec(
            prop_oneof![Just(12u8), Just(20), Just(21), Just(32)],
            nodes * nodes,
        );
        let mem = proptest::collection::vec(any::<bool>(), nodes);
        (dist, mem).prop_map(move |(mut dist, mem)| {
            for i in 0..nodes {
                dist[i * nodes + i] = 10;
            }
            let mut b = TopologyBuilder::new().distances(&dist);
            for (i, &has_mem) in mem.iter().enumerate() {
                b = b.online(n(i));
                if has_mem {
                    b = b.zone(n(i), ZoneType::Normal, 100);
                }
                if !has_mem || i % 3 == 0 {
                    b = b.cpu(i as u32, n(i));
                }
            }
            b.build().unwrap()
        })
    })
}

proptest! {
    #[test]
    fn sorted_order_equals_linux_scan(topo in arb_tied_topology(), penalty in 0u32..2) {
        let lists = Zonelists::build_with(&topo, ZonelistConfig::LINUX.with_cpu_penalty(penalty));
        let expected = linux_orders(&topo, u64::from(penalty));
        for (local, want) in topo.possible_nodes().iter().zip(expected) {
            prop_assert_eq!(lists.fallback_order(local).unwrap(), want.as_slice());
        }
    }
}

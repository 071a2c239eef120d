use alloc::vec::Vec;

use super::*;
use crate::error::Error;
use crate::gfp::{GfpFlags, ZoneType};
use crate::nodemask::{NodeId, NodeMask};
use crate::topology::{Topology, TopologyBuilder};

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn refs(list: &[(usize, ZoneType)]) -> Vec<ZoneRef> {
    list.iter()
        .map(|&(node, zone)| ZoneRef::new(n(node), zone))
        .collect()
}

fn walk(list: &Zonelist, highest: ZoneType, mask: Option<&NodeMask>) -> Vec<(u32, ZoneType)> {
    list.iter(highest, mask)
        .map(|z| (z.node().as_u32(), z.zone()))
        .collect()
}

#[test]
fn walk_filters_by_zone_and_skips_masked_nodes() {
    use ZoneType::*;
    let list = Zonelist::from_refs(refs(&[
        (0, Movable),
        (0, Normal),
        (0, Dma32),
        (1, Normal),
        (2, Movable),
        (2, Dma),
    ]));
    assert_eq!(walk(&list, Movable, None).len(), 6);
    assert_eq!(
        walk(&list, Normal, None),
        [(0, Normal), (0, Dma32), (1, Normal), (2, Dma)]
    );
    assert_eq!(walk(&list, Dma32, None), [(0, Dma32), (2, Dma)]);
    assert_eq!(walk(&list, Dma, None), [(2, Dma)]);
    let mask: NodeMask = "1-2".parse().unwrap();
    assert_eq!(
        walk(&list, Movable, Some(&mask)),
        [(1, Normal), (2, Movable), (2, Dma)]
    );
    assert_eq!(walk(&list, Dma32, Some(&mask)), [(2, Dma)]);
    assert_eq!(walk(&list, Movable, Some(&NodeMask::new())), []);
    assert!(list
        .first_zone(Dma, Some(&NodeMask::from_node(n(0))))
        .is_none());
}

#[test]
fn iteration_resumes_from_a_position() {
    use ZoneType::*;
    let list = Zonelist::from_refs(refs(&[(0, Normal), (1, Normal), (2, Normal)]));
    let mut it = list.iter(Normal, None);
    assert_eq!(it.next().map(|z| z.node()), Some(n(0)));
    let pos = it.position();
    assert_eq!(pos, 1);
    let rest: Vec<_> = list
        .iter_from(pos, Normal, None)
        .map(|z| z.node().as_u32())
        .collect();
    assert_eq!(rest, [1, 2]);
    assert_eq!(list.iter_from(99, Normal, None).next(), None);
    let mut done = list.iter(Normal, None);
    done.by_ref().for_each(drop);
    assert_eq!(done.position(), 3);
    assert_eq!(done.next(), None);
}

#[test]
fn empty_list_has_no_zone() {
    let list = Zonelist::from_refs(Vec::new());
    assert!(list.is_empty());
    assert_eq!(list.first_zone(ZoneType::Movable, None), None);
}

#[test]
fn sysctl_order_parses_like_linux_before_4_14() {
    assert_eq!(
        ZonelistOrder::from_sysctl("default"),
        Ok(ZonelistOrder::Default)
    );
    assert_eq!(ZonelistOrder::from_sysctl("Node"), Ok(ZonelistOrder::Node));
    assert_eq!(ZonelistOrder::from_sysctl("zone"), Ok(ZonelistOrder::Zone));
    assert_eq!(ZonelistOrder::from_sysctl("x"), Err(Error::Parse(0)));
    assert_eq!(ZonelistOrder::from_sysctl(""), Err(Error::Parse(0)));
}

/// Two nodes: node 0 with `dma`, `dma32` and `normal` pages, node 1 with `normal1`.
fn low_high(dma: u64, dma32: u64, normal: u64, normal1: u64) -> Topology {
    TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .zone(n(0), ZoneType::Dma, dma)
        .zone(n(0), ZoneType::Dma32, dma32)
        .zone(n(0), ZoneType::Normal, normal)
        .zone(n(1), ZoneType::Normal, normal1)
        .build()
        .unwrap()
}

#[test]
fn default_order_follows_the_old_heuristic() {
    let resolve = |t: &Topology| ZonelistOrder::Default.resolve(t);
    // Small low memory on balanced nodes: zone order.
    assert_eq!(
        resolve(&low_high(4_000, 100_000, 1_000_000, 1_100_000)),
        ZonelistOrder::Zone
    );
    // No low memory at all: node order.
    assert_eq!(
        resolve(&low_high(0, 0, 1_000_000, 1_000_000)),
        ZonelistOrder::Node
    );
    // Low memory above half of everything: node order.
    assert_eq!(
        resolve(&low_high(4_000, 600_000, 100_000, 100_000)),
        ZonelistOrder::Node
    );
    // Node 0 is larger than average and more than 70% low: node order.
    assert_eq!(
        resolve(&low_high(4_000, 300_000, 100_000, 400_000)),
        ZonelistOrder::Node
    );
    // A node without a Normal zone: node order.
    let memoryless = TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .zone(n(0), ZoneType::Dma32, 100)
        .zone(n(0), ZoneType::Normal, 1_000)
        .cpu(0, n(1))
        .build()
        .unwrap();
    assert_eq!(resolve(&memoryless), ZonelistOrder::Node);
    assert_eq!(
        ZonelistOrder::Zone.resolve(&memoryless),
        ZonelistOrder::Zone
    );
    let lists = Zonelists::build_with(
        &memoryless,
        ZonelistConfig::LINUX.with_order(ZonelistOrder::Default),
    );
    assert_eq!(lists.order(), ZonelistOrder::Node);
}

#[test]
fn cpu_penalty_prefers_headless_nodes() {
    // Node 0 sees nodes 1 and 2 at the same distance; node 1 has a CPU.
    let topo =
        Topology::from_nodes_spec("nodes=3 cpus=0,1 dist=10,20,20/20,10,20/20,20,10").unwrap();
    let order = |config| {
        let lists = Zonelists::build_with(&topo, config);
        lists
            .fallback_order(n(0))
            .unwrap()
            .iter()
            .map(|n| n.as_u32())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(ZonelistConfig::default()), [0, 1, 2]);
    let config = ZonelistConfig::default().with_cpu_penalty(1);
    assert_eq!(config.cpu_penalty(), 1);
    assert_eq!(config.order(), ZonelistOrder::Node);
    assert_eq!(order(config), [0, 2, 1]);
}

#[test]
fn thisnode_uses_the_nofallback_list() {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256,0,256,256").unwrap();
    let lists = Zonelists::build(&topo);
    let own = lists
        .node_zonelist(n(2), GfpFlags::GFP_KERNEL | GfpFlags::THISNODE)
        .unwrap();
    assert_eq!(own.as_slice(), [ZoneRef::new(n(2), ZoneType::Normal)]);
    let memoryless = lists.node_zonelist(n(1), GfpFlags::THISNODE).unwrap();
    assert!(memoryless.is_empty());
    assert_eq!(lists.local_memory_node(n(1)), Some(n(3)));
    assert_eq!(lists.local_memory_node(n(0)), Some(n(0)));
    assert_eq!(lists.local_memory_node(n(9)), None);
    assert!(lists.zonelist(n(4), ZonelistKind::Fallback).is_none());
    assert_eq!(lists.policy_zone(), ZoneType::Normal);
}

#[test]
fn apply_policy_zone_moves_to_movable_for_movable_only_nodes() {
    let topo = TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .zone(n(0), ZoneType::Dma32, 10)
        .zone(n(0), ZoneType::Normal, 10)
        .zone(n(1), ZoneType::Movable, 10)
        .build()
        .unwrap();
    let movable_only = NodeMask::from_node(n(1));
    assert!(!apply_policy_zone(&movable_only, ZoneType::Normal, &topo));
    assert!(apply_policy_zone(&movable_only, ZoneType::Movable, &topo));
    let both: NodeMask = "0-1".parse().unwrap();
    assert!(apply_policy_zone(&both, ZoneType::Normal, &topo));
    assert!(!apply_policy_zone(&both, ZoneType::Dma32, &topo));
}

/// `apply_policy_zone` against Linux's formula: the threshold is the policy zone when the
/// nodes meet `N_HIGH_MEMORY`, else `Movable`, and the zone is policied from the threshold up.
#[test]
fn apply_policy_zone_follows_the_threshold_formula() {
    let layouts: [&[(usize, ZoneType)]; 4] = [
        &[
            (0, ZoneType::Dma32),
            (0, ZoneType::Normal),
            (1, ZoneType::Movable),
        ],
        &[
            (0, ZoneType::Dma),
            (1, ZoneType::Dma32),
            (2, ZoneType::Movable),
        ],
        &[
            (0, ZoneType::Normal),
            (1, ZoneType::HighMem),
            (2, ZoneType::Movable),
        ],
        &[
            (0, ZoneType::Movable),
            (1, ZoneType::Movable),
            (2, ZoneType::Dma32),
        ],
    ];
    for layout in layouts {
        let mut builder = TopologyBuilder::new()
            .online(n(0))
            .online(n(1))
            .online(n(2));
        for &(node, zone) in layout {
            builder = builder.zone(n(node), zone, 10);
        }
        let topo = builder.build().unwrap();
        for bits in 0u64..8 {
            let mut nodes = NodeMask::new();
            for node in (0..3).filter(|i| bits & (1 << i) != 0) {
                nodes.insert(n(node));
            }
            for zone in ZoneType::ALL {
                let threshold = if nodes.intersects(topo.high_memory_nodes()) {
                    topo.policy_zone()
                } else {
                    ZoneType::Movable
                };
                assert_eq!(
                    apply_policy_zone(&nodes, zone, &topo),
                    zone >= threshold,
                    "{layout:?} {nodes} {zone:?}"
                );
            }
        }
    }
}

#[cfg(not(loom))]
#[test]
fn shared_zonelists_swap_whole_sets() {
    use crate::rcu::Domain;
    let domain = Domain::new();
    let mut reader = domain.register();
    let old = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256").unwrap();
    let new = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256,0").unwrap();
    let shared = SharedZonelists::new(Zonelists::build(&old), &domain);
    assert_eq!(
        shared.load(&reader).unwrap().fallback_order(n(1)).unwrap(),
        [n(1), n(0)]
    );
    shared.rebuild(&new, ZonelistConfig::LINUX);
    reader.quiescent();
    assert_eq!(
        shared.load(&reader).unwrap().fallback_order(n(1)).unwrap(),
        [n(0)]
    );
    shared.publish(Zonelists::build(&old));
    reader.quiescent();
    assert_eq!(shared.load(&reader).unwrap(), &Zonelists::build(&old));
    let stranger = Domain::new().register();
    assert!(shared.load(&stranger).is_none());
    assert!(alloc::format!("{shared:?}").starts_with("SharedZonelists"));
    assert!(shared.domain().owns(&reader));
}

#[test]
fn offline_possible_nodes_get_lists_too() {
    // Linux builds a zonelist for every possible node, so a hot-added node can allocate.
    let topo = TopologyBuilder::new()
        .possible("0-3".parse().unwrap())
        .online(n(0))
        .online(n(1))
        .zone(n(0), ZoneType::Normal, 10)
        .zone(n(1), ZoneType::Normal, 10)
        .build()
        .unwrap();
    let lists = Zonelists::build(&topo);
    // Equidistant nodes 0 and 1 take turns (node_load) across the lists of nodes 2 and 3.
    assert_eq!(lists.fallback_order(n(2)).unwrap(), [n(0), n(1)]);
    assert_eq!(lists.fallback_order(n(3)).unwrap(), [n(1), n(0)]);
    assert!(lists
        .zonelist(n(3), ZonelistKind::NoFallback)
        .unwrap()
        .is_empty());
    assert_eq!(lists.fallback_order(n(4)), None);
}

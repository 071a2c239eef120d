//! Topologies and zonelists at the largest node count the build supports (64, or 1024 with
//! the `nodes-1024` feature).

use mempolicy::gfp::ZoneType;
use mempolicy::topology::TopologyBuilder;
use mempolicy::zonelist::{ZonelistKind, Zonelists};
use mempolicy::{NodeId, MAX_NUMNODES};

#[test]
fn every_node_of_a_full_machine_gets_a_list() {
    let nodes = MAX_NUMNODES;
    let mut dist = vec![0u8; nodes * nodes];
    for i in 0..nodes {
        for j in 0..nodes {
            dist[i * nodes + j] = if i == j {
                10
            } else {
                (10 + i.abs_diff(j)).min(255) as u8
            };
        }
    }
    let mut b = TopologyBuilder::new().distances(&dist);
    for i in 0..nodes {
        let node = NodeId::new(i);
        b = b.online(node).zone(node, ZoneType::Normal, 256);
        if i % 2 == 0 {
            b = b.cpu(i as u32, node);
        }
    }
    let topo = b.build().unwrap();
    assert_eq!(topo.nr_node_ids(), nodes);
    let lists = Zonelists::build(&topo);
    for i in 0..nodes {
        let node = NodeId::new(i);
        let order = lists.fallback_order(node).unwrap();
        assert_eq!(order.len(), nodes);
        assert_eq!(order[0], node);
        // Distances grow with |i - j|, so the nearest neighbour comes next.
        if nodes > 1 {
            assert_eq!(order[1].index().abs_diff(i), 1);
        }
        assert_eq!(
            lists
                .zonelist(node, ZonelistKind::NoFallback)
                .unwrap()
                .len(),
            1
        );
    }
}

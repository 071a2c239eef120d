//! Walking a zonelist allocates nothing (a counting global allocator).

use mempolicy::gfp::{self, GfpFlags, ZoneType};
use mempolicy::topology::Topology;
use mempolicy::zonelist::{ZonelistKind, Zonelists};
use mempolicy::{NodeId, NodeMask};

mod counting_alloc;

use counting_alloc::allocations;

#[test]
fn walking_zonelists_allocates_nothing() {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build(&topo);
    let mask: NodeMask = "1,3".parse().unwrap();
    let before = allocations();
    let mut seen = 0usize;
    for node in 0..4 {
        let node = NodeId::new(node);
        for gfp in [
            GfpFlags::GFP_KERNEL,
            GfpFlags::GFP_HIGHUSER_MOVABLE,
            GfpFlags::GFP_KERNEL | GfpFlags::THISNODE,
        ] {
            let highest = gfp::zone_for(gfp).unwrap();
            let list = lists.node_zonelist(node, gfp).unwrap();
            seen += list.iter(highest, None).count();
            seen += list.iter(highest, Some(&mask)).count();
            seen += usize::from(list.first_zone(highest, Some(&mask)).is_some());
            seen += list.iter_from(1, ZoneType::Dma32, None).count();
        }
        seen += usize::from(lists.local_memory_node(node).is_some());
        seen += lists
            .zonelist(node, ZonelistKind::Fallback)
            .map_or(0, |l| l.len());
    }
    let after = allocations();
    assert_eq!(after - before, 0, "walks allocated");
    assert!(seen > 0);
}

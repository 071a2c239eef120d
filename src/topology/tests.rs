use super::*;
use crate::error::Error;
use crate::gfp::ZoneType;
use crate::nodemask::{NodeId, NodeMask};
use alloc::string::ToString;

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn two_nodes() -> TopologyBuilder {
    TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .zone(n(0), ZoneType::Normal, 100)
}

fn invalid(result: crate::Result<Topology>) -> &'static str {
    match result {
        Err(Error::InvalidTopology(why)) => why,
        other => panic!("expected InvalidTopology, got {other:?}"),
    }
}

#[test]
fn builder_rejects_inconsistent_input() {
    assert_eq!(invalid(TopologyBuilder::new().build()), "no online node");
    assert_eq!(
        invalid(
            TopologyBuilder::new()
                .possible(NodeMask::from_node(n(0)))
                .build()
        ),
        "no online node"
    );
    let possible = NodeMask::from_node(n(0));
    assert_eq!(
        invalid(two_nodes().possible(possible).build()),
        "an online node is not possible"
    );
    assert_eq!(
        invalid(two_nodes().cpu(0, n(2)).build()),
        "cpu on a node that is not online"
    );
    assert_eq!(
        invalid(two_nodes().cpu(MAX_CPUS as u32, n(0)).build()),
        "cpu number too large"
    );
    assert_eq!(
        invalid(two_nodes().cpu(3, n(0)).cpu(3, n(1)).build()),
        "cpu placed on two nodes"
    );
    assert_eq!(
        invalid(two_nodes().zone(n(5), ZoneType::Normal, 1).build()),
        "memory on a node that is not online"
    );
    let span = ZoneSpan {
        present_pages: 10,
        managed_pages: 11,
    };
    assert_eq!(
        invalid(two_nodes().zone_span(n(1), ZoneType::Dma, span).build()),
        "a zone manages more pages than it has"
    );
    assert_eq!(
        invalid(two_nodes().distances(&[10, 20, 20]).build()),
        "distance table size does not match nr_node_ids"
    );
    assert_eq!(
        invalid(two_nodes().distances(&[10, 20, 20, 11]).build()),
        "distance to self is not 10"
    );
    assert_eq!(
        invalid(two_nodes().distances(&[10, 10, 20, 10]).build()),
        "distance to another node is not above 10"
    );
    let coords = AccessCoordinates::default();
    assert_eq!(
        invalid(two_nodes().access(n(3), coords).build()),
        "access coordinates for a node that is not online"
    );
}

#[test]
fn same_cpu_twice_on_one_node_is_fine() {
    let topo = two_nodes().cpu(2, n(1)).cpu(2, n(1)).build().unwrap();
    assert_eq!(topo.node_of_cpu(2), Some(n(1)));
    assert_eq!(topo.node_of_cpu(0), None);
    assert_eq!(topo.node_of_cpu(3), None);
    assert_eq!(topo.nr_cpu_ids(), 3);
    assert_eq!(topo.cpus_of_node(n(1)).collect::<alloc::vec::Vec<_>>(), [2]);
}

#[test]
fn asymmetric_distances_are_kept() {
    let topo = two_nodes().distances(&[10, 12, 255, 10]).build().unwrap();
    assert_eq!(topo.distance(n(0), n(1)), 12);
    assert_eq!(topo.distance(n(1), n(0)), 255);
    assert_eq!(topo.distance(n(1), n(1)), 10);
}

#[test]
fn default_distances_are_local_and_remote() {
    let topo = two_nodes().build().unwrap();
    assert_eq!(topo.distance(n(0), n(0)), LOCAL_DISTANCE);
    assert_eq!(topo.distance(n(0), n(1)), REMOTE_DISTANCE);
    // Beyond the table: Linux's __node_distance fallback.
    assert_eq!(topo.distance(n(7), n(7)), 10);
    assert_eq!(topo.distance(n(0), n(7)), 20);
}

#[test]
fn nr_node_ids_counts_possible_nodes() {
    let possible: NodeMask = "0-5".parse().unwrap();
    let topo = two_nodes().possible(possible).build().unwrap();
    assert_eq!(topo.nr_node_ids(), 6);
    assert_eq!(topo.online_nodes().to_string(), "0-1");
    assert_eq!(topo.possible_nodes().to_string(), "0-5");
    // The distance table is sized by nr_node_ids, not by the online nodes.
    assert!(two_nodes()
        .possible(possible)
        .distances(&[10, 20, 20, 10])
        .build()
        .is_err());
}

#[test]
fn node_states_follow_the_zones() {
    let topo = TopologyBuilder::new()
        .online(n(0))
        .online(n(1))
        .online(n(2))
        .online(n(3))
        .zone(n(0), ZoneType::Dma, 4000)
        .zone(n(0), ZoneType::Normal, 1000)
        .zone(n(1), ZoneType::Movable, 1000)
        .zone(n(2), ZoneType::HighMem, 1000)
        .cpu(0, n(3))
        .access(
            n(1),
            AccessCoordinates {
                read_bandwidth: 5,
                ..Default::default()
            },
        )
        .build()
        .unwrap();
    assert_eq!(topo.memory_nodes().to_string(), "0-2");
    assert_eq!(topo.high_memory_nodes().to_string(), "0,2");
    assert_eq!(topo.normal_memory_nodes().to_string(), "0");
    assert_eq!(topo.cpu_nodes().to_string(), "3");
    assert_eq!(topo.policy_zone(), ZoneType::HighMem);
    assert_eq!(topo.present_pages(n(0)), 5000);
    assert_eq!(topo.present_pages(n(9)), 0);
    assert_eq!(
        topo.populated_zones(n(0)).collect::<alloc::vec::Vec<_>>(),
        [ZoneType::Normal, ZoneType::Dma]
    );
    assert_eq!(topo.access(n(1)).map(|a| a.read_bandwidth), Some(5));
    assert_eq!(topo.access(n(0)), None);
}

#[test]
fn policy_zone_ignores_movable_and_defaults_to_dma() {
    let movable_only = TopologyBuilder::new()
        .online(n(0))
        .zone(n(0), ZoneType::Movable, 1)
        .build();
    assert_eq!(movable_only.unwrap().policy_zone(), ZoneType::Dma);
    let dma32 = TopologyBuilder::new()
        .online(n(0))
        .zone(n(0), ZoneType::Dma32, 1)
        .build();
    assert_eq!(dma32.unwrap().policy_zone(), ZoneType::Dma32);
}

#[test]
fn spec_defaults_match_the_recorded_machine() {
    let topo = Topology::from_nodes_spec("").unwrap();
    assert_eq!(topo.nr_node_ids(), 4);
    assert_eq!(topo.cpu_nodes().to_string(), "0-1");
    assert_eq!(topo.memory_nodes().to_string(), "0-3");
    let row1: alloc::vec::Vec<u8> = (0..4).map(|j| topo.distance(n(1), n(j))).collect();
    assert_eq!(row1, [30, 10, 40, 20]);
    assert_eq!(topo.zone(n(2), ZoneType::Normal).present_pages, 256 * 256);
    let explicit = "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";
    assert_eq!(Topology::from_nodes_spec(explicit).unwrap(), topo);
    assert_eq!(
        Topology::from_nodes_spec("  # topology: accel=tcg").unwrap(),
        topo
    );
}

#[test]
fn spec_default_distance_grows_and_caps() {
    let topo = Topology::from_nodes_spec("nodes=3 cpus=0").unwrap();
    assert_eq!(topo.distance(n(0), n(2)), 30);
    assert_eq!(topo.distance(n(2), n(1)), 20);
    let topo = Topology::from_nodes_spec("nodes=30 cpus=0 mem=16").unwrap();
    assert_eq!(topo.distance(n(0), n(29)), 254);
}

#[test]
fn spec_memoryless_and_per_node_memory() {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256,0,128,64").unwrap();
    assert_eq!(topo.memory_nodes().to_string(), "0,2-3");
    assert_eq!(topo.online_nodes().to_string(), "0-3");
    assert_eq!(topo.present_pages(n(3)), 64 * 256);
}

#[test]
fn spec_rejects_what_run_sh_refuses() {
    let parse = |s: &str| Topology::from_nodes_spec(s);
    assert_eq!(parse("nodes=4 bogus=1"), Err(Error::Parse(8)));
    assert_eq!(parse("nodes"), Err(Error::Parse(0)));
    assert_eq!(parse("nodes=x"), Err(Error::Parse(6)));
    assert_eq!(parse("cpus=0,,1"), Err(Error::Parse(7)));
    assert_eq!(parse("nodes=99999999999"), Err(Error::NumberOverflow(6)));
    assert_eq!(parse("dist=10,20/2x,10 nodes=2"), Err(Error::Parse(11)));
    assert!(matches!(parse("nodes=0"), Err(Error::InvalidTopology(_))));
    assert!(matches!(parse("nodes=65"), Err(Error::InvalidTopology(_))));
    assert!(matches!(parse("cpus=1,0"), Err(Error::InvalidTopology(_))));
    assert!(matches!(parse("cpus=0,4"), Err(Error::InvalidTopology(_))));
    assert!(matches!(
        parse("mem=256,0,256,256 cpus=0"),
        Err(Error::InvalidTopology(_))
    ));
    assert!(matches!(parse("mem=8"), Err(Error::InvalidTopology(_))));
    assert!(matches!(parse("mem=1,2"), Err(Error::InvalidTopology(_))));
    assert!(matches!(
        parse("nodes=1 cpus=0 mem=32"),
        Err(Error::InvalidTopology(_))
    ));
    assert!(matches!(
        parse("nodes=2 dist=10,20/20,10/10"),
        Err(Error::InvalidTopology(_))
    ));
    assert!(matches!(
        parse("nodes=2 dist=10,256/20,10"),
        Err(Error::InvalidTopology(_))
    ));
    assert!(matches!(
        parse("nodes=2 dist=11,20/20,10"),
        Err(Error::InvalidTopology(_))
    ));
    assert!(matches!(
        parse("nodes=2 dist=10,9/20,10"),
        Err(Error::InvalidTopology(_))
    ));
}

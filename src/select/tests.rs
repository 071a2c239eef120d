//! Unit tests of the placement table of `policy_nodemask`.

use super::*;
use crate::gfp::{GfpFlags, ZoneType};
use crate::interleave::{InterleaveCursor, Uniform, NO_INTERLEAVE_INDEX};
use crate::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use crate::topology::Topology;
use crate::zonelist::{ZonelistKind, Zonelists};
use crate::{NodeId, NodeMask};

fn setup() -> (Topology, Zonelists, PolicyDefaults) {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build(&topo);
    (topo, lists, PolicyDefaults::new())
}

fn policy(topo: &Topology, mode: Mode, nodes: &str) -> Mempolicy {
    let ctx = NodeContext::unrestricted(*topo.memory_nodes());
    let nodes: NodeMask = nodes.parse().unwrap();
    Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx)
        .unwrap()
        .unwrap()
}

fn place(pol: &Mempolicy, gfp: GfpFlags, ilx: u64, node: u32) -> Placement<'_> {
    let (topo, lists, defaults) = setup();
    let globals = Globals::new(&topo, &lists, &defaults, &Uniform);
    let mut cursor = InterleaveCursor::new();
    let node = NodeId::new(node as usize);
    policy_nodemask(pol, gfp, ilx, node, &mut cursor, None, &globals).unwrap()
}

#[test]
fn every_mode_fills_the_placement_like_policy_nodemask() {
    let (topo, _, _) = setup();
    let gfp = GfpFlags::GFP_KERNEL;
    let nodes: NodeMask = "1-2".parse().unwrap();

    let pol = policy(&topo, Mode::Preferred, "3");
    let p = place(&pol, gfp, 0, 0);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(3), None));

    let pol = policy(&topo, Mode::PreferredMany, "1-2");
    let p = place(&pol, gfp, 0, 0);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(0), Some(&nodes)));
    assert!(p.is_preferred_many());

    let pol = policy(&topo, Mode::Bind, "1-2");
    let p = place(&pol, gfp, 0, 0);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(0), Some(&nodes)));
    assert!(!p.is_preferred_many());

    let pol = policy(&topo, Mode::Interleave, "1-2");
    let p = place(&pol, gfp, 3, 0);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(2), None));
    assert!(p.is_interleave());

    let pol = policy(&topo, Mode::WeightedInterleave, "1-2");
    let p = place(&pol, gfp, 4, 0);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(1), None));

    let pol = policy(&topo, Mode::Local, "");
    let p = place(&pol, gfp, 0, 1);
    assert_eq!((p.node(), p.nodemask()), (NodeId::new(1), None));
    assert_eq!(
        (p.kind(), p.highest_zone()),
        (ZonelistKind::Fallback, ZoneType::Normal)
    );
}

#[test]
fn the_zone_and_list_come_from_the_gfp_flags() {
    let (topo, _, _) = setup();
    let local = policy(&topo, Mode::Local, "");
    let p = place(
        &local,
        GfpFlags::GFP_HIGHUSER_MOVABLE | GfpFlags::THISNODE,
        0,
        0,
    );
    assert_eq!(
        (p.kind(), p.highest_zone()),
        (ZonelistKind::NoFallback, ZoneType::Movable)
    );
    assert_eq!(p.mode(), Mode::Local);
}

#[test]
fn home_node_overrides_the_cpu_node_for_bind_and_preferred_many() {
    let (topo, _, _) = setup();
    for mode in [Mode::Bind, Mode::PreferredMany] {
        let mut pol = policy(&topo, mode, "0-3");
        pol.set_home_node(Some(NodeId::new(2)));
        let p = place(&pol, GfpFlags::GFP_KERNEL, NO_INTERLEAVE_INDEX, 0);
        assert_eq!(p.node(), NodeId::new(2), "{mode:?}");
    }
}

#[test]
fn bind_with_thisnode_keeps_a_bound_home_node() {
    let (topo, _, _) = setup();
    let mut pol = policy(&topo, Mode::Bind, "1-3");
    pol.set_home_node(Some(NodeId::new(3)));
    let p = place(&pol, GfpFlags::GFP_KERNEL | GfpFlags::THISNODE, 0, 0);
    assert_eq!(p.node(), NodeId::new(3));
    pol.set_home_node(Some(NodeId::new(0)));
    let p = place(&pol, GfpFlags::GFP_KERNEL | GfpFlags::THISNODE, 0, 0);
    assert_eq!(p.node(), NodeId::new(1));
}

#[test]
fn the_zone_table_agrees_with_gfp_zone_for() {
    for bits in 0..32u32 {
        let gfp = GfpFlags::from_bits_retain(bits | 0x8000_0000);
        assert_eq!(
            super::pick::highest_zone(gfp),
            crate::gfp::zone_for(gfp),
            "{bits:#x}"
        );
    }
}

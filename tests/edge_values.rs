//! No panic is reachable from the public API. Every entry point is driven with edge
//! values (0, 1, `MAX_NUMNODES - 1`, `MAX_NUMNODES`, `u64::MAX`, `i32::MIN`/`MAX`, empty and
//! full masks, empty and garbage strings) and must return a value or an error. The tests run
//! with overflow checks on, so an arithmetic overflow is a panic too. Where the answer is
//! obvious it is asserted; elsewhere the call returning at all is the assertion.
//!
//! Runs at both node counts (`cargo test` and `cargo test --features nodes-1024`).

use std::sync::Arc;

use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, MbindArgs, SharedObject, SharedPolicy, SystemNodes, Task,
};
use mempolicy::gfp::{self, GfpFlags, ZoneConfig, ZoneType};
use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, InterleaveMode, Uniform};
use mempolicy::policy::{
    boot_interleave_nodes, parse_mpol, Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults,
};
use mempolicy::rcu::Domain;
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::{AccessCoordinates, Topology, TopologyBuilder, ZoneSpan};
use mempolicy::weights::{self, WeightTable};
use mempolicy::zonelist::{
    self, SharedZonelists, ZoneRef, Zonelist, ZonelistConfig, ZonelistKind, ZonelistOrder,
    Zonelists,
};
use mempolicy::{Error, Linux, NodeId, NodeMask, Result, MAX_NUMNODES};
use proptest::prelude::*;

const MAX: u64 = MAX_NUMNODES as u64;

/// The integer edges every `u64` argument is tried with.
const U64_EDGES: [u64; 16] = [
    0,
    1,
    2,
    63,
    64,
    65,
    MAX - 1,
    MAX,
    MAX + 1,
    4096,
    4097,
    i32::MAX as u64,
    u32::MAX as u64,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
];

/// The edges every `i32` argument is tried with.
const I32_EDGES: [i32; 12] = [
    i32::MIN,
    i32::MIN + 1,
    -1,
    0,
    1,
    6,
    7,
    0x2000,
    0x4000,
    0x8000,
    0xe006,
    i32::MAX,
];

/// Hostile text for every parser.
const GARBAGE: [&str; 28] = [
    "",
    " ",
    ",",
    ",,",
    "-",
    ":",
    "/",
    "=",
    "\0",
    "\n",
    "N",
    "all",
    "ALL:1/2",
    "0-",
    "-1",
    "0-N:0/0",
    "0-N:5/3",
    "0-N:1/4294967295",
    "4294967295",
    "4294967296",
    "99999999999999999999999",
    "0-1023:2/256",
    "1-0",
    "0,\u{fffd}",
    "\u{fffd}\u{fffd}",
    "prefer:,",
    "bind=static|relative:0",
    "weighted interleave=relative:N",
];

fn node_edges() -> [NodeId; 4] {
    [
        NodeId::new(0),
        NodeId::new(1),
        NodeId::new(MAX_NUMNODES / 2),
        NodeId::MAX,
    ]
}

fn mask_edges() -> [NodeMask; 5] {
    [
        NodeMask::new(),
        NodeMask::full(),
        NodeMask::from_node(NodeId::MAX),
        NodeMask::from_u64(u64::MAX),
        NodeMask::first_n(4),
    ]
}

fn all_words() -> NodeMask {
    let mut words = *NodeMask::new().as_words();
    words.fill(u64::MAX);
    NodeMask::from_words(words)
}

fn four_nodes() -> Topology {
    Topology::from_nodes_spec("nodes=4 cpus=0,1,3 mem=256,256,256,0").unwrap()
}

// ---------------------------------------------------------------------------------------
// NodeId, NodeMask

#[test]
fn node_ids_are_checked() {
    for raw in U64_EDGES {
        assert_eq!(NodeId::try_new(raw).is_ok(), raw < MAX, "{raw}");
        assert_eq!(
            NodeId::try_from(raw as u32).is_ok(),
            u64::from(raw as u32) < MAX
        );
        assert_eq!(NodeId::try_from(raw as usize).is_ok(), raw < MAX);
    }
    assert_eq!(NodeId::try_new(MAX), Err(Error::InvalidNode(MAX)));
    assert_eq!(NodeId::MAX.index(), MAX_NUMNODES - 1);
}

#[test]
fn mask_constructors_and_queries_take_every_edge() {
    assert_eq!(all_words(), NodeMask::full());
    assert_eq!(NodeMask::full().weight(), MAX_NUMNODES);
    for raw in U64_EDGES {
        let n = raw as usize;
        let mask = NodeMask::first_n(n);
        assert_eq!(mask.weight(), n.min(MAX_NUMNODES));
        for m in mask_edges() {
            let _ = m.next_from(n);
            let _ = m.nth(n);
            let _ = m.complement(n);
            let _ = m.fold(n);
            assert!(!m.contains_raw(raw) || raw < MAX);
        }
    }
    for m in mask_edges() {
        for node in node_edges() {
            let _ = (
                m.next(node),
                m.next_in(node),
                m.position(node),
                m.contains(node),
            );
            let _ = (
                m.with(node),
                node.remap(&m, &NodeMask::new()),
                node.remap(&m, &m),
            );
        }
        let _ = (m.first(), m.last(), m.iter().len(), m.to_string());
        assert_eq!(m.to_string().parse::<NodeMask>(), Ok(m));
        for other in mask_edges() {
            let _ = (
                m.and(&other),
                m.or(&other),
                m.xor(&other),
                m.and_not(&other),
            );
            let _ = (m.is_subset(&other), m.intersects(&other));
            let _ = (m.onto(&other), m.relative_to(&other), m.remap(&other, &m));
            let _ = m.remap(&NodeMask::new(), &other);
        }
        assert!(m.onto(&NodeMask::new()).is_empty());
        assert!(m.relative_to(&NodeMask::new()).is_empty());
        assert!(m.fold(0).is_empty());
    }
    assert_eq!(NodeMask::new().next_in(NodeId::MAX), None);
}

#[test]
fn nodelist_parser_rejects_garbage() {
    for text in GARBAGE {
        let _ = NodeMask::parse_list(text);
        let _ = text.parse::<NodeMask>();
    }
    assert!(NodeMask::parse_list("").is_ok_and(|m| m.is_empty()));
    assert_eq!(
        NodeMask::parse_list("4294967296"),
        Err(Error::NumberOverflow(0))
    );
    assert!(matches!(NodeMask::parse_list("-"), Err(Error::Parse(_))));
    assert_eq!(NodeMask::parse_list("all"), Ok(NodeMask::full()));
    let beyond = format!("{MAX}");
    assert_eq!(
        NodeMask::parse_list(&beyond),
        Err(Error::NodeOutOfRange(MAX))
    );
}

#[test]
fn user_nodemasks_take_every_maxnode() {
    let ones = [u64::MAX; 20];
    let zeros = [0u64; 20];
    for maxnode in U64_EDGES {
        for words in [None, Some(&[][..]), Some(&ones[..]), Some(&zeros[..])] {
            let _ = NodeMask::from_user_slice(words, maxnode);
        }
        let failing = |i: usize| -> Result<u64> { Err(Error::Fault(i as u64)) };
        let _ = NodeMask::from_user(Some(failing), maxnode);
        for nr_node_ids in [0, 1, MAX_NUMNODES, MAX_NUMNODES + 1, usize::MAX] {
            let mut out = [0u64; 20];
            let _ = NodeMask::full().to_user_slice(&mut out, maxnode, nr_node_ids);
            let _ = NodeMask::full().to_user_slice(&mut [], maxnode, nr_node_ids);
            let _ =
                NodeMask::full().to_user(maxnode, nr_node_ids, |i, _| Err(Error::Fault(i as u64)));
        }
    }
    assert!(matches!(
        NodeMask::from_user_slice(Some(&ones), u64::MAX),
        Err(Error::MaxnodeTooLarge(u64::MAX))
    ));
    // Linux's `--maxnode` wraps 0 to `ULONG_MAX`, which is too large; 1 reads no bits.
    assert_eq!(
        NodeMask::from_user_slice(Some(&ones), 0),
        Err(Error::MaxnodeTooLarge(0))
    );
    assert_eq!(
        NodeMask::from_user_slice(Some(&ones), 1),
        Ok(NodeMask::new())
    );
}

// ---------------------------------------------------------------------------------------
// Policies

fn contexts() -> [NodeContext; 3] {
    [
        NodeContext::unrestricted(NodeMask::full()),
        NodeContext::new(NodeMask::new(), NodeMask::full()),
        NodeContext::new(NodeMask::from_node(NodeId::MAX), NodeMask::first_n(4)),
    ]
}

#[test]
fn policies_from_every_raw_mode() {
    for raw in I32_EDGES {
        let _ = Mempolicy::sanitize_mode(raw);
        for nodes in mask_edges() {
            for ctx in contexts() {
                if let Ok(Some(mut pol)) = Mempolicy::from_raw(raw, &nodes, &ctx) {
                    for mems in mask_edges() {
                        pol.rebind(&mems);
                        let _ = (
                            pol.to_string(),
                            pol.user_visible_nodes(),
                            pol.contextualize(&ctx),
                        );
                    }
                }
            }
        }
    }
    assert_eq!(
        Mempolicy::sanitize_mode(i32::MIN),
        Err(Error::UnknownMode(i32::MIN))
    );
}

#[test]
fn policies_from_every_mode_and_flag_combination() {
    for mode in Mode::ALL {
        // The three mode flags and an unknown bit, in every combination.
        for bits in 0..16u16 {
            let flags = ModeFlags::from_bits_retain((bits << 12) | (bits & 1));
            for nodes in mask_edges() {
                for ctx in contexts() {
                    let Ok(Some(mut pol)) = Mempolicy::create(mode, flags, &nodes, &ctx) else {
                        continue;
                    };
                    pol.set_home_node(Some(NodeId::MAX));
                    pol.rebind(&NodeMask::new());
                    assert!(pol.is_equal(&pol.clone()));
                }
            }
        }
    }
}

#[test]
fn mount_option_parser_rejects_garbage() {
    for memory in [NodeMask::new(), NodeMask::full()] {
        for text in GARBAGE {
            let _ = parse_mpol(text, &memory);
        }
        for mode in [
            "default",
            "prefer",
            "bind",
            "interleave",
            "local",
            "prefer (many)",
        ] {
            for tail in [
                "",
                ":",
                ":,",
                ":N",
                ":all",
                "=static",
                "=relative:",
                "=:0",
                ":0-",
            ] {
                let _ = parse_mpol(&format!("{mode}{tail}"), &memory);
            }
        }
    }
    // CVE-2020-11565's input (more in tests/cve_regressions.rs).
    assert!(parse_mpol("prefer:,", &NodeMask::full()).is_err());
}

#[test]
fn boot_policies_take_every_node() {
    let defaults = PolicyDefaults::new();
    let early = PolicyDefaults::early_boot();
    for node in node_edges() {
        assert!(defaults.preferred_node_policy(node).is_some());
        assert!(early.preferred_node_policy(node).is_none());
        let _ = defaults.get_task_policy(None, Some(node));
    }
    for memory in mask_edges() {
        let _ = boot_interleave_nodes(&memory, |_| u64::MAX);
        let _ = boot_interleave_nodes(&memory, |_| 0);
    }
}

// ---------------------------------------------------------------------------------------
// Weights

#[test]
fn weight_table_takes_every_value() {
    for memory in mask_edges() {
        let table = WeightTable::new(memory);
        assert_eq!(table.set_auto(true), Err(Error::NoBandwidth));
        for node in node_edges() {
            assert_eq!(table.set_weight(node, 0), Err(Error::InvalidWeight(0)));
            assert!(table.set_weight(node, u8::MAX).is_ok());
            for bw in U64_EDGES {
                assert!(table.set_node_bandwidth(node, bw, u64::MAX).is_ok());
            }
            let _ = table.show_node(node);
            for text in GARBAGE
                .iter()
                .chain(&["0", "256", "-1", "0x10", "+1\n", "1 "])
            {
                let _ = table.store_node(node, text);
                let _ = table.store_auto(text);
                for linux in Linux::ALL {
                    let _ = weights::parse_weight(text, linux);
                }
                let _ = weights::parse_bool(text);
            }
            assert_eq!(table.bandwidth(node), u64::MAX);
        }
        assert!(table.set_auto(true).is_ok());
        let mut reader = table.reader();
        let mut out = [0u8; MAX_NUMNODES];
        let _ = reader.weights_of(&NodeMask::full(), &mut out);
        reader.copy_weights(&mut out);
        for node in node_edges() {
            assert!(reader.weight(node) >= 1);
        }
        table.reclaim();
    }
}

#[test]
fn weight_reduction_takes_every_bandwidth() {
    for fill in U64_EDGES {
        let mut bw = [fill; MAX_NUMNODES];
        for memory in mask_edges() {
            let w = weights::reduce_interleave_weights(&bw, &memory);
            assert!(w.iter().all(|&w| (1..=weights::WEIGHTINESS).contains(&w)));
        }
        bw[0] = u64::MAX;
        let w = weights::reduce_interleave_weights(&bw, &NodeMask::full());
        assert!(w.iter().all(|&w| w >= 1));
    }
}

// ---------------------------------------------------------------------------------------
// Interleave

#[test]
fn interleave_picks_take_every_edge() {
    let zero = [0u8; MAX_NUMNODES];
    let heavy = [u8::MAX; MAX_NUMNODES];
    for nodes in mask_edges() {
        for ilx in U64_EDGES {
            let _ = interleave::interleave_nid(&nodes, ilx);
            for w in [&zero, &heavy] {
                let _ = interleave::weighted_interleave_nid(&nodes, ilx, w);
            }
            let _ = interleave::weighted_interleave_nid(&nodes, ilx, &Uniform);
        }
        for prev in node_edges() {
            for left in [0, 1, u8::MAX] {
                let mut cursor = InterleaveCursor::from_parts(prev, left);
                let _ = cursor.next_interleave(&nodes);
                let _ = cursor.next_weighted(&nodes, &zero);
                let _ = cursor.next_weighted(&nodes, &heavy);
                let _ = cursor.peek_node(InterleaveMode::Plain, &nodes);
                let _ = cursor.peek_node(InterleaveMode::Weighted, &nodes);
            }
        }
        assert_eq!(interleave::interleave_nid(&NodeMask::new(), u64::MAX), None);
    }
    for a in U64_EDGES {
        for b in U64_EDGES {
            for order in [0, 9, 63, 64, u32::MAX] {
                let _ = interleave::vma_interleave_index(a, b, a ^ b, order, 12);
                let _ = interleave::vma_interleave_index(a, b, b, 0, order);
                let _ = interleave::shared_interleave_index(u64::MAX, a, b, u64::MAX, order, order);
            }
        }
    }
}

#[test]
fn bulk_plans_take_every_edge() {
    let zero = [0u8; MAX_NUMNODES];
    let heavy = [u8::MAX; MAX_NUMNODES];
    let mut plan = BulkPlan::new();
    for nodes in mask_edges() {
        for nr in U64_EDGES {
            for prev in node_edges() {
                for left in [0, 1, u8::MAX] {
                    let mut cursor = InterleaveCursor::from_parts(prev, left);
                    let planned =
                        interleave::bulk_interleave_plan(&mut cursor, &nodes, nr, &mut plan);
                    assert_eq!(plan.total(), planned);
                    for w in [&zero, &heavy] {
                        let planned =
                            interleave::bulk_weighted_plan(&mut cursor, &nodes, w, nr, &mut plan);
                        assert_eq!(plan.total(), planned);
                        assert!(planned == nr || nodes.is_empty() || nr == 0);
                        let _ = plan.pages_on(NodeId::MAX);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// GFP, topology, zonelists

#[test]
fn every_zone_modifier_combination_is_answered() {
    for zone_bits in 0..16u32 {
        for high in [0, 0x10, 0x4_0000, 0xffff_fff0] {
            let flags = GfpFlags::from_bits_retain(zone_bits | high);
            for config in [
                ZoneConfig::X86_64,
                ZoneConfig::X86_32,
                ZoneConfig::ALL,
                ZoneConfig::NORMAL_ONLY,
            ] {
                let _ = gfp::zone_for_config(flags, config);
            }
            let ok = gfp::zone_for(flags).is_ok();
            assert_eq!(
                ok,
                [0, 1, 2, 4, 8, 9, 10, 12].contains(&zone_bits),
                "{zone_bits:#x}"
            );
            let _ = gfp::zonelist_for(flags);
        }
    }
    for index in [0, 4, 5, usize::MAX] {
        assert_eq!(ZoneType::from_index(index).is_some(), index < 5);
    }
}

#[test]
fn topology_spec_rejects_hostile_text() {
    let hostile = [
        "",
        " ",
        "#",
        "# topology:",
        "nodes=0",
        "nodes=65",
        "nodes=4294967296",
        "nodes=99999999999999999999",
        "nodes==4",
        "nodes=",
        "=4",
        "x=y",
        "nodes=\u{ff14}",
        "cpus=",
        "cpus=1",
        "cpus=0,64",
        "cpus=0,4294967295",
        "mem=0",
        "mem=15",
        "mem=16",
        "mem=4294967295",
        "nodes=64 mem=4294967295",
        "nodes=2 mem=1,2,3",
        "dist=",
        "dist=10",
        "nodes=1 dist=10",
        "nodes=2 dist=10,256/256,10",
        "nodes=2 dist=0,0/0,0",
        "nodes=2 dist=10,20/",
        "nodes=64",
        "nodes=64 cpus=0,63",
        "accel=\0",
    ];
    for spec in hostile.iter().chain(&GARBAGE) {
        if let Ok(topo) = Topology::from_nodes_spec(spec) {
            let lists = Zonelists::build(&topo);
            for node in node_edges() {
                let _ = (lists.fallback_order(node), lists.local_memory_node(node));
            }
        }
    }
    assert!(Topology::from_nodes_spec("nodes=0").is_err());
}

#[test]
fn topology_builder_rejects_bad_input() {
    let n = NodeId::new;
    let huge = ZoneSpan {
        present_pages: u64::MAX,
        managed_pages: u64::MAX,
    };
    let bad = ZoneSpan {
        present_pages: 1,
        managed_pages: 2,
    };
    let fast = AccessCoordinates {
        read_bandwidth: u32::MAX,
        write_bandwidth: u32::MAX,
        ..Default::default()
    };
    let builders = [
        TopologyBuilder::new(),
        TopologyBuilder::new()
            .possible(NodeMask::new())
            .online(n(0)),
        TopologyBuilder::new()
            .possible(NodeMask::from_node(n(1)))
            .online(n(0)),
        TopologyBuilder::new()
            .online(n(0))
            .zone(n(1), ZoneType::Normal, 1),
        TopologyBuilder::new()
            .online(n(0))
            .zone_span(n(0), ZoneType::Normal, bad),
        TopologyBuilder::new()
            .online(NodeId::MAX)
            .zone_span(NodeId::MAX, ZoneType::Movable, huge),
        TopologyBuilder::new().online(n(0)).cpu(u32::MAX, n(0)),
        TopologyBuilder::new().online(n(0)).cpu(0, NodeId::MAX),
        TopologyBuilder::new()
            .online(n(0))
            .online(n(1))
            .distances(&[]),
        TopologyBuilder::new()
            .online(n(0))
            .online(n(1))
            .distances(&[0; 4]),
        TopologyBuilder::new()
            .online(n(0))
            .online(n(1))
            .distances(&[255; 4]),
        TopologyBuilder::new()
            .online(n(0))
            .online(n(1))
            .distances(&[10; 5]),
        TopologyBuilder::new()
            .online(n(0))
            .access(NodeId::MAX, fast),
        TopologyBuilder::new()
            .possible(NodeMask::full())
            .online(NodeId::MAX),
    ];
    for builder in builders {
        let Ok(topo) = builder.build() else { continue };
        for a in node_edges() {
            for b in node_edges() {
                let _ = topo.distance(a, b);
            }
            for zone in ZoneType::ALL {
                let _ = (topo.zone(a, zone), topo.is_populated(a, zone));
            }
            let _ = (
                topo.populated_zones(a).count(),
                topo.present_pages(a),
                topo.access(a),
            );
            let _ = topo.cpus_of_node(a).count();
        }
        let _ = (
            topo.node_of_cpu(u32::MAX),
            topo.nr_cpu_ids(),
            topo.nr_node_ids(),
        );
        let lists = Zonelists::build(&topo);
        walk_every_zonelist(&lists);
    }
    assert!(TopologyBuilder::new().build().is_err());
}

fn walk_every_zonelist(lists: &Zonelists) {
    for node in node_edges() {
        for kind in [ZonelistKind::Fallback, ZonelistKind::NoFallback] {
            let Some(list) = lists.zonelist(node, kind) else {
                continue;
            };
            for zone in ZoneType::ALL {
                for mask in mask_edges().iter().map(Some).chain([None]) {
                    let _ = list.first_zone(zone, mask);
                    let _ = list.iter(zone, mask).count();
                    let _ = list.iter_from(usize::MAX, zone, mask).count();
                }
            }
        }
        let _ = lists.node_zonelist(node, GfpFlags::all());
    }
}

#[test]
fn zonelists_take_every_zone_and_mask() {
    let topo = four_nodes();
    for order in [
        ZonelistOrder::Default,
        ZonelistOrder::Node,
        ZonelistOrder::Zone,
    ] {
        for penalty in [0, 1, u32::MAX] {
            let config = ZonelistConfig::LINUX
                .with_order(order)
                .with_cpu_penalty(penalty);
            walk_every_zonelist(&Zonelists::build_with(&topo, config));
        }
    }
    for text in GARBAGE {
        let _ = ZonelistOrder::from_sysctl(text);
    }
    let empty = Zonelist::from_refs(Vec::new());
    assert_eq!(empty.first_zone(ZoneType::Movable, None), None);
    let odd = Zonelist::from_refs(vec![ZoneRef::new(NodeId::MAX, ZoneType::Movable); 3]);
    assert_eq!(odd.iter(ZoneType::Dma, None).count(), 0);
    for zone in ZoneType::ALL {
        for mask in mask_edges() {
            let _ = zonelist::apply_policy_zone(&mask, zone, &topo);
        }
    }
    let domain = Domain::new();
    let shared = SharedZonelists::new(Zonelists::build(&topo), &domain);
    assert!(shared.load(&Domain::new().register()).is_none());
}

// ---------------------------------------------------------------------------------------
// Selection

/// Every kind of policy over masks with odd nodes: beyond the machine, memoryless, empty
/// after the cpuset.
fn odd_policies() -> Vec<Mempolicy> {
    let mut out = vec![
        Mempolicy::default_policy(),
        Mempolicy::preferred_node_policy(NodeId::MAX),
    ];
    let ctx = NodeContext::unrestricted(NodeMask::full());
    for raw in [
        1,
        2,
        3,
        4,
        5,
        6,
        2 | 0x2000,
        5 | 0x2000,
        3 | 0x8000,
        3 | 0x4000,
    ] {
        for nodes in mask_edges() {
            if let Ok(Some(mut pol)) = Mempolicy::from_raw(raw, &nodes, &ctx) {
                out.push(pol.clone());
                pol.set_home_node(Some(NodeId::MAX));
                out.push(pol);
            }
        }
    }
    out
}

#[test]
fn selection_takes_odd_nodes() {
    let topo = four_nodes();
    let lists = Zonelists::build(&topo);
    let defaults = PolicyDefaults::new();
    let zero = [0u8; MAX_NUMNODES];
    let machine = Globals::new(&topo, &lists, &defaults, &zero);
    let empty = NodeMask::new();
    let gfps = (0..16).map(|z| GfpFlags::GFP_KERNEL | GfpFlags::from_bits_retain(z));
    let gfps: Vec<GfpFlags> = gfps
        .chain([GfpFlags::all(), GfpFlags::GFP_KERNEL | GfpFlags::THISNODE])
        .collect();
    let mut never = |_: NodeId, _: ZoneType, _: u32, _: GfpFlags| None::<()>;
    let mut always = |_: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(());
    for pol in odd_policies() {
        for node in node_edges() {
            for cpu in [CpuContext::task(node), CpuContext::interrupt(node)] {
                for &gfp in &gfps {
                    for ilx in [0, u64::MAX] {
                        let mut cursor = InterleaveCursor::from_parts(NodeId::MAX, u8::MAX);
                        let placement = select::policy_nodemask(
                            &pol,
                            gfp,
                            ilx,
                            node,
                            &mut cursor,
                            Some(&empty),
                            &machine,
                        );
                        if let Ok(p) = placement {
                            for order in [0, 9, u32::MAX] {
                                let _ = select::alloc_pages_mpol(
                                    &lists, &p, gfp, order, ilx, None, &mut never,
                                );
                                let _ = select::alloc_pages_mpol(
                                    &lists,
                                    &p,
                                    gfp,
                                    order,
                                    ilx,
                                    Some(&empty),
                                    &mut always,
                                );
                            }
                        }
                    }
                    let mut cursor = InterleaveCursor::new();
                    let mut task =
                        TaskContext::new(Some(&pol), &mut cursor).with_mems_allowed(&empty);
                    let _ = select::pick_alloc(&machine, &mut task, cpu, gfp);
                    let _ =
                        select::alloc_pages(&machine, &mut task, cpu, gfp, u32::MAX, &mut always);
                    let _ = select::slab_node(&machine, &mut task, cpu);
                    for (start, addr) in [(0, 0), (u64::MAX, 0), (0, u64::MAX), (4096, 4095)] {
                        for order in [9, u32::MAX] {
                            let vma =
                                VmaPolicy::new(Some(&pol), u64::MAX, start, u64::MAX, addr, order);
                            let _ = select::pick_vma(&machine, &mut task, cpu, &vma, gfp);
                            let _ = select::alloc_vma(
                                &machine, &mut task, cpu, &vma, gfp, order, &mut never,
                            );
                        }
                    }
                    let mut out = [None, None];
                    let _ =
                        select::alloc_bulk(&machine, &mut task, cpu, gfp, &mut out, &mut always);
                    let _ = select::alloc_on_node(
                        &lists,
                        gfp,
                        0,
                        node,
                        Some(&empty),
                        None,
                        &mut always,
                    );
                }
                for page in node_edges() {
                    for ilx in [0, u64::MAX] {
                        let _ =
                            select::mpol_misplaced(&pol, ilx, page, node, &lists, &zero, |_| true);
                    }
                }
            }
        }
    }
    let r = select::alloc_on_node(
        &lists,
        GfpFlags::GFP_KERNEL,
        0,
        NodeId::MAX,
        None,
        None,
        &mut always,
    );
    assert!(MAX_NUMNODES <= 4 || r == Err(Error::InvalidNode(MAX - 1)));
}

// ---------------------------------------------------------------------------------------
// Syscalls

/// The hostile embedder of the test kit: user memory at `USER` filled with one pattern,
/// pages on the highest node, and page moves that fail as many pages as they can.
use mempolicy_testkit::Hostile as Env;

const USER: u64 = mempolicy_testkit::HOSTILE_USER;
const USER_WORDS: u64 = mempolicy_testkit::HOSTILE_USER_WORDS as u64;
const POLICY: u64 = mempolicy_testkit::HOSTILE_POLICY;

/// Pointers worth trying: NULL, valid, unaligned, the last valid word, and wrapping ones.
const POINTERS: [u64; 6] = [
    0,
    USER,
    USER + 1,
    USER + 8 * (USER_WORDS - 1),
    u64::MAX - 7,
    u64::MAX,
];

fn system() -> SystemNodes {
    SystemNodes::new(NodeMask::full(), NodeMask::first_n(4), NodeMask::first_n(3))
}

fn mapped_space() -> AddressSpace<Mempolicy, Option<u64>> {
    let mut mm = AddressSpace::new();
    mm.mmap(0x10_0000, 16 * 4096, 0, None).unwrap();
    // The highest page offset whose four pages do not wrap (Linux refuses one more).
    mm.mmap(u64::MAX - 0xfff - 4 * 4096, 4 * 4096, u64::MAX - 4, Some(1))
        .unwrap();
    mm
}

#[test]
fn set_and_get_mempolicy_take_hostile_arguments() {
    let nodes = system();
    let mm = mapped_space();
    for fill in [0, 1, u64::MAX] {
        let mut env = Env::filled(fill);
        let mut task = Task::new(NodeMask::first_n(2));
        for mode in I32_EDGES {
            for nmask in POINTERS {
                for maxnode in U64_EDGES {
                    let _ = abi::set_mempolicy(&mut task, &nodes, &mut env, mode, nmask, maxnode);
                    for flags in [
                        0,
                        abi::F_NODE,
                        abi::F_ADDR,
                        abi::F_NODE | abi::F_ADDR,
                        7,
                        u64::MAX,
                    ] {
                        for addr in [0, 0x10_0000, u64::MAX] {
                            let args = GetMempolicyArgs {
                                policy: POLICY,
                                nmask,
                                maxnode,
                                addr,
                                flags,
                            };
                            let _ = abi::get_mempolicy(&task, &mm, &nodes, &mut env, args);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn mbind_and_home_node_take_hostile_arguments() {
    let nodes = system();
    let defaults = PolicyDefaults::new();
    let task = Task::new(NodeMask::full());
    let mut env = Env::filled(0b111);
    let ranges = [
        (0, 0),
        (0x10_0000, u64::MAX),
        (0x10_0000, 4096),
        (u64::MAX - 0xfff - 4096, 4096),
        (4096, u64::MAX - 4096),
    ];
    for (start, len) in ranges.into_iter().chain(U64_EDGES.map(|v| (v, v))) {
        let mut mm = mapped_space();
        for mode in [0, 1, 2, 3, 6, 2 | 0x2000, i32::MIN, -1] {
            for flags in [
                0,
                abi::MF_STRICT,
                abi::MF_MOVE_ALL | abi::MF_STRICT,
                u64::MAX,
            ] {
                for maxnode in [0, 5, MAX + 1, u64::MAX] {
                    let args = MbindArgs {
                        start,
                        len,
                        mode,
                        nmask: USER,
                        maxnode,
                        flags,
                    };
                    let _ = abi::mbind(
                        &task,
                        &mut mm,
                        &nodes,
                        &defaults,
                        NodeId::MAX,
                        &mut env,
                        args,
                    );
                }
            }
        }
        for home in U64_EDGES {
            for flags in [0, 1, u64::MAX] {
                let _ = abi::set_mempolicy_home_node(&mut mm, &nodes, start, len, home, flags);
            }
        }
    }
}

#[test]
fn migrate_pages_takes_hostile_arguments() {
    // Full masks on both sides (every source stays put), for every argument edge.
    let task = Task::new(NodeMask::full());
    for privileged in [false, true] {
        let mut env = Env::filled(u64::MAX);
        env.privileged = privileged;
        for pid in [i32::MIN, -1, 0, i32::MAX] {
            for maxnode in U64_EDGES {
                for (old, new) in [
                    (USER, USER),
                    (0, 0),
                    (USER + 1, u64::MAX),
                    (u64::MAX - 7, USER),
                ] {
                    let r = abi::migrate_pages(&task, &mut env, pid, maxnode, old, new);
                    assert!(r.is_err() || r.is_ok_and(|n| (0..=i64::from(i32::MAX)).contains(&n)));
                }
            }
        }
    }
    // All nodes onto two: every other node is a source, and each move fails `u64::MAX`
    // pages; the count saturates at `i32::MAX`.
    let task = Task::new(NodeMask::first_n(2));
    let mut env = Env::filled(u64::MAX);
    let r = abi::migrate_pages(&task, &mut env, 0, MAX + 1, USER, USER);
    assert_eq!(r, Ok(i64::from(i32::MAX)));
}

#[test]
fn address_space_takes_overflowing_ranges() {
    let mut mm: AddressSpace<Mempolicy, Option<u64>> = AddressSpace::new();
    let pol = Mempolicy::preferred_node_policy(NodeId::MAX);
    let domain = mempolicy::rcu::Domain::new();
    let object = Arc::new(SharedObject::new(
        &domain,
        SharedPolicy::with_policy(u64::MAX, &pol),
    ));
    for start in U64_EDGES {
        for len in U64_EDGES {
            // The highest page offset that fits the pages, then one that wraps.
            let top = u64::MAX - len.div_ceil(4096);
            let _ = mm.mmap(start, len, top, Some(start));
            let _ = mm.mmap_shared(start, len, top, None, Arc::clone(&object));
            let _ = mm.mmap(start, len, u64::MAX, Some(start));
            mm.set_policy(start, len, Some(&pol));
            mm.set_policy(start, start.wrapping_add(len), None);
            let _ = (
                mm.policy_at(start),
                mm.covers(start, len),
                mm.overlapping(len, start).count(),
            );
            let _ = mm.key_mut(start);
        }
    }
    mm.rebind(&NodeMask::new());
    for start in U64_EDGES {
        for len in U64_EDGES {
            let _ = mm.munmap(start, len);
        }
    }
    assert_eq!(
        mm.mmap(4096, u64::MAX, 0, None),
        Err(Error::InvalidRange(4096))
    );
    assert_eq!(mm.mmap(1, 4096, 0, None), Err(Error::Unaligned(1)));

    let mut tree = SharedPolicy::new(u64::MAX);
    for a in U64_EDGES {
        for b in U64_EDGES {
            tree.replace(a, b, Some(&pol));
            tree.set_for_mapping(a, b, None);
            let _ = (tree.lookup(a), tree.interleave_index(b));
        }
    }

    let mut task = Task::new(NodeMask::full());
    let mut mm = mapped_space();
    abi::cpuset_rebind(&mut task, &mut mm, NodeMask::new());
}

// ---------------------------------------------------------------------------------------
// Random integers for every integer argument

proptest! {
    #[test]
    fn random_user_nodemasks(maxnode in any::<u64>(), nr in any::<usize>(), fill in any::<u64>()) {
        let words = [fill; 20];
        let _ = NodeMask::from_user_slice(Some(&words), maxnode);
        let mut out = [0u64; 20];
        let _ = NodeMask::full().to_user_slice(&mut out, maxnode, nr);
    }

    #[test]
    fn random_text(text in ".{0,24}", list in "[0-9,:/Nal \\-]{0,24}") {
        let _ = NodeMask::parse_list(&text);
        let _ = NodeMask::parse_list(&list);
        let _ = parse_mpol(&text, &NodeMask::full());
        let _ = parse_mpol(&format!("bind:{list}"), &NodeMask::full());
        let _ = Topology::from_nodes_spec(&text);
        let _ = (weights::parse_weight(&text, Linux::V6_12), weights::parse_bool(&text));
        let _ = weights::parse_weight(&text, Linux::V7_3);
    }

    #[test]
    fn random_policy_arguments(raw in any::<i32>(), bits in any::<u64>(), mems in any::<u64>()) {
        let ctx = NodeContext::new(NodeMask::from_u64(mems), NodeMask::full());
        if let Ok(Some(mut pol)) = Mempolicy::from_raw(raw, &NodeMask::from_u64(bits), &ctx) {
            pol.rebind(&NodeMask::from_u64(mems.rotate_left(7)));
        }
    }

    #[test]
    fn random_interleave_arguments(
        bits in any::<u64>(),
        ilx in any::<u64>(),
        nr in any::<u64>(),
        prev in 0..MAX_NUMNODES,
        left in any::<u8>(),
        w in any::<u8>(),
    ) {
        let nodes = NodeMask::from_u64(bits);
        let weights = [w; MAX_NUMNODES];
        let _ = interleave::weighted_interleave_nid(&nodes, ilx, &weights);
        let mut cursor = InterleaveCursor::from_parts(NodeId::new(prev), left);
        let mut plan = BulkPlan::new();
        let planned = interleave::bulk_weighted_plan(&mut cursor, &nodes, &weights, nr, &mut plan);
        prop_assert_eq!(plan.total(), planned);
        let planned = interleave::bulk_interleave_plan(&mut cursor, &nodes, nr, &mut plan);
        prop_assert_eq!(plan.total(), planned);
    }

    #[test]
    fn random_gfp(bits in any::<u32>()) {
        let flags = GfpFlags::from_bits_retain(bits);
        let _ = (gfp::zone_for(flags), gfp::zonelist_for(flags));
    }

    #[test]
    fn random_syscall_arguments(
        mode in any::<i32>(),
        nmask in prop_oneof![Just(USER), any::<u64>()],
        maxnode in any::<u64>(),
        flags in any::<u64>(),
        start in any::<u64>(),
        len in any::<u64>(),
        home in any::<u64>(),
    ) {
        let nodes = system();
        let defaults = PolicyDefaults::new();
        let mut env = Env::filled(1);
        let mut task = Task::new(NodeMask::full());
        let mut mm = mapped_space();
        let _ = abi::set_mempolicy(&mut task, &nodes, &mut env, mode, nmask, maxnode);
        let args = GetMempolicyArgs { policy: POLICY, nmask, maxnode, addr: start, flags };
        let _ = abi::get_mempolicy(&task, &mm, &nodes, &mut env, args);
        let args = MbindArgs { start, len, mode, nmask, maxnode, flags };
        let _ = abi::mbind(&task, &mut mm, &nodes, &defaults, NodeId::MAX, &mut env, args);
        let _ = abi::set_mempolicy_home_node(&mut mm, &nodes, start, len, home, flags & 1);
        let _ = abi::migrate_pages(&task, &mut env, mode, maxnode, nmask, USER);
        let _ = mm.munmap(start, len);
    }
}

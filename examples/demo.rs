//! A tour of the crate on a 4-node machine: two DRAM nodes with CPUs and two CXL-like
//! memory-only nodes. Creates each kind of policy as `set_mempolicy` would, prints it as Linux
//! prints it in `numa_maps`, shows where the zonelists send allocations, and what Linux answers
//! to bad input.
//!
//! Run with `cargo run --example demo`.

use mempolicy::policy::{parse_mpol, Mempolicy, NodeContext};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask};

/// Nodes 0 and 1 have a CPU each; nodes 2 and 3 are memory-only and each "near" one socket.
const MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

fn main() -> Result<(), mempolicy::Error> {
    let topo = Topology::from_nodes_spec(MACHINE)?;
    let zonelists = Zonelists::build(&topo);
    println!("machine: {MACHINE}");
    println!(
        "  nodes with memory: {}, with CPUs: {}",
        topo.memory_nodes(),
        topo.cpu_nodes()
    );
    for node in topo.online_nodes().iter() {
        let order: Vec<String> = zonelists
            .fallback_order(node)
            .unwrap_or_default()
            .iter()
            .map(NodeId::to_string)
            .collect();
        println!(
            "  node{node} fallback order (Linux build_zonelists): {}",
            order.join(" ")
        );
    }

    let ctx = NodeContext::unrestricted(*topo.memory_nodes());
    println!("\nset_mempolicy(mode | flags, nodes) and what numa_maps would print:");
    let requests: [(&str, i32, &str); 9] = [
        ("MPOL_DEFAULT", 0, ""),
        ("MPOL_PREFERRED", 1, "1-3"),
        ("MPOL_PREFERRED, no nodes", 1, ""),
        ("MPOL_BIND", 2, "1-3"),
        ("MPOL_INTERLEAVE", 3, "0-3"),
        ("MPOL_LOCAL", 4, ""),
        (
            "MPOL_PREFERRED_MANY | MPOL_F_STATIC_NODES",
            5 | 1 << 15,
            "2-3",
        ),
        ("MPOL_WEIGHTED_INTERLEAVE", 6, "0-3"),
        ("MPOL_BIND | MPOL_F_NUMA_BALANCING", 2 | 1 << 13, "0-1"),
    ];
    for (name, mode, nodes) in requests {
        let mask: NodeMask = nodes.parse()?;
        match Mempolicy::from_raw(mode, &mask, &ctx)? {
            Some(policy) => println!("  {name:<44} nodes={nodes:<4} -> {policy}"),
            None => println!("  {name:<44} nodes={nodes:<4} -> no policy (inherit: default)"),
        }
    }

    println!("\nbad input and the errno Linux returns:");
    let bad: [(&str, i32, &str); 6] = [
        ("MPOL_DEFAULT with nodes", 0, "1"),
        ("MPOL_BIND without nodes", 2, ""),
        ("MPOL_LOCAL | MPOL_F_RELATIVE_NODES", 4 | 1 << 14, ""),
        ("static and relative together", 2 | 3 << 14, "0"),
        (
            "MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING",
            3 | 1 << 13,
            "0-1",
        ),
        ("mode 7", 7, "0"),
    ];
    for (name, mode, nodes) in bad {
        let mask: NodeMask = nodes.parse()?;
        match Mempolicy::from_raw(mode, &mask, &ctx) {
            Ok(p) => println!("  {name:<44} -> accepted?! {p:?}"),
            Err(e) => println!("  {name:<44} -> {} ({e})", e.errno_name()),
        }
    }

    println!("\ntmpfs mpol= strings (mpol_parse_str / mpol_to_str):");
    for text in [
        "interleave",
        "bind=static:1-2",
        "prefer:3",
        "prefer (many)=relative:0,2",
        "prefer:,",
    ] {
        match parse_mpol(text, topo.memory_nodes()) {
            Ok(Some(policy)) => println!("  mpol={text:<28} -> {policy}"),
            Ok(None) => println!("  mpol={text:<28} -> default"),
            Err(e) => println!("  mpol={text:<28} -> rejected: {e}"),
        }
    }
    Ok(())
}

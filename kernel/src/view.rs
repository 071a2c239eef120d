//! The machine as the kernel derived it, printed in the header formats of the conformance
//! oracle (a program that records what real Linux says about the same QEMU machine), so that
//! the two can be compared line by line:
//!
//! ```text
//! # online=0-3                                   node states (N_ONLINE, N_CPU, N_MEMORY)
//! # has_cpu=0-1
//! # has_memory=0-3
//! # node0 cpus=0 distance=10 30 20 40            per online node (Linux adds memtotal_kB=)
//! # node0 fallback=0 2 1 3                       the node order of its zonelist
//! # wi_auto=true weights: node0=4 node1=4 …      weighted-interleave weights (Linux 7.3)
//! # node2 access1 initiators=0 read_bandwidth=…  per node and HMAT access class Linux shows
//! ```
//!
//! Linux prints these from sysfs (`/sys/devices/system/node/`, and
//! `/sys/kernel/mm/mempolicy/weighted_interleave/`); here every value comes from the crate:
//! the node states, CPUs, distances and access classes from the firmware layout
//! ([`crate::layout`]), the fallback orders from the machine's zonelists and the weights from
//! its weight table ([`crate::embed`]). The `memtotal_kB=` of Linux's lines is left out: it
//! counts what Linux's own allocator keeps, which no other kernel shares.

#![forbid(unsafe_code)]

use crate::layout::Layout;
use crate::println;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use mempolicy::firmware::AccessClass;
use mempolicy::machine::Machine;
use mempolicy::NodeId;

/// Prints the machine view: node states, then per online node its CPUs and distances, its
/// fallback order, the weights line and the HMAT access classes.
pub fn print(layout: &Layout, machine: &Machine) {
    let numa = &layout.numa;
    let online = *numa.online_nodes();
    println!("# online={online}");
    println!("# has_cpu={}", numa.cpu_nodes());
    println!("# has_memory={}", numa.memory_nodes());
    for node in online.iter() {
        let cpus: Vec<u32> = numa
            .cpus()
            .iter()
            .filter(|c| c.present && c.node == node)
            .map(|c| c.cpu)
            .collect();
        let mut line = String::new();
        for to in online.iter() {
            let _ = write!(line, " {}", layout.distance(node, to));
        }
        println!(
            "# node{node} cpus={} distance={}",
            cpulist(&cpus),
            line.trim_start()
        );
    }
    machine.with_zonelists(|zonelists| {
        for node in online.iter() {
            let mut line = String::new();
            for n in zonelists.fallback_order(node).unwrap_or_default() {
                let _ = write!(line, " {n}");
            }
            println!("# node{node} fallback={}", line.trim_start());
        }
    });
    let weights = machine.weights();
    let snapshot = weights.snapshot();
    let mut line = String::new();
    let _ = write!(line, "# wi_auto={} weights:", snapshot.is_auto());
    let end = online.last().map_or(0, |n| n.index() + 1);
    for node in (0..end).filter_map(|i| NodeId::try_new(i as u64).ok()) {
        if weights.has_node_file(node) {
            let _ = write!(line, " node{node}={}", snapshot.get(node));
        } else {
            let _ = write!(line, " node{node}=missing");
        }
    }
    println!("{line}");
    for node in online.iter() {
        for (k, class) in [(0, AccessClass::Local), (1, AccessClass::Cpu)] {
            let Some(access) = numa.access(node, class) else {
                continue;
            };
            // Linux lists the initiator links one by one: "0,1,2", not "0-2".
            let mut initiators = String::new();
            for n in access.initiators.iter() {
                let _ = write!(initiators, ",{n}");
            }
            let initiators = initiators.strip_prefix(',').unwrap_or("none");
            let mut line = String::new();
            let _ = write!(line, "# node{node} access{k} initiators={initiators}");
            let names = [
                "read_bandwidth",
                "write_bandwidth",
                "read_latency",
                "write_latency",
            ];
            match access.perf {
                Some(p) => {
                    let values = [
                        p.read_bandwidth,
                        p.write_bandwidth,
                        p.read_latency,
                        p.write_latency,
                    ];
                    for (name, value) in names.iter().zip(values) {
                        let _ = write!(line, " {name}={value}");
                    }
                }
                None => {
                    for name in names {
                        let _ = write!(line, " {name}=?");
                    }
                }
            }
            println!("{line}");
        }
    }
}

/// CPU numbers as Linux prints a CPU list (`%*pbl`: `0-1,4`), `none` for none.
fn cpulist(cpus: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        let sep = if out.is_empty() { "" } else { "," };
        let _ = if j > i {
            write!(out, "{sep}{}-{}", cpus[i], cpus[j])
        } else {
            write!(out, "{sep}{}", cpus[i])
        };
        i = j + 1;
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

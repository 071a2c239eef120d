//! The `bw=`/`lat=` words of `Topology::from_nodes_spec` and what Linux derives from them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::error::Error;
use crate::nodemask::NodeId;

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn spec(words: &str) -> crate::Result<Topology> {
    Topology::from_nodes_spec(words)
}

/// `initiators=… read_bandwidth write_bandwidth read_latency write_latency` of one class.
fn perf(topo: &Topology, node: usize, class: AccessClass) -> Option<(String, [u32; 4])> {
    topo.performance(n(node), class).map(|p| {
        let c = p.coordinates;
        (
            p.initiators.to_string(),
            [
                c.read_bandwidth,
                c.write_bandwidth,
                c.read_latency,
                c.write_latency,
            ],
        )
    })
}

#[test]
fn values_read_write_pairs_and_missing_entries() {
    let topo = spec("nodes=3 cpus=0 mem=256 bw=100000:40000,-,7000 lat=90,150:120,-").unwrap();
    for class in AccessClass::ALL {
        assert_eq!(
            perf(&topo, 0, class),
            Some(("0".into(), [100_000, 40_000, 90, 90]))
        );
        // Split tables for both lists: node 1 has no bandwidth entry in either.
        assert_eq!(perf(&topo, 1, class), Some(("0".into(), [0, 0, 150, 120])));
        assert_eq!(
            perf(&topo, 2, class),
            Some(("0".into(), [7000, 7000, 0, 0]))
        );
    }
    // `access` is the CPU class; its bandwidth is min(read, write).
    assert_eq!(topo.access(n(0)).map(|c| c.bandwidth()), Some(40_000));
    assert_eq!(topo.access(n(1)).map(|c| c.bandwidth()), Some(0));
}

#[test]
fn memory_only_nodes_attach_to_the_nearest_cpu_node() {
    // Node 2 is at distance 20 from node 0 and 40 from node 1; node 3 the other way round.
    let topo = spec("nodes=4 cpus=0,1 bw=10,10,20,20").unwrap();
    assert_eq!(perf(&topo, 2, AccessClass::Local).unwrap().0, "0");
    assert_eq!(perf(&topo, 3, AccessClass::Cpu).unwrap().0, "1");
    // Equal distances: the lowest-numbered CPU node.
    let tie = spec("nodes=3 cpus=0,1 dist=10,20,20/20,10,20/20,20,10 bw=5,5,5").unwrap();
    assert_eq!(perf(&tie, 2, AccessClass::Cpu).unwrap().0, "0");
}

#[test]
fn nodes_with_an_absent_cpu_slot_get_every_cpu_node_in_access1() {
    // cpus=0,2: run.sh adds a CPU slot per node, so nodes 1 and 3 are their own (CPU-less)
    // initiators; the best initiators with CPUs are 0 and 2.
    let topo = spec("nodes=4 cpus=0,2 bw=90000,20000,90000,20000").unwrap();
    assert_eq!(perf(&topo, 1, AccessClass::Local).unwrap().0, "1");
    assert_eq!(perf(&topo, 1, AccessClass::Cpu).unwrap().0, "0,2");
    assert_eq!(perf(&topo, 2, AccessClass::Cpu).unwrap().0, "2");
}

#[test]
fn a_memoryless_node_makes_linux_reject_the_whole_hmat() {
    let topo = spec("nodes=4 cpus=0,1 mem=256,0,256,256 bw=1,2,3,4 lat=5,6,7,8").unwrap();
    for node in 0..4 {
        assert_eq!(topo.access(n(node)), None);
        for class in AccessClass::ALL {
            assert_eq!(perf(&topo, node, class), None);
        }
    }
}

#[test]
fn without_bw_or_lat_there_is_no_hmat() {
    let topo = spec("nodes=2 cpus=0,1").unwrap();
    assert_eq!(topo.access(n(0)), None);
    // Latencies only: every memory node is still reported, with bandwidth 0.
    let lat = spec("nodes=2 cpus=0,1 lat=80,250").unwrap();
    assert_eq!(
        perf(&lat, 1, AccessClass::Cpu),
        Some(("1".into(), [0, 0, 250, 250]))
    );
    // Every value "-": targets without any locality table; access1 of a node attached to
    // a CPU node still names that node.
    let none = spec("nodes=2 cpus=0,1 bw=-,-").unwrap();
    assert_eq!(perf(&none, 1, AccessClass::Cpu), Some(("1".into(), [0; 4])));
}

#[test]
fn qemu_encoding_quirks_are_what_linux_reads() {
    // One initiator: QEMU's latency check uses the previous base, so 100000 ns becomes a
    // 16-bit entry of 100000 (truncated to 34464) in units of 1 ns (recorded on 7.3).
    let topo = spec("nodes=2 cpus=0 lat=100000,1 bw=1,65534").unwrap();
    assert_eq!(
        perf(&topo, 0, AccessClass::Cpu),
        Some(("0".into(), [1, 1, 34_464, 34_464]))
    );
    assert_eq!(
        perf(&topo, 1, AccessClass::Cpu),
        Some(("0".into(), [65_534, 65_534, 1, 1]))
    );
    // Latencies above what 32-bit picoseconds hold read back as 0.
    let slow = spec("nodes=2 cpus=0 lat=5000000,5000000").unwrap();
    assert_eq!(perf(&slow, 0, AccessClass::Cpu).unwrap().1[2], 0);
}

#[test]
fn lists_read_as_run_sh_reads_them() {
    // An empty list is no list (run.sh tests `-n`); one trailing comma ends the last value.
    assert_eq!(spec("nodes=2 bw=").unwrap().access(n(0)), None);
    let trailing = spec("nodes=2 cpus=0,1 bw=7,8, lat=010,-").unwrap();
    assert_eq!(
        perf(&trailing, 0, AccessClass::Cpu),
        Some(("0".into(), [7, 7, 10, 10]))
    );
    // A later word replaces an earlier one, also by an empty one.
    assert_eq!(spec("nodes=2 bw=1,1 bw=").unwrap().access(n(1)), None);
    assert_eq!(
        spec("nodes=2 bw=1,1 bw=2,4")
            .unwrap()
            .access(n(1))
            .map(|c| c.bandwidth()),
        Some(4)
    );
}

#[test]
fn values_qemu_refuses_are_errors() {
    for words in [
        "nodes=2 cpus=0,1 bw=100000,1",
        "nodes=4 cpus=0,1 bw=120000,120000,33333,7001",
        "nodes=2 cpus=0,1 bw=3,196605",
        "nodes=2 cpus=0,1 lat=100000,1", // two initiators: the second sees the base of 1
        "nodes=2 cpus=0,1 bw=9223372036854775807,1",
    ] {
        assert!(
            matches!(spec(words), Err(Error::InvalidTopology(_))),
            "{words}: {:?}",
            spec(words)
        );
    }
}

#[test]
fn malformed_words_are_clear_errors() {
    for (words, at) in [
        ("bw=,", 3),
        ("bw=1,2,3,4,,", 11),
        ("bw=1,,2,3", 5),
        ("bw=a,1,1,1", 3),
        ("bw=1:,1,1,1", 5),
        ("bw=:1,1,1,1", 3),
        ("bw=1:2:3,1,1,1", 5),
        ("lat=1;2,1,1,1", 4),
        ("lat=1,1,1,+1", 10),
        ("lat=1,1,1, 1", 11),
        ("nodes=2 lat=-1,1", 12),
    ] {
        assert_eq!(spec(words).unwrap_err(), Error::Parse(at), "{words}");
    }
    assert_eq!(
        spec("bw=99999999999999999999,1,1,1").unwrap_err(),
        Error::NumberOverflow(3)
    );
    for words in ["bw=1,2,3", "bw=1,2,3,4,5", "lat=0,1,1,1", "bw=1:0,1,1,1"] {
        assert!(
            matches!(spec(words), Err(Error::InvalidTopology(_))),
            "{words}"
        );
    }
}

fn word_strategy() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("-".to_string()),
        (0u64..200_000).prop_map(|v| v.to_string()),
        (0u64..200_000, 0u64..200_000).prop_map(|(r, w)| format!("{r}:{w}")),
        "[0-9:,;x -]{0,6}",
        Just("18446744073709551616".to_string()),
    ];
    (
        prop::sample::select(alloc::vec!["bw", "lat"]),
        prop::collection::vec(value, 0..6),
    )
        .prop_map(|(key, values)| format!("{key}={}", values.join(",")))
}

proptest! {
    /// Any `bw=`/`lat=` word gives a topology or an error, never a panic, and a topology
    /// only reports performance for nodes with memory.
    #[test]
    fn any_hmat_word_is_an_answer(
        nodes in 1usize..6,
        cpu_nodes in prop::collection::vec(0u32..6, 1..4),
        words in prop::collection::vec(word_strategy(), 0..3),
    ) {
        let cpus: Vec<String> = core::iter::once(0)
            .chain(cpu_nodes)
            .map(|c| c.to_string())
            .collect();
        let line = format!("nodes={nodes} cpus={} mem=64 {}", cpus.join(","), words.join(" "));
        if let Ok(topo) = spec(&line) {
            for node in 0..nodes {
                if topo.performance(n(node), AccessClass::Cpu).is_some() {
                    prop_assert!(topo.memory_nodes().contains(n(node)));
                }
            }
        }
    }
}

use super::*;
use crate::rcu::Domain;
use crate::{errno, Error, Linux, NodeId, NodeMask, MAX_NUMNODES};

fn bw(values: &[u64]) -> [u64; MAX_NUMNODES] {
    let mut out = [0; MAX_NUMNODES];
    out[..values.len()].copy_from_slice(values);
    out
}

fn reduced(values: &[u64]) -> alloc::vec::Vec<u8> {
    let w = reduce_interleave_weights(&bw(values), &NodeMask::first_n(values.len()));
    w[..values.len()].to_vec()
}

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

#[test]
fn reduce_matches_the_worked_examples() {
    assert_eq!(reduced(&[300, 100]), [3, 1]);
    assert_eq!(reduced(&[1000, 1]), [31, 1]);
    assert_eq!(reduced(&[100, 100, 100]), [1, 1, 1]);
    assert_eq!(reduced(&[0, 500]), [1, 32]);
    assert_eq!(reduced(&[12345]), [1]);
    // Exactly a 1/32 share is not more than 1/32: weight 1.
    assert_eq!(reduced(&[31, 1]), [31, 1]);
    assert_eq!(reduced(&[0, 0]), [1, 1]);
}

#[test]
fn reduce_leaves_nodes_without_memory_at_one_and_ignores_their_bandwidth() {
    let mask = NodeMask::from_node(n(0)).with(n(2));
    let w = reduce_interleave_weights(&bw(&[300, 999_999, 100]), &mask);
    assert_eq!(w[..4], [3, 1, 1, 1]);
    assert_eq!(
        reduce_interleave_weights(&bw(&[5, 6]), &NodeMask::new()),
        [1; MAX_NUMNODES]
    );
}

#[test]
fn reduce_does_not_overflow_on_huge_bandwidths() {
    // Linux's 32-bit `32 * bw` would wrap here.
    assert_eq!(reduced(&[u64::MAX, u64::MAX / 3]), [3, 1]);
    assert_eq!(reduced(&[1 << 40, 1 << 40]), [1, 1]);
    let all = [u64::MAX; MAX_NUMNODES];
    assert_eq!(
        reduce_interleave_weights(&all, &NodeMask::full()),
        [1; MAX_NUMNODES]
    );
}

#[test]
fn initial_state_is_auto_with_weight_one() {
    let table = WeightTable::new(NodeMask::first_n(2));
    let mut reader = table.reader();
    assert!(table.is_auto() && reader.is_auto());
    assert_eq!(reader.weight(NodeId::MAX), 1);
    assert_eq!(table.snapshot(), Weights::INITIAL);
    assert_eq!(table.show_auto(), Ok("true\n"));
}

#[test]
fn set_weight_switches_to_manual_and_rejects_zero() {
    let table = WeightTable::new(NodeMask::first_n(2));
    let mut reader = table.reader();
    assert_eq!(table.set_weight(n(1), 0), Err(Error::InvalidWeight(0)));
    assert!(table.is_auto());
    table.set_weight(n(1), 255).unwrap();
    assert!(!table.is_auto() && !reader.is_auto());
    assert_eq!((reader.weight(n(0)), reader.weight(n(1))), (1, 255));
}

#[test]
fn auto_needs_bandwidth_and_recomputes() {
    let table = WeightTable::new(NodeMask::first_n(2));
    let mut reader = table.reader();
    assert_eq!(table.set_auto(true), Err(Error::NoBandwidth));
    assert_eq!(Error::NoBandwidth.errno(), errno::ENODEV);
    // Initial (auto) state: a bandwidth report recomputes.
    table.set_node_bandwidth(n(0), 300, 900).unwrap();
    table.set_node_bandwidth(n(1), 100, 100).unwrap();
    assert_eq!((reader.weight(n(0)), reader.weight(n(1))), (3, 1));
    // Manual: bandwidth updates keep the weights.
    table.set_weight(n(1), 7).unwrap();
    table.set_node_bandwidth(n(1), 300, 300).unwrap();
    assert_eq!((reader.weight(n(0)), reader.weight(n(1))), (3, 7));
    assert_eq!(table.bandwidth(n(1)), 300);
    // Auto off while manual: nothing changes.
    table.set_auto(false).unwrap();
    assert_eq!(table.snapshot().as_array()[..2], [3, 7]);
    // Auto on: recomputed from the stored bandwidths.
    table.set_auto(true).unwrap();
    assert_eq!(
        (reader.weight(n(0)), reader.weight(n(1)), reader.is_auto()),
        (1, 1, true)
    );
    // Auto off keeps the weights.
    table.set_node_bandwidth(n(0), 900, 900).unwrap();
    table.set_auto(false).unwrap();
    assert_eq!(
        (reader.weight(n(0)), reader.weight(n(1)), reader.is_auto()),
        (3, 1, false)
    );
}

#[test]
fn a_view_keeps_its_table_while_a_new_one_is_published() {
    use crate::interleave::WeightSource;
    let table = WeightTable::new(NodeMask::first_n(2));
    table.set_weight(n(0), 3).unwrap();
    let mut reader = table.reader();
    let (during, copied) = reader.with_view(|view| {
        table.set_weight(n(0), 7).unwrap();
        let mut out = [0; MAX_NUMNODES];
        view.copy_weights(&NodeMask::first_n(2), &mut out);
        (view.weight(n(0)), [out[0], out[1]])
    });
    assert_eq!((during, copied), (3, [3, 1]));
    assert_eq!(reader.weight(n(0)), 7);
    assert_eq!(reader.with_view(|view| view.weight(n(0))), 7);
}

#[test]
fn a_view_reads_the_eight_lowest_weights_in_one_word() {
    use crate::interleave::WeightSource;
    let table = WeightTable::new(NodeMask::first_n(8));
    for (i, w) in [3u8, 1, 2, 9, 255, 1, 16, 5].into_iter().enumerate() {
        table.set_weight(n(i), w).unwrap();
    }
    let mut reader = table.reader();
    let (word, single) = reader.with_view(|view| {
        let single: alloc::vec::Vec<u8> = (0..8).map(|i| view.weight(n(i))).collect();
        (view.first_eight(), single)
    });
    assert_eq!(word.to_le_bytes().to_vec(), single);
    assert_eq!(single, [3, 1, 2, 9, 255, 1, 16, 5]);
}

#[test]
fn a_view_reads_eight_weights_at_any_chunk_like_single_reads() {
    use crate::interleave::WeightSource;
    let table = WeightTable::new(NodeMask::first_n(MAX_NUMNODES.min(64)));
    for i in 0..MAX_NUMNODES.min(64) {
        table.set_weight(n(i), (i % 50 + 1) as u8).unwrap();
    }
    let mut reader = table.reader();
    reader.with_view(|view| {
        for chunk in [
            0,
            1,
            5,
            MAX_NUMNODES / 8 - 1,
            MAX_NUMNODES / 8,
            usize::MAX / 2,
        ] {
            let mut bytes = [1u8; 8];
            for (i, byte) in bytes.iter_mut().enumerate() {
                if let Some(index) = chunk.checked_mul(8).map(|s| s + i) {
                    if index < MAX_NUMNODES {
                        *byte = view.weight(n(index));
                    }
                }
            }
            assert_eq!(view.eight_at(chunk), u64::from_le_bytes(bytes), "{chunk}");
        }
    });
}

#[test]
fn a_table_keeps_the_small_first_eight_of_its_weights() {
    use crate::interleave::WeightSource;
    let table = WeightTable::new(NodeMask::first_n(10));
    let mut reader = table.reader();
    let mut check = |weights: &[u8]| {
        for (i, &w) in weights.iter().enumerate() {
            table.set_weight(n(i), w).unwrap();
        }
        reader.quiescent();
        let (kept, derived) = reader.with_view(|view| {
            let mut eight = [0u8; 8];
            for (i, slot) in eight.iter_mut().enumerate() {
                *slot = view.weight(n(i));
            }
            (view.small_first_eight(), eight.small_first_eight())
        });
        assert_eq!(kept, derived, "{weights:?}");
        kept.map(|w| w.get())
    };
    assert_eq!(check(&[3, 1, 2, 1]), Some(0x0101_0101_0102_0103));
    assert_eq!(check(&[31, 31, 31, 31]), None); // 128 in all
    assert_eq!(check(&[31, 30, 31, 31]), Some(0x0101_0101_1f1f_1e1f));
    assert_eq!(check(&[1, 1, 1, 1, 1, 1, 1, 40]), None); // above 31
                                                         // Node 8 and up do not count.
    assert_eq!(
        check(&[1, 1, 1, 1, 1, 1, 1, 1, 200, 200]),
        Some(0x0101_0101_0101_0101)
    );
}

#[test]
fn bulk_reads_agree_with_single_reads() {
    let table = WeightTable::new(NodeMask::first_n(4));
    for (i, w) in [3u8, 1, 2, 1].into_iter().enumerate() {
        table.set_weight(n(i), w).unwrap();
    }
    let mut reader = table.reader();
    let mut all = [0; MAX_NUMNODES];
    reader.copy_weights(&mut all);
    assert_eq!(all[..5], [3, 1, 2, 1, 1]);
    let mut some = [0; MAX_NUMNODES];
    let total = reader.weights_of(&NodeMask::from_node(n(0)).with(n(2)), &mut some);
    assert_eq!((total, some[..4].to_vec()), (5, alloc::vec![3, 0, 2, 0]));
    assert_eq!(
        reader.weights_of(&NodeMask::full(), &mut some),
        MAX_NUMNODES as u32 + 3
    );
}

#[test]
fn readers_let_retired_tables_go() {
    let table = WeightTable::new(NodeMask::first_n(2));
    let mut reader = table.reader();
    for w in 1..=50u8 {
        table.set_weight(n(0), w).unwrap();
        assert_eq!(reader.weight(n(0)), w);
        // Two batches of 16 at most: the one being filled and the one in its grace period.
        assert!(table.retired() <= 36, "retired {}", table.retired());
    }
    // An idle reader holds back reclamation until it reports a quiescent state.
    for w in 1..=10u8 {
        table.set_weight(n(1), w).unwrap();
    }
    assert!(table.retired() >= 10);
    // The epoch advances only once every reader has caught up, and a table is freed two
    // advances after its retirement: a few rounds of report + reclaim free everything.
    let mut rounds = 0;
    while table.retired() > 0 {
        reader.quiescent();
        table.reclaim();
        rounds += 1;
        assert!(rounds <= 3, "still {} retired", table.retired());
    }
    assert!(core::ptr::eq(reader.table(), &table));
}

#[test]
fn parse_weight_follows_kstrtou8_base_0() {
    for linux in Linux::ALL {
        for (text, value) in [
            ("1", 1),
            ("0x10", 16),
            ("0X1f\n", 31),
            ("010", 8),
            ("+3", 3),
            ("255", 255),
        ] {
            assert_eq!(parse_weight(text, linux), Ok(value), "{text:?}");
        }
        assert_eq!(parse_weight("7\0junk", linux), Ok(7));
        for text in [
            "-1", "3x", "0x", "08", " 1", "1 ", "1\n\n", "++1", "x1", "\n\n",
        ] {
            let err = parse_weight(text, linux).unwrap_err();
            assert_eq!(err.errno(), errno::EINVAL, "{text:?}");
            assert!(matches!(err, Error::Parse(_)), "{text:?}: {err:?}");
        }
        assert_eq!(parse_weight("256", linux), Err(Error::InvalidWeight(256)));
        assert!(parse_weight("99999999999999999999999", linux).is_err());
    }
}

#[test]
fn zero_and_empty_weights_differ_between_releases() {
    // 7.3: "0" and an empty write are EINVAL.
    for text in ["", "\n", "\0"] {
        assert!(matches!(
            parse_weight(text, Linux::V7_3),
            Err(Error::Parse(_))
        ));
    }
    for text in ["0", "0x0", "00", "+0\n"] {
        assert_eq!(
            parse_weight(text, Linux::V7_3),
            Err(Error::InvalidWeight(0))
        );
    }
    // 6.12: both mean the default weight, read back as 1.
    for text in ["", "\n", "\0", "0", "0x0", "00", "+0\n"] {
        assert_eq!(parse_weight(text, Linux::V6_12), Ok(1), "{text:?}");
    }
}

#[test]
fn parse_bool_follows_kstrtobool() {
    for text in ["1", "y", "Yes", "true", "T", "on", "ON\n", "enable"] {
        assert_eq!(parse_bool(text), Ok(true), "{text:?}");
    }
    for text in ["0", "n", "No", "false", "F", "off", "of", "disable"] {
        assert_eq!(parse_bool(text), Ok(false), "{text:?}");
    }
    for text in ["", "o", "ox", "auto", "2", " y", "\0y"] {
        assert_eq!(
            parse_bool(text).unwrap_err().errno(),
            errno::EINVAL,
            "{text:?}"
        );
    }
}

#[test]
fn sysfs_files_exist_only_for_memory_nodes() {
    let table = WeightTable::new(NodeMask::first_n(2));
    assert_eq!(table.store_node(n(2), "3"), Err(Error::NotFound));
    assert_eq!(table.show_node(n(2)), Err(Error::NotFound));
    assert!(table.store_node(n(1), "0").is_err());
    assert!(table.is_auto());
    table.store_node(n(1), "0x10\n").unwrap();
    assert_eq!(table.show_node(n(1)), Ok(16));
    assert_eq!(table.show_auto(), Ok("false\n"));
    assert_eq!(table.store_auto("1"), Err(Error::NoBandwidth));
    assert!(table.store_auto("maybe").is_err());
    table.set_memory_nodes(NodeMask::first_n(3));
    table.store_node(n(2), "2").unwrap();
    assert_eq!(table.memory_nodes(), NodeMask::first_n(3));
}

fn table_6_12() -> WeightTable {
    // Four possible nodes, node 3 without memory.
    WeightTable::for_linux(
        Linux::V6_12,
        NodeMask::first_n(4),
        NodeMask::first_n(3),
        Domain::new(),
    )
}

#[test]
fn linux_6_12_has_a_file_per_possible_node_and_no_auto_file() {
    let table = table_6_12();
    assert_eq!(table.linux(), Linux::V6_12);
    assert!(!table.is_auto());
    assert_eq!(table.show_auto(), Err(Error::NotFound));
    assert_eq!(table.store_auto("1"), Err(Error::NotFound));
    assert_eq!(table.store_auto("garbage"), Err(Error::NotFound));
    assert_eq!(table.set_auto(false), Err(Error::NotFound));
    // The memoryless node has a file; node 4 is not possible.
    assert!(table.has_node_file(n(3)) && !table.has_node_file(n(4)));
    table.store_node(n(3), "7").unwrap();
    assert_eq!(table.show_node(n(3)), Ok(7));
    assert_eq!(table.store_node(n(4), "1"), Err(Error::NotFound));
    // 0 and an empty write store the default weight.
    table.store_node(n(3), "0").unwrap();
    table.store_node(n(0), "").unwrap();
    assert_eq!(
        (table.show_node(n(3)), table.show_node(n(0))),
        (Ok(1), Ok(1))
    );
    assert_eq!(
        table.store_node(n(1), "256").unwrap_err().errno(),
        errno::EINVAL
    );
    // Bandwidth never reaches the weights.
    table.store_node(n(1), "5").unwrap();
    table.set_node_bandwidth(n(0), 900, 900).unwrap();
    assert_eq!(table.snapshot().as_array()[..4], [1, 5, 1, 1]);
    assert!(!table.is_auto());
}

#[test]
fn linux_7_3_files_follow_memory_and_hotplug_keeps_weights() {
    let table = WeightTable::for_linux(
        Linux::V7_3,
        NodeMask::first_n(4),
        NodeMask::first_n(3),
        Domain::new(),
    );
    assert!(!table.has_node_file(n(3)));
    assert_eq!(table.store_node(n(3), "7"), Err(Error::NotFound));
    // First memory: the file appears with the table's weight (1), auto stays on.
    table.memory_online(n(3));
    assert!(table.has_node_file(n(3)) && table.is_auto());
    assert_eq!(table.show_node(n(3)), Ok(1));
    assert_eq!(table.memory_nodes(), NodeMask::first_n(4));
    table.memory_online(n(3)); // already has memory: nothing changes
    assert_eq!(table.memory_nodes(), NodeMask::first_n(4));
    // Last memory: the file goes, the weight stays for a later online.
    table.store_node(n(3), "9").unwrap();
    table.memory_offline(n(3));
    assert_eq!(table.show_node(n(3)), Err(Error::NotFound));
    assert_eq!(table.snapshot().get(n(3)), 9);
    table.memory_offline(n(3));
    assert_eq!(table.memory_nodes(), NodeMask::first_n(3));
    table.memory_online(n(3));
    assert_eq!(table.show_node(n(3)), Ok(9));
}

#[test]
fn hotplug_does_not_recompute_but_the_next_bandwidth_report_does() {
    let table = WeightTable::new(NodeMask::first_n(2));
    let mut reader = table.reader();
    table.set_node_bandwidth(n(0), 300, 300).unwrap();
    table.set_node_bandwidth(n(1), 100, 100).unwrap();
    assert_eq!((reader.weight(n(0)), reader.weight(n(1))), (3, 1));
    // A node with a known bandwidth (reported while it had no memory) comes online.
    table.set_node_bandwidth(n(2), 400, 400).unwrap();
    assert_eq!(reader.weight(n(2)), 1); // not a memory node yet: left at 1
    table.memory_online(n(2));
    assert_eq!(
        (
            reader.weight(n(0)),
            reader.weight(n(1)),
            reader.weight(n(2))
        ),
        (3, 1, 1)
    );
    // Asking for auto while auto changes nothing either.
    table.set_auto(true).unwrap();
    assert_eq!(reader.weight(n(2)), 1);
    // The next report recomputes over the new memory nodes: 300:100:400 -> 12:4:16.
    table.set_node_bandwidth(n(1), 100, 100).unwrap();
    assert_eq!(
        (
            reader.weight(n(0)),
            reader.weight(n(1)),
            reader.weight(n(2))
        ),
        (3, 1, 4)
    );
    // Offline keeps the weight until the next computation, which leaves the node out
    // (300:100 -> 3:1) and, like every node without memory, gives it 1.
    table.memory_offline(n(2));
    assert_eq!(reader.weight(n(2)), 4);
    table.set_node_bandwidth(n(0), 300, 300).unwrap();
    assert_eq!(
        (
            reader.weight(n(0)),
            reader.weight(n(1)),
            reader.weight(n(2))
        ),
        (3, 1, 1)
    );
}

#[test]
fn auto_on_from_manual_recomputes_and_auto_on_while_auto_is_a_no_op() {
    let table = WeightTable::new(NodeMask::first_n(2));
    // Never configured: "off" publishes a manual copy, "on" without bandwidth is ENODEV.
    table.set_auto(false).unwrap();
    assert!(!table.is_auto());
    assert_eq!(table.set_auto(true), Err(Error::NoBandwidth));
    table.set_node_bandwidth(n(0), 100, 100).unwrap();
    assert_eq!(table.snapshot().as_array()[..2], [1, 1]); // manual: kept
    table.set_auto(true).unwrap();
    // Node 1 has no bandwidth: weight 1; node 0 has all of it: 32.
    assert_eq!(table.snapshot().as_array()[..2], [32, 1]);
    assert!(table.is_auto());
    // Writing the mode it has is a no-op, in both directions.
    let before = table.snapshot();
    table.set_auto(true).unwrap();
    assert_eq!(table.snapshot(), before);
    table.store_node(n(1), "4").unwrap();
    assert!(!table.is_auto());
    table.set_auto(false).unwrap();
    assert_eq!(table.snapshot().as_array()[..2], [32, 4]);
}

#[test]
fn debug_output_is_short() {
    let table = WeightTable::new(NodeMask::first_n(2));
    table.set_weight(n(1), 5).unwrap();
    let text = alloc::format!("{table:?}");
    assert!(
        text.contains("weights: [1, 5]") && text.contains("auto: false"),
        "{text}"
    );
    assert!(alloc::format!("{:?}", table.reader()).starts_with("WeightReader"));
}

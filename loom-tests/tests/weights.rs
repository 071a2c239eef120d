//! Loom models of `mempolicy::weights` (the shipped code: under `--cfg loom` its atomics,
//! lock, cells and epoch are loom's). Published tables keep their bytes in loom-tracked cells
//! that are written when a table is freed, so a torn read, a read of an unpublished table or a
//! read of a freed table is a reported failure.
//!
//! Run with `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=3 cargo test
//! --release`. The reader models have planted-bug twins that must fail (readers' loads
//! relaxed, tables freed at once); the racing-writers model checks the writers' lock, which
//! no reader-side bug can break.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use mempolicy::interleave::WeightSource;
use mempolicy::rcu::{Domain, PlantedBug};
use mempolicy::weights::{reduce_interleave_weights, WeightTable};
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};
use mempolicy_loom_tests::model;

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

fn pair(weights: &[u8; MAX_NUMNODES]) -> [u8; 2] {
    [weights[0], weights[1]]
}

/// (a) A reader racing a publish that changes two weights at once sees the whole old or the
/// whole new table, never a mix, never freed memory, and never goes back.
fn whole_tables(bug: PlantedBug) {
    model(
        "weights::reader_sees_whole_old_or_whole_new_table",
        move || {
            let domain = Domain::with_planted_bug(bug);
            let table = Arc::new(WeightTable::with_domain(NodeMask::first_n(2), domain));
            // Setup (automatic mode): bandwidths 0:100 give weights 1:32.
            table.set_node_bandwidth(n(1), 100, 100).unwrap();

            let writer = thread::spawn({
                let table = Arc::clone(&table);
                move || {
                    // Bandwidths 300:100 give 3:1: both weights change in one publish. Then try
                    // to free the old table.
                    table.set_node_bandwidth(n(0), 300, 300).unwrap();
                    table.reclaim();
                }
            });

            let (old, new) = ([1, 32], [3, 1]);
            let mut reader = table.reader();
            let mut out = [0; MAX_NUMNODES];
            let total = reader.weights_of(&NodeMask::first_n(2), &mut out);
            let first = pair(&out);
            assert!(first == old || first == new, "torn table {first:?}");
            assert_eq!(total, u32::from(first[0]) + u32::from(first[1]));
            reader.copy_weights(&mut out);
            let second = pair(&out);
            assert!(second == old || second == new, "torn table {second:?}");
            assert!(!(first == new && second == old), "went back in time");
            // The word the static weighted pick reads (kept beside the bytes): the old table's
            // 32 is too large for it, the new table's weights give one.
            let small = reader.with_view(|view| view.small_first_eight().map(|w| w.get()));
            assert!(
                small.is_none() || small == Some(0x0101_0101_0101_0103),
                "torn word {small:?}"
            );
            assert!(!(second == new && small.is_none()), "went back in time");
            drop(reader);
            writer.join().unwrap();
            assert_eq!(pair(table.snapshot().as_array()), new);
        },
    );
}

#[test]
fn reader_sees_whole_old_or_whole_new_table() {
    whole_tables(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_sees_whole_old_or_whole_new_table_catches_a_relaxed_load() {
    whole_tables(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn reader_sees_whole_old_or_whole_new_table_catches_a_free_at_once() {
    whole_tables(PlantedBug::FreeAtOnce);
}

/// The operations of model (b).
#[derive(Clone, Copy, Debug)]
enum Op {
    SetWeight,
    AutoOn,
    Bandwidth,
}

/// A serial model of the three operations from the setup state (bandwidths 300:300,
/// manual 1:1).
fn serial(order: [Op; 3]) -> (bool, [u8; 2]) {
    let memory = NodeMask::first_n(2);
    let mut bw = [0u64; MAX_NUMNODES];
    bw[0] = 300;
    bw[1] = 300;
    let (mut auto, mut w) = (false, [1u8; MAX_NUMNODES]);
    for op in order {
        match op {
            Op::SetWeight => (auto, w[0]) = (false, 9),
            Op::AutoOn => (auto, w) = (true, reduce_interleave_weights(&bw, &memory)),
            Op::Bandwidth => {
                bw[1] = 100;
                if auto {
                    w = reduce_interleave_weights(&bw, &memory);
                }
            }
        }
    }
    (auto, pair(&w))
}

fn run(table: &WeightTable, op: Op) {
    match op {
        Op::SetWeight => table.set_weight(n(0), 9).unwrap(),
        Op::AutoOn => table.set_auto(true).unwrap(),
        Op::Bandwidth => table.set_node_bandwidth(n(1), 100, 200).unwrap(),
    }
}

/// (b) A manual weight write, auto on and a bandwidth update racing: the final state is what
/// some serial order of the three gives, and readers see that same state.
#[test]
fn racing_writers_end_in_a_serial_state() {
    use Op::*;
    let orders = [
        [SetWeight, AutoOn, Bandwidth],
        [SetWeight, Bandwidth, AutoOn],
        [AutoOn, SetWeight, Bandwidth],
        [AutoOn, Bandwidth, SetWeight],
        [Bandwidth, SetWeight, AutoOn],
        [Bandwidth, AutoOn, SetWeight],
    ];
    let allowed: Vec<(bool, [u8; 2])> = orders.iter().map(|&o| serial(o)).collect();
    model("weights::racing_writers_end_in_a_serial_state", move || {
        let table = Arc::new(WeightTable::new(NodeMask::first_n(2)));
        table.set_node_bandwidth(n(0), 300, 300).unwrap();
        table.set_node_bandwidth(n(1), 300, 300).unwrap();
        table.set_auto(false).unwrap();

        let threads: Vec<_> = [SetWeight, AutoOn]
            .into_iter()
            .map(|op| {
                let table = Arc::clone(&table);
                thread::spawn(move || run(&table, op))
            })
            .collect();
        run(&table, Bandwidth);
        for t in threads {
            t.join().unwrap();
        }
        let snapshot = table.snapshot();
        let end = (snapshot.is_auto(), pair(snapshot.as_array()));
        assert!(
            allowed.contains(&end),
            "{end:?} is no serial outcome of {allowed:?}"
        );
        let mut reader = table.reader();
        let mut out = [0; MAX_NUMNODES];
        reader.copy_weights(&mut out);
        assert_eq!((reader.is_auto(), pair(&out)), end);
    });
}

/// (c) A reader's cached view (the remembered table pointer) against two successive
/// publishes with reclamation in between: every read sees a published table, reads never go
/// back, and the last read after the writer is done sees the last table even if the newest
/// table reuses the address of a freed one.
fn cached_view(bug: PlantedBug) {
    model("weights::cached_view_follows_two_publishes", move || {
        let domain = Domain::with_planted_bug(bug);
        let table = Arc::new(WeightTable::with_domain(NodeMask::first_n(1), domain));
        let writer = thread::spawn({
            let table = Arc::clone(&table);
            move || {
                table.set_weight(n(0), 2).unwrap();
                table.reclaim();
                table.set_weight(n(0), 3).unwrap();
                table.reclaim();
            }
        });
        let mut reader = table.reader();
        let a = reader.weight(n(0));
        let b = reader.weight(n(0));
        assert!(
            (1..=3).contains(&a) && a <= b && b <= 3,
            "read {a} then {b}"
        );
        writer.join().unwrap();
        assert_eq!(reader.weight(n(0)), 3);
    });
}

#[test]
fn cached_view_follows_two_publishes() {
    cached_view(PlantedBug::None);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn cached_view_follows_two_publishes_catches_a_relaxed_load() {
    cached_view(PlantedBug::RelaxedLoad);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn cached_view_follows_two_publishes_catches_a_free_at_once() {
    cached_view(PlantedBug::FreeAtOnce);
}

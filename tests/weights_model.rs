//! The weight table against a simple model of Linux's weighted-interleave state (7.3:
//! `node_store`, `weighted_interleave_auto_store`, `mempolicy_set_node_perf`,
//! `wi_node_notifier`; 6.12: a plain table without automatic mode), over random operation
//! sequences, read back through a reader, a bulk copy, a snapshot and the sysfs files.

use mempolicy::rcu::Domain;
use mempolicy::weights::{reduce_interleave_weights, WeightTable};
use mempolicy::{Error, Linux, NodeId, NodeMask, MAX_NUMNODES};
use proptest::prelude::*;

const NODES: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    SetWeight(usize, u8),
    SetAuto(bool),
    Bandwidth(usize, u64, u64),
    MemoryOnline(usize),
    MemoryOffline(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NODES, any::<u8>()).prop_map(|(n, w)| Op::SetWeight(n, w)),
        any::<bool>().prop_map(Op::SetAuto),
        (0..NODES, 0..5000u64, 0..5000u64).prop_map(|(n, r, w)| Op::Bandwidth(n, r, w)),
        (0..NODES).prop_map(Op::MemoryOnline),
        (0..NODES).prop_map(Op::MemoryOffline),
    ]
}

/// The model: Linux's `wi_state` (`None` = never configured: auto on 7.3, all 1) plus
/// `node_bw_table` and `N_MEMORY`.
struct Model {
    linux: Linux,
    state: Option<(bool, [u8; MAX_NUMNODES])>,
    bandwidth: Option<[u64; MAX_NUMNODES]>,
    memory: NodeMask,
}

impl Model {
    fn weights(&self) -> [u8; MAX_NUMNODES] {
        self.state.map_or([1; MAX_NUMNODES], |(_, w)| w)
    }

    fn auto(&self) -> bool {
        self.linux == Linux::V7_3 && self.state.is_none_or(|(auto, _)| auto)
    }

    /// Whether `nodeN` exists: memory nodes on 7.3, every possible node on 6.12.
    fn has_file(&self, n: usize) -> bool {
        match self.linux {
            Linux::V6_12 => n < NODES,
            _ => self.memory.contains(NodeId::new(n)),
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), Error> {
        match *op {
            Op::SetWeight(_, 0) => return Err(Error::InvalidWeight(0)),
            Op::SetWeight(n, w) => {
                let mut weights = self.weights();
                weights[n] = w;
                self.state = Some((false, weights));
            }
            Op::SetAuto(_) if self.linux == Linux::V6_12 => return Err(Error::NotFound),
            Op::SetAuto(false) => {
                if self.auto() {
                    self.state = Some((false, self.weights()));
                }
            }
            Op::SetAuto(true) => {
                let bw = self.bandwidth.ok_or(Error::NoBandwidth)?;
                if !(self.state.is_some() && self.auto()) {
                    self.state = Some((true, reduce_interleave_weights(&bw, &self.memory)));
                }
            }
            Op::Bandwidth(n, r, w) => {
                let mut bw = self.bandwidth.unwrap_or([0; MAX_NUMNODES]);
                bw[n] = r.min(w);
                self.bandwidth = Some(bw);
                if self.auto() {
                    self.state = Some((true, reduce_interleave_weights(&bw, &self.memory)));
                }
            }
            Op::MemoryOnline(n) => self.memory.insert(NodeId::new(n)),
            Op::MemoryOffline(n) => self.memory.remove(NodeId::new(n)),
        }
        Ok(())
    }
}

proptest! {
    #[test]
    fn table_follows_the_model(
        linux in prop::sample::select(Linux::ALL.to_vec()),
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let memory = NodeMask::first_n(NODES - 1); // node 3 has no memory
        let table = WeightTable::for_linux(linux, NodeMask::first_n(NODES), memory, Domain::new());
        let mut reader = table.reader();
        let mut model = Model { linux, state: None, bandwidth: None, memory };
        for op in &ops {
            let expected = model.apply(op);
            let got = match *op {
                Op::SetWeight(n, w) => table.set_weight(NodeId::new(n), w),
                Op::SetAuto(on) => table.set_auto(on),
                Op::Bandwidth(n, r, w) => table.set_node_bandwidth(NodeId::new(n), r, w),
                Op::MemoryOnline(n) => {
                    table.memory_online(NodeId::new(n));
                    Ok(())
                }
                Op::MemoryOffline(n) => {
                    table.memory_offline(NodeId::new(n));
                    Ok(())
                }
            };
            prop_assert_eq!(got, expected, "{:?}", op);
            let mut bulk = [0; MAX_NUMNODES];
            reader.copy_weights(&mut bulk);
            prop_assert_eq!(bulk, model.weights());
            prop_assert_eq!(*table.snapshot().as_array(), model.weights());
            prop_assert_eq!(table.is_auto(), model.auto());
            prop_assert_eq!(reader.is_auto(), model.auto());
            prop_assert_eq!(table.memory_nodes(), model.memory);
            for n in 0..NODES {
                prop_assert_eq!(reader.weight(NodeId::new(n)), model.weights()[n]);
                let file = table.show_node(NodeId::new(n));
                if model.has_file(n) {
                    prop_assert_eq!(file, Ok(model.weights()[n]));
                } else {
                    prop_assert_eq!(file, Err(Error::NotFound));
                }
            }
        }
    }

    #[test]
    fn reduced_weights_are_between_1_and_32_and_coprime(
        bw in proptest::collection::vec(any::<u64>(), 1..8),
    ) {
        let mut all = [0; MAX_NUMNODES];
        all[..bw.len()].copy_from_slice(&bw);
        let w = reduce_interleave_weights(&all, &NodeMask::first_n(bw.len()));
        let used = &w[..bw.len()];
        prop_assert!(used.iter().all(|&w| (1..=32).contains(&w)));
        let gcd = used.iter().fold(0u8, |g, &w| gcd(g, w));
        prop_assert_eq!(gcd, 1);
        prop_assert!(w[bw.len()..].iter().all(|&w| w == 1));
    }
}

fn gcd(a: u8, b: u8) -> u8 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Linux 6.12 accepted 0; 6.16+ refuses it with EINVAL (conformance NOTES, smoke L77).
#[test]
fn zero_weight_is_einval_and_changes_nothing() {
    let table = WeightTable::new(NodeMask::first_n(4));
    let before = table.snapshot();
    let err = table.store_node(NodeId::new(0), "0").unwrap_err();
    assert_eq!(err.errno(), mempolicy::errno::EINVAL);
    assert_eq!(table.snapshot(), before);
}

/// The weights of the conformance run (3 1 2 1 over nodes 0-3) read back as written.
#[test]
fn conformance_weights_read_back() {
    let table = WeightTable::new(NodeMask::first_n(4));
    for (node, text) in ["3", "1", "2", "1"].into_iter().enumerate() {
        table.store_node(NodeId::new(node), text).unwrap();
    }
    let mut reader = table.reader();
    let mut w = [0; MAX_NUMNODES];
    assert_eq!(reader.weights_of(&NodeMask::first_n(4), &mut w), 7);
    assert_eq!(w[..4], [3, 1, 2, 1]);
    assert_eq!(table.show_auto(), Ok("false\n"));
}

//! The weight table against a simple model of Linux 6.16+'s weighted-interleave state
//! (`node_store`, `weighted_interleave_auto_store`, `mempolicy_set_node_perf`), over random
//! operation sequences, read back through a reader, a bulk copy and a snapshot.

use mempolicy::weights::{reduce_interleave_weights, WeightTable};
use mempolicy::{Error, NodeId, NodeMask, MAX_NUMNODES};
use proptest::prelude::*;

const NODES: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    SetWeight(usize, u8),
    SetAuto(bool),
    Bandwidth(usize, u64, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NODES, any::<u8>()).prop_map(|(n, w)| Op::SetWeight(n, w)),
        any::<bool>().prop_map(Op::SetAuto),
        (0..NODES, 0..5000u64, 0..5000u64).prop_map(|(n, r, w)| Op::Bandwidth(n, r, w)),
    ]
}

/// The model: Linux's `wi_state` (`None` = never configured: auto, all 1) plus `node_bw_table`.
#[derive(Default)]
struct Model {
    state: Option<(bool, [u8; MAX_NUMNODES])>,
    bandwidth: Option<[u64; MAX_NUMNODES]>,
}

impl Model {
    fn weights(&self) -> [u8; MAX_NUMNODES] {
        self.state.map_or([1; MAX_NUMNODES], |(_, w)| w)
    }

    fn auto(&self) -> bool {
        self.state.is_none_or(|(auto, _)| auto)
    }

    fn apply(&mut self, op: &Op, memory: &NodeMask) -> Result<(), Error> {
        match *op {
            Op::SetWeight(_, 0) => return Err(Error::InvalidWeight(0)),
            Op::SetWeight(n, w) => {
                let mut weights = self.weights();
                weights[n] = w;
                self.state = Some((false, weights));
            }
            Op::SetAuto(false) => {
                if self.auto() {
                    self.state = Some((false, self.weights()));
                }
            }
            Op::SetAuto(true) => {
                let bw = self.bandwidth.ok_or(Error::NoBandwidth)?;
                self.state = Some((true, reduce_interleave_weights(&bw, memory)));
            }
            Op::Bandwidth(n, r, w) => {
                let mut bw = self.bandwidth.unwrap_or([0; MAX_NUMNODES]);
                bw[n] = r.min(w);
                self.bandwidth = Some(bw);
                if self.auto() {
                    self.state = Some((true, reduce_interleave_weights(&bw, memory)));
                }
            }
        }
        Ok(())
    }
}

proptest! {
    #[test]
    fn table_follows_the_model(ops in proptest::collection::vec(op(), 0..40)) {
        let memory = NodeMask::first_n(NODES - 1); // node 3 has no memory
        let table = WeightTable::new(memory);
        let mut reader = table.reader();
        let mut model = Model::default();
        for op in &ops {
            let expected = model.apply(op, &memory);
            let got = match *op {
                Op::SetWeight(n, w) => table.set_weight(NodeId::new(n), w),
                Op::SetAuto(on) => table.set_auto(on),
                Op::Bandwidth(n, r, w) => table.set_node_bandwidth(NodeId::new(n), r, w),
            };
            prop_assert_eq!(got, expected, "{:?}", op);
            let mut bulk = [0; MAX_NUMNODES];
            reader.copy_weights(&mut bulk);
            prop_assert_eq!(bulk, model.weights());
            prop_assert_eq!(*table.snapshot().as_array(), model.weights());
            prop_assert_eq!(table.is_auto(), model.auto());
            prop_assert_eq!(reader.is_auto(), model.auto());
            for n in 0..NODES {
                prop_assert_eq!(reader.weight(NodeId::new(n)), model.weights()[n]);
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
    assert_eq!(table.show_auto(), "false\n");
}

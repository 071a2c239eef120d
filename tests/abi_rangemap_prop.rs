//! Property tests of the range map and the shared-policy tree against a naive per-page
//! model: random mmap/munmap/mbind (and shared replaces); every lookup agrees with the model,
//! page offsets stay consistent, and no two adjacent ranges could still merge.

use std::collections::BTreeMap;

use mempolicy::abi::{AddressSpace, MergeKey, RangePolicy, SharedPolicy};
use mempolicy::NodeMask;
use proptest::prelude::*;

const PAGE: u64 = 4096;
const PAGES: u64 = 48;

/// A policy that is just a number; equal numbers are equal policies.
#[derive(Clone, Debug, PartialEq)]
struct Pol(u8);

impl RangePolicy for Pol {
    fn is_equal(&self, other: &Self) -> bool {
        self == other
    }

    fn rebind(&mut self, _: &NodeMask) {
        self.0 = self.0.wrapping_add(10);
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Map pages `[start, start + len)`; `shifted` gives it a page offset that does not
    /// continue its neighbours'.
    Mmap {
        start: u64,
        len: u64,
        shifted: bool,
        /// The merge key (ignored by `()` keys).
        key: Option<u64>,
    },
    Munmap {
        start: u64,
        len: u64,
    },
    Mbind {
        start: u64,
        len: u64,
        policy: Option<u8>,
    },
    Rebind,
}

fn op() -> impl Strategy<Value = Op> {
    let span = (0..PAGES, 1..12u64);
    prop_oneof![
        (span.clone(), any::<bool>(), prop::option::of(0..2u64)).prop_map(
            |((start, len), shifted, key)| Op::Mmap {
                start,
                len,
                shifted,
                key
            }
        ),
        span.clone()
            .prop_map(|(start, len)| Op::Munmap { start, len }),
        (span, prop::option::of(0..3u8)).prop_map(|((start, len), policy)| Op::Mbind {
            start,
            len,
            policy
        }),
        Just(Op::Rebind),
    ]
}

/// Per page: (page offset, policy).
type Model = BTreeMap<u64, (u64, Option<u8>)>;

/// Builds the merge key of a new range: `()` ignores the drawn key.
trait Key: MergeKey + core::fmt::Debug {
    fn make(key: Option<u64>) -> Self;
}

impl Key for () {
    fn make(_: Option<u64>) -> Self {}
}

impl Key for Option<u64> {
    fn make(key: Option<u64>) -> Self {
        key
    }
}

fn apply<K: Key>(mm: &mut AddressSpace<Pol, K>, model: &mut Model, op: &Op) {
    match *op {
        Op::Mmap {
            start,
            len,
            shifted,
            key,
        } => {
            let pgoff = if shifted { start + 1000 } else { start };
            let free = (start..start + len).all(|p| !model.contains_key(&p));
            let result = mm.mmap(start * PAGE, len * PAGE, pgoff, K::make(key));
            assert_eq!(result.is_ok(), free, "{op:?}");
            if free {
                for p in start..start + len {
                    model.insert(p, (pgoff + p - start, None));
                }
            }
        }
        Op::Munmap { start, len } => {
            mm.munmap(start * PAGE, len * PAGE).unwrap();
            for p in start..start + len {
                model.remove(&p);
            }
        }
        Op::Mbind { start, len, policy } => {
            mm.set_policy(start * PAGE, (start + len) * PAGE, policy.map(Pol).as_ref());
            for (_, slot) in model.range_mut(start..start + len) {
                slot.1 = policy;
            }
        }
        Op::Rebind => {
            mm.rebind(&NodeMask::new());
            for slot in model.values_mut() {
                slot.1 = slot.1.map(|p| p.wrapping_add(10));
            }
        }
    }
}

fn check<K: Key>(mm: &AddressSpace<Pol, K>, model: &Model) {
    for page in 0..PAGES + 12 {
        let addr = page * PAGE + 17;
        let got = mm
            .find(addr)
            .map(|m| (m.interleave_index(addr), m.policy().map(|p| p.0)));
        assert_eq!(got, model.get(&page).copied(), "page {page}");
    }
    let ranges: Vec<_> = mm.iter().collect();
    for pair in ranges.windows(2) {
        let (l, r) = (pair[0], pair[1]);
        assert!(l.end() <= r.start(), "overlap");
        let mergeable = l.end() == r.start()
            && l.policy().map(|p| p.0) == r.policy().map(|p| p.0)
            && l.pgoff() + l.pages() == r.pgoff()
            && l.key().can_merge(r.key());
        assert!(!mergeable, "unmerged neighbours at {:#x}", r.start());
    }
    assert_eq!(
        ranges.iter().map(|m| m.pages()).sum::<u64>(),
        model.len() as u64
    );
}

proptest! {
    #[test]
    fn range_map_agrees_with_a_per_page_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut mm = AddressSpace::<Pol>::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut mm, &mut model, op);
            check(&mm, &model);
        }
    }

    #[test]
    fn merge_keys_veto_merges_and_lookups_still_agree(ops in prop::collection::vec(op(), 1..40)) {
        let mut mm = AddressSpace::<Pol, Option<u64>>::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut mm, &mut model, op);
            check(&mm, &model);
        }
    }

    #[test]
    fn every_range_owns_its_policy(ops in prop::collection::vec(op(), 1..30)) {
        let mut mm = AddressSpace::<Pol>::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut mm, &mut model, op);
        }
        let mut seen = Vec::new();
        for m in mm.iter() {
            if let Some(p) = m.policy() {
                prop_assert!(!seen.iter().any(|q| std::sync::Arc::ptr_eq(q, p)));
                seen.push(p.clone());
            }
        }
    }

    #[test]
    fn shared_policy_agrees_with_a_per_page_model(
        ops in prop::collection::vec((0..PAGES, 0..16u64, prop::option::of(0..3u8)), 1..30)
    ) {
        let mut sp = SharedPolicy::new(5);
        let mut model: BTreeMap<u64, u8> = BTreeMap::new();
        for &(start, len, policy) in &ops {
            sp.replace(start, start + len, policy.map(Pol).as_ref());
            for p in start..start + len {
                match policy {
                    Some(v) => model.insert(p, v),
                    None => model.remove(&p),
                };
            }
            for p in 0..PAGES + 16 {
                prop_assert_eq!(sp.lookup(p).map(|q| q.0), model.get(&p).copied(), "page {}", p);
            }
            let spans: Vec<_> = sp.iter().map(|(s, e, _)| (s, e)).collect();
            for w in spans.windows(2) {
                prop_assert!(w[0].0 < w[0].1 && w[0].1 <= w[1].0);
            }
        }
    }
}

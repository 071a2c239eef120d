//! `abi::AddressSpace` under random mmap/munmap/set_policy/rebind against a naive per-page
//! model: every lookup agrees, ranges never overlap or stay mergeable, errors change
//! nothing, and the model predicts which calls fail.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mempolicy::abi::{AddressSpace, MergeKey, RangePolicy};
use mempolicy::NodeMask;

const PAGE: u64 = 4096;
/// The highest page number of a 64-bit address space.
const TOP_PAGE: u64 = u64::MAX / PAGE;
/// The most pages one mmap may add to the model.
const MAX_MAP_PAGES: u64 = 64;
const MAX_OPS: usize = 64;

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

/// An address: low or top-of-address-space pages, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Addr {
    Low(u8),
    High(u8),
    Raw(u64),
}

impl Addr {
    fn get(self) -> u64 {
        match self {
            Addr::Low(p) => u64::from(p) * PAGE,
            Addr::High(p) => (TOP_PAGE - u64::from(p)) * PAGE,
            Addr::Raw(a) => a,
        }
    }
}

/// A length: whole pages, pages minus some bytes (rounded up again), or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Len {
    Pages(u8),
    Short(u8, u16),
    Raw(u64),
}

impl Len {
    fn get(self) -> u64 {
        match self {
            Len::Pages(p) => u64::from(p % 65) * PAGE,
            Len::Short(p, by) => (u64::from(p % 65) * PAGE).saturating_sub(u64::from(by) % PAGE),
            Len::Raw(l) => l,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Mmap {
        start: Addr,
        len: Len,
        /// A page offset that does not continue the neighbours'.
        shifted: bool,
        key: Option<bool>,
    },
    Munmap {
        start: Addr,
        len: Len,
    },
    SetPolicy {
        start: Addr,
        pages: u8,
        policy: Option<u8>,
    },
    Rebind,
    Covers {
        start: Addr,
        pages: u8,
    },
}

/// Per page: (page offset, policy).
type Model = BTreeMap<u64, (u64, Option<u8>)>;
type Space = AddressSpace<Pol, Option<u64>>;
type Snapshot = Vec<(u64, u64, u64, Option<u8>, Option<u64>)>;

fn snapshot(mm: &Space) -> Snapshot {
    mm.iter()
        .map(|m| {
            (
                m.start(),
                m.end(),
                m.pgoff(),
                m.policy().map(|p| p.0),
                *m.key(),
            )
        })
        .collect()
}

/// `[start, end)` as mmap/munmap accept it: `None` when they must refuse.
fn checked_range(start: u64, len: u64) -> Option<u64> {
    if start % PAGE != 0 || len == 0 {
        return None;
    }
    let len = len.checked_add(PAGE - 1)? & !(PAGE - 1);
    start.checked_add(len)
}

/// Applies `op` to both; returns whether the call failed.
fn apply(mm: &mut Space, model: &mut Model, op: &Op) -> bool {
    match *op {
        Op::Mmap {
            start,
            len,
            shifted,
            key,
        } => {
            let (start, len) = (start.get(), len.get());
            let end = checked_range(start, len);
            if end.is_some_and(|end| (end - start) / PAGE > MAX_MAP_PAGES) {
                return false; // keeps the model small
            }
            let first = start / PAGE;
            let pgoff = if shifted {
                first.wrapping_add(1000)
            } else {
                first
            };
            let free = end.is_some_and(|end| model.range(first..end / PAGE).next().is_none());
            let result = mm.mmap(start, len, pgoff, key.map(u64::from));
            assert_eq!(result.is_ok(), free, "{op:?}: {result:?}");
            if let (true, Some(end)) = (free, end) {
                for p in first..end / PAGE {
                    model.insert(p, (pgoff.wrapping_add(p - first), None));
                }
            }
            return result.is_err();
        }
        Op::Munmap { start, len } => {
            let (start, len) = (start.get(), len.get());
            let end = checked_range(start, len);
            let result = mm.munmap(start, len);
            assert_eq!(result.is_ok(), end.is_some(), "{op:?}: {result:?}");
            if let Some(end) = end {
                let gone: Vec<u64> = model
                    .range(start / PAGE..end / PAGE)
                    .map(|(&p, _)| p)
                    .collect();
                for p in gone {
                    model.remove(&p);
                }
            }
            return result.is_err();
        }
        Op::SetPolicy {
            start,
            pages,
            policy,
        } => {
            let first = start.get() / PAGE;
            let last = first.saturating_add(u64::from(pages)).min(TOP_PAGE);
            let policy = policy.map(|p| Pol(p % 4));
            mm.set_policy(first * PAGE, last * PAGE, policy.as_ref());
            for (_, slot) in model.range_mut(first..last) {
                slot.1 = policy.as_ref().map(|p| p.0);
            }
        }
        Op::Rebind => {
            mm.rebind(&NodeMask::new());
            for slot in model.values_mut() {
                slot.1 = slot.1.map(|p| p.wrapping_add(10));
            }
        }
        Op::Covers { start, pages } => {
            let first = start.get() / PAGE;
            let last = first.saturating_add(u64::from(pages)).min(TOP_PAGE);
            let covered = (first..last).all(|p| model.contains_key(&p));
            assert_eq!(mm.covers(first * PAGE, last * PAGE), covered, "{op:?}");
            let overlapping: Vec<(u64, u64)> = mm
                .overlapping(first * PAGE, last * PAGE)
                .map(|m| (m.start(), m.end()))
                .collect();
            for &(s, e) in &overlapping {
                assert!(s < last * PAGE && e > first * PAGE, "{op:?}: {s:#x}-{e:#x}");
            }
            let pages_seen: u64 = overlapping
                .iter()
                .map(|&(s, e)| (e.min(last * PAGE) - s.max(first * PAGE)) / PAGE)
                .sum();
            assert_eq!(
                pages_seen,
                model.range(first..last).count() as u64,
                "{op:?}"
            );
        }
    }
    false
}

fn check(mm: &Space, model: &Model) {
    let ranges: Vec<_> = mm.iter().collect();
    let mut pages = 0u64;
    // The ranges' pages, in address order, are the model's pages (one walk of both).
    let mut expected = model.iter();
    for m in &ranges {
        assert!(m.start() % PAGE == 0 && m.end() % PAGE == 0 && m.start() < m.end());
        for p in m.start() / PAGE..m.end() / PAGE {
            let want = expected.next().map(|(&q, &slot)| (q, slot));
            let got = Some((p, (m.interleave_index(p * PAGE), m.policy().map(|p| p.0))));
            assert_eq!(got, want, "page {p:#x} in {:#x}-{:#x}", m.start(), m.end());
        }
        pages += m.pages();
    }
    assert_eq!(pages, model.len() as u64, "mapped pages");
    let mut pages = model.iter().peekable();
    let mut previous = None;
    while let Some((&p, &(index, policy))) = pages.next() {
        for addr in [p * PAGE, p * PAGE + 17, p * PAGE + PAGE - 1] {
            let found = mm.find(addr).expect("mapped page found");
            assert!(found.contains(addr));
            let (pol, ilx) = mm.policy_at(addr).expect("mapped page has a policy slot");
            assert_eq!((ilx, pol.map(|p| p.0)), (index, policy), "page {p:#x}");
        }
        // The neighbours the model does not hold (the keys are in order) are not mapped.
        let next = pages.peek().map(|(&q, _)| q);
        let below = p.checked_sub(1).filter(|&q| previous != Some(q));
        let above = Some(p + 1).filter(|&q| q <= TOP_PAGE && next != Some(q));
        for q in below.into_iter().chain(above) {
            assert!(mm.find(q * PAGE).is_none(), "page {q:#x} is not mapped");
            assert!(mm.policy_at(q * PAGE + 5).is_none());
        }
        previous = Some(p);
    }
    for pair in ranges.windows(2) {
        let (l, r) = (pair[0], pair[1]);
        assert!(l.end() <= r.start(), "overlap at {:#x}", r.start());
        let mergeable = l.end() == r.start()
            && l.policy().map(|p| p.0) == r.policy().map(|p| p.0)
            && l.pgoff().wrapping_add(l.pages()) == r.pgoff()
            && l.key().can_merge(r.key());
        assert!(!mergeable, "unmerged neighbours at {:#x}", r.start());
    }
    assert_eq!(mm.len(), ranges.len());
    assert_eq!(mm.is_empty(), model.is_empty());
}

fuzz_target!(|ops: Vec<Op>| {
    let mut mm = Space::new();
    let mut model = Model::new();
    for op in ops.iter().take(MAX_OPS) {
        let before = snapshot(&mm);
        if apply(&mut mm, &mut model, op) {
            assert_eq!(snapshot(&mm), before, "{op:?} failed and changed the map");
        }
        check(&mm, &model);
    }
});

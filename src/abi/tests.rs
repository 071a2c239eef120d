use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::syscalls::range_end;
use super::*;
use crate::error::Error;
use crate::nodemask::NodeMask;
use crate::page::PAGE_SIZE;

#[derive(Clone, Debug, PartialEq)]
struct Pol(u8);

impl RangePolicy for Pol {
    fn is_equal(&self, other: &Self) -> bool {
        self == other
    }

    fn rebind(&mut self, _: &NodeMask) {}
}

const P: u64 = PAGE_SIZE;

fn layout<K: MergeKey>(mm: &AddressSpace<Pol, K>) -> String {
    let parts: Vec<String> = mm
        .iter()
        .map(|m| {
            let pol = m.policy().map_or("-".to_string(), |p| p.0.to_string());
            alloc::format!("{}..{}@{}:{}", m.start() / P, m.end() / P, m.pgoff(), pol)
        })
        .collect();
    parts.join(" ")
}

#[test]
fn split_pieces_keep_their_page_offsets() {
    let mut mm: AddressSpace<Pol> = AddressSpace::new();
    mm.mmap(10 * P, 8 * P, 100, ()).unwrap();
    mm.set_policy(12 * P, 15 * P, Some(&Pol(1)));
    assert_eq!(layout(&mm), "10..12@100:- 12..15@102:1 15..18@105:-");
    assert_eq!(
        mm.find(16 * P).map(|m| m.interleave_index(16 * P + 5)),
        Some(106)
    );
}

#[test]
fn merge_needs_contiguous_page_offsets() {
    let mut mm: AddressSpace<Pol> = AddressSpace::new();
    mm.mmap(0, 2 * P, 0, ()).unwrap();
    mm.mmap(2 * P, 2 * P, 50, ()).unwrap();
    assert_eq!(mm.len(), 2);
    mm.mmap(4 * P, 2 * P, 52, ()).unwrap();
    assert_eq!(layout(&mm), "0..2@0:- 2..6@50:-");
}

#[test]
fn merge_key_can_veto() {
    let mut mm: AddressSpace<Pol, Option<u64>> = AddressSpace::new();
    mm.mmap(0, 6 * P, 0, None).unwrap();
    mm.set_policy(2 * P, 4 * P, Some(&Pol(1)));
    *mm.key_mut(0).unwrap() = Some(1);
    *mm.key_mut(4 * P).unwrap() = Some(2);
    mm.set_policy(2 * P, 4 * P, None);
    // The middle (no identity) merges with the left, but not with the right.
    assert_eq!(layout(&mm), "0..4@0:- 4..6@4:-");
    assert_eq!(mm.find(P).map(|m| *m.key()), Some(Some(1)));
}

#[test]
fn equal_policies_are_left_alone() {
    let mut mm: AddressSpace<Pol> = AddressSpace::new();
    mm.mmap(0, 4 * P, 0, ()).unwrap();
    mm.set_policy(0, 4 * P, Some(&Pol(3)));
    let before = mm.find(0).and_then(|m| m.policy().cloned()).unwrap();
    mm.set_policy(P, 2 * P, Some(&Pol(3)));
    assert_eq!(mm.len(), 1, "no split for an equal policy");
    let after = mm.find(0).and_then(|m| m.policy().cloned()).unwrap();
    assert!(alloc::sync::Arc::ptr_eq(&before, &after));
}

#[test]
fn mmap_and_munmap_check_their_ranges() {
    let mut mm: AddressSpace<Pol> = AddressSpace::new();
    assert_eq!(mm.mmap(1, P, 0, ()), Err(Error::Unaligned(1)));
    assert_eq!(mm.mmap(0, 0, 0, ()), Err(Error::InvalidRange(0)));
    assert_eq!(
        mm.mmap(u64::MAX - P + 1, 2 * P, 0, ()),
        Err(Error::InvalidRange(u64::MAX - P + 1))
    );
    mm.mmap(0, 4 * P, 0, ()).unwrap();
    assert_eq!(
        mm.mmap(3 * P, 2 * P, 3, ()),
        Err(Error::InvalidRange(3 * P))
    );
    assert_eq!(mm.len(), 1);
    mm.munmap(P, 2 * P).unwrap();
    assert_eq!(layout(&mm), "0..1@0:- 3..4@3:-");
    assert!(!mm.covers(0, 4 * P));
    assert!(mm.covers(3 * P, 4 * P));
    assert!(mm.covers(3 * P + 7, 4 * P));
    mm.munmap(0, 100 * P).unwrap();
    assert!(mm.is_empty());
}

#[test]
fn lengths_round_up_and_ends_must_not_wrap() {
    assert_eq!(range_end(0, 0), Ok(None));
    assert_eq!(range_end(P, 1), Ok(Some(2 * P)));
    assert_eq!(range_end(P, u64::MAX), Ok(None)); // PAGE_ALIGN wraps to 0
    assert_eq!(
        range_end(u64::MAX - P + 1, P),
        Err(Error::InvalidRange(u64::MAX - P + 1))
    );
}

#[test]
fn shared_replace_trims_deletes_and_splits() {
    let mut sp = SharedPolicy::new(0);
    sp.replace(0, 10, Some(&Pol(1)));
    sp.replace(20, 30, Some(&Pol(2)));
    sp.replace(5, 25, Some(&Pol(3)));
    let spans: Vec<_> = sp.iter().map(|(s, e, p)| (s, e, p.0)).collect();
    assert_eq!(spans, [(0, 5, 1), (5, 25, 3), (25, 30, 2)]);
    sp.replace(10, 12, None);
    let spans: Vec<_> = sp.iter().map(|(s, e, p)| (s, e, p.0)).collect();
    assert_eq!(spans, [(0, 5, 1), (5, 10, 3), (12, 25, 3), (25, 30, 2)]);
    sp.replace(3, 3, None);
    assert_eq!(sp.len(), 4);
}

#[test]
fn policies_equal_treats_two_defaults_as_equal() {
    assert!(policies_equal::<Pol>(None, None));
    assert!(!policies_equal(Some(&Pol(1)), None));
    assert!(policies_equal(Some(&Pol(1)), Some(&Pol(1))));
}

use super::*;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

fn mask(text: &str) -> NodeMask {
    NodeMask::parse_list(text).unwrap()
}

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

#[test]
fn node_id_rejects_out_of_range() {
    assert!(NodeId::try_new(MAX_NUMNODES as u64 - 1).is_ok());
    assert_eq!(
        NodeId::try_new(MAX_NUMNODES as u64),
        Err(Error::InvalidNode(MAX_NUMNODES as u64))
    );
    assert_eq!(NodeId::MAX.index(), MAX_NUMNODES - 1);
}

#[test]
fn basic_set_operations() {
    let mut m = NodeMask::new();
    assert!(m.is_empty());
    m.insert(n(3));
    m.insert(n(63));
    assert!(m.contains(n(3)) && m.contains(n(63)) && !m.contains(n(4)));
    assert_eq!(m.weight(), 2);
    assert_eq!(m.first(), Some(n(3)));
    assert_eq!(m.last(), Some(n(63)));
    m.remove(n(3));
    assert_eq!(m.first(), Some(n(63)));
    assert_eq!(NodeMask::EMPTY.first(), None);
    assert_eq!(NodeMask::EMPTY.last(), None);
}

#[test]
fn next_in_wraps_like_next_node_in() {
    let m = mask("0,2,5");
    assert_eq!(m.next_in(n(0)), Some(n(2)));
    assert_eq!(m.next_in(n(5)), Some(n(0)));
    assert_eq!(m.next_in(NodeId::MAX), Some(n(0)));
    assert_eq!(mask("4").next_in(n(4)), Some(n(4)));
    assert_eq!(NodeMask::EMPTY.next_in(n(1)), None);
}

#[test]
fn nth_and_position_are_inverse() {
    let m = mask("1,3,5-7");
    for (i, node) in m.iter().enumerate() {
        assert_eq!(m.nth(i), Some(node));
        assert_eq!(m.position(node), Some(i));
    }
    assert_eq!(m.nth(5), None);
    assert_eq!(m.position(n(2)), None);
}

#[test]
fn full_and_complement_respect_the_width() {
    assert_eq!(NodeMask::full().weight(), MAX_NUMNODES);
    assert_eq!(NodeMask::first_n(4).to_string(), "0-3");
    assert_eq!(mask("1,3").complement(4).to_string(), "0,2");
    assert_eq!((!NodeMask::full()).weight(), 0);
    assert_eq!(NodeMask::first_n(MAX_NUMNODES + 5), NodeMask::full());
}

#[test]
fn algebra() {
    let a = mask("0-3");
    let b = mask("2-5");
    assert_eq!((a & b).to_string(), "2-3");
    assert_eq!((a | b).to_string(), "0-5");
    assert_eq!((a - b).to_string(), "0-1");
    assert_eq!(a.xor(&b).to_string(), "0-1,4-5");
    assert!(mask("1-2").is_subset(&a));
    assert!(!b.is_subset(&a));
    assert!(a.intersects(&b));
    assert!(!a.intersects(&mask("7")));
}

#[test]
fn print_like_pbl() {
    assert_eq!(NodeMask::EMPTY.to_string(), "");
    assert_eq!(mask("0-3,5,7-8").to_string(), "0-3,5,7-8");
    assert_eq!(mask("1,2").to_string(), "1-2");
    assert_eq!(NodeMask::EMPTY.display_or_none().to_string(), "none");
    assert_eq!(mask("4").display_or_none().to_string(), "4");
}

#[test]
fn parse_like_bitmap_parselist() {
    assert_eq!(mask("").to_string(), "");
    assert_eq!(mask(",, 1 ,3\t").to_string(), "1,3");
    assert_eq!(mask("0-7:2/4").to_string(), "0-1,4-5");
    assert_eq!(mask("0-7:0/4").to_string(), "");
    assert_eq!(mask("all").weight(), MAX_NUMNODES);
    assert_eq!(mask("ALL:1/2").weight(), MAX_NUMNODES / 2);
    assert_eq!(mask("N").to_string(), (MAX_NUMNODES - 1).to_string());
    assert_eq!(mask("1\n5").to_string(), "1");
    assert_eq!(mask("\n1").to_string(), "1");
    assert_eq!(mask("0-3:1/2\n5").to_string(), "0,2,5");
    assert_eq!(NodeMask::parse_list("3-1"), Err(Error::Parse(0)));
    assert_eq!(NodeMask::parse_list("1,x"), Err(Error::Parse(2)));
    assert_eq!(NodeMask::parse_list("1-"), Err(Error::Parse(2)));
    assert_eq!(NodeMask::parse_list("0-3:3/2"), Err(Error::Parse(0)));
    assert_eq!(NodeMask::parse_list("0-3:1/0"), Err(Error::Parse(0)));
    assert_eq!(NodeMask::parse_list("0-3:1"), Err(Error::Parse(5)));
    assert_eq!(NodeMask::parse_list("-1"), Err(Error::Parse(0)));
    assert_eq!(
        NodeMask::parse_list(&MAX_NUMNODES.to_string()),
        Err(Error::NodeOutOfRange(MAX_NUMNODES as u64))
    );
    assert_eq!(
        NodeMask::parse_list("1,99999999999"),
        Err(Error::NumberOverflow(2))
    );
    assert_eq!(NodeMask::parse_list("4294967295"), Err(Error::Parse(0)));
}

#[test]
fn fold_onto_remap_match_lib_bitmap() {
    assert_eq!(mask("1,5,6").fold(4).to_string(), "1-2");
    assert_eq!(mask("1").fold(0), NodeMask::EMPTY);
    assert_eq!(mask("0,2,9").onto(&mask("4-7")).to_string(), "4,6");
    // nodes_remap: remapped by position, unmapped nodes kept, empty `new` is identity.
    assert_eq!(
        mask("0-3").remap(&mask("0-3"), &mask("0-1")).to_string(),
        "0-1"
    );
    assert_eq!(mask("3").remap(&mask("0-3"), &mask("0-1")).to_string(), "1");
    assert_eq!(mask("5").remap(&mask("0-3"), &mask("0-1")).to_string(), "5");
    assert_eq!(
        mask("2").remap(&mask("0-3"), &NodeMask::EMPTY).to_string(),
        "2"
    );
    assert_eq!(n(2).remap(&mask("2-4"), &mask("3-5")), n(3));
}

#[test]
fn relative_vectors_from_the_relative_nodes_commit() {
    let user = mask("1-3");
    assert_eq!(user.relative_to(&mask("4-7")).to_string(), "5-7");
    assert_eq!(user.relative_to(&mask("1-3")).to_string(), "1-3");
    assert_eq!(user.relative_to(&mask("1-7")).to_string(), "2-4");
    assert_eq!(user.relative_to(&mask("1,5-6")).to_string(), "1,5-6");
    assert_eq!(user.relative_to(&mask("1,5-7")).to_string(), "5-7");
}

#[test]
fn user_abi_reads_maxnode_minus_one_bits() {
    let word = [0b1000u64];
    assert_eq!(
        NodeMask::from_user_slice(Some(&word), 4),
        Ok(NodeMask::EMPTY)
    );
    assert_eq!(NodeMask::from_user_slice(Some(&word), 5), Ok(mask("3")));
    assert_eq!(
        NodeMask::from_user_slice(Some(&word), 1),
        Ok(NodeMask::EMPTY)
    );
    assert_eq!(NodeMask::from_user_slice(None, 64), Ok(NodeMask::EMPTY));
    // maxnode 0 wraps to a huge bit count.
    assert_eq!(
        NodeMask::from_user_slice(Some(&word), 0),
        Err(Error::MaxnodeTooLarge(0))
    );
    let mut page = [0u64; 513];
    page[0] = 1;
    assert!(NodeMask::from_user_slice(Some(&page), 32769).is_ok());
    assert_eq!(
        NodeMask::from_user_slice(Some(&page[..1]), 32770),
        Err(Error::MaxnodeTooLarge(32770))
    );
    // A short user buffer faults.
    assert_eq!(
        NodeMask::from_user_slice(Some(&[]), 3),
        Err(Error::Fault(0))
    );
}

#[test]
fn user_abi_checks_whole_words_above_max() {
    let words = MAX_NUMNODES / 64;
    let mut user = alloc::vec![0u64; words + 3];
    user[0] = 1;
    // The word just above the mask is checked whole, even past maxnode - 1.
    user[words] = 1 << 63;
    assert_eq!(
        NodeMask::from_user_slice(Some(&user), MAX_NUMNODES as u64 + 2),
        Err(Error::NodeBitsBeyondMax(words as u64))
    );
    user[words] = 0;
    assert_eq!(
        NodeMask::from_user_slice(Some(&user), MAX_NUMNODES as u64 + 2),
        Ok(mask("0"))
    );
    user[MAX_NUMNODES / 64 - 1] |= 1 << 63;
    let got = NodeMask::from_user_slice(Some(&user), MAX_NUMNODES as u64 + 130).unwrap();
    assert!(got.contains(NodeId::MAX));
}

#[test]
fn to_user_zeroes_the_tail_and_refuses_more_than_a_page() {
    let m = mask("0-1");
    let mut out = [u64::MAX; 4];
    m.to_user_slice(&mut out, 257, 4).unwrap();
    assert_eq!(out, [0b11, 0, 0, 0]);
    let mut small = [u64::MAX; 2];
    m.to_user_slice(&mut small, 2, 4).unwrap();
    assert_eq!(small, [0b11, u64::MAX]);
    let mut none = [7u64];
    m.to_user_slice(&mut none, u64::MAX, 4).unwrap();
    assert_eq!(none, [7]);
    assert_eq!(
        m.to_user(32834, 4, |_, _| Ok(())),
        Err(Error::MaxnodeTooLarge(32834))
    );
    assert!(m.to_user(32769, 4, |_, _| Ok(())).is_ok());
}

#[test]
fn iteration_is_ascending_and_exact() {
    let m = mask("0,63");
    let nodes: alloc::vec::Vec<_> = m.iter().collect();
    assert_eq!(nodes, [n(0), n(63)]);
    assert_eq!(m.iter().len(), 2);
    let from_iter: NodeMask = nodes.into_iter().collect();
    assert_eq!(from_iter, m);
}

#[test]
fn masks_can_live_in_statics() {
    static ZERO_TWO: NodeMask = NodeMask::from_node(NodeId::new(0)).with(NodeId::new(2));
    assert_eq!(ZERO_TWO.to_string(), "0,2");
}

#[test]
fn remainder_matches_the_division_operator() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut values: Vec<u64> = vec![0, 1, 2, 63, 64, 255, 256, u64::from(u32::MAX) - 1];
    values.extend([
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        u64::MAX - 1,
        u64::MAX,
    ]);
    for _ in 0..2000 {
        // xorshift: 32-bit and wider indices alike.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        values.push(x);
        values.push(x & u64::from(u32::MAX));
        values.push(x & 0xffff);
    }
    let counts = (1..=300).chain([1023, 1024, 65_535, u32::MAX]);
    for count in counts {
        for &ilx in &values {
            assert_eq!(
                u64::from(super::remainder(ilx, count)),
                ilx % u64::from(count),
                "{ilx} % {count}"
            );
        }
    }
}

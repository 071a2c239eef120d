//! Node masks: text, algebra, search, the remapping trio and the user ABI.

use alloc::string::ToString;
use alloc::vec;

use mempolicy::{Error, NodeId, NodeMask, MAX_NUMNODES};

use super::Checks;

fn mask(text: &str) -> NodeMask {
    NodeMask::parse_list(text).unwrap_or_else(|e| panic!("parse {text:?}: {e:?}"))
}

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

pub(crate) fn run(c: &mut Checks) {
    text(c);
    algebra(c);
    search(c);
    remapping(c);
    user_abi(c);
}

fn text(c: &mut Checks) {
    let m = mask("0-3,8,10-11");
    c.eq("parse weight", m.weight(), 7);
    c.eq("display", m.to_string().as_str(), "0-3,8,10-11");
    c.eq("round trip", NodeMask::parse_list(&m.to_string()), Ok(m));
    c.eq(
        "group pattern",
        mask("0-7:2/4").to_string().as_str(),
        "0-1,4-5",
    );
    c.eq("separators", mask(" 1, 3\n").to_string().as_str(), "1,3");
    c.eq("all", mask("all"), NodeMask::full());
    c.eq("empty", mask(""), NodeMask::EMPTY);
    c.eq(
        "none",
        NodeMask::EMPTY.display_or_none().to_string().as_str(),
        "none",
    );
    c.check(
        "reversed range",
        matches!(NodeMask::parse_list("3-1"), Err(Error::Parse(_))),
    );
    c.check(
        "out of range",
        matches!(NodeMask::parse_list("99999"), Err(Error::NodeOutOfRange(_))),
    );
    c.check(
        "overflow",
        matches!(
            NodeMask::parse_list("5000000000"),
            Err(Error::NumberOverflow(_))
        ),
    );
}

fn algebra(c: &mut Checks) {
    let a = mask("0-5");
    let b = mask("4-9");
    c.eq("and", a & b, mask("4-5"));
    c.eq("or", a | b, mask("0-9"));
    c.eq("and_not", a - b, mask("0-3"));
    c.eq("xor", a.xor(&b), mask("0-3,6-9"));
    c.eq("complement", a.complement(8), mask("6-7"));
    c.eq("not", !NodeMask::full(), NodeMask::EMPTY);
    c.eq("complement huge", a.complement(usize::MAX), !a);
    c.check("subset", mask("4-5").is_subset(&a) && !b.is_subset(&a));
    c.check("intersects", a.intersects(&b) && !a.intersects(&mask("7")));
    c.eq(
        "first_n huge",
        NodeMask::first_n(usize::MAX),
        NodeMask::full(),
    );
    let mut m = NodeMask::new();
    m.insert(n(MAX_NUMNODES - 1));
    m.insert(n(0));
    m.remove(n(0));
    c.eq(
        "insert/remove",
        m.iter().collect::<alloc::vec::Vec<_>>(),
        vec![NodeId::MAX],
    );
}

fn search(c: &mut Checks) {
    let m = mask("0,2,5");
    c.eq("first", m.first(), Some(n(0)));
    c.eq("last", m.last(), Some(n(5)));
    c.eq("next", m.next(n(2)), Some(n(5)));
    c.eq("next_in wraps", m.next_in(n(5)), Some(n(0)));
    c.eq("next_in from max", m.next_in(NodeId::MAX), Some(n(0)));
    c.eq("next_in empty", NodeMask::EMPTY.next_in(n(0)), None);
    c.eq("nth", m.nth(2), Some(n(5)));
    c.eq("position", m.position(n(5)), Some(2));
    c.eq("iter len", m.iter().len(), 3);
}

fn remapping(c: &mut Checks) {
    c.eq("fold", mask("1,5,6").fold(4), mask("1-2"));
    c.eq("onto", mask("0,2").onto(&mask("4-7")), mask("4,6"));
    c.eq(
        "remap",
        mask("0-3").remap(&mask("0-3"), &mask("0-1")),
        mask("0-1"),
    );
    c.eq("node remap", n(3).remap(&mask("0-3"), &mask("4-5")), n(5));
    // The vectors of the commit that added MPOL_F_RELATIVE_NODES (user mask 1-3).
    let user = mask("1-3");
    for (mems, want) in [
        ("4-7", "5-7"),
        ("1-3", "1-3"),
        ("1-7", "2-4"),
        ("1,5-6", "1,5-6"),
    ] {
        c.eq("relative_to", user.relative_to(&mask(mems)), mask(want));
    }
    c.eq(
        "relative_to 1,5-7",
        user.relative_to(&mask("1,5-7")),
        mask("5-7"),
    );
}

fn user_abi(c: &mut Checks) {
    let user = [0b1010u64];
    c.eq(
        "from_user maxnode 4",
        NodeMask::from_user_slice(Some(&user), 4),
        Ok(mask("1")),
    );
    c.eq(
        "from_user maxnode 5",
        NodeMask::from_user_slice(Some(&user), 5),
        Ok(mask("1,3")),
    );
    c.eq(
        "from_user null",
        NodeMask::from_user_slice(None, 5),
        Ok(NodeMask::EMPTY),
    );
    let words = MAX_NUMNODES / 64;
    let mut wide = vec![0u64; words + 1];
    wide[words] = 1;
    let maxnode = (words as u64 + 1) * 64 + 1;
    c.eq(
        "from_user bits beyond max",
        NodeMask::from_user_slice(Some(&wide), maxnode),
        Err(Error::NodeBitsBeyondMax(words as u64)),
    );
    c.check(
        "from_user maxnode too large",
        matches!(
            NodeMask::from_user_slice(Some(&wide), 32770),
            Err(Error::MaxnodeTooLarge(_))
        ),
    );
    c.check(
        "from_user fault",
        matches!(
            NodeMask::from_user_slice(Some(&[]), 3),
            Err(Error::Fault(0))
        ),
    );
    let mut out = [u64::MAX; 3];
    let copied = mask("0-3").to_user_slice(&mut out, 193, 4);
    c.check("to_user", copied.is_ok() && out == [0b1111, 0, 0]);
}

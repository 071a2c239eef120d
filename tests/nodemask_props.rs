//! Property tests of every `NodeMask` operation against a `BTreeSet<u16>` model.
//!
//! The model semantics come from the kernel-doc of `lib/bitmap.c` (`bitmap_fold`,
//! `bitmap_onto`, `bitmap_remap`, `bitmap_bitremap`) and from `get_nodes` /
//! `copy_nodes_to_user` in `mm/mempolicy.c`. Every mask an operation returns is also checked
//! word by word against the model, which covers "bits at or above `MAX_NUMNODES` stay zero".
//! Node numbers are drawn from `0..MAX_NUMNODES`, so the file runs at both node counts.

use std::collections::BTreeSet;

use mempolicy::{Error, NodeId, NodeMask, MAX_NUMNODES, PAGE_SIZE};
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;

type Model = BTreeSet<u16>;

const N: usize = MAX_NUMNODES;
const WORDS: usize = N.div_ceil(64);

fn node() -> impl Strategy<Value = u16> {
    0..N as u16
}

/// Sparse sets, dense random sets, and runs (so `Display` prints ranges).
fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        btree_set(node(), 0..24),
        vec(any::<u64>(), WORDS).prop_map(|w| words_to_model(&w)),
        (node(), 0..N as u16, node(), 0..40u16).prop_map(|(a, len, b, len2)| {
            let run = |s: u16, l: u16| (s..s.saturating_add(l).min(N as u16)).collect::<Vec<_>>();
            run(a, len).into_iter().chain(run(b, len2)).collect()
        }),
    ]
}

/// A size or bound: mostly near the node count, sometimes huge.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0..N + 70, 1 => Just(usize::MAX), 1 => any::<usize>()]
}

fn words_to_model(words: &[u64]) -> Model {
    (0..words.len() * 64)
        .filter(|&b| b < N && words[b / 64] >> (b % 64) & 1 == 1)
        .map(|b| b as u16)
        .collect()
}

fn id(raw: u16) -> NodeId {
    NodeId::new(raw as usize)
}

fn mask(m: &Model) -> NodeMask {
    m.iter().map(|&n| id(n)).collect()
}

/// Checks `got` against the model word by word, and that no bit at or above `N` is set.
fn same(got: &NodeMask, want: &Model) -> Result<(), TestCaseError> {
    let words = got.as_words();
    for (i, w) in words.iter().enumerate() {
        for b in 0..64 {
            if i * 64 + b >= N {
                prop_assert_eq!(w >> b & 1, 0, "tail bit {} of word {} set", b, i);
            }
        }
    }
    let mut expect = [0u64; WORDS];
    for &n in want {
        expect[n as usize / 64] |= 1 << (n % 64);
    }
    prop_assert_eq!(words, &expect, "got {}, want {:?}", got, want);
    Ok(())
}

fn nth(m: &Model, k: usize) -> Option<u16> {
    m.iter().nth(k).copied()
}

fn pos(m: &Model, n: u16) -> Option<usize> {
    m.iter().position(|&x| x == n)
}

/// `bitmap_fold`: bit `n` sets bit `n % size` (size 0: empty, the crate's choice).
fn fold(m: &Model, size: usize) -> Model {
    if size == 0 {
        return Model::new();
    }
    m.iter().map(|&n| (n as usize % size) as u16).collect()
}

/// `bitmap_onto`: relmap's `k`-th bit is set iff bit `k` of orig is set.
fn onto(m: &Model, relmap: &Model) -> Model {
    relmap
        .iter()
        .enumerate()
        .filter(|(k, _)| m.contains(&(*k as u16)))
        .map(|(_, &n)| n)
        .collect()
}

/// `bitmap_bitremap`: the `k`-th bit of old goes to the `(k % w(new))`-th bit of new; bits
/// not in old, or any bit when new is empty, stay.
fn bitremap(n: u16, old: &Model, new: &Model) -> u16 {
    match pos(old, n) {
        Some(k) if !new.is_empty() => nth(new, k % new.len()).unwrap_or(n),
        _ => n,
    }
}

/// `%*pbl`: ascending runs, `a-b` for runs of two or more.
fn print(m: &Model) -> String {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &n in m {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    parts.join(",")
}

/// Linux `get_nodes` over a slice (`None` = NULL); a word past the slice faults.
fn get_nodes(user: Option<&[u64]>, maxnode: u64) -> Result<Model, Error> {
    let bits = maxnode.wrapping_sub(1);
    let Some(user) = user else {
        return Ok(Model::new());
    };
    if bits == 0 {
        return Ok(Model::new());
    }
    if bits > PAGE_SIZE * 8 {
        return Err(Error::MaxnodeTooLarge(maxnode));
    }
    let read = |i: usize| user.get(i).copied().ok_or(Error::Fault(i as u64));
    if bits > N as u64 {
        // Whole words from the top down, each must be zero.
        for i in (N / 64..=((bits - 1) / 64) as usize).rev() {
            if read(i)? != 0 {
                return Err(Error::NodeBitsBeyondMax(i as u64));
            }
        }
    }
    let bits = bits.min(N as u64) as usize;
    let words = (0..bits.div_ceil(64))
        .map(read)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(words_to_model(&words)
        .into_iter()
        .filter(|&n| (n as usize) < bits)
        .collect())
}

/// Linux `copy_nodes_to_user` into a slice: the tail beyond `nr_node_ids` is cleared first,
/// then the kept words are copied; a word past the slice faults (earlier writes stay).
fn copy_nodes_to_user(m: &Model, out: &mut [u64], maxnode: u64, nr: usize) -> Result<(), Error> {
    let mut copy = (maxnode.wrapping_sub(1).wrapping_add(63) & !63) / 8;
    let kept = nr.min(N).div_ceil(64);
    let mut writes = Vec::new();
    if copy > kept as u64 * 8 {
        if copy > PAGE_SIZE {
            return Err(Error::MaxnodeTooLarge(maxnode));
        }
        writes.extend((kept..(copy / 8) as usize).map(|i| (i, 0)));
        copy = kept as u64 * 8;
    }
    let mut words = [0u64; WORDS];
    for &n in m {
        words[n as usize / 64] |= 1 << (n % 64);
    }
    writes.extend((0..(copy / 8) as usize).map(|i| (i, words[i])));
    for (i, v) in writes {
        *out.get_mut(i).ok_or(Error::Fault(i as u64))? = v;
    }
    Ok(())
}

fn maxnode() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0..N as u64 + 200,
        1 => Just(PAGE_SIZE * 8),
        1 => Just(PAGE_SIZE * 8 + 1),
        1 => Just(PAGE_SIZE * 8 + 2),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

/// User words: mostly zero beyond the mask, so the success path is reached.
fn user_words() -> impl Strategy<Value = Vec<u64>> {
    let word = prop_oneof![3 => Just(0u64), 1 => any::<u64>(), 1 => Just(1u64 << 63)];
    prop_oneof![
        4 => vec(word, 0..WORDS + 4),
        1 => (vec(any::<u64>(), WORDS), 0..WORDS + 4).prop_map(|(mut w, zeros)| {
            w.extend(core::iter::repeat_n(0, zeros));
            w
        }),
        1 => Just(vec![0u64; (PAGE_SIZE / 8) as usize]),
    ]
}

proptest! {
    #[test]
    fn membership(m in model(), n in node(), k in node()) {
        let mut got = mask(&m);
        same(&got, &m)?;
        prop_assert_eq!(got.contains(id(n)), m.contains(&n));
        prop_assert_eq!(got.contains_raw(u64::from(n)), m.contains(&n));
        prop_assert!(!got.contains_raw(N as u64 + u64::from(k)));
        prop_assert_eq!(got.with(id(n)).contains(id(n)), true);
        let mut model = m.clone();
        got.insert(id(n));
        model.insert(n);
        same(&got, &model)?;
        got.remove(id(k));
        model.remove(&k);
        same(&got, &model)?;
        prop_assert_eq!(got.is_empty(), model.is_empty());
        prop_assert_eq!(got.weight(), model.len());
        same(&NodeMask::from_node(id(n)), &Model::from([n]))?;
        same(&NodeMask::from(id(n)), &Model::from([n]))?;
    }

    #[test]
    fn search(m in model(), n in node(), start in size(), k in size()) {
        let got = mask(&m);
        prop_assert_eq!(got.first().map(NodeId::index), m.first().map(|&x| x as usize));
        prop_assert_eq!(got.last().map(NodeId::index), m.last().map(|&x| x as usize));
        let from = m.iter().find(|&&x| x as usize >= start).copied();
        prop_assert_eq!(got.next_from(start), from.map(id));
        prop_assert_eq!(got.next(id(n)), m.range(n + 1..).next().copied().map(id));
        // next_node_in: the next node above n, else the first; None only when empty.
        let wrap = m.range(n + 1..).next().or(m.first()).copied();
        prop_assert_eq!(got.next_in(id(n)), wrap.map(id));
        prop_assert_eq!(got.nth(k), nth(&m, k).map(id));
        prop_assert_eq!(got.nth(k % N), nth(&m, k % N).map(id));
        prop_assert_eq!(got.position(id(n)), pos(&m, n));
        for (i, &x) in m.iter().enumerate().take(40) {
            prop_assert_eq!(got.position(id(x)), Some(i));
            prop_assert_eq!(got.nth(i), Some(id(x)));
        }
    }

    #[test]
    fn iteration(m in model(), skip in 0..N + 2) {
        let got = mask(&m);
        let listed: Vec<u16> = got.iter().map(|n| n.index() as u16).collect();
        prop_assert_eq!(&listed, &m.iter().copied().collect::<Vec<_>>());
        prop_assert_eq!((&got).into_iter().count(), m.len());
        prop_assert_eq!(got.into_iter().len(), m.len());
        let mut it = got.iter();
        for _ in 0..skip {
            it.next();
        }
        prop_assert_eq!(it.len(), m.len().saturating_sub(skip));
        prop_assert_eq!(it.size_hint(), (it.len(), Some(it.len())));
        let rest: Vec<usize> = it.by_ref().map(NodeId::index).collect();
        prop_assert_eq!(rest.len(), m.len().saturating_sub(skip));
        prop_assert_eq!(it.next(), None);
        prop_assert_eq!(it.len(), 0);
        let mut extended = NodeMask::new();
        extended.extend(m.iter().map(|&n| id(n)));
        same(&extended, &m)?;
    }

    #[test]
    fn algebra(a in model(), b in model()) {
        let (x, y) = (mask(&a), mask(&b));
        same(&x.and(&y), &a.intersection(&b).copied().collect())?;
        same(&x.or(&y), &a.union(&b).copied().collect())?;
        same(&x.and_not(&y), &a.difference(&b).copied().collect())?;
        same(&x.xor(&y), &a.symmetric_difference(&b).copied().collect())?;
        prop_assert_eq!(x & y, x.and(&y));
        prop_assert_eq!(x | y, x.or(&y));
        prop_assert_eq!(x - y, x.and_not(&y));
        let (mut p, mut q) = (x, x);
        p &= y;
        q |= y;
        prop_assert_eq!((p, q), (x.and(&y), x.or(&y)));
        prop_assert_eq!(x.is_subset(&y), a.is_subset(&b));
        prop_assert_eq!(x.is_subset(&x.or(&y)), true);
        prop_assert_eq!(x.intersects(&y), !a.is_disjoint(&b));
        prop_assert_eq!(x == y, a == b);
    }

    #[test]
    fn complement_and_constructors(a in model(), bound in size(), raw in any::<u64>()) {
        let x = mask(&a);
        let below = |k: usize| (0..k.min(N)).map(|n| n as u16);
        same(&x.complement(bound), &below(bound).filter(|n| !a.contains(n)).collect())?;
        same(&!x, &below(N).filter(|n| !a.contains(n)).collect())?;
        same(&NodeMask::first_n(bound), &below(bound).collect())?;
        same(&NodeMask::full(), &below(N).collect())?;
        same(&NodeMask::from_u64(raw), &words_to_model(&[raw]))?;
        same(&NodeMask::EMPTY, &Model::new())?;
    }

    #[test]
    fn from_words_drops_nothing_but_the_tail(words in vec(any::<u64>(), WORDS)) {
        let array: [u64; WORDS] = words.clone().try_into().unwrap();
        same(&NodeMask::from_words(array), &words_to_model(&words))?;
    }

    #[test]
    fn fold_onto_remap(a in model(), rel in model(), old in model(), new in model(),
                       sz in size(), n in node()) {
        let x = mask(&a);
        same(&x.fold(sz), &fold(&a, sz))?;
        same(&x.fold(sz % (N + 3)), &fold(&a, sz % (N + 3)))?;
        same(&x.onto(&mask(&rel)), &onto(&a, &rel))?;
        // Small masks onto a relmap, the way relative policies use them.
        let small: Model = a.iter().map(|&n| n % 8).collect();
        same(&mask(&small).onto(&mask(&rel)), &onto(&small, &rel))?;
        let remapped: Model = a.iter().map(|&n| bitremap(n, &old, &new)).collect();
        same(&x.remap(&mask(&old), &mask(&new)), &remapped)?;
        prop_assert_eq!(id(n).remap(&mask(&old), &mask(&new)), id(bitremap(n, &old, &new)));
        same(&x.relative_to(&mask(&rel)), &onto(&fold(&a, rel.len()), &rel))?;
    }

    #[test]
    fn remap_of_members(old in model(), new in model(), pick in any::<prop::sample::Index>()) {
        // Hit the interesting branch: a node that is in `old`.
        prop_assume!(!old.is_empty());
        let n = **pick.get(&old.iter().collect::<Vec<_>>());
        prop_assert_eq!(id(n).remap(&mask(&old), &mask(&new)), id(bitremap(n, &old, &new)));
    }

    #[test]
    fn display_round_trips(a in model()) {
        let x = mask(&a);
        let text = x.to_string();
        prop_assert_eq!(&text, &print(&a));
        prop_assert_eq!(NodeMask::parse_list(&text), Ok(x));
        prop_assert_eq!(text.parse::<NodeMask>(), Ok(x));
        let or_none = x.display_or_none().to_string();
        prop_assert_eq!(or_none, if a.is_empty() { "none".to_string() } else { text });
        prop_assert_eq!(format!("{x:?}"), format!("NodeMask({})", print(&a)));
    }

    #[test]
    fn parse_group_regions(regions in vec((node(), 0..N as u16, 1..300u32, 0..300u32), 0..5)) {
        let mut want = Model::new();
        let mut parts = Vec::new();
        for &(start, len, group, used) in &regions {
            let end = (start as usize + len as usize).min(N - 1) as u16;
            let used = used.min(group);
            parts.push(format!("{start}-{end}:{used}/{group}"));
            let mut first = start as u32;
            while first <= end as u32 {
                want.extend((first..first + used).filter(|&n| n <= end as u32).map(|n| n as u16));
                first += group;
            }
        }
        same(&NodeMask::parse_list(&parts.join(",")).unwrap(), &want)?;
    }

    #[test]
    fn parse_never_panics(text in ".{0,40}", list in "[0-9N,:/ a-lA-L\\-\n\t]{0,30}") {
        let _ = NodeMask::parse_list(&text);
        if let Ok(x) = NodeMask::parse_list(&list) {
            same(&x, &x.iter().map(|n| n.index() as u16).collect())?;
        }
    }

    #[test]
    fn from_user_matches_get_nodes(user in user_words(), maxnode in maxnode(), null: bool) {
        let user = (!null).then_some(user.as_slice());
        let got = NodeMask::from_user_slice(user, maxnode);
        let want = get_nodes(user, maxnode);
        match (&got, &want) {
            (Ok(x), Ok(m)) => same(x, m)?,
            _ => prop_assert_eq!(got.map(|_| ()), want.map(|_| ())),
        }
    }

    #[test]
    fn to_user_matches_copy_nodes_to_user(a in model(), len in prop_oneof![0..WORDS + 4, 510..514usize],
                                          maxnode in maxnode(), nr in 1..=N) {
        let x = mask(&a);
        let mut got = vec![0xa5a5_a5a5_a5a5_a5a5u64; len];
        let mut want = got.clone();
        let got_result = x.to_user_slice(&mut got, maxnode, nr);
        prop_assert_eq!(got_result, copy_nodes_to_user(&a, &mut want, maxnode, nr));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn user_round_trip(a in model(), extra in 0..200u64) {
        let x = mask(&a);
        let maxnode = N as u64 + 1 + extra;
        let mut user = vec![u64::MAX; (maxnode - 1).div_ceil(64) as usize];
        x.to_user_slice(&mut user, maxnode, N).unwrap();
        same(&NodeMask::from_user_slice(Some(&user), maxnode).unwrap(), &a)?;
    }
}

#[test]
fn get_nodes_limits() {
    let page = vec![0u64; (PAGE_SIZE / 8) as usize + 1];
    assert_eq!(
        NodeMask::from_user_slice(Some(&page), PAGE_SIZE * 8 + 1),
        Ok(NodeMask::new())
    );
    let err = NodeMask::from_user_slice(Some(&page), PAGE_SIZE * 8 + 2);
    assert_eq!(err, Err(Error::MaxnodeTooLarge(PAGE_SIZE * 8 + 2)));
    assert_eq!(
        NodeMask::from_user_slice(Some(&page), 0),
        Err(Error::MaxnodeTooLarge(0))
    );
    let mut top = page.clone();
    top[(PAGE_SIZE / 8) as usize - 1] = 1 << 63;
    let err = NodeMask::from_user_slice(Some(&top), PAGE_SIZE * 8 + 1);
    assert_eq!(err, Err(Error::NodeBitsBeyondMax(PAGE_SIZE / 8 - 1)));
}

fn list(text: &str) -> NodeMask {
    NodeMask::parse_list(text).unwrap()
}

/// The worked examples of the `lib/bitmap.c` kernel-doc, through the crate and the model.
#[test]
fn kernel_doc_examples() {
    let set = |m: &NodeMask| m.iter().map(|n| n.index() as u16).collect::<Model>();
    // bitmap_remap: old 4-7, new 12-15, src 1,5,7 -> 1,13,15; bitremap 5 -> 13.
    let (old, new) = (list("4-7"), list("12-15"));
    assert_eq!(list("1,5,7").remap(&old, &new), list("1,13,15"));
    assert_eq!(id(5).remap(&old, &new), id(13));
    assert_eq!(bitremap(5, &set(&old), &set(&new)), 13);
    // bitmap_onto example [1]: relmap 30-39, orig 1,3,5,7,9,11 -> 31,33,35,37,39.
    let orig = list("1,3,5,7,9,11");
    assert_eq!(orig.onto(&list("30-39")), list("31,33,35,37,39"));
    assert_eq!(
        onto(&set(&orig), &set(&list("30-39"))),
        set(&list("31,33,35,37,39"))
    );
    // Example [2], fold by weight then onto: needs nodes up to 95.
    if N > 95 {
        let relmap = list("40-43,45,48,53,61,74,95");
        for (orig, dst) in [
            ("0", "40"),
            ("1", "41"),
            ("9", "95"),
            ("10", "40"),
            ("1,3,5,7", "41,43,48,61"),
            ("0-4", "40-43,45"),
            ("0,9,18,27", "40,61,74,95"),
            ("0,10,20,30", "40"),
            ("0,11,22,33", "40-43"),
            ("0,12,24,36", "40,42,45,53"),
            ("78,102,211", "41-42,74"),
        ] {
            assert_eq!(list(orig).relative_to(&relmap), list(dst), "orig {orig}");
            let model = onto(&fold(&set(&list(orig)), 10), &set(&relmap));
            assert_eq!(model, set(&list(dst)), "model, orig {orig}");
        }
    }
}

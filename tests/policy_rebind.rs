//! Property tests of cpuset rebinding (Linux: `mpol_rebind_policy`) against a model written
//! with `BTreeSet`s straight from the reference's description.

use std::collections::BTreeSet;

use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
use mempolicy::{Linux, NodeMask};
use proptest::prelude::*;

type Set = BTreeSet<usize>;

fn set(mask: &NodeMask) -> Set {
    mask.iter().map(|n| n.index()).collect()
}

/// The `m`-th member of `s`.
fn nth(s: &Set, m: usize) -> Option<usize> {
    s.iter().nth(m).copied()
}

/// `bitmap_fold` then `bitmap_onto`.
fn relative(user: &Set, rel: &Set) -> Set {
    let w = rel.len();
    if w == 0 {
        return Set::new();
    }
    user.iter()
        .map(|n| n % w)
        .filter_map(|m| nth(rel, m))
        .collect()
}

/// `bitmap_remap`.
fn remap(nodes: &Set, old: &Set, new: &Set) -> Set {
    nodes
        .iter()
        .map(|&n| match old.iter().position(|&o| o == n) {
            Some(pos) if !new.is_empty() => nth(new, pos % new.len()).unwrap(),
            _ => n,
        })
        .collect()
}

/// Whether Linux keeps the caller's nodemask: on 6.12 for any mode flag (`NUMA_BALANCING`
/// included), on 7.3 for static and relative only.
fn keeps_user_mask(linux: Linux, flags: ModeFlags) -> bool {
    match linux {
        Linux::V6_12 => !flags.is_empty(),
        _ => flags.intersects(ModeFlags::STATIC_NODES | ModeFlags::RELATIVE_NODES),
    }
}

/// The model of a `Bind`/`Interleave` policy: effective nodes and Linux's `w` union, which
/// holds the user nodemask when the release keeps it and the remembered cpuset otherwise.
/// The remap branch overwrites the union with the new cpuset whatever it held.
struct Model {
    flags: ModeFlags,
    keeps: bool,
    stored: Set,
    nodes: Set,
}

impl Model {
    fn rebind(&mut self, new: &Set) {
        if !self.keeps && self.stored == *new {
            return;
        }
        let moved = if self.flags.contains(ModeFlags::STATIC_NODES) {
            self.stored.intersection(new).copied().collect()
        } else if self.flags.contains(ModeFlags::RELATIVE_NODES) {
            relative(&self.stored, new)
        } else {
            let moved = remap(&self.nodes, &self.stored, new);
            self.stored = new.clone();
            moved
        };
        self.nodes = if moved.is_empty() { new.clone() } else { moved };
    }
}

fn mask16() -> impl Strategy<Value = NodeMask> {
    (0u64..1 << 16).prop_map(NodeMask::from_u64)
}

fn flags() -> impl Strategy<Value = ModeFlags> {
    prop::sample::select(vec![
        ModeFlags::empty(),
        ModeFlags::STATIC_NODES,
        ModeFlags::RELATIVE_NODES,
        ModeFlags::NUMA_BALANCING,
    ])
}

proptest! {
    #[test]
    fn rebind_matches_the_model(
        linux in prop::sample::select(Linux::ALL.to_vec()),
        interleave in any::<bool>(),
        flags in flags(),
        user in mask16(),
        mems in mask16(),
        changes in prop::collection::vec(mask16(), 1..6),
    ) {
        let mode = if interleave { Mode::Interleave } else { Mode::Bind };
        let memory = NodeMask::from_u64(0xffff);
        let ctx = NodeContext::new(mems, memory).with_linux(linux);
        let Ok(Some(mut pol)) = Mempolicy::create(mode, flags, &user, &ctx) else {
            return Ok(());
        };
        let keeps = keeps_user_mask(linux, flags);
        let stored = if keeps { &user } else { &mems };
        let mut model = Model {
            flags,
            keeps,
            stored: set(stored),
            nodes: set(pol.nodes()),
        };
        for new in &changes {
            pol.rebind(new);
            model.rebind(&set(new));
            prop_assert_eq!(set(pol.nodes()), model.nodes.clone());
            if !new.is_empty() {
                prop_assert!(!pol.nodes().is_empty());
            }
        }
        if keeps {
            prop_assert_eq!(set(&pol.user_visible_nodes()), model.stored);
        } else {
            prop_assert_eq!(pol.user_visible_nodes(), *pol.nodes());
        }
    }

    #[test]
    fn preferred_nodes_never_move(
        many in any::<bool>(),
        user in mask16(),
        changes in prop::collection::vec(mask16(), 1..4),
    ) {
        let mode = if many { Mode::PreferredMany } else { Mode::Preferred };
        let ctx = NodeContext::unrestricted(NodeMask::from_u64(0xffff));
        let Ok(Some(mut pol)) = Mempolicy::create(mode, ModeFlags::STATIC_NODES, &user, &ctx) else {
            return Ok(());
        };
        let nodes = *pol.nodes();
        for new in &changes {
            pol.rebind(new);
            prop_assert_eq!(*pol.nodes(), nodes);
            // The union now holds the cpuset, reported as the "user" nodemask.
            prop_assert_eq!(pol.user_visible_nodes(), *new);
        }
    }
}

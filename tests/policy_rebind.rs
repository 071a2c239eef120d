//! Property tests of cpuset rebinding (Linux: `mpol_rebind_policy`) against a model written
//! with `BTreeSet`s straight from the reference's description.

use std::collections::BTreeSet;

use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
use mempolicy::NodeMask;
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

/// The model of a `Bind`/`Interleave` policy in Linux 6.12: effective nodes and the `w`
/// union, which holds the caller's mask when any mode flag is set and the cpuset otherwise,
/// and which the plain remap reads as the old cpuset whatever it holds.
struct Model {
    flags: ModeFlags,
    w: Set,
    nodes: Set,
}

impl Model {
    fn stores_user(&self) -> bool {
        !self.flags.is_empty()
    }

    fn rebind(&mut self, new: &Set) {
        if !self.stores_user() && self.w == *new {
            return;
        }
        let moved = if self.flags.contains(ModeFlags::STATIC_NODES) {
            self.w.intersection(new).copied().collect()
        } else if self.flags.contains(ModeFlags::RELATIVE_NODES) {
            relative(&self.w, new)
        } else {
            let moved = remap(&self.nodes, &self.w, new);
            self.w = new.clone();
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
        interleave in any::<bool>(),
        flags in flags(),
        user in mask16(),
        mems in mask16(),
        changes in prop::collection::vec(mask16(), 1..6),
    ) {
        let mode = if interleave { Mode::Interleave } else { Mode::Bind };
        let memory = NodeMask::from_u64(0xffff);
        let Ok(Some(mut pol)) = Mempolicy::create(mode, flags, &user, &NodeContext::new(mems, memory))
        else {
            return Ok(());
        };
        let mut model = Model {
            flags,
            w: if flags.is_empty() { set(&mems) } else { set(&user) },
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
        if flags.stores_user_nodemask() {
            let w: NodeMask = model.w.iter().map(|&n| mempolicy::NodeId::new(n)).collect();
            prop_assert_eq!(pol.user_visible_nodes(), w);
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

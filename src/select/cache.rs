//! A small per-CPU cache of "first eligible zone" answers, so that repeated allocations
//! under the same policy find their first zone in O(1) (Linux has no counterpart: its
//! `first_zones_zonelist()` walks the list on every allocation; `ac->preferred_zoneref`
//! keeps the answer for the rest of one allocation only).
//!
//! A zonelist walk skips entries above the highest zone and runs of entries on nodes outside
//! the nodemask; with many nodes and a narrow mask (a `Bind` to far nodes) the first eligible
//! entry can be dozens of entries in. Policies change rarely, so the same (zonelist, highest
//! zone, nodemask) triple repeats, and caching its answer makes the lookup amortized O(1).
//!
//! A cached answer is only ever used for the list it was computed on. A list is named by the
//! *generation* of the zonelist set it belongs to plus its node and kind; generations come
//! from one [`Machine`](crate::machine::Machine), which numbers every set it publishes, and a
//! cache belongs to one CPU handle of that machine. So a rebuilt set, even one allocated at a
//! freed set's address, can never be answered from the old set's entries. That is why the
//! cache is not public: a cache shared across unrelated zonelists could not name them.

use crate::gfp::{ZoneType, ZonelistKind};
use crate::nodemask::{NodeId, NodeMask};
use crate::zonelist::Zonelist;

/// Entries in a [`ZoneCache`].
const WAYS: usize = 4;

/// Names one zonelist of one published set of a machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ListKey {
    /// The set's generation (never reused within one machine).
    pub(crate) generation: u64,
    /// The node whose list it is.
    pub(crate) node: NodeId,
    /// Which of the node's lists.
    pub(crate) kind: ZonelistKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    list: ListKey,
    highest: ZoneType,
    mask: Option<NodeMask>,
    /// Index of the first eligible entry; the list's length if there is none.
    first: usize,
}

/// Remembers where the first eligible zone of recently walked zonelists is (Linux:
/// `first_zones_zonelist()`, memoized); one per CPU handle. Never allocates.
#[derive(Clone, Debug, Default)]
pub(crate) struct ZoneCache {
    entries: [Option<Entry>; WAYS],
    /// The way the next miss replaces.
    next: usize,
}

impl ZoneCache {
    /// Returns an empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            entries: [None; WAYS],
            next: 0,
        }
    }

    /// Returns the index of the first zone of `list` (named `key`) at or below `highest`
    /// whose node is in `nodes` (any node if `None`), or the list's length if there is none
    /// (Linux: `first_zones_zonelist()`). A repeated question costs one comparison of the key.
    #[inline(never)]
    pub(crate) fn first_zone(
        &mut self,
        key: ListKey,
        list: &Zonelist,
        highest: ZoneType,
        nodes: Option<&NodeMask>,
    ) -> usize {
        let hit = self
            .entries
            .iter()
            .flatten()
            .find(|e| e.list == key && e.highest == highest && e.mask.as_ref() == nodes);
        if let Some(entry) = hit {
            return entry.first;
        }
        let mut walk = list.iter(highest, nodes);
        let first = match walk.next() {
            Some(_) => walk.position().saturating_sub(1),
            None => list.len(),
        };
        if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = Some(Entry {
                list: key,
                highest,
                mask: nodes.copied(),
                first,
            });
        }
        self.next = (self.next + 1) % WAYS;
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;
    use crate::zonelist::Zonelists;

    fn lists(dist: &str) -> Zonelists {
        let spec = alloc::format!("nodes=4 cpus=0,1 mem=256 dist={dist}");
        Zonelists::build(&Topology::from_nodes_spec(&spec).unwrap())
    }

    /// The reproducer of a cache keyed by address: two sets built one after the other often
    /// share an address; keyed by generation, the second set is never answered from the first.
    #[test]
    fn a_rebuilt_set_is_never_answered_from_the_old_one() {
        let n0 = NodeId::new(0);
        let mask: NodeMask = "1".parse().unwrap();
        let mut cache = ZoneCache::new();
        for generation in 1..=100u64 {
            let dist = if generation % 2 == 1 {
                "10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10"
            } else {
                "10,20,30,40/20,10,20,30/30,20,10,20/40,30,20,10"
            };
            let set = lists(dist);
            let list = set.zonelist(n0, ZonelistKind::Fallback).unwrap();
            let key = ListKey {
                generation,
                node: n0,
                kind: ZonelistKind::Fallback,
            };
            let first = cache.first_zone(key, list, ZoneType::Movable, Some(&mask));
            assert_eq!(
                list.as_slice()[first].node(),
                NodeId::new(1),
                "{generation}"
            );
            // A hit gives the same answer.
            assert_eq!(
                cache.first_zone(key, list, ZoneType::Movable, Some(&mask)),
                first
            );
        }
    }

    #[test]
    fn no_eligible_zone_is_the_list_length() {
        let set = lists("10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10");
        let n0 = NodeId::new(0);
        let list = set.zonelist(n0, ZonelistKind::NoFallback).unwrap();
        let key = ListKey {
            generation: 1,
            node: n0,
            kind: ZonelistKind::NoFallback,
        };
        let mask: NodeMask = "2".parse().unwrap();
        let mut cache = ZoneCache::new();
        assert_eq!(
            cache.first_zone(key, list, ZoneType::Normal, Some(&mask)),
            list.len()
        );
    }
}

//! A small per-CPU cache of "first eligible zone" answers, so that repeated allocations
//! under the same policy find their first zone in O(1) (Linux has no counterpart: its
//! `first_zones_zonelist()` walks the list on every allocation; `ac->preferred_zoneref`
//! keeps the answer for the rest of one allocation only).
//!
//! A zonelist walk skips entries above the highest zone and runs of entries on nodes outside
//! the nodemask; with many nodes and a narrow mask (a `Bind` to far nodes) the first eligible
//! entry can be dozens of entries in. Policies change rarely, so the same (zonelist, highest
//! zone, nodemask) triple repeats, and caching its answer makes the lookup amortized O(1).

use crate::gfp::ZoneType;
use crate::nodemask::NodeMask;
use crate::zonelist::{ZoneRef, Zonelist};

/// Entries in a [`ZoneCache`].
const WAYS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// Address of the zonelist (identity only, never dereferenced).
    list: usize,
    len: usize,
    highest: ZoneType,
    mask: Option<NodeMask>,
    /// Index of the first eligible entry; `len` if there is none.
    first: usize,
}

/// Remembers where the first eligible zone of recently walked zonelists is (Linux:
/// `first_zones_zonelist()`, memoized); one per CPU, owned by the embedder. Never allocates.
///
/// Policies change rarely, so the same (zonelist, highest zone, nodemask) question repeats;
/// the cache answers it in O(1) after the first walk, where a walk may skip dozens of
/// entries when many nodes lie outside a narrow mask.
///
/// Answers are keyed by the zonelist's address. After replacing the zonelists (hotplug:
/// [`SharedZonelists::publish`](crate::zonelist::SharedZonelists::publish)), call
/// [`ZoneCache::invalidate`] on every CPU before the old set can be freed, or a new list
/// allocated at a freed list's address could reuse its answers.
///
/// # Examples
/// ```
/// use mempolicy::gfp::ZoneType;
/// use mempolicy::select::ZoneCache;
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::{ZonelistKind, Zonelists};
/// use mempolicy::{NodeId, NodeMask};
/// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
/// let lists = Zonelists::build(&topo);
/// let list = lists.zonelist(NodeId::new(0), ZonelistKind::Fallback).unwrap();
/// let mask: NodeMask = "1,3".parse()?;
/// let mut cache = ZoneCache::new();
/// let (first, _) = cache.first_zone(list, ZoneType::Movable, Some(&mask)).unwrap();
/// assert_eq!(first.node(), NodeId::new(1));
/// assert_eq!(cache.first_zone(list, ZoneType::Movable, Some(&mask)).unwrap().0, first);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ZoneCache {
    entries: [Option<Entry>; WAYS],
    /// The way the next miss replaces.
    next: usize,
}

impl ZoneCache {
    /// Returns an empty cache.
    pub const fn new() -> Self {
        Self {
            entries: [None; WAYS],
            next: 0,
        }
    }

    /// Forgets every answer (call after the zonelists were replaced).
    pub fn invalidate(&mut self) {
        *self = Self::new();
    }

    /// Returns the first zone of `list` at or below `highest` whose node is in `nodes` (any
    /// node if `None`), and its index in the list, or `None` if there is none (Linux:
    /// `first_zones_zonelist()`). A repeated question costs one comparison of the key.
    pub fn first_zone(
        &mut self,
        list: &Zonelist,
        highest: ZoneType,
        nodes: Option<&NodeMask>,
    ) -> Option<(ZoneRef, usize)> {
        let key_list = core::ptr::from_ref(list) as usize;
        let len = list.len();
        let hit = self.entries.iter().flatten().find(|e| {
            e.list == key_list && e.len == len && e.highest == highest && e.mask.as_ref() == nodes
        });
        let first = match hit {
            Some(entry) => entry.first,
            None => {
                let mut walk = list.iter(highest, nodes);
                let first = match walk.next() {
                    Some(_) => walk.position().saturating_sub(1),
                    None => len,
                };
                if let Some(slot) = self.entries.get_mut(self.next) {
                    *slot = Some(Entry {
                        list: key_list,
                        len,
                        highest,
                        mask: nodes.copied(),
                        first,
                    });
                }
                self.next = (self.next + 1) % WAYS;
                first
            }
        };
        list.as_slice().get(first).map(|zone| (*zone, first))
    }
}

//! One zonelist and its allocation-free walk (Linux: `struct zonelist`, `struct zoneref`,
//! `first_zones_zonelist()`, `next_zones_zonelist()`, `for_each_zone_zonelist_nodemask()`).

use alloc::vec::Vec;

use crate::gfp::{ZoneType, NR_ZONE_TYPES};
use crate::nodemask::{NodeId, NodeMask};

/// One entry of a zonelist: a zone of a node (Linux: `struct zoneref`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ZoneRef {
    node: NodeId,
    zone: ZoneType,
}

impl ZoneRef {
    /// Returns the entry for `zone` of `node`.
    pub const fn new(node: NodeId, zone: ZoneType) -> Self {
        Self { node, zone }
    }

    /// Returns the node (Linux: `zonelist_node_idx()`).
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns the zone type (Linux: `zonelist_zone_idx()`).
    pub const fn zone(&self) -> ZoneType {
        self.zone
    }
}

/// An ordered list of zones to try (Linux: `struct zonelist`).
///
/// Besides the entries it keeps two small tables so that walks never search: the first entry
/// at or below each zone type, and for each entry the end of the run of entries on the same
/// node (so a node outside the nodemask is skipped in one step).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Zonelist {
    refs: Vec<ZoneRef>,
    /// `first[z]`: index of the first entry with zone type at or below `z`; `refs.len()` if
    /// none.
    first: [u32; NR_ZONE_TYPES],
    /// `run_end[i]`: index just past the run of entries on `refs[i]`'s node containing `i`.
    run_end: Vec<u32>,
}

impl Zonelist {
    /// Returns a zonelist with `refs` in this order.
    pub fn from_refs(refs: Vec<ZoneRef>) -> Self {
        let len = refs.len() as u32;
        let mut first = [len; NR_ZONE_TYPES];
        for (z, slot) in first.iter_mut().enumerate() {
            if let Some(i) = refs.iter().position(|r| r.zone.index() <= z) {
                *slot = i as u32;
            }
        }
        let mut run_end = alloc::vec![len; refs.len()];
        let mut end = len;
        let mut next_node = None;
        for (i, (entry, slot)) in refs.iter().zip(run_end.iter_mut()).enumerate().rev() {
            if next_node.is_some_and(|n| n != entry.node) {
                end = i as u32 + 1;
            }
            *slot = end;
            next_node = Some(entry.node);
        }
        Self {
            refs,
            first,
            run_end,
        }
    }

    /// Returns the entries in order.
    #[inline]
    pub fn as_slice(&self) -> &[ZoneRef] {
        &self.refs
    }

    /// Returns the number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Returns whether the list has no entries (a memoryless node's `NoFallback` list).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Returns the first zone at or below `highest` whose node is in `nodes` (any node if
    /// `None`), or `None` if there is none (Linux: `first_zones_zonelist()`, whose "no zone"
    /// is a zoneref with a NULL zone).
    ///
    /// Without a nodemask this is one table lookup.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::gfp::ZoneType;
    /// use mempolicy::topology::Topology;
    /// use mempolicy::zonelist::{Zonelists, ZonelistKind};
    /// use mempolicy::{NodeId, NodeMask};
    /// let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?;
    /// let lists = Zonelists::build(&topo);
    /// let list = lists.zonelist(NodeId::new(0), ZonelistKind::Fallback).unwrap();
    /// let first = list.first_zone(ZoneType::Normal, None).unwrap();
    /// assert_eq!(first.node(), NodeId::new(0));
    /// let mask: NodeMask = "1,3".parse()?;
    /// assert_eq!(list.first_zone(ZoneType::Movable, Some(&mask)).unwrap().node(), NodeId::new(1));
    /// assert!(list.first_zone(ZoneType::Dma32, None).is_none());
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[inline]
    pub fn first_zone(&self, highest: ZoneType, nodes: Option<&NodeMask>) -> Option<ZoneRef> {
        self.iter(highest, nodes).next()
    }

    /// Returns the zones at or below `highest` whose node is in `nodes` (any node if `None`),
    /// in list order (Linux: `for_each_zone_zonelist_nodemask()`). Allocates nothing.
    #[inline]
    pub fn iter<'a>(&'a self, highest: ZoneType, nodes: Option<&'a NodeMask>) -> ZoneIter<'a> {
        let start = self.first_at_or_below(highest);
        ZoneIter {
            list: self,
            pos: start,
            highest,
            nodes,
        }
    }

    /// Like [`Zonelist::iter`], but starting at entry `position` (Linux:
    /// `for_next_zone_zonelist_nodemask()` from a preferred zoneref; see
    /// [`ZoneIter::position`]).
    #[inline]
    pub fn iter_from<'a>(
        &'a self,
        position: usize,
        highest: ZoneType,
        nodes: Option<&'a NodeMask>,
    ) -> ZoneIter<'a> {
        let start = position.max(self.first_at_or_below(highest));
        ZoneIter {
            list: self,
            pos: start,
            highest,
            nodes,
        }
    }

    /// Returns the index of the first entry with zone type at or below `highest` (the length
    /// if none; the table has an entry for every zone type).
    #[inline]
    pub(crate) fn first_at_or_below(&self, highest: ZoneType) -> usize {
        self.first
            .get(highest.index())
            .map_or(self.refs.len(), |&i| i as usize)
    }

    /// Returns the index of the first eligible entry at or after `from` (Linux:
    /// `next_zones_zonelist()`).
    #[inline]
    fn next_eligible(
        &self,
        mut from: usize,
        highest: ZoneType,
        nodes: Option<&NodeMask>,
    ) -> Option<usize> {
        loop {
            let entry = self.refs.get(from)?;
            if entry.zone > highest {
                from += 1;
                continue;
            }
            match nodes {
                Some(mask) if !mask.contains(entry.node) => {
                    from = self.run_end.get(from).map_or(from + 1, |&end| end as usize);
                }
                _ => return Some(from),
            }
        }
    }
}

/// The eligible zones of a zonelist, in order (Linux: the zoneref cursor of
/// `for_each_zone_zonelist_nodemask()`); from [`Zonelist::iter`].
#[derive(Clone, Debug)]
pub struct ZoneIter<'a> {
    list: &'a Zonelist,
    pos: usize,
    highest: ZoneType,
    nodes: Option<&'a NodeMask>,
}

impl ZoneIter<'_> {
    /// Returns the entry index the next search starts from (pass it to
    /// [`Zonelist::iter_from`] to resume).
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl Iterator for ZoneIter<'_> {
    type Item = ZoneRef;

    #[inline]
    fn next(&mut self) -> Option<ZoneRef> {
        let Some(i) = self.list.next_eligible(self.pos, self.highest, self.nodes) else {
            self.pos = self.list.refs.len();
            return None;
        };
        self.pos = i + 1;
        self.list.refs.get(i).copied()
    }
}

impl core::iter::FusedIterator for ZoneIter<'_> {}

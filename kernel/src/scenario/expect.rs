//! What a policy must have done, worked out by the kernel itself: from the firmware layout
//! (nodes, SRAT ranges, distances) and the policy's arithmetic, without asking the crate.
//!
//! * **Where a frame is.** A frame belongs to node `n` when its addresses lie in one of the
//!   SRAT memory ranges of `n` ([`Expect::in_node`]); its zone follows from its address
//!   (DMA below 16 MiB, DMA32 below 4 GiB).
//! * **Nearest nodes.** Linux orders a node's fallback list by SLIT distance, the node itself
//!   first, and adds up to two units of penalty to a candidate (one if it has CPUs, one if its
//!   number is below the local node's) before breaking ties by load. So the first node of a
//!   set in the list is the local node if it is in the set, else one whose distance is at
//!   most two above the smallest ([`Expect::nearest`]). A policy that walks the list (default,
//!   local, bind, preferred-many) must pick one node of that set for every page.
//! * **Interleave** puts interleave index `ilx` on the `(ilx mod n)`-th node of the mask
//!   ([`Expect::interleave`]); weighted interleave walks the mask, node `m` taking `weight(m)`
//!   consecutive indices of each cycle ([`Expect::weighted`]).

use crate::frames::{FramePools, Zone};
use crate::layout::Layout;
use crate::phys::PhysRange;
use core::fmt;
use mempolicy::weights::Weights;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

/// Expectations from the firmware layout and the frame pools.
#[derive(Clone, Copy, Debug)]
pub struct Expect<'k> {
    layout: &'k Layout,
    pools: &'k FramePools,
}

impl<'k> Expect<'k> {
    /// Expectations about `layout`, whose memory is in `pools`.
    pub fn new(layout: &'k Layout, pools: &'k FramePools) -> Self {
        Expect { layout, pools }
    }

    /// The nodes with memory.
    pub fn memory(&self) -> NodeMask {
        self.layout.nodes_with_memory()
    }

    /// The online nodes.
    pub fn online(&self) -> NodeMask {
        *self.layout.numa.online_nodes()
    }

    /// The distance from `from` to `to`.
    pub fn distance(&self, from: NodeId, to: NodeId) -> u8 {
        self.layout.distance(from, to)
    }

    /// The nodes of `among` that can come first in `from`'s fallback list: `from` itself if
    /// it is in `among`, else those at most two distance units above the nearest.
    pub fn nearest(&self, from: NodeId, among: &NodeMask) -> NodeMask {
        if among.contains(from) {
            return NodeMask::from_node(from);
        }
        let Some(min) = among.iter().map(|n| self.distance(from, n)).min() else {
            return NodeMask::new();
        };
        let mut near = NodeMask::new();
        for n in among.iter() {
            if u32::from(self.distance(from, n)) <= u32::from(min) + 2 {
                near.insert(n);
            }
        }
        near
    }

    /// The memory node of `mask` farthest from `from` (the highest-numbered on ties).
    pub fn farthest(&self, from: NodeId, mask: &NodeMask) -> Option<NodeId> {
        mask.iter()
            .max_by_key(|&n| (self.distance(from, n), n.index()))
    }

    /// The node interleave index `ilx` goes to over `mask`.
    pub fn interleave(mask: &NodeMask, ilx: u64) -> Option<NodeId> {
        let count = mask.weight() as u64;
        if count == 0 {
            return None;
        }
        mask.nth((ilx % count) as usize)
    }

    /// The node weighted-interleave index `ilx` goes to over `mask` with `weights`.
    pub fn weighted(mask: &NodeMask, weights: &Weights, ilx: u64) -> Option<NodeId> {
        let total: u64 = mask.iter().map(|n| u64::from(weights.get(n))).sum();
        if total == 0 {
            return None;
        }
        let mut target = ilx % total;
        for node in mask.iter() {
            let weight = u64::from(weights.get(node));
            if target < weight {
                return Some(node);
            }
            target -= weight;
        }
        None
    }

    /// The sum of `weights` over `mask`.
    pub fn weight_total(mask: &NodeMask, weights: &Weights) -> u64 {
        mask.iter().map(|n| u64::from(weights.get(n))).sum()
    }

    /// Whether `range` lies in one SRAT memory range of `node`.
    pub fn in_node(&self, node: NodeId, range: PhysRange) -> bool {
        self.layout.in_node(node, range)
    }

    /// The node whose SRAT ranges hold `range`.
    pub fn node_at(&self, range: PhysRange) -> Option<NodeId> {
        self.layout
            .firmware_ranges
            .iter()
            .find(|(_, r)| r.covers(&range))
            .and_then(|&(n, _)| NodeId::try_new(u64::from(n)).ok())
    }

    /// The zone `range` is in, by address.
    pub fn zone_at(range: PhysRange) -> Option<Zone> {
        Zone::ALL.into_iter().find(|z| z.range().covers(&range))
    }

    /// The nodes that have frames in `zone` or a lower zone: where a request whose highest
    /// zone is `zone` can be served.
    pub fn nodes_up_to(&self, zone: Zone) -> NodeMask {
        let mut nodes = NodeMask::new();
        for node in self.memory().iter() {
            let has = Zone::ALL
                .into_iter()
                .filter(|&z| z <= zone)
                .any(|z| self.pools.stats(node.as_u32(), z).total > 0);
            if has {
                nodes.insert(node);
            }
        }
        nodes
    }

    /// The highest zone in which `node` has frames.
    pub fn highest_zone(&self, node: NodeId) -> Option<Zone> {
        Zone::ALL
            .into_iter()
            .rev()
            .find(|&z| self.pools.stats(node.as_u32(), z).total > 0)
    }
}

/// Pages counted per node, with what went wrong.
#[derive(Clone, Debug)]
pub struct Tally {
    counts: [u32; MAX_NUMNODES],
    /// Pages counted.
    pub pages: u32,
    /// Pages not on the node the policy must have picked.
    pub unexpected: u32,
    /// Pages outside the SRAT ranges of the node they were reported on.
    pub outside: u32,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            counts: [0; MAX_NUMNODES],
            pages: 0,
            unexpected: 0,
            outside: 0,
        }
    }
}

impl Tally {
    /// Counts a page the allocation reported on `node` at `range`; `expected` says whether
    /// `node` is where the policy must have put it.
    pub fn record(&mut self, expect: &Expect<'_>, node: NodeId, range: PhysRange, expected: bool) {
        self.pages += 1;
        if let Some(count) = self.counts.get_mut(node.index()) {
            *count += 1;
        }
        self.unexpected += u32::from(!expected);
        self.outside += u32::from(!expect.in_node(node, range));
    }

    /// Pages counted on `node`.
    pub fn count(&self, node: NodeId) -> u32 {
        self.counts.get(node.index()).copied().unwrap_or(0)
    }

    /// The nodes that got pages.
    pub fn nodes(&self) -> NodeMask {
        let mut mask = NodeMask::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                if let Ok(node) = NodeId::try_new(i as u64) {
                    mask.insert(node);
                }
            }
        }
        mask
    }

    /// Whether pages were counted and each was where it had to be, inside its node's ranges.
    pub fn placed(&self) -> bool {
        self.pages > 0 && self.unexpected == 0 && self.outside == 0
    }

    /// Whether every node of `mask` got `each` pages and no other node got any.
    pub fn exactly(&self, mask: &NodeMask, each: impl Fn(NodeId) -> u32) -> bool {
        self.nodes().is_subset(mask) && mask.iter().all(|n| self.count(n) == each(n))
    }

    /// `node:count` for each node that got pages, for a check line.
    pub fn shares(&self) -> Shares<'_> {
        Shares(self)
    }
}

/// [`Tally::shares`] as text: `0:16 1:16`.
#[derive(Debug)]
pub struct Shares<'t>(&'t Tally);

impl fmt::Display for Shares<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for node in self.0.nodes().iter() {
            let sep = if first { "" } else { " " };
            write!(f, "{sep}{node}:{}", self.0.count(node))?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// `pages outside their node's SRAT ranges` and `pages elsewhere than expected`, for a line.
impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pages [{}], {} misplaced, {} outside their node's SRAT ranges",
            self.pages,
            self.shares(),
            self.unexpected,
            self.outside
        )
    }
}

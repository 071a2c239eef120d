//! [`Frames`]: a fake page allocator's free lists, as the crate's allocation walk sees them
//! (Linux: the buddy allocator behind `get_page_from_freelist`).

use std::collections::BTreeMap;

use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::select::FrameSource;
use mempolicy::topology::Topology;
use mempolicy::{NodeId, NodeMask};

/// `2^order` frames handed out by [`Frames`]: where they are and a serial frame number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The node they came from.
    pub node: NodeId,
    /// The zone they came from.
    pub zone: ZoneType,
    /// Their order.
    pub order: u32,
    /// A number unique among the frames of one [`Frames`] (a stand-in for the frame number).
    pub serial: u64,
}

/// A frame source with rules a test can set: which zones exist, how many pages each may
/// still give, nodes that give nothing, and requests that must be allowed to reclaim.
/// It can log every request the walk makes, in order.
#[derive(Clone, Debug, Default)]
pub struct Frames {
    /// Nodes and zones that exist; `None`: every zone of every node gives frames.
    populated: Option<BTreeMap<(NodeId, ZoneType), ()>>,
    /// Pages a zone may still give; zones not named are unlimited.
    limits: BTreeMap<(NodeId, ZoneType), u64>,
    /// Nodes that refuse every request.
    pub full: NodeMask,
    /// Refuse requests that may not reclaim (no `DIRECT_RECLAIM`), even on free nodes.
    pub need_reclaim: bool,
    log: Option<Vec<(NodeId, ZoneType, GfpFlags)>>,
    serial: u64,
}

impl Frames {
    /// Every zone of every node gives frames (the allocation walk alone decides where).
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// Every populated zone of `topology` gives frames, and only those (memory pressure is
    /// not modelled).
    pub fn plentiful(topology: &Topology) -> Self {
        let mut populated = BTreeMap::new();
        for node in topology.online_nodes().iter() {
            for zone in topology.populated_zones(node) {
                populated.insert((node, zone), ());
            }
        }
        Self {
            populated: Some(populated),
            ..Self::default()
        }
    }

    /// Nodes in `nodes` refuse every request.
    ///
    /// # Panics
    /// If `nodes` is not a nodelist.
    pub fn full(nodes: &str) -> Self {
        Self {
            full: nodes.parse().expect("a nodelist"),
            ..Self::default()
        }
    }

    /// Logs every request from now on.
    pub fn logged(mut self) -> Self {
        self.log = Some(Vec::new());
        self
    }

    /// Lets `zone` of `node` give only `pages` more pages.
    pub fn limit(&mut self, node: NodeId, zone: ZoneType, pages: u64) {
        self.limits.insert((node, zone), pages);
    }

    /// Returns the requests logged so far (node, zone, flags), in order.
    pub fn log(&self) -> &[(NodeId, ZoneType, GfpFlags)] {
        self.log.as_deref().unwrap_or_default()
    }

    /// Returns the nodes of the requests logged so far, in order.
    pub fn nodes_tried(&self) -> Vec<u32> {
        self.log()
            .iter()
            .map(|(node, _, _)| node.as_u32())
            .collect()
    }

    /// Forgets the log.
    pub fn clear_log(&mut self) {
        if let Some(log) = self.log.as_mut() {
            log.clear();
        }
    }

    /// Returns a frame to its zone (a limited zone gets its pages back).
    pub fn free(&mut self, frame: Frame) {
        if let Some(left) = self.limits.get_mut(&(frame.node, frame.zone)) {
            *left = left.saturating_add(1 << frame.order);
        }
    }
}

impl FrameSource for Frames {
    type Frame = Frame;

    fn take(&mut self, node: NodeId, zone: ZoneType, order: u32, gfp: GfpFlags) -> Option<Frame> {
        if let Some(log) = self.log.as_mut() {
            log.push((node, zone, gfp));
        }
        let exists = self
            .populated
            .as_ref()
            .is_none_or(|zones| zones.contains_key(&(node, zone)));
        let reclaim_ok = !self.need_reclaim || gfp.contains(GfpFlags::DIRECT_RECLAIM);
        if !exists || !reclaim_ok || self.full.contains(node) {
            return None;
        }
        let pages = 1u64.checked_shl(order)?;
        if let Some(left) = self.limits.get_mut(&(node, zone)) {
            *left = left.checked_sub(pages)?;
        }
        self.serial += 1;
        Some(Frame {
            node,
            zone,
            order,
            serial: self.serial,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_full_nodes_and_reclaim() {
        let n0 = NodeId::new(0);
        let mut frames = Frames::full("1").logged();
        frames.limit(n0, ZoneType::Normal, 2);
        let gfp = GfpFlags::GFP_KERNEL;
        assert!(frames.take(n0, ZoneType::Normal, 1, gfp).is_some());
        assert!(frames.take(n0, ZoneType::Normal, 0, gfp).is_none());
        assert!(frames
            .take(NodeId::new(1), ZoneType::Normal, 0, gfp)
            .is_none());
        frames.need_reclaim = true;
        assert!(frames
            .take(n0, ZoneType::Dma32, 0, GfpFlags::GFP_NOWAIT)
            .is_none());
        assert!(frames.take(n0, ZoneType::Dma32, 0, gfp).is_some());
        assert_eq!(frames.nodes_tried(), [0, 0, 1, 0, 0]);
    }
}

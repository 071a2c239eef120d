//! The kernel's bitmap remapping trio on node masks (Linux: `bitmap_fold`, `bitmap_onto`,
//! `bitmap_remap`, `bitmap_bitremap` in `lib/bitmap.c`), and the relative-nodes mapping that
//! memory policies build from them (Linux: `mpol_relative_nodemask`).

use super::{NodeId, NodeMask};

impl NodeMask {
    /// Folds the mask into `size` bits: node `n` sets node `n % size` (Linux: `nodes_fold`).
    ///
    /// `size == 0` gives the empty mask (Linux never calls it so; it would divide by zero).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// let mask: NodeMask = "1,5,6".parse()?;
    /// assert_eq!(mask.fold(4).to_string(), "1-2");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[must_use]
    pub fn fold(&self, size: usize) -> Self {
        if size == 0 {
            return Self::new();
        }
        self.iter().map(|n| NodeId((n.index() % size) as u16)).collect()
    }

    /// Maps the mask onto `relmap`: the result holds the `m`-th node of `relmap` exactly when
    /// node `m` is in `self` (Linux: `nodes_onto`). Nodes of `self` at or beyond
    /// `relmap.weight()` map nowhere.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// let orig: NodeMask = "0,2".parse()?;
    /// let relmap: NodeMask = "4-7".parse()?;
    /// assert_eq!(orig.onto(&relmap).to_string(), "4,6");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[must_use]
    pub fn onto(&self, relmap: &Self) -> Self {
        relmap
            .iter()
            .enumerate()
            .filter(|&(m, _)| self.contains_raw(m as u64))
            .map(|(_, n)| n)
            .collect()
    }

    /// Moves each node by its position: a node that is the `n`-th node of `old` becomes the
    /// `(n % new.weight())`-th node of `new`; nodes not in `old`, or any node when `new` is
    /// empty, stay where they are (Linux: `nodes_remap`).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// let nodes: NodeMask = "0-3".parse()?;
    /// let old: NodeMask = "0-3".parse()?;
    /// let new: NodeMask = "0-1".parse()?;
    /// assert_eq!(nodes.remap(&old, &new).to_string(), "0-1");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[must_use]
    pub fn remap(&self, old: &Self, new: &Self) -> Self {
        self.iter().map(|n| n.remap(old, new)).collect()
    }

    /// Returns the nodes given by position relative to `rel`: the mask is folded into
    /// `rel.weight()` bits and mapped onto `rel` (Linux: `mpol_relative_nodemask`).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// // The commit that added MPOL_F_RELATIVE_NODES: user mask 1-3 with mems 4-7 gives 5-7.
    /// let user: NodeMask = "1-3".parse()?;
    /// assert_eq!(user.relative_to(&"4-7".parse()?).to_string(), "5-7");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[must_use]
    pub fn relative_to(&self, rel: &Self) -> Self {
        self.fold(rel.weight()).onto(rel)
    }
}

impl NodeId {
    /// Moves one node the way [`NodeMask::remap`] moves each node (Linux: `node_remap`,
    /// `bitmap_bitremap`).
    #[must_use]
    pub fn remap(self, old: &NodeMask, new: &NodeMask) -> NodeId {
        let weight = new.weight();
        match old.position(self) {
            Some(pos) if weight != 0 => new.nth(pos % weight).unwrap_or(self),
            _ => self,
        }
    }
}

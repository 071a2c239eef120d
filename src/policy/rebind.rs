//! Refitting a policy when the task's cpuset nodes change (Linux: `mpol_rebind_policy`,
//! `mpol_rebind_nodemask`, `mpol_rebind_preferred`).

use super::mempolicy::{Mempolicy, StoredMask};
use super::mode::{Mode, ModeFlags};
use crate::nodemask::NodeMask;

impl Mempolicy {
    /// Refits the policy to new cpuset nodes `new_mems` (Linux: `mpol_rebind_policy`).
    ///
    /// * `Local` (and the default policy): nothing.
    /// * A policy without static/relative nodes whose remembered cpuset equals `new_mems`:
    ///   nothing.
    /// * `Bind`, `Interleave`, `WeightedInterleave`: static nodes become user ∩ new;
    ///   relative nodes are the user nodemask taken relative to `new_mems`; otherwise each
    ///   node moves by its position in the old cpuset (lossy: `nodes_remap`) and the new
    ///   cpuset is remembered. If nothing is left, the policy gets all of `new_mems`.
    /// * `Preferred`, `PreferredMany`: the nodes never move; only the stored mask is
    ///   overwritten with `new_mems`. For static/relative policies that mask *is* the user
    ///   nodemask (one union in Linux), so `get_mempolicy` then reports the new cpuset nodes.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
    /// let ctx = NodeContext::unrestricted("0-3".parse()?);
    /// let mut pol = Mempolicy::create(Mode::Interleave, ModeFlags::empty(), &"0-3".parse()?, &ctx)?
    ///     .expect("a policy");
    /// pol.rebind(&"0-1".parse()?);
    /// assert_eq!(pol.nodes().to_string(), "0-1");
    /// pol.rebind(&"0-3".parse()?); // the remap is lossy: it does not grow back
    /// assert_eq!(pol.nodes().to_string(), "0-1");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn rebind(&mut self, new_mems: &NodeMask) {
        if matches!(self.mode, Mode::Local | Mode::Default) {
            return;
        }
        if !self.stores_user_nodemask() && self.w.mask() == new_mems {
            return;
        }
        match self.mode {
            Mode::Bind | Mode::Interleave | Mode::WeightedInterleave => {
                self.rebind_nodemask(new_mems)
            }
            Mode::Preferred | Mode::PreferredMany => self.overwrite_stored(new_mems),
            Mode::Local | Mode::Default => {}
        }
    }

    /// Linux: `mpol_rebind_nodemask`.
    fn rebind_nodemask(&mut self, new_mems: &NodeMask) {
        let stored = *self.w.mask();
        let moved = if self.flags.contains(ModeFlags::STATIC_NODES) {
            stored.and(new_mems)
        } else if self.flags.contains(ModeFlags::RELATIVE_NODES) {
            stored.relative_to(new_mems)
        } else {
            let moved = self.nodes.remap(&stored, new_mems);
            self.overwrite_stored(new_mems);
            moved
        };
        self.set_nodes(if moved.is_empty() { *new_mems } else { moved });
    }

    /// Writes `mask` into the union, which keeps the meaning the flags give it (Linux:
    /// `pol->w.cpuset_mems_allowed = *nodes`, also in `mpol_rebind_preferred`).
    fn overwrite_stored(&mut self, mask: &NodeMask) {
        self.w = if self.stores_user_nodemask() {
            StoredMask::User(*mask)
        } else {
            StoredMask::CpusetMems(*mask)
        };
    }
}

//! The policies that apply when a task has none of its own (Linux: `default_policy`,
//! `preferred_node_policy[]`, `numa_policy_init`, `get_task_policy`).

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::create::Mempolicy;
use crate::nodemask::{NodeId, MAX_NUMNODES};

/// The system default policy and the per-node boot policies, built once by the embedder
/// (Linux: the statics `default_policy` and `preferred_node_policy[MAX_NUMNODES]`, filled
/// by `numa_policy_init`).
///
/// # Examples
/// ```
/// use mempolicy::policy::{Mode, PolicyDefaults};
/// use mempolicy::NodeId;
/// let defaults = PolicyDefaults::new();
/// let pol = defaults.get_task_policy(None, Some(NodeId::new(1)));
/// assert_eq!(pol.mode(), Mode::Preferred);
/// assert_eq!(pol.nodes().to_string(), "1");
/// assert_eq!(pol.to_string(), "default");
/// assert_eq!(defaults.get_task_policy(None, None).mode(), Mode::Local);
/// ```
#[derive(Debug)]
pub struct PolicyDefaults {
    default: Mempolicy,
    /// One per possible node; empty until [`PolicyDefaults::new`] filled it (Linux: the
    /// array is zero, `mode == MPOL_DEFAULT`, early in boot).
    preferred: Box<[Mempolicy]>,
}

impl PolicyDefaults {
    /// Builds the default policy and a preferred policy for every possible node (allocates
    /// `MAX_NUMNODES` policies once; Linux: `numa_policy_init`).
    pub fn new() -> Self {
        let preferred: Vec<Mempolicy> = (0..MAX_NUMNODES)
            .map(|n| Mempolicy::preferred_node_policy(NodeId::new(n)))
            .collect();
        Self {
            default: Mempolicy::default_policy(),
            preferred: preferred.into_boxed_slice(),
        }
    }

    /// Returns defaults as they are early in boot, before the per-node policies exist:
    /// every lookup without a task policy gives the default policy. Does not allocate.
    pub fn early_boot() -> Self {
        Self {
            default: Mempolicy::default_policy(),
            preferred: Box::new([]),
        }
    }

    /// Returns the system default policy (Linux: `&default_policy`).
    pub fn default_policy(&self) -> &Mempolicy {
        &self.default
    }

    /// Returns the boot policy of `node`, if built (Linux: `&preferred_node_policy[node]`).
    pub fn preferred_node_policy(&self, node: NodeId) -> Option<&Mempolicy> {
        self.preferred.get(node.index())
    }

    /// Returns the policy that governs a task (Linux: `get_task_policy`): its own policy if
    /// it has one, else the preferred policy of the node it runs on (`this_node`, `None` for
    /// `NUMA_NO_NODE`), else the default policy.
    pub fn get_task_policy<'a>(
        &'a self,
        task_policy: Option<&'a Mempolicy>,
        this_node: Option<NodeId>,
    ) -> &'a Mempolicy {
        if let Some(policy) = task_policy {
            return policy;
        }
        this_node
            .and_then(|node| self.preferred_node_policy(node))
            .unwrap_or(&self.default)
    }
}

impl Default for PolicyDefaults {
    fn default() -> Self {
        Self::new()
    }
}

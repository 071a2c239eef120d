//! The policies that apply when a task has none of its own (Linux: `default_policy`,
//! `preferred_node_policy[]`, `numa_policy_init`, `get_task_policy`).

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::mempolicy::Mempolicy;
use crate::nodemask::{NodeId, NodeMask};

/// Nodes smaller than this are left out of the boot interleave (Linux: `16 << 20`).
const BOOT_INTERLEAVE_MIN_BYTES: u64 = 16 << 20;

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
        let preferred: Vec<Mempolicy> = NodeMask::full()
            .iter()
            .map(Mempolicy::preferred_node_policy)
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

/// Returns the nodes the boot task interleaves over (Linux: `numa_policy_init`): every
/// memory node with at least 16 MiB present, or if there is none, the largest memory node
/// (the lowest-numbered on ties; node 0 if every node is empty, as in Linux).
///
/// `present_bytes(node)` gives the memory present on a node. The boot task then gets
/// `Mempolicy::create(Mode::Interleave, ..)` over these nodes, and the default policy once
/// boot is done (Linux: `numa_default_policy`).
///
/// # Examples
/// ```
/// use mempolicy::policy::boot_interleave_nodes;
/// let memory = "0-2".parse()?;
/// let sizes = |n: mempolicy::NodeId| [8u64 << 20, 64 << 20, 32 << 20][n.index()];
/// assert_eq!(boot_interleave_nodes(&memory, sizes).to_string(), "1-2");
/// let tiny = |n: mempolicy::NodeId| [8u64 << 20, 4 << 20, 8 << 20][n.index()];
/// assert_eq!(boot_interleave_nodes(&memory, tiny).to_string(), "0");
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn boot_interleave_nodes(
    memory_nodes: &NodeMask,
    present_bytes: impl Fn(NodeId) -> u64,
) -> NodeMask {
    let mut nodes = NodeMask::new();
    let mut largest = 0;
    let mut prefer = NodeId::new(0);
    for node in memory_nodes.iter() {
        let size = present_bytes(node);
        if largest < size {
            largest = size;
            prefer = node;
        }
        if size >= BOOT_INTERLEAVE_MIN_BYTES {
            nodes.insert(node);
        }
    }
    if nodes.is_empty() {
        nodes.insert(prefer);
    }
    nodes
}

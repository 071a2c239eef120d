//! The memory-policy state of one task (Linux: `task_struct::mempolicy`, `il_prev`,
//! `il_weight`, `mems_allowed`, and `mpol_rebind_task`).

use crate::interleave::InterleaveCursor;
use crate::nodemask::{NodeId, NodeMask};
use crate::policy::{Mempolicy, NodeContext, PolicyDefaults, PolicyRef};
use crate::select::TaskContext;

use super::range::{MergeKey, RangePolicy};
use super::space::AddressSpace;

/// A task's policy state: its own policy (if any), its dynamic-interleave cursor and its
/// cpuset nodes.
///
/// The embedder keeps one per task and serializes changes to it (Linux: `task_lock`).
///
/// # Examples
/// ```
/// use mempolicy::abi::Task;
/// let task = Task::new("0-3".parse()?);
/// assert!(task.policy().is_none()); // the default policy
/// assert_eq!(task.mems_allowed().to_string(), "0-3");
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Task {
    policy: Option<PolicyRef>,
    cursor: InterleaveCursor,
    mems_allowed: NodeMask,
}

impl Task {
    /// Returns a task with the default policy, a fresh cursor and cpuset nodes
    /// `mems_allowed`.
    pub const fn new(mems_allowed: NodeMask) -> Self {
        Self {
            policy: None,
            cursor: InterleaveCursor::new(),
            mems_allowed,
        }
    }

    /// The task's own policy, `None` for the default (Linux: `current->mempolicy`).
    pub fn policy(&self) -> Option<&PolicyRef> {
        self.policy.as_ref()
    }

    /// The policy that governs the task's allocations (Linux: `get_task_policy`): its own,
    /// else the boot policy of `this_node`, else the default.
    pub fn effective_policy<'a>(
        &'a self,
        defaults: &'a PolicyDefaults,
        this_node: Option<NodeId>,
    ) -> &'a Mempolicy {
        defaults.get_task_policy(self.policy.as_deref(), this_node)
    }

    /// The dynamic-interleave cursor (Linux: `il_prev`, `il_weight`).
    pub const fn cursor(&self) -> &InterleaveCursor {
        &self.cursor
    }

    /// The dynamic-interleave cursor, for the allocator to advance.
    pub fn cursor_mut(&mut self) -> &mut InterleaveCursor {
        &mut self.cursor
    }

    /// Lends the task's policy, interleave cursor and cpuset nodes to one allocation
    /// (Linux: `current->mempolicy`, `il_prev`/`il_weight` and
    /// `cpuset_current_mems_allowed`, read by the allocator of the running task). Borrows
    /// only: no reference count, no mask copy.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::abi::Task;
    /// let mut task = Task::new("0-1".parse()?);
    /// let ctx = task.lend();
    /// assert!(ctx.policy().is_none());
    /// assert_eq!(ctx.mems_allowed().map(|m| m.to_string()), Some("0-1".into()));
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[inline]
    pub fn lend(&mut self) -> TaskContext<'_> {
        TaskContext::new(self.policy.as_deref(), &mut self.cursor)
            .with_mems_allowed(&self.mems_allowed)
    }

    /// The task's cpuset nodes (Linux: `current->mems_allowed`).
    pub const fn mems_allowed(&self) -> &NodeMask {
        &self.mems_allowed
    }

    /// The context new policies of this task are fitted to.
    pub const fn node_context(&self, memory_nodes: &NodeMask) -> NodeContext {
        NodeContext::new(self.mems_allowed, *memory_nodes)
    }

    /// Installs `policy` (`None`: the default) as the task policy; an interleave policy
    /// resets the cursor (Linux: the end of `do_set_mempolicy`).
    pub fn install_policy(&mut self, policy: Option<Mempolicy>) {
        if policy.as_ref().is_some_and(|p| p.mode().is_interleave()) {
            self.cursor.reset();
        }
        self.policy = policy.map(PolicyRef::new);
    }

    /// Changes the cpuset nodes and rebinds the task policy to them (Linux:
    /// `cpuset_change_task_nodemask`, `mpol_rebind_task`). The cursor is kept. A policy still
    /// referenced elsewhere is copied, so those references keep the old one.
    pub fn set_mems_allowed(&mut self, mems_allowed: NodeMask) {
        self.mems_allowed = mems_allowed;
        if let Some(old) = self.policy.as_ref() {
            let mut policy = Mempolicy::clone(old);
            policy.rebind(&mems_allowed);
            self.policy = Some(PolicyRef::new(policy));
        }
    }
}

/// Changes a task's cpuset nodes and rebinds its policy and every range policy of its
/// address space (Linux: `update_tasks_nodemask`: `cpuset_change_task_nodemask`, then
/// `mpol_rebind_mm`). Page migration, if the cpuset asks for it, is the embedder's
/// (`migrate_pages` with [`crate::abi::migrate_pairs`]).
pub fn cpuset_rebind<K: MergeKey>(
    task: &mut Task,
    mm: &mut AddressSpace<Mempolicy, K>,
    mems_allowed: NodeMask,
) {
    task.set_mems_allowed(mems_allowed);
    mm.rebind(&mems_allowed);
}

impl RangePolicy for Mempolicy {
    fn is_equal(&self, other: &Self) -> bool {
        Mempolicy::is_equal(self, other)
    }

    fn rebind(&mut self, mems_allowed: &NodeMask) {
        Mempolicy::rebind(self, mems_allowed);
    }

    fn mark_shared(&mut self) {
        let flags = self.internal_flags() | crate::policy::PolicyFlags::SHARED;
        self.set_internal_flags(flags);
    }
}

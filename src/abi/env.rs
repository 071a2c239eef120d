//! What the embedding kernel provides to the syscall layer: the node states, user memory,
//! page lookup and migration, and privilege checks.

use crate::error::{Error, Result};
use crate::linux::Linux;
use crate::nodemask::{NodeId, NodeMask};
use crate::policy::Mempolicy;

/// The system-wide node states the syscalls consult (Linux: `node_states[N_POSSIBLE]`,
/// `node_states[N_ONLINE]`, `node_states[N_MEMORY]`, `nr_node_ids`), and the kernel release
/// whose rules the syscalls follow.
///
/// # Examples
/// ```
/// use mempolicy::abi::SystemNodes;
/// use mempolicy::Linux;
/// let nodes = SystemNodes::new("0-3".parse()?, "0-3".parse()?, "0-3".parse()?);
/// assert_eq!(nodes.nr_node_ids(), 4);
/// assert_eq!(nodes.with_linux(Linux::V6_12).linux, Linux::V6_12);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemNodes {
    /// Nodes that may ever come online (Linux: `N_POSSIBLE`); sets `nr_node_ids`.
    pub possible: NodeMask,
    /// Nodes online now (Linux: `N_ONLINE`).
    pub online: NodeMask,
    /// Nodes with memory (Linux: `N_MEMORY`).
    pub memory: NodeMask,
    /// The kernel release the syscalls behave like (policies they create keep it).
    pub linux: Linux,
}

impl SystemNodes {
    /// Returns the node states, for the default [`Linux`] release.
    pub const fn new(possible: NodeMask, online: NodeMask, memory: NodeMask) -> Self {
        Self {
            possible,
            online,
            memory,
            linux: Linux::V7_3,
        }
    }

    /// Returns the same node states for kernel release `linux`.
    #[must_use]
    pub const fn with_linux(self, linux: Linux) -> Self {
        Self { linux, ..self }
    }

    /// One more than the highest possible node (Linux: `nr_node_ids`).
    pub const fn nr_node_ids(&self) -> usize {
        match self.possible.last() {
            Some(node) => node.index() + 1,
            None => 0,
        }
    }
}

impl From<&crate::topology::Topology> for SystemNodes {
    /// Takes the node states of a machine description.
    fn from(topology: &crate::topology::Topology) -> Self {
        Self::new(
            *topology.possible_nodes(),
            *topology.online_nodes(),
            *topology.memory_nodes(),
        )
    }
}

/// The caller's user memory (Linux: `copy_from_user`, `copy_to_user`, `put_user`).
///
/// Addresses are user virtual addresses; `0` is the NULL pointer, which the syscalls test
/// themselves before calling these. Any access may fail with [`Error::Fault`].
pub trait UserMemory {
    /// Reads the 64-bit word at `addr`.
    ///
    /// # Errors
    /// [`Error::Fault`] if the word cannot be read.
    fn read_u64(&mut self, addr: u64) -> Result<u64>;

    /// Writes the 64-bit word `value` at `addr`.
    ///
    /// # Errors
    /// [`Error::Fault`] if the word cannot be written.
    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()>;

    /// Writes the C `int` `value` at `addr` (Linux: `put_user` of the policy word).
    ///
    /// # Errors
    /// [`Error::Fault`] if the int cannot be written.
    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()>;
}

/// The caller's privileges (Linux: `capable(CAP_SYS_NICE)`).
pub trait Privileges {
    /// Returns whether the caller may move other processes' pages and pages shared with them
    /// (Linux: `capable(CAP_SYS_NICE)`).
    fn capable_sys_nice(&self) -> bool;
}

/// Finding the node of a mapped page (Linux: `lookup_node`, a `get_user_pages_fast` read).
pub trait PageNode {
    /// Returns the node of the page at `addr`, faulting it in for reading if it is not
    /// present (Linux maps the shared zero page then, and reports its node).
    ///
    /// # Errors
    /// Whatever the fault path reports, normally [`Error::Fault`].
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId>;
}

/// What [`PageMover::for_each_page`] does with a page after the visitor looked at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageAction {
    /// Leave the page and go on.
    Keep,
    /// Isolate the page for migration and go on (Linux: `migrate_folio_add`).
    Isolate,
    /// Stop the walk.
    Stop,
}

/// Where a page being migrated should go (Linux: the `private` argument of the migration
/// target allocators: `alloc_migration_target_by_mpol` for `mbind`, `alloc_migration_target`
/// with a node for `migrate_pages(2)` and `move_pages(2)`).
///
/// The embedder allocates the new page with
/// [`Cpu::alloc_migration_target`](crate::machine::Cpu::alloc_migration_target).
#[derive(Clone, Copy, Debug)]
pub enum MigrationTarget<'a> {
    /// Under a policy, with the page's interleave index (Linux: `struct migration_mpol`;
    /// for `MPOL_DEFAULT` the policy is the task's or a built-in one). Interleave policies
    /// keep the layout by index.
    Policy {
        /// The policy to allocate the new page under.
        policy: &'a Mempolicy,
        /// The interleave index of the page (for a large folio, of its first page).
        ilx: u64,
        /// The cpuset of the task that moves the page (Linux: `current->mems_allowed`,
        /// which the allocation of the new page honours).
        mems_allowed: &'a NodeMask,
    },
    /// On one node and nowhere else (Linux: `alloc_migration_target` with `nid` and
    /// `__GFP_THISNODE`).
    Node(NodeId),
}

/// The page-table walk and page migration of `mbind` (Linux: `queue_pages_range`,
/// `migrate_pages`, `putback_movable_pages`).
///
/// Isolated pages stay in a queue the embedder keeps, from [`PageMover::for_each_page`] to
/// [`PageMover::migrate_isolated`] or [`PageMover::putback_isolated`].
pub trait PageMover {
    /// Calls `visit(addr, node)` for every present, normal page in `[start, end)` in address
    /// order (zero pages, reserved and device pages are left out) until it returns
    /// [`PageAction::Stop`]. A page it answers [`PageAction::Isolate`] for is taken off the
    /// LRU and queued for migration (Linux: `migrate_folio_add`); without `move_all` a page
    /// shared with another process is left alone, which is not a failure. Returns how many
    /// pages could not be isolated.
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64;

    /// Migrates every queued page to the node chosen by `target(addr)` and empties the
    /// queue; pages that could not move go back where they were. Returns how many failed.
    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64;

    /// Puts every queued page back unmoved and empties the queue (Linux:
    /// `putback_movable_pages`).
    fn putback_isolated(&mut self);
}

/// The other-process side of `migrate_pages(2)` (Linux: `find_task_by_vpid`,
/// `ptrace_may_access`, `cpuset_mems_allowed`, `security_task_movememory`,
/// `migrate_to_node`).
pub trait MigrateHooks: Privileges {
    /// Looks up process `pid` (0: the caller) and checks the caller may access it; returns its
    /// cpuset nodes.
    ///
    /// # Errors
    /// [`Error::NoSuchProcess`] when there is no such process, [`Error::PermissionDenied`]
    /// when the caller may not access it (Linux: `ptrace_may_access` with
    /// `PTRACE_MODE_READ_REALCREDS`).
    fn target_mems_allowed(&mut self, pid: i32) -> Result<NodeMask>;

    /// The security hook (Linux: `security_task_movememory`); the default allows.
    ///
    /// # Errors
    /// Whatever the security module refuses with.
    fn may_move_memory(&mut self, pid: i32) -> Result<()> {
        let _ = pid;
        Ok(())
    }

    /// Moves every page of process `pid` on node `source` to node `dest` (Linux:
    /// `migrate_to_node`, with `__GFP_THISNODE`); `move_all` also moves shared pages.
    /// Returns how many pages could not be moved.
    ///
    /// # Errors
    /// A hard failure, which stops `migrate_pages`.
    fn migrate_to_node(
        &mut self,
        pid: i32,
        source: NodeId,
        dest: NodeId,
        move_all: bool,
    ) -> Result<u64>;
}

/// Reads a user nodemask at `nmask` (0: NULL) of `maxnode` bits plus one (Linux: `get_nodes`).
pub(crate) fn read_nodes<U>(user: &mut U, nmask: u64, maxnode: u64) -> Result<NodeMask>
where
    U: UserMemory + ?Sized,
{
    let reader = (nmask != 0).then_some(|i: usize| {
        let addr = word_addr(nmask, i)?;
        user.read_u64(addr)
    });
    NodeMask::from_user(reader, maxnode)
}

/// Writes `nodes` to the user nodemask at `nmask` (Linux: `copy_nodes_to_user`).
pub(crate) fn write_nodes<U>(
    user: &mut U,
    nodes: &NodeMask,
    nmask: u64,
    maxnode: u64,
    nr_node_ids: usize,
) -> Result<()>
where
    U: UserMemory + ?Sized,
{
    nodes.to_user(maxnode, nr_node_ids, |i, value| {
        let addr = word_addr(nmask, i)?;
        user.write_u64(addr, value)
    })
}

/// The address of word `i` of a user array at `base`.
fn word_addr(base: u64, i: usize) -> Result<u64> {
    (i as u64)
        .checked_mul(8)
        .and_then(|off| base.checked_add(off))
        .ok_or(Error::Fault(base))
}

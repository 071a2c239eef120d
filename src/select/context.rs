//! The inputs of a placement: the machine-wide state, the task, the CPU and the mapping, and
//! which policy governs an allocation (Linux: `get_task_policy`, `get_vma_policy` and the
//! policy choice of `alloc_frozen_pages_noprof`).

use core::fmt;

use crate::gfp::GfpFlags;
use crate::interleave::{InterleaveCursor, Uniform};
use crate::nodemask::{NodeId, NodeMask};
use crate::page::PAGE_SHIFT;
use crate::policy::{Mempolicy, PolicyDefaults};
use crate::topology::Topology;
use crate::zonelist::Zonelists;

/// The machine-wide state a placement reads, borrowed for one allocation (Linux: the globals
/// `node_states[]`, `policy_zone`, `NODE_DATA(nid)->node_zonelists`, `default_policy`,
/// `preferred_node_policy[]` and `wi_state`).
///
/// Only borrows; building one costs four pointer copies. `W` is the weighted-interleave
/// weight lookup (see [`WeightSource`](crate::interleave::WeightSource)): a
/// [`WeightView`](crate::weights::WeightView) of the live table, or [`Uniform`] (every weight
/// 1, Linux's state before any weight is set). [`Cpu`](crate::machine::Cpu) builds one per
/// allocation from its [`Machine`](crate::machine::Machine).
pub struct Globals<'a, W: ?Sized = Uniform> {
    topology: &'a Topology,
    zonelists: &'a Zonelists,
    defaults: &'a PolicyDefaults,
    weights: &'a W,
}

impl<'a, W: ?Sized> Globals<'a, W> {
    /// Bundles the machine description, its zonelists, the built-in policies and the
    /// interleave weights.
    pub const fn new(
        topology: &'a Topology,
        zonelists: &'a Zonelists,
        defaults: &'a PolicyDefaults,
        weights: &'a W,
    ) -> Self {
        Self {
            topology,
            zonelists,
            defaults,
            weights,
        }
    }

    /// Returns the machine description (Linux: `node_states[]`, `policy_zone`).
    #[inline]
    pub const fn topology(&self) -> &'a Topology {
        self.topology
    }

    /// Returns the zonelists of every node (Linux: `node_zonelists`).
    #[inline]
    pub const fn zonelists(&self) -> &'a Zonelists {
        self.zonelists
    }

    /// Returns the built-in policies (Linux: `default_policy`, `preferred_node_policy[]`).
    #[inline]
    pub const fn defaults(&self) -> &'a PolicyDefaults {
        self.defaults
    }

    /// Returns the interleave weights (Linux: `wi_state`).
    #[inline]
    pub const fn weights(&self) -> &'a W {
        self.weights
    }
}

impl<W: ?Sized> Clone for Globals<'_, W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W: ?Sized> Copy for Globals<'_, W> {}

impl<W: ?Sized> fmt::Debug for Globals<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Globals")
            .field("memory_nodes", self.topology.memory_nodes())
            .field("policy_zone", &self.zonelists.policy_zone())
            .finish_non_exhaustive()
    }
}

/// Where the allocating code runs (Linux: `numa_node_id()` and `in_interrupt()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuContext {
    node: NodeId,
    in_interrupt: bool,
}

impl CpuContext {
    /// Task context on a CPU of `node` (Linux: `numa_node_id() == node`, `in_task()`).
    pub const fn task(node: NodeId) -> Self {
        Self {
            node,
            in_interrupt: false,
        }
    }

    /// Interrupt context on a CPU of `node` (Linux: `in_interrupt()`): task policies and
    /// cpusets do not apply.
    pub const fn interrupt(node: NodeId) -> Self {
        Self {
            node,
            in_interrupt: true,
        }
    }

    /// Returns the node of the current CPU (Linux: `numa_node_id()`).
    #[inline]
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns whether the code runs in interrupt context (Linux: `in_interrupt()`).
    #[inline]
    pub const fn in_interrupt(&self) -> bool {
        self.in_interrupt
    }
}

/// The per-task state a placement reads and updates, lent by the task for one allocation
/// (Linux: `current->mempolicy`, `current->il_prev`, `current->il_weight`,
/// `cpuset_current_mems_allowed`).
///
/// Everything is borrowed: lending costs no reference count and no mask copy.
/// [`Task::lend`](crate::abi::Task::lend) makes one from the syscall layer's task.
#[derive(Debug)]
pub struct TaskContext<'a> {
    policy: Option<&'a Mempolicy>,
    cursor: &'a mut InterleaveCursor,
    mems_allowed: Option<&'a NodeMask>,
}

impl<'a> TaskContext<'a> {
    /// A task with `policy` (`None`: no policy of its own, Linux `current->mempolicy ==
    /// NULL`) and its dynamic-interleave cursor; no cpuset restriction.
    pub fn new(policy: Option<&'a Mempolicy>, cursor: &'a mut InterleaveCursor) -> Self {
        Self {
            policy,
            cursor,
            mems_allowed: None,
        }
    }

    /// Restricts the task to its cpuset's memory nodes (Linux: `current->mems_allowed`
    /// while `cpusets_enabled()`).
    pub fn with_mems_allowed(mut self, mems_allowed: &'a NodeMask) -> Self {
        self.mems_allowed = Some(mems_allowed);
        self
    }

    /// Returns the task's own policy (Linux: `current->mempolicy`).
    #[inline]
    pub fn policy(&self) -> Option<&'a Mempolicy> {
        self.policy
    }

    /// Returns the task's dynamic-interleave cursor (Linux: `il_prev`, `il_weight`).
    #[inline]
    pub fn cursor(&mut self) -> &mut InterleaveCursor {
        self.cursor
    }

    /// Returns the cpuset's memory nodes, if the task is restricted to a cpuset.
    #[inline]
    pub fn mems_allowed(&self) -> Option<&'a NodeMask> {
        self.mems_allowed
    }
}

/// The policy a mapping gives the page at one address, before the task's policy fills in a
/// missing one (Linux: what `__get_vma_policy` returns, with the parts of the interleave index
/// that `get_vma_policy` adds).
///
/// An address space answers with one of these ([`AddressSpace::vma_policy`](
/// crate::abi::AddressSpace::vma_policy)); [`vma_policy`] then picks the policy that governs
/// the allocation and its interleave index.
///
/// Generic over the policy type so that address spaces of simpler policies (tests) answer
/// the same way; the placement functions take [`Mempolicy`]s.
#[derive(Debug, PartialEq)]
pub struct VmaPolicy<'a, P = Mempolicy> {
    policy: Option<&'a P>,
    bias: u64,
    offset: u64,
}

impl<P> Clone for VmaPolicy<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for VmaPolicy<'_, P> {}

impl<'a, P> VmaPolicy<'a, P> {
    /// The page at `addr` of a mapping that starts at `vm_start`, whose first page is page
    /// `vm_pgoff` of the mapped object, with `policy` (`None`: the mapping has none; Linux:
    /// `vm_policy` or the shared object's policy for the page) and an interleave-index `bias`
    /// (Linux: a shmem object's inode number; 0 otherwise), for a folio of `order`.
    pub const fn new(
        policy: Option<&'a P>,
        bias: u64,
        vm_start: u64,
        vm_pgoff: u64,
        addr: u64,
        order: u32,
    ) -> Self {
        let offset =
            crate::interleave::vma_interleave_index(vm_pgoff, vm_start, addr, order, PAGE_SHIFT);
        Self {
            policy,
            bias,
            offset,
        }
    }

    /// An anonymous private mapping (Linux: `vm_pgoff = vm_start >> PAGE_SHIFT`, so
    /// interleave follows the virtual page number) with `policy`, for the page at `addr`.
    pub const fn anonymous(policy: Option<&'a P>, vm_start: u64, addr: u64) -> Self {
        Self::new(policy, 0, vm_start, vm_start >> PAGE_SHIFT, addr, 0)
    }

    /// Returns the mapping's own policy, if it has one.
    #[inline]
    pub const fn policy(&self) -> Option<&'a P> {
        self.policy
    }

    /// Returns the interleave index a policy of this mode uses (Linux: `get_vma_policy`
    /// adds the page offset only for the two interleave modes; the others keep the bias).
    #[inline]
    pub const fn interleave_index(&self, interleaves: bool) -> u64 {
        if interleaves {
            self.bias.wrapping_add(self.offset)
        } else {
            self.bias
        }
    }
}

/// Returns the policy of a task (Linux: `get_task_policy(current)`): its own, else the boot
/// policy of the node it runs on, else the default.
#[inline]
pub fn task_policy<'a, W: ?Sized>(
    globals: &Globals<'a, W>,
    task_policy: Option<&'a Mempolicy>,
    cpu: CpuContext,
) -> &'a Mempolicy {
    globals
        .defaults()
        .get_task_policy(task_policy, Some(cpu.node()))
}

/// Returns the policy a plain page allocation uses (Linux: the choice in
/// `alloc_frozen_pages_noprof`): the default (local) policy in interrupt context or with
/// `__GFP_THISNODE`, else [`task_policy`].
///
/// # Examples
/// ```
/// use mempolicy::gfp::GfpFlags;
/// use mempolicy::policy::{Mode, PolicyDefaults};
/// use mempolicy::select::{self, CpuContext, Globals};
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=2 mem=64")?;
/// let lists = Zonelists::build(&topo);
/// let defaults = PolicyDefaults::new();
/// let globals = Globals::new(&topo, &lists, &defaults, &mempolicy::interleave::Uniform);
/// let cpu = CpuContext::task(NodeId::new(1));
/// // No task policy: the boot policy of node 1 (prefer node 1).
/// assert_eq!(select::alloc_policy(&globals, None, cpu, GfpFlags::GFP_KERNEL).mode(), Mode::Preferred);
/// // In an interrupt: the default (local) policy.
/// let irq = CpuContext::interrupt(NodeId::new(1));
/// assert_eq!(select::alloc_policy(&globals, None, irq, GfpFlags::GFP_KERNEL).mode(), Mode::Local);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn alloc_policy<'a, W: ?Sized>(
    globals: &Globals<'a, W>,
    task_policy_ref: Option<&'a Mempolicy>,
    cpu: CpuContext,
    gfp: GfpFlags,
) -> &'a Mempolicy {
    if cpu.in_interrupt() || gfp.contains(GfpFlags::THISNODE) {
        globals.defaults().default_policy()
    } else {
        task_policy(globals, task_policy_ref, cpu)
    }
}

/// Returns the policy governing a page of a mapping and its interleave index (Linux:
/// `get_vma_policy(vma, addr, order, &ilx)`): the mapping's own (or its shared object's)
/// policy, else the task's ([`task_policy`]); for the two interleave modes the index is the
/// bias plus the page offset, for the others the bias alone (only interleave reads it, and
/// the huge-page rule only asks whether it is
/// [`NO_INTERLEAVE_INDEX`](crate::interleave::NO_INTERLEAVE_INDEX)).
///
/// # Examples
/// ```
/// use mempolicy::interleave::Uniform;
/// use mempolicy::policy::{parse_mpol, PolicyDefaults};
/// use mempolicy::select::{self, CpuContext, Globals, VmaPolicy};
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=4 mem=64")?;
/// let lists = Zonelists::build(&topo);
/// let defaults = PolicyDefaults::new();
/// let globals = Globals::new(&topo, &lists, &defaults, &Uniform);
/// let il = parse_mpol("interleave:0-3", topo.memory_nodes())?.expect("a policy");
/// // Page 5 of an anonymous mapping at 4 GiB: its virtual page number is the index.
/// let vma = VmaPolicy::anonymous(Some(&il), 1 << 32, (1 << 32) + 5 * 4096);
/// let (pol, ilx) = select::vma_policy(&globals, &vma, None, CpuContext::task(NodeId::new(0)));
/// assert_eq!((pol.to_string().as_str(), ilx), ("interleave:0-3", (1 << 20) + 5));
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn vma_policy<'a, W: ?Sized>(
    globals: &Globals<'a, W>,
    vma: &VmaPolicy<'a>,
    task_policy_ref: Option<&'a Mempolicy>,
    cpu: CpuContext,
) -> (&'a Mempolicy, u64) {
    let policy = match vma.policy {
        Some(own) => own,
        None => task_policy(globals, task_policy_ref, cpu),
    };
    (policy, vma.interleave_index(policy.mode().is_interleave()))
}

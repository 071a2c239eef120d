//! The inputs of a placement: the machine, the task, the CPU and the mapping, and which
//! policy governs an allocation (Linux: `get_task_policy`, `__get_vma_policy`,
//! `get_vma_policy`, and the policy choice of `alloc_frozen_pages_noprof`).

use core::fmt;
use core::ops::Deref;

use super::cache::ZoneCache;
use crate::gfp::GfpFlags;
use crate::interleave::{self, InterleaveCursor, Uniform};
use crate::nodemask::{NodeId, NodeMask};
use crate::policy::{Mempolicy, PolicyDefaults, PolicyRef};
use crate::topology::Topology;
use crate::zonelist::Zonelists;

/// Page shift of the Linux ABI this crate models (4 KiB pages, Linux: `PAGE_SHIFT`).
pub const PAGE_SHIFT: u32 = 12;

/// The machine-wide state a placement reads (Linux: the globals `node_states[]`,
/// `policy_zone`, `NODE_DATA(nid)->node_zonelists`, `default_policy`,
/// `preferred_node_policy[]` and `wi_state`).
///
/// Only borrows; building one costs nothing. `W` is the weighted-interleave weight lookup
/// (see [`WeightSource`](crate::interleave::WeightSource)); [`Uniform`] (every weight 1) is
/// Linux's state before any weight is set.
pub struct Machine<'a, W: ?Sized = Uniform> {
    topology: &'a Topology,
    zonelists: &'a Zonelists,
    defaults: &'a PolicyDefaults,
    weights: &'a W,
}

impl<'a, W: ?Sized> Machine<'a, W> {
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
    pub const fn topology(&self) -> &'a Topology {
        self.topology
    }

    /// Returns the zonelists of every node (Linux: `node_zonelists`).
    pub const fn zonelists(&self) -> &'a Zonelists {
        self.zonelists
    }

    /// Returns the built-in policies (Linux: `default_policy`, `preferred_node_policy[]`).
    pub const fn defaults(&self) -> &'a PolicyDefaults {
        self.defaults
    }

    /// Returns the interleave weights (Linux: `wi_state`).
    pub const fn weights(&self) -> &'a W {
        self.weights
    }
}

impl<W: ?Sized> Clone for Machine<'_, W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W: ?Sized> Copy for Machine<'_, W> {}

impl<W: ?Sized> fmt::Debug for Machine<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
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
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns whether the code runs in interrupt context (Linux: `in_interrupt()`).
    pub const fn in_interrupt(&self) -> bool {
        self.in_interrupt
    }
}

/// The per-task state a placement reads and updates (Linux: `current->mempolicy`,
/// `current->il_prev`, `current->il_weight`, `current->mems_allowed`).
#[derive(Debug)]
pub struct TaskContext<'a> {
    policy: Option<&'a Mempolicy>,
    cursor: &'a mut InterleaveCursor,
    mems_allowed: Option<&'a NodeMask>,
    zone_cache: Option<&'a mut ZoneCache>,
}

impl<'a> TaskContext<'a> {
    /// A task with `policy` (`None`: no policy of its own, Linux `current->mempolicy ==
    /// NULL`) and its dynamic-interleave cursor; no cpuset restriction.
    pub fn new(policy: Option<&'a Mempolicy>, cursor: &'a mut InterleaveCursor) -> Self {
        Self {
            policy,
            cursor,
            mems_allowed: None,
            zone_cache: None,
        }
    }

    /// Lets the allocation walks of this task remember where the first eligible zone of a
    /// zonelist is (the CPU's [`ZoneCache`]).
    pub fn with_zone_cache(mut self, cache: &'a mut ZoneCache) -> Self {
        self.zone_cache = Some(cache);
        self
    }

    /// Returns the zone cache, if any.
    pub fn zone_cache(&mut self) -> Option<&mut ZoneCache> {
        self.zone_cache.as_deref_mut()
    }

    /// Restricts the task to its cpuset's memory nodes (Linux: `current->mems_allowed`
    /// while `cpusets_enabled()`).
    pub fn with_mems_allowed(mut self, mems_allowed: &'a NodeMask) -> Self {
        self.mems_allowed = Some(mems_allowed);
        self
    }

    /// Returns the task's own policy (Linux: `current->mempolicy`).
    pub fn policy(&self) -> Option<&'a Mempolicy> {
        self.policy
    }

    /// Returns the task's dynamic-interleave cursor (Linux: `il_prev`, `il_weight`).
    pub fn cursor(&mut self) -> &mut InterleaveCursor {
        self.cursor
    }

    /// Returns the cpuset's memory nodes, if the task is restricted to a cpuset.
    pub fn mems_allowed(&self) -> Option<&'a NodeMask> {
        self.mems_allowed
    }
}

/// The policy a shared object keeps for its pages (Linux: `vm_operations_struct::get_policy`,
/// e.g. shmem's `shmem_get_policy` over the inode's shared policy tree).
///
/// The embedder implements it for its shmem/tmpfs objects and attaches it with
/// [`Vma::with_shared`].
pub trait SharedPolicy {
    /// Returns the policy of the page at `addr` in `vma` (a counted reference, Linux:
    /// `mpol_shared_policy_lookup` takes one), or `None` if the object has no policy
    /// there, together with the interleave-index bias (Linux: shmem seeds `*ilx` with the
    /// inode number; other objects use 0). Must not allocate.
    fn get_policy(&self, vma: &Vma<'_>, addr: u64) -> (Option<PolicyRef>, u64);
}

/// The parts of a mapping a placement reads (Linux: `struct vm_area_struct`: `vm_start`,
/// `vm_pgoff`, `vm_policy`, and `vm_ops->get_policy`).
#[derive(Clone, Copy)]
pub struct Vma<'a> {
    vm_start: u64,
    vm_pgoff: u64,
    policy: Option<&'a Mempolicy>,
    shared: Option<&'a dyn SharedPolicy>,
}

impl<'a> Vma<'a> {
    /// An anonymous private mapping starting at `vm_start` (Linux: `vm_pgoff = vm_start >>
    /// PAGE_SHIFT`, so interleave follows the virtual page number) with policy `policy`
    /// (Linux: `vm_policy`; `None` falls back to the task policy).
    pub const fn anonymous(vm_start: u64, policy: Option<&'a Mempolicy>) -> Self {
        Self {
            vm_start,
            vm_pgoff: vm_start >> PAGE_SHIFT,
            policy,
            shared: None,
        }
    }

    /// A mapping starting at `vm_start` whose first page is page `vm_pgoff` of the mapped
    /// object (Linux: `vm_pgoff`, the file offset in pages).
    pub const fn new(vm_start: u64, vm_pgoff: u64, policy: Option<&'a Mempolicy>) -> Self {
        Self {
            vm_start,
            vm_pgoff,
            policy,
            shared: None,
        }
    }

    /// Makes the mapped object's own policy govern the mapping (Linux: `vm_ops->get_policy`
    /// is set; `vm_policy` is then not consulted).
    pub const fn with_shared(mut self, shared: &'a dyn SharedPolicy) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Returns the start address (Linux: `vm_start`).
    pub const fn vm_start(&self) -> u64 {
        self.vm_start
    }

    /// Returns the page offset of the first page (Linux: `vm_pgoff`).
    pub const fn vm_pgoff(&self) -> u64 {
        self.vm_pgoff
    }

    /// Returns the mapping's own policy (Linux: `vm_policy`).
    pub const fn policy(&self) -> Option<&'a Mempolicy> {
        self.policy
    }
}

impl fmt::Debug for Vma<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vma")
            .field("vm_start", &self.vm_start)
            .field("vm_pgoff", &self.vm_pgoff)
            .field("policy", &self.policy)
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// The policy that governs an allocation: borrowed from a VMA, the task or the built-ins,
/// or a counted reference from a shared object (Linux: the result of `get_vma_policy`,
/// released with `mpol_cond_put`, which here is dropping the handle).
#[derive(Clone, Debug)]
pub enum PolicyHandle<'a> {
    /// A policy the caller keeps alive (VMA, task, built-in).
    Borrowed(&'a Mempolicy),
    /// A shared object's policy (Linux: `MPOL_F_SHARED`, one extra reference).
    Counted(PolicyRef),
}

impl Deref for PolicyHandle<'_> {
    type Target = Mempolicy;

    fn deref(&self) -> &Mempolicy {
        match self {
            PolicyHandle::Borrowed(policy) => policy,
            PolicyHandle::Counted(policy) => policy,
        }
    }
}

/// Returns the policy of a task (Linux: `get_task_policy(current)`): its own, else the boot
/// policy of the node it runs on, else the default.
pub fn task_policy<'a, W: ?Sized>(
    machine: &Machine<'a, W>,
    task_policy: Option<&'a Mempolicy>,
    cpu: CpuContext,
) -> &'a Mempolicy {
    machine
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
/// use mempolicy::select::{self, CpuContext, Machine};
/// use mempolicy::topology::Topology;
/// use mempolicy::zonelist::Zonelists;
/// use mempolicy::NodeId;
/// let topo = Topology::from_nodes_spec("nodes=2 mem=64")?;
/// let lists = Zonelists::build(&topo);
/// let defaults = PolicyDefaults::new();
/// let machine = Machine::new(&topo, &lists, &defaults, &mempolicy::interleave::Uniform);
/// let cpu = CpuContext::task(NodeId::new(1));
/// // No task policy: the boot policy of node 1 (prefer node 1).
/// assert_eq!(select::alloc_policy(&machine, None, cpu, GfpFlags::GFP_KERNEL).mode(), Mode::Preferred);
/// // In an interrupt: the default (local) policy.
/// let irq = CpuContext::interrupt(NodeId::new(1));
/// assert_eq!(select::alloc_policy(&machine, None, irq, GfpFlags::GFP_KERNEL).mode(), Mode::Local);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn alloc_policy<'a, W: ?Sized>(
    machine: &Machine<'a, W>,
    task_policy_ref: Option<&'a Mempolicy>,
    cpu: CpuContext,
    gfp: GfpFlags,
) -> &'a Mempolicy {
    if cpu.in_interrupt() || gfp.contains(GfpFlags::THISNODE) {
        machine.defaults().default_policy()
    } else {
        task_policy(machine, task_policy_ref, cpu)
    }
}

/// Returns the policy governing the page at `addr` of `vma` and its interleave index
/// (Linux: `get_vma_policy(vma, addr, order, &ilx)`).
///
/// The shared object's policy ([`Vma::with_shared`]) or else the VMA's own; without either
/// the task's ([`task_policy`]). For the two interleave modes the index is the object's bias
/// plus `(vm_pgoff >> order) + ((addr - vm_start) >> (PAGE_SHIFT + order))`; for the other
/// modes it is the bias alone (Linux leaves it so; only interleave reads it, and the THP
/// rule only asks whether it is
/// [`NO_INTERLEAVE_INDEX`](crate::interleave::NO_INTERLEAVE_INDEX)).
pub fn vma_policy<'a, W: ?Sized>(
    machine: &Machine<'a, W>,
    vma: &Vma<'a>,
    addr: u64,
    order: u32,
    task_policy_ref: Option<&'a Mempolicy>,
    cpu: CpuContext,
) -> (PolicyHandle<'a>, u64) {
    let (own, bias) = match vma.shared {
        Some(shared) => {
            let (policy, bias) = shared.get_policy(vma, addr);
            (policy.map(PolicyHandle::Counted), bias)
        }
        None => (vma.policy.map(PolicyHandle::Borrowed), 0),
    };
    let policy =
        own.unwrap_or_else(|| PolicyHandle::Borrowed(task_policy(machine, task_policy_ref, cpu)));
    let ilx = if policy.mode().is_interleave() {
        bias.wrapping_add(interleave::vma_interleave_index(
            vma.vm_pgoff,
            vma.vm_start,
            addr,
            order,
            PAGE_SHIFT,
        ))
    } else {
        bias
    };
    (policy, ilx)
}

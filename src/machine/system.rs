//! [`Machine`]: what Linux keeps in globals, owned by the embedder (Linux: `node_states[]`,
//! the `node_zonelists` of every node and `policy_zone`, `wi_state`, `default_policy` and
//! `preferred_node_policy[]`).

use core::fmt;

use super::cpu::Cpu;
use crate::abi::{self, AddressSpace, GetMempolicyArgs, MbindArgs, MergeKey, SystemNodes, Task};
use crate::abi::{MigrateHooks, PageMover, PageNode, Privileges, UserMemory};
use crate::error::{Error, Result};
use crate::linux::Linux;
use crate::nodemask::{NodeId, NodeMask};
use crate::policy::{Mempolicy, PolicyDefaults};
use crate::rcu::{Domain, RcuCell};
use crate::sync::Mutex;
use crate::topology::Topology;
use crate::weights::WeightTable;
use crate::zonelist::{ZonelistConfig, Zonelists};

/// The machine description as allocations read it, published whole: a node hotplug
/// replaces all of it at once (Linux: `node_states[]` and the zonelists, which
/// `build_all_zonelists` rebuilds under `zonelist_update_seq`).
pub(crate) struct State {
    pub(crate) topology: Topology,
    pub(crate) zonelists: Zonelists,
    pub(crate) nodes: SystemNodes,
    /// Numbers the published states of one machine; never reused, so a CPU's zone cache
    /// can name a zonelist by it.
    pub(crate) generation: u64,
}

impl State {
    fn build(topology: Topology, config: ZonelistConfig, generation: u64, linux: Linux) -> Self {
        let zonelists = Zonelists::build_with(&topology, config);
        let nodes = SystemNodes::from(&topology).with_linux(linux);
        Self {
            topology,
            zonelists,
            nodes,
            generation,
        }
    }
}

/// What the machine's writers keep under their lock.
struct Writer {
    /// The generation of the published state.
    generation: u64,
    config: ZonelistConfig,
    linux: Linux,
}

/// Everything Linux keeps global for memory policies, in one object the embedder owns: the
/// machine description and its zonelists, the weighted-interleave weights, the built-in
/// policies (Linux: `node_states[]`, `NODE_DATA(nid)->node_zonelists`, `policy_zone`,
/// `wi_state`, `default_policy`, `preferred_node_policy[]`).
///
/// Allocation paths read it through a per-CPU [`Cpu`] handle, lock-free: the machine
/// description and the weights are published whole through the machine's epoch [`Domain`]
/// and replaced by writers ([`Machine::update_topology`] on hotplug; the weight table's
/// setters for the sysfs files and firmware bandwidths). Keep one in a `static` through a
/// [`MachineCell`](super::MachineCell), or anywhere that outlives its CPU handles.
///
/// # Examples
/// ```
/// use mempolicy::gfp::{GfpFlags, ZoneType};
/// use mempolicy::machine::Machine;
/// use mempolicy::topology::Topology;
/// use mempolicy::NodeId;
///
/// let machine = Machine::new(Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256")?);
/// let mut cpu = machine.cpu(1)?; // once per CPU, at bring-up
/// // An interrupt handler on CPU 1 allocates from node 1, whatever the task's policy.
/// let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node.as_u32());
/// let page = cpu.alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames)?;
/// assert_eq!(*page.frame(), 1);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct Machine {
    domain: Domain,
    state: RcuCell<State>,
    weights: WeightTable,
    defaults: PolicyDefaults,
    writer: Mutex<Writer>,
    linux: Linux,
}

impl Machine {
    /// Builds the machine of `topology` with Linux's zonelists ([`ZonelistConfig::LINUX`]),
    /// the weights as the default [`Linux`] release has them after boot (all 1 and
    /// automatic, or reduced from the topology's bandwidths: [`WeightTable::boot`]) and the
    /// built-in policies (Linux: `build_all_zonelists`, `numa_policy_init`). Allocates; do it
    /// once, at boot.
    pub fn new(topology: Topology) -> Self {
        Self::for_linux(Linux::default(), topology)
    }

    /// Builds the machine of `topology` like [`Machine::new`], behaving like kernel release
    /// `linux` wherever releases differ (system calls, policies, the weight files).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::machine::Machine;
    /// use mempolicy::topology::Topology;
    /// use mempolicy::Linux;
    /// let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 bw=30000,10000")?;
    /// let machine = Machine::for_linux(Linux::V7_3, topo.clone());
    /// assert_eq!(machine.weights().snapshot().as_array()[..2], [3, 1]);
    /// let old = Machine::for_linux(Linux::V6_12, topo);
    /// assert_eq!(old.linux(), Linux::V6_12);
    /// assert_eq!(old.weights().snapshot().as_array()[..2], [1, 1]);
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn for_linux(linux: Linux, topology: Topology) -> Self {
        Self::with_config(linux, topology, ZonelistConfig::LINUX)
    }

    /// Builds the machine of `topology` with zonelists built by `config`.
    pub fn with_zonelist_config(topology: Topology, config: ZonelistConfig) -> Self {
        Self::with_config(Linux::default(), topology, config)
    }

    /// Builds the machine of `topology` for kernel release `linux` with zonelists built by
    /// `config`.
    pub fn with_config(linux: Linux, topology: Topology, config: ZonelistConfig) -> Self {
        let domain = Domain::new();
        let weights = WeightTable::boot(linux, &topology, domain.clone());
        let generation = 1;
        Self {
            state: RcuCell::new(State::build(topology, config, generation, linux), &domain),
            weights,
            defaults: PolicyDefaults::new(),
            writer: Mutex::new(Writer {
                generation,
                config,
                linux,
            }),
            domain,
            linux,
        }
    }

    /// Returns the kernel release the machine behaves like.
    pub const fn linux(&self) -> Linux {
        self.linux
    }

    /// Registers the per-CPU handle of CPU `cpu` (allocates: do it once per CPU, at
    /// bring-up, outside the allocator). The handle allocates on behalf of that CPU; keep it
    /// in per-CPU state ([`CpuSlots`](super::CpuSlots) does that without `unsafe`).
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if the machine description has no such CPU.
    pub fn cpu(&self, cpu: u32) -> Result<Cpu<'_>> {
        let node = self
            .with_topology(|topology| topology.node_of_cpu(cpu))
            .ok_or(Error::InvalidCpu(cpu))?;
        Cpu::new(self, cpu, node).ok_or(Error::InvalidCpu(cpu))
    }

    /// Replaces the machine description (Linux: memory or node hotplug, ending in
    /// `build_all_zonelists`): rebuilds every zonelist, publishes the new state whole, and
    /// tells the weight table which nodes now have memory. CPUs see the old state or the new
    /// one, never a mix, and their zone caches never answer for the new lists from the old
    /// ones. Allocates; the old state is freed after a grace period.
    pub fn update_topology(&self, topology: Topology) {
        let memory = *topology.memory_nodes();
        let mut writer = self.writer.lock();
        writer.generation = writer.generation.wrapping_add(1);
        let state = State::build(topology, writer.config, writer.generation, writer.linux);
        self.state.publish(state);
        drop(writer);
        self.weights.set_memory_nodes(memory);
    }

    /// Calls `f` with the current machine description, from a writer or boot path (pins a
    /// temporary handle: may allocate). Allocation paths use [`Cpu::topology`].
    pub fn with_topology<R>(&self, f: impl FnOnce(&Topology) -> R) -> R {
        self.state.with_current(|state| f(&state.topology))
    }

    /// Calls `f` with the current zonelists, from a writer or boot path (pins a temporary
    /// handle: may allocate).
    pub fn with_zonelists<R>(&self, f: impl FnOnce(&Zonelists) -> R) -> R {
        self.state.with_current(|state| f(&state.zonelists))
    }

    /// Returns the weighted-interleave weights (Linux: `wi_state` and its sysfs files, and
    /// what firmware reports through `mempolicy_set_node_perf`). Writers call its setters;
    /// allocations read it through their [`Cpu`].
    pub fn weights(&self) -> &WeightTable {
        &self.weights
    }

    /// Returns the built-in policies (Linux: `default_policy`, `preferred_node_policy[]`).
    pub fn defaults(&self) -> &PolicyDefaults {
        &self.defaults
    }

    /// Returns the epoch domain every lock-free reader of this machine belongs to: its state,
    /// its weights, and the shared objects ([`SharedObject`](crate::abi::SharedObject)) the
    /// embedder creates for it.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// Frees every retired object whose grace period has ended (from a context that may
    /// free memory, never from inside the allocator).
    pub fn reclaim(&self) {
        self.domain.reclaim();
    }

    /// Returns how many retired objects are not freed yet (weight tables, machine states,
    /// shared trees).
    pub fn retired(&self) -> usize {
        self.domain.retired()
    }

    pub(crate) fn state(&self) -> &RcuCell<State> {
        &self.state
    }

    /// The node states now, from a system-call path.
    fn nodes(&self) -> SystemNodes {
        self.state.with_current(|state| state.nodes)
    }

    /// `set_mempolicy(2)` for `task`, checked against the machine's node states now (see
    /// [`abi::set_mempolicy`]). System calls run in process context and may allocate.
    ///
    /// # Errors
    /// As [`abi::set_mempolicy`].
    pub fn set_mempolicy<U>(
        &self,
        task: &mut Task,
        user: &mut U,
        mode: i32,
        nmask: u64,
        maxnode: u64,
    ) -> Result<i64>
    where
        U: UserMemory + ?Sized,
    {
        abi::set_mempolicy(task, &self.nodes(), user, mode, nmask, maxnode)
    }

    /// `get_mempolicy(2)` for `task` and its address space `mm` (see
    /// [`abi::get_mempolicy`]).
    ///
    /// # Errors
    /// As [`abi::get_mempolicy`].
    pub fn get_mempolicy<E, K>(
        &self,
        task: &Task,
        mm: &AddressSpace<Mempolicy, K>,
        env: &mut E,
        args: GetMempolicyArgs,
    ) -> Result<i64>
    where
        E: UserMemory + PageNode + ?Sized,
        K: MergeKey,
    {
        abi::get_mempolicy(task, mm, &self.nodes(), env, args)
    }

    /// `mbind(2)` on `task`'s address space `mm`, called on a CPU of `this_node` (see
    /// [`abi::mbind`]). The pages it moves are allocated by the embedder's [`PageMover`],
    /// normally with [`Cpu::alloc_migration_target`] on the calling CPU's handle, which the
    /// mover may hold: this call does not use one.
    ///
    /// # Errors
    /// As [`abi::mbind`].
    pub fn mbind<E, K>(
        &self,
        this_node: NodeId,
        task: &Task,
        mm: &mut AddressSpace<Mempolicy, K>,
        env: &mut E,
        args: MbindArgs,
    ) -> Result<i64>
    where
        E: UserMemory + Privileges + PageMover + ?Sized,
        K: MergeKey,
    {
        let nodes = self.nodes();
        abi::mbind(task, mm, &nodes, &self.defaults, this_node, env, args)
    }

    /// `set_mempolicy_home_node(2)` on `mm` (see [`abi::set_mempolicy_home_node`]).
    ///
    /// # Errors
    /// As [`abi::set_mempolicy_home_node`].
    pub fn set_mempolicy_home_node<K: MergeKey>(
        &self,
        mm: &mut AddressSpace<Mempolicy, K>,
        start: u64,
        len: u64,
        home_node: u64,
        flags: u64,
    ) -> Result<i64> {
        abi::set_mempolicy_home_node(mm, &self.nodes(), start, len, home_node, flags)
    }

    /// `migrate_pages(2)` from `task` (see [`abi::migrate_pages`]); the embedder's
    /// [`MigrateHooks`] move the pages, normally allocating each with
    /// [`Cpu::alloc_migration_target`] and [`MigrationTarget::Node`](crate::abi::MigrationTarget::Node).
    ///
    /// # Errors
    /// As [`abi::migrate_pages`].
    pub fn migrate_pages<E>(
        &self,
        task: &Task,
        env: &mut E,
        pid: i32,
        maxnode: u64,
        old_nodes: u64,
        new_nodes: u64,
    ) -> Result<i64>
    where
        E: UserMemory + MigrateHooks + ?Sized,
    {
        abi::migrate_pages(task, env, pid, maxnode, old_nodes, new_nodes)
    }

    /// Changes `task`'s cpuset nodes to `mems_allowed` and rebinds its policy and every
    /// range policy of its address space `mm` (Linux: `cpuset_change_task_nodemask` and
    /// `mpol_rebind_mm`; see [`abi::cpuset_rebind`]). Pass the effective mems: the cpuset's
    /// nodes that have memory. Moving the pages, if the cpuset asks for it, is
    /// [`Machine::migrate_pages`]' job.
    pub fn cpuset_rebind<K: MergeKey>(
        &self,
        task: &mut Task,
        mm: &mut AddressSpace<Mempolicy, K>,
        mems_allowed: NodeMask,
    ) {
        abi::cpuset_rebind(task, mm, mems_allowed);
    }
}

impl fmt::Debug for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
            .field("weights", &self.weights)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

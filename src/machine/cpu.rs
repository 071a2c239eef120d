//! [`Cpu`]: one CPU's handle on a [`Machine`], and the calls a kernel makes from its fault,
//! allocation, slab, migration and system-call paths (Linux: `vma_alloc_folio`,
//! `alloc_pages`, `alloc_pages_bulk_mempolicy_noprof`, `mempolicy_slab_node`,
//! `alloc_migration_target_by_mpol`, `mpol_misplaced`, and the memory-policy system calls).

use core::{fmt, ptr};

use super::mappings::Mappings;
use super::system::{Machine, State};
use crate::abi::MigrationTarget;
use crate::error::{Error, Result};
use crate::gfp::GfpFlags;
use crate::interleave::WeightSource as _;
use crate::interleave::{InterleaveCursor, NO_INTERLEAVE_INDEX};
use crate::nodemask::NodeId;
use crate::rcu::{PairReader, Reader};
use crate::select::{
    self, CacheRef, CpuContext, FrameSource, Globals, Page, TaskContext, VmaPolicy, Walk, ZoneCache,
};
use crate::topology::Topology;
use crate::weights::{Table, WeightView};

/// One CPU's handle on a [`Machine`]: everything the allocation path of that CPU needs
/// (Linux: the CPU's RCU read side, `numa_node_id()`, and the zonelist answers a CPU would
/// recompute on every allocation).
///
/// It holds the CPU's epoch participation (a pinned [`Reader`] of the machine's domain),
/// the machine state and weight table it saw last, a small cache of first eligible zones,
/// and the CPU's number and node. Every entry point reads the machine lock-free: one
/// acquire load for the machine state and one for the weights, no lock, no allocation, no
/// reference count. When an entry sees a new state or weight table it reports a quiescent
/// state on its way out, so writers can free the old ones; an idle CPU reports one with
/// [`Cpu::quiescent`].
///
/// Make one per CPU with [`Machine::cpu`] at bring-up and keep it in that CPU's state
/// ([`CpuSlots`](super::CpuSlots) is a per-CPU `static` for them). Interrupt handlers use a
/// handle of their own (see [`CpuSlots::with_interrupt`](super::CpuSlots::with_interrupt)):
/// the calls take `&mut self`, so one handle is never used by two contexts at once.
///
/// Not `Send`: it belongs to one CPU.
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let machine = mempolicy::machine::Machine::new(
///     mempolicy::topology::Topology::from_nodes_spec("nodes=1")?);
/// send(machine.cpu(0)?);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct Cpu<'m> {
    machine: &'m Machine,
    /// Reads the machine's state and its weights; one epoch participant.
    reader: PairReader<'m, State, Table>,
    /// The state seen at the last quiescent state: compared with, never dereferenced.
    seen_state: *const State,
    /// The weight table seen at the last quiescent state: compared with, never dereferenced.
    seen_weights: *const Table,
    zones: ZoneCache,
    id: u32,
    node: NodeId,
}

/// What one entry point reads of the machine, all from the same published state and table.
struct Snapshot<'r> {
    state: &'r State,
    table: &'r Table,
}

impl<'m> Cpu<'m> {
    /// A handle for CPU `id` of `node`, or `None` if the machine's state and weights are not
    /// in one domain (they always are: the machine makes both with its own).
    pub(super) fn new(machine: &'m Machine, id: u32, node: NodeId) -> Option<Self> {
        let reader = PairReader::new(machine.state(), machine.weights().cell())?;
        let seen_state = ptr::from_ref(reader.load_a());
        let seen_weights = ptr::from_ref(reader.load_b());
        Some(Self {
            machine,
            reader,
            seen_state,
            seen_weights,
            zones: ZoneCache::new(),
            id,
            node,
        })
    }

    /// Returns the CPU's number.
    #[inline]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// Returns the CPU's node (Linux: `numa_node_id()`).
    #[inline]
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Returns the machine this CPU belongs to.
    #[inline]
    pub const fn machine(&self) -> &'m Machine {
        self.machine
    }

    /// Returns the CPU's epoch reader (for the lock-free reads of objects in the machine's
    /// domain, such as [`SharedObject::load`](crate::abi::SharedObject::load)).
    #[inline]
    pub fn reader(&self) -> &Reader {
        self.reader.reader()
    }

    /// Returns the machine description as this CPU sees it now; the borrow ends before the
    /// CPU's next call.
    pub fn topology(&self) -> &Topology {
        &self.reader.load_a().topology
    }

    /// Reports a quiescent state (Linux: a CPU passing through the scheduler, or idle):
    /// the states and weight tables retired before this call may be freed. Call it from the
    /// idle loop or the scheduler tick of a CPU that does not allocate. Never allocates,
    /// frees, blocks or locks.
    pub fn quiescent(&mut self) {
        self.resync();
    }

    /// Runs `f` with the machine's current state, weights and this CPU's zone cache, then
    /// reports a quiescent state if the state or the weights had changed since the last one.
    #[inline(always)]
    fn read<R>(
        &mut self,
        f: impl FnOnce(&Globals<'_, WeightView<'_>>, CacheRef<'_>, &Reader) -> R,
    ) -> R {
        let machine = self.machine;
        let snap = Snapshot {
            state: self.reader.load_a(),
            table: self.reader.load_b(),
        };
        let view = WeightView::new(snap.table);
        let globals = Globals::new(
            &snap.state.topology,
            &snap.state.zonelists,
            machine.defaults(),
            &view,
        );
        let cache = Some((&mut self.zones, snap.state.generation));
        let result = f(&globals, cache, self.reader.reader());
        if !ptr::eq(snap.state, self.seen_state) || !ptr::eq(snap.table, self.seen_weights) {
            self.resync();
        }
        result
    }

    /// Moves the reader's epoch forward and remembers the state and table current after
    /// that. Loaded after the quiescent state, they stay allocated until the next one, so no
    /// other object can reuse their addresses while they are remembered (no ABA).
    #[cold]
    #[inline(never)]
    fn resync(&mut self) {
        self.reader.quiescent();
        self.seen_state = ptr::from_ref(self.reader.load_a());
        self.seen_weights = ptr::from_ref(self.reader.load_b());
    }

    /// The CPU context of a task-context call.
    #[inline]
    const fn in_task(&self) -> CpuContext {
        CpuContext::task(self.node)
    }

    /// Allocates the `2^order` frames backing the page at `addr` of `mm` for a fault of
    /// `task` (Linux: `vma_alloc_folio(gfp, order, vma, addr)`): the mapping's policy (its
    /// own or its shared object's), else the task's, picks the node, with the page's
    /// interleave index; then the zonelist walk takes the frames from `frames`.
    ///
    /// Allocation-free and lock-free apart from what `frames` does.
    ///
    /// # Errors
    /// [`Error::Fault`] when nothing is mapped at `addr`; [`Error::NoMemory`] when no
    /// eligible zone gives the frames; [`Error::ConflictingZoneFlags`] for a bad `gfp`.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::abi::{AddressSpace, Task};
    /// use mempolicy::gfp::{GfpFlags, ZoneType};
    /// use mempolicy::machine::Machine;
    /// use mempolicy::policy::{parse_mpol, Mempolicy};
    /// use mempolicy::topology::Topology;
    /// use mempolicy::NodeId;
    ///
    /// let machine = Machine::new(Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256")?);
    /// let mut cpu = machine.cpu(0)?;
    /// let mut task = Task::new("0-3".parse()?);
    /// let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    /// mm.mmap_anonymous(1 << 32, 8 * 4096, ())?;
    /// let bind = parse_mpol("bind:3", &"0-3".parse()?)?;
    /// mm.set_policy(1 << 32, (1 << 32) + 8 * 4096, bind.as_ref());
    /// let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node);
    /// let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    /// let page = cpu.alloc_fault(&mut task.lend(), &mm, 1 << 32, gfp, 0, &mut frames)?;
    /// assert_eq!(page.node(), NodeId::new(3));
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[allow(
        clippy::too_many_arguments,
        reason = "the inputs of vma_alloc_folio plus the task, address space and frames"
    )]
    pub fn alloc_fault<M, F>(
        &mut self,
        task: &mut TaskContext<'_>,
        mm: &M,
        addr: u64,
        gfp: GfpFlags,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        M: Mappings + ?Sized,
        F: FrameSource + ?Sized,
    {
        let cpu = self.in_task();
        self.read(|globals, cache, reader| {
            let Some(vma) = mm.vma_policy(addr, order, reader) else {
                return Err(Error::Fault(addr));
            };
            served(select::alloc_vma_walk(
                globals, task, cpu, &vma, gfp, order, frames, cache,
            ))
        })
    }

    /// Allocates the `2^order` frames backing a page of a mapping the caller has found
    /// already (Linux: `vma_alloc_folio(gfp, order, vma, addr)`, which takes the VMA):
    /// [`Cpu::alloc_fault`] without the address-space lookup. `vma` describes the page at
    /// this `order` ([`VmaPolicy::new`]); a shared object's policy in it is read through this
    /// CPU's [`reader`](Cpu::reader).
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no eligible zone gives the frames;
    /// [`Error::ConflictingZoneFlags`] for a bad `gfp`.
    pub fn alloc_vma<F>(
        &mut self,
        task: &mut TaskContext<'_>,
        vma: &VmaPolicy<'_>,
        gfp: GfpFlags,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        F: FrameSource + ?Sized,
    {
        let cpu = self.in_task();
        self.read(|globals, cache, _| {
            served(select::alloc_vma_walk(
                globals, task, cpu, vma, gfp, order, frames, cache,
            ))
        })
    }

    /// Allocates `2^order` frames for `task` outside any mapping (Linux: `alloc_pages(gfp,
    /// order)`: page tables, pipe buffers, kernel pages): the task's policy, with the dynamic
    /// interleave cursor; the default (local) policy with `__GFP_THISNODE`.
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no eligible zone gives the frames;
    /// [`Error::ConflictingZoneFlags`] for a bad `gfp` (the cursor is then not touched).
    pub fn alloc_pages<F>(
        &mut self,
        task: &mut TaskContext<'_>,
        gfp: GfpFlags,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        F: FrameSource + ?Sized,
    {
        let cpu = self.in_task();
        let served = self.read(|globals, cache, _| {
            select::alloc_pages_walk(globals, task, cpu, gfp, order, frames, cache)
        })?;
        served.ok_or(Error::NoMemory)
    }

    /// Allocates `2^order` frames from interrupt context (Linux: `alloc_pages` when
    /// `in_interrupt()`): the default policy, so the CPU's node first and then its fallback
    /// list, with no task policy and no cpuset. Needs no task.
    ///
    /// # Errors
    /// As [`Cpu::alloc_pages`].
    pub fn alloc_interrupt<F>(
        &mut self,
        gfp: GfpFlags,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        F: FrameSource + ?Sized,
    {
        let cpu = CpuContext::interrupt(self.node);
        let served = self.read(|globals, cache, _| {
            // The default policy never reads or moves a cursor.
            let mut cursor = InterleaveCursor::new();
            let mut nobody = TaskContext::new(None, &mut cursor);
            select::alloc_pages_walk(globals, &mut nobody, cpu, gfp, order, frames, cache)
        })?;
        served.ok_or(Error::NoMemory)
    }

    /// Allocates `2^order` frames starting at `node`'s zonelist, with no policy (Linux:
    /// `__alloc_pages_node(nid, gfp, order)`; with `__GFP_THISNODE` only `node` itself).
    ///
    /// # Errors
    /// [`Error::InvalidNode`] for a node without zonelists; otherwise as
    /// [`Cpu::alloc_pages`].
    pub fn alloc_on_node<F>(
        &mut self,
        node: NodeId,
        gfp: GfpFlags,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        F: FrameSource + ?Sized,
    {
        let served = self.read(|globals, cache, _| {
            let placement = local_placement(globals, gfp, node)?;
            Walk::new(globals.zonelists(), order, None)
                .with_cache(cache)
                .mpol(&placement, gfp, NO_INTERLEAVE_INDEX, frames)
        })?;
        served.ok_or(Error::NoMemory)
    }

    /// Allocates an order-0 page for every empty slot of `out` under `task`'s policy and
    /// returns how many slots hold a page now (Linux: `alloc_pages_bulk_mempolicy_noprof`);
    /// each page says its node and zone. Interleave policies spread the pages as Linux's bulk interleave does (see
    /// [`select::alloc_bulk`]).
    ///
    /// # Errors
    /// [`Error::ConflictingZoneFlags`] for a bad `gfp`. Running out of memory is not an
    /// error: fewer slots are filled.
    pub fn alloc_bulk<F>(
        &mut self,
        task: &mut TaskContext<'_>,
        gfp: GfpFlags,
        out: &mut [Option<Page<F::Frame>>],
        frames: &mut F,
    ) -> Result<usize>
    where
        F: FrameSource + ?Sized,
    {
        let cpu = self.in_task();
        self.read(|globals, cache, _| {
            select::alloc_bulk_walk(globals, task, cpu, gfp, out, frames, cache)
        })
    }

    /// Returns the node `task`'s next slab object should come from (Linux:
    /// `mempolicy_slab_node`); interleave policies advance the task's cursor.
    pub fn slab_node(&mut self, task: &mut TaskContext<'_>) -> NodeId {
        let cpu = self.in_task();
        self.read(|globals, _, _| select::slab_node(globals, task, cpu))
    }

    /// Allocates the new page of a migration (Linux: `alloc_migration_target_by_mpol` for
    /// `mbind(MPOL_MF_MOVE)`, `alloc_migration_target` with a node for `migrate_pages(2)`
    /// and `move_pages(2)`), of `order` (the source folio's).
    ///
    /// Under a policy: `GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL | __GFP_COMP` (a large
    /// folio: `GFP_TRANSHUGE`) at the target's interleave index, so interleave keeps the
    /// layout by index, within the target's cpuset. On a node: `GFP_HIGHUSER_MOVABLE |
    /// __GFP_THISNODE` (large: `GFP_TRANSHUGE | __GFP_THISNODE`).
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no eligible zone gives the frames; [`Error::InvalidNode`]
    /// for a node without zonelists.
    pub fn alloc_migration_target<F>(
        &mut self,
        target: &MigrationTarget<'_>,
        order: u32,
        frames: &mut F,
    ) -> Result<Page<F::Frame>>
    where
        F: FrameSource + ?Sized,
    {
        let this = self.node;
        let large = order > 0;
        let served = self.read(|globals, cache, _| match *target {
            MigrationTarget::Policy {
                policy,
                ilx,
                mems_allowed,
            } => {
                let gfp = if large {
                    GfpFlags::GFP_TRANSHUGE
                } else {
                    GfpFlags::GFP_HIGHUSER_MOVABLE | GfpFlags::RETRY_MAYFAIL | GfpFlags::COMP
                };
                // An index given: a static pick, which never reads or moves a cursor.
                let mut cursor = InterleaveCursor::new();
                let mems = Some(mems_allowed);
                let placement =
                    select::policy_nodemask(policy, gfp, ilx, this, &mut cursor, mems, globals)?;
                Walk::new(globals.zonelists(), order, mems)
                    .with_cache(cache)
                    .mpol(&placement, gfp, ilx, frames)
            }
            MigrationTarget::Node(node) => {
                let base = if large {
                    GfpFlags::GFP_TRANSHUGE
                } else {
                    GfpFlags::GFP_HIGHUSER_MOVABLE
                };
                let gfp = base | GfpFlags::THISNODE;
                let placement = local_placement(globals, gfp, node)?;
                Walk::new(globals.zonelists(), order, None)
                    .with_cache(cache)
                    .mpol(&placement, gfp, NO_INTERLEAVE_INDEX, frames)
            }
        })?;
        served.ok_or(Error::NoMemory)
    }

    /// Returns the weight of `node` in the table this CPU allocates with (Linux:
    /// `get_il_weight`).
    pub fn weight(&mut self, node: NodeId) -> u8 {
        self.with_weights(|weights| weights.weight(node))
    }

    /// Runs `f` with the weight table this CPU allocates with, all reads from that one
    /// table (Linux: the reads of `wi_state` under one `rcu_read_lock`).
    pub fn with_weights<R>(&mut self, f: impl FnOnce(&WeightView<'_>) -> R) -> R {
        self.read(|globals, _, _| f(globals.weights()))
    }

    /// Returns the node the page at `addr` of `mm` (now on `page_node`) should move to, or
    /// `None` if it is where its policy wants it (Linux: `mpol_misplaced` on a NUMA hinting
    /// fault of this CPU). `should_migrate` is the scheduler's filter, asked only for
    /// NUMA-balancing policies (see [`select::mpol_misplaced`]).
    pub fn misplaced<M, S>(
        &mut self,
        task: &TaskContext<'_>,
        mm: &M,
        addr: u64,
        order: u32,
        page_node: NodeId,
        should_migrate: S,
    ) -> Option<NodeId>
    where
        M: Mappings + ?Sized,
        S: FnOnce(NodeId) -> bool,
    {
        let cpu = self.in_task();
        self.read(|globals, _, reader| {
            let vma = mm.vma_policy(addr, order, reader)?;
            let (policy, ilx) = select::vma_policy(globals, &vma, task.policy(), cpu);
            select::mpol_misplaced(
                policy,
                ilx,
                page_node,
                cpu.node(),
                globals.zonelists(),
                globals.weights(),
                should_migrate,
            )
        })
    }
}

/// The frames of a walk, or [`Error::NoMemory`] when no eligible zone gave them.
#[inline(always)]
fn served<T>(walk: Result<Option<Page<T>>>) -> Result<Page<T>> {
    match walk {
        Ok(Some(page)) => Ok(page),
        Ok(None) => Err(Error::NoMemory),
        Err(error) => Err(error),
    }
}

/// The placement of an allocation with no policy at `node` (Linux: `__alloc_pages_node`).
fn local_placement<'a>(
    globals: &Globals<'a, WeightView<'_>>,
    gfp: GfpFlags,
    node: NodeId,
) -> Result<select::Placement<'a>> {
    let default = globals.defaults().default_policy();
    let mut cursor = InterleaveCursor::new();
    select::policy_nodemask(
        default,
        gfp,
        NO_INTERLEAVE_INDEX,
        node,
        &mut cursor,
        None,
        globals,
    )
}

impl fmt::Debug for Cpu<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cpu")
            .field("id", &self.id)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

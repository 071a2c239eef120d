//! [`Kernel`]: the fake embedding kernel: a machine, its CPUs, and what the system calls ask
//! of the embedder.

use std::collections::BTreeMap;

use mempolicy::abi::{
    AddressSpace, MergeKey, MigrateHooks, MigrationTarget, PageAction, PageMover, PageNode,
    Privileges, Task, UserMemory,
};
use mempolicy::gfp::GfpFlags;
use mempolicy::machine::{Cpu, Machine};
use mempolicy::policy::Mempolicy;
use mempolicy::{Error, NodeId, NodeMask, Result};

use crate::frames::{Frame, Frames};
use crate::pages::{PageKind, Pages, Resident};
use crate::user::User;

/// Another process, as `migrate_pages(2)` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Process {
    /// Its cpuset's memory nodes.
    pub mems: NodeMask,
    /// Whether the caller may access it (Linux: `ptrace_may_access`).
    pub ptrace: bool,
    /// Whether the security module lets the caller move its memory.
    pub may_move: bool,
}

/// Failures a test asks the kernel to inject.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// The next this many isolations fail.
    pub isolate: u64,
    /// The next this many migrations of isolated pages fail.
    pub migrate: u64,
    /// The next node-to-node move fails hard (`ENOMEM`).
    pub hard_move: bool,
}

/// The fake kernel: a [`Machine`], one [`Cpu`] handle per CPU it describes, the calling
/// process's user memory and present pages, the free frames, and the knobs of the system
/// calls' environment (privileges, other processes, injected failures).
///
/// It implements every trait the system calls need ([`UserMemory`], [`Privileges`],
/// [`PageNode`], [`PageMover`], [`MigrateHooks`]) and makes every placement through the
/// crate's kernel-facing layer on its current CPU.
#[derive(Debug)]
pub struct Kernel<'m> {
    machine: &'m Machine,
    /// By CPU number; `None` for numbers the machine does not describe.
    cpus: Vec<Option<Cpu<'m>>>,
    current: u32,
    /// The calling process's user memory.
    pub user: User,
    /// The calling process's present pages.
    pub pages: Pages,
    /// The free frames.
    pub frames: Frames,
    /// Pages isolated for migration, by address.
    pub isolated: Vec<u64>,
    /// Whether the caller has `CAP_SYS_NICE`.
    pub privileged: bool,
    /// Failures to inject.
    pub failures: Failures,
    /// Processes by pid; 0 is the caller.
    pub processes: BTreeMap<i32, Process>,
    /// The node pairs `migrate_pages` moved, in order.
    pub moves: Vec<(u32, u32)>,
    /// The calling task's cpuset nodes, within which migration targets are allocated.
    pub mems_allowed: NodeMask,
    /// The node of the shared zero page (the kernel image's node).
    pub zero_node: NodeId,
}

impl<'m> Kernel<'m> {
    /// A kernel on `machine`: a handle for every CPU it describes, current CPU 0, plentiful
    /// frames in every populated zone, the caller unprivileged in a cpuset of every memory
    /// node, and no other process.
    pub fn new(machine: &'m Machine) -> Self {
        let (nr_cpus, memory, frames) =
            machine.with_topology(|t| (t.nr_cpu_ids(), *t.memory_nodes(), Frames::plentiful(t)));
        let cpus = (0..nr_cpus)
            .map(|cpu| u32::try_from(cpu).ok().and_then(|c| machine.cpu(c).ok()))
            .collect();
        let caller = Process {
            mems: memory,
            ptrace: true,
            may_move: true,
        };
        Self {
            machine,
            cpus,
            current: 0,
            user: User::new(),
            pages: Pages::new(),
            frames,
            isolated: Vec::new(),
            privileged: false,
            failures: Failures::default(),
            processes: BTreeMap::from([(0, caller)]),
            moves: Vec::new(),
            mems_allowed: memory,
            zero_node: memory.first().unwrap_or_default(),
        }
    }

    /// Returns the machine.
    pub const fn machine(&self) -> &'m Machine {
        self.machine
    }

    /// Returns the number of the current CPU.
    pub const fn current_cpu(&self) -> u32 {
        self.current
    }

    /// Makes `cpu` the current CPU (Linux: `sched_setaffinity` to one CPU).
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if the machine has no such CPU.
    pub fn switch_cpu(&mut self, cpu: u32) -> Result<()> {
        match self.cpus.get(cpu as usize) {
            Some(Some(_)) => {
                self.current = cpu;
                Ok(())
            }
            _ => Err(Error::InvalidCpu(cpu)),
        }
    }

    /// Returns the current CPU's handle.
    ///
    /// # Panics
    /// Never for a kernel made by [`Kernel::new`]: the current CPU always has a handle.
    pub fn cpu(&mut self) -> &mut Cpu<'m> {
        self.cpus
            .get_mut(self.current as usize)
            .and_then(Option::as_mut)
            .expect("the current CPU has a handle")
    }

    /// Returns the node of the current CPU (Linux: `numa_node_id()`).
    pub fn this_node(&mut self) -> NodeId {
        self.cpu().node()
    }

    /// Faults in the page at `addr` of `mm` for a write by `task` (Linux: a write fault
    /// ending in `vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, addr)`), unless it is present
    /// already, and returns its node. A page of a shared mapping is a dirty shmem page.
    ///
    /// # Errors
    /// [`Error::Fault`] when nothing is mapped at `addr`, [`Error::NoMemory`] when no frame
    /// is left where the policy allows.
    pub fn touch<K: MergeKey>(
        &mut self,
        task: &mut Task,
        mm: &AddressSpace<Mempolicy, K>,
        addr: u64,
    ) -> Result<NodeId> {
        if let Some(page) = self.pages.get(addr).filter(Resident::is_movable) {
            return Ok(page.node);
        }
        let shared = mm.find(addr).ok_or(Error::Fault(addr))?.shared().is_some();
        let frame = self.alloc_user_page(task, mm, addr)?;
        let kind = if shared {
            PageKind::Shmem { dirty: true }
        } else {
            PageKind::Anon
        };
        self.pages.insert(
            addr,
            Resident {
                node: frame.node,
                kind,
            },
        );
        Ok(frame.node)
    }

    /// Allocates the frame of user data for the page at `addr` of `mm` under its mapping's
    /// policy or `task`'s (Linux: `vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, addr)`),
    /// without recording a page.
    ///
    /// # Errors
    /// As [`Kernel::touch`].
    pub fn alloc_user_page<K: MergeKey>(
        &mut self,
        task: &mut Task,
        mm: &AddressSpace<Mempolicy, K>,
        addr: u64,
    ) -> Result<Frame> {
        let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
        let (cpu, frames) = self.cpu_and_frames();
        let page = cpu.alloc_fault(&mut task.lend(), mm, addr, gfp, 0, frames)?;
        Ok(page.into_frame())
    }

    /// Allocates a page the kernel needs for `task` (page tables, pipe buffers, slab pages)
    /// under its policy with no interleave index (Linux: `alloc_pages(GFP_KERNEL, 0)`): it
    /// moves the interleave cursor.
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no frame is left where the policy allows.
    pub fn kernel_page(&mut self, task: &mut Task) -> Result<Frame> {
        let (cpu, frames) = self.cpu_and_frames();
        let page = cpu.alloc_pages(&mut task.lend(), GfpFlags::GFP_KERNEL, 0, frames)?;
        Ok(page.into_frame())
    }

    /// The current CPU's handle and the frames, borrowed together (for a call of the
    /// kernel-facing layer that takes both).
    ///
    /// # Panics
    /// Never for a kernel made by [`Kernel::new`].
    pub fn cpu_and_frames(&mut self) -> (&mut Cpu<'m>, &mut Frames) {
        let cpu = self
            .cpus
            .get_mut(self.current as usize)
            .and_then(Option::as_mut)
            .expect("the current CPU has a handle");
        (cpu, &mut self.frames)
    }

    /// Allocates the new page of a migration to `target` on the current CPU, within the
    /// caller's cpuset.
    fn migration_frame(&mut self, target: &MigrationTarget<'_>) -> Result<Frame> {
        let (cpu, frames) = self.cpu_and_frames();
        let page = cpu.alloc_migration_target(target, 0, frames)?;
        Ok(page.into_frame())
    }

    /// The process `pid`, or the errors of `find_task_by_vpid` and `ptrace_may_access`.
    fn process(&self, pid: i32) -> Result<Process> {
        let process = *self.processes.get(&pid).ok_or(Error::NoSuchProcess)?;
        if !process.ptrace {
            return Err(Error::PermissionDenied);
        }
        Ok(process)
    }
}

impl UserMemory for Kernel<'_> {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.user.read_u64(addr)
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        self.user.write_u64(addr, value)
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        self.user.write_i32(addr, value)
    }
}

impl Privileges for Kernel<'_> {
    fn capable_sys_nice(&self) -> bool {
        self.privileged
    }
}

impl PageNode for Kernel<'_> {
    /// A present page's node; an absent page is read in as the shared zero page (Linux:
    /// `get_user_pages` read fault on private anonymous memory), which is reported on the
    /// kernel image's node.
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId> {
        if let Some(page) = self.pages.get(addr) {
            return Ok(page.node);
        }
        self.pages.insert(
            addr,
            Resident {
                node: self.zero_node,
                kind: PageKind::Zero,
            },
        );
        Ok(self.zero_node)
    }
}

impl PageMover for Kernel<'_> {
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        _move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64 {
        let present: Vec<(u64, NodeId)> = self
            .pages
            .range(start, end)
            .filter(|(_, page)| page.is_movable())
            .map(|(addr, page)| (addr, page.node))
            .collect();
        let mut failed = 0;
        for (addr, node) in present {
            match visit(addr, node) {
                PageAction::Keep => {}
                PageAction::Isolate if self.failures.isolate > 0 => {
                    self.failures.isolate -= 1;
                    failed += 1;
                }
                PageAction::Isolate => self.isolated.push(addr),
                PageAction::Stop => break,
            }
        }
        failed
    }

    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64 {
        let mut failed = 0;
        for addr in std::mem::take(&mut self.isolated) {
            let to = target(addr);
            if self.failures.migrate > 0 {
                self.failures.migrate -= 1;
                failed += 1;
                continue;
            }
            match self.migration_frame(&to) {
                Ok(frame) => self.pages.move_to(addr, frame.node),
                Err(_) => failed += 1,
            }
        }
        failed
    }

    fn putback_isolated(&mut self) {
        self.isolated.clear();
    }
}

impl MigrateHooks for Kernel<'_> {
    fn target_mems_allowed(&mut self, pid: i32) -> Result<NodeMask> {
        self.process(pid).map(|p| p.mems)
    }

    fn may_move_memory(&mut self, pid: i32) -> Result<()> {
        match self.processes.get(&pid) {
            Some(p) if !p.may_move => Err(Error::AccessDenied),
            _ => Ok(()),
        }
    }

    /// Moves every page of the caller on `source` to a page allocated on `dest` alone
    /// (Linux: `migrate_to_node`, `alloc_migration_target` with `__GFP_THISNODE`); other
    /// processes have no pages here.
    fn migrate_to_node(
        &mut self,
        pid: i32,
        source: NodeId,
        dest: NodeId,
        _move_all: bool,
    ) -> Result<u64> {
        if std::mem::take(&mut self.failures.hard_move) {
            return Err(Error::NoMemory);
        }
        self.moves.push((source.as_u32(), dest.as_u32()));
        if pid != 0 {
            return Ok(0);
        }
        let on_source: Vec<u64> = self
            .pages
            .iter()
            .filter(|(_, page)| page.is_movable() && page.node == source)
            .map(|(addr, _)| addr)
            .collect();
        let mut failed = 0;
        for addr in on_source {
            match self.migration_frame(&MigrationTarget::Node(dest)) {
                Ok(frame) => self.pages.move_to(addr, frame.node),
                Err(_) => failed += 1,
            }
        }
        Ok(failed)
    }
}

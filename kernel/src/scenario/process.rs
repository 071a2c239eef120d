//! A process as this kernel keeps one for the scenario: the crate's per-task state and
//! address space, the page frames mapped in it, and what its system calls need from the
//! kernel (user memory for the nodemask, the page walk and the page migration of `mbind`).
//!
//! There is no user mode in this kernel: a "process" is a [`Task`] and an
//! [`AddressSpace`] that the scenario drives from kernel code, the way a system call or a
//! page fault would. Every page is a real frame from the pools, filled with a tag (its
//! address, its CPU) so that a frame handed out twice, or a migration that loses data,
//! shows up when the tag is read back.
//!
//! | Linux | here |
//! |---|---|
//! | `set_mempolicy(2)`, `mbind(2)`, `set_mempolicy_home_node(2)` | [`Process::set_mempolicy`], [`Process::mbind`], [`Process::set_home_node`], each through the machine's system call |
//! | the nodemask in user memory (`copy_from_user`) | [`UserMask`] |
//! | a page fault (`handle_mm_fault` → `vma_alloc_folio`) | [`Process::fault`] → [`Cpu::alloc_fault`](mempolicy::machine::Cpu::alloc_fault) |
//! | `queue_pages_range`, `migrate_pages` with `alloc_migration_target_by_mpol` | [`Syscall`]'s [`PageMover`] |

use crate::embed::{self, Frames};
use crate::frames::{FrameBlock, FramePools};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mempolicy::abi::{
    AddressSpace, MbindArgs, MigrationTarget, PageAction, PageMover, Privileges, SharedObject,
    Task, UserMemory,
};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::machine::{Cpu, Machine};
use mempolicy::policy::Mempolicy;
use mempolicy::{Error, NodeId, NodeMask, Result, MAX_NUMNODES};

/// Bytes per page.
pub const PAGE: u64 = 4096;

/// Where the nodemask of a system call sits in the (pretend) user memory.
const USER_MASK_ADDR: u64 = 0x7fff_f000;

/// The `maxnode` every call passes: one more than the bits of a full mask (Linux reads
/// `maxnode - 1` bits).
const MAXNODE: u64 = MAX_NUMNODES as u64 + 1;

/// The user memory of a system call: one nodemask at [`USER_MASK_ADDR`].
#[derive(Debug)]
pub struct UserMask {
    words: Vec<u64>,
}

impl UserMask {
    /// `nodes` in user memory, and the pointer to pass (0, NULL, for no mask).
    fn new(nodes: Option<&NodeMask>) -> (Self, u64) {
        let words = nodes.map_or_else(Vec::new, |n| n.as_words().to_vec());
        let pointer = if nodes.is_some() { USER_MASK_ADDR } else { 0 };
        (UserMask { words }, pointer)
    }
}

impl UserMemory for UserMask {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        let index = addr.checked_sub(USER_MASK_ADDR).filter(|d| d % 8 == 0);
        index
            .and_then(|d| self.words.get((d / 8) as usize).copied())
            .ok_or(Error::Fault(addr))
    }

    fn write_u64(&mut self, addr: u64, _: u64) -> Result<()> {
        Err(Error::Fault(addr))
    }

    fn write_i32(&mut self, addr: u64, _: i32) -> Result<()> {
        Err(Error::Fault(addr))
    }
}

/// A page mapped in a process: its frame, the node the allocation reported, and the tag
/// written into every word of it.
#[derive(Debug)]
pub struct Resident {
    /// The node the allocation said the frame is on.
    pub node: NodeId,
    /// The zone the allocation said the frame is in.
    pub zone: ZoneType,
    /// The frame.
    pub block: FrameBlock,
    /// What every 8-byte word of the frame holds.
    pub tag: u64,
}

/// What `mbind(MPOL_MF_MOVE)` did to the pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moves {
    /// Pages copied to a new frame.
    pub moved: u32,
    /// Of those, pages whose new frame did not read back the old data.
    pub corrupted: u32,
    /// Old frames given back to the pools.
    pub freed: u32,
    /// Pages whose new frame could not be allocated (left where they were).
    pub failed: u32,
}

/// A task with its address space and its mapped pages.
#[derive(Debug)]
pub struct Process {
    /// The task's policy, interleave cursor and cpuset nodes.
    pub task: Task,
    /// The mapped ranges and their policies.
    pub mm: AddressSpace<Mempolicy>,
    /// The mapped pages, by address.
    pub pages: BTreeMap<u64, Resident>,
    /// The logical CPU that runs the process (it stays there).
    cpu: usize,
}

impl Process {
    /// A process on logical CPU `cpu` in a cpuset of `mems`, with the default policy and no
    /// mappings.
    pub fn new(cpu: usize, mems: NodeMask) -> Self {
        Process {
            task: Task::new(mems),
            mm: AddressSpace::new(),
            pages: BTreeMap::new(),
            cpu,
        }
    }

    /// `set_mempolicy(mode, nodes)`.
    ///
    /// # Errors
    /// The system call's.
    pub fn set_mempolicy(
        &mut self,
        machine: &Machine,
        mode: i32,
        nodes: Option<&NodeMask>,
    ) -> Result<()> {
        let (mut user, pointer) = UserMask::new(nodes);
        machine
            .set_mempolicy(&mut self.task, &mut user, mode, pointer, MAXNODE)
            .map(drop)
    }

    /// `mmap` of `pages` private anonymous pages at `start`. Their page offset is the virtual
    /// page number, as Linux gives anonymous memory, so interleave follows the address.
    ///
    /// # Errors
    /// The crate's, for a range that is not free.
    pub fn mmap(&mut self, start: u64, pages: u64) -> Result<()> {
        self.mm.mmap_anonymous(start, pages * PAGE, ())
    }

    /// `mmap` of `pages` pages of the shared object `object` from page `pgoff`, at `start`.
    ///
    /// # Errors
    /// As [`Process::mmap`].
    pub fn mmap_shared(
        &mut self,
        start: u64,
        pages: u64,
        pgoff: u64,
        object: &Arc<SharedObject<Mempolicy>>,
    ) -> Result<()> {
        self.mm
            .mmap_shared(start, pages * PAGE, pgoff, (), Arc::clone(object))
    }

    /// `mbind(start, pages, mode, nodes, flags)`, called on the process's CPU (on `node`);
    /// with `MPOL_MF_MOVE`, misplaced pages move to frames allocated on that CPU.
    ///
    /// # Errors
    /// The system call's; [`Error::Busy`] if the CPU's handle is taken.
    #[allow(
        clippy::too_many_arguments,
        reason = "mbind's own arguments plus where it runs"
    )]
    pub fn mbind(
        &mut self,
        machine: &Machine,
        node: NodeId,
        pools: &FramePools,
        start: u64,
        pages: u64,
        mode: i32,
        nodes: Option<&NodeMask>,
        flags: u64,
    ) -> Result<Moves> {
        let (user, pointer) = UserMask::new(nodes);
        let args = MbindArgs {
            start,
            len: pages * PAGE,
            mode,
            nmask: pointer,
            maxnode: MAXNODE,
            flags,
        };
        let here = self.cpu;
        let Process {
            task, mm, pages, ..
        } = self;
        embed::with_cpu(here, |cpu| {
            let mut env = Syscall {
                user,
                cpu,
                frames: Frames(pools),
                pages,
                isolated: Vec::new(),
                moves: Moves::default(),
            };
            machine
                .mbind(node, task, mm, &mut env, args)
                .map(|_| env.moves)
        })?
    }

    /// `set_mempolicy_home_node(start, pages, home)`.
    ///
    /// # Errors
    /// The system call's.
    pub fn set_home_node(
        &mut self,
        machine: &Machine,
        start: u64,
        pages: u64,
        home: NodeId,
    ) -> Result<()> {
        machine
            .set_mempolicy_home_node(&mut self.mm, start, pages * PAGE, home.index() as u64, 0)
            .map(drop)
    }

    /// The page fault at `addr` (a write: the page is allocated, then tagged), on the
    /// process's CPU. Returns the page.
    ///
    /// # Errors
    /// [`Error::Fault`] outside every mapping, [`Error::NoMemory`], [`Error::Busy`] if the
    /// CPU's handle is taken.
    pub fn fault(&mut self, pools: &FramePools, addr: u64) -> Result<&Resident> {
        let (task, mm) = (&mut self.task, &self.mm);
        let page = embed::with_cpu(self.cpu, |cpu| {
            let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
            cpu.alloc_fault(&mut task.lend(), mm, addr, gfp, 0, &mut Frames(pools))
        })??;
        let (node, zone) = (page.node(), page.zone());
        let mut block = page.into_frame();
        let tag = tag(self.cpu, addr);
        fill(&mut block, tag);
        let page = Resident {
            node,
            zone,
            block,
            tag,
        };
        if let Some(old) = self.pages.insert(addr, page) {
            pools.free(old.block);
        }
        self.pages.get(&addr).ok_or(Error::Fault(addr))
    }

    /// Allocates `2^0` frames for the task outside any mapping (`alloc_pages(gfp, 0)`), on the
    /// process's CPU, and tags them.
    ///
    /// # Errors
    /// As [`Process::fault`].
    pub fn alloc_pages(&mut self, pools: &FramePools, gfp: GfpFlags) -> Result<Resident> {
        let task = &mut self.task;
        let page = embed::with_cpu(self.cpu, |cpu| {
            cpu.alloc_pages(&mut task.lend(), gfp, 0, &mut Frames(pools))
        })??;
        let (node, zone) = (page.node(), page.zone());
        let mut block = page.into_frame();
        let tag = tag(self.cpu, block.addr());
        fill(&mut block, tag);
        Ok(Resident {
            node,
            zone,
            block,
            tag,
        })
    }

    /// Frees every mapped page; returns how many no longer held their tag.
    pub fn release(&mut self, pools: &FramePools) -> u32 {
        let pages = core::mem::take(&mut self.pages);
        pages.into_values().map(|page| release(pools, page)).sum()
    }
}

/// Frees `page`; returns 1 if it no longer held its tag.
pub fn release(pools: &FramePools, mut page: Resident) -> u32 {
    let intact = holds(&mut page.block, page.tag);
    pools.free(page.block);
    u32::from(!intact)
}

/// The tag of a page of CPU `cpu` at `addr`.
fn tag(cpu: usize, addr: u64) -> u64 {
    (cpu as u64) << 56 | addr
}

/// Writes `tag` into every 8-byte word of `block`.
pub fn fill(block: &mut FrameBlock, tag: u64) {
    for word in block.bytes_mut().chunks_exact_mut(8) {
        word.copy_from_slice(&tag.to_le_bytes());
    }
}

/// Whether every 8-byte word of `block` holds `tag`.
pub fn holds(block: &mut FrameBlock, tag: u64) -> bool {
    block
        .bytes_mut()
        .chunks_exact(8)
        .all(|w| w == tag.to_le_bytes())
}

/// What `mbind` asks of the kernel while it runs: the nodemask in user memory, the caller's
/// privileges, and the page walk and migration (Linux: `queue_pages_range` isolates the
/// misplaced pages, `migrate_pages` moves each to a page from
/// `alloc_migration_target_by_mpol`).
struct Syscall<'a, 'c> {
    user: UserMask,
    /// The calling CPU's handle: new pages come from it.
    cpu: &'a mut Cpu<'c>,
    frames: Frames<'a>,
    pages: &'a mut BTreeMap<u64, Resident>,
    isolated: Vec<u64>,
    moves: Moves,
}

impl UserMemory for Syscall<'_, '_> {
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

impl Privileges for Syscall<'_, '_> {
    fn capable_sys_nice(&self) -> bool {
        false
    }
}

impl PageMover for Syscall<'_, '_> {
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        _move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64 {
        for (&addr, page) in self.pages.range(start..end) {
            match visit(addr, page.node) {
                PageAction::Keep => {}
                PageAction::Isolate => self.isolated.push(addr),
                PageAction::Stop => break,
            }
        }
        0
    }

    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64 {
        let mut failed = 0;
        for addr in core::mem::take(&mut self.isolated) {
            let to = target(addr);
            let Ok(page) = self.cpu.alloc_migration_target(&to, 0, &mut self.frames) else {
                failed += 1;
                continue;
            };
            let (node, zone) = (page.node(), page.zone());
            let mut block = page.into_frame();
            let Some(mut old) = self.pages.remove(&addr) else {
                self.frames.0.free(block);
                failed += 1;
                continue;
            };
            // Copy the data, check the copy, free the old frame, map the new one.
            block.bytes_mut().copy_from_slice(old.block.bytes_mut());
            self.moves.moved += 1;
            self.moves.corrupted += u32::from(!holds(&mut block, old.tag));
            self.frames.0.free(old.block);
            self.moves.freed += 1;
            self.pages.insert(
                addr,
                Resident {
                    node,
                    zone,
                    block,
                    tag: old.tag,
                },
            );
        }
        self.moves.failed += failed as u32;
        failed
    }

    fn putback_isolated(&mut self) {
        self.isolated.clear();
    }
}

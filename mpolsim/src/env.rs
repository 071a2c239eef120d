//! What the simulated kernel provides to the crate: user memory for nodemasks and the policy
//! word, privileges, page lookup, page migration, and frames for the allocation driver.

use mempolicy::abi::{
    MigrateHooks, MigrationTarget, PageAction, PageMover, PageNode, Privileges, UserMemory,
};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::InterleaveCursor;
use mempolicy::policy::{Mempolicy, PolicyDefaults};
use mempolicy::select::{self, Machine};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{Error, NodeId, NodeMask, Result, MAX_NUMNODES};

use crate::memory::{Backing, PageTables, Pages};
use crate::script::PAGE;

/// Where the oracle's nodemask buffer A lives in the simulated user address space.
pub(crate) const MASK_A: u64 = 0x7e00_0000_0000;
/// Where nodemask buffer B lives.
pub(crate) const MASK_B: u64 = 0x7e00_0001_0000;
/// Where the `int` that `get_mempolicy` writes lives.
pub(crate) const POLICY_WORD: u64 = 0x7e00_0002_0000;
/// Words in a nodemask buffer (8 KiB, 65536 bits).
const MASK_WORDS: usize = 1024;

/// The key ranges merge by: Linux's anon_vma (`None` until the first fault).
pub(crate) type AnonVma = Option<u64>;

/// The weights as the allocator reads them.
pub(crate) type WeightArray = [u8; MAX_NUMNODES];

/// The process's user memory that system calls read and write.
#[derive(Debug)]
pub(crate) struct UserBuffers {
    a: Vec<u64>,
    b: Vec<u64>,
    pub(crate) policy_word: i32,
}

impl UserBuffers {
    pub(crate) fn new() -> Self {
        Self {
            a: vec![0; MASK_WORDS],
            b: vec![0; MASK_WORDS],
            policy_word: 0,
        }
    }

    fn buffer(&mut self, base: u64) -> &mut Vec<u64> {
        if base == MASK_B {
            &mut self.b
        } else {
            &mut self.a
        }
    }

    pub(crate) fn set_mask(&mut self, base: u64, words: Vec<u64>) {
        *self.buffer(base) = words;
    }

    pub(crate) fn clear_mask(&mut self, base: u64) {
        self.buffer(base).iter_mut().for_each(|w| *w = 0);
    }

    pub(crate) fn mask(&self, base: u64) -> &[u64] {
        if base == MASK_B {
            &self.b
        } else {
            &self.a
        }
    }

    fn word(&mut self, addr: u64) -> Result<&mut u64> {
        for base in [MASK_A, MASK_B] {
            if (base..base + (MASK_WORDS as u64) * 8).contains(&addr) && addr % 8 == 0 {
                let i = ((addr - base) / 8) as usize;
                return self.buffer(base).get_mut(i).ok_or(Error::Fault(addr));
            }
        }
        Err(Error::Fault(addr))
    }
}

impl UserMemory for UserBuffers {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.word(addr).map(|w| *w)
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        *self.word(addr)? = value;
        Ok(())
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        if addr == POLICY_WORD {
            self.policy_word = value;
            Ok(())
        } else {
            Err(Error::Fault(addr))
        }
    }
}

/// Frames are plentiful on every node with memory: memory pressure is not modelled.
pub(crate) fn frames(topo: &Topology) -> impl FnMut(NodeId, ZoneType, u32, GfpFlags) -> bool + '_ {
    move |node, zone, _order, _gfp| topo.is_populated(node, zone)
}

/// What a fault or a system call needs from the machine, borrowed field by field so that
/// the task and the address space stay free for the crate's calls.
pub(crate) struct Env<'a> {
    pub(crate) user: &'a mut UserBuffers,
    pub(crate) pages: &'a mut Pages,
    pub(crate) tables: &'a mut PageTables,
    pub(crate) isolated: &'a mut Vec<u64>,
    pub(crate) topo: &'a Topology,
    pub(crate) zonelists: &'a Zonelists,
    pub(crate) defaults: &'a PolicyDefaults,
    pub(crate) weights: &'a WeightArray,
    pub(crate) this_node: NodeId,
    pub(crate) zero_node: NodeId,
    pub(crate) mems_allowed: NodeMask,
    /// For a page of a shared (shmem) object: the policy a fault there allocates under
    /// (the object's policy for the page, else the task's) and the interleave index (the
    /// inode number plus the page's offset). `None` for other pages.
    pub(crate) shmem_at: &'a dyn Fn(u64) -> Option<(Mempolicy, u64)>,
    /// Page-table pages allocated while faulting pages in; the caller allocates them under
    /// the task policy afterwards (they move the interleave cursor).
    pub(crate) kernel_pages: u32,
}

impl Env<'_> {
    /// Allocates a page for user data under `policy` (`None`: the default policy) with the
    /// interleave index `ilx`, on the current CPU (Linux: `folio_alloc_mpol`).
    pub(crate) fn alloc_with(&self, policy: Option<&Mempolicy>, ilx: u64) -> Option<NodeId> {
        alloc_user(
            self.topo,
            self.zonelists,
            self.defaults,
            self.weights,
            policy,
            ilx,
            self.this_node,
            &self.mems_allowed,
            &mut InterleaveCursor::new(),
        )
    }
}

/// Allocates a user page under `policy` (`None`: the default policy) with interleave index
/// `ilx` (Linux: `folio_alloc_mpol(GFP_HIGHUSER_MOVABLE, 0, pol, ilx, numa_node_id())`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn alloc_user(
    topo: &Topology,
    zonelists: &Zonelists,
    defaults: &PolicyDefaults,
    weights: &WeightArray,
    policy: Option<&Mempolicy>,
    ilx: u64,
    this_node: NodeId,
    mems_allowed: &NodeMask,
    cursor: &mut InterleaveCursor,
) -> Option<NodeId> {
    let machine = Machine::new(topo, zonelists, defaults, weights);
    let policy = policy.unwrap_or_else(|| defaults.default_policy());
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let placement = select::policy_nodemask(
        policy,
        gfp,
        ilx,
        this_node,
        cursor,
        Some(mems_allowed),
        &machine,
    )
    .ok()?;
    let served = select::alloc_pages_mpol(
        zonelists,
        &placement,
        gfp,
        0,
        ilx,
        Some(mems_allowed),
        &mut frames(topo),
    )
    .ok()??;
    Some(served.node())
}

impl Privileges for Env<'_> {
    fn capable_sys_nice(&self) -> bool {
        // The oracle runs as root.
        true
    }
}

impl UserMemory for Env<'_> {
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

impl PageNode for Env<'_> {
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId> {
        let vpn = addr / PAGE;
        match self.pages.get(vpn) {
            Some(b) => Ok(b
                .node()
                .map_or(self.zero_node, |n| NodeId::new(usize::from(n)))),
            None => {
                // get_user_pages reads the page in: page tables, then the zero page (or, for
                // shmem, a page of the object, allocated as a read fault there would be).
                self.kernel_pages += self.tables.populate(addr);
                if let Some((policy, ilx)) = (self.shmem_at)(addr) {
                    let node = self.alloc_with(Some(&policy), ilx).ok_or(Error::NoMemory)?;
                    self.pages
                        .set(vpn, Backing::Shmem(node.index() as u16, false));
                    Ok(node)
                } else {
                    self.pages.set(vpn, Backing::Zero);
                    Ok(self.zero_node)
                }
            }
        }
    }
}

impl PageMover for Env<'_> {
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        _move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64 {
        let present: Vec<(u64, u16)> = self
            .pages
            .range(start / PAGE, end.div_ceil(PAGE))
            .filter_map(|(vpn, b)| b.node().map(|n| (vpn, n)))
            .collect();
        for (vpn, node) in present {
            match visit(vpn * PAGE, NodeId::new(usize::from(node))) {
                PageAction::Keep => {}
                PageAction::Isolate => self.isolated.push(vpn),
                PageAction::Stop => break,
            }
        }
        0
    }

    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64 {
        let mut failed = 0;
        for vpn in std::mem::take(self.isolated) {
            let t = target(vpn * PAGE);
            let node = match t.node {
                Some(n) => Some(n),
                None => self.alloc_with(Some(t.policy), t.ilx),
            };
            match node {
                Some(n) => move_page(self.pages, vpn, n),
                None => failed += 1,
            }
        }
        failed
    }

    fn putback_isolated(&mut self) {
        self.isolated.clear();
    }
}

impl MigrateHooks for Env<'_> {
    fn target_mems_allowed(&mut self, pid: i32) -> Result<NodeMask> {
        if pid == 0 {
            Ok(self.mems_allowed)
        } else {
            Err(Error::NoSuchProcess)
        }
    }

    fn migrate_to_node(
        &mut self,
        _pid: i32,
        source: NodeId,
        dest: NodeId,
        _move_all: bool,
    ) -> Result<u64> {
        migrate_node(self.pages, source, dest);
        Ok(0)
    }
}

/// Moves a present page to `node`.
pub(crate) fn move_page(pages: &mut Pages, vpn: u64, node: NodeId) {
    let backing = match pages.get(vpn) {
        Some(Backing::Anon(_)) => Backing::Anon(node.index() as u16),
        Some(Backing::Shmem(_, dirty)) => Backing::Shmem(node.index() as u16, dirty),
        _ => return,
    };
    pages.set(vpn, backing);
}

/// Moves every page on `from` to `to` (Linux: `migrate_to_node` with `MOVE_ALL`).
pub(crate) fn migrate_node(pages: &mut Pages, from: NodeId, to: NodeId) {
    for (_, b) in pages.iter_mut() {
        match b {
            Backing::Anon(n) | Backing::Shmem(n, _) if usize::from(*n) == from.index() => {
                *n = to.index() as u16;
            }
            _ => {}
        }
    }
}

//! What the simulated kernel adds to the test kit's for one system call: reading a page in
//! the way `get_user_pages` does, which needs the process's page tables and its policies.

use mempolicy::abi::{AddressSpace, PageNode, Task, UserMemory};
use mempolicy::gfp::GfpFlags;
use mempolicy::interleave::InterleaveCursor;
use mempolicy::policy::Mempolicy;
use mempolicy::select::TaskContext;
use mempolicy::{Error, NodeId, Result};
use mempolicy_testkit::{Kernel, PageKind, Resident};

use crate::memory::PageTables;

/// The key ranges merge by: Linux's anon_vma (`None` until the first fault).
pub(crate) type AnonVma = Option<u64>;

/// The kernel during one `get_mempolicy`: reading the node of an absent page faults it in
/// (Linux: `lookup_node` → `get_user_pages_fast`), which allocates page tables, and for a
/// shared mapping a clean page of the object under the object's (or the task's) policy.
pub(crate) struct ReadFault<'k, 'm> {
    pub(crate) kernel: &'k mut Kernel<'m>,
    pub(crate) tables: &'k mut PageTables,
    pub(crate) task: &'k Task,
    pub(crate) mm: &'k AddressSpace<Mempolicy, AnonVma>,
    /// Page-table pages allocated while faulting pages in; the caller allocates them under
    /// the task policy afterwards (they move the interleave cursor).
    pub(crate) kernel_pages: u32,
}

impl UserMemory for ReadFault<'_, '_> {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.kernel.read_u64(addr)
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        self.kernel.write_u64(addr, value)
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        self.kernel.write_i32(addr, value)
    }
}

impl PageNode for ReadFault<'_, '_> {
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId> {
        if let Some(page) = self.kernel.pages.get(addr) {
            return Ok(page.node);
        }
        self.kernel_pages += self.tables.populate(addr);
        let shared = self.mm.find(addr).is_some_and(|m| m.shared().is_some());
        if !shared {
            return self.kernel.node_of_page(addr);
        }
        // A read fault of shmem allocates the page under the object's policy for it (or the
        // task's), with the object's interleave index: the fault path. A static pick never
        // moves the task's cursor, so a scratch one stands in for it.
        let mut cursor = InterleaveCursor::new();
        let mems = *self.task.mems_allowed();
        let mut task = TaskContext::new(self.task.policy().map(|p| &**p), &mut cursor)
            .with_mems_allowed(&mems);
        let (cpu, frames) = self.kernel.cpu_and_frames();
        let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
        let node = cpu
            .alloc_fault(&mut task, self.mm, addr, gfp, 0, frames)
            .map_err(|_| Error::NoMemory)?
            .node();
        self.kernel.pages.insert(
            addr,
            Resident {
                node,
                kind: PageKind::Shmem { dirty: false },
            },
        );
        Ok(node)
    }
}

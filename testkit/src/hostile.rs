//! [`Hostile`]: an embedder that answers every hook with the most extreme values it may,
//! for the crate's edge-value tests: user memory filled with one pattern, pages on the
//! highest node, and page moves that fail as many pages as they can.

use std::collections::BTreeMap;

use mempolicy::abi::{
    MigrateHooks, MigrationTarget, PageAction, PageMover, PageNode, Privileges, UserMemory,
};
use mempolicy::{Error, NodeId, NodeMask, Result};

/// Where [`Hostile`]'s user words start.
pub const HOSTILE_USER: u64 = 0x1000;
/// How many user words [`Hostile`] maps.
pub const HOSTILE_USER_WORDS: usize = 1024;
/// [`Hostile`]'s policy word.
pub const HOSTILE_POLICY: u64 = 0x8000;

/// User memory: [`HOSTILE_USER_WORDS`] words at [`HOSTILE_USER`] and one `int` at
/// [`HOSTILE_POLICY`]; everything else faults. Every page it reports is on the highest node,
/// every move fails `u64::MAX` pages, and `migrate_pages` sees a process for every pid but
/// `i32::MIN` (none) and `-1` (not accessible).
#[derive(Debug, Default)]
pub struct Hostile {
    words: BTreeMap<u64, u64>,
    /// Whether the caller has `CAP_SYS_NICE`.
    pub privileged: bool,
}

impl Hostile {
    /// Every user word holds `value`; the caller is privileged.
    pub fn filled(value: u64) -> Self {
        let words = (0..HOSTILE_USER_WORDS as u64)
            .map(|i| (HOSTILE_USER + 8 * i, value))
            .collect();
        Self {
            words,
            privileged: true,
        }
    }
}

impl UserMemory for Hostile {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.words.get(&addr).copied().ok_or(Error::Fault(addr))
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        let slot = self.words.get_mut(&addr).ok_or(Error::Fault(addr))?;
        *slot = value;
        Ok(())
    }

    fn write_i32(&mut self, addr: u64, _value: i32) -> Result<()> {
        if addr == HOSTILE_POLICY {
            Ok(())
        } else {
            Err(Error::Fault(addr))
        }
    }
}

impl Privileges for Hostile {
    fn capable_sys_nice(&self) -> bool {
        self.privileged
    }
}

impl PageNode for Hostile {
    fn node_of_page(&mut self, _addr: u64) -> Result<NodeId> {
        Ok(NodeId::MAX)
    }
}

impl PageMover for Hostile {
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        _move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64 {
        // At most two pages: the first and the last of the range, on the highest node.
        for addr in [start, end.saturating_sub(4096)] {
            if visit(addr, NodeId::MAX) == PageAction::Stop {
                break;
            }
        }
        u64::MAX
    }

    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64 {
        let _ = target(u64::MAX);
        u64::MAX
    }

    fn putback_isolated(&mut self) {}
}

impl MigrateHooks for Hostile {
    fn target_mems_allowed(&mut self, pid: i32) -> Result<NodeMask> {
        match pid {
            i32::MIN => Err(Error::NoSuchProcess),
            -1 => Err(Error::PermissionDenied),
            _ => Ok(NodeMask::full()),
        }
    }

    fn migrate_to_node(&mut self, _: i32, _: NodeId, _: NodeId, _: bool) -> Result<u64> {
        Ok(u64::MAX)
    }
}

//! `mbind(2)` (Linux: `kernel_mbind`, `do_mbind`, `queue_pages_range`, `mbind_range`,
//! `alloc_migration_target_by_mpol`).

use crate::error::{Error, Result};
use crate::nodemask::{NodeId, NodeMask};
use crate::page::PAGE_SIZE;
use crate::policy::{Mempolicy, Mode, PolicyDefaults};

use super::env::{
    read_nodes, MigrationTarget, PageAction, PageMover, Privileges, SystemNodes, UserMemory,
};
use super::range::MergeKey;
use super::space::AddressSpace;
use super::syscalls::range_end;
use super::task::Task;
use super::{MF_MOVE, MF_MOVE_ALL, MF_STRICT, MF_VALID};

/// The arguments of `mbind(2)`, named as in Linux.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MbindArgs {
    /// The first byte; must be page aligned.
    pub start: u64,
    /// The length in bytes; rounded up to whole pages.
    pub len: u64,
    /// The mode ORed with its mode flags.
    pub mode: i32,
    /// The user nodemask (0: NULL).
    pub nmask: u64,
    /// The nodemask size in bits, plus one.
    pub maxnode: u64,
    /// [`MF_STRICT`], [`MF_MOVE`], [`MF_MOVE_ALL`].
    pub flags: u64,
}

/// Sets the policy of an address range (Linux: `mbind(2)`).
///
/// Checks, in Linux's order: the mode and flags, the user nodemask, the `mbind` flags,
/// `MOVE_ALL` privilege, the alignment of `start`, the length, then the policy
/// (`mpol_new`, `mpol_set_nodemask`). Then the pages of the range are examined against the
/// nodemask **as given** (not the effective nodes): with [`MF_STRICT`] alone a misplaced
/// page fails the call with `EIO`; with [`MF_MOVE`]/[`MF_MOVE_ALL`] misplaced pages are
/// isolated. Only then is the policy applied to every range (splitting and merging), and
/// the isolated pages are migrated, each to a page allocated under the new policy with the
/// page's interleave index ([`MigrationTarget`]; `MPOL_DEFAULT`: under the task policy, or the
/// boot policy of `this_node`, the node of the calling CPU, from `defaults`). Returns 0.
///
/// # Errors
/// [`Error::InvalidFlags`] for unknown `mbind` flags, [`Error::PermissionDenied`] for
/// `MOVE_ALL` without privilege, [`Error::Unaligned`], [`Error::InvalidRange`]; the errors of
/// the mode and nodemask checks; [`Error::Fault`] when the range has a hole (not for
/// `MPOL_DEFAULT`, unless nothing at all is mapped); [`Error::Misplaced`] (`EIO`) for
/// [`MF_STRICT`] with misplaced pages and no move, and for [`MF_STRICT`] with pages that
/// could not be moved. In all but the last case nothing changes; in the last the policy is
/// applied and the movable pages moved, as in Linux.
pub fn mbind<E, K>(
    task: &Task,
    mm: &mut AddressSpace<Mempolicy, K>,
    nodes: &SystemNodes,
    defaults: &PolicyDefaults,
    this_node: NodeId,
    env: &mut E,
    args: MbindArgs,
) -> Result<i64>
where
    E: UserMemory + Privileges + PageMover + ?Sized,
    K: MergeKey,
{
    let (mode, mode_flags) = Mempolicy::sanitize_mode(args.mode)?;
    let user_nodes = read_nodes(env, args.nmask, args.maxnode)?;
    let mut flags = args.flags;
    if flags & !MF_VALID != 0 {
        return Err(Error::InvalidFlags(flags));
    }
    if flags & MF_MOVE_ALL != 0 && !env.capable_sys_nice() {
        return Err(Error::PermissionDenied);
    }
    if args.start % PAGE_SIZE != 0 {
        return Err(Error::Unaligned(args.start));
    }
    if mode == Mode::Default {
        flags &= !MF_STRICT;
    }
    let start = args.start;
    let Some(end) = range_end(start, args.len)? else {
        return Ok(0);
    };
    let ctx_nodes = task.node_context(&nodes.memory).with_linux(nodes.linux);
    let new = Mempolicy::create(mode, mode_flags, &user_nodes, &ctx_nodes)?;

    let scan = Scan {
        flags,
        discontig_ok: new.is_none(),
        nodes: &user_nodes,
    };
    let nr_failed = match scan.run(mm, env, start, end) {
        Ok(n) => n,
        Err(e) => {
            env.putback_isolated();
            return Err(e);
        }
    };
    mm.set_policy(start, end, new.as_ref());

    let mut failed = nr_failed;
    if flags & (MF_MOVE | MF_MOVE_ALL) != 0 {
        // MPOL_DEFAULT moves pages to where the task policy puts them.
        let policy = match new.as_ref() {
            Some(p) => p,
            None => task.effective_policy(defaults, Some(this_node)),
        };
        let mm: &AddressSpace<Mempolicy, K> = mm;
        let mems = task.mems_allowed();
        failed |= env.migrate_isolated(&mut |addr| migration_target(mm, policy, mems, addr));
    }
    if failed != 0 && flags & MF_STRICT != 0 {
        return Err(Error::Misplaced);
    }
    Ok(0)
}

/// Where a page at `addr` goes under `policy` (Linux: the `migration_mpol` that
/// `alloc_migration_target_by_mpol` allocates under).
fn migration_target<'a, K>(
    mm: &AddressSpace<Mempolicy, K>,
    policy: &'a Mempolicy,
    mems_allowed: &'a NodeMask,
    addr: u64,
) -> MigrationTarget<'a>
where
    K: MergeKey,
{
    // For anonymous memory the page index equals the range's interleave index; shared
    // objects bias it by their inode number.
    let ilx = mm.policy_at(addr).map_or(addr / PAGE_SIZE, |(_, ilx)| ilx);
    MigrationTarget::Policy {
        policy,
        ilx,
        mems_allowed,
    }
}

/// The page-table walk of `mbind` (Linux: `queue_pages_range` with `MPOL_MF_INVERT`).
struct Scan<'a> {
    flags: u64,
    discontig_ok: bool,
    nodes: &'a NodeMask,
}

impl Scan<'_> {
    /// Checks the range for holes and examines its pages; returns how many misplaced pages
    /// could not be queued.
    fn run<E, K>(
        &self,
        mm: &AddressSpace<Mempolicy, K>,
        env: &mut E,
        start: u64,
        end: u64,
    ) -> Result<u64>
    where
        E: PageMover + ?Sized,
        K: MergeKey,
    {
        let any = MF_STRICT | MF_MOVE | MF_MOVE_ALL;
        let moving = self.flags & (MF_MOVE | MF_MOVE_ALL) != 0;
        let strict_only = self.flags & any == MF_STRICT;
        let examine = self.flags & any != 0;
        let move_all = self.flags & MF_MOVE_ALL != 0;
        let mut nr_failed = 0u64;
        let mut first = true;
        let mut ranges = mm.overlapping(start, end).peekable();
        while let Some(m) = ranges.next() {
            if first && !self.discontig_ok && start < m.start() {
                return Err(Error::Fault(start));
            }
            first = false;
            let next_start = ranges.peek().map(|n| n.start());
            if !self.discontig_ok && m.end() < end && next_start != Some(m.end()) {
                return Err(Error::Fault(m.end()));
            }
            if !examine {
                continue;
            }
            let (lo, hi) = (m.start().max(start), m.end().min(end));
            let mut unmovable = 0u64;
            let failed = env.for_each_page(lo, hi, move_all, &mut |_, node| {
                if self.nodes.contains(node) {
                    PageAction::Keep
                } else if moving {
                    PageAction::Isolate
                } else {
                    unmovable = unmovable.saturating_add(1);
                    // STRICT alone fails at the first misplaced page.
                    if strict_only {
                        PageAction::Stop
                    } else {
                        PageAction::Keep
                    }
                }
            });
            nr_failed = nr_failed.saturating_add(failed).saturating_add(unmovable);
            if strict_only && nr_failed != 0 {
                return Err(Error::Misplaced);
            }
        }
        if first {
            return Err(Error::Fault(start));
        }
        Ok(nr_failed)
    }
}

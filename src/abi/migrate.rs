//! `migrate_pages(2)` and its choice of source and destination nodes (Linux:
//! `kernel_migrate_pages`, `do_migrate_pages`).

use crate::error::{Error, Result};
use crate::nodemask::{NodeId, NodeMask};

use super::env::{read_nodes, MigrateHooks, UserMemory};
use super::task::Task;

/// The `(source, destination)` node pairs `migrate_pages` moves, in Linux's order (Linux:
/// the pair choice of `do_migrate_pages`).
///
/// Each source of `from` goes to the node at the same position of `to` (`node_remap`). A
/// pair whose destination is not itself still waiting to be emptied is preferred, so memory
/// is moved out of a node before memory is moved in. When `from` and `to` have different
/// sizes, sources that are also in `to` stay put. Allocation-free.
///
/// # Examples
/// ```
/// use mempolicy::abi::migrate_pairs;
/// use mempolicy::NodeMask;
/// let pairs = |from: &str, to: &str| -> Result<Vec<(u32, u32)>, mempolicy::Error> {
///     let (from, to): (NodeMask, NodeMask) = (from.parse()?, to.parse()?);
///     Ok(migrate_pairs(&from, &to).map(|(s, d)| (s.as_u32(), d.as_u32())).collect())
/// };
/// // "[2,3,4] -> [3,4,5] moves everything"
/// assert_eq!(pairs("2-4", "3-5")?, [(4, 5), (3, 4), (2, 3)]);
/// // "[0-7] -> [3,4,5] moves only 0,1,2,6,7"
/// assert_eq!(pairs("0-7", "3-5")?, [(7, 4), (6, 3), (2, 5), (1, 4), (0, 3)]);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn migrate_pairs<'a>(from: &'a NodeMask, to: &'a NodeMask) -> MigratePairs<'a> {
    MigratePairs {
        from,
        to,
        pending: *from,
        same_size: from.weight() == to.weight(),
    }
}

/// The iterator of [`migrate_pairs`].
#[derive(Clone, Debug)]
pub struct MigratePairs<'a> {
    from: &'a NodeMask,
    to: &'a NodeMask,
    /// Sources not yet moved (Linux: `tmp`).
    pending: NodeMask,
    same_size: bool,
}

impl Iterator for MigratePairs<'_> {
    type Item = (NodeId, NodeId);

    fn next(&mut self) -> Option<(NodeId, NodeId)> {
        let mut pick = None;
        for source in self.pending.iter() {
            if !self.same_size && self.to.contains(source) {
                continue;
            }
            let dest = source.remap(self.from, self.to);
            if source == dest {
                continue;
            }
            pick = Some((source, dest));
            if !self.pending.contains(dest) {
                break;
            }
        }
        let (source, dest) = pick?;
        self.pending.remove(source);
        Some((source, dest))
    }
}

/// Moves the pages of process `pid` from the nodes in `old_nodes` to those in `new_nodes`
/// (Linux: `migrate_pages(2)`).
///
/// Both masks are read with `get_nodes` (`maxnode` applies to both). The destination must lie
/// in the target's cpuset unless the caller is privileged, and is cut down to the caller's
/// own cpuset (`task`). The pages then move pair by pair ([`migrate_pairs`]) through
/// [`MigrateHooks::migrate_to_node`]. Returns the number of pages that could not be moved,
/// capped at `i32::MAX`.
///
/// # Errors
/// In Linux's order: the nodemask errors of both masks; [`Error::NoSuchProcess`] or
/// [`Error::PermissionDenied`] from [`MigrateHooks::target_mems_allowed`];
/// [`Error::PermissionDenied`] for a destination outside the target's cpuset without
/// privilege; [`Error::EmptyNodemask`] when no destination is left in the caller's cpuset;
/// the security hook's error; the first hard error of a node-to-node move.
pub fn migrate_pages<E>(
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
    let old = read_nodes(env, old_nodes, maxnode)?;
    let mut new = read_nodes(env, new_nodes, maxnode)?;
    let target_mems = env.target_mems_allowed(pid)?;
    if !new.is_subset(&target_mems) && !env.capable_sys_nice() {
        return Err(Error::PermissionDenied);
    }
    new &= *task.mems_allowed();
    if new.is_empty() {
        return Err(Error::EmptyNodemask);
    }
    env.may_move_memory(pid)?;
    let move_all = env.capable_sys_nice();
    let mut failed = 0u64;
    for (source, dest) in migrate_pairs(&old, &new) {
        failed = failed.saturating_add(env.migrate_to_node(pid, source, dest, move_all)?);
    }
    Ok(failed.min(i32::MAX as u64) as i64)
}

//! `set_mempolicy`, `get_mempolicy` and `set_mempolicy_home_node` with Linux's argument
//! conventions and order of checks (Linux: `kernel_set_mempolicy`, `do_set_mempolicy`,
//! `kernel_get_mempolicy`, `do_get_mempolicy`, `sys_set_mempolicy_home_node`).

use crate::error::{Error, Result};
use crate::interleave::InterleaveMode;
use crate::nodemask::{NodeId, NodeMask, MAX_NUMNODES};
use crate::page::PAGE_SIZE;
use crate::policy::{Mempolicy, Mode};

use super::env::{read_nodes, write_nodes, PageNode, SystemNodes, UserMemory};
use super::range::MergeKey;
use super::space::AddressSpace;
use super::task::Task;
use super::{F_ADDR, F_MEMS_ALLOWED, F_NODE};

/// Sets the task policy (Linux: `set_mempolicy(2)`).
///
/// `mode` is the mode ORed with its mode flags; `nmask` (0: NULL) points at `maxnode - 1`
/// bits of user nodemask. Checks, in Linux's order: the mode and flags
/// (`sanitize_mpol_flags`), the nodemask (`get_nodes`), the mode against the nodes
/// (`mpol_new`) and the nodes against the task's cpuset and the memory nodes
/// (`mpol_set_nodemask`). Installing an interleave policy resets the cursor. Returns 0.
///
/// # Errors
/// The errors of [`Mempolicy::sanitize_mode`], [`NodeMask::from_user`] (including
/// [`Error::Fault`] from `user`) and [`Mempolicy::create`]. Nothing changes on error.
pub fn set_mempolicy<U>(
    task: &mut Task,
    nodes: &SystemNodes,
    user: &mut U,
    mode: i32,
    nmask: u64,
    maxnode: u64,
) -> Result<i64>
where
    U: UserMemory + ?Sized,
{
    let (mode, flags) = Mempolicy::sanitize_mode(mode)?;
    let mask = read_nodes(user, nmask, maxnode)?;
    let ctx = task.node_context(&nodes.memory).with_linux(nodes.linux);
    let policy = Mempolicy::create(mode, flags, &mask, &ctx)?;
    task.install_policy(policy);
    Ok(0)
}

/// What `get_mempolicy` reports (Linux: the `*policy` int and the kernel nodemask of
/// `do_get_mempolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy word: the mode ORed with its user-visible mode flags, or with
    /// [`F_NODE`] a node number.
    pub value: i32,
    /// The nodemask to copy out.
    pub nodes: NodeMask,
}

/// The kernel half of `get_mempolicy` (Linux: `do_get_mempolicy`): what the policy word and
/// nodemask would be, without touching user memory.
///
/// # Errors
/// In Linux's order, all [`Error::InvalidFlags`] (`EINVAL`) unless noted: unknown flags;
/// [`F_MEMS_ALLOWED`] with [`F_NODE`] or [`F_ADDR`]; [`F_ADDR`] with no mapping at `addr`
/// ([`Error::Fault`]); an `addr` without [`F_ADDR`] ([`Error::InvalidRange`]); with
/// [`F_NODE`] and [`F_ADDR`], whatever [`PageNode::node_of_page`] returns; [`F_NODE`] alone
/// when the task policy is not an interleave policy.
pub fn query_policy<P, K>(
    task: &Task,
    mm: &AddressSpace<Mempolicy, K>,
    pages: &mut P,
    flags: u64,
    addr: u64,
) -> Result<PolicyInfo>
where
    P: PageNode + ?Sized,
    K: MergeKey,
{
    if flags & !(F_NODE | F_ADDR | F_MEMS_ALLOWED) != 0 {
        return Err(Error::InvalidFlags(flags));
    }
    if flags & F_MEMS_ALLOWED != 0 {
        if flags & (F_NODE | F_ADDR) != 0 {
            return Err(Error::InvalidFlags(flags));
        }
        return Ok(PolicyInfo {
            value: 0,
            nodes: *task.mems_allowed(),
        });
    }
    // `None` is the default policy; `from_task` tells the task policy apart (Linux compares
    // `pol == current->mempolicy`). A range's policy is held by its own reference while the
    // page is looked up (the CVE-2018-10675 fix).
    let range_policy;
    let (policy, from_task) = if flags & F_ADDR != 0 {
        let (found, _) = mm.policy_at(addr).ok_or(Error::Fault(addr))?;
        range_policy = found;
        (range_policy.as_deref(), false)
    } else if addr != 0 {
        return Err(Error::InvalidRange(addr));
    } else {
        (task.policy().map(|p| &**p), true)
    };
    let value = if flags & F_NODE != 0 {
        if flags & F_ADDR != 0 {
            node_value(pages.node_of_page(addr & !(PAGE_SIZE - 1))?)
        } else {
            let interleave = match policy.map(Mempolicy::mode) {
                Some(Mode::Interleave) if from_task => InterleaveMode::Plain,
                Some(Mode::WeightedInterleave) if from_task => InterleaveMode::Weighted,
                _ => return Err(Error::InvalidFlags(flags)),
            };
            let nodes = policy.map(Mempolicy::nodes).copied().unwrap_or_default();
            match task.cursor().peek_node(interleave, &nodes) {
                Some(node) => node_value(node),
                // Linux reports MAX_NUMNODES for an empty mask.
                None => MAX_NUMNODES as i32,
            }
        }
    } else {
        match policy {
            Some(p) => p.reported_mode().as_raw() | i32::from(p.flags().bits()),
            None => Mode::Default.as_raw(),
        }
    };
    let nodes = policy
        .map(Mempolicy::user_visible_nodes)
        .unwrap_or_default();
    Ok(PolicyInfo { value, nodes })
}

/// The word Linux stores for a node.
fn node_value(node: NodeId) -> i32 {
    node.as_u32() as i32
}

/// The arguments of `get_mempolicy(2)`, named as in Linux.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GetMempolicyArgs {
    /// Where to store the policy word (an `int *`; 0: NULL).
    pub policy: u64,
    /// Where to store the nodemask (0: NULL).
    pub nmask: u64,
    /// The nodemask size in bits, plus one.
    pub maxnode: u64,
    /// The address for [`F_ADDR`].
    pub addr: u64,
    /// [`F_NODE`], [`F_ADDR`], [`F_MEMS_ALLOWED`].
    pub flags: u64,
}

/// Reports a policy (Linux: `get_mempolicy(2)`): the task's, or with [`F_ADDR`] the one of
/// the range containing `addr`; with [`F_NODE`] a node instead of the mode; with
/// [`F_MEMS_ALLOWED`] the cpuset nodes. Writes the policy word and the nodemask to user
/// memory and returns 0.
///
/// # Errors
/// [`Error::MaxnodeTooSmall`] when a nodemask is wanted and `maxnode < nr_node_ids`
/// (checked first); then the errors of [`query_policy`]; then [`Error::Fault`] from
/// writing the policy word, and the errors of [`NodeMask::to_user`] (`EINVAL` when more than
/// a page would be copied). Nothing is written before a failed check.
pub fn get_mempolicy<E, K>(
    task: &Task,
    mm: &AddressSpace<Mempolicy, K>,
    nodes: &SystemNodes,
    env: &mut E,
    args: GetMempolicyArgs,
) -> Result<i64>
where
    E: UserMemory + PageNode + ?Sized,
    K: MergeKey,
{
    let nr_node_ids = nodes.nr_node_ids();
    if args.nmask != 0 && args.maxnode < nr_node_ids as u64 {
        return Err(Error::MaxnodeTooSmall(args.maxnode));
    }
    let info = query_policy(task, mm, env, args.flags, args.addr)?;
    if args.policy != 0 {
        env.write_i32(args.policy, info.value)?;
    }
    if args.nmask != 0 {
        write_nodes(env, &info.nodes, args.nmask, args.maxnode, nr_node_ids)?;
    }
    Ok(0)
}

/// Sets the home node of the `BIND` and `PREFERRED_MANY` range policies in
/// `[start, start + len)` (Linux: `set_mempolicy_home_node(2)`).
///
/// Ranges without a policy and holes are skipped; each updated range gets its own copy,
/// splitting and merging as `mbind` does. A memoryless (but online) home node is accepted.
/// Returns 0.
///
/// # Errors
/// In Linux's order: [`Error::Unaligned`] for an unaligned `start`; [`Error::InvalidFlags`]
/// for non-zero `flags`; [`Error::InvalidNode`] for a node that is not online;
/// [`Error::InvalidRange`] when the range wraps. Then [`Error::NotFound`] (`ENOENT`) when no
/// range in it has a policy, and [`Error::NotSupported`] (`EOPNOTSUPP`) at the first range
/// whose policy is another mode; the ranges before it keep their new home node.
pub fn set_mempolicy_home_node<K: MergeKey>(
    mm: &mut AddressSpace<Mempolicy, K>,
    nodes: &SystemNodes,
    start: u64,
    len: u64,
    home_node: u64,
    flags: u64,
) -> Result<i64> {
    if start % PAGE_SIZE != 0 {
        return Err(Error::Unaligned(start));
    }
    if flags != 0 {
        return Err(Error::InvalidFlags(flags));
    }
    let home = match NodeId::try_new(home_node) {
        Ok(node) if nodes.online.contains(node) => node,
        _ => return Err(Error::InvalidNode(home_node)),
    };
    let end = match range_end(start, len)? {
        Some(end) => end,
        None => return Ok(0),
    };
    let mut result = Err(Error::NotFound);
    mm.update_policies(start, end, |old| {
        let Some(old) = old else {
            return Ok(None);
        };
        if !matches!(old.mode(), Mode::Bind | Mode::PreferredMany) {
            return Err(Error::NotSupported);
        }
        result = Ok(0);
        let mut new = old.clone();
        new.set_home_node(Some(home));
        Ok(Some(Some(new)))
    })?;
    result
}

/// `PAGE_ALIGN(len)` and the end of the range, as `mbind` and `set_mempolicy_home_node`
/// compute them: `None` for an empty range.
///
/// # Errors
/// [`Error::InvalidRange`] when the end wraps below `start`.
pub(crate) fn range_end(start: u64, len: u64) -> Result<Option<u64>> {
    let len = len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let end = start.wrapping_add(len);
    if end < start {
        return Err(Error::InvalidRange(start));
    }
    Ok((end != start).then_some(end))
}

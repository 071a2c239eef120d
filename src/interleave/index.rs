//! Static (index-based) interleave picks and the interleave index of a page (Linux:
//! `interleave_nid`, `weighted_interleave_nid`, and the `ilx` computation of
//! `get_vma_policy` and shmem's `get_policy`).
//!
//! A static pick depends only on the mask, the weights and the index, never on the task's
//! cursor, so the same page of the same mapping always lands on the same node.

use core::num::NonZeroU64;

use super::weights::{effective, small_eight, WeightSource, HIGHS, ONES};
use crate::nodemask::remainder;
use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// The interleave index that asks for a dynamic pick (Linux: `NO_INTERLEAVE_INDEX`,
/// `(pgoff_t)-1`): plain `alloc_pages` has no address, so it uses the task's cursor instead.
pub const NO_INTERLEAVE_INDEX: u64 = u64::MAX;

/// Returns the node for interleave index `ilx` of a plain interleave policy (Linux:
/// `interleave_nid`).
///
/// That is node number `ilx % n` (counting from 0) of the `n` nodes of `nodes`. `None` when
/// `nodes` is empty; Linux then uses the local node. Costs O(words), whatever `ilx`.
///
/// # Examples
/// ```
/// use mempolicy::interleave;
/// use mempolicy::{NodeId, NodeMask};
/// let nodes: NodeMask = "0,2,5".parse()?;
/// assert_eq!(interleave::interleave_nid(&nodes, 4), Some(NodeId::new(2)));
/// assert_eq!(interleave::interleave_nid(&NodeMask::new(), 4), None);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[inline]
pub fn interleave_nid(nodes: &NodeMask, ilx: u64) -> Option<NodeId> {
    nodes.nth_wrapping(ilx)
}

/// Up to this many nodes, [`weighted_interleave_nid`] keeps their weights in a small stack
/// buffer; larger masks take one snapshot of the whole table.
const SMALL_MASK: usize = 16;

/// Returns the node for interleave index `ilx` of a weighted interleave policy (Linux:
/// `weighted_interleave_nid`).
///
/// The nodes of `nodes`, in ascending order, own consecutive runs of `weight` indices each;
/// `ilx` modulo the total weight falls into one run. Every weight is read once: for up to 16
/// nodes with one [`WeightSource::weight`] call per node, kept in a small buffer; for larger
/// masks as one snapshot ([`WeightSource::copy_weights`]). A source whose table is replaced
/// concurrently is best read through one view (as
/// [`WeightReader::with_view`](crate::weights::WeightReader::with_view) does). 0 is read
/// as 1. `None` when `nodes` is empty; Linux then uses the local node. Costs O(words +
/// nodes), whatever `ilx`.
///
/// # Examples
/// ```
/// use mempolicy::interleave;
/// use mempolicy::{NodeId, NodeMask};
/// let nodes: NodeMask = "0-1".parse()?;
/// let picks: Vec<u32> = (0..8)
///     .filter_map(|ilx| interleave::weighted_interleave_nid(&nodes, ilx, &[3u8, 1]))
///     .map(NodeId::as_u32)
///     .collect();
/// assert_eq!(picks, [0, 0, 0, 1, 0, 0, 0, 1]);
/// # Ok::<(), mempolicy::Error>(())
/// ```
// Inline: a mask of nodes below 8 with small weights is a few word operations; the rest is out
// of line, so that the words of a larger mask are not kept live around the fast path.
#[inline]
pub fn weighted_interleave_nid<W>(nodes: &NodeMask, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    if let Some(byte) = nodes.low_byte() {
        if let Some(eight) = weights.small_first_eight() {
            return Some(weighted_in_low_byte(byte, ilx, eight));
        }
    }
    weighted_nid_rest(nodes, ilx, weights)
}

/// [`weighted_interleave_nid`] past its fast path.
#[inline(never)]
fn weighted_nid_rest<W>(nodes: &NodeMask, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    if let Some(first) = nodes.only_first_word() {
        if first == 0 {
            return None;
        }
        return weighted_in_first_word(first, ilx, weights);
    }
    let mut own = [0u8; SMALL_MASK];
    let mut total = 0u32;
    for (count, node) in nodes.nodes().enumerate() {
        let Some(slot) = own.get_mut(count) else {
            return weighted_nid_large(nodes, ilx, weights);
        };
        *slot = effective(weights.weight(node));
        total += u32::from(*slot);
    }
    if total == 0 {
        return None;
    }
    let mut target = remainder(ilx, total);
    for (node, &weight) in nodes.nodes().zip(&own) {
        let weight = u32::from(weight);
        if target < weight {
            return Some(node);
        }
        target -= weight;
    }
    // Unreachable: `target < total`, the sum of the weights walked above.
    nodes.last()
}

/// Entry `byte`: 0xff in byte `i` for every bit `i` of `byte`.
const BYTE_SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            if byte & (1 << bit) != 0 {
                if let Some((_, [slot, ..])) = table.split_at_mut_checked(byte) {
                    *slot |= 0xff << (8 * bit);
                }
            }
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// [`weighted_interleave_nid`] for a non-empty mask of nodes below 8 (the bits of `byte`),
/// given `eight`, the small weights of nodes 0-7 ([`WeightSource::small_first_eight`]).
///
/// The weights of the mask's nodes sit in one word, a byte each (the others cleared); one
/// multiplication turns them into running totals, and one subtraction compares every total
/// with the target at once: the node is the first whose running total exceeds the target.
/// Both need totals below 128, which small weights guarantee; nodes outside the mask add
/// nothing and never become the pick.
#[inline(always)]
pub(crate) fn weighted_in_low_byte(byte: u64, ilx: u64, eight: NonZeroU64) -> NodeId {
    let spread = BYTE_SPREAD
        .get((byte & 0xff) as usize)
        .copied()
        .unwrap_or(0);
    let running = (eight.get() & spread).wrapping_mul(ONES);
    let target = remainder(ilx, (running >> 56) as u32);
    // 0x80 in the bytes whose running total is at most the target: (target | 0x80) - total
    // never borrows from the next byte, both being below 0x80.
    let at_most = (((u64::from(target) * ONES) | HIGHS).wrapping_sub(running)) & HIGHS;
    // Running totals only grow: those bytes are the lowest ones, and the node is the next.
    let below = ((at_most >> 7).wrapping_mul(ONES) >> 56) as u32;
    NodeId::of_first_word(below)
}

/// [`weighted_interleave_nid`] for a non-empty mask whose nodes are all below 64 (the bits of
/// `word`): eight nodes at a time for a dense mask with small weights (see [`by_bytes`]), else
/// walks over the word's bits with the weights of up to 64 nodes in a stack buffer.
#[inline]
fn weighted_in_first_word<W>(word: u64, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    // The bytes up to the highest node (at least one: `word` is not 0). Eight at a time pays
    // for nodes below 16, and above when the bytes hold three nodes or more on average;
    // sparser masks walk their nodes.
    let used = (71 - word.leading_zeros()) / 8;
    if used <= 2 || word.count_ones() >= 3 * used {
        if let Some(node) = by_bytes(word, used as usize, ilx, weights) {
            return Some(node);
        }
    }
    let mut own = [0u8; 64];
    let mut total = 0u32;
    let mut bits = word;
    while bits != 0 {
        let node = NodeId::of_first_word(bits.trailing_zeros());
        bits &= bits - 1;
        let weight = effective(weights.weight(node));
        if let Some(slot) = own.get_mut(node.index()) {
            *slot = weight;
        }
        total += u32::from(weight);
    }
    if total == 0 {
        return None;
    }
    let mut target = remainder(ilx, total);
    let mut bits = word;
    while bits != 0 {
        let node = NodeId::of_first_word(bits.trailing_zeros());
        bits &= bits - 1;
        let weight = u32::from(own.get(node.index()).copied().unwrap_or(1));
        if target < weight {
            return Some(node);
        }
        target -= weight;
    }
    // Unreachable: `target < total`, the sum of the weights walked above.
    None
}

/// [`weighted_in_first_word`] eight nodes at a time over the `used` lowest bytes of `word`, or
/// `None` when the eight weights of some byte with nodes are not small ([`small_eight`], as
/// for nodes 0-7 in [`WeightSource::small_first_eight`]).
///
/// Each such byte's running totals come from one multiplication, as in
/// [`weighted_in_low_byte`]; the byte whose total passes the target is found by a walk over at
/// most eight totals, and the node inside it by one subtraction. The cost follows the bytes
/// with nodes, not the nodes.
#[inline]
fn by_bytes<W>(word: u64, used: usize, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    let mut running = [0u64; 8];
    let mut total = 0u32;
    for (chunk, slot) in running.iter_mut().enumerate().take(used) {
        let byte = (word >> (8 * chunk)) & 0xff;
        if byte != 0 {
            let eight = small_eight(weights.eight_at(chunk))?;
            let spread = BYTE_SPREAD.get(byte as usize).copied().unwrap_or(0);
            *slot = (eight.get() & spread).wrapping_mul(ONES);
            total += (*slot >> 56) as u32;
        }
    }
    let mut target = remainder(ilx, total);
    for (chunk, &totals) in running.iter().enumerate().take(used) {
        let byte_total = (totals >> 56) as u32;
        if target < byte_total {
            // As in `weighted_in_low_byte`: every total of a small byte is below 128.
            let at_most = (((u64::from(target) * ONES) | HIGHS).wrapping_sub(totals)) & HIGHS;
            let below = ((at_most >> 7).wrapping_mul(ONES) >> 56) as u32;
            return Some(NodeId::of_first_word(8 * chunk as u32 + below));
        }
        target -= byte_total;
    }
    // Unreachable for a non-empty `word`: `target < total`, the sum of the byte totals.
    None
}

/// [`weighted_interleave_nid`] for masks of more than [`SMALL_MASK`] nodes: one snapshot of
/// the whole table.
#[cold]
#[inline(never)]
fn weighted_nid_large<W>(nodes: &NodeMask, ilx: u64, weights: &W) -> Option<NodeId>
where
    W: WeightSource + ?Sized,
{
    let mut table = [1u8; MAX_NUMNODES];
    weights.copy_weights(nodes, &mut table);
    let weight_of =
        |node: NodeId| u64::from(effective(table.get(node.index()).copied().unwrap_or(1)));
    let total: u64 = nodes.nodes().map(weight_of).sum();
    if total == 0 {
        return None;
    }
    let mut target = ilx % total;
    for node in nodes.nodes() {
        let weight = weight_of(node);
        if target < weight {
            return Some(node);
        }
        target -= weight;
    }
    // Unreachable: `target < total`, the sum of the weights walked above.
    nodes.last()
}

/// Returns the interleave index of the page at `addr` in a mapping (Linux: the `ilx` that
/// `get_vma_policy` computes for interleave policies).
///
/// `ilx = (vm_pgoff >> order) + ((addr - vm_start) >> (page_shift + order))`, in wrapping
/// `u64` arithmetic like Linux's `pgoff_t`. `vm_pgoff` is the mapping's page offset: the file
/// offset in pages for a file mapping, and `vm_start >> page_shift` for an anonymous private
/// mapping (set at mmap time and kept when the mapping later grows or is split, so anonymous
/// pages interleave by virtual page number). `order` is the allocation order (0 for a base
/// page, the huge-page order for huge pages); `page_shift` is 12 for 4 KiB pages. Shifts of 64
/// or more give 0.
///
/// # Examples
/// ```
/// use mempolicy::interleave;
/// // An anonymous mapping at 4 GiB: vm_pgoff = 4 GiB >> 12.
/// let start = 1u64 << 32;
/// let ilx = interleave::vma_interleave_index(start >> 12, start, start + 3 * 4096, 0, 12);
/// assert_eq!(ilx, (1 << 20) + 3);
/// ```
pub const fn vma_interleave_index(
    vm_pgoff: u64,
    vm_start: u64,
    addr: u64,
    order: u32,
    page_shift: u32,
) -> u64 {
    let from_pgoff = shr(vm_pgoff, order);
    let from_addr = shr(
        addr.wrapping_sub(vm_start),
        page_shift.saturating_add(order),
    );
    from_pgoff.wrapping_add(from_addr)
}

/// Returns the interleave index of a page of a shared (shmem/tmpfs) mapping (Linux: shmem's
/// `get_policy` seeds `ilx` with the inode number, "bias interleave by inode number", before
/// `get_vma_policy` adds [`vma_interleave_index`]).
///
/// The bias makes different files start their interleave on different nodes instead of all
/// piling their first pages onto the lowest node.
pub const fn shared_interleave_index(
    inode: u64,
    vm_pgoff: u64,
    vm_start: u64,
    addr: u64,
    order: u32,
    page_shift: u32,
) -> u64 {
    inode.wrapping_add(vma_interleave_index(
        vm_pgoff, vm_start, addr, order, page_shift,
    ))
}

/// `value >> shift`, or 0 when `shift >= 64`.
const fn shr(value: u64, shift: u32) -> u64 {
    match value.checked_shr(shift) {
        Some(v) => v,
        None => 0,
    }
}

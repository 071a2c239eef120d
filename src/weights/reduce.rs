//! Automatic weights from node bandwidths (Linux: `reduce_interleave_weights`).

use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// How finely bandwidth shares are resolved: a node's automatic weight is its share of the
/// total bandwidth in 32nds (Linux: `weightiness` in `reduce_interleave_weights`).
pub const WEIGHTINESS: u8 = 32;

/// Turns per-node bandwidths into interleave weights (Linux: `reduce_interleave_weights`).
///
/// Over the nodes in `memory_nodes` (Linux: `N_MEMORY`), each node gets
/// `floor(32 * bw / total)` where `total` is the summed bandwidth of those nodes, or 1 when
/// that is below 1 (a share of at most 1/32, or a bandwidth of 0); then every weight is
/// divided by the greatest common divisor of them all. Nodes outside `memory_nodes` get 1.
///
/// Linux computes `32 * bw` in 32 bits, which wraps for bandwidths above `u32::MAX / 32`
/// (about 134 million in the kernel's MB/s unit) and then gives nonsense weights. This
/// function computes in `u128`, so it never overflows: every `u64` bandwidth, and any sum of
/// them, gives the exact formula above.
///
/// # Examples
/// ```
/// use mempolicy::weights::reduce_interleave_weights;
/// use mempolicy::{NodeMask, MAX_NUMNODES};
///
/// let mut bw = [0u64; MAX_NUMNODES];
/// bw[0] = 300;
/// bw[1] = 100;
/// let w = reduce_interleave_weights(&bw, &NodeMask::first_n(2));
/// assert_eq!(w[..3], [3, 1, 1]);
/// ```
#[must_use]
pub fn reduce_interleave_weights(
    bandwidth: &[u64; MAX_NUMNODES],
    memory_nodes: &NodeMask,
) -> [u8; MAX_NUMNODES] {
    let mut weights = [1u8; MAX_NUMNODES];
    let total: u128 = memory_nodes
        .iter()
        .map(|n| u128::from(bandwidth_of(bandwidth, n)))
        .sum();
    let mut divisor = 0u8;
    for node in memory_nodes {
        let bw = u128::from(bandwidth_of(bandwidth, node));
        let scaled = u128::from(WEIGHTINESS) * bw;
        // `bw <= total`, so the quotient is at most 32 and fits in a `u8`.
        let weight = if bw != 0 && total < scaled {
            u8::try_from(scaled / total).unwrap_or(WEIGHTINESS)
        } else {
            1
        };
        if let Some(slot) = weights.get_mut(node.index()) {
            *slot = weight;
        }
        divisor = if divisor == 0 {
            weight
        } else {
            gcd(divisor, weight)
        };
    }
    if divisor > 1 {
        for node in memory_nodes {
            if let Some(slot) = weights.get_mut(node.index()) {
                *slot /= divisor;
            }
        }
    }
    weights
}

/// Returns `node`'s entry of `bandwidth` (0 is never needed: a `NodeId` is in range).
fn bandwidth_of(bandwidth: &[u64; MAX_NUMNODES], node: NodeId) -> u64 {
    bandwidth.get(node.index()).copied().unwrap_or(0)
}

/// Greatest common divisor (Euclid).
fn gcd(mut a: u8, mut b: u8) -> u8 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

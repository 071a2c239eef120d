//! Word-at-a-time bit search for the mask scans: the position of the `n`-th set bit of a word
//! (Linux: `fns()`, the word step of `find_nth_bit`) without a population-count instruction.
//!
//! The baseline x86-64 target has no `popcnt`, so counting bits one at a time or clearing
//! them in a loop costs a few instructions per bit. Here the set bits of every byte are counted
//! in parallel (the classic SWAR popcount, stopped before its final sum), one multiplication
//! turns the byte counts into running totals, one subtraction compares all eight totals with
//! `n` at once, and a 2 KiB table finishes inside the byte. Where the target has `popcnt`,
//! `u64::count_ones` in the callers uses it; the select step needs no popcount at all.

/// Every byte 0x01.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Every byte 0x80.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Entry `byte * 8 + k` is the position of the `k`-th set bit of `byte` (0 where
/// `byte` has no `k`-th bit).
const SELECT_IN_BYTE: [u8; 2048] = {
    let mut table = [0u8; 2048];
    let mut byte = 0;
    while byte < 256 {
        let mut k = 0;
        let mut bit = 0;
        while bit < 8 {
            if byte & (1 << bit) != 0 {
                if let Some((_, [slot, ..])) = table.split_at_mut_checked(byte * 8 + k) {
                    *slot = bit as u8;
                }
                k += 1;
            }
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// Entry `byte`: the positions of the set bits of `byte`, lowest first, three bits each (bits
/// 0-23), and how many there are (bits 24-27). One load answers both the count and the select
/// of a mask whose nodes all lie below 8 (most machines).
pub(super) const BYTE_NODES: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut entry = 0u32;
        let mut count = 0;
        let mut bit = 0;
        while bit < 8 {
            if byte & (1 << bit) != 0 {
                entry |= bit << (3 * count);
                count += 1;
            }
            bit += 1;
        }
        if let Some((_, [slot, ..])) = table.split_at_mut_checked(byte) {
            *slot = entry | (count << 24);
        }
        byte += 1;
    }
    table
};

/// The number of set bits of the byte whose [`BYTE_NODES`] entry is `entry`.
#[inline(always)]
pub(super) const fn byte_count(entry: u32) -> u32 {
    entry >> 24
}

/// The position of the `n`-th set bit (`n` below the count) of the byte whose
/// [`BYTE_NODES`] entry is `entry`.
#[inline(always)]
pub(super) const fn byte_select(entry: u32, n: u32) -> u32 {
    (entry >> ((3 * n) & 31)) & 7
}

/// Returns the position (0-63) of the `n`-th set bit of `word`, counting from 0 at the lowest.
///
/// The caller guarantees `n < word.count_ones()`; otherwise the answer is some position, never
/// a panic.
#[inline]
pub(super) const fn select_in_word(word: u64, n: u32) -> u32 {
    if n < 2 {
        return select_low(word, n);
    }
    select_with_running(word, running_counts(word), n)
}

/// The set bits of bytes `0..=i` of `word`, in byte `i` (so the top byte is the popcount).
///
/// The bits of every byte are counted in parallel (each byte ends up holding 0-8), and one
/// multiplication adds each byte to every byte above it.
#[inline]
pub(super) const fn running_counts(word: u64) -> u64 {
    let pairs = word - ((word >> 1) & 0x5555_5555_5555_5555);
    let nibbles = (pairs & 0x3333_3333_3333_3333) + ((pairs >> 2) & 0x3333_3333_3333_3333);
    let bytes = (nibbles + (nibbles >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // At most 64 per byte: no byte overflows into the next.
    bytes.wrapping_mul(ONES)
}

/// The lowest (`n == 0`) or second lowest (`n == 1`) set bit: clearing the lowest bit is
/// cheaper than the broadword path for these.
#[inline]
pub(super) const fn select_low(word: u64, n: u32) -> u32 {
    let word = if n == 0 {
        word
    } else {
        word & word.wrapping_sub(1)
    };
    word.trailing_zeros() & 63
}

/// [`select_in_word`] given the [`running_counts`] of `word`.
#[inline]
pub(super) const fn select_with_running(word: u64, running: u64, n: u32) -> u32 {
    // Byte i keeps its top bit where running_i <= n: (n | 0x80) - running_i never borrows
    // from the next byte, since running_i <= 64 < 0x80.
    let at_most_n = (((n & 63) as u64 * ONES) | HIGHS).wrapping_sub(running) & HIGHS;
    // Running totals only grow, so those bytes are the lowest ones; the bit is in the next.
    let byte = ((!at_most_n & HIGHS).trailing_zeros() / 8 * 8) & 56;
    let before = ((running << 8) >> byte) as u32 & 0xff;
    let rank = n.wrapping_sub(before) & 7;
    let bits = (word >> byte) as usize & 0xff;
    let within = match SELECT_IN_BYTE.split_at_checked(bits * 8 + rank as usize) {
        Some((_, [bit, ..])) => *bit as u32,
        _ => 0,
    };
    (byte + within) & 63
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The n-th set bit the slow way.
    fn slow(word: u64, n: u32) -> u32 {
        (0..64)
            .filter(|b| word >> b & 1 == 1)
            .nth(n as usize)
            .unwrap()
    }

    #[test]
    fn byte_table_counts_and_selects_every_byte() {
        for byte in 0..=255u64 {
            let entry = BYTE_NODES[byte as usize];
            assert_eq!(byte_count(entry), byte.count_ones(), "{byte:#x}");
            for n in 0..byte.count_ones() {
                assert_eq!(byte_select(entry, n), slow(byte, n), "{byte:#x} {n}");
            }
        }
    }

    #[test]
    fn select_matches_a_bit_by_bit_search() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut words = vec![
            u64::MAX,
            1,
            1 << 63,
            0x8000_0000_0000_0001,
            0xff00,
            0x0101_0101,
        ];
        for _ in 0..2000 {
            // xorshift: dense and sparse words alike.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words.push(x);
            words.push(x & (x >> 3) & (x >> 5));
        }
        for word in words {
            assert_eq!(running_counts(word) >> 56, u64::from(word.count_ones()));
            for n in 0..word.count_ones() {
                assert_eq!(select_in_word(word, n), slow(word, n), "{word:#x} {n}");
                let running = running_counts(word);
                assert_eq!(select_with_running(word, running, n), slow(word, n));
            }
        }
    }
}

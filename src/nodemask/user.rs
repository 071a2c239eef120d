//! The user-space nodemask ABI of the memory-policy syscalls (Linux: `get_nodes` and
//! `copy_nodes_to_user` in `mm/mempolicy.c`).
//!
//! User space passes a nodemask as an array of 64-bit words plus `maxnode`. The kernel reads
//! only `maxnode - 1` bits (the long-standing "maxnode off-by-one"), refuses `maxnode - 1`
//! above `PAGE_SIZE * 8`, and requires every bit at or above `MAX_NUMNODES` to be zero,
//! checking whole words from the top down. Reading user memory is the embedder's job: these
//! functions take a closure that reads or writes one word and may fail with
//! [`Error::Fault`].

use super::{NodeMask, MAX_NUMNODES, WORDS, WORD_BITS};
use crate::error::{Error, Result};
use crate::page::PAGE_SIZE;

/// The largest `maxnode - 1` Linux accepts: one page of bits.
const MAX_USER_BITS: u64 = PAGE_SIZE * 8;

impl NodeMask {
    /// Reads a user nodemask the way Linux's `get_nodes` does.
    ///
    /// `read_word(i)` returns word `i` of the user array (nodes `64*i .. 64*i+63`); `None`
    /// stands for a NULL pointer. The words are read in Linux's order: first the words above
    /// [`MAX_NUMNODES`] from the top down, then the rest.
    ///
    /// # Errors
    /// * [`Error::MaxnodeTooLarge`] when `maxnode - 1 > PAGE_SIZE * 8` (also for
    ///   `maxnode == 0` with a mask, where the decrement wraps);
    /// * [`Error::NodeBitsBeyondMax`] when a word at or above `MAX_NUMNODES` has a bit set;
    /// * whatever `read_word` returns (normally [`Error::Fault`]).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// let user = [0b1010u64];
    /// // maxnode 4 reads 3 bits: node 3 is never seen.
    /// assert_eq!(NodeMask::from_user_slice(Some(&user), 4)?.to_string(), "1");
    /// assert_eq!(NodeMask::from_user_slice(Some(&user), 5)?.to_string(), "1,3");
    /// assert_eq!(NodeMask::from_user_slice(None, 5)?.to_string(), "");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn from_user<F>(read_word: Option<F>, maxnode: u64) -> Result<Self>
    where
        F: FnMut(usize) -> Result<u64>,
    {
        let mut bits = maxnode.wrapping_sub(1);
        let Some(mut read_word) = read_word else {
            return Ok(Self::new());
        };
        if bits == 0 {
            return Ok(Self::new());
        }
        if bits > MAX_USER_BITS {
            return Err(Error::MaxnodeTooLarge(maxnode));
        }
        let max = MAX_NUMNODES as u64;
        // Bits beyond the mask must be zero: check whole words from the top down.
        while bits > max {
            // `bits <= MAX_USER_BITS` (a page of bits), so the word index fits any `usize`.
            let index = usize::try_from((bits - 1) / WORD_BITS as u64)
                .map_err(|_| Error::MaxnodeTooLarge(maxnode))?;
            let mut word = read_word(index)?;
            if bits - (WORD_BITS as u64) >= max {
                bits -= WORD_BITS as u64;
            } else {
                bits = max;
                word &= !low_bits(MAX_NUMNODES % WORD_BITS);
            }
            if word != 0 {
                return Err(Error::NodeBitsBeyondMax(index as u64));
            }
        }
        // `bits <= MAX_NUMNODES` after the loop.
        let bits = usize::try_from(bits)
            .unwrap_or(MAX_NUMNODES)
            .min(MAX_NUMNODES);
        let mut words = [0u64; WORDS];
        let count = bits.div_ceil(WORD_BITS);
        for (i, slot) in words.iter_mut().enumerate().take(count) {
            *slot = read_word(i)?;
        }
        if bits % WORD_BITS != 0 {
            if let Some(last) = words.get_mut(count.wrapping_sub(1)) {
                *last &= low_bits(bits % WORD_BITS);
            }
        }
        Ok(Self::from_words(words))
    }

    /// [`NodeMask::from_user`] over a slice: a word beyond the slice is a fault
    /// ([`Error::Fault`] carrying the word index).
    ///
    /// # Errors
    /// As [`NodeMask::from_user`].
    pub fn from_user_slice(words: Option<&[u64]>, maxnode: u64) -> Result<Self> {
        Self::from_user(
            words.map(|w| move |i: usize| w.get(i).copied().ok_or(Error::Fault(i as u64))),
            maxnode,
        )
    }

    /// Writes the mask to user space the way Linux's `copy_nodes_to_user` does.
    ///
    /// The kernel copies `ALIGN(maxnode - 1, 64) / 8` bytes (computed with wrapping, so
    /// `maxnode == u64::MAX` copies nothing). When that is more than the `nr_node_ids` bits
    /// the kernel keeps, it refuses more than `PAGE_SIZE` bytes, zeroes the user words beyond
    /// `nr_node_ids`, and copies only the kept words. Words are written whole, so nodes past
    /// `maxnode - 1` but inside the last word are visible.
    ///
    /// `write_word(i, value)` stores word `i` of the user array.
    ///
    /// # Errors
    /// [`Error::MaxnodeTooLarge`] when more than `PAGE_SIZE` bytes would be written, or
    /// whatever `write_word` returns.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// let mask: NodeMask = "0-3".parse()?;
    /// let mut user = [u64::MAX; 3];
    /// mask.to_user_slice(&mut user, 193, 4)?; // maxnode - 1 = 192 bits: three words
    /// assert_eq!(user, [0b1111, 0, 0]);
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn to_user<F>(&self, maxnode: u64, nr_node_ids: usize, mut write_word: F) -> Result<()>
    where
        F: FnMut(usize, u64) -> Result<()>,
    {
        let bits = maxnode.wrapping_sub(1);
        let mut copy_bytes = bits.wrapping_add(63) & !63u64;
        copy_bytes /= 8;
        let kept_words = nr_node_ids.min(MAX_NUMNODES).div_ceil(WORD_BITS);
        let kept_bytes = (kept_words * 8) as u64;
        if copy_bytes > kept_bytes {
            if copy_bytes > PAGE_SIZE {
                return Err(Error::MaxnodeTooLarge(maxnode));
            }
            // `copy_bytes <= PAGE_SIZE` here, so the word count fits any `usize`.
            let words =
                usize::try_from(copy_bytes / 8).map_err(|_| Error::MaxnodeTooLarge(maxnode))?;
            for i in kept_words..words {
                write_word(i, 0)?;
            }
            copy_bytes = kept_bytes;
        }
        for (i, &word) in self
            .words
            .iter()
            .enumerate()
            .take(usize::try_from(copy_bytes / 8).unwrap_or(WORDS))
        {
            write_word(i, word)?;
        }
        Ok(())
    }

    /// [`NodeMask::to_user`] into a slice: a word beyond the slice is a fault.
    ///
    /// # Errors
    /// As [`NodeMask::to_user`].
    pub fn to_user_slice(&self, out: &mut [u64], maxnode: u64, nr_node_ids: usize) -> Result<()> {
        self.to_user(maxnode, nr_node_ids, |i, value| {
            let slot = out.get_mut(i).ok_or(Error::Fault(i as u64))?;
            *slot = value;
            Ok(())
        })
    }
}

/// A word with the low `n` bits set (`n < 64`).
const fn low_bits(n: usize) -> u64 {
    (1u64 << n) - 1
}

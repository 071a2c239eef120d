//! [`User`]: a process's user memory as the system calls see it (Linux: `copy_from_user`,
//! `copy_to_user`, `put_user` on the caller's buffers).

use std::collections::BTreeMap;

use mempolicy::abi::UserMemory;
use mempolicy::{Error, Result};

/// The user nodemask buffer A (the oracle's one for most calls): [`MASK_WORDS`] words.
pub const MASK_A: u64 = 0x7000_0000;
/// The second user nodemask buffer (`migrate_pages`' new nodes).
pub const MASK_B: u64 = 0x7001_0000;
/// Words in each nodemask buffer (8 KiB, 65536 bits, like the oracle's).
pub const MASK_WORDS: usize = 1024;
/// The user `int` that `get_mempolicy` writes the policy word to.
pub const POLICY_WORD: u64 = 0x7100_0000;

/// User memory: mapped word buffers and one policy word; every other address faults.
///
/// A fresh `User` maps the two nodemask buffers ([`MASK_A`], [`MASK_B`], zero-filled) and
/// the policy word ([`POLICY_WORD`]); [`User::map_words`] maps more (hostile tests map
/// buffers at odd places and fill them with patterns).
#[derive(Clone, Debug)]
pub struct User {
    /// Mapped buffers by base address.
    buffers: BTreeMap<u64, Vec<u64>>,
    /// The last value written to the policy word, if any.
    policy_word: Option<i32>,
}

impl Default for User {
    fn default() -> Self {
        Self::new()
    }
}

impl User {
    /// The two nodemask buffers, zero-filled, and the policy word.
    pub fn new() -> Self {
        let mut user = Self {
            buffers: BTreeMap::new(),
            policy_word: None,
        };
        user.map_words(MASK_A, MASK_WORDS, 0);
        user.map_words(MASK_B, MASK_WORDS, 0);
        user
    }

    /// No user memory at all: every access faults until [`User::map_words`] maps some.
    pub fn unmapped() -> Self {
        Self {
            buffers: BTreeMap::new(),
            policy_word: None,
        }
    }

    /// Maps `count` words at `base` (8-byte aligned), each holding `fill`.
    pub fn map_words(&mut self, base: u64, count: usize, fill: u64) {
        self.buffers.insert(base, vec![fill; count]);
    }

    /// Writes `words` at the start of the buffer at `base` and zeroes the rest of it.
    ///
    /// # Panics
    /// If no buffer is mapped at `base`.
    pub fn set_mask(&mut self, base: u64, words: &[u64]) {
        let buffer = self.buffers.get_mut(&base).expect("a mapped buffer");
        buffer.iter_mut().for_each(|w| *w = 0);
        for (slot, word) in buffer.iter_mut().zip(words) {
            *slot = *word;
        }
    }

    /// Zeroes the buffer at `base`.
    pub fn clear_mask(&mut self, base: u64) {
        self.set_mask(base, &[]);
    }

    /// Returns the words of the buffer at `base` (empty if none is mapped there).
    pub fn mask(&self, base: u64) -> &[u64] {
        self.buffers.get(&base).map_or(&[], Vec::as_slice)
    }

    /// Returns the last policy word written, if any.
    pub fn policy_word(&self) -> Option<i32> {
        self.policy_word
    }

    /// Forgets the policy word (so a test can see whether a call wrote it).
    pub fn clear_policy_word(&mut self) {
        self.policy_word = None;
    }

    /// The word at `addr`, if mapped and aligned.
    fn word(&mut self, addr: u64) -> Result<&mut u64> {
        if addr % 8 != 0 {
            return Err(Error::Fault(addr));
        }
        let (base, buffer) = self
            .buffers
            .range_mut(..=addr)
            .next_back()
            .ok_or(Error::Fault(addr))?;
        let index = usize::try_from((addr - *base) / 8).map_err(|_| Error::Fault(addr))?;
        buffer.get_mut(index).ok_or(Error::Fault(addr))
    }
}

impl UserMemory for User {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        self.word(addr).map(|w| *w)
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        *self.word(addr)? = value;
        Ok(())
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        if addr == POLICY_WORD {
            self.policy_word = Some(value);
            Ok(())
        } else {
            Err(Error::Fault(addr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_and_unaligned_addresses_fault() {
        let mut user = User::new();
        assert_eq!(user.read_u64(MASK_A), Ok(0));
        assert_eq!(user.read_u64(MASK_A + 4), Err(Error::Fault(MASK_A + 4)));
        let past = MASK_A + 8 * MASK_WORDS as u64;
        assert_eq!(user.read_u64(past), Err(Error::Fault(past)));
        assert_eq!(
            user.write_i32(POLICY_WORD + 4, 1),
            Err(Error::Fault(POLICY_WORD + 4))
        );
        user.set_mask(MASK_B, &[5]);
        assert_eq!(user.read_u64(MASK_B), Ok(5));
        user.write_i32(POLICY_WORD, 3).unwrap();
        assert_eq!(user.policy_word(), Some(3));
    }
}

//! The text interface of `/sys/kernel/mm/mempolicy/weighted_interleave/` (Linux:
//! `node_show`, `node_store`, `weighted_interleave_auto_show`,
//! `weighted_interleave_auto_store`, with `kstrtou8` and `kstrtobool` parsing).
//!
//! An embedder exposing a sysfs-like file system forwards a write's bytes here and maps the
//! error with [`Error::errno`](crate::Error::errno).

use super::table::WeightTable;
use crate::error::{Error, Result};
use crate::NodeId;

/// Parses a weight written to a `nodeN` file: an integer in `1..=255` (Linux: `kstrtou8` with
/// base 0, then a zero check).
///
/// As in Linux: an optional `+`, then `0x`/`0X` and hex digits, or `0` and octal digits, or
/// decimal digits; one trailing newline is allowed; the text ends at the first NUL byte.
///
/// # Errors
/// [`Error::Parse`] (at the offending byte) for text that is not such a number (`""`, `"-1"`,
/// `"3x"`); [`Error::InvalidWeight`] for `0` or a value above 255. Both are `EINVAL`.
///
/// # Examples
/// ```
/// use mempolicy::weights::parse_weight;
/// assert_eq!(parse_weight("0x10\n")?, 16);
/// assert_eq!(parse_weight("010")?, 8);
/// assert_eq!(parse_weight("+3")?, 3);
/// assert!(parse_weight("256").is_err() && parse_weight("-1").is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn parse_weight(text: &str) -> Result<u8> {
    let value = parse_u64_base0(until_nul(text.as_bytes()))?;
    match u8::try_from(value) {
        Ok(0) | Err(_) => Err(Error::InvalidWeight(value)),
        Ok(weight) => Ok(weight),
    }
}

/// Parses a weight as Linux 6.9–6.15 did: like [`parse_weight`], except that `0` is accepted
/// and means the default weight, 1.
///
/// Before Linux 6.16 a `nodeN` file took any `u8`; a stored 0 was read back, and used by the
/// allocator, as 1 (`get_il_weight`'s "0 means the system default"). Storing 1 instead is
/// the same from every observer's point of view, so the table never holds a 0. Use this to
/// reproduce the older ABI (the conformance recordings come from 6.12).
///
/// # Errors
/// As [`parse_weight`], except that `0` is not an error.
///
/// # Examples
/// ```
/// use mempolicy::weights::{parse_weight, parse_weight_before_6_16};
/// assert_eq!(parse_weight_before_6_16("0\n")?, 1);
/// assert_eq!(parse_weight_before_6_16("0x0")?, 1);
/// assert!(parse_weight("0").is_err());
/// assert!(parse_weight_before_6_16("256").is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn parse_weight_before_6_16(text: &str) -> Result<u8> {
    match parse_weight(text) {
        Err(Error::InvalidWeight(0)) => Ok(1),
        other => other,
    }
}

/// Parses a boolean written to the `auto` file (Linux: `kstrtobool`).
///
/// Only the first character decides, as in Linux: `y`, `t`, `e`, `1` (any case) mean true;
/// `n`, `f`, `d`, `0` mean false; `on` and `of…` are told apart by the second character.
/// Anything after that is ignored (`"yes please"` is true).
///
/// # Errors
/// [`Error::Parse`] (`EINVAL`) for anything else, including the empty string.
///
/// # Examples
/// ```
/// use mempolicy::weights::parse_bool;
/// assert!(parse_bool("true\n")? && parse_bool("on")? && !parse_bool("0")?);
/// assert!(parse_bool("auto").is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn parse_bool(text: &str) -> Result<bool> {
    let bytes = until_nul(text.as_bytes());
    let first = bytes.first().map(u8::to_ascii_lowercase);
    let second = bytes.get(1).map(u8::to_ascii_lowercase);
    match (first, second) {
        (Some(b'y' | b't' | b'e' | b'1'), _) | (Some(b'o'), Some(b'n')) => Ok(true),
        (Some(b'n' | b'f' | b'd' | b'0'), _) | (Some(b'o'), Some(b'f')) => Ok(false),
        (Some(b'o'), _) => Err(Error::Parse(1)),
        _ => Err(Error::Parse(0)),
    }
}

impl WeightTable {
    /// Writes `text` to node `node`'s weight file (Linux: `node_store`): parses it with
    /// [`parse_weight`] and calls [`WeightTable::set_weight`].
    ///
    /// # Errors
    /// [`Error::NotFound`] (`ENOENT`, the file does not exist) if `node` has no memory; the
    /// errors of [`parse_weight`] (`EINVAL`). The table is unchanged on error.
    pub fn store_node(&self, node: NodeId, text: &str) -> Result<()> {
        if !self.memory_nodes().contains(node) {
            return Err(Error::NotFound);
        }
        self.set_weight(node, parse_weight(text)?)
    }

    /// Reads node `node`'s weight file (Linux: `node_show`, which prints it as `"{}\n"`).
    ///
    /// # Errors
    /// [`Error::NotFound`] if `node` has no memory.
    pub fn show_node(&self, node: NodeId) -> Result<u8> {
        if !self.memory_nodes().contains(node) {
            return Err(Error::NotFound);
        }
        Ok(self.snapshot().get(node))
    }

    /// Writes `text` to the `auto` file (Linux: `weighted_interleave_auto_store`): parses it
    /// with [`parse_bool`] and calls [`WeightTable::set_auto`].
    ///
    /// # Errors
    /// The errors of [`parse_bool`] (`EINVAL`) and of [`WeightTable::set_auto`] (`ENODEV`).
    pub fn store_auto(&self, text: &str) -> Result<()> {
        self.set_auto(parse_bool(text)?)
    }

    /// Reads the `auto` file: `"true\n"` or `"false\n"` (Linux:
    /// `weighted_interleave_auto_show`).
    pub fn show_auto(&self) -> &'static str {
        if self.is_auto() {
            "true\n"
        } else {
            "false\n"
        }
    }
}

/// The bytes before the first NUL (Linux strings end there).
fn until_nul(bytes: &[u8]) -> &[u8] {
    bytes
        .iter()
        .position(|&b| b == 0)
        .and_then(|end| bytes.get(..end))
        .unwrap_or(bytes)
}

/// `kstrtoull(s, 0, ..)`, reporting every failure as `Error::Parse(offset)`.
fn parse_u64_base0(bytes: &[u8]) -> Result<u64> {
    let mut at = usize::from(bytes.first() == Some(&b'+'));
    let is_hex_prefix = bytes.get(at) == Some(&b'0')
        && bytes.get(at + 1).map(u8::to_ascii_lowercase) == Some(b'x')
        && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit);
    let radix = if is_hex_prefix {
        at += 2;
        16
    } else if bytes.get(at) == Some(&b'0') {
        8
    } else {
        10
    };
    let digits_start = at;
    let mut value: u64 = 0;
    while let Some(digit) = bytes.get(at).and_then(|&b| char::from(b).to_digit(radix)) {
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or(Error::Parse(digits_start))?;
        at += 1;
    }
    if at == digits_start {
        return Err(Error::Parse(at));
    }
    if bytes.get(at) == Some(&b'\n') {
        at += 1;
    }
    if at != bytes.len() {
        return Err(Error::Parse(at));
    }
    Ok(value)
}

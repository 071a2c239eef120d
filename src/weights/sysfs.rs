//! The text interface of `/sys/kernel/mm/mempolicy/weighted_interleave/` (Linux:
//! `node_show`, `node_store`, `weighted_interleave_auto_show`,
//! `weighted_interleave_auto_store`, with `kstrtou8` and `kstrtobool` parsing).
//!
//! An embedder exposing a sysfs-like file system forwards a write's bytes here and maps the
//! error with [`Error::errno`](crate::Error::errno).

use super::table::WeightTable;
use crate::error::{Error, Result};
use crate::linux::Linux;
use crate::NodeId;

/// Parses a weight written to a `nodeN` file on kernel release `linux` (Linux: the checks
/// of `node_store`, with `kstrtou8` base 0).
///
/// As in Linux: an optional `+`, then `0x`/`0X` and hex digits, or `0` and octal digits, or
/// decimal digits; one trailing newline is allowed; the text ends at the first NUL byte. On
/// Linux 7.3 the weight is `1..=255`. Linux 6.12 also takes `0`, and an empty text (or a
/// lone newline), meaning "the default weight", which reads back as 1: the result is then 1
/// ([`Linux::accepts_zero_weight`]).
///
/// # Errors
/// [`Error::Parse`] (at the offending byte) for text that is not such a number (`"-1"`,
/// `"3x"`, and on 7.3 `""`); [`Error::InvalidWeight`] for a value above 255, and on 7.3 for
/// `0`. All are `EINVAL`.
///
/// # Examples
/// ```
/// use mempolicy::weights::parse_weight;
/// use mempolicy::Linux;
/// assert_eq!(parse_weight("0x10\n", Linux::V7_3)?, 16);
/// assert_eq!(parse_weight("010", Linux::V7_3)?, 8);
/// assert_eq!(parse_weight("+3", Linux::V7_3)?, 3);
/// assert!(parse_weight("256", Linux::V7_3).is_err() && parse_weight("-1", Linux::V7_3).is_err());
/// assert!(parse_weight("0", Linux::V7_3).is_err() && parse_weight("", Linux::V7_3).is_err());
/// assert_eq!(parse_weight("0", Linux::V6_12)?, 1);
/// assert_eq!(parse_weight("", Linux::V6_12)?, 1);
/// assert!(parse_weight("256", Linux::V6_12).is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn parse_weight(text: &str, linux: Linux) -> Result<u8> {
    let bytes = until_nul(text.as_bytes());
    // Linux 6.12: `count == 0 || sysfs_streq(buf, "")` means weight 0.
    if linux.accepts_zero_weight() && matches!(bytes, b"" | b"\n") {
        return Ok(1);
    }
    let value = parse_u64_base0(bytes)?;
    match u8::try_from(value) {
        Ok(0) if linux.accepts_zero_weight() => Ok(1),
        Ok(0) | Err(_) => Err(Error::InvalidWeight(value)),
        Ok(weight) => Ok(weight),
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
    /// [`parse_weight`] for the table's release and calls [`WeightTable::set_weight`], which
    /// also switches the table to manual mode.
    ///
    /// # Errors
    /// [`Error::NotFound`] (`ENOENT`, the file does not exist; see
    /// [`WeightTable::has_node_file`]); the errors of [`parse_weight`] (`EINVAL`). The table is
    /// unchanged on error.
    pub fn store_node(&self, node: NodeId, text: &str) -> Result<()> {
        if !self.has_node_file(node) {
            return Err(Error::NotFound);
        }
        self.set_weight(node, parse_weight(text, self.linux())?)
    }

    /// Reads node `node`'s weight file (Linux: `node_show`, which prints it as `"{}\n"`).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the file does not exist ([`WeightTable::has_node_file`]).
    pub fn show_node(&self, node: NodeId) -> Result<u8> {
        if !self.has_node_file(node) {
            return Err(Error::NotFound);
        }
        Ok(self.snapshot().get(node))
    }

    /// Writes `text` to the `auto` file (Linux: `weighted_interleave_auto_store`): parses it
    /// with [`parse_bool`] and calls [`WeightTable::set_auto`].
    ///
    /// # Errors
    /// [`Error::NotFound`] (`ENOENT`) on a release without the file (Linux 6.12), before any
    /// parsing; the errors of [`parse_bool`] (`EINVAL`) and of [`WeightTable::set_auto`]
    /// (`ENODEV`).
    pub fn store_auto(&self, text: &str) -> Result<()> {
        if !self.linux().has_auto_weights() {
            return Err(Error::NotFound);
        }
        self.set_auto(parse_bool(text)?)
    }

    /// Reads the `auto` file: `"true\n"` or `"false\n"` (Linux:
    /// `weighted_interleave_auto_show`).
    ///
    /// # Errors
    /// [`Error::NotFound`] (`ENOENT`) on a release without the file (Linux 6.12).
    pub fn show_auto(&self) -> Result<&'static str> {
        if !self.linux().has_auto_weights() {
            return Err(Error::NotFound);
        }
        Ok(if self.is_auto() { "true\n" } else { "false\n" })
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

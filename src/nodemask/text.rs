//! The nodelist text format (Linux: `bitmap_parselist` / `nodelist_parse`, and `%*pbl`).
//!
//! Printing gives what the kernel prints in `numa_maps`, sysfs and `/proc`: ascending,
//! comma-separated, a run of two or more nodes as `first-last` (`0-3,5,7-8`), and an empty
//! string for an empty mask. Parsing accepts everything `bitmap_parselist` accepts, including
//! the forms the printer never emits:
//!
//! * regions separated by commas or white space, with any number of separators before,
//!   between and after them; the text ends at the end of the string, a NUL or a newline;
//! * `N` for the highest node (`MAX_NUMNODES - 1`) and `all` (any case) for `0-N`;
//! * a group pattern `first-last:used/group`: in each group of `group` nodes starting at
//!   `first`, the first `used` nodes are set, e.g. `0-1023:2/256` is `0-1,256-257,512-513,
//!   768-769`.
//!
//! Errors follow the kernel's order: a malformed region is [`Error::Parse`] (Linux `EINVAL`,
//! also for `first > last`, `group == 0` and `used > group`), a node beyond the mask is
//! [`Error::NodeOutOfRange`] (`ERANGE`) and a number that does not fit 32 bits is
//! [`Error::NumberOverflow`] (`EOVERFLOW`). Regions before the bad one are not applied: the
//! result is all or nothing.

use core::fmt;
use core::str::FromStr;

use super::{NodeId, NodeMask, MAX_NUMNODES};
use crate::error::{Error, Result};

/// One region `start-end:used/group` of a nodelist.
#[derive(Clone, Copy, Debug)]
struct Region {
    start: u32,
    end: u32,
    used: u32,
    group: u32,
}

/// A cursor over the bytes of a nodelist.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> u8 {
        self.text.get(self.pos).copied().unwrap_or(0)
    }

    fn at_end_of_text(&self) -> bool {
        matches!(self.peek(), 0 | b'\n')
    }

    fn at_separator(&self) -> bool {
        let c = self.peek();
        c == b',' || c.is_ascii_whitespace() || c == 0x0b
    }

    fn at_end_of_region(&self) -> bool {
        self.at_separator() || self.at_end_of_text()
    }

    /// Reads a decimal number or `N` (the highest node).
    fn number(&mut self) -> Result<u32> {
        if self.peek() == b'N' {
            self.pos += 1;
            return Ok((MAX_NUMNODES - 1) as u32);
        }
        let start = self.pos;
        let mut value: u64 = 0;
        let mut overflow = false;
        while self.peek().is_ascii_digit() {
            let digit = u64::from(self.peek() - b'0');
            match value.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(Error::Parse(start));
        }
        if overflow || value > u64::from(u32::MAX) {
            return Err(Error::NumberOverflow(start));
        }
        Ok(value as u32)
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(Error::Parse(self.pos))
        }
    }

    /// Reads one region. The flag is true when the text ends right after it: Linux stops at
    /// a newline that follows a plain region, but skips one that follows a group pattern.
    fn region(&mut self) -> Result<(Region, bool)> {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let (start, end) = if rest
            .get(..3)
            .is_some_and(|word| word.eq_ignore_ascii_case(b"all"))
        {
            self.pos += 3;
            (0, (MAX_NUMNODES - 1) as u32)
        } else {
            let start = self.number()?;
            if self.at_end_of_region() {
                let whole = start.wrapping_add(1);
                let region = Region {
                    start,
                    end: start,
                    used: whole,
                    group: whole,
                };
                return Ok((region, self.at_end_of_text()));
            }
            self.expect(b'-')?;
            (start, self.number()?)
        };
        if self.at_end_of_region() {
            let whole = end.wrapping_add(1);
            return Ok((
                Region {
                    start,
                    end,
                    used: whole,
                    group: whole,
                },
                self.at_end_of_text(),
            ));
        }
        self.expect(b':')?;
        let used = self.number()?;
        self.expect(b'/')?;
        let group = self.number()?;
        Ok((
            Region {
                start,
                end,
                used,
                group,
            },
            false,
        ))
    }
}

impl Region {
    fn check(&self, at: usize) -> Result<()> {
        if self.start > self.end || self.group == 0 || self.used > self.group {
            return Err(Error::Parse(at));
        }
        if self.end as usize >= MAX_NUMNODES {
            return Err(Error::NodeOutOfRange(u64::from(self.end)));
        }
        Ok(())
    }

    fn apply(&self, mask: &mut NodeMask) {
        let mut first = self.start;
        while first <= self.end {
            let len = (self.end - first + 1).min(self.used);
            for node in first..first + len {
                mask.insert(NodeId(node as u16));
            }
            match first.checked_add(self.group) {
                Some(next) => first = next,
                None => break,
            }
        }
    }
}

impl NodeMask {
    /// Parses a nodelist such as `0-3,5` (Linux: `nodelist_parse` / `bitmap_parselist`).
    ///
    /// See the module docs of the text format for the accepted forms.
    ///
    /// # Errors
    /// [`Error::Parse`] for malformed text, [`Error::NodeOutOfRange`] for a node at or
    /// beyond [`MAX_NUMNODES`], [`Error::NumberOverflow`] for a number beyond `u32`.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::NodeMask;
    /// assert_eq!(NodeMask::parse_list("0-7:2/4")?.to_string(), "0-1,4-5");
    /// assert_eq!(NodeMask::parse_list(" 1, 3\n")?.to_string(), "1,3");
    /// assert!(NodeMask::parse_list("3-1").is_err());
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn parse_list(text: &str) -> Result<Self> {
        let mut mask = Self::new();
        let mut cursor = Cursor {
            text: text.as_bytes(),
            pos: 0,
        };
        loop {
            while cursor.at_separator() {
                cursor.pos += 1;
            }
            if cursor.at_end_of_text() {
                return Ok(mask);
            }
            let at = cursor.pos;
            let (region, ends_text) = cursor.region()?;
            region.check(at)?;
            region.apply(&mut mask);
            if ends_text {
                return Ok(mask);
            }
        }
    }

    /// Returns a value that prints the mask as a nodelist, `none` when empty (the style of
    /// the conformance oracle's result lines).
    pub fn display_or_none(&self) -> impl fmt::Display + '_ {
        struct OrNone<'a>(&'a NodeMask);
        impl fmt::Display for OrNone<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.0.is_empty() {
                    f.write_str("none")
                } else {
                    fmt::Display::fmt(self.0, f)
                }
            }
        }
        OrNone(self)
    }
}

impl fmt::Display for NodeMask {
    /// Prints the nodelist as Linux's `%*pbl` does: `0-3,5,7-8`; nothing for an empty mask.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut nodes = self.iter().peekable();
        let mut first = true;
        while let Some(start) = nodes.next() {
            let mut end = start;
            while let Some(&next) = nodes.peek() {
                if next.index() != end.index() + 1 {
                    break;
                }
                end = next;
                nodes.next();
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if end == start {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for NodeMask {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse_list(text)
    }
}

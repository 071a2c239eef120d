//! The policy text format of `/proc/<pid>/numa_maps` and the tmpfs `mpol=` mount option
//! (Linux: `mpol_to_str`, `mpol_parse_str`).
//!
//! Grammar: `<mode>[=<flags>][:<nodelist>]`, with mode names from [`Mode::name`] (two of
//! them contain a space) and the flags `static` or `relative`. Printing adds `balancing`
//! (joined to the other flag with `|`), which parsing does not accept, as in Linux.

use core::fmt;

use super::mempolicy::{Mempolicy, StoredMask};
use super::mode::{Mode, ModeFlags};
use crate::error::{Error, Result};
use crate::nodemask::NodeMask;

impl fmt::Display for Mempolicy {
    /// Prints the policy exactly as `mpol_to_str` does: `interleave:0-3`,
    /// `prefer (many)=static:2-3`, `bind=static|balancing:1`, `local`; the built-in
    /// policies print `default`. The nodelist is the effective nodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_builtin() {
            return f.write_str(Mode::Default.name());
        }
        f.write_str(self.mode.name())?;
        let flags = self.flags;
        if !flags.is_empty() {
            f.write_str("=")?;
            if flags.contains(ModeFlags::STATIC_NODES) {
                f.write_str("static")?;
            } else if flags.contains(ModeFlags::RELATIVE_NODES) {
                f.write_str("relative")?;
            }
            if flags.contains(ModeFlags::NUMA_BALANCING) {
                if flags.bits().count_ones() > 1 {
                    f.write_str("|")?;
                }
                f.write_str("balancing")?;
            }
        }
        if !matches!(self.mode, Mode::Local | Mode::Default) && !self.nodes.is_empty() {
            write!(f, ":{}", self.nodes)?;
        }
        Ok(())
    }
}

/// Parses a tmpfs `mpol=` value (Linux: `mpol_parse_str`). `Ok(None)` is `default`.
///
/// The result is a template: its nodes are the nodelist as written (all of `memory_nodes`
/// for an interleave without a list; the first node for `prefer`), and it keeps the
/// nodelist as its user nodemask, as Linux does for later contextualisation.
///
/// Rules, in Linux's order: a nodelist must parse and name only nodes in `memory_nodes`;
/// the mode name must match exactly; `prefer` takes an optional list of digits only, which
/// must name a node (so `prefer:,` is refused: CVE-2020-11565); `interleave` and
/// `weighted interleave` default to all memory nodes; `local` takes no list; `default`
/// succeeds only without a list (its flags are not even looked at); `bind` and
/// `prefer (many)` need a list; the flags are `static` or `relative`; then the checks of
/// `mpol_new` (a `prefer` without list becomes `local`).
///
/// # Errors
/// [`Error::Parse`] with the byte offset for malformed text (unknown mode or flag, a list
/// where none is allowed or none where one is needed, a non-digit in a `prefer` list);
/// the nodelist errors of [`NodeMask::parse_list`] (offsets in `text`);
/// [`Error::InvalidNode`] for a node without memory; and the errors of
/// [`Mempolicy::create`] ([`Error::EmptyNodemask`], [`Error::FlagsNotAllowed`]).
///
/// # Examples
/// ```
/// use mempolicy::policy::parse_mpol;
/// use mempolicy::NodeMask;
/// let memory: NodeMask = "0-3".parse()?;
/// let pol = parse_mpol("bind=static:1-2", &memory)?.expect("a policy");
/// assert_eq!(pol.to_string(), "bind=static:1-2");
/// assert_eq!(parse_mpol("interleave", &memory)?.map(|p| p.to_string()), Some("interleave:0-3".into()));
/// assert!(parse_mpol("default", &memory)?.is_none());
/// assert!(parse_mpol("prefer:,", &memory).is_err()); // CVE-2020-11565
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn parse_mpol(text: &str, memory_nodes: &NodeMask) -> Result<Option<Mempolicy>> {
    let parts = Parts::split(text);
    let nodes = match parts.nodelist {
        Some((at, list)) => {
            let nodes = NodeMask::parse_list(list).map_err(|e| shift_offset(e, at))?;
            if let Some(bad) = nodes.and_not(memory_nodes).first() {
                return Err(Error::InvalidNode(u64::from(bad.as_u32())));
            }
            nodes
        }
        None => NodeMask::new(),
    };
    let Some(mode) = Mode::ALL.into_iter().find(|m| m.name() == parts.mode) else {
        return Err(Error::Parse(0));
    };
    let nodes = match (mode, parts.nodelist) {
        (Mode::Preferred, Some((at, list))) => {
            if let Some(bad) = list.bytes().position(|b| !b.is_ascii_digit()) {
                return Err(Error::Parse(at + bad));
            }
            if nodes.is_empty() {
                return Err(Error::EmptyNodemask);
            }
            nodes
        }
        (Mode::Interleave | Mode::WeightedInterleave, None) => *memory_nodes,
        (Mode::Local, Some((at, _))) => return Err(Error::Parse(at)),
        (Mode::Default, None) => return Ok(None),
        (Mode::Default, Some((at, _))) => return Err(Error::Parse(at)),
        (Mode::Bind | Mode::PreferredMany, None) => return Err(Error::Parse(text.len())),
        _ => nodes,
    };
    let flags = match parts.flags {
        None => ModeFlags::empty(),
        Some((_, "static")) => ModeFlags::STATIC_NODES,
        Some((_, "relative")) => ModeFlags::RELATIVE_NODES,
        Some((at, _)) => return Err(Error::Parse(at)),
    };
    let Some(mut pol) = Mempolicy::new_unfitted(mode, flags, &nodes)? else {
        return Ok(None);
    };
    pol.set_nodes(match (mode, nodes.first()) {
        (Mode::Preferred, Some(first)) => NodeMask::from_node(first),
        (Mode::Preferred, None) => NodeMask::new(),
        _ => nodes,
    });
    pol.w = StoredMask::User(nodes);
    Ok(Some(pol))
}

/// The three fields of `<mode>[=<flags>][:<nodelist>]`, cut where Linux cuts them: at the
/// first `=` and the first `:`, each field ending where the other separator starts.
struct Parts<'a> {
    mode: &'a str,
    /// Byte offset and text of the flags.
    flags: Option<(usize, &'a str)>,
    /// Byte offset and text of the nodelist.
    nodelist: Option<(usize, &'a str)>,
}

impl<'a> Parts<'a> {
    fn split(text: &'a str) -> Self {
        let eq = text.find('=');
        let colon = text.find(':');
        let field = |start: usize, other: Option<usize>| {
            let end = match other {
                Some(o) if o > start => o,
                _ => text.len(),
            };
            (start + 1, text.get(start + 1..end).unwrap_or(""))
        };
        let mode_end = match (eq, colon) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => text.len(),
        };
        Parts {
            mode: text.get(..mode_end).unwrap_or(""),
            flags: eq.map(|at| field(at, colon)),
            nodelist: colon.map(|at| field(at, eq)),
        }
    }
}

/// Moves the byte offset of a nodelist error from the list to the whole text.
fn shift_offset(err: Error, by: usize) -> Error {
    match err {
        Error::Parse(at) => Error::Parse(at + by),
        Error::NumberOverflow(at) => Error::NumberOverflow(at + by),
        other => other,
    }
}

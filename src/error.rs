//! The crate's one error type, [`Error`], and the Linux errno each variant maps to.
//!
//! Every fallible entry point of the crate returns [`Result`]. A syscall layer in the embedding
//! kernel turns an error into the negative return value Linux would give with
//! [`Error::errno`]. Several variants share an errno (most are `EINVAL`), because Linux itself
//! reports very different mistakes with `EINVAL`; the variant says which mistake it was and
//! carries the offending value.

use core::fmt;

use crate::firmware::Table;

/// Linux errno numbers (x86-64 / asm-generic values) used by this crate.
pub mod errno {
    /// Operation not permitted.
    pub const EPERM: i32 = 1;
    /// No such file or directory (also: "nothing to act on").
    pub const ENOENT: i32 = 2;
    /// No such process.
    pub const ESRCH: i32 = 3;
    /// I/O error (Linux: `mbind` with `MPOL_MF_STRICT` and misplaced pages).
    pub const EIO: i32 = 5;
    /// Try again.
    pub const EAGAIN: i32 = 11;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Permission denied.
    pub const EACCES: i32 = 13;
    /// Bad address.
    pub const EFAULT: i32 = 14;
    /// Device or resource busy.
    pub const EBUSY: i32 = 16;
    /// No such device.
    pub const ENODEV: i32 = 19;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// No space left on device (Linux: cpuset writes).
    pub const ENOSPC: i32 = 28;
    /// Result too large (Linux: a nodelist names a node beyond the mask).
    pub const ERANGE: i32 = 34;
    /// Value too large for defined data type (Linux: a nodelist number overflows).
    pub const EOVERFLOW: i32 = 75;
    /// Operation not supported.
    pub const EOPNOTSUPP: i32 = 95;

    /// Returns the symbolic name of `errno` (`"EINVAL"`), or `None` for numbers this crate
    /// never produces.
    pub const fn name(errno: i32) -> Option<&'static str> {
        Some(match errno {
            EPERM => "EPERM",
            ENOENT => "ENOENT",
            ESRCH => "ESRCH",
            EIO => "EIO",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EACCES => "EACCES",
            EFAULT => "EFAULT",
            EBUSY => "EBUSY",
            ENODEV => "ENODEV",
            EINVAL => "EINVAL",
            ENOSPC => "ENOSPC",
            ERANGE => "ERANGE",
            EOVERFLOW => "EOVERFLOW",
            EOPNOTSUPP => "EOPNOTSUPP",
            _ => return None,
        })
    }
}

/// The error returned by every fallible operation in this crate.
///
/// Variants say what was wrong and carry the bad value; [`Error::errno`] gives the errno Linux
/// returns for the same input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The mode (after removing the mode flags) is not an `MPOL_*` mode (Linux:
    /// `sanitize_mpol_flags`, `(unsigned)mode >= MPOL_MAX`). Carries the raw mode argument.
    UnknownMode(i32),
    /// `MPOL_F_STATIC_NODES` and `MPOL_F_RELATIVE_NODES` were both given. Carries the flags.
    ConflictingModeFlags(u16),
    /// `MPOL_F_NUMA_BALANCING` was given with a mode other than `MPOL_BIND` or
    /// `MPOL_PREFERRED_MANY`. Carries the mode number.
    BalancingNotSupported(u16),
    /// The mode takes no mode flags (`MPOL_LOCAL`, or an empty `MPOL_PREFERRED` with
    /// static/relative). Carries the flags.
    FlagsNotAllowed(u16),
    /// The mode needs at least one node, but the nodemask (after intersection with the
    /// allowed nodes) is empty.
    EmptyNodemask,
    /// The mode takes no nodes (`MPOL_DEFAULT`, `MPOL_LOCAL`), but the nodemask is not empty.
    /// Carries the lowest node given.
    UnexpectedNodes(u32),
    /// A node number is at or beyond `MAX_NUMNODES`, or is not a node the operation accepts.
    /// Carries the number.
    InvalidNode(u64),
    /// A user nodemask sets a bit at or above `MAX_NUMNODES` (Linux: `get_nodes`). Carries the
    /// index of the offending 64-bit word.
    NodeBitsBeyondMax(u64),
    /// `maxnode` is larger than Linux accepts (`maxnode - 1 > PAGE_SIZE * 8`) or than the
    /// destination can hold. Carries `maxnode`.
    MaxnodeTooLarge(u64),
    /// `maxnode` is too small for the operation (Linux: `get_mempolicy` with
    /// `maxnode < nr_node_ids`). Carries `maxnode`.
    MaxnodeTooSmall(u64),
    /// A flag word contains bits the operation does not know, or a forbidden combination.
    /// Carries the flag word.
    InvalidFlags(u64),
    /// An address or length is not page aligned, or a range wraps. Carries the value.
    Unaligned(u64),
    /// An address range is invalid (end before start, overflow). Carries the start.
    InvalidRange(u64),
    /// User memory could not be read or written, or an address has no mapping. Carries the
    /// address (or word index for user nodemasks).
    Fault(u64),
    /// A nodelist or policy string could not be parsed. Carries the byte offset of the error.
    Parse(usize),
    /// A nodelist names a node at or beyond the width of the mask (Linux: `bitmap_parselist`
    /// returns `ERANGE`). Carries the node number.
    NodeOutOfRange(u64),
    /// A number in a nodelist does not fit in 32 bits (Linux: `EOVERFLOW`). Carries the byte
    /// offset of the number.
    NumberOverflow(usize),
    /// A mapping's page offset plus its length in pages wraps past the largest page offset
    /// (Linux: `do_mmap`'s offset overflow check, `EOVERFLOW`). Carries the page offset.
    OffsetOverflow(u64),
    /// An interleave weight is outside `1..=255`. Carries the value given.
    InvalidWeight(u64),
    /// Automatic weights were requested but no node has a known bandwidth (Linux: `ENODEV`).
    NoBandwidth,
    /// The GFP zone modifiers name two zones at once (Linux: `GFP_ZONE_BAD`). Carries the bits.
    ConflictingZoneFlags(u32),
    /// A topology description is inconsistent. Carries a short static explanation.
    InvalidTopology(&'static str),
    /// Memory could not be allocated.
    NoMemory,
    /// The caller lacks a privilege (Linux: `CAP_SYS_NICE`, ptrace access).
    PermissionDenied,
    /// Access to the target is denied (Linux: `move_pages` to a node outside the cpuset).
    AccessDenied,
    /// No object to act on (Linux: `set_mempolicy_home_node` on a range without policies).
    NotFound,
    /// The policy of some object does not support the operation (Linux: `EOPNOTSUPP`).
    NotSupported,
    /// The node exists but cannot take the request (no memory). Carries the node.
    NoDevice(u32),
    /// Pages were misplaced and could not be moved (Linux: `mbind` + `MPOL_MF_STRICT`).
    Misplaced,
    /// No such process.
    NoSuchProcess,
    /// A bounded container is full. Carries its capacity.
    CapacityExceeded(usize),
    /// The target is busy; try again (a CPU handle already in use by the interrupted code,
    /// or already brought up).
    Busy,
    /// A CPU number the machine does not describe, or whose per-CPU handle is not brought
    /// up. Carries the CPU number.
    InvalidCpu(u32),
    /// An ACPI table is malformed where Linux would not use it (see
    /// [`firmware`](crate::firmware#what-is-an-error-and-what-is-ignored)). Carries the table,
    /// the byte offset in it of the header field or entry at fault (the table's length if it
    /// is cut short) and what is wrong.
    FirmwareTable {
        /// The table at fault.
        table: Table,
        /// The byte offset of the field or entry at fault, from the start of the table.
        offset: usize,
        /// What is wrong, in a few words.
        what: &'static str,
    },
}

/// `core::result::Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// Returns the positive errno Linux reports for the same condition.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::{errno, Error};
    /// assert_eq!(Error::EmptyNodemask.errno(), errno::EINVAL);
    /// assert_eq!(Error::Fault(0).errno(), errno::EFAULT);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            Self::UnknownMode(_)
            | Self::ConflictingModeFlags(_)
            | Self::BalancingNotSupported(_)
            | Self::FlagsNotAllowed(_)
            | Self::EmptyNodemask
            | Self::UnexpectedNodes(_)
            | Self::InvalidNode(_)
            | Self::NodeBitsBeyondMax(_)
            | Self::MaxnodeTooLarge(_)
            | Self::MaxnodeTooSmall(_)
            | Self::InvalidFlags(_)
            | Self::Unaligned(_)
            | Self::InvalidRange(_)
            | Self::Parse(_)
            | Self::InvalidWeight(_)
            | Self::ConflictingZoneFlags(_)
            | Self::InvalidTopology(_)
            | Self::InvalidCpu(_)
            | Self::FirmwareTable { .. } => errno::EINVAL,
            Self::Fault(_) => errno::EFAULT,
            Self::NodeOutOfRange(_) => errno::ERANGE,
            Self::NumberOverflow(_) | Self::OffsetOverflow(_) => errno::EOVERFLOW,
            Self::NoBandwidth | Self::NoDevice(_) => errno::ENODEV,
            Self::NoMemory => errno::ENOMEM,
            Self::PermissionDenied => errno::EPERM,
            Self::AccessDenied => errno::EACCES,
            Self::NotFound => errno::ENOENT,
            Self::NotSupported => errno::EOPNOTSUPP,
            Self::Misplaced => errno::EIO,
            Self::NoSuchProcess => errno::ESRCH,
            Self::CapacityExceeded(_) => errno::ENOSPC,
            Self::Busy => errno::EBUSY,
        }
    }

    /// Returns the symbolic errno name (`"EINVAL"`).
    pub const fn errno_name(self) -> &'static str {
        match errno::name(self.errno()) {
            Some(name) => name,
            None => "E?",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnknownMode(m) => write!(f, "mode {m} is not a memory policy mode"),
            Self::ConflictingModeFlags(fl) => {
                write!(
                    f,
                    "mode flags {fl:#x} ask for static and relative nodes at once"
                )
            }
            Self::BalancingNotSupported(m) => {
                write!(
                    f,
                    "numa balancing is only allowed with bind and prefer (many), not mode {m}"
                )
            }
            Self::FlagsNotAllowed(fl) => write!(f, "mode flags {fl:#x} are not allowed here"),
            Self::EmptyNodemask => f.write_str("the policy needs at least one allowed node"),
            Self::UnexpectedNodes(n) => {
                write!(f, "the policy takes no nodes, but node {n} was given")
            }
            Self::InvalidNode(n) => write!(f, "node {n} is not valid here"),
            Self::NodeBitsBeyondMax(w) => {
                write!(
                    f,
                    "user nodemask word {w} sets nodes at or above MAX_NUMNODES"
                )
            }
            Self::MaxnodeTooLarge(m) => write!(f, "maxnode {m} is too large"),
            Self::MaxnodeTooSmall(m) => write!(f, "maxnode {m} is too small"),
            Self::InvalidFlags(fl) => write!(f, "flags {fl:#x} are invalid"),
            Self::Unaligned(v) => write!(f, "{v:#x} is not page aligned"),
            Self::InvalidRange(s) => write!(f, "the range starting at {s:#x} is invalid"),
            Self::Fault(a) => write!(f, "bad address {a:#x}"),
            Self::Parse(at) => write!(f, "cannot parse the text at byte {at}"),
            Self::NodeOutOfRange(n) => write!(f, "node {n} is beyond the nodemask"),
            Self::NumberOverflow(at) => write!(f, "the number at byte {at} is too large"),
            Self::OffsetOverflow(pgoff) => {
                write!(
                    f,
                    "the pages from offset {pgoff:#x} wrap past the largest offset"
                )
            }
            Self::InvalidWeight(w) => write!(f, "weight {w} is outside 1..=255"),
            Self::NoBandwidth => f.write_str("no node has a known bandwidth"),
            Self::ConflictingZoneFlags(b) => write!(f, "gfp zone bits {b:#x} name two zones"),
            Self::InvalidTopology(why) => write!(f, "invalid topology: {why}"),
            Self::NoMemory => f.write_str("out of memory"),
            Self::PermissionDenied => f.write_str("operation not permitted"),
            Self::AccessDenied => f.write_str("access denied"),
            Self::NotFound => f.write_str("nothing to act on"),
            Self::NotSupported => f.write_str("operation not supported by this policy"),
            Self::NoDevice(n) => write!(f, "node {n} has no memory"),
            Self::Misplaced => f.write_str("pages are misplaced and were not moved"),
            Self::NoSuchProcess => f.write_str("no such process"),
            Self::CapacityExceeded(c) => write!(f, "capacity {c} exceeded"),
            Self::Busy => f.write_str("busy, try again"),
            Self::InvalidCpu(c) => write!(f, "cpu {c} is not a cpu of this machine"),
            Self::FirmwareTable {
                table,
                offset,
                what,
            } => write!(f, "ACPI {} table, byte {offset}: {what}", table.name()),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_errno_has_a_name() {
        let all = [
            Error::UnknownMode(7),
            Error::Fault(0),
            Error::OffsetOverflow(u64::MAX),
            Error::NoBandwidth,
            Error::NoMemory,
            Error::PermissionDenied,
            Error::AccessDenied,
            Error::NotFound,
            Error::NotSupported,
            Error::Misplaced,
            Error::NoSuchProcess,
            Error::CapacityExceeded(1),
            Error::Busy,
        ];
        for e in all {
            assert_ne!(e.errno_name(), "E?", "{e:?}");
        }
        assert_eq!(Error::Misplaced.errno_name(), "EIO");
        assert_eq!(Error::NotSupported.errno(), 95);
    }

    #[test]
    fn display_is_lowercase_and_specific() {
        let text = alloc::format!("{}", Error::InvalidWeight(256));
        assert_eq!(text, "weight 256 is outside 1..=255");
    }
}

//! The policy object and its validating constructor (Linux: `struct mempolicy`,
//! `sanitize_mpol_flags`, `mpol_new`, `mpol_set_nodemask`, `__mpol_equal`).

use super::mode::{Mode, ModeFlags, PolicyFlags};
use crate::error::{Error, Result};
use crate::linux::Linux;
use crate::nodemask::{NodeId, NodeMask};

/// What a new policy is fitted to: the caller's cpuset, the nodes with memory, and the
/// kernel release whose rules apply ([`Linux`], the default unless
/// [`NodeContext::with_linux`] says otherwise).
///
/// # Examples
/// ```
/// use mempolicy::policy::NodeContext;
/// use mempolicy::Linux;
/// let ctx = NodeContext::new("0-1".parse()?, "0-3".parse()?);
/// assert_eq!(ctx.allowed().to_string(), "0-1");
/// assert_eq!(ctx.linux, Linux::V7_3);
/// assert_eq!(ctx.with_linux(Linux::V6_12).linux, Linux::V6_12);
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NodeContext {
    /// The task's cpuset nodes (Linux: `cpuset_current_mems_allowed`).
    pub mems_allowed: NodeMask,
    /// The nodes that have memory (Linux: `node_states[N_MEMORY]`).
    pub memory_nodes: NodeMask,
    /// The kernel release whose rules new policies follow; a policy keeps it for its
    /// equality and rebinding ([`Linux::stores_user_nodemask`]).
    pub linux: Linux,
}

impl NodeContext {
    /// Returns a context with these cpuset nodes and memory nodes, for the default
    /// [`Linux`] release.
    pub const fn new(mems_allowed: NodeMask, memory_nodes: NodeMask) -> Self {
        Self {
            mems_allowed,
            memory_nodes,
            linux: Linux::V7_3,
        }
    }

    /// Returns a context without a cpuset restriction: every memory node is allowed.
    pub const fn unrestricted(memory_nodes: NodeMask) -> Self {
        Self::new(memory_nodes, memory_nodes)
    }

    /// Returns the same context for kernel release `linux`.
    #[must_use]
    pub const fn with_linux(self, linux: Linux) -> Self {
        Self { linux, ..self }
    }

    /// Returns the nodes a policy may use: cpuset nodes that have memory (Linux: the
    /// `mask1` of `mpol_set_nodemask`).
    pub const fn allowed(&self) -> NodeMask {
        self.mems_allowed.and(&self.memory_nodes)
    }
}

/// The second nodemask of a policy, whose meaning depends on the mode flags (Linux: the
/// `w` union of `struct mempolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredMask {
    /// The cpuset nodes the policy was last fitted to (Linux: `w.cpuset_mems_allowed`);
    /// policies without static/relative nodes remap by position from it.
    CpusetMems(NodeMask),
    /// The nodemask as the caller gave it (Linux: `w.user_nodemask`), kept by static and
    /// relative policies (and by parsed `mpol=` templates).
    User(NodeMask),
}

impl StoredMask {
    /// Returns the mask, whichever meaning it has (the raw bits of the union).
    pub const fn mask(&self) -> &NodeMask {
        match self {
            StoredMask::CpusetMems(mask) | StoredMask::User(mask) => mask,
        }
    }
}

/// Which object a policy stands for; Linux tells its static policies apart by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// Made by a constructor from caller input.
    Created,
    /// The system default (Linux: `default_policy`).
    SystemDefault,
    /// A per-node boot policy (Linux: `preferred_node_policy[nid]`).
    NodePreferred,
}

/// A memory policy (Linux: `struct mempolicy` without its reference count; see
/// [`PolicyRef`](super::PolicyRef) for sharing).
///
/// Built by [`Mempolicy::from_raw`] (the `set_mempolicy`/`mbind` validation),
/// [`Mempolicy::create`], [`parse_mpol`](super::parse_mpol), or the two built-in policies.
/// `MPOL_DEFAULT` never becomes an object: the constructors return `Ok(None)` for it, as
/// Linux returns `NULL`.
///
/// # Examples
/// ```
/// use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
/// use mempolicy::NodeMask;
/// let ctx = NodeContext::unrestricted("0-3".parse()?);
/// let nodes: NodeMask = "1,5".parse()?;
/// let raw = Mode::Bind.as_raw() | i32::from(ModeFlags::STATIC_NODES.bits());
/// let pol = Mempolicy::from_raw(raw, &nodes, &ctx)?.expect("bind is a policy");
/// assert_eq!(pol.nodes().to_string(), "1"); // node 5 has no memory
/// assert_eq!(pol.user_visible_nodes().to_string(), "1,5");
/// assert_eq!(pol.to_string(), "bind=static:1");
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mempolicy {
    /// Never `Default`: that mode has no object.
    pub(super) mode: Mode,
    /// Invariant: never static and relative together; balancing only with `Bind` or
    /// `PreferredMany` (and then `internal` has `MOF | MORON`).
    pub(super) flags: ModeFlags,
    pub(super) internal: PolicyFlags,
    /// The effective nodes: empty for `Local`, one node for `Preferred`, else non-empty.
    /// Written only through `set_nodes`, which keeps `low` in step.
    pub(super) nodes: NodeMask,
    /// `nodes` as a byte when it is not empty and every node is below 8, else 0: the static
    /// interleave picks of most machines read it instead of the mask's words.
    pub(super) low: u8,
    pub(super) home_node: Option<NodeId>,
    /// Linux's `w` union; its meaning follows `flags` and `linux` (see
    /// `stores_user_nodemask`).
    pub(super) w: StoredMask,
    pub(super) origin: Origin,
    /// The kernel release the policy was created under; it decides which flags keep the
    /// caller's nodemask.
    pub(super) linux: Linux,
}

impl Mempolicy {
    /// Splits a raw `mode` argument into mode and flags and checks them (Linux:
    /// `sanitize_mpol_flags`).
    ///
    /// The internal flags `MOF | MORON` that Linux adds for `NUMA_BALANCING` are added by
    /// [`Mempolicy::create`]; see [`Mempolicy::internal_flags`].
    ///
    /// # Errors
    /// In Linux's order, all `EINVAL`: [`Error::UnknownMode`] when the mode part (after
    /// removing the three mode flags) is not `0..=6`, including negative values and unknown
    /// flag bits; [`Error::ConflictingModeFlags`] for static together with relative;
    /// [`Error::BalancingNotSupported`] for `NUMA_BALANCING` with a mode other than `Bind`
    /// or `PreferredMany`.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::policy::{Mempolicy, Mode, ModeFlags};
    /// assert_eq!(Mempolicy::sanitize_mode(0x8002)?, (Mode::Bind, ModeFlags::STATIC_NODES));
    /// assert!(Mempolicy::sanitize_mode(0x1002).is_err()); // unknown flag bit
    /// assert!(Mempolicy::sanitize_mode(-1).is_err());
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn sanitize_mode(raw_mode: i32) -> Result<(Mode, ModeFlags)> {
        let flag_bits = i32::from(ModeFlags::all().bits());
        let flags = ModeFlags::from_bits_truncate((raw_mode & flag_bits) as u16);
        let mode = match Mode::from_raw(raw_mode & !flag_bits) {
            Ok(mode) => mode,
            Err(_) => return Err(Error::UnknownMode(raw_mode)),
        };
        check_flags(mode, flags)?;
        Ok((mode, flags))
    }

    /// Creates a policy from a checked mode, its flags and a kernel nodemask (Linux:
    /// `mpol_new` followed by `mpol_set_nodemask`).
    ///
    /// Returns `Ok(None)` for `Mode::Default` ("no policy": inherit). An empty `Preferred`
    /// becomes `Local`. The nodes are fitted to `ctx`: intersected with the allowed nodes, or
    /// for relative nodes mapped onto them by position; `Preferred` keeps the first node.
    /// Static and relative policies keep `nodes` as given (the "user nodemask"), and on
    /// Linux 6.12 so do `NUMA_BALANCING` ones ([`Linux::stores_user_nodemask`]); the others
    /// remember the cpuset nodes for later rebinding. The policy keeps `ctx.linux`.
    ///
    /// # Errors
    /// The checks of [`Mempolicy::sanitize_mode`] (repeated here, since the flags type admits
    /// any combination), then all `EINVAL`: [`Error::UnexpectedNodes`] for `Default` or
    /// `Local` with nodes; [`Error::FlagsNotAllowed`] for `Local` (or an empty `Preferred`)
    /// with static/relative; [`Error::EmptyNodemask`] when another mode has no nodes, or none
    /// is left after fitting to `ctx`.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
    /// use mempolicy::NodeMask;
    /// let ctx = NodeContext::unrestricted("0-3".parse()?);
    /// let pol = Mempolicy::create(Mode::Preferred, ModeFlags::empty(), &"1-3".parse()?, &ctx)?;
    /// assert_eq!(pol.map(|p| p.nodes().to_string()), Some("1".into()));
    /// let local = Mempolicy::create(Mode::Preferred, ModeFlags::empty(), &NodeMask::new(), &ctx)?;
    /// assert_eq!(local.map(|p| p.mode()), Some(Mode::Local));
    /// assert!(Mempolicy::create(Mode::Default, ModeFlags::empty(), &NodeMask::new(), &ctx)?.is_none());
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn create(
        mode: Mode,
        flags: ModeFlags,
        nodes: &NodeMask,
        ctx: &NodeContext,
    ) -> Result<Option<Mempolicy>> {
        check_flags(mode, flags)?;
        let Some(mut pol) = Self::new_unfitted(mode, flags, nodes)? else {
            return Ok(None);
        };
        pol.linux = ctx.linux;
        pol.fit(nodes, ctx)?;
        Ok(Some(pol))
    }

    /// Validates a `set_mempolicy`/`mbind` request whose nodemask was already read with
    /// [`NodeMask::from_user`]: [`Mempolicy::sanitize_mode`] then [`Mempolicy::create`].
    ///
    /// (Linux reads the nodemask between the two steps, so a bad mode is reported before a
    /// bad nodemask; a syscall layer calls `sanitize_mode` first to keep that order.)
    ///
    /// # Errors
    /// As [`Mempolicy::sanitize_mode`] and [`Mempolicy::create`].
    pub fn from_raw(
        raw_mode: i32,
        nodes: &NodeMask,
        ctx: &NodeContext,
    ) -> Result<Option<Mempolicy>> {
        let (mode, flags) = Self::sanitize_mode(raw_mode)?;
        Self::create(mode, flags, nodes, ctx)
    }

    /// Fits a template from [`parse_mpol`](super::parse_mpol) to a context: creates a policy
    /// from the template's mode, flags and stored nodemask (Linux: the `mpol_new` +
    /// `mpol_set_nodemask` pair in `mpol_shared_policy_init`, run for each new tmpfs inode).
    ///
    /// # Errors
    /// As [`Mempolicy::create`], e.g. [`Error::EmptyNodemask`] when none of the template's
    /// nodes is allowed in `ctx`.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::policy::{parse_mpol, NodeContext};
    /// let template = parse_mpol("interleave=static:1-3", &"0-3".parse()?)?.expect("a policy");
    /// let ctx = NodeContext::new("2-3".parse()?, "0-3".parse()?);
    /// let pol = template.contextualize(&ctx)?.expect("a policy");
    /// assert_eq!(pol.to_string(), "interleave=static:2-3");
    /// assert_eq!(pol.user_visible_nodes().to_string(), "1-3");
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn contextualize(&self, ctx: &NodeContext) -> Result<Option<Mempolicy>> {
        Self::create(self.mode, self.flags, self.w.mask(), ctx)
    }

    /// The mode checks of `mpol_new`, and an object with the nodes not yet set.
    pub(super) fn new_unfitted(
        mode: Mode,
        flags: ModeFlags,
        nodes: &NodeMask,
    ) -> Result<Option<Mempolicy>> {
        let user_flags = flags & ModeFlags::USER_NODEMASK;
        let mode = match mode {
            Mode::Default => {
                return match nodes.first() {
                    Some(node) => Err(Error::UnexpectedNodes(node.as_u32())),
                    None => Ok(None),
                };
            }
            Mode::Preferred if nodes.is_empty() => {
                if !user_flags.is_empty() {
                    return Err(Error::FlagsNotAllowed(flags.bits()));
                }
                Mode::Local
            }
            Mode::Local => {
                if let Some(node) = nodes.first() {
                    return Err(Error::UnexpectedNodes(node.as_u32()));
                }
                if !user_flags.is_empty() {
                    return Err(Error::FlagsNotAllowed(flags.bits()));
                }
                Mode::Local
            }
            _ if nodes.is_empty() => return Err(Error::EmptyNodemask),
            other => other,
        };
        let internal = if flags.contains(ModeFlags::NUMA_BALANCING) {
            PolicyFlags::MOF | PolicyFlags::MORON
        } else {
            PolicyFlags::empty()
        };
        Ok(Some(Mempolicy {
            mode,
            flags,
            internal,
            nodes: NodeMask::new(),
            low: 0,
            home_node: None,
            w: StoredMask::CpusetMems(NodeMask::new()),
            origin: Origin::Created,
            linux: Linux::V7_3,
        }))
    }

    /// Fits the nodes to the context (Linux: `mpol_set_nodemask` and the `create` ops).
    /// Leaves `self` untouched on error.
    fn fit(&mut self, nodes: &NodeMask, ctx: &NodeContext) -> Result<()> {
        if self.mode == Mode::Local {
            return Ok(());
        }
        let allowed = ctx.allowed();
        let effective = if self.flags.contains(ModeFlags::RELATIVE_NODES) {
            nodes.relative_to(&allowed)
        } else {
            nodes.and(&allowed)
        };
        let Some(first) = effective.first() else {
            return Err(Error::EmptyNodemask);
        };
        self.w = if self.stores_user_nodemask() {
            StoredMask::User(*nodes)
        } else {
            StoredMask::CpusetMems(ctx.mems_allowed)
        };
        self.set_nodes(match self.mode {
            Mode::Preferred => NodeMask::from_node(first),
            _ => effective,
        });
        Ok(())
    }

    /// Sets the effective nodes, and the byte that stands for them (see `low`).
    pub(super) fn set_nodes(&mut self, nodes: NodeMask) {
        self.low = low_byte_of(&nodes);
        self.nodes = nodes;
    }

    /// Returns the effective nodes as a byte when they are not empty and all below 8 (what
    /// `NodeMask::low_byte` finds, kept with the policy so that a pick reads one byte instead
    /// of every word of the mask).
    #[inline]
    pub(crate) const fn low_nodes(&self) -> Option<u64> {
        if self.low == 0 {
            None
        } else {
            Some(self.low as u64)
        }
    }

    /// Returns the system default policy: local allocation, reported to user space as
    /// `MPOL_DEFAULT` and printed as `default` (Linux: `default_policy`).
    pub const fn default_policy() -> Mempolicy {
        Mempolicy {
            mode: Mode::Local,
            flags: ModeFlags::empty(),
            internal: PolicyFlags::empty(),
            nodes: NodeMask::new(),
            low: 0,
            home_node: None,
            w: StoredMask::CpusetMems(NodeMask::new()),
            origin: Origin::SystemDefault,
            linux: Linux::V7_3,
        }
    }

    /// Returns the boot-time policy of tasks running on `node`: prefer that node, migrate on
    /// fault (Linux: `preferred_node_policy[node]` from `numa_policy_init`). It prints as
    /// `default`.
    pub const fn preferred_node_policy(node: NodeId) -> Mempolicy {
        Mempolicy {
            mode: Mode::Preferred,
            flags: ModeFlags::empty(),
            internal: PolicyFlags::MOF.union(PolicyFlags::MORON),
            nodes: NodeMask::from_node(node),
            low: low_byte_of(&NodeMask::from_node(node)),
            home_node: None,
            w: StoredMask::CpusetMems(NodeMask::new()),
            origin: Origin::NodePreferred,
            linux: Linux::V7_3,
        }
    }

    /// Returns the mode (Linux: `pol->mode`); `Local` for the system default.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Returns the mode `get_mempolicy` reports: `Default` for the built-in policies
    /// (Linux: `pol == &default_policy ? MPOL_DEFAULT : pol->mode`), else [`Mempolicy::mode`].
    pub const fn reported_mode(&self) -> Mode {
        match self.origin {
            Origin::Created => self.mode,
            Origin::SystemDefault | Origin::NodePreferred => Mode::Default,
        }
    }

    /// Returns the user-visible mode flags (Linux: `pol->flags & MPOL_MODE_FLAGS`).
    pub const fn flags(&self) -> ModeFlags {
        self.flags
    }

    /// Returns the internal flags (Linux: `pol->flags & ~MPOL_MODE_FLAGS`): `MOF | MORON`
    /// for numa-balancing policies and the per-node boot policies, `SHARED` for policies in
    /// a shared policy tree.
    pub const fn internal_flags(&self) -> PolicyFlags {
        self.internal
    }

    /// Replaces the internal flags (the shared-policy code marks its copies `SHARED`).
    pub fn set_internal_flags(&mut self, flags: PolicyFlags) {
        self.internal = flags;
    }

    /// Returns whether this is one of the built-in policies ([`Mempolicy::default_policy`],
    /// [`Mempolicy::preferred_node_policy`]), which print as `default`.
    pub const fn is_builtin(&self) -> bool {
        !matches!(self.origin, Origin::Created)
    }

    /// Returns the effective nodes the allocator uses (Linux: `pol->nodes`); empty for
    /// `Local`, one node for `Preferred`.
    pub const fn nodes(&self) -> &NodeMask {
        &self.nodes
    }

    /// Returns the home node of a `Bind` or `PreferredMany` policy (Linux: `home_node`,
    /// `NUMA_NO_NODE` is `None`).
    pub const fn home_node(&self) -> Option<NodeId> {
        self.home_node
    }

    /// Sets the home node (Linux: `set_mempolicy_home_node` on a duplicate; that syscall
    /// checks the mode first).
    pub fn set_home_node(&mut self, node: Option<NodeId>) {
        self.home_node = node;
    }

    /// Returns the second nodemask (Linux: the `w` union).
    pub const fn stored_mask(&self) -> &StoredMask {
        &self.w
    }

    /// Returns whether the policy keeps the caller's nodemask (Linux:
    /// `mpol_store_user_nodemask`): static or relative nodes, and on Linux 6.12 also
    /// `NUMA_BALANCING` ([`Linux::stores_user_nodemask`]).
    pub const fn stores_user_nodemask(&self) -> bool {
        self.linux.stores_user_nodemask(self.flags)
    }

    /// Returns the kernel release the policy was created under (the `linux` of its
    /// [`NodeContext`]; the built-in and parsed policies, which have no flag it could
    /// change, say [`Linux::V7_3`]).
    pub const fn linux(&self) -> Linux {
        self.linux
    }

    /// Returns the nodemask `get_mempolicy` reports: the caller's nodemask for static and
    /// relative policies, else the effective nodes, empty for `Local` and the built-in
    /// policies (Linux: `do_get_mempolicy`, `get_policy_nodemask`).
    pub const fn user_visible_nodes(&self) -> NodeMask {
        if self.is_builtin() {
            NodeMask::new()
        } else if self.stores_user_nodemask() {
            *self.w.mask()
        } else {
            self.nodes
        }
    }

    /// Returns whether two policies behave alike (Linux: `__mpol_equal`): same mode, flags
    /// (internal ones included) and home node, same user nodemask when it is kept, and same
    /// nodes unless the mode is `Local`.
    pub fn is_equal(&self, other: &Mempolicy) -> bool {
        if self.mode != other.mode
            || self.flags != other.flags
            || self.internal != other.internal
            || self.home_node != other.home_node
        {
            return false;
        }
        if self.stores_user_nodemask() && self.w.mask() != other.w.mask() {
            return false;
        }
        self.mode == Mode::Local || self.nodes == other.nodes
    }
}

impl PartialEq for Mempolicy {
    fn eq(&self, other: &Self) -> bool {
        self.is_equal(other)
    }
}

impl Eq for Mempolicy {}

/// The flag rules of `sanitize_mpol_flags` for an already split mode.
fn check_flags(mode: Mode, flags: ModeFlags) -> Result<()> {
    if flags.contains(ModeFlags::USER_NODEMASK) {
        return Err(Error::ConflictingModeFlags(flags.bits()));
    }
    if flags.contains(ModeFlags::NUMA_BALANCING)
        && !matches!(mode, Mode::Bind | Mode::PreferredMany)
    {
        return Err(Error::BalancingNotSupported(mode as u16));
    }
    Ok(())
}

/// `nodes` as a byte when it is not empty and every node is below 8, else 0.
const fn low_byte_of(nodes: &NodeMask) -> u8 {
    match nodes.low_byte() {
        Some(byte) => byte as u8,
        None => 0,
    }
}

//! The memory-policy system calls (`mempolicy::abi`) on a sequence of arbitrary argument
//! tuples, with mmap/munmap on the address space, an in-fuzzer user memory and a page
//! mover: no panic, and a call that fails leaves the task policy, its interleave cursor and
//! every range with its policy exactly as they were (except where Linux keeps partial work:
//! `set_mempolicy_home_node`'s `EOPNOTSUPP` and `mbind`'s `EIO` after moving pages). The
//! migration queue is always empty after a call.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, MbindArgs, MbindContext, MigrateHooks, MigrationTarget,
    PageAction, PageMover, PageNode, Privileges, SharedObject, SharedPolicy, SystemNodes, Task,
    UserMemory,
};
use mempolicy::policy::{Mempolicy, PolicyDefaults};
use mempolicy::{Error, NodeId, NodeMask, Result, MAX_NUMNODES};

const PAGE: u64 = 4096;
/// The user nodemask buffer: `WORDS` words.
const NMASK: u64 = 0x7000_0000;
const WORDS: usize = 32;
/// The user `int` of `get_mempolicy`'s policy word.
const POLICY: u64 = 0x7100_0000;
/// Where the fuzzer's small addresses start.
const BASE: u64 = 0x1_0000_0000;
const MAX_CALLS: usize = 64;

/// A user pointer: NULL, a word of the nodemask buffer, the policy int, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Ptr {
    Null,
    Word(u8),
    Policy,
    Raw(u64),
}

impl Ptr {
    fn get(self) -> u64 {
        match self {
            Ptr::Null => 0,
            Ptr::Word(i) => NMASK + 8 * u64::from(i % (WORDS as u8 + 2)),
            Ptr::Policy => POLICY,
            Ptr::Raw(a) => a,
        }
    }
}

/// An address: 0, a page (plus bytes) near `BASE`, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Addr {
    Null,
    Page(u8),
    Inside(u8, u16),
    Raw(u64),
}

impl Addr {
    fn get(self) -> u64 {
        match self {
            Addr::Null => 0,
            Addr::Page(p) => BASE + u64::from(p % 64) * PAGE,
            Addr::Inside(p, off) => BASE + u64::from(p % 64) * PAGE + u64::from(off) % PAGE,
            Addr::Raw(a) => a,
        }
    }
}

/// A byte length: pages, pages with an odd tail, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Len {
    Pages(u8),
    Bytes(u16),
    Raw(u64),
}

impl Len {
    fn get(self) -> u64 {
        match self {
            Len::Pages(p) => u64::from(p % 65) * PAGE,
            Len::Bytes(b) => u64::from(b),
            Len::Raw(l) => l,
        }
    }
}

/// `maxnode`: small, around the word sizes, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum MaxNode {
    Small(u8),
    Words(u8),
    Raw(u64),
}

impl MaxNode {
    fn get(self) -> u64 {
        match self {
            MaxNode::Small(n) => u64::from(n),
            MaxNode::Words(w) => u64::from(w % 40) * 64 + 1,
            MaxNode::Raw(n) => n,
        }
    }
}

/// A mode word: a mode with mode flags, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum ModeArg {
    Mode { mode: u8, flags: u8 },
    Raw(i32),
}

impl ModeArg {
    fn get(self) -> i32 {
        match self {
            ModeArg::Mode { mode, flags } => {
                // STATIC_NODES, RELATIVE_NODES, NUMA_BALANCING, and an unknown bit.
                let bits = [0x8000, 0x4000, 0x2000, 0x1000];
                let flags = (0..4)
                    .filter(|i| flags & (1 << i) != 0)
                    .fold(0, |acc, i| acc | bits[i]);
                i32::from(mode % 8) | flags
            }
            ModeArg::Raw(raw) => raw,
        }
    }
}

/// A flag word: low bits, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Flags {
    Low(u8),
    Raw(u64),
}

impl Flags {
    fn get(self) -> u64 {
        match self {
            Flags::Low(f) => u64::from(f % 16),
            Flags::Raw(f) => f,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Call {
    SetMempolicy {
        mode: ModeArg,
        nmask: Ptr,
        maxnode: MaxNode,
    },
    GetMempolicy {
        policy: Ptr,
        nmask: Ptr,
        maxnode: MaxNode,
        addr: Addr,
        flags: Flags,
    },
    Mbind {
        start: Addr,
        len: Len,
        mode: ModeArg,
        nmask: Ptr,
        maxnode: MaxNode,
        flags: Flags,
    },
    HomeNode {
        start: Addr,
        len: Len,
        home_node: u64,
        flags: Flags,
    },
    MigratePages {
        pid: i8,
        maxnode: MaxNode,
        old: Ptr,
        new: Ptr,
    },
    Mmap {
        start: Addr,
        len: Len,
        pgoff: u16,
    },
    /// Maps (part of) one of two shared objects.
    MmapShared {
        start: Addr,
        len: Len,
        pgoff: u16,
        second: bool,
    },
    Munmap {
        start: Addr,
        len: Len,
    },
    /// Writes a word of the user nodemask buffer.
    Poke {
        word: u8,
        value: u64,
    },
    /// Puts a page at `addr` on `node`.
    Touch {
        addr: Addr,
        node: u8,
    },
    /// The next `isolate` isolations and `migrate` migrations fail; `hard` makes the next
    /// node-to-node move fail.
    Failures {
        isolate: u8,
        migrate: u8,
        hard: bool,
    },
    Privileged(bool),
    /// A cpuset change: the task and its ranges are rebound.
    Rebind {
        mems: u8,
    },
}

/// The embedder: user memory, pages, the migration queue, privileges.
#[derive(Debug)]
struct Env {
    words: [u64; WORDS],
    policy_word: i32,
    pages: BTreeMap<u64, NodeId>,
    queued: Vec<u64>,
    privileged: bool,
    isolate_failures: u8,
    migrate_failures: u8,
    hard_failure: bool,
}

impl Env {
    fn new() -> Self {
        // Useful masks from the start: the memory nodes, two nodes, all possible nodes, a
        // memoryless node, an offline one, a node beyond the possible ones.
        let mut words = [0; WORDS];
        words[..6].copy_from_slice(&[0x17, 0x3, 0xff, 0x8, 0x40, 1 << 40]);
        Self {
            words,
            policy_word: 0,
            pages: BTreeMap::new(),
            queued: Vec::new(),
            privileged: false,
            isolate_failures: 0,
            migrate_failures: 0,
            hard_failure: false,
        }
    }

    fn word(addr: u64) -> Result<usize> {
        let i = addr.wrapping_sub(NMASK) / 8;
        if addr < NMASK || addr % 8 != 0 || i >= WORDS as u64 {
            return Err(Error::Fault(addr));
        }
        Ok(i as usize)
    }
}

impl UserMemory for Env {
    fn read_u64(&mut self, addr: u64) -> Result<u64> {
        Ok(self.words[Self::word(addr)?])
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> Result<()> {
        self.words[Self::word(addr)?] = value;
        Ok(())
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> Result<()> {
        if addr != POLICY {
            return Err(Error::Fault(addr));
        }
        self.policy_word = value;
        Ok(())
    }
}

impl Privileges for Env {
    fn capable_sys_nice(&self) -> bool {
        self.privileged
    }
}

impl PageNode for Env {
    fn node_of_page(&mut self, addr: u64) -> Result<NodeId> {
        self.pages.get(&addr).copied().ok_or(Error::Fault(addr))
    }
}

impl PageMover for Env {
    fn for_each_page(
        &mut self,
        start: u64,
        end: u64,
        _move_all: bool,
        visit: &mut dyn FnMut(u64, NodeId) -> PageAction,
    ) -> u64 {
        assert!(start <= end, "page walk {start:#x}..{end:#x}");
        let mut failed = 0;
        for (&addr, &node) in self.pages.range(start..end) {
            match visit(addr, node) {
                PageAction::Keep => {}
                PageAction::Isolate if self.isolate_failures > 0 => {
                    self.isolate_failures -= 1;
                    failed += 1;
                }
                PageAction::Isolate => self.queued.push(addr),
                PageAction::Stop => break,
            }
        }
        failed
    }

    fn migrate_isolated<'p>(&mut self, target: &mut dyn FnMut(u64) -> MigrationTarget<'p>) -> u64 {
        let mut failed = 0;
        for addr in std::mem::take(&mut self.queued) {
            let t = target(addr);
            if self.migrate_failures > 0 {
                self.migrate_failures -= 1;
                failed += 1;
                continue;
            }
            let node = t
                .node
                .or_else(|| t.policy.home_node())
                .or_else(|| t.policy.nodes().first())
                .unwrap_or(NodeId::new(0));
            self.pages.insert(addr, node);
        }
        failed
    }

    fn putback_isolated(&mut self) {
        self.queued.clear();
    }
}

impl MigrateHooks for Env {
    fn target_mems_allowed(&mut self, pid: i32) -> Result<NodeMask> {
        match pid {
            0 => Ok(mask(0x3f)),
            1 => Ok(mask(0x3)),
            2 => Err(Error::PermissionDenied),
            _ => Err(Error::NoSuchProcess),
        }
    }

    fn may_move_memory(&mut self, pid: i32) -> Result<()> {
        if pid == 1 && !self.privileged {
            return Err(Error::AccessDenied);
        }
        Ok(())
    }

    fn migrate_to_node(&mut self, _: i32, source: NodeId, dest: NodeId, _: bool) -> Result<u64> {
        if std::mem::take(&mut self.hard_failure) {
            return Err(Error::NoMemory);
        }
        let mut moved = 0;
        for node in self.pages.values_mut() {
            if *node == source {
                *node = dest;
                moved += 1;
            }
        }
        Ok(moved % 3)
    }
}

type Object = Arc<SharedObject<Mempolicy>>;
/// A policy as text and as its `Debug` form (which shows everything, the user mask too).
type Described = (String, String);

/// What a failed call must not change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    task: Option<Described>,
    cursor: String,
    mems_allowed: NodeMask,
    /// Start, end, page offset, policy of every range.
    ranges: Vec<(u64, u64, u64, Option<Described>)>,
    /// The policy ranges of the shared objects.
    objects: Vec<Vec<(u64, u64, Described)>>,
}

fn describe(p: &Mempolicy) -> Described {
    (p.to_string(), format!("{p:?}"))
}

fn snapshot(task: &Task, mm: &AddressSpace<Mempolicy>, objects: &[Object]) -> Snapshot {
    Snapshot {
        task: task.policy().map(|p| describe(p)),
        cursor: format!("{:?}", task.cursor()),
        mems_allowed: *task.mems_allowed(),
        ranges: mm
            .iter()
            .map(|m| {
                (
                    m.start(),
                    m.end(),
                    m.pgoff(),
                    m.policy().map(|p| describe(p)),
                )
            })
            .collect(),
        objects: objects
            .iter()
            .map(|o| o.with(|tree| tree.iter().map(|(s, e, p)| (s, e, describe(p))).collect()))
            .collect(),
    }
}

fn mask(bits: u64) -> NodeMask {
    let mut mask = NodeMask::new();
    for bit in 0..64.min(MAX_NUMNODES) {
        if bits & (1 << bit) != 0 {
            mask.insert(NodeId::new(bit));
        }
    }
    mask
}

fuzz_target!(|calls: Vec<Call>| {
    // Nodes 0-7 possible, 0-5 online, memory on 0-2 and 4 (node 3 online but memoryless).
    let sys = SystemNodes::new(mask(0xff), mask(0x3f), mask(0x17));
    let defaults = PolicyDefaults::new();
    let weights = [3u8, 1, 2, 1, 5, 1, 1, 1];
    let mut task = Task::new(mask(0x3f));
    let mut mm = AddressSpace::<Mempolicy>::new();
    let mut env = Env::new();
    let objects: [Object; 2] = [
        Arc::new(SharedObject::new(SharedPolicy::new(7))),
        Arc::new(SharedObject::new(SharedPolicy::new(1 << 20))),
    ];
    for call in calls.iter().take(MAX_CALLS) {
        let before = snapshot(&task, &mm, &objects);
        let (result, partial_ok): (Result<i64>, bool) = match *call {
            Call::SetMempolicy {
                mode,
                nmask,
                maxnode,
            } => (
                abi::set_mempolicy(
                    &mut task,
                    &sys,
                    &mut env,
                    mode.get(),
                    nmask.get(),
                    maxnode.get(),
                ),
                false,
            ),
            Call::GetMempolicy {
                policy,
                nmask,
                maxnode,
                addr,
                flags,
            } => {
                let args = GetMempolicyArgs {
                    policy: policy.get(),
                    nmask: nmask.get(),
                    maxnode: maxnode.get(),
                    addr: addr.get(),
                    flags: flags.get(),
                };
                let result = abi::get_mempolicy(&task, &mm, &sys, &mut env, args);
                assert_eq!(
                    snapshot(&task, &mm, &objects),
                    before,
                    "{call:?} changed the state"
                );
                (result, false)
            }
            Call::Mbind {
                start,
                len,
                mode,
                nmask,
                maxnode,
                flags,
            } => {
                let ctx = MbindContext {
                    nodes: &sys,
                    defaults: &defaults,
                    weights: &weights,
                    this_node: Some(NodeId::new(0)),
                };
                let args = MbindArgs {
                    start: start.get(),
                    len: len.get(),
                    mode: mode.get(),
                    nmask: nmask.get(),
                    maxnode: maxnode.get(),
                    flags: flags.get(),
                };
                let moving = args.flags & (abi::MF_MOVE | abi::MF_MOVE_ALL) != 0;
                let result = abi::mbind(&task, &mut mm, &ctx, &mut env, args);
                // Linux applies the policy before it finds pages that would not move.
                let partial = moving && matches!(result, Err(Error::Misplaced));
                (result, partial)
            }
            Call::HomeNode {
                start,
                len,
                home_node,
                flags,
            } => {
                let result = abi::set_mempolicy_home_node(
                    &mut mm,
                    &sys,
                    start.get(),
                    len.get(),
                    home_node % 16,
                    flags.get(),
                );
                // Ranges before the first refused one keep their new home node.
                let partial = matches!(result, Err(Error::NotSupported));
                (result, partial)
            }
            Call::MigratePages {
                pid,
                maxnode,
                old,
                new,
            } => (
                abi::migrate_pages(
                    &task,
                    &mut env,
                    i32::from(pid),
                    maxnode.get(),
                    old.get(),
                    new.get(),
                ),
                false,
            ),
            Call::Mmap { start, len, pgoff } => (
                mm.mmap(start.get(), len.get(), u64::from(pgoff), ())
                    .map(|()| 0),
                false,
            ),
            Call::MmapShared {
                start,
                len,
                pgoff,
                second,
            } => {
                let object = Arc::clone(&objects[usize::from(second)]);
                let result = mm.mmap_shared(start.get(), len.get(), u64::from(pgoff), (), object);
                (result.map(|()| 0), false)
            }
            Call::Munmap { start, len } => {
                let result = mm.munmap(start.get(), len.get()).map(|()| 0);
                if result.is_ok() {
                    let start = start.get();
                    let end =
                        start.saturating_add(len.get().saturating_add(PAGE - 1) & !(PAGE - 1));
                    env.pages.retain(|&a, _| a < start || a >= end);
                }
                (result, false)
            }
            Call::Poke { word, value } => {
                env.words[usize::from(word) % WORDS] = value;
                continue;
            }
            Call::Touch { addr, node } => {
                let addr = addr.get() & !(PAGE - 1);
                env.pages.insert(addr, NodeId::new(usize::from(node % 6)));
                continue;
            }
            Call::Failures {
                isolate,
                migrate,
                hard,
            } => {
                env.isolate_failures = isolate % 4;
                env.migrate_failures = migrate % 4;
                env.hard_failure = hard;
                continue;
            }
            Call::Privileged(on) => {
                env.privileged = on;
                continue;
            }
            Call::Rebind { mems } => {
                // Linux rebinds to the effective mems: never empty, only nodes with memory.
                let mems = mask(u64::from(mems)) & sys.memory;
                if !mems.is_empty() {
                    abi::cpuset_rebind(&mut task, &mut mm, mems);
                }
                continue;
            }
        };
        assert!(env.queued.is_empty(), "{call:?} left isolated pages queued");
        if let Err(e) = result {
            // Every error maps to an errno.
            assert!(e.errno() > 0, "{e:?}");
            if !partial_ok {
                assert_eq!(
                    snapshot(&task, &mm, &objects),
                    before,
                    "{call:?} failed with {e:?} and changed the state"
                );
            }
        }
    }
});

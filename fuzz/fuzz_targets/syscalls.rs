//! The memory-policy system calls (`mempolicy::abi`) on a sequence of arbitrary argument
//! tuples, with mmap/munmap on the address space, on the test kit's kernel (user memory,
//! pages, a page mover that allocates its targets through the kernel-facing layer): no
//! panic, and a call that fails leaves the task policy, its interleave cursor and every
//! range with its policy exactly as they were (except where Linux keeps partial work:
//! `set_mempolicy_home_node`'s `EOPNOTSUPP` and `mbind`'s `EIO` after moving pages). The
//! migration queue is always empty after a call.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, MbindArgs, SharedObject, SharedPolicy, SystemNodes, Task,
};
use mempolicy::gfp::ZoneType;
use mempolicy::machine::Machine;
use mempolicy::policy::Mempolicy;
use mempolicy::topology::{Topology, TopologyBuilder};
use mempolicy::{Error, NodeId, NodeMask, Result, MAX_NUMNODES};
use mempolicy_testkit::{Kernel, Process, Resident, User};

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

/// The machine description: nodes 0-7 possible, 0-5 online, memory on 0-2 and 4 (node 3
/// online but memoryless, with a CPU), built once.
fn topology() -> &'static Topology {
    static TOPOLOGY: OnceLock<Topology> = OnceLock::new();
    TOPOLOGY.get_or_init(|| {
        let n = NodeId::new;
        let mut builder = TopologyBuilder::new().possible(mask(0xff));
        for node in 0..6 {
            builder = builder.online(n(node));
        }
        for node in [0, 1, 2, 4] {
            builder = builder.zone(n(node), ZoneType::Normal, 1 << 16);
        }
        builder
            .cpu(0, n(0))
            .cpu(1, n(3))
            .build()
            .expect("a topology")
    })
}

/// The machine of one input, with node weights set. A fresh one per input: it and its epoch
/// domain go at the end of the input, so every object an input allocated is freed by then
/// and libFuzzer's leak check stays on (a machine kept across inputs holds the epoch
/// collector's garbage from one input to the next, which looks like a leak to libFuzzer, so
/// it would stop checking after a thousand false alarms).
fn machine() -> Machine {
    let machine = Machine::new(topology().clone());
    for (node, weight) in [(0, 3), (2, 2), (4, 5)] {
        machine
            .weights()
            .set_weight(NodeId::new(node), weight)
            .expect("a weight");
    }
    machine
}

/// The kernel of one input: user memory with useful masks from the start (the memory
/// nodes, two nodes, all possible nodes, a memoryless node, an offline one, a node beyond
/// the possible ones) in a buffer of `WORDS` words, and three other processes.
fn kernel(machine: &Machine) -> Kernel<'_> {
    let mut kernel = Kernel::new(machine);
    let mut user = User::unmapped();
    user.map_words(NMASK, WORDS, 0);
    user.set_mask(NMASK, &[0x17, 0x3, 0xff, 0x8, 0x40, 1 << 40]);
    kernel.user = user;
    kernel.processes.insert(
        0,
        Process {
            mems: mask(0x3f),
            ptrace: true,
            may_move: true,
        },
    );
    kernel.processes.insert(
        1,
        Process {
            mems: mask(0x3),
            ptrace: true,
            may_move: false,
        },
    );
    kernel.processes.insert(
        2,
        Process {
            mems: mask(0x3f),
            ptrace: false,
            may_move: true,
        },
    );
    kernel
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
    let machine = &machine();
    let sys = machine.with_topology(|t| SystemNodes::from(t));
    let mut task = Task::new(mask(0x3f));
    let mut mm = AddressSpace::<Mempolicy>::new();
    let mut env = kernel(machine);
    let objects: [Object; 2] = [
        Arc::new(SharedObject::new(machine.domain(), SharedPolicy::new(7))),
        Arc::new(SharedObject::new(
            machine.domain(),
            SharedPolicy::new(1 << 20),
        )),
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
                let args = MbindArgs {
                    start: start.get(),
                    len: len.get(),
                    mode: mode.get(),
                    nmask: nmask.get(),
                    maxnode: maxnode.get(),
                    flags: flags.get(),
                };
                let moving = args.flags & (abi::MF_MOVE | abi::MF_MOVE_ALL) != 0;
                env.mems_allowed = *task.mems_allowed();
                let (defaults, n0) = (machine.defaults(), NodeId::new(0));
                let result = abi::mbind(&task, &mut mm, &sys, defaults, n0, &mut env, args);
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
                    env.pages.remove_range(start, end);
                }
                (result, false)
            }
            Call::Poke { word, value } => {
                let mut words = env.user.mask(NMASK).to_vec();
                words[usize::from(word) % WORDS] = value;
                env.user.set_mask(NMASK, &words);
                continue;
            }
            Call::Touch { addr, node } => {
                let addr = addr.get() & !(PAGE - 1);
                let node = NodeId::new(usize::from(node % 6));
                env.pages.insert(addr, Resident::anon(node));
                continue;
            }
            Call::Failures {
                isolate,
                migrate,
                hard,
            } => {
                env.failures.isolate = u64::from(isolate % 4);
                env.failures.migrate = u64::from(migrate % 4);
                env.failures.hard_move = hard;
                continue;
            }
            Call::Privileged(on) => {
                env.privileged = on;
                // The security module lets only a privileged caller move process 1's memory.
                if let Some(p) = env.processes.get_mut(&1) {
                    p.may_move = on;
                }
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
        assert!(
            env.isolated.is_empty(),
            "{call:?} left isolated pages queued"
        );
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

//! A tiny replay harness for the conformance case scripts, on the test kit's kernel: the
//! recorded 4-node machine (node 0 cpu0, node 1 cpu1, nodes 2-3 memory only), one task, one
//! address space, and the kernel's user memory and pages. Placements go through the crate's
//! kernel-facing layer.
#![allow(dead_code)]

use core::fmt::Write as _;
use std::collections::BTreeMap;

use mempolicy::abi::{self, AddressSpace, GetMempolicyArgs, MbindArgs, SystemNodes, Task};
use mempolicy::machine::Machine;
use mempolicy::policy::Mempolicy;
use mempolicy::topology::Topology;
use mempolicy::NodeMask;
pub(crate) use mempolicy_testkit::recorded;
use mempolicy_testkit::{Kernel, Process, MASK_A, MASK_B, POLICY_WORD};

use recorded::{policy_text_only, Row};

pub(crate) const PAGE: u64 = 4096;
/// The user nodemask buffer (8 KiB, like the oracle's).
pub(crate) const NMASK: u64 = MASK_A;
/// The user `int` for get_mempolicy's policy word.
pub(crate) const POLICY: u64 = POLICY_WORD;
/// The recorded machine (run.sh's default).
pub(crate) const N4: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

/// The machine, the kernel and one process: its task, address space and named regions.
#[derive(Debug)]
pub(crate) struct Harness {
    pub(crate) sys: SystemNodes,
    pub(crate) task: Task,
    pub(crate) mm: AddressSpace<Mempolicy, Option<u64>>,
    pub(crate) kernel: Kernel<'static>,
    regions: BTreeMap<String, u64>,
    next_anon: u64,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

fn mask(s: &str) -> NodeMask {
    s.parse().unwrap()
}

/// Parses `A|B|3` with the symbolic names of the oracle's language.
fn parse_bits(text: &str) -> u64 {
    use mempolicy_testkit::script;
    let all: Vec<(&str, u64)> = script::MODE_SYMS
        .iter()
        .chain(script::GFLAG_SYMS)
        .chain(script::MBFLAG_SYMS)
        .copied()
        .collect();
    text.split('|')
        .map(|item| {
            let item = item.to_ascii_uppercase();
            let bare = item
                .trim_start_matches("MPOL_MF_")
                .trim_start_matches("MPOL_F_")
                .trim_start_matches("MPOL_");
            all.iter()
                .find(|(name, _)| *name == bare)
                .map_or_else(|| parse_num(bare), |(_, v)| *v)
        })
        .fold(0, |a, b| a | b)
}

fn parse_num(text: &str) -> u64 {
    mempolicy_testkit::script::parse_num(text.as_bytes()).unwrap()
}

/// `P` or `P+B` pages-and-bytes.
fn parse_pb(text: &str) -> u64 {
    mempolicy_testkit::script::parse_pagebytes(text.as_bytes()).unwrap()
}

fn status(result: mempolicy::Result<i64>) -> String {
    match result {
        Ok(v) => format!("ret={v}"),
        Err(e) => format!("err={}", e.errno_name()),
    }
}

fn mode_name(value: i32) -> String {
    mempolicy_testkit::script::format_mode(i64::from(value))
}

impl Harness {
    /// The recorded machine; the task's cpuset is every node.
    pub(crate) fn new() -> Self {
        Self::with_spec(N4)
    }

    /// The machine of a run.sh NODES_SPEC; the task's cpuset is every memory node.
    pub(crate) fn with_spec(spec: &str) -> Self {
        // One machine per test, for the whole test: leaking it lets the kernel's CPU handles
        // borrow it for `'static`.
        let topology = Topology::from_nodes_spec(spec).unwrap();
        let memory = *topology.memory_nodes();
        let machine: &'static Machine = Box::leak(Box::new(Machine::new(topology)));
        let sys = machine.with_topology(|t| SystemNodes::from(t));
        Self {
            sys,
            task: Task::new(memory),
            mm: AddressSpace::new(),
            kernel: Kernel::new(machine),
            regions: BTreeMap::new(),
            next_anon: 1,
        }
    }

    /// The machine.
    pub(crate) fn machine(&self) -> &'static Machine {
        self.kernel.machine()
    }

    /// Sets the caller's process entry: its cpuset (`None`: no such process) and ptrace.
    pub(crate) fn set_target(&mut self, mems: Option<NodeMask>, ptrace: bool) {
        match mems {
            None => {
                self.kernel.processes.remove(&0);
            }
            Some(mems) => {
                self.kernel.processes.insert(
                    0,
                    Process {
                        mems,
                        ptrace,
                        may_move: true,
                    },
                );
            }
        }
    }

    /// Runs one script line and returns its result line (without `L<n>`).
    pub(crate) fn run(&mut self, line: &str) -> String {
        let t: Vec<&str> = line.split_whitespace().collect();
        match t[0] {
            "set_mempolicy" => self.set_mempolicy(t[1], t[2], t[3], t[4]),
            "get_mempolicy" => self.get_mempolicy(
                t[1],
                t.get(2).copied().unwrap_or("64"),
                t.get(3).copied().unwrap_or("-"),
            ),
            "mmap" => self.mmap(t[1], parse_num(t[2])),
            "munmap" => self.munmap(t[1], parse_num(t[2]), parse_num(t[3])),
            "mbind" => self.mbind(&t[1..]),
            "home_node" => self.home_node(&t[1..]),
            "touch" => self.touch(t[1], parse_num(t[2]), parse_num(t[3])),
            "where" => self.where_(t[1], parse_num(t[2]), parse_num(t[3])),
            "numa_maps" => self.numa_maps(),
            "migrate_pages" => self.migrate_pages(t[1], t[2], t[3]),
            "cpuset_mems" => {
                let mems = mask(t[1]);
                self.machine()
                    .cpuset_rebind(&mut self.task, &mut self.mm, mems);
                self.kernel.mems_allowed = mems;
                "ret=0".into()
            }
            "reset" => {
                self.task.install_policy(None);
                self.mm = AddressSpace::new();
                self.regions.clear();
                self.kernel.pages = mempolicy_testkit::Pages::new();
                "ok".into()
            }
            other => panic!("unknown command {other}"),
        }
    }

    /// Fills the nodemask buffer from a `NODES` token; returns the pointer.
    fn load_nodes(&mut self, nodes: &str) -> u64 {
        self.load_nodes_at(nodes, NMASK)
    }

    fn load_nodes_at(&mut self, nodes: &str, buffer: u64) -> u64 {
        match mempolicy_testkit::script::parse_nodes(nodes.as_bytes()).unwrap() {
            None => 0,
            Some(words) => {
                self.kernel.user.set_mask(buffer, &words);
                buffer
            }
        }
    }

    /// Writes `words` into the nodemask buffer and returns its address.
    pub(crate) fn user_mask(&mut self, words: &[u64]) -> u64 {
        self.kernel.user.set_mask(NMASK, words);
        NMASK
    }

    fn buffer_nodes(&self) -> String {
        mempolicy_testkit::script::format_nodelist(self.kernel.user.mask(NMASK))
    }

    fn addr(&self, text: &str) -> u64 {
        if text == "-" {
            return 0;
        }
        let (region, rest) = text.split_once('+').unwrap_or((text, "0"));
        match self.regions.get(region) {
            Some(&base) => base + parse_pb(rest),
            None => parse_num(text),
        }
    }

    pub(crate) fn set_mempolicy(
        &mut self,
        mode: &str,
        flags: &str,
        nodes: &str,
        maxnode: &str,
    ) -> String {
        let raw = (parse_bits(mode) | parse_bits(flags)) as i32;
        let nmask = self.load_nodes(nodes);
        let machine = self.machine();
        status(machine.set_mempolicy(
            &mut self.task,
            &mut self.kernel,
            raw,
            nmask,
            parse_num(maxnode),
        ))
    }

    pub(crate) fn get_mempolicy(&mut self, flags: &str, maxnode: &str, addr: &str) -> String {
        let flags = parse_bits(flags);
        let nmask = if maxnode == "-" {
            0
        } else {
            self.load_nodes("none")
        };
        let args = GetMempolicyArgs {
            policy: POLICY,
            nmask,
            maxnode: if maxnode == "-" {
                0
            } else {
                parse_num(maxnode)
            },
            addr: self.addr(addr),
            flags,
        };
        self.kernel.user.clear_policy_word();
        let machine = self.machine();
        let result = machine.get_mempolicy(&self.task, &self.mm, &mut self.kernel, args);
        let mut out = status(result);
        if result.is_ok() {
            let word = self.kernel.user.policy_word().unwrap();
            if flags & abi::F_NODE != 0 {
                let _ = write!(out, " node={word}");
            } else {
                let _ = write!(out, " mode={}", mode_name(word));
            }
            if nmask != 0 {
                let _ = write!(out, " nodes={}", self.buffer_nodes());
            }
        }
        out
    }

    pub(crate) fn mmap(&mut self, name: &str, npages: u64) -> String {
        let used: Vec<u64> = self.regions.values().copied().collect();
        let base = (1..).map(|k| k << 32).find(|b| !used.contains(b)).unwrap();
        self.mm.mmap_anonymous(base, npages * PAGE, None).unwrap();
        self.regions.insert(name.into(), base);
        "ok".into()
    }

    pub(crate) fn munmap(&mut self, name: &str, start: u64, npages: u64) -> String {
        let base = self.regions[name];
        let (lo, hi) = (base + start * PAGE, base + (start + npages) * PAGE);
        self.mm.munmap(lo, hi - lo).unwrap();
        self.kernel.pages.remove_range(lo, hi);
        "ok".into()
    }

    /// `mbind REGION START NPAGES MODE FLAGS NODES MAXNODE MBFLAGS`
    pub(crate) fn mbind(&mut self, t: &[&str]) -> String {
        let base = self.addr(t[0]);
        let args = MbindArgs {
            start: base + parse_pb(t[1]),
            len: parse_pb(t[2]),
            mode: (parse_bits(t[3]) | parse_bits(t[4])) as i32,
            nmask: self.load_nodes(t[5]),
            maxnode: parse_num(t[6]),
            flags: parse_bits(t[7]),
        };
        let machine = self.machine();
        let this_node = self.kernel.this_node();
        status(machine.mbind(this_node, &self.task, &mut self.mm, &mut self.kernel, args))
    }

    /// `migrate_pages FROM TO MAXNODE` (the second mask in the second buffer).
    pub(crate) fn migrate_pages(&mut self, from: &str, to: &str, maxnode: &str) -> String {
        let old = self.load_nodes_at(from, NMASK);
        let new = self.load_nodes_at(to, MASK_B);
        self.kernel.mems_allowed = *self.task.mems_allowed();
        let machine = self.machine();
        status(machine.migrate_pages(
            &self.task,
            &mut self.kernel,
            0,
            parse_num(maxnode),
            old,
            new,
        ))
    }

    /// `home_node REGION START NPAGES NODE FLAGS`
    pub(crate) fn home_node(&mut self, t: &[&str]) -> String {
        let base = self.addr(t[0]);
        let machine = self.machine();
        status(machine.set_mempolicy_home_node(
            &mut self.mm,
            base + parse_pb(t[1]),
            parse_pb(t[2]),
            parse_num(t[3]),
            parse_num(t[4]),
        ))
    }

    /// Faults pages in on CPU 0 through the kernel-facing layer, and gives the range its
    /// own anonymous identity (its merge key).
    pub(crate) fn touch(&mut self, name: &str, start: u64, npages: u64) -> String {
        let base = self.regions[name];
        for i in start..start + npages {
            let addr = base + i * PAGE;
            self.kernel.touch(&mut self.task, &self.mm, addr).unwrap();
            let key = self.mm.key_mut(addr).unwrap();
            if key.is_none() {
                *key = Some(self.next_anon);
                self.next_anon += 1;
            }
        }
        "ok".into()
    }

    pub(crate) fn where_(&mut self, name: &str, start: u64, npages: u64) -> String {
        let base = self.regions[name];
        let pages: Vec<String> = (start..start + npages)
            .map(|i| match self.kernel.pages.get(base + i * PAGE) {
                Some(p) => p.node.to_string(),
                None => "ENOENT".into(),
            })
            .collect();
        format!("ret=0 pages={}", pages.join(","))
    }

    /// The policy part of `numa_maps` for every range that starts in a region.
    pub(crate) fn numa_maps(&self) -> String {
        let mut entries = Vec::new();
        for m in self.mm.iter() {
            let Some((name, base)) = self
                .regions
                .iter()
                .rfind(|(_, &b)| b <= m.start() && m.start() < b + (1 << 32))
            else {
                continue;
            };
            let policy = match m.policy() {
                Some(p) => p.to_string(),
                None => self
                    .task
                    .policy()
                    .map_or_else(|| "default".to_string(), |p| p.to_string()),
            };
            entries.push(format!("{name}+{} {policy}", (m.start() - base) / PAGE));
        }
        if entries.is_empty() {
            "ok (none)".into()
        } else {
            format!("ok {}", entries.join(" ; "))
        }
    }
}

/// Runs `(line, command, expected)` rows; numa_maps results are compared on the policy
/// part only (page statistics are left out of the expectation strings).
/// Runs each recorded row and requires the kernel's answer; `numa_maps` answers are
/// compared on their policy text only (this machine models policies, not page counts).
pub(crate) fn replay(machine: &mut Harness, rows: &[Row]) {
    for row in rows {
        let got = machine.run(&row.command);
        let expected = if row.command == "numa_maps" {
            policy_text_only(&row.expected)
        } else {
            row.expected.clone()
        };
        assert_eq!(got, expected, "L{}: {}", row.line, row.command);
    }
}

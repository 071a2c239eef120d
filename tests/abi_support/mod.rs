//! A tiny replay harness for the conformance case scripts: a 4-node machine (node 0 cpu0,
//! node 1 cpu1, nodes 2-3 memory only), one task, one address space, user memory for the
//! nodemask buffer, and a page table that places pages the way the oracle saw them.
#![allow(dead_code)]

use core::fmt::Write as _;
use std::collections::BTreeMap;

use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, MbindArgs, MbindContext, MigrateHooks, MigrationTarget,
    PageAction, PageMover, PageNode, Privileges, SystemNodes, Task, UserMemory,
};
use mempolicy::interleave::{self, Uniform};
use mempolicy::policy::{Mempolicy, Mode, PolicyDefaults};
use mempolicy::{Error, NodeId, NodeMask};

#[path = "../recorded/mod.rs"]
pub(crate) mod recorded;

use recorded::{policy_text_only, Row};

pub(crate) const PAGE: u64 = 4096;
/// The user nodemask buffer (8 KiB, like the oracle's).
pub(crate) const NMASK: u64 = 0x7000_0000;
const NMASK_WORDS: u64 = 1024;
/// The user `int` for get_mempolicy's policy word.
pub(crate) const POLICY: u64 = 0x7100_0000;
/// Node 0's fallback order (the recorded zonelist `0 2 1 3`).
const FALLBACK0: [u32; 4] = [0, 2, 1, 3];

/// The embedder side: user memory, pages, privileges.
#[derive(Debug, Default)]
pub(crate) struct Env {
    pub(crate) words: Vec<u64>,
    pub(crate) policy_word: Option<i32>,
    pub(crate) pages: BTreeMap<u64, NodeId>,
    pub(crate) queued: Vec<u64>,
    pub(crate) privileged: bool,
    /// How many of the next isolations fail.
    pub(crate) isolate_failures: u64,
    /// The target process of migrate_pages: its cpuset, or `None` for "no such process".
    pub(crate) target_mems: Option<NodeMask>,
    /// Whether the caller may access the target (ptrace).
    pub(crate) ptrace_ok: bool,
    /// The node pairs migrate_pages asked for.
    pub(crate) moves: Vec<(u32, u32)>,
}

impl UserMemory for Env {
    fn read_u64(&mut self, addr: u64) -> mempolicy::Result<u64> {
        let i = addr.wrapping_sub(NMASK) / 8;
        if addr < NMASK || i >= NMASK_WORDS || addr % 8 != 0 {
            return Err(Error::Fault(addr));
        }
        Ok(self.words[i as usize])
    }

    fn write_u64(&mut self, addr: u64, value: u64) -> mempolicy::Result<()> {
        let i = addr.wrapping_sub(NMASK) / 8;
        if addr < NMASK || i >= NMASK_WORDS || addr % 8 != 0 {
            return Err(Error::Fault(addr));
        }
        self.words[i as usize] = value;
        Ok(())
    }

    fn write_i32(&mut self, addr: u64, value: i32) -> mempolicy::Result<()> {
        if addr != POLICY {
            return Err(Error::Fault(addr));
        }
        self.policy_word = Some(value);
        Ok(())
    }
}

impl Privileges for Env {
    fn capable_sys_nice(&self) -> bool {
        self.privileged
    }
}

impl PageNode for Env {
    fn node_of_page(&mut self, addr: u64) -> mempolicy::Result<NodeId> {
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
        for addr in core::mem::take(&mut self.queued) {
            let t = target(addr);
            let node = t.node.unwrap_or_else(|| place(Some(t.policy)));
            self.pages.insert(addr, node);
        }
        0
    }

    fn putback_isolated(&mut self) {
        self.queued.clear();
    }
}

impl MigrateHooks for Env {
    fn target_mems_allowed(&mut self, _pid: i32) -> mempolicy::Result<NodeMask> {
        let mems = self.target_mems.ok_or(Error::NoSuchProcess)?;
        if !self.ptrace_ok {
            return Err(Error::PermissionDenied);
        }
        Ok(mems)
    }

    fn migrate_to_node(
        &mut self,
        _pid: i32,
        source: NodeId,
        dest: NodeId,
        _move_all: bool,
    ) -> mempolicy::Result<u64> {
        self.moves.push((source.as_u32(), dest.as_u32()));
        for node in self.pages.values_mut() {
            if *node == source {
                *node = dest;
            }
        }
        Ok(0)
    }
}

/// Where the allocator of CPU 0 puts a page under `policy` (no interleave).
fn place(policy: Option<&Mempolicy>) -> NodeId {
    let Some(p) = policy else {
        return NodeId::new(0);
    };
    if let Some(home) = p.home_node() {
        return home;
    }
    match p.mode() {
        Mode::Preferred => p.nodes().first().unwrap(),
        Mode::Bind | Mode::PreferredMany => FALLBACK0
            .iter()
            .map(|&n| NodeId::new(n as usize))
            .find(|&n| p.nodes().contains(n))
            .unwrap(),
        _ => NodeId::new(0),
    }
}

/// The machine: system nodes, one task, one address space, named regions.
#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) sys: SystemNodes,
    pub(crate) defaults: PolicyDefaults,
    pub(crate) task: Task,
    pub(crate) mm: AddressSpace<Mempolicy, Option<u64>>,
    pub(crate) env: Env,
    regions: BTreeMap<String, u64>,
    next_anon: u64,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

fn mask(s: &str) -> NodeMask {
    s.parse().unwrap()
}

/// Parses `A|B|3` with the symbolic names of FORMAT.md.
fn parse_bits(text: &str) -> u64 {
    text.split('|')
        .map(|item| {
            let item = item.to_ascii_uppercase();
            let item = item
                .trim_start_matches("MPOL_F_")
                .trim_start_matches("MPOL_");
            match item {
                "DEFAULT" => 0,
                "PREFERRED" => 1,
                "BIND" => 2,
                "INTERLEAVE" => 3,
                "LOCAL" => 4,
                "PREFERRED_MANY" => 5,
                "WEIGHTED_INTERLEAVE" => 6,
                "STATIC_NODES" | "STATIC" => 0x8000,
                "RELATIVE_NODES" | "RELATIVE" => 0x4000,
                "NUMA_BALANCING" | "BALANCING" => 0x2000,
                "NODE" | "STRICT" => 1,
                "ADDR" | "MOVE" => 2,
                "MEMS_ALLOWED" | "MOVE_ALL" => 4,
                _ => parse_num(item),
            }
        })
        .fold(0, |a, b| a | b)
}

fn parse_num(text: &str) -> u64 {
    if text == "-1" {
        u64::MAX
    } else if let Some(hex) = text.strip_prefix("0X") {
        u64::from_str_radix(hex, 16).unwrap()
    } else if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).unwrap()
    } else {
        text.parse().unwrap()
    }
}

/// `P` or `P+B` pages-and-bytes.
fn parse_pb(text: &str) -> u64 {
    match text.split_once('+') {
        Some((p, b)) => parse_num(p) * PAGE + parse_num(b),
        None => parse_num(text) * PAGE,
    }
}

fn status(result: mempolicy::Result<i64>) -> String {
    match result {
        Ok(v) => format!("ret={v}"),
        Err(e) => format!("err={}", e.errno_name()),
    }
}

fn mode_name(value: i32) -> String {
    let names = [
        "DEFAULT",
        "PREFERRED",
        "BIND",
        "INTERLEAVE",
        "LOCAL",
        "PREFERRED_MANY",
        "WEIGHTED_INTERLEAVE",
    ];
    let base = value & !0xe000;
    let mut out = names
        .get(base as usize)
        .map_or_else(|| format!("{base:#x}"), |n| (*n).to_string());
    for (bit, name) in [
        (0x8000, "STATIC_NODES"),
        (0x4000, "RELATIVE_NODES"),
        (0x2000, "NUMA_BALANCING"),
    ] {
        if value & bit != 0 {
            out.push('|');
            out.push_str(name);
        }
    }
    out
}

impl Machine {
    /// The default topology: nodes 0-3 online with memory, task cpuset 0-3.
    pub(crate) fn new() -> Self {
        Self {
            sys: SystemNodes::new(mask("0-3"), mask("0-3"), mask("0-3")),
            defaults: PolicyDefaults::new(),
            task: Task::new(mask("0-3")),
            mm: AddressSpace::new(),
            env: Env {
                words: vec![0; NMASK_WORDS as usize],
                target_mems: Some(mask("0-3")),
                ptrace_ok: true,
                ..Env::default()
            },
            regions: BTreeMap::new(),
            next_anon: 1,
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
                abi::cpuset_rebind(&mut self.task, &mut self.mm, mask(t[1]));
                "ret=0".into()
            }
            "reset" => {
                self.task.install_policy(None);
                self.mm = AddressSpace::new();
                self.regions.clear();
                self.env.pages.clear();
                "ok".into()
            }
            other => panic!("unknown command {other}"),
        }
    }

    /// Fills the nodemask buffer from a `NODES` token; returns the pointer.
    fn load_nodes(&mut self, nodes: &str) -> u64 {
        self.env.words.iter_mut().for_each(|w| *w = 0);
        match nodes {
            "-" => return 0,
            "none" | "empty" => {}
            hex if hex.starts_with("0x") => self.env.words[0] = parse_num(hex),
            list => {
                for part in list.split(',') {
                    let (lo, hi) = part.split_once('-').unwrap_or((part, part));
                    for bit in parse_num(lo)..=parse_num(hi) {
                        self.env.words[(bit / 64) as usize] |= 1 << (bit % 64);
                    }
                }
            }
        }
        NMASK
    }

    fn buffer_nodes(&self) -> String {
        let mut out = String::new();
        let mut bits = self.env.words.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| i * 64 + b)
        });
        let mut run: Option<(usize, usize)> = None;
        let flush = |out: &mut String, run: (usize, usize)| {
            if !out.is_empty() {
                out.push(',');
            }
            if run.0 == run.1 {
                let _ = write!(out, "{}", run.0);
            } else {
                let _ = write!(out, "{}-{}", run.0, run.1);
            }
        };
        for bit in bits.by_ref() {
            run = match run {
                Some((lo, hi)) if hi + 1 == bit => Some((lo, bit)),
                Some(r) => {
                    flush(&mut out, r);
                    Some((bit, bit))
                }
                None => Some((bit, bit)),
            };
        }
        if let Some(r) = run {
            flush(&mut out, r);
        }
        if out.is_empty() {
            "none".into()
        } else {
            out
        }
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
        status(abi::set_mempolicy(
            &mut self.task,
            &self.sys,
            &mut self.env,
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
        self.env.policy_word = None;
        let result = abi::get_mempolicy(&self.task, &self.mm, &self.sys, &mut self.env, args);
        let mut out = status(result);
        if result.is_ok() {
            let word = self.env.policy_word.unwrap();
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
        self.mm
            .mmap(base, npages * PAGE, base / PAGE, None)
            .unwrap();
        self.regions.insert(name.into(), base);
        "ok".into()
    }

    pub(crate) fn munmap(&mut self, name: &str, start: u64, npages: u64) -> String {
        let base = self.regions[name];
        let (lo, hi) = (base + start * PAGE, base + (start + npages) * PAGE);
        self.mm.munmap(lo, hi - lo).unwrap();
        let gone: Vec<u64> = self.env.pages.range(lo..hi).map(|(&a, _)| a).collect();
        gone.iter().for_each(|a| {
            self.env.pages.remove(a);
        });
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
        let ctx = MbindContext {
            nodes: &self.sys,
            defaults: &self.defaults,
            weights: &Uniform,
            this_node: Some(NodeId::new(0)),
        };
        status(abi::mbind(
            &self.task,
            &mut self.mm,
            &ctx,
            &mut self.env,
            args,
        ))
    }

    /// `migrate_pages FROM TO MAXNODE` (the second mask lives one page into the buffer).
    pub(crate) fn migrate_pages(&mut self, from: &str, to: &str, maxnode: &str) -> String {
        let old = self.load_nodes(from);
        let saved: Vec<u64> = self.env.words[..512].to_vec();
        let new = self.load_nodes(to);
        let new_words: Vec<u64> = self.env.words[..512].to_vec();
        self.env.words[..512].copy_from_slice(&saved);
        self.env.words[512..].copy_from_slice(&new_words);
        let new = if new == 0 { 0 } else { NMASK + 512 * 8 };
        status(abi::migrate_pages(
            &self.task,
            &mut self.env,
            0,
            parse_num(maxnode),
            old,
            new,
        ))
    }

    /// `home_node REGION START NPAGES NODE FLAGS`
    pub(crate) fn home_node(&mut self, t: &[&str]) -> String {
        let base = self.addr(t[0]);
        status(abi::set_mempolicy_home_node(
            &mut self.mm,
            &self.sys,
            base + parse_pb(t[1]),
            parse_pb(t[2]),
            parse_num(t[3]),
            parse_num(t[4]),
        ))
    }

    /// Faults pages in: the page goes where the allocator of CPU 0 would put it, and the
    /// range gets its own anonymous identity (its merge key).
    pub(crate) fn touch(&mut self, name: &str, start: u64, npages: u64) -> String {
        let base = self.regions[name];
        for i in start..start + npages {
            let addr = base + i * PAGE;
            let m = self.mm.find(addr).expect("touch outside a mapping");
            let ilx = m.interleave_index(addr);
            let own = m.policy().map(|p| &**p);
            let policy = own.or(self.task.policy().map(|p| &**p));
            let node = match policy.map(Mempolicy::mode) {
                Some(Mode::Interleave) => interleave::interleave_nid(policy.unwrap().nodes(), ilx),
                Some(Mode::WeightedInterleave) => {
                    interleave::weighted_interleave_nid(policy.unwrap().nodes(), ilx, &Uniform)
                }
                _ => None,
            }
            .unwrap_or_else(|| place(policy));
            self.env.pages.entry(addr).or_insert(node);
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
            .map(|i| match self.env.pages.get(&(base + i * PAGE)) {
                Some(n) => n.to_string(),
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
pub(crate) fn replay(machine: &mut Machine, rows: &[Row]) {
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

//! The simulated process and the commands of the script language.

use std::collections::BTreeMap;
use std::sync::Arc;

use mempolicy::abi::{
    self, AddressSpace, GetMempolicyArgs, MbindArgs, MigrateHooks, SharedObject, SharedPolicy, Task,
};
use mempolicy::machine::Machine;
use mempolicy::policy::Mempolicy;
use mempolicy::topology::Topology;
use mempolicy::weights::WeightTable;
use mempolicy::{Error, Linux, NodeId, NodeMask};
use mempolicy_testkit::script::{self, PAGE};
use mempolicy_testkit::{Kernel, PageKind, Resident, MASK_A, MASK_B, POLICY_WORD};

use crate::env::{AnonVma, ReadFault};
use crate::memory::{PageTables, Region, Regions};
use crate::numa_maps;
use crate::View;

/// Pages one pipe holds before a write would block (the oracle sizes it to 1024 slots).
const PIPE_CAPACITY: u64 = 1024;
/// Inode numbers are handed to each CPU in batches of this many (Linux: `SHMEM_INO_BATCH`).
const SHMEM_INO_BATCH: u64 = 1024;

/// The inode numbers of the kernel's internal shmem mount, which every shared anonymous
/// mapping gets one of at `mmap` time (Linux: `shmem_reserve_inode` on `shm_mnt`). Shmem
/// interleave is biased by the inode number, so a model has to know it.
///
/// Each CPU takes numbers from its own batch of [`SHMEM_INO_BATCH`]; a CPU without one takes
/// the next batch when it first needs a number. Measured in the oracle VM: when the script
/// starts, CPU 0 owns the first batch and has given out 1 and 2 (the oracle's own shared
/// buffer among them), and no other CPU has a batch, so the first CPU after it to map shared
/// memory gets 1024, the next 2048.
#[derive(Debug)]
struct ShmemInodes {
    next_batch: u64,
    next_on_cpu: BTreeMap<u32, u64>,
}

impl ShmemInodes {
    fn at_oracle_start() -> Self {
        Self {
            next_batch: SHMEM_INO_BATCH,
            next_on_cpu: BTreeMap::from([(0, 3)]),
        }
    }

    fn reserve(&mut self, cpu: u32) -> u64 {
        let mut ino = self.next_on_cpu.get(&cpu).copied().unwrap_or(0);
        if ino % SHMEM_INO_BATCH == 0 {
            ino = self.next_batch.max(1);
            self.next_batch += SHMEM_INO_BATCH;
        }
        self.next_on_cpu.insert(cpu, ino + 1);
        ino
    }
}

/// The cgroup cpuset of the process.
#[derive(Debug, Default)]
struct Cpuset {
    /// The last value written to `cpuset.mems` (empty: inherit the parent).
    written: NodeMask,
}

/// The simulated machine and process.
///
/// Every policy decision goes through the crate's kernel-facing layer, on the test kit's
/// kernel: faults through the current CPU's handle, system calls through the machine.
pub(crate) struct Sim<'m> {
    /// The kernel: the machine, its CPUs, user memory, present pages, free frames.
    pub(crate) kernel: Kernel<'m>,
    /// The machine description (fixed for a run; the machine holds the live copy).
    pub(crate) topo: Topology,
    pub(crate) task: Task,
    pub(crate) mm: AddressSpace<Mempolicy, AnonVma>,
    pub(crate) regions: Regions,
    tables: PageTables,
    vcpus: u32,
    shmem_inodes: ShmemInodes,
    pipe_pages: u64,
    cpuset: Cpuset,
    next_anon_vma: u64,
    view: View,
    view_lines: String,
}

fn err_name(e: Error) -> String {
    e.errno_name().to_string()
}

fn ret(result: Result<i64, Error>) -> String {
    match result {
        Ok(r) => format!(" ret={r}"),
        Err(e) => format!(" err={}", err_name(e)),
    }
}

impl<'m> Sim<'m> {
    /// The process at the oracle's start on `machine`.
    pub(crate) fn new(machine: &'m Machine) -> Self {
        let topo = machine.with_topology(Topology::clone);
        let vcpus = topo.nr_cpu_ids() as u32;
        let memory = *topo.memory_nodes();
        let mut kernel = Kernel::new(machine);
        // The oracle runs as root.
        kernel.privileged = true;
        Self {
            kernel,
            task: Task::new(memory),
            mm: AddressSpace::new(),
            regions: Regions::new(),
            tables: PageTables::new(),
            vcpus,
            shmem_inodes: ShmemInodes::at_oracle_start(),
            pipe_pages: 0,
            cpuset: Cpuset::default(),
            next_anon_vma: 1,
            view: View::Kernel,
            view_lines: String::new(),
            topo,
        }
    }

    /// The machine.
    fn machine(&self) -> &'m Machine {
        self.kernel.machine()
    }

    /// The kernel release simulated (the machine's).
    pub(crate) fn linux(&self) -> Linux {
        self.machine().linux()
    }

    /// The weighted-interleave weights of the machine (the sysfs files).
    pub(crate) fn weights(&self) -> &'m WeightTable {
        self.machine().weights()
    }

    /// The current CPU.
    fn cpu(&self) -> u32 {
        self.kernel.current_cpu()
    }

    /// Tells the kernel the task's cpuset: migration targets are allocated within it, and
    /// `migrate_pages(0, …)` reads it.
    fn sync_cpuset(&mut self) {
        let mems = *self.task.mems_allowed();
        self.kernel.mems_allowed = mems;
        if let Some(me) = self.kernel.processes.get_mut(&0) {
            me.mems = mems;
        }
    }

    pub(crate) fn set_view(&mut self, view: View) {
        self.view = view;
    }

    pub(crate) fn take_view_lines(&mut self) -> Option<String> {
        (!self.view_lines.is_empty()).then(|| std::mem::take(&mut self.view_lines))
    }

    /// The node of the current CPU (Linux: `numa_node_id()`).
    pub(crate) fn this_node(&self) -> NodeId {
        self.topo.node_of_cpu(self.cpu()).unwrap_or_default()
    }

    /// The header lines, as the oracle prints them (values that depend on the kernel build,
    /// such as MemTotal, are approximations).
    pub(crate) fn header(&self, cases: usize) -> String {
        let t = &self.topo;
        let mut h = String::new();
        h.push_str(&format!(
            "# oracle mempolicy v1 (mpolsim)\n# kernel=mpolsim linux={}\n",
            self.linux()
        ));
        h.push_str(&format!("# online={}\n", t.online_nodes()));
        h.push_str(&format!("# possible={}\n", t.possible_nodes()));
        h.push_str(&format!("# has_cpu={}\n", t.cpu_nodes()));
        h.push_str(&format!("# has_memory={}\n", t.memory_nodes()));
        h.push_str(&format!(
            "# has_normal_memory={}\n",
            t.normal_memory_nodes()
        ));
        h.push_str(&format!(
            "# cpus_online={}\n",
            if self.vcpus > 1 {
                format!("0-{}", self.vcpus - 1)
            } else {
                "0".into()
            }
        ));
        for node in t.online_nodes().iter() {
            let cpus: Vec<String> = t
                .cpus_of_node(node)
                .filter(|&c| c < self.vcpus)
                .map(|c| c.to_string())
                .collect();
            let dist: Vec<String> = t
                .online_nodes()
                .iter()
                .map(|o| t.distance(node, o).to_string())
                .collect();
            h.push_str(&format!(
                "# node{node} cpus={} distance={} memtotal_kB={}\n",
                if cpus.is_empty() {
                    "none".to_string()
                } else {
                    cpus.join(",")
                },
                dist.join(" "),
                t.present_pages(node) * 4
            ));
        }
        self.machine().with_zonelists(|lists| {
            for node in t.online_nodes().iter() {
                let order: Vec<String> = lists
                    .fallback_order(node)
                    .unwrap_or_default()
                    .iter()
                    .map(NodeId::to_string)
                    .collect();
                h.push_str(&format!("# node{node} fallback={}\n", order.join(" ")));
            }
        });
        h.push_str("# thp=always madvise [never]\n# numa_balancing=0\n");
        h.push_str("# weighted_interleave_sysfs=present\n");
        h.push_str(&self.sysfs_header());
        h.push_str("# cgroup_cpuset=ok\n");
        h.push_str(&format!("# cases={cases}\n"));
        h
    }

    /// Runs one operation line and returns its result fields (each with a leading space).
    pub(crate) fn execute(&mut self, t: &[&[u8]]) -> String {
        let n = t.len();
        match t[0] {
            b"set_mempolicy" => self.cmd_set_mempolicy(t, n),
            b"get_mempolicy" => self.cmd_get_mempolicy(t, n),
            b"mbind" => self.cmd_mbind(t, n),
            b"home_node" => self.cmd_home_node(t, n),
            b"mmap" => self.cmd_mmap(t, n),
            b"munmap" => self.cmd_munmap(t, n),
            b"touch" => self.cmd_touch(t, n, true),
            b"read" => self.cmd_touch(t, n, false),
            b"where" => self.cmd_where(t, n),
            b"move" => self.cmd_move(t, n),
            b"migrate_pages" => self.cmd_migrate_pages(t, n),
            b"numa_maps" => self.cmd_numa_maps(n),
            b"debug_numa_maps" => self.cmd_debug_numa_maps(n),
            b"weights" => self.cmd_weights(t, n),
            b"read_weights" => self.cmd_read_weights(t, n),
            b"wi_state" => self.cmd_wi_state(t, n),
            b"wi_auto" => self.cmd_wi_auto(t, n),
            b"cpu" => self.cmd_cpu(t, n),
            b"auto" => self.cmd_auto(t, n),
            b"bandwidth" => self.cmd_bandwidth(t, n),
            b"getcpu" => self.cmd_getcpu(n),
            b"cpuset_mems" => self.cmd_cpuset_mems(t, n),
            b"pipe_pages" => self.cmd_pipe_pages(t, n),
            b"reset" => self.cmd_reset(n),
            b"echo" => {
                let mut s = String::new();
                for w in &t[1..] {
                    s.push(' ');
                    s.push_str(&String::from_utf8_lossy(w));
                }
                s
            }
            _ => " bad=unknown_command".into(),
        }
    }

    // ---- policy syscalls ------------------------------------------------------------

    fn load_nodes(&mut self, token: &[u8], slot: u64) -> Option<u64> {
        let mask = script::parse_nodes(token)?;
        Some(match mask {
            None => 0,
            Some(words) => {
                self.kernel.user.set_mask(slot, &words);
                slot
            }
        })
    }

    fn cmd_set_mempolicy(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 5 {
            return " bad=usage".into();
        }
        let Some(mode) = script::parse_syms(t[1], script::MODE_SYMS) else {
            return " bad=mode".into();
        };
        let Some(flags) = script::parse_syms(t[2], script::MODE_SYMS) else {
            return " bad=flags".into();
        };
        let Some(nmask) = self.load_nodes(t[3], MASK_A) else {
            return " bad=nodes".into();
        };
        let Some(maxnode) = script::parse_num(t[4]) else {
            return " bad=maxnode".into();
        };
        let mode = (mode | flags) as u32 as i32;
        let machine = self.machine();
        ret(machine.set_mempolicy(&mut self.task, &mut self.kernel.user, mode, nmask, maxnode))
    }

    fn cmd_get_mempolicy(&mut self, t: &[&[u8]], n: usize) -> String {
        if !(2..=4).contains(&n) {
            return " bad=usage".into();
        }
        let Some(flags) = script::parse_syms(t[1], script::GFLAG_SYMS) else {
            return " bad=flags".into();
        };
        let mut maxnode = 64;
        let mut nmask = MASK_A;
        if n >= 3 {
            if t[2] == b"-" {
                nmask = 0;
            } else {
                match script::parse_num(t[2]) {
                    Some(v) => maxnode = v,
                    None => return " bad=maxnode".into(),
                }
            }
        }
        let mut addr = 0;
        if n >= 4 {
            match self.parse_addr(t[3]) {
                Some(a) => addr = a,
                None => return " bad=addr".into(),
            }
        }
        self.kernel.user.clear_mask(MASK_A);
        self.kernel.user.clear_policy_word();
        let args = GetMempolicyArgs {
            policy: POLICY_WORD,
            nmask,
            maxnode,
            addr,
            flags,
        };
        let machine = self.machine();
        let mut env = ReadFault {
            kernel: &mut self.kernel,
            tables: &mut self.tables,
            task: &self.task,
            mm: &self.mm,
            kernel_pages: 0,
        };
        let result = machine.get_mempolicy(&self.task, &self.mm, &mut env, args);
        let kernel_pages = env.kernel_pages;
        for _ in 0..kernel_pages {
            self.kernel_page();
        }
        match result {
            Err(e) => format!(" err={}", err_name(e)),
            Ok(r) => {
                let mut s = format!(" ret={r}");
                let word = self.kernel.user.policy_word().unwrap_or(-12345);
                if flags & abi::F_NODE != 0 {
                    s.push_str(&format!(" node={word}"));
                } else {
                    s.push_str(&format!(" mode={}", script::format_mode(i64::from(word))));
                }
                if nmask != 0 {
                    s.push_str(&format!(
                        " nodes={}",
                        script::format_nodelist(self.kernel.user.mask(MASK_A))
                    ));
                }
                s
            }
        }
    }

    fn region_base(&self, name: &[u8]) -> Option<u64> {
        if name == b"-" {
            return Some(0);
        }
        self.regions.find(name).map(|r| r.base)
    }

    /// `-`, a number, `R`, `R+P` or `R+P+B` (`oracle.c parse_addr`).
    fn parse_addr(&self, s: &[u8]) -> Option<u64> {
        if s == b"-" {
            return Some(0);
        }
        if s.first().is_some_and(u8::is_ascii_digit) {
            return script::parse_num(s);
        }
        let (name, off) = match s.iter().position(|&c| c == b'+') {
            Some(p) => (&s[..p], Some(&s[p + 1..])),
            None => (s, None),
        };
        if name.is_empty() || name.len() >= 40 {
            return None;
        }
        let base = self.region_base(name)?;
        let off = match off {
            Some(o) => script::parse_pagebytes(o)?,
            None => 0,
        };
        Some(base.wrapping_add(off))
    }

    fn cmd_mbind(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 9 {
            return " bad=usage".into();
        }
        let Some(base) = self.region_base(t[1]) else {
            return " bad=region".into();
        };
        let (Some(start), Some(len)) =
            (script::parse_pagebytes(t[2]), script::parse_pagebytes(t[3]))
        else {
            return " bad=range".into();
        };
        let Some(mode) = script::parse_syms(t[4], script::MODE_SYMS) else {
            return " bad=mode".into();
        };
        let Some(flags) = script::parse_syms(t[5], script::MODE_SYMS) else {
            return " bad=flags".into();
        };
        let Some(nmask) = self.load_nodes(t[6], MASK_A) else {
            return " bad=nodes".into();
        };
        let Some(maxnode) = script::parse_num(t[7]) else {
            return " bad=maxnode".into();
        };
        let Some(mbf) = script::parse_syms(t[8], script::MBFLAG_SYMS) else {
            return " bad=mbind_flags".into();
        };
        let args = MbindArgs {
            start: base.wrapping_add(start),
            len,
            mode: (mode | flags) as u32 as i32,
            nmask,
            maxnode,
            flags: u64::from(mbf as u32),
        };
        let this_node = self.this_node();
        self.sync_cpuset();
        let machine = self.machine();
        ret(machine.mbind(this_node, &self.task, &mut self.mm, &mut self.kernel, args))
    }

    fn cmd_home_node(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 6 {
            return " bad=usage".into();
        }
        let Some(base) = self.region_base(t[1]) else {
            return " bad=region".into();
        };
        let (Some(start), Some(len)) =
            (script::parse_pagebytes(t[2]), script::parse_pagebytes(t[3]))
        else {
            return " bad=range".into();
        };
        let Some(node) = script::parse_num(t[4]) else {
            return " bad=node".into();
        };
        let Some(flags) = script::parse_num(t[5]) else {
            return " bad=flags".into();
        };
        let machine = self.machine();
        ret(machine.set_mempolicy_home_node(
            &mut self.mm,
            base.wrapping_add(start),
            len,
            node,
            flags,
        ))
    }

    // ---- mappings and faults --------------------------------------------------------

    fn cmd_mmap(&mut self, t: &[&[u8]], n: usize) -> String {
        if n < 3 {
            return " bad=usage".into();
        }
        let name = t[1];
        if !(name[0].is_ascii_alphabetic() || name[0] == b'_')
            || name.len() >= 32
            || name.contains(&b'+')
        {
            return " bad=name".into();
        }
        if self.regions.find(name).is_some() {
            return " bad=exists".into();
        }
        let Some(npages) = script::parse_num(t[2]).filter(|&v| v != 0) else {
            return " bad=npages".into();
        };
        let mut shared = false;
        let mut at = 0;
        for opt in &t[3..] {
            match *opt {
                b"shared" => shared = true,
                b"private" => shared = false,
                o if o.starts_with(b"at=") => match script::parse_num(&o[3..]) {
                    Some(v) => at = v,
                    None => return " bad=at".into(),
                },
                _ => return " bad=option".into(),
            }
        }
        let Some(slot) = self.regions.free_slot() else {
            return " bad=too_many_regions".into();
        };
        if at == 0 {
            at = (slot as u64 + 1) << 32;
        }
        let Some(len) = npages.checked_mul(PAGE) else {
            return " err=ENOMEM".into();
        };
        if at % PAGE != 0 {
            return " err=EINVAL".into();
        }
        // MAP_FIXED_NOREPLACE: the range must be free and inside the user address space.
        if at.checked_add(len).is_none_or(|end| end > 0x7fff_ffff_f000) {
            return " err=ENOMEM".into();
        }
        if self.mm.overlapping(at, at + len).next().is_some() {
            return " err=EEXIST".into();
        }
        // Anonymous private memory: vm_pgoff is the page number of the address; shared
        // anonymous memory is a shmem object starting at offset 0.
        let mapped = if shared {
            let ino = self.shmem_inodes.reserve(self.cpu());
            let domain = self.machine().domain();
            let object = Arc::new(SharedObject::new(domain, SharedPolicy::new(ino)));
            self.mm.mmap_shared(at, len, 0, None, object)
        } else {
            self.mm.mmap_anonymous(at, len, None)
        };
        if mapped.is_err() {
            return " err=ENOMEM".into();
        }
        let name = String::from_utf8_lossy(name).into_owned();
        self.regions.insert(
            slot,
            Region {
                name,
                base: at,
                npages,
            },
        );
        " ok".into()
    }

    fn unmap(&mut self, start: u64, len: u64) -> Result<(), Error> {
        let end = start.checked_add(len).ok_or(Error::InvalidRange(start))?;
        self.mm.munmap(start, len)?;
        self.kernel.pages.remove_range(start, end);
        let mm = &self.mm;
        self.tables
            .free_unused(|s, e| mm.overlapping(s, e).next().is_some());
        Ok(())
    }

    fn cmd_munmap(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 2 && n != 4 {
            return " bad=usage".into();
        }
        let Some(region) = self.regions.find(t[1]).cloned() else {
            return " bad=region".into();
        };
        let mut start = 0;
        let mut len = region.npages * PAGE;
        if n == 4 {
            match (script::parse_pagebytes(t[2]), script::parse_pagebytes(t[3])) {
                (Some(s), Some(l)) => {
                    start = s;
                    len = l;
                }
                _ => return " bad=range".into(),
            }
        }
        let addr = region.base.wrapping_add(start);
        if addr % PAGE != 0 || len == 0 {
            return " err=EINVAL".into();
        }
        let Some(len) = len.div_ceil(PAGE).checked_mul(PAGE) else {
            return " err=EINVAL".into();
        };
        if let Err(e) = self.unmap(addr, len) {
            return format!(" err={}", err_name(e));
        }
        if n == 2 {
            self.regions.remove(t[1]);
        }
        " ok".into()
    }

    /// Allocates a page the kernel needs for itself under the task policy with no
    /// interleave index (page tables, pipe buffers, slab pages): it advances the
    /// interleave cursor (Linux: `alloc_pages(GFP_KERNEL, 0)` in task context).
    pub(crate) fn kernel_page(&mut self) {
        // Memory pressure is not modelled: a failure leaves nothing to count.
        let _ = self.kernel.kernel_page(&mut self.task);
    }

    /// Allocates the page of user data at `addr` under the policy of its mapping or the
    /// task, with the mapping's interleave index (Linux: `vma_alloc_folio`).
    fn alloc_user_page(&mut self, addr: u64) -> Option<NodeId> {
        let frame = self
            .kernel
            .alloc_user_page(&mut self.task, &self.mm, addr)
            .ok()?;
        Some(frame.node)
    }

    /// Faults the page at `addr` (which a mapping covers): page tables first, then for a
    /// write a private page under the policy of the mapping (or the task), for a read of
    /// private memory the zero page.
    pub(crate) fn fault(&mut self, addr: u64, write: bool) {
        let present = self.kernel.pages.get(addr).map(|p| (p.node, p.kind));
        if present.is_none() {
            for _ in 0..self.tables.populate(addr) {
                self.kernel_page();
            }
        }
        let shared = self.mm.find(addr).is_some_and(|m| m.shared().is_some());
        let zero = Resident {
            node: self.kernel.zero_node,
            kind: PageKind::Zero,
        };
        match present {
            // A write to a clean shmem page sets its PTE's dirty bit (the PTE of a shared
            // writable mapping is writable from the read fault on).
            Some((node, PageKind::Shmem { dirty: false })) if write => {
                let dirty = PageKind::Shmem { dirty: true };
                self.kernel
                    .pages
                    .insert(addr, Resident { node, kind: dirty });
            }
            Some((_, PageKind::Anon | PageKind::Shmem { .. })) => {}
            Some((_, PageKind::Zero)) if !write => {}
            None if !write && !shared => self.kernel.pages.insert(addr, zero),
            _ => {
                self.assign_anon_vma(addr);
                if let Some(node) = self.alloc_user_page(addr) {
                    let kind = if shared {
                        PageKind::Shmem { dirty: write }
                    } else {
                        PageKind::Anon
                    };
                    self.kernel.pages.insert(addr, Resident { node, kind });
                }
            }
        }
    }

    /// Gives the mapping at `addr` an anon_vma at its first fault, reusing an adjacent
    /// compatible mapping's one as Linux's `find_mergeable_anon_vma` does.
    fn assign_anon_vma(&mut self, addr: u64) {
        let Some(m) = self.mm.find(addr) else { return };
        if m.key().is_some() || m.shared().is_some() {
            return;
        }
        let (start, end) = (m.start(), m.end());
        let policy = m.policy().cloned();
        let compatible = |other: Option<&abi::Mapping<Mempolicy, AnonVma>>| {
            other.and_then(|o| {
                let same = match (o.policy(), policy.as_ref()) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.is_equal(b),
                    _ => false,
                };
                same.then(|| *o.key()).flatten()
            })
        };
        let next = compatible(self.mm.find(end).filter(|o| o.start() == end));
        let prev = compatible(
            start
                .checked_sub(1)
                .and_then(|a| self.mm.find(a))
                .filter(|o| o.end() == start),
        );
        let id = next.or(prev).unwrap_or_else(|| {
            self.next_anon_vma += 1;
            self.next_anon_vma
        });
        if let Some(key) = self.mm.key_mut(addr) {
            *key = Some(id);
        }
    }

    fn parse_range_pages(&self, t: &[&[u8]]) -> Option<(u64, u64)> {
        let base = self.region_base(t[0])?;
        let start = script::parse_num(t[1])?;
        let np = script::parse_num(t[2])?;
        if np > script::MAX_PAGES_OP {
            return None;
        }
        Some((base.wrapping_add(start.wrapping_mul(PAGE)), np))
    }

    fn cmd_touch(&mut self, t: &[&[u8]], n: usize, write: bool) -> String {
        if n != 4 {
            return " bad=usage".into();
        }
        let Some((addr, np)) = self.parse_range_pages(&t[1..]) else {
            return " bad=range".into();
        };
        for i in 0..np {
            let a = addr.wrapping_add(i * PAGE);
            if self.mm.find(a).is_none() {
                return format!(" sig=SIGSEGV page={i}");
            }
            self.fault(a, write);
        }
        " ok".into()
    }

    /// `move_pages` status of the page at `addr`.
    fn page_status(&self, addr: u64) -> Result<NodeId, Error> {
        if self.mm.find(addr).is_none() {
            return Err(Error::Fault(addr));
        }
        match self.kernel.pages.get(addr) {
            None => Err(Error::NotFound),
            Some(page) if !page.is_movable() => Err(Error::Fault(addr)),
            Some(page) => Ok(page.node),
        }
    }

    fn status_list(statuses: &[Result<NodeId, Error>]) -> String {
        let parts: Vec<String> = statuses
            .iter()
            .map(|s| match s {
                Ok(n) => n.to_string(),
                Err(e) => err_name(*e),
            })
            .collect();
        format!(" pages={}", parts.join(","))
    }

    fn cmd_where(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 4 {
            return " bad=usage".into();
        }
        let Some((addr, np)) = self.parse_range_pages(&t[1..]) else {
            return " bad=range".into();
        };
        let statuses: Vec<_> = (0..np)
            .map(|i| self.page_status(addr.wrapping_add(i * PAGE)))
            .collect();
        if self.view == View::Bars {
            self.view_lines
                .push_str(&numa_maps::bars(&self.topo, &statuses));
        }
        format!(" ret=0{}", Self::status_list(&statuses))
    }

    fn cmd_move(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 5 && n != 6 {
            return " bad=usage".into();
        }
        let Some((addr, np)) = self.parse_range_pages(&t[1..]) else {
            return " bad=range".into();
        };
        let Some(node) = script::parse_long(t[4]) else {
            return " bad=node".into();
        };
        let mut flags = abi::MF_MOVE;
        if n == 6 {
            match script::parse_syms(t[5], script::MBFLAG_SYMS) {
                Some(f) => flags = f,
                None => return " bad=flags".into(),
            }
        }
        // kernel_move_pages: flags, then per page the node (ENODEV, EACCES end the call).
        let flags = u64::from(flags as u32 as i32 as u32);
        if flags & !(abi::MF_MOVE | abi::MF_MOVE_ALL) != 0 {
            return " err=EINVAL".into();
        }
        let node = node as i32;
        let mut statuses = Vec::new();
        for i in 0..np {
            let target = match NodeId::try_new(node as u64).ok().filter(|_| node >= 0) {
                Some(t) if self.topo.memory_nodes().contains(t) => t,
                _ => return " err=ENODEV".into(),
            };
            if !self.task.mems_allowed().contains(target) {
                return " err=EACCES".into();
            }
            let a = addr.wrapping_add(i * PAGE);
            let status = self.page_status(a).and_then(|now| {
                if now != target {
                    self.move_page(a, target)?;
                }
                Ok(target)
            });
            statuses.push(status);
        }
        format!(" ret=0{}", Self::status_list(&statuses))
    }

    /// Moves the page at `addr` to a page allocated on `node` alone (Linux: `move_pages`'
    /// `alloc_migration_target` with `__GFP_THISNODE`).
    fn move_page(&mut self, addr: u64, node: NodeId) -> Result<(), Error> {
        self.sync_cpuset();
        let (cpu, frames) = self.kernel.cpu_and_frames();
        let target = abi::MigrationTarget::Node(node);
        let page = cpu.alloc_migration_target(&target, 0, frames)?;
        self.kernel.pages.move_to(addr, page.node());
        Ok(())
    }

    fn cmd_migrate_pages(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 4 {
            return " bad=usage".into();
        }
        let Some(old) = self.load_nodes(t[1], MASK_A) else {
            return " bad=nodes".into();
        };
        let Some(new) = self.load_nodes(t[2], MASK_B) else {
            return " bad=nodes".into();
        };
        let Some(maxnode) = script::parse_num(t[3]) else {
            return " bad=maxnode".into();
        };
        self.sync_cpuset();
        let machine = self.machine();
        ret(machine.migrate_pages(&self.task, &mut self.kernel, 0, maxnode, old, new))
    }

    fn cmd_numa_maps(&mut self, n: usize) -> String {
        if n != 1 {
            return " bad=usage".into();
        }
        // Reading the file allocates only slab objects; whether that takes a new slab page
        // (and moves the interleave cursor) varies between runs, so no page is modelled.
        numa_maps::render(self)
    }

    fn cmd_debug_numa_maps(&mut self, n: usize) -> String {
        if n != 1 {
            return " bad=usage".into();
        }
        numa_maps::render_debug(self)
    }

    // ---- sysfs, cgroup, scheduler, pipe ---------------------------------------------

    fn cmd_cpu(&mut self, t: &[&[u8]], n: usize) -> String {
        let Some(c) = (n == 2)
            .then(|| script::parse_num(t[1]))
            .flatten()
            .filter(|&c| c < 1024)
        else {
            return " bad=usage".into();
        };
        if c >= u64::from(self.vcpus) || self.topo.node_of_cpu(c as u32).is_none() {
            return " err=EINVAL".into();
        }
        match self.kernel.switch_cpu(c as u32) {
            Ok(()) => " ret=0".into(),
            Err(e) => format!(" err={}", err_name(e)),
        }
    }

    fn cmd_getcpu(&mut self, n: usize) -> String {
        if n != 1 {
            return " bad=usage".into();
        }
        format!(" ret=0 cpu={} node={}", self.cpu(), self.this_node())
    }

    /// The cpuset's effective nodes: the written ones with memory, else the parent's.
    fn effective_mems(&self, written: &NodeMask) -> NodeMask {
        let memory = *self.topo.memory_nodes();
        let eff = written.and(&memory);
        if eff.is_empty() {
            memory
        } else {
            eff
        }
    }

    fn cmd_cpuset_mems(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 2 {
            return " bad=usage".into();
        }
        let text = if t[1] == b"none" || t[1] == b"empty" {
            ""
        } else {
            std::str::from_utf8(t[1]).unwrap_or("\u{1}")
        };
        let written = if text.trim().is_empty() {
            NodeMask::new()
        } else {
            match NodeMask::parse_list(text.trim()) {
                Ok(m) if m.is_subset(self.topo.possible_nodes()) => m,
                Ok(_) => return " err=EINVAL".into(),
                Err(e) => return format!(" err={}", err_name(e)),
            }
        };
        if written == self.cpuset.written {
            return " ret=0".into();
        }
        // A cgroup holding tasks may not go back to empty mems on 6.12; on 7.3 (cgroup v2)
        // an empty value means "inherit the parent's nodes".
        if written.is_empty() && !self.linux().allows_empty_cpuset_mems() {
            return " err=ENOSPC".into();
        }
        let old = self.effective_mems(&self.cpuset.written);
        self.cpuset.written = written;
        let new = self.effective_mems(&written);
        if new != old {
            let machine = self.machine();
            machine.cpuset_rebind(&mut self.task, &mut self.mm, new);
            self.sync_cpuset();
            // cgroup v2 cpusets migrate the memory of their tasks (Linux:
            // `cpuset_migrate_mm`, `do_migrate_pages` with MOVE_ALL).
            for (from, to) in abi::migrate_pairs(&old, &new) {
                let _ = self.kernel.migrate_to_node(0, from, to, true);
            }
        }
        " ret=0".into()
    }

    fn cmd_pipe_pages(&mut self, t: &[&[u8]], n: usize) -> String {
        let Some(count) = (n == 2).then(|| script::parse_num(t[1])).flatten() else {
            return " bad=usage".into();
        };
        for i in 0..count {
            if self.pipe_pages >= PIPE_CAPACITY {
                return format!(" err=EAGAIN page={i}");
            }
            self.kernel_page();
            self.pipe_pages += 1;
        }
        " ok".into()
    }

    fn cmd_reset(&mut self, n: usize) -> String {
        if n != 1 {
            return " bad=usage".into();
        }
        self.task.install_policy(None);
        for region in self.regions.clear() {
            let _ = self.unmap(region.base, region.npages * PAGE);
        }
        self.pipe_pages = 0;
        " ok".into()
    }
}

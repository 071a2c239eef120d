//! Instruction counts (callgrind, through gungraun) of the hot paths, at the build's
//! `MAX_NUMNODES` (64, or 1024 with `--features nodes-1024`).
//!
//! Every bench runs its operation [`REPS`] times in a loop, with the state it reads passed
//! through `black_box` (so that nothing is hoisted out of the loop), and nothing else: the setup (topology, policies, tables, readers) is
//! built by the `setup` functions, which callgrind does not count. `benches/check.py` divides
//! the count by the repetitions and compares it with the baseline file, and with the plain
//! array read of the `read` group (the floor every ratio is taken against).
//!
//! Run: `cargo bench -p mempolicy-gungraun [--features nodes-1024]`, or `benches/check.py`.
#![allow(
    missing_docs,
    unreachable_pub,
    reason = "gungraun's macros generate undocumented public items"
)]
#![allow(
    unsafe_code,
    reason = "the bare crossbeam-epoch publish baseline needs it"
)]

use core::hint::black_box;
use core::sync::atomic::Ordering;

use crossbeam_epoch::{Atomic, Collector, LocalHandle, Owned};
use gungraun::prelude::*;
use mempolicy::abi::AddressSpace;
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{self, BulkPlan, InterleaveCursor, NO_INTERLEAVE_INDEX};
use mempolicy::machine::{Cpu, Machine};
use mempolicy::policy::{parse_mpol, Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::Topology;
use mempolicy::weights::{WeightReader, WeightTable};
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

/// Operations per bench: the count per operation is the bench's count divided by this.
pub const REPS: u64 = 1000;

/// The nodes the reads cycle through.
const NODES: [NodeId; 4] = [
    NodeId::new(0),
    NodeId::new(1),
    NodeId::new(2),
    NodeId::new(3),
];

/// The weights of the 4-node machine: 3 1 2 1.
const WEIGHTS: [u8; 4] = [3, 1, 2, 1];

/// A mask spread over the whole node range: 16 nodes, one every `MAX_NUMNODES / 16`, plus the
/// last node (the worst case for word scans).
fn spread() -> NodeMask {
    let step = MAX_NUMNODES / 16;
    let mut mask: NodeMask = (0..16).map(|i| NodeId::new(i * step + i % step)).collect();
    mask.insert(NodeId::MAX);
    mask
}

/// The full weight table of [`WEIGHTS`], every other node 1.
fn weight_array() -> [u8; MAX_NUMNODES] {
    let mut table = [1; MAX_NUMNODES];
    table[..4].copy_from_slice(&WEIGHTS);
    table
}

// ---------------------------------------------------------------------------------------------
// The weight read and its floor.

fn plain_table() -> [u8; MAX_NUMNODES] {
    weight_array()
}

// The floor: one indexed byte load from a table, over nodes 0..4 in turn.
#[library_benchmark]
#[bench::plain_array(setup = plain_table)]
fn read_plain(table: [u8; MAX_NUMNODES]) -> u64 {
    let mut sum = 0u64;
    for i in 0..REPS {
        let node = NODES[(i & 3) as usize];
        sum += u64::from(black_box(&table)[node.index()]);
    }
    sum
}

fn reader() -> WeightReader<'static> {
    let table: &'static WeightTable = Box::leak(Box::new(WeightTable::new(NodeMask::first_n(4))));
    for (i, w) in WEIGHTS.iter().enumerate() {
        table.set_weight(NodeId::new(i), *w).unwrap();
    }
    let mut reader = table.reader();
    reader.quiescent();
    reader
}

// One weight read through a CPU's reader (`WeightReader::weight`).
#[library_benchmark]
#[bench::weight(setup = reader)]
fn read_weight(mut reader: WeightReader<'static>) -> u64 {
    let mut sum = 0u64;
    for i in 0..REPS {
        sum += u64::from(reader.weight(NODES[(i & 3) as usize]));
    }
    // Dropping the reader (unregistering it) is not part of a read.
    core::mem::forget(reader);
    sum
}

library_benchmark_group!(name = read, benchmarks = [read_plain, read_weight]);

// ---------------------------------------------------------------------------------------------
// The pick for one allocation (`select::policy_nodemask`) in every mode, 4-node machine.
//
// * `pick/MODE`: weights read from a live `WeightTable` through a CPU's reader, as the
//   kernel-facing layer reads them (all the picks of one run under one view);
// * `pick_array/MODE`: the weighted modes with the weights in a plain array of the embedder's
//   (`[u8; 4]`), which the pick inspects on every call.

/// Everything a pick reads but the weights, leaked so that the bench borrows it for
/// `'static`.
#[derive(Debug)]
pub struct PickCase {
    policy: Mempolicy,
    topology: &'static Topology,
    lists: &'static Zonelists,
    defaults: &'static PolicyDefaults,
    ilx: u64,
}

impl PickCase {
    /// The `REPS` picks of this case with `weights`.
    fn run<W>(&self, weights: &W) -> u64
    where
        W: interleave::WeightSource + ?Sized,
    {
        let globals = Globals::new(self.topology, self.lists, self.defaults, weights);
        picks(&self.policy, &globals, self.ilx)
    }
}

/// A pick case and a CPU's reader of a live weight table.
#[derive(Debug)]
pub struct PickSetup {
    case: PickCase,
    reader: WeightReader<'static>,
}

fn pick_setup(mode: Mode, nodes: &str, ilx: u64) -> PickSetup {
    let topology: &'static Topology = Box::leak(Box::new(
        Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap(),
    ));
    let lists: &'static Zonelists = Box::leak(Box::new(Zonelists::build(topology)));
    let defaults: &'static PolicyDefaults = Box::leak(Box::new(PolicyDefaults::new()));
    let table: &'static WeightTable =
        Box::leak(Box::new(WeightTable::new(*topology.memory_nodes())));
    for (i, w) in WEIGHTS.iter().enumerate() {
        table.set_weight(NodeId::new(i), *w).unwrap();
    }
    let mut reader = table.reader();
    reader.quiescent();
    table.reclaim();
    let policy = if mode == Mode::Default {
        Mempolicy::default_policy()
    } else {
        let ctx = NodeContext::unrestricted(*topology.memory_nodes());
        let nodes: NodeMask = nodes.parse().unwrap();
        Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx)
            .unwrap()
            .unwrap()
    };
    PickSetup {
        case: PickCase {
            policy,
            topology,
            lists,
            defaults,
            ilx,
        },
        reader,
    }
}

/// `REPS` picks; static picks take consecutive interleave indices from `ilx`. Out of line, so
/// that the loop is compiled alike for every weight source and caller.
#[inline(never)]
fn picks<W>(policy: &Mempolicy, globals: &Globals<'_, W>, ilx: u64) -> u64
where
    W: interleave::WeightSource + ?Sized,
{
    let mut cursor = InterleaveCursor::new();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut sum = 0u64;
    for i in 0..REPS {
        let ilx = if ilx == NO_INTERLEAVE_INDEX {
            ilx
        } else {
            ilx + i
        };
        let placement = select::policy_nodemask(
            black_box(policy),
            black_box(gfp),
            ilx,
            NodeId::new(0),
            &mut cursor,
            None,
            globals,
        );
        // What an allocator reads from the placement, folded into one register.
        sum += match placement {
            Ok(p) => {
                let mask = p.nodemask().map_or(0, |m| m.as_words()[0]);
                (p.node().index() as u64) ^ ((p.highest_zone() as u64) << 16) ^ mask
            }
            Err(_) => u64::MAX,
        };
    }
    sum
}

#[library_benchmark]
#[bench::local(args = (Mode::Local, "", 0), setup = pick_setup)]
#[bench::default(args = (Mode::Default, "", 0), setup = pick_setup)]
#[bench::preferred(args = (Mode::Preferred, "3", 0), setup = pick_setup)]
#[bench::bind(args = (Mode::Bind, "1-3", 0), setup = pick_setup)]
#[bench::preferred_many(args = (Mode::PreferredMany, "1,3", 0), setup = pick_setup)]
#[bench::interleave_static(args = (Mode::Interleave, "0-3", 1 << 20), setup = pick_setup)]
#[bench::interleave_dynamic(args = (Mode::Interleave, "0-3", NO_INTERLEAVE_INDEX), setup = pick_setup)]
#[bench::weighted_static(args = (Mode::WeightedInterleave, "0-3", 3 << 20), setup = pick_setup)]
#[bench::weighted_dynamic(args = (Mode::WeightedInterleave, "0-3", NO_INTERLEAVE_INDEX), setup = pick_setup)]
fn pick(setup: PickSetup) -> u64 {
    let PickSetup { case, mut reader } = setup;
    let sum = reader.with_view(|view| case.run(view));
    // Dropping the reader (unregistering it) is not part of a pick.
    core::mem::forget(reader);
    sum
}

#[library_benchmark]
#[bench::weighted_static(args = (Mode::WeightedInterleave, "0-3", 3 << 20), setup = pick_setup)]
#[bench::weighted_dynamic(args = (Mode::WeightedInterleave, "0-3", NO_INTERLEAVE_INDEX), setup = pick_setup)]
fn pick_array(setup: PickSetup) -> u64 {
    let PickSetup { case, reader } = setup;
    core::mem::forget(reader);
    // Behind `black_box`, so that the compiler cannot fold the constant weights into the pick.
    case.run(black_box(&WEIGHTS))
}

library_benchmark_group!(name = select_pick, benchmarks = [pick, pick_array]);

// ---------------------------------------------------------------------------------------------
// The fault -> frame decision of the kernel-facing layer (`Cpu::alloc_fault`) beside the bare
// pick for the same page, 4-node machine, every decision on the next of 256 pages of one
// anonymous mapping (so that interleave spreads them).
//
// * `fault/pick/MODE` (the bare pick): the policy pick for the page with the mapping in hand:
//   `select::vma_policy` and `select::policy_nodemask` from a `VmaPolicy` of the page (its
//   interleave index included), borrowed state, no zonelist walk, no frame;
// * `fault/select/MODE`: `select::alloc_vma`: that pick plus the zonelist walk to a frame of a
//   trivial frame source (every zone gives one), borrowed state;
// * `fault/cpu/MODE`: `Cpu::alloc_fault` with the same frame source: the whole decision from
//   an address, through a CPU handle of a live `Machine` (the machine state and weights read
//   through the CPU's epoch reader, the quiescent-state check, the lookup of the mapping in
//   an `AddressSpace`, the pick, the walk).
//
// The layer's ratio is `fault/cpu` over `fault/pick`: what a fault costs over the pick alone.
// `fault/cpu` over `fault/select` is the cost of the layer itself (the lookup by address and
// the epoch reads).

/// The base address of the mapping the faults hit.
const FAULT_BASE: u64 = 1 << 32;
/// Its pages.
const FAULT_PAGES: u64 = 256;
/// Bytes per page.
const PAGE: u64 = 4096;

/// The frame source of the fault benches: every zone gives a frame, named by its node.
#[inline(never)]
fn any_frame(node: NodeId, _: ZoneType, _: u32, _: GfpFlags) -> Option<u32> {
    Some(node.as_u32())
}

/// Everything a fault reads, leaked so that the bench borrows it for `'static`.
#[derive(Debug)]
pub struct FaultSetup {
    cpu: Cpu<'static>,
    mm: &'static AddressSpace<Mempolicy>,
    policy: Option<&'static Mempolicy>,
    globals: Globals<'static, [u8; 4]>,
    memory: &'static NodeMask,
}

fn fault_setup(text: &str) -> FaultSetup {
    let topo: &'static Topology = Box::leak(Box::new(
        Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap(),
    ));
    let machine: &'static Machine = Box::leak(Box::new(Machine::new(topo.clone())));
    for (i, w) in WEIGHTS.iter().enumerate() {
        machine.weights().set_weight(NodeId::new(i), *w).unwrap();
    }
    machine.weights().reclaim();
    let lists: &'static Zonelists = Box::leak(Box::new(Zonelists::build(topo)));
    let memory: &'static NodeMask = Box::leak(Box::new(*topo.memory_nodes()));
    let policy: Option<&'static Mempolicy> = parse_mpol(text, memory)
        .unwrap()
        .map(|p| &*Box::leak(Box::new(p)));
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap_anonymous(FAULT_BASE, FAULT_PAGES * PAGE, ())
        .unwrap();
    mm.set_policy(FAULT_BASE, FAULT_BASE + FAULT_PAGES * PAGE, policy);
    let mut cpu = machine.cpu(0).unwrap();
    cpu.quiescent();
    FaultSetup {
        cpu,
        mm: Box::leak(Box::new(mm)),
        policy,
        globals: Globals::new(topo, lists, machine.defaults(), &WEIGHTS),
        memory,
    }
}

/// The address of the page of decision `i`.
#[inline(always)]
const fn fault_addr(i: u64) -> u64 {
    FAULT_BASE + (i % FAULT_PAGES) * PAGE
}

// The bare pick: the policy and interleave index of the page, then `policy_nodemask`.
#[library_benchmark]
#[bench::local(args = ("local"), setup = fault_setup)]
#[bench::bind(args = ("bind:1-3"), setup = fault_setup)]
#[bench::interleave(args = ("interleave:0-3"), setup = fault_setup)]
#[bench::weighted_interleave(args = ("weighted interleave:0-3"), setup = fault_setup)]
fn fault_pick(setup: FaultSetup) -> u64 {
    let FaultSetup {
        policy,
        globals,
        memory,
        cpu,
        ..
    } = setup;
    let this = CpuContext::task(NodeId::new(0));
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut cursor = InterleaveCursor::new();
    let mut sum = 0u64;
    for i in 0..REPS {
        let vma = VmaPolicy::anonymous(black_box(policy), FAULT_BASE, fault_addr(i));
        let (policy, ilx) = select::vma_policy(&globals, &vma, None, this);
        let placement = select::policy_nodemask(
            policy,
            gfp,
            ilx,
            this.node(),
            &mut cursor,
            Some(memory),
            &globals,
        );
        sum += placement.map_or(u64::MAX, |p| p.node().index() as u64);
    }
    core::mem::forget(cpu);
    sum
}

// `select::alloc_vma`: the pick and the zonelist walk to a frame.
#[library_benchmark]
#[bench::local(args = ("local"), setup = fault_setup)]
#[bench::bind(args = ("bind:1-3"), setup = fault_setup)]
#[bench::interleave(args = ("interleave:0-3"), setup = fault_setup)]
#[bench::weighted_interleave(args = ("weighted interleave:0-3"), setup = fault_setup)]
fn fault_select(setup: FaultSetup) -> u64 {
    let FaultSetup {
        policy,
        globals,
        memory,
        cpu,
        ..
    } = setup;
    let this = CpuContext::task(NodeId::new(0));
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(memory);
    let mut frames = any_frame;
    let mut sum = 0u64;
    for i in 0..REPS {
        let vma = VmaPolicy::anonymous(black_box(policy), FAULT_BASE, fault_addr(i));
        let page = select::alloc_vma(&globals, &mut task, this, &vma, gfp, 0, &mut frames);
        sum += match page {
            Ok(Some(page)) => u64::from(*page.frame()),
            _ => u64::MAX,
        };
    }
    core::mem::forget(cpu);
    sum
}

// `Cpu::alloc_fault`: the whole decision from an address.
#[library_benchmark]
#[bench::local(args = ("local"), setup = fault_setup)]
#[bench::bind(args = ("bind:1-3"), setup = fault_setup)]
#[bench::interleave(args = ("interleave:0-3"), setup = fault_setup)]
#[bench::weighted_interleave(args = ("weighted interleave:0-3"), setup = fault_setup)]
fn fault_cpu(setup: FaultSetup) -> u64 {
    let FaultSetup {
        mut cpu,
        mm,
        memory,
        ..
    } = setup;
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(memory);
    let mut frames = any_frame;
    let mut sum = 0u64;
    for i in 0..REPS {
        let page = cpu.alloc_fault(&mut task, black_box(mm), fault_addr(i), gfp, 0, &mut frames);
        sum += page.map_or(u64::MAX, |page| u64::from(*page.frame()));
    }
    // Dropping the CPU handle (unregistering its reader) is not part of a fault.
    core::mem::forget(cpu);
    sum
}

library_benchmark_group!(
    name = fault,
    benchmarks = [fault_pick, fault_select, fault_cpu]
);

// ---------------------------------------------------------------------------------------------
// The interleave pickers themselves, on the 4 lowest nodes, on the 16 lowest, and on a mask
// spread over the whole node range.

/// A mask, the full weight table, and a starting index.
#[derive(Debug)]
pub struct Interleave {
    nodes: NodeMask,
    weights: [u8; MAX_NUMNODES],
}

fn low4() -> Interleave {
    Interleave {
        nodes: NodeMask::first_n(4),
        weights: weight_array(),
    }
}

fn first16() -> Interleave {
    Interleave {
        nodes: NodeMask::first_n(16),
        weights: weight_array(),
    }
}

fn wide() -> Interleave {
    Interleave {
        nodes: spread(),
        weights: weight_array(),
    }
}

// `interleave_nid` (static, by index).
#[library_benchmark]
#[bench::low4(setup = low4)]
#[bench::first16(setup = first16)]
#[bench::spread(setup = wide)]
fn interleave_static(s: Interleave) -> u64 {
    let mut sum = 0u64;
    for i in 0..REPS {
        let ilx = (1 << 20) + i * 7919;
        sum +=
            interleave::interleave_nid(black_box(&s.nodes), ilx).map_or(0, NodeId::as_u32) as u64;
    }
    sum
}

// `weighted_interleave_nid` (static, by index).
#[library_benchmark]
#[bench::low4(setup = low4)]
#[bench::first16(setup = first16)]
#[bench::spread(setup = wide)]
fn weighted_static(s: Interleave) -> u64 {
    let mut sum = 0u64;
    for i in 0..REPS {
        let ilx = (3 << 20) + i * 7919;
        sum += interleave::weighted_interleave_nid(black_box(&s.nodes), ilx, &s.weights)
            .map_or(0, NodeId::as_u32) as u64;
    }
    sum
}

// `InterleaveCursor::next_interleave` (dynamic).
#[library_benchmark]
#[bench::low4(setup = low4)]
#[bench::spread(setup = wide)]
fn interleave_dynamic(s: Interleave) -> u64 {
    let mut cursor = InterleaveCursor::new();
    let mut sum = 0u64;
    for _ in 0..REPS {
        sum += cursor
            .next_interleave(black_box(&s.nodes))
            .map_or(0, NodeId::as_u32) as u64;
    }
    sum
}

// `InterleaveCursor::next_weighted` (dynamic).
#[library_benchmark]
#[bench::low4(setup = low4)]
#[bench::spread(setup = wide)]
fn weighted_dynamic(s: Interleave) -> u64 {
    let mut cursor = InterleaveCursor::new();
    let mut sum = 0u64;
    for _ in 0..REPS {
        sum += cursor
            .next_weighted(black_box(&s.nodes), black_box(&s.weights))
            .map_or(0, NodeId::as_u32) as u64;
    }
    sum
}

library_benchmark_group!(
    name = interleave_pick,
    benchmarks = [
        interleave_static,
        weighted_static,
        interleave_dynamic,
        weighted_dynamic
    ]
);

// ---------------------------------------------------------------------------------------------
// NodeMask word scans on the spread mask (17 nodes over every word of the mask).

// `NodeMask::nth` over every position of the mask in turn.
#[library_benchmark]
#[bench::spread(setup = spread)]
fn nodemask_nth(mask: NodeMask) -> u64 {
    let count = mask.weight();
    let mut n = 0;
    let mut sum = 0u64;
    for _ in 0..REPS {
        sum += black_box(&mask).nth(n).map_or(0, NodeId::as_u32) as u64;
        n += 1;
        if n == count {
            n = 0;
        }
    }
    sum
}

// `NodeMask::weight`.
#[library_benchmark]
#[bench::spread(setup = spread)]
fn nodemask_weight(mask: NodeMask) -> u64 {
    let mut sum = 0u64;
    for _ in 0..REPS {
        sum += black_box(&mask).weight() as u64;
    }
    sum
}

// `NodeMask::next_in` around the mask (the wrap included).
#[library_benchmark]
#[bench::spread(setup = spread)]
fn nodemask_next_in(mask: NodeMask) -> u64 {
    let mut node = NodeId::MAX;
    let mut sum = 0u64;
    for _ in 0..REPS {
        node = black_box(&mask).next_in(node).unwrap_or(node);
        sum += node.as_u32() as u64;
    }
    sum
}

library_benchmark_group!(
    name = nodemask,
    benchmarks = [nodemask_nth, nodemask_weight, nodemask_next_in]
);

// ---------------------------------------------------------------------------------------------
// Bulk plans: the same cost whatever the page count.

// `bulk_interleave_plan` of `pages` pages over nodes 0-3.
#[library_benchmark]
#[bench::pages_1(args = (1,), setup = bulk_setup)]
#[bench::pages_1000(args = (1000,), setup = bulk_setup)]
#[bench::pages_1000000(args = (1_000_000,), setup = bulk_setup)]
fn bulk_plain(s: (Interleave, u64)) -> u64 {
    let (s, pages) = s;
    let mut cursor = InterleaveCursor::new();
    let mut plan = BulkPlan::new();
    let mut sum = 0u64;
    for _ in 0..REPS {
        interleave::bulk_interleave_plan(
            &mut cursor,
            black_box(&s.nodes),
            black_box(pages),
            &mut plan,
        );
        sum += black_box(&plan).len() as u64;
    }
    sum
}

// `bulk_weighted_plan` of `pages` pages (plus the weight carried over) over nodes 0-3.
#[library_benchmark]
#[bench::pages_1(args = (1,), setup = bulk_setup)]
#[bench::pages_1000(args = (1000,), setup = bulk_setup)]
#[bench::pages_1000000(args = (1_000_000,), setup = bulk_setup)]
fn bulk_weighted(s: (Interleave, u64)) -> u64 {
    let (s, pages) = s;
    let mut cursor = InterleaveCursor::new();
    let mut plan = BulkPlan::new();
    let mut sum = 0u64;
    for _ in 0..REPS {
        // + il_weight keeps the carry-over path in play from call to call.
        let pages = pages + u64::from(cursor.il_weight());
        interleave::bulk_weighted_plan(
            &mut cursor,
            black_box(&s.nodes),
            black_box(&s.weights),
            black_box(pages),
            &mut plan,
        );
        sum += black_box(&plan).len() as u64;
    }
    sum
}

fn bulk_setup(pages: u64) -> (Interleave, u64) {
    (low4(), pages)
}

library_benchmark_group!(name = bulk, benchmarks = [bulk_plain, bulk_weighted]);

// ---------------------------------------------------------------------------------------------
// Publishing a weight table: ours (`set_weight`) against a bare crossbeam-epoch swap of a
// freshly allocated table (allocation, swap, deferred free).

fn table() -> WeightTable {
    WeightTable::new(NodeMask::first_n(4))
}

// `WeightTable::set_weight`, `REPS` times (retired tables are batched and freed on the way).
#[library_benchmark]
#[bench::set_weight(setup = table)]
fn publish_ours(table: WeightTable) -> u64 {
    for i in 0..REPS {
        let _ = table.set_weight(
            black_box(NodeId::new((i % 4) as usize)),
            (i % 200) as u8 + 1,
        );
    }
    let retired = table.retired() as u64;
    // Dropping the table (freeing what it retired) is not part of a publish.
    core::mem::forget(table);
    retired
}

/// What a bare epoch publish holds: a collector, a registered handle and the cell.
#[derive(Debug)]
pub struct Bare {
    handle: LocalHandle,
    cell: Atomic<[u8; MAX_NUMNODES]>,
    _collector: Collector,
}

fn bare() -> Bare {
    let collector = Collector::new();
    Bare {
        handle: collector.register(),
        cell: Atomic::new(weight_array()),
        _collector: collector,
    }
}

// A bare crossbeam-epoch publish: pin, allocate, swap, defer the free.
#[library_benchmark]
#[bench::epoch_bare(setup = bare)]
fn publish_bare(bare: Bare) -> u64 {
    for i in 0..REPS {
        let mut next = weight_array();
        next[(i % 4) as usize] = (i % 200) as u8 + 1;
        let guard = bare.handle.pin();
        let old = bare
            .cell
            .swap(Owned::new(black_box(next)), Ordering::AcqRel, &guard);
        // SAFETY: the swap unlinked `old`, which came from `Owned`; it is retired once.
        unsafe { guard.defer_destroy(old) };
    }
    black_box(&bare.cell);
    core::mem::forget(bare);
    0
}

library_benchmark_group!(name = publish, benchmarks = [publish_ours, publish_bare]);

main!(
    library_benchmark_groups = read,
    select_pick,
    fault,
    interleave_pick,
    nodemask,
    bulk,
    publish
);

//! The pick for one allocation in every mode, and the first eligible zone of a zonelist,
//! against a plain array read measured in the same binary (the `baseline` group).
//!
//! The picks and the baseline run 1000 operations per iteration (`benches/support/ratios.py`
//! reports them per operation). Targets: a pick costs at most 5 array reads at 64 nodes and 8
//! at 1024; the first eligible zone costs the same whatever the list length.
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::{InterleaveCursor, WeightSource, NO_INTERLEAVE_INDEX};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults};
use mempolicy::select::{self, CpuContext, Globals, Placement, TaskContext};
use mempolicy::topology::Topology;
use mempolicy::weights::WeightTable;
use mempolicy::zonelist::{ZonelistKind, Zonelists};
use mempolicy::{NodeId, NodeMask};

/// Operations per criterion iteration for the picks and their baseline: a pick takes a few
/// nanoseconds, about criterion's own per-iteration overhead (times are per batch).
const BATCH: usize = 1000;

fn baseline(c: &mut Criterion) {
    let table: [NodeId; 64] = core::array::from_fn(NodeId::new);
    let mut i = 0usize;
    c.bench_function("baseline/array_read", |b| {
        b.iter(|| {
            let table = black_box(&table);
            (0..BATCH)
                .map(|_| {
                    i = i.wrapping_add(1);
                    table[i & 63].index()
                })
                .sum::<usize>()
        })
    });
}

/// Folds what an allocator reads from a placement (node, zone bound, first mask word) into
/// one register, so that criterion's `black_box` of the result measures the pick and not a
/// store-forwarding stall on copying the struct through memory.
fn digest(placement: mempolicy::Result<Placement>) -> u64 {
    match placement {
        Ok(p) => {
            let mask = p.nodemask().map_or(0, |m| m.as_words()[0]);
            (p.node().index() as u64) ^ ((p.highest_zone() as u64) << 16) ^ mask
        }
        Err(_) => u64::MAX,
    }
}

/// Runs the pick of every case in `cases`, 1000 per iteration, as `pick/<name><suffix>`.
fn pick_group<W>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    cases: &[(&str, Mempolicy, u64)],
    suffix: &str,
    globals: &Globals<'_, W>,
) where
    W: WeightSource + ?Sized,
{
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let node = NodeId::new(0);
    for (name, policy, ilx) in cases {
        let mut cursor = InterleaveCursor::new();
        let mut ilx = *ilx;
        group.bench_function(format!("{name}{suffix}"), |b| {
            b.iter(|| {
                let (policy, gfp) = black_box((policy, gfp));
                (0..BATCH)
                    .map(|_| {
                        if ilx != NO_INTERLEAVE_INDEX {
                            ilx += 1;
                        }
                        let placement = select::policy_nodemask(
                            policy,
                            gfp,
                            ilx,
                            node,
                            &mut cursor,
                            None,
                            globals,
                        );
                        digest(placement)
                    })
                    .fold(0, u64::wrapping_add)
            })
        });
    }
}

/// The picks with the weights of a live `WeightTable`, read through a CPU's reader as the
/// kernel-facing layer reads them (`pick/<mode>`), and the weighted picks with the weights in
/// a plain array of the embedder's (`pick/<mode>_array`).
fn picks(c: &mut Criterion) {
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let lists = Zonelists::build(&topo);
    let defaults = PolicyDefaults::new();
    let weights = [3u8, 1, 2, 1];
    let table = WeightTable::new(*topo.memory_nodes());
    for (i, w) in weights.iter().enumerate() {
        table.set_weight(NodeId::new(i), *w).unwrap();
    }
    let mut reader = table.reader();
    reader.quiescent();
    table.reclaim();
    let ctx = NodeContext::unrestricted(*topo.memory_nodes());
    let make = |mode: Mode, nodes: &str| {
        let nodes: NodeMask = nodes.parse().unwrap();
        Mempolicy::create(mode, ModeFlags::empty(), &nodes, &ctx)
            .unwrap()
            .unwrap()
    };
    let default = Mempolicy::default_policy();
    let cases = [
        ("local", make(Mode::Local, ""), 0),
        ("default", default, 0),
        ("preferred", make(Mode::Preferred, "3"), 0),
        ("bind", make(Mode::Bind, "1-3"), 0),
        ("preferred_many", make(Mode::PreferredMany, "1,3"), 0),
        ("interleave_static", make(Mode::Interleave, "0-3"), 1 << 20),
        (
            "interleave_dynamic",
            make(Mode::Interleave, "0-3"),
            NO_INTERLEAVE_INDEX,
        ),
        (
            "weighted_static",
            make(Mode::WeightedInterleave, "0-3"),
            3 << 20,
        ),
        (
            "weighted_dynamic",
            make(Mode::WeightedInterleave, "0-3"),
            NO_INTERLEAVE_INDEX,
        ),
    ];
    let mut group = c.benchmark_group("pick");
    reader.with_view(|view| {
        let globals = Globals::new(&topo, &lists, &defaults, view);
        pick_group(&mut group, &cases, "", &globals);
    });
    // Behind `black_box`, so that the compiler cannot fold the constant weights into the pick.
    let globals = Globals::new(&topo, &lists, &defaults, black_box(&weights));
    pick_group(&mut group, &cases[7..], "_array", &globals);
    // The whole task path with no task policy: the per-node boot policy.
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let node = NodeId::new(0);
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(None, &mut cursor);
    let cpu = CpuContext::task(node);
    group.bench_function("task_default", |b| {
        b.iter(|| {
            let (cpu, gfp) = black_box((cpu, gfp));
            (0..BATCH)
                .map(|_| digest(select::pick_alloc(&globals, &mut task, cpu, gfp)))
                .fold(0, u64::wrapping_add)
        })
    });
    group.finish();
}

/// A zone answer in one register (see [`digest`]).
fn zone_digest(zone: Option<mempolicy::zonelist::ZoneRef>) -> u64 {
    zone.map_or(u64::MAX, |z| {
        ((z.node().index() as u64) << 8) | z.zone() as u64
    })
}

fn first_zone(c: &mut Criterion) {
    let mut group = c.benchmark_group("first_zone");
    for nodes in [4usize, 64] {
        let spec = format!("nodes={nodes} cpus=0,1 mem=64");
        let topo = Topology::from_nodes_spec(&spec).unwrap();
        let lists = Zonelists::build(&topo);
        let list = lists
            .zonelist(NodeId::new(0), ZonelistKind::Fallback)
            .unwrap();
        // Only the last node of node 0's fallback list is eligible: the worst case.
        let last = list.as_slice().last().unwrap().node();
        let mask = NodeMask::from_node(last);
        group.bench_function(format!("last_of_{nodes}"), |b| {
            b.iter(|| {
                zone_digest(black_box(list).first_zone(black_box(ZoneType::Movable), Some(&mask)))
            })
        });
        group.bench_function(format!("unmasked_{nodes}"), |b| {
            b.iter(|| zone_digest(black_box(list).first_zone(black_box(ZoneType::Movable), None)))
        });
    }
    group.finish();
}

criterion_group!(benches, baseline, picks, first_zone);
criterion_main!(benches);

//! The whole fault → frame decision of the kernel-facing layer, for every mode, against the
//! bare pick of the selection layer and its full allocation walk, measured in one run.
//!
//! Each case runs the same 256 decisions per iteration (so criterion's per-iteration cost
//! does not hide nanoseconds), on a 64-node machine (or 1024 nodes with `nodes-1024`):
//!
//! * `pick/MODE`: `select::policy_nodemask` alone (borrowed state, no walk);
//! * `select/MODE`: `select::alloc_vma`: the pick and the zonelist walk over a frame source,
//!   with borrowed state;
//! * `layer/MODE`: `Cpu::alloc_vma`: the same decision through a CPU handle of a live
//!   `Machine` (the state and the weights read through the CPU's epoch reader, the zone
//!   cache, the quiescent-state check);
//! * `fault/MODE`: `Cpu::alloc_fault`: the same from an address, looking the mapping up in
//!   an `AddressSpace`.
//!
//! Target: `layer` at most 1.5× `pick`.
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mempolicy::abi::AddressSpace;
use mempolicy::gfp::{GfpFlags, ZoneType};
use mempolicy::interleave::InterleaveCursor;
use mempolicy::machine::Machine;
use mempolicy::policy::{parse_mpol, Mempolicy};
use mempolicy::select::{self, CpuContext, Globals, TaskContext, VmaPolicy};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};

const OPS: u64 = 256;
const PAGE: u64 = 4096;
const BASE: u64 = 1 << 32;

/// The frame source of the bench: every zone gives a frame, named by its node.
#[inline]
fn frame(node: NodeId, _: ZoneType, _: u32, _: GfpFlags) -> Option<u32> {
    Some(node.as_u32())
}

fn decisions(c: &mut Criterion) {
    let nodes = 64.min(MAX_NUMNODES);
    let spec = format!("nodes={nodes} cpus=0,1 mem=64");
    let topology = Topology::from_nodes_spec(&spec).unwrap();
    let lists = Zonelists::build(&topology);
    let machine = Machine::new(topology.clone());
    for node in 0..4 {
        machine
            .weights()
            .set_weight(NodeId::new(node), 1 + node as u8)
            .unwrap();
    }
    let weights = *machine.weights().snapshot().as_array();
    let globals = Globals::new(&topology, &lists, machine.defaults(), &weights);
    let mut cpu = machine.cpu(0).unwrap();
    let memory = *topology.memory_nodes();
    let far = format!("{}", nodes - 1);
    let cases = [
        ("local", "local"),
        ("default", "default"),
        ("preferred", "prefer:3"),
        ("bind_near", "bind:1-3"),
        ("bind_far", far.as_str()),
        ("preferred_many", "prefer (many):1,3"),
        ("interleave", "interleave:0-7"),
        ("weighted_interleave", "weighted interleave:0-3"),
    ];
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut group = c.benchmark_group("fault");
    group.throughput(Throughput::Elements(OPS));
    for (name, text) in cases {
        let text = if name == "bind_far" {
            format!("bind:{text}")
        } else {
            text.to_string()
        };
        let policy: Option<Mempolicy> = parse_mpol(&text, &memory).unwrap();
        let own = policy
            .as_ref()
            .unwrap_or(machine.defaults().default_policy());
        let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
        mm.mmap(BASE, OPS * PAGE, BASE / PAGE, ()).unwrap();
        mm.set_policy(BASE, BASE + OPS * PAGE, policy.as_ref());
        let vmas: Vec<VmaPolicy<'_>> = (0..OPS)
            .map(|p| VmaPolicy::new(policy.as_ref(), 0, BASE, BASE / PAGE, BASE + p * PAGE, 0))
            .collect();
        let mut cursor = InterleaveCursor::new();
        let mems = memory;
        let this = CpuContext::task(NodeId::new(0));

        group.bench_function(format!("pick/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0usize;
                for vma in &vmas {
                    let (policy, ilx) = select::vma_policy(&globals, vma, None, this);
                    let p = select::policy_nodemask(
                        black_box(policy),
                        gfp,
                        ilx,
                        this.node(),
                        &mut cursor,
                        Some(&mems),
                        &globals,
                    );
                    sum += p.map_or(0, |p| p.node().index());
                }
                black_box(sum)
            })
        });
        group.bench_function(format!("select/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0u32;
                let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(&mems);
                for vma in &vmas {
                    let page =
                        select::alloc_vma(&globals, &mut task, this, vma, gfp, 0, &mut frame);
                    sum += page.ok().flatten().map_or(0, |p| *p.frame());
                }
                black_box(sum)
            })
        });
        group.bench_function(format!("layer/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0u32;
                let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(&mems);
                for vma in &vmas {
                    let page = cpu.alloc_vma(&mut task, black_box(vma), gfp, 0, &mut frame);
                    sum += page.map_or(0, |p| *p.frame());
                }
                black_box(sum)
            })
        });
        group.bench_function(format!("fault/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0u32;
                let mut task = TaskContext::new(None, &mut cursor).with_mems_allowed(&mems);
                for p in 0..OPS {
                    let addr = black_box(BASE + p * PAGE);
                    let page = cpu.alloc_fault(&mut task, &mm, addr, gfp, 0, &mut frame);
                    sum += page.map_or(0, |p| *p.frame());
                }
                black_box(sum)
            })
        });
        let _ = own;
    }
    group.finish();
    let _ = NodeMask::new();
}

criterion_group!(benches, decisions);
criterion_main!(benches);

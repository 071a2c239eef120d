//! The first phase, on every CPU at once, with the weights fixed: each policy mode and flag
//! placing real frames, each check one line.
//!
//! Every check makes its own [`Process`], sets a policy through a system call of the
//! machine, allocates (page faults, kernel allocations, a bulk allocation, requests with zone
//! and node flags), compares each frame with what [`Expect`] says the policy must have
//! picked, counts the pages per node against the policy's arithmetic, and gives every frame
//! back (reading its tag first: a frame two CPUs got at once would show).
//!
//! | check | policy | expected |
//! |---|---|---|
//! | default, local | none, `MPOL_LOCAL` | one node nearest to the CPU's (its own if it has memory) |
//! | preferred | `MPOL_PREFERRED` on the farthest memory node | that node |
//! | preferred-many, bind, bind with `MPOL_F_NUMA_BALANCING` | over the memory nodes but the nearest | one node of them nearest to the CPU's |
//! | home node | `MPOL_BIND` / `MPOL_PREFERRED_MANY` over all, home node the farthest | the home node |
//! | VMA policy | task: preferred; one range: `MPOL_INTERLEAVE` | in the range, node `ilx mod n`; elsewhere the task's |
//! | interleave, bulk | `MPOL_INTERLEAVE` (task) | the mask in order, equal shares |
//! | weighted interleave | `MPOL_WEIGHTED_INTERLEAVE`, automatic weights from the HMAT | node by weight, shares by weight |
//! | shared policy | `mbind` on one mapping of a shared object | in every mapping, node `(ino + index) mod n` |
//! | cpuset rebind | plain, static and relative masks, a range's bind | remapped into the new cpuset |
//! | `__GFP_THISNODE`, DMA, DMA32, movable | default | that node only; the zone's addresses |
//! | `mbind(MPOL_MF_MOVE)` | interleave over the remote nodes, on pages placed locally | each page outside the mask copied to node `ilx mod n`, old frames freed |

use super::expect::{Expect, Tally};
use super::process::{self, Moves, Process, Resident, PAGE};
use super::Ctx;
use crate::check;
use crate::embed::{self, Frames};
use crate::frames::{FrameBlock, Zone};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use mempolicy::abi::{SharedObject, SharedPolicy, MF_MOVE};
use mempolicy::firmware::AccessClass;
use mempolicy::gfp::GfpFlags;
use mempolicy::policy::{Mode, ModeFlags};
use mempolicy::select::Page;
use mempolicy::{Error, NodeId, NodeMask, Result};

/// Where each check maps its ranges (every process has its own address space).
const BASE: u64 = 0x1000_0000;
/// A second range.
const OTHER: u64 = 0x2000_0000;

/// Runs every check of the phase on this CPU.
pub fn run(ctx: &Ctx<'_>) {
    attempt(ctx, "local policies", local);
    attempt(ctx, "preferred", preferred);
    attempt(ctx, "nearest of a mask", nearest_of_mask);
    attempt(ctx, "home node", home_node);
    attempt(ctx, "VMA policy", vma_policy);
    attempt(ctx, "interleave", interleave);
    attempt(ctx, "bulk interleave", bulk_interleave);
    if ctx.index == 0 {
        attempt(ctx, "automatic weights", automatic_weights);
    }
    attempt(ctx, "weighted interleave", weighted_interleave);
    attempt(ctx, "shared policy", shared_policy);
    attempt(ctx, "cpuset rebind", cpuset_rebind);
    attempt(ctx, "__GFP_THISNODE", this_node);
    attempt(ctx, "zones", zones);
    attempt(ctx, "mbind MPOL_MF_MOVE", mbind_move);
}

/// Runs one check; an error from the crate fails it with the error's text.
fn attempt(ctx: &Ctx<'_>, what: &str, f: impl FnOnce(&Ctx<'_>) -> Result<()>) {
    if let Err(err) = f(ctx) {
        check!(false, "cpu {}: {what}: {err}", ctx.index);
    }
}

/// The raw mode of a system call: `mode` with `flags`.
fn raw(mode: Mode, flags: ModeFlags) -> i32 {
    mode.as_raw() | i32::from(flags.bits())
}

/// Faults `pages` pages from `start`; `expected(i, node)` says whether page `i` may be on
/// `node`.
fn fault_all(
    ctx: &Ctx<'_>,
    p: &mut Process,
    start: u64,
    pages: u64,
    expected: impl Fn(u64, NodeId) -> bool,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for i in 0..pages {
        let page = p.fault(ctx.pools(), start + i * PAGE)?;
        tally.record(
            &ctx.expect,
            page.node,
            page.block.range(),
            expected(i, page.node),
        );
    }
    Ok(tally)
}

/// `count` kernel allocations (`alloc_pages(gfp, 0)`) of `p`'s task; `expected(i, page)`
/// says whether the `i`-th is where it must be. The pages are freed; the second value counts
/// those that lost their tag.
fn alloc_all(
    ctx: &Ctx<'_>,
    p: &mut Process,
    gfp: GfpFlags,
    count: u64,
    expected: impl Fn(u64, &Resident) -> bool,
) -> Result<(Tally, u32)> {
    let mut tally = Tally::default();
    let mut held: Vec<Resident> = Vec::new();
    let mut result = Ok(());
    for i in 0..count {
        match p.alloc_pages(ctx.pools(), gfp) {
            Ok(page) => {
                let ok = expected(i, &page);
                tally.record(&ctx.expect, page.node, page.block.range(), ok);
                held.push(page);
            }
            Err(err) => {
                result = Err(err);
                break;
            }
        }
    }
    let bad = held
        .into_iter()
        .map(|page| process::release(ctx.pools(), page))
        .sum();
    result.map(|()| (tally, bad))
}

/// Default and `MPOL_LOCAL`: the CPU's node, or the nearest with memory.
fn local(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let near = ctx.expect.nearest(ctx.node, &mem);
    for (name, mode) in [("default", None), ("local", Some(Mode::Local))] {
        let mut p = Process::new(ctx.index, mem);
        if let Some(mode) = mode {
            p.set_mempolicy(ctx.machine, mode.as_raw(), None)?;
        }
        p.mmap(BASE, 16)?;
        let t = fault_all(ctx, &mut p, BASE, 16, |_, n| near.contains(n))?;
        let bad = p.release(ctx.pools());
        check!(
            t.placed() && t.nodes().weight() == 1 && bad == 0,
            "cpu {}: {name} policy from node {}: faults on one node of {near}: {t}, {bad} overwritten",
            ctx.index,
            ctx.node
        );
    }
    Ok(())
}

/// `MPOL_PREFERRED` on the memory node farthest from this CPU.
fn preferred(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let far = ctx.expect.farthest(ctx.node, &mem).ok_or(Error::NoMemory)?;
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(
        ctx.machine,
        Mode::Preferred.as_raw(),
        Some(&NodeMask::from_node(far)),
    )?;
    p.mmap(BASE, 16)?;
    let t = fault_all(ctx, &mut p, BASE, 16, |_, n| n == far)?;
    let bad = p.release(ctx.pools());
    check!(
        t.placed() && bad == 0,
        "cpu {}: preferred node {far}: {t}, {bad} overwritten",
        ctx.index
    );
    Ok(())
}

/// The memory nodes but those nearest to this CPU (all of them if that leaves none).
fn remote_mask(ctx: &Ctx<'_>) -> NodeMask {
    let mem = ctx.expect.memory();
    let others = mem.and_not(&ctx.expect.nearest(ctx.node, &mem));
    if others.is_empty() {
        mem
    } else {
        others
    }
}

/// Preferred-many, bind and bind with `MPOL_F_NUMA_BALANCING` over the remote nodes: one
/// node of the mask, nearest to this CPU.
fn nearest_of_mask(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let mask = remote_mask(ctx);
    let near = ctx.expect.nearest(ctx.node, &mask);
    let modes = [
        (
            "preferred-many",
            raw(Mode::PreferredMany, ModeFlags::empty()),
        ),
        ("bind", raw(Mode::Bind, ModeFlags::empty())),
        (
            "bind|numa_balancing",
            raw(Mode::Bind, ModeFlags::NUMA_BALANCING),
        ),
    ];
    for (name, mode) in modes {
        let mut p = Process::new(ctx.index, mem);
        p.set_mempolicy(ctx.machine, mode, Some(&mask))?;
        p.mmap(BASE, 16)?;
        let t = fault_all(ctx, &mut p, BASE, 16, |_, n| near.contains(n))?;
        let bad = p.release(ctx.pools());
        check!(
            t.placed() && t.nodes().weight() == 1 && bad == 0,
            "cpu {}: {name} {mask} from node {}: faults on one node of {near}: {t}, {bad} overwritten",
            ctx.index,
            ctx.node
        );
    }
    Ok(())
}

/// A range bound (and one preferred-many) to every memory node, with the farthest as its
/// home node (`set_mempolicy_home_node`): every fault goes to the home node.
fn home_node(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let home = ctx.expect.farthest(ctx.node, &mem).ok_or(Error::NoMemory)?;
    for (name, mode) in [
        ("bind", Mode::Bind),
        ("preferred-many", Mode::PreferredMany),
    ] {
        let mut p = Process::new(ctx.index, mem);
        p.mmap(BASE, 16)?;
        p.mbind(
            ctx.machine,
            ctx.node,
            ctx.pools(),
            BASE,
            16,
            mode.as_raw(),
            Some(&mem),
            0,
        )?;
        p.set_home_node(ctx.machine, BASE, 16, home)?;
        let t = fault_all(ctx, &mut p, BASE, 16, |_, n| n == home)?;
        let bad = p.release(ctx.pools());
        check!(
            t.placed() && bad == 0,
            "cpu {}: {name} {mem} on a range with home node {home}: {t}, {bad} overwritten",
            ctx.index
        );
    }
    Ok(())
}

/// A range with its own interleave policy in a task that prefers another node: faults in the
/// range follow the range's policy by interleave index (the virtual page number), faults
/// elsewhere the task's.
fn vma_policy(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let far = ctx.expect.farthest(ctx.node, &mem).ok_or(Error::NoMemory)?;
    let n = mem.weight() as u64;
    let pages = 4 * n;
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(
        ctx.machine,
        Mode::Preferred.as_raw(),
        Some(&NodeMask::from_node(far)),
    )?;
    p.mmap(BASE, pages)?;
    p.mmap(OTHER, 8)?;
    p.mbind(
        ctx.machine,
        ctx.node,
        ctx.pools(),
        BASE,
        pages,
        Mode::Interleave.as_raw(),
        Some(&mem),
        0,
    )?;
    let t = fault_all(ctx, &mut p, BASE, pages, |i, node| {
        Expect::interleave(&mem, BASE / PAGE + i) == Some(node)
    })?;
    let u = fault_all(ctx, &mut p, OTHER, 8, |_, node| node == far)?;
    let bad = p.release(ctx.pools());
    check!(
        t.placed() && t.exactly(&mem, |_| 4) && bad == 0,
        "cpu {}: range with its own interleave {mem} in a task preferring {far}: node by index, {t}",
        ctx.index
    );
    check!(
        u.placed() && bad == 0,
        "cpu {}: range without a policy in the same task: the task's preferred node {far}: {u}, {bad} overwritten",
        ctx.index
    );
    Ok(())
}

/// `MPOL_INTERLEAVE` as the task's policy: kernel allocations take the mask's nodes in turn,
/// from its first (the cursor starts fresh with a new policy).
fn interleave(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let n = mem.weight() as u64;
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(ctx.machine, Mode::Interleave.as_raw(), Some(&mem))?;
    let gfp = GfpFlags::GFP_KERNEL;
    let (t, bad) = alloc_all(ctx, &mut p, gfp, 3 * n, |i, page| {
        mem.nth((i % n) as usize) == Some(page.node)
    })?;
    check!(
        t.placed() && t.exactly(&mem, |_| 3) && bad == 0,
        "cpu {}: interleave {mem} as the task's policy: allocations in mask order, equal shares: {t}, {bad} overwritten",
        ctx.index
    );
    Ok(())
}

/// A bulk allocation under interleave: equal shares (each frame's node read from the SRAT).
fn bulk_interleave(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let count = 2 * mem.weight();
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(ctx.machine, Mode::Interleave.as_raw(), Some(&mem))?;
    let mut out: Vec<Option<Page<FrameBlock>>> = (0..count).map(|_| None).collect();
    let task = &mut p.task;
    let pools = ctx.pools();
    let filled = embed::with_cpu(ctx.index, |cpu| {
        cpu.alloc_bulk(
            &mut task.lend(),
            GfpFlags::GFP_KERNEL,
            &mut out,
            &mut Frames(pools),
        )
    })??;
    let mut t = Tally::default();
    // Pages whose reported node is not the node the SRAT puts their frame on.
    let mut mislabelled = 0;
    for page in out.into_iter().flatten() {
        let said = page.node();
        let block = page.into_frame();
        match ctx.expect.node_at(block.range()) {
            Some(node) => {
                mislabelled += usize::from(node != said);
                t.record(&ctx.expect, node, block.range(), mem.contains(node));
            }
            None => t.unexpected += 1,
        }
        pools.free(block);
    }
    check!(
        filled == count && t.placed() && t.exactly(&mem, |_| 2) && mislabelled == 0,
        "cpu {}: bulk allocation of {count} pages under interleave {mem}: {filled} filled, equal shares by SRAT range: {t}, {mislabelled} reported on another node",
        ctx.index
    );
    Ok(())
}

/// The weights the machine booted with are automatic and follow the HMAT's access-class-1
/// bandwidths (`min(read, write)`): a node with more bandwidth never weighs less; all 1
/// without bandwidths.
fn automatic_weights(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let weights = &ctx.boot_weights;
    let numa = &ctx.kernel.layout.numa;
    let bandwidth = |n: NodeId| {
        numa.access(n, AccessClass::Cpu)
            .and_then(|a| a.perf)
            .map_or(0, |p| p.read_bandwidth.min(p.write_bandwidth))
    };
    let any = mem.iter().any(|n| bandwidth(n) > 0);
    let ordered = mem.iter().all(|a| {
        mem.iter()
            .all(|b| bandwidth(a) <= bandwidth(b) || weights.get(a) >= weights.get(b))
    });
    let ones = mem.iter().all(|n| weights.get(n) == 1);
    let mut line = String::new();
    for n in mem.iter() {
        let _ = write!(line, " node{n}:{}MB/s->{}", bandwidth(n), weights.get(n));
    }
    check!(
        weights.is_auto() && if any { ordered } else { ones },
        "weights: automatic ({}) from the HMAT bandwidths{}:{line}",
        weights.is_auto(),
        if any { "" } else { " (none: all 1)" }
    );
    Ok(())
}

/// `MPOL_WEIGHTED_INTERLEAVE` over every memory node with the boot (automatic) weights:
/// a range's faults by interleave index, and the task's kernel allocations with the cursor;
/// one full cycle of each gives every node exactly its weight.
fn weighted_interleave(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let w = &ctx.boot_weights;
    let total = Expect::weight_total(&mem, w);
    let mode = Mode::WeightedInterleave.as_raw();
    let mut p = Process::new(ctx.index, mem);
    p.mmap(BASE, total)?;
    p.mbind(
        ctx.machine,
        ctx.node,
        ctx.pools(),
        BASE,
        total,
        mode,
        Some(&mem),
        0,
    )?;
    let t = fault_all(ctx, &mut p, BASE, total, |i, node| {
        Expect::weighted(&mem, w, BASE / PAGE + i) == Some(node)
    })?;
    let bad = p.release(ctx.pools());
    let by_weight = |n: NodeId| u32::from(w.get(n));
    check!(
        t.placed() && t.exactly(&mem, by_weight) && bad == 0,
        "cpu {}: weighted interleave {mem} on a range, one cycle of {total}: node by index and weight, shares by weight: {t}",
        ctx.index
    );
    let mut q = Process::new(ctx.index, mem);
    q.set_mempolicy(ctx.machine, mode, Some(&mem))?;
    let (u, bad) = alloc_all(ctx, &mut q, GfpFlags::GFP_KERNEL, total, |i, page| {
        Expect::weighted(&mem, w, i) == Some(page.node)
    })?;
    check!(
        u.placed() && u.exactly(&mem, by_weight) && bad == 0,
        "cpu {}: weighted interleave {mem} as the task's policy, {total} allocations: each node its weight in turn: {u}",
        ctx.index
    );
    Ok(())
}

/// A shared object mapped by two processes at different addresses: an `mbind` through one
/// mapping sets the object's policy, and faults through both follow it, by the page's index
/// in the object biased by the inode number; the second task's own policy does not apply.
fn shared_policy(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let far = ctx.expect.farthest(ctx.node, &mem).ok_or(Error::NoMemory)?;
    let ino = 0x1000 + 7 * ctx.index as u64;
    let pages = 2 * mem.weight() as u64;
    let object = Arc::new(SharedObject::new(
        ctx.machine.domain(),
        SharedPolicy::new(ino),
    ));
    let mut a = Process::new(ctx.index, mem);
    let mut b = Process::new(ctx.index, mem);
    a.mmap_shared(BASE, 2 * pages, 0, &object)?;
    // The second process maps the object's second half first, then its first half.
    b.mmap_shared(OTHER, pages, pages, &object)?;
    b.mmap_shared(OTHER + pages * PAGE, pages, 0, &object)?;
    b.set_mempolicy(
        ctx.machine,
        Mode::Preferred.as_raw(),
        Some(&NodeMask::from_node(far)),
    )?;
    a.mbind(
        ctx.machine,
        ctx.node,
        ctx.pools(),
        BASE,
        2 * pages,
        Mode::Interleave.as_raw(),
        Some(&mem),
        0,
    )?;
    let by_index = |index: u64, node: NodeId| Expect::interleave(&mem, ino + index) == Some(node);
    let t = fault_all(ctx, &mut a, BASE, 2 * pages, by_index)?;
    let u = fault_all(ctx, &mut b, OTHER, 2 * pages, |i, node| {
        by_index((i + pages) % (2 * pages), node)
    })?;
    let bad = a.release(ctx.pools()) + b.release(ctx.pools());
    check!(
        t.placed() && u.placed() && t.exactly(&mem, |_| 4) && u.exactly(&mem, |_| 4) && bad == 0,
        "cpu {}: shared object (ino {ino:#x}) interleaved {mem} through one mapping: faults through both follow the object by index: {t}; {u}",
        ctx.index
    );
    Ok(())
}

/// A cpuset change: the cpuset loses its first memory node (if it has two), the tasks and
/// the range policies are rebound, and later placements land in the new set as each kind of
/// mask is remapped: a plain mask by position in the old cpuset, a static one intersected,
/// a relative one folded onto the new set.
fn cpuset_rebind(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let first = mem.first().ok_or(Error::NoMemory)?;
    let second = mem.nth(1).unwrap_or(first);
    let new = if mem.weight() >= 2 {
        mem.and_not(&NodeMask::from_node(first))
    } else {
        mem
    };
    let s = new.weight();
    let at = |k: usize| new.nth(k % s).unwrap_or(first);
    let pair = NodeMask::from_node(at(0)).with(at(1));
    let given = NodeMask::from_node(first).with(second);
    let interleave = Mode::Interleave;
    let gfp = GfpFlags::GFP_KERNEL;

    // A plain interleave mask, and a range bound to the first node.
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(ctx.machine, interleave.as_raw(), Some(&given))?;
    p.mmap(BASE, 8)?;
    let only_first = NodeMask::from_node(first);
    let bind = Mode::Bind.as_raw();
    p.mbind(
        ctx.machine,
        ctx.node,
        ctx.pools(),
        BASE,
        8,
        bind,
        Some(&only_first),
        0,
    )?;
    ctx.machine.cpuset_rebind(&mut p.task, &mut p.mm, new);
    let each = 4;
    let (t, bad) = alloc_all(ctx, &mut p, gfp, each * pair.weight() as u64, |_, page| {
        pair.contains(page.node)
    })?;
    check!(
        t.placed() && t.exactly(&pair, |_| each as u32) && bad == 0 && t.nodes().is_subset(&new),
        "cpu {}: cpuset {mem} -> {new}: interleave {given} rebound by position to {pair}: {t}",
        ctx.index
    );
    let u = fault_all(ctx, &mut p, BASE, 8, |_, n| n == at(0))?;
    let bad = p.release(ctx.pools());
    check!(
        u.placed() && bad == 0,
        "cpu {}: cpuset {mem} -> {new}: a range bound to {first} rebound to {}: {u}",
        ctx.index,
        at(0)
    );

    // A static mask keeps its nodes that are still allowed.
    let kept = given.and(&new);
    let mut q = Process::new(ctx.index, mem);
    let mode = raw(interleave, ModeFlags::STATIC_NODES);
    q.set_mempolicy(ctx.machine, mode, Some(&given))?;
    ctx.machine.cpuset_rebind(&mut q.task, &mut q.mm, new);
    let (t, bad) = alloc_all(ctx, &mut q, gfp, each * kept.weight() as u64, |_, page| {
        kept.contains(page.node)
    })?;
    check!(
        t.placed() && t.exactly(&kept, |_| each as u32) && bad == 0,
        "cpu {}: cpuset {mem} -> {new}: interleave|static {given} keeps {kept}: {t}",
        ctx.index
    );

    // A relative mask names positions in the cpuset.
    let relative = if mem.weight() >= 2 {
        NodeMask::first_n(2)
    } else {
        NodeMask::first_n(1)
    };
    let mut r = Process::new(ctx.index, mem);
    let mode = raw(interleave, ModeFlags::RELATIVE_NODES);
    r.set_mempolicy(ctx.machine, mode, Some(&relative))?;
    ctx.machine.cpuset_rebind(&mut r.task, &mut r.mm, new);
    let (t, bad) = alloc_all(ctx, &mut r, gfp, each * pair.weight() as u64, |_, page| {
        pair.contains(page.node)
    })?;
    check!(
        t.placed() && t.exactly(&pair, |_| each as u32) && bad == 0,
        "cpu {}: cpuset {mem} -> {new}: interleave|relative {relative} refolded onto {pair}: {t}",
        ctx.index
    );
    Ok(())
}

/// `__GFP_THISNODE` on each online node (`__alloc_pages_node`): a frame of that node when it
/// has memory, none (no fallback) when it has not.
fn this_node(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let gfp = GfpFlags::GFP_KERNEL | GfpFlags::THISNODE;
    let mut served = NodeMask::new();
    let mut refused = NodeMask::new();
    let mut wrong = NodeMask::new();
    for node in ctx.expect.online().iter() {
        let pools = ctx.pools();
        let result = embed::with_cpu(ctx.index, |cpu| {
            cpu.alloc_on_node(node, gfp, 0, &mut Frames(pools))
        })?;
        match result {
            Ok(page) => {
                let block = page.into_frame();
                let right = mem.contains(node)
                    && ctx.expect.node_at(block.range()) == Some(node)
                    && ctx.expect.in_node(node, block.range());
                if right {
                    served.insert(node);
                } else {
                    wrong.insert(node);
                }
                pools.free(block);
            }
            Err(Error::NoMemory) if !mem.contains(node) => refused.insert(node),
            Err(_) => wrong.insert(node),
        }
    }
    check!(
        served == mem && wrong.is_empty(),
        "cpu {}: __GFP_THISNODE on each online node: served on its own node by {served}, refused by {} (no memory), wrong on {}",
        ctx.index,
        if refused.is_empty() { String::from("none") } else { alloc::format!("{refused}") },
        if wrong.is_empty() { String::from("none") } else { alloc::format!("{wrong}") },
    );
    Ok(())
}

/// Zone requests under the default policy: DMA (below 16 MiB), DMA32 (below 4 GiB), and
/// movable and kernel requests (the highest zone of the nearest node).
fn zones(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let cases = [
        ("DMA", GfpFlags::GFP_KERNEL | GfpFlags::GFP_DMA, Zone::Dma),
        (
            "DMA32",
            GfpFlags::GFP_KERNEL | GfpFlags::GFP_DMA32,
            Zone::Dma32,
        ),
        ("movable", GfpFlags::GFP_HIGHUSER_MOVABLE, Zone::Normal),
        ("kernel", GfpFlags::GFP_KERNEL, Zone::Normal),
    ];
    for (name, gfp, highest) in cases {
        let near = ctx
            .expect
            .nearest(ctx.node, &ctx.expect.nodes_up_to(highest));
        let mut p = Process::new(ctx.index, mem);
        let (t, bad) = alloc_all(ctx, &mut p, gfp, 8, |_, page| {
            let by_address = Expect::zone_at(page.block.range());
            let reported = embed::kernel_zone(page.zone);
            let zone_ok = by_address.is_some() && by_address == reported;
            let expected_zone = if highest == Zone::Normal {
                ctx.expect.highest_zone(page.node)
            } else {
                by_address.filter(|&z| z <= highest)
            };
            near.contains(page.node) && zone_ok && by_address == expected_zone
        })?;
        check!(
            t.placed() && t.nodes().weight() == 1 && bad == 0,
            "cpu {}: {name} requests: on one node of {near}, in the zone by address (at most {highest}{}): {t}",
            ctx.index,
            if highest == Zone::Normal { ", the node's highest" } else { "" }
        );
    }
    Ok(())
}

/// `mbind(MPOL_INTERLEAVE, the remote memory nodes, MPOL_MF_MOVE)` on a range whose pages the
/// default policy placed on the CPU's nearest node: the pages on a node outside the mask (all
/// of them, when there are remote nodes) are copied to a frame on their interleave node
/// (allocated on this CPU), the copy is checked, and the old frame is freed; pages already on
/// a node of the mask stay (Linux queues only those).
fn mbind_move(ctx: &Ctx<'_>) -> Result<()> {
    let mem = ctx.expect.memory();
    let near = ctx.expect.nearest(ctx.node, &mem);
    let mask = remote_mask(ctx);
    let pages = (4 * mask.weight() as u64).max(8);
    let mut p = Process::new(ctx.index, mem);
    p.mmap(BASE, pages)?;
    let placed = fault_all(ctx, &mut p, BASE, pages, |_, n| near.contains(n))?;
    let before: Vec<NodeId> = p.pages.values().map(|r| r.node).collect();
    let must_move = before.iter().filter(|&&n| !mask.contains(n)).count() as u32;
    let moves: Moves = p.mbind(
        ctx.machine,
        ctx.node,
        ctx.pools(),
        BASE,
        pages,
        Mode::Interleave.as_raw(),
        Some(&mask),
        MF_MOVE,
    )?;
    let mut after = Tally::default();
    for ((&addr, page), &was) in p.pages.iter().zip(&before) {
        let i = (addr - BASE) / PAGE;
        let target = if mask.contains(was) {
            Some(was)
        } else {
            Expect::interleave(&mask, BASE / PAGE + i)
        };
        let right =
            target == Some(page.node) && ctx.expect.node_at(page.block.range()) == Some(page.node);
        after.record(&ctx.expect, page.node, page.block.range(), right);
    }
    let bad = p.release(ctx.pools());
    check!(
        placed.placed()
            && after.placed()
            && after.pages as u64 == pages
            && moves.moved == must_move
            && moves.freed == moves.moved
            && moves.corrupted == 0
            && moves.failed == 0
            && bad == 0,
        "cpu {}: mbind MPOL_MF_MOVE to interleave {mask} of {pages} pages on {}: {} copied to their interleave node and checked ({} outside the mask), {} old frames freed, {} failed: {after}",
        ctx.index,
        placed.nodes(),
        moves.moved,
        must_move,
        moves.freed,
        moves.failed
    );
    Ok(())
}

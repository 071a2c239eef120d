//! The second phase: one CPU publishes new weighted-interleave weights in a loop while the
//! others allocate under weighted interleave.
//!
//! The publisher writes the weights the way an administrator writes the sysfs files
//! ([`WeightTable::set_weight`], [`WeightTable::set_auto`]), in rounds: every memory node to
//! 2, then to 3, then to 4, then automatic weights on (recomputed from the HMAT bandwidths)
//! and off again. Each write publishes a whole new table; the old one is retired and freed
//! once every CPU has passed a quiescent state.
//!
//! The allocating CPUs check, while the weights change under them:
//!
//! * every page of a weighted-interleave allocation (faults and kernel allocations) lands on
//!   a node of the mask, inside that node's SRAT ranges (the counts per node are not checked
//!   here: they depend on when each table was read; the first phase checked them with the
//!   weights fixed);
//! * every table a CPU reads (through its own [`WeightReader`](mempolicy::weights::WeightReader),
//!   all weights from one table) is one the publisher published: the nodes of the mask in
//!   order, a prefix already at the round's value and the rest still at the previous
//!   round's (or the automatic weights). A torn read, or a freed table read, would show a mix
//!   that no round ever published.
//!
//! With a single CPU, that CPU publishes one step between its own allocations.

use super::expect::Tally;
use super::process::{self, Process, PAGE};
use super::Ctx;
use crate::check;
use crate::embed;
use crate::percpu;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use mempolicy::gfp::GfpFlags;
use mempolicy::interleave::WeightSource;
use mempolicy::policy::Mode;
use mempolicy::weights::WeightTable;
use mempolicy::{Error, NodeMask, Result};

/// Allocating CPUs that have finished the phase.
static ALLOCATORS_DONE: AtomicUsize = AtomicUsize::new(0);

/// Rounds every allocating CPU runs at least.
const MIN_ROUNDS: u32 = 48;
/// Rounds it runs at most, while waiting to see the weights change a few times.
const MAX_ROUNDS: u32 = 4000;
/// Changes of the weights an allocating CPU waits to see.
const WANTED_CHANGES: u32 = 4;
/// Kernel allocations and faults per round.
const PER_ROUND: u64 = 4;
/// Where the range of the phase is mapped.
const BASE: u64 = 0x4000_0000;
/// Timer ticks (about 1.6 ms each) the publisher publishes for at most.
const PUBLISH_TICKS: u64 = 8000;
/// Retired objects the publisher lets wait for their grace period before it waits too.
const RETIRED_LIMIT: usize = 256;

/// What the publisher did.
#[derive(Debug, Default)]
struct Published {
    /// Tables published.
    tables: u64,
    /// Rounds completed.
    rounds: u64,
    /// `set_auto(true)` refused (no bandwidth was ever reported).
    refused: u64,
    /// Recomputed automatic weights that differed from the boot weights.
    recomputed_differ: u64,
    /// The most retired objects seen waiting for their grace period.
    peak_retired: usize,
    /// Times the publisher waited for grace periods to end.
    waits: u64,
}

/// The publisher's part: rounds of weight writes until every allocating CPU is done.
pub fn publish(ctx: &Ctx<'_>, allocators: usize) {
    let table = ctx.machine.weights();
    let mem = ctx.expect.memory();
    let mut done = Published::default();
    let start = percpu::current().ticks.load(Ordering::Relaxed);
    let mut result = Ok(());
    let mut finished = false;
    while result.is_ok() {
        // At least one whole cycle (the fourth round turns automatic weights on), then
        // until every allocating CPU is done.
        finished = done.rounds >= 4 && ALLOCATORS_DONE.load(Ordering::Acquire) >= allocators;
        let ticks = percpu::current().ticks.load(Ordering::Relaxed) - start;
        if finished || ticks > PUBLISH_TICKS {
            break;
        }
        result = step(ctx, table, &mem, &mut done);
        // This CPU holds no machine state between two rounds either.
        embed::quiescent(ctx.index);
        throttle(ctx, &mut done);
    }
    report(ctx, &done, result, finished);
}

/// Back-pressure: once [`RETIRED_LIMIT`] retired tables wait for their grace period (a CPU
/// that has not passed a quiescent state holds them all back, for instance a virtual CPU the
/// host does not run for a while), reclaim and sleep until they are freed, rather than fill
/// the heap. Linux's weight writers wait for a grace period on every write
/// (`synchronize_rcu`); this writer waits only when the backlog is large.
fn throttle(ctx: &Ctx<'_>, done: &mut Published) {
    let retired = ctx.machine.retired();
    done.peak_retired = done.peak_retired.max(retired);
    if retired < RETIRED_LIMIT {
        return;
    }
    done.waits += 1;
    for _ in 0..1000 {
        ctx.machine.reclaim();
        if ctx.machine.retired() < RETIRED_LIMIT / 2 {
            return;
        }
        embed::idle(ctx.index);
    }
}

/// Checks and prints what the publisher did.
fn report(ctx: &Ctx<'_>, done: &Published, result: Result<()>, finished: bool) {
    let reports = ctx.machine.with_topology(|t| {
        let online = *t.online_nodes();
        online.iter().any(|n| t.access(n).is_some())
    });
    check!(
        result.is_ok()
            && finished
            && done.rounds > 0
            && done.recomputed_differ == 0
            && (done.refused > 0) != reports,
        "cpu {}: published {} weight tables in {} rounds until the others were done{} (at most {} retired at once, {} waits for grace periods); automatic weights {}{}",
        ctx.index,
        done.tables,
        done.rounds,
        match &result {
            Ok(()) => alloc::string::String::new(),
            Err(e) => alloc::format!(" (stopped: {e})"),
        },
        done.peak_retired,
        done.waits,
        if reports {
            "recomputed from the HMAT bandwidths"
        } else {
            "refused (no bandwidth reported)"
        },
        if done.recomputed_differ > 0 { ", differing from the boot weights" } else { "" }
    );
}

/// One round of writes: every memory node to 2, 3 or 4, or automatic weights on and off.
fn step(ctx: &Ctx<'_>, table: &WeightTable, mem: &NodeMask, done: &mut Published) -> Result<()> {
    match done.rounds % 4 {
        3 => match table.set_auto(true) {
            Ok(()) => {
                done.tables += 1;
                let now = table.snapshot();
                if mem.iter().any(|n| now.get(n) != ctx.boot_weights.get(n)) {
                    done.recomputed_differ += 1;
                }
                table.set_auto(false)?;
                done.tables += 1;
            }
            Err(Error::NoBandwidth) => done.refused += 1,
            Err(e) => return Err(e),
        },
        k => {
            let value = 2 + k as u8;
            for node in mem.iter() {
                table.set_weight(node, value)?;
                done.tables += 1;
            }
        }
    }
    done.rounds += 1;
    Ok(())
}

/// Whether `weights` (of the memory nodes, in order) is a table the publisher published:
/// the boot weights, or a prefix at a round's value and the rest at the previous round's
/// (or at the boot weights, for the round after automatic weights, or the first).
fn published(weights: &[u8], boot: &[u8]) -> bool {
    if weights == boot {
        return true;
    }
    let Some(&value) = weights.first() else {
        return false;
    };
    let split = weights
        .iter()
        .position(|&w| w != value)
        .unwrap_or(weights.len());
    let rest = &weights[split..];
    let all = |v: u8| rest.iter().all(|&w| w == v);
    match value {
        2 => all(4) || rest == &boot[split..],
        3 => all(2),
        4 => all(3),
        _ => false,
    }
}

/// An allocating CPU's part; `publish_too` when it is the only CPU.
pub fn allocate(ctx: &Ctx<'_>, publish_too: bool) {
    let result = allocate_rounds(ctx, publish_too);
    ALLOCATORS_DONE.fetch_add(1, Ordering::Release);
    if let Err(err) = result {
        check!(
            false,
            "cpu {}: weighted interleave while weights change: {err}",
            ctx.index
        );
    }
}

fn allocate_rounds(ctx: &Ctx<'_>, publish_too: bool) -> Result<()> {
    let table = ctx.machine.weights();
    let mem = ctx.expect.memory();
    let boot: Vec<u8> = mem.iter().map(|n| ctx.boot_weights.get(n)).collect();
    let mut p = Process::new(ctx.index, mem);
    p.set_mempolicy(ctx.machine, Mode::WeightedInterleave.as_raw(), Some(&mem))?;
    p.mmap(BASE, u64::from(MAX_ROUNDS) * PER_ROUND)?;
    // This CPU's reader of the weights, for the duration of the phase (dropping it at the
    // end unregisters it, so it holds back no reclamation afterwards).
    let mut reader = table.reader();
    let mut own = Published::default();
    let (mut reads, mut changes, mut torn) = (0u32, 0u32, 0u32);
    let mut last: Vec<u8> = boot.clone();
    let mut tally = Tally::default();
    let mut bad = 0;
    let mut rounds = 0;
    while rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || (!publish_too && changes < WANTED_CHANGES))
    {
        let now: Vec<u8> = reader.with_view(|view| mem.iter().map(|n| view.weight(n)).collect());
        reads += 1;
        torn += u32::from(!published(&now, &boot));
        if now != last {
            changes += 1;
            last = now;
        }
        for _ in 0..PER_ROUND {
            let page = p.alloc_pages(ctx.pools(), GfpFlags::GFP_HIGHUSER_MOVABLE)?;
            tally.record(
                &ctx.expect,
                page.node,
                page.block.range(),
                mem.contains(page.node),
            );
            bad += process::release(ctx.pools(), page);
        }
        for k in 0..PER_ROUND {
            let addr = BASE + (u64::from(rounds) * PER_ROUND + k) * PAGE;
            let page = p.fault(ctx.pools(), addr)?;
            let (node, range) = (page.node, page.block.range());
            tally.record(&ctx.expect, node, range, mem.contains(node));
        }
        bad += p.release(ctx.pools());
        // The end of a round holds no machine state: a quiescent state for this reader and
        // for the CPU's handles, so the publisher's old tables can be freed.
        reader.quiescent();
        embed::quiescent(ctx.index);
        if publish_too {
            step(ctx, table, &mem, &mut own)?;
            throttle(ctx, &mut own);
        }
        rounds += 1;
    }
    drop(reader);
    check!(
        tally.placed() && bad == 0,
        "cpu {}: weighted interleave {mem} while the weights change: every page on a node of the mask: {tally}, {bad} overwritten",
        ctx.index
    );
    check!(
        torn == 0 && changes > 0,
        "cpu {}: read the weights {reads} times, saw {changes} changes, {torn} tables no round published (torn)",
        ctx.index
    );
    if publish_too {
        report(ctx, &own, Ok(()), true);
    }
    Ok(())
}

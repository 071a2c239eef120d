//! Shared helpers of the loom models in `tests/` (run with
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release`).
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use loom::cell::UnsafeCell;

/// Prints a model's name, executions and time when the model ends, passing or failing.
struct Report {
    name: String,
    executions: Arc<AtomicUsize>,
    start: Instant,
}

impl Drop for Report {
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            "failed"
        } else {
            "passed"
        };
        println!(
            "loom model {}: {} after {} executions in {:.2?}",
            self.name,
            outcome,
            self.executions.load(Ordering::Relaxed),
            self.start.elapsed()
        );
    }
}

/// Runs `f` under `loom::model` and reports its executions and time.
pub fn model<F>(name: &str, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let report = Report {
        name: name.to_string(),
        executions: Arc::new(AtomicUsize::new(0)),
        start: Instant::now(),
    };
    let executions = Arc::clone(&report.executions);
    let start = report.start;
    let progress = std::env::var_os("LOOM_PROGRESS").is_some();
    loom::model(move || {
        let n = executions.fetch_add(1, Ordering::Relaxed) + 1;
        if progress && n.is_multiple_of(100_000) {
            println!("  {n} executions, {:.0?}", start.elapsed());
        }
        f();
    });
    drop(report);
}

/// A stand-in for a policy whose reads and "free" loom checks: its destructor writes to the
/// tracked cell, as a freeing allocator writes its free-list pointer into the object.
#[derive(Debug)]
pub struct Tracked {
    value: UnsafeCell<u32>,
}

// SAFETY: every access goes through loom's cell, which checks that accesses from different
// threads are ordered; a violation fails the model instead of racing.
unsafe impl Sync for Tracked {}

impl Tracked {
    /// A value written in the calling thread (the write loom orders readers against).
    pub fn new(value: u32) -> Self {
        let tracked = Self {
            value: UnsafeCell::new(0),
        };
        // SAFETY: not shared yet.
        tracked.value.with_mut(|p| unsafe { *p = value });
        tracked
    }

    /// Reads the value (checked by loom against the construction and the free).
    pub fn read(&self) -> u32 {
        // SAFETY: loom checks this read against every write.
        self.value.with(|p| unsafe { *p })
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // Skipped while a loom failure unwinds (the cell may be mid-read).
        if !std::thread::panicking() {
            // SAFETY: `&mut self`; loom checks this write against every read.
            self.value.with_mut(|p| unsafe { *p = 0xdead })
        }
    }
}

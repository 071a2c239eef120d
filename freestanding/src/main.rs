//! A freestanding (`no_std`, no libc) smoke test of `mempolicy`.
//!
//! It proves the crate builds and runs with nothing but `core` and `alloc`: any dependency
//! that drags in `std` makes the link fail with a duplicate `panic_impl` lang item. Each
//! suite in `checks/` exercises one area through the public API; `./run.sh` builds and runs
//! it and expects the last line `freestanding: all checks passed`.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_debug_implementations)]

extern crate alloc;

mod checks;
mod rt;

/// Runs every suite; returns the process exit code.
fn main() -> i32 {
    let mut checks = checks::Checks::default();
    for &(name, suite) in checks::SUITES {
        let before = checks.failed;
        suite(&mut checks);
        if checks.failed == before {
            println!("{name} ok");
        } else {
            println!("{name} FAILED ({} checks)", checks.failed - before);
        }
    }
    println!("heap used: {} bytes", rt::heap_used());
    if checks.failed == 0 {
        println!("{} checks", checks.passed);
        // The exact final line run.sh looks for.
        println!("freestanding: all checks passed");
        0
    } else {
        println!(
            "freestanding: {} of {} checks failed",
            checks.failed,
            checks.passed + checks.failed
        );
        1
    }
}

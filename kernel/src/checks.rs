//! Checks: every CPU records pass or fail with a line; the boot CPU prints the totals at the
//! end as `N passed, M failed`, the line `run.sh` looks for.

use crate::println;
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Records one check and prints `pass: …` or `FAIL: …`; returns `ok`.
pub fn record(ok: bool, what: fmt::Arguments<'_>) -> bool {
    if ok {
        PASSED.fetch_add(1, Ordering::Relaxed);
        println!("pass: {what}");
    } else {
        FAILED.fetch_add(1, Ordering::Relaxed);
        println!("FAIL: {what}");
    }
    ok
}

/// `(passed, failed)` so far.
pub fn totals() -> (u32, u32) {
    (
        PASSED.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    )
}

/// Records a check: `check!(condition, "format", args…)`.
#[macro_export]
macro_rules! check {
    ($ok:expr, $($arg:tt)*) => {
        $crate::checks::record($ok, format_args!($($arg)*))
    };
}

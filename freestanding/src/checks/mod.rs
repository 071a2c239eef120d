//! The smoke suites. To add one: write `checks/<area>.rs` with `pub(crate) fn run(c: &mut
//! Checks)` and list it in [`SUITES`].

mod nodemask;
mod rcu;

/// A suite: its name (printed as `<name> ok`) and its entry point.
pub(crate) type Suite = (&'static str, fn(&mut Checks));

/// Every suite, in the order they run.
pub(crate) const SUITES: &[Suite] = &[("nodemask", nodemask::run), ("rcu", rcu::run)];

/// Counts passed and failed checks; prints each failure.
#[derive(Default)]
pub(crate) struct Checks {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
}

impl Checks {
    /// Records one check; prints `FAILED: <name>` when `ok` is false.
    pub(crate) fn check(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            crate::println!("FAILED: {name}");
        }
    }

    /// Records that `got` equals `want`, printing both when they differ.
    pub(crate) fn eq<T: PartialEq + core::fmt::Debug>(&mut self, name: &str, got: T, want: T) {
        self.check(name, got == want);
        if got != want {
            crate::println!("    got {got:?}, want {want:?}");
        }
    }
}

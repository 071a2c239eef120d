//! Rebinding on cpuset changes: replays `conformance/cases/cpuset.txt` L6-L66 through
//! `mempolicy::abi` (task policies with and without static/relative nodes, and range
//! policies: `bind:2` becomes `bind:0`). The `where` lines after a cpuset change are left
//! out: moving the pages is the embedder's job (cgroup v2 migrates them).

mod abi_support;

use abi_support::{replay, Harness};

#[test]
fn task_and_range_policies_rebind_like_linux() {
    let mut m = Harness::new();
    // L64 is left out: it reads where the pages went after a cpuset change, and moving
    // them is the embedder's job (cgroup v2 migrates them), not this machine's.
    let mut rows = abi_support::recorded::rows("cpuset", "n4", 6..=66);
    rows.retain(|row| row.line != 64);
    replay(&mut m, &rows);
}

#[test]
fn rebinding_a_range_policy_does_not_touch_a_copy_held_by_a_reader() {
    let mut m = Harness::new();
    m.run("mmap A 4");
    assert_eq!(m.run("mbind A 0 4 BIND 0 2 64 0"), "ret=0");
    let base = 1 << 32;
    let held = m.mm.find(base).and_then(|r| r.policy().cloned()).unwrap();
    m.run("cpuset_mems 0-1");
    assert_eq!(held.to_string(), "bind:2");
    assert_eq!(m.numa_maps(), "ok A+0 bind:0");
}

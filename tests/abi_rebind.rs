//! Rebinding on cpuset changes: replays `conformance/cases/cpuset.txt` L6-L66 through
//! `mempolicy::abi` (task policies with and without static/relative nodes, and range
//! policies: `bind:2` becomes `bind:0`). The `where` lines after a cpuset change are left
//! out: moving the pages is the embedder's job (cgroup v2 migrates them).

mod abi_support;

use abi_support::{replay, Machine};

const CPUSET: &[(u32, &str, &str)] = &[
    (6, "set_mempolicy INTERLEAVE 0 0-3 64", "ret=0"),
    (7, "cpuset_mems 0-1", "ret=0"),
    (
        8,
        "get_mempolicy MEMS_ALLOWED 64",
        "ret=0 mode=DEFAULT nodes=0-1",
    ),
    (9, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=0-1"),
    (10, "cpuset_mems 2-3", "ret=0"),
    (11, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=2-3"),
    (12, "cpuset_mems 0-3", "ret=0"),
    (13, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=0-1"),
    (15, "set_mempolicy BIND 0 3 64", "ret=0"),
    (16, "cpuset_mems 0-1", "ret=0"),
    (17, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
    (18, "cpuset_mems 0-3", "ret=0"),
    (19, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
    (22, "set_mempolicy INTERLEAVE STATIC_NODES 1-2 64", "ret=0"),
    (23, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1-2"),
    (24, "cpuset_mems 2-3", "ret=0"),
    (
        25,
        "get_mempolicy 0 64",
        "ret=0 mode=INTERLEAVE|STATIC_NODES nodes=1-2",
    ),
    (26, "get_mempolicy NODE 64", "ret=0 node=2 nodes=1-2"),
    (27, "cpuset_mems 0", "ret=0"),
    (
        28,
        "get_mempolicy 0 64",
        "ret=0 mode=INTERLEAVE|STATIC_NODES nodes=1-2",
    ),
    (29, "get_mempolicy NODE 64", "ret=0 node=0 nodes=1-2"),
    (30, "cpuset_mems 0-3", "ret=0"),
    (31, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1-2"),
    (34, "set_mempolicy INTERLEAVE RELATIVE_NODES 1 64", "ret=0"),
    (35, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1"),
    (36, "cpuset_mems 2-3", "ret=0"),
    (
        37,
        "get_mempolicy 0 64",
        "ret=0 mode=INTERLEAVE|RELATIVE_NODES nodes=1",
    ),
    (38, "get_mempolicy NODE 64", "ret=0 node=3 nodes=1"),
    (39, "cpuset_mems 1,3", "ret=0"),
    (40, "get_mempolicy NODE 64", "ret=0 node=3 nodes=1"),
    (41, "cpuset_mems 0-3", "ret=0"),
    (44, "cpuset_mems 0-1", "ret=0"),
    (45, "set_mempolicy BIND 0 2-3 64", "err=EINVAL"),
    (46, "set_mempolicy BIND 0 1-3 64", "ret=0"),
    (47, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
    (48, "set_mempolicy BIND STATIC_NODES 2-3 64", "err=EINVAL"),
    (49, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
    (
        50,
        "set_mempolicy INTERLEAVE RELATIVE_NODES 2-3 64",
        "ret=0",
    ),
    (
        51,
        "get_mempolicy 0 64",
        "ret=0 mode=INTERLEAVE|RELATIVE_NODES nodes=2-3",
    ),
    (52, "get_mempolicy NODE 64", "ret=0 node=0 nodes=2-3"),
    (53, "cpuset_mems 0-3", "ret=0"),
    (56, "reset", "ok"),
    (57, "mmap A 4", "ok"),
    (58, "mbind A 0 4 BIND 0 2 64 0", "ret=0"),
    (59, "touch A 0 4", "ok"),
    (60, "where A 0 4", "ret=0 pages=2,2,2,2"),
    (61, "cpuset_mems 0-1", "ret=0"),
    (62, "numa_maps", "ok A+0 bind:0"),
    (63, "get_mempolicy ADDR 64 A+0", "ret=0 mode=BIND nodes=0"),
    (65, "cpuset_mems 0-3", "ret=0"),
    (66, "numa_maps", "ok A+0 bind:0"),
];

#[test]
fn task_and_range_policies_rebind_like_linux() {
    let mut m = Machine::new();
    replay(&mut m, CPUSET);
}

#[test]
fn rebinding_a_range_policy_does_not_touch_a_copy_held_by_a_reader() {
    let mut m = Machine::new();
    m.run("mmap A 4");
    assert_eq!(m.run("mbind A 0 4 BIND 0 2 64 0"), "ret=0");
    let base = 1 << 32;
    let held = m.mm.find(base).and_then(|r| r.policy().cloned()).unwrap();
    m.run("cpuset_mems 0-1");
    assert_eq!(held.to_string(), "bind:2");
    assert_eq!(m.numa_maps(), "ok A+0 bind:0");
}

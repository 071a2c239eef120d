//! The query and failure paths of the syscall layer do not allocate: `get_mempolicy` in all
//! its forms, every validation failure of `set_mempolicy` and `mbind` (including the hole
//! and STRICT walks), `set_mempolicy_home_node` with nothing to act on, and the
//! `migrate_pages` pairing. A per-thread counting allocator watches the calling thread.

mod abi_support;

use abi_support::{Harness, NMASK, PAGE, POLICY};
use mempolicy::abi::{self, GetMempolicyArgs, MbindArgs};
use mempolicy::{NodeId, NodeMask};

mod counting_alloc;

use counting_alloc::allocations_during;

const BASE: u64 = 1 << 32;

#[test]
fn queries_and_failures_do_not_allocate() {
    let mut m = Harness::new();
    m.run("set_mempolicy INTERLEAVE 0 1-3 64");
    m.run("mmap S 8");
    m.run("mbind S 2 3 BIND 0 1 64 0");
    m.run("touch S 0 8");
    m.run("mmap U 4");
    m.run("munmap U 2 1");
    let defaults = m.machine().defaults();
    let sys = m.sys;
    m.kernel.isolated.reserve(16);
    m.user_mask(&[0b100]); // node 2
    let get = GetMempolicyArgs {
        policy: POLICY,
        nmask: NMASK,
        maxnode: 64,
        ..GetMempolicyArgs::default()
    };
    let bind2 = MbindArgs {
        start: BASE,
        len: 8 * PAGE,
        mode: 2,
        nmask: NMASK,
        maxnode: 64,
        flags: abi::MF_STRICT,
    };
    let u = BASE * 2;

    let count = allocations_during(|| {
        let (task, mm, env) = (&mut m.task, &mut m.mm, &mut m.kernel);
        for args in [
            get,
            GetMempolicyArgs {
                flags: abi::F_NODE,
                ..get
            },
            GetMempolicyArgs {
                flags: abi::F_MEMS_ALLOWED,
                ..get
            },
            GetMempolicyArgs {
                flags: abi::F_ADDR,
                addr: BASE + 2 * PAGE,
                ..get
            },
            GetMempolicyArgs {
                flags: abi::F_ADDR | abi::F_NODE,
                addr: BASE,
                ..get
            },
            GetMempolicyArgs {
                flags: abi::F_ADDR,
                addr: 7,
                ..get
            },
            GetMempolicyArgs {
                maxnode: 32834,
                ..get
            },
        ] {
            let _ = abi::get_mempolicy(task, mm, &sys, env, args);
        }
        // set_mempolicy failures: mode, flags, nodemask, empty after the cpuset.
        for (mode, nmask, maxnode) in [(7, 0, 0), (0xc002, NMASK, 64), (2, 0xdead, 64), (2, 0, 0)] {
            assert!(abi::set_mempolicy(task, &sys, env, mode, nmask, maxnode).is_err());
        }
        // mbind failures: flags, alignment, wrap, hole, STRICT with misplaced pages.
        for args in [
            MbindArgs { flags: 8, ..bind2 },
            MbindArgs {
                start: BASE + 1,
                ..bind2
            },
            MbindArgs {
                len: u64::MAX - BASE,
                ..bind2
            },
            MbindArgs {
                start: u,
                len: 4 * PAGE,
                ..bind2
            },
            bind2,
        ] {
            assert!(abi::mbind(task, mm, &sys, defaults, NodeId::new(0), env, args).is_err());
        }
        assert!(abi::set_mempolicy_home_node(mm, &sys, u, PAGE, 1, 0).is_err());
        let (from, to): (NodeMask, NodeMask) = (NodeMask::first_n(8), NodeMask::from_u64(0b111000));
        assert_eq!(abi::migrate_pairs(&from, &to).count(), 5);
    });
    assert_eq!(count, 0);
}

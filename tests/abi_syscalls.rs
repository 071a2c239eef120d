//! The syscall layer beyond the recorded smoke lines: Linux's order of checks, "nothing
//! changes on error", the cursor, STRICT against the raw user mask, MOVE targets,
//! migrate_pages permissions and pairs, home-node holes, shared policies.

mod abi_support;

use abi_support::{Harness, NMASK, PAGE, POLICY};
use mempolicy::abi::{self, GetMempolicyArgs, SharedPolicy, SystemNodes};
use mempolicy::policy::{Mempolicy, NodeContext, PolicyFlags};
use mempolicy::{Error, NodeMask};

const BAD: u64 = 0xdead_0000;
const BASE: u64 = 1 << 32;

fn mask(s: &str) -> NodeMask {
    s.parse().unwrap()
}

#[test]
fn set_mempolicy_checks_the_mode_before_reading_the_mask() {
    let mut m = Harness::new();
    let r = abi::set_mempolicy(&mut m.task, &m.sys, &mut m.kernel, 7, BAD, 64);
    assert_eq!(r, Err(Error::UnknownMode(7)));
    let r = abi::set_mempolicy(&mut m.task, &m.sys, &mut m.kernel, 2, BAD, 64);
    assert_eq!(r.map_err(Error::errno_name), Err("EFAULT"));
}

#[test]
fn failed_set_mempolicy_keeps_the_old_policy() {
    let mut m = Harness::new();
    assert_eq!(m.run("set_mempolicy BIND 0 1 64"), "ret=0");
    assert_eq!(m.run("set_mempolicy BIND 0 none 64"), "err=EINVAL");
    assert_eq!(m.run("set_mempolicy BIND 0 0,2000 4096"), "err=EINVAL");
    assert_eq!(m.run("get_mempolicy 0 64"), "ret=0 mode=BIND nodes=1");
}

#[test]
fn installing_interleave_resets_the_cursor() {
    let mut m = Harness::new();
    assert_eq!(m.run("set_mempolicy INTERLEAVE 0 0-3 64"), "ret=0");
    let nodes = *m.task.policy().unwrap().nodes();
    for _ in 0..2 {
        let _ = m.task.cursor_mut().next_interleave(&nodes);
    }
    assert_eq!(m.run("get_mempolicy NODE 64"), "ret=0 node=2 nodes=0-3");
    assert_eq!(m.run("set_mempolicy INTERLEAVE 0 0-3 64"), "ret=0");
    assert_eq!(m.run("get_mempolicy NODE 64"), "ret=0 node=0 nodes=0-3");
    // A non-interleave policy leaves the cursor alone.
    let _ = m.task.cursor_mut().next_interleave(&nodes);
    assert_eq!(m.run("set_mempolicy BIND 0 1 64"), "ret=0");
    assert_eq!(m.task.cursor().il_prev().as_u32(), 0);
}

#[test]
fn node_query_under_weighted_interleave_stays_while_weight_remains() {
    let mut m = Harness::new();
    assert_eq!(m.run("set_mempolicy WEIGHTED_INTERLEAVE 0 0-3 64"), "ret=0");
    let nodes = *m.task.policy().unwrap().nodes();
    let weights = [3u8, 1, 2, 1];
    let _ = m.task.cursor_mut().next_weighted(&nodes, &weights);
    assert_eq!(m.run("get_mempolicy NODE 64"), "ret=0 node=0 nodes=0-3");
    let _ = m.task.cursor_mut().next_weighted(&nodes, &weights);
    let _ = m.task.cursor_mut().next_weighted(&nodes, &weights);
    assert_eq!(m.run("get_mempolicy NODE 64"), "ret=0 node=1 nodes=0-3");
}

#[test]
fn get_mempolicy_order_of_checks_and_no_partial_writes() {
    let mut m = Harness::new();
    let get = |m: &mut Harness, args: GetMempolicyArgs| {
        m.kernel.user.clear_policy_word();
        let r = abi::get_mempolicy(&m.task, &m.mm, &m.sys, &mut m.kernel, args);
        (r, m.kernel.user.policy_word())
    };
    let base = GetMempolicyArgs {
        policy: POLICY,
        nmask: NMASK,
        maxnode: 64,
        ..GetMempolicyArgs::default()
    };
    // maxnode < nr_node_ids comes before the flags.
    let r = get(
        &mut m,
        GetMempolicyArgs {
            maxnode: 3,
            flags: 0x8,
            ..base
        },
    );
    assert_eq!(r, (Err(Error::MaxnodeTooSmall(3)), None));
    // ...but not without a mask.
    let r = get(
        &mut m,
        GetMempolicyArgs {
            nmask: 0,
            maxnode: 3,
            ..base
        },
    );
    assert_eq!(r, (Ok(0), Some(0)));
    // MEMS_ALLOWED returns before the address check.
    let r = get(
        &mut m,
        GetMempolicyArgs {
            flags: abi::F_MEMS_ALLOWED,
            addr: 0x1000,
            ..base
        },
    );
    assert_eq!(r, (Ok(0), Some(0)));
    // ADDR without a mapping is EFAULT; with one but a page that cannot be read, the fault.
    let r = get(
        &mut m,
        GetMempolicyArgs {
            flags: abi::F_ADDR,
            addr: BASE,
            ..base
        },
    );
    assert_eq!(r, (Err(Error::Fault(BASE)), None));
    m.run("mmap A 2");
    let r = get(
        &mut m,
        GetMempolicyArgs {
            flags: abi::F_ADDR,
            addr: BASE + 5,
            ..base
        },
    );
    assert_eq!(r, (Ok(0), Some(0)));
    let flags = abi::F_ADDR | abi::F_NODE;
    let r = get(
        &mut m,
        GetMempolicyArgs {
            flags,
            addr: BASE + 5,
            ..base
        },
    );
    // An absent page is read in, as `get_user_pages` does: the zero page, on node 0.
    assert_eq!(r, (Ok(0), Some(0)));
    m.run("touch A 0 2");
    let r = get(
        &mut m,
        GetMempolicyArgs {
            flags,
            addr: BASE + PAGE + 5,
            ..base
        },
    );
    assert_eq!(r, (Ok(0), Some(0)));
    // The mask copy is refused whole when it would exceed a page.
    let r = get(
        &mut m,
        GetMempolicyArgs {
            maxnode: 32834,
            ..base
        },
    );
    assert_eq!(r.0.map_err(Error::errno_name), Err("EINVAL"));
}

#[test]
fn mbind_reads_the_mask_before_checking_its_flags() {
    let mut m = Harness::new();
    m.run("mmap S 4");
    let sys = m.sys;
    let defaults = m.machine().defaults();
    let n0 = mempolicy::NodeId::new(0);
    let args = abi::MbindArgs {
        start: BASE + 1,
        len: PAGE,
        mode: 2,
        nmask: BAD,
        maxnode: 64,
        flags: 0x8,
    };
    let r = abi::mbind(&m.task, &mut m.mm, &sys, defaults, n0, &mut m.kernel, args);
    assert_eq!(r.map_err(Error::errno_name), Err("EFAULT"));
    let r = abi::mbind(
        &m.task,
        &mut m.mm,
        &sys,
        defaults,
        n0,
        &mut m.kernel,
        abi::MbindArgs { mode: 7, ..args },
    );
    assert_eq!(r, Err(Error::UnknownMode(7)));
    let args = abi::MbindArgs {
        nmask: NMASK,
        ..args
    };
    let r = abi::mbind(&m.task, &mut m.mm, &sys, defaults, n0, &mut m.kernel, args);
    assert_eq!(r, Err(Error::InvalidFlags(0x8)));
    let r = abi::mbind(
        &m.task,
        &mut m.mm,
        &sys,
        defaults,
        n0,
        &mut m.kernel,
        abi::MbindArgs { flags: 4, ..args },
    );
    assert_eq!(r, Err(Error::PermissionDenied));
    let r = abi::mbind(
        &m.task,
        &mut m.mm,
        &sys,
        defaults,
        n0,
        &mut m.kernel,
        abi::MbindArgs { flags: 0, ..args },
    );
    assert_eq!(r, Err(Error::Unaligned(BASE + 1)));
}

#[test]
fn mbind_move_all_needs_privilege() {
    let mut m = Harness::new();
    m.run("mmap S 2");
    assert_eq!(m.run("mbind S 0 2 BIND 0 1 64 MOVE_ALL"), "err=EPERM");
    m.kernel.privileged = true;
    assert_eq!(m.run("mbind S 0 2 BIND 0 1 64 MOVE_ALL"), "ret=0");
}

#[test]
fn mbind_default_tolerates_holes_but_not_an_empty_range() {
    let mut m = Harness::new();
    m.run("mmap S 8");
    m.run("munmap S 3 2");
    assert_eq!(m.run("mbind S 0 8 BIND 0 1 64 0"), "err=EFAULT");
    assert_eq!(m.run("mbind S 0 8 DEFAULT 0 - 0 0"), "ret=0");
    assert_eq!(m.run("mbind S 3 2 DEFAULT 0 - 0 0"), "err=EFAULT");
    assert_eq!(m.run("mbind S 0 3 BIND 0 1 64 0"), "ret=0");
    assert_eq!(m.numa_maps(), "ok S+0 bind:1 ; S+5 default");
    // A hole at the head: the range starts one page before S.
    assert_eq!(m.run("mbind - 1048575 2 BIND 0 2 64 0"), "err=EFAULT");
    assert_eq!(m.run("mbind - 1048575 2 DEFAULT 0 - 0 0"), "ret=0");
    assert_eq!(m.numa_maps(), "ok S+0 default ; S+1 bind:1 ; S+5 default");
}

#[test]
fn strict_compares_pages_with_the_mask_as_given() {
    let mut m = Harness::new();
    m.run("cpuset_mems 2-3");
    m.run("mmap S 2");
    m.run("set_mempolicy BIND 0 2 64");
    m.run("touch S 0 2");
    assert_eq!(m.run("where S 0 2"), "ret=0 pages=2,2");
    // RELATIVE {0} is node 2 here, yet pages on 2 are "misplaced" for STRICT.
    assert_eq!(m.run("mbind S 0 2 BIND RELATIVE 0 64 STRICT"), "err=EIO");
    assert_eq!(m.run("mbind S 0 2 LOCAL 0 - 0 STRICT"), "err=EIO");
    assert_eq!(m.run("mbind S 0 2 BIND 0 2 64 STRICT"), "ret=0");
    assert_eq!(m.numa_maps(), "ok S+0 bind:2");
}

#[test]
fn move_keeps_the_interleave_layout_by_index() {
    let mut m = Harness::new();
    m.run("mmap S 4");
    m.run("touch S 0 4");
    assert_eq!(m.run("where S 0 4"), "ret=0 pages=0,0,0,0");
    // vpn(S) = 1 << 20, which is 1 mod 3: the layout starts on the second node.
    assert_eq!(m.run("mbind S 0 4 INTERLEAVE 0 1-3 64 MOVE"), "ret=0");
    assert_eq!(m.run("where S 0 4"), "ret=0 pages=2,3,1,2");
}

#[test]
fn move_under_default_follows_the_task_policy() {
    let mut m = Harness::new();
    m.run("mmap S 2");
    m.run("touch S 0 2");
    m.run("set_mempolicy BIND 0 3 64");
    assert_eq!(m.run("mbind S 0 2 DEFAULT 0 - 0 MOVE|STRICT"), "ret=0");
    assert_eq!(m.run("where S 0 2"), "ret=0 pages=3,3");
}

#[test]
fn strict_move_with_unmovable_pages_applies_the_policy_then_fails() {
    let mut m = Harness::new();
    m.run("mmap S 3");
    m.run("touch S 0 3");
    m.kernel.failures.isolate = 1;
    assert_eq!(m.run("mbind S 0 3 BIND 0 1 64 MOVE|STRICT"), "err=EIO");
    assert_eq!(m.run("where S 0 3"), "ret=0 pages=0,1,1");
    assert_eq!(m.numa_maps(), "ok S+0 bind:1");
    // Without STRICT the same failure is not an error.
    m.run("touch S 0 0");
    m.kernel.failures.isolate = 1;
    assert_eq!(m.run("mbind S 0 3 BIND 0 2 64 MOVE"), "ret=0");
    assert_eq!(m.run("where S 0 3"), "ret=0 pages=0,2,2");
}

#[test]
fn migrate_pages_permissions_and_cpuset() {
    let mut m = Harness::new();
    m.set_target(None, true);
    assert_eq!(m.run("migrate_pages 0 1 64"), "err=ESRCH");
    // Bad masks are reported before the process lookup.
    assert_eq!(m.run("migrate_pages 0 1 0"), "err=EINVAL");
    m.set_target(Some(mask("0-1")), false);
    assert_eq!(m.run("migrate_pages 0 1 64"), "err=EPERM");
    m.set_target(Some(mask("0-1")), true);
    assert_eq!(m.run("migrate_pages 0 2 64"), "err=EPERM");
    m.kernel.privileged = true;
    m.run("cpuset_mems 0-1");
    assert_eq!(m.run("migrate_pages 0 2 64"), "err=EINVAL");
    // maxnode too small to reach the target bit leaves an empty target.
    assert_eq!(m.run("migrate_pages 0 1 2"), "err=EINVAL");
    assert_eq!(m.run("migrate_pages 0 1 64"), "ret=0");
    assert_eq!(m.kernel.moves, [(0, 1)]);
}

#[test]
fn migrate_pages_moves_pairs_in_linux_order() {
    let pairs = |from: &str, to: &str| -> Vec<(u32, u32)> {
        let (from, to) = (mask(from), mask(to));
        abi::migrate_pairs(&from, &to)
            .map(|(s, d)| (s.as_u32(), d.as_u32()))
            .collect()
    };
    assert_eq!(pairs("2-4", "3-5"), [(4, 5), (3, 4), (2, 3)]);
    assert_eq!(
        pairs("0-7", "3-5"),
        [(7, 4), (6, 3), (2, 5), (1, 4), (0, 3)]
    );
    assert_eq!(pairs("0-1", "0-1"), []);
    assert_eq!(pairs("0-1", "2"), [(0, 2), (1, 2)]);
    let (empty, two) = (NodeMask::new(), mask("2"));
    assert_eq!(abi::migrate_pairs(&empty, &two).count(), 0);
    assert_eq!(abi::migrate_pairs(&two, &empty).count(), 0);
    // Swapping two nodes: the second move goes to a node already emptied.
    assert_eq!(pairs("0,1", "1,2"), [(1, 2), (0, 1)]);
}

#[test]
fn home_node_skips_holes_and_accepts_memoryless_nodes() {
    // Node 3 has a CPU and no memory.
    let mut m = Harness::with_spec("nodes=4 cpus=0,1,3 mem=256,256,256,0");
    m.run("mmap S 6");
    assert_eq!(m.run("mbind S 0 6 BIND 0 1-2 64 0"), "ret=0");
    m.run("munmap S 2 2");
    assert_eq!(m.run("home_node S 0 6 3 0"), "ret=0");
    for addr in [BASE, BASE + 5 * PAGE] {
        assert_eq!(
            m.mm.find(addr)
                .unwrap()
                .policy()
                .unwrap()
                .home_node()
                .unwrap()
                .as_u32(),
            3
        );
    }
    // Only the part in range is changed: the range is split.
    assert_eq!(m.run("home_node S 0 1 2 0"), "ret=0");
    assert_eq!(m.mm.len(), 3);
    assert_eq!(m.run("home_node S 0 1 3 0"), "ret=0");
    assert_eq!(m.mm.len(), 2, "merged back once equal");
}

#[test]
fn home_node_keeps_updates_before_an_unsupported_range() {
    let mut m = Harness::new();
    m.run("mmap S 3");
    assert_eq!(m.run("mbind S 0 1 BIND 0 1 64 0"), "ret=0");
    assert_eq!(m.run("mbind S 1 1 INTERLEAVE 0 1 64 0"), "ret=0");
    assert_eq!(m.run("mbind S 2 1 BIND 0 2 64 0"), "ret=0");
    assert_eq!(m.run("home_node S 0 3 0 0"), "err=EOPNOTSUPP");
    let home = |m: &Harness, page: u64| {
        m.mm.find(BASE + page * PAGE)
            .unwrap()
            .policy()
            .unwrap()
            .home_node()
            .map(|n| n.as_u32())
    };
    assert_eq!((home(&m, 0), home(&m, 2)), (Some(0), None));
}

#[test]
fn shared_policy_copies_are_marked_shared_and_split_on_replace() {
    let ctx = NodeContext::unrestricted(mask("0-3"));
    let bind = Mempolicy::from_raw(2, &mask("1"), &ctx).unwrap().unwrap();
    let il = Mempolicy::from_raw(3, &mask("0-3"), &ctx).unwrap().unwrap();
    let mut sp = SharedPolicy::with_policy(42, &bind);
    sp.set_for_mapping(10, 5, Some(&il));
    let spans: Vec<_> = sp.iter().map(|(s, e, p)| (s, e, p.to_string())).collect();
    assert_eq!(
        spans,
        [
            (0, 10, "bind:1".to_string()),
            (10, 15, "interleave:0-3".to_string()),
            (15, abi::MAX_PGOFF, "bind:1".to_string())
        ]
    );
    let p = sp.lookup(12).unwrap();
    assert!(p.internal_flags().contains(PolicyFlags::SHARED));
    assert_eq!(sp.interleave_index(12), 54);
    sp.set_for_mapping(0, 20, None);
    assert_eq!(sp.lookup(12), None);
    assert_eq!(sp.len(), 1);
}

#[test]
fn system_nodes_come_from_a_topology() {
    let topology = mempolicy::topology::Topology::from_nodes_spec("nodes=4 cpus=0,1").unwrap();
    let nodes = SystemNodes::from(&topology);
    assert_eq!(
        nodes,
        SystemNodes::new(mask("0-3"), mask("0-3"), mask("0-3"))
    );
    assert_eq!(nodes.nr_node_ids(), topology.nr_node_ids());
}

#[test]
fn mbind_on_a_shared_mapping_reaches_every_mapping_of_the_object() {
    use mempolicy::abi::SharedObject;
    use std::sync::Arc;

    let mut m = Harness::new();
    let object = Arc::new(SharedObject::new(
        m.machine().domain(),
        SharedPolicy::new(1000),
    ));
    let other = BASE + (64 << 20);
    m.mm.mmap_shared(BASE, 8 * PAGE, 0, None, Arc::clone(&object))
        .unwrap();
    m.mm.mmap_shared(other, 4 * PAGE, 4, None, Arc::clone(&object))
        .unwrap();
    assert_eq!(m.mm.len(), 2, "two ranges of one object, not adjacent");
    let args = abi::MbindArgs {
        start: BASE + 4 * PAGE,
        len: 2 * PAGE,
        mode: 3,
        nmask: m_nodes(&mut m, 0b0110),
        maxnode: 64,
        flags: 0,
    };
    let sys = m.sys;
    let defaults = m.machine().defaults();
    let n0 = mempolicy::NodeId::new(0);
    assert_eq!(
        abi::mbind(&m.task, &mut m.mm, &sys, defaults, n0, &mut m.kernel, args),
        Ok(0)
    );
    // Object pages 4 and 5: the other mapping sees them at its first two pages.
    let (policy, ilx) = m.mm.policy_at(other + PAGE).unwrap();
    assert_eq!(
        policy.map(|p| p.to_string()).as_deref(),
        Some("interleave:1-2")
    );
    assert_eq!(ilx, 1000 + 5);
    assert!(m.mm.policy_at(other + 2 * PAGE).unwrap().0.is_none());
    let args = GetMempolicyArgs {
        policy: POLICY,
        flags: abi::F_ADDR,
        addr: other,
        ..GetMempolicyArgs::default()
    };
    assert_eq!(
        abi::get_mempolicy(&m.task, &m.mm, &m.sys, &mut m.kernel, args),
        Ok(0)
    );
    assert_eq!(m.kernel.user.policy_word(), Some(3));
    // Back to the default through the other mapping: as in Linux, that range's own policy
    // is already the default, so `mbind_range` skips it and the object keeps its policy.
    let args = abi::MbindArgs {
        start: other,
        len: 4 * PAGE,
        mode: 0,
        nmask: 0,
        maxnode: 0,
        flags: 0,
    };
    assert_eq!(
        abi::mbind(&m.task, &mut m.mm, &sys, defaults, n0, &mut m.kernel, args),
        Ok(0)
    );
    assert_eq!(object.with(|sp| sp.len()), 1);
    // Through the mapping that set it, the object forgets the range.
    let args = abi::MbindArgs {
        start: BASE,
        len: 8 * PAGE,
        ..args
    };
    assert_eq!(
        abi::mbind(&m.task, &mut m.mm, &sys, defaults, n0, &mut m.kernel, args),
        Ok(0)
    );
    assert!(object.with(|sp| sp.is_empty()));
}

#[test]
fn ranges_of_different_objects_never_merge() {
    use mempolicy::abi::{AddressSpace, SharedObject};
    use std::sync::Arc;

    let domain = mempolicy::rcu::Domain::new();
    let a = Arc::new(SharedObject::new(
        &domain,
        SharedPolicy::<Mempolicy>::new(1),
    ));
    let b = Arc::new(SharedObject::new(
        &domain,
        SharedPolicy::<Mempolicy>::new(2),
    ));
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap_shared(0, 2 * PAGE, 0, (), Arc::clone(&a)).unwrap();
    mm.mmap_shared(2 * PAGE, 2 * PAGE, 2, (), b).unwrap();
    mm.mmap(4 * PAGE, 2 * PAGE, 4, ()).unwrap();
    assert_eq!(mm.len(), 3);
    mm.mmap_shared(6 * PAGE, 2 * PAGE, 6, (), a).unwrap();
    assert_eq!(mm.len(), 4);
}

/// Loads `bits` as word 0 of the user nodemask buffer.
fn m_nodes(m: &mut Harness, bits: u64) -> u64 {
    m.user_mask(&[bits])
}

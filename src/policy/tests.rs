use alloc::string::ToString;

use super::*;
use crate::error::Error;
use crate::nodemask::{NodeId, NodeMask};
use crate::Linux;

const STATIC: i32 = 1 << 15;
const RELATIVE: i32 = 1 << 14;
const BALANCING: i32 = 1 << 13;

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

/// The oracle VM: mems 0-3, memory 0-3.
fn ctx4() -> NodeContext {
    NodeContext::unrestricted(mask("0-3"))
}

fn ctx(mems: &str) -> NodeContext {
    NodeContext::new(mask(mems), mask("0-3"))
}

fn set(raw: i32, nodes: &str) -> Result<Option<Mempolicy>, Error> {
    Mempolicy::from_raw(raw, &mask(nodes), &ctx4())
}

fn policy(raw: i32, nodes: &str, ctx: &NodeContext) -> Mempolicy {
    Mempolicy::from_raw(raw, &mask(nodes), ctx)
        .unwrap()
        .unwrap()
}

/// What `get_mempolicy(0)` prints in the oracle format: `mode=... nodes=...`.
fn reported(pol: Option<&Mempolicy>) -> alloc::string::String {
    let default = Mempolicy::default_policy();
    let pol = pol.unwrap_or(&default);
    alloc::format!(
        "mode={}{} nodes={}",
        pol.reported_mode().uapi_name(),
        pol.flags(),
        pol.user_visible_nodes().display_or_none()
    )
}

// ---- set_mempolicy validation: smoke.txt L8-L43, reference §1.3 ----

#[test]
fn default_policy_without_nodes_is_no_policy() {
    // L8/L9, L11: DEFAULT with NULL or empty mask is accepted and means "no policy".
    assert_eq!(set(0, ""), Ok(None));
    assert_eq!(reported(None), "mode=DEFAULT nodes=none");
    // DEFAULT takes mode flags without complaint (mpol_new never looks at them).
    assert_eq!(set(STATIC, ""), Ok(None));
}

#[test]
fn default_policy_with_nodes_is_einval() {
    // L10
    let err = set(0, "0").unwrap_err();
    assert_eq!(err, Error::UnexpectedNodes(0));
    assert_eq!(err.errno(), crate::errno::EINVAL);
}

#[test]
fn node_modes_need_nodes() {
    // L12-L16: BIND, INTERLEAVE, WEIGHTED_INTERLEAVE, PREFERRED_MANY with empty masks.
    for mode in [
        Mode::Bind,
        Mode::Interleave,
        Mode::WeightedInterleave,
        Mode::PreferredMany,
    ] {
        assert_eq!(
            set(mode.as_raw(), ""),
            Err(Error::EmptyNodemask),
            "{mode:?}"
        );
    }
}

#[test]
fn empty_preferred_becomes_local() {
    // L17/L18
    let pol = set(Mode::Preferred.as_raw(), "").unwrap();
    assert_eq!(pol.as_ref().map(Mempolicy::mode), Some(Mode::Local));
    assert_eq!(reported(pol.as_ref()), "mode=LOCAL nodes=none");
    // L19: not with static (or relative) nodes.
    assert_eq!(set(1 | STATIC, ""), Err(Error::FlagsNotAllowed(0x8000)));
    assert_eq!(set(1 | RELATIVE, ""), Err(Error::FlagsNotAllowed(0x4000)));
}

#[test]
fn local_takes_neither_nodes_nor_flags() {
    // L20/L21
    let pol = set(Mode::Local.as_raw(), "").unwrap();
    assert_eq!(reported(pol.as_ref()), "mode=LOCAL nodes=none");
    // L22, L23
    assert_eq!(set(4, "1"), Err(Error::UnexpectedNodes(1)));
    assert_eq!(set(4 | RELATIVE, ""), Err(Error::FlagsNotAllowed(0x4000)));
    assert_eq!(set(4 | STATIC, ""), Err(Error::FlagsNotAllowed(0x8000)));
}

#[test]
fn preferred_keeps_only_the_first_node() {
    // L24/L25
    let pol = set(1, "1-3").unwrap();
    assert_eq!(reported(pol.as_ref()), "mode=PREFERRED nodes=1");
}

#[test]
fn nodes_without_memory_are_dropped() {
    // L27: only node 5 (offline) is EINVAL; L28/L29: with 1 it is dropped.
    assert_eq!(set(2, "5"), Err(Error::EmptyNodemask));
    assert_eq!(
        reported(set(2, "1,5").unwrap().as_ref()),
        "mode=BIND nodes=1"
    );
}

#[test]
fn static_nodes_report_the_user_mask() {
    // L30/L31
    let pol = set(2 | STATIC, "1,5").unwrap().unwrap();
    assert_eq!(reported(Some(&pol)), "mode=BIND|STATIC_NODES nodes=1,5");
    assert_eq!(pol.nodes(), &mask("1"));
    assert_eq!(pol.stored_mask(), &StoredMask::User(mask("1,5")));
}

#[test]
fn relative_nodes_fold_onto_the_allowed_nodes() {
    // L32-L34: {5} relative to 0-3 is the second node, 1 (the interleave cursor shows 1).
    let pol = set(3 | RELATIVE, "5").unwrap().unwrap();
    assert_eq!(
        reported(Some(&pol)),
        "mode=INTERLEAVE|RELATIVE_NODES nodes=5"
    );
    assert_eq!(pol.nodes().first(), Some(NodeId::new(1)));
}

#[test]
fn mode_flag_conflicts_and_unknown_bits() {
    // L36: static and relative together.
    assert_eq!(
        set(2 | STATIC | RELATIVE, "0"),
        Err(Error::ConflictingModeFlags(0xc000))
    );
    // L37: mode 7; L38: unknown flag bit 0x1000 lands in the mode part.
    assert_eq!(set(7, "0"), Err(Error::UnknownMode(7)));
    assert_eq!(set(2 | 0x1000, "0"), Err(Error::UnknownMode(0x1002)));
    assert_eq!(set(-1, "0"), Err(Error::UnknownMode(-1)));
    assert_eq!(
        set(i32::MIN | 2, "0"),
        Err(Error::UnknownMode(i32::MIN | 2))
    );
    // The mode is checked before the flags.
    assert_eq!(
        set(7 | STATIC | RELATIVE, ""),
        Err(Error::UnknownMode(0xc007))
    );
}

#[test]
fn numa_balancing_only_with_bind_and_preferred_many() {
    // L39/L40
    let pol = set(2 | BALANCING, "0-1").unwrap().unwrap();
    assert_eq!(reported(Some(&pol)), "mode=BIND|NUMA_BALANCING nodes=0-1");
    assert_eq!(pol.internal_flags(), PolicyFlags::MOF | PolicyFlags::MORON);
    // L41
    assert_eq!(
        set(3 | BALANCING, "0-1"),
        Err(Error::BalancingNotSupported(3))
    );
    // Also refused with PREFERRED, LOCAL (commit 6d2aec9e123b) and DEFAULT.
    for raw in [0, 1, 4, 6] {
        assert_eq!(
            set(raw | BALANCING, ""),
            Err(Error::BalancingNotSupported(raw as u16))
        );
    }
    // L42/L43
    let pol = set(5 | BALANCING, "2-3").unwrap().unwrap();
    assert_eq!(
        reported(Some(&pol)),
        "mode=PREFERRED_MANY|NUMA_BALANCING nodes=2-3"
    );
}

#[test]
fn balancing_policies_store_the_user_mask_on_linux_6_12_only() {
    // Linux 6.12 stores the caller's mask for any mode flag (recording smoke@n4ml1 L40).
    let ctx612 = ctx4().with_linux(Linux::V6_12);
    let pol = policy(2 | BALANCING, "1,5", &ctx612);
    assert_eq!(pol.linux(), Linux::V6_12);
    assert!(pol.stores_user_nodemask());
    assert_eq!(pol.stored_mask(), &StoredMask::User(mask("1,5")));
    assert_eq!(pol.user_visible_nodes(), mask("1,5"));
    assert_eq!(pol.nodes(), &mask("1"));
    // Linux 7.3 keeps the cpuset instead and reports the nodes in effect (deltas L5-L10).
    let pol = set(2 | BALANCING, "1,5").unwrap().unwrap();
    assert_eq!(pol.linux(), Linux::V7_3);
    assert!(!pol.stores_user_nodemask());
    assert_eq!(pol.stored_mask(), &StoredMask::CpusetMems(mask("0-3")));
    assert_eq!(pol.user_visible_nodes(), mask("1"));
    let many = set(5 | BALANCING, "1-2,7").unwrap().unwrap();
    assert_eq!(many.user_visible_nodes(), mask("1-2"));
    // Static and relative keep the mask on both releases.
    for linux in Linux::ALL {
        let pol = policy(2 | STATIC, "0,5", &ctx4().with_linux(linux));
        assert_eq!(pol.user_visible_nodes(), mask("0,5"));
    }
}

#[test]
fn balancing_policies_differing_in_the_user_mask_are_equal_on_linux_7_3() {
    // deltas L16-L17: BIND|BALANCING {1,6} and {1} on adjacent ranges; memory 0-2.
    for (linux, equal) in [(Linux::V6_12, false), (Linux::V7_3, true)] {
        let c = NodeContext::unrestricted(mask("0-2")).with_linux(linux);
        let a = policy(2 | BALANCING, "1,6", &c);
        let b = policy(2 | BALANCING, "1", &c);
        assert_eq!(a.is_equal(&b), equal, "{linux}");
        assert_eq!(a.nodes(), b.nodes());
    }
}

#[test]
fn balancing_policies_rebind_from_the_cpuset_on_linux_7_3() {
    // deltas L24-L28: BIND|BALANCING {1-2,6} on memory 0-2, then mems 0-1, then 0-2.
    let c = NodeContext::unrestricted(mask("0-2"));
    let mut new = policy(2 | BALANCING, "1-2,6", &c);
    let mut old = policy(2 | BALANCING, "1-2,6", &c.with_linux(Linux::V6_12));
    new.rebind(&mask("0-1"));
    old.rebind(&mask("0-1"));
    assert_eq!(new.user_visible_nodes(), mask("0-1"));
    assert_eq!(old.user_visible_nodes(), mask("0-1"));
    new.rebind(&mask("0-2"));
    old.rebind(&mask("0-2"));
    // 7.3 remaps {0,1} from mems 0-1 to 0-2 and reports the nodes; 6.12 reports the union,
    // which now holds the new mems.
    assert_eq!(new.user_visible_nodes(), mask("0-1"));
    assert_eq!(old.user_visible_nodes(), mask("0-2"));
    assert_eq!(old.nodes(), &mask("0-1"));
    // The VMA policy of deltas L16 (bind {1}) through mems 0-1, 0-2, 0,2, 0-2: 7.3 ends on
    // node 1 (numa_maps L34 "bind=balancing:1"), 6.12 on node 0.
    for (linux, end) in [(Linux::V7_3, "1"), (Linux::V6_12, "0")] {
        let mut pol = policy(2 | BALANCING, "1,6", &c.with_linux(linux));
        for mems in ["0-1", "0-2", "0,2", "0-2"] {
            pol.rebind(&mask(mems));
        }
        assert_eq!(pol.nodes(), &mask(end), "{linux}");
    }
}

#[test]
fn create_rechecks_flags() {
    let nodes = mask("0");
    let both = ModeFlags::STATIC_NODES | ModeFlags::RELATIVE_NODES;
    assert_eq!(
        Mempolicy::create(Mode::Bind, both, &nodes, &ctx4()),
        Err(Error::ConflictingModeFlags(0xc000))
    );
    assert_eq!(
        Mempolicy::create(Mode::Interleave, ModeFlags::NUMA_BALANCING, &nodes, &ctx4()),
        Err(Error::BalancingNotSupported(3))
    );
}

#[test]
fn sanitize_splits_mode_and_flags() {
    assert_eq!(
        Mempolicy::sanitize_mode(0x2005),
        Ok((Mode::PreferredMany, ModeFlags::NUMA_BALANCING))
    );
    assert_eq!(
        Mempolicy::sanitize_mode(0x4003),
        Ok((Mode::Interleave, ModeFlags::RELATIVE_NODES))
    );
    for mode in Mode::ALL {
        assert_eq!(Mode::from_raw(mode.as_raw()), Ok(mode));
    }
}

#[test]
fn nodes_outside_the_cpuset() {
    // cpuset.txt L44-L52, mems 0-1.
    let c = ctx("0-1");
    assert_eq!(
        Mempolicy::from_raw(2, &mask("2-3"), &c),
        Err(Error::EmptyNodemask)
    );
    assert_eq!(policy(2, "1-3", &c).nodes(), &mask("1"));
    assert_eq!(
        Mempolicy::from_raw(2 | STATIC, &mask("2-3"), &c),
        Err(Error::EmptyNodemask)
    );
    let rel = policy(3 | RELATIVE, "2-3", &c);
    assert_eq!(
        reported(Some(&rel)),
        "mode=INTERLEAVE|RELATIVE_NODES nodes=2-3"
    );
    assert_eq!(rel.nodes(), &mask("0-1"));
    assert_eq!(rel.nodes().first(), Some(NodeId::new(0))); // L52 node=0
}

#[test]
fn memoryless_nodes_count_out_of_relative_positions() {
    // Recorded: RELATIVE 11 on 7 memory nodes (node 4 memoryless) is position 4, node 5.
    let c = NodeContext::new(mask("0-7"), mask("0-3,5-7"));
    assert_eq!(policy(3 | RELATIVE, "11", &c).nodes(), &mask("5"));
    assert_eq!(
        Mempolicy::from_raw(2, &mask("4"), &c),
        Err(Error::EmptyNodemask)
    );
}

#[test]
fn builtins_report_and_print_default() {
    let defaults = Mempolicy::default_policy();
    assert_eq!(defaults.mode(), Mode::Local);
    assert_eq!(defaults.reported_mode(), Mode::Default);
    assert_eq!(defaults.to_string(), "default");
    let node = Mempolicy::preferred_node_policy(NodeId::new(2));
    assert_eq!(node.reported_mode(), Mode::Default);
    assert_eq!(node.internal_flags(), PolicyFlags::MOF | PolicyFlags::MORON);
    assert!(node.user_visible_nodes().is_empty());
    assert_eq!(node.to_string(), "default");
}

// ---- equality ----

#[test]
fn equality_follows_mpol_equal() {
    let a = set(2, "1-2").unwrap().unwrap();
    let b = policy(2, "1-2", &ctx("1-3"));
    assert_eq!(a, b); // the remembered cpuset does not matter
    let mut c = b.clone();
    c.set_home_node(Some(NodeId::new(1)));
    assert_ne!(a, c);
    // Static policies compare the user mask too.
    let s1 = set(2 | STATIC, "1,5").unwrap().unwrap();
    let s2 = set(2 | STATIC, "1,6").unwrap().unwrap();
    assert_eq!(s1.nodes(), s2.nodes());
    assert_ne!(s1, s2);
    // Local policies are all equal; the default policy is local.
    let local = set(4, "").unwrap().unwrap();
    assert_eq!(local, Mempolicy::default_policy());
    assert_ne!(set(2 | BALANCING, "1-2").unwrap().unwrap(), a);
}

// ---- rebinding: reference §1.4 and cpuset.txt ----

#[test]
fn relative_rebind_vectors_from_the_commit() {
    // 4c50bc0116cf: user 1-3 with mems 4-7 is 5-7; then rebinds.
    let c = NodeContext::unrestricted(mask("0-7"));
    let c47 = NodeContext::new(mask("4-7"), c.memory_nodes);
    let mut pol = policy(3 | RELATIVE, "1-3", &c47);
    assert_eq!(pol.nodes(), &mask("5-7"));
    for (mems, expect) in [
        ("1-3", "1-3"),
        ("1-7", "2-4"),
        ("1,5-6", "1,5-6"),
        ("1,5-7", "5-7"),
    ] {
        pol.rebind(&mask(mems));
        assert_eq!(pol.nodes(), &mask(expect), "mems {mems}");
        assert_eq!(pol.user_visible_nodes(), mask("1-3"));
    }
}

#[test]
fn admin_guide_rebind_examples() {
    let c = NodeContext::unrestricted(mask("0-7"));
    // STATIC interleave over 1-3, cpuset 1-3 -> 3-5: only node 3 remains.
    let mut pol = policy(
        3 | STATIC,
        "1-3",
        &NodeContext::new(mask("1-3"), c.memory_nodes),
    );
    pol.rebind(&mask("3-5"));
    assert_eq!(pol.nodes(), &mask("3"));
    // RELATIVE over mems 2-5, then 3-7 gives 3,5-7, then 0,2-3,5 gives 0,2-3,5.
    let mut rel = policy(
        3 | RELATIVE,
        "2-5",
        &NodeContext::new(mask("2-5"), c.memory_nodes),
    );
    assert_eq!(rel.nodes(), &mask("2-5"));
    rel.rebind(&mask("3-7"));
    assert_eq!(rel.nodes(), &mask("3,5-7"));
    rel.rebind(&mask("0,2-3,5"));
    assert_eq!(rel.nodes(), &mask("0,2-3,5"));
}

#[test]
fn plain_rebind_is_lossy_by_position() {
    // cpuset.txt L6-L13
    let mut pol = set(3, "0-3").unwrap().unwrap();
    for (mems, expect) in [("0-1", "0-1"), ("2-3", "2-3"), ("0-3", "0-1")] {
        pol.rebind(&mask(mems));
        assert_eq!(pol.nodes(), &mask(expect), "mems {mems}");
        assert_eq!(
            reported(Some(&pol)),
            alloc::format!("mode=INTERLEAVE nodes={expect}")
        );
    }
    // L15-L19
    let mut bind = set(2, "3").unwrap().unwrap();
    bind.rebind(&mask("0-1"));
    assert_eq!(reported(Some(&bind)), "mode=BIND nodes=1");
    bind.rebind(&mask("0-3"));
    assert_eq!(reported(Some(&bind)), "mode=BIND nodes=1");
    // The same cpuset again changes nothing.
    let before = bind.clone();
    bind.rebind(&mask("0-3"));
    assert_eq!(bind.stored_mask(), before.stored_mask());
    assert_eq!(bind.nodes(), before.nodes());
}

#[test]
fn static_rebind_falls_back_to_all_mems() {
    // cpuset.txt L22-L31: user 1-2; the cursor's first pick is the first effective node.
    let mut pol = set(3 | STATIC, "1-2").unwrap().unwrap();
    assert_eq!(pol.nodes().first(), Some(NodeId::new(1))); // L23
    for (mems, first) in [("2-3", 2), ("0", 0), ("0-3", 1)] {
        pol.rebind(&mask(mems));
        assert_eq!(pol.nodes().first(), Some(NodeId::new(first)), "mems {mems}");
        assert_eq!(
            reported(Some(&pol)),
            "mode=INTERLEAVE|STATIC_NODES nodes=1-2"
        );
    }
    assert_eq!(pol.nodes(), &mask("1-2"));
}

#[test]
fn relative_rebind_follows_the_mems() {
    // cpuset.txt L34-L40: {1} is the second node of the mems.
    let mut pol = set(3 | RELATIVE, "1").unwrap().unwrap();
    assert_eq!(pol.nodes(), &mask("1"));
    pol.rebind(&mask("2-3"));
    assert_eq!(pol.nodes(), &mask("3"));
    assert_eq!(
        reported(Some(&pol)),
        "mode=INTERLEAVE|RELATIVE_NODES nodes=1"
    );
    pol.rebind(&mask("1,3"));
    assert_eq!(pol.nodes(), &mask("3"));
}

#[test]
fn vma_bind_rebind_and_print() {
    // cpuset.txt L58-L66: bind:2 -> bind:0 -> stays bind:0.
    let mut pol = set(2, "2").unwrap().unwrap();
    pol.rebind(&mask("0-1"));
    assert_eq!(pol.to_string(), "bind:0");
    pol.rebind(&mask("0-3"));
    assert_eq!(pol.to_string(), "bind:0");
}

#[test]
fn preferred_policies_are_never_remapped() {
    let mut pref = set(1, "2").unwrap().unwrap();
    pref.rebind(&mask("0-1"));
    assert_eq!(pref.nodes(), &mask("2"));
    assert_eq!(pref.stored_mask(), &StoredMask::CpusetMems(mask("0-1")));
    // Static: the stored mask is the user mask, so get reports the new mems.
    let mut many = set(5 | STATIC, "2-3").unwrap().unwrap();
    many.rebind(&mask("0-1"));
    assert_eq!(many.nodes(), &mask("2-3"));
    assert_eq!(
        reported(Some(&many)),
        "mode=PREFERRED_MANY|STATIC_NODES nodes=0-1"
    );
    // Local is a no-op.
    let mut local = set(4, "").unwrap().unwrap();
    local.rebind(&mask("1"));
    assert_eq!(local, set(4, "").unwrap().unwrap());
}

// ---- text ----

#[test]
fn prints_like_numa_maps() {
    let c = ctx4();
    let cases = [
        (3, "0-3", "interleave:0-3"),
        (6, "0-3", "weighted interleave:0-3"),
        (5 | STATIC, "2-3", "prefer (many)=static:2-3"),
        (5, "1,3", "prefer (many):1,3"),
        (2, "1-3", "bind:1-3"),
        (2 | STATIC | BALANCING, "1", "bind=static|balancing:1"),
        (2 | RELATIVE | BALANCING, "1", "bind=relative|balancing:1"),
        (2 | BALANCING, "0-1", "bind=balancing:0-1"),
        (3 | RELATIVE, "5", "interleave=relative:1"),
        (1, "1-3", "prefer:1"),
        (4, "", "local"),
    ];
    for (raw, nodes, text) in cases {
        assert_eq!(policy(raw, nodes, &c).to_string(), text);
    }
}

#[test]
fn parses_the_mpol_grammar() {
    let mem = mask("0-3");
    let parse = |s: &str| parse_mpol(s, &mem).map(|p| p.map(|p| p.to_string()));
    let some = |s: &str| Ok(Some(s.to_string()));
    assert_eq!(parse("bind:0-3"), some("bind:0-3"));
    assert_eq!(parse("interleave"), some("interleave:0-3"));
    assert_eq!(
        parse("weighted interleave=relative"),
        some("weighted interleave=relative:0-3")
    );
    assert_eq!(parse("prefer:2"), some("prefer:2"));
    assert_eq!(parse("prefer"), some("local"));
    assert_eq!(
        parse("prefer (many)=static:1,3"),
        some("prefer (many)=static:1,3")
    );
    assert_eq!(parse("local"), some("local"));
    assert_eq!(parse("default"), Ok(None));
    assert_eq!(parse("default=bogus"), Ok(None)); // flags unchecked for default
                                                  // Linux cuts at the first '=' and ':' whatever their order.
    assert_eq!(parse("bind:1=static"), some("bind=static:1"));
}

#[test]
fn rejects_bad_mpol_strings() {
    let mem = mask("0-3");
    let parse = |s: &str| parse_mpol(s, &mem);
    // CVE-2020-11565: an empty list for prefer reached first_node() of an empty mask.
    assert_eq!(parse("prefer:,"), Err(Error::Parse(7)));
    assert_eq!(parse("prefer:"), Err(Error::EmptyNodemask));
    assert_eq!(parse("prefer:1-2"), Err(Error::Parse(8)));
    assert_eq!(parse("prefer=static"), Err(Error::FlagsNotAllowed(0x8000)));
    assert_eq!(parse("bind"), Err(Error::Parse(4)));
    assert_eq!(parse("bind:"), Err(Error::EmptyNodemask));
    assert_eq!(parse("bind:4"), Err(Error::InvalidNode(4)));
    assert_eq!(parse("bind:x"), Err(Error::Parse(5)));
    assert_eq!(parse("bind=:1"), Err(Error::Parse(5)));
    assert_eq!(parse("bind=balancing:1"), Err(Error::Parse(5)));
    assert_eq!(parse("bind=static|relative:1"), Err(Error::Parse(5)));
    assert_eq!(parse("local:0"), Err(Error::Parse(6)));
    assert_eq!(parse("local=static"), Err(Error::FlagsNotAllowed(0x8000)));
    assert_eq!(parse("default:"), Err(Error::Parse(8)));
    assert_eq!(parse("Bind:1"), Err(Error::Parse(0)));
    assert_eq!(parse(""), Err(Error::Parse(0)));
    assert_eq!(parse("prefer (many)"), Err(Error::Parse(13)));
}

#[test]
fn parsed_policies_keep_the_list_as_user_mask() {
    let pol = parse_mpol("interleave=static:1-2", &mask("0-3"))
        .unwrap()
        .unwrap();
    assert_eq!(pol.stored_mask(), &StoredMask::User(mask("1-2")));
    let local = parse_mpol("prefer", &mask("0-3")).unwrap().unwrap();
    assert_eq!(local.mode(), Mode::Local);
    assert!(local.nodes().is_empty());
}

// ---- defaults and references ----

#[test]
fn task_policy_lookup_order() {
    let defaults = PolicyDefaults::new();
    let own = set(2, "1").unwrap().unwrap();
    assert!(core::ptr::eq(
        defaults.get_task_policy(Some(&own), Some(NodeId::new(0))),
        &own
    ));
    let node = defaults.get_task_policy(None, Some(NodeId::new(3)));
    assert_eq!((node.mode(), node.nodes()), (Mode::Preferred, &mask("3")));
    assert!(core::ptr::eq(
        defaults.get_task_policy(None, None),
        defaults.default_policy()
    ));
    let early = PolicyDefaults::early_boot();
    assert_eq!(
        early.get_task_policy(None, Some(NodeId::new(3))).mode(),
        Mode::Local
    );
    assert_eq!(
        defaults
            .preferred_node_policy(NodeId::MAX)
            .map(|p| p.nodes().last()),
        Some(Some(NodeId::MAX))
    );
}

#[test]
fn slot_keeps_a_replaced_policy_until_readers_move_on() {
    let domain = crate::rcu::Domain::new();
    let mut reader = domain.register();
    let first = PolicyRef::new(set(2, "1").unwrap().unwrap());
    let slot = PolicySlot::new(&domain, Some(first.clone()));
    drop(first); // the slot holds the only reference now
    let seen = slot.get(&reader).unwrap();
    assert_eq!(PolicyRef::ref_count(&seen), 2);
    slot.replace(None);
    // Still referenced by the retired slot value and by `seen`.
    assert_eq!(PolicyRef::ref_count(&seen), 2);
    assert!(slot.load(&reader).is_none());
    for _ in 0..4 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(PolicyRef::ref_count(&seen), 1);
    assert_eq!(seen.to_string(), "bind:1");
    assert_eq!(slot.get_slow(), None);
    let dup = seen.dup();
    assert!(!PolicyRef::ptr_eq(&dup, &seen));
    assert_eq!(*dup, *seen);
}

#[test]
fn templates_contextualize_per_cpuset() {
    let template = parse_mpol("bind:2-3", &mask("0-3")).unwrap().unwrap();
    assert_eq!(
        template.contextualize(&ctx("0-1")),
        Err(Error::EmptyNodemask)
    );
    let pol = template.contextualize(&ctx("1-2")).unwrap().unwrap();
    assert_eq!(
        (pol.to_string(), pol.stored_mask()),
        ("bind:2".into(), &StoredMask::CpusetMems(mask("1-2")))
    );
    let local = parse_mpol("prefer", &mask("0-3")).unwrap().unwrap();
    assert_eq!(
        local.contextualize(&ctx("1")).unwrap().map(|p| p.mode()),
        Some(Mode::Local)
    );
}

#[test]
fn boot_interleave_skips_small_nodes() {
    let sizes = |n: NodeId| [16u64 << 20, (16 << 20) - 1, 1 << 30, 0][n.index()];
    assert_eq!(boot_interleave_nodes(&mask("0-3"), sizes), mask("0,2"));
    assert_eq!(boot_interleave_nodes(&mask("1,3"), sizes), mask("1"));
    assert_eq!(boot_interleave_nodes(&NodeMask::new(), sizes), mask("0"));
}

/// Every way a policy gets its nodes keeps the byte the interleave picks read in step with them.
#[test]
fn the_kept_low_byte_follows_the_nodes() {
    let check = |pol: &Mempolicy| assert_eq!(pol.low_nodes(), pol.nodes().low_byte(), "{pol}");
    check(&Mempolicy::default_policy());
    for node in [0, 3, 7, 8, 63] {
        check(&Mempolicy::preferred_node_policy(NodeId::new(node)));
    }
    let memory = mask("0-15");
    let lists = ["0", "1-3", "7", "0,8", "8-9", "2,5,7", "0-15"];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for mode in [1, 2, 3, 5, 6] {
        for flags in [0, STATIC, RELATIVE] {
            for list in lists {
                let ctx = NodeContext::unrestricted(memory);
                let Ok(Some(mut pol)) = Mempolicy::from_raw(mode | flags, &mask(list), &ctx) else {
                    continue;
                };
                check(&pol);
                for _ in 0..8 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let mut mems = NodeMask::new();
                    for bit in (0..16).filter(|b| x & (1 << b) != 0) {
                        mems.insert(NodeId::new(bit));
                    }
                    if mems.is_empty() {
                        continue;
                    }
                    pol.rebind(&mems);
                    check(&pol);
                }
            }
            for text in [
                "interleave:0-3",
                "weighted interleave:1,9",
                "prefer:5",
                "bind=static:0,7",
            ] {
                if let Ok(Some(pol)) = parse_mpol(text, &memory) {
                    check(&pol);
                }
            }
        }
    }
}

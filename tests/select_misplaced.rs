//! `mpol_misplaced` for every mode and flag combination, and `mempolicy_slab_node`.

use mempolicy::interleave::{InterleaveCursor, Uniform};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext, PolicyDefaults, PolicyFlags};
use mempolicy::select::{self, CpuContext, Globals, TaskContext};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask};

fn n(node: u32) -> NodeId {
    NodeId::new(node as usize)
}

struct World {
    topo: Topology,
    lists: Zonelists,
}

impl World {
    fn new() -> Self {
        let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
        let lists = Zonelists::build(&topo);
        Self { topo, lists }
    }

    fn policy(&self, mode: Mode, flags: ModeFlags, nodes: &str) -> Mempolicy {
        let ctx = NodeContext::unrestricted(*self.topo.memory_nodes());
        let nodes: NodeMask = nodes.parse().unwrap();
        Mempolicy::create(mode, flags, &nodes, &ctx)
            .unwrap()
            .unwrap()
    }

    /// A policy that migrates on fault but not towards the referencing CPU (MOF alone).
    fn mof(&self, mode: Mode, nodes: &str) -> Mempolicy {
        let mut pol = self.policy(mode, ModeFlags::empty(), nodes);
        pol.set_internal_flags(PolicyFlags::MOF);
        pol
    }

    fn misplaced(&self, pol: &Mempolicy, ilx: u64, page: u32, this: u32) -> Option<u32> {
        select::mpol_misplaced(pol, ilx, n(page), n(this), &self.lists, &Uniform, |_| true)
            .map(NodeId::as_u32)
    }
}

#[test]
fn without_mof_nothing_is_misplaced() {
    let w = World::new();
    for mode in [
        Mode::Preferred,
        Mode::Bind,
        Mode::Interleave,
        Mode::PreferredMany,
    ] {
        let pol = w.policy(mode, ModeFlags::empty(), "2");
        assert_eq!(w.misplaced(&pol, 0, 0, 1), None, "{mode:?}");
    }
    let local = w.policy(Mode::Local, ModeFlags::empty(), "");
    assert_eq!(w.misplaced(&local, 0, 0, 1), None);
}

#[test]
fn interleave_targets_the_static_pick() {
    let w = World::new();
    let pol = w.mof(Mode::Interleave, "0-3");
    assert_eq!(w.misplaced(&pol, 6, 0, 1), Some(2));
    assert_eq!(w.misplaced(&pol, 6, 2, 1), None);
    let weighted = w.mof(Mode::WeightedInterleave, "0-1");
    let weights = [3u8, 1];
    let pick = |ilx, page| {
        select::mpol_misplaced(&weighted, ilx, n(page), n(0), &w.lists, &weights, |_| true)
    };
    assert_eq!(pick(3, 0), Some(n(1)));
    assert_eq!(pick(2, 1), Some(n(0)));
    assert_eq!(pick(2, 0), None);
}

#[test]
fn preferred_targets_its_node_unless_already_there() {
    let w = World::new();
    let pol = w.mof(Mode::Preferred, "3");
    assert_eq!(w.misplaced(&pol, 0, 0, 1), Some(3));
    assert_eq!(w.misplaced(&pol, 0, 3, 1), None);
}

#[test]
fn local_targets_the_faulting_cpu_node() {
    let w = World::new();
    let pol = w.mof(Mode::Local, "");
    assert_eq!(w.misplaced(&pol, 0, 0, 1), Some(1));
    assert_eq!(w.misplaced(&pol, 0, 1, 1), None);
}

#[test]
fn bind_without_moron_moves_only_pages_outside_to_the_nearest_bound_node() {
    let w = World::new();
    for mode in [Mode::Bind, Mode::PreferredMany] {
        let pol = w.mof(mode, "1-3");
        assert_eq!(w.misplaced(&pol, 0, 3, 0), None, "{mode:?}");
        // Node 0's fallback list is 0 2 1 3: node 2 is the nearest bound node.
        assert_eq!(w.misplaced(&pol, 0, 0, 0), Some(2), "{mode:?}");
        // From node 1 (list 1 3 0 2): node 1 itself.
        assert_eq!(w.misplaced(&pol, 0, 0, 1), Some(1), "{mode:?}");
    }
}

#[test]
fn balancing_bind_moves_towards_the_cpu_within_the_nodes() {
    let w = World::new();
    for mode in [Mode::Bind, Mode::PreferredMany] {
        let pol = w.policy(mode, ModeFlags::NUMA_BALANCING, "0-1");
        assert!(pol
            .internal_flags()
            .contains(PolicyFlags::MOF | PolicyFlags::MORON));
        assert_eq!(w.misplaced(&pol, 0, 0, 1), Some(1), "{mode:?}");
        assert_eq!(w.misplaced(&pol, 0, 1, 1), None, "{mode:?}");
        // The CPU's node is outside the nodes: never migrate out of them.
        let far = w.policy(mode, ModeFlags::NUMA_BALANCING, "2-3");
        assert_eq!(w.misplaced(&far, 0, 2, 1), None, "{mode:?}");
        // The scheduler's filter vetoes.
        let vetoed = select::mpol_misplaced(&pol, 0, n(0), n(1), &w.lists, &Uniform, |_| false);
        assert_eq!(vetoed, None);
    }
}

#[test]
fn the_boot_policy_moves_pages_towards_the_faulting_cpu() {
    let w = World::new();
    let defaults = PolicyDefaults::new();
    let boot = defaults.preferred_node_policy(n(0)).unwrap();
    // Page on node 2, fault from node 1: MORON makes node 1 the target.
    assert_eq!(w.misplaced(boot, 0, 2, 1), Some(1));
    assert_eq!(w.misplaced(boot, 0, 0, 1), None);
    let mut asked = None;
    let got = select::mpol_misplaced(boot, 0, n(2), n(1), &w.lists, &Uniform, |to| {
        asked = Some(to);
        false
    });
    assert_eq!((got, asked), (None, Some(n(1))));
}

#[test]
fn slab_node_per_mode() {
    let w = World::new();
    let defaults = PolicyDefaults::new();
    let machine = Globals::new(&w.topo, &w.lists, &defaults, &Uniform);
    let cpu = CpuContext::task(n(0));
    let slab = |pol: Option<&Mempolicy>, cursor: &mut InterleaveCursor, cpu| {
        let mut task = TaskContext::new(pol, cursor);
        select::slab_node(&machine, &mut task, cpu).as_u32()
    };
    let mut cursor = InterleaveCursor::new();
    assert_eq!(slab(None, &mut cursor, cpu), 0);
    let pref = w.policy(Mode::Preferred, ModeFlags::empty(), "3");
    assert_eq!(slab(Some(&pref), &mut cursor, cpu), 3);
    assert_eq!(
        slab(Some(&pref), &mut cursor, CpuContext::interrupt(n(0))),
        0
    );
    let bind = w.policy(Mode::Bind, ModeFlags::empty(), "1,3");
    assert_eq!(slab(Some(&bind), &mut cursor, cpu), 1);
    let many = w.policy(Mode::PreferredMany, ModeFlags::empty(), "2-3");
    assert_eq!(slab(Some(&many), &mut cursor, cpu), 2);
    let il = w.policy(Mode::Interleave, ModeFlags::empty(), "2-3");
    assert_eq!(slab(Some(&il), &mut cursor, cpu), 2);
    assert_eq!(slab(Some(&il), &mut cursor, cpu), 3);
    assert_eq!(slab(Some(&il), &mut cursor, cpu), 2);
    let local = w.policy(Mode::Local, ModeFlags::empty(), "");
    assert_eq!(slab(Some(&local), &mut cursor, CpuContext::task(n(1))), 1);
}

#[test]
fn slab_node_of_a_memoryless_cpu_node_is_its_nearest_memory_node() {
    let topo = Topology::from_nodes_spec("nodes=2 cpus=0,1 mem=256,0 dist=10,20/20,10").unwrap();
    let lists = Zonelists::build(&topo);
    let defaults = PolicyDefaults::new();
    let machine = Globals::new(&topo, &lists, &defaults, &Uniform);
    let mut cursor = InterleaveCursor::new();
    let mut task = TaskContext::new(None, &mut cursor);
    assert_eq!(
        select::slab_node(&machine, &mut task, CpuContext::task(n(1))),
        n(0)
    );
}

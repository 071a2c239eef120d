//! Policies, zonelists and placement without `std`: the path a kernel's page fault takes.

use alloc::string::ToString;

use mempolicy::abi::{self, AddressSpace, SystemNodes, Task};
use mempolicy::gfp::GfpFlags;
use mempolicy::interleave::{InterleaveCursor, Uniform};
use mempolicy::machine::{CpuSlots, Machine, MachineCell};
use mempolicy::policy::{parse_mpol, Mempolicy, NodeContext, PolicyDefaults};
use mempolicy::topology::Topology;
use mempolicy::zonelist::Zonelists;
use mempolicy::{NodeId, NodeMask};

use super::Checks;

const MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

fn mask(text: &str) -> NodeMask {
    NodeMask::parse_list(text).unwrap_or_default()
}

pub(crate) fn run(c: &mut Checks) {
    let Ok(topo) = Topology::from_nodes_spec(MACHINE) else {
        c.check("topology", false);
        return;
    };
    let zonelists = Zonelists::build(&topo);
    let order: alloc::vec::Vec<usize> = zonelists
        .fallback_order(NodeId::new(0))
        .unwrap_or_default()
        .iter()
        .map(|n| n.index())
        .collect();
    c.eq("node0 fallback", order.as_slice(), &[0, 2, 1, 3][..]);

    let ctx = NodeContext::unrestricted(*topo.memory_nodes());
    let bind = Mempolicy::from_raw(2, &mask("1-3"), &ctx);
    c.check("bind created", matches!(bind, Ok(Some(_))));
    let Ok(Some(bind)) = bind else { return };
    c.eq("bind text", bind.to_string(), "bind:1-3".to_string());
    c.eq(
        "bind without nodes",
        Mempolicy::from_raw(2, &NodeMask::new(), &ctx).map_err(|e| e.errno()),
        Err(22),
    );
    c.check(
        "mpol= CVE-2020-11565",
        parse_mpol("prefer:,", topo.memory_nodes()).is_err(),
    );

    // The kernel-facing layer in statics: BIND 1-3 faulted from CPU 0 lands on node 2, the
    // nearest allowed node (recording L107).
    static THE_MACHINE: MachineCell = MachineCell::new();
    static CPUS: CpuSlots<2> = CpuSlots::new();
    let machine = THE_MACHINE.init(|| Machine::new(topo.clone()));
    c.check("cpu 0 up", CPUS.bring_up(machine, 0).is_ok());
    let all = *topo.memory_nodes();
    let gfp = GfpFlags::GFP_HIGHUSER_MOVABLE;
    let mut bound: AddressSpace<Mempolicy> = AddressSpace::new();
    c.check(
        "mmap bound",
        bound.mmap(1 << 32, 4 << 12, 1 << 20, ()).is_ok(),
    );
    bound.set_policy(1 << 32, (1 << 32) + (4 << 12), Some(&bind));
    let mut owner = Task::new(all);
    let mut frames = |n: NodeId, _z, _o, _g| Some(n.index());
    let served = CPUS.with(0, |cpu| {
        cpu.alloc_fault(&mut owner.lend(), &bound, 1 << 32, gfp, 0, &mut frames)
            .map(|page| page.into_frame())
    });
    c.eq("bind placement", served, Ok(Ok(2)));
    let irq = CPUS.with_interrupt(0, |cpu| {
        cpu.alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames)
            .map(|page| page.into_frame())
    });
    c.eq("interrupt placement", irq, Ok(Ok(0)));
    let _ = (
        &zonelists,
        InterleaveCursor::new(),
        PolicyDefaults::new(),
        Uniform,
    );

    // The syscall layer: set_mempolicy through a user buffer, then the task policy.
    let sys = SystemNodes::new(*topo.possible_nodes(), *topo.online_nodes(), all);
    let mut task = Task::new(all);
    let mut user = [0b1110u64];
    /// User memory: a one-word nodemask at address 8.
    struct User<'a>(&'a mut [u64]);
    fn index(addr: u64) -> Option<usize> {
        addr.checked_sub(8).map(|off| off as usize / 8)
    }
    impl abi::UserMemory for User<'_> {
        fn read_u64(&mut self, addr: u64) -> mempolicy::Result<u64> {
            index(addr)
                .and_then(|i| self.0.get(i))
                .copied()
                .ok_or(mempolicy::Error::Fault(addr))
        }
        fn write_u64(&mut self, addr: u64, value: u64) -> mempolicy::Result<()> {
            let slot = index(addr).and_then(|i| self.0.get_mut(i));
            let slot = slot.ok_or(mempolicy::Error::Fault(addr))?;
            *slot = value;
            Ok(())
        }
        fn write_i32(&mut self, addr: u64, _value: i32) -> mempolicy::Result<()> {
            Err(mempolicy::Error::Fault(addr))
        }
    }
    let r = machine.set_mempolicy(&mut task, &mut User(&mut user), 3, 8, 5);
    let _ = sys;
    c.eq("set_mempolicy interleave", r, Ok(0));
    c.eq(
        "task policy",
        task.policy().map(|p| p.to_string()),
        Some("interleave:1-3".to_string()),
    );
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    c.check("mmap", mm.mmap(1 << 32, 8 << 12, 1 << 20, ()).is_ok());
    mm.set_policy(1 << 32, (1 << 32) + (2 << 12), Some(&bind));
    c.eq("split into ranges", mm.len(), 2);
}

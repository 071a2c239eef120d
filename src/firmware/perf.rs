//! HMAT to each memory node's access classes, as Linux does it at boot (Linux:
//! `hmat_init()`, `hmat_parse_proximity_domain()`, `hmat_parse_locality()`,
//! `hmat_update_target()`, `hmat_update_target_attrs()`, `hmat_register_target()` in
//! `drivers/acpi/numa/hmat.c`; `register_memory_node_under_compute_node()` and
//! `node_set_perf_attrs()` in `drivers/base/node.c`).

use alloc::vec;
use alloc::vec::Vec;

use super::hmat::{DataType, Hmat, HmatEntry, Locality, MEMORY_PD_VALID, PROCESSOR_PD_VALID};
use super::layout::{AccessClass, NodeAccess};
use super::numa::{PxmMap, MAX_PXM_DOMAINS};
use super::sdt::Table;
use super::srat::{Srat, SratEntry};
use crate::error::Result;
use crate::nodemask::{NodeId, NodeMask};
use crate::topology::AccessCoordinates;

/// The node state HMAT reads: which nodes are online and which have CPUs (`N_ONLINE`,
/// `N_CPU` at `subsys_initcall` time).
pub(crate) struct Nodes<'a> {
    pub(crate) pxm: &'a PxmMap,
    pub(crate) online: NodeMask,
    pub(crate) has_cpu: NodeMask,
}

/// What HMAT gave: per node and access class, and the targets in the order Linux registered
/// them (the order `mempolicy_set_node_perf()` was called in).
pub(crate) struct Perf {
    pub(crate) access: Vec<[NodeAccess; 2]>,
    pub(crate) registered: Vec<NodeId>,
}

/// A memory target (Linux: `struct memory_target`).
struct Target {
    memory_pxm: u32,
    processor_pxm: Option<u32>,
    coord: [AccessCoordinates; 2],
    /// A generic port target with a device handle: never registered as a node.
    generic_port: bool,
}

/// An initiator (Linux: `struct memory_initiator`).
#[derive(Clone, Copy)]
struct Initiator {
    pxm: u32,
    has_cpu: bool,
}

/// The last memory-hierarchy locality entry of each kind (Linux: `localities_types[]`, indexed
/// write latency, read latency, write bandwidth, read bandwidth), and whether there was any.
struct Localities<'a> {
    any: bool,
    kinds: [Option<Locality<'a>>; 4],
}

/// A set of proximity domains (Linux: the `p_nodes` bitmap, indexed by domain).
struct PxmSet(Vec<bool>);

impl PxmSet {
    fn new() -> Self {
        Self(vec![false; MAX_PXM_DOMAINS])
    }
    fn set(&mut self, pxm: u32, on: bool) {
        if let Some(bit) = self.0.get_mut(pxm as usize) {
            *bit = on;
        }
    }
    fn get(&self, pxm: u32) -> bool {
        self.0.get(pxm as usize).copied().unwrap_or(false)
    }
    fn clear_below(&mut self, pxm: u32) {
        self.0
            .iter_mut()
            .take(pxm as usize)
            .for_each(|bit| *bit = false);
    }
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(pxm, _)| pxm as u32)
    }
}

/// Reads the HMAT against the SRAT's memory targets.
///
/// # Errors
/// The reason Linux ignores the whole table ("Ignoring: Unknown revision", "Ignoring: Invalid
/// table"), as [`Error::FirmwareTable`](crate::Error::FirmwareTable) naming the HMAT (or the SRAT, for a generic port
/// entry it cannot read).
pub(crate) fn read_hmat(
    srat: &Srat<'_>,
    hmat: &Hmat<'_>,
    nodes: &Nodes<'_>,
    nr_node_ids: usize,
) -> Result<Perf> {
    if !hmat.known_revision() {
        return Err(Table::Hmat.fault(8, "revision is not 1 or 2"));
    }
    let revision = hmat.revision();
    let mut targets = srat_targets(srat);
    let mut initiators: Vec<Initiator> = Vec::new();
    let mut loc = Localities {
        any: false,
        kinds: [None; 4],
    };
    // Linux parses every proximity entry, then every locality entry, then every cache entry.
    for entry in hmat.entries() {
        let HmatEntry::Proximity(p) = entry else {
            continue;
        };
        let memory_valid = revision > 1 || p.flags & MEMORY_PD_VALID != 0;
        if !memory_valid {
            continue;
        }
        let Some(target) = targets.iter_mut().find(|t| t.memory_pxm == p.memory_domain) else {
            return Err(Table::Hmat.fault(p.offset, "memory domain missing from the SRAT"));
        };
        if p.flags & PROCESSOR_PD_VALID != 0 {
            if nodes.pxm.get(p.processor_domain).is_none() {
                return Err(Table::Hmat.fault(p.offset, "processor domain has no node"));
            }
            target.processor_pxm = Some(p.processor_domain);
        }
    }
    for entry in hmat.entries() {
        let HmatEntry::Locality(l) = entry else {
            continue;
        };
        parse_locality(&l, revision, nodes, &mut targets, &mut initiators, &mut loc);
    }
    initiators.sort_by_key(|i| i.pxm);

    let mut perf = Perf {
        access: vec![[NodeAccess::default(); 2]; nr_node_ids],
        registered: Vec::new(),
    };
    for target in &mut targets {
        let Some(mem) = nodes.pxm.get(target.memory_pxm) else {
            continue;
        };
        if target.generic_port || !nodes.online.contains(mem) {
            continue;
        }
        for class in [AccessClass::Local, AccessClass::Cpu] {
            let chosen = update_target_attrs(target, class, &initiators, &loc, nodes, revision);
            for pxm in chosen.iter() {
                let Some(cpu) = nodes.pxm.get(pxm) else {
                    continue;
                };
                if !nodes.online.contains(cpu) {
                    continue;
                }
                if let Some(a) = perf.access.get_mut(mem.index()) {
                    class_of(a, class).initiators.insert(cpu);
                }
                if let Some(a) = perf.access.get_mut(cpu.index()) {
                    class_of(a, class).targets.insert(mem);
                }
            }
        }
        if let Some([local, cpu]) = perf.access.get_mut(mem.index()) {
            let [local_coord, cpu_coord] = target.coord;
            local.perf = Some(local_coord);
            cpu.perf = Some(cpu_coord);
        }
        perf.registered.push(mem);
    }
    Ok(perf)
}

/// The targets: every enabled SRAT memory entry's full 32-bit domain, then every generic
/// port with an ACPI device handle, first come first listed (Linux: `srat_parse_mem_affinity()`
/// and `srat_parse_genport_affinity()` in `hmat_init()`).
fn srat_targets(srat: &Srat<'_>) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    let memory = srat.entries().filter_map(|e| match e {
        SratEntry::Memory(m) if m.enabled() => Some((m.raw_domain, false)),
        _ => None,
    });
    let ports = srat.entries().filter_map(|e| match e {
        SratEntry::GenericPort(g) if g.enabled && g.handle_type == 0 => {
            Some((g.domain, g.handle[0] != 0 || g.handle[1] != 0))
        }
        _ => None,
    });
    for (pxm, port) in memory.chain(ports) {
        match targets.iter_mut().find(|t| t.memory_pxm == pxm) {
            Some(t) => t.generic_port |= port,
            None => targets.push(Target {
                memory_pxm: pxm,
                processor_pxm: None,
                coord: [AccessCoordinates::default(); 2],
                generic_port: port,
            }),
        }
    }
    targets
}

/// One locality entry: new initiators, the values for each target's own processor domain,
/// and the table kept for the best-initiator search (Linux: `hmat_parse_locality()`,
/// `alloc_memory_initiator()`, `hmat_update_target()`, `hmat_add_locality()`).
fn parse_locality<'a>(
    l: &Locality<'a>,
    revision: u8,
    nodes: &Nodes<'_>,
    targets: &mut [Target],
    initiators: &mut Vec<Initiator>,
    loc: &mut Localities<'a>,
) {
    let memory = l.hierarchy() == 0;
    for (i, init) in l.initiators().enumerate() {
        if let Some(node) = nodes.pxm.get(init) {
            if !initiators.iter().any(|x| x.pxm == init) {
                initiators.push(Initiator {
                    pxm: init,
                    has_cpu: nodes.has_cpu.contains(node),
                });
            }
        }
        if !memory {
            continue;
        }
        for (t, targ) in l.targets().enumerate() {
            let Some(target) = targets.iter_mut().find(|x| x.memory_pxm == targ) else {
                continue;
            };
            if target.processor_pxm != Some(init) {
                continue;
            }
            let value = l.value(i, t, revision);
            let [local, cpu] = &mut target.coord;
            set_coord(local, l.data_type_raw(), value);
            if nodes
                .pxm
                .get(init)
                .is_some_and(|n| nodes.has_cpu.contains(n))
            {
                set_coord(cpu, l.data_type_raw(), value);
            }
        }
    }
    if memory {
        loc.any = true;
        let slots: &[usize] = match l.data_type() {
            Some(DataType::AccessLatency) => &[0, 1],
            Some(DataType::ReadLatency) => &[1],
            Some(DataType::WriteLatency) => &[0],
            Some(DataType::AccessBandwidth) => &[2, 3],
            Some(DataType::ReadBandwidth) => &[3],
            Some(DataType::WriteBandwidth) => &[2],
            None => &[],
        };
        for &slot in slots {
            if let Some(kind) = loc.kinds.get_mut(slot) {
                *kind = Some(*l);
            }
        }
    }
}

/// Stores `value` in the field(s) of `coord` that `data_type` names (Linux:
/// `hmat_update_target_access()`).
fn set_coord(coord: &mut AccessCoordinates, data_type: u8, value: u32) {
    match DataType::from_raw(data_type) {
        Some(DataType::AccessLatency) => {
            coord.read_latency = value;
            coord.write_latency = value;
        }
        Some(DataType::ReadLatency) => coord.read_latency = value,
        Some(DataType::WriteLatency) => coord.write_latency = value,
        Some(DataType::AccessBandwidth) => {
            coord.read_bandwidth = value;
            coord.write_bandwidth = value;
        }
        Some(DataType::ReadBandwidth) => coord.read_bandwidth = value,
        Some(DataType::WriteBandwidth) => coord.write_bandwidth = value,
        None => {}
    }
}

/// Chooses the initiators of `target` for `class` and fills in their best values (Linux:
/// `hmat_update_target_attrs()`): the attached processor domain if there is one (for access
/// class 1 only if its node has CPUs); otherwise every initiator, narrowed kind by kind (write
/// latency, read latency, write bandwidth, read bandwidth) to those with the best value,
/// initiators without CPUs left out for access class 1.
fn update_target_attrs(
    target: &mut Target,
    class: AccessClass,
    initiators: &[Initiator],
    loc: &Localities<'_>,
    nodes: &Nodes<'_>,
    revision: u8,
) -> PxmSet {
    let mut chosen = PxmSet::new();
    if let Some(pxm) = target.processor_pxm {
        let has_cpu = nodes
            .pxm
            .get(pxm)
            .is_some_and(|n| nodes.has_cpu.contains(n));
        if class == AccessClass::Local || has_cpu {
            chosen.set(pxm, true);
            return chosen;
        }
    }
    if !loc.any || initiators.is_empty() {
        return chosen;
    }
    initiators.iter().for_each(|i| chosen.set(i.pxm, true));
    for l in loc.kinds.iter().flatten() {
        let latency = l.data_type().is_some_and(DataType::is_latency);
        let mut best = 0u32;
        for init in initiators {
            if class == AccessClass::Cpu && !init.has_cpu {
                chosen.set(init.pxm, false);
                continue;
            }
            if !chosen.get(init.pxm) {
                continue;
            }
            let value = initiator_value(l, init.pxm, target.memory_pxm, revision);
            let better =
                value != 0 && (best == 0 || if latency { value < best } else { value > best });
            if better {
                best = value;
                chosen.clear_below(init.pxm);
            }
            if value != best {
                chosen.set(init.pxm, false);
            }
        }
        if best != 0 {
            set_coord(class_of(&mut target.coord, class), l.data_type_raw(), best);
        }
    }
    chosen
}

/// Returns the value of `l` from `initiator` to `target`, 0 if either is not listed (Linux:
/// `hmat_initiator_perf()`: the first matching position of each).
fn initiator_value(l: &Locality<'_>, initiator: u32, target: u32, revision: u8) -> u32 {
    let Some(i) = l.initiators().position(|p| p == initiator) else {
        return 0;
    };
    let Some(t) = l.targets().position(|p| p == target) else {
        return 0;
    };
    l.value(i, t, revision)
}

/// Returns the element of a per-class pair that belongs to `class`.
fn class_of<T>(pair: &mut [T; 2], class: AccessClass) -> &mut T {
    let [local, cpu] = pair;
    match class {
        AccessClass::Local => local,
        AccessClass::Cpu => cpu,
    }
}

//! The ACPI HMAT of the conformance runner's machines, from the `bw=` and `lat=` words, and
//! what Linux derives from it (Linux: `drivers/acpi/numa/hmat.c`, `hmat_normalize`,
//! `hmat_update_target`, `hmat_update_target_attrs`).
//!
//! `run.sh` hands the words to QEMU 7.2 as `-numa hmat-lb` options: for every initiator (a
//! node with a vCPU slot) and every target node with a value, the target's value. QEMU
//! encodes each table as 16-bit entries times one base unit, checking the values as they
//! come; Linux multiplies back, converts latencies from picoseconds, and registers per memory
//! node an `access0` (best initiator of any kind) and an `access1` (best initiator with CPUs)
//! class. Every initiator sees the same value for a target, so the best is that value. This
//! module models those steps; it is a model of the result, not an ACPI parser.

use alloc::vec;
use alloc::vec::Vec;

use super::machine::AccessCoordinates;
use super::performance::{AccessClass, NodePerformance};
use crate::error::{Error, Result};
use crate::nodemask::{NodeId, NodeMask};

/// One value of a `bw=` or `lat=` list: `None` for `-` (no entry), else `(read, write)`.
pub(super) type HmatValue = Option<(u64, u64)>;

/// Bytes per MiB: QEMU takes `bw=` values as `NM`, MiB per second.
const MIB: u64 = 1 << 20;

/// What kind of numbers a table holds (Linux: `ACPI_HMAT_*_LATENCY`, `*_BANDWIDTH`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Latency,
    Bandwidth,
}

/// Which fields of the coordinates a table sets (Linux: the data type's access, read or
/// write variant).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Access,
    Read,
    Write,
}

/// The machine facts the HMAT depends on.
pub(super) struct Machine<'a> {
    /// Node of each vCPU, in vCPU order (`cpus=`).
    pub(super) cpus: &'a [u32],
    /// MiB per node (`mem=`, expanded).
    pub(super) mem: &'a [u32],
    /// Row-major SLIT.
    pub(super) distances: &'a [u8],
}

impl Machine<'_> {
    fn nodes(&self) -> usize {
        self.mem.len()
    }

    fn distance(&self, from: usize, to: usize) -> u8 {
        self.distances
            .get(from * self.nodes() + to)
            .copied()
            .unwrap_or(u8::MAX)
    }

    /// The nodes with a vCPU slot, which QEMU makes the HMAT initiators: the CPUs' nodes
    /// when they come in the order `0, 1, …` (first appearance, then the other nodes), else
    /// every node (`run.sh` then adds an absent slot per node to keep the numbering).
    fn slot_nodes(&self) -> NodeMask {
        let mut order: Vec<usize> = Vec::with_capacity(self.nodes());
        let mut cpu_nodes = NodeMask::new();
        for &node in self.cpus {
            if let Ok(id) = NodeId::try_new(u64::from(node)) {
                if !cpu_nodes.contains(id) {
                    cpu_nodes.insert(id);
                    order.push(node as usize);
                }
            }
        }
        for node in 0..self.nodes() {
            if !order.contains(&node) {
                order.push(node);
            }
        }
        if order.iter().enumerate().all(|(i, &node)| i == node) {
            cpu_nodes
        } else {
            NodeMask::first_n(self.nodes())
        }
    }

    /// The nodes with an online CPU (Linux: `N_CPU`).
    fn cpu_nodes(&self) -> NodeMask {
        let mut mask = NodeMask::new();
        for &node in self.cpus {
            if let Ok(id) = NodeId::try_new(u64::from(node)) {
                mask.insert(id);
            }
        }
        mask
    }

    /// The initiator QEMU attaches to `node` (the HMAT "Proximity Domain for the Attached
    /// Initiator"): itself if it has a slot, else the slot node at the smallest SLIT
    /// distance, the lowest-numbered on ties.
    fn attached_initiator(&self, node: usize, slots: &NodeMask) -> Option<NodeId> {
        let own = NodeId::try_new(node as u64).ok()?;
        if slots.contains(own) {
            return Some(own);
        }
        slots
            .iter()
            .min_by_key(|slot| self.distance(node, slot.index()))
    }
}

/// One System Locality Latency and Bandwidth table: the value Linux reads back for each
/// target node (0 where the target has no entry).
struct Table {
    kind: Kind,
    direction: Direction,
    values: Vec<u32>,
}

/// Returns, per memory node, what Linux registers in `access0` and `access1` for the HMAT
/// QEMU builds from `lat` and `bw` (each `None` when its word is absent). Empty when there is
/// no HMAT, or when Linux rejects it: QEMU 7.2 writes a memory-domain entry for every node,
/// and a node without memory has no SRAT memory range, so Linux ignores the whole table
/// ("acpi/hmat: Ignoring: Invalid table").
///
/// # Errors
/// [`Error::InvalidTopology`] for a list whose length is not the number of nodes, and for
/// values QEMU refuses to encode (they differ by a factor of 65535 or more in one table, or
/// a bandwidth overflows QEMU's byte count).
pub(super) fn derive(
    machine: &Machine<'_>,
    lat: Option<&[HmatValue]>,
    bw: Option<&[HmatValue]>,
) -> Result<Vec<(NodeId, [NodePerformance; 2])>> {
    for list in [lat, bw].into_iter().flatten() {
        if list.len() != machine.nodes() {
            return Err(Error::InvalidTopology(
                "bw= and lat= need one value per node",
            ));
        }
    }
    if lat.is_none() && bw.is_none() {
        return Ok(Vec::new());
    }
    let slots = machine.slot_nodes();
    let initiators = slots.iter().count();
    let mut tables = Vec::new();
    if let Some(list) = lat {
        tables.extend(encode(Kind::Latency, list, initiators)?);
    }
    if let Some(list) = bw {
        tables.extend(encode(Kind::Bandwidth, list, initiators)?);
    }
    if machine.mem.contains(&0) {
        return Ok(Vec::new());
    }
    let cpu_nodes = machine.cpu_nodes();
    let mut out = Vec::new();
    for node in 0..machine.nodes() {
        let id = NodeId::try_new(node as u64)?;
        let Some(attached) = machine.attached_initiator(node, &slots) else {
            continue;
        };
        let mut coordinates = AccessCoordinates::default();
        for table in &tables {
            let value = table.values.get(node).copied().unwrap_or(0);
            set(&mut coordinates, table, value);
        }
        let local = NodePerformance {
            initiators: NodeMask::from_node(attached),
            coordinates,
        };
        let cpu = if cpu_nodes.contains(attached) {
            local
        } else if tables.is_empty() {
            // No locality table: Linux finds no best initiator and keeps zeros.
            NodePerformance::default()
        } else {
            // Every initiator with a CPU sees the same value, so all of them are "best".
            NodePerformance {
                initiators: cpu_nodes.and(&slots),
                coordinates,
            }
        };
        let mut classes = [NodePerformance::default(); 2];
        for class in AccessClass::ALL {
            if let Some(slot) = classes.get_mut(class.index()) {
                *slot = match class {
                    AccessClass::Local => local,
                    AccessClass::Cpu => cpu,
                };
            }
        }
        out.push((id, classes));
    }
    Ok(out)
}

/// Sets the fields `table` describes (Linux: `hmat_update_target_access`).
fn set(coordinates: &mut AccessCoordinates, table: &Table, value: u32) {
    let c = coordinates;
    match (table.kind, table.direction) {
        (Kind::Latency, Direction::Access) => (c.read_latency, c.write_latency) = (value, value),
        (Kind::Latency, Direction::Read) => c.read_latency = value,
        (Kind::Latency, Direction::Write) => c.write_latency = value,
        (Kind::Bandwidth, Direction::Access) => {
            (c.read_bandwidth, c.write_bandwidth) = (value, value);
        }
        (Kind::Bandwidth, Direction::Read) => c.read_bandwidth = value,
        (Kind::Bandwidth, Direction::Write) => c.write_bandwidth = value,
    }
}

/// Builds the tables of one list as `run.sh` and QEMU do: one access table, or a read and a
/// write table when any value has different read and write numbers. A list whose values are
/// all `-` gives no table (QEMU writes none without entries).
fn encode(kind: Kind, list: &[HmatValue], initiators: usize) -> Result<Vec<Table>> {
    let split = list.iter().flatten().any(|&(r, w)| r != w);
    let directions: &[Direction] = if split {
        &[Direction::Read, Direction::Write]
    } else {
        &[Direction::Access]
    };
    let mut tables = Vec::new();
    for &direction in directions {
        let pick = |(read, write): (u64, u64)| match direction {
            Direction::Write => write,
            Direction::Access | Direction::Read => read,
        };
        let raw: Vec<Option<u64>> = list.iter().map(|v| v.map(pick)).collect();
        if raw.iter().all(Option::is_none) {
            continue;
        }
        let values = match kind {
            Kind::Latency => encode_latency(&raw, initiators)?,
            Kind::Bandwidth => encode_bandwidth(&raw, initiators)?,
        };
        tables.push(Table {
            kind,
            direction,
            values,
        });
    }
    Ok(tables)
}

/// QEMU's latency encoding (nanoseconds; base: the largest power of ten dividing the
/// values seen so far, checked against the previous base as each entry arrives), then
/// Linux's reading (`hmat_normalize`: entry × base in picoseconds, 32-bit, rounded up to
/// nanoseconds).
fn encode_latency(raw: &[Option<u64>], initiators: usize) -> Result<Vec<u32>> {
    let mut base = u64::MAX;
    let mut range = 0u64;
    for _ in 0..initiators {
        for &latency in raw.iter().flatten() {
            let mut unit = 1u64;
            let mut rest = latency;
            while rest != 0 && rest % 10 == 0 {
                rest /= 10;
                unit = unit.saturating_mul(10);
            }
            let largest = (latency / base).max(range);
            if largest >= u64::from(u16::MAX) {
                return Err(Error::InvalidTopology(
                    "QEMU refuses lat= values that differ by a factor of 65535 or more",
                ));
            }
            base = base.min(unit);
            range = largest;
        }
    }
    // QEMU stores the base in picoseconds in 32 bits.
    let base_ps = u64::from(base.wrapping_mul(1000) as u32);
    Ok(raw
        .iter()
        .map(|v| match v {
            Some(latency) => normalize(entry(*latency, base), base_ps, Kind::Latency),
            None => 0,
        })
        .collect())
}

/// QEMU's bandwidth encoding (bytes per second; base: the lowest set bit of all values seen
/// so far, at most 16 bits between it and the highest), then Linux's reading (entry × base
/// in MB/s, 32-bit).
fn encode_bandwidth(raw: &[Option<u64>], initiators: usize) -> Result<Vec<u32>> {
    let mut bytes = vec![None; raw.len()];
    for (slot, value) in bytes.iter_mut().zip(raw) {
        if let Some(mib) = value {
            *slot = Some(
                mib.checked_mul(MIB)
                    .ok_or(Error::InvalidTopology("a bw= value is too large for QEMU"))?,
            );
        }
    }
    let mut base = 1u64;
    let mut bits = 0u64;
    for _ in 0..initiators {
        for &bandwidth in bytes.iter().flatten() {
            let seen = bits | bandwidth;
            let first = seen.trailing_zeros();
            let last = 64 - seen.leading_zeros();
            let unit = 1u64 << first;
            if last - first > 16 || bandwidth / unit >= u64::from(u16::MAX) {
                return Err(Error::InvalidTopology(
                    "QEMU refuses bw= values that differ by a factor of 65535 or more",
                ));
            }
            base = unit;
            bits = seen;
        }
    }
    // QEMU stores the base in MB/s in 32 bits.
    let base_mb = u64::from((base / MIB) as u32);
    Ok(bytes
        .iter()
        .map(|v| match v {
            Some(bandwidth) => normalize(entry(*bandwidth, base), base_mb, Kind::Bandwidth),
            None => 0,
        })
        .collect())
}

/// The 16-bit entry QEMU writes for `value` (`(uint16_t)(value / base)`).
fn entry(value: u64, base: u64) -> u16 {
    value.checked_div(base).unwrap_or(0) as u16
}

/// Linux's `hmat_normalize` for an HMAT of revision 2: 0 for a missing (0) or invalid
/// (0xffff) entry and for an entry × base beyond 32 bits; latencies in nanoseconds,
/// rounded up.
fn normalize(entry: u16, base: u64, kind: Kind) -> u32 {
    if entry == 0 || entry == u16::MAX || base > u64::from(u32::MAX) / u64::from(entry) {
        return 0;
    }
    let value = u64::from(entry) * base;
    let value = match kind {
        Kind::Latency => value.div_ceil(1000),
        Kind::Bandwidth => value,
    };
    u32::try_from(value).unwrap_or(0)
}

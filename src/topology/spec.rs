//! The conformance runner's machine words (`run.sh` `NODES_SPEC`, the `# topology:` line of a
//! case file) → [`Topology`].

use alloc::vec::Vec;

use super::hmat::{self, HmatValue};
use super::performance::AccessClass;
use super::{Topology, TopologyBuilder};
use crate::error::{Error, Result};
use crate::gfp::ZoneType;
use crate::nodemask::NodeId;

/// The most nodes `run.sh` accepts.
const MAX_SPEC_NODES: usize = 64;
/// Pages per MiB (4 KiB pages).
const PAGES_PER_MIB: u64 = 256;
/// The recorded machine's SLIT, used when `nodes=4` and no `dist=` is given.
const DEFAULT_4_NODE_DIST: [u8; 16] = [
    10, 30, 20, 40, 30, 10, 40, 20, 20, 40, 10, 30, 40, 20, 30, 10,
];

impl Topology {
    /// Parses `run.sh`'s `NODES_SPEC` words (the topology words of the conformance recordings, `conformance/README.md`) into a
    /// topology, with the same defaults and checks as `run.sh`.
    ///
    /// Words, each optional: `nodes=N` (1..=64, default 4), `cpus=a,b,…` (node of CPU 0, 1, …;
    /// default `0,1`; CPU 0 must be on node 0), `mem=M` or `mem=M0,M1,…` (MiB per node, at
    /// least 16, or 0 for a memoryless node that has a CPU; total at least 64; default 256),
    /// `dist=r0/r1/…` (SLIT rows of comma-separated values; default: the recorded 4-node
    /// matrix for 4 nodes, `10 + 10·|i−j|` capped at 254 otherwise), `bw=B0,B1,…` and
    /// `lat=L0,L1,…` (ACPI HMAT bandwidth in MB/s and latency in ns of each node as a memory
    /// target: one value per node, `R:W` for different read and write values, `-` for no
    /// entry; see below) and `accel=…` (ignored). A leading `# topology:` is skipped, so a
    /// case file's directive line can be passed as is.
    ///
    /// Every node is possible and online; each node with memory gets one `Normal` zone of
    /// `MiB × 256` pages.
    ///
    /// With `bw=` or `lat=` the runner's QEMU builds an HMAT in which every initiator (a
    /// node with a vCPU slot) sees each target's value; each memory node is attached to
    /// itself if it has a slot, else to the nearest node with one. The topology then holds
    /// what Linux derives from it ([`Topology::performance`]): per memory node an
    /// [`AccessClass::Local`] and an [`AccessClass::Cpu`] entry with the values as Linux
    /// reads them back from QEMU's 16-bit encoding (bandwidth `min(read, write)` of the
    /// `Cpu` class is what automatic weights use, [`Topology::access`]). A machine with a
    /// memoryless node gets no performance at all: QEMU 7.2 describes that node in the HMAT
    /// anyway, and Linux rejects the whole table.
    ///
    /// # Errors
    /// [`Error::Parse`] (byte offset) for an unknown word or a malformed number or `bw=` /
    /// `lat=` value; [`Error::NumberOverflow`] for a number beyond 32 bits (64 bits in `bw=`
    /// and `lat=`); [`Error::InvalidTopology`] for values `run.sh` or QEMU refuses (a
    /// `bw=`/`lat=` value of 0, a list that does not have one value per node, values in one
    /// HMAT table that differ by a factor of 65535 or more) or the builder rejects.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::topology::Topology;
    /// use mempolicy::NodeId;
    /// let topo = Topology::from_nodes_spec("# topology: nodes=2 cpus=0,1 mem=512,0 dist=10,21/21,10")?;
    /// assert_eq!(topo.memory_nodes().to_string(), "0");
    /// assert_eq!(topo.cpu_nodes().to_string(), "0-1");
    /// assert_eq!(topo.distance(NodeId::new(1), NodeId::new(0)), 21);
    ///
    /// let hmat = Topology::from_nodes_spec("nodes=2 cpus=0 bw=100000:40000,20000 lat=80,-")?;
    /// let far = hmat.access(NodeId::new(1)).expect("a memory target");
    /// assert_eq!((far.read_bandwidth, far.read_latency), (20000, 0));
    /// assert_eq!(hmat.access(NodeId::new(0)).map(|c| c.bandwidth()), Some(40000));
    /// assert!(Topology::from_nodes_spec("nodes=2 bw=1,x").is_err());
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn from_nodes_spec(spec: &str) -> Result<Topology> {
        let mut words = Spec::default();
        let body = strip_directive(spec);
        for word in body.split_ascii_whitespace() {
            let at = offset_in(spec, word);
            let Some((key, value)) = word.split_once('=') else {
                return Err(Error::Parse(at));
            };
            let value_at = at + key.len() + 1;
            match key {
                "nodes" => words.nodes = Some(number(value, value_at)?),
                "cpus" => words.cpus = Some(list(value, ',', value_at)?),
                "mem" => words.mem = Some(list(value, ',', value_at)?),
                "dist" => words.dist = Some(rows(value, value_at)?),
                "bw" => words.bw = hmat_list(value, value_at)?,
                "lat" => words.lat = hmat_list(value, value_at)?,
                "accel" => {}
                _ => return Err(Error::Parse(at)),
            }
        }
        words.build()
    }
}

/// The parsed words, before defaults.
#[derive(Default)]
struct Spec {
    nodes: Option<u32>,
    cpus: Option<Vec<u32>>,
    mem: Option<Vec<u32>>,
    dist: Option<Vec<Vec<u32>>>,
    bw: Option<Vec<HmatValue>>,
    lat: Option<Vec<HmatValue>>,
}

impl Spec {
    fn build(self) -> Result<Topology> {
        let nodes = self.nodes.unwrap_or(4) as usize;
        if nodes == 0 || nodes > MAX_SPEC_NODES {
            return Err(Error::InvalidTopology("nodes= must be 1..=64"));
        }
        let cpus = self.cpus.unwrap_or_else(|| alloc::vec![0, 1]);
        if cpus.first() != Some(&0) {
            return Err(Error::InvalidTopology("cpu 0 must be on node 0"));
        }
        let mut mem = self.mem.unwrap_or_else(|| alloc::vec![256]);
        if let &[only] = mem.as_slice() {
            mem.resize(nodes, only);
        }
        if mem.len() != nodes {
            return Err(Error::InvalidTopology("mem= needs 1 value or one per node"));
        }
        let mut builder = TopologyBuilder::new();
        for (i, &mib) in mem.iter().enumerate() {
            let node = NodeId::try_new(i as u64)?;
            builder = builder.online(node);
            if mib == 0 {
                if !cpus.iter().any(|&n| n as usize == i) {
                    return Err(Error::InvalidTopology("a memoryless node needs a cpu"));
                }
            } else if mib < 16 {
                return Err(Error::InvalidTopology("a node needs at least 16 MiB"));
            } else {
                builder = builder.zone(node, ZoneType::Normal, u64::from(mib) * PAGES_PER_MIB);
            }
        }
        if mem.iter().map(|&m| u64::from(m)).sum::<u64>() < 64 {
            return Err(Error::InvalidTopology("total memory is below 64 MiB"));
        }
        for (cpu, &node) in cpus.iter().enumerate() {
            if node as usize >= nodes {
                return Err(Error::InvalidTopology("cpus= names a node beyond nodes="));
            }
            let cpu =
                u32::try_from(cpu).map_err(|_| Error::InvalidTopology("cpu number too large"))?;
            builder = builder.cpu(cpu, NodeId::try_new(u64::from(node))?);
        }
        let distances = distance_table(self.dist, nodes)?;
        let machine = hmat::Machine {
            cpus: &cpus,
            mem: &mem,
            distances: &distances,
        };
        for (node, classes) in hmat::derive(&machine, self.lat.as_deref(), self.bw.as_deref())? {
            for (class, performance) in AccessClass::ALL.into_iter().zip(classes) {
                builder = builder.performance(node, class, performance);
            }
        }
        builder.distances(&distances).build()
    }
}

/// Returns the row-major table from `dist=` rows, or the default for `nodes`.
fn distance_table(rows: Option<Vec<Vec<u32>>>, nodes: usize) -> Result<Vec<u8>> {
    let Some(rows) = rows else {
        if nodes == 4 {
            return Ok(DEFAULT_4_NODE_DIST.to_vec());
        }
        let mut table = Vec::with_capacity(nodes * nodes);
        for i in 0..nodes {
            for j in 0..nodes {
                table.push((10 + 10 * i.abs_diff(j)).min(254) as u8);
            }
        }
        return Ok(table);
    };
    if rows.len() != nodes || rows.iter().any(|r| r.len() != nodes) {
        return Err(Error::InvalidTopology(
            "dist= needs one row per node and one value per node",
        ));
    }
    rows.iter()
        .flatten()
        .map(|&d| u8::try_from(d).map_err(|_| Error::InvalidTopology("a distance is above 255")))
        .collect()
}

/// Returns `spec` without a leading `# topology:` (or `#topology:`).
fn strip_directive(spec: &str) -> &str {
    let trimmed = spec.trim_start();
    match trimmed.strip_prefix('#') {
        Some(rest) => rest.trim_start().strip_prefix("topology:").unwrap_or(rest),
        None => spec,
    }
}

/// Returns the byte offset of `part` (a subslice) within `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// Parses a decimal number (`run.sh`: `^[0-9]+$`).
fn number(text: &str, at: usize) -> Result<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Parse(at));
    }
    text.parse().map_err(|_| Error::NumberOverflow(at))
}

/// Parses `sep`-separated decimal numbers.
fn list(text: &str, sep: char, at: usize) -> Result<Vec<u32>> {
    let mut offset = at;
    let mut out = Vec::new();
    for item in text.split(sep) {
        out.push(number(item, offset)?);
        offset += item.len() + 1;
    }
    Ok(out)
}

/// Parses a `bw=`/`lat=` list: comma-separated values, each `-`, `N` or `R:W` (decimal,
/// at least 1; `run.sh`: `^[0-9]+$` or `^([0-9]+):([0-9]+)$`). As in `run.sh` (which reads
/// the list with the shell's `read -a`), an empty list means "no HMAT" (`None`) and one
/// trailing comma ends the last value rather than adding an empty one.
fn hmat_list(text: &str, at: usize) -> Result<Option<Vec<HmatValue>>> {
    if text.is_empty() {
        return Ok(None);
    }
    let text = text.strip_suffix(',').unwrap_or(text);
    let mut offset = at;
    let mut out = Vec::new();
    for item in text.split(',') {
        let value = if item == "-" {
            None
        } else {
            let (read, write) = match item.split_once(':') {
                Some((r, w)) => (big_number(r, offset)?, big_number(w, offset + r.len() + 1)?),
                None => {
                    let v = big_number(item, offset)?;
                    (v, v)
                }
            };
            if read == 0 || write == 0 {
                return Err(Error::InvalidTopology(
                    "bw= and lat= values must be at least 1 (- for no entry)",
                ));
            }
            Some((read, write))
        };
        out.push(value);
        offset += item.len() + 1;
    }
    Ok(Some(out))
}

/// Parses a decimal number of up to 63 bits (what `run.sh`'s shell arithmetic holds).
fn big_number(text: &str, at: usize) -> Result<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Parse(at));
    }
    text.parse::<i64>()
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .ok_or(Error::NumberOverflow(at))
}

/// Parses `/`-separated rows of comma-separated numbers.
fn rows(text: &str, at: usize) -> Result<Vec<Vec<u32>>> {
    let mut offset = at;
    let mut out = Vec::new();
    for row in text.split('/') {
        out.push(list(row, ',', offset)?);
        offset += row.len() + 1;
    }
    Ok(out)
}

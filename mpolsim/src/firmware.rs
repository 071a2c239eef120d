//! `mpolsim --firmware`: read the ACPI tables of an oracle recording (`table=SIG … hex=…`
//! lines of `acpi_dump`), derive the machine with [`mempolicy::firmware`], and print what
//! Linux printed about it, one line each, in the recording's own formats.
//!
//! The lines (`conformance/firmware/README.md` in the repository):
//!
//! ```text
//! # online=0-3                                   node states
//! # has_cpu=0-1
//! # has_memory=0-3
//! # node0 cpus=0 distance=10 30 20 40            per online node (no memtotal_kB)
//! # node0 fallback=0 2 1 3                       per online node
//! # wi_auto=true weights: node0=4 node1=4 …      automatic weights (Linux 7.3)
//! # node2 access1 initiators=0 read_bandwidth=…  per node and HMAT access class shown
//! L4 srat_mem node=0 pxm=0 range=0x0-0x9ffff     each enabled SRAT memory entry
//! L4 pxm pxm=0 node=0                            domains with memory, by domain
//! L4 cpu cpu=0 apicid=0 node=0                   each present CPU
//! ```
//!
//! [`derive()`] makes them from tables (for a chosen kernel release); [`expected`] picks the same lines out of a recording,
//! so that a test compares the two.

use std::fmt::Write as _;

use mempolicy::firmware::{AccessClass, AcpiTables, MovableZone, NumaLayout};
use mempolicy::machine::Machine;
use mempolicy::topology::NodePerformance;
use mempolicy::{Linux, NodeId};

/// The four tables of a recording (`None` for `table=SIG missing`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    /// SRAT bytes.
    pub srat: Option<Vec<u8>>,
    /// SLIT bytes.
    pub slit: Option<Vec<u8>>,
    /// HMAT bytes.
    pub hmat: Option<Vec<u8>>,
    /// MADT (`APIC`) bytes.
    pub madt: Option<Vec<u8>>,
}

impl Tables {
    /// Returns the slot for a table signature, or `None` for other tables.
    fn slot(&mut self, sig: &str) -> Option<&mut Option<Vec<u8>>> {
        match sig {
            "SRAT" => Some(&mut self.srat),
            "SLIT" => Some(&mut self.slit),
            "HMAT" => Some(&mut self.hmat),
            "APIC" => Some(&mut self.madt),
            _ => None,
        }
    }
}

/// Reads the `table=SIG …` lines of a recording: `hex=` lines (concatenating `part=I/K`
/// lines in order, checking `len=` and `offset=`), `missing` lines, and nothing else. Tables
/// other than SRAT, SLIT, HMAT and APIC are skipped.
///
/// # Errors
/// A message naming the line for a malformed `table=` line, a part out of order, a byte count
/// that does not match `len=`, or a table given twice.
pub fn parse_recording(text: &str) -> Result<Tables, String> {
    let mut tables = Tables::default();
    let mut seen: Vec<String> = Vec::new();
    // The table being assembled from parts: signature, declared length, bytes, next part.
    let mut partial: Option<(String, usize, Vec<u8>, usize, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let lineno = index + 1;
        let mut words = line.split_ascii_whitespace();
        let first = words.next().unwrap_or("");
        let rest: Vec<&str> = if first.starts_with('L') && !first.contains('=') {
            words.collect()
        } else {
            line.split_ascii_whitespace().collect()
        };
        let Some(sig) = rest.first().and_then(|w| w.strip_prefix("table=")) else {
            continue;
        };
        let bad = |why: &str| format!("line {lineno}: {why}");
        let value = |key: &str| {
            rest.iter()
                .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        };
        if rest.get(1) == Some(&"missing") || value("err").is_some() {
            if let Some(slot) = tables.slot(sig) {
                if seen.iter().any(|s| s == sig) {
                    return Err(bad("table given twice"));
                }
                seen.push(sig.to_string());
                *slot = None;
            }
            continue;
        }
        let len: usize = value("len")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("no len="))?;
        let hex = value("hex").ok_or_else(|| bad("no hex="))?;
        let bytes =
            decode_hex(hex).ok_or_else(|| bad("hex= is not an even number of hex digits"))?;
        let (part, parts) = match value("part") {
            None => (1, 1),
            Some(p) => {
                let (i, k) = p.split_once('/').ok_or_else(|| bad("part= is not I/K"))?;
                let i: usize = i.parse().map_err(|_| bad("part= is not I/K"))?;
                let k: usize = k.parse().map_err(|_| bad("part= is not I/K"))?;
                if i == 0 || i > k {
                    return Err(bad("part= out of range"));
                }
                (i, k)
            }
        };
        let (name, declared, mut buf, next, total) = match partial.take() {
            Some(p) => p,
            None => (sig.to_string(), len, Vec::new(), 1, parts),
        };
        if name != sig || declared != len || part != next || parts != total {
            return Err(bad("parts of a table out of order"));
        }
        if let Some(offset) = value("offset") {
            if offset.parse::<usize>().ok() != Some(buf.len()) {
                return Err(bad("offset= does not follow the previous part"));
            }
        }
        buf.extend_from_slice(&bytes);
        if part < parts {
            partial = Some((name, declared, buf, next + 1, total));
            continue;
        }
        if buf.len() != len {
            return Err(bad(&format!("{} bytes, but len={len}", buf.len())));
        }
        if let Some(slot) = tables.slot(sig) {
            if seen.iter().any(|s| s == sig) {
                return Err(bad("table given twice"));
            }
            seen.push(sig.to_string());
            *slot = Some(buf);
        }
    }
    if let Some((name, ..)) = partial {
        return Err(format!("table {name}: parts missing at the end"));
    }
    Ok(tables)
}

/// Decodes lower- or upper-case hex digits.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

/// Prints CPU numbers as Linux's `%*pbl` (`0-1,4`), `none` for none.
fn cpulist(cpus: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            let _ = write!(out, "{}-{}", cpus[i], cpus[j]);
        } else {
            let _ = write!(out, "{}", cpus[i]);
        }
        i = j + 1;
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// Derives the lines from `tables` with the crate, as kernel release `linux` prints them:
/// the machine is the crate's [`Machine`] for that release on the layout's topology, so the
/// `# wi_auto=` line (the automatic weights) is there for 7.3 and not for 6.12.
///
/// # Errors
/// The crate's error (a malformed table, with its name and byte offset), as text.
pub fn derive(tables: &Tables, linux: Linux) -> Result<Vec<String>, String> {
    let mut acpi = AcpiTables::new();
    if let Some(b) = &tables.srat {
        acpi = acpi.srat(b);
    }
    if let Some(b) = &tables.slit {
        acpi = acpi.slit(b);
    }
    if let Some(b) = &tables.hmat {
        acpi = acpi.hmat(b);
    }
    if let Some(b) = &tables.madt {
        acpi = acpi.madt(b);
    }
    let layout = NumaLayout::from_acpi(&acpi).map_err(|e| e.to_string())?;
    let topo = layout
        .topology(MovableZone::None)
        .map_err(|e| e.to_string())?;
    let machine = Machine::for_linux(linux, topo);

    let mut out = vec![
        format!("# online={}", layout.online_nodes()),
        format!("# has_cpu={}", layout.cpu_nodes()),
        format!("# has_memory={}", layout.memory_nodes()),
    ];
    let online = *layout.online_nodes();
    for node in online.iter() {
        let cpus: Vec<u32> = layout
            .cpus()
            .iter()
            .filter(|c| c.present && c.node == node)
            .map(|c| c.cpu)
            .collect();
        let distances: Vec<String> = online
            .iter()
            .map(|to| layout.distance(node, to).to_string())
            .collect();
        out.push(format!(
            "# node{node} cpus={} distance={}",
            cpulist(&cpus),
            distances.join(" ")
        ));
    }
    machine.with_zonelists(|zonelists| {
        for node in online.iter() {
            let order: Vec<String> = zonelists
                .fallback_order(node)
                .unwrap_or_default()
                .iter()
                .map(NodeId::to_string)
                .collect();
            out.push(format!("# node{node} fallback={}", order.join(" ")));
        }
    });
    if linux.has_auto_weights() {
        let weights = machine.weights();
        let snapshot = weights.snapshot();
        let mut line = format!("# wi_auto={} weights:", snapshot.is_auto());
        let last = online.last().map_or(0, |n| n.index() + 1);
        for index in 0..last {
            let node = NodeId::try_new(index as u64).map_err(|e| e.to_string())?;
            if weights.has_node_file(node) {
                let _ = write!(line, " node{index}={}", snapshot.get(node));
            } else {
                let _ = write!(line, " node{index}=missing");
            }
        }
        out.push(line);
    }
    for node in online.iter() {
        for (k, class) in [(0, AccessClass::Local), (1, AccessClass::Cpu)] {
            let Some(access) = layout.access(node, class) else {
                continue;
            };
            // The machine's topology carries the same performance (the weights come from it).
            let carried = machine.with_topology(|t| t.performance(node, class));
            let expected = access.perf.map(|coordinates| NodePerformance {
                initiators: access.initiators,
                coordinates,
            });
            if carried != expected {
                return Err(format!(
                    "node{node} access{k}: the topology carries {carried:?}, the layout {expected:?}"
                ));
            }
            // The oracle lists the initiator links one by one: "0,1,2", not "0-2".
            let initiators: Vec<String> = access.initiators.iter().map(|n| n.to_string()).collect();
            let initiators = if initiators.is_empty() {
                "none".to_string()
            } else {
                initiators.join(",")
            };
            let values = match access.perf {
                Some(p) => [
                    p.read_bandwidth,
                    p.write_bandwidth,
                    p.read_latency,
                    p.write_latency,
                ]
                .map(|v| v.to_string()),
                None => ["?", "?", "?", "?"].map(str::to_string),
            };
            out.push(format!(
                "# node{node} access{k} initiators={} read_bandwidth={} write_bandwidth={} read_latency={} write_latency={}",
                initiators,
                values[0],
                values[1],
                values[2],
                values[3]
            ));
        }
    }
    for m in layout.srat_memory() {
        out.push(format!(
            "L4 srat_mem node={} pxm={} range={:#x}-{:#x}{}{}",
            m.node,
            m.domain,
            m.start,
            m.last,
            if m.hotplug { " hotplug" } else { "" },
            if m.non_volatile { " non-volatile" } else { "" }
        ));
    }
    let mut pxm_lines: Vec<(u32, NodeId)> = Vec::new();
    // The oracle keeps domains below 1024.
    for m in layout.srat_memory().iter().filter(|m| m.domain < 1024) {
        match pxm_lines.iter_mut().find(|(p, _)| *p == m.domain) {
            Some(slot) => slot.1 = m.node,
            None => pxm_lines.push((m.domain, m.node)),
        }
    }
    pxm_lines.sort_by_key(|(p, _)| *p);
    for (pxm, node) in pxm_lines {
        out.push(format!("L4 pxm pxm={pxm} node={node}"));
    }
    for cpu in layout.cpus().iter().filter(|c| c.present) {
        out.push(format!(
            "L4 cpu cpu={} apicid={} node={}",
            cpu.cpu, cpu.apic_id, cpu.node
        ));
    }
    Ok(out)
}

/// Returns the lines of a recording that [`derive()`] reproduces, in the recording's order,
/// with ` memtotal_kB=…` cut from the `# nodeN cpus=` lines.
pub fn expected(text: &str) -> Vec<String> {
    let header = |l: &str| {
        l.starts_with("# online=")
            || l.starts_with("# has_cpu=")
            || l.starts_with("# has_memory=")
            || l.starts_with("# wi_auto=")
            || (l.starts_with("# node")
                && (l.contains(" cpus=") || l.contains(" fallback=") || l.contains(" access")))
    };
    text.lines()
        .filter(|l| {
            header(l)
                || l.starts_with("L4 srat_mem ")
                || l.starts_with("L4 pxm ")
                || l.starts_with("L4 cpu ")
        })
        .map(|l| match l.find(" memtotal_kB=") {
            Some(at) if l.starts_with("# node") => l[..at].to_string(),
            _ => l.to_string(),
        })
        .collect()
}

/// `mpolsim --firmware`: the lines of the recording `text` derived for release `linux`,
/// newline-terminated.
///
/// # Errors
/// A message for a malformed recording or table.
pub fn run(text: &str, linux: Linux) -> Result<String, String> {
    let tables = parse_recording(text)?;
    if tables.srat.is_none() && tables.madt.is_none() {
        return Err("no SRAT or APIC table= line in the input".to_string());
    }
    let mut out = String::new();
    for line in derive(&tables, linux)? {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists_print_as_linux() {
        assert_eq!(cpulist(&[]), "none");
        assert_eq!(cpulist(&[0]), "0");
        assert_eq!(cpulist(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
    }

    #[test]
    fn parts_are_joined_in_order() {
        let text = "L3 table=SLIT len=3 part=1/2 offset=0 hex=0102\nL3 table=SLIT len=3 part=2/2 offset=2 hex=ff\nL3 table=HMAT missing\n";
        let t = parse_recording(text).unwrap();
        assert_eq!(t.slit, Some(vec![1, 2, 0xff]));
        assert_eq!(t.hmat, None);
        let swapped = "L3 table=SLIT len=3 part=2/2 offset=2 hex=ff\n";
        assert!(parse_recording(swapped).is_err());
        assert!(parse_recording("L3 table=SLIT len=2 hex=0102ff\n").is_err());
        assert!(parse_recording("L3 table=SLIT len=1 hex=0\n").is_err());
    }
}

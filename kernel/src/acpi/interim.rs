//! A minimal reading of the MADT and the SRAT, enough to start the CPUs and to split the
//! frame pools by node.
//!
//! INTEGRATION(firmware): this module is a stand-in. Once `mempolicy::firmware` parses the
//! SRAT, SLIT, HMAT and MADT, [`crate::layout::Layout`] is built from its result instead and
//! this file goes away. It follows the same rules for what it reads:
//!
//! * MADT (ACPI 6.5 §5.2.12): after the 44-byte head, entries of `type, length`; type 0 is a
//!   processor local APIC (`apic_id` at 3, flags at 4, bit 0 = enabled), type 9 a processor
//!   local x2APIC (`x2apic_id` at 4, flags at 8).
//! * SRAT (§5.2.16): after the 48-byte head, type 0 is a processor affinity (domain bits 0-7
//!   at 2, `apic_id` at 3, flags at 4, domain bits 8-31 at 9), type 1 a memory affinity
//!   (domain at 2, base at 8, length at 16, flags at 28), type 2 an x2APIC affinity (domain
//!   at 4, `x2apic_id` at 8, flags at 12). Bit 0 of the flags says "enabled".
//! * Node numbers are given the way Linux gives them: proximity domains in the order they
//!   first appear, processor entries before memory entries.

use crate::phys::{u32_at, u64_at, u8_at, PhysRange};
use alloc::vec::Vec;

/// One processor entry of the MADT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MadtCpu {
    /// Its local APIC id.
    pub apic_id: u32,
    /// Whether the firmware says it is usable now (flag bit 0).
    pub enabled: bool,
}

/// The processor entries of a MADT, in table order.
pub fn madt_cpus(madt: &[u8]) -> Vec<MadtCpu> {
    let mut cpus = Vec::new();
    for (kind, entry) in entries(madt, 44) {
        let (id, flags) = match kind {
            0 => (u8_at(entry, 3).map(u32::from), u32_at(entry, 4)),
            9 => (u32_at(entry, 4), u32_at(entry, 8)),
            _ => continue,
        };
        if let (Some(apic_id), Some(flags)) = (id, flags) {
            cpus.push(MadtCpu {
                apic_id,
                enabled: flags & 1 != 0,
            });
        }
    }
    cpus
}

/// What the SRAT says about nodes, with Linux's node numbers.
#[derive(Clone, Debug, Default)]
pub struct SratNodes {
    /// `(apic_id, node)` of every enabled processor entry.
    pub cpus: Vec<(u32, u32)>,
    /// `(node, range)` of every enabled memory entry.
    pub memory: Vec<(u32, PhysRange)>,
    /// How many node numbers were given out.
    pub count: u32,
}

/// The enabled processor and memory entries of a SRAT.
pub fn srat_nodes(srat: &[u8]) -> SratNodes {
    let mut domains: Vec<u32> = Vec::new();
    let mut node_of = |domain: u32| match domains.iter().position(|&d| d == domain) {
        Some(node) => node as u32,
        None => {
            domains.push(domain);
            domains.len() as u32 - 1
        }
    };
    let mut nodes = SratNodes::default();
    // First pass: processors (their domains get the first node numbers).
    for (kind, entry) in entries(srat, 48) {
        let parsed = match kind {
            0 => processor_affinity(entry),
            2 => x2apic_affinity(entry),
            _ => None,
        };
        if let Some((domain, apic_id, flags)) = parsed {
            if flags & 1 != 0 {
                nodes.cpus.push((apic_id, node_of(domain)));
            }
        }
    }
    // Second pass: memory.
    for (kind, entry) in entries(srat, 48) {
        if kind != 1 {
            continue;
        }
        if let (Some(domain), Some(base), Some(len), Some(flags)) = (
            u32_at(entry, 2),
            u64_at(entry, 8),
            u64_at(entry, 16),
            u32_at(entry, 28),
        ) {
            if flags & 1 != 0 && len != 0 {
                nodes
                    .memory
                    .push((node_of(domain), PhysRange::sized(base, len)));
            }
        }
    }
    nodes.count = domains.len() as u32;
    nodes
}

/// `(domain, apic_id, flags)` of a processor local APIC affinity entry.
fn processor_affinity(entry: &[u8]) -> Option<(u32, u32, u32)> {
    let low = u32::from(u8_at(entry, 2)?);
    let high = u32::from(u8_at(entry, 9)?)
        | u32::from(u8_at(entry, 10)?) << 8
        | u32::from(u8_at(entry, 11)?) << 16;
    Some((
        low | high << 8,
        u32::from(u8_at(entry, 3)?),
        u32_at(entry, 4)?,
    ))
}

/// `(domain, x2apic_id, flags)` of a processor local x2APIC affinity entry.
fn x2apic_affinity(entry: &[u8]) -> Option<(u32, u32, u32)> {
    Some((u32_at(entry, 4)?, u32_at(entry, 8)?, u32_at(entry, 12)?))
}

/// The `(type, bytes)` of each entry after the first `skip` bytes; stops at a malformed one.
fn entries(table: &[u8], skip: usize) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = skip;
    core::iter::from_fn(move || {
        let kind = u8_at(table, at)?;
        let len = usize::from(u8_at(table, at + 1)?);
        let entry = table.get(at..at + len).filter(|_| len >= 2)?;
        at += len;
        Some((kind, entry))
    })
}

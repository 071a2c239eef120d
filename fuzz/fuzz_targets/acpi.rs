//! The ACPI parsers (`firmware::{Srat, Slit, Hmat, Madt}`) and `NumaLayout` on arbitrary
//! bytes: no panic; every error names one of the given tables and an offset inside it (at
//! most its length); a layout that builds is consistent, always gives a topology, zonelists
//! and weights, and is the same when built twice.
//!
//! Input: a flags byte, then for each table the flags select (SRAT, SLIT, HMAT, MADT) a
//! little-endian `u16` length and that many bytes (cut short at the end of the input), then
//! optionally a boot APIC id (`u32`) and RAM ranges (`u64` pairs). With flag bit 4 each table
//! gets its signature, length field and checksum fixed up, so that mutations reach the
//! entries instead of failing the header check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mempolicy::firmware::{
    AcpiTables, Hmat, HmatEntry, Madt, MovableZone, NumaLayout, PhysRange, Slit, Srat, Table,
};
use mempolicy::weights::WeightTable;
use mempolicy::zonelist::Zonelists;
use mempolicy::{Error, NodeId};

const TABLES: [Table; 4] = [Table::Srat, Table::Slit, Table::Hmat, Table::Madt];

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u16(&mut self) -> usize {
        let b = self.take(2);
        usize::from(*b.first().unwrap_or(&0)) | usize::from(*b.get(1).unwrap_or(&0)) << 8
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8);
        (b.len() == 8).then(|| u64::from_le_bytes(b.try_into().unwrap()))
    }
}

/// Writes `table`'s signature, the length and a zero checksum into `bytes`.
fn fix_up(table: Table, bytes: &mut [u8]) {
    if bytes.len() < 10 {
        return;
    }
    bytes[..4].copy_from_slice(&table.signature());
    let len = bytes.len() as u32;
    bytes[4..8].copy_from_slice(&len.to_le_bytes());
    bytes[9] = 0;
    let sum = bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    bytes[9] = 0u8.wrapping_sub(sum);
}

fn check_error(e: Error, given: &[(Table, &[u8])]) {
    match e {
        Error::FirmwareTable {
            table,
            offset,
            what,
        } => {
            let Some((_, bytes)) = given.iter().find(|(t, _)| *t == table) else {
                panic!("error names a table that was not given: {e:?}");
            };
            assert!(offset <= bytes.len(), "offset outside the table: {e:?}");
            assert!(!what.is_empty());
        }
        other => panic!("unexpected error kind: {other:?}"),
    }
}

fn parsers(table: Table, bytes: &[u8]) {
    let given = [(table, bytes)];
    let result = match table {
        Table::Srat => Srat::parse(bytes).map(|s| {
            let n = s.entries().count();
            assert!(s.entries().all(|e| e.offset() >= Table::Srat.fixed_len()));
            assert!(n <= bytes.len());
        }),
        Table::Slit => Slit::parse(bytes).map(|s| {
            let n = s.localities().min(64);
            for i in 0..n {
                for j in 0..n {
                    assert!(s.distance(i, j).is_some());
                }
            }
            let _ = s.first_invalid();
        }),
        Table::Hmat => Hmat::parse(bytes).map(|h| {
            for entry in h.entries() {
                if let HmatEntry::Locality(l) = entry {
                    let (ni, nt) = (l.initiator_count().min(32), l.target_count().min(32));
                    assert_eq!(l.initiators().take(ni).count(), ni);
                    for i in 0..ni {
                        for t in 0..nt {
                            let _ = l.value(i, t, h.revision());
                        }
                    }
                }
            }
        }),
        Table::Madt => Madt::parse(bytes).map(|m| {
            let _ = m.processors().count();
        }),
    };
    if let Err(e) = result {
        check_error(e, &given);
    }
}

fn check_layout(l: &NumaLayout) {
    assert!(l.online_nodes().is_subset(l.possible_nodes()));
    assert!(l.cpu_nodes().is_subset(l.online_nodes()));
    assert!(l.memory_nodes().is_subset(l.online_nodes()));
    for (i, cpu) in l.cpus().iter().enumerate() {
        assert_eq!(cpu.cpu as usize, i);
        assert!(l.online_nodes().contains(cpu.node));
    }
    assert!(l.cpus().first().is_some_and(|c| c.present));
    for movable in [MovableZone::None, MovableZone::Hotpluggable] {
        let topo = l
            .topology(movable)
            .expect("a layout always gives a topology");
        assert_eq!(topo.online_nodes(), l.online_nodes());
        assert_eq!(topo.memory_nodes(), l.memory_nodes());
        for node in l.memory_nodes().iter() {
            let pages: u64 = l.zone_pages(node, movable).iter().sum();
            let want: u64 = l
                .memory()
                .iter()
                .filter(|m| m.node == node)
                .map(|m| (m.range.end / 4096).saturating_sub(m.range.start.div_ceil(4096)))
                .sum();
            assert_eq!(pages, want);
        }
        let lists = Zonelists::build(&topo);
        for node in l.online_nodes().iter() {
            assert!(lists.fallback_order(node).is_some());
        }
        let weights = WeightTable::new(*topo.memory_nodes());
        l.feed_weights(&weights).expect("feeding weights");
        let snapshot = weights.snapshot();
        for node in l.memory_nodes().iter() {
            assert!(snapshot.get(node) >= 1);
        }
    }
    for node in l.possible_nodes().iter() {
        assert_eq!(l.distance(node, node), 10);
        for other in l.possible_nodes().iter().filter(|o| *o != node) {
            assert!(l.distance(node, other) > 10);
        }
    }
    let _ = l.distance(NodeId::new(0), NodeId::new(mempolicy::MAX_NUMNODES - 1));
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.take(1).first().copied().unwrap_or(0);
    let mut owned: Vec<(Table, Vec<u8>)> = Vec::new();
    for (bit, table) in TABLES.iter().enumerate() {
        if flags & (1 << bit) == 0 {
            continue;
        }
        let len = input.u16();
        let mut bytes = input.take(len).to_vec();
        if flags & 0x10 != 0 {
            fix_up(*table, &mut bytes);
        }
        owned.push((*table, bytes));
    }
    let boot = (flags & 0x20 != 0).then(|| input.u16() as u32);
    let mut ram = Vec::new();
    if flags & 0x40 != 0 {
        while let (Some(start), Some(len)) = (input.u64(), input.u64()) {
            ram.push(PhysRange {
                start,
                end: start.saturating_add(len % (1 << 40)),
            });
            if ram.len() == 8 {
                break;
            }
        }
    }
    let given: Vec<(Table, &[u8])> = owned.iter().map(|(t, b)| (*t, b.as_slice())).collect();
    for (table, bytes) in &given {
        parsers(*table, bytes);
    }

    let mut tables = AcpiTables::new();
    for (table, bytes) in &given {
        tables = match table {
            Table::Srat => tables.srat(bytes),
            Table::Slit => tables.slit(bytes),
            Table::Hmat => tables.hmat(bytes),
            Table::Madt => tables.madt(bytes),
        };
    }
    if let Some(boot) = boot {
        tables = tables.boot_apic_id(boot);
    }
    if flags & 0x40 != 0 {
        tables = tables.usable_ram(&ram);
    }
    match NumaLayout::from_acpi(&tables) {
        Ok(layout) => {
            check_layout(&layout);
            assert_eq!(NumaLayout::from_acpi(&tables), Ok(layout));
        }
        Err(e) => check_error(e, &given),
    }
    match NumaLayout::single_node(&tables) {
        Ok(layout) => check_layout(&layout),
        Err(e) => check_error(e, &given),
    }
});

//! Malformed and unusual ACPI tables: each gives the exact error (table and byte offset) or
//! Linux's fallback, never a panic. Tables are built byte by byte here.

use mempolicy::firmware::{
    AccessClass, AcpiTables, MovableZone, NumaLayout, NumaSource, PhysRange, Slit, Srat, SratEntry,
    Table, TableUse, MAX_PXM_DOMAINS,
};
use mempolicy::gfp::ZoneType;
use mempolicy::weights::WeightTable;
use mempolicy::{errno, Error, NodeId, MAX_NUMNODES};

/// A table under construction: signature, revision, the bytes after the header.
struct T {
    sig: [u8; 4],
    revision: u8,
    body: Vec<u8>,
}

impl T {
    fn new(sig: &[u8; 4], revision: u8, fixed: usize) -> Self {
        T {
            sig: *sig,
            revision,
            body: vec![0; fixed - 36],
        }
    }
    fn srat() -> Self {
        let mut t = T::new(b"SRAT", 3, 48);
        t.body[0] = 1; // the reserved "1 for backward compatibility"
        t
    }
    fn srat_rev(revision: u8) -> Self {
        T {
            revision,
            ..T::srat()
        }
    }
    fn madt() -> Self {
        T::new(b"APIC", 1, 44)
    }
    fn hmat() -> Self {
        T::new(b"HMAT", 2, 40)
    }
    fn slit(n: usize, cells: &[u8]) -> Self {
        let mut t = T::new(b"SLIT", 1, 44);
        t.body[..8].copy_from_slice(&(n as u64).to_le_bytes());
        t.body.extend_from_slice(cells);
        t
    }
    /// Returns the offset the next entry will have.
    fn next(&self) -> usize {
        36 + self.body.len()
    }
    fn raw(&mut self, bytes: &[u8]) -> usize {
        let at = self.next();
        self.body.extend_from_slice(bytes);
        at
    }
    fn lapic_affinity(&mut self, pxm: u32, apic: u8, enabled: bool) -> usize {
        let mut e = vec![0u8; 16];
        e[0] = 0;
        e[1] = 16;
        e[2] = pxm as u8;
        e[3] = apic;
        e[4] = enabled as u8;
        e[9..12].copy_from_slice(&pxm.to_le_bytes()[1..4]);
        self.raw(&e)
    }
    fn x2apic_affinity(&mut self, pxm: u32, apic: u32, enabled: bool) -> usize {
        let mut e = vec![0u8; 24];
        e[0] = 2;
        e[1] = 24;
        e[4..8].copy_from_slice(&pxm.to_le_bytes());
        e[8..12].copy_from_slice(&apic.to_le_bytes());
        e[12] = enabled as u8;
        self.raw(&e)
    }
    fn memory(&mut self, pxm: u32, base: u64, len: u64, flags: u32) -> usize {
        let mut e = vec![0u8; 40];
        e[0] = 1;
        e[1] = 40;
        e[2..6].copy_from_slice(&pxm.to_le_bytes());
        e[8..16].copy_from_slice(&base.to_le_bytes());
        e[16..24].copy_from_slice(&len.to_le_bytes());
        e[28..32].copy_from_slice(&flags.to_le_bytes());
        self.raw(&e)
    }
    fn generic_initiator(&mut self, pxm: u32, enabled: bool) -> usize {
        let mut e = vec![0u8; 32];
        e[0] = 5;
        e[1] = 32;
        e[4..8].copy_from_slice(&pxm.to_le_bytes());
        e[24] = enabled as u8;
        self.raw(&e)
    }
    fn madt_lapic(&mut self, apic: u8, flags: u32) -> usize {
        let mut e = vec![0u8, 8, apic, apic, 0, 0, 0, 0];
        e[4..8].copy_from_slice(&flags.to_le_bytes());
        self.raw(&e)
    }
    fn madt_x2apic(&mut self, apic: u32, flags: u32) -> usize {
        let mut e = vec![0u8; 16];
        e[0] = 9;
        e[1] = 16;
        e[4..8].copy_from_slice(&apic.to_le_bytes());
        e[8..12].copy_from_slice(&flags.to_le_bytes());
        e[12..16].copy_from_slice(&apic.to_le_bytes());
        self.raw(&e)
    }
    fn hmat_proximity(&mut self, flags: u16, processor: u32, memory: u32) -> usize {
        let mut e = vec![0u8; 40];
        e[4..8].copy_from_slice(&40u32.to_le_bytes());
        e[8..10].copy_from_slice(&flags.to_le_bytes());
        e[12..16].copy_from_slice(&processor.to_le_bytes());
        e[16..20].copy_from_slice(&memory.to_le_bytes());
        self.raw(&e)
    }
    /// A memory-hierarchy locality entry with the same raw value for every initiator.
    fn hmat_locality(
        &mut self,
        data_type: u8,
        base: u64,
        inits: &[u32],
        targs: &[(u32, u16)],
    ) -> usize {
        let mut e = vec![0u8; 32];
        e[0] = 1;
        e[9] = data_type;
        e[12..16].copy_from_slice(&(inits.len() as u32).to_le_bytes());
        e[16..20].copy_from_slice(&(targs.len() as u32).to_le_bytes());
        e[24..32].copy_from_slice(&base.to_le_bytes());
        inits
            .iter()
            .for_each(|i| e.extend_from_slice(&i.to_le_bytes()));
        targs
            .iter()
            .for_each(|t| e.extend_from_slice(&t.0.to_le_bytes()));
        for _ in inits {
            targs
                .iter()
                .for_each(|t| e.extend_from_slice(&t.1.to_le_bytes()));
        }
        let len = e.len() as u32;
        e[4..8].copy_from_slice(&len.to_le_bytes());
        self.raw(&e)
    }
    /// The finished table: length and checksum filled in.
    fn build(&self) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&self.sig);
        t.extend_from_slice(&((36 + self.body.len()) as u32).to_le_bytes());
        t.push(self.revision);
        t.push(0);
        t.extend_from_slice(b"BOCHS BXPC    \x01\0\0\0BXPC\x01\0\0\0");
        t.extend_from_slice(&self.body);
        fix_checksum(&mut t);
        t
    }
}

fn fix_checksum(t: &mut [u8]) {
    t[9] = 0;
    let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
}

const MIB: u64 = 1 << 20;
const ENABLED: u32 = 1;
const HOTPLUG: u32 = 2;

/// Two nodes with a CPU and 256 MiB each, as QEMU builds them.
fn two_nodes() -> (T, T) {
    let mut srat = T::srat();
    srat.lapic_affinity(0, 0, true);
    srat.lapic_affinity(1, 1, true);
    srat.memory(0, 0, 256 * MIB, ENABLED);
    srat.memory(1, 256 * MIB, 256 * MIB, ENABLED);
    let mut madt = T::madt();
    madt.madt_lapic(0, 1);
    madt.madt_lapic(1, 1);
    (srat, madt)
}

fn layout(srat: &[u8], madt: &[u8]) -> Result<NumaLayout, Error> {
    NumaLayout::from_acpi(&AcpiTables::new().srat(srat).madt(madt))
}

fn fault(e: Error) -> (Table, usize) {
    match e {
        Error::FirmwareTable { table, offset, .. } => (table, offset),
        other => panic!("not a table fault: {other:?}"),
    }
}

#[test]
fn header_faults_name_the_table_and_offset_for_every_table() {
    let (srat, madt) = two_nodes();
    let srat = srat.build();
    let madt = madt.build();
    let slit = T::slit(2, &[10, 20, 20, 10]).build();
    let hmat = T::hmat().build();
    for (table, bytes) in [
        (Table::Srat, &srat),
        (Table::Madt, &madt),
        (Table::Slit, &slit),
        (Table::Hmat, &hmat),
    ] {
        fn tables<'a>(table: Table, base: AcpiTables<'a>, b: &'a [u8]) -> AcpiTables<'a> {
            match table {
                Table::Srat => base.srat(b),
                Table::Madt => base.madt(b),
                Table::Slit => base.slit(b),
                Table::Hmat => base.hmat(b),
            }
        }
        let base = AcpiTables::new().srat(&srat).madt(&madt);
        let check = |b: &[u8], offset: usize| {
            let e = NumaLayout::from_acpi(&tables(table, base, b)).unwrap_err();
            assert_eq!(fault(e), (table, offset), "{table:?}");
            assert_eq!(e.errno(), errno::EINVAL);
        };
        // Truncated below the header, cut short of the length field.
        check(&bytes[..20], 20);
        check(&bytes[..bytes.len() - 1], bytes.len() - 1);
        // Wrong signature, bad checksum, length field below the fixed part.
        let mut b = bytes.clone();
        b[0] ^= 0x20;
        check(&b, 0);
        let mut b = bytes.clone();
        b[10] ^= 1;
        check(&b, 9);
        let mut b = bytes.clone();
        b[4..8].copy_from_slice(&35u32.to_le_bytes());
        fix_checksum(&mut b);
        check(&b, 4);
        // A whole mapped page is fine: bytes past the length are ignored.
        let mut b = bytes.clone();
        b.resize(4096, 0xa5);
        assert!(
            NumaLayout::from_acpi(&tables(table, base, &b)).is_ok(),
            "{table:?}"
        );
    }
}

#[test]
fn entries_that_overrun_or_have_length_zero_are_errors_except_in_hmat() {
    let (mut srat, madt) = two_nodes();
    let at = srat.raw(&[1, 40, 0, 0]);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, at));

    let (mut srat, madt) = two_nodes();
    let at = srat.raw(&[1, 0, 0, 0]);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, at));

    let (srat, mut madt) = two_nodes();
    let at = madt.raw(&[4, 0, 0, 0]);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Madt, at));

    // Up to a header's worth of trailing bytes is ignored, as Linux's walk does.
    let (mut srat, mut madt) = two_nodes();
    srat.raw(&[1, 40]);
    madt.raw(&[0]);
    assert!(layout(&srat.build(), &madt.build()).is_ok());

    // HMAT: Linux ignores the whole table.
    let (srat, madt) = two_nodes();
    let mut hmat = T::hmat();
    hmat.hmat_proximity(1, 0, 0);
    let at = hmat.raw(&[1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let hmat = hmat.build();
    let (srat, madt) = (srat.build(), madt.build());
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).hmat(&hmat)).unwrap();
    match l.hmat_use() {
        TableUse::Ignored(e) => assert_eq!(fault(e), (Table::Hmat, at)),
        other => panic!("{other:?}"),
    }
    assert!(l.access(NodeId::new(0), AccessClass::Local).is_none());
}

#[test]
fn counts_that_overflow_do_not_read_past_the_table() {
    // A SLIT whose count squared overflows, or does not fit, is refused at the count.
    for count in [u64::MAX, 1 << 32, 3] {
        let mut slit = T::slit(2, &[10, 20, 20, 10]);
        slit.body[..8].copy_from_slice(&count.to_le_bytes());
        let e = Slit::parse(&slit.build()).unwrap_err();
        assert_eq!(fault(e), (Table::Slit, 36), "{count}");
    }
    // Extra bytes after the matrix are ignored.
    let slit = T::slit(2, &[10, 20, 20, 10, 99, 99]).build();
    assert_eq!(Slit::parse(&slit).unwrap().distance(1, 0), Some(20));

    // An HMAT locality entry whose domain counts overflow: the HMAT is ignored.
    let (srat, madt) = two_nodes();
    let mut hmat = T::hmat();
    let at = hmat.hmat_locality(3, 1, &[0], &[(0, 100)]);
    let cell = at - 36;
    for (ni, nt) in [(u32::MAX, u32::MAX), (0x8000_0000, 2), (5, 5)] {
        hmat.body[cell + 12..cell + 16].copy_from_slice(&ni.to_le_bytes());
        hmat.body[cell + 16..cell + 20].copy_from_slice(&nt.to_le_bytes());
        let (s, m, h) = (srat.build(), madt.build(), hmat.build());
        let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&s).madt(&m).hmat(&h)).unwrap();
        match l.hmat_use() {
            TableUse::Ignored(e) => assert_eq!(fault(e), (Table::Hmat, at)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn out_of_range_proximity_domains_are_refused_like_bad_srat() {
    let (mut srat, madt) = two_nodes();
    let at = srat.memory(MAX_PXM_DOMAINS as u32, 512 * MIB, MIB, ENABLED);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, at));

    // A processor entry too: x2APIC domains are 32 bits.
    let (mut srat, madt) = two_nodes();
    let at = srat.x2apic_affinity(u32::MAX, 7, true);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, at));

    // More domains than nodes.
    let mut srat = T::srat();
    let mut last = 0;
    for pxm in 0..=MAX_NUMNODES as u32 {
        last = srat.memory(pxm, u64::from(pxm) * MIB, MIB, ENABLED);
    }
    let e = layout(&srat.build(), &T::madt().build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, last));

    // Before SRAT revision 2 only the low byte of a memory domain counts.
    let mut srat = T::srat_rev(1);
    srat.memory(0x0105, 0, 256 * MIB, ENABLED);
    let l = layout(&srat.build(), &T::madt().build()).unwrap();
    assert_eq!(l.pxm_map(), &[(5, NodeId::new(0))]);
    assert_eq!(l.srat_memory()[0].domain, 5);
}

#[test]
fn overlapping_memory_of_two_nodes_is_an_error_and_of_one_node_is_merged() {
    let (mut srat, madt) = two_nodes();
    let at = srat.memory(0, 200 * MIB, 100 * MIB, ENABLED);
    let e = layout(&srat.build(), &madt.build()).unwrap_err();
    assert_eq!(fault(e), (Table::Srat, at));

    let (mut srat, madt) = two_nodes();
    srat.memory(0, 100 * MIB, 100 * MIB, ENABLED);
    let l = layout(&srat.build(), &madt.build()).unwrap();
    assert_eq!(l.node_ranges().len(), 2);
    assert_eq!(
        l.node_ranges()[0].range,
        PhysRange {
            start: 0,
            end: 256 * MIB
        }
    );
}

#[test]
fn a_bad_slit_falls_back_to_10_and_20() {
    let (srat, madt) = two_nodes();
    let (srat, madt) = (srat.build(), madt.build());
    for (cells, bad) in [
        ([10, 10, 21, 10], 45),
        ([11, 21, 21, 10], 44),
        ([10, 21, 21, 9], 47),
    ] {
        let slit = T::slit(2, &cells).build();
        let l =
            NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).slit(&slit)).unwrap();
        match l.slit_use() {
            TableUse::Ignored(e) => assert_eq!(fault(e), (Table::Slit, bad)),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.distance(NodeId::new(0), NodeId::new(1)), 20);
        assert_eq!(l.distance(NodeId::new(1), NodeId::new(1)), 10);
    }
    let slit = T::slit(2, &[10, 21, 31, 10]).build();
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).slit(&slit)).unwrap();
    assert_eq!(l.slit_use(), TableUse::Used);
    assert_eq!(l.distance(NodeId::new(1), NodeId::new(0)), 31);
    // A SLIT smaller than the node count leaves the rest at 10/20.
    let mut srat3 = T::srat();
    for pxm in 0..3 {
        srat3.memory(pxm, u64::from(pxm) * 256 * MIB, 256 * MIB, ENABLED);
    }
    let srat3 = srat3.build();
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat3).madt(&madt).slit(&slit)).unwrap();
    assert_eq!(l.distance(NodeId::new(0), NodeId::new(1)), 21);
    assert_eq!(l.distance(NodeId::new(0), NodeId::new(2)), 20);
}

#[test]
fn disabled_and_empty_memory_entries_are_skipped_as_linux_skips_them() {
    let (mut srat, madt) = two_nodes();
    srat.memory(0, 0, 0, 0); // QEMU's padding
    srat.memory(7, 1 << 40, MIB, 0); // disabled: maps nothing
    srat.memory(9, 1 << 40, 0, ENABLED); // enabled but empty: maps its domain
    srat.memory(8, u64::MAX - MIB, 2 * MIB, ENABLED); // wraps: dropped, but maps
    let l = layout(&srat.build(), &madt.build()).unwrap();
    assert_eq!(l.srat_memory().len(), 4);
    assert_eq!(l.srat_memory()[2].last, (1 << 40) - 1);
    assert_eq!(l.pxm_to_node(9), Some(NodeId::new(2)));
    assert_eq!(l.pxm_to_node(8), Some(NodeId::new(3)));
    assert_eq!(l.pxm_to_node(7), None);
    assert_eq!(l.possible_nodes().to_string(), "0-3");
    assert_eq!(l.online_nodes().to_string(), "0-1");
    assert_eq!(l.memory_nodes().to_string(), "0-1");
}

#[test]
fn wrong_sized_processor_and_memory_entries_are_refused() {
    let (mut srat, madt) = two_nodes();
    let at = srat.raw(&[0, 17, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        fault(layout(&srat.build(), &madt.build()).unwrap_err()),
        (Table::Srat, at)
    );
    let (mut srat, madt) = two_nodes();
    let mut short = vec![0u8; 30];
    short[0] = 1;
    short[1] = 30;
    let at = srat.raw(&short);
    assert_eq!(
        fault(layout(&srat.build(), &madt.build()).unwrap_err()),
        (Table::Srat, at)
    );
    let (srat, mut madt) = two_nodes();
    let at = madt.raw(&[9, 12, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(
        fault(layout(&srat.build(), &madt.build()).unwrap_err()),
        (Table::Madt, at)
    );
}

#[test]
fn nodes_are_numbered_in_srat_order_cpus_first() {
    // Domains 7 (CPU), 3 (CPU), 5 (memory only), then 3 and 7 get memory.
    let mut srat = T::srat();
    srat.lapic_affinity(7, 0, true);
    srat.x2apic_affinity(3, 1, true);
    srat.memory(5, 0, 256 * MIB, ENABLED);
    srat.memory(3, 256 * MIB, 256 * MIB, ENABLED);
    srat.memory(7, 512 * MIB, 256 * MIB, ENABLED | HOTPLUG);
    let mut madt = T::madt();
    madt.madt_lapic(0, 1);
    madt.madt_lapic(1, 1);
    let l = layout(&srat.build(), &madt.build()).unwrap();
    assert_eq!(
        l.pxm_map(),
        &[
            (3, NodeId::new(1)),
            (5, NodeId::new(2)),
            (7, NodeId::new(0))
        ]
    );
    assert_eq!(l.cpus()[1].node, NodeId::new(1));
    assert!(l.srat_memory()[2].hotplug);
}

#[test]
fn a_disabled_generic_initiator_ends_the_processor_pass() {
    let mut srat = T::srat();
    srat.lapic_affinity(0, 0, true);
    srat.generic_initiator(2, true);
    srat.generic_initiator(9, false);
    srat.lapic_affinity(1, 1, true); // never read
    srat.memory(0, 0, 256 * MIB, ENABLED);
    srat.memory(1, 256 * MIB, 256 * MIB, ENABLED);
    let mut madt = T::madt();
    madt.madt_lapic(0, 1);
    madt.madt_lapic(1, 1);
    let l = layout(&srat.build(), &madt.build()).unwrap();
    // Domain 2 is node 1 (a generic initiator: online without CPUs or memory); domain 1 is
    // met only in the memory pass and becomes node 2.
    assert_eq!(l.pxm_to_node(2), Some(NodeId::new(1)));
    assert_eq!(l.pxm_to_node(1), Some(NodeId::new(2)));
    assert_eq!(l.generic_initiator_nodes().to_string(), "1");
    assert_eq!(l.online_nodes().to_string(), "0-2");
    // CPU 1 has no SRAT node: round robin over the memory nodes (0, 2) gives it node 2.
    assert_eq!(l.cpus()[1].node, NodeId::new(2));
}

#[test]
fn madt_order_gives_the_cpu_numbers_boot_cpu_first() {
    let (srat, _) = two_nodes();
    let mut madt = T::madt();
    madt.madt_lapic(1, 1);
    madt.madt_lapic(0, 1);
    madt.madt_lapic(5, 0); // disabled, revision 1: not a CPU
    madt.madt_lapic(0xff, 1); // no processor
    madt.madt_x2apic(3, 1); // below 0xff while local APICs exist: skipped
    madt.madt_x2apic(0x100, 1);
    let (srat, madt) = (srat.build(), madt.build());
    let l =
        NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).boot_apic_id(1)).unwrap();
    let apics: Vec<u32> = l.cpus().iter().map(|c| c.apic_id).collect();
    assert_eq!(apics, [1, 0, 0x100]);
    assert!(l.cpus().iter().all(|c| c.present));
    // APIC 0x100 has no SRAT node: CPU 2 gets the memory nodes in turn, node 0.
    assert_eq!(l.cpus()[2].node, NodeId::new(0));
    // Linux takes a boot CPU that is not the first enumerated for a crash kernel and leaves
    // the first one out.
    let l =
        NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).boot_apic_id(0)).unwrap();
    let apics: Vec<u32> = l.cpus().iter().map(|c| c.apic_id).collect();
    assert_eq!(apics, [0, 0x100]);
}

#[test]
fn online_capable_slots_are_possible_cpus_after_the_present_ones() {
    let (srat, _) = two_nodes();
    let mut madt = T::madt();
    madt.revision = 5;
    madt.madt_lapic(0, 1);
    madt.madt_lapic(9, 2);
    madt.madt_lapic(4, 2);
    madt.madt_lapic(1, 1);
    madt.madt_lapic(6, 0);
    let l = layout(&srat.build(), &madt.build()).unwrap();
    let cpus: Vec<(u32, bool)> = l.cpus().iter().map(|c| (c.apic_id, c.present)).collect();
    assert_eq!(cpus, [(0, true), (1, true), (4, false), (9, false)]);
    // Hot-plug slots have no APIC id yet when Linux places CPUs: round robin by number.
    let nodes: Vec<usize> = l.cpus().iter().map(|c| c.node.index()).collect();
    assert_eq!(nodes, [0, 1, 0, 1]);
    let topo = l.topology(MovableZone::None).unwrap();
    assert_eq!(topo.nr_cpu_ids(), 2);
}

#[test]
fn without_srat_memory_or_ram_coverage_linux_boots_one_node() {
    let (_, madt) = two_nodes();
    let madt = madt.build();
    let mut srat = T::srat();
    srat.lapic_affinity(0, 0, true);
    srat.memory(1, 0, 256 * MIB, 0);
    let srat = srat.build();
    let l = layout(&srat, &madt).unwrap();
    assert_eq!(l.source(), NumaSource::NoSratMemory);
    assert_eq!(l.online_nodes().to_string(), "0");
    assert!(l.cpus().iter().all(|c| c.node == NodeId::new(0)));

    let (srat, _) = two_nodes();
    let srat = srat.build();
    let ram = [PhysRange {
        start: 0,
        end: 1024 * MIB,
    }];
    let l =
        NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).usable_ram(&ram)).unwrap();
    assert_eq!(l.source(), NumaSource::RamNotCovered);
    let topo = l.topology(MovableZone::None).unwrap();
    assert_eq!(topo.present_pages(NodeId::new(0)), 1024 * MIB / 4096);

    // RAM up to 1 MiB short of coverage is fine.
    let ram = [PhysRange {
        start: 0,
        end: 512 * MIB + MIB - 4096,
    }];
    let l =
        NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).usable_ram(&ram)).unwrap();
    assert_eq!(l.source(), NumaSource::Srat);
}

#[test]
fn zones_split_at_16_mib_and_4_gib_and_follow_the_ram() {
    let mut srat = T::srat();
    srat.lapic_affinity(0, 0, true);
    srat.memory(0, 0, 0xa0000, ENABLED);
    srat.memory(0, MIB, 4096 * MIB - MIB, ENABLED);
    srat.memory(1, 4096 * MIB, 1024 * MIB, ENABLED);
    srat.memory(1, 5120 * MIB, 1024 * MIB, ENABLED | HOTPLUG);
    let mut madt = T::madt();
    madt.madt_lapic(0, 1);
    let (srat, madt) = (srat.build(), madt.build());
    let l = layout(&srat, &madt).unwrap();
    let topo = l.topology(MovableZone::None).unwrap();
    let (n0, n1) = (NodeId::new(0), NodeId::new(1));
    assert_eq!(
        topo.zone(n0, ZoneType::Dma).present_pages,
        (0xa0000 + 15 * MIB) / 4096
    );
    assert_eq!(
        topo.zone(n0, ZoneType::Dma32).present_pages,
        (4096 - 16) * MIB / 4096
    );
    assert_eq!(
        topo.zone(n1, ZoneType::Normal).present_pages,
        2048 * MIB / 4096
    );
    // movable_node: node 1 from its hot-pluggable range on is movable.
    let topo = l.topology(MovableZone::Hotpluggable).unwrap();
    assert_eq!(
        topo.zone(n1, ZoneType::Normal).present_pages,
        1024 * MIB / 4096
    );
    assert_eq!(
        topo.zone(n1, ZoneType::Movable).present_pages,
        1024 * MIB / 4096
    );
    assert_eq!(topo.zone(n0, ZoneType::Movable).present_pages, 0);
    // Every page of node 1.
    let topo = l
        .topology(MovableZone::Nodes("1".parse().unwrap()))
        .unwrap();
    assert_eq!(
        topo.zone(n1, ZoneType::Movable).present_pages,
        2048 * MIB / 4096
    );
    // With the RAM given, the hole below 1 MiB and memory outside RAM do not count.
    let ram = [
        PhysRange {
            start: 0x1000,
            end: 0x9f000,
        },
        PhysRange {
            start: MIB,
            end: 3072 * MIB,
        },
        PhysRange {
            start: 4096 * MIB,
            end: 6144 * MIB,
        },
    ];
    let l =
        NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).usable_ram(&ram)).unwrap();
    let topo = l.topology(MovableZone::None).unwrap();
    assert_eq!(
        topo.zone(n0, ZoneType::Dma).present_pages,
        (0x9e000 + 15 * MIB) / 4096
    );
    assert_eq!(
        topo.zone(n0, ZoneType::Dma32).present_pages,
        (3072 - 16) * MIB / 4096
    );
}

/// Four nodes, CPUs on 0 and 1, 2 and 3 memory-only, each attached to a CPU node, and one
/// locality entry of `data_type` with a raw value per target.
fn hmat_machine(values: [u16; 4], cpu_on_1: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut srat = T::srat();
    srat.lapic_affinity(0, 0, true);
    srat.lapic_affinity(1, 1, true);
    for pxm in 0..4 {
        srat.memory(pxm, u64::from(pxm) * 256 * MIB, 256 * MIB, ENABLED);
    }
    let mut madt = T::madt();
    madt.madt_lapic(0, 1);
    madt.madt_lapic(1, if cpu_on_1 { 1 } else { 0 });
    let mut hmat = T::hmat();
    for (pxm, init) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
        hmat.hmat_proximity(1, init, pxm);
    }
    let targets: Vec<(u32, u16)> = (0..4).map(|t| (t, values[t as usize])).collect();
    hmat.hmat_locality(3, 8, &[0, 1], &targets);
    (srat.build(), madt.build(), hmat.build())
}

#[test]
fn hmat_access_classes_and_weights() {
    let (srat, madt, hmat) = hmat_machine([12500, 12500, 3125, 3125], true);
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).hmat(&hmat)).unwrap();
    assert_eq!(l.hmat_use(), TableUse::Used);
    let a = l.access(NodeId::new(2), AccessClass::Cpu).unwrap();
    assert_eq!(a.initiators.to_string(), "0");
    assert_eq!(a.perf.unwrap().read_bandwidth, 25_000);
    let a0 = l.access(NodeId::new(0), AccessClass::Local).unwrap();
    assert_eq!(a0.targets.to_string(), "0,2");
    let topo = l.topology(MovableZone::None).unwrap();
    let weights = WeightTable::new(*topo.memory_nodes());
    l.feed_weights(&weights).unwrap();
    let w = weights.snapshot();
    assert!(w.is_auto());
    let got: Vec<u8> = (0..4).map(|n| w.get(NodeId::new(n))).collect();
    assert_eq!(got, [4, 4, 1, 1]);
}

#[test]
fn access1_skips_initiators_without_cpus_and_keeps_ties() {
    // Node 1's CPU is absent (disabled in the MADT): node 1 has no CPU, so targets attached
    // to domain 1 find their access class 1 initiators among those with CPUs.
    let (srat, madt, hmat) = hmat_machine([12500, 12500, 3125, 3125], false);
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).hmat(&hmat)).unwrap();
    assert_eq!(l.cpu_nodes().to_string(), "0");
    let local = l.access(NodeId::new(3), AccessClass::Local).unwrap();
    assert_eq!(local.initiators.to_string(), "1");
    let cpu = l.access(NodeId::new(3), AccessClass::Cpu).unwrap();
    assert_eq!(cpu.initiators.to_string(), "0");
    assert_eq!(cpu.perf.unwrap().write_bandwidth, 25_000);
}

#[test]
fn hmat_is_ignored_for_a_memory_domain_missing_from_srat_or_an_unknown_revision() {
    let (srat, madt, _) = hmat_machine([1, 1, 1, 1], true);
    let mut hmat = T::hmat();
    hmat.hmat_proximity(1, 0, 0);
    let at = hmat.hmat_proximity(1, 1, 9);
    let hmat = hmat.build();
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).hmat(&hmat)).unwrap();
    match l.hmat_use() {
        TableUse::Ignored(e) => assert_eq!(fault(e), (Table::Hmat, at)),
        other => panic!("{other:?}"),
    }
    let mut hmat = T::hmat();
    hmat.revision = 3;
    let hmat = hmat.build();
    let l = NumaLayout::from_acpi(&AcpiTables::new().srat(&srat).madt(&madt).hmat(&hmat)).unwrap();
    assert!(matches!(
        l.hmat_use(),
        TableUse::Ignored(Error::FirmwareTable { offset: 8, .. })
    ));
    let weights = WeightTable::new(*l.memory_nodes());
    l.feed_weights(&weights).unwrap();
    assert_eq!(weights.snapshot().get(NodeId::new(0)), 1);
}

#[test]
fn srat_entries_decode_without_allocating_a_layout() {
    let (srat, _) = two_nodes();
    let srat = srat.build();
    let srat = Srat::parse(&srat).unwrap();
    let kinds: Vec<u8> = srat
        .entries()
        .map(|e| match e {
            SratEntry::LocalApic(_) => 0,
            SratEntry::Memory(_) => 1,
            _ => 9,
        })
        .collect();
    assert_eq!(kinds, [0, 0, 1, 1]);
}

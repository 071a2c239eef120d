//! The ACPI table parsers allocate nothing (a counting global allocator): checking SRAT,
//! SLIT, HMAT and MADT, decoding every entry and value, and refusing bad tables.

use mempolicy::firmware::{Hmat, HmatEntry, Madt, Slit, Srat, SratEntry};

mod counting_alloc;

use counting_alloc::allocations;

/// The tables of the f01 fixture, decoded before anything is counted.
fn f01() -> Vec<(String, Vec<u8>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/firmware/f01.out");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("L3 table=")?;
            let (sig, tail) = rest.split_once(' ')?;
            let hex = tail.split_once("hex=")?.1;
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Some((sig.to_string(), bytes))
        })
        .collect()
}

#[test]
fn parsing_and_decoding_tables_allocates_nothing() {
    let tables = f01();
    let get = |sig: &str| &tables.iter().find(|(s, _)| s == sig).unwrap().1;
    let (srat, slit, hmat, madt) = (get("SRAT"), get("SLIT"), get("HMAT"), get("APIC"));
    let before = allocations();
    let mut seen = 0u64;
    let s = Srat::parse(srat).unwrap();
    for entry in s.entries() {
        seen += match entry {
            SratEntry::Memory(m) => m.length,
            SratEntry::LocalApic(a) => u64::from(a.apic_id) + 1,
            _ => 1,
        };
    }
    let l = Slit::parse(slit).unwrap();
    seen += u64::from(l.is_valid());
    seen += u64::from(l.distance(3, 0).unwrap());
    let h = Hmat::parse(hmat).unwrap();
    for entry in h.entries() {
        if let HmatEntry::Locality(loc) = entry {
            for i in 0..loc.initiator_count() {
                for t in 0..loc.target_count() {
                    seen += u64::from(loc.value(i, t, h.revision()));
                }
            }
            seen += loc
                .initiators()
                .chain(loc.targets())
                .map(u64::from)
                .sum::<u64>();
        }
    }
    let m = Madt::parse(madt).unwrap();
    seen += m.processors().filter(|p| p.enabled()).count() as u64;
    // Refusals allocate nothing either.
    let bad = [
        Srat::parse(&srat[..srat.len() - 1]).is_err(),
        Slit::parse(&slit[..40]).is_err(),
        Hmat::parse(&hmat[..7]).is_err(),
        Madt::parse(&srat[..]).is_err(),
    ];
    let after = allocations();
    assert_eq!(after - before, 0, "parsers allocated");
    assert_eq!(bad, [true; 4]);
    assert!(seen > 0);
}

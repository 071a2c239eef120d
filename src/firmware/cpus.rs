//! MADT processors to logical CPU numbers, as Linux's x86 boot does it (Linux:
//! `acpi_parse_madt_lapic_entries()`, `acpi_check_lapic()`, `acpi_parse_lapic()`,
//! `acpi_parse_x2apic()`, `acpi_is_processor_usable()` in `arch/x86/kernel/acpi/boot.c`;
//! `topology_register_apic()`, `check_for_real_bsp()`, `topology_init_possible_cpus()` in
//! `arch/x86/kernel/cpu/topology.c`).

use alloc::vec::Vec;

use super::madt::{Madt, PROCESSOR_ENABLED, PROCESSOR_ONLINE_CAPABLE};
use super::numa::MAX_LOCAL_APIC;
use crate::topology::MAX_CPUS;

/// The CPUs Linux counts: present ones numbered in MADT order with the boot CPU first, then
/// possible-but-absent ones by APIC id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CpuIds {
    /// APIC id of each present CPU, by logical CPU number.
    pub(crate) present: Vec<u32>,
    /// APIC id of each possible CPU that is not present, in the order of their numbers (which
    /// follow the present ones).
    pub(crate) absent: Vec<u32>,
}

/// Numbers the processors of `madt` (or only the boot CPU without one).
///
/// `boot` is the boot CPU's APIC id; without it, the first enabled processor entry is taken
/// for the boot CPU (the usual firmware order).
pub(crate) fn number_cpus(madt: Option<&Madt<'_>>, boot: Option<u32>) -> CpuIds {
    let usable = |flags: u32, revision: u8| {
        // Before MADT revision 5 a disabled entry is only a hotplug slot under a hypervisor
        // Linux recognizes; QEMU under TCG is not one, so it is not a CPU at all.
        flags & PROCESSOR_ENABLED != 0 || (revision >= 5 && flags & PROCESSOR_ONLINE_CAPABLE != 0)
    };
    let revision = madt.map_or(0, |m| m.revision());
    let boot = boot
        .or_else(|| {
            madt?
                .processors()
                .find(|p| p.enabled() && !p.is_invalid_id() && p.apic_id < MAX_LOCAL_APIC)
                .map(|p| p.apic_id)
        })
        .unwrap_or(0);

    let mut ids = CpuIds {
        present: Vec::from([boot]),
        absent: Vec::new(),
    };
    let Some(madt) = madt else {
        return ids;
    };
    // acpi_check_lapic(): a usable local APIC entry hides x2APIC entries below 0xff.
    let has_lapic = madt
        .processors()
        .any(|p| !p.x2apic && !p.is_invalid_id() && usable(p.flags, revision));
    let mut bsp_checked = false;
    let mut disabled: Vec<u32> = Vec::new();
    for p in madt.processors() {
        if p.is_invalid_id() || !usable(p.flags, revision) {
            continue;
        }
        if p.x2apic && has_lapic && p.apic_id < 0xff {
            continue;
        }
        let apic = p.apic_id;
        if apic >= MAX_LOCAL_APIC {
            continue;
        }
        // check_for_real_bsp(): the first APIC registered must be the boot CPU's, or Linux
        // takes itself for a crash kernel and leaves that one out.
        if !bsp_checked {
            bsp_checked = true;
            if apic != boot {
                continue;
            }
        }
        if apic != boot && ids.present.len() >= MAX_CPUS {
            continue;
        }
        if p.enabled() {
            if !ids.present.contains(&apic) {
                ids.present.push(apic);
            }
        } else if !disabled.contains(&apic) {
            disabled.push(apic);
        }
    }
    // topology_init_possible_cpus(): absent CPUs get the next numbers, lowest APIC id first.
    disabled.retain(|apic| !ids.present.contains(apic));
    disabled.sort_unstable();
    disabled.truncate(MAX_CPUS.saturating_sub(ids.present.len()));
    ids.absent = disabled;
    ids
}

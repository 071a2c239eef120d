//! MADT processors to logical CPU numbers, as Linux's x86 boot does it (Linux:
//! `acpi_parse_madt_lapic_entries()`, `acpi_check_lapic()`, `acpi_parse_lapic()`,
//! `acpi_parse_x2apic()`, `acpi_is_processor_usable()` in `arch/x86/kernel/acpi/boot.c`;
//! `topology_register_apic()`, `check_for_real_bsp()`, `topology_init_possible_cpus()` in
//! `arch/x86/kernel/cpu/topology.c`).

use alloc::vec::Vec;

use super::madt::{Madt, MadtProcessor, PROCESSOR_ENABLED, PROCESSOR_ONLINE_CAPABLE};
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
/// `boot` is the boot CPU's APIC id; without it, the first enabled processor Linux would
/// register is taken for the boot CPU (the usual firmware order).
pub(crate) fn number_cpus(madt: Option<&Madt<'_>>, boot: Option<u32>) -> CpuIds {
    let revision = madt.map_or(0, |m| m.revision());
    let usable = |p: &MadtProcessor| {
        // Before MADT revision 5 a disabled entry is only a hotplug slot under a hypervisor
        // Linux recognizes; QEMU under TCG is not one, so it is not a CPU at all.
        p.flags & PROCESSOR_ENABLED != 0
            || (revision >= 5 && p.flags & PROCESSOR_ONLINE_CAPABLE != 0)
    };
    // acpi_check_lapic(): a usable local APIC entry hides x2APIC entries below 0xff.
    let has_lapic = madt.is_some_and(|m| {
        m.processors()
            .any(|p| !p.x2apic && !p.is_invalid_id() && usable(&p))
    });
    // The processors Linux registers (topology_register_apic()), in table order.
    let registered = || {
        madt.into_iter()
            .flat_map(|m| m.processors())
            .filter(move |p| {
                !p.is_invalid_id()
                    && usable(p)
                    && !(p.x2apic && has_lapic && p.apic_id < 0xff)
                    && p.apic_id < MAX_LOCAL_APIC
            })
    };
    let boot = boot
        .or_else(|| registered().find(MadtProcessor::enabled).map(|p| p.apic_id))
        .unwrap_or(0);

    let mut ids = CpuIds {
        present: Vec::from([boot]),
        absent: Vec::new(),
    };
    let mut bsp_checked = false;
    let mut disabled: Vec<u32> = Vec::new();
    for p in registered() {
        let apic = p.apic_id;
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

//! The simulated process's memory beyond the test kit's present pages: named regions at the
//! oracle's fixed addresses, and the page-table pages whose allocation moves the interleave
//! cursor.

use std::collections::BTreeSet;

use mempolicy_testkit::script::PAGE;

/// How many region slots the oracle has.
pub(crate) const MAX_REGIONS: usize = 64;

/// A named region made by `mmap`.
#[derive(Clone, Debug)]
pub(crate) struct Region {
    pub(crate) name: String,
    pub(crate) base: u64,
    pub(crate) npages: u64,
}

/// The region slots (slot `k` maps at `(k+1) << 32` unless `at=` is given).
#[derive(Debug, Default)]
pub(crate) struct Regions {
    slots: Vec<Option<Region>>,
}

impl Regions {
    pub(crate) fn new() -> Self {
        Self {
            slots: vec![None; MAX_REGIONS],
        }
    }

    pub(crate) fn find(&self, name: &[u8]) -> Option<&Region> {
        self.slots
            .iter()
            .flatten()
            .find(|r| r.name.as_bytes() == name)
    }

    pub(crate) fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(Option::is_none)
    }

    pub(crate) fn insert(&mut self, slot: usize, region: Region) {
        self.slots[slot] = Some(region);
    }

    pub(crate) fn remove(&mut self, name: &[u8]) -> Option<Region> {
        let slot = self
            .slots
            .iter()
            .position(|r| r.as_ref().is_some_and(|r| r.name.as_bytes() == name))?;
        self.slots[slot].take()
    }

    pub(crate) fn clear(&mut self) -> Vec<Region> {
        self.slots.iter_mut().filter_map(Option::take).collect()
    }

    /// The region whose `[base, base + npages)` contains `addr` (the last slot wins, like the
    /// oracle's numa_maps filter).
    pub(crate) fn containing(&self, addr: u64) -> Option<&Region> {
        self.slots.iter().flatten().rfind(|r| {
            addr >= r.base && addr < r.base.saturating_add(r.npages.saturating_mul(PAGE))
        })
    }
}

/// Page-table pages above the PTE level that exist and the PTE tables that exist. x86-64 with
/// four levels: a PUD table covers 512 GiB, a PMD table 1 GiB, a PTE table 2 MiB.
#[derive(Debug)]
pub(crate) struct PageTables {
    pud: BTreeSet<u64>,
    pmd: BTreeSet<u64>,
    pte: BTreeSet<u64>,
    /// Spans that the oracle process itself keeps populated (its text, heap and stack).
    pinned_pud: BTreeSet<u64>,
    pinned_pmd: BTreeSet<u64>,
}

const PTE_SHIFT: u32 = 21;
const PMD_SHIFT: u32 = 30;
const PUD_SHIFT: u32 = 39;

impl PageTables {
    pub(crate) fn new() -> Self {
        // The oracle's own mappings: a static binary near 4 MiB and the stack below 128 TiB.
        let low = 0x40_0000u64;
        let stack = 0x7fff_0000_0000u64;
        let pinned_pud: BTreeSet<u64> = [low >> PUD_SHIFT, stack >> PUD_SHIFT].into();
        let pinned_pmd: BTreeSet<u64> = [low >> PMD_SHIFT, stack >> PMD_SHIFT].into();
        Self {
            pud: pinned_pud.clone(),
            pmd: pinned_pmd.clone(),
            pte: BTreeSet::new(),
            pinned_pud,
            pinned_pmd,
        }
    }

    /// Makes sure the tables for `addr` exist; returns how many table pages were allocated, in
    /// allocation order (PUD, PMD, PTE).
    pub(crate) fn populate(&mut self, addr: u64) -> u32 {
        let mut allocated = 0;
        if self.pud.insert(addr >> PUD_SHIFT) {
            allocated += 1;
        }
        if self.pmd.insert(addr >> PMD_SHIFT) {
            allocated += 1;
        }
        if self.pte.insert(addr >> PTE_SHIFT) {
            allocated += 1;
        }
        allocated
    }

    /// Frees the tables whose whole span no longer meets a mapping (Linux `free_pgtables`).
    pub(crate) fn free_unused(&mut self, mapped: impl Fn(u64, u64) -> bool) {
        self.pte
            .retain(|&i| mapped(i << PTE_SHIFT, (i + 1) << PTE_SHIFT));
        let pinned_pmd = &self.pinned_pmd;
        self.pmd
            .retain(|&i| pinned_pmd.contains(&i) || mapped(i << PMD_SHIFT, (i + 1) << PMD_SHIFT));
        let pinned_pud = &self.pinned_pud;
        self.pud
            .retain(|&i| pinned_pud.contains(&i) || mapped(i << PUD_SHIFT, (i + 1) << PUD_SHIFT));
    }
}

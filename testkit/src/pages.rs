//! [`Pages`]: the present pages of a fake address space and where they are (Linux: the page
//! tables and `page_to_nid` of the pages they map).

use std::collections::BTreeMap;

use mempolicy::NodeId;

/// What backs a present page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageKind {
    /// A private anonymous page.
    Anon,
    /// The shared zero page (a read fault of untouched private anonymous memory).
    Zero,
    /// A page of a shared (shmem) object, and whether it was written: a read fault maps a
    /// clean page, which `numa_maps` counts as `mapped` but not `dirty`.
    Shmem {
        /// Whether the page was written.
        dirty: bool,
    },
}

/// A present page: its node and what backs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resident {
    /// The node of the frame (for the zero page: the node of the kernel image).
    pub node: NodeId,
    /// What backs the page.
    pub kind: PageKind,
}

impl Resident {
    /// A private anonymous page on `node`.
    pub const fn anon(node: NodeId) -> Self {
        Self {
            node,
            kind: PageKind::Anon,
        }
    }

    /// Returns whether the page is a real page (not the zero page), which `move_pages`
    /// reports and migration moves.
    pub const fn is_movable(&self) -> bool {
        !matches!(self.kind, PageKind::Zero)
    }
}

/// The present pages, by page address.
#[derive(Clone, Debug, Default)]
pub struct Pages {
    map: BTreeMap<u64, Resident>,
}

const PAGE: u64 = 4096;

impl Pages {
    /// No page present.
    pub fn new() -> Self {
        Self::default()
    }

    /// The page at `addr`, if present.
    pub fn get(&self, addr: u64) -> Option<Resident> {
        self.map.get(&(addr & !(PAGE - 1))).copied()
    }

    /// Makes the page at `addr` present.
    pub fn insert(&mut self, addr: u64, page: Resident) {
        self.map.insert(addr & !(PAGE - 1), page);
    }

    /// Moves the page at `addr` to `node` (a migration); the zero page and absent pages stay.
    pub fn move_to(&mut self, addr: u64, node: NodeId) {
        if let Some(page) = self.map.get_mut(&(addr & !(PAGE - 1))) {
            if page.is_movable() {
                page.node = node;
            }
        }
    }

    /// Removes the pages in `[start, end)`.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        let doomed: Vec<u64> = self.map.range(start..end).map(|(&a, _)| a).collect();
        for addr in doomed {
            self.map.remove(&addr);
        }
    }

    /// The present pages in `[start, end)`, in address order.
    pub fn range(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, Resident)> + '_ {
        self.map.range(start..end).map(|(&a, &p)| (a, p))
    }

    /// Every present page, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Resident)> + '_ {
        self.map.iter().map(|(&a, &p)| (a, p))
    }

    /// Every present page, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&u64, &mut Resident)> {
        self.map.iter_mut()
    }

    /// How many pages are present.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no page is present.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

//! The per-CPU read path (Linux: `get_il_weight` and the weight copy of
//! `alloc_pages_bulk_weighted_interleave`, both under `rcu_read_lock`).

use core::{fmt, ptr};

use super::table::{Table, WeightTable};
use crate::interleave::WeightSource;
use crate::rcu::CellReader;
use crate::{NodeId, NodeMask, MAX_NUMNODES};

/// A CPU's handle for reading a [`WeightTable`]: register one per CPU, once, with
/// [`WeightTable::reader`].
///
/// A read is one load of the table pointer, one compare and one indexed load: no lock, no
/// locked instruction, no fence, no allocation and no free. The underlying [`Reader`](crate::rcu::Reader) stays
/// pinned; when a read notices that a new table was published, it reports a quiescent state
/// (so the tables retired before can be freed by writers) and remembers the new table.
///
/// Not `Send`: it belongs to one CPU (one thread in the `std` shim).
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let table = mempolicy::weights::WeightTable::new(mempolicy::NodeMask::first_n(1));
/// send(table.reader());
/// ```
/// The table itself is shared freely:
/// ```
/// fn share<T: Send + Sync>(_: &T) {}
/// share(&mempolicy::weights::WeightTable::new(mempolicy::NodeMask::first_n(1)));
/// ```
pub struct WeightReader<'t> {
    table: &'t WeightTable,
    /// A reader of the table's domain, bound to its cell.
    reader: CellReader<'t, Table>,
    /// The table seen at the last quiescent state; compared with, never dereferenced.
    last: *const Table,
}

impl WeightTable {
    /// Registers a reader for the calling CPU (allocates: do it once per CPU, at boot).
    pub fn reader(&self) -> WeightReader<'_> {
        WeightReader::new(self, self.cell().reader())
    }
}

impl<'t> WeightReader<'t> {
    fn new(table: &'t WeightTable, reader: CellReader<'t, Table>) -> Self {
        let last = reader.current_ptr();
        Self {
            table,
            reader,
            last,
        }
    }

    /// Returns the weight of `node`, always in `1..=255` (Linux: `get_il_weight`).
    #[inline]
    pub fn weight(&mut self, node: NodeId) -> u8 {
        let table = self.reader.load();
        let weight = table.weights.get(node.index());
        if !ptr::eq(table, self.last) {
            self.resync();
        }
        weight
    }

    /// Copies every node's weight into `out` in one go (Linux: the bulk path's copy of
    /// `iw_table`).
    #[inline]
    pub fn copy_weights(&mut self, out: &mut [u8; MAX_NUMNODES]) {
        let table = self.reader.load();
        table.weights.copy_to(out);
        if !ptr::eq(table, self.last) {
            self.resync();
        }
    }

    /// Copies the weights of the nodes in `nodes` into `out` (other entries are left as they
    /// are), all from the same table, and returns their sum (Linux: the weight total of
    /// `weighted_interleave_nid` and of the bulk path).
    ///
    /// # Examples
    /// ```
    /// use mempolicy::weights::WeightTable;
    /// use mempolicy::{NodeId, NodeMask, MAX_NUMNODES};
    ///
    /// let table = WeightTable::new(NodeMask::first_n(4));
    /// table.set_weight(NodeId::new(0), 3)?;
    /// let mut reader = table.reader();
    /// let mut w = [0; MAX_NUMNODES];
    /// let total = reader.weights_of(&NodeMask::first_n(2), &mut w);
    /// assert_eq!((total, w[0], w[1], w[2]), (4, 3, 1, 0));
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    pub fn weights_of(&mut self, nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) -> u32 {
        let table = self.reader.load();
        let mut total = 0u32;
        for node in nodes {
            let weight = table.weights.get(node.index());
            if let Some(slot) = out.get_mut(node.index()) {
                *slot = weight;
            }
            total += u32::from(weight);
        }
        if !ptr::eq(table, self.last) {
            self.resync();
        }
        total
    }

    /// Runs `f` with one table as a [`WeightSource`], so that the pickers of
    /// [`crate::interleave`] read their weights straight from it: every read `f` makes sees
    /// the same table (Linux: the whole pick under one `rcu_read_lock`), with no copy.
    ///
    /// # Examples
    /// ```
    /// use mempolicy::interleave::weighted_interleave_nid;
    /// use mempolicy::weights::WeightTable;
    /// use mempolicy::{NodeId, NodeMask};
    ///
    /// let table = WeightTable::new(NodeMask::first_n(2));
    /// table.set_weight(NodeId::new(0), 3)?;
    /// let mut reader = table.reader();
    /// let nodes = NodeMask::first_n(2);
    /// let picks: Vec<usize> = reader.with_view(|view| {
    ///     (0..4).filter_map(|ilx| weighted_interleave_nid(&nodes, ilx, view)).map(NodeId::index).collect()
    /// });
    /// assert_eq!(picks, [0, 0, 0, 1]);
    /// # Ok::<(), mempolicy::Error>(())
    /// ```
    #[inline]
    pub fn with_view<R>(&mut self, f: impl FnOnce(&WeightView<'_>) -> R) -> R {
        let table = self.reader.load();
        let result = f(&WeightView { table });
        if !ptr::eq(table, self.last) {
            self.resync();
        }
        result
    }

    /// Returns whether the weights are automatic (Linux: `wi_state->mode_auto`).
    pub fn is_auto(&mut self) -> bool {
        let table = self.reader.load();
        let auto = table.auto;
        if !ptr::eq(table, self.last) {
            self.resync();
        }
        auto
    }

    /// Reports a quiescent state (Linux: a CPU passing through the scheduler): tables retired
    /// before this call may be freed. Reads do this by themselves when they see a new table;
    /// an idle CPU calls it from its idle loop or tick. Never allocates, frees or locks.
    pub fn quiescent(&mut self) {
        self.resync();
    }

    /// Returns the table this reader reads.
    pub fn table(&self) -> &'t WeightTable {
        self.table
    }

    /// Moves the reader's epoch forward and remembers the table current after that.
    ///
    /// The remembered pointer is loaded after the quiescent state, so that table stays
    /// allocated until the next one: no other table can reuse its address while it is
    /// remembered, and the pointer comparison cannot be fooled (no ABA).
    #[cold]
    #[inline(never)]
    fn resync(&mut self) {
        self.reader.quiescent();
        self.last = self.reader.current_ptr();
    }
}

/// One weight table seen through [`WeightReader::with_view`] (or by a
/// [`Cpu`](crate::machine::Cpu) for one allocation): a [`WeightSource`] whose reads all come
/// from that table.
pub struct WeightView<'r> {
    table: &'r Table,
}

impl<'r> WeightView<'r> {
    /// A view of one published table.
    #[inline]
    pub(crate) const fn new(table: &'r Table) -> Self {
        Self { table }
    }
}

impl WeightSource for WeightView<'_> {
    #[inline]
    fn weight(&self, node: NodeId) -> u8 {
        self.table.weights.get(node.index())
    }

    fn copy_weights(&self, nodes: &NodeMask, out: &mut [u8; MAX_NUMNODES]) {
        for node in nodes {
            if let Some(slot) = out.get_mut(node.index()) {
                *slot = self.table.weights.get(node.index());
            }
        }
    }

    #[inline]
    fn small_first_eight(&self) -> Option<core::num::NonZeroU64> {
        self.table.weights.small_first_eight()
    }

    #[inline]
    fn eight_at(&self, chunk: usize) -> u64 {
        self.table.weights.eight_at(chunk)
    }
}

impl fmt::Debug for WeightView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightView")
            .field("auto", &self.table.auto)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WeightReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightReader").finish_non_exhaustive()
    }
}

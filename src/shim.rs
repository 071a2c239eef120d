//! A host stand-in for the per-CPU state a kernel keeps: one weight reader per thread and a
//! "current node" per thread (Linux: per-CPU data and `numa_node_id()`).
//!
//! Only with the `std` feature; benches, examples and host tests use it. A kernel registers one
//! [`WeightReader`] per CPU at boot instead.

use core::cell::{Cell, RefCell};
use std::vec::Vec;

use crate::weights::{WeightReader, WeightTable};
use crate::NodeId;

std::thread_local! {
    static CURRENT_NODE: Cell<NodeId> = const { Cell::new(NodeId::new(0)) };
    static READERS: RefCell<Vec<WeightReader<'static>>> = const { RefCell::new(Vec::new()) };
}

/// Returns the calling thread's node (Linux: `numa_node_id()`); node 0 until set.
pub fn current_node() -> NodeId {
    CURRENT_NODE.with(Cell::get)
}

/// Sets the node the calling thread pretends to run on.
pub fn set_current_node(node: NodeId) {
    CURRENT_NODE.with(|current| current.set(node));
}

/// Calls `f` with the calling thread's reader for `table`, registering it on first use (the
/// first call allocates; later calls do not).
///
/// A nested call for the same thread (from inside `f`) gets a temporary reader instead.
///
/// # Panics
/// If called from a thread-local destructor after the shim's own thread locals are gone
/// (the `std::thread::LocalKey::with` rule).
///
/// # Examples
/// ```
/// use mempolicy::weights::WeightTable;
/// use mempolicy::{shim, NodeId, NodeMask};
///
/// let table: &'static WeightTable = Box::leak(Box::new(WeightTable::new(NodeMask::first_n(2))));
/// table.set_weight(NodeId::new(1), 5)?;
/// assert_eq!(shim::with_reader(table, |reader| reader.weight(NodeId::new(1))), 5);
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub fn with_reader<R>(
    table: &'static WeightTable,
    f: impl FnOnce(&mut WeightReader<'static>) -> R,
) -> R {
    READERS.with(|readers| {
        let Ok(mut readers) = readers.try_borrow_mut() else {
            return f(&mut table.reader());
        };
        if let Some(reader) = readers.iter_mut().find(|r| core::ptr::eq(r.table(), table)) {
            return f(reader);
        }
        readers.push(table.reader());
        match readers.last_mut() {
            Some(reader) => f(reader),
            None => f(&mut table.reader()),
        }
    })
}

/// Reads `node`'s weight with the calling thread's reader for `table`.
pub fn weight(table: &'static WeightTable, node: NodeId) -> u8 {
    with_reader(table, |reader| reader.weight(node))
}

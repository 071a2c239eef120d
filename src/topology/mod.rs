//! The NUMA machine description (Linux: `node_states[]`, the SLIT distance table
//! `node_distance()`, `cpu_to_node()`, the zones of each `pg_data_t` and the per-node
//! `access_coordinate`s of HMAT).
//!
//! A [`Topology`] is built once, through [`TopologyBuilder`], which rejects inconsistent input
//! with [`Error::InvalidTopology`](crate::Error::InvalidTopology), or from the `NODES_SPEC`
//! words of the conformance runner ([`Topology::from_nodes_spec`]). It is immutable; on node
//! hotplug the embedder builds a new one and rebuilds the zonelists
//! ([`crate::zonelist::SharedZonelists`]).
//!
//! Heap: a topology owns a few `Vec`s (the distance table alone is 1 MiB for 1024 nodes). It
//! is built once, never on an allocation path.
//!
//! # Distance rules
//!
//! Distances follow ACPI SLIT as Linux accepts it (`slit_valid()` in
//! `drivers/acpi/numa/srat.c`, `numa_set_distance()`): one byte per entry (so at most 255,
//! which ACPI reserves for "unreachable"), exactly 10 (`LOCAL_DISTANCE`) on the diagonal and
//! more than 10 everywhere else. The table may be asymmetric. Without a table every remote
//! distance is 20 (`REMOTE_DISTANCE`), as in Linux without a SLIT.
//!
//! # Node states
//!
//! | Linux | here |
//! |---|---|
//! | `N_POSSIBLE` | [`Topology::possible_nodes`] |
//! | `N_ONLINE` | [`Topology::online_nodes`] |
//! | `N_CPU` | [`Topology::cpu_nodes`] |
//! | `N_MEMORY` (any populated zone) | [`Topology::memory_nodes`] |
//! | `N_HIGH_MEMORY` (a populated zone up to `HIGHMEM`) | [`Topology::high_memory_nodes`] |
//! | `N_NORMAL_MEMORY` (a populated zone up to `NORMAL`) | [`Topology::normal_memory_nodes`] |
//!
//! Without `ZONE_HIGHMEM` (x86-64) `N_HIGH_MEMORY` equals `N_NORMAL_MEMORY`; both are kept
//! because `apply_policy_zone` tests `N_HIGH_MEMORY`.

mod builder;
mod hmat;
#[cfg(test)]
mod hmat_tests;
mod machine;
mod performance;
mod spec;
#[cfg(test)]
mod tests;

pub use builder::TopologyBuilder;
pub use machine::{
    AccessCoordinates, Topology, ZoneSpan, LOCAL_DISTANCE, MAX_CPUS, REMOTE_DISTANCE,
};
pub use performance::{AccessClass, NodePerformance};

//! The NUMA machine description (Linux: `node_states`, SLIT distances, zones). Being written.

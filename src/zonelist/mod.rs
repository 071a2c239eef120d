//! Zonelists (Linux: `struct zonelist`, `build_zonelists`). Being written.

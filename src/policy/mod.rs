//! Memory policies (Linux: `struct mempolicy`, `mm/mempolicy.c`). Being written.

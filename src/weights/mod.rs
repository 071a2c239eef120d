//! Weighted-interleave weights (Linux: `struct weighted_interleave_state`). Being written.

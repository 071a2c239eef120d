//! GFP flags and zone choice (Linux: `gfp_t`, `gfp_zone`). Being written.

//! Replays what Linux 6.12 recorded in the conformance VM (4 nodes; `conformance/`):
//! the task cursor as `get_mempolicy(MPOL_F_NODE)` reports it, and where anonymous pages of
//! interleaved mappings were placed.

use mempolicy::interleave::{self, InterleaveCursor, InterleaveMode, Uniform};
use mempolicy::{NodeId, NodeMask};

fn mask(text: &str) -> NodeMask {
    text.parse().unwrap()
}

/// Base address of region slot `k` (`mmap` in the oracle maps slot k at `(k+1) << 32`).
fn slot_base(k: u64) -> u64 {
    (k + 1) << 32
}

/// Nodes of `npages` pages of an anonymous private mapping at `start` (vm_pgoff = start >> 12).
fn placements(start: u64, npages: u64, pick: impl Fn(u64) -> Option<NodeId>) -> Vec<u32> {
    (0..npages)
        .map(|page| {
            let ilx =
                interleave::vma_interleave_index(start >> 12, start, start + page * 4096, 0, 12);
            pick(ilx).unwrap().as_u32()
        })
        .collect()
}

/// Takes `count` dynamic picks, as `pipe_pages count` does (one `alloc_page()` per page).
fn pipe_pages(cursor: &mut InterleaveCursor, mode: InterleaveMode, nodes: &NodeMask, count: usize) {
    for _ in 0..count {
        let picked = match mode {
            InterleaveMode::Plain => cursor.next_interleave(nodes),
            InterleaveMode::Weighted => cursor.next_weighted(nodes, &[3u8, 1, 2, 1]),
        };
        assert!(picked.is_some());
    }
}

fn peek(cursor: &InterleaveCursor, mode: InterleaveMode, nodes: &NodeMask) -> u32 {
    cursor.peek_node(mode, nodes).unwrap().as_u32()
}

/// smoke.txt L68-L76: `set_mempolicy INTERLEAVE 1-3`, then NODE after 0, 0, 1, 1 and 2 pipe pages.
#[test]
fn smoke_plain_cursor() {
    let nodes = mask("1-3");
    let mode = InterleaveMode::Plain;
    let mut cursor = InterleaveCursor::new(); // L68
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L69
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L70: peeking does not move it
    pipe_pages(&mut cursor, mode, &nodes, 1); // L71
    assert_eq!(peek(&cursor, mode, &nodes), 2); // L72
    pipe_pages(&mut cursor, mode, &nodes, 1); // L73
    assert_eq!(peek(&cursor, mode, &nodes), 3); // L74
    pipe_pages(&mut cursor, mode, &nodes, 2); // L75
    assert_eq!(peek(&cursor, mode, &nodes), 2); // L76
}

/// smoke.txt L79-L88: weights 3 1 2 1, `set_mempolicy WEIGHTED_INTERLEAVE 0-3`, NODE after
/// 0, 1, 2 more and 1 more pipe pages: 0, 0, 1, 2.
#[test]
fn smoke_weighted_cursor() {
    let nodes = mask("0-3");
    let mode = InterleaveMode::Weighted;
    let mut cursor = InterleaveCursor::new(); // L81
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L82
    pipe_pages(&mut cursor, mode, &nodes, 1); // L83
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L84
    pipe_pages(&mut cursor, mode, &nodes, 2); // L85
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L86
    pipe_pages(&mut cursor, mode, &nodes, 1); // L87
    assert_eq!(peek(&cursor, mode, &nodes), 2); // L88
}

/// cursor.txt: INTERLEAVE 0-3, NODE 0, 0; 1 pipe page → 1; 5 → 2; then page-table pages
/// (2 for the first touch of a region, 1 for a new 2 MiB span) → 0, 0, 1; `where` → 1;
/// INTERLEAVE 1-2 → 1; 3 pipe pages → 2.
#[test]
fn cursor_case_moves_once_per_dynamic_page() {
    let mode = InterleaveMode::Plain;
    let nodes = mask("0-3");
    let mut cursor = InterleaveCursor::new(); // L10
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L11
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L12
    pipe_pages(&mut cursor, mode, &nodes, 1); // L13
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L14
    pipe_pages(&mut cursor, mode, &nodes, 5); // L15
    assert_eq!(peek(&cursor, mode, &nodes), 2); // L16
    pipe_pages(&mut cursor, mode, &nodes, 2); // L17-L18: PMD + PTE table pages
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L20
    assert_eq!(peek(&cursor, mode, &nodes), 0); // L23: same span, no table page
    pipe_pages(&mut cursor, mode, &nodes, 1); // L24: one PTE table page
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L26
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L28: move_pages does not allocate

    let nodes = mask("1-2");
    cursor.reset(); // L31: set_mempolicy resets the cursor
    assert_eq!(peek(&cursor, mode, &nodes), 1); // L32
    pipe_pages(&mut cursor, mode, &nodes, 3); // L33
    assert_eq!(peek(&cursor, mode, &nodes), 2); // L34
}

/// cursor.txt L27/L30: region A in slot 0 under INTERLEAVE 0-3; pages 0, 1 → nodes 0, 1 and
/// page 600 → node 0, by virtual page number, whatever the cursor.
#[test]
fn cursor_case_data_pages_follow_vpn() {
    let nodes = mask("0-3");
    let pick = |ilx| interleave::interleave_nid(&nodes, ilx);
    assert_eq!(placements(slot_base(0), 2, pick), [0, 1]); // L27
    let start = slot_base(0);
    let ilx = interleave::vma_interleave_index(start >> 12, start, start + 600 * 4096, 0, 12);
    assert_eq!(pick(ilx).unwrap().as_u32(), 0); // L30
}

/// smoke.txt L95: INTERLEAVE 0-3, region A in slot 0, 8 pages.
#[test]
fn smoke_placement_interleave_slot0() {
    let nodes = mask("0-3");
    let got = placements(slot_base(0), 8, |ilx| {
        interleave::interleave_nid(&nodes, ilx)
    });
    assert_eq!(got, [0, 1, 2, 3, 0, 1, 2, 3]);
}

/// smoke.txt L99: INTERLEAVE 0-2, region B in slot 1 (base vpn 2 << 20, ≡ 2 mod 3), 6 pages.
#[test]
fn smoke_placement_interleave_slot1() {
    let nodes = mask("0-2");
    let got = placements(slot_base(1), 6, |ilx| {
        interleave::interleave_nid(&nodes, ilx)
    });
    assert_eq!(got, [2, 0, 1, 2, 0, 1]);
}

/// smoke.txt L103: weights 3 1 2 1, WEIGHTED_INTERLEAVE 0-3, region W in slot 2, 14 pages.
#[test]
fn smoke_placement_weighted_slot2() {
    let nodes = mask("0-3");
    let weights = [3u8, 1, 2, 1];
    let got = placements(slot_base(2), 14, |ilx| {
        interleave::weighted_interleave_nid(&nodes, ilx, &weights)
    });
    assert_eq!(got, [2, 3, 0, 0, 0, 1, 2, 2, 3, 0, 0, 0, 1, 2]);
}

/// With default weights (all 1) weighted interleave places pages like plain interleave.
#[test]
fn uniform_weighted_placement_matches_plain() {
    let nodes = mask("0-2");
    let plain = placements(slot_base(1), 12, |ilx| {
        interleave::interleave_nid(&nodes, ilx)
    });
    let weighted = placements(slot_base(1), 12, |ilx| {
        interleave::weighted_interleave_nid(&nodes, ilx, &Uniform)
    });
    assert_eq!(plain, weighted);
}

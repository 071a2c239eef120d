//! The allocation-free paths listed in `mempolicy::guarantees` that the other allocation
//! tests do not cover: node-mask operations (parsing, printing into a caller's buffer, the
//! user ABI), policy construction and parsing, GFP zone choice, and the lock-free reads of
//! policy slots and shared zonelists with the reader's quiescent state. A per-thread counting
//! allocator sees neither an allocation nor a free on this thread while they run.

use core::fmt::Write as _;

use mempolicy::gfp::{self, GfpFlags};
use mempolicy::policy::{
    parse_mpol, Mempolicy, Mode, ModeFlags, NodeContext, PolicyRef, PolicySlot,
};
use mempolicy::rcu::Domain;
use mempolicy::topology::Topology;
use mempolicy::zonelist::{SharedZonelists, Zonelists};
use mempolicy::{NodeId, NodeMask};

mod counting_alloc;

use counting_alloc::heap_calls_during;

/// A fixed buffer to print into.
struct Buffer {
    bytes: [u8; 256],
    len: usize,
}

impl core::fmt::Write for Buffer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[test]
fn masks_policies_and_gfp_do_not_allocate() {
    let memory = NodeMask::first_n(4);
    let ctx = NodeContext::new(NodeMask::first_n(3), memory);
    let user = [0b1011u64, 0, 0];
    let mut out = [0u64; 3];
    let mut buffer = Buffer {
        bytes: [0; 256],
        len: 0,
    };
    let mut sink = 0usize;
    let calls = heap_calls_during(|| {
        for text in ["0-2,5", "all", "0-31:2/8", "1,,3", "bad", "4294967296"] {
            let mask = NodeMask::parse_list(text).unwrap_or_default();
            let other = NodeMask::from_u64(0xf0f0);
            sink += mask.weight() + mask.fold(3).weight() + mask.onto(&other).weight();
            sink += mask.remap(&other, &memory).weight() + mask.relative_to(&other).weight();
            sink += (mask & other | !mask).iter().count();
            sink +=
                mask.nth(2).map_or(0, NodeId::index) + mask.position(NodeId::new(2)).unwrap_or(0);
            buffer.len = 0;
            let _ = write!(buffer, "{mask} {}", mask.display_or_none());
            sink += buffer.len;
        }
        for maxnode in [0, 5, 65, 193, u64::MAX] {
            sink += NodeMask::from_user_slice(Some(&user), maxnode).map_or(0, |m| m.weight());
            let _ = NodeMask::from_node(NodeId::new(1)).to_user_slice(&mut out, maxnode, 4);
        }
        for raw in [2, 3 | 0x8000, 1, 4, 6 | 0x2000, 7, -1] {
            let nodes = NodeMask::from_u64(0b110);
            if let Ok(Some(mut pol)) = Mempolicy::from_raw(raw, &nodes, &ctx) {
                pol.rebind(&NodeMask::from_u64(0b1001));
                sink += usize::from(pol.is_equal(&pol)) + pol.user_visible_nodes().weight();
                buffer.len = 0;
                let _ = write!(buffer, "{pol}");
            }
            let _ = Mempolicy::sanitize_mode(raw);
        }
        let _ = Mempolicy::create(Mode::Preferred, ModeFlags::empty(), &NodeMask::new(), &ctx);
        for text in [
            "bind=static:1-2",
            "interleave",
            "prefer:,",
            "local:1",
            "weighted interleave",
        ] {
            sink += parse_mpol(text, &memory).map_or(0, |p| p.map_or(1, |p| p.nodes().weight()));
        }
        for bits in 0..16 {
            sink += gfp::zone_for(GfpFlags::from_bits_retain(bits)).map_or(0, |z| z.index());
        }
    });
    core::hint::black_box(sink);
    assert_eq!(calls, 0, "{calls} allocations or frees");
}

#[test]
fn lock_free_reads_and_quiescent_states_do_not_allocate() {
    let domain = Domain::new();
    let mut reader = domain.register();
    let first = PolicyRef::new(Mempolicy::preferred_node_policy(NodeId::new(1)));
    let slot = PolicySlot::new(&domain, Some(first));
    let topo = Topology::from_nodes_spec("nodes=4 cpus=0,1 mem=256").unwrap();
    let shared = SharedZonelists::new(Zonelists::build(&topo), &domain);
    // Let one replacement be pending, so that the quiescent states have something to end.
    slot.replace(Some(PolicyRef::new(Mempolicy::default_policy())));
    let mut sink = 0usize;
    let calls = heap_calls_during(|| {
        for _ in 0..1000 {
            sink += slot.load(&reader).map_or(0, |p| p.nodes().weight());
            let counted = slot.get(&reader);
            sink += counted.as_ref().map_or(0, PolicyRef::ref_count);
            drop(counted); // not the last reference: no free
            let lists = shared.load(&reader);
            sink += lists
                .and_then(|l| l.fallback_order(NodeId::new(0)))
                .map_or(0, <[_]>::len);
            reader.quiescent();
        }
    });
    core::hint::black_box(sink);
    assert_eq!(calls, 0, "{calls} allocations or frees");
    assert_eq!(
        domain.retired(),
        1,
        "the old policy waits for a writer or a reclaim"
    );
    for _ in 0..4 {
        domain.reclaim();
        reader.quiescent();
    }
    assert_eq!(domain.retired(), 0);
}

#[test]
fn dropping_the_last_counted_reference_taken_by_a_reader_does_not_free() {
    let domain = Domain::new();
    let mut reader = domain.register();
    let slot = PolicySlot::new(
        &domain,
        Some(PolicyRef::new(Mempolicy::preferred_node_policy(
            NodeId::new(1),
        ))),
    );
    let held = slot.get(&reader).expect("a policy");
    // The slot lets go of the policy and its grace period ends: `held` is the last reference.
    slot.replace(None);
    for _ in 0..2 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(PolicyRef::ref_count(&held), 1);
    // An interrupt handler's drop: no allocation, no free (and no lock: see the tests of
    // destructors that reenter the domain).
    let calls = heap_calls_during(|| drop(held));
    assert_eq!(calls, 0, "{calls} allocations or frees");
    assert_eq!(domain.retired(), 1, "the policy waits in the domain");
    domain.reclaim(); // hands it over; the reader may hold it back for two rounds
    for _ in 0..2 {
        reader.quiescent();
        domain.reclaim();
    }
    assert_eq!(domain.retired(), 0);
}

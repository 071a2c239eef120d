//! Edge values whose arithmetic depends on the width of `usize`. Hobby kernels run this
//! crate on 32-bit targets (i686, armv7, riscv32), where `u32::MAX as usize + 1` wraps to 0
//! and a `u64` does not fit a `usize`; the crate counts such values in `u64` or converts
//! them with checks, so the answers below are the same at any width. (They run here on a
//! 64-bit host; the conversions they reach are the checked ones.)

use mempolicy::abi::AddressSpace;
use mempolicy::policy::Mempolicy;
use mempolicy::topology::{Topology, TopologyBuilder, MAX_CPUS};
use mempolicy::{Error, NodeId, NodeMask, PAGE_SIZE};

fn n(raw: usize) -> NodeId {
    NodeId::new(raw)
}

#[test]
fn cpu_numbers_at_the_top_of_u32_are_refused_at_any_word_width() {
    let top = u32::try_from(MAX_CPUS).unwrap();
    for cpu in [u32::MAX, u32::MAX - 1, top, top + 1] {
        let built = TopologyBuilder::new().online(n(0)).cpu(cpu, n(0)).build();
        assert_eq!(
            built.err(),
            Some(Error::InvalidTopology("cpu number too large")),
            "cpu {cpu}"
        );
    }
    // The highest CPU number that fits is accepted, and only that CPU is described.
    let topo = TopologyBuilder::new()
        .online(n(0))
        .zone(n(0), mempolicy::gfp::ZoneType::Normal, 1 << 16)
        .cpu(top - 1, n(0))
        .build()
        .unwrap();
    assert_eq!(topo.nr_cpu_ids(), MAX_CPUS);
    assert_eq!(topo.node_of_cpu(top - 1), Some(n(0)));
    assert_eq!(topo.cpus_of_node(n(0)).collect::<Vec<_>>(), [top - 1]);
    for cpu in [top, u32::MAX] {
        assert_eq!(topo.node_of_cpu(cpu), None, "cpu {cpu}");
    }
}

#[test]
fn user_nodemask_sizes_beyond_32_bits_are_refused_not_truncated() {
    let words = [u64::MAX; 4];
    // A `maxnode` that would truncate to a small number in 32 bits must still be too large.
    for maxnode in [1 << 32, (1 << 32) + 65, u64::MAX] {
        assert_eq!(
            NodeMask::from_user_slice(Some(&words), maxnode),
            Err(Error::MaxnodeTooLarge(maxnode)),
            "maxnode {maxnode:#x}"
        );
        // Writing back: Linux rounds `maxnode - 1` up to whole words in wrapping
        // arithmetic, so only `u64::MAX` wraps around to a small size.
        if maxnode != u64::MAX {
            let mut out = [0u64; 4];
            assert_eq!(
                NodeMask::first_n(2).to_user_slice(&mut out, maxnode, 2),
                Err(Error::MaxnodeTooLarge(maxnode)),
                "maxnode {maxnode:#x}"
            );
        }
    }
    // The largest accepted size reads whole words and keeps only real nodes.
    let mask = NodeMask::from_user_slice(Some(&[0b101, 0, 0, 0]), 65).unwrap();
    assert_eq!(mask, NodeMask::from_u64(0b101));
}

#[test]
fn page_offsets_and_addresses_at_the_top_of_u64_never_wrap() {
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    // The highest page whose end is still an address (the last page's end would be 2^64).
    let top = u64::MAX - (2 * PAGE_SIZE - 1);
    assert_eq!(
        mm.mmap(top, 2 * PAGE_SIZE, 0, ()),
        Err(Error::InvalidRange(top))
    );
    assert_eq!(mm.mmap(top, PAGE_SIZE, u64::MAX - 1, ()), Ok(()));
    assert_eq!(
        mm.find(top).map(|m| m.interleave_index(top)),
        Some(u64::MAX - 1)
    );
    assert_eq!(mm.munmap(top, PAGE_SIZE), Ok(()));
}

#[test]
fn topology_text_with_numbers_beyond_32_bits_is_refused() {
    for spec in [
        "nodes=4294967296 cpus=0 mem=256",
        "nodes=2 cpus=0,4294967296 mem=256",
        "nodes=2 cpus=0,1 mem=4294967296",
    ] {
        assert!(Topology::from_nodes_spec(spec).is_err(), "{spec}");
    }
}

//! A mapping's page offset may not wrap (Linux: `do_mmap` answers `EOVERFLOW` when the page
//! offset plus the length in pages wraps). Without the check, a shared mapping placed at the
//! end of the offset space would alias the object's first pages: a policy set at object
//! offset 0 through one mapping would show up at the wrapped pages of the other.

use std::sync::Arc;

use mempolicy::abi::{AddressSpace, SharedObject, SharedPolicy};
use mempolicy::policy::{Mempolicy, Mode, ModeFlags, NodeContext};
use mempolicy::{errno, Error, NodeMask, PAGE_SIZE};

const BASE: u64 = 0x10_0000;
const OTHER: u64 = 0x100_0000;

fn bind(nodes: &str) -> Mempolicy {
    let ctx = NodeContext::unrestricted("0-3".parse().unwrap());
    let nodes: NodeMask = nodes.parse().unwrap();
    Mempolicy::create(Mode::Bind, ModeFlags::empty(), &nodes, &ctx)
        .unwrap()
        .unwrap()
}

#[test]
fn mmap_rejects_a_page_offset_that_wraps_with_eoverflow() {
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    // (page offset, length in bytes): the pages run to the very last offset, or one past.
    let cases = [
        (u64::MAX - 3, 4 * PAGE_SIZE, false),
        (u64::MAX - 4, 4 * PAGE_SIZE, true),
        (u64::MAX, PAGE_SIZE, false),
        (u64::MAX - 1, PAGE_SIZE, true),
        (u64::MAX, 1, false), // a partial page counts as a whole one
        (u64::MAX - 1, 1, true),
        // The longest length: u64::MAX / PAGE_SIZE pages.
        (u64::MAX - u64::MAX / PAGE_SIZE + 1, !(PAGE_SIZE - 1), false),
        (u64::MAX - u64::MAX / PAGE_SIZE, !(PAGE_SIZE - 1), true),
    ];
    for (pgoff, len, fits) in cases {
        let result = mm.mmap(OTHER, len, pgoff, ());
        if fits {
            // Accepted by the offset check; the address check may still refuse it.
            assert_ne!(
                result,
                Err(Error::OffsetOverflow(pgoff)),
                "{pgoff:#x} {len:#x}"
            );
            if result.is_ok() {
                mm.munmap(OTHER, len).unwrap();
            }
        } else {
            assert_eq!(
                result,
                Err(Error::OffsetOverflow(pgoff)),
                "{pgoff:#x} {len:#x}"
            );
            assert_eq!(result.unwrap_err().errno(), errno::EOVERFLOW);
            assert!(mm.is_empty(), "nothing changes on error");
        }
    }
    // Linux checks the offset before the address: an unaligned start still gets EOVERFLOW.
    assert_eq!(
        mm.mmap(OTHER + 1, PAGE_SIZE, u64::MAX, ()),
        Err(Error::OffsetOverflow(u64::MAX))
    );
    // An empty length is refused for itself first, whatever the offset.
    assert_eq!(
        mm.mmap(OTHER, 0, u64::MAX, ()),
        Err(Error::InvalidRange(OTHER))
    );
}

#[test]
fn a_shared_mapping_cannot_wrap_onto_the_objects_first_pages() {
    let domain = mempolicy::rcu::Domain::new();
    let object = Arc::new(SharedObject::new(
        &domain,
        SharedPolicy::<Mempolicy>::new(7),
    ));
    let mut mm: AddressSpace<Mempolicy> = AddressSpace::new();
    mm.mmap_shared(BASE, 4 * PAGE_SIZE, 0, (), Arc::clone(&object))
        .unwrap();
    mm.set_policy(BASE, BASE + 4 * PAGE_SIZE, Some(&bind("1")));
    // Pages u64::MAX - 1, u64::MAX, then 0 and 1 again: refused, nothing mapped.
    assert_eq!(
        mm.mmap_shared(OTHER, 4 * PAGE_SIZE, u64::MAX - 1, (), Arc::clone(&object)),
        Err(Error::OffsetOverflow(u64::MAX - 1))
    );
    assert!(mm.policy_at(OTHER + 2 * PAGE_SIZE).is_none());
    assert_eq!(mm.len(), 1);
    // The same pages mapped without wrapping see the policy only where the object has it.
    mm.mmap_shared(OTHER, 2 * PAGE_SIZE, u64::MAX - 2, (), Arc::clone(&object))
        .unwrap();
    let (policy, _) = mm.policy_at(OTHER + PAGE_SIZE).unwrap();
    assert!(
        policy.is_none(),
        "the last pages of the object have no policy"
    );
    let (policy, _) = mm.policy_at(BASE).unwrap();
    assert_eq!(policy.map(|p| p.to_string()).as_deref(), Some("bind:1"));
}

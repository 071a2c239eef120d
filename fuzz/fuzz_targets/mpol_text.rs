//! `policy::parse_mpol` (tmpfs `mpol=`) on arbitrary text against a fixed set of memory
//! nodes: no panic, and a policy that parses prints as text that parses back to an equal
//! policy printing the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mempolicy::policy::parse_mpol;
use mempolicy::NodeMask;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    // Nodes 0-3, 5 and 8 have memory: gaps, so lists and ranges can name memoryless nodes.
    let memory: NodeMask = "0-3,5,8".parse().expect("fixed mask");
    let Ok(parsed) = parse_mpol(text, &memory) else {
        return;
    };
    let Some(policy) = parsed else {
        return; // `default`: no policy object, nothing to print
    };
    let printed = policy.to_string();
    let again = parse_mpol(&printed, &memory)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e:?}"))
        .unwrap_or_else(|| panic!("{text:?} printed as {printed:?}, which is default"));
    assert_eq!(again, policy, "{text:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed, "{text:?}");
});

//! `NodeMask::parse_list` on arbitrary text: no panic, and whatever parses prints as a
//! nodelist that parses back to the same mask (and prints the same again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mempolicy::NodeMask;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(mask) = NodeMask::parse_list(text) else {
        return;
    };
    let printed = mask.to_string();
    let again = NodeMask::parse_list(&printed).expect("printed nodelist parses");
    assert_eq!(again, mask, "{text:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed);
});

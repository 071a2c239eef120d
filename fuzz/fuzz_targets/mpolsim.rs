//! The `mpolsim` simulator on arbitrary scripts, on the conformance machine: no panic, and
//! every output line is a header/trailer line (`#`) or an operation's result line (`L`).
#![no_main]

use mpolsim as engine;

use libfuzzer_sys::fuzz_target;

/// The recorded 4-node VM (run.sh's default topology).
const MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

fuzz_target!(|data: &[u8]| {
    let out = engine::run(data, Some(MACHINE)).expect("the fixed topology builds");
    for line in out.lines() {
        assert!(
            line.starts_with('#') || line.starts_with('L'),
            "bad output line {line:?}"
        );
    }
    assert!(out.ends_with("# end status=complete\n"));
});

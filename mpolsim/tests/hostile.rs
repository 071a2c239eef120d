//! Hostile scripts for `mpolsim`: random bytes, huge numbers and very long scripts give
//! result lines (`bad=…` where the oracle would refuse the line) and never a panic.

use mpolsim as engine;

use std::process::Command;

use engine::{Linux, Options};
use proptest::prelude::*;

const MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";
/// The same machine with HMAT bandwidths and latencies (automatic weights on 7.3).
const HMAT_MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 bw=100000,100000,25000,25000 lat=80,80,250,250";

/// Every output line is a header/trailer line or a result line of an operation line.
fn well_formed(out: &str) -> bool {
    out.lines()
        .all(|l| l.starts_with('#') || l.starts_with('L'))
        && out.ends_with("# end status=complete\n")
}

/// A script line made of words the simulator knows, with arbitrary arguments.
fn hostile_line() -> impl Strategy<Value = String> {
    let command = prop::sample::select(vec![
        "set_mempolicy",
        "get_mempolicy",
        "mbind",
        "home_node",
        "mmap",
        "munmap",
        "touch",
        "read",
        "where",
        "move",
        "migrate_pages",
        "numa_maps",
        "weights",
        "read_weights",
        "cpu",
        "getcpu",
        "cpuset_mems",
        "pipe_pages",
        "reset",
        "echo",
        "auto",
        "bandwidth",
        "wi_state",
        "wi_auto",
        "nonsense",
    ]);
    let word = prop::sample::select(vec![
        "A",
        "B",
        "-",
        "0",
        "1",
        "3",
        "-1",
        "0x10",
        "010",
        "64",
        "65",
        "1023",
        "1024",
        "32769",
        "18446744073709551615",
        "99999999999999999999999",
        "0-3",
        "1,5",
        "0-65535",
        "none",
        "BIND",
        "INTERLEAVE|STATIC",
        "WEIGHTED_INTERLEAVE",
        "PREFERRED_MANY",
        "7",
        "NODE|ADDR",
        "MEMS_ALLOWED",
        "STRICT|MOVE",
        "MOVE_ALL",
        "A+1",
        "A+1+5",
        "0+4095",
        "shared",
        "at=4096",
        "true",
        "tru",
        "of",
        "o",
        "0x1",
        "\u{e9}",
        "x",
        "",
        "|",
        "||",
        "+",
        "A+",
    ]);
    (command, prop::collection::vec(word, 0..10)).prop_map(|(c, args)| {
        let mut line = c.to_string();
        for a in args {
            line.push(' ');
            line.push_str(a);
        }
        line
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let out = engine::run(&bytes, Some(MACHINE)).expect("the machine builds");
        prop_assert!(well_formed(&out), "{out}");
    }

    #[test]
    fn random_commands_never_panic(
        lines in prop::collection::vec(hostile_line(), 1..60),
        linux in prop::sample::select(Linux::ALL.to_vec()),
        hmat in any::<bool>(),
    ) {
        let mut script = String::from("mmap A 8\nmmap B 4 shared\n");
        for l in &lines {
            script.push_str(l);
            script.push('\n');
        }
        let machine = if hmat { HMAT_MACHINE } else { MACHINE };
        let options = Options { linux, ..Options::default() };
        let out = engine::run_with(script.as_bytes(), Some(machine), options)
            .expect("the machine builds");
        prop_assert!(well_formed(&out), "{out}");
        let results = out.lines().filter(|l| l.starts_with('L')).count();
        prop_assert_eq!(results, lines.len() + 2);
    }

    /// Any `bw=`/`lat=` topology words give a machine or an error message, never a panic.
    #[test]
    fn random_hmat_words_never_panic(
        key in prop::sample::select(vec!["bw", "lat"]),
        value in "[0-9:,;x -]{0,24}",
        extra in prop::sample::select(vec!["", " bw=1,2,3,4", " lat=-,-,-,-", " bw="]),
    ) {
        let spec = format!("nodes=4 cpus=0,1 {key}={value}{extra}");
        match engine::run(b"wi_state\nwi_auto 1\nwi_state\n", Some(&spec)) {
            Ok(out) => prop_assert!(well_formed(&out), "{out}"),
            Err(message) => prop_assert!(message.starts_with("topology: "), "{message}"),
        }
    }
}

/// Malformed `bw=`/`lat=` words and values QEMU would refuse are clear errors.
#[test]
fn malformed_hmat_words_are_errors() {
    for (words, expected) in [
        ("bw=1,,2,3", "cannot parse"),
        ("bw=1:2:3,1,1,1", "cannot parse"),
        ("lat=a,1,1,1", "cannot parse"),
        ("bw=1,2", "one value per node"),
        ("lat=0,1,1,1", "at least 1"),
        ("bw=100000,1,1,1", "QEMU refuses"),
        ("bw=99999999999999999999,1,1,1", "too large"),
    ] {
        let spec = format!("nodes=4 cpus=0,1 {words}");
        let err = engine::run(b"wi_state\n", Some(&spec)).expect_err(&spec);
        assert!(err.starts_with("topology: "), "{err}");
        assert!(err.contains(expected), "{words}: {err}");
    }
}

/// Unparsable `auto` values are EINVAL, the file is ENOENT on 6.12, and the weight files
/// answer as each release does.
#[test]
fn auto_file_values_are_answered() {
    let script = "\
wi_auto maybe
wi_auto
wi_auto 1 2
wi_auto \u{e9}
wi_auto 2
wi_auto -
wi_auto o
wi_auto off
wi_state
weights 0
wi_state 1
";
    let expect_73 = [
        "L1 err=EINVAL",
        "L2 bad=usage",
        "L3 bad=usage",
        "L4 err=EINVAL",
        "L5 err=EINVAL",
        "L6 err=EINVAL",
        "L7 err=EINVAL",
        "L8 ok",
        "L9 ok auto=false node0=4 node1=4 node2=1 node3=1",
        "L10 node0=EINVAL",
        "L11 ok auto=false node0=4",
    ];
    let expect_612 = [
        "L1 err=ENOENT",
        "L2 bad=usage",
        "L3 bad=usage",
        "L4 err=ENOENT",
        "L5 err=ENOENT",
        "L6 err=ENOENT",
        "L7 err=ENOENT",
        "L8 err=ENOENT",
        "L9 ok auto=missing node0=1 node1=1 node2=1 node3=1",
        "L10 node0=ok",
        "L11 ok auto=missing node0=1",
    ];
    for (linux, expected) in [(Linux::V7_3, expect_73), (Linux::V6_12, expect_612)] {
        let options = Options {
            linux,
            ..Options::default()
        };
        let out = engine::run_with(script.as_bytes(), Some(HMAT_MACHINE), options)
            .expect("the machine builds");
        let got: Vec<&str> = out.lines().filter(|l| l.starts_with('L')).collect();
        assert_eq!(got, expected, "{linux}");
    }
}

/// `--linux` takes 6.12 or 7.3 (default 7.3) and refuses anything else with exit status 2.
#[test]
fn the_linux_option_is_checked() {
    let dir = std::env::temp_dir().join(format!("mpolsim-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("case.txt");
    std::fs::write(&script, "wi_state\nweights 0\n").expect("script");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mpolsim"))
            .args(args)
            .arg(&script)
            .output()
            .expect("mpolsim starts")
    };
    for bad in ["7.4", "6", "", "latest", "7.3 "] {
        let out = run(&["--linux", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unknown --linux value"), "{err}");
        assert!(err.contains("usage: mpolsim [--linux 6.12|7.3]"), "{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mpolsim"))
        .arg("--linux")
        .output()
        .expect("mpolsim starts");
    assert_eq!(out.status.code(), Some(2));
    let default = String::from_utf8_lossy(&run(&[]).stdout).into_owned();
    let new = String::from_utf8_lossy(&run(&["--linux", "7.3"]).stdout).into_owned();
    let old = String::from_utf8_lossy(&run(&["--linux", "6.12"]).stdout).into_owned();
    assert_eq!(default, new);
    assert!(
        new.contains("L2 node0=EINVAL") && new.contains("auto=true"),
        "{new}"
    );
    assert!(
        old.contains("L2 node0=ok") && old.contains("auto=missing"),
        "{old}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn huge_numbers_are_refused_or_answered() {
    let script = "\
mmap A 18446744073709551615
mmap B 4 at=18446744073709547520
mmap C 4
touch C 18446744073709551615 1
where C 18446744073709551615 65536
where C 0 65537
munmap C 0 18446744073709551615
set_mempolicy 0xffffffffffffffff 0 - 0
set_mempolicy BIND 0 0-65535 18446744073709551615
get_mempolicy 0 18446744073709551615 18446744073709551615
mbind C 18446744073709551615 18446744073709551615 BIND 0 0 64 0
home_node C 0 18446744073709551615 18446744073709551615 0
move C 0 1 -9223372036854775808
cpu 18446744073709551615
pipe_pages 18446744073709551615
read_weights 18446744073709551615
weights 99999999999999999999 -1 0x100
bandwidth 63 18446744073709551615 18446744073709551615
migrate_pages 0-65535 0-65535 18446744073709551615
";
    let out = engine::run(script.as_bytes(), Some(MACHINE)).expect("the machine builds");
    assert!(well_formed(&out));
    let get = |n: usize| {
        out.lines()
            .find(|l| l.starts_with(&format!("L{n} ")))
            .unwrap_or_else(|| panic!("line {n} missing:\n{out}"))
            .to_string()
    };
    assert_eq!(get(1), "L1 err=ENOMEM");
    assert_eq!(get(4), "L4 sig=SIGSEGV page=0");
    assert_eq!(get(6), "L6 bad=range");
    assert_eq!(get(8), "L8 err=EINVAL");
    assert_eq!(get(14), "L14 bad=usage");
    assert!(
        get(15).starts_with("L15 err=EAGAIN page=1024"),
        "{}",
        get(15)
    );
}

#[test]
fn a_hundred_thousand_lines() {
    let mut script = String::from("mmap A 64\nset_mempolicy INTERLEAVE 0 0-3 64\n");
    let body = [
        "touch A 0 64",
        "where A 0 4",
        "get_mempolicy NODE",
        "mbind A 0 8 BIND 0 1 64 MOVE",
        "mbind A 0 8 DEFAULT 0 - 0 0",
        "pipe_pages 1",
        "bogus line here",
        "reset",
        "mmap A 64",
        "set_mempolicy WEIGHTED_INTERLEAVE 0 0-3 64",
    ];
    for i in 0..100_000 {
        script.push_str(body[i % body.len()]);
        script.push('\n');
    }
    let out = engine::run(script.as_bytes(), Some(MACHINE)).expect("the machine builds");
    assert!(well_formed(&out));
    assert_eq!(out.lines().filter(|l| l.starts_with('L')).count(), 100_002);
    assert_eq!(out.matches("bad=unknown_command").count(), 10_000);
}

//! Hostile scripts for `mpolsim`: random bytes, huge numbers and very long scripts give
//! result lines (`bad=…` where the oracle would refuse the line) and never a panic.

use mpolsim as engine;

use proptest::prelude::*;

const MACHINE: &str =
    "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

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
    fn random_commands_never_panic(lines in prop::collection::vec(hostile_line(), 1..60)) {
        let mut script = String::from("mmap A 8\nmmap B 4 shared\n");
        for l in &lines {
            script.push_str(l);
            script.push('\n');
        }
        let out = engine::run(script.as_bytes(), Some(MACHINE)).expect("the machine builds");
        prop_assert!(well_formed(&out), "{out}");
        let results = out.lines().filter(|l| l.starts_with('L')).count();
        prop_assert_eq!(results, lines.len() + 2);
    }
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

//! Every firmware fixture of `conformance/firmware/`: the ACPI tables a real Linux read
//! (its `table=… hex=…` lines), parsed by the crate, must give every line Linux printed about
//! them: node states, each node's CPUs and distances, the zonelist fallback orders, the
//! automatic interleave weights, the HMAT access classes, and the SRAT memory, proximity
//! domain and CPU lines of `numa_layout`.

use std::path::PathBuf;
use std::process::Command;

use mempolicy::firmware::{AcpiTables, NumaLayout, TableUse};
use mempolicy::Linux;
use mpolsim::firmware::{derive, expected, parse_recording};

fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/firmware");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "out"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 5,
        "expected the recorded fixtures, found {}",
        out.len()
    );
    out
}

/// The release a recording was made on.
fn release(recording: &str) -> Linux {
    let kernel = recording
        .lines()
        .find_map(|l| l.strip_prefix("# kernel="))
        .expect("a # kernel= line");
    if kernel.starts_with("6.12") {
        Linux::V6_12
    } else {
        assert!(kernel.starts_with("7.3"), "{kernel}");
        Linux::V7_3
    }
}

#[test]
fn every_fixture_line_is_reproduced() {
    for (name, text) in fixtures() {
        let tables = parse_recording(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            tables.srat.is_some() && tables.madt.is_some(),
            "{name}: tables"
        );
        let want = expected(&text);
        let linux = release(&text);
        let got = derive(&tables, linux).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Linux 7.3 prints the automatic weights; 6.12 has none.
        let auto = want.iter().any(|l| l.starts_with("# wi_auto="));
        assert_eq!(auto, linux.has_auto_weights(), "{name}");
        for kind in [
            "# online=",
            "# node0 cpus=",
            "# node0 fallback=",
            "L4 srat_mem ",
            "L4 pxm ",
            "L4 cpu ",
        ] {
            assert!(
                want.iter().any(|l| l.starts_with(kind)),
                "{name}: no {kind} line recorded"
            );
        }
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_crate_ignores_the_slit_and_hmat_exactly_when_linux_says_it_did() {
    for (name, text) in fixtures() {
        let tables = parse_recording(&text).unwrap();
        let mut acpi = AcpiTables::new();
        if let Some(b) = &tables.srat {
            acpi = acpi.srat(b);
        }
        if let Some(b) = &tables.slit {
            acpi = acpi.slit(b);
        }
        if let Some(b) = &tables.hmat {
            acpi = acpi.hmat(b);
        }
        if let Some(b) = &tables.madt {
            acpi = acpi.madt(b);
        }
        let layout = NumaLayout::from_acpi(&acpi).unwrap();
        let logged = |what: &str| {
            text.lines()
                .any(|l| l.starts_with("L4 klog") && l.contains(what))
        };
        let access = expected(&text).iter().any(|l| l.contains(" access"));
        match layout.hmat_use() {
            TableUse::Absent => assert!(tables.hmat.is_none() && !access, "{name}"),
            TableUse::Used => assert!(access && !logged("acpi/hmat: Ignoring"), "{name}"),
            TableUse::Ignored(_) => assert!(!access && logged("acpi/hmat: Ignoring"), "{name}"),
            TableUse::Unused => panic!("{name}: the fixtures all have an SRAT with memory"),
        }
        let slit_refused = logged("SLIT table looks invalid");
        match layout.slit_use() {
            TableUse::Absent => assert!(tables.slit.is_none(), "{name}"),
            TableUse::Used => assert!(!slit_refused, "{name}"),
            TableUse::Ignored(_) => assert!(slit_refused, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn the_binary_prints_the_lines_and_refuses_bad_input_with_exit_2() {
    let bin = env!("CARGO_BIN_EXE_mpolsim");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/firmware");
    let f01 = dir.join("f01.out");
    let out = Command::new(bin)
        .arg("--firmware")
        .arg(&f01)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&f01).unwrap();
    let printed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(printed, expected(&text));

    // The 6.12 recording with --linux 6.12: no automatic weights line.
    let old = dir.join("f01-linux6.12.out");
    let out = Command::new(bin)
        .args(["--linux", "6.12", "--firmware"])
        .arg(&old)
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(printed, expected(&std::fs::read_to_string(&old).unwrap()));

    let scratch = std::env::temp_dir().join(format!("mpolsim-fw-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    // A flipped byte breaks the SRAT checksum; a cut hex= breaks len=; no tables at all.
    let flipped = text.replacen("hex=5352415440", "hex=5352415441", 1);
    let cut = text.replacen("len=60 hex=534c4954", "len=61 hex=534c4954", 1);
    for (case, body) in [
        ("checksum", flipped),
        ("len", cut),
        ("empty", String::new()),
    ] {
        let path = scratch.join(case);
        std::fs::write(&path, body).unwrap();
        let out = Command::new(bin)
            .arg("--firmware")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{case}");
        assert!(out.stdout.is_empty(), "{case}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("mpolsim: "), "{case}: {err}");
        assert!(!err.contains("panicked"), "{case}: {err}");
    }
    let out = Command::new(bin).arg("--firmware").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&scratch).unwrap();
}

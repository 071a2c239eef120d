//! Replays the recorded conformance cases through `mpolsim`, each with the kernel release it
//! was recorded on (`conformance/linux-6.12/` with `--linux 6.12`, `conformance/linux-7.3/`
//! with `--linux 7.3`), and requires every `L` line, every `# nodeN fallback=` line and
//! every `# wi_auto=` and `# nodeN accessK` line to be byte-identical to the kernel's.

use mpolsim as engine;

use std::fs;

use engine::{Linux, Options};
use mempolicy_testkit::recorded;

/// The 4-node SLIT of the recorded machine (`run.sh`'s default for 4 nodes).
const DIST4: &str = "dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10";

/// The `run.sh` NODES_SPEC of each topology tag (see `conformance/README.md`).
fn spec_of(tag: &str) -> String {
    let spec = match tag {
        "n4" => "nodes=4 cpus=0,1 mem=256 DIST4",
        "n2" => "nodes=2 cpus=0,1 mem=256",
        "n8" => "nodes=8 cpus=0,1,2,3 mem=128",
        "n4ml1" => "nodes=4 cpus=0,1 mem=256,0,256,256 DIST4",
        "n4ml0" => "nodes=4 cpus=0,1 mem=0,256,256,256 DIST4",
        "n4cpu02" => "nodes=4 cpus=0,2 mem=256",
        "n8ml13" => "nodes=8 cpus=0,1,2,3 mem=128,0,128,0,128,128,128,128",
        "n2ml1" => "nodes=2 cpus=0,1 mem=256,0",
        "n4tie" => "nodes=4 cpus=0,1 mem=256 dist=10,20,20,20/20,10,20,20/20,20,10,20/20,20,20,10",
        "n4cpu03ml3" => "nodes=4 cpus=0,3 mem=256,256,256,0 DIST4",
        "n4bwcxl" => "nodes=4 cpus=0,1 mem=256 bw=100000,100000,25000,25000 lat=80,80,250,250",
        "n4bwrw" => {
            "nodes=4 cpus=0,1 mem=256 bw=100000:40000,60000,20000:90000,30000 \
             lat=100:120,100,300:200,250"
        }
        "n2bw" => "nodes=2 cpus=0,1 mem=256 bw=51200,12800 lat=90,180",
        "n8bw" => {
            "nodes=8 cpus=0,1,2,3 mem=128 bw=80000,80000,80000,80000,30000,30000,10000,- \
             lat=70,70,70,70,200,200,-,-"
        }
        "n4cpu02bw" => "nodes=4 cpus=0,2 mem=256 bw=90000,20000,90000:45000,20000",
        "n6bw" => {
            "nodes=6 cpus=0,1 mem=256,256,128,128,64,64 \
             bw=120000,120000,33000,33000,7000,7000 lat=85,85,240,240,605,600"
        }
        "n4ml1bw" => "nodes=4 cpus=0,1 mem=256,0,256,256 DIST4 bw=100000,100000,25000,25000",
        "n4lat" => "nodes=4 cpus=0,1 mem=256 DIST4 lat=80,80,250,250",
        "n2lattrunc" => "nodes=2 cpus=0 mem=256 lat=100000,1 bw=1,65534",
        other => panic!("unknown topology tag {other}"),
    };
    spec.replace("DIST4", DIST4)
}

fn compared_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| {
            l.starts_with('L')
                || l.starts_with("# wi_auto=")
                || (l.starts_with("# node") && (l.contains(" fallback=") || l.contains(" access")))
        })
        .collect()
}

/// Replays every recording of `dir` with kernel release `linux`; returns the number of
/// recordings and of matched lines, or the differences.
fn replay(dir: &str, linux: Linux) -> (usize, usize, Vec<String>) {
    let root = recorded::conformance_dir();
    let mut recordings: Vec<_> = fs::read_dir(root.join(dir))
        .expect("recordings directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "out"))
        .collect();
    recordings.sort();
    let mut failures = Vec::new();
    let mut matched = 0;
    for rec in &recordings {
        let stem = rec.file_stem().and_then(|s| s.to_str()).expect("file name");
        let (case, tag) = stem.split_once('@').expect("CASE@TOPOLOGY.out");
        let script = fs::read(root.join("cases").join(format!("{case}.txt"))).expect("case file");
        let expected = fs::read_to_string(rec).expect("recording");
        let options = Options {
            linux,
            ..Options::default()
        };
        let actual = engine::run_with(&script, Some(&spec_of(tag)), options).expect("mpolsim runs");
        let want = compared_lines(&expected);
        let got = compared_lines(&actual);
        for (i, w) in want.iter().enumerate() {
            let number = w
                .strip_prefix('L')
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok());
            let smaller_kernel = number.is_some_and(|n| {
                String::from_utf8_lossy(&script)
                    .lines()
                    .nth(n - 1)
                    .is_some_and(recorded::names_node_beyond_this_build)
            });
            match got.get(i) {
                Some(g) if g == w => matched += 1,
                Some(g)
                    if smaller_kernel && *g == format!("L{} err=EINVAL", number.unwrap_or(0)) =>
                {
                    matched += 1
                }
                Some(g) => failures.push(format!("{dir}/{stem}:\n  kernel: {w}\n  ours:   {g}")),
                None => failures.push(format!("{dir}/{stem}: missing line, kernel: {w}")),
            }
        }
        if got.len() > want.len() {
            failures.push(format!(
                "{dir}/{stem}: {} extra lines",
                got.len() - want.len()
            ));
        }
    }
    (recordings.len(), matched, failures)
}

fn check(dir: &str, linux: Linux, at_least: usize) {
    let (recordings, matched, failures) = replay(dir, linux);
    assert!(recordings >= at_least, "recordings are missing in {dir}");
    assert!(
        failures.is_empty(),
        "{} lines differ ({matched} matched):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_linux_6_12_line_matches() {
    check("linux-6.12", Linux::V6_12, 70);
}

#[test]
fn every_linux_7_3_line_matches() {
    check("linux-7.3", Linux::V7_3, 25);
}

/// The kernels differ where `deltas` says: replaying a recording with the other release
/// must fail, so the profile is what makes each one match.
#[test]
fn each_release_disagrees_with_the_other_kernels_recording() {
    let root = recorded::conformance_dir();
    let script = fs::read(root.join("cases/deltas.txt")).expect("case file");
    for (dir, other) in [("linux-6.12", Linux::V7_3), ("linux-7.3", Linux::V6_12)] {
        let expected =
            fs::read_to_string(root.join(dir).join("deltas@n4cpu03ml3.out")).expect("recording");
        let options = Options {
            linux: other,
            ..Options::default()
        };
        let actual =
            engine::run_with(&script, Some(&spec_of("n4cpu03ml3")), options).expect("mpolsim runs");
        assert_ne!(compared_lines(&expected), compared_lines(&actual), "{dir}");
    }
}

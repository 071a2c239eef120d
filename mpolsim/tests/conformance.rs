//! Replays the recorded Linux 6.12 conformance cases through `mpolsim` and requires every `L`
//! line and every `# nodeN fallback=` line to be byte-identical to the kernel's.

use mpolsim as engine;

use std::fs;

use mempolicy_testkit::recorded;

/// The `run.sh` NODES_SPEC of each topology tag (see `conformance/README.md`).
fn spec_of(tag: &str) -> &'static str {
    match tag {
        "n4" => "nodes=4 cpus=0,1 mem=256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10",
        "n2" => "nodes=2 cpus=0,1 mem=256",
        "n8" => "nodes=8 cpus=0,1,2,3 mem=128",
        "n4ml1" => {
            "nodes=4 cpus=0,1 mem=256,0,256,256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10"
        }
        "n4ml0" => {
            "nodes=4 cpus=0,1 mem=0,256,256,256 dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10"
        }
        "n4cpu02" => "nodes=4 cpus=0,2 mem=256",
        "n8ml13" => "nodes=8 cpus=0,1,2,3 mem=128,0,128,0,128,128,128,128",
        "n2ml1" => "nodes=2 cpus=0,1 mem=256,0",
        "n4tie" => "nodes=4 cpus=0,1 mem=256 dist=10,20,20,20/20,10,20,20/20,20,10,20/20,20,20,10",
        other => panic!("unknown topology tag {other}"),
    }
}

fn compared_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with('L') || (l.starts_with("# node") && l.contains(" fallback=")))
        .collect()
}

#[test]
fn every_recorded_line_matches() {
    let root = recorded::conformance_dir();
    let mut recordings: Vec<_> = fs::read_dir(root.join("linux-6.12"))
        .expect("recordings directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "out"))
        .collect();
    recordings.sort();
    assert!(recordings.len() >= 16, "recordings are missing");
    let mut failures = Vec::new();
    let mut matched = 0;
    for rec in &recordings {
        let stem = rec.file_stem().and_then(|s| s.to_str()).expect("file name");
        let (case, tag) = stem.split_once('@').expect("CASE@TOPOLOGY.out");
        let script = fs::read(root.join("cases").join(format!("{case}.txt"))).expect("case file");
        let expected = fs::read_to_string(rec).expect("recording");
        let actual = engine::run(&script, Some(spec_of(tag))).expect("mpolsim runs");
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
                Some(g) => failures.push(format!("{stem}:\n  kernel: {w}\n  ours:   {g}")),
                None => failures.push(format!("{stem}: missing line, kernel: {w}")),
            }
        }
        if got.len() > want.len() {
            failures.push(format!("{stem}: {} extra lines", got.len() - want.len()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} lines differ ({matched} matched):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

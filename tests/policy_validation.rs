//! Replays the `set_mempolicy` / `get_mempolicy` lines of the conformance smoke set
//! (`conformance/cases/smoke.txt` L8-L54, recorded on Linux 6.12 in a 4-node VM) through
//! `NodeMask::from_user_slice` + `Mempolicy::from_raw`, and the cpuset rebinding lines of
//! `cases/cpuset.txt` through `Mempolicy::rebind`.

use mempolicy::policy::{Mempolicy, Mode, NodeContext};
use mempolicy::{Error, NodeId, NodeMask};

/// The script interpreter for the few commands these lines use.
struct Task {
    policy: Option<Mempolicy>,
    ctx: NodeContext,
}

impl Task {
    fn new() -> Self {
        let all: NodeMask = "0-3".parse().unwrap();
        Self {
            policy: None,
            ctx: NodeContext::unrestricted(all),
        }
    }

    /// `set_mempolicy MODE FLAGS NODES MAXNODE` in the oracle's syntax.
    fn set_mempolicy(&mut self, mode: &str, flags: &str, nodes: &str, maxnode: u64) -> String {
        let raw = parse_mode(mode) | parse_mode(flags);
        let words = user_words(nodes);
        let result = Mempolicy::sanitize_mode(raw)
            .and_then(|_| NodeMask::from_user_slice(words.as_deref(), maxnode))
            .and_then(|mask| Mempolicy::from_raw(raw, &mask, &self.ctx));
        match result {
            Ok(policy) => {
                self.policy = policy;
                "ret=0".into()
            }
            Err(e) => format!("err={}", e.errno_name()),
        }
    }

    /// `get_mempolicy 0 64`.
    fn get(&self) -> String {
        let default = Mempolicy::default_policy();
        let pol = self.policy.as_ref().unwrap_or(&default);
        format!(
            "ret=0 mode={}{} nodes={}",
            pol.reported_mode().uapi_name(),
            pol.flags(),
            pol.user_visible_nodes().display_or_none()
        )
    }

    /// `get_mempolicy NODE 64` right after the policy was set or rebound (no allocation
    /// since): the cursor is at `MAX_NUMNODES - 1`, so the next node is the first one.
    fn get_node(&self) -> String {
        let pol = self.policy.as_ref().expect("an interleave policy");
        assert!(pol.mode().is_interleave());
        let node = pol.nodes().next_in(NodeId::MAX).expect("a node");
        format!(
            "ret=0 node={node} nodes={}",
            pol.user_visible_nodes().display_or_none()
        )
    }

    /// `cpuset_mems NODES`: the cgroup's effective mems change and the policy is rebound.
    fn cpuset_mems(&mut self, mems: &str) -> String {
        let mems: NodeMask = mems.parse().unwrap();
        self.ctx.mems_allowed = mems;
        if let Some(pol) = self.policy.as_mut() {
            pol.rebind(&mems);
        }
        "ret=0".into()
    }

    fn run(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["set_mempolicy", mode, flags, nodes, maxnode] => {
                self.set_mempolicy(mode, flags, nodes, maxnode.parse().unwrap())
            }
            ["get_mempolicy", "0", "64"] => self.get(),
            ["get_mempolicy", "NODE", "64"] => self.get_node(),
            ["get_mempolicy", "MEMS_ALLOWED", "64"] => {
                format!(
                    "ret=0 mode=DEFAULT nodes={}",
                    self.ctx.mems_allowed.display_or_none()
                )
            }
            ["cpuset_mems", mems] => self.cpuset_mems(mems),
            _ => panic!("unsupported line {line}"),
        }
    }
}

/// `MODE`/`FLAGS` items joined with `|`: names or numbers.
fn parse_mode(text: &str) -> i32 {
    text.split('|')
        .map(|item| match item {
            "0" => 0,
            "DEFAULT" => 0,
            "PREFERRED" => 1,
            "BIND" => 2,
            "INTERLEAVE" => 3,
            "LOCAL" => 4,
            "PREFERRED_MANY" => 5,
            "WEIGHTED_INTERLEAVE" => 6,
            "STATIC_NODES" => 0x8000,
            "RELATIVE_NODES" => 0x4000,
            "NUMA_BALANCING" => 0x2000,
            hex if hex.starts_with("0x") => i32::from_str_radix(&hex[2..], 16).unwrap(),
            num => num.parse().unwrap(),
        })
        .fold(0, |acc, v| acc | v)
}

/// `NODES`: `-` is NULL, `none` an all-zero buffer, else a list; the buffer is 8 KiB.
fn user_words(text: &str) -> Option<Vec<u64>> {
    if text == "-" {
        return None;
    }
    let mut words = vec![0u64; 1024];
    if text != "none" {
        for part in text.split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (lo.parse::<usize>().unwrap(), hi.parse::<usize>().unwrap()),
                None => (part.parse().unwrap(), part.parse().unwrap()),
            };
            for bit in lo..=hi {
                words[bit / 64] |= 1 << (bit % 64);
            }
        }
    }
    Some(words)
}

fn replay(script: &[(u32, &str, &str)]) {
    let mut task = Task::new();
    for &(line, command, expected) in script {
        assert_eq!(task.run(command), expected, "L{line}: {command}");
    }
}

/// Bit 1023 is inside the mask only when `MAX_NUMNODES` is 1024, as in the recorded kernel.
const L53: &str = if cfg!(feature = "nodes-1024") {
    "ret=0"
} else {
    "err=EINVAL"
};

/// smoke.txt L8-L54 and the recorded answers (results/smoke.out).
const SMOKE: &[(u32, &str, &str)] = &[
    (8, "set_mempolicy DEFAULT 0 - 0", "ret=0"),
    (9, "get_mempolicy 0 64", "ret=0 mode=DEFAULT nodes=none"),
    (10, "set_mempolicy DEFAULT 0 0 64", "err=EINVAL"),
    (11, "set_mempolicy DEFAULT 0 none 64", "ret=0"),
    (12, "set_mempolicy BIND 0 none 64", "err=EINVAL"),
    (13, "set_mempolicy BIND 0 - 0", "err=EINVAL"),
    (14, "set_mempolicy INTERLEAVE 0 none 64", "err=EINVAL"),
    (
        15,
        "set_mempolicy WEIGHTED_INTERLEAVE 0 none 64",
        "err=EINVAL",
    ),
    (16, "set_mempolicy PREFERRED_MANY 0 none 64", "err=EINVAL"),
    (17, "set_mempolicy PREFERRED 0 none 64", "ret=0"),
    (18, "get_mempolicy 0 64", "ret=0 mode=LOCAL nodes=none"),
    (
        19,
        "set_mempolicy PREFERRED STATIC_NODES none 64",
        "err=EINVAL",
    ),
    (20, "set_mempolicy LOCAL 0 - 0", "ret=0"),
    (21, "get_mempolicy 0 64", "ret=0 mode=LOCAL nodes=none"),
    (22, "set_mempolicy LOCAL 0 1 64", "err=EINVAL"),
    (
        23,
        "set_mempolicy LOCAL RELATIVE_NODES none 64",
        "err=EINVAL",
    ),
    (24, "set_mempolicy PREFERRED 0 1-3 64", "ret=0"),
    (25, "get_mempolicy 0 64", "ret=0 mode=PREFERRED nodes=1"),
    (27, "set_mempolicy BIND 0 5 64", "err=EINVAL"),
    (28, "set_mempolicy BIND 0 1,5 64", "ret=0"),
    (29, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
    (30, "set_mempolicy BIND STATIC_NODES 1,5 64", "ret=0"),
    (
        31,
        "get_mempolicy 0 64",
        "ret=0 mode=BIND|STATIC_NODES nodes=1,5",
    ),
    (32, "set_mempolicy INTERLEAVE RELATIVE_NODES 5 64", "ret=0"),
    (
        33,
        "get_mempolicy 0 64",
        "ret=0 mode=INTERLEAVE|RELATIVE_NODES nodes=5",
    ),
    (34, "get_mempolicy NODE 64", "ret=0 node=1 nodes=5"),
    (
        36,
        "set_mempolicy BIND STATIC_NODES|RELATIVE_NODES 0 64",
        "err=EINVAL",
    ),
    (37, "set_mempolicy 7 0 0 64", "err=EINVAL"),
    (38, "set_mempolicy BIND 0x1000 0 64", "err=EINVAL"),
    (39, "set_mempolicy BIND NUMA_BALANCING 0-1 64", "ret=0"),
    (
        40,
        "get_mempolicy 0 64",
        "ret=0 mode=BIND|NUMA_BALANCING nodes=0-1",
    ),
    (
        41,
        "set_mempolicy INTERLEAVE NUMA_BALANCING 0-1 64",
        "err=EINVAL",
    ),
    (
        42,
        "set_mempolicy PREFERRED_MANY NUMA_BALANCING 2-3 64",
        "ret=0",
    ),
    (
        43,
        "get_mempolicy 0 64",
        "ret=0 mode=PREFERRED_MANY|NUMA_BALANCING nodes=2-3",
    ),
    (45, "set_mempolicy BIND 0 0 0", "err=EINVAL"),
    (46, "set_mempolicy BIND 0 0 1", "err=EINVAL"),
    (47, "set_mempolicy BIND 0 0 2", "ret=0"),
    (48, "set_mempolicy BIND 0 3 4", "err=EINVAL"),
    (49, "set_mempolicy BIND 0 3 5", "ret=0"),
    (50, "set_mempolicy BIND 0 0 32769", "ret=0"),
    (51, "set_mempolicy BIND 0 0 32770", "err=EINVAL"),
    (52, "set_mempolicy BIND 0 0,2000 4096", "err=EINVAL"),
    (53, "set_mempolicy BIND 0 0,1023 1025", L53),
    (54, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=0"),
];

#[test]
fn smoke_set_mempolicy_lines_match_linux() {
    replay(SMOKE);
}

#[test]
fn cpuset_rebinding_lines_match_linux() {
    // cpuset.txt L6-L52 (results/cpuset.out). The cursor reads (get_mempolicy NODE) follow
    // a fresh set_mempolicy or a rebind with no allocation in between.
    replay(&[
        (6, "set_mempolicy INTERLEAVE 0 0-3 64", "ret=0"),
        (7, "cpuset_mems 0-1", "ret=0"),
        (
            8,
            "get_mempolicy MEMS_ALLOWED 64",
            "ret=0 mode=DEFAULT nodes=0-1",
        ),
        (9, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=0-1"),
        (10, "cpuset_mems 2-3", "ret=0"),
        (11, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=2-3"),
        (12, "cpuset_mems 0-3", "ret=0"),
        (13, "get_mempolicy 0 64", "ret=0 mode=INTERLEAVE nodes=0-1"),
        (15, "set_mempolicy BIND 0 3 64", "ret=0"),
        (16, "cpuset_mems 0-1", "ret=0"),
        (17, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
        (18, "cpuset_mems 0-3", "ret=0"),
        (19, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
        (22, "set_mempolicy INTERLEAVE STATIC_NODES 1-2 64", "ret=0"),
        (23, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1-2"),
        (24, "cpuset_mems 2-3", "ret=0"),
        (
            25,
            "get_mempolicy 0 64",
            "ret=0 mode=INTERLEAVE|STATIC_NODES nodes=1-2",
        ),
        (26, "get_mempolicy NODE 64", "ret=0 node=2 nodes=1-2"),
        (27, "cpuset_mems 0", "ret=0"),
        (
            28,
            "get_mempolicy 0 64",
            "ret=0 mode=INTERLEAVE|STATIC_NODES nodes=1-2",
        ),
        (29, "get_mempolicy NODE 64", "ret=0 node=0 nodes=1-2"),
        (30, "cpuset_mems 0-3", "ret=0"),
        (31, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1-2"),
        (34, "set_mempolicy INTERLEAVE RELATIVE_NODES 1 64", "ret=0"),
        (35, "get_mempolicy NODE 64", "ret=0 node=1 nodes=1"),
        (36, "cpuset_mems 2-3", "ret=0"),
        (
            37,
            "get_mempolicy 0 64",
            "ret=0 mode=INTERLEAVE|RELATIVE_NODES nodes=1",
        ),
        (38, "get_mempolicy NODE 64", "ret=0 node=3 nodes=1"),
        (39, "cpuset_mems 1,3", "ret=0"),
        (40, "get_mempolicy NODE 64", "ret=0 node=3 nodes=1"),
        (41, "cpuset_mems 0-3", "ret=0"),
        (44, "cpuset_mems 0-1", "ret=0"),
        (45, "set_mempolicy BIND 0 2-3 64", "err=EINVAL"),
        (46, "set_mempolicy BIND 0 1-3 64", "ret=0"),
        (47, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
        (48, "set_mempolicy BIND STATIC_NODES 2-3 64", "err=EINVAL"),
        (49, "get_mempolicy 0 64", "ret=0 mode=BIND nodes=1"),
        (
            50,
            "set_mempolicy INTERLEAVE RELATIVE_NODES 2-3 64",
            "ret=0",
        ),
        (
            51,
            "get_mempolicy 0 64",
            "ret=0 mode=INTERLEAVE|RELATIVE_NODES nodes=2-3",
        ),
        (52, "get_mempolicy NODE 64", "ret=0 node=0 nodes=2-3"),
    ]);
}

#[test]
fn errors_name_the_exact_mistake() {
    let ctx = NodeContext::unrestricted("0-3".parse().unwrap());
    let none = NodeMask::new();
    assert_eq!(
        Mempolicy::from_raw(7, &none, &ctx).unwrap_err(),
        Error::UnknownMode(7)
    );
    assert_eq!(
        NodeMask::from_user_slice(Some(&[1]), 0).unwrap_err(),
        Error::MaxnodeTooLarge(0)
    );
    let pol = Mempolicy::from_raw(Mode::Bind.as_raw(), &"1-2".parse().unwrap(), &ctx)
        .unwrap()
        .unwrap();
    assert_eq!(pol.to_string(), "bind:1-2");
}

//! Replays the `set_mempolicy` / `get_mempolicy` lines of the conformance smoke set
//! (`conformance/cases/smoke.txt` L8-L54, recorded on Linux 6.12 in a 4-node VM) through
//! `NodeMask::from_user_slice` + `Mempolicy::from_raw`, and the cpuset rebinding lines of
//! `cases/cpuset.txt` through `Mempolicy::rebind`.

use mempolicy::policy::{Mempolicy, Mode, NodeContext};
use mempolicy::{Error, NodeId, NodeMask};

use mempolicy_testkit::recorded;

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

fn replay(rows: &[recorded::Row]) {
    let mut task = Task::new();
    for row in rows {
        assert_eq!(
            task.run(&row.command),
            row.expected,
            "L{}: {}",
            row.line,
            row.command
        );
    }
}

#[test]
fn smoke_set_mempolicy_lines_match_linux() {
    replay(&recorded::rows("smoke", "n4", 8..=54));
}

#[test]
fn cpuset_rebinding_lines_match_linux() {
    // The cursor reads (get_mempolicy NODE) follow a fresh set_mempolicy or a rebind with no
    // allocation in between.
    replay(&recorded::rows("cpuset", "n4", 6..=52));
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

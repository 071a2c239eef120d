//! The weighted-interleave sysfs commands of the script language (`weights`,
//! `read_weights`, `wi_state`, `wi_auto`, and the mpolsim extensions `auto` and
//! `bandwidth`), the `# wi_auto=` and `# nodeN accessK` header lines, all answered by the
//! crate's [`WeightTable`](mempolicy::weights::WeightTable) for the simulated kernel release.

use std::borrow::Cow;

use mempolicy::topology::AccessClass;
use mempolicy::{Error, NodeId};

use mempolicy_testkit::script;

use crate::sim::Sim;

/// The most files `wi_state` may name (the oracle's limit), and how far `read_weights`
/// without a count looks.
const MAX_FILES: u64 = 1024;
/// The most files a simulated `read_weights N` reads (the oracle would read N).
const MAX_READ: u64 = 1 << 16;

/// A script token as the bytes the oracle writes to a sysfs file, as text (invalid UTF-8
/// becomes U+FFFD, which no Linux parser here accepts either, so the answer is unchanged).
fn text(token: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(token)
}

fn err_name(e: Error) -> &'static str {
    e.errno_name()
}

/// `NodeId` of weight file number `i`, if a node can have that number.
fn node(i: u64) -> Option<NodeId> {
    NodeId::try_new(i).ok()
}

impl Sim<'_> {
    /// The nodes the oracle has a node directory for (`/sys/devices/system/node/nodeN`:
    /// the online nodes), as a count from node 0.
    fn node_dirs(&self) -> u64 {
        self.topo
            .online_nodes()
            .last()
            .map_or(0, |n| n.index() as u64 + 1)
    }

    /// Reads weight file `i`: its value, or `None` when the file does not exist.
    fn weight_file(&self, i: u64) -> Option<u8> {
        node(i).and_then(|n| self.weights().show_node(n).ok())
    }

    /// The `auto` file's value (`true`/`false`) or `missing`.
    fn auto_file(&self) -> &'static str {
        match self.weights().show_auto() {
            Ok(value) => value.trim_end(),
            Err(_) => "missing",
        }
    }

    /// `weights W0 W1 …`: writes each value to `nodeI` (`-` skips it).
    pub(crate) fn cmd_weights(&mut self, t: &[&[u8]], n: usize) -> String {
        if n < 2 {
            return " bad=usage".into();
        }
        let mut s = String::new();
        for (i, w) in t[1..].iter().enumerate() {
            if *w == b"-" {
                s.push_str(&format!(" node{i}=skip"));
                continue;
            }
            let result = match node(i as u64) {
                Some(node) => self.weights().store_node(node, &text(w)),
                None => Err(Error::NotFound),
            };
            match result {
                Ok(()) => s.push_str(&format!(" node{i}=ok")),
                Err(e) => s.push_str(&format!(" node{i}={}", err_name(e))),
            }
        }
        s
    }

    /// `read_weights [N]`: reads `node0`, `node1`, … until a file is missing, or exactly N
    /// files (a missing one prints `missing`).
    pub(crate) fn cmd_read_weights(&mut self, t: &[&[u8]], n: usize) -> String {
        if n > 2 {
            return " bad=usage".into();
        }
        let mut max = MAX_FILES;
        if n == 2 {
            match script::parse_num(t[1]) {
                Some(v) => max = v.min(MAX_READ),
                None => return " bad=count".into(),
            }
        }
        let mut s = " ok".to_string();
        for i in 0..max {
            match self.weight_file(i) {
                Some(w) => s.push_str(&format!(" node{i}={w}")),
                None if n == 2 => s.push_str(&format!(" node{i}=missing")),
                None => break,
            }
        }
        s
    }

    /// `wi_state [N]`: the `auto` file and `node0` … `node<N-1>` (default: one per node
    /// directory), `missing` for a file that does not exist.
    pub(crate) fn cmd_wi_state(&mut self, t: &[&[u8]], n: usize) -> String {
        if n > 2 {
            return " bad=usage".into();
        }
        let max = if n == 2 {
            match script::parse_num(t[1]).filter(|&v| v <= MAX_FILES) {
                Some(v) => v,
                None => return " bad=count".into(),
            }
        } else {
            self.node_dirs()
        };
        let mut s = format!(" ok auto={}", self.auto_file());
        for i in 0..max {
            match self.weight_file(i) {
                Some(w) => s.push_str(&format!(" node{i}={w}")),
                None => s.push_str(&format!(" node{i}=missing")),
            }
        }
        s
    }

    /// `wi_auto VALUE`: writes VALUE to the `auto` file.
    pub(crate) fn cmd_wi_auto(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 2 {
            return " bad=usage".into();
        }
        match self.weights().store_auto(&text(t[1])) {
            Ok(()) => " ok".into(),
            Err(e) => format!(" err={}", err_name(e)),
        }
    }

    /// `auto VALUE`: writes `weighted_interleave/auto` and reports the mode (an mpolsim
    /// extension that predates `wi_auto`).
    pub(crate) fn cmd_auto(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 2 {
            return " bad=usage".into();
        }
        match self.weights().store_auto(&text(t[1])) {
            Ok(()) => format!(" ok auto={}", self.auto_file()),
            Err(e) => format!(" err={}", err_name(e)),
        }
    }

    /// `bandwidth NODE READ WRITE`: the firmware reports a node's bandwidth (Linux:
    /// `mempolicy_set_node_perf` from HMAT/CDAT, MB/s; an mpolsim extension).
    pub(crate) fn cmd_bandwidth(&mut self, t: &[&[u8]], n: usize) -> String {
        if n != 4 {
            return " bad=usage".into();
        }
        let (Some(node), Some(read), Some(write)) = (
            script::parse_num(t[1]),
            script::parse_num(t[2]),
            script::parse_num(t[3]),
        ) else {
            return " bad=usage".into();
        };
        let result = NodeId::try_new(node)
            .and_then(|node| self.weights().set_node_bandwidth(node, read, write));
        match result {
            Ok(()) => " ret=0".into(),
            Err(e) => format!(" err={}", err_name(e)),
        }
    }

    /// The header lines the oracle prints after `# weighted_interleave_sysfs=`: the mode and
    /// weights at boot where the kernel has the `auto` file, then each node's HMAT
    /// performance per access class where Linux registered it.
    pub(crate) fn sysfs_header(&self) -> String {
        let mut h = String::new();
        let dirs = self.node_dirs();
        if self.weights().show_auto().is_ok() {
            h.push_str(&format!("# wi_auto={} weights:", self.auto_file()));
            for i in 0..dirs {
                match self.weight_file(i) {
                    Some(w) => h.push_str(&format!(" node{i}={w}")),
                    None => h.push_str(&format!(" node{i}=missing")),
                }
            }
            h.push('\n');
        }
        for node in (0..dirs).filter_map(node) {
            for class in AccessClass::ALL {
                let Some(perf) = self.topo.performance(node, class) else {
                    continue;
                };
                let initiators: Vec<String> =
                    perf.initiators.iter().map(|n| n.to_string()).collect();
                let c = perf.coordinates;
                h.push_str(&format!(
                    "# node{node} access{} initiators={} read_bandwidth={} write_bandwidth={} \
                     read_latency={} write_latency={}\n",
                    class.index(),
                    if initiators.is_empty() {
                        "none".to_string()
                    } else {
                        initiators.join(",")
                    },
                    c.read_bandwidth,
                    c.write_bandwidth,
                    c.read_latency,
                    c.write_latency,
                ));
            }
        }
        h
    }
}

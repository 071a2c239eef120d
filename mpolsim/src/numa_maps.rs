//! `/proc/self/numa_maps` as the oracle prints it (Linux: `show_numa_map`), and the bar view.

use std::collections::BTreeMap;
use std::fmt::Write;

use mempolicy::topology::Topology;
use mempolicy::{Error, NodeId};
use mempolicy_testkit::script::PAGE;
use mempolicy_testkit::PageKind;

use crate::sim::Sim;

/// The policy text of a mapping: its own policy (for shared memory, the object's policy at
/// the mapping's first page, which a cpuset change does not rebind), else the task's (Linux:
/// `__get_vma_policy`, then `mpol_to_str`, which prints the built-in policies as `default`).
fn policy_text(sim: &Sim<'_>, addr: u64) -> String {
    let own = sim.mm.policy_at(addr).and_then(|(own, _)| own);
    match own {
        Some(p) => p.to_string(),
        None => {
            let defaults = sim.kernel.machine().defaults();
            let p = sim.task.effective_policy(defaults, Some(sim.this_node()));
            if p.is_builtin() {
                "default".to_string()
            } else {
                p.to_string()
            }
        }
    }
}

/// The oracle's normalized `numa_maps`: one entry per mapping that starts inside a region,
/// `NAME+PAGE` and the kernel's text after the address (without `active=`).
pub(crate) fn render(sim: &Sim<'_>) -> String {
    let mut entries = Vec::new();
    for m in sim.mm.iter() {
        let Some(region) = sim.regions.containing(m.start()) else {
            continue;
        };
        let mut line = format!(
            "{}+{} {}",
            region.name,
            (m.start() - region.base) / PAGE,
            policy_text(sim, m.start())
        );
        if m.shared().is_some() {
            line.push_str(" file=/dev/zero\\040(deleted)");
        }
        let (mut pages, mut anon, mut dirty) = (0u64, 0u64, 0u64);
        let mut per_node: BTreeMap<usize, u64> = BTreeMap::new();
        for (_, page) in sim.kernel.pages.range(m.start(), m.end()) {
            match page.kind {
                PageKind::Anon => {
                    anon += 1;
                    dirty += 1;
                }
                PageKind::Shmem { dirty: written } => dirty += u64::from(written),
                PageKind::Zero => continue,
            }
            pages += 1;
            *per_node.entry(page.node.index()).or_default() += 1;
        }
        if pages != 0 {
            if anon != 0 {
                let _ = write!(line, " anon={anon}");
            }
            if dirty != 0 {
                let _ = write!(line, " dirty={dirty}");
            }
            if pages != anon && pages != dirty {
                let _ = write!(line, " mapped={pages}");
            }
            for (node, count) in &per_node {
                let _ = write!(line, " N{node}={count}");
            }
            line.push_str(" kernelpagesize_kB=4");
        }
        entries.push(line);
    }
    if entries.is_empty() {
        " ok (none)".to_string()
    } else {
        format!(" ok {}", entries.join(" ; "))
    }
}

/// The whole file with addresses (the oracle's `debug_numa_maps`).
pub(crate) fn render_debug(sim: &Sim<'_>) -> String {
    let mut out = " ok".to_string();
    for (i, m) in sim.mm.iter().enumerate() {
        let _ = write!(
            out,
            "{} {:x} {}",
            if i == 0 { "" } else { " ;" },
            m.start(),
            policy_text(sim, m.start())
        );
    }
    out
}

/// A bar per node for the pages of a `where` (the friendly view).
pub(crate) fn bars(topo: &Topology, statuses: &[Result<NodeId, Error>]) -> String {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut other = 0;
    for s in statuses {
        match s {
            Ok(n) => *counts.entry(n.index()).or_default() += 1,
            Err(_) => other += 1,
        }
    }
    let total = statuses.len().max(1);
    let mut out = String::new();
    for node in topo.online_nodes().iter() {
        let c = counts.get(&node.index()).copied().unwrap_or(0);
        let width = (c * 40).div_ceil(total);
        let kind = if topo.cpu_nodes().contains(node) {
            "cpu+mem"
        } else if topo.memory_nodes().contains(node) {
            "mem only"
        } else {
            "no memory"
        };
        let _ = writeln!(
            out,
            "      node{node} {kind:<9} |{:<40}| {c}",
            "#".repeat(width)
        );
    }
    if other != 0 {
        let _ = writeln!(out, "      not present / not a page: {other}");
    }
    out
}

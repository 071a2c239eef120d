//! `mpolsim`: one Linux process on a NUMA machine, driven by a script in the conformance
//! oracle's language (`conformance/README.md` in the repository), with every memory-policy
//! decision made by the `mempolicy` crate.
//!
//! The engine is a consumer of the crate like a kernel: it builds a
//! [`Machine`] and embeds it in the test kit's kernel, and every
//! decision goes through the crate's kernel-facing layer. What it models is what the crate
//! leaves to its embedder: the process's regions at the
//! oracle's fixed addresses, present pages and the shared zero page, the page-table pages
//! whose allocation moves the interleave cursor, a pipe whose pages do too, shared memory
//! objects with the inode numbers that bias their interleave (handed out per CPU, as the
//! oracle VM does) and pages that stay clean until written, `numa_maps` text, the
//! weighted-interleave sysfs files, the cgroup cpuset and the current CPU.
//!
//! The simulated kernel is Linux 7.3 unless [`Options::linux`] says 6.12; the differences
//! (policies with `NUMA_BALANCING`, the weight files and automatic weights from the
//! topology's `bw=`, an empty `cpuset.mems`) come from the crate's [`Linux`] profile.

mod env;
pub mod firmware;
mod memory;
mod numa_maps;
mod sim;
mod sysfs;

use mempolicy::machine::Machine;
use mempolicy::topology::Topology;
pub use mempolicy::Linux;
use mempolicy_testkit::script;

pub(crate) use sim::Sim;

/// How a run is simulated and printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The kernel release simulated (default: the newest, 7.3).
    pub linux: Linux,
    /// How results are printed.
    pub view: View,
}

/// Runs `script` on the machine `topology` (run.sh NODES_SPEC words; `None`: the script's
/// `# topology:` line, else run.sh's default) under Linux 7.3 and returns the whole output:
/// header lines, one `L<n>` line per operation and the trailer.
///
/// # Errors
/// A message when the topology cannot be built.
pub fn run(script: &[u8], topology: Option<&str>) -> Result<String, String> {
    run_with(script, topology, Options::default())
}

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Exactly the oracle's lines (what the conformance tests compare).
    #[default]
    Kernel,
    /// The oracle's lines, and under every `where` a bar per node.
    Bars,
}

/// As [`run`], with a choice of view.
///
/// # Errors
/// A message when the topology cannot be built.
pub fn run_with_view(script: &[u8], topology: Option<&str>, view: View) -> Result<String, String> {
    run_with(
        script,
        topology,
        Options {
            view,
            ..Options::default()
        },
    )
}

/// As [`run`], with a choice of kernel release and view.
///
/// # Errors
/// A message when the topology cannot be built.
pub fn run_with(script: &[u8], topology: Option<&str>, options: Options) -> Result<String, String> {
    let directive = script::topology_directive(script);
    let spec = topology
        .map(str::to_owned)
        .or(directive)
        .unwrap_or_default();
    let topology = Topology::from_nodes_spec(&spec).map_err(|e| format!("topology: {e}"))?;
    let machine = Machine::for_linux(options.linux, topology);
    let mut sim = Sim::new(&machine);
    sim.set_view(options.view);
    let lines = script::lines(script);
    let mut out = sim.header(lines.len());
    for line in &lines {
        out.push_str(&format!("L{}", line.number));
        match &line.tokens {
            Ok(tokens) => out.push_str(&sim.execute(tokens)),
            Err(_) => out.push_str(" bad=too_many_tokens"),
        }
        out.push('\n');
        if let Some(extra) = sim.take_view_lines() {
            out.push_str(&extra);
        }
    }
    out.push_str("# end status=complete\n");
    Ok(out)
}

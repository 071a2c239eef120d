//! `mpolsim`: a simulator of one Linux process on a NUMA machine, every memory-policy
//! decision made by the `mempolicy` crate.
//!
//! ```text
//! mpolsim [--linux 6.12|7.3] [--topology SPEC] [--view kernel|bars] SCRIPT
//! mpolsim [--linux 6.12|7.3] --firmware FILE
//! ```
//!
//! SCRIPT is a case script in the language of the conformance oracle
//! (`conformance/README.md` in the repository); the machine comes from its `# topology:` line unless
//! `--topology` gives one, in `run.sh`'s NODES_SPEC words
//! (`nodes=4 cpus=0,1 mem=256 dist=...`). The output is the oracle's, line for line: header
//! lines, one `L<n>` line per operation, and a trailer. `--linux` picks the kernel release
//! simulated (default 7.3; the two differ in a few places, see the crate's `Linux`).
//! `--view bars` adds, under every `where` line, a bar per node showing where the pages
//! landed.
//!
//! `--firmware FILE` reads the ACPI tables of an oracle recording (its `table=SIG … hex=…`
//! lines) and prints what the crate derives from them for the `--linux` release, in the
//! recording's formats (see `mpolsim::firmware`).

use std::process::ExitCode;

/// The largest script the oracle accepts.
const MAX_SCRIPT: u64 = 4 << 20;

const USAGE: &str =
    "usage: mpolsim [--linux 6.12|7.3] [--topology SPEC] [--view kernel|bars] SCRIPT\n       \
     mpolsim [--linux 6.12|7.3] --firmware FILE\n       \
     (--linux: the kernel release simulated, default 7.3; --firmware: what the crate derives \
     from the ACPI tables of a recording)";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut topology = None;
    let mut view = mpolsim::View::Kernel;
    let mut linux = mpolsim::Linux::default();
    let mut script = None;
    let mut firmware = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--linux" => match args.next() {
                Some(value) => match value.parse() {
                    Ok(release) => linux = release,
                    Err(_) => {
                        eprintln!(
                            "mpolsim: unknown --linux value {value:?}: use 6.12 or 7.3\n{USAGE}"
                        );
                        return ExitCode::from(2);
                    }
                },
                None => return usage(),
            },
            "--firmware" => firmware = true,
            "--topology" => match args.next() {
                Some(spec) => topology = Some(spec),
                None => return usage(),
            },
            "--view" => match args.next().as_deref() {
                Some("kernel") => view = mpolsim::View::Kernel,
                Some("bars") => view = mpolsim::View::Bars,
                _ => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ if script.is_none() => script = Some(arg),
            _ => return usage(),
        }
    }
    let Some(path) = script else { return usage() };
    let bytes = match std::fs::metadata(&path).and_then(|m| {
        if m.len() > MAX_SCRIPT {
            Err(std::io::Error::other("script larger than 4 MiB"))
        } else {
            std::fs::read(&path)
        }
    }) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("mpolsim: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    if firmware {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            eprintln!("mpolsim: {path}: not UTF-8 text");
            return ExitCode::from(2);
        };
        return match mpolsim::firmware::run(text, linux) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("mpolsim: {path}: {e}");
                ExitCode::from(2)
            }
        };
    }
    let options = mpolsim::Options { linux, view };
    match mpolsim::run_with(&bytes, topology.as_deref(), options) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mpolsim: {e}");
            ExitCode::from(2)
        }
    }
}

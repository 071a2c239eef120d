//! The recorded Linux 6.12 answers of `conformance/`, row by row, for the tests that
//! replay part of a case through one layer of the crate (the full replay through `mpolsim` is
//! `mpolsim/tests/conformance.rs`).

use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use mempolicy::MAX_NUMNODES;

/// One operation line of a case and the kernel's answer to it.
#[derive(Clone, Debug)]
pub struct Row {
    /// The line number in the case script.
    pub line: u32,
    /// The operation, without comments.
    pub command: String,
    /// The result line without its `L<n> ` prefix.
    pub expected: String,
}

/// The repository's `conformance/` directory (recordings of real Linux kernels).
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance")
}

fn read(path: &str) -> String {
    let root = conformance_dir();
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The operation lines of `cases/CASE.txt` numbered within `lines`, with the answers of
/// `linux-6.12/CASE@TOPOLOGY.out`. On a build with fewer nodes than the recorded kernel, a
/// line whose nodemask names a node this build lacks expects `err=EINVAL` (see
/// [`names_node_beyond_this_build`]).
pub fn rows(case: &str, topology: &str, lines: RangeInclusive<u32>) -> Vec<Row> {
    let script = read(&format!("cases/{case}.txt"));
    let recording = read(&format!("linux-6.12/{case}@{topology}.out"));
    let mut rows = Vec::new();
    for result in recording.lines() {
        let Some((tag, answer)) = result.strip_prefix('L').and_then(|r| r.split_once(' ')) else {
            continue;
        };
        let line: u32 = tag.parse().expect("result line number");
        if !lines.contains(&line) {
            continue;
        }
        let text = script.lines().nth(line as usize - 1).expect("script line");
        let expected = if names_node_beyond_this_build(text) {
            "err=EINVAL".to_string()
        } else {
            answer.to_string()
        };
        rows.push(Row {
            line,
            command: strip_comment(text).trim().to_string(),
            expected,
        });
    }
    assert!(!rows.is_empty(), "{case}@{topology}: no rows in {lines:?}");
    rows
}

/// The text before a `#` that starts a comment (first on the line or after a blank).
fn strip_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    let at = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    at.map_or(text, |i| &text[..i])
}

/// The recordings come from a kernel built with `MAX_NUMNODES = 1024`. A build of this crate
/// with fewer nodes is a kernel with a smaller `MAX_NUMNODES`, and there a user nodemask that
/// names a node at or beyond it is `EINVAL` (Linux `get_nodes`). Returns whether the script
/// line passes such a nodemask.
pub fn names_node_beyond_this_build(text: &str) -> bool {
    MAX_NUMNODES < 1024
        && text.split_whitespace().any(|token| {
            token
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b',' || c == b'-')
                && token
                    .split([',', '-'])
                    .filter_map(|n| n.parse::<usize>().ok())
                    .any(|n| (MAX_NUMNODES..65536).contains(&n))
                && (token.contains(',') || (token.contains('-') && !token.starts_with('-')))
        })
}

/// A `numa_maps` answer cut down to each entry's name and policy text (the page counts
/// after the policy are left out), for replays that model policies but not pages.
pub fn policy_text_only(answer: &str) -> String {
    let Some(entries) = answer.strip_prefix("ok ") else {
        return answer.to_string();
    };
    if entries == "(none)" {
        return answer.to_string();
    }
    let entries: Vec<String> = entries
        .split(" ; ")
        .map(|entry| {
            entry
                .split(' ')
                .take_while(|word| !is_page_count(word))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    format!("ok {}", entries.join(" ; "))
}

fn is_page_count(word: &str) -> bool {
    let Some((key, _)) = word.split_once('=') else {
        return false;
    };
    matches!(
        key,
        "file"
            | "anon"
            | "dirty"
            | "mapped"
            | "mapmax"
            | "swapcache"
            | "active"
            | "writeback"
            | "kernelpagesize_kB"
    ) || (key.starts_with('N') && key[1..].bytes().all(|c| c.is_ascii_digit()))
}

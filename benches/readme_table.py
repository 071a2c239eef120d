#!/usr/bin/env python3
"""Regenerates the performance table of README.md (between the `perf-table` markers) from
measurements, so that the table is never typed by hand.

Inputs (produce them first; each row of the table names the command it came from):
  target/gungraun-counts.json    benches/check.py (instruction counts at 64 and 1024 nodes)
  target/criterion-64/           criterion at 64 nodes (see COMMANDS below), moved there
  target/criterion-1024/         criterion at 1024 nodes, moved there
  target/criterion/              criterion weights bench (reads and publishes)

Usage: benches/readme_table.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
START, END = "<!-- perf-table:start -->", "<!-- perf-table:end -->"
CRIT = "--warm-up-time 0.5 --measurement-time 1.5 --noplot"
COMMANDS = {
    "count": "benches/check.py",
    "weights": f"cargo bench --features std --bench weights -- 'read-no-writer|publish' {CRIT}",
    "select64": f"cargo bench --features std --bench select -- 'baseline|pick' {CRIT}",
    "inter64": f"cargo bench --features std --bench interleave -- 'interleave|nodemask' {CRIT}",
    "select1024": f"cargo bench --features std,nodes-1024 --bench select -- 'baseline|pick' {CRIT}",
    "inter1024": (f"cargo bench --features std,nodes-1024 --bench interleave -- "
                  f"'interleave|nodemask' {CRIT}"),
}


def ratios(directory):
    path = os.path.join(ROOT, "target", directory)
    if not os.path.isdir(path):
        return {}
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benches", "support", "ratios.py"),
                          "--json", path], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout)


def fmt_time(rows, name):
    row = rows.get(name)
    if not row:
        return "–"
    ratio = f" ({row['ratio']:.1f}×)" if row.get("ratio") else ""
    return f"{row['ns']:.1f} ns{ratio}"


def main():
    with open(os.path.join(ROOT, "target", "gungraun-counts.json")) as f:
        counts = json.load(f)["counts"]
    c64, c1024 = counts.get("64", {}), counts.get("1024", {})
    floor64, floor1024 = c64.get("read/plain_array"), c1024.get("read/plain_array")
    weights = ratios("criterion")
    t64, t1024 = ratios("criterion-64"), ratios("criterion-1024")

    def inst(name):
        cells = []
        for size, floor in ((c64, floor64), (c1024, floor1024)):
            value = size.get(name)
            cells.append("–" if value is None else f"{value:g} ({value / floor:.1f}×)")
        return cells

    lines = [
        "Instructions per operation (callgrind, deterministic; the ratio is to a plain array "
        "read in the same harness, whose loop is counted too) from "
        f"`{COMMANDS['count']}`; times per operation (criterion medians on a shared 2-core "
        "machine, 1000 operations per iteration; the ratio is to the plain read of the same "
        "bench binary) from the command in the last column.",
        "",
        "| what | instructions, 64 nodes | instructions, 1024 nodes | time, 64 nodes | "
        "time, 1024 nodes | time measured by |",
        "|---|---|---|---|---|---|",
    ]

    def row(label, count_name, time_name=None, group64=None, group1024=None, cmd=""):
        a, b = inst(count_name)
        ta = fmt_time(group64, time_name) if group64 is not None else "–"
        tb = fmt_time(group1024, time_name) if group1024 is not None else "–"
        # A `|` in a command would end the table cell.
        cmd = cmd.replace("|", "\\|")
        lines.append(f"| {label} | {a} | {b} | {ta} | {tb} | {cmd} |")

    row("plain array read (the floor)", "read/plain_array", "read-no-writer_plain-array",
        weights, None, f"`{COMMANDS['weights']}`")
    row("weight read (`WeightReader::weight`)", "read/weight", "read-no-writer_ours", weights,
        None, f"`{COMMANDS['weights']}`")
    for mode in ("local", "default", "preferred", "bind", "preferred_many",
                 "interleave_static", "interleave_dynamic", "weighted_static",
                 "weighted_dynamic"):
        row(f"pick (`policy_nodemask`): {mode.replace('_', ' ')}", f"pick/{mode}",
            f"pick/{mode}", t64, t1024,
            f"`{COMMANDS['select64']}` (and `nodes-1024`)")
    for mode in ("weighted_static", "weighted_dynamic"):
        row(f"pick (`policy_nodemask`): {mode.replace('_', ' ')}, weights in an array",
            f"pick/array/{mode}", f"pick/{mode}_array", t64, t1024,
            f"`{COMMANDS['select64']}` (and `nodes-1024`)")
    for kind, what in (("static", "`interleave_nid`"), ("weighted_static", "`weighted_interleave_nid`")):
        for case, nodes in (("low4", "nodes 0-3"), ("first16", "nodes 0-15"),
                            ("spread", "a mask spread over the whole range")):
            row(f"static pick {what}, {nodes}", f"interleave/{kind}/{case}")
    for name, label in (("nth", "nth"), ("weight", "weight"), ("next_in", "next_in")):
        row(f"`NodeMask::{label}`, nodes in every word", f"nodemask/{name}/spread",
            f"nodemask/{name}", t64, t1024, f"`{COMMANDS['inter64']}` (and `nodes-1024`)")
    for kind in ("plain", "weighted"):
        for pages in ("1", "1000", "1000000"):
            row(f"bulk plan, {kind}, N = {pages}", f"bulk/{kind}/pages_{pages}")
    def fault_cells(mode, kind):
        cells = []
        for size in (c64, c1024):
            value = size.get(f"fault/{kind}/{mode}")
            pick = size.get(f"fault/pick/{mode}")
            select = size.get(f"fault/select/{mode}")
            if value is None:
                cells.append("–")
            elif kind == "pick":
                cells.append(f"{value:g}")
            elif kind == "select":
                cells.append(f"{value:g} ({value / pick:.1f}× the pick)")
            else:
                cells.append(f"{value:g} ({value / pick:.1f}× the pick, "
                             f"{value / select:.2f}× `alloc_vma`)")
        return cells

    for mode in ("local", "bind", "interleave", "weighted_interleave"):
        label = mode.replace("_", " ")
        for kind, what in (("pick", "the bare pick (`vma_policy` + `policy_nodemask`)"),
                           ("select", "pick + zonelist walk (`select::alloc_vma`)"),
                           ("cpu", "whole fault decision (`Cpu::alloc_fault`)")):
            a, b = fault_cells(mode, kind)
            lines.append(f"| fault → frame, {label}: {what} | {a} | {b} | – | – | |")
    row("weight publish (`set_weight`)", "publish/set_weight", "publish_ours-set-weight",
        weights, None, f"`{COMMANDS['weights']}` (ratio: to a bare epoch publish)")
    row("bare crossbeam-epoch publish", "publish/epoch_bare", "publish_epoch-bare", weights,
        None, f"`{COMMANDS['weights']}`")
    lines.append("")
    lines.append(
        "The picks read their weights from a live `WeightTable` through a CPU's reader, as the "
        "kernel-facing layer does; the two rows \"weights in an array\" read them from a plain "
        "`[u8; 4]` of the embedder's, which the static pick has to inspect on every call (a "
        "table keeps the word it needs ready).")
    lines.append("")
    lines.append(
        "The fault rows are one decision per page of a 256-page anonymous mapping on a 4-node "
        "machine (`fault` group of `benches/gungraun/benches/instructions.rs`, same command): "
        "the bare pick is the policy pick for the page with its mapping in hand; "
        "`select::alloc_vma` adds the zonelist walk to a frame of a trivial frame source; "
        "`Cpu::alloc_fault` is the whole decision from an address (the mapping lookup, the "
        "machine state and weights read through the CPU's epoch reader, the pick, the walk).")
    lines.append("")
    others = []
    for name, label in (("epoch-pin-per-read", "an epoch `pin()` per read"),
                        ("arcswap-load", "an `arc-swap` load"),
                        ("arcswap-cache", "an `arc-swap` `Cache` load"),
                        ("spin-rwlock", "a spin `RwLock` read"),
                        ("std-rwlock", "a std `RwLock` read")):
        others.append(f"{label} {fmt_time(weights, 'read-no-writer_' + name)}")
    lines.append("For comparison, with no writer (same command as the weight read): "
                 + "; ".join(others) + ".")
    table = "\n".join(lines)

    with open(README) as f:
        text = f.read()
    if START not in text or END not in text:
        sys.exit("readme_table.py: README.md has no perf-table markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{table}\n{END}{tail}"
    if "--check" in sys.argv:
        sys.exit(0 if new == text else "README.md's performance table is out of date")
    with open(README, "w") as f:
        f.write(new)
    print("README.md performance table regenerated")


if __name__ == "__main__":
    main()

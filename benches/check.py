#!/usr/bin/env python3
"""Runs the instruction-count benches (callgrind through gungraun) at 64 and 1024 nodes and
checks them against the committed baseline and against the speed targets.

Counts are per operation: each bench runs its operation REPS times (see
benches/gungraun/benches/instructions.rs) and the total is divided by REPS. They are
deterministic for one toolchain and valgrind version, so a change beyond the tolerance is a
real change in the generated code, never noise.

Usage:
  benches/check.py                 run both node sizes, compare, exit 1 on a regression or a
                                   missed target
  benches/check.py --update        the same, then write the new counts into the baseline
  benches/check.py --nodes 64      one node size only
  benches/check.py --tolerance 5   allowed growth over the baseline, in percent (default 5)
  benches/check.py --enforce-targets  also fail on a missed speed target (they are listed
                                   either way)

The counts of the last run are also written to target/gungraun-counts.json, which
benches/readme_table.py turns into the README's performance table.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "benches", "gungraun", "baseline.json")
REPS = 1000
SIZES = ("64", "1024")
# The floor every ratio is taken against.
FLOOR = "read/plain_array"

# The speed targets in instructions per operation: (bench-name prefix, most at 64 nodes, most at
# 1024 nodes, most times the plain read at either size). None: no target of that kind. The
# time ratios of the targets (picks at most 5x / 8x a plain read) are criterion's business:
# instruction ratios understate them (a division or a mispredicted branch is one instruction).
TARGETS = [
    ("read/weight", None, None, 1.5),
    ("pick/", 60, 120, None),
]
# Targets relative to another bench of the same case: (bench-name prefix, prefix of the bench it
# is compared with, most times that bench). The fault decision through the kernel-facing layer
# (`Cpu::alloc_fault`) against the bare pick for the same page (see the `fault` group of
# benches/gungraun/benches/instructions.rs for what each one does).
RELATIVE_TARGETS = [
    ("fault/cpu/", "fault/pick/", 1.5),
]


def command(size):
    """The cargo command that measures one node size."""
    cmd = ["cargo", "bench", "-p", "mempolicy-gungraun", "--bench", "instructions"]
    if size == "1024":
        cmd += ["--features", "nodes-1024"]
    return cmd + ["--", "--output-format=json"]


# Where each bench function's cases go in the printed names: `<prefix>/<case id>`.
FUNCTIONS = {
    "read_plain": "read",
    "read_weight": "read",
    "pick": "pick",
    "pick_array": "pick/array",
    "interleave_static": "interleave/static",
    "weighted_static": "interleave/weighted_static",
    "interleave_dynamic": "interleave/dynamic",
    "weighted_dynamic": "interleave/weighted_dynamic",
    "nodemask_nth": "nodemask/nth",
    "nodemask_weight": "nodemask/weight",
    "nodemask_next_in": "nodemask/next_in",
    "bulk_plain": "bulk/plain",
    "bulk_weighted": "bulk/weighted",
    "publish_ours": "publish",
    "publish_bare": "publish",
    "fault_pick": "fault/pick",
    "fault_select": "fault/select",
    "fault_cpu": "fault/cpu",
}


def bench_name(summary):
    """The printed name of one bench case."""
    function = summary["function_name"]
    if function not in FUNCTIONS:
        sys.exit(f"check.py: bench function {function} has no name in FUNCTIONS")
    return f"{FUNCTIONS[function]}/{summary['id']}"


def run(size):
    """Runs the benches of one node size; returns {name: instructions per operation}."""
    proc = subprocess.run(command(size), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"check.py: `{' '.join(command(size))}` failed ({proc.returncode})")
    counts = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        summary = json.loads(line)
        ir = None
        for profile in summary["profiles"]:
            if profile["tool"] == "Callgrind":
                ir = profile["data"]["total"]["metrics"]["Ir"]["values"]["new"]
        if ir is None:
            sys.exit(f"check.py: no callgrind count for {summary['module_path']}")
        name = bench_name(summary)
        counts[name] = round(ir / REPS, 1)
    if FLOOR not in counts:
        sys.exit("check.py: the floor bench (plain array read) did not run")
    return counts


def check_targets(size, counts):
    """Returns the list of missed targets."""
    missed = []
    floor = counts[FLOOR]
    for prefix, most64, most1024, ratio in TARGETS:
        most = most64 if size == "64" else most1024
        for name, value in counts.items():
            if not name.startswith(prefix):
                continue
            if most is not None and value > most:
                missed.append(f"{size} nodes: {name} = {value} instructions > {most}")
            if ratio is not None and value > ratio * floor:
                missed.append(
                    f"{size} nodes: {name} = {value / floor:.2f}x the plain read > {ratio}x")
    for prefix, base, ratio in RELATIVE_TARGETS:
        for name, value in counts.items():
            if not name.startswith(prefix):
                continue
            other = counts.get(base + name[len(prefix):])
            if other and value > ratio * other:
                missed.append(f"{size} nodes: {name} = {value / other:.2f}x "
                              f"{base + name[len(prefix):]} > {ratio}x")
    return missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="write the counts as the baseline")
    parser.add_argument("--nodes", choices=SIZES, action="append", help="node size(s) to run")
    parser.add_argument("--tolerance", type=float, default=5.0, help="percent (default 5)")
    parser.add_argument("--enforce-targets", action="store_true",
                        help="also fail when a speed target is missed (not only on regressions)")
    args = parser.parse_args()
    sizes = args.nodes or list(SIZES)

    baseline = {}
    if os.path.exists(BASELINE):
        with open(BASELINE) as f:
            baseline = json.load(f)

    results = {}
    failures = []
    missed = []
    for size in sizes:
        counts = run(size)
        results[size] = counts
        old = baseline.get(size, {})
        print(f"\n{size} nodes ({' '.join(command(size))}), instructions per operation:")
        print(f"{'bench':44} {'baseline':>9} {'now':>9} {'change':>8} {'x floor':>8}")
        for name, value in counts.items():
            before = old.get(name)
            change = ""
            if before:
                delta = (value - before) / before * 100
                change = f"{delta:+.1f}%"
                grew = value > before * (1 + args.tolerance / 100) and value - before >= 1
                if grew and not args.update:
                    failures.append(
                        f"{size} nodes: {name} went from {before} to {value} instructions "
                        f"({change}, tolerance {args.tolerance}%)")
            ratio = value / counts[FLOOR]
            shown = "-" if before is None else f"{before:9.1f}"
            print(f"{name:44} {shown:>9} {value:9.1f} {change:>8} {ratio:7.2f}x")
        for name in old:
            if name not in counts:
                failures.append(f"{size} nodes: bench {name} is in the baseline but did not run")
        missed += check_targets(size, counts)

    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    with open(os.path.join(ROOT, "target", "gungraun-counts.json"), "w") as f:
        json.dump({"reps": REPS, "commands": {s: " ".join(command(s)) for s in sizes},
                   "counts": results}, f, indent=1, sort_keys=True)

    if args.update:
        baseline.update(results)
        with open(BASELINE, "w") as f:
            json.dump(baseline, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"\nbaseline written: {os.path.relpath(BASELINE, ROOT)}")
    if missed:
        print("\nspeed targets missed:")
        for miss in missed:
            print(f"  {miss}")
        if args.enforce_targets:
            failures += missed
    if failures:
        print("\nFAILED:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)
    print(f"\nok: no regression beyond {args.tolerance}%")


if __name__ == "__main__":
    main()

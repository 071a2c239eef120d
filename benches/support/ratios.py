#!/usr/bin/env python3
"""Prints each criterion bench's median per operation (ns) and its ratio to the floor measured
in the same bench binary: the plain array read (reads, picks, first zones) or the bare epoch
publish (publishes). Batched benches (1000 operations per criterion iteration: the reads, the
picks, the NodeMask scans and the first-zone lookups) are divided back to one operation.

Usage: benches/support/ratios.py [--json] [CRITERION_DIR]
  (default: $CARGO_TARGET_DIR/criterion, else target/criterion)
"""
import json
import os
import sys

BATCH = 1000


def load(root):
    """{bench name: ns per operation} for every estimates.json under root."""
    medians = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        name = os.path.relpath(os.path.dirname(dirpath), root).replace(os.sep, "/")
        if name.startswith("report"):
            continue
        with open(os.path.join(dirpath, "estimates.json")) as f:
            ns = json.load(f)["median"]["point_estimate"]
        group = name.split("/")[0].split("_")[0]
        batched = group.startswith(
            ("read-", "pick", "baseline", "interleave", "nodemask", "first"))
        if batched:
            ns /= BATCH
        medians[name] = ns
    return medians


def floor_of(name, medians):
    """The floor a bench is compared with, if any."""
    head = name.split("/")[0]
    group = head.split("_")[0]
    for candidate in (f"{group}_plain-array", f"{group}/array_read", "baseline_array_read"
                      if group == "pick" else None, "publish_epoch-bare"
                      if group == "publish" else None, "first_zone/plain_array_read"
                      if head == "first_zone" else None):
        if candidate and candidate in medians:
            return medians[candidate]
    return None


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    root = args[0] if args else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    medians = load(root)
    rows = {}
    for name, ns in sorted(medians.items()):
        base = floor_of(name, medians)
        rows[name] = {"ns": ns, "ratio": ns / base if base else None}
    if "--json" in sys.argv:
        json.dump(rows, sys.stdout, indent=1, sort_keys=True)
        print()
        return
    for name, row in rows.items():
        ratio = f"{row['ratio']:6.2f}x" if row["ratio"] else ""
        print(f"{name:45} {row['ns']:9.2f} ns {ratio}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints each weights bench's median (ns) and its ratio to the plain array read (reads) or to
the bare epoch publish (publishes), from criterion's estimates.json files.

Usage: benches/support/ratios.py [CRITERION_DIR]  (default: $CARGO_TARGET_DIR/criterion)
"""
import json, os, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
medians = {}
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "new", "estimates.json")
    if os.path.exists(path):
        with open(path) as f:
            medians[name] = json.load(f)["median"]["point_estimate"]
for name, ns in medians.items():
    group = name.split("_")[0]
    base = medians.get(f"{group}_plain-array") or medians.get(f"{group}_epoch-bare")
    ratio = f"{ns / base:6.2f}x" if base else ""
    print(f"{name:45} {ns:9.2f} ns {ratio}")

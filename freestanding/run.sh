#!/bin/sh
# Builds the freestanding (no_std, no libc) smoke binary and runs it. Fails unless it exits 0
# and prints the final success line.
set -eu
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="$PWD/target"
cargo build --release --quiet
set +e
out=$("$CARGO_TARGET_DIR/release/mempolicy-freestanding")
code=$?
set -e
printf '%s\n' "$out"
if [ "$code" -ne 0 ]; then
    echo "run.sh: binary exited with $code" >&2
    exit 1
fi
if ! printf '%s\n' "$out" | grep -qx 'freestanding: all checks passed'; then
    echo "run.sh: final line missing" >&2
    exit 1
fi

#!/usr/bin/env bash
# Runs the weight-table RCU stress test (tests/stress_weights.rs) and the library's `rcu` and
# `weights` unit tests under AddressSanitizer with LeakSanitizer: use after free, double
# free and leaked tables fail the run.
#
#   fuzz/asan.sh            # STRESS_OPS=1000000
#   STRESS_OPS=100000 fuzz/asan.sh
#
# Needs a nightly toolchain (-Zsanitizer). The standard library is the prebuilt one (not
# instrumented, no -Zbuild-std needed): ASan still sees every allocation, since the allocator
# calls go through its interceptors, and instruments every access made by this crate, its
# dependencies and the tests. Uses its own target directory (target/asan by default) so that
# the sanitizer flags do not invalidate normal builds.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

target="x86_64-unknown-linux-gnu"
export CARGO_TARGET_DIR="${ASAN_TARGET_DIR:-$root/target/asan}"
export RUSTFLAGS="-Zsanitizer=address -Cdebug-assertions"
export RUSTDOCFLAGS="-Zsanitizer=address"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1}"
export STRESS_OPS="${STRESS_OPS:-1000000}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "asan.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi

echo "=== stress_weights under ASan, STRESS_OPS=$STRESS_OPS"
time cargo +nightly test --target "$target" --test stress_weights -- --nocapture
echo "=== rcu and weights unit tests under ASan"
cargo +nightly test --target "$target" --lib -- rcu:: weights::
echo "asan.sh: no errors, no leaks"

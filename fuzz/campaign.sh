#!/usr/bin/env bash
# A long campaign: runs each target to a fixed number of executions, one after another, in one
# process each, and prints one summary line per target (the numbers fuzz/README.md records).
#
#   fuzz/campaign.sh [TARGET...]        (RUNS=10000000 by default; SANITIZER=none by default)
#
# The targets default to all of them. The build keeps debug assertions and overflow checks on
# and, by default, leaves AddressSanitizer out (SANITIZER=address puts it back): it makes an
# execution two to seven times slower, and the unsafe code these targets reach (the rcu
# module) has its own sanitizer runs (fuzz/asan.sh) and loom models. `rangemap` is built
# without comparison tracing: its per-page model is nearly all comparisons, which tracing
# slows sixfold. Each run starts from the committed seeds plus the scratch corpus
# fuzz/work/<target> and adds its new inputs there; logs go to fuzz/work/<target>.campaign.log.
set -euo pipefail

cd "$(dirname "$0")"

runs="${RUNS:-10000000}"
sanitizer="${SANITIZER:-none}"
if ! [[ "$runs" =~ ^[0-9]+$ ]]; then
    echo "campaign.sh: RUNS must be a number" >&2
    exit 2
fi

# shellcheck source=common.sh
source ./common.sh
select_targets "$@"

# The build options of a target, and the target directory that keeps those builds apart.
build_args() {
    case "$1" in
        rangemap) echo "-s $sanitizer --no-trace-compares --target-dir target/campaign-ntc" ;;
        *) echo "-s $sanitizer --target-dir target/campaign" ;;
    esac
}

failed=()
summary=()
for target in "${targets[@]}"; do
    # shellcheck disable=SC2046 # the options are words
    cargo +nightly fuzz build $(build_args "$target") "$target"
    mkdir -p "work/$target"
    seeds=()
    [[ -d "corpus/$target" ]] && seeds=("corpus/$target")
    log="work/$target.campaign.log"
    start=$(date +%s)
    echo "=== $target: $runs executions"
    # shellcheck disable=SC2046
    if cargo +nightly fuzz run $(build_args "$target") "$target" "work/$target" "${seeds[@]}" -- \
        -runs="$runs" -timeout=20 -print_final_stats=1 $(extra_args "$target") >"$log" 2>&1; then
        secs=$(($(date +%s) - start))
        done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
        summary+=("$target: ok in ${secs}s: ${done_line}")
    else
        target_failed "$target" "$log"
    fi
done

finish

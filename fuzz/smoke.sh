#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time; exits non-zero on any crash,
# timeout or leak.
#
#   fuzz/smoke.sh [SECONDS] [TARGET...]
#
# SECONDS (default 30, or $FUZZ_SECONDS) is libFuzzer's -max_total_time per target; the
# targets default to all of them. Each target runs in one process (no -jobs/-workers), starting
# from the committed seeds in fuzz/corpus/<target> plus the scratch corpus fuzz/work/<target>,
# which is where new inputs go (git-ignored, so runs build on each other locally).
# Crash reproducers land in fuzz/artifacts/<target>/; replay one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
set -euo pipefail

cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-30}}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [SECONDS] [TARGET...]" >&2
    exit 2
fi

# shellcheck source=common.sh
source ./common.sh
select_targets "$@"

cargo +nightly fuzz build

failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "work/$target"
    seeds=()
    [[ -d "corpus/$target" ]] && seeds=("corpus/$target")
    log="work/$target.log"
    echo "=== $target: ${seconds}s"
    # shellcheck disable=SC2046 # the extra options are words
    if cargo +nightly fuzz run "$target" "work/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
        $(extra_args "$target") >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        summary+=("$target: ok, ${runs:-?} runs in ${seconds}s")
    else
        target_failed "$target" "$log"
    fi
done

finish

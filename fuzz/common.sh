# Sourced by smoke.sh and campaign.sh: the toolchain check, the target list and the
# per-target libFuzzer options. Expects the working directory to be fuzz/.

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "$0: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "$0: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi

# The targets given on the command line, or all of them.
select_targets() {
    if [[ $# -gt 0 ]]; then
        targets=("$@")
    else
        mapfile -t targets < <(cargo +nightly fuzz list)
    fi
}

# Per-target libFuzzer options: the simulator runs whole scripts, so keep them short; the
# firmware tables need room for four tables.
extra_args() {
    case "$1" in
        mpolsim) echo "-max_len=2048" ;;
        acpi) echo "-max_len=12288" ;;
        *) echo "" ;;
    esac
}

# Records a failing target: the end of its log on stderr, and its summary line.
target_failed() { # target log
    tail -n 40 "$2" >&2
    failed+=("$1")
    summary+=("$1: FAILED (log: fuzz/$2, artifacts: fuzz/artifacts/$1/)")
}

# Prints the summary of every target; exits 1 if one failed.
finish() {
    echo "=== summary"
    printf '%s\n' "${summary[@]}"
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "$(basename "$0"): failing targets: ${failed[*]}" >&2
        exit 1
    fi
}

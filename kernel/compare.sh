#!/usr/bin/env bash
# kernel/compare.sh [RECORDING.out...]
#
# Boots the kernel on the machine of each Linux recording and compares the kernel's machine
# view with what Linux printed on the same QEMU machine, line by line:
#   # online=  # has_cpu=  # has_memory=
#   # nodeN cpus=… distance=…      (Linux's " memtotal_kB=…" cut off)
#   # nodeN fallback=…
#   # wi_auto=… weights: …
#   # nodeN accessK …
#
# Without arguments: every Linux 7.3 recording of the repository, conformance/firmware/f*.out
# (the fixtures of the firmware parser; their topology is line 1 of NAME.txt) and
# conformance/linux-7.3/*.out (CASE@TOPOLOGY.out; the topology words come from the table of
# conformance/README.md). Each machine is booted once (multiboot, see run.sh), however many
# recordings share it.
#
# Exit status: 0 when every recording matched and every boot passed its checks, 1 otherwise,
# 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")"
REPO=..
die() { echo "compare.sh: $*" >&2; exit 2; }

# Topology name -> words, from the README's table: | `name` | `words` ... |
declare -A TOPOLOGY=()
while IFS=$'\t' read -r name words; do
	TOPOLOGY[$name]=$words
done < <(sed -nE 's/^\| `([^`]+)` \| `([^`]+)`.*/\1\t\2/p' "$REPO/conformance/README.md")

# words_of RECORDING: the topology words Linux was booted with.
words_of() {
	local out=$1 base txt topo
	base=$(basename "$out" .out)
	txt="$(dirname "$out")/$base.txt"
	if [[ $base == *@* ]]; then
		topo=${base##*@}
		[ -n "${TOPOLOGY[$topo]:-}" ] || die "$out: topology $topo is not in conformance/README.md"
		echo "${TOPOLOGY[$topo]}"
	elif [ -f "$txt" ]; then
		sed -n '1s/^# topology: //p' "$txt"
	else
		die "$out: no topology (neither CASE@TOPOLOGY.out nor a NAME.txt beside it)"
	fi
}

# The machine-view lines of a recording or of the kernel's output.
view() {
	grep -E '^# (online|has_cpu|has_memory)=|^# node[0-9]+ (cpus=|fallback=|access[01] )|^# wi_auto=' |
		sed -E 's/ memtotal_kB=[0-9]+$//'
}

recordings=("$@")
if [ ${#recordings[@]} = 0 ]; then
	recordings=("$REPO"/conformance/firmware/f[0-9][0-9].out "$REPO"/conformance/linux-7.3/*.out)
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mempolicy-compare.XXXXXX")
trap 'rm -rf "$W"' EXIT
declare -A BOOTED=()
same=0
differ=0
machines=0
failed_boots=0
start=$SECONDS
for out in "${recordings[@]}"; do
	[ -f "$out" ] || die "no such recording: $out"
	words=$(words_of "$out")
	key=$(printf '%s' "$words" | md5sum | cut -c1-16)
	if [ -z "${BOOTED[$key]:-}" ]; then
		# A failing boot does not stop the comparison; its problems are shown.
		if ! ./run.sh $words >"$W/$key.log" 2>"$W/$key.err"; then
			failed_boots=$((failed_boots + 1))
			{
				grep -E '^FAIL' "$W/$key.log" || true
				tail -n 3 "$W/$key.log"
				cat "$W/$key.err"
			} >&2
		fi
		BOOTED[$key]=1
		machines=$((machines + 1))
	fi
	view <"$out" >"$W/linux"
	view <"$W/$key.log" >"$W/kernel"
	if [ ! -s "$W/linux" ]; then
		echo "compare.sh: $out has no machine-view lines" >&2
		differ=$((differ + 1))
	elif diff -u --label "linux: $out" --label "kernel: $words" "$W/linux" "$W/kernel"; then
		echo "same: $(wc -l <"$W/linux") lines of $out ($words)"
		same=$((same + 1))
	else
		differ=$((differ + 1))
	fi
done
echo "compare: $same recordings matched, $differ differ, on $machines machines ($failed_boots of them failed a check) in $((SECONDS - start))s"
[ "$differ" = 0 ] && [ "$failed_boots" = 0 ]

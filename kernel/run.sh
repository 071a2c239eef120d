#!/usr/bin/env bash
# kernel/run.sh [WORDS...]
#
# Builds the kernel and boots it under QEMU (TCG) on a NUMA machine, passing its serial output
# through. A boot passes when QEMU exits through isa-debug-exit with the kernel's "pass"
# status (33) and the last line is "N passed, 0 failed", and the kernel saw the machine it was
# given: the boot protocol, the number of CPUs online and of nodes, and an HMAT exactly when
# bw=/lat= asked for one.
#
# WORDS describe the machine, with the conformance oracle's topology words (same defaults,
# same checks, same QEMU options), so that the kernel's view of a machine can be compared
# line by line with what Linux printed on the same QEMU command line:
#   nodes=N         number of NUMA nodes (1..64)                       [4]
#   cpus=a,b,...    node of vCPU 0, vCPU 1, ...; vCPU 0 on node 0      [0,1]
#   mem=M | mem=M0,M1,...   MiB per node: >= 16, or 0 for a node that has a vCPU   [256]
#   dist=r0/r1/...  SLIT rows "d0,d1,..." (diagonal 10)  [4 nodes: 10,30,20,40/30,10,40,20/
#                   20,40,10,30/40,20,30,10; otherwise 10+10*|i-j|]
#   bw=B0,B1,...    HMAT bandwidth of each node as a target (MB/s); "R:W" for separate read
#                   and write values, "-" for no entry. Turns on HMAT.
#   lat=L0,L1,...   HMAT latency of each node as a target (ns); "R:W" and "-" as for bw=.
#   accel=...       accepted for compatibility; the kernel always runs under TCG.
# One argument that is empty (run.sh "") boots the default machine. compare.sh boots the
# machines of the Linux recordings this way and compares the kernel's machine view (the `# …`
# lines it prints before its checks) with Linux's.
#
# With no argument, boots a list of machines (2, 4 and 8 nodes, memory-only nodes, a CPU-only
# node, with and without HMAT, 2 and 4 CPUs) in both boot protocols and prints the totals.
#
# Environment:
#   KERNEL_BOOT     multiboot | pvh | both: protocols for a WORDS boot       [multiboot]
#   KERNEL_TIMEOUT  seconds before QEMU is killed                           [60]
#   KERNEL_VERBOSE=1  print the QEMU command line on stderr
# Exit status: 0 when every boot passed, 1 when one failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")"

TIMEOUT=${KERNEL_TIMEOUT:-60}
die() { echo "run.sh: $*" >&2; exit 2; }
info() { if [ "${KERNEL_VERBOSE:-0}" != 0 ]; then echo "run.sh: $*" >&2; fi; }

MACHINES=(
	"nodes=2 cpus=0,1 mem=256 dist=10,21/21,10"
	"nodes=4 cpus=0,1,2,3 mem=256"
	"nodes=4 cpus=0,1 mem=256 bw=2000,2000,1000,500 lat=10,10,20,40"
	"nodes=8 cpus=0,1,2,3 mem=128"
	"nodes=4 cpus=0,0,3,3 mem=256,256,256,0"
	"nodes=2 cpus=0,1 mem=384,128 bw=1000:500,800 lat=5,10:20"
)

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"

# ---- build --------------------------------------------------------------------------------
export CARGO_TARGET_DIR="$PWD/target"
cargo build --release --quiet
W=$(mktemp -d "${TMPDIR:-/tmp}/mempolicy-kernel.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp "$CARGO_TARGET_DIR/release/mempolicy-kernel" "$W/multiboot.elf"
# QEMU tries Multiboot before PVH: the PVH image is the same file with the Multiboot magic
# (in the first 8 KiB, 4-byte aligned) overwritten, so QEMU falls through to the PVH note.
cp "$W/multiboot.elf" "$W/pvh.elf"
magic_at=$(od -A d -t x4 -v -N 8192 "$W/pvh.elf" |
	awk '!found { for (i = 2; i <= NF; i++) if ($i == "1badb002") { print $1 + 4 * (i - 2); found = 1; break } }')
[ -n "$magic_at" ] || die "no Multiboot header in the kernel image"
printf '\0\0\0\0' | dd of="$W/pvh.elf" bs=1 seek="$magic_at" conv=notrunc status=none

# ---- topology words -> QEMU options (as the conformance oracle builds them) ---------------
# machine_args WORDS: sets QARGS (QEMU options), EXPECT_CPUS, EXPECT_NODES, EXPECT_HMAT.
machine_args() {
	local spec=$1 nodes=4 cpus=0,1 mem=256 dist= hmat_bw= hmat_lat= w
	for w in $spec; do
		case $w in
		nodes=*) nodes=${w#nodes=} ;;
		cpus=*) cpus=${w#cpus=} ;;
		mem=*) mem=${w#mem=} ;;
		dist=*) dist=${w#dist=} ;;
		accel=*) ;;
		bw=*) hmat_bw=${w#bw=} ;;
		lat=*) hmat_lat=${w#lat=} ;;
		*) die "bad word: $w" ;;
		esac
	done
	[[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 64 ] || die "bad nodes=$nodes"

	local -a cpu_node mem_list drows dv
	IFS=, read -r -a cpu_node <<<"$cpus"
	local ncpu=${#cpu_node[@]} n i j m
	[ "$ncpu" -ge 1 ] || die "cpus= must name at least one vCPU"
	for n in "${cpu_node[@]}"; do
		[[ $n =~ ^[0-9]+$ ]] && [ "$n" -lt "$nodes" ] || die "cpus=: bad node $n"
	done

	IFS=, read -r -a mem_list <<<"$mem"
	if [ "${#mem_list[@]}" = 1 ]; then
		for ((i = 1; i < nodes; i++)); do mem_list[i]=${mem_list[0]}; done
	fi
	[ "${#mem_list[@]}" = "$nodes" ] || die "mem= needs 1 or $nodes values"
	local total_mem=0 hascpu
	for ((i = 0; i < nodes; i++)); do
		m=${mem_list[i]}
		[[ $m =~ ^[0-9]+$ ]] || die "mem=: bad size $m"
		m=$((10#$m))
		mem_list[i]=$m
		if [ "$m" = 0 ]; then
			hascpu=0
			for n in "${cpu_node[@]}"; do [ "$n" = "$i" ] && hascpu=1; done
			[ "$hascpu" = 1 ] || die "mem=: node $i has mem=0 but no vCPU (a node needs memory or a CPU)"
		elif [ "$m" -lt 16 ]; then
			die "mem=: bad size $m (MiB, >=16, or 0 for a memoryless node with a vCPU)"
		fi
		total_mem=$((total_mem + m))
	done
	[ "$total_mem" -ge 64 ] || die "mem=: total guest memory ${total_mem} MiB is too small"

	local -A D=()
	local r d rows=()
	if [ -z "$dist" ]; then
		if [ "$nodes" = 4 ]; then
			dist=10,30,20,40/30,10,40,20/20,40,10,30/40,20,30,10
		else
			for ((i = 0; i < nodes; i++)); do
				r=
				for ((j = 0; j < nodes; j++)); do
					d=$((10 + 10 * (i > j ? i - j : j - i)))
					[ "$d" -gt 254 ] && d=254
					r+="${r:+,}$d"
				done
				rows+=("$r")
			done
			dist=$(IFS=/; echo "${rows[*]}")
		fi
	fi
	IFS=/ read -r -a drows <<<"$dist"
	[ "${#drows[@]}" = "$nodes" ] || die "dist= needs $nodes rows"
	for ((i = 0; i < nodes; i++)); do
		IFS=, read -r -a dv <<<"${drows[i]}"
		[ "${#dv[@]}" = "$nodes" ] || die "dist= row $i needs $nodes values"
		for ((j = 0; j < nodes; j++)); do
			[[ ${dv[j]} =~ ^[0-9]+$ ]] || die "dist=: bad value ${dv[j]}"
			if [ "$i" = "$j" ] && [ "${dv[j]}" != 10 ]; then die "dist=: diagonal must be 10"; fi
			D[$i,$j]=${dv[j]}
		done
	done

	# HMAT: HM[kind,node] = "R:W", or empty for no entry.
	local -A HM=()
	local hmat=0 kind list v wv
	local -a hv
	for kind in bw lat; do
		if [ "$kind" = bw ]; then list=$hmat_bw; else list=$hmat_lat; fi
		[ -n "$list" ] || continue
		hmat=1
		IFS=, read -r -a hv <<<"$list"
		[ "${#hv[@]}" = "$nodes" ] || die "$kind= needs $nodes values (one per node)"
		for ((i = 0; i < nodes; i++)); do
			v=${hv[i]}
			if [ "$v" = - ]; then HM[$kind,$i]=; continue; fi
			if [[ $v =~ ^([0-9]+):([0-9]+)$ ]]; then
				r=${BASH_REMATCH[1]}; wv=${BASH_REMATCH[2]}
			elif [[ $v =~ ^[0-9]+$ ]]; then
				r=$v; wv=$v
			else
				die "$kind=: bad value $v (N, R:W or -)"
			fi
			r=$((10#$r)); wv=$((10#$wv))
			[ "$r" -ge 1 ] && [ "$wv" -ge 1 ] || die "$kind=: values must be >= 1 (use - for no entry)"
			HM[$kind,$i]=$r:$wv
		done
	done

	# Node numbering: Linux numbers nodes in SRAT order (CPU entries first, one per possible
	# vCPU). When the CPU nodes are not 0,1,... in vCPU order, add one absent vCPU slot per
	# node (slot i on node i) so that the SRAT lists nodes 0,1,2,... in order; the real vCPUs
	# are then cold-plugged into their slots with -device.
	local -A seen_node=()
	local -a disc=() cpu_slot_node=() cpu_present=()
	for n in "${cpu_node[@]}"; do
		if [ -z "${seen_node[$n]:-}" ]; then disc+=("$n"); seen_node[$n]=1; fi
	done
	for ((i = 0; i < nodes; i++)); do
		if [ -z "${seen_node[$i]:-}" ]; then disc+=("$i"); seen_node[$i]=1; fi
	done
	local identity=1 c last slot
	for ((i = 0; i < nodes; i++)); do [ "${disc[i]}" = "$i" ] || identity=0; done
	if [ "$identity" = 1 ]; then
		for ((c = 0; c < ncpu; c++)); do cpu_slot_node[c]=${cpu_node[c]}; cpu_present[c]=$c; done
	else
		[ "${cpu_node[0]}" = 0 ] || die "cpus=: vCPU 0 must be on node 0 when the CPU nodes are not 0,1,.. in vCPU order (Linux would renumber the nodes)"
		for ((i = 0; i < nodes; i++)); do cpu_slot_node[i]=$i; done
		cpu_present[0]=0
		last=0
		for ((c = 1; c < ncpu; c++)); do
			n=${cpu_node[c]}
			if [ "$n" -gt "$last" ] && [ "$n" -lt "$nodes" ]; then
				slot=$n
			else
				slot=${#cpu_slot_node[@]}
				cpu_slot_node[slot]=$n
			fi
			cpu_present[c]=$slot
			last=$slot
		done
	fi
	local nslots=${#cpu_slot_node[@]}

	QARGS=(-nodefaults -no-reboot -display none -monitor none -m "${total_mem}M")
	if [ "$identity" = 1 ]; then
		QARGS+=(-smp "$ncpu,sockets=$ncpu,cores=1,threads=1")
	else
		QARGS+=(-smp "1,maxcpus=$nslots,sockets=$nslots,cores=1,threads=1")
	fi
	# HMAT needs an initiator for every node: nodes with a vCPU slot are their own; a
	# memory-only node gets the nearest node with a vCPU slot by SLIT (lowest on ties).
	local -A is_init=()
	for ((c = 0; c < nslots; c++)); do is_init[${cpu_slot_node[c]}]=1; done
	local init best bd
	for ((i = 0; i < nodes; i++)); do
		init=
		if [ "$hmat" = 1 ] && [ -z "${is_init[$i]:-}" ]; then
			best=
			for ((j = 0; j < nodes; j++)); do
				[ -n "${is_init[$j]:-}" ] || continue
				if [ -z "$best" ] || [ "${D[$i,$j]}" -lt "$bd" ]; then best=$j; bd=${D[$i,$j]}; fi
			done
			init=",initiator=$best"
		fi
		if [ "${mem_list[i]}" = 0 ]; then
			QARGS+=(-numa "node,nodeid=$i$init")
		else
			QARGS+=(-object "memory-backend-ram,id=m$i,size=${mem_list[i]}M"
				-numa "node,nodeid=$i,memdev=m$i$init")
		fi
	done
	for ((c = 0; c < nslots; c++)); do
		QARGS+=(-numa "cpu,node-id=${cpu_slot_node[c]},socket-id=$c")
	done
	for ((i = 0; i < nodes; i++)); do
		for ((j = 0; j < nodes; j++)); do
			[ "$i" = "$j" ] && continue
			QARGS+=(-numa "dist,src=$i,dst=$j,val=${D[$i,$j]}")
		done
	done
	# HMAT latency/bandwidth entries: every initiator sees each target's value. One access-*
	# table when every value of a list has read = write, else read-* and write-* tables for
	# all nodes of that list.
	local -A split=([lat]=0 [bw]=0)
	local t pre key unit lb ini
	for kind in lat bw; do
		for ((t = 0; t < nodes; t++)); do
			v=${HM[$kind,$t]:-}
			[ -n "$v" ] && [ "${v%%:*}" != "${v#*:}" ] && split[$kind]=1
		done
	done
	if [ "$hmat" = 1 ]; then
		for kind in lat bw; do
			[ "$kind" = lat ] && [ -z "$hmat_lat" ] && continue
			[ "$kind" = bw ] && [ -z "$hmat_bw" ] && continue
			for ((ini = 0; ini < nodes; ini++)); do
				[ -n "${is_init[$ini]:-}" ] || continue
				for ((t = 0; t < nodes; t++)); do
					v=${HM[$kind,$t]:-}
					[ -n "$v" ] || continue
					r=${v%%:*}; wv=${v#*:}
					if [ "$kind" = lat ]; then pre=latency; key=latency; unit=; else pre=bandwidth; key=bandwidth; unit=M; fi
					lb="hmat-lb,initiator=$ini,target=$t,hierarchy=memory"
					if [ "${split[$kind]}" = 0 ]; then
						QARGS+=(-numa "$lb,data-type=access-$pre,$key=$r$unit")
					else
						QARGS+=(-numa "$lb,data-type=read-$pre,$key=$r$unit"
							-numa "$lb,data-type=write-$pre,$key=$wv$unit")
					fi
				done
			done
		done
	fi
	local machine=pc
	[ "$hmat" = 1 ] && machine=pc,hmat=on
	QARGS+=(-machine "$machine" -accel tcg,thread=multi -cpu max)
	if [ "$identity" = 0 ]; then
		for ((c = 1; c < ncpu; c++)); do
			QARGS+=(-device "max-x86_64-cpu,id=vcpu$c,socket-id=${cpu_present[c]},core-id=0,thread-id=0")
		done
	fi
	EXPECT_CPUS=$ncpu
	EXPECT_NODES=$nodes
	EXPECT_HMAT=$hmat
}

# ---- one boot ---------------------------------------------------------------------------
CHECKS_PASSED=0
CHECKS_FAILED=0
# boot WORDS PROTOCOL: boots once, passes the serial output through; returns 0 if it passed.
boot() {
	local spec=$1 protocol=$2 out="$W/serial.log" rc=0 problems=() last counts
	machine_args "$spec"
	QARGS+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -kernel "$W/$protocol.elf")
	info "qemu-system-x86_64 ${QARGS[*]}"
	set +e
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${QARGS[@]}" </dev/null 2>"$W/qemu.err" |
		tr -d '\r' | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	last=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1 || true)
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		CHECKS_PASSED=$((CHECKS_PASSED + BASH_REMATCH[1]))
		CHECKS_FAILED=$((CHECKS_FAILED + BASH_REMATCH[2]))
		[ "${BASH_REMATCH[2]}" = 0 ] || problems+=("${BASH_REMATCH[2]} checks failed")
	else
		problems+=("no final 'N passed, M failed' line")
	fi
	case $rc in
	33) ;;
	124 | 137) problems+=("timed out after ${TIMEOUT}s") ;;
	0) problems+=("QEMU exited 0: the guest reset (a triple fault?)") ;;
	*) problems+=("QEMU exit status $rc, not the kernel's pass status 33") ;;
	esac
	grep -qx "boot: protocol=$protocol" "$out" || problems+=("not booted through $protocol")
	grep -qx "smp: $EXPECT_CPUS cpus online" "$out" || problems+=("expected $EXPECT_CPUS cpus online")
	grep -q "^layout: $EXPECT_NODES nodes," "$out" || problems+=("expected $EXPECT_NODES nodes")
	if [ "$EXPECT_HMAT" = 1 ]; then
		grep -q '^table=HMAT ' "$out" || problems+=("expected an HMAT")
	else
		! grep -q '^table=HMAT ' "$out" || problems+=("unexpected HMAT")
	fi
	if [ "${#problems[@]}" -gt 0 ]; then
		{
			printf 'run.sh: FAILED (%s) on "%s": %s\n' "$protocol" "$spec" "$(IFS=';'; echo "${problems[*]}")"
			[ -s "$W/qemu.err" ] && sed 's/^/qemu: /' "$W/qemu.err"
		} >&2
		return 1
	fi
	return 0
}

# ---- main --------------------------------------------------------------------------------
if [ $# -gt 0 ]; then
	case ${KERNEL_BOOT:-multiboot} in
	multiboot | pvh) protocols=("${KERNEL_BOOT:-multiboot}") ;;
	both) protocols=(multiboot pvh) ;;
	*) die "KERNEL_BOOT must be multiboot, pvh or both" ;;
	esac
	status=0
	for p in "${protocols[@]}"; do boot "$*" "$p" || status=1; done
	exit "$status"
fi

passed=0
failed=0
start=$SECONDS
for spec in "${MACHINES[@]}"; do
	for p in multiboot pvh; do
		echo "=== $spec ($p)"
		if boot "$spec" "$p"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	done
done
echo "=== $((passed + failed)) boots in $((SECONDS - start))s; $CHECKS_PASSED checks passed, $CHECKS_FAILED failed"
echo "boots: $passed passed, $failed failed"
[ "$failed" = 0 ]

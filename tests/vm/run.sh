#!/bin/bash
# run.sh: runs bats suites (or one shell command) inside a throwaway VM whose kernel has a pure
# cgroup v2 hierarchy, and brings the results back. See tests/vm/README.md.
#
#   tests/vm/run.sh --build BUILD_DIR [--timeout SECS] [--keep PATH]... -- SUITE.bats...
#   tests/vm/run.sh --build BUILD_DIR [--timeout SECS] [--keep PATH]... -- --cmd 'COMMAND'
#
# The guest sees the host's / read-only at the same paths; /tmp, /var/tmp, /var/lib, /root, /mnt
# and /run are fresh tmpfs there (a --keep PATH below them, the build dir and the suites stay
# visible). Prints the suite's TAP (or the command's output) as it comes, then a summary line,
# and exits with the guest's status. A VM that does not boot, or a guest that reports no status
# before the timeout, fails with exit status 125 (124 on timeout) and the end of its console.
#
# Environment: CORRAL_VM_CACHE (kernel and initramfs cache, /var/cache/corral-vm),
# CORRAL_VM_REFRESH=1 (fetch the current Debian kernel again), CORRAL_VM_CPU (qemu -cpu,
# Westmere), CORRAL_VM_BOOT_TIMEOUT (seconds until a boot counts as stuck and is retried once,
# 120), CORRAL_VM_APPEND (extra kernel arguments), CORRAL_VM_KEEP_WORK=1 (keep the console log).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${CORRAL_VM_CACHE:-/var/cache/corral-vm}

usage() {
	sed -n '4,5s/^# *//p' "$0" >&2
	exit 2
}
die() {
	echo "vm: FAILED: $*" >&2
	exit 125
}

build='' timeout=1400 cmd='' keep=() suites=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--keep) keep+=("${2:?}"); shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
if [ "${1:-}" = --cmd ]; then
	[ $# -eq 2 ] || usage
	cmd=$2
else
	[ $# -gt 0 ] || usage
	suites=("$@")
fi
[ -n "$build" ] || usage
[[ "$timeout" =~ ^[0-9]+$ ]] || usage
build=$(realpath -e "$build") || die "build dir $build does not exist"
if [ -z "$cmd" ]; then
	[ -x "$build/corral" ] || die "$build/corral missing: build first"
	[ -f "$build/tests/corral-probe" ] || die "$build/tests/corral-probe missing: build first"
	for i in "${!suites[@]}"; do
		suites[i]=$(realpath -e "${suites[i]}") || die "suite ${suites[i]} does not exist"
	done
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: scripts/deps.sh --test"

"$here/build-initramfs.sh" "$cache" || die "could not prepare the kernel and initramfs in $cache"
kver=$(cat "$cache/kver")

# ---- the job -----------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/corral-vm.XXXXXX")
qpid=''
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	# Only the qemu this script started, by its pid.
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -KILL "$qpid" 2>/dev/null || true; fi
	if [ -n "${CORRAL_VM_KEEP_WORK:-}" ]; then echo "vm: work dir kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

job=$work/job
mkdir -p "$job"
echo "$cache/kernel" >"$job/kroot"
# Host paths the guest must see although they may lie below one of its tmpfs mounts.
cwd=$PWD
keep+=("$build" "$src" "$cache" "$cwd")
for s in "${suites[@]}"; do keep+=("$(dirname "$s")"); done
for p in "${keep[@]}"; do
	p=$(realpath -m "$p")
	# Binding over a tmpfs mount point itself (or an ancestor) would undo it.
	case $p in / | /tmp | /var | /var/tmp | /var/lib | /root | /mnt | /run | /dev* | /proc* | /sys*) continue ;; esac
	echo "$p"
done | sort -u >"$job/keep"

{
	echo "# Written by tests/vm/run.sh; run by the guest's init with bash."
	printf 'export CORRAL=%q CORRAL_PROBE=%q CORRAL_BUILD=/tmp/corral-build CORRAL_VM=1\n' \
		"$build/corral" "$build/tests/corral-probe"
	# shellcheck disable=SC2016 # expanded in the guest
	echo 'mkdir -p "$CORRAL_BUILD"'
	case $cwd in /tmp | /var/tmp | /root | /mnt | /run) echo "cd /tmp" ;; *) printf 'cd %q\n' "$cwd" ;; esac
	if [ -n "$cmd" ]; then
		printf '%s\n' "$cmd"
	else
		printf 'exec bats --tap'
		printf ' %q' "${suites[@]}"
		echo
	fi
} >"$job/job.sh"

# ---- the VM ------------------------------------------------------------------------------
# TCG only: nested KVM hangs on this host. cgroup_no_v1=all keeps every controller on v2.
# The rest is speed under TCG: no crypto self-tests at boot, no speculation mitigations, and the
# TSC as clock (the kernel finds TCG's TSCs unsynchronised and would fall back to the HPET, whose
# every read is an emulated MMIO access: bash alone starts twice as fast with the TSC).
append="console=ttyS0 loglevel=4 panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all \
mitigations=off cryptomgr.notests tsc=reliable ${CORRAL_VM_APPEND:-}"
# A named CPU model rather than `max`: TCG guests with -cpu max -smp 2 are known to hang now and
# then while bringing up the second CPU; Westmere is one that TCG implements without warnings.
cpu=${CORRAL_VM_CPU:-Westmere}

# launch: a fresh VM (fresh disk, no results yet), started in the background as $qpid.
launch() {
	rm -f "$job/booted" "$job/output" "$job/status" "$job/dump" "$job/dump.out"
	# Sparse: io tests need a real block device, not its contents.
	rm -f "$work/disk.img" && truncate -s 64M "$work/disk.img"
	start=$EPOCHREALTIME
	qemu-system-x86_64 -machine pc,accel=tcg -cpu "$cpu" -smp 2 -m 2048 \
		-nodefaults -no-user-config -nographic -monitor none -no-reboot \
		-serial "file:$work/console.log" \
		-kernel "$cache/vmlinux" -initrd "$cache/initramfs.cpio" -append "$append" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$job,mount_tag=job,security_model=none" \
		-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe" \
		</dev/null >"$work/qemu.log" 2>&1 &
	qpid=$!
}

# secs NOW [SINCE]: seconds from SINCE (default: the last launch) to NOW, one decimal.
secs() {
	local since=${2:-$start}
	local us=$((${1/./} - ${since/./}))
	echo "$((us / 1000000)).$((us % 1000000 / 100000))"
}
console_tail() {
	if [ -s "$work/qemu.log" ]; then
		echo "vm: --- qemu said ---" >&2
		cat "$work/qemu.log" >&2
	fi
	echo "vm: --- last lines of the guest console ---" >&2
	# Without the firmware's terminal escapes.
	tail -n 40 "$work/console.log" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' >&2
	echo >&2
}

# Streams the guest's output as it grows, and notes when the guest is up.
printed=0 boot=''
stream() {
	local size
	size=$(stat -c %s "$job/output" 2>/dev/null) || return 0
	[ "$size" -gt "$printed" ] || return 0
	tail -c +$((printed + 1)) "$job/output" | head -c $((size - printed))
	printed=$size
}
# A boot takes 3-20 s; one not done after boot_timeout is stuck and gets one more try (loudly).
boot_timeout=${CORRAL_VM_BOOT_TIMEOUT:-120} tries=1
t0=$EPOCHREALTIME
launch
while kill -0 "$qpid" 2>/dev/null; do
	if [ -z "$boot" ] && [ -s "$job/booted" ]; then
		boot=$(secs "$EPOCHREALTIME")
		echo "vm: guest up after $boot s (kernel $kver; cgroup2 controllers: $(sed -n 2p "$job/booted"))" >&2
	fi
	stream
	if [ -z "$boot" ] && ((${EPOCHREALTIME/./} - ${start/./} >= boot_timeout * 1000000)); then
		kill -KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		console_tail
		[ "$tries" -lt 2 ] || die "the VM did not boot within $boot_timeout s, twice"
		echo "vm: the guest is not up after $boot_timeout s: killed qemu $qpid, booting again" >&2
		tries=2
		launch
		continue
	fi
	if ((${EPOCHREALTIME/./} - ${t0/./} >= timeout * 1000000)); then
		# The guest's init answers with its process list (see init.sh); give it 15 s.
		touch "$job/dump"
		for _ in $(seq 75); do [ -s "$job/dump.out" ] && break; sleep 0.2; done
		kill -KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		stream
		console_tail
		if [ -s "$job/dump.out" ]; then
			echo "vm: --- guest processes at the timeout ---" >&2
			cat "$job/dump.out" >&2
		fi
		echo "vm: FAILED: no result after ${timeout} s (timeout; qemu pid $qpid killed)" >&2
		exit 124
	fi
	sleep 0.2
done
qrc=0
wait "$qpid" || qrc=$?
stream
total=$(secs "$EPOCHREALTIME" "$t0")

if [ ! -s "$job/status" ]; then
	console_tail
	if [ -z "$boot" ]; then
		die "the VM did not boot (qemu exit status $qrc after $total s)"
	fi
	die "the guest stopped without reporting a status (qemu exit status $qrc after $total s)"
fi
rc=$(cat "$job/status")
if [ -n "$cmd" ]; then
	echo "vm: command exited $rc (boot $boot s, total $total s)" >&2
else
	tests=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$job/output" | head -n 1)
	failures=$(grep -c '^not ok' "$job/output" || true)
	[ -n "$tests" ] || { console_tail; echo "vm: bats printed no plan" >&2; }
	echo "vm: ${tests:-0} tests, $failures failures (boot $boot s, total $total s)"
fi
exit "$rc"

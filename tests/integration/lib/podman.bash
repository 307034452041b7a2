# Helpers for podman.bats: podman (through conmon) drives corral or runc, with every piece of
# podman's state private to the test. `load lib/podman` after lib/common.
#
# Each test gets its own podman world under $PD: --root (the bolt db and the storage),
# --runroot, --tmpdir (podman's /run/libpod: exit files, events, attach sockets) and
# --network-config-dir, and the file events backend, so that nothing is read from or written to
# the host's podman state. Containers run from $ROOTFS, the bundle's copy of the busybox rootfs
# (--rootfs: no images, no registry), with --network none unless the test says otherwise.
# Their cgroups are podman's default with the cgroupfs manager: libpod_parent/libpod-<id> in
# every hierarchy (conmon itself goes to libpod_parent/conmon, which podman shares and keeps).
#
# Teardown removes whatever a test left and fails it if anything was left: a container in the
# private podman, a process of that podman (conmon, `podman container cleanup`, a client), a
# libpod-<id> cgroup of one of its containers, a mount below the test's temp dir.

# The path podman (through conmon) runs corral by: $CORRAL installed as /usr/local/bin/corral,
# or CORRAL_RUNTIME_PATH as given (the sanitizer lane gives a wrapper of its sanitized build).
PODMAN_CORRAL=${CORRAL_RUNTIME_PATH:-/usr/local/bin/corral}
PODMAN_RUNC=/usr/sbin/runc
# Upper bound for one podman invocation; a hang becomes a failure.
PODMAN_TIMEOUT=${PODMAN_TIMEOUT:-90}
# Without CAP_SYS_RESOURCE podman's default rlimits exceed this machine's hard limits; every
# runtime (runc too) fails to apply them. These fit.
PODMAN_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

podman_setup_file() {
	common_setup_file
	[ "$(id -u)" -eq 0 ] || skip "needs root: containers are created for real"
	local b
	for b in podman conmon catatonit "$PODMAN_RUNC"; do
		command -v "$b" >/dev/null || skip "$b is not installed (scripts/deps.sh --test installs it)"
	done
	if [ -n "${CORRAL_RUNTIME_PATH:-}" ]; then
		[ -x "$PODMAN_CORRAL" ] || fail "CORRAL_RUNTIME_PATH $PODMAN_CORRAL is not executable"
	else
		# conmon and podman find the runtime by this path.
		install -m755 "$CORRAL" "$PODMAN_CORRAL"
	fi
}

podman_setup() {
	common_setup
	PD=$BATS_TEST_TMPDIR/pd
	ROOTFS=$BUNDLE/rootfs
	SHARED=$BATS_TEST_TMPDIR/shared
	mkdir -p "$PD" "$SHARED"
	chmod 0777 "$SHARED"
	# Mount targets of -v $SHARED:/shared exist, as an image would have them.
	mkdir -p "$ROOTFS/shared"
	PM_RUNTIME=
	PM=()
}

# pm_use corral|runc: the runtime podman drives for the rest of the test; sets PM (the podman
# command line with the private state, for ptydrive) and RT (the name).
pm_use() {
	case $1 in
	corral) PM_RUNTIME=$PODMAN_CORRAL ;;
	runc) PM_RUNTIME=$PODMAN_RUNC ;;
	*) fail "unknown runtime '$1'" ;;
	esac
	RT=$1
	PM=(podman --root "$PD/storage" --runroot "$PD/run" --tmpdir "$PD/tmp"
		--network-config-dir "$PD/net" --events-backend file --cgroup-manager cgroupfs
		--runtime "$PM_RUNTIME")
}

# pm ARGS...: podman with this test's private state and runtime. fd 3 (bats' own output) is
# closed, so neither podman nor conmon can keep bats waiting.
pm() {
	[ ${#PM[@]} -gt 0 ] || fail "pm: call pm_use first"
	timeout -k 5 "$PODMAN_TIMEOUT" "${PM[@]}" "$@" 3>&-
}

# pm_run_args [PODMAN RUN OPTIONS...] -- COMMAND...: sets PM_ARGS to the arguments of `podman
# run` with the suite's fixed options: the rlimits, --network none unless an option names a
# network, and the rootfs copy.
pm_run_args() {
	local opts=() net=(--network none)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[[ "$1" != --network* ]] || net=()
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] || fail "pm_run_args: no -- before the command"
	shift
	PM_ARGS=(run "${PODMAN_ULIMITS[@]}" "${net[@]}" "${opts[@]}" --rootfs "$ROOTFS" "$@")
}

# pm_run [PODMAN RUN OPTIONS...] -- COMMAND...: podman run with the fixed options.
pm_run() {
	pm_run_args "$@" || return 1
	pm "${PM_ARGS[@]}"
}

# drive_pm [PTYDRIVE OPTIONS...] -- PODMAN ARGS...: podman on a real pty (ptydrive, see
# lib/tty), as a user's terminal runs it.
drive_pm() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	drive "${opts[@]}" -- "${PM[@]}" "$@"
}

# pm_state NAME: the container's status as podman inspect reports it (running, paused, ...).
pm_state() { pm inspect --format '{{.State.Status}}' "$1"; }

# wait_for_file FILE: FILE exists and is not empty within 5 s.
wait_for_file() {
	retry 100 0.05 test -s "$1" || fail "$1 was not written within 5 s"
}

# The ids of every container this test's podman made, from its event log (--rm ones included).
_pm_logged_ids() {
	grep -ho '"ID":"[0-9a-f]\{64\}"' "$PD/tmp/events/events.log" 2>/dev/null | cut -d'"' -f4 | sort -u
}

# The pids of the processes that work for this test's podman: conmon, `podman container
# cleanup` (conmon's exit command), podman clients. All of them name $PD on their command line.
_pm_processes() {
	local f
	# A pattern grep's own command line does not match.
	for f in $(grep -laE -- "$PD/(storage|run|tmp|net)" /proc/[0-9]*/cmdline 2>/dev/null); do
		f=${f#/proc/}
		echo "${f%/cmdline}"
	done
}

_pm_cgroup_dirs() {
	local id=$1 d
	for d in "$CGROUP_ROOT"/*/libpod_parent/*"$id"*; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# Mount points under this test's temp dir (octal escapes as in mountinfo).
_test_mounts() {
	local l f
	while read -r l; do
		read -ra f <<<"$l"
		[[ "${f[4]}" == "$BATS_TEST_TMPDIR/"* ]] && echo "${f[4]}"
	done </proc/self/mountinfo
	return 0
}

_pm_processes_gone() { [ -z "$(_pm_processes)" ]; }
_pm_cgroups_gone() { [ -z "$(_pm_cgroup_dirs "$1")" ]; }

podman_teardown() {
	[ -n "${PD:-}" ] || return 0
	local problems=() ids id left p d
	if [ ${#PM[@]} -gt 0 ]; then
		left=$(pm ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}' 2>&1)
		if [ -n "$left" ]; then
			problems+=("podman containers left:" "$left")
			pm rm -f -a -t 0 >/dev/null 2>&1 || true
		fi
	fi
	ids=$( (_pm_logged_ids; echo "$left" | grep -o '^[0-9a-f]\{64\}') | sort -u)
	# conmon ends after its container, then runs `podman container cleanup`: slow on a busy host.
	if ! retry 300 0.05 _pm_processes_gone; then
		for p in $(_pm_processes); do
			problems+=("process $p of this podman still running: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)")
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	for id in $ids; do
		retry 50 0.1 _pm_cgroups_gone "$id" || true
		for d in $(_pm_cgroup_dirs "$id"); do
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
				problems+=("process $p still in $d")
				kill -KILL "$p" 2>/dev/null || true
			done
			problems+=("cgroup $d left behind")
			retry 20 0.1 rmdir "$d" 2>/dev/null || true
		done
	done
	# Mounts of this test (podman's shm and overlay mounts live under $PD, binds under the test's
	# temp dir): none may remain; what leaked is unmounted. The rest of the host's mount table is
	# not compared: other suites mount and unmount in parallel.
	# One is podman's own: its overlay storage driver may leave its home ($PD/storage/overlay)
	# bind-mounted on itself (a container removed with rm -f right after run -d does it, with
	# runc as with corral); `podman system reset` would unmount it, so does this.
	local mnts
	! grep -qF " $PD/storage/overlay " /proc/self/mountinfo || umount "$PD/storage/overlay" 2>/dev/null || true
	mnts=$(_test_mounts)
	if [ -n "$mnts" ]; then
		problems+=("mounts left:" "$mnts")
		echo "$mnts" | sort -r | while read -r d; do umount -l "$d" 2>/dev/null || true; done
	fi
	if [ -n "$(_test_mounts)" ]; then
		problems+=("mounts under $BATS_TEST_TMPDIR remain; $PD is left in place")
	else
		rm -rf "$PD"
	fi
	[ ${#problems[@]} -eq 0 ] || fail "LEAKED:" "${problems[@]}"
}

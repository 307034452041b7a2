#!/usr/bin/env bats
# SECURITY.md class 2, fd leaks into the container (runc CVE-2016-9962, CVE-2024-21626 "Leaky
# Vessels"): a host fd that survives into the container, as its cwd or as something it can
# reach through /proc/self/fd, is a way out. Host fds are planted in the runtime's environment
# on purpose: the shell that calls the runtime opens, without O_CLOEXEC,
#   fd 7  the host's probe binary (an executable: exec of /proc/self/fd/7 would run it)
#   fd 8  the host canary directory
#   fd 9  the host's "/"
# and the runtime's own fds during setup (procfs, cgroup, exec fifo, sync socket) sit at the low
# numbers. Every fd from 3 to 64 is tried.

load lib/security

FIRST_FD=3
LAST_FD=64

# Host fds for the runtime to inherit (see the header).
open_host_fds() {
	exec 7<"$CORRAL_PROBE" 8<"$SEC_CANARY" 9</
}

# per_fd_bundles FILTER: a bundle per fd N in FIRST_FD..LAST_FD under $BATS_TEST_TMPDIR/fd,
# sharing $BUNDLE/rootfs, whose config is FILTER applied with $n bound to N (as a string).
# One jq run, then pure bash: ~60 jq starts would cost seconds.
per_fd_bundles() {
	cfg --arg root "$BUNDLE/rootfs" '.root.path = $root'
	local template n
	template=$(jq --arg n @@N@@ "$_SEC_JQ_DEFS $1" "$BUNDLE/config.json")
	mkdir -p $(seq -f "$BATS_TEST_TMPDIR/fd/%g" $FIRST_FD $LAST_FD)
	for ((n = FIRST_FD; n <= LAST_FD; n++)); do
		printf '%s\n' "${template//@@N@@/$n}" >"$BATS_TEST_TMPDIR/fd/$n/config.json"
	done
}

@test "cwd=/proc/self/fd/N for N in 3..64: refused, or inside the rootfs with no host in sight" {
	open_host_fds
	# From a host directory, ../ climbs to the host's / and the canary is there; from inside
	# the container the ../ stop at its root and the path does not exist.
	local up=../../../../../../../../../../../../../../..
	per_fd_bundles "args([\"sh\", \"-c\", \"echo RAN; probe cwd; probe stat $up$SEC_CANARY/file; ls -A\"])
		| .process.cwd = (\"/proc/self/fd/\" + \$n)"
	run_loop $FIRST_FD $LAST_FD "$BATS_TEST_TMPDIR/fd/%N"
	local n refused=0 inside=() problems=() l
	for ((n = FIRST_FD; n <= LAST_FD; n++)); do
		loop_result "$n"
		if [[ "$output" != *RAN* ]]; then
			# Refused: the one-line error contract, naming the cwd.
			[ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"/proc/self/fd/$n"* ]] ||
				problems+=("fd $n: status $status, output: $output")
			refused=$((refused + 1))
			continue
		fi
		local cwd
		cwd=$(kv cwd 2>/dev/null) || cwd=''
		inside+=("$n:$cwd")
		[[ "$cwd" == /* ]] || problems+=("fd $n: the container ran without a cwd inside its root: $output")
		[[ "$output" != *"type=file"* ]] || problems+=("fd $n: THE HOST CANARY IS REACHABLE from the cwd: $output")
		[[ "$output" != *" $SEC_CANARY"* ]] || problems+=("fd $n: $output")
		# The listing of the cwd is not the canary's nor the host root's.
		for l in "${lines[@]}"; do
			case $l in sub | link | farm | work | old_root) problems+=("fd $n: host entry '$l' listed: $output") ;; esac
		done
	done
	echo "# cwd=/proc/self/fd/N: $refused refused, ran inside (fd:cwd): ${inside[*]}" >&3
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	assert_nothing_left "$CID"
}

@test "args[0]=/proc/self/fd/N for N in 3..64 never runs" {
	open_host_fds
	# fd 7 is an executable host binary: a leak would run it and print pid=.
	per_fd_bundles 'args(["/proc/self/fd/" + $n, "pid"])'
	run_loop $FIRST_FD $LAST_FD "$BATS_TEST_TMPDIR/fd/%N"
	local n problems=()
	for ((n = FIRST_FD; n <= LAST_FD; n++)); do
		loop_result "$n"
		[ "$status" -ne 0 ] && [[ "$output" != *pid=* ]] ||
			problems+=("fd $n: status $status, output: $output")
		[[ "$output" == *"/proc/self/fd/$n"* ]] || problems+=("fd $n: error does not name the path: $output")
	done
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	assert_nothing_left "$CID"
}

# The runtime with nothing but stdio open, so the init's fds are all its own.
corral_clean_fds() {
	(
		local f n
		for f in /proc/"$BASHPID"/fd/*; do
			n=${f##*/}
			[ "$n" -gt 2 ] && eval "exec $n>&-"
		done
		_track_invocation "$@"
		exec "$CORRAL" --root "$STATE_ROOT" "$@"
	)
}

@test "create: the waiting init holds only stdio, the exec fifo, its cgroup and its procfs fd dir" {
	cfg 'args(["probe", "exit", "0"])'
	corral_clean_fds create --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	local pid l n target flags problems=() seen=''
	pid=$(<"$BATS_TEST_TMPDIR/pid")
	track_pid "$pid"
	run ctr_init_fds "$pid"
	echo "# fds of the created init: ${output//$'\n'/; }" >&3
	for l in "${lines[@]}"; do
		read -r n _ target flags <<<"$l"
		[ "$n" -le 2 ] && continue
		# Every fd past stdio must be close-on-exec (02000000 in fdinfo's octal flags).
		(((8#${flags#flags=} & 8#2000000) != 0)) || problems+=("fd $n is not O_CLOEXEC: $l")
		case $target in
		"$STATE_ROOT/$CID/exec.fifo") seen+=' fifo' ;;
		"$(container_cgroup "$CID")") seen+=' cgroup' ;;
		# The host procfs' /proc/<init>/fd, opened before pivot_root (docs/design.md); it
		# reads /<pid>/fd as that mount is out of the host's sight.
		"/$pid/fd" | "/proc/$pid/fd") seen+=' procfs' ;;
		*) problems+=("unexpected fd in the created init: $l") ;;
		esac
	done
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}" "all fds: $output"
	[[ "$seen" == *fifo* ]] || fail "no exec fifo fd in the waiting init: $output"
	corral start "$CID"
	wait_pid_gone "$pid"
	corral delete "$CID"
}

@test "inherited host fds: close-on-exec in the waiting init, gone in the container" {
	open_host_fds
	cfg 'args(["probe", "fds"])'
	corral_bg create --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	local pid l n target flags problems=()
	pid=$(<"$BATS_TEST_TMPDIR/pid")
	run ctr_init_fds "$pid"
	for l in "${lines[@]}"; do
		read -r n _ target flags <<<"$l"
		[ "$n" -le 2 ] && continue
		(((8#${flags#flags=} & 8#2000000) != 0)) || problems+=("fd $n is not O_CLOEXEC: $l")
	done
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}" "all fds: $output"
	corral start "$CID"
	wait_pid_gone "$pid"
	run cat "$(ctr_stdout "$CID")"
	# fd0..fd2 and nothing else (probe skips its own directory fd).
	[ "${#lines[@]}" -eq 3 ] || fail "the container has more than stdio:" "$output"
	assert_line_in_file "$(ctr_stdout "$CID")" "fd0=/dev/null"
	corral delete "$CID"
}

@test "inherited host fds through run: the container sees only 0, 1, 2" {
	open_host_fds
	cfg 'args(["probe", "fds"])'
	run --separate-stderr corral run "$CID" </dev/null
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "the container has more than stdio:" "$output"
	refute_line_matching "$SEC_CANARY"
	refute_line_matching "$CORRAL_PROBE"
}

@test "control: --preserve-fds 1 does pass fd 3, so the checks above can see a leak" {
	cfg 'args(["probe", "fds"])'
	# fd 3 is bats' own: replaced in a child shell only.
	track_id "$CID"
	run --separate-stderr sh -c 'exec 3<"$1"; shift; exec "$@"' sh "$SEC_CANARY/file" \
		"$CORRAL" --root "$STATE_ROOT" run --preserve-fds 1 "$CID" </dev/null
	assert_status 0
	assert_line "fd3=$SEC_CANARY/file"
}

# exec: the same classes for a process joining a running container. The host fds 7..9 are open
# in the calling shell; the exec setup process joins the container with them inherited.
start_sleeper() {
	cfg 'args(["sleep", "1000"])'
	corral run -d "$CID" </dev/null >/dev/null
	track_pid "$(container_pid "$CID")"
}

@test "exec --cwd /proc/self/fd/N for N in 3..64: refused, or inside the rootfs" {
	start_sleeper
	open_host_fds
	local up=../../../../../../../../../../../../../../.. n problems=() refused=0 inside=()
	for ((n = FIRST_FD; n <= LAST_FD; n++)); do
		run corral exec --cwd "/proc/self/fd/$n" "$CID" sh -c "echo RAN; probe cwd; probe stat $up$SEC_CANARY/file; ls -A" </dev/null
		if [[ "$output" != *RAN* ]]; then
			[ "$status" -eq 1 ] && [[ "$output" == *"/proc/self/fd/$n"* ]] ||
				problems+=("fd $n: status $status, output: $output")
			refused=$((refused + 1))
			continue
		fi
		inside+=("$n:$(kv cwd 2>/dev/null)")
		[[ "$output" != *"type=file"* ]] || problems+=("fd $n: THE HOST CANARY IS REACHABLE: $output")
		local l
		for l in "${lines[@]}"; do
			case $l in sub | link | farm | work | old_root) problems+=("fd $n: host entry '$l' listed: $output") ;; esac
		done
	done
	note "exec --cwd /proc/self/fd/N: $refused refused, ran inside: ${inside[*]}"
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	# A symlink the container plants to a /proc/self/fd path is refused the same way.
	corral exec "$CID" ln -s /proc/self/fd/8 /dev/shm/esc
	run corral exec --cwd /dev/shm/esc "$CID" probe cwd </dev/null
	[ "$status" -ne 0 ] || [[ "$(kv cwd)" != "$SEC_CANARY"* ]] || fail "cwd through a planted link: $output"
	[[ "$output" != *"cwd=$SEC_CANARY"* ]] || fail "$output"
}

@test "exec /proc/self/fd/N for N in 3..64 never runs, and the process holds only stdio" {
	start_sleeper
	open_host_fds
	local n problems=()
	for ((n = FIRST_FD; n <= LAST_FD; n++)); do
		run corral exec "$CID" "/proc/self/fd/$n" pid </dev/null
		[ "$status" -ne 0 ] && [[ "$output" != *pid=* ]] || problems+=("fd $n: status $status, output: $output")
	done
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	run --separate-stderr corral exec "$CID" probe fds </dev/null
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "the exec'd process has more than stdio:" "$output"
}

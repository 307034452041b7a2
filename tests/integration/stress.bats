#!/usr/bin/env bats
# Stress: many containers through the whole lifecycle at once. 8 workers (background jobs of
# the test shell, each with ids of its own) take 25 containers each through create, start,
# exec, kill and delete; afterwards nothing of any of them may remain: no state dir, cgroup,
# mount, process, open fd or zombie, and `list` is empty.
#
# STRESS_WORKERS and STRESS_PER_WORKER override the sizes (e.g. for a quick local run).

load lib/common
load lib/stress

WORKERS=${STRESS_WORKERS:-8}
PER_WORKER=${STRESS_PER_WORKER:-25}

setup() {
	common_setup
	# One bundle for every container: the default root is read-only, so they can share it.
	update_config 'args("probe", "sleep", "600")'
	PREFIX=$(new_id w)
	PREFIX=${PREFIX%w}
}

teardown() {
	local rc=0
	[ -z "${PREFIX:-}" ] || cleanup_prefix "$PREFIX"
	reliability_teardown || rc=$?
	nap_close
	return "$rc"
}

# step WHAT CMD...: runs CMD; on failure records what failed, and CMD's stderr, in the worker's
# log and fails. stdio are files: a created container keeps the runtime's stdout and stderr, so
# a pipe (a command substitution) would wait for the container to die.
step() {
	local what=$1 rc=0
	shift
	"$@" </dev/null >/dev/null 2>"$LOG.err" || rc=$?
	[ "$rc" -eq 0 ] && return 0
	echo "$what: exit $rc: $(cat "$LOG.err")" >>"$LOG"
	return 1
}

# exec_probe ID: `exec ID probe pid` prints the process's pid in the container's pid namespace
# (the container's init is 1 there, so the exec'd process is not).
exec_probe() {
	local out
	out=$(rt exec "$1" probe pid 2>&1) || { echo "$out" >&2; return 1; }
	[[ "$out" =~ ^pid=([0-9]+)$ && "${BASH_REMATCH[1]}" -gt 1 ]] ||
		{ echo "exec printed '$out', not the pid of a second process in the container" >&2; return 1; }
}

# wait_stopped ID: state reports stopped within 10 s.
wait_stopped() {
	local i s
	for ((i = 0; i < 200; i++)); do
		s=$(status_of "$1") || true
		[ "$s" = stopped ] && return 0
		sleep 0.05
	done
	echo "status still '$s' 10 s after kill KILL" >&2
	return 1
}

# gone ID: delete removed the state directory.
gone() {
	[ ! -e "$STATE_ROOT/$1" ] || { echo "$STATE_ROOT/$1 still exists after delete" >&2; return 1; }
}

# worker W: PER_WORKER containers, one after another, each through the whole lifecycle. Stops
# at the first failure (recorded in $LOG); prints one line per container done.
worker() {
	local w=$1 i id
	LOG=$BATS_TEST_TMPDIR/worker.$w.log
	: >"$LOG"
	for ((i = 0; i < PER_WORKER; i++)); do
		id=${PREFIX}w$w-$i
		step "create $id" rt create "$id" || return 1
		step "start $id" rt start "$id" || return 1
		step "exec $id" exec_probe "$id" || return 1
		step "kill $id" rt kill "$id" KILL || return 1
		step "wait for $id to stop" wait_stopped "$id" || return 1
		step "delete $id" rt delete "$id" || return 1
		step "delete $id" gone "$id" || return 1
		echo "$id" >>"$BATS_TEST_TMPDIR/done.$w"
	done
}

@test "containers created, started, execed, killed and deleted by parallel workers (200 by 8) leave nothing" {
	local w pids=() failed=() total=$((WORKERS * PER_WORKER)) t0 t1 done_count
	t0=$(now_us)
	for ((w = 0; w < WORKERS; w++)); do
		worker "$w" 3>&- &
		pids+=($!)
	done
	for ((w = 0; w < WORKERS; w++)); do
		wait "${pids[w]}" || failed+=("worker $w: $(cat "$BATS_TEST_TMPDIR/worker.$w.log")")
	done
	t1=$(now_us)
	done_count=$(cat "$BATS_TEST_TMPDIR"/done.* 2>/dev/null | wc -l)
	[ ${#failed[@]} -eq 0 ] || fail "$done_count of $total containers went through; failures:" "${failed[@]}"
	[ "$done_count" -eq "$total" ]
	[ "$(sort -u "$BATS_TEST_TMPDIR"/done.* | wc -l)" -eq "$total" ]

	local secs=$(((t1 - t0) / 1000)) rate
	rate=$(awk -v n="$total" -v ms="$secs" 'BEGIN { printf "%.2f", n / (ms / 1000) }')
	printf '# stress: %d containers (create, start, exec, kill, delete) by %d workers in %d.%03d s: %s containers/s\n' \
		"$total" "$WORKERS" $((secs / 1000)) $((secs % 1000)) "$rate" >&3

	# Nothing is left: the state root is empty and list says so.
	run --separate-stderr rt list -q
	assert_status 0
	[ -z "$output" ] || fail "list -q after every delete:" "$output"
	[ -z "$stderr" ] || fail "list -q wrote on stderr:" "$stderr"
	[ -z "$(ls -A "$STATE_ROOT")" ] || fail "state root not empty: $(ls -A "$STATE_ROOT")"
	# No cgroup, no process in one, no runtime or init left on our state root, no fd into it.
	assert_prefix_gone "$PREFIX"
	# The workers were reaped by wait; nothing they ran was left a zombie of this shell.
	local z
	z=$(zombie_children "$$" "$BASHPID")
	[ -z "$z" ] || fail "zombie children of the test shell:" "$z"
	# No mount of any container reached the host.
	assert_no_mount_of_ours
}

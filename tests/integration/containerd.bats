#!/usr/bin/env bats
# containerd: corral as the runtime of containerd's runc v2 shim (containerd-shim-runc-v2, the
# shim the CRI plugin, and so Kubernetes, runs), driven with ctr against a private containerd
# (lib/containerd). Every scenario runs twice, once with `--runc-binary /usr/local/bin/corral`
# and once with runc itself: both must behave the same, so a failure runc shares is a limit of
# the environment, not of corral.
#
# The shim runs the runtime as `RT --root R --log BUNDLE/log.json --log-format json VERB ...`
# with create --bundle --pid-file, start, exec --process --detach --pid-file [--console-socket],
# kill ID SIGNAL [--all], ps --format json, pause, resume, delete [--force]. On a failure it
# reads the runtime's last error from the JSON log to build its own message.

load lib/common
load lib/containerd

setup_file() { ctrd_setup_file; }
teardown_file() { ctrd_teardown_file; }
setup() { ctrd_setup; }
teardown() { ctrd_teardown; }

# The container's group in the hierarchy of CONTROLLER (v1), or its cgroup2 group.
container_group() {
	local d=$CGROUP_ROOT/$2/$CTRD_NS/$1
	[ -d "$CGROUP_ROOT/$2" ] && [ "$(stat -f -c %T "$CGROUP_ROOT")" != cgroup2fs ] ||
		d=$(cgroup2_root)/$CTRD_NS/$1
	echo "$d"
}

_lines_over() { [ "$(wc -l <"$1")" -gt "$2" ]; }

# ---- 1. ctr run: output, arguments and exit status -----------------------------------------

sc_run() {
	rt_use "$1"
	local id
	id=$(ctrd_id run)
	# shellcheck disable=SC2016
	run --separate-stderr ctrd run --rm "${RT_OPTS[@]}" "$CTRD_IMAGE" "$id" \
		sh -c 'echo hi; echo "pid=$$"; printf "<%s>\n" "$@"; echo oops >&2; exit 3' sh 'a b' c
	assert_status 3
	[ "$output" = $'hi\npid=1\n<a b>\n<c>' ] || fail "unexpected stdout" "$(_run_context)"
	[ "$stderr" = oops ] || fail "unexpected stderr" "$(_run_context)"
	[ "$(exit_status "$id")" = 3 ]
	# --rm: nothing of it is left in containerd.
	run ctrd containers ls -q
	assert_status 0
	[ -z "$output" ] || fail "containers left after run --rm: $output"
	run ctrd task ls -q
	[ -z "$output" ] || fail "tasks left after run --rm: $output"

	id=$(ctrd_id true)
	run --separate-stderr ctrd run --rm "${RT_OPTS[@]}" "$CTRD_IMAGE" "$id" true
	assert_status 0
	[ -z "$output$stderr" ] || fail "unexpected output" "$(_run_context)"
	[ "$(exit_status "$id")" = 0 ]
}

@test "containerd corral: run --rm, stdout/stderr/args passed, exit status propagated" { sc_run "$CTRD_CORRAL"; }
@test "containerd runc: run --rm, stdout/stderr/args passed, exit status propagated" { sc_run "$CTRD_RUNC"; }

# ---- 2. a detached task and ctr task exec --------------------------------------------------

sc_exec() {
	rt_use "$1"
	local id
	id=$(ctrd_id exec)
	run_detached "$id" sleep 1000

	# shellcheck disable=SC2016
	run --separate-stderr ctrd task exec "${FIFO[@]}" --exec-id e1 "$id" \
		sh -c 'echo "pid=$$"; tr "\0" " " </proc/1/cmdline; echo; exit 5'
	assert_status 5
	[ "${lines[1]}" = "sleep 1000 " ] || fail "PID 1 seen from the exec'd process" "$(_run_context)"
	local pid
	pid=$(kv pid)
	[ "$pid" -gt 1 ] || fail "the exec'd process is PID $pid in the container"
	[ "$(exit_status "$id" e1)" = 5 ]

	# stdin reaches the process.
	run --separate-stderr ctrd_stdin task exec "${FIFO[@]}" --exec-id e2 "$id" \
		sh -c 'read -r l; echo "got $l"' <<<"hello there"
	assert_status 0
	[ "$output" = "got hello there" ] || fail "stdin not passed" "$(_run_context)"

	# -t: the shim hands the runtime a console socket; the process gets a pty as its stdio.
	# ctr must stay in the pty's foreground process group: it puts the pty in raw mode, and a
	# tcsetattr from a background group stops it with SIGTTOU. A plain timeout makes its own
	# group (its parent /bin/sh does not exec it), so --foreground, and SHELL is pinned so the
	# test does not depend on the caller's.
	SHELL=/bin/sh run script -qec "exec timeout --foreground -k 5 $CTRD_TIMEOUT ctr --address $CTRD_SOCK -n $CTRD_NS task exec -t \
--fifo-dir $CTRD_DIR/fifo --exec-id e3 $id sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-a-tty; sleep 0.3; exit 4'" \
		/dev/null </dev/null 3>&-
	assert_status 4
	# script passes its stdin's EOF to the pty, whose echo is a literal ^@.
	output=${output//$'\r'/}
	output=${output//'^@'/}
	mapfile -t lines <<<"$output"
	[[ "${lines[0]}" == /dev/pts/[0-9]* ]] || fail "tty of the exec'd process" "$(_run_context)"
	assert_line stdio-is-a-tty

	# A process that cannot start: the shim's error carries the runtime's, which it read from
	# the --log JSON file (when it finds none there, it reports the exit status instead).
	run --separate-stderr ctrd task exec "${FIFO[@]}" --exec-id bad "$id" /no/such/cmd
	assert_status 1
	[[ "$stderr" == *"OCI runtime exec failed: "*/no/such/cmd*"o such file or directory"* ]] ||
		fail "error does not carry the runtime's" "$(_run_context)"
	[[ "$stderr" != *"exit status"* ]] ||
		fail "the shim found no error in the runtime's JSON log" "$(_run_context)"
	local log=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$id/log.json
	[ -s "$log" ] || fail "the runtime wrote nothing to $log"
	# Every line is a JSON object with level, msg and time; the last one is the error.
	run "$PYTHON" -S -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in recs:
    assert isinstance(r, dict) and {"level", "msg", "time"} <= r.keys(), r
print(recs[-1]["level"])
print(recs[-1]["msg"])' "$log"
	assert_status 0
	[ "${lines[0]}" = error ] && [[ "${lines[1]}" == */no/such/cmd* ]] ||
		fail "last record of $log:" "$(_run_context)" "$(cat "$log")"

	# The container is unharmed and still takes execs.
	[ "$(task_field "$id" status)" = RUNNING ]
	run ctrd task exec "${FIFO[@]}" --exec-id e4 "$id" true
	assert_status 0
	remove_container "$id"
}

@test "containerd corral: detached task, task exec (output, stdin, exit status, -t, error from the JSON log)" { sc_exec "$CTRD_CORRAL"; }
@test "containerd runc: detached task, task exec (output, stdin, exit status, -t, error from the JSON log)" { sc_exec "$CTRD_RUNC"; }

# ---- 3. ctr task kill ----------------------------------------------------------------------

sc_kill() {
	rt_use "$1"
	local id out
	# The default signal, SIGTERM, which the container's shell traps.
	id=$(ctrd_id term)
	out=$(out_of "$id")
	run_detached "$id" sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	wait_for_line "$out" ready
	run ctrd task kill "$id"
	assert_status 0
	wait_task_status "$id" STOPPED
	[ "$(exit_status "$id")" = 7 ]
	wait_for_line "$out" "got TERM"
	run ctrd task rm "$id"
	assert_status 0
	run ctrd containers rm "$id"
	assert_status 0

	# A foreground `ctr run`: SIGTERM to every process (--all) ends only the exec'd one, as the
	# container's init ignores it; SIGKILL ends the task and ctr exits with its status.
	id=$(ctrd_id kill)
	out=$(out_of "$id")
	timeout -k 5 "$CTRD_TIMEOUT" ctr --address "$CTRD_SOCK" -n "$CTRD_NS" run --rm "${RT_OPTS[@]}" \
		"$CTRD_IMAGE" "$id" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done' \
		</dev/null >"$out" 2>"$BATS_TEST_TMPDIR/$id.err" 3>&- &
	local job=$!
	wait_for_line "$out" ready
	run ctrd task exec -d "${FIFO[@]}" --exec-id victim "$id" sleep 1000
	assert_status 0
	run ctrd task kill --all "$id"
	assert_status 0
	[ "$(exit_status "$id" victim)" = $((128 + 15)) ]
	sleep 0.5
	[ "$(task_field "$id" status)" = RUNNING ] || fail "init did not survive an ignored SIGTERM"
	run ctrd task kill -s SIGKILL "$id"
	assert_status 0
	local rc=0
	wait "$job" || rc=$?
	[ "$rc" = $((128 + 9)) ] || fail "ctr run exited with $rc" "$(cat "$BATS_TEST_TMPDIR/$id.err")"
	[ "$(exit_status "$id")" = $((128 + 9)) ]
	run ctrd containers ls -q
	[ -z "$output" ] || fail "containers left after run --rm: $output"
}

@test "containerd corral: task kill (SIGTERM trapped, --all, SIGKILL), exit statuses, task rm" { sc_kill "$CTRD_CORRAL"; }
@test "containerd runc: task kill (SIGTERM trapped, --all, SIGKILL), exit statuses, task rm" { sc_kill "$CTRD_RUNC"; }

# ---- 4. ctr task pause / resume -------------------------------------------------------------

# freezer_state ID: FROZEN or THAWED, from the v1 freezer or cgroup.freeze.
freezer_state() {
	local d
	d=$(container_group "$1" freezer)
	if [ -f "$d/freezer.state" ]; then
		cat "$d/freezer.state"
	elif [ "$(cat "$d/cgroup.freeze")" = 1 ]; then
		echo FROZEN
	else
		echo THAWED
	fi
}

sc_pause() {
	rt_use "$1"
	local id out n1 n2
	id=$(ctrd_id pause)
	out=$(out_of "$id")
	# shellcheck disable=SC2016
	run_detached "$id" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done'
	retry 100 0.05 _lines_over "$out" 2 || fail "the counter does not count" "$(cat "$out")"

	run ctrd task pause "$id"
	assert_status 0
	wait_task_status "$id" PAUSED
	[ "$(freezer_state "$id")" = FROZEN ] || fail "freezer state: $(freezer_state "$id")"
	# Lines written before the freeze may still be on their way through the shim.
	sleep 0.3
	n1=$(wc -l <"$out")
	sleep 1
	n2=$(wc -l <"$out")
	[ "$n1" = "$n2" ] || fail "the counter went from $n1 to $n2 while paused"

	run ctrd task resume "$id"
	assert_status 0
	wait_task_status "$id" RUNNING
	[ "$(freezer_state "$id")" = THAWED ] || fail "freezer state: $(freezer_state "$id")"
	retry 100 0.05 _lines_over "$out" $((n2 + 2)) || fail "the counter did not go on after resume"

	run ctrd task kill -s SIGKILL "$id"
	assert_status 0
	wait_task_status "$id" STOPPED
	[ "$(exit_status "$id")" = $((128 + 9)) ]
	run ctrd task rm "$id"
	assert_status 0
	run ctrd containers rm "$id"
	assert_status 0
}

@test "containerd corral: task pause / resume (PAUSED, frozen, the counter stops and goes on)" { sc_pause "$CTRD_CORRAL"; }
@test "containerd runc: task pause / resume (PAUSED, frozen, the counter stops and goes on)" { sc_pause "$CTRD_RUNC"; }

# ---- 5. ctr task metrics --------------------------------------------------------------------

# A container of three processes: its shell and two sleeps.
start_three() {
	run_detached "$1" sh -c 'sleep 1000 & sleep 1000 & echo ready; wait'
	wait_for_line "$(out_of "$1")" ready
}

sc_metrics() {
	rt_use "$1"
	local id
	id=$(ctrd_id metrics)
	start_three "$id"
	run --separate-stderr ctrd task metrics --format json "$id"
	assert_status 0
	local doc=$output
	# v1 (hybrid host) and v2 metrics name memory and cpu usage differently.
	[ "$(json_get "j['pids']['current']" "$doc")" = 3 ] || fail "pids.current" "$doc"
	[ "$(json_get "(lambda u: u['usage'] if isinstance(u, dict) else u)(j['memory']['usage']) > 0" "$doc")" = true ] ||
		fail "memory usage" "$doc"
	[ "$(json_get "(j['cpu']['usage']['total'] if 'usage' in j['cpu'] else j['cpu']['usage_usec']) > 0" "$doc")" = true ] ||
		fail "cpu usage" "$doc"
	# The table names the task.
	run --separate-stderr ctrd task metrics "$id"
	assert_status 0
	[[ "${lines[1]}" == "$id "* ]] || fail "metrics table" "$(_run_context)"
	assert_output_contains pids.current
	remove_container "$id"
}

@test "containerd corral: task metrics (pids, memory and cpu of the container's group)" { sc_metrics "$CTRD_CORRAL"; }
@test "containerd runc: task metrics (pids, memory and cpu of the container's group)" { sc_metrics "$CTRD_RUNC"; }

# ---- 6. ctr task ps -------------------------------------------------------------------------

sc_ps() {
	rt_use "$1"
	local id init
	id=$(ctrd_id ps)
	start_three "$id"
	run ctrd task exec -d "${FIFO[@]}" --exec-id extra "$id" sleep 1000
	assert_status 0
	init=$(task_field "$id" pid)
	run --separate-stderr ctrd task ps "$id"
	assert_status 0
	[ "${lines[0]%% *}" = PID ] || fail "ps header" "$(_run_context)"
	local got want
	got=$(printf '%s\n' "${lines[@]:1}" | awk '{print $1}' | sort -n)
	want=$(sort -n "$(container_group "$id" pids)/cgroup.procs")
	[ "$got" = "$want" ] || fail "ps and the group's cgroup.procs differ" "ps:" "$got" "cgroup.procs:" "$want"
	[ "$(wc -l <<<"$got")" = 4 ] || fail "expected 4 processes" "$got"
	grep -qx "$init" <<<"$got" || fail "init $init not listed" "$got"
	remove_container "$id"
}

@test "containerd corral: task ps lists the container's processes" { sc_ps "$CTRD_CORRAL"; }
@test "containerd runc: task ps lists the container's processes" { sc_ps "$CTRD_RUNC"; }

# ---- 7. a container that cannot start ------------------------------------------------------

sc_error() {
	rt_use "$1"
	local id
	id=$(ctrd_id error)
	run --separate-stderr ctrd run --rm "${RT_OPTS[@]}" "$CTRD_IMAGE" "$id" /no/such/cmd
	assert_status 1
	[[ "$stderr" == *"failed to create shim task: OCI runtime create failed: "*/no/such/cmd*"o such file or directory"* ]] ||
		fail "error does not carry the runtime's" "$(_run_context)"
	[[ "$stderr" != *"exit status"* ]] ||
		fail "the shim found no error in the runtime's JSON log" "$(_run_context)"
	run ctrd containers ls -q
	[ -z "$output" ] || fail "containers left: $output"
	[ ! -e "$RT_ROOT/$CTRD_NS/$id" ] || fail "runtime state $RT_ROOT/$CTRD_NS/$id left"
	[ -z "$(_ctrd_container_cgroups)" ] || fail "cgroups left:" "$(_ctrd_container_cgroups)"
}

@test "containerd corral: a command that cannot start fails create with the runtime's error" { sc_error "$CTRD_CORRAL"; }
@test "containerd runc: a command that cannot start fails create with the runtime's error" { sc_error "$CTRD_RUNC"; }

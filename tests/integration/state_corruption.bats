#!/usr/bin/env bats
# State corruption: state.json truncated, empty, garbage, valid JSON with fields missing or of
# the wrong type, missing altogether; a lock whose holder dies; a recycled pid. Every verb must
# give a clear error (exit 1, one line naming the file and what is wrong with it) or recover;
# none may hang (each runs under a timeout), crash (a signal) or touch a process that is not
# the container's.

load lib/common
load lib/stress

# Generous, yet a hang is found long before the 60 s of the usual wrapper.
VERB_TIMEOUT=20

teardown() {
	local rc=0
	# The unrelated processes of the recycled-pid tests: ours, checked by start time.
	local pid st
	for pid in ${UNRELATED_PID:-}; do
		st=$(proc_starttime "$pid") && [ "$st" = "$UNRELATED_START" ] && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	reliability_teardown || rc=$?
	nap_close
	return "$rc"
}

# running_container [--keep]: $CID runs `probe trap` (with --keep: a signal does not end it),
# said ready; sets INIT_PID and saves the good state.json as $GOOD_STATE.
running_container() {
	update_config "args('probe', 'trap'${1:+, '$1'})"
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	INIT_PID=$(container_pid "$CID")
	STATE_FILE=$STATE_ROOT/$CID/state.json
	GOOD_STATE=$BATS_TEST_TMPDIR/good-state.json
	cp "$STATE_FILE" "$GOOD_STATE"
}

# edit_state CODE: rewrites state.json from the good copy with Python CODE on `s` (the dict).
edit_state() {
	"$PYTHON" -S -c '
import json, sys
s = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(s))' "$GOOD_STATE" "$STATE_FILE" "$1"
}

# verb VERB ARGS...: runs the runtime (@ in ARGS stands for $CID) under VERB_TIMEOUT and fails
# on a hang or a crash; $status, $output, $stderr as after `run`.
verb() {
	local args=() a
	for a in "$@"; do [ "$a" = @ ] && args+=("$CID") || args+=("$a"); done
	RUNTIME_TIMEOUT=$VERB_TIMEOUT run --separate-stderr corral "${args[@]}"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
		fail "corral ${args[*]} hung: killed after $VERB_TIMEOUT s" "$(_run_context)"
	[ "$status" -lt 128 ] || fail "corral ${args[*]} crashed: signal $((status - 128))" "$(_run_context)"
}

# The verbs that read or act on one container (delete -f and list have tests of their own).
VERBS=(
	"state @" "kill @ KILL" "kill --all @ KILL" "start @" "pause @" "resume @" "exec @ probe pid"
	"ps @" "events --stats @" "update --pids-limit 100 @" "delete @"
)

# every_verb_fails SUBSTR...: each of VERBS fails with one line on stderr containing "corral:",
# the state file and every SUBSTR, and prints nothing on stdout; the container's init is
# untouched (alive, not frozen) after all of them.
every_verb_fails() {
	local v args problems=()
	for v in "${VERBS[@]}"; do
		read -ra args <<<"$v"
		verb "${args[@]}"
		if ! (assert_error "corral:" "$STATE_FILE" "$@" && [ -z "$output" ]) >/dev/null 2>&1; then
			problems+=("corral ${args[*]}: exit $status, stdout '$output', stderr:" "$stderr")
		fi
	done
	[ ${#problems[@]} -eq 0 ] || fail "verbs that did not fail clearly:" "${problems[@]}"
	pid_alive "$INIT_PID" || fail "the init $INIT_PID died"
	assert_not_frozen
}

# assert_not_frozen: neither the v2 group (cgroup.freeze) nor a v1 freezer of $CID is frozen.
assert_not_frozen() {
	local d
	for d in $(_cgroup_dirs_of "$CID"); do
		[ ! -e "$d/cgroup.freeze" ] || grep -qx 0 "$d/cgroup.freeze" || fail "$d is frozen"
		[ ! -e "$d/freezer.state" ] || grep -qx THAWED "$d/freezer.state" || fail "$d is $(cat "$d/freezer.state")"
	done
}

# restore_and_delete: the good state.json back; then the container goes as usual.
restore_and_delete() {
	cp "$GOOD_STATE" "$STATE_FILE"
	run --separate-stderr corral delete -f "$CID"
	assert_status 0
	wait_pid_gone "$INIT_PID"
	assert_nothing_left_of_cid
}

assert_nothing_left_of_cid() {
	assert_prefix_gone "$CID"
	assert_no_mount_of_ours
}

@test "truncated state.json: every verb fails naming the file, nothing hangs or crashes" {
	running_container
	local size
	size=$(stat -c %s "$GOOD_STATE")
	head -c $((size / 2)) "$GOOD_STATE" >"$STATE_FILE"
	every_verb_fails corrupt
	restore_and_delete
}

@test "empty state.json: every verb fails naming the file" {
	running_container
	: >"$STATE_FILE"
	every_verb_fails corrupt
	restore_and_delete
}

@test "garbage in state.json (binary, not JSON): every verb fails naming the file" {
	running_container
	printf '\x00\xff\xfe{{{garbage\x01\n' >"$STATE_FILE"
	every_verb_fails corrupt
	restore_and_delete
}

@test "state.json is JSON but not an object: every verb fails naming the file" {
	running_container
	echo '[1, 2, 3]' >"$STATE_FILE"
	every_verb_fails corrupt
	restore_and_delete
}

@test "state.json without pid: every verb fails naming the file and the field" {
	running_container
	edit_state 'del s["pid"]'
	every_verb_fails pid
	restore_and_delete
}

@test "state.json without startTime: every verb fails naming the field (the pid is never trusted alone)" {
	running_container
	edit_state 'del s["startTime"]'
	every_verb_fails startTime
	restore_and_delete
}

@test "state.json without cgroupPaths: every verb fails naming the field" {
	running_container
	edit_state 'del s["cgroupPaths"]'
	every_verb_fails cgroupPaths
	restore_and_delete
}

@test "state.json with a pid of the wrong type or range (string, negative, float, too big): every verb fails naming pid" {
	running_container
	local bad
	for bad in '"123"' -1 1e30 4294967296; do
		edit_state "s['pid'] = json.loads('$bad')"
		every_verb_fails pid
	done
	restore_and_delete
}

@test "state.json naming a cgroup outside /sys/fs/cgroup: refused, the directory is left alone" {
	running_container
	local decoy=$BATS_TEST_TMPDIR/decoy-cgroup
	mkdir -p "$decoy/sub"
	edit_state "s['cgroupPaths']['unified'] = '$decoy'"
	every_verb_fails cgroup
	edit_state "s['cgroupPaths']['unified'] = '/sys/fs/cgroup/../../$decoy'"
	every_verb_fails cgroup
	[ -d "$decoy/sub" ]
	restore_and_delete
	[ -d "$decoy/sub" ]
}

@test "state.json missing from the state dir: every verb fails naming the file" {
	running_container
	rm "$STATE_FILE"
	every_verb_fails "no such file or directory"
	restore_and_delete
}

@test "delete -f of a running container with a corrupt or missing state.json: nothing is left, or a clear error and nothing touched" {
	# The state dir goes with delete -f (a create killed before its first save leaves such a
	# dir); the container's processes and cgroups must not be left running without any state.
	local kind results=()
	update_config 'args("probe", "trap")'
	for kind in truncated garbage no-pid missing; do
		CID=$(new_id "$kind")
		run --separate-stderr corral_bg run -d "$CID"
		assert_status 0
		wait_for_line "$(ctr_stdout "$CID")" ready
		INIT_PID=$(container_pid "$CID")
		STATE_FILE=$STATE_ROOT/$CID/state.json
		case $kind in
		truncated) truncate -s 40 "$STATE_FILE" ;;
		garbage) printf 'garbage' >"$STATE_FILE" ;;
		no-pid) "$PYTHON" -S -c 'import json,sys; p=sys.argv[1]; s=json.load(open(p)); del s["pid"]; open(p,"w").write(json.dumps(s))' "$STATE_FILE" ;;
		missing) rm "$STATE_FILE" ;;
		esac
		verb delete -f "$CID"
		if [ "$status" -eq 0 ]; then
			local left=() n
			wait_gone "$INIT_PID" || left+=("its init $INIT_PID still runs")
			n=$(cgroups_with_prefix "$CID" | wc -l)
			[ "$n" -eq 0 ] || left+=("$n cgroups ($(cgroups_with_prefix "$CID" | head -1) ...)")
			[ ! -e "$STATE_ROOT/$CID" ] || left+=("its state dir")
			[ ${#left[@]} -eq 0 ] || results+=("$kind: delete -f exited 0 and left ${left[*]}")
		else
			(assert_error "$CID") >/dev/null 2>&1 ||
				results+=("$kind: delete -f exited $status without one clear line: $stderr")
			pid_alive "$INIT_PID" || results+=("$kind: delete -f failed but killed the init")
			[ -e "$STATE_ROOT/$CID" ] || results+=("$kind: delete -f failed but removed the state dir")
		fi
	done
	# teardown kills and removes whatever was left
	[ ${#results[@]} -eq 0 ] || fail "${results[@]}"
}

@test "list with a corrupt state.json: the healthy containers are listed and the broken one is named" {
	running_container
	local healthy
	healthy=$(new_id healthy)
	make_bundle "$BATS_TEST_TMPDIR/b2" "$healthy"
	update_config -b "$BATS_TEST_TMPDIR/b2" 'args("probe", "trap")'
	(cd "$BATS_TEST_TMPDIR/b2" && corral_bg run -d "$healthy")
	: >"$STATE_FILE"
	local table table_err quiet json
	verb list
	assert_status 0
	table=$output table_err=$stderr
	verb list -q
	assert_status 0
	quiet=$output
	verb list -f json
	assert_status 0
	json=$output
	# The good state back first: a failure below must not leave teardown a corrupt container.
	cp "$GOOD_STATE" "$STATE_FILE"
	[[ "$table" =~ $healthy\ +[0-9]+\ +running ]] || fail "the healthy container is not listed:" "$table"
	[[ "$quiet" == *"$healthy"* ]] || fail "list -q lacks the healthy container:" "$quiet"
	[ "$(json_get '[x["id"] for x in j if x["status"] == "running"]' "$json")" = "[\"$healthy\"]" ]
	# runc prints the load error on stderr and goes on; hiding the container altogether
	# leaves its processes running with no way to find them.
	[[ "$table" == *"$CID"* || "$table_err" == *"$CID"* ]] ||
		fail "list says nothing about $CID, whose state.json is corrupt: stdout:" "$table" "stderr:" "$table_err"
}

@test "leftovers of an interrupted save (state.json.tmp, a stray file) change nothing: every verb works" {
	running_container
	echo '{"half": ' >"$STATE_ROOT/$CID/state.json.tmp"
	echo junk >"$STATE_ROOT/$CID/stray"
	verb state @
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = running ]
	verb list -q
	assert_status 0
	assert_line "$CID"
	verb exec @ probe pid
	assert_status 0
	verb ps -f json @
	assert_status 0
	[[ "$output" == *"$INIT_PID"* ]]
	verb events --stats @
	assert_status 0
	verb pause @
	assert_status 0
	verb resume @
	assert_status 0
	verb kill @ KILL
	assert_status 0
	wait_pid_gone "$INIT_PID"
	wait_for_status "$CID" stopped
	verb delete @
	assert_status 0
	[ ! -e "$STATE_ROOT/$CID" ]
	assert_nothing_left_of_cid
}

@test "a lock whose holder is killed -9: the verbs waiting on it go on, none hangs" {
	running_container --keep
	# corral locks with flock(2) on the container's directory fd: one process (no child to
	# inherit the lock) takes the same lock, as a runtime in the middle of a verb holds it.
	"$PYTHON" -S -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)' "$STATE_ROOT/$CID" </dev/null >"$BATS_TEST_TMPDIR/holder.out" 2>&1 3>&- &
	local holder=$!
	track_pid "$holder"
	wait_for_line "$BATS_TEST_TMPDIR/holder.out" locked
	# Lockers wait while it lives...
	"$CORRAL" --root "$STATE_ROOT" kill "$CID" USR1 </dev/null >"$BATS_TEST_TMPDIR/kill.out" 2>&1 3>&- &
	local waiter=$!
	sleep 1
	pid_alive "$waiter" || fail "kill did not wait for the lock:" "$(cat "$BATS_TEST_TMPDIR/kill.out")"
	# ...readers do not: state, list and exec read without it.
	verb state @
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = running ]
	verb list -q
	assert_status 0
	assert_line "$CID"
	verb exec @ probe pid
	assert_status 0
	# The holder dies without unlocking: the kernel drops the lock, the waiter goes on.
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	local n
	for ((n = 0; n < VERB_TIMEOUT * 20; n++)); do pid_alive "$waiter" || break; sleep 0.05; done
	if pid_alive "$waiter"; then
		kill -KILL "$waiter"
		fail "kill still waiting $VERB_TIMEOUT s after the lock holder died"
	fi
	wait "$waiter" || fail "kill failed once the lock was free:" "$(cat "$BATS_TEST_TMPDIR/kill.out")"
	wait_for_line "$(ctr_stdout "$CID")" signal=10
	# Every locking verb works again.
	verb pause @
	assert_status 0
	verb resume @
	assert_status 0
	verb delete -f @
	assert_status 0
	assert_nothing_left_of_cid
}

# unrelated_process: a `sleep` of the test's own, outside any container; sets UNRELATED_PID and
# UNRELATED_START (its start time: the process is ours only while it matches).
unrelated_process() {
	sleep 600 >/dev/null 2>&1 3>&- &
	UNRELATED_PID=$!
	UNRELATED_START=$(proc_starttime "$UNRELATED_PID")
}

assert_unrelated_untouched() {
	pid_alive "$UNRELATED_PID" "$UNRELATED_START" || fail "the unrelated process $UNRELATED_PID was killed ($1)"
	[ "$(proc_state "$UNRELATED_PID")" = S ] ||
		fail "the unrelated process $UNRELATED_PID is in state $(proc_state "$UNRELATED_PID") after $1"
}

@test "recycled pid: a stopped container whose pid now names an unrelated process" {
	running_container
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	wait_pid_gone "$INIT_PID"
	unrelated_process
	# The pid was reused; the recorded start time is the container's, not the newcomer's.
	[ "$UNRELATED_START" != "$(json_get 'j["startTime"]' "$(cat "$GOOD_STATE")")" ]
	edit_state "s['pid'] = $UNRELATED_PID"
	verb state @
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = stopped ]
	[ "$(json_get 'j["pid"]' "$output")" = 0 ] || fail "state reports the unrelated pid" "$(_run_context)"
	verb list -f json
	assert_status 0
	[ "$(json_get '[[x["status"], x["pid"]] for x in j]' "$output")" = '[["stopped", 0]]' ]
	local v args
	for v in "kill @" "kill @ KILL" "kill --all @ KILL" "start @" "pause @" "resume @" \
		"exec @ probe pid" "ps @" "events --stats @" "update --pids-limit 100 @"; do
		read -ra args <<<"$v"
		verb "${args[@]}"
		assert_error "$CID"
		assert_unrelated_untouched "corral $v"
	done
	verb delete @
	assert_status 0
	assert_unrelated_untouched "corral delete"
	assert_nothing_left_of_cid
}

@test "recycled pid: state.json of a running container rewritten to an unrelated process; kill, delete -f leave it alone" {
	running_container
	unrelated_process
	edit_state "s['pid'] = $UNRELATED_PID"
	verb state @
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" != running ] || fail "state says running for a pid of another process" "$(_run_context)"
	verb kill @ KILL
	assert_error "$CID"
	assert_unrelated_untouched "corral kill KILL"
	verb exec @ probe pid
	assert_error "$CID"
	assert_unrelated_untouched "corral exec"
	verb pause @
	assert_error "$CID"
	assert_unrelated_untouched "corral pause"
	verb delete -f @
	assert_status 0
	assert_unrelated_untouched "corral delete -f"
	# The container itself is gone all the same: delete -f emptied and removed its cgroups.
	wait_pid_gone "$INIT_PID" || fail "the container's real init $INIT_PID survived delete -f"
	assert_nothing_left_of_cid
}

@test "a stray file (not a directory) in the state root: list ignores it, verbs on it fail clearly" {
	running_container
	local stray
	stray=$(new_id stray)
	echo '{}' >"$STATE_ROOT/$stray"
	verb list -q
	assert_status 0
	[ "$output" = "$CID" ] || fail "list -q" "$(_run_context)"
	local v args
	for v in "state" "kill" "delete" "delete -f" "start" "exec"; do
		read -ra args <<<"$v"
		if [ "$v" = exec ]; then verb exec "$stray" probe pid; else verb "${args[@]}" "$stray"; fi
		assert_error "$stray"
	done
	[ -f "$STATE_ROOT/$stray" ]
	rm "$STATE_ROOT/$stray"
	restore_and_delete
}

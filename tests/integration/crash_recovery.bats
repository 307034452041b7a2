#!/usr/bin/env bats
# Crash recovery: the runtime is SIGKILLed at a random point of create, start or delete (a
# delay drawn from $RANDOM within the verb's measured duration, so that every phase gets hit).
# After each kill: `state` never reports a status the processes contradict, `delete -f` either
# succeeds or says the container does not exist, and then nothing remains: no state dir, no
# cgroup, no process (the container's init included, which may be waiting on the exec fifo), no
# fd into the state root, no host mount.
#
# CRASH_SEED reproduces a run (the seed is printed); CRASH_CREATE, CRASH_START and CRASH_DELETE
# set the number of kills per verb.

load lib/common
load lib/stress

N_CREATE=${CRASH_CREATE:-40}
N_START=${CRASH_START:-24}
N_DELETE=${CRASH_DELETE:-24}

setup() {
	common_setup
	update_config 'args("probe", "sleep", "600")'
	PREFIX=$(new_id k)
	PREFIX=${PREFIX%k}
	SEED=${CRASH_SEED:-$((EPOCHSECONDS % 32768))}
	RANDOM=$SEED
	declare -gA PHASES=()
}

teardown() {
	local rc=0
	[ -z "${PREFIX:-}" ] || cleanup_prefix "$PREFIX"
	reliability_teardown || rc=$?
	nap_close
	return "$rc"
}

# Everything below runs once per kill, a hundred times per test, on a machine where a fork
# costs tens of milliseconds: builtins wherever possible.

# ms_sleep MS: sleeps MS milliseconds.
ms_sleep() {
	local t
	[ "$1" -gt 0 ] || return 0
	printf -v t '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	nap "$t"
}

# duration_ms VERB ARGS...: runs the runtime as kill_at does, uninterrupted, and prints how
# long it took.
duration_ms() {
	local t0 t1
	t0=$(now_us)
	"$CORRAL" --root "$STATE_ROOT" "$@" </dev/null >/dev/null 2>&1 3>&- || fail "$* failed while measuring it"
	t1=$(now_us)
	echo $(((t1 - t0) / 1000))
}

# kill_at MS VERB ARGS...: starts the runtime (no timeout wrapper: $! is the runtime itself,
# our child, so its pid cannot be reused before we wait), SIGKILLs it MS ms later and reaps
# it. Sets KILL_RC to its exit status (137 when the kill landed, its own status when it had
# already finished).
kill_at() {
	local ms=$1 pid
	shift
	"$CORRAL" --root "$STATE_ROOT" "$@" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/killed.stderr" 3>&- &
	pid=$!
	ms_sleep "$ms"
	kill -KILL "$pid" 2>/dev/null || true
	KILL_RC=0
	# (braces: bash reports the killed job on the shell's stderr otherwise)
	{ wait "$pid"; } 2>/dev/null || KILL_RC=$?
	# For the sanitizer lane: a kill during the leak check at exit makes the leak checker write
	# about the killed pid, which the lane must tell from a report (tests/sanitize/run.sh).
	[ "$KILL_RC" -ne 137 ] || [ -z "${CORRAL_KILLED_PIDS:-}" ] || echo "$pid" >>"$CORRAL_KILLED_PIDS"
	# The bound follows how long the verb takes right now (the load changes all the time): up
	# a little after a kill that landed, down more after one that came too late, so that
	# about one kill in five comes after the end and the rest spread over the whole verb.
	if [ "$KILL_RC" -eq 137 ]; then BOUND=$((BOUND * 11 / 10 + 1)); else BOUND=$((BOUND * 7 / 10)); fi
	[ "$BOUND" -ge 5 ] || BOUND=5
	[ "$BOUND" -le $((MEASURED * 2)) ] || BOUND=$((MEASURED * 2))
}

# bound_from MS: kills are drawn from 0..BOUND ms; BOUND starts at the measured duration.
bound_from() { MEASURED=$(($1 > 5 ? $1 : 5)); BOUND=$MEASURED; }

# state_pid_in_file ID: sets PID_IN_FILE to the pid recorded in state.json (0 when none yet).
state_pid_in_file() {
	local text=
	PID_IN_FILE=0
	read -r -d '' text 2>/dev/null <"$STATE_ROOT/$1/state.json" || true
	[[ "$text" =~ \"pid\":([0-9]+) ]] && PID_IN_FILE=${BASH_REMATCH[1]}
	return 0
}

# is_container_process PID: PID runs the container's process (it exec'd), not the runtime.
is_container_process() {
	local args
	mapfile -d '' -t args 2>/dev/null <"/proc/$1/cmdline" || return 1
	[ "${args[*]}" = "probe sleep 600" ]
}

# rt_capture ARGS...: rt with stdout and stderr in files; sets RC, OUT and ERR_LINES.
rt_capture() {
	RC=0
	rt "$@" >"$BATS_TEST_TMPDIR/rt.out" 2>"$BATS_TEST_TMPDIR/rt.err" || RC=$?
	OUT=
	read -r -d '' OUT <"$BATS_TEST_TMPDIR/rt.out" || true
	mapfile -t ERR_LINES <"$BATS_TEST_TMPDIR/rt.err"
}

# rt_context: what rt_capture captured, for a failure message.
rt_context() { printf 'status=%s\noutput:\n%s\nstderr:\n%s\n' "$RC" "$OUT" "${ERR_LINES[*]}"; }

# assert_rt_error SUBSTR...: the error contract on what rt_capture captured: exit 1, one line
# on stderr, containing every SUBSTR.
assert_rt_error() {
	[ "$RC" -eq 1 ] || fail "expected exit status 1, got $RC" "$(rt_context)"
	[ "${#ERR_LINES[@]}" -eq 1 ] || fail "expected exactly one line on stderr" "$(rt_context)"
	local want
	for want in "$@"; do
		[[ "${ERR_LINES[0]}" == *"$want"* ]] || fail "error line lacks '$want'" "$(rt_context)"
	done
}


# check_state_after_kill ID [ALLOWED...]: `state ID` answers (one error line when it fails) and
# reports one of the ALLOWED statuses; running or paused only while its pid is alive.
check_state_after_kill() {
	local id=$1 st pid
	shift
	STATE_STATUS=
	rt_capture state "$id"
	if [ "$RC" -ne 0 ]; then
		assert_rt_error
		return 0
	fi
	[[ "$OUT" =~ \"status\":\ *\"([a-z]+)\" ]] || fail "state of $id has no status" "$(rt_context)"
	st=${BASH_REMATCH[1]}
	[[ "$OUT" =~ \"pid\":\ *([0-9]+) ]] || fail "state of $id has no pid" "$(rt_context)"
	pid=${BASH_REMATCH[1]}
	[[ " $* " == *" $st "* ]] || fail "state of $id says $st (allowed: $*)" "$(rt_context)"
	if [ "$st" = running ] || [ "$st" = paused ]; then
		alive "$pid" || fail "state of $id says $st, but its pid $pid is dead" "$(rt_context)"
	fi
	STATE_STATUS=$st
}

# delete_after_kill ID: `delete -f ID` succeeds, or fails saying that ID does not exist; then
# nothing of ID remains (PID, when given, gone too).
delete_after_kill() {
	local id=$1 pid=${2:-0}
	rt_capture delete -f "$id"
	[ "$RC" -eq 0 ] || assert_rt_error "container $id does not exist"
	[ "$pid" -eq 0 ] || wait_gone "$pid" || fail "init $pid of $id still alive after delete -f"
	assert_prefix_gone --no-fds "$id"
	assert_no_mount_of_ours
}

phase() { PHASES[$1]=$((${PHASES[$1]:-0} + 1)); }

# report VERB: one TAP comment line, the kills per phase.
report() {
	local k line="# $1: seed $SEED:"
	for k in "${!PHASES[@]}"; do line+=" [$k] ${PHASES[$k]};"; done
	echo "${line%;}" >&3
}

@test "SIGKILL of create at random points: delete -f always recovers, nothing is left" {
	local iter id d ms pid
	ms=$(duration_ms create "${PREFIX}m")
	rt delete -f "${PREFIX}m"
	bound_from "$ms"
	for ((iter = 0; iter < N_CREATE; iter++)); do
		printf -v id "%sc%03d" "$PREFIX" "$iter"
		d=$((RANDOM % (BOUND + 1)))
		kill_at "$d" create "$id"
		pid=0
		if [ "$KILL_RC" -ne 137 ]; then
			[ "$KILL_RC" -eq 0 ] || fail "create $id exited $KILL_RC before the kill:" "$(cat "$BATS_TEST_TMPDIR/killed.stderr")"
			phase "finished before the kill"
			state_pid_in_file "$id"
			pid=$PID_IN_FILE
		elif [ ! -e "$STATE_ROOT/$id" ]; then
			phase "before the state dir"
		elif [ ! -e "$STATE_ROOT/$id/state.json" ]; then
			phase "state dir without state.json"
		else
			state_pid_in_file "$id"
			pid=$PID_IN_FILE
			if [ "$pid" -eq 0 ]; then
				phase "state.json without a pid"
			elif ! alive "$pid" || { nap 0.3; ! alive "$pid"; }; then
				# Its sync socket closed mid-setup: it exits on its own.
				phase "init recorded, died with its runtime"
			else
				phase "init ready, waiting on the exec fifo"
			fi
		fi
		# Nothing started it: it can be creating, created or stopped, never running.
		check_state_after_kill "$id" creating created stopped
		delete_after_kill "$id" "$pid"
	done
	assert_prefix_gone "$PREFIX"
	report "create (created in $ms ms when left alone)"
}

@test "SIGKILL of start at random points: state matches the init, delete -f recovers" {
	local iter id d ms pid wrong=()
	rt create "${PREFIX}m" </dev/null >/dev/null
	ms=$(duration_ms start "${PREFIX}m")
	rt delete -f "${PREFIX}m"
	bound_from "$ms"
	for ((iter = 0; iter < N_START; iter++)); do
		printf -v id "%ss%03d" "$PREFIX" "$iter"
		rt create "$id" </dev/null >/dev/null
		pid=$(pid_of_state "$id")
		d=$((RANDOM % (BOUND + 1)))
		kill_at "$d" start "$id"
		ms_sleep 100
		# start never kills the init: whatever the kill interrupted, it lives on.
		alive "$pid" || fail "init $pid of $id died with a killed start"
		if [ "$KILL_RC" -ne 137 ]; then
			[ "$KILL_RC" -eq 0 ] || fail "start $id exited $KILL_RC before the kill:" "$(cat "$BATS_TEST_TMPDIR/killed.stderr")"
			phase "finished before the kill"
		elif is_container_process "$pid"; then
			phase "killed after the process was released"
		else
			phase "killed before the process was released"
		fi
		check_state_after_kill "$id" created running
		[ -n "$STATE_STATUS" ] || fail "state of $id fails after a killed start:" "$stderr"
		# created means the process has not run yet; once it has, the state must say so. Such
		# a lie is collected (and fails the test at the end) so that the loop goes on to prove
		# that delete -f recovers every case.
		if [ "$STATE_STATUS" = created ] && is_container_process "$pid"; then
			wrong+=("kill $((iter + 1)) after $d ms: state of $id says created, but its init $pid already runs the container's process")
		fi
		if [ "$STATE_STATUS" = running ] && ! is_container_process "$pid"; then
			wrong+=("kill $((iter + 1)) after $d ms: state of $id says running, but its init $pid has not run the process")
		fi
		delete_after_kill "$id" "$pid"
	done
	assert_prefix_gone "$PREFIX"
	report "start (started in $ms ms when left alone)"
	[ ${#wrong[@]} -eq 0 ] || fail "${wrong[@]}"
}

@test "SIGKILL of delete and delete -f at random points: a second delete -f recovers" {
	local iter id d ms pid force
	rt run -d "${PREFIX}m" </dev/null >/dev/null
	ms=$(duration_ms delete -f "${PREFIX}m")
	bound_from "$ms"
	for ((iter = 0; iter < N_DELETE; iter++)); do
		printf -v id "%sd%03d" "$PREFIX" "$iter"
		rt run -d "$id" </dev/null >/dev/null
		pid=$(pid_of_state "$id")
		# Even: delete -f of the running container. Odd: plain delete once it stopped.
		force=$((iter % 2 == 0))
		if [ "$force" -eq 0 ]; then
			rt kill "$id" KILL
			retry 100 0.05 test "$(status_of "$id")" = stopped || fail "$id did not stop"
		fi
		d=$((RANDOM % (BOUND + 1)))
		if [ "$force" -eq 1 ]; then kill_at "$d" delete -f "$id"; else kill_at "$d" delete "$id"; fi
		# Let a SIGKILL the runtime sent land before the state is judged.
		ms_sleep 100
		if [ "$KILL_RC" -ne 137 ]; then
			[ "$KILL_RC" -eq 0 ] || fail "delete $id exited $KILL_RC before the kill:" "$(cat "$BATS_TEST_TMPDIR/killed.stderr")"
			phase "finished before the kill"
		elif alive "$pid"; then
			phase "before the init was killed"
		elif [ -n "$(cgroups_with_prefix "$id")" ]; then
			phase "init dead, cgroup left"
		elif [ -e "$STATE_ROOT/$id/state.json" ]; then
			phase "cgroup gone, state left"
		elif [ -e "$STATE_ROOT/$id" ]; then
			phase "state dir partly removed"
		else
			phase "state dir gone"
		fi
		if [ "$force" -eq 1 ]; then
			check_state_after_kill "$id" running stopped
		else
			check_state_after_kill "$id" stopped
		fi
		delete_after_kill "$id" "$pid"
	done
	assert_prefix_gone "$PREFIX"
	report "delete (delete -f took $ms ms when left alone)"
}

# start_dies_after_open ID: what `corral start` does up to its read of the exec fifo: opens it
# (non-blocking), polls until the init's byte is there; then it "dies": the fd is closed, the
# byte unread, the fifo left in place.
start_dies_after_open() {
	timeout 15 "$PYTHON" -S -c '
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
p = select.poll()
p.register(fd, select.POLLIN)
if not p.poll(10000):
    sys.exit("the init never wrote to the exec fifo")
os.close(fd)' "$STATE_ROOT/$1/exec.fifo"
}

@test "a start that died after opening the exec fifo: state says running and start does not hang" {
	# What a `corral start` SIGKILLed between opening the fifo and unlinking it leaves: the
	# init's blocked open for writing returned, it wrote its byte and exec'd the process; the
	# byte was never read and the fifo is still there. The loop above lands here by chance.
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	start_dies_after_open "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	# The process runs: state must not say created.
	run --separate-stderr corral state "$CID"
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = running ] ||
		fail "the container's process runs (pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline")), state says $(json_get 'j["status"]' "$output")"
}

@test "a start that died after opening the exec fifo: a second start returns instead of hanging" {
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	start_dies_after_open "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	# Either it starts nothing (the process already runs) and says so, or it succeeds; waiting
	# for the process to exit is a hang.
	RUNTIME_TIMEOUT=20 run --separate-stderr corral start "$CID"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
		fail "corral start hung (killed by its 20 s timeout) on a container whose process runs" "$(_run_context)"
	[ "$status" -eq 0 ] || assert_error "$CID"
	pid_alive "$pid"
	run --separate-stderr corral delete -f "$CID"
	assert_status 0
	assert_nothing_left "$CID"
}

@test "a start that died after opening the exec fifo, before the init wrote: the init waits for the next start" {
	# A startContainer hook that sleeps holds the init between its open of the fifo and its
	# write, so a reader that opens and closes at once is gone when the byte is written: the
	# window a SIGKILLed start leaves by chance, made certain. The write gets EPIPE; the init
	# must neither die (of the error or of SIGPIPE) nor run the process.
	mkdir -p "$BATS_TEST_TMPDIR/hooklog"
	update_config "args('probe', 'trap')
mount('/hooklog', 'bind', '$BATS_TEST_TMPDIR/hooklog', 'bind', 'rw')
hook('startContainer', '/bin/sh', '-c', 'echo ran >> /hooklog/log; sleep 0.5')"
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	"$PYTHON" -S -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK))' \
		"$STATE_ROOT/$CID/exec.fifo"
	retry 50 0.05 test -s "$BATS_TEST_TMPDIR/hooklog/log" || fail "the startContainer hook never ran"
	sleep 1
	pid_alive "$pid"
	is_container_process "$pid" && fail "the init ran the process with no start reading the fifo"
	[ "$(status_of "$CID")" = created ] || fail "state says $(status_of "$CID") for an init still waiting"
	run --separate-stderr corral start "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(status_of "$CID")" = running ] || fail "state says $(status_of "$CID") after the second start"
	# The hook belongs to the start that first opened the fifo; it does not run twice.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/hooklog/log")" -eq 1 ] || fail "startContainer ran $(wc -l <"$BATS_TEST_TMPDIR/hooklog/log") times"
	run --separate-stderr corral delete -f "$CID"
	assert_status 0
	assert_nothing_left "$CID"
}

#!/usr/bin/env bats
# `run`: create + start in one verb. In the foreground it forwards signals, exits with the
# container's exit code (128+N when killed by signal N) and deletes the container unless --keep;
# with -d it returns once the process runs.

load lib/common

@test "run: exit code 0 and the process's output" {
	update_config 'args("probe", "hostname")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	[ "$output" = "hostname=$(config_get 'j["hostname"]')" ]
	[ -z "$stderr" ]
}

@test "run: the process's exit code is run's exit code" {
	update_config 'args("probe", "exit", "3")'
	run corral run "$CID"
	assert_status 3
	update_config 'args("probe", "exit", "255")'
	run corral run "$CID"
	assert_status 255
}

@test "run: a process killed by SIGKILL from inside gives 137" {
	# Without a pid namespace the process is not an init, which would be immune to itself.
	update_config 'args("probe", "kill-self", "9"); drop_ns("pid")'
	run corral run "$CID"
	assert_status 137
}

@test "run: a process killed by SIGTERM from inside gives 143" {
	update_config 'args("probe", "kill-self", "15"); drop_ns("pid")'
	run corral run "$CID"
	assert_status 143
}

@test "run: the container's stdout and stderr stay apart" {
	update_config 'args("sh", "-c", "echo to-out; echo to-err >&2; exit 4")'
	run --separate-stderr corral run "$CID"
	assert_status 4
	[ "$output" = to-out ]
	[ "$stderr" = to-err ]
}

@test "run: stdin reaches the container" {
	update_config 'args("cat")'
	run bash -c 'printf "line one\nline two\n" | "$0" --root "$1" run "$2" 3>&-' "$CORRAL" "$STATE_ROOT" "$CID"
	track_id "$CID"
	assert_status 0
	[ "$output" = $'line one\nline two' ]
}

@test "run: deletes the container after it exits" {
	update_config 'args("probe", "exit", "0")'
	run corral run "$CID"
	assert_status 0
	[ ! -e "$STATE_ROOT/$CID" ]
	run --separate-stderr corral state "$CID"
	assert_status 1
	assert_nothing_left
}

@test "run: forwards SIGUSR1 to the container process, exits 138" {
	update_config 'args("probe", "trap")'
	corral_run_bg "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	kill -USR1 "$RUN_PID"
	status=0
	wait "$RUN_PID" || status=$?
	assert_status 138
	assert_line_in_file "$(ctr_stdout "$CID")" signal=10
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "run: forwards HUP, INT, TERM, USR2 and exits 128+N each time" {
	local sig num
	for sig in HUP:1 INT:2 TERM:15 USR2:12; do
		num=${sig#*:}
		update_config 'args("probe", "trap")'
		corral_run_bg "$CID"
		wait_for_line "$(ctr_stdout "$CID")" ready
		kill "-${sig%:*}" "$RUN_PID" || cat "$BATS_TEST_TMPDIR/$CID.run-stderr"
		status=0
		wait "$RUN_PID" || status=$?
		assert_status $((128 + num))
		assert_line_in_file "$(ctr_stdout "$CID")" "signal=$num"
	done
}

@test "run: killed from outside with corral kill, run exits 137" {
	update_config 'args("probe", "trap")'
	corral_run_bg "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	run --separate-stderr corral kill "$CID" KILL
	assert_status 0
	status=0
	wait "$RUN_PID" || status=$?
	assert_status 137
}

@test "run --keep: the stopped container stays until deleted" {
	update_config 'args("probe", "exit", "7")'
	run corral run --keep "$CID"
	assert_status 7
	[ "$(state_field "$CID" status)" = stopped ]
	run --separate-stderr corral delete "$CID"
	assert_status 0
	assert_nothing_left
}

@test "run -d: returns at once with the container running" {
	update_config 'args("probe", "trap")'
	start=$SECONDS
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	[ $((SECONDS - start)) -lt 10 ]
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(state_field "$CID" status)" = running ]
	pid=$(container_pid "$CID")
	pid_alive "$pid"
	corral kill "$CID" TERM
	wait_for_status "$CID" stopped
	wait_for_line "$(ctr_stdout "$CID")" signal=15
	corral delete "$CID"
	assert_nothing_left
}

@test "run -d --pid-file: the file holds the running process's pid" {
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg run -d --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid "$CID")" ]
	grep -q '^probe' "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/cmdline"
}

@test "run -b: the bundle can be given instead of the working directory" {
	update_config 'args("probe", "exit", "5")'
	cd /
	run corral run -b "$BUNDLE" "$CID"
	assert_status 5
}

@test "run: an id already in use fails and the first container is untouched" {
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	run --separate-stderr corral run "$CID"
	assert_status 1
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(state_field "$CID" status)" = running ]
	[ "$(state_field "$CID" pid)" = "$pid" ]
}

@test "run: a process that leaves zombies still ends cleanly on kill" {
	update_config 'args("probe", "zombies", "5")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	retry 100 0.05 grep -q '^zombies=' "$(ctr_stdout "$CID")"
	[ "$(live_procs_of "$CID" | wc -l)" -eq 1 ]
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "run --no-new-keyring: accepted, the process runs" {
	update_config 'args("probe", "exit", "0")'
	run --separate-stderr corral run --no-new-keyring "$CID"
	assert_status 0
}

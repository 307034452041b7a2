#!/usr/bin/env bats
# The OCI lifecycle through the CLI: create -> created -> start -> running -> kill -> stopped ->
# delete, the state each step reports, and the preconditions of every verb.

load lib/common

# created_container [CONFIG EDIT]: creates $CID after an optional config edit.
created_container() {
	[ -z "${1:-}" ] || update_config "$1"
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
}

# running_trap [--keep]: a started container whose process traps signals and said "ready".
running_trap() {
	created_container "args(\"probe\", \"trap\"${1:+, \"$1\"})"
	run --separate-stderr corral start "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
}

@test "create: status created, init alive, user process not yet run" {
	created_container 'args("probe", "write", "/tmp/started", "yes"); c["root"]["readonly"] = False'
	run corral state "$CID"
	assert_status 0
	[ "$(json_get 'j["status"]' "$output")" = created ]
	[ "$(json_get 'j["id"]' "$output")" = "$CID" ]
	[ "$(json_get 'j["bundle"]' "$output")" = "$BUNDLE" ]
	[ "$(json_get 'j["rootfs"]' "$output")" = "$BUNDLE/rootfs" ]
	[[ "$(json_get 'j["ociVersion"]' "$output")" == 1.* ]]
	# RFC 3339 with a UTC or numeric offset, as the runtime-spec state requires.
	[[ "$(json_get 'j["created"]' "$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$ ]]
	pid=$(container_pid "$CID")
	pid_alive "$pid"
	[ -d "$STATE_ROOT/$CID" ]
	# Only start may run the user process.
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/tmp/started" ]
}

@test "start: the user process runs and the status is running" {
	created_container 'args("probe", "trap")'
	pid=$(container_pid "$CID")
	run --separate-stderr corral start "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(state_field "$CID" status)" = running ]
	# start execs in the init: same pid, now running the probe.
	[ "$(state_field "$CID" pid)" = "$pid" ]
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "probe trap " ]
}

@test "kill: default SIGTERM reaches the process, the status becomes stopped" {
	running_trap
	pid=$(container_pid "$CID")
	run --separate-stderr corral kill "$CID"
	assert_status 0
	wait_for_status "$CID" stopped
	wait_for_line "$(ctr_stdout "$CID")" signal=15
	wait_pid_gone "$pid"
}

@test "delete: removes the stopped container, its state dir and its cgroup" {
	running_trap
	run --separate-stderr corral kill "$CID" KILL
	assert_status 0
	wait_for_status "$CID" stopped
	run --separate-stderr corral delete "$CID"
	assert_status 0
	[ -z "$output" ]
	[ ! -e "$STATE_ROOT/$CID" ]
	[ ! -e "$(container_cgroup "$CID")" ]
	run --separate-stderr corral state "$CID"
	assert_error "$CID"
}

@test "the whole lifecycle with state at every step" {
	created_container 'args("probe", "trap")'
	[ "$(state_field "$CID" status)" = created ]
	corral start "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(state_field "$CID" status)" = running ]
	corral kill "$CID" SIGINT
	wait_for_status "$CID" stopped
	wait_for_line "$(ctr_stdout "$CID")" signal=2
	corral delete "$CID"
	[ -z "$(ls -A "$STATE_ROOT")" ]
	assert_nothing_left
}

@test "a process that exits by itself leaves the container stopped" {
	created_container 'args("probe", "exit", "0")'
	pid=$(container_pid "$CID")
	corral start "$CID"
	wait_for_status "$CID" stopped
	wait_pid_gone "$pid"
}

@test "the container's processes are in its cgroup while it runs" {
	running_trap
	pid=$(container_pid "$CID")
	cg=$(container_cgroup "$CID")
	[ -d "$cg" ]
	grep -qx "$pid" "$cg/cgroup.procs"
}

@test "kill accepts names with and without SIG, and numbers" {
	running_trap --keep
	out=$(ctr_stdout "$CID")
	corral kill "$CID" HUP
	wait_for_line "$out" signal=1
	corral kill "$CID" SIGUSR1
	wait_for_line "$out" signal=10
	corral kill "$CID" 12
	wait_for_line "$out" signal=12
	corral kill "$CID" WINCH
	wait_for_line "$out" signal=28
	[ "$(state_field "$CID" status)" = running ]
	corral kill "$CID" 9
	wait_for_status "$CID" stopped
}

@test "kill --all signals every process of the container" {
	# The shell starts a child that dies of SIGUSR1; the init traps it and lives on.
	created_container 'args("sh", "-c", "probe sleep 1000 & exec probe trap --keep")'
	corral start "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	retry 50 0.1 test "$(live_procs_of "$CID" | wc -l)" -eq 2
	run --separate-stderr corral kill --all "$CID" USR1
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" signal=10
	retry 50 0.1 test "$(live_procs_of "$CID" | wc -l)" -eq 1
	[ "$(state_field "$CID" status)" = running ]
}

@test "kill with an unknown signal fails and leaves the container running" {
	running_trap
	run --separate-stderr corral kill "$CID" SIGNOPE
	assert_error NOPE
	run --separate-stderr corral kill "$CID" 99
	assert_status 1
	[ "$(state_field "$CID" status)" = running ]
}

@test "kill of a created container stops it before it ever runs" {
	created_container 'args("probe", "write", "/tmp/started", "yes"); c["root"]["readonly"] = False'
	pid=$(container_pid "$CID")
	run --separate-stderr corral kill "$CID" KILL
	assert_status 0
	wait_for_status "$CID" stopped
	wait_pid_gone "$pid"
	[ ! -e "$BUNDLE/rootfs/tmp/started" ]
}

@test "start fails unless the container is created" {
	running_trap
	run --separate-stderr corral start "$CID"
	assert_status 1
	[ "$(state_field "$CID" status)" = running ]
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	run --separate-stderr corral start "$CID"
	assert_status 1
	[ "$(state_field "$CID" status)" = stopped ]
}

@test "kill fails on a stopped container" {
	created_container 'args("probe", "exit", "0")'
	corral start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr corral kill "$CID" KILL
	assert_status 1
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "delete of a running container fails without -f and kills it with -f" {
	running_trap
	pid=$(container_pid "$CID")
	run --separate-stderr corral delete "$CID"
	assert_status 1
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(state_field "$CID" status)" = running ]
	pid_alive "$pid"
	run --separate-stderr corral delete -f "$CID"
	assert_status 0
	wait_pid_gone "$pid"
	assert_nothing_left
}

@test "delete -f of a created container removes its waiting init" {
	created_container 'args("probe", "exit", "0")'
	pid=$(container_pid "$CID")
	run --separate-stderr corral delete -f "$CID"
	assert_status 0
	wait_pid_gone "$pid"
	assert_nothing_left
}

@test "--pid-file holds the init pid" {
	run --separate-stderr corral_bg create --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
}

@test "verbs on an unknown id fail with one line naming it" {
	local verb
	for verb in state start delete kill; do
		run --separate-stderr corral "$verb" nosuch-container
		assert_error nosuch-container
	done
}

@test "delete -f of an unknown id succeeds quietly, as runc's (callers clean up after a failed create)" {
	run --separate-stderr corral delete -f nosuch-container
	assert_status 0
	[ -z "$output" ] && [ -z "$stderr" ]
	run --separate-stderr corral delete --force nosuch-container
	assert_status 0
	# An invalid id is still refused.
	run --separate-stderr corral delete -f ../x
	assert_error "../x"
}

@test "create of an existing id fails and leaves the first container alone" {
	created_container 'args("probe", "trap")'
	pid=$(container_pid "$CID")
	run --separate-stderr corral_bg create "$CID"
	assert_error "$CID"
	[ "$(state_field "$CID" status)" = created ]
	[ "$(state_field "$CID" pid)" = "$pid" ]
	pid_alive "$pid"
}

@test "annotations from the config appear in state" {
	created_container 'c["annotations"] = {"org.corral.test": "yes", "x": "1"}'
	run corral state "$CID"
	[ "$(json_get 'j["annotations"]' "$output")" = '{"org.corral.test": "yes", "x": "1"}' ]
}

@test "list: table, quiet and json forms" {
	created_container 'args("probe", "trap")'
	id2=$(new_id second)
	make_bundle "$BATS_TEST_TMPDIR/b2" "$id2"
	update_config -b "$BATS_TEST_TMPDIR/b2" 'args("probe", "trap")'
	(cd "$BATS_TEST_TMPDIR/b2" && corral_bg run -d "$id2")
	wait_for_line "$(ctr_stdout "$id2")" ready

	run --separate-stderr corral list
	assert_status 0
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" =~ $CID\ +[0-9]+\ +created\ +$BUNDLE ]]
	[[ "$output" =~ $id2\ +[0-9]+\ +running\ +$BATS_TEST_TMPDIR/b2 ]]

	run --separate-stderr corral list -q
	assert_status 0
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "$CID" "$id2" | sort)" ]

	run --separate-stderr corral list -f json
	assert_status 0
	[ "$(json_get 'sorted([x["id"], x["status"], x["pid"] > 0] for x in j)' "$output")" = \
		"$(json_get "sorted([['$CID', 'created', True], ['$id2', 'running', True]])" '{}')" ]
}

@test "list of an empty state root: nothing with -q, [] with json" {
	run --separate-stderr corral list -q
	assert_status 0
	[ -z "$output" ]
	run --separate-stderr corral list -f json
	assert_status 0
	[ "$output" = "[]" ]
}

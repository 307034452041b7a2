#!/usr/bin/env bats
# The command line's error paths: every bad invocation exits 1 with one line on stderr,
# "corral: " and a lowercase message naming what was wrong (the command, flag, value or id),
# nothing on stdout, and nothing made in the state root. runc's convention: 1 for any failure.
#
# Not repeated here: errors.bats (bad configs, the invalid ids of run, --log), lifecycle.bats
# (unknown ids, create of an existing id, SIGNOPE), run.bats (run of an existing id), exec.bats
# (exec -u abc, --cap CAP_BOGUS, no command, --preserve-fds of a closed fd), spec.bats (spec
# over an existing config or into a missing directory) and audit.bats (its exit code 2).

load lib/common
load lib/stress

teardown() {
	local rc=0
	reliability_teardown || rc=$?
	nap_close
	return "$rc"
}

# cl ARGS...: the runtime on this test's state root, captured by `run` (stdout, stderr and
# status apart). Ids are not tracked: most of these never name a real container, some name
# invalid ones that teardown must not pass to delete -f.
cl() {
	run --separate-stderr rt "$@"
}

# assert_cli_error SUBSTR...: the contract of errors.md: exit 1, one line on stderr starting
# "corral: ", lowercase, no final period, containing every SUBSTR (case-insensitively); and
# nothing on stdout.
assert_cli_error() {
	assert_error "$@"
	[ -z "$output" ] || fail "a failed command printed on stdout" "$(_run_context)"
	local msg=${stderr_lines[0]}
	[[ "$msg" == "corral: "* ]] || fail "the error line does not start with 'corral: '" "$(_run_context)"
	msg=${msg#corral: }
	[[ "${msg:0:1}" != [A-Z] ]] || fail "the message is capitalised" "$(_run_context)"
	[[ "$msg" != *. ]] || fail "the message ends with a period" "$(_run_context)"
}

# assert_state_root_empty: a bad command line made nothing.
assert_state_root_empty() {
	[ -z "$(ls -A "$STATE_ROOT" 2>/dev/null)" ] || fail "state root not empty: $(ls -A "$STATE_ROOT")"
}

# running_trap: $CID runs `probe trap` and said ready (for the verbs that need a live one).
running_trap() {
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
}

VERBS_WITH_ID=(create start run state kill delete pause resume ps events update exec)

@test "no command: exit 1, one line saying a command is required" {
	cl
	assert_cli_error required
	cl --debug --log-format json
	assert_cli_error required
}

@test "an unknown command: exit 1, the message names it" {
	local word
	# A made-up word, a typo of a verb, a verb in the wrong case, runc's `checkpoint`.
	for word in bogus stat State checkpoint; do
		cl "$word" "$CID"
		assert_cli_error "$word"
	done
	assert_state_root_empty
}

@test "an unknown global flag: exit 1, the message names it" {
	cl --no-such-flag list
	assert_cli_error --no-such-flag
	cl --roots "$STATE_ROOT" list
	assert_cli_error --roots
}

@test "an unknown flag of every verb is named, never taken for the id" {
	local verb problems=()
	for verb in spec features list "${VERBS_WITH_ID[@]}"; do
		if [ "$verb" = exec ]; then
			cl exec --no-such-flag "$CID" true
		else
			cl "$verb" --no-such-flag "$CID"
		fi
		# Taken for the id (or as an argument and then the id looked up), it would read
		# "container ... does not exist".
		if ! (assert_cli_error --no-such-flag) >/dev/null 2>&1 || [[ "$stderr" == *"does not exist"* ]]; then
			problems+=("corral $verb --no-such-flag: exit $status: $stderr")
		fi
	done
	[ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
	assert_state_root_empty
}

@test "a missing id: every verb that takes one says the id is required" {
	local verb
	for verb in "${VERBS_WITH_ID[@]}"; do
		cl "$verb"
		assert_cli_error id required
	done
	# Flags alone are no id either.
	cl kill --all
	assert_cli_error id required
	cl delete -f
	assert_cli_error id required
	cl events --stats
	assert_cli_error id required
	cl update --memory 1m
	assert_cli_error id required
	cl exec -d --cwd /
	assert_cli_error id required
	assert_state_root_empty
}

@test "too many arguments: the first extra one is named" {
	local verb
	for verb in create run start state delete pause resume events update; do
		cl "$verb" "$CID" extra-arg
		assert_cli_error "not expected" extra-arg
	done
	cl kill "$CID" KILL extra-arg
	assert_cli_error "not expected" extra-arg
	for verb in list features spec; do
		cl "$verb" extra-arg
		assert_cli_error "not expected" extra-arg
	done
	assert_state_root_empty
}

@test "an invalid container id is refused by every verb before anything is made" {
	local verb id
	for id in ../escape with/slash .. . "" "a b" 'semi;colon' $'new\nline'; do
		for verb in "${VERBS_WITH_ID[@]}"; do
			if [ "$verb" = exec ]; then cl exec "$id" true; else cl "$verb" "$id"; fi
			assert_cli_error "container id"
		done
	done
	[ ! -e "$BATS_TEST_TMPDIR/escape" ]
	assert_state_root_empty
}

@test "kill: a bad signal is named (with the range when it is a number) and the container gets nothing" {
	running_trap
	local sig
	for sig in 0 65 100 4294967297 SIGFOO FOO SIG "" 9x +9 " 9" -9 SIGKILLX; do
		cl kill "$CID" "$sig"
		assert_cli_error "invalid signal" "\"$sig\""
	done
	for sig in 0 65 100; do
		cl kill "$CID" "$sig"
		assert_cli_error "out of range 1..64"
	done
	for sig in RTMIN+99 SIGRTMAX-99 RTMIN-1 RTMAX+1; do
		cl kill "$CID" "$sig"
		assert_cli_error "invalid signal" "\"$sig\"" "out of range"
	done
	cl kill --all "$CID" SIGFOO
	assert_cli_error "invalid signal" SIGFOO
	# Nothing reached it: it still runs and printed no signal line.
	[ "$(state_field "$CID" status)" = running ]
	sleep 0.2
	[ "$(cat "$(ctr_stdout "$CID")")" = ready ] || fail "the container got a signal:" "$(cat "$(ctr_stdout "$CID")")"
}

@test "global flags: a bad or missing value is named with the accepted ones" {
	cl --log-format xml list
	assert_cli_error --log-format xml text json
	cl --cgroup-manager foo list
	assert_cli_error --cgroup-manager foo cgroupfs systemd disabled
	cl --rootless maybe list
	assert_cli_error --rootless maybe true false auto
	cl list --log-format
	assert_cli_error "not expected" --log-format
	run --separate-stderr "$CORRAL" --log-format 3>&-
	assert_cli_error --log-format
	run --separate-stderr "$CORRAL" --root 3>&-
	assert_cli_error --root
	run --separate-stderr "$CORRAL" --root "$STATE_ROOT" --log 3>&-
	assert_cli_error --log
}

@test "--cgroup-manager systemd and --systemd-cgroup: create and run fail as not implemented, nothing is made" {
	update_config 'args("probe", "exit", "0")'
	cl --cgroup-manager systemd create "$CID"
	assert_cli_error systemd "not implemented"
	cl --systemd-cgroup run "$CID"
	assert_cli_error systemd "not implemented"
	cl --systemd-cgroup --cgroup-manager cgroupfs create "$CID"
	assert_cli_error systemd "not implemented"
	assert_state_root_empty
	[ -z "$(_cgroup_dirs_of "$CID")" ] || fail "cgroups made:" "$(_cgroup_dirs_of "$CID")"
}

@test "--root naming a regular file: list, state, create and delete fail naming it" {
	local file=$BATS_TEST_TMPDIR/root-file
	echo keep >"$file"
	update_config 'args("probe", "exit", "0")'
	run --separate-stderr "$CORRAL" --root "$file" list 3>&-
	assert_cli_error "$file" "not a directory"
	run --separate-stderr "$CORRAL" --root "$file" state "$CID" 3>&-
	assert_cli_error "$file" "not a directory"
	run --separate-stderr "$CORRAL" --root "$file" create "$CID" </dev/null 3>&-
	assert_cli_error "$file" "not a directory"
	run --separate-stderr "$CORRAL" --root "$file" delete -f "$CID" 3>&-
	assert_cli_error "$file" "not a directory"
	[ "$(cat "$file")" = keep ]
	[ -z "$(_cgroup_dirs_of "$CID")" ] || fail "cgroups made:" "$(_cgroup_dirs_of "$CID")"
}

@test "--log naming a file that cannot be opened: the command fails naming it" {
	# runc refuses to run without its log: an engine reading errors from the log file would
	# otherwise find nothing there.
	local log=$BATS_TEST_TMPDIR/no-such-dir/corral.log
	cl --log "$log" list
	assert_cli_error "$log" "no such file or directory"
	cl --log "$BATS_TEST_TMPDIR" list
	assert_cli_error "$BATS_TEST_TMPDIR" "is a directory"
}

@test "list: a bad --format is named with the accepted ones" {
	cl list -f yaml
	assert_cli_error --format yaml table json
	cl list --format=xml
	assert_cli_error --format xml
	cl list -f
	assert_cli_error --format
}

@test "ps: a bad --format is named; ps(1) arguments need the table format" {
	cl ps -f yaml "$CID"
	assert_cli_error --format yaml table json
	running_trap
	cl ps -f json "$CID" aux
	assert_cli_error "ps" "--format table"
}

@test "events: a bad --interval is named with an example" {
	local v
	for v in 0 0s 0ms -1s 5x abc "" 25h 1.5.5 0.1ms; do
		cl events --interval "$v" "$CID"
		assert_cli_error --interval "\"$v\"" "5s"
	done
}

@test "update: bad values are named and the limits stay as they were" {
	running_trap
	cl update --pids-limit 77 "$CID"
	assert_status 0
	local pids_max
	pids_max=$(find "$CGROUP_ROOT" -path "*/$CID/pids.max" 2>/dev/null | head -1)
	[ -n "$pids_max" ] || skip "no pids.max for the container on this host"
	[ "$(cat "$pids_max")" = 77 ]
	local flag v
	for v in abc 1z -5 1.5g 99999999999t ""; do
		cl update --memory "$v" "$CID"
		assert_cli_error --memory "\"$v\"" "512k"
	done
	for flag in --memory-swap --memory-reservation; do
		cl update "$flag" lots "$CID"
		assert_cli_error "$flag" '"lots"'
	done
	for flag in --cpu-share --cpu-period --cpu-quota --cpu-burst --pids-limit --blkio-weight; do
		for v in abc 1.5 99999999999999999999; do
			cl update "$flag" "$v" "$CID"
			assert_cli_error "$flag" "\"$v\"" "number"
		done
	done
	cl update --cpu-share -1 "$CID"
	assert_cli_error --cpu-share '"-1"'
	cl update --blkio-weight 70000 "$CID"
	assert_cli_error --blkio-weight '"70000"'
	cl update --l3-cache-schema L3:0=f "$CID"
	assert_cli_error --l3-cache-schema "not supported"
	cl update --mem-bw-schema MB:0=50 "$CID"
	assert_cli_error --mem-bw-schema "not supported"
	cl update -r "$BATS_TEST_TMPDIR/no-such-resources.json" "$CID"
	assert_cli_error "$BATS_TEST_TMPDIR/no-such-resources.json" "no such file or directory"
	run --separate-stderr bash -c 'echo "{not json" | "$@"' _ "$CORRAL" --root "$STATE_ROOT" update -r - "$CID"
	assert_cli_error resources json
	# A bad flag spoils the whole update: the good one beside it is not applied either.
	cl update --pids-limit 50 --memory abc "$CID"
	assert_cli_error --memory
	[ "$(cat "$pids_max")" = 77 ] || fail "pids.max changed to $(cat "$pids_max") by failed updates"
	[ "$(state_field "$CID" status)" = running ]
}

@test "--preserve-fds must be a count: run, create and exec refuse a bad one before making anything" {
	local v
	for v in -1 abc 1.5 2000000; do
		cl run --preserve-fds "$v" "$CID"
		assert_cli_error --preserve-fds "$v"
		cl create --preserve-fds "$v" "$CID"
		assert_cli_error --preserve-fds "$v"
		cl exec --preserve-fds "$v" "$CID" true
		assert_cli_error --preserve-fds "$v"
	done
	assert_state_root_empty
	[ -z "$(_cgroup_dirs_of "$CID")" ] || fail "cgroups made:" "$(_cgroup_dirs_of "$CID")"
}

@test "create --pid-file in a missing directory: one line naming it, and nothing is left" {
	update_config 'args("probe", "trap")'
	local dir=$BATS_TEST_TMPDIR/no-such-dir
	run --separate-stderr corral_bg create --pid-file "$dir/pid" "$CID"
	assert_cli_error "$dir" "no such file or directory"
	assert_nothing_left_quietly
}

@test "flags that need a value: a missing one is named" {
	local pair a
	# "VERB FLAG=NAME": the flag as given, the name the message must use.
	for pair in "create --bundle=--bundle" "create --pid-file=--pid-file" \
		"create --console-socket=--console-socket" "run --preserve-fds=--preserve-fds" \
		"exec -u=--user" "exec --cwd=--cwd" "exec -e=--env" "exec -p=--process" \
		"update --memory=--memory" "update -r=--resources" "events --interval=--interval" \
		"ps --format=--format" "spec --bundle=--bundle"; do
		read -ra a <<<"${pair%=*}"
		cl "${a[@]}"
		assert_cli_error "${pair##*=}"
	done
	assert_state_root_empty
}

@test "spec: an argument or a value for its flags is refused, no config is written" {
	local dir=$BATS_TEST_TMPDIR/spec-dir
	mkdir "$dir"
	cd "$dir"
	cl spec extra-arg
	assert_cli_error "not expected" extra-arg
	# Flags take true/false, yes/no, on/off, 1/0 as values: anything else is an error.
	cl spec --rootless=maybe
	assert_cli_error --rootless maybe
	cl spec --seccomp=sometimes
	assert_cli_error --seccomp sometimes
	[ ! -e "$dir/config.json" ]
}

# assert_nothing_left_quietly: nothing of $CID (state dir, process, cgroup) and no mount of ours.
assert_nothing_left_quietly() {
	assert_prefix_gone "$CID"
	assert_no_mount_of_ours
}

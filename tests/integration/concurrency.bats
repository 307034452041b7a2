#!/usr/bin/env bats
# Concurrency: verbs racing on one id must serialise (exactly one create or start wins, the
# losers fail cleanly), and verbs on different ids must not disturb each other.

load lib/common

N=8

# in_parallel NAME CMD...: runs CMD N times at once, job i with $i in its environment as JOB;
# afterwards $BATS_TEST_TMPDIR/NAME.rc.i holds each exit status and NAME.err.i each stderr.
in_parallel() {
	local name=$1 i
	shift
	for ((i = 0; i < N; i++)); do
		(
			export JOB=$i
			rc=0
			"$@" 2>"$BATS_TEST_TMPDIR/$name.err.$i" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/$name.rc.$i"
		) 3>&- &
	done
	wait
}

# count_rc NAME CODE: how many jobs of NAME exited with CODE.
count_rc() { cat "$BATS_TEST_TMPDIR/$1".rc.* | grep -cx "$2" || true; }

@test "concurrent creates of one id: exactly one wins, the others fail cleanly" {
	update_config 'args("probe", "trap")'
	in_parallel create corral_bg create "$CID"
	[ "$(count_rc create 0)" -eq 1 ] || fail "winners: $(count_rc create 0)" "$(cat "$BATS_TEST_TMPDIR"/create.err.*)"
	[ "$(count_rc create 1)" -eq $((N - 1)) ]
	local i
	for ((i = 0; i < N; i++)); do
		[ "$(cat "$BATS_TEST_TMPDIR/create.rc.$i")" = 0 ] ||
			[ "$(wc -l <"$BATS_TEST_TMPDIR/create.err.$i")" -eq 1 ] ||
			fail "loser $i:" "$(cat "$BATS_TEST_TMPDIR/create.err.$i")"
	done
	[ "$(state_field "$CID" status)" = created ]
	pid=$(container_pid "$CID")
	# The losers' half-made inits are gone: the container has one process.
	retry 50 0.1 test "$(live_procs_of "$CID" | wc -l)" -eq 1 ||
		fail "processes of $CID: $(live_procs_of "$CID" | tr '\n' ' ')"
	[ "$(live_procs_of "$CID")" = "$pid" ]
	corral start "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
}

@test "concurrent creates of different ids all succeed and stay apart" {
	local i ids=()
	for ((i = 0; i < N; i++)); do
		ids+=("$(new_id "p$i")")
		make_bundle "$BATS_TEST_TMPDIR/b$i" "${ids[i]}"
		update_config -b "$BATS_TEST_TMPDIR/b$i" 'args("probe", "trap")'
		track_id "${ids[i]}"
	done
	create_one() { cd "$BATS_TEST_TMPDIR/b$JOB" && corral_bg create "${ids[JOB]}"; }
	in_parallel create create_one
	[ "$(count_rc create 0)" -eq "$N" ] || fail "$(cat "$BATS_TEST_TMPDIR"/create.err.*)"
	run --separate-stderr corral list -q
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "${ids[@]}" | sort)" ]
	local pids=()
	for id in "${ids[@]}"; do
		[ "$(state_field "$id" status)" = created ]
		pids+=("$(container_pid "$id")")
	done
	[ "$(printf '%s\n' "${pids[@]}" | sort -u | wc -l)" -eq "$N" ]
	delete_one() { corral delete -f "${ids[JOB]}"; }
	in_parallel delete delete_one
	[ "$(count_rc delete 0)" -eq "$N" ] || fail "$(cat "$BATS_TEST_TMPDIR"/delete.err.*)"
	assert_nothing_left
}

@test "concurrent starts of one container: the process runs once" {
	update_config 'args("sh", "-c", "echo ran >> /tmp/ran; exec probe trap"); c["root"]["readonly"] = False'
	run --separate-stderr corral_bg create "$CID"
	assert_status 0
	in_parallel start corral start "$CID"
	[ "$(count_rc start 0)" -eq 1 ] || fail "starts that succeeded: $(count_rc start 0)"
	wait_for_line "$(ctr_stdout "$CID")" ready
	[ "$(cat "$BUNDLE/rootfs/tmp/ran")" = ran ]
}

@test "concurrent delete -f of one running container: it goes, once, and nothing is left" {
	update_config 'args("probe", "trap")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	in_parallel delete corral delete -f "$CID"
	[ "$(count_rc delete 0)" -ge 1 ]
	[ $(($(count_rc delete 0) + $(count_rc delete 1))) -eq "$N" ]
	wait_pid_gone "$pid"
	assert_nothing_left
}

@test "kill racing delete -f: both return, nothing is left" {
	update_config 'args("probe", "trap", "--keep")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	pid=$(container_pid "$CID")
	race() { if [ $((JOB % 2)) -eq 0 ]; then corral kill "$CID" USR1; else corral delete -f "$CID"; fi; }
	in_parallel race race
	[ $(($(count_rc race 0) + $(count_rc race 1))) -eq "$N" ]
	wait_pid_gone "$pid"
	assert_nothing_left
}

@test "parallel foreground runs each return their own exit code" {
	local i ids=()
	for ((i = 0; i < N; i++)); do
		ids+=("$(new_id "r$i")")
		make_bundle "$BATS_TEST_TMPDIR/b$i" "${ids[i]}"
		update_config -b "$BATS_TEST_TMPDIR/b$i" "args('probe', 'exit', '$((10 + i))')"
	done
	run_one() { cd "$BATS_TEST_TMPDIR/b$JOB" && corral run "${ids[JOB]}"; }
	in_parallel run run_one
	for ((i = 0; i < N; i++)); do
		[ "$(cat "$BATS_TEST_TMPDIR/run.rc.$i")" = $((10 + i)) ] ||
			fail "run $i exited $(cat "$BATS_TEST_TMPDIR/run.rc.$i")" "$(cat "$BATS_TEST_TMPDIR/run.err.$i")"
	done
	assert_nothing_left
}

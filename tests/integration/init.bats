#!/usr/bin/env bats
# --init (and the annotation org.corral.init): corral-init, a small static PID 1 run from a
# sealed memfd, in front of process.args, which runs as PID 2. PID 1 reaps every orphan of the
# pid namespace, forwards every signal it gets to the command, and when the command exits
# TERMs (and CONTs) what is left, waits up to the grace period (org.corral.init.grace, 5 s by
# default), KILLs the rest and exits with the command's status (128+N for signal N).
#
# The probe commands used here are in tests/helpers/probe_init.c (orphans, zombies-count,
# term-worker, setsid-sleeper, sigstate, proc-access) and probe.c (trap, kill-self, exit, hog).

load lib/common
load lib/tty
load lib/init

teardown() {
	tty_teardown
	common_teardown
}

# Every catchable signal but glibc's two reserved ones (32, 33), which probe trap cannot catch.
catchable_signals() {
	local n
	for ((n = 1; n <= 64; n++)); do
		case $n in 9 | 19 | 32 | 33) continue ;; esac
		echo "$n"
	done
}

# ---- reaping --------------------------------------------------------------------------------

@test "init: 10,000 orphans exiting in one burst are all reaped within a second" {
	update_config 'args("sh", "-c", "probe orphans 10000 && exec probe sleep 1000")'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	local init idle_rss
	init=$(container_pid "$CID")
	[ "$(cat "/proc/$init/comm")" = corral-init ] || fail "pid $init is $(cat "/proc/$init/comm")"
	# No VmRSS means PID 1 has already exited (seen once in the sanitizer lane, two suites side
	# by side, not reproduced since): say what it was and what the container printed.
	idle_rss=$(status_value "$init" VmRSS) ||
		fail "PID 1 ($init) has no VmRSS: $(grep -E '^(State|PPid)' "/proc/$init/status" | tr '\n\t' '  ')" \
			"$(cat "$(ctr_stdout "$CID")" "$BATS_TEST_TMPDIR/$CID.stderr" 2>/dev/null)"
	# Making 10,000 processes takes a few seconds on the test VM.
	retry 600 0.05 grep -qx 'orphans=10000' "$(ctr_stdout "$CID")" ||
		fail "no orphans=10000 after 30 s:" "$(cat "$(ctr_stdout "$CID")" "$BATS_TEST_TMPDIR/$CID.stderr")"
	sleep 1
	run --separate-stderr corral exec "$CID" probe zombies-count
	assert_status 0
	assert_kv zombies 0
	# Left: PID 1, the command's sleep and zombies-count itself.
	assert_kv procs 3
	echo "# PID 1 VmRSS idle: $idle_rss; after the burst: $(status_value "$init" VmRSS)," \
		"peak $(status_value "$init" VmHWM)" >&3
	pid_alive "$init" || fail "PID 1 is gone"
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "init: orphans of a process exec'd into the container are adopted by PID 1 and reaped" {
	update_config 'args("probe", "sleep", "1000")'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	run --separate-stderr corral exec "$CID" sh -c 'probe orphans 100'
	assert_status 0
	assert_kv orphans 100
	_no_zombies() {
		run --separate-stderr corral exec "$CID" probe zombies-count
		[ "$status" -eq 0 ] && [ "$(kv zombies)" = 0 ]
	}
	retry 20 0.1 _no_zombies || fail "zombies left in the container" "$(_run_context)"
	# PID 1, the sleep and zombies-count: no orphan is still around either.
	assert_kv procs 3
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

# ---- signals --------------------------------------------------------------------------------

@test "init: every catchable signal 1-64 sent with corral kill reaches the command; TSTP/TTIN/TTOU do not stop PID 1" {
	update_config 'args("probe", "trap", "--keep")'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	local out init n sigs
	out=$(ctr_stdout "$CID")
	wait_for_line "$out" ready
	init=$(container_pid "$CID")
	sigs=$(catchable_signals)
	for n in $sigs; do
		corral kill "$CID" "$n" || fail "corral kill $CID $n failed"
	done
	for n in $sigs; do
		wait_for_line "$out" "signal=$n"
	done
	# Each arrived exactly once: nothing forwarded twice, nothing of PID 1's own.
	local count
	for n in $sigs; do
		count=$(grep -cx "signal=$n" "$out")
		[ "$count" -eq 1 ] || fail "signal=$n reported $count times:" "$(cat "$out")"
	done
	[ "$(grep -c '^signal=' "$out")" -eq "$(wc -w <<<"$sigs")" ] ||
		fail "unexpected signals reported:" "$(cat "$out")"
	# SIGTSTP, SIGTTIN and SIGTTOU (20-22) were among them: PID 1 forwarded them, it did not
	# stop, and neither did the command (it has handlers).
	local st
	st=$(proc_state "$init")
	[ "$st" != T ] && [ "$st" != t ] || fail "PID 1 ($init) is stopped: state $st"
	local cmd
	cmd=$(host_pid_of "$CID" 2)
	st=$(proc_state "$cmd")
	[ "$st" != T ] && [ "$st" != t ] || fail "the command ($cmd) is stopped: state $st"
	# PID 1 is still serving: one more signal gets through.
	corral kill "$CID" USR1
	retry 100 0.05 test "$(grep -cx signal=10 "$out")" -eq 2 || fail "a second USR1 did not arrive"
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "init: a command killed by signal N makes run --init exit 128+N, for every N that can kill it" {
	# Not every signal can end the command: SIGCHLD, SIGCONT, SIGURG and SIGWINCH (17, 18, 23,
	# 28) are ignored by default, and SIGSTOP, SIGTSTP, SIGTTIN and SIGTTOU (19-22) stop rather
	# than kill (the last three are even discarded, the command's process group being orphaned).
	# Every other one, SIGKILL and glibc's reserved 32 and 33 included, terminates it.
	local n list=''
	for ((n = 1; n <= 64; n++)); do
		case $n in 17 | 18 | 19 | 20 | 21 | 22 | 23 | 28) continue ;; esac
		list+="s$n"$'\t'probe$'\t'kill-self$'\t'"$n"$'\n'
	done
	local pairs
	pairs=$(make_batch sig <<<"$list")
	[ "$(wc -l <<<"$pairs")" -eq 56 ]
	run_batch sig 4 --init <<<"$pairs"
	local bad=() rc err
	for ((n = 1; n <= 64; n++)); do
		[ -d "$BATS_TEST_TMPDIR/sig/s$n" ] || continue
		batch_result sig "s$n"
		[ "$rc" = $((128 + n)) ] || bad+=("signal $n: exit $rc, stderr: $err")
		[ -z "$err" ] || bad+=("signal $n: stderr: $err")
	done
	[ ${#bad[@]} -eq 0 ] || fail "${bad[@]}"
	batch_left_nothing sig
	assert_nothing_left
}

@test "init: exit codes 0-255 of the command pass through run --init unchanged" {
	local n list=''
	for ((n = 0; n <= 255; n++)); do
		list+="e$n"$'\t'probe$'\t'exit$'\t'"$n"$'\n'
	done
	local pairs
	pairs=$(make_batch exit <<<"$list")
	run_batch exit 4 --init <<<"$pairs"
	local bad=() rc err
	for ((n = 0; n <= 255; n++)); do
		batch_result exit "e$n"
		[ "$rc" = "$n" ] || bad+=("exit $n: run exited $rc, stderr: $err")
		[ -z "$err" ] || bad+=("exit $n: stderr: $err")
	done
	[ ${#bad[@]} -eq 0 ] || fail "${bad[@]}"
	batch_left_nothing exit
	assert_nothing_left
}

# ---- the end of the command -----------------------------------------------------------------

@test "init: a worker's 1 s TERM cleanup finishes before the container stops; run exits with the command's 143" {
	# The command (pid 2, exec'd by sh) dies of the forwarded TERM; the background worker gets
	# PID 1's TERM only then, and needs 1 s to leave its marker.
	# The marker goes to a host directory bound into the (read-only) rootfs.
	local shared=$BATS_TEST_TMPDIR/shared
	mkdir -p "$shared"
	local marker=$shared/marker
	update_config 'args("sh", "-c", "probe term-worker 1 /shared/marker & exec probe sleep 1000");
mount("/shared", "bind", "'"$shared"'", "rbind", "rw")'
	corral_run_bg --init "$CID"
	local out=$(ctr_stdout "$CID")
	wait_for_line "$out" ready
	[ ! -e "$marker" ]
	local t0 elapsed
	t0=$(now_ms)
	corral kill "$CID" TERM
	status=0
	wait "$RUN_PID" || status=$?
	elapsed=$(($(now_ms) - t0))
	assert_status 143
	[ -f "$marker" ] || fail "the worker's cleanup did not finish before the container stopped" \
		"run stderr: $(cat "$BATS_TEST_TMPDIR/$CID.run-stderr")"
	[ "$(cat "$marker")" = cleaned-up ]
	# It did wait for the worker, and not for the whole 5 s grace period.
	((elapsed >= 950 && elapsed < 4000)) || fail "run exited ${elapsed} ms after the TERM"
	[ ! -s "$BATS_TEST_TMPDIR/$CID.run-stderr" ] || fail "run stderr: $(cat "$BATS_TEST_TMPDIR/$CID.run-stderr")"
	assert_nothing_left
}

@test "init: a setsid'd background process does not outlive the container" {
	update_config 'args("sh", "-c", "probe setsid-sleeper 1000 && exec probe sleep 1000")'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	local out=$(ctr_stdout "$CID") nspid host st
	retry 100 0.05 grep -q '^sleeper=' "$out" || fail "no sleeper= line:" "$(cat "$out")"
	nspid=$(sed -n 's/^sleeper=//p' "$out")
	host=$(host_pid_of "$CID" "$nspid")
	st=$(proc_starttime "$host")
	track_pid "$host"
	# In a session of its own (its sid is its pid), apart from the command's.
	local cmd
	cmd=$(host_pid_of "$CID" 2)
	[ "$(stat_field "$host" 4)" = "$host" ] || fail "the sleeper $host is not a session leader"
	[ "$(stat_field "$cmd" 4)" != "$host" ] || fail "the command is in the sleeper's session"
	local t0 elapsed
	t0=$(now_ms)
	corral kill "$CID" TERM
	wait_for_status "$CID" stopped
	elapsed=$(($(now_ms) - t0))
	! pid_alive "$host" "$st" || fail "the setsid'd sleeper (host pid $host) outlived the container"
	# It went with PID 1's TERM, not the SIGKILL at the end of the 5 s grace period.
	((elapsed < 3000)) || fail "the container took ${elapsed} ms to stop"
	corral delete "$CID"
	assert_nothing_left
}

@test "init: a signal sent right after start, before the command has exec'd, is not lost" {
	# probe trap (no --keep) ends with 128+N whether the signal finds its handler or, forwarded
	# before the handler is in place, the default action: either way the container stops by
	# itself. A lost signal leaves it running. Each round: create, start and at once the signal;
	# the first rounds through corral kill, the others with kill(2) on PID 1 from the pid file,
	# which is what corral kill does, without the runtime's start-up time in between. (Not $i as
	# the counter: bats' run clobbers it.)
	update_config 'args("probe", "trap")'
	local round id pidfile pid st how comm lost=()
	for ((round = 0; round < 12; round++)); do
		id=$(new_id "r$round")
		pidfile=$BATS_TEST_TMPDIR/$id.pid
		run --separate-stderr corral_bg create --init --pid-file "$pidfile" "$id"
		assert_status 0
		pid=$(cat "$pidfile")
		st=$(proc_starttime "$pid")
		if ((round < 4)); then
			how="corral kill"
			corral start "$id"
			corral kill "$id" USR1
		else
			how="kill(2)"
			corral start "$id"
			kill -USR1 "$pid"
		fi
		# What PID 1 was just after the signal (corral's setup process, corral-init before or
		# after it names itself), for the report.
		read -r comm <"/proc/$pid/comm" || comm=gone
		# PID 1 gone: the container stopped (pid_alive is pure bash, corral state is not).
		if ! retry 60 0.05 _pid_gone "$pid" "$st"; then
			lost+=("round $round ($how): still running 3 s after USR1 (PID 1 was '$comm' right after it); output: $(tr '\n' ' ' <"$(ctr_stdout "$id")")")
		elif grep -q '^signal=' "$(ctr_stdout "$id")"; then
			grep -qx signal=10 "$(ctr_stdout "$id")" ||
				lost+=("round $round ($how): $(cat "$(ctr_stdout "$id")")")
		fi
		corral delete -f "$id"
	done
	[ ${#lost[@]} -eq 0 ] || fail "USR1 lost in ${#lost[@]} of 12 rounds:" "${lost[@]}"
	assert_nothing_left
}

# ---- terminal -------------------------------------------------------------------------------

PROMPT='CORRAL-INIT-PS1> '

@test "init: a signal sent while the container is created is kept and reaches the command after start" {
	# Blocked in PID 1 from the clone on, pending across its exec of corral-init, forwarded once
	# the command runs: probe trap reports it, or (forwarded before its handler is in) dies of it.
	update_config 'args("probe", "trap")'
	local pidfile=$BATS_TEST_TMPDIR/created.pid pid st
	run --separate-stderr corral_bg create --init --pid-file "$pidfile" "$CID"
	assert_status 0
	pid=$(cat "$pidfile")
	st=$(proc_starttime "$pid")
	corral kill "$CID" USR1
	corral start "$CID"
	retry 100 0.05 _pid_gone "$pid" "$st" ||
		fail "USR1 sent while created was lost: still running 5 s after start" "$(cat "$(ctr_stdout "$CID")")"
	if grep -q '^signal=' "$(ctr_stdout "$CID")"; then
		grep -qx signal=10 "$(ctr_stdout "$CID")" || fail "$(cat "$(ctr_stdout "$CID")")"
	fi
	corral delete "$CID"
	assert_nothing_left
}

@test "init: an interactive shell on a terminal has job control: Ctrl-Z stops sleep, fg resumes it, Ctrl-C ends it" {
	tty_setup
	set_terminal "args('sh'); env('PATH=/bin:/usr/bin', 'TERM=xterm', 'PS1=$PROMPT')"
	track_id "$CID"
	# jobstate STATE: the container's one sleep process is in state STATE (R or S count as S).
	cat >"$BATS_TEST_TMPDIR/jobstate" <<-EOF
		#!/bin/bash
		want=\$1 found=0
		for p in \$(grep -lE -- "/$CID(/|\$)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
			[ "\$(cat /proc/\$p/comm 2>/dev/null)" = sleep ] || continue
			found=\$((found + 1))
			s=\$(sed 's/.*) //' /proc/\$p/stat | cut -d' ' -f1)
			[ "\$s" = R ] && s=S
			[ "\$s" = "\$want" ] || { echo "sleep \$p is in state \$s, not \$want"; exit 1; }
		done
		[ \$found -eq 1 ] || { echo "\$found sleep processes"; exit 1; }
	EOF
	chmod +x "$BATS_TEST_TMPDIR/jobstate"
	drive \
		-e "expectl '$PROMPT'" \
		-e "send 'echo pid=\$\$\\r'" \
		-e "expect '^pid=2\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'sleep 100\\r'" \
		-e "sleep 0.5" \
		-e "shell '$BATS_TEST_TMPDIR/jobstate S'" \
		-e "send '\\x1a'" \
		-e "expect 'Stopped'" \
		-e "expectl '$PROMPT'" \
		-e "shell '$BATS_TEST_TMPDIR/jobstate T'" \
		-e "send 'fg\\r'" \
		-e "expect 'sleep 100'" \
		-e "sleep 0.5" \
		-e "shell '$BATS_TEST_TMPDIR/jobstate S'" \
		-e "send '\\x03'" \
		-e "expectl '$PROMPT'" \
		-e "send 'echo rc=\$?\\r'" \
		-e "expect '^rc=130\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'exit 3\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run --init "$CID"
	assert_drive_ok
	assert_kv exit 3
	assert_kv termios_restored 1
	assert_nothing_left
}

# ---- grace ----------------------------------------------------------------------------------

@test "init: org.corral.init.grace=500ms: a worker ignoring TERM is KILLed 0.5 s after the command exited" {
	update_config 'args("sh", "-c", "(trap \"\" TERM; echo worker-ready; exec probe sleep 1000) & exec probe sleep 1000");
c["annotations"] = {"org.corral.init.grace": "500ms"}'
	corral_run_bg --init "$CID"
	local out=$(ctr_stdout "$CID") worker st t0 elapsed
	wait_for_line "$out" worker-ready
	# The worker: the container's sleep that is not PID 2.
	local p
	for p in $(_procs_in_cgroup_of "$CID"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = probe ] || continue
		[ "$(status_value "$p" NSpid)" = "$p 2" ] && continue
		# SIGTERM (15) is bit 14 of SigIgn.
		(((16#$(status_value "$p" SigIgn) >> 14) & 1)) && worker=$p
	done
	[ -n "${worker:-}" ] || fail "no worker ignoring SIGTERM found in the container"
	st=$(proc_starttime "$worker")
	track_pid "$worker"
	t0=$(now_ms)
	corral kill "$CID" TERM
	status=0
	wait "$RUN_PID" || status=$?
	elapsed=$(($(now_ms) - t0))
	assert_status 143
	! pid_alive "$worker" "$st" || fail "the worker survived"
	# The grace period starts when PID 1 reaps the command, after the TERM was sent.
	((elapsed >= 490 && elapsed <= 2000)) ||
		fail "run exited ${elapsed} ms after the TERM; expected 500 ms of grace (0.5-2 s)"
	[ ! -s "$BATS_TEST_TMPDIR/$CID.run-stderr" ] || fail "run stderr: $(cat "$BATS_TEST_TMPDIR/$CID.run-stderr")"
	assert_nothing_left
}

@test "init: a bad org.corral.init.grace fails create and run with an error naming it, nothing left" {
	local bad
	for bad in soon 12parsecs -1s ''; do
		update_config 'args("probe", "exit", "0"); c["annotations"] = {"org.corral.init.grace": "'"$bad"'"}'
		run --separate-stderr corral_bg create --init "$CID"
		assert_error org.corral.init.grace
		assert_nothing_left "$CID"
		run --separate-stderr corral run --init "$CID"
		assert_error org.corral.init.grace
		assert_nothing_left "$CID"
	done
	# The documented forms are accepted.
	local good
	for good in 500ms 1.5s 10 5s; do
		update_config 'args("probe", "exit", "4"); c["annotations"] = {"org.corral.init.grace": "'"$good"'"}'
		run --separate-stderr corral run --init "$CID"
		assert_status 4
	done
	assert_nothing_left
}

# ---- configuration --------------------------------------------------------------------------

@test "init: --init without a new pid namespace is refused with a clear error, nothing left" {
	update_config 'args("probe", "exit", "0"); drop_ns("pid")'
	run --separate-stderr corral_bg create --init "$CID"
	assert_error "pid namespace"
	assert_nothing_left "$CID"
	run --separate-stderr corral run --init "$CID"
	assert_error "pid namespace"
	assert_nothing_left "$CID"
	# The annotation asks for the same and is refused the same way.
	update_config 'c["annotations"] = {"org.corral.init": "true"}'
	run --separate-stderr corral_bg create "$CID"
	assert_error "pid namespace"
	assert_nothing_left "$CID"

	# Joining an existing pid namespace is not a new one either (that of a container of this
	# test, so that a runtime getting it wrong cannot signal anything but that container).
	local other=$BATS_TEST_TMPDIR/other oid pid
	oid=$(new_id other)
	make_bundle "$other" "$oid"
	update_config -b "$other" 'args("probe", "sleep", "1000")'
	(cd "$other" && corral_bg run -d "$oid")
	pid=$(container_pid "$oid")
	update_config 'c["annotations"] = {}; ns("pid", "/proc/'"$pid"'/ns/pid")'
	run --separate-stderr corral_bg create --init "$CID"
	assert_error "pid namespace"
	[ ! -e "$STATE_ROOT/$CID" ] || fail "state of $CID left behind"
	[ "$(state_field "$oid" status)" = running ]
	[ "$(live_procs_of "$oid")" = "$pid" ] ||
		fail "processes in $oid's pid namespace: $(live_procs_of "$oid" | tr '\n' ' ')"
	corral kill "$oid" KILL
	wait_for_status "$oid" stopped
	corral delete "$oid"
	# Now that the other container is gone, nothing of either may be left.
	assert_nothing_left
}

@test "init: the annotation org.corral.init=true works like --init; =false asks for nothing" {
	update_config 'args("probe", "sigstate"); c["annotations"] = {"org.corral.init": "true"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv pid 2
	assert_kv ppid 1
	update_config 'args("probe", "read", "/proc/1/comm")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_line corral-init
	# Signals are forwarded to the command and the status comes back.
	update_config 'args("probe", "trap")'
	corral_run_bg "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	corral kill "$CID" USR2
	status=0
	wait "$RUN_PID" || status=$?
	assert_status 140
	assert_line_in_file "$(ctr_stdout "$CID")" signal=12

	update_config 'args("probe", "sigstate"); c["annotations"] = {"org.corral.init": "false"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv pid 1
	assert_nothing_left
}

@test "init: org.corral.init.pgroup=true sends signals to the command's process group" {
	# The command (sh exec'ing probe trap) and a background probe trap of the same shell: one
	# process group. Plain --init signals the command only; pgroup mode reaches both.
	local args='args("sh", "-c", "probe trap --keep & exec probe trap --keep")'
	update_config "$args"
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	local out=$(ctr_stdout "$CID")
	retry 100 0.05 test "$(grep -cx ready "$out")" -eq 2 || fail "not ready:" "$(cat "$out")"
	corral kill "$CID" USR1
	wait_for_line "$out" signal=10
	sleep 0.5
	[ "$(grep -cx signal=10 "$out")" -eq 1 ] || fail "without pgroup, USR1 reached more than the command:" "$(cat "$out")"
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"

	update_config "$args"'; c["annotations"] = {"org.corral.init.pgroup": "true"}'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	retry 100 0.05 test "$(grep -cx ready "$out")" -eq 2 || fail "not ready:" "$(cat "$out")"
	corral kill "$CID" USR1
	retry 100 0.05 test "$(grep -cx signal=10 "$out")" -eq 2 ||
		fail "with pgroup, USR1 did not reach both members of the group:" "$(cat "$out")"
	# The command leads its own group (not PID 1's).
	local cmd
	cmd=$(host_pid_of "$CID" 2)
	[ "$(stat_field "$cmd" 3)" = "$cmd" ] ||
		fail "the command is not its process group's leader"
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

# ---- isolation of PID 1 ---------------------------------------------------------------------

@test "init: PID 1 is out of reach: /proc/1/exe not writable or readable, /proc/1/environ unreadable, no ptrace" {
	update_config 'args("sh", "-c", "probe ids; probe caps; probe proc-access 1; exec probe proc-access self")'
	run --separate-stderr corral run --init "$CID"
	assert_status 0
	assert_kv uid 0
	# Default capabilities: no CAP_SYS_PTRACE (bit 19).
	local eff
	eff=$(kv CapEff)
	if (((16#$eff >> 19) & 1)); then fail "CapEff $eff has CAP_SYS_PTRACE"; fi
	# On PID 1 (the first target= block), everything is refused ...
	local pid1 self
	pid1=$(sed -n '/^target=1$/,/^ptrace=/p' <<<"$output")
	self=$(sed -n '/^target=2$/,$p' <<<"$output")
	[ -n "$pid1" ] && [ -n "$self" ] || fail "no proc-access output" "$(_run_context)"
	local k
	for k in exe_write exe_read exe_link environ mem ptrace; do
		grep -q "^$k=" <<<"$pid1" || fail "no $k for PID 1" "$pid1"
		! grep -qx "$k=ok" <<<"$pid1" || fail "PID 1: $k=ok" "$pid1"
	done
	# ... while the same process may read its own (the probe works).
	grep -qx environ=ok <<<"$self" || fail "cannot read its own environ" "$self"
	grep -qx exe_link=ok <<<"$self" || fail "cannot read its own exe link" "$self"

	# The same from a process exec'd into a running container.
	update_config 'args("probe", "sleep", "1000")'
	run --separate-stderr corral_bg run -d --init "$CID"
	assert_status 0
	run --separate-stderr corral exec "$CID" probe proc-access 1
	assert_status 0
	for k in exe_write exe_read exe_link environ mem ptrace; do
		refute_line "$k=ok"
		grep -q "^$k=" <<<"$output" || fail "no $k" "$(_run_context)"
	done
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "init: the command starts with no signal blocked or ignored and only its own fds" {
	update_config 'args("probe", "sigstate")'
	run --separate-stderr corral run --init "$CID"
	assert_status 0
	assert_kv pid 2
	assert_kv ppid 1
	assert_kv SigPnd 0000000000000000
	assert_kv SigBlk 0000000000000000
	assert_kv SigIgn 0000000000000000
	assert_kv SigCgt 0000000000000000

	# Even when run's caller ignored and blocked signals.
	run --separate-stderr bash -c 'trap "" INT QUIT HUP USR1 TERM; exec "$0" --root "$1" run --init "$2"' \
		"$CORRAL" "$STATE_ROOT" "$CID" 3>&-
	assert_status 0
	assert_kv SigBlk 0000000000000000
	assert_kv SigIgn 0000000000000000

	update_config 'args("probe", "fds")'
	run --separate-stderr corral run --init "$CID" 3</etc/hostname 4</etc/hostname
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "expected fds 0, 1 and 2 only" "$(_run_context)"
	[[ "${lines[0]}" == fd0=* && "${lines[1]}" == fd1=* && "${lines[2]}" == fd2=* ]] ||
		fail "expected fds 0, 1 and 2 only" "$(_run_context)"

	# --preserve-fds: the command gets them, PID 1 keeps none of them.
	update_config 'args("sh", "-c", "probe fds; exec probe sleep 1000")'
	local f=$BATS_TEST_TMPDIR/preserved
	: >"$f"
	track_id "$CID"
	bash -c 'exec "$0" --root "$1" run -d --init --preserve-fds 1 "$2" 3>>"$3" </dev/null >"$4" 2>&1' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$f" "$(ctr_stdout "$CID")" 3>&-
	retry 100 0.05 grep -q '^fd3=' "$(ctr_stdout "$CID")" || fail "no fd3:" "$(cat "$(ctr_stdout "$CID")")"
	assert_line_in_file "$(ctr_stdout "$CID")" "fd3=$f"
	! grep -q '^fd4=' "$(ctr_stdout "$CID")" || fail "fd4 passed:" "$(cat "$(ctr_stdout "$CID")")"
	local init
	init=$(container_pid "$CID")
	! find "/proc/$init/fd" -lname "$f" | grep -q . ||
		fail "PID 1 holds the preserved fd: $(ls -l "/proc/$init/fd")"
	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	corral delete "$CID"

	# Socket activation: LISTEN_PID names the command, pid 2.
	update_config 'args("sh", "-c", "probe env; probe fds")'
	run --separate-stderr bash -c 'exec 3<"$3"; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --root "$1" run --init "$2"' \
		"$CORRAL" "$STATE_ROOT" "$CID" /etc/hostname 3>&-
	track_id "$CID"
	assert_status 0
	assert_line LISTEN_FDS=1
	assert_line LISTEN_PID=2
	assert_line fd3=/etc/hostname
	assert_nothing_left
}

# ---- OOM ------------------------------------------------------------------------------------

oom_config() {
	update_config 'args("probe", "hog", "256");
lx.setdefault("resources", {})["memory"] = {"limit": 32 << 20, "swap": 32 << 20}'
}

# assert_oom_report: run exited 137 and said on stderr that the container was OOM-killed.
assert_oom_report() {
	assert_status 137
	[[ "${stderr,,}" =~ oom[-\ ]?kill ]] || fail "no OOM report on stderr" "$(_run_context)"
	[[ "$stderr" == *"$CID"* ]] || fail "the OOM report does not name the container" "$(_run_context)"
	assert_line hog=1
	refute_line hogged=256
}

@test "OOM: run in the foreground whose container was OOM-killed exits 137 and says so (without --init)" {
	oom_config
	run --separate-stderr corral run "$CID"
	assert_oom_report
	assert_nothing_left
}

@test "OOM: run --init in the foreground whose command was OOM-killed exits 137 and says so" {
	oom_config
	run --separate-stderr corral run --init "$CID"
	assert_oom_report
	assert_nothing_left
}

@test "init: corral-init refuses to run anywhere but as PID 1 of a pid namespace" {
	# Its kill(-1) would otherwise reach every process the caller may signal. Tried as pid 2 of
	# a throwaway pid namespace, so even a regression could only hit that namespace.
	local init=$CORRAL_BUILD/init/corral-init
	[ -x "$init" ] || fail "no corral-init in the build ($init)"
	run --separate-stderr unshare --pid --fork sh -c '"$1" 0 - /bin/true true; echo rc=$?' sh "$init"
	assert_status 0
	assert_line rc=2
	[[ "$stderr" == *"must be PID 1 of a new pid namespace"* ]] || fail "stderr: $stderr"
}

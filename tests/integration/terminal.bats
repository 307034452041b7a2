#!/usr/bin/env bats
# process.terminal: the pty the runtime makes in the container's devpts, handed to a console
# socket (--console-socket, what conmon and containerd's shim listen on) for detached containers,
# or held by the runtime itself for a foreground `run` on the caller's terminal; and runc's rules
# for when a console socket is required or refused.
#
# The receiver is corral-recvtty (tests/helpers/recvtty.c, like runc's contrib recvtty); the
# caller's terminal in the foreground tests is a real pty made by tests/helpers/ptydrive.py.

load lib/common
load lib/tty

setup() {
	common_setup
	tty_setup
}

teardown() {
	tty_teardown
	common_teardown
}

# A unique prompt, so that the dialogue can wait for the shell (it never occurs in echoed input).
PROMPT='CORRAL-TTY-PS1> '

# An interactive busybox shell as the container process, with $PROMPT as its prompt.
shell_config() {
	set_terminal "args('sh'); env('PATH=/bin:/usr/bin', 'TERM=xterm', 'PS1=$PROMPT')"
}

# ---- detached containers and the console socket --------------------------------------------

@test "run -d --console-socket: the master arrives, the process runs on the pty as its ctty" {
	set_terminal 'args("probe", "tty"); c["process"]["consoleSize"] = {"height": 33, "width": 111}'
	recvtty_start --mode record "$RECORD"
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_status 0
	# The receiver ends when the master reports EIO: the process is done and no slave descriptor
	# stays open anywhere (not in the runtime, not in a leftover helper).
	recvtty_wait
	[ "$RECVTTY_STATUS" -eq 0 ] || fail "corral-recvtty exited $RECVTTY_STATUS" "$(cat "$RECV_ERR")"

	use_output "$RECV_OUT"
	local name pts
	name=$(kv name)
	[[ "$name" == /*ptmx ]] || fail "payload '$name' is not the master's name (a ptmx path)" "$output"
	assert_kv fds 1
	assert_kv fd_is_tty 1
	assert_kv fd_flags rw
	pts=$(kv ptsname)
	[[ "$pts" =~ ^/dev/pts/[0-9]+$ ]] || fail "TIOCGPTN on the master failed" "$output"
	# Made in the container's own devpts instance, where it is the first and only pty (a pty of
	# the host's devpts would have whatever number was free there).
	[ "$pts" = /dev/pts/0 ] || fail "the pty is not the first of a fresh devpts instance" "$output"
	assert_kv eof 1

	# What the process saw, recorded from the master.
	use_output "$RECORD"
	assert_kv isatty0 1
	# The slave's number is the one in the container's own devpts, and it is stdin, stdout and
	# stderr.
	assert_kv ttyname0 "$pts"
	assert_kv ttyname1 "$pts"
	assert_kv ttyname2 "$pts"
	assert_kv rows 33
	assert_kv cols 111
	assert_kv console_same 1
	assert_kv ctty 1
	# A session leader, and its process group is the terminal's foreground group.
	[ "$(kv sid)" = "$(kv pid)" ] || fail "not a session leader" "$output"
	[ "$(kv pgid)" = "$(kv pid)" ] || fail "not a process group leader" "$output"
	[ "$(kv tcpgrp)" = "$(kv pgid)" ] || fail "not the foreground process group" "$output"
	# The slave's line discipline is the default cooked one.
	assert_kv echo 1
	assert_kv icanon 1
	assert_kv isig 1

	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "run -d --console-socket --pid-file: the pid file names the running process once the master is sent" {
	set_terminal 'args("sh", "-c", "echo tty-up; exec sleep 100")'
	recvtty_start --mode record "$RECORD"
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	assert_status 0
	# The pid file is written after the send: once it exists, the master is on its way.
	[ -s "$BATS_TEST_TMPDIR/pid" ] || fail "no pid file after run -d returned"
	wait_recvtty_received
	local pid
	pid=$(container_pid "$CID")
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ] ||
		fail "pid file holds $(cat "$BATS_TEST_TMPDIR/pid"), state says $pid"
	wait_for_tty_line "$RECORD" tty-up
	grep -q '^sleep' "/proc/$pid/cmdline" || fail "pid $pid is not the container's sleep"
	[ "$(state_field "$CID" status)" = running ]

	corral kill "$CID" KILL
	wait_for_status "$CID" stopped
	recvtty_wait
	corral delete "$CID"
	assert_nothing_left
}

@test "create --console-socket, then start: the master is sent at create, output flows after start" {
	set_terminal 'args("sh", "-c", "echo started-$((40 + 2)); probe tty")'
	recvtty_start --mode record "$RECORD"
	run --separate-stderr corral_bg create --console-socket "$SOCK" "$CID"
	assert_status 0
	wait_recvtty_received
	[ "$(state_field "$CID" status)" = created ]
	# Nothing of the process yet.
	[ ! -s "$RECORD" ] || fail "output before start:" "$(cat -A "$RECORD")"

	run --separate-stderr corral start "$CID"
	assert_status 0
	wait_for_tty_line "$RECORD" started-42
	recvtty_wait
	use_output "$RECORD"
	assert_kv isatty0 1
	assert_kv ctty 1
	assert_kv console_same 1
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "run -d --console-socket: what is written to the master is the process's input" {
	set_terminal 'args("sh", "-c", "read -r line; echo got-$line")'
	printf 'typed-in\n' >"$BATS_TEST_TMPDIR/input"
	RECVTTY_STDIN=$BATS_TEST_TMPDIR/input recvtty_start --stdin --mode record "$RECORD"
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_status 0
	wait_for_tty_line "$RECORD" got-typed-in
	recvtty_wait
	# The line discipline echoed the input, as a terminal does.
	use_output "$RECORD"
	assert_line typed-in
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

@test "run -d --console-socket: closing the master hangs up the container's session" {
	# The receiver holds the only master: nothing else (not the runtime, not a helper it left
	# behind) may keep one open, or the hangup never comes. The leader is pid 1 of its pid
	# namespace, which only a handled signal reaches: hence the trap.
	set_terminal 'args("sh", "-c", "trap \"exit 9\" HUP; sleep 100 & wait")'
	recvtty_start --no-consume
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_status 0
	wait_recvtty_received
	sleep 0.3
	[ "$(state_field "$CID" status)" = running ]
	recvtty_stop
	wait_for_status "$CID" stopped
	corral delete "$CID"
	assert_nothing_left
}

# ---- runc's rules: when a console socket is required, when it is refused --------------------

@test "create with terminal and no --console-socket is refused and leaves nothing" {
	set_terminal 'args("probe", "exit", "0")'
	run --separate-stderr corral_bg create "$CID"
	assert_console_error
	assert_nothing_left "$CID"
}

@test "run -d with terminal and no --console-socket is refused and leaves nothing" {
	set_terminal 'args("probe", "exit", "0")'
	run --separate-stderr corral_bg run -d "$CID"
	assert_console_error
	assert_nothing_left "$CID"
}

@test "create and run -d with --console-socket but no terminal are refused, nothing is sent" {
	update_config 'args("probe", "exit", "0")'
	recvtty_start
	run --separate-stderr corral_bg create --console-socket "$SOCK" "$CID"
	assert_console_error
	refute_recvtty_received
	[ ! -e "$STATE_ROOT/$CID" ]
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_console_error
	refute_recvtty_received
	# The receiver is a tracked process too: stop it before the leak check.
	recvtty_stop
	assert_nothing_left "$CID"
}

@test "run in the foreground with --console-socket is refused, nothing is sent" {
	set_terminal 'args("probe", "exit", "0")'
	recvtty_start
	run --separate-stderr corral_bg run --console-socket "$SOCK" "$CID"
	assert_console_error
	refute_recvtty_received
	recvtty_stop
	assert_nothing_left "$CID"
}

@test "a console socket that does not exist: a clear error, nothing left" {
	set_terminal 'args("probe", "exit", "0")'
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_error "$SOCK" "no such file or directory"
	assert_nothing_left "$CID"
	run --separate-stderr corral_bg create --console-socket "$SOCK" "$CID"
	assert_error "$SOCK" "no such file or directory"
	assert_nothing_left "$CID"
}

@test "a console socket nobody listens on: a clear error, nothing left" {
	set_terminal 'args("probe", "trap")'
	# Bound but never listened on: connect() is refused.
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	run --separate-stderr corral_bg run -d --console-socket "$SOCK" "$CID"
	assert_error "$SOCK" "connection refused"
	assert_nothing_left "$CID"
	run --separate-stderr corral_bg create --console-socket "$SOCK" "$CID"
	assert_error "$SOCK" "connection refused"
	assert_nothing_left "$CID"
}

# ---- the foreground: corral run on the caller's terminal ------------------------------------

@test "run (foreground, terminal): a shell on the caller's pty: prompt, echo, size, exit code, termios restored" {
	shell_config
	track_id "$CID"
	drive --rows 30 --cols 100 \
		-e "expectl '$PROMPT'" \
		-e check-raw \
		-e "send 'echo \"S=\$(stty size)\"\\r'" \
		-e "expect '^S=30 100\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'echo tty-'\"''\"'echo-\$((6 * 7))\\r'" \
		-e "expectl 'echo tty-'\"''\"'echo-\$((6 * 7))'" \
		-e "expect '^tty-echo-42\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'probe tty\\r'" \
		-e "expect '^ctty=1\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'exit 7\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	# corral put the caller's terminal in raw mode while it ran, and restored it after.
	assert_kv outer_raw 1
	assert_kv exit 7
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): a window size change reaches the container's pty" {
	shell_config
	track_id "$CID"
	drive --rows 24 --cols 80 \
		-e "expectl '$PROMPT'" \
		-e "send 'echo \"S=\$(stty size)\"\\r'" \
		-e "expect '^S=24 80\\r'" \
		-e "expectl '$PROMPT'" \
		-e "resize 41 133" \
		-e "sleep 0.3" \
		-e "send 'echo \"S=\$(stty size)\"\\r'" \
		-e "expect '^S=41 133\\r'" \
		-e "expectl '$PROMPT'" \
		-e "resize 12 40" \
		-e "sleep 0.3" \
		-e "send 'probe tty\\r'" \
		-e "expect '^rows=12\\r\\ncols=40\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'exit\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv exit 0
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): Ctrl-C interrupts the foreground job through the container's pty, the shell survives" {
	shell_config
	track_id "$CID"
	drive \
		-e "expectl '$PROMPT'" \
		-e "send 'echo sleeping-\$((1 + 1)); sleep 100\\r'" \
		-e "expect '^sleeping-2\\r'" \
		-e "sleep 0.5" \
		-e "send '\\x03'" \
		-e "expectl '$PROMPT'" \
		-e "send 'echo rc=\$?\\r'" \
		-e "expect '^rc=130\\r'" \
		-e "expectl '$PROMPT'" \
		-e "send 'exit 3\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	# The shell, not corral, got the interrupt: it went on to run `exit 3`.
	assert_kv exit 3
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): killed from outside, run exits 137 and the caller's terminal is restored" {
	shell_config
	track_id "$CID"
	export STATE_ROOT CID
	drive \
		-e "expectl '$PROMPT'" \
		-e check-raw \
		-e "shell '\"\$CORRAL\" --root \"\$STATE_ROOT\" kill \"\$CID\" KILL'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv outer_raw 1
	assert_kv exit 137
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): Ctrl-C reaches the container's init as SIGINT" {
	# No job control here (sh -c): the whole foreground group, sh and its sleep, gets SIGINT.
	set_terminal "args('sh', '-c', 'trap \"echo got-INT; exit 42\" INT; echo ready; while :; do sleep 1; done')"
	track_id "$CID"
	drive \
		-e "expect '^ready\\r'" \
		-e "send '\\x03'" \
		-e "expect 'got-INT\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv exit 42
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): Ctrl-C works even when run's caller ignores SIGINT and SIGQUIT" {
	# A background job of a script (or nohup, for SIGHUP) starts the runtime with these ignored;
	# ignored dispositions survive exec, so a runtime that does not reset them hands them on to
	# the container, whose Ctrl-C then does nothing. runc's container starts with none ignored.
	set_terminal "args('sh', '-c', 'trap \"echo got-INT; exit 42\" INT; echo ready; while :; do sleep 1; done')"
	track_id "$CID"
	drive --ignore INT,QUIT,HUP \
		-e "expect '^ready\\r'" \
		-e "send '\\x03'" \
		-e "expect 'got-INT\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv exit 42
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): all output reaches the caller before run exits" {
	# About 14 KiB: the process can write it all and exit while nobody reads the caller's
	# terminal; run must still copy what is left in the container's pty before it exits.
	set_terminal "args('sh', '-c', 'seq 1 3000; echo last-line; exit 5')"
	track_id "$CID"
	drive \
		-e "hold 1.5" \
		-e "expect '^1\\r\\n2\\r\\n3\\r\\n'" \
		-e "expect '^1500\\r\\n'" \
		-e "expect '^2999\\r\\n3000\\r\\nlast-line\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv exit 5
	assert_kv termios_restored 1
	assert_nothing_left
}

@test "run (foreground, terminal): a command that cannot start fails and the caller's terminal is restored" {
	set_terminal "args('no-such-command-here')"
	track_id "$CID"
	drive -e "wait" -- "$CORRAL" --root "$STATE_ROOT" run "$CID"
	assert_drive_ok
	assert_kv exit 1
	assert_kv termios_restored 1
	grep -q no-such-command-here "$PTY_LOG" || fail "no error naming the command:" "$(cat "$PTY_LOG")"
	assert_nothing_left
}

# exec -t: the same terminal for a process joining a running container (which has none).
start_plain_sleeper() {
	update_config 'args("sleep", "1000")'
	corral run -d "$CID" </dev/null >/dev/null
	track_pid "$(container_pid "$CID")"
}

@test "exec -t -d --console-socket: the master arrives, the process has its own pty as ctty" {
	start_plain_sleeper
	recvtty_start --mode record "$RECORD"
	run --separate-stderr corral exec -t -d --console-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/exec.pid" \
		"$CID" probe tty
	assert_status 0
	recvtty_wait
	[ "$RECVTTY_STATUS" -eq 0 ] || fail "corral-recvtty exited $RECVTTY_STATUS" "$(cat "$RECV_ERR")"
	[ -s "$BATS_TEST_TMPDIR/exec.pid" ] || fail "no pid file after exec -d"
	use_output "$RECV_OUT"
	assert_kv fd_is_tty 1
	local pts; pts=$(kv ptsname)
	[[ "$pts" =~ ^/dev/pts/[0-9]+$ ]] || fail "TIOCGPTN on the master failed" "$output"
	use_output "$RECORD"
	assert_kv isatty0 1
	assert_kv ttyname0 "$pts"
	assert_kv ttyname2 "$pts"
	assert_kv ctty 1
	[ "$(kv sid)" = "$(kv pid)" ] || fail "not a session leader" "$output"
	[ "$(kv tcpgrp)" = "$(kv pgid)" ] || fail "not the foreground process group" "$output"
	# exec leaves /dev/console alone: the container has no terminal of its own.
	[ "$(kv console_same)" != 1 ] || fail "exec bound its pty over /dev/console" "$output"
}

@test "exec -t -d without --console-socket, and --console-socket without -t, are refused" {
	start_plain_sleeper
	run --separate-stderr corral exec -t -d "$CID" true
	assert_console_error
	recvtty_start
	run --separate-stderr corral exec -d --console-socket "$SOCK" "$CID" true
	assert_console_error
	refute_recvtty_received
	run --separate-stderr corral exec -t --console-socket "$SOCK" "$CID" true
	assert_console_error
	refute_recvtty_received
}

@test "exec -t (foreground): a shell on the caller's pty: prompt, echo, size, Ctrl-C, exit code, termios restored" {
	start_plain_sleeper
	drive --rows 27 --cols 91 \
		-e "expectl '# '" \
		-e check-raw \
		-e "send 'echo \"S=\$(stty size)\"\\r'" \
		-e "expect '^S=27 91\\r'" \
		-e "resize 35 120" \
		-e "sleep 0.3" \
		-e "send 'echo \"S=\$(stty size)\"\\r'" \
		-e "expect '^S=35 120\\r'" \
		-e "send 'sleep 100\\r'" \
		-e "sleep 0.5" \
		-e "send '\\x03'" \
		-e "send 'echo rc=\$?\\r'" \
		-e "expect '^rc=130\\r'" \
		-e "send 'probe tty\\r'" \
		-e "expect '^ctty=1\\r'" \
		-e "send 'exit 5\\r'" \
		-e "wait" \
		-- "$CORRAL" --root "$STATE_ROOT" exec -t -e PS1='# ' "$CID" sh
	assert_drive_ok
	assert_kv outer_raw 1
	assert_kv exit 5
	assert_kv termios_restored 1
	# The container itself is untouched by the exec'd shell's exit.
	[ "$(state_field "$CID" status)" = running ]
}

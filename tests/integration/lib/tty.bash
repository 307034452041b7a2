# Terminal helpers for terminal.bats: `load lib/tty` after lib/common.
#
# A console socket receiver (CORRAL_RECVTTY, tests/helpers/recvtty.c) run in the background, and
# ptydrive.py, which runs a command on a real pty through a scripted dialogue. Container output
# that went through a pty has \r\n line ends; the helpers here strip the \r.

RECVTTY=${CORRAL_RECVTTY:-}
PTYDRIVE=$INTEGRATION_DIR/../helpers/ptydrive.py

tty_setup() {
	[[ -n "$RECVTTY" && -x "$RECVTTY" ]] || fail "CORRAL_RECVTTY must name corral-recvtty"
	# sun_path holds 108 bytes; bats' temp dirs are usually short enough, but not always.
	TTY_DIR=$BATS_TEST_TMPDIR
	[ ${#TTY_DIR} -lt 90 ] || TTY_DIR=$(mktemp -d /tmp/corral-tty.XXXXXX)
	SOCK=$TTY_DIR/console.sock
	RECV_OUT=$BATS_TEST_TMPDIR/recvtty.out
	RECV_ERR=$BATS_TEST_TMPDIR/recvtty.err
	RECORD=$BATS_TEST_TMPDIR/console.record
	PTY_LOG=$BATS_TEST_TMPDIR/pty.log
	RECVTTY_PID=
}

tty_teardown() {
	# A receiver still running means the test failed before it could end; stop it first, so that
	# common_teardown's leak check reports the container, not the helper.
	[ -z "${RECVTTY_PID:-}" ] || recvtty_stop
	[ "${TTY_DIR:-$BATS_TEST_TMPDIR}" = "$BATS_TEST_TMPDIR" ] || rm -rf "$TTY_DIR"
}

# recvtty_start [RECVTTY OPTIONS...]: listens on $SOCK in the background (stdout in $RECV_OUT,
# stderr in $RECV_ERR, stdin from $RECVTTY_STDIN, /dev/null by default), returns once it
# listens. Sets RECVTTY_PID.
recvtty_start() {
	local pidfile=$BATS_TEST_TMPDIR/recvtty.pid
	rm -f "$pidfile"
	"$RECVTTY" --pid-file "$pidfile" "$@" "$SOCK" <"${RECVTTY_STDIN:-/dev/null}" >"$RECV_OUT" \
		2>"$RECV_ERR" 3>&- &
	RECVTTY_PID=$!
	retry 100 0.05 test -s "$pidfile" ||
		fail "corral-recvtty did not start listening on $SOCK:" "$(cat "$RECV_ERR")"
	[ "$(cat "$pidfile")" = "$RECVTTY_PID" ] || fail "recvtty pid file holds $(cat "$pidfile")"
	track_pid "$RECVTTY_PID"
}

# recvtty_wait: waits (10 s at most) for the receiver to end by itself, i.e. for the master to
# report EIO: every slave descriptor is closed. Sets RECVTTY_STATUS.
recvtty_wait() {
	retry 200 0.05 _pid_gone "$RECVTTY_PID" || {
		recvtty_stop
		fail "corral-recvtty still running after 10 s (is a slave of the pty still open?)" \
			"recvtty stdout:" "$(cat "$RECV_OUT")" "recvtty stderr:" "$(cat "$RECV_ERR")"
		return 1
	}
	RECVTTY_STATUS=0
	wait "$RECVTTY_PID" || RECVTTY_STATUS=$?
	RECVTTY_PID=
}

# recvtty_stop: ends a receiver that is still waiting (SIGTERM, then SIGKILL).
recvtty_stop() {
	local pid=$RECVTTY_PID
	[ -n "$pid" ] || return 0
	RECVTTY_PID=
	kill -TERM "$pid" 2>/dev/null || true
	retry 40 0.05 _pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_recvtty_received: the receiver got the message (its name= line), within 5 s.
wait_recvtty_received() {
	retry 100 0.05 grep -q '^name=' "$RECV_OUT" ||
		fail "no console master reached $SOCK within 5 s" "recvtty stdout:" "$(cat "$RECV_OUT")" \
			"recvtty stderr:" "$(cat "$RECV_ERR")"
}

# use_output FILE: makes FILE (\r stripped) the $output and $lines that kv and assert_kv read.
use_output() {
	output=$(tr -d '\r' <"$1")
	mapfile -t lines <<<"$output"
}

# wait_for_tty_line FILE LINE: FILE (pty output, \r\n line ends) gets a line LINE within 5 s.
_has_tty_line() { tr -d '\r' <"$1" 2>/dev/null | grep -qxF -- "$2"; }
wait_for_tty_line() {
	retry 100 0.05 _has_tty_line "$1" "$2" ||
		fail "no line '$2' in $1 after 5 s:" "$(cat -A "$1" 2>&1)"
}

# assert_console_error: the failure contract (see assert_error) for a refused console request:
# the one error line names the console socket (runc says "console socket", an option name
# "console-socket").
assert_console_error() {
	assert_error
	[[ "${stderr_lines[0],,}" =~ console[-\ ]socket ]] ||
		fail "the error does not mention the console socket" "$(_run_context)"
}

# refute_recvtty_received: nothing connected to the receiver (still waiting, no name= line).
refute_recvtty_received() {
	! grep -q '^name=' "$RECV_OUT" || fail "the runtime sent a console master:" "$(cat "$RECV_OUT")"
	pid_alive "$RECVTTY_PID" || fail "corral-recvtty ended:" "$(cat "$RECV_OUT" "$RECV_ERR")"
}

# set_terminal [EXTRA PYTHON]: process.terminal = true (the bundles are made without).
set_terminal() {
	update_config "c['process']['terminal'] = True; ${1:-}"
}

# drive [PTYDRIVE OPTIONS...] -- COMMAND...: ptydrive under `run --separate-stderr`, with its
# transcript in $PTY_LOG.
drive() {
	: >"$PTY_LOG"
	run --separate-stderr "$PYTHON" "$PTYDRIVE" --log "$PTY_LOG" --timeout 90 "$@" 3>&-
}

# assert_drive_ok: the dialogue went through (ptydrive exit 0); otherwise shows its error and the
# transcript.
assert_drive_ok() {
	[ "$status" -eq 0 ] ||
		fail "ptydrive failed (status $status)" "$(_run_context)" "transcript $PTY_LOG:" \
			"$(cat -A "$PTY_LOG" | tail -60)"
}

#!/usr/bin/env bats
# podman (through conmon) drives corral exactly as it drives runc. Every scenario is one function
# run twice, once with `--runtime /usr/local/bin/corral` and once with `--runtime /usr/sbin/runc`,
# with the same assertions: a failure both runtimes share is this machine's limit, one only
# corral shows is a corral bug.
#
# podman's whole state is private to each test (lib/podman.bash), containers run from a copy of
# the busybox rootfs with --rootfs (offline, no images), and every `podman run` passes
# --ulimit nofile=1024:1024 --ulimit nproc=1024:1024: podman's default rlimits exceed the hard
# limits here and no runtime may raise them without CAP_SYS_RESOURCE.

load lib/common
load lib/tty
load lib/userns
load lib/podman

setup_file() { podman_setup_file; }
setup() {
	podman_setup
	PTY_LOG=$BATS_TEST_TMPDIR/pty.log
}
teardown() { podman_teardown; }

# A container that runs until podman stops it: TERM ends it at once with exit status 7.
LOOP='trap "exit 7" TERM; while :; do sleep 0.1; done'

# ---- run --rm ----------------------------------------------------------------------------------

sc_run_rm() {
	pm_use "$1"
	run --separate-stderr pm_run --rm -- sh -c 'echo "first line"; printf "two\nthree\n"; echo "to stderr" >&2'
	assert_status 0
	[ "$output" = $'first line\ntwo\nthree' ] || fail "stdout is not the container's" "$(_run_context)"
	[ "$stderr" = "to stderr" ] || fail "stderr is not the container's" "$(_run_context)"

	# stdin reaches the process with -i.
	run --separate-stderr pm_run --rm -i -- sh -c 'read l; echo "read: $l"' <<<"from the host"
	assert_status 0
	[ "$output" = "read: from the host" ] || fail "stdin did not arrive" "$(_run_context)"

	local code
	for code in 1 42 255; do
		run --separate-stderr pm_run --rm -- sh -c "echo code=$code; exit $code"
		assert_status "$code"
		assert_line "code=$code"
	done

	# 128+N for a process killed by signal N: one that kills itself (not PID 1 here, which
	# the kernel would protect from its own signals: --pid host) ...
	run --separate-stderr pm_run --rm --pid host -- probe kill-self 15
	assert_status 143
	# ... and one that podman kills (SIGKILL, from outside the pid namespace).
	local out=$BATS_TEST_TMPDIR/killed.out err=$BATS_TEST_TMPDIR/killed.err job rc=0
	pm_run_args --rm --name killed -- sh -c 'echo ready; while :; do sleep 0.1; done'
	pm "${PM_ARGS[@]}" </dev/null >"$out" 2>"$err" &
	job=$!
	retry 300 0.05 grep -qx ready "$out" || fail "the container did not start within 15 s" "$(cat "$out" "$err")"
	run --separate-stderr pm kill killed
	assert_status 0
	wait "$job" || rc=$?
	[ "$rc" -eq 137 ] || fail "run of the killed container exited $rc, not 137" "$(cat "$err")"

	# podman's own codes for a command that cannot start, from the runtime's error: 127 not
	# found, 126 not executable.
	run -127 --separate-stderr pm_run --rm -- /bin/no-such-command
	assert_status 127
	run --separate-stderr pm_run --rm -- /etc/passwd
	assert_status 126
}

@test "podman corral: run --rm passes stdout, stderr, stdin and exit codes 0, 1, 42, 255, 126, 127, 128+N" { sc_run_rm corral; }
@test "podman runc: run --rm passes stdout, stderr, stdin and exit codes 0, 1, 42, 255, 126, 127, 128+N" { sc_run_rm runc; }

# ---- run -d, ps, logs, stop, rm ------------------------------------------------------------

sc_detached() {
	pm_use "$1"
	run --separate-stderr pm_run -d --name det -- sh -c "echo started; $LOOP"
	assert_status 0
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "run -d did not print the container id" "$(_run_context)"
	local id=$output
	run --separate-stderr pm ps --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}'
	assert_status 0
	[ "${#lines[@]}" -eq 1 ] && [[ "${lines[0]}" == "$id det Up "* ]] ||
		fail "ps does not show the container Up" "$(_run_context)"
	[ "$(pm_state det)" = running ]
	# The process as the host sees it: in its libpod cgroup.
	local pid
	pid=$(pm inspect --format '{{.State.Pid}}' det)
	track_pid "$pid"
	grep -q ":/libpod_parent/libpod-$id\$" "/proc/$pid/cgroup" ||
		fail "pid $pid is not in libpod_parent/libpod-$id:" "$(cat "/proc/$pid/cgroup")"

	_logs_have() { [[ "$(pm logs det 2>&1)" == *"$1"* ]]; }
	retry 50 0.1 _logs_have started || fail "logs lack 'started':" "$(pm logs det 2>&1)"

	local t0=$SECONDS
	run --separate-stderr pm stop -t 10 det
	assert_status 0
	[ $((SECONDS - t0)) -lt 5 ] || fail "stop took $((SECONDS - t0)) s: TERM did not reach the trap"
	[ "$(pm_state det)" = exited ]
	[ "$(pm inspect --format '{{.State.ExitCode}}' det)" = 7 ] ||
		fail "exit code $(pm inspect --format '{{.State.ExitCode}}' det), not the trap's 7"
	wait_pid_gone "$pid" || fail "pid $pid still runs after stop"

	run --separate-stderr pm rm det
	assert_status 0
	run --separate-stderr pm ps -a -q
	assert_status 0
	[ -z "$output" ] || fail "ps -a still lists a container" "$(_run_context)"
}

@test "podman corral: run -d, ps shows it Up, logs, stop delivers TERM, rm" { sc_detached corral; }
@test "podman runc: run -d, ps shows it Up, logs, stop delivers TERM, rm" { sc_detached runc; }

# ---- exec ------------------------------------------------------------------------------------

sc_exec() {
	pm_use "$1"
	run --separate-stderr pm_run -d --name ex -- sh -c "$LOOP"
	assert_status 0

	run --separate-stderr pm exec ex echo "hello from exec"
	assert_status 0
	[ "$output" = "hello from exec" ] || fail "exec output" "$(_run_context)"
	run --separate-stderr pm exec ex sh -c 'echo out; exit 3'
	assert_status 3
	assert_line out
	run --separate-stderr pm exec -e FOO=bar -e EMPTY= ex probe env
	assert_status 0
	assert_line FOO=bar
	assert_line EMPTY=
	run --separate-stderr pm exec --workdir /tmp ex probe cwd
	assert_status 0
	assert_kv cwd /tmp
	run --separate-stderr pm exec --user 1000:1001 ex probe ids
	assert_status 0
	assert_kv uid 1000
	assert_kv gid 1001
	# A name, resolved by podman in the rootfs' /etc/passwd.
	run --separate-stderr pm exec --user nobody ex probe ids
	assert_status 0
	assert_kv uid 65534
	assert_kv gid 65534
	# The exec'd process is in the container's pid namespace, not its PID 1.
	run --separate-stderr pm exec ex probe pid
	assert_status 0
	[ "$(kv pid)" -gt 1 ] && [ "$(kv pid)" -lt 1000 ] || fail "exec'd pid" "$(_run_context)"
	run -127 --separate-stderr pm exec ex /bin/no-such-command
	assert_status 127
	run --separate-stderr pm exec ex /etc/passwd
	assert_status 126

	# exec -t on a real terminal: the process gets a pty of the container's devpts.
	drive_pm -e 'expect "stdin-tty-42"' -- exec -t ex sh -c 'tty; [ -t 0 ] && echo stdin-tty-$((6 * 7)); exit 4'
	assert_drive_ok
	assert_line exit=4
	use_output "$PTY_LOG"
	local l pts=''
	for l in "${lines[@]}"; do [[ "$l" =~ ^/dev/pts/[0-9]+$ ]] && pts=$l; done
	[ -n "$pts" ] || fail "exec -t: tty does not name a /dev/pts device" "$(cat -A "$PTY_LOG")"

	[ "$(pm_state ex)" = running ]
	run --separate-stderr pm rm -f ex
	assert_status 0
}

@test "podman corral: exec output, exit codes, -e, --workdir, --user, exec -t on a pty" { sc_exec corral; }
@test "podman runc: exec output, exit codes, -e, --workdir, --user, exec -t on a pty" { sc_exec runc; }

# ---- run -t ------------------------------------------------------------------------------------

sc_run_tty() {
	pm_use "$1"
	# An interactive shell on the caller's 33x111 terminal, then a resize to 40x120 that podman
	# passes on (the marker lines are computed, so the echoed input never matches).
	drive_pm --rows 33 --cols 111 \
		-e 'expect "PS1> "' \
		-e 'send "tty; stty size; [ -t 0 ] && echo stdin-tty-$((6 * 7))\r"' \
		-e 'expect "stdin-tty-42"' -e 'expect "PS1> "' \
		-e 'resize 40 120' -e 'sleep 0.5' \
		-e 'send "echo size-$((1 + 1)) $(stty size)\r"' -e 'expect "size-2 "' -e 'expect "PS1> "' \
		-e 'send "exit 5\r"' -e 'wait 20' \
		-- run -it --rm "${PODMAN_ULIMITS[@]}" --network none -e 'PS1=PS1> ' --rootfs "$ROOTFS" sh
	assert_drive_ok
	assert_line exit=5
	assert_line termios_restored=1
	use_output "$PTY_LOG"
	# The first pty of the container's own devpts instance.
	assert_line /dev/pts/0
	assert_line "33 111"
	assert_line "size-2 40 120"
}

@test "podman corral: run -it on a pty: the tty, its size and a resize" { sc_run_tty corral; }
@test "podman runc: run -it on a pty: the tty, its size and a resize" { sc_run_tty runc; }

# ---- kill, pause, unpause, top -----------------------------------------------------------------

sc_signals() {
	pm_use "$1"
	# A counter in the shared directory, advanced every 0.1 s (written by rename, so a read
	# never sees a half-written file); USR1 writes a marker.
	run --separate-stderr pm_run -d --name sig -v "$SHARED:/shared" -- sh -c '
trap "echo usr1 >/shared/usr1" USR1
trap "exit 7" TERM
i=0
while :; do i=$((i + 1)); echo $i >/shared/c.new; mv /shared/c.new /shared/counter; sleep 0.1; done'
	assert_status 0
	wait_for_file "$SHARED/counter"

	run --separate-stderr pm kill -s USR1 sig
	assert_status 0
	wait_for_line "$SHARED/usr1" usr1
	[ "$(pm_state sig)" = running ]

	run --separate-stderr pm top sig pid comm
	assert_status 0
	local l found=''
	for l in "${lines[@]}"; do [[ "$l" =~ ^1\ +sh$ ]] && found=1; done
	[ -n "$found" ] || fail "top does not list sh as pid 1" "$(_run_context)"

	run --separate-stderr pm pause sig
	assert_status 0
	[ "$(pm_state sig)" = paused ]
	run --separate-stderr pm ps -a --format '{{.Names}} {{.Status}}'
	assert_line "sig Paused"
	local c1 c2
	c1=$(cat "$SHARED/counter")
	sleep 0.6
	c2=$(cat "$SHARED/counter")
	[ "$c1" = "$c2" ] || fail "the counter advanced while paused: $c1 -> $c2"

	run --separate-stderr pm unpause sig
	assert_status 0
	[ "$(pm_state sig)" = running ]
	_advanced() { [ "$(cat "$SHARED/counter")" -gt "$c2" ]; }
	retry 50 0.1 _advanced || fail "the counter did not advance after unpause: $(cat "$SHARED/counter")"

	run --separate-stderr pm stop sig
	assert_status 0
	[ "$(pm inspect --format '{{.State.ExitCode}}' sig)" = 7 ]
	run --separate-stderr pm rm sig
	assert_status 0
}

@test "podman corral: kill -s USR1 reaches the trap, top, pause freezes and unpause resumes" { sc_signals corral; }
@test "podman runc: kill -s USR1 reaches the trap, top, pause freezes and unpause resumes" { sc_signals runc; }

# ---- init ------------------------------------------------------------------------------------

# The command of the init tests: PID 1's name, its own pid and ppid, five orphans for PID 1 to reap,
# the zombie count once they exited, and exit 3.
INIT_CMD='echo "cmdline=$(tr "\0" " " </proc/1/cmdline)"; echo "comm=$(cat /proc/1/comm)"; echo "self=$$ $PPID"
probe orphans 5; sleep 0.5; probe zombies-count; exit 3'

# The command is a child of PID 1 (its pid number is the runtime's business: runc's setup uses a
# few in the new namespace).
_assert_child_of_init() {
	local s
	s=$(kv self) || return 1
	[[ "$s" =~ ^[0-9]+\ 1$ ]] && [ "${s% *}" -gt 1 ] || fail "the command is not a child of PID 1 (pid ppid: $s)" "$(_run_context)"
}

sc_init() {
	pm_use "$1"
	# --init: podman's catatonit, bind-mounted at /run/podman-init, is PID 1.
	run --separate-stderr pm_run --rm --init -- sh -c "$INIT_CMD"
	assert_status 3
	[[ "$(kv cmdline)" == "/run/podman-init -- sh -c "* ]] || fail "PID 1 is not podman-init" "$(_run_context)"
	assert_kv comm podman-init
	_assert_child_of_init
	assert_kv orphans 5
	assert_kv zombies 0

	# corral's own init through the annotation; runc ignores it: its PID 1 is the command.
	run --separate-stderr pm_run --rm --annotation org.corral.init=true -- sh -c "$INIT_CMD"
	assert_status 3
	assert_kv orphans 5
	if [ "$RT" = corral ]; then
		assert_kv comm corral-init
		_assert_child_of_init
		assert_kv zombies 0
	else
		assert_kv comm sh
		assert_kv self "1 0"
	fi
}

@test "podman corral: --init runs catatonit as PID 1 and reaps; annotation org.corral.init=true runs corral-init" { sc_init corral; }
@test "podman runc: --init runs catatonit as PID 1 and reaps; annotation org.corral.init=true is ignored" { sc_init runc; }

# ---- resource limits ---------------------------------------------------------------------------

sc_limits() {
	pm_use "$1"
	# 20 pids: the shell and 19 sleeps; the 20th fork fails and busybox sh gives up (exit 2).
	run --separate-stderr pm_run --rm --pids-limit 20 -- sh -c '
read m </sys/fs/cgroup/pids/pids.max; echo max=$m
i=0; while [ $i -lt 30 ]; do sleep 30 & i=$((i + 1)); echo started=$i; done'
	assert_status 2
	assert_kv max 20
	[ "${lines[-1]}" = started=19 ] || fail "the pids limit did not stop the 20th process" "$(_run_context)"
	[[ "$stderr" == *"can't fork"* ]] || fail "no fork failure" "$(_run_context)"

	# 20 MiB of memory: the limit is visible, and PID 1 touching 100 MiB is OOM-killed.
	run --separate-stderr pm_run --rm --memory 20m -- sh -c \
		'echo limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); exec probe hog 100'
	assert_status 137
	assert_kv limit 20971520
	refute_line hogged=100
}

@test "podman corral: --pids-limit 20 and --memory 20m are enforced and visible inside" { sc_limits corral; }
@test "podman runc: --pids-limit 20 and --memory 20m are enforced and visible inside" { sc_limits runc; }

# ---- namespaces ------------------------------------------------------------------------------

sc_network_pid() {
	pm_use "$1"
	run --separate-stderr pm_run --rm -- ls /sys/class/net
	assert_status 0
	[ "$output" = lo ] || fail "--network none: interfaces besides lo" "$(_run_context)"

	run --separate-stderr pm_run --rm --network host -- ls /sys/class/net
	assert_status 0
	local host
	host=$(ls /sys/class/net)
	[ "$output" = "$host" ] || fail "--network host: not the host's interfaces ($(echo $host))" "$(_run_context)"

	run --separate-stderr pm_run --rm --pid host -- sh -c \
		'echo "init=$(cat /proc/1/comm)"; echo "self=$$"; echo "procs=$(ls -d /proc/[0-9]* | wc -l)"'
	assert_status 0
	assert_kv init "$(cat /proc/1/comm)"
	[ "$(kv self)" -gt 1 ] || fail "--pid host: the command is PID 1" "$(_run_context)"
	[ "$(kv procs)" -gt 20 ] || fail "--pid host: too few processes visible" "$(_run_context)"
}

@test "podman corral: --network none has only lo, --network host the host's interfaces, --pid host the host's pids" { sc_network_pid corral; }
@test "podman runc: --network none has only lo, --network host the host's interfaces, --pid host the host's pids" { sc_network_pid runc; }

# ---- user namespace --------------------------------------------------------------------------

# podman with --rootfs neither chowns the tree nor idmaps it. An unchanged copy (owned by host
# root) shows as nobody:nogroup inside, and no runtime can create a missing mount target in it
# (runc: "mkdir .../shared: permission denied"). Chowned to the mapped root, it is the
# container's own, as an image podman unpacked for the mapping would be. The mapped root must
# also reach the rootfs: below bats' 0700 temp dirs runc fails with "mount .../rootfs, flags:
# 0x5000: permission denied" (hence `traversable`). podman's own bind sources (/etc/hosts,
# /etc/hostname, /run/.containerenv in $PD/run/overlay-containers/<id>/userdata) stay in its
# 0700 runroot, as in a default install: the runtime must open them with the host's rights.
sc_userns() {
	pm_use "$1"
	chown -R -h "$HOST_BASE:$HOST_BASE" "$ROOTFS"
	# The mapped root reaches the rootfs and $SHARED through bats' 0700 temp dirs.
	traversable "$BUNDLE"
	run --separate-stderr pm_run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
		-v "$SHARED:/shared" -- sh -c '
echo uid_map=$(echo $(cat /proc/self/uid_map)); echo gid_map=$(echo $(cat /proc/self/gid_map))
echo root_owner=$(stat -c %u:%g /); probe ids; touch /shared/made-inside'
	assert_status 0
	assert_kv uid_map "0 100000 65536"
	assert_kv gid_map "0 100000 65536"
	assert_kv root_owner 0:0
	assert_kv uid 0
	assert_kv gid 0
	[ "$(stat -c %u:%g "$SHARED/made-inside")" = 100000:100000 ] ||
		fail "a file made inside is owned by $(stat -c %u:%g "$SHARED/made-inside") on the host"
}

@test "podman corral: --uidmap/--gidmap: the maps inside, files made in a bind mount are uid 100000 on the host" { sc_userns corral; }
@test "podman runc: --uidmap/--gidmap: the maps inside, files made in a bind mount are uid 100000 on the host" { sc_userns runc; }

# ---- read-only -------------------------------------------------------------------------------

sc_read_only() {
	pm_use "$1"
	run --separate-stderr pm_run --rm --read-only -- sh -c '
touch /written; echo root=$?
for d in /tmp /run /var/tmp; do touch $d/written && echo "$d=ok"; done'
	assert_status 0
	assert_kv root 1
	[[ "$stderr" == *"/written: Read-only file system"* ]] || fail "writing / did not fail with EROFS" "$(_run_context)"
	assert_line /tmp=ok
	assert_line /run=ok
	assert_line /var/tmp=ok
	[ ! -e "$ROOTFS/written" ] && [ ! -e "$ROOTFS/tmp/written" ] || fail "a write reached the rootfs"
}

@test "podman corral: --read-only: / is EROFS, /tmp /run /var/tmp are writable tmpfs" { sc_read_only corral; }
@test "podman runc: --read-only: / is EROFS, /tmp /run /var/tmp are writable tmpfs" { sc_read_only runc; }

# ---- sd_notify ---------------------------------------------------------------------------------

# --sdnotify=container: podman puts its notify socket into the config (a bind mount at
# /run/notify and NOTIFY_SOCKET in process.env); the container's READY=1 reaches the socket
# podman itself was given.
sc_sdnotify() {
	pm_use "$1"
	local host=$BATS_TEST_TMPDIR/notify.sock got=$BATS_TEST_TMPDIR/notify.got
	"$PYTHON" -S -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".bound", "w").close()
s.settimeout(30)
with open(sys.argv[2], "a") as out:
    while True:
        m = s.recv(4096).decode()
        out.write(m + "\n"); out.flush()
        if "READY=1" in m: break
' "$host" "$got" 3>&- &
	track_pid $!
	retry 100 0.05 test -e "$host.bound" || fail "the host's notify socket was not bound"
	NOTIFY_SOCKET=$host run --separate-stderr pm_run --rm --sdnotify=container -- sh -c '
echo sock=$NOTIFY_SOCKET; [ -S "$NOTIFY_SOCKET" ] && echo is-socket; probe notify READY=1'
	assert_status 0
	assert_kv sock /run/notify/notify.sock
	assert_line is-socket
	assert_kv notified READY=1
	retry 100 0.05 grep -q 'READY=1' "$got" || fail "READY=1 did not reach the host socket:" "$(cat "$got" 2>&1)"
}

@test "podman corral: --sdnotify=container: the container's READY=1 reaches podman's NOTIFY_SOCKET" { sc_sdnotify corral; }
@test "podman runc: --sdnotify=container: the container's READY=1 reaches podman's NOTIFY_SOCKET" { sc_sdnotify runc; }

# ---- capabilities and seccomp ------------------------------------------------------------------

# sethostname in a user and uts namespace of the container's own: no capability of the
# container is needed, but podman's default profile denies the call to a container without
# CAP_SYS_ADMIN (EPERM).
HOSTNAME_CMD='probe caps; unshare -Uru hostname renamed && echo sethostname=ok'

sc_caps_seccomp() {
	pm_use "$1"
	run --separate-stderr pm_run --rm --cap-drop ALL -- sh -c 'probe caps; touch /tmp/f; chown 1:1 /tmp/f; echo chown=$?'
	assert_status 0
	assert_kv CapEff 0000000000000000
	assert_kv CapPrm 0000000000000000
	assert_kv CapBnd 0000000000000000
	assert_kv chown 1
	[[ "$stderr" == *"Operation not permitted"* ]] || fail "chown did not fail with EPERM" "$(_run_context)"

	run --separate-stderr pm_run --rm -- sh -c "$HOSTNAME_CMD"
	assert_status 1
	assert_kv Seccomp 2
	refute_line sethostname=ok
	[[ "$stderr" == *"sethostname: Operation not permitted"* ]] || fail "sethostname was not denied" "$(_run_context)"

	run --separate-stderr pm_run --rm --security-opt seccomp=unconfined -- sh -c "$HOSTNAME_CMD"
	assert_status 0
	assert_kv Seccomp 0
	assert_line sethostname=ok
}

@test "podman corral: --cap-drop ALL, the default seccomp profile denies sethostname, seccomp=unconfined" { sc_caps_seccomp corral; }
@test "podman runc: --cap-drop ALL, the default seccomp profile denies sethostname, seccomp=unconfined" { sc_caps_seccomp runc; }

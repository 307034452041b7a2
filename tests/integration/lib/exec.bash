# Helpers for exec.bats: `load lib/exec` after lib/common.

# start_container [EDIT]: `run -d` of the bundle with `probe trap` as PID 1 (after the Python
# EDIT, see update_config); returns once it printed "ready". Sets INIT_PID.
start_container() {
	update_config "args('probe', 'trap'); ${1:-}"
	corral_bg run -d "$CID"
	wait_for_line "$(ctr_stdout "$CID")" ready
	INIT_PID=$(container_pid "$CID")
}

# corral_exec_bg EXEC ARGS...: a foreground `exec` as a background job of this shell, for
# signal tests. Sets EXEC_PID (the runtime itself, no timeout wrapper in between); stdout goes
# to $EXEC_OUT, stderr to $EXEC_ERR.
corral_exec_bg() {
	EXEC_OUT=$BATS_TEST_TMPDIR/exec.stdout
	EXEC_ERR=$BATS_TEST_TMPDIR/exec.stderr
	: >"$EXEC_OUT"
	"$CORRAL" --root "$STATE_ROOT" exec "$@" </dev/null >"$EXEC_OUT" 2>"$EXEC_ERR" 3>&- &
	EXEC_PID=$!
	track_pid "$EXEC_PID"
}

# corral_exec_detached PIDFILE EXEC ARGS...: `exec -d --pid-file PIDFILE ARGS`, its stdio on
# files (a detached process keeps them open, so a pipe would keep `run` waiting). Prints the
# process's host pid on success and records it for the leak check.
corral_exec_detached() {
	local pidfile=$1 rc=0 pid
	shift
	corral exec -d --pid-file "$pidfile" "$@" </dev/null >>"$BATS_TEST_TMPDIR/detached.stdout" \
		2>"$BATS_TEST_TMPDIR/detached.stderr" || rc=$?
	cat "$BATS_TEST_TMPDIR/detached.stderr" >&2
	[ "$rc" -eq 0 ] || return "$rc"
	read -r pid <"$pidfile" || fail "pid file $pidfile is empty"
	[[ "$pid" =~ ^[1-9][0-9]*$ ]] || fail "pid file $pidfile holds '$pid'"
	track_pid "$pid"
	echo "$pid"
}

# ns_listing PID: "name=inode" for every entry of /proc/PID/ns, sorted like `probe ns` prints
# them (alphasort of the names).
ns_listing() {
	local f
	for f in /proc/"$1"/ns/*; do
		printf '%s=%s\n' "${f##*/}" "$(stat -L -c %i "$f")"
	done | LC_ALL=C sort
}

# cgroup_dirs PID: the host directory of each cgroup PID is in, one per hierarchy (read from
# /proc/PID/cgroup, located through the cgroup mounts of this mount namespace).
cgroup_dirs() {
	"$PYTHON" -S -c '
import sys
pid = sys.argv[1]
v1, v2 = [], None
for l in open("/proc/self/mountinfo"):
    f = l.split()
    i = f.index("-")
    fstype, sup, root, mp = f[i + 1], f[i + 3], f[3], f[4]
    if fstype == "cgroup2" and v2 is None:
        v2 = (root, mp)
    elif fstype == "cgroup":
        v1.append((set(sup.split(",")), root, mp))
for l in open(f"/proc/{pid}/cgroup"):
    _, ctrls, path = l.rstrip("\n").split(":", 2)
    if not ctrls:
        if v2 is None:
            sys.exit("no cgroup2 mount for " + l)
        root, mp = v2
    else:
        want = set(ctrls.split(","))
        m = [(r, p) for s, r, p in v1 if want <= s]
        if not m:
            sys.exit("no mount for hierarchy " + ctrls)
        root, mp = m[0]
    rel = path[len(root):] if root != "/" and path.startswith(root) else path
    print(mp.rstrip("/") + rel)
' "$1"
}

# assert_only_init: the container's cgroups hold its PID 1 and nothing else alive (a failed or
# finished exec left no process behind).
_only_init() { [ "$(live_procs_of "$CID" | sort -u)" = "$INIT_PID" ]; }
assert_only_init() {
	# A process on its way out gets 2 s; one that stays is a leak.
	retry 20 0.1 _only_init && return 0
	local procs
	procs=$(live_procs_of "$CID" | sort -u)
	[ "$procs" = "$INIT_PID" ] ||
		fail "expected only init $INIT_PID in the cgroups of $CID, found: ${procs//$'\n'/ }" \
			"$(for p in $procs; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
}

# assert_one_error_line: the failure contract without the exit code being 1 necessarily
# (status non-zero, exactly one line on stderr).
assert_one_error_line() {
	[ "$status" -ne 0 ] || fail "expected a failure" "$(_run_context)"
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected exactly one line on stderr, got ${#stderr_lines[@]}" "$(_run_context)"
}

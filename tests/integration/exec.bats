#!/usr/bin/env bats
# exec: a new process in a running container, with runc's CLI. It joins every namespace and
# every cgroup of the container, starts from the config's process (or a --process file) with
# the flags' changes, keeps the container's seccomp filter, gets exactly the descriptors it is
# given, reports its exit like `run`, and never shows the container a dumpable runtime or a
# path outside the rootfs. Failures are one clear line and leave nothing in the container.

load lib/common
load lib/userns
load lib/exec

# ---- namespaces and cgroups ----------------------------------------------------------------

@test "namespaces: the exec'd process is in every namespace of the container's PID 1" {
	local extra=''
	[ -e /proc/self/ns/time ] && extra="ns('time')"
	start_container "ns('cgroup'); c['hostname'] = 'exec-box'; $extra"
	run --separate-stderr corral exec "$CID" probe ns
	assert_status 0
	local want
	want=$(ns_listing "$INIT_PID")
	[ "$output" = "$want" ] || fail "namespaces differ from PID 1's" "exec'd:" "$output" "PID 1 ($INIT_PID):" "$want"
	# They are the container's own, not the host's, for every type the config asked for.
	local n
	for n in cgroup ipc mnt net pid uts ${extra:+time}; do
		[ "$(kv "$n")" != "$(host_ns "$n")" ] || fail "$n: the container shares the host's namespace"
	done
	run --separate-stderr corral exec "$CID" sh -c 'probe pid; probe hostname'
	assert_status 0
	assert_kv hostname exec-box
	# A new process in the container's pid namespace: not its PID 1, and numbered in it.
	local pid
	pid=$(kv pid)
	[ "$pid" -gt 1 ] && [ "$pid" -lt 1000 ] || fail "pid in the container is $pid"
}

@test "user namespace: exec joins it, ids inside and on the host are the mapped ones" {
	userns
	start_container
	[ "$(stat -L -c %i "/proc/$INIT_PID/ns/user")" != "$(host_ns user)" ]
	run --separate-stderr corral exec "$CID" probe ids
	assert_status 0
	assert_kv uid 0
	assert_kv gid 0
	run --separate-stderr corral exec "$CID" probe ns
	assert_status 0
	[ "$output" = "$(ns_listing "$INIT_PID")" ] || fail "namespaces differ from PID 1's" "$output"
	# From the host: the process runs as the mapped ids, with PID 1's maps.
	local pid
	pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pid" -u 1000:1000 "$CID" probe sleep 1000)
	[ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" = "$((HOST_BASE + 1000)) $((HOST_BASE + 1000)) $((HOST_BASE + 1000)) $((HOST_BASE + 1000))" ] ||
		fail "host uids of the exec'd process:" "$(grep -E '^(Uid|Gid):' "/proc/$pid/status")"
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = $((HOST_BASE + 1000)) ]
	[ "$(cat "/proc/$pid/uid_map")" = "$(cat "/proc/$INIT_PID/uid_map")" ]
	[ "$(stat -L -c %i "/proc/$pid/ns/user")" = "$(stat -L -c %i "/proc/$INIT_PID/ns/user")" ]
}

@test "cgroups: the exec'd process is in the container's group in every hierarchy" {
	start_container
	local pid dirs d
	pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pid" "$CID" probe sleep 1000)
	[ "$(cat "/proc/$pid/cgroup")" = "$(cat "/proc/$INIT_PID/cgroup")" ] ||
		fail "cgroups differ from PID 1's:" "$(cat "/proc/$pid/cgroup")" "PID 1:" "$(cat "/proc/$INIT_PID/cgroup")"
	dirs=$(cgroup_dirs "$pid")
	[ -n "$dirs" ]
	for d in $dirs; do
		[[ "$d" == */"$CID" ]] || fail "exec'd process in $d, not a group of $CID"
		grep -qx "$pid" "$d/cgroup.procs" || fail "$pid is not listed in $d/cgroup.procs"
	done
	# corral's state names its groups: the process is in each of them.
	local state=$STATE_ROOT/$CID/state.json
	if [ -f "$state" ] && [ "$(json_get "'cgroupPaths' in j" "$(cat "$state")")" = true ]; then
		for d in $(json_get "'\n'.join(j['cgroupPaths'].values())" "$(cat "$state")"); do
			grep -qx "$pid" "$d/cgroup.procs" || fail "$pid is not in $d (cgroupPaths)"
		done
	fi
}

@test "--cgroup: an existing group below the container's, per controller or in every hierarchy" {
	start_container
	local state=$STATE_ROOT/$CID/state.json key d pid want sub
	local -A dirs=()
	# Keys are hierarchies ("memory", "cpu,cpuacct", "name=systemd"): '|' separates.
	while IFS='|' read -r key d; do
		dirs[$key]=$d
		mkdir "$d/all" "$d/mem"
		# v1 cpuset: a new group has no cpus or mems until given some (a user's job, as with runc).
		if [ -f "$d/cpuset.cpus" ]; then
			for sub in all mem; do
				cat "$d/cpuset.cpus" >"$d/$sub/cpuset.cpus"
				cat "$d/cpuset.mems" >"$d/$sub/cpuset.mems"
			done
		fi
	done < <(json_get "'\n'.join(k + '|' + v for k, v in j['cgroupPaths'].items())" "$(cat "$state")")
	[ ${#dirs[@]} -gt 0 ] || fail "no cgroupPaths in $state"
	pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pid" --cgroup /all "$CID" probe sleep 1000)
	for key in "${!dirs[@]}"; do
		grep -qx "$pid" "${dirs[$key]}/all/cgroup.procs" || fail "$pid is not in ${dirs[$key]}/all"
	done
	# A controller's own request wins over the bare one (v1: the memory hierarchy only).
	if [ -n "${dirs[memory]:-}" ]; then
		pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pid2" --cgroup memory:mem --cgroup all "$CID" probe sleep 1000)
		for key in "${!dirs[@]}"; do
			want=all
			[ "$key" != memory ] || want=mem
			grep -qx "$pid" "${dirs[$key]}/$want/cgroup.procs" || fail "$pid is not in ${dirs[$key]}/$want"
		done
	fi
	# Only existing groups, only below the container's, only controllers it has.
	run --separate-stderr corral exec --cgroup nosuch "$CID" true
	assert_status 1
	[[ "$stderr" == *"exec --cgroup: open group"*"/nosuch: no such file or directory"* ]] || fail "$stderr"
	for d in "${dirs[@]}"; do [ ! -e "$d/nosuch" ] || fail "exec made $d/nosuch"; done
	run --separate-stderr corral exec --cgroup ../all "$CID" true
	assert_status 1
	[[ "$stderr" == *"must stay below the container's group"* ]] || fail "$stderr"
	run --separate-stderr corral exec --cgroup nosuchctl:all "$CID" true
	assert_status 1
	[[ "$stderr" == *'no group with controller "nosuchctl"'* ]] || fail "$stderr"
}

@test "paused: exec is refused, --ignore-paused lets the process in and it runs once resumed" {
	start_container
	corral pause "$CID"
	wait_for_status "$CID" paused
	run --separate-stderr corral exec "$CID" probe pid
	assert_one_error_line
	[[ "${stderr,,}" == *paused* ]] || fail "the error does not say the container is paused" "$(_run_context)"
	assert_only_init
	[ "$(state_field "$CID" status)" = paused ]

	# Not refused: the process joins the frozen container and runs when it is thawed.
	corral_exec_bg --ignore-paused "$CID" probe pid
	sleep 1
	corral resume "$CID"
	local rc=0
	wait "$EXEC_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "exec --ignore-paused exited $rc" "$(cat "$EXEC_ERR")"
	grep -qE '^pid=[0-9]+$' "$EXEC_OUT" || fail "no pid= line:" "$(cat "$EXEC_OUT" "$EXEC_ERR")"
	! grep -qx pid=1 "$EXEC_OUT"
	[ "$(state_field "$CID" status)" = running ]
}

# ---- the process -----------------------------------------------------------------------------

@test "process: without flags, env, user, groups, cwd, rlimits, caps and noNewPrivileges are the config's" {
	start_container 'env("PATH=/bin:/usr/bin", "FROM_CONFIG=yes", "SPACED=a b")
c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [2001, 2000]}
c["process"]["cwd"] = "/tmp"
c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
                           {"type": "RLIMIT_NPROC", "soft": 512, "hard": 1024}]
caps = ["CAP_KILL", "CAP_NET_RAW"]
c["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
c["process"]["noNewPrivileges"] = True'
	run --separate-stderr corral exec "$CID" probe env
	assert_status 0
	# HOME is the one variable a runtime may add (runc derives it from /etc/passwd).
	local l got=()
	for l in "${lines[@]}"; do [[ "$l" == HOME=* ]] || got+=("$l"); done
	[ "$(printf '%s\n' "${got[@]}" | sort)" = "$(printf '%s\n' FROM_CONFIG=yes PATH=/bin:/usr/bin "SPACED=a b")" ] ||
		fail "unexpected environment:" "$output"
	run --separate-stderr corral exec "$CID" probe ids
	assert_status 0
	for k in uid euid suid; do assert_kv "$k" 1000; done
	for k in gid egid sgid; do assert_kv "$k" 1001; done
	assert_kv groups 2000,2001
	run --separate-stderr corral exec "$CID" probe cwd
	assert_status 0
	assert_kv cwd /tmp
	run --separate-stderr corral exec "$CID" probe rlimits
	assert_status 0
	assert_kv RLIMIT_NOFILE 1000/2000
	assert_kv RLIMIT_NPROC 512/1024
	run --separate-stderr corral exec "$CID" probe caps
	assert_status 0
	# CAP_KILL (5) and CAP_NET_RAW (13) bound; uid 1000 keeps no permitted set across execve.
	assert_kv CapBnd 0000000000002020
	assert_kv CapInh 0000000000000000
	assert_kv CapAmb 0000000000000000
	assert_kv NoNewPrivs 1
	assert_kv Seccomp 0
}

@test "process: the config is the one create saw, even after the bundle's changed or gone" {
	start_container 'env("PATH=/bin:/usr/bin", "FROM_CONFIG=created")'
	# A tool that edits or removes the bundle after create (runc keeps the config in its state
	# too) must not change what exec runs.
	update_config 'env("PATH=/bin:/usr/bin", "FROM_CONFIG=edited")'
	run --separate-stderr corral exec "$CID" probe env
	assert_status 0
	assert_line FROM_CONFIG=created
	mv "$BUNDLE/config.json" "$BUNDLE/config.json.away"
	run --separate-stderr corral exec "$CID" probe env
	mv "$BUNDLE/config.json.away" "$BUNDLE/config.json"
	assert_status 0
	assert_line FROM_CONFIG=created
}

@test "process: -e adds and replaces, --cwd, -u UID:GID, -u UID keeps the config's gid, -g adds groups" {
	start_container 'env("PATH=/bin:/usr/bin", "KEEP=1", "OVER=config")
c["process"]["user"] = {"uid": 0, "gid": 1001, "additionalGids": [2000]}'
	run --separate-stderr corral exec -e OVER=flag -e NEW=added -e NEW2= "$CID" probe env
	assert_status 0
	local l got=()
	for l in "${lines[@]}"; do [[ "$l" == HOME=* ]] || got+=("$l"); done
	[ "$(printf '%s\n' "${got[@]}" | sort)" = "$(printf '%s\n' KEEP=1 NEW2= NEW=added OVER=flag PATH=/bin:/usr/bin)" ] ||
		fail "unexpected environment:" "$output"

	run --separate-stderr corral exec --cwd /var "$CID" probe cwd
	assert_status 0
	assert_kv cwd /var

	run --separate-stderr corral exec -u 1234:5678 -g 10 -g 20 "$CID" probe ids
	assert_status 0
	for k in uid euid suid; do assert_kv "$k" 1234; done
	for k in gid egid sgid; do assert_kv "$k" 5678; done
	assert_kv groups 10,20,2000

	run --separate-stderr corral exec --user 1234 "$CID" probe ids
	assert_status 0
	assert_kv uid 1234
	assert_kv gid 1001
	assert_kv groups 2000
	assert_only_init
}

@test "process: --cap adds to bounding, effective and permitted, never inheritable or ambient" {
	start_container
	run --separate-stderr corral exec "$CID" probe caps
	assert_status 0
	# The config's AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10).
	for k in CapPrm CapEff CapBnd; do assert_kv "$k" 0000000020000420; done
	run --separate-stderr corral exec --cap CAP_SYS_ADMIN --cap CAP_NET_RAW "$CID" probe caps
	assert_status 0
	# ... plus SYS_ADMIN (21) and NET_RAW (13).
	for k in CapPrm CapEff CapBnd; do assert_kv "$k" 0000000020202420; done
	assert_kv CapInh 0000000000000000
	assert_kv CapAmb 0000000000000000
	# PID 1 is untouched.
	[ "$(awk '/^CapEff/ {print $2}' "/proc/$INIT_PID/status")" = 0000000020000420 ]
}

@test "process: --no-new-privs sets NoNewPrivs when the config leaves it off" {
	start_container 'c["process"]["noNewPrivileges"] = False'
	run --separate-stderr corral exec "$CID" probe caps
	assert_status 0
	assert_kv NoNewPrivs 0
	run --separate-stderr corral exec --no-new-privs "$CID" probe caps
	assert_status 0
	assert_kv NoNewPrivs 1
}

@test "process: the container's seccomp filter applies to the exec'd process" {
	start_container 'c["root"]["readonly"] = False
lx["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	run --separate-stderr corral exec "$CID" probe caps
	assert_status 0
	assert_kv Seccomp 2
	run --separate-stderr corral exec "$CID" mkdir /tmp/blocked
	assert_status 1
	[[ "$stderr" == *"Permission denied"* ]] || fail "errno 13 not seen" "$(_run_context)"
	[ ! -e "$BUNDLE/rootfs/tmp/blocked" ]
	# Everything else is allowed.
	run --separate-stderr corral exec "$CID" probe write /tmp/allowed x
	assert_status 0
	[ -f "$BUNDLE/rootfs/tmp/allowed" ]
}

@test "process: --apparmor and --process-label are refused on a host without AppArmor or SELinux" {
	[ ! -e /sys/kernel/security/apparmor ] && [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] ||
		skip "AppArmor is enabled on this host"
	start_container
	run --separate-stderr corral exec --apparmor corral-test-profile "$CID" probe pid
	assert_one_error_line
	[[ "${stderr,,}" == *apparmor* ]] || fail "the error does not name AppArmor" "$(_run_context)"
	if [ ! -d /sys/fs/selinux ]; then
		run --separate-stderr corral exec --process-label system_u:system_r:container_t:s0 "$CID" probe pid
		assert_one_error_line
		[[ "${stderr,,}" == *selinux* || "${stderr,,}" == *label* ]] ||
			fail "the error does not name SELinux or the label" "$(_run_context)"
	fi
	assert_only_init
}

# write_process FILE EDIT: a process object for --process (args, env, cwd, user, caps), then the
# Python EDIT on it (bound to p).
write_process() {
	"$PYTHON" -S -c '
import json, sys
p = {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["probe", "env"],
     "env": ["PATH=/bin", "ONLY=from-file"], "cwd": "/tmp",
     "capabilities": {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")},
     "noNewPrivileges": True}
exec(sys.argv[2])
json.dump(p, open(sys.argv[1], "w"))' "$1" "${2:-}"
}

@test "process: --process FILE is the whole process, the other process flags are ignored" {
	start_container 'env("PATH=/bin", "FROM_CONFIG=yes"); c["process"]["noNewPrivileges"] = False'
	# Repeatable flags first: this test is about what --process ignores, not about parsing.
	local f=$BATS_TEST_TMPDIR/process.json flags=(-e IGNORED=1 -g 7 --cap CAP_SYS_ADMIN --cwd /var -u 5:5)
	write_process "$f"
	run --separate-stderr corral exec --process "$f" "${flags[@]}" "$CID"
	assert_status 0
	local l got=()
	for l in "${lines[@]}"; do [[ "$l" == HOME=* ]] || got+=("$l"); done
	[ "$(printf '%s\n' "${got[@]}" | sort)" = "$(printf '%s\n' ONLY=from-file PATH=/bin)" ] ||
		fail "unexpected environment:" "$output"

	write_process "$f" 'p["args"] = ["probe", "cwd"]'
	run --separate-stderr corral exec -p "$f" "${flags[@]}" "$CID"
	assert_status 0
	assert_kv cwd /tmp

	write_process "$f" 'p["args"] = ["probe", "caps"]'
	run --separate-stderr corral exec -p "$f" "${flags[@]}" "$CID"
	assert_status 0
	# CAP_KILL (5) alone, and the file's noNewPrivileges.
	for k in CapPrm CapEff CapBnd; do assert_kv "$k" 0000000000000020; done
	assert_kv NoNewPrivs 1

	write_process "$f" 'p["args"] = ["probe", "ids"]; p["user"] = {"uid": 77, "gid": 88, "additionalGids": [99]}'
	run --separate-stderr corral exec -p "$f" "${flags[@]}" "$CID"
	assert_status 0
	assert_kv uid 77
	assert_kv gid 88
	assert_kv groups 99
}

# ---- stdio, exit status and signals -------------------------------------------------------

@test "stdio: stdin, stdout and stderr are the caller's" {
	start_container
	run --separate-stderr corral exec "$CID" sh -c 'read -r l; echo "got=$l"; echo to-stderr >&2' <<<"hello exec"
	assert_status 0
	[ "$output" = "got=hello exec" ] || fail "stdout" "$(_run_context)"
	[ "$stderr" = to-stderr ] || fail "stderr" "$(_run_context)"
}

@test "exit status: the process's code, 128+N when signal N killed it" {
	start_container
	local code
	for code in 0 1 42 255; do
		run --separate-stderr corral exec "$CID" probe exit "$code"
		assert_status "$code"
		[ -z "$stderr" ] || fail "exit $code: the runtime wrote to stderr" "$(_run_context)"
	done
	run --separate-stderr corral exec "$CID" probe kill-self 9
	assert_status 137
	run --separate-stderr corral exec "$CID" probe kill-self 15
	assert_status 143
	# The container itself is unaffected.
	[ "$(state_field "$CID" status)" = running ]
	assert_only_init
}

@test "signals: a foreground exec forwards what it receives to the process" {
	start_container
	local sig num rc
	for sig in TERM USR1 HUP INT; do
		num=$(kill -l "$sig")
		corral_exec_bg "$CID" probe trap
		wait_for_line "$EXEC_OUT" ready
		kill -"$sig" "$EXEC_PID" ||
			fail "the exec ended before SIG$sig was sent:" "$(cat "$EXEC_OUT" "$EXEC_ERR")"
		rc=0
		wait "$EXEC_PID" || rc=$?
		grep -qx "signal=$num" "$EXEC_OUT" || fail "SIG$sig did not reach the process:" "$(cat "$EXEC_OUT" "$EXEC_ERR")"
		[ "$rc" -eq $((128 + num)) ] || fail "SIG$sig: exec exited $rc, want $((128 + num))" "$(cat "$EXEC_ERR")"
	done
	[ "$(state_field "$CID" status)" = running ]
	assert_only_init
}

# ---- detach and pid files ------------------------------------------------------------------

@test "--detach returns with the process running in the container, --pid-file holds its host pid" {
	start_container
	mkdir "$BATS_TEST_TMPDIR/pids"
	local pid
	pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pids/exec.pid" "$CID" probe sleep 1000)
	pid_alive "$pid" || fail "pid $pid from the pid file is not running"
	# The process already runs the command (it is not a runtime stage any more).
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "probe sleep 1000 " ] ||
		fail "pid $pid runs: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	# Written atomically: the pid file is the only thing the runtime left in its directory.
	[ "$(ls -A "$BATS_TEST_TMPDIR/pids")" = exec.pid ] || fail "pid file directory:" "$(ls -A "$BATS_TEST_TMPDIR/pids")"
	[ "$(ns_listing "$pid")" = "$(ns_listing "$INIT_PID")" ] || fail "not in the container's namespaces"
	[ "$(cat "/proc/$pid/cgroup")" = "$(cat "/proc/$INIT_PID/cgroup")" ] || fail "not in the container's cgroups"
	# The container is as it was: running, same PID 1.
	[ "$(state_field "$CID" status)" = running ]
	[ "$(state_field "$CID" pid)" = "$INIT_PID" ]
	# A detached exec of a short command also returns 0, whatever the command does later.
	run --separate-stderr corral exec -d "$CID" probe exit 3
	assert_status 0
}

@test "--pidfd-socket: the receiver gets a pidfd of the exec'd process" {
	start_container
	local sock=$BATS_TEST_TMPDIR/pidfd.sock res=$BATS_TEST_TMPDIR/pidfd.txt
	"$PYTHON" -S -c '
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(30)
open(out + ".ready", "w").close()
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 4096, 4)
with open(out + ".tmp", "w") as f:
    for fd in fds:
        f.write("link=%s\n" % os.readlink("/proc/self/fd/%d" % fd))
        for l in open("/proc/self/fdinfo/%d" % fd):
            if l.startswith("Pid:"):
                f.write("pid=%s\n" % l.split()[1])
os.rename(out + ".tmp", out)
' "$sock" "$res" 3>&- &
	local receiver=$!
	track_pid "$receiver"
	retry 100 0.05 test -e "$res.ready"
	local pid
	pid=$(corral_exec_detached "$BATS_TEST_TMPDIR/pid" --pidfd-socket "$sock" "$CID" probe sleep 1000) || {
		kill "$receiver" 2>/dev/null
		fail "exec --pidfd-socket failed"
	}
	wait "$receiver" || fail "the receiver failed"
	run cat "$res"
	assert_kv link "anon_inode:[pidfd]"
	assert_kv pid "$pid"
}

# ---- file descriptors ----------------------------------------------------------------------

@test "fds: only stdio reaches the process, whatever the caller had open" {
	start_container
	run --separate-stderr bash -c '"$0" --root "$1" exec "$2" probe fds 5<"$3" 7>"$4" 3>&-' \
		"$CORRAL" "$STATE_ROOT" "$CID" /etc/hostname "$BATS_TEST_TMPDIR/out7"
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "expected fds 0-2 only" "$output"
	[[ "${lines[0]}" == fd0=* && "${lines[1]}" == fd1=* && "${lines[2]}" == fd2=* ]] || fail "$output"
}

@test "--preserve-fds N: fds 3..3+N-1 are passed on, usable, and nothing above" {
	start_container
	echo three >"$BATS_TEST_TMPDIR/three"
	run --separate-stderr bash -c '"$0" --root "$1" exec --preserve-fds 2 "$2" probe fds 3<"$3" 4>"$4" 5</etc/hostname' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/three" "$BATS_TEST_TMPDIR/four"
	assert_status 0
	[ "${#lines[@]}" -eq 5 ] || fail "expected fds 0-4" "$output"
	assert_kv fd3 "$BATS_TEST_TMPDIR/three"
	assert_kv fd4 "$BATS_TEST_TMPDIR/four"
	run --separate-stderr bash -c '"$0" --root "$1" exec --preserve-fds 2 "$2" sh -c "cat <&3; echo through-fd4 >&4" 3<"$3" 4>"$4"' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/three" "$BATS_TEST_TMPDIR/four"
	assert_status 0
	assert_line three
	[ "$(cat "$BATS_TEST_TMPDIR/four")" = through-fd4 ]
}

@test "socket activation: LISTEN_FDS for corral's own pid passes the fds, the process gets LISTEN_PID=1" {
	start_container
	echo sock >"$BATS_TEST_TMPDIR/sock"
	# exec keeps the shell's pid, so LISTEN_PID=$$ names corral itself.
	local activate='exec 3<"$3"; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --root "$1" exec "$2" probe "$4"'
	run --separate-stderr bash -c "$activate" "$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/sock" fds
	assert_status 0
	[ "${#lines[@]}" -eq 4 ] || fail "expected fds 0-3" "$output"
	assert_kv fd3 "$BATS_TEST_TMPDIR/sock"
	run --separate-stderr bash -c "$activate" "$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/sock" env
	assert_status 0
	assert_line LISTEN_FDS=1
	assert_line LISTEN_PID=1

	# For another pid the variables are not corral's: nothing passed, nothing set.
	local other='exec 3<"$3"; LISTEN_PID=1 LISTEN_FDS=1 exec "$0" --root "$1" exec "$2" probe "$4"'
	run --separate-stderr bash -c "$other" "$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/sock" fds
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "expected fds 0-2 only" "$output"
	run --separate-stderr bash -c "$other" "$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/sock" env
	assert_status 0
	refute_line_matching LISTEN_
}

@test "socket activation: run passes LISTEN_FDS fds the same way" {
	update_config 'args("sh", "-c", "probe fds; probe env")'
	echo sock >"$BATS_TEST_TMPDIR/sock"
	run --separate-stderr bash -c 'exec 3<"$3" 4<"$3"; LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" --root "$1" run "$2"' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/sock"
	track_id "$CID"
	assert_status 0
	assert_kv fd3 "$BATS_TEST_TMPDIR/sock"
	assert_kv fd4 "$BATS_TEST_TMPDIR/sock"
	refute_line_matching fd5=
	assert_line LISTEN_FDS=2
	assert_line LISTEN_PID=1
}

# ---- paths and the runtime's own exposure --------------------------------------------------

@test "--cwd never resolves outside the rootfs: fd links, .. chains and absolute host paths" {
	# A host directory the runtime might leak; its marker must never be readable in there.
	local secret="host-only-$$-$RANDOM" marker=$BATS_TEST_TMPDIR/escape-marker n l
	echo "$secret" >"$marker"
	# Links the container could plant itself (the root is read-only here, so they are made from
	# the host): the exec'ing runtime's own descriptors, a .. chain, an absolute host path.
	local links=()
	for n in $(seq 3 20); do
		ln -s "/proc/self/fd/$n" "$BUNDLE/rootfs/tmp/fd$n"
		links+=("/tmp/fd$n")
	done
	ln -s ../../../../../../../../../.. "$BUNDLE/rootfs/tmp/dotdot"
	ln -s "$BATS_TEST_TMPDIR" "$BUNDLE/rootfs/tmp/abs"
	ln -s /tmp/dotdot/../.. "$BUNDLE/rootfs/tmp/chain"
	links+=(/tmp/dotdot /tmp/abs /tmp/chain /tmp/../../../../tmp/dotdot)
	start_container
	# From wherever the cwd is, enough .. reach the root of its tree: the host's if it escaped.
	local up=../../../../../../../../../../../../../../../..
	local script="probe cwd || exit 99; cat escape-marker $up$marker 2>/dev/null; exit 0"
	for l in "${links[@]}"; do
		run --separate-stderr corral exec --cwd "$l" "$CID" sh -c "$script"
		[[ "$output$stderr" != *"$secret"* ]] || fail "--cwd $l: the host directory is reachable" "$(_run_context)"
		[ "$status" -ne 99 ] || fail "--cwd $l: the process started in a cwd outside its root" "$(_run_context)"
		if [ "$status" -eq 0 ]; then
			local cwd
			cwd=$(kv cwd)
			[[ "$cwd" == /* && "$cwd" != *unreachable* ]] || fail "--cwd $l: cwd $cwd" "$(_run_context)"
			# A directory of the container, as the container sees it.
			run --separate-stderr corral exec "$CID" probe stat "$cwd"
			assert_status 0
			assert_kv type dir
		else
			[ "${#stderr_lines[@]}" -ge 1 ] || fail "--cwd $l: failed without a message" "$(_run_context)"
		fi
	done
	assert_only_init
}

@test "non-dumpable: a process in the container cannot trace or read the exec'ing runtime" {
	# The marker is the runtime's name, which its processes carry in their command line.
	local secs=25 marker=${CORRAL##*/}
	update_config "args('probe', 'ptrace-watch', '$secs', '$marker')"
	corral_bg run -d "$CID"
	INIT_PID=$(container_pid "$CID")
	wait_for_line "$(ctr_stdout "$CID")" "watching=$marker"
	# The default capability set: the watcher has no CAP_SYS_PTRACE (bit 19).
	local capeff
	capeff=$(awk '/^CapEff/ {print $2}' "/proc/$INIT_PID/status")
	((!(0x$capeff & (1 << 19)))) || fail "the container has CAP_SYS_PTRACE ($capeff)"
	local out i start=$SECONDS failed=0
	out=$(ctr_stdout "$CID")
	# Each exec shows the runtime in the container for a moment; stop a few execs after the
	# watcher first saw one, or well before its window closes.
	local after=-1
	for ((i = 1; i <= 100; i++)); do
		corral exec "$CID" true || failed=$((failed + 1))
		if [ "$after" -lt 0 ] && grep -q '^detail=' "$out"; then after=0; fi
		if [ "$after" -ge 0 ]; then
			after=$((after + 1))
			[ "$after" -lt 10 ] || break
		fi
		[ $((SECONDS - start)) -lt $((secs - 8)) ] || break
	done
	[ "$failed" -eq 0 ] || fail "$failed of $i execs failed"
	retry $(((secs + 20) * 10)) 0.1 grep -q '^exe_read=' "$out" ||
		fail "the watcher did not report:" "$(cat "$out")"
	run cat "$out"
	local seen
	seen=$(kv seen)
	[ "$seen" -gt 0 ] ||
		fail "the watcher never saw a runtime process in the container in $i execs: the window was never observed" "$output"
	assert_kv attached 0
	assert_kv environ_read 0
	assert_kv mem_opened 0
	assert_kv exe_read 0
}

# ---- failures ------------------------------------------------------------------------------

@test "a stopped container: exec fails clearly and leaves nothing" {
	update_config 'args("probe", "exit", "0")'
	corral_bg run -d "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr corral exec "$CID" probe pid
	assert_one_error_line
	[[ "${stderr,,}" == *"${CID,,}"* || "${stderr,,}" == *"not running"* || "${stderr,,}" == *stopped* ]] ||
		fail "the error neither names $CID nor says it is not running" "$(_run_context)"
	[ -z "$output" ] || fail "output from a failed exec" "$(_run_context)"
	[ "$(state_field "$CID" status)" = stopped ]
	[ -z "$(live_procs_of "$CID")" ] || fail "processes in the cgroups of $CID:" "$(live_procs_of "$CID")"
	corral delete "$CID"
	assert_nothing_left "$CID"
}

@test "a missing container: exec fails clearly, naming the id, and creates nothing" {
	local id
	id=$(new_id missing)
	run --separate-stderr corral exec "$id" probe pid
	assert_one_error_line
	[[ "$stderr" == *"$id"* ]] || fail "the error does not name $id" "$(_run_context)"
	[ ! -e "$STATE_ROOT/$id" ]
	[ -z "$(_cgroup_dirs_of "$id")" ] || fail "cgroups made for $id:" "$(_cgroup_dirs_of "$id")"
	assert_nothing_left "$id"
}

@test "cli: each -e, -g and -c takes exactly one value, the id and the command follow it" {
	start_container
	# runc's CLI: a repeatable flag right before the id must not take the id or the command.
	run --separate-stderr corral exec -e A=1 "$CID" probe env
	assert_status 0
	assert_line A=1
	run --separate-stderr corral exec --env=B=2 "$CID" probe env
	assert_status 0
	assert_line B=2
	run --separate-stderr corral exec -g 10 "$CID" probe ids
	assert_status 0
	assert_kv groups 10
	run --separate-stderr corral exec -c CAP_SYS_ADMIN "$CID" probe caps
	assert_status 0
	assert_kv CapEff 0000000020200420
	run --separate-stderr corral exec --cap CAP_SYS_ADMIN "$CID" probe caps
	assert_status 0
	assert_kv CapEff 0000000020200420
}

@test "bad flag: -u abc is refused" {
	start_container
	run --separate-stderr corral exec -u abc "$CID" probe ids
	assert_one_error_line
	[[ "$stderr" == *abc* ]] || fail "the error does not name the bad user" "$(_run_context)"
	[ -z "$output" ]
	run --separate-stderr corral exec -u 1000:xyz "$CID" probe ids
	assert_one_error_line
	[[ "$stderr" == *xyz* ]] || fail "the error does not name the bad group" "$(_run_context)"
	assert_only_init
}

@test "bad flag: --cap CAP_BOGUS is refused" {
	start_container
	run --separate-stderr corral exec --cap CAP_BOGUS "$CID" probe caps
	assert_one_error_line
	[[ "$stderr" == *CAP_BOGUS* ]] || fail "the error does not name the capability" "$(_run_context)"
	[ -z "$output" ]
	assert_only_init
}

@test "bad flag: no COMMAND and no --process is refused" {
	start_container
	run --separate-stderr corral exec "$CID"
	assert_one_error_line
	[ -z "$output" ]
	assert_only_init
}

@test "bad flag: --preserve-fds naming a descriptor that is not open is refused" {
	start_container
	# fd 3 is open, 4 and 5 are not.
	run --separate-stderr bash -c '"$0" --root "$1" exec --preserve-fds 3 "$2" probe fds 3</etc/hostname 4>&- 5>&-' \
		"$CORRAL" "$STATE_ROOT" "$CID"
	assert_one_error_line
	[[ "${stderr,,}" == *fd* || "${stderr,,}" == *descriptor* ]] || fail "the error does not talk about fds" "$(_run_context)"
	[[ "$stderr" =~ (^|[^0-9])4([^0-9]|$) ]] || fail "the error does not name fd 4" "$(_run_context)"
	[ -z "$output" ]
	assert_only_init
}

#!/usr/bin/env bats
# The process section: args and PATH lookup, env, cwd, user and groups, umask, rlimits,
# oomScoreAdj, noNewPrivileges, capabilities, scheduler, ioPriority, personality, and the file
# descriptors the process starts with.

load lib/common

@test "args: the command is looked up in the container's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	cp "$BUNDLE/rootfs/bin/probe" "$BUNDLE/rootfs/opt/tools/only-here"
	update_config 'args("only-here", "pid"); env("PATH=/opt/tools:/bin")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv pid 1
}

@test "args: an absolute path runs as is, with its arguments" {
	update_config 'args("/bin/probe", "sysctl", "kernel.ostype")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	[ "$output" = kernel.ostype=Linux ]
}

@test "env: the configured variables and none of the runtime's" {
	export CORRAL_HOST_ONLY=leaked
	update_config 'args("probe", "env"); env("PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=")'
	run --separate-stderr corral run "$CID"
	assert_status 0
	# HOME is the one variable a runtime may add (runc derives it from /etc/passwd).
	local l got=()
	for l in "${lines[@]}"; do [ "$l" = HOME=/root ] || got+=("$l"); done
	[ "$(printf '%s\n' "${got[@]}" | sort)" = "$(printf '%s\n' EMPTY= "FOO=bar baz" PATH=/bin:/usr/bin)" ] ||
		fail "unexpected environment:" "$output"
}

@test "cwd: an existing directory" {
	update_config 'args("probe", "cwd"); c["process"]["cwd"] = "/tmp"'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv cwd /tmp
}

@test "cwd: a missing directory is created" {
	update_config 'args("probe", "cwd"); c["process"]["cwd"] = "/work/deep/dir"; c["root"]["readonly"] = False'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv cwd /work/deep/dir
	[ -d "$BUNDLE/rootfs/work/deep/dir" ]
}

@test "user: uid, gid and additionalGids" {
	update_config 'args("probe", "ids")
c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [2001, 2000]}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	for k in uid euid suid; do assert_kv "$k" 1000; done
	for k in gid egid sgid; do assert_kv "$k" 1001; done
	assert_kv groups 2000,2001
}

@test "user: no additionalGids means no supplementary groups" {
	update_config 'args("probe", "ids"); c["process"]["user"] = {"uid": 1000, "gid": 1000}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv uid 1000
	assert_kv groups ""
}

@test "umask: the configured one, 0022 by default" {
	update_config 'args("probe", "umask")'
	run --separate-stderr corral run "$CID"
	assert_kv umask 0022
	update_config 'c["process"]["user"]["umask"] = 0o027'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv umask 0027
}

@test "rlimits: soft and hard values of several limits" {
	update_config 'args("probe", "rlimits"); c["process"]["rlimits"] = [
  {"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
  {"type": "RLIMIT_NPROC", "soft": 512, "hard": 1024},
  {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
  {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192}]'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv RLIMIT_NOFILE 1000/2000
	assert_kv RLIMIT_NPROC 512/1024
	assert_kv RLIMIT_CORE 0/0
	assert_kv RLIMIT_MSGQUEUE 4096/8192
}

@test "rlimits: a hard limit above the host's fails clearly and leaves nothing" {
	# CAP_SYS_RESOURCE (bit 24) would let the runtime raise it; this host runs without.
	capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
	((0x$capeff & (1 << 24))) && skip "the runtime may raise limits here (CAP_SYS_RESOURCE)"
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no finite hard RLIMIT_NOFILE on this host"
	update_config "args('probe', 'exit', '0')
c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': $((hard + 10000)), 'hard': $((hard + 10000))}]"
	run --separate-stderr corral run "$CID"
	assert_error RLIMIT_NOFILE "operation not permitted"
	assert_nothing_left "$CID"
}

@test "oomScoreAdj" {
	update_config 'args("probe", "oom"); c["process"]["oomScoreAdj"] = 500'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv oom_score_adj 500
}

@test "noNewPrivileges true and false" {
	update_config 'args("probe", "caps"); c["process"]["noNewPrivileges"] = True'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv NoNewPrivs 1
	update_config 'c["process"]["noNewPrivileges"] = False'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv NoNewPrivs 0
}

@test "capabilities: AUDIT_WRITE, KILL, NET_BIND_SERVICE; inheritable and ambient empty" {
	update_config 'args("probe", "caps")
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
c["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	# bits 29, 5 and 10
	for k in CapPrm CapEff CapBnd; do assert_kv "$k" 0000000020000420; done
	assert_kv CapInh 0000000000000000
	assert_kv CapAmb 0000000000000000
	assert_kv Seccomp 0
}

@test "capabilities: ambient ones survive exec for a non-root user" {
	update_config 'args("probe", "caps"); c["process"]["user"] = {"uid": 1000, "gid": 1000}
caps = ["CAP_NET_RAW"]
c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	# CAP_NET_RAW is bit 13
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do assert_kv "$k" 0000000000002000; done
}

@test "scheduler: SCHED_BATCH with nice 5" {
	update_config 'args("probe", "sched"); c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv policy SCHED_BATCH
	assert_kv nice 5
}

@test "scheduler: SCHED_IDLE" {
	update_config 'args("probe", "sched"); c["process"]["scheduler"] = {"policy": "SCHED_IDLE"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv policy SCHED_IDLE
}

@test "ioPriority: best-effort class, priority 6" {
	update_config 'args("probe", "ioprio"); c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv class IOPRIO_CLASS_BE
	assert_kv priority 6
}

@test "ioPriority: idle class" {
	update_config 'args("probe", "ioprio"); c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv class IOPRIO_CLASS_IDLE
}

@test "personality: LINUX32" {
	update_config 'args("probe", "personality"); lx["personality"] = {"domain": "LINUX32"}'
	run --separate-stderr corral run "$CID"
	assert_status 0
	assert_kv domain LINUX32
}

@test "fds: only stdio reaches the process, whatever the caller had open" {
	update_config 'args("probe", "fds")'
	# Non-CLOEXEC descriptors in the caller, as a careless supervisor would leave them.
	run --separate-stderr bash -c '"$0" --root "$1" run "$2" 5<"$3" 7>"$4" 3>&-' \
		"$CORRAL" "$STATE_ROOT" "$CID" /etc/hostname "$BATS_TEST_TMPDIR/out7"
	track_id "$CID"
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "expected fds 0-2 only" "$output"
	[[ "${lines[0]}" == fd0=* && "${lines[1]}" == fd1=* && "${lines[2]}" == fd2=* ]]
}

@test "--preserve-fds 2: fds 3 and 4 are passed on, nothing above" {
	update_config 'args("probe", "fds")'
	echo three >"$BATS_TEST_TMPDIR/three"
	run --separate-stderr bash -c '"$0" --root "$1" run --preserve-fds 2 "$2" 3<"$3" 4>"$4" 5</etc/hostname' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/three" "$BATS_TEST_TMPDIR/four"
	track_id "$CID"
	assert_status 0
	[ "${#lines[@]}" -eq 5 ] || fail "expected fds 0-4" "$output"
	assert_kv fd3 "$BATS_TEST_TMPDIR/three"
	assert_kv fd4 "$BATS_TEST_TMPDIR/four"
}

@test "--preserve-fds: the preserved fd is usable from the container" {
	update_config 'args("sh", "-c", "echo through-fd3 >&3")'
	run --separate-stderr bash -c '"$0" --root "$1" run --preserve-fds 1 "$2" 3>"$3"' \
		"$CORRAL" "$STATE_ROOT" "$CID" "$BATS_TEST_TMPDIR/three"
	track_id "$CID"
	assert_status 0
	[ "$(cat "$BATS_TEST_TMPDIR/three")" = through-fd3 ]
}
